// Scalar text parsing and the JSON parser behind TextReader (text_reader_internal.h).
#include "columnar/text_reader_internal.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_set>
#include <utility>

#include "columnar/value_format.h"

namespace cpglake::columnar::text_internal {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

char ToLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

// A value quoted for an error message: at most 60 bytes (cut at a character boundary),
// JSON-escaped so control characters stay visible.
std::string Quoted(std::string_view s) {
  constexpr size_t kMax = 60;
  bool cut = false;
  if (s.size() > kMax) {
    size_t n = kMax;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s = s.substr(0, n);
    cut = true;
  }
  std::string out;
  AppendJsonString(s, &out);
  if (cut) out.insert(out.size() - 1, "...");
  return out;
}

// [+-]?[0-9]+ (conversion syntax: a leading '+' and leading zeros are fine).
NumStatus ParseInt64(std::string_view s, int64_t* out) {
  std::string_view digits = s;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  size_t start = !digits.empty() && digits[0] == '-' ? 1 : 0;
  if (digits.size() == start) return NumStatus::kSyntax;
  for (size_t i = start; i < digits.size(); ++i) {
    if (!IsDigit(digits[i])) return NumStatus::kSyntax;
  }
  if (digits.size() != s.size() && start == 1) return NumStatus::kSyntax;  // "+-1"
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *out);
  if (ec == std::errc::result_out_of_range) return NumStatus::kRange;
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return NumStatus::kSyntax;
  return NumStatus::kOk;
}

namespace {

// Length of a decimal-notation number at the start of `s` — [+-]?(d+(.d*)?|.d+)([eE][+-]?d+)?
// — or 0. `*int_digits` gets the digits before the point.
size_t ScanDecimalNumber(std::string_view s, std::string_view* int_digits, bool* has_point,
                         bool* has_exponent) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t int_begin = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  *int_digits = s.substr(int_begin, i - int_begin);
  size_t mantissa_digits = i - int_begin;
  *has_point = false;
  *has_exponent = false;
  if (i < s.size() && s[i] == '.') {
    *has_point = true;
    ++i;
    size_t frac_begin = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    mantissa_digits += i - frac_begin;
  }
  if (mantissa_digits == 0) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    size_t exp_begin = j;
    while (j < s.size() && IsDigit(s[j])) ++j;
    if (j == exp_begin) return 0;
    *has_exponent = true;
    i = j;
  }
  return i;
}

// Decimal exponent of the leading significant digit of a well-formed decimal number (for
// telling overflow from underflow when from_chars reports out of range).
int64_t LeadingExponent(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  int64_t e = 0;
  bool seen = false;
  while (i < s.size() && IsDigit(s[i])) {
    if (seen || s[i] != '0') {
      if (seen) ++e;
      seen = true;
    }
    ++i;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    int64_t zeros = 0;
    while (!seen && i < s.size() && IsDigit(s[i])) {
      if (s[i] != '0') {
        seen = true;
        e = -(zeros + 1);
      }
      ++zeros;
      ++i;
    }
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool neg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    int64_t x = 0;
    while (i < s.size() && IsDigit(s[i])) x = std::min<int64_t>(x * 10 + (s[i++] - '0'), 1 << 30);
    e += neg ? -x : x;
  }
  return e;
}

}  // namespace

