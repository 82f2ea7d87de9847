// Checkpoint writing and log cleanup (delta/checkpoint_writer.h): round trips of every
// acceptance table through a checkpoint we write (classic and V2, stats as JSON and as
// structs), DuckDB reading our checkpoint files, `_last_checkpoint` and its checksum against
// files Spark wrote, tombstone and transaction retention, and Spark's log cleanup rules.
#include "delta/checkpoint_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/checkpoint_reader.h"
#include "delta/scan.h"
#include "delta/stats.h"
#include "parquet/file_reader.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

namespace fs = std::filesystem;
using ::cpglake::testing::TempDir;
using ::cpglake::testing::TestDataDir;

constexpr int64_t kDay = 86400000;
constexpr int64_t kHour = 3600000;
// 2026-01-01T00:00:00Z.
constexpr int64_t kT0 = 1767225600000;

// ---------------------------------------------------------------- helpers ----------------

fs::path CorpusDir() {
  return TestDataDir() / "delta-acceptance";
}

// Table roots of the corpus (manifest.tsv), negative ones excluded.
std::vector<std::string> CorpusTables() {
  std::vector<std::string> out;
  std::ifstream in(CorpusDir() / "manifest.tsv");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    size_t start = 0;
    while (true) {
      size_t tab = line.find('\t', start);
      cols.push_back(line.substr(start, tab == std::string::npos ? tab : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (cols.size() < 4 || cols[3] == "negative") continue;
    if (fs::exists(CorpusDir() / cols[0] / "_delta_log")) out.push_back(cols[0]);
  }
  return out;
}

// Copies a (read-only) corpus table and makes the copy writable.
void CopyTable(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  fs::copy(from, to, fs::copy_options::recursive);
  fs::permissions(to, fs::perms::owner_all, fs::perm_options::add);
  for (const auto& e : fs::recursive_directory_iterator(to)) {
    fs::permissions(
        e.path(),
        e.is_directory() ? fs::perms::owner_all : fs::perms::owner_read | fs::perms::owner_write,
        fs::perm_options::add);
  }
}

void SetMtime(const fs::path& p, int64_t ms) {
  timespec ts[2];
  ts[0].tv_sec = ts[1].tv_sec = ms / 1000;
  ts[0].tv_nsec = ts[1].tv_nsec = (ms % 1000) * 1000000;
  ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), ts, 0), 0) << p;
}

std::string Md5(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_md5(), nullptr);
  std::string out;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    out += buf;
  }
  return out;
}

// Removes the checkpoint files of `version` (so that the one we write is the one used).
void RemoveCheckpointsAt(storage::ObjectStore& store, int64_t version) {
  for (const auto& m : store.List("_delta_log/")) {
    auto f = ParseLogFileName(m.key.substr(m.key.rfind('/') + 1));
    if (f && f->version == version &&
        (f->kind == LogFile::Kind::kCheckpoint || f->kind == LogFile::Kind::kV2Checkpoint ||
         f->kind == LogFile::Kind::kMultiPartCheckpoint)) {
      store.Delete(m.key);
    }
  }
}

bool HasAllData(const Snapshot& snap) {
  for (const auto& f : snap.files()) {
    std::string p = storage::UriDecode(f.path);
    if (p.rfind("file:", 0) == 0 || (!p.empty() && p[0] == '/')) return false;
    if (!snap.store()->Exists(p)) return false;
  }
  return true;
}

