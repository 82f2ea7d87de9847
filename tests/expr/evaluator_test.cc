#include "expr/evaluator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <random>

#include "columnar/value_format.h"
#include "common/error.h"
#include "expr/binder.h"
#include "expr/parser.h"
#include "random_data.h"

namespace cpglake::expr {
namespace {

using columnar::Column;
using columnar::ColumnPtr;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using columnar::TypeId;
using columnar::TypePtr;
using columnar::Value;

// A batch from columns of values (std::nullopt-free: use Value::Null for nulls).
RecordBatch MakeBatch(const std::vector<std::pair<std::string, TypePtr>>& fields,
                      const std::vector<std::vector<Value>>& columns) {
  std::vector<Field> fs;
  std::vector<ColumnPtr> cols;
  for (size_t i = 0; i < fields.size(); ++i) {
    fs.emplace_back(fields[i].first, fields[i].second);
    auto c = Column::Make(fields[i].second);
    for (const auto& v : columns[i]) columnar::AppendValue(*c, v);
    cols.push_back(std::move(c));
  }
  return RecordBatch(Schema(std::move(fs)), std::move(cols));
}

// Row values of Evaluate as text: "T", "F", "N" (null), or the value's text.
std::vector<std::string> Eval(std::string_view sql, const RecordBatch& b,
                              const EvalOptions& options = {}) {
  ColumnPtr c = Evaluate(*ParseExpression(sql), b, options);
  EXPECT_EQ(c->length(), b.num_rows());
  std::vector<std::string> out;
  for (int64_t i = 0; i < c->length(); ++i) {
    Value v = columnar::GetValue(*c, i);
    if (v.is_null()) {
      out.push_back("N");
    } else if (v.type_id() == TypeId::kBoolean) {
      out.push_back(v.as_bool() ? "T" : "F");
    } else {
      out.push_back(v.ToString());
    }
  }
  return out;
}

using Strings = std::vector<std::string>;

const Value kNullBool = Value::Null(DataType::Boolean());

// p and q over all nine combinations of TRUE, FALSE, NULL.
RecordBatch LogicBatch() {
  std::vector<Value> tfn = {Value::Boolean(true), Value::Boolean(false), kNullBool};
  std::vector<Value> p, q;
  for (const auto& a : tfn) {
    for (const auto& b : tfn) {
      p.push_back(a);
      q.push_back(b);
    }
  }
  return MakeBatch({{"p", DataType::Boolean()}, {"q", DataType::Boolean()}}, {p, q});
}

TEST(EvaluatorTest, ThreeValuedLogicTables) {
  RecordBatch b = LogicBatch();
  //                      p: T  T  T  F  F  F  N  N  N
  //                      q: T  F  N  T  F  N  T  F  N
  EXPECT_EQ(Eval("p AND q", b), (Strings{"T", "F", "N", "F", "F", "F", "N", "F", "N"}));
  EXPECT_EQ(Eval("p OR q", b), (Strings{"T", "T", "T", "T", "F", "N", "T", "N", "N"}));
  EXPECT_EQ(Eval("NOT p", b), (Strings{"F", "F", "F", "T", "T", "T", "N", "N", "N"}));
  EXPECT_EQ(Eval("p IS NULL", b), (Strings{"F", "F", "F", "F", "F", "F", "T", "T", "T"}));
  EXPECT_EQ(Eval("q IS NOT NULL", b), (Strings{"T", "T", "F", "T", "T", "F", "T", "T", "F"}));
  EXPECT_EQ(Eval("p = q", b), (Strings{"T", "F", "N", "F", "T", "N", "N", "N", "N"}));
  EXPECT_EQ(Eval("p != q", b), (Strings{"F", "T", "N", "T", "F", "N", "N", "N", "N"}));
  EXPECT_EQ(Eval("p AND NULL", b), (Strings{"N", "N", "N", "F", "F", "F", "N", "N", "N"}));
  EXPECT_EQ(Eval("p OR NULL", b), (Strings{"T", "T", "T", "N", "N", "N", "N", "N", "N"}));
  EXPECT_EQ(Eval("p AND TRUE", b), (Strings{"T", "T", "T", "F", "F", "F", "N", "N", "N"}));
  EXPECT_EQ(Eval("p OR FALSE", b), (Strings{"T", "T", "T", "F", "F", "F", "N", "N", "N"}));
  EXPECT_EQ(Eval("p AND FALSE", b), Strings(9, "F"));
  EXPECT_EQ(Eval("p OR TRUE", b), Strings(9, "T"));
  EXPECT_EQ(Eval("NOT (p AND q)", b), Eval("NOT p OR NOT q", b));
  EXPECT_EQ(Eval("NOT (p OR q)", b), Eval("NOT p AND NOT q", b));
  EXPECT_EQ(Eval("p IN (q)", b), Eval("p = q", b));
  EXPECT_EQ(Eval("p IN (TRUE, NULL)", b), (Strings{"T", "T", "T", "N", "N", "N", "N", "N", "N"}));
  EXPECT_EQ(Eval("p NOT IN (TRUE, NULL)", b),
            (Strings{"F", "F", "F", "N", "N", "N", "N", "N", "N"}));
  EXPECT_EQ(Eval("p NOT IN (TRUE)", b), (Strings{"F", "F", "F", "T", "T", "T", "N", "N", "N"}));
  EXPECT_EQ(Eval("p", b), (Strings{"T", "T", "T", "F", "F", "F", "N", "N", "N"}));
  // The filter keeps TRUE only.
  auto bits = EvaluateFilter(*ParsePredicate("p OR q"), b);
  std::string kept;
  for (int64_t i = 0; i < bits.length(); ++i) kept += bits.Get(i) ? '1' : '0';
  EXPECT_EQ(kept, "111100100");
  EXPECT_EQ(EvaluateFilter(*ParsePredicate("NULL"), b).CountSet(), 0);
  EXPECT_EQ(EvaluateFilter(*ParsePredicate("TRUE"), b).CountSet(), 9);
  EXPECT_EQ(EvaluateFilter(*ParsePredicate("1 < 2"), b).CountSet(), 9);
  EXPECT_EQ(EvaluateFilter(*ParsePredicate("1 = NULL"), b).CountSet(), 0);
}

TEST(EvaluatorTest, NaNAndSignedZeroAsSpark) {
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  std::vector<Value> xs = {Value::Float64(nan),
                           Value::Float64(1.0),
                           Value::Float64(-inf),
                           Value::Float64(inf),
                           Value::Float64(-0.0),
                           Value::Float64(0.0),
                           Value::Null(DataType::Float64())};
  std::vector<Value> fs;
  for (const auto& x : xs) {
    fs.push_back(x.is_null() ? Value::Null(DataType::Float32())
                             : Value::Float32(static_cast<float>(x.as_double())));
  }
  RecordBatch b = MakeBatch({{"x", DataType::Float64()}, {"f", DataType::Float32()}}, {xs, fs});
  for (std::string col : {"x", "f"}) {
    SCOPED_TRACE(col);
    EXPECT_EQ(Eval(col + " = CAST('NaN' AS DOUBLE)", b),
              (Strings{"T", "F", "F", "F", "F", "F", "N"}));
    EXPECT_EQ(Eval(col + " > CAST('Infinity' AS DOUBLE)", b),
              (Strings{"T", "F", "F", "F", "F", "F", "N"}));
    EXPECT_EQ(Eval(col + " < CAST('NaN' AS DOUBLE)", b),
              (Strings{"F", "T", "T", "T", "T", "T", "N"}));
    EXPECT_EQ(Eval(col + " >= CAST('NaN' AS DOUBLE)", b),
              (Strings{"T", "F", "F", "F", "F", "F", "N"}));
    EXPECT_EQ(Eval(col + " != CAST('NaN' AS DOUBLE)", b),
              (Strings{"F", "T", "T", "T", "T", "T", "N"}));
    EXPECT_EQ(Eval(col + " = 0", b), (Strings{"F", "F", "F", "F", "T", "T", "N"}));
    EXPECT_EQ(Eval(col + " = -0.0D", b), (Strings{"F", "F", "F", "F", "T", "T", "N"}));
    EXPECT_EQ(Eval(col + " > 0.5", b), (Strings{"T", "T", "F", "T", "F", "F", "N"}));
    EXPECT_EQ(Eval(col + " IN (CAST('NaN' AS DOUBLE), 1)", b),
              (Strings{"T", "T", "F", "F", "F", "F", "N"}));
    EXPECT_EQ(Eval(col + " = " + col, b), (Strings{"T", "T", "T", "T", "T", "T", "N"}));
    EXPECT_EQ(Eval(col + " BETWEEN 0 AND CAST('NaN' AS DOUBLE)", b),
              (Strings{"T", "T", "F", "T", "T", "T", "N"}));
  }
  EXPECT_EQ(Eval("x = f", b), (Strings{"T", "T", "T", "T", "T", "T", "N"}));
}

TEST(EvaluatorTest, NestedFieldsAreNullUnderNullStructs) {
  TypePtr st = DataType::Struct({Field("x", DataType::Int32()), Field("y", DataType::String())});
  auto c = Column::Make(st);
  columnar::AppendValue(*c, Value::Nested(st, {Value::Int32(1), Value::String("a")}));
  c->AppendNull();
  columnar::AppendValue(*c,
                        Value::Nested(st, {Value::Null(DataType::Int32()), Value::String("b")}));
  columnar::AppendValue(*c, Value::Nested(st, {Value::Int32(2), Value::Null(DataType::String())}));
  // A child value present under a NULL struct (as a raw decoder may leave it) must not show.
  auto raw = Column::Make(st);
  raw->mutable_child(0).Append<int32_t>(7);
  raw->mutable_child(1).AppendString("hidden");
  raw->validity_buffer() = columnar::Bitmap(1, false);
  raw->SetLength(1);
  c->AppendRange(*raw, 0, 1);
  RecordBatch b(Schema({Field("s", st)}), {c});
  EXPECT_EQ(Eval("s.x = 1", b), (Strings{"T", "N", "N", "F", "N"}));
  EXPECT_EQ(Eval("s.x IS NULL", b), (Strings{"F", "T", "T", "F", "T"}));
  EXPECT_EQ(Eval("S.Y IN ('a', 'hidden')", b), (Strings{"T", "N", "F", "N", "N"}));
  EXPECT_EQ(Eval("s IS NULL", b), (Strings{"F", "T", "F", "F", "T"}));
  EXPECT_EQ(Eval("s.x", b), (Strings{"1", "N", "N", "2", "N"}));
}

TEST(EvaluatorTest, ArithmeticOverflowIsNullOrAnError) {
  RecordBatch b = MakeBatch(
      {{"i", DataType::Int32()},
       {"l", DataType::Int64()},
       {"d", DataType::Decimal(5, 2)},
       {"x", DataType::Float64()}},
      {{Value::Int32(2147483647), Value::Int32(-2147483647 - 1), Value::Int32(7),
        Value::Null(DataType::Int32())},
       {Value::Int64(std::numeric_limits<int64_t>::max()), Value::Int64(4), Value::Int64(0),
        Value::Int64(-3)},
       {Value::Decimal(110, 5, 2), Value::Decimal(-99999, 5, 2), Value::Decimal(1, 5, 2),
        Value::Decimal(0, 5, 2)},
       {Value::Float64(1), Value::Float64(0), Value::Float64(-2.5), Value::Float64(std::nan(""))}});
  EXPECT_EQ(Eval("i + 1", b), (Strings{"N", "-2147483647", "8", "N"}));
  EXPECT_EQ(Eval("i - 1", b), (Strings{"2147483646", "N", "6", "N"}));
  EXPECT_EQ(Eval("i * 2", b), (Strings{"N", "N", "14", "N"}));
  EXPECT_EQ(Eval("-i", b), (Strings{"-2147483647", "N", "-7", "N"}));
  EXPECT_EQ(Eval("l + 1", b), (Strings{"N", "5", "1", "-2"}));
  EXPECT_EQ(Eval("i + l", b), (Strings{"N", "-2147483644", "7", "N"}));
  EXPECT_EQ(Eval("l / 2", b), (Strings{"4611686018427388000", "2", "0", "-1.5"}));
  EXPECT_EQ(Eval("7 / l", b),
            (Strings{"7.589415207398531e-19", "1.75", "N", "-2.3333333333333335"}));
  EXPECT_EQ(Eval("x / 0", b), (Strings{"N", "N", "N", "N"}));
  EXPECT_EQ(Eval("x * 2 + 1", b), (Strings{"3", "1", "-4", "NaN"}));
  EXPECT_EQ(Eval("d + 1.005", b), (Strings{"2.105", "-998.985", "1.015", "1.005"}));
  EXPECT_EQ(Eval("d * d", b), (Strings{"1.2100", "999980.0001", "0.0001", "0.0000"}));
  // decimal(5,2) / decimal(10,0) is decimal(16,13), rounded HALF_UP.
  EXPECT_EQ(Eval("d / 3", b), (Strings{"0.3666666666667", "-333.3300000000000", "0.0033333333333",
                                       "0.0000000000000"}));
  EXPECT_EQ(Eval("d / d", b), (Strings{"1.00000000", "1.00000000", "1.00000000", "N"}));
  EXPECT_EQ(
      Eval("d * 1000000000000000000000000000000000", b),
      (Strings{"1100000000000000000000000000000000.00", "-999990000000000000000000000000000000.00",
               "10000000000000000000000000000000.00", "0.00"}));
  // decimal(38,2): -999.99e35 needs 40 digits.
  EXPECT_EQ(Eval("d * 100000000000000000000000000000000000", b),
            (Strings{"110000000000000000000000000000000000.00", "N",
                     "1000000000000000000000000000000000.00", "0.00"}));
  EXPECT_THROW(
      Eval("d * 100000000000000000000000000000000000", b, EvalOptions{/*error_on_overflow=*/true}),
      InvalidInput);
  EXPECT_EQ(Eval("-d", b), (Strings{"-1.10", "999.99", "-0.01", "0.00"}));
  EXPECT_EQ(Eval("i + 1 > 0", b), (Strings{"N", "F", "T", "N"}));
  EXPECT_EQ(Eval("i + NULL", b), (Strings{"N", "N", "N", "N"}));
  EvalOptions strict;
  strict.error_on_overflow = true;
  EXPECT_THROW(Eval("i + 1", b, strict), InvalidInput);
  EXPECT_THROW(Eval("-i", b, strict), InvalidInput);
  EXPECT_THROW(Eval("x / 0", b, strict), InvalidInput);
  EXPECT_THROW(Eval("d / d", b, strict), InvalidInput);
  EXPECT_THROW(Eval("CAST(i AS SMALLINT)", b, strict), InvalidInput);
  EXPECT_EQ(Eval("CAST(i AS SMALLINT)", b), (Strings{"N", "N", "7", "N"}));
  EXPECT_EQ(Eval("l - 1", b, strict), (Strings{"9223372036854775806", "3", "-1", "-4"}));
  try {
    Eval("i * 2", b, strict);
  } catch (const InvalidInput& e) {
    EXPECT_STREQ(e.what(), "integer overflow in `i * 2`");
  }
}

TEST(EvaluatorTest, MixedTypeComparisons) {
  RecordBatch b = MakeBatch(
      {{"d", DataType::Date()},
       {"t", DataType::Timestamp()},
       {"n", DataType::TimestampNtz()},
       {"i", DataType::Int32()},
       {"big", DataType::Decimal(38, 0)},
       {"m", DataType::Decimal(10, 2)},
       {"s", DataType::String()},
       {"bin", DataType::Binary()}},
      {{Value::Date(19723), Value::Date(19724), Value::Null(DataType::Date())},
       {Value::Timestamp(1704067200000000LL), Value::Timestamp(1704067200000001LL),
        Value::Timestamp(0)},
       {Value::Integer(DataType::TimestampNtz(), 1704067200000000LL),
        Value::Integer(DataType::TimestampNtz(), 0), Value::Null(DataType::TimestampNtz())},
       {Value::Int32(1), Value::Int32(2), Value::Int32(-2147483647 - 1)},
       {Value::Decimal(1, 38, 0), Value::Decimal(2, 38, 0), Value::Decimal(-3, 38, 0)},
       {Value::Decimal(150, 10, 2), Value::Decimal(200, 10, 2), Value::Decimal(-155, 10, 2)},
       {Value::String("a"), Value::String("\xc3\xa9"), Value::String("")},
       {Value::Binary("a"), Value::Binary("b"), Value::Binary("")}});
  EXPECT_EQ(Eval("d = '2024-01-01'", b), (Strings{"T", "F", "N"}));
  EXPECT_EQ(Eval("d < TIMESTAMP '2024-01-01 00:00:00.000001'", b), (Strings{"T", "F", "N"}));
  EXPECT_EQ(Eval("d = t", b), (Strings{"T", "F", "N"}));
  EXPECT_EQ(Eval("t = n", b), (Strings{"T", "F", "N"}));
  EXPECT_EQ(Eval("t >= '2024-01-01T00:00:00.000001Z'", b), (Strings{"F", "T", "F"}));
  EXPECT_EQ(Eval("i = 5000000000", b), (Strings{"F", "F", "F"}));
  EXPECT_EQ(Eval("i < 5000000000", b), (Strings{"T", "T", "T"}));
  EXPECT_EQ(Eval("i > -2147483649", b), (Strings{"T", "T", "T"}));
  EXPECT_EQ(Eval("i < 1.5", b), (Strings{"T", "F", "T"}));
  EXPECT_EQ(Eval("i = 1.0", b), (Strings{"T", "F", "F"}));
  EXPECT_EQ(Eval("i <= 1.5D", b), (Strings{"T", "F", "T"}));
  EXPECT_EQ(Eval("m = 1.5", b), (Strings{"T", "F", "F"}));
  EXPECT_EQ(Eval("m < 1.505", b), (Strings{"T", "F", "T"}));
  EXPECT_EQ(Eval("m > -1.555", b), (Strings{"T", "T", "T"}));
  EXPECT_EQ(Eval("m >= -1.55", b), (Strings{"T", "T", "T"}));
  EXPECT_EQ(Eval("big < m", b), (Strings{"T", "F", "T"}));  // exact, without a common type
  EXPECT_EQ(Eval("big IN (2, m)", b), (Strings{"F", "T", "F"}));
  EXPECT_EQ(Eval("m = i", b), (Strings{"F", "T", "F"}));
  EXPECT_EQ(Eval("s > 'z'", b), (Strings{"F", "T", "F"}));  // bytes, unsigned
  EXPECT_EQ(Eval("s = bin", b), (Strings{"T", "F", "T"}));
  EXPECT_EQ(Eval("bin < X'62'", b), (Strings{"T", "F", "T"}));
  EXPECT_EQ(Eval("i IN (1, 2L, 3.5)", b), (Strings{"T", "T", "F"}));
  EXPECT_EQ(Eval("i IN (i, NULL)", b), (Strings{"T", "T", "T"}));
  EXPECT_EQ(Eval("i NOT IN (i + 1, NULL)", b), (Strings{"N", "N", "N"}));
  EXPECT_EQ(Eval("s IN ('a', 'b')", b), (Strings{"T", "F", "F"}));
  EXPECT_EQ(Eval("d NOT BETWEEN '2024-01-01' AND '2024-01-01'", b), (Strings{"F", "T", "N"}));
  EXPECT_EQ(Eval("CAST(s AS DATE) IS NULL", b), (Strings{"T", "T", "T"}));
}

TEST(EvaluatorTest, BatchesAndErrors) {
  RecordBatch b =
      MakeBatch({{"a", DataType::Int32()}, {"b", DataType::String()}},
                {{Value::Int32(1), Value::Int32(2)}, {Value::String("x"), Value::String("y")}});
  // A bare column is the batch's own column.
  EXPECT_EQ(Evaluate(*Col("a"), b).get(), b.column_ptr(0).get());
  // A literal is broadcast.
  EXPECT_EQ(Eval("1 + 2", b), (Strings{"3", "3"}));
  // A bound expression is reused on another batch of the same schema...
  ExprPtr bound = BindPredicate(*ParsePredicate("A > 1"), b.schema());
  RecordBatch b2 = MakeBatch({{"a", DataType::Int32()}, {"b", DataType::String()}},
                             {{Value::Int32(5)}, {Value::String("z")}});
  EXPECT_EQ(EvaluateFilter(*bound, b2).CountSet(), 1);
  EXPECT_EQ(EvaluateFilter(*bound, b).CountSet(), 1);
  // ...but not on a batch whose column has another type.
  RecordBatch other = MakeBatch({{"a", DataType::Int64()}}, {{Value::Int64(5)}});
  EXPECT_THROW(EvaluateFilter(*bound, other), InvalidInput);
  EXPECT_THROW(EvaluateFilter(*ParsePredicate("c = 1"), b), InvalidInput);
  EXPECT_THROW(EvaluateFilter(*ParsePredicate("a + 1"), b), InvalidInput);
  EXPECT_THROW(EvaluateFilter(*Bind(*ParsePredicate("a + 1"), b.schema()), b), InvalidInput);
  // Zero rows, and batches without columns.
  RecordBatch empty = RecordBatch::MakeEmpty(b.schema());
  EXPECT_EQ(Evaluate(*ParsePredicate("a = 1 AND b IN ('x')"), empty)->length(), 0);
  EXPECT_EQ(EvaluateFilter(*ParsePredicate("a = 1"), empty).length(), 0);
  RecordBatch count_only;
  count_only.set_num_rows(3);
  EXPECT_EQ(EvaluateFilter(*ParsePredicate("1 = 1"), count_only).CountSet(), 3);
}

// --- Typed column-vs-literal and column-vs-column kernels -------------------------------

template <typename Tag>
class TypedKernelTest : public ::testing::Test {};

struct Int32Tag {
  static TypePtr Type() { return DataType::Int32(); }
};
struct Int64Tag {
  static TypePtr Type() { return DataType::Int64(); }
};
struct DoubleTag {
  static TypePtr Type() { return DataType::Float64(); }
};
struct StringTag {
  static TypePtr Type() { return DataType::String(); }
};
struct DateTag {
  static TypePtr Type() { return DataType::Date(); }
};
struct TimestampTag {
  static TypePtr Type() { return DataType::Timestamp(); }
};
struct DecimalTag {
  static TypePtr Type() { return DataType::Decimal(10, 2); }
};
struct BooleanTag {
  static TypePtr Type() { return DataType::Boolean(); }
};
using KernelTypes = ::testing::Types<Int32Tag, Int64Tag, DoubleTag, StringTag, DateTag,
                                     TimestampTag, DecimalTag, BooleanTag>;
TYPED_TEST_SUITE(TypedKernelTest, KernelTypes);

TYPED_TEST(TypedKernelTest, MatchesTheReferenceWithAndWithoutNulls) {
  const TypePtr type = TypeParam::Type();
  std::mt19937_64 rng(std::hash<std::string>()(type->ToString()));
  int checked = 0;
  for (double null_probability : {0.0, 0.3}) {
    for (int trial = 0; trial < 20; ++trial) {
      const int64_t rows = 1 + static_cast<int64_t>(rng() % 200);
      auto a = Column::Make(type), c = Column::Make(type);
      std::uniform_real_distribution<double> u(0, 1);
      for (int64_t i = 0; i < rows; ++i) {
        for (Column* col : {a.get(), c.get()}) {
          if (u(rng) < null_probability) {
            col->AppendNull();
          } else {
            columnar::AppendValue(*col, testing::RandomValue(rng, type, nullptr));
          }
        }
      }
      RecordBatch b(Schema({Field("a", type), Field("c", type)}), {a, c});
      std::vector<ExprPtr> exprs;
      for (int op = 0; op < 6; ++op) {
        ExprPtr lit = Lit(testing::RandomValue(rng, type, a.get()));
        exprs.push_back(Compare(static_cast<CompareOp>(op), Col("a"), lit));
        exprs.push_back(Compare(static_cast<CompareOp>(op), lit, Col("a")));
        exprs.push_back(Compare(static_cast<CompareOp>(op), Col("a"), Col("c")));
      }
      exprs.push_back(IsNull(Col("a")));
      exprs.push_back(IsNotNull(Col("a")));
      std::vector<ExprPtr> list;
      for (int k = 0; k < 5; ++k) list.push_back(Lit(testing::RandomValue(rng, type, a.get())));
      exprs.push_back(In(Col("a"), list));
      list.push_back(Lit(Value::Null(type)));
      exprs.push_back(NotIn(Col("a"), list));
      exprs.push_back(Between(Col("a"), Lit(testing::RandomValue(rng, type, a.get())),
                              Lit(testing::RandomValue(rng, type, a.get()))));
      for (const auto& e : exprs) {
        ColumnPtr got = Evaluate(*e, b);
        ASSERT_EQ(got->length(), rows);
        for (int64_t i = 0; i < rows; ++i) {
          Value expect = testing::ReferenceEval(*e, b, i);
          Value v = columnar::GetValue(*got, i);
          ASSERT_EQ(v.is_null(), expect.is_null()) << e->ToString() << " row " << i;
          if (!v.is_null()) {
            ASSERT_EQ(v.as_bool(), expect.as_bool()) << e->ToString() << " row " << i;
          }
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 2 * 20 * 23);
}

// --- Random predicates against the reference ---------------------------------------------

void CheckAgainstReference(const ExprPtr& e, const RecordBatch& b) {
  ColumnPtr got = Evaluate(*e, b);
  columnar::Bitmap filter = EvaluateFilter(*e, b);
  ASSERT_EQ(got->length(), b.num_rows());
  ASSERT_EQ(filter.length(), b.num_rows());
  for (int64_t i = 0; i < b.num_rows(); ++i) {
    Value expect = testing::ReferenceEval(*e, b, i);
    Value v = columnar::GetValue(*got, i);
    ASSERT_EQ(v.is_null(), expect.is_null()) << e->ToString() << " at row " << i;
    if (!v.is_null()) {
      ASSERT_EQ(v.as_bool(), expect.as_bool()) << e->ToString() << " at row " << i;
    }
    ASSERT_EQ(filter.Get(i), !expect.is_null() && expect.as_bool()) << e->ToString();
  }
}

TEST(EvaluatorTest, RandomPredicatesMatchTheReference) {
  std::mt19937_64 rng(424242);
  int checked = 0;
  for (int trial = 0; trial < 600; ++trial) {
    const int64_t rows = static_cast<int64_t>(rng() % 70);
    const double null_probability = std::vector<double>{0.0, 0.15, 0.5}[rng() % 3];
    RecordBatch b = testing::RandomBatch(rng, rows, null_probability);
    for (int k = 0; k < 20; ++k) {
      ExprPtr e = testing::RandomPredicate(rng, b, 3);
      ASSERT_NO_FATAL_FAILURE(CheckAgainstReference(e, b));
      // The bound form and the reparsed text evaluate alike.
      ExprPtr bound = BindPredicate(*e, b.schema());
      ExprPtr reparsed = ParsePredicate(e->ToString());
      columnar::Bitmap f1 = EvaluateFilter(*e, b), f2 = EvaluateFilter(*bound, b),
                       f3 = EvaluateFilter(*reparsed, b);
      for (int64_t i = 0; i < rows; ++i) {
        ASSERT_EQ(f1.Get(i), f2.Get(i)) << bound->ToString();
        ASSERT_EQ(f1.Get(i), f3.Get(i)) << reparsed->ToString();
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 12000);
}

TEST(EvaluatorTest, LargeBatchMatchesTheReference) {
  std::mt19937_64 rng(99);
  RecordBatch b = testing::RandomBatch(rng, 5000, 0.2);
  for (int k = 0; k < 40; ++k) {
    ASSERT_NO_FATAL_FAILURE(CheckAgainstReference(testing::RandomPredicate(rng, b, 2), b));
  }
}

// Long IN lists (more than 32 literals: a hash set, as a join's keys pushed down by the SQL
// layer) answer as short ones (binary search): matches, misses, NULL rows and NULL in the
// list, NOT IN; strings and integers, including keys that collide in a small table.
TEST(EvaluatorTest, LongInListsAnswerAsShortOnes) {
  std::vector<Value> ss, is;
  for (int i = 0; i < 200; ++i) {
    ss.push_back(i % 17 == 5 ? Value::Null(DataType::String())
                             : Value::String("CST_CALLSITE:" + std::to_string(i * 7919 % 1000)));
    is.push_back(i % 13 == 3 ? Value::Null(DataType::Int64()) : Value::Int64(i * 64 - 300));
  }
  RecordBatch b = MakeBatch({{"s", DataType::String()}, {"i", DataType::Int64()}}, {ss, is});
  std::string long_s, long_i;
  for (int k = 0; k < 40; ++k) {
    long_s += (k ? ", '" : "'") + std::string("CST_CALLSITE:") + std::to_string(k * 25) + "'";
    long_i += (k ? ", " : "") + std::to_string(k * 128 - 300);
  }
  auto reference = [&](const std::string& column, const std::string& list, bool negated) {
    // The same list tested one literal at a time with OR (no IN evaluation at all).
    std::string ors;
    size_t pos = 0;
    while (pos < list.size()) {
      size_t end = list.find(", ", pos);
      if (end == std::string::npos) end = list.size();
      ors += (ors.empty() ? "" : " OR ") + column + " = " + list.substr(pos, end - pos);
      pos = end + 2;
    }
    return Eval(negated ? "NOT (" + ors + ")" : ors, b);
  };
  for (bool negated : {false, true}) {
    const char* in = negated ? " NOT IN (" : " IN (";
    EXPECT_EQ(Eval("s" + std::string(in) + long_s + ")", b), reference("s", long_s, negated));
    EXPECT_EQ(Eval("i" + std::string(in) + long_i + ")", b), reference("i", long_i, negated));
    // A NULL in the list: no match is NULL, not FALSE.
    EXPECT_EQ(Eval("s" + std::string(in) + long_s + ", NULL)", b),
              reference("s", long_s + ", NULL", negated));
  }
  const auto hits = Eval("s IN (" + long_s + ")", b);
  EXPECT_GT(std::count(hits.begin(), hits.end(), "T"), 0);
  EXPECT_GT(std::count(hits.begin(), hits.end(), "F"), 0);
}

}  // namespace
}  // namespace cpglake::expr
