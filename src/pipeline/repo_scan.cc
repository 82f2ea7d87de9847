#include "pipeline/repo_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <git2.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "common/error.h"
#include "common/parallel.h"
#include "pipeline/repo_scan_internal.h"

namespace cpglake::pipeline {

const std::vector<std::string>& DefaultExcludedDirs() {
  static const std::vector<std::string> dirs = {
      ".git", "__pycache__", ".venv",         "venv", "node_modules", "build",
      "dist", ".mypy_cache", ".pytest_cache", ".tox", ".eggs"};
  return dirs;
}

namespace {

using internal::EscapeInvalidUtf8;
using internal::HasControlCharacter;
using internal::HasNoExtension;
using internal::HasPythonExtension;
using internal::IsValidUtf8;
using internal::PathGlob;

constexpr size_t kBinaryWindow = 8192;    // NUL bytes here make a file binary
constexpr size_t kReadChunk = 64 * 1024;  // also the head used for shebang and encoding
constexpr int kMaxDepth = 256;            // directory nesting the walk descends
constexpr int64_t kMaxDirectories = 1000000;

void SortDiagnostics(std::vector<ScanDiagnostic>* diagnostics) {
  std::sort(diagnostics->begin(), diagnostics->end(),
            [](const ScanDiagnostic& a, const ScanDiagnostic& b) {
              return std::tie(a.path, a.code, a.message) < std::tie(b.path, b.code, b.message);
            });
}

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  out.push_back('/');
  out.append(name);
  return out;
}

// A file that may be Python, found by the walk or in the git index.
struct Candidate {
  std::string path;            // root-relative, valid UTF-8
  bool is_tracked = false;     // from the git index
  bool by_extension = false;   // .py/.pyi/.pyw; otherwise extensionless: check the shebang
  bool index_symlink = false;  // the git index records a symbolic link
};

// What processing one candidate produced.
struct Outcome {
  std::optional<ScannedFile> file;
  std::vector<ScanDiagnostic> diagnostics;
};

// The directory and file filters of repo_scan.h, in their order.
class PathFilter {
 public:
  PathFilter(const ScanOptions& options, std::optional<std::string> output_rel)
      : default_dirs_(options.default_excluded_dirs.begin(), options.default_excluded_dirs.end()),
        output_rel_(std::move(output_rel)) {
    default_dirs_.insert(".git");  // never scanned, even when the defaults are cleared
    for (const std::string& p : options.include) include_.emplace_back(p);
    for (const std::string& p : options.exclude) exclude_.emplace_back(p);
  }

  // Whether the walk skips the directory `rel` (named `name`) and everything below it.
  bool PrunesDirectory(std::string_view rel, std::string_view name) const {
    if (default_dirs_.count(std::string(name))) return true;
    if (output_rel_ && rel == *output_rel_) return true;
    return std::any_of(exclude_.begin(), exclude_.end(),
                       [&](const PathGlob& g) { return g.MatchesDirectory(rel); });
  }

  // Whether the directory `rel` or one of its ancestors is pruned.
  bool ExcludesDirectory(std::string_view rel) const {
    for (size_t start = 0;;) {
      const size_t slash = rel.find('/', start);
      const std::string_view prefix = rel.substr(0, slash);
      if (PrunesDirectory(prefix, prefix.substr(start))) return true;
      if (slash == std::string_view::npos) return false;
      start = slash + 1;
    }
  }

  // Whether the file `rel` passes every filter.
  bool AcceptsFile(std::string_view rel) const {
    for (size_t start = 0, slash; (slash = rel.find('/', start)) != std::string_view::npos;
         start = slash + 1) {
      if (default_dirs_.count(std::string(rel.substr(start, slash - start)))) return false;
    }
    if (output_rel_ && rel.size() > output_rel_->size() && rel[output_rel_->size()] == '/' &&
        rel.substr(0, output_rel_->size()) == *output_rel_) {
      return false;
    }
    if (!include_.empty() && std::none_of(include_.begin(), include_.end(),
                                          [&](const PathGlob& g) { return g.MatchesFile(rel); })) {
      return false;
    }
    return std::none_of(exclude_.begin(), exclude_.end(),
                        [&](const PathGlob& g) { return g.MatchesFile(rel); });
  }

 private:
  std::unordered_set<std::string> default_dirs_;
  std::optional<std::string> output_rel_;
  std::vector<PathGlob> include_, exclude_;
};

// Owns libgit2's global state for the duration of a scan (reference counted by libgit2).
struct GitLibrary {
  GitLibrary() { git_libgit2_init(); }
  ~GitLibrary() { git_libgit2_shutdown(); }
};
struct RepositoryDeleter {
  void operator()(git_repository* r) const { git_repository_free(r); }
};
struct IndexDeleter {
  void operator()(git_index* i) const { git_index_free(i); }
};
struct ObjectDeleter {
  void operator()(git_object* o) const { git_object_free(o); }
};
struct DiffDeleter {
  void operator()(git_diff* d) const { git_diff_free(d); }
};
using RepositoryPtr = std::unique_ptr<git_repository, RepositoryDeleter>;
using IndexPtr = std::unique_ptr<git_index, IndexDeleter>;
using ObjectPtr = std::unique_ptr<git_object, ObjectDeleter>;
using DiffPtr = std::unique_ptr<git_diff, DiffDeleter>;

std::string GitErrorMessage() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

// An entry of the git index under the root.
struct IndexEntry {
  std::string rel;  // root-relative
  uint32_t mode = 0;
  bool skip_worktree = false;
};

// The repository a scan runs against in git mode.
struct GitContext {
  RepositoryPtr repo;
  std::string prefix;                          // the root relative to the work tree, "" or "a/b/"
  std::vector<IndexEntry> entries;             // in index order, one per path
  std::unordered_set<std::string> tracked;     // root-relative paths in the index
  std::unordered_set<std::string> submodules;  // root-relative gitlink paths
  std::unordered_set<std::string> sparse;      // root-relative skip-worktree paths

