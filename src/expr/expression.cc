#include "expr/expression.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "columnar/value_format.h"
#include "common/error.h"
#include "expr/decimal_internal.h"

namespace cpglake::expr {

using columnar::DataType;
using columnar::TypeId;
using columnar::TypePtr;
using columnar::Value;

std::string_view CompareOpSymbol(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
  }
  return "?";
}

CompareOp FlipCompareOp(CompareOp op) {
  switch (op) {
    case CompareOp::kLt:
      return CompareOp::kGt;
    case CompareOp::kLe:
      return CompareOp::kGe;
    case CompareOp::kGt:
      return CompareOp::kLt;
    case CompareOp::kGe:
      return CompareOp::kLe;
    default:
      return op;
  }
}

CompareOp NegateCompareOp(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return CompareOp::kNe;
    case CompareOp::kNe:
      return CompareOp::kEq;
    case CompareOp::kLt:
      return CompareOp::kGe;
    case CompareOp::kLe:
      return CompareOp::kGt;
    case CompareOp::kGt:
      return CompareOp::kLe;
    case CompareOp::kGe:
      return CompareOp::kLt;
  }
  return op;
}

std::string_view ArithOpSymbol(ArithOp op) {
  switch (op) {
    case ArithOp::kAdd:
      return "+";
    case ArithOp::kSub:
      return "-";
    case ArithOp::kMul:
      return "*";
    case ArithOp::kDiv:
      return "/";
  }
  return "?";
}

// --- Construction ----------------------------------------------------------------------

Expr::Expr(Node&& node)
    : kind_(node.kind),
      compare_op_(node.compare_op),
      arith_op_(node.arith_op),
      negated_(node.negated),
      bound_(node.bound),
      children_(std::move(node.children)),
      path_(std::move(node.path)),
      value_(std::move(node.value)),
      type_(std::move(node.type)) {
  for (const auto& c : children_) depth_ = std::max(depth_, c->depth_ + 1);
}

namespace {

bool IsNestedType(const DataType& t) {
  return t.is_nested();
}

[[noreturn]] void BadShape(std::string_view what) {
  throw InvalidInput("expression: " + std::string(what));
}

}  // namespace

ExprPtr Expr::Make(Node node) {
  for (const auto& c : node.children) {
    if (!c) BadShape("missing operand (null ExprPtr)");
  }
  const size_t n = node.children.size();
  switch (node.kind) {
    case ExprKind::kColumn:
      if (node.path.empty()) BadShape("column reference without a name");
      for (const auto& s : node.path) {
        if (s.empty()) BadShape("column reference with an empty name segment");
      }
      if (n != 0) BadShape("column reference with operands");
      break;
    case ExprKind::kLiteral:
      if (IsNestedType(*node.value.type())) {
        BadShape("nested literal values (" + node.value.type()->ToString() + ") are not supported");
      }
      if (n != 0) BadShape("literal with operands");
      break;
    case ExprKind::kCompare:
    case ExprKind::kArith:
      if (n != 2) BadShape("binary operator needs two operands");
      break;
    case ExprKind::kAnd:
    case ExprKind::kOr:
      if (n < 2) BadShape("AND/OR node needs at least two operands");
      break;
    case ExprKind::kNot:
    case ExprKind::kIsNull:
    case ExprKind::kNegate:
      if (n != 1) BadShape("unary operator needs one operand");
      break;
    case ExprKind::kCast:
      if (n != 1) BadShape("CAST needs one operand");
      if (!node.type) BadShape("CAST without a target type");
      break;
    case ExprKind::kIn:
      if (n < 2) BadShape("IN needs a value and at least one list element");
      break;
    case ExprKind::kBetween:
      if (n != 3) BadShape("BETWEEN needs a value and two bounds");
      break;
  }
  int depth = 1;
  for (const auto& c : node.children) depth = std::max(depth, c->depth() + 1);
  if (depth > kMaxDepth) {
    BadShape("nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)");
  }
  return ExprPtr(new Expr(std::move(node)));
}

// --- Builders --------------------------------------------------------------------------

