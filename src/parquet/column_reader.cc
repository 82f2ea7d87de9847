#include "parquet/column_reader.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "parquet/bit_util.h"
#include "parquet/byte_stream_split.h"
#include "parquet/compression.h"
#include "parquet/delta_encoding.h"
#include "parquet/rle_bit_packed.h"

namespace cpglake::parquet {

using columnar::Column;
using columnar::TypeId;

namespace {

int PhysicalWidth(const ReadNode& leaf) {
  switch (leaf.physical) {
    case Type::BOOLEAN:
      return 1;  // after unpacking: one byte per value
    case Type::INT32:
    case Type::FLOAT:
      return 4;
    case Type::INT64:
    case Type::DOUBLE:
      return 8;
    case Type::INT96:
      return 12;
    case Type::FIXED_LEN_BYTE_ARRAY:
      return leaf.type_length;
    case Type::BYTE_ARRAY:
      return 0;
  }
  return 0;
}

__int128 BigEndianToInt128(const uint8_t* p, size_t n, const ReadNode& leaf) {
  if (n == 0) return 0;
  // Wider than 16 bytes: the extra leading bytes must be pure sign extension.
  size_t skip = n > 16 ? n - 16 : 0;
  uint8_t sign = (p[0] & 0x80) ? 0xff : 0x00;
  for (size_t i = 0; i < skip; ++i) {
    if (p[i] != sign) {
      throw CorruptData("decimal value of column '" + leaf.name + "' does not fit in 128 bits");
    }
  }
  unsigned __int128 v = (p[skip] & 0x80) ? ~static_cast<unsigned __int128>(0) : 0;
  for (size_t i = skip; i < n; ++i) v = (v << 8) | p[i];
  return static_cast<__int128>(v);
}

float HalfToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400) == 0);
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (mant & 0x3ff) << 13;
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | mant << 13;
  } else {
    bits = sign | (exp - 15 + 127) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

template <typename Src, typename Dst>
void AppendCast(const uint8_t* src, int64_t n, Column* out) {
  auto& buf = out->data_buffer();
  size_t old = buf.size();
  buf.resize(old + n * sizeof(Dst));
  Dst* dst = reinterpret_cast<Dst*>(buf.data() + old);
  for (int64_t i = 0; i < n; ++i) {
    Src v;
    std::memcpy(&v, src + i * sizeof(Src), sizeof(Src));
    dst[i] = static_cast<Dst>(v);
  }
  out->SetLength(out->length() + n);
}

template <typename Src, typename Fn>
void AppendMapped(const uint8_t* src, int64_t n, Column* out, Fn fn) {
  using Dst = decltype(fn(Src{}));
  auto& buf = out->data_buffer();
  size_t old = buf.size();
  buf.resize(old + n * sizeof(Dst));
  Dst* dst = reinterpret_cast<Dst*>(buf.data() + old);
  for (int64_t i = 0; i < n; ++i) {
    Src v;
    std::memcpy(&v, src + i * sizeof(Src), sizeof(Src));
    dst[i] = fn(v);
  }
  out->SetLength(out->length() + n);
}

}  // namespace

void AppendBytesValue(const ReadNode& leaf, const uint8_t* data, size_t size, Column* out) {
  switch (leaf.conversion) {
    case LeafConversion::kBytesToDecimal:
      out->Append<__int128>(BigEndianToInt128(data, size, leaf));
      return;
    case LeafConversion::kUuidToString: {
      static const char* kHex = "0123456789abcdef";
      char text[36];
      int k = 0;
      for (size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) text[k++] = '-';
        text[k++] = kHex[data[i] >> 4];
        text[k++] = kHex[data[i] & 15];
      }
      out->AppendString(std::string_view(text, 36));
      return;
    }
    case LeafConversion::kFloat16ToFloat: {
      uint16_t h = static_cast<uint16_t>(data[0] | data[1] << 8);
      out->Append<float>(HalfToFloat(h));
      return;
    }
    default:
      out->AppendString(std::string_view(reinterpret_cast<const char*>(data), size));
      return;
  }
}