std::vector<std::string> SortedRows(const std::shared_ptr<const Snapshot>& snap) {
  auto batch = ScanBuilder(snap).Build().ReadAll();
  std::vector<std::string> rows;
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    std::string line;
    columnar::AppendJsonRow(batch, r, columnar::JsonStyle::kCanonical, &line);
    rows.push_back(std::move(line));
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

AddFile WithoutDataChange(AddFile a, bool drop_stats = false) {
  a.data_change = false;
  if (drop_stats) a.stats.reset();
  return a;
}

// What a checkpoint keeps of a tombstone (no stats, no tags, dataChange false).
RemoveFile AsTombstone(RemoveFile r) {
  r.data_change = false;
  r.stats.reset();
  r.tags.clear();
  return r;
}

// Asserts that `after` (opened from our checkpoint) holds the state of `before`.
void ExpectSameState(const Snapshot& before, const Snapshot& after, bool compare_stats_text) {
  EXPECT_EQ(after.version(), before.version());
  EXPECT_EQ(after.protocol(), before.protocol());
  EXPECT_EQ(after.metadata(), before.metadata());
  ASSERT_EQ(after.files().size(), before.files().size());
  for (size_t i = 0; i < before.files().size(); ++i) {
    EXPECT_EQ(WithoutDataChange(after.files()[i], !compare_stats_text),
              WithoutDataChange(before.files()[i], !compare_stats_text))
        << "file " << i << ": " << before.files()[i].path;
  }
  // With delta.setTransactionRetentionDuration, a checkpoint (like Spark's) keeps only the
  // transactions updated after now - retention (now = 0 here).
  auto txns = before.app_transactions();
  if (auto r = before.config().Property("delta.setTransactionRetentionDuration")) {
    std::erase_if(txns, [&](const auto& kv) {
      return !(kv.second.last_updated && *kv.second.last_updated > -ParseIntervalMs(*r));
    });
  }
  EXPECT_EQ(after.app_transactions(), txns);
  EXPECT_EQ(after.domain_metadata(), before.domain_metadata());
  ASSERT_EQ(after.tombstones().size(), before.tombstones().size());
  for (size_t i = 0; i < before.tombstones().size(); ++i) {
    EXPECT_EQ(after.tombstones()[i], AsTombstone(before.tombstones()[i]));
  }
}

std::string Join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::string SqlQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// The metadata of `snap` with extra table properties, as a commit after it.
void CommitProperties(const Snapshot& snap, const std::map<std::string, std::string>& props) {
  Metadata m = snap.metadata();
  for (const auto& [k, v] : props) m.configuration[k] = v;
  CommitInfo ci;
  ci.operation = "SET TBLPROPERTIES";
  ci.timestamp = kT0;
  std::string text = SerializeActionJson(ci) + "\n" + SerializeActionJson(m) + "\n";
  ASSERT_TRUE(snap.store()->PutIfAbsent("_delta_log/" + CommitFileName(snap.version() + 1), text));
}

// ---------------------------------------------------------------- synthetic tables --------

// A small table written commit by commit into a local directory.
class SyntheticTable {
 public:
  explicit SyntheticTable(const fs::path& dir)
      : dir_(dir), store_(storage::OpenObjectStore(dir.string())) {}

  void Commit(int64_t version, const std::vector<Action>& actions) {
    std::string text;
    CommitInfo ci;
    ci.operation = "WRITE";
    ci.timestamp = kT0 + version;
    text += SerializeActionJson(ci) + "\n";
    for (const auto& a : actions) text += SerializeActionJson(a) + "\n";
    ASSERT_TRUE(store_->PutIfAbsent("_delta_log/" + CommitFileName(version), text));
  }
  std::shared_ptr<const Snapshot> Open(std::optional<int64_t> version = std::nullopt) {
    SnapshotBuilder b(store_);
    if (version) b.AtVersion(*version);
    return b.Build();
  }
  const std::shared_ptr<storage::ObjectStore>& store() const { return store_; }
  fs::path Log(const std::string& name) const { return dir_ / "_delta_log" / name; }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  std::shared_ptr<storage::ObjectStore> store_;
};

Metadata SimpleMetadata(std::map<std::string, std::string> config = {}) {
  Metadata m;
  m.id = "00000000-0000-0000-0000-000000000001";
  m.schema_string =
      R"({"type":"struct","fields":[{"name":"x","type":"long","nullable":true,"metadata":{}}]})";
  m.configuration = std::move(config);
  m.created_time = kT0;
  return m;
}

AddFile SimpleAdd(const std::string& path) {
  AddFile a;
  a.path = path;
  a.size = 100;
  a.modification_time = kT0;
  a.stats = R"({"numRecords":1,"minValues":{"x":1},"maxValues":{"x":1},"nullCount":{"x":0}})";
  return a;
}

RemoveFile SimpleRemove(const std::string& path, std::optional<int64_t> ts) {
  RemoveFile r;
  r.path = path;
  r.deletion_timestamp = ts;
  r.size = 100;
  return r;
}

// ---------------------------------------------------------------- round trips -------------

struct WrittenCheckpoint {
  std::string table;
  std::vector<std::string> files;  // local paths of the top-level file and its sidecars
  int64_t adds = 0;
  int64_t rows = 0;
};

class CheckpointRoundTripTest : public ::testing::Test {
 protected:
  // Copies every corpus table, optionally commits extra properties, writes a checkpoint of
  // the latest version and checks the reopened table against the original snapshot.
  void RoundTripCorpus(const std::map<std::string, std::string>& props,
                       std::vector<WrittenCheckpoint>* written) {
    int checked = 0, scanned = 0, v2 = 0, refused = 0;
    int64_t stats_compared = 0;
    int i = 0;
    for (const auto& table : CorpusTables()) {
      SCOPED_TRACE(table);
      fs::path copy = tmp_.path() / std::to_string(i++);
      CopyTable(CorpusDir() / table, copy);
      auto store = storage::OpenObjectStore(copy.string());
      std::shared_ptr<const Snapshot> before;
      try {
        before = SnapshotBuilder(store).Build();
        if (!props.empty()) {
          CommitProperties(*before, props);
          before = SnapshotBuilder(store).Build();
        }
      } catch (const Error& e) {
        ++refused;  // tables the reader refuses (documented in docs/delta.md)
        continue;
      }
      RemoveCheckpointsAt(*store, before->version());
      CheckpointOptions opts;
      opts.now_ms = 0;  // keep every tombstone: they are compared too
      CheckpointResult res;
      try {
        res = WriteCheckpoint(*before, opts);
      } catch (const Error& e) {
        ADD_FAILURE() << "checkpoint failed: " << e.what();
        continue;
      }
      v2 += res.v2 ? 1 : 0;
      EXPECT_EQ(res.num_add_files, static_cast<int64_t>(before->files().size()));
      EXPECT_EQ(res.num_tombstones, static_cast<int64_t>(before->tombstones().size()));
      std::shared_ptr<const Snapshot> after;
      try {
        after = SnapshotBuilder(store).Build();
      } catch (const Error& e) {
        ADD_FAILURE() << "reopen failed: " << e.what();
        continue;
      }
      const LogSegment& seg = after->log_segment();
      EXPECT_EQ(seg.checkpoint_version, before->version());
      ASSERT_FALSE(seg.checkpoint_files.empty());
      EXPECT_EQ(seg.checkpoint_files[0].key, res.key);
      EXPECT_TRUE(seg.commits.empty());
      EXPECT_EQ(seg.last_checkpoint_hint, before->version());
      bool stats_text = props.count("delta.checkpoint.writeStatsAsJson") == 0;
      ExpectSameState(*before, *after, stats_text);
      if (!stats_text) stats_compared += ExpectSameStatistics(*before, *after);
      if (HasAllData(*before)) {
        EXPECT_EQ(SortedRows(after), SortedRows(before));
        ++scanned;
      }
      WrittenCheckpoint w{table, {}, res.num_add_files, res.num_actions};
      w.files.push_back((copy / res.key).string());
      for (const auto& k : res.sidecar_keys) w.files.push_back((copy / k).string());
      written->push_back(w);
      ++checked;
    }
    std::printf(
        "[ round trip ] %d tables (%d V2, %d scanned), %d refused by the reader, %lld column "
        "statistics compared\n",
        checked, v2, scanned, refused, static_cast<long long>(stats_compared));
    if (props.count("delta.checkpoint.writeStatsAsJson")) {
      EXPECT_GE(stats_compared, 1000);
    }
    EXPECT_GE(checked, 140);
    EXPECT_GE(scanned, 100);
    EXPECT_LE(refused, 12);
  }

  // Statistics rendered back from stats_parsed equal the original JSON's, column by column,
  // for every column the stats_parsed schema covers.
  static int64_t ExpectSameStatistics(const Snapshot& before, const Snapshot& after) {
    int64_t compared = 0;
    const auto physical = ToPhysicalSchema(before.schema(), before.config().column_mapping_mode());
    for (size_t i = 0; i < before.files().size(); ++i) {
      auto a = ParseFileStatistics(before.files()[i].stats, physical);
      auto b = ParseFileStatistics(after.files()[i].stats, physical);
      if (!a) continue;
      EXPECT_TRUE(b.has_value()) << before.files()[i].path;
      if (!b) continue;
      EXPECT_EQ(b->num_records, a->num_records);
      for (const auto& [col, s] : b->columns) {
        if (!s.min && !s.max && !s.null_count) continue;
        auto it = a->columns.find(col);
        EXPECT_TRUE(it != a->columns.end()) << col;
        if (it == a->columns.end()) continue;
        ++compared;
        if (s.min) {
          EXPECT_TRUE(it->second.min && *s.min == *it->second.min) << col;
        }
        if (s.max) {
          EXPECT_TRUE(it->second.max && *s.max == *it->second.max) << col;
        }
        if (s.null_count) {
          EXPECT_EQ(s.null_count, it->second.null_count) << col;
        }
      }
    }
    return compared;
  }

  // DuckDB reads every file we wrote; per table, the add rows equal the live files and all
  // rows the actions we wrote.
  static void CheckWithDuckDb(const std::vector<WrittenCheckpoint>& written) {
    std::vector<std::string> selects;
    for (size_t t = 0; t < written.size(); ++t) {
      for (const auto& f : written[t].files) {
        selects.push_back("SELECT " + std::to_string(t) +
                          " AS t, count(\"add\".path) AS adds, count(*) AS n FROM read_parquet(" +
                          SqlQuote(f) + ")");
      }
    }
    std::string sql = "SELECT t, sum(adds) AS adds, sum(n) AS n FROM (" +
                      Join(selects, " UNION ALL ") + ") GROUP BY t ORDER BY t";
    auto r = ::cpglake::testing::RunOracle("sql " + ::cpglake::testing::ShellQuote(sql));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    auto lines = ::cpglake::testing::SplitLines(r.out);
    ASSERT_EQ(lines.size(), written.size());
    for (size_t t = 0; t < written.size(); ++t) {
      auto j = nlohmann::json::parse(lines[t]);
      EXPECT_EQ(j["t"].get<int64_t>(), static_cast<int64_t>(t));
      EXPECT_EQ(j["adds"].get<int64_t>(), written[t].adds) << written[t].table;
      EXPECT_EQ(j["n"].get<int64_t>(), written[t].rows) << written[t].table;
    }
  }

  TempDir tmp_;
};

TEST_F(CheckpointRoundTripTest, EveryCorpusTableReopensFromOurCheckpoint) {
  std::vector<WrittenCheckpoint> written;
  RoundTripCorpus({}, &written);
  CheckWithDuckDb(written);
}

TEST_F(CheckpointRoundTripTest, StatsAsStructsOnlyRoundTrip) {
  // Stats only as stats_parsed / partitionValues_parsed: the reader renders them back.
  std::vector<WrittenCheckpoint> written;
  RoundTripCorpus({{"delta.checkpoint.writeStatsAsStruct", "true"},
                   {"delta.checkpoint.writeStatsAsJson", "false"}},
                  &written);
  CheckWithDuckDb(written);
}

TEST_F(CheckpointRoundTripTest, DuckDbReadsOurFileValueForValue) {
  // Tables with deletion vectors, partitions, column mapping, stats_parsed: DuckDB's rows of
  // our checkpoint file equal our Parquet reader's.
  const char* tables[] = {"kernel_golden/dv-partitioned-with-checkpoint/delta",
                          "kernel_golden/dv-with-columnmapping/delta",
                          "kernel_data/v1-multi-part-partitioned-struct-stats-only"};
  int i = 0;
  for (const char* table : tables) {
    SCOPED_TRACE(table);
    fs::path copy = tmp_.path() / ("v" + std::to_string(i++));
    CopyTable(CorpusDir() / table, copy);
    auto store = storage::OpenObjectStore(copy.string());
    auto snap = SnapshotBuilder(store).Build();
    CommitProperties(*snap, {{"delta.checkpoint.writeStatsAsStruct", "true"}});
    snap = SnapshotBuilder(store).Build();
    RemoveCheckpointsAt(*store, snap->version());
    CheckpointOptions opts;
    opts.now_ms = 0;
    auto res = WriteCheckpoint(*snap, opts);
    std::string file = (copy / res.key).string();
    auto ours = parquet::ParquetFileReader::OpenPath(file)->ReadAll();
    std::vector<std::string> mine;
    for (int64_t r = 0; r < ours.num_rows(); ++r) {
      std::string line;
      columnar::AppendJsonRow(ours, r, columnar::JsonStyle::kCanonical, &line);
      mine.push_back(line);
    }
    auto duck = ::cpglake::testing::RunOracle("read " + ::cpglake::testing::ShellQuote(file));
    ASSERT_EQ(duck.exit_code, 0);
    EXPECT_EQ(::cpglake::testing::SplitLines(duck.out), mine);
  }
}

// ---------------------------------------------------------------- _last_checkpoint --------

TEST(LastCheckpointChecksumTest, ProtocolExample) {
  EXPECT_EQ(
      LastCheckpointChecksum(
          R"({"k0":"'v 0'", "checksum": "adsaskfljadfkjadfkj", "k1":{"k2": 2, "k3": ["v3", [1, 2], {"k4": "v4", "k5": ["v5", "v6", "v7"]}]}})"),
      "6a92d155a59bf2eecbd4b4ec7fd1f875");
}

TEST(LastCheckpointChecksumTest, EqualsSparksOnEveryCorpusFile) {
  int checked = 0;
  for (const auto& e : fs::recursive_directory_iterator(CorpusDir())) {
    if (e.path().filename() != "_last_checkpoint") continue;
    std::string text = ::cpglake::testing::ReadFileBytes(e.path());
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("checksum")) continue;
    SCOPED_TRACE(e.path().string());
    EXPECT_EQ(LastCheckpointChecksum(text), j["checksum"].get<std::string>());
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

TEST(LastCheckpointChecksumTest, SortsWholeEntriesAsSparkDoes) {
  // Spark sorts "path=value" strings: with eleven scalars, "+10=" sorts before "+1=".
  std::string json = R"({"a":[0,1,2,3,4,5,6,7,8,9,10],"b":"x y","c":1.5,"d":null,"e":true})";
  std::vector<std::string> entries = {R"("b"="x%20y")", R"("c"=1.5)", R"("d"=null)", R"("e"=true)"};
  for (int i = 0; i <= 10; ++i) {
    entries.push_back("\"a\"+" + std::to_string(i) + "=" + std::to_string(i));
  }
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries[0], "\"a\"+0=0");
  EXPECT_EQ(entries[1], "\"a\"+10=10");
  EXPECT_EQ(LastCheckpointChecksum(json), Md5(Join(entries, ",")));
  EXPECT_THROW(LastCheckpointChecksum("[1]"), InvalidInput);
}

TEST(LastCheckpointTest, ContentChecksumAndSizes) {
  TempDir tmp;
  SyntheticTable t(tmp.path());
  t.Commit(0, {Protocol{}, SimpleMetadata(), SimpleAdd("a"), SimpleAdd("b")});
  Txn txn;
  txn.app_id = "app";
  txn.version = 3;
  t.Commit(1, {SimpleAdd("c"), SimpleRemove("a", kT0), txn});
  auto snap = t.Open();
  CheckpointOptions opts;
  opts.now_ms = kT0 + kDay;
  auto res = WriteCheckpoint(*snap, opts);
  EXPECT_EQ(res.key, "_delta_log/00000000000000000001.checkpoint.parquet");
  EXPECT_FALSE(res.v2);
  EXPECT_TRUE(res.last_checkpoint_written);
  // protocol, metaData, txn, 2 adds, 1 remove
  EXPECT_EQ(res.num_actions, 6);
  EXPECT_EQ(res.num_add_files, 2);
  EXPECT_EQ(res.num_tombstones, 1);
  std::string text = t.store()->Read("_delta_log/_last_checkpoint");
  EXPECT_EQ(text, res.last_checkpoint_json);
  auto j = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"version", "size", "sizeInBytes", "numOfAddFiles",
                                            "checkpointSchema", "checksum"}));
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["size"], 6);
  EXPECT_EQ(j["numOfAddFiles"], 2);
  EXPECT_EQ(j["sizeInBytes"].get<int64_t>(), t.store()->Head(res.key)->size);
  EXPECT_EQ(j["checksum"].get<std::string>(), LastCheckpointChecksum(text));
  // checkpointSchema is the file's schema.
  std::vector<std::string> names;
  for (const auto& f : j["checkpointSchema"]["fields"]) names.push_back(f["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"txn", "add", "remove", "metaData", "protocol"}));
  std::vector<Action> actions;
  ReadCheckpointParquet(*t.store(), res.key, &actions);
  EXPECT_EQ(static_cast<int64_t>(actions.size()), res.num_actions);
}

TEST(LastCheckpointTest, NeverMovesBackwards) {
  TempDir tmp;
  SyntheticTable t(tmp.path());
  t.Commit(0, {Protocol{}, SimpleMetadata(), SimpleAdd("f0")});
  for (int v = 1; v <= 12; ++v) t.Commit(v, {SimpleAdd("f" + std::to_string(v))});
  auto r12 = WriteCheckpoint(*t.Open());
  EXPECT_TRUE(r12.last_checkpoint_written);
  const std::string newest = t.store()->Read("_delta_log/_last_checkpoint");
  // A checkpoint of an old version is written, _last_checkpoint stays.
  auto r5 = WriteCheckpoint(*t.Open(5));
  EXPECT_FALSE(r5.last_checkpoint_written);
  EXPECT_TRUE(t.store()->Exists("_delta_log/00000000000000000005.checkpoint.parquet"));
  EXPECT_EQ(t.store()->Read("_delta_log/_last_checkpoint"), newest);
  EXPECT_EQ(t.Open(7)->log_segment().checkpoint_version, 5);
  EXPECT_EQ(t.Open(7)->files().size(), 8u);
  // The same version again is rewritten; a corrupt file is replaced.
  EXPECT_TRUE(WriteCheckpoint(*t.Open()).last_checkpoint_written);
  t.store()->Write("_delta_log/_last_checkpoint", "{\"vers");
  EXPECT_TRUE(WriteCheckpoint(*t.Open(5)).last_checkpoint_written);
  EXPECT_EQ(nlohmann::json::parse(t.store()->Read("_delta_log/_last_checkpoint"))["version"], 5);
  // update_last_checkpoint = false leaves it alone.
  CheckpointOptions opts;
  opts.update_last_checkpoint = false;
  EXPECT_FALSE(WriteCheckpoint(*t.Open(), opts).last_checkpoint_written);
  EXPECT_EQ(nlohmann::json::parse(t.store()->Read("_delta_log/_last_checkpoint"))["version"], 5);
}

// ---------------------------------------------------------------- retention ---------------

TEST(CheckpointRetentionTest, TombstonesWithinDeletedFileRetention) {
  TempDir tmp;
  SyntheticTable t(tmp.path());
  const int64_t now = kT0 + 30 * kDay;
  t.Commit(0,
           {Protocol{}, SimpleMetadata({{"delta.deletedFileRetentionDuration", "interval 2 days"}}),
            SimpleAdd("a"), SimpleAdd("b"), SimpleAdd("c"), SimpleAdd("d"), SimpleAdd("e")});
  t.Commit(1, {SimpleRemove("a", now - 3 * kDay), SimpleRemove("b", now - 1 * kDay),
               SimpleRemove("c", std::nullopt), SimpleRemove("d", now - 2 * kDay),
               SimpleRemove("e", now - 2 * kDay + 1)});
  CheckpointOptions opts;
  opts.now_ms = now;
  auto res = WriteCheckpoint(*t.Open(), opts);
  EXPECT_EQ(res.num_tombstones, 2);  // b and e: strictly after now - 2 days
  std::vector<std::string> kept;
  auto reopened = t.Open();
  for (const auto& r : reopened->tombstones()) kept.push_back(r.path);
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(kept, (std::vector<std::string>{"b", "e"}));
  // The default: one week.
  TempDir tmp2;
  SyntheticTable u(tmp2.path());
  u.Commit(0, {Protocol{}, SimpleMetadata(), SimpleAdd("a"), SimpleAdd("b")});
  u.Commit(1, {SimpleRemove("a", now - 6 * kDay), SimpleRemove("b", now - 8 * kDay)});
  res = WriteCheckpoint(*u.Open(), opts);
  EXPECT_EQ(res.num_tombstones, 1);
  ASSERT_EQ(u.Open()->tombstones().size(), 1u);
  EXPECT_EQ(u.Open()->tombstones()[0].path, "a");
}

TEST(CheckpointRetentionTest, AppTransactionsWithinTheirRetention) {
  TempDir tmp;
  SyntheticTable t(tmp.path());
  const int64_t now = kT0 + 30 * kDay;
  auto txn = [](std::string id, std::optional<int64_t> at) {
    Txn x;
    x.app_id = std::move(id);
    x.version = 1;
    x.last_updated = at;
    return x;
  };
  t.Commit(
      0, {Protocol{}, SimpleMetadata({{"delta.setTransactionRetentionDuration", "interval 1 day"}}),
          txn("old", now - 2 * kDay), txn("new", now - kHour), txn("undated", std::nullopt)});
  CheckpointOptions opts;
  opts.now_ms = now;
  auto res = WriteCheckpoint(*t.Open(), opts);
  EXPECT_EQ(res.num_txns, 1);
  auto snap = t.Open();
  ASSERT_EQ(snap->app_transactions().size(), 1u);
  EXPECT_EQ(snap->app_transactions().begin()->first, "new");
}

TEST(IntervalTest, SparkIntervalSyntax) {
  EXPECT_EQ(ParseIntervalMs("interval 1 week"), 7 * kDay);
  EXPECT_EQ(ParseIntervalMs("interval 7 days"), 7 * kDay);
  EXPECT_EQ(ParseIntervalMs("interval 168 hours"), 7 * kDay);
  EXPECT_EQ(ParseIntervalMs("INTERVAL 30 DAYS"), 30 * kDay);
  EXPECT_EQ(ParseIntervalMs("2 weeks"), 14 * kDay);
  EXPECT_EQ(ParseIntervalMs("interval 1 day 12 hours"), kDay + 12 * kHour);
  EXPECT_EQ(ParseIntervalMs("  interval 90 minutes "), 90 * 60000);
  EXPECT_EQ(ParseIntervalMs("interval 1.5 seconds"), 1500);
  EXPECT_EQ(ParseIntervalMs("interval 2500 milliseconds"), 2500);
  EXPECT_EQ(ParseIntervalMs("interval 3000 microseconds"), 3);
  EXPECT_EQ(ParseIntervalMs("interval 0 days"), 0);
  EXPECT_EQ(ParseIntervalMs("interval 2 days -1 hour"), 2 * kDay - kHour);
  EXPECT_THROW(ParseIntervalMs("interval 1 month"), InvalidInput);
  EXPECT_THROW(ParseIntervalMs("interval 1 year"), InvalidInput);
  EXPECT_THROW(ParseIntervalMs("interval"), InvalidInput);
  EXPECT_THROW(ParseIntervalMs(""), InvalidInput);
  EXPECT_THROW(ParseIntervalMs("1 fortnight"), InvalidInput);
  EXPECT_THROW(ParseIntervalMs("interval 1.5 days"), InvalidInput);
  EXPECT_THROW(ParseIntervalMs("interval -1 day"), InvalidInput);
  EXPECT_THROW(ParseIntervalMs("interval days"), InvalidInput);
}

TEST(ShouldCheckpointTest, EveryIntervalCommits) {
  TableConfiguration dflt(Protocol{}, SimpleMetadata());
  EXPECT_FALSE(ShouldCheckpoint(dflt, 0));
  EXPECT_FALSE(ShouldCheckpoint(dflt, 9));
  EXPECT_TRUE(ShouldCheckpoint(dflt, 10));
  EXPECT_FALSE(ShouldCheckpoint(dflt, 11));
  EXPECT_TRUE(ShouldCheckpoint(dflt, 100));
  TableConfiguration three(Protocol{}, SimpleMetadata({{"delta.checkpointInterval", "3"}}));
  EXPECT_TRUE(ShouldCheckpoint(three, 3));
  EXPECT_TRUE(ShouldCheckpoint(three, 9));
  EXPECT_FALSE(ShouldCheckpoint(three, 10));
  TableConfiguration bad(Protocol{}, SimpleMetadata({{"delta.checkpointInterval", "zero"}}));
  EXPECT_TRUE(ShouldCheckpoint(bad, 10));
  EXPECT_FALSE(ShouldCheckpoint(bad, 3));
  EXPECT_EQ(DeletedFileRetentionMs(dflt), 7 * kDay);
  EXPECT_EQ(LogRetentionMs(dflt), 30 * kDay);
}

// ---------------------------------------------------------------- stats_parsed -----------

TEST(StatsParsedTest, TypedStatsAndPartitionValuesFollowTheTableSchema) {
  TempDir tmp;
  SyntheticTable t(tmp.path());
  Metadata m = SimpleMetadata({{"delta.checkpoint.writeStatsAsStruct", "true"}});
  m.schema_string = R"x({"type":"struct","fields":[)x"
                    R"x({"name":"i","type":"integer","nullable":true,"metadata":{}},)x"
                    R"x({"name":"s","type":"string","nullable":true,"metadata":{}},)x"
                    R"x({"name":"d","type":"decimal(10,2)","nullable":true,"metadata":{}},)x"
                    R"x({"name":"ts","type":"timestamp","nullable":true,"metadata":{}},)x"
                    R"x({"name":"b","type":"boolean","nullable":true,"metadata":{}},)x"
                    R"x({"name":"n","type":{"type":"struct","fields":[)x"
                    R"x({"name":"x","type":"double","nullable":true,"metadata":{}}]},)x"
                    R"x("nullable":true,"metadata":{}},)x"
                    R"x({"name":"day","type":"date","nullable":true,"metadata":{}},)x"
                    R"x({"name":"p","type":"integer","nullable":true,"metadata":{}}]})x";
  m.partition_columns = {"day", "p"};
  AddFile a = SimpleAdd("day=2024-01-02/p=7/a.parquet");
  a.partition_values = {{"day", "2024-01-02"}, {"p", "7"}};
  a.stats =
      R"({"numRecords":3,"minValues":{"i":-5,"s":"a\"b","d":1.25,"ts":"2024-01-02T03:04:05.123Z",)"
      R"("n":{"x":-0.5}},"maxValues":{"i":9,"s":"zz","d":99.5,"ts":"2024-01-03T00:00:00.000Z",)"
      R"("n":{"x":"Infinity"}},"nullCount":{"i":0,"s":1,"d":0,"ts":0,"b":3,"n":{"x":1}}})";
  AddFile b = SimpleAdd("day=__HIVE_DEFAULT_PARTITION__/p=x/b.parquet");
  b.partition_values = {{"day", std::nullopt}, {"p", "not-a-number"}};
  b.stats = R"({"numRecords":1,"minValues":{"i":1e3,"d":"12.345"},"garbage":[1,2]})";
  AddFile c = SimpleAdd("c.parquet");
  c.partition_values = {{"day", "2024-01-01"}, {"p", "1"}};
  c.stats.reset();
  t.Commit(0, {Protocol{}, m, a, b, c});
  auto snap = t.Open();
  auto res = WriteCheckpoint(*snap);
  auto batch = parquet::ParquetFileReader::OpenPath((tmp.path() / res.key).string())->ReadAll();
  const columnar::Column* add = batch.ColumnByName("add");
  ASSERT_NE(add, nullptr);
  std::vector<std::string> field_names;
  for (const auto& f : add->type()->fields()) field_names.push_back(f.name);
  EXPECT_EQ(field_names,
            (std::vector<std::string>{"path", "partitionValues", "size", "modificationTime",
                                      "dataChange", "tags", "deletionVector", "baseRowId",
                                      "defaultRowCommitVersion", "clusteringProvider", "stats",
                                      "partitionValues_parsed", "stats_parsed"}));
  EXPECT_EQ(add->type()->fields()[12].type->ToString(),
            "struct<numRecords:long,minValues:struct<i:integer,s:string,d:decimal(10,2),"
            "ts:timestamp,n:struct<x:double>>,maxValues:struct<i:integer,s:string,d:decimal(10,2),"
            "ts:timestamp,n:struct<x:double>>,nullCount:struct<i:long,s:long,d:long,"
            "ts:long,b:long,n:struct<x:long>>>");
  std::vector<std::string> rows;
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    if (add->IsNull(r)) continue;
    std::string pv, st;
    columnar::AppendJsonValue(add->child(11), r, columnar::JsonStyle::kReadable, &pv);
    columnar::AppendJsonValue(add->child(12), r, columnar::JsonStyle::kReadable, &st);
    rows.push_back(pv + " " + st);
  }
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(
      rows[0],
      R"({"day":"2024-01-02","p":7} {"numRecords":3,"minValues":{"i":-5,"s":"a\"b","d":1.25,)"
      R"("ts":"2024-01-02T03:04:05.123000Z","n":{"x":-0.5}},"maxValues":{"i":9,"s":"zz","d":99.50,)"
      R"("ts":"2024-01-03T00:00:00Z","n":{"x":"Infinity"}},"nullCount":{"i":0,"s":1,"d":0,)"
      R"("ts":0,"b":3,"n":{"x":1}}})");
  EXPECT_EQ(rows[1],
            R"({"day":null,"p":null} {"numRecords":1,"minValues":{"i":null,"s":null,"d":null,)"
            R"("ts":null,"n":null},"maxValues":null,"nullCount":null})");
  EXPECT_EQ(rows[2], R"({"day":"2024-01-01","p":1} null)");
}

