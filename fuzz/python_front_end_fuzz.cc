// Fuzz entry point: arbitrary bytes as Python source through the whole front end — parsing,
// syntax extraction, scope analysis, the module summary — and cross-file resolution of the
// input split into two modules of one package (the first byte picks the split and which is
// the package's __init__). Nothing may throw: the front end turns every input into evidence
// and diagnostics. Also checks the invariants the graph relies on: spans inside the file,
// edges between existing nodes, summary keys and resolved targets that exist.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "python/module_summary.h"
#include "python/resolver.h"
#include "python/scopes.h"
#include "python/syntax.h"
#include "python/tree_sitter.h"

namespace {

using namespace cpglake::python;

void Check(bool ok) {
  if (!ok) std::abort();
}

ModuleSummary Analyze(Parser& parser, const std::string& src, const std::string& module,
                      bool package) {
  FileEvidence ev;
  TreePtr tree;
  ExtractSyntax(parser, src, module, &ev, &tree);
  AnalyzeScopes(src, ts_tree_root_node(tree.get()), &ev);
  const auto size = static_cast<int64_t>(src.size());
  for (const auto& n : ev.nodes) {
    Check(n.bstart == -1 || (0 <= n.bstart && n.bstart <= n.bend && n.bend <= size));
  }
  for (const auto& e : ev.edges) {
    Check(e.src >= 0 && e.dst >= 0 && static_cast<size_t>(e.src) < ev.nodes.size() &&
          static_cast<size_t>(e.dst) < ev.nodes.size());
  }
  ModuleSummary s = SummarizeModule(src, ts_tree_root_node(tree.get()), ev, module, package);
  for (const auto& k : s.keys) Check(k.bstart == -1 || (k.bstart <= k.bend && k.bend <= size));
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static Parser parser;
  const uint8_t mode = data[0];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t split = text.empty() ? 0 : (mode * 131u) % (text.size() + 1);
  const bool first_is_init = (mode & 1) != 0;
  std::vector<ModuleSummary> summaries;
  summaries.push_back(
      Analyze(parser, text.substr(0, split), first_is_init ? "pkg" : "pkg.a", first_is_init));
  summaries.push_back(Analyze(parser, text.substr(split), "pkg.b", false));
  summaries.push_back(Analyze(parser, text, "pkg.c", false));
  std::vector<ModuleEntry> entries = {
      {&summaries[0], first_is_init ? "pkg/__init__.py" : "pkg/a.py"},
      {&summaries[1], "pkg/b.py"},
      {&summaries[2], "pkg/c.py"}};
  Resolver resolver(entries);
  for (size_t f = 0; f < entries.size(); ++f) {
    FileResolution r = resolver.ResolveFile(f);
    for (const auto& e : r.edges) {
      Check(e.src_key >= 0 && static_cast<size_t>(e.src_key) < summaries[f].keys.size());
      if (e.dst.file >= 0) {
        Check(static_cast<size_t>(e.dst.file) < summaries.size());
        Check(e.dst.key >= 0 && static_cast<size_t>(e.dst.key) <
                                    summaries[static_cast<size_t>(e.dst.file)].keys.size());
      } else {
        Check(!e.dst.external.empty());
      }
    }
  }
  return 0;
}
