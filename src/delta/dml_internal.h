// The machinery shared by DELETE, UPDATE and MERGE (dml.h): DmlEngine reads the touched
// files of a snapshot one at a time, asks the operation what happens to each live row, and
// turns the answers into deletion vectors or rewritten files, change data files and
// row-tracking columns; then commits. Private to delta/.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "columnar/record_batch.h"
#include "delta/data_file_writer.h"
#include "delta/deletion_vector.h"
#include "delta/dml.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/transaction.h"
#include "expr/expression.h"

namespace cpglake::delta::dml_internal {

enum class RowAction : uint8_t { kKeep, kDelete, kUpdate };

// The operation's answer for one batch of live rows of a target file.
struct RowDecision {
  std::vector<RowAction> actions;  // one per live row
  // Post-images of the kUpdate rows, in row order, aligned to the commit's table schema.
  std::optional<columnar::RecordBatch> updated;
};

// Given live target rows (the read schema), fills the decision.
using DecideFn = std::function<void(const columnar::RecordBatch& live, RowDecision* decision)>;

class DmlEngine {
 public:
  // `operation`: commitInfo.operation ("DELETE", "UPDATE", "MERGE", "REPLACE ROWS").
  // InvalidInput when only one of app_id / app_version is given.
  DmlEngine(std::shared_ptr<storage::ObjectStore> store, std::shared_ptr<const Snapshot> snapshot,
            const DmlOptions& options, std::string operation);
  ~DmlEngine();  // deletes the files written unless a commit may reference them
  DmlEngine(const DmlEngine&) = delete;
  DmlEngine& operator=(const DmlEngine&) = delete;

  const Snapshot& snapshot() const { return *snapshot_; }
  Transaction& txn() { return *txn_; }
  // Call before anything is written when the operation changes the schema (MERGE schema
  // evolution): the new metadata (and the protocol it needs) are staged.
  void UpdateMetadata(const Metadata& metadata);
  // The configuration of the commit (schema of written rows).
  const TableConfiguration& config() const { return txn_->config(); }
  bool deletion_vectors() const { return use_dvs_; }
  // Idempotency (DmlOptions::write.app_id / app_version): true when the table already
  // records app_version or later for app_id. The operation should then read nothing and
  // call Commit, which commits nothing and sets DmlResult::skip_reason. Otherwise Commit
  // stages the `txn` action (when app_id is given) with whatever else it commits.
  bool AlreadyApplied() const { return !skip_reason_.empty(); }

  // Live files that may hold rows matching `predicate` (bound to the read schema; nullptr:
  // every file). Counts considered / skipped files.
  std::vector<const AddFile*> PruneFiles(const expr::Expr* predicate);

  // The row groups in which no row satisfies `predicate` (bound to the read schema), by
  // their statistics and Bloom filters (RowGroupPruner), as ProcessFile's `skip_row_group`;
  // nullptr when there is no predicate or the strategy is copy-on-write. Pass a predicate
  // that every row the operation could change satisfies.
  RowGroupFilter RowGroupsRuledOutBy(expr::ExprPtr predicate) const;

  // Reads file `f` (TrackReadFile), row group by row group, and applies the decisions.
  // `skip_row_group`, when given, is used with deletion vectors only (copy-on-write must
  // copy every row): a row group it skips is not read, its rows are kept, and it is counted
  // in DmlMetrics::row_groups_skipped. It must skip only row groups with no row the
  // operation would change. Memory: one decoded row group and what `decide` makes of it
  // (copy-on-write also holds the file's kept rows until they are rewritten).
  void ProcessFile(const AddFile& f, const DecideFn& decide,
                   const RowGroupFilter& skip_row_group = nullptr);
  // Removes file `f` whole (every live row deleted) without deciding row by row; its rows
  // are read only when the change data feed needs them.
  void RemoveWholeFile(const AddFile& f);

  // New rows (MERGE inserts), aligned to config().schema(). Call after every ProcessFile:
  // they are written as change data too when the commit has other change data.
  void Insert(const columnar::RecordBatch& rows);

  // Stages everything and commits (no commit when nothing changed).
  DmlResult Commit(std::map<std::string, std::string> parameters,
                   std::map<std::string, std::string> extra_metrics = {});

  DmlMetrics& metrics() { return result_.metrics; }

 private:
  struct PendingDv;
  struct RowTracking;
  void WriteData(const columnar::RecordBatch& aligned, const columnar::ColumnPtr& row_ids,
                 const columnar::ColumnPtr& row_versions);
  void WriteChange(const columnar::RecordBatch& rows_in_any_schema, const char* change_type);
  void WriteDvFile();
  DataFileWriter& DataWriter();
  DataFileWriter& CdcWriter();

  std::shared_ptr<storage::ObjectStore> store_;
  std::shared_ptr<const Snapshot> snapshot_;
  DmlOptions options_;
  std::unique_ptr<Transaction> txn_;
  bool use_dvs_ = false;
  bool cdf_ = false;
  int64_t now_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::unique_ptr<RowTracking> tracking_;
  std::unique_ptr<DataFileWriter> data_writer_, cdc_writer_;
  std::vector<PendingDv> pending_dvs_;
  std::vector<std::string> extra_written_;  // the DV file
  std::vector<std::string> written_data_;   // data and change files, once closed
  int64_t write_ms_ = 0;
  int64_t removed_files_ = 0, removed_bytes_ = 0;
  DmlResult result_;
  bool wrote_changes_ = false;  // any delete/update change row
  bool committed_ = false;
  std::string skip_reason_;  // the app transaction is already applied
};

// Rows of `batch` at `indices` (-1: a null row), as a new batch of the same schema.
columnar::RecordBatch TakeRows(const columnar::RecordBatch& batch,
                               const std::vector<int64_t>& indices);
// A column of `rows` nulls.
columnar::ColumnPtr NullColumn(const columnar::TypePtr& type, int64_t rows);
// InvalidInput unless the bound expression's type can be stored in `target` (equal types,
// NULL, or an implicit cast that does not convert between strings and other types).
void CheckAssignable(const expr::Expr& bound, const columnar::Field& target,
                     const std::string& what);
// The value of a SET expression as a column of `type` (cast when needed; InvalidInput when
// the cast does not exist or, for a non-nullable column, gives nulls).
columnar::ColumnPtr EvaluateAs(const expr::Expr& bound, const columnar::RecordBatch& batch,
                               const columnar::Field& target, const std::string& what);

int64_t MillisSince(std::chrono::steady_clock::time_point t);

}  // namespace cpglake::delta::dml_internal
