#include "random_data.h"

#include <cmath>
#include <limits>
#include <string>

#include "common/error.h"

namespace cpglake::expr::testing {

using columnar::Column;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using columnar::TypeId;
using columnar::TypePtr;
using columnar::Value;

namespace {

int64_t Uniform(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}
bool Chance(std::mt19937_64& rng, double p) {
  return std::uniform_real_distribution<double>(0, 1)(rng) < p;
}

constexpr int64_t kTimestampBase = 1700000000000000LL;  // 2023-11-14T22:13:20Z

TypePtr StructType() {
  return DataType::Struct({Field("x", DataType::Int32()), Field("y", DataType::String())});
}

std::string RandomString(std::mt19937_64& rng) {
  int kind = static_cast<int>(Uniform(rng, 0, 11));
  if (kind < 6) {
    std::string s;
    int len = static_cast<int>(Uniform(rng, 0, 4));
    for (int i = 0; i < len; ++i) s.push_back("abc"[Uniform(rng, 0, 2)]);
    return s;
  }
  if (kind < 10) {
    // Longer than Delta's 32-character stats prefix, sharing it; 'z' runs sort above the
    // short strings, so they are often the max that stats truncate.
    std::string s(34, kind < 8 ? 'a' : 'z');
    for (int i = 0; i < 6; ++i) s.push_back("abz"[Uniform(rng, 0, 2)]);
    return s;
  }
  if (kind == 10) {
    // A 4-byte UTF-8 character right after the 32-byte prefix sorts above Delta's U+FFFF
    // tie-breaker.
    return std::string(32, 'z') + "\xf0\x9f\x98\x80" + std::string(1, "az"[Uniform(rng, 0, 1)]);
  }
  static const char* kWide[] = {"\xc3\xa9", "a\xef\xbf\xbf", "\xf0\x9f\x98\x80",
                                "b\xf0\x9f\x98\x80"};
  return kWide[Uniform(rng, 0, 3)];
}

double RandomDouble(std::mt19937_64& rng) {
  static const double kSpecial[] = {-1.5,
                                    -0.0,
                                    0.0,
                                    1.0,
                                    2.25,
                                    7.5,
                                    std::nan(""),
                                    std::numeric_limits<double>::infinity(),
                                    -std::numeric_limits<double>::infinity()};
  if (Chance(rng, 0.5)) return kSpecial[Uniform(rng, 0, 8)];
  return static_cast<double>(Uniform(rng, -80, 80)) / 4.0;
}

Value Neighbour(std::mt19937_64& rng, const Value& v) {
  const TypePtr& t = v.type();
  int64_t step = Chance(rng, 0.5) ? 1 : -1;
  switch (t->id()) {
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kDate: {
      int64_t x = v.as_int();
      if ((x == std::numeric_limits<int32_t>::max() && step > 0) ||
          (x == std::numeric_limits<int32_t>::min() && step < 0) ||
          (t->id() == TypeId::kInt8 && (x + step > 127 || x + step < -128)) ||
          (t->id() == TypeId::kInt16 && (x + step > 32767 || x + step < -32768))) {
        return v;
      }
      return Value::Integer(t, x + step);
    }
    case TypeId::kInt64: {
      int64_t x = v.as_int(), r;
      if (__builtin_add_overflow(x, step, &r)) return v;
      return Value::Integer(t, r);
    }
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz: {
      int64_t delta = step * (Chance(rng, 0.5) ? 1 : 1000);
      return Value::Integer(t, v.as_int() + delta);
    }
    case TypeId::kDecimal:
      return Value::Decimal(v.as_decimal() + step, t->precision(), t->scale());
    case TypeId::kString: {
      std::string s = v.as_string();
      if (Chance(rng, 0.5) || s.empty()) {
        s.push_back("az"[Uniform(rng, 0, 1)]);
      } else {
        s.pop_back();
      }
      return Value::String(s);
    }
    case TypeId::kFloat64:
      return Value::Float64(v.as_double() + 0.25 * static_cast<double>(step));
    default:
      return v;
  }
}

}  // namespace

Schema TestSchema() {
  return Schema({Field("i8", DataType::Int8()), Field("i16", DataType::Int16()),
                 Field("i32", DataType::Int32()), Field("i64", DataType::Int64()),
                 Field("f32", DataType::Float32()), Field("f64", DataType::Float64()),
                 Field("dec", DataType::Decimal(10, 2)), Field("s", DataType::String()),
                 Field("bin", DataType::Binary()), Field("d", DataType::Date()),
                 Field("ts", DataType::Timestamp()), Field("ntz", DataType::TimestampNtz()),
                 Field("b", DataType::Boolean()), Field("st", StructType())});
}

Value RandomValue(std::mt19937_64& rng, const TypePtr& type, const Column* sample) {
  if (sample && sample->length() > 0 && Chance(rng, 0.7)) {
    Value v = columnar::GetValue(*sample, Uniform(rng, 0, sample->length() - 1));
    if (!v.is_null()) return Chance(rng, 0.7) ? v : Neighbour(rng, v);
  }
  switch (type->id()) {
    case TypeId::kBoolean:
      return Value::Boolean(Chance(rng, 0.5));
    case TypeId::kInt8:
      return Value::Integer(
          type, Chance(rng, 0.9) ? Uniform(rng, -20, 20) : (Chance(rng, 0.5) ? -128 : 127));
    case TypeId::kInt16:
      return Value::Integer(
          type, Chance(rng, 0.9) ? Uniform(rng, -20, 20) : (Chance(rng, 0.5) ? -32768 : 32767));
    case TypeId::kInt32:
      return Value::Integer(type, Chance(rng, 0.9)
                                      ? Uniform(rng, -20, 20)
                                      : (Chance(rng, 0.5) ? std::numeric_limits<int32_t>::min()
                                                          : std::numeric_limits<int32_t>::max()));
    case TypeId::kInt64: {
      int64_t x = Uniform(rng, -20, 20);
      if (Chance(rng, 0.15)) {
        static const int64_t kBig[] = {std::numeric_limits<int64_t>::min(),
                                       std::numeric_limits<int64_t>::max(), 1LL << 40, -(1LL << 40),
                                       (1LL << 53) + 1};
        x = kBig[Uniform(rng, 0, 4)];
      }
      return Value::Int64(x);
    }
    case TypeId::kFloat32:
      return Value::Float32(static_cast<float>(RandomDouble(rng)));
    case TypeId::kFloat64:
      return Value::Float64(RandomDouble(rng));
    case TypeId::kDecimal:
      return Value::Decimal(Uniform(rng, -2000, 2000), type->precision(), type->scale());
    case TypeId::kString:
      return Value::String(RandomString(rng));
    case TypeId::kBinary: {
      std::string s;
      int len = static_cast<int>(Uniform(rng, 0, 3));
      for (int i = 0; i < len; ++i) s.push_back("\x00\x7f\xff"[Uniform(rng, 0, 2)]);
      return Value::Binary(s);
    }
    case TypeId::kDate:
      return Value::Date(static_cast<int32_t>(19000 + Uniform(rng, -10, 10)));
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz: {
      int64_t base = Chance(rng, 0.8) ? kTimestampBase : -1000000;
      return Value::Integer(type, base + 250 * Uniform(rng, -20, 20) + Uniform(rng, 0, 1) * 7);
    }
    case TypeId::kStruct: {
      std::vector<Value> children;
      for (const auto& f : type->fields()) {
        children.push_back(Chance(rng, 0.2) ? Value::Null(f.type)
                                            : RandomValue(rng, f.type, nullptr));
      }
      return Value::Nested(type, std::move(children));
    }
    default:
      throw InternalError("RandomValue: unsupported type " + type->ToString());
  }
}

RecordBatch RandomBatch(std::mt19937_64& rng, int64_t rows, double null_probability) {
  Schema schema = TestSchema();
  std::vector<columnar::ColumnPtr> columns;
  for (const auto& f : schema.fields()) {
    auto c = Column::Make(f.type);
    double p = null_probability;
    if (Chance(rng, 0.05)) p = 1.0;
    if (Chance(rng, 0.2)) p = 0.0;
    for (int64_t i = 0; i < rows; ++i) {
      if (Chance(rng, p)) {
        c->AppendNull();
      } else {
        columnar::AppendValue(*c, RandomValue(rng, f.type, nullptr));
      }
    }
    columns.push_back(std::move(c));
  }
  return RecordBatch(std::move(schema), std::move(columns));
}

namespace {

struct LeafColumn {
  std::vector<std::string> path;
  const Column* column;
};

std::vector<LeafColumn> LeafColumns(const RecordBatch& b) {
  std::vector<LeafColumn> out;
  for (size_t i = 0; i < b.num_columns(); ++i) {
    const auto& f = b.schema().field(i);
    if (f.type->id() == TypeId::kStruct) {
      for (size_t k = 0; k < f.type->fields().size(); ++k) {
        out.push_back({{f.name, f.type->fields()[k].name}, &b.column(i).child(k)});
      }
    } else {
      out.push_back({{f.name}, &b.column(i)});
    }
  }
  return out;
}

const LeafColumn* FindLeaf(const std::vector<LeafColumn>& leaves,
                           const std::vector<std::string>& path) {
  for (const auto& l : leaves) {
    if (l.path == path) return &l;
  }
  return nullptr;
}

CompareOp RandomOp(std::mt19937_64& rng) {
  return static_cast<CompareOp>(Uniform(rng, 0, 5));
}

// A literal to compare with `leaf`: usually of its type, sometimes another numeric type.
ExprPtr LiteralFor(std::mt19937_64& rng, const LeafColumn& leaf) {
  const TypePtr& t = leaf.column->type();
  Value v = RandomValue(rng, t, leaf.column);
  TypeId id = t->id();
  if ((id == TypeId::kInt8 || id == TypeId::kInt16 || id == TypeId::kInt32) && Chance(rng, 0.2)) {
    return Lit(Value::Int64(Chance(rng, 0.8) ? v.as_int() : std::numeric_limits<int64_t>::max()));
  }
  if ((id == TypeId::kInt32 || id == TypeId::kInt64) && Chance(rng, 0.15)) {
    return Lit(Value::Float64(static_cast<double>(v.as_int()) + (Chance(rng, 0.5) ? 0.5 : 0)));
  }
  if (id == TypeId::kFloat32 && Chance(rng, 0.3)) {
    return Lit(Value::Float64(Chance(rng, 0.5) ? v.as_double() : 0.1));
  }
  if (id == TypeId::kDecimal && Chance(rng, 0.2)) {
    return Lit(Value::Int32(static_cast<int32_t>(v.as_decimal() / 100)));
  }
  return Lit(v);
}

ExprPtr Leaf(std::mt19937_64& rng, const RecordBatch& batch) {
  std::vector<LeafColumn> leaves = LeafColumns(batch);
  const LeafColumn& leaf = leaves[Uniform(rng, 0, static_cast<int64_t>(leaves.size()) - 1)];
  ExprPtr col = ColPath(leaf.path);
  int kind = static_cast<int>(Uniform(rng, 0, 13));
  switch (kind) {
    case 0:
    case 1:
    case 2:
    case 3: {
      ExprPtr lit = LiteralFor(rng, leaf);
      return Chance(rng, 0.3) ? Compare(RandomOp(rng), lit, col) : Compare(RandomOp(rng), col, lit);
    }
    case 4: {
      static const std::pair<std::vector<std::string>, std::vector<std::string>> kPairs[] = {
          {{"i32"}, {"st", "x"}}, {{"s"}, {"st", "y"}}, {{"ts"}, {"ntz"}},
          {{"i32"}, {"i64"}},     {{"f32"}, {"f64"}},   {{"i8"}, {"i16"}},
          {{"dec"}, {"dec"}},     {{"f64"}, {"f64"}},   {{"d"}, {"d"}}};
      const auto& p = kPairs[Uniform(rng, 0, 8)];
      return Compare(RandomOp(rng), ColPath(p.first), ColPath(p.second));
    }
    case 5: {
      // IS [NOT] NULL, sometimes of the whole struct.
      ExprPtr target = Chance(rng, 0.15) ? Col("st") : col;
      return Chance(rng, 0.5) ? IsNull(target) : IsNotNull(target);
    }
    case 6:
    case 7: {
      std::vector<ExprPtr> list;
      int n = static_cast<int>(Uniform(rng, 1, 4));
      for (int i = 0; i < n; ++i) {
        list.push_back(Chance(rng, 0.1) ? NullLit()
                                        : Lit(RandomValue(rng, leaf.column->type(), leaf.column)));
      }
      return Chance(rng, 0.3) ? NotIn(col, std::move(list)) : In(col, std::move(list));
    }
    case 8: {
      ExprPtr lo = Lit(RandomValue(rng, leaf.column->type(), leaf.column));
      ExprPtr hi = Lit(RandomValue(rng, leaf.column->type(), leaf.column));
      return Chance(rng, 0.3) ? NotBetween(col, lo, hi) : Between(col, lo, hi);
    }
    case 9:
      return Chance(rng, 0.5) ? Col("b") : Not(Col("b"));
    case 10: {
      ArithOp op = static_cast<ArithOp>(Uniform(rng, 0, 3));
      if (Chance(rng, 0.5)) {
        ExprPtr lhs = Arith(op, Col("i64"), Lit(Value::Int64(Uniform(rng, -3, 3))));
        return Compare(RandomOp(rng), lhs, Lit(Value::Int64(Uniform(rng, -40, 40))));
      }
      ExprPtr lhs =
          Arith(op, Col("f64"), Lit(Value::Float64(static_cast<double>(Uniform(rng, -2, 2)))));
      return Compare(RandomOp(rng), lhs, Lit(RandomDouble(rng)));
    }
    case 11:
      return Compare(RandomOp(rng), col, NullLit());
    case 12: {
      // Nested field with a literal.
      const LeafColumn* x = FindLeaf(leaves, {"st", Chance(rng, 0.5) ? "x" : "y"});
      return Compare(RandomOp(rng), ColPath(x->path), LiteralFor(rng, *x));
    }
    default:
      return Chance(rng, 0.5) ? Lit(Chance(rng, 0.5)) : Compare(RandomOp(rng), Lit(1), Lit(2));
  }
}

}  // namespace

ExprPtr RandomPredicate(std::mt19937_64& rng, const RecordBatch& batch, int depth) {
  if (depth <= 0 || Chance(rng, 0.35)) return Leaf(rng, batch);
  int kind = static_cast<int>(Uniform(rng, 0, 4));
  if (kind == 0) return Not(RandomPredicate(rng, batch, depth - 1));
  std::vector<ExprPtr> parts;
  int n = static_cast<int>(Uniform(rng, 2, 3));
  for (int i = 0; i < n; ++i) parts.push_back(RandomPredicate(rng, batch, depth - 1));
  return kind <= 2 ? And(std::move(parts)) : Or(std::move(parts));
}

// --- Reference evaluator ------------------------------------------------------------------

namespace {

Value NullBool() {
  return Value::Null(DataType::Boolean());
}

Value And3(const Value& a, const Value& b) {
  if ((!a.is_null() && !a.as_bool()) || (!b.is_null() && !b.as_bool()))
    return Value::Boolean(false);
  if (a.is_null() || b.is_null()) return NullBool();
  return Value::Boolean(true);
}

Value Or3(const Value& a, const Value& b) {
  if ((!a.is_null() && a.as_bool()) || (!b.is_null() && b.as_bool())) return Value::Boolean(true);
  if (a.is_null() || b.is_null()) return NullBool();
  return Value::Boolean(false);
}

Value Not3(const Value& a) {
  return a.is_null() ? NullBool() : Value::Boolean(!a.as_bool());
}

bool Matches(CompareOp op, int c) {
  switch (op) {
    case CompareOp::kEq:
      return c == 0;
    case CompareOp::kNe:
      return c != 0;
    case CompareOp::kLt:
      return c < 0;
    case CompareOp::kLe:
      return c <= 0;
    case CompareOp::kGt:
      return c > 0;
    case CompareOp::kGe:
      return c >= 0;
  }
  return false;
}

Value Cmp(CompareOp op, const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return NullBool();
  return Value::Boolean(Matches(op, columnar::CompareValues(a, b)));
}

}  // namespace

Value ReferenceEval(const Expr& e, const RecordBatch& batch, int64_t row) {
  switch (e.kind()) {
    case ExprKind::kColumn: {
      const auto& path = e.path();
      int idx = batch.schema().FieldIndex(path[0]);
      if (idx < 0) throw InternalError("reference: no column " + path[0]);
      Value v = columnar::GetValue(batch.column(idx), row);
      TypePtr t = batch.schema().field(idx).type;
      for (size_t k = 1; k < path.size(); ++k) {
        size_t f = 0;
        while (f < t->fields().size() && t->fields()[f].name != path[k]) ++f;
        TypePtr ft = t->fields().at(f).type;
        v = v.is_null() ? Value::Null(ft) : v.children()[f];
        t = ft;
      }
      return v;
    }
    case ExprKind::kLiteral:
      return e.value();
    case ExprKind::kCompare:
      return Cmp(e.compare_op(), ReferenceEval(e.child(0), batch, row),
                 ReferenceEval(e.child(1), batch, row));
    case ExprKind::kAnd: {
      Value r = Value::Boolean(true);
      for (const auto& c : e.children()) r = And3(r, ReferenceEval(*c, batch, row));
      return r;
    }
    case ExprKind::kOr: {
      Value r = Value::Boolean(false);
      for (const auto& c : e.children()) r = Or3(r, ReferenceEval(*c, batch, row));
      return r;
    }
    case ExprKind::kNot:
      return Not3(ReferenceEval(e.child(0), batch, row));
    case ExprKind::kIsNull:
      return Value::Boolean(ReferenceEval(e.child(0), batch, row).is_null() != e.negated());
    case ExprKind::kIn: {
      Value x = ReferenceEval(e.child(0), batch, row);
      Value r = Value::Boolean(false);
      for (size_t k = 1; k < e.children().size(); ++k) {
        r = Or3(r, Cmp(CompareOp::kEq, x, ReferenceEval(e.child(k), batch, row)));
      }
      return e.negated() ? Not3(r) : r;
    }
    case ExprKind::kBetween: {
      Value x = ReferenceEval(e.child(0), batch, row);
      Value r = And3(Cmp(CompareOp::kGe, x, ReferenceEval(e.child(1), batch, row)),
                     Cmp(CompareOp::kLe, x, ReferenceEval(e.child(2), batch, row)));
      return e.negated() ? Not3(r) : r;
    }
    case ExprKind::kArith: {
      Value a = ReferenceEval(e.child(0), batch, row);
      Value b = ReferenceEval(e.child(1), batch, row);
      bool fl =
          IsFloatType(a.type_id()) || IsFloatType(b.type_id()) || e.arith_op() == ArithOp::kDiv;
      if (fl) {
        if (a.is_null() || b.is_null()) return Value::Null(DataType::Float64());
        double x = IsFloatType(a.type_id()) ? a.as_double() : static_cast<double>(a.as_int());
        double y = IsFloatType(b.type_id()) ? b.as_double() : static_cast<double>(b.as_int());
        switch (e.arith_op()) {
          case ArithOp::kAdd:
            return Value::Float64(x + y);
          case ArithOp::kSub:
            return Value::Float64(x - y);
          case ArithOp::kMul:
            return Value::Float64(x * y);
          case ArithOp::kDiv:
            return y == 0 ? Value::Null(DataType::Float64()) : Value::Float64(x / y);
        }
      }
      if (a.is_null() || b.is_null()) return Value::Null(DataType::Int64());
      int64_t r;
      bool overflow = false;
      switch (e.arith_op()) {
        case ArithOp::kAdd:
          overflow = __builtin_add_overflow(a.as_int(), b.as_int(), &r);
          break;
        case ArithOp::kSub:
          overflow = __builtin_sub_overflow(a.as_int(), b.as_int(), &r);
          break;
        default:
          overflow = __builtin_mul_overflow(a.as_int(), b.as_int(), &r);
          break;
      }
      return overflow ? Value::Null(DataType::Int64()) : Value::Int64(r);
    }
    case ExprKind::kNegate:
    case ExprKind::kCast:
      break;
  }
  throw InternalError("reference: unsupported expression " + e.ToString());
}

}  // namespace cpglake::expr::testing
