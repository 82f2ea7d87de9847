// ASCII text helpers (locale-independent; bytes >= 0x80 pass through unchanged).
#pragma once

#include <string>
#include <string_view>

namespace cpglake {

// `s` with A-Z lowered to a-z.
inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace cpglake
