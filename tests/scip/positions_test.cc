#include "scip/positions.h"

#include <gtest/gtest.h>

#include <string>

namespace cpglake::scip {
namespace {

constexpr PositionEncoding kUtf8 = PositionEncoding::kUtf8;
constexpr PositionEncoding kUtf16 = PositionEncoding::kUtf16;
constexpr PositionEncoding kUtf32 = PositionEncoding::kUtf32;
constexpr PositionEncoding kUnspecified = PositionEncoding::kUnspecified;

size_t At(const TextPositions& p, int64_t line, int64_t ch, PositionEncoding e) {
  const ByteOffset o = p.ToByteOffset(line, ch, e);
  EXPECT_TRUE(o.exact()) << "line " << line << " char " << ch;
  return o.offset;
}

TEST(TextPositionsTest, AsciiIsTheSameInEveryEncoding) {
  const std::string text = "def f():\n    return 1\n";
  TextPositions p(text);
  ASSERT_EQ(p.line_count(), 3u);
  for (PositionEncoding e : {kUtf8, kUtf16, kUtf32, kUnspecified}) {
    EXPECT_EQ(At(p, 0, 0, e), 0u);
    EXPECT_EQ(At(p, 0, 4, e), 4u);
    EXPECT_EQ(At(p, 1, 4, e), 13u);
    EXPECT_EQ(At(p, 1, 12, e), 21u);  // end of line 1, before its "\n"
    EXPECT_EQ(At(p, 2, 0, e), 22u);   // the empty last line
  }
}

// "é" is 2 UTF-8 bytes, "€" 3 bytes, "😀" (U+1F600) 4 bytes and a UTF-16 surrogate pair.
TEST(TextPositionsTest, MultiByteCharactersInEachEncoding) {
  const std::string text = "a\u00e9b\u20acc\U0001F600d";
  // byte offsets: a=0 é=1 b=3 €=4 c=7 😀=8 d=12 end=13
  TextPositions p(text);
  struct Case {
    PositionEncoding encoding;
    int units[7];  // column of a, é, b, €, c, 😀, d
    int end;
  };
  const Case cases[] = {
      {kUtf8, {0, 1, 3, 4, 7, 8, 12}, 13},
      {kUtf16, {0, 1, 2, 3, 4, 5, 7}, 8},
      {kUnspecified, {0, 1, 2, 3, 4, 5, 7}, 8},
      {kUtf32, {0, 1, 2, 3, 4, 5, 6}, 7},
  };
  const size_t bytes[7] = {0, 1, 3, 4, 7, 8, 12};
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(PositionEncodingName(c.encoding)));
    for (int i = 0; i < 7; ++i) EXPECT_EQ(At(p, 0, c.units[i], c.encoding), bytes[i]);
    EXPECT_EQ(At(p, 0, c.end, c.encoding), 13u);
    const ByteOffset past = p.ToByteOffset(0, c.end + 1, c.encoding);
    EXPECT_EQ(past.offset, 13u);
    EXPECT_EQ(past.fit, PositionFit::kPastLineEnd);
  }
}

TEST(TextPositionsTest, InsideACharacterMovesToItsFirstByte) {
  const std::string text = "x\U0001F600y";
  TextPositions p(text);
  ByteOffset o = p.ToByteOffset(0, 2, kUtf16);  // between the two surrogates
  EXPECT_EQ(o.offset, 1u);
  EXPECT_EQ(o.fit, PositionFit::kInsideCharacter);
  o = p.ToByteOffset(0, 3, kUtf8);  // the emoji's third byte
  EXPECT_EQ(o.offset, 1u);
  EXPECT_EQ(o.fit, PositionFit::kInsideCharacter);
  EXPECT_EQ(At(p, 0, 3, kUtf16), 5u);
  EXPECT_EQ(At(p, 0, 2, kUtf32), 5u);
}

