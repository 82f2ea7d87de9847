#include "sql/graph_queries.h"

#include <algorithm>

namespace cpglake::sql {

std::string QuoteLiteral(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::vector<std::string> UnnestViews(const std::vector<std::string>& tables) {
  auto has = [&](const char* t) {
    return std::find(tables.begin(), tables.end(), t) != tables.end();
  };
  // json_each over the list column (JSON text in SQL, docs/sql.md); json_extract gives 1.0
  // back as the integer 1, hence the casts of the float fields.
  auto field = [](const std::string& name, const char* cast = nullptr) {
    const std::string e = "json_extract(e.value, '$." + name + "')";
    return ", " + (cast ? "CAST(" + e + " AS " + cast + ")" : e) + " AS " + name;
  };
  const char* const edge_fields[] = {"edge_id", "edge_kind", "bstart",
                                     "bend",    "origin",    "resolution_method"};
  const char* const src_fields[] = {"line", "col", "enclosing_id", "enclosing_kind",
                                    "enclosing_name"};
  std::vector<std::string> out;
  if (has("cpg_edges_by_src")) {
    std::string cols = "t.node_id AS node_id, t.owner_file_id AS owner_file_id, t.path AS path";
    for (const char* f : edge_fields) cols += field(f);
    cols += ", t.node_id AS src_node_id" + field("dst_node_id") + field("confidence", "REAL");
    for (const char* f : src_fields) cols += ", t." + std::string(f) + " AS src_" + f;
    out.push_back("CREATE TEMP VIEW cpg_edges_by_src_flat AS SELECT " + cols +
                  " FROM cpg_edges_by_src AS t, json_each(t.edges) AS e");
  }
  if (has("cpg_edges_by_dst")) {
    std::string cols = "t.node_id AS node_id, t.owner_file_id AS owner_file_id, t.path AS path";
    for (const char* f : edge_fields) cols += field(f);
    cols += field("src_node_id") + ", t.node_id AS dst_node_id" + field("confidence", "REAL");
    for (const char* f : src_fields) cols += field("src_" + std::string(f));
    out.push_back("CREATE TEMP VIEW cpg_edges_by_dst_flat AS SELECT " + cols +
                  " FROM cpg_edges_by_dst AS t, json_each(t.edges) AS e");
  }
  if (has("cpg_props_map")) {
    std::string cols =
        "t.entity_id AS entity_id, t.entity_kind AS entity_kind, t.file_id AS file_id";
    for (const char* f :
         {"prop_key", "value_type", "value_string", "value_int", "value_bool", "value_json"}) {
      cols += field(f);
    }
    cols += field("value_float", "REAL");
    out.push_back("CREATE TEMP VIEW cpg_props_map_flat AS SELECT " + cols +
                  " FROM cpg_props_map AS t, json_each(t.props) AS e");
  }
  return out;
}

std::string CallersQuery(const std::string& qualified_name, bool derived) {
  if (derived) {
    // The target's incoming call edges: its rows of cpg_edges_by_dst (sorted by node id:
    // statistics prune to one or two row groups), each with its call site's caller, line
    // and column; the owner's path is the call site's.
    return "WITH target AS (SELECT node_id, qualified_name FROM cpg_nodes WHERE qualified_name "
           "= " +
           QuoteLiteral(qualified_name) + " AND node_kind IN (" + kCallTargetKinds +
           ")),\n"
           "calls AS (SELECT node_id, src_enclosing_name, src_enclosing_kind, path, src_line,\n"
           "  src_col, resolution_method, confidence FROM cpg_edges_by_dst_flat\n"
           "  WHERE node_id IN (SELECT node_id FROM target) AND edge_kind = 'CALLS')\n"
           "SELECT calls.src_enclosing_name AS caller, calls.src_enclosing_kind AS caller_kind,\n"
           "  calls.path AS path, calls.src_line AS line, calls.src_col AS col,\n"
           "  calls.resolution_method AS method, calls.confidence AS confidence,\n"
           "  target.qualified_name AS callee\n"
           "FROM calls JOIN target ON target.node_id = calls.node_id\n"
           "ORDER BY path, line, col, caller, method";
  }
  // Staged as IN lists so that every step is one scan pruned by Bloom filters (node_id,
  // dst_node_id, qualified_name), not one scan per call site. The node lookups also carry the
  // paths of the files that hold them — a call edge is anchored in its call site's file
  // (path), and a call site's enclosing definition is in that file — because cpg_nodes is
  // sorted by path: the path statistics skip the row groups of other files, which the Bloom
  // filters on node_id cannot do once the list is long.
  return "WITH target AS (SELECT node_id, qualified_name FROM cpg_nodes WHERE qualified_name = " +
         QuoteLiteral(qualified_name) + " AND node_kind IN (" + kCallTargetKinds +
         ")),\n"
         "calls AS (SELECT src_node_id, dst_node_id, path, resolution_method, confidence\n"
         "  FROM cpg_edges WHERE edge_kind = 'CALLS' AND dst_node_id IN (SELECT node_id FROM "
         "target)),\n"
         "site AS (SELECT node_id, path, line_start, col_start, enclosing_id FROM cpg_nodes\n"
         "  WHERE node_id IN (SELECT src_node_id FROM calls) AND path IN (SELECT path FROM "
         "calls)),\n"
         "caller AS (SELECT node_id, node_kind, qualified_name FROM cpg_nodes\n"
         "  WHERE node_id IN (SELECT enclosing_id FROM site) AND path IN (SELECT path FROM "
         "site))\n"
         "SELECT caller.qualified_name AS caller, caller.node_kind AS caller_kind, site.path AS "
         "path,\n"
         "  site.line_start AS line, site.col_start AS col, calls.resolution_method AS method,\n"
         "  calls.confidence AS confidence, target.qualified_name AS callee\n"
         // The call sites drive the join (CROSS JOIN keeps them outermost) and find their
         // edges through an automatic index: with `calls` outermost SQLite, trusting the
         // tables' small row estimates, scanned `site` once per call edge (quadratic).
         "FROM site CROSS JOIN calls ON calls.src_node_id = site.node_id\n"
         "JOIN target ON target.node_id = calls.dst_node_id\n"
         "LEFT JOIN caller ON caller.node_id = site.enclosing_id\n"
         "ORDER BY path, line, col, caller, method";
}

std::string CalleesQuery(const std::string& qualified_name, bool derived) {
  if (derived) {
    // The call sites of the definition's file (cpg_edges_by_src: owner_file_id statistics
    // prune to the file) whose enclosing definition it is, their call edges, the callees.
    return "WITH fn AS (SELECT node_id, file_id FROM cpg_nodes WHERE qualified_name = " +
           QuoteLiteral(qualified_name) +
           " AND node_kind IN ('CST_FUNCTION_DEF', 'CST_CLASS_DEF', 'PY_MODULE')),\n"
           "calls AS (SELECT c.dst_node_id, c.src_line, c.src_col, c.resolution_method,\n"
           "  c.confidence FROM fn JOIN cpg_edges_by_src_flat AS c ON c.owner_file_id = "
           "fn.file_id\n"
           "  AND c.src_enclosing_id = fn.node_id AND c.edge_kind = 'CALLS'),\n"
           "callee AS (SELECT node_id, node_kind, qualified_name, path, line_start FROM "
           "cpg_nodes\n"
           "  WHERE node_id IN (SELECT dst_node_id FROM calls))\n"
           "SELECT callee.qualified_name AS callee, callee.node_kind AS callee_kind,\n"
           "  calls.src_line AS line, calls.src_col AS col, calls.resolution_method AS method,\n"
           "  calls.confidence AS confidence, callee.path AS callee_path,\n"
           "  callee.line_start AS callee_line\n"
           "FROM calls JOIN callee ON callee.node_id = calls.dst_node_id\n"
           "ORDER BY line, col, callee";
  }
  return "WITH fn AS (SELECT node_id, file_id, path, bstart, bend FROM cpg_nodes WHERE "
         "qualified_name = " +
         QuoteLiteral(qualified_name) +
         " AND node_kind IN ('CST_FUNCTION_DEF', 'CST_CLASS_DEF', 'PY_MODULE')),\n"
         // The call sites inside the definition's span (path: statistics prune to the file's
         // row groups, as cpg_nodes is sorted by path; file_id's hashes do not), then those
         // whose innermost enclosing definition is it.
         "site AS (SELECT s.node_id, s.path, s.line_start, s.col_start FROM fn JOIN cpg_nodes AS "
         "s\n"
         "  ON s.path = fn.path AND s.file_id = fn.file_id\n"
         "  AND s.node_kind IN ('CST_CALLSITE', 'CST_DECORATOR')\n"
         "  AND s.bstart >= fn.bstart AND s.bend <= fn.bend AND s.enclosing_id = fn.node_id),\n"
         // Their edges: owned by the file (cpg_edges is sorted by edge_owner_file_id).
         "calls AS (SELECT src_node_id, dst_node_id, resolution_method, confidence FROM "
         "cpg_edges\n"
         "  WHERE edge_kind = 'CALLS' AND src_node_id IN (SELECT node_id FROM site)\n"
         "  AND edge_owner_file_id IN (SELECT file_id FROM fn)),\n"
         "callee AS (SELECT node_id, node_kind, qualified_name, path, line_start FROM cpg_nodes\n"
         "  WHERE node_id IN (SELECT dst_node_id FROM calls))\n"
         "SELECT callee.qualified_name AS callee, callee.node_kind AS callee_kind, site.line_start "
         "AS line,\n"
         "  site.col_start AS col, calls.resolution_method AS method, calls.confidence AS "
         "confidence,\n"
         "  callee.path AS callee_path, callee.line_start AS callee_line\n"
         "FROM calls JOIN site ON site.node_id = calls.src_node_id\n"
         "JOIN callee ON callee.node_id = calls.dst_node_id\n"
         "ORDER BY line, col, callee";
}

std::string ImportsQuery(const std::string& module, bool reverse) {
  if (!reverse) {
    // The module's import aliases by path (statistics prune to the file) and file_id.
    return "WITH m AS (SELECT file_id, path FROM cpg_nodes WHERE node_kind = 'PY_MODULE' AND "
           "qualified_name = " +
           QuoteLiteral(module) +
           "),\n"
           "alias AS (SELECT a.node_id, a.path, a.line_start, a.name FROM m JOIN cpg_nodes AS a\n"
           "  ON a.path = m.path AND a.file_id = m.file_id AND a.node_kind = "
           "'CST_IMPORT_ALIAS'),\n"
           "imp AS (SELECT src_node_id, dst_node_id, resolution_method FROM cpg_edges\n"
           "  WHERE edge_kind = 'IMPORTS' AND src_node_id IN (SELECT node_id FROM alias)\n"
           "  AND edge_owner_file_id IN (SELECT file_id FROM m)),\n"
           "target AS (SELECT node_id, node_kind, qualified_name FROM cpg_nodes\n"
           "  WHERE node_id IN (SELECT dst_node_id FROM imp))\n"
           "SELECT alias.line_start AS line, alias.name AS name, target.qualified_name AS "
           "imports,\n"
           "  target.node_kind AS target_kind, imp.resolution_method AS method\n"
           "FROM alias LEFT JOIN imp ON imp.src_node_id = alias.node_id\n"
           "LEFT JOIN target ON target.node_id = imp.dst_node_id\n"
           "ORDER BY line, name";
  }
  const std::string q = QuoteLiteral(module);
  const std::string prefix = QuoteLiteral(module + ".");
  return "WITH target AS (SELECT node_id, qualified_name FROM cpg_nodes WHERE qualified_name = " +
         q +
         " AND node_kind IN ('PY_MODULE', 'PY_PACKAGE', 'PY_QUALIFIED_NAME')\n"
         "  UNION ALL SELECT node_id, qualified_name FROM cpg_nodes WHERE substr(qualified_name, "
         "1, " +
         std::to_string(module.size() + 1) + ") = " + prefix +
         "\n"
         "    AND node_kind IN ('CST_FUNCTION_DEF', 'CST_CLASS_DEF', 'PY_BINDING', "
         "'PY_QUALIFIED_NAME', 'PY_MODULE', 'PY_PACKAGE')),\n"
         "imp AS (SELECT src_node_id, dst_node_id, path, resolution_method FROM cpg_edges\n"
         "  WHERE edge_kind = 'IMPORTS' AND dst_node_id IN (SELECT node_id FROM target)),\n"
         "alias AS (SELECT node_id, file_id, path, line_start FROM cpg_nodes\n"
         "  WHERE node_id IN (SELECT src_node_id FROM imp) AND path IN (SELECT path FROM imp)),\n"
         "importer AS (SELECT file_id, qualified_name FROM cpg_nodes WHERE node_kind = "
         "'PY_MODULE'\n"
         "  AND file_id IN (SELECT file_id FROM alias) AND path IN (SELECT path FROM alias))\n"
         "SELECT importer.qualified_name AS importer, alias.path AS path, alias.line_start AS "
         "line,\n"
         "  target.qualified_name AS imports, imp.resolution_method AS method\n"
         "FROM imp JOIN target ON target.node_id = imp.dst_node_id\n"
         "JOIN alias ON alias.node_id = imp.src_node_id\n"
         "LEFT JOIN importer ON importer.file_id = alias.file_id\n"
         "ORDER BY importer, path, line";
}

}  // namespace cpglake::sql