void AppendPlainFixed(const ReadNode& leaf, const uint8_t* src, int64_t n, Column* out) {
  if (n == 0) return;
  if (leaf.physical == Type::FIXED_LEN_BYTE_ARRAY) {
    for (int64_t i = 0; i < n; ++i) {
      AppendBytesValue(leaf, src + i * leaf.type_length, leaf.type_length, out);
    }
    return;
  }
  const bool is32 = leaf.physical == Type::INT32;
  switch (leaf.conversion) {
    case LeafConversion::kIdentity: {
      int w = PhysicalWidth(leaf);
      auto& buf = out->data_buffer();
      buf.insert(buf.end(), src, src + n * w);
      out->SetLength(out->length() + n);
      return;
    }
    case LeafConversion::kInt32ToInt8:
      return AppendCast<int32_t, int8_t>(src, n, out);
    case LeafConversion::kInt32ToInt16:
      return AppendCast<int32_t, int16_t>(src, n, out);
    case LeafConversion::kUInt8ToInt16:
      return AppendMapped<uint32_t>(src, n, out, [](uint32_t v) { return int16_t(uint8_t(v)); });
    case LeafConversion::kUInt16ToInt32:
      return AppendMapped<uint32_t>(src, n, out, [](uint32_t v) { return int32_t(uint16_t(v)); });
    case LeafConversion::kUInt32ToInt64:
      return AppendCast<uint32_t, int64_t>(src, n, out);
    case LeafConversion::kInt32ToDecimal:
      return AppendCast<int32_t, __int128>(src, n, out);
    case LeafConversion::kInt64ToDecimal:
      return AppendCast<int64_t, __int128>(src, n, out);
    case LeafConversion::kUInt64ToDecimal:
      return AppendCast<uint64_t, __int128>(src, n, out);
    case LeafConversion::kMillisToMicros:
      if (is32) {
        return AppendMapped<int32_t>(src, n, out, [](int32_t v) { return int64_t{v} * 1000; });
      }
      return AppendMapped<int64_t>(src, n, out, [](int64_t v) {
        return static_cast<int64_t>(static_cast<uint64_t>(v) * 1000);
      });
    case LeafConversion::kNanosToMicros:
      return AppendMapped<int64_t>(src, n, out, [](int64_t v) { return FloorDiv(v, 1000); });
    case LeafConversion::kInt96ToMicros: {
      auto& buf = out->data_buffer();
      size_t old = buf.size();
      buf.resize(old + n * 8);
      int64_t* dst = reinterpret_cast<int64_t*>(buf.data() + old);
      for (int64_t i = 0; i < n; ++i) {
        // Nanoseconds of the day (signed 64-bit, as Impala and Spark write it) + Julian day.
        // Micros = days * 86400e6 + nanos / 1000 (truncated), in wrapping 64-bit arithmetic:
        // what Arrow and DuckDB compute, so even out-of-range values agree.
        int64_t nanos;
        uint32_t julian;
        std::memcpy(&nanos, src + i * 12, 8);
        std::memcpy(&julian, src + i * 12 + 8, 4);
        constexpr int64_t kJulianEpoch = 2440588;
        uint64_t us =
            static_cast<uint64_t>(static_cast<int64_t>(julian) - kJulianEpoch) * 86400000000ULL +
            static_cast<uint64_t>(nanos / 1000);
        dst[i] = static_cast<int64_t>(us);
      }
      out->SetLength(out->length() + n);
      return;
    }
    default:
      break;
  }
  throw InternalError("unexpected conversion for a fixed-width column");
}

