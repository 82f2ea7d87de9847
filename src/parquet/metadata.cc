#include "parquet/metadata.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <type_traits>
#include <utility>

#include "common/error.h"
#include "parquet/thrift_internal.h"

namespace cpglake::parquet {

// ---------------------------------------------------------------------------------------
// Enum names

namespace {

// Looks up the spec name of an enum value in a table indexed by value.
template <typename E, size_t N>
std::string_view NameOf(E value, const std::string_view (&names)[N]) {
  const auto i = static_cast<int64_t>(value);
  if (i < 0 || i >= static_cast<int64_t>(N) || names[i].empty()) return "UNKNOWN";
  return names[i];
}

constexpr std::string_view kTypeNames[] = {
    "BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
constexpr std::string_view kConvertedTypeNames[] = {"UTF8",
                                                    "MAP",
                                                    "MAP_KEY_VALUE",
                                                    "LIST",
                                                    "ENUM",
                                                    "DECIMAL",
                                                    "DATE",
                                                    "TIME_MILLIS",
                                                    "TIME_MICROS",
                                                    "TIMESTAMP_MILLIS",
                                                    "TIMESTAMP_MICROS",
                                                    "UINT_8",
                                                    "UINT_16",
                                                    "UINT_32",
                                                    "UINT_64",
                                                    "INT_8",
                                                    "INT_16",
                                                    "INT_32",
                                                    "INT_64",
                                                    "JSON",
                                                    "BSON",
                                                    "INTERVAL"};
constexpr std::string_view kEncodingNames[] = {"PLAIN",
                                               "",  // 1: GROUP_VAR_INT, never used
                                               "PLAIN_DICTIONARY",
                                               "RLE",
                                               "BIT_PACKED",
                                               "DELTA_BINARY_PACKED",
                                               "DELTA_LENGTH_BYTE_ARRAY",
                                               "DELTA_BYTE_ARRAY",
                                               "RLE_DICTIONARY",
                                               "BYTE_STREAM_SPLIT"};
constexpr std::string_view kCodecNames[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                            "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
constexpr std::string_view kPageTypeNames[] = {"DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE",
                                               "DATA_PAGE_V2"};

}  // namespace

std::string_view TypeName(Type t) {
  return NameOf(t, kTypeNames);
}
std::string_view ConvertedTypeName(ConvertedType t) {
  return NameOf(t, kConvertedTypeNames);
}
std::string_view EncodingName(Encoding e) {
  return NameOf(e, kEncodingNames);
}
std::string_view CompressionCodecName(CompressionCodec c) {
  return NameOf(c, kCodecNames);
}
std::string_view PageTypeName(PageType t) {
  return NameOf(t, kPageTypeNames);
}

namespace {

using F = ThriftFieldHeader;
using R = ThriftCompactReader;
using W = ThriftCompactWriter;
using TT = ThriftType;

// ---------------------------------------------------------------------------------------
// Decoding helpers.
//
// Like Thrift-generated readers, a field whose wire type cannot hold the declared type
// is skipped, as if unknown (real files reuse field ids: a Dremio writer put a list in
// ColumnMetaData field 15, which the spec has since given to bloom_filter_length).
// A skipped required field is then reported missing. The integer types i16/i32/i64
// share one wire encoding and are accepted for one another when the value fits.
//
// Every Get* consumes the field's value and returns whether it stored it. `name` is
// "Struct.field", used only in error messages.

// Reads the fields of one struct, calling on_field(header) for each; on_field returns
// false for an unknown field id, whose value is then skipped.
template <typename OnField>
inline void ReadStruct(R& r, OnField&& on_field) {
  r.StructBegin();
  for (;;) {
    const F f = r.ReadFieldHeader();
    if (f.type == TT::kStop) break;
    if (!on_field(f)) r.Skip(f.type);
  }
  r.StructEnd();
}

inline bool IsVarintType(TT t) {
  return t == TT::kI16 || t == TT::kI32 || t == TT::kI64;
}

[[noreturn]] void OutOfRange(R& r, const char* name, int64_t value, const char* type) {
  r.Fail(fmt::format("{} value {} is out of range for {}", name, value, type));
}

// Reads an integer encoded as wire type `wire` (one of the varint types).
template <typename Int>
inline Int ReadVarintAs(R& r, TT wire, const char* name) {
  if constexpr (std::is_same_v<Int, int64_t>) {
    return r.ReadI64();  // zigzag is width-independent: any varint type reads as i64
  } else {
    if constexpr (std::is_same_v<Int, int32_t>) {
      if (wire == TT::kI32) return r.ReadI32();  // the common case
    }
    const int64_t v = r.ReadI64();
    if (v < std::numeric_limits<Int>::min() || v > std::numeric_limits<Int>::max()) {
      OutOfRange(r, name, v, std::is_same_v<Int, int32_t> ? "i32" : "i16");
    }
    return static_cast<Int>(v);
  }
}

// Reads an enum value. Values this code does not know pass through (a newer writer's
// encoding, say); negative ones are never valid.
template <typename E>
inline E ReadEnumAs(R& r, TT wire, const char* name) {
  const int32_t v = ReadVarintAs<int32_t>(r, wire, name);
  if (v < 0) r.Fail(fmt::format("{} has invalid enum value {}", name, v));
  return static_cast<E>(v);
}

inline bool Mismatch(R& r, const F& f) {
  r.Skip(f.type);
  return false;
}

template <typename Int>
inline bool GetInt(R& r, const F& f, const char* name, Int* out) {
  if (!IsVarintType(f.type)) return Mismatch(r, f);
  *out = ReadVarintAs<Int>(r, f.type, name);
  return true;
}

template <typename Int>
inline bool GetInt(R& r, const F& f, const char* name, std::optional<Int>* out) {
  if (!IsVarintType(f.type)) return Mismatch(r, f);
  *out = ReadVarintAs<Int>(r, f.type, name);
  return true;
}

template <typename E>
inline bool GetEnum(R& r, const F& f, const char* name, E* out) {
  if (!IsVarintType(f.type)) return Mismatch(r, f);
  *out = ReadEnumAs<E>(r, f.type, name);
  return true;
}

template <typename E>
inline bool GetEnum(R& r, const F& f, const char* name, std::optional<E>* out) {
  if (!IsVarintType(f.type)) return Mismatch(r, f);
  *out = ReadEnumAs<E>(r, f.type, name);
  return true;
}

template <typename T>  // int8_t or std::optional<int8_t>
inline bool GetI8(R& r, const F& f, T* out) {
  if (f.type != TT::kByte) return Mismatch(r, f);
  *out = r.ReadByte();
  return true;
}

template <typename T>  // bool or std::optional<bool>
inline bool GetBool(R& r, const F& f, T* out) {
  if (!IsBoolType(f.type)) return Mismatch(r, f);
  *out = R::BoolFieldValue(f);
  return true;
}

inline bool GetString(R& r, const F& f, std::string* out) {
  if (f.type != TT::kBinary) return Mismatch(r, f);
  r.ReadString(out);
  return true;
}

inline bool GetString(R& r, const F& f, std::optional<std::string>* out) {
  if (f.type != TT::kBinary) return Mismatch(r, f);
  r.ReadString(&out->emplace());
  return true;
}

// A binary field whose contents are not kept.
inline bool SkipBinary(R& r, const F& f) {
  if (f.type != TT::kBinary) return Mismatch(r, f);
  r.ReadBinary();
  return true;
}

// A struct field, decoded by decode().
template <typename Decode>
inline bool GetStruct(R& r, const F& f, Decode&& decode) {
  if (f.type != TT::kStruct) return Mismatch(r, f);
  decode();
  return true;
}

// A struct field whose contents are not kept (it may gain fields in future versions).
inline bool SkipStruct(R& r, const F& f) {
  if (f.type != TT::kStruct) return Mismatch(r, f);
  r.Skip(TT::kStruct);
  return true;
}

// A list field with elements of wire type `elem` (for a varint type, any varint type),
// read by read_elem(actual element type) into the cleared *out.
template <typename T, typename ReadElem>
inline bool GetList(R& r, const F& f, TT elem, std::vector<T>* out, ReadElem&& read_elem) {
  if (f.type != TT::kList) return Mismatch(r, f);
  const ThriftListHeader h = r.ReadListHeader();
  out->clear();
  if (h.elem_type != elem && !(IsVarintType(elem) && IsVarintType(h.elem_type))) {
    for (uint32_t i = 0; i < h.size; ++i) r.SkipElement(h.elem_type);
    return false;
  }
  // The count is already bounded by the remaining bytes; cap the up-front reservation
  // anyway, as an element can be far larger in memory than on the wire.
  out->reserve(std::min<uint32_t>(h.size, 1024));
  for (uint32_t i = 0; i < h.size; ++i) read_elem(h.elem_type);
  return true;
}

template <typename T, typename Decode>
inline bool GetStructList(R& r, const F& f, std::vector<T>* out, Decode decode) {
  return GetList(r, f, TT::kStruct, out, [&](TT) { decode(r, &out->emplace_back()); });
}

[[noreturn]] void MissingField(const char* strukt, const char* field) {
  throw CorruptData(fmt::format("thrift: {} is missing required field {}", strukt, field));
}

inline void Require(bool present, const char* strukt, const char* field) {
  if (!present) MissingField(strukt, field);
}

template <typename T>
[[noreturn]] void NegativeValue(const char* context, const char* field, T value) {
  throw CorruptData(fmt::format("{}: negative {} {}", context, field, value));
}

template <typename T>
inline void NonNegative(const char* context, const char* field, T value) {
  if (value < 0) NegativeValue(context, field, value);
}

template <typename T>
inline void NonNegative(const char* context, const char* field, const std::optional<T>& value) {
  if (value && *value < 0) NegativeValue(context, field, *value);
}

// ---------------------------------------------------------------------------------------
// Struct decoders

void DecodeStatistics(R& r, Statistics* s) {
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        GetString(r, f, &s->max);
        return true;
      case 2:
        GetString(r, f, &s->min);
        return true;
      case 3:
        GetInt(r, f, "Statistics.null_count", &s->null_count);
        return true;
      case 4:
        GetInt(r, f, "Statistics.distinct_count", &s->distinct_count);
        return true;
      case 5:
        GetString(r, f, &s->max_value);
        return true;
      case 6:
        GetString(r, f, &s->min_value);
        return true;
      case 7:
        GetBool(r, f, &s->is_max_value_exact);
        return true;
      case 8:
        GetBool(r, f, &s->is_min_value_exact);
        return true;
      case 9:
        GetInt(r, f, "Statistics.nan_count", &s->nan_count);
        return true;
    }
    return false;
  });
}

bool GetStatistics(R& r, const F& f, std::optional<Statistics>* out) {
  return GetStruct(r, f, [&] { DecodeStatistics(r, &out->emplace()); });
}

TimeUnit DecodeTimeUnit(R& r) {
  TimeUnit unit = TimeUnit::UNRECOGNIZED;
  bool seen = false;
  ReadStruct(r, [&](const F& f) {
    if (seen) r.Fail("TimeUnit union has more than one member set");
    seen = true;
    if (f.type == TT::kStruct && f.id >= 1 && f.id <= 3) {
      r.Skip(TT::kStruct);
      unit = f.id == 1 ? TimeUnit::MILLIS : f.id == 2 ? TimeUnit::MICROS : TimeUnit::NANOS;
      return true;
    }
    return false;  // a newer unit: UNRECOGNIZED
  });
  if (!seen) r.Fail("TimeUnit union has no member set");
  return unit;
}

// TimeType and TimestampType share their layout.
void DecodeTimeType(R& r, const char* strukt, LogicalType* t) {
  bool has_utc = false, has_unit = false;
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        has_utc |= GetBool(r, f, &t->is_adjusted_to_utc);
        return true;
      case 2:
        has_unit |= GetStruct(r, f, [&] { t->unit = DecodeTimeUnit(r); });
        return true;
    }
    return false;
  });
  Require(has_utc, strukt, "isAdjustedToUTC");
  Require(has_unit, strukt, "unit");
}

