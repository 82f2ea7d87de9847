#include "delta/stats.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "columnar/value_format.h"
#include "common/error.h"

namespace cpglake::delta {

using columnar::DataType;
using columnar::TypeId;
using columnar::Value;

std::optional<int64_t> NumRecordsFromStats(const std::optional<std::string>& stats) {
  if (!stats) return std::nullopt;
  const std::string& s = *stats;
  size_t p = s.find("\"numRecords\"");
  if (p == std::string::npos) return std::nullopt;
  p = s.find(':', p);
  if (p == std::string::npos) return std::nullopt;
  ++p;
  while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) ++p;
  int64_t v = 0;
  auto r = std::from_chars(s.data() + p, s.data() + s.size(), v);
  if (r.ec != std::errc() || v < 0) return std::nullopt;
  return v;
}

namespace {

constexpr __int128 kMaxInt128 = static_cast<__int128>(~static_cast<unsigned __int128>(0) >> 1);

// Days since the epoch from "YYYY-MM-DD".
std::optional<int32_t> ParseDate(std::string_view s) {
  int y = 0, m = 0, d = 0;
  bool neg = !s.empty() && s[0] == '-';
  if (neg || (!s.empty() && s[0] == '+')) s.remove_prefix(1);  // years outside 0000..9999
  auto r1 = std::from_chars(s.data(), s.data() + s.size(), y);
  if (r1.ec != std::errc() || r1.ptr == s.data() + s.size() || *r1.ptr != '-') return std::nullopt;
  auto r2 = std::from_chars(r1.ptr + 1, s.data() + s.size(), m);
  if (r2.ec != std::errc() || r2.ptr == s.data() + s.size() || *r2.ptr != '-') return std::nullopt;
  auto r3 = std::from_chars(r2.ptr + 1, s.data() + s.size(), d);
  if (r3.ec != std::errc() || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  if (r3.ptr != s.data() + s.size()) return std::nullopt;
  return static_cast<int32_t>(columnar::DaysFromCivil(neg ? -y : y, m, d));
}

// Microseconds from "YYYY-MM-DD[ T]HH:MM:SS[.ffffff][Z|+HH:MM|-HH:MM]" (UTC unless offset).
std::optional<int64_t> ParseTimestampMicros(std::string_view s) {
  // The date ends at the 'T' or ' ' (years may have a sign and more than four digits).
  size_t date_end = s.find_first_of("T ");
  if (date_end == std::string_view::npos) date_end = s.size();
  if (date_end < 10) return std::nullopt;
  auto day = ParseDate(s.substr(0, date_end));
  if (!day) return std::nullopt;
  int64_t micros = static_cast<int64_t>(*day) * 86400000000LL;
  std::string_view rest = s.substr(date_end);
  if (rest.empty()) return micros;
  if (rest[0] != 'T' && rest[0] != ' ') return std::nullopt;
  rest.remove_prefix(1);
  if (rest.size() < 8 || rest[2] != ':' || rest[5] != ':') return std::nullopt;
  auto num = [](std::string_view t) -> int {
    int v = 0;
    auto r = std::from_chars(t.data(), t.data() + t.size(), v);
    return (r.ec == std::errc() && r.ptr == t.data() + t.size()) ? v : -1;
  };
  int h = num(rest.substr(0, 2)), mi = num(rest.substr(3, 2)), se = num(rest.substr(6, 2));
  if (h < 0 || mi < 0 || se < 0 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  micros += (h * 3600LL + mi * 60LL + se) * 1000000LL;
  rest.remove_prefix(8);
  if (!rest.empty() && rest[0] == '.') {
    rest.remove_prefix(1);
    int64_t frac = 0;
    int digits = 0;
    while (!rest.empty() && rest[0] >= '0' && rest[0] <= '9') {
      if (digits < 6) {
        frac = frac * 10 + (rest[0] - '0');
        ++digits;
      }
      rest.remove_prefix(1);
    }
    while (digits < 6) {
      frac *= 10;
      ++digits;
    }
    micros += frac;
  }
  if (!rest.empty() && rest[0] == 'Z') rest.remove_prefix(1);
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-') && rest.size() >= 6) {
    int oh = num(rest.substr(1, 2)), om = num(rest.substr(4, 2));
    if (oh < 0 || om < 0) return std::nullopt;
    int64_t off = (oh * 3600LL + om * 60LL) * 1000000LL;
    micros -= rest[0] == '+' ? off : -off;
    rest.remove_prefix(6);
  }
  if (!rest.empty()) return std::nullopt;
  return micros;
}

std::optional<__int128> ParseDecimalText(std::string_view s, int scale);

// "1.5E-3" → "0.0015": Jackson writes Spark's decimal stats with BigDecimal.toString, which
// uses an exponent for small values. nullopt when malformed or the exponent is huge.
std::optional<std::string> ExpandExponent(std::string_view s) {
  size_t e = s.find_first_of("eE");
  int exp10 = 0;
  std::string_view es = s.substr(e + 1);
  if (!es.empty() && es[0] == '+') es.remove_prefix(1);
  auto r = std::from_chars(es.data(), es.data() + es.size(), exp10);
  if (es.empty() || r.ec != std::errc() || r.ptr != es.data() + es.size() || exp10 > 100 ||
      exp10 < -100) {
    return std::nullopt;
  }
  std::string_view m = s.substr(0, e);
  std::string sign;
  if (!m.empty() && (m[0] == '-' || m[0] == '+')) {
    sign = std::string(1, m[0]);
    m.remove_prefix(1);
  }
  size_t dot = m.find('.');
  std::string digits(m.substr(0, dot));
  int point = static_cast<int>(digits.size());  // digits before the decimal point
  if (dot != std::string_view::npos) digits += std::string(m.substr(dot + 1));
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  point += exp10;
  if (point <= 0) return sign + "0." + std::string(static_cast<size_t>(-point), '0') + digits;
  if (point >= static_cast<int>(digits.size())) {
    return sign + digits + std::string(static_cast<size_t>(point) - digits.size(), '0');
  }
  return sign + digits.substr(0, static_cast<size_t>(point)) + "." +
         digits.substr(static_cast<size_t>(point));
}

std::optional<__int128> ParseDecimalText(std::string_view s, int scale) {
  if (s.find_first_of("eE") != std::string_view::npos) {
    auto plain = ExpandExponent(s);
    if (!plain) return std::nullopt;
    return ParseDecimalText(*plain, scale);
  }
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  __int128 v = 0;
  int frac = -1;
  bool any = false;
  for (char c : s) {
    if (c == '.') {
      if (frac >= 0) return std::nullopt;
      frac = 0;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    if (frac >= 0) {
      if (frac == scale) continue;  // extra digits: truncate (bounds stay usable as maybe)
      ++frac;
    }
    if (v > (kMaxInt128 - (c - '0')) / 10) return std::nullopt;
    v = v * 10 + (c - '0');
    any = true;
  }
  if (!any) return std::nullopt;
  for (int f = std::max(frac, 0); f < scale; ++f) {
    if (v > kMaxInt128 / 10) return std::nullopt;
    v *= 10;
  }
  return neg ? -v : v;
}

// A JSON DOM in which every non-integer number is kept as its source text (a binary value
// holding the characters), so decimals with more digits than a double holds parse exactly.
class RawFloatDom : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit RawFloatDom(nlohmann::json* root) : root_(root) {}
  bool null() override { return Add(nullptr); }
  bool boolean(bool v) override { return Add(v); }
  bool number_integer(number_integer_t v) override { return Add(v); }
  bool number_unsigned(number_unsigned_t v) override { return Add(v); }
  bool number_float(number_float_t, const string_t& s) override {
    return Add(nlohmann::json::binary(std::vector<uint8_t>(s.begin(), s.end())));
  }
  bool string(string_t& v) override { return Add(v); }
  bool binary(binary_t& v) override { return Add(nlohmann::json::binary(v)); }
  bool start_object(std::size_t) override { return Open(nlohmann::json::object()); }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(nlohmann::json::array()); }
  bool end_array() override { return Close(); }
  bool key(string_t& k) override {
    key_ = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  nlohmann::json* Place(nlohmann::json v) {
    if (stack_.empty()) {
      *root_ = std::move(v);
      return root_;
    }
    nlohmann::json& top = *stack_.back();
    if (top.is_object()) {
      nlohmann::json& slot = top[key_];
      slot = std::move(v);
      return &slot;
    }
    top.push_back(std::move(v));
    return &top.back();
  }
  bool Add(nlohmann::json v) {
    Place(std::move(v));
    return true;
  }
  bool Open(nlohmann::json v) {
    stack_.push_back(Place(std::move(v)));
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }

  nlohmann::json* root_;
  std::vector<nlohmann::json*> stack_;  // open containers (closed before a sibling is added)
  std::string key_;
};

// The source text of a number stored by RawFloatDom (or of an integer).
std::optional<std::string> NumberText(const nlohmann::json& j) {
  if (j.is_binary()) {
    const auto& b = j.get_binary();
    return std::string(b.begin(), b.end());
  }
  if (j.is_number_integer()) return j.dump();
  return std::nullopt;
}

std::optional<Value> JsonToValue(const nlohmann::json& j, const columnar::TypePtr& type) {
  try {
    switch (type->id()) {
      case TypeId::kBoolean:
        if (j.is_boolean()) return Value::Boolean(j.get<bool>());
        return std::nullopt;
      case TypeId::kInt8:
      case TypeId::kInt16:
      case TypeId::kInt32:
      case TypeId::kInt64:
        if (j.is_number_integer()) return Value::Integer(type, j.get<int64_t>());
        return std::nullopt;
      case TypeId::kFloat32:
      case TypeId::kFloat64: {
        double d;
        if (auto text = NumberText(j)) {
          char* end = nullptr;
          d = std::strtod(text->c_str(), &end);
          if (end != text->c_str() + text->size()) return std::nullopt;
        } else if (j.is_number()) {
          d = j.get<double>();
        } else if (j.is_string()) {
          auto s = j.get<std::string>();
          if (s == "NaN")
            d = std::nan("");
          else if (s == "Infinity")
            d = INFINITY;
          else if (s == "-Infinity")
            d = -INFINITY;
          else
            return std::nullopt;
        } else {
          return std::nullopt;
        }
        return type->id() == TypeId::kFloat32 ? Value::Float32(static_cast<float>(d))
                                              : Value::Float64(d);
      }
      case TypeId::kDecimal: {
        auto raw = NumberText(j);
        if (!raw && !j.is_string()) return std::nullopt;
        std::string text = raw ? *raw : j.get<std::string>();
        auto v = ParseDecimalText(text, type->scale());
        if (!v) return std::nullopt;
        return Value::Decimal(*v, type->precision(), type->scale());
      }
      case TypeId::kString:
        if (j.is_string()) return Value::String(j.get<std::string>());
        return std::nullopt;
      case TypeId::kDate: {
        if (!j.is_string()) return std::nullopt;
        auto d = ParseDate(j.get<std::string>());
        if (!d) return std::nullopt;
        return Value::Date(*d);
      }
      case TypeId::kTimestamp:
      case TypeId::kTimestampNtz: {
        if (!j.is_string()) return std::nullopt;
        auto t = ParseTimestampMicros(j.get<std::string>());
        if (!t) return std::nullopt;
        return Value::Integer(type, *t);
      }
      default:
        return std::nullopt;
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void Walk(const nlohmann::json& obj, const std::vector<columnar::Field>& fields,
          const std::string& prefix, int kind, FileStatistics* out) {
  if (!obj.is_object()) return;
  for (const auto& f : fields) {
    auto it = obj.find(f.name);
    if (it == obj.end()) continue;
    std::string path = prefix.empty() ? f.name : prefix + "." + f.name;
    if (f.type->id() == TypeId::kStruct) {
      Walk(*it, f.type->fields(), path, kind, out);
      continue;
    }
    auto& cs = out->columns[path];
    if (kind == 2) {
      if (it->is_number_integer()) cs.null_count = it->get<int64_t>();
      continue;
    }
    auto v = JsonToValue(*it, f.type);
    if (!v) continue;
    (kind == 0 ? cs.min : cs.max) = std::move(v);
  }
}

}  // namespace

std::optional<FileStatistics> ParseFileStatistics(const std::optional<std::string>& stats,
                                                  const columnar::Schema& stats_schema) {
  if (!stats) return std::nullopt;
  nlohmann::json j;
  RawFloatDom dom(&j);
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(*stats, &dom);
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok || !j.is_object()) return std::nullopt;
  FileStatistics out;
  if (auto it = j.find("numRecords"); it != j.end() && it->is_number_integer()) {
    out.num_records = it->get<int64_t>();
  }
  if (auto it = j.find("tightBounds"); it != j.end() && it->is_boolean()) {
    out.tight_bounds = it->get<bool>();
  }
  static const char* kKinds[] = {"minValues", "maxValues", "nullCount"};
  for (int k = 0; k < 3; ++k) {
    if (auto it = j.find(kKinds[k]); it != j.end()) Walk(*it, stats_schema.fields(), "", k, &out);
  }
  return out;
}

Value ParsePartitionValue(const std::optional<std::string>& text, const columnar::TypePtr& type) {
  // PROTOCOL.md: an empty string, for any type, is a null partition value.
  if (!text || text->empty()) return Value::Null(type);
  const std::string& s = *text;
  auto bad = [&]() -> Value {
    throw CorruptData("partition value '" + s + "' is not a valid " + type->ToString());
  };
  switch (type->id()) {
    case TypeId::kString:
      return Value::String(s);
    case TypeId::kBinary:
      return Value::Binary(s);
    case TypeId::kBoolean:
      if (s == "true" || s == "TRUE" || s == "True") return Value::Boolean(true);
      if (s == "false" || s == "FALSE" || s == "False") return Value::Boolean(false);
      return bad();
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64: {
      int64_t v = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return bad();
      return Value::Integer(type, v);
    }
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (end != s.c_str() + s.size() || s.empty()) return bad();
      return type->id() == TypeId::kFloat32 ? Value::Float32(static_cast<float>(d))
                                            : Value::Float64(d);
    }
    case TypeId::kDecimal: {
      auto v = ParseDecimalText(s, type->scale());
      if (!v) return bad();
      return Value::Decimal(*v, type->precision(), type->scale());
    }
    case TypeId::kDate: {
      auto d = ParseDate(s);
      if (!d) return bad();
      return Value::Date(*d);
    }
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz: {
      auto t = ParseTimestampMicros(s);
      if (!t) return bad();
      return Value::Integer(type, *t);
    }
    default:
      break;
  }
  throw Unsupported("partition column of type " + type->ToString());
}

}  // namespace cpglake::delta