TEST(StatsParsedTest, IndexedColumnsAndColumnLists) {
  auto stats_type = [](std::map<std::string, std::string> props) {
    TempDir tmp;
    SyntheticTable t(tmp.path());
    props["delta.checkpoint.writeStatsAsStruct"] = "true";
    Metadata m = SimpleMetadata(props);
    m.schema_string =
        R"({"type":"struct","fields":[{"name":"a","type":"long","nullable":true,"metadata":{}},)"
        R"({"name":"s","type":{"type":"struct","fields":[{"name":"x","type":"long","nullable":true,"metadata":{}},)"
        R"({"name":"y","type":"binary","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},)"
        R"({"name":"c","type":"string","nullable":true,"metadata":{}},)"
        R"({"name":"Q","type":"date","nullable":true,"metadata":{}}]})";
    t.Commit(0, {Protocol{}, m, SimpleAdd("f")});
    auto res = WriteCheckpoint(*t.Open());
    auto batch = parquet::ParquetFileReader::OpenPath((tmp.path() / res.key).string())->ReadAll();
    const auto& f = batch.ColumnByName("add")->type()->fields().back();
    return f.type->ToString();
  };
  EXPECT_EQ(stats_type({{"delta.dataSkippingNumIndexedCols", "2"}}),
            "struct<numRecords:long,minValues:struct<a:long,s:struct<x:long>>,"
            "maxValues:struct<a:long,s:struct<x:long>>,nullCount:struct<a:long,"
            "s:struct<x:long>>>");
  EXPECT_EQ(stats_type({{"delta.dataSkippingNumIndexedCols", "-1"}}),
            "struct<numRecords:long,minValues:struct<a:long,s:struct<x:long>,c:string,"
            "Q:date>,maxValues:struct<a:long,s:struct<x:long>,c:string,Q:date>,"
            "nullCount:struct<a:long,s:struct<x:long,y:long>,c:long,Q:long>>");
  EXPECT_EQ(stats_type({{"delta.dataSkippingStatsColumns", "c, `s`.y,q"}}),
            "struct<numRecords:long,minValues:struct<c:string,Q:date>,maxValues:struct<c:"
            "string,Q:date>,nullCount:struct<s:struct<y:long>,c:long,Q:long>>");
}

