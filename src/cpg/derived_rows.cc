// The derived tables' rows (derived_tables.h), streamed by cpg::Graph from the compact rows
// (graph.h): cpg_edges_by_src and cpg_props_map follow the plans of cpg_edges and cpg_props
// (blocks by owner file, a block sorted when the stream reaches it); cpg_edges_by_dst is
// sorted once, globally, by integer keys (PrepareDerived) and rendered in that order.
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/parallel.h"
#include "cpg/derived_tables.h"
#include "cpg/graph.h"
#include "cpg/rows_internal.h"

namespace cpglake::cpg {

namespace {

using columnar::Column;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;

using internal::LoadBigEndian;

// The struct fields of an edges list; `other` names the edge's other end (dst_node_id in
// cpg_edges_by_src, src_node_id in cpg_edges_by_dst).
std::vector<Field> EdgeStructFields(const char* other) {
  return {Field("edge_id", DataType::String(), false),
          Field("edge_kind", DataType::String(), false),
          Field(other, DataType::String(), false),
          Field("bstart", DataType::Int64(), true),
          Field("bend", DataType::Int64(), true),
          Field("origin", DataType::String(), true),
          Field("resolution_method", DataType::String(), true),
          Field("confidence", DataType::Float64(), true)};
}

// What the edges' src node says: its line and column, its enclosing definition's id, kind and
// qualified name (`prefix` + the names below).
std::vector<Field> SrcFields(const std::string& prefix) {
  return {Field(prefix + "line", DataType::Int32(), true),
          Field(prefix + "col", DataType::Int32(), true),
          Field(prefix + "enclosing_id", DataType::String(), true),
          Field(prefix + "enclosing_kind", DataType::String(), true),
          Field(prefix + "enclosing_name", DataType::String(), true)};
}

Field EdgesField(std::vector<Field> fields) {
  return Field("edges",
               DataType::List(Field("element", DataType::Struct(std::move(fields)), false)), false);
}

// The cpg_props value columns, in the props struct after prop_key.
constexpr const char* kPropValueColumns[] = {"value_type",  "value_string", "value_int",
                                             "value_float", "value_bool",   "value_json"};

// The next batch to fill: an earlier one again when its reader is done with it (its buffers,
// nested ones too, keep their capacity), as the base tables' streams do (rows.cc).
RecordBatch Recycle(std::vector<RecordBatch>& pool, const Schema& schema) {
  for (auto& b : pool) {
    bool unique = true;
    for (const auto& c : b.columns()) unique = unique && c.use_count() == 1;
    if (!unique) continue;
    for (size_t i = 0; i < b.num_columns(); ++i) b.mutable_column(i).Clear();
    b.set_num_rows(0);
    std::swap(b, pool.back());
    return pool.back();
  }
  if (pool.size() == 2) pool.erase(pool.begin());
  pool.push_back(RecordBatch::MakeEmpty(schema));
  return pool.back();
}

void AppendOptInt32(Column& c, int32_t v, int32_t null_value) {
  if (v == null_value) {
    c.AppendNull();
  } else {
    c.Append<int32_t>(v);
  }
}

}  // namespace

Schema EdgesBySrcSchema() {
  std::vector<Field> fields = {Field("node_id", DataType::String(), false),
                               Field("owner_file_id", DataType::String(), true),
                               Field("path", DataType::String(), true)};
  for (Field& f : SrcFields("")) fields.push_back(std::move(f));
  fields.push_back(EdgesField(EdgeStructFields("dst_node_id")));
  return Schema(std::move(fields));
}

Schema EdgesByDstSchema() {
  std::vector<Field> edge = EdgeStructFields("src_node_id");
  for (Field& f : SrcFields("src_")) edge.push_back(std::move(f));
  return Schema(std::vector<Field>{
      Field("node_id", DataType::String(), false), Field("owner_file_id", DataType::String(), true),
      Field("path", DataType::String(), true), EdgesField(std::move(edge))});
}

Schema PropsMapSchema() {
  std::vector<Field> fields = {Field("prop_key", DataType::String(), false)};
  const Schema props = PropsSchema();
  for (const char* c : kPropValueColumns) fields.push_back(props.field(props.FieldIndex(c)));
  return Schema(std::vector<Field>{
      Field("entity_id", DataType::String(), false),
      Field("entity_kind", DataType::String(), false), Field("file_id", DataType::String(), true),
      Field("props", DataType::List(Field("element", DataType::Struct(std::move(fields)), false)),
            false)});
}

// --- Preparation ------------------------------------------------------------------------

void Graph::PrepareDerived(int threads) {
  CPGLAKE_CHECK(!derived_ready_, "PrepareDerived: called twice");
  const size_t n = parts_.size();
  derived_.assign(n, DerivedPart{});
  // Each edge's src and its enclosing definition among the part's own nodes: a node reference
  // is an index already, or an id given as text (resolver edges, rows added by hand), looked up
  // among the part's node ids.
  ParallelFor(n, std::max(1, threads), [&](size_t i) {
    const RowSet& p = parts_[i];
    if (p.edges_.empty()) return;
    struct Entry {
      uint32_t prefix;
      uint8_t digest[16];
      uint32_t node;
    };
    std::vector<Entry> index;  // the part's node ids, sorted; built on first need
    auto less = [](const Entry& a, const Entry& b) {
      if (a.prefix != b.prefix) return a.prefix < b.prefix;
      return std::memcmp(a.digest, b.digest, 16) < 0;
    };
    auto local = [&](uint32_t ref) -> uint32_t {
      if (ref == RowSet::kNull) return RowSet::kNull;
      if (!(ref & RowSet::kExternal)) return ref;
      if (index.empty() && !p.nodes_.empty()) {
        index.resize(p.nodes_.size());
        for (uint32_t k = 0; k < p.nodes_.size(); ++k) {
          index[k].prefix = p.node_ids_[k].prefix;
          std::memcpy(index[k].digest, p.node_ids_[k].digest, 16);
          index[k].node = k;
        }
        std::sort(index.begin(), index.end(), less);
      }
      const RowSet::Id& id = p.ext_ids_[ref & ~RowSet::kExternal];
      Entry probe{id.prefix, {}, 0};
      std::memcpy(probe.digest, id.digest, 16);
      auto it = std::lower_bound(index.begin(), index.end(), probe, less);
      if (it == index.end() || less(probe, *it)) return RowSet::kNull;
      return it->node;
    };
    DerivedPart& d = derived_[i];
    d.src.resize(p.edges_.size());
    for (size_t e = 0; e < p.edges_.size(); ++e) {
      SrcInfo& info = d.src[e];
      info = SrcInfo{RowSet::kNoPosition, RowSet::kNoPosition, RowSet::kNull,
                     RowSet::kNull,       RowSet::kNull,       0};
      const uint32_t src = local(p.edges_[e].src);
      if (src == RowSet::kNull) continue;
      const RowSet::Node& n = p.nodes_[src];
      if (n.position != RowSet::kNull) {
        info.line = p.positions_[n.position].line_start;
        info.col = p.positions_[n.position].col_start;
      }
      info.enclosing = n.enclosing;
      const uint32_t enc = local(n.enclosing);
      if (enc == RowSet::kNull) continue;
      info.kind = p.nodes_[enc].kind;
      info.name_off = p.nodes_[enc].qualified_name.off;
      info.name_len = p.nodes_[enc].qualified_name.len;
    }
  });

  // Ranks over all parts of the dst ids' "PREFIX:" strings and of the owner file ids.
  std::vector<std::vector<uint32_t>> prefix_rank(n), owner_rank(n);
  {
    std::map<std::string_view, uint32_t> prefixes, owners;
    for (size_t i = 0; i < n; ++i) {
      const RowSet& p = parts_[i];
      for (const auto& e : p.edges_) {
        prefixes.emplace(p.views_[p.RefId(e.dst).prefix], 0);
        if (e.owner != RowSet::kNull) owners.emplace(p.views_[e.owner], 0);
      }
    }
    uint32_t rank = 0;
    for (auto& [text, r] : prefixes) r = ++rank;
    rank = 0;
    for (auto& [text, r] : owners) r = ++rank;
    for (size_t i = 0; i < n; ++i) {
      const RowSet& p = parts_[i];
      if (p.edges_.empty()) continue;
      prefix_rank[i].assign(p.views_.size(), 0);
      owner_rank[i].assign(p.views_.size(), 0);
      for (const auto& e : p.edges_) {
        const uint32_t prefix = p.RefId(e.dst).prefix;
        if (!prefix_rank[i][prefix]) prefix_rank[i][prefix] = prefixes.at(p.views_[prefix]);
        if (e.owner != RowSet::kNull && !owner_rank[i][e.owner]) {
          owner_rank[i][e.owner] = owners.at(p.views_[e.owner]);
        }
      }
    }
  }

  // The keys of cpg_edges_by_dst: (dst id, owner) as integers, then (part, edge) — sorted;
  // runs of one (dst, owner) then by edge id.
  std::vector<size_t> offset(n + 1, 0);
  for (size_t i = 0; i < n; ++i) offset[i + 1] = offset[i] + parts_[i].edges_.size();
  dst_keys_.resize(offset[n]);
  ParallelFor(n, std::max(1, threads), [&](size_t i) {
    const RowSet& p = parts_[i];
    for (size_t e = 0; e < p.edges_.size(); ++e) {
      const RowSet::Edge& edge = p.edges_[e];
      const RowSet::Id& dst = p.RefId(edge.dst);
      dst_keys_[offset[i] + e] = DstKey{
          LoadBigEndian(dst.digest),  LoadBigEndian(dst.digest + 8),
          prefix_rank[i][dst.prefix], edge.owner == RowSet::kNull ? 0 : owner_rank[i][edge.owner],
          static_cast<uint32_t>(i),   static_cast<uint32_t>(e)};
    }
  });
  auto node_less = [](const DstKey& a, const DstKey& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    if (a.hi != b.hi) return a.hi < b.hi;
    if (a.lo != b.lo) return a.lo < b.lo;
    return a.owner < b.owner;
  };
  auto same_row = [&](const DstKey& a, const DstKey& b) {
    return !node_less(a, b) && !node_less(b, a);
  };
  std::sort(dst_keys_.begin(), dst_keys_.end(), [&](const DstKey& a, const DstKey& b) {
    if (node_less(a, b)) return true;
    if (node_less(b, a)) return false;
    return a.part != b.part ? a.part < b.part : a.edge < b.edge;
  });
  // Within a row, edges by edge id (as strings: "PREFIX:" texts, then digests).
  auto edge_less = [&](const DstKey& a, const DstKey& b) {
    const RowSet& pa = parts_[a.part];
    const RowSet& pb = parts_[b.part];
    const RowSet::Id& ia = pa.edges_[a.edge].id;
    const RowSet::Id& ib = pb.edges_[b.edge].id;
    const std::string_view ta = pa.views_[ia.prefix], tb = pb.views_[ib.prefix];
    if (ta != tb) return ta < tb;
    return std::memcmp(ia.digest, ib.digest, 16) < 0;
  };
  for (size_t a = 0; a < dst_keys_.size();) {
    size_t b = a + 1;
    while (b < dst_keys_.size() && same_row(dst_keys_[a], dst_keys_[b])) ++b;
    if (b - a > 1) std::sort(dst_keys_.begin() + a, dst_keys_.begin() + b, edge_less);
    a = b;
  }
  derived_ready_ = true;
}

// --- Rendering ----------------------------------------------------------------------------

void Graph::AppendEdgeStruct(Column& s, uint32_t part, uint32_t edge, bool by_dst,
                             std::string* id) const {
  const RowSet& p = parts_[part];
  const RowSet::Edge& e = p.edges_[edge];
  auto append_id = [&](Column& c, const RowSet::Id& v) {
    id->clear();
    p.AppendId(v, id);
    c.AppendString(*id);
  };
  append_id(s.mutable_child(0), e.id);
  s.mutable_child(1).AppendString(p.views_[e.kind]);
  append_id(s.mutable_child(2), p.RefId(by_dst ? e.src : e.dst));
  if (e.span.flags & RowSet::kHasStart) {
    s.mutable_child(3).Append<int64_t>(p.StartOf(e.span));
  } else {
    s.mutable_child(3).AppendNull();
  }
  if (e.span.flags & RowSet::kHasEnd) {
    s.mutable_child(4).Append<int64_t>(p.EndOf(e.span));
  } else {
    s.mutable_child(4).AppendNull();
  }
  AppendSymbol(&s.mutable_child(5), p, e.origin);
  AppendSymbol(&s.mutable_child(6), p, e.method);
  if (e.confidence != RowSet::kNull) {
    s.mutable_child(7).Append<double>(p.confidences_[e.confidence]);
  } else {
    s.mutable_child(7).AppendNull();
  }
  if (by_dst) {
    Column* src[5];
    for (size_t k = 0; k < 5; ++k) src[k] = &s.mutable_child(8 + k);
    AppendSrcFields(src, part, edge, id);
  }
  s.CloseStruct();
}

void Graph::AppendSrcFields(Column* const* c, uint32_t part, uint32_t edge, std::string* id) const {
  const RowSet& p = parts_[part];
  const SrcInfo& info = derived_[part].src[edge];
  AppendOptInt32(*c[0], info.line, RowSet::kNoPosition);
  AppendOptInt32(*c[1], info.col, RowSet::kNoPosition);
  if (info.enclosing == RowSet::kNull) {
    c[2]->AppendNull();
  } else {
    id->clear();
    p.AppendId(p.RefId(info.enclosing), id);
    c[2]->AppendString(*id);
  }
  if (info.kind == RowSet::kNull) {
    c[3]->AppendNull();
    c[4]->AppendNull();
  } else {
    c[3]->AppendString(p.views_[info.kind]);
    if (info.name_off == RowSet::kNull) {
      c[4]->AppendNull();
    } else {
      c[4]->AppendString(p.TextOf(RowSet::Str{info.name_off, info.name_len}));
    }
  }
}

namespace {

// Whether two symbols (kNull: null) of two parts hold the same text.
bool SameSymbol(std::string_view a_text, bool a_null, std::string_view b_text, bool b_null) {
  return a_null || b_null ? a_null == b_null : a_text == b_text;
}

}  // namespace

const Graph::RowRef* Graph::AppendBySrc(RecordBatch& b, const RowRef* begin, const RowRef* end,
                                        int64_t max_rows) const {
  Column& node = b.mutable_column(0);
  Column& owner = b.mutable_column(1);
  Column& path = b.mutable_column(2);
  Column* src[5];
  for (size_t k = 0; k < 5; ++k) src[k] = &b.mutable_column(3 + k);
  Column& edges = b.mutable_column(8);
  Column& s = edges.mutable_child(0);
  std::string id;
  // Whether row r is of the same (owner, src) as row f.
  auto same = [&](const RowRef& f, const RowRef& r) {
    const RowSet& pf = parts_[f.part];
    const RowSet& pr = parts_[r.part];
    const RowSet::Edge& ef = pf.edges_[f.row];
    const RowSet::Edge& er = pr.edges_[r.row];
    const RowSet::Id& sf = pf.RefId(ef.src);
    const RowSet::Id& sr = pr.RefId(er.src);
    if (std::memcmp(sf.digest, sr.digest, 16) != 0) return false;
    if (f.part == r.part) return ef.owner == er.owner && sf.prefix == sr.prefix;
    return pf.views_[sf.prefix] == pr.views_[sr.prefix] &&
           SameSymbol(
               ef.owner == RowSet::kNull ? "" : pf.views_[ef.owner], ef.owner == RowSet::kNull,
               er.owner == RowSet::kNull ? "" : pr.views_[er.owner], er.owner == RowSet::kNull);
  };
  const RowRef* at = begin;
  while (at != end && node.length() < max_rows) {
    const RowSet& p = parts_[at->part];
    const RowSet::Edge& e = p.edges_[at->row];
    id.clear();
    p.AppendId(p.RefId(e.src), &id);
    node.AppendString(id);
    AppendSymbol(&owner, p, e.owner);
    AppendSymbol(&path, p, e.path);
    AppendSrcFields(src, at->part, at->row, &id);
    const RowRef* first = at;
    for (; at != end && same(*first, *at); ++at) AppendEdgeStruct(s, at->part, at->row, false, &id);
    edges.CloseList();
  }
  b.set_num_rows(node.length());
  return at;
}

size_t Graph::AppendByDst(RecordBatch& b, size_t begin, int64_t max_rows) const {
  Column& node = b.mutable_column(0);
  Column& owner = b.mutable_column(1);
  Column& path = b.mutable_column(2);
  Column& edges = b.mutable_column(3);
  Column& s = edges.mutable_child(0);
  std::string id;
  size_t at = begin;
  const size_t end = dst_keys_.size();
  // The keys' edges are in random parts: their rows are fetched ahead, in two steps (the edge
  // and its src record; then the ids and text they lead to), or rendering waits on memory.
  constexpr size_t kAhead1 = 16, kAhead2 = 8;
  auto fetch1 = [&](size_t i) {
    const DstKey& k = dst_keys_[i];
    __builtin_prefetch(parts_[k.part].edges_.data() + k.edge);
    __builtin_prefetch(derived_[k.part].src.data() + k.edge);
  };
  auto fetch2 = [&](size_t i) {
    const DstKey& k = dst_keys_[i];
    const RowSet& p = parts_[k.part];
    const RowSet::Edge& e = p.edges_[k.edge];
    __builtin_prefetch(&p.RefId(e.src));
    __builtin_prefetch(&p.RefId(e.dst));
    if (e.confidence != RowSet::kNull) __builtin_prefetch(&p.confidences_[e.confidence]);
    const SrcInfo& info = derived_[k.part].src[k.edge];
    if (info.enclosing != RowSet::kNull) __builtin_prefetch(&p.RefId(info.enclosing));
    if (info.name_off != RowSet::kNull) __builtin_prefetch(p.text_.data() + info.name_off);
  };
  for (size_t i = begin; i < std::min(end, begin + kAhead1); ++i) fetch1(i);
  for (size_t i = begin; i < std::min(end, begin + kAhead2); ++i) fetch2(i);
  auto ahead = [&](size_t i) {
    if (i + kAhead1 < end) fetch1(i + kAhead1);
    if (i + kAhead2 < end) fetch2(i + kAhead2);
  };
  while (at < end && node.length() < max_rows) {
    const DstKey& k = dst_keys_[at];
    const RowSet& p = parts_[k.part];
    const RowSet::Edge& e = p.edges_[k.edge];
    id.clear();
    p.AppendId(p.RefId(e.dst), &id);
    node.AppendString(id);
    AppendSymbol(&owner, p, e.owner);
    AppendSymbol(&path, p, e.path);
    for (; at < end; ++at) {
      const DstKey& r = dst_keys_[at];
      if (r.prefix != k.prefix || r.hi != k.hi || r.lo != k.lo || r.owner != k.owner) break;
      ahead(at);
      AppendEdgeStruct(s, r.part, r.edge, true, &id);
    }
    edges.CloseList();
  }
  b.set_num_rows(node.length());
  return at;
}

const Graph::RowRef* Graph::AppendPropsMap(RecordBatch& b, const RowRef* begin, const RowRef* end,
                                           int64_t max_rows) const {
  Column& entity = b.mutable_column(0);
  Column& kind = b.mutable_column(1);
  Column& file = b.mutable_column(2);
  Column& props = b.mutable_column(3);
  Column& s = props.mutable_child(0);
  Column* c[7];
  for (size_t i = 0; i < 7; ++i) c[i] = &s.mutable_child(i);
  std::string id;
  struct Of {
    const RowSet::Id* entity;
    uint32_t kind, file;
    const RowSet::Prop* prop;
  };
  auto of = [&](const RowRef& r) {
    const RowSet& p = parts_[r.part];
    if (r.row == RowSet::kNull) {
      const RowSet::LooseProp& l = p.loose_[r.prop];
      return Of{&l.entity, l.entity_kind, l.file_id, &l.prop};
    }
    return Of{&p.node_ids_[r.row], 0u /* kSymNode */, p.nodes_[r.row].file_id, &p.props_[r.prop]};
  };
  auto same = [&](const RowRef& f, const Of& a, const RowRef& r, const Of& o) {
    if (std::memcmp(a.entity->digest, o.entity->digest, 16) != 0) return false;
    const RowSet& pf = parts_[f.part];
    const RowSet& pr = parts_[r.part];
    if (f.part == r.part) return a.entity->prefix == o.entity->prefix && a.file == o.file;
    return pf.views_[a.entity->prefix] == pr.views_[o.entity->prefix] &&
           SameSymbol(a.file == RowSet::kNull ? "" : pf.views_[a.file], a.file == RowSet::kNull,
                      o.file == RowSet::kNull ? "" : pr.views_[o.file], o.file == RowSet::kNull);
  };
  const RowRef* at = begin;
  while (at != end && entity.length() < max_rows) {
    const RowSet& p = parts_[at->part];
    const RowRef* first = at;
    const Of f = of(*first);
    id.clear();
    p.AppendId(*f.entity, &id);
    entity.AppendString(id);
    kind.AppendString(p.views_[f.kind]);
    AppendSymbol(&file, p, f.file);
    for (; at != end; ++at) {
      const Of o = of(*at);
      if (at != first && !same(*first, f, *at, o)) break;
      const RowSet& q = parts_[at->part];
      const RowSet::Prop& pr = *o.prop;
      c[0]->AppendString(q.views_[pr.key]);
      AppendPropValue(&c[1], q, pr);
      s.CloseStruct();
    }
    props.CloseList();
  }
  b.set_num_rows(entity.length());
  return at;
}

// --- Streams ------------------------------------------------------------------------------

BatchStream Graph::DerivedBatches(Table t, int64_t max_rows) const {
  CPGLAKE_CHECK(derived_ready_, "derived tables: PrepareDerived was not called");
  struct State {
    Cursor cursor;
    size_t next_key = 0;
    bool done = false;
    Schema schema;
    std::vector<RecordBatch> pool;
  };
  auto state = std::make_shared<State>();
  state->cursor.stream = t;
  state->schema = t == kBySrc   ? EdgesBySrcSchema()
                  : t == kByDst ? EdgesByDstSchema()
                                : PropsMapSchema();
  const int64_t rows = std::max<int64_t>(1, max_rows);
  return [this, state, rows, t]() -> std::optional<RecordBatch> {
    if (state->done) return std::nullopt;
    RecordBatch b = Recycle(state->pool, state->schema);
    if (t == kByDst) {
      state->next_key = AppendByDst(b, state->next_key, rows);
      if (state->next_key == dst_keys_.size() && b.num_rows() == 0) {
        // The end: every part has been passed.
        state->done = true;
        for (uint32_t p = 0; p < parts_.size(); ++p) Release(kByDst, p);
        if (release_) std::vector<DstKey>().swap(dst_keys_);
        state->pool.clear();
        return std::nullopt;
      }
      return b;
    }
    const Table plan = t == kBySrc ? kEdges : kProps;
    Cursor& c = state->cursor;
    while (b.num_rows() < rows && Advance(plan, c)) {
      c.at = t == kBySrc ? AppendBySrc(b, c.at, c.end, rows) : AppendPropsMap(b, c.at, c.end, rows);
    }
    if (b.num_rows() == 0) {
      state->done = true;
      state->pool.clear();
      return std::nullopt;
    }
    return b;
  };
}

RecordBatch Graph::WholeDerived(Table t) const {
  const Schema schema = t == kBySrc   ? EdgesBySrcSchema()
                        : t == kByDst ? EdgesByDstSchema()
                                      : PropsMapSchema();
  RecordBatch all = RecordBatch::MakeEmpty(schema);
  BatchStream stream = DerivedBatches(t, int64_t{1} << 30);
  while (auto b = stream()) all.Append(*b);
  return all;
}

BatchStream Graph::EdgesBySrcBatches(int64_t max_rows) const {
  return DerivedBatches(kBySrc, max_rows);
}

BatchStream Graph::EdgesByDstBatches(int64_t max_rows) const {
  return DerivedBatches(kByDst, max_rows);
}

BatchStream Graph::PropsMapBatches(int64_t max_rows) const {
  return DerivedBatches(kPropsMap, max_rows);
}

RecordBatch Graph::EdgesBySrcBatch() const {
  return WholeDerived(kBySrc);
}

RecordBatch Graph::EdgesByDstBatch() const {
  return WholeDerived(kByDst);
}

RecordBatch Graph::PropsMapBatch() const {
  return WholeDerived(kPropsMap);
}

}  // namespace cpglake::cpg