void DecodeDecimalType(R& r, LogicalType* t) {
  bool has_scale = false, has_precision = false;
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        has_scale |= GetInt(r, f, "DecimalType.scale", &t->scale);
        return true;
      case 2:
        has_precision |= GetInt(r, f, "DecimalType.precision", &t->precision);
        return true;
    }
    return false;
  });
  Require(has_scale, "DecimalType", "scale");
  Require(has_precision, "DecimalType", "precision");
}

void DecodeIntType(R& r, LogicalType* t) {
  bool has_width = false, has_signed = false;
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        has_width |= GetI8(r, f, &t->bit_width);
        return true;
      case 2:
        has_signed |= GetBool(r, f, &t->is_signed);
        return true;
    }
    return false;
  });
  Require(has_width, "IntType", "bitWidth");
  Require(has_signed, "IntType", "isSigned");
}

void DecodeLogicalTypeMember(R& r, const F& f, LogicalType* t) {
  using K = LogicalType::Kind;
  // Every member is a struct; one that is not is a member this code cannot know.
  if (f.type == TT::kStruct) {
    switch (f.id) {
      case 1:
        t->kind = K::STRING;
        break;
      case 2:
        t->kind = K::MAP;
        break;
      case 3:
        t->kind = K::LIST;
        break;
      case 4:
        t->kind = K::ENUM;
        break;
      case 5:
        t->kind = K::DECIMAL;
        return DecodeDecimalType(r, t);
      case 6:
        t->kind = K::DATE;
        break;
      case 7:
        t->kind = K::TIME;
        return DecodeTimeType(r, "TimeType", t);
      case 8:
        t->kind = K::TIMESTAMP;
        return DecodeTimeType(r, "TimestampType", t);
      case 10:
        t->kind = K::INTEGER;
        return DecodeIntType(r, t);
      case 11:
        t->kind = K::UNKNOWN;
        break;
      case 12:
        t->kind = K::JSON;
        break;
      case 13:
        t->kind = K::BSON;
        break;
      case 14:
        t->kind = K::UUID;
        break;
      case 15:
        t->kind = K::FLOAT16;
        break;
      case 16:
        t->kind = K::VARIANT;
        return ReadStruct(r, [&](const F& g) {
          if (g.id != 1) return false;
          GetI8(r, g, &t->variant_specification_version);
          return true;
        });
      case 17:
        t->kind = K::GEOMETRY;
        return ReadStruct(r, [&](const F& g) {
          if (g.id != 1) return false;
          GetString(r, g, &t->crs);
          return true;
        });
      case 18:
        t->kind = K::GEOGRAPHY;
        return ReadStruct(r, [&](const F& g) {
          switch (g.id) {
            case 1:
              GetString(r, g, &t->crs);
              return true;
            case 2:
              GetInt(r, g, "GeographyType.algorithm", &t->edge_algorithm);
              return true;
          }
          return false;
        });
      default:
        t->kind = K::UNRECOGNIZED;
        break;
    }
  } else {
    t->kind = K::UNRECOGNIZED;
  }
  if (t->kind == K::UNRECOGNIZED) t->unrecognized_field_id = f.id;
  r.Skip(f.type);  // a parameterless member: an empty struct today, maybe more tomorrow
}

