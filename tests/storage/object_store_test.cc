#include "storage/object_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "common/error.h"
#include "test_util.h"

namespace cpglake::storage {
namespace {

using cpglake::testing::TempDir;

std::vector<std::string> Keys(const std::vector<ObjectMeta>& metas) {
  std::vector<std::string> keys;
  for (const auto& m : metas) keys.push_back(m.key);
  return keys;
}

// Every file under `dir` on disk whose name marks an in-progress write.
std::vector<std::string> TempFilesOnDisk(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (IsTemporaryName(e.path().filename().string())) out.push_back(e.path().string());
  }
  return out;
}

// ---- the contract, for every implementation ------------------------------------------

struct LocalStoreFactory {
  TempDir dir;
  std::shared_ptr<ObjectStore> Make() { return OpenObjectStore(dir.path().string()); }
  std::vector<std::string> LeftoverTemps() { return TempFilesOnDisk(dir.path()); }
};

struct MemoryStoreFactory {
  std::shared_ptr<ObjectStore> Make() { return std::make_shared<MemoryObjectStore>(); }
  std::vector<std::string> LeftoverTemps() { return {}; }
};

// A disarmed fault injector must be a transparent wrapper.
struct FaultWrappedStoreFactory {
  TempDir dir;
  std::shared_ptr<ObjectStore> Make() {
    return std::make_shared<FaultInjectingObjectStore>(OpenObjectStore(dir.path().string()));
  }
  std::vector<std::string> LeftoverTemps() { return TempFilesOnDisk(dir.path()); }
};

template <typename Factory>
class ObjectStoreContractTest : public ::testing::Test {
 protected:
  Factory factory_;
  std::shared_ptr<ObjectStore> store_ = factory_.Make();
};

using StoreFactories =
    ::testing::Types<LocalStoreFactory, MemoryStoreFactory, FaultWrappedStoreFactory>;
TYPED_TEST_SUITE(ObjectStoreContractTest, StoreFactories);

TYPED_TEST(ObjectStoreContractTest, EmptyStoreListsNothing) {
  EXPECT_TRUE(this->store_->List("").empty());
  EXPECT_TRUE(this->store_->List("_delta_log/").empty());
  EXPECT_TRUE(this->store_->ListRecursive("").empty());
  EXPECT_FALSE(this->store_->Exists("_delta_log/00000000000000000000.json"));
  EXPECT_FALSE(this->store_->Head("x").has_value());
}

TYPED_TEST(ObjectStoreContractTest, WriteThenRead) {
  ObjectStore& s = *this->store_;
  std::string bytes("hello\0world", 11);
  s.Write("dir/sub/file.bin", bytes);
  EXPECT_EQ(s.Read("dir/sub/file.bin"), bytes);
  auto head = s.Head("dir/sub/file.bin");
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->key, "dir/sub/file.bin");
  EXPECT_EQ(head->size, 11);
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  EXPECT_LE(std::abs(head->modification_time_ms - now_ms), 60'000);
  EXPECT_TRUE(s.Exists("dir/sub/file.bin"));
  // A directory is not an object.
  EXPECT_FALSE(s.Exists("dir/sub"));
  EXPECT_FALSE(s.Head("dir").has_value());
  // Empty objects are objects.
  s.Write("empty", "");
  EXPECT_EQ(s.Read("empty"), "");
  EXPECT_EQ(s.Head("empty")->size, 0);
}

TYPED_TEST(ObjectStoreContractTest, ListIsSortedAndNotRecursive) {
  ObjectStore& s = *this->store_;
  std::vector<std::string> keys = {
      "_delta_log/00000000000000000010.json",
      "_delta_log/00000000000000000002.json",
      "_delta_log/00000000000000000000.json",
      "_delta_log/00000000000000000010.checkpoint.parquet",
      "_delta_log/_last_checkpoint",
      "_delta_log/_sidecars/abc.parquet",
      "part-00000.parquet",
      "a=1/part-00001.parquet",
      "a=1/b=2/part-00002.parquet",
      "_delta_log.json",
  };
  std::mt19937 rng(7);
  std::shuffle(keys.begin(), keys.end(), rng);
  for (const auto& k : keys) s.Write(k, k);

  std::vector<std::string> log = {
      "_delta_log/00000000000000000000.json",
      "_delta_log/00000000000000000002.json",
      "_delta_log/00000000000000000010.checkpoint.parquet",
      "_delta_log/00000000000000000010.json",
      "_delta_log/_last_checkpoint",
  };
  EXPECT_EQ(Keys(s.List("_delta_log/")), log);
  EXPECT_EQ(Keys(s.List("_delta_log")), log);
  EXPECT_EQ(Keys(s.List("")), (std::vector<std::string>{"_delta_log.json", "part-00000.parquet"}));
  EXPECT_EQ(Keys(s.List("a=1")), (std::vector<std::string>{"a=1/part-00001.parquet"}));
  EXPECT_EQ(Keys(s.List("_delta_log/_sidecars")),
            (std::vector<std::string>{"_delta_log/_sidecars/abc.parquet"}));
  EXPECT_TRUE(s.List("nope").empty());
  EXPECT_TRUE(s.List("part-00000.parquet").empty());  // a file, not a directory

  std::vector<std::string> all = keys;
  std::sort(all.begin(), all.end());
  EXPECT_EQ(Keys(s.ListRecursive("")), all);
  EXPECT_EQ(Keys(s.ListRecursive("a=1/")), (std::vector<std::string>{
                                               "a=1/b=2/part-00002.parquet",
                                               "a=1/part-00001.parquet",
                                           }));
  for (const auto& m : s.ListRecursive("")) EXPECT_EQ(m.size, static_cast<int64_t>(m.key.size()));
}

TYPED_TEST(ObjectStoreContractTest, ListStartAfter) {
  ObjectStore& s = *this->store_;
  for (int v : {0, 1, 2, 3, 11}) {
    char name[64];
    std::snprintf(name, sizeof name, "_delta_log/%020d.json", v);
    s.Write(name, "{}");
  }
  EXPECT_EQ(Keys(s.List("_delta_log", "_delta_log/00000000000000000001.json")),
            (std::vector<std::string>{
                "_delta_log/00000000000000000002.json",
                "_delta_log/00000000000000000003.json",
                "_delta_log/00000000000000000011.json",
            }));
  // start_after need not be an existing key.
  EXPECT_EQ(Keys(s.List("_delta_log", "_delta_log/00000000000000000010")),
            (std::vector<std::string>{"_delta_log/00000000000000000011.json"}));
  EXPECT_TRUE(s.List("_delta_log", "_delta_log/00000000000000000011.json").empty());
  EXPECT_EQ(s.ListRecursive("", "_delta_log/00000000000000000003.json").size(), 1u);
}

TYPED_TEST(ObjectStoreContractTest, ReadErrors) {
  ObjectStore& s = *this->store_;
  try {
    s.Read("missing/file.json");
    FAIL() << "expected NotFound";
  } catch (const NotFound& e) {
    EXPECT_NE(std::string(e.what()).find("missing/file.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(s.ReadRange("missing", 0, 1), NotFound);
  EXPECT_THROW(s.OpenForRead("missing"), NotFound);
  s.Write("dir/x", "0123456789");
  EXPECT_THROW(s.Read("dir"), NotFound);      // a directory
  EXPECT_THROW(s.Read("dir/x/y"), NotFound);  // below a file
  EXPECT_EQ(s.ReadRange("dir/x", 3, 4), "3456");
  EXPECT_EQ(s.ReadRange("dir/x", 10, 0), "");
  EXPECT_EQ(s.ReadRange("dir/x", 0, 10), "0123456789");
  EXPECT_THROW(s.ReadRange("dir/x", 8, 3), CorruptData);
  EXPECT_THROW(s.ReadRange("dir/x", 11, 0), CorruptData);
  EXPECT_THROW(s.ReadRange("dir/x", int64_t{1} << 62, int64_t{1} << 62), CorruptData);
  EXPECT_THROW(s.ReadRange("dir/x", -1, 3), InvalidInput);
  EXPECT_THROW(s.ReadRange("dir/x", 0, -3), InvalidInput);
}

TYPED_TEST(ObjectStoreContractTest, OpenForRead) {
  ObjectStore& s = *this->store_;
  s.Write("f.parquet", "PAR1 data PAR1");
  auto file = s.OpenForRead("f.parquet");
  EXPECT_EQ(file->Size(), 14);
  uint8_t buf[4];
  file->ReadAt(10, 4, buf);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 4), "PAR1");
  EXPECT_THROW(file->ReadAt(12, 4, buf), CorruptData);
  EXPECT_NE(file->name().find("f.parquet"), std::string::npos);
}

TYPED_TEST(ObjectStoreContractTest, PutIfAbsentNeverReplaces) {
  ObjectStore& s = *this->store_;
  EXPECT_TRUE(s.PutIfAbsent("_delta_log/00000000000000000000.json", "first"));
  EXPECT_FALSE(s.PutIfAbsent("_delta_log/00000000000000000000.json", "second"));
  EXPECT_EQ(s.Read("_delta_log/00000000000000000000.json"), "first");
  s.Write("other", "x");
  EXPECT_FALSE(s.PutIfAbsent("other", "y"));
  EXPECT_EQ(s.Read("other"), "x");
  EXPECT_EQ(this->factory_.LeftoverTemps(), std::vector<std::string>{});
}

TYPED_TEST(ObjectStoreContractTest, PutIfAbsentRaceHasOneWinner) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 25;
  ObjectStore& s = *this->store_;
  for (int round = 0; round < kRounds; ++round) {
    char key[64];
    std::snprintf(key, sizeof key, "_delta_log/%020d.json", round);
    std::atomic<int> winners{0};
    std::atomic<int> winner_id{-1};
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        if (s.PutIfAbsent(key, "writer " + std::to_string(t))) {
          ++winners;
          winner_id = t;
        }
      });
    }
    for (auto& th : threads) th.join();
    ASSERT_EQ(winners.load(), 1) << "round " << round;
    EXPECT_EQ(s.Read(key), "writer " + std::to_string(winner_id.load()));
  }
  EXPECT_EQ(s.List("_delta_log").size(), static_cast<size_t>(kRounds));
  EXPECT_EQ(this->factory_.LeftoverTemps(), std::vector<std::string>{});
}

