#include "parquet/statistics.h"

#include <vector>

namespace cpglake::parquet {

namespace {

size_t CodePointStart(std::string_view v, size_t pos) {
  while (pos > 0 && pos < v.size() && (static_cast<unsigned char>(v[pos]) & 0xc0) == 0x80) --pos;
  return pos;
}

// Decodes the code point starting at v[i]; returns its length (1 for invalid bytes).
size_t DecodeUtf8(std::string_view v, size_t i, uint32_t* cp) {
  unsigned char c = v[i];
  size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (i + len > v.size()) len = 1;
  if (len == 1) {
    *cp = c;
    return 1;
  }
  uint32_t x = c & (0xff >> (len + 1));
  for (size_t k = 1; k < len; ++k) x = (x << 6) | (static_cast<unsigned char>(v[i + k]) & 0x3f);
  *cp = x;
  return len;
}

void EncodeUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

}  // namespace

std::string TruncateMin(std::string_view v, size_t max_len, bool utf8) {
  if (v.size() <= max_len) return std::string(v);
  size_t cut = utf8 ? CodePointStart(v, max_len) : max_len;
  return std::string(v.substr(0, cut));
}

std::optional<std::string> TruncateMax(std::string_view v, size_t max_len, bool utf8) {
  if (v.size() <= max_len) return std::string(v);
  if (!utf8) {
    std::string s(v.substr(0, max_len));
    while (!s.empty()) {
      unsigned char last = s.back();
      if (last != 0xff) {
        s.back() = static_cast<char>(last + 1);
        return s;
      }
      s.pop_back();
    }
    return std::nullopt;
  }
  // Split the kept prefix into code points and increment the last one that can be.
  size_t cut = CodePointStart(v, max_len);
  std::string_view prefix = v.substr(0, cut);
  std::vector<std::pair<size_t, uint32_t>> cps;  // (byte offset, code point)
  for (size_t i = 0; i < prefix.size();) {
    uint32_t cp;
    size_t len = DecodeUtf8(prefix, i, &cp);
    cps.emplace_back(i, cp);
    i += len;
  }
  while (!cps.empty()) {
    auto [off, cp] = cps.back();
    cps.pop_back();
    uint32_t next = cp + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) {
      std::string s(prefix.substr(0, off));
      EncodeUtf8(next, &s);
      return s;
    }
  }
  return std::nullopt;
}

}  // namespace cpglake::parquet
