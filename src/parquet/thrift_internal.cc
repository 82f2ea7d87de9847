#include "parquet/thrift_internal.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <limits>

#include "common/error.h"

namespace cpglake::parquet {

namespace {

constexpr uint8_t kMaxWireType = static_cast<uint8_t>(ThriftType::kUuid);

// Smallest number of bytes one value of `t` can occupy as a container element.
size_t MinElementSize(ThriftType t) {
  switch (t) {
    case ThriftType::kDouble:
      return 8;
    case ThriftType::kUuid:
      return 16;
    default:
      return 1;  // bool/byte/varints/binary length/container header/stop byte
  }
}

}  // namespace

std::string_view ThriftTypeName(ThriftType t) {
  switch (t) {
    case ThriftType::kStop:
      return "stop";
    case ThriftType::kBoolTrue:
      return "bool";
    case ThriftType::kBoolFalse:
      return "bool";
    case ThriftType::kByte:
      return "byte";
    case ThriftType::kI16:
      return "i16";
    case ThriftType::kI32:
      return "i32";
    case ThriftType::kI64:
      return "i64";
    case ThriftType::kDouble:
      return "double";
    case ThriftType::kBinary:
      return "binary";
    case ThriftType::kList:
      return "list";
    case ThriftType::kSet:
      return "set";
    case ThriftType::kMap:
      return "map";
    case ThriftType::kStruct:
      return "struct";
    case ThriftType::kUuid:
      return "uuid";
  }
  return "invalid";
}

// ---------------------------------------------------------------------------------------
// Reader

ThriftCompactReader::ThriftCompactReader(const uint8_t* data, size_t size, ThriftLimits limits)
    : begin_(data), pos_(data), end_(data + size), limits_(limits) {}

void ThriftCompactReader::Fail(std::string_view message) const {
  throw CorruptData(fmt::format("thrift: {} (at byte {})", message, position()));
}

void ThriftCompactReader::Need(size_t n, const char* what) const {
  if (remaining() < n) {
    Fail(fmt::format("truncated input: {} needs {} bytes, {} remain", what, n, remaining()));
  }
}

void ThriftCompactReader::EnterNested() {
  if (depth_ >= kMaxDepth) Fail(fmt::format("nesting depth exceeds limit {}", kMaxDepth));
  ++depth_;
}

void ThriftCompactReader::StructBegin() {
  EnterNested();
  // struct_depth_ <= depth_ - 1 < kMaxDepth, so the index is in range.
  field_id_stack_[struct_depth_++] = last_field_id_;
  last_field_id_ = 0;
}

void ThriftCompactReader::StructEnd() {
  CPGLAKE_CHECK(struct_depth_ > 0, "ThriftCompactReader::StructEnd without StructBegin");
  last_field_id_ = field_id_stack_[--struct_depth_];
  --depth_;
}

ThriftFieldHeader ThriftCompactReader::ReadFieldHeader() {
  Need(1, "field header");
  const uint8_t byte = *pos_++;
  const uint8_t type = byte & 0x0F;
  if (type == 0) return {ThriftType::kStop, 0};
  if (type > kMaxWireType) Fail(fmt::format("invalid field type {}", type));
  const int delta = byte >> 4;
  int id;
  if (delta == 0) {
    id = ReadI16();
  } else {
    id = last_field_id_ + delta;
    if (id > std::numeric_limits<int16_t>::max()) {
      Fail(fmt::format("field id {} overflows i16", id));
    }
  }
  last_field_id_ = static_cast<int16_t>(id);
  return {static_cast<ThriftType>(type), static_cast<int16_t>(id)};
}

bool ThriftCompactReader::ReadBool() {
  Need(1, "bool");
  const uint8_t b = *pos_++;
  if (b == 1) return true;
  if (b == 0 || b == 2) return false;
  Fail(fmt::format("invalid bool byte {}", b));
}

int8_t ThriftCompactReader::ReadByte() {
  Need(1, "byte");
  return static_cast<int8_t>(*pos_++);
}

uint64_t ThriftCompactReader::ReadVarintSlow(int max_bytes) {
  uint64_t result = 0;
  const uint8_t* p = pos_;
  for (int i = 0; i < max_bytes; ++i) {
    if (p == end_) Fail("truncated varint");
    const uint8_t b = *p++;
    if (i == 9) {
      if (b & 0x80) Fail("varint longer than 10 bytes");
      if (b > 1) Fail("varint overflows 64 bits");
    }
    result |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      pos_ = p;
      return result;
    }
  }
  Fail("varint longer than 10 bytes");
}

uint32_t ThriftCompactReader::ReadVarint32() {
  const uint64_t v = ReadVarint64();
  if (v > std::numeric_limits<uint32_t>::max()) {
    Fail(fmt::format("varint {} does not fit in 32 bits", v));
  }
  return static_cast<uint32_t>(v);
}

