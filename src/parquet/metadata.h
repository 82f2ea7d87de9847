// parquet/metadata — the Parquet footer and page-header model.
//
// Owns: plain C++ structs mirroring `parquet.thrift` (FileMetaData and everything
// under it, PageHeader and its per-page-type headers), and their Thrift Compact
// Protocol decoding and encoding. The Thrift codec itself (thrift_internal.h) is
// private to parquet/; callers see only these structs and the four functions at
// the bottom. Calls only common/ (errors).
//
// Conventions:
//  * Names follow the spec: enums and their values as in parquet.thrift, struct
//    fields in snake_case (`logical_type` for the spec's `logicalType`).
//  * Optional Thrift fields are `std::optional<>`; optional lists are plain vectors
//    where empty means absent. Required fields are plain members.
//  * Enum members hold the raw wire value: a value this code does not know (a newer
//    encoding, say) decodes fine and is refused later by whoever must interpret it.
//    Negative enum values are never valid and throw CorruptData.
//  * Decoding treats bytes as hostile: truncation, oversize lengths and counts, missing
//    required fields, negative sizes/counts/offsets, unions with zero or two members
//    and over-deep nesting all throw `CorruptData` naming the struct and field.
//    Statistics are advisory and not checked.
//  * Compatible with Thrift-generated readers: unknown fields are skipped, and so is a
//    field whose wire type cannot hold its declared type (real writers reuse field ids);
//    i16/i32/i64 share one wire encoding and are accepted for one another when the
//    value fits. Unknown LogicalType / TimeUnit / ColumnOrder members decode as
//    UNRECOGNIZED.
//  * Parts this reader never interprets are kept as presence flags only: encryption
//    metadata (files using it are refused elsewhere as Unsupported), IndexPageHeader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cpglake::parquet {

// Physical types.
enum class Type : int32_t {
  BOOLEAN = 0,
  INT32 = 1,
  INT64 = 2,
  INT96 = 3,
  FLOAT = 4,
  DOUBLE = 5,
  BYTE_ARRAY = 6,
  FIXED_LEN_BYTE_ARRAY = 7,
};

// Legacy annotations, superseded by LogicalType but still written by most writers.
enum class ConvertedType : int32_t {
  UTF8 = 0,
  MAP = 1,
  MAP_KEY_VALUE = 2,
  LIST = 3,
  ENUM = 4,
  DECIMAL = 5,
  DATE = 6,
  TIME_MILLIS = 7,
  TIME_MICROS = 8,
  TIMESTAMP_MILLIS = 9,
  TIMESTAMP_MICROS = 10,
  UINT_8 = 11,
  UINT_16 = 12,
  UINT_32 = 13,
  UINT_64 = 14,
  INT_8 = 15,
  INT_16 = 16,
  INT_32 = 17,
  INT_64 = 18,
  JSON = 19,
  BSON = 20,
  INTERVAL = 21,
};

enum class FieldRepetitionType : int32_t {
  REQUIRED = 0,
  OPTIONAL = 1,
  REPEATED = 2,
};

enum class Encoding : int32_t {
  PLAIN = 0,
  // 1 was GROUP_VAR_INT, never used.
  PLAIN_DICTIONARY = 2,
  RLE = 3,
  BIT_PACKED = 4,
  DELTA_BINARY_PACKED = 5,
  DELTA_LENGTH_BYTE_ARRAY = 6,
  DELTA_BYTE_ARRAY = 7,
  RLE_DICTIONARY = 8,
  BYTE_STREAM_SPLIT = 9,
};

enum class CompressionCodec : int32_t {
  UNCOMPRESSED = 0,
  SNAPPY = 1,
  GZIP = 2,
  LZO = 3,
  BROTLI = 4,
  LZ4 = 5,  // Hadoop-framed or raw, depending on the writer
  ZSTD = 6,
  LZ4_RAW = 7,
};

enum class PageType : int32_t {
  DATA_PAGE = 0,
  INDEX_PAGE = 1,
  DICTIONARY_PAGE = 2,
  DATA_PAGE_V2 = 3,
};

enum class BoundaryOrder : int32_t {
  UNORDERED = 0,
  ASCENDING = 1,
  DESCENDING = 2,
};

// Spec names of enum values ("RLE_DICTIONARY"); "UNKNOWN" for values not listed above.
std::string_view TypeName(Type t);
std::string_view ConvertedTypeName(ConvertedType t);
std::string_view EncodingName(Encoding e);
std::string_view CompressionCodecName(CompressionCodec c);
std::string_view PageTypeName(PageType t);

