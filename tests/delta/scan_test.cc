// Scans over tables made here: a hand-written log around files from our Parquet writer.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/actions.h"
#include "delta/scan.h"
#include "delta/schema_json.h"
#include "delta/snapshot.h"
#include "expr/parser.h"
#include "parquet/file_reader.h"
#include "parquet/file_writer.h"
#include "storage/object_store.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;

// A table with one data file of `rows` rows (id = 0..rows-1, kind = id % 3) in row groups
// of `rg_rows`.
std::string MakeTable(const std::filesystem::path& dir, int64_t rows, int64_t rg_rows) {
  Schema schema({Field("id", DataType::Int64(), false), Field("kind", DataType::String())});
  RecordBatch b = RecordBatch::MakeEmpty(schema);
  for (int64_t i = 0; i < rows; ++i) {
    b.mutable_column(0).Append<int64_t>(i);
    b.mutable_column(1).AppendString(i % 3 == 0 ? "DEF" : "CALL");
  }
  std::filesystem::create_directories(dir / "_delta_log");
  parquet::WriterOptions wo;
  wo.row_group_rows = rg_rows;
  parquet::WriteParquetFile((dir / "part-0.parquet").string(), schema, {b}, wo);
  Protocol p;
  Metadata m;
  m.id = "test";
  m.schema_string = SerializeDeltaSchema(schema);
  AddFile a;
  a.path = "part-0.parquet";
  a.size = static_cast<int64_t>(std::filesystem::file_size(dir / "part-0.parquet"));
  a.stats = "{\"numRecords\":" + std::to_string(rows) +
            ",\"minValues\":{\"id\":0},\"maxValues\":{\"id\":" + std::to_string(rows - 1) +
            "},\"nullCount\":{\"id\":0}}";
  std::ofstream log(dir / "_delta_log/00000000000000000000.json");
  log << SerializeActionJson(p) << "\n"
      << SerializeActionJson(m) << "\n"
      << SerializeActionJson(a) << "\n";
  return dir.string();
}

TEST(ScanTest, RowGroupsAndFilesSkippedByStatistics) {
  ::cpglake::testing::TempDir tmp;
  auto path = MakeTable(tmp.path() / "t", 10000, 1000);
  auto snap = OpenSnapshot(path);
  auto scan =
      ScanBuilder(snap).WithPredicate(expr::ParsePredicate("id >= 2500 AND id < 3500")).Build();
  auto rows = scan.ReadAll();
  EXPECT_EQ(rows.num_rows(), 1000);
  EXPECT_EQ(scan.metrics().row_groups_skipped, 8);  // only groups 2 and 3 can hold matches
  EXPECT_EQ(scan.metrics().row_groups_read, 2);
  for (int64_t r = 0; r < rows.num_rows(); ++r) {
    int64_t id = rows.column(0).Get<int64_t>(r);
    EXPECT_TRUE(id >= 2500 && id < 3500);
  }
  // Whole file skipped by the add's stats.
  auto none = ScanBuilder(snap).WithPredicate(expr::ParsePredicate("id > 20000")).Build();
  EXPECT_EQ(none.files().size(), 0u);
  EXPECT_EQ(none.metrics().files_skipped_by_stats, 1);
}

TEST(ScanTest, ProjectionPredicateOnOtherColumnAndErrors) {
  ::cpglake::testing::TempDir tmp;
  auto path = MakeTable(tmp.path() / "t", 300, 100);
  auto snap = OpenSnapshot(path);
  auto scan = ScanBuilder(snap)
                  .WithColumns({"id"})
                  .WithPredicate(expr::ParsePredicate("KIND = 'DEF'"))
                  .Build();
  auto rows = scan.ReadAll();
  EXPECT_EQ(rows.num_columns(), 1u);
  EXPECT_EQ(rows.num_rows(), 100);
  EXPECT_THROW(ScanBuilder(snap).WithColumns({"nope"}).Build(), InvalidInput);
  EXPECT_THROW(ScanBuilder(snap).WithPredicate(expr::ParsePredicate("nope = 1")).Build(),
               InvalidInput);
  EXPECT_THROW(OpenSnapshot(path, 3), NotFound);
}

// --- Parallel reads: the same batches, order, metrics and errors at any thread count ------

