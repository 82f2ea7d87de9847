#include "cpg/graph.h"

#include <algorithm>
#include <set>
#include <thread>
#include <tuple>

#include "common/error.h"
#include "cpg/ids.h"

namespace cpglake::cpg {

namespace {

using columnar::Column;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;

void AppendOptString(Column& c, const std::optional<std::string>& v) {
  if (v) {
    c.AppendString(*v);
  } else {
    c.AppendNull();
  }
}

template <typename T>
void AppendOpt(Column& c, const std::optional<T>& v) {
  if (v) {
    c.Append<T>(*v);
  } else {
    c.AppendNull();
  }
}

// Orders optionals with nulls first.
template <typename T>
int Cmp(const std::optional<T>& a, const std::optional<T>& b) {
  if (!a || !b) return (a ? 1 : 0) - (b ? 1 : 0);
  return *a < *b ? -1 : (*b < *a ? 1 : 0);
}

}  // namespace

Schema NodesSchema() {
  return Schema(std::vector<Field>{
      Field("node_id", DataType::String(), false), Field("node_kind", DataType::String(), false),
      Field("file_id", DataType::String(), true), Field("path", DataType::String(), true),
      Field("bstart", DataType::Int64(), true), Field("bend", DataType::Int64(), true),
      Field("line_start", DataType::Int32(), true), Field("line_end", DataType::Int32(), true),
      Field("col_start", DataType::Int32(), true), Field("col_end", DataType::Int32(), true),
      Field("name", DataType::String(), true), Field("qualified_name", DataType::String(), true),
      Field("enclosing_id", DataType::String(), true)});
}

Schema EdgesSchema() {
  return Schema(std::vector<Field>{
      Field("edge_id", DataType::String(), false), Field("edge_kind", DataType::String(), false),
      Field("src_node_id", DataType::String(), false),
      Field("dst_node_id", DataType::String(), false),
      Field("edge_owner_file_id", DataType::String(), true),
      Field("path", DataType::String(), true), Field("bstart", DataType::Int64(), true),
      Field("bend", DataType::Int64(), true), Field("origin", DataType::String(), true),
      Field("resolution_method", DataType::String(), true),
      Field("confidence", DataType::Float64(), true),
      Field("symbol_roles", DataType::Int32(), true)});
}

Schema PropsSchema() {
  return Schema(std::vector<Field>{
      Field("entity_kind", DataType::String(), false),
      Field("entity_id", DataType::String(), false), Field("file_id", DataType::String(), true),
      Field("prop_key", DataType::String(), false), Field("value_type", DataType::String(), false),
      Field("value_string", DataType::String(), true), Field("value_int", DataType::Int64(), true),
      Field("value_float", DataType::Float64(), true),
      Field("value_bool", DataType::Boolean(), true),
      Field("value_json", DataType::String(), true)});
}

void GraphRows::Reserve(size_t nodes_n, size_t edges_n, size_t props_n) {
  nodes.reserve(nodes_n);
  edges.reserve(edges_n);
  props.reserve(props_n);
}

void GraphRows::Append(GraphRows&& other) {
  auto move_all = [](auto& to, auto& from) {
    if (to.empty() && to.capacity() < from.size()) {
      to = std::move(from);
    } else {
      to.insert(to.end(), std::make_move_iterator(from.begin()),
                std::make_move_iterator(from.end()));
    }
  };
  move_all(nodes, other.nodes);
  move_all(edges, other.edges);
  move_all(props, other.props);
}

void SetLines(const python::LineIndex& lines, int64_t bstart, int64_t bend, NodeRow* row) {
  const auto [l0, c0] = lines.Position(bstart);
  const auto [l1, c1] = lines.Position(bend);
  row->line_start = static_cast<int32_t>(l0);
  row->line_end = static_cast<int32_t>(l1);
  row->col_start = static_cast<int32_t>(c0);
  row->col_end = static_cast<int32_t>(c1);
}

std::string DiagnosticNodeId(const FileContext& file, const python::Diagnostic& d) {
  return StableId("DIAG", {file.file_id, d.bstart, d.bend, d.code, d.message});
}

NodeRow DiagnosticRows(const FileContext& file, const python::Diagnostic& d,
                       std::string_view source, std::vector<PropRow>* props) {
  NodeRow r;
  r.node_id = DiagnosticNodeId(file, d);
  r.node_kind = "DIAG";
  r.file_id = file.file_id;
  r.path = file.path;
  if (d.bstart >= 0) {
    r.bstart = d.bstart;
    r.bend = d.bend;
  }
  r.name = d.code;
  for (auto& [k, v] :
       std::initializer_list<std::pair<const char*, std::string_view>>{{"severity", d.severity},
                                                                       {"message", d.message},
                                                                       {"code", d.code},
                                                                       {"diag_source", source}}) {
    props->push_back(
        PropRow{"node", r.node_id, file.file_id, k, python::PropValue(std::string(v)), false});
  }
  return r;
}

GraphRows RowsForFile(const FileContext& file, const python::FileEvidence& ev) {
  GraphRows out;
  const size_t n = ev.nodes.size();
  std::vector<std::string> ids(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& e = ev.nodes[i];
    ids[i] =
        FrontEndNodeId(e.kind, file.file_id, e.name, e.qualified_path, e.ordinal, e.bstart, e.bend);
  }
  int32_t module_index = -1;
  out.nodes.reserve(n + ev.diagnostics.size());
  for (size_t i = 0; i < n; ++i) {
    const auto& e = ev.nodes[i];
    if (e.kind == "PY_MODULE" && module_index < 0) module_index = static_cast<int32_t>(i);
    NodeRow r;
    r.node_id = ids[i];
    r.node_kind = e.kind;
    r.file_id = file.file_id;
    r.path = file.path;
    if (e.bstart >= 0) {
      r.bstart = e.bstart;
      r.bend = e.bend;
    }
    if (!e.name.empty()) r.name = e.name;
    if (e.kind == "PY_MODULE" || e.qualified_path == "<module>") {
      r.qualified_name = file.module_name;  // the module itself (and its module scope)
    } else if (IsDeclarationKind(e.kind) && !e.qualified_path.empty()) {
      r.qualified_name =
          file.module_name.empty() ? e.qualified_path : file.module_name + "." + e.qualified_path;
    }
    if (e.enclosing >= 0 && static_cast<size_t>(e.enclosing) < n) r.enclosing_id = ids[e.enclosing];
    if (e.bstart >= 0) SetLines(ev.lines, e.bstart, e.bend, &r);
    for (const auto& [k, v] : e.props) {
      out.props.push_back(PropRow{"node", ids[i], file.file_id, k, v, false});
    }
    out.nodes.push_back(std::move(r));
  }
  auto add_edge = [&](const std::string& kind, const std::string& src, const std::string& dst,
                      int64_t bstart, int64_t bend, const std::string& origin,
                      const std::string& method, double confidence) {
    EdgeRow r;
    r.edge_kind = kind;
    r.src_node_id = src;
    r.dst_node_id = dst;
    std::optional<int64_t> b, e;
    if (bstart >= 0) b = bstart, e = bend;
    r.edge_id = EdgeId(kind, src, dst, b, e);
    r.edge_owner_file_id = file.file_id;
    r.path = file.path;
    r.bstart = b;
    r.bend = e;
    r.origin = origin;
    if (!method.empty()) r.resolution_method = method;
    r.confidence = confidence;
    out.edges.push_back(std::move(r));
  };
  for (const auto& e : ev.edges) {
    if (e.src < 0 || e.dst < 0 || static_cast<size_t>(e.src) >= n ||
        static_cast<size_t>(e.dst) >= n) {
      throw InternalError("evidence edge " + e.kind + " of " + file.path +
                          " points outside the file");
    }
    add_edge(e.kind, ids[e.src], ids[e.dst], e.bstart, e.bend, e.origin, e.resolution_method,
             e.confidence);
  }
  for (const auto& d : ev.diagnostics) {
    NodeRow r = DiagnosticRows(file, d, "front_end", &out.props);
    if (d.bstart >= 0) SetLines(ev.lines, d.bstart, d.bend, &r);
    if (module_index >= 0) {
      add_edge("HAS_DIAGNOSTIC", ids[module_index], r.node_id, d.bstart, d.bend, "syntax", "", 1.0);
    }
    out.nodes.push_back(std::move(r));
  }
  return out;
}

namespace {

// Sorts `v` by `less` through an index permutation: the comparisons read the rows in place
// and each row is moved once (rows are large; moving them inside std::sort dominated).
template <typename Row, typename Less>
void SortRows(std::vector<Row>& v, Less less) {
  std::vector<uint32_t> order(v.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return less(v[a], v[b]); });
  std::vector<Row> sorted;
  sorted.reserve(v.size());
  for (uint32_t i : order) sorted.push_back(std::move(v[i]));
  v = std::move(sorted);
}

void SortNodesAndEdges(GraphRows* rows) {
  SortRows(rows->nodes, [](const NodeRow& a, const NodeRow& b) {
    if (int c = Cmp(a.path, b.path)) return c < 0;
    if (int c = Cmp(a.bstart, b.bstart)) return c < 0;
    if (int c = Cmp(a.bend, b.bend)) return c < 0;
    return std::tie(a.node_kind, a.node_id) < std::tie(b.node_kind, b.node_id);
  });
  SortRows(rows->edges, [](const EdgeRow& a, const EdgeRow& b) {
    if (int c = Cmp(a.edge_owner_file_id, b.edge_owner_file_id)) return c < 0;
    if (int c = Cmp(a.path, b.path)) return c < 0;
    if (int c = Cmp(a.bstart, b.bstart)) return c < 0;
    return std::tie(a.edge_kind, a.src_node_id, a.dst_node_id, a.edge_id) <
           std::tie(b.edge_kind, b.src_node_id, b.dst_node_id, b.edge_id);
  });
}

}  // namespace

