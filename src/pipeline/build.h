// pipeline/ — the build: repository scan → parse and extract (files in parallel) → graph
// rows → Delta tables → diagnostics table → a row in the build manifest (manifest.h).
// `cpglake build` is a thin shell over BuildGraph.
//
// Every commit of a build carries the commit properties cpglake.build_id, cpglake.repo_id,
// cpglake.tool_version, cpglake.schema_version, cpglake.schema_fingerprint (of that table's
// schema), cpglake.ordering_keys (the columns its rows are sorted by) and cpglake.config_hash.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/output_policy.h"
#include "delta/writer.h"
#include "parquet/compression.h"
#include "pipeline/manifest.h"
#include "pipeline/repo_scan.h"
#include "pipeline/scip_indexer.h"

namespace cpglake::pipeline {

// How the graph tables' data files are written (cpglake.toml [writer]; pipeline/config.h).
struct WriterSettings {
  parquet::Codec codec = parquet::Codec::kZstd;
  // 0: cpglake's default for the codec (zstd 1: ~10% less CPU for the whole build than
  // zstd's own default 3, and on these tables the files come out no larger; the codec's own
  // default for the others).
  int compression_level = 0;
  // Row groups of 8k rows: a point lookup (Bloom filters on the ids) decodes one row group,
  // and an incremental build reads (and deletes from) only the row groups that hold the
  // replaced files' rows. 1M → 32k rows made lookups 3× faster (stdlib graph: 21 → 7 ms) at
  // the same file size and build time; 32k → 8k made a one-file incremental build ~35% faster
  // and full scans no slower, files within 4% (docs/BENCHMARKS.md).
  int64_t row_group_rows = 1 << 13;
  int64_t target_file_bytes = int64_t{128} << 20;
  bool dictionary = true;
};
// The compression level WriterSettings::compression_level stands for.
int EffectiveCompressionLevel(parquet::Codec codec, int level);

// The data-skipping statistics columns (delta.dataSkippingStatsColumns) of the graph tables by
// default: only the columns the rows are clustered by (and so can skip files) — min/max of
// unique ids and names cost a third of the write and never prune a file.
const std::map<std::string, std::string>& DefaultStatsColumns();

// Incremental builds (docs/incremental.md; cpglake.toml [incremental]).
struct IncrementalSettings {
  // false: every build is a full build and no incremental state (file state, extraction
  // cache) is written.
  bool enabled = true;
  // Keep each parsed file's evidence in the extraction cache (not only its module summary), so
  // content seen before is never parsed again (switching branches back and forth).
  bool cache_evidence = true;
  // A work set (changed, deleted and impacted files) larger than this fraction of the files
  // makes a full build instead: cheaper, and the same tables.
  double max_work_fraction = 0.5;
  // OPTIMIZE a graph table after an incremental build when it has more data files than this,
  // or when more than `optimize_deleted_fraction` of its rows are deleted (by deletion
  // vectors). 0 disables the check.
  int64_t optimize_max_files = 64;
  double optimize_deleted_fraction = 0.2;
};

struct BuildOptions {
  std::string repo;                    // repository root
  std::optional<std::string> out;      // default: <repo>/.cpglake
  std::optional<std::string> repo_id;  // default: the repository directory's name
  int jobs = 0;                        // 0: one per core
  ScanOptions scan;
  // Table properties of the graph tables when created (CPG_MODEL.md defaults: deletion
  // vectors, change data feed, row tracking, in-commit timestamps).
  std::map<std::string, std::string> table_properties = {
      {"delta.enableDeletionVectors", "true"},
      {"delta.enableChangeDataFeed", "true"},
      {"delta.enableRowTracking", "true"},
      {"delta.enableInCommitTimestamps", "true"},
  };
  WriterSettings writer;
  IncrementalSettings incremental;
  // Write the derived tables cpg_edges_by_src, cpg_edges_by_dst and cpg_props_map
  // (cpg/derived_tables.h; cpglake.toml [derived] enabled). Off by default: they make
  // `callers` of common names ~20x faster but a build ~40% more CPU and a one-file incremental
  // build ~2x slower (docs/BENCHMARKS.md). Part of the configuration hash: toggling it makes
  // a full build.
  bool derived = false;
  // Build everything even when the output holds a build that an incremental build could
  // start from (`cpglake build --full`).
  bool full = false;
  // An incremental build lists only the files git says changed since the previous build
  // (`cpglake build --since REF`, `--git-base A --git-head B`; ScanOptions::git_range and
  // repo_scan.h "Change detection from git"): REF (A) must be what the previous build saw.
  // Ignored by a full build, and when a failed build came after the last successful one;
  // the manifest's strategy says "resolution-hash+git-diff" when it was used. Not part of the
  // configuration hash: the tables come out the same.
  std::optional<GitRange> git_range;
  // Table name (relative to out) → delta.dataSkippingStatsColumns when the table is written;
  // tables not named (or named with "") get Delta's default statistics.
  std::map<std::string, std::string> stats_columns = DefaultStatsColumns();
  // What the build's sinks may write (catalog/output_policy.h).
  catalog::OutputStoragePolicy output_policy;
  // SCIP evidence (docs/scip.md): an index to ingest (`--scip INDEX`) or scip-python to run
  // (`--scip-python`); cpglake.toml [scip]. The index is read (or written) before the build
  // touches the output: a bad index fails the build with the tables as they were.
  ScipSettings scip;
  // Called with (stage, done, total) as work progresses (for progress bars), from any thread.
  // Stages: "scan" (0/0, then n/n when done), "extract" and "resolve" (files), "write"
  // (tables). Calls of one stage may arrive out of order; done == total ends the stage.
  std::function<void(const std::string&, int64_t, int64_t)> progress;
};

// The Delta write options the build writes output table `table` ("cpg_nodes",
// "_cpglake/repo_files", ...) with, and its DML (incremental replacement, repo_files MERGE)
// too: overwrite with schema overwrite, the table properties, the Parquet writer settings
// (codec, EffectiveCompressionLevel, row group rows, dictionary, `threads` column encoders),
// the target file size, the table's data-skipping statistics columns and its Bloom filter
// columns. Without commit properties (the build adds its own). Public so that benchmarks
// write tables exactly as the pipeline does (bench/delta_dml_bench --pipeline-writer).
delta::WriteOptions GraphTableWriteOptions(const BuildOptions& options, const std::string& table,
                                           int threads);

struct TableChange {
  int64_t inserted = 0, deleted = 0, updated = 0;
};

struct BuildResult {
  std::string out;
  std::string repo_id;
  std::string build_id;
  int64_t files_scanned = 0;
  int64_t files_parsed = 0;
  int64_t bytes_parsed = 0;
  // Full builds: the graph's rows by kind. Incremental builds: empty (the work set's rows
  // only are known; see `changes`).
  std::map<std::string, int64_t> nodes_by_kind, edges_by_kind;
  int64_t nodes = 0, edges = 0, props = 0;  // rows of the graph tables after the build
  // Incremental builds: rows inserted / deleted / updated per graph table.
  std::map<std::string, TableChange> changes;
  std::vector<std::string> optimized;  // graph tables compacted after the build
  int64_t diagnostics = 0;
  std::map<std::string, int64_t> table_versions;  // table path (relative to out) → version
  double seconds_scan = 0, seconds_extract = 0, seconds_resolve = 0, seconds_write = 0;
  // The build's steps in the order they ran, with their wall seconds (finer than the four
  // stages above; names are for people and may change between releases).
  std::vector<std::pair<std::string, double>> phases;
  std::map<std::string, int64_t> diagnostics_by_code;  // rows of _cpglake/diagnostics by code
  BuildRecord record;                                  // the row appended to the build manifest
  int64_t manifest_version = -1;  // the version of _cpglake/builds that holds it
};

// Builds the graph of options.repo into the output directory.
//
// Incremental when the output holds a successful build made with the same configuration
// hash, graph schema and tool version, with its incremental state (docs/incremental.md), and
// options.full is not set: repo_files is merged, the work set (changed, deleted and impacted
// files) is re-extracted and its rows replaced in each graph table with one ReplaceRows commit
// (deletion vectors, change data feed); the result equals what a full build gives, row for
// row. Otherwise (record.full_reason says why) a full build: every output table is overwritten
// (one commit each), then the extraction cache and the file state are written.
//
// Either way the build's diagnostics (`_cpglake/diagnostics`) follow, then one row is
// appended to the manifest (`_cpglake/builds`, status "succeeded"). When anything after the
// scan fails (a write, a broken invariant), a row with status "failed" and the error (and the
// versions of the tables already written) is appended before the error is rethrown; if that
// append fails too, the original error is rethrown. A failed build never becomes the one
// queries see, and the next build repairs the tables. Errors of the scan itself (a missing
// repository, a bad glob) are thrown without touching the output.
BuildResult BuildGraph(const BuildOptions& options);

// A stable hash (32 hex characters) of every option that affects the tables' contents: the
// repository id (as resolved: the directory's name when unset), the scan's include/exclude
// globs, default excluded directories, max_files, max_file_bytes, follow_symlinks and use_git,
// the table properties, the Parquet writer settings, the graph schema version, whether SCIP
// evidence is ingested (not which index: its documents are compared one by one) and whether
// the derived tables are written. Not the
// repository's location, the output directory, jobs or the progress callback. A new
// BuildOptions field that changes the output must be added here.
std::string ConfigHash(const BuildOptions& options);
// The canonical JSON text ConfigHash hashes.
std::string ConfigCanonicalJson(const BuildOptions& options);

// The columns each output table's rows are sorted by (cpg/graph.h; CPG_MODEL.md
// "Determinism and ordering"), by table name ("cpg_nodes", "_cpglake/repo_files"); "" for a
// table whose rows have no defined order.
std::string OrderingKeys(const std::string& table);

// The dotted module name of a repository-relative path, given the directories that are
// packages (hold an __init__.py): walk up while the directory is a package. "pkg/__init__.py"
// → "pkg"; "pkg/sub/m.py" → "pkg.sub.m" when pkg and pkg/sub are packages; "scripts/x.py"
// → "x" when scripts is not. When the repository root itself is a package (an __init__.py at
// the top, "" among package_dirs), `root_package` (the root directory's name) heads the names
// that reach it: building /usr/lib/python3.11/email gives "email.mime.text", as Python sees it.
std::string ModuleNameForPath(const std::string& path, const std::vector<std::string>& package_dirs,
                              const std::string& root_package = "");

}  // namespace cpglake::pipeline
