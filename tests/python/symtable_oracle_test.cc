// The scopes oracle: AnalyzeScopes against CPython 3.11's `symtable` over every .py file of
// the standard library (/usr/lib/python3.11, or the directories in CPGLAKE_SYMTABLE_ROOTS,
// colon-separated; CPGLAKE_PYTHON picks the interpreter). tests/python/symtable_dump.py prints
// symtable's scopes and symbol predicates; this test rebuilds the same view from the PY_SCOPE
// / PY_BINDING nodes and SCOPE_PARENT / SCOPE_BINDS edges that AnalyzeScopes emits and
// compares them scope by scope, symbol by symbol. Files CPython cannot compile are excluded
// and counted. Every difference fails the test unless it is one of the three documented
// kinds (docs/python_scopes.md, "Oracle"): symtable.py's `top` quirk (Explain), identifiers
// CPython NFKC-normalizes (Normalize), files tree-sitter cannot parse. It also checks that
// the evidence has no duplicate ids and no dangling edges.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "python/evidence.h"
#include "python/scopes.h"
#include "python/tree_sitter.h"
#include "test_util.h"

namespace cpglake::python {
namespace {

namespace fs = std::filesystem;
using testing::ReadFileBytes;
using testing::RunCommand;
using testing::ShellQuote;
using testing::SplitLines;

// One scope as symtable's Python API shows it.
struct ScopeView {
  std::string type;  // module | class | function
  std::string name;
  int64_t line = 0;
  std::map<std::string, std::string> symbols;  // name -> predicate flags (symtable_dump.py)
  std::map<std::string, std::string> lists;    // functions: params/locals/... -> sorted names
  std::vector<int> children;
};
using FileView = std::vector<ScopeView>;  // [0] is the module

std::string Key(const ScopeView& s) {
  return s.type + "\t" + s.name + "\t" + std::to_string(s.line);
}

// The flags string of symtable_dump.py from a binding's props.
std::string FlagsOf(const EvidenceNode& b) {
  static const char* kOrder[] = {
      "is_local",    "is_global",   "is_declared_global", "is_nonlocal",  "is_free", "is_parameter",
      "is_imported", "is_assigned", "is_referenced",      "is_annotated", "is_cell"};
  std::string out;
  for (const char* key : kOrder) {
    char c = '0';  // flags are written only when true
    for (const auto& [k, v] : b.props) {
      if (k == key) c = std::get<bool>(v) ? '1' : '0';
    }
    out += c;
  }
  return out;
}

const PropValue* Prop(const EvidenceNode& n, const std::string& key) {
  for (const auto& [k, v] : n.props) {
    if (k == key) return &v;
  }
  return nullptr;
}

// Our view of a file, from the evidence AnalyzeScopes appended.
FileView ViewOf(const FileEvidence& ev) {
  FileView view;
  std::unordered_map<int32_t, int> scope_of_node;
  for (size_t i = 0; i < ev.nodes.size(); ++i) {
    const EvidenceNode& n = ev.nodes[i];
    if (n.kind != "PY_SCOPE") continue;
    ScopeView s;
    const std::string& type = std::get<std::string>(*Prop(n, "scope_type"));
    s.type = type == "module" || type == "class" ? type : "function";
    s.name = n.name;
    s.line = std::get<int64_t>(*Prop(n, "line"));
    scope_of_node[static_cast<int32_t>(i)] = static_cast<int>(view.size());
    view.push_back(std::move(s));
  }
  for (const EvidenceEdge& e : ev.edges) {
    if (e.kind == "SCOPE_PARENT") {
      view[scope_of_node.at(e.dst)].children.push_back(scope_of_node.at(e.src));
    } else if (e.kind == "SCOPE_BINDS") {
      ScopeView& s = view[scope_of_node.at(e.src)];
      const EvidenceNode& b = ev.nodes[e.dst];
      // The implicit __class__ cell of a class is ours; symtable does not list it.
      if (s.type == "class" && Prop(b, "is_implicit") != nullptr) continue;
      s.symbols[b.name] = FlagsOf(b);
    }
  }
  return view;
}

// Function.get_parameters() etc., from the symbols' flags (indexes into FlagsOf's order).
void AddLists(FileView* view) {
  for (ScopeView& s : *view) {
    if (s.type != "function") continue;
    static const std::pair<const char*, int> kLists[] = {
        {"params", 5}, {"locals", 0}, {"globals", 1}, {"nonlocals", 3}, {"frees", 4}};
    for (const auto& [kind, bit] : kLists) {
      std::string names;
      for (const auto& [name, flags] : s.symbols) {
        if (flags[bit] != '1') continue;
        if (!names.empty()) names += ',';
        names += name;
      }
      s.lists[kind] = names;
    }
  }
}

// CPython NFKC-normalizes identifiers (PEP 3131); we keep the source spelling. Renames our
// symbols and scopes by the pairs symtable_dump.py found in the file (two spellings of one
// name merge, their flags OR-ed); returns how many names changed.
size_t Normalize(const std::map<std::string, std::string>& nfkc, FileView* view) {
  size_t renamed = 0;
  for (ScopeView& s : *view) {
    auto n = nfkc.find(s.name);
    if (n != nfkc.end()) {
      s.name = n->second;
      ++renamed;
    }
    std::map<std::string, std::string> symbols;
    for (const auto& [name, flags] : s.symbols) {
      auto it = nfkc.find(name);
      const std::string& key = it == nfkc.end() ? name : it->second;
      if (it != nfkc.end()) ++renamed;
      auto [slot, inserted] = symbols.emplace(key, flags);
      if (!inserted) {
        for (size_t i = 0; i < flags.size(); ++i) {
          if (flags[i] == '1') slot->second[i] = '1';
        }
      }
    }
    s.symbols = std::move(symbols);
  }
  return renamed;
}

// Rows that would get the same stable id (anchored nodes: kind and span; declarations: kind,
// path and ordinal; edges: kind, ends and anchor) or that point nowhere; each is an error.
size_t InvariantViolations(const FileEvidence& ev, std::string_view source) {
  std::set<std::tuple<std::string, int64_t, int64_t, std::string, int32_t>> nodes;
  std::set<std::tuple<std::string, int32_t, int32_t, int64_t, int64_t>> edges;
  size_t bad = 0;
  for (const EvidenceNode& n : ev.nodes) {
    const bool anchored = n.kind == "PY_DEF_SITE" || n.kind == "PY_USE_SITE";
    if (anchored && (n.bstart < 0 || n.bend > static_cast<int64_t>(source.size()) ||
                     source.substr(n.bstart, n.bend - n.bstart) != n.name)) {
      ++bad;
    }
    if (!nodes
             .emplace(n.kind, anchored ? n.bstart : -1, anchored ? n.bend : -1,
                      anchored ? "" : n.qualified_path, n.ordinal)
             .second) {
      ++bad;
    }
  }
  for (const EvidenceEdge& e : ev.edges) {
    const auto size = static_cast<int32_t>(ev.nodes.size());
    if (e.src < 0 || e.src >= size || e.dst < 0 || e.dst >= size) ++bad;
    if (!edges.emplace(e.kind, e.src, e.dst, e.bstart, e.bend).second) ++bad;
  }
  return bad;
}

struct Dump {
  std::map<std::string, FileView> files;
  std::map<std::string, std::string> excluded;
  std::map<std::string, std::map<std::string, std::string>> nfkc;  // path -> spelling -> name
};

void ParseDump(const std::string& text, Dump* dump) {
  FileView* file = nullptr;
  ScopeView* scope = nullptr;
  std::string path;
  for (const std::string& line : SplitLines(text)) {
    std::vector<std::string> f;
    size_t start = 0;
    while (true) {
      const size_t tab = line.find('\t', start);
      f.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (f[0] == "X") {
      dump->excluded[f[1]] = f.size() > 2 ? f[2] : "";
    } else if (f[0] == "F") {
      path = f[1];
      file = &dump->files[path];
    } else if (f[0] == "S" && f.size() == 6) {
      ScopeView s;
      s.type = f[3];
      s.name = f[4];
      s.line = std::stoll(f[5]);
      const int parent = std::stoi(f[2]);
      file->push_back(std::move(s));
      if (parent >= 0) (*file)[parent].children.push_back(static_cast<int>(file->size() - 1));
      scope = &file->back();
    } else if (f[0] == "Y" && f.size() == 3) {
      scope->symbols[f[1]] = f[2];
    } else if (f[0] == "L" && f.size() == 3) {
      scope->lists[f[1]] = f[2];
    } else if (f[0] == "L" && f.size() == 2) {
      scope->lists[f[1]] = "";
    } else if (f[0] == "N" && f.size() == 3) {
      dump->nfkc[path][f[1]] = f[2];
    } else {
      ADD_FAILURE() << "unexpected dump line: " << line;
    }
  }
}

// A subtree as one string, to pair same-key siblings deterministically.
std::string Canonical(const FileView& v, int i) {
  std::string out = Key(v[i]) + "{";
  for (const auto& [n, f] : v[i].symbols) out += n + ":" + f + ";";
  std::vector<std::string> kids;
  for (int c : v[i].children) kids.push_back(Canonical(v, c));
  std::sort(kids.begin(), kids.end());
  for (const std::string& k : kids) out += k;
  return out + "}";
}

struct Stats {
  size_t scopes = 0, symbols = 0, mismatches = 0, explained = 0;
  std::map<std::string, size_t> explained_by_reason;
  std::map<std::string, size_t> mismatches_by_file;
  std::vector<std::string> details;
};

// Known, documented differences (docs/python_scopes.md, "Oracle"): returns the reason, or
// nullptr when the difference is a bug.
const char* Explain(const ScopeView& scope, const std::string& symbol, const std::string& want,
                    const std::string& got) {
  // symtable.py's Symbol takes module_scope from the *name* "top", so in a function or class
  // named `top` its is_global()/is_local() are also true for every bound name.
  if (scope.type != "module" && scope.name == "top" && want.size() == got.size()) {
    std::string adjusted = got;
    const bool bound = got[5] == '1' || got[6] == '1' || got[7] == '1';  // param/import/assign
    if (bound) adjusted[0] = adjusted[1] = '1';
    if (adjusted == want) return "symtable.py: scope named 'top' taken for the module";
  }
  return nullptr;
}

class Comparer {
 public:
  Comparer(const std::string& path, const FileView& want, const FileView& got, bool unparsable,
           Stats* stats)
      : path_(path), want_(want), got_(got), unparsable_(unparsable), stats_(stats) {}

  void Run() { Compare(0, 0, "top"); }

 private:
  void Report(const std::string& where, const std::string& what) {
    if (unparsable_) {
      ++stats_->explained;
      ++stats_->explained_by_reason["tree-sitter could not parse the file (ERROR nodes)"];
      return;
    }
    ++stats_->mismatches;
    if (stats_->mismatches_by_file[path_]++ < 5 && stats_->details.size() < 100) {
      stats_->details.push_back(path_ + " " + where + ": " + what);
    }
  }

  void Compare(int w, int g, const std::string& where) {
    const ScopeView& a = want_[w];
    const ScopeView& b = got_[g];
    ++stats_->scopes;
    for (const auto& [name, flags] : a.symbols) {
      ++stats_->symbols;
      auto it = b.symbols.find(name);
      if (it == b.symbols.end()) {
        Report(where, "missing symbol " + name + " " + flags);
      } else if (it->second != flags) {
        if (const char* why = Explain(a, name, flags, it->second)) {
          ++stats_->explained;
          ++stats_->explained_by_reason[why];
        } else {
          Report(where, "symbol " + name + " want " + flags + " got " + it->second);
        }
      }
    }
    for (const auto& [name, flags] : b.symbols) {
      if (!a.symbols.count(name)) Report(where, "extra symbol " + name + " " + flags);
    }
    if (a.type == "function" && a.symbols == b.symbols) {
      for (const auto& [kind, names] : a.lists) {
        auto it = b.lists.find(kind);
        if (it == b.lists.end() || it->second != names) {
          Report(where, kind + " want [" + names + "] got [" +
                            (it == b.lists.end() ? "?" : it->second) + "]");
        }
      }
    }
    // Children: symtable lists them in evaluation order (defaults and decorators before the
    // function, a value before its targets), we in source order; pair them by (type, name,
    // line), ties by content.
    std::map<std::string, std::vector<std::pair<std::string, int>>> wk, gk;
    for (int c : a.children) wk[Key(want_[c])].emplace_back(Canonical(want_, c), c);
    for (int c : b.children) gk[Key(got_[c])].emplace_back(Canonical(got_, c), c);
    for (auto& [key, list] : wk) {
      auto& other = gk[key];
      std::sort(list.begin(), list.end());
      std::sort(other.begin(), other.end());
      const size_t n = std::min(list.size(), other.size());
      for (size_t i = 0; i < n; ++i) {
        Compare(list[i].second, other[i].second,
                where + "/" + want_[list[i].second].name + "@" +
                    std::to_string(want_[list[i].second].line));
      }
      for (size_t i = n; i < list.size(); ++i) Report(where, "missing scope " + key);
      for (size_t i = n; i < other.size(); ++i) Report(where, "extra scope " + key);
    }
    for (auto& [key, list] : gk) {
      if (!wk.count(key)) {
        for (size_t i = 0; i < list.size(); ++i) Report(where, "extra scope " + key);
      }
    }
  }

  const std::string& path_;
  const FileView& want_;
  const FileView& got_;
  bool unparsable_;  // tree-sitter produced ERROR nodes: differences are the parser's
  Stats* stats_;
};

std::vector<fs::path> Roots() {
  std::vector<fs::path> roots;
  const char* env = std::getenv("CPGLAKE_SYMTABLE_ROOTS");
  std::string spec = env != nullptr ? env : "/usr/lib/python3.11";
  size_t start = 0;
  while (start <= spec.size()) {
    size_t colon = spec.find(':', start);
    if (colon == std::string::npos) colon = spec.size();
    if (colon > start) roots.emplace_back(spec.substr(start, colon - start));
    start = colon + 1;
  }
  return roots;
}

TEST(SymtableOracleTest, AgreesWithCPythonOnTheStandardLibrary) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<fs::path> files;
  for (const fs::path& root : Roots()) {
    if (!fs::is_directory(root)) continue;
    for (const auto& e :
         fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied)) {
      if (e.is_regular_file() && e.path().extension() == ".py") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) GTEST_SKIP() << "no Python files under the oracle roots";

  // symtable, in two processes (files dealt round-robin by size so they finish together).
  testing::TempDir tmp;
  const char* py_env = std::getenv("CPGLAKE_PYTHON");
  const std::string python = py_env != nullptr ? py_env : "python3";
  const fs::path script = testing::SourceDir() / "tests/python/symtable_dump.py";
  constexpr int kProcs = 2;
  std::vector<std::pair<uintmax_t, size_t>> by_size;
  for (size_t i = 0; i < files.size(); ++i) by_size.emplace_back(fs::file_size(files[i]), i);
  std::sort(by_size.rbegin(), by_size.rend());
  std::vector<std::ofstream> lists;
  for (int p = 0; p < kProcs; ++p) lists.emplace_back(tmp.path() / ("list" + std::to_string(p)));
  for (size_t i = 0; i < by_size.size(); ++i) {
    lists[i % kProcs] << files[by_size[i].second].string() << "\n";
  }
  for (auto& l : lists) l.close();
  std::vector<testing::CommandResult> results(kProcs);
  std::vector<std::thread> procs;
  for (int p = 0; p < kProcs; ++p) {
    procs.emplace_back([&, p] {
      results[p] = RunCommand(ShellQuote(python) + " " + ShellQuote(script.string()) + " " +
                              ShellQuote((tmp.path() / ("list" + std::to_string(p))).string()));
    });
  }

  // Ours, meanwhile, on this thread.
  std::vector<FileView> ours(files.size());
  std::vector<bool> unparsable(files.size());
  size_t ts_error_files = 0;
  size_t invariant_violations = 0;
  Parser parser;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string source = ReadFileBytes(files[i]);
    TreePtr tree = parser.Parse(source);
    const TSNode root = ts_tree_root_node(tree.get());
    unparsable[i] = ts_node_has_error(root);
    FileEvidence ev;
    AnalyzeScopes(source, root, &ev);
    invariant_violations += InvariantViolations(ev, source);
    ours[i] = ViewOf(ev);
  }
  for (auto& t : procs) t.join();

