#include "sql/delta_vtab.h"

#include <strings.h>

#include <algorithm>
#include <cstdlib>

#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/file_pruning.h"
#include "delta/stats.h"
#include "delta/writer.h"
#include "expr/binder.h"
#include "expr/parser.h"
#include "sql/type_mapping.h"

namespace cpglake::sql {

using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using columnar::TypeId;

namespace internal {

int ReportException(ErrorSink* sink, char** err_msg) {
  std::string message;
  ErrorCategory category = ErrorCategory::kInternal;
  try {
    throw;
  } catch (const Error& e) {
    message = e.what();
    category = e.category();
  } catch (const std::bad_alloc&) {
    if (sink) sink->Record(ErrorCategory::kInternal, "out of memory");
    return SQLITE_NOMEM;
  } catch (const std::exception& e) {
    message = std::string("internal error: ") + e.what();
  } catch (...) {
    message = "internal error: unknown exception";
  }
  if (sink) sink->Record(category, message);
  if (err_msg) {
    sqlite3_free(*err_msg);
    *err_msg = sqlite3_mprintf("%s", message.c_str());
  }
  return SQLITE_ERROR;
}

}  // namespace internal

// --- Context -------------------------------------------------------------------------------

void SqlScanMetrics::Add(const std::string& table, const delta::ScanMetrics& m) {
  auto add = [](delta::ScanMetrics& a, const delta::ScanMetrics& b) {
    a.files_total += b.files_total;
    a.files_skipped_by_partition += b.files_skipped_by_partition;
    a.files_skipped_by_stats += b.files_skipped_by_stats;
    a.files_read += b.files_read;
    a.row_groups_read += b.row_groups_read;
    a.row_groups_skipped += b.row_groups_skipped;
    a.row_groups_not_materialized += b.row_groups_not_materialized;
    a.rows_read += b.rows_read;
    a.rows_deleted_by_dv += b.rows_deleted_by_dv;
    a.rows_filtered += b.rows_filtered;
    a.rows_returned += b.rows_returned;
  };
  add(totals, m);
  add(by_table[table], m);
}

std::string DeltaModuleContext::AddLocation(catalog::DatasetLocation location) {
  std::string key = "loc" + std::to_string(locations_.size());
  locations_.emplace(key, std::move(location));
  return key;
}

const catalog::DatasetLocation& DeltaModuleContext::Location(const std::string& key) const {
  auto it = locations_.find(key);
  if (it == locations_.end()) throw NotFound("unknown dataset key '" + key + "'");
  return it->second;
}

void DeltaModuleContext::Detach(const std::string& name, DeltaTable* table) {
  auto it = tables_.find(name);
  if (it != tables_.end() && it->second == table) tables_.erase(it);
}

std::vector<std::string> DeltaModuleContext::Refresh() {
  std::vector<std::string> names;
  for (auto& [name, table] : tables_) {
    if (table->pinned()) continue;
    table->Refresh();
    names.push_back(name);
  }
  return names;
}

const sqlite3_module* DeltaModule() {
  return VirtualTableModule<DeltaTable>::Get();
}

// --- Connect -------------------------------------------------------------------------------

namespace {

std::string Unquote(std::string s) {
  auto trim = [](std::string& t) {
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
    size_t i = 0;
    while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
    t.erase(0, i);
  };
  trim(s);
  if (s.size() >= 2 && (s[0] == '\'' || s[0] == '"') && s.back() == s[0]) {
    const char q = s[0];
    std::string out;
    for (size_t i = 1; i + 1 < s.size(); ++i) {
      out += s[i];
      if (s[i] == q && i + 2 < s.size() && s[i + 1] == q) ++i;
    }
    return out;
  }
  return s;
}

std::string QuoteIdent(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

int64_t ParseVersionArg(const std::string& text) {
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 0) {
    throw InvalidInput("version must be a non-negative integer, got '" + text + "'");
  }
  return v;
}

}  // namespace

ErrorSink* DeltaTable::AuxErrorSink(void* aux) {
  return aux ? &static_cast<DeltaModuleContext*>(aux)->errors() : nullptr;
}

DeltaTable::DeltaTable(DeltaModuleContext* context, std::string name,
                       catalog::DatasetLocation location)
    : context_(context), name_(std::move(name)), location_(std::move(location)) {}

DeltaTable::~DeltaTable() {
  context_->Detach(name_, this);
}

std::unique_ptr<DeltaTable> DeltaTable::Connect(sqlite3* db, void* aux, int argc,
                                                const char* const* argv) {
  auto* context = static_cast<DeltaModuleContext*>(aux);
  CPGLAKE_CHECK(context != nullptr && argc >= 3, "delta module without context");
  catalog::DatasetLocation location;
  bool has_location = false;
  for (int i = 3; i < argc; ++i) {
    std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      throw InvalidInput("delta table argument must be key=value, got '" + arg + "'");
    }
    std::string key = Unquote(arg.substr(0, eq));
    std::string value = Unquote(arg.substr(eq + 1));
    for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (key == "dataset") {
      location = context->Location(value);
      has_location = true;
    } else if (key == "path") {
      location.path = value;
      has_location = true;
    } else if (key == "version") {
      location.delta_version = ParseVersionArg(value);
    } else if (key == "timestamp") {
      location.delta_timestamp_ms = delta::ParseTimestampMs(value);
    } else {
      throw InvalidInput("unknown delta table argument '" + key +
                         "' (expected path, version or timestamp)");
    }
  }
  if (!has_location || location.path.empty()) {
    throw InvalidInput("CREATE VIRTUAL TABLE ... USING delta(path='...') needs a path");
  }
  if (location.delta_version && location.delta_timestamp_ms) {
    throw InvalidInput("a delta table takes a version or a timestamp, not both");
  }
  std::unique_ptr<DeltaTable> table(new DeltaTable(context, argv[2], location));
  table->snapshot_ = catalog::OpenSnapshot(location, 1);
  table->schema_ = table->snapshot_->schema();