void DecodeLogicalType(R& r, LogicalType* t) {
  bool seen = false;
  ReadStruct(r, [&](const F& f) {
    if (seen) r.Fail("LogicalType union has more than one member set");
    seen = true;
    DecodeLogicalTypeMember(r, f, t);
    return true;
  });
  if (!seen) r.Fail("LogicalType union has no member set");
}

void DecodeSchemaElement(R& r, SchemaElement* e) {
  bool has_name = false;
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        GetEnum(r, f, "SchemaElement.type", &e->type);
        return true;
      case 2:
        GetInt(r, f, "SchemaElement.type_length", &e->type_length);
        return true;
      case 3:
        GetEnum(r, f, "SchemaElement.repetition_type", &e->repetition_type);
        return true;
      case 4:
        has_name |= GetString(r, f, &e->name);
        return true;
      case 5:
        GetInt(r, f, "SchemaElement.num_children", &e->num_children);
        return true;
      case 6:
        GetEnum(r, f, "SchemaElement.converted_type", &e->converted_type);
        return true;
      case 7:
        GetInt(r, f, "SchemaElement.scale", &e->scale);
        return true;
      case 8:
        GetInt(r, f, "SchemaElement.precision", &e->precision);
        return true;
      case 9:
        GetInt(r, f, "SchemaElement.field_id", &e->field_id);
        return true;
      case 10:
        GetStruct(r, f, [&] { DecodeLogicalType(r, &e->logical_type.emplace()); });
        return true;
    }
    return false;
  });
  Require(has_name, "SchemaElement", "name");
  NonNegative("schema element", "num_children", e->num_children);
  NonNegative("schema element", "type_length", e->type_length);
}

void DecodeKeyValue(R& r, KeyValue* kv) {
  bool has_key = false;
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        has_key |= GetString(r, f, &kv->key);
        return true;
      case 2:
        GetString(r, f, &kv->value);
        return true;
    }
    return false;
  });
  Require(has_key, "KeyValue", "key");
}

void DecodeSortingColumn(R& r, SortingColumn* c) {
  bool has_idx = false, has_desc = false, has_nulls = false;
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        has_idx |= GetInt(r, f, "SortingColumn.column_idx", &c->column_idx);
        return true;
      case 2:
        has_desc |= GetBool(r, f, &c->descending);
        return true;
      case 3:
        has_nulls |= GetBool(r, f, &c->nulls_first);
        return true;
    }
    return false;
  });
  Require(has_idx, "SortingColumn", "column_idx");
  Require(has_desc, "SortingColumn", "descending");
  Require(has_nulls, "SortingColumn", "nulls_first");
  NonNegative("sorting column", "column_idx", c->column_idx);
}

