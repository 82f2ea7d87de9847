// Writing Delta tables: create, append / overwrite / error / ignore, schema evolution
// (merge, overwrite), replaceWhere (predicate overwrite), Hive-style partitioning, data
// files at a target size with per-file statistics, table properties with the protocol
// upgrades they need, and idempotent writes keyed by an application transaction id.
//
// Every write is one Transaction (delta/transaction.h): data files are written first, under
// fresh random names nothing references, and become part of the table only when the
// commit's put-if-absent succeeds. A write that fails before that deletes the files it wrote
// (best effort: a crash leaves them as garbage for vacuum); the table never changes half-way.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "columnar/record_batch.h"
#include "delta/actions.h"
#include "delta/transaction.h"
#include "parquet/file_writer.h"
#include "storage/object_store.h"

namespace cpglake::delta {

enum class WriteMode {
  kAppend,         // add the rows
  kOverwrite,      // replace every row (or those matching `predicate`)
  kErrorIfExists,  // create; InvalidInput when the table exists
  kIgnore,         // create; do nothing when the table exists
};
enum class SchemaMode {
  kStrict,     // the data must fit the table's schema (missing nullable columns are null)
  kMerge,      // new columns are added (nullable, nested too); widening where allowed
  kOverwrite,  // the data's schema replaces the table's (overwrite only)
};
// "append" | "overwrite" | "error" (also "errorifexists") | "ignore"; InvalidInput otherwise.
WriteMode ParseWriteMode(std::string_view text);
std::string_view WriteModeName(WriteMode mode);
// "strict" (also "none") | "merge" | "overwrite".
SchemaMode ParseSchemaMode(std::string_view text);

struct WriteOptions {
  WriteMode mode = WriteMode::kAppend;
  SchemaMode schema_mode = SchemaMode::kStrict;
  // replaceWhere: with kOverwrite, only rows matching it are replaced, and every written row
  // must match it.
  std::optional<std::string> predicate;
  // Partition columns of a new table (or of the table replaced by a schema overwrite); for
  // an existing table they must be empty or equal to the table's.
  std::vector<std::string> partition_by;
  // Table properties: set at creation, or changed by this write (with the protocol upgrade
  // a property needs).
  std::map<std::string, std::string> properties;
  std::optional<std::string> name, description;  // of a new table
  // Idempotency: when the table's latest version for app_id is ≥ app_version, the write is
  // skipped (WriteResult::skipped); otherwise the commit records (app_id, app_version).
  std::optional<std::string> app_id;
  std::optional<int64_t> app_version;
  std::map<std::string, std::string> commit_properties;
  // Data file options. bloom_filters name columns logically (dotted for struct fields);
  // they are mapped to physical names under column mapping, and partition columns (not in
  // the data files) are ignored. InvalidInput for a name that is not a column.
  parquet::WriterOptions parquet;
  int64_t target_file_bytes = int64_t{128} << 20;
  // At most this many partition files open at once (each buffers a row group).
  int max_open_files = 32;
  std::optional<int64_t> now_ms;  // injectable clock (tests)
  IsolationLevel isolation = IsolationLevel::kWriteSerializable;
  bool checkpoint = true;  // CommitOptions::checkpoint
};

struct WriteMetrics {
  int64_t files_added = 0, rows_added = 0, bytes_added = 0;
  int64_t files_removed = 0, rows_removed = 0, bytes_removed = 0;
};

struct WriteResult {
  int64_t version = -1;     // the version committed, or the current one when skipped
  bool skipped = false;     // nothing committed (ignore mode on an existing table, or an
  std::string skip_reason;  // app transaction already applied)
  int attempts = 0;
  WriteMetrics totals;
  // Per partition (the Hive path, "p=x/"; "" for an unpartitioned table).
  std::map<std::string, WriteMetrics> partitions;
  std::string commit_info;                    // as written
  std::optional<int64_t> checkpoint_version;  // a checkpoint was written after the commit
  std::string checkpoint_error;               // the commit stands; its checkpoint failed
};

// A stream of batches; nullopt at the end.
using BatchSource = std::function<std::optional<columnar::RecordBatch>()>;

// Writes the batches of `source` (all of schema `data_schema`) to the table in `store`
// (created when it does not exist).
WriteResult WriteDeltaTable(const std::shared_ptr<storage::ObjectStore>& store,
                            const columnar::Schema& data_schema, const BatchSource& source,
                            const WriteOptions& options);
WriteResult WriteDeltaTable(const std::shared_ptr<storage::ObjectStore>& store,
                            const columnar::RecordBatch& data, const WriteOptions& options);

struct CreateOptions {
  columnar::Schema schema;
  std::vector<std::string> partition_by;
  std::map<std::string, std::string> properties;
  std::optional<std::string> name, description;
  WriteMode mode = WriteMode::kErrorIfExists;  // kIgnore: no-op on an existing table
  std::map<std::string, std::string> commit_properties;
  std::optional<int64_t> now_ms;
};
// Creates an empty table (version 0: protocol, metaData, commitInfo).
WriteResult CreateDeltaTable(const std::shared_ptr<storage::ObjectStore>& store,
                             const CreateOptions& options);

// Sets and unsets table properties in one commit, upgrading the protocol to table features
// when a property needs a feature the table lacks (ProtocolUpgrade::kTableFeatures: e.g.
// delta.enableDeletionVectors → reader 3 / writer 7 deletionVectors;
// delta.enableChangeDataFeed on a (1,2) table → (1,7) with appendOnly, invariants,
// changeDataFeed). Turning row tracking on in a table with files also assigns row ids to
// them in the same commit (Transaction: the backfill).
WriteResult SetTableProperties(const std::shared_ptr<storage::ObjectStore>& store,
                               const std::map<std::string, std::string>& set,
                               const std::vector<std::string>& unset = {},
                               const std::map<std::string, std::string>& commit_properties = {},
                               std::optional<int64_t> now_ms = std::nullopt);

// How RequiredProtocol upgrades a protocol that lacks a needed legacy feature
// (changeDataFeed, columnMapping, appendOnly).
enum class ProtocolUpgrade {
  // The lowest legacy versions that have it (e.g. (1,4) for the change data feed), as Spark
  // creates tables: new tables.
  kLegacyVersions,
  // Table features (writer 7, plus reader 3 when a reader feature is needed): turning a
  // feature on in an existing table (shared/design/DELTA.md "feature enablement").
  kTableFeatures,
};

// The protocol a table with `metadata` needs, starting from `current` (never downgraded):
// legacy versions while only legacy features are needed (and, with kTableFeatures, only when
// `current` already has them), reader 3 / writer 7 with explicit feature lists otherwise
// (listing the features the legacy versions implied; the reader version stays below 3 when
// no reader feature is needed). Properties `delta.feature.<name> = supported` add a feature
// explicitly. Unsupported for properties that enable a feature cpglake cannot write.
Protocol RequiredProtocol(const Protocol& current, const Metadata& metadata,
                          ProtocolUpgrade upgrade = ProtocolUpgrade::kLegacyVersions);

// The schema after merging `data` into `table` (SchemaMode::kMerge): new fields appended
// (nested structs merged recursively), made nullable; a type change only where the table
// allows widening (`delta.enableTypeWidening`). InvalidInput describing the difference
// otherwise.
columnar::Schema MergeSchemas(const columnar::Schema& table, const columnar::Schema& data,
                              bool allow_type_widening);

// Column mapping: gives every field without one a column-mapping id and physical name
// (`col-<uuid>`), raising `delta.columnMapping.maxColumnId` in `configuration`.
columnar::Schema AssignColumnMapping(const columnar::Schema& schema,
                                     std::map<std::string, std::string>* configuration);

}  // namespace cpglake::delta