  std::string sql = "CREATE TABLE x(";
  for (const Field& f : table->schema_.fields()) {
    if (f.name == kVersionColumn || f.name == kTimestampColumn) {
      throw InvalidInput("table '" + table->name_ + "' has a column named '" + f.name +
                         "', which the delta module reserves for time travel");
    }
    sql += QuoteIdent(f.name) + " " + DeclaredType(*f.type) + ", ";
  }
  sql += std::string(kVersionColumn) + " INTEGER HIDDEN, " + kTimestampColumn + " TEXT HIDDEN)";
  if (sqlite3_declare_vtab(db, sql.c_str()) != SQLITE_OK) {
    throw InvalidInput("cannot declare table '" + table->name_ + "': " + sqlite3_errmsg(db));
  }
  context->Attach(table->name_, table.get());
  return table;
}

void DeltaTable::Refresh() {
  if (pinned()) return;
  snapshot_ = catalog::OpenSnapshot(location_, 1);
  for (auto it = pinned_cache_.begin(); it != pinned_cache_.end();) {
    it = it->first[0] == 't' ? pinned_cache_.erase(it) : std::next(it);
  }
}

std::shared_ptr<const delta::Snapshot> DeltaTable::SnapshotFor(
    std::optional<int64_t> version, std::optional<int64_t> timestamp_ms) {
  if (version && timestamp_ms) {
    throw InvalidInput("table '" + name_ + "': give delta_version or delta_timestamp, not both");
  }
  if (!version && !timestamp_ms) return snapshot_;
  if (version && *version == snapshot_->version()) return snapshot_;
  const std::string key =
      version ? "v" + std::to_string(*version) : "t" + std::to_string(*timestamp_ms);
  auto it = pinned_cache_.find(key);
  if (it != pinned_cache_.end()) return it->second;
  delta::SnapshotBuilder builder(snapshot_->store());
  builder.WithThreads(1);
  if (version) {
    if (*version < 0)
      throw NotFound("table '" + name_ + "' has no version " + std::to_string(*version));
    builder.AtVersion(*version);
  } else {
    builder.AtTimestamp(*timestamp_ms);
  }
  auto snap = builder.Build();
  if (pinned_cache_.size() >= 16) pinned_cache_.clear();
  pinned_cache_.emplace(key, snap);
  return snap;
}

// --- BestIndex -----------------------------------------------------------------------------

