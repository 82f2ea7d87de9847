// Migration of plain Parquet data into a Delta table (`cpglake migrate SRC TARGET`).
//
// SRC is one Parquet file or a directory tree of them. Discovery lists it recursively in key
// order (so the result is deterministic), keeps files ending in `.parquet` / `.parq`, and
// skips every path with a segment starting with `.` or `_` (`_SUCCESS`, `.crc` files,
// `_delta_log/`, `_temporary/`). Directory segments of the form `name=value` (Hive style,
// Spark's escapePathName undone) are partition columns: every file must have the same ones,
// in the same order; `__HIVE_DEFAULT_PARTITION__` (and an empty value) is null. A column's
// type is inferred from all its values: long when every non-null value is a decimal integer
// that fits 64 bits, else date when every one is `YYYY-MM-DD`, else string.
//
// Schema: the files' schemas must be equal (names, types, nullability); otherwise the plan
// has a conflict that names two files and the difference, unless schema_mode is kMerge: then
// the union is taken (MergeSchemas with type widening: new columns nullable, widening such as
// int → long or float → double; any other type change is an InvalidInput). A column missing
// from some files, or nullable in some, is nullable in the table. The table schema is the
// data columns followed by the partition columns.
//
// Two ways to make the table:
//   - kCopy (default): the rows are rewritten into TARGET with WriteDeltaTable, file by file,
//     row group by row group (memory is bounded by one row group), partitioned by
//     `partition_by` (default: the discovered partition columns; any columns of the table
//     may be given, which repartitions the data).
//   - kInPlace: no data is written. TARGET must be SRC or a directory containing it; one
//     commit adds the existing files (paths relative to TARGET, partition values from their
//     directories, sizes and modification times from the store, statistics computed by
//     reading each file — nothing is committed when a file cannot be read). `partition_by`
//     must then be empty or name exactly the discovered partition columns.
//
// Modes (WriteMode): kErrorIfExists refuses an existing table; kAppend adds the rows (an
// in-place append skips files the table already holds); kOverwrite replaces the table's rows
// (in place: removes every file the table holds that is not among the adopted ones).
//
// Verification: a content fingerprint is an order-independent digest of a multiset of rows
// (row count plus the 128-bit sum of per-row hashes of each row's canonical JSON, with keys
// sorted and null values left out, so column order, a widened type and a missing nullable
// column do not change it). Migrate computes the source's while it reads the files; with
// `verify` it re-reads the committed table and compares.
//
// Nothing here writes before PlanMigration has succeeded without conflicts, and a failure
// before the commit leaves the table as it was (WriteDeltaTable cleans up its data files;
// in place there are none).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "columnar/record_batch.h"
#include "columnar/types.h"
#include "delta/actions.h"
#include "delta/writer.h"
#include "storage/object_store.h"

