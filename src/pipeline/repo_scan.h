// pipeline/ — the build pipeline: repository scan → snapshot diff → impact set → extract →
// resolve → emit → commit. It may call every module below it (cpg/, python/, delta/, ...).
//
// This header: step 1, the repository scan. It lists the Python source files of a directory
// tree with their size, mtime, SHA-256 and source encoding; the result becomes the rows of
// the `repo_files` table (CPG_MODEL.md; `file_id` is derived from `path` by the caller).
//
// Which files:
//   * Git mode (use_git and the root is, or is inside, a libgit2 work tree): the files of the
//     index under the root (`is_tracked` = true) plus the untracked files that are not ignored
//     (.gitignore files, .git/info/exclude, core.excludesFile, as libgit2 applies them).
//     Submodules, nested repositories and skip-worktree (sparse) entries are not scanned; a
//     tracked file missing from the work tree is reported (MISSING). If libgit2 cannot open
//     the repository (e.g. it belongs to another user) the scan walks instead (GIT_ERROR); a
//     root that the enclosing repository ignores (a virtualenv, a pyenv version directory) is
//     walked too (GIT_IGNORED_ROOT): nothing in it is tracked, and its files are what was asked.
//   * Otherwise a filesystem walk (`is_tracked` = false).
//   A file is Python if its name ends in `.py`, `.pyi` or `.pyw` (case-sensitive), or if it has
//   no extension (Python's `os.path.splitext` rule) and its first line is a shebang naming
//   python, python3 or pythonX.Y (directly or via `env`, e.g. `#!/usr/bin/env python3`).
//
// Filters, in order (all match the root-relative POSIX path; they apply in git mode too, so a
// tracked `build/x.py` is dropped as well):
//   1. default excluded directory names, anywhere below the root (`default_excluded_dirs`;
//      `.git` is always excluded);
//   2. the output directory (`output_dir`, default `<root>/.cpglake`) if it lies in the root;
//   3. `include`: when non-empty, a file must match one of its patterns;
//   4. `exclude`: a file matching any pattern is dropped (exclude wins over include).
//   Filtered files are dropped silently. Then `max_files` keeps the first N listed files by
//   path (files with a diagnostic instead do not count) and one LIMIT_MAX_FILES diagnostic
//   says where it cut.
//
// Glob syntax (`include`, `exclude`): `*` any run of characters except `/`, `?` one character
// (a UTF-8 code point) except `/`, `[abc]` `[a-z]` `[!a-z]` `[^a-z]` a class, `\x` a literal
// x, and `**` as a whole segment any number (also zero) of segments. A pattern containing a
// `/` is anchored at the root (a leading `/` or `./` is ignored); a pattern without one
// matches any single segment (a directory name or the file name), like .gitignore. A pattern
// matches a file when it matches the file's path or the path of one of its directories, so
// `tests` and `src/legacy` exclude whole directories. A trailing `/` matches directories
// only. Malformed patterns (empty, unterminated `[`) throw InvalidInput.
//
// Symbolic links are not followed unless `follow_symlinks`. Unfollowed links that look like
// Python files or point to directories, broken links, loops and links (followed or not) that
// resolve outside the root are reported as diagnostics and skipped; nothing outside the root
// is ever read. When following, a linked file or directory is listed under the link's path
// (an alias: the target may also be listed under its own path), a link to one of its own
// ancestors is a loop, and the walk has depth and size budgets. In git mode, links to
// directories are never descended (git stores the link, not the tree behind it).
//
// Content, per file (in parallel, one pass): SHA-256 of the bytes (OpenSSL EVP), size and
// mtime from the open descriptor, and the encoding: a UTF-8 BOM gives "utf-8-sig"; otherwise
// a PEP 263 cookie on line 1, or on line 2 when line 1 is blank or a comment (CPython's
// tokenizer rule), names the codec, normalised (see NormalizeEncodingName); otherwise
// "utf-8". A cookie naming no codec CPython accepts for source gives the lowercased cookie
// plus UNKNOWN_ENCODING; a BOM with a non-UTF-8 cookie gives "utf-8-sig" plus
// ENCODING_CONFLICT (CPython refuses both files; they are still listed, to be parsed as
// best we can). A file with a NUL byte in its first 8 KiB is binary: reported, not listed.
// A file larger than `max_file_bytes` is reported (TOO_LARGE), not listed and not hashed.
//
// Diagnostics (ScanDiagnostic, codes in scan_code) replace a listed file; a few
// (UNKNOWN_ENCODING, ENCODING_CONFLICT) accompany one. To keep them meaningful they are raised
// for names that look like Python (.py/.pyi/.pyw), for extensionless files whose shebang was
// read and names Python, for directories (unreadable, bad name, link not followed or leaving
// the root), and for every broken link or link loop; other files are skipped silently.
// Names that are not UTF-8, contain control characters, or are `.`/`..`/empty (a crafted
// index) are reported and skipped, with everything below them. Paths longer than PATH_MAX
// are UNREADABLE; the walk stops 256 directories deep and after 1,000,000 directories
// (LIMIT_WALK).
//
// Determinism: `files` sorted bytewise by path and `diagnostics` sorted by (path, code,
// message) are identical for any thread count.
//
// Change detection from git (`git_range` with `previous`: `cpglake build --since REF`,
// `--git-base A --git-head B`). Instead of listing and stat-ing the whole tree, the scan asks
// libgit2 which paths may have changed since the previous scan and takes every other file of
// the previous scan as it was recorded, without a single system call:
//   * `--since REF` (head unset): the paths that differ between REF's tree and the work
//     directory through the index (git_diff_tree_to_workdir_with_index; untracked files
//     included, untracked directories recursed, ignored files not).
//   * `--git-base A --git-head B`: the paths that differ between the trees of A and B
//     (git_diff_tree_to_tree). The work tree is expected to be at B: local changes, and
//     untracked files that the previous scan did not list, are not seen.
//   Renames count as a deletion and an addition (both paths). Only paths under the root count.
// The contract: the previous scan saw REF's (A's) tree. Everything the diff cannot vouch for
// is processed again, as a candidate of a full scan (the same filters, diagnostics and
// shebang check): the paths the diff names, the previous scan's files that are not in the
// index now (untracked, skip-worktree, a submodule), and the paths of the previous scan's
// diagnostics (`previous_diagnostics`; the diff cannot say that a binary file, a broken link
// or a missing file is still so). Unchanged files keep their recorded size, mtime, SHA-256
// and encoding; `is_tracked` comes from the index, `by_shebang` from the name. A named path
// that no longer exists is dropped. So the result equals a full scan's when the contract
// holds; a tracked file edited in the work tree when the previous scan ran and restored since
// is what it cannot see. The scan is a full one (stat first, `git_diff` false) instead when
// there is no previous scan, when `max_files` cut (or would cut) the list, or when the previous
// diagnostics hold a whole-scan, LIMIT_WALK or NOT_UTF8_NAME diagnostic.
//
// Errors: the root missing → NotFound; not a directory → InvalidInput; a malformed glob or
// an output directory that is the root itself → InvalidInput; with a git range (and a previous
// scan): the root not in a git work tree, `use_git` false, or a revision that does not resolve
// to a commit or tree → InvalidInput. Problems with single files never throw: they become
// diagnostics.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cpglake::pipeline {

