// Rows of SCIP evidence (docs/scip.md): occurrences of a SCIP document matched to the nodes of
// its file by byte span, and the SCIP_DOCUMENT / SCIP_SYMBOL nodes and PY_*_SYMBOL /
// SCIP_SYMBOL_* edges they give. The pipeline reads the index (scip/index.h), converts each
// occurrence's range to bytes of the file (scip/positions.h) and calls these per document.
//
// Matching (ScipSpanMatcher) — an occurrence at bytes [bstart, bend):
//  1. exact: the nodes with exactly that span; the best-ranked kind wins (below);
//  2. containing: else the smallest node that contains the span (best-ranked kind among
//     nodes of that size); when that is a CST_ATTRIBUTE_ACCESS ending where the span ends, the
//     occurrence is the attribute's own name (`x` of `self.x = 1`: the graph has no node for
//     an attribute name alone) and the match is an "attribute" match;
//  3. module: else a definition with an empty span at the start of the file (how scip-python
//     defines a module) maps to the file's PY_MODULE node;
//  4. else the occurrence is unmatched (counted on the SCIP_DOCUMENT node and in a diagnostic).
// `candidates` counts the nodes that scored as well as the winner; more than one is an
// ambiguity (ties are broken by node id, so the result is deterministic).
// Ranks, best first — definitions (role bit 1): PY_DEF_SITE, CST_PARAM, TYPE_PARAM,
// CST_IMPORT_ALIAS, CST_REF, CST_ATTRIBUTE_ACCESS, CST_FUNCTION_DEF / CST_CLASS_DEF, others;
// other occurrences: CST_IMPORT_ALIAS, CST_REF, CST_ATTRIBUTE_ACCESS, PY_USE_SITE,
// PY_DEF_SITE, CST_PARAM, TYPE_PARAM, others. Never matched: PY_SCOPE (it repeats its
// owner's span), PY_MODULE (except by rule 3), DIAG, TS_ERROR, TS_MISSING and unanchored
// nodes. A definition's name has a PY_DEF_SITE with exactly its span (function, class,
// parameter, assignment target, import), so every definition occurrence scip-python writes
// maps to a PY_DEF_SITE of the same span, except attribute definitions (rule 2, attribute)
// and module definitions (rule 3).
//
// Calls: an occurrence that is not a definition, not an import and not a write, and ends
// where the callee of a call site ends (inside that call site: `f` of `f(x)`, `run` of
// `b.run()`), gives PY_CALLS_SYMBOL from the CST_CALLSITE instead of an edge from the
// matched identifier.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cpg/graph.h"
#include "scip/index.h"

namespace cpglake::cpg {

// A node of a file that occurrences may be matched to.
struct ScipTarget {
  std::string node_id;
  std::string kind;
  int64_t bstart = 0, bend = 0;
  int64_t callee_end = -1;  // CST_CALLSITE: where its callee expression ends; -1: unknown
};

// The anchored nodes of a file's evidence that occurrences can be matched to, with the ids
// RowsForFile gives them.
std::vector<ScipTarget> ScipTargetsOf(const FileContext& file, const python::FileEvidence& ev);

enum class ScipMatchKind : uint8_t { kNone, kExact, kContaining, kAttribute, kCallee, kModule };
std::string_view ScipMatchKindName(ScipMatchKind kind);  // "none", "exact", ...

struct ScipMatch {
  int32_t target = -1;  // index into the matcher's targets; -1: unmatched
  ScipMatchKind kind = ScipMatchKind::kNone;
  int32_t candidates = 0;  // targets as good as the chosen one (1: unambiguous)
};

class ScipSpanMatcher {
 public:
  explicit ScipSpanMatcher(std::vector<ScipTarget> targets);

  // The node an occurrence at [bstart, bend) maps to (rules 1-4 above).
  ScipMatch Match(int64_t bstart, int64_t bend, bool definition) const;
  // The call site whose callee ends at `bend` and that starts at or before `bstart`; -1: none.
  // When several nested call sites qualify, the innermost.
  int32_t CallSite(int64_t bstart, int64_t bend) const;

