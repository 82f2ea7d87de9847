#include "pipeline/manifest.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <tuple>

#include <nlohmann/json.hpp>

#include "catalog/dataset_registry.h"
#include "columnar/record_batch.h"
#include "columnar/schema_fingerprint.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/ids.h"
#include "delta/file_stats_writer.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/writer.h"
#include "expr/expression.h"

namespace cpglake::pipeline {

namespace {

using json = nlohmann::ordered_json;
using columnar::DataType;
using columnar::Field;

std::string Trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::vector<std::string> StatsColumns(const delta::Snapshot& snap) {
  std::vector<std::string> out;
  const auto& config = snap.metadata().configuration;
  auto listed = config.find(std::string(delta::kStatsColumnsKey));
  if (listed != config.end()) {
    size_t start = 0;
    const std::string& s = listed->second;
    while (start <= s.size()) {
      size_t comma = s.find(',', start);
      if (comma == std::string::npos) comma = s.size();
      std::string name = Trim(s.substr(start, comma - start));
      if (!name.empty()) out.push_back(name);
      start = comma + 1;
    }
    return out;
  }
  int64_t n = 32;
  auto indexed = config.find(std::string(delta::kNumIndexedColsKey));
  if (indexed != config.end()) {
    try {
      n = std::stoll(indexed->second);
    } catch (const std::exception&) {
      n = 32;
    }
  }
  const auto& partitions = snap.partition_columns();
  for (const auto& f : snap.schema().fields()) {
    if (n >= 0 && static_cast<int64_t>(out.size()) >= n) break;
    if (std::find(partitions.begin(), partitions.end(), f.name) != partitions.end()) continue;
    out.push_back(f.name);
  }
  return out;
}

json TableJson(const TableRecord& t) {
  json j;
  j["name"] = t.name;
  j["path"] = t.path;
  j["version"] = t.version;
  j["protocol"] = {{"min_reader_version", t.min_reader_version},
                   {"min_writer_version", t.min_writer_version},
                   {"reader_features", t.reader_features},
                   {"writer_features", t.writer_features}};
  j["properties"] = t.properties;
  j["files_added"] = t.files_added;
  j["rows_added"] = t.rows_added;
  j["bytes_added"] = t.bytes_added;
  j["files_removed"] = t.files_removed;
  j["rows_removed"] = t.rows_removed;
  j["bytes_removed"] = t.bytes_removed;
  j["stats_columns"] = t.stats_columns;
  j["schema_fingerprint"] = t.schema_fingerprint;
  j["ordering_keys"] = t.ordering_keys;
  // An object, so SQL can reach into it: json_extract(value, '$.commit_info.operation').
  json ci = json::parse(t.commit_info, nullptr, /*allow_exceptions=*/false);
  j["commit_info"] = ci.is_discarded() ? json(t.commit_info) : ci;
  return j;
}

TableRecord TableFromJson(const json& j) {
  TableRecord t;
  t.name = j.value("name", "");
  t.path = j.value("path", "");
  t.version = j.value("version", int64_t{-1});
  if (j.contains("protocol") && j["protocol"].is_object()) {
    const json& p = j["protocol"];
    t.min_reader_version = p.value("min_reader_version", 1);
    t.min_writer_version = p.value("min_writer_version", 2);
    t.reader_features = p.value("reader_features", std::vector<std::string>{});
    t.writer_features = p.value("writer_features", std::vector<std::string>{});
  }
  t.properties = j.value("properties", std::map<std::string, std::string>{});
  t.files_added = j.value("files_added", int64_t{0});
  t.rows_added = j.value("rows_added", int64_t{0});
  t.bytes_added = j.value("bytes_added", int64_t{0});
  t.files_removed = j.value("files_removed", int64_t{0});
  t.rows_removed = j.value("rows_removed", int64_t{0});
  t.bytes_removed = j.value("bytes_removed", int64_t{0});
  t.stats_columns = j.value("stats_columns", std::vector<std::string>{});
  t.schema_fingerprint = j.value("schema_fingerprint", "");
  t.ordering_keys = j.value("ordering_keys", "");
  if (j.contains("commit_info")) {
    const json& ci = j["commit_info"];
    t.commit_info = ci.is_string() ? ci.get<std::string>() : ci.dump();
  }
  return t;
}

json TablesJson(const std::vector<TableRecord>& tables) {
  json a = json::array();
  for (const auto& t : tables) a.push_back(TableJson(t));
  return a;
}

json VersionsJson(const BuildRecord& r) {
  json v = json::object();
  for (const auto& [name, version] : r.TableVersions()) v[name] = version;
  return v;
}

std::string IsoTimestamp(int64_t us) {
  const std::time_t secs =
      static_cast<std::time_t>(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
  const int64_t frac = us - static_cast<int64_t>(secs) * 1000000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

std::string BuildsPath(const std::string& out_dir) {
  return catalog::DatasetRegistry::ForOutput(out_dir).Resolve(catalog::kBuildsDataset).path;
}

// Column accessors for rows read back (a column may be missing in an older manifest).
struct Reader {
  const columnar::RecordBatch& b;
  const columnar::Column* Col(const char* name) const { return b.ColumnByName(name); }
  std::optional<std::string> Str(const char* name, int64_t i) const {
    const auto* c = Col(name);
    if (!c || c->IsNull(i)) return std::nullopt;
    return std::string(c->GetString(i));
  }
  std::string StrOr(const char* name, int64_t i, const std::string& fallback = "") const {
    return Str(name, i).value_or(fallback);
  }
  std::optional<int64_t> Long(const char* name, int64_t i) const {
    const auto* c = Col(name);
    if (!c || c->IsNull(i)) return std::nullopt;
    switch (c->type_id()) {
      case columnar::TypeId::kInt32:
        return c->Get<int32_t>(i);
      case columnar::TypeId::kInt64:
      case columnar::TypeId::kTimestamp:
      case columnar::TypeId::kTimestampNtz:
        return c->Get<int64_t>(i);
      default:
        return std::nullopt;
    }
  }
  double Double(const char* name, int64_t i) const {
    const auto* c = Col(name);
    if (!c || c->IsNull(i) || c->type_id() != columnar::TypeId::kFloat64) return 0;
    return c->Get<double>(i);
  }
};

}  // namespace

std::map<std::string, int64_t> BuildRecord::TableVersions() const {
  std::map<std::string, int64_t> out;
  for (const auto& t : tables) out[t.name] = t.version;
  return out;
}

columnar::Schema BuildsSchema() {
  auto str = DataType::String();
  auto i64 = DataType::Int64();
  auto f64 = DataType::Float64();
  return columnar::Schema(std::vector<Field>{
      Field("build_id", str, false),
      Field("repo_id", str, false),
      Field("started_at", DataType::Timestamp(), false),
      Field("finished_at", DataType::Timestamp(), true),
      Field("mode", str, false),
      Field("status", str, false),
      Field("error", str, true),
      Field("files_scanned", i64, true),
      Field("files_changed", i64, true),
      Field("files_deleted", i64, true),
      Field("files_impacted", i64, true),
      Field("nodes", i64, true),
      Field("edges", i64, true),
      Field("props", i64, true),
      Field("diagnostics", i64, true),
      Field("table_versions", str, true),
      Field("tables_json", str, true),
      Field("tool_version", str, true),
      Field("config_hash", str, true),
      Field("schema_fingerprint", str, true),
      Field("schema_version", DataType::Int32(), true),
      Field("seconds_scan", f64, true),
      Field("seconds_extract", f64, true),
      Field("seconds_resolve", f64, true),
      Field("seconds_write", f64, true),
      Field("seconds_total", f64, true),
      Field("files_added", i64, true),
      Field("files_renamed", i64, true),
      Field("files_cached", i64, true),
      Field("strategy", str, true),
      Field("full_reason", str, true),
  });
}

std::string CombinedSchemaFingerprint(const std::vector<TableRecord>& tables) {
  std::map<std::string, std::string> by_name;
  for (const auto& t : tables) {
    // The incremental state is not part of the output's schema (and a build that adds nothing
    // to the extraction cache does not record it).
    if (t.name == catalog::kFileStateDataset || t.name == catalog::kExtractCacheDataset) continue;
    by_name[t.name] = t.schema_fingerprint;
  }
  std::string text = "cpglake-build-schema-v1\n";
  for (const auto& [name, fp] : by_name) text += name + "=" + fp + "\n";
  return Blake2bHex(text, 16);
}

TableRecord DescribeTableWrite(const std::string& out_dir, const std::string& name,
                               const delta::WriteResult& write, const std::string& ordering_keys) {
  TableRecord t;
  t.name = name;
  t.path = (std::filesystem::path(out_dir) / name).lexically_normal().string();
  t.version = write.version;
  t.files_added = write.totals.files_added;
  t.rows_added = write.totals.rows_added;
  t.bytes_added = write.totals.bytes_added;
  t.files_removed = write.totals.files_removed;
  t.rows_removed = write.totals.rows_removed;
  t.bytes_removed = write.totals.bytes_removed;
  t.ordering_keys = ordering_keys;
  t.commit_info = write.commit_info;
  auto snap = delta::SnapshotBuilder(storage::OpenObjectStore(t.path))
                  .AtVersion(write.version)
                  .WithThreads(1)
                  .Build();
  const auto& protocol = snap->protocol();
  t.min_reader_version = protocol.min_reader_version;
  t.min_writer_version = protocol.min_writer_version;
  t.reader_features = protocol.reader_features.value_or(std::vector<std::string>{});
  t.writer_features = protocol.writer_features.value_or(std::vector<std::string>{});
  t.properties = snap->metadata().configuration;
  t.stats_columns = StatsColumns(*snap);
  t.schema_fingerprint = columnar::SchemaFingerprint(snap->schema());
  return t;
}

int64_t AppendBuildRecord(const std::string& out_dir, const BuildRecord& r) {
  const columnar::Schema schema = BuildsSchema();
  columnar::RecordBatch b = columnar::RecordBatch::MakeEmpty(schema);
  size_t c = 0;
  auto str = [&](const std::string& s) { b.mutable_column(c++).AppendString(s); };
  auto opt_str = [&](const std::optional<std::string>& s) {
    if (s) {
      b.mutable_column(c++).AppendString(*s);
    } else {
      b.mutable_column(c++).AppendNull();
    }
  };
  auto i64 = [&](int64_t v) { b.mutable_column(c++).Append<int64_t>(v); };
  auto f64 = [&](double v) { b.mutable_column(c++).Append<double>(v); };
  str(r.build_id);
  str(r.repo_id);
  i64(r.started_at_us);
  if (r.finished_at_us) {
    i64(*r.finished_at_us);
  } else {
    b.mutable_column(c++).AppendNull();
  }
  str(r.mode);
  str(r.status);
  opt_str(r.error);
  for (int64_t v : {r.files_scanned, r.files_changed, r.files_deleted, r.files_impacted, r.nodes,
                    r.edges, r.props, r.diagnostics}) {
    i64(v);
  }
  str(VersionsJson(r).dump());
  str(TablesJson(r.tables).dump());
  str(r.tool_version);
  str(r.config_hash);
  str(r.schema_fingerprint);
  b.mutable_column(c++).Append<int32_t>(r.schema_version);
  for (double v :
       {r.seconds_scan, r.seconds_extract, r.seconds_resolve, r.seconds_write, r.seconds_total}) {
    f64(v);
  }
  for (int64_t v : {r.files_added, r.files_renamed, r.files_cached}) i64(v);
  str(r.strategy);
  opt_str(r.full_reason);
  CPGLAKE_CHECK(c == schema.num_fields(), "build manifest row does not fill the schema");
  b.set_num_rows(1);

  delta::WriteOptions wo;
  wo.mode = delta::WriteMode::kAppend;
  wo.schema_mode = delta::SchemaMode::kMerge;  // a newer cpglake may add columns
  wo.properties = {{"delta.enableInCommitTimestamps", "true"}};
  wo.commit_properties = {{"cpglake.build_id", r.build_id},
                          {"cpglake.repo_id", r.repo_id},
                          {"cpglake.tool_version", std::string(CpglakeVersion())},
                          {"cpglake.schema_fingerprint", columnar::SchemaFingerprint(schema)}};
  if (!r.config_hash.empty()) wo.commit_properties["cpglake.config_hash"] = r.config_hash;
  auto result = delta::WriteDeltaTable(storage::OpenObjectStore(BuildsPath(out_dir)), b, wo);
  return result.version;
}

namespace {

// A manifest row with its tables_json not parsed yet (parsing every build's tables is most of
// the cost of reading a long manifest; a build needs only the latest successful one's).
struct RawBuild {
  BuildRecord record;
  std::optional<std::string> tables_json;
};

// The manifest table's latest snapshot; null when there is none.
std::shared_ptr<const delta::Snapshot> BuildsSnapshot(const std::string& out_dir,
                                                      std::string* path) {
  const auto location =
      catalog::DatasetRegistry::ForOutput(out_dir).Resolve(catalog::kBuildsDataset);
  *path = location.path;
  if (!catalog::TableExists(location)) return nullptr;
  return catalog::OpenSnapshot(location, 1);
}

// The rows (the predicate's, or every one), oldest first (by started_at, then build_id).
std::vector<RawBuild> ReadRawBuilds(const std::shared_ptr<const delta::Snapshot>& snap,
                                    expr::ExprPtr predicate = nullptr) {
  std::vector<RawBuild> out;
  if (!snap) return out;
  delta::ScanBuilder scan(snap);
  if (predicate) scan.WithPredicate(std::move(predicate));
  columnar::RecordBatch b = scan.WithThreads(1).Build().ReadAll();
  const Reader rd{b};
  for (int64_t i = 0; i < b.num_rows(); ++i) {
    BuildRecord r;
    r.build_id = rd.StrOr("build_id", i);
    r.repo_id = rd.StrOr("repo_id", i);
    r.started_at_us = rd.Long("started_at", i).value_or(0);
    r.finished_at_us = rd.Long("finished_at", i);
    r.mode = rd.StrOr("mode", i, "full");
    r.status = rd.StrOr("status", i);
    r.error = rd.Str("error", i);
    r.files_scanned = rd.Long("files_scanned", i).value_or(0);
    r.files_changed = rd.Long("files_changed", i).value_or(0);
    r.files_deleted = rd.Long("files_deleted", i).value_or(0);
    r.files_impacted = rd.Long("files_impacted", i).value_or(0);
    r.nodes = rd.Long("nodes", i).value_or(0);
    r.edges = rd.Long("edges", i).value_or(0);
    r.props = rd.Long("props", i).value_or(0);
    r.diagnostics = rd.Long("diagnostics", i).value_or(0);
    r.tool_version = rd.StrOr("tool_version", i);
    r.config_hash = rd.StrOr("config_hash", i);
    r.schema_fingerprint = rd.StrOr("schema_fingerprint", i);
    r.schema_version = static_cast<int32_t>(rd.Long("schema_version", i).value_or(0));
    r.seconds_scan = rd.Double("seconds_scan", i);
    r.seconds_extract = rd.Double("seconds_extract", i);
    r.seconds_resolve = rd.Double("seconds_resolve", i);
    r.seconds_write = rd.Double("seconds_write", i);
    r.seconds_total = rd.Double("seconds_total", i);
    r.files_added = rd.Long("files_added", i).value_or(0);
    r.files_renamed = rd.Long("files_renamed", i).value_or(0);
    r.files_cached = rd.Long("files_cached", i).value_or(0);
    r.strategy = rd.StrOr("strategy", i, "full");
    r.full_reason = rd.Str("full_reason", i);
    out.push_back(RawBuild{std::move(r), rd.Str("tables_json", i)});
  }
  std::stable_sort(out.begin(), out.end(), [](const RawBuild& a, const RawBuild& b) {
    return std::tie(a.record.started_at_us, a.record.build_id) <
           std::tie(b.record.started_at_us, b.record.build_id);
  });
  return out;
}

BuildRecord Parsed(RawBuild raw, const std::string& path) {
  BuildRecord r = std::move(raw.record);
  if (raw.tables_json) {
    json a = json::parse(*raw.tables_json, nullptr, /*allow_exceptions=*/false);
    if (a.is_discarded() || !a.is_array()) {
      throw CorruptData(path + ": build " + r.build_id + ": tables_json is not a JSON array");
    }
    for (const auto& t : a) {
      if (t.is_object()) r.tables.push_back(TableFromJson(t));
    }
  }
  return r;
}

}  // namespace

std::vector<BuildRecord> ReadBuilds(const std::string& out_dir) {
  std::string path;
  std::vector<BuildRecord> out;
  for (auto& raw : ReadRawBuilds(BuildsSnapshot(out_dir, &path))) {
    out.push_back(Parsed(std::move(raw), path));
  }
  return out;
}

ManifestHead ReadManifestHead(const std::string& out_dir) {
  std::string path;
  const auto snap = BuildsSnapshot(out_dir, &path);
  ManifestHead head;
  if (!snap) return head;
  // Which build is the latest successful one, from three columns of every row; then that
  // row alone (each build's row is in a file of its own until the table is compacted, and
  // the statistics on build_id skip the others). Every build starts with a full read of the
  // manifest otherwise.
  const columnar::Schema& schema = snap->schema();
  if (schema.FieldIndex("build_id") < 0 || schema.FieldIndex("started_at") < 0 ||
      schema.FieldIndex("status") < 0) {
    // Not a manifest this version wrote: every row, read as ReadBuilds reads them.
    std::vector<RawBuild> raw = ReadRawBuilds(snap);
    head.builds = static_cast<int64_t>(raw.size());
    for (auto it = raw.rbegin(); it != raw.rend(); ++it) {
      if (it->record.status == kBuildSucceeded) {
        head.latest_successful = Parsed(std::move(*it), path);
        break;
      }
    }
    return head;
  }
  const columnar::RecordBatch b = delta::ScanBuilder(snap)
                                      .WithColumns({"build_id", "started_at", "status"})
                                      .WithThreads(1)
                                      .Build()
                                      .ReadAll();
  const Reader rd{b};
  head.builds = b.num_rows();
  std::optional<std::pair<int64_t, std::string>> latest;  // (started_at, build_id)
  for (int64_t i = 0; i < b.num_rows(); ++i) {
    if (rd.StrOr("status", i) != kBuildSucceeded) continue;
    std::pair<int64_t, std::string> key{rd.Long("started_at", i).value_or(0),
                                        rd.StrOr("build_id", i)};
    if (!latest || *latest <= key) latest = std::move(key);
  }
  if (!latest) return head;
  std::vector<RawBuild> rows =
      ReadRawBuilds(snap, expr::Eq(expr::Col("build_id"), expr::Lit(latest->second)));
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    if (it->record.status == kBuildSucceeded && it->record.started_at_us == latest->first) {
      head.latest_successful = Parsed(std::move(*it), path);
      break;
    }
  }
  return head;
}

std::optional<BuildRecord> LatestSuccessfulBuild(const std::string& out_dir) {
  return ReadManifestHead(out_dir).latest_successful;
}

BuildRecord FindBuild(const std::string& out_dir, const std::string& id_or_prefix) {
  if (id_or_prefix.empty()) throw InvalidInput("empty build id");
  auto builds = ReadBuilds(out_dir);
  std::vector<const BuildRecord*> matches;
  for (const auto& b : builds) {
    if (b.build_id == id_or_prefix) return b;
    if (b.build_id.compare(0, id_or_prefix.size(), id_or_prefix) == 0) matches.push_back(&b);
  }
  if (matches.size() == 1) return *matches[0];
  if (matches.size() > 1) {
    std::string list;
    for (size_t i = 0; i < matches.size() && i < 5; ++i) {
      list += (i ? ", " : "") + matches[i]->build_id;
    }
    if (matches.size() > 5) list += ", …";
    throw InvalidInput("build id prefix '" + id_or_prefix + "' is ambiguous: " +
                       std::to_string(matches.size()) + " builds match (" + list + ")");
  }
  const std::string where = BuildsPath(out_dir);
  if (builds.empty()) throw NotFound("no build " + id_or_prefix + ": no builds in " + where);
  // The nearest ids: longest common prefix first, then the newest.
  std::vector<std::pair<size_t, const BuildRecord*>> near;
  for (const auto& b : builds) {
    size_t n = 0;
    while (n < b.build_id.size() && n < id_or_prefix.size() && b.build_id[n] == id_or_prefix[n]) {
      ++n;
    }
    near.emplace_back(n, &b);
  }
  std::stable_sort(near.begin(), near.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return a.second->started_at_us > b.second->started_at_us;
  });
  std::string list;
  for (size_t i = 0; i < near.size() && i < 3; ++i) {
    list += (i ? ", " : "") + near[i].second->build_id;
  }
  throw NotFound("no build " + id_or_prefix + " in " + where + " (" +
                 std::to_string(builds.size()) + " builds; nearest: " + list + ")");
}

std::string BuildRecordJson(const BuildRecord& r) {
  json j;
  j["build_id"] = r.build_id;
  j["repo_id"] = r.repo_id;
  j["started_at"] = IsoTimestamp(r.started_at_us);
  j["finished_at"] = r.finished_at_us ? json(IsoTimestamp(*r.finished_at_us)) : json(nullptr);
  j["mode"] = r.mode;
  j["status"] = r.status;
  j["error"] = r.error ? json(*r.error) : json(nullptr);
  j["files_scanned"] = r.files_scanned;
  j["files_changed"] = r.files_changed;
  j["files_deleted"] = r.files_deleted;
  j["files_impacted"] = r.files_impacted;
  j["files_added"] = r.files_added;
  j["files_renamed"] = r.files_renamed;
  j["files_cached"] = r.files_cached;
  j["strategy"] = r.strategy;
  j["full_reason"] = r.full_reason ? json(*r.full_reason) : json(nullptr);
  j["nodes"] = r.nodes;
  j["edges"] = r.edges;
  j["props"] = r.props;
  j["diagnostics"] = r.diagnostics;
  j["table_versions"] = VersionsJson(r);
  j["tables"] = TablesJson(r.tables);
  j["tool_version"] = r.tool_version;
  j["config_hash"] = r.config_hash;
  j["schema_fingerprint"] = r.schema_fingerprint;
  j["schema_version"] = r.schema_version;
  j["seconds"] = {{"scan", r.seconds_scan},
                  {"extract", r.seconds_extract},
                  {"resolve", r.seconds_resolve},
                  {"write", r.seconds_write},
                  {"total", r.seconds_total}};
  return j.dump();
}

}  // namespace cpglake::pipeline
