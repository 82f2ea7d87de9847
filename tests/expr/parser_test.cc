#include "expr/parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "columnar/record_batch.h"
#include "common/error.h"
#include "random_data.h"

namespace cpglake::expr {
namespace {

using columnar::DataType;
using columnar::TypeId;
using columnar::Value;

// The canonical text of the parse of `sql`.
std::string Canon(std::string_view sql) {
  return ParsePredicate(sql)->ToString();
}

// The InvalidInput message for `sql` (fails the test when it parses).
std::string ErrorOf(std::string_view sql) {
  try {
    ParsePredicate(sql);
  } catch (const InvalidInput& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  ADD_FAILURE() << "parsed: " << sql;
  return "";
}

const Value& LitOf(const ExprPtr& e) {
  EXPECT_TRUE(e->is_literal()) << e->ToString();
  return e->value();
}

TEST(ParserTest, ColumnsAndPaths) {
  ExprPtr e = ParsePredicate("a");
  ASSERT_TRUE(e->is_column());
  EXPECT_EQ(e->path(), std::vector<std::string>{"a"});
  e = ParsePredicate("a.b.c");
  EXPECT_EQ(e->path(), (std::vector<std::string>{"a", "b", "c"}));
  e = ParsePredicate("`my col`.x");
  EXPECT_EQ(e->path(), (std::vector<std::string>{"my col", "x"}));
  e = ParsePredicate("`a.b`");
  EXPECT_EQ(e->path(), std::vector<std::string>{"a.b"});
  e = ParsePredicate("`we``ird` . `and`");
  EXPECT_EQ(e->path(), (std::vector<std::string>{"we`ird", "and"}));
  // Contextual keywords are names where no literal can start.
  e = ParsePredicate("date = DATE '2024-01-01'");
  EXPECT_EQ(e->child(0).path(), std::vector<std::string>{"date"});
  EXPECT_EQ(e->child(1).value(), Value::Date(19723));
  EXPECT_EQ(Canon("timestamp IS NULL"), "timestamp IS NULL");
  EXPECT_EQ(Canon("cast > 1"), "cast > 1");
  EXPECT_EQ(Canon("x = 1"), "x = 1");
  EXPECT_EQ(Canon("_under_score1 = 1"), "_under_score1 = 1");
  // Reserved words need back quotes; ToString adds them.
  EXPECT_EQ(Canon("`and` = `NULL`"), "`and` = `NULL`");
  EXPECT_EQ(Canon("`a b` = 1"), "`a b` = 1");
  EXPECT_EQ(Canon("`1a` = 1"), "`1a` = 1");
  EXPECT_EQ(ParseColumn("`my col`.x")->path(), (std::vector<std::string>{"my col", "x"}));
  EXPECT_THROW(ParseColumn("a + 1"), InvalidInput);
}

TEST(ParserTest, IntegerLiteralsTakeTheSmallestType) {
  EXPECT_EQ(LitOf(ParsePredicate("5")), Value::Int32(5));
  EXPECT_EQ(LitOf(ParsePredicate("2147483647")), Value::Int32(2147483647));
  EXPECT_EQ(LitOf(ParsePredicate("2147483648")), Value::Int64(2147483648LL));
  EXPECT_EQ(LitOf(ParsePredicate("-2147483648")), Value::Int32(-2147483647 - 1));
  EXPECT_EQ(LitOf(ParsePredicate("-2147483649")), Value::Int64(-2147483649LL));
  EXPECT_EQ(LitOf(ParsePredicate("9223372036854775807")),
            Value::Int64(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(LitOf(ParsePredicate("-9223372036854775808")),
            Value::Int64(std::numeric_limits<int64_t>::min()));
  Value big = LitOf(ParsePredicate("9223372036854775808"));
  EXPECT_EQ(big.type()->ToString(), "decimal(19,0)");
  EXPECT_EQ(big.as_decimal(), static_cast<__int128>(std::numeric_limits<int64_t>::max()) + 1);
  EXPECT_EQ(LitOf(ParsePredicate(std::string(38, '9'))).type()->ToString(), "decimal(38,0)");
  EXPECT_NE(ErrorOf(std::string(39, '9')).find("out of range at column 1"), std::string::npos);
  EXPECT_EQ(LitOf(ParsePredicate("007")), Value::Int32(7));
}

TEST(ParserTest, DecimalFloatAndSuffixedLiterals) {
  Value d = LitOf(ParsePredicate("1.25"));
  EXPECT_EQ(d.type()->ToString(), "decimal(3,2)");
  EXPECT_EQ(d.as_decimal(), 125);
  EXPECT_EQ(LitOf(ParsePredicate("0.05")).type()->ToString(), "decimal(2,2)");
  EXPECT_EQ(LitOf(ParsePredicate("1.50")).type()->ToString(), "decimal(3,2)");
  EXPECT_EQ(LitOf(ParsePredicate(".5")).type()->ToString(), "decimal(1,1)");
  EXPECT_EQ(LitOf(ParsePredicate("5.")).type()->ToString(), "decimal(1,0)");
  EXPECT_EQ(LitOf(ParsePredicate("-1.25")).as_decimal(), -125);
  EXPECT_EQ(LitOf(ParsePredicate("1e3")), Value::Float64(1000));
  EXPECT_EQ(LitOf(ParsePredicate("1.5E-2")), Value::Float64(0.015));
  EXPECT_EQ(LitOf(ParsePredicate("1.5D")), Value::Float64(1.5));
  EXPECT_EQ(LitOf(ParsePredicate("1.5d")), Value::Float64(1.5));
  EXPECT_EQ(LitOf(ParsePredicate("0.1F")), Value::Float32(0.1f));
  EXPECT_EQ(LitOf(ParsePredicate("5L")), Value::Int64(5));
  EXPECT_EQ(LitOf(ParsePredicate("5S")), Value::Integer(DataType::Int16(), 5));
  EXPECT_EQ(LitOf(ParsePredicate("-128Y")), Value::Integer(DataType::Int8(), -128));
  EXPECT_EQ(LitOf(ParsePredicate("5BD")).type()->ToString(), "decimal(1,0)");
  EXPECT_EQ(LitOf(ParsePredicate("1.5BD")).type()->ToString(), "decimal(2,1)");
  EXPECT_EQ(LitOf(ParsePredicate("-0.0D")).as_double(), 0.0);
  EXPECT_TRUE(std::signbit(LitOf(ParsePredicate("-0.0D")).as_double()));
  // 39+ digits with a point: a double, as Spark does.
  EXPECT_EQ(LitOf(ParsePredicate("0." + std::string(39, '1'))).type_id(), TypeId::kFloat64);
  EXPECT_NE(ErrorOf("128Y").find("TINYINT literal 128Y is out of range at column 1"),
            std::string::npos);
  EXPECT_NE(ErrorOf("1.5L").find("suffix L needs an integer"), std::string::npos);
  EXPECT_NE(ErrorOf("1e999").find("out of range"), std::string::npos);
  EXPECT_NE(ErrorOf("a = 12abc").find("invalid number '12abc' at column 5"), std::string::npos);
}

TEST(ParserTest, StringBinaryBooleanNullAndTemporalLiterals) {
  EXPECT_EQ(LitOf(ParsePredicate("'it''s'")), Value::String("it's"));
  EXPECT_EQ(LitOf(ParsePredicate("''")), Value::String(""));
  EXPECT_EQ(LitOf(ParsePredicate("'a\nb'")), Value::String("a\nb"));
  EXPECT_EQ(LitOf(ParsePredicate("X'0aFF'")), Value::Binary(std::string("\x0a\xff", 2)));
  EXPECT_EQ(LitOf(ParsePredicate("x''")), Value::Binary(""));
  EXPECT_EQ(LitOf(ParsePredicate("TRUE")), Value::Boolean(true));
  EXPECT_EQ(LitOf(ParsePredicate("false")), Value::Boolean(false));
  EXPECT_TRUE(LitOf(ParsePredicate("NuLl")).is_null());
  EXPECT_EQ(LitOf(ParsePredicate("NULL")).type_id(), TypeId::kNull);
  EXPECT_EQ(LitOf(ParsePredicate("DATE '2024-01-01'")), Value::Date(19723));
  EXPECT_EQ(LitOf(ParsePredicate("date '1969-12-31'")), Value::Date(-1));
  EXPECT_EQ(LitOf(ParsePredicate("TIMESTAMP '2024-01-01 10:00:00.123456'")),
            Value::Timestamp(1704103200123456LL));
  EXPECT_EQ(LitOf(ParsePredicate("TIMESTAMP '2024-01-01T10:00:00.123456Z'")),
            Value::Timestamp(1704103200123456LL));
  EXPECT_EQ(LitOf(ParsePredicate("TIMESTAMP '2024-01-01 12:00:00+02:00'")),
            Value::Timestamp(1704103200000000LL));
  EXPECT_EQ(LitOf(ParsePredicate("TIMESTAMP '2024-01-01'")), Value::Timestamp(1704067200000000LL));
  EXPECT_EQ(LitOf(ParsePredicate("TIMESTAMP '2024-01-01 10:00'")),
            Value::Timestamp(1704103200000000LL));
  EXPECT_EQ(LitOf(ParsePredicate("TIMESTAMP '1969-12-31 23:59:59.999999'")), Value::Timestamp(-1));
  Value ntz = LitOf(ParsePredicate("TIMESTAMP_NTZ '2024-01-01 10:00:00'"));
  EXPECT_EQ(ntz.type_id(), TypeId::kTimestampNtz);
  EXPECT_EQ(ntz.as_int(), 1704103200000000LL);
  EXPECT_NE(ErrorOf("d = DATE '2024-02-30'").find("invalid DATE literal '2024-02-30'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("d = DATE '2024-02-30'").find("at column 10"), std::string::npos);
  EXPECT_NE(ErrorOf("TIMESTAMP_NTZ '2024-01-01 10:00:00Z'").find("invalid TIMESTAMP_NTZ literal"),
            std::string::npos);
  EXPECT_NE(ErrorOf("TIMESTAMP '2024-01-01 25:00:00'").find("invalid TIMESTAMP literal"),
            std::string::npos);
  EXPECT_NE(ErrorOf("X'abc'").find("even number of hex digits"), std::string::npos);
  EXPECT_NE(ErrorOf("X'zz'").find("not a hex digit"), std::string::npos);
}

TEST(ParserTest, CastFoldsLiteralsAndKeepsColumns) {
  EXPECT_EQ(LitOf(ParsePredicate("CAST('NaN' AS DOUBLE)")).type_id(), TypeId::kFloat64);
  EXPECT_TRUE(std::isnan(LitOf(ParsePredicate("CAST('NaN' AS DOUBLE)")).as_double()));
  EXPECT_EQ(LitOf(ParsePredicate("cast(1.50 as decimal(10, 2))")).type()->ToString(),
            "decimal(10,2)");
  EXPECT_EQ(LitOf(ParsePredicate("CAST(NULL AS INT)")), Value::Null(DataType::Int32()));
  EXPECT_EQ(LitOf(ParsePredicate("CAST('2024-01-01' AS DATE)")), Value::Date(19723));
  EXPECT_EQ(LitOf(ParsePredicate("CAST(5 AS BIGINT)")), Value::Int64(5));
  ExprPtr e = ParsePredicate("CAST(a AS BIGINT) = 5");
  ASSERT_EQ(e->child(0).kind(), ExprKind::kCast);
  EXPECT_EQ(e->child(0).type()->id(), TypeId::kInt64);
  EXPECT_EQ(e->ToString(), "CAST(a AS BIGINT) = 5");
  EXPECT_EQ(ParsePredicate("CAST(a AS decimal)")->type()->ToString(), "decimal(10,0)");
  EXPECT_NE(ErrorOf("CAST('abc' AS INT)").find("cannot cast 'abc' to INT at column 1"),
            std::string::npos);
  EXPECT_NE(ErrorOf("CAST(a AS VARCHAR)").find("unknown type 'VARCHAR' at column 11"),
            std::string::npos);
  EXPECT_NE(ErrorOf("CAST(a AS DECIMAL(40,2))").find("invalid DECIMAL(40,2)"), std::string::npos);
  EXPECT_NE(ErrorOf("CAST(a INT)").find("expected AS in CAST, found 'INT' at column 8"),
            std::string::npos);
}

TEST(ParserTest, EveryOperatorAndItsCanonicalForm) {
  EXPECT_EQ(Canon("a=1"), "a = 1");
  EXPECT_EQ(Canon("a==1"), "a = 1");
  EXPECT_EQ(Canon("a<>1"), "a != 1");
  EXPECT_EQ(Canon("a!=1"), "a != 1");
  EXPECT_EQ(Canon("a<1"), "a < 1");
  EXPECT_EQ(Canon("a<=1"), "a <= 1");
  EXPECT_EQ(Canon("a>1"), "a > 1");
  EXPECT_EQ(Canon("a>=1"), "a >= 1");
  EXPECT_EQ(Canon("a is null"), "a IS NULL");
  EXPECT_EQ(Canon("a IS NOT NULL"), "a IS NOT NULL");
  EXPECT_EQ(Canon("a in (1,2 , 3)"), "a IN (1, 2, 3)");
  EXPECT_EQ(Canon("a not in ('x')"), "a NOT IN ('x')");
  EXPECT_EQ(Canon("a between 1 and 2"), "a BETWEEN 1 AND 2");
  EXPECT_EQ(Canon("a NOT BETWEEN 1 AND 2"), "a NOT BETWEEN 1 AND 2");
  EXPECT_EQ(Canon("a + b - c * d / e > -f"), "a + b - c * d / e > -f");
  EXPECT_EQ(Canon("not a"), "NOT a");
  EXPECT_EQ(Canon("a and b or c"), "(a AND b) OR c");
  EXPECT_EQ(Canon("+a"), "a");
  EXPECT_EQ(Canon("- - a"), "-(-a)");
  EXPECT_EQ(Canon("-(-5)"), "5");
  EXPECT_EQ(Canon("a - -5"), "a - -5");
  EXPECT_EQ(Canon("a * -5"), "a * -5");
  EXPECT_EQ(Canon("-(a + 1)"), "-(a + 1)");
}

TEST(ParserTest, Precedence) {
  // OR < AND < NOT < comparison < + - < * / < unary.
  ExprPtr e = ParsePredicate("a OR b AND c");
  ASSERT_EQ(e->kind(), ExprKind::kOr);
  EXPECT_EQ(e->child(1).kind(), ExprKind::kAnd);
  e = ParsePredicate("NOT a AND b");
  ASSERT_EQ(e->kind(), ExprKind::kAnd);
  EXPECT_EQ(e->child(0).kind(), ExprKind::kNot);
  e = ParsePredicate("NOT a = 1");
  ASSERT_EQ(e->kind(), ExprKind::kNot);
  EXPECT_EQ(e->child(0).kind(), ExprKind::kCompare);
  e = ParsePredicate("a + 1 = b * 2");
  ASSERT_EQ(e->kind(), ExprKind::kCompare);
  EXPECT_EQ(e->child(0).arith_op(), ArithOp::kAdd);
  EXPECT_EQ(e->child(1).arith_op(), ArithOp::kMul);
  e = ParsePredicate("a + b * c");
  EXPECT_EQ(e->arith_op(), ArithOp::kAdd);
  EXPECT_EQ(e->child(1).arith_op(), ArithOp::kMul);
  e = ParsePredicate("a - b - c");  // left associative
  EXPECT_EQ(e->child(0).kind(), ExprKind::kArith);
  EXPECT_TRUE(e->child(1).is_column());
  EXPECT_EQ(Canon("a - (b - c)"), "a - (b - c)");
  EXPECT_EQ(Canon("(a - b) - c"), "a - b - c");
  EXPECT_EQ(Canon("a / (b * c)"), "a / (b * c)");
  e = ParsePredicate("-a * b");
  EXPECT_EQ(e->kind(), ExprKind::kArith);
  EXPECT_EQ(e->child(0).kind(), ExprKind::kNegate);
  // BETWEEN's AND binds to BETWEEN; the next AND is a conjunction.
  e = ParsePredicate("a BETWEEN 1 AND 2 AND b");
  ASSERT_EQ(e->kind(), ExprKind::kAnd);
  EXPECT_EQ(e->child(0).kind(), ExprKind::kBetween);
  e = ParsePredicate("a BETWEEN b + 1 AND c * 2");
  EXPECT_EQ(e->child(1).kind(), ExprKind::kArith);
  e = ParsePredicate("a + 1 IS NULL");
  EXPECT_EQ(e->kind(), ExprKind::kIsNull);
  EXPECT_EQ(e->child(0).kind(), ExprKind::kArith);
  // Flattening: chains and nested parentheses give one n-ary node.
  e = ParsePredicate("a AND (b AND c) AND d");
  EXPECT_EQ(e->children().size(), 4u);
  EXPECT_EQ(Canon("(a OR b) AND (c OR d)"), "(a OR b) AND (c OR d)");
  EXPECT_EQ(Canon("NOT (a AND b)"), "NOT (a AND b)");
  EXPECT_EQ(Canon("NOT NOT a"), "NOT NOT a");
  EXPECT_EQ(Canon("(a = 1) = TRUE"), "(a = 1) = TRUE");
  EXPECT_EQ(Canon("a IN (b AND c, 1 + 2)"), "a IN (b AND c, 1 + 2)");
  EXPECT_EQ(Canon("a BETWEEN (b OR c) AND d"), "a BETWEEN (b OR c) AND d");
}

TEST(ParserTest, KeywordsAreCaseInsensitive) {
  EXPECT_EQ(Canon("a iS nOt NuLl aNd b NoT bEtWeEn 1 AnD 2 oR c NOT in (1)"),
            "(a IS NOT NULL AND b NOT BETWEEN 1 AND 2) OR c NOT IN (1)");
  EXPECT_EQ(Canon("CaSt(a As BiGiNt) = tRuE"), "CAST(a AS BIGINT) = TRUE");
}

TEST(ParserTest, ErrorsPointAtTheProblem) {
  EXPECT_EQ(ErrorOf("a = 1 AND (b = 2))"), "predicate: unexpected ')' at column 18");
  EXPECT_EQ(ErrorOf("(a = 1"), "predicate: expected ')', found end of input at column 7");
  EXPECT_EQ(ErrorOf("a = "), "predicate: unexpected end of input at column 5");
  EXPECT_EQ(ErrorOf("a = 'abc"), "predicate: unterminated string at column 5");
  EXPECT_EQ(ErrorOf("`abc = 1"), "predicate: unterminated quoted name at column 1");
  EXPECT_EQ(ErrorOf("a = 1 = 2"), "predicate: unexpected '=' at column 7");
  EXPECT_EQ(ErrorOf("a IS 1"), "predicate: expected NULL, found number 1 at column 6");
  EXPECT_EQ(ErrorOf("a NOT LIKE 'x'"),
            "predicate: expected IN or BETWEEN after NOT, found 'LIKE' at column 7");
  EXPECT_EQ(ErrorOf("a IN ()"), "predicate: IN list is empty at column 7");
  EXPECT_EQ(ErrorOf("a IN (1, 2"),
            "predicate: expected ',' or ')' in the IN list, found end of input at column 11");
  EXPECT_EQ(ErrorOf("a IN 1"), "predicate: expected '(' after IN, found number 1 at column 6");
  EXPECT_EQ(ErrorOf("a BETWEEN 1 OR 2"),
            "predicate: expected AND in BETWEEN, found 'OR' at column 13");
  EXPECT_EQ(ErrorOf("a = \"x\""),
            "predicate: double quotes are not allowed: write strings as 'text' and names as "
            "`name` at column 5");
  EXPECT_EQ(ErrorOf("a # 1"), "predicate: unexpected character '#' at column 3");
  EXPECT_EQ(ErrorOf("a = \x01"), "predicate: unexpected character '\\x01' at column 5");
  EXPECT_EQ(ErrorOf("AND"), "predicate: unexpected 'AND' at column 1");
  EXPECT_EQ(ErrorOf("a."),
            "predicate: expected a field name after '.', found end of input at column 3");
  EXPECT_EQ(ErrorOf("a b"), "predicate: unexpected 'b' at column 3");
  EXPECT_EQ(ErrorOf("``"), "predicate: empty quoted name at column 1");
  EXPECT_EQ(ErrorOf(""), "predicate is empty");
  EXPECT_EQ(ErrorOf("   "), "predicate is empty");
  EXPECT_EQ(ErrorOf("a ! b"), "predicate: unexpected character '!' at column 3");
  try {
    ParseExpression("a +");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_STREQ(e.what(), "expression: unexpected end of input at column 4");
  }
}

TEST(ParserTest, HostileInputGivesCleanErrors) {
  std::string parens(1 << 20, '(');
  std::string msg = ErrorOf(parens);
  EXPECT_NE(msg.find("nested too deeply"), std::string::npos) << msg;
  EXPECT_NE(msg.find("at column 257"), std::string::npos) << msg;
  EXPECT_NE(ErrorOf(std::string(1 << 20, '-') + "a").find("nested too deeply"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 100000; ++i) nots += "NOT ";
  EXPECT_NE(ErrorOf(nots + "a").find("nested too deeply"), std::string::npos);
  // Long flat chains build deep trees: the tree depth is bounded too.
  std::string sum = "a";
  for (int i = 0; i < 100000; ++i) sum += "+a";
  EXPECT_NE(ErrorOf(sum).find("nested too deeply"), std::string::npos);
  std::string path = "a";
  for (int i = 0; i < 100000; ++i) path += ".a";
  EXPECT_NE(ErrorOf(path).find("nested too deeply"), std::string::npos);
  // ...but long flat AND/OR chains and IN lists are fine (they are one n-ary node).
  std::string conj = "a = 0";
  for (int i = 1; i < 20000; ++i) conj += " AND a = " + std::to_string(i);
  EXPECT_EQ(ParsePredicate(conj)->children().size(), 20000u);
  std::string in = "a IN (0";
  for (int i = 1; i < 100000; ++i) in += ", " + std::to_string(i);
  EXPECT_EQ(ParsePredicate(in + ")")->children().size(), 100001u);
  // Just under the depth limit parses.
  std::string ok = std::string(200, '(') + "a" + std::string(200, ')');
  EXPECT_TRUE(ParsePredicate(ok)->is_column());
  // Over the byte limit.
  std::string huge(kMaxExpressionBytes + 1, ' ');
  EXPECT_NE(ErrorOf(huge).find("the limit is"), std::string::npos);
  // Unterminated strings and odd bytes.
  EXPECT_NE(ErrorOf("'" + std::string(1 << 20, 'x')).find("unterminated string"),
            std::string::npos);
  std::string noise;
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    noise.clear();
    int len = static_cast<int>(rng() % 40);
    for (int i = 0; i < len; ++i) {
      static const char kAlphabet[] = "ab1.'`()=<>!-+*/, NOTANDINISBETWEENX\x00\xff";
      noise.push_back(kAlphabet[rng() % (sizeof kAlphabet - 1)]);
    }
    try {
      ExprPtr e = ParsePredicate(noise);
      // Whatever parses prints a form that parses to the same tree.
      EXPECT_TRUE(ParsePredicate(e->ToString())->Equals(*e)) << noise << " -> " << e->ToString();
    } catch (const InvalidInput&) {
    }
  }
}

TEST(ParserTest, LiteralsRoundTripWithTheirTypes) {
  std::vector<Value> values = {
      Value::Int32(0),
      Value::Int32(-2147483647 - 1),
      Value::Int64(5),
      Value::Int64(-2147483648LL),
      Value::Int64(std::numeric_limits<int64_t>::min()),
      Value::Int64(std::numeric_limits<int64_t>::max()),
      Value::Integer(DataType::Int8(), -128),
      Value::Integer(DataType::Int16(), 300),
      Value::Float64(1.5),
      Value::Float64(-0.0),
      Value::Float64(0.1),
      Value::Float64(1e300),
      Value::Float64(5e-324),
      Value::Float64(std::nan("")),
      Value::Float64(std::numeric_limits<double>::infinity()),
      Value::Float64(-std::numeric_limits<double>::infinity()),
      Value::Float32(0.1f),
      Value::Float32(std::nanf("")),
      Value::Decimal(150, 3, 2),
      Value::Decimal(150, 10, 2),
      Value::Decimal(-5, 1, 0),
      Value::Decimal(5, 38, 0),
      Value::Decimal(1, 38, 38),
      Value::Decimal(0, 2, 2),
      Value::String(""),
      Value::String("it's \"quoted\" `x`\n"),
      Value::Binary(std::string("\0\xff", 2)),
      Value::Boolean(true),
      Value::Date(0),
      Value::Date(-719162),  // 0001-01-01
      Value::Date(2932896),  // 9999-12-31
      Value::Timestamp(0),
      Value::Timestamp(-1),
      Value::Timestamp(1704103200123456LL),
      Value::Integer(DataType::TimestampNtz(), 1704103200000000LL),
      Value(),
      Value::Null(DataType::Int32()),
      Value::Null(DataType::Decimal(12, 3)),
  };
  for (const Value& v : values) {
    ExprPtr lit = Lit(v);
    std::string text = lit->ToString();
    ExprPtr back = ParsePredicate(text);
    EXPECT_TRUE(back->Equals(*lit)) << text << " parsed as " << back->ToString() << " of type "
                                    << (back->is_literal() ? back->value().type()->ToString() : "");
    // In an expression context too (negative numbers after operators).
    ExprPtr in_expr = Sub(Col("a"), Lit(v));
    EXPECT_TRUE(ParsePredicate(in_expr->ToString())->Equals(*in_expr)) << in_expr->ToString();
    ExprPtr negated = Neg(Col("a"));
    EXPECT_TRUE(ParsePredicate(negated->ToString())->Equals(*negated));
  }
  EXPECT_EQ(Lit(Value::Int64(5))->ToString(), "5L");
  EXPECT_EQ(Lit(Value::Int64(5000000000LL))->ToString(), "5000000000");
  EXPECT_EQ(Lit(Value::Float64(1.5))->ToString(), "1.5D");
  EXPECT_EQ(Lit(Value::Float64(1e21))->ToString(), "1e+21D");
  EXPECT_EQ(Lit(Value::Decimal(150, 10, 2))->ToString(), "CAST(1.50 AS DECIMAL(10,2))");
  EXPECT_EQ(Lit(Value::Decimal(150, 3, 2))->ToString(), "1.50");
  EXPECT_EQ(Lit(Value::Timestamp(1704103200123456LL))->ToString(),
            "TIMESTAMP '2024-01-01 10:00:00.123456'");
  EXPECT_EQ(Lit(Value::Binary("\x0a\xff"))->ToString(), "X'0aff'");
  EXPECT_EQ(Lit(Value::Null(DataType::Int32()))->ToString(), "CAST(NULL AS INT)");
}

TEST(ParserTest, RandomPredicatesRoundTripThroughText) {
  std::mt19937_64 rng(20240601);
  int checked = 0;
  for (int trial = 0; trial < 300; ++trial) {
    auto batch = testing::RandomBatch(rng, 4, 0.2);
    for (int k = 0; k < 10; ++k) {
      ExprPtr e = testing::RandomPredicate(rng, batch, 3);
      std::string text = e->ToString();
      ExprPtr back = ParsePredicate(text);
      ASSERT_TRUE(back->Equals(*e)) << text << "\nreparsed: " << back->ToString();
      EXPECT_EQ(back->ToString(), text);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3000);
}

}  // namespace
}  // namespace cpglake::expr
