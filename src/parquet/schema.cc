#include "parquet/schema.h"

#include "common/error.h"

namespace cpglake::parquet {

using columnar::DataType;
using columnar::Field;
using columnar::TypePtr;

namespace {

constexpr int kMaxSchemaDepth = 100;

struct TreeNode {
  const SchemaElement* e = nullptr;
  std::vector<TreeNode> children;
  bool is_leaf() const { return !e->num_children.has_value() || *e->num_children == 0; }
  FieldRepetitionType repetition() const {
    return e->repetition_type.value_or(FieldRepetitionType::REQUIRED);
  }
};

TreeNode BuildTree(const std::vector<SchemaElement>& elements, size_t* pos, int depth) {
  if (depth > kMaxSchemaDepth) throw CorruptData("parquet schema is nested too deeply");
  if (*pos >= elements.size()) {
    throw CorruptData("parquet schema ends early: a group claims more children than exist");
  }
  TreeNode n;
  n.e = &elements[(*pos)++];
  if (n.e->num_children && *n.e->num_children < 0) {
    throw CorruptData("parquet schema element '" + n.e->name + "' has a negative child count");
  }
  int count = n.e->num_children.value_or(0);
  if (count > static_cast<int>(elements.size() - *pos)) {
    throw CorruptData("parquet schema element '" + n.e->name + "' claims " + std::to_string(count) +
                      " children but only " + std::to_string(elements.size() - *pos) +
                      " elements remain");
  }
  for (int i = 0; i < count; ++i) n.children.push_back(BuildTree(elements, pos, depth + 1));
  if (count == 0 && depth > 0 && !n.e->type) {
    if (n.e->num_children) return n;  // an empty group: kept, mapped to an empty struct
    throw CorruptData("parquet schema leaf '" + n.e->name + "' has no physical type");
  }
  return n;
}

bool HasLogical(const SchemaElement& e, LogicalType::Kind k) {
  return e.logical_type && e.logical_type->kind == k;
}
bool HasConverted(const SchemaElement& e, ConvertedType c) {
  return e.converted_type && *e.converted_type == c;
}

TypePtr DecimalType(const SchemaElement& e, int* scale_out) {
  int precision = 0, scale = 0;
  if (HasLogical(e, LogicalType::Kind::DECIMAL)) {
    precision = e.logical_type->precision;
    scale = e.logical_type->scale;
  } else {
    precision = e.precision.value_or(0);
    scale = e.scale.value_or(0);
  }
  if (precision > columnar::DataType::kMaxDecimalPrecision) {
    throw Unsupported("column '" + e.name + "' is decimal(" + std::to_string(precision) + "," +
                      std::to_string(scale) + "): decimals over 38 digits are not supported");
  }
  if (precision < 1 || scale < 0 || scale > precision) {
    throw CorruptData("column '" + e.name + "' has an invalid decimal precision/scale (" +
                      std::to_string(precision) + "," + std::to_string(scale) + ")");
  }
  *scale_out = scale;
  return DataType::Decimal(precision, scale);
}

void MapLeaf(const SchemaElement& e, ReadNode* n) {
  const Type phys = *e.type;
  n->physical = phys;
  n->type_length = e.type_length.value_or(0);
  using K = LogicalType::Kind;
  const LogicalType* lt = e.logical_type ? &*e.logical_type : nullptr;
  const bool decimal = HasLogical(e, K::DECIMAL) || HasConverted(e, ConvertedType::DECIMAL);
  int scale = 0;
  auto set = [&](TypePtr t, LeafConversion c) {
    n->type = std::move(t);
    n->conversion = c;
  };
  switch (phys) {
    case Type::BOOLEAN:
      set(DataType::Boolean(), LeafConversion::kIdentity);
      return;
    case Type::INT32: {
      if (decimal) return set(DecimalType(e, &scale), LeafConversion::kInt32ToDecimal);
      if (HasLogical(e, K::DATE) || HasConverted(e, ConvertedType::DATE)) {
        return set(DataType::Date(), LeafConversion::kIdentity);
      }
      if (HasLogical(e, K::TIME) || HasConverted(e, ConvertedType::TIME_MILLIS)) {
        return set(DataType::Int64(), LeafConversion::kMillisToMicros);
      }
      int bits = 32;
      bool is_signed = true;
      if (lt && lt->kind == K::INTEGER) {
        bits = lt->bit_width;
        is_signed = lt->is_signed;
      } else if (e.converted_type) {
        switch (*e.converted_type) {
          case ConvertedType::INT_8:
            bits = 8;
            break;
          case ConvertedType::INT_16:
            bits = 16;
            break;
          case ConvertedType::UINT_8:
            bits = 8, is_signed = false;
            break;
          case ConvertedType::UINT_16:
            bits = 16, is_signed = false;
            break;
          case ConvertedType::UINT_32:
            is_signed = false;
            break;
          default:
            break;
        }
      }
      if (is_signed && bits == 8) return set(DataType::Int8(), LeafConversion::kInt32ToInt8);
      if (is_signed && bits == 16) return set(DataType::Int16(), LeafConversion::kInt32ToInt16);
      if (!is_signed && bits == 8) return set(DataType::Int16(), LeafConversion::kUInt8ToInt16);
      if (!is_signed && bits == 16) return set(DataType::Int32(), LeafConversion::kUInt16ToInt32);
      if (!is_signed) return set(DataType::Int64(), LeafConversion::kUInt32ToInt64);
      return set(DataType::Int32(), LeafConversion::kIdentity);
    }
    case Type::INT64: {
      if (decimal) return set(DecimalType(e, &scale), LeafConversion::kInt64ToDecimal);
      if (lt && lt->kind == K::TIMESTAMP) {
        TypePtr t = lt->is_adjusted_to_utc ? DataType::Timestamp() : DataType::TimestampNtz();
        if (lt->unit == TimeUnit::MILLIS) return set(t, LeafConversion::kMillisToMicros);
        if (lt->unit == TimeUnit::NANOS) return set(t, LeafConversion::kNanosToMicros);
        return set(t, LeafConversion::kIdentity);
      }
      if (HasConverted(e, ConvertedType::TIMESTAMP_MILLIS)) {
        return set(DataType::Timestamp(), LeafConversion::kMillisToMicros);
      }
      if (HasConverted(e, ConvertedType::TIMESTAMP_MICROS)) {
        return set(DataType::Timestamp(), LeafConversion::kIdentity);
      }
      if (lt && lt->kind == K::TIME) {
        if (lt->unit == TimeUnit::NANOS)
          return set(DataType::Int64(), LeafConversion::kNanosToMicros);
        return set(DataType::Int64(), LeafConversion::kIdentity);
      }
      bool is_unsigned = (lt && lt->kind == K::INTEGER && !lt->is_signed) ||
                         HasConverted(e, ConvertedType::UINT_64);
      if (is_unsigned) return set(DataType::Decimal(20, 0), LeafConversion::kUInt64ToDecimal);
      return set(DataType::Int64(), LeafConversion::kIdentity);
    }
    case Type::INT96:
      set(DataType::Timestamp(), LeafConversion::kInt96ToMicros);
      return;
    case Type::FLOAT:
      set(DataType::Float32(), LeafConversion::kIdentity);
      return;
    case Type::DOUBLE:
      set(DataType::Float64(), LeafConversion::kIdentity);
      return;
    case Type::BYTE_ARRAY:
      if (decimal) return set(DecimalType(e, &scale), LeafConversion::kBytesToDecimal);
      if (HasLogical(e, K::STRING) || HasLogical(e, K::ENUM) || HasLogical(e, K::JSON) ||
          HasConverted(e, ConvertedType::UTF8) || HasConverted(e, ConvertedType::ENUM) ||
          HasConverted(e, ConvertedType::JSON)) {
        return set(DataType::String(), LeafConversion::kBytes);
      }
      return set(DataType::Binary(), LeafConversion::kBytes);
    case Type::FIXED_LEN_BYTE_ARRAY:
      if (n->type_length <= 0) {
        throw CorruptData("fixed-length column '" + e.name + "' has no positive type_length");
      }
      if (decimal) return set(DecimalType(e, &scale), LeafConversion::kBytesToDecimal);
      if (HasLogical(e, K::UUID) && n->type_length == 16) {
        return set(DataType::String(), LeafConversion::kUuidToString);
      }
      if (HasLogical(e, K::FLOAT16) && n->type_length == 2) {
        return set(DataType::Float32(), LeafConversion::kFloat16ToFloat);
      }
      return set(DataType::Binary(), LeafConversion::kBytes);
  }
  throw CorruptData("column '" + e.name + "' has an unknown physical type " +
                    std::to_string(static_cast<int>(phys)));
}

struct Builder {
  std::vector<std::string> leaf_paths;
  std::vector<const SchemaElement*> leaf_elements;