// ---------------------------------------------------------------- V2 ----------------------

TEST(V2CheckpointTest, SidecarsAndEmbeddedRoundTrip) {
  const fs::path source = CorpusDir() / "kernel_data/v2-checkpoints-parquet-with-sidecars";
  for (int64_t per : {int64_t{40}, int64_t{0}}) {
    SCOPED_TRACE(per);
    TempDir tmp;
    CopyTable(source, tmp.path());
    auto store = storage::OpenObjectStore(tmp.path().string());
    auto before = SnapshotBuilder(store).Build();
    ASSERT_TRUE(before->config().HasWriterFeature("v2Checkpoint"));
    RemoveCheckpointsAt(*store, before->version());
    CheckpointOptions opts;
    opts.v2_actions_per_sidecar = per;
    opts.now_ms = 0;
    auto res = WriteCheckpoint(*before, opts);
    EXPECT_TRUE(res.v2);
    auto name = res.key.substr(res.key.rfind('/') + 1);
    auto parsed = ParseLogFileName(name);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->kind, LogFile::Kind::kV2Checkpoint);
    const size_t file_actions = before->files().size() + before->tombstones().size();
    EXPECT_EQ(res.sidecar_keys.size(), per ? (file_actions + 39) / 40 : 0u);
    for (const auto& k : res.sidecar_keys) {
      EXPECT_EQ(k.rfind("_delta_log/_sidecars/", 0), 0u);
      EXPECT_TRUE(store->Exists(k));
    }
    // The top-level file: checkpointMetadata first, then sidecars, then the rest.
    std::vector<Action> top;
    ReadCheckpointParquet(*store, res.key, &top);
    ASSERT_FALSE(top.empty());
    ASSERT_TRUE(std::holds_alternative<CheckpointMetadata>(top[0]));
    EXPECT_EQ(std::get<CheckpointMetadata>(top[0]).version, before->version());
    size_t sidecars = 0, adds = 0;
    for (const auto& a : top) {
      sidecars += std::holds_alternative<Sidecar>(a) ? 1 : 0;
      adds += std::holds_alternative<AddFile>(a) ? 1 : 0;
    }
    EXPECT_EQ(sidecars, res.sidecar_keys.size());
    EXPECT_EQ(adds, per ? 0u : before->files().size());
    auto after = SnapshotBuilder(store).Build();
    ASSERT_FALSE(after->log_segment().checkpoint_files.empty());
    EXPECT_EQ(after->log_segment().checkpoint_files[0].key, res.key);
    ExpectSameState(*before, *after, true);
    EXPECT_EQ(SortedRows(after), SortedRows(before));
    // _last_checkpoint describes the V2 checkpoint.
    auto j = nlohmann::json::parse(store->Read("_delta_log/_last_checkpoint"));
    EXPECT_EQ(j["v2Checkpoint"]["path"], name);
    EXPECT_EQ(j["v2Checkpoint"]["sidecarFiles"].size(), res.sidecar_keys.size());
    EXPECT_EQ(j["v2Checkpoint"]["nonFileActions"].back()["checkpointMetadata"]["version"],
              before->version());
    EXPECT_EQ(j["checksum"], LastCheckpointChecksum(store->Read("_delta_log/_last_checkpoint")));
    EXPECT_EQ(j["size"], res.num_actions);
    // kClassic on the same table writes a classic checkpoint.
    CheckpointOptions classic;
    classic.kind = CheckpointOptions::Kind::kClassic;
    EXPECT_FALSE(WriteCheckpoint(*before, classic).v2);
  }
}

