// The extraction cache's codec (python/summary_codec.h): exact round trips of the summary and
// the evidence of every file of the standard library (/usr/lib/python3.11, skipped when
// absent), with the same rows from the decoded evidence as from the original; hand-built edge
// cases; and hostile blobs (truncations, byte flips, random bytes) that must decode or throw
// InvalidInput, never crash.
#include "python/summary_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "common/error.h"
#include "cpg/graph.h"
#include "python/module_summary.h"
#include "python/scopes.h"
#include "python/source_decoding.h"
#include "python/syntax.h"
#include "python/tree_sitter.h"
#include "test_util.h"

namespace cpglake::python {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStdlib = "/usr/lib/python3.11";

struct Analyzed {
  FileEvidence evidence;
  ModuleSummary summary;
};

// What build.cc does with one file: syntax, scopes, summary (and, for a file in another
// encoding, spans mapped back to its raw bytes).
Analyzed Analyze(const std::string& path, const std::string& source,
                 const std::string& encoding = "utf-8") {
  static Parser parser;
  Analyzed a;
  a.evidence.path = path;
  std::string module = path.substr(0, path.rfind('.'));
  std::replace(module.begin(), module.end(), '/', '.');
  const std::string base = path.substr(path.rfind('/') + 1);
  std::optional<DecodedSource> decoded;
  if (!IsUtf8Encoding(encoding)) {
    std::string why;
    decoded = DecodeSource(source, encoding, &why);
  }
  const std::string_view text = decoded ? std::string_view(decoded->text) : source;
  TreePtr tree;
  ExtractSyntax(parser, text, module, &a.evidence, &tree);
  AnalyzeScopes(text, ts_tree_root_node(tree.get()), &a.evidence);
  a.summary = SummarizeModule(text, ts_tree_root_node(tree.get()), a.evidence, module,
                              base == "__init__.py");
  if (decoded) {
    MapEvidenceToRaw(*decoded, &a.evidence);
    MapSummaryToRaw(*decoded, &a.summary);
  }
  return a;
}

auto Tie(const cpg::NodeRow& r) {
  return std::tie(r.node_id, r.node_kind, r.file_id, r.path, r.bstart, r.bend, r.line_start,
                  r.line_end, r.col_start, r.col_end, r.name, r.qualified_name, r.enclosing_id);
}
auto Tie(const cpg::EdgeRow& r) {
  return std::tie(r.edge_id, r.edge_kind, r.src_node_id, r.dst_node_id, r.edge_owner_file_id,
                  r.path, r.bstart, r.bend, r.origin, r.resolution_method, r.confidence,
                  r.symbol_roles);
}
auto Tie(const cpg::PropRow& r) {
  return std::tie(r.entity_kind, r.entity_id, r.file_id, r.prop_key, r.value, r.is_json);
}
template <class Row>
bool SameRows(const std::vector<Row>& a, const std::vector<Row>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const Row& x, const Row& y) { return Tie(x) == Tie(y); });
}

cpg::FileContext ContextFor(const std::string& path) {
  cpg::FileContext ctx;
  ctx.repo_id = cpg::StableId("PY_REPO", {std::string_view("stdlib")});
  ctx.file_id = cpg::FileId(ctx.repo_id, path);
  ctx.path = path;
  ctx.module_name = "m";
  return ctx;
}

// Round trips `a` and checks everything the header promises of a real file's results.
void CheckRoundTrip(const Analyzed& a, int64_t* evidence_bytes, int64_t* summary_bytes) {
  const std::string es = EncodeEvidence(a.evidence);
  const std::string ss = EncodeSummary(a.summary);
  *evidence_bytes += static_cast<int64_t>(es.size());
  *summary_bytes += static_cast<int64_t>(ss.size());
  const FileEvidence ev = DecodeEvidence(es);
  const ModuleSummary sum = DecodeSummary(ss);
  ASSERT_TRUE(ev == a.evidence) << a.evidence.path;
  ASSERT_TRUE(sum == a.summary) << a.evidence.path;
  ASSERT_EQ(EncodeEvidence(ev), es) << a.evidence.path;
  ASSERT_EQ(EncodeSummary(sum), ss) << a.evidence.path;
  const cpg::FileContext ctx = ContextFor(a.evidence.path);
  const cpg::GraphRows want = cpg::RowsForFile(ctx, a.evidence);
  const cpg::GraphRows got = cpg::RowsForFile(ctx, ev);
  ASSERT_TRUE(SameRows(got.nodes, want.nodes)) << a.evidence.path;
  ASSERT_TRUE(SameRows(got.edges, want.edges)) << a.evidence.path;
  ASSERT_TRUE(SameRows(got.props, want.props)) << a.evidence.path;
}

