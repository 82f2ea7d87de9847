// Files in other encodings: decoding through iconv, spans mapped back to raw bytes, columns in
// UTF-8 bytes of the decoded line (CPython's ast convention), checked against fixed values
// that CPython 3.11 gives for the same bytes.
#include "python/source_decoding.h"

#include <gtest/gtest.h>

#include "python/identifiers.h"
#include "python/scopes.h"
#include "python/syntax.h"

namespace cpglake::python {
namespace {

TEST(SourceDecodingTest, Latin1RoundTripsOffsets) {
  const std::string raw = "# -*- coding: latin-1 -*-\ncaf\xe9 = 1\n";
  std::string error;
  auto d = DecodeSource(raw, "latin-1", &error);
  ASSERT_TRUE(d) << error;
  EXPECT_EQ(d->text, "# -*- coding: latin-1 -*-\ncaf\xc3\xa9 = 1\n");
  ASSERT_EQ(d->raw_offset.size(), d->text.size() + 1);
  ASSERT_EQ(d->utf8_offset.size(), raw.size() + 1);
  const size_t e = raw.find('\xe9');
  EXPECT_EQ(d->utf8_offset[e], static_cast<int64_t>(e));
  EXPECT_EQ(d->utf8_offset[e + 1], static_cast<int64_t>(e + 2));
  EXPECT_EQ(d->raw_offset[e + 1], static_cast<int64_t>(e));  // inside the 2-byte é
  EXPECT_EQ(d->raw_offset[e + 2], static_cast<int64_t>(e + 1));
  EXPECT_EQ(d->raw_offset.back(), static_cast<int64_t>(raw.size()));
}

TEST(SourceDecodingTest, MultiByteCodecs) {
  // "名前 = 1" in Shift_JIS, EUC-JP and GBK; each character is 2 raw bytes, 3 UTF-8 bytes.
  const std::string utf8 = "\xe5\x90\x8d\xe5\x89\x8d = 1\n";
  for (const auto& [codec, raw] :
       std::vector<std::pair<std::string, std::string>>{{"shift_jis", "\x96\xbc\x91\x4f = 1\n"},
                                                        {"euc_jp", "\xcc\xbe\xc1\xb0 = 1\n"},
                                                        {"gbk", "\xc3\xfb\xc7\xb0 = 1\n"}}) {
    std::string error;
    auto d = DecodeSource(raw, codec, &error);
    ASSERT_TRUE(d) << codec << ": " << error;
    EXPECT_EQ(d->text, utf8) << codec;
    EXPECT_EQ(d->utf8_offset[2], 3) << codec;
    EXPECT_EQ(d->utf8_offset[4], 6) << codec;
    EXPECT_EQ(d->raw_offset[6], 4) << codec;
  }
}

TEST(SourceDecodingTest, UndecodableAndUnknown) {
  std::string error;
  EXPECT_FALSE(DecodeSource("x = '\xe9'\n", "ascii", &error));
  EXPECT_NE(error.find("offset 5"), std::string::npos) << error;
  EXPECT_FALSE(DecodeSource("x = 1\n", "no-such-codec", &error));
  EXPECT_NE(error.find("no decoder"), std::string::npos) << error;
  EXPECT_FALSE(DecodeSource("x = '\x82", "shift_jis", &error));  // truncated character
  EXPECT_TRUE(IsUtf8Encoding("utf-8-sig"));
  EXPECT_FALSE(IsUtf8Encoding("latin-1"));
}

TEST(SourceDecodingTest, EvidenceSpansAreRawAndColumnsAreUtf8) {
  // CPython 3.11 on these bytes: Name 'café' at line 2, col 0..5; 'print' 3:0..5; 'café'
  // 3:6..11.
  const std::string raw = "# coding: latin-1\ncaf\xe9 = 1\nprint(caf\xe9)\n";
  auto d = DecodeSource(raw, "latin-1", nullptr);
  ASSERT_TRUE(d);
  FileEvidence ev;
  Parser parser;
  TreePtr tree;
  ExtractSyntax(parser, d->text, "m", &ev, &tree);
  AnalyzeScopes(d->text, ts_tree_root_node(tree.get()), &ev);
  MapEvidenceToRaw(*d, &ev);
  EXPECT_EQ(ev.lines.size, static_cast<int64_t>(raw.size()));
  std::vector<std::string> refs;
  for (const auto& n : ev.nodes) {
    if (n.kind != "CST_REF") continue;
    const auto [l0, c0] = ev.lines.Position(n.bstart);
    const auto [l1, c1] = ev.lines.Position(n.bend);
    EXPECT_EQ(ev.lines.Offset(l0, c0), n.bstart);
    EXPECT_EQ(ev.lines.Offset(l1, c1), n.bend);
    refs.push_back(
        n.name + " " +
        raw.substr(static_cast<size_t>(n.bstart), static_cast<size_t>(n.bend - n.bstart)) + " " +
        std::to_string(l0) + ":" + std::to_string(c0) + "-" + std::to_string(c1));
  }
  const std::vector<std::string> want = {"caf\xc3\xa9 caf\xe9 2:0-5", "print print 3:0-5",
                                         "caf\xc3\xa9 caf\xe9 3:6-11"};
  EXPECT_EQ(refs, want);
  bool binding = false;
  for (const auto& n : ev.nodes)
    binding = binding || (n.kind == "PY_BINDING" && n.name == "caf\xc3\xa9");
  EXPECT_TRUE(binding);
}

TEST(IdentifiersTest, NamesAreNfkcNormalisedSpansAreNot) {
  // CPython 3.11: ast.parse("def \ufb01(\uff41): \uff41.\uff42\nimport \uff4d as \uff4e\n")
  // names the function "fi", the parameter "a", the attribute "b", the import "m" as "n".
  const std::string src =
      "def \xef\xac\x81(\xef\xbd\x81): \xef\xbd\x81.\xef\xbd\x82\n"
      "import \xef\xbd\x8d as \xef\xbd\x8e\n";
  FileEvidence ev;
  ExtractSyntax(src, "m", &ev);
  std::vector<std::string> got;
  for (const auto& n : ev.nodes) {
    if (n.kind == "CST_FUNCTION_DEF" || n.kind == "CST_PARAM" || n.kind == "CST_REF" ||
        n.kind == "CST_ATTRIBUTE_ACCESS" || n.kind == "CST_IMPORT_ALIAS") {
      got.push_back(n.kind + " " + n.name + " " + n.qualified_path + " " +
                    std::to_string(n.bend - n.bstart));
    }
  }
  const std::vector<std::string> want = {"CST_FUNCTION_DEF fi fi 21", "CST_PARAM a fi(a) 3",
                                         "CST_ATTRIBUTE_ACCESS b  7", "CST_REF a  3",
                                         "CST_IMPORT_ALIAS m  10"};
  EXPECT_EQ(got, want);
  EXPECT_EQ(NormalizeIdentifier("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(NormalizeIdentifier("plain"), "plain");
}

}  // namespace
}  // namespace cpglake::python
