#include "delta/snapshot.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>

#include <xxhash.h>

#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/checkpoint_reader.h"
#include "delta/stats.h"

namespace cpglake::delta {

namespace {

// Files are identified by (decoded path, deletion vector id). The key is a 128-bit hash of
// both (XXH3-128: a collision among even billions of files is not a practical concern).
struct FileKey {
  uint64_t lo, hi;
  bool operator==(const FileKey&) const = default;
};
// Open-addressing set of file keys (no per-key allocation; 300k keys fit in 8 MB).
class FileKeySet {
 public:
  // True when the key was not in the set.
  bool Insert(FileKey k) {
    if (k.lo == 0 && k.hi == 0) k.lo = 1;  // (0, 0) marks an empty slot
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = k.lo & mask;; i = (i + 1) & mask) {
      if (slots_[i].lo == 0 && slots_[i].hi == 0) {
        slots_[i] = k;
        ++size_;
        return true;
      }
      if (slots_[i] == k) return false;
    }
  }

 private:
  void Grow() {
    std::vector<FileKey> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, FileKey{0, 0});
    size_ = 0;
    for (const auto& k : old) {
      if (k.lo != 0 || k.hi != 0) Insert(k);
    }
  }
  std::vector<FileKey> slots_;
  size_t size_ = 0;
};

FileKey MakeFileKey(const std::string& path, const std::optional<DeletionVectorDescriptor>& dv) {
  std::string key;
  const std::string* p = &path;
  if (path.find('%') != std::string::npos) {
    try {
      key = storage::UriDecode(path);
      p = &key;
    } catch (const Error&) {
    }
  }
  XXH3_state_t* st = XXH3_createState();
  XXH3_128bits_reset(st);
  XXH3_128bits_update(st, p->data(), p->size());
  XXH3_128bits_update(st, "\x1f", 1);
  if (dv) {
    std::string id = dv->UniqueId();
    XXH3_128bits_update(st, id.data(), id.size());
  }
  XXH128_hash_t h = XXH3_128bits_digest(st);
  XXH3_freeState(st);
  return {h.low64, h.high64};
}

std::string SidecarKey(const std::string& path) {
  if (path.find("://") != std::string::npos || (!path.empty() && path[0] == '/')) {
    throw Unsupported("sidecar with an absolute path is not supported: " + path);
  }
  return "_delta_log/_sidecars/" + storage::UriDecode(path);
}

// Collects the winning actions while walking the log from newest to oldest.
class Reconciler {
 public:
  void Apply(std::vector<Action>& actions, bool from_checkpoint) {
    files_.reserve(files_.size() + actions.size());
    for (auto& a : actions) {
      if (auto* add = std::get_if<AddFile>(&a)) {
        auto key = MakeFileKey(add->path, add->deletion_vector);
        if (seen_.Insert(key)) files_.push_back(std::move(*add));
      } else if (auto* rm = std::get_if<RemoveFile>(&a)) {
        auto key = MakeFileKey(rm->path, rm->deletion_vector);
        if (seen_.Insert(key)) tombstones_.push_back(std::move(*rm));
      } else if (auto* p = std::get_if<Protocol>(&a)) {
        if (!protocol_) protocol_ = std::move(*p);
      } else if (auto* m = std::get_if<Metadata>(&a)) {
        if (!metadata_) metadata_ = std::move(*m);
      } else if (auto* t = std::get_if<Txn>(&a)) {
        txns_.try_emplace(t->app_id, std::move(*t));
      } else if (auto* d = std::get_if<DomainMetadata>(&a)) {
        domains_.try_emplace(d->domain, std::move(*d));
      }
    }
    (void)from_checkpoint;
  }

  std::optional<Protocol> protocol_;
  std::optional<Metadata> metadata_;
  std::vector<AddFile> files_;
  std::vector<RemoveFile> tombstones_;
  std::map<std::string, Txn> txns_;
  std::map<std::string, DomainMetadata> domains_;
  FileKeySet seen_;
};

