// Named queries over the graph tables (CPG_MODEL.md), as SQL text for a sql::Database that
// has the output registered (pipeline/output_query.h): the questions users ask most, without
// writing SQL. Arguments are embedded as quoted SQL literals.
#pragma once

#include <string>
#include <vector>

namespace cpglake::sql {

// The kinds a qualified name can name as a call target: definitions in the repository and
// names outside it.
inline constexpr const char* kCallTargetKinds =
    "'CST_FUNCTION_DEF', 'CST_CLASS_DEF', 'PY_QUALIFIED_NAME'";

// Who calls `qualified_name` (a function, method or class of the repository, or an outside
// name such as `os.path.join`): one row per call site — caller (the enclosing function,
// class or module), path, line, column, the resolution method and confidence.
// With `derived` (the output has cpg_edges_by_dst and the views of UnnestViews), the call
// edges and what they say about their call sites (caller, path, line, column) come from
// cpg_edges_by_dst — one lookup by node id — instead of lookups of the call sites and their
// enclosing definitions in cpg_nodes; the rows are the same.
std::string CallersQuery(const std::string& qualified_name, bool derived = false);

// What `qualified_name` (a function or method) calls: one row per resolved call edge from a
// call site directly inside it — callee, callee kind, call line, method, confidence, and
// where the callee is defined.
// With `derived` (cpg_edges_by_src and its view registered), the call sites and their edges
// come from cpg_edges_by_src (the rows of the definition's file whose enclosing definition it
// is); the rows are the same.
std::string CalleesQuery(const std::string& qualified_name, bool derived = false);

// The SQL helpers that unnest the derived tables (docs/sql.md "Unnesting the derived
// tables"): one CREATE TEMP VIEW statement per derived table among `tables` (SQL names) —
// cpg_edges_by_src_flat and cpg_edges_by_dst_flat (one row per edge: the row's node_id,
// owner_file_id and path, src_node_id and dst_node_id, the edge struct's fields and the src
// node's src_line, src_col, src_enclosing_id, src_enclosing_kind, src_enclosing_name),
// cpg_props_map_flat (one row per prop).
std::vector<std::string> UnnestViews(const std::vector<std::string>& tables);

// What module `module` imports (one row per imported name: line, the imported module and
// name, and what it resolves to), or with `reverse`, which modules import `module` or a
// name from it.
std::string ImportsQuery(const std::string& module, bool reverse);

// 'text' with quotes doubled.
std::string QuoteLiteral(const std::string& text);

}  // namespace cpglake::sql
