#include "cpg/scip_rows.h"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/hash.h"
#include "cpg/ids.h"
#include "scip/symbol.h"

namespace cpglake::cpg {

namespace {

constexpr size_t kMaxCalleeText = 256;  // python/syntax.cc truncates longer callee texts

bool Matchable(std::string_view kind) {
  return kind != "PY_SCOPE" && kind != "DIAG" && kind != "TS_ERROR" && kind != "TS_MISSING" &&
         kind != "PY_FILE" && kind != "PY_BINDING";
}

int Rank(std::string_view kind, bool definition) {
  static const char* const kDefinition[] = {"PY_DEF_SITE", "CST_PARAM",
                                            "TYPE_PARAM",  "CST_IMPORT_ALIAS",
                                            "CST_REF",     "CST_ATTRIBUTE_ACCESS"};
  static const char* const kOther[] = {"CST_IMPORT_ALIAS", "CST_REF",     "CST_ATTRIBUTE_ACCESS",
                                       "PY_USE_SITE",      "PY_DEF_SITE", "CST_PARAM",
                                       "TYPE_PARAM"};
  int i = 0;
  if (definition) {
    for (const char* k : kDefinition) {
      if (kind == k) return i;
      ++i;
    }
    if (kind == "CST_FUNCTION_DEF" || kind == "CST_CLASS_DEF") return i;
    return i + 1;
  }
  for (const char* k : kOther) {
    if (kind == k) return i;
    ++i;
  }
  return i;
}

const std::string* StringProp(const python::EvidenceNode& n, std::string_view key) {
  for (const auto& [k, v] : n.props) {
    if (k == key) return std::get_if<std::string>(&v);
  }
  return nullptr;
}

}  // namespace

std::vector<ScipTarget> ScipTargetsOf(const FileContext& file, const python::FileEvidence& ev) {
  std::vector<ScipTarget> out;
  out.reserve(ev.nodes.size());
  for (const auto& n : ev.nodes) {
    if (n.bstart < 0 || n.bend < n.bstart || !(Matchable(n.kind) || n.kind == "PY_MODULE")) {
      continue;
    }
    ScipTarget t;
    t.node_id =
        FrontEndNodeId(n.kind, file.file_id, n.name, n.qualified_path, n.ordinal, n.bstart, n.bend);
    t.kind = n.kind;
    t.bstart = n.bstart;
    t.bend = n.bend;
    if (n.kind == "CST_CALLSITE") {
      const std::string* callee = StringProp(n, "callee_text");
      if (callee && !callee->empty() && callee->size() <= kMaxCalleeText) {
        t.callee_end = n.bstart + static_cast<int64_t>(callee->size());
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::string_view ScipMatchKindName(ScipMatchKind kind) {
  switch (kind) {
    case ScipMatchKind::kNone:
      return "none";
    case ScipMatchKind::kExact:
      return "exact";
    case ScipMatchKind::kContaining:
      return "containing";
    case ScipMatchKind::kAttribute:
      return "attribute";
    case ScipMatchKind::kCallee:
      return "callee";
    case ScipMatchKind::kModule:
      return "module";
  }
  return "?";
}

ScipSpanMatcher::ScipSpanMatcher(std::vector<ScipTarget> targets) : targets_(std::move(targets)) {
  std::sort(targets_.begin(), targets_.end(), [](const ScipTarget& a, const ScipTarget& b) {
    if (a.bstart != b.bstart) return a.bstart < b.bstart;
    if (a.bend != b.bend) return a.bend < b.bend;
    return a.node_id < b.node_id;
  });
  starts_.reserve(targets_.size());
  for (size_t i = 0; i < targets_.size(); ++i) {
    const ScipTarget& t = targets_[i];
    const auto idx = static_cast<int32_t>(i);
    starts_.push_back(t.bstart);
    if (t.kind == "PY_MODULE") {
      if (module_ < 0) module_ = idx;
      continue;
    }
    exact_[{t.bstart, t.bend}].push_back(idx);
    if (t.kind == "CST_CALLSITE" && t.callee_end >= 0) callee_ends_[t.callee_end].push_back(idx);
  }
}

ScipMatch ScipSpanMatcher::Match(int64_t bstart, int64_t bend, bool definition) const {
  ScipMatch m;
  // Picks the best-ranked of `candidates` (ties: the smallest node id, as targets_ is sorted).
  auto best_of = [&](const std::vector<int32_t>& candidates, ScipMatchKind kind) {
    int best_rank = std::numeric_limits<int>::max();
    for (int32_t c : candidates) {
      const int r = Rank(targets_[static_cast<size_t>(c)].kind, definition);
      if (r < best_rank) {
        best_rank = r;
        m.target = c;
        m.candidates = 1;
      } else if (r == best_rank) {
        ++m.candidates;
        if (targets_[static_cast<size_t>(c)].node_id <
            targets_[static_cast<size_t>(m.target)].node_id) {
          m.target = c;
        }
      }
    }
    m.kind = kind;
  };
  if (auto it = exact_.find({bstart, bend}); it != exact_.end()) {
    best_of(it->second, ScipMatchKind::kExact);
    return m;
  }
  if (bstart < bend) {
    // Smallest containing node: walk back from the last node starting at or before bstart; a
    // node starting d bytes earlier is at least d + (bend - bstart) long, so the walk stops
    // once d alone reaches the best length found.
    int64_t best_len = std::numeric_limits<int64_t>::max();
    std::vector<int32_t> best;
    auto upper = std::upper_bound(starts_.begin(), starts_.end(), bstart);
    for (auto i = upper - starts_.begin(); i-- > 0;) {
      const ScipTarget& t = targets_[static_cast<size_t>(i)];
      if (bstart - t.bstart > best_len) break;
      if (t.bend < bend || t.kind == "PY_MODULE") continue;
      const int64_t len = t.bend - t.bstart;
      if (len < best_len) {
        best_len = len;
        best.assign(1, static_cast<int32_t>(i));
      } else if (len == best_len) {
        best.push_back(static_cast<int32_t>(i));
      }
    }
    if (!best.empty()) {
      best_of(best, ScipMatchKind::kContaining);
      const ScipTarget& t = targets_[static_cast<size_t>(m.target)];
      if (t.kind == "CST_ATTRIBUTE_ACCESS" && t.bend == bend) m.kind = ScipMatchKind::kAttribute;
      return m;
    }
  }
  if (definition && bstart == 0 && bend == 0 && module_ >= 0) {
    m.target = module_;
    m.kind = ScipMatchKind::kModule;
    m.candidates = 1;
  }
  return m;
}

int32_t ScipSpanMatcher::CallSite(int64_t bstart, int64_t bend) const {
  auto it = callee_ends_.find(bend);
  if (it == callee_ends_.end() || bstart >= bend) return -1;
  int32_t best = -1;
  for (int32_t c : it->second) {
    const ScipTarget& t = targets_[static_cast<size_t>(c)];
    if (t.bstart > bstart) continue;
    // Innermost: the latest start (then the shortest).
    if (best < 0 || t.bstart > target(best).bstart ||
        (t.bstart == target(best).bstart && t.bend < target(best).bend)) {
      best = c;
    }
  }
  return best;
}

std::string ScipSymbolId(std::string_view repo_id, std::string_view symbol,
                         std::string_view document_path) {
  if (scip::IsLocalSymbol(symbol)) return StableId("SCIP_SYMBOL", {repo_id, document_path, symbol});
  return StableId("SCIP_SYMBOL", {repo_id, symbol});
}

std::string ScipDocumentId(std::string_view file_id) {
  return StableId("SCIP_DOCUMENT", {file_id});
}

namespace {

constexpr const char* kOrigin = "scip";
constexpr const char* kOccurrenceMethod = "scip_occurrence";
constexpr const char* kRelationshipMethod = "scip_relationship";

// The node of a symbol and its props (file: the document's file for local symbols).
void AddSymbolRows(std::string_view repo_id, const std::string& symbol,
                   const scip::SymbolInfo* info, const FileContext* file, GraphRows* out,
                   const std::string* local_name = nullptr) {
  NodeRow r;
  r.node_id = ScipSymbolId(repo_id, symbol, file ? std::string_view(file->path) : "");
  r.node_kind = "SCIP_SYMBOL";
  if (file) {
    r.file_id = file->file_id;
    r.path = file->path;
  }
  if (auto parsed = scip::ParseSymbol(symbol)) {
    const std::string name = parsed->Name();
    const std::string qualified = parsed->QualifiedName();
    if (!name.empty()) r.name = name;
    if (!qualified.empty()) r.qualified_name = qualified;
  }
  if (local_name && !local_name->empty()) r.name = *local_name;
  if (info && !info->display_name.empty()) r.name = info->display_name;
  const std::optional<std::string> owner =
      file ? std::optional<std::string>(file->file_id) : std::nullopt;
  auto prop = [&](const char* key, python::PropValue v, bool json = false) {
    out->props.push_back(PropRow{"node", r.node_id, owner, key, std::move(v), json});
  };
  prop("symbol", symbol);
  if (info) {
    if (!info->display_name.empty()) prop("display_name", info->display_name);
    if (info->kind != 0) prop("kind", int64_t{info->kind});
    if (!info->documentation.empty()) {
      prop("documentation", nlohmann::json(info->documentation).dump(), true);
    }
    if (!info->signature.empty()) prop("signature", info->signature);
    if (!info->enclosing_symbol.empty()) prop("enclosing_symbol", info->enclosing_symbol);
  }
  out->nodes.push_back(std::move(r));
}

void AddRelationshipEdges(std::string_view repo_id, const scip::SymbolInfo& info,
                          const FileContext* file, GraphRows* out) {
  const std::string_view path = file ? std::string_view(file->path) : "";
  const std::string src = ScipSymbolId(repo_id, info.symbol, path);
  std::set<std::string> seen;
  const bool local_source = scip::IsLocalSymbol(info.symbol);
  for (const auto& rel : info.relationships) {
    // A document's rows hold the relationships with a local end; the repository's the rest.
    if ((file != nullptr) != (local_source || scip::IsLocalSymbol(rel.symbol))) continue;
    const std::string dst = ScipSymbolId(repo_id, rel.symbol, path);
    for (const auto& [flag, kind] : std::initializer_list<std::pair<bool, const char*>>{
             {rel.is_reference, "SCIP_SYMBOL_REFERENCE"},
             {rel.is_implementation, "SCIP_SYMBOL_IMPLEMENTATION"},
             {rel.is_type_definition, "SCIP_SYMBOL_TYPE_DEFINITION"},
             {rel.is_definition, "SCIP_SYMBOL_DEFINITION"}}) {
      if (!flag) continue;
      EdgeRow e;
      e.edge_kind = kind;
      e.src_node_id = src;
      e.dst_node_id = dst;
      e.edge_id = EdgeId(kind, src, dst, std::nullopt, std::nullopt);
      if (!seen.insert(e.edge_id).second) continue;
      if (file) {
        e.edge_owner_file_id = file->file_id;
        e.path = file->path;
      }
      e.origin = kOrigin;
      e.resolution_method = kRelationshipMethod;
      e.confidence = 1.0;
      out->edges.push_back(std::move(e));
    }
  }
}

bool HasLocalEnd(const scip::SymbolInfo& info) {
  if (scip::IsLocalSymbol(info.symbol)) return true;
  for (const auto& rel : info.relationships) {
    if (scip::IsLocalSymbol(rel.symbol)) return true;
  }
  return false;
}

}  // namespace

ScipFileRows RowsForScipDocument(
    const FileContext& file, const scip::Document& document,
    const std::vector<ScipOccurrenceSpan>& spans, const ScipSpanMatcher& matcher,
    const std::vector<EdgeRow>& calls,
    const std::function<const std::string*(const std::string&)>& defined_symbol, bool stale,
    const std::map<std::string, std::string>* local_names) {
  CPGLAKE_CHECK(spans.size() == document.occurrences.size(),
                "one byte span per occurrence of " + document.relative_path);
  ScipFileRows result;
  GraphRows& out = result.rows;
  ScipDocumentStats& stats = result.stats;
  const std::string doc_id = ScipDocumentId(file.file_id);
  const std::string repo_id = file.repo_id;
  {
    EdgeRow e;
    e.edge_kind = "FILE_HAS_SCIP_DOCUMENT";
    e.src_node_id = file.file_id;
    e.dst_node_id = doc_id;
    e.edge_id = EdgeId(e.edge_kind, e.src_node_id, e.dst_node_id, std::nullopt, std::nullopt);
    e.edge_owner_file_id = file.file_id;
    e.path = file.path;
    e.origin = kOrigin;
    e.confidence = 1.0;
    out.edges.push_back(std::move(e));
  }
  auto add_diagnostic = [&](const std::string& severity, const std::string& code,
                            const std::string& message) {
    python::Diagnostic d{severity, code, message, -1, -1};
    NodeRow r = DiagnosticRows(file, d, "scip", &out.props);
    EdgeRow e;
    e.edge_kind = "HAS_DIAGNOSTIC";
    e.src_node_id = doc_id;
    e.dst_node_id = r.node_id;
    e.edge_id = EdgeId(e.edge_kind, e.src_node_id, e.dst_node_id, std::nullopt, std::nullopt);
    e.edge_owner_file_id = file.file_id;
    e.path = file.path;
    e.origin = kOrigin;
    e.confidence = 1.0;
    out.edges.push_back(std::move(e));
    out.nodes.push_back(std::move(r));
    result.diagnostics.push_back(std::move(d));
  };

  stats.occurrences = static_cast<int64_t>(document.occurrences.size());
  // Local symbols of the document: nodes of this file.
  std::map<std::string, const scip::SymbolInfo*> locals;
  if (!stale) {
    for (const auto& info : document.symbols) {
      if (scip::IsLocalSymbol(info.symbol)) locals.emplace(info.symbol, &info);
    }
    for (const auto& occ : document.occurrences) {
      if (scip::IsLocalSymbol(occ.symbol)) locals.emplace(occ.symbol, nullptr);
    }
    for (const auto& info : document.symbols) {
      for (const auto& rel : info.relationships) {
        if (scip::IsLocalSymbol(rel.symbol)) locals.emplace(rel.symbol, nullptr);
      }
    }
    for (const auto& [symbol, info] : locals) {
      const std::string* name = nullptr;
      if (local_names) {
        auto it = local_names->find(symbol);
        if (it != local_names->end()) name = &it->second;
      }
      AddSymbolRows(repo_id, symbol, info, &file, &out, name);
    }
    for (const auto& info : document.symbols) {
      if (HasLocalEnd(info)) AddRelationshipEdges(repo_id, info, &file, &out);
    }
  }

  // Occurrence edges, merged when identical (kind, ends and span).
  struct Pending {
    EdgeRow edge;
    ScipMatchKind kind;
    int32_t candidates;
  };
  std::vector<Pending> pending;
  std::unordered_map<std::string, size_t> by_id;
  std::map<std::string, std::set<std::string>> call_symbols;  // call site id → symbols
  for (size_t i = 0; i < document.occurrences.size() && !stale; ++i) {
    const scip::Occurrence& occ = document.occurrences[i];
    const ScipOccurrenceSpan& span = spans[i];
    if (span.clamped) ++stats.clamped;
    if (occ.symbol.empty()) {
      ++stats.unmatched;
      continue;
    }
    const bool definition = occ.HasRole(scip::kRoleDefinition);
    ScipMatch m = matcher.Match(span.bstart, span.bend, definition);
    std::string kind;
    std::string src;
    if (definition) {
      kind = "PY_DEFINES_SYMBOL";
    } else if (occ.HasRole(scip::kRoleImport) ||
               (m.target >= 0 && (matcher.target(m.target).kind == "CST_IMPORT_ALIAS" ||
                                  matcher.target(m.target).kind == "CST_IMPORT"))) {
      kind = "PY_IMPORTS_SYMBOL";
    } else if (const int32_t call = occ.HasRole(scip::kRoleWriteAccess)
                                        ? -1
                                        : matcher.CallSite(span.bstart, span.bend);
               call >= 0) {
      kind = "PY_CALLS_SYMBOL";
      m.target = call;
      m.kind = ScipMatchKind::kCallee;
      m.candidates = 1;
    } else if (occ.HasRole(scip::kRoleWriteAccess)) {
      kind = "PY_WRITES_SYMBOL";
    } else if (occ.HasRole(scip::kRoleReadAccess)) {
      kind = "PY_READS_SYMBOL";
    } else {
      kind = "PY_REFERENCES_SYMBOL";
    }
    if (m.target < 0) {
      ++stats.unmatched;
      continue;
    }
    switch (m.kind) {
      case ScipMatchKind::kExact:
        ++stats.exact;
        break;
      case ScipMatchKind::kContaining:
        ++stats.containing;
        break;
      case ScipMatchKind::kAttribute:
        ++stats.attribute;
        break;
      case ScipMatchKind::kCallee:
        ++stats.callee;
        break;
      case ScipMatchKind::kModule:
        ++stats.module;
        break;
      case ScipMatchKind::kNone:
        break;
    }
    if (m.candidates > 1) ++stats.ambiguous;
    src = matcher.target(m.target).node_id;
    const std::string dst = ScipSymbolId(repo_id, occ.symbol, file.path);
    if (kind == "PY_CALLS_SYMBOL") call_symbols[src].insert(occ.symbol);
    const std::string edge_id = EdgeId(kind, src, dst, span.bstart, span.bend);
    if (auto it = by_id.find(edge_id); it != by_id.end()) {
      Pending& p = pending[it->second];
      p.edge.symbol_roles = *p.edge.symbol_roles | occ.roles;
      continue;
    }
    Pending p;
    p.edge.edge_id = edge_id;
    p.edge.edge_kind = kind;
    p.edge.src_node_id = src;
    p.edge.dst_node_id = dst;
    p.edge.edge_owner_file_id = file.file_id;
    p.edge.path = file.path;
    p.edge.bstart = span.bstart;
    p.edge.bend = span.bend;
    p.edge.origin = kOrigin;
    p.edge.resolution_method = kOccurrenceMethod;
    p.edge.confidence = m.kind == ScipMatchKind::kContaining ? 0.5 : 1.0;
    p.edge.symbol_roles = occ.roles;
    p.kind = m.kind;
    p.candidates = m.candidates;
    by_id.emplace(edge_id, pending.size());
    pending.push_back(std::move(p));
  }
  for (auto& p : pending) {
    if (p.kind != ScipMatchKind::kExact) {
      out.props.push_back(PropRow{"edge", p.edge.edge_id, file.file_id, "scip_match",
                                  std::string(ScipMatchKindName(p.kind)), false});
    }
    if (p.candidates > 1) {
      out.props.push_back(PropRow{"edge", p.edge.edge_id, file.file_id, "scip_candidates",
                                  int64_t{p.candidates}, false});
    }
    out.edges.push_back(std::move(p.edge));
  }

  // CALLS corroboration.
  if (!stale) {
    for (const EdgeRow& call : calls) {
      if (call.edge_kind != "CALLS") continue;
      const std::string* symbol = defined_symbol(call.dst_node_id);
      if (symbol == nullptr) continue;
      auto it = call_symbols.find(call.src_node_id);
      const bool corroborated = it != call_symbols.end() && it->second.count(*symbol) > 0;
      out.props.push_back(
          PropRow{"edge", call.edge_id, file.file_id, "scip_corroborated", corroborated, false});
    }
  }

  NodeRow doc;
  doc.node_id = doc_id;
  doc.node_kind = "SCIP_DOCUMENT";
  doc.file_id = file.file_id;
  doc.path = file.path;
  doc.name = document.relative_path;
  auto prop = [&](const char* key, python::PropValue v) {
    out.props.push_back(PropRow{"node", doc_id, file.file_id, key, std::move(v), false});
  };
  if (!document.language.empty()) prop("language", document.language);
  prop("position_encoding", std::string(scip::PositionEncodingName(document.position_encoding)));
  prop("occurrences", stats.occurrences);
  prop("symbols", static_cast<int64_t>(document.symbols.size()));
  prop("matched_exact", stats.exact);
  prop("matched_containing", stats.containing);
  prop("matched_attribute", stats.attribute);
  prop("matched_callee", stats.callee);
  prop("matched_module", stats.module);
  prop("unmatched", stats.unmatched);
  prop("clamped", stats.clamped);
  prop("ambiguous", stats.ambiguous);
  prop("stale", stale);
  out.nodes.push_back(std::move(doc));

  if (stale) {
    add_diagnostic("warning", "SCIP_STALE_DOCUMENT",
                   "SCIP document " + document.relative_path +
                       " embeds a text that differs from the file: not matched");
  }
  if (stats.unmatched > 0) {
    add_diagnostic("info", "SCIP_UNMATCHED",
                   std::to_string(stats.unmatched) + " of " + std::to_string(stats.occurrences) +
                       " SCIP occurrences match no node");
  }
  if (stats.clamped > 0) {
    add_diagnostic("warning", "SCIP_POSITION_CLAMPED",
                   std::to_string(stats.clamped) + " SCIP occurrences lie outside the file's text");
  }
  return result;
}

ScipSymbolTable MergeScipSymbols(const std::vector<const scip::Document*>& documents,
                                 const std::vector<scip::SymbolInfo>& external_symbols) {
  ScipSymbolTable table;
  auto& symbols = table.symbols;
  auto mention = [&](const std::string& symbol) {
    if (!symbol.empty() && !scip::IsLocalSymbol(symbol)) {
      symbols.try_emplace(symbol).first->second.symbol = symbol;
    }
  };
  std::set<std::string> informed;  // symbols whose information was taken
  auto merge = [&](const scip::SymbolInfo& info) {
    if (info.symbol.empty() || scip::IsLocalSymbol(info.symbol)) {
      for (const auto& rel : info.relationships) mention(rel.symbol);
      return;
    }
    scip::SymbolInfo& s = symbols[info.symbol];
    if (informed.insert(info.symbol).second) {
      std::vector<scip::Relationship> relationships = std::move(s.relationships);
      s = info;
      s.relationships = std::move(relationships);
    }
    for (const auto& rel : info.relationships) {
      if (scip::IsLocalSymbol(rel.symbol)) continue;  // belongs to the document's rows
      s.relationships.push_back(rel);
      mention(rel.symbol);
    }
  };
  for (const scip::Document* d : documents) {
    for (const auto& info : d->symbols) merge(info);
  }
  for (const auto& info : external_symbols) merge(info);
  for (const scip::Document* d : documents) {
    for (const auto& occ : d->occurrences) mention(occ.symbol);
  }
  for (auto& [symbol, info] : symbols) {
    auto& rels = info.relationships;
    auto key = [](const scip::Relationship& r) {
      return std::make_tuple(r.symbol, r.is_reference, r.is_implementation, r.is_type_definition,
                             r.is_definition);
    };
    std::sort(
        rels.begin(), rels.end(),
        [&](const scip::Relationship& a, const scip::Relationship& b) { return key(a) < key(b); });
    rels.erase(std::unique(rels.begin(), rels.end(),
                           [&](const scip::Relationship& a, const scip::Relationship& b) {
                             return key(a) == key(b);
                           }),
               rels.end());
  }
  return table;
}

std::string ScipSymbolsFingerprint(const ScipSymbolTable& table) {
  FieldHasher h;
  h.Str("cpglake-scip-symbols-v1");
  for (const auto& [symbol, info] : table.symbols) {
    h.Tag('S');
    h.Str(symbol);
    h.Num(info.kind);
    h.Str(info.display_name);
    h.Num(static_cast<int64_t>(info.documentation.size()));
    for (const auto& d : info.documentation) h.Str(d);
    h.Str(info.signature);
    h.Str(info.enclosing_symbol);
    for (const auto& r : info.relationships) {
      h.Tag('R');
      h.Str(r.symbol);
      h.Num((r.is_reference ? 1 : 0) | (r.is_implementation ? 2 : 0) |
            (r.is_type_definition ? 4 : 0) | (r.is_definition ? 8 : 0));
    }
  }
  return h.Hex();
}

GraphRows RowsForScipSymbols(std::string_view repo_id, const ScipSymbolTable& table) {
  GraphRows out;
  for (const auto& [symbol, info] : table.symbols) {
    AddSymbolRows(repo_id, symbol, &info, nullptr, &out);
    AddRelationshipEdges(repo_id, info, nullptr, &out);
  }
  return out;
}

}  // namespace cpglake::cpg
