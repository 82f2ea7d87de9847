#include "expr/evaluator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

#include <xxhash.h>

#include "common/error.h"
#include "expr/binder.h"
#include "expr/cast.h"
#include "expr/compare.h"
#include "expr/decimal_internal.h"

namespace cpglake::expr {

using columnar::Bitmap;
using columnar::Column;
using columnar::ColumnPtr;
using columnar::DataType;
using columnar::RecordBatch;
using columnar::TypeId;
using columnar::TypePtr;
using columnar::Value;

namespace {

// An intermediate result: one value for every row (scalar) or a column.
struct Datum {
  bool scalar = false;
  Value value;
  ColumnPtr column;

  static Datum Scalar(Value v) {
    Datum d;
    d.scalar = true;
    d.value = std::move(v);
    return d;
  }
  static Datum Of(ColumnPtr c) {
    Datum d;
    d.column = std::move(c);
    return d;
  }
  const TypePtr& type() const { return scalar ? value.type() : column->type(); }
};

// --- Column helpers --------------------------------------------------------------------

ColumnPtr Broadcast(const Value& v, int64_t n) {
  auto out = Column::Make(v.type());
  if (v.is_null() || v.type_id() == TypeId::kNull) {
    out->AppendNulls(n);
    return out;
  }
  out->Reserve(n);
  for (int64_t i = 0; i < n; ++i) columnar::AppendValue(*out, v);
  return out;
}

// Validity of rows valid in both (empty bitmaps mean all valid). Works a word at a time:
// only the rows `b` invalidates are touched.
Bitmap AndValidity(const Bitmap& a, const Bitmap& b, int64_t n) {
  if (a.length() == 0) return b;
  if (b.length() == 0) return a;
  Bitmap out = a;
  const auto& aw = a.words();
  const auto& bw = b.words();
  for (size_t k = 0; k < bw.size(); ++k) {
    uint64_t clear = aw[k] & ~bw[k];  // bits past n are zero in aw
    while (clear) {
      out.Set(static_cast<int64_t>(k * 64) + __builtin_ctzll(clear), false);
      clear &= clear - 1;
    }
  }
  return out;
}

// The rows where data[i] != 0 and the row is valid, as a bitmap.
Bitmap TrueRows(const uint8_t* data, const Bitmap& validity, int64_t n) {
  Bitmap out(n, false);
  const uint64_t* vw = validity.length() > 0 ? validity.words().data() : nullptr;
  for (int64_t base = 0; base < n; base += 64) {
    const int64_t m = std::min<int64_t>(64, n - base);
    uint64_t w = 0;
    if (m == 64) {
      // Eight bytes at a time: the high bit of each nonzero byte, gathered into 8 bits.
      for (int j = 0; j < 8; ++j) {
        uint64_t x;
        std::memcpy(&x, data + base + j * 8, 8);
        constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL, kHigh = 0x8080808080808080ULL;
        uint64_t nonzero = (((x & kLow7) + kLow7) | x) & kHigh;
        w |= (((nonzero >> 7) * 0x0102040810204080ULL) >> 56) << (j * 8);
      }
    } else {
      for (int64_t j = 0; j < m; ++j) w |= static_cast<uint64_t>(data[base + j] != 0) << j;
    }
    if (vw) w &= vw[base >> 6];
    while (w) {
      out.Set(base + __builtin_ctzll(w), true);
      w &= w - 1;
    }
  }
  return out;
}

// A BOOLEAN column of n rows whose values the caller writes into the returned pointer.
struct BoolBuilder {
  ColumnPtr column;
  uint8_t* data;

