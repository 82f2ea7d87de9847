#include "parquet/compression.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <lz4.h>
#include <lz4frame.h>
#include <lz4hc.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <memory>
#include <new>
#include <vector>

#include "common/error.h"
#include "parquet/bit_util.h"

namespace cpglake::parquet {

namespace {

// Default levels (level 0).
constexpr int kGzipDefaultLevel = 6;
constexpr int kBrotliDefaultQuality = 5;  // Brotli's own default (11) is far too slow for pages
constexpr int kZstdDefaultLevel = 3;

// Uncompressed bytes per Hadoop LZ4 block we write: below Hadoop's default 256 KiB buffer, so
// parquet-mr with the Hadoop codec can read our pages.
constexpr size_t kHadoopLz4BlockSize = 128 * 1024;

// Upper bounds on decompressed bytes per compressed byte (plus slack for tiny inputs).
constexpr uint64_t kLz4MaxRatio = 256;       // a match length byte adds at most 255 bytes
constexpr uint64_t kDeflateMaxRatio = 1032;  // RFC 1951's limit for a deflate stream
constexpr uint64_t kZstdMaxRatio = 32768;    // a 4-byte RLE block yields at most 128 KiB
constexpr uint64_t kRatioSlack = 1024;

[[noreturn]] void Fail(Codec codec, const std::string& what) {
  throw CorruptData(std::string(CodecName(codec)) + ": " + what);
}

[[noreturn]] void FailSize(Codec codec, size_t got, size_t expected) {
  Fail(codec, "decompressed to " + std::to_string(got) + " bytes, the page header says " +
                  std::to_string(expected));
}

[[noreturn]] void FailLonger(Codec codec, size_t expected) {
  Fail(codec,
       "decompresses to more than the " + std::to_string(expected) + " bytes the page header says");
}

[[noreturn]] void ThrowUnsupported(Codec codec) {
  if (codec == Codec::kLzo) throw Unsupported("LZO compression is not supported");
  throw Unsupported("compression codec " + std::to_string(static_cast<int>(codec)) +
                    " is not supported");
}

// Output pointer that is never null, since zlib and friends reject null buffers even when empty.
uint8_t* NonNull(uint8_t* p) {
  static uint8_t dummy;
  return p != nullptr ? p : &dummy;
}

// ---- Per-thread contexts -----------------------------------------------------------------------

ZSTD_CCtx* ThreadZstdCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> ctx(ZSTD_createCCtx(),
                                                                        &ZSTD_freeCCtx);
  if (!ctx) throw std::bad_alloc();
  return ctx.get();
}

ZSTD_DCtx* ThreadZstdDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(),
                                                                        &ZSTD_freeDCtx);
  if (!ctx) throw std::bad_alloc();
  return ctx.get();
}

// A zlib stream initialised once per thread and reset between uses.
class ZStream {
 public:
  ZStream() { stream_ = {}; }
  ~ZStream() {
    if (mode_ == kInflate) inflateEnd(&stream_);
    if (mode_ == kDeflate) deflateEnd(&stream_);
  }
  ZStream(const ZStream&) = delete;
  ZStream& operator=(const ZStream&) = delete;

  // windowBits 15 + 32: zlib or gzip header, detected automatically.
  z_stream* ForInflate() {
    if (mode_ == kInflate) {
      if (inflateReset2(&stream_, 15 + 32) != Z_OK) throw std::bad_alloc();
    } else {
      if (inflateInit2(&stream_, 15 + 32) != Z_OK) throw std::bad_alloc();
      mode_ = kInflate;
    }
    return &stream_;
  }