namespace {

bool ToPushOp(unsigned char op, PushOp* out, char* code) {
  switch (op) {
    case SQLITE_INDEX_CONSTRAINT_EQ:
      *out = PushOp::kEq, *code = 'E';
      return true;
    case SQLITE_INDEX_CONSTRAINT_LT:
      *out = PushOp::kLt, *code = 'L';
      return true;
    case SQLITE_INDEX_CONSTRAINT_LE:
      *out = PushOp::kLe, *code = 'l';
      return true;
    case SQLITE_INDEX_CONSTRAINT_GT:
      *out = PushOp::kGt, *code = 'G';
      return true;
    case SQLITE_INDEX_CONSTRAINT_GE:
      *out = PushOp::kGe, *code = 'g';
      return true;
    default:
      return false;
  }
}

expr::CompareOp ToCompareOp(PushOp op) {
  switch (op) {
    case PushOp::kEq:
      return expr::CompareOp::kEq;
    case PushOp::kLt:
      return expr::CompareOp::kLt;
    case PushOp::kLe:
      return expr::CompareOp::kLe;
    case PushOp::kGt:
      return expr::CompareOp::kGt;
    case PushOp::kGe:
      return expr::CompareOp::kGe;
  }
  return expr::CompareOp::kEq;
}

// Whether any value could be pushed for a column of this type and operator.
bool MayPush(const columnar::DataType& type, PushOp op) {
  using columnar::TypeId;
  const TypeId id = type.id();
  if (columnar::IsIntegerType(id) || columnar::IsFloatType(id) || id == TypeId::kString ||
      id == TypeId::kBinary || id == TypeId::kBoolean) {
    return true;
  }
  return op == PushOp::kEq &&
         (id == TypeId::kDate || id == TypeId::kTimestamp || id == TypeId::kTimestampNtz);
}

std::string HexEncode(const std::string& s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool BinaryCollation(sqlite3_index_info* info, int i) {
  const char* coll = sqlite3_vtab_collation(info, i);
  return coll == nullptr || strcasecmp(coll, "BINARY") == 0;
}

}  // namespace

void DeltaTable::BestIndex(sqlite3_index_info* info) {
  const int ncols = static_cast<int>(schema_.num_fields());
  std::string terms;
  int next_argv = 1;
  int idx_num = 0;
  std::vector<expr::ExprPtr> known;  // terms with values known now, for file pruning
  double selectivity = 1.0, read_fraction = 1.0;
  auto add_term = [&](std::string term) {
    if (!terms.empty()) terms += ',';
    terms += term;
  };
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    auto& use = info->aConstraintUsage[i];
    if (c.iColumn == ncols || c.iColumn == ncols + 1) {
      if (c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
      if (!c.usable) throw SqliteConstraintError{};
      const int flag = c.iColumn == ncols ? kIdxVersion : kIdxTimestamp;
      if (idx_num & flag) continue;  // a second pin: SQLite compares it with what is read
      idx_num |= flag;
      use.argvIndex = next_argv++;
      use.omit = 1;
      add_term(std::string(flag == kIdxVersion ? "V" : "T") + "@" + std::to_string(use.argvIndex));
      continue;
    }
    if (c.iColumn < 0 || c.iColumn >= ncols || !c.usable) continue;
    const Field& field = schema_.field(static_cast<size_t>(c.iColumn));
    const std::string col = std::to_string(c.iColumn);
    if (c.op == SQLITE_INDEX_CONSTRAINT_ISNULL || c.op == SQLITE_INDEX_CONSTRAINT_ISNOTNULL) {
      if (columnar::IsFloatType(field.type->id())) continue;  // NaN reads as NULL
      const bool is_null = c.op == SQLITE_INDEX_CONSTRAINT_ISNULL;
      add_term(std::string(is_null ? "N" : "n") + col);
      known.push_back(is_null ? expr::IsNull(expr::ColPath({field.name}))
                              : expr::IsNotNull(expr::ColPath({field.name})));
      selectivity *= is_null ? 0.1 : 0.9;
      continue;
    }
    PushOp op;
    char code;
    if (!ToPushOp(c.op, &op, &code) || !MayPush(*field.type, op)) continue;
    if (field.type->id() == columnar::TypeId::kString && !BinaryCollation(info, i)) continue;
    if (op == PushOp::kEq && sqlite3_vtab_in(info, i, -1)) {
      sqlite3_vtab_in(info, i, 1);
      use.argvIndex = next_argv++;
      add_term("I" + col + "@" + std::to_string(use.argvIndex));
      selectivity *= 0.01;
      read_fraction *= 0.05;
      continue;
    }
    sqlite3_value* rhs = nullptr;
    const bool has_rhs = sqlite3_vtab_rhs_value(info, i, &rhs) == SQLITE_OK && rhs != nullptr;
    if (has_rhs) {
      // A constant: its literal goes into idxStr and no argv is used (see the header).
      std::optional<columnar::Value> literal = PushdownLiteral(*field.type, op, rhs);
      if (!literal && sqlite3_value_type(rhs) != SQLITE_NULL) continue;  // SQLite filters
      expr::ExprPtr lit = literal ? expr::Lit(*literal) : expr::Lit(false);
      add_term(std::string(1, code) + col + "=" +
               (literal ? HexEncode(expr::FormatLiteral(*literal)) : std::string("00")));
      known.push_back(literal ? expr::Compare(ToCompareOp(op), expr::ColPath({field.name}), lit)
                              : lit);
    } else {
      use.argvIndex = next_argv++;
      add_term(std::string(1, code) + col + "@" + std::to_string(use.argvIndex));
    }
    if (op == PushOp::kEq) {
      selectivity *= 0.001;
      read_fraction *= 0.01;
    } else {
      selectivity *= 1.0 / 3;
    }
  }

  // Projection from colUsed.
  std::string projection;
  int used = 0;
  for (int j = 0; j < ncols; ++j) {
    const uint64_t bit = uint64_t{1} << std::min(j, 63);
    if ((info->colUsed & bit) == 0) continue;
    if (!projection.empty()) projection += '.';
    projection += std::to_string(j);
    ++used;
  }
  if (used == ncols && ncols > 0) projection = "*";

  // Rows: those of the files that survive pruning by the known terms.
  double rows = 0;
  expr::ExprPtr bound;
  if (!known.empty()) {
    try {
      bound = expr::BindPredicate(*expr::And(known), snapshot_->schema());
    } catch (const Error&) {
      bound = nullptr;  // a column changed type since connect: estimate without pruning
    }
  }
  std::optional<delta::FilePruner> pruner;
  if (bound) pruner.emplace(snapshot_->config(), *bound);
  for (const auto& f : snapshot_->files()) {
    if (pruner && pruner->Prune(f) != delta::FilePrune::kMaybe) continue;
    auto n = delta::NumRecordsFromStats(f.stats);
    rows += n ? static_cast<double>(*n) : static_cast<double>(f.size) / 50.0;
  }
  info->estimatedRows = static_cast<sqlite3_int64>(std::max(1.0, rows * selectivity));
  info->estimatedCost = 50.0 + rows * read_fraction + rows * selectivity;
  info->idxNum = idx_num;
  info->idxStr = sqlite3_mprintf("%s|%s", projection.c_str(), terms.c_str());
  if (info->idxStr == nullptr) throw std::bad_alloc();
  info->needToFreeIdxStr = 1;
}

std::unique_ptr<DeltaTable::Cursor> DeltaTable::Open() {
  return std::make_unique<Cursor>(this);
}

// --- Writes --------------------------------------------------------------------------------

void DeltaTable::Update(int argc, sqlite3_value** argv, sqlite3_int64* rowid) {
  if (argc == 1 || sqlite3_value_type(argv[0]) != SQLITE_NULL) {
    throw Unsupported("UPDATE and DELETE on Delta table '" + name_ +
                      "' are not supported in SQL: use `cpglake delta update` or "
                      "`cpglake delta delete`");
  }
  if (pinned()) {
    throw InvalidInput("table '" + name_ + "' is pinned to a " +
                       (location_.delta_version ? "version" : "timestamp") +
                       " (time travel) and is read-only");
  }
  const int ncols = static_cast<int>(schema_.num_fields());
  CPGLAKE_CHECK(argc == ncols + 4, "unexpected xUpdate argument count");
  if (sqlite3_value_type(argv[1]) != SQLITE_NULL) {
    throw InvalidInput("table '" + name_ + "' has no rowid to set");
  }
  if (sqlite3_value_type(argv[2 + ncols]) != SQLITE_NULL ||
      sqlite3_value_type(argv[3 + ncols]) != SQLITE_NULL) {
    throw InvalidInput("delta_version and delta_timestamp of table '" + name_ +
                       "' cannot be written");
  }
  if (!pending_) pending_ = RecordBatch::MakeEmpty(schema_);
  const int64_t before = pending_->num_rows();
  try {
    for (int j = 0; j < ncols; ++j) {
      AppendSqliteValue(pending_->mutable_column(static_cast<size_t>(j)),
                        schema_.field(static_cast<size_t>(j)), argv[2 + j]);
    }
  } catch (...) {
    RecordBatch kept = RecordBatch::MakeEmpty(schema_);
    for (int j = 0; j < ncols; ++j) {
      kept.mutable_column(static_cast<size_t>(j))
          .AppendRange(pending_->column(static_cast<size_t>(j)), 0, before);
    }
    pending_ = std::move(kept);
    throw;
  }
  *rowid = before;
}

void DeltaTable::Sync() {
  if (!pending_ || pending_->num_rows() == 0) return;
  delta::WriteOptions options;
  options.mode = delta::WriteMode::kAppend;
  options.parquet = context_->options().parquet;
  options.target_file_bytes = context_->options().target_file_bytes;
  options.commit_properties["engine"] = "cpglake-sql";
  auto store = snapshot_->store();
  delta::WriteResult result = delta::WriteDeltaTable(store, *pending_, options);
  DiscardPending();
  // Read-your-writes: the table now shows the version just committed.
  snapshot_ = delta::SnapshotBuilder(store).WithThreads(1).AtVersion(result.version).Build();
}

void DeltaTable::DiscardPending() {
  pending_.reset();
  savepoints_.clear();
}

void DeltaTable::Savepoint(int n) {
  savepoints_.resize(static_cast<size_t>(std::max(n, 0)), 0);
  savepoints_.push_back(pending_ ? pending_->num_rows() : 0);
}

void DeltaTable::Release(int n) {
  if (n >= 0 && static_cast<size_t>(n) < savepoints_.size())
    savepoints_.resize(static_cast<size_t>(n));
}

void DeltaTable::RollbackTo(int n) {
  if (n < 0 || static_cast<size_t>(n) >= savepoints_.size()) return;
  const int64_t keep = savepoints_[static_cast<size_t>(n)];
  savepoints_.resize(static_cast<size_t>(n) + 1);
  if (pending_ && pending_->num_rows() > keep) pending_ = pending_->Slice(0, keep);
}

// --- Cursor --------------------------------------------------------------------------------

namespace {

struct Term {
  char op = 0;
  int column = -1;
  int argv = 0;         // 1-based; 0: none
  std::string literal;  // "=<hex>": the decoded text of a constant ("" when none)
  bool has_literal = false;
};

int HexDigit(char c) {
  return c <= '9' ? c - '0' : c - 'a' + 10;
}

void ParseIdxStr(const char* idx_str, std::string* projection, std::vector<Term>* terms) {
  std::string s = idx_str ? idx_str : "";
  const size_t bar = s.find('|');
  CPGLAKE_CHECK(bar != std::string::npos, "malformed idxStr");
  *projection = s.substr(0, bar);
  size_t pos = bar + 1;
  while (pos < s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    const std::string t = s.substr(pos, end - pos);
    Term term;
    term.op = t[0];
    const size_t at = t.find_first_of("@=");
    const std::string col = t.substr(1, (at == std::string::npos ? t.size() : at) - 1);
    if (!col.empty()) term.column = std::atoi(col.c_str());
    if (at != std::string::npos && t[at] == '@') term.argv = std::atoi(t.c_str() + at + 1);
    if (at != std::string::npos && t[at] == '=') {
      term.has_literal = true;
      const std::string hex = t.substr(at + 1);
      if (hex != "00") {
        for (size_t k = 0; k + 1 < hex.size(); k += 2) {
          term.literal += static_cast<char>(HexDigit(hex[k]) * 16 + HexDigit(hex[k + 1]));
        }
      }
    }
    terms->push_back(term);
    pos = end + 1;
  }
}

PushOp TermPushOp(char op) {
  switch (op) {
    case 'L':
      return PushOp::kLt;
    case 'l':
      return PushOp::kLe;
    case 'G':
      return PushOp::kGt;
    case 'g':
      return PushOp::kGe;
    default:
      return PushOp::kEq;
  }
}

}  // namespace

DeltaTable::Cursor::~Cursor() {
  FinishScan();
}

void DeltaTable::Cursor::FinishScan() {
  index_ = nullptr;
  current_ = &batch_;
  if (!stream_) return;
  const delta::ScanMetrics m = stream_->Stop();
  stream_.reset();
  table_->context_->metrics().Add(table_->name_, m);
}

void DeltaTable::Cursor::Filter(int /*idx_num*/, const char* idx_str, int argc,
                                sqlite3_value** argv) {
  FinishScan();
  std::string projection;
  std::vector<Term> terms;
  ParseIdxStr(idx_str, &projection, &terms);
  auto arg = [&](const Term& t) {
    CPGLAKE_CHECK(t.argv >= 1 && t.argv <= argc, "idxStr argv index out of range");
    return argv[t.argv - 1];
  };

  std::optional<int64_t> version, timestamp_ms;
  for (const Term& t : terms) {
    if (t.op != 'V' && t.op != 'T') continue;
    sqlite3_value* v = arg(t);
    const int type = sqlite3_value_type(v);
    if (type == SQLITE_NULL) continue;
    if (t.op == 'V') {
      if (type != SQLITE_INTEGER) {
        throw InvalidInput(std::string(kVersionColumn) + " must be an integer");
      }
      version = sqlite3_value_int64(v);
    } else if (type == SQLITE_INTEGER) {
      timestamp_ms = sqlite3_value_int64(v);  // ms since the epoch
    } else {
      const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(v));
      timestamp_ms = delta::ParseTimestampMs(text ? text : "");
    }
  }
  snapshot_ = table_->SnapshotFor(version, timestamp_ms);
  const Schema& table_schema = table_->schema_;
  const Schema& snap_schema = snapshot_->schema();

