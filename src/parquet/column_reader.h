// Reads one leaf column chunk of a row group: walks its pages (dictionary, data v1/v2),
// decompresses them, decodes repetition/definition levels and values, and returns the
// levels plus the dense (non-null) values already converted to the leaf's columnar type.
// Assembly of nested values from levels is in assembler.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "columnar/column.h"
#include "parquet/metadata.h"
#include "parquet/schema.h"

namespace cpglake::parquet {

struct LeafData {
  std::vector<int16_t> def;  // one per level entry; empty when max_def == 0
  std::vector<int16_t> rep;  // one per level entry; empty when max_rep == 0
  int64_t num_entries = 0;
  columnar::ColumnPtr values;  // dense values: one per entry with def == max_def
};

struct ColumnReadLimits {
  // Largest page (compressed or not) accepted; larger claims are corrupt. The default is
  // the format's own limit (page sizes are int32); allocation is further guarded by
  // CheckDecompressedSize, which rejects sizes the compressed bytes cannot produce.
  int64_t max_page_bytes = 0x7fffffff;
};

// `chunk_bytes` holds the column chunk's pages starting at file offset `chunk_offset`.
// Errors are CorruptData / Unsupported with a message that names the page.
LeafData ReadColumnChunk(const ReadNode& leaf, const ColumnMetaData& meta,
                         const uint8_t* chunk_bytes, size_t chunk_size,
                         const ColumnReadLimits& limits = {});

// Converts `n` PLAIN fixed-width physical values at `src` and appends them to `out`.
// Exposed for statistics decoding.
void AppendPlainFixed(const ReadNode& leaf, const uint8_t* src, int64_t n, columnar::Column* out);
// Converts one byte-array (or fixed-length byte array) value and appends it to `out`.
void AppendBytesValue(const ReadNode& leaf, const uint8_t* data, size_t size,
                      columnar::Column* out);

}  // namespace cpglake::parquet