  bool IsIgnored(const std::string& rel) const {
    int ignored = 0;
    if (git_ignore_path_is_ignored(&ignored, repo.get(), (prefix + rel).c_str()) != 0) return false;
    return ignored != 0;
  }
};

// The scan of one root: enumeration (single-threaded, deterministic), then per-file work.
class Scanner {
 public:
  Scanner(std::string root, const ScanOptions& options, const PathFilter& filter)
      : root_(std::move(root)), options_(options), filter_(filter) {}

  // Opens the repository holding the root, if any; false: walk the filesystem.
  bool OpenGit();
  // Fills candidates_ from the index (git mode) and the walk.
  void Enumerate();
  RepoScan Finish(bool is_git);
  // The diff-based scan of a git work tree (OpenGit succeeded): nullopt when it cannot give
  // what a full scan gives (repo_scan.h), and the caller scans everything instead.
  std::optional<RepoScan> ScanChanged(const GitRange& range);

 private:
  void AddDiagnostic(std::string_view path, const char* code, std::string message) {
    diagnostics_.push_back({EscapeInvalidUtf8(path), code, std::move(message)});
  }
  // Checks a name found on disk or in the index; false (with a diagnostic when `report`) if it
  // cannot be scanned.
  bool CheckName(std::string_view rel, std::string_view name, bool report);
  // Reads the index into git_->entries and its path sets.
  void ReadIndex();
  // Makes candidates of the index entries (only those in `wanted` unless it is null).
  void AddIndexEntries(const std::unordered_set<std::string>* wanted);
  // The root-relative paths the git range names (renames as two paths), sorted, unique.
  std::vector<std::string> ChangedPaths(const GitRange& range) const;
  // Whether the walk would reach the directory of `rel`: every ancestor is a directory it
  // descends (with the walk's diagnostics for the one it stops at).
  bool WalkReaches(std::string_view rel);
  std::string AbsPath(std::string_view rel) const {
    return root_ == "/" ? "/" + std::string(rel) : root_ + "/" + std::string(rel);
  }
  // The outcomes of the candidates (in path order, once each) merged with `kept`; nullopt
  // when max_files would cut the list.
  std::optional<RepoScan> FinishMerged(std::vector<ScannedFile> kept);
  void Walk(const std::string& abs, const std::string& rel, int depth);
  // `type`: readdir's d_type when known (DT_REG: a regular file, no stat needed to walk on).
  void WalkEntry(const std::string& abs_dir, const std::string& rel_dir, const std::string& name,
                 int depth, unsigned char type = DT_UNKNOWN);
  bool Inside(std::string_view real) const {
    return real == root_ ||
           (real.size() > root_.size() && real[root_.size()] == '/' &&
            real.substr(0, root_.size()) == root_) ||
           root_ == "/";
  }
  Outcome Process(const Candidate& c) const;
  void Hash(int fd, const struct stat& st, const Candidate& c, Outcome* out) const;
  // realpath(3) of `abs`, which is not a symbolic link itself: its directory's (resolved once
  // per directory: realpath checks every component) plus the name. nullopt with errno set.
  std::optional<std::string> RealPath(const std::string& abs) const;

