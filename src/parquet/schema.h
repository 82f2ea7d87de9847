// The Parquet schema tree of a file (flattened SchemaElements → nodes with definition and
// repetition levels) and its mapping to columnar types, including the legacy LIST and MAP
// layouts older writers produce (see LogicalTypes.md, "backward-compatibility rules").
//
// Type mapping (physical + annotation → columnar):
//   BOOLEAN → boolean; INT32 → integer, or byte/short (INT(8|16)), date (DATE), decimal,
//   long (UINT_32 / INT(32,false)), long micros (TIME); INT64 → long, timestamp /
//   timestamp_ntz (TIMESTAMP by isAdjustedToUTC; ms/ns converted to µs), decimal,
//   decimal(20,0) (UINT_64), long micros (TIME); INT96 → timestamp; FLOAT → float;
//   DOUBLE → double; BYTE_ARRAY → string (STRING/UTF8/ENUM/JSON), decimal, else binary;
//   FIXED_LEN_BYTE_ARRAY → decimal, string (UUID, formatted 8-4-4-4-12), float (FLOAT16),
//   else binary. Decimals wider than 38 digits are refused (Unsupported).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "columnar/types.h"
#include "parquet/metadata.h"

namespace cpglake::parquet {

// How a leaf's physical values become columnar values.
enum class LeafConversion : uint8_t {
  kIdentity,  // same bytes (boolean, int32, int64, float, double, date, µs timestamps)
  kInt32ToInt8,
  kInt32ToInt16,
  kUInt32ToInt64,  // also UINT_8/UINT_16 widened into int16/int32 via kInt32To*
  kUInt8ToInt16,
  kUInt16ToInt32,
  kInt32ToDecimal,
  kInt64ToDecimal,
  kUInt64ToDecimal,
  kMillisToMicros,  // INT64 ms timestamps, INT32 TIME_MILLIS
  kNanosToMicros,
  kInt96ToMicros,
  kBytesToDecimal,  // big-endian two's complement, BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY
  kUuidToString,
  kFloat16ToFloat,
  kBytes,  // string or binary as is
};

// One node of the tree the reader assembles. Levels follow the Dremel rules: `def_level`
// is the definition level at which this node's value is present (not null);
// (`slot_rep`, `slot_def`) say which level entries of a leaf below start one value of
// this node: entry i starts a value when rep[i] <= slot_rep and def[i] >= slot_def.
struct ReadNode {
  enum class Kind : uint8_t { kLeaf, kStruct, kList, kMap };
  Kind kind = Kind::kLeaf;
  std::string name;
  columnar::TypePtr type;
  bool nullable = true;
  int16_t def_level = 0;
  int16_t slot_rep = 0;
  int16_t slot_def = 0;
  // Lists and maps: the repeated node's levels (an element exists when def >= elem_def).
  int16_t elem_rep = 0;
  int16_t elem_def = 0;
  // Leaves: index into the file's leaf columns, physical type, conversion, max levels.
  int leaf = -1;
  Type physical = Type::BOOLEAN;
  int32_t type_length = 0;
  LeafConversion conversion = LeafConversion::kIdentity;
  int16_t max_def = 0;
  int16_t max_rep = 0;
  // First leaf below (or at) this node: its levels drive the assembly.
  int first_leaf = -1;
  int num_leaves = 0;
  std::vector<ReadNode> children;  // struct fields; list: element; map: key, value
};

class FileSchema {
 public:
  // Throws CorruptData for inconsistent trees (children counts, missing types) and
  // Unsupported for valid types cpglake cannot represent.
  explicit FileSchema(const std::vector<SchemaElement>& elements);

  // The top-level fields, one ReadNode each.
  const std::vector<ReadNode>& fields() const { return fields_; }
  const columnar::Schema& schema() const { return schema_; }
  int num_leaves() const { return static_cast<int>(leaf_paths_.size()); }
  // Dotted path of leaf i ("a.list.element.b"), as in ColumnMetaData::path_in_schema.
  const std::string& leaf_path(int i) const { return leaf_paths_[i]; }
  const SchemaElement& leaf_element(int i) const { return *leaf_elements_[i]; }
  // Index of the top-level field with this name, or -1.
  int FieldIndex(std::string_view name) const { return schema_.FieldIndex(name); }

 private:
  std::vector<ReadNode> fields_;
  columnar::Schema schema_;
  std::vector<std::string> leaf_paths_;
  std::vector<const SchemaElement*> leaf_elements_;
};

}  // namespace cpglake::parquet
