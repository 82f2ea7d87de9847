#include "columnar/text_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "columnar/text_reader_internal.h"
#include "columnar/value.h"
#include "columnar/value_format.h"
#include "common/error.h"
#include "test_util.h"

namespace cpglake::columnar {
namespace {

using ::cpglake::testing::RunOracle;
using ::cpglake::testing::ShellQuote;
using ::cpglake::testing::SplitLines;
using ::cpglake::testing::TempDir;

struct Table {
  Schema schema;
  std::vector<std::string> rows;  // canonical JSON, one per row
  std::vector<int64_t> batch_sizes;
};

Table ReadAll(TextReader& reader) {
  Table t;
  t.schema = reader.schema();
  while (auto batch = reader.Next()) {
    EXPECT_TRUE(batch->schema().Equals(t.schema));
    EXPECT_GT(batch->num_rows(), 0);
    t.batch_sizes.push_back(batch->num_rows());
    for (int64_t r = 0; r < batch->num_rows(); ++r) {
      std::string line;
      AppendJsonRow(*batch, r, JsonStyle::kCanonical, &line);
      t.rows.push_back(std::move(line));
    }
  }
  EXPECT_FALSE(reader.Next().has_value());
  return t;
}

Table Csv(const std::string& text, TextReadOptions options = {}) {
  auto reader = TextReader::OpenString(text, TextFormat::kCsv, std::move(options), "t.csv");
  return ReadAll(*reader);
}

Table Jsonl(const std::string& text, TextReadOptions options = {}) {
  auto reader = TextReader::OpenString(text, TextFormat::kJsonLines, std::move(options), "t.jsonl");
  return ReadAll(*reader);
}

// The InvalidInput message of reading `text` to the end (empty when it succeeds).
std::string ErrorOf(const std::string& text, TextFormat format, TextReadOptions options = {}) {
  try {
    auto reader = TextReader::OpenString(text, format, std::move(options),
                                         format == TextFormat::kCsv ? "t.csv" : "t.jsonl");
    while (reader->Next()) {
    }
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "";
}
std::string CsvError(const std::string& text, TextReadOptions options = {}) {
  return ErrorOf(text, TextFormat::kCsv, std::move(options));
}
std::string JsonlError(const std::string& text, TextReadOptions options = {}) {
  return ErrorOf(text, TextFormat::kJsonLines, std::move(options));
}

TextReadOptions WithSchema(std::vector<Field> fields) {
  TextReadOptions o;
  o.schema = Schema(std::move(fields));
  return o;
}

// The schema as one struct type text: struct<a:long,...>.
std::string S(const Schema& schema) {
  return DataType::Struct(schema.fields())->ToString();
}

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

int64_t Micros(int y, unsigned mo, unsigned d, int h, int mi, int s, int us = 0) {
  return DaysFromCivil(y, mo, d) * 86400000000 + ((h * 60 + mi) * 60 + s) * int64_t{1000000} + us;
}

// ============================================================================ grammars

TEST(TextGrammar, Utf8) {
  using text_internal::IsValidUtf8;
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii, long enough for the word loop"));
  EXPECT_TRUE(IsValidUtf8(
      "\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"));
  for (const char* bad :
       {"\x80", "\xC1\xBF", "\xC2", "\xE0\x9F\x80", "\xED\xA0\x80", "\xF0\x8F\xBF\xBF",
        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "abcdefgh\xE2\x82"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << text_internal::Quoted(bad);
  }
}

TEST(TextGrammar, Numbers) {
  using text_internal::NumStatus;
  int64_t i = 0;
  EXPECT_EQ(text_internal::ParseInt64("+007", &i), NumStatus::kOk);
  EXPECT_EQ(i, 7);
  EXPECT_EQ(text_internal::ParseInt64("-9223372036854775809", &i), NumStatus::kRange);
  for (const char* bad : {"", "+", "-", "+-1", "1 ", " 1", "1e3", "0x10"}) {
    EXPECT_EQ(text_internal::ParseInt64(bad, &i), NumStatus::kSyntax) << bad;
  }
  double d = 0;
  EXPECT_EQ(text_internal::ParseDouble("-1e-400", false, &d), NumStatus::kOk);
  EXPECT_TRUE(d == 0 && std::signbit(d));
  EXPECT_EQ(text_internal::ParseDouble("0.000000000000000000000000000000000000000000000000000000"
                                       "0000000000000000000000000000000000000000000000000000000"
                                       "0000000000000000000000000000000000000000000000000000000"
                                       "0000000000000000000000000000000000000000000000000000000"
                                       "0000000000000000000000000000000000000000000000000000000"
                                       "0000000000000000000000000000000000000000000000000000000"
                                       "1",
                                       false, &d),
            NumStatus::kOk);
  EXPECT_EQ(d, 0);
  EXPECT_EQ(text_internal::ParseDouble("123456789e305", false, &d), NumStatus::kRange);
  EXPECT_EQ(text_internal::ParseDouble("+.5E+1", false, &d), NumStatus::kOk);
  EXPECT_EQ(d, 5);
  EXPECT_EQ(text_internal::ParseDouble("-Infinity", true, &d), NumStatus::kOk);
  EXPECT_EQ(d, -INFINITY);
  for (const char* bad : {"", ".", "e5", "1e", "1e+", "--1", "inf", "0x1p3", "1.5f"}) {
    EXPECT_EQ(text_internal::ParseDouble(bad, false, &d), NumStatus::kSyntax) << bad;
  }
  auto dec = [](const char* s, int p, int sc) {
    auto v = text_internal::ParseDecimal(s, p, sc);
    return v ? FormatDecimal(*v, sc) : std::string("none");
  };
  EXPECT_EQ(dec("0", 1, 0), "0");
  EXPECT_EQ(dec("-0.5", 1, 0), "-1");
  EXPECT_EQ(dec("0.49", 1, 0), "0");
  EXPECT_EQ(dec("9.5", 1, 0), "none");
  EXPECT_EQ(dec("99999999999999999999999999999999999999", 38, 0),
            "99999999999999999999999999999999999999");
  EXPECT_EQ(dec("999999999999999999999999999999999999999", 38, 0), "none");
  EXPECT_EQ(dec("0.00000000000000000000000000000000000001", 38, 38),
            "0.00000000000000000000000000000000000001");
  EXPECT_EQ(dec("1e-1000000000000", 10, 2), "0.00");
  EXPECT_EQ(dec("0e1000000000000", 10, 2), "0.00");
  EXPECT_EQ(dec("1e1000000000000", 10, 2), "none");
  EXPECT_EQ(dec("12.3456e2", 10, 2), "1234.56");
  EXPECT_EQ(dec("000000000000000000000000000000000000000000012.5", 3, 1), "12.5");
  EXPECT_EQ(dec("1.", 3, 1), "1.0");
  EXPECT_EQ(dec("1.2.3", 3, 1), "none");
}

TEST(TextGrammar, DatesAndTimestamps) {
  EXPECT_EQ(text_internal::ParseDate("2000-02-29"), DaysFromCivil(2000, 2, 29));
  EXPECT_EQ(text_internal::ParseDate("1900-02-29"), std::nullopt);
  EXPECT_EQ(text_internal::ParseDate("2024-1-01"), std::nullopt);
  EXPECT_EQ(text_internal::ParseDate("2024-13-01"), std::nullopt);
  auto ts = [](const char* s) -> std::string {
    auto t = text_internal::ParseTimestamp(s);
    if (!t) return "none";
    return FormatTimestamp(t->micros, t->has_zone) + (t->date_only ? " date" : "");
  };
  EXPECT_EQ(ts("2024-03-01"), "2024-03-01T00:00:00 date");
  EXPECT_EQ(ts("2024-03-01t23:59"), "2024-03-01T23:59:00");
  EXPECT_EQ(ts("2024-03-01 00:00:00.000000999"), "2024-03-01T00:00:00");
  EXPECT_EQ(ts("2024-03-01 00:30:00+01"), "2024-02-29T23:30:00Z");
  EXPECT_EQ(ts("2024-03-01 00:30:00 -0130"), "2024-03-01T02:00:00Z");
  EXPECT_EQ(ts("2024-03-01T00:30:00.5z"), "2024-03-01T00:30:00.500000Z");
  for (const char* bad : {"2024-03-01 ", "2024-03-01T", "2024-03-01T1:00", "2024-03-01T10:60",
                          "2024-03-01T10:00:60", "2024-03-01T10:00:00.", "2024-03-01T10:00+1",
                          "2024-03-01T10:00+01:", "2024-03-01T10:00+0160", "2024-03-01T10:00 Z x",
                          "2024-03-01T10:00UTC"}) {
    EXPECT_EQ(ts(bad), "none") << bad;
  }
}

TEST(TextGrammar, CellKinds) {
  using text_internal::CellKind;
  using text_internal::ClassifyCell;
  EXPECT_EQ(ClassifyCell("TrUe"), CellKind::kBool);
  EXPECT_EQ(ClassifyCell("0"), CellKind::kLong);
  EXPECT_EQ(ClassifyCell("-0"), CellKind::kLong);
  EXPECT_EQ(ClassifyCell("-9223372036854775808"), CellKind::kLong);
  EXPECT_EQ(ClassifyCell("9223372036854775808"), CellKind::kDouble);
  EXPECT_EQ(ClassifyCell("00"), CellKind::kString);
  EXPECT_EQ(ClassifyCell("01.5"), CellKind::kString);
  EXPECT_EQ(ClassifyCell("0.5"), CellKind::kDouble);
  EXPECT_EQ(ClassifyCell("-.5e-3"), CellKind::kDouble);
  EXPECT_EQ(ClassifyCell("1e999"), CellKind::kString);
  EXPECT_EQ(ClassifyCell("2024-02-30"), CellKind::kString);
  EXPECT_EQ(ClassifyCell("2024-02-29 12:00"), CellKind::kTsNtz);
  EXPECT_EQ(ClassifyCell("2024-02-29 12:00Z"), CellKind::kTs);
  EXPECT_EQ(ClassifyCell(" 1"), CellKind::kString);
  EXPECT_EQ(text_internal::Join(CellKind::kDate, CellKind::kTs), CellKind::kTs);
  EXPECT_EQ(text_internal::Join(CellKind::kLong, CellKind::kDate), CellKind::kString);
  EXPECT_EQ(text_internal::Join(CellKind::kNone, CellKind::kBool), CellKind::kBool);
}

// ============================================================================ CSV inference

TEST(CsvInference, EveryType) {
  auto t = Csv(
      "b,l,d,m,dt,ts,tsn,s,e,z,big\n"
      "true,1,1.5,1,2024-02-29,2024-01-01T10:00:00Z,2024-01-01 10:00,x,,007,12345678901234567890\n"
      "FALSE,-20,1e3,2.5,1970-01-01,2024-01-01 10:00:00.5+02:00,2024-01-01T10:00:01.123456,,,"
      "0,1\n");
  EXPECT_EQ(S(t.schema),
            "struct<b:boolean,l:long,d:double,m:double,dt:date,ts:timestamp,tsn:timestamp_ntz,"
            "s:string,e:string,z:string,big:double>");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], "{\"b\":true,\"l\":1,\"d\":1.5,\"m\":1,\"dt\":\"d:19782\",\"ts\":\"ts:" +
                           std::to_string(Micros(2024, 1, 1, 10, 0, 0)) +
                           "\",\"tsn\":\"ts:" + std::to_string(Micros(2024, 1, 1, 10, 0, 0)) +
                           "\",\"s\":\"x\",\"e\":null,\"z\":\"007\",\"big\":12345678901234567000}");
  EXPECT_EQ(t.rows[1],
            "{\"b\":false,\"l\":-20,\"d\":1000,\"m\":2.5,\"dt\":\"d:0\",\"ts\":\"ts:" +
                std::to_string(Micros(2024, 1, 1, 8, 0, 0, 500000)) +
                "\",\"tsn\":\"ts:" + std::to_string(Micros(2024, 1, 1, 10, 0, 1, 123456)) +
                "\",\"s\":null,\"e\":null,\"z\":\"0\",\"big\":1}");
}

TEST(CsvInference, WideningAndStrings) {
  auto t =
      Csv("a,b,c,d,e,f,g,h,i,j\n"
          "2024-01-01,2024-01-01 10:00,1,1.5,true,+5,NaN,t,1,.5\n"
          "2024-01-01 00:00:01,2024-01-01T10:00Z,true,2024-01-01,false,5,inf,f,1.,-0\n");
  EXPECT_EQ(S(t.schema),
            "struct<a:timestamp_ntz,b:timestamp,c:string,d:string,e:boolean,f:string,g:string,"
            "h:string,i:double,j:double>");
  EXPECT_EQ(t.rows[0],
            "{\"a\":\"ts:" + std::to_string(Micros(2024, 1, 1, 0, 0, 0)) +
                "\",\"b\":\"ts:" + std::to_string(Micros(2024, 1, 1, 10, 0, 0)) +
                "\",\"c\":\"1\",\"d\":\"1.5\",\"e\":true,\"f\":\"+5\",\"g\":\"NaN\",\"h\":\"t\","
                "\"i\":1,\"j\":0.5}");
}

TEST(CsvInference, HeaderOnlyAndEmptyNames) {
  auto t = Csv("a,,b,\n");
  EXPECT_EQ(S(t.schema), "struct<a:string,column1:string,b:string,column3:string>");
  EXPECT_TRUE(t.rows.empty());
  EXPECT_HAS(CsvError(""), "header row is required");
  EXPECT_HAS(CsvError("\n\r\n"), "header row is required");
  EXPECT_HAS(CsvError("a,b,a\n1,2,3\n"), "t.csv:1: duplicate column name \"a\"");
}

TEST(CsvInference, LaterRowThatDoesNotFitIsAnError) {
  TextReadOptions o;
  o.infer_rows = 2;
  std::string text = "id,x\n1,2\n2,3\n3,oops\n";
  std::string err = CsvError(text, o);
  EXPECT_HAS(err, "t.csv:4: column 2 (\"x\"): cannot convert \"oops\" to long");
  EXPECT_HAS(err, "inferred from the first 2 rows; pass a schema, or raise infer_rows");
  o.infer_rows = 0;  // the whole input
  auto t = Csv(text, o);
  EXPECT_EQ(S(t.schema), "struct<id:long,x:string>");
}

// ============================================================================ CSV syntax

TEST(CsvSyntax, Rfc4180Quoting) {
  auto t =
      Csv("s,n\n"
          "\"a,b\",1\n"
          "\"say \"\"hi\"\"\",2\n"
          "\"two\nlines\",3\n"
          "\"\",4\n"
          ",5\n"
          "5'3\" tall,6\n"
          "\"crlf\r\ninside\",7\n"
          "\"\"\"\",8\n");
  EXPECT_EQ(S(t.schema), "struct<s:string,n:long>");
  std::vector<std::string> want = {R"({"s":"a,b","n":1})",
                                   R"({"s":"say \"hi\"","n":2})",
                                   R"({"s":"two\nlines","n":3})",
                                   R"({"s":"","n":4})",
                                   R"({"s":null,"n":5})",
                                   R"({"s":"5'3\" tall","n":6})",
                                   R"({"s":"crlf\r\ninside","n":7})",
                                   R"({"s":"\"","n":8})"};
  EXPECT_EQ(t.rows, want);
}

