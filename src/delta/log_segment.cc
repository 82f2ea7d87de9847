#include "delta/log_segment.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace cpglake::delta {

namespace {

constexpr std::string_view kLogDir = "_delta_log/";

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<int64_t> ParseNumber(std::string_view s) {
  if (!AllDigits(s)) return std::nullopt;
  while (s.size() > 1 && s[0] == '0') s.remove_prefix(1);
  if (s.size() > 19) return std::nullopt;
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc()) return std::nullopt;
  return v;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

}  // namespace

std::string CommitFileName(int64_t version) {
  std::string digits = std::to_string(version);
  return std::string(20 - std::min<size_t>(20, digits.size()), '0') + digits + ".json";
}

std::optional<LogFile> ParseLogFileName(std::string_view name) {
  auto parts = Split(name, '.');
  LogFile f;
  if (parts.size() == 2 && parts[1] == "json" && parts[0].size() == 20) {
    auto v = ParseNumber(parts[0]);
    if (!v) return std::nullopt;
    f.kind = LogFile::Kind::kCommit;
    f.version = *v;
    return f;
  }
  if (parts.size() == 2 && parts[1] == "crc") {
    auto v = ParseNumber(parts[0]);
    if (!v) return std::nullopt;
    f.kind = LogFile::Kind::kChecksum;
    f.version = *v;
    return f;
  }
  if (parts.size() == 4 && parts[2] == "compacted" && parts[3] == "json") {
    auto a = ParseNumber(parts[0]), b = ParseNumber(parts[1]);
    if (!a || !b || *a > *b) return std::nullopt;
    f.kind = LogFile::Kind::kCompaction;
    f.start_version = *a;
    f.version = *b;
    return f;
  }
  if (parts.size() >= 3 && parts[1] == "checkpoint") {
    auto v = ParseNumber(parts[0]);
    if (!v) return std::nullopt;
    f.version = *v;
    if (parts.size() == 3 && parts[2] == "parquet") {
      f.kind = LogFile::Kind::kCheckpoint;
      return f;
    }
    if (parts.size() == 5 && parts[4] == "parquet") {
      auto p = ParseNumber(parts[2]), n = ParseNumber(parts[3]);
      if (!p || !n || *p < 1 || *p > *n || *n > 1000000) return std::nullopt;
      f.kind = LogFile::Kind::kMultiPartCheckpoint;
      f.part = static_cast<int32_t>(*p);
      f.num_parts = static_cast<int32_t>(*n);
      return f;
    }
    if (parts.size() == 4 && (parts[3] == "json" || parts[3] == "parquet") && !parts[2].empty()) {
      f.kind = LogFile::Kind::kV2Checkpoint;
      return f;
    }
  }
  return std::nullopt;
}

