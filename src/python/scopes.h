// Scopes and bindings of one Python file, agreeing with CPython 3.11's `symtable`.
//
// AnalyzeScopes walks a tree-sitter-python tree once (iteratively, with an explicit stack, so
// deep expressions cannot overflow the C++ stack) to collect the scopes and the raw symbol
// flags exactly as CPython's symtable pass 1 does (Python/symtable.c), then runs CPython's
// analysis (analyze_block: LOCAL / GLOBAL_EXPLICIT / GLOBAL_IMPLICIT / FREE / CELL, free
// variables propagated through intermediate scopes, `__class__` cells) over the scope tree.
// Cost: linear in the tree plus one hash lookup per name occurrence; name resolution walks
// the scope chain (its depth), never the file. docs/python_scopes.md has the rules, the
// decisions and the oracle test (tests/python/symtable_oracle_test.cc) that checks every
// scope and symbol of the standard library against `symtable`.
//
// Output appended to FileEvidence (node and edge kinds of CPG_MODEL.md; edges have origin
// "scope"):
//
//   PY_SCOPE    one per module, class, function, lambda and comprehension (list/set/dict
//               comprehensions and generator expressions have their own scope in 3.11; 3.11
//               has no PEP 695 scopes, and the annotation scopes of `from __future__ import
//               annotations` are discarded by symtable, so neither appears).
//               name: as symtable names it ("top", the def/class name, "lambda", "listcomp",
//               "setcomp", "dictcomp", "genexpr"). Span: the module (whole file), the
//               `def`/`class` statement without its decorators, or the expression.
//               qualified_path: `__qualname__`-style nesting: "<module>" for the module,
//               "f", "C.m", "f.<locals>.g", "f.<locals>.<lambda>", "<listcomp>".
//               ordinal: rank among the scopes with the same path in source order (the
//               inner g of a redefined f is "f.<locals>.g" with ordinal 1), as for syntax nodes.
//               props: scope_type (module | class | function | lambda | comprehension),
//               line (symtable's get_lineno: 0 for the module, else the 1-based line of the
//               `def`/`class`/`lambda` keyword or of the comprehension's first byte).
//   PY_BINDING  one per (scope, name) in the scope's symbol table. name: the name as symtable
//               spells it (private names mangled: `__x` in class C is "_C__x"). Not anchored.
//               qualified_path: the scope's child prefix plus the name ("x", "f.<locals>.x",
//               "C.x"); ordinal: the scope's (bindings share a path only when scopes do).
//               props, in this order: binding_kind (param | import | cell | local |
//               nonlocal_ref | free_ref | global_ref), then, only those that are true (an
//               absent flag is false), the bools is_assigned,
//               is_referenced, is_annotated, is_imported, is_global, is_declared_global,
//               is_nonlocal, is_free, is_parameter, is_local (the values of symtable.Symbol's
//               predicates of the same names, computed for the real module scope), is_cell,
//               is_implicit (the comprehension argument ".0"; the `__class__` cell a class
//               gets when a method uses `super()` or `__class__`, which symtable does not list).
//   PY_DEF_SITE an identifier occurrence that binds or declares a name (span of the
//               identifier). props: def_kind (assign | augassign | annotation | for | with |
//               except | del | walrus | import | param | def | class | match | comprehension |
//               global | nonlocal). `annotation` is `x: T` without a value; global/nonlocal
//               are declarations, not bindings of a value.
//   PY_USE_SITE an identifier occurrence read as a name (Load context). No props.
//
//   SCOPE_PARENT         scope -> enclosing scope
//   SCOPE_BINDS          scope -> binding
//   BINDING_RESOLVES_TO  free/nonlocal binding -> the cell binding of the scope that defines
//                        it; global binding (declared or implicit) -> the module binding when
//                        the module binds or declares the name (none for builtins);
//                        resolution_method "lexical".
//   DEF_SITE_OF / USE_SITE_OF  site -> the binding of the scope the occurrence belongs to
//                        (anchored at the identifier). A use of a global inside a function
//                        points to the function's global_ref binding; follow
//                        BINDING_RESOLVES_TO for the definition.
//
// `enclosing` of scopes, bindings and sites is set when `out` already holds the syntax nodes
// (run syntax extraction first): the CST_FUNCTION_DEF / CST_CLASS_DEF / CST_LAMBDA that starts
// where the scope's construct starts, or the PY_MODULE node; comprehension scopes take
// their nearest non-comprehension ancestor's. `parent` is left at -1.
//
// Errors that CPython's symtable reports (nonlocal at module level, no binding for nonlocal,
// global after use, duplicate argument, walrus in a class-body comprehension, ...) are
// appended to out->diagnostics with code SCOPE_ERROR and CPython's message; the analysis
// still completes.
#pragma once

#include <tree_sitter/api.h>

#include <string_view>

#include "python/evidence.h"

namespace cpglake::python {

// Appends the scopes, bindings and sites of the file whose bytes are `source` and whose
// tree-sitter tree has root `root` (a `module` node) to `out`. Never throws on any input.
void AnalyzeScopes(std::string_view source, TSNode root, FileEvidence* out);

}  // namespace cpglake::python