TEST(CsvSyntax, LineEndingsBomBlankLinesFinalNewline) {
  std::vector<std::string> want = {R"({"a":1,"b":"x"})", R"({"a":2,"b":"y"})"};
  EXPECT_EQ(Csv("a,b\r\n1,x\r\n2,y\r\n").rows, want);
  EXPECT_EQ(Csv("a,b\r1,x\r2,y").rows, want);
  EXPECT_EQ(Csv("\xEF\xBB\xBF"
                "a,b\n1,x\n\n\n2,y")
                .rows,
            want);
  EXPECT_EQ(Csv("\n\na,b\n1,x\n\r\n2,\"y\"").rows, want);
  auto t = Csv("\xEF\xBB\xBF\"a\",b\n1,x\n2,y\n");
  EXPECT_EQ(t.schema.field(0).name, "a");
}

TEST(CsvSyntax, EndOfInputInsideARecord) {
  EXPECT_EQ(Csv("a,b\n1,").rows, std::vector<std::string>{R"({"a":1,"b":null})"});
  EXPECT_EQ(Csv("a,b\n1,\"x\"").rows, std::vector<std::string>{R"({"a":1,"b":"x"})"});
  EXPECT_EQ(Csv("a,b\n1,\"\"").rows, std::vector<std::string>{R"({"a":1,"b":""})"});
  EXPECT_EQ(Csv("a,b\n1,x\r").rows, std::vector<std::string>{R"({"a":1,"b":"x"})"});
  EXPECT_HAS(CsvError("a,b\n1,\"x\"\""), "t.csv:2: unterminated quoted field (column 2)");
  EXPECT_HAS(CsvError("a,b\n1,\""), "t.csv:2: unterminated quoted field (column 2)");
  TextReadOptions o;
  o.batch_rows = 0;
  EXPECT_HAS(CsvError("a\n", o), "batch_rows must be at least 1");
}