namespace cpglake::delta {

enum class MigrateMethod { kCopy, kInPlace };
std::string_view MigrateMethodName(MigrateMethod method);  // "copy" | "in-place"

struct MigrateOptions {
  MigrateMethod method = MigrateMethod::kCopy;
  WriteMode mode = WriteMode::kErrorIfExists;  // kAppend, kOverwrite or kErrorIfExists
  SchemaMode schema_mode = SchemaMode::kStrict;
  // Partition columns of the table; empty: the discovered ones.
  std::vector<std::string> partition_by;
  // Given to storage::OpenObjectStore for both SRC and TARGET.
  storage::StorageOptions storage_options;
  bool verify = false;
  // kCopy: the data files written.
  parquet::WriterOptions parquet;
  int64_t target_file_bytes = int64_t{128} << 20;
  std::optional<int64_t> now_ms;  // injectable clock (tests)
};

// The order-independent digest of a multiset of rows (see above).
struct ContentFingerprint {
  int64_t rows = 0;
  uint64_t hi = 0, lo = 0;  // sums of the two 64-bit halves of the row hashes, mod 2^64
  void AddBatch(const columnar::RecordBatch& batch);
  void Add(const ContentFingerprint& other);
  std::string Hex() const;  // 32 lowercase hex characters
  bool operator==(const ContentFingerprint&) const = default;
};

// The fingerprint of every live row of the table in `store` (latest version when unset).
ContentFingerprint FingerprintTable(const std::shared_ptr<storage::ObjectStore>& store,
                                    std::optional<int64_t> version = std::nullopt);

struct MigrateSourceFile {
  std::string key;  // relative to the SRC directory (the file name when SRC is a file)
  int64_t size = 0;
  int64_t modification_time_ms = 0;
  int64_t rows = 0;
  PartitionValues partition_values;  // from the Hive directories; null for the default
  columnar::Schema schema;           // of the file's data columns
};

struct MigratePartitionColumn {
  std::string name;
  columnar::TypePtr type;  // long, date or string (inferred)
};

struct MigratePlan {
  std::string source, target;
  MigrateMethod method = MigrateMethod::kCopy;
  WriteMode mode = WriteMode::kErrorIfExists;
  bool source_is_file = false;
  std::vector<MigrateSourceFile> files;
  int64_t rows = 0, bytes = 0;
  std::vector<MigratePartitionColumn> partitions;  // discovered, in path order
  std::vector<std::string> partition_by;           // of the table written
  columnar::Schema schema;                         // of the table: data, then partition columns
  std::string schema_fingerprint;                  // columnar::SchemaFingerprint(schema)
  // In place: TARGET-relative prefix of SRC ("" when SRC is TARGET, else "dir/").
  std::string table_prefix;
  int64_t target_version = -1;  // the existing table's version, -1 when there is none
  // Problems that make Migrate refuse (each one line): schema differences without merge,
  // an existing table in error mode, partition columns in-place cannot honour, ...
  std::vector<std::string> conflicts;
  // Things worth knowing that do not block (schemas merged, files already in the table).
  std::vector<std::string> notes;
};

struct MigrateVerification {
  bool ok = false;
  ContentFingerprint expected, actual;
  std::string message;  // what differs, or "row counts and content fingerprints match"
};

struct MigrateResult {
  MigratePlan plan;
  int64_t version = -1;  // committed (or the table's current one when nothing was added)
  int64_t files_added = 0, files_removed = 0, rows_added = 0, bytes_added = 0;
  // In place: stats columns (summed over the files added) whose stats came from the Parquet
  // footers / from reading the data (delta/footer_stats.h), and files whose data was read.
  int64_t stats_leaves_from_footer = 0, stats_leaves_from_data = 0, files_read = 0;
  ContentFingerprint source_fingerprint;  // of the rows migrated
  // What the table's rows must fingerprint to after the commit (the source's, plus the
  // previous table's rows in append mode; computed only with `verify`).
  ContentFingerprint expected_fingerprint;
  std::optional<MigrateVerification> verification;
  std::string checkpoint_error;  // the commit stands; its checkpoint failed
};

// Discovers and inspects SRC (footers only) and TARGET; writes nothing. InvalidInput for bad
// options or an unusable tree (no Parquet files, inconsistent partition directories);
// CorruptData naming the file for a footer that does not parse. Blocking problems go to
// `conflicts` rather than being thrown, so a dry run can show them all.
MigratePlan PlanMigration(const std::string& source, const std::string& target,
                          const MigrateOptions& options);

// Plans, refuses (InvalidInput with the conflicts) when the plan has any, then migrates and,
// with options.verify, verifies. Errors reading a source file name the file.
MigrateResult Migrate(const std::string& source, const std::string& target,
                      const MigrateOptions& options);

// Re-reads the table at TARGET (latest version) and compares it with `expected`.
MigrateVerification VerifyMigration(const std::string& target, const ContentFingerprint& expected,
                                    const storage::StorageOptions& storage_options = {});

}  // namespace cpglake::delta
