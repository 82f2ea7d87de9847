#include "delta/deletion_vector.h"

#include <roaring/roaring.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "common/error.h"

namespace cpglake::delta {

namespace {

constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

constexpr std::array<int8_t, 256> MakeZ85Table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (size_t i = 0; i < kZ85Alphabet.size(); ++i) {
    t[static_cast<unsigned char>(kZ85Alphabet[i])] = static_cast<int8_t>(i);
  }
  return t;
}
constexpr std::array<int8_t, 256> kZ85Digit = MakeZ85Table();

constexpr uint64_t kBucketSpan = uint64_t{1} << 32;
constexpr uint64_t kMaxRowExclusive = uint64_t{1} << 63;

uint32_t LoadLe32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
uint64_t LoadLe64(const uint8_t* p) {
  return LoadLe32(p) | uint64_t{LoadLe32(p + 4)} << 32;
}
uint32_t LoadBe32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}
void AppendLe32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void AppendLe64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void AppendBe32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint32_t Crc32(std::string_view bytes) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  const auto* p = reinterpret_cast<const Bytef*>(bytes.data());
  size_t n = bytes.size();
  while (n > 0) {
    auto chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc = ::crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

// "deletion vector u<...>@1" for messages; long inline payloads are shortened.
std::string DvName(const DeletionVectorDescriptor& dv) {
  std::string id = dv.UniqueId();
  if (id.size() > 80) id = id.substr(0, 77) + "...";
  return "deletion vector " + id;
}

// ---- CRoaring containers --------------------------------------------------------------
//
// CRoaring 0.2.66 (Debian) declares its containers in the public roaring.h. We read them for
// two things its API lacks: validating what its bounds-checked decoder accepts, and
// serialising with Java's container choices. Newer CRoaring hides these structs: re-check
// this section when upgrading.
static_assert(ROARING_VERSION_MAJOR == 0 && ROARING_VERSION_MINOR == 2,
              "deletion_vector.cc reads CRoaring 0.2.x container internals");

struct ContainerRef {
  uint16_t key;
  uint8_t type;  // BITSET/ARRAY/RUN_CONTAINER_TYPE_CODE, never SHARED
  const void* c;
};

ContainerRef GetContainer(const roaring_bitmap_t* bm, int32_t i) {
  const roaring_array_t& ra = bm->high_low_container;
  uint8_t type = ra.typecodes[i];
  const void* c = container_unwrap_shared(ra.containers[i], &type);
  return {ra.keys[i], type, c};
}

const array_container_t* AsArray(const ContainerRef& r) {
  return static_cast<const array_container_t*>(r.c);
}
const bitset_container_t* AsBitset(const ContainerRef& r) {
  return static_cast<const bitset_container_t*>(r.c);
}
const run_container_t* AsRun(const ContainerRef& r) {
  return static_cast<const run_container_t*>(r.c);
}

// Checks what CRoaring's decoder takes on trust: container keys ascending, array values
// ascending, a bitset's recorded cardinality equal to its bits, runs in order, not
// overlapping and inside their 16-bit block. Cost: O(containers + array values + runs).
bool BitmapIsConsistent(const roaring_bitmap_t* bm) {
  const roaring_array_t& ra = bm->high_low_container;
  for (int32_t i = 0; i < ra.size; ++i) {
    if (i > 0 && ra.keys[i] <= ra.keys[i - 1]) return false;
    ContainerRef r = GetContainer(bm, i);
    switch (r.type) {
      case ARRAY_CONTAINER_TYPE_CODE: {
        const array_container_t* a = AsArray(r);
        if (a->cardinality < 1) return false;
        for (int32_t j = 1; j < a->cardinality; ++j) {
          if (a->array[j] <= a->array[j - 1]) return false;
        }
        break;
      }
      case BITSET_CONTAINER_TYPE_CODE: {
        const bitset_container_t* b = AsBitset(r);
        int64_t bits = 0;
        for (int w = 0; w < 1024; ++w) bits += __builtin_popcountll(b->array[w]);
        if (bits != b->cardinality || bits == 0) return false;
        break;
      }
      case RUN_CONTAINER_TYPE_CODE: {
        const run_container_t* run = AsRun(r);
        if (run->n_runs < 1) return false;
        int64_t next_free = 0;  // the smallest value the next run may start at
        for (int32_t j = 0; j < run->n_runs; ++j) {
          int64_t v = run->runs[j].value;
          int64_t end = v + run->runs[j].length;  // inclusive
          if (v < next_free || end > 0xffff) return false;
          next_free = end + 1;
        }
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

// Checks the header of a portable 32-bit bitmap (cookie, container count, header sizes) fits
// in `limit` bytes before CRoaring sees it: its decoder sizes allocations from the count.
bool PortableHeaderFits(const uint8_t* p, size_t limit) {
  if (limit < 8) return false;
  const uint32_t cookie = LoadLe32(p);
  size_t header = 0;
  if ((cookie & 0xffff) == 12347) {  // with run containers: count in the cookie
    const size_t size = (cookie >> 16) + 1;
    header = 4 + (size + 7) / 8 + 4 * size + (size >= 4 ? 4 * size : 0);
  } else if (cookie == 12346) {  // no run containers: count follows
    const size_t size = LoadLe32(p + 4);
    if (size > 65536) return false;
    header = 8 + 8 * size;
  } else {
    return false;
  }
  return header <= limit;
}

// A container's contents in the form a serialised kind needs.
std::vector<uint16_t> ContainerValues(const ContainerRef& r) {
  std::vector<uint16_t> out;
  switch (r.type) {
    case ARRAY_CONTAINER_TYPE_CODE:
      out.assign(AsArray(r)->array, AsArray(r)->array + AsArray(r)->cardinality);
      break;
    case BITSET_CONTAINER_TYPE_CODE:
      for (int w = 0; w < 1024; ++w) {
        for (uint64_t bits = AsBitset(r)->array[w]; bits != 0; bits &= bits - 1) {
          out.push_back(static_cast<uint16_t>(w * 64 + __builtin_ctzll(bits)));
        }
      }
      break;
    case RUN_CONTAINER_TYPE_CODE:
      for (int32_t j = 0; j < AsRun(r)->n_runs; ++j) {
        const rle16_t& run = AsRun(r)->runs[j];
        for (uint32_t v = run.value; v <= uint32_t{run.value} + run.length; ++v) {
          out.push_back(static_cast<uint16_t>(v));
        }
      }
      break;
  }
  return out;
}

std::vector<uint64_t> ContainerWords(const ContainerRef& r) {
  if (r.type == BITSET_CONTAINER_TYPE_CODE) {
    return std::vector<uint64_t>(AsBitset(r)->array, AsBitset(r)->array + 1024);
  }
  std::vector<uint64_t> words(1024, 0);
  for (uint16_t v : ContainerValues(r)) words[v >> 6] |= uint64_t{1} << (v & 63);
  return words;
}

// (start, length - 1) pairs, as stored in a run container.
std::vector<std::pair<uint16_t, uint16_t>> ContainerRuns(const ContainerRef& r) {
  std::vector<std::pair<uint16_t, uint16_t>> runs;
  if (r.type == RUN_CONTAINER_TYPE_CODE) {
    for (int32_t j = 0; j < AsRun(r)->n_runs; ++j) {
      runs.emplace_back(AsRun(r)->runs[j].value, AsRun(r)->runs[j].length);
    }
    return runs;
  }
  std::vector<uint64_t> words = ContainerWords(r);
  int32_t start = -1;
  for (int32_t v = 0; v <= 0x10000; ++v) {
    bool set = v < 0x10000 && ((words[v >> 6] >> (v & 63)) & 1);
    if (set && start < 0) start = v;
    if (!set && start >= 0) {
      runs.emplace_back(static_cast<uint16_t>(start), static_cast<uint16_t>(v - 1 - start));
      start = -1;
    }
  }
  return runs;
}

int64_t ContainerRunCount(const ContainerRef& r) {
  switch (r.type) {
    case RUN_CONTAINER_TYPE_CODE:
      return AsRun(r)->n_runs;
    case ARRAY_CONTAINER_TYPE_CODE: {
      const array_container_t* a = AsArray(r);
      int64_t runs = 0;
      for (int32_t j = 0; j < a->cardinality; ++j) {
        if (j == 0 || a->array[j] != a->array[j - 1] + 1) ++runs;
      }
      return runs;
    }
    default: {  // bitset: count the starts of runs (a set bit whose predecessor is clear)
      const uint64_t* w = AsBitset(r)->array;
      int64_t runs = 0;
      uint64_t carry = 0;
      for (int i = 0; i < 1024; ++i) {
        runs += __builtin_popcountll(w[i] & ~((w[i] << 1) | carry));
        carry = w[i] >> 63;
      }
      return runs;
    }
  }
}

void AppendLe16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v));
  out->push_back(static_cast<char>(v >> 8));
}

// Appends `bm` in the portable Roaring format (RoaringFormatSpec), choosing each container's
// kind the way Java's RoaringBitmap does after runOptimize() -- what Delta's writers do --
// so that our bytes equal theirs: an array up to 4096 values, else a bitset; then a run
// container if that is strictly smaller (2 + 4 * runs bytes against 2 * cardinality for an
// array, 8192 for a bitset). CRoaring's own run_optimize counts an array's size differently
// and would pick runs for e.g. {0, 1, 2}.
void SerializeBitmap32(const roaring_bitmap_t* bm, std::string* out) {
  enum Kind { kArray, kBitset, kRun };
  const int32_t size = bm->high_low_container.size;
  std::vector<Kind> kinds(static_cast<size_t>(size));
  std::vector<int32_t> cards(static_cast<size_t>(size));
  std::vector<int64_t> runs(static_cast<size_t>(size));
  std::vector<uint32_t> data_sizes(static_cast<size_t>(size));
  bool has_run = false;
  for (int32_t i = 0; i < size; ++i) {
    ContainerRef r = GetContainer(bm, i);
    cards[i] = container_get_cardinality(r.c, r.type);
    runs[i] = ContainerRunCount(r);
    kinds[i] = cards[i] <= 4096 ? kArray : kBitset;
    int64_t current = kinds[i] == kArray ? 2 * int64_t{cards[i]} : 8192;
    int64_t as_run = 2 + 4 * runs[i];
    if (current > as_run) {
      kinds[i] = kRun;
      has_run = true;
    }
    data_sizes[i] = static_cast<uint32_t>(kinds[i] == kRun ? as_run : current);
  }
  const size_t start = out->size();
  if (has_run) {
    AppendLe32(out, 12347u | (static_cast<uint32_t>(size - 1) << 16));
    std::string run_flags(static_cast<size_t>(size + 7) / 8, '\0');
    for (int32_t i = 0; i < size; ++i) {
      if (kinds[i] == kRun) run_flags[i / 8] = static_cast<char>(run_flags[i / 8] | 1 << (i % 8));
    }
    out->append(run_flags);
  } else {
    AppendLe32(out, 12346u);
    AppendLe32(out, static_cast<uint32_t>(size));
  }
  for (int32_t i = 0; i < size; ++i) {
    AppendLe16(out, GetContainer(bm, i).key);
    AppendLe16(out, static_cast<uint16_t>(cards[i] - 1));
  }
  if (!has_run || size >= 4) {
    auto offset = static_cast<uint32_t>(out->size() - start + 4 * static_cast<size_t>(size));
    for (int32_t i = 0; i < size; ++i) {
      AppendLe32(out, offset);
      offset += data_sizes[i];
    }
  }
  for (int32_t i = 0; i < size; ++i) {
    ContainerRef r = GetContainer(bm, i);
    switch (kinds[i]) {
      case kArray:
        for (uint16_t v : ContainerValues(r)) AppendLe16(out, v);
        break;
      case kBitset:
        for (uint64_t w : ContainerWords(r)) AppendLe64(out, w);
        break;
      case kRun: {
        auto pairs = ContainerRuns(r);
        AppendLe16(out, static_cast<uint16_t>(pairs.size()));
        for (const auto& [value, length] : pairs) {
          AppendLe16(out, value);
          AppendLe16(out, length);
        }
        break;
      }
    }
  }
}

}  // namespace

// ---- Z85 ----------------------------------------------------------------------------

std::vector<uint8_t> Z85Decode(std::string_view text) {
  if (text.size() % 5 != 0) {
    throw CorruptData("Z85 text has " + std::to_string(text.size()) +
                      " characters, not a multiple of 5");
  }
  std::vector<uint8_t> out;
  out.reserve(text.size() / 5 * 4);
  for (size_t i = 0; i < text.size(); i += 5) {
    // A group can never start with '#' (84 * 85^4 > 2^32), so a final group of p '#'s and
    // 5 - p digits is unambiguously the padded tail of the Rust z85 crate: 4 - p bytes.
    size_t pad = 0;
    if (i + 5 == text.size()) {
      while (pad < 4 && text[i + pad] == '#') ++pad;
      if (pad == 4) throw CorruptData("Z85 final group '####" + std::string(1, text[i + 4]) + "'");
    }
    uint64_t value = 0;
    for (size_t j = pad; j < 5; ++j) {
      int digit = kZ85Digit[static_cast<unsigned char>(text[i + j])];
      if (digit < 0) {
        throw CorruptData("Z85 text has an invalid character (byte " +
                          std::to_string(static_cast<unsigned char>(text[i + j])) +
                          ") at position " + std::to_string(i + j));
      }
      value = value * 85 + static_cast<uint64_t>(digit);
    }
    const size_t nbytes = 4 - pad;
    if (value >> (8 * nbytes) != 0) {
      throw CorruptData("Z85 group at position " + std::to_string(i) + " exceeds " +
                        std::to_string(8 * nbytes) + " bits");
    }
    for (size_t b = nbytes; b-- > 0;) out.push_back(static_cast<uint8_t>(value >> (8 * b)));
  }
  return out;
}

std::string Z85Encode(std::span<const uint8_t> bytes) {
  if (bytes.size() % 4 != 0) {
    throw InvalidInput("Z85 encodes groups of 4 bytes; got " + std::to_string(bytes.size()));
  }
  std::string out;
  out.reserve(bytes.size() / 4 * 5);
  for (size_t i = 0; i < bytes.size(); i += 4) {
    uint32_t value = LoadBe32(bytes.data() + i);
    char group[5];
    for (int j = 4; j >= 0; --j) {
      group[j] = kZ85Alphabet[value % 85];
      value /= 85;
    }
    out.append(group, 5);
  }
  return out;
}

std::string UuidToZ85(std::string_view uuid) {
  auto fail = [&]() -> std::string {
    throw InvalidInput("not a canonical UUID: '" + std::string(uuid) + "'");
  };
  if (uuid.size() != 36) return fail();
  std::array<uint8_t, 16> bytes{};
  size_t b = 0;
  for (size_t i = 0; i < uuid.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (uuid[i] != '-') return fail();
      ++i;
      continue;
    }
    auto hex = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = hex(uuid[i]);
    int lo = hex(uuid[i + 1]);
    if (hi < 0 || lo < 0) return fail();
    bytes[b++] = static_cast<uint8_t>(hi * 16 + lo);
    i += 2;
  }
  return Z85Encode(bytes);
}