  // windowBits 15 + 16: gzip header.
  z_stream* ForDeflate(int level) {
    if (mode_ == kDeflate && level_ == level) {
      if (deflateReset(&stream_) != Z_OK) throw std::bad_alloc();
    } else {
      if (mode_ == kDeflate) deflateEnd(&stream_);
      mode_ = kNone;
      stream_ = {};
      if (deflateInit2(&stream_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::bad_alloc();
      }
      mode_ = kDeflate;
      level_ = level;
    }
    return &stream_;
  }

 private:
  enum Mode { kNone, kInflate, kDeflate };
  z_stream stream_;
  Mode mode_ = kNone;
  int level_ = 0;
};

z_stream* ThreadInflate() {
  thread_local ZStream stream;
  return stream.ForInflate();
}

z_stream* ThreadDeflate(int level) {
  thread_local ZStream stream;
  return stream.ForDeflate(level);
}

LZ4F_dctx* ThreadLz4FrameDCtx() {
  struct Holder {
    LZ4F_dctx* ctx = nullptr;
    ~Holder() {
      if (ctx != nullptr) LZ4F_freeDecompressionContext(ctx);
    }
  };
  thread_local Holder holder;
  if (holder.ctx == nullptr) {
    if (LZ4F_isError(LZ4F_createDecompressionContext(&holder.ctx, LZ4F_VERSION))) {
      holder.ctx = nullptr;
      throw std::bad_alloc();
    }
  } else {
    LZ4F_resetDecompressionContext(holder.ctx);
  }
  return holder.ctx;
}

void* ThreadLz4State() {
  thread_local std::vector<char> state(static_cast<size_t>(LZ4_sizeofState()));
  return state.data();
}

// ---- Decompression -----------------------------------------------------------------------------

void DecompressSnappy(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  // CheckDecompressedSize has matched the length preamble against out_size, and snappy never
  // writes past the length its preamble states.
  if (!snappy::RawUncompress(reinterpret_cast<const char*>(in), in_size,
                             reinterpret_cast<char*>(NonNull(out)))) {
    Fail(Codec::kSnappy, "malformed stream");
  }
}

void DecompressGzip(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  z_stream* s = ThreadInflate();
  const uint8_t* ip = in;
  size_t in_left = in_size;
  uint8_t* op = NonNull(out);
  size_t out_left = out_size;
  for (;;) {
    s->next_in = const_cast<Bytef*>(ip);
    s->avail_in = static_cast<uInt>(std::min<size_t>(in_left, UINT_MAX));
    s->next_out = op;
    s->avail_out = static_cast<uInt>(std::min<size_t>(out_left, UINT_MAX));
    const uInt avail_in = s->avail_in;
    const uInt avail_out = s->avail_out;
    const int ret = inflate(s, Z_NO_FLUSH);
    const size_t consumed = avail_in - s->avail_in;
    const size_t produced = avail_out - s->avail_out;
    ip += consumed;
    in_left -= consumed;
    op += produced;
    out_left -= produced;
    if (ret == Z_STREAM_END) {
      if (in_left == 0) break;
      // Another gzip member follows (or garbage, which the next inflate rejects).
      if (inflateReset2(s, 15 + 32) != Z_OK) Fail(Codec::kGzip, "cannot reset the stream");
      continue;
    }
    if (ret == Z_OK && (consumed > 0 || produced > 0)) continue;
    if (ret == Z_OK || ret == Z_BUF_ERROR) {  // no progress possible
      if (out_left == 0) FailLonger(Codec::kGzip, out_size);
      Fail(Codec::kGzip, "truncated stream");
    }
    Fail(Codec::kGzip, std::string("malformed stream: ") + (s->msg != nullptr ? s->msg : "error"));
  }
  if (out_left != 0) FailSize(Codec::kGzip, out_size - out_left, out_size);
}

void DecompressBrotli(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  std::unique_ptr<BrotliDecoderState, decltype(&BrotliDecoderDestroyInstance)> state(
      BrotliDecoderCreateInstance(nullptr, nullptr, nullptr), &BrotliDecoderDestroyInstance);
  if (!state) throw std::bad_alloc();
  size_t avail_in = in_size;
  const uint8_t* next_in = in;
  size_t avail_out = out_size;
  uint8_t* next_out = NonNull(out);
  const BrotliDecoderResult result = BrotliDecoderDecompressStream(state.get(), &avail_in, &next_in,
                                                                   &avail_out, &next_out, nullptr);
  switch (result) {
    case BROTLI_DECODER_RESULT_SUCCESS:
      if (avail_out != 0) FailSize(Codec::kBrotli, out_size - avail_out, out_size);
      if (avail_in != 0) Fail(Codec::kBrotli, "trailing bytes after the stream");
      return;
    case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
      FailLonger(Codec::kBrotli, out_size);
    case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
      Fail(Codec::kBrotli, "truncated stream");
    default:
      Fail(Codec::kBrotli, std::string("malformed stream: ") +
                               BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state.get())));
  }
}

