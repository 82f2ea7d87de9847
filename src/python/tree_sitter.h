// python/ — the Python front end: tree-sitter parsing (the tree-sitter-python 0.23.6 grammar
// compiled from the pinned npm package), line index and byte spans, syntax extraction,
// scopes and bindings (agreeing with CPython's symtable), cross-file resolution.
// Depends on common/ only; the graph model (cpg/) consumes what it produces.
//
// This header: RAII wrappers over the tree-sitter C API.
#pragma once

#include <tree_sitter/api.h>

#include <memory>
#include <string_view>

namespace cpglake::python {

// The tree-sitter-python language (ABI 14, accepted by the Debian 0.20.7 runtime).
const TSLanguage* PythonLanguage();

struct TreeDeleter {
  void operator()(TSTree* t) const { ts_tree_delete(t); }
};
using TreePtr = std::unique_ptr<TSTree, TreeDeleter>;

// A parser for Python source; one per thread (tree-sitter parsers are not thread-safe).
class Parser {
 public:
  Parser();
  ~Parser();
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
  // Parses UTF-8 source bytes (any bytes: invalid input yields ERROR nodes, never fails).
  TreePtr Parse(std::string_view source);

 private:
  TSParser* parser_;
};

// A node type or field of the Python grammar by name; InternalError when the grammar has
// none (the grammar and our code disagree: a build problem, not bad input).
TSSymbol GrammarSymbol(const char* name, bool named = true);
TSFieldId GrammarField(const char* name);

// The text of a node.
inline std::string_view NodeText(TSNode n, std::string_view source) {
  const uint32_t b = ts_node_start_byte(n), e = ts_node_end_byte(n);
  if (b > source.size() || e > source.size() || e < b) return {};
  return source.substr(b, e - b);
}

}  // namespace cpglake::python
