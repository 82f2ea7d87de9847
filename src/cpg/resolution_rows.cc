#include "cpg/resolution_rows.h"

#include <cstring>

#include "common/error.h"
#include "common/hash.h"
#include "cpg/ids.h"

namespace cpglake::cpg {

std::string NodeIdOf(std::string_view file_id, const python::NodeKey& key) {
  return FrontEndNodeId(key.kind, file_id, key.name, key.qualified_path, key.ordinal, key.bstart,
                        key.bend);
}

NodeRow QualifiedNameNode(const std::string& qualified_name) {
  NodeRow r;
  r.node_id = QualifiedNameId(qualified_name);
  r.node_kind = "PY_QUALIFIED_NAME";
  const size_t dot = qualified_name.rfind('.');
  r.name = dot == std::string::npos ? qualified_name : qualified_name.substr(dot + 1);
  r.qualified_name = qualified_name;
  return r;
}

GraphRows RowsForResolution(size_t file, const std::vector<FileContext>& contexts,
                            const std::vector<const python::ModuleSummary*>& summaries,
                            const python::FileResolution& resolution,
                            std::set<std::string>* externals) {
  GraphRows out;
  const FileContext& ctx = contexts.at(file);
  const python::ModuleSummary* own = summaries.at(file);
  if (!own) return out;
  auto key_of = [&](size_t f, int32_t key) -> const python::NodeKey& {
    const python::ModuleSummary* s = summaries.at(f);
    if (!s || key < 0 || static_cast<size_t>(key) >= s->keys.size()) {
      throw InternalError("resolved edge of " + ctx.path + " names a node that does not exist");
    }
    return s->keys[static_cast<size_t>(key)];
  };
  // An edge owned by this file, anchored at [bstart, bend) when bstart >= 0.
  auto edge = [&](const std::string& kind, std::string src, std::string dst, int64_t bstart,
                  int64_t bend, const std::string& method, double confidence) {
    EdgeRow r;
    r.edge_kind = kind;
    r.src_node_id = std::move(src);
    r.dst_node_id = std::move(dst);
    if (bstart >= 0) r.bstart = bstart, r.bend = bend;
    r.edge_id = EdgeId(r.edge_kind, r.src_node_id, r.dst_node_id, r.bstart, r.bend);
    r.edge_owner_file_id = ctx.file_id;
    r.path = ctx.path;
    r.origin = "resolver";
    if (!method.empty()) r.resolution_method = method;
    r.confidence = confidence;
    out.edges.push_back(std::move(r));
  };
  for (const auto& e : resolution.edges) {
    std::string dst;
    if (e.dst.file >= 0) {
      const auto f = static_cast<size_t>(e.dst.file);
      dst = NodeIdOf(contexts.at(f).file_id, key_of(f, e.dst.key));
    } else {
      dst = QualifiedNameId(e.dst.external);
      externals->insert(e.dst.external);
    }
    edge(e.kind, NodeIdOf(ctx.file_id, key_of(file, e.src_key)), std::move(dst), e.bstart, e.bend,
         e.resolution_method, e.confidence);
  }
  const std::string module_id =
      own->module_key >= 0 ? NodeIdOf(ctx.file_id, key_of(file, own->module_key)) : std::string();
  for (const auto& d : resolution.diagnostics) {
    // Anchored at a node of the summary (an import alias): its lines and columns.
    const python::NodeKey* at = nullptr;
    for (const auto& k : own->keys) {
      if (k.bstart == d.bstart && k.bend == d.bend && k.line_start >= 0) at = &k;
    }
    NodeRow r = DiagnosticRows(ctx, d, "resolver", &out.props);
    if (at) {
      r.line_start = at->line_start;
      r.line_end = at->line_end;
      r.col_start = at->col_start;
      r.col_end = at->col_end;
    }
    if (!module_id.empty()) {
      edge("HAS_DIAGNOSTIC", module_id, r.node_id, d.bstart, d.bend, "", 1.0);
    }
    out.nodes.push_back(std::move(r));
  }
  return out;
}

namespace {

// The inputs of NodeIdOf(file_id, key) besides the file id (FrontEndNodeId's two cases).
void HashIdInputs(const python::NodeKey& key, FieldHasher* h) {
  h->Str(key.kind);
  if (IsDeclarationKind(key.kind) || key.bstart < 0) {
    h->Str(key.qualified_path.empty() ? key.name : key.qualified_path);
    h->Num(key.ordinal);
  } else {
    h->Num(key.bstart);
    h->Num(key.bend);
  }
}

}  // namespace

std::string ResolutionFingerprint(size_t file, const std::vector<FileContext>& contexts,
                                  const std::vector<const python::ModuleSummary*>& summaries,
                                  const python::FileResolution& resolution) {
  const python::ModuleSummary* own = summaries.at(file);
  FieldHasher h;
  h.Str("cpglake-resolution-v1");
  if (!own) return h.Hex();
  auto key_of = [&](size_t f, int32_t key) -> const python::NodeKey& {
    const python::ModuleSummary* s = summaries.at(f);
    if (!s || key < 0 || static_cast<size_t>(key) >= s->keys.size()) {
      throw InternalError("resolved edge of " + contexts.at(file).path +
                          " names a node that does not exist");
    }
    return s->keys[static_cast<size_t>(key)];
  };
  for (const auto& e : resolution.edges) {
    h.Tag('E');
    h.Str(e.kind);
    HashIdInputs(key_of(file, e.src_key), &h);
    h.Num(e.bstart);
    h.Num(e.bend);
    if (e.dst.file >= 0) {
      const auto f = static_cast<size_t>(e.dst.file);
      h.Tag('F');
      h.Str(contexts.at(f).file_id);
      HashIdInputs(key_of(f, e.dst.key), &h);
    } else {
      h.Tag('X');
      h.Str(e.dst.external);
    }
    h.Str(e.resolution_method);
    int64_t bits;
    std::memcpy(&bits, &e.confidence, sizeof bits);
    h.Num(bits);
  }
  for (const auto& d : resolution.diagnostics) {
    h.Tag('D');
    h.Str(d.severity);
    h.Str(d.code);
    h.Str(d.message);
    h.Num(d.bstart);
    h.Num(d.bend);
  }
  return h.Hex();
}

}  // namespace cpglake::cpg
