// sql/ — SQL over Delta tables: an in-memory SQLite connection whose tables are Delta
// snapshots (the `delta` virtual-table module, delta_vtab.h), with projection and predicate
// pushdown to Delta file skipping and Parquet row-group skipping, time travel through
// hidden columns, and INSERT / CREATE TABLE AS SELECT committed as Delta transactions.
// It may call catalog/ and everything below it; the CLI (`cpglake query`) calls it.
// docs/sql.md is the user's guide.
//
// Safety: a Database never changes a Delta table except through a write statement the user
// ran (INSERT into a registered table, CREATE TABLE AS SELECT under write_root). ATTACH,
// DETACH, extension loading and PRAGMAs that set values are refused; DROP TABLE of a Delta
// table only forgets the registration; UPDATE and DELETE are refused.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/dataset_registry.h"
#include "catalog/export.h"
#include "catalog/output_policy.h"
#include "delta/scan.h"
#include "sql/delta_vtab.h"
#include "sql/value.h"

struct sqlite3;
struct sqlite3_stmt;

namespace cpglake::sql {

struct DatabaseOptions {
  // Directory under which CREATE TABLE name AS SELECT creates the Delta table `name`
  // (WRITE_ROOT/name); CTAS is refused when empty.
  std::string write_root;
  TableOptions tables;  // scan threads, Parquet writer options of INSERT and CTAS
  // The gate `COPY (query) TO 'path' [(FORMAT delta|parquet)]` passes (catalog/
  // output_policy.h): Delta targets pass; Parquet ones only when the policy allows them,
  // otherwise `on_refused_sink` is told and the statement fails.
  catalog::OutputStoragePolicy output_policy;
  catalog::RefusedSinkCallback on_refused_sink;
};

// The header of a result: column names and declared types ("" for expressions).
struct ResultColumns {
  std::vector<std::string> names;
  std::vector<std::string> declared_types;
};

struct QueryResult {
  ResultColumns columns;
  std::vector<std::vector<Value>> rows;
};

// Called once per result row of a statement. Rows of a statement that returns none are not
// reported; the columns are those of the statement producing the row.
using RowCallback = std::function<void(const ResultColumns&, const std::vector<Value>&)>;

class Database {
 public:
  explicit Database(DatabaseOptions options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Registers the Delta table at `location` as the virtual table `sql_name` (its snapshot
  // is opened now: NotFound when the table or the pinned version does not exist).
  // InvalidInput for a Parquet location or a name already in use.
  void RegisterTable(const std::string& sql_name, const catalog::DatasetLocation& location);
  // Registers every Delta dataset of the registry whose table exists, as the dataset name
  // with '/' replaced by '_' (`_cpglake/builds` → `_cpglake_builds`). Returns the SQL names.
  std::vector<std::string> RegisterRegistry(const catalog::DatasetRegistry& registry);
  // Moves every unpinned table to its latest version (tables otherwise keep the snapshot
  // opened at registration, or the version their last INSERT committed). Returns the names.
  std::vector<std::string> Refresh();

  // Runs every statement of `sql` in order, reporting rows to `on_row`. Statements of the
  // form CREATE TABLE [IF NOT EXISTS] name AS SELECT ... create a Delta table (see
  // DatabaseOptions::write_root). Errors: InvalidInput carrying SQLite's message for bad
  // SQL; errors raised inside the Delta tables keep their category (a missing version is
  // NotFound), with SQLite's message. Statements before the failing one stay applied.
  void Execute(const std::string& sql, const RowCallback& on_row = nullptr);
  // Statements of the form COPY (SELECT ...) TO 'path' [(FORMAT delta|parquet)] write the
  // query's rows to a new Delta table (the default) or Parquet files through the export
  // module, after the output storage policy's gate (DatabaseOptions::output_policy).
  //
  // Execute, collecting the rows of the last statement that returned any.
  QueryResult Query(const std::string& sql);
  // EXPLAIN QUERY PLAN of one statement: one line per plan node, indented by depth.
  std::string ExplainPlan(const std::string& sql);

  // Scans run by the last Execute / Query (xFilter calls, Delta scan metrics).
  const SqlScanMetrics& last_metrics() const { return context_->metrics(); }

  // What the last COPY statement wrote.
  const std::optional<catalog::ExportResult>& last_copy() const { return last_copy_; }

  // The SQLite connection (owned by this object).
  sqlite3* handle() const { return db_; }

 private:
  void Run(const std::string& sql, const RowCallback& on_row, QueryResult* last);
  void ExecuteOne(const char* sql, const char** tail, const RowCallback& on_row, QueryResult* last);
  bool TryCreateTableAs(const char* sql, const char** tail);
  bool TryCopy(const char* sql, const char** tail);
  // Runs a prepared SELECT to the end and returns its rows as one batch (types from the
  // declared types, else from the first non-null value; `what` names the statement in errors).
  columnar::RecordBatch ResultBatch(sqlite3_stmt* stmt, const std::string& what, const char* sql);
  [[noreturn]] void ThrowSqliteError(const std::string& context_text);
  bool TableNameInUse(const std::string& name);

  DatabaseOptions options_;
  std::unique_ptr<DeltaModuleContext> context_;
  std::unique_ptr<std::string> deny_reason_;  // why the authorizer refused (its user data)
  sqlite3* db_ = nullptr;
  std::optional<catalog::ExportResult> last_copy_;
};

// A name as an SQL identifier ("a""b" quoting).
std::string QuoteIdentifier(const std::string& name);

}  // namespace cpglake::sql