  // A field as it appears inside a group: handles the repetition of `t` itself.
  ReadNode Field(const TreeNode& t, int16_t def, int16_t rep, int16_t slot_rep, int16_t slot_def,
                 const std::string& path) {
    std::string my_path = path.empty() ? t.e->name : path + "." + t.e->name;
    if (t.repetition() == FieldRepetitionType::REPEATED) {
      // An unannotated repeated field: a non-null list of required elements.
      ReadNode list;
      list.kind = ReadNode::Kind::kList;
      list.name = t.e->name;
      list.nullable = false;
      list.def_level = def;
      list.slot_rep = slot_rep;
      list.slot_def = slot_def;
      list.elem_rep = rep + 1;
      list.elem_def = def + 1;
      ReadNode elem = Value(t, def + 1, rep + 1, rep + 1, def + 1, false, my_path);
      elem.name = "element";
      list.type = DataType::List(Field_(elem));
      list.children.push_back(std::move(elem));
      return list;
    }
    bool optional = t.repetition() == FieldRepetitionType::OPTIONAL;
    return Value(t, def + (optional ? 1 : 0), rep, slot_rep, slot_def, optional, my_path);
  }

  static columnar::Field Field_(const ReadNode& n) {
    return columnar::Field(n.name, n.type, n.nullable);
  }