// Decimal or exponent notation (a leading '+' allowed); with `allow_special`, also NaN, inf
// and infinity in any case, signed. Overflow is kRange; underflow gives (signed) zero.
NumStatus ParseDouble(std::string_view s, bool allow_special, double* out) {
  std::string_view body = s;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (allow_special) {
    if (EqualsIgnoreCase(body, "nan")) {
      *out = std::numeric_limits<double>::quiet_NaN();
      return NumStatus::kOk;
    }
    if (EqualsIgnoreCase(body, "inf") || EqualsIgnoreCase(body, "infinity")) {
      *out =
          neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
      return NumStatus::kOk;
    }
  }
  std::string_view int_digits;
  bool point, exponent;
  if (body.empty() || body[0] == '+' || body[0] == '-' ||
      ScanDecimalNumber(body, &int_digits, &point, &exponent) != body.size()) {
    return NumStatus::kSyntax;
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (ec == std::errc::result_out_of_range) {
    if (LeadingExponent(body) > 0) return NumStatus::kRange;
    v = 0;
  } else if (ec != std::errc() || ptr != body.data() + body.size()) {
    return NumStatus::kSyntax;
  }
  *out = neg ? -v : v;
  return NumStatus::kOk;
}

// [+-]?(d+(.d*)?|.d+)([eE][+-]?d+)? as the unscaled value of decimal(precision, scale);
// extra fractional digits round half away from zero. nullopt on bad syntax or overflow.
std::optional<__int128> ParseDecimal(std::string_view s, int precision, int scale) {
  std::string_view int_digits;
  bool point, exponent;
  if (s.empty() || ScanDecimalNumber(s, &int_digits, &point, &exponent) != s.size()) {
    return std::nullopt;
  }
  size_t i = 0;
  bool neg = false;
  if (s[i] == '+' || s[i] == '-') neg = s[i++] == '-';
  // Significant digits (leading zeros dropped) and the power of ten of the last one.
  std::string digits;
  int64_t exp10 = 0;
  for (; i < s.size() && IsDigit(s[i]); ++i) {
    if (!digits.empty() || s[i] != '0') digits.push_back(s[i]);
  }
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && IsDigit(s[i]); ++i) {
      if (!digits.empty() || s[i] != '0') digits.push_back(s[i]);
      --exp10;
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (s[i] == '+' || s[i] == '-') eneg = s[i++] == '-';
    int64_t x = 0;
    for (; i < s.size(); ++i) x = std::min<int64_t>(x * 10 + (s[i] - '0'), 1 << 30);
    exp10 += eneg ? -x : x;
  }
  if (digits.empty()) return __int128{0};
  // unscaled = digits * 10^(exp10 + scale)
  const int64_t shift = exp10 + scale;
  int64_t keep = static_cast<int64_t>(digits.size()) + std::min<int64_t>(shift, 0);
  if (keep + std::max<int64_t>(shift, 0) > precision) return std::nullopt;
  __int128 v = 0;
  for (int64_t k = 0; k < keep; ++k) v = v * 10 + (digits[k] - '0');
  for (int64_t k = 0; k < shift; ++k) v *= 10;
  if (keep >= 0 && keep < static_cast<int64_t>(digits.size()) && digits[keep] >= '5') ++v;
  __int128 limit = 1;
  for (int k = 0; k < precision; ++k) limit *= 10;
  if (v >= limit) return std::nullopt;
  return neg ? -v : v;
}

namespace {

bool ReadDigits(std::string_view s, size_t* i, int n, int* out) {
  if (*i + n > s.size()) return false;
  int v = 0;
  for (int k = 0; k < n; ++k) {
    char c = s[*i + k];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *i += n;
  *out = v;
  return true;
}

bool IsLeap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// YYYY-MM-DD at s[*i].
std::optional<int32_t> ParseDatePart(std::string_view s, size_t* i) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int y = 0, m = 0, d = 0;
  if (!ReadDigits(s, i, 4, &y) || *i >= s.size() || s[*i] != '-') return std::nullopt;
  ++*i;
  if (!ReadDigits(s, i, 2, &m) || *i >= s.size() || s[*i] != '-') return std::nullopt;
  ++*i;
  if (!ReadDigits(s, i, 2, &d)) return std::nullopt;
  if (m < 1 || m > 12 || d < 1 || d > (m == 2 && IsLeap(y) ? 29 : kDays[m - 1])) {
    return std::nullopt;
  }
  return static_cast<int32_t>(DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)));
}

}  // namespace

std::optional<int32_t> ParseDate(std::string_view s) {
  size_t i = 0;
  auto days = ParseDatePart(s, &i);
  if (!days || i != s.size()) return std::nullopt;
  return days;
}

