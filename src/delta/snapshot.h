// Snapshot: the immutable state of a Delta table at one version — protocol, metadata,
// live files (path + deletion vector), remove tombstones, app transactions, domain
// metadata and the commit timestamp — reconstructed from a LogSegment by action
// reconciliation (PROTOCOL.md "Action Reconciliation"). Built by SnapshotBuilder.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "delta/actions.h"
#include "delta/log_segment.h"
#include "delta/table_configuration.h"
#include "storage/object_store.h"

namespace cpglake::delta {

class Snapshot {
 public:
  int64_t version() const { return segment_.version; }
  const Protocol& protocol() const { return config_->protocol(); }
  const Metadata& metadata() const { return config_->metadata(); }
  const TableConfiguration& config() const { return *config_; }
  const columnar::Schema& schema() const { return config_->schema(); }
  const std::vector<std::string>& partition_columns() const { return config_->partition_columns(); }
  // Live data files, in the order they were added (oldest first).
  const std::vector<AddFile>& files() const { return files_; }
  // Remove actions still retained (for vacuum), oldest first.
  const std::vector<RemoveFile>& tombstones() const { return tombstones_; }
  const std::map<std::string, Txn>& app_transactions() const { return txns_; }
  // Live (not removed) domain metadata by domain.
  const std::map<std::string, DomainMetadata>& domain_metadata() const { return domains_; }
  // Commit timestamp of this version (in-commit timestamp where enabled, else the commit
  // file's modification time), milliseconds since the epoch.
  int64_t timestamp_ms() const { return timestamp_ms_; }
  const LogSegment& log_segment() const { return segment_; }
  const std::shared_ptr<storage::ObjectStore>& store() const { return store_; }
  // Totals over live files (rows from stats.numRecords when every file has them).
  int64_t total_bytes() const;
  std::optional<int64_t> total_rows() const;

 private:
  friend class SnapshotBuilder;
  std::shared_ptr<storage::ObjectStore> store_;
  LogSegment segment_;
  std::unique_ptr<TableConfiguration> config_;
  std::vector<AddFile> files_;
  std::vector<RemoveFile> tombstones_;
  std::map<std::string, Txn> txns_;
  std::map<std::string, DomainMetadata> domains_;
  int64_t timestamp_ms_ = 0;
};

// One entry of the table history: a commit's version, timestamp and commitInfo.
struct CommitEntry {
  int64_t version = 0;
  int64_t timestamp_ms = 0;
  std::optional<CommitInfo> commit_info;
};

class SnapshotBuilder {
 public:
  explicit SnapshotBuilder(std::shared_ptr<storage::ObjectStore> table)
      : store_(std::move(table)) {}
  SnapshotBuilder& AtVersion(int64_t version) {
    version_ = version;
    return *this;
  }
  // The latest version whose commit timestamp is <= ts (ms since the epoch). NotFound
  // when ts is before the first commit or after the latest one.
  SnapshotBuilder& AtTimestamp(int64_t timestamp_ms) {
    timestamp_ms_ = timestamp_ms;
    return *this;
  }
  // Threads that read and parse log files (the result does not depend on it).
  SnapshotBuilder& WithThreads(int threads) {
    threads_ = threads;
    return *this;
  }
  std::shared_ptr<const Snapshot> Build();

 private:
  std::shared_ptr<storage::ObjectStore> store_;
  int threads_ = 0;  // 0: one per core
  std::optional<int64_t> version_;
  std::optional<int64_t> timestamp_ms_;
};

// While a scope is alive (on any thread), SnapshotBuilder::Build reuses a snapshot this
// process built before when the new listing of `_delta_log/` makes the same segment — the same
// version, checkpoint and commit files with the same sizes and modification times — of a
// table at the same location with the same storage options: log files are never rewritten,
// so the state they give is the same. For a job that opens the same tables again and again
// (a build opens each of its tables several times). Timestamp-pinned builds are not cached.
// At most kSnapshotCacheEntries snapshots are kept (oldest dropped first); the cache is
// emptied when the last scope ends.
class SnapshotCacheScope {
 public:
  SnapshotCacheScope();
  ~SnapshotCacheScope();
  SnapshotCacheScope(const SnapshotCacheScope&) = delete;
  SnapshotCacheScope& operator=(const SnapshotCacheScope&) = delete;
};
inline constexpr size_t kSnapshotCacheEntries = 32;

// Opens the table at `uri` (a local path or file:// URI) at its latest version.
std::shared_ptr<const Snapshot> OpenSnapshot(
    const std::string& uri, std::optional<int64_t> version = std::nullopt,
    const std::map<std::string, std::string>& options = {});

// Commit timestamps and commitInfo of versions [from, to] (inclusive), newest first.
std::vector<CommitEntry> ReadHistory(storage::ObjectStore& store, const LogSegment& latest,
                                     int64_t from, int64_t to);

// Parses "2024-01-02", "2024-01-02T03:04:05[.fff][Z|+hh:mm]" or "2024-01-02 03:04:05" (UTC
// unless an offset is given) to ms since the epoch; InvalidInput otherwise.
int64_t ParseTimestampMs(const std::string& text);

// The actions of one commit (or compaction) file.
std::vector<Action> ReadCommitActions(storage::ObjectStore& store, const LogFile& file);

}  // namespace cpglake::delta
