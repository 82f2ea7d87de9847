// Table maintenance: VACUUM (delete files no retained version needs), OPTIMIZE (bin-packing
// compaction), RESTORE (make a past version current again) and CLONE (deep copy of one
// snapshot into a new table). The reference behaviour is delta-spark's VacuumCommand,
// OptimizeTableCommand, RestoreTableCommand and CloneTableCommand; PROTOCOL.md sections
// "Vacuum Protocol Check", "Row Tracking" and "Deletion Vectors" say what a writer must keep.
//
// Every operation that changes the table is one Transaction (delta/transaction.h):
//  - VACUUM commits two commitInfo-only commits, "VACUUM START" (what it will delete) and
//    "VACUUM END" (what it deleted), around the deletions, as delta-spark does;
//  - OPTIMIZE commits dataChange=false removes and adds (no reads tracked, so concurrent
//    blind appends never conflict with it; a concurrent commit removing one of its files
//    does);
//  - RESTORE reads the whole table (any concurrent data change conflicts);
//  - CLONE creates version 0 of a new table.
// Data files are written before the commit under fresh names nothing references; a failure
// before the commit deletes them (best effort: a crash leaves garbage for VACUUM).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "delta/snapshot.h"
#include "parquet/file_writer.h"
#include "storage/object_store.h"

