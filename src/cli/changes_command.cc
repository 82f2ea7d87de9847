// `cpglake changes OUT`: what changed in the graph between two builds (by default the latest
// successful build and the successful build before it), from the graph tables' change data
// feed — counts per table, file and kind, or with --rows the changed rows of one table.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/sql_output.h"
#include "columnar/value_format.h"
#include "common/error.h"
#include "pipeline/changes.h"

namespace cpglake::cli {

namespace {

using nlohmann::ordered_json;

struct ChangesFlags {
  std::string out;
  std::string since_build;
  std::string build;
  std::string by = "both";
  std::string table;
  std::string format;  // "" → json with --json, else table
  bool rows = false;
};

std::optional<std::string> Optional(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

// The build as "1a2b3c4d (full, 2024-01-02 03:04:05 UTC)".
std::string Describe(const pipeline::BuildRecord& b) {
  return b.build_id.substr(0, 8) + " (" + b.mode + ", " + FormatUtcTime(b.started_at_us) + " UTC)";
}

std::string Totals(const pipeline::ChangeCount& t) {
  return "+" + std::to_string(t.added) + " -" + std::to_string(t.removed) + " ~" +
         std::to_string(t.changed);
}

// "cpg_nodes" → "nodes".
std::string ShortName(const std::string& table) {
  return table.rfind("cpg_", 0) == 0 ? table.substr(4) : table;
}

ordered_json BuildJson(const pipeline::BuildRecord& b) {
  const auto full = ordered_json::parse(pipeline::BuildRecordJson(b));
  ordered_json j;
  for (const char* key : {"build_id", "started_at", "finished_at", "mode", "status"}) {
    j[key] = full.at(key);
  }
  return j;
}

ordered_json CountsJson(const pipeline::ChangeCount& c) {
  return {{"added", c.added}, {"removed", c.removed}, {"changed", c.changed}};
}

void CheckTable(const std::string& table) {
  for (const char* t : pipeline::kChangeTables) {
    if (table == t) return;
  }
  throw InvalidInput("unknown graph table '" + table + "': use cpg_nodes, cpg_edges or cpg_props");
}

int RunRows(const ChangesFlags& f, SqlFormat format) {
  const std::string table = f.table.empty() ? "cpg_nodes" : f.table;
  CheckTable(table);
  const auto range =
      pipeline::ResolveChangeRange(f.out, Optional(f.since_build), Optional(f.build));
  if (format == SqlFormat::kJson) {
    bool open = false;
    std::string line;
    pipeline::ReadChangedRows(f.out, range, table, [&](const columnar::RecordBatch& b) {
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        line.assign(open ? ",\n  " : "[\n  ");
        columnar::AppendJsonRow(b, r, columnar::JsonStyle::kReadable, &line);
        std::fwrite(line.data(), 1, line.size(), stdout);
        open = true;
      }
    });
    std::printf(open ? "\n]\n" : "[]\n");
    return 0;
  }
  const RowFormat row_format = format == SqlFormat::kCsv     ? RowFormat::kCsv
                               : format == SqlFormat::kJsonl ? RowFormat::kJsonl
                                                             : RowFormat::kTable;
  RowPrinter printer(row_format, stdout);
  bool any = false;
  const auto schema =
      pipeline::ReadChangedRows(f.out, range, table, [&](const columnar::RecordBatch& b) {
        printer.Print(b);
        any = any || b.num_rows() > 0;
      });
  if (!any && row_format != RowFormat::kJsonl) {
    printer.Print(columnar::RecordBatch::MakeEmpty(schema));  // the header
  }
  printer.Finish();
  return 0;
}

int RunChanges(const ChangesFlags& f, const GlobalOptions& g) {
  SqlFormat format = g.json ? SqlFormat::kJson : SqlFormat::kTable;
  if (!f.format.empty()) format = ParseSqlFormat(f.format);
  if (f.by != "kind" && f.by != "file" && f.by != "both") {
    throw InvalidInput("unknown grouping '" + f.by + "': use kind, file or both");
  }
  if (f.rows) return RunRows(f, format);
  if (!f.table.empty()) CheckTable(f.table);

  const auto changes =
      pipeline::ReadGraphChanges(f.out, Optional(f.since_build), Optional(f.build));
  const bool by_kind = f.by != "file", by_file = f.by != "kind";
  std::vector<pipeline::ChangeCount> groups;
  for (auto& c : pipeline::RegroupChanges(changes.counts, by_kind, by_file)) {
    if (f.table.empty() || c.table == f.table) groups.push_back(std::move(c));
  }
  const auto totals = pipeline::ChangeTotals(changes);

  if (format == SqlFormat::kJson) {
    ordered_json j;
    j["from"] = BuildJson(changes.from);
    j["to"] = BuildJson(changes.to);
    j["by"] = f.by;
    for (const auto& [table, v] : changes.versions) {
      j["versions"][table] = {{"from", v.first}, {"to", v.second}};
    }
    for (const auto& [table, t] : totals) j["totals"][table] = CountsJson(t);
    j["changes"] = ordered_json::array();
    for (const auto& c : groups) {
      ordered_json row = {{"table", c.table}};
      if (by_file) row["path"] = c.path;
      if (by_kind) row["kind"] = c.kind;
      row.update(CountsJson(c));
      j["changes"].push_back(std::move(row));
    }
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }

  if (format == SqlFormat::kTable && !g.quiet) {
    std::string line =
        "changes from build " + Describe(changes.from) + " to build " + Describe(changes.to) + ":";
    const char* sep = " ";
    for (const char* table : pipeline::kChangeTables) {
      line += sep + ShortName(table) + " " + Totals(totals.at(table));
      sep = ", ";
    }
    std::printf("%s\n", line.c_str());
    if (groups.empty()) {
      std::printf("no changes\n");
      return 0;
    }
  }
  sql::ResultColumns columns;
  columns.names.push_back("table");
  if (by_file) columns.names.push_back("path");
  if (by_kind) columns.names.push_back("kind");
  for (const char* n : {"added", "removed", "changed"}) columns.names.push_back(n);
  if (groups.empty() && format == SqlFormat::kCsv) {  // still a header
    std::string header;
    for (const auto& n : columns.names) header += (header.empty() ? "" : ",") + n;
    std::printf("%s\n", header.c_str());
    return 0;
  }
  SqlRowPrinter printer(format, stdout);
  for (const auto& c : groups) {
    std::vector<sql::Value> row{c.table};
    if (by_file) row.emplace_back(c.path);
    if (by_kind) row.emplace_back(c.kind);
    for (int64_t n : {c.added, c.removed, c.changed}) row.emplace_back(n);
    printer.Row(columns, row);
  }
  printer.Finish();
  return 0;
}

}  // namespace

void RegisterChangesCommand(CLI::App& app, GlobalOptions& global, Action& action) {
  static ChangesFlags flags;
  auto* cmd = app.add_subcommand(
      "changes",
      "What changed in the graph between two builds (from the tables' change data feed)");
  cmd->add_option("OUT", flags.out, "Output directory of `cpglake build` (e.g. REPO/.cpglake)")
      ->required();
  cmd->add_option("--since-build", flags.since_build,
                  "The earlier build (id or unique prefix; default: the successful build "
                  "before --build)");
  cmd->add_option("--build", flags.build,
                  "The later build (id or unique prefix; default: the latest successful build)");
  cmd->add_option("--by", flags.by, "Group the counts by kind, file or both")
      ->capture_default_str();
  cmd->add_option("--table", flags.table,
                  "Only this table: cpg_nodes, cpg_edges or cpg_props (with --rows: default "
                  "cpg_nodes)");
  cmd->add_flag("--rows", flags.rows,
                "Print the changed rows of the table (its columns and _change_type, "
                "_commit_version, _commit_timestamp) instead of counts");
  cmd->add_option("--format", flags.format,
                  "Output: table (default), csv, jsonl or json (the default with --json)");
  cmd->footer(
      "Counts: added (inserted rows), removed (deleted rows), changed (updated rows: pairs of\n"
      "update_preimage/update_postimage). Props are grouped by the path of their file_id in\n"
      "_cpglake/repo_files (\"\" when unknown). A full build overwrites the tables: all its old\n"
      "rows count as removed and all its new rows as added. Needs the change data feed\n"
      "(tables.change_data_feed = true, the default).\n"
      "See docs/graph_model.md \"Changes between builds\".");
  cmd->callback([&] { action = [&] { return RunChanges(flags, global); }; });
}

}  // namespace cpglake::cli
