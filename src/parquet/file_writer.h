// ParquetWriter: writes record batches of one schema to a Parquet file. Row groups are
// buffered in memory (bounded by `row_group_rows` / `row_group_bytes`), columns are
// shredded into repetition/definition levels (flat and nested: structs, lists, maps),
// encoded with a dictionary when it stays small (falling back to PLAIN otherwise),
// compressed, and described in the footer with statistics; chosen columns also get
// split-block Bloom filters (WriterOptions::bloom_filters). Identical input and options
// give byte-identical files, whatever `threads` is.
//
// Type mapping (columnar → Parquet): boolean → BOOLEAN; byte/short → INT32 INT(8|16);
// integer → INT32; long → INT64; float → FLOAT; double → DOUBLE; decimal(p,s) → INT32
// (p ≤ 9), INT64 (p ≤ 18), else FIXED_LEN_BYTE_ARRAY, all DECIMAL(p,s); string →
// BYTE_ARRAY STRING; binary → BYTE_ARRAY; date → INT32 DATE; timestamp → INT64
// TIMESTAMP(MICROS, UTC); timestamp_ntz → INT64 TIMESTAMP(MICROS, local); struct → group;
// array → 3-level LIST; map → MAP with key_value; void → INT32 UNKNOWN (all null).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "columnar/record_batch.h"
#include "parquet/compression.h"
#include "parquet/metadata.h"
#include "storage/writable_file.h"

namespace cpglake::parquet {

// A Bloom filter (parquet/bloom_filter.h) in every column chunk of one leaf column, written
// after the row groups (before the footer) and addressed by ColumnMetaData
// bloom_filter_offset / bloom_filter_length.
struct BloomFilterOptions {
  // The leaf's dotted path in the Parquet schema: "id", "s.x", "xs.list.element".
  std::string column;
  double fpp = 0.01;  // false-positive probability the filter is sized for, in (0, 1)
  // Distinct values to size for; unset: each row group's exact distinct count (the
  // values are hashed once the row group is complete, so the filter is never oversized).
  std::optional<int64_t> ndv;
};

// Field metadata key whose value (a 32-bit integer) the writer records as the Parquet
// field_id of the column (Delta column mapping, Iceberg).
inline constexpr std::string_view kFieldIdMetadataKey = "parquet.field.id";

struct WriterOptions {
  Codec codec = Codec::kZstd;
  int compression_level = 0;  // 0: the codec's default
  // zstd above level 1: each column's first page of 16 KiB or more is also compressed at
  // level 1, and when the configured level is not at least 2% smaller there, the column's
  // pages are compressed at level 1 for the rest of the file (random ids and hashes: the
  // same size at ~2.4× less CPU than zstd 3). false: every page at compression_level.
  bool adaptive_zstd_level = true;
  int64_t row_group_rows = 1000000;
  int64_t row_group_bytes = int64_t{128} << 20;  // in-memory size of the buffered rows
  int64_t page_bytes = 1 << 20;                  // target uncompressed data page size
  bool dictionary = true;
  int64_t dictionary_page_bytes = 1 << 20;  // larger dictionaries fall back to PLAIN
  // Byte-array statistics longer than this are truncated to valid bounds (0: never).
  size_t max_statistics_bytes = 64;
  bool write_statistics = true;
  int threads = 1;  // columns encoded in parallel within a row group
  std::vector<std::pair<std::string, std::string>> key_value_metadata;
  // Columns with Bloom filters; InvalidInput (at construction) for a path that is not a
  // leaf, a BOOLEAN leaf, a column listed twice or an fpp outside (0, 1).
  std::vector<BloomFilterOptions> bloom_filters;
  std::string created_by = "cpglake";
};

class ParquetWriter {
 public:
  // The writer does not own `sink`; it must outlive the writer. InvalidInput for schemas
  // Parquet cannot hold (no fields, empty structs).
  ParquetWriter(storage::WritableFile* sink, columnar::Schema schema, WriterOptions options = {});
  ~ParquetWriter();
  ParquetWriter(const ParquetWriter&) = delete;
  ParquetWriter& operator=(const ParquetWriter&) = delete;

  // Buffers the rows; writes row groups as they fill. The batch's schema must equal the
  // writer's (InvalidInput showing both otherwise).
  void Write(const columnar::RecordBatch& batch);
  // Writes any buffered rows and the footer, and closes the sink. Returns the footer.
  const FileMetaData& Close();

  int64_t rows_written() const { return rows_written_; }
  const columnar::Schema& schema() const { return schema_; }

 private:
  struct Impl;
  void FlushRowGroup();

  storage::WritableFile* sink_;
  columnar::Schema schema_;
  WriterOptions options_;
  std::unique_ptr<Impl> impl_;
  struct PendingRows {
    columnar::RecordBatch batch;
    int64_t begin, end;
  };
  std::vector<PendingRows> pending_;  // rows of the next row group
  int64_t pending_rows_ = 0;
  int64_t pending_bytes_ = 0;
  FileMetaData metadata_;
  int64_t rows_written_ = 0;
  bool closed_ = false;
};

// Convenience: writes `batches` to a new local file at `path`.
FileMetaData WriteParquetFile(const std::string& path, const columnar::Schema& schema,
                              const std::vector<columnar::RecordBatch>& batches,
                              const WriterOptions& options = {});

}  // namespace cpglake::parquet
