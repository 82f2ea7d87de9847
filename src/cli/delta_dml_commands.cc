// `cpglake delta delete|update|merge`: DML on Delta tables (delta/dml.h).
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/error.h"
#include "delta/dml.h"
#include "parquet/file_reader.h"
#include "storage/object_store.h"

namespace cpglake::cli {

namespace {

using nlohmann::ordered_json;

std::map<std::string, std::string> Assignments(const std::vector<std::string>& items,
                                               const char* what) {
  std::map<std::string, std::string> out;
  for (const auto& s : items) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw InvalidInput(std::string(what) + " '" + s + "' is not of the form column=expression");
    }
    std::string col = s.substr(0, eq);
    while (!col.empty() && col.back() == ' ') col.pop_back();
    out[col] = s.substr(eq + 1);
  }
  return out;
}

void PrintDml(const char* op, const delta::DmlResult& r, const std::string& path,
              const GlobalOptions& g) {
  const auto& m = r.metrics;
  if (g.json) {
    ordered_json j;
    j["path"] = path;
    j["operation"] = op;
    j["committed"] = r.committed;
    j["version"] = r.version;
    j["strategy"] = r.deletion_vectors ? "deletion_vectors" : "copy_on_write";
    j["attempts"] = r.attempts;
    j["metrics"] = ordered_json{{"files_considered", m.files_considered},
                                {"files_skipped", m.files_skipped},
                                {"files_read", m.files_read},
                                {"files_touched", m.files_touched},
                                {"row_groups_skipped", m.row_groups_skipped},
                                {"files_added", m.files_added},
                                {"files_removed", m.files_removed},
                                {"bytes_added", m.bytes_added},
                                {"bytes_removed", m.bytes_removed},
                                {"rows_deleted", m.rows_deleted},
                                {"rows_updated", m.rows_updated},
                                {"rows_inserted", m.rows_inserted},
                                {"rows_copied", m.rows_copied},
                                {"deletion_vectors_added", m.deletion_vectors_added},
                                {"deletion_vectors_removed", m.deletion_vectors_removed},
                                {"dv_bytes", m.dv_bytes},
                                {"cdc_files_added", m.cdc_files_added},
                                {"time_ms", m.time_ms},
                                {"scan_time_ms", m.scan_time_ms},
                                {"rewrite_time_ms", m.rewrite_time_ms}};
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  if (g.quiet) return;
  if (!r.committed) {
    std::printf("%s: no rows changed; table at version %lld\n", op,
                static_cast<long long>(r.version));
    return;
  }
  std::printf(
      "%s version %lld (%s): %lld deleted, %lld updated, %lld inserted; %lld of %lld files read, "
      "+%lld files, -%lld files, %lld deletion vectors\n",
      op, static_cast<long long>(r.version),
      r.deletion_vectors ? "deletion vectors" : "copy-on-write",
      static_cast<long long>(m.rows_deleted), static_cast<long long>(m.rows_updated),
      static_cast<long long>(m.rows_inserted), static_cast<long long>(m.files_read),
      static_cast<long long>(m.files_considered), static_cast<long long>(m.files_added),
      static_cast<long long>(m.files_removed), static_cast<long long>(m.deletion_vectors_added));
}

struct DmlArgs {
  std::string path, where;
  bool all = false;
  std::vector<std::string> set;
  // merge
  std::string source, on, schema_mode, source_alias = "source", target_alias = "target";
  std::vector<std::string> clauses;  // in command-line order, "kind\x1fcondition"
};

delta::DmlOptions Options() {
  return {};
}

}  // namespace

