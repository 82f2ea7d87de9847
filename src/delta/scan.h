// Scans of a snapshot: ScanBuilder (projection, predicate) → Scan (the files that survive
// partition and statistics skipping) → batches (row groups skipped by their Parquet
// statistics, and for `col = literal` / `col IN (...)` by their Bloom filters), with deletion
// vectors applied, partition values materialised with their types, column mapping and type widening
// resolved, and every row filtered exactly by the predicate.
//
// Execute with several threads opens files ahead (footer, deletion vector, row-group
// pruning) and has worker threads read row groups in delivery order, each worker taking the
// next one whichever file it is in; with fewer files than threads, each file's columns are
// decoded in parallel too. Batches, metrics and errors are the same whatever the thread
// count: the sink is called on the calling thread, files in order, row groups in file
// order. Memory is bounded by 2 decoded row groups per worker thread (read ahead of the
// sink) and the footers and deletion vectors of 4 files per worker, never by the table.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "columnar/record_batch.h"
#include "delta/snapshot.h"
#include "expr/expression.h"
#include "parquet/file_reader.h"

namespace cpglake::delta {

struct ScanMetrics {
  int64_t files_total = 0;
  int64_t files_skipped_by_partition = 0;
  int64_t files_skipped_by_stats = 0;
  int64_t files_read = 0;
  int64_t row_groups_read = 0;
  int64_t row_groups_skipped = 0;           // by statistics or Bloom filters
  int64_t row_groups_skipped_by_bloom = 0;  // of those, by a Bloom filter (min/max could not)
  // Row groups read whose predicate columns no row passed: their other columns not decoded.
  int64_t row_groups_not_materialized = 0;
  int64_t rows_read = 0;
  int64_t rows_deleted_by_dv = 0;
  int64_t rows_filtered = 0;
  int64_t rows_returned = 0;
  bool operator==(const ScanMetrics&) const = default;
};

// Row-group skipping for a predicate bound to config.schema() (expr::BindPredicate): the
// Parquet statistics of top-level data columns, then the Bloom filters of the columns the
// predicate compares for equality with literals (`=`, IN), read only when statistics cannot
// decide. Shared by scans and by DML (which skips row groups of deletion-vector rewrites).
// Keeps its own copies: it need not outlive `config`.
class RowGroupPruner {
 public:
  RowGroupPruner(const TableConfiguration& config, expr::ExprPtr predicate);
  // Whether row group `row_group` of `reader` (a data file of the table) holds no row
  // satisfying the predicate; *by_bloom, when given, says a Bloom filter decided it.
  bool CanSkip(const parquet::ParquetFileReader& reader, int row_group,
               bool* by_bloom = nullptr) const;

 private:
  // A file's columns whose Bloom filters can answer the predicate's `=` / IN: the table
  // field, its leaf in the file, and how a literal is hashed.
  struct BloomColumn {
    int field = -1;
    int leaf = -1;
    parquet::Type physical = parquet::Type::BYTE_ARRAY;
  };
  std::vector<BloomColumn> BloomColumns(const parquet::ParquetFileReader& reader) const;

  columnar::Schema schema_;    // the table's
  columnar::Schema physical_;  // the table schema with physical names
  expr::ExprPtr predicate_;
  // Table fields compared for equality with literals (=, IN) in the predicate: their
  // Bloom filters may skip row groups.
  std::vector<int> equality_fields_;
  // Table fields the predicate references: the only ones whose statistics are looked at.
  std::vector<int> referenced_fields_;
};

class Scan;

class ScanBuilder {
 public:
  explicit ScanBuilder(std::shared_ptr<const Snapshot> snapshot) : snapshot_(std::move(snapshot)) {}
  // Top-level columns to return, in this order (all when not called).
  ScanBuilder& WithColumns(std::vector<std::string> columns) {
    columns_ = std::move(columns);
    return *this;
  }
  // Only rows where the predicate is TRUE are returned.
  ScanBuilder& WithPredicate(expr::ExprPtr predicate) {
    predicate_ = std::move(predicate);
    return *this;
  }
  // Threads that read and decode data files; 0 (the default): one per core, 1: serial.
  // The output does not depend on it.
  ScanBuilder& WithThreads(int threads) {
    threads_ = threads;
    return *this;
  }
  Scan Build() const;

