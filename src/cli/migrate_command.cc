// `cpglake migrate SRC TARGET`: Parquet files (a file or a Hive-partitioned tree) into a Delta
// table, copied or adopted in place (delta/migrate.h does the work).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/error.h"
#include "delta/migrate.h"
#include "delta/schema_json.h"

namespace cpglake::cli {

namespace {

using nlohmann::ordered_json;

// The spelling of --mode.
std::string ModeName(delta::WriteMode mode) {
  switch (mode) {
    case delta::WriteMode::kAppend:
      return "append";
    case delta::WriteMode::kOverwrite:
      return "overwrite";
    default:
      return "error";
  }
}

// "id long not null, name string, ..."
std::string SchemaText(const columnar::Schema& schema) {
  std::string out;
  for (const auto& f : schema.fields()) {
    out += (out.empty() ? "" : ", ") + f.name + " " + delta::TypeToDeltaString(*f.type) +
           (f.nullable ? "" : " not null");
  }
  return out;
}

struct MigrateArgs {
  std::string source, target, partition_by, mode = "error", schema_mode, report;
  std::vector<std::string> storage_options;
  bool copy = false, in_place = false, dry_run = false, verify = false;
};

// What the plan and the report both start with.
ordered_json PlanHead(const delta::MigratePlan& p) {
  ordered_json j;
  j["source"] = p.source;
  j["target"] = p.target;
  j["method"] = std::string(delta::MigrateMethodName(p.method));
  j["mode"] = ModeName(p.mode);
  j["files"] = p.files.size();
  j["rows"] = p.rows;
  j["bytes"] = p.bytes;
  return j;
}

ordered_json PlanJson(const delta::MigratePlan& p) {
  ordered_json j = PlanHead(p);
  j["schema"] = ordered_json::parse(delta::SerializeDeltaSchema(p.schema));
  j["schema_fingerprint"] = p.schema_fingerprint;
  ordered_json parts = ordered_json::array();
  for (const auto& c : p.partitions) {
    parts.push_back({{"name", c.name}, {"type", delta::TypeToDeltaString(*c.type)}});
  }
  j["partitions"] = parts;
  j["partition_by"] = p.partition_by;
  j["target_version"] = p.target_version;
  j["conflicts"] = p.conflicts;
  j["notes"] = p.notes;
  ordered_json files = ordered_json::array();
  for (const auto& f : p.files) {
    ordered_json pv = ordered_json::object();
    for (const auto& [k, v] : f.partition_values) pv[k] = v ? ordered_json(*v) : ordered_json();
    files.push_back({{"path", f.key}, {"rows", f.rows}, {"bytes", f.size}, {"partition", pv}});
  }
  j["file_list"] = files;
  return j;
}

void PrintPlanText(const delta::MigratePlan& p) {
  std::printf("migrate %s -> %s (%s, mode %s)\n", p.source.c_str(), p.target.c_str(),
              std::string(delta::MigrateMethodName(p.method)).c_str(), ModeName(p.mode).c_str());
  std::printf("files: %zu, rows: %lld, bytes: %lld\n", p.files.size(),
              static_cast<long long>(p.rows), static_cast<long long>(p.bytes));
  std::printf("schema: %s (fingerprint %s)\n", SchemaText(p.schema).c_str(),
              p.schema_fingerprint.c_str());
  std::string parts;
  for (const auto& c : p.partitions) {
    parts += (parts.empty() ? "" : ", ") + c.name + " " + delta::TypeToDeltaString(*c.type);
  }
  std::printf("partitions: %s\n", parts.empty() ? "none" : parts.c_str());
  std::string by;
  for (const auto& c : p.partition_by) by += (by.empty() ? "" : ", ") + c;
  std::printf("partition by: %s\n", by.empty() ? "none" : by.c_str());
  if (p.target_version >= 0) {
    std::printf("target: Delta table at version %lld\n", static_cast<long long>(p.target_version));
  } else {
    std::printf("target: new table\n");
  }
  for (const auto& n : p.notes) std::printf("note: %s\n", n.c_str());
  for (const auto& c : p.conflicts) std::printf("conflict: %s\n", c.c_str());
  for (const auto& f : p.files) {
    std::printf("  %s  %lld rows  %lld bytes\n", f.key.c_str(), static_cast<long long>(f.rows),
                static_cast<long long>(f.size));
  }
}

ordered_json ReportJson(const delta::MigrateResult& r) {
  const auto& p = r.plan;
  ordered_json j = PlanHead(p);
  j["files_added"] = r.files_added;
  j["files_removed"] = r.files_removed;
  j["rows_added"] = r.rows_added;
  j["bytes_added"] = r.bytes_added;
  if (p.method == delta::MigrateMethod::kInPlace) {
    j["stats_columns_from_footers"] = r.stats_leaves_from_footer;
    j["stats_columns_from_data"] = r.stats_leaves_from_data;
    j["files_read"] = r.files_read;
  }
  j["schema_fingerprint"] = p.schema_fingerprint;
  j["partition_by"] = p.partition_by;
  j["delta_version"] = r.version;
  j["content_fingerprint"] = r.source_fingerprint.Hex();
  if (r.verification) {
    const auto& v = *r.verification;
    j["verification"] = {{"ok", v.ok},
                         {"message", v.message},
                         {"expected_rows", v.expected.rows},
                         {"table_rows", v.actual.rows},
                         {"expected_fingerprint", v.expected.Hex()},
                         {"table_fingerprint", v.actual.Hex()}};
  } else {
    j["verification"] = nullptr;
  }
  return j;
}

int RunMigrate(const MigrateArgs& a, const GlobalOptions& g) {
  if (a.copy && a.in_place) throw InvalidInput("--copy and --in-place exclude each other");
  delta::MigrateOptions o;
  o.method = a.in_place ? delta::MigrateMethod::kInPlace : delta::MigrateMethod::kCopy;
  o.mode = delta::ParseWriteMode(a.mode);
  if (!a.schema_mode.empty()) o.schema_mode = delta::ParseSchemaMode(a.schema_mode);
  o.partition_by = SplitComma(a.partition_by);
  for (const auto& s : a.storage_options) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw InvalidInput("--storage-option '" + s + "' is not of the form key=value");
    }
    o.storage_options[s.substr(0, eq)] = s.substr(eq + 1);
  }
  o.verify = a.verify;
  if (a.dry_run) {
    auto plan = delta::PlanMigration(a.source, a.target, o);
    if (g.json) {
      std::printf("%s\n", PlanJson(plan).dump(2).c_str());
    } else if (!g.quiet) {
      PrintPlanText(plan);
    }
    if (!plan.conflicts.empty()) {
      throw InvalidInput("the migration would fail: " + plan.conflicts.front());
    }
    return 0;
  }
  auto r = delta::Migrate(a.source, a.target, o);
  if (!a.report.empty()) {
    std::ofstream out(a.report, std::ios::binary | std::ios::trunc);
    out << ReportJson(r).dump(2) << "\n";
    if (!out) throw IoError("cannot write the report " + a.report);
  }
  if (!r.checkpoint_error.empty()) {
    std::fprintf(stderr,
                 "cpglake: warning: version %lld committed, but its checkpoint failed: %s\n",
                 static_cast<long long>(r.version), r.checkpoint_error.c_str());
  }
  if (g.json) {
    std::printf("%s\n", ReportJson(r).dump(2).c_str());
  } else if (!g.quiet) {
    std::printf("version %lld: %lld files, %lld rows, %lld bytes (%s)\n",
                static_cast<long long>(r.version), static_cast<long long>(r.files_added),
                static_cast<long long>(r.rows_added), static_cast<long long>(r.bytes_added),
                std::string(delta::MigrateMethodName(r.plan.method)).c_str());
    if (r.verification && r.verification->ok) {
      std::printf("verified: %s\n", r.verification->message.c_str());
    }
  }
  if (r.verification && !r.verification->ok) {
    throw CorruptData("verification failed: " + r.verification->message);
  }
  return 0;
}

}  // namespace