namespace {

// Checks that `n` PLAIN byte arrays (4-byte length + bytes each) fit in [data, data+size);
// returns the total value bytes. CorruptData otherwise.
size_t ValidatePlainByteArrays(const uint8_t* data, size_t size, int64_t n) {
  size_t pos = 0, total = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (size - pos < 4) throw CorruptData("PLAIN byte array page ends inside a length");
    uint32_t len;
    std::memcpy(&len, data + pos, 4);
    pos += 4;
    if (len > size - pos) {
      throw CorruptData("PLAIN byte array value of " + std::to_string(len) +
                        " bytes runs past the page (" + std::to_string(size - pos) + " left)");
    }
    pos += len;
    total += len;
  }
  return total;
}

// Decodes the values of pages into the leaf's dense column.
class PageDecoder {
 public:
  explicit PageDecoder(const ReadNode& leaf) : leaf_(leaf), width_(PhysicalWidth(leaf)) {}

  void SetDictionary(const uint8_t* data, size_t size, int32_t num_values, Encoding enc) {
    if (enc != Encoding::PLAIN && enc != Encoding::PLAIN_DICTIONARY) {
      throw Unsupported("dictionary page encoding " + std::string(EncodingName(enc)));
    }
    if (num_values < 0) throw CorruptData("dictionary page has a negative value count");
    dict_ = Column::Make(leaf_.type);
    DecodePlain(data, size, num_values, dict_.get());
  }

  // Appends `n` non-null values encoded with `enc` in [data, data+size).
  void Decode(Encoding enc, const uint8_t* data, size_t size, int64_t n, Column* out) {
    switch (enc) {
      case Encoding::PLAIN:
        DecodePlain(data, size, n, out);
        return;
      case Encoding::PLAIN_DICTIONARY:
      case Encoding::RLE_DICTIONARY:
        DecodeDictionary(data, size, n, out);
        return;
      case Encoding::RLE:
        if (leaf_.physical != Type::BOOLEAN) break;
        {
          std::vector<uint8_t> tmp(n);
          DecodeRleBooleans(data, size, n, tmp.data());
          AppendBooleans(tmp.data(), n, out);
        }
        return;
      case Encoding::DELTA_BINARY_PACKED:
        DecodeDeltaBinary(data, size, n, out);
        return;
      case Encoding::DELTA_LENGTH_BYTE_ARRAY:
      case Encoding::DELTA_BYTE_ARRAY:
        DecodeDeltaBytes(enc, data, size, n, out);
        return;
      case Encoding::BYTE_STREAM_SPLIT: {
        if (width_ <= 0 || leaf_.physical == Type::INT96 || leaf_.physical == Type::BOOLEAN) break;
        if (size < static_cast<size_t>(n) * width_) {
          throw CorruptData("BYTE_STREAM_SPLIT page holds " + std::to_string(size) +
                            " bytes, too few for " + std::to_string(n) + " values");
        }
        std::vector<uint8_t> tmp(static_cast<size_t>(n) * width_);
        DecodeByteStreamSplit(data, static_cast<size_t>(n) * width_, width_, n, tmp.data());
        AppendPlainFixed(leaf_, tmp.data(), n, out);
        return;
      }
      default:
        break;
    }
    throw Unsupported("encoding " + std::string(EncodingName(enc)) + " for " +
                      std::string(TypeName(leaf_.physical)) + " column '" + leaf_.name + "'");
  }

 private:
  void AppendBooleans(const uint8_t* v, int64_t n, Column* out) {
    auto& buf = out->data_buffer();
    buf.insert(buf.end(), v, v + n);
    out->SetLength(out->length() + n);
  }

