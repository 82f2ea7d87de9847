// sql::Value — one SQLite value as the query API hands it out: NULL, INTEGER (int64), REAL
// (double), TEXT (UTF-8 std::string) or BLOB (bytes). These are SQLite's five storage
// classes; how Delta types map onto them is in type_mapping.h.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace cpglake::sql {

struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};

using Value = std::variant<std::monostate, int64_t, double, std::string, Blob>;

inline bool IsNull(const Value& v) {
  return std::holds_alternative<std::monostate>(v);
}

// Text for tests and tables: NULL, integers in decimal, reals with up to 17 significant
// digits (shortest round trip), text as is, blobs as x'hex'.
std::string FormatValue(const Value& v);

}  // namespace cpglake::sql
