// Change detection from git (ScanOptions::git_range; `cpglake build --since REF`,
// `--git-base A --git-head B`) on real git work trees made with the `git` command: the
// diff-based scan equals a full scan, and the files the diff does not name are not read.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "columnar/value_format.h"
#include "common/error.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "pipeline/build.h"
#include "pipeline/repo_scan.h"
#include "storage/object_store.h"
#include "test_util.h"

namespace cpglake::pipeline {
namespace {

namespace fs = std::filesystem;
using cpglake::testing::RunCommand;
using cpglake::testing::ShellQuote;
using cpglake::testing::TempDir;

void Write(const fs::path& root, const std::string& rel, const std::string& content) {
  cpglake::testing::WriteFile(root / rel, content);
}

// Runs `git -C root ARGS`; the output.
std::string Git(const fs::path& root, const std::string& args) {
  const auto r = RunCommand("git -C " + ShellQuote(root.string()) + " " + args + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << "git " << args << ": " << r.out;
  return r.out;
}

void InitRepo(const fs::path& root) {
  Git(root, "init -q .");
  Git(root, "config user.name cpglake");
  Git(root, "config user.email cpglake@example.com");
  Git(root, "config commit.gpgsign false");
}

void Commit(const fs::path& root, const std::string& message) {
  Git(root, "add -A");
  Git(root, "commit -q --allow-empty -m " + ShellQuote(message));
}

// A small repository at its first commit; returns that commit's id.
std::string MakeRepo(const fs::path& root) {
  InitRepo(root);
  Write(root, ".gitignore", "ignored*.py\n.cpglake/\n");
  Write(root, "a.py", "import pkg\n");
  Write(root, "pkg/__init__.py", "from .b import f\n");
  Write(root, "pkg/b.py", "def f():\n    return 1\n");
  Write(root, "pkg/c.py", "# -*- coding: latin-1 -*-\nx = 1\n");
  Write(root, "tool", "#!/usr/bin/env python3\nprint('tool')\n");
  Write(root, "notes", "just text\n");
  Write(root, "data.bin.py", std::string("\0\1binary", 8));
  Write(root, "sub/s1.py", "S = 1\n");
  Write(root, "sub/deep/s2.py", "S = 2\n");
  Commit(root, "base");
  std::string head = Git(root, "rev-parse HEAD");
  head.erase(head.find_last_not_of('\n') + 1);
  return head;
}

// What a later scan is given of an earlier one.
struct Previous {
  std::map<std::string, PreviousFile> files;
  std::vector<ScanDiagnostic> diagnostics;
};

Previous Record(const RepoScan& scan) {
  Previous p;
  for (const ScannedFile& f : scan.files) {
    p.files[f.path] = PreviousFile{f.size, f.mtime_ns, f.sha256, f.encoding};
  }
  p.diagnostics = scan.diagnostics;
  return p;
}

RepoScan FullScan(const fs::path& root, ScanOptions options = {}) {
  options.threads = 2;
  return ScanRepository(root.string(), options);
}

RepoScan DiffScan(const fs::path& root, const Previous& previous, GitRange range,
                  ScanOptions options = {}) {
  options.threads = 2;
  options.previous = &previous.files;
  options.previous_diagnostics = &previous.diagnostics;
  options.git_range = std::move(range);
  return ScanRepository(root.string(), options);
}

std::vector<std::string> Lines(const RepoScan& scan) {
  std::vector<std::string> out;
  for (const ScannedFile& f : scan.files) {
    out.push_back(f.path + " " + std::to_string(f.size) + " " + std::to_string(f.mtime_ns) + " " +
                  f.sha256 + " " + f.encoding + (f.is_tracked ? " tracked" : "") +
                  (f.by_shebang ? " shebang" : ""));
  }
  for (const ScanDiagnostic& d : scan.diagnostics) {
    out.push_back("diag " + d.path + " " + d.code + " " + d.message);
  }
  return out;
}

bool Lists(const RepoScan& scan, const std::string& path) {
  return std::any_of(scan.files.begin(), scan.files.end(),
                     [&](const ScannedFile& f) { return f.path == path; });
}

TEST(GitScanTest, SinceEqualsAFullScanAfterEditsAdditionsDeletionsAndRenames) {
  TempDir dir;
  const fs::path root = dir.path();
  MakeRepo(root);
  Write(root, "untracked_then_deleted.py", "u = 1\n");
  Write(root, "untracked_binary.py", std::string("\0bin", 4));
  Previous previous = Record(FullScan(root));
  ASSERT_TRUE(previous.files.count("untracked_then_deleted.py"));
  ASSERT_EQ(previous.diagnostics.size(), 2u);  // the two binary files

  Write(root, "a.py", "import pkg\nimport os\n");  // edited
  Write(root, "staged.py", "t = 1\n");             // added, tracked
  Git(root, "add staged.py");
  Write(root, "untracked.py", "u = 2\n");                // added, untracked
  fs::remove(root / "pkg/b.py");                         // deleted, not staged
  Git(root, "mv pkg/c.py pkg/c2.py");                    // renamed
  Write(root, "newdir/deeper/n.py", "n = 1\n");          // new file in a new directory
  Write(root, "ignored_new.py", "i = 1\n");              // ignored
  fs::remove(root / "untracked_then_deleted.py");        // gone, in no tree
  fs::remove(root / "untracked_binary.py");              // its diagnostic goes
  Write(root, "data2.bin.py", std::string("\0two", 4));  // a new diagnostic
  Write(root, "script", "#!/usr/bin/python3\n");         // by shebang, untracked

  const RepoScan diff = DiffScan(root, previous, {"HEAD", std::nullopt});
  const RepoScan full = FullScan(root);
  EXPECT_TRUE(diff.git_diff);
  EXPECT_FALSE(full.git_diff);
  EXPECT_EQ(Lines(diff), Lines(full));
  EXPECT_TRUE(Lists(diff, "newdir/deeper/n.py"));
  EXPECT_TRUE(Lists(diff, "pkg/c2.py"));
  EXPECT_TRUE(Lists(diff, "script"));
  EXPECT_FALSE(Lists(diff, "ignored_new.py"));
  EXPECT_FALSE(Lists(diff, "pkg/c.py"));
  EXPECT_FALSE(Lists(diff, "pkg/b.py"));
  EXPECT_FALSE(Lists(diff, "untracked_then_deleted.py"));

  // Commit all of it, then again from that commit: the binary file deleted (its diagnostic
  // goes), a tracked file restored from the index.
  Commit(root, "second");
  previous = Record(FullScan(root));
  fs::remove(root / "data2.bin.py");
  Git(root, "rm -q --cached untracked.py");  // tracked → untracked
  Write(root, "sub/deep/s2.py", "S = 22\n");
  const RepoScan diff2 = DiffScan(root, previous, {"HEAD", std::nullopt});
  EXPECT_TRUE(diff2.git_diff);
  EXPECT_EQ(Lines(diff2), Lines(FullScan(root)));
}

TEST(GitScanTest, FilesTheDiffDoesNotNameAreTakenAsRecorded) {
  TempDir dir;
  const fs::path root = dir.path();
  MakeRepo(root);
  Previous previous = Record(FullScan(root));
  const std::string fake(64, 'f');
  previous.files["pkg/b.py"].sha256 = fake;  // unchanged: never read
  previous.files["a.py"].sha256 = fake;      // edited: read again
  Write(root, "a.py", "import pkg  # edited\n");

  const RepoScan diff = DiffScan(root, previous, {"HEAD", std::nullopt});
  const RepoScan full = FullScan(root);
  for (const RepoScan* scan : {&diff, &full}) {
    ASSERT_TRUE(Lists(*scan, "pkg/b.py"));
    ASSERT_TRUE(Lists(*scan, "a.py"));
  }
  const auto sha = [](const RepoScan& scan, const std::string& path) {
    for (const ScannedFile& f : scan.files) {
      if (f.path == path) return f.sha256;
    }
    return std::string();
  };
  EXPECT_EQ(sha(diff, "pkg/b.py"), fake);
  EXPECT_NE(sha(full, "pkg/b.py"), fake);
  EXPECT_EQ(sha(diff, "a.py"), sha(full, "a.py"));
  EXPECT_NE(sha(diff, "a.py"), fake);
}

TEST(GitScanTest, RootInASubdirectorySeesOnlyItsChanges) {
  TempDir dir;
  const fs::path top = dir.path();
  MakeRepo(top);
  const fs::path root = top / "sub";
  Previous previous = Record(FullScan(root));
  ASSERT_EQ(previous.files.size(), 2u);
  const std::string fake(64, 'e');
  previous.files["s1.py"].sha256 = fake;

  Write(top, "a.py", "changed outside the root\n");
  Write(top, "outside_new.py", "o = 1\n");
  Write(root, "deep/s2.py", "S = 3\n");
  Write(root, "s3.py", "S = 4\n");
  RepoScan diff = DiffScan(root, previous, {"HEAD", std::nullopt});
  EXPECT_TRUE(diff.git_diff);
  std::vector<std::string> paths;
  for (const ScannedFile& f : diff.files) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"deep/s2.py", "s1.py", "s3.py"}));
  EXPECT_EQ(diff.files[1].sha256, fake);                  // not read
  diff.files[1].sha256 = FullScan(root).files[1].sha256;  // the rest is a full scan's
  EXPECT_EQ(Lines(diff), Lines(FullScan(root)));
}

