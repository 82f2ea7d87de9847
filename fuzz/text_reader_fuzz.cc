// Fuzz entry point: arbitrary bytes as a CSV file and as a JSON-lines file, read with
// inferred types and with a fixed schema covering every type. The first byte picks the
// buffering and batch options so chunk boundaries land everywhere. Every failure must be a
// cpglake::Error (clean error); crashes, hangs, leaks and huge allocations are findings.
#include <cstddef>
#include <cstdint>
#include <string>

#include "columnar/text_reader.h"
#include "common/error.h"

namespace {

using namespace cpglake::columnar;

Schema FuzzSchema() {
  return Schema({
      Field("a", DataType::Int64()),
      Field("b", DataType::Float64()),
      Field("c", DataType::Boolean()),
      Field("d", DataType::Date()),
      Field("e", DataType::Timestamp()),
      Field("f", DataType::TimestampNtz()),
      Field("g", DataType::Decimal(38, 4)),
      Field("h", DataType::String()),
      Field("i", DataType::Int8(), false),
      Field("j", DataType::Float32()),
      Field("k", DataType::List(DataType::Struct(
                     {Field("x", DataType::Int32()), Field("y", DataType::Binary(), false)}))),
      Field("l", DataType::Map(DataType::Int16(), DataType::List(DataType::Decimal(5, 2)))),
      Field("m", DataType::Struct({Field("n", DataType::Date())})),
  });
}

void ReadAll(const std::string& content, TextFormat format, const TextReadOptions& options) {
  try {
    auto reader = TextReader::OpenString(content, format, options);
    while (reader->Next()) {
    }
  } catch (const cpglake::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string content(reinterpret_cast<const char*>(data + 1), size - 1);
  TextReadOptions options;
  options.read_chunk_bytes = 1 + (mode & 15);
  options.batch_rows = 1 + ((mode >> 4) & 3);
  options.infer_rows = (mode & 64) ? 0 : 3;
  options.max_record_bytes = 1 << 16;
  if (mode & 128) {
    options.delimiter = ';';
    options.null_values = {"", "NULL"};
    options.quoted_nulls = true;
  }
  ReadAll(content, TextFormat::kCsv, options);
  ReadAll(content, TextFormat::kJsonLines, options);
  static const Schema schema = FuzzSchema();
  options.schema = schema;
  options.ignore_unknown_columns = (mode & 1) != 0;
  ReadAll(content, TextFormat::kCsv, options);
  ReadAll(content, TextFormat::kJsonLines, options);
  return 0;
}