  // A join probe: one = term on a join value (the others constants), at the registered
  // snapshot — answered from the table's lookup index once it has one (see the header).
  const Term* probe = nullptr;
  bool other_values = false;
  for (const Term& t : terms) {
    if (t.op == 'V' || t.op == 'T' || t.has_literal || t.op == 'N' || t.op == 'n') continue;
    if (t.op == 'E' && probe == nullptr) {
      probe = &t;
    } else {
      other_values = true;
    }
  }
  if (other_values || snapshot_ != table_->snapshot_) probe = nullptr;
  std::vector<expr::ExprPtr> constant_preds;  // the predicate without the probe's term

  // Predicate.
  std::vector<expr::ExprPtr> preds;
  // The pushed-down predicate of one term (nullptr: none; SQLite filters).
  auto term_predicate = [&](const Term& t) -> expr::ExprPtr {
    const Field& field = table_schema.field(static_cast<size_t>(t.column));
    if (snap_schema.FieldIndex(field.name) < 0) {
      return nullptr;  // the column does not exist at this version: SQLite sees NULLs
    }
    expr::ExprPtr col = expr::ColPath({field.name});
    if (t.op == 'N' || t.op == 'n') return t.op == 'N' ? expr::IsNull(col) : expr::IsNotNull(col);
    if (t.has_literal) {
      if (t.literal.empty()) return expr::Lit(false);  // compared with NULL: never true
      return expr::Compare(ToCompareOp(TermPushOp(t.op)), col, expr::ParseExpression(t.literal));
    }
    sqlite3_value* v = arg(t);
    if (t.op == 'I') {
      std::vector<expr::ExprPtr> list;
      sqlite3_value* item = nullptr;
      for (int rc = sqlite3_vtab_in_first(v, &item); rc == SQLITE_OK && item;
           rc = sqlite3_vtab_in_next(v, &item)) {
        if (sqlite3_value_type(item) == SQLITE_NULL) continue;  // never equal
        auto lit = PushdownLiteral(*field.type, PushOp::kEq, item);
        if (!lit) return nullptr;
        list.push_back(expr::Lit(*lit));
      }
      return list.empty() ? expr::Lit(false) : expr::In(col, std::move(list));
    }
    if (sqlite3_value_type(v) == SQLITE_NULL) {
      return expr::Lit(false);  // a comparison with NULL is never true
    }
    const PushOp op = TermPushOp(t.op);
    auto lit = PushdownLiteral(*field.type, op, v);
    if (!lit) return nullptr;
    return expr::Compare(ToCompareOp(op), col, expr::Lit(*lit));
  };
  for (const Term& t : terms) {
    if (t.op == 'V' || t.op == 'T') continue;
    expr::ExprPtr p = term_predicate(t);
    if (!p) continue;
    preds.push_back(p);
    if (&t != probe) constant_preds.push_back(p);
  }