ExprPtr Col(std::string_view text) {
  return ColPath(ParseColumnPath(text));
}

std::vector<std::string> ParseColumnPath(std::string_view text) {
  std::vector<std::string> path;
  size_t i = 0;
  while (true) {
    std::string seg;
    if (i < text.size() && text[i] == '`') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '`') {
          if (i + 1 < text.size() && text[i + 1] == '`') {
            seg.push_back('`');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        seg.push_back(text[i++]);
      }
      if (!closed) {
        throw InvalidInput("column name '" + std::string(text) + "': unclosed back quote");
      }
      if (i < text.size() && text[i] != '.') {
        throw InvalidInput("column name '" + std::string(text) +
                           "': expected '.' after a back-quoted name");
      }
    } else {
      while (i < text.size() && text[i] != '.') {
        if (text[i] == '`') {
          throw InvalidInput("column name '" + std::string(text) +
                             "': back quote inside a plain name");
        }
        seg.push_back(text[i++]);
      }
    }
    if (seg.empty()) {
      throw InvalidInput("column name '" + std::string(text) + "' has an empty segment");
    }
    path.push_back(std::move(seg));
    if (i >= text.size()) break;
    ++i;  // the '.'
  }
  return path;
}

ExprPtr ColPath(std::vector<std::string> path) {
  Expr::Node n;
  n.kind = ExprKind::kColumn;
  n.path = std::move(path);
  return Expr::Make(std::move(n));
}

ExprPtr Lit(Value v) {
  Expr::Node n;
  n.kind = ExprKind::kLiteral;
  n.value = std::move(v);
  return Expr::Make(std::move(n));
}
ExprPtr Lit(bool v) {
  return Lit(Value::Boolean(v));
}
ExprPtr Lit(int32_t v) {
  return Lit(Value::Int32(v));
}
ExprPtr Lit(int64_t v) {
  return Lit(Value::Int64(v));
}
ExprPtr Lit(double v) {
  return Lit(Value::Float64(v));
}
ExprPtr Lit(const char* v) {
  return Lit(Value::String(v));
}
ExprPtr Lit(std::string_view v) {
  return Lit(Value::String(std::string(v)));
}
ExprPtr NullLit() {
  return Lit(Value());
}

ExprPtr Compare(CompareOp op, ExprPtr left, ExprPtr right) {
  Expr::Node n;
  n.kind = ExprKind::kCompare;
  n.compare_op = op;
  n.children = {std::move(left), std::move(right)};
  return Expr::Make(std::move(n));
}
ExprPtr Eq(ExprPtr l, ExprPtr r) {
  return Compare(CompareOp::kEq, std::move(l), std::move(r));
}
ExprPtr Ne(ExprPtr l, ExprPtr r) {
  return Compare(CompareOp::kNe, std::move(l), std::move(r));
}
ExprPtr Lt(ExprPtr l, ExprPtr r) {
  return Compare(CompareOp::kLt, std::move(l), std::move(r));
}
ExprPtr Le(ExprPtr l, ExprPtr r) {
  return Compare(CompareOp::kLe, std::move(l), std::move(r));
}
ExprPtr Gt(ExprPtr l, ExprPtr r) {
  return Compare(CompareOp::kGt, std::move(l), std::move(r));
}
ExprPtr Ge(ExprPtr l, ExprPtr r) {
  return Compare(CompareOp::kGe, std::move(l), std::move(r));
}

namespace {

ExprPtr Junction(ExprKind kind, std::vector<ExprPtr> operands) {
  std::vector<ExprPtr> flat;
  for (auto& op : operands) {
    if (!op) BadShape("missing operand (null ExprPtr)");
    if (op->kind() == kind) {
      flat.insert(flat.end(), op->children().begin(), op->children().end());
    } else {
      flat.push_back(std::move(op));
    }
  }
  if (flat.empty()) return Lit(kind == ExprKind::kAnd);
  if (flat.size() == 1) return flat[0];
  Expr::Node n;
  n.kind = kind;
  n.children = std::move(flat);
  return Expr::Make(std::move(n));
}

ExprPtr Unary(ExprKind kind, ExprPtr operand, bool negated = false) {
  Expr::Node n;
  n.kind = kind;
  n.negated = negated;
  n.children = {std::move(operand)};
  return Expr::Make(std::move(n));
}

}  // namespace

