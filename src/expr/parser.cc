#include "expr/parser.h"

#include <charconv>
#include <cmath>
#include <deque>
#include <limits>
#include <string>

#include "common/error.h"
#include "expr/cast.h"

namespace cpglake::expr {

using columnar::DataType;
using columnar::TypePtr;
using columnar::Value;

namespace {

enum class Tok {
  kEnd,
  kIdent,        // text: the word
  kQuotedIdent,  // value: the name without quotes
  kNumber,       // text: digits etc., value: the suffix (upper case), may be empty
  kString,       // value: the decoded bytes
  kBinary,       // value: the decoded bytes
  kOp,           // text: = == != <> < <= > >= + - * /
  kLParen,
  kRParen,
  kComma,
  kDot,
};

struct Token {
  Tok kind = Tok::kEnd;
  size_t pos = 0;  // byte offset in the input
  std::string_view text;
  std::string value;
};

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsIdentChar(char c) {
  return IsIdentStart(c) || (c >= '0' && c <= '9');
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// Printable form of a piece of input for messages.
std::string Shown(std::string_view s) {
  std::string out;
  size_t limit = 40;
  for (size_t i = 0; i < s.size() && i < limit; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > limit) out += "...";
  return out;
}

class Parser {
 public:
  Parser(std::string_view input, std::string_view what) : in_(input), what_(what) {}

  ExprPtr ParseAll() {
    if (in_.size() > kMaxExpressionBytes) {
      throw InvalidInput(std::string(what_) + ": input is " + std::to_string(in_.size()) +
                         " bytes; the limit is " + std::to_string(kMaxExpressionBytes));
    }
    if (Peek().kind == Tok::kEnd) throw InvalidInput(std::string(what_) + " is empty");
    ExprPtr e = ParseOr();
    if (Peek().kind != Tok::kEnd) Unexpected(Peek());
    return e;
  }

  ExprPtr ParseColumnOnly() {
    if (in_.size() > kMaxExpressionBytes) Fail("input too long", 0);
    const Token& t = Peek();
    if (t.kind != Tok::kIdent && t.kind != Tok::kQuotedIdent) Unexpected(t);
    ExprPtr e = ParseColumnRef();
    if (Peek().kind != Tok::kEnd) Unexpected(Peek());
    return e;
  }

 private:
  // --- Errors --------------------------------------------------------------------------

  [[noreturn]] void Fail(const std::string& msg, size_t pos) const {
    throw InvalidInput(std::string(what_) + ": " + msg + " at column " + std::to_string(pos + 1));
  }

  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case Tok::kEnd:
        return "end of input";
      case Tok::kNumber:
        return "number " + Shown(t.text);
      case Tok::kString:
        return "string '" + Shown(t.value) + "'";
      case Tok::kBinary:
        return "binary literal";
      case Tok::kQuotedIdent:
        return "name `" + Shown(t.value) + "`";
      default:
        return "'" + Shown(t.text) + "'";
    }
  }

  [[noreturn]] void Unexpected(const Token& t) const { Fail("unexpected " + Describe(t), t.pos); }

  [[noreturn]] void Expected(std::string_view what, const Token& t) const {
    Fail("expected " + std::string(what) + ", found " + Describe(t), t.pos);
  }

  // --- Lexer ---------------------------------------------------------------------------

