// Syntax extraction: one walk of the tree-sitter tree of a Python file that appends the
// declaration-level and anchored syntax nodes of CPG_MODEL.md to a FileEvidence — the module,
// classes, functions, lambdas, parameters, decorators, docstrings, imports and their aliases,
// call sites and arguments, name references, attribute accesses, annotations, PEP 695 type
// parameters, and syntax errors — with the CST_PARENT_OF, HAS_ANNOTATION and TYPE_PARAM_OF
// edges between them and a Diagnostic per syntax error.
//
// Spans are the byte spans CPython's `ast` gives the same constructs (tests/python/
// ast_oracle_test.cc checks this against the whole standard library); docs/python_frontend.md
// lists the choices and the known differences. The walk is iterative (a TSTreeCursor and an
// explicit stack), so deeply nested input cannot overflow the C++ stack.
#pragma once

#include <string>
#include <string_view>

#include "python/evidence.h"
#include "python/tree_sitter.h"

namespace cpglake::python {

// Parses `source` (raw file bytes) with `parser` and appends the syntax nodes, edges and
// diagnostics to `out`; fills `out->lines` when it is empty. `module_name` is the dotted
// module name (the PY_MODULE node's name). Never fails on bad input: syntax errors become
// TS_ERROR / TS_MISSING nodes and diagnostics, and the rest of the file is still extracted.
// `tree_out`, when given, receives the tree that was extracted from (of a same-length
// patched copy where tree-sitter needs one: read texts from `source`), for the scope
// analysis to reuse instead of parsing again.
void ExtractSyntax(Parser& parser, std::string_view source, const std::string& module_name,
                   FileEvidence* out, TreePtr* tree_out = nullptr);

// The same with a parser owned by the calling thread.
void ExtractSyntax(std::string_view source, const std::string& module_name, FileEvidence* out);

}  // namespace cpglake::python
