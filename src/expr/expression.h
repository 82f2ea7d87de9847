// expr/ — predicate and value expressions over columnar data: an immutable expression
// tree (this header), a SQL-like text form (parser.h, and Expr::ToString), binding and
// type checking against a schema (binder.h), vectorised evaluation on record batches
// (evaluator.h) and data skipping with min/max/null-count statistics (pruning.h).
// Delta scans use it for file and row-group skipping and exact row filtering; DML uses it
// for conditions and SET expressions; the SQL layer for pushdown. Depends only on
// columnar/ and common/.
//
// An expression is a tree of `Expr` nodes shared as `ExprPtr` (shared_ptr<const Expr>):
// immutable, so subtrees are shared freely between threads and rewritten trees. Build
// one with the functions below (`Eq(Col("a"), Lit(5))`) or parse one
// (`ParsePredicate("a = 5")`). A freshly built tree is *unbound*: column references are
// names as written and nodes carry no types. `Bind` (binder.h) resolves names against a
// schema and returns a *bound* tree in which every node has a type and comparison
// operands have been brought to one type.
//
// Node layout (children()):
//   kColumn   —                       path(): field names, outermost first (a.b.c)
//   kLiteral  —                       value(): a scalar columnar::Value (maybe null)
//   kCompare  [left, right]           compare_op()
//   kAnd/kOr  [c0, c1, ...]           n-ary, at least two, never directly nested in the
//                                     same kind (builders flatten)
//   kNot      [x]
//   kIsNull   [x]                     negated(): IS NOT NULL
//   kIn       [x, e0, e1, ...]        negated(): NOT IN; at least one element
//   kBetween  [x, low, high]          negated(): NOT BETWEEN; x >= low AND x <= high
//   kArith    [left, right]           arith_op(): + - * /
//   kNegate   [x]                     unary minus
//   kCast     [x]                     type(): the target type (also before binding)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "columnar/types.h"
#include "columnar/value.h"

namespace cpglake::expr {

class Expr;
using ExprPtr = std::shared_ptr<const Expr>;

enum class ExprKind : uint8_t {
  kColumn,
  kLiteral,
  kCompare,
  kAnd,
  kOr,
  kNot,
  kIsNull,
  kIn,
  kBetween,
  kArith,
  kNegate,
  kCast,
};

enum class CompareOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };
enum class ArithOp : uint8_t { kAdd, kSub, kMul, kDiv };

// "=", "!=", "<", "<=", ">", ">=".
std::string_view CompareOpSymbol(CompareOp op);
// The operator with its operands swapped: a < b  <=>  b > a.
CompareOp FlipCompareOp(CompareOp op);
// The operator that is TRUE exactly when `op` is FALSE (for non-null operands): < → >=.
CompareOp NegateCompareOp(CompareOp op);
// "+", "-", "*", "/".
std::string_view ArithOpSymbol(ArithOp op);

class Expr {
 public:
  ExprKind kind() const { return kind_; }
  const std::vector<ExprPtr>& children() const { return children_; }
  const Expr& child(size_t i) const { return *children_.at(i); }
  const ExprPtr& child_ptr(size_t i) const { return children_.at(i); }

  // kColumn: the field path, outermost first. Never empty; no segment is empty.
  const std::vector<std::string>& path() const { return path_; }
  // kLiteral: the value (never nested).
  const columnar::Value& value() const { return value_; }
  CompareOp compare_op() const { return compare_op_; }
  ArithOp arith_op() const { return arith_op_; }
  // kIsNull, kIn, kBetween: the NOT form.
  bool negated() const { return negated_; }
  // The result type: set on every node of a bound tree, and on kCast nodes always;
  // nullptr on the other nodes of an unbound tree.
  const columnar::TypePtr& type() const { return type_; }
  // True when this node (and so its whole subtree) came out of Bind.
  bool bound() const { return bound_; }
  // Height of the tree (a leaf is 1). No tree is higher than kMaxDepth: every pass over a
  // tree recurses, so Make refuses deeper ones (the parser's own limit is lower).
  int depth() const { return depth_; }
  static constexpr int kMaxDepth = 1000;

  bool is_literal() const { return kind_ == ExprKind::kLiteral; }
  bool is_column() const { return kind_ == ExprKind::kColumn; }

  // The canonical text form: ParseExpression(e.ToString()) gives a tree Equal to `e`
  // (for unbound trees; a bound tree prints its resolved names and inserted casts).
  // Minimal parentheses by precedence, keywords upper case, names back-quoted when they
  // are not plain identifiers, literals typed exactly (5, 5L, 1.5D, 1.50, DATE '...').
  std::string ToString() const;
  // Structural equality: same kinds, operators, paths, children and literal values of
  // the same type (NaN equals NaN). Types of bound nodes are compared too.
  bool Equals(const Expr& other) const;

