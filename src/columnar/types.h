// columnar/ — the in-memory data model every layer above shares: a type system covering
// every Delta Lake type, nullable column vectors (validity bitmaps, offset-based strings
// and lists), record batches, scalar values, comparison and hashing, and formatting.
// Depends only on common/.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cpglake::columnar {

// Physical layout per type (see Column):
//   kBoolean: uint8 0/1 per value        kInt8..kInt64, kFloat32, kFloat64: native values
//   kDecimal: __int128 unscaled value      kDate: int32 days since 1970-01-01
//   kTimestamp / kTimestampNtz: int64 microseconds since the epoch (UTC / wall clock)
//   kString / kBinary: int64 offsets (length + 1) and a byte buffer
//   kStruct: one child column per field   kList: int64 offsets + one element child
//   kMap: int64 offsets + two children (keys, values)      kNull: no storage (void)
enum class TypeId : uint8_t {
  kNull,
  kBoolean,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFloat32,
  kFloat64,
  kDecimal,
  kString,
  kBinary,
  kDate,
  kTimestamp,
  kTimestampNtz,
  kStruct,
  kList,
  kMap,
};

class DataType;
using TypePtr = std::shared_ptr<const DataType>;

// One named, typed slot of a struct or schema. `metadata` holds Delta field metadata:
// key → JSON-encoded value (e.g. "delta.columnMapping.id" → "3").
struct Field {
  std::string name;
  TypePtr type;
  bool nullable = true;
  std::vector<std::pair<std::string, std::string>> metadata;

  Field() = default;
  Field(std::string n, TypePtr t, bool null = true)
      : name(std::move(n)), type(std::move(t)), nullable(null) {}
  const std::string* FindMetadata(std::string_view key) const;
  bool Equals(const Field& other, bool check_metadata = false) const;
};

class DataType {
 public:
  static constexpr int kMaxDecimalPrecision = 38;

  static TypePtr Null();
  static TypePtr Boolean();
  static TypePtr Int8();
  static TypePtr Int16();
  static TypePtr Int32();
  static TypePtr Int64();
  static TypePtr Float32();
  static TypePtr Float64();
  static TypePtr Decimal(int precision, int scale);  // InvalidInput unless 1<=p<=38, 0<=s<=p
  static TypePtr String();
  static TypePtr Binary();
  static TypePtr Date();
  static TypePtr Timestamp();
  static TypePtr TimestampNtz();
  static TypePtr Struct(std::vector<Field> fields);
  static TypePtr List(Field element);
  static TypePtr List(TypePtr element, bool contains_null = true);
  static TypePtr Map(Field key, Field value);
  static TypePtr Map(TypePtr key, TypePtr value, bool value_contains_null = true);

  TypeId id() const { return id_; }
  int precision() const { return precision_; }
  int scale() const { return scale_; }
  // Struct: its fields. List: one field "element". Map: "key" then "value".
  const std::vector<Field>& fields() const { return fields_; }
  const Field& element() const { return fields_.at(0); }
  const Field& key() const { return fields_.at(0); }
  const Field& value() const { return fields_.at(1); }

  bool is_nested() const {
    return id_ == TypeId::kStruct || id_ == TypeId::kList || id_ == TypeId::kMap;
  }
  bool has_offsets() const {
    return id_ == TypeId::kString || id_ == TypeId::kBinary || id_ == TypeId::kList ||
           id_ == TypeId::kMap;
  }
  // Bytes per value in the data buffer for fixed-width types; 0 for others.
  int byte_width() const;

  // Delta-style type text: "integer", "decimal(10,2)", "array<string>",
  // "struct<a:long,b:map<string,int>>".
  std::string ToString() const;
  bool Equals(const DataType& other, bool check_metadata = false) const;

 private:
  explicit DataType(TypeId id) : id_(id) {}
  TypeId id_;
  int precision_ = 0;
  int scale_ = 0;
  std::vector<Field> fields_;
};

std::string_view TypeIdName(TypeId id);

// Type categories shared by the layers above (casts, comparisons, pruning).
inline bool IsIntegerType(TypeId id) {
  return id == TypeId::kInt8 || id == TypeId::kInt16 || id == TypeId::kInt32 ||
         id == TypeId::kInt64;
}
inline bool IsFloatType(TypeId id) {
  return id == TypeId::kFloat32 || id == TypeId::kFloat64;
}
inline bool IsNumericType(TypeId id) {
  return IsIntegerType(id) || IsFloatType(id) || id == TypeId::kDecimal;
}
inline bool IsTimestampType(TypeId id) {
  return id == TypeId::kTimestamp || id == TypeId::kTimestampNtz;
}
inline bool IsBytesType(TypeId id) {
  return id == TypeId::kString || id == TypeId::kBinary;
}
// Bytes of an integer type (8 for anything else).
inline int IntegerWidth(TypeId id) {
  return id == TypeId::kInt8 ? 1 : id == TypeId::kInt16 ? 2 : id == TypeId::kInt32 ? 4 : 8;
}

// An ordered list of top-level fields.
class Schema {
 public:
  Schema() = default;
  explicit Schema(std::vector<Field> fields) : fields_(std::move(fields)) {}
  const std::vector<Field>& fields() const { return fields_; }
  size_t num_fields() const { return fields_.size(); }
  const Field& field(size_t i) const { return fields_.at(i); }
  // Index of the field named `name` (exact match), or -1.
  int FieldIndex(std::string_view name) const;
  std::string ToString() const;
  bool Equals(const Schema& other, bool check_metadata = false) const;

 private:
  std::vector<Field> fields_;
};

}  // namespace cpglake::columnar