  ReadNode Value(const TreeNode& t, int16_t def, int16_t rep, int16_t slot_rep, int16_t slot_def,
                 bool nullable, const std::string& path) {
    ReadNode n;
    n.name = t.e->name;
    n.nullable = nullable;
    n.def_level = def;
    n.slot_rep = slot_rep;
    n.slot_def = slot_def;
    if (t.is_leaf() && t.e->type) {
      n.kind = ReadNode::Kind::kLeaf;
      MapLeaf(*t.e, &n);
      n.max_def = def;
      n.max_rep = rep;
      n.leaf = static_cast<int>(leaf_paths.size());
      leaf_paths.push_back(path);
      leaf_elements.push_back(t.e);
      return n;
    }
    const SchemaElement& e = *t.e;
    bool is_list = HasLogical(e, LogicalType::Kind::LIST) || HasConverted(e, ConvertedType::LIST);
    bool is_map = HasLogical(e, LogicalType::Kind::MAP) || HasConverted(e, ConvertedType::MAP) ||
                  HasConverted(e, ConvertedType::MAP_KEY_VALUE);
    if ((is_list || is_map) && t.children.size() == 1 &&
        t.children[0].repetition() == FieldRepetitionType::REPEATED) {
      const TreeNode& r = t.children[0];
      const int16_t rdef = def + 1, rrep = rep + 1;
      const std::string rpath = path + "." + r.e->name;
      if (is_map && !r.is_leaf() && (r.children.size() == 1 || r.children.size() == 2)) {
        n.kind = ReadNode::Kind::kMap;
        n.elem_rep = rrep;
        n.elem_def = rdef;
        ReadNode key = Field(r.children[0], rdef, rrep, rrep, rdef, rpath);
        key.name = "key";
        ReadNode value;
        if (r.children.size() == 2) {
          value = Field(r.children[1], rdef, rrep, rrep, rdef, rpath);
        } else {
          value.kind = ReadNode::Kind::kLeaf;  // a map without values: all null
          value.type = DataType::Null();
          value.leaf = -1;
          value.slot_rep = rrep;
          value.slot_def = rdef;
        }
        value.name = "value";
        n.type = DataType::Map(columnar::Field("key", key.type, false), Field_(value));
        n.children.push_back(std::move(key));
        n.children.push_back(std::move(value));
        return n;
      }
      if (is_list) {
        n.kind = ReadNode::Kind::kList;
        n.elem_rep = rrep;
        n.elem_def = rdef;
        ReadNode elem;
        bool legacy_struct = !r.is_leaf() && (r.children.size() > 1 || r.e->name == "array" ||
                                              r.e->name == e.name + "_tuple");
        if (r.is_leaf() || legacy_struct) {
          // Two-level list: the repeated node itself is the (required) element.
          elem = Value(r, rdef, rrep, rrep, rdef, false, rpath);
        } else {
          elem = Field(r.children[0], rdef, rrep, rrep, rdef, rpath);
        }
        elem.name = "element";
        n.type = DataType::List(Field_(elem));
        n.children.push_back(std::move(elem));
        return n;
      }
    }
    // A plain group: a struct.
    n.kind = ReadNode::Kind::kStruct;
    std::vector<columnar::Field> fields;
    for (const auto& c : t.children) {
      n.children.push_back(Field(c, def, rep, slot_rep, slot_def, path));
      fields.push_back(Field_(n.children.back()));
    }
    n.type = DataType::Struct(std::move(fields));
    return n;
  }
};

void AssignLeaves(ReadNode* n, const std::vector<ReadNode>* siblings_unused) {
  if (n->kind == ReadNode::Kind::kLeaf) {
    n->first_leaf = n->leaf;
    n->num_leaves = n->leaf >= 0 ? 1 : 0;
    return;
  }
  n->first_leaf = -1;
  n->num_leaves = 0;
  for (auto& c : n->children) {
    AssignLeaves(&c, nullptr);
    if (n->first_leaf < 0) n->first_leaf = c.first_leaf;
    n->num_leaves += c.num_leaves;
  }
  // A value-less map's null leaf borrows the key's levels.
  if (n->kind == ReadNode::Kind::kMap && n->children[1].leaf < 0 &&
      n->children[1].kind == ReadNode::Kind::kLeaf) {
    n->children[1].first_leaf = n->children[0].first_leaf;
  }
}

}  // namespace

FileSchema::FileSchema(const std::vector<SchemaElement>& elements) {
  if (elements.empty()) throw CorruptData("parquet schema is empty");
  size_t pos = 0;
  TreeNode root = BuildTree(elements, &pos, 0);
  if (pos != elements.size()) {
    throw CorruptData("parquet schema has " + std::to_string(elements.size() - pos) +
                      " elements that belong to no group");
  }
  Builder b;
  std::vector<columnar::Field> fields;
  for (const auto& c : root.children) {
    fields_.push_back(b.Field(c, 0, 0, 0, 0, ""));
    AssignLeaves(&fields_.back(), nullptr);
    fields.push_back(Builder::Field_(fields_.back()));
  }
  schema_ = columnar::Schema(std::move(fields));
  leaf_paths_ = std::move(b.leaf_paths);
  leaf_elements_ = std::move(b.leaf_elements);
}

}  // namespace cpglake::parquet
