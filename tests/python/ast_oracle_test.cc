// The syntax extractor against CPython's `ast` over every .py file of the installed standard
// library (and any directories listed in CPGLAKE_AST_ORACLE_DIRS, colon-separated — e.g. the
// extracted Debian libpython3.11-testsuite package). tests/python/ast_dump.py prints what ast
// finds; this test maps our nodes to the same items and compares spans (through the line
// index), counts and properties per file. Files that ast itself cannot parse are excluded
// and counted; every other difference must be a known one (kKnownDifferences, explained in
// docs/python_frontend.md) or the test fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/parallel.h"
#include "python/syntax.h"
#include "test_util.h"

namespace cpglake::python {
namespace {

namespace fs = std::filesystem;

struct Item {
  std::string tag;
  int64_t b = 0, e = 0;
  std::string extra;
  bool operator<(const Item& o) const {
    return std::tie(b, e, tag, extra) < std::tie(o.b, o.e, o.tag, o.extra);
  }
};

// Differences that are understood and accepted; docs/python_frontend.md explains each.
// A mismatch is known when its file ends with `path_suffix`, its tag is `tag` ("*": any)
// and it is on line `line` (0: any line; items without a position are on line 1).
struct KnownDifference {
  const char* path_suffix;
  const char* tag;
  int64_t line;
  const char* reason;
};
constexpr KnownDifference kKnownDifferences[] = {
    // Only in the test suite (libpython3.11-testsuite), none in the library itself.
    {"/test/test_compile.py", "*", 0,
     "tree-sitter-python: a continuation line inside brackets that is dedented below the "
     "enclosing block (test_weird_attribute_position_regressions) breaks the block structure"},
    {"/test/badsyntax_future8.py", "*", 3,
     "`from __future__ import *`: no such form in the grammar; CPython parses it and rejects "
     "it only when compiling"},
    {"/test/test_traceback.py", "name", 0,
     "identifiers are kept as written; CPython NFKC-normalises non-ASCII ones (PEP 3131)"},
    {"/test/test_unicode_identifiers.py", "name", 0,
     "identifiers are kept as written; CPython NFKC-normalises non-ASCII ones (PEP 3131)"},
    {"/test/test_posix.py", "qual", 0,
     "a def in unreachable code after `return`: the compiler drops its code object"},
};

std::string PropString(const EvidenceNode& n, const char* key) {
  for (const auto& [k, v] : n.props) {
    if (k != key) continue;
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
    if (const auto* b = std::get_if<bool>(&v)) return *b ? "1" : "0";
  }
  return "?";
}

// Our evidence as oracle items.
std::vector<Item> OurItems(const FileEvidence& ev, bool qual) {
  static const std::map<std::string, std::string> kParamKinds = {{"positional_only", "posonly"},
                                                                 {"positional", "args"},
                                                                 {"var_positional", "vararg"},
                                                                 {"keyword_only", "kwonly"},
                                                                 {"var_keyword", "kwarg"}};
  std::vector<Item> items;
  items.reserve(ev.nodes.size());
  for (const EvidenceNode& n : ev.nodes) {
    Item it{"", n.bstart, n.bend, ""};
    const std::string& k = n.kind;
    if (k == "CST_FUNCTION_DEF") {
      it.tag = "def";
      it.extra = PropString(n, "is_async") + "|" + PropString(n, "decorator_count") + "|" + n.name;
    } else if (k == "CST_CLASS_DEF") {
      it.tag = "class";
      it.extra = PropString(n, "decorator_count") + "|" + n.name;
    } else if (k == "CST_LAMBDA") {
      it.tag = "lambda";
    } else if (k == "CST_PARAM") {
      it.tag = "param";
      const auto kind = kParamKinds.find(PropString(n, "param_kind"));
      it.extra = (kind == kParamKinds.end() ? "?" : kind->second) + "|" +
                 PropString(n, "has_default") + "|" + n.name;
    } else if (k == "CST_DECORATOR") {
      it.tag = "dec";
    } else if (k == "CST_DOCSTRING") {
      it.tag = "doc";
    } else if (k == "CST_IMPORT") {
      it.tag = "import";
      it.extra = PropString(n, "is_from") == "1"
                     ? "from|" + PropString(n, "relative_level") + "|" + PropString(n, "module")
                     : "import";
    } else if (k == "CST_IMPORT_ALIAS") {
      it.tag = "alias";
      it.extra = n.name + "|" + PropString(n, "asname");
    } else if (k == "CST_CALLSITE") {
      it.tag = "call";
      it.extra = PropString(n, "arg_count");
    } else if (k == "CST_CALL_ARG") {
      it.tag = "arg";
      it.extra =
          PropString(n, "arg_index") + "|" + PropString(n, "keyword") + "|" + PropString(n, "star");
    } else if (k == "TYPE_EXPR") {
      it.tag = "ann";
    } else if (k == "CST_REF") {
      it.tag = "name";
      it.extra = PropString(n, "expr_context").substr(0, 1) + "|" + n.name;
    } else if (k == "CST_ATTRIBUTE_ACCESS") {
      it.tag = "attr";
      it.extra = PropString(n, "expr_context").substr(0, 1) + "|" + PropString(n, "attr");
    } else if (k == "TS_ERROR" || k == "TS_MISSING") {
      it.tag = "error";  // ast parsed the file, so any syntax error of ours is a difference
    } else {
      continue;
    }
    if (qual && (k == "CST_FUNCTION_DEF" || k == "CST_CLASS_DEF" || k == "CST_LAMBDA")) {
      items.push_back(Item{"qual", -1, -1, n.qualified_path});
    }
    if (k == "CST_FUNCTION_DEF" || k == "CST_CLASS_DEF" || k == "CST_LAMBDA" ||
        k == "CST_CALLSITE") {
      std::string encl = "module";
      if (n.enclosing > 0) {
        const auto [line, col] =
            ev.lines.Position(ev.nodes[static_cast<size_t>(n.enclosing)].bstart);
        encl = std::to_string(line) + ":" + std::to_string(col);
      }
      items.push_back(Item{"encl", n.bstart, n.bend, std::move(encl)});
    }
    items.push_back(std::move(it));
  }
  std::sort(items.begin(), items.end());
  return items;
}

struct Mismatch {
  std::string file;
  int64_t line = 0, col = 0;
  std::string side;  // "ast only" / "ours only"
  Item item;
  const KnownDifference* known = nullptr;
};

struct ChunkResult {
  int64_t files = 0, ast_failures = 0, not_compiled = 0, bytes = 0;
  std::map<std::string, int64_t> compared;  // per tag: items in ast's output
  std::vector<std::string> ast_failed_files;
  std::vector<Mismatch> mismatches;
  std::string error;
};

const KnownDifference* FindKnown(const std::string& file, const std::string& tag, int64_t line) {
  for (const KnownDifference& k : kKnownDifferences) {
    const std::string_view suffix = k.path_suffix;
    if ((k.tag[0] != '*' && tag != k.tag) || (k.line != 0 && k.line != line)) continue;
    if (file.size() >= suffix.size() &&
        file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return &k;
    }
  }
  return nullptr;
}

void CompareFile(const nlohmann::json& j, ChunkResult* r) {
  const std::string file = j.at("file").get<std::string>();
  ++r->files;
  if (!j.at("ok").get<bool>()) {
    ++r->ast_failures;
    r->ast_failed_files.push_back(file + ": " + j.at("error").get<std::string>());
    return;
  }
  const std::string source = testing::ReadFileBytes(file);
  r->bytes += static_cast<int64_t>(source.size());
  FileEvidence ev;
  ExtractSyntax(source, "m", &ev);
  const bool qual = j.value("qual", false);
  if (!qual) ++r->not_compiled;
  std::vector<Item> ours = OurItems(ev, qual);
  std::vector<Item> theirs;
  theirs.reserve(j.at("items").size());
  for (const auto& a : j.at("items")) {
    Item it;
    it.tag = a[0].get<std::string>();
    if (a[1].get<int64_t>() == 0) {  // no position
      it.b = it.e = -1;
    } else {
      it.b = ev.lines.Offset(a[1].get<int64_t>(), a[2].get<int64_t>());
      it.e = ev.lines.Offset(a[3].get<int64_t>(), a[4].get<int64_t>());
    }
    it.extra = a[5].get<std::string>();
    ++r->compared[it.tag];
    theirs.push_back(std::move(it));
  }
  std::sort(theirs.begin(), theirs.end());
  std::vector<Item> only_theirs, only_ours;
  std::set_difference(theirs.begin(), theirs.end(), ours.begin(), ours.end(),
                      std::back_inserter(only_theirs));
  std::set_difference(ours.begin(), ours.end(), theirs.begin(), theirs.end(),
                      std::back_inserter(only_ours));
  auto add = [&](const Item& it, const char* side) {
    Mismatch m;
    m.file = file;
    std::tie(m.line, m.col) = ev.lines.Position(it.b);
    m.side = side;
    m.item = it;
    m.known = FindKnown(file, it.tag, m.line);
    r->mismatches.push_back(std::move(m));
  };
  for (const Item& it : only_theirs) add(it, "ast only");
  for (const Item& it : only_ours) add(it, "ours only");
}

std::vector<fs::path> CorpusDirs() {
  std::vector<fs::path> dirs = {"/usr/lib/python3.11"};
  if (const char* env = std::getenv("CPGLAKE_AST_ORACLE_DIRS")) {
    std::string s = env;
    size_t start = 0;
    while (start <= s.size()) {
      const size_t colon = std::min(s.find(':', start), s.size());
      if (colon > start) dirs.emplace_back(s.substr(start, colon - start));
      start = colon + 1;
    }
  }
  return dirs;
}

TEST(AstOracleTest, StandardLibraryAgreesWithCPythonAst) {
  // The library's own CPython when it is there (the corpus is 3.11's library).
  std::string python = "python3.11";
  if (testing::RunCommand(python + " -c 'import ast' 2>/dev/null").exit_code != 0) {
    python = "python3";
  }
  if (testing::RunCommand(python + " -c 'import ast' 2>/dev/null").exit_code != 0) {
    GTEST_SKIP() << "python3 is not available";
  }
  const std::vector<fs::path> dirs = CorpusDirs();
  if (!fs::is_directory(dirs[0])) GTEST_SKIP() << dirs[0] << " is not installed";
  std::vector<std::string> files;
  for (const fs::path& dir : dirs) {
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    for (const auto& e :
         fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied)) {
      if (e.path().extension() == ".py" && e.is_regular_file()) files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 100u);

  // Batches of files (every batches-th file, so that big directories spread out), one Python
  // process each; each thread runs a batch's oracle and then compares its files.
  const int threads = DefaultThreads();
  const size_t batches =
      std::max<size_t>(1, std::min<size_t>(files.size() / 20, static_cast<size_t>(threads) * 8));
  std::vector<ChunkResult> results(batches);
  testing::TempDir tmp;
  const std::string script = (testing::SourceDir() / "tests/python/ast_dump.py").string();
  ParallelFor(batches, threads, [&](size_t c) {
    ChunkResult& r = results[c];
    const fs::path list = tmp.path() / ("list" + std::to_string(c));
    {
      std::ofstream out(list);
      for (size_t i = c; i < files.size(); i += batches) out << files[i] << "\n";
    }
    const auto run = testing::RunCommand(python + " " + testing::ShellQuote(script) + " @" +
                                         testing::ShellQuote(list.string()));
    if (run.exit_code != 0) {
      r.error = "ast_dump.py failed with exit code " + std::to_string(run.exit_code);
      return;
    }
    size_t start = 0;
    while (start < run.out.size()) {
      size_t nl = run.out.find('\n', start);
      if (nl == std::string::npos) nl = run.out.size();
      CompareFile(nlohmann::json::parse(run.out.begin() + static_cast<std::ptrdiff_t>(start),
                                        run.out.begin() + static_cast<std::ptrdiff_t>(nl)),
                  &r);
      start = nl + 1;
    }
  });

  ChunkResult all;
  for (ChunkResult& r : results) {
    ASSERT_TRUE(r.error.empty()) << r.error;
    all.files += r.files;
    all.ast_failures += r.ast_failures;
    all.not_compiled += r.not_compiled;
    all.bytes += r.bytes;
    for (const auto& [tag, n] : r.compared) all.compared[tag] += n;
    for (auto& f : r.ast_failed_files) all.ast_failed_files.push_back(std::move(f));
    for (auto& m : r.mismatches) all.mismatches.push_back(std::move(m));
  }
  std::sort(all.ast_failed_files.begin(), all.ast_failed_files.end());
  std::sort(all.mismatches.begin(), all.mismatches.end(), [](const Mismatch& a, const Mismatch& b) {
    return std::tie(a.file, a.item, a.side) < std::tie(b.file, b.item, b.side);
  });
  EXPECT_EQ(all.files, static_cast<int64_t>(files.size()));

  int64_t total = 0, known = 0;
  std::map<std::string, int64_t> mismatched;
  for (const auto& [tag, n] : all.compared) total += n;
  for (const Mismatch& m : all.mismatches) {
    ++mismatched[m.item.tag];
    known += m.known != nullptr;
  }
  std::cout << "ast oracle: " << all.files << " files (" << all.bytes / 1024 << " KiB), "
            << all.ast_failures << " excluded because ast.parse fails, " << all.not_compiled
            << " more without qualified names because compile() fails, " << total
            << " constructs compared, " << all.mismatches.size() << " mismatches (" << known
            << " known)\n";
  for (const auto& [tag, n] : all.compared) {
    std::cout << "  " << tag << ": " << n << " compared, " << mismatched[tag] << " mismatched\n";
  }
  for (const KnownDifference& k : kKnownDifferences) {
    const auto n = std::count_if(all.mismatches.begin(), all.mismatches.end(),
                                 [&](const Mismatch& m) { return m.known == &k; });
    if (n > 0)
      std::cout << "  known: " << n << " in *" << k.path_suffix << ": " << k.reason << "\n";
  }
  for (const std::string& f : all.ast_failed_files) std::cout << "  excluded: " << f << "\n";
  int shown = 0;
  for (const Mismatch& m : all.mismatches) {
    if (m.known != nullptr) continue;
    ADD_FAILURE() << m.file << ":" << m.line << ":" << m.col << ": " << m.side << ": " << m.item.tag
                  << " [" << m.item.b << "," << m.item.e << ") " << m.item.extra;
    if (++shown == 200) break;
  }
}

}  // namespace
}  // namespace cpglake::python
