// VACUUM (delta/maintenance.h): which files no retained version needs, and deleting them.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <unordered_set>

#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/checkpoint_writer.h"
#include "delta/maintenance.h"
#include "delta/maintenance_internal.h"
#include "delta/transaction.h"

namespace cpglake::delta {

namespace {

using maintenance_internal::DvKey;

std::string Hours(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", static_cast<double>(ms) / 3600000.0);
  return buf;
}

// Whether a directory segment of a key hides everything below it from VACUUM: names
// starting with '_' or '.' (the log, `_sidecars`, tool metadata), except `_change_data`
// and Hive partition directories ("_p=1").
bool HiddenDirectory(std::string_view name, bool top_level) {
  if (name.empty() || (name[0] != '_' && name[0] != '.')) return false;
  if (top_level && name == "_change_data") return false;
  return name.find('=') == std::string_view::npos;
}

// Whether VACUUM may consider the object with this key at all.
bool Eligible(std::string_view key) {
  size_t begin = 0;
  bool top = true;
  while (true) {
    size_t slash = key.find('/', begin);
    if (slash == std::string_view::npos) break;
    if (HiddenDirectory(key.substr(begin, slash - begin), top)) return false;
    top = false;
    begin = slash + 1;
  }
  std::string_view file = key.substr(begin);
  // Hidden files (`_SUCCESS`, `.part-*.crc`) are left alone, except our own temporary files.
  if (storage::IsTemporaryName(file)) return true;
  return !file.empty() && file[0] != '_' && file[0] != '.';
}

const storage::LocalObjectStore* LocalStore(storage::ObjectStore& store) {
  if (auto* local = dynamic_cast<const storage::LocalObjectStore*>(&store)) return local;
  if (auto* faulty = dynamic_cast<storage::FaultInjectingObjectStore*>(&store)) {
    return LocalStore(faulty->inner());
  }
  return nullptr;
}

// Leftover temporary files of interrupted writes (`.cpglake-tmp.*`), which object listings
// hide: only a local directory can hold them, so it is walked directly.
std::vector<storage::ObjectMeta> TemporaryFiles(storage::ObjectStore& store) {
  std::vector<storage::ObjectMeta> out;
  const storage::LocalObjectStore* local = LocalStore(store);
  if (!local) return out;
  namespace fs = std::filesystem;
  const fs::path root(local->root());
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) return out;
  for (auto end = fs::recursive_directory_iterator(); it != end; it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      if (HiddenDirectory(name, it.depth() == 0)) it.disable_recursion_pending();
      continue;
    }
    if (!storage::IsTemporaryName(name)) continue;
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    storage::ObjectMeta m;
    m.key = it->path().lexically_relative(root).generic_string();
    m.size = st.st_size;
    m.modification_time_ms =
        static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

std::optional<std::string> TableKeyOfLogPath(const storage::ObjectStore& store,
                                             const std::string& log_path) {
  if (log_path.rfind("file:", 0) == 0) {
    // An absolute URI: resolve it as the scan does, then see whether it is inside the root.
    auto slash = log_path.rfind('/');
    std::string full = storage::OpenObjectStore(log_path.substr(0, slash))
                           ->DisplayPath(storage::UriDecode(log_path.substr(slash + 1)));
    const std::string root = store.DisplayPath("");
    if (full.size() > root.size() + 1 && full.compare(0, root.size(), root) == 0 &&
        full[root.size()] == '/') {
      return storage::ResolveRelative(full.substr(root.size() + 1));
    }
    return std::nullopt;
  }
  const std::string path = storage::UriDecode(log_path);
  if (path.find("://") != std::string::npos) return std::nullopt;
  if (!path.empty() && path[0] == '/') {
    const std::string root = store.DisplayPath("");
    if (path.size() > root.size() + 1 && path.compare(0, root.size(), root) == 0 &&
        path[root.size()] == '/') {
      return storage::ResolveRelative(path.substr(root.size() + 1));
    }
    return std::nullopt;
  }
  auto key = storage::ResolveRelative(path);
  if (!key) throw CorruptData("path '" + log_path + "' escapes the table directory");
  return key;
}

VacuumResult Vacuum(const std::shared_ptr<storage::ObjectStore>& store,
                    const VacuumOptions& options) {
  const int64_t now = maintenance_internal::NowMs(options.now_ms);
  auto latest = SnapshotBuilder(store).Build();
  const TableConfiguration& cfg = latest->config();
  // vacuumProtocolCheck: VACUUM must check the writer protocol too (the reader protocol was
  // checked by opening the snapshot). A real run commits, so it always does.
  const bool protocol_check =
      cfg.HasReaderFeature("vacuumProtocolCheck") || cfg.HasWriterFeature("vacuumProtocolCheck");
  if (protocol_check || !options.dry_run) CheckWritable(cfg);

  const int64_t table_retention = DeletedFileRetentionMs(cfg);
  const int64_t retention = options.retention_ms.value_or(table_retention);
  if (retention < 0) throw InvalidInput("the vacuum retention must not be negative");
  if (retention < table_retention && !options.force) {
    throw InvalidInput("refusing to vacuum with a retention of " + Hours(retention) +
                       " hours: it is shorter than the table's delete-file retention (" +
                       Hours(table_retention) +
                       " hours, delta.deletedFileRetentionDuration), so files that readers of "
                       "older versions or running writers still need could be deleted; pass "
                       "--force (VacuumOptions::force) if no such reader or writer exists");
  }
  VacuumResult result;
  result.dry_run = options.dry_run;
  result.retention_ms = retention;
  result.horizon_ms = now - retention;
  const int64_t horizon = result.horizon_ms;

  // 1. Files some retained version needs.
  std::unordered_set<std::string> keep;
  auto keep_path = [&](const std::string& log_path) {
    if (auto k = TableKeyOfLogPath(*store, log_path)) keep.insert(*k);
  };
  auto keep_dv = [&](const std::optional<DeletionVectorDescriptor>& dv) {
    if (auto k = DvKey(*store, dv)) keep.insert(*k);
  };
  auto keep_snapshot = [&](const Snapshot& s) {
    for (const auto& f : s.files()) {
      keep_path(f.path);
      keep_dv(f.deletion_vector);
    }
  };
  keep_snapshot(*latest);
  for (const auto& t : latest->tombstones()) {
    if (t.deletion_timestamp.value_or(0) > horizon) {
      keep_path(t.path);
      keep_dv(t.deletion_vector);
    }
  }
  // Time travel: the version in effect at the horizon, and every version after it.
  const LogSegment& seg = latest->log_segment();
  auto history = ReadHistory(*store, seg, 0, latest->version());
  std::reverse(history.begin(), history.end());  // oldest first
  for (size_t i = 1; i < history.size(); ++i) {
    history[i].timestamp_ms = std::max(history[i].timestamp_ms, history[i - 1].timestamp_ms + 1);
  }
  int64_t base = history.empty() ? latest->version() : history.front().version;
  for (const auto& e : history) {
    if (e.timestamp_ms <= horizon) base = e.version;
  }
  if (!history.empty() && history.front().timestamp_ms > horizon) {
    result.oldest_retained_version = -1;  // every available version is within the retention
  } else {
    result.oldest_retained_version = base;
  }
  if (base < latest->version()) {
    try {
      keep_snapshot(*SnapshotBuilder(store).AtVersion(base).Build());
    } catch (const NotFound&) {
      // The log no longer reconstructs that version (expired log files): time travel to it
      // fails anyway. The commits after it are still read below.
    } catch (const CorruptData&) {
    }
    for (const auto& f : seg.all_commits) {
      if (f.kind != LogFile::Kind::kCommit || f.version <= base) continue;
      for (const auto& a : ReadCommitActions(*store, f)) {
        if (const auto* add = std::get_if<AddFile>(&a)) {
          keep_path(add->path);
          keep_dv(add->deletion_vector);
        } else if (const auto* rm = std::get_if<RemoveFile>(&a)) {
          keep_path(rm->path);
          keep_dv(rm->deletion_vector);
        } else if (const auto* cdc = std::get_if<AddCDCFile>(&a)) {
          keep_path(cdc->path);
        }
      }
    }
  }

  // 2. Everything else that is old enough.
  std::vector<storage::ObjectMeta> listed = store->ListRecursive("");
  for (auto& t : TemporaryFiles(*store)) listed.push_back(std::move(t));
  for (const auto& m : listed) {
    if (!Eligible(m.key) || keep.count(m.key)) continue;
    if (m.modification_time_ms >= horizon) continue;  // possibly an uncommitted write
    result.files.push_back({m.key, m.size, m.modification_time_ms});
    result.bytes += m.size;
  }
  std::sort(result.files.begin(), result.files.end(),
            [](const VacuumFile& a, const VacuumFile& b) { return a.key < b.key; });
  if (options.dry_run) return result;

  // 3. VACUUM START, delete, VACUUM END (delta-spark's VacuumCommand logging).
  const std::string specified = options.retention_ms ? std::to_string(retention) : "";
  {
    CommitOptions co;
    co.operation = "VACUUM START";
    co.operation_parameters = {{"retentionCheckEnabled", options.force ? "false" : "true"},
                               {"defaultRetentionMillis", std::to_string(table_retention)}};
    if (!specified.empty()) co.operation_parameters["specifiedRetentionMillis"] = specified;
    co.operation_metrics = {{"numFilesToDelete", std::to_string(result.files.size())},
                            {"sizeOfDataToDelete", std::to_string(result.bytes)}};
    co.now_ms = options.now_ms;
    Transaction txn(store, latest, co);
    result.start_version = txn.Commit().version;
  }
  std::string failure;
  for (const auto& f : result.files) {
    try {
      store->Delete(f.key);
      ++result.files_deleted;
    } catch (const Error& e) {
      failure = e.what();
      break;
    }
  }
  CommitOptions co;
  co.operation = "VACUUM END";
  co.operation_parameters = {{"status", failure.empty() ? "COMPLETED" : "FAILED"}};
  co.operation_metrics = {{"numDeletedFiles", std::to_string(result.files_deleted)},
                          {"numVacuumedDirectories", "0"}};
  co.now_ms = options.now_ms;
  try {
    Transaction txn(store, SnapshotBuilder(store).Build(), co);
    result.end_version = txn.Commit().version;
  } catch (const Error&) {
    if (failure.empty()) throw;
  }
  if (!failure.empty()) {
    throw IoError("vacuum stopped after deleting " + std::to_string(result.files_deleted) + " of " +
                  std::to_string(result.files.size()) + " files: " + failure);
  }
  return result;
}

}  // namespace cpglake::delta