  Token Lex() {
    while (pos_ < in_.size()) {
      char c = in_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else {
        break;
      }
    }
    Token t;
    t.pos = pos_;
    if (pos_ >= in_.size()) return t;
    const size_t start = pos_;
    const char c = in_[pos_];
    auto finish = [&](Tok kind) {
      t.kind = kind;
      t.text = in_.substr(start, pos_ - start);
      return t;
    };
    if (IsDigit(c) || (c == '.' && pos_ + 1 < in_.size() && IsDigit(in_[pos_ + 1]))) {
      return LexNumber(start);
    }
    if ((c == 'x' || c == 'X') && pos_ + 1 < in_.size() && in_[pos_ + 1] == '\'') {
      ++pos_;
      std::string hex = LexQuoted('\'', "binary literal");
      if (hex.size() % 2 != 0) Fail("binary literal needs an even number of hex digits", start);
      std::string bytes;
      for (size_t i = 0; i < hex.size(); i += 2) {
        int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
        if (hi < 0 || lo < 0) Fail("binary literal has a character that is not a hex digit", start);
        bytes.push_back(static_cast<char>(hi * 16 + lo));
      }
      t.value = std::move(bytes);
      return finish(Tok::kBinary);
    }
    if (IsIdentStart(c)) {
      while (pos_ < in_.size() && IsIdentChar(in_[pos_])) ++pos_;
      return finish(Tok::kIdent);
    }
    if (c == '`') {
      t.value = LexQuoted('`', "quoted name");
      if (t.value.empty()) Fail("empty quoted name", start);
      return finish(Tok::kQuotedIdent);
    }
    if (c == '\'') {
      t.value = LexQuoted('\'', "string");
      return finish(Tok::kString);
    }
    ++pos_;
    switch (c) {
      case '(':
        return finish(Tok::kLParen);
      case ')':
        return finish(Tok::kRParen);
      case ',':
        return finish(Tok::kComma);
      case '.':
        return finish(Tok::kDot);
      case '+':
      case '-':
      case '*':
      case '/':
        return finish(Tok::kOp);
      case '=':
        if (pos_ < in_.size() && in_[pos_] == '=') ++pos_;
        return finish(Tok::kOp);
      case '!':
        if (pos_ < in_.size() && in_[pos_] == '=') {
          ++pos_;
          return finish(Tok::kOp);
        }
        break;
      case '<':
        if (pos_ < in_.size() && (in_[pos_] == '=' || in_[pos_] == '>')) ++pos_;
        return finish(Tok::kOp);
      case '>':
        if (pos_ < in_.size() && in_[pos_] == '=') ++pos_;
        return finish(Tok::kOp);
      case '"':
        Fail("double quotes are not allowed: write strings as 'text' and names as `name`", start);
      default:
        break;
    }
    Fail("unexpected character '" + Shown(in_.substr(start, 1)) + "'", start);
  }

  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Reads a `quote`-delimited run at pos_ (doubled quote = one quote character).
  std::string LexQuoted(char quote, std::string_view what) {
    const size_t start = pos_;
    ++pos_;
    std::string out;
    while (pos_ < in_.size()) {
      char c = in_[pos_];
      if (c == quote) {
        if (pos_ + 1 < in_.size() && in_[pos_ + 1] == quote) {
          out.push_back(quote);
          pos_ += 2;
          continue;
        }
        ++pos_;
        return out;
      }
      out.push_back(c);
      ++pos_;
    }
    Fail("unterminated " + std::string(what), start);
  }