TEST(GitScanTest, GitBaseAndHeadCompareTwoCommits) {
  TempDir dir;
  const fs::path root = dir.path();
  const std::string base = MakeRepo(root);
  const Previous previous = Record(FullScan(root));
  Write(root, "a.py", "import pkg\nimport sys\n");
  fs::remove(root / "pkg/b.py");
  Write(root, "pkg/b_new.py", "def f():\n    return 2\n");
  Write(root, "lib/x.py", "x = 1\n");
  Commit(root, "head");
  Git(root, "tag head");
  // The work tree at the base again, then checked out at the head: only changed files are
  // rewritten.
  Git(root, "checkout -q " + base);
  Git(root, "checkout -q head");

  const RepoScan diff = DiffScan(root, previous, {base, std::string("head")});
  EXPECT_TRUE(diff.git_diff);
  EXPECT_EQ(Lines(diff), Lines(FullScan(root)));
  EXPECT_TRUE(Lists(diff, "lib/x.py"));
  EXPECT_FALSE(Lists(diff, "pkg/b.py"));
}

TEST(GitScanTest, ErrorsAndFallbacks) {
  TempDir dir;
  const fs::path root = dir.path() / "repo";
  fs::create_directories(root);
  MakeRepo(root);
  const Previous previous = Record(FullScan(root));
  EXPECT_THROW(DiffScan(root, previous, {"no-such-ref", std::nullopt}), InvalidInput);
  EXPECT_THROW(DiffScan(root, previous, {"HEAD", std::string("no-such-ref")}), InvalidInput);
  ScanOptions walk;
  walk.use_git = false;
  EXPECT_THROW(DiffScan(root, previous, {"HEAD", std::nullopt}, walk), InvalidInput);

  const fs::path plain = dir.path() / "plain";
  Write(plain, "p.py", "p = 1\n");
  const Previous plain_previous = Record(FullScan(plain));
  try {
    DiffScan(plain, plain_previous, {"HEAD", std::nullopt});
    ADD_FAILURE() << "no error outside a git work tree";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("needs a git work tree"), std::string::npos) << e.what();
  }

  // No previous scan: the range is ignored and everything is scanned.
  ScanOptions first;
  first.threads = 2;
  first.git_range = GitRange{"HEAD", std::nullopt};
  const RepoScan whole = ScanRepository(root.string(), first);
  EXPECT_FALSE(whole.git_diff);
  EXPECT_EQ(Lines(whole), Lines(FullScan(root)));

  // max_files cut the previous list (or would cut the new one): a full scan.
  ScanOptions limited;
  limited.max_files = static_cast<int64_t>(previous.files.size());
  Write(root, "z_new.py", "z = 1\n");
  const RepoScan cut = DiffScan(root, previous, {"HEAD", std::nullopt}, limited);
  EXPECT_FALSE(cut.git_diff);
  EXPECT_EQ(Lines(cut), Lines(FullScan(root, limited)));
  limited.max_files += 5;
  const RepoScan uncut = DiffScan(root, previous, {"HEAD", std::nullopt}, limited);
  EXPECT_TRUE(uncut.git_diff);
  EXPECT_EQ(Lines(uncut), Lines(FullScan(root, limited)));
}