TEST(CsvSyntax, LineNumbersInErrorsCountEmbeddedNewlines) {
  EXPECT_HAS(CsvError("a,b\n\"x\ny\",1\n\n1,2,3\n"),
             "t.csv:5: expected 2 fields (as in the header), got 3");
  EXPECT_HAS(CsvError("a,b\n1\n"), "t.csv:2: expected 2 fields");
  EXPECT_HAS(CsvError("a,b\n1,2\n\"open,3\n4,5\n"),
             "t.csv:3: unterminated quoted field (column 1)");
  EXPECT_HAS(CsvError("a,b\n1,\"x\"y\n"),
             "t.csv:2: unexpected \"y\" after the closing quote of column 2");
}

TEST(CsvSyntax, InvalidUtf8) {
  EXPECT_HAS(CsvError("a,b\n1,\xC3\x28\n"), "t.csv:2: column 2: invalid UTF-8");
  EXPECT_HAS(CsvError("a,\xFF\n"), "t.csv:1: column 2: invalid UTF-8");
  EXPECT_HAS(CsvError("a\n\xED\xA0\x80\n"), "invalid UTF-8");  // a UTF-16 surrogate
  EXPECT_EQ(Csv("a\n\xC3\xA9\xF0\x9F\x98\x80\n").rows[0], "{\"a\":\"\xC3\xA9\xF0\x9F\x98\x80\"}");
}

