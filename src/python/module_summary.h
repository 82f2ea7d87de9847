// What cross-file resolution needs to know about one module, and nothing else.
//
// SummarizeModule reads a file's tree and its evidence (after syntax extraction and scope
// analysis) and records, in terms of *symbolic references* that other files can evaluate:
//   - the module's global names and what each is bound to (a class or function of this file,
//     an imported module or name, an alias of another name, or just a variable),
//   - star imports and a literal `__all__`,
//   - each class's bases and members,
//   - what a function returns when that is certainly one local function (factories),
//   - every call site's callee, every decorator application, every import alias's target.
// Names are looked up lexically with the scope analysis's own bindings (the same rules as
// CPython's symtable), so `x` inside a function means the function's `x`, a free variable
// means the enclosing function's, and a global means the module's.
//
// The summary is self-contained (it holds the keys that make the stable ids of the nodes it
// mentions), so the resolver (resolver.h) and, later, incremental builds can use it after the
// file's evidence has been turned into rows and freed.
#pragma once

#include <tree_sitter/api.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "python/evidence.h"

namespace cpglake::python {

// Enough of an evidence node to compute its stable id (cpg::NodeIdOf) and to name it.
struct NodeKey {
  std::string kind;
  std::string name;
  std::string qualified_path;  // declarations: dotted nesting; empty for anchored nodes
  int32_t ordinal = 0;
  int64_t bstart = -1, bend = -1;
  // 1-based lines and 0-based UTF-8 columns of the span (-1 when not anchored).
  int32_t line_start = -1, line_end = -1, col_start = -1, col_end = -1;

  bool operator==(const NodeKey&) const = default;
};

// What an expression denotes, as far as its own file can tell: a base plus attribute steps.
struct SymbolRef {
  enum class Base : uint8_t {
    kUnknown,   // nothing certain
    kNode,      // a class or function of this file (key index)
    kVariable,  // a module- or class-level variable of this file (key of its PY_BINDING)
    kModule,    // an absolute module name (`import a.b` binds "a"; `from m import x` is m + x)
    kGlobal,    // a name of this module: its globals, then its star imports, then builtins
    kInstance,  // an instance of the class at `key` (`self` in a method)
    kSuper,     // `super()` in a method of the class at `key`
  };
  Base base = Base::kUnknown;
  int32_t key = -1;                // index into ModuleSummary::keys
  std::string name;                // kModule: the module; kGlobal: the name
  std::vector<std::string> steps;  // attribute names; "()" is a call of what precedes
  uint8_t hops = 0;                // local aliases and return values followed to get here

  bool known() const { return base != Base::kUnknown; }
  bool operator==(const SymbolRef&) const = default;
};

// A name bound at module or class level: the value of its last defining statement.
struct BoundName {
  std::string name;
  SymbolRef value;
  int32_t binding_key = -1;  // the PY_BINDING node
  bool several = false;      // bound by more than one statement (the last one is taken)

  bool operator==(const BoundName&) const = default;
};

struct ModuleSummary {
  std::string module_name;
  bool is_package = false;  // an __init__ file
  std::vector<NodeKey> keys;
  int32_t module_key = -1;  // the PY_MODULE node

  std::vector<BoundName> globals;         // sorted by name
  std::vector<std::string> star_imports;  // absolute module names, in source order
  // The module makes names in ways a summary cannot see: it calls globals() or vars(), or
  // defines a module `__getattr__` (then a name it seems to lack is not reported missing).
  bool dynamic_names = false;
  bool has_all = false;  // `__all__` is a literal list/tuple of strings
  std::vector<std::string> all;

  struct ClassInfo {
    int32_t key = -1;
    struct Base {
      SymbolRef ref;
      int64_t bstart = -1, bend = -1;

      bool operator==(const Base&) const = default;
    };
    std::vector<Base> bases;
    // Sorted by name: methods, class attributes, and instance attributes that one
    // `self.x = value` in a method binds (binding_key -1).
    std::vector<BoundName> members;

    bool operator==(const ClassInfo&) const = default;
  };
  std::vector<ClassInfo> classes;  // sorted by key

  // Function key → the local function it returns on every path that returns a value.
  std::vector<std::pair<int32_t, SymbolRef>> returns;

  enum class RefKind : uint8_t { kCall, kDecorator };
  struct Reference {
    RefKind kind = RefKind::kCall;
    int32_t key = -1;  // the CST_CALLSITE or CST_DECORATOR node
    SymbolRef target;

    bool operator==(const Reference&) const = default;
  };
  std::vector<Reference> references;

  struct Import {
    int32_t key = -1;  // the CST_IMPORT_ALIAS node
    SymbolRef target;  // the module (`import a.b` → "a.b") or the name brought in
    bool star = false;
    bool relative = false;  // `from .x import y`: certainly a module of the repository
    std::string error;      // why it cannot be resolved at all (a relative import past the top)

    bool operator==(const Import&) const = default;
  };
  std::vector<Import> imports;

  // False when `references` and `imports` were left out (python/summary_codec.h
  // DecodeSharedSummary): enough to resolve other files against this one, not this file.
  bool complete = true;

  const BoundName* FindGlobal(std::string_view name) const;
  const ClassInfo* FindClass(int32_t key) const;
  const SymbolRef* FindReturn(int32_t key) const;

  bool operator==(const ModuleSummary&) const = default;
};
const BoundName* FindBound(const std::vector<BoundName>& sorted, std::string_view name);

// The absolute module a relative import names: `level` dots from the module `module_name`
// (a package when `is_package`), then `module` ("" for `from . import x`). Empty when the
// import goes past the top-level package.
std::string AbsoluteImportModule(std::string_view module_name, bool is_package, int64_t level,
                                 std::string_view module);

// Summarises the file whose raw bytes are `source`, tree root `root` and evidence `ev`
// (syntax extraction and scope analysis already run). Never throws on any input.
ModuleSummary SummarizeModule(std::string_view source, TSNode root, const FileEvidence& ev,
                              const std::string& module_name, bool is_package);

}  // namespace cpglake::python