  // Projection.
  const int ncols = static_cast<int>(table_schema.num_fields());
  std::vector<int> wanted;
  if (projection == "*") {
    for (int j = 0; j < ncols; ++j) wanted.push_back(j);
  } else if (!projection.empty()) {
    size_t pos = 0;
    while (pos <= projection.size()) {
      size_t end = projection.find('.', pos);
      if (end == std::string::npos) end = projection.size();
      const int first = std::atoi(projection.substr(pos, end - pos).c_str());
      wanted.push_back(first);
      if (first == 63) {  // bit 63: every column from 63 on
        for (int j = 64; j < ncols; ++j) wanted.push_back(j);
      }
      pos = end + 1;
    }
  }
  std::vector<std::string> names;
  batch_column_.assign(static_cast<size_t>(ncols), -1);
  for (int j : wanted) {
    const std::string& name = table_schema.field(static_cast<size_t>(j)).name;
    if (snap_schema.FieldIndex(name) < 0) continue;
    batch_column_[static_cast<size_t>(j)] = static_cast<int>(names.size());
    names.push_back(name);
  }

  if (probe != nullptr) {
    const Field& field = table_schema.field(static_cast<size_t>(probe->column));
    sqlite3_value* v = arg(*probe);
    const TypeId id = field.type->id();
    const bool text_key = id == TypeId::kString && sqlite3_value_type(v) == SQLITE_TEXT;
    const bool int_key = (id == TypeId::kInt8 || id == TypeId::kInt16 || id == TypeId::kInt32 ||
                          id == TypeId::kInt64) &&
                         sqlite3_value_type(v) == SQLITE_INTEGER;
    if (text_key || int_key) {
      const expr::ExprPtr constant = constant_preds.empty() ? nullptr : expr::And(constant_preds);
      if (const LookupIndex* index =
              table_->IndexForLookup(probe->column, wanted, idx_str ? idx_str : "", constant)) {
        std::string key;
        if (text_key) {
          const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(v));
          key.assign(text ? text : "", static_cast<size_t>(sqlite3_value_bytes(v)));
        } else {
          key = std::to_string(sqlite3_value_int64(v));
        }
        ServeFromIndex(*index, key);
        return;
      }
    }
  }

  delta::ScanBuilder builder(snapshot_);
  builder.WithColumns(names).WithThreads(table_->context_->options().scan_threads);
  if (!preds.empty()) builder.WithPredicate(expr::And(preds));
  delta::Scan scan = builder.Build();
  auto& metrics = table_->context_->metrics();
  ++metrics.scans;
  metrics.predicates.push_back(preds.empty() ? "" : expr::And(preds)->ToString());
  metrics.columns.push_back(names);
  stream_ = std::make_unique<delta::ScanStream>(std::move(scan));
  batch_ = RecordBatch();
  current_ = &batch_;
  index_ = nullptr;
  row_ = 0;
  rowid_ = 0;
  eof_ = false;
  Advance();
}

