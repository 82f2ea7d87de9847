#include "parquet/bloom_filter.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "parquet/thrift_internal.h"

namespace cpglake::parquet {

static_assert(std::endian::native == std::endian::little,
              "the bitset and plain values are little-endian on disk and in memory");

namespace {

constexpr uint32_t kSalt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                               0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

uint32_t RoundUpPow2Bytes(uint64_t bytes) {
  bytes = std::clamp<uint64_t>(bytes, BloomFilter::kMinBytes, BloomFilter::kMaxBytes);
  return static_cast<uint32_t>(std::bit_ceil(bytes));
}

// A union member without parameters (an empty struct): skips its fields.
void SkipEmptyStruct(ThriftCompactReader& r) {
  r.Skip(ThriftType::kStruct);
}

// Reads a union whose only known member is field 1 (an empty struct); returns whether that
// member is the one set. CorruptData unless exactly one member is set.
bool ReadUnitUnion(ThriftCompactReader& r, const char* name) {
  bool seen = false, known = false;
  r.StructBegin();
  for (;;) {
    const ThriftFieldHeader f = r.ReadFieldHeader();
    if (f.type == ThriftType::kStop) break;
    if (seen) r.Fail(std::string("BloomFilterHeader.") + name + " union has more than one member");
    seen = true;
    if (f.id == 1 && f.type == ThriftType::kStruct) {
      SkipEmptyStruct(r);
      known = true;
    } else {
      r.Skip(f.type);
    }
  }
  r.StructEnd();
  if (!seen) r.Fail(std::string("BloomFilterHeader.") + name + " union has no member set");
  return known;
}

}  // namespace

BloomFilterHeader DecodeBloomFilterHeader(const uint8_t* data, size_t size, size_t* header_size) {
  // The header is four small fields: no real one comes near these limits.
  ThriftLimits limits;
  limits.max_string_size = 1 << 16;
  limits.max_container_size = 1 << 16;
  ThriftCompactReader r(data, size, limits);
  BloomFilterHeader h;
  bool has_bytes = false, has_algorithm = false, has_hash = false, has_compression = false;
  r.StructBegin();
  for (;;) {
    const ThriftFieldHeader f = r.ReadFieldHeader();
    if (f.type == ThriftType::kStop) break;
    if (f.id == 1 &&
        (f.type == ThriftType::kI32 || f.type == ThriftType::kI16 || f.type == ThriftType::kI64)) {
      const int64_t v = f.type == ThriftType::kI64 ? r.ReadI64() : r.ReadI32();
      if (v < 0 || v > INT32_MAX) {
        r.Fail("BloomFilterHeader.numBytes " + std::to_string(v) + " is out of range");
      }
      h.num_bytes = static_cast<int32_t>(v);
      has_bytes = true;
    } else if (f.id == 2 && f.type == ThriftType::kStruct) {
      h.split_block = ReadUnitUnion(r, "algorithm");
      has_algorithm = true;
    } else if (f.id == 3 && f.type == ThriftType::kStruct) {
      h.xxhash = ReadUnitUnion(r, "hash");
      has_hash = true;
    } else if (f.id == 4 && f.type == ThriftType::kStruct) {
      h.uncompressed = ReadUnitUnion(r, "compression");
      has_compression = true;
    } else {
      r.Skip(f.type);
    }
  }
  r.StructEnd();
  if (!has_bytes) r.Fail("BloomFilterHeader.numBytes is missing");
  if (!has_algorithm) r.Fail("BloomFilterHeader.algorithm is missing");
  if (!has_hash) r.Fail("BloomFilterHeader.hash is missing");
  if (!has_compression) r.Fail("BloomFilterHeader.compression is missing");
  *header_size = r.position();
  return h;
}

uint32_t BloomFilter::OptimalNumBytes(int64_t ndv, double fpp) {
  if (!(fpp > 0.0 && fpp < 1.0)) {
    throw InvalidInput("Bloom filter false-positive probability " + std::to_string(fpp) +
                       " is not in (0, 1)");
  }
  if (ndv <= 0) return kMinBytes;
  const double bits = -8.0 * static_cast<double>(ndv) / std::log(1.0 - std::pow(fpp, 1.0 / 8.0));
  if (!(bits < 8.0 * kMaxBytes)) return kMaxBytes;
  return RoundUpPow2Bytes(static_cast<uint64_t>(std::ceil(bits / 8.0)));
}

uint64_t BloomFilter::HashBytes(std::string_view bytes) {
  return XXH64(bytes.data(), bytes.size(), 0);
}
uint64_t BloomFilter::HashInt32(int32_t v) {
  return XXH64(&v, sizeof(v), 0);
}
uint64_t BloomFilter::HashInt64(int64_t v) {
  return XXH64(&v, sizeof(v), 0);
}
uint64_t BloomFilter::HashFloat(float v) {
  return XXH64(&v, sizeof(v), 0);
}
uint64_t BloomFilter::HashDouble(double v) {
  return XXH64(&v, sizeof(v), 0);
}

BloomFilter::BloomFilter(uint32_t num_bytes) : words_(RoundUpPow2Bytes(num_bytes) / 4, 0) {}

void BloomFilter::InsertHash(uint64_t hash) {
  const uint64_t block = ((hash >> 32) * num_blocks()) >> 32;
  uint32_t* w = words_.data() + block * 8;
  const auto key = static_cast<uint32_t>(hash);
  for (int i = 0; i < 8; ++i) w[i] |= uint32_t{1} << ((key * kSalt[i]) >> 27);
}

bool BloomFilter::CheckHash(uint64_t hash) const {
  const uint64_t block = ((hash >> 32) * num_blocks()) >> 32;
  const uint32_t* w = words_.data() + block * 8;
  const auto key = static_cast<uint32_t>(hash);
  for (int i = 0; i < 8; ++i) {
    if ((w[i] & (uint32_t{1} << ((key * kSalt[i]) >> 27))) == 0) return false;
  }
  return true;
}

void BloomFilter::Serialize(std::string* out) const {
  ThriftCompactWriter w(out);
  w.StructBegin();
  w.I32Field(1, static_cast<int32_t>(num_bytes()));
  for (int16_t id = 2; id <= 4; ++id) {  // algorithm BLOCK, hash XXHASH, UNCOMPRESSED
    w.FieldHeader(ThriftType::kStruct, id);
    w.StructBegin();
    w.FieldHeader(ThriftType::kStruct, 1);
    w.StructBegin();
    w.StructEnd();
    w.StructEnd();
  }
  w.StructEnd();
  out->append(reinterpret_cast<const char*>(words_.data()), num_bytes());
}

BloomFilter BloomFilter::FromBitset(const uint8_t* data, size_t size) {
  if (size == 0 || size % kBytesPerBlock != 0 || size > kMaxBytes) {
    throw CorruptData("Bloom filter bitset of " + std::to_string(size) +
                      " bytes: not a positive multiple of 32 up to 128 MiB");
  }
  BloomFilter f(Raw{}, size / 4);
  std::memcpy(f.words_.data(), data, size);
  return f;
}

BloomFilter BloomFilter::Deserialize(const uint8_t* data, size_t size) {
  size_t header_size = 0;
  const BloomFilterHeader h = DecodeBloomFilterHeader(data, size, &header_size);
  if (!h.supported()) {
    throw Unsupported(
        "Bloom filter with an algorithm, hash or compression other than "
        "BLOCK / XXHASH / UNCOMPRESSED");
  }
  if (static_cast<uint64_t>(h.num_bytes) > size - header_size) {
    throw CorruptData("Bloom filter bitset of " + std::to_string(h.num_bytes) +
                      " bytes is truncated (" + std::to_string(size - header_size) +
                      " bytes follow its header)");
  }
  return FromBitset(data + header_size, static_cast<size_t>(h.num_bytes));
}

}  // namespace cpglake::parquet
