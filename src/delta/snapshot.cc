#include "delta/snapshot.h"

#include <mutex>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include "columnar/value_format.h"
#include "common/error.h"
#include "common/memory.h"
#include "common/parallel.h"
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

  // Sizes the table for n keys (no rehashing while they are inserted).
  void Reserve(size_t n) {
    size_t want = 1024;
    while (want < 2 * n + 2) want *= 2;
    if (want > slots_.size()) Rehash(want);
  }

 private:
  void Grow() { Rehash(slots_.empty() ? 1024 : slots_.size() * 2); }
  void Rehash(size_t slots) {
    std::vector<FileKey> old = std::move(slots_);
    slots_.assign(slots, FileKey{0, 0});
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
  XXH3_state_t st;  // on the stack: XXH3_createState would allocate per key
  XXH3_128bits_reset(&st);
  XXH3_128bits_update(&st, p->data(), p->size());
  XXH3_128bits_update(&st, "\x1f", 1);
  if (dv) {
    std::string id = dv->UniqueId();
    XXH3_128bits_update(&st, id.data(), id.size());
  }
  XXH128_hash_t h = XXH3_128bits_digest(&st);
  return {h.low64, h.high64};
}

std::string SidecarKey(const std::string& path) {
  if (path.find("://") != std::string::npos || (!path.empty() && path[0] == '/')) {
    throw Unsupported("sidecar with an absolute path is not supported: " + path);
  }
  return "_delta_log/_sidecars/" + storage::UriDecode(path);
}

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

// One log file of a segment during replay: a checkpoint part (with its sidecars), a commit
// or a log compaction. Its adds live in the replay's slot array at [add_begin, add_begin +
// add_count); `add_capacity` is an upper bound known before parsing (lines of a commit,
// adds of a checkpoint part).
struct ReplayUnit {
  std::string text;                        // commit JSON (until parsed)
  std::vector<Action> checkpoint_actions;  // checkpoint part (until distributed)
  size_t add_begin = 0, add_capacity = 0, add_count = 0;
  std::vector<AddFile> overflow_adds;  // beyond add_capacity (several adds on one line)
  std::vector<FileKey> overflow_keys;
  std::vector<RemoveFile> removes;
  std::vector<FileKey> remove_keys;
  std::vector<Action> others;  // protocol, metaData, txn, domainMetadata, commitInfo, ...
  // Log compaction files may hold several actions for one file key (the newest first, as
  // readers take them in file order): their file actions are reconciled in file order,
  // recorded here as (is_add, index into the slots / overflow / removes).
  bool ordered = false;
  struct Step {
    uint8_t what;  // 0 add slot, 1 overflow add, 2 remove
    uint32_t index;
  };
  std::vector<Step> sequence;
};

// The result of replaying a log segment (PROTOCOL.md "Action Reconciliation").
struct ReplayResult {
  std::optional<Protocol> protocol;
  std::optional<Metadata> metadata;
  std::vector<AddFile> files;  // live files, oldest first
  std::vector<RemoveFile> tombstones;
  std::map<std::string, Txn> txns;
  std::map<std::string, DomainMetadata> domains;  // including removed ones
  std::optional<CommitInfo> newest_commit_info;
};