  const std::string root_;  // canonical, absolute
  const ScanOptions& options_;
  const PathFilter& filter_;
  std::optional<GitContext> git_;
  std::vector<Candidate> candidates_;
  std::vector<ScanDiagnostic> diagnostics_;
  std::vector<std::pair<dev_t, ino_t>> ancestors_;  // directories on the current walk path
  int64_t directories_ = 0;
  bool directory_budget_reported_ = false;
  mutable std::mutex real_dirs_mu_;
  mutable std::unordered_map<std::string, std::string> real_dirs_;  // resolved directories
};

bool Scanner::OpenGit() {
  git_repository* raw = nullptr;
  const int rc = git_repository_open_ext(&raw, root_.c_str(), 0, nullptr);
  RepositoryPtr repo(raw);
  if (rc == GIT_ENOTFOUND) return false;
  if (rc != 0) {
    AddDiagnostic(
        "", scan_code::kGitError,
        "cannot open the git repository (walking the filesystem instead): " + GitErrorMessage());
    return false;
  }
  const char* workdir = git_repository_workdir(repo.get());
  if (git_repository_is_bare(repo.get()) || workdir == nullptr) return false;
  char* real = ::realpath(workdir, nullptr);
  if (real == nullptr) return false;
  std::string top(real);
  std::free(real);
  std::string prefix;
  if (root_ != top) {
    if (top != "/" && (root_.size() <= top.size() || root_.compare(0, top.size(), top) != 0 ||
                       root_[top.size()] != '/')) {
      return false;  // e.g. the root is the .git directory of a repository elsewhere
    }
    prefix = root_.substr(top == "/" ? 1 : top.size() + 1) + "/";
    if (prefix == ".git/" || prefix.compare(0, 5, ".git/") == 0) return false;
    // A directory the enclosing repository ignores (a virtualenv, a pyenv version, a build
    // tree) has nothing tracked: its files are what the user asked for, so walk it.
    int ignored = 0;
    if (git_ignore_path_is_ignored(&ignored, repo.get(), prefix.c_str()) == 0 && ignored != 0) {
      AddDiagnostic("", scan_code::kGitIgnoredRoot,
                    "the directory is ignored by the git repository at " + top +
                        "; walking the filesystem instead");
      return false;
    }
  }
  git_.emplace();
  git_->repo = std::move(repo);
  git_->prefix = std::move(prefix);
  return true;
}

bool Scanner::CheckName(std::string_view rel, std::string_view name, bool report) {
  if (!IsValidUtf8(name)) {
    if (report) AddDiagnostic(rel, scan_code::kNotUtf8Name, "the name is not valid UTF-8");
    return false;
  }
  if (HasControlCharacter(name) || name.empty() || name == "." || name == "..") {
    if (report) {
      AddDiagnostic(rel, scan_code::kHostileName,
                    "the name is empty, `.`, `..` or contains a control character");
    }
    return false;
  }
  return true;
}

void Scanner::ReadIndex() {
  git_index* raw = nullptr;
  if (git_repository_index(&raw, git_->repo.get()) != 0) {
    throw IoError("cannot read the git index of " + root_ + ": " + GitErrorMessage());
  }
  IndexPtr index(raw);
  const std::string& prefix = git_->prefix;
  const size_t n = git_index_entrycount(index.get());
  for (size_t i = 0; i < n; ++i) {
    const git_index_entry* e = git_index_get_byindex(index.get(), i);
    if (e == nullptr || e->path == nullptr) continue;
    const std::string_view full = e->path;
    if (full.compare(0, prefix.size(), prefix) != 0) continue;
    std::string rel(full.substr(prefix.size()));
    // Conflicted paths appear once per stage; the first is enough.
    if (!git_->tracked.insert(rel).second) continue;
    const bool skip_worktree = (e->flags_extended & GIT_INDEX_ENTRY_SKIP_WORKTREE) != 0;
    if (e->mode == GIT_FILEMODE_COMMIT) git_->submodules.insert(rel);
    if (skip_worktree) git_->sparse.insert(rel);
    git_->entries.push_back({std::move(rel), e->mode, skip_worktree});
  }
}

void Scanner::AddIndexEntries(const std::unordered_set<std::string>* wanted) {
  for (const IndexEntry& e : git_->entries) {
    const std::string& rel = e.rel;
    if (wanted != nullptr && !wanted->count(rel)) continue;
    if (e.mode == GIT_FILEMODE_COMMIT) {
      if (!filter_.ExcludesDirectory(rel)) {
        AddDiagnostic(rel, scan_code::kSubmodule, "a git submodule: not scanned");
      }
      continue;
    }
    if (e.skip_worktree) continue;  // sparse checkout
    const std::string_view name = BaseName(rel);
    const bool by_extension = HasPythonExtension(name);
    if (!by_extension && !HasNoExtension(name)) continue;
    bool ok = true;
    std::string_view rest = rel;
    while (ok) {  // every segment must be a sane name
      const size_t slash = rest.find('/');
      ok = CheckName(rel, rest.substr(0, slash), by_extension);
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash + 1);
    }
    if (!ok || !filter_.AcceptsFile(rel)) continue;
    candidates_.push_back({rel, true, by_extension, e.mode == GIT_FILEMODE_LINK});
  }
}

void Scanner::Enumerate() {
  if (git_) {
    ReadIndex();
    AddIndexEntries(nullptr);
  }
  struct stat st;
  if (::stat(root_.c_str(), &st) != 0) throw IoError("cannot stat " + root_);
  ancestors_.emplace_back(st.st_dev, st.st_ino);
  Walk(root_, "", 0);
  ancestors_.pop_back();
}

void Scanner::Walk(const std::string& abs, const std::string& rel, int depth) {
  DIR* dir = ::opendir(abs.c_str());
  if (dir == nullptr) {
    AddDiagnostic(rel, scan_code::kUnreadable,
                  std::string("cannot open the directory: ") + std::strerror(errno));
    return;
  }
  std::vector<std::pair<std::string, unsigned char>> names;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    if (name != "." && name != "..") names.emplace_back(name, d->d_type);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  for (const auto& [name, type] : names) WalkEntry(abs, rel, name, depth, type);
}

