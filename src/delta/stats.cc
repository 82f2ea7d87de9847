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

// Days since the epoch from "YYYY-MM-DD".
std::optional<int32_t> ParseDate(std::string_view s) {
  int y = 0, m = 0, d = 0;
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
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
  if (s.size() < 10) return std::nullopt;
  auto day = ParseDate(s.substr(0, 10));
  if (!day) return std::nullopt;
  int64_t micros = static_cast<int64_t>(*day) * 86400000000LL;
  std::string_view rest = s.substr(10);
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

std::optional<__int128> ParseDecimalText(std::string_view s, int scale) {
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
    v = v * 10 + (c - '0');
    any = true;
    if (v > (static_cast<__int128>(1) << 125)) return std::nullopt;
  }
  if (!any) return std::nullopt;
  for (int f = std::max(frac, 0); f < scale; ++f) v *= 10;
  return neg ? -v : v;
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
        if (j.is_number()) {
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
        std::string text = j.is_string() ? j.get<std::string>() : j.dump();
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
  nlohmann::json j = nlohmann::json::parse(*stats, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
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
  if (!text) return Value::Null(type);
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