  const ScipTarget& target(int32_t i) const { return targets_[static_cast<size_t>(i)]; }
  size_t size() const { return targets_.size(); }

 private:
  std::vector<ScipTarget> targets_;  // matchable nodes, by (bstart, bend, node_id)
  std::vector<int64_t> starts_;      // targets_[i].bstart
  std::map<std::pair<int64_t, int64_t>, std::vector<int32_t>> exact_;
  std::map<int64_t, std::vector<int32_t>> callee_ends_;  // call sites by callee end
  int32_t module_ = -1;
};

// An occurrence's range as bytes of its file.
struct ScipOccurrenceSpan {
  int64_t bstart = 0, bend = 0;
  bool clamped = false;  // a position fell outside the text and was clamped
};

// The SCIP_SYMBOL node id of a symbol: stable_id("SCIP_SYMBOL", repo_id, symbol) for global
// symbols; a document-local symbol ("local N") adds the document's path:
// stable_id("SCIP_SYMBOL", repo_id, path, symbol).
std::string ScipSymbolId(std::string_view repo_id, std::string_view symbol,
                         std::string_view document_path);
std::string ScipDocumentId(std::string_view file_id);

struct ScipDocumentStats {
  int64_t occurrences = 0, exact = 0, containing = 0, attribute = 0, callee = 0, module = 0;
  int64_t unmatched = 0;
  int64_t clamped = 0, ambiguous = 0;
};

struct ScipFileRows {
  GraphRows rows;
  std::vector<python::Diagnostic> diagnostics;  // also DIAG nodes in `rows`
  ScipDocumentStats stats;
};

// Rows of one document of file `file`: the SCIP_DOCUMENT node (with FILE_HAS_SCIP_DOCUMENT
// from the file and its counts as props), one PY_*_SYMBOL edge per matched occurrence
// (identical edges merged, their roles or-ed), SCIP_SYMBOL nodes of the document's local
// symbols with their props and relationship edges, diagnostics (unmatched or clamped
// occurrences) as DIAG nodes, and the `scip_corroborated` prop of the file's CALLS edges
// (`calls`: the file's resolver rows) whose target defines a known symbol
// (`defined_symbol(target node id)`, nullptr: unknown): true when a call occurrence of the
// call site names that symbol. With `stale` the document is not matched (its text differs
// from the file): only the document node and a SCIP_STALE_DOCUMENT diagnostic. `local_names`
// (may be null) names local symbols (the text of their first definition); a local symbol
// without one is named by its id.
ScipFileRows RowsForScipDocument(
    const FileContext& file, const scip::Document& document,
    const std::vector<ScipOccurrenceSpan>& spans, const ScipSpanMatcher& matcher,
    const std::vector<EdgeRow>& calls,
    const std::function<const std::string*(const std::string&)>& defined_symbol, bool stale,
    const std::map<std::string, std::string>* local_names = nullptr);

// The global symbols of an index with what is known about each: symbol information from the
// documents (in the order given) and then the external symbols — the first information
// found for a symbol gives its kind, names, documentation and signature; relationships are
// the union — plus every global symbol an occurrence or a relationship names.
struct ScipSymbolTable {
  std::map<std::string, scip::SymbolInfo> symbols;  // by symbol; relationships sorted
};
ScipSymbolTable MergeScipSymbols(const std::vector<const scip::Document*>& documents,
                                 const std::vector<scip::SymbolInfo>& external_symbols);
// A fingerprint (32 hex) of the table: equal tables give equal rows.
std::string ScipSymbolsFingerprint(const ScipSymbolTable& table);
// The repository-level rows: one SCIP_SYMBOL node per global symbol (props: symbol,
// display_name, kind, documentation, signature, enclosing_symbol) and its relationship edges.
GraphRows RowsForScipSymbols(std::string_view repo_id, const ScipSymbolTable& table);

}  // namespace cpglake::cpg
