#include <algorithm>
#include <cstring>

#include "python/evidence.h"

namespace cpglake::python {

const char* NewlineKindName(NewlineKind k) {
  switch (k) {
    case NewlineKind::kLf:
      return "lf";
    case NewlineKind::kCrLf:
      return "crlf";
    case NewlineKind::kCr:
      return "cr";
    case NewlineKind::kNone:
      break;
  }
  return "none";
}

LineIndex BuildLineIndex(std::string_view source) {
  LineIndex index;
  index.size = static_cast<int64_t>(source.size());
  if (source.size() >= 3 && static_cast<unsigned char>(source[0]) == 0xEF &&
      static_cast<unsigned char>(source[1]) == 0xBB &&
      static_cast<unsigned char>(source[2]) == 0xBF) {
    index.bom = 3;
  }
  index.line_starts.reserve(source.size() / 32 + 2);
  index.newlines.reserve(source.size() / 32 + 2);
  index.line_starts.push_back(0);
  const char* const begin = source.data();
  const char* const end = begin + source.size();
  const char* p = begin;
  while (p < end) {
    // The next CR or LF: scan for LF with memchr and look for a CR before it only when the
    // file has one (most files have none).
    const char* lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* stop = lf != nullptr ? lf : end;
    const char* cr = static_cast<const char*>(std::memchr(p, '\r', static_cast<size_t>(stop - p)));
    if (cr != nullptr) {
      if (cr + 1 < end && cr[1] == '\n') {
        index.newlines.push_back(NewlineKind::kCrLf);
        p = cr + 2;
      } else {
        index.newlines.push_back(NewlineKind::kCr);
        p = cr + 1;
      }
    } else if (lf != nullptr) {
      index.newlines.push_back(NewlineKind::kLf);
      p = lf + 1;
    } else {
      break;
    }
    index.line_starts.push_back(p - begin);
  }
  index.newlines.push_back(NewlineKind::kNone);
  return index;
}

std::pair<int64_t, int64_t> LineIndex::Position(int64_t byte) const {
  if (line_starts.empty()) return {1, 0};
  byte = std::clamp<int64_t>(byte, 0, size);
  const auto it = std::upper_bound(line_starts.begin(), line_starts.end(), byte);
  const int64_t line = it - line_starts.begin();  // >= 1: line_starts[0] == 0 <= byte
  const int64_t start = line_starts[static_cast<size_t>(line - 1)];
  int64_t col = utf8_offset.empty() ? byte - start
                                    : utf8_offset[static_cast<size_t>(byte)] -
                                          utf8_offset[static_cast<size_t>(start)];
  if (line == 1) col = std::max<int64_t>(0, col - bom);
  return {line, col};
}

int64_t LineIndex::Offset(int64_t line, int64_t col) const {
  if (line_starts.empty()) return 0;
  line = std::clamp<int64_t>(line, 1, line_count());
  const int64_t start = LineStart(line);
  if (!utf8_offset.empty()) {  // the first raw offset whose UTF-8 column reaches `col`
    const int64_t want = utf8_offset[static_cast<size_t>(start)] + std::max<int64_t>(0, col);
    const auto first = utf8_offset.begin() + start;
    const auto last = utf8_offset.begin() + LineEnd(line);
    return std::lower_bound(first, last, want) - utf8_offset.begin();
  }
  const int64_t byte = start + std::max<int64_t>(0, col) + (line == 1 ? bom : 0);
  return std::min(byte, LineEnd(line));
}

}  // namespace cpglake::python
