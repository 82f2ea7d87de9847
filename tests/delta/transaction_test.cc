// Transactions: commit content (commitInfo, action order), optimistic concurrency (which
// concurrent commits conflict under which isolation level, and that the others are
// retried and rebuilt), idempotent app ids, row ids, in-commit timestamps, writer-feature
// gating. The multi-process tests (many writers on one local table) are in
// tests/delta/concurrency_test.cc.
#include "delta/transaction.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "delta/snapshot.h"
#include "expr/parser.h"
#include "storage/object_store.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

using json = nlohmann::json;

Metadata TableMetadata(std::vector<std::string> partition_columns = {},
                       std::map<std::string, std::string> configuration = {}) {
  Metadata m;
  m.id = "7d3c0b8a-1111-4222-8333-944445555666";
  m.schema_string =
      R"({"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}},)"
      R"({"name":"p","type":"string","nullable":true,"metadata":{}}]})";
  m.partition_columns = std::move(partition_columns);
  m.configuration = std::move(configuration);
  m.created_time = 1700000000000;
  return m;
}

delta::AddFile File(const std::string& path, int64_t rows, std::optional<std::string> p = {}) {
  delta::AddFile a;
  a.path = path;
  if (p) a.partition_values.insert_or_assign("p", *p);
  a.size = 100 * rows;
  a.modification_time = 1700000000000;
  a.stats = "{\"numRecords\":" + std::to_string(rows) +
            ",\"minValues\":{\"id\":0},\"maxValues\":{\"id\":" + std::to_string(rows - 1) +
            "},\"nullCount\":{\"id\":0}}";
  return a;
}

delta::RemoveFile RemoveOf(const delta::AddFile& a) {
  delta::RemoveFile r;
  r.path = a.path;
  r.deletion_timestamp = 1700000001000;
  r.partition_values = a.partition_values;
  r.size = a.size;
  return r;
}

class TransactionTest : public ::testing::Test {
 protected:
  std::shared_ptr<const Snapshot> Latest() { return SnapshotBuilder(store_).Build(); }
  CommitResult Create(Protocol protocol = {}, Metadata metadata = TableMetadata()) {
    Transaction t(store_, nullptr, Options("CREATE TABLE"));
    t.UpdateProtocol(protocol);
    t.UpdateMetadata(metadata);
    return t.Commit();
  }
  CommitOptions Options(const std::string& op) {
    CommitOptions o;
    o.operation = op;
    o.now_ms = 1700000000000;
    return o;
  }
  CommitResult Append(std::vector<delta::AddFile> files, std::shared_ptr<const Snapshot> at = {}) {
    Transaction t(store_, at ? at : Latest(), Options("WRITE"));
    for (auto& f : files) t.AddFile(f);
    return t.Commit();
  }
  std::vector<Action> CommitActions(int64_t version) {
    LogFile f;
    f.key = "_delta_log/" + CommitFileName(version);
    return ReadCommitActions(*store_, f);
  }
  json CommitInfoOf(int64_t version) {
    for (const auto& a : CommitActions(version)) {
      if (const auto* ci = std::get_if<CommitInfo>(&a)) return json::parse(ci->json);
    }
    return nullptr;
  }
  std::shared_ptr<storage::ObjectStore> store_ = std::make_shared<storage::MemoryObjectStore>();
};

TEST_F(TransactionTest, CreateThenAppendWritesCompleteCommitInfo) {
  auto created = Create();
  EXPECT_EQ(created.version, 0);
  auto r = Append({File("a.parquet", 10), File("b.parquet", 5)});
  EXPECT_EQ(r.version, 1);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.rows_added, 15);
  EXPECT_EQ(r.files_added, 2);
  auto actions = CommitActions(1);
  ASSERT_FALSE(actions.empty());
  EXPECT_TRUE(std::holds_alternative<CommitInfo>(actions.front())) << "commitInfo comes first";
  json ci = CommitInfoOf(1);
  EXPECT_EQ(ci["operation"], "WRITE");
  EXPECT_EQ(ci["readVersion"], 0);
  EXPECT_EQ(ci["isolationLevel"], "WriteSerializable");
  EXPECT_EQ(ci["isBlindAppend"], true);
  EXPECT_EQ(ci["timestamp"], 1700000000000);
  EXPECT_EQ(ci["operationMetrics"]["numFiles"], "2");
  EXPECT_EQ(ci["operationMetrics"]["numOutputRows"], "15");
  EXPECT_EQ(ci["operationMetrics"]["numOutputBytes"], "1500");
  EXPECT_EQ(ci["engineInfo"].get<std::string>().rfind("cpglake/", 0), 0u);
  EXPECT_EQ(ci["txnId"].get<std::string>().size(), 36u);
  EXPECT_FALSE(CommitInfoOf(0).contains("readVersion"));
  auto snap = Latest();
  EXPECT_EQ(snap->version(), 1);
  EXPECT_EQ(snap->files().size(), 2u);
  EXPECT_EQ(snap->total_rows(), 15);
}

