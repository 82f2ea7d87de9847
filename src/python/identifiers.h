// Python identifiers are NFKC-normalised by the parser (PEP 3131): `ﬁle` and `file` are the
// same name. The front end normalises every identifier it records as a name (bindings,
// references, definitions, attributes, imports), so its names agree with CPython's ast and
// symtable; spans still cover the bytes as written.
#pragma once

#include <string>
#include <string_view>

namespace cpglake::python {

// True when `name` may change under NFKC (it has a non-ASCII byte); ASCII names never do.
inline bool MayNeedNormalization(std::string_view name) {
  for (unsigned char c : name) {
    if (c >= 0x80) return true;
  }
  return false;
}

// NFKC of the UTF-8 `name` (ICU); invalid UTF-8 is returned unchanged.
std::string NormalizeIdentifier(std::string_view name);

}  // namespace cpglake::python
