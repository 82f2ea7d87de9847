#include "expr/binder.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "expr/parser.h"

namespace cpglake::expr {
namespace {

using columnar::DataType;
using columnar::Field;
using columnar::Schema;
using columnar::TypeId;
using columnar::Value;

Schema TestSchema() {
  return Schema(
      {Field("id", DataType::Int64()), Field("n", DataType::Int32()),
       Field("Name", DataType::String()), Field("name2", DataType::String()),
       Field("price", DataType::Decimal(10, 2)), Field("big", DataType::Decimal(38, 0)),
       Field("ratio", DataType::Float64()), Field("f", DataType::Float32()),
       Field("day", DataType::Date()), Field("at", DataType::Timestamp()),
       Field("local", DataType::TimestampNtz()), Field("flag", DataType::Boolean()),
       Field("bytes", DataType::Binary()), Field("tiny", DataType::Int8()),
       Field("my col", DataType::Int32()), Field("dup", DataType::Int32()),
       Field("DUP", DataType::Int32()),
       Field("s", DataType::Struct(
                      {Field("x", DataType::Int32()),
                       Field("Inner", DataType::Struct({Field("z", DataType::String())}))}))});
}

std::string Bound(std::string_view sql) {
  return Bind(*ParsePredicate(sql), TestSchema())->ToString();
}

std::string BindError(std::string_view sql) {
  try {
    Bind(*ParsePredicate(sql), TestSchema());
  } catch (const InvalidInput& e) {
    return e.what();
  }
  ADD_FAILURE() << "bound: " << sql;
  return "";
}

TEST(BinderTest, ResolvesNamesExactlyThenIgnoringCase) {
  ExprPtr e = Bind(*ParsePredicate("name = 'x'"), TestSchema());
  EXPECT_EQ(e->child(0).path(), std::vector<std::string>{"Name"});
  EXPECT_TRUE(e->bound());
  EXPECT_EQ(e->type()->id(), TypeId::kBoolean);
  EXPECT_EQ(e->child(0).type()->id(), TypeId::kString);
  EXPECT_EQ(Bound("S.INNER.Z = 'a'"), "s.Inner.z = 'a'");
  EXPECT_EQ(Bound("`my col` > 1"), "`my col` > 1");
  EXPECT_EQ(Bound("dup = 1 AND DUP = 2"), "dup = 1 AND DUP = 2");  // exact matches win
  EXPECT_NE(BindError("Dup = 1").find("column Dup is ambiguous: it matches dup and DUP"),
            std::string::npos);
  std::string msg = BindError("nope = 1");
  EXPECT_NE(msg.find("unknown column nope; available columns: id, n, Name, name2"),
            std::string::npos)
      << msg;
  EXPECT_NE(BindError("s.y = 1").find("column s has no field y; its fields: x, Inner"),
            std::string::npos);
  EXPECT_NE(BindError("id.x = 1").find("cannot read field x of column id, which is BIGINT"),
            std::string::npos);
  auto rc = ResolveColumn({"S", "x"}, TestSchema());
  EXPECT_EQ(rc.path, (std::vector<std::string>{"s", "x"}));
  EXPECT_EQ(rc.type->id(), TypeId::kInt32);
}

TEST(BinderTest, LiteralsTakeTheColumnTypeWhenExact) {
  EXPECT_EQ(Bound("n = 5L"), "n = 5");
  EXPECT_EQ(Bound("5L < n"), "5 < n");
  EXPECT_EQ(Bound("tiny = 5"), "tiny = 5Y");
  EXPECT_EQ(Bound("id = 5"), "id = 5L");
  EXPECT_EQ(Bound("price = 1.5"), "price = CAST(1.50 AS DECIMAL(10,2))");
  EXPECT_EQ(Bound("price = 2"), "price = CAST(2.00 AS DECIMAL(10,2))");
  EXPECT_EQ(Bound("ratio > 1"), "ratio > 1.0D");
  EXPECT_EQ(Bound("ratio > 1e300"), "ratio > 1e+300D");
  EXPECT_EQ(Bound("f > 0.5"), "f > 0.5F");
  EXPECT_EQ(Bound("day = '2024-01-01'"), "day = DATE '2024-01-01'");
  EXPECT_EQ(Bound("at >= '2024-01-01 10:00:00'"), "at >= TIMESTAMP '2024-01-01 10:00:00'");
  EXPECT_EQ(Bound("at >= DATE '2024-01-01'"), "at >= TIMESTAMP '2024-01-01 00:00:00'");
  EXPECT_EQ(Bound("local = TIMESTAMP '2024-01-01 00:00:00'"),
            "local = TIMESTAMP_NTZ '2024-01-01 00:00:00'");
  EXPECT_EQ(Bound("flag = 'true'"), "flag = TRUE");
  EXPECT_EQ(Bound("n = '7'"), "n = 7");
  EXPECT_EQ(Bound("bytes = 'ab'"), "bytes = X'6162'");
  EXPECT_EQ(Bound("n IN (1, 2L, NULL)"), "n IN (1, 2, CAST(NULL AS INT))");
  EXPECT_EQ(Bound("n = NULL"), "n = CAST(NULL AS INT)");
  EXPECT_NE(BindError("day = '2024-13-01'").find("cannot interpret '2024-13-01' as DATE"),
            std::string::npos);
  EXPECT_NE(BindError("n = 'seven'").find("cannot interpret 'seven' as a number"),
            std::string::npos);
}

TEST(BinderTest, OtherwiseBothSidesWiden) {
  EXPECT_EQ(Bound("n = 5000000000"), "CAST(n AS BIGINT) = 5000000000");
  EXPECT_EQ(Bound("n = id"), "CAST(n AS BIGINT) = id");
  EXPECT_EQ(Bound("n < 2.5"), "CAST(n AS DECIMAL(11,1)) < CAST(2.5 AS DECIMAL(11,1))");
  EXPECT_EQ(Bound("n < 2.5D"), "CAST(n AS DOUBLE) < 2.5D");
  EXPECT_EQ(Bound("price < 1.005"), "CAST(price AS DECIMAL(11,3)) < CAST(1.005 AS DECIMAL(11,3))");
  EXPECT_EQ(Bound("f = 0.1"), "CAST(f AS DOUBLE) = 0.1D");
  EXPECT_EQ(Bound("price = ratio"), "CAST(price AS DOUBLE) = ratio");
  EXPECT_EQ(Bound("day < at"), "CAST(day AS TIMESTAMP) < at");
  EXPECT_EQ(Bound("at = local"), "at = local");  // compared by microseconds
  EXPECT_EQ(Bound("name = bytes"), "Name = bytes");
  // decimal(38,0) against a fraction needs more than 38 digits: compared exactly, uncast.
  EXPECT_EQ(Bound("big = price"), "big = price");
  EXPECT_EQ(Bound("n IN (1, 2.5)"),
            "CAST(n AS DECIMAL(11,1)) IN (CAST(1.0 AS DECIMAL(11,1)), CAST(2.5 AS DECIMAL(11,1)))");
  EXPECT_EQ(Bound("n BETWEEN 1 AND id"), "CAST(n AS BIGINT) BETWEEN 1L AND id");
}

TEST(BinderTest, TypeErrors) {
  EXPECT_NE(BindError("name = 1").find("cannot compare STRING with INT in `name = 1`"),
            std::string::npos);
  EXPECT_NE(BindError("flag < day").find("cannot compare BOOLEAN with DATE"), std::string::npos);
  EXPECT_NE(BindError("s = 1").find("cannot compare values of type struct<"), std::string::npos);
  EXPECT_NE(BindError("n AND flag").find("AND needs boolean operands, but `n` is INT"),
            std::string::npos);
  EXPECT_NE(BindError("NOT n").find("NOT needs boolean operands"), std::string::npos);
  EXPECT_NE(BindError("name + 1 > 0").find("arithmetic needs numbers, but `name` is STRING"),
            std::string::npos);
  EXPECT_NE(BindError("-name = 'a'").find("unary minus needs a number"), std::string::npos);
  EXPECT_NE(BindError("CAST(day AS INT) = 1").find("cannot cast DATE to INT"), std::string::npos);
  EXPECT_THROW(BindPredicate(*ParsePredicate("n + 1"), TestSchema()), InvalidInput);
  try {
    BindPredicate(*ParsePredicate("n + 1"), TestSchema());
  } catch (const InvalidInput& e) {
    EXPECT_STREQ(e.what(), "predicate must be boolean, but `n + 1` is INT");
  }
  EXPECT_EQ(BindPredicate(*ParsePredicate("NULL"), TestSchema())->type()->id(), TypeId::kBoolean);
  EXPECT_EQ(BindPredicate(*ParsePredicate("flag"), TestSchema())->type()->id(), TypeId::kBoolean);
}

TEST(BinderTest, ArithmeticTypes) {
  auto type_of = [](std::string_view sql) {
    return Bind(*ParseExpression(sql), TestSchema())->type()->ToString();
  };
  EXPECT_EQ(type_of("n + 1"), "integer");
  EXPECT_EQ(type_of("n + id"), "long");
  EXPECT_EQ(type_of("tiny * tiny"), "byte");
  EXPECT_EQ(type_of("n / 2"), "double");
  EXPECT_EQ(type_of("f + f"), "float");
  EXPECT_EQ(type_of("f + 1"), "double");
  EXPECT_EQ(type_of("f + ratio"), "double");
  EXPECT_EQ(type_of("price + 1"), "decimal(13,2)");  // int → decimal(10,0)
  EXPECT_EQ(type_of("price * price"), "decimal(21,4)");
  EXPECT_EQ(type_of("price / price"), "decimal(23,13)");
  EXPECT_EQ(type_of("big * price"), "decimal(38,2)");
  EXPECT_EQ(type_of("big / price"), "decimal(38,6)");
  EXPECT_EQ(type_of("price + ratio"), "double");
  EXPECT_EQ(type_of("-price"), "decimal(10,2)");
  EXPECT_EQ(type_of("NULL + n"), "integer");
  EXPECT_EQ(type_of("NULL + NULL"), "double");
  EXPECT_EQ(type_of("CAST(n AS STRING)"), "string");
  EXPECT_EQ(Bind(*IsNull(Cast(Lit("x"), DataType::Int32())), TestSchema())->ToString(),
            "CAST(NULL AS INT) IS NULL");
}

TEST(BinderTest, BindingIsIdempotent) {
  for (std::string_view sql : {"n = 5000000000", "n < 2.5", "day < at", "name IN ('a', 'b')",
                               "f = 0.1", "price BETWEEN 1 AND 2.555", "s.x + 1 > n OR NOT flag"}) {
    ExprPtr once = Bind(*ParsePredicate(sql), TestSchema());
    ExprPtr twice = Bind(*once, TestSchema());
    EXPECT_TRUE(once->Equals(*twice)) << once->ToString() << " vs " << twice->ToString();
  }
}

}  // namespace
}  // namespace cpglake::expr
