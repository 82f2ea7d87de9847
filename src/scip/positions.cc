#include "scip/positions.h"

#include "common/utf8.h"

namespace cpglake::scip {

std::string_view PositionEncodingName(PositionEncoding encoding) {
  switch (encoding) {
    case PositionEncoding::kUnspecified:
      return "unspecified (UTF-16)";
    case PositionEncoding::kUtf8:
      return "UTF-8";
    case PositionEncoding::kUtf16:
      return "UTF-16";
    case PositionEncoding::kUtf32:
      return "UTF-32";
  }
  return "unknown";
}

bool IsKnownPositionEncoding(int32_t value) {
  return value >= 0 && value <= 3;
}

TextPositions::TextPositions(std::string_view text) : text_(text) {
  size_t start = 0;
  bool ascii = true;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c != '\n' && c != '\r') {
      if (c >= 0x80) ascii = false;
      continue;
    }
    line_starts_.push_back(start);
    line_ends_.push_back(i);
    line_ascii_.push_back(ascii);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;  // CRLF is one end
    start = i + 1;
    ascii = true;
  }
  line_starts_.push_back(start);
  line_ends_.push_back(text.size());
  line_ascii_.push_back(ascii);
}

namespace {

// Code units one code point of `bytes` bytes takes in `encoding`.
int64_t UnitsOf(uint32_t cp, size_t bytes, PositionEncoding encoding) {
  switch (encoding) {
    case PositionEncoding::kUtf8:
      return static_cast<int64_t>(bytes);
    case PositionEncoding::kUtf32:
      return 1;
    case PositionEncoding::kUnspecified:
    case PositionEncoding::kUtf16:
      break;
  }
  return cp >= 0x10000 ? 2 : 1;
}

}  // namespace

ByteOffset TextPositions::ToByteOffset(int64_t line, int64_t character,
                                       PositionEncoding encoding) const {
  if (line < 0) return {0, PositionFit::kBeforeStart};
  if (static_cast<uint64_t>(line) >= line_starts_.size()) {
    return {text_.size(), PositionFit::kPastTextEnd};
  }
  const size_t l = static_cast<size_t>(line);
  const size_t begin = line_starts_[l];
  const size_t end = line_ends_[l];
  if (character < 0) return {begin, PositionFit::kBeforeStart};
  const uint64_t want = static_cast<uint64_t>(character);
  if (line_ascii_[l]) {
    if (want > end - begin) return {end, PositionFit::kPastLineEnd};
    return {begin + static_cast<size_t>(want), PositionFit::kExact};
  }
  const std::string_view s = text_.substr(0, end);
  uint64_t units = 0;
  size_t i = begin;
  while (i < end) {
    if (units == want) return {i, PositionFit::kExact};
    uint32_t cp = static_cast<unsigned char>(s[i]);
    size_t len = 1;
    if (cp >= 0x80) {
      len = DecodeUtf8(s, i, &cp);
      if (len == 0) {  // not well-formed UTF-8: the byte counts as one unit on its own
        len = 1;
        cp = 0;
      }
    }
    const int64_t step = UnitsOf(cp, len, encoding);
    if (units + static_cast<uint64_t>(step) > want) return {i, PositionFit::kInsideCharacter};
    units += static_cast<uint64_t>(step);
    i += len;
  }
  if (units == want) return {end, PositionFit::kExact};
  return {end, PositionFit::kPastLineEnd};
}

ByteSpan TextPositions::ToByteSpan(const Range& range, PositionEncoding encoding) const {
  return {ToByteOffset(range.start_line, range.start_char, encoding),
          ToByteOffset(range.end_line, range.end_char, encoding)};
}

}  // namespace cpglake::scip