void Scanner::WalkEntry(const std::string& abs_dir, const std::string& rel_dir,
                        const std::string& name, int depth, unsigned char type) {
  const std::string abs = abs_dir + "/" + name;
  const std::string rel = JoinPath(rel_dir, name);
  struct stat st;
  if (type == DT_REG) {
    // A regular file: not stat-ed here (a candidate is, when processed; most files are not
    // candidates).
    st = {};
    st.st_mode = S_IFREG;
  } else if (::lstat(abs.c_str(), &st) != 0) {
    if (errno != ENOENT) {  // ENOENT: vanished since readdir
      AddDiagnostic(rel, scan_code::kUnreadable,
                    std::string("cannot stat: ") + std::strerror(errno));
    }
    return;
  }
  const bool is_link = S_ISLNK(st.st_mode);
  if (is_link && ::stat(abs.c_str(), &st) != 0) {
    const int err = errno;
    if (!filter_.AcceptsFile(rel) || (git_ && git_->tracked.count(rel))) return;
    if (git_ && git_->IsIgnored(rel)) return;
    if (err == ELOOP) {
      AddDiagnostic(rel, scan_code::kSymlinkLoop, "symbolic link loop");
    } else if (err == ENOENT || err == ENOTDIR) {
      AddDiagnostic(rel, scan_code::kBrokenSymlink, "the symbolic link's target does not exist");
    } else {
      AddDiagnostic(rel, scan_code::kUnreadable, std::string("cannot stat: ") + std::strerror(err));
    }
    return;
  }

  if (S_ISDIR(st.st_mode)) {
    if (filter_.PrunesDirectory(rel, name)) return;
    if (git_ && (git_->submodules.count(rel) || git_->IsIgnored(rel))) return;
    if (!CheckName(rel, name, true)) return;
    if (git_ && !is_link && ::access((abs + "/.git").c_str(), F_OK) == 0) {
      AddDiagnostic(rel, scan_code::kSubmodule, "a nested git repository: not scanned");
      return;
    }
    if (is_link) {
      if (!options_.follow_symlinks || git_) {
        AddDiagnostic(rel, scan_code::kSymlink,
                      git_ ? "a symbolic link to a directory: git records the link only"
                           : "a symbolic link to a directory: not followed");
        return;
      }
      char* real = ::realpath(abs.c_str(), nullptr);
      if (real == nullptr) {
        AddDiagnostic(rel, scan_code::kUnreadable,
                      std::string("cannot resolve the symbolic link: ") + std::strerror(errno));
        return;
      }
      const std::string target(real);
      std::free(real);
      if (!Inside(target)) {
        AddDiagnostic(rel, scan_code::kHostileName,
                      "the symbolic link resolves outside the root: " + target);
        return;
      }
      const auto id = std::make_pair(st.st_dev, st.st_ino);
      if (std::find(ancestors_.begin(), ancestors_.end(), id) != ancestors_.end()) {
        AddDiagnostic(rel, scan_code::kSymlinkLoop,
                      "the symbolic link points to a directory that contains it: " + target);
        return;
      }
    }
    if (depth + 1 > kMaxDepth) {
      AddDiagnostic(rel, scan_code::kLimitWalk,
                    "deeper than " + std::to_string(kMaxDepth) + " directories: not scanned");
      return;
    }
    if (++directories_ > kMaxDirectories) {
      if (!directory_budget_reported_) {
        AddDiagnostic(rel, scan_code::kLimitWalk,
                      "more than " + std::to_string(kMaxDirectories) +
                          " directories: the rest of the walk is skipped");
        directory_budget_reported_ = true;
      }
      return;
    }
    ancestors_.emplace_back(st.st_dev, st.st_ino);
    Walk(abs, rel, depth + 1);
    ancestors_.pop_back();
    return;
  }

  const bool by_extension = HasPythonExtension(name);
  if (!by_extension && !HasNoExtension(name)) return;
  if (git_ && git_->tracked.count(rel)) return;  // listed from the index
  if (!filter_.AcceptsFile(rel)) return;
  if (git_ && git_->IsIgnored(rel)) return;
  if (!CheckName(rel, name, by_extension)) return;
  candidates_.push_back({rel, false, by_extension, false});
}