  Token LexNumber(size_t start) {
    Token t;
    t.pos = start;
    while (pos_ < in_.size() && IsDigit(in_[pos_])) ++pos_;
    if (pos_ < in_.size() && in_[pos_] == '.') {
      ++pos_;
      while (pos_ < in_.size() && IsDigit(in_[pos_])) ++pos_;
    }
    if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < in_.size() && (in_[p] == '+' || in_[p] == '-')) ++p;
      if (p < in_.size() && IsDigit(in_[p])) {
        pos_ = p;
        while (pos_ < in_.size() && IsDigit(in_[pos_])) ++pos_;
      }
    }
    t.text = in_.substr(start, pos_ - start);
    size_t suffix_start = pos_;
    while (pos_ < in_.size() && IsIdentChar(in_[pos_])) ++pos_;
    std::string suffix = Upper(in_.substr(suffix_start, pos_ - suffix_start));
    if (!suffix.empty() && suffix != "L" && suffix != "S" && suffix != "Y" && suffix != "D" &&
        suffix != "F" && suffix != "BD") {
      Fail("invalid number '" + Shown(in_.substr(start, pos_ - start)) + "'", start);
    }
    t.kind = Tok::kNumber;
    t.value = std::move(suffix);
    return t;
  }

  const Token& Peek(size_t k = 0) {
    while (la_.size() <= k) la_.push_back(Lex());
    return la_[k];
  }
  Token Next() {
    Peek();
    Token t = std::move(la_.front());
    la_.pop_front();
    return t;
  }
  bool IsWord(const Token& t, std::string_view word) const {
    return t.kind == Tok::kIdent && EqualsIgnoreCase(t.text, word);
  }
  bool IsOp(const Token& t, std::string_view op) const {
    return t.kind == Tok::kOp && t.text == op;
  }

  // --- Depth limits --------------------------------------------------------------------

  class DepthGuard {
   public:
    DepthGuard(Parser* p, size_t pos) : p_(p) {
      if (++p_->depth_ > kMaxExpressionDepth) p_->TooDeep(pos);
    }
    ~DepthGuard() { --p_->depth_; }

   private:
    Parser* p_;
  };

  [[noreturn]] void TooDeep(size_t pos) const {
    Fail("expression is nested too deeply (the limit is " + std::to_string(kMaxExpressionDepth) +
             " levels)",
         pos);
  }

  ExprPtr Checked(ExprPtr e, size_t pos) const {
    if (e->depth() > kMaxExpressionDepth) TooDeep(pos);
    return e;
  }

  // --- Grammar -------------------------------------------------------------------------

  ExprPtr ParseOr() {
    DepthGuard guard(this, Peek().pos);
    size_t pos = Peek().pos;
    std::vector<ExprPtr> parts = {ParseAnd()};
    while (IsWord(Peek(), "OR")) {
      Next();
      parts.push_back(ParseAnd());
    }
    return parts.size() == 1 ? parts[0] : Checked(Or(std::move(parts)), pos);
  }

  ExprPtr ParseAnd() {
    size_t pos = Peek().pos;
    std::vector<ExprPtr> parts = {ParseNot()};
    while (IsWord(Peek(), "AND")) {
      Next();
      parts.push_back(ParseNot());
    }
    return parts.size() == 1 ? parts[0] : Checked(And(std::move(parts)), pos);
  }

  ExprPtr ParseNot() {
    if (IsWord(Peek(), "NOT")) {
      Token t = Next();
      DepthGuard guard(this, t.pos);
      return Checked(Not(ParseNot()), t.pos);
    }
    return ParsePredicate();
  }

  ExprPtr ParsePredicate() {
    size_t pos = Peek().pos;
    ExprPtr left = ParseAdditive();
    const Token& t = Peek();
    if (t.kind == Tok::kOp) {
      std::optional<CompareOp> op;
      if (t.text == "=" || t.text == "==") op = CompareOp::kEq;
      if (t.text == "!=" || t.text == "<>") op = CompareOp::kNe;
      if (t.text == "<") op = CompareOp::kLt;
      if (t.text == "<=") op = CompareOp::kLe;
      if (t.text == ">") op = CompareOp::kGt;
      if (t.text == ">=") op = CompareOp::kGe;
      if (!op) return left;
      Next();
      ExprPtr right = ParseAdditive();
      return Checked(Compare(*op, std::move(left), std::move(right)), pos);
    }
    if (IsWord(t, "IS")) {
      Next();
      bool negated = false;
      if (IsWord(Peek(), "NOT")) {
        Next();
        negated = true;
      }
      if (!IsWord(Peek(), "NULL")) Expected("NULL", Peek());
      Next();
      return Checked(negated ? IsNotNull(std::move(left)) : IsNull(std::move(left)), pos);
    }
    bool negated = false;
    if (IsWord(t, "NOT")) {
      if (!IsWord(Peek(1), "IN") && !IsWord(Peek(1), "BETWEEN")) {
        Expected("IN or BETWEEN after NOT", Peek(1));
      }
      Next();
      negated = true;
    }
    if (IsWord(Peek(), "IN")) {
      Next();
      if (Peek().kind != Tok::kLParen) Expected("'(' after IN", Peek());
      Next();
      if (Peek().kind == Tok::kRParen) Fail("IN list is empty", Peek().pos);
      std::vector<ExprPtr> list;
      while (true) {
        list.push_back(ParseOr());
        if (Peek().kind == Tok::kComma) {
          Next();
          continue;
        }
        if (Peek().kind != Tok::kRParen) Expected("',' or ')' in the IN list", Peek());
        Next();
        break;
      }
      return Checked(
          negated ? NotIn(std::move(left), std::move(list)) : In(std::move(left), std::move(list)),
          pos);
    }
    if (IsWord(Peek(), "BETWEEN")) {
      Next();
      ExprPtr low = ParseAdditive();
      if (!IsWord(Peek(), "AND")) Expected("AND in BETWEEN", Peek());
      Next();
      ExprPtr high = ParseAdditive();
      return Checked(negated ? NotBetween(std::move(left), std::move(low), std::move(high))
                             : Between(std::move(left), std::move(low), std::move(high)),
                     pos);
    }
    return left;
  }

  ExprPtr ParseAdditive() {
    size_t pos = Peek().pos;
    ExprPtr left = ParseMultiplicative();
    while (IsOp(Peek(), "+") || IsOp(Peek(), "-")) {
      ArithOp op = Next().text == "+" ? ArithOp::kAdd : ArithOp::kSub;
      left = Checked(Arith(op, std::move(left), ParseMultiplicative()), pos);
    }
    return left;
  }

  ExprPtr ParseMultiplicative() {
    size_t pos = Peek().pos;
    ExprPtr left = ParseUnary();
    while (IsOp(Peek(), "*") || IsOp(Peek(), "/")) {
      ArithOp op = Next().text == "*" ? ArithOp::kMul : ArithOp::kDiv;
      left = Checked(Arith(op, std::move(left), ParseUnary()), pos);
    }
    return left;
  }

  ExprPtr ParseUnary() {
    const Token& t = Peek();
    if (IsOp(t, "-") || IsOp(t, "+")) {
      Token sign = Next();
      if (Peek().kind == Tok::kNumber) return NumberLiteral(Next(), sign.text == "-");
      DepthGuard guard(this, sign.pos);
      ExprPtr operand = ParseUnary();
      return sign.text == "-" ? Checked(Neg(std::move(operand)), sign.pos) : operand;
    }
    return ParsePrimary();
  }

  ExprPtr ParsePrimary() {
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kNumber:
        return NumberLiteral(Next(), false);
      case Tok::kString:
        return Lit(Value::String(Next().value));
      case Tok::kBinary:
        return Lit(Value::Binary(Next().value));
      case Tok::kQuotedIdent:
        return ParseColumnRef();
      case Tok::kLParen: {
        Next();
        ExprPtr e = ParseOr();
        if (Peek().kind != Tok::kRParen) Expected("')'", Peek());
        Next();
        return e;
      }
      case Tok::kIdent:
        break;
      default:
        Unexpected(t);
    }
    if (IsWord(t, "TRUE")) {
      Next();
      return Lit(true);
    }
    if (IsWord(t, "FALSE")) {
      Next();
      return Lit(false);
    }
    if (IsWord(t, "NULL")) {
      Next();
      return NullLit();
    }
    if (IsReservedWord(t.text)) Unexpected(t);
    if (Peek(1).kind == Tok::kString) {
      if (IsWord(t, "DATE")) return TypedLiteral(DataType::Date());
      if (IsWord(t, "TIMESTAMP")) return TypedLiteral(DataType::Timestamp());
      if (IsWord(t, "TIMESTAMP_NTZ")) return TypedLiteral(DataType::TimestampNtz());
    }
    if (IsWord(t, "CAST") && Peek(1).kind == Tok::kLParen) return ParseCast();
    return ParseColumnRef();
  }

  ExprPtr ParseColumnRef() {
    std::vector<std::string> path;
    while (true) {
      Token t = Next();
      if (t.kind == Tok::kIdent) {
        path.emplace_back(t.text);
      } else if (t.kind == Tok::kQuotedIdent) {
        path.push_back(std::move(t.value));
      } else {
        Expected("a field name after '.'", t);
      }
      if (Peek().kind != Tok::kDot) break;
      Next();
      if (path.size() >= static_cast<size_t>(kMaxExpressionDepth)) TooDeep(Peek().pos);
    }
    return ColPath(std::move(path));
  }

  ExprPtr TypedLiteral(const TypePtr& type) {
    Token kw = Next();
    Token s = Next();
    if (type->id() == columnar::TypeId::kDate) {
      auto d = ParseDateText(s.value);
      if (!d) Fail("invalid DATE literal '" + Shown(s.value) + "' (expected 'YYYY-MM-DD')", s.pos);
      return Lit(Value::Date(*d));
    }
    bool utc = type->id() == columnar::TypeId::kTimestamp;
    auto ts = ParseTimestampText(s.value, utc);
    if (!ts) {
      Fail("invalid " + Upper(kw.text) + " literal '" + Shown(s.value) +
               "' (expected 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]" + (utc ? "[Z|+HH:MM]'" : "'") + ")",
           s.pos);
    }
    return Lit(Value::Integer(type, *ts));
  }

  ExprPtr ParseCast() {
    Token kw = Next();
    Next();  // '('
    DepthGuard guard(this, kw.pos);
    ExprPtr operand = ParseOr();
    if (!IsWord(Peek(), "AS")) Expected("AS in CAST", Peek());
    Next();
    TypePtr type = ParseType();
    if (Peek().kind != Tok::kRParen) Expected("')' to close CAST", Peek());
    Next();
    if (operand->is_literal()) {
      const Value& v = operand->value();
      if (!CanCast(*v.type(), *type)) {
        Fail("cannot cast " + SqlTypeName(*v.type()) + " to " + SqlTypeName(*type), kw.pos);
      }
      auto c = CastValue(v, type);
      if (!c) Fail("cannot cast " + FormatLiteral(v) + " to " + SqlTypeName(*type), kw.pos);
      return Lit(std::move(*c));
    }
    return Checked(Cast(std::move(operand), std::move(type)), kw.pos);
  }

  TypePtr ParseType() {
    Token t = Next();
    if (t.kind != Tok::kIdent) Expected("a type name", t);
    std::string name = Upper(t.text);
    if (name == "BOOLEAN") return DataType::Boolean();
    if (name == "TINYINT" || name == "BYTE") return DataType::Int8();
    if (name == "SMALLINT" || name == "SHORT") return DataType::Int16();
    if (name == "INT" || name == "INTEGER") return DataType::Int32();
    if (name == "BIGINT" || name == "LONG") return DataType::Int64();
    if (name == "FLOAT" || name == "REAL") return DataType::Float32();
    if (name == "DOUBLE") return DataType::Float64();
    if (name == "STRING") return DataType::String();
    if (name == "BINARY") return DataType::Binary();
    if (name == "DATE") return DataType::Date();
    if (name == "TIMESTAMP") return DataType::Timestamp();
    if (name == "TIMESTAMP_NTZ") return DataType::TimestampNtz();
    if (name == "DECIMAL" || name == "DEC" || name == "NUMERIC") {
      int p = 10, s = 0;
      if (Peek().kind == Tok::kLParen) {
        Next();
        p = SmallInt();
        if (Peek().kind == Tok::kComma) {
          Next();
          s = SmallInt();
        }
        if (Peek().kind != Tok::kRParen) Expected("')' after the decimal precision", Peek());
        Next();
      }
      if (p < 1 || p > DataType::kMaxDecimalPrecision || s < 0 || s > p) {
        Fail("invalid DECIMAL(" + std::to_string(p) + "," + std::to_string(s) +
                 "): need 1 <= precision <= 38 and 0 <= scale <= precision",
             t.pos);
      }
      return DataType::Decimal(p, s);
    }
    Fail("unknown type '" + Shown(t.text) + "'", t.pos);
  }

  int SmallInt() {
    Token t = Next();
    if (t.kind != Tok::kNumber || !t.value.empty()) Expected("an integer", t);
    int v = 0;
    auto res = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (res.ec != std::errc() || res.ptr != t.text.data() + t.text.size() || v > 1000) {
      Fail("invalid number " + Shown(t.text), t.pos);
    }
    return v;
  }

  ExprPtr NumberLiteral(const Token& t, bool negative) {
    std::string text = (negative ? "-" : "") + std::string(t.text);
    const std::string& suffix = t.value;
    const bool integral = t.text.find_first_of(".eE") == std::string_view::npos;
    auto out_of_range = [&](std::string_view type) {
      Fail(std::string(type) + " literal " + Shown(text) + suffix + " is out of range", t.pos);
    };
    if (suffix.empty()) {
      auto v = ParseNumber(text);
      if (!v) out_of_range("numeric");
      if (integral && v->type_id() == columnar::TypeId::kFloat64) out_of_range("integer");
      return Lit(std::move(*v));
    }
    if (suffix == "D" || suffix == "F") {
      if (suffix == "F") {
        float f = 0;
        auto res = std::from_chars(text.data(), text.data() + text.size(), f);
        if (res.ec != std::errc() || std::isinf(f)) out_of_range("FLOAT");
        return Lit(Value::Float32(f));
      }
      double d = 0;
      auto res = std::from_chars(text.data(), text.data() + text.size(), d);
      if (res.ec != std::errc() || std::isinf(d)) out_of_range("DOUBLE");
      return Lit(Value::Float64(d));
    }
    if (suffix == "BD") {
      auto v = ParseNumber(text);
      if (!v || v->type_id() == columnar::TypeId::kFloat64) out_of_range("DECIMAL");
      if (v->type_id() != columnar::TypeId::kDecimal) {
        __int128 x = v->as_int();
        int digits = 1;
        for (__int128 a = x < 0 ? -x : x; a >= 10; a /= 10) ++digits;
        return Lit(Value::Decimal(x, digits, 0));
      }
      return Lit(std::move(*v));
    }
    // L, S, Y: integers of a given width.
    if (!integral) Fail("suffix " + suffix + " needs an integer, found " + Shown(text), t.pos);
    auto v = ParseNumber(text);
    if (!v || v->type_id() == columnar::TypeId::kFloat64 ||
        v->type_id() == columnar::TypeId::kDecimal) {
      out_of_range(suffix == "L" ? "BIGINT" : suffix == "S" ? "SMALLINT" : "TINYINT");
    }
    int64_t x = v->as_int();
    if (suffix == "L") return Lit(Value::Int64(x));
    int64_t lo =
        suffix == "S" ? std::numeric_limits<int16_t>::min() : std::numeric_limits<int8_t>::min();
    int64_t hi =
        suffix == "S" ? std::numeric_limits<int16_t>::max() : std::numeric_limits<int8_t>::max();
    if (x < lo || x > hi) out_of_range(suffix == "S" ? "SMALLINT" : "TINYINT");
    return Lit(Value::Integer(suffix == "S" ? DataType::Int16() : DataType::Int8(), x));
  }

  std::string_view in_;
  std::string_view what_;
  size_t pos_ = 0;
  std::deque<Token> la_;
  int depth_ = 0;
};

}  // namespace

ExprPtr ParsePredicate(std::string_view sql) {
  return Parser(sql, "predicate").ParseAll();
}

ExprPtr ParseExpression(std::string_view sql) {
  return Parser(sql, "expression").ParseAll();
}

ExprPtr ParseColumn(std::string_view sql) {
  return Parser(sql, "column").ParseColumnOnly();
}

}  // namespace cpglake::expr