  explicit BoolBuilder(int64_t n) : column(Column::Make(DataType::Boolean())) {
    column->data_buffer().resize(static_cast<size_t>(n));
    data = column->mutable_data<uint8_t>();
  }
  Datum Finish(Bitmap validity, int64_t n) {
    column->validity_buffer() = std::move(validity);
    column->SetLength(n);
    return Datum::Of(std::move(column));
  }
};

Datum NullBoolean() {
  return Datum::Scalar(Value::Null(DataType::Boolean()));
}

bool TypesDirectlyComparable(const DataType& a, const DataType& b) {
  auto ts = [](TypeId id) { return id == TypeId::kTimestamp || id == TypeId::kTimestampNtz; };
  auto bytes = [](TypeId id) { return id == TypeId::kString || id == TypeId::kBinary; };
  if (a.id() == TypeId::kDecimal && b.id() == TypeId::kDecimal) return a.scale() == b.scale();
  if (ts(a.id()) && ts(b.id())) return true;
  if (bytes(a.id()) && bytes(b.id())) return true;
  if (a.is_nested() || b.is_nested()) return false;
  return a.id() == b.id();
}

// --- Physical dispatch -----------------------------------------------------------------

// Calls f(T{}) with the C++ type a column of `id` stores (strings: std::string_view,
// booleans: bool). Returns false (without calling) for types without a fast path.
template <typename F>
bool VisitPhysical(TypeId id, F&& f) {
  switch (id) {
    case TypeId::kBoolean:
      f(bool{});
      return true;
    case TypeId::kInt8:
      f(int8_t{});
      return true;
    case TypeId::kInt16:
      f(int16_t{});
      return true;
    case TypeId::kInt32:
    case TypeId::kDate:
      f(int32_t{});
      return true;
    case TypeId::kInt64:
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz:
      f(int64_t{});
      return true;
    case TypeId::kFloat32:
      f(float{});
      return true;
    case TypeId::kFloat64:
      f(double{});
      return true;
    case TypeId::kDecimal:
      f(__int128{});
      return true;
    case TypeId::kString:
    case TypeId::kBinary:
      f(std::string_view{});
      return true;
    default:
      return false;
  }
}

template <typename T>
struct ColumnReader {
  const T* data;
  explicit ColumnReader(const Column& c) : data(c.data<T>()) {}
  T operator()(int64_t i) const { return data[i]; }
};
template <>
struct ColumnReader<bool> {
  const uint8_t* data;
  explicit ColumnReader(const Column& c) : data(c.data<uint8_t>()) {}
  bool operator()(int64_t i) const { return data[i] != 0; }
};
template <>
struct ColumnReader<std::string_view> {
  const char* data;
  const int64_t* offsets;
  explicit ColumnReader(const Column& c)
      : data(reinterpret_cast<const char*>(c.data_buffer().data())), offsets(c.offsets().data()) {}
  std::string_view operator()(int64_t i) const {
    return std::string_view(data + offsets[i], static_cast<size_t>(offsets[i + 1] - offsets[i]));
  }
};

// A set of values for long IN lists, probed once per row: open addressing with linear
// probing in one array (built per batch without an allocation per value). Strings are
// views of the list's literals, which outlive the set.
template <typename T>
class FlatSet {
 public:
  explicit FlatSet(const std::vector<T>& values) {
    size_t cap = 16;
    while (cap < values.size() * 2) cap <<= 1;
    mask_ = cap - 1;
    slots_.resize(cap);
    used_.assign(cap, 0);
    for (const T& v : values) {
      size_t i = Hash(v) & mask_;
      while (used_[i] && !(slots_[i] == v)) i = (i + 1) & mask_;
      slots_[i] = v;
      used_[i] = 1;
    }
  }
  bool Contains(const T& v) const {
    for (size_t i = Hash(v) & mask_; used_[i]; i = (i + 1) & mask_) {
      if (slots_[i] == v) return true;
    }
    return false;
  }

 private:
  static size_t Hash(const T& v) {
    if constexpr (std::is_same_v<T, std::string_view>) {
      return static_cast<size_t>(XXH3_64bits(v.data(), v.size()));
    } else {
      // Integers: a multiplicative mix, so sequential keys spread over the table.
      uint64_t x = static_cast<uint64_t>(v) * 0x9E3779B97F4A7C15ull;
      return static_cast<size_t>(x ^ (x >> 29));
    }
  }
  std::vector<T> slots_;
  std::vector<uint8_t> used_;
  size_t mask_ = 0;
};

template <typename T>
struct ScalarReader {
  T v;
  T operator()(int64_t) const { return v; }
};

// The physical value of a non-null scalar whose type is directly comparable with T.
template <typename T>
T ScalarAs(const Value& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v.as_bool();
  } else if constexpr (std::is_same_v<T, std::string_view>) {
    return std::string_view(v.as_string());
  } else if constexpr (std::is_same_v<T, __int128>) {
    return v.as_decimal();
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v.as_double());
  } else {
    return static_cast<T>(v.as_int());
  }
}

