// The `delta` virtual-table module: a Delta table (a snapshot of it) as an SQLite table.
//
//   CREATE VIRTUAL TABLE t USING delta(path='/data/t' [, version=3 |
//   timestamp='2026-01-02T10:00:00Z'])
//
// or sql::Database::RegisterTable, which passes a catalog::DatasetLocation (storage options,
// pins) through the module context (`dataset='<key>'`). The snapshot is opened once, when
// the table is connected, and serves every query; an unpinned table moves to the latest
// version only on DeltaModuleContext::Refresh (sql::Database::Refresh) or after its own
// INSERT commits. Columns and values: type_mapping.h. Two HIDDEN columns follow the table's
// own: `delta_version` (INTEGER) and `delta_timestamp` (TEXT, ISO-8601 UTC, ms) — usable as
// table-valued-function arguments (`t(3)`, `t(NULL, '2026-01-02T10:00:00Z')`) or `=`
// constraints to scan another version; reading them gives the snapshot scanned.
//
// ---- The xBestIndex → xFilter contract -------------------------------------------------
// idxNum: bit 0 (kIdxVersion) — a delta_version term is present; bit 1 (kIdxTimestamp) — a
//   delta_timestamp term is present (informational: idxStr is authoritative).
// idxStr (sqlite3_mprintf'd, freed by SQLite): "<projection>|<term>,<term>,..."
//   <projection>: '*' (every column) or the indices of the columns read, '.'-separated
//                 ("0.3.5"), taken from colUsed (bit 63 = every column from 63 on).
//   <term>: <op><column>[@<argv> | =<hex>]
//     op  'E' =   'L' <   'l' <=   'G' >   'g' >=
//         'I' IN, processed all at once (argv: an IN list for sqlite3_vtab_in_first/next)
//         'N' IS NULL   'n' IS NOT NULL   (no value)
//         'V' delta_version =   'T' delta_timestamp =   (no column; argv required)
//     column: index in the table schema.
//     @<argv>: the value is xFilter's argv[argv - 1] (a join column, a correlated value).
//     =<hex>: a constant known at planning time (sqlite3_vtab_rhs_value), already checked
//             to fit the column: the hex of its expr literal text (expr::FormatLiteral),
//             or "00" for NULL (the term is then FALSE). Constants take no argv slot, so a
//             plan using only constants has no "index terms" and SQLite never runs it as
//             one branch of a multi-index OR (whose rowid-based de-duplication needs stable
//             rowids, which a filtered Delta scan cannot give).
// xFilter ANDs the terms whose values fit the column (type_mapping.h PushdownLiteral) into
// one predicate for delta::ScanBuilder; SQLite re-checks every column term (omit is never
// set for them), so a term that is not pushed down only costs speed. 'V'/'T' are omitted:
// they choose the snapshot, they do not filter rows.
//
// ---- Costs ------------------------------------------------------------------------------
// estimatedRows starts from the snapshot's row count (sum of numRecords). Terms whose value
// is known at planning time (sqlite3_vtab_rhs_value) are pruned against the files' stats
// and partition values, and only rows of surviving files count. Each term then scales the
// estimate: = by 1/1000 (like an index lookup), IN by n/1000, a range by 1/3, IS NULL by
// 1/10. estimatedCost is 50 (opening a scan) + rows expected to be read, where row-group
// skipping is assumed to read 1/100 of the surviving rows for an = or IN term. Hence joins
// are driven from the small filtered side and probe this table with = lookups.
//
// ---- Join lookups ----------------------------------------------------------------------
// A nested-loop join probes this table with one `=` term on a join column per outer row.
// After kLookupsBeforeIndex such probes with the same plan (projection, probe column and
// constant terms; no other join value; at the registered snapshot), the rows matching the
// constant terms are read once into memory (only the projected columns and the join
// column) and hash-indexed by that column; later probes are
// answered from the index without a scan (SqlScanMetrics::index_lookups). Only for string
// and integer columns of tables of at most kMaxIndexedRows rows. An index belongs to one
// snapshot: Refresh and INSERT commits drop it.
//
// ---- Writes -----------------------------------------------------------------------------
// xUpdate accepts INSERT only (UPDATE and DELETE are refused, pointing at `cpglake delta
// delete` / `cpglake delta update`), coerces the values (type_mapping.h) and buffers them.
// xSync appends the buffered rows as ONE Delta commit (data files + log entry,
// delta::WriteDeltaTable) and then moves the table to the version it committed; xCommit
// and xRollback drop the buffer (so ROLLBACK writes nothing); savepoints truncate it.
// Pinned tables (a version or timestamp) are read-only.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "catalog/dataset_registry.h"
#include "columnar/record_batch.h"
#include "delta/scan.h"
#include "delta/scan_stream.h"
#include "delta/snapshot.h"
#include "expr/expression.h"
#include "parquet/file_writer.h"
#include "sql/virtual_table.h"

