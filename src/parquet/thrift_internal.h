// Thrift Compact Protocol, written for the Parquet footer and page headers only.
// Private to parquet/: nothing outside this module includes it (STYLE.md item 5).
//
// Wire format in brief (all integers little-endian base-128 varints unless noted):
//   field header  one byte: high nibble = field-id delta (1..15) from the previous field
//                 of the same struct, low nibble = wire type. A zero high nibble means
//                 the long form: the byte is followed by the field id as a zigzag i16.
//                 Type 0 (stop) ends the struct. Bool fields carry their value in the
//                 type nibble (1 = true, 2 = false) and have no payload.
//   i16/i32/i64   zigzag varint.           byte   one raw byte.
//   double        8 bytes little-endian.   binary varint length, then the bytes.
//   list / set    one byte: high nibble = size (0..14), low nibble = element type;
//                 size nibble 15 means the size follows as a varint. Bool elements
//                 are one byte each.
//   map           varint size; when non-zero, one byte: key type << 4 | value type.
//   uuid          16 raw bytes.
//
// Every input is hostile: the reader checks each length and count against the bytes
// that remain and against `ThriftLimits`, bounds nesting depth, and throws
// `cpglake::CorruptData` naming what was wrong. It never reads past the span.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cpglake::parquet {

// Compact-protocol wire types (the low nibble of a field header).
enum class ThriftType : uint8_t {
  kStop = 0,
  kBoolTrue = 1,  // in a field header: a bool field whose value is true
  kBoolFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
  kUuid = 13,
};

// Human-readable name of a wire type, for error messages ("i32", "struct", ...).
std::string_view ThriftTypeName(ThriftType t);

inline bool IsBoolType(ThriftType t) {
  return t == ThriftType::kBoolTrue || t == ThriftType::kBoolFalse;
}

struct ThriftFieldHeader {
  ThriftType type = ThriftType::kStop;  // kStop: the struct has no more fields
  int16_t id = 0;
};

struct ThriftListHeader {
  ThriftType elem_type = ThriftType::kStop;
  uint32_t size = 0;
};

struct ThriftMapHeader {
  ThriftType key_type = ThriftType::kStop;  // both kStop when size == 0
  ThriftType value_type = ThriftType::kStop;
  uint32_t size = 0;
};

struct ThriftLimits {
  // Longest binary/string accepted.
  size_t max_string_size = 100u * 1024 * 1024;
  // Most elements accepted in one list, set or map.
  size_t max_container_size = 10u * 1000 * 1000;
};

// Reads compact-protocol values from a borrowed byte span. The caller keeps the bytes
// alive; `ReadBinary` returns views into them.
class ThriftCompactReader {
 public:
  // Structs and containers may nest at most this deep.
  static constexpr int kMaxDepth = 64;

  ThriftCompactReader(const uint8_t* data, size_t size, ThriftLimits limits = {});

  // Bytes consumed so far.
  size_t position() const { return static_cast<size_t>(pos_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }
  // Current nesting depth (open structs and containers).
  int depth() const { return depth_; }

  // Struct framing: StructBegin before the first field header of a struct,
  // StructEnd after its stop field. They keep the per-struct last-field-id stack.
  void StructBegin();
  void StructEnd();

  // The next field header of the current struct; type kStop ends the struct.
  ThriftFieldHeader ReadFieldHeader();

  // The value of a bool field (carried by its header type).
  static bool BoolFieldValue(const ThriftFieldHeader& h) { return h.type == ThriftType::kBoolTrue; }

  bool ReadBool();  // a bool list/set/map element: one byte, 1 = true, 0 or 2 = false
  int8_t ReadByte();
  int16_t ReadI16();
  int32_t ReadI32();
  int64_t ReadI64();
  double ReadDouble();
  uint32_t ReadVarint32();   // at most 10 bytes; the value must fit in 32 bits
  uint64_t ReadVarint64() {  // at most 10 bytes; the value must fit in 64 bits
    if (pos_ < end_ && *pos_ < 0x80) return *pos_++;
    return ReadVarintSlow(10);
  }

  // A binary/string value: a view into the input span, valid while it lives.
  std::string_view ReadBinary();
  void ReadString(std::string* out) {
    std::string_view v = ReadBinary();
    out->assign(v.data(), v.size());
  }

  // Container headers. The element count is checked against the remaining bytes
  // (count * smallest encoding of the element type) and against the count limit.
  ThriftListHeader ReadListHeader();
  ThriftListHeader ReadSetHeader() { return ReadListHeader(); }
  ThriftMapHeader ReadMapHeader();

  // Skips one field value of wire type `type` (as given by its field header: a bool
  // field has no payload). Containers and structs are skipped recursively, bounded by
  // kMaxDepth.
  void Skip(ThriftType type) { SkipValue(type, /*in_container=*/false); }
  // Skips one container element of wire type `type` (a bool element is one byte).
  void SkipElement(ThriftType type) { SkipValue(type, /*in_container=*/true); }

  // Throws CorruptData("thrift: <message> at byte <position>").
  [[noreturn]] void Fail(std::string_view message) const;

 private:
  void EnterNested();
  void LeaveNested() { --depth_; }
  void Need(size_t n, const char* what) const;
  uint64_t ReadVarintSlow(int max_bytes);
  // Checks a container's element count; `value` is kStop for lists and sets.
  void CheckCount(uint64_t count, ThriftType elem, ThriftType value, const char* what);
  void SkipValue(ThriftType type, bool in_container);

  const uint8_t* begin_;
  const uint8_t* pos_;
  const uint8_t* end_;
  ThriftLimits limits_;
  int depth_ = 0;
  int struct_depth_ = 0;
  int16_t last_field_id_ = 0;
  std::array<int16_t, kMaxDepth> field_id_stack_;  // written before read: not zeroed
};

// Appends compact-protocol values to a std::string the caller owns.
class ThriftCompactWriter {
 public:
  explicit ThriftCompactWriter(std::string* out) : out_(out) {}

  void StructBegin();
  void StructEnd();  // writes the stop field and returns to the enclosing struct

  // A field header; field ids are delta-encoded when they increase by 1..15.
  void FieldHeader(ThriftType type, int16_t id);
  void BoolField(int16_t id, bool value);  // header only: the value is in its type
  void I32Field(int16_t id, int32_t value) {
    FieldHeader(ThriftType::kI32, id);
    WriteI32(value);
  }
  void I64Field(int16_t id, int64_t value) {
    FieldHeader(ThriftType::kI64, id);
    WriteI64(value);
  }
  void BinaryField(int16_t id, std::string_view value) {
    FieldHeader(ThriftType::kBinary, id);
    WriteBinary(value);
  }

  void WriteBool(bool value);  // a container element
  void WriteByte(int8_t value);
  void WriteI16(int16_t value);
  void WriteI32(int32_t value);
  void WriteI64(int64_t value);
  void WriteDouble(double value);
  void WriteVarint32(uint32_t value) { WriteVarint64(value); }
  void WriteVarint64(uint64_t value);
  void WriteBinary(std::string_view value);
  void WriteUuid(const uint8_t bytes[16]);

  void ListHeader(ThriftType elem_type, size_t size);
  void SetHeader(ThriftType elem_type, size_t size) { ListHeader(elem_type, size); }
  void MapHeader(ThriftType key_type, ThriftType value_type, size_t size);

 private:
  std::string* out_;
  int16_t last_field_id_ = 0;
  std::vector<int16_t> field_id_stack_;
};

}  // namespace cpglake::parquet
