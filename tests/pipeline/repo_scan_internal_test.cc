// Unit tests of the pure pieces of the repository scan: globs, names, shebangs, encodings.
// The encoding detection is checked against CPython's own tokenize.detect_encoding.
#include "pipeline/repo_scan_internal.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "test_util.h"

namespace cpglake::pipeline::internal {
namespace {

using cpglake::testing::RunCommand;
using cpglake::testing::ShellQuote;
using cpglake::testing::SplitLines;
using cpglake::testing::TempDir;

TEST(GlobSegmentTest, Wildcards) {
  EXPECT_TRUE(GlobSegmentMatches("*.py", "mod.py"));
  EXPECT_TRUE(GlobSegmentMatches("*.py", ".py"));
  EXPECT_FALSE(GlobSegmentMatches("*.py", "mod.pyc"));
  EXPECT_TRUE(GlobSegmentMatches("test_*", "test_"));
  EXPECT_TRUE(GlobSegmentMatches("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(GlobSegmentMatches("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(GlobSegmentMatches("?.py", "a.py"));
  EXPECT_FALSE(GlobSegmentMatches("?.py", "ab.py"));
  EXPECT_TRUE(GlobSegmentMatches("?.py", "\xC3\xA9.py"));  // é is one character
  EXPECT_TRUE(GlobSegmentMatches("caf?", "caf\xC3\xA9"));
  EXPECT_TRUE(GlobSegmentMatches("**", "anything"));
  EXPECT_TRUE(GlobSegmentMatches("", ""));
  EXPECT_FALSE(GlobSegmentMatches("", "a"));
}

TEST(GlobSegmentTest, ClassesAndEscapes) {
  EXPECT_TRUE(GlobSegmentMatches("[abc].py", "b.py"));
  EXPECT_FALSE(GlobSegmentMatches("[abc].py", "d.py"));
  EXPECT_TRUE(GlobSegmentMatches("[a-c]x", "cx"));
  EXPECT_TRUE(GlobSegmentMatches("[!a-c]x", "dx"));
  EXPECT_FALSE(GlobSegmentMatches("[^a-c]x", "bx"));
  EXPECT_TRUE(GlobSegmentMatches("[]]", "]"));
  EXPECT_TRUE(GlobSegmentMatches("[\xC3\xA0-\xC3\xBF]", "\xC3\xA9"));  // à-ÿ contains é
  EXPECT_TRUE(GlobSegmentMatches("\\*.py", "*.py"));
  EXPECT_FALSE(GlobSegmentMatches("\\*.py", "a.py"));
  EXPECT_TRUE(GlobSegmentMatches("a[", "a["));  // unterminated: literal
}

TEST(PathGlobTest, UnanchoredPatternsMatchAnySegment) {
  const PathGlob tests("tests");
  EXPECT_TRUE(tests.MatchesFile("tests/a.py"));
  EXPECT_TRUE(tests.MatchesFile("pkg/tests/sub/a.py"));
  EXPECT_FALSE(tests.MatchesFile("pkg/tests_x/a.py"));
  EXPECT_TRUE(tests.MatchesFile("pkg/tests"));  // a file called tests
  const PathGlob py("test_*.py");
  EXPECT_TRUE(py.MatchesFile("a/b/test_x.py"));
  EXPECT_FALSE(py.MatchesFile("a/b/x_test.py"));
}

TEST(PathGlobTest, AnchoredPatterns) {
  const PathGlob legacy("src/legacy");
  EXPECT_TRUE(legacy.MatchesFile("src/legacy/a.py"));
  EXPECT_FALSE(legacy.MatchesFile("lib/src/legacy/a.py"));
  const PathGlob setup("/setup.py");
  EXPECT_TRUE(setup.MatchesFile("setup.py"));
  EXPECT_FALSE(setup.MatchesFile("pkg/setup.py"));
  const PathGlob dotslash("./pkg/*.py");
  EXPECT_TRUE(dotslash.MatchesFile("pkg/a.py"));
  EXPECT_FALSE(dotslash.MatchesFile("pkg/sub/a.py"));
}

TEST(PathGlobTest, GlobStar) {
  const PathGlob any_test("**/test_*.py");
  EXPECT_TRUE(any_test.MatchesFile("test_a.py"));
  EXPECT_TRUE(any_test.MatchesFile("a/b/c/test_a.py"));
  const PathGlob below("src/**");
  EXPECT_TRUE(below.MatchesFile("src/a.py"));
  EXPECT_TRUE(below.MatchesFile("src/a/b/c.py"));
  EXPECT_FALSE(below.MatchesFile("lib/a.py"));
  const PathGlob middle("src/**/x.py");
  EXPECT_TRUE(middle.MatchesFile("src/x.py"));
  EXPECT_TRUE(middle.MatchesFile("src/a/b/x.py"));
  EXPECT_FALSE(middle.MatchesFile("src/a/b/y.py"));
  const PathGlob many("a/**/**/b/**/c");
  EXPECT_TRUE(many.MatchesFile("a/b/c"));
  EXPECT_TRUE(many.MatchesFile("a/x/y/b/z/c/file.py"));
  EXPECT_FALSE(many.MatchesFile("a/x/y/z/c"));
}

TEST(PathGlobTest, TrailingSlashMatchesDirectoriesOnly) {
  const PathGlob dir("gen/");
  EXPECT_TRUE(dir.MatchesFile("gen/a.py"));
  EXPECT_TRUE(dir.MatchesFile("x/gen/a.py"));
  EXPECT_FALSE(dir.MatchesFile("x/gen"));
  EXPECT_TRUE(dir.MatchesDirectory("x/gen"));
}

TEST(PathGlobTest, MalformedPatternsThrow) {
  EXPECT_THROW(PathGlob(""), InvalidInput);
  EXPECT_THROW(PathGlob("/"), InvalidInput);
  EXPECT_THROW(PathGlob("./"), InvalidInput);
  EXPECT_THROW(PathGlob("src/[abc"), InvalidInput);
  EXPECT_NO_THROW(PathGlob("src/\\[abc"));
}

TEST(NameTest, Utf8AndControlCharacters) {
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9.py"));
  EXPECT_FALSE(IsValidUtf8("caf\xE9.py"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x90\x8D"));   // snake
  EXPECT_EQ(EscapeInvalidUtf8("caf\xE9/\xC3\xA9.py"), "caf\\xE9/\xC3\xA9.py");
  EXPECT_TRUE(HasControlCharacter("a\nb.py"));
  EXPECT_TRUE(HasControlCharacter("a\x7F"));
  EXPECT_FALSE(HasControlCharacter("a b\xC3\xA9.py"));
}

TEST(NameTest, Extensions) {
  EXPECT_TRUE(HasPythonExtension("a.py"));
  EXPECT_TRUE(HasPythonExtension("a.pyi"));
  EXPECT_TRUE(HasPythonExtension("a.pyw"));
  EXPECT_TRUE(HasPythonExtension("a.b.py"));
  EXPECT_FALSE(HasPythonExtension("a.PY"));
  EXPECT_FALSE(HasPythonExtension("a.pyc"));
  EXPECT_FALSE(HasPythonExtension(".py"));  // os.path.splitext: no extension
  EXPECT_TRUE(HasNoExtension("manage"));
  EXPECT_TRUE(HasNoExtension(".bashrc"));
  EXPECT_TRUE(HasNoExtension("..."));
  EXPECT_FALSE(HasNoExtension("a.txt"));
  EXPECT_FALSE(HasNoExtension("a."));
}

TEST(ShebangTest, RecognisesPythonInterpreters) {
  for (const char* s : {"#!/usr/bin/python\n", "#!/usr/bin/python3", "#!/usr/bin/python3.11\nx",
                        "#! /usr/local/bin/python2.7 -u\n", "#!/usr/bin/env python3\r\n",
                        "#!/usr/bin/env -S python3 -u\n", "#!/usr/bin/env PYTHONPATH=. python\n",
                        "#!/usr/bin/env -u HOME python3\n", "#!python\n"}) {
    EXPECT_TRUE(IsPythonShebang(s)) << s;
  }
  for (const char* s :
       {"#!/bin/sh\n", "#!/usr/bin/env bash\n", "#!/usr/bin/pythonista\n", "#!/usr/bin/python3.\n",
        "#!/usr/bin/python3.x\n", "# python\n", "#!/usr/bin/env\n", "#!\n", "",
        "\n#!/usr/bin/python\n", "#!/usr/bin/env -S\n", "#!/bin/sh python\n"}) {
    EXPECT_FALSE(IsPythonShebang(s)) << s;
  }
}

TEST(EncodingTest, NormalizesCodecNames) {
  EXPECT_EQ(NormalizeEncodingName("utf-8"), "utf-8");
  EXPECT_EQ(NormalizeEncodingName("UTF8"), "utf-8");
  EXPECT_EQ(NormalizeEncodingName("utf_8"), "utf-8");
  EXPECT_EQ(NormalizeEncodingName("utf-8-sig"), "utf-8");  // the tokenizer's utf-8- prefix
  EXPECT_EQ(NormalizeEncodingName("latin-1"), "latin-1");
  EXPECT_EQ(NormalizeEncodingName("Latin1"), "latin-1");
  EXPECT_EQ(NormalizeEncodingName("iso-8859-1"), "latin-1");
  EXPECT_EQ(NormalizeEncodingName("iso8859-1"), "latin-1");
  EXPECT_EQ(NormalizeEncodingName("ISO_8859-1"), "latin-1");
  EXPECT_EQ(NormalizeEncodingName("cp1252"), "cp1252");
  EXPECT_EQ(NormalizeEncodingName("windows-1252"), "cp1252");
  EXPECT_EQ(NormalizeEncodingName("ascii"), "ascii");
  EXPECT_EQ(NormalizeEncodingName("us-ascii"), "ascii");
  EXPECT_EQ(NormalizeEncodingName("euc-jp"), "euc_jp");
  EXPECT_EQ(NormalizeEncodingName("iso-8859-15"), "iso8859-15");
  EXPECT_EQ(NormalizeEncodingName("koi8-r"), "koi8-r");
  EXPECT_EQ(NormalizeEncodingName("rot13"), std::nullopt);  // not a text encoding
  EXPECT_EQ(NormalizeEncodingName("klingon"), std::nullopt);
}

TEST(EncodingTest, BomAndCookies) {
  EXPECT_EQ(DetectSourceEncoding("").encoding, "utf-8");
  EXPECT_EQ(DetectSourceEncoding("x = 1\n").encoding, "utf-8");
  EXPECT_EQ(DetectSourceEncoding("\xEF\xBB\xBFx = 1\n").encoding, "utf-8-sig");
  EXPECT_EQ(DetectSourceEncoding("# -*- coding: latin-1 -*-\n").encoding, "latin-1");
  EXPECT_EQ(DetectSourceEncoding("#!/usr/bin/python\n# vim: set fileencoding=cp1252 :\n").encoding,
            "cp1252");
  // Line 2 counts only when line 1 is blank or a comment.
  EXPECT_EQ(DetectSourceEncoding("x = 1\n# coding: latin-1\n").encoding, "utf-8");
  EXPECT_EQ(DetectSourceEncoding("\n# coding: latin-1\n").encoding, "latin-1");
  // Line 3 never counts.
  EXPECT_EQ(DetectSourceEncoding("#\n#\n# coding: latin-1\n").encoding, "utf-8");
  // A cookie must be in a comment.
  EXPECT_EQ(DetectSourceEncoding("s = '# coding: latin-1'\n").encoding, "utf-8");
  const SourceEncoding unknown = DetectSourceEncoding("# coding: Klingon\n");
  EXPECT_FALSE(unknown.known);
  EXPECT_EQ(unknown.encoding, "klingon");
  EXPECT_EQ(unknown.cookie, "Klingon");
  const SourceEncoding conflict = DetectSourceEncoding("\xEF\xBB\xBF# coding: latin-1\n");
  EXPECT_TRUE(conflict.conflict);
  EXPECT_EQ(conflict.encoding, "utf-8-sig");
  const SourceEncoding fine = DetectSourceEncoding("\xEF\xBB\xBF# coding: utf-8\n");
  EXPECT_FALSE(fine.conflict);
  EXPECT_EQ(fine.encoding, "utf-8-sig");
}

// CPython is the oracle: for each sample, the codec tokenize.detect_encoding picks (as
// codecs.lookup(...).name, ISO-8859-1 spelt "latin-1"), or "ERROR" for a SyntaxError or a
// non-text codec (which compile() rejects, unlike detect_encoding).
TEST(EncodingTest, AgreesWithCPythonTokenize) {
  const std::vector<std::string> samples = {
      "",
      "x = 1\n",
      "\xEF\xBB\xBFx = 1\n",
      "# -*- coding: latin-1 -*-\n",
      "# -*- coding: iso-8859-1 -*-\n",
      "# coding=iso-latin-1-unix\n",
      "#!/usr/bin/env python\n# -*- coding: utf8 -*-\n",
      "#!/usr/bin/env python\n# vim: set fileencoding=windows-1252 :\n",
      "x = 1\n# coding: latin-1\n",
      "\n# coding: cp1251\n",
      "  \t# coding: koi8-r\n",
      "# coding:   euc-jp\n",
      "#coding:ascii\n",
      "# This file has encoding: utf-8 (not a cookie)\n",
      "# coding: utf-8-sig\n",
      "# coding: US-ASCII\n",
      "# coding: Shift_JIS\n",
      "# coding: big5\n",
      "# coding: gb2312\n",
      "# coding: mac-roman\n",
      "# coding: klingon\n",
      "# coding: rot13\n",
      "# coding: base64\n",
      "# coding: unicode-escape\n",
      "# coding: CP-1252\n",
      "\xEF\xBB\xBF# coding: latin-1\n",
      "\xEF\xBB\xBF# coding: utf-8\n",
      "#!/bin/python\n#\n# coding: latin-1\n",
      "# coding: = latin-1\n",
      "# codingcoding: latin-1\n",
      "# coding: latin-1 coding: ascii\n",
      "# coding:\n# coding: cp1252\n",
  };
  TempDir dir;
  std::string script =
      "import codecs, sys, tokenize\n"
      "for p in sys.argv[1:]:\n"
      "    try:\n"
      "        with open(p, 'rb') as f: enc, _ = tokenize.detect_encoding(f.readline)\n"
      "        info = codecs.lookup(enc)\n"
      "        name = 'utf-8-sig' if enc.endswith('-sig') else info.name\n"
      "        if not info._is_text_encoding: name = 'ERROR'\n"
      "        print('latin-1' if name == 'iso8859-1' else name)\n"
      "    except SyntaxError:\n"
      "        print('ERROR')\n";
  std::string args;
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto p = dir.path() / ("s" + std::to_string(i));
    std::ofstream(p, std::ios::binary) << samples[i];
    args += " " + ShellQuote(p.string());
  }
  const auto r = RunCommand("python3 -c " + ShellQuote(script) + args);
  ASSERT_EQ(r.exit_code, 0);
  const std::vector<std::string> expected = SplitLines(r.out);
  ASSERT_EQ(expected.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const SourceEncoding got = DetectSourceEncoding(samples[i]);
    if (expected[i] == "ERROR") {
      EXPECT_TRUE(!got.known || got.conflict) << samples[i];
    } else {
      EXPECT_TRUE(got.known && !got.conflict) << samples[i];
      EXPECT_EQ(got.encoding, expected[i]) << samples[i];
    }
  }
}

}  // namespace
}  // namespace cpglake::pipeline::internal
