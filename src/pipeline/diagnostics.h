// The diagnostics table `_cpglake/diagnostics` (catalog::kDiagnosticsDataset): one row per
// diagnostic of a build — files the scan skipped and why, syntax errors, undecodable or
// unreadable files, unresolved imports, limits hit — with the DIAG node that carries it in
// the graph (when there is one), and diagnostics recorded outside the graph, such as a sink
// the output policy refused. docs/graph_model.md "Diagnostics table" documents the columns.
//
// A build replaces the table's rows with its own (WriteBuildDiagnostics: one overwrite
// commit); AppendDiagnostics adds rows to the current build's set afterwards. The graph's
// DIAG nodes are unchanged by any of this: the table holds the same diagnostics, flat.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "columnar/types.h"

namespace cpglake::delta {
struct WriteResult;
}  // namespace cpglake::delta

namespace cpglake::pipeline {

// Where a diagnostic came from (the `source` column; for DIAG nodes the same value as their
// `diag_source` prop).
namespace diag_source {
inline constexpr const char* kScan = "scan";           // repository scan: files skipped, limits
inline constexpr const char* kFrontEnd = "front_end";  // parse, decode, scope analysis
inline constexpr const char* kResolver = "resolver";   // cross-file resolution
inline constexpr const char* kScip = "scip";           // SCIP index ingestion
inline constexpr const char* kPolicy = "policy";       // output storage policy (refused sinks)
}  // namespace diag_source

struct DiagnosticRecord {
  std::string build_id;
  std::optional<std::string> file_id;  // the PY_FILE of a listed file; null: repository level
  std::optional<std::string> path;     // repository-relative; null for the whole repository
  std::string severity;                // error | warning | info
  std::string code;                    // SYNTAX_ERROR, BINARY, UNRESOLVED_IMPORT, ...
  std::string message;
  std::optional<int32_t> line, col;    // 1-based line, 0-based UTF-8 byte column
  std::string source;                  // diag_source::*
  std::optional<std::string> node_id;  // the DIAG node in cpg_nodes, when there is one
  bool operator==(const DiagnosticRecord&) const = default;
};

// The schema of `_cpglake/diagnostics`.
columnar::Schema DiagnosticsSchema();

// Sorts into the table's order: (path nulls first, line, col, source, code, message, node_id).
void SortDiagnostics(std::vector<DiagnosticRecord>* rows);

// Replaces the rows of OUT/_cpglake/diagnostics with `rows` (sorted, build_id set to
// `build_id`); one overwrite commit carrying `commit_properties`.
delta::WriteResult WriteBuildDiagnostics(
    const std::string& out_dir, const std::string& build_id, std::vector<DiagnosticRecord> rows,
    const std::map<std::string, std::string>& commit_properties);

// Appends diagnostics of build `build_id` found after the build wrote its own (e.g. a sink
// the output policy refused: source "policy", code "REFUSED_SINK"). Creates the table when
// it does not exist. Returns the version written.
int64_t AppendDiagnostics(const std::string& out_dir, const std::string& build_id,
                          std::vector<DiagnosticRecord> rows);

// The rows of the table (of one build when `build_id` is given), in table order; empty when
// the table does not exist.
std::vector<DiagnosticRecord> ReadDiagnostics(const std::string& out_dir,
                                              const std::optional<std::string>& build_id = {});

// code → number of rows.
std::map<std::string, int64_t> CountByCode(const std::vector<DiagnosticRecord>& rows);

}  // namespace cpglake::pipeline