// YYYY-MM-DD, or YYYY-MM-DD[Tt ]HH:MM[:SS[.fraction]] with an optional zone: [ ]Z, or
// [ ](+|-)HH[[:]MM]. Fraction digits past the sixth are dropped.
std::optional<TimestampText> ParseTimestamp(std::string_view s) {
  size_t i = 0;
  auto days = ParseDatePart(s, &i);
  if (!days) return std::nullopt;
  TimestampText t;
  t.micros = int64_t{*days} * 86400000000;
  if (i == s.size()) {
    t.date_only = true;
    return t;
  }
  if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return std::nullopt;
  ++i;
  int hh = 0, mm = 0, ss = 0;
  if (!ReadDigits(s, &i, 2, &hh) || hh > 23 || i >= s.size() || s[i] != ':') return std::nullopt;
  ++i;
  if (!ReadDigits(s, &i, 2, &mm) || mm > 59) return std::nullopt;
  int64_t frac = 0;
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!ReadDigits(s, &i, 2, &ss) || ss > 59) return std::nullopt;
    if (i < s.size() && s[i] == '.') {
      ++i;
      int n = 0;
      while (i < s.size() && IsDigit(s[i])) {
        if (n < 6) frac = frac * 10 + (s[i] - '0');
        ++n;
        ++i;
      }
      if (n == 0) return std::nullopt;
      for (; n < 6; ++n) frac *= 10;
    }
  }
  t.micros += ((hh * 60 + mm) * 60 + ss) * int64_t{1000000} + frac;
  if (i == s.size()) return t;
  if (s[i] == ' ' && i + 1 < s.size()) ++i;
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    const bool neg = s[i] == '-';
    ++i;
    int oh = 0, om = 0;
    if (!ReadDigits(s, &i, 2, &oh) || oh > 23) return std::nullopt;
    const bool colon = i < s.size() && s[i] == ':';
    if (colon) ++i;
    if ((colon || i < s.size()) && (!ReadDigits(s, &i, 2, &om) || om > 59)) return std::nullopt;
    const int64_t offset = (oh * 60 + om) * int64_t{60000000};
    t.micros -= neg ? -offset : offset;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  t.has_zone = true;
  return t;
}

namespace {

bool IsTemporal(CellKind k) {
  return k == CellKind::kDate || k == CellKind::kTsNtz || k == CellKind::kTs;
}

}  // namespace

CellKind Join(CellKind a, CellKind b) {
  if (a == b || b == CellKind::kNone) return a;
  if (a == CellKind::kNone) return b;
  if ((a == CellKind::kLong || a == CellKind::kDouble) &&
      (b == CellKind::kLong || b == CellKind::kDouble)) {
    return CellKind::kDouble;
  }
  if (IsTemporal(a) && IsTemporal(b)) return std::max(a, b);
  return CellKind::kString;
}

TypePtr TypeOfKind(CellKind k) {
  switch (k) {
    case CellKind::kBool:
      return DataType::Boolean();
    case CellKind::kLong:
      return DataType::Int64();
    case CellKind::kDouble:
      return DataType::Float64();
    case CellKind::kDate:
      return DataType::Date();
    case CellKind::kTsNtz:
      return DataType::TimestampNtz();
    case CellKind::kTs:
      return DataType::Timestamp();
    default:
      return DataType::String();
  }
}

// The narrowest kind of a (non-null) CSV cell; see the table in text_reader.h.
CellKind ClassifyCell(std::string_view s) {
  if (s.empty()) return CellKind::kString;
  const char c = s[0];
  if (c == 't' || c == 'T' || c == 'f' || c == 'F') {
    return EqualsIgnoreCase(s, "true") || EqualsIgnoreCase(s, "false") ? CellKind::kBool
                                                                       : CellKind::kString;
  }
  if (!IsDigit(c) && c != '-' && c != '.') return CellKind::kString;
  std::string_view int_digits;
  bool point, exponent;
  if (ScanDecimalNumber(s, &int_digits, &point, &exponent) == s.size()) {
    // Leading zeros ("007") and a '+' sign keep the text as it is (DuckDB does the same).
    if (c == '+' || (int_digits.size() > 1 && int_digits[0] == '0')) return CellKind::kString;
    if (!point && !exponent) {
      int64_t v;
      NumStatus st = ParseInt64(s, &v);
      if (st == NumStatus::kOk) return CellKind::kLong;
    }
    double d;
    return ParseDouble(s, false, &d) == NumStatus::kOk ? CellKind::kDouble : CellKind::kString;
  }
  if (s.size() >= 10 && IsDigit(c)) {
    auto t = ParseTimestamp(s);
    if (t) return t->date_only ? CellKind::kDate : t->has_zone ? CellKind::kTs : CellKind::kTsNtz;
  }
  return CellKind::kString;
}

const char* JTypeName(JType t) {
  switch (t) {
    case JType::kNull:
      return "null";
    case JType::kFalse:
    case JType::kTrue:
      return "a boolean";
    case JType::kNumber:
      return "a number";
    case JType::kString:
      return "a string";
    case JType::kArray:
      return "an array";
    case JType::kObject:
      return "an object";
  }
  return "?";
}

