#include "columnar/value.h"

#include <xxhash.h>

#include <cmath>
#include <cstring>

#include "columnar/value_format.h"
#include "common/error.h"

namespace cpglake::columnar {

Value Value::Null(TypePtr type) {
  Value v;
  v.type_ = std::move(type);
  return v;
}

Value Value::Boolean(bool b) {
  Value v;
  v.type_ = DataType::Boolean();
  v.is_null_ = false;
  v.i_ = b ? 1 : 0;
  return v;
}

Value Value::Integer(TypePtr type, int64_t x) {
  Value v;
  v.type_ = std::move(type);
  v.is_null_ = false;
  v.i_ = x;
  return v;
}

Value Value::Float32(float x) {
  Value v;
  v.type_ = DataType::Float32();
  v.is_null_ = false;
  v.d_ = x;
  return v;
}

Value Value::Float64(double x) {
  Value v;
  v.type_ = DataType::Float64();
  v.is_null_ = false;
  v.d_ = x;
  return v;
}

Value Value::Decimal(__int128 unscaled, int precision, int scale) {
  Value v;
  v.type_ = DataType::Decimal(precision, scale);
  v.is_null_ = false;
  v.i_ = unscaled;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.type_ = DataType::String();
  v.is_null_ = false;
  v.s_ = std::move(s);
  return v;
}

Value Value::Binary(std::string s) {
  Value v;
  v.type_ = DataType::Binary();
  v.is_null_ = false;
  v.s_ = std::move(s);
  return v;
}

Value Value::Nested(TypePtr type, std::vector<Value> children) {
  Value v;
  v.type_ = std::move(type);
  v.is_null_ = false;
  v.children_ = std::move(children);
  return v;
}

std::string Value::ToString() const {
  if (is_null_) return "NULL";
  auto col = Column::Make(type_);
  AppendValue(*col, *this);
  return FormatCell(*col, 0);
}

bool Value::operator==(const Value& o) const {
  return type_->Equals(*o.type_) && CompareValues(*this, o) == 0;
}

Value GetValue(const Column& c, int64_t i) {
  const TypePtr& t = c.type();
  if (c.IsNull(i) || t->id() == TypeId::kNull) return Value::Null(t);
  switch (t->id()) {
    case TypeId::kBoolean:
      return Value::Boolean(c.GetBool(i));
    case TypeId::kInt8:
      return Value::Integer(t, c.Get<int8_t>(i));
    case TypeId::kInt16:
      return Value::Integer(t, c.Get<int16_t>(i));
    case TypeId::kInt32:
    case TypeId::kDate:
      return Value::Integer(t, c.Get<int32_t>(i));
    case TypeId::kInt64:
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz:
      return Value::Integer(t, c.Get<int64_t>(i));
    case TypeId::kFloat32:
      return Value::Float32(c.Get<float>(i));
    case TypeId::kFloat64:
      return Value::Float64(c.Get<double>(i));
    case TypeId::kDecimal:
      return Value::Decimal(c.Get<__int128>(i), t->precision(), t->scale());
    case TypeId::kString:
      return Value::String(std::string(c.GetString(i)));
    case TypeId::kBinary:
      return Value::Binary(std::string(c.GetString(i)));
    case TypeId::kStruct: {
      std::vector<Value> ch;
      for (size_t k = 0; k < c.num_children(); ++k) ch.push_back(GetValue(c.child(k), i));
      return Value::Nested(t, std::move(ch));
    }
    case TypeId::kList:
    case TypeId::kMap: {
      std::vector<Value> ch;
      for (int64_t e = c.ListBegin(i); e < c.ListEnd(i); ++e) {
        for (size_t k = 0; k < c.num_children(); ++k) ch.push_back(GetValue(c.child(k), e));
      }
      return Value::Nested(t, std::move(ch));
    }
    case TypeId::kNull:
      break;
  }
  return Value::Null(t);
}

namespace {

bool IsIntegerLike(TypeId id) {
  return id == TypeId::kInt8 || id == TypeId::kInt16 || id == TypeId::kInt32 ||
         id == TypeId::kInt64;
}

[[noreturn]] void CannotAppend(const Column& c, const Value& v) {
  throw InvalidInput("cannot store a " + v.type()->ToString() + " value in a " +
                     c.type()->ToString() + " column");
}

template <typename T>
void AppendInteger(Column& c, const Value& v) {
  if (!IsIntegerLike(v.type_id())) CannotAppend(c, v);
  int64_t x = v.as_int();
  if (x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max()) {
    throw InvalidInput("value " + std::to_string(x) + " is out of range for " +
                       c.type()->ToString());
  }
  c.Append<T>(static_cast<T>(x));
}

}  // namespace

void AppendValue(Column& c, const Value& v) {
  const TypeId id = c.type_id();
  if (v.is_null()) {
    c.AppendNull();
    return;
  }
  switch (id) {
    case TypeId::kNull:
      CannotAppend(c, v);
    case TypeId::kBoolean:
      if (v.type_id() != TypeId::kBoolean) CannotAppend(c, v);
      c.AppendBool(v.as_bool());
      return;
    case TypeId::kInt8:
      AppendInteger<int8_t>(c, v);
      return;
    case TypeId::kInt16:
      AppendInteger<int16_t>(c, v);
      return;
    case TypeId::kInt32:
      AppendInteger<int32_t>(c, v);
      return;
    case TypeId::kInt64:
      AppendInteger<int64_t>(c, v);
      return;
    case TypeId::kDate:
      if (v.type_id() != TypeId::kDate) CannotAppend(c, v);
      c.Append<int32_t>(static_cast<int32_t>(v.as_int()));
      return;
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz:
      if (v.type_id() != id) CannotAppend(c, v);
      c.Append<int64_t>(v.as_int());
      return;
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      double d;
      if (v.type_id() == TypeId::kFloat32 || v.type_id() == TypeId::kFloat64) {
        d = v.as_double();
      } else if (IsIntegerLike(v.type_id())) {
        d = static_cast<double>(v.as_int());
      } else {
        CannotAppend(c, v);
      }
      if (id == TypeId::kFloat32) {
        c.Append<float>(static_cast<float>(d));
      } else {
        c.Append<double>(d);
      }
      return;
    }
    case TypeId::kDecimal: {
      __int128 x;
      if (v.type_id() == TypeId::kDecimal) {
        int from = v.type()->scale(), to = c.type()->scale();
        x = v.as_decimal();
        for (int s = from; s < to; ++s) x *= 10;
        for (int s = to; s < from; ++s) {
          if (x % 10 != 0) CannotAppend(c, v);
          x /= 10;
        }
      } else if (IsIntegerLike(v.type_id())) {
        x = v.as_int();
        for (int s = 0; s < c.type()->scale(); ++s) x *= 10;
      } else {
        CannotAppend(c, v);
      }
      c.Append<__int128>(x);
      return;
    }
    case TypeId::kString:
    case TypeId::kBinary:
      if (v.type_id() != TypeId::kString && v.type_id() != TypeId::kBinary) CannotAppend(c, v);
      c.AppendString(v.as_string());
      return;
    case TypeId::kStruct: {
      if (v.type_id() != TypeId::kStruct || v.children().size() != c.num_children()) {
        CannotAppend(c, v);
      }
      for (size_t k = 0; k < c.num_children(); ++k)
        AppendValue(c.mutable_child(k), v.children()[k]);
      c.CloseStruct();
      return;
    }
    case TypeId::kList:
    case TypeId::kMap: {
      if (v.type_id() != id || v.children().size() % c.num_children() != 0) CannotAppend(c, v);
      for (size_t e = 0; e < v.children().size(); ++e) {
        AppendValue(c.mutable_child(e % c.num_children()), v.children()[e]);
      }
      c.CloseList();
      return;
    }
  }
}

