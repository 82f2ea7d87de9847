// DML on Delta tables: DELETE, UPDATE, MERGE and REPLACE ROWS, each one Delta commit.
//
// Strategies (chosen per table, as Delta Spark does):
//   - deletion vectors, when `delta.enableDeletionVectors = true`: for every touched file, the
//     positions of its deleted and updated rows are unioned with the file's existing DV and
//     written as a new DV (a DV file in the table root, or inline for small vectors when
//     DmlOptions::inline_dv_max_bytes allows); the log gets `remove` of (path, old DV) and
//     `add` of (path, new DV) with the file's stats and row-tracking fields kept. Only updated
//     and inserted rows are written as new data files. A file whose every row ends up deleted
//     is removed.
//   - copy-on-write otherwise: every touched file is removed and its untouched rows are
//     rewritten into new files together with the updated rows.
//
// What is read: the snapshot's files are pruned with partition values and statistics (the
// file skipping of a scan) by the operation's predicate — for MERGE, the ON condition's
// target-only conjuncts and the range (or set) of source join keys; none for a MERGE with a
// WHEN NOT MATCHED BY SOURCE clause, which may change any row — and only the surviving files
// are read, one at a time, row group by row group. With deletion vectors, a row group whose
// Parquet statistics (or Bloom filters) rule out that predicate is not read either: its rows
// are kept as they are (DmlMetrics::row_groups_skipped). Copy-on-write reads every row group
// of a file it reads, since it rewrites the file's untouched rows. Memory: with deletion
// vectors, one decoded row group at a time and the buffered row group of written rows;
// with copy-on-write, the rows of the file being rewritten; plus, for MERGE, the source,
// which is held in memory (not copied when given as one batch) and hashed on its join keys.
//
// Concurrency: the transaction records the predicate (TrackRead) and every file read
// (TrackReadFile), so transaction.h's conflict rules apply: a concurrent blind append does not
// conflict (WriteSerializable), a concurrent change of a file this operation read does.
//
// Change data feed (`delta.enableChangeDataFeed = true`): each operation that deletes or
// updates rows writes `_change_data/` files (table columns + `_change_type`: delete,
// update_preimage, update_postimage, and for a MERGE that also inserts, insert) and `cdc`
// actions: a CDF reader takes only the cdc files of such a commit. A commit that only inserts
// writes no cdc files (its adds are its inserts).
//
// Row tracking (`delta.enableRowTracking = true`): updated and copied rows keep their stable
// row ids, materialised in the column named by `delta.rowTracking.materializedRowIdColumnName`;
// copied rows keep their row commit version (materialised in
// `delta.rowTracking.materializedRowCommitVersionColumnName`), updated rows get the commit's
// version. Rows re-added with a DV keep the file's baseRowId / defaultRowCommitVersion.
// When the table has no materialised column names yet, the operation assigns them.
//
// Errors: InvalidInput (bad predicates/expressions, DELETE without a predicate, ambiguous
// MERGE matches), Unsupported (table features we cannot write), CommitConflict (a concurrent
// commit changed what this operation read). Data files written by a failed operation are
// deleted (best effort).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "columnar/record_batch.h"
#include "delta/writer.h"
#include "expr/expression.h"
#include "storage/object_store.h"