// Reads up to `size` bytes, retrying short reads; returns the count or -1.
ssize_t ReadFully(int fd, char* buf, size_t size) {
  size_t total = 0;
  while (total < size) {
    const ssize_t n = ::read(fd, buf + total, size - total);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    total += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(total);
}

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

std::optional<std::string> Scanner::RealPath(const std::string& abs) const {
  const size_t slash = abs.rfind('/');
  const std::string dir = slash == 0 ? "/" : abs.substr(0, slash);
  std::string real_dir;
  {
    std::lock_guard<std::mutex> lock(real_dirs_mu_);
    auto it = real_dirs_.find(dir);
    if (it != real_dirs_.end()) real_dir = it->second;
  }
  if (real_dir.empty()) {
    char* resolved = ::realpath(dir.c_str(), nullptr);
    if (resolved == nullptr) return std::nullopt;
    real_dir = resolved;
    std::free(resolved);
    std::lock_guard<std::mutex> lock(real_dirs_mu_);
    real_dirs_.emplace(dir, real_dir);
  }
  return (real_dir == "/" ? "" : real_dir) + abs.substr(slash);
}

Outcome Scanner::Process(const Candidate& c) const {
  Outcome out;
  const auto diag = [&](const char* code, std::string message) {
    out.diagnostics.push_back({c.path, code, std::move(message)});
  };
  const std::string abs = root_ == "/" ? "/" + c.path : root_ + "/" + c.path;
  struct stat lst;
  if (::lstat(abs.c_str(), &lst) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      if (c.is_tracked) diag(scan_code::kMissing, "in the git index but not in the work tree");
    } else {
      diag(scan_code::kUnreadable, std::string("cannot stat: ") + std::strerror(errno));
    }
    return out;
  }
  const bool is_link = S_ISLNK(lst.st_mode);
  struct stat st = lst;
  if (is_link && ::stat(abs.c_str(), &st) != 0) {
    if (errno == ELOOP) {
      diag(scan_code::kSymlinkLoop, "symbolic link loop");
    } else {
      diag(scan_code::kBrokenSymlink, "the symbolic link's target does not exist");
    }
    return out;
  }
  if (c.index_symlink && !is_link) {
    // core.symlinks=false: the work tree holds the link's target path as a plain file.
    if (c.by_extension) diag(scan_code::kSymlink, "git records a symbolic link here");
    return out;
  }
  if (is_link && !options_.follow_symlinks) {
    if (c.by_extension) diag(scan_code::kSymlink, "a symbolic link: not followed");
    return out;
  }
  std::optional<std::string> real = is_link ? std::nullopt : RealPath(abs);
  if (!real && is_link) {
    char* resolved = ::realpath(abs.c_str(), nullptr);
    if (resolved != nullptr) {
      real = resolved;
      std::free(resolved);
    }
  }
  if (!real) {
    diag(errno == ELOOP ? scan_code::kSymlinkLoop : scan_code::kUnreadable,
         std::string("cannot resolve the path: ") + std::strerror(errno));
    return out;
  }
  const std::string& target = *real;
  if (!Inside(target)) {
    diag(scan_code::kHostileName, "the path resolves outside the root: " + target);
    return out;
  }
  if (!options_.follow_symlinks && target != abs) {
    // A directory on the path is a symbolic link (a tracked file below a replaced directory).
    if (c.by_extension) diag(scan_code::kSymlink, "a directory on the path is a symbolic link");
    return out;
  }
  if (!S_ISREG(st.st_mode)) {
    if (c.by_extension) diag(scan_code::kNotRegular, "not a regular file");
    return out;
  }
  // A file the previous build recorded with this size and mtime keeps its recorded hash
  // (stat first, hash only when they differ): it is not opened at all.
  const bool too_large =
      options_.max_file_bytes >= 0 && st.st_size > options_.max_file_bytes;  // reported below
  if (c.by_extension && !too_large && options_.previous != nullptr) {
    auto known = options_.previous->find(c.path);
    const int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (known != options_.previous->end() && known->second.size == st.st_size &&
        known->second.mtime_ns == mtime && known->second.encoding == "utf-8" &&
        known->second.sha256.size() == 64) {
      ScannedFile f;
      f.path = c.path;
      f.size = st.st_size;
      f.mtime_ns = mtime;
      f.sha256 = known->second.sha256;
      f.encoding = known->second.encoding;
      f.is_tracked = c.is_tracked;
      out.file = std::move(f);
      return out;
    }
  }
  const int fd = ::open(
      abs.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | (options_.follow_symlinks ? 0 : O_NOFOLLOW));
  if (fd < 0) {
    if (c.by_extension)
      diag(scan_code::kUnreadable, std::string("cannot open: ") + std::strerror(errno));
    return out;
  }
  FdCloser closer{fd};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (c.by_extension) diag(scan_code::kNotRegular, "not a regular file");
    return out;
  }
  if (c.by_extension && options_.max_file_bytes >= 0 && st.st_size > options_.max_file_bytes) {
    diag(scan_code::kTooLarge, std::to_string(st.st_size) + " bytes, more than max_file_bytes (" +
                                   std::to_string(options_.max_file_bytes) + ")");
    return out;  // not read at all
  }
  Hash(fd, st, c, &out);
  return out;
}

