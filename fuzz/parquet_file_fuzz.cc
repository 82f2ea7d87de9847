// Fuzz entry point: arbitrary bytes as a whole Parquet file (footer, pages, statistics and
// Bloom filters). Every failure must be a cpglake::Error (clean error); crashes, hangs,
// leaks and huge allocations are findings.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "parquet/file_reader.h"
#include "storage/random_access_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cpglake;
  parquet::ParquetReadOptions options;
  options.limits.max_page_bytes = 64 << 20;  // keep allocations fuzzer-sized
  try {
    auto reader = parquet::ParquetFileReader::Open(
        storage::MakeBufferFile(std::string(reinterpret_cast<const char*>(data), size)), options);
    for (int g = 0; g < reader->num_row_groups(); ++g) {
      reader->ReadRowGroup(g);
      for (size_t f = 0; f < reader->schema().num_fields(); ++f) {
        reader->RowGroupStats(g, static_cast<int>(f));
      }
      for (int c = 0; c < reader->file_schema().num_leaves(); ++c) {
        try {
          if (auto bloom = reader->ReadBloomFilter(g, c)) bloom->CheckHash(0x9e3779b97f4a7c15ULL);
        } catch (const Error&) {
        }
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