void RegisterDeltaDmlCommands(CLI::App* d, GlobalOptions& global, Action& action) {
  static DmlArgs del;
  auto* dc = d->add_subcommand("delete", "Delete the rows matching a predicate (one commit)");
  dc->add_option("PATH", del.path, "Delta table directory")->required();
  dc->add_option("--where", del.where, "Rows to delete, e.g. \"file_id = 'a.py'\"");
  dc->add_flag("--all", del.all, "Delete every row");
  dc->callback([&] {
    action = [&] {
      auto store = storage::OpenObjectStore(del.path);
      if (del.all && !del.where.empty()) throw InvalidInput("give --where or --all, not both");
      if (!del.all && del.where.empty()) {
        throw InvalidInput("delete needs --where PREDICATE (or --all to delete every row)");
      }
      auto r =
          del.all ? delta::DeleteAll(store, Options()) : delta::Delete(store, del.where, Options());
      PrintDml("DELETE", r, del.path, global);
      return 0;
    };
  });

  static DmlArgs up;
  auto* uc = d->add_subcommand("update", "Set columns of the rows matching a predicate");
  uc->add_option("PATH", up.path, "Delta table directory")->required();
  uc->add_option("--set", up.set, "column=EXPRESSION (repeatable), e.g. --set \"v=v+1\"")
      ->required();
  uc->add_option("--where", up.where, "Rows to update (default: every row)");
  uc->callback([&] {
    action = [&] {
      auto r = delta::Update(storage::OpenObjectStore(up.path), up.where,
                             Assignments(up.set, "--set"), Options());
      PrintDml("UPDATE", r, up.path, global);
      return 0;
    };
  });

  static DmlArgs mg;
  auto* mc = d->add_subcommand(
      "merge", "Merge a Parquet file into a table; WHEN clauses are applied in the order given");
  mc->add_option("PATH", mg.path, "Delta table directory")->required();
  mc->add_option("--source", mg.source, "Source rows (.parquet)")->required();
  mc->add_option("--on", mg.on, "Join condition, e.g. \"target.id = source.id\"")->required();
  mc->add_option("--schema-mode", mg.schema_mode, "merge: add the source's new columns");
  mc->add_option("--source-alias", mg.source_alias, "Name of the source in expressions")
      ->capture_default_str();
  mc->add_option("--target-alias", mg.target_alias, "Name of the table in expressions")
      ->capture_default_str();
  // Each clause option takes an optional condition; their order on the command line is kept.
  auto clause = [&](const char* name, const char* kind, const char* help) {
    mc->add_option_function<std::vector<std::string>>(
          name,
          [kind](const std::vector<std::string>& v) {
            mg.clauses.push_back(std::string(kind) + "\x1f" + (v.empty() ? "" : v.front()));
          },
          help)
        ->expected(0, 1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->trigger_on_parse();
  };
  clause("--when-matched-update-all", "mua", "Update every column from the source [COND]");
  clause("--when-matched-delete", "md", "Delete matched target rows [COND]");
  clause("--when-not-matched-insert-all", "nia", "Insert unmatched source rows [COND]");
  clause("--when-not-matched-by-source-delete", "nbsd",
         "Delete target rows no source row matches [COND]");
  static std::vector<std::string> mu_set;
  mc->add_option("--when-matched-update", mu_set,
                 "column=EXPRESSION for a matched update (repeatable; one clause, placed after "
                 "the clauses above)");
  mc->callback([&] {
    action = [&] {
      std::vector<delta::MergeClause> clauses;
      for (const auto& c : mg.clauses) {
        const auto sep = c.find('\x1f');
        const std::string kind = c.substr(0, sep), cond = c.substr(sep + 1);
        std::optional<std::string> condition;
        if (!cond.empty()) condition = cond;
        if (kind == "mua") clauses.push_back(delta::WhenMatchedUpdateAll(condition));
        if (kind == "md") clauses.push_back(delta::WhenMatchedDelete(condition));
        if (kind == "nia") clauses.push_back(delta::WhenNotMatchedInsertAll(condition));
        if (kind == "nbsd") clauses.push_back(delta::WhenNotMatchedBySourceDelete(condition));
      }
      if (!mu_set.empty()) {
        clauses.push_back(delta::WhenMatchedUpdate(Assignments(mu_set, "--when-matched-update")));
      }
      if (clauses.empty()) throw InvalidInput("merge needs at least one --when-... clause");
      delta::MergeOptions o;
      o.schema_mode = delta::ParseSchemaMode(mg.schema_mode);
      o.source_alias = mg.source_alias;
      o.target_alias = mg.target_alias;
      std::shared_ptr<parquet::ParquetFileReader> reader =
          parquet::ParquetFileReader::OpenPath(mg.source);
      int next = 0;
      auto r = delta::Merge(
          storage::OpenObjectStore(mg.path), reader->schema(),
          [&]() -> std::optional<columnar::RecordBatch> {
            if (next >= reader->num_row_groups()) return std::nullopt;
            return reader->ReadRowGroup(next++);
          },
          mg.on, clauses, o);
      PrintDml("MERGE", r, mg.path, global);
      return 0;
    };
  });
}

}  // namespace cpglake::cli
