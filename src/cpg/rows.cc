// The compact rows (RowSet) and the assembled, sorted graph (Graph) of graph.h.
//
// Ids are kept as (symbol of "PREFIX:", 16-byte digest). Stable id prefixes contain no ':',
// so the "PREFIX:" strings are prefix-free and comparing ids as strings is comparing their
// "PREFIX:" strings, then their digests byte by byte (lowercase hex preserves byte order).
// Every repeated string (kinds, keys, paths, file ids, origins) is a per-RowSet symbol;
// Assemble sorts the union of all symbols once and sorts rows by integer ranks.
#include <algorithm>
#include <cstring>
#include <thread>

#include "common/error.h"
#include "cpg/graph.h"
#include "cpg/ids.h"

namespace cpglake::cpg {

namespace {

// Symbols every RowSet has, at fixed indices.
constexpr uint32_t kSymNode = 0;

bool IsDeclarationKind(std::string_view kind) {
  static constexpr std::string_view kKinds[] = {"PY_MODULE",        "PY_PACKAGE", "CST_CLASS_DEF",
                                                "CST_FUNCTION_DEF", "CST_LAMBDA", "CST_PARAM",
                                                "PY_SCOPE",         "PY_BINDING", "TYPE_PARAM"};
  for (auto k : kKinds) {
    if (k == kind) return true;
  }
  return false;
}

uint64_t LoadBigEndian(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

// An id as integers in string order: rank of "PREFIX:", then the digest.
struct IdKey {
  uint32_t prefix = 0;
  uint64_t hi = 0, lo = 0;
  friend bool operator<(const IdKey& a, const IdKey& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    if (a.hi != b.hi) return a.hi < b.hi;
    return a.lo < b.lo;
  }
  friend bool operator==(const IdKey& a, const IdKey& b) {
    return a.prefix == b.prefix && a.hi == b.hi && a.lo == b.lo;
  }
};

// Runs f(0) and f(1) on two threads when threads > 1.
template <typename F0, typename F1>
void RunBoth(int threads, F0&& f0, F1&& f1) {
  if (threads <= 1) {
    f0();
    f1();
    return;
  }
  std::exception_ptr error;
  std::thread other([&] {
    try {
      f1();
    } catch (...) {
      error = std::current_exception();
    }
  });
  try {
    f0();
  } catch (...) {
    other.join();
    throw;
  }
  other.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace

// --- RowSet ----------------------------------------------------------------------------------

RowSet::RowSet() {
  Symbol("node");  // kSymNode
}
RowSet::RowSet(RowSet&&) noexcept = default;
RowSet& RowSet::operator=(RowSet&&) noexcept = default;
RowSet::~RowSet() = default;

uint32_t RowSet::Symbol(std::string_view s) {
  auto it = symbol_index_.find(s);
  if (it != symbol_index_.end()) return it->second;
  const auto i = static_cast<uint32_t>(symbols_.size());
  symbols_.emplace_back(s);
  views_.push_back(symbols_.back());
  symbol_index_.emplace(symbols_.back(), i);
  return i;
}

RowSet::Str RowSet::Text(std::string_view s) {
  if (text_.size() + s.size() >= kNull) throw InternalError("RowSet text exceeds 4 GiB");
  Str r{static_cast<uint32_t>(text_.size()), static_cast<uint32_t>(s.size())};
  text_.append(s);
  return r;
}

uint32_t RowSet::PrefixSymbol(std::string_view prefix) {
  auto it = prefix_index_.find(prefix);
  if (it != prefix_index_.end()) return it->second;
  std::string with_colon(prefix);
  with_colon.push_back(':');
  const uint32_t sym = Symbol(with_colon);
  const std::string& stored = symbols_[sym];
  prefix_index_.emplace(std::string_view(stored.data(), stored.size() - 1), sym);
  return sym;
}

RowSet::Id RowSet::MakeId(std::string_view prefix, std::initializer_list<IdPart> parts) {
  Id id;
  id.prefix = PrefixSymbol(prefix);
  StableDigest(parts, id.digest);
  return id;
}

RowSet::Id RowSet::ParseId(std::string_view text, const char* what) {
  const size_t colon = text.find(':');
  bool ok = colon != std::string_view::npos && colon > 0 && text.size() == colon + 33;
  Id id;
  for (size_t i = 0; ok && i < 32; ++i) {
    const char c = text[colon + 1 + i];
    int v = c >= '0' && c <= '9' ? c - '0' : (c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1);
    if (v < 0) {
      ok = false;
      break;
    }
    id.digest[i / 2] = static_cast<uint8_t>(id.digest[i / 2] | (i % 2 ? v : v << 4));
  }
  if (!ok) {
    throw InternalError(std::string(what) + " '" + std::string(text) +
                        "' is not a stable id (PREFIX:32 hex)");
  }
  id.prefix = PrefixSymbol(text.substr(0, colon));
  return id;
}

void RowSet::AppendId(const Id& id, std::string* out) const {
  out->append(views_[id.prefix]);
  const size_t at = out->size();
  out->resize(at + 32);
  HexDigest(id.digest, out->data() + at);
}

std::string RowSet::IdString(const Id& id) const {
  std::string s;
  AppendId(id, &s);
  return s;
}

RowSet::Prop RowSet::MakeProp(std::string_view key, const python::PropValue& value, bool is_json) {
  Prop p;
  p.key = Symbol(key);
  p.is_json = is_json;
  if (const auto* s = std::get_if<std::string>(&value)) {
    p.type = ValueType::kString;
    p.value.s = Text(*s);
  } else if (const auto* i = std::get_if<int64_t>(&value)) {
    p.type = ValueType::kInt;
    p.value.i = *i;
  } else if (const auto* f = std::get_if<double>(&value)) {
    p.type = ValueType::kFloat;
    p.value.f = *f;
  } else {
    p.type = ValueType::kBool;
    p.value.b = std::get<bool>(value);
  }
  return p;
}

namespace {

// Copies only when a quarter or more of the capacity is spare.
template <typename V>
void Shrink(V& v) {
  if (v.capacity() - v.size() > v.capacity() / 4) v.shrink_to_fit();
}

}  // namespace

void RowSet::ShrinkToFit() {
  Shrink(text_);
  Shrink(nodes_);
  Shrink(edges_);
  Shrink(props_);
  Shrink(loose_);
  Shrink(positions_);
  Shrink(views_);
}

size_t RowSet::num_props() const {
  return props_.size() + loose_.size();
}

uint32_t RowSet::AddPosition(const python::LineIndex& lines, int64_t bstart, int64_t bend) {
  const auto [l0, c0] = lines.Position(bstart);
  const auto [l1, c1] = lines.Position(bend);
  positions_.push_back(Position{static_cast<int32_t>(l0), static_cast<int32_t>(l1),
                                static_cast<int32_t>(c0), static_cast<int32_t>(c1)});
  return static_cast<uint32_t>(positions_.size() - 1);
}

std::string RowSet::AddFileEvidence(const FileContext& file, const python::FileEvidence& ev) {
  const size_t n = ev.nodes.size();
  const uint32_t file_id = Symbol(file.file_id), path = Symbol(file.path);
  // Ids, and their text (edge ids hash the text of their ends).
  std::vector<Id> ids(n);
  std::vector<uint32_t> kinds(n);
  std::string id_text;
  std::vector<uint32_t> id_off(n + 1, 0);
  id_text.reserve(n * 48);
  for (size_t i = 0; i < n; ++i) {
    const auto& e = ev.nodes[i];
    kinds[i] = Symbol(e.kind);
    if (IsDeclarationKind(e.kind) || e.bstart < 0) {
      ids[i] = MakeId(
          e.kind, {file.file_id, e.qualified_path.empty() ? e.name : e.qualified_path, e.ordinal});
    } else {
      ids[i] = MakeId(e.kind, {file.file_id, e.bstart, e.bend});
    }
    AppendId(ids[i], &id_text);
    id_off[i + 1] = static_cast<uint32_t>(id_text.size());
  }
  auto id_view = [&](size_t i) {
    return std::string_view(id_text).substr(id_off[i], id_off[i + 1] - id_off[i]);
  };
  int64_t module_index = -1, last_module = -1;
  // Exact room (and a little for rows added next, such as the file's own node and edges).
  {
    size_t props = 0, anchored = 0, text = 0;
    for (const auto& e : ev.nodes) {
      props += e.props.size();
      anchored += e.bstart >= 0;
      text += e.name.size();
      if (!e.qualified_path.empty() || e.kind == "PY_MODULE") {
        text += e.qualified_path.size() + file.module_name.size() + 1;
      }
      for (const auto& [k, v] : e.props) {
        if (const auto* str = std::get_if<std::string>(&v)) text += str->size();
      }
    }
    for (const auto& d : ev.diagnostics) text += 2 * d.code.size() + d.message.size() + 16;
    nodes_.reserve(nodes_.size() + n + ev.diagnostics.size() + 4);
    props_.reserve(props_.size() + props + 4 * ev.diagnostics.size());
    positions_.reserve(positions_.size() + anchored);
    text_.reserve(text_.size() + text + 256);
  }
  for (size_t i = 0; i < n; ++i) {
    const auto& e = ev.nodes[i];
    if (e.kind == "PY_MODULE") {
      if (module_index < 0) module_index = static_cast<int64_t>(i);
      last_module = static_cast<int64_t>(i);
    }
    Node r;
    r.id = ids[i];
    r.kind = kinds[i];
    r.file_id = file_id;
    r.path = path;
    if (e.bstart >= 0) {
      r.bstart = e.bstart;
      r.bend = e.bend;
      r.has_bstart = r.has_bend = true;
      r.position = AddPosition(ev.lines, e.bstart, e.bend);
    }
    if (!e.name.empty()) r.name = Text(e.name);
    if (e.kind == "PY_MODULE" || e.qualified_path == "<module>") {
      r.qualified_name = Text(file.module_name);
    } else if (IsDeclarationKind(e.kind) && !e.qualified_path.empty()) {
      if (file.module_name.empty()) {
        r.qualified_name = Text(e.qualified_path);
      } else {
        r.qualified_name = Text(file.module_name);
        text_.push_back('.');
        text_.append(e.qualified_path);
        r.qualified_name.len += static_cast<uint32_t>(1 + e.qualified_path.size());
      }
    }
    if (e.enclosing >= 0 && static_cast<size_t>(e.enclosing) < n) r.enclosing = ids[e.enclosing];
    r.prop_begin = static_cast<uint32_t>(props_.size());
    for (const auto& [k, v] : e.props) {
      props_.push_back(MakeProp(k, v, false));
    }
    r.prop_end = static_cast<uint32_t>(props_.size());
    nodes_.push_back(r);
  }
  const uint32_t origin_syntax = Symbol("syntax");
  auto add_edge = [&](uint32_t kind, std::string_view kind_text, const Id& src,
                      std::string_view src_text, const Id& dst, std::string_view dst_text,
                      int64_t bstart, int64_t bend, uint32_t origin, std::string_view method,
                      double confidence) {
    Edge r;
    r.kind = kind;
    r.src = src;
    r.dst = dst;
    if (bstart >= 0) {
      r.bstart = bstart;
      r.bend = bend;
      r.has_bstart = r.has_bend = true;
      r.id = MakeId("edge", {kind_text, src_text, dst_text, bstart, bend});
    } else {
      r.id = MakeId("edge", {kind_text, src_text, dst_text, std::nullopt, std::nullopt});
    }
    r.owner = file_id;
    r.path = path;
    r.origin = origin;
    if (!method.empty()) r.method = Symbol(method);
    r.confidence = confidence;
    r.has_confidence = true;
    edges_.push_back(r);
  };
  edges_.reserve(edges_.size() + ev.edges.size() + ev.diagnostics.size() + 4);
  for (const auto& e : ev.edges) {
    if (e.src < 0 || e.dst < 0 || static_cast<size_t>(e.src) >= n ||
        static_cast<size_t>(e.dst) >= n) {
      throw InternalError("evidence edge " + std::string(e.kind) + " of " + file.path +
                          " points outside the file");
    }
    add_edge(Symbol(e.kind), e.kind, ids[e.src], id_view(e.src), ids[e.dst], id_view(e.dst),
             e.bstart, e.bend, Symbol(e.origin), e.resolution_method, e.confidence);
  }
  if (!ev.diagnostics.empty()) {
    const uint32_t diag = Symbol("DIAG"), has_diag = Symbol("HAS_DIAGNOSTIC");
    std::string diag_text;
    for (const auto& d : ev.diagnostics) {
      Node r;
      r.id = MakeId("DIAG", {file.file_id, d.bstart, d.bend, d.code, d.message});
      r.kind = diag;
      r.file_id = file_id;
      r.path = path;
      if (d.bstart >= 0) {
        r.bstart = d.bstart;
        r.bend = d.bend;
        r.has_bstart = r.has_bend = true;
        r.position = AddPosition(ev.lines, d.bstart, d.bend);
      }
      r.name = Text(d.code);
      r.prop_begin = static_cast<uint32_t>(props_.size());
      for (const auto& [k, v] : std::initializer_list<std::pair<const char*, std::string_view>>{
               {"severity", d.severity},
               {"message", d.message},
               {"code", d.code},
               {"diag_source", "front_end"}}) {
        props_.push_back(MakeProp(k, python::PropValue(std::string(v)), false));
      }
      r.prop_end = static_cast<uint32_t>(props_.size());
      if (module_index >= 0) {
        diag_text.clear();
        AppendId(r.id, &diag_text);
        add_edge(has_diag, "HAS_DIAGNOSTIC", ids[module_index], id_view(module_index), r.id,
                 diag_text, d.bstart, d.bend, origin_syntax, "", 1.0);
      }
      nodes_.push_back(r);
    }
  }
  return last_module >= 0 ? std::string(id_view(last_module)) : std::string();
}

void RowSet::AddNode(const NodeRow& row) {
  Node r;
  r.id = ParseId(row.node_id, "node_id");
  r.kind = Symbol(row.node_kind);
  r.file_id = OptSymbol(row.file_id);
  r.path = OptSymbol(row.path);
  if (row.bstart) r.bstart = *row.bstart, r.has_bstart = true;
  if (row.bend) r.bend = *row.bend, r.has_bend = true;
  r.name = OptText(row.name);
  r.qualified_name = OptText(row.qualified_name);
  if (row.enclosing_id) r.enclosing = ParseId(*row.enclosing_id, "enclosing_id");
  if (row.line_start || row.line_end || row.col_start || row.col_end) {
    r.position = static_cast<uint32_t>(positions_.size());
    positions_.push_back(
        Position{row.line_start.value_or(kNoPosition), row.line_end.value_or(kNoPosition),
                 row.col_start.value_or(kNoPosition), row.col_end.value_or(kNoPosition)});
  }
  r.prop_begin = r.prop_end = static_cast<uint32_t>(props_.size());
  nodes_.push_back(r);
}

void RowSet::AddEdge(const EdgeRow& row) {
  Edge r;
  r.id = ParseId(row.edge_id, "edge_id");
  r.kind = Symbol(row.edge_kind);
  r.src = ParseId(row.src_node_id, "src_node_id");
  r.dst = ParseId(row.dst_node_id, "dst_node_id");
  r.owner = OptSymbol(row.edge_owner_file_id);
  r.path = OptSymbol(row.path);
  if (row.bstart) r.bstart = *row.bstart, r.has_bstart = true;
  if (row.bend) r.bend = *row.bend, r.has_bend = true;
  r.origin = OptSymbol(row.origin);
  r.method = OptSymbol(row.resolution_method);
  if (row.confidence) r.confidence = *row.confidence, r.has_confidence = true;
  if (row.symbol_roles) r.symbol_roles = *row.symbol_roles, r.has_symbol_roles = true;
  edges_.push_back(r);
}

void RowSet::AddProp(const PropRow& row) {
  LooseProp p;
  p.entity = ParseId(row.entity_id, "entity_id");
  p.entity_kind = Symbol(row.entity_kind);
  p.file_id = OptSymbol(row.file_id);
  p.prop = MakeProp(row.prop_key, row.value, row.is_json);
  loose_.push_back(p);
}

void RowSet::Add(const GraphRows& rows) {
  for (const auto& r : rows.nodes) AddNode(r);
  for (const auto& r : rows.edges) AddEdge(r);
  for (const auto& r : rows.props) AddProp(r);
}

GraphRows RowSet::ToRows() const {
  GraphRows out;
  auto opt_sym = [&](uint32_t s) {
    return s == kNull ? std::nullopt : std::optional<std::string>(symbols_[s]);
  };
  auto opt_text = [&](const Str& s) {
    return s.off == kNull ? std::nullopt : std::optional<std::string>(TextOf(s));
  };
  auto prop_row = [&](const Prop& p, uint32_t entity_kind, const Id& entity, uint32_t file_id) {
    PropRow r;
    r.entity_kind = symbols_[entity_kind];
    r.entity_id = IdString(entity);
    r.file_id = opt_sym(file_id);
    r.prop_key = symbols_[p.key];
    r.is_json = p.is_json;
    switch (p.type) {
      case ValueType::kString:
        r.value = std::string(TextOf(p.value.s));
        break;
      case ValueType::kInt:
        r.value = p.value.i;
        break;
      case ValueType::kFloat:
        r.value = p.value.f;
        break;
      case ValueType::kBool:
        r.value = p.value.b;
        break;
    }
    return r;
  };
  for (const auto& n : nodes_) {
    NodeRow r;
    r.node_id = IdString(n.id);
    r.node_kind = symbols_[n.kind];
    r.file_id = opt_sym(n.file_id);
    r.path = opt_sym(n.path);
    if (n.has_bstart) r.bstart = n.bstart;
    if (n.has_bend) r.bend = n.bend;
    r.name = opt_text(n.name);
    r.qualified_name = opt_text(n.qualified_name);
    if (n.enclosing.prefix != kNull) r.enclosing_id = IdString(n.enclosing);
    if (n.position != kNull) {
      const Position& pos = positions_[n.position];
      auto opt = [](int32_t v) {
        return v == kNoPosition ? std::nullopt : std::optional<int32_t>(v);
      };
      r.line_start = opt(pos.line_start);
      r.line_end = opt(pos.line_end);
      r.col_start = opt(pos.col_start);
      r.col_end = opt(pos.col_end);
    }
    for (uint32_t i = n.prop_begin; i < n.prop_end; ++i) {
      out.props.push_back(prop_row(props_[i], kSymNode, n.id, n.file_id));
    }
    out.nodes.push_back(std::move(r));
  }
  for (const auto& l : loose_) {
    out.props.push_back(prop_row(l.prop, l.entity_kind, l.entity, l.file_id));
  }
  for (const auto& e : edges_) {
    EdgeRow r;
    r.edge_id = IdString(e.id);
    r.edge_kind = symbols_[e.kind];
    r.src_node_id = IdString(e.src);
    r.dst_node_id = IdString(e.dst);
    r.edge_owner_file_id = opt_sym(e.owner);
    r.path = opt_sym(e.path);
    if (e.has_bstart) r.bstart = e.bstart;
    if (e.has_bend) r.bend = e.bend;
    r.origin = opt_sym(e.origin);
    r.resolution_method = opt_sym(e.method);
    if (e.has_confidence) r.confidence = e.confidence;
    if (e.has_symbol_roles) r.symbol_roles = e.symbol_roles;
    out.edges.push_back(std::move(r));
  }
  return out;
}

// --- Graph -----------------------------------------------------------------------------------

namespace {

struct NodeKey {
  uint32_t path, kind;
  int64_t bstart, bend;
  bool has_bstart, has_bend;
  IdKey id;
  uint32_t part, index;
  friend bool operator<(const NodeKey& a, const NodeKey& b) {
    if (a.path != b.path) return a.path < b.path;
    if (a.has_bstart != b.has_bstart) return a.has_bstart < b.has_bstart;
    if (a.bstart != b.bstart) return a.bstart < b.bstart;
    if (a.has_bend != b.has_bend) return a.has_bend < b.has_bend;
    if (a.bend != b.bend) return a.bend < b.bend;
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.id < b.id;
  }
};

struct EdgeKey {
  uint32_t owner, path, kind;
  bool has_bstart;
  int64_t bstart;
  IdKey src, dst, id;
  uint32_t part, index;
  friend bool operator<(const EdgeKey& a, const EdgeKey& b) {
    if (a.owner != b.owner) return a.owner < b.owner;
    if (a.path != b.path) return a.path < b.path;
    if (a.has_bstart != b.has_bstart) return a.has_bstart < b.has_bstart;
    if (a.bstart != b.bstart) return a.bstart < b.bstart;
    if (a.kind != b.kind) return a.kind < b.kind;
    if (!(a.src == b.src)) return a.src < b.src;
    if (!(a.dst == b.dst)) return a.dst < b.dst;
    return a.id < b.id;
  }
};

struct EntityKey {
  IdKey id;
  uint32_t part, node, begin, end;  // node == kNull: loose run [begin, end)
  friend bool operator<(const EntityKey& a, const EntityKey& b) { return a.id < b.id; }
};

}  // namespace

Graph Graph::Assemble(std::vector<RowSet> parts, int threads) {
  Graph g;
  g.parts_ = std::move(parts);
  const auto& ps = g.parts_;
  // Global ranks of all symbols (0 is null, so nulls sort first).
  {
    std::vector<std::string_view> all;
    for (const auto& p : ps) all.insert(all.end(), p.symbols_.begin(), p.symbols_.end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    g.ranks_.resize(ps.size());
    for (size_t p = 0; p < ps.size(); ++p) {
      auto& r = g.ranks_[p];
      r.reserve(ps[p].symbols_.size());
      for (const auto& s : ps[p].symbols_) {
        r.push_back(
            static_cast<uint32_t>(std::lower_bound(all.begin(), all.end(), s) - all.begin() + 1));
      }
    }
  }
  auto rank = [&](size_t p, uint32_t sym) -> uint32_t {
    return sym == RowSet::kNull ? 0 : g.ranks_[p][sym];
  };
  auto id_key = [&](size_t p, const RowSet::Id& id) {
    return IdKey{rank(p, id.prefix), LoadBigEndian(id.digest), LoadBigEndian(id.digest + 8)};
  };
  auto check_size = [](size_t n, const char* what) {
    if (n >= RowSet::kNull) throw InternalError(std::string("too many ") + what);
  };
  check_size(ps.size(), "row sets");

  // Nodes and props on this thread, edges on the other.
  auto nodes_and_props = [&] {
    size_t total = 0;
    for (const auto& p : ps) total += p.nodes_.size();
    std::vector<NodeKey> keys;
    keys.reserve(total);
    for (size_t p = 0; p < ps.size(); ++p) {
      check_size(ps[p].nodes_.size(), "nodes in one row set");
      for (size_t i = 0; i < ps[p].nodes_.size(); ++i) {
        const auto& n = ps[p].nodes_[i];
        keys.push_back(NodeKey{rank(p, n.path), rank(p, n.kind), n.has_bstart ? n.bstart : 0,
                               n.has_bend ? n.bend : 0, n.has_bstart, n.has_bend, id_key(p, n.id),
                               static_cast<uint32_t>(p), static_cast<uint32_t>(i)});
      }
    }
    // Entities: every node (checked for duplicates), and runs of loose props per entity.
    std::vector<EntityKey> entities;
    entities.reserve(keys.size() + 1024);
    for (const auto& k : keys) {
      entities.push_back(EntityKey{k.id, k.part, k.index, 0, 0});
    }
    for (size_t p = 0; p < ps.size(); ++p) {
      const auto& loose = ps[p].loose_;
      if (loose.empty()) continue;
      std::vector<std::pair<IdKey, uint32_t>> sorted;
      sorted.reserve(loose.size());
      for (uint32_t i = 0; i < loose.size(); ++i)
        sorted.emplace_back(id_key(p, loose[i].entity), i);
      std::stable_sort(sorted.begin(), sorted.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      std::vector<RowSet::LooseProp> permuted;
      permuted.reserve(loose.size());
      for (const auto& [k, i] : sorted) permuted.push_back(loose[i]);
      g.parts_[p].loose_ = std::move(permuted);
      for (size_t b = 0; b < sorted.size();) {
        size_t e = b + 1;
        while (e < sorted.size() && sorted[e].first == sorted[b].first) ++e;
        entities.push_back(EntityKey{sorted[b].first, static_cast<uint32_t>(p), RowSet::kNull,
                                     static_cast<uint32_t>(b), static_cast<uint32_t>(e)});
        b = e;
      }
    }
    std::sort(keys.begin(), keys.end());
    g.node_order_.resize(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) g.node_order_[i] = Ref{keys[i].part, keys[i].index};
    std::vector<NodeKey>().swap(keys);
    std::sort(entities.begin(), entities.end());
    int64_t props = 0;
    const EntityKey* last = nullptr;  // of the last group
    for (size_t i = 0; i < entities.size(); ++i) {
      const auto& e = entities[i];
      if (e.node != RowSet::kNull) {
        if (i > 0 && entities[i - 1].node != RowSet::kNull && entities[i - 1].id == e.id) {
          throw InternalError("duplicate node id " +
                              ps[e.part].IdString(ps[e.part].nodes_[e.node].id));
        }
        const auto& n = ps[e.part].nodes_[e.node];
        const int64_t own = n.prop_end - n.prop_begin;
        if (own == 0) continue;
        props += own;
      } else {
        props += e.end - e.begin;
      }
      g.prop_groups_.push_back(
          PropGroup{e.part, e.node, e.begin, e.end, last != nullptr && last->id == e.id});
      last = &e;
    }
    g.num_props_ = props;
    g.CheckProps();
  };
  auto edges = [&] {
    size_t total = 0;
    for (const auto& p : ps) total += p.edges_.size();
    std::vector<EdgeKey> keys;
    keys.reserve(total);
    for (size_t p = 0; p < ps.size(); ++p) {
      check_size(ps[p].edges_.size(), "edges in one row set");
      for (size_t i = 0; i < ps[p].edges_.size(); ++i) {
        const auto& e = ps[p].edges_[i];
        keys.push_back(EdgeKey{rank(p, e.owner), rank(p, e.path), rank(p, e.kind), e.has_bstart,
                               e.has_bstart ? e.bstart : 0, id_key(p, e.src), id_key(p, e.dst),
                               id_key(p, e.id), static_cast<uint32_t>(p),
                               static_cast<uint32_t>(i)});
      }
    }
    std::vector<std::pair<IdKey, Ref>> ids;
    ids.reserve(keys.size());
    for (const auto& k : keys) ids.emplace_back(k.id, Ref{k.part, k.index});
    std::sort(keys.begin(), keys.end());
    g.edge_order_.resize(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) g.edge_order_[i] = Ref{keys[i].part, keys[i].index};
    std::vector<EdgeKey>().swap(keys);
    std::sort(ids.begin(), ids.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 1; i < ids.size(); ++i) {
      if (ids[i].first == ids[i - 1].first) {
        const auto& r = ids[i].second;
        throw InternalError("duplicate edge id " +
                            ps[r.part].IdString(ps[r.part].edges_[r.index].id));
      }
    }
  };
  RunBoth(threads, nodes_and_props, edges);
  return g;
}

void Graph::CheckProps() const {
  // The keys of each entity's props (from all its groups) must differ. Checked here, before
  // any table is written, although writing the props meets the same keys again.
  std::vector<std::pair<uint32_t, const PropGroup*>> keys;
  for (size_t g = 0; g < prop_groups_.size();) {
    keys.clear();
    size_t e = g;
    do {
      const PropGroup& pg = prop_groups_[e];
      const RowSet& p = parts_[pg.part];
      const auto& ranks = ranks_[pg.part];
      if (pg.node != RowSet::kNull) {
        const RowSet::Node& n = p.nodes_[pg.node];
        for (uint32_t i = n.prop_begin; i < n.prop_end; ++i) {
          keys.emplace_back(ranks[p.props_[i].key], &pg);
        }
      } else {
        for (uint32_t i = pg.begin; i < pg.end; ++i) {
          keys.emplace_back(ranks[p.loose_[i].prop.key], &pg);
        }
      }
      ++e;
    } while (e < prop_groups_.size() && prop_groups_[e].same_entity);
    if (keys.size() > 1) {
      std::sort(keys.begin(), keys.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t i = 1; i < keys.size(); ++i) {
        if (keys[i].first != keys[i - 1].first) continue;
        const PropGroup& pg = *keys[i].second;
        const RowSet& p = parts_[pg.part];
        // The key's text, from any part that has it.
        std::string key;
        for (size_t part = 0; part < parts_.size() && key.empty(); ++part) {
          for (size_t sym = 0; sym < ranks_[part].size(); ++sym) {
            if (ranks_[part][sym] == keys[i].first) {
              key = parts_[part].views_[sym];
              break;
            }
          }
        }
        throw InternalError("duplicate prop " + key + " of " +
                            p.IdString(pg.node != RowSet::kNull ? p.nodes_[pg.node].id
                                                                : p.loose_[pg.begin].entity));
      }
    }
    g = e;
  }
}

std::map<std::string, int64_t> Graph::NodesByKind() const {
  std::map<std::string, int64_t> out;
  for (const auto& p : parts_) {
    std::vector<int64_t> counts(p.symbols_.size());
    for (const auto& n : p.nodes_) ++counts[n.kind];
    for (size_t s = 0; s < counts.size(); ++s) {
      if (counts[s]) out[p.symbols_[s]] += counts[s];
    }
  }
  return out;
}

std::map<std::string, int64_t> Graph::EdgesByKind() const {
  std::map<std::string, int64_t> out;
  for (const auto& p : parts_) {
    std::vector<int64_t> counts(p.symbols_.size());
    for (const auto& e : p.edges_) ++counts[e.kind];
    for (size_t s = 0; s < counts.size(); ++s) {
      if (counts[s]) out[p.symbols_[s]] += counts[s];
    }
  }
  return out;
}

namespace {

using columnar::Column;
using columnar::RecordBatch;

// Room for `rows` more strings of about `bytes` bytes (ids, file ids): no regrowth.
void ReserveText(Column* c, int64_t rows, int64_t bytes) {
  auto& data = c->data_buffer();
  data.reserve(data.size() + static_cast<size_t>(rows * bytes));
}

}  // namespace

void Graph::AppendNodes(RecordBatch& b, size_t begin, size_t end) const {
  Column* c[13];
  for (size_t i = 0; i < 13; ++i) {
    c[i] = &b.mutable_column(i);
    c[i]->Reserve(static_cast<int64_t>(end - begin));
  }
  for (size_t i : {0, 2, 12}) ReserveText(c[i], static_cast<int64_t>(end - begin), 64);
  std::string id;
  for (size_t i = begin; i < end; ++i) {
    const RowSet& p = parts_[node_order_[i].part];
    const RowSet::Node& n = p.nodes_[node_order_[i].index];
    auto sym = [&](Column* col, uint32_t s) {
      if (s == RowSet::kNull) {
        col->AppendNull();
      } else {
        col->AppendString(p.views_[s]);
      }
    };
    auto text = [&](Column* col, const RowSet::Str& s) {
      if (s.off == RowSet::kNull) {
        col->AppendNull();
      } else {
        col->AppendString(p.TextOf(s));
      }
    };
    id.clear();
    p.AppendId(n.id, &id);
    c[0]->AppendString(id);
    c[1]->AppendString(p.views_[n.kind]);
    sym(c[2], n.file_id);
    sym(c[3], n.path);
    if (n.has_bstart) {
      c[4]->Append<int64_t>(n.bstart);
    } else {
      c[4]->AppendNull();
    }
    if (n.has_bend) {
      c[5]->Append<int64_t>(n.bend);
    } else {
      c[5]->AppendNull();
    }
    if (n.position == RowSet::kNull) {
      for (size_t k = 6; k < 10; ++k) c[k]->AppendNull();
    } else {
      const RowSet::Position& pos = p.positions_[n.position];
      const int32_t values[4] = {pos.line_start, pos.line_end, pos.col_start, pos.col_end};
      for (size_t k = 0; k < 4; ++k) {
        if (values[k] == RowSet::kNoPosition) {
          c[6 + k]->AppendNull();
        } else {
          c[6 + k]->Append<int32_t>(values[k]);
        }
      }
    }
    text(c[10], n.name);
    text(c[11], n.qualified_name);
    if (n.enclosing.prefix == RowSet::kNull) {
      c[12]->AppendNull();
    } else {
      id.clear();
      p.AppendId(n.enclosing, &id);
      c[12]->AppendString(id);
    }
  }
  b.set_num_rows(c[0]->length());
}

void Graph::AppendEdges(RecordBatch& b, size_t begin, size_t end) const {
  Column* c[12];
  for (size_t i = 0; i < 12; ++i) {
    c[i] = &b.mutable_column(i);
    c[i]->Reserve(static_cast<int64_t>(end - begin));
  }
  for (size_t i : {0, 2, 3, 4}) ReserveText(c[i], static_cast<int64_t>(end - begin), 64);
  std::string id;
  for (size_t i = begin; i < end; ++i) {
    const RowSet& p = parts_[edge_order_[i].part];
    const RowSet::Edge& e = p.edges_[edge_order_[i].index];
    auto sym = [&](Column* col, uint32_t s) {
      if (s == RowSet::kNull) {
        col->AppendNull();
      } else {
        col->AppendString(p.views_[s]);
      }
    };
    for (auto [col, v] :
         {std::pair{c[0], &e.id}, std::pair{c[2], &e.src}, std::pair{c[3], &e.dst}}) {
      id.clear();
      p.AppendId(*v, &id);
      col->AppendString(id);
    }
    c[1]->AppendString(p.views_[e.kind]);
    sym(c[4], e.owner);
    sym(c[5], e.path);
    if (e.has_bstart) {
      c[6]->Append<int64_t>(e.bstart);
    } else {
      c[6]->AppendNull();
    }
    if (e.has_bend) {
      c[7]->Append<int64_t>(e.bend);
    } else {
      c[7]->AppendNull();
    }
    sym(c[8], e.origin);
    sym(c[9], e.method);
    if (e.has_confidence) {
      c[10]->Append<double>(e.confidence);
    } else {
      c[10]->AppendNull();
    }
    if (e.has_symbol_roles) {
      c[11]->Append<int32_t>(e.symbol_roles);
    } else {
      c[11]->AppendNull();
    }
  }
  b.set_num_rows(c[0]->length());
}

int64_t Graph::AppendProps(RecordBatch& b, PropCursor& cur, int64_t max_rows) const {
  Column* c[10];
  for (size_t i = 0; i < 10; ++i) {
    c[i] = &b.mutable_column(i);
    c[i]->Reserve(max_rows);
  }
  ReserveText(c[1], max_rows, 64);  // entity ids
  ReserveText(c[2], max_rows, 40);  // file ids
  ReserveText(c[0], max_rows, 4);   // "node"
  ReserveText(c[3], max_rows, 16);  // keys
  ReserveText(c[4], max_rows, 6);   // value types
  int64_t rows = 0;
  while (rows < max_rows) {
    if (cur.pos == cur.pending.size()) {
      // The next entity: its groups' props, by key.
      if (cur.group == prop_groups_.size()) break;
      cur.pending.clear();
      cur.pos = 0;
      size_t g = cur.group;
      // Entities come in id order, their rows from anywhere: fetch a few ahead.
      if (g + 8 < prop_groups_.size()) {
        const PropGroup& ahead = prop_groups_[g + 8];
        const RowSet& p = parts_[ahead.part];
        if (ahead.node != RowSet::kNull) {
          const RowSet::Node& n = p.nodes_[ahead.node];
          __builtin_prefetch(&n);
          __builtin_prefetch(reinterpret_cast<const char*>(&n) + 64);
        }
      }
      if (g + 4 < prop_groups_.size()) {
        const PropGroup& ahead = prop_groups_[g + 4];
        const RowSet& p = parts_[ahead.part];
        if (ahead.node != RowSet::kNull) {
          const RowSet::Node& n = p.nodes_[ahead.node];
          if (n.prop_begin < n.prop_end) __builtin_prefetch(&p.props_[n.prop_begin]);
        }
      }
      do {
        const PropGroup& pg = prop_groups_[g];
        const RowSet& p = parts_[pg.part];
        const auto& ranks = ranks_[pg.part];
        if (pg.node != RowSet::kNull) {
          const RowSet::Node& n = p.nodes_[pg.node];
          for (uint32_t i = n.prop_begin; i < n.prop_end; ++i) {
            cur.pending.push_back(
                PendingProp{ranks[p.props_[i].key], pg.part, pg.node, i, p.props_[i].key});
          }
        } else {
          for (uint32_t i = pg.begin; i < pg.end; ++i) {
            const uint32_t key = p.loose_[i].prop.key;
            cur.pending.push_back(PendingProp{ranks[key], pg.part, RowSet::kNull, i, key});
          }
        }
        ++g;
      } while (g < prop_groups_.size() && prop_groups_[g].same_entity);
      {
        const PropGroup& first = prop_groups_[cur.group];
        const RowSet& p = parts_[first.part];
        cur.entity_id.clear();
        p.AppendId(
            first.node != RowSet::kNull ? p.nodes_[first.node].id : p.loose_[first.begin].entity,
            &cur.entity_id);
      }
      cur.group = g;
      // By key. An entity has a handful of props: insertion sort (stable, no allocation),
      // which is a no-op after stable_sort for the rare entity with many.
      auto& pend = cur.pending;
      if (pend.size() > 32) {
        std::stable_sort(pend.begin(), pend.end(), [](const PendingProp& a, const PendingProp& b) {
          return a.key_rank < b.key_rank;
        });
      }
      for (size_t i = 1; i < pend.size(); ++i) {
        const PendingProp x = pend[i];
        size_t j = i;
        for (; j > 0 && pend[j - 1].key_rank > x.key_rank; --j) pend[j] = pend[j - 1];
        pend[j] = x;
      }
      for (size_t i = 1; i < cur.pending.size(); ++i) {
        if (cur.pending[i].key_rank == cur.pending[i - 1].key_rank) {
          const PendingProp& pp = cur.pending[i];
          const RowSet& p = parts_[pp.part];
          throw InternalError("duplicate prop " + std::string(p.views_[pp.key]) + " of " +
                              p.IdString(pp.node == RowSet::kNull ? p.loose_[pp.index].entity
                                                                  : p.nodes_[pp.node].id));
        }
      }
    }
    const PendingProp& pp = cur.pending[cur.pos++];
    const RowSet& p = parts_[pp.part];
    auto sym = [&](Column* col, uint32_t s) {
      if (s == RowSet::kNull) {
        col->AppendNull();
      } else {
        col->AppendString(p.views_[s]);
      }
    };
    {
      const RowSet::Prop* prop;
      if (pp.node == RowSet::kNull) {
        const RowSet::LooseProp& l = p.loose_[pp.index];
        c[0]->AppendString(p.views_[l.entity_kind]);
        c[1]->AppendString(cur.entity_id);
        sym(c[2], l.file_id);
        prop = &l.prop;
      } else {
        const RowSet::Node& n = p.nodes_[pp.node];
        c[0]->AppendString(p.views_[kSymNode]);
        c[1]->AppendString(cur.entity_id);
        sym(c[2], n.file_id);
        prop = &p.props_[pp.index];
      }
      const RowSet::Prop& pr = *prop;
      c[3]->AppendString(p.views_[pr.key]);
      const bool str = pr.type == RowSet::ValueType::kString;
      const char* type = "string";
      if (pr.type == RowSet::ValueType::kInt) type = "int";
      if (pr.type == RowSet::ValueType::kFloat) type = "float";
      if (pr.type == RowSet::ValueType::kBool) type = "bool";
      if (pr.is_json) type = "json";
      c[4]->AppendString(type);
      if (str && !pr.is_json) {
        c[5]->AppendString(p.TextOf(pr.value.s));
      } else {
        c[5]->AppendNull();
      }
      if (pr.type == RowSet::ValueType::kInt) {
        c[6]->Append<int64_t>(pr.value.i);
      } else {
        c[6]->AppendNull();
      }
      if (pr.type == RowSet::ValueType::kFloat) {
        c[7]->Append<double>(pr.value.f);
      } else {
        c[7]->AppendNull();
      }
      if (pr.type == RowSet::ValueType::kBool) {
        c[8]->AppendBool(pr.value.b);
      } else {
        c[8]->AppendNull();
      }
      if (str && pr.is_json) {
        c[9]->AppendString(p.TextOf(pr.value.s));
      } else {
        c[9]->AppendNull();
      }
    }
    ++rows;
  }
  b.set_num_rows(c[0]->length());
  return rows;
}

namespace {

// The next batch to fill: an earlier one again when its reader is done with it (its buffers
// keep their capacity: no fresh pages to fault in and zero for every batch). `pool` keeps
// the last two batches (the reader may still hold the previous one while this one is made).
RecordBatch Recycle(std::vector<RecordBatch>& pool, const columnar::Schema& schema) {
  for (auto& b : pool) {
    bool unique = true;
    for (const auto& c : b.columns()) unique = unique && c.use_count() == 1;
    if (!unique) continue;
    for (size_t i = 0; i < b.num_columns(); ++i) b.mutable_column(i).Clear();
    b.set_num_rows(0);
    std::swap(b, pool.back());  // most recently used last
    return pool.back();
  }
  if (pool.size() == 2) pool.erase(pool.begin());
  pool.push_back(RecordBatch::MakeEmpty(schema));
  return pool.back();
}

}  // namespace

BatchStream Graph::NodeBatches(int64_t max_rows) const {
  struct State {
    size_t next = 0;
    std::vector<RecordBatch> pool;
  };
  auto state = std::make_shared<State>();
  return [this, state, max_rows]() -> std::optional<RecordBatch> {
    if (state->next >= node_order_.size()) {
      state->pool.clear();
      return std::nullopt;
    }
    const size_t end = std::min(node_order_.size(), state->next + static_cast<size_t>(max_rows));
    RecordBatch b = Recycle(state->pool, NodesSchema());
    AppendNodes(b, state->next, end);
    state->next = end;
    return b;
  };
}

BatchStream Graph::EdgeBatches(int64_t max_rows) const {
  struct State {
    size_t next = 0;
    std::vector<RecordBatch> pool;
  };
  auto state = std::make_shared<State>();
  return [this, state, max_rows]() -> std::optional<RecordBatch> {
    if (state->next >= edge_order_.size()) {
      state->pool.clear();
      return std::nullopt;
    }
    const size_t end = std::min(edge_order_.size(), state->next + static_cast<size_t>(max_rows));
    RecordBatch b = Recycle(state->pool, EdgesSchema());
    AppendEdges(b, state->next, end);
    state->next = end;
    return b;
  };
}

BatchStream Graph::PropBatches(int64_t max_rows) const {
  struct State {
    PropCursor cursor;
    std::vector<RecordBatch> pool;
  };
  auto state = std::make_shared<State>();
  return [this, state, max_rows]() -> std::optional<RecordBatch> {
    RecordBatch b = Recycle(state->pool, PropsSchema());
    if (AppendProps(b, state->cursor, max_rows) == 0) {
      state->pool.clear();
      return std::nullopt;
    }
    return b;
  };
}

columnar::RecordBatch Graph::NodesBatch() const {
  RecordBatch b = RecordBatch::MakeEmpty(NodesSchema());
  AppendNodes(b, 0, node_order_.size());
  return b;
}

columnar::RecordBatch Graph::EdgesBatch() const {
  RecordBatch b = RecordBatch::MakeEmpty(EdgesSchema());
  AppendEdges(b, 0, edge_order_.size());
  return b;
}

columnar::RecordBatch Graph::PropsBatch() const {
  RecordBatch b = RecordBatch::MakeEmpty(PropsSchema());
  PropCursor cursor;
  while (AppendProps(b, cursor, int64_t{1} << 20) > 0) {
  }
  return b;
}

}  // namespace cpglake::cpg