void Scanner::Hash(int fd, const struct stat& st, const Candidate& c, Outcome* out) const {
  const auto diag = [&](const char* code, std::string message) {
    out->diagnostics.push_back({c.path, code, std::move(message)});
  };
  std::string buf(kReadChunk, '\0');
  ssize_t n = ReadFully(fd, buf.data(), buf.size());
  if (n < 0) {
    if (c.by_extension)
      diag(scan_code::kUnreadable, std::string("cannot read: ") + std::strerror(errno));
    return;
  }
  const std::string_view head(buf.data(), static_cast<size_t>(n));
  if (!c.by_extension && !internal::IsPythonShebang(head)) return;
  const int64_t limit = options_.max_file_bytes;
  const auto too_large = [&](int64_t size) {
    diag(scan_code::kTooLarge,
         std::to_string(size) + " bytes, more than max_file_bytes (" + std::to_string(limit) + ")");
  };
  if (limit >= 0 && static_cast<int64_t>(st.st_size) > limit) return too_large(st.st_size);
  if (std::memchr(head.data(), '\0', std::min(head.size(), kBinaryWindow)) != nullptr) {
    diag(scan_code::kBinary, "a NUL byte in the first 8 KiB: binary, not Python source");
    return;
  }
  const internal::SourceEncoding enc = internal::DetectSourceEncoding(head);
  if (!enc.known) {
    diag(scan_code::kUnknownEncoding, "the coding cookie names no known codec: " + enc.cookie);
  }
  if (enc.conflict) {
    diag(scan_code::kEncodingConflict,
         "a UTF-8 byte order mark with a coding cookie for " + enc.cookie);
  }

  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw InternalError("cannot initialise SHA-256");
  }
  int64_t total = 0;
  while (n > 0) {
    total += n;
    if (limit >= 0 && total > limit) return too_large(total);  // grew while being read
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
    n = ReadFully(fd, buf.data(), buf.size());
    if (n < 0) {
      diag(scan_code::kUnreadable, std::string("cannot read: ") + std::strerror(errno));
      return;
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &digest_len);
  static constexpr char kHex[] = "0123456789abcdef";
  ScannedFile f;
  f.path = c.path;
  f.size = total;
  f.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  f.sha256.reserve(2 * digest_len);
  for (unsigned int i = 0; i < digest_len; ++i) {
    f.sha256.push_back(kHex[digest[i] >> 4]);
    f.sha256.push_back(kHex[digest[i] & 15]);
  }
  f.encoding = enc.encoding;
  f.is_tracked = c.is_tracked;
  f.by_shebang = !c.by_extension;
  out->file = std::move(f);
}

RepoScan Scanner::Finish(bool is_git) {
  std::sort(candidates_.begin(), candidates_.end(),
            [](const Candidate& a, const Candidate& b) { return a.path < b.path; });
  RepoScan scan;
  scan.root = root_;
  scan.is_git = is_git;
  const int threads = options_.threads > 0 ? options_.threads : DefaultThreads();
  const int64_t limit = options_.max_files;
  const size_t n = candidates_.size();
  // Candidates are processed in path order, in chunks when max_files is set so that files
  // past the limit are mostly not hashed. Each outcome depends on its file only, so the
  // result does not depend on chunk sizes or the thread count.
  std::vector<Outcome> outcomes(n);
  size_t cut = n;  // candidates from here on are past max_files
  int64_t accepted = 0;
  for (size_t done = 0; done < n && cut == n;) {
    const size_t chunk =
        limit < 0 ? n - done : std::max<size_t>(256, static_cast<size_t>(limit - accepted));
    const size_t end = std::min(n, done + chunk);
    ParallelFor(end - done, threads,
                [&](size_t i) { outcomes[done + i] = Process(candidates_[done + i]); });
    for (size_t i = done; i < end; ++i) {
      if (!outcomes[i].file) continue;
      if (limit >= 0 && accepted == limit) {
        cut = i;
        break;
      }
      ++accepted;
    }
    done = end;
  }
  for (size_t i = 0; i < cut; ++i) {
    if (outcomes[i].file) scan.files.push_back(std::move(*outcomes[i].file));
    for (ScanDiagnostic& d : outcomes[i].diagnostics) diagnostics_.push_back(std::move(d));
  }
  if (cut < n) {
    AddDiagnostic("", scan_code::kLimitMaxFiles,
                  "max_files (" + std::to_string(limit) + ") reached at " + candidates_[cut].path +
                      ": it and up to " + std::to_string(n - cut - 1) +
                      " later candidate files are not scanned");
  }
  scan.diagnostics = std::move(diagnostics_);
  SortDiagnostics(&scan.diagnostics);
  return scan;
}

// The tree a revision names; InvalidInput when it names none.
ObjectPtr RevisionTree(git_repository* repo, const std::string& revision) {
  git_object* raw = nullptr;
  if (git_revparse_single(&raw, repo, revision.c_str()) != 0) {
    throw InvalidInput("git revision `" + revision + "` not found: " + GitErrorMessage());
  }
  const ObjectPtr object(raw);
  git_object* tree = nullptr;
  if (git_object_peel(&tree, object.get(), GIT_OBJECT_TREE) != 0) {
    throw InvalidInput("git revision `" + revision +
                       "` names no commit or tree: " + GitErrorMessage());
  }
  return ObjectPtr(tree);
}