void DecodePageEncodingStats(R& r, PageEncodingStats* s) {
  bool has_type = false, has_encoding = false, has_count = false;
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        has_type |= GetEnum(r, f, "PageEncodingStats.page_type", &s->page_type);
        return true;
      case 2:
        has_encoding |= GetEnum(r, f, "PageEncodingStats.encoding", &s->encoding);
        return true;
      case 3:
        has_count |= GetInt(r, f, "PageEncodingStats.count", &s->count);
        return true;
    }
    return false;
  });
  Require(has_type, "PageEncodingStats", "page_type");
  Require(has_encoding, "PageEncodingStats", "encoding");
  Require(has_count, "PageEncodingStats", "count");
  NonNegative("page encoding stats", "count", s->count);
}

void DecodeColumnMetaData(R& r, ColumnMetaData* m) {
  // Required fields seen, one bit per field id.
  uint32_t seen = 0;
  auto mark = [&seen](int id, bool stored) {
    if (stored) seen |= 1u << id;
  };
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        mark(1, GetEnum(r, f, "ColumnMetaData.type", &m->type));
        return true;
      case 2:
        mark(2, GetList(r, f, TT::kI32, &m->encodings, [&](TT wire) {
               m->encodings.push_back(ReadEnumAs<Encoding>(r, wire, "ColumnMetaData.encodings"));
             }));
        return true;
      case 3:
        mark(3, GetList(r, f, TT::kBinary, &m->path_in_schema,
                        [&](TT) { m->path_in_schema.emplace_back(r.ReadBinary()); }));
        return true;
      case 4:
        mark(4, GetEnum(r, f, "ColumnMetaData.codec", &m->codec));
        return true;
      case 5:
        mark(5, GetInt(r, f, "ColumnMetaData.num_values", &m->num_values));
        return true;
      case 6:
        mark(6,
             GetInt(r, f, "ColumnMetaData.total_uncompressed_size", &m->total_uncompressed_size));
        return true;
      case 7:
        mark(7, GetInt(r, f, "ColumnMetaData.total_compressed_size", &m->total_compressed_size));
        return true;
      case 8:
        GetStructList(r, f, &m->key_value_metadata, DecodeKeyValue);
        return true;
      case 9:
        mark(9, GetInt(r, f, "ColumnMetaData.data_page_offset", &m->data_page_offset));
        return true;
      case 10:
        GetInt(r, f, "ColumnMetaData.index_page_offset", &m->index_page_offset);
        return true;
      case 11:
        GetInt(r, f, "ColumnMetaData.dictionary_page_offset", &m->dictionary_page_offset);
        return true;
      case 12:
        GetStatistics(r, f, &m->statistics);
        return true;
      case 13:
        GetStructList(r, f, &m->encoding_stats, DecodePageEncodingStats);
        return true;
      case 14:
        GetInt(r, f, "ColumnMetaData.bloom_filter_offset", &m->bloom_filter_offset);
        return true;
      case 15:
        GetInt(r, f, "ColumnMetaData.bloom_filter_length", &m->bloom_filter_length);
        return true;
    }
    return false;
  });
  static constexpr std::pair<int, const char*> kRequired[] = {
      {1, "type"},
      {2, "encodings"},
      {3, "path_in_schema"},
      {4, "codec"},
      {5, "num_values"},
      {6, "total_uncompressed_size"},
      {7, "total_compressed_size"},
      {9, "data_page_offset"},
  };
  for (const auto& [id, name] : kRequired) Require(seen & (1u << id), "ColumnMetaData", name);
  const char* ctx = "column metadata";
  NonNegative(ctx, "num_values", m->num_values);
  NonNegative(ctx, "total_uncompressed_size", m->total_uncompressed_size);
  NonNegative(ctx, "total_compressed_size", m->total_compressed_size);
  NonNegative(ctx, "data_page_offset", m->data_page_offset);
  NonNegative(ctx, "index_page_offset", m->index_page_offset);
  NonNegative(ctx, "dictionary_page_offset", m->dictionary_page_offset);
  NonNegative(ctx, "bloom_filter_offset", m->bloom_filter_offset);
  NonNegative(ctx, "bloom_filter_length", m->bloom_filter_length);
}

void DecodeColumnChunk(R& r, ColumnChunk* c) {
  bool has_file_offset = false;
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        GetString(r, f, &c->file_path);
        return true;
      case 2:
        has_file_offset |= GetInt(r, f, "ColumnChunk.file_offset", &c->file_offset);
        return true;
      case 3:
        GetStruct(r, f, [&] { DecodeColumnMetaData(r, &c->meta_data.emplace()); });
        return true;
      case 4:
        GetInt(r, f, "ColumnChunk.offset_index_offset", &c->offset_index_offset);
        return true;
      case 5:
        GetInt(r, f, "ColumnChunk.offset_index_length", &c->offset_index_length);
        return true;
      case 6:
        GetInt(r, f, "ColumnChunk.column_index_offset", &c->column_index_offset);
        return true;
      case 7:
        GetInt(r, f, "ColumnChunk.column_index_length", &c->column_index_length);
        return true;
      case 8:
        c->has_crypto_metadata |= SkipStruct(r, f);
        return true;
      case 9:
        c->has_encrypted_column_metadata |= SkipBinary(r, f);
        return true;
    }
    return false;
  });
  Require(has_file_offset, "ColumnChunk", "file_offset");
  const char* ctx = "column chunk";
  NonNegative(ctx, "offset_index_offset", c->offset_index_offset);
  NonNegative(ctx, "offset_index_length", c->offset_index_length);
  NonNegative(ctx, "column_index_offset", c->column_index_offset);
  NonNegative(ctx, "column_index_length", c->column_index_length);
}