TEST(SummaryCodecTest, RoundTripsTheStandardLibrary) {
  if (!fs::is_directory(kStdlib)) GTEST_SKIP() << kStdlib << " is not installed";
  std::vector<fs::path> files;
  for (const auto& e :
       fs::recursive_directory_iterator(kStdlib, fs::directory_options::skip_permission_denied)) {
    if (e.is_regular_file() && e.path().extension() == ".py") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 100u);
  int64_t source_bytes = 0, evidence_bytes = 0, summary_bytes = 0;
  for (const fs::path& f : files) {
    const std::string source = testing::ReadFileBytes(f);
    source_bytes += static_cast<int64_t>(source.size());
    const Analyzed a = Analyze(fs::relative(f, kStdlib).generic_string(), source);
    CheckRoundTrip(a, &evidence_bytes, &summary_bytes);
    if (HasFatalFailure()) return;
  }
  std::printf("%zu files, %lld source bytes: evidence %lld bytes, summaries %lld bytes\n",
              files.size(), static_cast<long long>(source_bytes),
              static_cast<long long>(evidence_bytes), static_cast<long long>(summary_bytes));
}

// A file with a bit of everything: BOM, CRLF and lone CR newlines, a syntax error, classes
// with bases and members, decorators, star and relative imports, __all__, returns.
const char kSample[] =
    "\xEF\xBB\xBF\"\"\"Doc.\"\"\"\r\n"
    "from . import sibling\r\n"
    "from .. import too_far\n"
    "from os.path import *\n"
    "import collections.abc as cabc\n"
    "__all__ = ['Base', 'Derived', 'make']\n"
    "\n"
    "class Base(cabc.Mapping):\r"
    "    kind: int = 3\n"
    "    def __init__(self, x: 'int' = 1, *args, **kw):\n"
    "        self.x = x\n"
    "        super().__init__()\n"
    "\n"
    "@staticmethod\n"
    "@functools.cache\n"
    "def make(a, /, b=2.5, *, c=None):\n"
    "    def inner(y):\n"
    "        return lambda z: (y, z, 'caf\xC3\xA9 \xE2\x9C\x93')\n"
    "    return inner\n"
    "\n"
    "class Derived(Base, metaclass=type):\n"
    "    def m[T](self) -> T: return make(1)(2)\n"
    "x = Derived().m().attr.call(\n"
    "def broken(:\n"
    "    pass\n";

std::vector<Analyzed> SampleResults() {
  std::vector<Analyzed> out;
  out.push_back(Analyze("pkg/sample.py", kSample));
  out.push_back(Analyze("pkg/__init__.py", "from .sample import *\nglobals()['y'] = 1\n"));
  // A file in another encoding: its line index has utf8_offset.
  out.push_back(Analyze("pkg/latin.py",
                        "# -*- coding: latin-1 -*-\nname = 'caf\xE9'\ndef f(\xE9t\xE9=1): pass\n",
                        "latin-1"));
  if (fs::is_regular_file(fs::path(kStdlib) / "colorsys.py")) {
    out.push_back(
        Analyze("colorsys.py", testing::ReadFileBytes(fs::path(kStdlib) / "colorsys.py")));
  }
  return out;
}

TEST(SummaryCodecTest, RoundTripsTheSamples) {
  const std::vector<Analyzed> samples = SampleResults();
  ASSERT_FALSE(samples[2].evidence.lines.utf8_offset.empty());
  ASSERT_FALSE(samples[0].evidence.diagnostics.empty());
  ASSERT_EQ(samples[0].evidence.lines.bom, 3);
  int64_t e = 0, s = 0;
  for (const Analyzed& a : samples) CheckRoundTrip(a, &e, &s);
}

