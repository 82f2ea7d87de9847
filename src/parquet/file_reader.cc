#include "parquet/file_reader.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "common/parallel.h"
#include "parquet/assembler.h"

namespace cpglake::parquet {

using columnar::RecordBatch;

namespace {

void CollectLeaves(const ReadNode& n, std::vector<const ReadNode*>* out) {
  if (n.kind == ReadNode::Kind::kLeaf) {
    if (n.leaf >= 0) (*out)[n.leaf] = &n;
    return;
  }
  for (const auto& c : n.children) CollectLeaves(c, out);
}

}  // namespace

ParquetFileReader::ParquetFileReader(std::shared_ptr<storage::RandomAccessFile> file,
                                     ParquetReadOptions options)
    : file_(std::move(file)), options_(options) {}

std::unique_ptr<ParquetFileReader> ParquetFileReader::Open(
    std::shared_ptr<storage::RandomAccessFile> file, ParquetReadOptions options) {
  std::unique_ptr<ParquetFileReader> r(new ParquetFileReader(std::move(file), options));
  try {
    r->ReadFooter();
  } catch (const CorruptData& e) {
    throw CorruptData(r->name() + ": " + e.what());
  } catch (const Unsupported& e) {
    throw Unsupported(r->name() + ": " + e.what());
  }
  return r;
}

std::unique_ptr<ParquetFileReader> ParquetFileReader::OpenPath(const std::string& path,
                                                               ParquetReadOptions options) {
  return Open(storage::OpenLocalFile(path), options);
}

void ParquetFileReader::ReadFooter() {
  const int64_t size = file_->Size();
  if (size < 12) {
    throw CorruptData("not a Parquet file: " + std::to_string(size) +
                      " bytes is too small to hold the magic and footer");
  }
  if (size <= options_.read_whole_file_bytes) {
    std::string bytes(static_cast<size_t>(size), '\0');
    file_->ReadAt(0, size, reinterpret_cast<uint8_t*>(bytes.data()));
    file_ = storage::MakeBufferFile(std::move(bytes), file_->name());
  }
  uint8_t tail[8];
  file_->ReadAt(size - 8, 8, tail);
  if (std::memcmp(tail + 4, "PARE", 4) == 0) {
    throw Unsupported("encrypted Parquet is not supported");
  }
  if (std::memcmp(tail + 4, "PAR1", 4) != 0) {
    throw CorruptData("not a Parquet file: the last 4 bytes are not the PAR1 magic");
  }
  uint8_t head[4];
  file_->ReadAt(0, 4, head);
  if (std::memcmp(head, "PAR1", 4) != 0) {
    throw CorruptData("not a Parquet file: the first 4 bytes are not the PAR1 magic");
  }
  uint32_t footer_len;
  std::memcpy(&footer_len, tail, 4);
  if (footer_len == 0 || footer_len > static_cast<uint64_t>(size - 12) ||
      footer_len > static_cast<uint64_t>(options_.max_footer_bytes)) {
    throw CorruptData("footer length " + std::to_string(footer_len) +
                      " does not fit in the file (" + std::to_string(size) + " bytes)");
  }
  std::vector<uint8_t> footer(footer_len);
  file_->ReadAt(size - 8 - footer_len, footer_len, footer.data());
  metadata_ = DecodeFileMetaData(footer.data(), footer.size());
  if (metadata_.has_encryption_algorithm) {
    throw Unsupported("encrypted Parquet is not supported");
  }
  schema_ = std::make_unique<FileSchema>(metadata_.schema);
  leaf_nodes_.assign(schema_->num_leaves(), nullptr);
  for (const auto& f : schema_->fields()) CollectLeaves(f, &leaf_nodes_);
  if (metadata_.num_rows < 0) throw CorruptData("negative row count in the footer");
  int64_t total = 0;
  for (size_t g = 0; g < metadata_.row_groups.size(); ++g) {
    const auto& rg = metadata_.row_groups[g];
    const std::string where = "row group " + std::to_string(g);
    if (rg.num_rows < 0) throw CorruptData(where + " has a negative row count");
    total += rg.num_rows;
    if (static_cast<int>(rg.columns.size()) != schema_->num_leaves()) {
      throw CorruptData(where + " has " + std::to_string(rg.columns.size()) +
                        " column chunks but the schema has " +
                        std::to_string(schema_->num_leaves()) + " leaf columns");
    }
    for (size_t c = 0; c < rg.columns.size(); ++c) {
      const auto& cc = rg.columns[c];
      if (cc.file_path && !cc.file_path->empty()) {
        throw Unsupported(where + " keeps column data in another file (" + *cc.file_path + ")");
      }
      if (cc.has_crypto_metadata || cc.has_encrypted_column_metadata) {
        throw Unsupported("encrypted Parquet is not supported");
      }
      if (!cc.meta_data)
        throw CorruptData(where + " column " + std::to_string(c) + " has no metadata");
      const auto& md = *cc.meta_data;
      if (md.type != *schema_->leaf_element(static_cast<int>(c)).type) {
        throw CorruptData(where + " column '" + schema_->leaf_path(static_cast<int>(c)) +
                          "' has physical type " + std::string(TypeName(md.type)) +
                          " but the schema says " +
                          std::string(TypeName(*schema_->leaf_element(static_cast<int>(c)).type)));
      }
      if (md.total_compressed_size < 0 || md.data_page_offset < 0 || md.data_page_offset > size ||
          md.total_compressed_size > size) {
        throw CorruptData(where + " column '" + schema_->leaf_path(static_cast<int>(c)) +
                          "' has chunk offsets outside the file");
      }
    }
  }
  // Some writers leave the file-level count at 0; the row groups are authoritative.
  metadata_.num_rows = total;
  // Where each chunk may end at the latest: the next chunk's start or the footer. Some
  // writers under-report total_compressed_size; pages are read up to this bound.
  std::vector<int64_t> starts;
  for (const auto& rg : metadata_.row_groups) {
    for (const auto& cc : rg.columns) starts.push_back(ChunkStart(*cc.meta_data));
  }
  std::sort(starts.begin(), starts.end());
  footer_start_ = size - 8 - footer_len;
  chunk_limit_.clear();
  for (const auto& rg : metadata_.row_groups) {
    for (const auto& cc : rg.columns) {
      int64_t s = ChunkStart(*cc.meta_data);
      auto it = std::upper_bound(starts.begin(), starts.end(), s);
      chunk_limit_.push_back(it == starts.end() ? footer_start_ : std::min(*it, footer_start_));
    }
  }
}

std::vector<int> ParquetFileReader::ResolveColumns(const std::vector<std::string>& names) const {
  std::vector<int> out;
  for (const auto& n : names) {
    int i = schema_->FieldIndex(n);
    if (i < 0) {
      std::string have;
      for (const auto& f : schema().fields()) have += (have.empty() ? "" : ", ") + f.name;
      throw InvalidInput("no column '" + n + "' in " + name() + " (columns: " + have + ")");
    }
    out.push_back(i);
  }
  return out;
}

int64_t ParquetFileReader::ChunkStart(const ColumnMetaData& md) {
  int64_t start = md.data_page_offset;
  if (md.dictionary_page_offset && *md.dictionary_page_offset > 0 &&
      *md.dictionary_page_offset < start) {
    start = *md.dictionary_page_offset;
  }
  return start;
}

LeafData ParquetFileReader::ReadLeaf(int rg, const ReadNode& leaf) const {
  const auto& md = *metadata_.row_groups[rg].columns[leaf.leaf].meta_data;
  const int64_t start = ChunkStart(md);
  int64_t limit = chunk_limit_[static_cast<size_t>(rg) * schema_->num_leaves() + leaf.leaf];
  int64_t len = std::max(md.total_compressed_size, limit - start);
  const int64_t size = file_->Size();
  if (start >= footer_start_) throw CorruptData("column chunk starts inside the footer");
  len = std::min(len, footer_start_ - start);
  (void)size;
  std::vector<uint8_t> buf(static_cast<size_t>(len));
  file_->ReadAt(start, len, buf.data());
  return ReadColumnChunk(leaf, md, buf.data(), buf.size(), options_.limits);
}

RecordBatch ParquetFileReader::ReadRowGroup(int rg, const std::vector<int>& fields) const {
  if (rg < 0 || rg >= num_row_groups()) {
    throw InvalidInput("row group " + std::to_string(rg) + " does not exist in " + name());
  }
  std::vector<int> idx = fields;
  if (idx.empty()) {
    for (size_t i = 0; i < schema().num_fields(); ++i) idx.push_back(static_cast<int>(i));
  }
  const int64_t rows = metadata_.row_groups[rg].num_rows;
  std::vector<columnar::Field> out_fields;
  std::vector<columnar::ColumnPtr> cols(idx.size());
  std::vector<LeafData> leaves(schema_->num_leaves());
  // The same field twice shares leaf slots: decode sequentially then.
  std::vector<int> sorted = idx;
  std::sort(sorted.begin(), sorted.end());
  const bool distinct = std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
  ParallelFor(idx.size(), distinct ? options_.threads : 1, [&](size_t k) {
    const ReadNode& node = schema_->fields().at(idx[k]);
    try {
      for (int l = node.first_leaf; l >= 0 && l < node.first_leaf + node.num_leaves; ++l) {
        leaves[l] = ReadLeaf(rg, *leaf_nodes_[l]);
      }
      columnar::ColumnPtr col = AssembleColumn(node, leaves);
      if (col->length() != rows) {
        throw CorruptData("column has " + std::to_string(col->length()) + " rows, expected " +
                          std::to_string(rows));
      }
      for (int l = node.first_leaf; l >= 0 && l < node.first_leaf + node.num_leaves; ++l) {
        leaves[l] = LeafData();
      }
      cols[k] = std::move(col);
    } catch (const CorruptData& e) {
      throw CorruptData(name() + ": row group " + std::to_string(rg) + ", column '" + node.name +
                        "': " + e.what());
    } catch (const Unsupported& e) {
      throw Unsupported(name() + ": column '" + node.name + "': " + e.what());
    }
  });
  for (int f : idx) out_fields.push_back(schema().field(f));
  RecordBatch b(columnar::Schema(std::move(out_fields)), std::move(cols));
  b.set_num_rows(rows);
  return b;
}

RecordBatch ParquetFileReader::ReadAll(const std::vector<int>& fields) const {
  std::vector<int> idx = fields;
  if (idx.empty()) {
    for (size_t i = 0; i < schema().num_fields(); ++i) idx.push_back(static_cast<int>(i));
  }
  std::vector<columnar::Field> out_fields;
  for (int f : idx) out_fields.push_back(schema().field(f));
  RecordBatch all = RecordBatch::MakeEmpty(columnar::Schema(std::move(out_fields)));
  for (int g = 0; g < num_row_groups(); ++g) all.Append(ReadRowGroup(g, idx));
  all.set_num_rows(num_rows());
  return all;
}

ColumnChunkStats ParquetFileReader::RowGroupStats(int rg, int field) const {
  ColumnChunkStats out;
  const ReadNode& node = schema_->fields().at(field);
  if (node.kind != ReadNode::Kind::kLeaf || node.leaf < 0) return out;
  const auto& md = *metadata_.row_groups.at(rg).columns[node.leaf].meta_data;
  if (!md.statistics) return out;
  const Statistics& st = *md.statistics;
  out.null_count = st.null_count;
  if (node.physical == Type::INT96 || node.conversion == LeafConversion::kFloat16ToFloat) {
    return out;
  }
  // min_value/max_value follow the column order; the deprecated min/max are signed and
  // only trustworthy for signed numeric columns.
  const std::string* mn = st.min_value ? &*st.min_value : nullptr;
  const std::string* mx = st.max_value ? &*st.max_value : nullptr;
  bool legacy_ok = node.physical != Type::BYTE_ARRAY &&
                   node.physical != Type::FIXED_LEN_BYTE_ARRAY &&
                   node.conversion != LeafConversion::kUInt32ToInt64 &&
                   node.conversion != LeafConversion::kUInt64ToDecimal &&
                   node.conversion != LeafConversion::kUInt8ToInt16 &&
                   node.conversion != LeafConversion::kUInt16ToInt32;
  if (!mn && legacy_ok && st.min) mn = &*st.min;
  if (!mx && legacy_ok && st.max) mx = &*st.max;
  auto decode = [&](const std::string& bytes) -> std::optional<columnar::Value> {
    auto col = columnar::Column::Make(node.type);
    try {
      if (node.physical == Type::BYTE_ARRAY || node.physical == Type::FIXED_LEN_BYTE_ARRAY) {
        if (node.physical == Type::FIXED_LEN_BYTE_ARRAY &&
            bytes.size() != static_cast<size_t>(node.type_length)) {
          return std::nullopt;
        }
        AppendBytesValue(node, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                         col.get());
      } else if (node.physical == Type::BOOLEAN) {
        if (bytes.size() != 1) return std::nullopt;
        col->AppendBool(bytes[0] != 0);
      } else {
        int w = node.physical == Type::INT32 || node.physical == Type::FLOAT ? 4 : 8;
        if (static_cast<int>(bytes.size()) != w) return std::nullopt;
        AppendPlainFixed(node, reinterpret_cast<const uint8_t*>(bytes.data()), 1, col.get());
      }
    } catch (const Error&) {
      return std::nullopt;
    }
    return columnar::GetValue(*col, 0);
  };
  if (mn) out.min = decode(*mn);
  if (mx) out.max = decode(*mx);
  return out;
}

std::optional<BloomFilter> ParquetFileReader::ReadBloomFilter(int rg, int column) const {
  if (rg < 0 || rg >= num_row_groups() || column < 0 || column >= schema_->num_leaves()) {
    throw InvalidInput("no column chunk (row group " + std::to_string(rg) + ", column " +
                       std::to_string(column) + ") in " + name());
  }
  const auto& md = *metadata_.row_groups[rg].columns[column].meta_data;
  if (!md.bloom_filter_offset) return std::nullopt;
  const std::string where = name() + ": row group " + std::to_string(rg) + ", column '" +
                            schema_->leaf_path(column) + "': Bloom filter ";
  // The filter lies between the leading magic and the footer (the spec places it after the
  // column chunks of its row group or after all of them).
  const int64_t offset = *md.bloom_filter_offset;
  if (offset < 4 || offset >= footer_start_) {
    throw CorruptData(where + "offset " + std::to_string(offset) + " is outside the data (4.." +
                      std::to_string(footer_start_) + ")");
  }
  const int64_t room = footer_start_ - offset;
  // A header holds four small fields; without bloom_filter_length, read this much of it.
  constexpr int64_t kMaxHeaderBytes = 256;
  int64_t len;
  if (md.bloom_filter_length) {
    len = *md.bloom_filter_length;
    if (len <= 0 || len > room || len > BloomFilter::kMaxBytes + kMaxHeaderBytes) {
      throw CorruptData(where + "length " + std::to_string(len) + " at offset " +
                        std::to_string(offset) + " runs past the data (" + std::to_string(room) +
                        " bytes before the footer)");
    }
  } else {
    len = std::min(room, kMaxHeaderBytes);
  }
  std::vector<uint8_t> buf(static_cast<size_t>(len));
  file_->ReadAt(offset, len, buf.data());
  try {
    size_t header_size = 0;
    const BloomFilterHeader h = DecodeBloomFilterHeader(buf.data(), buf.size(), &header_size);
    if (!h.supported()) return std::nullopt;
    const int64_t total = static_cast<int64_t>(header_size) + h.num_bytes;
    if (h.num_bytes <= 0 || h.num_bytes > static_cast<int64_t>(BloomFilter::kMaxBytes) ||
        total > (md.bloom_filter_length ? len : room)) {
      throw CorruptData("bitset of " + std::to_string(h.num_bytes) +
                        " bytes does not fit (at most " +
                        std::to_string((md.bloom_filter_length ? len : room) -
                                       static_cast<int64_t>(header_size)) +
                        " bytes available)");
    }
    if (total > len) {  // no bloom_filter_length: read the rest now
      buf.resize(static_cast<size_t>(total));
      file_->ReadAt(offset + len, total - len, buf.data() + len);
    }
    return BloomFilter::FromBitset(buf.data() + header_size, static_cast<size_t>(h.num_bytes));
  } catch (const CorruptData& e) {
    throw CorruptData(where + e.what());
  }
}

}  // namespace cpglake::parquet