namespace cpglake::sql {

inline constexpr const char* kDeltaModuleName = "delta";
inline constexpr const char* kVersionColumn = "delta_version";
inline constexpr const char* kTimestampColumn = "delta_timestamp";
inline constexpr int kIdxVersion = 1;
inline constexpr int kIdxTimestamp = 2;
inline constexpr int kLookupsBeforeIndex = 8;
inline constexpr int64_t kMaxIndexedRows = int64_t{16} << 20;

struct TableOptions {
  int scan_threads = 0;  // delta::ScanBuilder::WithThreads (0: one per core)
  parquet::WriterOptions parquet;
  int64_t target_file_bytes = int64_t{128} << 20;
};

// Metrics of the scans run since the last Reset.
struct SqlScanMetrics {
  int64_t scans = 0;          // xFilter calls that ran a Delta scan
  int64_t index_lookups = 0;  // xFilter calls answered from a join lookup index
  int64_t indexes_built = 0;
  delta::ScanMetrics totals;
  std::map<std::string, delta::ScanMetrics> by_table;  // by SQL table name
  std::vector<std::string> predicates;                 // pushed down, one per scan
  std::vector<std::vector<std::string>> columns;       // columns read, one list per scan
  void Add(const std::string& table, const delta::ScanMetrics& m);
};

class DeltaTable;

// State shared by a database and its delta virtual tables (the module's pAux); owned by
// sql::Database, outlives every table of its connection.
class DeltaModuleContext {
 public:
  explicit DeltaModuleContext(TableOptions options) : options_(std::move(options)) {}
  const TableOptions& options() const { return options_; }

  // Locations handed to CREATE VIRTUAL TABLE as dataset='<key>'.
  std::string AddLocation(catalog::DatasetLocation location);
  const catalog::DatasetLocation& Location(const std::string& key) const;

  // Connected tables by SQL name (registered by the tables themselves).
  void Attach(const std::string& name, DeltaTable* table) { tables_[name] = table; }
  void Detach(const std::string& name, DeltaTable* table);
  // Moves every unpinned table to its latest version; the names refreshed.
  std::vector<std::string> Refresh();

  ErrorSink& errors() { return errors_; }
  SqlScanMetrics& metrics() { return metrics_; }

 private:
  TableOptions options_;
  std::map<std::string, catalog::DatasetLocation> locations_;
  std::map<std::string, DeltaTable*> tables_;
  ErrorSink errors_;
  SqlScanMetrics metrics_;
};

// The sqlite3_module of the `delta` virtual tables (pAux: a DeltaModuleContext*).
const sqlite3_module* DeltaModule();

class DeltaTable : public VirtualTable {
 public:
  class Cursor;

  static std::unique_ptr<DeltaTable> Connect(sqlite3* db, void* aux, int argc,
                                             const char* const* argv);
  static ErrorSink* AuxErrorSink(void* aux);
  ~DeltaTable() override;