LogSegment BuildLogSegment(storage::ObjectStore& store, std::optional<int64_t> version) {
  LogSegment seg;
  std::vector<LogFile> files;
  bool any_entry = false;
  for (const auto& meta : store.List(kLogDir)) {
    any_entry = true;
    std::string_view name = std::string_view(meta.key).substr(meta.key.rfind('/') + 1);
    auto f = ParseLogFileName(name);
    if (!f) continue;
    f->key = meta.key;
    f->size = meta.size;
    f->modification_time_ms = meta.modification_time_ms;
    files.push_back(std::move(*f));
  }
  if (!any_entry) {
    throw NotFound(store.DisplayPath("") + " is not a Delta table: no _delta_log directory");
  }
  // _last_checkpoint: a hint, checked against the listing.
  try {
    if (store.Exists("_delta_log/_last_checkpoint")) {
      auto j = nlohmann::json::parse(store.Read("_delta_log/_last_checkpoint"));
      seg.last_checkpoint_hint = j.at("version").get<int64_t>();
    }
  } catch (const std::exception& e) {
    seg.last_checkpoint_problem = std::string("unreadable _last_checkpoint (") + e.what() +
                                  "); found the checkpoint by listing instead";
  }

  std::map<int64_t, LogFile> commits;
  std::vector<LogFile> compactions;
  // Complete checkpoints by version: classic, V2, or multi-part with every part present.
  std::map<int64_t, std::vector<LogFile>> checkpoints;
  std::map<int64_t, std::map<int32_t, std::map<int32_t, LogFile>>> multipart;  // v → n → parts
  for (auto& f : files) {
    switch (f.kind) {
      case LogFile::Kind::kCommit:
        commits[f.version] = f;
        break;
      case LogFile::Kind::kCompaction:
        compactions.push_back(f);
        break;
      case LogFile::Kind::kCheckpoint:
      case LogFile::Kind::kV2Checkpoint:
        // Prefer a V2 checkpoint over a classic one of the same version (they agree).
        if (!checkpoints.count(f.version) || f.kind == LogFile::Kind::kV2Checkpoint) {
          checkpoints[f.version] = {f};
        }
        break;
      case LogFile::Kind::kMultiPartCheckpoint:
        multipart[f.version][f.num_parts][f.part] = f;
        break;
      case LogFile::Kind::kChecksum:
        break;
    }
  }
  for (auto& [v, by_n] : multipart) {
    if (checkpoints.count(v)) continue;
    for (auto& [n, parts] : by_n) {
      if (static_cast<int32_t>(parts.size()) != n) continue;  // incomplete: ignore
      std::vector<LogFile> ordered;
      for (auto& [p, f] : parts) ordered.push_back(f);
      checkpoints[v] = std::move(ordered);
      break;
    }
  }
  for (auto& [v, f] : commits) seg.all_commits.push_back(f);

  int64_t latest = -1;
  if (!commits.empty()) latest = commits.rbegin()->first;
  if (!checkpoints.empty()) latest = std::max(latest, checkpoints.rbegin()->first);
  if (latest < 0) {
    throw NotFound(store.DisplayPath("") + " is not a Delta table: _delta_log has no commits");
  }
  const int64_t target = version.value_or(latest);
  if (target < 0) throw InvalidInput("version must be >= 0, got " + std::to_string(target));
  if (target > latest) {
    throw NotFound("version " + std::to_string(target) + " of " + store.DisplayPath("") +
                   " does not exist (latest is " + std::to_string(latest) + ")");
  }
  seg.version = target;
  // Newest complete checkpoint at or before the target.
  auto cp = checkpoints.upper_bound(target);
  if (cp != checkpoints.begin()) {
    --cp;
    seg.checkpoint_version = cp->first;
    seg.checkpoint_files = cp->second;
  }
  if (seg.last_checkpoint_hint && !version && !checkpoints.count(*seg.last_checkpoint_hint)) {
    seg.last_checkpoint_problem = "_last_checkpoint names version " +
                                  std::to_string(*seg.last_checkpoint_hint) +
                                  ", which has no complete checkpoint; found one by listing";
  }
  const int64_t first = seg.checkpoint_version ? *seg.checkpoint_version + 1 : 0;
  // Commits first..target must all be there, possibly covered by compaction files.
  std::sort(compactions.begin(), compactions.end(), [](const LogFile& a, const LogFile& b) {
    return a.start_version != b.start_version ? a.start_version < b.start_version
                                              : a.version > b.version;
  });
  int64_t v = first;
  while (v <= target) {
    // The longest compaction file starting here and ending within the target.
    const LogFile* best = nullptr;
    for (const auto& c : compactions) {
      if (c.start_version == v && c.version <= target && (!best || c.version > best->version)) {
        best = &c;
      }
    }
    if (best && best->version > v) {
      seg.commits.push_back(*best);
      v = best->version + 1;
      continue;
    }
    auto it = commits.find(v);
    if (it == commits.end()) {
      if (!seg.checkpoint_version && v == 0) {
        throw NotFound("version " + std::to_string(target) + " of " + store.DisplayPath("") +
                       " can no longer be reconstructed: its commits were cleaned up and no "
                       "checkpoint covers it");
      }
      throw CorruptData(store.DisplayPath("") + ": commit " + std::to_string(v) +
                        " is missing from _delta_log (needed for version " +
                        std::to_string(target) + ")");
    }
    seg.commits.push_back(it->second);
    ++v;
  }
  return seg;
}

}  // namespace cpglake::delta
