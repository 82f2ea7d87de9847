// External truth for the reader: the parquet-testing corpus and the Spark-written expected
// files of the Delta acceptance corpus, compared value for value with DuckDB's read of the
// same files (tools/oracle/duckdb.mjs) and with the corpus' *_expect.csv files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "columnar/value.h"
#include "columnar/value_format.h"
#include "common/error.h"
#include "parquet/file_reader.h"
#include "test_util.h"

namespace cpglake::parquet {
namespace {

namespace fs = std::filesystem;
using testing::RunOracle;
using testing::ShellQuote;
using testing::SplitLines;
using testing::TestDataDir;

std::vector<std::string> OurCanonicalRows(const std::string& path) {
  auto reader = ParquetFileReader::OpenPath(path);
  std::vector<std::string> rows;
  for (int g = 0; g < reader->num_row_groups(); ++g) {
    auto batch = reader->ReadRowGroup(g);
    for (int64_t r = 0; r < batch.num_rows(); ++r) {
      std::string line;
      columnar::AppendJsonRow(batch, r, columnar::JsonStyle::kCanonical, &line);
      rows.push_back(std::move(line));
    }
  }
  return rows;
}

// The pinned DuckDB (1.5.5) has no Hadoop-LZ4 codec; these files hold the same rows as
// their LZ4_RAW twins, which DuckDB reads — so the twin's DuckDB read is the oracle.
std::string OracleFileFor(const std::string& path) {
  static const std::pair<const char*, const char*> kTwins[] = {
      {"hadoop_lz4_compressed.parquet", "lz4_raw_compressed.parquet"},
      {"non_hadoop_lz4_compressed.parquet", "lz4_raw_compressed.parquet"},
      {"hadoop_lz4_compressed_larger.parquet", "lz4_raw_compressed_larger.parquet"},
  };
  fs::path p(path);
  for (const auto& [file, twin] : kTwins) {
    if (p.filename() == file) return (p.parent_path() / twin).string();
  }
  return path;
}

// Compares our rows with DuckDB's, in file order; reports the first difference.
void ExpectSameAsDuckDb(const std::string& path, bool sort = false) {
  SCOPED_TRACE(path);
  std::vector<std::string> ours;
  try {
    ours = OurCanonicalRows(path);
  } catch (const Error& e) {
    ADD_FAILURE() << "our reader failed: " << e.what();
    return;
  }
  auto duck = RunOracle("read " + ShellQuote(OracleFileFor(path)));
  ASSERT_EQ(duck.exit_code, 0) << "DuckDB oracle failed on " << path;
  auto theirs = SplitLines(duck.out);
  if (sort) {
    std::sort(ours.begin(), ours.end());
    std::sort(theirs.begin(), theirs.end());
  }
  ASSERT_EQ(ours.size(), theirs.size()) << "row counts differ";
  for (size_t i = 0; i < ours.size(); ++i) {
    if (ours[i] != theirs[i]) {
      ADD_FAILURE() << "row " << i << " differs\n ours:   " << ours[i].substr(0, 2000)
                    << "\n duckdb: " << theirs[i].substr(0, 2000);
      return;
    }
  }
}

std::map<std::string, std::string> DuckDbStatus() {
  std::map<std::string, std::string> status;
  std::ifstream in(TestDataDir() / "parquet-testing/duckdb_counts.tsv");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    auto t1 = line.find('\t');
    auto t2 = line.find('\t', t1 + 1);
    status[line.substr(0, t1)] = line.substr(t1 + 1, t2 - t1 - 1);
  }
  return status;
}

TEST(ParquetCorpusTest, EveryReadableFileEqualsDuckDb) {
  auto status = DuckDbStatus();
  ASSERT_GT(status.size(), 60u);
  int compared = 0;
  for (const auto& [rel, st] : status) {
    if (st != "ok" || rel.rfind("data/", 0) != 0) continue;
    // DuckDB reads only FLOAT/DOUBLE with BYTE_STREAM_SPLIT; see the pairwise test below.
    if (rel == "data/byte_stream_split_extended.gzip.parquet") continue;
    ExpectSameAsDuckDb((TestDataDir() / "parquet-testing" / rel).string());
    ++compared;
  }
  EXPECT_GT(compared, 60);
}

// Every *_byte_stream_split column of this file holds the same values as its *_plain twin;
// the plain columns are checked against DuckDB by the same decoder paths elsewhere.
TEST(ParquetCorpusTest, ByteStreamSplitColumnsEqualTheirPlainTwins) {
  auto path = TestDataDir() / "parquet-testing/data/byte_stream_split_extended.gzip.parquet";
  auto batch = ParquetFileReader::OpenPath(path.string())->ReadAll();
  int pairs = 0;
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    const std::string& name = batch.schema().field(c).name;
    const std::string suffix = "_byte_stream_split";
    if (name.size() < suffix.size() || name.substr(name.size() - suffix.size()) != suffix) continue;
    const auto* plain = batch.ColumnByName(name.substr(0, name.size() - suffix.size()) + "_plain");
    ASSERT_NE(plain, nullptr) << name;
    for (int64_t r = 0; r < batch.num_rows(); ++r) {
      ASSERT_EQ(columnar::CompareRows(batch.column(c), r, *plain, r), 0) << name << " row " << r;
    }
    ++pairs;
  }
  EXPECT_EQ(pairs, 7);
}