void DecodeRowGroup(R& r, RowGroup* g) {
  bool has_columns = false, has_byte_size = false, has_rows = false;
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        has_columns |= GetStructList(r, f, &g->columns, DecodeColumnChunk);
        return true;
      case 2:
        has_byte_size |= GetInt(r, f, "RowGroup.total_byte_size", &g->total_byte_size);
        return true;
      case 3:
        has_rows |= GetInt(r, f, "RowGroup.num_rows", &g->num_rows);
        return true;
      case 4:
        GetStructList(r, f, &g->sorting_columns, DecodeSortingColumn);
        return true;
      case 5:
        GetInt(r, f, "RowGroup.file_offset", &g->file_offset);
        return true;
      case 6:
        GetInt(r, f, "RowGroup.total_compressed_size", &g->total_compressed_size);
        return true;
      case 7:
        GetInt(r, f, "RowGroup.ordinal", &g->ordinal);
        return true;
    }
    return false;
  });
  Require(has_columns, "RowGroup", "columns");
  Require(has_byte_size, "RowGroup", "total_byte_size");
  Require(has_rows, "RowGroup", "num_rows");
  const char* ctx = "row group";
  NonNegative(ctx, "num_rows", g->num_rows);
  NonNegative(ctx, "total_byte_size", g->total_byte_size);
  NonNegative(ctx, "file_offset", g->file_offset);
  NonNegative(ctx, "total_compressed_size", g->total_compressed_size);
}

void DecodeColumnOrder(R& r, ColumnOrder* o) {
  bool seen = false;
  ReadStruct(r, [&](const F& f) {
    if (seen) r.Fail("ColumnOrder union has more than one member set");
    seen = true;
    if (f.id == 1 && f.type == TT::kStruct) {
      o->kind = ColumnOrder::Kind::TYPE_ORDER;
    } else {
      o->kind = ColumnOrder::Kind::UNRECOGNIZED;
      o->unrecognized_field_id = f.id;
    }
    r.Skip(f.type);
    return true;
  });
  if (!seen) r.Fail("ColumnOrder union has no member set");
}

void DecodeFileMetaDataStruct(R& r, FileMetaData* md) {
  bool has_version = false, has_schema = false, has_rows = false, has_row_groups = false;
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        has_version |= GetInt(r, f, "FileMetaData.version", &md->version);
        return true;
      case 2:
        has_schema |= GetStructList(r, f, &md->schema, DecodeSchemaElement);
        return true;
      case 3:
        has_rows |= GetInt(r, f, "FileMetaData.num_rows", &md->num_rows);
        return true;
      case 4:
        has_row_groups |= GetStructList(r, f, &md->row_groups, DecodeRowGroup);
        return true;
      case 5:
        GetStructList(r, f, &md->key_value_metadata, DecodeKeyValue);
        return true;
      case 6:
        GetString(r, f, &md->created_by);
        return true;
      case 7:
        GetStructList(r, f, &md->column_orders, DecodeColumnOrder);
        return true;
      case 8:
        md->has_encryption_algorithm |= SkipStruct(r, f);
        return true;
      case 9:
        md->has_footer_signing_key_metadata |= SkipBinary(r, f);
        return true;
    }
    return false;
  });
  Require(has_version, "FileMetaData", "version");
  Require(has_schema, "FileMetaData", "schema");
  Require(has_rows, "FileMetaData", "num_rows");
  Require(has_row_groups, "FileMetaData", "row_groups");
  NonNegative("file metadata", "num_rows", md->num_rows);
}

void DecodeDataPageHeader(R& r, DataPageHeader* h) {
  bool has_values = false, has_enc = false, has_def = false, has_rep = false;
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        has_values |= GetInt(r, f, "DataPageHeader.num_values", &h->num_values);
        return true;
      case 2:
        has_enc |= GetEnum(r, f, "DataPageHeader.encoding", &h->encoding);
        return true;
      case 3:
        has_def |= GetEnum(r, f, "DataPageHeader.definition_level_encoding",
                           &h->definition_level_encoding);
        return true;
      case 4:
        has_rep |= GetEnum(r, f, "DataPageHeader.repetition_level_encoding",
                           &h->repetition_level_encoding);
        return true;
      case 5:
        GetStatistics(r, f, &h->statistics);
        return true;
    }
    return false;
  });
  Require(has_values, "DataPageHeader", "num_values");
  Require(has_enc, "DataPageHeader", "encoding");
  Require(has_def, "DataPageHeader", "definition_level_encoding");
  Require(has_rep, "DataPageHeader", "repetition_level_encoding");
  NonNegative("data page header", "num_values", h->num_values);
}

void DecodeDictionaryPageHeader(R& r, DictionaryPageHeader* h) {
  bool has_values = false, has_enc = false;
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        has_values |= GetInt(r, f, "DictionaryPageHeader.num_values", &h->num_values);
        return true;
      case 2:
        has_enc |= GetEnum(r, f, "DictionaryPageHeader.encoding", &h->encoding);
        return true;
      case 3:
        GetBool(r, f, &h->is_sorted);
        return true;
    }
    return false;
  });
  Require(has_values, "DictionaryPageHeader", "num_values");
  Require(has_enc, "DictionaryPageHeader", "encoding");
  NonNegative("dictionary page header", "num_values", h->num_values);
}

void DecodeDataPageHeaderV2(R& r, DataPageHeaderV2* h) {
  uint32_t seen = 0;  // one bit per required field id
  auto mark = [&seen](int id, bool stored) {
    if (stored) seen |= 1u << id;
  };
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        mark(1, GetInt(r, f, "DataPageHeaderV2.num_values", &h->num_values));
        return true;
      case 2:
        mark(2, GetInt(r, f, "DataPageHeaderV2.num_nulls", &h->num_nulls));
        return true;
      case 3:
        mark(3, GetInt(r, f, "DataPageHeaderV2.num_rows", &h->num_rows));
        return true;
      case 4:
        mark(4, GetEnum(r, f, "DataPageHeaderV2.encoding", &h->encoding));
        return true;
      case 5:
        mark(5, GetInt(r, f, "DataPageHeaderV2.definition_levels_byte_length",
                       &h->definition_levels_byte_length));
        return true;
      case 6:
        mark(6, GetInt(r, f, "DataPageHeaderV2.repetition_levels_byte_length",
                       &h->repetition_levels_byte_length));
        return true;
      case 7:
        GetBool(r, f, &h->is_compressed);
        return true;
      case 8:
        GetStatistics(r, f, &h->statistics);
        return true;
    }
    return false;
  });
  static constexpr const char* kRequired[] = {"num_values",
                                              "num_nulls",
                                              "num_rows",
                                              "encoding",
                                              "definition_levels_byte_length",
                                              "repetition_levels_byte_length"};
  for (int id = 1; id <= 6; ++id) {
    Require(seen & (1u << id), "DataPageHeaderV2", kRequired[id - 1]);
  }
  const char* ctx = "data page v2 header";
  NonNegative(ctx, "num_values", h->num_values);
  NonNegative(ctx, "num_nulls", h->num_nulls);
  NonNegative(ctx, "num_rows", h->num_rows);
  NonNegative(ctx, "definition_levels_byte_length", h->definition_levels_byte_length);
  NonNegative(ctx, "repetition_levels_byte_length", h->repetition_levels_byte_length);
}

