// The derived tables (docs/graph_model.md "Derived tables"): the graph tables regrouped for
// lookups by node — cpg_edges_by_src and cpg_edges_by_dst (one row per node and owner file,
// its edges as a list<struct>), cpg_props_map (one row per entity and file, its props as a
// list<struct>). Each derived row belongs to exactly one owner file (or to none: repository
// level), the owner of the base rows it is made of, so that an incremental build replaces a
// file's derived rows with its base rows (delta::ReplaceRows on the owner column).
//
// A derived row is a function of one RowSet (graph.h: a file's rows, or the repository
// level's): the edges it owns, and its own nodes for what the edge structs say about the src
// node (line, column, enclosing definition). So a full and an incremental build make the same
// rows. cpg::Graph streams them (Graph::EdgesBySrcBatches etc.) from the compact rows, in
// these orders (nulls first, strings bytewise):
//   cpg_edges_by_src  by (owner_file_id, node_id) — a file's rows together, as cpg_edges;
//   cpg_edges_by_dst  by (node_id, owner_file_id) — a node's rows together, whatever their
//                     owners (a point lookup reads one or two row groups);
//   cpg_props_map     by (file_id, entity_id), as cpg_props;
// and each row's list by edge_id (edges) or prop_key (props).
#pragma once

#include "columnar/types.h"

namespace cpglake::cpg {

inline constexpr const char* kEdgesBySrcTable = "cpg_edges_by_src";
inline constexpr const char* kEdgesByDstTable = "cpg_edges_by_dst";
inline constexpr const char* kPropsMapTable = "cpg_props_map";

// node_id (the edges' src), owner_file_id, path (the owner's), the node's line, col,
// enclosing_id, enclosing_kind and enclosing_name (its enclosing definition's node_kind and
// qualified_name), edges: list<struct<edge_id, edge_kind, dst_node_id, bstart, bend, origin,
// resolution_method, confidence>>.
columnar::Schema EdgesBySrcSchema();
// node_id (the edges' dst), owner_file_id, path, edges: list<struct<edge_id, edge_kind,
// src_node_id, bstart, bend, origin, resolution_method, confidence, src_line, src_col,
// src_enclosing_id, src_enclosing_kind, src_enclosing_name>> (the call site's fields).
columnar::Schema EdgesByDstSchema();
// entity_id, entity_kind, file_id, props: list<struct<prop_key, value_type, value_string,
// value_int, value_float, value_bool, value_json>> (the cpg_props columns).
columnar::Schema PropsMapSchema();

}  // namespace cpglake::cpg