namespace {

// Recursive descent over one JSON text into a JsonDoc's nodes and arena.
class JsonParser {
 public:
  using Node = JsonDoc::Node;
  struct SyntaxError {
    size_t offset;
    std::string message;
  };

  JsonParser(std::string_view text, std::vector<Node>* nodes, std::string* arena)
      : text_(text), nodes_(*nodes), arena_(*arena) {}

  // Throws SyntaxError.
  void Run() {
    ParseValue(0);
    SkipWs();
    if (pos_ != text_.size()) Fail("unexpected text after the JSON value");
  }

 private:
  [[noreturn]] void Fail(std::string message) const { throw SyntaxError{pos_, std::move(message)}; }

  void SkipWs() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  uint32_t NewNode(JType t) {
    nodes_.push_back(Node{t});
    nodes_.back().begin = static_cast<uint32_t>(pos_);
    return static_cast<uint32_t>(nodes_.size() - 1);
  }

  uint32_t ParseValue(int depth) {
    SkipWs();
    if (pos_ >= text_.size()) Fail("unexpected end of the line");
    const char c = text_[pos_];
    uint32_t n;
    switch (c) {
      case '{':
      case '[':
        if (depth >= JsonDoc::kMaxDepth) Fail("nested deeper than 64 levels");
        n = c == '{' ? ParseObject(depth) : ParseArray(depth);
        break;
      case '"': {
        n = NewNode(JType::kString);
        uint32_t at, len;
        ParseString(&at, &len);
        nodes_[n].str = at;
        nodes_[n].str_len = len;
        break;
      }
      case 't':
        n = ParseLiteral("true", JType::kTrue);
        break;
      case 'f':
        n = ParseLiteral("false", JType::kFalse);
        break;
      case 'n':
        n = ParseLiteral("null", JType::kNull);
        break;
      default:
        if (c == '-' || IsDigit(c)) {
          n = ParseNumber();
        } else {
          Fail(std::string("unexpected character ") + Quoted(text_.substr(pos_, 1)));
        }
    }
    nodes_[n].end = static_cast<uint32_t>(pos_);
    return n;
  }

  uint32_t ParseLiteral(std::string_view word, JType t) {
    if (text_.substr(pos_, word.size()) != word) Fail("invalid literal");
    uint32_t n = NewNode(t);
    pos_ += word.size();
    return n;
  }

  uint32_t ParseNumber() {
    uint32_t n = NewNode(JType::kNumber);
    const size_t size = text_.size();
    if (text_[pos_] == '-') ++pos_;
    if (pos_ >= size || !IsDigit(text_[pos_])) Fail("invalid number");
    if (text_[pos_] == '0') {
      ++pos_;
    } else {
      while (pos_ < size && IsDigit(text_[pos_])) ++pos_;
    }
    bool integer = true;
    if (pos_ < size && text_[pos_] == '.') {
      integer = false;
      ++pos_;
      if (pos_ >= size || !IsDigit(text_[pos_])) Fail("invalid number");
      while (pos_ < size && IsDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < size && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integer = false;
      ++pos_;
      if (pos_ < size && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ >= size || !IsDigit(text_[pos_])) Fail("invalid number");
      while (pos_ < size && IsDigit(text_[pos_])) ++pos_;
    }
    nodes_[n].integer = integer;
    return n;
  }

  static int HexValue(char c) {
    if (IsDigit(c)) return c - '0';
    c = ToLower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  }

  uint32_t ReadHex4() {
    if (pos_ + 4 > text_.size()) Fail("truncated \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      int h = HexValue(text_[pos_ + k]);
      if (h < 0) Fail("invalid \\u escape");
      v = v * 16 + static_cast<uint32_t>(h);
    }
    pos_ += 4;
    return v;
  }

  // At the opening quote; decodes into the arena.
  void ParseString(uint32_t* at, uint32_t* len) {
    ++pos_;
    *at = static_cast<uint32_t>(arena_.size());
    const size_t size = text_.size();
    for (;;) {
      size_t run = pos_;
      while (run < size) {
        const auto c = static_cast<unsigned char>(text_[run]);
        if (c == '"' || c == '\\' || c < 0x20) break;
        ++run;
      }
      if (run > pos_) {
        std::string_view chunk = text_.substr(pos_, run - pos_);
        if (!IsValidUtf8(chunk)) Fail("invalid UTF-8 in a string");
        arena_.append(chunk);
        pos_ = run;
      }
      if (pos_ >= size) Fail("unterminated string");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c != '\\') Fail("control character in a string (escape it)");
      if (++pos_ >= size) Fail("unterminated string");
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          arena_.push_back(e);
          break;
        case 'b':
          arena_.push_back('\b');
          break;
        case 'f':
          arena_.push_back('\f');
          break;
        case 'n':
          arena_.push_back('\n');
          break;
        case 'r':
          arena_.push_back('\r');
          break;
        case 't':
          arena_.push_back('\t');
          break;
        case 'u': {
          uint32_t cp = ReadHex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) Fail("unpaired UTF-16 surrogate in \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (text_.substr(pos_, 2) != "\\u") Fail("unpaired UTF-16 surrogate in \\u escape");
            pos_ += 2;
            uint32_t lo = ReadHex4();
            if (lo < 0xDC00 || lo > 0xDFFF) Fail("unpaired UTF-16 surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          AppendUtf8(cp, &arena_);
          break;
        }
        default:
          --pos_;
          Fail("invalid escape in a string");
      }
    }
    *len = static_cast<uint32_t>(arena_.size() - *at);
  }