// Total order of Spark: NaN above everything and equal to itself; -0.0 == 0.0.
template <typename T>
struct Order {
  static bool Less(const T& a, const T& b) { return a < b; }
  static bool Equal(const T& a, const T& b) { return a == b; }
};
template <typename T>
struct FloatOrder {
  static bool Less(T a, T b) { return !std::isnan(a) && (std::isnan(b) || a < b); }
  static bool Equal(T a, T b) { return a == b || (std::isnan(a) && std::isnan(b)); }
};
template <>
struct Order<float> : FloatOrder<float> {};
template <>
struct Order<double> : FloatOrder<double> {};

template <typename T, typename L, typename R>
void CompareLoop(CompareOp op, int64_t n, L l, R r, uint8_t* out) {
  using O = Order<T>;
  switch (op) {
    case CompareOp::kEq:
      for (int64_t i = 0; i < n; ++i) out[i] = O::Equal(l(i), r(i));
      break;
    case CompareOp::kNe:
      for (int64_t i = 0; i < n; ++i) out[i] = !O::Equal(l(i), r(i));
      break;
    case CompareOp::kLt:
      for (int64_t i = 0; i < n; ++i) out[i] = O::Less(l(i), r(i));
      break;
    case CompareOp::kLe:
      for (int64_t i = 0; i < n; ++i) out[i] = !O::Less(r(i), l(i));
      break;
    case CompareOp::kGt:
      for (int64_t i = 0; i < n; ++i) out[i] = O::Less(r(i), l(i));
      break;
    case CompareOp::kGe:
      for (int64_t i = 0; i < n; ++i) out[i] = !O::Less(l(i), r(i));
      break;
  }
}

// --- The evaluator ---------------------------------------------------------------------

class Evaluator {
 public:
  Evaluator(const RecordBatch& batch, const EvalOptions& options)
      : batch_(batch), n_(batch.num_rows()), options_(options) {}

  Datum Eval(const Expr& e) {
    switch (e.kind()) {
      case ExprKind::kColumn:
        return Datum::Of(ColumnFor(e));
      case ExprKind::kLiteral:
        return Datum::Scalar(e.value());
      case ExprKind::kCompare:
        return Compare(e.compare_op(), Eval(e.child(0)), Eval(e.child(1)));
      case ExprKind::kAnd:
      case ExprKind::kOr: {
        std::vector<Datum> parts;
        parts.reserve(e.children().size());
        for (const auto& c : e.children()) parts.push_back(Eval(*c));
        return Junction(e.kind() == ExprKind::kAnd, parts);
      }
      case ExprKind::kNot:
        return Not(Eval(e.child(0)));
      case ExprKind::kIsNull:
        return IsNull(Eval(e.child(0)), e.negated());
      case ExprKind::kIn: {
        Datum r = In(e);
        return e.negated() ? Not(r) : r;
      }
      case ExprKind::kBetween: {
        Datum v = Eval(e.child(0));
        Datum ge = Compare(CompareOp::kGe, v, Eval(e.child(1)));
        Datum le = Compare(CompareOp::kLe, v, Eval(e.child(2)));
        Datum r = Junction(true, {ge, le});
        return e.negated() ? Not(r) : r;
      }
      case ExprKind::kArith:
        return Arith(e);
      case ExprKind::kNegate:
        return Negate(e);
      case ExprKind::kCast: {
        Datum d = Eval(e.child(0));
        if (d.scalar) {
          auto v = CastValue(d.value, e.type());
          if (!v) {
            if (options_.error_on_overflow) {
              throw InvalidInput("cannot cast " + FormatLiteral(d.value) + " to " +
                                 SqlTypeName(*e.type()));
            }
            return Datum::Scalar(Value::Null(e.type()));
          }
          return Datum::Scalar(std::move(*v));
        }
        return Datum::Of(CastColumn(d.column, e.type(), options_.error_on_overflow));
      }
    }
    throw InternalError("unknown expression kind");
  }

  int64_t num_rows() const { return n_; }

 private:
  // --- Columns -------------------------------------------------------------------------

