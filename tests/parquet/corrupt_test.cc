// Hostile files: every corruption gives a cpglake::Error (CorruptData / Unsupported) naming
// the file — never a crash, hang or huge allocation.
#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "parquet/file_reader.h"
#include "parquet/file_writer.h"
#include "random_data.h"
#include "storage/random_access_file.h"
#include "storage/writable_file.h"

namespace cpglake::parquet {
namespace {

using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;

std::string ValidFile() {
  Schema schema({Field("id", DataType::Int64(), false), Field("kind", DataType::String()),
                 Field("tags", DataType::List(DataType::String())),
                 Field("pt", DataType::Struct({Field("x", DataType::Float64())}))});
  std::mt19937_64 rng(5);
  testing::RandomOptions opt;
  RecordBatch b = testing::RandomBatch(rng, schema, 3000, opt);
  storage::BufferWritableFile sink("valid.parquet");
  WriterOptions wo;
  wo.row_group_rows = 1000;
  wo.page_bytes = 2000;
  ParquetWriter w(&sink, schema, wo);
  w.Write(b);
  w.Close();
  return sink.Release();
}

// Reads everything; returns true when the bytes were accepted.
bool ReadsCleanly(std::string bytes, const std::string& name = "bad.parquet") {
  try {
    auto reader = ParquetFileReader::Open(storage::MakeBufferFile(std::move(bytes), name));
    for (int g = 0; g < reader->num_row_groups(); ++g) reader->ReadRowGroup(g);
    return true;
  } catch (const CorruptData& e) {
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    return false;
  } catch (const Unsupported&) {
    return false;
  }
}

TEST(CorruptFileTest, TruncatedAtEveryTailOffset) {
  std::string good = ValidFile();
  ASSERT_TRUE(ReadsCleanly(good));
  for (size_t cut = 1; cut < 2000 && cut < good.size(); ++cut) {
    EXPECT_FALSE(ReadsCleanly(good.substr(0, good.size() - cut))) << "cut " << cut;
  }
  for (size_t len = 0; len < 64; ++len) EXPECT_FALSE(ReadsCleanly(good.substr(0, len)));
}

TEST(CorruptFileTest, BadMagicAndLyingFooterLength) {
  std::string good = ValidFile();
  std::string bad = good;
  bad[bad.size() - 1] = 'X';
  EXPECT_FALSE(ReadsCleanly(bad));
  bad = good;
  bad[0] = 'Q';
  EXPECT_FALSE(ReadsCleanly(bad));
  for (uint32_t len : {0u, 1u, 0x7fffffffu, 0xffffffffu, static_cast<uint32_t>(good.size())}) {
    bad = good;
    std::memcpy(bad.data() + bad.size() - 8, &len, 4);
    EXPECT_FALSE(ReadsCleanly(bad)) << len;
  }
}

TEST(CorruptFileTest, RandomByteFlipsNeverCrash) {
  std::string good = ValidFile();
  std::mt19937_64 rng(99);
  int rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string bad = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] ^= static_cast<char>(1 << (rng() % 8));
    rejected += !ReadsCleanly(bad);
  }
  EXPECT_GT(rejected, 100);  // most flips land in compressed pages or the footer
}

TEST(CorruptFileTest, DecompressionBombIsRefusedBeforeAllocating) {
  // A file whose only page claims 2 GiB - 1 of uncompressed data in a few bytes of ZSTD.
  Schema schema({Field("x", DataType::Int64(), false)});
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  for (int i = 0; i < 10; ++i) b.mutable_column(0).Append<int64_t>(i);
  storage::BufferWritableFile sink("bomb.parquet");
  WriterOptions wo;
  wo.dictionary = false;
  ParquetWriter w(&sink, schema, wo);
  w.Write(b);
  FileMetaData md = w.Close();
  std::string bytes = sink.Release();
  const auto& cm = *md.row_groups[0].columns[0].meta_data;
  size_t header_size = 0;
  PageHeader ph =
      DecodePageHeader(reinterpret_cast<const uint8_t*>(bytes.data()) + cm.data_page_offset,
                       bytes.size() - cm.data_page_offset, &header_size);
  ph.uncompressed_page_size = 0x7fffffff;
  std::string header;
  EncodePageHeader(ph, &header);
  std::string bomb = bytes.substr(0, cm.data_page_offset) + header +
                     bytes.substr(cm.data_page_offset + header_size);
  // Fix the footer offsets: the header length may change; only the page matters here.
  EXPECT_FALSE(ReadsCleanly(bomb, "bomb.parquet"));
}

}  // namespace
}  // namespace cpglake::parquet