namespace cpglake::delta {

// ---- VACUUM -------------------------------------------------------------------------------

inline constexpr int64_t kDefaultRetentionMs = int64_t{7} * 24 * 3600 * 1000;

struct VacuumOptions {
  // Files removed longer ago than this may be deleted. Default: the table's
  // delta.deletedFileRetentionDuration (1 week unless set).
  std::optional<int64_t> retention_ms;
  // List what would be deleted; delete nothing, commit nothing.
  bool dry_run = true;
  // Allow a retention shorter than the table's delete-file retention (default 7 days):
  // refused otherwise, because readers and writers of older versions may still need them.
  bool force = false;
  std::optional<int64_t> now_ms;  // injectable clock (tests)
};

struct VacuumFile {
  std::string key;  // relative to the table root
  int64_t size = 0;
  int64_t modification_time_ms = 0;
};

struct VacuumResult {
  bool dry_run = true;
  int64_t retention_ms = 0;
  int64_t horizon_ms = 0;  // now - retention: files older than this may go
  // The oldest version still reachable by time travel within the retention (its files are
  // kept); -1 when every version is within the retention.
  int64_t oldest_retained_version = -1;
  std::vector<VacuumFile> files;  // deleted (or, in a dry run, to delete), by key
  int64_t files_deleted = 0;      // 0 in a dry run
  int64_t bytes = 0;              // total size of `files`
  std::optional<int64_t> start_version, end_version;  // the VACUUM START / END commits
};

// Deletes (or lists) every file under the table — data files, deletion-vector files,
// `_change_data/` files and leftover `.cpglake-tmp.*` files — that is older than the
// retention horizon and that no version within the retention needs: neither the current
// snapshot's files (and their DV files), nor files of the version in effect at the horizon
// or added since (so time travel to any timestamp within the retention keeps working), nor
// files of remove tombstones newer than the horizon. `_delta_log/` and other directories
// whose name starts with `_` or `.` (except `_change_data` and partition directories) are
// never touched. Refuses (Unsupported) when the table's protocol lists a reader or writer
// feature this implementation does not support (required by the vacuumProtocolCheck
// feature; a real run always checks the writer protocol, as it commits).
VacuumResult Vacuum(const std::shared_ptr<storage::ObjectStore>& store,
                    const VacuumOptions& options = {});

// ---- OPTIMIZE -----------------------------------------------------------------------------

struct OptimizeOptions {
  // Size of the files written. Default: delta.targetFileSize when set, else 128 MiB.
  std::optional<int64_t> target_file_bytes;
  // Files smaller than this are compacted. Default: the target file size.
  std::optional<int64_t> min_file_bytes;
  // Sort the rows of each rewritten file by these columns (ascending, nulls first).
  std::vector<std::string> sort_by;
  // Only partitions matching this predicate (over partition columns only) are compacted.
  std::optional<std::string> partition_predicate;
  parquet::WriterOptions parquet;
  std::optional<int64_t> now_ms;
  bool checkpoint = true;  // CommitOptions::checkpoint
};

struct OptimizeResult {
  int64_t version = -1;  // -1 when nothing needed compacting (no commit)
  int64_t files_removed = 0, files_added = 0;
  int64_t bytes_removed = 0, bytes_added = 0;
  int64_t rows_written = 0;
  int64_t rows_dropped_by_dv = 0;  // deleted rows purged from the rewritten files
  int64_t partitions_optimized = 0;
  int attempts = 0;
  std::string commit_info;
};

// Compacts, per partition, the files smaller than min_file_bytes (and every file with a
// deletion vector, so that its deleted rows are purged) into files of about
// target_file_bytes, in ONE commit (operation OPTIMIZE, dataChange=false). A bin holding a
// single file without a deletion vector is left alone. On a table with row tracking, row ids
// and row commit versions are preserved by materialising them into the columns named by
// delta.rowTracking.materializedRowIdColumnName / ...RowCommitVersionColumnName (the names
// are chosen and committed with the OPTIMIZE when the table has none yet).
OptimizeResult Optimize(const std::shared_ptr<storage::ObjectStore>& store,
                        const OptimizeOptions& options = {});

// ---- RESTORE ------------------------------------------------------------------------------

struct RestoreOptions {
  std::optional<int64_t> version;
  std::optional<int64_t> timestamp_ms;  // exactly one of version / timestamp_ms
  std::optional<int64_t> now_ms;
};

struct RestoreResult {
  int64_t version = -1;           // the RESTORE commit (-1: the table already matched)
  int64_t restored_version = -1;  // the version restored
  int64_t files_removed = 0, files_restored = 0;
  int64_t bytes_removed = 0, bytes_restored = 0;
  int64_t files_after = 0, bytes_after = 0;
  bool metadata_changed = false, protocol_changed = false;
  std::string commit_info;
};

// One commit that makes the live files of the table equal to those of the target version:
// files added since are removed, files removed since are added back (dataChange=true), and
// the metadata (schema, properties) of the target is restored; the protocol is upgraded if
// the target needs more, never downgraded. NotFound naming the first missing file when a
// file to re-add (or its DV file) was vacuumed. Operation RESTORE with Spark's metrics.
RestoreResult Restore(const std::shared_ptr<storage::ObjectStore>& store,
                      const RestoreOptions& options);

// ---- CLONE --------------------------------------------------------------------------------

struct CloneOptions {
  std::optional<int64_t> version;
  std::optional<int64_t> timestamp_ms;  // at most one of version / timestamp_ms
  // How the source is named in the commit (default: its DisplayPath).
  std::optional<std::string> source_name;
  std::optional<int64_t> now_ms;
};

struct CloneResult {
  int64_t version = -1;  // of the new table (0)
  int64_t source_version = -1;
  int64_t source_timestamp_ms = 0;
  int64_t files_copied = 0, bytes_copied = 0;
  int64_t dv_files_copied = 0;
  std::optional<int64_t> rows;  // live rows (from the stats)
  std::string schema_fingerprint;
  std::string commit_info;
};

// Deep clone: copies the data files and deletion-vector files of one snapshot of `source`
// into `target` (which must not hold a table or any other file) and commits them as
// version 0 (operation CLONE; operationParameters and commitInfo carry clone_source,
// source_version and source_timestamp). The protocol, schema, partitioning and properties
// are the source's (a new table id; in-commit timestamps, if on, start at version 0).
// Row ids are assigned afresh. Files are copied before the commit; a failure deletes them.
CloneResult Clone(const std::shared_ptr<storage::ObjectStore>& source,
                  const std::shared_ptr<storage::ObjectStore>& target,
                  const CloneOptions& options = {});

// ---- shared helpers -----------------------------------------------------------------------

// The store key (relative to the table root) of a path as written in the log (add.path,
// remove.path, cdc.path), or nullopt when it points outside the table. Absolute `file:`
// URIs and absolute paths inside the table root map to their relative key.
std::optional<std::string> TableKeyOfLogPath(const storage::ObjectStore& store,
                                             const std::string& log_path);

}  // namespace cpglake::delta