void RegisterMigrateCommand(CLI::App& app, GlobalOptions& global, Action& action) {
  static MigrateArgs m;
  auto* cmd = app.add_subcommand(
      "migrate", "Convert a Parquet file or Hive-partitioned directory tree into a Delta table");
  cmd->add_option("SRC", m.source, "Parquet file or directory tree")->required();
  cmd->add_option("TARGET", m.target, "Delta table directory")->required();
  cmd->add_flag("--copy", m.copy, "Rewrite the rows into TARGET (the default)");
  cmd->add_flag("--in-place", m.in_place,
                "Adopt the existing files without rewriting them (TARGET must be SRC or "
                "contain it)");
  cmd->add_option("--partition-by", m.partition_by,
                  "Comma-separated partition columns (default: the k=v directories)");
  cmd->add_option("--mode", m.mode, "overwrite, append or error (when TARGET is a table)")
      ->capture_default_str();
  cmd->add_option("--schema-mode", m.schema_mode,
                  "merge (union of differing file schemas) or overwrite");
  cmd->add_option("--storage-option", m.storage_options, "Storage option key=value (repeatable)");
  cmd->add_flag("--dry-run", m.dry_run, "Print the plan and write nothing");
  cmd->add_flag("--verify", m.verify,
                "Re-read the table and compare row count and content fingerprint");
  cmd->add_option("--report", m.report, "Write a JSON report to this file");
  cmd->callback([&] { action = [&] { return RunMigrate(m, global); }; });
}

}  // namespace cpglake::cli