TEST(TextPositionsTest, LineEndingsFollowPythonsTokenizer) {
  const std::string text = "a\r\nbb\rccc\ndddd";
  TextPositions p(text);
  ASSERT_EQ(p.line_count(), 4u);
  EXPECT_EQ(p.LineStart(1), 3u);
  EXPECT_EQ(p.LineStart(2), 6u);
  EXPECT_EQ(p.LineStart(3), 10u);
  EXPECT_EQ(p.LineEnd(0), 1u);  // before "\r\n"
  EXPECT_EQ(p.LineEnd(1), 5u);  // before the lone "\r"
  for (PositionEncoding e : {kUtf8, kUtf16, kUtf32}) {
    EXPECT_EQ(At(p, 0, 1, e), 1u);
    EXPECT_EQ(At(p, 1, 2, e), 5u);
    EXPECT_EQ(At(p, 2, 1, e), 7u);
    EXPECT_EQ(At(p, 3, 4, e), 14u);
    // A column past a line's end clamps before its terminator, never into the next line.
    const ByteOffset o = p.ToByteOffset(0, 5, e);
    EXPECT_EQ(o.offset, 1u);
    EXPECT_EQ(o.fit, PositionFit::kPastLineEnd);
  }
}

TEST(TextPositionsTest, CrLfIsOneTerminatorAndLoneCrLfSequencesAreTwo) {
  TextPositions p("\r\n\n\r\r\n");
  ASSERT_EQ(p.line_count(), 5u);  // "", "", "", "" and the empty last line
  EXPECT_EQ(p.LineStart(1), 2u);
  EXPECT_EQ(p.LineStart(2), 3u);
  EXPECT_EQ(p.LineStart(3), 4u);
  EXPECT_EQ(p.LineStart(4), 6u);
}

TEST(TextPositionsTest, PastTheEndAndNegativePositionsClamp) {
  const std::string text = "ab\ncd";
  TextPositions p(text);
  ByteOffset o = p.ToByteOffset(2, 0, kUtf16);
  EXPECT_EQ(o.offset, 5u);
  EXPECT_EQ(o.fit, PositionFit::kPastTextEnd);
  o = p.ToByteOffset(1000000, 7, kUtf8);
  EXPECT_EQ(o.offset, 5u);
  EXPECT_EQ(o.fit, PositionFit::kPastTextEnd);
  o = p.ToByteOffset(1, 99, kUtf32);
  EXPECT_EQ(o.offset, 5u);
  EXPECT_EQ(o.fit, PositionFit::kPastLineEnd);
  o = p.ToByteOffset(-1, 0, kUtf8);
  EXPECT_EQ(o.offset, 0u);
  EXPECT_EQ(o.fit, PositionFit::kBeforeStart);
  o = p.ToByteOffset(1, -3, kUtf8);
  EXPECT_EQ(o.offset, 3u);
  EXPECT_EQ(o.fit, PositionFit::kBeforeStart);
}

TEST(TextPositionsTest, EmptyText) {
  TextPositions p("");
  ASSERT_EQ(p.line_count(), 1u);
  EXPECT_EQ(At(p, 0, 0, kUtf16), 0u);
  EXPECT_EQ(p.ToByteOffset(0, 1, kUtf16).fit, PositionFit::kPastLineEnd);
}

TEST(TextPositionsTest, InvalidUtf8BytesCountAsOneUnitEach) {
  // "\xff" is never valid; "\xe2\x82" is a truncated 3-byte sequence (two bad bytes).
  const std::string text =
      "a\xff"
      "b\xe2\x82"
      "c\U0001F600";
  // bytes: a=0 ff=1 b=2 e2=3 82=4 c=5 😀=6 end=10
  TextPositions p(text);
  for (PositionEncoding e : {kUtf8, kUtf16, kUtf32}) {
    SCOPED_TRACE(std::string(PositionEncodingName(e)));
    for (int i = 0; i <= 6; ++i) EXPECT_EQ(At(p, 0, i, e), static_cast<size_t>(i));
  }
  EXPECT_EQ(At(p, 0, 10, kUtf8), 10u);
  EXPECT_EQ(At(p, 0, 8, kUtf16), 10u);
  EXPECT_EQ(At(p, 0, 7, kUtf32), 10u);
}

TEST(TextPositionsTest, ByteSpanOfARange) {
  const std::string text = "x = '\u00e9'\nprint(x)\n";
  TextPositions p(text);
  const ByteSpan s = p.ToByteSpan(Range{0, 4, 0, 7}, kUtf16);  // the string literal
  EXPECT_TRUE(s.start.exact() && s.end.exact());
  EXPECT_EQ(text.substr(s.start.offset, s.end.offset - s.start.offset), "'\u00e9'");
  const ByteSpan t = p.ToByteSpan(Range{1, 6, 1, 7}, kUtf8);
  EXPECT_EQ(text.substr(t.start.offset, t.end.offset - t.start.offset), "x");
}

}  // namespace
}  // namespace cpglake::scip