TEST(CsvSyntax, NullValuesDelimiterAndQuote) {
  TextReadOptions o;
  o.null_values = {"NA", "NULL"};
  auto t = Csv("a,b\nNA,\nNULL,\"NA\"\n1,x\n", o);
  EXPECT_EQ(S(t.schema), "struct<a:long,b:string>");
  EXPECT_EQ(t.rows, (std::vector<std::string>{R"({"a":null,"b":""})", R"({"a":null,"b":"NA"})",
                                              R"({"a":1,"b":"x"})"}));
  o.quoted_nulls = true;
  EXPECT_EQ(Csv("a,b\nNA,\nNULL,\"NA\"\n1,x\n", o).rows[1], R"({"a":null,"b":null})");

  TextReadOptions tsv;
  tsv.delimiter = '\t';
  tsv.quote = '\0';
  EXPECT_EQ(Csv("a\tb\n\"x\t1,2\n", tsv).rows[0], R"({"a":"\"x","b":"1,2"})");
  TextReadOptions bad;
  bad.delimiter = '"';
  EXPECT_HAS(CsvError("a\n", bad), "invalid CSV quote character");
}

TEST(CsvSyntax, MaxRecordBytes) {
  TextReadOptions o;
  o.max_record_bytes = 64;
  o.read_chunk_bytes = 16;
  EXPECT_HAS(CsvError("a,b\n\"" + std::string(200, 'x') + "\n", o),
             "t.csv:2: record longer than max_record_bytes (64 bytes); is a quote unterminated?");
  EXPECT_EQ(Csv("a\n" + std::string(60, 'y') + "\n", o).rows.size(), 1u);
}

// ============================================================================ CSV with a schema

TEST(CsvSchema, ConvertsEveryScalarType) {
  auto o = WithSchema({Field("bo", DataType::Boolean()), Field("i8", DataType::Int8()),
                       Field("i16", DataType::Int16()), Field("i32", DataType::Int32()),
                       Field("i64", DataType::Int64()), Field("f32", DataType::Float32()),
                       Field("f64", DataType::Float64()), Field("dec", DataType::Decimal(10, 2)),
                       Field("s", DataType::String()), Field("bin", DataType::Binary()),
                       Field("dt", DataType::Date()), Field("ts", DataType::Timestamp()),
                       Field("tsn", DataType::TimestampNtz())});
  auto t =
      Csv("bo,i8,i16,i32,i64,f32,f64,dec,s,bin,dt,ts,tsn\n"
          "1,-128,32767,+2147483647,-9223372036854775808,0.1,-Infinity,1.005,007,ab,0001-01-01,"
          "2024-01-01,2024-01-01T10:00:00.1234567\n"
          "False,127,-32768,-2147483648,9223372036854775807,NaN,1e-400,-12345678.994,,,9999-12-31,"
          "2024-01-01 10:00-0130,1969-12-31 23:59:59.999999\n",
          o);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0],
            "{\"bo\":true,\"i8\":-128,\"i16\":32767,\"i32\":2147483647,"
            "\"i64\":-9223372036854775808,\"f32\":0.10000000149011612,"
            "\"f64\":\"-Infinity\",\"dec\":\"1.01\",\"s\":\"007\",\"bin\":\"hex:6162\","
            "\"dt\":\"d:-719162\",\"ts\":\"ts:" +
                std::to_string(Micros(2024, 1, 1, 0, 0, 0)) +
                "\",\"tsn\":\"ts:" + std::to_string(Micros(2024, 1, 1, 10, 0, 0, 123456)) + "\"}");
  EXPECT_EQ(t.rows[1],
            "{\"bo\":false,\"i8\":127,\"i16\":-32768,\"i32\":-2147483648,"
            "\"i64\":9223372036854775807,\"f32\":\"NaN\",\"f64\":0,"
            "\"dec\":\"-12345678.99\",\"s\":null,\"bin\":null,\"dt\":\"d:2932896\","
            "\"ts\":\"ts:" +
                std::to_string(Micros(2024, 1, 1, 11, 30, 0)) + "\",\"tsn\":\"ts:-1\"}");
}

TEST(CsvSchema, ConversionErrorsNameLineAndColumn) {
  auto one = [](TypePtr type, const std::string& cell) {
    return CsvError("x\n" + cell + "\n", WithSchema({Field("x", std::move(type))}));
  };
  EXPECT_HAS(one(DataType::Int8(), "128"),
             "t.csv:2: column 1 (\"x\"): cannot convert \"128\" to byte (out of range)");
  EXPECT_HAS(one(DataType::Int32(), "1.0"), "cannot convert \"1.0\" to integer");
  EXPECT_HAS(one(DataType::Int64(), "99999999999999999999"), "out of range");
  EXPECT_HAS(one(DataType::Float32(), "1e39"), "cannot convert \"1e39\" to float (out of range)");
  EXPECT_HAS(one(DataType::Float64(), "1e999"), "out of range");
  EXPECT_HAS(one(DataType::Float64(), "\"1,5\""), "cannot convert");
  EXPECT_HAS(one(DataType::Decimal(4, 2), "100"), "cannot convert \"100\" to decimal(4,2)");
  EXPECT_HAS(one(DataType::Decimal(4, 2), "99.995"), "to decimal(4,2)");  // rounds to 100.00
  EXPECT_HAS(one(DataType::Boolean(), "yes"), "to boolean");
  EXPECT_HAS(one(DataType::Date(), "2023-02-29"), "expected YYYY-MM-DD");
  EXPECT_HAS(one(DataType::Date(), "2024-01-01T00:00"), "expected YYYY-MM-DD");
  EXPECT_HAS(one(DataType::Timestamp(), "2024-01-01 24:00"), "cannot convert");
  EXPECT_HAS(one(DataType::Timestamp(), "2024-01-01 10:00+02:"), "cannot convert");
  EXPECT_HAS(one(DataType::TimestampNtz(), "2024-01-01 10:00Z"),
             "timestamp_ntz takes no time zone");
  EXPECT_HAS(one(DataType::List(DataType::Int64()), "\"[1,\""), "malformed JSON for array<long>");
  EXPECT_HAS(one(DataType::List(DataType::Int64()), "\"[1,\"\"a\"\"]\""),
             "cannot convert \"a\" to long at x[1]");
  EXPECT_HAS(CsvError("x,y\n,1\n", WithSchema({Field("x", DataType::Int64(), false),
                                               Field("y", DataType::Int64())})),
             "t.csv:2: column 1 (\"x\"): null in non-nullable column");
}