TEST_F(TransactionTest, CommitPropertiesAndOperationParametersAreRecorded) {
  Create();
  CommitOptions o = Options("WRITE");
  o.operation_parameters = {{"mode", "Append"}, {"partitionBy", "[]"}};
  o.commit_properties = {{"build_id", "b-17"}};
  Transaction t(store_, Latest(), o);
  t.AddFile(File("a.parquet", 1));
  t.Commit();
  json ci = CommitInfoOf(1);
  EXPECT_EQ(ci["operationParameters"]["mode"], "Append");
  EXPECT_EQ(ci["build_id"], "b-17");
}

// An I/O error from the commit's put leaves the outcome open until the commit file is read
// back: ours (committed), absent (not made: the staged files may be deleted), or unreadable.
TEST_F(TransactionTest, AFailedCommitPutIsResolvedByReadingTheVersionBack) {
  Create();
  using Store = storage::FaultInjectingObjectStore;
  using Op = Store::Op;
  auto faulty = std::make_shared<Store>(store_);
  struct Case {
    bool after_effect;
    bool read_fails;
    bool expect_committed, expect_maybe;
  };
  for (const Case c : {Case{false, false, false, false}, Case{true, false, true, true},
                       Case{false, true, false, true}}) {
    SCOPED_TRACE(std::to_string(c.after_effect) + std::to_string(c.read_fails));
    Transaction t(faulty, SnapshotBuilder(store_).Build(), Options("WRITE"));
    t.AddFile(File("a.parquet", 1));
    faulty->Arm({.op = Op::kPutIfAbsent, .fail_at = 1, .after_effect = c.after_effect});
    if (c.read_fails) {
      // The read-back fails too: a second plan on reads is not possible, so the store is
      // made to fail every call after the put.
      faulty->Arm({.op = std::nullopt, .fail_at = 1, .persistent = true});
    }
    bool committed = false;
    try {
      committed = t.Commit().version >= 0;
    } catch (const IoError&) {
    }
    faulty->Disarm();
    EXPECT_EQ(committed, c.expect_committed);
    EXPECT_EQ(t.maybe_committed(), c.expect_maybe);
  }
}

TEST_F(TransactionTest, CreatingAnExistingTableConflicts) {
  Create();
  try {
    Create();
    FAIL() << "expected CommitConflict";
  } catch (const CommitConflict& e) {
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos);
  }
}

TEST_F(TransactionTest, ConcurrentBlindAppendsBothCommit) {
  Create();
  auto v0 = Latest();
  Append({File("a.parquet", 1)}, v0);
  auto r = Append({File("b.parquet", 1)}, v0);  // lost version 1, retried as 2
  EXPECT_EQ(r.version, 2);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(CommitInfoOf(2)["readVersion"], 0);
  EXPECT_EQ(Latest()->files().size(), 2u);
}

TEST_F(TransactionTest, RemovingTheSameFileTwiceConflicts) {
  Create();
  auto f = File("a.parquet", 3);
  Append({f});
  auto v1 = Latest();
  Transaction first(store_, v1, Options("DELETE"));
  first.RemoveFile(RemoveOf(f));
  first.Commit();
  Transaction second(store_, v1, Options("DELETE"));
  second.RemoveFile(RemoveOf(f));
  try {
    second.Commit();
    FAIL() << "expected CommitConflict";
  } catch (const CommitConflict& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("version 2"), std::string::npos) << m;
    EXPECT_NE(m.find("DELETE"), std::string::npos) << m;
    EXPECT_NE(m.find("a.parquet"), std::string::npos) << m;
  }
  EXPECT_EQ(Latest()->version(), 2) << "the loser wrote nothing";
}

TEST_F(TransactionTest, MetadataChangeConflictsEvenWithBlindAppends) {
  Create();
  auto v0 = Latest();
  Transaction alter(store_, v0, Options("SET TBLPROPERTIES"));
  alter.UpdateMetadata(TableMetadata({}, {{"delta.appendOnly", "false"}}));
  alter.Commit();
  EXPECT_THROW(Append({File("a.parquet", 1)}, v0), CommitConflict);
}