void DecompressZstd(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  const size_t n = ZSTD_decompressDCtx(ThreadZstdDCtx(), NonNull(out), out_size, in, in_size);
  if (ZSTD_isError(n)) {
    if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall) FailLonger(Codec::kZstd, out_size);
    Fail(Codec::kZstd, std::string("malformed stream: ") + ZSTD_getErrorName(n));
  }
  if (n != out_size) FailSize(Codec::kZstd, n, out_size);
}

// Decompresses one raw LZ4 block of exactly out_size bytes; false if it is not one.
bool TryLz4Block(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  if (in_size > INT_MAX || out_size > INT_MAX) return false;
  const int n =
      LZ4_decompress_safe(reinterpret_cast<const char*>(in), reinterpret_cast<char*>(NonNull(out)),
                          static_cast<int>(in_size), static_cast<int>(out_size));
  return n >= 0 && static_cast<size_t>(n) == out_size;
}

bool TryLz4Hadoop(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  size_t produced = 0;
  while (in_size >= 8) {
    const uint32_t block_out = bit_util::LoadBE32(in);
    const uint32_t block_in = bit_util::LoadBE32(in + 4);
    in += 8;
    in_size -= 8;
    if (block_in > in_size || block_out > out_size - produced) return false;
    if (!TryLz4Block(in, block_in, out + produced, block_out)) return false;
    in += block_in;
    in_size -= block_in;
    produced += block_out;
  }
  return in_size == 0 && produced == out_size;
}

bool TryLz4Frame(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  if (in_size < 4 || bit_util::LoadLE32(in) != 0x184D2204) return false;
  LZ4F_dctx* ctx = ThreadLz4FrameDCtx();
  size_t produced = 0;
  while (in_size > 0) {
    size_t dst = out_size - produced;
    size_t src = in_size;
    const size_t ret = LZ4F_decompress(ctx, NonNull(out) + produced, &dst, in, &src, nullptr);
    if (LZ4F_isError(ret)) return false;
    in += src;
    in_size -= src;
    produced += dst;
    if (src == 0 && dst == 0) return false;      // no progress: output full or input truncated
    if (ret != 0 && in_size == 0) return false;  // the frame wants more input
  }
  return produced == out_size;
}

void DecompressLz4(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  if (TryLz4Hadoop(in, in_size, out, out_size)) return;
  if (TryLz4Block(in, in_size, out, out_size)) return;
  if (TryLz4Frame(in, in_size, out, out_size)) return;
  Fail(Codec::kLz4, "malformed stream, or not " + std::to_string(out_size) +
                        " bytes (tried Hadoop framing, a raw LZ4 block and an LZ4 frame)");
}

void DecompressLz4Raw(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  if (in_size > INT_MAX) Fail(Codec::kLz4Raw, "compressed page too large");
  const int n =
      LZ4_decompress_safe(reinterpret_cast<const char*>(in), reinterpret_cast<char*>(NonNull(out)),
                          static_cast<int>(in_size), static_cast<int>(out_size));
  if (n < 0)
    Fail(Codec::kLz4Raw, "malformed stream, or more than " + std::to_string(out_size) + " bytes");
  if (static_cast<size_t>(n) != out_size)
    FailSize(Codec::kLz4Raw, static_cast<size_t>(n), out_size);
}

