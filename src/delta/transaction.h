// Transaction: stages the actions of one Delta commit against the snapshot it read, and
// commits them as version N+1 with put-if-absent (PROTOCOL.md "Delta Log Entries"; the
// storage layer's PutIfAbsent is temp file + fsync + renameat2(NOREPLACE)/link, never a
// rename over a commit).
//
// Optimistic concurrency: when another writer took the version, the winning commits are read
// and checked against what this transaction read and changed (the rules of delta-spark's
// ConflictChecker, per isolation level):
//   - a protocol or metaData change in a winning commit conflicts;
//   - files added by a winning commit (dataChange) that may satisfy one of this
//     transaction's read predicates conflict — under WriteSerializable (the default) only
//     when the winning commit was not a blind append; under Serializable always;
//   - a winning commit that removed a file this transaction read, or also removes, conflicts;
//   - the same `txn` app id, or the same (non-system) domain, in both conflicts.
// A transaction that read nothing (a blind append) therefore only conflicts with protocol
// and metadata changes.
//
// Row tracking (PROTOCOL.md "Row Tracking"): when the table supports it, new adds get
// `baseRowId` / `defaultRowCommitVersion` and the `delta.rowTracking` high-water mark
// advances; a commit that stages metadata gets the materialised row-tracking column names
// when it lacks them (as Spark does at creation); and a commit that makes row tracking
// supported, or turns `delta.enableRowTracking` on, on a table with files also re-adds every
// live file without `baseRowId` (dataChange=false, the same file and DV) with fresh row ids
// — the backfill the protocol requires before the property may be true. Such a commit
// conflicts with any winning commit that adds or removes files (it would leave a file without
// row ids, or re-add a removed one). Without a conflict the commit is rebuilt for the next version
// (commitInfo timestamp, in-commit timestamp, row ids) and retried, up to max_retries times
// with jittered exponential backoff; a conflict throws CommitConflict naming the winning
// version and the reason. Nothing is written before the put-if-absent, and a failed one
// leaves nothing behind, so an exception never leaves a half-applied commit.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "delta/actions.h"
#include "delta/snapshot.h"
#include "expr/expression.h"
#include "storage/object_store.h"

namespace cpglake::delta {

enum class IsolationLevel { kSerializable, kWriteSerializable, kSnapshotIsolation };
std::string_view IsolationLevelName(IsolationLevel level);  // "WriteSerializable", ...

// The writer features this implementation honours; writing to a table that lists any
// other is refused (Unsupported, naming it) before anything is written.
const std::set<std::string>& SupportedWriterFeatures();

// Checks that this writer may write a table with this protocol and configuration:
// writer version ≤ 7, every writer feature supported, and table properties that need a
// feature we do not implement (e.g. CHECK constraints, generated or identity columns)
// absent. Throws Unsupported naming the feature.
void CheckWritable(const TableConfiguration& config);

struct CommitOptions {
  std::string operation = "WRITE";
  // commitInfo.operationParameters (string values, as Spark writes them).
  std::map<std::string, std::string> operation_parameters;
  // Extra commitInfo.operationMetrics (string values); files/rows/bytes added and removed
  // are computed from the staged actions and need not be given.
  std::map<std::string, std::string> operation_metrics;
  // Caller commit properties: written as top-level commitInfo fields (string values).
  std::map<std::string, std::string> commit_properties;
  IsolationLevel isolation = IsolationLevel::kWriteSerializable;
  int max_retries = 25;
  // Clock for commitInfo.timestamp and in-commit timestamps (ms since the epoch); the
  // system clock when unset (tests inject one).
  std::optional<int64_t> now_ms;
  // After a commit at a multiple of delta.checkpointInterval (default 10), write a
  // checkpoint and remove expired log files (delta.logRetentionDuration, unless
  // delta.enableExpiredLogCleanup = false). Failures there do not undo the commit: they are
  // reported in CommitResult::checkpoint_error.
  bool checkpoint = true;
};

struct CommitResult {
  int64_t version = 0;
  int attempts = 1;          // 1 + the number of retries
  std::string commit_info;   // the commitInfo JSON object as written
  int64_t timestamp_ms = 0;  // commit timestamp (in-commit timestamp when enabled)
  int64_t files_added = 0, files_removed = 0;
  int64_t rows_added = 0, bytes_added = 0, bytes_removed = 0;
  std::optional<int64_t> checkpoint_version;  // when this commit was checkpointed
  int64_t log_files_deleted = 0;              // by the expired-log cleanup
  std::string checkpoint_error;               // why the checkpoint failed, if it did
};

class Transaction {
 public:
  // A transaction on the table in `store`, read at `read_snapshot`; nullptr when the table
  // does not exist yet (the commit then creates version 0 and must stage protocol and
  // metaData).
  Transaction(std::shared_ptr<storage::ObjectStore> store,
              std::shared_ptr<const Snapshot> read_snapshot, CommitOptions options = {});