TEST(ParquetCorpusTest, EncryptedFileIsRefusedClearly) {
  auto path = TestDataDir() / "parquet-testing/data/encrypt_columns_and_footer.parquet.encrypted";
  try {
    ParquetFileReader::OpenPath(path.string());
    FAIL() << "expected an error";
  } catch (const Unsupported& e) {
    EXPECT_NE(std::string(e.what()).find("encrypted Parquet is not supported"), std::string::npos)
        << e.what();
  }
}

TEST(ParquetCorpusTest, MapWithoutValuesReadsKeysWithNullValues) {
  auto path = TestDataDir() / "parquet-testing/data/map_no_value.parquet";
  auto reader = ParquetFileReader::OpenPath(path.string());
  auto batch = reader->ReadAll();
  EXPECT_GT(batch.num_rows(), 0);
  bool saw_map = false;
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    const auto& col = batch.column(c);
    if (col.type_id() != columnar::TypeId::kMap) continue;
    saw_map = true;
    EXPECT_EQ(col.child(1).null_count(), col.child(1).length());
  }
  EXPECT_TRUE(saw_map);
}

// Parses one line of the corpus' expect CSVs: fields separated by commas, optionally quoted.
std::vector<std::optional<std::string>> ParseCsvLine(const std::string& line) {
  std::vector<std::optional<std::string>> out;
  size_t i = 0;
  while (i <= line.size()) {
    if (i < line.size() && line[i] == '"') {
      std::string v;
      ++i;
      while (i < line.size()) {
        if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          v += '"';
          i += 2;
        } else if (line[i] == '"') {
          ++i;
          break;
        } else {
          v += line[i++];
        }
      }
      out.emplace_back(v);
      ++i;  // comma
    } else {
      size_t end = line.find(',', i);
      if (end == std::string::npos) end = line.size();
      if (end == i) {
        out.emplace_back(std::nullopt);
      } else {
        out.emplace_back(line.substr(i, end - i));
      }
      i = end + 1;
    }
  }
  return out;
}