TEST(V2CheckpointTest, RefusedWithoutTheFeature) {
  TempDir tmp;
  SyntheticTable t(tmp.path());
  t.Commit(0, {Protocol{}, SimpleMetadata({{"delta.checkpointPolicy", "v2"}}), SimpleAdd("a")});
  CheckpointOptions opts;
  opts.kind = CheckpointOptions::Kind::kV2;
  EXPECT_THROW(WriteCheckpoint(*t.Open(), opts), InvalidInput);
  // kAuto without the feature: classic.
  EXPECT_FALSE(WriteCheckpoint(*t.Open()).v2);
}

// ---------------------------------------------------------------- cleanup -----------------

class CleanupTest : public ::testing::Test {
 protected:
  // Commits 0..24, each adding one file; commit v's files are `time(v)` old; checkpoints at
  // 10 and 20 (and crc files for every version) get their commit's time + 1 s.
  void Build(const std::function<int64_t(int64_t)>& time, Protocol protocol = {},
             std::map<std::string, std::string> config = {},
             CheckpointOptions::Kind kind = CheckpointOptions::Kind::kClassic) {
    table_ = std::make_unique<SyntheticTable>(tmp_.path());
    table_->Commit(0, {protocol, SimpleMetadata(std::move(config)), SimpleAdd("f0")});
    for (int v = 1; v <= 24; ++v) table_->Commit(v, {SimpleAdd("f" + std::to_string(v))});
    CheckpointOptions opts;
    opts.kind = kind;
    opts.v2_actions_per_sidecar = 4;
    for (int64_t v : {10, 20}) WriteCheckpoint(*table_->Open(v), opts);
    for (int v = 0; v <= 24; ++v) {
      std::string crc = Padded(v) + ".crc";
      table_->store()->Write("_delta_log/" + crc, "{}");
      SetMtime(table_->Log(CommitFileName(v)), time(v));
      SetMtime(table_->Log(crc), time(v) + 1000);
    }
    for (const auto& m : table_->store()->ListRecursive("_delta_log/")) {
      auto f = ParseLogFileName(m.key.substr(m.key.rfind('/') + 1));
      if (f && f->kind != LogFile::Kind::kCommit && f->kind != LogFile::Kind::kChecksum) {
        SetMtime(tmp_.path() / m.key, time(f->version) + 1000);
      } else if (m.key.find("_sidecars/") != std::string::npos) {
        SetMtime(tmp_.path() / m.key, time(std::stoll(m.key.substr(21, 20))) + 1000);
      }
    }
  }
  static std::string Padded(int64_t v) { return CommitFileName(v).substr(0, 20); }

