// SCIP symbol strings → names. A SCIP symbol is either "local <id>" (a name visible in one
// document only) or "<scheme> <manager> <package> <version> <descriptors>", where each of the
// four header fields escapes a space as two spaces and the descriptors spell a path:
//
//   name/   namespace        name#   type            name.   term
//   name:   meta             name!   macro           name(disambiguator).   method
//   (name)  parameter        [name]  type parameter
//
// A name is [A-Za-z0-9_+$-]+ or `backquoted` (a backquote inside doubled). scip-python writes
// "scip-python python demo 0.1 `pkg.mod`/Base#run().(self)" for the parameter `self` of
// pkg.mod.Base.run, and "... pkg/__init__:" for the module pkg.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cpglake::scip {

struct SymbolDescriptor {
  enum class Kind : char {
    kNamespace = '/',
    kType = '#',
    kTerm = '.',
    kMeta = ':',
    kMacro = '!',
    kMethod = 'm',
    kParameter = 'p',
    kTypeParameter = 't',
  };
  Kind kind = Kind::kTerm;
  std::string name;
  std::string disambiguator;  // methods only
  bool operator==(const SymbolDescriptor&) const = default;
};

struct ParsedSymbol {
  bool is_local = false;
  std::string local_id;  // "local <id>": the id
  std::string scheme, manager, package, version;
  std::vector<SymbolDescriptor> descriptors;

  // The last descriptor's name ("run" for ...Base#run().); the local id for a local symbol.
  std::string Name() const;
  // The dotted path of the descriptors as the graph spells qualified names: names joined
  // with "." (a namespace name keeps its own dots: `pkg.mod` is pkg.mod), a parameter as
  // "(name)" and a type parameter as "[name]" appended to their owner, and a trailing
  // `__init__:` meta (scip-python's module symbol) dropped: "pkg.mod.Base.run(self)".
  // Empty for local symbols.
  std::string QualifiedName() const;
};

// Parses a symbol string; nullopt when it does not follow the grammar above.
std::optional<ParsedSymbol> ParseSymbol(std::string_view symbol);

// True for "local <id>" symbols (document-local; the same string in two documents names two
// different things).
bool IsLocalSymbol(std::string_view symbol);

}  // namespace cpglake::scip