// Replays a segment. Every file is read and parsed in parallel straight into its slots of
// one array of adds (so each add is built once, in memory touched once: page faults, not
// parsing, dominate a replay of hundreds of thousands of adds); then one pass from the
// newest file marks the winning action of each file key, and the array is compacted in
// place, keeping log order (oldest first: checkpoint parts, then commits in order).
ReplayResult Replay(storage::ObjectStore& store, const LogSegment& seg, int threads) {
  const size_t num_cp = seg.checkpoint_files.size();
  std::vector<ReplayUnit> units(num_cp + seg.commits.size());
  // 1. Read: commit text (capacity: its line count), checkpoint parts (fully decoded).
  ParallelFor(units.size(), threads, [&](size_t u) {
    ReplayUnit& unit = units[u];
    if (u < num_cp) {
      unit.checkpoint_actions = ReadCheckpointFile(store, seg.checkpoint_files[u]);
      for (const auto& a : unit.checkpoint_actions) {
        unit.add_capacity += std::holds_alternative<AddFile>(a) ? 1 : 0;
      }
    } else {
      unit.text = store.Read(seg.commits[u - num_cp].key);
      unit.add_capacity =
          static_cast<size_t>(std::count(unit.text.begin(), unit.text.end(), '\n')) + 1;
    }
  });
  size_t total = 0;
  for (auto& unit : units) {
    unit.add_begin = total;
    total += unit.add_capacity;
  }
  ReplayResult out;
  out.files.reserve(total);
  AdviseHugePages(out.files.data(), total * sizeof(AddFile));
  out.files.resize(total);
  std::vector<FileKey> keys(total);
  // 2. Parse into the slots.
  ParallelFor(units.size(), threads, [&](size_t u) {
    ReplayUnit& unit = units[u];
    unit.ordered = u >= num_cp && seg.commits[u - num_cp].kind == LogFile::Kind::kCompaction;
    auto take = [&](Action& a) {
      if (auto* add = std::get_if<AddFile>(&a)) {
        FileKey key = MakeFileKey(add->path, add->deletion_vector);
        if (unit.add_count < unit.add_capacity) {
          if (unit.ordered) unit.sequence.push_back({0, static_cast<uint32_t>(unit.add_count)});
          out.files[unit.add_begin + unit.add_count] = std::move(*add);
          keys[unit.add_begin + unit.add_count] = key;
          ++unit.add_count;
        } else {
          if (unit.ordered) {
            unit.sequence.push_back({1, static_cast<uint32_t>(unit.overflow_adds.size())});
          }
          unit.overflow_adds.push_back(std::move(*add));
          unit.overflow_keys.push_back(key);
        }
      } else if (auto* rm = std::get_if<RemoveFile>(&a)) {
        if (unit.ordered) unit.sequence.push_back({2, static_cast<uint32_t>(unit.removes.size())});
        unit.remove_keys.push_back(MakeFileKey(rm->path, rm->deletion_vector));
        unit.removes.push_back(std::move(*rm));
      } else if (!std::holds_alternative<AddCDCFile>(a)) {
        unit.others.push_back(std::move(a));
      }
    };
    if (u < num_cp) {
      for (auto& a : unit.checkpoint_actions) take(a);
      unit.checkpoint_actions = {};
    } else {
      const LogFile& f = seg.commits[u - num_cp];
      ParseActionsJson(unit.text, store.DisplayPath(f.key), take);
      unit.text = {};
    }
  });
  if (!seg.commits.empty() && seg.commits.back().kind == LogFile::Kind::kCommit) {
    out.newest_commit_info = FindCommitInfo(units.back().others);
  }
  // 3. Reconcile from the newest file: the first action seen for a key wins.
  FileKeySet seen;
  size_t num_keys = 0;
  for (const auto& unit : units) {
    num_keys += unit.add_count + unit.overflow_adds.size() + unit.removes.size();
  }
  seen.Reserve(num_keys);
  std::vector<char> live(total, 0);
  std::vector<std::vector<char>> overflow_live(units.size()), remove_live(units.size());
  for (size_t u = units.size(); u-- > 0;) {
    ReplayUnit& unit = units[u];
    overflow_live[u].resize(unit.overflow_adds.size());
    remove_live[u].resize(unit.removes.size());
    if (unit.ordered) {
      for (const auto& step : unit.sequence) {
        const size_t i = step.index;
        if (step.what == 0) {
          live[unit.add_begin + i] = seen.Insert(keys[unit.add_begin + i]) ? 1 : 0;
        } else if (step.what == 1) {
          overflow_live[u][i] = seen.Insert(unit.overflow_keys[i]) ? 1 : 0;
        } else {
          remove_live[u][i] = seen.Insert(unit.remove_keys[i]) ? 1 : 0;
        }
      }
    } else {
      // A commit or checkpoint part holds one action per file key: order does not matter.
      for (size_t i = 0; i < unit.add_count; ++i) {
        live[unit.add_begin + i] = seen.Insert(keys[unit.add_begin + i]) ? 1 : 0;
      }
      for (size_t i = 0; i < unit.overflow_adds.size(); ++i) {
        overflow_live[u][i] = seen.Insert(unit.overflow_keys[i]) ? 1 : 0;
      }
      for (size_t i = 0; i < unit.removes.size(); ++i) {
        remove_live[u][i] = seen.Insert(unit.remove_keys[i]) ? 1 : 0;
      }
    }
    for (auto& a : unit.others) {
      if (auto* p = std::get_if<Protocol>(&a)) {
        if (!out.protocol) out.protocol = std::move(*p);
      } else if (auto* m = std::get_if<Metadata>(&a)) {
        if (!out.metadata) out.metadata = std::move(*m);
      } else if (auto* t = std::get_if<Txn>(&a)) {
        out.txns.try_emplace(t->app_id, std::move(*t));
      } else if (auto* d = std::get_if<DomainMetadata>(&a)) {
        out.domains.try_emplace(d->domain, std::move(*d));
      }
    }
  }
  // 4. Compact in place, oldest first. Adds beyond a unit's capacity (only possible with
  // several adds on one line) go after the others, in log order.
  size_t w = 0;
  std::vector<AddFile> late;
  for (size_t u = 0; u < units.size(); ++u) {
    ReplayUnit& unit = units[u];
    for (size_t i = unit.add_begin; i < unit.add_begin + unit.add_count; ++i) {
      if (!live[i]) continue;
      if (w != i) out.files[w] = std::move(out.files[i]);
      ++w;
    }
    for (size_t i = 0; i < unit.overflow_adds.size(); ++i) {
      if (overflow_live[u][i]) late.push_back(std::move(unit.overflow_adds[i]));
    }
    for (size_t i = 0; i < unit.removes.size(); ++i) {
      if (remove_live[u][i]) out.tombstones.push_back(std::move(unit.removes[i]));
    }
  }
  out.files.resize(w);
  for (auto& f : late) out.files.push_back(std::move(f));
  return out;
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

namespace {

// The snapshot cache of SnapshotCacheScope.
struct SnapshotCache {
  std::mutex mu;
  int scopes = 0;
  // (location, segment identity) → snapshot, oldest first.
  std::vector<std::pair<std::string, std::shared_ptr<const Snapshot>>> entries;
};
SnapshotCache& Cache() {
  static SnapshotCache cache;
  return cache;
}

std::string SegmentIdentity(const storage::ObjectStore& store, const LogSegment& seg) {
  std::string id = store.DisplayPath("");
  for (const auto& [k, v] : store.storage_options()) id += "\x1f" + k + "=" + v;
  id += "\x1e" + std::to_string(seg.version);
  auto add = [&](const LogFile& f) {
    id += "\x1e" + f.key + "\x1f" + std::to_string(f.size) + "\x1f" +
          std::to_string(f.modification_time_ms);
  };
  for (const auto& f : seg.checkpoint_files) add(f);
  id += "\x1d";
  for (const auto& f : seg.commits) add(f);
  id += "\x1d";  // every commit listed: what time travel and history read
  for (const auto& f : seg.all_commits) add(f);
  return id;
}

}  // namespace

SnapshotCacheScope::SnapshotCacheScope() {
  std::lock_guard<std::mutex> lock(Cache().mu);
  ++Cache().scopes;
}

SnapshotCacheScope::~SnapshotCacheScope() {
  std::lock_guard<std::mutex> lock(Cache().mu);
  if (--Cache().scopes == 0) Cache().entries.clear();
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
  std::string cache_key;
  {
    SnapshotCache& cache = Cache();
    std::lock_guard<std::mutex> lock(cache.mu);
    if (cache.scopes > 0 && !timestamp_ms_) {
      cache_key = SegmentIdentity(*store_, seg);
      for (const auto& [key, cached] : cache.entries) {
        if (key != cache_key) continue;
        if (cached->store_ == store_) return cached;
        // The same table through another store object: the same state, read through ours.
        auto copy = std::shared_ptr<Snapshot>(new Snapshot());
        copy->store_ = store_;
        copy->segment_ = seg;
        copy->config_ = std::make_unique<TableConfiguration>(*cached->config_);
        copy->files_ = cached->files_;
        copy->tombstones_ = cached->tombstones_;
        copy->txns_ = cached->txns_;
        copy->domains_ = cached->domains_;
        copy->timestamp_ms_ = cached->timestamp_ms_;
        return copy;
      }
    }
  }
  ReplayResult rec = Replay(*store_, seg, threads_ > 0 ? threads_ : DefaultThreads());
  int64_t target_mtime = 0;
  std::optional<CommitInfo> target_commit_info = rec.newest_commit_info;
  if (!seg.commits.empty()) {
    target_mtime = seg.commits.back().modification_time_ms;
  } else if (!seg.checkpoint_files.empty()) {
    // A checkpoint at the version itself: the timestamp is still the commit's (its file's
    // time, or its in-commit timestamp), when the commit file is retained.
    target_mtime = seg.checkpoint_files.back().modification_time_ms;
    for (const auto& c : seg.all_commits) {
      if (c.version != seg.version || c.kind != LogFile::Kind::kCommit) continue;
      target_mtime = c.modification_time_ms;
      try {
        target_commit_info = FindCommitInfo(ReadCommitActions(*store_, c));
      } catch (const Error&) {
        // Unreadable: the checkpoint holds the state; keep the file time.
      }
    }
  }
  if (!rec.protocol)
    throw CorruptData(store_->DisplayPath("") + ": the log has no protocol action");
  if (!rec.metadata)
    throw CorruptData(store_->DisplayPath("") + ": the log has no metaData action");
  snap->config_ = std::make_unique<TableConfiguration>(*rec.protocol, *rec.metadata);
  snap->files_ = std::move(rec.files);
  snap->tombstones_ = std::move(rec.tombstones);
  snap->txns_ = std::move(rec.txns);
  for (auto& [k, d] : rec.domains) {
    if (!d.removed) snap->domains_.emplace(k, std::move(d));
  }
  snap->timestamp_ms_ = target_mtime;
  if (snap->config_->in_commit_timestamps_enabled() && target_commit_info &&
      target_commit_info->in_commit_timestamp) {
    auto since = snap->config_->in_commit_timestamp_enablement_version();
    if (!since || seg.version >= *since)
      snap->timestamp_ms_ = *target_commit_info->in_commit_timestamp;
  }
  if (!cache_key.empty()) {
    SnapshotCache& cache = Cache();
    std::lock_guard<std::mutex> lock(cache.mu);
    if (cache.scopes > 0) {
      if (cache.entries.size() >= kSnapshotCacheEntries) cache.entries.erase(cache.entries.begin());
      cache.entries.emplace_back(std::move(cache_key), snap);
    }
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