namespace fs = std::filesystem;

// A table of `files` data files, each of `rows_per_file` rows (id continues across files,
// name repeats with nulls, kind = id % 3) in row groups of `rg_rows`.
// `pad`: bytes of incompressible text appended to every name (files larger than the size
// the Parquet reader reads whole).
std::string MakeMultiFileTable(const fs::path& dir, int files, int64_t rows_per_file,
                               int64_t rg_rows, size_t pad = 0) {
  Schema schema({Field("id", DataType::Int64(), false), Field("name", DataType::String()),
                 Field("kind", DataType::Int32())});
  fs::create_directories(dir / "_delta_log");
  Protocol p;
  Metadata m;
  m.id = "multi";
  m.schema_string = SerializeDeltaSchema(schema);
  std::ofstream log(dir / "_delta_log/00000000000000000000.json");
  log << SerializeActionJson(p) << "\n" << SerializeActionJson(m) << "\n";
  for (int f = 0; f < files; ++f) {
    RecordBatch b = RecordBatch::MakeEmpty(schema);
    for (int64_t r = 0; r < rows_per_file; ++r) {
      const int64_t id = f * rows_per_file + r;
      b.mutable_column(0).Append<int64_t>(id);
      if (id % 7 == 0) {
        b.mutable_column(1).AppendNull();
      } else {
        std::string name = "n" + std::to_string(id % 11);
        uint64_t x = static_cast<uint64_t>(id) * 0x9e3779b97f4a7c15ULL + 1;
        while (name.size() < pad + 3) {
          x ^= x << 13;
          x ^= x >> 7;
          x ^= x << 17;
          name += "0123456789abcdefghijklmnopqrstuvwxyz"[x % 36];
        }
        b.mutable_column(1).AppendString(name);
      }
      b.mutable_column(2).Append<int32_t>(static_cast<int32_t>(id % 3));
    }
    const std::string name = "part-" + std::to_string(100 + f) + ".parquet";
    parquet::WriterOptions wo;
    wo.row_group_rows = rg_rows;
    parquet::WriteParquetFile((dir / name).string(), schema, {b}, wo);
    AddFile a;
    a.path = name;
    a.size = static_cast<int64_t>(fs::file_size(dir / name));
    a.stats = "{\"numRecords\":" + std::to_string(rows_per_file) + "}";
    log << SerializeActionJson(a) << "\n";
  }
  return dir.string();
}

std::vector<int64_t> MetricsVector(const ScanMetrics& m) {
  return {m.files_total,
          m.files_skipped_by_partition,
          m.files_skipped_by_stats,
          m.files_read,
          m.row_groups_read,
          m.row_groups_skipped,
          m.rows_read,
          m.rows_deleted_by_dv,
          m.rows_filtered,
          m.rows_returned};
}

// Everything a scan hands out: each batch (schema and rows, in order), the metrics at each
// sink call and at the end, and the error if any.
struct ScanOutput {
  std::vector<std::string> batches;
  std::vector<std::vector<int64_t>> metrics_at_batch;
  std::vector<int64_t> metrics;
  std::string error;  // "" when the scan succeeded
};

ScanOutput RunScan(const std::shared_ptr<const Snapshot>& snap, int threads,
                   const std::string& predicate = "",
                   const std::optional<std::vector<std::string>>& columns = std::nullopt) {
  ScanBuilder b(snap);
  b.WithThreads(threads);
  if (!predicate.empty()) b.WithPredicate(expr::ParsePredicate(predicate));
  if (columns) b.WithColumns(*columns);
  Scan scan = b.Build();
  ScanOutput out;
  try {
    scan.Execute([&](const RecordBatch& batch) {
      std::string text = batch.schema().ToString() + "|";
      for (int64_t r = 0; r < batch.num_rows(); ++r) {
        columnar::AppendJsonRow(batch, r, columnar::JsonStyle::kCanonical, &text);
        text += "\n";
      }
      out.batches.push_back(std::move(text));
      out.metrics_at_batch.push_back(MetricsVector(scan.metrics()));
    });
  } catch (const CorruptData& e) {
    out.error = std::string("CorruptData: ") + e.what();
  }
  out.metrics = MetricsVector(scan.metrics());
  return out;
}