int16_t ThriftCompactReader::ReadI16() {
  const uint32_t u = ReadVarint32();
  if (u > 0xFFFF) Fail(fmt::format("zigzag value {} does not fit in i16", u));
  return static_cast<int16_t>((u >> 1) ^ (0u - (u & 1)));
}

int32_t ThriftCompactReader::ReadI32() {
  const uint32_t u = ReadVarint32();
  return static_cast<int32_t>((u >> 1) ^ (0u - (u & 1)));
}

int64_t ThriftCompactReader::ReadI64() {
  const uint64_t u = ReadVarint64();
  return static_cast<int64_t>((u >> 1) ^ (uint64_t{0} - (u & 1)));
}

double ThriftCompactReader::ReadDouble() {
  Need(8, "double");
  uint64_t bits = 0;
  for (int i = 7; i >= 0; --i) bits = (bits << 8) | pos_[i];
  pos_ += 8;
  return std::bit_cast<double>(bits);
}

std::string_view ThriftCompactReader::ReadBinary() {
  const uint32_t len = ReadVarint32();
  if (len > remaining()) {
    Fail(fmt::format("string length {} exceeds remaining {} bytes", len, remaining()));
  }
  if (len > limits_.max_string_size) {
    Fail(fmt::format("string length {} exceeds limit {}", len, limits_.max_string_size));
  }
  std::string_view v(reinterpret_cast<const char*>(pos_), len);
  pos_ += len;
  return v;
}

void ThriftCompactReader::CheckCount(uint64_t count, ThriftType elem, ThriftType value,
                                     const char* what) {
  const size_t min_bytes_each =
      MinElementSize(elem) + (value == ThriftType::kStop ? 0 : MinElementSize(value));
  if (count > limits_.max_container_size) {
    Fail(fmt::format("{} size {} exceeds limit {}", what, count, limits_.max_container_size));
  }
  // count < 2^32 and min_bytes_each <= 32, so this cannot overflow.
  const uint64_t min_bytes = count * min_bytes_each;
  if (min_bytes > remaining()) {
    const std::string desc =
        value == ThriftType::kStop
            ? fmt::format("{} elements", ThriftTypeName(elem))
            : fmt::format("{}->{} entries", ThriftTypeName(elem), ThriftTypeName(value));
    Fail(fmt::format("{} of {} {} needs at least {} bytes, {} remain", what, count, desc, min_bytes,
                     remaining()));
  }
}

ThriftListHeader ThriftCompactReader::ReadListHeader() {
  Need(1, "list header");
  const uint8_t byte = *pos_++;
  const uint8_t type = byte & 0x0F;
  if (type == 0 || type > kMaxWireType) Fail(fmt::format("invalid list element type {}", type));
  const auto elem = static_cast<ThriftType>(type);
  uint32_t size = byte >> 4;
  if (size == 15) size = ReadVarint32();
  CheckCount(size, elem, ThriftType::kStop, "list");
  return {elem, size};
}

ThriftMapHeader ThriftCompactReader::ReadMapHeader() {
  const uint32_t size = ReadVarint32();
  if (size == 0) return {};
  Need(1, "map key/value types");
  const uint8_t byte = *pos_++;
  const uint8_t k = byte >> 4;
  const uint8_t v = byte & 0x0F;
  if (k == 0 || k > kMaxWireType) Fail(fmt::format("invalid map key type {}", k));
  if (v == 0 || v > kMaxWireType) Fail(fmt::format("invalid map value type {}", v));
  const auto key = static_cast<ThriftType>(k);
  const auto value = static_cast<ThriftType>(v);
  CheckCount(size, key, value, "map");
  return {key, value, size};
}

void ThriftCompactReader::SkipValue(ThriftType type, bool in_container) {
  switch (type) {
    case ThriftType::kBoolTrue:
    case ThriftType::kBoolFalse:
      if (in_container) ReadBool();
      return;
    case ThriftType::kByte:
      Need(1, "byte");
      pos_ += 1;
      return;
    case ThriftType::kI16:
      ReadI16();
      return;
    case ThriftType::kI32:
      ReadI32();
      return;
    case ThriftType::kI64:
      ReadI64();
      return;
    case ThriftType::kDouble:
      Need(8, "double");
      pos_ += 8;
      return;
    case ThriftType::kUuid:
      Need(16, "uuid");
      pos_ += 16;
      return;
    case ThriftType::kBinary:
      ReadBinary();
      return;
    case ThriftType::kList:
    case ThriftType::kSet: {
      EnterNested();
      const ThriftListHeader h = ReadListHeader();
      for (uint32_t i = 0; i < h.size; ++i) SkipValue(h.elem_type, true);
      LeaveNested();
      return;
    }
    case ThriftType::kMap: {
      EnterNested();
      const ThriftMapHeader h = ReadMapHeader();
      for (uint32_t i = 0; i < h.size; ++i) {
        SkipValue(h.key_type, true);
        SkipValue(h.value_type, true);
      }
      LeaveNested();
      return;
    }
    case ThriftType::kStruct: {
      StructBegin();
      for (;;) {
        const ThriftFieldHeader f = ReadFieldHeader();
        if (f.type == ThriftType::kStop) break;
        SkipValue(f.type, false);
      }
      StructEnd();
      return;
    }
    case ThriftType::kStop:
      break;
  }
  Fail(fmt::format("cannot skip a value of type {}", static_cast<int>(type)));
}

