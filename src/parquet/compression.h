// Page compression codecs of Parquet (Compression.md). The page header gives the exact
// compressed and uncompressed sizes, so decompression is one call into a caller-sized buffer
// and anything that does not produce exactly that many bytes is corrupt.
//
//   UNCOMPRESSED  a copy
//   SNAPPY        raw snappy block (its length preamble must match)
//   GZIP          RFC 1952 gzip; several concatenated members and zlib-wrapped streams are read
//   LZO           not supported (Unsupported)
//   BROTLI        RFC 7932
//   LZ4           deprecated: Hadoop framing, i.e. blocks of <uncompressed length, 4 bytes BE>
//                 <compressed length, 4 bytes BE> <raw LZ4 block>. Old parquet-cpp wrote a bare
//                 LZ4 block instead, and some writers an LZ4 frame: when the Hadoop framing does
//                 not fit, we try those in turn (as Arrow does). We write Hadoop framing.
//   ZSTD          RFC 8878 frames (several are read)
//   LZ4_RAW       raw LZ4 block
//
// Compress and Decompress keep per-thread compression contexts, so they are thread-safe and
// allocate nothing per call beyond the output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cpglake::parquet {

// Values are those of the Thrift CompressionCodec enum.
enum class Codec : int {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,
  kZstd = 6,
  kLz4Raw = 7,
};

// Largest uncompressed page we agree to produce: the format's own limit, since page sizes are
// int32 in the page header. (Real files come close: parquet-testing's
// large_string_map.brotli.parquet has a 1 GiB + 4 byte dictionary page.) Callers check the page
// header against it, or a lower limit of their own, before allocating the output; for codecs
// with a bounded ratio CheckDecompressedSize also rejects sizes the input cannot hold.
constexpr size_t kMaxPageSize = 0x7fffffff;

// The Thrift name ("UNCOMPRESSED", "SNAPPY", ..., "LZ4_RAW"), or "UNKNOWN".
std::string_view CodecName(Codec codec);

// Case-insensitive: "none" or "uncompressed", "snappy", "gzip", "brotli", "lz4", "lz4_raw",
// "zstd". InvalidInput for anything else (including "lzo", which we cannot write).
Codec ParseCodec(std::string_view name);

// Cheap plausibility check of a page header's sizes before allocating `out_size` bytes:
// CorruptData if out_size > kMaxPageSize, or if the stream states or bounds its decompressed
// size and that disagrees with out_size (UNCOMPRESSED: sizes equal; SNAPPY: the length preamble;
// LZ4, LZ4_RAW, GZIP, ZSTD: their maximum compression ratios). Unsupported for LZO and unknown
// codecs. Decompress calls it first.
void CheckDecompressedSize(Codec codec, const uint8_t* in, size_t in_size, size_t out_size);

// Decompresses exactly `out_size` bytes into `out`. Never writes outside [out, out + out_size).
// CorruptData (naming the codec) if the stream is malformed or decompresses to more or fewer
// than out_size bytes; Unsupported for LZO and unknown codecs. An empty input with out_size 0
// is accepted for every codec (empty pages).
void Decompress(Codec codec, const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size);

// Compresses `in` and appends the result to *out. `level` 0 means the codec's default
// (GZIP 6, BROTLI 5, ZSTD 3). Accepted levels: GZIP 1..9, BROTLI 1..11, ZSTD any level zstd
// accepts, LZ4 / LZ4_RAW 1 (fast) or 2..12 (LZ4 HC); other codecs take no level. InvalidInput
// for other levels; Unsupported for LZO and unknown codecs.
void Compress(Codec codec, const uint8_t* in, size_t in_size, std::string* out, int level = 0);

}  // namespace cpglake::parquet
