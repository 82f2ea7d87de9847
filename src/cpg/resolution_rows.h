// Rows of the resolver's output (python/resolver.h): IMPORTS / CALLS / INHERITS edges owned
// by the file that holds the evidence, external targets as PY_QUALIFIED_NAME nodes, and
// UNRESOLVED_IMPORT diagnostics as DIAG nodes.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cpg/graph.h"
#include "python/module_summary.h"
#include "python/resolver.h"

namespace cpglake::cpg {

// The stable id of the node a summary key names: the id RowsForFile gives that node.
std::string NodeIdOf(std::string_view file_id, const python::NodeKey& key);

// Rows for file `file` (whose context is `contexts[file]`) from its resolution; the file ids
// of target files come from `contexts`. External names used are added to `externals`.
GraphRows RowsForResolution(size_t file, const std::vector<FileContext>& contexts,
                            const std::vector<const python::ModuleSummary*>& summaries,
                            const python::FileResolution& resolution,
                            std::set<std::string>* externals);

// A fingerprint (32 hex characters) of what RowsForResolution makes for `file`, computed
// without making the rows (no ids are hashed): two calls with equal fingerprints, and the same
// context and own summary keys for `file`, give equal rows. Target nodes enter by their file's
// id and the inputs of their id (a declaration's kind, qualified path and ordinal; an anchored
// node's kind and span), so an edit that only moves a definition in its file changes no
// fingerprint of the files that use it. Incremental builds compare fingerprints to find the
// files whose resolution changed.
std::string ResolutionFingerprint(size_t file, const std::vector<FileContext>& contexts,
                                  const std::vector<const python::ModuleSummary*>& summaries,
                                  const python::FileResolution& resolution);

// The PY_QUALIFIED_NAME node of an external name (repository-level: no file).
NodeRow QualifiedNameNode(const std::string& qualified_name);

}  // namespace cpglake::cpg
