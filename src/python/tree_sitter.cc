#include "python/tree_sitter.h"

#include "common/error.h"

extern "C" const TSLanguage* tree_sitter_python();

namespace cpglake::python {

const TSLanguage* PythonLanguage() {
  return tree_sitter_python();
}

Parser::Parser() : parser_(ts_parser_new()) {
  if (!ts_parser_set_language(parser_, PythonLanguage())) {
    ts_parser_delete(parser_);
    throw InternalError("the tree-sitter runtime rejected the Python grammar (ABI mismatch)");
  }
}

Parser::~Parser() {
  ts_parser_delete(parser_);
}

TreePtr Parser::Parse(std::string_view source) {
  TSTree* t =
      ts_parser_parse_string(parser_, nullptr, source.data(), static_cast<uint32_t>(source.size()));
  if (t == nullptr) throw InternalError("tree-sitter returned no tree");
  return TreePtr(t);
}

}  // namespace cpglake::python