void SortAndCheck(GraphRows* rows) {
  auto& nodes = rows->nodes;
  // The three sorts are independent: nodes and edges on a second thread, props here.
  std::thread other([rows] { SortNodesAndEdges(rows); });
  SortRows(rows->props, [](const PropRow& a, const PropRow& b) {
    if (int c = Cmp(a.file_id, b.file_id)) return c < 0;
    if (int c = a.entity_id.compare(b.entity_id)) return c < 0;
    return a.prop_key < b.prop_key;
  });
  other.join();
  auto& edges = rows->edges;
  auto& props = rows->props;
  // Duplicates: ids must be unique (the sort orders are not by id: check with a set of views).
  std::vector<std::string_view> ids;
  ids.reserve(nodes.size());
  for (const auto& r : nodes) ids.push_back(r.node_id);
  std::sort(ids.begin(), ids.end());
  auto dup = std::adjacent_find(ids.begin(), ids.end());
  if (dup != ids.end()) throw InternalError("duplicate node id " + std::string(*dup));
  ids.clear();
  for (const auto& r : edges) ids.push_back(r.edge_id);
  std::sort(ids.begin(), ids.end());
  dup = std::adjacent_find(ids.begin(), ids.end());
  if (dup != ids.end()) throw InternalError("duplicate edge id " + std::string(*dup));
  // (entity, key) pairs must differ, whatever their file_id (stricter than Graph, which checks
  // per file: see graph.h).
  std::vector<std::pair<std::string_view, std::string_view>> keys;
  keys.reserve(props.size());
  for (const auto& r : props) keys.emplace_back(r.entity_id, r.prop_key);
  std::sort(keys.begin(), keys.end());
  auto dup_key = std::adjacent_find(keys.begin(), keys.end());
  if (dup_key != keys.end()) {
    throw InternalError("duplicate prop " + std::string(dup_key->second) + " of " +
                        std::string(dup_key->first));
  }
}

