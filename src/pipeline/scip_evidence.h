// pipeline/ — SCIP evidence in a build (docs/scip.md): the index (read from a file, or written
// by scip-python: scip_indexer.h), its documents matched to the scan's files by relative path,
// every occurrence's range converted to bytes of its file, and the fingerprints an incremental
// build compares to find the files whose SCIP rows changed.
//
// A build with an index makes, per scanned file with a document, the rows of
// cpg::RowsForScipDocument (owned by that file), and once for the repository the SCIP_SYMBOL
// nodes of the global symbols (cpg::RowsForScipSymbols) and a SCIP_DOCUMENT_NOT_IN_SCAN
// diagnostic per document whose path the scan does not list (or a second document of a path).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cpg/scip_rows.h"
#include "pipeline/repo_scan.h"
#include "python/module_summary.h"
#include "scip/index.h"

namespace cpglake::pipeline {

// What the index says about one scanned file.
struct ScipFileDocument {
  const scip::Document* document = nullptr;
  std::vector<cpg::ScipOccurrenceSpan> spans;  // per occurrence
  // Definition occurrences by start: their span, symbol and the symbol's name.
  struct Definition {
    int64_t bstart = 0, bend = 0;
    const std::string* symbol = nullptr;
    std::string name;
  };
  std::vector<Definition> definitions;
  // Local symbols → the text of their first definition occurrence (at most 200 bytes).
  std::map<std::string, std::string> local_names;
  bool stale = false;  // the document embeds a text that differs from the file
  std::string hash;    // fingerprint of the document
};

class ScipEvidence {
 public:
  // Matches the index's documents to `scan`'s files (reading each matched file under `repo`
  // to convert positions). The index must outlive this object.
  ScipEvidence(const scip::ScipIndex& index, const std::string& repo, const RepoScan& scan,
               int threads);

  // The document of scan file i, or nullptr.
  const ScipFileDocument* ForFile(size_t i) const;

  // The symbol the node `key` of file `file` defines: the first definition occurrence inside
  // the node's span whose symbol is named like the node (a def's or class's own name comes
  // before anything it contains). nullptr when there is none.
  const std::string* DefinedSymbol(size_t file, const python::NodeKey& key) const;

  // A fingerprint of everything file i's SCIP rows are made from besides its own content:
  // its document, and the symbols its in-repo CALLS targets define (`calls`: its resolved
  // CALLS edges as (target file, target key)).
  std::string FileFingerprint(
      size_t i, const std::vector<std::pair<size_t, const python::NodeKey*>>& calls) const;

  // The repository-level part: global symbols, and documents not in the scan.
  const cpg::ScipSymbolTable& symbols() const { return symbols_; }
  // Documents left out: (relative path, why), by path.
  const std::vector<std::pair<std::string, std::string>>& unlisted_documents() const {
    return unlisted_;
  }
  std::string RepoFingerprint() const;

 private:
  std::vector<ScipFileDocument> files_;  // by scan index (document nullptr: none)
  cpg::ScipSymbolTable symbols_;
  std::vector<std::pair<std::string, std::string>> unlisted_;
  std::string symbols_hash_;
};

}  // namespace cpglake::pipeline
