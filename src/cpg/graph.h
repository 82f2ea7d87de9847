// The graph tables (CPG_MODEL.md "Core tables"): their schemas, row structs, and turning
// the front end's FileEvidence into rows with stable ids. Rows are collected per file (in
// parallel), then merged and sorted as the model specifies:
//   nodes by (path, bstart, bend, node_kind, node_id),
//   edges by (edge_owner_file_id, path, bstart, edge_kind, src_node_id, dst_node_id),
//   props by (entity_id, prop_key);
// nulls first. A duplicate id is an error, never silently dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "columnar/record_batch.h"
#include "python/evidence.h"

namespace cpglake::cpg {

columnar::Schema NodesSchema();
columnar::Schema EdgesSchema();
columnar::Schema PropsSchema();

struct NodeRow {
  std::string node_id, node_kind;
  std::optional<std::string> file_id, path;
  std::optional<int64_t> bstart, bend;
  std::optional<std::string> name, qualified_name, enclosing_id;
};

struct EdgeRow {
  std::string edge_id, edge_kind, src_node_id, dst_node_id;
  std::optional<std::string> edge_owner_file_id, path;
  std::optional<int64_t> bstart, bend;
  std::optional<std::string> origin, resolution_method;
  std::optional<double> confidence;
  std::optional<int32_t> symbol_roles;
};

struct PropRow {
  std::string entity_kind;  // "node" | "edge"
  std::string entity_id;
  std::optional<std::string> file_id;
  std::string prop_key;
  python::PropValue value;
  bool is_json = false;  // a string value that is JSON text (value_type "json")
};

struct GraphRows {
  std::vector<NodeRow> nodes;
  std::vector<EdgeRow> edges;
  std::vector<PropRow> props;
  void Reserve(size_t nodes_n, size_t edges_n, size_t props_n);
  void Append(GraphRows&& other);
};

// Where a file's evidence sits in the repository.
struct FileContext {
  std::string repo_id;
  std::string file_id;
  std::string path;         // repository-relative POSIX path
  std::string module_name;  // dotted module name ("pkg.mod"; "pkg" for pkg/__init__.py)
};

// Rows of one file's evidence: ids per CPG_MODEL.md (declarations by qualified path and
// ordinal, anchored nodes by span), qualified_name = module_name + "." + qualified_path
// for declarations, enclosing_id, line/column props (line_start, line_end, col_start,
// col_end) for anchored nodes, the evidence's own props, diagnostics as DIAG nodes with
// HAS_DIAGNOSTIC edges from the file's module.
GraphRows RowsForFile(const FileContext& file, const python::FileEvidence& evidence);

// Sorts as specified; InvalidInput naming the id when two rows share one.
void SortAndCheck(GraphRows* rows);

columnar::RecordBatch NodesBatch(const std::vector<NodeRow>& rows);
columnar::RecordBatch EdgesBatch(const std::vector<EdgeRow>& rows);
columnar::RecordBatch PropsBatch(const std::vector<PropRow>& rows);

}  // namespace cpglake::cpg