// ---- Compression -------------------------------------------------------------------------------

// Appends up to `bound` bytes written by `compress(dst)`, which returns the bytes it wrote.
template <typename F>
void AppendCompressed(std::string* out, size_t bound, F&& compress) {
  const size_t old_size = out->size();
  out->resize(old_size + bound);
  const size_t n = compress(reinterpret_cast<uint8_t*>(out->data()) + old_size);
  out->resize(old_size + n);
}

void CheckNoLevel(Codec codec, int level) {
  if (level != 0) {
    throw InvalidInput(std::string(CodecName(codec)) + " does not take a compression level");
  }
}

size_t Lz4CompressBlock(const uint8_t* in, size_t in_size, uint8_t* out, size_t capacity,
                        int level) {
  const char* src = reinterpret_cast<const char*>(in);
  char* dst = reinterpret_cast<char*>(out);
  const int n =
      level <= 1
          ? LZ4_compress_fast_extState(ThreadLz4State(), src, dst, static_cast<int>(in_size),
                                       static_cast<int>(capacity), 1)
          : LZ4_compress_HC(src, dst, static_cast<int>(in_size), static_cast<int>(capacity), level);
  if (n <= 0) throw InternalError("LZ4 compression failed");
  return static_cast<size_t>(n);
}

void CompressLz4(Codec codec, const uint8_t* in, size_t in_size, std::string* out, int level) {
  if (level < 0 || level > LZ4HC_CLEVEL_MAX) {
    throw InvalidInput(std::string(CodecName(codec)) + ": compression level " +
                       std::to_string(level) + " is out of range 1.." +
                       std::to_string(LZ4HC_CLEVEL_MAX));
  }
  if (codec == Codec::kLz4Raw) {
    if (in_size > LZ4_MAX_INPUT_SIZE) throw InvalidInput("LZ4_RAW: input too large");
    const auto bound = static_cast<size_t>(LZ4_compressBound(static_cast<int>(in_size)));
    AppendCompressed(
        out, bound, [&](uint8_t* dst) { return Lz4CompressBlock(in, in_size, dst, bound, level); });
    return;
  }
  // Hadoop framing: <uncompressed size BE32> <compressed size BE32> <block>, per block.
  size_t offset = 0;
  do {
    const size_t n = std::min(kHadoopLz4BlockSize, in_size - offset);
    const auto bound = static_cast<size_t>(LZ4_compressBound(static_cast<int>(n)));
    AppendCompressed(out, 8 + bound, [&](uint8_t* dst) {
      const size_t written = Lz4CompressBlock(in + offset, n, dst + 8, bound, level);
      bit_util::StoreBE32(dst, static_cast<uint32_t>(n));
      bit_util::StoreBE32(dst + 4, static_cast<uint32_t>(written));
      return 8 + written;
    });
    offset += n;
  } while (offset < in_size);
}