TEST(CsvSchema, DecimalRounding) {
  auto o = WithSchema({Field("x", DataType::Decimal(38, 3))});
  auto t =
      Csv("x\n0.0005\n-0.0005\n0.0004999\n12345678901234567890123456789012345.678\n1.5e2\n-2E-3\n"
          ".1\n",
          o);
  EXPECT_EQ(t.rows, (std::vector<std::string>{
                        R"({"x":"0.001"})", R"({"x":"-0.001"})", R"({"x":"0.000"})",
                        R"({"x":"12345678901234567890123456789012345.678"})", R"({"x":"150.000"})",
                        R"({"x":"-0.002"})", R"({"x":"0.100"})"}));
}

TEST(CsvSchema, NestedCellsAreJson) {
  auto o = WithSchema({Field("l", DataType::List(DataType::Int32())),
                       Field("st", DataType::Struct({Field("a", DataType::Date()),
                                                     Field("b", DataType::Decimal(5, 1))})),
                       Field("m", DataType::Map(DataType::Int32(), DataType::String()))});
  auto t =
      Csv("l,st,m\n\"[1, null, 3]\",\"{\"\"a\"\": \"\"1970-01-02\"\", \"\"b\"\": "
          "1.25}\",\"{\"\"7\"\": \"\"x\"\"}\"\n,,\n",
          o);
  EXPECT_EQ(t.rows[0], R"({"l":[1,null,3],"st":{"a":"d:1","b":"1.3"},"m":[[7,"x"]]})");
  EXPECT_EQ(t.rows[1], R"({"l":null,"st":null,"m":null})");
}

TEST(CsvSchema, ColumnMatching) {
  // Schema order wins; missing nullable columns are null.
  auto o = WithSchema({Field("b", DataType::Int32()), Field("z", DataType::String()),
                       Field("a", DataType::String())});
  auto t = Csv("a,b\nx,1\n", o);
  EXPECT_EQ(S(t.schema), "struct<b:integer,z:string,a:string>");
  EXPECT_EQ(t.rows[0], R"({"b":1,"z":null,"a":"x"})");
  // Extra input columns: an error unless ignored.
  auto o2 = WithSchema({Field("b", DataType::Int32())});
  EXPECT_HAS(CsvError("a,b\nx,1\n", o2), "column \"a\" of the header is not in the schema");
  o2.ignore_unknown_columns = true;
  EXPECT_EQ(Csv("a,b\nx,1\n", o2).rows[0], R"({"b":1})");
  // Missing non-nullable column.
  EXPECT_HAS(CsvError("a\nx\n", WithSchema({Field("a", DataType::String()),
                                            Field("n", DataType::Int32(), false)})),
             "non-nullable column \"n\" is missing from the header");
  // Ragged rows are still errors for ignored columns.
  EXPECT_HAS(CsvError("a,b\nx\n", o2), "t.csv:2: expected 2 fields");
}

// ============================================================================ JSON lines

TEST(JsonlInference, TypesAndMerging) {
  auto t = Jsonl(
      "{\"i\": 1, \"f\": 1.5, \"b\": true, \"s\": \"2024-01-01\", \"n\": {\"y\": 1}, \"l\": [1, "
      "2]}\n"
      "{\"i\": 2, \"f\": 2, \"x\": null, \"n\": {\"z\": \"q\", \"y\": null}, \"l\": [2.5], \"e\": "
      "[]}\n"
      "{\"mix\": 1, \"o\": {}, \"big\": 123456789012345678901}\n"
      "{\"mix\": \"a\", \"l\": null}\n"
      "{\"mix\": {\"k\": [1, true]}}\n"
      "{\"mix\": false}\n");
  EXPECT_EQ(S(t.schema),
            "struct<i:long,f:double,b:boolean,s:string,n:struct<y:long,z:string>,l:array<double>,"
            "x:string,e:array<string>,mix:string,o:string,big:double>");
  ASSERT_EQ(t.rows.size(), 6u);
  EXPECT_EQ(
      t.rows[0],
      R"({"i":1,"f":1.5,"b":true,"s":"2024-01-01","n":{"y":1,"z":null},"l":[1,2],"x":null,"e":null,"mix":null,"o":null,"big":null})");
  EXPECT_EQ(
      t.rows[1],
      R"({"i":2,"f":2,"b":null,"s":null,"n":{"y":null,"z":"q"},"l":[2.5],"x":null,"e":[],"mix":null,"o":null,"big":null})");
  EXPECT_EQ(
      t.rows[2],
      R"({"i":null,"f":null,"b":null,"s":null,"n":null,"l":null,"x":null,"e":null,"mix":"1","o":"{}","big":123456789012345680000})");
  EXPECT_EQ(t.rows[3].substr(t.rows[3].find("\"mix\"")), R"("mix":"a","o":null,"big":null})");
  EXPECT_EQ(t.rows[4].substr(t.rows[4].find("\"mix\"")),
            R"("mix":"{\"k\": [1, true]}","o":null,"big":null})");
  EXPECT_EQ(t.rows[5].substr(t.rows[5].find("\"mix\"")), R"("mix":"false","o":null,"big":null})");
}

TEST(JsonlInference, ListsOfStructsMergeElements) {
  auto t = Jsonl(
      "{\"a\": [{\"x\": 1}, {\"y\": [\"u\"]}, null]}\n{\"a\": [{\"x\": 2.5, \"z\": false}]}\n");
  EXPECT_EQ(S(t.schema), "struct<a:array<struct<x:double,y:array<string>,z:boolean>>>");
  EXPECT_EQ(t.rows[0], R"({"a":[{"x":1,"y":null,"z":null},{"x":null,"y":["u"],"z":null},null]})");
  EXPECT_EQ(t.rows[1], R"({"a":[{"x":2.5,"y":null,"z":false}]})");
}

TEST(JsonlSyntax, StringsEscapesBlankLinesBom) {
  auto t = Jsonl(
      "\xEF\xBB\xBF{\"s\": \"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\\t\"}\r\n"
      "\n   \r\n"
      "{\"s\": \"\xE6\x97\xA5\"}");
  EXPECT_EQ(t.rows,
            (std::vector<std::string>{"{\"s\":\"a\\\"b\\\\c/d\\n\xC3\xA9\xF0\x9F\x98\x80\\t\"}",
                                      "{\"s\":\"\xE6\x97\xA5\"}"}));
  auto empty = Jsonl("");
  EXPECT_EQ(empty.schema.num_fields(), 0u);
  EXPECT_TRUE(empty.rows.empty());
  auto no_fields = Jsonl("{}\n{}\n");
  EXPECT_EQ(no_fields.schema.num_fields(), 0u);
  EXPECT_EQ(no_fields.batch_sizes, std::vector<int64_t>{2});
}

