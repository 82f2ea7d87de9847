#include "delta/partitioning.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "columnar/value_format.h"
#include "common/error.h"
#include "common/utf8.h"

namespace cpglake::delta {

using columnar::TypeId;
using columnar::Value;

namespace {

// Java's layout of the shortest round-trip digits of a finite, non-zero number.
template <typename T>
std::string JavaLayout(T v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  std::string out;
  if (sci[0] == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  const size_t e = sci.find('e');
  std::string digits;
  for (size_t i = 0; i < e; ++i) {
    if (sci[i] != '.') digits.push_back(sci[i]);
  }
  int exp10 = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+'), sci.data() + sci.size(), exp10);
  if (digits.size() == 1) {
    // Java never prints fewer than two digits: it takes the two-digit decimal closest to
    // the value (4.9E-324, not 5.0E-324), when that one still reads back as the value.
    char buf2[64];
    auto r2 =
        std::to_chars(buf2, buf2 + sizeof buf2, std::fabs(v), std::chars_format::scientific, 1);
    std::string_view two(buf2, static_cast<size_t>(r2.ptr - buf2));  // "d.de[+-]x"
    T back{};
    std::from_chars(two.data(), two.data() + two.size(), back);
    if (back == std::fabs(v)) {
      digits = {two[0], two[2]};
      std::from_chars(two.data() + 4 + (two[4] == '+'), two.data() + two.size(), exp10);
    }
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  }
  const T a = std::fabs(v);
  if (a >= static_cast<T>(1e-3) && a < static_cast<T>(1e7)) {
    const int k = static_cast<int>(digits.size());
    const int n = exp10 + 1;  // digits before the decimal point
    if (n <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-n), '0');
      out += digits;
    } else if (k <= n) {
      out += digits;
      out.append(static_cast<size_t>(n - k), '0');
      out += ".0";
    } else {
      out.append(digits, 0, static_cast<size_t>(n));
      out.push_back('.');
      out.append(digits, static_cast<size_t>(n));
    }
  } else {
    out.push_back(digits[0]);
    out.push_back('.');
    out += digits.size() > 1 ? digits.substr(1) : "0";
    out.push_back('E');
    out += std::to_string(exp10);
  }
  return out;
}

template <typename T>
std::string FormatJava(T v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  return JavaLayout(v);
}

// "HH:MM:SS" and the microseconds of the day of `micros`; `days` gets the day number.
std::string TimeOfDay(int64_t micros, int64_t* days, int64_t* frac) {
  constexpr int64_t kDay = 86400000000LL;
  int64_t d = micros / kDay, rem = micros % kDay;
  if (rem < 0) {
    rem += kDay;
    --d;
  }
  *days = d;
  *frac = rem % 1000000;
  const int64_t secs = rem / 1000000;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", static_cast<int>(secs / 3600),
                static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  return buf;
}

// "YYYY-MM-DD HH:MM:SS[.ffffff]" without trailing zeros in the fraction (Spark's cast of a
// timestamp to string).
std::string SpaceSeparatedTimestamp(int64_t micros) {
  int64_t days, frac;
  std::string time = TimeOfDay(micros, &days, &frac);
  std::string s = columnar::FormatDate(static_cast<int32_t>(days)) + " " + time;
  if (frac) {
    char buf[16];
    std::snprintf(buf, sizeof buf, ".%06d", static_cast<int>(frac));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    s += f;
  }
  return s;
}

// "YYYY-MM-DDTHH:MM:SS.ffffffZ".
std::string IsoUtcTimestamp(int64_t micros) {
  int64_t days, frac;
  std::string time = TimeOfDay(micros, &days, &frac);
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%06dZ", static_cast<int>(frac));
  return columnar::FormatDate(static_cast<int32_t>(days)) + "T" + time + buf;
}

bool IsHiveEscaped(unsigned char c) {
  if (c < 0x20 || c == 0x7F) return true;
  switch (c) {
    case '"':
    case '#':
    case '%':
    case '\'':
    case '*':
    case '/':
    case ':':
    case '=':
    case '?':
    case '\\':
    case '{':
    case '[':
    case ']':
    case '^':
      return true;
    default:
      return false;
  }
}

// Characters java.net.URI leaves alone in a path: unreserved, punct, '/' and '@'.
bool IsUriPathChar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-':
    case '_':
    case '.':
    case '!':
    case '~':
    case '*':
    case '\'':
    case '(':
    case ')':
    case ',':
    case ';':
    case ':':
    case '$':
    case '&':
    case '+':
    case '=':
    case '/':
    case '@':
      return true;
    default:
      return false;
  }
}

// Java's Character.isSpaceChar (Zs, Zl, Zp) for code points above ASCII.
bool IsUnicodeSpace(uint32_t cp) {
  return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

void AppendPercent(unsigned char c, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->push_back('%');
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 15]);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Quote(std::string_view s) {
  return "'" + std::string(s) + "'";
}

}  // namespace