void DecodePageHeaderStruct(R& r, PageHeader* h) {
  bool has_type = false, has_uncompressed = false, has_compressed = false;
  ReadStruct(r, [&](const F& f) {
    switch (f.id) {
      case 1:
        has_type |= GetEnum(r, f, "PageHeader.type", &h->type);
        return true;
      case 2:
        has_uncompressed |=
            GetInt(r, f, "PageHeader.uncompressed_page_size", &h->uncompressed_page_size);
        return true;
      case 3:
        has_compressed |= GetInt(r, f, "PageHeader.compressed_page_size", &h->compressed_page_size);
        return true;
      case 4:
        GetInt(r, f, "PageHeader.crc", &h->crc);
        return true;
      case 5:
        GetStruct(r, f, [&] { DecodeDataPageHeader(r, &h->data_page_header.emplace()); });
        return true;
      case 6:
        if (SkipStruct(r, f)) h->index_page_header.emplace();
        return true;
      case 7:
        GetStruct(r, f,
                  [&] { DecodeDictionaryPageHeader(r, &h->dictionary_page_header.emplace()); });
        return true;
      case 8:
        GetStruct(r, f, [&] { DecodeDataPageHeaderV2(r, &h->data_page_header_v2.emplace()); });
        return true;
    }
    return false;
  });
  Require(has_type, "PageHeader", "type");
  Require(has_uncompressed, "PageHeader", "uncompressed_page_size");
  Require(has_compressed, "PageHeader", "compressed_page_size");
}

void CheckPageHeader(const PageHeader& h) {
  const char* ctx = "page header";
  NonNegative(ctx, "uncompressed_page_size", h.uncompressed_page_size);
  NonNegative(ctx, "compressed_page_size", h.compressed_page_size);
  auto missing = [](const char* type, const char* field) {
    throw CorruptData(fmt::format("page header: {} page without {}", type, field));
  };
  switch (h.type) {
    case PageType::DATA_PAGE:
      if (!h.data_page_header) missing("DATA_PAGE", "data_page_header");
      break;
    case PageType::DICTIONARY_PAGE:
      if (!h.dictionary_page_header) missing("DICTIONARY_PAGE", "dictionary_page_header");
      break;
    case PageType::DATA_PAGE_V2: {
      if (!h.data_page_header_v2) missing("DATA_PAGE_V2", "data_page_header_v2");
      const DataPageHeaderV2& v2 = *h.data_page_header_v2;
      // Both lengths are non-negative i32, so the sum cannot overflow int64.
      const int64_t levels =
          int64_t{v2.definition_levels_byte_length} + v2.repetition_levels_byte_length;
      if (levels > h.compressed_page_size || levels > h.uncompressed_page_size) {
        throw CorruptData(
            fmt::format("page header: v2 level lengths {} + {} exceed page size (compressed {}, "
                        "uncompressed {})",
                        v2.definition_levels_byte_length, v2.repetition_levels_byte_length,
                        h.compressed_page_size, h.uncompressed_page_size));
      }
      break;
    }
    case PageType::INDEX_PAGE:
      break;
  }
}

// ---------------------------------------------------------------------------------------
// Encoders: fields in id order; optional fields only when set.

void EncodeStatistics(W& w, const Statistics& s) {
  w.StructBegin();
  if (s.max) w.BinaryField(1, *s.max);
  if (s.min) w.BinaryField(2, *s.min);
  if (s.null_count) w.I64Field(3, *s.null_count);
  if (s.distinct_count) w.I64Field(4, *s.distinct_count);
  if (s.max_value) w.BinaryField(5, *s.max_value);
  if (s.min_value) w.BinaryField(6, *s.min_value);
  if (s.is_max_value_exact) w.BoolField(7, *s.is_max_value_exact);
  if (s.is_min_value_exact) w.BoolField(8, *s.is_min_value_exact);
  if (s.nan_count) w.I64Field(9, *s.nan_count);
  w.StructEnd();
}

void StatisticsField(W& w, int16_t id, const std::optional<Statistics>& s) {
  if (!s) return;
  w.FieldHeader(TT::kStruct, id);
  EncodeStatistics(w, *s);
}

// A field whose value is an empty struct (a union member without parameters).
void EmptyStructField(W& w, int16_t id) {
  w.FieldHeader(TT::kStruct, id);
  w.StructBegin();
  w.StructEnd();
}

void EncodeTimeType(W& w, const LogicalType& t) {
  w.StructBegin();
  w.BoolField(1, t.is_adjusted_to_utc);
  w.FieldHeader(TT::kStruct, 2);
  w.StructBegin();
  switch (t.unit) {
    case TimeUnit::MILLIS:
      EmptyStructField(w, 1);
      break;
    case TimeUnit::MICROS:
      EmptyStructField(w, 2);
      break;
    case TimeUnit::NANOS:
      EmptyStructField(w, 3);
      break;
    case TimeUnit::UNRECOGNIZED:
      CPGLAKE_CHECK(false, "cannot encode an unrecognized TimeUnit");
  }
  w.StructEnd();
  w.StructEnd();
}

