#include "pipeline/repo_scan_internal.h"
#include "common/ascii.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "common/error.h"

namespace cpglake::pipeline::internal {
namespace {

// Length of the valid UTF-8 sequence at s[i], 0 if the bytes there are not one.
size_t Utf8Length(std::string_view s, size_t i) {
  uint32_t cp;
  return DecodeUtf8(s, i, &cp);
}

// The code point at s[i] and its length; an invalid byte stands for itself with length 1.
char32_t DecodeAt(std::string_view s, size_t i, size_t* len) {
  uint32_t cp;
  const size_t n = DecodeUtf8(s, i, &cp);
  *len = n == 0 ? 1 : n;
  return n == 0 ? static_cast<unsigned char>(s[i]) : static_cast<char32_t>(cp);
}

// Index of the `]` closing the class that opens at pattern[open], or npos if unterminated.
// A `]` right after `[`, `[!` or `[^` is a member, not the end.
size_t ClassEnd(std::string_view pattern, size_t open) {
  size_t i = open + 1;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) ++i;
  if (i < pattern.size() && pattern[i] == ']') ++i;
  while (i < pattern.size() && pattern[i] != ']') i += (pattern[i] == '\\') ? 2 : 1;
  return i < pattern.size() ? i : std::string_view::npos;
}

// Whether code point c is in the class pattern[open..close].
bool ClassMatches(std::string_view pattern, size_t open, size_t close, char32_t c) {
  size_t i = open + 1;
  bool negate = false;
  if (pattern[i] == '!' || pattern[i] == '^') negate = true, ++i;
  const auto read = [&](size_t* at) {
    if (pattern[*at] == '\\' && *at + 1 < close) ++*at;
    size_t len;
    const char32_t cp = DecodeAt(pattern, *at, &len);
    *at += len;
    return cp;
  };
  bool matched = false;
  while (i < close) {
    const char32_t lo = read(&i);
    char32_t hi = lo;
    if (i + 1 < close && pattern[i] == '-') {
      ++i;
      hi = read(&i);
    }
    if (lo <= c && c <= hi) matched = true;
  }
  return matched != negate;
}

bool IsAsciiAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Python's encodings.normalize_encoding (runs of other characters than alphanumerics and
// '.' become one '_', leading and trailing ones vanish), lowercased, then '.' → '_' (the
// second spelling encodings.search_function tries).
std::string CodecKey(std::string_view name) {
  std::string out;
  bool punct = false;
  for (char c : AsciiLower(name)) {
    if (IsAsciiAlnum(c) || c == '.') {
      if (punct && !out.empty()) out.push_back('_');
      out.push_back(c == '.' ? '_' : c);
      punct = false;
    } else {
      punct = true;
    }
  }
  return out;
}

// Python 3.11's text codecs (repo_scan_codecs.inc): canonical name (codecs.lookup(x).name,
// except ISO-8859-1 which is "latin-1") and the normalised keys that reach it. Non-text codecs
// (rot13, base64, ...) are left out: CPython's compiler rejects them in a cookie.
struct CodecEntry {
  const char* name;
  const char* keys;  // space-separated
};
constexpr CodecEntry kCodecs[] = {
#include "pipeline/repo_scan_codecs.inc"
};

const std::unordered_map<std::string, std::string>& CodecTable() {
  static const auto* table = [] {
    auto* t = new std::unordered_map<std::string, std::string>();
    for (const CodecEntry& e : kCodecs) {
      std::string_view keys = e.keys;
      while (!keys.empty()) {
        const size_t sp = keys.find(' ');
        t->emplace(std::string(keys.substr(0, sp)), e.name);
        keys = sp == std::string_view::npos ? std::string_view() : keys.substr(sp + 1);
      }
    }
    return t;
  }();
  return *table;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool IsCookieChar(char c) {
  return IsAsciiAlnum(c) || c == '_' || c == '-' || c == '.';
}

// The value of `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)` in one line (without its '\n').
std::optional<std::string> FindCookie(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\f')) ++i;
  if (i >= line.size() || line[i] != '#') return std::nullopt;
  for (size_t k = i + 1; k + 7 <= line.size(); ++k) {
    if (line.compare(k, 6, "coding") != 0 || (line[k + 6] != ':' && line[k + 6] != '=')) continue;
    size_t j = k + 7;
    while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
    const size_t start = j;
    while (j < line.size() && IsCookieChar(line[j])) ++j;
    if (j > start) return std::string(line.substr(start, j - start));
  }
  return std::nullopt;
}

// `^[ \t\f]*(?:[#\r\n]|$)`: a blank or comment-only line.
bool IsBlankOrComment(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\f')) ++i;
  return i == line.size() || line[i] == '#' || line[i] == '\r' || line[i] == '\n';
}

bool IsPythonInterpreterName(std::string_view name) {
  if (!StartsWith(name, "python")) return false;
  name.remove_prefix(6);
  if (name.empty()) return true;
  size_t i = 0;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9') ++i;
  if (i == 0) return false;
  if (i == name.size()) return true;
  if (name[i] != '.') return false;
  const size_t minor = ++i;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9') ++i;
  return i > minor && i == name.size();
}

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segs;
  while (true) {
    const size_t slash = path.find('/');
    segs.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segs;
}

}  // namespace

bool GlobSegmentMatches(std::string_view pattern, std::string_view text) {
  constexpr size_t npos = std::string_view::npos;
  size_t p = 0, t = 0;
  size_t star_p = npos, star_t = 0;  // where to resume after the last `*`
  while (t < text.size()) {
    if (p < pattern.size()) {
      const char pc = pattern[p];
      if (pc == '*') {
        while (p < pattern.size() && pattern[p] == '*') ++p;
        star_p = p, star_t = t;
        continue;
      }
      size_t tlen;
      const char32_t tc = DecodeAt(text, t, &tlen);
      if (pc == '?') {
        ++p, t += tlen;
        continue;
      }
      if (pc == '[') {
        const size_t close = ClassEnd(pattern, p);
        if (close != npos) {
          if (ClassMatches(pattern, p, close, tc)) {
            p = close + 1, t += tlen;
            continue;
          }
        } else if (text[t] == '[') {  // unterminated: a literal '['
          ++p, ++t;
          continue;
        }
      } else {
        const size_t lit = (pc == '\\' && p + 1 < pattern.size()) ? p + 1 : p;
        if (pattern[lit] == text[t]) {
          p = lit + 1, ++t;
          continue;
        }
      }
    }
    if (star_p == npos) return false;
    size_t len;
    DecodeAt(text, star_t, &len);
    star_t += len;
    p = star_p, t = star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

PathGlob::PathGlob(std::string_view pattern) {
  const std::string original(pattern);
  while (StartsWith(pattern, "./")) pattern.remove_prefix(2);
  if (StartsWith(pattern, "/")) anchored_ = true;
  while (!pattern.empty() && pattern.front() == '/') pattern.remove_prefix(1);
  while (!pattern.empty() && pattern.back() == '/') dir_only_ = true, pattern.remove_suffix(1);
  if (pattern.empty()) throw InvalidInput("empty glob pattern '" + original + "'");
  for (std::string_view seg : SplitPath(pattern)) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "**" && !segments_.empty() && segments_.back() == "**") continue;
    for (size_t i = 0; i < seg.size(); ++i) {
      if (seg[i] == '\\') {
        ++i;
      } else if (seg[i] == '[') {
        const size_t close = ClassEnd(seg, i);
        if (close == std::string_view::npos) {
          throw InvalidInput("glob pattern '" + original + "': unterminated '['");
        }
        i = close;
      }
    }
    segments_.emplace_back(seg);
  }
  if (segments_.empty()) throw InvalidInput("empty glob pattern '" + original + "'");
  if (segments_.size() > 1) anchored_ = true;
}

bool PathGlob::MatchesFile(std::string_view path) const {
  return Matches(path, false);
}

bool PathGlob::MatchesDirectory(std::string_view dir_path) const {
  return Matches(dir_path, true);
}

bool PathGlob::Matches(std::string_view path, bool last_is_dir) const {
  const std::vector<std::string_view> segs = SplitPath(path);
  for (size_t len = 1; len <= segs.size(); ++len) {
    if (dir_only_ && len == segs.size() && !last_is_dir) continue;
    if (anchored_ ? MatchPrefix(segs, len) : GlobSegmentMatches(segments_[0], segs[len - 1])) {
      return true;
    }
  }
  return false;
}

// Whether the whole pattern matches segs[0..count): dynamic programming over (pattern
// segment, path segment), `**` matching any number of path segments.
bool PathGlob::MatchPrefix(const std::vector<std::string_view>& segs, size_t count) const {
  const size_t np = segments_.size();
  // match[i][j]: pattern segments i.. match path segments j..count.
  std::vector<char> match((np + 1) * (count + 1), 0);
  const auto at = [&](size_t i, size_t j) -> char& { return match[i * (count + 1) + j]; };
  at(np, count) = 1;
  for (size_t i = np; i-- > 0;) {
    for (size_t j = count + 1; j-- > 0;) {
      if (segments_[i] == "**") {
        at(i, j) = at(i + 1, j) || (j < count && at(i, j + 1));
      } else {
        at(i, j) = j < count && at(i + 1, j + 1) && GlobSegmentMatches(segments_[i], segs[j]);
      }
    }
  }
  return at(0, 0);
}

std::string EscapeInvalidUtf8(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8Length(s, i);
    if (n == 0) {
      const auto b = static_cast<unsigned char>(s[i++]);
      out += "\\x";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool HasControlCharacter(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b < 0x20 || b == 0x7F;
  });
}

bool HasNoExtension(std::string_view file_name) {
  const size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return true;
  // Leading dots do not start an extension: `.bashrc` has none, `a.b` has one.
  return file_name.find_first_not_of('.') >= dot;
}

bool HasPythonExtension(std::string_view file_name) {
  if (HasNoExtension(file_name)) return false;
  const std::string_view ext = file_name.substr(file_name.rfind('.'));
  return ext == ".py" || ext == ".pyi" || ext == ".pyw";
}

bool IsPythonShebang(std::string_view head) {
  if (!StartsWith(head, "#!")) return false;
  std::string_view line = head.substr(
      2, head.find('\n') == std::string_view::npos ? std::string_view::npos : head.find('\n') - 2);
  std::vector<std::string_view> words;
  for (size_t i = 0; i < line.size();) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  if (words.empty()) return false;
  std::string_view program = BaseName(words[0]);
  if (program == "env") {
    size_t i = 1;
    // Skip env's options and NAME=value assignments; -u/-C/--unset/--chdir take an argument.
    while (i < words.size() &&
           (words[i].front() == '-' || words[i].find('=') != std::string_view::npos)) {
      const std::string_view w = words[i++];
      if (w == "-u" || w == "-C" || w == "--unset" || w == "--chdir") ++i;
    }
    if (i >= words.size()) return false;
    program = BaseName(words[i]);
  }
  return IsPythonInterpreterName(program);
}

std::optional<std::string> NormalizeEncodingName(std::string_view name) {
  // CPython's tokenizer (get_normal_name) looks at the first 12 characters first.
  std::string head = AsciiLower(name.substr(0, 12));
  std::replace(head.begin(), head.end(), '_', '-');
  if (head == "utf-8" || StartsWith(head, "utf-8-")) return "utf-8";
  for (std::string_view latin : {"latin-1", "iso-8859-1", "iso-latin-1"}) {
    if (head == latin ||
        (StartsWith(head, latin) && head.size() > latin.size() && head[latin.size()] == '-')) {
      return "latin-1";
    }
  }
  const auto& table = CodecTable();
  const auto it = table.find(CodecKey(name));
  if (it == table.end()) return std::nullopt;
  return it->second;
}

SourceEncoding DetectSourceEncoding(std::string_view head) {
  const bool bom = StartsWith(head, "\xEF\xBB\xBF");
  if (bom) head.remove_prefix(3);
  const auto line_at = [&](size_t start) {
    if (start >= head.size()) return std::string_view();
    const size_t nl = head.find('\n', start);
    return head.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
  };
  const std::string_view line1 = line_at(0);
  std::optional<std::string> cookie = FindCookie(line1);
  if (!cookie && IsBlankOrComment(line1) && line1.size() < head.size()) {
    cookie = FindCookie(line_at(line1.size() + 1));
  }
  SourceEncoding result;
  result.encoding = bom ? "utf-8-sig" : "utf-8";
  if (!cookie) return result;
  result.cookie = *cookie;
  std::optional<std::string> normal = NormalizeEncodingName(*cookie);
  result.known = normal.has_value();
  const std::string encoding = normal ? *normal : AsciiLower(*cookie);
  if (bom) {
    result.conflict = encoding != "utf-8";
  } else {
    result.encoding = encoding;
  }
  return result;
}

}  // namespace cpglake::pipeline::internal
