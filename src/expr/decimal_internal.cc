#include "expr/decimal_internal.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "columnar/value_format.h"

namespace cpglake::expr::internal {

namespace {

constexpr std::array<__int128, 39> MakePow10() {
  std::array<__int128, 39> t{};
  __int128 p = 1;
  for (int i = 0; i < 39; ++i) {
    t[i] = p;
    if (i < 38) p *= 10;
  }
  return t;
}

constexpr std::array<__int128, 39> kPow10 = MakePow10();

// |x| without overflow for the most negative value.
unsigned __int128 Abs(__int128 x) {
  return x < 0 ? -static_cast<unsigned __int128>(x) : static_cast<unsigned __int128>(x);
}

unsigned __int128 UPow10(int n) {
  return static_cast<unsigned __int128>(kPow10[n]);
}

}  // namespace

__int128 Pow10(int n) {
  return kPow10[n];
}

int DecimalDigits(__int128 x) {
  unsigned __int128 a = Abs(x);
  int d = 1;
  while (d < 39 && a >= UPow10(d)) ++d;
  return d;
}

bool FitsPrecision(__int128 x, int precision) {
  return precision >= 39 || Abs(x) < UPow10(precision);
}

std::optional<__int128> ScaleUp(__int128 x, int n) {
  if (n == 0 || x == 0) return x;
  if (n > 38) return std::nullopt;
  __int128 r;
  if (__builtin_mul_overflow(x, kPow10[n], &r)) return std::nullopt;
  return r;
}

__int128 ScaleDownTruncated(__int128 x, int n) {
  if (n == 0) return x;
  if (n > 38) return 0;
  return x / kPow10[n];
}

__int128 ScaleDownRounded(__int128 x, int n) {
  if (n == 0) return x;
  if (n > 38) return 0;
  __int128 q = x / kPow10[n];
  __int128 r = x % kPow10[n];
  if (Abs(r) * 2 >= UPow10(n)) q += x < 0 ? -1 : 1;
  return q;
}

std::optional<__int128> Rescale(__int128 x, int from_scale, int to_scale, int precision) {
  std::optional<__int128> r;
  if (to_scale >= from_scale) {
    r = ScaleUp(x, to_scale - from_scale);
  } else {
    r = ScaleDownRounded(x, from_scale - to_scale);
  }
  if (!r || !FitsPrecision(*r, precision)) return std::nullopt;
  return r;
}

int CompareDecimals(__int128 a, int sa, __int128 b, int sb) {
  if (sa < sb) {
    auto up = ScaleUp(a, sb - sa);
    if (!up) return a > 0 ? 1 : -1;  // |a·10^k| exceeds every 38-digit value
    a = *up;
  } else if (sb < sa) {
    auto up = ScaleUp(b, sa - sb);
    if (!up) return b > 0 ? -1 : 1;
    b = *up;
  }
  return a < b ? -1 : (b < a ? 1 : 0);
}

double DecimalToDouble(__int128 x, int scale) {
  constexpr unsigned __int128 kExact = static_cast<unsigned __int128>(1) << 53;
  if (Abs(x) < kExact && scale >= 0 && scale <= 22) {
    // Both operands are exact doubles, so the one division rounds correctly.
    static constexpr double kPow10d[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                         1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                         1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    return static_cast<double>(static_cast<int64_t>(x)) / kPow10d[scale];
  }
  std::string text = columnar::FormatDecimal(x, scale);
  return std::strtod(text.c_str(), nullptr);
}

std::optional<__int128> DoubleToDecimal(double d, int precision, int scale) {
  if (!std::isfinite(d)) return std::nullopt;
  if (d == 0) return 0;
  // Shortest round-trip digits (as Java's Double.toString, which Spark's cast uses), then
  // exact HALF_UP rounding on those digits.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, res.ptr - buf);
  bool neg = sci[0] == '-';
  if (neg) sci.remove_prefix(1);
  size_t e_pos = sci.find('e');
  std::string digits;
  for (size_t i = 0; i < e_pos; ++i) {
    if (sci[i] != '.') digits.push_back(sci[i]);
  }
  int exp10 = 0;
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+'), sci.data() + sci.size(), exp10);
  // value = digits × 10^(exp10 - (len - 1)); unscaled = value × 10^scale.
  int shift = exp10 - (static_cast<int>(digits.size()) - 1) + scale;
  __int128 unscaled = 0;
  if (shift >= 0) {
    if (shift > 38) return std::nullopt;
    for (char c : digits) unscaled = unscaled * 10 + (c - '0');
    auto up = ScaleUp(unscaled, shift);
    if (!up) return std::nullopt;
    unscaled = *up;
  } else {
    int keep = static_cast<int>(digits.size()) + shift;
    if (keep < 0) return 0;
    for (int i = 0; i < keep; ++i) unscaled = unscaled * 10 + (digits[i] - '0');
    if (digits[keep] >= '5') ++unscaled;
  }
  if (!FitsPrecision(unscaled, precision)) return std::nullopt;
  return neg ? -unscaled : unscaled;
}

int IntegerDecimalDigits(int byte_width) {
  switch (byte_width) {
    case 1:
      return 3;
    case 2:
      return 5;
    case 4:
      return 10;
    default:
      return 19;
  }
}

}  // namespace cpglake::expr::internal