ExprPtr And(std::vector<ExprPtr> operands) {
  return Junction(ExprKind::kAnd, std::move(operands));
}
ExprPtr Or(std::vector<ExprPtr> operands) {
  return Junction(ExprKind::kOr, std::move(operands));
}
ExprPtr Not(ExprPtr operand) {
  return Unary(ExprKind::kNot, std::move(operand));
}
ExprPtr IsNull(ExprPtr operand) {
  return Unary(ExprKind::kIsNull, std::move(operand));
}
ExprPtr IsNotNull(ExprPtr operand) {
  return Unary(ExprKind::kIsNull, std::move(operand), true);
}

namespace {

ExprPtr MakeIn(ExprPtr value, std::vector<ExprPtr> list, bool negated) {
  if (list.empty()) BadShape("IN needs at least one list element");
  Expr::Node n;
  n.kind = ExprKind::kIn;
  n.negated = negated;
  n.children.reserve(list.size() + 1);
  n.children.push_back(std::move(value));
  for (auto& e : list) n.children.push_back(std::move(e));
  return Expr::Make(std::move(n));
}

ExprPtr MakeBetween(ExprPtr value, ExprPtr low, ExprPtr high, bool negated) {
  Expr::Node n;
  n.kind = ExprKind::kBetween;
  n.negated = negated;
  n.children = {std::move(value), std::move(low), std::move(high)};
  return Expr::Make(std::move(n));
}

}  // namespace

ExprPtr In(ExprPtr value, std::vector<ExprPtr> list) {
  return MakeIn(std::move(value), std::move(list), false);
}
ExprPtr NotIn(ExprPtr value, std::vector<ExprPtr> list) {
  return MakeIn(std::move(value), std::move(list), true);
}
ExprPtr Between(ExprPtr value, ExprPtr low, ExprPtr high) {
  return MakeBetween(std::move(value), std::move(low), std::move(high), false);
}
ExprPtr NotBetween(ExprPtr value, ExprPtr low, ExprPtr high) {
  return MakeBetween(std::move(value), std::move(low), std::move(high), true);
}

ExprPtr Arith(ArithOp op, ExprPtr left, ExprPtr right) {
  Expr::Node n;
  n.kind = ExprKind::kArith;
  n.arith_op = op;
  n.children = {std::move(left), std::move(right)};
  return Expr::Make(std::move(n));
}
ExprPtr Add(ExprPtr l, ExprPtr r) {
  return Arith(ArithOp::kAdd, std::move(l), std::move(r));
}
ExprPtr Sub(ExprPtr l, ExprPtr r) {
  return Arith(ArithOp::kSub, std::move(l), std::move(r));
}
ExprPtr Mul(ExprPtr l, ExprPtr r) {
  return Arith(ArithOp::kMul, std::move(l), std::move(r));
}
ExprPtr Div(ExprPtr l, ExprPtr r) {
  return Arith(ArithOp::kDiv, std::move(l), std::move(r));
}

namespace {

// -v for a numeric literal of the same type, or nullopt (overflow, null, not numeric).
std::optional<Value> NegateLiteral(const Value& v) {
  if (v.is_null()) return std::nullopt;
  const TypePtr& t = v.type();
  switch (t->id()) {
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64: {
      int64_t x = v.as_int();
      int64_t lo = t->id() == TypeId::kInt8    ? std::numeric_limits<int8_t>::min()
                   : t->id() == TypeId::kInt16 ? std::numeric_limits<int16_t>::min()
                   : t->id() == TypeId::kInt32 ? std::numeric_limits<int32_t>::min()
                                               : std::numeric_limits<int64_t>::min();
      if (x == lo) return std::nullopt;
      return Value::Integer(t, -x);
    }
    case TypeId::kFloat32:
      return Value::Float32(-static_cast<float>(v.as_double()));
    case TypeId::kFloat64:
      return Value::Float64(-v.as_double());
    case TypeId::kDecimal:
      return Value::Decimal(-v.as_decimal(), t->precision(), t->scale());
    default:
      return std::nullopt;
  }
}

}  // namespace

