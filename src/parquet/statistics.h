// Column-chunk statistics for the writer: min/max in the column's sort order (signed
// integers, IEEE floats without NaN and with the ±0 rule, unsigned bytes for strings and
// binaries, signed big-endian for fixed-length decimals), null counts, and truncation of
// long byte-array bounds to a prefix that is still a valid lower/upper bound.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cpglake::parquet {

// Truncates a lower bound: any prefix of `v` is <= v. For UTF-8 text the cut is moved
// back to a code point boundary so the bound stays valid text.
std::string TruncateMin(std::string_view v, size_t max_len, bool utf8);
// Truncates an upper bound: a prefix whose last unit is incremented, so the result is
// > every string starting with `v`'s first bytes. nullopt when no shorter bound exists
// (e.g. all bytes 0xFF); the caller then keeps the exact value.
std::optional<std::string> TruncateMax(std::string_view v, size_t max_len, bool utf8);

}  // namespace cpglake::parquet
