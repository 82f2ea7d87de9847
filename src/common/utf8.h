// UTF-8 (RFC 3629) helpers shared by every layer: the Parquet and Delta writers, the text
// readers and the repository scan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cpglake {

// Decodes the code point starting at s[i] (i < s.size()); returns its length in bytes, or 0
// when the bytes there are not well-formed UTF-8 (overlong forms, surrogates and values past
// U+10FFFF are rejected).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp);

// True when all of `s` is well-formed UTF-8 (ASCII runs are checked 8 bytes at a time).
bool IsValidUtf8(std::string_view s);

// Appends the UTF-8 encoding of code point `cp` (at most U+10FFFF).
void AppendUtf8(uint32_t cp, std::string* out);

}  // namespace cpglake