TEST_F(TransactionTest, ReadPredicateDecidesWhichConcurrentAddsConflict) {
  Create({}, TableMetadata({"p"}));
  Append({File("x1.parquet", 1, "x"), File("y1.parquet", 1, "y")});
  auto v1 = Latest();
  // A non-blind writer adds to partition y: no overlap with a reader of p = 'x'.
  {
    Transaction other(store_, v1, Options("MERGE"));
    other.TrackRead(expr::ParsePredicate("p = 'y'"));
    other.AddFile(File("y2.parquet", 1, "y"));
    other.Commit();
  }
  Transaction reader(store_, v1, Options("MERGE"));
  reader.TrackRead(expr::ParsePredicate("p = 'x'"));
  reader.AddFile(File("x2.parquet", 1, "x"));
  EXPECT_EQ(reader.Commit().version, 3);

  // Now one that adds to x while another reader of x is in flight: conflict.
  auto v3 = Latest();
  {
    Transaction other(store_, v3, Options("MERGE"));
    other.TrackRead(expr::ParsePredicate("p = 'x'"));
    other.AddFile(File("x3.parquet", 1, "x"));
    other.Commit();
  }
  Transaction loser(store_, v3, Options("MERGE"));
  loser.TrackRead(expr::ParsePredicate("p = 'x'"));
  loser.AddFile(File("x4.parquet", 1, "x"));
  try {
    loser.Commit();
    FAIL() << "expected CommitConflict";
  } catch (const CommitConflict& e) {
    EXPECT_NE(std::string(e.what()).find("x3.parquet"), std::string::npos) << e.what();
  }
}

TEST_F(TransactionTest, BlindAppendsOnlyConflictUnderSerializable) {
  Create({}, TableMetadata({"p"}));
  auto v0 = Latest();
  Append({File("x1.parquet", 1, "x")}, v0);  // a blind append into what the others read
  {
    Transaction ws(store_, v0, Options("MERGE"));
    ws.TrackRead(expr::ParsePredicate("p = 'x'"));
    ws.AddFile(File("x2.parquet", 1, "x"));
    EXPECT_EQ(ws.Commit().version, 2);
  }
  CommitOptions o = Options("MERGE");
  o.isolation = IsolationLevel::kSerializable;
  Transaction ser(store_, v0, o);
  ser.TrackRead(expr::ParsePredicate("p = 'x'"));
  ser.AddFile(File("x3.parquet", 1, "x"));
  EXPECT_THROW(ser.Commit(), CommitConflict);
}

TEST_F(TransactionTest, ReadingAFileAnotherCommitRemovedConflicts) {
  Create();
  auto f = File("a.parquet", 2);
  Append({f});
  auto v1 = Latest();
  Transaction del(store_, v1, Options("DELETE"));
  del.RemoveFile(RemoveOf(f));
  del.Commit();
  Transaction update(store_, v1, Options("UPDATE"));
  update.TrackReadFile("a.parquet");
  update.AddFile(File("b.parquet", 2));
  EXPECT_THROW(update.Commit(), CommitConflict);
  Transaction whole(store_, v1, Options("UPDATE"));
  whole.TrackRead(nullptr);
  whole.AddFile(File("c.parquet", 2));
  EXPECT_THROW(whole.Commit(), CommitConflict);
}

TEST_F(TransactionTest, SameApplicationTransactionIdConflicts) {
  Create();
  auto v0 = Latest();
  Transaction a(store_, v0, Options("WRITE"));
  a.SetAppTransaction("pipeline", 1);
  a.AddFile(File("a.parquet", 1));
  a.Commit();
  Transaction b(store_, v0, Options("WRITE"));
  b.SetAppTransaction("pipeline", 1);
  b.AddFile(File("b.parquet", 1));
  EXPECT_THROW(b.Commit(), CommitConflict);
  EXPECT_EQ(Latest()->app_transactions().at("pipeline").version, 1);
  Transaction c(store_, v0, Options("WRITE"));
  c.SetAppTransaction("other", 1);
  c.AddFile(File("c.parquet", 1));
  EXPECT_EQ(c.Commit().version, 2);
}

