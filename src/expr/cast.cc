#include "expr/cast.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "columnar/value_format.h"
#include "common/error.h"
#include "expr/decimal_internal.h"
#include "expr/expression.h"

namespace cpglake::expr {

using columnar::Column;
using columnar::ColumnPtr;
using columnar::DataType;
using columnar::TypeId;
using columnar::TypePtr;
using columnar::Value;

namespace {

constexpr int64_t kMicrosPerDay = 86400LL * 1000000LL;

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// Reads `min`..`max` digits at text[*i]; nullopt when fewer than `min`.
std::optional<int64_t> ReadDigits(std::string_view text, size_t* i, int min, int max) {
  int64_t v = 0;
  int n = 0;
  while (*i < text.size() && n < max && IsDigit(text[*i])) {
    v = v * 10 + (text[*i] - '0');
    ++*i;
    ++n;
  }
  if (n < min) return std::nullopt;
  return v;
}

bool IsLeap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int DaysInMonth(int64_t y, int64_t m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

std::optional<int32_t> ParseDatePart(std::string_view text, size_t* i) {
  bool neg = false;
  if (*i < text.size() && (text[*i] == '+' || text[*i] == '-')) {
    neg = text[*i] == '-';
    ++*i;
  }
  auto y = ReadDigits(text, i, 4, 6);
  if (!y || *i >= text.size() || text[*i] != '-') return std::nullopt;
  ++*i;
  auto m = ReadDigits(text, i, 1, 2);
  if (!m || *i >= text.size() || text[*i] != '-') return std::nullopt;
  ++*i;
  auto d = ReadDigits(text, i, 1, 2);
  if (!d) return std::nullopt;
  int64_t year = neg ? -*y : *y;
  if (*m < 1 || *m > 12 || *d < 1 || *d > DaysInMonth(year, *m)) return std::nullopt;
  return static_cast<int32_t>(
      columnar::DaysFromCivil(year, static_cast<unsigned>(*m), static_cast<unsigned>(*d)));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::optional<int32_t> ParseDateText(std::string_view text, bool allow_time_suffix) {
  size_t i = 0;
  auto days = ParseDatePart(text, &i);
  if (!days) return std::nullopt;
  if (i < text.size() && !(allow_time_suffix && (text[i] == ' ' || text[i] == 'T'))) {
    return std::nullopt;
  }
  return days;
}

std::optional<int64_t> ParseTimestampText(std::string_view text, bool allow_zone) {
  size_t i = 0;
  auto days = ParseDatePart(text, &i);
  if (!days) return std::nullopt;
  int64_t micros_of_day = 0;
  if (i < text.size() && (text[i] == ' ' || text[i] == 'T')) {
    ++i;
    auto hh = ReadDigits(text, &i, 1, 2);
    if (!hh || *hh > 23 || i >= text.size() || text[i] != ':') return std::nullopt;
    ++i;
    auto mm = ReadDigits(text, &i, 2, 2);
    if (!mm || *mm > 59) return std::nullopt;
    int64_t ss = 0, frac = 0;
    if (i < text.size() && text[i] == ':') {
      ++i;
      auto s = ReadDigits(text, &i, 2, 2);
      if (!s || *s > 59) return std::nullopt;
      ss = *s;
      if (i < text.size() && text[i] == '.') {
        ++i;
        int n = 0;
        while (i < text.size() && IsDigit(text[i])) {
          if (n < 6) frac = frac * 10 + (text[i] - '0');
          ++n;
          ++i;
        }
        if (n == 0 || n > 9) return std::nullopt;
        for (; n < 6; ++n) frac *= 10;
      }
    }
    micros_of_day = ((*hh * 60 + *mm) * 60 + ss) * 1000000 + frac;
  }
  int64_t offset_micros = 0;
  if (i < text.size()) {
    if (!allow_zone) return std::nullopt;
    std::string_view zone = text.substr(i);
    if (!zone.empty() && zone[0] == ' ') zone.remove_prefix(1);
    if (zone == "Z" || zone == "z" || EqualsIgnoreCase(zone, "UTC")) {
      // no offset
    } else if (!zone.empty() && (zone[0] == '+' || zone[0] == '-')) {
      size_t j = 1;
      auto oh = ReadDigits(zone, &j, 2, 2);
      if (!oh || *oh > 18) return std::nullopt;
      int64_t om = 0;
      if (j < zone.size()) {
        if (zone[j] == ':') ++j;
        auto m = ReadDigits(zone, &j, 2, 2);
        if (!m || *m > 59) return std::nullopt;
        om = *m;
      }
      if (j != zone.size()) return std::nullopt;
      offset_micros = (*oh * 60 + om) * 60 * 1000000 * (zone[0] == '-' ? -1 : 1);
    } else {
      return std::nullopt;
    }
  }
  int64_t r;
  if (__builtin_mul_overflow(static_cast<int64_t>(*days), kMicrosPerDay, &r) ||
      __builtin_add_overflow(r, micros_of_day, &r) ||
      __builtin_sub_overflow(r, offset_micros, &r)) {
    return std::nullopt;
  }
  return r;
}

std::optional<Value> ParseNumber(std::string_view text) {
  size_t i = 0;
  bool neg = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    neg = text[i] == '-';
    ++i;
  }
  std::string digits;  // integer and fraction digits, no leading zeros
  int frac_digits = 0;
  bool any_digit = false, dot = false, exponent = false;
  for (; i < text.size() && IsDigit(text[i]); ++i) {
    any_digit = true;
    if (!digits.empty() || text[i] != '0') digits.push_back(text[i]);
  }
  if (i < text.size() && text[i] == '.') {
    dot = true;
    for (++i; i < text.size() && IsDigit(text[i]); ++i) {
      any_digit = true;
      ++frac_digits;
      if (!digits.empty() || text[i] != '0') digits.push_back(text[i]);
    }
  }
  if (!any_digit) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    exponent = true;
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i == start) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  if (exponent || digits.size() > 38 || frac_digits > 38) {
    std::string_view body = text;
    if (!body.empty() && body[0] == '+') body.remove_prefix(1);
    double d = 0;
    auto res = std::from_chars(body.data(), body.data() + body.size(), d);
    if (res.ec != std::errc() || res.ptr != body.data() + body.size() || std::isinf(d)) {
      return std::nullopt;
    }
    return Value::Float64(d);
  }
  __int128 unscaled = 0;
  for (char c : digits) unscaled = unscaled * 10 + (c - '0');
  if (neg) unscaled = -unscaled;
  if (!dot) {
    if (unscaled >= std::numeric_limits<int32_t>::min() &&
        unscaled <= std::numeric_limits<int32_t>::max()) {
      return Value::Int32(static_cast<int32_t>(unscaled));
    }
    if (unscaled >= std::numeric_limits<int64_t>::min() &&
        unscaled <= std::numeric_limits<int64_t>::max()) {
      return Value::Int64(static_cast<int64_t>(unscaled));
    }
    return Value::Decimal(unscaled, internal::DecimalDigits(unscaled), 0);
  }
  int precision = std::max({internal::DecimalDigits(unscaled), frac_digits, 1});
  return Value::Decimal(unscaled, precision, frac_digits);
}

// --- CanCast / CastValue ---------------------------------------------------------------

namespace {

bool IsTextType(TypeId id) {
  return id == TypeId::kString || id == TypeId::kBinary;
}

std::pair<int64_t, int64_t> IntegerRange(TypeId id) {
  switch (id) {
    case TypeId::kInt8:
      return {std::numeric_limits<int8_t>::min(), std::numeric_limits<int8_t>::max()};
    case TypeId::kInt16:
      return {std::numeric_limits<int16_t>::min(), std::numeric_limits<int16_t>::max()};
    case TypeId::kInt32:
      return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
    default:
      return {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  }
}

std::optional<Value> IntegerValue(const TypePtr& to, __int128 x) {
  auto [lo, hi] = IntegerRange(to->id());
  if (x < lo || x > hi) return std::nullopt;
  return Value::Integer(to, static_cast<int64_t>(x));
}

std::optional<Value> FloatValue(const TypePtr& to, double d) {
  if (to->id() == TypeId::kFloat32) return Value::Float32(static_cast<float>(d));
  return Value::Float64(d);
}

std::string FloatText(double d, bool is_float32) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto res = is_float32 ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(d))
                        : std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string TimestampCastText(int64_t micros) {
  std::string s = columnar::FormatTimestamp(micros, false);
  size_t t = s.find('T');
  if (t != std::string::npos) s[t] = ' ';
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
  }
  return s;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// The value of a numeric Value as a double.
double NumericAsDouble(const Value& v) {
  TypeId id = v.type_id();
  if (columnar::IsFloatType(id)) return v.as_double();
  if (id == TypeId::kDecimal) return internal::DecimalToDouble(v.as_decimal(), v.type()->scale());
  return static_cast<double>(v.as_int());
}

std::optional<Value> CastFromString(const Value& v, const TypePtr& to) {
  std::string_view s = Trim(v.as_string());
  switch (to->id()) {
    case TypeId::kBoolean: {
      for (std::string_view t : {"t", "true", "y", "yes", "1"}) {
        if (EqualsIgnoreCase(s, t)) return Value::Boolean(true);
      }
      for (std::string_view f : {"f", "false", "n", "no", "0"}) {
        if (EqualsIgnoreCase(s, f)) return Value::Boolean(false);
      }
      return std::nullopt;
    }
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      std::string_view body = s;
      bool neg = false;
      if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
        neg = body[0] == '-';
        body.remove_prefix(1);
      }
      if (EqualsIgnoreCase(body, "nan")) return FloatValue(to, std::nan(""));
      if (EqualsIgnoreCase(body, "infinity") || EqualsIgnoreCase(body, "inf")) {
        double inf = std::numeric_limits<double>::infinity();
        return FloatValue(to, neg ? -inf : inf);
      }
      if (!ParseNumber(s)) return std::nullopt;
      std::string_view num = s;
      if (!num.empty() && num[0] == '+') num.remove_prefix(1);
      if (to->id() == TypeId::kFloat32) {
        float f = 0;
        auto res = std::from_chars(num.data(), num.data() + num.size(), f);
        if (res.ec != std::errc() && res.ec != std::errc::result_out_of_range) return std::nullopt;
        return Value::Float32(f);
      }
      double d = 0;
      auto res = std::from_chars(num.data(), num.data() + num.size(), d);
      if (res.ec != std::errc() && res.ec != std::errc::result_out_of_range) return std::nullopt;
      return Value::Float64(d);
    }
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kDecimal: {
      auto n = ParseNumber(s);
      if (!n) return std::nullopt;
      return CastValue(*n, to);
    }
    case TypeId::kDate: {
      auto d = ParseDateText(s, true);
      if (!d) return std::nullopt;
      return Value::Date(*d);
    }
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz: {
      auto t = ParseTimestampText(s, to->id() == TypeId::kTimestamp);
      if (!t) return std::nullopt;
      return Value::Integer(to, *t);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

bool CanCast(const DataType& from, const DataType& to) {
  TypeId f = from.id(), t = to.id();
  if (f == TypeId::kNull || from.Equals(to)) return true;
  if (from.is_nested() || to.is_nested() || t == TypeId::kNull) return false;
  if (t == TypeId::kString) return true;  // every primitive has a text form
  if (f == TypeId::kString) return true;  // parsed (NULL when malformed)
  switch (t) {
    case TypeId::kBoolean:
      return columnar::IsNumericType(f);
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kFloat32:
    case TypeId::kFloat64:
    case TypeId::kDecimal:
      return columnar::IsNumericType(f) || f == TypeId::kBoolean;
    case TypeId::kBinary:
      return IsTextType(f);
    case TypeId::kDate:
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz:
      return f == TypeId::kDate || columnar::IsTimestampType(f);
    default:
      return false;
  }
}

std::optional<Value> CastValue(const Value& v, const TypePtr& to) {
  if (v.is_null()) return Value::Null(to);
  const TypeId f = v.type_id(), t = to->id();
  if (v.type()->Equals(*to)) return v;
  if (f == TypeId::kString && t != TypeId::kString && t != TypeId::kBinary) {
    return CastFromString(v, to);
  }
  switch (t) {
    case TypeId::kBoolean:
      if (columnar::IsFloatType(f)) return Value::Boolean(v.as_double() != 0);
      if (columnar::IsIntegerType(f) || f == TypeId::kDecimal)
        return Value::Boolean(v.as_decimal() != 0);
      return std::nullopt;
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
      if (f == TypeId::kBoolean || columnar::IsIntegerType(f)) return IntegerValue(to, v.as_int());
      if (f == TypeId::kDecimal) {
        return IntegerValue(to, internal::ScaleDownTruncated(v.as_decimal(), v.type()->scale()));
      }
      if (columnar::IsFloatType(f)) {
        double d = std::trunc(v.as_double());
        // [-2^63, 2^63) holds every int64 and excludes NaN.
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return std::nullopt;
        return IntegerValue(to, static_cast<int64_t>(d));
      }
      return std::nullopt;
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      if (columnar::IsNumericType(f)) return FloatValue(to, NumericAsDouble(v));
      if (f == TypeId::kBoolean) return FloatValue(to, v.as_bool() ? 1 : 0);
      return std::nullopt;
    case TypeId::kDecimal: {
      int p = to->precision(), s = to->scale();
      std::optional<__int128> x;
      if (f == TypeId::kBoolean || columnar::IsIntegerType(f)) {
        x = internal::Rescale(v.as_int(), 0, s, p);
      } else if (f == TypeId::kDecimal) {
        x = internal::Rescale(v.as_decimal(), v.type()->scale(), s, p);
      } else if (columnar::IsFloatType(f)) {
        x = internal::DoubleToDecimal(v.as_double(), p, s);
      }
      if (!x) return std::nullopt;
      return Value::Decimal(*x, p, s);
    }
    case TypeId::kString:
      switch (f) {
        case TypeId::kBoolean:
          return Value::String(v.as_bool() ? "true" : "false");
        case TypeId::kInt8:
        case TypeId::kInt16:
        case TypeId::kInt32:
        case TypeId::kInt64:
          return Value::String(std::to_string(v.as_int()));
        case TypeId::kFloat32:
        case TypeId::kFloat64:
          return Value::String(FloatText(v.as_double(), f == TypeId::kFloat32));
        case TypeId::kDecimal:
          return Value::String(columnar::FormatDecimal(v.as_decimal(), v.type()->scale()));
        case TypeId::kBinary:
          return Value::String(v.as_string());
        case TypeId::kDate:
          return Value::String(columnar::FormatDate(static_cast<int32_t>(v.as_int())));
        case TypeId::kTimestamp:
        case TypeId::kTimestampNtz:
          return Value::String(TimestampCastText(v.as_int()));
        default:
          return std::nullopt;
      }
    case TypeId::kBinary:
      if (IsTextType(f)) return Value::Binary(v.as_string());
      return std::nullopt;
    case TypeId::kDate:
      if (columnar::IsTimestampType(f)) {
        return Value::Date(static_cast<int32_t>(FloorDiv(v.as_int(), kMicrosPerDay)));
      }
      return std::nullopt;
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz:
      if (columnar::IsTimestampType(f)) return Value::Integer(to, v.as_int());
      if (f == TypeId::kDate) {
        int64_t r;
        if (__builtin_mul_overflow(v.as_int(), kMicrosPerDay, &r)) return std::nullopt;
        return Value::Integer(to, r);
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// --- CastColumn ------------------------------------------------------------------------

namespace {

// Calls f(T{}) with T the physical type of an integer-like column.
template <typename F>
decltype(auto) VisitIntegerWidth(TypeId id, F&& f) {
  switch (id) {
    case TypeId::kInt8:
      return f(int8_t{});
    case TypeId::kInt16:
      return f(int16_t{});
    case TypeId::kInt32:
    case TypeId::kDate:
      return f(int32_t{});
    default:
      return f(int64_t{});
  }
}

[[noreturn]] void CastFailed(const Column& c, int64_t i, const TypePtr& to) {
  throw InvalidInput("cannot cast " + FormatLiteral(columnar::GetValue(c, i)) + " to " +
                     SqlTypeName(*to));
}

// Maps a fixed-width column through `f(in, &out) -> bool` (false: the row becomes NULL).
// Null slots may hold any bits, so `f` must be safe on every input.
template <typename From, typename To, typename F>
ColumnPtr MapFixed(const Column& c, const TypePtr& to, bool error_on_failure, F f) {
  const int64_t n = c.length();
  auto out = Column::Make(to);
  out->data_buffer().resize(static_cast<size_t>(n) * sizeof(To));
  const From* in = c.data<From>();
  To* o = out->mutable_data<To>();
  columnar::Bitmap validity = c.validity();
  for (int64_t i = 0; i < n; ++i) {
    if (!f(in[i], &o[i])) {
      o[i] = To{};
      if (!c.IsValid(i)) continue;
      if (error_on_failure) CastFailed(c, i, to);
      if (validity.length() == 0) validity.Resize(n, true);
      validity.Set(i, false);
    }
  }
  out->validity_buffer() = std::move(validity);
  out->SetLength(n);
  return out;
}

ColumnPtr CastGeneric(const Column& c, const TypePtr& to, bool error_on_failure) {
  auto out = Column::Make(to);
  out->Reserve(c.length());
  for (int64_t i = 0; i < c.length(); ++i) {
    if (c.IsNull(i)) {
      out->AppendNull();
      continue;
    }
    auto v = CastValue(columnar::GetValue(c, i), to);
    if (!v) {
      if (error_on_failure) CastFailed(c, i, to);
      out->AppendNull();
    } else {
      columnar::AppendValue(*out, *v);
    }
  }
  return out;
}

}  // namespace

ColumnPtr CastColumn(const ColumnPtr& cp, const TypePtr& to, bool error_on_failure) {
  const Column& c = *cp;
  const TypeId f = c.type_id(), t = to->id();
  if (c.type()->Equals(*to)) return cp;
  if (f == TypeId::kNull) {
    auto out = Column::Make(to);
    out->AppendNulls(c.length());
    return out;
  }
  if (columnar::IsIntegerType(f) && columnar::IsIntegerType(t)) {
    return VisitIntegerWidth(f, [&](auto from_tag) {
      using From = decltype(from_tag);
      return VisitIntegerWidth(t, [&](auto to_tag) {
        using To = decltype(to_tag);
        return MapFixed<From, To>(c, to, error_on_failure, [](From x, To* o) {
          if constexpr (sizeof(From) > sizeof(To)) {
            if (x < std::numeric_limits<To>::min() || x > std::numeric_limits<To>::max()) {
              return false;
            }
          }
          *o = static_cast<To>(x);
          return true;
        });
      });
    });
  }
  if ((columnar::IsIntegerType(f) || f == TypeId::kFloat32) && t == TypeId::kFloat64) {
    if (f == TypeId::kFloat32) {
      return MapFixed<float, double>(c, to, false, [](float x, double* o) {
        *o = x;
        return true;
      });
    }
    return VisitIntegerWidth(f, [&](auto from_tag) {
      using From = decltype(from_tag);
      return MapFixed<From, double>(c, to, false, [](From x, double* o) {
        *o = static_cast<double>(x);
        return true;
      });
    });
  }
  if (columnar::IsIntegerType(f) && t == TypeId::kDecimal &&
      to->precision() - to->scale() >=
          internal::IntegerDecimalDigits(static_cast<int>(c.type()->byte_width()))) {
    // Every value fits: a plain multiplication.
    const __int128 factor = internal::Pow10(to->scale());
    return VisitIntegerWidth(f, [&](auto from_tag) {
      using From = decltype(from_tag);
      return MapFixed<From, __int128>(c, to, false, [factor](From x, __int128* o) {
        *o = static_cast<__int128>(x) * factor;
        return true;
      });
    });
  }
  if (columnar::IsIntegerType(f) && t == TypeId::kDecimal) {
    const int p = to->precision(), s = to->scale();
    return VisitIntegerWidth(f, [&](auto from_tag) {
      using From = decltype(from_tag);
      return MapFixed<From, __int128>(c, to, error_on_failure, [p, s](From x, __int128* o) {
        auto r = internal::Rescale(x, 0, s, p);
        if (!r) return false;
        *o = *r;
        return true;
      });
    });
  }
  if (f == TypeId::kDecimal && t == TypeId::kDecimal && to->scale() >= c.type()->scale() &&
      to->precision() - to->scale() >= c.type()->precision() - c.type()->scale()) {
    // Widening: every value fits (garbage in null slots may wrap, harmlessly).
    const unsigned __int128 factor =
        static_cast<unsigned __int128>(internal::Pow10(to->scale() - c.type()->scale()));
    return MapFixed<__int128, __int128>(c, to, false, [factor](__int128 x, __int128* o) {
      *o = static_cast<__int128>(static_cast<unsigned __int128>(x) * factor);
      return true;
    });
  }
  if (f == TypeId::kDecimal && t == TypeId::kDecimal) {
    const int p = to->precision(), s = to->scale(), fs = c.type()->scale();
    return MapFixed<__int128, __int128>(c, to, error_on_failure,
                                        [p, s, fs](__int128 x, __int128* o) {
                                          auto r = internal::Rescale(x, fs, s, p);
                                          if (!r) return false;
                                          *o = *r;
                                          return true;
                                        });
  }
  if (f == TypeId::kDecimal && t == TypeId::kFloat64) {
    const int fs = c.type()->scale();
    return MapFixed<__int128, double>(c, to, false, [fs](__int128 x, double* o) {
      *o = internal::DecimalToDouble(x, fs);
      return true;
    });
  }
  if (f == TypeId::kDate && columnar::IsTimestampType(t)) {
    return MapFixed<int32_t, int64_t>(c, to, error_on_failure, [](int32_t d, int64_t* o) {
      return !__builtin_mul_overflow(static_cast<int64_t>(d), kMicrosPerDay, o);
    });
  }
  if (columnar::IsTimestampType(f) && columnar::IsTimestampType(t)) {
    return MapFixed<int64_t, int64_t>(c, to, false, [](int64_t x, int64_t* o) {
      *o = x;
      return true;
    });
  }
  if (IsTextType(f) && IsTextType(t)) {
    auto out = Column::Make(to);
    out->data_buffer() = c.data_buffer();
    out->offsets_buffer() = c.offsets();
    out->validity_buffer() = c.validity();
    out->SetLength(c.length());
    return out;
  }
  return CastGeneric(c, to, error_on_failure);
}

}  // namespace cpglake::expr
