// Fuzz entry point: arbitrary bytes as an extraction-cache blob (python/summary_codec.h), the
// first byte choosing the evidence or the summary decoder (and whether to append a valid
// checksum). Decoding either throws
// InvalidInput or gives a value that re-encodes to a blob decoding to the same value again,
// and, for evidence, whose rows can be made (cpg::RowsForFile) without a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/error.h"
#include "cpg/graph.h"
#include "python/summary_codec.h"

namespace {

using namespace cpglake;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Bit 1 of the first byte: seal the input with a valid checksum, so that the decoders'
  // parsing is reached (an unsealed input almost always fails the checksum).
  std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 2) input = python::SealBlob(std::move(input));
  const std::string_view bytes(input);
  try {
    if (data[0] & 1) {
      const python::FileEvidence ev = python::DecodeEvidence(bytes);
      const std::string again = python::EncodeEvidence(ev);
      Check(python::EncodeEvidence(python::DecodeEvidence(again)) == again);
      try {
        cpg::FileContext ctx;
        ctx.repo_id = cpg::StableId("PY_REPO", {"fuzz"});
        ctx.file_id = cpg::FileId(ctx.repo_id, "f.py");
        ctx.path = "f.py";
        ctx.module_name = "f";
        cpg::RowsForFile(ctx, ev);
      } catch (const Error&) {
        // Rows may reject what the codec cannot know; only a crash is a finding.
      }
    } else {
      const python::ModuleSummary s = python::DecodeSummary(bytes);
      const std::string again = python::EncodeSummary(s);
      Check(python::EncodeSummary(python::DecodeSummary(again)) == again);
    }
  } catch (const InvalidInput&) {
  }
  return 0;
}
