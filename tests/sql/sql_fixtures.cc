#include "sql_fixtures.h"

#include "columnar/record_batch.h"
#include "columnar/value.h"
#include "delta/writer.h"
#include "storage/object_store.h"

namespace cpglake::sql::testing {

using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using columnar::Value;

namespace {

delta::WriteOptions Options(int64_t row_group_rows, int64_t now_ms) {
  delta::WriteOptions o;
  o.parquet.row_group_rows = row_group_rows;
  o.now_ms = now_ms;
  o.properties["delta.enableInCommitTimestamps"] = "true";
  return o;
}

}  // namespace

std::string WriteNodesTable(const std::filesystem::path& dir, int64_t row_group_rows) {
  Schema schema({Field("id", DataType::Int64(), false), Field("kind", DataType::String()),
                 Field("name", DataType::String()), Field("file_id", DataType::Int32()),
                 Field("score", DataType::Float64()), Field("note", DataType::String())});
  auto store = storage::OpenObjectStore(dir.string());
  for (int v = 0; v < 3; ++v) {
    RecordBatch b = RecordBatch::MakeEmpty(schema);
    for (int64_t id = v * 100; id < v * 100 + 100; ++id) {
      b.mutable_column(0).Append<int64_t>(id);
      b.mutable_column(1).AppendString(id % 3 == 0 ? "DEF" : "CALL");
      b.mutable_column(2).AppendString("n" + std::to_string(id));
      b.mutable_column(3).Append<int32_t>(static_cast<int32_t>(id / 10));
      b.mutable_column(4).Append<double>(static_cast<double>(id) * 0.5);
      if (id % 7 == 0) {
        b.mutable_column(5).AppendNull();
      } else {
        b.mutable_column(5).AppendString("x" + std::to_string(id));
      }
    }
    delta::WriteDeltaTable(store, b, Options(row_group_rows, kT0Ms + v * kDayMs));
  }
  return dir.string();
}

std::string WriteEdgesTable(const std::filesystem::path& dir, int64_t row_group_rows) {
  Schema schema({Field("src", DataType::Int64()), Field("dst", DataType::Int64()),
                 Field("kind", DataType::String())});
  auto store = storage::OpenObjectStore(dir.string());
  for (int v = 0; v < 2; ++v) {
    RecordBatch b = RecordBatch::MakeEmpty(schema);
    for (int64_t i = 0; i < 50; ++i) {
      b.mutable_column(0).Append<int64_t>(i);
      b.mutable_column(1).Append<int64_t>(i + 1 + v);
      b.mutable_column(2).AppendString(v == 0 ? "CALLS" : "USES");
    }
    delta::WriteDeltaTable(store, b, Options(row_group_rows, kT0Ms + v * kDayMs));
  }
  return dir.string();
}

std::string WriteAllTypesTable(const std::filesystem::path& dir, int64_t row_group_rows) {
  auto st = DataType::Struct({Field("x", DataType::Int32()), Field("y", DataType::String())});
  auto arr = DataType::List(DataType::Int32());
  auto map = DataType::Map(DataType::String(), DataType::Int32());
  Schema schema({Field("b", DataType::Boolean()), Field("i8", DataType::Int8()),
                 Field("i16", DataType::Int16()), Field("i32", DataType::Int32()),
                 Field("i64", DataType::Int64()), Field("f32", DataType::Float32()),
                 Field("f64", DataType::Float64()), Field("dec", DataType::Decimal(10, 2)),
                 Field("s", DataType::String()), Field("bin", DataType::Binary()),
                 Field("d", DataType::Date()), Field("ts", DataType::Timestamp()),
                 Field("tsn", DataType::TimestampNtz()), Field("st", st), Field("arr", arr),
                 Field("m", map)});
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  auto row = [&](std::vector<Value> values) {
    for (size_t i = 0; i < values.size(); ++i)
      columnar::AppendValue(b.mutable_column(i), values[i]);
  };
  const int64_t ts = ((19782LL * 86400 + 12 * 3600 + 34 * 60 + 56) * 1000 + 789) * 1000;
  row({Value::Boolean(true), Value::Integer(DataType::Int8(), -8),
       Value::Integer(DataType::Int16(), -16), Value::Int32(-32), Value::Int64(-64),
       Value::Float32(1.5f), Value::Float64(2.25), Value::Decimal(12345, 10, 2),
       Value::String("h\xc3\xa9llo"), Value::Binary(std::string("\x00\xff", 2)), Value::Date(19782),
       Value::Timestamp(ts),
       Value::Integer(DataType::TimestampNtz(),
                      (19782LL * 86400 + 12 * 3600 + 34 * 60 + 56) * 1000000),
       Value::Nested(st, {Value::Int32(1), Value::String("a")}),
       Value::Nested(arr, {Value::Int32(1), Value::Int32(2), Value::Null(DataType::Int32())}),
       Value::Nested(map, {Value::String("k"), Value::Int32(7)})});
  std::vector<Value> nulls;
  for (const auto& f : schema.fields()) nulls.push_back(Value::Null(f.type));
  row(nulls);
  row({Value::Boolean(false), Value::Integer(DataType::Int8(), 127),
       Value::Integer(DataType::Int16(), 32767), Value::Int32(2147483647),
       Value::Int64(9223372036854775807LL), Value::Float32(-0.5f), Value::Float64(-1e300),
       Value::Decimal(-1, 10, 2), Value::String(""), Value::Binary(""), Value::Date(0),
       Value::Timestamp(0), Value::Integer(DataType::TimestampNtz(), -1),
       Value::Nested(st, {Value::Null(DataType::Int32()), Value::Null(DataType::String())}),
       Value::Nested(arr, {}), Value::Nested(map, {})});
  delta::WriteOptions o;
  o.parquet.row_group_rows = row_group_rows;
  delta::WriteDeltaTable(storage::OpenObjectStore(dir.string()), b, o);
  return dir.string();
}

std::string WriteBigTable(const std::filesystem::path& dir, int64_t rows, int64_t row_group_rows) {
  Schema schema({Field("id", DataType::Int64(), false), Field("grp", DataType::Int32()),
                 Field("label", DataType::String())});
  auto store = storage::OpenObjectStore(dir.string());
  int64_t next = 0;
  delta::BatchSource source = [&]() -> std::optional<RecordBatch> {
    if (next >= rows) return std::nullopt;
    RecordBatch b = RecordBatch::MakeEmpty(schema);
    const int64_t end = std::min(rows, next + 65536);
    for (; next < end; ++next) {
      b.mutable_column(0).Append<int64_t>(next);
      b.mutable_column(1).Append<int32_t>(static_cast<int32_t>(next % 100));
      b.mutable_column(2).AppendString("L" + std::to_string(next % 1000));
    }
    return b;
  };
  delta::WriteOptions o;
  o.parquet.row_group_rows = row_group_rows;
  o.target_file_bytes = int64_t{1} << 40;
  delta::WriteDeltaTable(store, schema, source, o);
  return dir.string();
}

}  // namespace cpglake::sql::testing
