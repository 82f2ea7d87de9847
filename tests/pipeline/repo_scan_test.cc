// The repository scan on real directory trees: filesystem walks, git work trees built with
// libgit2, and the Python standard library. External truth: `sha256sum`, `git ls-files`,
// `find` and CPython's tokenize.detect_encoding.
#include "pipeline/repo_scan.h"

#include <fcntl.h>
#include <git2.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "test_util.h"

namespace cpglake::pipeline {
namespace {

namespace fs = std::filesystem;
using cpglake::testing::RunCommand;
using cpglake::testing::ShellQuote;
using cpglake::testing::SplitLines;
using cpglake::testing::TempDir;

void Write(const fs::path& root, const std::string& rel, const std::string& content) {
  cpglake::testing::WriteFile(root / rel, content);
}

void Symlink(const fs::path& root, const std::string& rel, const std::string& target) {
  const fs::path p = root / rel;
  fs::create_directories(p.parent_path());
  ASSERT_EQ(::symlink(target.c_str(), p.c_str()), 0) << p;
}

std::vector<std::string> Paths(const RepoScan& scan) {
  std::vector<std::string> out;
  for (const ScannedFile& f : scan.files) out.push_back(f.path);
  return out;
}

const ScannedFile* Find(const RepoScan& scan, const std::string& path) {
  for (const ScannedFile& f : scan.files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

// "path code" for every diagnostic.
std::vector<std::string> Diags(const RepoScan& scan) {
  std::vector<std::string> out;
  for (const ScanDiagnostic& d : scan.diagnostics) out.push_back(d.path + " " + d.code);
  return out;
}

bool HasDiag(const RepoScan& scan, const std::string& path, const std::string& code) {
  return std::any_of(scan.diagnostics.begin(), scan.diagnostics.end(),
                     [&](const ScanDiagnostic& d) { return d.path == path && d.code == code; });
}

ScanOptions NoGit() {
  ScanOptions o;
  o.use_git = false;
  return o;
}

// A plain (non-git) project tree with every kind of file the scan distinguishes.
void MakeProject(const fs::path& root) {
  Write(root, "setup.py", "from setuptools import setup\nsetup()\n");
  Write(root, "pkg/__init__.py", "");
  Write(root, "pkg/mod.py", "def f():\n    return 1\n");
  Write(root, "pkg/sub/__init__.py", "# sub\n");
  Write(root, "pkg/sub/deep.pyi", "def f() -> int: ...\n");
  Write(root, "app.pyw", "import tkinter\n");
  Write(root, "README.md", "# readme\n");
  Write(root, "pkg/data.json", "{}\n");
  Write(root, "pkg/mod.pyc", "not source");
  // Excluded by default (directory names anywhere) and the default output directory.
  for (const char* d : {"__pycache__", ".venv/lib", "venv", "node_modules/x", "build", "dist",
                        ".mypy_cache", ".pytest_cache", ".tox/py311", ".eggs", "pkg/__pycache__",
                        "pkg/build", ".git/hooks", ".cpglake/tables"}) {
    Write(root, std::string(d) + "/excluded.py", "x = 1\n");
  }
  // Shebangs on extensionless files.
  Write(root, "scripts/tool", "#!/usr/bin/env python3\nprint('hi')\n");
  Write(root, "scripts/legacy", "#!/usr/bin/python2.7 -u\nprint 'hi'\n");
  Write(root, "scripts/shell", "#!/bin/sh\necho hi\n");
  Write(root, "scripts/notes.txt", "#!/usr/bin/env python3\n");  // has an extension
  Write(root, "Makefile", "all:\n\ttrue\n");
  // Encodings.
  Write(root, "enc/bom.py", "\xEF\xBB\xBFx = 1\n");
  Write(root, "enc/latin.py", "# -*- coding: latin-1 -*-\ns = '\xE9'\n");
  Write(root, "enc/line2.py", "#!/usr/bin/env python\n# vim: set fileencoding=windows-1252 :\n");
  Write(root, "enc/not_line2.py", "x = 1\n# coding: latin-1\n");
  Write(root, "enc/unknown.py", "# coding: klingon\n");
  Write(root, "enc/conflict.py", "\xEF\xBB\xBF# coding: latin-1\n");
  // Binary content with a Python name.
  Write(root, "blob.py", std::string("abc\0def", 7));
}

TEST(RepoScanTest, WalksAPlainTree) {
  TempDir dir;
  MakeProject(dir.path());
  const RepoScan scan = ScanRepository(dir.path().string(), NoGit());
  EXPECT_FALSE(scan.is_git);
  EXPECT_EQ(scan.root, fs::canonical(dir.path()).string());
  const std::vector<std::string> expected = {"app.pyw",          "enc/bom.py",
                                             "enc/conflict.py",  "enc/latin.py",
                                             "enc/line2.py",     "enc/not_line2.py",
                                             "enc/unknown.py",   "pkg/__init__.py",
                                             "pkg/mod.py",       "pkg/sub/__init__.py",
                                             "pkg/sub/deep.pyi", "scripts/legacy",
                                             "scripts/tool",     "setup.py"};
  EXPECT_EQ(Paths(scan), expected);
  const std::vector<std::string> diags = {"blob.py BINARY", "enc/conflict.py ENCODING_CONFLICT",
                                          "enc/unknown.py UNKNOWN_ENCODING"};
  EXPECT_EQ(Diags(scan), diags);

  EXPECT_TRUE(Find(scan, "scripts/tool")->by_shebang);
  EXPECT_TRUE(Find(scan, "scripts/legacy")->by_shebang);
  EXPECT_FALSE(Find(scan, "setup.py")->by_shebang);
  for (const ScannedFile& f : scan.files) EXPECT_FALSE(f.is_tracked) << f.path;

  EXPECT_EQ(Find(scan, "setup.py")->encoding, "utf-8");
  EXPECT_EQ(Find(scan, "enc/bom.py")->encoding, "utf-8-sig");
  EXPECT_EQ(Find(scan, "enc/latin.py")->encoding, "latin-1");
  EXPECT_EQ(Find(scan, "enc/line2.py")->encoding, "cp1252");
  EXPECT_EQ(Find(scan, "enc/not_line2.py")->encoding, "utf-8");
  EXPECT_EQ(Find(scan, "enc/unknown.py")->encoding, "klingon");
  EXPECT_EQ(Find(scan, "enc/conflict.py")->encoding, "utf-8-sig");
}

TEST(RepoScanTest, SizeMtimeAndSha256AgreeWithTheSystem) {
  TempDir dir;
  MakeProject(dir.path());
  std::string big;
  for (int i = 0; i < 200000; ++i)
    big += "x_" + std::to_string(i) + " = " + std::to_string(i) + "\n";
  Write(dir.path(), "big.py", big);  // several read chunks
  const RepoScan scan = ScanRepository(dir.path().string(), NoGit());
  std::string cmd = "cd " + ShellQuote(dir.path().string()) + " && sha256sum --";
  for (const ScannedFile& f : scan.files) cmd += " " + ShellQuote(f.path);
  const auto r = RunCommand(cmd);
  ASSERT_EQ(r.exit_code, 0);
  std::map<std::string, std::string> sums;
  for (const std::string& line : SplitLines(r.out)) sums[line.substr(66)] = line.substr(0, 64);
  ASSERT_EQ(sums.size(), scan.files.size());
  for (const ScannedFile& f : scan.files) {
    EXPECT_EQ(f.sha256, sums[f.path]) << f.path;
    struct stat st;
    ASSERT_EQ(::stat((dir.path() / f.path).c_str(), &st), 0);
    EXPECT_EQ(f.size, st.st_size) << f.path;
    EXPECT_EQ(f.mtime_ns, st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec) << f.path;
  }
  EXPECT_EQ(Find(scan, "big.py")->size, static_cast<int64_t>(big.size()));
  // The empty file's digest.
  EXPECT_EQ(Find(scan, "pkg/__init__.py")->sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(RepoScanTest, IncludeAndExcludeGlobs) {
  TempDir dir;
  MakeProject(dir.path());
  const std::string root = dir.path().string();
  ScanOptions o = NoGit();
  o.include = {"pkg"};
  EXPECT_EQ(Paths(ScanRepository(root, o)),
            (std::vector<std::string>{"pkg/__init__.py", "pkg/mod.py", "pkg/sub/__init__.py",
                                      "pkg/sub/deep.pyi"}));
  o.exclude = {"sub"};  // exclude wins over include
  EXPECT_EQ(Paths(ScanRepository(root, o)),
            (std::vector<std::string>{"pkg/__init__.py", "pkg/mod.py"}));
  o.include = {"**/*.py"};
  o.exclude = {"enc/", "/pkg/mod.py", "[a-d]*"};  // a segment pattern: app.pyw, blob.py
  EXPECT_EQ(Paths(ScanRepository(root, o)),
            (std::vector<std::string>{"pkg/__init__.py", "pkg/sub/__init__.py", "setup.py"}));
  o.include = {"scripts/*"};
  o.exclude = {};
  EXPECT_EQ(Paths(ScanRepository(root, o)),
            (std::vector<std::string>{"scripts/legacy", "scripts/tool"}));
  o.include = {"src/[oops"};
  EXPECT_THROW(ScanRepository(root, o), InvalidInput);
}

TEST(RepoScanTest, DefaultExcludesAndOutputDirectory) {
  TempDir dir;
  MakeProject(dir.path());
  const std::string root = dir.path().string();
  ScanOptions o = NoGit();
  o.default_excluded_dirs = {};
  RepoScan scan = ScanRepository(root, o);
  // Without the defaults: all but .git (never scanned) and .cpglake (the output directory).
  for (const char* p : {"__pycache__/excluded.py", ".venv/lib/excluded.py", "build/excluded.py",
                        "pkg/build/excluded.py", "node_modules/x/excluded.py"}) {
    EXPECT_NE(Find(scan, p), nullptr) << p;
  }
  EXPECT_EQ(Find(scan, ".git/hooks/excluded.py"), nullptr);
  EXPECT_EQ(Find(scan, ".cpglake/tables/excluded.py"), nullptr);

  // Another output directory, relative or absolute; .cpglake is then an ordinary directory.
  o.output_dir = "pkg/sub";
  scan = ScanRepository(root, o);
  EXPECT_EQ(Find(scan, "pkg/sub/__init__.py"), nullptr);
  EXPECT_NE(Find(scan, ".cpglake/tables/excluded.py"), nullptr);
  o.output_dir = (dir.path() / "enc").string();
  scan = ScanRepository(root, o);
  EXPECT_EQ(Find(scan, "enc/bom.py"), nullptr);
  EXPECT_NE(Find(scan, "pkg/sub/__init__.py"), nullptr);
  o.output_dir = "/tmp/elsewhere-not-in-root";
  EXPECT_NE(Find(ScanRepository(root, o), "enc/bom.py"), nullptr);
  o.output_dir = ".";
  EXPECT_THROW(ScanRepository(root, o), InvalidInput);
}

TEST(RepoScanTest, MaxFilesKeepsTheFirstByPath) {
  TempDir dir;
  MakeProject(dir.path());
  ScanOptions o = NoGit();
  o.max_files = 3;
  for (int threads : {1, 2, 7}) {
    o.threads = threads;
    const RepoScan scan = ScanRepository(dir.path().string(), o);
    // blob.py (binary) sorts before them but does not count.
    EXPECT_EQ(Paths(scan), (std::vector<std::string>{"app.pyw", "enc/bom.py", "enc/conflict.py"}));
    EXPECT_EQ(Diags(scan), (std::vector<std::string>{" LIMIT_MAX_FILES", "blob.py BINARY",
                                                     "enc/conflict.py ENCODING_CONFLICT"}));
  }
  o.max_files = 0;
  EXPECT_TRUE(ScanRepository(dir.path().string(), o).files.empty());
  o.max_files = 14;  // exactly all: no diagnostic
  EXPECT_FALSE(HasDiag(ScanRepository(dir.path().string(), o), "", "LIMIT_MAX_FILES"));
  o.max_files = 13;
  EXPECT_TRUE(HasDiag(ScanRepository(dir.path().string(), o), "", "LIMIT_MAX_FILES"));
}

TEST(RepoScanTest, MaxFileBytes) {
  TempDir dir;
  Write(dir.path(), "small.py", std::string(100, '#'));
  Write(dir.path(), "exact.py", std::string(200, '#'));
  Write(dir.path(), "large.py", std::string(201, '#'));
  Write(dir.path(), "bigscript", "#!/usr/bin/python3\n" + std::string(300, '#'));
  Write(dir.path(), "bigdata", std::string(300, 'x'));  // not Python: no diagnostic
  ScanOptions o = NoGit();
  o.max_file_bytes = 200;
  const RepoScan scan = ScanRepository(dir.path().string(), o);
  EXPECT_EQ(Paths(scan), (std::vector<std::string>{"exact.py", "small.py"}));
  EXPECT_EQ(Diags(scan), (std::vector<std::string>{"bigscript TOO_LARGE", "large.py TOO_LARGE"}));
  EXPECT_EQ(ScanOptions().max_file_bytes, 10 * 1024 * 1024);
}

TEST(RepoScanTest, SymlinksNotFollowed) {
  TempDir dir, outside;
  MakeProject(dir.path());
  Write(outside.path(), "evil.py", "x = 1\n");
  const fs::path r = dir.path();
  Symlink(r, "alias.py", "pkg/mod.py");
  Symlink(r, "aliasdir", "pkg");
  Symlink(r, "broken.py", "does/not/exist.py");
  Symlink(r, "broken_noext", "nowhere");
  Symlink(r, "self", "self");  // ELOOP
  Symlink(r, "pkg/sub/up", "..");
  Symlink(r, "escape.py", (outside.path() / "evil.py").string());
  Symlink(r, "escape_dir", outside.path().string());
  Symlink(r, "readme_link", "README.md");  // not Python-looking: silent
  const RepoScan scan = ScanRepository(r.string(), NoGit());
  EXPECT_EQ(Find(scan, "alias.py"), nullptr);
  EXPECT_EQ(Find(scan, "aliasdir/mod.py"), nullptr);
  EXPECT_TRUE(HasDiag(scan, "alias.py", "SYMLINK"));
  EXPECT_TRUE(HasDiag(scan, "aliasdir", "SYMLINK"));
  EXPECT_TRUE(HasDiag(scan, "broken.py", "BROKEN_SYMLINK"));
  EXPECT_TRUE(HasDiag(scan, "broken_noext", "BROKEN_SYMLINK"));
  EXPECT_TRUE(HasDiag(scan, "self", "SYMLINK_LOOP"));
  EXPECT_TRUE(HasDiag(scan, "pkg/sub/up", "SYMLINK"));
  EXPECT_TRUE(HasDiag(scan, "escape.py", "SYMLINK"));
  EXPECT_TRUE(HasDiag(scan, "escape_dir", "SYMLINK"));
  for (const ScanDiagnostic& d : scan.diagnostics) EXPECT_NE(d.path, "readme_link");
  EXPECT_EQ(scan.files.size(), 14u);
}

TEST(RepoScanTest, SymlinksFollowedStayInsideTheRootAndTerminate) {
  TempDir dir, outside;
  MakeProject(dir.path());
  Write(outside.path(), "evil.py", "x = 1\n");
  const fs::path r = dir.path();
  Symlink(r, "alias.py", "pkg/mod.py");
  Symlink(r, "aliasdir", "pkg");
  Symlink(r, "broken.py", "does/not/exist.py");
  Symlink(r, "self", "self");
  Symlink(r, "pkg/sub/up", "..");      // loop: a link to an ancestor
  Symlink(r, "pkg/sub/top", "../..");  // loop: the root itself
  Symlink(r, "ping", "pong");          // two-link cycle
  Symlink(r, "pong", "ping");
  Symlink(r, "escape.py", (outside.path() / "evil.py").string());
  Symlink(r, "escape_dir", outside.path().string());
  Symlink(r, "escape_rel.py", "../" + outside.path().filename().string() + "/evil.py");
  Symlink(r, "tool_link", "scripts/tool");
  ScanOptions o = NoGit();
  o.follow_symlinks = true;
  const RepoScan scan = ScanRepository(r.string(), o);
  const ScannedFile* alias = Find(scan, "alias.py");
  ASSERT_NE(alias, nullptr);
  EXPECT_EQ(alias->sha256, Find(scan, "pkg/mod.py")->sha256);
  EXPECT_NE(Find(scan, "aliasdir/mod.py"), nullptr);
  EXPECT_NE(Find(scan, "aliasdir/sub/deep.pyi"), nullptr);
  ASSERT_NE(Find(scan, "tool_link"), nullptr);
  EXPECT_TRUE(Find(scan, "tool_link")->by_shebang);
  EXPECT_TRUE(HasDiag(scan, "broken.py", "BROKEN_SYMLINK"));
  EXPECT_TRUE(HasDiag(scan, "self", "SYMLINK_LOOP"));
  EXPECT_TRUE(HasDiag(scan, "ping", "SYMLINK_LOOP"));
  EXPECT_TRUE(HasDiag(scan, "pkg/sub/up", "SYMLINK_LOOP"));
  EXPECT_TRUE(HasDiag(scan, "pkg/sub/top", "SYMLINK_LOOP"));
  EXPECT_TRUE(HasDiag(scan, "aliasdir/sub/up", "SYMLINK_LOOP"));
  EXPECT_TRUE(HasDiag(scan, "escape.py", "HOSTILE_NAME"));
  EXPECT_TRUE(HasDiag(scan, "escape_dir", "HOSTILE_NAME"));
  EXPECT_TRUE(HasDiag(scan, "escape_rel.py", "HOSTILE_NAME"));
  for (const ScannedFile& f : scan.files) {
    EXPECT_EQ(f.path.find("evil"), std::string::npos) << f.path;
  }
}

TEST(RepoScanTest, HostileAndNonUtf8Names) {
  TempDir dir;
  Write(dir.path(), "ok.py", "");
  Write(dir.path(), "caf\xE9.py", "");
  Write(dir.path(),
        "bad\xFF"
        "dir/inner.py",
        "");
  Write(dir.path(), "new\nline.py", "");
  Write(dir.path(), "caf\xC3\xA9.py", "");  // valid UTF-8
  Write(dir.path(), "notes\xE9.txt", "");   // not Python-looking: silent
  const RepoScan scan = ScanRepository(dir.path().string(), NoGit());
  EXPECT_EQ(Paths(scan), (std::vector<std::string>{"caf\xC3\xA9.py", "ok.py"}));
  EXPECT_EQ(Diags(scan),
            (std::vector<std::string>{"bad\\xFFdir NOT_UTF8_NAME", "caf\\xE9.py NOT_UTF8_NAME",
                                      "new\nline.py HOSTILE_NAME"}));
}

TEST(RepoScanTest, SpecialFilesAreNotOpened) {
  TempDir dir;
  Write(dir.path(), "ok.py", "");
  ASSERT_EQ(::mkfifo((dir.path() / "fifo.py").c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo((dir.path() / "fifo_noext").c_str(), 0600), 0);
  const RepoScan scan = ScanRepository(dir.path().string(), NoGit());  // must not block
  EXPECT_EQ(Paths(scan), (std::vector<std::string>{"ok.py"}));
  EXPECT_EQ(Diags(scan), (std::vector<std::string>{"fifo.py NOT_REGULAR"}));
}

TEST(RepoScanTest, UnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads everything";
  TempDir dir;
  Write(dir.path(), "secret.py", "x = 1\n");
  ::chmod((dir.path() / "secret.py").c_str(), 0);
  const RepoScan scan = ScanRepository(dir.path().string(), NoGit());
  EXPECT_TRUE(HasDiag(scan, "secret.py", "UNREADABLE"));
}

// Creates `levels` nested directories named `name` below `root` with openat (so the total
// path may exceed PATH_MAX) and a.py in the deepest.
void MakeDeepTree(const fs::path& root, const std::string& name, int levels) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  for (int i = 0; i < levels; ++i) {
    ASSERT_EQ(::mkdirat(fd, name.c_str(), 0755), 0);
    const int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY);
    ::close(fd);
    ASSERT_GE(next, 0);
    fd = next;
  }
  const int file = ::openat(fd, "a.py", O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(file, 0);
  ::close(file);
  ::close(fd);
}

TEST(RepoScanTest, DepthLimit) {
  TempDir dir;
  Write(dir.path(), "top.py", "");
  MakeDeepTree(dir.path(), "d", 300);
  const RepoScan scan = ScanRepository(dir.path().string(), NoGit());
  EXPECT_EQ(Paths(scan), (std::vector<std::string>{"top.py"}));
  ASSERT_EQ(scan.diagnostics.size(), 1u);
  EXPECT_EQ(scan.diagnostics[0].code, "LIMIT_WALK");
  EXPECT_EQ(std::count(scan.diagnostics[0].path.begin(), scan.diagnostics[0].path.end(), '/'),
            256);  // the 257th level
}

TEST(RepoScanTest, PathsLongerThanPathMax) {
  TempDir dir;
  Write(dir.path(), "top.py", "");
  MakeDeepTree(dir.path(), std::string(200, 'x'), 25);  // > 5000 bytes
  const RepoScan scan = ScanRepository(dir.path().string(), NoGit());
  EXPECT_EQ(Paths(scan), (std::vector<std::string>{"top.py"}));
  ASSERT_EQ(scan.diagnostics.size(), 1u);
  EXPECT_EQ(scan.diagnostics[0].code, "UNREADABLE");
  RunCommand("rm -rf " + ShellQuote(dir.path().string()));  // TempDir cannot remove it
}

TEST(RepoScanTest, RootErrors) {
  TempDir dir;
  EXPECT_THROW(ScanRepository((dir.path() / "missing").string(), {}), NotFound);
  Write(dir.path(), "file.py", "");
  EXPECT_THROW(ScanRepository((dir.path() / "file.py").string(), {}), InvalidInput);
  EXPECT_THROW(ScanRepository((dir.path() / "file.py/x").string(), {}), NotFound);
  EXPECT_THROW(ScanRepository("", {}), InvalidInput);
  // A relative root and a root reached through a symlink resolve to the same canonical root.
  Symlink(dir.path(), "link", ".");
  EXPECT_EQ(ScanRepository((dir.path() / "link").string(), NoGit()).root,
            fs::canonical(dir.path()).string());
}

TEST(RepoScanTest, DeterministicAcrossThreadCounts) {
  TempDir dir;
  MakeProject(dir.path());
  for (int i = 0; i < 400; ++i) {
    const std::string d = "many/p" + std::to_string(i % 17) + "/";
    Write(dir.path(), d + "m" + std::to_string(i) + ".py", "x = " + std::to_string(i) + "\n");
    if (i % 50 == 0) Write(dir.path(), d + "bin" + std::to_string(i) + ".py", std::string(3, '\0'));
  }
  ScanOptions o = NoGit();
  o.threads = 1;
  const RepoScan base = ScanRepository(dir.path().string(), o);
  EXPECT_TRUE(std::is_sorted(base.files.begin(), base.files.end(),
                             [](const auto& a, const auto& b) { return a.path < b.path; }));
  for (int threads : {2, 3, 8, 0}) {
    o.threads = threads;
    const RepoScan scan = ScanRepository(dir.path().string(), o);
    ASSERT_EQ(scan.files.size(), base.files.size());
    for (size_t i = 0; i < scan.files.size(); ++i) {
      EXPECT_EQ(scan.files[i].path, base.files[i].path);
      EXPECT_EQ(scan.files[i].sha256, base.files[i].sha256);
      EXPECT_EQ(scan.files[i].encoding, base.files[i].encoding);
    }
    EXPECT_EQ(Diags(scan), Diags(base));
  }
}

// ---- git work trees, built with libgit2 ----

struct Git {
  Git() { git_libgit2_init(); }
  ~Git() { git_libgit2_shutdown(); }
};

void Check(int rc) {
  ASSERT_EQ(rc, 0) << (git_error_last() ? git_error_last()->message : "");
}

// Initialises a repository at `root`, stages `paths` and commits them.
void GitCommit(const fs::path& root, const std::vector<std::string>& paths) {
  Git lib;
  git_repository* repo = nullptr;
  Check(git_repository_init(&repo, root.c_str(), 0));
  git_index* index = nullptr;
  Check(git_repository_index(&index, repo));
  for (const std::string& p : paths) Check(git_index_add_bypath(index, p.c_str()));
  Check(git_index_write(index));
  git_oid tree_id, commit_id;
  Check(git_index_write_tree(&tree_id, index));
  git_tree* tree = nullptr;
  Check(git_tree_lookup(&tree, repo, &tree_id));
  git_signature* sig = nullptr;
  Check(git_signature_new(&sig, "Test", "test@example.com", 1700000000, 0));
  Check(git_commit_create_v(&commit_id, repo, "HEAD", sig, sig, nullptr, "initial", tree, 0));
  git_signature_free(sig);
  git_tree_free(tree);
  git_index_free(index);
  git_repository_free(repo);
}

bool HaveGitCli() {
  return RunCommand("git --version >/dev/null 2>&1").exit_code == 0;
}

// A committed repository, then untracked, ignored and odd files added to it.
void MakeGitProject(const fs::path& r) {
  Write(r, "setup.py", "setup()\n");
  Write(r, "pkg/__init__.py", "");
  Write(r, "pkg/mod.py", "x = 1\n");
  Write(r, "pkg/gone.py", "x = 1\n");
  Write(r, "pkg/generated.gen.py", "x = 1\n");  // tracked, then matched by .gitignore
  Write(r, "bin/tool", "#!/usr/bin/env python3\n");
  Write(r, "docs/conf.py", "x = 1\n");
  Write(r, "build/tracked_in_build.py", "x = 1\n");
  Symlink(r, "pkg/link.py", "mod.py");
  GitCommit(r, {"setup.py", "pkg/__init__.py", "pkg/mod.py", "pkg/gone.py", "pkg/generated.gen.py",
                "bin/tool", "docs/conf.py", "build/tracked_in_build.py", "pkg/link.py"});
  fs::remove(r / "pkg/gone.py");
  Write(r, ".gitignore", "*.gen.py\nignored_dir/\n/local_*.py\n");
  Write(r, "docs/.gitignore", "_build\n");
  Write(r, ".git/info/exclude", "secret.py\n");
  Write(r, "new.py", "x = 2\n");
  Write(r, "pkg/new_untracked.py", "x = 2\n");
  Write(r, "pkg/other.gen.py", "x = 2\n");  // ignored
  Write(r, "ignored_dir/a.py", "x = 2\n");
  Write(r, "local_settings.py", "x = 2\n");      // ignored at the top only
  Write(r, "pkg/local_settings.py", "x = 2\n");  // not ignored
  Write(r, "secret.py", "x = 2\n");              // .git/info/exclude
  Write(r, "docs/_build/html.py", "x = 2\n");    // docs/.gitignore
  Write(r, "scripts/run", "#!/usr/bin/python3\n");
  Write(r, "nested/inner.py", "x = 2\n");  // in a nested repository
  Git lib;
  git_repository* nested = nullptr;
  Check(git_repository_init(&nested, (r / "nested").c_str(), 0));
  git_repository_free(nested);
}

TEST(RepoScanGitTest, IgnoredRootIsWalked) {
  // A directory the enclosing repository ignores (a virtualenv, a pyenv version): its files
  // are what was asked for, so the scan walks it and says why.
  TempDir dir;
  MakeGitProject(dir.path());
  const RepoScan scan = ScanRepository((dir.path() / "ignored_dir").string(), {});
  EXPECT_FALSE(scan.is_git);
  EXPECT_EQ(Paths(scan), (std::vector<std::string>{"a.py"}));
  EXPECT_EQ(Diags(scan), (std::vector<std::string>{" GIT_IGNORED_ROOT"}));
  // A tracked subdirectory is still listed from the index.
  const RepoScan sub = ScanRepository((dir.path() / "pkg").string(), {});
  EXPECT_TRUE(sub.is_git);
}

TEST(RepoScanGitTest, TrackedAndUntrackedNotIgnored) {
  TempDir dir;
  MakeGitProject(dir.path());
  const RepoScan scan = ScanRepository(dir.path().string(), {});
  EXPECT_TRUE(scan.is_git);
  EXPECT_EQ(Paths(scan),
            (std::vector<std::string>{"bin/tool", "docs/conf.py", "new.py", "pkg/__init__.py",
                                      "pkg/generated.gen.py", "pkg/local_settings.py", "pkg/mod.py",
                                      "pkg/new_untracked.py", "scripts/run", "setup.py"}));
  const std::set<std::string> tracked = {"bin/tool",        "docs/conf.py",
                                         "pkg/__init__.py", "pkg/generated.gen.py",
                                         "pkg/mod.py",      "setup.py"};
  for (const ScannedFile& f : scan.files) {
    EXPECT_EQ(f.is_tracked, tracked.count(f.path) == 1) << f.path;
  }
  EXPECT_TRUE(Find(scan, "bin/tool")->by_shebang);
  EXPECT_EQ(Diags(scan), (std::vector<std::string>{"nested SUBMODULE", "pkg/gone.py MISSING",
                                                   "pkg/link.py SYMLINK"}));

  // With follow_symlinks the tracked link is read through (its target is in the root).
  ScanOptions follow;
  follow.follow_symlinks = true;
  const RepoScan followed = ScanRepository(dir.path().string(), follow);
  ASSERT_NE(Find(followed, "pkg/link.py"), nullptr);
  EXPECT_TRUE(Find(followed, "pkg/link.py")->is_tracked);

  // Globs and limits apply in git mode too.
  ScanOptions globbed;
  globbed.include = {"pkg/**"};
  globbed.exclude = {"mod.py"};
  globbed.max_files = 2;
  const RepoScan some = ScanRepository(dir.path().string(), globbed);
  EXPECT_EQ(Paths(some), (std::vector<std::string>{"pkg/__init__.py", "pkg/generated.gen.py"}));
  EXPECT_TRUE(HasDiag(some, "", "LIMIT_MAX_FILES"));

  // use_git = false: a plain walk of the same tree (ignored files included, .git skipped).
  const RepoScan walked = ScanRepository(dir.path().string(), NoGit());
  EXPECT_FALSE(walked.is_git);
  EXPECT_NE(Find(walked, "ignored_dir/a.py"), nullptr);
  EXPECT_NE(Find(walked, "nested/inner.py"), nullptr);
  for (const ScannedFile& f : walked.files) EXPECT_FALSE(f.is_tracked);
}

// `git ls-files --cached --others --exclude-standard` is the oracle for which files git
// considers part of the work tree.
TEST(RepoScanGitTest, AgreesWithGitLsFiles) {
  if (!HaveGitCli()) GTEST_SKIP() << "no git command";
  TempDir dir;
  MakeGitProject(dir.path());
  const auto r = RunCommand("git -C " + ShellQuote(dir.path().string()) +
                            " -c core.quotepath=off ls-files --cached --others --exclude-standard");
  ASSERT_EQ(r.exit_code, 0);
  std::set<std::string> expected;
  for (const std::string& p : SplitLines(r.out)) {
    if (p.ends_with(".py") || p == "bin/tool" || p == "scripts/run") expected.insert(p);
  }
  // Documented differences: the default-excluded build/, the deleted and the symlinked
  // tracked files (diagnostics), and the nested repository (git lists it as "nested/").
  expected.erase("build/tracked_in_build.py");
  expected.erase("pkg/gone.py");
  expected.erase("pkg/link.py");
  const RepoScan scan = ScanRepository(dir.path().string(), {});
  const std::vector<std::string> paths = Paths(scan);
  EXPECT_EQ(std::set<std::string>(paths.begin(), paths.end()), expected);
}

TEST(RepoScanGitTest, RootBelowTheWorkTreeTop) {
  TempDir dir;
  MakeGitProject(dir.path());
  const RepoScan scan = ScanRepository((dir.path() / "pkg").string(), {});
  EXPECT_TRUE(scan.is_git);
  EXPECT_EQ(Paths(scan),
            (std::vector<std::string>{"__init__.py", "generated.gen.py", "local_settings.py",
                                      "mod.py", "new_untracked.py"}));
  EXPECT_TRUE(Find(scan, "mod.py")->is_tracked);
  EXPECT_FALSE(Find(scan, "new_untracked.py")->is_tracked);
  EXPECT_EQ(Diags(scan), (std::vector<std::string>{"gone.py MISSING", "link.py SYMLINK"}));
}

TEST(RepoScanGitTest, TrackedFileBehindASymlinkedDirectoryIsNotRead) {
  TempDir dir, outside;
  const fs::path r = dir.path();
  Write(r, "pkg/a.py", "x = 1\n");
  GitCommit(r, {"pkg/a.py"});
  // Replace the tracked directory by a link to a directory outside the work tree.
  Write(outside.path(), "a.py", "stolen = 1\n");
  fs::remove_all(r / "pkg");
  Symlink(r, "pkg", outside.path().string());
  for (bool follow : {false, true}) {
    ScanOptions o;
    o.follow_symlinks = follow;
    const RepoScan scan = ScanRepository(r.string(), o);
    EXPECT_TRUE(scan.files.empty());
    EXPECT_TRUE(HasDiag(scan, "pkg/a.py", "HOSTILE_NAME")) << follow;
  }
}

TEST(RepoScanGitTest, EmptyRepositoryWithoutCommits) {
  TempDir dir;
  {
    Git lib;
    git_repository* repo = nullptr;
    Check(git_repository_init(&repo, dir.path().c_str(), 0));
    git_repository_free(repo);
  }
  Write(dir.path(), "a.py", "");
  const RepoScan scan = ScanRepository(dir.path().string(), {});
  EXPECT_TRUE(scan.is_git);
  EXPECT_EQ(Paths(scan), (std::vector<std::string>{"a.py"}));
  EXPECT_FALSE(scan.files[0].is_tracked);
}

// ---- the Python standard library ----

const char* kStdlib = "/usr/lib/python3.11";

// `find /usr/lib/python3.11 -name '*.py' -not -path '*/__pycache__/*'` against the scan. The
// differences are the documented ones: symlinks are not followed (SYMLINK diagnostics), and
// by default the stdlib package `venv` falls under the default excluded directory names.
TEST(RepoScanStdlibTest, AgreesWithFind) {
  if (!fs::is_directory(kStdlib)) GTEST_SKIP() << "no " << kStdlib;
  const std::string q = ShellQuote(kStdlib);
  const auto all = RunCommand("cd " + q + " && find . -name '*.py' -not -path '*/__pycache__/*'");
  const auto links =
      RunCommand("cd " + q + " && find . -name '*.py' -not -path '*/__pycache__/*' -type l");
  const auto venv =
      RunCommand("cd " + q + " && find ./venv -name '*.py' -not -path '*/__pycache__/*'");
  ASSERT_EQ(all.exit_code, 0);
  const auto strip = [](std::vector<std::string> v) {
    for (std::string& s : v) s = s.substr(2);  // "./"
    return std::set<std::string>(v.begin(), v.end());
  };
  const std::set<std::string> found = strip(SplitLines(all.out));
  const std::set<std::string> symlinks = strip(SplitLines(links.out));
  const std::set<std::string> in_venv = strip(SplitLines(venv.out));

  ScanOptions o;
  o.default_excluded_dirs = {"__pycache__"};
  const RepoScan scan = ScanRepository(kStdlib, o);
  EXPECT_FALSE(scan.is_git);
  std::set<std::string> scanned, skipped;
  for (const ScannedFile& f : scan.files) {
    if (f.path.ends_with(".py")) scanned.insert(f.path);
    EXPECT_FALSE(f.by_shebang) << f.path;  // the stdlib has no extensionless Python scripts
  }
  for (const ScanDiagnostic& d : scan.diagnostics) {
    if (d.code == "SYMLINK") {
      EXPECT_TRUE(symlinks.count(d.path)) << d.path;
    }
    skipped.insert(d.path);
  }
  std::set<std::string> expected;
  for (const std::string& p : found) {
    if (!symlinks.count(p)) expected.insert(p);
  }
  EXPECT_EQ(scanned, expected);
  EXPECT_EQ(scanned.size() + symlinks.size(), found.size());
  for (const std::string& p : symlinks) EXPECT_TRUE(skipped.count(p)) << p;

  // With the default excludes, venv/ goes too.
  const RepoScan defaults = ScanRepository(kStdlib, {});
  EXPECT_FALSE(in_venv.empty());
  EXPECT_EQ(defaults.files.size() + in_venv.size(), scan.files.size());
}

// Every stdlib file's SHA-256 against sha256sum and encoding against tokenize.detect_encoding.
TEST(RepoScanStdlibTest, HashesAndEncodingsAgreeWithTheSystem) {
  if (!fs::is_directory(kStdlib)) GTEST_SKIP() << "no " << kStdlib;
  ScanOptions o;
  o.default_excluded_dirs = {"__pycache__"};
  const RepoScan scan = ScanRepository(kStdlib, o);
  ASSERT_GT(scan.files.size(), 500u);
  TempDir dir;
  {
    std::ofstream list(dir.path() / "list", std::ios::binary);
    for (const ScannedFile& f : scan.files) list << f.path << '\0';
  }
  const std::string q = ShellQuote(kStdlib);
  const std::string list = ShellQuote((dir.path() / "list").string());
  const auto sums = RunCommand("cd " + q + " && xargs -0 sha256sum -- < " + list);
  ASSERT_EQ(sums.exit_code, 0);
  std::map<std::string, std::string> sha;
  for (const std::string& line : SplitLines(sums.out)) sha[line.substr(66)] = line.substr(0, 64);
  const std::string script =
      "import codecs, sys, tokenize\n"
      "for p in open(sys.argv[1], 'rb').read().split(b'\\0')[:-1]:\n"
      "    try:\n"
      "        with open(p, 'rb') as f: enc, _ = tokenize.detect_encoding(f.readline)\n"
      "        info = codecs.lookup(enc)\n"
      "        name = 'utf-8-sig' if enc.endswith('-sig') else info.name\n"
      "        if not info._is_text_encoding: name = 'ERROR'\n"
      "        print('latin-1' if name == 'iso8859-1' else name)\n"
      "    except SyntaxError:\n"
      "        print('ERROR')\n";
  const auto encs = RunCommand("cd " + q + " && python3 -c " + ShellQuote(script) + " " + list);
  ASSERT_EQ(encs.exit_code, 0);
  const std::vector<std::string> enc_lines = SplitLines(encs.out);
  ASSERT_EQ(enc_lines.size(), scan.files.size());
  for (size_t i = 0; i < scan.files.size(); ++i) {
    const ScannedFile& f = scan.files[i];
    EXPECT_EQ(f.sha256, sha[f.path]) << f.path;
    if (enc_lines[i] == "ERROR") {
      EXPECT_TRUE(HasDiag(scan, f.path, "UNKNOWN_ENCODING") ||
                  HasDiag(scan, f.path, "ENCODING_CONFLICT"))
          << f.path;
    } else {
      EXPECT_EQ(f.encoding, enc_lines[i]) << f.path;
    }
  }
}

}  // namespace
}  // namespace cpglake::pipeline