  // Deleted keys (sorted), after checking every remaining version still opens.
  std::vector<std::string> Cleanup(int64_t now, int64_t* first_kept = nullptr) {
    std::vector<std::string> deleted;
    int64_t n = CleanupExpiredLogs(*table_->store(), *table_->Open(), now, &deleted);
    EXPECT_EQ(n, static_cast<int64_t>(deleted.size()));
    std::sort(deleted.begin(), deleted.end());
    int64_t first = 0;
    while (first <= 24) {
      try {
        table_->Open(first);
        break;
      } catch (const NotFound&) {
        ++first;
      }
    }
    for (int64_t v = first; v <= 24; ++v) {
      auto s = table_->Open(v);
      EXPECT_EQ(s->files().size(), static_cast<size_t>(v + 1)) << v;
    }
    if (first_kept) *first_kept = first;
    return deleted;
  }

  static std::vector<std::string> Keys(int64_t from, int64_t to, bool checkpoint_at_from) {
    std::vector<std::string> out;
    for (int64_t v = from; v <= to; ++v) {
      out.push_back("_delta_log/" + Padded(v) + ".crc");
      out.push_back("_delta_log/" + CommitFileName(v));
    }
    if (checkpoint_at_from) out.push_back("_delta_log/" + Padded(from) + ".checkpoint.parquet");
    std::sort(out.begin(), out.end());
    return out;
  }

