// `cpglake delta vacuum|optimize|restore|clone|protocol`: table maintenance and the
// protocol/feature snapshot of a table. Each command is one call into delta/maintenance.h.
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/checkpoint_writer.h"
#include "delta/maintenance.h"
#include "delta/snapshot.h"

namespace cpglake::cli {

namespace {

// A committed version, or null when the command committed nothing (version < 0).
nlohmann::ordered_json VersionOrNull(int64_t version) {
  return version >= 0 ? nlohmann::ordered_json(version) : nlohmann::ordered_json(nullptr);
}

using nlohmann::ordered_json;

void Print(const ordered_json& j) {
  std::printf("%s\n", j.dump(2).c_str());
}

std::string Ts(int64_t ms) {
  return columnar::FormatTimestamp(ms * 1000, true);
}

struct VacuumArgs {
  std::string path;
  double retain_hours = -1;
  bool dry_run = false, execute = false, force = false;
};

int RunVacuum(const VacuumArgs& a, const GlobalOptions& g) {
  if (a.dry_run && a.execute) throw InvalidInput("give --dry-run or --execute, not both");
  delta::VacuumOptions o;
  o.dry_run = !a.execute;
  o.force = a.force;
  if (a.retain_hours >= 0) o.retention_ms = static_cast<int64_t>(a.retain_hours * 3600.0 * 1000.0);
  auto r = delta::Vacuum(storage::OpenObjectStore(a.path), o);
  if (g.json) {
    ordered_json files = ordered_json::array();
    for (const auto& f : r.files) files.push_back({{"path", f.key}, {"size", f.size}});
    ordered_json j{{"path", a.path},
                   {"dry_run", r.dry_run},
                   {"retention_hours", static_cast<double>(r.retention_ms) / 3600000.0},
                   {"horizon", Ts(r.horizon_ms)},
                   {"files", files},
                   {"num_files", r.files.size()},
                   {"bytes", r.bytes},
                   {"files_deleted", r.files_deleted}};
    if (r.oldest_retained_version >= 0) j["oldest_retained_version"] = r.oldest_retained_version;
    if (r.start_version) j["start_version"] = *r.start_version;
    if (r.end_version) j["end_version"] = *r.end_version;
    Print(j);
    return 0;
  }
  if (g.quiet) return 0;
  for (const auto& f : r.files) {
    std::printf("%s%s (%lld bytes)\n", r.dry_run ? "would delete " : "deleted ", f.key.c_str(),
                static_cast<long long>(f.size));
  }
  std::printf("%s %zu files, %lld bytes (files removed before %s)\n",
              r.dry_run ? "dry run: would delete" : "deleted", r.files.size(),
              static_cast<long long>(r.bytes), Ts(r.horizon_ms).c_str());
  return 0;
}

struct OptimizeArgs {
  std::string path, sort_by, where;
  int64_t target_size = -1, min_size = -1;
};

int RunOptimize(const OptimizeArgs& a, const GlobalOptions& g) {
  delta::OptimizeOptions o;
  if (a.target_size == 0 || a.target_size < -1) {
    throw InvalidInput("--target-size must be positive");
  }
  if (a.target_size > 0) o.target_file_bytes = a.target_size;
  if (a.min_size >= 0) o.min_file_bytes = a.min_size;
  o.sort_by = SplitComma(a.sort_by);
  if (!a.where.empty()) o.partition_predicate = a.where;
  auto r = delta::Optimize(storage::OpenObjectStore(a.path), o);
  if (g.json) {
    ordered_json j{{"path", a.path},
                   {"files_removed", r.files_removed},
                   {"files_added", r.files_added},
                   {"bytes_removed", r.bytes_removed},
                   {"bytes_added", r.bytes_added},
                   {"rows_written", r.rows_written},
                   {"rows_dropped_by_dv", r.rows_dropped_by_dv},
                   {"partitions_optimized", r.partitions_optimized}};
    j["version"] = VersionOrNull(r.version);
    Print(j);
    return 0;
  }
  if (g.quiet) return 0;
  if (r.version < 0) {
    std::printf("nothing to optimize\n");
    return 0;
  }
  std::printf("version %lld: compacted %lld files (%lld bytes) into %lld (%lld bytes)",
              static_cast<long long>(r.version), static_cast<long long>(r.files_removed),
              static_cast<long long>(r.bytes_removed), static_cast<long long>(r.files_added),
              static_cast<long long>(r.bytes_added));
  if (r.rows_dropped_by_dv > 0) {
    std::printf("; %lld deleted rows purged", static_cast<long long>(r.rows_dropped_by_dv));
  }
  std::printf("\n");
  return 0;
}

int RunRestore(const std::string& path, int64_t version, const std::string& timestamp,
               const GlobalOptions& g) {
  delta::RestoreOptions o;
  if ((version >= 0) == !timestamp.empty()) {
    throw InvalidInput("give exactly one of --version or --timestamp");
  }
  if (version >= 0) o.version = version;
  if (!timestamp.empty()) o.timestamp_ms = delta::ParseTimestampMs(timestamp);
  auto r = delta::Restore(storage::OpenObjectStore(path), o);
  if (g.json) {
    ordered_json j{{"path", path},
                   {"restored_version", r.restored_version},
                   {"files_removed", r.files_removed},
                   {"files_restored", r.files_restored},
                   {"bytes_removed", r.bytes_removed},
                   {"bytes_restored", r.bytes_restored},
                   {"files_after", r.files_after},
                   {"metadata_changed", r.metadata_changed},
                   {"protocol_changed", r.protocol_changed}};
    j["version"] = VersionOrNull(r.version);
    Print(j);
    return 0;
  }
  if (g.quiet) return 0;
  if (r.version < 0) {
    std::printf("the table already matches version %lld; nothing committed\n",
                static_cast<long long>(r.restored_version));
    return 0;
  }
  std::printf("version %lld: restored version %lld (-%lld files, +%lld files)\n",
              static_cast<long long>(r.version), static_cast<long long>(r.restored_version),
              static_cast<long long>(r.files_removed), static_cast<long long>(r.files_restored));
  return 0;
}

int RunClone(const std::string& src, const std::string& dst, int64_t version,
             const std::string& timestamp, const GlobalOptions& g) {
  delta::CloneOptions o;
  if (version >= 0 && !timestamp.empty()) {
    throw InvalidInput("give --version or --timestamp, not both");
  }
  if (version >= 0) o.version = version;
  if (!timestamp.empty()) o.timestamp_ms = delta::ParseTimestampMs(timestamp);
  o.source_name = src;
  auto r = delta::Clone(storage::OpenObjectStore(src), storage::OpenObjectStore(dst), o);
  if (g.json) {
    ordered_json j{{"source", src},
                   {"target", dst},
                   {"source_version", r.source_version},
                   {"source_timestamp", Ts(r.source_timestamp_ms)},
                   {"version", r.version},
                   {"files_copied", r.files_copied},
                   {"dv_files_copied", r.dv_files_copied},
                   {"bytes_copied", r.bytes_copied},
                   {"schema_fingerprint", r.schema_fingerprint}};
    if (r.rows) {
      j["rows"] = *r.rows;
    } else {
      j["rows"] = nullptr;
    }
    Print(j);
    return 0;
  }
  if (g.quiet) return 0;
  std::printf("cloned version %lld of %s into %s: %lld files, %lld bytes",
              static_cast<long long>(r.source_version), src.c_str(), dst.c_str(),
              static_cast<long long>(r.files_copied), static_cast<long long>(r.bytes_copied));
  if (r.rows) std::printf(", %lld rows", static_cast<long long>(*r.rows));
  std::printf("\n");
  return 0;
}

int RunProtocol(const std::string& path, int64_t version, const GlobalOptions& g) {
  delta::SnapshotBuilder b(storage::OpenObjectStore(path));
  if (version >= 0) b.AtVersion(version);
  auto snap = b.Build();
  const auto& cfg = snap->config();
  const auto& p = snap->protocol();
  std::set<std::string> reader, writer;
  if (p.reader_features) reader.insert(p.reader_features->begin(), p.reader_features->end());
  if (p.writer_features) writer.insert(p.writer_features->begin(), p.writer_features->end());
  // Features the legacy versions imply.
  for (const char* f : {"appendOnly", "invariants", "checkConstraints", "changeDataFeed",
                        "generatedColumns", "columnMapping", "identityColumns"}) {
    if (cfg.HasWriterFeature(f)) writer.insert(f);
  }
  if (cfg.HasReaderFeature("columnMapping")) reader.insert("columnMapping");
  ordered_json props = ordered_json::object();
  for (const auto& [k, v] : snap->metadata().configuration) props[k] = v;
  ordered_json enabled{
      {"deletion_vectors", cfg.deletion_vectors_enabled()},
      {"change_data_feed", cfg.change_data_feed_enabled()},
      {"in_commit_timestamps", cfg.in_commit_timestamps_enabled()},
      {"row_tracking",
       cfg.HasWriterFeature("rowTracking") && cfg.BoolProperty("delta.enableRowTracking")},
      {"column_mapping", std::string(delta::ColumnMappingModeName(cfg.column_mapping_mode()))},
      {"append_only", cfg.BoolProperty("delta.appendOnly")}};
  ordered_json j{{"path", path},
                 {"version", snap->version()},
                 {"min_reader_version", p.min_reader_version},
                 {"min_writer_version", p.min_writer_version},
                 {"table_features", p.min_writer_version >= 7},
                 {"reader_features", reader},
                 {"writer_features", writer},
                 {"enabled", enabled},
                 {"properties", props},
                 {"deleted_file_retention_hours",
                  static_cast<double>(delta::DeletedFileRetentionMs(cfg)) / 3600000.0}};
  if (auto v = cfg.in_commit_timestamp_enablement_version()) {
    j["in_commit_timestamp_enablement_version"] = *v;
  }
  if (g.json) {
    Print(j);
    return 0;
  }
  auto list = [](const std::set<std::string>& s) {
    std::string out;
    for (const auto& f : s) out += (out.empty() ? "" : ", ") + f;
    return out.empty() ? std::string("-") : out;
  };
  std::printf("version:              %lld\nreader version:       %d\nwriter version:       %d\n",
              static_cast<long long>(snap->version()), p.min_reader_version, p.min_writer_version);
  std::printf("reader features:      %s\nwriter features:      %s\n", list(reader).c_str(),
              list(writer).c_str());
  for (const auto& [k, v] : enabled.items()) {
    std::printf("%-21s %s\n", (k + ":").c_str(), v.dump().c_str());
  }
  for (const auto& [k, v] : snap->metadata().configuration) {
    std::printf("property:             %s = %s\n", k.c_str(), v.c_str());
  }
  return 0;
}

}  // namespace

void RegisterDeltaMaintenanceCommands(CLI::App* d, GlobalOptions& global, Action& action) {
  static VacuumArgs v;
  auto* vacuum = d->add_subcommand(
      "vacuum", "Delete files no version within the retention needs (dry run by default)");
  vacuum->add_option("PATH", v.path, "Delta table directory")->required();
  vacuum->add_option("--retain-hours", v.retain_hours,
                     "Retention in hours (default: delta.deletedFileRetentionDuration, 168)");
  vacuum->add_flag("--dry-run", v.dry_run, "List what would be deleted (the default)");
  vacuum->add_flag("--execute", v.execute, "Delete the files");
  vacuum->add_flag("--force", v.force,
                   "Allow a retention shorter than the table's (may break older readers)");
  vacuum->callback([&] { action = [&] { return RunVacuum(v, global); }; });

  static OptimizeArgs o;
  auto* optimize = d->add_subcommand(
      "optimize", "Compact small files (and files with deletion vectors) per partition");
  optimize->add_option("PATH", o.path, "Delta table directory")->required();
  optimize->add_option("--target-size", o.target_size,
                       "Size of the files written, in bytes (default: delta.targetFileSize or "
                       "128 MiB)");
  optimize->add_option("--min-size", o.min_size,
                       "Files smaller than this are compacted (default: the target size)");
  optimize->add_option("--sort-by", o.sort_by, "Comma-separated columns to sort rows by");
  optimize->add_option("--where", o.where, "Partition predicate, e.g. \"day = '2024-01-02'\"");
  optimize->callback([&] { action = [&] { return RunOptimize(o, global); }; });

  static std::string r_path, r_timestamp;
  static int64_t r_version = -1;
  auto* restore =
      d->add_subcommand("restore", "Make a past version the current one (one new commit)");
  restore->add_option("PATH", r_path, "Delta table directory")->required();
  restore->add_option("--version", r_version, "Version to restore");
  restore->add_option("--timestamp", r_timestamp,
                      "Restore the version current at this time (YYYY-MM-DD[THH:MM:SS][Z])");
  restore->callback(
      [&] { action = [&] { return RunRestore(r_path, r_version, r_timestamp, global); }; });

  static std::string c_src, c_dst, c_timestamp;
  static int64_t c_version = -1;
  auto* clone = d->add_subcommand(
      "clone", "Deep-copy one version of a table (data and DV files) into a new table");
  clone->add_option("SOURCE", c_src, "Source Delta table")->required();
  clone->add_option("TARGET", c_dst, "New table directory (must be empty or missing)")->required();
  clone->add_option("--version", c_version, "Source version (default: latest)");
  clone->add_option("--timestamp", c_timestamp, "Source version current at this time");
  clone->callback(
      [&] { action = [&] { return RunClone(c_src, c_dst, c_version, c_timestamp, global); }; });

  static std::string p_path;
  static int64_t p_version = -1;
  auto* protocol = d->add_subcommand(
      "protocol", "Reader/writer versions, table features and properties of a table");
  protocol->add_option("PATH", p_path, "Delta table directory")->required();
  protocol->add_option("--version", p_version, "Read this version instead of the latest");
  protocol->callback([&] { action = [&] { return RunProtocol(p_path, p_version, global); }; });
}

}  // namespace cpglake::cli
