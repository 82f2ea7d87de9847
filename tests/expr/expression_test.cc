#include "expr/expression.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "expr/parser.h"

namespace cpglake::expr {
namespace {

using columnar::DataType;
using columnar::Value;

TEST(ExpressionTest, ColumnNamesFromText) {
  EXPECT_EQ(Col("a")->path(), std::vector<std::string>{"a"});
  EXPECT_EQ(Col("a.b.c")->path(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(Col("my col")->path(), std::vector<std::string>{"my col"});
  EXPECT_EQ(Col("`my col`.x")->path(), (std::vector<std::string>{"my col", "x"}));
  EXPECT_EQ(Col("`a.b`")->path(), std::vector<std::string>{"a.b"});
  EXPECT_EQ(Col("`a``b`")->path(), std::vector<std::string>{"a`b"});
  EXPECT_EQ(ColPath({"a.b"})->path(), std::vector<std::string>{"a.b"});
  EXPECT_THROW(Col(""), InvalidInput);
  EXPECT_THROW(Col("a..b"), InvalidInput);
  EXPECT_THROW(Col("a."), InvalidInput);
  EXPECT_THROW(Col("`a"), InvalidInput);
  EXPECT_THROW(Col("`a`b"), InvalidInput);
  EXPECT_THROW(ColPath({}), InvalidInput);
  EXPECT_THROW(ColPath({"a", ""}), InvalidInput);
}

TEST(ExpressionTest, BuildersFlattenAndFold) {
  ExprPtr a = Col("a"), b = Col("b"), c = Col("c");
  ExprPtr e = And({And({a, b}), c});
  EXPECT_EQ(e->kind(), ExprKind::kAnd);
  EXPECT_EQ(e->children().size(), 3u);
  EXPECT_EQ(e->ToString(), "a AND b AND c");
  EXPECT_EQ(Or({a})->ToString(), "a");
  EXPECT_EQ(And({})->ToString(), "TRUE");
  EXPECT_EQ(Or({})->ToString(), "FALSE");
  EXPECT_EQ(Or({And({a, b}), c})->ToString(), "(a AND b) OR c");
  EXPECT_EQ(And({Or({a, b}), c})->ToString(), "(a OR b) AND c");
  EXPECT_EQ(Neg(Lit(5))->ToString(), "-5");
  EXPECT_TRUE(Neg(Lit(5))->is_literal());
  EXPECT_EQ(Neg(Lit(Value::Decimal(125, 3, 2)))->value(), Value::Decimal(-125, 3, 2));
  EXPECT_EQ(Neg(Lit(-2147483647 - 1))->kind(), ExprKind::kNegate);  // would overflow
  EXPECT_EQ(Neg(Lit(-2147483647 - 1))->ToString(), "-(-2147483648)");
  EXPECT_EQ(Neg(a)->ToString(), "-a");
  EXPECT_THROW(In(a, {}), InvalidInput);
  EXPECT_THROW(Eq(a, nullptr), InvalidInput);
  EXPECT_THROW(And({a, nullptr}), InvalidInput);
  EXPECT_THROW(Lit(Value::Nested(DataType::List(DataType::Int32()), {Value::Int32(1)})),
               InvalidInput);
}

TEST(ExpressionTest, ToStringOfEveryNode) {
  ExprPtr a = Col("a");
  EXPECT_EQ(Eq(a, Lit(1))->ToString(), "a = 1");
  EXPECT_EQ(Ne(a, Lit("x"))->ToString(), "a != 'x'");
  EXPECT_EQ(Lt(a, Lit(1.5))->ToString(), "a < 1.5D");
  EXPECT_EQ(Le(a, Lit(int64_t{2}))->ToString(), "a <= 2L");
  EXPECT_EQ(Gt(a, Lit(true))->ToString(), "a > TRUE");
  EXPECT_EQ(Ge(a, NullLit())->ToString(), "a >= NULL");
  EXPECT_EQ(IsNull(a)->ToString(), "a IS NULL");
  EXPECT_EQ(IsNotNull(Col("s.x"))->ToString(), "s.x IS NOT NULL");
  EXPECT_EQ(In(a, {Lit(1), NullLit()})->ToString(), "a IN (1, NULL)");
  EXPECT_EQ(NotIn(a, {Lit(1)})->ToString(), "a NOT IN (1)");
  EXPECT_EQ(Between(a, Lit(1), Lit(2))->ToString(), "a BETWEEN 1 AND 2");
  EXPECT_EQ(NotBetween(a, Lit(1), Add(a, Lit(2)))->ToString(), "a NOT BETWEEN 1 AND a + 2");
  EXPECT_EQ(Mul(Add(a, Lit(1)), Lit(2))->ToString(), "(a + 1) * 2");
  EXPECT_EQ(Div(a, Mul(a, a))->ToString(), "a / (a * a)");
  EXPECT_EQ(Sub(a, Sub(a, a))->ToString(), "a - (a - a)");
  EXPECT_EQ(Not(Not(a))->ToString(), "NOT NOT a");
  EXPECT_EQ(Not(And({a, Col("b")}))->ToString(), "NOT (a AND b)");
  EXPECT_EQ(Cast(a, DataType::Decimal(10, 2))->ToString(), "CAST(a AS DECIMAL(10,2))");
  EXPECT_EQ(Eq(Eq(a, Lit(1)), Lit(true))->ToString(), "(a = 1) = TRUE");
  EXPECT_EQ(Eq(ColPath({"my col", "and"}), Lit(1))->ToString(), "`my col`.`and` = 1");
  EXPECT_EQ(IsNull(Not(a))->ToString(), "(NOT a) IS NULL");
  // Every printed form parses back to the same tree.
  for (const ExprPtr& e :
       {Eq(Eq(a, Lit(1)), Lit(true)), IsNull(Not(a)), Not(Not(a)), Sub(a, Sub(a, a)), Neg(Neg(a)),
        Neg(Add(a, a)), In(Add(a, a), {Or({a, a}), Not(a)}), Between(Neg(a), Mul(a, a), Lit(-1)),
        Cast(Neg(a), DataType::Int64())}) {
    EXPECT_TRUE(ParsePredicate(e->ToString())->Equals(*e)) << e->ToString();
  }
}

TEST(ExpressionTest, EqualsIsStructural) {
  EXPECT_TRUE(Eq(Col("a"), Lit(1))->Equals(*Eq(Col("a"), Lit(1))));
  EXPECT_FALSE(Eq(Col("a"), Lit(1))->Equals(*Eq(Col("a"), Lit(int64_t{1}))));
  EXPECT_FALSE(Eq(Col("a"), Lit(1))->Equals(*Ne(Col("a"), Lit(1))));
  EXPECT_FALSE(Col("a.b")->Equals(*ColPath({"a.b"})));
  EXPECT_FALSE(IsNull(Col("a"))->Equals(*IsNotNull(Col("a"))));
  EXPECT_TRUE(Lit(std::nan(""))->Equals(*Lit(std::nan(""))));
  EXPECT_FALSE(NullLit()->Equals(*Lit(Value::Null(DataType::Int32()))));
}

TEST(ExpressionTest, ReferencedColumnsAndDepth) {
  ExprPtr e = ParsePredicate("a = 1 AND (s.x > a OR b IS NULL) AND s.x < 3");
  auto cols = ReferencedColumns(*e);
  ASSERT_EQ(cols.size(), 3u);
  EXPECT_EQ(cols[0], std::vector<std::string>{"a"});
  EXPECT_EQ(cols[1], (std::vector<std::string>{"s", "x"}));
  EXPECT_EQ(cols[2], std::vector<std::string>{"b"});
  EXPECT_EQ(Col("a")->depth(), 1);
  EXPECT_EQ(e->depth(), 4);
}

TEST(ExpressionTest, TreesHaveABoundedDepth) {
  ExprPtr e = Col("a");
  for (int i = 1; i < Expr::kMaxDepth; ++i) e = Not(e);
  EXPECT_EQ(e->depth(), Expr::kMaxDepth);
  EXPECT_THROW(Not(e), InvalidInput);
  EXPECT_THROW(Add(e, Lit(1)), InvalidInput);
  // Flattening keeps long conjunctions shallow.
  ExprPtr conj = Lit(true);
  for (int i = 0; i < 5000; ++i) conj = And({conj, Eq(Col("a"), Lit(i))});
  EXPECT_EQ(conj->depth(), 3);
}

TEST(ExpressionTest, OperatorHelpers) {
  for (CompareOp op : {CompareOp::kEq, CompareOp::kNe, CompareOp::kLt, CompareOp::kLe,
                       CompareOp::kGt, CompareOp::kGe}) {
    EXPECT_EQ(FlipCompareOp(FlipCompareOp(op)), op);
    EXPECT_EQ(NegateCompareOp(NegateCompareOp(op)), op);
  }
  EXPECT_EQ(FlipCompareOp(CompareOp::kLt), CompareOp::kGt);
  EXPECT_EQ(NegateCompareOp(CompareOp::kLt), CompareOp::kGe);
  EXPECT_EQ(CompareOpSymbol(CompareOp::kNe), "!=");
  EXPECT_EQ(ArithOpSymbol(ArithOp::kDiv), "/");
  EXPECT_EQ(QuoteName("abc_1"), "abc_1");
  EXPECT_EQ(QuoteName("Or"), "`Or`");
  EXPECT_EQ(QuoteName("a`b"), "`a``b`");
  EXPECT_EQ(QuoteName("\xc3\xa9t\xc3\xa9"), "`\xc3\xa9t\xc3\xa9`");
}

}  // namespace
}  // namespace cpglake::expr