  Dump dump;
  for (const auto& r : results) {
    if (r.exit_code == 3) GTEST_SKIP() << python << " is not CPython 3.11";
    ASSERT_EQ(r.exit_code, 0) << "symtable_dump.py failed";
    ParseDump(r.out, &dump);
  }

  Stats stats;
  size_t compared = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string path = files[i].string();
    auto it = dump.files.find(path);
    if (it == dump.files.end()) {
      EXPECT_TRUE(dump.excluded.count(path)) << "no symtable output for " << path;
      continue;
    }
    ++compared;
    if (auto n = dump.nfkc.find(path); n != dump.nfkc.end()) {
      const size_t renamed = Normalize(n->second, &ours[i]);
      stats.explained += renamed;
      stats.explained_by_reason["identifier not in NFKC form (CPython normalizes it)"] += renamed;
    }
    AddLists(&ours[i]);
    if (unparsable[i]) {
      ++ts_error_files;
      std::cout << "  tree-sitter ERROR nodes: " << path << "\n";
    }
    Comparer(path, it->second, ours[i], unparsable[i], &stats).Run();
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::cout << "symtable oracle: " << files.size() << " files, " << dump.excluded.size()
            << " excluded (CPython cannot compile them), " << compared << " compared ("
            << ts_error_files << " with tree-sitter ERROR nodes), " << stats.scopes << " scopes, "
            << stats.symbols << " symbols, " << stats.mismatches << " mismatches, "
            << stats.explained << " explained differences, " << secs << " s\n";
  for (const auto& [reason, count] : stats.explained_by_reason) {
    std::cout << "  explained: " << count << " x " << reason << "\n";
  }
  for (const auto& [path, reason] : dump.excluded) {
    std::cout << "  excluded: " << path << ": " << reason << "\n";
  }
  for (const auto& [path, count] : stats.mismatches_by_file) {
    std::cout << "  " << count << " mismatches in " << path << "\n";
  }
  for (const std::string& d : stats.details) std::cout << "  MISMATCH " << d << "\n";
  EXPECT_EQ(stats.mismatches, 0u);
  EXPECT_EQ(invariant_violations, 0u) << "duplicate ids or dangling edges in the evidence";
  EXPECT_GT(compared, 0u);
}

}  // namespace
}  // namespace cpglake::python
