// Tests for the Parquet footer / page-header model (parquet/metadata.h): round trips,
// hostile bytes, and every footer of the shared corpora.
#include "parquet/metadata.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "parquet/thrift_internal.h"
#include "test_util.h"

namespace cpglake::parquet {
namespace {

namespace fs = std::filesystem;
using TT = ThriftType;
using Kind = LogicalType::Kind;

const uint8_t* U8(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

FileMetaData DecodeFmd(const std::string& s) {
  return DecodeFileMetaData(U8(s), s.size());
}

PageHeader DecodePh(const std::string& s, size_t* header_size = nullptr) {
  size_t n = 0;
  PageHeader h = DecodePageHeader(U8(s), s.size(), &n);
  if (header_size) *header_size = n;
  return h;
}

template <typename Fn>
void ExpectCorrupt(Fn&& fn, std::string_view needle) {
  try {
    fn();
    ADD_FAILURE() << "expected CorruptData containing '" << needle << "'";
  } catch (const CorruptData& e) {
    EXPECT_NE(std::string_view(e.what()).find(needle), std::string_view::npos)
        << "message: " << e.what() << "\nexpected to contain: " << needle;
  }
}

// ---------------------------------------------------------------------------------------
// Sample values

Statistics FullStatistics() {
  Statistics s;
  s.max = std::string("\xff\x00max", 5);
  s.min = std::string("\x00min", 4);
  s.null_count = 3;
  s.distinct_count = 1000;
  s.max_value = "zz";
  s.min_value = "";
  s.is_max_value_exact = true;
  s.is_min_value_exact = false;
  s.nan_count = 0;
  return s;
}

std::vector<LogicalType> EveryLogicalType() {
  std::vector<LogicalType> v;
  for (Kind k :
       {Kind::STRING, Kind::MAP, Kind::LIST, Kind::ENUM, Kind::DATE, Kind::UNKNOWN, Kind::JSON,
        Kind::BSON, Kind::UUID, Kind::FLOAT16, Kind::VARIANT, Kind::GEOMETRY, Kind::GEOGRAPHY}) {
    v.push_back(LogicalType::Of(k));
  }
  v.push_back(LogicalType::Decimal(2, 9));
  v.push_back(LogicalType::Decimal(0, 38));
  for (TimeUnit u : {TimeUnit::MILLIS, TimeUnit::MICROS, TimeUnit::NANOS}) {
    for (bool utc : {false, true}) {
      v.push_back(LogicalType::Time(utc, u));
      v.push_back(LogicalType::Timestamp(utc, u));
    }
  }
  v.push_back(LogicalType::Integer(8, true));
  v.push_back(LogicalType::Integer(16, false));
  v.push_back(LogicalType::Integer(32, true));
  v.push_back(LogicalType::Integer(64, false));
  LogicalType variant = LogicalType::Of(Kind::VARIANT);
  variant.variant_specification_version = 1;
  v.push_back(variant);
  LogicalType geometry = LogicalType::Of(Kind::GEOMETRY);
  geometry.crs = "OGC:CRS84";
  v.push_back(geometry);
  LogicalType geography = LogicalType::Of(Kind::GEOGRAPHY);
  geography.crs = "EPSG:4326";
  geography.edge_algorithm = 4;
  v.push_back(geography);
  LogicalType unrecognized = LogicalType::Of(Kind::UNRECOGNIZED);
  unrecognized.unrecognized_field_id = 42;
  v.push_back(unrecognized);
  return v;
}

ColumnMetaData FullColumnMetaData() {
  ColumnMetaData m;
  m.type = Type::BYTE_ARRAY;
  m.encodings = {Encoding::PLAIN, Encoding::RLE, Encoding::RLE_DICTIONARY,
                 static_cast<Encoding>(42)};
  m.path_in_schema = {"a", "list", "element"};
  m.codec = CompressionCodec::ZSTD;
  m.num_values = 1234567890123;
  m.total_uncompressed_size = 5000;
  m.total_compressed_size = 4000;
  m.key_value_metadata = {{"k", "v"}, {"no value", std::nullopt}};
  m.data_page_offset = 104;
  m.index_page_offset = 0;
  m.dictionary_page_offset = 4;
  m.statistics = FullStatistics();
  m.encoding_stats = {{PageType::DICTIONARY_PAGE, Encoding::PLAIN, 1},
                      {PageType::DATA_PAGE, Encoding::RLE_DICTIONARY, 17}};
  m.bloom_filter_offset = 99999;
  m.bloom_filter_length = 2048;
  return m;
}

ColumnMetaData MinimalColumnMetaData() {
  ColumnMetaData m;
  m.type = Type::INT32;
  m.encodings = {};
  m.path_in_schema = {"x"};
  m.codec = CompressionCodec::UNCOMPRESSED;
  m.num_values = 0;
  m.total_uncompressed_size = 0;
  m.total_compressed_size = 0;
  m.data_page_offset = 4;
  return m;
}

FileMetaData FullFileMetaData() {
  FileMetaData md;
  md.version = 2;
  SchemaElement root;
  root.name = "schema";
  md.schema.push_back(root);
  // One element with every optional field set...
  SchemaElement full;
  full.type = Type::FIXED_LEN_BYTE_ARRAY;
  full.type_length = 16;
  full.repetition_type = FieldRepetitionType::OPTIONAL;
  full.name = "full \xe2\x9c\x93";
  full.num_children = 0;
  full.converted_type = ConvertedType::DECIMAL;
  full.scale = 2;
  full.precision = 30;
  full.field_id = -7;
  full.logical_type = LogicalType::Decimal(2, 30);
  md.schema.push_back(full);
  // ...one with none...
  SchemaElement bare;
  bare.name = "";
  md.schema.push_back(bare);
  // ...and one per logical type.
  for (const LogicalType& t : EveryLogicalType()) {
    SchemaElement e;
    e.type = Type::BYTE_ARRAY;
    e.repetition_type = FieldRepetitionType::REQUIRED;
    e.name = "lt" + std::to_string(md.schema.size());
    e.logical_type = t;
    md.schema.push_back(e);
  }
  md.schema[0].num_children = static_cast<int32_t>(md.schema.size() - 1);
  md.num_rows = 1ll << 40;

  RowGroup full_group;
  ColumnChunk full_chunk;
  full_chunk.file_path = "other.parquet";
  full_chunk.file_offset = 77;
  full_chunk.meta_data = FullColumnMetaData();
  full_chunk.offset_index_offset = 5000;
  full_chunk.offset_index_length = 50;
  full_chunk.column_index_offset = 5050;
  full_chunk.column_index_length = 60;
  full_chunk.has_crypto_metadata = true;
  full_chunk.has_encrypted_column_metadata = true;
  ColumnChunk bare_chunk;  // no meta_data at all
  ColumnChunk minimal_chunk;
  minimal_chunk.meta_data = MinimalColumnMetaData();
  ColumnChunk stats_chunk;
  stats_chunk.meta_data = MinimalColumnMetaData();
  stats_chunk.meta_data->statistics = Statistics{};  // present but empty
  full_group.columns = {full_chunk, bare_chunk, minimal_chunk, stats_chunk};
  full_group.total_byte_size = 123;
  full_group.num_rows = 1ll << 40;
  full_group.sorting_columns = {{0, true, false}, {3, false, true}};
  full_group.file_offset = 4;
  full_group.total_compressed_size = 100;
  full_group.ordinal = -3;  // i16 ordinals wrap in files with > 32767 row groups
  RowGroup bare_group;
  md.row_groups = {full_group, bare_group};
  md.key_value_metadata = {{"ARROW:schema", std::string("\x00\x01", 2)}, {"k", std::nullopt}};
  md.created_by = "cpglake test";
  ColumnOrder type_order;
  ColumnOrder other_order;
  other_order.kind = ColumnOrder::Kind::UNRECOGNIZED;
  other_order.unrecognized_field_id = 2;
  md.column_orders = {type_order, other_order};
  md.has_encryption_algorithm = true;
  md.has_footer_signing_key_metadata = true;
  return md;
}

FileMetaData MinimalFileMetaData() {
  FileMetaData md;
  md.version = 1;
  SchemaElement root;
  root.name = "root";
  md.schema.push_back(root);
  return md;
}

std::string Encode(const FileMetaData& md) {
  std::string s;
  EncodeFileMetaData(md, &s);
  return s;
}

std::string Encode(const PageHeader& h) {
  std::string s;
  EncodePageHeader(h, &s);
  return s;
}

// ---------------------------------------------------------------------------------------
// Round trips

TEST(MetadataRoundTrip, FullFileMetaData) {
  const FileMetaData md = FullFileMetaData();
  const std::string bytes = Encode(md);
  const FileMetaData back = DecodeFmd(bytes);
  EXPECT_EQ(back, md);
  EXPECT_EQ(back.schema.size(), md.schema.size());
  EXPECT_EQ(back.row_groups[0].columns[0].meta_data->statistics, FullStatistics());
  EXPECT_EQ(Encode(back), bytes);  // encoding is deterministic
}

TEST(MetadataRoundTrip, MinimalFileMetaData) {
  const FileMetaData md = MinimalFileMetaData();
  const std::string bytes = Encode(md);
  EXPECT_EQ(DecodeFmd(bytes), md);
  // version, schema [root], num_rows, row_groups [], stop.
  EXPECT_EQ(bytes.size(), 2u + 9u + 2u + 2u + 1u);
}

TEST(MetadataRoundTrip, EveryLogicalTypeAlone) {
  for (const LogicalType& t : EveryLogicalType()) {
    FileMetaData md = MinimalFileMetaData();
    md.schema[0].logical_type = t;
    EXPECT_EQ(DecodeFmd(Encode(md)).schema[0].logical_type, t)
        << "kind " << static_cast<int>(t.kind);
  }
}

TEST(MetadataRoundTrip, EachOptionalFieldAlone) {
  // Set one optional field at a time on an otherwise minimal struct, so a field that is
  // only decoded correctly next to others would show.
  const Statistics full = FullStatistics();
  std::vector<Statistics> stats;
  Statistics s;
  s.max = full.max;
  stats.push_back(s);
  s = {};
  s.min = full.min;
  stats.push_back(s);
  s = {};
  s.null_count = 0;
  stats.push_back(s);
  s = {};
  s.distinct_count = 5;
  stats.push_back(s);
  s = {};
  s.max_value = "m";
  stats.push_back(s);
  s = {};
  s.min_value = "n";
  stats.push_back(s);
  s = {};
  s.is_max_value_exact = false;
  stats.push_back(s);
  s = {};
  s.is_min_value_exact = true;
  stats.push_back(s);
  s = {};
  s.nan_count = 2;
  stats.push_back(s);
  for (const Statistics& st : stats) {
    PageHeader h;
    h.type = PageType::DATA_PAGE;
    h.data_page_header.emplace();
    h.data_page_header->statistics = st;
    EXPECT_EQ(DecodePh(Encode(h)), h);
  }

  auto with_chunk = [](auto&& mutate) {
    FileMetaData md = MinimalFileMetaData();
    md.row_groups.emplace_back();
    ColumnChunk& c = md.row_groups[0].columns.emplace_back();
    c.meta_data = MinimalColumnMetaData();
    mutate(md.row_groups[0], c, *c.meta_data);
    EXPECT_EQ(DecodeFmd(Encode(md)), md);
  };
  with_chunk([](RowGroup&, ColumnChunk& c, ColumnMetaData&) { c.file_path = "p"; });
  with_chunk([](RowGroup&, ColumnChunk& c, ColumnMetaData&) { c.offset_index_offset = 1; });
  with_chunk([](RowGroup&, ColumnChunk& c, ColumnMetaData&) { c.offset_index_length = 1; });
  with_chunk([](RowGroup&, ColumnChunk& c, ColumnMetaData&) { c.column_index_offset = 1; });
  with_chunk([](RowGroup&, ColumnChunk& c, ColumnMetaData&) { c.column_index_length = 1; });
  with_chunk([](RowGroup&, ColumnChunk& c, ColumnMetaData&) { c.has_crypto_metadata = true; });
  with_chunk(
      [](RowGroup&, ColumnChunk& c, ColumnMetaData&) { c.has_encrypted_column_metadata = true; });
  with_chunk([](RowGroup&, ColumnChunk&, ColumnMetaData& m) { m.index_page_offset = 9; });
  with_chunk([](RowGroup&, ColumnChunk&, ColumnMetaData& m) { m.dictionary_page_offset = 0; });
  with_chunk([](RowGroup&, ColumnChunk&, ColumnMetaData& m) { m.bloom_filter_offset = 9; });
  with_chunk([](RowGroup&, ColumnChunk&, ColumnMetaData& m) { m.bloom_filter_length = 9; });
  with_chunk([](RowGroup&, ColumnChunk&, ColumnMetaData& m) {
    m.key_value_metadata = {{"a", "b"}};
  });
  with_chunk([](RowGroup&, ColumnChunk&, ColumnMetaData& m) {
    m.encoding_stats = {{PageType::DATA_PAGE_V2, Encoding::DELTA_BYTE_ARRAY, 0}};
  });
  with_chunk([](RowGroup& g, ColumnChunk&, ColumnMetaData&) { g.sorting_columns = {{1, 1, 1}}; });
  with_chunk([](RowGroup& g, ColumnChunk&, ColumnMetaData&) { g.file_offset = 4; });
  with_chunk([](RowGroup& g, ColumnChunk&, ColumnMetaData&) { g.total_compressed_size = 4; });
  with_chunk([](RowGroup& g, ColumnChunk&, ColumnMetaData&) { g.ordinal = 32767; });

  auto with_root = [](auto&& mutate) {
    FileMetaData md = MinimalFileMetaData();
    mutate(md, md.schema[0]);
    EXPECT_EQ(DecodeFmd(Encode(md)), md);
  };
  with_root([](FileMetaData&, SchemaElement& e) { e.type = Type::INT96; });
  with_root([](FileMetaData&, SchemaElement& e) { e.type_length = 12; });
  with_root(
      [](FileMetaData&, SchemaElement& e) { e.repetition_type = FieldRepetitionType::REPEATED; });
  with_root([](FileMetaData&, SchemaElement& e) { e.num_children = 0; });
  with_root([](FileMetaData&, SchemaElement& e) { e.converted_type = ConvertedType::INTERVAL; });
  with_root([](FileMetaData&, SchemaElement& e) { e.scale = 0; });
  with_root([](FileMetaData&, SchemaElement& e) { e.precision = 1; });
  with_root([](FileMetaData&, SchemaElement& e) { e.field_id = 0; });
  with_root([](FileMetaData& md, SchemaElement&) { md.key_value_metadata = {{"", ""}}; });
  with_root([](FileMetaData& md, SchemaElement&) { md.created_by = ""; });
  with_root([](FileMetaData& md, SchemaElement&) { md.column_orders = {ColumnOrder{}}; });
  with_root([](FileMetaData& md, SchemaElement&) { md.has_encryption_algorithm = true; });
  with_root([](FileMetaData& md, SchemaElement&) { md.has_footer_signing_key_metadata = true; });
}

TEST(MetadataRoundTrip, ManyRowGroupsAndColumns) {
  FileMetaData md = MinimalFileMetaData();
  for (int g = 0; g < 40; ++g) {
    RowGroup& rg = md.row_groups.emplace_back();
    rg.num_rows = g;
    for (int c = 0; c < 30; ++c) {
      ColumnChunk& cc = rg.columns.emplace_back();
      cc.meta_data = FullColumnMetaData();
      cc.meta_data->data_page_offset = g * 1000 + c;
    }
  }
  EXPECT_EQ(DecodeFmd(Encode(md)), md);
}

std::vector<PageHeader> SamplePageHeaders() {
  std::vector<PageHeader> v;
  PageHeader h;
  h.type = PageType::DATA_PAGE;
  h.uncompressed_page_size = 100;
  h.compressed_page_size = 50;
  h.crc = -123456;
  DataPageHeader d;
  d.num_values = 10;
  d.encoding = Encoding::RLE_DICTIONARY;
  d.definition_level_encoding = Encoding::RLE;
  d.repetition_level_encoding = Encoding::BIT_PACKED;
  d.statistics = FullStatistics();
  h.data_page_header = d;
  v.push_back(h);  // data page, everything set
  h.crc.reset();
  h.data_page_header->statistics.reset();
  v.push_back(h);  // data page, nothing optional

  h = {};
  h.type = PageType::DICTIONARY_PAGE;
  h.uncompressed_page_size = 7;
  h.compressed_page_size = 7;
  h.dictionary_page_header = DictionaryPageHeader{3, Encoding::PLAIN_DICTIONARY, true};
  v.push_back(h);
  h.dictionary_page_header->is_sorted.reset();
  v.push_back(h);

  h = {};
  h.type = PageType::DATA_PAGE_V2;
  h.uncompressed_page_size = 1000;
  h.compressed_page_size = 900;
  h.crc = 0;
  DataPageHeaderV2 d2;
  d2.num_values = 30;
  d2.num_nulls = 5;
  d2.num_rows = 10;
  d2.encoding = Encoding::DELTA_BINARY_PACKED;
  d2.definition_levels_byte_length = 8;
  d2.repetition_levels_byte_length = 4;
  d2.is_compressed = false;
  d2.statistics = FullStatistics();
  h.data_page_header_v2 = d2;
  v.push_back(h);
  h.crc.reset();
  h.data_page_header_v2->is_compressed = true;
  h.data_page_header_v2->statistics.reset();
  v.push_back(h);

  h = {};
  h.type = PageType::INDEX_PAGE;
  h.index_page_header.emplace();
  v.push_back(h);
  h.index_page_header.reset();
  v.push_back(h);
  return v;
}

TEST(PageHeaderRoundTrip, EveryPageType) {
  for (const PageHeader& h : SamplePageHeaders()) {
    std::string bytes = Encode(h);
    const size_t encoded = bytes.size();
    bytes += "page data follows";
    size_t header_size = 0;
    EXPECT_EQ(DecodePh(bytes, &header_size), h) << PageTypeName(h.type);
    EXPECT_EQ(header_size, encoded);
  }
}

TEST(PageHeaderRoundTrip, IsCompressedDefaultsToTrueWhenAbsent) {
  std::string s;
  ThriftCompactWriter w(&s);
  w.StructBegin();
  w.I32Field(1, static_cast<int32_t>(PageType::DATA_PAGE_V2));
  w.I32Field(2, 10);
  w.I32Field(3, 10);
  w.FieldHeader(TT::kStruct, 8);
  w.StructBegin();
  for (int16_t id = 1; id <= 6; ++id) w.I32Field(id, 0);
  w.StructEnd();
  w.StructEnd();
  const PageHeader h = DecodePh(s);
  ASSERT_TRUE(h.data_page_header_v2);
  EXPECT_TRUE(h.data_page_header_v2->is_compressed);
}

TEST(MetadataNames, KnownAndUnknown) {
  EXPECT_EQ(TypeName(Type::FIXED_LEN_BYTE_ARRAY), "FIXED_LEN_BYTE_ARRAY");
  EXPECT_EQ(ConvertedTypeName(ConvertedType::INTERVAL), "INTERVAL");
  EXPECT_EQ(EncodingName(Encoding::BYTE_STREAM_SPLIT), "BYTE_STREAM_SPLIT");
  EXPECT_EQ(EncodingName(static_cast<Encoding>(1)), "UNKNOWN");
  EXPECT_EQ(CompressionCodecName(CompressionCodec::LZ4_RAW), "LZ4_RAW");
  EXPECT_EQ(PageTypeName(PageType::DATA_PAGE_V2), "DATA_PAGE_V2");
  EXPECT_EQ(PageTypeName(static_cast<PageType>(9)), "UNKNOWN");
}

// ---------------------------------------------------------------------------------------
// Forward compatibility: unknown fields of every type are skipped.

// Writes one field of every wire type with ids first_id, first_id + 1, ...
void WriteUnknownFieldsOfEveryType(ThriftCompactWriter& w, int16_t first_id) {
  int16_t id = first_id;
  w.BoolField(id++, true);
  w.BoolField(id++, false);
  w.FieldHeader(TT::kByte, id++);
  w.WriteByte(5);
  w.FieldHeader(TT::kI16, id++);
  w.WriteI16(-5);
  w.I32Field(id++, 5);
  w.I64Field(id++, -5);
  w.FieldHeader(TT::kDouble, id++);
  w.WriteDouble(0.5);
  w.BinaryField(id++, "unknown");
  w.FieldHeader(TT::kList, id++);
  w.ListHeader(TT::kStruct, 2);
  w.StructBegin();
  w.I32Field(1, 1);
  w.StructEnd();
  w.StructBegin();
  w.StructEnd();
  w.FieldHeader(TT::kSet, id++);
  w.SetHeader(TT::kBoolTrue, 1);
  w.WriteBool(true);
  w.FieldHeader(TT::kMap, id++);
  w.MapHeader(TT::kBinary, TT::kList, 1);
  w.WriteBinary("k");
  w.ListHeader(TT::kI64, 1);
  w.WriteI64(1);
  w.FieldHeader(TT::kStruct, id++);
  w.StructBegin();
  w.BinaryField(3, "nested");
  w.FieldHeader(TT::kStruct, 4);
  w.StructBegin();
  w.BoolField(1, true);
  w.StructEnd();
  w.StructEnd();
  w.FieldHeader(TT::kUuid, id++);
  const uint8_t uuid[16] = {};
  w.WriteUuid(uuid);
}

TEST(MetadataForwardCompat, UnknownFieldsOfEveryTypeAreSkipped) {
  // A page header with unknown fields before, between and after the known ones, and
  // inside the nested data page header and statistics.
  std::string s;
  ThriftCompactWriter w(&s);
  w.StructBegin();
  WriteUnknownFieldsOfEveryType(w, -20);
  w.I32Field(1, static_cast<int32_t>(PageType::DATA_PAGE));
  w.I32Field(2, 10);
  w.I32Field(3, 8);
  WriteUnknownFieldsOfEveryType(w, 100);
  w.FieldHeader(TT::kStruct, 5);
  w.StructBegin();
  w.I32Field(1, 4);
  WriteUnknownFieldsOfEveryType(w, 30);
  w.I32Field(2, static_cast<int32_t>(Encoding::PLAIN));
  w.I32Field(3, static_cast<int32_t>(Encoding::RLE));
  w.I32Field(4, static_cast<int32_t>(Encoding::RLE));
  w.FieldHeader(TT::kStruct, 5);
  w.StructBegin();
  w.I64Field(3, 1);
  WriteUnknownFieldsOfEveryType(w, 10);
  w.StructEnd();
  w.StructEnd();
  WriteUnknownFieldsOfEveryType(w, 200);
  w.StructEnd();
  const size_t header_len = s.size();
  s += "data";

  size_t header_size = 0;
  const PageHeader h = DecodePh(s, &header_size);
  EXPECT_EQ(header_size, header_len);
  EXPECT_EQ(h.type, PageType::DATA_PAGE);
  EXPECT_EQ(h.uncompressed_page_size, 10);
  EXPECT_EQ(h.compressed_page_size, 8);
  ASSERT_TRUE(h.data_page_header);
  EXPECT_EQ(h.data_page_header->num_values, 4);
  EXPECT_EQ(h.data_page_header->definition_level_encoding, Encoding::RLE);
  ASSERT_TRUE(h.data_page_header->statistics);
  EXPECT_EQ(h.data_page_header->statistics->null_count, 1);

  // A footer with unknown fields at the top level, in a schema element, a column chunk,
  // column metadata and a key/value pair; and unknown union members.
  s.clear();
  w.StructBegin();
  w.I32Field(1, 1);
  w.FieldHeader(TT::kList, 2);
  w.ListHeader(TT::kStruct, 1);
  w.StructBegin();
  w.BinaryField(4, "root");
  WriteUnknownFieldsOfEveryType(w, 11);  // SchemaElement 11 (vector_length) and beyond
  w.FieldHeader(TT::kStruct, 10);
  w.StructBegin();  // a LogicalType from the future
  w.FieldHeader(TT::kStruct, 25);
  w.StructBegin();
  w.I32Field(1, 3);
  w.StructEnd();
  w.StructEnd();
  w.StructEnd();
  w.I64Field(3, 0);
  WriteUnknownFieldsOfEveryType(w, 20);
  w.FieldHeader(TT::kList, 4);
  w.ListHeader(TT::kStruct, 1);
  w.StructBegin();  // RowGroup
  w.FieldHeader(TT::kList, 1);
  w.ListHeader(TT::kStruct, 1);
  w.StructBegin();  // ColumnChunk
  w.I64Field(2, 0);
  w.FieldHeader(TT::kStruct, 3);
  w.StructBegin();  // ColumnMetaData
  w.I32Field(1, 1);
  w.FieldHeader(TT::kList, 2);
  w.ListHeader(TT::kI32, 0);
  w.FieldHeader(TT::kList, 3);
  w.ListHeader(TT::kBinary, 1);
  w.WriteBinary("c");
  w.I32Field(4, 0);
  w.I64Field(5, 0);
  w.I64Field(6, 0);
  w.I64Field(7, 0);
  w.FieldHeader(TT::kList, 8);
  w.ListHeader(TT::kStruct, 1);
  w.StructBegin();
  w.BinaryField(1, "key");
  WriteUnknownFieldsOfEveryType(w, 3);
  w.StructEnd();
  w.I64Field(9, 4);
  WriteUnknownFieldsOfEveryType(w, 16);  // size_statistics, geospatial_statistics, ...
  w.StructEnd();
  WriteUnknownFieldsOfEveryType(w, 10);
  w.StructEnd();
  w.I64Field(2, 0);
  w.I64Field(3, 0);
  WriteUnknownFieldsOfEveryType(w, 8);
  w.StructEnd();
  w.FieldHeader(TT::kList, 7);
  w.ListHeader(TT::kStruct, 2);
  w.StructBegin();
  w.FieldHeader(TT::kStruct, 2);  // IEEE_754_TOTAL_ORDER
  w.StructBegin();
  w.StructEnd();
  w.StructEnd();
  w.StructBegin();
  w.FieldHeader(TT::kStruct, 1);  // TYPE_ORDER with a field added in the future
  w.StructBegin();
  w.I32Field(1, 1);
  w.StructEnd();
  w.StructEnd();
  WriteUnknownFieldsOfEveryType(w, 1000);
  w.StructEnd();

  const FileMetaData md = DecodeFmd(s);
  ASSERT_EQ(md.schema.size(), 1u);
  EXPECT_EQ(md.schema[0].name, "root");
  ASSERT_TRUE(md.schema[0].logical_type);
  EXPECT_EQ(md.schema[0].logical_type->kind, Kind::UNRECOGNIZED);
  EXPECT_EQ(md.schema[0].logical_type->unrecognized_field_id, 25);
  ASSERT_EQ(md.row_groups.size(), 1u);
  ASSERT_EQ(md.row_groups[0].columns.size(), 1u);
  const ColumnMetaData& m = *md.row_groups[0].columns[0].meta_data;
  EXPECT_EQ(m.path_in_schema, std::vector<std::string>{"c"});
  EXPECT_EQ(m.data_page_offset, 4);
  ASSERT_EQ(m.key_value_metadata.size(), 1u);
  EXPECT_EQ(m.key_value_metadata[0].key, "key");
  EXPECT_FALSE(m.key_value_metadata[0].value);
  ASSERT_EQ(md.column_orders.size(), 2u);
  EXPECT_EQ(md.column_orders[0].kind, ColumnOrder::Kind::UNRECOGNIZED);
  EXPECT_EQ(md.column_orders[0].unrecognized_field_id, 2);
  EXPECT_EQ(md.column_orders[1].kind, ColumnOrder::Kind::TYPE_ORDER);
}

TEST(MetadataForwardCompat, UnknownEnumValuesAndTimeUnitsSurvive) {
  FileMetaData md = MinimalFileMetaData();
  md.schema[0].type = static_cast<Type>(8);
  md.schema[0].converted_type = static_cast<ConvertedType>(22);
  md.schema[0].repetition_type = static_cast<FieldRepetitionType>(3);  // VECTOR
  EXPECT_EQ(DecodeFmd(Encode(md)), md);

  // TIMESTAMP with a unit added after this code was written.
  std::string s;
  ThriftCompactWriter w(&s);
  w.StructBegin();
  w.I32Field(1, 1);
  w.FieldHeader(TT::kList, 2);
  w.ListHeader(TT::kStruct, 1);
  w.StructBegin();
  w.BinaryField(4, "ts");
  w.FieldHeader(TT::kStruct, 10);
  w.StructBegin();
  w.FieldHeader(TT::kStruct, 8);
  w.StructBegin();
  w.BoolField(1, true);
  w.FieldHeader(TT::kStruct, 2);
  w.StructBegin();
  w.FieldHeader(TT::kStruct, 4);  // PICOS?
  w.StructBegin();
  w.StructEnd();
  w.StructEnd();
  w.StructEnd();
  w.StructEnd();
  w.StructEnd();
  w.I64Field(3, 0);
  w.FieldHeader(TT::kList, 4);
  w.ListHeader(TT::kStruct, 0);
  w.StructEnd();
  const FileMetaData back = DecodeFmd(s);
  ASSERT_TRUE(back.schema[0].logical_type);
  EXPECT_EQ(back.schema[0].logical_type->kind, Kind::TIMESTAMP);
  EXPECT_EQ(back.schema[0].logical_type->unit, TimeUnit::UNRECOGNIZED);
  EXPECT_TRUE(back.schema[0].logical_type->is_adjusted_to_utc);
}

// ---------------------------------------------------------------------------------------
// Hostile bytes

// A page header whose fields the caller writes between the struct framing.
template <typename Fn>
std::string PageHeaderBytes(Fn&& fields) {
  std::string s;
  ThriftCompactWriter w(&s);
  w.StructBegin();
  fields(w);
  w.StructEnd();
  return s;
}

void DataPageSub(ThriftCompactWriter& w, int32_t num_values) {
  w.FieldHeader(TT::kStruct, 5);
  w.StructBegin();
  w.I32Field(1, num_values);
  w.I32Field(2, 0);
  w.I32Field(3, 3);
  w.I32Field(4, 3);
  w.StructEnd();
}

TEST(MetadataHostile, NegativeSizesAndCounts) {
  ExpectCorrupt(
      [] {
        DecodePh(PageHeaderBytes([](ThriftCompactWriter& w) {
          w.I32Field(1, 0);
          w.I32Field(2, 10);
          w.I32Field(3, -5);
          DataPageSub(w, 1);
        }));
      },
      "page header: negative compressed_page_size -5");
  ExpectCorrupt(
      [] {
        DecodePh(PageHeaderBytes([](ThriftCompactWriter& w) {
          w.I32Field(1, 0);
          w.I32Field(2, -1);
          w.I32Field(3, 0);
          DataPageSub(w, 1);
        }));
      },
      "page header: negative uncompressed_page_size -1");
  ExpectCorrupt(
      [] {
        DecodePh(PageHeaderBytes([](ThriftCompactWriter& w) {
          w.I32Field(1, 0);
          w.I32Field(2, 1);
          w.I32Field(3, 1);
          DataPageSub(w, -2);
        }));
      },
      "data page header: negative num_values -2");

  FileMetaData md = MinimalFileMetaData();
  md.num_rows = -1;
  ExpectCorrupt([&] { DecodeFmd(Encode(md)); }, "file metadata: negative num_rows -1");
  md = MinimalFileMetaData();
  md.schema[0].num_children = -3;
  ExpectCorrupt([&] { DecodeFmd(Encode(md)); }, "schema element: negative num_children -3");
  md = MinimalFileMetaData();
  md.row_groups.emplace_back().num_rows = -9;
  ExpectCorrupt([&] { DecodeFmd(Encode(md)); }, "row group: negative num_rows -9");
  md = MinimalFileMetaData();
  ColumnChunk& c = md.row_groups.emplace_back().columns.emplace_back();
  c.meta_data = MinimalColumnMetaData();
  c.meta_data->total_compressed_size = -100;
  ExpectCorrupt([&] { DecodeFmd(Encode(md)); },
                "column metadata: negative total_compressed_size -100");
  c.meta_data = MinimalColumnMetaData();
  c.meta_data->dictionary_page_offset = -4;
  ExpectCorrupt([&] { DecodeFmd(Encode(md)); },
                "column metadata: negative dictionary_page_offset -4");
  c.meta_data = MinimalColumnMetaData();
  c.column_index_length = -1;
  ExpectCorrupt([&] { DecodeFmd(Encode(md)); }, "column chunk: negative column_index_length -1");
}

TEST(MetadataHostile, NegativeEnumValues) {
  // Like bad_data/PARQUET-1481.parquet, whose only column has physical type -7.
  FileMetaData md = MinimalFileMetaData();
  md.schema[0].type = static_cast<Type>(-7);
  ExpectCorrupt([&] { DecodeFmd(Encode(md)); }, "SchemaElement.type has invalid enum value -7");
  md = MinimalFileMetaData();
  md.row_groups.emplace_back().columns.emplace_back().meta_data = MinimalColumnMetaData();
  md.row_groups[0].columns[0].meta_data->encodings = {Encoding::PLAIN, static_cast<Encoding>(-1)};
  ExpectCorrupt([&] { DecodeFmd(Encode(md)); },
                "ColumnMetaData.encodings has invalid enum value -1");
  PageHeader h;
  h.type = static_cast<PageType>(-2);
  ExpectCorrupt([&] { DecodePh(Encode(h)); }, "PageHeader.type has invalid enum value -2");
}

TEST(MetadataHostile, PageTypeWithoutItsHeader) {
  for (auto [type, field] : {std::pair{PageType::DATA_PAGE, "data_page_header"},
                             std::pair{PageType::DICTIONARY_PAGE, "dictionary_page_header"},
                             std::pair{PageType::DATA_PAGE_V2, "data_page_header_v2"}}) {
    PageHeader h;
    h.type = type;
    ExpectCorrupt([&] { DecodePh(Encode(h)); }, std::string("page without ") + field);
  }
  PageHeader h;
  h.type = PageType::DATA_PAGE_V2;
  h.uncompressed_page_size = 100;
  h.compressed_page_size = 10;
  h.data_page_header_v2.emplace();
  h.data_page_header_v2->definition_levels_byte_length = 6;
  h.data_page_header_v2->repetition_levels_byte_length = 5;
  ExpectCorrupt([&] { DecodePh(Encode(h)); }, "v2 level lengths 6 + 5 exceed page size");
}

TEST(MetadataHostile, MissingRequiredFields) {
  ExpectCorrupt(
      [] {
        DecodePh(PageHeaderBytes([](ThriftCompactWriter& w) {
          w.I32Field(1, 0);
          w.I32Field(2, 10);
        }));
      },
      "PageHeader is missing required field compressed_page_size");
  // A field of the wrong wire type is skipped like an unknown one, so a required field
  // of the wrong type is reported missing.
  ExpectCorrupt(
      [] { DecodePh(PageHeaderBytes([](ThriftCompactWriter& w) { w.BinaryField(1, "DATA"); })); },
      "PageHeader is missing required field type");

  // A footer without a schema, and one whose schema list holds i32s.
  std::string s;
  ThriftCompactWriter w(&s);
  w.StructBegin();
  w.I32Field(1, 1);
  w.I64Field(3, 0);
  w.FieldHeader(TT::kList, 4);
  w.ListHeader(TT::kStruct, 0);
  w.StructEnd();
  ExpectCorrupt([&] { DecodeFmd(s); }, "FileMetaData is missing required field schema");
  s.clear();
  w.StructBegin();
  w.I32Field(1, 1);
  w.FieldHeader(TT::kList, 2);
  w.ListHeader(TT::kI32, 1);
  w.WriteI32(0);
  w.I64Field(3, 0);
  w.FieldHeader(TT::kList, 4);
  w.ListHeader(TT::kStruct, 0);
  w.StructEnd();
  ExpectCorrupt([&] { DecodeFmd(s); }, "FileMetaData is missing required field schema");

  // Column metadata without data_page_offset.
  s.clear();
  w.StructBegin();
  w.I32Field(1, 1);
  w.FieldHeader(TT::kList, 2);
  w.ListHeader(TT::kStruct, 1);
  w.StructBegin();
  w.BinaryField(4, "root");
  w.StructEnd();
  w.I64Field(3, 0);
  w.FieldHeader(TT::kList, 4);
  w.ListHeader(TT::kStruct, 1);
  w.StructBegin();  // RowGroup
  w.FieldHeader(TT::kList, 1);
  w.ListHeader(TT::kStruct, 1);
  w.StructBegin();  // ColumnChunk
  w.I64Field(2, 0);
  w.FieldHeader(TT::kStruct, 3);
  w.StructBegin();  // ColumnMetaData: fields 1-7 but not 9
  w.I32Field(1, 1);
  w.FieldHeader(TT::kList, 2);
  w.ListHeader(TT::kI32, 0);
  w.FieldHeader(TT::kList, 3);
  w.ListHeader(TT::kBinary, 0);
  for (int16_t id = 4; id <= 7; ++id) w.I64Field(id, 0);
  w.StructEnd();
  w.StructEnd();
  w.StructEnd();
  w.StructEnd();
  // (codec written as an i64 is fine: the integer types are interchangeable.)
  ExpectCorrupt([&] { DecodeFmd(s); }, "ColumnMetaData is missing required field data_page_offset");
  s.clear();
  w.StructBegin();
  w.I32Field(1, 1);
  w.FieldHeader(TT::kList, 2);
  w.ListHeader(TT::kStruct, 1);
  w.StructBegin();
  w.BinaryField(4, "root");
  w.StructEnd();
  w.I64Field(3, 0);
  w.FieldHeader(TT::kList, 4);
  w.ListHeader(TT::kStruct, 1);
  w.StructBegin();
  w.FieldHeader(TT::kList, 1);
  w.ListHeader(TT::kStruct, 1);
  w.StructBegin();
  w.I64Field(2, 0);
  w.FieldHeader(TT::kStruct, 3);
  w.StructBegin();
  w.I32Field(1, 1);
  w.FieldHeader(TT::kList, 2);
  w.ListHeader(TT::kI32, 0);
  w.FieldHeader(TT::kList, 3);
  w.ListHeader(TT::kBinary, 0);
  w.I32Field(4, 0);
  for (int16_t id = 5; id <= 7; ++id) w.I64Field(id, 0);
  w.StructEnd();
  w.StructEnd();
  w.StructEnd();
  w.StructEnd();
  ExpectCorrupt([&] { DecodeFmd(s); }, "ColumnMetaData is missing required field data_page_offset");
}

// Writes a footer with one row group holding one column chunk, whose ColumnMetaData
// fields the caller writes.
template <typename Fn>
std::string FooterWithColumnMetaData(Fn&& fields) {
  std::string s;
  ThriftCompactWriter w(&s);
  w.StructBegin();
  w.I32Field(1, 1);
  w.FieldHeader(TT::kList, 2);
  w.ListHeader(TT::kStruct, 1);
  w.StructBegin();
  w.BinaryField(4, "root");
  w.StructEnd();
  w.I64Field(3, 5);
  w.FieldHeader(TT::kList, 4);
  w.ListHeader(TT::kStruct, 1);
  w.StructBegin();  // RowGroup
  w.FieldHeader(TT::kList, 1);
  w.ListHeader(TT::kStruct, 1);
  w.StructBegin();  // ColumnChunk
  w.I64Field(2, 0);
  w.FieldHeader(TT::kStruct, 3);
  w.StructBegin();  // ColumnMetaData
  fields(w);
  w.StructEnd();
  w.StructEnd();
  w.I64Field(2, 0);
  w.I64Field(3, 5);
  w.StructEnd();
  w.StructEnd();
  return s;
}

// The required ColumnMetaData fields, with the integer fields written as `int_type`.
void RequiredColumnFields(ThriftCompactWriter& w, TT int_type) {
  auto int_field = [&](int16_t id, int64_t v) {
    w.FieldHeader(int_type, id);
    w.WriteI64(v);  // zigzag varints are the same bytes for every width
  };
  int_field(1, 6);
  w.FieldHeader(TT::kList, 2);
  w.ListHeader(int_type, 2);
  w.WriteI64(0);
  w.WriteI64(8);
  w.FieldHeader(TT::kList, 3);
  w.ListHeader(TT::kBinary, 1);
  w.WriteBinary("c");
  int_field(4, 1);
  w.I64Field(5, 5);
  w.I64Field(6, 100);
  w.I64Field(7, 90);
  w.I64Field(9, 4);
}

TEST(MetadataCompat, IntegerWidthsAreInterchangeable) {
  for (TT int_type : {TT::kI16, TT::kI32, TT::kI64}) {
    const FileMetaData md = DecodeFmd(FooterWithColumnMetaData(
        [&](ThriftCompactWriter& w) { RequiredColumnFields(w, int_type); }));
    const ColumnMetaData& m = *md.row_groups[0].columns[0].meta_data;
    EXPECT_EQ(m.type, Type::BYTE_ARRAY);
    EXPECT_EQ(m.encodings, (std::vector<Encoding>{Encoding::PLAIN, Encoding::RLE_DICTIONARY}));
    EXPECT_EQ(m.codec, CompressionCodec::SNAPPY);
  }
  // An i64 value that does not fit the i32 field.
  ExpectCorrupt(
      [] {
        DecodePh(PageHeaderBytes([](ThriftCompactWriter& w) {
          w.I32Field(1, 0);
          w.I64Field(2, int64_t{1} << 31);
          w.I32Field(3, 0);
          DataPageSub(w, 1);
        }));
      },
      "PageHeader.uncompressed_page_size value 2147483648 is out of range for i32");
  ExpectCorrupt(
      [] {
        // RowGroup.ordinal (i16) written as an i32 holding 40000.
        std::string s;
        ThriftCompactWriter w(&s);
        w.StructBegin();
        w.I32Field(1, 1);
        w.FieldHeader(TT::kList, 2);
        w.ListHeader(TT::kStruct, 1);
        w.StructBegin();
        w.BinaryField(4, "r");
        w.StructEnd();
        w.I64Field(3, 0);
        w.FieldHeader(TT::kList, 4);
        w.ListHeader(TT::kStruct, 1);
        w.StructBegin();
        w.FieldHeader(TT::kList, 1);
        w.ListHeader(TT::kStruct, 0);
        w.I64Field(2, 0);
        w.I64Field(3, 0);
        w.I32Field(7, 40000);
        w.StructEnd();
        w.StructEnd();
        DecodeFmd(s);
      },
      "RowGroup.ordinal value 40000 is out of range for i16");
}

TEST(MetadataCompat, FieldsOfTheWrongWireTypeAreSkipped) {
  // Like data/dict-page-offset-zero.parquet (Dremio): ColumnMetaData field 15, which the
  // spec defines as bloom_filter_length i32, holds a list of structs.
  const FileMetaData md = DecodeFmd(FooterWithColumnMetaData([](ThriftCompactWriter& w) {
    RequiredColumnFields(w, TT::kI32);
    w.FieldHeader(TT::kList, 15);
    w.ListHeader(TT::kStruct, 1);
    w.StructBegin();
    w.I32Field(1, 0);
    w.StructEnd();
  }));
  const ColumnMetaData& m = *md.row_groups[0].columns[0].meta_data;
  EXPECT_FALSE(m.bloom_filter_length);
  EXPECT_EQ(m.data_page_offset, 4);

  // Optional fields of the wrong type are absent; a list of the wrong element type too.
  const FileMetaData md2 = DecodeFmd(FooterWithColumnMetaData([](ThriftCompactWriter& w) {
    RequiredColumnFields(w, TT::kI32);
    w.BinaryField(10, "index page offset?");
    w.BoolField(11, true);
    w.FieldHeader(TT::kList, 12);  // statistics as a list
    w.ListHeader(TT::kI32, 1);
    w.WriteI32(1);
    w.FieldHeader(TT::kList, 13);  // encoding_stats with i32 elements
    w.ListHeader(TT::kI32, 2);
    w.WriteI32(1);
    w.WriteI32(2);
  }));
  const ColumnMetaData& m2 = *md2.row_groups[0].columns[0].meta_data;
  EXPECT_FALSE(m2.index_page_offset);
  EXPECT_FALSE(m2.dictionary_page_offset);
  EXPECT_FALSE(m2.statistics);
  EXPECT_TRUE(m2.encoding_stats.empty());

  // A required list of the wrong element type is missing.
  ExpectCorrupt(
      [] {
        DecodeFmd(FooterWithColumnMetaData([](ThriftCompactWriter& w) {
          w.I32Field(1, 6);
          w.FieldHeader(TT::kList, 2);
          w.ListHeader(TT::kI32, 0);
          w.FieldHeader(TT::kList, 3);
          w.ListHeader(TT::kI32, 1);  // path_in_schema must hold strings
          w.WriteI32(7);
          w.I32Field(4, 0);
          for (int16_t id : {5, 6, 7, 9}) w.I64Field(id, 0);
        }));
      },
      "ColumnMetaData is missing required field path_in_schema");

  // is_sorted as an i32: ignored.
  const PageHeader h = DecodePh(PageHeaderBytes([](ThriftCompactWriter& w) {
    w.I32Field(1, 2);
    w.I32Field(2, 1);
    w.I32Field(3, 1);
    w.FieldHeader(TT::kStruct, 7);
    w.StructBegin();
    w.I32Field(1, 1);
    w.I32Field(2, 0);
    w.I32Field(3, 1);
    w.StructEnd();
  }));
  ASSERT_TRUE(h.dictionary_page_header);
  EXPECT_FALSE(h.dictionary_page_header->is_sorted);
}

TEST(MetadataHostile, UnionsWithZeroOrTwoMembers) {
  auto schema_with_logical_type = [](auto&& members) {
    std::string s;
    ThriftCompactWriter w(&s);
    w.StructBegin();
    w.I32Field(1, 1);
    w.FieldHeader(TT::kList, 2);
    w.ListHeader(TT::kStruct, 1);
    w.StructBegin();
    w.BinaryField(4, "x");
    w.FieldHeader(TT::kStruct, 10);
    w.StructBegin();
    members(w);
    w.StructEnd();
    w.StructEnd();
    w.I64Field(3, 0);
    w.FieldHeader(TT::kList, 4);
    w.ListHeader(TT::kStruct, 0);
    w.StructEnd();
    return s;
  };
  ExpectCorrupt([&] { DecodeFmd(schema_with_logical_type([](ThriftCompactWriter&) {})); },
                "LogicalType union has no member set");
  ExpectCorrupt(
      [&] {
        DecodeFmd(schema_with_logical_type([](ThriftCompactWriter& w) {
          for (int16_t id : {1, 6}) {
            w.FieldHeader(TT::kStruct, id);
            w.StructBegin();
            w.StructEnd();
          }
        }));
      },
      "LogicalType union has more than one member set");
  ExpectCorrupt(
      [&] {
        DecodeFmd(schema_with_logical_type([](ThriftCompactWriter& w) {
          w.FieldHeader(TT::kStruct, 5);
          w.StructBegin();
          w.I32Field(1, 2);
          w.StructEnd();
        }));
      },
      "DecimalType is missing required field precision");
}

TEST(MetadataHostile, HugeLengthsAndDeepNesting) {
  // created_by claiming 4 GiB.
  std::string s;
  ThriftCompactWriter w(&s);
  w.StructBegin();
  w.I32Field(1, 1);
  w.FieldHeader(TT::kBinary, 6);
  w.WriteVarint32(0xFFFFFFFF);
  s += "short";
  ExpectCorrupt([&] { DecodeFmd(s); }, "string length 4294967295 exceeds remaining 5 bytes");

  // A schema list claiming a billion elements.
  s.clear();
  w = ThriftCompactWriter(&s);
  w.StructBegin();
  w.I32Field(1, 1);
  w.FieldHeader(TT::kList, 2);
  w.ListHeader(TT::kStruct, 1'000'000'000);
  s += std::string(64, '\0');
  ExpectCorrupt([&] { DecodeFmd(s); }, "list size 1000000000 exceeds limit");

  // A million elements of which only a few bytes exist.
  s.clear();
  w = ThriftCompactWriter(&s);
  w.StructBegin();
  w.I32Field(1, 1);
  w.FieldHeader(TT::kList, 2);
  w.ListHeader(TT::kStruct, 1'000'000);
  s += std::string(100, '\0');
  ExpectCorrupt([&] { DecodeFmd(s); },
                "list of 1000000 struct elements needs at least 1000000 bytes, 100 remain");

  // An unknown field nested far beyond the depth limit, in the footer and a page header.
  s.clear();
  w = ThriftCompactWriter(&s);
  w.StructBegin();
  w.I32Field(1, 1);
  for (int i = 0; i < 200; ++i) {
    w.FieldHeader(TT::kStruct, 50);
    w.StructBegin();
  }
  for (int i = 0; i < 200; ++i) w.StructEnd();
  w.StructEnd();
  ExpectCorrupt([&] { DecodeFmd(s); }, "nesting depth exceeds limit 64");
  s.clear();
  w = ThriftCompactWriter(&s);
  w.StructBegin();
  w.FieldHeader(TT::kList, 9);
  for (int i = 0; i < 100; ++i) w.ListHeader(TT::kList, 1);
  ExpectCorrupt([&] { DecodePh(s); }, "nesting depth exceeds limit 64");
}

// ---------------------------------------------------------------------------------------
// The corpora

fs::path ParquetTestingDir() {
  return testing::TestDataDir() / "parquet-testing";
}

uint32_t LoadLE32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // the build machines are little-endian
}

// Decodes the footer of a whole Parquet file held in memory.
FileMetaData ReadFooter(const std::string& file) {
  if (file.size() < 12) throw CorruptData("parquet: file too small");
  const std::string_view magic(file.data() + file.size() - 4, 4);
  if (magic == "PARE") throw Unsupported("encrypted Parquet is not supported");
  if (magic != "PAR1") throw CorruptData("parquet: bad magic");
  const uint32_t len = LoadLE32(file.data() + file.size() - 8);
  if (len > file.size() - 12) throw CorruptData("parquet: footer length exceeds file");
  return DecodeFileMetaData(U8(file) + file.size() - 8 - len, len);
}

std::string FooterBytes(const std::string& file) {
  const uint32_t len = LoadLE32(file.data() + file.size() - 8);
  return file.substr(file.size() - 8 - len, len);
}

struct Expectation {
  bool ok = false;
  int64_t rows = -1;
  std::string error;
};

// duckdb_counts.tsv: file (relative to parquet-testing/), ok|error, rows or error text.
std::map<std::string, Expectation> LoadDuckdbCounts() {
  std::map<std::string, Expectation> out;
  std::ifstream in(ParquetTestingDir() / "duckdb_counts.tsv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string file, status, rest;
    std::getline(fields, file, '\t');
    std::getline(fields, status, '\t');
    std::getline(fields, rest);
    Expectation e;
    e.ok = status == "ok";
    if (e.ok) {
      e.rows = std::stoll(rest);
    } else {
      e.error = rest;
    }
    out[file] = e;
  }
  return out;
}

std::vector<fs::path> FilesIn(const fs::path& dir, bool (*want)(const fs::path&)) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && want(entry.path())) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool IsParquetName(const fs::path& p) {
  const std::string name = p.filename().string();
  return name.ends_with(".parquet") || name.ends_with(".parquet.encrypted");
}

// Checks every column chunk's first page header; returns the number of headers decoded.
int CheckFirstPages(const std::string& file, const FileMetaData& md, const std::string& label) {
  int decoded = 0;
  for (size_t g = 0; g < md.row_groups.size(); ++g) {
    for (size_t c = 0; c < md.row_groups[g].columns.size(); ++c) {
      const ColumnChunk& chunk = md.row_groups[g].columns[c];
      const std::string where =
          label + " row group " + std::to_string(g) + " column " + std::to_string(c);
      if (!chunk.meta_data) {
        ADD_FAILURE() << where << ": no meta_data";
        continue;
      }
      const ColumnMetaData& m = *chunk.meta_data;
      const int64_t offset = m.dictionary_page_offset && *m.dictionary_page_offset > 0
                                 ? *m.dictionary_page_offset
                                 : m.data_page_offset;
      if (offset < 4 || static_cast<uint64_t>(offset) >= file.size()) {
        throw CorruptData(where + ": page offset " + std::to_string(offset) + " outside file");
      }
      size_t header_size = 0;
      const PageHeader h = DecodePageHeader(
          U8(file) + offset, file.size() - static_cast<size_t>(offset), &header_size);
      ++decoded;
      EXPECT_TRUE(h.type == PageType::DATA_PAGE || h.type == PageType::DICTIONARY_PAGE ||
                  h.type == PageType::DATA_PAGE_V2)
          << where << ": page type " << static_cast<int>(h.type);
      EXPECT_GE(h.compressed_page_size, 0) << where;
      EXPECT_GE(h.uncompressed_page_size, 0) << where;
      EXPECT_GT(header_size, 0u) << where;
      EXPECT_LE(static_cast<uint64_t>(offset) + header_size + h.compressed_page_size, file.size())
          << where << ": page runs past the end of the file";
      if (h.type == PageType::DICTIONARY_PAGE) {
        EXPECT_TRUE(h.dictionary_page_header) << where;
      }
    }
  }
  return decoded;
}

int64_t SumRowGroupRows(const FileMetaData& md) {
  int64_t sum = 0;
  for (const RowGroup& g : md.row_groups) sum += g.num_rows;
  return sum;
}

TEST(MetadataCorpus, ParquetTestingData) {
  const auto expectations = LoadDuckdbCounts();
  ASSERT_FALSE(expectations.empty()) << "missing duckdb_counts.tsv under " << ParquetTestingDir();
  const auto files = FilesIn(ParquetTestingDir() / "data", IsParquetName);
  ASSERT_GE(files.size(), 60u);
  int footers = 0, pages = 0, counted = 0, encrypted = 0;
  for (const fs::path& path : files) {
    const std::string rel = "data/" + path.filename().string();
    SCOPED_TRACE(rel);
    const std::string file = testing::ReadFileBytes(path);
    const auto it = expectations.find(rel);
    ASSERT_NE(it, expectations.end()) << rel << " is not in duckdb_counts.tsv";
    if (file.ends_with("PARE")) {
      ++encrypted;
      try {
        ReadFooter(file);
        ADD_FAILURE() << "encrypted footer decoded";
      } catch (const Unsupported& e) {
        EXPECT_NE(std::string(e.what()).find("encrypted"), std::string::npos);
      }
      continue;
    }
    FileMetaData md;
    try {
      md = ReadFooter(file);
    } catch (const Error& e) {
      ADD_FAILURE() << "footer: " << e.what();
      continue;
    }
    ++footers;
    EXPECT_GE(md.schema.size(), 1u);
    // One writer left FileMetaData.num_rows at 0 although its row group holds 6 rows;
    // readers (DuckDB included) count the row groups.
    const bool num_rows_zero_quirk = path.filename() == "repeated_no_annotation.parquet";
    if (num_rows_zero_quirk) {
      EXPECT_EQ(md.num_rows, 0);
    } else {
      EXPECT_EQ(SumRowGroupRows(md), md.num_rows) << "row group rows do not add up";
    }
    if (it->second.ok) {
      EXPECT_EQ(SumRowGroupRows(md), it->second.rows);
      if (!num_rows_zero_quirk) {
        EXPECT_EQ(md.num_rows, it->second.rows);
      }
      ++counted;
    }
    try {
      pages += CheckFirstPages(file, md, rel);
    } catch (const Error& e) {
      ADD_FAILURE() << "page header: " << e.what();
    }
    // Decoding then re-encoding what we understood must decode to the same thing.
    EXPECT_EQ(DecodeFmd(Encode(md)), md);
  }
  EXPECT_EQ(encrypted, 1);
  EXPECT_GE(counted, 60);
  RecordProperty("footers", footers);
  RecordProperty("page_headers", pages);
  std::cout << "[corpus] parquet-testing/data: " << footers << " footers, " << pages
            << " first page headers, " << counted << " row counts checked, " << encrypted
            << " encrypted refused\n";
}

TEST(MetadataCorpus, ParquetTestingBadData) {
  const auto expectations = LoadDuckdbCounts();
  const auto files = FilesIn(ParquetTestingDir() / "bad_data", IsParquetName);
  ASSERT_GE(files.size(), 5u);
  for (const fs::path& path : files) {
    const std::string rel = "bad_data/" + path.filename().string();
    SCOPED_TRACE(rel);
    const std::string file = testing::ReadFileBytes(path);
    std::string outcome;
    try {
      const FileMetaData md = ReadFooter(file);
      const auto it = expectations.find(rel);
      if (it != expectations.end() && it->second.ok) {
        EXPECT_EQ(md.num_rows, it->second.rows);
      }
      const int pages = CheckFirstPages(file, md, rel);
      outcome = "decoded (" + std::to_string(md.num_rows) + " rows, " + std::to_string(pages) +
                " first page headers)";
    } catch (const CorruptData& e) {
      outcome = std::string("CorruptData: ") + e.what();
    }
    std::cout << "[corpus] " << rel << ": " << outcome << "\n";
  }
}

TEST(MetadataCorpus, DeltaKernelGoldenExpected) {
  const fs::path root = testing::TestDataDir() / "delta-acceptance" / "kernel_golden";
  ASSERT_TRUE(fs::is_directory(root)) << root;
  int footers = 0, pages = 0;
  for (const auto& table : fs::directory_iterator(root)) {
    const fs::path expected = table.path() / "expected";
    for (const fs::path& path : FilesIn(expected, [](const fs::path& p) {
           const std::string name = p.filename().string();
           return name.ends_with(".parquet") && !name.starts_with("_") && !name.starts_with(".");
         })) {
      const std::string rel = fs::relative(path, root).string();
      SCOPED_TRACE(rel);
      const std::string file = testing::ReadFileBytes(path);
      try {
        const FileMetaData md = ReadFooter(file);
        ++footers;
        EXPECT_EQ(SumRowGroupRows(md), md.num_rows);
        pages += CheckFirstPages(file, md, rel);
        EXPECT_EQ(DecodeFmd(Encode(md)), md);
      } catch (const Error& e) {
        ADD_FAILURE() << e.what();
      }
    }
  }
  EXPECT_GE(footers, 200);
  std::cout << "[corpus] delta kernel_golden expected: " << footers << " footers, " << pages
            << " first page headers\n";
}

// Every prefix of a real footer is refused with CorruptData (never a crash or a hang).
TEST(MetadataCorpus, EveryTruncationOfRealFootersFails) {
  for (const char* name : {"alltypes_plain.parquet", "nested_maps.snappy.parquet",
                           "data_index_bloom_encoding_stats.parquet"}) {
    const std::string file = testing::ReadFileBytes(ParquetTestingDir() / "data" / name);
    const std::string footer = FooterBytes(file);
    ASSERT_NO_THROW(DecodeFmd(footer)) << name;
    for (size_t n = 0; n < footer.size(); ++n) {
      const std::string prefix = footer.substr(0, n);
      EXPECT_THROW(DecodeFmd(prefix), CorruptData) << name << " truncated to " << n;
    }
  }
  // And every prefix of a real page header.
  const std::string file =
      testing::ReadFileBytes(ParquetTestingDir() / "data" / "datapage_v2.snappy.parquet");
  const FileMetaData md = ReadFooter(file);
  const int64_t offset = md.row_groups[0].columns[0].meta_data->data_page_offset;
  size_t header_size = 0;
  DecodePageHeader(U8(file) + offset, file.size() - offset, &header_size);
  const std::string header = file.substr(offset, header_size);
  for (size_t n = 0; n < header.size(); ++n) {
    EXPECT_THROW(DecodePh(header.substr(0, n)), CorruptData) << "truncated to " << n;
  }
}

// Random byte mutations of real footers: decode or CorruptData, nothing else.
TEST(MetadataCorpus, MutatedFootersNeverCrash) {
  std::mt19937 rng(7);
  int ok = 0, corrupt = 0;
  for (const char* name : {"alltypes_plain.parquet", "nested_structs.rust.parquet",
                           "nulls.snappy.parquet", "int96_from_spark.parquet"}) {
    const std::string footer =
        FooterBytes(testing::ReadFileBytes(ParquetTestingDir() / "data" / name));
    for (int iter = 0; iter < 3000; ++iter) {
      std::string s = footer;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < edits; ++i) {
        const size_t at = rng() % s.size();
        switch (rng() % 3) {
          case 0:
            s[at] = static_cast<char>(rng());
            break;
          case 1:
            s[at] = static_cast<char>(s[at] ^ (1 << (rng() % 8)));
            break;
          case 2:
            s.erase(at, 1 + rng() % 8);
            break;
        }
        if (s.empty()) s = "x";
      }
      try {
        DecodeFmd(s);
        ++ok;
      } catch (const CorruptData&) {
        ++corrupt;
      }
    }
  }
  EXPECT_GT(corrupt, 0);
  std::cout << "[fuzz] mutated footers: " << ok << " decoded, " << corrupt << " CorruptData\n";
}

}  // namespace
}  // namespace cpglake::parquet
