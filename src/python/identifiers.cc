#include "python/identifiers.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>

namespace cpglake::python {

std::string NormalizeIdentifier(std::string_view name) {
  if (!MayNeedNormalization(name)) return std::string(name);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status) || nfkc == nullptr) return std::string(name);
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  nfkc->normalizeUTF8(0, icu::StringPiece(name.data(), static_cast<int32_t>(name.size())), sink,
                      nullptr, status);
  if (U_FAILURE(status)) return std::string(name);
  return out;
}

}  // namespace cpglake::python