  // --- Construction (prefer the free builder functions below) ---------------------------
  struct Node {
    ExprKind kind = ExprKind::kLiteral;
    std::vector<ExprPtr> children;
    std::vector<std::string> path;
    columnar::Value value;
    CompareOp compare_op = CompareOp::kEq;
    ArithOp arith_op = ArithOp::kAdd;
    bool negated = false;
    columnar::TypePtr type;
    bool bound = false;
  };
  // Checks the shape (child counts, non-empty paths, non-nested literals, depth at most
  // kMaxDepth); InvalidInput when it is wrong. Does not flatten or fold: the builders do.
  static ExprPtr Make(Node node);

 private:
  explicit Expr(Node&& node);

  ExprKind kind_;
  CompareOp compare_op_;
  ArithOp arith_op_;
  bool negated_;
  bool bound_;
  int depth_ = 1;
  std::vector<ExprPtr> children_;
  std::vector<std::string> path_;
  columnar::Value value_;
  columnar::TypePtr type_;
};

// --- Builders ---------------------------------------------------------------------------
// A column reference from its text form: segments separated by '.', each either a plain
// name (taken verbatim, so "my col" is one segment) or back-quoted (`a.b` is one segment,
// `` doubles a back quote). Col("a.b") is field b of struct column a. InvalidInput for
// an empty segment or an unclosed back quote.
ExprPtr Col(std::string_view dotted_name);
// The segments Col() reads from a dotted, possibly back-quoted name ("a.`b.c`" → {a, b.c}).
std::vector<std::string> ParseColumnPath(std::string_view dotted_name);
// A column reference from its path, with no parsing: ColPath({"a.b"}) is the column
// literally named "a.b".
ExprPtr ColPath(std::vector<std::string> path);

// A literal; InvalidInput for nested (struct/list/map) values.
ExprPtr Lit(columnar::Value v);
ExprPtr Lit(bool v);
ExprPtr Lit(int32_t v);
ExprPtr Lit(int64_t v);
ExprPtr Lit(double v);
ExprPtr Lit(const char* v);
ExprPtr Lit(std::string_view v);
// The untyped NULL literal.
ExprPtr NullLit();

ExprPtr Compare(CompareOp op, ExprPtr left, ExprPtr right);
ExprPtr Eq(ExprPtr left, ExprPtr right);
ExprPtr Ne(ExprPtr left, ExprPtr right);
ExprPtr Lt(ExprPtr left, ExprPtr right);
ExprPtr Le(ExprPtr left, ExprPtr right);
ExprPtr Gt(ExprPtr left, ExprPtr right);
ExprPtr Ge(ExprPtr left, ExprPtr right);

// n-ary; nested ANDs (ORs) are flattened into one node; one operand is returned as is;
// no operands give the literal TRUE (AND) or FALSE (OR).
ExprPtr And(std::vector<ExprPtr> operands);
ExprPtr Or(std::vector<ExprPtr> operands);
ExprPtr Not(ExprPtr operand);

ExprPtr IsNull(ExprPtr operand);
ExprPtr IsNotNull(ExprPtr operand);
// InvalidInput when `list` is empty.
ExprPtr In(ExprPtr value, std::vector<ExprPtr> list);
ExprPtr NotIn(ExprPtr value, std::vector<ExprPtr> list);
ExprPtr Between(ExprPtr value, ExprPtr low, ExprPtr high);
ExprPtr NotBetween(ExprPtr value, ExprPtr low, ExprPtr high);

ExprPtr Arith(ArithOp op, ExprPtr left, ExprPtr right);
ExprPtr Add(ExprPtr left, ExprPtr right);
ExprPtr Sub(ExprPtr left, ExprPtr right);
ExprPtr Mul(ExprPtr left, ExprPtr right);
ExprPtr Div(ExprPtr left, ExprPtr right);
// Unary minus. A non-null numeric literal operand is folded into a negative literal of
// the same type (when it does not overflow), so Neg(Lit(5)) prints and parses as -5.
ExprPtr Neg(ExprPtr operand);
// CAST(operand AS type). Whether the cast is allowed is checked by Bind.
ExprPtr Cast(ExprPtr operand, columnar::TypePtr type);

// The distinct column paths an expression references, in order of first appearance.
std::vector<std::vector<std::string>> ReferencedColumns(const Expr& e);

// --- Text helpers shared with the parser ------------------------------------------------
// A name segment as ToString prints it: verbatim when it is a plain identifier that is
// not a reserved word, else back-quoted.
std::string QuoteName(std::string_view name);
// A path as ToString prints it: QuoteName of each segment joined with '.'.
std::string FormatPath(const std::vector<std::string>& path);
// A literal's canonical text (see Expr::ToString).
std::string FormatLiteral(const columnar::Value& v);
// SQL type name as CAST accepts it: INT, BIGINT, DECIMAL(10,2), TIMESTAMP_NTZ, ...
std::string SqlTypeName(const columnar::DataType& t);
// True for the words that cannot be plain column names: AND OR NOT IS NULL IN BETWEEN
// TRUE FALSE (case-insensitive).
bool IsReservedWord(std::string_view word);

// A copy of `e` with every column path replaced by `rename(path)` (everything else kept).
ExprPtr RenameColumns(
    const Expr& e,
    const std::function<std::vector<std::string>(const std::vector<std::string>&)>& rename);

}  // namespace cpglake::expr