// Bitwise equality of the doubles in props and confidences (NaN != NaN otherwise).
bool SameBits(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

TEST(SummaryCodecTest, RoundTripsEmptyValues) {
  EXPECT_TRUE(DecodeSummary(EncodeSummary(ModuleSummary{})) == ModuleSummary{});
  EXPECT_TRUE(DecodeEvidence(EncodeEvidence(FileEvidence{})) == FileEvidence{});
  // An empty file's line index: one empty line.
  FileEvidence ev;
  ev.lines = BuildLineIndex("");
  EXPECT_TRUE(DecodeEvidence(EncodeEvidence(ev)) == ev);
}

TEST(SummaryCodecTest, RoundTripsExtremeValues) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();
  constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
  const std::string long_text(1000, 'x');
  const std::string at_limit(kMaxInternedString, 'y');
  const std::string past_limit(kMaxInternedString + 1, 'z');
  const std::string with_nul("a\0b", 3);

  FileEvidence ev;
  ev.path = "päckage/모듈/файл.py";
  for (int i = 0; i < 3; ++i) {
    EvidenceNode n;
    n.kind = i == 0 ? "PY_MODULE" : "CST_CALLSITE";
    n.bstart = i == 0 ? kMin : kMax;
    n.bend = i == 0 ? kMax : kMin;
    n.name = i == 1 ? long_text : "ñame 🐍";
    n.qualified_path = i == 2 ? with_nul : past_limit;
    n.ordinal = i == 0 ? kMin32 : kMax32;
    n.parent = i == 0 ? -1 : 0;
    n.enclosing = i == 2 ? 1 : -1;
    n.props = {{"s", PropValue(std::string("é\xff"))},
               {"i", PropValue(kMin)},
               {"j", PropValue(kMax)},
               {"neg", PropValue(int64_t{-1})},
               {"d", PropValue(-0.0)},
               {"b", PropValue(true)},
               {"f", PropValue(false)},
               {"empty", PropValue(std::string())},
               {at_limit, PropValue(past_limit)},
               {past_limit, PropValue(at_limit)}};
    ev.AddNode(n);
  }
  ev.AddEdge({"CST_PARENT_OF", 0, 1, -1, -1, "syntax", "", 1.0});
  ev.AddEdge({"CALLS", 2, 0, kMin, kMax, "resolver", "qualified_name", 0.25});
  ev.AddEdge({"CALLS", 1, 2, kMax, kMin, "scip", long_text, -0.0});
  ev.diagnostics.push_back({"error", "SYNTAX_ERROR", "ünïcode ✓ " + long_text, kMin, kMax});
  ev.diagnostics.push_back({"", "", "", -1, -1});
  ev.lines.size = kMax;
  ev.lines.bom = 3;
  ev.lines.line_starts = {0, 0, 5, kMax};
  ev.lines.newlines = {NewlineKind::kCrLf, NewlineKind::kCr, NewlineKind::kLf, NewlineKind::kNone};
  FileEvidence decoded = DecodeEvidence(EncodeEvidence(ev));
  EXPECT_TRUE(decoded == ev);
  EXPECT_EQ(EncodeEvidence(decoded), EncodeEvidence(ev));

  // utf8_offset, with values of both signs and extremes.
  ev.lines = BuildLineIndex("a\r\nb\rc\n\n");
  ev.lines.utf8_offset = {0, kMax, kMin, -1, 7, 7, 3, 2, 1};
  ASSERT_EQ(ev.lines.utf8_offset.size(), static_cast<size_t>(ev.lines.size + 1));
  EXPECT_TRUE(DecodeEvidence(EncodeEvidence(ev)) == ev);

  // Doubles keep their bits: NaN (with a payload, of either sign), infinities, denormals.
  const double nan_payload = std::bit_cast<double>(uint64_t{0x7ff8'dead'beef'0001});
  const double neg_nan = -std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> doubles = {std::numeric_limits<double>::quiet_NaN(),
                                       nan_payload,
                                       neg_nan,
                                       std::numeric_limits<double>::infinity(),
                                       -std::numeric_limits<double>::infinity(),
                                       std::numeric_limits<double>::denorm_min(),
                                       -0.0,
                                       1.0,
                                       std::nextafter(1.0, 2.0)};
  FileEvidence dv;
  EvidenceNode node;
  node.kind = "X";
  for (double d : doubles) node.props.emplace_back("d", PropValue(d));
  dv.AddNode(node);
  for (double d : doubles) dv.AddEdge({"E", 0, 0, -1, -1, "syntax", "", d});
  const std::string blob = EncodeEvidence(dv);
  const FileEvidence back = DecodeEvidence(blob);
  ASSERT_EQ(back.nodes.size(), 1u);
  ASSERT_EQ(back.nodes[0].props.size(), doubles.size());
  ASSERT_EQ(back.edges.size(), doubles.size());
  for (size_t i = 0; i < doubles.size(); ++i) {
    EXPECT_TRUE(SameBits(std::get<double>(back.nodes[0].props[i].second), doubles[i])) << i;
    EXPECT_TRUE(SameBits(back.edges[i].confidence, doubles[i])) << i;
  }
  EXPECT_EQ(EncodeEvidence(back), blob);
  EXPECT_TRUE(std::isnan(back.edges[0].confidence));

  // A summary with every kind of SymbolRef and every optional-like -1.
  ModuleSummary s;
  s.module_name = "パッケージ.mod";
  s.is_package = true;
  s.dynamic_names = true;
  s.has_all = true;
  s.all = {"a", "", "ü", long_text};
  s.star_imports = {"os.path", "os.path", past_limit};
  NodeKey k;
  s.keys.push_back(k);  // all defaults (-1)
  k.kind = "PY_CLASS";
  k.name = "C";
  k.qualified_path = "Outer.<locals>.C";
  k.ordinal = kMax32;
  k.bstart = kMax;
  k.bend = kMin;
  k.line_start = kMin32;
  k.line_end = kMax32;
  k.col_start = kMax32;
  k.col_end = kMin32;
  s.keys.push_back(k);
  k.ordinal = kMin32;
  s.keys.push_back(k);
  s.module_key = 0;
  auto ref = [](SymbolRef::Base base, int32_t key, std::string name, std::vector<std::string> steps,
                uint8_t hops) {
    SymbolRef r;
    r.base = base;
    r.key = key;
    r.name = std::move(name);
    r.steps = std::move(steps);
    r.hops = hops;
    return r;
  };
  using B = SymbolRef::Base;
  s.globals = {{"a", ref(B::kUnknown, -1, "", {}, 0), -1, false},
               {"b", ref(B::kNode, 1, "", {"()", "x"}, 255), 2, true},
               {"c", ref(B::kVariable, 2, "", {}, 1), 0, false},
               {"d", ref(B::kModule, -1, "a.b", {"c", "()"}, 0), 1, true},
               {"e", ref(B::kGlobal, -1, "print", {}, 0), -1, false},
               {"f", ref(B::kInstance, 1, "", {"m"}, 3), -1, false},
               {"g", ref(B::kSuper, 1, "", {"__init__", "()"}, 0), -1, false}};
  ModuleSummary::ClassInfo c;
  c.key = 1;
  c.bases = {{ref(B::kModule, -1, "abc", {"ABC"}, 0), 10, 20}, {SymbolRef{}, -1, -1}};
  c.members = {{"x", SymbolRef{}, -1, false}, {"y", ref(B::kNode, 2, "", {}, 0), 2, true}};
  s.classes = {c, ModuleSummary::ClassInfo{}};
  s.returns = {{1, ref(B::kNode, 2, "", {}, 1)}, {-1, SymbolRef{}}};
  s.references = {{ModuleSummary::RefKind::kCall, 2, ref(B::kGlobal, -1, "len", {}, 0)},
                  {ModuleSummary::RefKind::kDecorator, 0, SymbolRef{}},
                  {ModuleSummary::RefKind::kCall, -1, SymbolRef{}}};
  s.imports = {{1, ref(B::kModule, -1, "os", {}, 0), false, false, ""},
               {2, ref(B::kModule, -1, "x", {"y"}, 0), true, true, ""},
               {-1, SymbolRef{}, false, true, "relative import beyond the top-level package"}};
  const ModuleSummary sd = DecodeSummary(EncodeSummary(s));
  EXPECT_TRUE(sd == s);
  EXPECT_EQ(EncodeSummary(sd), EncodeSummary(s));
  // The shared part: everything but the file's own references and imports.
  ModuleSummary shared = s;
  shared.references.clear();
  shared.imports.clear();
  shared.complete = false;
  EXPECT_TRUE(DecodeSharedSummary(EncodeSummary(s)) == shared);
  // The names of keys only the file's own references and imports use are left out; a summary
  // whose shared part points at such a key (SummarizeModule makes none) keeps them.
  ModuleSummary own;
  for (const char* kind : {"PY_MODULE", "CST_CALLSITE", "CST_FUNCTION_DEF", "CST_IMPORT_ALIAS"}) {
    NodeKey key;
    key.kind = kind;
    key.name = std::string("name of ") + kind;
    key.qualified_path = kind == std::string("CST_FUNCTION_DEF") ? "f" : "";
    own.keys.push_back(key);
  }
  own.module_key = 0;
  own.references = {{ModuleSummary::RefKind::kCall, 1, SymbolRef{}}};
  own.imports = {{3, SymbolRef{}, false, false, ""}};
  const ModuleSummary own_shared = DecodeSharedSummary(EncodeSummary(own));
  EXPECT_FALSE(own_shared.complete);
  EXPECT_TRUE(own_shared.references.empty() && own_shared.imports.empty());
  EXPECT_EQ(own_shared.keys[1].kind, "CST_CALLSITE");
  EXPECT_EQ(own_shared.keys[1].name, "");
  EXPECT_EQ(own_shared.keys[3].name, "");
  EXPECT_EQ(own_shared.keys[2].name, "name of CST_FUNCTION_DEF");
  EXPECT_EQ(own_shared.keys[2].qualified_path, "f");
  own.globals = {{"g", SymbolRef{}, 1, false}};  // a binding key that is a call site
  EXPECT_EQ(DecodeSharedSummary(EncodeSummary(own)).keys[1].name, "name of CST_CALLSITE");
  // A damaged blob is refused by the shared decoding too (the checksum covers all of it).
  std::string damaged = EncodeSummary(s);
  damaged[damaged.size() - 12] ^= 0x20;
  EXPECT_THROW(DecodeSharedSummary(damaged), InvalidInput);
}

TEST(SummaryCodecTest, EncodingRejectsValuesThatBreakTheInvariants) {
  FileEvidence ev;
  ev.AddNode({});
  ev.AddEdge({"E", 0, 1, -1, -1, "syntax", "", 1.0});
  EXPECT_THROW(EncodeEvidence(ev), InvalidInput);
  ev.edges.clear();
  ev.nodes[0].parent = 1;
  EXPECT_THROW(EncodeEvidence(ev), InvalidInput);
  ev.nodes[0].parent = -1;
  ev.lines = BuildLineIndex("a\nb");
  ev.lines.line_starts[1] = 9;  // past the end
  EXPECT_THROW(EncodeEvidence(ev), InvalidInput);
  ModuleSummary s;
  s.module_key = 0;  // no keys
  EXPECT_THROW(EncodeSummary(s), InvalidInput);
}

// The message of the InvalidInput that decoding `bytes` throws ("" when it decodes).
template <class Decode>
std::string DecodeError(Decode decode, std::string_view bytes) {
  try {
    decode(bytes);
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "";
}

TEST(SummaryCodecTest, RejectsOtherMagicAndVersions) {
  const Analyzed a = SampleResults()[0];
  const std::string es = EncodeEvidence(a.evidence);
  const std::string ss = EncodeSummary(a.summary);
  EXPECT_EQ(es.substr(0, 4), "CPGE");
  EXPECT_EQ(ss.substr(0, 4), "CPGS");
  EXPECT_EQ(static_cast<int>(es[4]), kFrontEndCodecVersion);
  EXPECT_NE(DecodeError(DecodeSummary, es).find("magic \"CPGS\""), std::string::npos);
  EXPECT_NE(DecodeError(DecodeEvidence, ss).find("magic \"CPGE\""), std::string::npos);
  EXPECT_NE(DecodeError(DecodeEvidence, "").find("magic"), std::string::npos);
  EXPECT_NE(DecodeError(DecodeEvidence, "CPG").find("magic"), std::string::npos);
  for (const std::string& version :
       {std::string("\x03"), std::string("\x00", 1), std::string("\x81\x01")}) {
    std::string other = es;
    other.replace(4, 1, version);
    const std::string why = DecodeError(DecodeEvidence, other);
    EXPECT_NE(why.find("format version"), std::string::npos) << why;
    EXPECT_NE(why.find("this build reads version 2"), std::string::npos) << why;
  }
  EXPECT_NE(DecodeError(DecodeEvidence, "CPGE").find("truncated"), std::string::npos);
  EXPECT_NE(DecodeError(DecodeEvidence, es + "x").find("checksum"), std::string::npos);
  // A sealed body with a byte too many: the checksum holds, the parse finds the extra byte.
  EXPECT_NE(
      DecodeError(DecodeEvidence, SealBlob(es.substr(0, es.size() - 8) + "x")).find("trailing"),
      std::string::npos);
  // One flipped bit in the body: refused by the checksum, not decoded into another value.
  std::string flipped = ss;
  flipped[ss.size() / 2] = static_cast<char>(flipped[ss.size() / 2] ^ 0x10);
  EXPECT_NE(DecodeError(DecodeSummary, flipped).find("checksum mismatch"), std::string::npos);
}

// Decodes `bytes`; a value that decodes must re-encode, decode to the same and make rows.
template <class Value>
bool TryDecode(std::string_view bytes, Value (*decode)(std::string_view)) {
  Value v;
  try {
    v = decode(bytes);
  } catch (const InvalidInput&) {
    return false;
  }
  if constexpr (std::is_same_v<Value, FileEvidence>) {
    const std::string again = EncodeEvidence(v);
    EXPECT_EQ(EncodeEvidence(DecodeEvidence(again)), again);
    try {
      cpg::RowsForFile(ContextFor("f.py"), v);
    } catch (const Error&) {
      // Rows may reject what the codec cannot know (say, an unknown kind); no crash is the test.
    }
  } else {
    const std::string again = EncodeSummary(v);
    EXPECT_EQ(EncodeSummary(DecodeSummary(again)), again);
  }
  return true;
}

TEST(SummaryCodecTest, SurvivesCorruptBlobs) {
  std::mt19937_64 rng(20240611);
  int64_t decoded = 0, rejected = 0;
  auto attack = [&](const std::string& blob, auto decode) {
    // Every truncation.
    for (size_t n = 0; n < blob.size(); ++n) {
      if (TryDecode(std::string_view(blob).substr(0, n), decode)) {
        ++decoded;
      } else {
        ++rejected;
      }
    }
    // Single-byte flips and overwrites.
    for (int i = 0; i < 3000; ++i) {
      std::string bad = blob;
      const size_t at = rng() % bad.size();
      if (i % 2 == 0) {
        bad[at] = static_cast<char>(bad[at] ^ (1 << (rng() % 8)));
      } else {
        bad[at] = static_cast<char>(rng());
      }
      if (TryDecode(bad, decode)) {
        ++decoded;
      } else {
        ++rejected;
      }
    }
  };
  for (const Analyzed& a : SampleResults()) {
    attack(EncodeEvidence(a.evidence), DecodeEvidence);
    attack(EncodeSummary(a.summary), DecodeSummary);
  }
  // Random bytes, after a valid header so that the body decoder sees them.
  for (int i = 0; i < 3000; ++i) {
    std::string bytes(rng() % 200, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? rng() % 4 : rng());
    for (const char* head : {"", "CPGE\x01", "CPGS\x01"}) {
      const std::string blob = head + bytes;
      TryDecode(blob, DecodeEvidence);
      TryDecode(blob, DecodeSummary);
    }
  }
  EXPECT_GT(rejected, 0);
  std::printf("corrupt blobs: %lld decoded, %lld rejected\n", static_cast<long long>(decoded),
              static_cast<long long>(rejected));
}

// A blob cannot make the decoder allocate far more than its own size: huge counts and
// lengths are rejected before anything is reserved.
TEST(SummaryCodecTest, RejectsHugeCountsAndLengths) {
  // Sealed (valid checksum) bodies, so that the parser itself meets the bad values.
  const std::string huge = "\xff\xff\xff\xff\xff\xff\xff\xff\x7f";  // 2^63 - 1
  // path: a new string of 2^63 - 1 bytes.
  EXPECT_NE(
      DecodeError(DecodeEvidence, SealBlob(std::string("CPGE\x02\x00", 6) + huge)).find("exceeds"),
      std::string::npos);
  // path "", then 2^63 - 1 nodes.
  EXPECT_NE(DecodeError(DecodeEvidence, SealBlob(std::string("CPGE\x02\x00\x00", 7) + huge))
                .find("exceeds"),
            std::string::npos);
  // A varint of 11 bytes.
  EXPECT_NE(
      DecodeError(DecodeSummary, SealBlob("CPGS\x02" + std::string(11, '\xff'))).find("64 bits"),
      std::string::npos);
}

}  // namespace
}  // namespace cpglake::python
