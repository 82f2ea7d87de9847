#include "sql/type_mapping.h"

#include <charconv>
#include <cmath>
#include <string_view>

#include "columnar/value_format.h"
#include "common/error.h"
#include "expr/cast.h"

namespace cpglake::sql {

using columnar::Column;
using columnar::DataType;
using columnar::Field;
using columnar::TypeId;

std::string DeclaredType(const DataType& type) {
  switch (type.id()) {
    case TypeId::kNull:
      return "";
    case TypeId::kBoolean:
      return "BOOLEAN";
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
      return "INTEGER";
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      return "REAL";
    case TypeId::kDecimal:
      return "DECIMAL_TEXT(" + std::to_string(type.precision()) + "," +
             std::to_string(type.scale()) + ")";
    case TypeId::kString:
      return "TEXT";
    case TypeId::kBinary:
      return "BLOB";
    case TypeId::kDate:
      return "DATE_TEXT";
    case TypeId::kTimestamp:
      return "TIMESTAMP_TEXT";
    case TypeId::kTimestampNtz:
      return "TIMESTAMP_NTZ_TEXT";
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      return "JSON_TEXT";
  }
  return "";
}

namespace {

void ResultText(sqlite3_context* ctx, const std::string& s) {
  sqlite3_result_text64(ctx, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

}  // namespace

void ResultColumnValue(sqlite3_context* ctx, const Column& c, int64_t row) {
  if (c.IsNull(row)) {
    sqlite3_result_null(ctx);
    return;
  }
  switch (c.type_id()) {
    case TypeId::kNull:
      sqlite3_result_null(ctx);
      return;
    case TypeId::kBoolean:
      sqlite3_result_int64(ctx, c.GetBool(row) ? 1 : 0);
      return;
    case TypeId::kInt8:
      sqlite3_result_int64(ctx, c.Get<int8_t>(row));
      return;
    case TypeId::kInt16:
      sqlite3_result_int64(ctx, c.Get<int16_t>(row));
      return;
    case TypeId::kInt32:
      sqlite3_result_int64(ctx, c.Get<int32_t>(row));
      return;
    case TypeId::kInt64:
      sqlite3_result_int64(ctx, c.Get<int64_t>(row));
      return;
    case TypeId::kFloat32:
      sqlite3_result_double(ctx, c.Get<float>(row));
      return;
    case TypeId::kFloat64:
      sqlite3_result_double(ctx, c.Get<double>(row));
      return;
    case TypeId::kDecimal:
      ResultText(ctx, columnar::FormatDecimal(c.Get<__int128>(row), c.type()->scale()));
      return;
    case TypeId::kString: {
      std::string_view s = c.GetString(row);
      // A null pointer would make SQLite return NULL: '' stays ''.
      sqlite3_result_text64(ctx, s.empty() ? "" : s.data(), s.size(), SQLITE_TRANSIENT,
                            SQLITE_UTF8);
      return;
    }
    case TypeId::kBinary: {
      std::string_view s = c.GetString(row);
      sqlite3_result_blob64(ctx, s.empty() ? "" : s.data(), s.size(), SQLITE_TRANSIENT);
      return;
    }
    case TypeId::kDate:
      ResultText(ctx, columnar::FormatDate(c.Get<int32_t>(row)));
      return;
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz:
      ResultText(ctx,
                 columnar::FormatTimestamp(c.Get<int64_t>(row), c.type_id() == TypeId::kTimestamp));
      return;
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap: {
      std::string json;
      columnar::AppendJsonValue(c, row, columnar::JsonStyle::kReadable, &json);
      ResultText(ctx, json);
      return;
    }
  }
}

Value ToValue(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return static_cast<int64_t>(sqlite3_value_int64(v));
    case SQLITE_FLOAT:
      return sqlite3_value_double(v);
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
      return std::string(p ? p : "", static_cast<size_t>(sqlite3_value_bytes(v)));
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const char*>(sqlite3_value_blob(v));
      return Blob{std::string(p ? p : "", static_cast<size_t>(sqlite3_value_bytes(v)))};
    }
    default:
      return std::monostate{};
  }
}

namespace {

[[noreturn]] void CannotCoerce(const Field& field, const Value& v, const char* why = nullptr) {
  std::string shown = FormatValue(v);
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  throw InvalidInput("cannot store " + shown + " in column '" + field.name + "' of type " +
                     field.type->ToString() + (why ? std::string(": ") + why : std::string()));
}

std::optional<int64_t> ParseInteger(std::string_view s) {
  int64_t out = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return out;
}

std::optional<double> ParseReal(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return d;
}

// The value as a columnar literal of its natural type, for expr::CastValue.
columnar::Value NaturalValue(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return columnar::Value::Int64(*i);
  if (const auto* d = std::get_if<double>(&v)) return columnar::Value::Float64(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return columnar::Value::String(*s);
  if (const auto* b = std::get_if<Blob>(&v)) return columnar::Value::Binary(b->bytes);
  return columnar::Value();
}

}  // namespace

void AppendSqlValue(Column& c, const Field& field, const Value& v) {
  if (IsNull(v)) {
    if (!field.nullable) {
      throw InvalidInput("NOT NULL constraint failed: column '" + field.name + "' cannot be NULL");
    }
    c.AppendNull();
    return;
  }
  const TypeId id = field.type->id();
  if (columnar::IsIntegerType(id)) {
    std::optional<int64_t> n;
    if (const auto* i = std::get_if<int64_t>(&v)) n = *i;
    if (const auto* d = std::get_if<double>(&v)) {
      if (std::isfinite(*d) && std::trunc(*d) == *d && std::fabs(*d) < 9.2e18) {
        n = static_cast<int64_t>(*d);
      }
    }
    if (const auto* s = std::get_if<std::string>(&v)) n = ParseInteger(*s);
    if (!n) CannotCoerce(field, v);
    const int width = columnar::IntegerWidth(id);
    if (width < 8) {
      const int64_t limit = int64_t{1} << (width * 8 - 1);
      if (*n < -limit || *n >= limit) CannotCoerce(field, v, "out of range");
    }
    switch (id) {
      case TypeId::kInt8:
        c.Append<int8_t>(static_cast<int8_t>(*n));
        return;
      case TypeId::kInt16:
        c.Append<int16_t>(static_cast<int16_t>(*n));
        return;
      case TypeId::kInt32:
        c.Append<int32_t>(static_cast<int32_t>(*n));
        return;
      default:
        c.Append<int64_t>(*n);
        return;
    }
  }
  if (columnar::IsFloatType(id)) {
    std::optional<double> d;
    if (const auto* i = std::get_if<int64_t>(&v)) d = static_cast<double>(*i);
    if (const auto* x = std::get_if<double>(&v)) d = *x;
    if (const auto* s = std::get_if<std::string>(&v)) d = ParseReal(*s);
    if (!d) CannotCoerce(field, v);
    if (id == TypeId::kFloat32) {
      c.Append<float>(static_cast<float>(*d));
    } else {
      c.Append<double>(*d);
    }
    return;
  }
  switch (id) {
    case TypeId::kBoolean: {
      if (const auto* i = std::get_if<int64_t>(&v); i && (*i == 0 || *i == 1)) {
        c.AppendBool(*i == 1);
        return;
      }
      if (const auto* s = std::get_if<std::string>(&v)) {
        if (*s == "true" || *s == "TRUE" || *s == "1") return c.AppendBool(true);
        if (*s == "false" || *s == "FALSE" || *s == "0") return c.AppendBool(false);
      }
      CannotCoerce(field, v, "booleans are 0, 1, 'true' or 'false'");
    }
    case TypeId::kString: {
      if (const auto* s = std::get_if<std::string>(&v)) return c.AppendString(*s);
      if (std::holds_alternative<Blob>(v)) CannotCoerce(field, v);
      return c.AppendString(FormatValue(v));
    }
    case TypeId::kBinary: {
      if (const auto* b = std::get_if<Blob>(&v)) return c.AppendString(b->bytes);
      if (const auto* s = std::get_if<std::string>(&v)) return c.AppendString(*s);
      CannotCoerce(field, v);
    }
    case TypeId::kDate:
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz:
    case TypeId::kDecimal: {
      if (std::holds_alternative<Blob>(v)) CannotCoerce(field, v);
      if (id != TypeId::kDecimal && !std::holds_alternative<std::string>(v)) {
        CannotCoerce(field, v, "dates and timestamps are ISO-8601 text");
      }
      auto cast = expr::CastValue(NaturalValue(v), field.type);
      if (!cast || cast->is_null()) CannotCoerce(field, v);
      columnar::AppendValue(c, *cast);
      return;
    }
    default:
      throw Unsupported("column '" + field.name + "' of type " + field.type->ToString() +
                        " cannot be written from SQL");
  }
}

void AppendSqliteValue(Column& c, const Field& field, sqlite3_value* v) {
  AppendSqlValue(c, field, ToValue(v));
}

std::optional<columnar::Value> PushdownLiteral(const DataType& type, PushOp op, sqlite3_value* v) {
  const int storage = sqlite3_value_type(v);
  const TypeId id = type.id();
  if (columnar::IsIntegerType(id)) {
    if (storage != SQLITE_INTEGER) return std::nullopt;
    return columnar::Value::Int64(sqlite3_value_int64(v));
  }
  if (columnar::IsFloatType(id)) {
    if (storage != SQLITE_FLOAT) return std::nullopt;
    return columnar::Value::Float64(sqlite3_value_double(v));
  }
  switch (id) {
    case TypeId::kBoolean: {
      if (storage != SQLITE_INTEGER) return std::nullopt;
      const int64_t i = sqlite3_value_int64(v);
      if (i != 0 && i != 1) return std::nullopt;
      return columnar::Value::Boolean(i == 1);
    }
    case TypeId::kString: {
      if (storage != SQLITE_TEXT) return std::nullopt;
      auto s = std::get<std::string>(ToValue(v));
      return columnar::Value::String(std::move(s));
    }
    case TypeId::kBinary: {
      if (storage != SQLITE_BLOB) return std::nullopt;
      return columnar::Value::Binary(std::get<Blob>(ToValue(v)).bytes);
    }
    case TypeId::kDate: {
      if (storage != SQLITE_TEXT || op != PushOp::kEq) return std::nullopt;
      auto s = std::get<std::string>(ToValue(v));
      auto days = expr::ParseDateText(s);
      if (!days || columnar::FormatDate(*days) != s) return std::nullopt;
      return columnar::Value::Date(*days);
    }
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz: {
      if (storage != SQLITE_TEXT || op != PushOp::kEq) return std::nullopt;
      const bool utc = id == TypeId::kTimestamp;
      auto s = std::get<std::string>(ToValue(v));
      auto micros = expr::ParseTimestampText(s, utc);
      if (!micros || columnar::FormatTimestamp(*micros, utc) != s) return std::nullopt;
      return columnar::Value::Integer(utc ? DataType::Timestamp() : DataType::TimestampNtz(),
                                      *micros);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace cpglake::sql
