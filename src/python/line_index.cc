// Placeholder until the syntax extraction lands: LineIndex::Position by binary search.
#include <algorithm>

#include "python/evidence.h"

namespace cpglake::python {

std::pair<int64_t, int64_t> LineIndex::Position(int64_t byte) const {
  byte = std::clamp<int64_t>(byte, 0, size);
  if (line_starts.empty()) return {1, byte};
  auto it = std::upper_bound(line_starts.begin(), line_starts.end(), byte);
  const auto line = static_cast<int64_t>(it - line_starts.begin());
  return {std::max<int64_t>(line, 1),
          byte - line_starts[static_cast<size_t>(std::max<int64_t>(line, 1) - 1)]};
}

}  // namespace cpglake::python
