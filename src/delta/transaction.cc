#include "delta/transaction.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/ids.h"
#include "delta/checkpoint_writer.h"
#include "delta/file_pruning.h"
#include "delta/log_segment.h"
#include "delta/stats.h"
#include "expr/binder.h"

namespace cpglake::delta {

namespace {

using json = nlohmann::ordered_json;

constexpr char kRowTrackingDomain[] = "delta.rowTracking";

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Decoded(const std::string& path) {
  try {
    return storage::UriDecode(path);
  } catch (const Error&) {
    return path;
  }
}

// Whether any field (at any depth) carries the metadata key.
bool SchemaHasFieldMetadata(const columnar::Schema& schema, std::string_view key) {
  std::function<bool(const columnar::Field&)> visit = [&](const columnar::Field& f) {
    for (const auto& [k, v] : f.metadata) {
      if (k == key) return true;
    }
    for (const auto& child : f.type->fields()) {
      if (visit(child)) return true;
    }
    return false;
  };
  for (const auto& f : schema.fields()) {
    if (visit(f)) return true;
  }
  return false;
}

std::optional<int64_t> RowIdHighWaterMark(const std::string& configuration) {
  auto j = json::parse(configuration, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("rowIdHighWaterMark") ||
      !j["rowIdHighWaterMark"].is_number_integer()) {
    throw CorruptData("domain metadata delta.rowTracking has no integer rowIdHighWaterMark: " +
                      configuration);
  }
  return j["rowIdHighWaterMark"].get<int64_t>();
}

}  // namespace

std::string_view IsolationLevelName(IsolationLevel level) {
  switch (level) {
    case IsolationLevel::kSerializable:
      return "Serializable";
    case IsolationLevel::kWriteSerializable:
      return "WriteSerializable";
    case IsolationLevel::kSnapshotIsolation:
      return "SnapshotIsolation";
  }
  return "WriteSerializable";
}

const std::set<std::string>& SupportedWriterFeatures() {
  // Features whose use CheckWritable verifies absent are listed too: a table may list them
  // without using them (e.g. invariants with no invariant set).
  static const std::set<std::string> kFeatures = {
      "appendOnly",          "invariants",     "checkConstraints",     "changeDataFeed",
      "generatedColumns",    "columnMapping",  "identityColumns",      "deletionVectors",
      "timestampNtz",        "typeWidening",   "typeWidening-preview", "v2Checkpoint",
      "vacuumProtocolCheck", "domainMetadata", "rowTracking",          "inCommitTimestamp"};
  return kFeatures;
}

void CheckWritable(const TableConfiguration& config) {
  const Protocol& p = config.protocol();
  if (p.min_writer_version > 7) {
    throw Unsupported("table needs writer version " + std::to_string(p.min_writer_version) +
                      "; cpglake writes up to writer version 7");
  }
  if (p.min_writer_version == 7 && p.writer_features) {
    std::string unknown;
    for (const auto& f : *p.writer_features) {
      if (!SupportedWriterFeatures().count(f)) unknown += (unknown.empty() ? "" : ", ") + f;
    }
    if (!unknown.empty()) {
      throw Unsupported("table uses writer feature(s) cpglake cannot write: " + unknown);
    }
  }
  const auto& schema = config.schema();
  if (config.HasWriterFeature("invariants") && SchemaHasFieldMetadata(schema, "delta.invariants")) {
    throw Unsupported(
        "table has column invariants (delta.invariants), which cpglake cannot "
        "enforce; write it with Spark");
  }
  if (config.HasWriterFeature("checkConstraints")) {
    for (const auto& [k, v] : config.metadata().configuration) {
      if (k.rfind("delta.constraints.", 0) == 0) {
        throw Unsupported("table has CHECK constraint '" + k.substr(18) +
                          "', which cpglake cannot enforce yet; write it with Spark");
      }
    }
  }
  if (config.HasWriterFeature("generatedColumns") &&
      SchemaHasFieldMetadata(schema, "delta.generationExpression")) {
    throw Unsupported(
        "table has generated columns, which cpglake cannot compute; write it "
        "with Spark");
  }
  if (config.HasWriterFeature("identityColumns") &&
      SchemaHasFieldMetadata(schema, "delta.identity.start")) {
    throw Unsupported(
        "table has identity columns, which cpglake cannot assign; write it "
        "with Spark");
  }
}

bool AssignRowTrackingColumnNames(Metadata* m) {
  bool changed = false;
  if (!m->configuration.count(kMaterializedRowIdColumnKey)) {
    m->configuration[kMaterializedRowIdColumnKey] = "_row-id-col-" + RandomUuid();
    changed = true;
  }
  if (!m->configuration.count(kMaterializedRowCommitVersionColumnKey)) {
    m->configuration[kMaterializedRowCommitVersionColumnKey] =
        "_row-commit-version-col-" + RandomUuid();
    changed = true;
  }
  return changed;
}

int64_t NextInCommitTimestamp(int64_t now_ms, std::optional<int64_t> previous_ict) {
  if (previous_ict && now_ms <= *previous_ict) return *previous_ict + 1;
  return now_ms;
}

// What the winning commits (read while retrying) changed that the rebuilt commit depends on.
struct Transaction::WinnerState {
  std::optional<int64_t> last_ict;           // in-commit timestamp of the newest commit
  std::optional<int64_t> row_id_high_water;  // delta.rowTracking high-water mark
};

Transaction::Transaction(std::shared_ptr<storage::ObjectStore> store,
                         std::shared_ptr<const Snapshot> read_snapshot, CommitOptions options)
    : store_(std::move(store)),
      read_snapshot_(std::move(read_snapshot)),
      options_(std::move(options)) {}

const TableConfiguration& Transaction::config() const {
  if (!config_) {
    if (!new_protocol_ && !new_metadata_) {
      if (!read_snapshot_) {
        throw InvalidInput("a new table needs a protocol and metadata (schema) to be created");
      }
      return read_snapshot_->config();
    }
    const Protocol& p = new_protocol_ ? *new_protocol_
                        : read_snapshot_
                            ? read_snapshot_->protocol()
                            : throw InvalidInput("a new table needs a protocol to be created");
    const Metadata& m = new_metadata_ ? *new_metadata_
                        : read_snapshot_
                            ? read_snapshot_->metadata()
                            : throw InvalidInput("a new table needs metadata to be created");
    config_ = std::make_unique<TableConfiguration>(p, m);
  }
  return *config_;
}

void Transaction::AddFile(delta::AddFile add) {
  adds_.push_back(std::move(add));
}

void Transaction::RemoveFile(delta::RemoveFile remove) {
  read_files_.insert(Decoded(remove.path));
  removes_.push_back(std::move(remove));
}

void Transaction::AddCdcFile(AddCDCFile cdc) {
  cdcs_.push_back(std::move(cdc));
}

void Transaction::UpdateMetadata(Metadata metadata) {
  new_metadata_ = std::move(metadata);
  config_.reset();
}

void Transaction::UpdateProtocol(Protocol protocol) {
  new_protocol_ = std::move(protocol);
  config_.reset();
}

void Transaction::SetAppTransaction(const std::string& app_id, int64_t version) {
  Txn t;
  t.app_id = app_id;
  t.version = version;
  txns_[app_id] = std::move(t);
}

void Transaction::SetDomainMetadata(DomainMetadata domain) {
  std::string name = domain.domain;
  domains_[name] = std::move(domain);
}

void Transaction::TrackRead(expr::ExprPtr predicate) {
  if (!predicate) {
    read_whole_table_ = true;
    return;
  }
  if (!read_snapshot_) return;  // nothing existed to read
  read_predicates_.push_back(expr::BindPredicate(*predicate, read_snapshot_->schema()));
}

void Transaction::TrackReadFile(const std::string& path) {
  read_files_.insert(Decoded(path));
}

bool Transaction::IsBlindAppend() const {
  return removes_.empty() && row_id_backfill_.empty() && !read_whole_table_ &&
         read_predicates_.empty() && read_files_.empty() &&
         std::all_of(adds_.begin(), adds_.end(), [](const auto& a) { return a.data_change; });
}

void Transaction::CheckConflicts(int64_t version, const std::vector<Action>& actions,
                                 WinnerState* winners) const {
  std::string who;
  bool winner_blind_append = false;
  for (const auto& a : actions) {
    if (const auto* ci = std::get_if<CommitInfo>(&a)) {
      auto j = json::parse(ci->json, nullptr, false);
      if (j.is_object()) {
        if (j.contains("isBlindAppend") && j["isBlindAppend"].is_boolean()) {
          winner_blind_append = j["isBlindAppend"].get<bool>();
        }
        if (ci->operation) who = " (" + *ci->operation + ")";
      }
      if (ci->in_commit_timestamp) winners->last_ict = ci->in_commit_timestamp;
    }
  }
  auto conflict = [&](const std::string& why) {
    throw CommitConflict("concurrent commit: version " + std::to_string(version) + who +
                         " was committed first and " + why +
                         "; re-read the table and run the operation again");
  };
  const bool reads_data = read_whole_table_ || !read_predicates_.empty();
  const bool check_adds =
      reads_data && options_.isolation != IsolationLevel::kSnapshotIsolation &&
      (options_.isolation == IsolationLevel::kSerializable || !winner_blind_append);
  std::unordered_map<std::string, const delta::AddFile*> read_snapshot_files;
  auto file_in_read_snapshot = [&](const std::string& decoded) -> const delta::AddFile* {
    if (!read_snapshot_) return nullptr;
    if (read_snapshot_files.empty()) {
      for (const auto& f : read_snapshot_->files()) read_snapshot_files[Decoded(f.path)] = &f;
    }
    auto it = read_snapshot_files.find(decoded);
    return it == read_snapshot_files.end() ? nullptr : it->second;
  };
  std::set<std::string> our_removes;
  for (const auto& r : removes_) our_removes.insert(Decoded(r.path));

  for (const auto& a : actions) {
    if (std::holds_alternative<Protocol>(a)) {
      conflict("changed the protocol");
    } else if (std::holds_alternative<Metadata>(a)) {
      conflict("changed the table metadata (schema, partitioning or properties)");
    } else if (const auto* add = std::get_if<delta::AddFile>(&a)) {
      if (!row_id_backfill_.empty()) {
        conflict("added a file (" + add->path +
                 ") while row ids were being assigned to every file");
      }
      if (!add->data_change || !check_adds) continue;
      if (read_whole_table_) conflict("added data this transaction read (" + add->path + ")");
      for (const auto& pred : read_predicates_) {
        if (PruneFile(read_snapshot_->config(), *add, *pred) == FilePrune::kMaybe) {
          conflict("added a file (" + add->path +
                   ") that may hold rows matching this transaction's read predicate");
        }
      }
    } else if (const auto* rm = std::get_if<delta::RemoveFile>(&a)) {
      // dataChange=false removes (OPTIMIZE) count too, as in delta-spark: the file is gone
      // either way, so a transaction that read or removes it must not commit.
      const std::string path = Decoded(rm->path);
      if (!row_id_backfill_.empty()) {
        conflict("removed a file (" + rm->path +
                 ") while row ids were being assigned to every file");
      }
      if (our_removes.count(path)) conflict("also removed " + rm->path);
      if (read_files_.count(path)) conflict("removed a file this transaction read: " + rm->path);
      if (read_whole_table_) conflict("removed data this transaction read (" + rm->path + ")");
      if (!read_predicates_.empty()) {
        if (const auto* old = file_in_read_snapshot(path)) {
          for (const auto& pred : read_predicates_) {
            if (PruneFile(read_snapshot_->config(), *old, *pred) == FilePrune::kMaybe) {
              conflict("removed a file (" + rm->path +
                       ") that may hold rows this transaction read");
            }
          }
        }
      }
    } else if (const auto* t = std::get_if<Txn>(&a)) {
      if (txns_.count(t->app_id)) {
        conflict("committed the same application transaction id '" + t->app_id + "'");
      }
    } else if (const auto* d = std::get_if<DomainMetadata>(&a)) {
      if (d->domain == kRowTrackingDomain) {
        // Row ids are reassigned when the commit is rebuilt: not a conflict.
        if (!d->removed) winners->row_id_high_water = RowIdHighWaterMark(d->configuration);
        continue;
      }
      if (domains_.count(d->domain)) conflict("changed domain metadata '" + d->domain + "'");
    }
  }
}

std::string Transaction::BuildCommit(int64_t version, int64_t now_ms, const WinnerState& winners,
                                     CommitResult* result) const {
  const TableConfiguration& cfg = config();
  // Protocol / metadata as staged, with what this version adds (ICT enablement).
  std::optional<Metadata> metadata = new_metadata_;
  const bool ict = cfg.in_commit_timestamps_enabled();
  const int64_t commit_ts = ict ? NextInCommitTimestamp(now_ms, winners.last_ict) : now_ms;
  if (ict && version > 0) {
    const bool was_enabled =
        read_snapshot_ && read_snapshot_->config().in_commit_timestamps_enabled();
    if (!was_enabled && metadata &&
        !metadata->configuration.count("delta.inCommitTimestampEnablementVersion")) {
      metadata->configuration["delta.inCommitTimestampEnablementVersion"] = std::to_string(version);
      metadata->configuration["delta.inCommitTimestampEnablementTimestamp"] =
          std::to_string(commit_ts);
    }
  }

  // Row tracking: fresh row ids for new files, and the domain's new high-water mark.
  std::vector<delta::AddFile> adds = adds_;
  adds.insert(adds.end(), row_id_backfill_.begin(), row_id_backfill_.end());
  std::optional<DomainMetadata> row_tracking_domain;
  if (cfg.HasWriterFeature("rowTracking")) {
    int64_t hw = winners.row_id_high_water.value_or(-1);
    bool assigned = false;
    for (auto& add : adds) {
      if (!add.default_row_commit_version) add.default_row_commit_version = version;
      if (add.base_row_id) continue;
      auto n = NumRecordsFromStats(add.stats);
      if (!n) {
        throw InvalidInput("row tracking needs numRecords in the stats of " + add.path);
      }
      add.base_row_id = hw + 1;
      hw += *n;
      assigned = true;
    }
    if (assigned) {
      DomainMetadata d;
      d.domain = kRowTrackingDomain;
      d.configuration = "{\"rowIdHighWaterMark\":" + std::to_string(hw) + "}";
      row_tracking_domain = std::move(d);
    }
  }

  // Metrics.
  CommitResult r;
  r.version = version;
  r.timestamp_ms = commit_ts;
  r.files_added = static_cast<int64_t>(adds_.size());  // not the backfill's re-adds
  r.files_removed = static_cast<int64_t>(removes_.size());
  bool rows_known = true;
  for (size_t i = 0; i < adds_.size(); ++i) {
    const auto& a = adds[i];
    r.bytes_added += a.size;
    if (auto n = NumRecordsFromStats(a.stats)) {
      r.rows_added += *n;
    } else {
      rows_known = false;
    }
  }
  for (const auto& rm : removes_) r.bytes_removed += rm.size.value_or(0);

  json ci;
  ci["timestamp"] = commit_ts;
  if (ict) ci["inCommitTimestamp"] = commit_ts;
  ci["operation"] = options_.operation;
  json params = json::object();
  for (const auto& [k, v] : options_.operation_parameters) params[k] = v;
  ci["operationParameters"] = params;
  if (read_snapshot_) ci["readVersion"] = read_snapshot_->version();
  ci["isolationLevel"] = std::string(IsolationLevelName(options_.isolation));
  ci["isBlindAppend"] = IsBlindAppend();
  json metrics = json::object();
  metrics["numFiles"] = std::to_string(r.files_added);
  if (rows_known) metrics["numOutputRows"] = std::to_string(r.rows_added);
  metrics["numOutputBytes"] = std::to_string(r.bytes_added);
  if (!removes_.empty()) {
    metrics["numRemovedFiles"] = std::to_string(r.files_removed);
    metrics["numRemovedBytes"] = std::to_string(r.bytes_removed);
  }
  if (!cdcs_.empty()) metrics["numAddedChangeFiles"] = std::to_string(cdcs_.size());
  if (!row_id_backfill_.empty()) {
    metrics["numRowTrackingBackfilledFiles"] = std::to_string(row_id_backfill_.size());
  }
  for (const auto& [k, v] : options_.operation_metrics) metrics[k] = v;
  ci["operationMetrics"] = metrics;
  ci["engineInfo"] = "cpglake/" + std::string(CpglakeVersion());
  ci["txnId"] = txn_id_;
  for (const auto& [k, v] : options_.commit_properties) {
    if (!ci.contains(k)) ci[k] = v;
  }
  CommitInfo info;
  info.json = ci.dump();
  info.timestamp = commit_ts;
  if (ict) info.in_commit_timestamp = commit_ts;
  info.operation = options_.operation;
  r.commit_info = info.json;

  std::string out;
  auto line = [&](const Action& a) {
    out += SerializeActionJson(a);
    out += '\n';
  };
  line(info);  // first: readers take the in-commit timestamp from the first line
  if (new_protocol_) line(*new_protocol_);
  if (metadata) line(*metadata);
  for (const auto& [id, t] : txns_) {
    Txn copy = t;
    copy.last_updated = commit_ts;
    line(copy);
  }
  for (const auto& [name, d] : domains_) line(d);
  if (row_tracking_domain) line(*row_tracking_domain);
  for (const auto& rm : removes_) line(rm);
  for (const auto& a : adds) line(a);
  for (const auto& c : cdcs_) line(c);
  *result = std::move(r);
  return out;
}

void Transaction::PrepareRowTracking() {
  row_id_backfill_.clear();
  if (!config().HasWriterFeature("rowTracking")) return;
  // Materialised column names with the metadata (Spark sets them whenever it writes metadata
  // of a table that supports row tracking, so from creation on).
  if (new_metadata_) {
    Metadata m = *new_metadata_;
    if (AssignRowTrackingColumnNames(&m)) UpdateMetadata(std::move(m));
  }
  if (!read_snapshot_ || read_snapshot_->files().empty()) return;
  const TableConfiguration& before = read_snapshot_->config();
  const bool enabling = !before.HasWriterFeature("rowTracking") ||
                        (config().BoolProperty("delta.enableRowTracking") &&
                         !before.BoolProperty("delta.enableRowTracking"));
  if (!enabling) return;
  // Backfill: every live file this commit neither removes nor re-adds gets row ids.
  std::set<std::pair<std::string, std::string>> replaced;
  auto key = [](const std::string& path, const std::optional<DeletionVectorDescriptor>& dv) {
    return std::make_pair(Decoded(path), dv ? dv->UniqueId() : std::string());
  };
  std::set<std::string> removed;
  for (const auto& rm : removes_) removed.insert(Decoded(rm.path));
  for (const auto& a : adds_) replaced.insert(key(a.path, a.deletion_vector));
  for (const auto& f : read_snapshot_->files()) {
    if (f.base_row_id || removed.count(Decoded(f.path)) ||
        replaced.count(key(f.path, f.deletion_vector))) {
      continue;
    }
    delta::AddFile a = f;
    a.data_change = false;
    if (!NumRecordsFromStats(a.stats)) {
      throw InvalidInput("row tracking needs numRecords in the stats of every file; " + f.path +
                         " has none (rewrite it first, e.g. with OPTIMIZE)");
    }
    row_id_backfill_.push_back(std::move(a));
  }
}

CommitResult Transaction::Commit() {
  if (committed_) throw InvalidInput("this transaction has already been committed");
  PrepareRowTracking();
  const TableConfiguration& cfg = config();
  CheckWritable(cfg);
  if (read_snapshot_) CheckWritable(read_snapshot_->config());
  if (cfg.BoolProperty("delta.appendOnly")) {
    for (const auto& rm : removes_) {
      if (rm.data_change) {
        throw InvalidInput(
            "table is append-only (delta.appendOnly = true): this operation "
            "would remove data (" +
            rm.path + ")");
      }
    }
  }
  if (!read_snapshot_ && (!new_protocol_ || !new_metadata_)) {
    throw InvalidInput("a new table needs a protocol and metadata to be created");
  }
  if (!domains_.empty() && !cfg.HasWriterFeature("domainMetadata")) {
    throw Unsupported("domain metadata ('" + domains_.begin()->first +
                      "') needs the domainMetadata writer feature, which the table does not "
                      "support; enable it with delta.feature.domainMetadata = supported");
  }
  for (const auto& [name, d] : domains_) {
    if (name.rfind("delta.", 0) == 0) {
      throw InvalidInput("domain '" + name + "' is reserved for the Delta protocol");
    }
  }
  if (txn_id_.empty()) txn_id_ = RandomUuid();

  WinnerState winners;
  if (read_snapshot_) {
    // In-commit timestamps exceed the previous commit's timestamp, also in the commit that
    // enables them (whose predecessor's timestamp is its file modification time).
    if (cfg.in_commit_timestamps_enabled()) winners.last_ict = read_snapshot_->timestamp_ms();
    auto it = read_snapshot_->domain_metadata().find(kRowTrackingDomain);
    if (it != read_snapshot_->domain_metadata().end()) {
      winners.row_id_high_water = RowIdHighWaterMark(it->second.configuration);
    }
  }
  std::mt19937_64 jitter(std::hash<std::string>()(txn_id_));
  int64_t version = read_version() + 1;
  for (int attempt = 0;; ++attempt) {
    const int64_t now = options_.now_ms ? *options_.now_ms : SystemNowMs();
    CommitResult result;
    const std::string content = BuildCommit(version, now, winners, &result);
    const std::string key = "_delta_log/" + CommitFileName(version);
    bool created = false;
    try {
      created = store_->PutIfAbsent(key, content);
    } catch (const IoError&) {
      // The commit may or may not have been made (e.g. the connection broke after the
      // store applied it). Our commit file, if it is there, has our txnId.
      maybe_committed_ = true;
      std::exception_ptr original = std::current_exception();
      bool ours = false;
      try {
        ours = store_->Read(key) == content;
        // Another writer's commit holds the version: ours was not made.
        if (!ours) maybe_committed_ = false;
      } catch (const NotFound&) {
        maybe_committed_ = false;  // no commit at the version: ours was not made
      } catch (const Error&) {
        // Unreadable: the outcome is unknown.
      }
      if (!ours) std::rethrow_exception(original);
      created = true;
    }
    if (created) {
      committed_ = true;
      maybe_committed_ = true;
      result.attempts = attempt + 1;
      if (options_.checkpoint && ShouldCheckpoint(cfg, version)) {
        try {
          auto snap = SnapshotBuilder(store_).AtVersion(version).Build();
          WriteCheckpoint(*snap);
          result.checkpoint_version = version;
          if (cfg.BoolProperty("delta.enableExpiredLogCleanup", true)) {
            result.log_files_deleted = CleanupExpiredLogs(*store_, *snap, now);
          }
        } catch (const std::exception& e) {
          result.checkpoint_error = e.what();
        }
      }
      return result;
    }
    if (!read_snapshot_) {
      throw CommitConflict("table already exists: version 0 of " + store_->DisplayPath("") +
                           " was created concurrently");
    }
    if (attempt >= options_.max_retries) {
      throw CommitConflict("gave up after " + std::to_string(attempt + 1) +
                           " attempts: other writers keep committing first (last tried version " +
                           std::to_string(version) + "); retry later");
    }
    // Lost the race. Back off first (jittered, growing), then catch up with every commit
    // that won since and check it; then retry at once after them.
    const int64_t cap_ms = std::min<int64_t>(100, int64_t{1} << std::min(attempt, 7));
    std::this_thread::sleep_for(std::chrono::microseconds(
        static_cast<int64_t>(jitter() % static_cast<uint64_t>(cap_ms * 1000 + 1))));
    while (true) {
      LogFile f;
      f.key = "_delta_log/" + CommitFileName(version);
      std::vector<Action> actions;
      try {
        actions = ReadCommitActions(*store_, f);
      } catch (const NotFound&) {
        break;
      }
      CheckConflicts(version, actions, &winners);
      ++version;
    }
  }
}

}  // namespace cpglake::delta
