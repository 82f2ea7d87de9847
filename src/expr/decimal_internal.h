// Exact decimal helpers for expr/: unscaled __int128 values with a scale, as columnar
// stores them (at most 38 digits, so |x| < 10^38 < 2^127).
#pragma once

#include <cstdint>
#include <optional>

namespace cpglake::expr::internal {

// 10^n for 0 <= n <= 38.
__int128 Pow10(int n);
// Number of decimal digits of |x| (1 for 0).
int DecimalDigits(__int128 x);
// True when |x| < 10^precision.
bool FitsPrecision(__int128 x, int precision);
// x * 10^n, nullopt on overflow of __int128 (n >= 0).
std::optional<__int128> ScaleUp(__int128 x, int n);
// x / 10^n rounded half away from zero (as Spark's HALF_UP), n >= 0.
__int128 ScaleDownRounded(__int128 x, int n);
// x / 10^n truncated toward zero, n >= 0.
__int128 ScaleDownTruncated(__int128 x, int n);
// Brings (x, from_scale) to `to_scale` rounding HALF_UP when the scale shrinks; nullopt on
// overflow or when the result does not fit `precision` digits.
std::optional<__int128> Rescale(__int128 x, int from_scale, int to_scale, int precision);
// Exact comparison of a·10^-sa with b·10^-sb: -1, 0 or 1.
int CompareDecimals(__int128 a, int sa, __int128 b, int sb);
// The nearest double to x·10^-scale.
double DecimalToDouble(__int128 x, int scale);
// d rounded HALF_UP to `scale` digits as an unscaled value of at most `precision`
// digits; nullopt for NaN, infinities and values that do not fit.
std::optional<__int128> DoubleToDecimal(double d, int precision, int scale);
// Digits an integer type needs as a decimal: int8 3, int16 5, int32 10, int64 19.
int IntegerDecimalDigits(int byte_width);

}  // namespace cpglake::expr::internal