  void DecodePlain(const uint8_t* data, size_t size, int64_t n, Column* out) {
    if (leaf_.physical == Type::BOOLEAN) {
      if (static_cast<uint64_t>(bit_util::BytesForBits(n)) > size) {
        throw CorruptData("PLAIN boolean page too short for " + std::to_string(n) + " values");
      }
      std::vector<uint8_t> tmp(n);
      for (int64_t i = 0; i < n; ++i) tmp[i] = (data[i >> 3] >> (i & 7)) & 1;
      AppendBooleans(tmp.data(), n, out);
      return;
    }
    if (leaf_.physical == Type::BYTE_ARRAY) {
      // Validate every length once; the passes below then read without checks.
      const size_t total = ValidatePlainByteArrays(data, size, n);
      if (leaf_.conversion != LeafConversion::kBytes) {
        size_t pos = 0;
        for (int64_t i = 0; i < n; ++i) {
          uint32_t len;
          std::memcpy(&len, data + pos, 4);
          AppendBytesValue(leaf_, data + pos + 4, len, out);
          pos += 4 + len;
        }
        return;
      }
      // Plain strings/binaries: size the buffers once, then copy.
      auto& bytes = out->data_buffer();
      auto& offs = out->offsets_buffer();
      size_t at = bytes.size();
      bytes.resize(at + total);
      offs.resize(offs.size() + n);
      int64_t* o = offs.data() + offs.size() - n;
      size_t pos = 0;
      for (int64_t i = 0; i < n; ++i) {
        uint32_t len;
        std::memcpy(&len, data + pos, 4);
        std::memcpy(bytes.data() + at, data + pos + 4, len);
        pos += 4 + len;
        at += len;
        o[i] = static_cast<int64_t>(at);
      }
      out->SetLength(out->length() + n);
      return;
    }
    if (static_cast<uint64_t>(n) * width_ > size) {
      throw CorruptData("PLAIN page holds " + std::to_string(size) + " bytes, too few for " +
                        std::to_string(n) + " values of " + std::to_string(width_) + " bytes");
    }
    AppendPlainFixed(leaf_, data, n, out);
  }

