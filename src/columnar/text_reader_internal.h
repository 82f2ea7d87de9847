// Internals of TextReader (text_reader.h), shared with its tests: the scalar text grammars
// (the tables at the top of text_reader.h) and a strict JSON parser for one line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "columnar/types.h"
#include "common/utf8.h"

namespace cpglake::columnar::text_internal {

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Well-formed UTF-8: no overlong forms, surrogates or code points past U+10FFFF.
using ::cpglake::IsValidUtf8;  // common/utf8.h
// A value quoted for an error message: at most 60 bytes (cut at a character boundary),
// JSON-escaped so control characters stay visible.
std::string Quoted(std::string_view s);

// ---- Scalars (conversion syntax, see text_reader.h) ------------------------------------

enum class NumStatus { kOk, kSyntax, kRange };

// [+-]?[0-9]+ (a leading '+' and leading zeros are fine).
NumStatus ParseInt64(std::string_view s, int64_t* out);
// Decimal or exponent notation (a leading '+' allowed); with `allow_special`, also NaN, inf
// and infinity in any case, signed. Overflow is kRange; underflow gives (signed) zero.
NumStatus ParseDouble(std::string_view s, bool allow_special, double* out);
// [+-]?(d+(.d*)?|.d+)([eE][+-]?d+)? as the unscaled value of decimal(precision, scale);
// extra fractional digits round half away from zero. nullopt on bad syntax or overflow.
std::optional<__int128> ParseDecimal(std::string_view s, int precision, int scale);
// YYYY-MM-DD as days since 1970-01-01.
std::optional<int32_t> ParseDate(std::string_view s);

struct TimestampText {
  int64_t micros = 0;  // UTC when has_zone, else wall clock
  bool has_zone = false;
  bool date_only = false;
};
// YYYY-MM-DD, or YYYY-MM-DD[Tt ]HH:MM[:SS[.fraction]] with an optional zone: [ ]Z|z, or
// [ ](+|-)HH[[:]MM]. Fraction digits past the sixth are dropped.
std::optional<TimestampText> ParseTimestamp(std::string_view s);

// ---- CSV type inference -----------------------------------------------------------------

// Inferred kinds of CSV cells, joined per column. Numbers and temporals form chains
// (long < double; date < timestamp_ntz < timestamp); string is the top.
enum class CellKind : uint8_t { kNone, kBool, kLong, kDouble, kDate, kTsNtz, kTs, kString };

CellKind Join(CellKind a, CellKind b);
TypePtr TypeOfKind(CellKind k);
// The narrowest kind of a (non-null) CSV cell.
CellKind ClassifyCell(std::string_view s);

// ---- JSON ---------------------------------------------------------------------------------

enum class JType : uint8_t { kNull, kFalse, kTrue, kNumber, kString, kArray, kObject };
// "null", "a boolean", "a number", ... for messages.
const char* JTypeName(JType t);

// One JSON text parsed into a flat node array (the root is node 0; 0 also means "none" in
// the links). Strings and keys are decoded into one arena. Strict RFC 8259: UTF-8 checked,
// no control characters in strings, no lone surrogates, duplicate keys rejected, nesting at
// most kMaxDepth deep. Reusable: each Parse() replaces the previous document.
class JsonDoc {
 public:
  static constexpr int kMaxDepth = 64;

  struct Node {
    JType type;
    bool integer = false;                     // a number without fraction or exponent
    uint32_t begin = 0, end = 0;              // raw text
    uint32_t str = 0, str_len = 0;            // decoded string value
    uint32_t key = 0, key_len = 0;            // member name when the parent is an object
    uint32_t first = 0, next = 0, count = 0;  // children
  };

  // Parses `text` (which must outlive the accessors; at most 4 GiB). False with error() and
  // error_column() (1-based byte offset) set on failure.
  bool Parse(std::string_view text);
  const std::string& error() const { return error_; }
  size_t error_column() const { return error_column_; }

  const Node& node(uint32_t i) const { return nodes_[i]; }
  std::string_view raw(const Node& n) const { return text_.substr(n.begin, n.end - n.begin); }
  std::string_view str(const Node& n) const {
    return std::string_view(arena_).substr(n.str, n.str_len);
  }
  std::string_view key(const Node& n) const {
    return std::string_view(arena_).substr(n.key, n.key_len);
  }

 private:
  std::string_view text_;
  std::vector<Node> nodes_;
  std::string arena_;
  std::string error_;
  size_t error_column_ = 0;
};

}  // namespace cpglake::columnar::text_internal