  ColumnPtr ColumnFor(const Expr& e) {
    const auto& path = e.path();
    const auto& schema = batch_.schema();
    int idx = schema.FieldIndex(path[0]);
    if (idx < 0) {
      throw InvalidInput("column " + QuoteName(path[0]) +
                         " of the expression is not in the batch (schema " + schema.ToString() +
                         ")");
    }
    ColumnPtr c = batch_.column_ptr(idx);
    Bitmap parents;  // rows whose enclosing structs are all valid (empty: all)
    for (size_t k = 1; k < path.size(); ++k) {
      const TypePtr& t = c->type();
      int child = -1;
      if (t->id() == TypeId::kStruct) {
        for (size_t f = 0; f < t->fields().size(); ++f) {
          if (t->fields()[f].name == path[k]) child = static_cast<int>(f);
        }
      }
      if (child < 0) {
        throw InvalidInput("column " + FormatPath(e.path()) +
                           " of the expression is not in the batch");
      }
      if (c->has_validity()) parents = AndValidity(parents, c->validity(), n_);
      c = c->child_ptr(static_cast<size_t>(child));
    }
    if (e.type() && !c->type()->Equals(*e.type())) {
      throw InvalidInput("column " + FormatPath(e.path()) + " is " + c->type()->ToString() +
                         " in the batch, but the expression was bound with " +
                         e.type()->ToString());
    }
    if (parents.length() > 0 && parents.CountSet() != n_) {
      auto copy = Column::Make(c->type());
      copy->AppendRange(*c, 0, n_);
      Bitmap v = AndValidity(copy->validity(), parents, n_);
      copy->validity_buffer() = std::move(v);
      copy->SetLength(n_);
      c = std::move(copy);
    }
    return c;
  }

  // --- Comparisons ---------------------------------------------------------------------

  Datum Compare(CompareOp op, const Datum& a, const Datum& b) {
    if (a.type()->id() == TypeId::kNull || b.type()->id() == TypeId::kNull) return NullBoolean();
    if ((a.scalar && a.value.is_null()) || (b.scalar && b.value.is_null())) return NullBoolean();
    if (a.scalar && b.scalar) {
      auto c = CompareScalars(a.value, b.value);
      if (!c) return NullBoolean();
      return Datum::Scalar(Value::Boolean(CompareResultMatches(op, *c)));
    }
    if (a.scalar) return Compare(FlipCompareOp(op), b, a);
    const Column& l = *a.column;
    if (TypesDirectlyComparable(*a.type(), *b.type())) {
      BoolBuilder out(n_);
      bool done = VisitPhysical(a.type()->id(), [&](auto tag) {
        using T = decltype(tag);
        if (b.scalar) {
          CompareLoop<T>(op, n_, ColumnReader<T>(l), ScalarReader<T>{ScalarAs<T>(b.value)},
                         out.data);
        } else {
          CompareLoop<T>(op, n_, ColumnReader<T>(l), ColumnReader<T>(*b.column), out.data);
        }
      });
      if (done) {
        Bitmap validity =
            b.scalar ? l.validity() : AndValidity(l.validity(), b.column->validity(), n_);
        return out.Finish(std::move(validity), n_);
      }
    }
    // Mixed types that Bind left for an exact value-by-value comparison.
    BoolBuilder out(n_);
    Bitmap validity(n_, true);
    for (int64_t i = 0; i < n_; ++i) {
      out.data[i] = 0;
      if (l.IsNull(i) || (!b.scalar && b.column->IsNull(i))) {
        validity.Set(i, false);
        continue;
      }
      auto c = CompareScalars(columnar::GetValue(l, i),
                              b.scalar ? b.value : columnar::GetValue(*b.column, i));
      if (!c) {
        validity.Set(i, false);
      } else {
        out.data[i] = CompareResultMatches(op, *c);
      }
    }
    return out.Finish(std::move(validity), n_);
  }

  // --- Logic ---------------------------------------------------------------------------

  // AND (is_and) or OR of boolean datums, in three-valued logic.
  Datum Junction(bool is_and, const std::vector<Datum>& parts) {
    // "decisive" is FALSE for AND, TRUE for OR.
    bool scalar_null = false;
    std::vector<const Column*> columns;
    for (const auto& p : parts) {
      if (p.scalar) {
        if (p.value.is_null()) {
          scalar_null = true;
        } else if (p.value.as_bool() != is_and) {
          return Datum::Scalar(Value::Boolean(!is_and));
        }
      } else {
        columns.push_back(p.column.get());
      }
    }
    if (columns.empty()) {
      return scalar_null ? NullBoolean() : Datum::Scalar(Value::Boolean(is_and));
    }
    std::vector<uint8_t> decided(static_cast<size_t>(n_), 0);
    std::vector<uint8_t> has_null(static_cast<size_t>(n_), scalar_null ? 1 : 0);
    const uint8_t decisive = is_and ? 0 : 1;
    for (const Column* c : columns) {
      const uint8_t* d = c->data<uint8_t>();
      if (c->type_id() == TypeId::kNull) {
        std::fill(has_null.begin(), has_null.end(), 1);
        continue;
      }
      if (!c->has_validity()) {
        for (int64_t i = 0; i < n_; ++i) decided[i] |= (d[i] != 0) == decisive;
      } else {
        for (int64_t i = 0; i < n_; ++i) {
          bool valid = c->IsValid(i);
          decided[i] |= valid && ((d[i] != 0) == decisive);
          has_null[i] |= !valid;
        }
      }
    }
    BoolBuilder out(n_);
    Bitmap validity;
    bool any_null = false;
    for (int64_t i = 0; i < n_; ++i) {
      out.data[i] = decided[i] ? decisive : !decisive;
      if (!decided[i] && has_null[i]) any_null = true;
    }
    if (any_null) {
      validity.Resize(n_, true);
      for (int64_t i = 0; i < n_; ++i) {
        if (!decided[i] && has_null[i]) validity.Set(i, false);
      }
    }
    return out.Finish(std::move(validity), n_);
  }