void CompressGzip(const uint8_t* in, size_t in_size, std::string* out, int level) {
  if (level < 0 || level > 9) {
    throw InvalidInput("GZIP: compression level " + std::to_string(level) +
                       " is out of range 1..9");
  }
  z_stream* s = ThreadDeflate(level == 0 ? kGzipDefaultLevel : level);
  const uint8_t* ip = in;
  size_t in_left = in_size;
  const size_t old_size = out->size();
  size_t written = 0;
  out->resize(old_size + deflateBound(s, static_cast<uLong>(in_size)));
  for (;;) {
    if (written == out->size() - old_size) out->resize(out->size() + 64 * 1024);
    uint8_t* op = reinterpret_cast<uint8_t*>(out->data()) + old_size + written;
    const size_t out_left = out->size() - old_size - written;
    s->next_in = const_cast<Bytef*>(ip);
    s->avail_in = static_cast<uInt>(std::min<size_t>(in_left, UINT_MAX));
    s->next_out = op;
    s->avail_out = static_cast<uInt>(std::min<size_t>(out_left, UINT_MAX));
    const uInt avail_in = s->avail_in;
    const uInt avail_out = s->avail_out;
    const bool last = s->avail_in == in_left;
    const int ret = deflate(s, last ? Z_FINISH : Z_NO_FLUSH);
    ip += avail_in - s->avail_in;
    in_left -= avail_in - s->avail_in;
    written += avail_out - s->avail_out;
    if (ret == Z_STREAM_END) break;
    if (ret != Z_OK && ret != Z_BUF_ERROR) throw InternalError("GZIP compression failed");
  }
  out->resize(old_size + written);
}

void CompressBrotli(const uint8_t* in, size_t in_size, std::string* out, int level) {
  if (level < 0 || level > BROTLI_MAX_QUALITY) {
    throw InvalidInput("BROTLI: compression level " + std::to_string(level) +
                       " is out of range 1..11");
  }
  const int quality = level == 0 ? kBrotliDefaultQuality : level;
  const size_t bound = BrotliEncoderMaxCompressedSize(in_size);
  if (bound == 0) throw InvalidInput("BROTLI: input too large");
  AppendCompressed(out, bound, [&](uint8_t* dst) {
    size_t n = bound;
    if (!BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, in_size, in, &n,
                               dst)) {
      throw InternalError("BROTLI compression failed");
    }
    return n;
  });
}

void CompressZstd(const uint8_t* in, size_t in_size, std::string* out, int level) {
  if (level != 0 && (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())) {
    throw InvalidInput("ZSTD: compression level " + std::to_string(level) + " is out of range " +
                       std::to_string(ZSTD_minCLevel()) + ".." + std::to_string(ZSTD_maxCLevel()));
  }
  const size_t bound = ZSTD_compressBound(in_size);
  AppendCompressed(out, bound, [&](uint8_t* dst) {
    const size_t n = ZSTD_compressCCtx(ThreadZstdCCtx(), dst, bound, in, in_size,
                                       level == 0 ? kZstdDefaultLevel : level);
    if (ZSTD_isError(n)) {
      throw InternalError(std::string("ZSTD compression failed: ") + ZSTD_getErrorName(n));
    }
    return n;
  });
}

}  // namespace

std::string_view CodecName(Codec codec) {
  switch (codec) {
    case Codec::kUncompressed:
      return "UNCOMPRESSED";
    case Codec::kSnappy:
      return "SNAPPY";
    case Codec::kGzip:
      return "GZIP";
    case Codec::kLzo:
      return "LZO";
    case Codec::kBrotli:
      return "BROTLI";
    case Codec::kLz4:
      return "LZ4";
    case Codec::kZstd:
      return "ZSTD";
    case Codec::kLz4Raw:
      return "LZ4_RAW";
  }
  return "UNKNOWN";
}

Codec ParseCodec(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "none" || lower == "uncompressed") return Codec::kUncompressed;
  if (lower == "snappy") return Codec::kSnappy;
  if (lower == "gzip") return Codec::kGzip;
  if (lower == "brotli") return Codec::kBrotli;
  if (lower == "lz4") return Codec::kLz4;
  if (lower == "lz4_raw") return Codec::kLz4Raw;
  if (lower == "zstd") return Codec::kZstd;
  throw InvalidInput("unknown compression codec '" + std::string(name) +
                     "' (expected none, snappy, gzip, brotli, lz4, lz4_raw or zstd)");
}