  const std::shared_ptr<const Snapshot>& read_snapshot() const { return read_snapshot_; }
  int64_t read_version() const { return read_snapshot_ ? read_snapshot_->version() : -1; }
  // The configuration the commit will have (staged protocol/metadata over the read ones).
  const TableConfiguration& config() const;
  CommitOptions& options() { return options_; }

  // Staging. Adds and removes are keyed by (path, deletion vector) as in the log.
  void AddFile(delta::AddFile add);
  void RemoveFile(delta::RemoveFile remove);
  void AddCdcFile(AddCDCFile cdc);
  void UpdateMetadata(Metadata metadata);
  void UpdateProtocol(Protocol protocol);
  void SetAppTransaction(const std::string& app_id, int64_t version);
  void SetDomainMetadata(DomainMetadata domain);

  // Reads, for conflict detection: rows satisfying `predicate` (over the table's columns;
  // nullptr = every row) were read to decide what to write.
  void TrackRead(expr::ExprPtr predicate);
  // Files read (by path as in the log); files this transaction removes count as read.
  void TrackReadFile(const std::string& path);

  // Commits; throws CommitConflict on a real conflict, or when retries are exhausted. A
  // transaction commits at most once.
  CommitResult Commit();

  // True once a commit attempt may have reached the store (it succeeded, or failed with an
  // I/O error and reading the version back could not tell whether our commit is there): the
  // staged data files must then be kept. A failed put whose version is then found absent, or
  // holding another writer's commit, leaves it false.
  bool maybe_committed() const { return maybe_committed_; }

  const std::vector<delta::AddFile>& staged_adds() const { return adds_; }
  const std::vector<delta::RemoveFile>& staged_removes() const { return removes_; }

 private:
  struct WinnerState;
  std::string BuildCommit(int64_t version, int64_t now_ms, const WinnerState& winners,
                          CommitResult* result) const;
  void CheckConflicts(int64_t version, const std::vector<Action>& actions,
                      WinnerState* winners) const;
  bool IsBlindAppend() const;
  void PrepareRowTracking();

  std::shared_ptr<storage::ObjectStore> store_;
  std::shared_ptr<const Snapshot> read_snapshot_;
  CommitOptions options_;
  std::optional<Protocol> new_protocol_;
  std::optional<Metadata> new_metadata_;
  mutable std::unique_ptr<TableConfiguration> config_;  // cache for config()
  std::vector<delta::AddFile> adds_;
  std::vector<delta::RemoveFile> removes_;
  std::vector<AddCDCFile> cdcs_;
  std::map<std::string, Txn> txns_;
  std::map<std::string, DomainMetadata> domains_;
  std::vector<expr::ExprPtr> read_predicates_;  // bound to the read schema
  bool read_whole_table_ = false;
  std::set<std::string> read_files_;  // decoded paths
  // Live files of the read snapshot re-added with row ids (PrepareRowTracking).
  std::vector<delta::AddFile> row_id_backfill_;
  std::string txn_id_;  // commitInfo.txnId, the same across retries
  bool committed_ = false;
  bool maybe_committed_ = false;
};

// Table properties naming the materialised row-tracking columns (PROTOCOL.md "Row Tracking").
inline constexpr char kMaterializedRowIdColumnKey[] =
    "delta.rowTracking.materializedRowIdColumnName";
inline constexpr char kMaterializedRowCommitVersionColumnKey[] =
    "delta.rowTracking.materializedRowCommitVersionColumnName";
// Gives `metadata` the materialised row-tracking column names it lacks, named as Spark names
// them ("_row-id-col-<uuid>", "_row-commit-version-col-<uuid>"); true when it changed.
bool AssignRowTrackingColumnNames(Metadata* metadata);

// The commit timestamp writers record: now, or one past the previous commit's in-commit
// timestamp when the clock is behind it (in-commit timestamps must increase).
int64_t NextInCommitTimestamp(int64_t now_ms, std::optional<int64_t> previous_ict);

}  // namespace cpglake::delta