// The directory names excluded anywhere by default.
const std::vector<std::string>& DefaultExcludedDirs();

// What an earlier scan recorded about a file (`_cpglake/repo_files`).
struct PreviousFile {
  int64_t size = 0;
  int64_t mtime_ns = 0;
  std::string sha256;
  std::string encoding;
};

// What a diff-based scan compares (see "Change detection from git" above).
struct GitRange {
  std::string base;                 // a revision (git_revparse_single): `--since` / `--git-base`
  std::optional<std::string> head;  // unset: the work directory; set: `--git-head`
};

struct ScanDiagnostic;

struct ScanOptions {
  std::vector<std::string> include;  // globs; empty = everything
  std::vector<std::string> exclude;  // globs; wins over include
  // Directory names (exact, one segment) excluded anywhere below the root. Trim it to scan a
  // package that is really called `build`, `dist` or `venv` (pypa/build's src/build, the
  // standard library's venv).
  std::vector<std::string> default_excluded_dirs = DefaultExcludedDirs();
  int64_t max_files = -1;                     // < 0: no limit
  int64_t max_file_bytes = 10 * 1024 * 1024;  // larger files → TOO_LARGE
  bool follow_symlinks = false;
  // Excluded from the scan when it lies inside the root; absolute or relative to the root.
  // Unset: `<root>/.cpglake`, the default output location.
  std::optional<std::string> output_dir;
  bool use_git = true;  // false: always walk the filesystem
  int threads = 0;      // 0: one per core
  // Stat first: a file found here under its path, named by its extension, with the same size
  // and mtime and a plain "utf-8" encoding (no cookie or BOM that could carry a diagnostic) is
  // not read: its recorded SHA-256 and encoding are taken. Not owned; may be null.
  const std::map<std::string, PreviousFile>* previous = nullptr;
  // With `previous`: list only what git says may have changed since the previous scan, whose
  // diagnostics are `previous_diagnostics` (not owned; null: none). Without `previous`
  // ignored: the whole tree is scanned.
  std::optional<GitRange> git_range;
  const std::vector<ScanDiagnostic>* previous_diagnostics = nullptr;
};

