// parquet/ — our own Parquet implementation (there is no Arrow/Parquet library in Debian
// bookworm). It owns the file format: Thrift metadata (thrift_internal.h, metadata.h),
// encodings (rle_bit_packed.h, delta_encoding.h, byte_stream_split.h), codecs
// (compression.h), the schema mapping (schema.h), the reader (this file, column_reader.h,
// assembler.h) and the writer (file_writer.h). It depends on columnar/, storage/ and common/.
//
// ParquetFileReader reads a file one row group at a time (memory is bounded by a row group
// of the projected columns, not by the file), with projection by top-level column and
// row-group statistics and Bloom filters for pruning.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "columnar/record_batch.h"
#include "columnar/value.h"
#include "parquet/bloom_filter.h"
#include "parquet/column_reader.h"
#include "parquet/metadata.h"
#include "parquet/schema.h"
#include "storage/random_access_file.h"

namespace cpglake::parquet {

struct ParquetReadOptions {
  int64_t max_footer_bytes = int64_t{256} << 20;
  ColumnReadLimits limits;
  int threads = 1;  // columns of a row group decoded in parallel
  // A file no larger than this is read whole, in one read, when opened (a small file's
  // footer and column chunks would otherwise cost a read each); 0: never.
  int64_t read_whole_file_bytes = int64_t{256} << 10;
};

// Min/max/null count of one column chunk, decoded to the column's type. Absent values
// mean "unknown" (no statistics, or statistics this reader does not trust).
struct ColumnChunkStats {
  std::optional<columnar::Value> min;
  std::optional<columnar::Value> max;
  std::optional<int64_t> null_count;
};

class ParquetFileReader {
 public:
  // Reads and validates the footer. Errors name the file: CorruptData (bad magic,
  // truncated footer, inconsistent metadata), Unsupported (encryption, external chunks).
  static std::unique_ptr<ParquetFileReader> Open(std::shared_ptr<storage::RandomAccessFile> file,
                                                 ParquetReadOptions options = {});
  static std::unique_ptr<ParquetFileReader> OpenPath(const std::string& path,
                                                     ParquetReadOptions options = {});

  const std::string& name() const { return file_->name(); }
  const FileMetaData& metadata() const { return metadata_; }
  const FileSchema& file_schema() const { return *schema_; }
  const columnar::Schema& schema() const { return schema_->schema(); }
  int num_row_groups() const { return static_cast<int>(metadata_.row_groups.size()); }
  int64_t num_rows() const { return metadata_.num_rows; }

  // Top-level field indices for column names; InvalidInput naming an unknown column.
  std::vector<int> ResolveColumns(const std::vector<std::string>& names) const;
  // Reads row group `rg` with the given top-level fields (all when empty).
  columnar::RecordBatch ReadRowGroup(int rg, const std::vector<int>& fields = {}) const;
  // Every row group, concatenated (convenience for small files and tests).
  columnar::RecordBatch ReadAll(const std::vector<int>& fields = {}) const;
  // Statistics of a top-level primitive field in row group `rg`.
  ColumnChunkStats RowGroupStats(int rg, int field) const;
  // The Bloom filter of leaf column `column` (an index into the file's leaf columns) in
  // row group `rg`, read now with one ranged read (two when the writer left out
  // bloom_filter_length). nullopt when the chunk has none, or has one this reader cannot
  // interpret (another algorithm, hash or compression). CorruptData (naming the file) when
  // its offset or length lies outside the data before the footer or its header is
  // malformed; InvalidInput for a row group or column that does not exist. Thread-safe.
  std::optional<BloomFilter> ReadBloomFilter(int rg, int column) const;

 private:
  ParquetFileReader(std::shared_ptr<storage::RandomAccessFile> file, ParquetReadOptions options);
  void ReadFooter();
  LeafData ReadLeaf(int rg, const ReadNode& leaf) const;
  static int64_t ChunkStart(const ColumnMetaData& md);

  std::shared_ptr<storage::RandomAccessFile> file_;
  ParquetReadOptions options_;
  FileMetaData metadata_;
  std::unique_ptr<FileSchema> schema_;
  std::vector<const ReadNode*> leaf_nodes_;  // by leaf index
  int64_t footer_start_ = 0;
  std::vector<int64_t> chunk_limit_;  // by row group * leaves + leaf
};

}  // namespace cpglake::parquet