std::vector<std::string> Scanner::ChangedPaths(const GitRange& range) const {
  git_repository* repo = git_->repo.get();
  const ObjectPtr base = RevisionTree(repo, range.base);
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  // A submodule counts when its commit changes, not when its work tree is dirty.
  opts.ignore_submodules = GIT_SUBMODULE_IGNORE_DIRTY;
  // Only the root's subtree: a literal path, so that glob characters in it are not patterns.
  std::string subtree = git_->prefix.empty() ? "" : git_->prefix.substr(0, git_->prefix.size() - 1);
  char* specs[] = {subtree.data()};
  if (!subtree.empty()) {
    opts.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH;
    opts.pathspec.strings = specs;
    opts.pathspec.count = 1;
  }
  git_diff* raw = nullptr;
  int rc = 0;
  // (libgit2 hands out trees as objects: a git_object of type tree is a git_tree.)
  auto* base_tree = reinterpret_cast<git_tree*>(base.get());
  if (range.head) {
    const ObjectPtr head = RevisionTree(repo, *range.head);
    rc = git_diff_tree_to_tree(&raw, repo, base_tree, reinterpret_cast<git_tree*>(head.get()),
                               &opts);
  } else {
    opts.flags |= GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS;
    rc = git_diff_tree_to_workdir_with_index(&raw, repo, base_tree, &opts);
  }
  const DiffPtr diff(raw);
  if (rc != 0)
    throw IoError("cannot diff the git work tree of " + root_ + ": " + GitErrorMessage());
  std::vector<std::string> paths;
  const size_t n = git_diff_num_deltas(diff.get());
  for (size_t i = 0; i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    for (const char* path : {d->old_file.path, d->new_file.path}) {
      if (path == nullptr) continue;
      std::string_view full = path;
      if (full.compare(0, git_->prefix.size(), git_->prefix) != 0) continue;
      full.remove_prefix(git_->prefix.size());
      while (!full.empty() && full.back() == '/') full.remove_suffix(1);  // an untracked dir
      if (!full.empty()) paths.emplace_back(full);
    }
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

bool Scanner::WalkReaches(std::string_view rel) {
  for (size_t start = 0, slash, depth = 0; (slash = rel.find('/', start)) != std::string_view::npos;
       start = slash + 1, ++depth) {
    const std::string dir(rel.substr(0, slash));
    const std::string_view name = rel.substr(start, slash - start);
    // As WalkEntry descends a directory.
    if (filter_.PrunesDirectory(dir, name)) return false;
    if (git_->submodules.count(dir) || git_->IsIgnored(dir)) return false;
    if (!CheckName(dir, name, true)) return false;
    const std::string abs = AbsPath(dir);
    struct stat st;
    if (::lstat(abs.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
    if (::access((abs + "/.git").c_str(), F_OK) == 0) {
      AddDiagnostic(dir, scan_code::kSubmodule, "a nested git repository: not scanned");
      return false;
    }
    if (static_cast<int>(depth) + 1 > kMaxDepth) {
      AddDiagnostic(dir, scan_code::kLimitWalk,
                    "deeper than " + std::to_string(kMaxDepth) + " directories: not scanned");
      return false;
    }
  }
  return true;
}

std::optional<RepoScan> Scanner::ScanChanged(const GitRange& range) {
  const std::map<std::string, PreviousFile>& previous = *options_.previous;
  static const std::vector<ScanDiagnostic> kNone;
  const std::vector<ScanDiagnostic>& previous_diagnostics =
      options_.previous_diagnostics ? *options_.previous_diagnostics : kNone;
  std::vector<std::string> changed = ChangedPaths(range);  // resolves (and checks) the range
  // Diagnostics the diff cannot bring up to date, and a list max_files cut: scan everything.
  const int64_t limit = options_.max_files;
  if (limit >= 0 && static_cast<int64_t>(previous.size()) >= limit) return std::nullopt;
  for (const ScanDiagnostic& d : previous_diagnostics) {
    if (d.path.empty() || d.code == scan_code::kLimitWalk || d.code == scan_code::kNotUtf8Name ||
        d.code == scan_code::kLimitMaxFiles) {
      return std::nullopt;
    }
  }
  ReadIndex();
  // Processed again: the named paths, the previous files the index does not vouch for and
  // the paths of the previous diagnostics.
  std::unordered_set<std::string> named(changed.begin(), changed.end());
  std::vector<ScannedFile> kept;
  for (const auto& [path, known] : previous) {
    if (named.count(path)) continue;
    if (!git_->tracked.count(path) || git_->sparse.count(path) || git_->submodules.count(path)) {
      named.insert(path);
      continue;
    }
    if (!filter_.AcceptsFile(path)) continue;
    ScannedFile f;
    f.path = path;
    f.size = known.size;
    f.mtime_ns = known.mtime_ns;
    f.sha256 = known.sha256;
    f.encoding = known.encoding;
    f.is_tracked = true;
    f.by_shebang = !HasPythonExtension(BaseName(path));
    kept.push_back(std::move(f));
  }
  for (const ScanDiagnostic& d : previous_diagnostics) named.insert(d.path);
  // Tracked paths as the index listing makes candidates of them, the others as the walk does.
  AddIndexEntries(&named);
  std::vector<std::string> untracked;
  for (const std::string& rel : named) {
    if (!git_->tracked.count(rel)) untracked.push_back(rel);
  }
  std::sort(untracked.begin(), untracked.end());  // diagnostics in a stable order
  struct stat st;
  if (::stat(root_.c_str(), &st) != 0) throw IoError("cannot stat " + root_);
  ancestors_.emplace_back(st.st_dev, st.st_ino);
  for (const std::string& rel : untracked) {
    if (!WalkReaches(rel)) continue;
    const size_t slash = rel.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : rel.substr(0, slash);
    const std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
    WalkEntry(dir.empty() ? root_ : AbsPath(dir), dir, name,
              static_cast<int>(std::count(rel.begin(), rel.end(), '/')));
  }
  ancestors_.pop_back();
  return FinishMerged(std::move(kept));
}

std::optional<RepoScan> Scanner::FinishMerged(std::vector<ScannedFile> kept) {
  const auto by_path = [](const Candidate& a, const Candidate& b) { return a.path < b.path; };
  std::sort(candidates_.begin(), candidates_.end(), by_path);
  candidates_.erase(
      std::unique(candidates_.begin(), candidates_.end(),
                  [](const Candidate& a, const Candidate& b) { return a.path == b.path; }),
      candidates_.end());
  std::vector<Outcome> outcomes(candidates_.size());
  ParallelFor(candidates_.size(), options_.threads > 0 ? options_.threads : DefaultThreads(),
              [&](size_t i) { outcomes[i] = Process(candidates_[i]); });
  RepoScan scan;
  scan.root = root_;
  scan.is_git = true;
  scan.git_diff = true;
  scan.files.reserve(kept.size() + outcomes.size());
  auto k = kept.begin();  // sorted: it comes from a map
  for (Outcome& o : outcomes) {
    for (ScanDiagnostic& d : o.diagnostics) diagnostics_.push_back(std::move(d));
    if (!o.file) continue;
    for (; k != kept.end() && k->path < o.file->path; ++k) scan.files.push_back(std::move(*k));
    if (k != kept.end() && k->path == o.file->path) ++k;  // (not expected: kept is tracked)
    scan.files.push_back(std::move(*o.file));
  }
  for (; k != kept.end(); ++k) scan.files.push_back(std::move(*k));
  if (options_.max_files >= 0 && static_cast<int64_t>(scan.files.size()) > options_.max_files) {
    return std::nullopt;
  }
  scan.diagnostics = std::move(diagnostics_);
  SortDiagnostics(&scan.diagnostics);
  // A directory's diagnostic may come from the walk and from several paths below it.
  scan.diagnostics.erase(std::unique(scan.diagnostics.begin(), scan.diagnostics.end(),
                                     [](const ScanDiagnostic& a, const ScanDiagnostic& b) {
                                       return a.path == b.path && a.code == b.code &&
                                              a.message == b.message;
                                     }),
                         scan.diagnostics.end());
  return scan;
}

// The canonical absolute root; NotFound / InvalidInput / IoError as documented.
std::string CanonicalRoot(const std::string& root) {
  if (root.empty()) throw InvalidInput("the repository root is an empty path");
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) throw NotFound("repository root not found: " + root);
    throw IoError("cannot stat the repository root " + root + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) throw InvalidInput("the repository root is not a directory: " + root);
  char* real = ::realpath(root.c_str(), nullptr);
  if (real == nullptr) {
    throw IoError("cannot resolve the repository root " + root + ": " + std::strerror(errno));
  }
  std::string out(real);
  std::free(real);
  return out;
}

// The output directory relative to the root, or nullopt if it lies outside the root.
std::optional<std::string> OutputDirInRoot(const std::string& root, const ScanOptions& options) {
  namespace fs = std::filesystem;
  fs::path p = options.output_dir ? fs::path(*options.output_dir) : fs::path(".cpglake");
  if (p.is_relative()) p = fs::path(root) / p;
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(p, ec);
  if (ec) canonical = p.lexically_normal();
  const fs::path rel = canonical.lexically_relative(root);
  const std::string s = rel.generic_string();
  if (s.empty() || s == ".." || s.compare(0, 3, "../") == 0) return std::nullopt;
  if (s == ".") throw InvalidInput("the output directory is the repository root: " + root);
  return s;
}

// Whether `dir` (canonical) or a directory above it has a `.git` entry (a directory, or the
// file of a linked work tree or submodule): without one there is no work tree to open, and
// libgit2 is not even initialised (its TLS set-up parses the system's CA certificates: ~10 ms,
// a twentieth of a one-file incremental build).
bool MayBeInGitWorkTree(const std::string& dir) {
  std::error_code ec;
  for (std::filesystem::path p(dir);; p = p.parent_path()) {
    if (std::filesystem::exists(std::filesystem::symlink_status(p / ".git", ec))) return true;
    if (p == p.parent_path()) return false;
  }
}

}  // namespace

RepoScan ScanRepository(const std::string& root, const ScanOptions& options) {
  const std::string canonical = CanonicalRoot(root);
  const PathFilter filter(options, OutputDirInRoot(canonical, options));
  const bool maybe_git = options.use_git && MayBeInGitWorkTree(canonical);
  std::optional<GitLibrary> git_library;  // outlives the scanner's repository handle
  if (maybe_git) git_library.emplace();
  if (options.git_range && options.previous != nullptr) {
    const char* flag = options.git_range->head ? "--git-base/--git-head" : "--since";
    if (!options.use_git) {
      throw InvalidInput(std::string(flag) + " needs git, but the scan does not use it (use_git)");
    }
    Scanner changed(canonical, options, filter);
    if (!maybe_git || !changed.OpenGit()) {
      throw InvalidInput(std::string(flag) + " needs a git work tree: " + canonical +
                         " is not in one");
    }
    if (std::optional<RepoScan> scan = changed.ScanChanged(*options.git_range)) return *scan;
  }
  Scanner scanner(canonical, options, filter);
  const bool is_git = maybe_git && scanner.OpenGit();
  scanner.Enumerate();
  return scanner.Finish(is_git);
}

}  // namespace cpglake::pipeline