  uint32_t ParseArray(int depth) {
    uint32_t n = NewNode(JType::kArray);
    ++pos_;
    SkipWs();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return n;
    }
    uint32_t last = 0;
    for (;;) {
      uint32_t child = ParseValue(depth + 1);
      Link(n, &last, child);
      SkipWs();
      if (pos_ >= text_.size()) Fail("unterminated array");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] != ']') Fail("expected ',' or ']'");
      ++pos_;
      return n;
    }
  }

  uint32_t ParseObject(int depth) {
    uint32_t n = NewNode(JType::kObject);
    ++pos_;
    SkipWs();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return n;
    }
    uint32_t last = 0;
    for (;;) {
      SkipWs();
      if (pos_ >= text_.size() || text_[pos_] != '"') Fail("expected a string key");
      uint32_t key_at, key_len;
      ParseString(&key_at, &key_len);
      SkipWs();
      if (pos_ >= text_.size() || text_[pos_] != ':') Fail("expected ':'");
      ++pos_;
      uint32_t child = ParseValue(depth + 1);
      nodes_[child].key = key_at;
      nodes_[child].key_len = key_len;
      Link(n, &last, child);
      SkipWs();
      if (pos_ >= text_.size()) Fail("unterminated object");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] != '}') Fail("expected ',' or '}'");
      CheckDuplicateKeys(n);
      ++pos_;
      return n;
    }
  }

  void Link(uint32_t parent, uint32_t* last, uint32_t child) {
    if (*last == 0) {
      nodes_[parent].first = child;
    } else {
      nodes_[*last].next = child;
    }
    *last = child;
    ++nodes_[parent].count;
  }

  void CheckDuplicateKeys(uint32_t object) {
    const Node& o = nodes_[object];
    if (o.count < 2) return;
    if (o.count <= 8) {
      for (uint32_t a = o.first; a != 0; a = nodes_[a].next) {
        for (uint32_t b = nodes_[a].next; b != 0; b = nodes_[b].next) {
          if (key(nodes_[a]) == key(nodes_[b])) Fail("duplicate key " + Quoted(key(nodes_[a])));
        }
      }
      return;
    }
    std::unordered_set<std::string_view> seen;
    for (uint32_t a = o.first; a != 0; a = nodes_[a].next) {
      if (!seen.insert(key(nodes_[a])).second) Fail("duplicate key " + Quoted(key(nodes_[a])));
    }
  }

  std::string_view key(const Node& n) const {
    return std::string_view(arena_).substr(n.key, n.key_len);
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::vector<Node>& nodes_;
  std::string& arena_;
};

}  // namespace

bool JsonDoc::Parse(std::string_view text) {
  text_ = text;
  nodes_.clear();
  arena_.clear();
  try {
    JsonParser(text, &nodes_, &arena_).Run();
  } catch (const JsonParser::SyntaxError& e) {
    error_ = e.message;
    error_column_ = e.offset + 1;
    return false;
  }
  return true;
}

}  // namespace cpglake::columnar::text_internal