void EncodeLogicalType(W& w, const LogicalType& t) {
  using K = LogicalType::Kind;
  w.StructBegin();
  switch (t.kind) {
    case K::STRING:
      EmptyStructField(w, 1);
      break;
    case K::MAP:
      EmptyStructField(w, 2);
      break;
    case K::LIST:
      EmptyStructField(w, 3);
      break;
    case K::ENUM:
      EmptyStructField(w, 4);
      break;
    case K::DECIMAL:
      w.FieldHeader(TT::kStruct, 5);
      w.StructBegin();
      w.I32Field(1, t.scale);
      w.I32Field(2, t.precision);
      w.StructEnd();
      break;
    case K::DATE:
      EmptyStructField(w, 6);
      break;
    case K::TIME:
      w.FieldHeader(TT::kStruct, 7);
      EncodeTimeType(w, t);
      break;
    case K::TIMESTAMP:
      w.FieldHeader(TT::kStruct, 8);
      EncodeTimeType(w, t);
      break;
    case K::INTEGER:
      w.FieldHeader(TT::kStruct, 10);
      w.StructBegin();
      w.FieldHeader(TT::kByte, 1);
      w.WriteByte(t.bit_width);
      w.BoolField(2, t.is_signed);
      w.StructEnd();
      break;
    case K::UNKNOWN:
      EmptyStructField(w, 11);
      break;
    case K::JSON:
      EmptyStructField(w, 12);
      break;
    case K::BSON:
      EmptyStructField(w, 13);
      break;
    case K::UUID:
      EmptyStructField(w, 14);
      break;
    case K::FLOAT16:
      EmptyStructField(w, 15);
      break;
    case K::VARIANT:
      w.FieldHeader(TT::kStruct, 16);
      w.StructBegin();
      if (t.variant_specification_version) {
        w.FieldHeader(TT::kByte, 1);
        w.WriteByte(*t.variant_specification_version);
      }
      w.StructEnd();
      break;
    case K::GEOMETRY:
      w.FieldHeader(TT::kStruct, 17);
      w.StructBegin();
      if (t.crs) w.BinaryField(1, *t.crs);
      w.StructEnd();
      break;
    case K::GEOGRAPHY:
      w.FieldHeader(TT::kStruct, 18);
      w.StructBegin();
      if (t.crs) w.BinaryField(1, *t.crs);
      if (t.edge_algorithm) w.I32Field(2, *t.edge_algorithm);
      w.StructEnd();
      break;
    case K::UNRECOGNIZED:
      // Written as an empty struct member, which decodes back to UNRECOGNIZED.
      CPGLAKE_CHECK(t.unrecognized_field_id > 18 || t.unrecognized_field_id == 9,
                    "LogicalType::unrecognized_field_id must not be a known member id");
      EmptyStructField(w, t.unrecognized_field_id);
      break;
  }
  w.StructEnd();
}

void EncodeSchemaElement(W& w, const SchemaElement& e) {
  w.StructBegin();
  if (e.type) w.I32Field(1, static_cast<int32_t>(*e.type));
  if (e.type_length) w.I32Field(2, *e.type_length);
  if (e.repetition_type) w.I32Field(3, static_cast<int32_t>(*e.repetition_type));
  w.BinaryField(4, e.name);
  if (e.num_children) w.I32Field(5, *e.num_children);
  if (e.converted_type) w.I32Field(6, static_cast<int32_t>(*e.converted_type));
  if (e.scale) w.I32Field(7, *e.scale);
  if (e.precision) w.I32Field(8, *e.precision);
  if (e.field_id) w.I32Field(9, *e.field_id);
  if (e.logical_type) {
    w.FieldHeader(TT::kStruct, 10);
    EncodeLogicalType(w, *e.logical_type);
  }
  w.StructEnd();
}

void KeyValuesField(W& w, int16_t id, const std::vector<KeyValue>& kvs) {
  if (kvs.empty()) return;
  w.FieldHeader(TT::kList, id);
  w.ListHeader(TT::kStruct, kvs.size());
  for (const KeyValue& kv : kvs) {
    w.StructBegin();
    w.BinaryField(1, kv.key);
    if (kv.value) w.BinaryField(2, *kv.value);
    w.StructEnd();
  }
}

void EncodeColumnMetaData(W& w, const ColumnMetaData& m) {
  w.StructBegin();
  w.I32Field(1, static_cast<int32_t>(m.type));
  w.FieldHeader(TT::kList, 2);
  w.ListHeader(TT::kI32, m.encodings.size());
  for (Encoding e : m.encodings) w.WriteI32(static_cast<int32_t>(e));
  w.FieldHeader(TT::kList, 3);
  w.ListHeader(TT::kBinary, m.path_in_schema.size());
  for (const std::string& p : m.path_in_schema) w.WriteBinary(p);
  w.I32Field(4, static_cast<int32_t>(m.codec));
  w.I64Field(5, m.num_values);
  w.I64Field(6, m.total_uncompressed_size);
  w.I64Field(7, m.total_compressed_size);
  KeyValuesField(w, 8, m.key_value_metadata);
  w.I64Field(9, m.data_page_offset);
  if (m.index_page_offset) w.I64Field(10, *m.index_page_offset);
  if (m.dictionary_page_offset) w.I64Field(11, *m.dictionary_page_offset);
  StatisticsField(w, 12, m.statistics);
  if (!m.encoding_stats.empty()) {
    w.FieldHeader(TT::kList, 13);
    w.ListHeader(TT::kStruct, m.encoding_stats.size());
    for (const PageEncodingStats& s : m.encoding_stats) {
      w.StructBegin();
      w.I32Field(1, static_cast<int32_t>(s.page_type));
      w.I32Field(2, static_cast<int32_t>(s.encoding));
      w.I32Field(3, s.count);
      w.StructEnd();
    }
  }
  if (m.bloom_filter_offset) w.I64Field(14, *m.bloom_filter_offset);
  if (m.bloom_filter_length) w.I32Field(15, *m.bloom_filter_length);
  w.StructEnd();
}

void EncodeColumnChunk(W& w, const ColumnChunk& c) {
  w.StructBegin();
  if (c.file_path) w.BinaryField(1, *c.file_path);
  w.I64Field(2, c.file_offset);
  if (c.meta_data) {
    w.FieldHeader(TT::kStruct, 3);
    EncodeColumnMetaData(w, *c.meta_data);
  }
  if (c.offset_index_offset) w.I64Field(4, *c.offset_index_offset);
  if (c.offset_index_length) w.I32Field(5, *c.offset_index_length);
  if (c.column_index_offset) w.I64Field(6, *c.column_index_offset);
  if (c.column_index_length) w.I32Field(7, *c.column_index_length);
  if (c.has_crypto_metadata) {
    w.FieldHeader(TT::kStruct, 8);  // ColumnCryptoMetaData
    w.StructBegin();
    EmptyStructField(w, 1);  // ENCRYPTION_WITH_FOOTER_KEY
    w.StructEnd();
  }
  if (c.has_encrypted_column_metadata) w.BinaryField(9, "");
  w.StructEnd();
}