TEST(JsonlSyntax, MalformedInputNamesTheLine) {
  EXPECT_HAS(JsonlError("{\"a\":1}\n\n{\"a\":}\n"),
             "t.jsonl:3: malformed JSON at character 6: unexpected character \"}\"");
  EXPECT_HAS(JsonlError("{\"a\":1}\n[1]\n"),
             "t.jsonl:2: expected one JSON object per line, got an array");
  EXPECT_HAS(JsonlError("{\"a\":1} x\n"), "unexpected text after the JSON value");
  EXPECT_HAS(JsonlError("{\"a\":1,}\n"), "expected a string key");
  EXPECT_HAS(JsonlError("{\"a\":01}\n"), "expected ',' or '}'");
  EXPECT_HAS(JsonlError("{\"a\":1.}\n"), "invalid number");
  EXPECT_HAS(JsonlError("{\"a\":NaN}\n"), "unexpected character");
  EXPECT_HAS(JsonlError("{\"a\":tru}\n"), "invalid literal");
  EXPECT_HAS(JsonlError("{\"a\":\"x\ty\"}\n"), "control character in a string");
  EXPECT_HAS(JsonlError("{\"a\":\"\\x\"}\n"), "invalid escape");
  EXPECT_HAS(JsonlError("{\"a\":\"\\ud800\"}\n"), "unpaired UTF-16 surrogate");
  EXPECT_HAS(JsonlError("{\"a\":\"\\udc00\\ud800\"}\n"), "unpaired UTF-16 surrogate");
  EXPECT_HAS(JsonlError("{\"a\":\"\xC0\x80\"}\n"),
             "t.jsonl:1: malformed JSON at character 7: invalid UTF-8");
  EXPECT_HAS(JsonlError("{\"a\":1,\"a\":2}\n"), "duplicate key \"a\"");
  EXPECT_HAS(JsonlError("{\"a\":\"open\n\"}\n"),
             "t.jsonl:1: malformed JSON at character 11: unterminated string");
  std::string deep = "{\"a\":" + std::string(64, '[') + std::string(64, ']') + "}";
  EXPECT_HAS(JsonlError(deep), "nested deeper than 64 levels");
  std::string ok = "{\"a\":" + std::string(63, '[') + std::string(63, ']') + "}";
  EXPECT_EQ(JsonlError(ok), "");
}

TEST(JsonlInference, LaterRowsMustFit) {
  TextReadOptions o;
  o.infer_rows = 1;
  EXPECT_HAS(
      JsonlError("{\"a\":1}\n{\"a\":1.5}\n", o),
      "t.jsonl:2: column \"a\": cannot convert \"1.5\" to long (not an integer) (the schema was "
      "inferred from the first 1 rows");
  EXPECT_HAS(JsonlError("{\"a\":1}\n{\"a\":1,\"b\":2}\n", o),
             "t.jsonl:2: column \"b\": not in the schema");
  EXPECT_HAS(JsonlError("{\"a\":{\"x\":1}}\n{\"a\":{\"y\":2}}\n", o),
             "column \"a.y\": not in the schema");
  EXPECT_HAS(JsonlError("{\"a\":[1]}\n{\"a\":[2,{}]}\n", o),
             "column \"a[1]\": expected long, got an object");
  o.ignore_unknown_columns = true;
  EXPECT_EQ(Jsonl("{\"a\":1}\n{\"a\":2,\"b\":2}\n", o).rows[1], R"({"a":2})");
}

TEST(JsonlSchema, ConvertsToTheSchema) {
  auto o = WithSchema(
      {Field("d", DataType::Decimal(38, 9)), Field("dt", DataType::Date()),
       Field("ts", DataType::Timestamp()), Field("i", DataType::Int16()),
       Field("f", DataType::Float32()),
       Field("m", DataType::Map(DataType::String(), DataType::Int64())),
       Field("ls", DataType::List(DataType::Struct({Field("k", DataType::String(), false)}))),
       Field("s", DataType::String()), Field("bin", DataType::Binary()),
       Field("b", DataType::Boolean())});
  auto t = Jsonl(
      "{\"d\": 12345678901234567890.123456789, \"dt\": \"2000-03-01\", \"ts\": "
      "\"1970-01-01T00:00:01Z\","
      " \"i\": \"-7\", \"f\": 1.5, \"m\": {\"a\": 1, \"b\": null}, \"ls\": [{\"k\": \"v\"}],"
      " \"s\": [1, 2], \"bin\": \"\\u0000\", \"b\": \"TRUE\"}\n"
      "{\"d\": \"-1e-9\", \"m\": {}, \"ls\": []}\n",
      o);
  EXPECT_EQ(
      t.rows[0],
      R"({"d":"12345678901234567890.123456789","dt":"d:11017","ts":"ts:1000000","i":-7,"f":1.5,"m":[["a",1],["b",null]],"ls":[{"k":"v"}],"s":"[1, 2]","bin":"hex:00","b":true})");
  EXPECT_EQ(
      t.rows[1],
      R"({"d":"-0.000000001","dt":null,"ts":null,"i":null,"f":null,"m":[],"ls":[],"s":null,"bin":null,"b":null})");

  EXPECT_HAS(JsonlError("{\"i\": 40000}\n", o),
             "t.jsonl:1: column \"i\": cannot convert \"40000\" to short (out of range)");
  EXPECT_HAS(JsonlError("{\"dt\": 5}\n", o), "column \"dt\": expected date, got a number \"5\"");
  EXPECT_HAS(JsonlError("{\"ls\": [{}]}\n", o), "column \"ls[0].k\": missing non-nullable field");
  EXPECT_HAS(JsonlError("{\"ls\": [{\"k\": null}]}\n", o),
             "column \"ls[0].k\": null in a non-nullable field");
  EXPECT_HAS(JsonlError("{\"ls\": [{\"k\": \"v\", \"q\": 1}]}\n", o),
             "column \"ls[0].q\": not in the schema (set ignore_unknown_columns to skip it)");
  EXPECT_HAS(JsonlError("{\"m\": {\"a\": \"x\"}}\n", o),
             "column \"m.a\": cannot convert \"x\" to long");
  EXPECT_HAS(JsonlError("{\"bin\": 1}\n", o), "expected binary, got a number \"1\"");
  EXPECT_HAS(JsonlError("{\"d\": 1e30}\n", o), "cannot convert \"1e30\" to decimal(38,9)");
  EXPECT_HAS(JsonlError("{\"f\": 1e300}\n", o), "out of range");
  EXPECT_HAS(JsonlError("{\"q\": 1}\n", o), "column \"q\": not in the schema");
  auto required = WithSchema({Field("a", DataType::Int64(), false)});
  EXPECT_HAS(JsonlError("{\"a\": 1}\n{}\n", required),
             "t.jsonl:2: column \"a\": missing non-nullable field");
}