  Datum Not(const Datum& d) {
    if (d.scalar) {
      if (d.value.is_null()) return NullBoolean();
      return Datum::Scalar(Value::Boolean(!d.value.as_bool()));
    }
    if (d.column->type_id() == TypeId::kNull) return NullBoolean();
    BoolBuilder out(n_);
    const uint8_t* in = d.column->data<uint8_t>();
    for (int64_t i = 0; i < n_; ++i) out.data[i] = in[i] == 0;
    return out.Finish(d.column->validity(), n_);
  }

  Datum IsNull(const Datum& d, bool negated) {
    if (d.scalar) return Datum::Scalar(Value::Boolean(d.value.is_null() != negated));
    const Column& c = *d.column;
    BoolBuilder out(n_);
    if (c.type_id() == TypeId::kNull) {
      std::fill(out.data, out.data + n_, negated ? 0 : 1);
    } else if (!c.has_validity()) {
      std::fill(out.data, out.data + n_, negated ? 1 : 0);
    } else {
      for (int64_t i = 0; i < n_; ++i) out.data[i] = c.IsNull(i) != negated;
    }
    return out.Finish(Bitmap(), n_);
  }

  // x IN (list), without the NOT.
  Datum In(const Expr& e) {
    Datum v = Eval(e.child(0));
    bool literal_list = true;
    for (size_t k = 1; k < e.children().size(); ++k) {
      const Expr& el = e.child(k);
      if (!el.is_literal() || !TypesDirectlyComparable(*v.type(), *el.value().type())) {
        if (!(el.is_literal() && el.value().is_null())) literal_list = false;
      }
    }
    if (!v.scalar && literal_list && v.type()->id() != TypeId::kNull) {
      Datum r;
      bool done = VisitPhysical(v.type()->id(), [&](auto tag) {
        using T = decltype(tag);
        r = InLiteralList<T>(*v.column, e);
      });
      if (done) return r;
    }
    // Row by row.
    std::vector<Datum> elements;
    for (size_t k = 1; k < e.children().size(); ++k) elements.push_back(Eval(e.child(k)));
    const bool all_scalar = v.scalar && std::all_of(elements.begin(), elements.end(),
                                                    [](const Datum& d) { return d.scalar; });
    const int64_t rows = all_scalar ? 1 : n_;
    BoolBuilder out(rows);
    Bitmap validity(rows, true);
    auto value_at = [](const Datum& d, int64_t i) {
      return d.scalar ? d.value : columnar::GetValue(*d.column, i);
    };
    for (int64_t i = 0; i < rows; ++i) {
      out.data[i] = 0;
      Value x = value_at(v, i);
      if (x.is_null()) {
        validity.Set(i, false);
        continue;
      }
      bool found = false, saw_null = false;
      for (const Datum& el : elements) {
        Value y = value_at(el, i);
        auto c = CompareScalars(x, y);
        if (!c) {
          saw_null = true;
        } else if (*c == 0) {
          found = true;
          break;
        }
      }
      if (found) {
        out.data[i] = 1;
      } else if (saw_null) {
        validity.Set(i, false);
      }
    }
    Datum r = out.Finish(std::move(validity), rows);
    if (all_scalar) return Datum::Scalar(columnar::GetValue(*r.column, 0));
    return r;
  }