  TempDir tmp_;
  std::unique_ptr<SyntheticTable> table_;
};

TEST_F(CleanupTest, EverythingBeforeTheNewestCheckpointWhenAllExpired) {
  Build([](int64_t v) { return kT0 + v * kHour; });
  int64_t first = -1;
  auto deleted = Cleanup(kT0 + 40 * kDay, &first);
  auto expected = Keys(0, 19, false);
  expected.push_back("_delta_log/" + Padded(10) + ".checkpoint.parquet");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(deleted, expected);
  EXPECT_EQ(first, 20);
  EXPECT_THROW(table_->Open(19), NotFound);
  EXPECT_TRUE(table_->store()->Exists("_delta_log/_last_checkpoint"));
}

TEST_F(CleanupTest, OnlyRunsWhoseLastFileIsOlderThanTheCutoff) {
  // Commit v is v days after T0; cutoff = midnight of (now - 30 days) = T0 + 15 days.
  Build([](int64_t v) { return kT0 + v * kDay; });
  int64_t first = -1;
  EXPECT_EQ(Cleanup(kT0 + 45 * kDay + 12 * kHour, &first), Keys(0, 9, false));
  EXPECT_EQ(first, 10);
  // The cutoff is a midnight: until T0 + 49 days it stays before commit 19 (T0 + 19 days)...
  EXPECT_TRUE(Cleanup(kT0 + 48 * kDay + 23 * kHour).empty());
  // ...from then on run 10..19 (with checkpoint 10) has expired.
  EXPECT_EQ(Cleanup(kT0 + 49 * kDay, &first), Keys(10, 19, true));
  EXPECT_EQ(first, 20);
}

