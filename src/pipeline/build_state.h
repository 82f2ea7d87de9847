// pipeline/ — what an incremental build keeps between builds, as Delta tables of the output
// (docs/incremental.md):
//
//   _cpglake/file_state     one row per file of the last build that wrote the graph: its id,
//                           path, module name, content hash, the extraction cache key of its
//                           content, and a hash of the rows cross-file resolution gave it (its
//                           IMPORTS / CALLS / INHERITS edges, external targets, unresolved-
//                           import diagnostics). One extra row, file_id "", holds the hash of
//                           the repository-level rows (PY_REPO, packages, PY_QUALIFIED_NAME
//                           targets, scan diagnostics). Written last, after the graph tables:
//                           it describes what they hold.
//   _cpglake/extract_cache  the front end's results by content: key = hash of (SHA-256 of the
//                           bytes, module name, is-package, front-end codec version, graph
//                           schema version, tool version); the module summary (always) and the
//                           evidence (when the build caches it) as python/summary_codec.h blobs.
//                           Append-only; content-addressed, so any build may add to it and
//                           switching branches back finds the old content's results.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "delta/writer.h"
#include "parquet/file_writer.h"

namespace cpglake::pipeline {

struct PreviousFile;

// The files `_cpglake/repo_files` lists (latest version), by path; empty when it does not
// exist. For the scan's stat-first check.
std::map<std::string, PreviousFile> ReadKnownFiles(const std::string& out_dir);

struct FileState {
  std::string file_id;  // "" for the repository-level row
  std::string path;
  std::string module_name;
  std::string sha256;
  std::string cache_key;        // ExtractCacheKey of its content
  std::string resolution_hash;  // 32 hex characters
  // What its resolution read (ResolutionDepsText): the ids of the files whose summaries it
  // used and the classes whose subclasses it searched, one per line; "" when unknown (a state
  // written before they were recorded: the file is re-resolved). The repository-level row
  // holds the module table's fingerprint here.
  std::string resolution_deps;
  // The external qualified names its resolver edges point at, sorted, one per line.
  std::string externals;
  bool operator==(const FileState&) const = default;
};

// The state rows by file_id; empty when the table does not exist.
std::map<std::string, FileState> ReadFileState(const std::string& out_dir);
// Replaces the table's rows (one overwrite commit).
delta::WriteResult WriteFileState(const std::string& out_dir,
                                  const std::map<std::string, FileState>& states,
                                  const std::map<std::string, std::string>& commit_properties);

// The Parquet options of the state tables' data files (also for their OPTIMIZE).
parquet::WriterOptions StateWriterOptions(std::string_view dataset);

// The extraction cache key of a file's content (32 hex characters).
std::string ExtractCacheKey(const std::string& sha256, const std::string& module_name,
                            bool is_package);

struct CacheEntry {
  std::string key;
  std::string sha256, module_name;
  std::string summary;                  // python::EncodeSummary
  std::optional<std::string> evidence;  // python::EncodeEvidence; null when not cached
};

// The entries for `keys` that the cache holds (with their evidence only when `with_evidence`).
std::map<std::string, CacheEntry> ReadExtractCache(const std::string& out_dir,
                                                   const std::set<std::string>& keys,
                                                   bool with_evidence, int threads);
// The keys the cache holds; empty when it does not exist.
std::set<std::string> ExtractCacheKeys(const std::string& out_dir);
// Appends entries (one commit), or with `replace` overwrites the cache with them (a damaged
// cache). With no entries nothing is written: the result is marked skipped and holds the
// table's current version (-1 when the table does not exist or cannot be read).
delta::WriteResult AppendExtractCache(const std::string& out_dir,
                                      const std::vector<CacheEntry>& entries,
                                      const std::map<std::string, std::string>& commit_properties,
                                      bool replace = false);

}  // namespace cpglake::pipeline
