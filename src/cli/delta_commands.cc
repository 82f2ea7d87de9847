// `cpglake delta describe|history|scan`: reading Delta tables.
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/scan.h"
#include "delta/schema_json.h"
#include "delta/snapshot.h"
#include "delta/table_changes.h"
#include "expr/parser.h"

namespace cpglake::cli {

namespace {

using nlohmann::ordered_json;

struct TableArgs {
  std::string path;
  int64_t version = -1;
  std::string timestamp;
};

std::shared_ptr<const delta::Snapshot> OpenAt(const TableArgs& a) {
  delta::SnapshotBuilder b(storage::OpenObjectStore(a.path));
  if (a.version >= 0 && !a.timestamp.empty()) {
    throw InvalidInput("give --version or --timestamp, not both");
  }
  if (a.version >= 0) b.AtVersion(a.version);
  if (!a.timestamp.empty()) b.AtTimestamp(delta::ParseTimestampMs(a.timestamp));
  return b.Build();
}

void AddTableOptions(CLI::App* cmd, TableArgs& a) {
  cmd->add_option("PATH", a.path, "Delta table directory (or file:// URI)")->required();
  cmd->add_option("--version", a.version, "Read the table as of this version");
  cmd->add_option("--timestamp", a.timestamp,
                  "Read the table as of this time (YYYY-MM-DD[THH:MM:SS[.fff]][Z|+HH:MM], UTC)");
}

ordered_json ProtocolJson(const delta::Protocol& p) {
  ordered_json j{{"min_reader_version", p.min_reader_version},
                 {"min_writer_version", p.min_writer_version}};
  if (p.reader_features) j["reader_features"] = *p.reader_features;
  if (p.writer_features) j["writer_features"] = *p.writer_features;
  return j;
}

int RunDescribe(const TableArgs& a, const GlobalOptions& g) {
  auto snap = OpenAt(a);
  const auto& md = snap->metadata();
  ordered_json j;
  j["path"] = a.path;
  j["version"] = snap->version();
  j["timestamp"] = columnar::FormatTimestamp(snap->timestamp_ms() * 1000, true);
  j["id"] = md.id;
  if (md.name) j["name"] = *md.name;
  if (md.description) j["description"] = *md.description;
  j["protocol"] = ProtocolJson(snap->protocol());
  auto& cols = j["schema"] = ordered_json::array();
  for (const auto& f : snap->schema().fields()) {
    cols.push_back({{"name", f.name}, {"type", f.type->ToString()}, {"nullable", f.nullable}});
  }
  j["partition_columns"] = md.partition_columns;
  j["properties"] = md.configuration;
  j["num_files"] = snap->files().size();
  if (auto rows = snap->total_rows()) j["num_rows"] = *rows;
  j["size_bytes"] = snap->total_bytes();
  if (snap->log_segment().checkpoint_version) {
    j["checkpoint_version"] = *snap->log_segment().checkpoint_version;
  }
  if (g.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("table:       %s\nversion:     %lld (%s)\nid:          %s\n", a.path.c_str(),
              static_cast<long long>(snap->version()), j["timestamp"].get<std::string>().c_str(),
              md.id.c_str());
  std::printf("protocol:    reader %d, writer %d", snap->protocol().min_reader_version,
              snap->protocol().min_writer_version);
  if (snap->protocol().reader_features || snap->protocol().writer_features) {
    std::string feats;
    for (const auto& f : snap->protocol().writer_features.value_or(std::vector<std::string>{})) {
      feats += (feats.empty() ? "" : ", ") + f;
    }
    std::printf(" (features: %s)", feats.c_str());
  }
  std::printf("\nfiles:       %zu, %lld bytes", snap->files().size(),
              static_cast<long long>(snap->total_bytes()));
  if (auto rows = snap->total_rows()) std::printf(", %lld rows", static_cast<long long>(*rows));
  std::printf("\n");
  if (!md.partition_columns.empty()) {
    std::string p;
    for (const auto& c : md.partition_columns) p += (p.empty() ? "" : ", ") + c;
    std::printf("partitioned: %s\n", p.c_str());
  }
  for (const auto& [k, v] : md.configuration)
    std::printf("property:    %s = %s\n", k.c_str(), v.c_str());
  std::printf("\nschema:\n%s", snap->schema().ToString().c_str());
  return 0;
}

int RunHistory(const std::string& path, int64_t limit, const GlobalOptions& g) {
  auto store = storage::OpenObjectStore(path);
  auto seg = delta::BuildLogSegment(*store, std::nullopt);
  int64_t from = limit > 0 ? std::max<int64_t>(0, seg.version - limit + 1) : 0;
  auto history = delta::ReadHistory(*store, seg, from, seg.version);
  if (g.json) {
    ordered_json arr = ordered_json::array();
    for (const auto& e : history) {
      ordered_json j{{"version", e.version},
                     {"timestamp", columnar::FormatTimestamp(e.timestamp_ms * 1000, true)}};
      if (e.commit_info) {
        j["commit_info"] = ordered_json::parse(e.commit_info->json, nullptr, false);
      }
      arr.push_back(j);
    }
    std::printf("%s\n", arr.dump(2).c_str());
    return 0;
  }
  for (const auto& e : history) {
    std::string op = e.commit_info && e.commit_info->operation ? *e.commit_info->operation : "";
    std::printf("%-8lld %-28s %s\n", static_cast<long long>(e.version),
                columnar::FormatTimestamp(e.timestamp_ms * 1000, true).c_str(), op.c_str());
  }
  return 0;
}

int RunScan(const TableArgs& a, const std::string& columns, const std::string& where, int64_t limit,
            bool count, const std::string& format, const GlobalOptions& g) {
  RowFormat fmt = ParseRowFormat(format);
  auto snap = OpenAt(a);
  delta::ScanBuilder b(snap);
  if (!columns.empty()) b.WithColumns(SplitComma(columns));
  if (!where.empty()) b.WithPredicate(expr::ParsePredicate(where));
  auto scan = b.Build();
  if (count) {
    int64_t n = 0;
    scan.Execute([&](const columnar::RecordBatch& batch) { n += batch.num_rows(); });
    if (g.json) {
      const auto& m = scan.metrics();
      ordered_json j{{"count", n},
                     {"files_total", m.files_total},
                     {"files_skipped_by_partition", m.files_skipped_by_partition},
                     {"files_skipped_by_stats", m.files_skipped_by_stats},
                     {"files_read", m.files_read},
                     {"row_groups_read", m.row_groups_read},
                     {"row_groups_skipped", m.row_groups_skipped},
                     {"row_groups_skipped_by_bloom", m.row_groups_skipped_by_bloom},
                     {"row_groups_not_materialized", m.row_groups_not_materialized},
                     {"rows_deleted_by_dv", m.rows_deleted_by_dv}};
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("%lld\n", static_cast<long long>(n));
    }
    return 0;
  }
  RowPrinter printer(fmt, stdout);
  int64_t printed = 0;
  bool header = false;
  // Thrown by the sink once --limit rows are printed: the scan stops reading.
  struct LimitReached {};
  try {
    scan.Execute([&](const columnar::RecordBatch& batch) {
      int64_t n = batch.num_rows();
      if (limit >= 0) n = std::min(n, limit - printed);
      if (n > 0 || !header) printer.Print(batch, 0, n);
      header = true;
      printed += n;
      if (limit >= 0 && printed >= limit) throw LimitReached{};
    });
  } catch (const LimitReached&) {
  }
  if (!header) printer.Print(columnar::RecordBatch::MakeEmpty(scan.schema()));
  printer.Finish();
  return 0;
}

int RunChanges(const std::string& path, const std::string& from, const std::string& to,
               const std::string& format) {
  RowFormat fmt = ParseRowFormat(format);
  auto store = storage::OpenObjectStore(path);
  auto is_version = [](const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
  };
  std::optional<delta::TableChanges> changes;
  if (is_version(from) && (to.empty() || is_version(to))) {
    changes.emplace(store, std::stoll(from),
                    to.empty() ? std::nullopt : std::optional<int64_t>(std::stoll(to)));
  } else {
    changes.emplace(delta::TableChanges::FromTimestamps(
        store, delta::ParseTimestampMs(from),
        to.empty() ? std::nullopt : std::optional<int64_t>(delta::ParseTimestampMs(to))));
  }
  RowPrinter printer(fmt, stdout);
  bool any = false;
  changes->Execute([&](const columnar::RecordBatch& b) {
    printer.Print(b);
    any = true;
  });
  if (!any) printer.Print(columnar::RecordBatch::MakeEmpty(changes->schema()));
  printer.Finish();
  return 0;
}

}  // namespace

void RegisterDeltaCommands(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* d = app.add_subcommand("delta", "Read, inspect and write Delta tables");
  d->require_subcommand(1);
  d->fallthrough();
  static TableArgs args;
  static std::string columns, where, format = "table";
  static int64_t limit = -1, history_limit = 0;
  static bool count = false;

  auto* describe = d->add_subcommand(
      "describe", "Version, protocol and features, schema, partitioning, properties, size");
  AddTableOptions(describe, args);
  describe->callback([&] { action = [&] { return RunDescribe(args, global); }; });

  auto* history =
      d->add_subcommand("history", "Commits with timestamps and operations, newest first");
  history->add_option("PATH", args.path, "Delta table directory")->required();
  history->add_option("--limit", history_limit, "Show at most N commits");
  history->callback([&] { action = [&] { return RunHistory(args.path, history_limit, global); }; });

  static std::string from, to;
  auto* changes = d->add_subcommand(
      "changes", "Row-level changes (change data feed) between versions or timestamps");
  changes->add_option("PATH", args.path, "Delta table directory")->required();
  changes->add_option("--from", from, "First version (or timestamp) to include")->required();
  changes->add_option("--to", to, "Last version (or timestamp) to include (default: latest)");
  changes->add_option("--format", format, "table, csv or jsonl")->capture_default_str();
  changes->callback([&] { action = [&] { return RunChanges(args.path, from, to, format); }; });

  auto* scan = d->add_subcommand("scan", "Print the rows of a table (optionally filtered)");
  AddTableOptions(scan, args);
  scan->add_option("--columns", columns, "Comma-separated columns to print");
  scan->add_option("--where", where, "Predicate, e.g. \"kind = 'CALL' AND bstart > 100\"");
  scan->add_option("--limit", limit, "Print at most N rows");
  scan->add_flag("--count", count, "Print the number of matching rows only");
  scan->add_option("--format", format, "table, csv or jsonl")->capture_default_str();
  scan->callback([&] {
    action = [&] { return RunScan(args, columns, where, limit, count, format, global); };
  });
  RegisterDeltaWriteCommands(d, global, action);
  RegisterDeltaMaintenanceCommands(d, global, action);
  RegisterDeltaDmlCommands(d, global, action);
}

}  // namespace cpglake::cli
