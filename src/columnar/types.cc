#include "columnar/types.h"

#include "common/error.h"

namespace cpglake::columnar {

const std::string* Field::FindMetadata(std::string_view key) const {
  for (const auto& [k, v] : metadata) {
    if (k == key) return &v;
  }
  return nullptr;
}

bool Field::Equals(const Field& other, bool check_metadata) const {
  if (name != other.name || nullable != other.nullable) return false;
  if (check_metadata && metadata != other.metadata) return false;
  return type->Equals(*other.type, check_metadata);
}

#define CPGLAKE_SIMPLE_TYPE(Fn, Id)                   \
  TypePtr DataType::Fn() {                            \
    static const TypePtr t(new DataType(TypeId::Id)); \
    return t;                                         \
  }
CPGLAKE_SIMPLE_TYPE(Null, kNull)
CPGLAKE_SIMPLE_TYPE(Boolean, kBoolean)
CPGLAKE_SIMPLE_TYPE(Int8, kInt8)
CPGLAKE_SIMPLE_TYPE(Int16, kInt16)
CPGLAKE_SIMPLE_TYPE(Int32, kInt32)
CPGLAKE_SIMPLE_TYPE(Int64, kInt64)
CPGLAKE_SIMPLE_TYPE(Float32, kFloat32)
CPGLAKE_SIMPLE_TYPE(Float64, kFloat64)
CPGLAKE_SIMPLE_TYPE(String, kString)
CPGLAKE_SIMPLE_TYPE(Binary, kBinary)
CPGLAKE_SIMPLE_TYPE(Date, kDate)
CPGLAKE_SIMPLE_TYPE(Timestamp, kTimestamp)
CPGLAKE_SIMPLE_TYPE(TimestampNtz, kTimestampNtz)
#undef CPGLAKE_SIMPLE_TYPE

TypePtr DataType::Decimal(int precision, int scale) {
  if (precision < 1 || precision > kMaxDecimalPrecision || scale < 0 || scale > precision) {
    throw InvalidInput("invalid decimal(" + std::to_string(precision) + "," +
                       std::to_string(scale) + "): precision must be 1..38 and scale 0..precision");
  }
  auto* t = new DataType(TypeId::kDecimal);
  t->precision_ = precision;
  t->scale_ = scale;
  return TypePtr(t);
}

TypePtr DataType::Struct(std::vector<Field> fields) {
  auto* t = new DataType(TypeId::kStruct);
  t->fields_ = std::move(fields);
  return TypePtr(t);
}

TypePtr DataType::List(Field element) {
  auto* t = new DataType(TypeId::kList);
  element.name = "element";
  t->fields_.push_back(std::move(element));
  return TypePtr(t);
}

TypePtr DataType::List(TypePtr element, bool contains_null) {
  return List(Field("element", std::move(element), contains_null));
}

TypePtr DataType::Map(Field key, Field value) {
  auto* t = new DataType(TypeId::kMap);
  key.name = "key";
  key.nullable = false;
  value.name = "value";
  t->fields_.push_back(std::move(key));
  t->fields_.push_back(std::move(value));
  return TypePtr(t);
}

TypePtr DataType::Map(TypePtr key, TypePtr value, bool value_contains_null) {
  return Map(Field("key", std::move(key), false),
             Field("value", std::move(value), value_contains_null));
}

int DataType::byte_width() const {
  switch (id_) {
    case TypeId::kBoolean:
    case TypeId::kInt8:
      return 1;
    case TypeId::kInt16:
      return 2;
    case TypeId::kInt32:
    case TypeId::kFloat32:
    case TypeId::kDate:
      return 4;
    case TypeId::kInt64:
    case TypeId::kFloat64:
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz:
      return 8;
    case TypeId::kDecimal:
      return 16;
    default:
      return 0;
  }
}

std::string_view TypeIdName(TypeId id) {
  switch (id) {
    case TypeId::kNull:
      return "void";
    case TypeId::kBoolean:
      return "boolean";
    case TypeId::kInt8:
      return "byte";
    case TypeId::kInt16:
      return "short";
    case TypeId::kInt32:
      return "integer";
    case TypeId::kInt64:
      return "long";
    case TypeId::kFloat32:
      return "float";
    case TypeId::kFloat64:
      return "double";
    case TypeId::kDecimal:
      return "decimal";
    case TypeId::kString:
      return "string";
    case TypeId::kBinary:
      return "binary";
    case TypeId::kDate:
      return "date";
    case TypeId::kTimestamp:
      return "timestamp";
    case TypeId::kTimestampNtz:
      return "timestamp_ntz";
    case TypeId::kStruct:
      return "struct";
    case TypeId::kList:
      return "array";
    case TypeId::kMap:
      return "map";
  }
  return "unknown";
}

std::string DataType::ToString() const {
  switch (id_) {
    case TypeId::kDecimal:
      return "decimal(" + std::to_string(precision_) + "," + std::to_string(scale_) + ")";
    case TypeId::kStruct: {
      std::string s = "struct<";
      for (size_t i = 0; i < fields_.size(); ++i) {
        if (i) s += ",";
        s += fields_[i].name + ":" + fields_[i].type->ToString();
        if (!fields_[i].nullable) s += " not null";
      }
      return s + ">";
    }
    case TypeId::kList:
      return "array<" + fields_[0].type->ToString() + ">";
    case TypeId::kMap:
      return "map<" + fields_[0].type->ToString() + "," + fields_[1].type->ToString() + ">";
    default:
      return std::string(TypeIdName(id_));
  }
}

bool DataType::Equals(const DataType& other, bool check_metadata) const {
  if (this == &other) return true;
  if (id_ != other.id_ || precision_ != other.precision_ || scale_ != other.scale_) return false;
  if (fields_.size() != other.fields_.size()) return false;
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (!fields_[i].Equals(other.fields_[i], check_metadata)) return false;
  }
  return true;
}

int Schema::FieldIndex(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string Schema::ToString() const {
  std::string s;
  for (const auto& f : fields_) {
    s += f.name + ": " + f.type->ToString() + (f.nullable ? "" : " not null") + "\n";
  }
  return s;
}

bool Schema::Equals(const Schema& other, bool check_metadata) const {
  if (fields_.size() != other.fields_.size()) return false;
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (!fields_[i].Equals(other.fields_[i], check_metadata)) return false;
  }
  return true;
}

}  // namespace cpglake::columnar
