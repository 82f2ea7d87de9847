// `cpglake query OUT [SQL]`: SQL over a build output (pinned to one build), an interactive
// shell when no SQL is given; and the named queries `callers`, `callees`, `imports`.
#include <editline/readline.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/sql_output.h"
#include "common/error.h"
#include "pipeline/config.h"
#include "pipeline/output_query.h"
#include "sql/graph_queries.h"

namespace cpglake::cli {

namespace {

struct QueryFlags {
  std::string out;
  std::string sql;
  std::string format;  // "" → table on a terminal, else per --json / table
  std::string build;
  std::string config;
  bool timer = false;
  bool base_tables = false;  // callers/callees: never the derived tables
};

pipeline::OutputDatabase Open(const QueryFlags& f, const GlobalOptions& g) {
  pipeline::OutputQueryOptions o;
  o.out = f.out;
  if (!f.build.empty()) o.build_id = f.build;
  // The output storage policy (may SQL COPY write Parquet?) from cpglake.toml — --config, or
  // the one in the repository the output belongs to (OUT/..) — and CPGLAKE_* variables.
  pipeline::LoadConfigOptions lo;
  lo.repo = std::filesystem::path(f.out).lexically_normal().parent_path().string();
  if (!f.config.empty()) lo.config_file = f.config;
  lo.env = pipeline::CpglakeEnvironment();
  o.output_policy = pipeline::LoadConfig(lo).OutputPolicy();
  auto opened = pipeline::OpenOutputDatabase(o);
  if (!g.quiet) {
    for (const auto& w : opened.warnings) std::fprintf(stderr, "cpglake: warning: %s\n", w.c_str());
  }
  return opened;
}

SqlFormat FormatOf(const QueryFlags& f, const GlobalOptions& g) {
  if (!f.format.empty()) return ParseSqlFormat(f.format);
  return g.json ? SqlFormat::kJson : SqlFormat::kTable;
}

// Runs `sql` printing every result row; returns the number of rows.
int64_t RunSql(sql::Database& db, const std::string& text, SqlFormat format) {
  SqlRowPrinter printer(format, stdout);
  db.Execute(text, [&](const sql::ResultColumns& c, const std::vector<sql::Value>& row) {
    printer.Row(c, row);
  });
  printer.Finish();
  return printer.rows();
}

std::string HistoryPath() {
  const char* home = std::getenv("HOME");
  return home ? std::string(home) + "/.cpglake_history" : std::string();
}

constexpr const char* kShellHelp =
    "Enter SQL statements terminated by ';' (they may span lines). Commands:\n"
    "  .tables            the registered tables and their pinned versions\n"
    "  .schema [TABLE]    the columns of one table (or of all)\n"
    "  .build             the build the tables are pinned to\n"
    "  .format FMT        table | csv | jsonl | json\n"
    "  .timer on|off      print the time of each statement\n"
    "  .refresh           move unpinned tables to their latest versions\n"
    "  .help              this text\n"
    "  .quit              leave (also Ctrl-D)\n"
    "Time travel: SELECT ... FROM cpg_nodes(3) reads version 3 (docs/sql.md).\n";

void PrintTables(const pipeline::OutputDatabase& o) {
  for (const auto& [name, version] : o.tables) {
    if (version >= 0) {
      std::printf("%-24s version %lld\n", name.c_str(), static_cast<long long>(version));
    } else {
      std::printf("%-24s latest\n", name.c_str());
    }
  }
}

void PrintSchema(sql::Database& db, const std::string& table) {
  const std::string q =
      table.empty()
          ? "SELECT name, sql FROM sqlite_schema WHERE type IN ('table','view') ORDER BY name"
          : "SELECT name, sql FROM sqlite_schema WHERE name = " + sql::QuoteLiteral(table);
  auto r = db.Query(q);
  if (r.rows.empty() && !table.empty()) {
    std::printf("no table named %s (see .tables)\n", table.c_str());
    return;
  }
  for (const auto& row : r.rows) {
    // Virtual tables show their declaration; list the columns with their types instead.
    const std::string name = sql::FormatValue(row[0]);
    auto cols = db.Query("SELECT name, type, hidden FROM pragma_table_xinfo(" +
                         sql::QuoteLiteral(name) + ")");
    std::printf("%s(\n", name.c_str());
    for (size_t i = 0; i < cols.rows.size(); ++i) {
      const auto& c = cols.rows[i];
      const bool hidden = std::get<int64_t>(c[2]) != 0;
      std::printf("  %s %s%s%s\n", sql::FormatValue(c[0]).c_str(), sql::FormatValue(c[1]).c_str(),
                  hidden ? " HIDDEN" : "", i + 1 < cols.rows.size() ? "," : "");
    }
    std::printf(")\n");
  }
}

int RunShell(pipeline::OutputDatabase& o, SqlFormat format, bool timer) {
  const bool tty = IsTerminal(stdin);
  const std::string history = HistoryPath();
  if (tty) {
    using_history();
    if (!history.empty()) read_history(history.c_str());
    std::printf("cpglake query shell on %s", o.build ? "build " : "");
    if (o.build) std::printf("%s", o.build->build_id.c_str());
    std::printf(" — .help for help, .quit to leave\n");
  }
  std::string pending;
  int status = 0;
  while (true) {
    char* raw = nullptr;
    std::string line;
    if (tty) {
      raw = readline(pending.empty() ? "cpglake> " : "    ...> ");
      if (!raw) break;
      line = raw;
      std::free(raw);
    } else {
      char buf[4096];
      if (!std::fgets(buf, sizeof buf, stdin)) break;
      line = buf;
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      while (!std::feof(stdin) && std::strlen(buf) == sizeof buf - 1 &&
             buf[sizeof buf - 2] != '\n') {
        if (!std::fgets(buf, sizeof buf, stdin)) break;
        std::string more = buf;
        while (!more.empty() && (more.back() == '\n' || more.back() == '\r')) more.pop_back();
        line += more;
      }
    }
    if (pending.empty()) {
      size_t start = line.find_first_not_of(" \t");
      if (start == std::string::npos) continue;
      if (line[start] == '.') {
        if (tty) add_history(line.c_str());
        std::string cmd = line.substr(start);
        std::string arg;
        if (auto sp = cmd.find_first_of(" \t"); sp != std::string::npos) {
          arg = cmd.substr(cmd.find_first_not_of(" \t", sp) == std::string::npos
                               ? cmd.size()
                               : cmd.find_first_not_of(" \t", sp));
          cmd = cmd.substr(0, sp);
        }
        while (!arg.empty() && (arg.back() == ' ' || arg.back() == ';')) arg.pop_back();
        try {
          if (cmd == ".quit" || cmd == ".exit") break;
          if (cmd == ".help") {
            std::printf("%s", kShellHelp);
          } else if (cmd == ".tables") {
            PrintTables(o);
          } else if (cmd == ".schema") {
            PrintSchema(*o.db, arg);
          } else if (cmd == ".build") {
            if (o.build) {
              std::printf("%s\n", pipeline::BuildRecordJson(*o.build).c_str());
            } else {
              std::printf("no build manifest: tables at their latest versions\n");
            }
          } else if (cmd == ".format") {
            format = ParseSqlFormat(arg);
          } else if (cmd == ".timer") {
            timer = arg == "on";
          } else if (cmd == ".refresh") {
            for (const auto& n : o.db->Refresh()) std::printf("refreshed %s\n", n.c_str());
          } else {
            std::fprintf(stderr, "unknown command %s (.help lists them)\n", cmd.c_str());
            status = 2;
          }
        } catch (const Error& e) {
          std::fprintf(stderr, "error: %s\n", e.what());
          status = 2;
        }
        continue;
      }
    }
    pending += line;
    pending += '\n';
    if (!sqlite3_complete(pending.c_str())) continue;
    if (tty) {
      std::string entry = pending;
      while (!entry.empty() && entry.back() == '\n') entry.pop_back();
      add_history(entry.c_str());
    }
    const auto t0 = std::chrono::steady_clock::now();
    try {
      RunSql(*o.db, pending, format);
    } catch (const Error& e) {
      std::fflush(stdout);
      std::fprintf(stderr, "error: %s\n", e.what());
      status = 2;
    }
    if (timer) {
      std::printf("time: %.3f s\n",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    pending.clear();
  }
  if (!pending.empty() && !pending.find_first_not_of(" \t\n")) {
    std::fprintf(stderr, "error: incomplete statement at end of input (missing ';')\n");
    status = 2;
  }
  if (tty && !history.empty()) write_history(history.c_str());
  // Piped input: like sqlite3, the exit status says whether every statement succeeded.
  return tty ? 0 : status;
}

void AddCommon(CLI::App* c, QueryFlags& f) {
  c->add_option("OUT", f.out, "Build output directory (cpglake build -o)")->required();
  c->add_option("--format", f.format,
                "Output: table (default), csv, jsonl or json (the default with --json)");
  c->add_option("--build", f.build,
                "Query the tables of this build (id or unique prefix; default: the latest "
                "successful build)");
  c->add_flag("--timer", f.timer, "Print how long the query took (stderr)");
  c->add_option("--config", f.config,
                "cpglake.toml to read [output] allow_parquet_exports from (default: the one in "
                "OUT's parent, the repository)");
}

// Runs the named query `make(derived)`: `derived` when the output has `derived_table` (a
// derived table the query can read instead of the base tables) and --base-tables is not set.
int RunNamed(const QueryFlags& f, const GlobalOptions& g,
             const std::function<std::string(bool derived)>& make,
             const char* derived_table = nullptr) {
  auto o = Open(f, g);
  const bool derived =
      derived_table != nullptr && !f.base_tables && o.tables.count(derived_table) > 0;
  const auto t0 = std::chrono::steady_clock::now();
  RunSql(*o.db, make(derived), FormatOf(f, g));
  if (f.timer) {
    std::fprintf(stderr, "time: %.3f s\n",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return 0;
}

}  // namespace

void RegisterQueryCommands(CLI::App& app, GlobalOptions& global, Action& action) {
  static QueryFlags query_flags;
  auto* q = app.add_subcommand(
      "query",
      "SQL over a build output (tables pinned to one build); an interactive shell without SQL");
  AddCommon(q, query_flags);
  q->add_option("SQL", query_flags.sql,
                "SQL statements (';'-separated); read from the shell or stdin when omitted");
  q->footer(
      "Tables: cpg_nodes, cpg_edges, cpg_props, _cpglake_repo_files, _cpglake_builds, "
      "_cpglake_diagnostics.\n"
      "Time travel: FROM cpg_nodes(3) (version) or WHERE delta_timestamp = '...'.\n"
      "Writes: INSERT INTO a table created with CREATE TABLE name AS SELECT (a new Delta table "
      "OUT/name).\nThe graph tables are pinned to a build and read-only.\n"
      "Export: COPY (SELECT ...) TO 'path' [(FORMAT delta|parquet)] writes a new Delta table; "
      "Parquet only when\n[output] allow_parquet_exports = true (refusals are recorded in "
      "_cpglake_diagnostics). See docs/sql.md.");
  q->callback([&] {
    action = [&] {
      auto o = Open(query_flags, global);
      const SqlFormat format = FormatOf(query_flags, global);
      if (query_flags.sql.empty()) return RunShell(o, format, query_flags.timer);
      const auto t0 = std::chrono::steady_clock::now();
      RunSql(*o.db, query_flags.sql, format);
      if (query_flags.timer) {
        std::fprintf(stderr, "time: %.3f s\n",
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      return 0;
    };
  });

  static QueryFlags callers_flags, callees_flags, imports_flags;
  static std::string callers_name, callees_name, imports_module;
  static bool imports_reverse = false;
  auto* callers = app.add_subcommand(
      "callers", "Who calls a function, method or class (by qualified name, e.g. pkg.mod.f)");
  AddCommon(callers, callers_flags);
  callers->add_option("QUALNAME", callers_name, "Qualified name (also outside names: os.path.join)")
      ->required();
  callers->add_flag("--base-tables", callers_flags.base_tables,
                    "Read cpg_nodes and cpg_edges even when the output has cpg_edges_by_dst");
  callers->callback([&] {
    action = [&] {
      return RunNamed(
          callers_flags, global,
          [&](bool derived) { return sql::CallersQuery(callers_name, derived); },
          "cpg_edges_by_dst");
    };
  });
  auto* callees =
      app.add_subcommand("callees", "What a function or method calls (by qualified name)");
  AddCommon(callees, callees_flags);
  callees->add_option("QUALNAME", callees_name, "Qualified name, e.g. pkg.mod.Class.method")
      ->required();
  callees->add_flag("--base-tables", callees_flags.base_tables,
                    "Read cpg_nodes and cpg_edges even when the output has cpg_edges_by_src");
  callees->callback([&] {
    action = [&] {
      return RunNamed(
          callees_flags, global,
          [&](bool derived) { return sql::CalleesQuery(callees_name, derived); },
          "cpg_edges_by_src");
    };
  });
  auto* imports = app.add_subcommand(
      "imports", "What a module imports (or, with --reverse, which modules import it)");
  AddCommon(imports, imports_flags);
  imports->add_option("MODULE", imports_module, "Dotted module name, e.g. email.utils")->required();
  imports->add_flag("--reverse", imports_reverse, "Which modules import MODULE or names from it");
  imports->callback([&] {
    action = [&] {
      return RunNamed(imports_flags, global,
                      [&](bool) { return sql::ImportsQuery(imports_module, imports_reverse); });
    };
  });
}

}  // namespace cpglake::cli