struct ScannedFile {
  std::string path;  // root-relative POSIX path, valid UTF-8, no `.`/`..` segments
  int64_t size = 0;  // bytes hashed
  int64_t mtime_ns = 0;
  std::string sha256;       // lowercase hex, 64 characters
  std::string encoding;     // "utf-8", "utf-8-sig", or the normalised PEP 263 codec name
  bool is_tracked = false;  // in the git index (git mode only)
  bool by_shebang = false;  // recognised by its shebang, not its extension
};

// Diagnostic codes (ScanDiagnostic::code).
namespace scan_code {
inline constexpr const char* kTooLarge = "TOO_LARGE";            // size > max_file_bytes
inline constexpr const char* kUnreadable = "UNREADABLE";         // stat/open/read failed
inline constexpr const char* kNotRegular = "NOT_REGULAR";        // fifo, socket, device...
inline constexpr const char* kBinary = "BINARY";                 // NUL in the first 8 KiB
inline constexpr const char* kSymlink = "SYMLINK";               // link not followed
inline constexpr const char* kBrokenSymlink = "BROKEN_SYMLINK";  // target missing
inline constexpr const char* kSymlinkLoop = "SYMLINK_LOOP";      // ELOOP or a link to an ancestor
inline constexpr const char* kHostileName =
    "HOSTILE_NAME";  // resolves outside root, control chars, `..`
inline constexpr const char* kNotUtf8Name = "NOT_UTF8_NAME";      // path bytes are not UTF-8
inline constexpr const char* kLimitMaxFiles = "LIMIT_MAX_FILES";  // max_files reached
inline constexpr const char* kLimitWalk = "LIMIT_WALK";           // depth or directory budget
inline constexpr const char* kMissing = "MISSING";      // tracked in the index, absent on disk
inline constexpr const char* kSubmodule = "SUBMODULE";  // submodule / nested repository
inline constexpr const char* kUnknownEncoding = "UNKNOWN_ENCODING";  // cookie names no known codec
inline constexpr const char* kEncodingConflict = "ENCODING_CONFLICT";  // BOM + non-UTF-8 cookie
inline constexpr const char* kGitError = "GIT_ERROR";  // libgit2 failed; fell back to a walk
inline constexpr const char* kGitIgnoredRoot =
    "GIT_IGNORED_ROOT";  // the root is ignored by an enclosing repository; walked instead
}  // namespace scan_code

struct ScanDiagnostic {
  // Root-relative path ("" for the whole scan). A name that is not UTF-8 is shown with each
  // invalid byte as `\xNN`.
  std::string path;
  std::string code;  // one of scan_code
  std::string message;
};

struct RepoScan {
  std::string root;  // the canonical absolute root
  bool is_git = false;
  bool git_diff = false;           // listed from a git diff and the previous scan (`git_range`)
  std::vector<ScannedFile> files;  // sorted bytewise by path
  std::vector<ScanDiagnostic> diagnostics;  // sorted by (path, code, message)
};

RepoScan ScanRepository(const std::string& root, const ScanOptions& options);

}  // namespace cpglake::pipeline