namespace {

template <typename T>
int Cmp(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int CompareDoubles(double a, double b) {
  bool na = std::isnan(a), nb = std::isnan(b);
  if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
  return Cmp(a, b);  // -0.0 == 0.0
}

int CompareBytes(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  int r = n ? std::memcmp(a.data(), b.data(), n) : 0;
  if (r != 0) return r < 0 ? -1 : 1;
  return Cmp(a.size(), b.size());
}

bool IsFloat(TypeId id) {
  return id == TypeId::kFloat32 || id == TypeId::kFloat64;
}

}  // namespace

int CompareValues(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() == b.is_null() ? 0 : (a.is_null() ? -1 : 1);
  TypeId ta = a.type_id(), tb = b.type_id();
  if (IsFloat(ta) || IsFloat(tb)) {
    double da = IsFloat(ta) ? a.as_double() : static_cast<double>(a.as_int());
    double db = IsFloat(tb) ? b.as_double() : static_cast<double>(b.as_int());
    return CompareDoubles(da, db);
  }
  if (ta == TypeId::kDecimal || tb == TypeId::kDecimal) {
    // Bring both to the larger scale.
    int sa = ta == TypeId::kDecimal ? a.type()->scale() : 0;
    int sb = tb == TypeId::kDecimal ? b.type()->scale() : 0;
    __int128 xa = ta == TypeId::kDecimal ? a.as_decimal() : a.as_int();
    __int128 xb = tb == TypeId::kDecimal ? b.as_decimal() : b.as_int();
    for (; sa < sb; ++sa) xa *= 10;
    for (; sb < sa; ++sb) xb *= 10;
    return Cmp(xa, xb);
  }
  switch (ta) {
    case TypeId::kString:
    case TypeId::kBinary:
      return CompareBytes(a.as_string(), b.as_string());
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap: {
      const auto& ca = a.children();
      const auto& cb = b.children();
      for (size_t k = 0; k < ca.size() && k < cb.size(); ++k) {
        int r = CompareValues(ca[k], cb[k]);
        if (r) return r;
      }
      return Cmp(ca.size(), cb.size());
    }
    default:
      return Cmp(a.as_decimal(), b.as_decimal());
  }
}

int CompareRows(const Column& a, int64_t i, const Column& b, int64_t j) {
  bool va = a.IsValid(i), vb = b.IsValid(j);
  if (!va || !vb) return va == vb ? 0 : (va ? 1 : -1);
  TypeId id = a.type_id();
  if (id == b.type_id()) {
    switch (id) {
      case TypeId::kBoolean:
        return Cmp(a.GetBool(i), b.GetBool(j));
      case TypeId::kInt8:
        return Cmp(a.Get<int8_t>(i), b.Get<int8_t>(j));
      case TypeId::kInt16:
        return Cmp(a.Get<int16_t>(i), b.Get<int16_t>(j));
      case TypeId::kInt32:
      case TypeId::kDate:
        return Cmp(a.Get<int32_t>(i), b.Get<int32_t>(j));
      case TypeId::kInt64:
      case TypeId::kTimestamp:
      case TypeId::kTimestampNtz:
        return Cmp(a.Get<int64_t>(i), b.Get<int64_t>(j));
      case TypeId::kFloat32:
        return CompareDoubles(a.Get<float>(i), b.Get<float>(j));
      case TypeId::kFloat64:
        return CompareDoubles(a.Get<double>(i), b.Get<double>(j));
      case TypeId::kString:
      case TypeId::kBinary:
        return CompareBytes(a.GetString(i), b.GetString(j));
      case TypeId::kNull:
        return 0;
      default:
        break;
    }
  }
  return CompareValues(GetValue(a, i), GetValue(b, j));
}

uint64_t HashRow(const Column& c, int64_t i, uint64_t seed) {
  if (c.IsNull(i)) return XXH3_64bits_withSeed("\0null", 5, seed);
  switch (c.type_id()) {
    case TypeId::kBoolean: {
      uint8_t b = c.GetBool(i);
      return XXH3_64bits_withSeed(&b, 1, seed);
    }
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kDate:
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz: {
      int64_t x = GetValue(c, i).as_int();  // equal values of any width hash alike
      return XXH3_64bits_withSeed(&x, sizeof x, seed);
    }
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      double d = c.type_id() == TypeId::kFloat32 ? c.Get<float>(i) : c.Get<double>(i);
      if (d == 0) d = 0;                    // -0.0 hashes as 0.0
      if (std::isnan(d)) d = std::nan("");  // one NaN
      return XXH3_64bits_withSeed(&d, sizeof d, seed);
    }
    case TypeId::kDecimal: {
      __int128 x = c.Get<__int128>(i);
      return XXH3_64bits_withSeed(&x, sizeof x, seed);
    }
    case TypeId::kString:
    case TypeId::kBinary: {
      auto s = c.GetString(i);
      return XXH3_64bits_withSeed(s.data(), s.size(), seed);
    }
    case TypeId::kStruct: {
      uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL;
      for (size_t k = 0; k < c.num_children(); ++k) h = HashRow(c.child(k), i, h);
      return h;
    }
    case TypeId::kList:
    case TypeId::kMap: {
      uint64_t h = seed ^ 0x51ed27f0b5a1c3d9ULL;
      for (int64_t e = c.ListBegin(i); e < c.ListEnd(i); ++e) {
        for (size_t k = 0; k < c.num_children(); ++k) h = HashRow(c.child(k), e, h);
      }
      return h;
    }
    case TypeId::kNull:
      break;
  }
  return seed;
}

}  // namespace cpglake::columnar