TYPED_TEST(ObjectStoreContractTest, DeleteIsIdempotent) {
  ObjectStore& s = *this->store_;
  s.Delete("never/existed");
  s.Write("a/b", "x");
  s.Delete("a/b");
  EXPECT_FALSE(s.Exists("a/b"));
  EXPECT_THROW(s.Read("a/b"), NotFound);
  s.Delete("a/b");
  EXPECT_TRUE(s.PutIfAbsent("a/b", "again"));
  EXPECT_EQ(s.Read("a/b"), "again");
}

TYPED_TEST(ObjectStoreContractTest, WriteReplacesAtomically) {
  ObjectStore& s = *this->store_;
  const std::string a(100'000, 'a');
  const std::string b(200'000, 'b');
  s.Write("_last_checkpoint", a);
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!stop) {
      std::string got = s.Read("_last_checkpoint");
      if (got != a && got != b) ++bad;
      ++reads;
      // No temporary object is ever listed.
      for (const auto& m : s.ListRecursive("")) {
        if (m.key != "_last_checkpoint") ++bad;
      }
    }
  });
  bool last_was_a = true;
  for (int i = 0; i < 200 || reads < 20; ++i) {
    last_was_a = i % 2 == 1;
    s.Write("_last_checkpoint", last_was_a ? a : b);
  }
  stop = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_TRUE(s.Read("_last_checkpoint") == (last_was_a ? a : b));
  EXPECT_EQ(this->factory_.LeftoverTemps(), std::vector<std::string>{});
}