void ExpectSameAtAllThreadCounts(const std::string& table, const std::string& predicate = "",
                                 const std::optional<std::vector<std::string>>& columns = {}) {
  SCOPED_TRACE(table + " WHERE " + predicate);
  auto snap = OpenSnapshot(table);
  const ScanOutput serial = RunScan(snap, 1, predicate, columns);
  EXPECT_FALSE(serial.batches.empty());
  EXPECT_EQ(serial.error, "");
  for (int threads : {2, 3, 8, 0}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    const ScanOutput parallel = RunScan(snap, threads, predicate, columns);
    EXPECT_EQ(parallel.batches, serial.batches);
    EXPECT_EQ(parallel.metrics_at_batch, serial.metrics_at_batch);
    EXPECT_EQ(parallel.metrics, serial.metrics);
    EXPECT_EQ(parallel.error, serial.error);
  }
}

fs::path Acceptance(const std::string& name) {
  return ::cpglake::testing::TestDataDir() / "delta-acceptance/kernel_golden" / name / "delta";
}

TEST(ScanParallelTest, AcceptanceTablesSameAtAnyThreadCount) {
  // Partitioned with deletion vectors (and a checkpoint), with and without a predicate.
  const std::string dv = Acceptance("dv-partitioned-with-checkpoint").string();
  ExpectSameAtAllThreadCounts(dv);
  ExpectSameAtAllThreadCounts(dv, "part = 1 OR col1 > 5");
  ExpectSameAtAllThreadCounts(dv, "col2 IS NOT NULL", std::vector<std::string>{"col1"});
  // Deletion vectors under column mapping.
  ExpectSameAtAllThreadCounts(Acceptance("dv-with-columnmapping").string());
  // Partition columns that changed over time; many small files.
  ExpectSameAtAllThreadCounts(Acceptance("time-travel-partition-changes-b").string());
  ExpectSameAtAllThreadCounts(Acceptance("time-travel-partition-changes-b").string(), "id < 12");
  ExpectSameAtAllThreadCounts(Acceptance("basic-with-inserts-deletes-checkpoint").string());
  ExpectSameAtAllThreadCounts(Acceptance("snapshot-repartitioned").string());
  ExpectSameAtAllThreadCounts(Acceptance("data-skipping-partition-and-data-column").string(),
                              "part = 0 OR id = 1");
}

TEST(ScanParallelTest, ManyRowGroupsSameAtAnyThreadCount) {
  ::cpglake::testing::TempDir tmp;
  // More row groups per file than a reader may buffer, more files than threads.
  const std::string path = MakeMultiFileTable(tmp.path() / "t", 11, 3000, 250);
  ExpectSameAtAllThreadCounts(path);
  ExpectSameAtAllThreadCounts(path, "kind = 2 AND name != 'n4'", std::vector<std::string>{"name"});
  // Row groups and files skipped by statistics; rows filtered; empty first batches.
  ExpectSameAtAllThreadCounts(path, "id >= 4000 AND id < 20000 AND name = 'n3'");
  // One file: its columns decoded in parallel.
  const std::string one = MakeMultiFileTable(tmp.path() / "one", 1, 5000, 1000);
  ExpectSameAtAllThreadCounts(one);
}

// Truncates the data file `index` (in scan order) of `table` to half its size.
void TruncateDataFile(const std::string& table, size_t index) {
  auto scan = ScanBuilder(OpenSnapshot(table)).Build();
  ASSERT_LT(index, scan.files().size());
  const fs::path file = fs::path(table) / scan.files()[index]->path;
  fs::resize_file(file, fs::file_size(file) / 2);
}