RecordBatch NodesBatch(const std::vector<NodeRow>& rows) {
  RecordBatch b = RecordBatch::MakeEmpty(NodesSchema());
  for (size_t c = 0; c < b.num_columns(); ++c)
    b.mutable_column(c).Reserve(static_cast<int64_t>(rows.size()));
  for (const auto& r : rows) {
    b.mutable_column(0).AppendString(r.node_id);
    b.mutable_column(1).AppendString(r.node_kind);
    AppendOptString(b.mutable_column(2), r.file_id);
    AppendOptString(b.mutable_column(3), r.path);
    AppendOpt(b.mutable_column(4), r.bstart);
    AppendOpt(b.mutable_column(5), r.bend);
    AppendOpt(b.mutable_column(6), r.line_start);
    AppendOpt(b.mutable_column(7), r.line_end);
    AppendOpt(b.mutable_column(8), r.col_start);
    AppendOpt(b.mutable_column(9), r.col_end);
    AppendOptString(b.mutable_column(10), r.name);
    AppendOptString(b.mutable_column(11), r.qualified_name);
    AppendOptString(b.mutable_column(12), r.enclosing_id);
  }
  b.set_num_rows(static_cast<int64_t>(rows.size()));
  return b;
}

RecordBatch EdgesBatch(const std::vector<EdgeRow>& rows) {
  RecordBatch b = RecordBatch::MakeEmpty(EdgesSchema());
  for (const auto& r : rows) {
    b.mutable_column(0).AppendString(r.edge_id);
    b.mutable_column(1).AppendString(r.edge_kind);
    b.mutable_column(2).AppendString(r.src_node_id);
    b.mutable_column(3).AppendString(r.dst_node_id);
    AppendOptString(b.mutable_column(4), r.edge_owner_file_id);
    AppendOptString(b.mutable_column(5), r.path);
    AppendOpt(b.mutable_column(6), r.bstart);
    AppendOpt(b.mutable_column(7), r.bend);
    AppendOptString(b.mutable_column(8), r.origin);
    AppendOptString(b.mutable_column(9), r.resolution_method);
    AppendOpt(b.mutable_column(10), r.confidence);
    AppendOpt(b.mutable_column(11), r.symbol_roles);
  }
  b.set_num_rows(static_cast<int64_t>(rows.size()));
  return b;
}