// ---- The build ----

std::vector<std::string> TableRows(const fs::path& table, const std::vector<std::string>& columns) {
  auto snap = delta::SnapshotBuilder(storage::OpenObjectStore(table.string())).Build();
  delta::ScanBuilder b(snap);
  if (!columns.empty()) b.WithColumns(columns);
  const columnar::RecordBatch batch = b.Build().ReadAll();
  std::vector<std::string> out;
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    std::string line;
    columnar::AppendJsonRow(batch, r, columnar::JsonStyle::kCanonical, &line);
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(GitBuildTest, IncrementalBuildWithAGitRangeEqualsAFullBuild) {
  TempDir dir;
  const fs::path root = dir.path() / "repo";
  fs::create_directories(root);
  MakeRepo(root);
  for (int i = 0; i < 12; ++i) {
    Write(root, "pkg/m" + std::to_string(i) + ".py",
          "from .b import f\n\ndef g" + std::to_string(i) + "():\n    return f()\n");
  }
  Commit(root, "more modules");
  BuildOptions options;
  options.repo = root.string();
  options.jobs = 2;
  options.git_range = GitRange{"HEAD", std::nullopt};
  const BuildResult first = BuildGraph(options);
  EXPECT_EQ(first.record.mode, "full");  // the range is ignored: no previous build

  Write(root, "pkg/b.py", "def f():\n    return 2\n\ndef h():\n    pass\n");
  Write(root, "pkg/m_new.py", "from .b import h\nh()\n");
  fs::remove(root / "pkg/m3.py");
  Write(root, "broken2.bin.py", std::string("\0x", 2));
  const BuildResult incremental = BuildGraph(options);
  EXPECT_EQ(incremental.record.mode, "incremental");
  // Modules came and went: the module table changed, every file was resolved again.
  EXPECT_EQ(incremental.record.strategy, "resolution-hash+git-diff");

  BuildOptions full = options;
  full.out = (dir.path() / "full").string();
  full.full = true;
  full.git_range.reset();
  const BuildResult reference = BuildGraph(full);
  EXPECT_EQ(incremental.files_scanned, reference.files_scanned);
  const fs::path a = root / ".cpglake", b = dir.path() / "full";
  for (const char* table : {"cpg_nodes", "cpg_edges", "cpg_props"}) {
    EXPECT_EQ(TableRows(a / table, {}), TableRows(b / table, {})) << table;
  }
  EXPECT_EQ(TableRows(a / "_cpglake/repo_files", {}), TableRows(b / "_cpglake/repo_files", {}));
  const std::vector<std::string> diag_columns = {"path", "code", "message", "source", "node_id"};
  const std::vector<std::string> diags = TableRows(a / "_cpglake/diagnostics", diag_columns);
  EXPECT_EQ(diags, TableRows(b / "_cpglake/diagnostics", diag_columns));
  EXPECT_EQ(std::count_if(
                diags.begin(), diags.end(),
                [](const std::string& row) { return row.find("\"BINARY\"") != std::string::npos; }),
            2);

  // Without the range the strategy is the plain one; nothing changed, so the dependency
  // records chose the files to resolve (none).
  BuildOptions plain = options;
  plain.git_range.reset();
  EXPECT_EQ(BuildGraph(plain).record.strategy, "dependencies+resolution-hash");
}

}  // namespace
}  // namespace cpglake::pipeline