TEST(ScanParallelTest, ErrorInALaterFileIsTheSameAtAnyThreadCount) {
  ::cpglake::testing::TempDir tmp;
  const std::string path = MakeMultiFileTable(tmp.path() / "t", 9, 2000, 500);
  TruncateDataFile(path, 5);
  // An acceptance table copied, one of its later files truncated.
  const fs::path copy = tmp.path() / "dv";
  fs::copy(Acceptance("dv-partitioned-with-checkpoint"), copy, fs::copy_options::recursive);
  TruncateDataFile(copy.string(), 12);
  for (const std::string& table : {path, copy.string()}) {
    SCOPED_TRACE(table);
    auto snap = OpenSnapshot(table);
    const ScanOutput serial = RunScan(snap, 1);
    EXPECT_NE(serial.error.find("CorruptData"), std::string::npos) << serial.error;
    EXPECT_FALSE(serial.batches.empty());  // the files before it were delivered
    for (int threads : {2, 3, 8}) {
      SCOPED_TRACE("threads " + std::to_string(threads));
      const ScanOutput parallel = RunScan(snap, threads);
      EXPECT_EQ(parallel.error, serial.error);
      EXPECT_EQ(parallel.batches, serial.batches);
      EXPECT_EQ(parallel.metrics, serial.metrics);
    }
  }
  // Two bad files: the first in file order is reported.
  TruncateDataFile(path, 2);
  auto snap = OpenSnapshot(path);
  const ScanOutput serial = RunScan(snap, 1);
  EXPECT_NE(serial.error.find("part-102"), std::string::npos) << serial.error;
  for (int threads : {2, 8}) EXPECT_EQ(RunScan(snap, threads).error, serial.error);
}

TEST(ScanParallelTest, ThrowingSinkStopsTheScan) {
  ::cpglake::testing::TempDir tmp;
  const std::string path = MakeMultiFileTable(tmp.path() / "t", 12, 2000, 200);
  auto snap = OpenSnapshot(path);
  for (int threads : {1, 2, 3, 8}) {
    for (int throw_at : {0, 1, 7, 25}) {
      SCOPED_TRACE("threads " + std::to_string(threads) + ", throw at batch " +
                   std::to_string(throw_at));
      Scan scan = ScanBuilder(snap).WithThreads(threads).Build();
      int calls = 0;
      EXPECT_THROW(scan.Execute([&](const RecordBatch&) {
        if (calls++ == throw_at) throw std::runtime_error("sink failed");
      }),
                   std::runtime_error);
      EXPECT_EQ(calls, throw_at + 1);
      EXPECT_EQ(scan.metrics().row_groups_read, throw_at + 1);
    }
  }
}

TEST(ScanParallelTest, ReadAheadIsBounded) {
  ::cpglake::testing::TempDir tmp;
  // Files too large to be read whole: their column chunks are read one by one.
  const std::string path = MakeMultiFileTable(tmp.path() / "t", 40, 1000, 100, 500);
  for (const auto& e : fs::directory_iterator(path)) {
    if (e.path().extension() == ".parquet") {
      ASSERT_GT(static_cast<int64_t>(e.file_size()),
                parquet::ParquetReadOptions{}.read_whole_file_bytes);
    }
  }
  using Store = storage::FaultInjectingObjectStore;
  auto store = std::make_shared<Store>(storage::OpenObjectStore(path));
  auto snap = SnapshotBuilder(store).Build();
  for (int threads : {2, 3}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    store->Arm({});  // counts from here
    int64_t opened = -1, reads = -1;
    int64_t batches = 0;
    ScanBuilder(snap).WithThreads(threads).Build().Execute([&](const RecordBatch&) {
      if (batches++ > 0) return;
      // A slow consumer: the readers run ahead as far as they may.
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      opened = store->CallCount(Store::Op::kOpenForRead);
      reads = store->CallCount(Store::Op::kReadAt);
    });
    EXPECT_EQ(batches, 400);
    // Files opened ahead: at most 4 per thread; row groups decoded ahead: at most 2 per
    // thread (each reads its 3 column chunks) beyond the one being delivered.
    EXPECT_LE(opened, 4 * threads);
    const int64_t total_reads = store->CallCount(Store::Op::kReadAt);
    const int64_t rg_reads = 400 * 3;  // every row group reads its 3 column chunks once
    ASSERT_EQ((total_reads - rg_reads) % 40, 0);
    const int64_t footer_reads = (total_reads - rg_reads) / 40;  // per file
    EXPECT_LE(reads - opened * footer_reads, (2 * threads + 1) * 3)
        << "opened " << opened << ", reads " << reads << ", per footer " << footer_reads;
    EXPECT_GT(opened, 0);
  }
}

}  // namespace
}  // namespace cpglake::delta