// ============================================================================ streaming

std::string RandomCsv(std::mt19937_64& rng, int rows) {
  std::string out = "id,s,d,t\r\n";
  const char* pieces[] = {"a", ",", "\"", "\n", "\r\n", "é", " ", "x"};
  for (int r = 0; r < rows; ++r) {
    out += std::to_string(r) + ",";
    if (rng() % 5 == 0) {
      // empty: null
    } else {
      out += '"';
      for (int k = static_cast<int>(rng() % 6); k > 0; --k) {
        std::string p = pieces[rng() % 8];
        out += p == "\"" ? "\"\"" : p;
      }
      out += '"';
    }
    out += "," + std::to_string(static_cast<double>(rng() % 1000) / 8) + ",";
    out += FormatTimestamp(static_cast<int64_t>(rng() % 4000000000000000ull), false);
    out += rng() % 2 ? "\n" : "\r\n";
  }
  return out;
}

TEST(TextStreaming, BatchAndChunkBoundariesDoNotMatter) {
  std::mt19937_64 rng(42);
  const std::string csv = RandomCsv(rng, 300);
  std::string jsonl;
  for (int r = 0; r < 300; ++r) {
    jsonl +=
        "{\"id\": " + std::to_string(r) + ", \"s\": \"\\u00e9\\n" + std::string(r % 7, 'x') + "\"";
    if (r % 3 == 0)
      jsonl += ", \"l\": [" + std::to_string(r) + ", {\"k\": " + std::to_string(r) + "}]";
    jsonl += r % 2 ? "}\r\n" : "}\n";
    if (r % 50 == 0) jsonl += "\n";
  }
  auto csv_ref = Csv(csv);
  auto json_ref = Jsonl(jsonl);
  ASSERT_EQ(csv_ref.rows.size(), 300u);
  ASSERT_EQ(json_ref.rows.size(), 300u);
  EXPECT_EQ(S(csv_ref.schema), "struct<id:long,s:string,d:double,t:timestamp_ntz>");
  EXPECT_EQ(S(json_ref.schema), "struct<id:long,s:string,l:array<string>>");
  for (int64_t chunk : {1, 2, 3, 7, 64, 1000}) {
    for (int64_t batch : {1, 7, 300, 1000}) {
      TextReadOptions o;
      o.read_chunk_bytes = chunk;
      o.batch_rows = batch;
      o.infer_rows = 0;
      auto c = Csv(csv, o);
      EXPECT_EQ(c.rows, csv_ref.rows) << chunk << " " << batch;
      EXPECT_EQ(S(c.schema), S(csv_ref.schema));
      auto j = Jsonl(jsonl, o);
      EXPECT_EQ(j.rows, json_ref.rows) << chunk << " " << batch;
      const size_t want_batches = (300 + batch - 1) / batch;
      EXPECT_EQ(c.batch_sizes.size(), want_batches);
      EXPECT_EQ(j.batch_sizes.size(), want_batches);
      EXPECT_EQ(c.batch_sizes.front(), std::min<int64_t>(batch, 300));
    }
  }
  // Errors name the same line whatever the chunking.
  for (int64_t chunk : {1, 5, 1 << 20}) {
    TextReadOptions o;
    o.read_chunk_bytes = chunk;
    EXPECT_HAS(CsvError("a,b\r\n\"1\r\n2\",3\r\n\r\n4,5,6\r\n", o), "t.csv:5: expected 2 fields");
    EXPECT_HAS(JsonlError("{}\r\n\r\n{\"a\" 1}\r\n", o),
               "t.jsonl:3: malformed JSON at character 6");
  }
}

TEST(TextStreaming, ReaderIsUnusableAfterAnError) {
  TextReadOptions o;
  o.batch_rows = 1;
  o.infer_rows = 1;
  auto reader = TextReader::OpenString("a\n1\nx\n2\n", TextFormat::kCsv, o);
  EXPECT_TRUE(reader->Next().has_value());
  EXPECT_THROW(reader->Next(), InvalidInput);
  try {
    reader->Next();
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_HAS(std::string(e.what()), "used after an error");
  }
}

// ============================================================================ files

void WriteFile(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out << bytes;
}

TEST(TextFiles, OpenByExtension) {
  TempDir dir;
  WriteFile(dir.path() / "a.TSV", "x\ty\n1\t\"q,\"\n");
  WriteFile(dir.path() / "b.ndjson", "{\"x\": 1}\n");
  WriteFile(dir.path() / "c.txt", "x\n");
  auto tsv = TextReader::Open((dir.path() / "a.TSV").string());
  EXPECT_EQ(ReadAll(*tsv).rows[0], R"({"x":1,"y":"q,"})");
  auto nd = TextReader::Open((dir.path() / "b.ndjson").string());
  EXPECT_EQ(ReadAll(*nd).rows[0], R"({"x":1})");
  EXPECT_THROW(TextReader::Open((dir.path() / "c.txt").string()), InvalidInput);
  EXPECT_THROW(TextReader::Open((dir.path() / "missing.csv").string()), NotFound);
  EXPECT_THROW(TextReader::OpenCsv(dir.path().string()), InvalidInput);
  EXPECT_EQ(TextReader::FormatForPath("x.JSON"), TextFormat::kJsonLines);
  EXPECT_EQ(TextReader::FormatForPath("x.csv.gz"), std::nullopt);
  try {
    TextReader::Open((dir.path() / "c.txt").string());
  } catch (const InvalidInput& e) {
    EXPECT_HAS(std::string(e.what()), "cannot tell the format");
  }
  // Errors name the file.
  WriteFile(dir.path() / "bad.csv", "a,b\n1\n");
  try {
    auto r = TextReader::OpenCsv((dir.path() / "bad.csv").string());
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_HAS(std::string(e.what()), (dir.path() / "bad.csv").string() + ":2: expected 2 fields");
  }
}

