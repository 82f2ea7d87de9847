#include "expr/compare.h"

#include <cmath>
#include <cstring>

#include "expr/cast.h"
#include "expr/decimal_internal.h"

namespace cpglake::expr {

using columnar::TypeId;
using columnar::Value;

namespace {

enum class Kind { kNumber, kBoolean, kBytes, kTemporal, kOther };

Kind KindOf(TypeId id) {
  switch (id) {
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kFloat32:
    case TypeId::kFloat64:
    case TypeId::kDecimal:
      return Kind::kNumber;
    case TypeId::kBoolean:
      return Kind::kBoolean;
    case TypeId::kString:
    case TypeId::kBinary:
      return Kind::kBytes;
    case TypeId::kDate:
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz:
      return Kind::kTemporal;
    default:
      return Kind::kOther;
  }
}

template <typename T>
int Cmp(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int CompareDoubles(double a, double b) {
  bool na = std::isnan(a), nb = std::isnan(b);
  if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
  return Cmp(a, b);
}

double AsDouble(const Value& v) {
  if (columnar::IsFloatType(v.type_id())) return v.as_double();
  if (v.type_id() == TypeId::kDecimal) {
    return internal::DecimalToDouble(v.as_decimal(), v.type()->scale());
  }
  return static_cast<double>(v.as_int());
}

int CompareNumbers(const Value& a, const Value& b) {
  if (columnar::IsFloatType(a.type_id()) || columnar::IsFloatType(b.type_id()))
    return CompareDoubles(AsDouble(a), AsDouble(b));
  int sa = a.type_id() == TypeId::kDecimal ? a.type()->scale() : 0;
  int sb = b.type_id() == TypeId::kDecimal ? b.type()->scale() : 0;
  return internal::CompareDecimals(a.as_decimal(), sa, b.as_decimal(), sb);
}

__int128 TemporalMicros(const Value& v) {
  if (v.type_id() == TypeId::kDate) return static_cast<__int128>(v.as_int()) * 86400000000LL;
  return v.as_int();
}

int CompareBytes(const std::string& a, const std::string& b) {
  size_t n = std::min(a.size(), b.size());
  int r = n ? std::memcmp(a.data(), b.data(), n) : 0;
  if (r != 0) return r < 0 ? -1 : 1;
  return Cmp(a.size(), b.size());
}

// `s` (a string) read as a value comparable with `other`; nullopt when it does not parse.
std::optional<Value> ParseAs(const Value& s, const Value& other) {
  switch (KindOf(other.type_id())) {
    case Kind::kNumber: {
      std::string_view t = s.as_string();
      while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
      while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
      if (auto n = ParseNumber(t)) return n;
      return CastValue(s, columnar::DataType::Float64());  // NaN, Infinity
    }
    case Kind::kBoolean:
    case Kind::kTemporal:
      return CastValue(s, other.type());
    default:
      return std::nullopt;
  }
}

}  // namespace

std::optional<int> CompareScalars(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return std::nullopt;
  Kind ka = KindOf(a.type_id()), kb = KindOf(b.type_id());
  if (ka != kb) {
    if (a.type_id() == TypeId::kString) {
      auto pa = ParseAs(a, b);
      if (!pa || pa->is_null()) return std::nullopt;
      return CompareScalars(*pa, b);
    }
    if (b.type_id() == TypeId::kString) {
      auto pb = ParseAs(b, a);
      if (!pb || pb->is_null()) return std::nullopt;
      return CompareScalars(a, *pb);
    }
    return std::nullopt;
  }
  switch (ka) {
    case Kind::kNumber:
      return CompareNumbers(a, b);
    case Kind::kBoolean:
      return Cmp(a.as_bool(), b.as_bool());
    case Kind::kBytes:
      return CompareBytes(a.as_string(), b.as_string());
    case Kind::kTemporal:
      return Cmp(TemporalMicros(a), TemporalMicros(b));
    case Kind::kOther:
      break;
  }
  return std::nullopt;
}

}  // namespace cpglake::expr