std::vector<Action> ReadCheckpointFile(storage::ObjectStore& store, const LogFile& f) {
  std::vector<Action> actions;
  if (f.key.size() >= 5 && f.key.compare(f.key.size() - 5, 5, ".json") == 0) {
    actions = ParseActionsJson(store.Read(f.key), store.DisplayPath(f.key));
  } else {
    ReadCheckpointParquet(store, f.key, &actions);
  }
  // V2 checkpoints (and classic-named files written in V2 form) point at sidecars.
  std::vector<Action> more;
  for (const auto& a : actions) {
    if (const auto* sc = std::get_if<Sidecar>(&a)) {
      ReadCheckpointParquet(store, SidecarKey(sc->path), &more);
    }
  }
  for (auto& a : more) actions.push_back(std::move(a));
  return actions;
}

std::optional<CommitInfo> FindCommitInfo(const std::vector<Action>& actions) {
  for (const auto& a : actions) {
    if (const auto* ci = std::get_if<CommitInfo>(&a)) return *ci;
  }
  return std::nullopt;
}

}  // namespace

std::vector<Action> ReadCommitActions(storage::ObjectStore& store, const LogFile& file) {
  return ParseActionsJson(store.Read(file.key), store.DisplayPath(file.key));
}

int64_t Snapshot::total_bytes() const {
  int64_t n = 0;
  for (const auto& f : files_) n += f.size;
  return n;
}

std::optional<int64_t> Snapshot::total_rows() const {
  int64_t n = 0;
  for (const auto& f : files_) {
    auto rows = NumRecordsFromStats(f.stats);
    if (!rows) return std::nullopt;
    n += *rows - (f.deletion_vector ? f.deletion_vector->cardinality : 0);
  }
  return n;
}

std::shared_ptr<const Snapshot> SnapshotBuilder::Build() {
  if (version_ && timestamp_ms_) {
    throw InvalidInput("give a version or a timestamp, not both");
  }
  std::optional<int64_t> version = version_;
  if (timestamp_ms_) {
    // Resolve the timestamp against the commit timestamps of the whole history.
    LogSegment latest = BuildLogSegment(*store_, std::nullopt);
    auto history = ReadHistory(*store_, latest, 0, latest.version);
    if (history.empty()) throw NotFound("table has no readable commits");
    // history is newest first; timestamps are made monotonic as Spark does.
    std::reverse(history.begin(), history.end());
    for (size_t i = 1; i < history.size(); ++i) {
      history[i].timestamp_ms = std::max(history[i].timestamp_ms, history[i - 1].timestamp_ms + 1);
    }
    if (*timestamp_ms_ < history.front().timestamp_ms) {
      throw NotFound("timestamp " + columnar::FormatTimestamp(*timestamp_ms_ * 1000, true) +
                     " is before the earliest available commit (version " +
                     std::to_string(history.front().version) + " at " +
                     columnar::FormatTimestamp(history.front().timestamp_ms * 1000, true) + ")");
    }
    if (*timestamp_ms_ > history.back().timestamp_ms) {
      throw NotFound("timestamp " + columnar::FormatTimestamp(*timestamp_ms_ * 1000, true) +
                     " is after the latest commit (version " +
                     std::to_string(history.back().version) + " at " +
                     columnar::FormatTimestamp(history.back().timestamp_ms * 1000, true) + ")");
    }
    auto it =
        std::upper_bound(history.begin(), history.end(), *timestamp_ms_,
                         [](int64_t ts, const CommitEntry& e) { return ts < e.timestamp_ms; });
    version = std::prev(it)->version;
  }

  auto snap = std::shared_ptr<Snapshot>(new Snapshot());
  snap->store_ = store_;
  snap->segment_ = BuildLogSegment(*store_, version);
  const LogSegment& seg = snap->segment_;
  Reconciler rec;
  std::optional<CommitInfo> target_commit_info;
  int64_t target_mtime = 0;
  for (auto it = seg.commits.rbegin(); it != seg.commits.rend(); ++it) {
    auto actions = ReadCommitActions(*store_, *it);
    if (it == seg.commits.rbegin()) {
      target_mtime = it->modification_time_ms;
      if (it->kind == LogFile::Kind::kCommit) target_commit_info = FindCommitInfo(actions);
    }
    rec.Apply(actions, false);
  }
  for (const auto& cp : seg.checkpoint_files) {
    auto actions = ReadCheckpointFile(*store_, cp);
    if (seg.commits.empty()) target_mtime = cp.modification_time_ms;
    rec.Apply(actions, true);
  }
  if (!rec.protocol_)
    throw CorruptData(store_->DisplayPath("") + ": the log has no protocol action");
  if (!rec.metadata_)
    throw CorruptData(store_->DisplayPath("") + ": the log has no metaData action");
  snap->config_ = std::make_unique<TableConfiguration>(*rec.protocol_, *rec.metadata_);
  // Replay met the files newest first; oldest first is the order they were written in
  // (deterministic for a given log, and what readers expect).
  std::reverse(rec.files_.begin(), rec.files_.end());
  std::reverse(rec.tombstones_.begin(), rec.tombstones_.end());
  snap->files_ = std::move(rec.files_);
  snap->tombstones_ = std::move(rec.tombstones_);
  snap->txns_ = std::move(rec.txns_);
  for (auto& [k, d] : rec.domains_) {
    if (!d.removed) snap->domains_.emplace(k, std::move(d));
  }
  snap->timestamp_ms_ = target_mtime;
  if (snap->config_->in_commit_timestamps_enabled() && target_commit_info &&
      target_commit_info->in_commit_timestamp) {
    auto since = snap->config_->in_commit_timestamp_enablement_version();
    if (!since || seg.version >= *since)
      snap->timestamp_ms_ = *target_commit_info->in_commit_timestamp;
  }
  return snap;
}