namespace cpglake::delta {

struct DmlOptions {
  // nullopt: deletion vectors when the table enables them (`delta.enableDeletionVectors`),
  // copy-on-write otherwise. true on a table without the deletionVectors feature is
  // InvalidInput; false forces copy-on-write.
  std::optional<bool> use_deletion_vectors;
  // DVs whose serialised bitmap is at most this many bytes are stored inline ('i') in the
  // log instead of in a DV file; 0 (the default, as Spark): always a DV file.
  int32_t inline_dv_max_bytes = 0;
  // Data file options (parquet, target_file_bytes, max_open_files), commit_properties,
  // now_ms, isolation, checkpoint, and idempotency: with app_id and app_version (both or
  // neither, else InvalidInput), an operation whose app_id the table already records at
  // app_version or later does nothing (committed = false, skip_reason set); otherwise its
  // commit records (app_id, app_version) as a `txn` action. An operation that changes
  // nothing makes no commit, so records no version either. mode / schema_mode / predicate /
  // partition_by / properties are ignored (MergeOptions has its own schema_mode).
  WriteOptions write;
};

struct DmlMetrics {
  int64_t files_considered = 0;  // live files in the snapshot
  int64_t files_skipped = 0;     // pruned by partition values / statistics
  int64_t files_read = 0;        // read (the rest of the considered files)
  int64_t files_touched = 0;     // read and changed
  // Row groups of the files read that were not read: their statistics rule out every row
  // the operation could change (with deletion vectors only).
  int64_t row_groups_skipped = 0;
  int64_t files_added = 0, files_removed = 0;
  int64_t bytes_added = 0, bytes_removed = 0;  // data files
  int64_t rows_deleted = 0, rows_updated = 0, rows_inserted = 0;
  int64_t rows_copied = 0;  // unchanged rows rewritten (copy-on-write)
  int64_t deletion_vectors_added = 0, deletion_vectors_removed = 0;
  int64_t dv_bytes = 0;         // of the DV file written (or inline DVs)
  int64_t cdc_files_added = 0;  // `_change_data/` files
  int64_t time_ms = 0;          // whole operation
  int64_t scan_time_ms = 0;     // reading target files (and deciding rows)
  int64_t rewrite_time_ms = 0;  // writing data, DV and change files
};

struct DmlResult {
  // The version committed; when nothing changed no commit is made (committed = false) and
  // this is the version read.
  int64_t version = -1;
  bool committed = false;
  bool deletion_vectors = false;  // the strategy used
  int attempts = 0;
  DmlMetrics metrics;
  std::vector<std::string> files_read;  // paths (as in the log) of the files read
  std::string commit_info;              // as written
  // Why nothing was committed although there may have been changes: the application
  // transaction (DmlOptions::write.app_id) was already applied. Empty otherwise.
  std::string skip_reason;
};

// DELETE FROM table WHERE predicate. The predicate is over the table's columns (parser.h
// syntax); nullptr or an empty text is refused (InvalidInput): use DeleteAll.
DmlResult Delete(const std::shared_ptr<storage::ObjectStore>& store, const expr::ExprPtr& predicate,
                 const DmlOptions& options = {});
DmlResult Delete(const std::shared_ptr<storage::ObjectStore>& store, std::string_view predicate,
                 const DmlOptions& options = {});
// DELETE FROM table: removes every file (no file is read, except with the change data feed,
// where the deleted rows are written as change data).
DmlResult DeleteAll(const std::shared_ptr<storage::ObjectStore>& store,
                    const DmlOptions& options = {});

// UPDATE table SET col = expr, ... [WHERE predicate]. `set` maps a column (top level) to a SQL
// expression over the table's columns (the old values), cast to the column's type
// (InvalidInput when it cannot be). nullptr / empty predicate: every row.
DmlResult Update(const std::shared_ptr<storage::ObjectStore>& store, const expr::ExprPtr& predicate,
                 const std::map<std::string, std::string>& set, const DmlOptions& options = {});
DmlResult Update(const std::shared_ptr<storage::ObjectStore>& store, std::string_view predicate,
                 const std::map<std::string, std::string>& set, const DmlOptions& options = {});

// ---- MERGE ---------------------------------------------------------------------------
//
// MERGE INTO table AS target USING source AS source ON <on> <clauses>.
// Column references in `on`, conditions and expressions are `target.col` / `source.col`
// (the aliases are MergeOptions::target_alias / source_alias, matched case-insensitively);
// an unqualified name is allowed when exactly one side has that column. Semantics as Spark:
//   - a target row matches the source rows for which `on` is TRUE (a NULL key never matches);
//     `on` must contain at least one equality `target.a = source.b` (the hash join key);
//   - clauses are tried in the order given within each group (matched / not matched /
//     not matched by source); the first whose condition is TRUE applies, and a row no clause
//     applies to is left as it is (or, not matched, not inserted);
//   - a target row matched by more than one source row is InvalidInput naming the key, when
//     there is a matched clause;
//   - update_all sets every target column that the source has (by name, case-insensitively)
//     and keeps the others; insert_all inserts source columns by name, nulls for the rest;
//     explicit update/insert assignments name target columns (`col` or `target.col`);
//   - schema_mode = kMerge first adds the source's new columns to the table (nullable).
struct MergeClause {
  enum class Kind {
    kMatchedUpdate,
    kMatchedUpdateAll,
    kMatchedDelete,
    kNotMatchedInsert,
    kNotMatchedInsertAll,
    kNotMatchedBySourceUpdate,
    kNotMatchedBySourceDelete,
  };
  Kind kind = Kind::kMatchedUpdateAll;
  std::optional<std::string> condition;    // SQL predicate; nullopt: always
  std::map<std::string, std::string> set;  // target column -> SQL expression
};
MergeClause WhenMatchedUpdate(std::map<std::string, std::string> set,
                              std::optional<std::string> condition = std::nullopt);
MergeClause WhenMatchedUpdateAll(std::optional<std::string> condition = std::nullopt);
MergeClause WhenMatchedDelete(std::optional<std::string> condition = std::nullopt);
MergeClause WhenNotMatchedInsert(std::map<std::string, std::string> values,
                                 std::optional<std::string> condition = std::nullopt);
MergeClause WhenNotMatchedInsertAll(std::optional<std::string> condition = std::nullopt);
// Conditions and expressions of the by-source clauses may use target columns only.
MergeClause WhenNotMatchedBySourceUpdate(std::map<std::string, std::string> set,
                                         std::optional<std::string> condition = std::nullopt);
MergeClause WhenNotMatchedBySourceDelete(std::optional<std::string> condition = std::nullopt);

struct MergeOptions {
  DmlOptions dml;                                // strategy, data file and commit options
  SchemaMode schema_mode = SchemaMode::kStrict;  // kMerge: add new source columns
  std::string source_alias = "source";
  std::string target_alias = "target";
};

DmlResult Merge(const std::shared_ptr<storage::ObjectStore>& store,
                const columnar::Schema& source_schema, const BatchSource& source,
                std::string_view on, const std::vector<MergeClause>& clauses,
                const MergeOptions& options = {});
DmlResult Merge(const std::shared_ptr<storage::ObjectStore>& store,
                const columnar::RecordBatch& source, std::string_view on,
                const std::vector<MergeClause>& clauses, const MergeOptions& options = {});

// ---- REPLACE ROWS (per-owner replacement) ---------------------------------------------
//
// For incremental rebuilds of tables whose rows each belong to one owner (a source file) or
// to none: one commit that makes the rows of a set of owners exactly a given new set, while
// changing — and reporting in the change data feed — only what differs.
struct ReplaceSpec {
  std::string owner_column;         // a top-level string column, e.g. "file_id"
  std::vector<std::string> owners;  // the owners whose rows are replaced (any order, may be empty)
  bool null_owner = false;          // also the rows whose owner is NULL
  // Optional SQL predicate (parser.h syntax) that every row of the replaced set satisfies,
  // old and new — used only to skip data files (stats/partition values) and, with deletion
  // vectors, Parquet row groups (row-group statistics and Bloom filters) before reading;
  // it is ANDed with the owner predicate. E.g. for cpg_nodes, sorted by path:
  // "(file_id IN ('a','b') AND path IN ('x.py','y.py')) OR file_id IS NULL". A new row that
  // does not satisfy it is InvalidInput. Empty: derived from the owners
  // (owner_column IN (...) [OR owner_column IS NULL]).
  std::string prune_predicate;
  // Columns that identify a row (e.g. {"node_id"}; {"entity_id","prop_key"}): an old and a
  // new row with the same key (NULLs equal) but different values are an update (CDF
  // update_preimage/postimage). Empty: no pairing (changed rows are a delete plus an insert).
  std::vector<std::string> key_columns;
};

// Makes the rows whose owner_column is in spec.owners (or NULL, with null_owner) exactly
// `new_rows` (a multiset; new_rows has the table's schema, columns by name: AlignBatch), in
// one commit:
//   - an old row equal (all columns, NULLs equal, floats bitwise) to a not-yet-matched new
//     row is kept as it is: not in the change data, its row id and commit version kept
//     (copy-on-write copies it only when other rows of its file change);
//   - otherwise an old row whose key equals a remaining new row's key is updated to it;
//   - the remaining old rows are deleted, the remaining new rows inserted.
// Old rows are matched in reading order (file by file, a batch's exact matches before its
// key matches): with keys unique among the old rows and among the new rows, the outcome is
// the minimal change.
// Rows of other owners are never changed. Strategy (DVs or copy-on-write), CDF, row
// tracking, conflict detection and idempotency (app_id) as for the other DML operations;
// commitInfo.operation "REPLACE ROWS" with operationParameters ownerColumn, numOwners and
// nullOwner. No commit when nothing changes (committed = false). A new row whose owner is
// not in the set is InvalidInput (nothing written); so is an unknown owner/key column or an
// owner column that is not a string.
//
// Reads: the files the prune predicate does not rule out, one at a time; with deletion
// vectors only their row groups it does not rule out (DmlMetrics::row_groups_skipped).
// Memory: new_rows and its hash tables, plus what the strategy holds of one file (above).
DmlResult ReplaceRows(const std::shared_ptr<storage::ObjectStore>& store, const ReplaceSpec& spec,
                      const columnar::RecordBatch& new_rows, const DmlOptions& options = {});

}  // namespace cpglake::delta