ExprPtr Neg(ExprPtr operand) {
  if (operand && operand->is_literal() && !operand->bound()) {
    if (auto v = NegateLiteral(operand->value())) return Lit(std::move(*v));
  }
  return Unary(ExprKind::kNegate, std::move(operand));
}

ExprPtr Cast(ExprPtr operand, TypePtr type) {
  Expr::Node n;
  n.kind = ExprKind::kCast;
  n.type = std::move(type);
  n.children = {std::move(operand)};
  return Expr::Make(std::move(n));
}

// --- Text ------------------------------------------------------------------------------

bool IsReservedWord(std::string_view w) {
  static constexpr std::string_view kWords[] = {"AND", "OR",      "NOT",  "IS",   "NULL",
                                                "IN",  "BETWEEN", "TRUE", "FALSE"};
  for (std::string_view k : kWords) {
    if (k.size() != w.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < k.size() && eq; ++i) {
      char c = w[i];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      eq = c == k[i];
    }
    if (eq) return true;
  }
  return false;
}

std::string QuoteName(std::string_view name) {
  bool plain = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      plain = false;
      break;
    }
  }
  if (plain && !IsReservedWord(name)) return std::string(name);
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out.push_back('`');
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

std::string FormatPath(const std::vector<std::string>& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i) out.push_back('.');
    out += QuoteName(path[i]);
  }
  return out;
}

std::string SqlTypeName(const DataType& t) {
  switch (t.id()) {
    case TypeId::kNull:
      return "VOID";
    case TypeId::kBoolean:
      return "BOOLEAN";
    case TypeId::kInt8:
      return "TINYINT";
    case TypeId::kInt16:
      return "SMALLINT";
    case TypeId::kInt32:
      return "INT";
    case TypeId::kInt64:
      return "BIGINT";
    case TypeId::kFloat32:
      return "FLOAT";
    case TypeId::kFloat64:
      return "DOUBLE";
    case TypeId::kDecimal:
      return "DECIMAL(" + std::to_string(t.precision()) + "," + std::to_string(t.scale()) + ")";
    case TypeId::kString:
      return "STRING";
    case TypeId::kBinary:
      return "BINARY";
    case TypeId::kDate:
      return "DATE";
    case TypeId::kTimestamp:
      return "TIMESTAMP";
    case TypeId::kTimestampNtz:
      return "TIMESTAMP_NTZ";
    default:
      return t.ToString();
  }
}