std::string FormatJavaDouble(double d) {
  return FormatJava(d);
}

std::string FormatJavaFloat(float f) {
  return FormatJava(f);
}

std::optional<std::string> SerializePartitionValue(const Value& v, const columnar::TypePtr& type,
                                                   const PartitionValueOptions& options) {
  if (type->is_nested()) {
    throw InvalidInput("a column of type " + type->ToString() + " cannot be a partition column");
  }
  if (v.is_null()) return std::nullopt;
  if (v.type_id() != type->id() ||
      (type->id() == TypeId::kDecimal && v.type()->scale() != type->scale())) {
    throw InvalidInput("partition value of type " + v.type()->ToString() +
                       " for a column of type " + type->ToString());
  }
  switch (type->id()) {
    case TypeId::kString:
    case TypeId::kBinary:
      if (v.as_string().empty()) return std::nullopt;
      if (!IsValidUtf8(v.as_string())) {
        throw InvalidInput(std::string(type->id() == TypeId::kString ? "string" : "binary") +
                           " partition value is not valid UTF-8 and cannot be stored in the log");
      }
      return v.as_string();
    case TypeId::kBoolean:
      return v.as_bool() ? "true" : "false";
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
      return std::to_string(v.as_int());
    case TypeId::kFloat32: {
      float f = static_cast<float>(v.as_double());
      return FormatJavaFloat(f == 0 ? 0.0f : f);  // Spark writes -0.0 as 0.0
    }
    case TypeId::kFloat64: {
      double d = v.as_double();
      return FormatJavaDouble(d == 0 ? 0.0 : d);
    }
    case TypeId::kDecimal:
      return columnar::FormatDecimal(v.as_decimal(), type->scale());
    case TypeId::kDate:
      return columnar::FormatDate(static_cast<int32_t>(v.as_int()));
    case TypeId::kTimestamp:
      return options.timestamp_style == TimestampStyle::kIso8601Utc
                 ? IsoUtcTimestamp(v.as_int())
                 : SpaceSeparatedTimestamp(v.as_int());
    case TypeId::kTimestampNtz:
      return SpaceSeparatedTimestamp(v.as_int());
    default:
      break;
  }
  throw InvalidInput("a column of type " + type->ToString() + " cannot be a partition column");
}