void CheckDecompressedSize(Codec codec, const uint8_t* in, size_t in_size, size_t out_size) {
  if (out_size > kMaxPageSize) {
    Fail(codec, "page of " + std::to_string(out_size) + " bytes exceeds the limit of " +
                    std::to_string(kMaxPageSize));
  }
  if (in_size == 0 && out_size == 0) return;
  auto check_ratio = [&](uint64_t ratio) {
    if (out_size > in_size * ratio + kRatioSlack) {
      Fail(codec, std::to_string(in_size) + " compressed bytes cannot hold " +
                      std::to_string(out_size) + " bytes");
    }
  };
  switch (codec) {
    case Codec::kUncompressed:
      if (in_size != out_size) {
        Fail(codec, "compressed size " + std::to_string(in_size) +
                        " differs from uncompressed size " + std::to_string(out_size));
      }
      return;
    case Codec::kSnappy: {
      size_t length;
      if (!snappy::GetUncompressedLength(reinterpret_cast<const char*>(in), in_size, &length)) {
        Fail(codec, "malformed length preamble");
      }
      if (length != out_size) FailSize(codec, length, out_size);
      return;
    }
    case Codec::kGzip:
      check_ratio(kDeflateMaxRatio);
      return;
    case Codec::kLz4:
    case Codec::kLz4Raw:
      check_ratio(kLz4MaxRatio);
      return;
    case Codec::kZstd: {
      check_ratio(kZstdMaxRatio);
      const unsigned long long first = ZSTD_getFrameContentSize(in, in_size);
      if (first == ZSTD_CONTENTSIZE_ERROR) Fail(codec, "malformed frame header");
      if (first != ZSTD_CONTENTSIZE_UNKNOWN && first > out_size) FailLonger(codec, out_size);
      return;
    }
    case Codec::kBrotli:
      return;  // no useful bound: brotli can expand a few bytes into gigabytes
    case Codec::kLzo:
      break;
  }
  ThrowUnsupported(codec);
}

void Decompress(Codec codec, const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  CheckDecompressedSize(codec, in, in_size, out_size);
  if (in_size == 0 && out_size == 0) return;
  switch (codec) {
    case Codec::kUncompressed:
      std::copy(in, in + in_size, out);
      return;
    case Codec::kSnappy:
      return DecompressSnappy(in, in_size, out, out_size);
    case Codec::kGzip:
      return DecompressGzip(in, in_size, out, out_size);
    case Codec::kBrotli:
      return DecompressBrotli(in, in_size, out, out_size);
    case Codec::kLz4:
      return DecompressLz4(in, in_size, out, out_size);
    case Codec::kZstd:
      return DecompressZstd(in, in_size, out, out_size);
    case Codec::kLz4Raw:
      return DecompressLz4Raw(in, in_size, out, out_size);
    case Codec::kLzo:
      break;
  }
  ThrowUnsupported(codec);
}

void Compress(Codec codec, const uint8_t* in, size_t in_size, std::string* out, int level) {
  switch (codec) {
    case Codec::kUncompressed:
      CheckNoLevel(codec, level);
      out->append(reinterpret_cast<const char*>(in), in_size);
      return;
    case Codec::kSnappy: {
      CheckNoLevel(codec, level);
      const size_t bound = snappy::MaxCompressedLength(in_size);
      AppendCompressed(out, bound, [&](uint8_t* dst) {
        size_t n = 0;
        snappy::RawCompress(reinterpret_cast<const char*>(in), in_size,
                            reinterpret_cast<char*>(dst), &n);
        return n;
      });
      return;
    }
    case Codec::kGzip:
      return CompressGzip(in, in_size, out, level);
    case Codec::kBrotli:
      return CompressBrotli(in, in_size, out, level);
    case Codec::kLz4:
    case Codec::kLz4Raw:
      return CompressLz4(codec, in, in_size, out, level);
    case Codec::kZstd:
      return CompressZstd(in, in_size, out, level);
    case Codec::kLzo:
      break;
  }
  ThrowUnsupported(codec);
}

}  // namespace cpglake::parquet