  void DecodeDictionary(const uint8_t* data, size_t size, int64_t n, Column* out) {
    if (!dict_) throw CorruptData("dictionary-encoded page without a dictionary page");
    if (n == 0) return;
    if (size < 1) throw CorruptData("dictionary-encoded page is empty");
    int bit_width = data[0];
    if (bit_width > 32) {
      throw CorruptData("dictionary index bit width " + std::to_string(bit_width) + " > 32");
    }
    indices_.resize(n);
    RleBitPackedDecoder dec(data + 1, size - 1, bit_width);
    int64_t got = dec.GetIndices(indices_.data(), n, static_cast<uint32_t>(dict_->length()));
    if (got != n) {
      throw CorruptData("dictionary-encoded page has " + std::to_string(got) +
                        " indices, expected " + std::to_string(n));
    }
    const int w = dict_->type()->byte_width();
    if (w > 0) {
      auto& buf = out->data_buffer();
      size_t old = buf.size();
      buf.resize(old + n * w);
      uint8_t* dst = buf.data() + old;
      const uint8_t* src = dict_->data_buffer().data();
      switch (w) {
        case 4:
          for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * 4, src + indices_[i] * 4, 4);
          break;
        case 8:
          for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * 8, src + indices_[i] * 8, 8);
          break;
        default:
          for (int64_t i = 0; i < n; ++i) {
            std::memcpy(dst + i * w, src + static_cast<size_t>(indices_[i]) * w, w);
          }
      }
      out->SetLength(out->length() + n);
    } else {
      const int64_t* doffs = dict_->offsets().data();
      const uint8_t* dbytes = dict_->data_buffer().data();
      size_t total = 0;
      for (int64_t i = 0; i < n; ++i) total += doffs[indices_[i] + 1] - doffs[indices_[i]];
      auto& bytes = out->data_buffer();
      auto& offs = out->offsets_buffer();
      size_t at = bytes.size();
      bytes.resize(at + total);
      offs.resize(offs.size() + n);
      int64_t* o = offs.data() + offs.size() - n;
      uint8_t* dst = bytes.data();
      for (int64_t i = 0; i < n; ++i) {
        const int64_t b = doffs[indices_[i]], len = doffs[indices_[i] + 1] - b;
        std::memcpy(dst + at, dbytes + b, len);
        at += len;
        o[i] = static_cast<int64_t>(at);
      }
      out->SetLength(out->length() + n);
    }
  }

  void DecodeDeltaBinary(const uint8_t* data, size_t size, int64_t n, Column* out) {
    if (leaf_.physical == Type::INT32) {
      std::vector<int32_t> tmp(n);
      DeltaBitPackDecoder<int32_t> dec(data, size);
      if (dec.GetBatch(tmp.data(), n) != n) {
        throw CorruptData("DELTA_BINARY_PACKED page has fewer than " + std::to_string(n) +
                          " values");
      }
      AppendPlainFixed(leaf_, reinterpret_cast<const uint8_t*>(tmp.data()), n, out);
    } else if (leaf_.physical == Type::INT64) {
      std::vector<int64_t> tmp(n);
      DeltaBitPackDecoder<int64_t> dec(data, size);
      if (dec.GetBatch(tmp.data(), n) != n) {
        throw CorruptData("DELTA_BINARY_PACKED page has fewer than " + std::to_string(n) +
                          " values");
      }
      AppendPlainFixed(leaf_, reinterpret_cast<const uint8_t*>(tmp.data()), n, out);
    } else {
      throw Unsupported("DELTA_BINARY_PACKED for " + std::string(TypeName(leaf_.physical)));
    }
  }

  void DecodeDeltaBytes(Encoding enc, const uint8_t* data, size_t size, int64_t n, Column* out) {
    if (leaf_.physical != Type::BYTE_ARRAY && leaf_.physical != Type::FIXED_LEN_BYTE_ARRAY) {
      throw Unsupported(std::string(EncodingName(enc)) + " for " +
                        std::string(TypeName(leaf_.physical)));
    }
    bytes_.clear();
    offsets_.assign(1, 0);
    if (enc == Encoding::DELTA_LENGTH_BYTE_ARRAY) {
      DeltaLengthByteArrayDecoder dec(data, size, n);
      dec.GetBatch(&bytes_, &offsets_, n);
    } else {
      DeltaByteArrayDecoder dec(data, size, n);
      dec.GetBatch(&bytes_, &offsets_, n);
    }
    if (static_cast<int64_t>(offsets_.size()) != n + 1) {
      throw CorruptData(std::string(EncodingName(enc)) + " page has " +
                        std::to_string(offsets_.size() - 1) + " values, expected " +
                        std::to_string(n));
    }
    for (int64_t i = 0; i < n; ++i) {
      size_t len = offsets_[i + 1] - offsets_[i];
      if (leaf_.physical == Type::FIXED_LEN_BYTE_ARRAY &&
          len != static_cast<size_t>(leaf_.type_length)) {
        throw CorruptData("fixed-length value of " + std::to_string(len) + " bytes, expected " +
                          std::to_string(leaf_.type_length));
      }
      AppendBytesValue(leaf_, reinterpret_cast<const uint8_t*>(bytes_.data()) + offsets_[i], len,
                       out);
    }
  }

  const ReadNode& leaf_;
  const int width_;
  columnar::ColumnPtr dict_;
  std::vector<uint32_t> indices_;
  std::string bytes_;
  std::vector<int64_t> offsets_;
};

// Decodes `n` levels with max value `max_level` from an RLE run stream.
void DecodeLevels(const uint8_t* data, size_t size, int16_t max_level, int64_t n, int16_t* out,
                  const char* what) {
  RleBitPackedDecoder dec(data, size, bit_util::BitWidth(static_cast<uint64_t>(max_level)));
  int64_t got = dec.GetBatch(out, n);
  if (got != n) {
    throw CorruptData(std::string("page has ") + std::to_string(got) + " " + what +
                      " levels, expected " + std::to_string(n));
  }
  for (int64_t i = 0; i < n; ++i) {
    if (out[i] < 0 || out[i] > max_level) {
      throw CorruptData(std::string(what) + " level " + std::to_string(out[i]) +
                        " exceeds the maximum " + std::to_string(max_level));
    }
  }
}