std::string EscapeHivePathName(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (IsHiveEscaped(c)) {
      AppendPercent(c, &out);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string UnescapeHivePathName(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string HivePartitionPath(const std::vector<std::string>& partition_columns,
                              const PartitionValues& values) {
  std::string out;
  for (const auto& col : partition_columns) {
    auto it = values.find(col);
    if (it == values.end()) {
      throw InvalidInput("no partition value for partition column " + Quote(col));
    }
    out += EscapeHivePathName(col);
    out.push_back('=');
    if (!it->second || it->second->empty()) {
      out += kHiveDefaultPartition;
    } else {
      out += EscapeHivePathName(*it->second);
    }
    out.push_back('/');
  }
  return out;
}

HivePartition ParseHivePartitionPath(std::string_view relative_path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= relative_path.size()) {
    size_t end = relative_path.find('/', start);
    if (end == std::string_view::npos) end = relative_path.size();
    if (end > start) segments.push_back(relative_path.substr(start, end - start));
    start = end + 1;
  }
  const bool ends_with_slash = !relative_path.empty() && relative_path.back() == '/';
  HivePartition out;
  for (size_t i = 0; i < segments.size(); ++i) {
    std::string_view seg = segments[i];
    size_t eq = seg.find('=');
    if (eq == std::string_view::npos) {
      if (i + 1 == segments.size() && !ends_with_slash) break;  // the file name
      throw InvalidInput("path segment " + Quote(seg) + " of " + Quote(relative_path) +
                         " is not a partition directory (name=value)");
    }
    std::string name = UnescapeHivePathName(seg.substr(0, eq));
    std::string value = UnescapeHivePathName(seg.substr(eq + 1));
    if (name.empty() || eq + 1 == seg.size()) {
      throw InvalidInput("partition directory " + Quote(seg) + " has an empty name or value");
    }
    if (out.values.count(name)) {
      throw InvalidInput("partition column " + Quote(name) + " appears twice in " +
                         Quote(relative_path));
    }
    std::optional<std::string> v;
    if (value != kHiveDefaultPartition) v = std::move(value);
    out.values.insert_or_assign(name, std::move(v));
    out.columns.push_back(std::move(name));
  }
  return out;
}

std::string EncodeLogPath(std::string_view relative_path) {
  std::string out;
  out.reserve(relative_path.size() + 16);
  for (size_t i = 0; i < relative_path.size();) {
    auto c = static_cast<unsigned char>(relative_path[i]);
    if (c < 0x80) {
      if (IsUriPathChar(c)) {
        out.push_back(static_cast<char>(c));
      } else {
        AppendPercent(c, &out);
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t n = DecodeUtf8(relative_path, i, &cp);
    if (n == 0) {  // not UTF-8: the byte itself
      AppendPercent(c, &out);
      ++i;
      continue;
    }
    if (cp <= 0x9F || IsUnicodeSpace(cp)) {
      for (size_t k = 0; k < n; ++k) {
        AppendPercent(static_cast<unsigned char>(relative_path[i + k]), &out);
      }
    } else {
      out.append(relative_path.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::vector<PartitionBatch> SplitByPartition(const columnar::RecordBatch& batch,
                                             const columnar::Schema& table_schema,
                                             const std::vector<std::string>& partition_columns,
                                             ColumnMappingMode mode,
                                             const PartitionValueOptions& options) {
  const columnar::Schema& schema = batch.schema();
  std::vector<int> part_index;  // into the batch
  std::vector<std::string> keys;
  std::vector<columnar::TypePtr> types;
  std::vector<bool> is_partition(schema.num_fields(), false);
  for (const auto& name : partition_columns) {
    int bi = schema.FieldIndex(name);
    int ti = table_schema.FieldIndex(name);
    if (bi < 0 || ti < 0) {
      throw InvalidInput("partition column " + Quote(name) + " is not in the " +
                         (ti < 0 ? "table schema" : "batch"));
    }
    const auto& field = table_schema.field(static_cast<size_t>(ti));
    if (field.type->is_nested()) {
      throw InvalidInput("partition column " + Quote(name) + " has type " + field.type->ToString() +
                         ", which cannot be partitioned");
    }
    part_index.push_back(bi);
    keys.push_back(mode == ColumnMappingMode::kNone ? field.name : PhysicalName(field));
    types.push_back(field.type);
    is_partition[static_cast<size_t>(bi)] = true;
  }
  std::vector<std::string> data_names;
  for (size_t i = 0; i < schema.num_fields(); ++i) {
    if (!is_partition[i]) data_names.push_back(schema.field(i).name);
  }
  const columnar::RecordBatch data = batch.Project(data_names);
  if (part_index.empty()) return {PartitionBatch{PartitionValues{}, data}};

  // Group rows by their serialized values, in order of first appearance.
  struct Group {
    PartitionValues values;
    std::vector<std::pair<int64_t, int64_t>> runs;  // [begin, end) row ranges
    int64_t rows = 0;
  };
  std::vector<Group> groups;
  std::unordered_map<std::string, size_t> by_key;
  std::string key;
  const int64_t n = batch.num_rows();
  size_t last_group = SIZE_MAX;
  std::string last_key;
  for (int64_t r = 0; r < n; ++r) {
    key.clear();
    std::vector<std::optional<std::string>> texts;
    texts.reserve(part_index.size());
    for (size_t k = 0; k < part_index.size(); ++k) {
      const auto& col = batch.column(static_cast<size_t>(part_index[k]));
      Value v = columnar::GetValue(col, r);
      auto text =
          SerializePartitionValue(v.is_null() ? Value::Null(types[k]) : v, types[k], options);
      if (text) {
        key.push_back('\1');
        key += std::to_string(text->size());
        key.push_back(':');
        key += *text;
      } else {
        key.push_back('\0');
      }
      texts.push_back(std::move(text));
    }
    size_t g;
    if (last_group != SIZE_MAX && key == last_key) {
      g = last_group;
    } else {
      auto [it, inserted] = by_key.try_emplace(key, groups.size());
      if (inserted) {
        Group group;
        for (size_t k = 0; k < keys.size(); ++k) {
          group.values.insert_or_assign(keys[k], std::move(texts[k]));
        }
        groups.push_back(std::move(group));
      }
      g = it->second;
      last_group = g;
      last_key = key;
    }
    auto& runs = groups[g].runs;
    if (!runs.empty() && runs.back().second == r) {
      ++runs.back().second;
    } else {
      runs.emplace_back(r, r + 1);
    }
    ++groups[g].rows;
  }

  std::vector<PartitionBatch> out;
  out.reserve(groups.size());
  for (auto& g : groups) {
    if (groups.size() == 1) {
      out.push_back(PartitionBatch{std::move(g.values), data});
      break;
    }
    columnar::RecordBatch part = columnar::RecordBatch::MakeEmpty(data.schema());
    for (size_t c = 0; c < data.num_columns(); ++c) {
      auto& dst = part.mutable_column(c);
      dst.Reserve(g.rows);
      for (const auto& [b, e] : g.runs) dst.AppendRange(data.column(c), b, e);
    }
    part.set_num_rows(g.rows);
    out.push_back(PartitionBatch{std::move(g.values), std::move(part)});
  }
  return out;
}

}  // namespace cpglake::delta
