// Files in another encoding than UTF-8 (a PEP 263 coding cookie: `# -*- coding: latin-1 -*-`):
// the front end parses their UTF-8 decoding, and every span is then mapped back to the raw
// bytes of the file (the model's coordinates), while columns stay counted in UTF-8 bytes of the
// decoded line, as CPython's ast counts them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "python/evidence.h"
#include "python/module_summary.h"

namespace cpglake::python {

struct DecodedSource {
  std::string text;                  // UTF-8
  std::vector<int64_t> raw_offset;   // text.size() + 1 entries: UTF-8 offset → raw offset
  std::vector<int64_t> utf8_offset;  // raw.size() + 1 entries: raw offset → UTF-8 offset
};

// True for the encodings the front end reads as they are: utf-8 (with or without a BOM).
bool IsUtf8Encoding(std::string_view encoding);

// Decodes `raw` from the Python codec `encoding` (the normalised name repo_scan gives, e.g.
// "latin-1", "cp1252", "shift_jis") with iconv. nullopt, with the reason in `error`, when
// iconv has no such codec or the bytes do not decode.
std::optional<DecodedSource> DecodeSource(std::string_view raw, std::string_view encoding,
                                          std::string* error);

// Maps the spans of evidence extracted from `decoded.text` to raw byte offsets, and its line
// index to the raw file (columns still in UTF-8 bytes).
void MapEvidenceToRaw(const DecodedSource& decoded, FileEvidence* ev);

// The same for the node keys of a module summary.
void MapSummaryToRaw(const DecodedSource& decoded, ModuleSummary* summary);

}  // namespace cpglake::python