  void BestIndex(sqlite3_index_info* info);
  std::unique_ptr<Cursor> Open();
  void Update(int argc, sqlite3_value** argv, sqlite3_int64* rowid);
  void Begin() {}
  void Sync();
  void Commit() { DiscardPending(); }
  void Rollback() { DiscardPending(); }
  void Savepoint(int n);
  void Release(int n);
  void RollbackTo(int n);
  ErrorSink* error_sink() { return &context_->errors(); }

  const std::string& name() const { return name_; }
  bool pinned() const { return location_.delta_version || location_.delta_timestamp_ms; }
  // Reopens the latest snapshot (unpinned tables only).
  void Refresh();

 private:
  DeltaTable(DeltaModuleContext* context, std::string name, catalog::DatasetLocation location);
  // The snapshot to scan for an optional version / timestamp pin (cached).
  std::shared_ptr<const delta::Snapshot> SnapshotFor(std::optional<int64_t> version,
                                                     std::optional<int64_t> timestamp_ms);
  void DiscardPending();

  // A join lookup index (see "Join lookups" above).
  struct LookupIndex {
    std::shared_ptr<const delta::Snapshot> snapshot;
    std::vector<int> batch_column;  // table column → column of `batches`, or -1
    std::vector<columnar::RecordBatch> batches;
    // Key (a string value, or an integer in decimal) → (batch, row) of each row holding it.
    std::unordered_map<std::string, std::vector<std::pair<uint32_t, uint32_t>>> rows;
  };
  // The index for the probes of one plan (its idxStr: projection, probe column, constant
  // terms) on `column`, reading `wanted` columns of the rows matching `constant` (nullptr:
  // all): built on the kLookupsBeforeIndex-th probe of the plan, nullptr before (or when the
  // table is too large).
  const LookupIndex* IndexForLookup(int column, const std::vector<int>& wanted,
                                    const std::string& plan, const expr::ExprPtr& constant);

  DeltaModuleContext* context_;
  std::string name_;
  catalog::DatasetLocation location_;
  std::shared_ptr<const delta::Snapshot> snapshot_;
  columnar::Schema schema_;  // the columns SQLite sees, fixed at connect time
  // Snapshots of other versions (key "v<version>" / "t<ms>"), bounded.
  std::map<std::string, std::shared_ptr<const delta::Snapshot>> pinned_cache_;
  // Buffered INSERT rows and the row counts at each open savepoint.
  std::optional<columnar::RecordBatch> pending_;
  std::vector<int64_t> savepoints_;
  std::map<std::string, LookupIndex> indexes_;  // by plan (idxStr)
  std::map<std::string, int> lookups_;          // probes counted toward an index
};

class DeltaTable::Cursor : public VirtualCursor {
 public:
  explicit Cursor(DeltaTable* table) : table_(table) {}
  ~Cursor() override;
  void Filter(int idx_num, const char* idx_str, int argc, sqlite3_value** argv);
  void Next();
  bool Eof() const { return eof_; }
  void Column(sqlite3_context* ctx, int col);
  int64_t Rowid() const { return rowid_; }

 private:
  void FinishScan();
  void Advance();
  // Answers the lookup from `index` (rows holding `key`).
  void ServeFromIndex(const DeltaTable::LookupIndex& index, const std::string& key);

  DeltaTable* table_;
  std::shared_ptr<const delta::Snapshot> snapshot_;
  std::unique_ptr<delta::ScanStream> stream_;
  std::vector<int> batch_column_;  // table column index → column in the batch, or -1
  columnar::RecordBatch batch_;
  const columnar::RecordBatch* current_ = &batch_;  // batch_ or a batch of the index
  const DeltaTable::LookupIndex* index_ = nullptr;  // while serving from an index
  const std::vector<std::pair<uint32_t, uint32_t>>* matches_ = nullptr;
  size_t match_ = 0;
  int64_t row_ = 0;
  int64_t rowid_ = 0;
  bool eof_ = true;
};

}  // namespace cpglake::sql
