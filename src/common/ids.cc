#include "common/ids.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "common/error.h"

#ifndef CPGLAKE_VERSION
#error "CPGLAKE_VERSION must be defined by the build"
#endif

namespace cpglake {

std::string RandomUuid() {
  uint8_t b[16];
  size_t got = 0;
  while (got < sizeof(b)) {
    ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError(std::string("getrandom failed: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(n);
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // variant 10
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return out;
}

std::string_view CpglakeVersion() {
  return CPGLAKE_VERSION;
}

}  // namespace cpglake