// ============================================================================ DuckDB oracle

std::string DuckType(const std::string& ours) {
  if (ours == "boolean") return "BOOLEAN";
  if (ours == "long") return "BIGINT";
  if (ours == "double") return "DOUBLE";
  if (ours == "date") return "DATE";
  if (ours == "timestamp_ntz") return "TIMESTAMP";
  if (ours == "timestamp") return "TIMESTAMP WITH TIME ZONE";
  if (ours == "string") return "VARCHAR";
  return "?" + ours;
}

void CompareWithDuckDb(const std::filesystem::path& file, const std::string& from,
                       const std::string& want_schema) {
  auto reader = TextReader::Open(file.string());
  auto ours = ReadAll(*reader);
  EXPECT_EQ(S(ours.schema), want_schema);
  auto duck = RunOracle("sql " + ShellQuote("SELECT * FROM " + from));
  ASSERT_EQ(duck.exit_code, 0);
  auto theirs = SplitLines(duck.out);
  ASSERT_EQ(ours.rows.size(), theirs.size());
  for (size_t i = 0; i < theirs.size(); ++i) EXPECT_EQ(ours.rows[i], theirs[i]) << "row " << i;
  auto types = RunOracle(
      "sql " +
      ShellQuote("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " + from + ")"));
  ASSERT_EQ(types.exit_code, 0);
  auto lines = SplitLines(types.out);
  for (auto& l : lines) {  // DuckDB quotes keywords in struct types: STRUCT("label" VARCHAR)
    for (size_t at; (at = l.find("\\\"")) != std::string::npos;) l.erase(at, 2);
  }
  ASSERT_EQ(lines.size(), ours.schema.num_fields());
  for (size_t f = 0; f < lines.size(); ++f) {
    const Field& field = ours.schema.field(f);
    std::string want = "{\"column_name\":";
    AppendJsonString(field.name, &want);
    want += ",\"column_type\":";
    std::string t = field.type->ToString();
    if (field.type->id() == TypeId::kList) {
      want += "\"" + DuckType(field.type->element().type->ToString()) + "[]\"}";
    } else if (field.type->id() == TypeId::kStruct) {
      std::string s = "STRUCT(";
      for (size_t k = 0; k < field.type->fields().size(); ++k) {
        const Field& c = field.type->fields()[k];
        s += (k ? ", " : "") + c.name + " " + DuckType(c.type->ToString());
      }
      want += "\"" + s + ")\"}";
    } else {
      want += "\"" + DuckType(t) + "\"}";
    }
    EXPECT_EQ(lines[f], want);
  }
}

TEST(TextOracle, CsvMatchesDuckDb) {
  TempDir dir;
  std::mt19937_64 rng(7);
  std::string csv = "id,flag,amount,ratio,day,at,local,name,maybe\r\n";
  for (int r = 0; r < 2000; ++r) {
    const int64_t day = static_cast<int64_t>(rng() % 40000) - 10000;
    const int64_t micros = static_cast<int64_t>(rng() % 4000000000000000ull) - 1000000000000000;
    csv += std::to_string(static_cast<int64_t>(rng()) / 3) + ",";
    csv += rng() % 2 ? "true," : "False,";
    csv += std::to_string(static_cast<int>(rng() % 2000000) - 1000000) + ",";
    csv +=
        (rng() % 3 == 0 ? std::to_string(rng() % 100) : std::to_string((rng() % 100000) / 64.0)) +
        ",";
    csv += FormatDate(static_cast<int32_t>(day)) + ",";
    csv += FormatTimestamp(micros, true) + ",";
    csv += FormatTimestamp(micros, false) + ",";
    switch (rng() % 4) {
      case 0:
        csv += "\"quoted, \"\"with\"\" comma\"";
        break;
      case 1:
        csv += "\"multi\nline é\"";
        break;
      case 2:
        csv += "plain " + std::to_string(r);
        break;
      default:
        csv += "ünï 😀";
    }
    csv += ",";
    if (rng() % 3) csv += std::to_string(rng() % 1000);
    csv += "\r\n";  // DuckDB rejects mixed line endings
  }
  auto path = dir.path() / "data.csv";
  WriteFile(path, csv);
  CompareWithDuckDb(path,
                    "read_csv('" + path.string() +
                        "', header=true, delim=',', quote='\"', escape='\"', "
                        "sample_size=-1)",
                    "struct<id:long,flag:boolean,amount:long,ratio:double,day:date,at:timestamp,"
                    "local:timestamp_ntz,name:string,maybe:long>");
}

TEST(TextOracle, JsonlMatchesDuckDb) {
  TempDir dir;
  std::mt19937_64 rng(11);
  std::string jsonl;
  for (int r = 0; r < 1000; ++r) {
    jsonl += "{\"id\": " + std::to_string(r);
    if (rng() % 4) jsonl += ", \"v\": " + std::to_string((rng() % 100000) / 16.0);
    jsonl += ", \"ok\": " + std::string(rng() % 2 ? "true" : "false");
    jsonl += ", \"name\": \"n\\u00e9\\\"" + std::to_string(rng() % 50) + "\"";
    if (rng() % 3) {
      jsonl += ", \"tags\": [" + std::to_string(rng() % 9) + ", " + std::to_string(rng() % 9) + "]";
    }
    if (rng() % 2) {
      jsonl += ", \"pt\": {\"x\": " + std::to_string(rng() % 100);
      if (rng() % 2) jsonl += ", \"label\": \"p" + std::to_string(rng() % 5) + "\"";
      jsonl += "}";
    }
    jsonl += "}\n";
  }
  auto path = dir.path() / "data.jsonl";
  WriteFile(path, jsonl);
  CompareWithDuckDb(path, "read_json_auto('" + path.string() + "', sample_size=-1)",
                    "struct<id:long,v:double,ok:boolean,name:string,tags:array<long>,"
                    "pt:struct<x:long,label:string>>");
}

}  // namespace
}  // namespace cpglake::columnar