TEST(ParquetCorpusTest, ExpectCsvFilesMatch) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(TestDataDir() / "parquet-testing/data")) {
    std::string name = entry.path().filename().string();
    const std::string suffix = "_expect.csv";
    if (name.size() < suffix.size() || name.substr(name.size() - suffix.size()) != suffix) continue;
    auto pq =
        entry.path().parent_path() / (name.substr(0, name.size() - suffix.size()) + ".parquet");
    SCOPED_TRACE(pq.string());
    auto batch = ParquetFileReader::OpenPath(pq.string())->ReadAll();
    auto lines = SplitLines(testing::ReadFileBytes(entry.path()));
    ASSERT_EQ(static_cast<int64_t>(lines.size()) - 1, batch.num_rows());
    auto header = ParseCsvLine(lines[0]);
    ASSERT_EQ(header.size(), batch.num_columns());
    for (size_t r = 1; r < lines.size(); ++r) {
      auto cells = ParseCsvLine(lines[r]);
      ASSERT_EQ(cells.size(), batch.num_columns()) << "line " << r;
      for (size_t c = 0; c < cells.size(); ++c) {
        const auto& col = batch.column(c);
        if (!cells[c]) {
          EXPECT_TRUE(col.IsNull(r - 1)) << "row " << r << " col " << *header[c];
        } else {
          ASSERT_FALSE(col.IsNull(r - 1)) << "row " << r << " col " << *header[c];
          EXPECT_EQ(columnar::FormatCell(col, r - 1), *cells[c])
              << "row " << r << " col " << *header[c];
        }
      }
    }
    ++files;
  }
  EXPECT_GE(files, 4);
}

TEST(ParquetCorpusTest, BadDataGivesCleanErrorsOrData) {
  for (const auto& entry : fs::directory_iterator(TestDataDir() / "parquet-testing/bad_data")) {
    SCOPED_TRACE(entry.path().string());
    try {
      auto reader = ParquetFileReader::OpenPath(entry.path().string());
      reader->ReadAll();
    } catch (const CorruptData& e) {
      EXPECT_NE(std::string(e.what()).find(entry.path().filename().string()), std::string::npos)
          << "error should name the file: " << e.what();
    } catch (const Unsupported&) {
    }
  }
}

// A file up to ParquetReadOptions::read_whole_file_bytes is read in one read when opened:
// the rows, and the errors of damaged files, are the same as with a read per chunk.
TEST(ParquetCorpusTest, WholeFileReadsEqualChunkReads) {
  auto outcome = [](const fs::path& path, int64_t whole_file_bytes) {
    ParquetReadOptions options;
    options.read_whole_file_bytes = whole_file_bytes;
    try {
      auto reader = ParquetFileReader::OpenPath(path.string(), options);
      std::string rows;
      for (int g = 0; g < reader->num_row_groups(); ++g) {
        auto batch = reader->ReadRowGroup(g);
        for (int64_t r = 0; r < batch.num_rows(); ++r) {
          columnar::AppendJsonRow(batch, r, columnar::JsonStyle::kCanonical, &rows);
          rows += '\n';
        }
      }
      return rows;
    } catch (const Error& e) {
      return std::string("error: ") + e.what();
    }
  };
  int whole = 0;
  for (const char* dir : {"parquet-testing/data", "parquet-testing/bad_data"}) {
    for (const auto& entry : fs::directory_iterator(TestDataDir() / dir)) {
      if (entry.path().extension() != ".parquet") continue;
      SCOPED_TRACE(entry.path().string());
      if (entry.file_size() <= ParquetReadOptions{}.read_whole_file_bytes) ++whole;
      EXPECT_EQ(outcome(entry.path(), 0), outcome(entry.path(), int64_t{1} << 40));
    }
  }
  EXPECT_GT(whole, 50);  // most of the corpus is small enough to be read whole by default
}

TEST(ParquetCorpusTest, SparkExpectedFilesEqualDuckDb) {
  int compared = 0;
  for (const auto& c : fs::directory_iterator(TestDataDir() / "delta-acceptance/kernel_golden")) {
    auto expected = c.path() / "expected";
    if (!fs::is_directory(expected)) continue;
    for (const auto& e : fs::recursive_directory_iterator(expected)) {
      std::string name = e.path().filename().string();
      if (!e.is_regular_file() || name[0] == '_' || name[0] == '.') continue;
      if (e.path().extension() != ".parquet") continue;
      bool hidden = false;
      for (const auto& part : fs::relative(e.path(), expected)) {
        std::string s = part.string();
        if (!s.empty() && (s[0] == '_' || s[0] == '.')) hidden = true;
      }
      if (hidden) continue;
      ExpectSameAsDuckDb(e.path().string());
      ++compared;
    }
  }
  EXPECT_GT(compared, 50);
}

}  // namespace
}  // namespace cpglake::parquet