// Min/max statistics of a column chunk or page. Values are PLAIN-encoded without the
// length prefix of byte arrays.
struct Statistics {
  std::optional<std::string> max;  // deprecated: signed-order max
  std::optional<std::string> min;  // deprecated: signed-order min
  std::optional<int64_t> null_count;
  std::optional<int64_t> distinct_count;
  std::optional<std::string> max_value;  // by the column's ColumnOrder
  std::optional<std::string> min_value;
  std::optional<bool> is_max_value_exact;
  std::optional<bool> is_min_value_exact;
  std::optional<int64_t> nan_count;

  bool operator==(const Statistics&) const = default;
};

enum class TimeUnit : uint8_t {
  MILLIS,
  MICROS,
  NANOS,
  UNRECOGNIZED,  // a TimeUnit union member this code does not know
};

// The LogicalType union, flattened: `kind` says which member is set and only the
// parameters of that member are meaningful.
struct LogicalType {
  enum class Kind : uint8_t {
    STRING,
    MAP,
    LIST,
    ENUM,
    DECIMAL,  // scale, precision
    DATE,
    TIME,       // is_adjusted_to_utc, unit
    TIMESTAMP,  // is_adjusted_to_utc, unit
    INTEGER,    // bit_width, is_signed
    UNKNOWN,    // the spec's name for the always-null type (NullType)
    JSON,
    BSON,
    UUID,
    FLOAT16,
    VARIANT,       // variant_specification_version
    GEOMETRY,      // crs
    GEOGRAPHY,     // crs, edge_algorithm
    UNRECOGNIZED,  // a union member this code does not know: see unrecognized_field_id
  };

  Kind kind = Kind::UNRECOGNIZED;
  int32_t scale = 0;
  int32_t precision = 0;
  bool is_adjusted_to_utc = false;
  TimeUnit unit = TimeUnit::MILLIS;
  int8_t bit_width = 0;
  bool is_signed = false;
  std::optional<int8_t> variant_specification_version;
  std::optional<std::string> crs;
  std::optional<int32_t> edge_algorithm;  // EdgeInterpolationAlgorithm, 0 = SPHERICAL
  int16_t unrecognized_field_id = 0;

  static LogicalType Of(Kind kind) {
    LogicalType t;
    t.kind = kind;
    return t;
  }
  static LogicalType Decimal(int32_t scale, int32_t precision) {
    LogicalType t = Of(Kind::DECIMAL);
    t.scale = scale;
    t.precision = precision;
    return t;
  }
  static LogicalType Time(bool is_adjusted_to_utc, TimeUnit unit) {
    LogicalType t = Of(Kind::TIME);
    t.is_adjusted_to_utc = is_adjusted_to_utc;
    t.unit = unit;
    return t;
  }
  static LogicalType Timestamp(bool is_adjusted_to_utc, TimeUnit unit) {
    LogicalType t = Time(is_adjusted_to_utc, unit);
    t.kind = Kind::TIMESTAMP;
    return t;
  }
  static LogicalType Integer(int8_t bit_width, bool is_signed) {
    LogicalType t = Of(Kind::INTEGER);
    t.bit_width = bit_width;
    t.is_signed = is_signed;
    return t;
  }

  bool operator==(const LogicalType&) const = default;
};

// One node of the schema tree, flattened depth-first into FileMetaData::schema.
// Groups have num_children and no type; leaves have a type and no num_children.
struct SchemaElement {
  std::optional<Type> type;
  std::optional<int32_t> type_length;
  std::optional<FieldRepetitionType> repetition_type;  // absent on the root
  std::string name;
  std::optional<int32_t> num_children;
  std::optional<ConvertedType> converted_type;
  std::optional<int32_t> scale;
  std::optional<int32_t> precision;
  std::optional<int32_t> field_id;
  std::optional<LogicalType> logical_type;

  bool operator==(const SchemaElement&) const = default;
};

struct KeyValue {
  std::string key;
  std::optional<std::string> value;

  bool operator==(const KeyValue&) const = default;
};

struct SortingColumn {
  int32_t column_idx = 0;
  bool descending = false;
  bool nulls_first = false;

  bool operator==(const SortingColumn&) const = default;
};

struct PageEncodingStats {
  PageType page_type = PageType::DATA_PAGE;
  Encoding encoding = Encoding::PLAIN;
  int32_t count = 0;

  bool operator==(const PageEncodingStats&) const = default;
};

struct ColumnMetaData {
  Type type = Type::BOOLEAN;
  std::vector<Encoding> encodings;
  std::vector<std::string> path_in_schema;
  CompressionCodec codec = CompressionCodec::UNCOMPRESSED;
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  std::vector<KeyValue> key_value_metadata;  // empty = absent
  int64_t data_page_offset = 0;
  std::optional<int64_t> index_page_offset;
  std::optional<int64_t> dictionary_page_offset;  // some writers store 0 for "none"
  std::optional<Statistics> statistics;
  std::vector<PageEncodingStats> encoding_stats;  // empty = absent
  std::optional<int64_t> bloom_filter_offset;
  std::optional<int32_t> bloom_filter_length;

