// Writing the data files of one Delta commit: rows aligned to the table schema, split by
// partition into Hive-style directories, Parquet files rolled over at the target size, one
// `add` action per file with its statistics. Shared by WriteDeltaTable (writer.h) and DML
// (dml.h), which also uses it for change data files (`_change_data/`, with a `_change_type`
// column) and for rows that carry materialised row-tracking columns.
//
// Files are written under fresh random names nothing references: they become part of the
// table only when a commit adds them. written_keys() lists them so that a failed operation
// can delete them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "columnar/record_batch.h"
#include "delta/actions.h"
#include "delta/file_stats_writer.h"
#include "delta/table_configuration.h"
#include "delta/writer.h"
#include "parquet/file_writer.h"
#include "storage/object_store.h"

namespace cpglake::delta {

// What a DataFileWriter writes besides the table's data columns.
struct DataFileLayout {
  // Directory prefix of every file, e.g. "_change_data/" (empty: the table root).
  std::string prefix;
  // File name prefix ("part" for data files, "cdc" for change data files).
  std::string name_prefix = "part";
  // Columns written after the table's data columns, under these exact names and types
  // (e.g. `_change_type`, or a materialised row id column). Not in the statistics.
  std::vector<columnar::Field> extra_fields;
  // Whether to compute `stats` for the adds.
  bool stats = true;
};

// Writes data files of one table: per partition, files rolled over at the target size.
// Not thread-safe; one per operation.
class DataFileWriter {
 public:
  // `config` and `options` must outlive the writer.
  DataFileWriter(storage::ObjectStore& store, const TableConfiguration& config,
                 const WriteOptions& options, int64_t now, DataFileLayout layout = {});
  ~DataFileWriter();
  DataFileWriter(const DataFileWriter&) = delete;
  DataFileWriter& operator=(const DataFileWriter&) = delete;

  // `aligned`: the table's fields in the table's order and types (AlignBatch), followed by
  // the layout's extra fields.
  void Write(const columnar::RecordBatch& aligned);
  // Closes every open file; the adds of all files written (data_change = true).
  std::vector<AddFile> Close();

  const std::vector<std::string>& written_keys() const { return written_keys_; }
  const std::map<std::string, WriteMetrics>& partitions() const { return partitions_; }

 private:
  struct OpenFile;
  using OpenMap = std::map<std::string, std::unique_ptr<OpenFile>>;
  const std::vector<std::string>& PhysicalPartitionColumns();
  std::unique_ptr<OpenFile> Open(const std::string& hive, const PartitionValues& values);
  void CloseOldest();
  void Finish(OpenMap::iterator it);

  storage::ObjectStore& store_;
  const TableConfiguration& config_;
  const WriteOptions& options_;
  const int64_t now_;
  DataFileLayout layout_;
  StatsConfig stats_config_;
  columnar::Schema data_schema_, physical_schema_;
  std::vector<parquet::BloomFilterOptions> bloom_filters_;  // with physical paths
  std::vector<std::string> physical_partitions_;
  std::vector<std::string> names_;       // data columns then extra columns
  std::vector<std::string> stat_names_;  // data columns
  OpenMap open_;
  std::vector<AddFile> adds_;
  std::vector<std::string> written_keys_;
  std::map<std::string, WriteMetrics> partitions_;
  uint64_t clock_ = 0;
  int file_seq_ = 0;
};

// The batch with exactly the table's fields, in the table's order and types: columns matched
// by name (exactly, else case-insensitively), missing nullable columns null, compatible types
// cast up. InvalidInput for a missing non-nullable column or nulls in a non-nullable one.
columnar::RecordBatch AlignBatch(const columnar::RecordBatch& batch, const columnar::Schema& table);

// The remove action for a live file (extended metadata and row-tracking fields kept;
// dataChange=false for rewrites that change no data, e.g. OPTIMIZE).
RemoveFile RemoveFor(const AddFile& f, int64_t now, bool data_change = true);

// Live rows of a file: numRecords minus its deletion vector's cardinality (0 when unknown).
int64_t LiveRows(const AddFile& f);

// The physical field of a column-mapped table with the Parquet field ids of `logical`'s
// column-mapping ids (nested struct fields too).
columnar::Field WithFieldIds(const columnar::Field& logical, columnar::Field physical);

// Index of the field named `name` (exactly, else case-insensitively when unique); -1.
int FindField(const std::vector<columnar::Field>& fields, std::string_view name);
int FindField(const columnar::Schema& schema, std::string_view name);

}  // namespace cpglake::delta
