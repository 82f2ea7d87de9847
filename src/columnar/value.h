// Value: one scalar (or nested) value with its type — for literals in predicates,
// statistics, partition values and tests. Also row-level comparison and hashing of
// columns, shared by tests, sorting and MERGE.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "columnar/column.h"
#include "columnar/types.h"

namespace cpglake::columnar {

class Value {
 public:
  Value() : type_(DataType::Null()) {}  // an untyped null
  static Value Null(TypePtr type);
  static Value Boolean(bool v);
  // Any integer type, date, timestamp or timestamp_ntz; `type` says which.
  static Value Integer(TypePtr type, int64_t v);
  static Value Int32(int32_t v) { return Integer(DataType::Int32(), v); }
  static Value Int64(int64_t v) { return Integer(DataType::Int64(), v); }
  static Value Date(int32_t days) { return Integer(DataType::Date(), days); }
  static Value Timestamp(int64_t micros) { return Integer(DataType::Timestamp(), micros); }
  static Value Float32(float v);
  static Value Float64(double v);
  static Value Decimal(__int128 unscaled, int precision, int scale);
  static Value String(std::string v);
  static Value Binary(std::string v);
  // Struct: one child per field. List: the elements. Map: key0, value0, key1, value1, ...
  static Value Nested(TypePtr type, std::vector<Value> children);

  const TypePtr& type() const { return type_; }
  TypeId type_id() const { return type_->id(); }
  bool is_null() const { return is_null_; }
  bool as_bool() const { return i_ != 0; }
  int64_t as_int() const { return static_cast<int64_t>(i_); }
  double as_double() const { return d_; }
  __int128 as_decimal() const { return i_; }
  const std::string& as_string() const { return s_; }
  const std::vector<Value>& children() const { return children_; }

  // Human-readable text (dates as YYYY-MM-DD, timestamps ISO-8601, decimals exact).
  std::string ToString() const;
  bool operator==(const Value& o) const;

 private:
  TypePtr type_;
  bool is_null_ = true;
  __int128 i_ = 0;  // booleans, integers, dates, timestamps, decimals
  double d_ = 0;
  std::string s_;
  std::vector<Value> children_;
};

// Value of row `i` of `c`.
Value GetValue(const Column& c, int64_t i);
// Appends `v` to `c`; a value of another type is converted where lossless, else InvalidInput.
void AppendValue(Column& c, const Value& v);

// Total order: null first; NaN after every number; -0.0 == 0.0; strings and binaries by
// unsigned bytes; nested values lexicographically. Numbers of different integer widths
// compare by value.
int CompareValues(const Value& a, const Value& b);
int CompareRows(const Column& a, int64_t i, const Column& b, int64_t j);
// Hash consistent with CompareRows == 0 for columns of the same type.
uint64_t HashRow(const Column& c, int64_t i, uint64_t seed = 0);

}  // namespace cpglake::columnar