  bool operator==(const ColumnMetaData&) const = default;
};

struct ColumnChunk {
  std::optional<std::string> file_path;  // data in another file (summary files only)
  int64_t file_offset = 0;               // deprecated; 0 when the writer omitted it
  std::optional<ColumnMetaData> meta_data;
  std::optional<int64_t> offset_index_offset;
  std::optional<int32_t> offset_index_length;
  std::optional<int64_t> column_index_offset;
  std::optional<int32_t> column_index_length;
  // Column encryption: present or not, contents not kept. Encoding writes a
  // placeholder (ENCRYPTION_WITH_FOOTER_KEY / empty binary) when set.
  bool has_crypto_metadata = false;
  bool has_encrypted_column_metadata = false;

  bool operator==(const ColumnChunk&) const = default;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t total_byte_size = 0;
  int64_t num_rows = 0;
  std::vector<SortingColumn> sorting_columns;  // empty = absent
  std::optional<int64_t> file_offset;
  std::optional<int64_t> total_compressed_size;
  std::optional<int16_t> ordinal;

  bool operator==(const RowGroup&) const = default;
};

// The ColumnOrder union: only TYPE_ORDER is interpreted.
struct ColumnOrder {
  enum class Kind : uint8_t { TYPE_ORDER, UNRECOGNIZED };
  Kind kind = Kind::TYPE_ORDER;
  int16_t unrecognized_field_id = 0;  // the union member's field id when UNRECOGNIZED

  bool operator==(const ColumnOrder&) const = default;
};

struct FileMetaData {
  int32_t version = 0;
  std::vector<SchemaElement> schema;  // schema[0] is the root
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::vector<KeyValue> key_value_metadata;  // empty = absent
  std::optional<std::string> created_by;
  std::vector<ColumnOrder> column_orders;  // empty = absent; one per leaf column
  // Plaintext-footer encryption: present or not, contents not kept. Encoding writes a
  // placeholder (AES_GCM_V1 / empty binary) when set.
  bool has_encryption_algorithm = false;
  bool has_footer_signing_key_metadata = false;

  bool operator==(const FileMetaData&) const = default;
};

struct DataPageHeader {
  int32_t num_values = 0;  // including nulls
  Encoding encoding = Encoding::PLAIN;
  Encoding definition_level_encoding = Encoding::RLE;
  Encoding repetition_level_encoding = Encoding::RLE;
  std::optional<Statistics> statistics;

  bool operator==(const DataPageHeader&) const = default;
};

struct IndexPageHeader {
  bool operator==(const IndexPageHeader&) const = default;
};

struct DictionaryPageHeader {
  int32_t num_values = 0;
  Encoding encoding = Encoding::PLAIN;
  std::optional<bool> is_sorted;

  bool operator==(const DictionaryPageHeader&) const = default;
};

struct DataPageHeaderV2 {
  int32_t num_values = 0;  // including nulls
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  Encoding encoding = Encoding::PLAIN;
  int32_t definition_levels_byte_length = 0;  // levels are never compressed
  int32_t repetition_levels_byte_length = 0;
  bool is_compressed = true;  // the spec default when absent; always encoded
  std::optional<Statistics> statistics;

  bool operator==(const DataPageHeaderV2&) const = default;
};

struct PageHeader {
  PageType type = PageType::DATA_PAGE;
  int32_t uncompressed_page_size = 0;  // excluding the header
  int32_t compressed_page_size = 0;    // excluding the header
  std::optional<int32_t> crc;
  std::optional<DataPageHeader> data_page_header;
  std::optional<IndexPageHeader> index_page_header;
  std::optional<DictionaryPageHeader> dictionary_page_header;
  std::optional<DataPageHeaderV2> data_page_header_v2;

  bool operator==(const PageHeader&) const = default;
};

// Decodes a footer: the `size` Thrift bytes that precede the 4-byte footer length and
// the "PAR1" magic. Bytes after the FileMetaData struct are ignored.
// Throws CorruptData.
FileMetaData DecodeFileMetaData(const uint8_t* data, size_t size);

// Decodes the page header at the start of [data, data + size) and stores its encoded
// length in *header_size (the page data follows it). Also checks that the header for
// the page's type is present (DATA_PAGE has data_page_header, ...) and that v2 level
// lengths fit in the page. Throws CorruptData.
PageHeader DecodePageHeader(const uint8_t* data, size_t size, size_t* header_size);

// Append the Thrift encoding to *out.
void EncodeFileMetaData(const FileMetaData& metadata, std::string* out);
void EncodePageHeader(const PageHeader& header, std::string* out);

}  // namespace cpglake::parquet