TYPED_TEST(ObjectStoreContractTest, OpenForWriteAppearsOnlyOnClose) {
  ObjectStore& s = *this->store_;
  {
    auto file = s.OpenForWrite("part=1/data.parquet");
    std::string chunk(4096, 'x');
    for (int i = 0; i < 600; ++i) file->Append(chunk.data(), chunk.size());
    EXPECT_EQ(file->Tell(), 600 * 4096);
    EXPECT_FALSE(s.Exists("part=1/data.parquet"));
    EXPECT_TRUE(s.ListRecursive("").empty());
    file->Close();
    EXPECT_EQ(file->Tell(), 600 * 4096);
  }
  EXPECT_EQ(s.Head("part=1/data.parquet")->size, 600 * 4096);
  EXPECT_EQ(s.Read("part=1/data.parquet"), std::string(600 * 4096, 'x'));
  {
    // Abandoned without Close: nothing appears, the old object stays.
    auto file = s.OpenForWrite("part=1/data.parquet");
    file->Append("new", 3);
    auto other = s.OpenForWrite("part=2/never.parquet");
    other->Append("zzz", 3);
  }
  EXPECT_EQ(s.Head("part=1/data.parquet")->size, 600 * 4096);
  EXPECT_FALSE(s.Exists("part=2/never.parquet"));
  EXPECT_EQ(this->factory_.LeftoverTemps(), std::vector<std::string>{});
  // Close replaces an existing object.
  auto file = s.OpenForWrite("part=1/data.parquet");
  file->Append("small", 5);
  file->Close();
  EXPECT_EQ(s.Read("part=1/data.parquet"), "small");
}

