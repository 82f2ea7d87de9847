#include "columnar/value_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace cpglake::columnar {

void AppendJsonString(std::string_view s, std::string* out) {
  static const char* kHex = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char ch : s) {
    switch (ch) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (ch < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[ch >> 4]);
          out->push_back(kHex[ch & 15]);
        } else {
          out->push_back(static_cast<char>(ch));
        }
    }
  }
  out->push_back('"');
}

namespace {

template <typename T>
void AppendShortestNumber(T d, std::string* out) {
  if (std::isnan(d)) {
    out->append("\"NaN\"");
    return;
  }
  if (std::isinf(d)) {
    out->append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  if (d == 0) {
    out->push_back('0');
    return;
  }
  // Shortest round-trip digits and decimal exponent, then ECMAScript's layout rules.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  // Shortest digits that round-trip in T (float: 0.1f prints 0.1).
  std::string_view sci(buf, res.ptr - buf);
  bool neg = sci[0] == '-';
  if (neg) sci.remove_prefix(1);
  size_t e_pos = sci.find('e');
  std::string digits;
  for (size_t i = 0; i < e_pos; ++i) {
    if (sci[i] != '.') digits.push_back(sci[i]);
  }
  int exp10 = 0;
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+'), sci.data() + sci.size(), exp10);
  int k = static_cast<int>(digits.size());
  int n = exp10 + 1;  // value = 0.digits * 10^n
  if (neg) out->push_back('-');
  if (k <= n && n <= 21) {
    out->append(digits);
    out->append(n - k, '0');
  } else if (0 < n && n <= 21) {
    out->append(digits, 0, n);
    out->push_back('.');
    out->append(digits, n);
  } else if (-6 < n && n <= 0) {
    out->append("0.");
    out->append(-n, '0');
    out->append(digits);
  } else {
    out->push_back(digits[0]);
    if (k > 1) {
      out->push_back('.');
      out->append(digits, 1);
    }
    out->push_back('e');
    out->push_back(n - 1 >= 0 ? '+' : '-');
    out->append(std::to_string(std::abs(n - 1)));
  }
}

}  // namespace

void AppendJsNumber(double d, std::string* out) {
  AppendShortestNumber(d, out);
}
void AppendJsNumber(float f, std::string* out) {
  AppendShortestNumber(f, out);
}

std::string FormatInt128(__int128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  unsigned __int128 u =
      neg ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string s;
  while (u) {
    s.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (neg) s.push_back('-');
  return std::string(s.rbegin(), s.rend());
}

std::string FormatDecimal(__int128 unscaled, int scale) {
  std::string digits = FormatInt128(unscaled);
  bool neg = digits[0] == '-';
  if (neg) digits.erase(0, 1);
  if (scale > 0) {
    if (static_cast<int>(digits.size()) <= scale) {
      digits.insert(0, scale - digits.size() + 1, '0');
    }
    digits.insert(digits.size() - scale, ".");
  }
  return neg ? "-" + digits : digits;
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

std::string FormatDate(int32_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[40];
  if (y >= 0 && y <= 9999) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  } else {
    std::snprintf(buf, sizeof buf, "%+05lld-%02u-%02u", static_cast<long long>(y), m, d);
  }
  return buf;
}

std::string FormatTimestamp(int64_t micros, bool utc) {
  int64_t days = micros / 86400000000LL;
  int64_t rem = micros % 86400000000LL;
  if (rem < 0) {
    rem += 86400000000LL;
    --days;
  }
  int64_t secs = rem / 1000000, frac = rem % 1000000;
  std::string s = FormatDate(static_cast<int32_t>(days));
  char buf[40];
  std::snprintf(buf, sizeof buf, "T%02d:%02d:%02d", static_cast<int>(secs / 3600),
                static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  s += buf;
  if (frac) {
    std::snprintf(buf, sizeof buf, ".%06d", static_cast<int>(frac));
    s += buf;
  }
  if (utc) s += "Z";
  return s;
}

namespace {

void AppendHex(std::string_view s, std::string* out) {
  static const char* kHex = "0123456789abcdef";
  for (unsigned char ch : s) {
    out->push_back(kHex[ch >> 4]);
    out->push_back(kHex[ch & 15]);
  }
}

}  // namespace

void AppendJsonValue(const Column& c, int64_t row, JsonStyle style, std::string* out) {
  const bool canon = style == JsonStyle::kCanonical;
  if (c.type_id() == TypeId::kNull || c.IsNull(row)) {
    out->append("null");
    return;
  }
  switch (c.type_id()) {
    case TypeId::kBoolean:
      out->append(c.GetBool(row) ? "true" : "false");
      return;
    case TypeId::kInt8:
      out->append(std::to_string(c.Get<int8_t>(row)));
      return;
    case TypeId::kInt16:
      out->append(std::to_string(c.Get<int16_t>(row)));
      return;
    case TypeId::kInt32:
      out->append(std::to_string(c.Get<int32_t>(row)));
      return;
    case TypeId::kInt64:
      out->append(std::to_string(c.Get<int64_t>(row)));
      return;
    case TypeId::kFloat32:
      if (canon) {  // the oracle widens FLOAT to a double first
        AppendJsNumber(static_cast<double>(c.Get<float>(row)), out);
      } else {
        AppendJsNumber(c.Get<float>(row), out);
      }
      return;
    case TypeId::kFloat64:
      AppendJsNumber(c.Get<double>(row), out);
      return;
    case TypeId::kDecimal: {
      std::string d = FormatDecimal(c.Get<__int128>(row), c.type()->scale());
      if (canon) {
        AppendJsonString(d, out);
      } else {
        out->append(d);
      }
      return;
    }
    case TypeId::kString:
      AppendJsonString(c.GetString(row), out);
      return;
    case TypeId::kBinary:
      out->append(canon ? "\"hex:" : "\"");
      AppendHex(c.GetString(row), out);
      out->push_back('"');
      return;
    case TypeId::kDate:
      if (canon) {
        out->append("\"d:" + std::to_string(c.Get<int32_t>(row)) + "\"");
      } else {
        out->append("\"" + FormatDate(c.Get<int32_t>(row)) + "\"");
      }
      return;
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz:
      if (canon) {
        out->append("\"ts:" + std::to_string(c.Get<int64_t>(row)) + "\"");
      } else {
        out->append("\"" + FormatTimestamp(c.Get<int64_t>(row), c.type_id() == TypeId::kTimestamp) +
                    "\"");
      }
      return;
    case TypeId::kStruct: {
      out->push_back('{');
      const auto& fields = c.type()->fields();
      for (size_t k = 0; k < fields.size(); ++k) {
        if (k) out->push_back(',');
        AppendJsonString(fields[k].name, out);
        out->push_back(':');
        AppendJsonValue(c.child(k), row, style, out);
      }
      out->push_back('}');
      return;
    }
    case TypeId::kList: {
      out->push_back('[');
      for (int64_t e = c.ListBegin(row); e < c.ListEnd(row); ++e) {
        if (e != c.ListBegin(row)) out->push_back(',');
        AppendJsonValue(c.child(0), e, style, out);
      }
      out->push_back(']');
      return;
    }
    case TypeId::kMap: {
      out->push_back('[');
      for (int64_t e = c.ListBegin(row); e < c.ListEnd(row); ++e) {
        if (e != c.ListBegin(row)) out->push_back(',');
        out->push_back('[');
        AppendJsonValue(c.child(0), e, style, out);
        out->push_back(',');
        AppendJsonValue(c.child(1), e, style, out);
        out->push_back(']');
      }
      out->push_back(']');
      return;
    }
    case TypeId::kNull:
      return;
  }
}

void AppendJsonRow(const RecordBatch& b, int64_t row, JsonStyle style, std::string* out) {
  out->push_back('{');
  for (size_t k = 0; k < b.num_columns(); ++k) {
    if (k) out->push_back(',');
    AppendJsonString(b.schema().field(k).name, out);
    out->push_back(':');
    AppendJsonValue(b.column(k), row, style, out);
  }
  out->push_back('}');
}

std::string FormatCell(const Column& c, int64_t row) {
  if (c.type_id() == TypeId::kNull || c.IsNull(row)) return "NULL";
  switch (c.type_id()) {
    case TypeId::kString:
      return std::string(c.GetString(row));
    case TypeId::kDecimal:
      return FormatDecimal(c.Get<__int128>(row), c.type()->scale());
    case TypeId::kDate:
      return FormatDate(c.Get<int32_t>(row));
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz:
      return FormatTimestamp(c.Get<int64_t>(row), c.type_id() == TypeId::kTimestamp);
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      std::string s;
      if (c.type_id() == TypeId::kFloat32) {
        AppendJsNumber(c.Get<float>(row), &s);
      } else {
        AppendJsNumber(c.Get<double>(row), &s);
      }
      if (s.front() == '"') s = s.substr(1, s.size() - 2);
      return s;
    }
    default: {
      std::string s;
      AppendJsonValue(c, row, JsonStyle::kReadable, &s);
      if (c.type_id() == TypeId::kBinary) s = "\\x" + s.substr(1, s.size() - 2);
      return s;
    }
  }
}

}  // namespace cpglake::columnar