  template <typename T>
  Datum InLiteralList(const Column& c, const Expr& e) {
    std::vector<T> values;
    bool has_null = false, has_nan = false;
    for (size_t k = 1; k < e.children().size(); ++k) {
      const Value& v = e.child(k).value();
      if (v.is_null()) {
        has_null = true;
        continue;
      }
      T x = ScalarAs<T>(v);
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(x)) {
          has_nan = true;
          continue;
        }
      }
      values.push_back(x);
    }
    ColumnReader<T> read(c);
    BoolBuilder out(n_);
    // Long lists (a join's keys pushed down as IN): a hash set instead of a binary search.
    constexpr bool kHashable =
        std::is_same_v<T, std::string_view> ||
        (std::is_integral_v<T> && !std::is_same_v<T, bool> && sizeof(T) <= 8);
    if constexpr (kHashable) {
      if (values.size() > 32) {
        const FlatSet<T> set(values);
        for (int64_t i = 0; i < n_; ++i) out.data[i] = set.Contains(read(i));
        return FinishIn(c, std::move(out), has_null);
      }
    }
    std::sort(values.begin(), values.end());
    for (int64_t i = 0; i < n_; ++i) {
      T x = read(i);
      bool found;
      if constexpr (std::is_floating_point_v<T>) {
        found = std::isnan(x) ? has_nan : std::binary_search(values.begin(), values.end(), x);
      } else if (std::is_same_v<T, bool>) {
        found = std::find(values.begin(), values.end(), x) != values.end();
      } else {
        found = std::binary_search(values.begin(), values.end(), x);
      }
      out.data[i] = found;
    }
    return FinishIn(c, std::move(out), has_null);
  }

  // The result of `c IN (list)` from the matches: NULL where c is NULL, and where nothing
  // matched when the list holds a NULL.
  Datum FinishIn(const Column& c, BoolBuilder out, bool list_has_null) {
    Bitmap validity = c.validity();
    if (list_has_null) {
      if (validity.length() == 0) validity.Resize(n_, true);
      for (int64_t i = 0; i < n_; ++i) {
        if (!out.data[i]) validity.Set(i, false);
      }
    }
    return out.Finish(std::move(validity), n_);
  }

  // --- Arithmetic ----------------------------------------------------------------------

  [[noreturn]] void Overflow(const Expr& e, std::string_view what) {
    std::string s = e.ToString();
    if (s.size() > 200) s = s.substr(0, 197) + "...";
    throw InvalidInput(std::string(what) + " in `" + s + "`");
  }

  Datum Arith(const Expr& e) {
    Datum a = Eval(e.child(0)), b = Eval(e.child(1));
    const bool scalar = a.scalar && b.scalar;
    const int64_t rows = scalar ? 1 : n_;
    ColumnPtr ca = a.scalar ? Broadcast(a.value, rows) : a.column;
    ColumnPtr cb = b.scalar ? Broadcast(b.value, rows) : b.column;
    ColumnPtr out;
    const TypePtr& rt = e.type();
    switch (rt->id()) {
      case TypeId::kInt8:
        out = IntArith<int8_t>(e, *ca, *cb, rows);
        break;
      case TypeId::kInt16:
        out = IntArith<int16_t>(e, *ca, *cb, rows);
        break;
      case TypeId::kInt32:
        out = IntArith<int32_t>(e, *ca, *cb, rows);
        break;
      case TypeId::kInt64:
        out = IntArith<int64_t>(e, *ca, *cb, rows);
        break;
      case TypeId::kFloat32:
        out = FloatArith<float>(e, *ca, *cb, rows);
        break;
      case TypeId::kFloat64:
        out = FloatArith<double>(e, *ca, *cb, rows);
        break;
      case TypeId::kDecimal:
        out = DecimalArith(e, *ca, *cb, rows);
        break;
      default:
        throw InternalError("arithmetic on " + rt->ToString() + " (expression not bound?)");
    }
    if (scalar) return Datum::Scalar(columnar::GetValue(*out, 0));
    return Datum::Of(std::move(out));
  }

  // Output column of `rows` values of T with the validity of both inputs; rows that fail
  // are cleared through `fail`.
  template <typename T>
  struct FixedOut {
    ColumnPtr column;
    T* data;
    Bitmap validity;
    FixedOut(const TypePtr& type, int64_t rows, const Column& a, const Column& b)
        : column(Column::Make(type)) {
      column->data_buffer().resize(static_cast<size_t>(rows) * sizeof(T));
      data = column->mutable_data<T>();
      validity = AndValidity(a.validity(), b.validity(), rows);
    }
    bool Valid(int64_t i) const { return validity.length() == 0 || validity.Get(i); }
    void Fail(int64_t i, int64_t rows) {
      if (validity.length() == 0) validity.Resize(rows, true);
      validity.Set(i, false);
      data[i] = T{};
    }
    ColumnPtr Finish(int64_t rows) {
      column->validity_buffer() = std::move(validity);
      column->SetLength(rows);
      return std::move(column);
    }
  };

  template <typename T>
  ColumnPtr IntArith(const Expr& e, const Column& a, const Column& b, int64_t rows) {
    FixedOut<T> out(e.type(), rows, a, b);
    const T* x = a.data<T>();
    const T* y = b.data<T>();
    const ArithOp op = e.arith_op();
    for (int64_t i = 0; i < rows; ++i) {
      bool overflow;
      switch (op) {
        case ArithOp::kAdd:
          overflow = __builtin_add_overflow(x[i], y[i], &out.data[i]);
          break;
        case ArithOp::kSub:
          overflow = __builtin_sub_overflow(x[i], y[i], &out.data[i]);
          break;
        case ArithOp::kMul:
          overflow = __builtin_mul_overflow(x[i], y[i], &out.data[i]);
          break;
        default:  // Bind turns integer division into DOUBLE division
          overflow = true;
          break;
      }
      if (overflow && out.Valid(i)) {
        if (options_.error_on_overflow) Overflow(e, "integer overflow");
        out.Fail(i, rows);
      }
    }
    return out.Finish(rows);
  }

  template <typename T>
  ColumnPtr FloatArith(const Expr& e, const Column& a, const Column& b, int64_t rows) {
    FixedOut<T> out(e.type(), rows, a, b);
    const T* x = a.data<T>();
    const T* y = b.data<T>();
    switch (e.arith_op()) {
      case ArithOp::kAdd:
        for (int64_t i = 0; i < rows; ++i) out.data[i] = x[i] + y[i];
        break;
      case ArithOp::kSub:
        for (int64_t i = 0; i < rows; ++i) out.data[i] = x[i] - y[i];
        break;
      case ArithOp::kMul:
        for (int64_t i = 0; i < rows; ++i) out.data[i] = x[i] * y[i];
        break;
      case ArithOp::kDiv:
        for (int64_t i = 0; i < rows; ++i) {
          if (y[i] == 0) {
            out.data[i] = 0;
            if (out.Valid(i)) {
              if (options_.error_on_overflow) Overflow(e, "division by zero");
              out.Fail(i, rows);
            }
          } else {
            out.data[i] = x[i] / y[i];
          }
        }
        break;
    }
    return out.Finish(rows);
  }

  ColumnPtr DecimalArith(const Expr& e, const Column& a, const Column& b, int64_t rows) {
    FixedOut<__int128> out(e.type(), rows, a, b);
    const __int128* x = a.data<__int128>();
    const __int128* y = b.data<__int128>();
    const int sa = a.type()->scale(), sb = b.type()->scale();
    const int rp = e.type()->precision(), rs = e.type()->scale();
    for (int64_t i = 0; i < rows; ++i) {
      if (!out.Valid(i)) {
        out.data[i] = 0;
        continue;
      }
      std::optional<__int128> r;
      bool div_zero = false;
      switch (e.arith_op()) {
        case ArithOp::kAdd:
        case ArithOp::kSub: {
          int s = std::max(sa, sb);
          auto u = internal::ScaleUp(x[i], s - sa), v = internal::ScaleUp(y[i], s - sb);
          __int128 sum;
          if (u && v) {
            bool of = e.arith_op() == ArithOp::kAdd ? __builtin_add_overflow(*u, *v, &sum)
                                                    : __builtin_sub_overflow(*u, *v, &sum);
            if (!of) r = internal::Rescale(sum, s, rs, rp);
          }
          break;
        }
        case ArithOp::kMul: {
          __int128 prod;
          if (!__builtin_mul_overflow(x[i], y[i], &prod))
            r = internal::Rescale(prod, sa + sb, rs, rp);
          break;
        }
        case ArithOp::kDiv: {
          if (y[i] == 0) {
            div_zero = true;
            break;
          }
          // x/10^sa ÷ y/10^sb at scale rs: x·10^(rs - sa + sb) / y, rounded HALF_UP.
          int k = rs - sa + sb;
          __int128 num = x[i], den = y[i];
          std::optional<__int128> scaled =
              k >= 0 ? internal::ScaleUp(num, k) : internal::ScaleUp(den, -k);
          if (!scaled) {
            if (k < 0) r = 0;  // |den| beyond 10^38 > 2·|num|: rounds to zero
            break;
          }
          if (k >= 0) {
            num = *scaled;
          } else {
            den = *scaled;
          }
          __int128 q = num / den, rem = num % den;
          unsigned __int128 urem =
              rem < 0 ? -static_cast<unsigned __int128>(rem) : static_cast<unsigned __int128>(rem);
          unsigned __int128 uden =
              den < 0 ? -static_cast<unsigned __int128>(den) : static_cast<unsigned __int128>(den);
          if (urem * 2 >= uden) q += (num < 0) == (den < 0) ? 1 : -1;
          if (internal::FitsPrecision(q, rp)) r = q;
          break;
        }
      }
      if (r) {
        out.data[i] = *r;
      } else {
        if (options_.error_on_overflow) {
          Overflow(e, div_zero ? "division by zero" : "decimal overflow");
        }
        out.Fail(i, rows);
      }
    }
    return out.Finish(rows);
  }

  Datum Negate(const Expr& e) {
    Datum a = Eval(e.child(0));
    const int64_t rows = a.scalar ? 1 : n_;
    ColumnPtr c = a.scalar ? Broadcast(a.value, 1) : a.column;
    ColumnPtr out;
    auto neg = [&](auto tag) {
      using T = decltype(tag);
      FixedOut<T> o(e.type(), rows, *c, *c);
      const T* x = c->data<T>();
      for (int64_t i = 0; i < rows; ++i) {
        if constexpr (std::is_floating_point_v<T>) {
          o.data[i] = -x[i];
        } else if constexpr (std::is_same_v<T, __int128>) {
          o.data[i] = o.Valid(i) ? -x[i] : 0;  // |x| < 10^38: no overflow
        } else {
          if (x[i] == std::numeric_limits<T>::min()) {
            if (o.Valid(i)) {
              if (options_.error_on_overflow) Overflow(e, "integer overflow");
              o.Fail(i, rows);
            }
            o.data[i] = 0;
          } else {
            o.data[i] = static_cast<T>(-x[i]);
          }
        }
      }
      out = o.Finish(rows);
    };
    switch (e.type()->id()) {
      case TypeId::kInt8:
        neg(int8_t{});
        break;
      case TypeId::kInt16:
        neg(int16_t{});
        break;
      case TypeId::kInt32:
        neg(int32_t{});
        break;
      case TypeId::kInt64:
        neg(int64_t{});
        break;
      case TypeId::kFloat32:
        neg(float{});
        break;
      case TypeId::kFloat64:
        neg(double{});
        break;
      case TypeId::kDecimal:
        neg(__int128{});
        break;
      default:
        throw InternalError("unary minus on " + e.type()->ToString());
    }
    if (a.scalar) return Datum::Scalar(columnar::GetValue(*out, 0));
    return Datum::Of(std::move(out));
  }

  const RecordBatch& batch_;
  const int64_t n_;
  const EvalOptions& options_;
};

}  // namespace

