#include "sql/value.h"

#include <cstdio>
#include <cstdlib>

namespace cpglake::sql {

std::string FormatValue(const Value& v) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "NULL"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const {
      char buf[40];
      for (int digits = 1; digits <= 17; ++digits) {
        std::snprintf(buf, sizeof(buf), "%.*g", digits, d);
        if (std::strtod(buf, nullptr) == d) break;
      }
      return buf;
    }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const Blob& b) const {
      static const char* kHex = "0123456789abcdef";
      std::string out = "x'";
      for (unsigned char c : b.bytes) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
      return out + "'";
    }
  };
  return std::visit(Visitor{}, v);
}

}  // namespace cpglake::sql