std::shared_ptr<const Snapshot> OpenSnapshot(const std::string& uri, std::optional<int64_t> version,
                                             const std::map<std::string, std::string>& options) {
  SnapshotBuilder b(storage::OpenObjectStore(uri, options));
  if (version) b.AtVersion(*version);
  return b.Build();
}

std::vector<CommitEntry> ReadHistory(storage::ObjectStore& store, const LogSegment& latest,
                                     int64_t from, int64_t to) {
  std::vector<CommitEntry> out;
  for (auto it = latest.all_commits.rbegin(); it != latest.all_commits.rend(); ++it) {
    if (it->version < from || it->version > to) continue;
    CommitEntry e;
    e.version = it->version;
    e.timestamp_ms = it->modification_time_ms;
    auto actions = ReadCommitActions(store, *it);
    e.commit_info = FindCommitInfo(actions);
    if (e.commit_info && e.commit_info->in_commit_timestamp) {
      e.timestamp_ms = *e.commit_info->in_commit_timestamp;
    }
    out.push_back(std::move(e));
  }
  return out;
}

int64_t ParseTimestampMs(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  double sec = 0;
  char sep = 0;
  int consumed = 0;
  const char* s = text.c_str();
  int n = std::sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &consumed);
  if (n != 3 || mo < 1 || mo > 12 || d < 1 || d > 31) {
    throw InvalidInput("cannot parse timestamp '" + text +
                       "': use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM]");
  }
  const char* rest = s + consumed;
  int64_t offset_min = 0;
  if (*rest == 'T' || *rest == ' ') {
    int c2 = 0;
    if (std::sscanf(rest, "%c%2d:%2d:%lf%n", &sep, &h, &mi, &sec, &c2) < 4 || h > 23 || mi > 59 ||
        sec >= 61) {
      throw InvalidInput("cannot parse the time of day in '" + text + "'");
    }
    rest += c2;
    if (*rest == 'Z') {
      ++rest;
    } else if (*rest == '+' || *rest == '-') {
      int oh = 0, om = 0;
      if (std::sscanf(rest + 1, "%2d:%2d", &oh, &om) != 2) {
        throw InvalidInput("cannot parse the UTC offset in '" + text + "'");
      }
      offset_min = (oh * 60 + om) * (*rest == '-' ? -1 : 1);
      rest += 6;
    }
  }
  if (*rest != '\0') throw InvalidInput("unexpected text after the timestamp in '" + text + "'");
  int64_t days = columnar::DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return (days * 86400 + h * 3600 + mi * 60 - offset_min * 60) * 1000 +
         static_cast<int64_t>(sec * 1000 + 0.5);
}

}  // namespace cpglake::delta