// ---------------------------------------------------------------------------------------
// Writer

void ThriftCompactWriter::StructBegin() {
  field_id_stack_.push_back(last_field_id_);
  last_field_id_ = 0;
}

void ThriftCompactWriter::StructEnd() {
  CPGLAKE_CHECK(!field_id_stack_.empty(), "ThriftCompactWriter::StructEnd without StructBegin");
  out_->push_back('\0');
  last_field_id_ = field_id_stack_.back();
  field_id_stack_.pop_back();
}

void ThriftCompactWriter::FieldHeader(ThriftType type, int16_t id) {
  CPGLAKE_CHECK(type != ThriftType::kStop, "a field cannot have the stop type");
  const int delta = static_cast<int>(id) - last_field_id_;
  const auto t = static_cast<uint8_t>(type);
  if (delta > 0 && delta <= 15) {
    out_->push_back(static_cast<char>((delta << 4) | t));
  } else {
    out_->push_back(static_cast<char>(t));
    WriteI16(id);
  }
  last_field_id_ = id;
}

void ThriftCompactWriter::BoolField(int16_t id, bool value) {
  FieldHeader(value ? ThriftType::kBoolTrue : ThriftType::kBoolFalse, id);
}

void ThriftCompactWriter::WriteBool(bool value) {
  out_->push_back(value ? 1 : 2);
}

void ThriftCompactWriter::WriteByte(int8_t value) {
  out_->push_back(static_cast<char>(value));
}

void ThriftCompactWriter::WriteI16(int16_t value) {
  WriteI32(value);
}

void ThriftCompactWriter::WriteI32(int32_t value) {
  const auto u = static_cast<uint32_t>(value);
  WriteVarint64((u << 1) ^ static_cast<uint32_t>(value >> 31));
}

void ThriftCompactWriter::WriteI64(int64_t value) {
  const auto u = static_cast<uint64_t>(value);
  WriteVarint64((u << 1) ^ static_cast<uint64_t>(value >> 63));
}

void ThriftCompactWriter::WriteVarint64(uint64_t value) {
  char buf[10];
  size_t n = 0;
  while (value >= 0x80) {
    buf[n++] = static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  buf[n++] = static_cast<char>(value);
  out_->append(buf, n);
}

void ThriftCompactWriter::WriteDouble(double value) {
  uint64_t bits = std::bit_cast<uint64_t>(value);
  char buf[8];
  for (char& c : buf) {
    c = static_cast<char>(bits & 0xFF);
    bits >>= 8;
  }
  out_->append(buf, 8);
}

void ThriftCompactWriter::WriteBinary(std::string_view value) {
  CPGLAKE_CHECK(value.size() <= std::numeric_limits<uint32_t>::max(),
                "thrift binary longer than 4 GiB");
  WriteVarint64(value.size());
  out_->append(value.data(), value.size());
}

void ThriftCompactWriter::WriteUuid(const uint8_t bytes[16]) {
  out_->append(reinterpret_cast<const char*>(bytes), 16);
}

void ThriftCompactWriter::ListHeader(ThriftType elem_type, size_t size) {
  CPGLAKE_CHECK(size <= std::numeric_limits<uint32_t>::max(), "thrift list too long");
  const auto t = static_cast<uint8_t>(elem_type);
  if (size < 15) {
    out_->push_back(static_cast<char>((size << 4) | t));
  } else {
    out_->push_back(static_cast<char>(0xF0 | t));
    WriteVarint64(size);
  }
}

void ThriftCompactWriter::MapHeader(ThriftType key_type, ThriftType value_type, size_t size) {
  CPGLAKE_CHECK(size <= std::numeric_limits<uint32_t>::max(), "thrift map too large");
  WriteVarint64(size);
  if (size > 0) {
    out_->push_back(static_cast<char>((static_cast<uint8_t>(key_type) << 4) |
                                      static_cast<uint8_t>(value_type)));
  }
}

}  // namespace cpglake::parquet
