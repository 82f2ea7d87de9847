#include "pipeline/scip_evidence.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/error.h"
#include "common/hash.h"
#include "common/parallel.h"
#include "scip/positions.h"
#include "scip/symbol.h"

namespace cpglake::pipeline {

namespace {

namespace fs = std::filesystem;

std::optional<std::string> ReadBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

void HashRange(const scip::Range& r, FieldHasher* h) {
  h->Num(r.start_line);
  h->Num(r.start_char);
  h->Num(r.end_line);
  h->Num(r.end_char);
}

void HashSymbolInfo(const scip::SymbolInfo& s, FieldHasher* h) {
  h->Tag('S');
  h->Str(s.symbol);
  h->Num(s.kind);
  h->Str(s.display_name);
  h->Num(static_cast<int64_t>(s.documentation.size()));
  for (const auto& d : s.documentation) h->Str(d);
  h->Str(s.signature);
  h->Str(s.signature_language);
  h->Str(s.enclosing_symbol);
  for (const auto& r : s.relationships) {
    h->Tag('R');
    h->Str(r.symbol);
    h->Num((r.is_reference ? 1 : 0) | (r.is_implementation ? 2 : 0) |
           (r.is_type_definition ? 4 : 0) | (r.is_definition ? 8 : 0));
  }
}

// Everything of a document its rows can depend on.
std::string DocumentHash(const scip::Document& d) {
  FieldHasher h;
  h.Str("cpglake-scip-document-v1");
  h.Str(d.relative_path);
  h.Str(d.language);
  h.Num(static_cast<int64_t>(d.position_encoding));
  h.Str(d.text);
  for (const auto& o : d.occurrences) {
    h.Tag('O');
    HashRange(o.range, &h);
    h.Str(o.symbol);
    h.Num(o.roles);
  }
  for (const auto& s : d.symbols) HashSymbolInfo(s, &h);
  return h.Hex();
}

}  // namespace

ScipEvidence::ScipEvidence(const scip::ScipIndex& index, const std::string& repo,
                           const RepoScan& scan, int threads) {
  files_.resize(scan.files.size());
  std::map<std::string, size_t> by_path;
  for (size_t i = 0; i < scan.files.size(); ++i) by_path.emplace(scan.files[i].path, i);
  std::vector<const scip::Document*> documents;
  for (const auto& d : index.documents) documents.push_back(&d);
  std::stable_sort(documents.begin(), documents.end(),
                   [](const scip::Document* a, const scip::Document* b) {
                     return a->relative_path < b->relative_path;
                   });
  std::vector<size_t> matched;
  for (const scip::Document* d : documents) {
    auto it = by_path.find(d->relative_path);
    if (it == by_path.end()) {
      unlisted_.emplace_back(d->relative_path,
                             "SCIP document " + d->relative_path + " names no file of the scan");
    } else if (files_[it->second].document != nullptr) {
      unlisted_.emplace_back(d->relative_path,
                             "SCIP document " + d->relative_path + " repeats an earlier document");
    } else {
      files_[it->second].document = d;
      matched.push_back(it->second);
    }
  }
  ParallelFor(matched.size(), threads, [&](size_t k) {
    ScipFileDocument& f = files_[matched[k]];
    const scip::Document& d = *f.document;
    f.hash = DocumentHash(d);
    const std::optional<std::string> text = ReadBytes(fs::path(repo) / scan.files[matched[k]].path);
    const std::string bytes = text.value_or("");
    f.stale = !d.text.empty() && d.text != bytes;
    const scip::TextPositions positions(bytes);
    f.spans.reserve(d.occurrences.size());
    for (const auto& o : d.occurrences) {
      const scip::ByteSpan s = positions.ToByteSpan(o.range, d.position_encoding);
      cpg::ScipOccurrenceSpan span;
      span.bstart = static_cast<int64_t>(s.start.offset);
      span.bend = static_cast<int64_t>(std::max(s.start.offset, s.end.offset));
      span.clamped = !s.start.exact() || !s.end.exact();
      f.spans.push_back(span);
      if (o.HasRole(scip::kRoleDefinition) && scip::IsLocalSymbol(o.symbol) &&
          span.bend > span.bstart && span.bend - span.bstart <= 200) {
        f.local_names.emplace(o.symbol, bytes.substr(static_cast<size_t>(span.bstart),
                                                     static_cast<size_t>(span.bend - span.bstart)));
      }
      if (o.HasRole(scip::kRoleDefinition) && !o.symbol.empty()) {
        ScipFileDocument::Definition def;
        def.bstart = span.bstart;
        def.bend = span.bend;
        def.symbol = &o.symbol;
        if (auto parsed = scip::ParseSymbol(o.symbol)) def.name = parsed->Name();
        f.definitions.push_back(std::move(def));
      }
    }
    std::stable_sort(f.definitions.begin(), f.definitions.end(),
                     [](const auto& a, const auto& b) { return a.bstart < b.bstart; });
  });
  symbols_ = cpg::MergeScipSymbols(documents, index.external_symbols);
  FieldHasher h;
  h.Str("cpglake-scip-repo-v1");
  h.Str(cpg::ScipSymbolsFingerprint(symbols_));
  for (const auto& [path, why] : unlisted_) {
    h.Str(path);
    h.Str(why);
  }
  symbols_hash_ = h.Hex();
}

const ScipFileDocument* ScipEvidence::ForFile(size_t i) const {
  return i < files_.size() && files_[i].document ? &files_[i] : nullptr;
}

const std::string* ScipEvidence::DefinedSymbol(size_t file, const python::NodeKey& key) const {
  const ScipFileDocument* f = ForFile(file);
  if (f == nullptr || f->stale || key.bstart < 0 || key.name.empty()) return nullptr;
  auto it = std::lower_bound(f->definitions.begin(), f->definitions.end(), key.bstart,
                             [](const auto& d, int64_t b) { return d.bstart < b; });
  for (; it != f->definitions.end() && it->bstart < key.bend; ++it) {
    if (it->bend <= key.bend && it->name == key.name) return it->symbol;
  }
  return nullptr;
}

std::string ScipEvidence::FileFingerprint(
    size_t i, const std::vector<std::pair<size_t, const python::NodeKey*>>& calls) const {
  FieldHasher h;
  h.Str("cpglake-scip-file-v1");
  const ScipFileDocument* f = ForFile(i);
  if (f == nullptr) {
    h.Tag('N');
    return h.Hex();
  }
  h.Str(f->hash);
  for (const auto& [file, key] : calls) {
    const std::string* symbol = DefinedSymbol(file, *key);
    h.Tag(symbol ? 'Y' : 'N');
    if (symbol) h.Str(*symbol);
  }
  return h.Hex();
}

std::string ScipEvidence::RepoFingerprint() const {
  return symbols_hash_;
}

}  // namespace cpglake::pipeline