TYPED_TEST(ObjectStoreContractTest, HostileKeysAreRejected) {
  ObjectStore& s = *this->store_;
  const std::vector<std::string> hostile = {
      "../x", "/etc/passwd", "a/../b", "a//b", "",
      "a/",   "./a",         "a/./b",  "..",   std::string("a\0b", 3),
  };
  for (const auto& key : hostile) {
    SCOPED_TRACE(key);
    EXPECT_THROW(s.Read(key), InvalidInput);
    EXPECT_THROW(s.ReadRange(key, 0, 1), InvalidInput);
    EXPECT_THROW(s.OpenForRead(key), InvalidInput);
    EXPECT_THROW(s.Write(key, "x"), InvalidInput);
    EXPECT_THROW(s.PutIfAbsent(key, "x"), InvalidInput);
    EXPECT_THROW(s.Delete(key), InvalidInput);
    EXPECT_THROW(s.Head(key), InvalidInput);
    EXPECT_THROW(s.Exists(key), InvalidInput);
    EXPECT_THROW(s.OpenForWrite(key), InvalidInput);
  }
  for (std::string dir : {"..", "../", "/", "/etc", "a//", "a/../b"}) {
    SCOPED_TRACE(dir);
    EXPECT_THROW(s.List(dir), InvalidInput);
    EXPECT_THROW(s.ListRecursive(dir), InvalidInput);
  }
  try {
    s.Read("../secret");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("../secret"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(s.ListRecursive("").empty());
}

// ---- local store specifics -------------------------------------------------------------

TEST(LocalObjectStoreTest, PutIfAbsentRaceAcrossProcesses) {
  TempDir dir;
  auto store = OpenObjectStore(dir.path().string());
  constexpr int kProcs = 4;
  for (int round = 0; round < 10; ++round) {
    std::string key = "_delta_log/0000000000000000000" + std::to_string(round) + ".json";
    int go[2];
    ASSERT_EQ(::pipe(go), 0);
    std::vector<pid_t> pids;
    for (int p = 0; p < kProcs; ++p) {
      pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        ::close(go[1]);
        char c;
        if (::read(go[0], &c, 1) != 1) ::_exit(3);
        int code = 2;
        try {
          // A fresh store per process, as separate writers would have.
          auto own = OpenObjectStore(dir.path().string());
          code = own->PutIfAbsent(key, "process " + std::to_string(p)) ? 1 : 0;
        } catch (...) {
        }
        ::_exit(code);
      }
      pids.push_back(pid);
    }
    ::close(go[0]);
    ASSERT_EQ(::write(go[1], "GGGG", kProcs), kProcs);  // release them together
    ::close(go[1]);
    int winners = 0;
    int winner = -1;
    for (int p = 0; p < kProcs; ++p) {
      int status = 0;
      ASSERT_EQ(::waitpid(pids[p], &status, 0), pids[p]);
      ASSERT_TRUE(WIFEXITED(status));
      int code = WEXITSTATUS(status);
      ASSERT_TRUE(code == 0 || code == 1) << "child failed with " << code;
      if (code == 1) {
        ++winners;
        winner = p;
      }
    }
    EXPECT_EQ(winners, 1) << "round " << round;
    EXPECT_EQ(store->Read(key), "process " + std::to_string(winner));
  }
  EXPECT_EQ(store->List("_delta_log").size(), 10u);
  EXPECT_EQ(TempFilesOnDisk(dir.path()), std::vector<std::string>{});
}

TEST(LocalObjectStoreTest, PutIfAbsentKeepsTheExistingInode) {
  TempDir dir;
  LocalObjectStore store(dir.path().string());
  ASSERT_TRUE(store.PutIfAbsent("c.json", "one"));
  struct stat before;
  ASSERT_EQ(::stat((dir.path() / "c.json").c_str(), &before), 0);
  ASSERT_FALSE(store.PutIfAbsent("c.json", "two"));
  struct stat after;
  ASSERT_EQ(::stat((dir.path() / "c.json").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(after.st_nlink, 1u);  // the link() fallback must not leave a second name
}

TEST(LocalObjectStoreTest, LeftoverTemporaryFilesAreHidden) {
  TempDir dir;
  LocalObjectStore store(dir.path().string());
  store.Write("_delta_log/00000000000000000000.json", "{}");
  // What a crash in the middle of a write leaves behind.
  std::filesystem::path leftover = dir.path() / "_delta_log" / ".cpglake-tmp.x.json.1.abc";
  { std::ofstream(leftover) << "partial"; }
  std::filesystem::path hadoop_crc = dir.path() / "_delta_log" / ".00000000000000000000.json.crc";
  { std::ofstream(hadoop_crc) << "crc"; }
  EXPECT_EQ(Keys(store.List("_delta_log")), (std::vector<std::string>{
                                                "_delta_log/.00000000000000000000.json.crc",
                                                "_delta_log/00000000000000000000.json",
                                            }));
  EXPECT_EQ(store.ListRecursive("").size(), 2u);
}

TEST(LocalObjectStoreTest, SymlinkedDirectoriesAreNotFollowedWhenListing) {
  TempDir dir;
  LocalObjectStore store(dir.path().string());
  store.Write("real/f", "x");
  std::filesystem::create_directory_symlink(dir.path(), dir.path() / "loop");
  EXPECT_EQ(Keys(store.ListRecursive("")), std::vector<std::string>{"real/f"});
}

TEST(LocalObjectStoreTest, DeletingADirectoryIsAnError) {
  TempDir dir;
  LocalObjectStore store(dir.path().string());
  store.Write("d/f", "x");
  EXPECT_THROW(store.Delete("d"), IoError);
}

// ---- OpenObjectStore and URIs -----------------------------------------------------------

TEST(OpenObjectStoreTest, LocalPathsAndFileUris) {
  TempDir dir;
  std::filesystem::path root = dir.path() / "my table";
  auto by_path = OpenObjectStore(root.string());
  by_path->Write("_delta_log/00000000000000000000.json", "{}");
  EXPECT_EQ(by_path->DisplayPath("x"), (root / "x").string());

  for (std::string uri :
       {"file://" + UriEncodePath(root.string()), "file:" + UriEncodePath(root.string()),
        "FILE://localhost" + UriEncodePath(root.string()) + "/"}) {
    SCOPED_TRACE(uri);
    auto store = OpenObjectStore(uri);
    EXPECT_EQ(store->Read("_delta_log/00000000000000000000.json"), "{}");
    EXPECT_EQ(store->DisplayPath("x"), (root / "x").string());
  }
  // A plain path is not percent-decoded.
  auto literal = OpenObjectStore((dir.path() / "a%20b").string());
  EXPECT_EQ(literal->DisplayPath(""), (dir.path() / "a%20b").string());
}

TEST(OpenObjectStoreTest, RelativePathsBecomeAbsolute) {
  auto store = OpenObjectStore("some/relative/table");
  EXPECT_EQ(store->DisplayPath("k").front(), '/');
  EXPECT_EQ(store->DisplayPath("k"),
            (std::filesystem::current_path() / "some/relative/table/k").string());
}

TEST(OpenObjectStoreTest, RemoteSchemesAreUnsupported) {
  for (std::string uri : {"s3://bucket/table", "s3a://bucket/table",
                          "abfss://container@account.dfs.core.windows.net/t", "gs://bucket/t"}) {
    SCOPED_TRACE(uri);
    try {
      OpenObjectStore(uri);
      FAIL() << "expected Unsupported";
    } catch (const Unsupported& e) {
      std::string scheme = uri.substr(0, uri.find(':'));
      EXPECT_NE(std::string(e.what()).find("'" + scheme + "'"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(OpenObjectStore("file://otherhost/x"), Unsupported);
  EXPECT_THROW(OpenObjectStore(""), InvalidInput);
  EXPECT_THROW(OpenObjectStore("file:relative"), InvalidInput);
  EXPECT_THROW(OpenObjectStore("file:///bad%zzescape"), CorruptData);
}

TEST(OpenObjectStoreTest, StorageOptionsAreKept) {
  TempDir dir;
  StorageOptions options = {{"aws_region", "eu-west-1"}, {"unknown_option", "1"}};
  auto store = OpenObjectStore(dir.path().string(), options);
  EXPECT_EQ(store->storage_options(), options);
  store->Write("k", "v");  // unknown options are ignored by the local store
  EXPECT_TRUE(std::make_shared<MemoryObjectStore>()->storage_options().empty());
}

TEST(UriTest, Decode) {
  EXPECT_EQ(UriDecode("a%20b"), "a b");
  EXPECT_EQ(UriDecode("x%3dy%3D"), "x=y=");
  EXPECT_EQ(UriDecode("a+b"), "a+b");
  EXPECT_EQ(UriDecode("%25"), "%");
  EXPECT_EQ(UriDecode("%C3%A9"), "\xC3\xA9");
  EXPECT_EQ(UriDecode("%00"), std::string(1, '\0'));
  EXPECT_EQ(UriDecode(""), "");
  for (std::string bad : {"%", "%2", "a%zz", "%g0", "abc%4"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(UriDecode(bad), CorruptData);
  }
}

TEST(UriTest, EncodePath) {
  EXPECT_EQ(UriEncodePath("part-0.c000.snappy.parquet"), "part-0.c000.snappy.parquet");
  EXPECT_EQ(UriEncodePath("a=x y/b=%3A/é.parquet"), "a=x%20y/b=%253A/%C3%A9.parquet");
  EXPECT_EQ(UriEncodePath("p=a:b#c?d&e+f"), "p=a%3Ab%23c%3Fd%26e%2Bf");
  std::mt19937 rng(42);
  for (int i = 0; i < 1000; ++i) {
    std::string s(rng() % 20, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    std::string enc = UriEncodePath(s);
    EXPECT_EQ(UriDecode(enc), s);
    for (char c : enc) EXPECT_TRUE(c > 0x20 && c < 0x7f);
  }
}

TEST(UriTest, ResolveRelative) {
  EXPECT_EQ(ResolveRelative("a/b.parquet"), "a/b.parquet");
  EXPECT_EQ(ResolveRelative("a/../b"), "b");
  EXPECT_EQ(ResolveRelative("./a//b/"), "a/b");
  EXPECT_EQ(ResolveRelative("a/b/../../c"), "c");
  EXPECT_EQ(ResolveRelative("../x"), std::nullopt);
  EXPECT_EQ(ResolveRelative("a/../../x"), std::nullopt);
  EXPECT_EQ(ResolveRelative(".."), std::nullopt);
  EXPECT_EQ(ResolveRelative("/etc/passwd"), std::nullopt);
  EXPECT_EQ(ResolveRelative(""), std::nullopt);
  EXPECT_EQ(ResolveRelative("."), std::nullopt);
  EXPECT_EQ(ResolveRelative(std::string("a\0b", 3)), std::nullopt);
}

// ---- fault injection ------------------------------------------------------------------

using Op = FaultInjectingObjectStore::Op;

TEST(FaultInjectionTest, FailsTheNthCallOverall) {
  auto memory = std::make_shared<MemoryObjectStore>();
  FaultInjectingObjectStore s(memory);
  s.Arm({.op = std::nullopt, .fail_at = 3});
  s.Write("a", "1");                     // call 1
  EXPECT_EQ(s.Read("a"), "1");           // call 2
  EXPECT_THROW(s.Exists("a"), IoError);  // call 3
  EXPECT_TRUE(s.Exists("a"));            // call 4: only the 3rd fails
  EXPECT_EQ(s.CallCount(), 4);
  EXPECT_EQ(s.CallCount(Op::kHead), 2);
  EXPECT_EQ(s.FaultCount(), 1);
}

TEST(FaultInjectionTest, FailsTheNthCallOfOneKind) {
  auto memory = std::make_shared<MemoryObjectStore>();
  FaultInjectingObjectStore s(memory);
  s.Arm({.op = Op::kPutIfAbsent, .fail_at = 2});
  EXPECT_TRUE(s.PutIfAbsent("_delta_log/0.json", "a"));
  s.Write("x", "y");
  s.List("");
  try {
    s.PutIfAbsent("_delta_log/1.json", "b");
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("injected fault: PutIfAbsent"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("_delta_log/1.json"), std::string::npos);
  }
  EXPECT_FALSE(memory->Exists("_delta_log/1.json"));  // failed before the effect
  EXPECT_TRUE(s.PutIfAbsent("_delta_log/1.json", "b"));
}

TEST(FaultInjectionTest, PersistentFaultsAndDisarm) {
  FaultInjectingObjectStore s(std::make_shared<MemoryObjectStore>());
  s.Arm({.op = Op::kWrite, .fail_at = 2, .persistent = true});
  s.Write("a", "1");
  for (int i = 0; i < 5; ++i) EXPECT_THROW(s.Write("b", "2"), IoError);
  EXPECT_EQ(s.FaultCount(), 5);
  s.Disarm();
  EXPECT_EQ(s.CallCount(), 0);
  s.Write("b", "2");
  EXPECT_EQ(s.Read("b"), "2");
}

TEST(FaultInjectionTest, AfterEffectFaultsLeaveTheObject) {
  // The ambiguous outcome a Delta committer must handle: the commit landed, the call failed.
  auto memory = std::make_shared<MemoryObjectStore>();
  FaultInjectingObjectStore s(memory);
  s.Arm({.op = Op::kPutIfAbsent, .fail_at = 1, .after_effect = true});
  EXPECT_THROW(s.PutIfAbsent("_delta_log/0.json", "commit"), IoError);
  EXPECT_EQ(memory->Read("_delta_log/0.json"), "commit");
  EXPECT_FALSE(s.PutIfAbsent("_delta_log/0.json", "retry"));
}

TEST(FaultInjectionTest, StreamingFilesFail) {
  TempDir dir;
  FaultInjectingObjectStore s(OpenObjectStore(dir.path().string()));
  s.Write("data.parquet", std::string(100, 'd'));

  s.Arm({.op = Op::kReadAt, .fail_at = 2});
  auto file = s.OpenForRead("data.parquet");
  uint8_t buf[10];
  file->ReadAt(0, 10, buf);
  EXPECT_THROW(file->ReadAt(10, 10, buf), IoError);
  file->ReadAt(20, 10, buf);

  s.Arm({.op = Op::kAppend, .fail_at = 3});
  {
    auto out = s.OpenForWrite("new.parquet");
    out->Append("ab", 2);
    out->Append("cd", 2);
    EXPECT_THROW(out->Append("ef", 2), IoError);
  }
  EXPECT_FALSE(s.Exists("new.parquet"));

  s.Arm({.op = Op::kCloseWrite, .fail_at = 1});
  {
    auto out = s.OpenForWrite("new.parquet");
    out->Append("ab", 2);
    EXPECT_THROW(out->Close(), IoError);
  }
  EXPECT_FALSE(s.Exists("new.parquet"));
  EXPECT_EQ(TempFilesOnDisk(dir.path()), std::vector<std::string>{});

  s.Arm({.op = Op::kCloseWrite, .fail_at = 1, .after_effect = true});
  {
    auto out = s.OpenForWrite("new.parquet");
    out->Append("ab", 2);
    EXPECT_THROW(out->Close(), IoError);
  }
  EXPECT_EQ(s.Read("new.parquet"), "ab");
}

TEST(FaultInjectionTest, EveryCallCanFail) {
  // Each operation, failing on its first call, throws IoError and changes nothing.
  auto memory = std::make_shared<MemoryObjectStore>();
  memory->Write("k", "v");
  FaultInjectingObjectStore s(memory);
  auto arm = [&](Op op) { s.Arm({.op = op, .fail_at = 1}); };
  arm(Op::kList);
  EXPECT_THROW(s.List(""), IoError);
  arm(Op::kList);
  EXPECT_THROW(s.ListRecursive(""), IoError);
  arm(Op::kRead);
  EXPECT_THROW(s.Read("k"), IoError);
  arm(Op::kRead);
  EXPECT_THROW(s.ReadRange("k", 0, 1), IoError);
  arm(Op::kOpenForRead);
  EXPECT_THROW(s.OpenForRead("k"), IoError);
  arm(Op::kWrite);
  EXPECT_THROW(s.Write("k", "changed"), IoError);
  arm(Op::kDelete);
  EXPECT_THROW(s.Delete("k"), IoError);
  arm(Op::kHead);
  EXPECT_THROW(s.Head("k"), IoError);
  arm(Op::kOpenForWrite);
  EXPECT_THROW(s.OpenForWrite("k2"), IoError);
  EXPECT_EQ(memory->Read("k"), "v");
  EXPECT_EQ(Keys(memory->ListRecursive("")), std::vector<std::string>{"k"});
  for (int op = 0; op <= static_cast<int>(Op::kCloseWrite); ++op) {
    EXPECT_NE(FaultInjectingObjectStore::OpName(static_cast<Op>(op)), "?");
  }
}

}  // namespace
}  // namespace cpglake::storage