void DeltaTable::Cursor::ServeFromIndex(const LookupIndex& index, const std::string& key) {
  ++table_->context_->metrics().index_lookups;
  index_ = &index;
  batch_column_ = index.batch_column;
  auto it = index.rows.find(key);
  matches_ = it == index.rows.end() ? nullptr : &it->second;
  match_ = 0;
  rowid_ = 0;
  eof_ = false;
  Advance();
}

const DeltaTable::LookupIndex* DeltaTable::IndexForLookup(int column,
                                                          const std::vector<int>& wanted,
                                                          const std::string& plan,
                                                          const expr::ExprPtr& constant) {
  const std::string& key = plan;
  auto found = indexes_.find(key);
  if (found != indexes_.end()) {
    if (found->second.snapshot == snapshot_) return &found->second;
    indexes_.erase(found);  // built on another snapshot (refreshed, or an INSERT committed)
    lookups_.erase(key);
  }
  if (++lookups_[key] < kLookupsBeforeIndex) return nullptr;
  const auto total = snapshot_->total_rows();
  if (!total || *total > kMaxIndexedRows) return nullptr;

  LookupIndex index;
  index.snapshot = snapshot_;
  const Schema& snap_schema = snapshot_->schema();
  std::vector<std::string> names;
  index.batch_column.assign(schema_.num_fields(), -1);
  std::vector<int> read = wanted;
  if (std::find(read.begin(), read.end(), column) == read.end()) read.push_back(column);
  for (int j : read) {
    const std::string& name = schema_.field(static_cast<size_t>(j)).name;
    if (snap_schema.FieldIndex(name) < 0) continue;
    if (std::find(wanted.begin(), wanted.end(), j) != wanted.end()) {
      index.batch_column[static_cast<size_t>(j)] = static_cast<int>(names.size());
    }
    names.push_back(name);
  }
  const std::string& key_name = schema_.field(static_cast<size_t>(column)).name;
  const auto key_at = std::find(names.begin(), names.end(), key_name);
  if (key_at == names.end()) return nullptr;  // the column is missing at this version
  const size_t key_column = static_cast<size_t>(key_at - names.begin());
  delta::ScanBuilder builder(snapshot_);
  builder.WithColumns(names).WithThreads(context_->options().scan_threads);
  if (constant) builder.WithPredicate(constant);
  delta::Scan scan = builder.Build();
  scan.Execute([&](const RecordBatch& batch) {
    if (batch.num_rows() == 0) return;
    const auto b = static_cast<uint32_t>(index.batches.size());
    const columnar::Column& c = batch.column(key_column);
    const bool text = c.type()->id() == TypeId::kString;
    for (int64_t r = 0; r < batch.num_rows(); ++r) {
      if (c.IsNull(r)) continue;  // NULL never equals anything
      std::string k;
      if (text) {
        k = std::string(c.GetString(r));
      } else {
        k = std::to_string(columnar::GetValue(c, r).as_int());
      }
      index.rows[std::move(k)].emplace_back(b, static_cast<uint32_t>(r));
    }
    index.batches.push_back(batch);
  });
  context_->metrics().Add(name_, scan.metrics());
  ++context_->metrics().indexes_built;
  return &(indexes_[key] = std::move(index));
}