void EncodeRowGroup(W& w, const RowGroup& g) {
  w.StructBegin();
  w.FieldHeader(TT::kList, 1);
  w.ListHeader(TT::kStruct, g.columns.size());
  for (const ColumnChunk& c : g.columns) EncodeColumnChunk(w, c);
  w.I64Field(2, g.total_byte_size);
  w.I64Field(3, g.num_rows);
  if (!g.sorting_columns.empty()) {
    w.FieldHeader(TT::kList, 4);
    w.ListHeader(TT::kStruct, g.sorting_columns.size());
    for (const SortingColumn& s : g.sorting_columns) {
      w.StructBegin();
      w.I32Field(1, s.column_idx);
      w.BoolField(2, s.descending);
      w.BoolField(3, s.nulls_first);
      w.StructEnd();
    }
  }
  if (g.file_offset) w.I64Field(5, *g.file_offset);
  if (g.total_compressed_size) w.I64Field(6, *g.total_compressed_size);
  if (g.ordinal) {
    w.FieldHeader(TT::kI16, 7);
    w.WriteI16(*g.ordinal);
  }
  w.StructEnd();
}

void EncodeFileMetaDataStruct(W& w, const FileMetaData& md) {
  w.StructBegin();
  w.I32Field(1, md.version);
  w.FieldHeader(TT::kList, 2);
  w.ListHeader(TT::kStruct, md.schema.size());
  for (const SchemaElement& e : md.schema) EncodeSchemaElement(w, e);
  w.I64Field(3, md.num_rows);
  w.FieldHeader(TT::kList, 4);
  w.ListHeader(TT::kStruct, md.row_groups.size());
  for (const RowGroup& g : md.row_groups) EncodeRowGroup(w, g);
  KeyValuesField(w, 5, md.key_value_metadata);
  if (md.created_by) w.BinaryField(6, *md.created_by);
  if (!md.column_orders.empty()) {
    w.FieldHeader(TT::kList, 7);
    w.ListHeader(TT::kStruct, md.column_orders.size());
    for (const ColumnOrder& o : md.column_orders) {
      w.StructBegin();
      if (o.kind == ColumnOrder::Kind::TYPE_ORDER) {
        EmptyStructField(w, 1);
      } else {
        CPGLAKE_CHECK(o.unrecognized_field_id != 1,
                      "ColumnOrder::unrecognized_field_id must not be TYPE_ORDER's id");
        EmptyStructField(w, o.unrecognized_field_id);
      }
      w.StructEnd();
    }
  }
  if (md.has_encryption_algorithm) {
    w.FieldHeader(TT::kStruct, 8);  // EncryptionAlgorithm
    w.StructBegin();
    EmptyStructField(w, 1);  // AES_GCM_V1 with no fields set
    w.StructEnd();
  }
  if (md.has_footer_signing_key_metadata) w.BinaryField(9, "");
  w.StructEnd();
}

void EncodePageHeaderStruct(W& w, const PageHeader& h) {
  w.StructBegin();
  w.I32Field(1, static_cast<int32_t>(h.type));
  w.I32Field(2, h.uncompressed_page_size);
  w.I32Field(3, h.compressed_page_size);
  if (h.crc) w.I32Field(4, *h.crc);
  if (h.data_page_header) {
    const DataPageHeader& d = *h.data_page_header;
    w.FieldHeader(TT::kStruct, 5);
    w.StructBegin();
    w.I32Field(1, d.num_values);
    w.I32Field(2, static_cast<int32_t>(d.encoding));
    w.I32Field(3, static_cast<int32_t>(d.definition_level_encoding));
    w.I32Field(4, static_cast<int32_t>(d.repetition_level_encoding));
    StatisticsField(w, 5, d.statistics);
    w.StructEnd();
  }
  if (h.index_page_header) EmptyStructField(w, 6);
  if (h.dictionary_page_header) {
    const DictionaryPageHeader& d = *h.dictionary_page_header;
    w.FieldHeader(TT::kStruct, 7);
    w.StructBegin();
    w.I32Field(1, d.num_values);
    w.I32Field(2, static_cast<int32_t>(d.encoding));
    if (d.is_sorted) w.BoolField(3, *d.is_sorted);
    w.StructEnd();
  }
  if (h.data_page_header_v2) {
    const DataPageHeaderV2& d = *h.data_page_header_v2;
    w.FieldHeader(TT::kStruct, 8);
    w.StructBegin();
    w.I32Field(1, d.num_values);
    w.I32Field(2, d.num_nulls);
    w.I32Field(3, d.num_rows);
    w.I32Field(4, static_cast<int32_t>(d.encoding));
    w.I32Field(5, d.definition_levels_byte_length);
    w.I32Field(6, d.repetition_levels_byte_length);
    w.BoolField(7, d.is_compressed);
    StatisticsField(w, 8, d.statistics);
    w.StructEnd();
  }
  w.StructEnd();
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Public entry points

FileMetaData DecodeFileMetaData(const uint8_t* data, size_t size) {
  R r(data, size);
  FileMetaData md;
  DecodeFileMetaDataStruct(r, &md);
  return md;
}

PageHeader DecodePageHeader(const uint8_t* data, size_t size, size_t* header_size) {
  R r(data, size);
  PageHeader h;
  DecodePageHeaderStruct(r, &h);
  CheckPageHeader(h);
  *header_size = r.position();
  return h;
}

void EncodeFileMetaData(const FileMetaData& metadata, std::string* out) {
  W w(out);
  EncodeFileMetaDataStruct(w, metadata);
}

void EncodePageHeader(const PageHeader& header, std::string* out) {
  W w(out);
  EncodePageHeaderStruct(w, header);
}

}  // namespace cpglake::parquet
