#include "python/tree_sitter.h"

#include <cstring>
#include <string>

#include "common/error.h"

extern "C" const TSLanguage* tree_sitter_python();

namespace cpglake::python {

const TSLanguage* PythonLanguage() {
  return tree_sitter_python();
}

TSSymbol GrammarSymbol(const char* name, bool named) {
  const TSSymbol s = ts_language_symbol_for_name(PythonLanguage(), name,
                                                 static_cast<uint32_t>(std::strlen(name)), named);
  CPGLAKE_CHECK(s != 0, std::string("the Python grammar has no node type ") + name);
  return s;
}

TSFieldId GrammarField(const char* name) {
  const TSFieldId f = ts_language_field_id_for_name(PythonLanguage(), name,
                                                    static_cast<uint32_t>(std::strlen(name)));
  CPGLAKE_CHECK(f != 0, std::string("the Python grammar has no field ") + name);
  return f;
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