void DeltaTable::Cursor::Advance() {
  if (index_ != nullptr) {
    if (matches_ == nullptr || match_ >= matches_->size()) {
      eof_ = true;
      index_ = nullptr;
      current_ = &batch_;
      return;
    }
    const auto [b, r] = (*matches_)[match_];
    current_ = &index_->batches[b];
    row_ = r;
    return;
  }
  while (row_ >= batch_.num_rows()) {
    auto next = stream_->Next();
    if (!next) {
      eof_ = true;
      batch_ = RecordBatch();
      FinishScan();
      return;
    }
    batch_ = std::move(*next);
    row_ = 0;
  }
}

void DeltaTable::Cursor::Next() {
  ++rowid_;
  if (index_ != nullptr) {
    ++match_;
  } else {
    ++row_;
  }
  Advance();
}

void DeltaTable::Cursor::Column(sqlite3_context* ctx, int col) {
  const int ncols = static_cast<int>(table_->schema_.num_fields());
  if (col == ncols) {
    sqlite3_result_int64(ctx, snapshot_->version());
    return;
  }
  if (col == ncols + 1) {
    const std::string ts = columnar::FormatTimestamp(snapshot_->timestamp_ms() * 1000, true);
    sqlite3_result_text64(ctx, ts.data(), ts.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return;
  }
  const int bc = col >= 0 && col < ncols ? batch_column_[static_cast<size_t>(col)] : -1;
  if (bc < 0) {
    sqlite3_result_null(ctx);
    return;
  }
  ResultColumnValue(ctx, current_->column(static_cast<size_t>(bc)), row_);
}

}  // namespace cpglake::sql
