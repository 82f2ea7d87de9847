// The Delta schema JSON (PROTOCOL.md "Schema Serialization Format", Spark's StructType JSON)
// to and from the columnar type system, plus the column-mapping helpers (PROTOCOL.md
// "Column Mapping") that turn a logical schema into the physical one the Parquet reader sees.
//
// Type mapping (Delta name → columnar): boolean → Boolean, byte → Int8, short → Int16,
// integer → Int32, long → Int64, float → Float32, double → Float64, decimal(p,s) → Decimal
// (spaces allowed inside the parentheses; plain "decimal" is Spark's decimal(10,0)),
// string → String, binary → Binary, date → Date, timestamp → Timestamp, timestamp_ntz →
// TimestampNtz, void → Null, struct / array / map → Struct / List / Map. Array
// `containsNull` is the element field's nullability, map `valueContainsNull` the value
// field's; map keys are never null. `variant`, `geometry(...)`, `geography(...)`,
// `char(n)`, `varchar(n)`, interval and user-defined types are Unsupported, naming the type.
//
// Field metadata is kept as key → JSON text of the value, minified: "delta.columnMapping.id"
// holds "5", "delta.columnMapping.physicalName" holds "\"col-...\"" (with its quotes),
// "delta.typeChanges" holds the JSON array, "__COLLATIONS" the JSON object. Order is kept.
// Malformed schema JSON is CorruptData.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "columnar/types.h"

namespace cpglake::delta {

// Parses a metaData.schemaString. The top level must be a struct. An empty string gives an
// empty schema: old Spark writers logged metaData without a schemaString for a table that
// had no columns yet, and Spark reads that as an empty struct.
columnar::Schema ParseDeltaSchema(std::string_view schema_string);

// The Delta schema JSON of `schema` (compact, fields in order, metadata values written
// verbatim — they must be valid JSON text, else InvalidInput). Metadata on list elements and
// map keys/values has no place in the Delta JSON and is dropped. Parses back to an equal
// schema (metadata included).
std::string SerializeDeltaSchema(const columnar::Schema& schema);

// The Delta spelling of a type: the type name for primitives ("integer", "decimal(10,2)",
// "timestamp_ntz", "void"); for struct / array / map, the JSON object text that would appear
// as the "type" of a field ({"type":"array","elementType":"long","containsNull":true}).
std::string TypeToDeltaString(const columnar::DataType& type);

// Parses one type: a primitive name ("decimal(10, 2)") or the JSON object text of a nested
// type, as TypeToDeltaString writes it. Unknown names are Unsupported.
columnar::TypePtr ParseDeltaType(std::string_view type_text);

// Parses the type text DataType::ToString writes (and users type): "long", "decimal(10,2)",
// "array<string>", "map<string,long>", "struct<a:integer,b:array<double>>"; nested elements,
// values and fields are nullable. InvalidInput (with the offset) or Unsupported otherwise.
columnar::TypePtr ParseTypeText(std::string_view text);

enum class ColumnMappingMode { kNone, kName, kId };

// The value of the table property "delta.columnMapping.mode" ("none", "name", "id", any
// case); a missing property is kNone. Other values are Unsupported.
ColumnMappingMode ParseColumnMappingMode(std::string_view value);
std::string_view ColumnMappingModeName(ColumnMappingMode mode);

// Metadata keys of column mapping.
inline constexpr std::string_view kPhysicalNameKey = "delta.columnMapping.physicalName";
inline constexpr std::string_view kColumnMappingIdKey = "delta.columnMapping.id";

// The field's "delta.columnMapping.physicalName" (decoded from its JSON string), or its
// logical name when there is none.
std::string PhysicalName(const columnar::Field& field);

// The field's "delta.columnMapping.id", when present and an integer.
std::optional<int64_t> ColumnMappingId(const columnar::Field& field);

// The schema as stored in the data files: with kName or kId, every struct field (top level
// and nested inside structs, list elements and map keys/values) is renamed to its physical
// name; metadata is kept, so the Parquet reader can still match by PhysicalName() or, in id
// mode, by ColumnMappingId(). kNone returns `logical` unchanged. In kName mode a struct field
// without a physical name is CorruptData (the protocol gives every column one); in kId mode
// such a field keeps its logical name (files are matched by id there).
columnar::Schema ToPhysicalSchema(const columnar::Schema& logical, ColumnMappingMode mode);

}  // namespace cpglake::delta