namespace {

std::string QuoteString(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

template <typename F>
std::string FormatFloating(F d, std::string_view suffix, std::string_view type_name) {
  if (std::isnan(d)) return "CAST('NaN' AS " + std::string(type_name) + ")";
  if (std::isinf(d)) {
    return std::string(d > 0 ? "CAST('Infinity' AS " : "CAST('-Infinity' AS ") +
           std::string(type_name) + ")";
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";  // 1.0D, -0.0D
  return s + std::string(suffix);
}

// Timestamp text with a space between date and time, as TIMESTAMP '...' reads it.
std::string TimestampText(int64_t micros) {
  std::string s = columnar::FormatTimestamp(micros, false);
  size_t t = s.find('T');
  if (t != std::string::npos) s[t] = ' ';
  return s;
}

}  // namespace

std::string FormatLiteral(const Value& v) {
  const TypePtr& t = v.type();
  if (v.is_null()) {
    if (t->id() == TypeId::kNull) return "NULL";
    return "CAST(NULL AS " + SqlTypeName(*t) + ")";
  }
  switch (t->id()) {
    case TypeId::kBoolean:
      return v.as_bool() ? "TRUE" : "FALSE";
    case TypeId::kInt8:
      return std::to_string(v.as_int()) + "Y";
    case TypeId::kInt16:
      return std::to_string(v.as_int()) + "S";
    case TypeId::kInt32:
      return std::to_string(v.as_int());
    case TypeId::kInt64: {
      int64_t x = v.as_int();
      bool fits32 =
          x >= std::numeric_limits<int32_t>::min() && x <= std::numeric_limits<int32_t>::max();
      return std::to_string(x) + (fits32 ? "L" : "");
    }
    case TypeId::kFloat32:
      return FormatFloating(static_cast<float>(v.as_double()), "F", "FLOAT");
    case TypeId::kFloat64:
      return FormatFloating(v.as_double(), "D", "DOUBLE");
    case TypeId::kDecimal: {
      std::string text = columnar::FormatDecimal(v.as_decimal(), t->scale());
      if (t->scale() == 0) text += "BD";
      int natural = std::max({internal::DecimalDigits(v.as_decimal()), t->scale(), 1});
      if (natural == t->precision()) return text;
      return "CAST(" + text + " AS " + SqlTypeName(*t) + ")";
    }
    case TypeId::kString:
      return QuoteString(v.as_string());
    case TypeId::kBinary: {
      static const char* kHex = "0123456789abcdef";
      std::string out = "X'";
      for (unsigned char c : v.as_string()) {
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
      return out + "'";
    }
    case TypeId::kDate:
      return "DATE '" + columnar::FormatDate(static_cast<int32_t>(v.as_int())) + "'";
    case TypeId::kTimestamp:
      return "TIMESTAMP '" + TimestampText(v.as_int()) + "'";
    case TypeId::kTimestampNtz:
      return "TIMESTAMP_NTZ '" + TimestampText(v.as_int()) + "'";
    default:
      return v.ToString();
  }
}

namespace {

// Precedence levels for printing, loosest first.
constexpr int kPrecOr = 1;
constexpr int kPrecAnd = 2;
constexpr int kPrecNot = 3;
constexpr int kPrecPredicate = 4;
constexpr int kPrecAdditive = 5;
constexpr int kPrecMultiplicative = 6;
constexpr int kPrecUnary = 7;
constexpr int kPrecPrimary = 8;

int Precedence(const Expr& e) {
  switch (e.kind()) {
    case ExprKind::kOr:
      return kPrecOr;
    case ExprKind::kAnd:
      return kPrecAnd;
    case ExprKind::kNot:
      return kPrecNot;
    case ExprKind::kCompare:
    case ExprKind::kIsNull:
    case ExprKind::kIn:
    case ExprKind::kBetween:
      return kPrecPredicate;
    case ExprKind::kArith:
      return e.arith_op() == ArithOp::kAdd || e.arith_op() == ArithOp::kSub ? kPrecAdditive
                                                                            : kPrecMultiplicative;
    case ExprKind::kNegate:
      return kPrecUnary;
    case ExprKind::kLiteral: {
      // Negative numbers print with a leading '-', which the parser reads as unary.
      std::string s = FormatLiteral(e.value());
      return !s.empty() && s[0] == '-' ? kPrecUnary : kPrecPrimary;
    }
    default:
      return kPrecPrimary;
  }
}

void Print(const Expr& e, std::string* out);

void PrintAt(const Expr& e, int min_prec, std::string* out) {
  if (Precedence(e) < min_prec) {
    out->push_back('(');
    Print(e, out);
    out->push_back(')');
  } else {
    Print(e, out);
  }
}

void Print(const Expr& e, std::string* out) {
  switch (e.kind()) {
    case ExprKind::kColumn:
      *out += FormatPath(e.path());
      return;
    case ExprKind::kLiteral:
      *out += FormatLiteral(e.value());
      return;
    case ExprKind::kCompare:
      PrintAt(e.child(0), kPrecAdditive, out);
      *out += ' ';
      *out += CompareOpSymbol(e.compare_op());
      *out += ' ';
      PrintAt(e.child(1), kPrecAdditive, out);
      return;
    case ExprKind::kAnd:
    case ExprKind::kOr:
      for (size_t i = 0; i < e.children().size(); ++i) {
        if (i) *out += e.kind() == ExprKind::kAnd ? " AND " : " OR ";
        // AND inside OR gets parentheses too: not needed, but easier to read.
        PrintAt(e.child(i), kPrecNot, out);
      }
      return;
    case ExprKind::kNot:
      *out += "NOT ";
      PrintAt(e.child(0), kPrecNot, out);
      return;
    case ExprKind::kIsNull:
      PrintAt(e.child(0), kPrecAdditive, out);
      *out += e.negated() ? " IS NOT NULL" : " IS NULL";
      return;
    case ExprKind::kIn:
      PrintAt(e.child(0), kPrecAdditive, out);
      *out += e.negated() ? " NOT IN (" : " IN (";
      for (size_t i = 1; i < e.children().size(); ++i) {
        if (i > 1) *out += ", ";
        Print(e.child(i), out);
      }
      *out += ')';
      return;
    case ExprKind::kBetween:
      PrintAt(e.child(0), kPrecAdditive, out);
      *out += e.negated() ? " NOT BETWEEN " : " BETWEEN ";
      PrintAt(e.child(1), kPrecAdditive, out);
      *out += " AND ";
      PrintAt(e.child(2), kPrecAdditive, out);
      return;
    case ExprKind::kArith: {
      int p = Precedence(e);
      PrintAt(e.child(0), p, out);
      *out += ' ';
      *out += ArithOpSymbol(e.arith_op());
      *out += ' ';
      PrintAt(e.child(1), p + 1, out);
      return;
    }
    case ExprKind::kNegate:
      *out += '-';
      PrintAt(e.child(0), kPrecPrimary, out);
      return;
    case ExprKind::kCast:
      *out += "CAST(";
      Print(e.child(0), out);
      *out += " AS ";
      *out += SqlTypeName(*e.type());
      *out += ')';
      return;
  }
}

}  // namespace

std::string Expr::ToString() const {
  std::string out;
  Print(*this, &out);
  return out;
}

bool Expr::Equals(const Expr& o) const {
  if (this == &o) return true;
  if (kind_ != o.kind_ || negated_ != o.negated_ || children_.size() != o.children_.size()) {
    return false;
  }
  if (kind_ == ExprKind::kCompare && compare_op_ != o.compare_op_) return false;
  if (kind_ == ExprKind::kArith && arith_op_ != o.arith_op_) return false;
  if (path_ != o.path_) return false;
  if (kind_ == ExprKind::kLiteral && !(value_ == o.value_)) return false;
  if ((type_ == nullptr) != (o.type_ == nullptr)) return false;
  if (type_ && !type_->Equals(*o.type_)) return false;
  for (size_t i = 0; i < children_.size(); ++i) {
    if (!children_[i]->Equals(*o.children_[i])) return false;
  }
  return true;
}

namespace {

void CollectColumns(const Expr& e, std::vector<std::vector<std::string>>* out) {
  if (e.is_column()) {
    for (const auto& p : *out) {
      if (p == e.path()) return;
    }
    out->push_back(e.path());
    return;
  }
  for (const auto& c : e.children()) CollectColumns(*c, out);
}

}  // namespace

std::vector<std::vector<std::string>> ReferencedColumns(const Expr& e) {
  std::vector<std::vector<std::string>> out;
  CollectColumns(e, &out);
  return out;
}

ExprPtr RenameColumns(
    const Expr& e,
    const std::function<std::vector<std::string>(const std::vector<std::string>&)>& rename) {
  Expr::Node n;
  n.kind = e.kind();
  n.value = e.value();
  n.compare_op = e.compare_op();
  n.arith_op = e.arith_op();
  n.negated = e.negated();
  if (e.kind() == ExprKind::kCast) n.type = e.type();
  for (const auto& c : e.children()) n.children.push_back(RenameColumns(*c, rename));
  if (e.kind() == ExprKind::kColumn) n.path = rename(e.path());
  return Expr::Make(std::move(n));
}

}  // namespace cpglake::expr
