// Positions in SCIP indexes → byte offsets in a file's raw bytes.
//
// A SCIP position is a zero-based (line, character) pair. The character half counts code
// units of some encoding from the start of the line; which encoding is said per document
// (Document.position_encoding):
//
//   encoding      a character counts as        "x😀y": offset of 'y'
//   kUtf8         its UTF-8 bytes (1-4)          5
//   kUtf16        1, or 2 for a non-BMP one      3   (U+1F600 is a surrogate pair)
//   kUtf32        1 (one code point)             2
//   kUnspecified  as kUtf16                      3
//
// kUnspecified is read as UTF-16 because that was SCIP's meaning before the field existed
// (positions followed the LSP convention); indexers that count otherwise say so.
//
// Lines end where Python's tokenizer ends them: at "\n", at "\r\n" (one terminator) and at
// a lone "\r". The terminator is not part of the line, and the text after the last
// terminator is one more (possibly empty) line. Bytes that are not well-formed UTF-8 count
// as one code unit each in every encoding, so every byte offset is reachable.
//
// Positions never fail: a line past the last one maps to the end of the text, a character
// past the end of its line maps to the end of the line (before the terminator), and a
// character that lands inside a multi-unit character maps to that character's first byte.
// Each of these is reported in the result so callers can count or reject them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace cpglake::scip {

// Values match SCIP's PositionEncoding enumeration.
enum class PositionEncoding : int32_t {
  kUnspecified = 0,
  kUtf8 = 1,
  kUtf16 = 2,
  kUtf32 = 3,
};

std::string_view PositionEncodingName(PositionEncoding encoding);

// True for the four values above (an index may carry any int32 here).
bool IsKnownPositionEncoding(int32_t value);

// A zero-based half-open span [start, end) in (line, character) coordinates.
struct Range {
  int32_t start_line = 0;
  int32_t start_char = 0;
  int32_t end_line = 0;
  int32_t end_char = 0;

  bool operator==(const Range&) const = default;
};

enum class PositionFit : uint8_t {
  kExact,            // the position names a character boundary inside the text
  kPastLineEnd,      // character beyond the end of its line: clamped to the line end
  kPastTextEnd,      // line beyond the last line: clamped to the end of the text
  kInsideCharacter,  // lands inside a multi-unit character: moved to its first byte
  kBeforeStart,      // a negative line or character: clamped to the start
};

struct ByteOffset {
  size_t offset = 0;
  PositionFit fit = PositionFit::kExact;

  bool exact() const { return fit == PositionFit::kExact; }
};

struct ByteSpan {
  ByteOffset start;
  ByteOffset end;
};

// A line index over one document's raw bytes. Does not own the text: `text` must outlive
// this object. Building it is one pass over the bytes; each conversion then costs one pass
// over the prefix of its line (none for lines that are pure ASCII).
class TextPositions {
 public:
  explicit TextPositions(std::string_view text);

  size_t line_count() const { return line_starts_.size(); }

  // Byte offset of the first byte of `line` and of its terminator (or the text end).
  size_t LineStart(size_t line) const { return line_starts_[line]; }
  size_t LineEnd(size_t line) const { return line_ends_[line]; }

  // The byte offset of (line, character) counted in `encoding`. A negative line maps to the
  // start of the text and a negative character to the start of its line (kBeforeStart).
  ByteOffset ToByteOffset(int64_t line, int64_t character, PositionEncoding encoding) const;

  ByteSpan ToByteSpan(const Range& range, PositionEncoding encoding) const;

 private:
  std::string_view text_;
  std::vector<size_t> line_starts_;
  std::vector<size_t> line_ends_;  // offset of the terminator (or the text end)
  std::vector<bool> line_ascii_;   // no byte >= 0x80 in the line
};

}  // namespace cpglake::scip
