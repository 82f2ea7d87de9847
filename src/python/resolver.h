// Cross-file resolution: the module table, imports, class hierarchies and call targets of a
// repository, from the module summaries (module_summary.h) of its files.
//
// For every file it produces the edges CPG_MODEL.md assigns to the resolver, each owned by the
// file whose summary holds the evidence (so an incremental build can redo one file's edges):
//   IMPORTS   import alias → the module, package `__init__`, class, function or variable it
//             brings in (absolute and relative imports, `__init__` re-exports followed to the
//             definition, star imports honouring `__all__`), else → an external qualified name;
//   CALLS     call site / decorator → the function or class it calls: names looked up
//             lexically, through imports and re-exports, attributes of modules, classes and
//             instances through the class hierarchy (C3 MRO), `self`/`cls` in methods,
//             zero-argument `super()`, local aliases and factory return values where certain;
//             a call of a class also → the `__init__` its hierarchy provides (method
//             "constructor"); builtins and code outside the repository → external names
//             (`builtins.len`, `os.path.join`);
//   INHERITS  class → each base class (same resolution), else → an external name.
// resolution_method: lexical (same file), import (through an import), class_hierarchy
// (attribute found through a class's MRO), constructor, qualified_name (external target).
// confidence: 1 when certain; lowered for names bound by several statements (×0.8), each local
// alias or return value followed (×0.9), members assumed on classes outside the repository
// (×0.7), names that may come from an external star import (0.5), ambiguous module names (×0.5).
//
// Unresolvable imports that certainly point into the repository (relative imports, and names
// missing from a repository module) become UNRESOLVED_IMPORT diagnostics of the file.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "python/evidence.h"
#include "python/module_summary.h"

namespace cpglake::python {

struct ResolvedTarget {
  int32_t file = -1;     // index of the file whose summary holds the target node, or -1
  int32_t key = -1;      // key index in that summary
  std::string external;  // when file < 0: the qualified name ("builtins.len", "os.path")
};

struct ResolvedEdge {
  std::string kind;  // IMPORTS | CALLS | INHERITS
  int32_t src_key = -1;
  int64_t bstart = -1, bend = -1;  // anchor: the call, alias or base expression
  ResolvedTarget dst;
  std::string resolution_method;
  double confidence = 1.0;
};

struct FileResolution {
  std::vector<ResolvedEdge> edges;
  std::vector<Diagnostic> diagnostics;
};

// What the resolution of one file read (ResolveFile): the files whose summaries it looked at —
// the file itself, modules it imports and those they re-export from, classes of the
// hierarchies it searched and the files those hierarchies were linearised from — and the
// classes whose subclasses it looked for. Given the same module table, the same summaries of
// these files and the same subclasses of these classes, the file resolves to the same edges:
// an incremental build re-resolves a file only when one of them changed (docs/incremental.md).
struct ResolutionDeps {
  std::vector<int32_t> files;                                 // sorted, distinct
  std::vector<std::pair<int32_t, int32_t>> subclass_queries;  // (file, class key), sorted
};

struct ModuleEntry {
  const ModuleSummary* summary = nullptr;  // null: the file has no summary (unreadable)
  std::string path;                        // repository-relative POSIX path
};

class Resolver {
 public:
  // Builds the module table and every class's MRO. `modules` must outlive the resolver.
  explicit Resolver(const std::vector<ModuleEntry>& modules);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // The edges and diagnostics owned by file `file`. Thread-safe (read-only after
  // construction); deterministic.
  // With `deps`, what it read is recorded there.
  FileResolution ResolveFile(size_t file, ResolutionDeps* deps = nullptr) const;

  // A hash of the module table (names → files, ambiguous names, namespace packages): the
  // part of every file's resolution that no ResolutionDeps records. 32 hex characters.
  std::string ModuleTableFingerprint() const;

  // The repository classes in the hierarchies (MROs) of the classes file `file` defines,
  // other than those classes themselves: a new or changed subclass in `file` changes what
  // a search of these classes' subclasses finds.
  std::vector<std::pair<int32_t, int32_t>> AncestorsOfClassesIn(size_t file) const;

  // The file that defines a module (canonical dotted name), or -1.
  int32_t FindModule(const std::string& module_name) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when `name` is a name of Python 3.11's builtins module.
bool IsBuiltinName(std::string_view name);

}  // namespace cpglake::python