 private:
  std::shared_ptr<const Snapshot> snapshot_;
  std::optional<std::vector<std::string>> columns_;
  expr::ExprPtr predicate_;
  int threads_ = 0;
};

class Scan {
 public:
  const columnar::Schema& schema() const { return output_schema_; }
  // The files that may hold matching rows (after skipping).
  const std::vector<const AddFile*>& files() const { return files_; }
  // Streams batches to `sink` on the calling thread (files in path order, row groups in
  // file order; the first row group read from a file is delivered even when no row
  // survives, later empty ones are not). The first error in file order is rethrown once
  // the other reads have stopped, after the batches that preceded it; an exception from
  // `sink` stops the scan the same way.
  void Execute(const std::function<void(const columnar::RecordBatch&)>& sink);
  columnar::RecordBatch ReadAll();
  const ScanMetrics& metrics() const { return metrics_; }

 private:
  friend class ScanBuilder;
  struct Step;
  struct FilePlan;
  struct StepResult;
  class Pipeline;
  // The phases of reading one file (scan.cc): open it and choose its row groups, then
  // read and filter them one by one. Both const and safe to run concurrently.
  FilePlan PlanFile(const AddFile& file, int decode_threads) const;
  StepResult RunStep(const FilePlan& plan, const Step& step) const;

  std::shared_ptr<const Snapshot> snapshot_;
  columnar::Schema output_schema_;  // logical names, table types
  std::vector<int> output_fields_;  // indices into the table schema
  expr::ExprPtr predicate_;
  // Table fields read from each file: the outputs, then the other columns the predicate
  // references.
  std::vector<int> needed_;
  // Which of needed_ the predicate references (empty: all of them, or no predicate): a row
  // group's other columns are read only when some of its rows pass the predicate.
  std::vector<bool> predicate_columns_;
  std::optional<RowGroupPruner> row_groups_;  // with a predicate
  std::vector<const AddFile*> files_;
  ScanMetrics metrics_;
  int threads_ = 1;
};

// Reads one data file (add or cdc) as table rows: the table fields `needed` (indices into
// config.schema(): column mapping, widening, partition values and missing columns handled),
// followed by the file's own `extra_columns` as written (e.g. _change_type). Batches go to
// `sink` with the file row number of their first row; nothing is filtered.
// `skip_row_group`, when given, is asked before each row group is read (statistics-based
// pruning); skipped row groups still advance the file row numbers. `threads`: the columns
// of a row group decoded in parallel. `optional_columns` follow the extra columns: file
// columns read (cast) as the given fields, or all null when the file does not have them
// (e.g. materialised row-tracking columns).
using RowGroupFilter = std::function<bool(const parquet::ParquetFileReader&, int row_group)>;
void ReadTableFile(const TableConfiguration& config, storage::ObjectStore& store,
                   const std::string& raw_path, const PartitionValues& partition_values,
                   const std::vector<int>& needed, const std::vector<std::string>& extra_columns,
                   const std::function<void(const columnar::RecordBatch&, int64_t)>& sink,
                   const RowGroupFilter& skip_row_group = nullptr, int threads = 1,
                   const std::vector<columnar::Field>& optional_columns = {});

// Casts a column read from a data file to the table's type: struct fields by name (missing
// fields become null, column mapping renames applied by the caller), numeric widening
// (byte/short/int → long, float → double, int → double, decimal precision/scale widening,
// date → timestamp_ntz). Unsupported for anything else.
columnar::ColumnPtr CastToTableType(const columnar::ColumnPtr& column,
                                    const columnar::TypePtr& target);

}  // namespace cpglake::delta