TEST_F(TransactionTest, RowIdsAreAssignedAndReassignedOnRetry) {
  Protocol p;
  p.min_reader_version = 3;
  p.min_writer_version = 7;
  p.reader_features = std::vector<std::string>{};
  p.writer_features = std::vector<std::string>{"domainMetadata", "rowTracking"};
  Create(p, TableMetadata({}, {{"delta.enableRowTracking", "true"}}));
  auto v0 = Latest();
  Append({File("a.parquet", 10), File("b.parquet", 5)}, v0);
  Append({File("c.parquet", 7)}, v0);  // retried after version 1: ids continue after b
  auto snap = Latest();
  std::map<std::string, std::pair<int64_t, int64_t>> ids;
  for (const auto& f : snap->files()) {
    ASSERT_TRUE(f.base_row_id && f.default_row_commit_version) << f.path;
    ids[f.path] = {*f.base_row_id, *f.default_row_commit_version};
  }
  EXPECT_EQ(ids["a.parquet"], std::make_pair(int64_t{0}, int64_t{1}));
  EXPECT_EQ(ids["b.parquet"], std::make_pair(int64_t{10}, int64_t{1}));
  EXPECT_EQ(ids["c.parquet"], std::make_pair(int64_t{15}, int64_t{2}));
  EXPECT_EQ(snap->domain_metadata().at("delta.rowTracking").configuration,
            "{\"rowIdHighWaterMark\":21}");
}

TEST_F(TransactionTest, InCommitTimestampsIncreaseEvenWhenTheClockGoesBack) {
  Protocol p;
  p.min_reader_version = 3;
  p.min_writer_version = 7;
  p.reader_features = std::vector<std::string>{};
  p.writer_features = std::vector<std::string>{"inCommitTimestamp"};
  Create(p, TableMetadata({}, {{"delta.enableInCommitTimestamps", "true"}}));
  CommitOptions o = Options("WRITE");
  o.now_ms = 1600000000000;  // before the creation time
  Transaction t(store_, Latest(), o);
  t.AddFile(File("a.parquet", 1));
  auto r = t.Commit();
  EXPECT_EQ(r.timestamp_ms, 1700000000001);
  EXPECT_EQ(CommitInfoOf(1)["inCommitTimestamp"], 1700000000001);
  EXPECT_EQ(Latest()->timestamp_ms(), 1700000000001);
}

TEST_F(TransactionTest, UnknownWriterFeatureIsRefusedBeforeWriting) {
  Protocol p;
  p.min_reader_version = 1;
  p.min_writer_version = 7;
  p.writer_features = std::vector<std::string>{"someFutureFeature"};
  Transaction t(store_, nullptr, Options("CREATE TABLE"));
  t.UpdateProtocol(p);
  t.UpdateMetadata(TableMetadata());
  try {
    t.Commit();
    FAIL() << "expected Unsupported";
  } catch (const Unsupported& e) {
    EXPECT_NE(std::string(e.what()).find("someFutureFeature"), std::string::npos);
  }
  EXPECT_TRUE(store_->List("_delta_log").empty());
}

TEST_F(TransactionTest, CheckConstraintsAndAppendOnlyAreEnforced) {
  Protocol p;
  p.min_writer_version = 3;
  EXPECT_THROW(Create(p, TableMetadata({}, {{"delta.constraints.positive", "id > 0"}})),
               Unsupported);
  EXPECT_TRUE(store_->List("_delta_log").empty());

  store_ = std::make_shared<storage::MemoryObjectStore>();
  Create({}, TableMetadata({}, {{"delta.appendOnly", "true"}}));
  auto f = File("a.parquet", 1);
  Append({f});
  Transaction del(store_, Latest(), Options("DELETE"));
  del.RemoveFile(RemoveOf(f));
  EXPECT_THROW(del.Commit(), InvalidInput);
}

TEST(TransactionConcurrencyTest, ThreadsAppendingToOneLocalTableLoseNothing) {
  cpglake::testing::TempDir dir;
  auto store = storage::OpenObjectStore(dir.path().string(), {});
  {
    Transaction t(store, nullptr);
    t.UpdateProtocol({});
    t.UpdateMetadata(TableMetadata());
    t.Commit();
  }
  constexpr int kThreads = 4, kCommits = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kCommits; ++i) {
        try {
          Transaction t(store, SnapshotBuilder(store).WithThreads(1).Build());
          t.AddFile(File("w" + std::to_string(w) + "-" + std::to_string(i) + ".parquet", 1));
          t.Commit();
        } catch (const std::exception& e) {
          ++failures;
          ADD_FAILURE() << e.what();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  auto snap = SnapshotBuilder(store).Build();
  EXPECT_EQ(snap->version(), kThreads * kCommits);
  std::set<std::string> paths;
  for (const auto& f : snap->files()) paths.insert(f.path);
  EXPECT_EQ(paths.size(), static_cast<size_t>(kThreads * kCommits));
}

}  // namespace
}  // namespace cpglake::delta
