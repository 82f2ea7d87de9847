#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "columnar/record_batch.h"
#include "columnar/value.h"
#include "columnar/value_format.h"
#include "common/error.h"

namespace cpglake::columnar {
namespace {

TEST(TypesTest, DeltaStyleNames) {
  auto t = DataType::Struct(
      {Field("a", DataType::Int64(), false), Field("b", DataType::List(DataType::String())),
       Field("m", DataType::Map(DataType::String(), DataType::Decimal(10, 2)))});
  EXPECT_EQ(t->ToString(), "struct<a:long not null,b:array<string>,m:map<string,decimal(10,2)>>");
  EXPECT_THROW(DataType::Decimal(39, 0), InvalidInput);
  EXPECT_THROW(DataType::Decimal(5, 6), InvalidInput);
  EXPECT_TRUE(t->Equals(*DataType::Struct(t->fields())));
  EXPECT_FALSE(DataType::Decimal(10, 2)->Equals(*DataType::Decimal(10, 3)));
}

TEST(ColumnTest, AppendNullsKeepsBitmapLazy) {
  Column c(DataType::Int32());
  c.Append<int32_t>(1);
  c.Append<int32_t>(2);
  EXPECT_FALSE(c.has_validity());
  c.AppendNull();
  c.Append<int32_t>(4);
  EXPECT_TRUE(c.has_validity());
  EXPECT_EQ(c.length(), 4);
  EXPECT_EQ(c.null_count(), 1);
  EXPECT_TRUE(c.IsNull(2));
  EXPECT_EQ(c.Get<int32_t>(3), 4);
}

// AppendNulls(n) fills in bulk: the same values, offsets, validity and struct children as n
// AppendNull calls, after valid rows and after nulls.
TEST(ColumnTest, AppendNullsInBulkEqualsOneByOne) {
  const TypePtr st =
      DataType::Struct({Field("x", DataType::Int64()), Field("s", DataType::String())});
  for (const TypePtr& type :
       {DataType::Int64(), DataType::String(), st, DataType::List(Field("e", DataType::Int32()))}) {
    Column bulk(type), single(type);
    for (Column* c : {&bulk, &single}) {
      if (type->id() == TypeId::kString) c->AppendString("ab");
      if (type->id() == TypeId::kInt64) c->Append<int64_t>(7);
    }
    bulk.AppendNulls(70);
    for (int i = 0; i < 70; ++i) single.AppendNull();
    bulk.AppendNulls(0);
    bulk.AppendNulls(3);
    for (int i = 0; i < 3; ++i) single.AppendNull();
    ASSERT_EQ(bulk.length(), single.length()) << type->ToString();
    EXPECT_EQ(bulk.null_count(), single.null_count()) << type->ToString();
    for (int64_t i = 0; i < bulk.length(); ++i) {
      EXPECT_EQ(bulk.IsNull(i), single.IsNull(i)) << type->ToString() << " row " << i;
      EXPECT_EQ(columnar::GetValue(bulk, i).ToString(), columnar::GetValue(single, i).ToString());
    }
    EXPECT_EQ(bulk.ByteSize(), single.ByteSize()) << type->ToString();
    if (type->id() == TypeId::kStruct) {
      EXPECT_EQ(bulk.child(1).length(), bulk.length());
      EXPECT_TRUE(bulk.child(1).IsNull(5));
    }
  }
}

TEST(ColumnTest, NestedListOfStructs) {
  auto elem = DataType::Struct({Field("x", DataType::Int32()), Field("s", DataType::String())});
  Column c(DataType::List(elem));
  auto& st = c.mutable_child(0);
  st.mutable_child(0).Append<int32_t>(7);
  st.mutable_child(1).AppendString("seven");
  st.CloseStruct();
  st.AppendNull();
  c.CloseList();
  c.AppendNull();
  c.CloseList();  // empty list
  EXPECT_EQ(c.length(), 3);
  std::string out;
  AppendJsonValue(c, 0, JsonStyle::kCanonical, &out);
  EXPECT_EQ(out, R"([{"x":7,"s":"seven"},null])");
  out.clear();
  AppendJsonValue(c, 1, JsonStyle::kCanonical, &out);
  AppendJsonValue(c, 2, JsonStyle::kCanonical, &out);
  EXPECT_EQ(out, "null[]");
  Column copy(c.type());
  copy.AppendRange(c, 0, 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(CompareRows(c, i, copy, i), 0);
  EXPECT_EQ(HashRow(c, 0), HashRow(copy, 0));
}

TEST(FormatTest, JavaScriptNumbers) {
  auto js = [](double d) {
    std::string s;
    AppendJsNumber(d, &s);
    return s;
  };
  EXPECT_EQ(js(1), "1");
  EXPECT_EQ(js(-0.0), "0");
  EXPECT_EQ(js(0.1), "0.1");
  EXPECT_EQ(js(1e21), "1e+21");
  EXPECT_EQ(js(1e20), "100000000000000000000");
  EXPECT_EQ(js(1e-7), "1e-7");
  EXPECT_EQ(js(0.000001), "0.000001");
  EXPECT_EQ(js(123.456), "123.456");
  EXPECT_EQ(js(-1.5e-10), "-1.5e-10");
  EXPECT_EQ(js(static_cast<double>(0.1f)), "0.10000000149011612");
  std::string f;
  AppendJsNumber(0.1f, &f);
  EXPECT_EQ(f, "0.1");
  EXPECT_EQ(js(std::nan("")), "\"NaN\"");
  EXPECT_EQ(js(-INFINITY), "\"-Infinity\"");
  EXPECT_EQ(js(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
}

TEST(FormatTest, DecimalsDatesTimestamps) {
  EXPECT_EQ(FormatDecimal(-5, 2), "-0.05");
  EXPECT_EQ(FormatDecimal(110, 2), "1.10");
  EXPECT_EQ(FormatDecimal(123, 0), "123");
  __int128 big = 1;
  for (int i = 0; i < 38; ++i) big *= 10;
  EXPECT_EQ(FormatDecimal(big - 1, 10), "9999999999999999999999999999.9999999999");
  EXPECT_EQ(FormatDate(0), "1970-01-01");
  EXPECT_EQ(FormatDate(-1), "1969-12-31");
  EXPECT_EQ(FormatDate(19358), "2023-01-01");
  EXPECT_EQ(FormatTimestamp(-1, true), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimestamp(1000000, false), "1970-01-01T00:00:01");
  std::mt19937 rng(7);
  for (int i = 0; i < 10000; ++i) {
    int64_t days = static_cast<int64_t>(rng() % 2000000) - 1000000;
    int64_t y;
    unsigned m, d;
    CivilFromDays(days, &y, &m, &d);
    EXPECT_EQ(DaysFromCivil(y, m, d), days);
  }
}

TEST(FormatTest, JsonEscapes) {
  std::string s;
  AppendJsonString(std::string("a\"b\\\n\x01\xe4\xb8\xad", 9), &s);
  EXPECT_EQ(s, "\"a\\\"b\\\\\\n\\u0001\xe4\xb8\xad\"");
}

TEST(ValueTest, CompareAcrossWidthsAndSpecials) {
  EXPECT_EQ(CompareValues(Value::Int32(5), Value::Int64(5)), 0);
  EXPECT_LT(CompareValues(Value::Null(DataType::Int32()), Value::Int32(-100)), 0);
  EXPECT_GT(CompareValues(Value::Float64(std::nan("")), Value::Float64(1e300)), 0);
  EXPECT_EQ(CompareValues(Value::Float64(-0.0), Value::Float64(0.0)), 0);
  EXPECT_EQ(CompareValues(Value::Decimal(150, 5, 2), Value::Decimal(15, 5, 1)), 0);
  EXPECT_LT(CompareValues(Value::String("a"), Value::String("\xff")), 0);  // unsigned bytes
  Column c(DataType::Decimal(12, 3));
  AppendValue(c, Value::Decimal(15, 5, 1));
  EXPECT_EQ(c.Get<__int128>(0), 1500);
  EXPECT_EQ(GetValue(c, 0).ToString(), "1.500");
  Column small(DataType::Int8());
  EXPECT_THROW(AppendValue(small, Value::Int64(300)), InvalidInput);
}

TEST(RecordBatchTest, ProjectSliceFilterAppend) {
  Schema schema({Field("id", DataType::Int64()), Field("name", DataType::String())});
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  for (int i = 0; i < 10; ++i) {
    b.mutable_column(0).Append<int64_t>(i);
    if (i % 3 == 0) {
      b.mutable_column(1).AppendNull();
    } else {
      b.mutable_column(1).AppendString("n" + std::to_string(i));
    }
  }
  EXPECT_EQ(b.num_rows(), 10);
  auto p = b.Project({"name"});
  EXPECT_EQ(p.num_columns(), 1u);
  EXPECT_THROW(b.Project({"nope"}), InvalidInput);
  auto s = b.Slice(2, 5);
  EXPECT_EQ(s.num_rows(), 3);
  EXPECT_TRUE(s.column(1).IsNull(1));
  Bitmap keep(10, false);
  keep.Set(1, true);
  keep.Set(8, true);
  auto f = b.Filter(keep);
  EXPECT_EQ(f.num_rows(), 2);
  EXPECT_EQ(f.column(1).GetString(1), "n8");
  f.Append(s);
  EXPECT_EQ(f.num_rows(), 5);
  std::string row;
  AppendJsonRow(f, 3, JsonStyle::kCanonical, &row);
  EXPECT_EQ(row, R"({"id":3,"name":null})");
  EXPECT_THROW(RecordBatch(schema, {b.column_ptr(0)}), InvalidInput);
}

}  // namespace
}  // namespace cpglake::columnar