RecordBatch PropsBatch(const std::vector<PropRow>& rows) {
  RecordBatch b = RecordBatch::MakeEmpty(PropsSchema());
  for (const auto& r : rows) {
    b.mutable_column(0).AppendString(r.entity_kind);
    b.mutable_column(1).AppendString(r.entity_id);
    AppendOptString(b.mutable_column(2), r.file_id);
    b.mutable_column(3).AppendString(r.prop_key);
    const char* type = "string";
    if (std::holds_alternative<int64_t>(r.value)) type = "int";
    if (std::holds_alternative<double>(r.value)) type = "float";
    if (std::holds_alternative<bool>(r.value)) type = "bool";
    if (r.is_json) type = "json";
    b.mutable_column(4).AppendString(type);
    const auto* s = std::get_if<std::string>(&r.value);
    if (s && !r.is_json) {
      b.mutable_column(5).AppendString(*s);
    } else {
      b.mutable_column(5).AppendNull();
    }
    AppendOpt(b.mutable_column(6), std::holds_alternative<int64_t>(r.value)
                                       ? std::optional<int64_t>(std::get<int64_t>(r.value))
                                       : std::nullopt);
    AppendOpt(b.mutable_column(7), std::holds_alternative<double>(r.value)
                                       ? std::optional<double>(std::get<double>(r.value))
                                       : std::nullopt);
    if (const auto* v = std::get_if<bool>(&r.value)) {
      b.mutable_column(8).AppendBool(*v);
    } else {
      b.mutable_column(8).AppendNull();
    }
    if (s && r.is_json) {
      b.mutable_column(9).AppendString(*s);
    } else {
      b.mutable_column(9).AppendNull();
    }
  }
  b.set_num_rows(static_cast<int64_t>(rows.size()));
  return b;
}

}  // namespace cpglake::cpg