std::string Z85ToUuid(std::string_view z85) {
  if (z85.size() != 20) {
    throw CorruptData("a Z85-encoded UUID has 20 characters, not " + std::to_string(z85.size()));
  }
  std::vector<uint8_t> bytes = Z85Decode(z85);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

// ---- descriptors --------------------------------------------------------------------

std::string DeletionVectorDescriptor::UniqueId() const {
  std::string id(1, storage_type);
  id += path_or_inline_dv;
  if (offset.has_value()) id += "@" + std::to_string(*offset);
  return id;
}

std::string DeletionVectorPath(const DeletionVectorDescriptor& dv) {
  switch (dv.storage_type) {
    case 'u': {
      const std::string& s = dv.path_or_inline_dv;
      if (s.size() < 20) {
        throw CorruptData(DvName(dv) + ": pathOrInlineDv must end with a 20-character Z85 UUID");
      }
      std::string uuid;
      try {
        uuid = Z85ToUuid(std::string_view(s).substr(s.size() - 20));
      } catch (const CorruptData& e) {
        throw CorruptData(DvName(dv) + ": bad UUID: " + e.what());
      }
      std::string prefix = s.substr(0, s.size() - 20);
      std::string key = (prefix.empty() ? "" : prefix + "/") + "deletion_vector_" + uuid + ".bin";
      try {
        storage::ValidateKey(key);
      } catch (const InvalidInput& e) {
        throw CorruptData(DvName(dv) + ": bad random prefix: " + e.what());
      }
      return key;
    }
    case 'p':
      return dv.path_or_inline_dv;
    case 'i':
      throw InvalidInput(DvName(dv) + ": an inline deletion vector has no path");
    default:
      throw CorruptData(DvName(dv) + ": unknown storageType '" + std::string(1, dv.storage_type) +
                        "' (expected 'u', 'i' or 'p')");
  }
}

// ---- DeletionVector -----------------------------------------------------------------

void DeletionVector::Free::operator()(roaring_bitmap_s* r) const {
  roaring_bitmap_free(r);
}

DeletionVector::DeletionVector() = default;
DeletionVector::~DeletionVector() = default;
DeletionVector::DeletionVector(DeletionVector&& other) noexcept = default;
DeletionVector& DeletionVector::operator=(DeletionVector&& other) noexcept = default;

DeletionVector::DeletionVector(const DeletionVector& other) {
  for (const auto& [high, bm] : other.buckets_) {
    Bucket copy(roaring_bitmap_copy(bm.get()));
    if (copy == nullptr) throw std::bad_alloc();
    buckets_.emplace(high, std::move(copy));
  }
}

DeletionVector& DeletionVector::operator=(const DeletionVector& other) {
  if (this != &other) *this = DeletionVector(other);
  return *this;
}

DeletionVector DeletionVector::FromRows(std::span<const uint64_t> rows) {
  DeletionVector dv;
  for (uint64_t r : rows) dv.Add(r);
  return dv;
}

roaring_bitmap_s* DeletionVector::MutableBucket(uint32_t high) {
  auto it = buckets_.find(high);
  if (it != buckets_.end()) return it->second.get();
  Bucket bm(roaring_bitmap_create());
  if (bm == nullptr) throw std::bad_alloc();
  return buckets_.emplace(high, std::move(bm)).first->second.get();
}

void DeletionVector::Add(uint64_t row) {
  if (row >= kMaxRowExclusive) {
    throw InvalidInput("row index " + std::to_string(row) + " is too large for a deletion vector");
  }
  roaring_bitmap_add(MutableBucket(static_cast<uint32_t>(row >> 32)),
                     static_cast<uint32_t>(row & 0xffffffffu));
}

void DeletionVector::AddRange(uint64_t begin, uint64_t end) {
  if (begin >= end) return;
  if (end > kMaxRowExclusive) {
    throw InvalidInput("row index " + std::to_string(end - 1) +
                       " is too large for a deletion vector");
  }
  while (begin < end) {
    uint64_t high = begin >> 32;
    uint64_t bucket_end = std::min(end, (high + 1) * kBucketSpan);
    roaring_bitmap_add_range(MutableBucket(static_cast<uint32_t>(high)), begin & 0xffffffffu,
                             bucket_end - high * kBucketSpan);
    begin = bucket_end;
  }
}

void DeletionVector::Union(const DeletionVector& other) {
  for (const auto& [high, bm] : other.buckets_) {
    auto it = buckets_.find(high);
    if (it != buckets_.end()) {
      roaring_bitmap_or_inplace(it->second.get(), bm.get());
    } else {
      Bucket copy(roaring_bitmap_copy(bm.get()));
      if (copy == nullptr) throw std::bad_alloc();
      buckets_.emplace(high, std::move(copy));
    }
  }
}

bool DeletionVector::Contains(uint64_t row) const {
  auto it = buckets_.find(static_cast<uint32_t>(row >> 32));
  if (row >= kMaxRowExclusive || it == buckets_.end()) return false;
  return roaring_bitmap_contains(it->second.get(), static_cast<uint32_t>(row & 0xffffffffu));
}

int64_t DeletionVector::Cardinality() const {
  uint64_t n = 0;
  for (const auto& [high, bm] : buckets_) n += roaring_bitmap_get_cardinality(bm.get());
  return static_cast<int64_t>(n);
}

std::vector<uint64_t> DeletionVector::ToVector() const {
  std::vector<uint64_t> out;
  out.reserve(static_cast<size_t>(Cardinality()));
  std::vector<uint32_t> low;
  for (const auto& [high, bm] : buckets_) {
    low.resize(roaring_bitmap_get_cardinality(bm.get()));
    roaring_bitmap_to_uint32_array(bm.get(), low.data());
    for (uint32_t v : low) out.push_back(uint64_t{high} << 32 | v);
  }
  return out;
}

int64_t DeletionVector::CountInRange(uint64_t begin, uint64_t end) const {
  uint64_t n = 0;
  for (auto it = buckets_.lower_bound(static_cast<uint32_t>(std::min(begin >> 32, uint64_t{~0u})));
       it != buckets_.end() && begin < end; ++it) {
    uint64_t base = uint64_t{it->first} << 32;
    if (base >= end) break;
    uint64_t lo = std::max(begin, base) - base;
    uint64_t hi = std::min(end, base + kBucketSpan) - base;
    if (lo < hi) n += roaring_bitmap_range_cardinality(it->second.get(), lo, hi);
  }
  return static_cast<int64_t>(n);
}

bool DeletionVector::operator==(const DeletionVector& other) const {
  if (buckets_.size() != other.buckets_.size()) return false;
  for (auto a = buckets_.begin(), b = other.buckets_.begin(); a != buckets_.end(); ++a, ++b) {
    if (a->first != b->first || !roaring_bitmap_equals(a->second.get(), b->second.get())) {
      return false;
    }
  }
  return true;
}

std::string DeletionVector::SerializeRoaringArray() const {
  std::string out;
  AppendLe32(&out, kRoaringBitmapArrayMagic);
  AppendLe64(&out, buckets_.size());
  for (const auto& [high, bm] : buckets_) {
    AppendLe32(&out, high);
    SerializeBitmap32(bm.get(), &out);
  }
  return out;
}

DeletionVector DeletionVector::DeserializeRoaringArray(std::string_view bytes,
                                                       std::string_view what) {
  auto fail = [&](const std::string& why) -> DeletionVector {
    throw CorruptData(std::string(what) + ": " + why);
  };
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  if (n < 8) return fail("RoaringBitmapArray of " + std::to_string(n) + " bytes is too short");
  const uint32_t magic = LoadLe32(p);
  const bool native = magic == kNativeRoaringBitmapArrayMagic;
  if (!native && magic != kRoaringBitmapArrayMagic) {
    return fail("bad RoaringBitmapArray magic number " + std::to_string(magic) + " (expected " +
                std::to_string(kRoaringBitmapArrayMagic) + ")");
  }
  // Portable: numBuckets (int64), then per bucket key (uint32) + bitmap.
  // Native (Delta Spark's other format): numBitmaps (int32), then per bitmap its size (int32)
  // + bitmap; the bitmap's index is its key.
  const size_t count_size = native ? 4 : 8;
  if (n < 4 + count_size) return fail("RoaringBitmapArray truncated in its header");
  const uint64_t num_buckets = native ? LoadLe32(p + 4) : LoadLe64(p + 4);
  size_t pos = 4 + count_size;
  // Each bucket takes at least 4 (key or size) + 8 (empty bitmap) bytes.
  if (num_buckets > (n - pos) / 12) {
    return fail("RoaringBitmapArray claims " + std::to_string(num_buckets) +
                " buckets but has only " + std::to_string(n - pos) + " bytes for them");
  }
  DeletionVector dv;
  int64_t prev_key = -1;
  for (uint64_t b = 0; b < num_buckets; ++b) {
    if (n - pos < 4) return fail("RoaringBitmapArray truncated in bucket " + std::to_string(b));
    const uint32_t field = LoadLe32(p + pos);
    pos += 4;
    size_t limit = n - pos;
    uint32_t key = static_cast<uint32_t>(b);
    if (native) {
      if (field > limit) {
        return fail("bitmap " + std::to_string(b) + " of " + std::to_string(field) +
                    " bytes runs past the end");
      }
      limit = field;
    } else {
      key = field;
      if (key >= 0x80000000u) {
        return fail("bucket key " + std::to_string(key) + " has its top bit set");
      }
      if (static_cast<int64_t>(key) <= prev_key) {
        return fail("bucket keys are not strictly ascending (" + std::to_string(key) + " after " +
                    std::to_string(prev_key) + ")");
      }
    }
    prev_key = key;
    const char* data = bytes.data() + pos;
    if (!PortableHeaderFits(p + pos, limit)) {
      return fail("invalid or truncated Roaring bitmap header in bucket " + std::to_string(key));
    }
    const size_t size = roaring_bitmap_portable_deserialize_size(data, limit);
    if (size == 0 || (native && size != limit)) {
      return fail("invalid or truncated Roaring bitmap in bucket " + std::to_string(key));
    }
    Bucket bm(roaring_bitmap_portable_deserialize_safe(data, size));
    if (bm == nullptr || !BitmapIsConsistent(bm.get())) {
      return fail("invalid Roaring bitmap in bucket " + std::to_string(key));
    }
    pos += size;
    if (roaring_bitmap_get_cardinality(bm.get()) > 0) dv.buckets_.emplace(key, std::move(bm));
  }
  if (pos != n) {
    return fail(std::to_string(n - pos) + " unexpected bytes after the RoaringBitmapArray");
  }
  return dv;
}

// ---- DV files -----------------------------------------------------------------------

std::string FrameDeletionVector(std::string_view roaring_array) {
  if (roaring_array.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw InvalidInput("deletion vector of " + std::to_string(roaring_array.size()) +
                       " bytes is too large to store");
  }
  std::string out;
  out.reserve(roaring_array.size() + 8);
  AppendBe32(&out, static_cast<uint32_t>(roaring_array.size()));
  out.append(roaring_array);
  AppendBe32(&out, Crc32(roaring_array));
  return out;
}

std::string SerializeDvFile(const std::vector<std::string>& roaring_arrays,
                            std::vector<int32_t>* offsets) {
  std::string out(1, static_cast<char>(kDvFileVersion));
  if (offsets != nullptr) offsets->clear();
  for (const std::string& dv : roaring_arrays) {
    if (out.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      throw InvalidInput("deletion vector file exceeds 2 GiB; split it");
    }
    if (offsets != nullptr) offsets->push_back(static_cast<int32_t>(out.size()));
    out += FrameDeletionVector(dv);
  }
  return out;
}

DeletionVectorDescriptor MakeInlineDescriptor(const DeletionVector& dv) {
  std::string bytes = dv.SerializeRoaringArray();
  DeletionVectorDescriptor d;
  d.storage_type = 'i';
  d.size_in_bytes = static_cast<int32_t>(bytes.size());
  d.cardinality = dv.Cardinality();
  bytes.resize((bytes.size() + 3) / 4 * 4, '\0');
  d.path_or_inline_dv = Z85Encode(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  return d;
}

namespace {

// The bytes of an inline DV (Z85 decoded, padding dropped).
std::string InlineBytes(const DeletionVectorDescriptor& d, const std::string& name) {
  std::vector<uint8_t> decoded;
  try {
    decoded = Z85Decode(d.path_or_inline_dv);
  } catch (const CorruptData& e) {
    throw CorruptData(name + ": bad inline data: " + e.what());
  }
  auto size = static_cast<size_t>(d.size_in_bytes);
  if (decoded.size() < size || decoded.size() - size >= 4) {
    throw CorruptData(name + ": inline data decodes to " + std::to_string(decoded.size()) +
                      " bytes but sizeInBytes is " + std::to_string(size));
  }
  return std::string(reinterpret_cast<const char*>(decoded.data()), size);
}

// Reads the framed DV (dataSize, bytes, CRC) at `offset` of a DV file and returns its bytes.
std::string ReadFramedDv(storage::ObjectStore& store, const std::string& key,
                         const DeletionVectorDescriptor& d, const std::string& name) {
  int64_t offset = d.offset.value_or(1);
  if (offset < 1) {
    throw CorruptData(name + ": offset " + std::to_string(offset) +
                      " is not after the version byte of the DV file");
  }
  const int64_t frame = int64_t{d.size_in_bytes} + 8;
  std::string version_byte;
  std::string framed;
  try {
    if (offset <= 4096) {  // one read covers the version byte and the DV
      std::string all = store.ReadRange(key, 0, offset + frame);
      version_byte = all.substr(0, 1);
      framed = all.substr(static_cast<size_t>(offset));
    } else {
      version_byte = store.ReadRange(key, 0, 1);
      framed = store.ReadRange(key, offset, frame);
    }
  } catch (const NotFound& e) {
    throw CorruptData(name + ": the deletion vector file is missing: " + e.what());
  } catch (const CorruptData& e) {
    throw CorruptData(name + ": the deletion vector file is too short: " + e.what());
  }
  const std::string where = " in " + store.DisplayPath(key);
  if (static_cast<uint8_t>(version_byte[0]) != kDvFileVersion) {
    throw CorruptData(name + ": unsupported DV file version " +
                      std::to_string(static_cast<uint8_t>(version_byte[0])) + where +
                      " (expected 1)");
  }
  const auto* p = reinterpret_cast<const uint8_t*>(framed.data());
  uint32_t size = LoadBe32(p);
  if (size != static_cast<uint32_t>(d.size_in_bytes)) {
    throw CorruptData(name + ": the DV file records " + std::to_string(size) + " bytes at offset " +
                      std::to_string(offset) + where + " but sizeInBytes is " +
                      std::to_string(d.size_in_bytes));
  }
  std::string data = framed.substr(4, size);
  uint32_t stored_crc = LoadBe32(p + 4 + size);
  uint32_t actual_crc = Crc32(data);
  if (stored_crc != actual_crc) {
    throw CorruptData(name + ": checksum mismatch" + where + " (stored CRC-32 " +
                      std::to_string(stored_crc) + ", computed " + std::to_string(actual_crc) +
                      ")");
  }
  return data;
}

}  // namespace

DeletionVector LoadDeletionVector(const DeletionVectorDescriptor& d,
                                  storage::ObjectStore& table_store) {
  const std::string name = DvName(d);
  if (d.size_in_bytes < 0) {
    throw CorruptData(name + ": negative sizeInBytes " + std::to_string(d.size_in_bytes));
  }
  if (d.cardinality < 0) {
    throw CorruptData(name + ": negative cardinality " + std::to_string(d.cardinality));
  }
  std::string bytes;
  if (d.storage_type == 'i') {
    bytes = InlineBytes(d, name);
  } else if (d.storage_type == 'u') {
    bytes = ReadFramedDv(table_store, DeletionVectorPath(d), d, name);
  } else if (d.storage_type == 'p') {
    const std::string& uri = d.path_or_inline_dv;
    size_t slash = uri.rfind('/');
    bool has_scheme = uri.find(':') != std::string::npos && uri.find(':') < uri.find('/');
    if (slash == std::string::npos || (!has_scheme && uri.front() != '/') ||
        slash + 1 == uri.size()) {
      throw CorruptData(name + ": '" + uri + "' is not an absolute path to a file");
    }
    // The path is URI-encoded like add.path: a bare absolute path is a file: URI without the
    // scheme, so both decode the same way.
    std::string dir = uri.substr(0, slash);
    std::shared_ptr<storage::ObjectStore> store =
        storage::OpenObjectStore(has_scheme ? dir : "file://" + (dir.empty() ? "/" : dir));
    std::string file_name;
    try {
      file_name = storage::UriDecode(std::string_view(uri).substr(slash + 1));
      storage::ValidateKey(file_name);
    } catch (const Error& e) {
      throw CorruptData(name + ": bad file name: " + e.what());
    }
    bytes = ReadFramedDv(*store, file_name, d, name);
  } else {
    DeletionVectorPath(d);  // throws CorruptData for the unknown storage type
  }
  DeletionVector dv = DeletionVector::DeserializeRoaringArray(bytes, name);
  if (dv.Cardinality() != d.cardinality) {
    throw CorruptData(name + ": holds " + std::to_string(dv.Cardinality()) +
                      " rows but its cardinality is " + std::to_string(d.cardinality));
  }
  return dv;
}

void ApplyDeletionVector(const DeletionVector& dv, int64_t first_row, int64_t num_rows,
                         columnar::Bitmap* keep) {
  if (first_row < 0 || num_rows < 0 || keep == nullptr || keep->length() != num_rows) {
    throw InvalidInput("ApplyDeletionVector: keep mask of " +
                       std::to_string(keep == nullptr ? -1 : keep->length()) +
                       " rows for a batch of " + std::to_string(num_rows) + " rows at row " +
                       std::to_string(first_row));
  }
  if (num_rows == 0) return;
  const auto begin = static_cast<uint64_t>(first_row);
  const uint64_t end = begin + static_cast<uint64_t>(num_rows);
  uint32_t buf[256];
  for (auto it = dv.buckets_.lower_bound(static_cast<uint32_t>(begin >> 32));
       it != dv.buckets_.end(); ++it) {
    const uint64_t base = uint64_t{it->first} << 32;
    if (base >= end) break;
    const uint64_t lo = std::max(begin, base) - base;
    const uint64_t hi = std::min(end, base + kBucketSpan) - base;  // exclusive, <= 2^32
    roaring_uint32_iterator_t iter;
    roaring_init_iterator(it->second.get(), &iter);
    if (!roaring_move_uint32_iterator_equalorlarger(&iter, static_cast<uint32_t>(lo))) continue;
    bool done = false;
    while (!done && iter.has_value) {
      uint32_t got = roaring_read_uint32_iterator(&iter, buf, 256);
      for (uint32_t i = 0; i < got; ++i) {
        if (buf[i] >= hi) {
          done = true;
          break;
        }
        keep->Set(static_cast<int64_t>(base + buf[i] - begin), false);
      }
      if (got < 256) break;
    }
  }
}

}  // namespace cpglake::delta
