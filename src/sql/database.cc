#include "sql/database.h"

#include <sqlite3.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "catalog/export.h"
#include "common/error.h"
#include "delta/writer.h"
#include "sql/type_mapping.h"
#include "storage/object_store.h"

namespace cpglake::sql {

using columnar::DataType;
using columnar::Field;
using columnar::TypePtr;

namespace {

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

[[noreturn]] void ThrowCategory(ErrorCategory c, const std::string& m) {
  switch (c) {
    case ErrorCategory::kInvalidInput:
      throw InvalidInput(m);
    case ErrorCategory::kIo:
      throw IoError(m);
    case ErrorCategory::kNotFound:
      throw NotFound(m);
    case ErrorCategory::kCorruptData:
      throw CorruptData(m);
    case ErrorCategory::kUnsupported:
      throw Unsupported(m);
    case ErrorCategory::kCommitConflict:
      throw CommitConflict(m);
    case ErrorCategory::kInternal:
      throw InternalError(m);
  }
  throw InternalError(m);
}

// Pragmas that only read, even with an argument (the argument names a table or index).
bool IsReadOnlyPragma(const char* name) {
  static const std::set<std::string> kReadOnly = {
      "table_info",     "table_xinfo",      "table_list",    "index_list",      "index_info",
      "index_xinfo",    "foreign_key_list", "function_list", "module_list",     "pragma_list",
      "collation_list", "database_list",    "quick_check",   "integrity_check", "compile_options"};
  std::string n = name ? name : "";
  for (auto& ch : n) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return kReadOnly.count(n) > 0;
}

// The Delta type a CTAS result column gets from its declared type (nullptr: decide by value).
TypePtr TypeFromDeclared(const char* declared) {
  if (declared == nullptr) return nullptr;
  std::string d = declared;
  for (auto& ch : d) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (d == "BOOLEAN") return DataType::Boolean();
  if (d == "DATE_TEXT") return DataType::Date();
  if (d == "TIMESTAMP_TEXT") return DataType::Timestamp();
  if (d == "TIMESTAMP_NTZ_TEXT") return DataType::TimestampNtz();
  if (d.rfind("DECIMAL_TEXT(", 0) == 0) {
    int p = 0, s = 0;
    if (std::sscanf(d.c_str(), "DECIMAL_TEXT(%d,%d)", &p, &s) == 2) return DataType::Decimal(p, s);
  }
  if (d.find("INT") != std::string::npos) return DataType::Int64();
  if (d.find("CHAR") != std::string::npos || d.find("CLOB") != std::string::npos ||
      d.find("TEXT") != std::string::npos) {
    return DataType::String();
  }
  if (d.find("BLOB") != std::string::npos) return DataType::Binary();
  if (d.find("REAL") != std::string::npos || d.find("FLOA") != std::string::npos ||
      d.find("DOUB") != std::string::npos) {
    return DataType::Float64();
  }
  return nullptr;
}

TypePtr TypeFromValue(const Value& v) {
  if (std::holds_alternative<int64_t>(v)) return DataType::Int64();
  if (std::holds_alternative<double>(v)) return DataType::Float64();
  if (std::holds_alternative<Blob>(v)) return DataType::Binary();
  return DataType::String();
}

bool IsPlainName(const std::string& s) {
  if (s.empty() || s.size() > 200 || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Skips spaces and SQL comments.
const char* SkipSpace(const char* p) {
  for (;;) {
    while (*p && std::isspace(static_cast<unsigned char>(*p))) ++p;
    if (p[0] == '-' && p[1] == '-') {
      while (*p && *p != '\n') ++p;
    } else if (p[0] == '/' && p[1] == '*') {
      const char* end = std::strstr(p + 2, "*/");
      p = end ? end + 2 : p + std::strlen(p);
    } else {
      return p;
    }
  }
}

// Matches a keyword (case-insensitive, followed by a non-identifier character).
bool Keyword(const char** p, const char* word) {
  const char* s = SkipSpace(*p);
  const size_t n = std::strlen(word);
  if (strncasecmp(s, word, n) != 0) return false;
  const char next = s[n];
  if (std::isalnum(static_cast<unsigned char>(next)) || next == '_') return false;
  *p = s + n;
  return true;
}

// An identifier: plain, "quoted", `quoted` or [quoted].
bool Identifier(const char** p, std::string* out) {
  const char* s = SkipSpace(*p);
  out->clear();
  if (*s == '"' || *s == '`' || *s == '[') {
    const char close = *s == '[' ? ']' : *s;
    ++s;
    while (*s) {
      if (*s == close) {
        if (close != ']' && s[1] == close) {
          *out += close;
          s += 2;
          continue;
        }
        *p = s + 1;
        return !out->empty();
      }
      *out += *s++;
    }
    return false;
  }
  while (std::isalnum(static_cast<unsigned char>(*s)) || *s == '_') *out += *s++;
  *p = s;
  return !out->empty();
}

// A string literal '...' ('' for a quote).
bool StringLiteral(const char** p, std::string* out) {
  const char* s = SkipSpace(*p);
  if (*s != '\'') return false;
  out->clear();
  for (++s; *s; ++s) {
    if (*s == '\'') {
      if (s[1] != '\'') {
        *p = s + 1;
        return true;
      }
      ++s;
    }
    *out += *s;
  }
  return false;
}

// The ')' closing the '(' at `open`, skipping strings, quoted names and comments; nullptr
// when there is none.
const char* MatchingParen(const char* open) {
  int depth = 0;
  for (const char* s = open; *s; ++s) {
    switch (*s) {
      case '(':
        ++depth;
        break;
      case ')':
        if (--depth == 0) return s;
        break;
      case '\'':
      case '"':
      case '`':
      case '[': {
        const char close = *s == '[' ? ']' : *s;
        for (++s; *s && *s != close; ++s) {
        }
        if (!*s) return nullptr;
        break;
      }
      case '-':
        if (s[1] == '-') {
          while (*s && *s != '\n') ++s;
          if (!*s) return nullptr;
        }
        break;
      case '/':
        if (s[1] == '*') {
          const char* end = std::strstr(s + 2, "*/");
          if (!end) return nullptr;
          s = end + 1;
        }
        break;
      default:
        break;
    }
  }
  return nullptr;
}

int Authorizer(void* self, int action, const char* arg1, const char* arg2, const char*,
               const char*) {
  auto* reason = static_cast<std::string*>(self);
  switch (action) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      *reason = "ATTACH and DETACH are disabled: tables are registered by cpglake";
      return SQLITE_DENY;
    case SQLITE_PRAGMA:
      if (arg2 != nullptr && !IsReadOnlyPragma(arg1)) {
        *reason = "PRAGMAs that set values are disabled";
        return SQLITE_DENY;
      }
      if (arg1 &&
          (strcasecmp(arg1, "writable_schema") == 0 || strcasecmp(arg1, "trusted_schema") == 0)) {
        *reason = "PRAGMA " + std::string(arg1) + " is disabled";
        return SQLITE_DENY;
      }
      return SQLITE_OK;
    case SQLITE_FUNCTION:
      if (arg2 && strcasecmp(arg2, "load_extension") == 0) {
        *reason = "loading extensions is disabled";
        return SQLITE_DENY;
      }
      return SQLITE_OK;
    default:
      return SQLITE_OK;
  }
}

}  // namespace

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

Database::Database(DatabaseOptions options)
    : options_(std::move(options)),
      context_(std::make_unique<DeltaModuleContext>(options_.tables)),
      deny_reason_(std::make_unique<std::string>()) {
  const int rc = sqlite3_open_v2(
      ":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    throw IoError("cannot open SQLite: " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_limit(db_, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_set_authorizer(db_, Authorizer, deny_reason_.get());
  if (sqlite3_create_module_v2(db_, kDeltaModuleName, DeltaModule(), context_.get(), nullptr) !=
      SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_close_v2(db_);
    throw InternalError("cannot register the delta module: " + msg);
  }
}

Database::~Database() {
  sqlite3_close_v2(db_);
}

void Database::ThrowSqliteError(const std::string& statement) {
  std::string msg = sqlite3_errmsg(db_);
  if (!deny_reason_->empty()) msg += " (" + *deny_reason_ + ")";
  const ErrorSink& errors = context_->errors();
  if (errors.category) {
    if (msg.find(errors.message) == std::string::npos) msg += ": " + errors.message;
    ThrowCategory(*errors.category, msg);
  }
  std::string shown = statement.substr(0, 200);
  while (!shown.empty() && std::isspace(static_cast<unsigned char>(shown.back()))) shown.pop_back();
  throw InvalidInput("SQL error: " + msg + (shown.empty() ? "" : " in: " + shown));
}

bool Database::TableNameInUse(const std::string& name) {
  sqlite3_stmt* raw = nullptr;
  const char* q =
      "SELECT 1 FROM sqlite_schema WHERE name = ?1 COLLATE NOCASE "
      "UNION ALL SELECT 1 FROM sqlite_temp_schema WHERE name = ?1 COLLATE NOCASE";
  if (sqlite3_prepare_v2(db_, q, -1, &raw, nullptr) != SQLITE_OK) ThrowSqliteError(q);
  StmtPtr stmt(raw);
  sqlite3_bind_text(raw, 1, name.c_str(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
  return sqlite3_step(raw) == SQLITE_ROW;
}

void Database::RegisterTable(const std::string& sql_name,
                             const catalog::DatasetLocation& location) {
  if (sql_name.empty()) throw InvalidInput("empty SQL table name");
  if (location.format != catalog::DatasetFormat::kDelta) {
    throw InvalidInput("'" + sql_name + "' is a Parquet export location, not a Delta table");
  }
  if (TableNameInUse(sql_name)) throw InvalidInput("table '" + sql_name + "' already exists");
  const std::string key = context_->AddLocation(location);
  const std::string sql = "CREATE VIRTUAL TABLE " + QuoteIdentifier(sql_name) + " USING " +
                          kDeltaModuleName + "(dataset='" + key + "')";
  const char* tail = nullptr;
  ExecuteOne(sql.c_str(), &tail, nullptr, nullptr);
}

std::vector<std::string> Database::RegisterRegistry(const catalog::DatasetRegistry& registry) {
  std::vector<std::string> names;
  for (const std::string& name : registry.Names()) {
    const catalog::DatasetLocation& location = registry.Resolve(name);
    if (location.format != catalog::DatasetFormat::kDelta || !catalog::TableExists(location)) {
      continue;
    }
    std::string sql_name = name;
    std::replace(sql_name.begin(), sql_name.end(), '/', '_');
    RegisterTable(sql_name, location);
    names.push_back(sql_name);
  }
  return names;
}

std::vector<std::string> Database::Refresh() {
  return context_->Refresh();
}

void Database::Execute(const std::string& sql, const RowCallback& on_row) {
  Run(sql, on_row, nullptr);
}

QueryResult Database::Query(const std::string& sql) {
  QueryResult result;
  Run(sql, nullptr, &result);
  return result;
}

void Database::Run(const std::string& sql, const RowCallback& on_row, QueryResult* last) {
  context_->metrics() = SqlScanMetrics{};
  const char* p = sql.c_str();
  while (*SkipSpace(p)) {
    const char* tail = nullptr;
    if (!TryCopy(p, &tail) && !TryCreateTableAs(p, &tail)) ExecuteOne(p, &tail, on_row, last);
    if (tail == nullptr || tail == p) break;
    p = tail;
  }
}

void Database::ExecuteOne(const char* sql, const char** tail, const RowCallback& on_row,
                          QueryResult* last) {
  context_->errors().Clear();
  deny_reason_->clear();
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &raw, tail) != SQLITE_OK) {
    ThrowSqliteError(std::string(sql, *tail && *tail > sql ? *tail - sql : std::strlen(sql)));
  }
  if (raw == nullptr) return;  // only spaces or comments
  StmtPtr stmt(raw);
  const int ncols = sqlite3_column_count(raw);
  ResultColumns columns;
  for (int i = 0; i < ncols; ++i) {
    const char* name = sqlite3_column_name(raw, i);
    const char* decl = sqlite3_column_decltype(raw, i);
    columns.names.push_back(name ? name : "");
    columns.declared_types.push_back(decl ? decl : "");
  }
  if (last && ncols > 0) {
    last->columns = columns;
    last->rows.clear();
  }
  std::vector<Value> row(static_cast<size_t>(ncols));
  for (;;) {
    const int rc = sqlite3_step(raw);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) ThrowSqliteError(sqlite3_sql(raw));
    for (int i = 0; i < ncols; ++i)
      row[static_cast<size_t>(i)] = ToValue(sqlite3_column_value(raw, i));
    if (on_row) on_row(columns, row);
    if (last) last->rows.push_back(row);
  }
}

columnar::RecordBatch Database::ResultBatch(sqlite3_stmt* raw, const std::string& what,
                                            const char* sql) {
  const int ncols = sqlite3_column_count(raw);
  std::vector<std::string> names;
  std::vector<TypePtr> types;
  std::set<std::string> seen;
  for (int i = 0; i < ncols; ++i) {
    std::string n = sqlite3_column_name(raw, i) ? sqlite3_column_name(raw, i) : "";
    std::string lower = n;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (n.empty() || !seen.insert(lower).second) {
      throw InvalidInput(what +
                         ": result column names must be unique "
                         "and non-empty (use AS aliases), got '" +
                         n + "'");
    }
    names.push_back(n);
    types.push_back(TypeFromDeclared(sqlite3_column_decltype(raw, i)));
  }
  std::vector<std::vector<Value>> rows;
  for (;;) {
    const int rc = sqlite3_step(raw);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) ThrowSqliteError(sql);
    std::vector<Value> row;
    for (int i = 0; i < ncols; ++i) row.push_back(ToValue(sqlite3_column_value(raw, i)));
    rows.push_back(std::move(row));
  }
  std::vector<Field> fields;
  for (int i = 0; i < ncols; ++i) {
    TypePtr t = types[static_cast<size_t>(i)];
    for (size_t r = 0; !t && r < rows.size(); ++r) {
      if (!IsNull(rows[r][static_cast<size_t>(i)]))
        t = TypeFromValue(rows[r][static_cast<size_t>(i)]);
    }
    fields.emplace_back(names[static_cast<size_t>(i)], t ? t : DataType::String(), true);
  }
  columnar::Schema schema(fields);
  columnar::RecordBatch batch = columnar::RecordBatch::MakeEmpty(schema);
  for (const auto& row : rows) {
    for (size_t i = 0; i < fields.size(); ++i) {
      AppendSqlValue(batch.mutable_column(i), fields[i], row[i]);
    }
  }
  return batch;
}

bool Database::TryCopy(const char* sql, const char** tail) {
  const char* p = sql;
  if (!Keyword(&p, "COPY")) return false;
  p = SkipSpace(p);
  if (*p != '(') {
    throw InvalidInput("COPY: expected COPY (SELECT ...) TO 'path' [(FORMAT delta|parquet)]");
  }
  const char* close = MatchingParen(p);
  if (close == nullptr) throw InvalidInput("COPY: unbalanced parentheses around the query");
  const std::string query(p + 1, close);
  const char* q = close + 1;
  std::string path;
  if (!Keyword(&q, "TO") || !StringLiteral(&q, &path) || path.empty()) {
    throw InvalidInput("COPY (...): expected TO 'path' after the query");
  }
  catalog::DatasetFormat format = catalog::DatasetFormat::kDelta;
  const char* save = q;
  q = SkipSpace(q);
  if (*q == '(') {
    ++q;
    std::string option, value;
    if (!Identifier(&q, &option) || strcasecmp(option.c_str(), "FORMAT") != 0 ||
        !Identifier(&q, &value)) {
      throw InvalidInput("COPY ... TO: expected (FORMAT delta|parquet)");
    }
    for (auto& ch : value) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    format = catalog::ParseDatasetFormat(value);
    q = SkipSpace(q);
    if (*q != ')') throw InvalidInput("COPY ... TO: expected ')' after the FORMAT option");
    ++q;
  } else {
    q = save;
  }
  q = SkipSpace(q);
  if (*q == ';') ++q;
  *tail = q;

  catalog::DatasetLocation target;
  target.path = path;
  target.format = format;
  const std::string what = "COPY ... TO '" + path + "'";
  // The gate first: a refused sink runs nothing.
  catalog::CheckSink(options_.output_policy, target, what, options_.on_refused_sink);
  context_->errors().Clear();
  deny_reason_->clear();
  sqlite3_stmt* raw = nullptr;
  const char* query_tail = nullptr;
  if (sqlite3_prepare_v2(db_, query.c_str(), -1, &raw, &query_tail) != SQLITE_OK) {
    ThrowSqliteError(query);
  }
  if (raw == nullptr) throw InvalidInput("COPY: missing query");
  StmtPtr stmt(raw);
  if (*SkipSpace(query_tail) != '\0') throw InvalidInput("COPY: the query must be one statement");
  if (!sqlite3_stmt_readonly(raw)) throw InvalidInput("COPY (...) must copy a SELECT");
  columnar::RecordBatch batch = ResultBatch(raw, "COPY", query.c_str());
  stmt.reset();
  catalog::ExportOptions eo;
  eo.parquet = options_.tables.parquet;
  eo.target_file_bytes = options_.tables.target_file_bytes;
  eo.commit_properties["engine"] = "cpglake-sql";
  eo.on_refused = options_.on_refused_sink;
  bool sent = false;
  last_copy_ = catalog::ExportBatches(
      batch.schema(),
      [&]() -> std::optional<columnar::RecordBatch> {
        if (sent) return std::nullopt;
        sent = true;
        return batch;
      },
      target, options_.output_policy, eo, what);
  return true;
}

bool Database::TryCreateTableAs(const char* sql, const char** tail) {
  const char* p = sql;
  if (!Keyword(&p, "CREATE") || !Keyword(&p, "TABLE")) return false;
  bool if_not_exists = false;
  const char* save = p;
  if (Keyword(&p, "IF") && Keyword(&p, "NOT") && Keyword(&p, "EXISTS")) {
    if_not_exists = true;
  } else {
    p = save;
  }
  std::string name;
  if (!Identifier(&p, &name)) return false;
  if (!Keyword(&p, "AS")) return false;  // CREATE TABLE t(...) or temp.t: plain SQLite
  if (options_.write_root.empty()) {
    throw InvalidInput("CREATE TABLE " + name +
                       " AS SELECT creates a Delta table and needs a write root "
                       "(sql::DatabaseOptions::write_root)");
  }
  if (!IsPlainName(name)) {
    throw InvalidInput("CREATE TABLE AS SELECT: table name '" + name +
                       "' must be letters, digits and '_'");
  }
  context_->errors().Clear();
  deny_reason_->clear();
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, p, -1, &raw, tail) != SQLITE_OK) ThrowSqliteError(sql);
  if (raw == nullptr) throw InvalidInput("CREATE TABLE " + name + " AS: missing SELECT");
  StmtPtr stmt(raw);
  if (!sqlite3_stmt_readonly(raw)) {
    throw InvalidInput("CREATE TABLE " + name + " AS must be followed by a SELECT");
  }
  catalog::DatasetLocation location;
  location.path = (std::filesystem::path(options_.write_root) / name).string();
  if (TableNameInUse(name) || catalog::TableExists(location)) {
    if (if_not_exists) return true;
    throw InvalidInput("table '" + name + "' already exists");
  }

  columnar::RecordBatch batch = ResultBatch(raw, "CREATE TABLE " + name + " AS", sql);
  stmt.reset();
  delta::WriteOptions wo;
  wo.mode = delta::WriteMode::kErrorIfExists;
  wo.parquet = options_.tables.parquet;
  wo.target_file_bytes = options_.tables.target_file_bytes;
  wo.name = name;
  wo.commit_properties["engine"] = "cpglake-sql";
  delta::WriteDeltaTable(storage::OpenObjectStore(location.path), batch, wo);
  RegisterTable(name, location);
  return true;
}

std::string Database::ExplainPlan(const std::string& sql) {
  context_->errors().Clear();
  deny_reason_->clear();
  const std::string text = "EXPLAIN QUERY PLAN " + sql;
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, text.c_str(), -1, &raw, nullptr) != SQLITE_OK || !raw) {
    ThrowSqliteError(sql);
  }
  StmtPtr stmt(raw);
  std::map<int64_t, int> depth;
  std::string out;
  for (;;) {
    const int rc = sqlite3_step(raw);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) ThrowSqliteError(sql);
    const int64_t id = sqlite3_column_int64(raw, 0);
    const int64_t parent = sqlite3_column_int64(raw, 1);
    const int d = parent == 0 ? 0 : depth[parent] + 1;
    depth[id] = d;
    const auto* detail = reinterpret_cast<const char*>(sqlite3_column_text(raw, 3));
    out += std::string(static_cast<size_t>(d) * 2, ' ') + (detail ? detail : "") + "\n";
  }
  return out;
}

}  // namespace cpglake::sql
