// The compact rows (RowSet) and the assembled, sorted graph (Graph) of graph.h.
//
// Ids are kept as (symbol of "PREFIX:", 16-byte digest). Stable id prefixes contain no ':',
// so the "PREFIX:" strings are prefix-free and comparing ids as strings is comparing their
// "PREFIX:" strings, then their digests byte by byte (lowercase hex preserves byte order).
// Every repeated string (kinds, keys, paths, file ids, origins) is a per-RowSet symbol; a
// block of rows is sorted by integer ranks of its parts' symbols (graph.h: Graph).
#include <algorithm>
#include <array>
#include <cstring>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <optional>

#include "common/error.h"
#include "common/parallel.h"
#include "cpg/graph.h"
#include "cpg/ids.h"
#include "cpg/rows_internal.h"

namespace cpglake::cpg {

namespace {

// Symbols every RowSet has, at fixed indices.
constexpr uint32_t kSymNode = 0;

using internal::LoadBigEndian;

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

}  // namespace

// --- RowSet ----------------------------------------------------------------------------------

RowSet::RowSet() {
  // The rows' sizes (with a node's 20-byte id in node_ids_): 72 bytes a node, 68 an edge.
  static_assert(sizeof(Node) == 52 && sizeof(Id) == 20 && sizeof(Edge) == 68);
  Symbol("node");  // kSymNode
}
RowSet::RowSet(RowSet&&) noexcept = default;
RowSet& RowSet::operator=(RowSet&&) noexcept = default;
RowSet::~RowSet() = default;

uint32_t RowSet::Symbol(std::string_view s) {
  const uint64_t hash = StringIndex::Hash(s);
  const uint32_t found = symbol_index_.Find(s, hash);
  if (found != StringIndex::kAbsent) return found;
  const auto i = static_cast<uint32_t>(symbols_.size());
  symbols_.emplace_back(s);
  views_.push_back(symbols_.back());
  symbol_index_.Add(symbols_.back(), hash);
  return i;
}

RowSet::Str RowSet::Text(std::string_view s) {
  if (text_.size() + s.size() >= kNull) throw InternalError("RowSet text exceeds 4 GiB");
  Str r{static_cast<uint32_t>(text_.size()), static_cast<uint32_t>(s.size())};
  text_.append(s);
  return r;
}

uint32_t RowSet::PrefixSymbol(std::string_view prefix) {
  const uint64_t hash = StringIndex::Hash(prefix);
  const uint32_t found = prefix_index_.Find(prefix, hash);
  if (found != StringIndex::kAbsent) return prefix_symbols_[found];
  std::string with_colon(prefix);
  with_colon.push_back(':');
  const uint32_t sym = Symbol(with_colon);
  const std::string& stored = symbols_[sym];
  prefix_index_.Add(std::string_view(stored.data(), stored.size() - 1), hash);
  prefix_symbols_.push_back(sym);
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

RowSet::Span RowSet::MakeSpan(std::optional<int64_t> bstart, std::optional<int64_t> bend) {
  Span s;
  s.flags = static_cast<uint8_t>((bstart ? kHasStart : 0) | (bend ? kHasEnd : 0));
  auto narrow = [](std::optional<int64_t> v) { return !v || (*v >= 0 && *v <= UINT32_MAX); };
  if (narrow(bstart) && narrow(bend)) {
    s.start = static_cast<uint32_t>(bstart.value_or(0));
    s.end = static_cast<uint32_t>(bend.value_or(0));
  } else {
    if (wide_.size() >= kNull) throw InternalError("too many wide spans in one row set");
    s.flags |= kWide;
    s.start = static_cast<uint32_t>(wide_.size());
    wide_.push_back({bstart.value_or(0), bend.value_or(0)});
  }
  return s;
}

uint32_t RowSet::ConfidenceIndex(double c) {
  uint64_t bits;
  std::memcpy(&bits, &c, sizeof bits);
  auto [it, added] = confidence_index_.emplace(bits, static_cast<uint32_t>(confidences_.size()));
  if (added) confidences_.push_back(c);
  return it->second;
}

uint32_t RowSet::ExternalRef(const Id& id) {
  if (ext_ids_.size() >= (kNull & ~kExternal)) {
    throw InternalError("too many node references in one row set");
  }
  ext_ids_.push_back(id);
  return kExternal | static_cast<uint32_t>(ext_ids_.size() - 1);
}

void RowSet::PushNode(const Id& id, const Node& node) {
  if (nodes_.size() >= kExternal) throw InternalError("too many nodes in one row set");
  nodes_.push_back(node);
  node_ids_.push_back(id);
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
  Shrink(node_ids_);
  Shrink(ext_ids_);
  Shrink(wide_);
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
  // The evidence's node i is nodes_[base + i].
  const size_t base = nodes_.size();
  if (base + n + ev.diagnostics.size() >= kExternal) {
    throw InternalError("too many nodes in one row set");
  }
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
    node_ids_.reserve(node_ids_.size() + n + ev.diagnostics.size() + 4);
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
    r.kind = kinds[i];
    r.file_id = file_id;
    r.path = path;
    if (e.bstart >= 0) {
      r.span = MakeSpan(e.bstart, e.bend);
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
    if (e.enclosing >= 0 && static_cast<size_t>(e.enclosing) < n) {
      r.enclosing = static_cast<uint32_t>(base + static_cast<size_t>(e.enclosing));
    }
    r.prop_begin = static_cast<uint32_t>(props_.size());
    for (const auto& [k, v] : e.props) {
      props_.push_back(MakeProp(k, v, false));
    }
    PushNode(ids[i], r);
  }
  const uint32_t origin_syntax = Symbol("syntax");
  const uint32_t confidence_one = ConfidenceIndex(1.0);
  // src and dst: nodes_ indexes.
  auto add_edge = [&](uint32_t kind, std::string_view kind_text, size_t src,
                      std::string_view src_text, size_t dst, std::string_view dst_text,
                      int64_t bstart, int64_t bend, uint32_t origin, std::string_view method,
                      uint32_t confidence) {
    Edge r;
    r.kind = kind;
    r.src = static_cast<uint32_t>(src);
    r.dst = static_cast<uint32_t>(dst);
    if (bstart >= 0) {
      r.span = MakeSpan(bstart, bend);
      r.id = MakeId("edge", {kind_text, src_text, dst_text, bstart, bend});
    } else {
      r.id = MakeId("edge", {kind_text, src_text, dst_text, std::nullopt, std::nullopt});
    }
    r.owner = file_id;
    r.path = path;
    r.origin = origin;
    if (!method.empty()) r.method = Symbol(method);
    r.confidence = confidence;
    edges_.push_back(r);
  };
  edges_.reserve(edges_.size() + ev.edges.size() + ev.diagnostics.size() + 4);
  for (const auto& e : ev.edges) {
    if (e.src < 0 || e.dst < 0 || static_cast<size_t>(e.src) >= n ||
        static_cast<size_t>(e.dst) >= n) {
      throw InternalError("evidence edge " + std::string(e.kind) + " of " + file.path +
                          " points outside the file");
    }
    add_edge(Symbol(e.kind), e.kind, base + static_cast<size_t>(e.src), id_view(e.src),
             base + static_cast<size_t>(e.dst), id_view(e.dst), e.bstart, e.bend, Symbol(e.origin),
             e.resolution_method, ConfidenceIndex(e.confidence));
  }
  if (!ev.diagnostics.empty()) {
    const uint32_t diag = Symbol("DIAG"), has_diag = Symbol("HAS_DIAGNOSTIC");
    std::string diag_text;
    for (const auto& d : ev.diagnostics) {
      Node r;
      const Id id = MakeId("DIAG", {file.file_id, d.bstart, d.bend, d.code, d.message});
      r.kind = diag;
      r.file_id = file_id;
      r.path = path;
      if (d.bstart >= 0) {
        r.span = MakeSpan(d.bstart, d.bend);
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
      if (module_index >= 0) {
        diag_text.clear();
        AppendId(id, &diag_text);
        add_edge(has_diag, "HAS_DIAGNOSTIC", base + static_cast<size_t>(module_index),
                 id_view(module_index), nodes_.size(), diag_text, d.bstart, d.bend, origin_syntax,
                 "", confidence_one);
      }
      PushNode(id, r);
    }
  }
  return last_module >= 0 ? std::string(id_view(last_module)) : std::string();
}

void RowSet::AddNode(const NodeRow& row) {
  Node r;
  const Id id = ParseId(row.node_id, "node_id");
  r.kind = Symbol(row.node_kind);
  r.file_id = OptSymbol(row.file_id);
  r.path = OptSymbol(row.path);
  r.span = MakeSpan(row.bstart, row.bend);
  r.name = OptText(row.name);
  r.qualified_name = OptText(row.qualified_name);
  if (row.enclosing_id) r.enclosing = ExternalRef(ParseId(*row.enclosing_id, "enclosing_id"));
  if (row.line_start || row.line_end || row.col_start || row.col_end) {
    r.position = static_cast<uint32_t>(positions_.size());
    positions_.push_back(
        Position{row.line_start.value_or(kNoPosition), row.line_end.value_or(kNoPosition),
                 row.col_start.value_or(kNoPosition), row.col_end.value_or(kNoPosition)});
  }
  r.prop_begin = static_cast<uint32_t>(props_.size());
  PushNode(id, r);
}

void RowSet::AddEdge(const EdgeRow& row) {
  Edge r;
  r.id = ParseId(row.edge_id, "edge_id");
  r.kind = Symbol(row.edge_kind);
  r.src = ExternalRef(ParseId(row.src_node_id, "src_node_id"));
  r.dst = ExternalRef(ParseId(row.dst_node_id, "dst_node_id"));
  r.owner = OptSymbol(row.edge_owner_file_id);
  r.path = OptSymbol(row.path);
  r.span = MakeSpan(row.bstart, row.bend);
  r.origin = OptSymbol(row.origin);
  r.method = OptSymbol(row.resolution_method);
  if (row.confidence) r.confidence = ConfidenceIndex(*row.confidence);
  if (row.symbol_roles) r.symbol_roles = *row.symbol_roles, r.span.flags |= kHasRoles;
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
  // Room for just these rows (or 1/8 more, for many small calls): rows added to a complete
  // RowSet (a file's resolver edges) would otherwise double its capacity, which is kept until
  // the graph is written (this was a fifth of the RowSets' memory).
  auto room = [](auto& v, size_t more) {
    if (v.size() + more > v.capacity()) {
      v.reserve(std::max(v.size() + more, v.capacity() + v.capacity() / 8));
    }
  };
  room(nodes_, rows.nodes.size());
  room(node_ids_, rows.nodes.size());
  room(edges_, rows.edges.size());
  size_t refs = 2 * rows.edges.size();
  for (const auto& r : rows.nodes) refs += r.enclosing_id.has_value();
  room(ext_ids_, refs);
  room(loose_, rows.props.size());
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
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    NodeRow r;
    r.node_id = IdString(node_ids_[i]);
    r.node_kind = symbols_[n.kind];
    r.file_id = opt_sym(n.file_id);
    r.path = opt_sym(n.path);
    if (n.span.flags & kHasStart) r.bstart = StartOf(n.span);
    if (n.span.flags & kHasEnd) r.bend = EndOf(n.span);
    r.name = opt_text(n.name);
    r.qualified_name = opt_text(n.qualified_name);
    if (n.enclosing != kNull) r.enclosing_id = IdString(RefId(n.enclosing));
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
    for (uint32_t j = n.prop_begin; j < PropEnd(i); ++j) {
      out.props.push_back(prop_row(props_[j], kSymNode, node_ids_[i], n.file_id));
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
    r.src_node_id = IdString(RefId(e.src));
    r.dst_node_id = IdString(RefId(e.dst));
    r.edge_owner_file_id = opt_sym(e.owner);
    r.path = opt_sym(e.path);
    if (e.span.flags & kHasStart) r.bstart = StartOf(e.span);
    if (e.span.flags & kHasEnd) r.bend = EndOf(e.span);
    r.origin = opt_sym(e.origin);
    r.resolution_method = opt_sym(e.method);
    if (e.confidence != kNull) r.confidence = confidences_[e.confidence];
    if (e.span.flags & kHasRoles) r.symbol_roles = e.symbol_roles;
    out.edges.push_back(std::move(r));
  }
  return out;
}

// --- Graph -----------------------------------------------------------------------------------
//
// Assemble only files each part under a group value per table (graph.h); the rows are sorted
// one block at a time as the streams reach them, by integer keys: symbol ranks over the
// block's own parts (the bytewise order of the symbols' text), ids as (rank of "PREFIX:",
// digest).

namespace {

// RowSet::kNull (a null symbol), and a mark for a part whose rows of a table have more than
// one group value (or a null one).
constexpr uint32_t kNoSymbol = 0xFFFFFFFFu, kMixed = kNoSymbol - 1;

struct NodeKey {
  uint32_t path, kind;
  int64_t bstart, bend;
  bool has_bstart, has_bend;
  IdKey id;
  uint32_t ref;  // index into the rows being sorted
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
  uint32_t ref;
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

struct PropKey {
  uint32_t file, key;
  IdKey entity;
  uint32_t ref;
  friend bool operator<(const PropKey& a, const PropKey& b) {
    if (a.file != b.file) return a.file < b.file;
    if (!(a.entity == b.entity)) return a.entity < b.entity;
    return a.key < b.key;
  }
};

// Bytewise, as the id and path strings compare (std::string_view compares as unsigned char).
bool GroupLess(std::string_view a, std::string_view b) {
  return a < b;
}

}  // namespace

class Graph::Ranks {
 public:
  // Ranks of the symbols of `parts` (sorted, distinct) in `all`.
  Ranks(const std::vector<RowSet>& all, std::vector<uint32_t> parts) : parts_(std::move(parts)) {
    ranks_.resize(parts_.size());
    if (parts_.size() == 1) {
      // The usual block: one file's RowSet. Sort its symbols' indexes by text.
      const auto& views = all[parts_[0]].views_;
      std::vector<uint32_t> order(views.size());
      for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
      std::sort(order.begin(), order.end(),
                [&](uint32_t a, uint32_t b) { return views[a] < views[b]; });
      auto& r = ranks_[0];
      r.resize(views.size());
      uint32_t rank = 0;
      for (size_t i = 0; i < order.size(); ++i) {
        if (i == 0 || views[order[i]] != views[order[i - 1]]) ++rank;
        r[order[i]] = rank;
      }
      return;
    }
    struct Sym {
      std::string_view text;
      uint32_t slot, sym;
    };
    std::vector<Sym> syms;
    for (uint32_t k = 0; k < parts_.size(); ++k) {
      const auto& views = all[parts_[k]].views_;
      ranks_[k].resize(views.size());
      for (uint32_t s = 0; s < views.size(); ++s) syms.push_back(Sym{views[s], k, s});
    }
    std::sort(syms.begin(), syms.end(), [](const Sym& a, const Sym& b) { return a.text < b.text; });
    uint32_t rank = 0;
    for (size_t i = 0; i < syms.size(); ++i) {
      if (i == 0 || syms[i].text != syms[i - 1].text) ++rank;
      ranks_[syms[i].slot][syms[i].sym] = rank;
    }
  }
  // The ranks of one part's symbols (the part must be one of them).
  const std::vector<uint32_t>& Of(uint32_t part) const {
    const auto it = std::lower_bound(parts_.begin(), parts_.end(), part);
    return ranks_[it - parts_.begin()];
  }

 private:
  std::vector<uint32_t> parts_;
  std::vector<std::vector<uint32_t>> ranks_;
};

Graph::Ranks Graph::RanksOf(std::vector<uint32_t> parts) const {
  std::sort(parts.begin(), parts.end());
  parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
  return Ranks(parts_, std::move(parts));
}

namespace {

uint32_t Rank(const std::vector<uint32_t>& ranks, uint32_t sym) {
  return sym == kNoSymbol ? 0 : ranks[sym];
}

// An id's sort key: its prefix's rank, then its digest as two big-endian integers (ordering
// exactly like the id strings).
// (A template: RowSet::Id is private to the row set and its graph.)
template <typename Id>
IdKey IdKeyOf(const std::vector<uint32_t>& ranks, const Id& id) {
  return IdKey{Rank(ranks, id.prefix), LoadBigEndian(id.digest), LoadBigEndian(id.digest + 8)};
}

// Puts `rows` in the order of their sort keys (each key's `ref` indexes `rows`), after
// checking that no two keys share an id (the order is not by id: the ids are sorted apart);
// `duplicate(row)` names a repeated one for the InternalError.
template <typename Key, typename Row, typename Describe>
void SortByKeys(std::vector<Key>* keys, std::vector<Row>* rows, const Describe& duplicate) {
  std::sort(keys->begin(), keys->end());
  // Repeated ids: an open-addressing set of the keys' indexes (the ids are BLAKE2b digests,
  // whose bits are a hash already).
  size_t capacity = 16;
  while (capacity < 2 * keys->size()) capacity <<= 1;
  constexpr uint32_t kEmpty = 0xFFFFFFFFu;
  std::vector<uint32_t> slots(capacity, kEmpty);
  for (uint32_t i = 0; i < keys->size(); ++i) {
    const IdKey& id = (*keys)[i].id;
    size_t h =
        (id.lo ^ (id.hi >> 17) ^ (uint64_t{id.prefix} * 0x9E3779B97F4A7C15ull)) & (capacity - 1);
    for (; slots[h] != kEmpty; h = (h + 1) & (capacity - 1)) {
      if ((*keys)[slots[h]].id == id) throw InternalError(duplicate((*rows)[(*keys)[i].ref]));
    }
    slots[h] = i;
  }
  std::vector<Row> sorted;
  sorted.reserve(keys->size());
  for (const auto& k : *keys) sorted.push_back((*rows)[k.ref]);
  rows->swap(sorted);
}

}  // namespace

void Graph::SortNodes(const Ranks& ranks, std::vector<RowRef>* rows) const {
  std::vector<NodeKey> keys;
  keys.reserve(rows->size());
  const std::vector<uint32_t>* r = nullptr;
  uint32_t r_part = RowSet::kNull;
  for (uint32_t i = 0; i < rows->size(); ++i) {
    const RowRef& ref = (*rows)[i];
    if (ref.part != r_part) r = &ranks.Of(r_part = ref.part);
    const RowSet& p = parts_[ref.part];
    const RowSet::Node& n = p.nodes_[ref.row];
    const RowSet::Id& id = p.node_ids_[ref.row];
    keys.push_back(NodeKey{Rank(*r, n.path), Rank(*r, n.kind), p.StartOf(n.span), p.EndOf(n.span),
                           (n.span.flags & RowSet::kHasStart) != 0,
                           (n.span.flags & RowSet::kHasEnd) != 0, IdKeyOf(*r, id), i});
  }
  SortByKeys(&keys, rows, [&](const RowRef& ref) {
    const RowSet& p = parts_[ref.part];
    return "duplicate node id " + p.IdString(p.node_ids_[ref.row]);
  });
}

void Graph::SortEdges(const Ranks& ranks, std::vector<RowRef>* rows) const {
  std::vector<EdgeKey> keys;
  keys.reserve(rows->size());
  const std::vector<uint32_t>* r = nullptr;
  uint32_t r_part = RowSet::kNull;
  for (uint32_t i = 0; i < rows->size(); ++i) {
    const RowRef& ref = (*rows)[i];
    if (ref.part != r_part) r = &ranks.Of(r_part = ref.part);
    const RowSet& p = parts_[ref.part];
    const RowSet::Edge& e = p.edges_[ref.row];
    keys.push_back(EdgeKey{Rank(*r, e.owner), Rank(*r, e.path), Rank(*r, e.kind),
                           (e.span.flags & RowSet::kHasStart) != 0, p.StartOf(e.span),
                           IdKeyOf(*r, p.RefId(e.src)), IdKeyOf(*r, p.RefId(e.dst)),
                           IdKeyOf(*r, e.id), i});
  }
  SortByKeys(&keys, rows, [&](const RowRef& ref) {
    const RowSet& p = parts_[ref.part];
    return "duplicate edge id " + p.IdString(p.edges_[ref.row].id);
  });
}

void Graph::SortBySrc(const Ranks& ranks, std::vector<RowRef>* rows) const {
  struct Key {
    uint32_t owner;
    IdKey src, id;
    uint32_t ref;
    bool operator<(const Key& o) const {
      if (owner != o.owner) return owner < o.owner;
      if (!(src == o.src)) return src < o.src;
      return id < o.id;
    }
  };
  std::vector<Key> keys;
  keys.reserve(rows->size());
  const std::vector<uint32_t>* r = nullptr;
  uint32_t r_part = RowSet::kNull;
  for (uint32_t i = 0; i < rows->size(); ++i) {
    const RowRef& ref = (*rows)[i];
    if (ref.part != r_part) r = &ranks.Of(r_part = ref.part);
    const RowSet& p = parts_[ref.part];
    const RowSet::Edge& e = p.edges_[ref.row];
    keys.push_back(Key{Rank(*r, e.owner), IdKeyOf(*r, p.RefId(e.src)), IdKeyOf(*r, e.id), i});
  }
  std::sort(keys.begin(), keys.end());
  std::vector<RowRef> sorted;
  sorted.reserve(keys.size());
  for (const auto& k : keys) sorted.push_back((*rows)[k.ref]);
  rows->swap(sorted);
}

void Graph::SortProps(const Ranks& ranks, std::vector<RowRef>* rows) const {
  std::vector<PropKey> keys;
  keys.reserve(rows->size());
  const std::vector<uint32_t>* r = nullptr;
  uint32_t r_part = RowSet::kNull;
  for (uint32_t i = 0; i < rows->size(); ++i) {
    const RowRef& ref = (*rows)[i];
    if (ref.part != r_part) r = &ranks.Of(r_part = ref.part);
    const RowSet& p = parts_[ref.part];
    const RowSet::Id* entity;
    uint32_t file, key;
    if (ref.row == RowSet::kNull) {
      const RowSet::LooseProp& l = p.loose_[ref.prop];
      entity = &l.entity;
      file = l.file_id;
      key = l.prop.key;
    } else {
      entity = &p.node_ids_[ref.row];
      file = p.nodes_[ref.row].file_id;
      key = p.props_[ref.prop].key;
    }
    keys.push_back(PropKey{Rank(*r, file), Rank(*r, key), IdKeyOf(*r, *entity), i});
  }
  std::sort(keys.begin(), keys.end());
  for (size_t i = 1; i < keys.size(); ++i) {
    if (keys[i].file == keys[i - 1].file && keys[i].entity == keys[i - 1].entity &&
        keys[i].key == keys[i - 1].key) {
      const RowRef& ref = (*rows)[keys[i].ref];
      const RowSet& p = parts_[ref.part];
      const bool loose = ref.row == RowSet::kNull;
      throw InternalError(
          "duplicate prop " +
          std::string(p.views_[loose ? p.loose_[ref.prop].prop.key : p.props_[ref.prop].key]) +
          " of " + p.IdString(loose ? p.loose_[ref.prop].entity : p.node_ids_[ref.row]));
    }
  }
  std::vector<RowRef> sorted;
  sorted.reserve(keys.size());
  for (const auto& k : keys) sorted.push_back((*rows)[k.ref]);
  rows->swap(sorted);
}

void Graph::RowsOf(Table t, uint32_t part, std::vector<RowRef>* out) const {
  const RowSet& p = parts_[part];
  switch (t) {
    case kNodes:
      for (uint32_t i = 0; i < p.nodes_.size(); ++i) out->push_back(RowRef{part, i, 0});
      break;
    case kEdges:
      for (uint32_t i = 0; i < p.edges_.size(); ++i) out->push_back(RowRef{part, i, 0});
      break;
    case kProps:
      for (uint32_t i = 0; i < p.nodes_.size(); ++i) {
        for (uint32_t j = p.nodes_[i].prop_begin, end = p.PropEnd(i); j < end; ++j) {
          out->push_back(RowRef{part, i, j});
        }
      }
      for (uint32_t j = 0; j < p.loose_.size(); ++j) out->push_back(RowRef{part, RowSet::kNull, j});
      break;
    default:  // the derived streams follow the base tables' plans
      break;
  }
}

uint32_t Graph::GroupOf(Table t, const RowRef& r) const {
  const RowSet& p = parts_[r.part];
  switch (t) {
    case kNodes:
      return p.nodes_[r.row].path;
    case kEdges:
      return p.edges_[r.row].owner;
    case kProps:
      return r.row == RowSet::kNull ? p.loose_[r.prop].file_id : p.nodes_[r.row].file_id;
    default:
      break;
  }
  return RowSet::kNull;
}

void Graph::Sort(Table t, const Ranks& ranks, std::vector<RowRef>* rows) const {
  switch (t) {
    case kNodes:
      SortNodes(ranks, rows);
      break;
    case kEdges:
      SortEdges(ranks, rows);
      break;
    case kProps:
      SortProps(ranks, rows);
      break;
    default:
      break;
  }
}

void Graph::SortUnit(Table t, const Unit& u, std::vector<RowRef>* out) const {
  const TablePlan& plan = plans_[t];
  out->clear();
  std::vector<uint32_t> involved;
  for (uint32_t k = u.first; k < u.last; ++k) {
    RowsOf(t, plan.parts[k], out);
    involved.push_back(plan.parts[k]);
  }
  for (uint32_t m = u.mixed_begin; m < u.mixed_end; ++m) {
    out->push_back(plan.mixed[m]);
    involved.push_back(plan.mixed[m].part);
  }
  Sort(t, RanksOf(std::move(involved)), out);
}

Graph Graph::Assemble(std::vector<RowSet> parts, int threads) {
  static_assert(RowSet::kNull == kNoSymbol);
  Graph g;
  g.parts_ = std::move(parts);
  const size_t n = g.parts_.size();
  if (n >= kMixed) throw InternalError("too many row sets");
  // Per part and table: the group symbol of all its rows, kMixed, or kNull (no rows); and
  // the part's node and edge counts by kind.
  std::vector<std::array<uint32_t, 3>> group(n);
  std::vector<std::vector<int64_t>> node_kinds(n), edge_kinds(n);
  ParallelFor(n, std::max(1, threads), [&](size_t i) {
    const RowSet& p = g.parts_[i];
    for (size_t size : {p.nodes_.size(), p.edges_.size(), p.props_.size(), p.loose_.size()}) {
      if (size >= RowSet::kNull) throw InternalError("too many rows in one row set");
    }
    struct Group {
      uint32_t value = RowSet::kNull;
      bool seen = false;
      void Add(uint32_t sym) {
        if (!seen) {
          seen = true;
          value = sym == RowSet::kNull ? kMixed : sym;
        } else if (value != sym) {
          value = kMixed;
        }
      }
    } nodes, edges, props;
    auto& nk = node_kinds[i];
    nk.assign(p.views_.size(), 0);
    for (size_t k = 0; k < p.nodes_.size(); ++k) {
      const RowSet::Node& node = p.nodes_[k];
      nodes.Add(node.path);
      if (node.prop_begin != p.PropEnd(k)) props.Add(node.file_id);
      ++nk[node.kind];
    }
    auto& ek = edge_kinds[i];
    ek.assign(p.views_.size(), 0);
    for (const auto& e : p.edges_) {
      edges.Add(e.owner);
      ++ek[e.kind];
    }
    for (const auto& l : p.loose_) props.Add(l.file_id);
    group[i] = {nodes.value, edges.value, props.value};
  });
  for (size_t i = 0; i < n; ++i) {
    const RowSet& p = g.parts_[i];
    for (size_t s = 0; s < node_kinds[i].size(); ++s) {
      if (node_kinds[i][s]) g.nodes_by_kind_[std::string(p.views_[s])] += node_kinds[i][s];
      if (edge_kinds[i][s]) g.edges_by_kind_[std::string(p.views_[s])] += edge_kinds[i][s];
    }
    g.plans_[kNodes].rows += static_cast<int64_t>(p.nodes_.size());
    g.plans_[kEdges].rows += static_cast<int64_t>(p.edges_.size());
    g.plans_[kProps].rows += static_cast<int64_t>(p.num_props());
  }
  g.users_.reset(new std::atomic<int>[n * kNumResources]);
  for (Table t : {kNodes, kEdges, kProps}) {
    TablePlan& plan = g.plans_[t];
    std::vector<uint32_t> mixed_parts;
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t v = group[i][t];
      if (v == RowSet::kNull || v == kMixed) {
        plan.other_parts.push_back(i);
        if (v == kMixed) mixed_parts.push_back(i);
      } else {
        plan.parts.push_back(i);
      }
    }
    auto text = [&](uint32_t part) { return g.parts_[part].views_[group[part][t]]; };
    std::stable_sort(plan.parts.begin(), plan.parts.end(),
                     [&](uint32_t a, uint32_t b) { return GroupLess(text(a), text(b)); });
    // The mixed rows: sorted (and checked) now.
    for (uint32_t p : mixed_parts) g.RowsOf(t, p, &plan.mixed);
    if (!plan.mixed.empty()) g.Sort(t, g.RanksOf(mixed_parts), &plan.mixed);
    // Blocks by group value, the mixed rows merged in by theirs (null first).
    auto mixed_text = [&](size_t m) -> std::optional<std::string_view> {
      const uint32_t sym = g.GroupOf(t, plan.mixed[m]);
      if (sym == RowSet::kNull) return std::nullopt;
      return g.parts_[plan.mixed[m].part].views_[sym];
    };
    auto unit = [](size_t a, size_t b, size_t c, size_t d) {
      return Unit{static_cast<uint32_t>(a), static_cast<uint32_t>(b), static_cast<uint32_t>(c),
                  static_cast<uint32_t>(d)};
    };
    size_t m = 0;
    for (size_t a = 0; a < plan.parts.size();) {
      const std::string_view value = text(plan.parts[a]);
      size_t b = a + 1;
      while (b < plan.parts.size() && text(plan.parts[b]) == value) ++b;
      const size_t m0 = m;
      while (m < plan.mixed.size()) {
        const auto v = mixed_text(m);
        if (v && !GroupLess(*v, value)) break;
        ++m;
      }
      if (m > m0) plan.units.push_back(unit(0, 0, m0, m));
      const size_t m1 = m;
      while (m < plan.mixed.size() && mixed_text(m) == value) ++m;
      plan.units.push_back(unit(a, b, m1, m));
      a = b;
    }
    if (m < plan.mixed.size()) plan.units.push_back(unit(0, 0, m, plan.mixed.size()));
  }
  return g;
}

namespace {

// The resources (Graph::Resource) each stream (Graph::Table) reads: positions, edges, props,
// nodes and text; every stream reads the whole part (ids, symbols).
constexpr uint8_t kStreamReads[6] = {
    1 << 0 | 1 << 3,  // nodes
    1 << 1,           // edges
    1 << 2 | 1 << 3,  // props
    1 << 1 | 1 << 3,  // cpg_edges_by_src (text: qualified names)
    1 << 1 | 1 << 3,  // cpg_edges_by_dst
    1 << 2 | 1 << 3,  // cpg_props_map
};

}  // namespace

void Graph::ReleaseRowsOnceStreamed(bool derived) {
  release_ = true;
  const size_t n = parts_.size();
  int users[kNumResources] = {};
  for (int t = 0; t < (derived ? kNumTables : 3); ++t) {
    for (int r = 0; r < kResAll; ++r) users[r] += (kStreamReads[t] >> r) & 1;
    ++users[kResAll];
  }
  for (size_t i = 0; i < n; ++i) {
    for (int r = 0; r < kNumResources; ++r) users_[i * kNumResources + r] = users[r];
  }
}

void Graph::Release(Table t, uint32_t part) const {
  if (!release_) return;
  RowSet& p = parts_[part];
  size_t freed = 0;
  auto free = [&](auto& v) {
    freed += v.capacity() * sizeof(v[0]);
    std::remove_reference_t<decltype(v)>().swap(v);
  };
  std::atomic<int>* users = &users_[static_cast<size_t>(part) * kNumResources];
  auto last = [&](Resource r) {
    return ((kStreamReads[t] >> r) & 1) && users[r].fetch_sub(1) == 1;
  };
  if (last(kResPositions)) free(p.positions_);
  if (last(kResEdges)) {
    free(p.edges_);
    if (part < derived_.size()) {
      free(derived_[part].src);
    }
  }
  if (last(kResProps)) {
    free(p.props_);
    free(p.loose_);
  }
  if (last(kResNodes)) {
    free(p.nodes_);
    free(p.text_);
  }
  if (users[kResAll].fetch_sub(1) == 1) p = RowSet();
#ifdef __GLIBC__
  // Freed rows are holes in the heap, which the allocator keeps: hand their pages back to the
  // system every 32 MiB, so that the writers' growing buffers do not add to the peak.
  constexpr size_t kTrimEvery = size_t{32} << 20;
  const size_t before = freed_->fetch_add(freed);
  if (before / kTrimEvery != (before + freed) / kTrimEvery) malloc_trim(0);
#endif
}

bool Graph::Advance(Table t, Cursor& c) const {
  const TablePlan& plan = plans_[t];
  while (c.at == c.end) {
    if (c.in_unit) {
      const Unit& u = plan.units[c.next_unit - 1];
      for (uint32_t k = u.first; k < u.last; ++k) Release(c.stream, plan.parts[k]);
      c.in_unit = false;
      c.rows.clear();
    }
    if (c.next_unit == plan.units.size()) {
      if (!c.done) {
        c.done = true;
        for (uint32_t p : plan.other_parts) Release(c.stream, p);
        std::vector<RowRef>().swap(c.rows);
      }
      return false;
    }
    const Unit& u = plan.units[c.next_unit++];
    c.in_unit = true;
    if (c.stream == kBySrc) {
      // The unit's edges by (owner, src, edge id): a mixed run too (sorted by the edge key).
      c.rows.clear();
      std::vector<uint32_t> involved;
      for (uint32_t k = u.first; k < u.last; ++k) {
        RowsOf(t, plan.parts[k], &c.rows);
        involved.push_back(plan.parts[k]);
      }
      for (uint32_t m = u.mixed_begin; m < u.mixed_end; ++m) {
        c.rows.push_back(plan.mixed[m]);
        involved.push_back(plan.mixed[m].part);
      }
      SortBySrc(RanksOf(std::move(involved)), &c.rows);
      c.at = c.rows.data();
      c.end = c.at + c.rows.size();
    } else if (u.first == u.last) {
      c.at = plan.mixed.data() + u.mixed_begin;
      c.end = plan.mixed.data() + u.mixed_end;
    } else {
      SortUnit(t, u, &c.rows);
      c.at = c.rows.data();
      c.end = c.at + c.rows.size();
    }
  }
  return true;
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

void Graph::AppendPropValue(Column* const* c, const RowSet& p, const RowSet::Prop& pr) {
  const bool str = pr.type == RowSet::ValueType::kString;
  const char* type = "string";
  if (pr.type == RowSet::ValueType::kInt) type = "int";
  if (pr.type == RowSet::ValueType::kFloat) type = "float";
  if (pr.type == RowSet::ValueType::kBool) type = "bool";
  if (pr.is_json) type = "json";
  c[0]->AppendString(type);
  if (str && !pr.is_json) {
    c[1]->AppendString(p.TextOf(pr.value.s));
  } else {
    c[1]->AppendNull();
  }
  if (pr.type == RowSet::ValueType::kInt) {
    c[2]->Append<int64_t>(pr.value.i);
  } else {
    c[2]->AppendNull();
  }
  if (pr.type == RowSet::ValueType::kFloat) {
    c[3]->Append<double>(pr.value.f);
  } else {
    c[3]->AppendNull();
  }
  if (pr.type == RowSet::ValueType::kBool) {
    c[4]->AppendBool(pr.value.b);
  } else {
    c[4]->AppendNull();
  }
  if (str && pr.is_json) {
    c[5]->AppendString(p.TextOf(pr.value.s));
  } else {
    c[5]->AppendNull();
  }
}

void Graph::AppendSymbol(Column* col, const RowSet& p, uint32_t s) {
  if (s == RowSet::kNull) {
    col->AppendNull();
  } else {
    col->AppendString(p.views_[s]);
  }
}

void Graph::AppendNodes(RecordBatch& b, const RowRef* begin, const RowRef* end) const {
  Column* c[13];
  for (size_t i = 0; i < 13; ++i) c[i] = &b.mutable_column(i);
  std::string id;
  for (const RowRef* r = begin; r != end; ++r) {
    const RowSet& p = parts_[r->part];
    const RowSet::Node& n = p.nodes_[r->row];
    auto text = [&](Column* col, const RowSet::Str& s) {
      if (s.off == RowSet::kNull) {
        col->AppendNull();
      } else {
        col->AppendString(p.TextOf(s));
      }
    };
    id.clear();
    p.AppendId(p.node_ids_[r->row], &id);
    c[0]->AppendString(id);
    c[1]->AppendString(p.views_[n.kind]);
    AppendSymbol(c[2], p, n.file_id);
    AppendSymbol(c[3], p, n.path);
    if (n.span.flags & RowSet::kHasStart) {
      c[4]->Append<int64_t>(p.StartOf(n.span));
    } else {
      c[4]->AppendNull();
    }
    if (n.span.flags & RowSet::kHasEnd) {
      c[5]->Append<int64_t>(p.EndOf(n.span));
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
    if (n.enclosing == RowSet::kNull) {
      c[12]->AppendNull();
    } else {
      id.clear();
      p.AppendId(p.RefId(n.enclosing), &id);
      c[12]->AppendString(id);
    }
  }
  b.set_num_rows(c[0]->length());
}

void Graph::AppendEdges(RecordBatch& b, const RowRef* begin, const RowRef* end) const {
  Column* c[12];
  for (size_t i = 0; i < 12; ++i) c[i] = &b.mutable_column(i);
  std::string id;
  for (const RowRef* r = begin; r != end; ++r) {
    const RowSet& p = parts_[r->part];
    const RowSet::Edge& e = p.edges_[r->row];
    for (auto [col, v] : {std::pair{c[0], &e.id}, std::pair{c[2], &p.RefId(e.src)},
                          std::pair{c[3], &p.RefId(e.dst)}}) {
      id.clear();
      p.AppendId(*v, &id);
      col->AppendString(id);
    }
    c[1]->AppendString(p.views_[e.kind]);
    AppendSymbol(c[4], p, e.owner);
    AppendSymbol(c[5], p, e.path);
    if (e.span.flags & RowSet::kHasStart) {
      c[6]->Append<int64_t>(p.StartOf(e.span));
    } else {
      c[6]->AppendNull();
    }
    if (e.span.flags & RowSet::kHasEnd) {
      c[7]->Append<int64_t>(p.EndOf(e.span));
    } else {
      c[7]->AppendNull();
    }
    AppendSymbol(c[8], p, e.origin);
    AppendSymbol(c[9], p, e.method);
    if (e.confidence != RowSet::kNull) {
      c[10]->Append<double>(p.confidences_[e.confidence]);
    } else {
      c[10]->AppendNull();
    }
    if (e.span.flags & RowSet::kHasRoles) {
      c[11]->Append<int32_t>(e.symbol_roles);
    } else {
      c[11]->AppendNull();
    }
  }
  b.set_num_rows(c[0]->length());
}

void Graph::AppendProps(RecordBatch& b, const RowRef* begin, const RowRef* end) const {
  Column* c[10];
  for (size_t i = 0; i < 10; ++i) c[i] = &b.mutable_column(i);
  std::string entity_id;
  const RowSet::Id* last_entity = nullptr;
  for (const RowRef* r = begin; r != end; ++r) {
    const RowSet& p = parts_[r->part];
    {
      const RowSet::Prop* prop;
      const RowSet::Id* entity;
      if (r->row == RowSet::kNull) {
        const RowSet::LooseProp& l = p.loose_[r->prop];
        c[0]->AppendString(p.views_[l.entity_kind]);
        entity = &l.entity;
        prop = &l.prop;
      } else {
        c[0]->AppendString(p.views_[kSymNode]);
        entity = &p.node_ids_[r->row];
        prop = &p.props_[r->prop];
      }
      if (entity != last_entity) {  // an entity's props are adjacent: render its id once
        entity_id.clear();
        p.AppendId(*entity, &entity_id);
        last_entity = entity;
      }
      c[1]->AppendString(entity_id);
      AppendSymbol(c[2], p,
                   r->row == RowSet::kNull ? p.loose_[r->prop].file_id : p.nodes_[r->row].file_id);
      const RowSet::Prop& pr = *prop;
      c[3]->AppendString(p.views_[pr.key]);
      AppendPropValue(&c[4], p, pr);
    }
  }
  b.set_num_rows(c[0]->length());
}

namespace {

// Room for `rows` more rows of table `t` (strings: about the bytes of an id, a file id, a key).
void ReserveRows(int t, RecordBatch& b, int64_t rows) {
  for (size_t i = 0; i < b.num_columns(); ++i) b.mutable_column(i).Reserve(rows);
  auto text = [&](size_t column, int64_t bytes) {
    ReserveText(&b.mutable_column(column), rows, bytes);
  };
  if (t == 0) {  // nodes: node_id, file_id, enclosing_id
    for (size_t i : {0, 2, 12}) text(i, 64);
  } else if (t == 1) {  // edges: edge_id, src, dst, owner
    for (size_t i : {0, 2, 3, 4}) text(i, 64);
  } else {
    text(1, 64);  // entity ids
    text(2, 40);  // file ids
    text(0, 4);   // "node"
    text(3, 16);  // keys
    text(4, 6);   // value types
  }
}

columnar::Schema SchemaOf(int t) {
  return t == 0 ? NodesSchema() : t == 1 ? EdgesSchema() : PropsSchema();
}

}  // namespace

int64_t Graph::Fill(Table t, Cursor& c, RecordBatch& b, int64_t max_rows) const {
  int64_t rows = 0;
  while (rows < max_rows && Advance(t, c)) {
    const int64_t n = std::min<int64_t>(c.end - c.at, max_rows - rows);
    switch (t) {
      case kNodes:
        AppendNodes(b, c.at, c.at + n);
        break;
      case kEdges:
        AppendEdges(b, c.at, c.at + n);
        break;
      case kProps:
        AppendProps(b, c.at, c.at + n);
        break;
      default:
        break;
    }
    c.at += n;
    rows += n;
  }
  c.emitted += rows;
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

BatchStream Graph::Batches(Table t, int64_t max_rows) const {
  struct State {
    Cursor cursor;
    std::vector<RecordBatch> pool;
    columnar::Schema schema;
  };
  auto state = std::make_shared<State>();
  state->cursor.stream = t;
  state->schema = SchemaOf(t);
  return [this, state, max_rows, t]() -> std::optional<RecordBatch> {
    RecordBatch b = Recycle(state->pool, state->schema);
    ReserveRows(t, b, std::min(max_rows, plans_[t].rows - state->cursor.emitted));
    if (Fill(t, state->cursor, b, max_rows) == 0) {
      state->pool.clear();
      return std::nullopt;
    }
    return b;
  };
}

BatchStream Graph::NodeBatches(int64_t max_rows) const {
  return Batches(kNodes, max_rows);
}

BatchStream Graph::EdgeBatches(int64_t max_rows) const {
  return Batches(kEdges, max_rows);
}

BatchStream Graph::PropBatches(int64_t max_rows) const {
  return Batches(kProps, max_rows);
}

columnar::RecordBatch Graph::WholeTable(Table t) const {
  RecordBatch b = RecordBatch::MakeEmpty(SchemaOf(t));
  ReserveRows(t, b, plans_[t].rows);
  Cursor cursor;
  cursor.stream = t;
  Fill(t, cursor, b, plans_[t].rows);
  Fill(t, cursor, b, 1);  // the end (releases the last rows)
  return b;
}

columnar::RecordBatch Graph::NodesBatch() const {
  return WholeTable(kNodes);
}

columnar::RecordBatch Graph::EdgesBatch() const {
  return WholeTable(kEdges);
}

columnar::RecordBatch Graph::PropsBatch() const {
  return WholeTable(kProps);
}

}  // namespace cpglake::cpg
