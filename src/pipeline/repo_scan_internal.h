// Pieces of the repository scan (repo_scan.h) that are pure functions of bytes: path globs,
// name checks, shebang and source-encoding detection. Exposed for unit tests.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.h"

namespace cpglake::pipeline::internal {

// A compiled include/exclude pattern; the syntax is documented in repo_scan.h.
class PathGlob {
 public:
  // Throws InvalidInput for an empty pattern or an unterminated `[` class.
  explicit PathGlob(std::string_view pattern);

  // Whether the pattern matches the file at `path` (root-relative, '/'-separated) or one of
  // the directories that contain it.
  bool MatchesFile(std::string_view path) const;
  // Whether the pattern matches the directory `dir_path` or one of its ancestors: every file
  // below it then matches too, so a walk may prune it.
  bool MatchesDirectory(std::string_view dir_path) const;

 private:
  bool Matches(std::string_view path, bool last_is_dir) const;
  bool MatchPrefix(const std::vector<std::string_view>& segs, size_t count) const;

  std::vector<std::string> segments_;  // the pattern split on '/', `**` kept as a segment
  bool anchored_ = false;              // contained a '/': matched against whole paths
  bool dir_only_ = false;              // ended with '/': matches directories only
};

// fnmatch-style match of one path segment (no '/') against a pattern segment: `*`, `?`,
// `[...]`, `\x`. `?` and classes consume one UTF-8 code point.
bool GlobSegmentMatches(std::string_view pattern, std::string_view text);

using ::cpglake::IsValidUtf8;  // common/utf8.h
// `s` with each byte that is not part of a valid UTF-8 sequence written as `\xNN`.
std::string EscapeInvalidUtf8(std::string_view s);
// Whether `s` contains an ASCII control character (0x00-0x1F, 0x7F).
bool HasControlCharacter(std::string_view s);

// `.py`, `.pyi`, `.pyw` (case-sensitive).
bool HasPythonExtension(std::string_view file_name);
// No extension by Python's os.path.splitext rule (leading dots do not start an extension).
bool HasNoExtension(std::string_view file_name);
// Whether the first line of `head` is a shebang naming python, python3 or pythonX.Y, directly
// (`#!/usr/bin/python3.11`) or through env (`#!/usr/bin/env -S python3 -u`).
bool IsPythonShebang(std::string_view head);

// The canonical codec name for a PEP 263 cookie value, following CPython: the tokenizer's
// utf-8 / latin-1 shortcuts, then the `encodings` alias table (text encodings only: compile()
// rejects `# coding: rot13` although tokenize.detect_encoding accepts it). Names are Python's
// codec names except that ISO-8859-1 is "latin-1". nullopt: no such codec for source code.
std::optional<std::string> NormalizeEncodingName(std::string_view name);

struct SourceEncoding {
  std::string encoding;   // what the file is decoded with
  std::string cookie;     // the raw cookie value, "" if none
  bool known = true;      // false: the cookie names no known codec (encoding = lowercased cookie)
  bool conflict = false;  // a UTF-8 BOM together with a cookie that is not UTF-8
};
// The encoding of Python source whose first bytes are `head` (at least its first two lines):
// BOM → "utf-8-sig"; a cookie on line 1, or on line 2 when line 1 is blank or a comment;
// else "utf-8" (CPython's tokenize.detect_encoding).
SourceEncoding DetectSourceEncoding(std::string_view head);

}  // namespace cpglake::pipeline::internal
