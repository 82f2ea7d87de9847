// The export module: the ONE place where Parquet files are written outside the Delta writer
// (DELTA.md "Output storage policy"). An export copies rows — a snapshot of a registered
// dataset, or any stream of batches (SQL `COPY (query) TO ...`) — to a target location:
//
//   * format delta: a NEW Delta table (delta::WriteDeltaTable, mode error-if-exists), whose
//     commit records where the rows came from (`cpglake.export_source`,
//     `cpglake.export_source_version`).
//   * format parquet: plain Parquet files `part-00000.parquet`, `part-00001.parquet`, ... in
//     the target directory, each about `target_file_bytes` large (a file is closed at the
//     first row group that reaches it). Only when the output storage policy allows it
//     (catalog/output_policy.h); no `_metadata`/`_common_metadata` sidecars. All parts are
//     written under temporary names (`.cpglake-tmp.export-*`) and renamed into place only
//     once every part is complete, so a failure leaves no partial or stray files behind. A
//     non-empty directory is refused unless `overwrite`, and even then only a previous
//     export (nothing but `part-*.parquet` files) is replaced — never a Delta table or
//     anyone else's files. Parquet exports go to local directories only (as the object
//     store does).
//
// Every export passes CheckSink first, Delta exports included.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/dataset_registry.h"
#include "catalog/output_policy.h"
#include "columnar/record_batch.h"
#include "delta/writer.h"
#include "parquet/file_writer.h"

namespace cpglake::catalog {

struct ExportOptions {
  // Top-level columns to export, in this order (ExportSnapshot; all when unset).
  std::optional<std::vector<std::string>> columns;
  // Only rows matching this SQL predicate (expr/parser.h syntax; ExportSnapshot; empty: all).
  std::string predicate;
  // Parquet: replace a previous export in the target directory.
  bool overwrite = false;
  // Parquet: start a new part once a file reaches this size (approximate: row groups are
  // not split). Delta: the writer's target file size.
  int64_t target_file_bytes = int64_t{128} << 20;
  // Codec, level, row group size, dictionary of the files written (both formats).
  parquet::WriterOptions parquet;
  // Delta: table properties of the new table, and extra commit properties.
  std::map<std::string, std::string> table_properties;
  std::map<std::string, std::string> commit_properties;
  int threads = 0;  // scan and encode threads; 0: one per core
  // Called when the policy refuses the sink (to record it as a diagnostic).
  RefusedSinkCallback on_refused;
  std::optional<int64_t> now_ms;  // injectable clock (Delta commit; tests)
};

struct ExportedFile {
  std::string path;  // Parquet: the file's final path; Delta: the table path
  int64_t rows = 0;
  int64_t bytes = 0;
};

struct ExportResult {
  DatasetFormat format = DatasetFormat::kDelta;
  std::string target;  // the target location's path
  std::vector<ExportedFile> files;
  int64_t rows = 0;
  int64_t bytes = 0;
  std::string schema;                     // "name: type, ..." (columnar::Schema::ToString)
  std::string schema_fingerprint;         // first 16 hex digits of SHA-256(Delta schema JSON)
  std::optional<int64_t> source_version;  // ExportSnapshot: the snapshot exported
  std::optional<int64_t> target_version;  // Delta: the version written (0)
};

// Exports the snapshot `source` names (version or timestamp pin applied) to `target`, in
// `target.format`. SinkRefused for a Parquet target the policy does not allow; InvalidInput
// for an existing Delta target, a non-empty Parquet directory without `overwrite`, unknown
// columns or a bad predicate; NotFound when the source table does not exist.
ExportResult ExportSnapshot(const DatasetLocation& source, const DatasetLocation& target,
                            const OutputStoragePolicy& policy, const ExportOptions& options);

// Exports the batches of `source` (all of `schema`) to `target`; `what` names the sink in
// policy errors ("COPY ... TO"). `columns` and `predicate` of the options do not apply.
ExportResult ExportBatches(const columnar::Schema& schema, const delta::BatchSource& source,
                           const DatasetLocation& target, const OutputStoragePolicy& policy,
                           const ExportOptions& options, std::string_view what = "export");

}  // namespace cpglake::catalog
