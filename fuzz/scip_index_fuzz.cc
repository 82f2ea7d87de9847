// Fuzz entry point: arbitrary bytes as a SCIP index. When they parse, every occurrence range
// is also mapped to byte offsets over the document's embedded text (or over the fuzz input
// itself when there is none) in the document's position encoding, and every symbol string is
// parsed (scip/symbol.h) and named. Every failure must be a
// cpglake::Error; crashes, hangs, leaks and huge allocations are findings.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "scip/index.h"
#include "scip/positions.h"
#include "scip/symbol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // protobuf logs every string field that is not UTF-8; keep the fuzzer's output readable.
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const cpglake::scip::ScipIndex index = cpglake::scip::ParseScipIndex(bytes);
    for (const cpglake::scip::Document& doc : index.documents) {
      const cpglake::scip::TextPositions positions(doc.text.empty() ? bytes : doc.text);
      for (const cpglake::scip::Occurrence& occ : doc.occurrences) {
        const auto span = positions.ToByteSpan(occ.range, doc.position_encoding);
        if (span.start.offset > positions.LineEnd(positions.line_count() - 1)) __builtin_trap();
        if (span.end.offset > positions.LineEnd(positions.line_count() - 1)) __builtin_trap();
        if (auto parsed = cpglake::scip::ParseSymbol(occ.symbol)) {
          (void)parsed->Name();
          (void)parsed->QualifiedName();
        }
      }
    }
  } catch (const cpglake::Error&) {
  }
  return 0;
}