TEST_F(CleanupTest, ModificationTimesAreMadeMonotonic) {
  // Commit 19 looks old but follows commit 18: it counts as 1 ms after 18, past the cutoff.
  // (Its .crc goes: a file of the same version is never adjusted against the one before.)
  Build([](int64_t v) { return v == 19 ? kT0 : kT0 + v * kDay; });
  table_->store()->Delete("_delta_log/" + Padded(19) + ".crc");
  EXPECT_EQ(Cleanup(kT0 + 48 * kDay + 6 * kHour), Keys(0, 9, false));
}

TEST_F(CleanupTest, RespectsRetentionPropertyAndEnableFlag) {
  Build([](int64_t v) { return kT0 + v * kDay; }, Protocol{},
        {{"delta.logRetentionDuration", "interval 2 days"}});
  // cutoff = midnight of now - 2 days = T0 + 22 days: both runs expire.
  auto deleted = Cleanup(kT0 + 24 * kDay + kHour);
  EXPECT_EQ(deleted.size(), 41u);
  TempDir other;
  SyntheticTable t(other.path());
  t.Commit(0, {Protocol{}, SimpleMetadata({{"delta.enableExpiredLogCleanup", "false"}}),
               SimpleAdd("a")});
  for (int v = 1; v <= 12; ++v) t.Commit(v, {SimpleAdd("f" + std::to_string(v))});
  WriteCheckpoint(*t.Open());
  for (int v = 0; v <= 12; ++v) SetMtime(t.Log(CommitFileName(v)), kT0);
  EXPECT_EQ(CleanupExpiredLogs(*t.store(), *t.Open(), kT0 + 400 * kDay), 0);
}

TEST_F(CleanupTest, FollowsLastCheckpointAndNeedsIt) {
  Build([](int64_t v) { return kT0 + v * kHour; });
  // _last_checkpoint naming version 10: nothing at or after 10 - 1 ... only 0..9 go.
  auto snap10 = table_->Open(10);
  table_->store()->Delete("_delta_log/_last_checkpoint");
  EXPECT_TRUE(Cleanup(kT0 + 40 * kDay).empty());  // no _last_checkpoint: nothing
  CheckpointOptions opts;
  WriteCheckpoint(*snap10, opts);  // rewrites checkpoint 10 and _last_checkpoint = 10
  SetMtime(table_->Log(Padded(10) + ".checkpoint.parquet"), kT0 + 10 * kHour + 1000);
  EXPECT_EQ(Cleanup(kT0 + 40 * kDay), Keys(0, 9, false));
  // A corrupt _last_checkpoint: the newest complete checkpoint (20) is used instead.
  table_->store()->Write("_delta_log/_last_checkpoint", "{\"version\":");
  auto expected = Keys(10, 19, true);
  EXPECT_EQ(Cleanup(kT0 + 40 * kDay), expected);
}

TEST_F(CleanupTest, V2SidecarsNoLongerReferencedGoToo) {
  Protocol p;
  p.min_reader_version = 3;
  p.min_writer_version = 7;
  p.reader_features = std::vector<std::string>{"v2Checkpoint"};
  p.writer_features = std::vector<std::string>{"v2Checkpoint"};
  Build([](int64_t v) { return kT0 + v * kHour; }, p, {{"delta.checkpointPolicy", "v2"}},
        CheckpointOptions::Kind::kAuto);
  auto sidecars_before = table_->store()->List("_delta_log/_sidecars/");
  ASSERT_EQ(sidecars_before.size(), 3u + 6u);  // ceil(11/4) + ceil(21/4)
  // An unreferenced but recent sidecar (an in-progress checkpoint) stays.
  table_->store()->Write("_delta_log/_sidecars/in-progress.parquet", "x");
  SetMtime(tmp_.path() / "_delta_log/_sidecars/in-progress.parquet", kT0 + 40 * kDay);
  auto deleted = Cleanup(kT0 + 40 * kDay);
  size_t sidecars_deleted = 0, checkpoints_deleted = 0;
  for (const auto& k : deleted) {
    sidecars_deleted += k.find("_sidecars/") != std::string::npos ? 1 : 0;
    checkpoints_deleted +=
        k.find(".checkpoint.") != std::string::npos && k.find("_sidecars/") == std::string::npos
            ? 1
            : 0;
  }
  EXPECT_EQ(checkpoints_deleted, 1u);
  EXPECT_EQ(sidecars_deleted, 3u);
  auto left = table_->store()->List("_delta_log/_sidecars/");
  EXPECT_EQ(left.size(), 7u);
  for (const auto& m : left) {
    std::string name = m.key.substr(m.key.rfind('/') + 1);
    EXPECT_TRUE(name == "in-progress.parquet" || name.rfind(Padded(20), 0) == 0) << name;
  }
}

TEST_F(CleanupTest, CompactionFilesBeforeTheCutCheckpoint) {
  Build([](int64_t v) { return kT0 + v * kHour; });
  table_->store()->Write("_delta_log/" + Padded(3) + "." + Padded(7) + ".compacted.json", "");
  std::string compacted;
  for (int v = 21; v <= 23; ++v)
    compacted += table_->store()->Read("_delta_log/" + CommitFileName(v));
  table_->store()->Write("_delta_log/" + Padded(21) + "." + Padded(23) + ".compacted.json",
                         compacted);
  SetMtime(table_->Log(Padded(3) + "." + Padded(7) + ".compacted.json"), kT0);
  SetMtime(table_->Log(Padded(21) + "." + Padded(23) + ".compacted.json"), kT0);
  auto deleted = Cleanup(kT0 + 40 * kDay);
  EXPECT_TRUE(std::count(deleted.begin(), deleted.end(),
                         "_delta_log/" + Padded(3) + "." + Padded(7) + ".compacted.json"));
  EXPECT_TRUE(
      table_->store()->Exists("_delta_log/" + Padded(21) + "." + Padded(23) + ".compacted.json"));
}

}  // namespace
}  // namespace cpglake::delta