// Levels of a v1 page: RLE with a 4-byte length, or the legacy BIT_PACKED encoding.
size_t DecodeV1Levels(Encoding enc, const uint8_t* data, size_t size, int16_t max_level, int64_t n,
                      int16_t* out, const char* what) {
  if (enc == Encoding::BIT_PACKED) {
    size_t used = DecodeLegacyBitPacked(
        data, size, bit_util::BitWidth(static_cast<uint64_t>(max_level)), n, out);
    for (int64_t i = 0; i < n; ++i) {
      if (out[i] > max_level) throw CorruptData(std::string(what) + " level out of range");
    }
    return used;
  }
  if (enc != Encoding::RLE) {
    throw Unsupported(std::string(what) + " level encoding " + std::string(EncodingName(enc)));
  }
  auto span = ReadLengthPrefixedRle(data, size);
  DecodeLevels(span.data(), span.size(), max_level, n, out, what);
  return 4 + span.size();
}

}  // namespace

LeafData ReadColumnChunk(const ReadNode& leaf, const ColumnMetaData& meta, const uint8_t* chunk,
                         size_t chunk_size, const ColumnReadLimits& limits) {
  LeafData out;
  out.values = Column::Make(leaf.type);
  // Size the buffers once from the chunk metadata (bounded: a lying header costs at most
  // the reservation, which is capped).
  {
    const int64_t n = std::min<int64_t>(meta.num_values, int64_t{1} << 26);
    if (leaf.max_def > 0) out.def.reserve(n);
    if (leaf.max_rep > 0) out.rep.reserve(n);
    if (leaf.type->byte_width() > 0) {
      out.values->data_buffer().reserve(n * leaf.type->byte_width());
    } else if (leaf.conversion == LeafConversion::kBytes) {
      out.values->offsets_buffer().reserve(n + 1);
      out.values->data_buffer().reserve(
          std::min<int64_t>(meta.total_uncompressed_size, int64_t{1} << 30));
    }
  }
  PageDecoder decoder(leaf);
  const Codec codec = static_cast<Codec>(meta.codec);
  std::vector<uint8_t> page_buf;
  size_t pos = 0;
  int64_t values_seen = 0;
  int page_no = 0;
  const int64_t expected = meta.num_values;
  if (expected < 0) throw CorruptData("column chunk has a negative value count");
  while (values_seen < expected && pos < chunk_size) {
    size_t header_size = 0;
    PageHeader ph = DecodePageHeader(chunk + pos, chunk_size - pos, &header_size);
    pos += header_size;
    const std::string where =
        "page " + std::to_string(page_no++) + " of column '" + leaf.name + "'";
    if (ph.compressed_page_size < 0 || ph.uncompressed_page_size < 0 ||
        ph.compressed_page_size > limits.max_page_bytes ||
        ph.uncompressed_page_size > limits.max_page_bytes) {
      throw CorruptData(where + ": page size out of range");
    }
    if (static_cast<size_t>(ph.compressed_page_size) > chunk_size - pos) {
      throw CorruptData(where + ": page of " + std::to_string(ph.compressed_page_size) +
                        " bytes runs past the column chunk (" + std::to_string(chunk_size - pos) +
                        " bytes left)");
    }
    const uint8_t* body = chunk + pos;
    const size_t body_size = static_cast<size_t>(ph.compressed_page_size);
    pos += body_size;

    auto decompress = [&](const uint8_t* src, size_t src_size, size_t dst_size) {
      if (codec == Codec::kUncompressed) {
        if (src_size != dst_size) {
          throw CorruptData(where + ": uncompressed page sizes disagree (" +
                            std::to_string(src_size) + " vs " + std::to_string(dst_size) + ")");
        }
        return src;
      }
      CheckDecompressedSize(codec, src, src_size, dst_size);
      page_buf.resize(dst_size);
      Decompress(codec, src, src_size, page_buf.data(), dst_size);
      return static_cast<const uint8_t*>(page_buf.data());
    };

    try {
      switch (ph.type) {
        case PageType::DICTIONARY_PAGE: {
          const auto& dh = *ph.dictionary_page_header;
          const uint8_t* p = decompress(body, body_size, ph.uncompressed_page_size);
          decoder.SetDictionary(p, ph.uncompressed_page_size, dh.num_values, dh.encoding);
          break;
        }
        case PageType::DATA_PAGE: {
          const auto& dh = *ph.data_page_header;
          if (dh.num_values < 0) throw CorruptData("negative value count");
          const int64_t n = dh.num_values;
          const uint8_t* p = decompress(body, body_size, ph.uncompressed_page_size);
          size_t size = ph.uncompressed_page_size;
          size_t off = 0;
          size_t base = out.num_entries;
          if (leaf.max_rep > 0) {
            out.rep.resize(base + n);
            off += DecodeV1Levels(dh.repetition_level_encoding, p, size, leaf.max_rep, n,
                                  out.rep.data() + base, "repetition");
          }
          int64_t present = n;
          if (leaf.max_def > 0) {
            out.def.resize(base + n);
            off += DecodeV1Levels(dh.definition_level_encoding, p + off, size - off, leaf.max_def,
                                  n, out.def.data() + base, "definition");
            present = 0;
            for (int64_t i = 0; i < n; ++i) present += out.def[base + i] == leaf.max_def;
          }
          decoder.Decode(dh.encoding, p + off, size - off, present, out.values.get());
          out.num_entries += n;
          values_seen += n;
          break;
        }
        case PageType::DATA_PAGE_V2: {
          const auto& dh = *ph.data_page_header_v2;
          if (dh.num_values < 0 || dh.num_nulls < 0) throw CorruptData("negative counts");
          const int64_t n = dh.num_values;
          const size_t rl = dh.repetition_levels_byte_length;
          const size_t dl = dh.definition_levels_byte_length;
          if (rl + dl > body_size || static_cast<size_t>(ph.uncompressed_page_size) < rl + dl) {
            throw CorruptData("level lengths exceed the page");
          }
          size_t base = out.num_entries;
          if (leaf.max_rep > 0) {
            out.rep.resize(base + n);
            DecodeLevels(body, rl, leaf.max_rep, n, out.rep.data() + base, "repetition");
          }
          int64_t present = n;
          if (leaf.max_def > 0) {
            out.def.resize(base + n);
            DecodeLevels(body + rl, dl, leaf.max_def, n, out.def.data() + base, "definition");
            present = 0;
            for (int64_t i = 0; i < n; ++i) present += out.def[base + i] == leaf.max_def;
          }
          const uint8_t* vals = body + rl + dl;
          size_t vals_size = body_size - rl - dl;
          size_t vals_raw = ph.uncompressed_page_size - rl - dl;
          if (dh.is_compressed && codec != Codec::kUncompressed && vals_raw > 0) {
            vals = decompress(vals, vals_size, vals_raw);
            vals_size = vals_raw;
          } else if (!dh.is_compressed && vals_size != vals_raw) {
            throw CorruptData("uncompressed v2 page sizes disagree");
          }
          if (vals_raw == 0 && present > 0) throw CorruptData("v2 page has no value bytes");
          decoder.Decode(dh.encoding, vals, vals_size, present, out.values.get());
          out.num_entries += n;
          values_seen += n;
          break;
        }
        default:
          break;  // index pages and unknown page types are skipped
      }
    } catch (const CorruptData& e) {
      throw CorruptData(where + ": " + e.what());
    } catch (const Unsupported& e) {
      throw Unsupported(where + ": " + e.what());
    }
  }
  if (values_seen != expected) {
    throw CorruptData("column '" + leaf.name + "' chunk holds " + std::to_string(values_seen) +
                      " values, its metadata says " + std::to_string(expected));
  }
  return out;
}

}  // namespace cpglake::parquet