ColumnPtr Evaluate(const Expr& e, const RecordBatch& batch, const EvalOptions& options) {
  ExprPtr bound;
  const Expr* root = &e;
  if (!e.bound()) {
    bound = Bind(e, batch.schema());
    root = bound.get();
  }
  Evaluator ev(batch, options);
  Datum d = ev.Eval(*root);
  if (d.scalar) return Broadcast(d.value, batch.num_rows());
  return d.column;
}

Bitmap EvaluateFilter(const Expr& e, const RecordBatch& batch, const EvalOptions& options) {
  ExprPtr bound;
  const Expr* root = &e;
  if (!e.bound()) {
    bound = BindPredicate(e, batch.schema());
    root = bound.get();
  } else if (e.type()->id() != TypeId::kBoolean && e.type()->id() != TypeId::kNull) {
    throw InvalidInput("predicate must be boolean, but `" + e.ToString() + "` is " +
                       SqlTypeName(*e.type()));
  }
  const int64_t n = batch.num_rows();
  Evaluator ev(batch, options);
  Datum d = ev.Eval(*root);
  if (d.scalar) {
    bool all = !d.value.is_null() && d.value.type_id() == TypeId::kBoolean && d.value.as_bool();
    return Bitmap(n, all);
  }
  const Column& c = *d.column;
  if (c.type_id() != TypeId::kBoolean) return Bitmap(n, false);  // a NULL-typed column
  return TrueRows(c.data<uint8_t>(), c.validity(), n);
}

}  // namespace cpglake::expr
