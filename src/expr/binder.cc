#include "expr/binder.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "expr/cast.h"
#include "expr/compare.h"
#include "expr/decimal_internal.h"

namespace cpglake::expr {

using columnar::DataType;
using columnar::Field;
using columnar::Schema;
using columnar::TypeId;
using columnar::TypePtr;
using columnar::Value;

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string ListNames(const std::vector<Field>& fields) {
  std::string out;
  size_t shown = std::min<size_t>(fields.size(), 50);
  for (size_t i = 0; i < shown; ++i) {
    if (i) out += ", ";
    out += QuoteName(fields[i].name);
  }
  if (shown < fields.size()) out += ", ... (" + std::to_string(fields.size()) + " in all)";
  if (fields.empty()) out = "(none)";
  return out;
}

// Index of the field matching `name` (exact, then unique case-insensitive); -1 when none.
int FindField(const std::vector<Field>& fields, const std::string& name,
              const std::vector<std::string>& path_so_far) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == name) return static_cast<int>(i);
  }
  int found = -1;
  std::string matches;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (EqualsIgnoreCase(fields[i].name, name)) {
      if (found >= 0) {
        std::vector<std::string> p = path_so_far;
        p.push_back(name);
        throw InvalidInput("column " + FormatPath(p) + " is ambiguous: it matches " +
                           QuoteName(fields[found].name) + " and " + QuoteName(fields[i].name) +
                           " (names are compared ignoring case)");
      }
      found = static_cast<int>(i);
    }
  }
  return found;
}

// Shortened text of an expression for error messages.
std::string Quote(const Expr& e) {
  std::string s = e.ToString();
  if (s.size() > 200) s = s.substr(0, 197) + "...";
  return "`" + s + "`";
}

TypePtr IntegerAsDecimal(TypeId id) {
  return DataType::Decimal(internal::IntegerDecimalDigits(columnar::IntegerWidth(id)), 0);
}

// Types the evaluator compares directly, without a cast.
bool KernelCompatible(const DataType& a, const DataType& b) {
  TypeId x = a.id(), y = b.id();
  if (x == TypeId::kNull || y == TypeId::kNull) return true;
  if (x == TypeId::kDecimal && y == TypeId::kDecimal) return a.scale() == b.scale();
  if (columnar::IsTimestampType(x) && columnar::IsTimestampType(y)) return true;
  if (columnar::IsBytesType(x) && columnar::IsBytesType(y)) return true;
  if (a.is_nested() || b.is_nested()) return false;
  return x == y;
}

struct CommonType {
  bool ok = false;
  TypePtr type;  // nullptr with ok: comparable exactly, but no one type holds both
};

CommonType ComparisonType(const TypePtr& a, const TypePtr& b) {
  TypeId x = a->id(), y = b->id();
  if (x == TypeId::kNull) return {true, b};
  if (y == TypeId::kNull) return {true, a};
  if (a->is_nested() || b->is_nested()) return {};
  if (a->Equals(*b)) return {true, a};
  if (columnar::IsNumericType(x) && columnar::IsNumericType(y)) {
    if (columnar::IsFloatType(x) || columnar::IsFloatType(y)) {
      if (x == TypeId::kFloat32 && y == TypeId::kFloat32) return {true, a};
      return {true, DataType::Float64()};
    }
    if (columnar::IsIntegerType(x) && columnar::IsIntegerType(y))
      return {true, columnar::IntegerWidth(x) >= columnar::IntegerWidth(y) ? a : b};
    TypePtr da = columnar::IsIntegerType(x) ? IntegerAsDecimal(x) : a;
    TypePtr db = columnar::IsIntegerType(y) ? IntegerAsDecimal(y) : b;
    int scale = std::max(da->scale(), db->scale());
    int int_digits = std::max(da->precision() - da->scale(), db->precision() - db->scale());
    if (int_digits + scale > DataType::kMaxDecimalPrecision) return {true, nullptr};
    return {true, DataType::Decimal(int_digits + scale, scale)};
  }
  if (x == TypeId::kBoolean && y == TypeId::kBoolean) return {true, a};
  if (columnar::IsBytesType(x) && columnar::IsBytesType(y)) return {true, DataType::Binary()};
  if ((x == TypeId::kDate || columnar::IsTimestampType(x)) &&
      (y == TypeId::kDate || columnar::IsTimestampType(y))) {
    if (x == TypeId::kDate) return {true, b};
    if (y == TypeId::kDate) return {true, a};
    return {true, DataType::Timestamp()};
  }
  return {};
}

ExprPtr BoundLiteral(Value v) {
  Expr::Node n;
  n.kind = ExprKind::kLiteral;
  n.type = v.type();
  n.value = std::move(v);
  n.bound = true;
  return Expr::Make(std::move(n));
}

// `e` converted to `to`: folded for literals (NULL when the value does not convert, as
// CAST does), unchanged when the type already matches.
ExprPtr BoundCast(const ExprPtr& e, const TypePtr& to) {
  if (e->type()->Equals(*to)) return e;
  if (e->is_literal()) {
    auto v = CastValue(e->value(), to);
    return BoundLiteral(v ? std::move(*v) : Value::Null(to));
  }
  Expr::Node n;
  n.kind = ExprKind::kCast;
  n.type = to;
  n.children = {e};
  n.bound = true;
  return Expr::Make(std::move(n));
}

// A literal brought to `target` when that is exact (see binder.h); otherwise the literal
// unchanged (or, for a string compared with a number, the number it spells).
Value CoerceLiteral(const Value& v, const TypePtr& target, const Expr& context) {
  const TypeId f = v.type_id(), t = target->id();
  if (v.is_null()) return target->is_nested() ? v : Value::Null(target);
  if (v.type()->Equals(*target) || target->is_nested() || t == TypeId::kNull) return v;
  auto exact = [&](const TypePtr& to) -> std::optional<Value> {
    auto c = CastValue(v, to);
    if (!c || c->is_null()) return std::nullopt;
    auto back = CompareScalars(*c, v);
    if (!back || *back != 0) return std::nullopt;
    return c;
  };
  if (f == TypeId::kString) {
    if (t == TypeId::kBinary) return Value::Binary(v.as_string());
    if (t == TypeId::kDate || columnar::IsTimestampType(t) || t == TypeId::kBoolean) {
      auto c = CastValue(v, target);
      if (!c || c->is_null()) {
        throw InvalidInput("cannot interpret " + FormatLiteral(v) + " as " + SqlTypeName(*target) +
                           " in " + Quote(context));
      }
      return *c;
    }
    if (columnar::IsNumericType(t)) {
      std::string_view s = v.as_string();
      while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
      while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
      auto n = ParseNumber(s);
      if (!n) {
        auto special = CastValue(v, DataType::Float64());  // NaN, Infinity
        if (!special || special->is_null()) {
          throw InvalidInput("cannot interpret " + FormatLiteral(v) + " as a number in " +
                             Quote(context));
        }
        n = special;
      }
      return CoerceLiteral(*n, target, context);
    }
    return v;
  }
  if (f == TypeId::kBinary && t == TypeId::kString) return Value::String(v.as_string());
  if (columnar::IsNumericType(f) && columnar::IsNumericType(t)) {
    if (t == TypeId::kFloat64) {
      auto c = CastValue(v, target);
      return c ? *c : v;
    }
    if (t == TypeId::kFloat32) {
      double d = CastValue(v, DataType::Float64())->as_double();
      if (std::isnan(d) || std::isinf(d) || static_cast<double>(static_cast<float>(d)) == d) {
        return Value::Float32(static_cast<float>(d));
      }
      return v;
    }
    if (columnar::IsFloatType(f)) return v;  // a double against an exact column: compare as doubles
    if (auto c = exact(target)) return *c;
    return v;
  }
  if (f == TypeId::kDate && columnar::IsTimestampType(t)) {
    auto c = CastValue(v, target);
    return c && !c->is_null() ? *c : v;
  }
  if (columnar::IsTimestampType(f) && columnar::IsTimestampType(t))
    return Value::Integer(target, v.as_int());
  return v;
}

class Binder {
 public:
  explicit Binder(const Schema& schema) : schema_(schema) {}

  ExprPtr Bind(const Expr& e) {
    switch (e.kind()) {
      case ExprKind::kColumn: {
        ResolvedColumn rc = ResolveColumn(e.path(), schema_);
        Expr::Node n;
        n.kind = ExprKind::kColumn;
        n.path = std::move(rc.path);
        n.type = std::move(rc.type);
        n.bound = true;
        return Expr::Make(std::move(n));
      }
      case ExprKind::kLiteral:
        return BoundLiteral(e.value());
      case ExprKind::kCompare: {
        std::vector<ExprPtr> ops = {Bind(e.child(0)), Bind(e.child(1))};
        Unify(&ops, e);
        return Make(e, std::move(ops), DataType::Boolean());
      }
      case ExprKind::kIn:
      case ExprKind::kBetween: {
        std::vector<ExprPtr> ops;
        ops.reserve(e.children().size());
        for (const auto& c : e.children()) ops.push_back(Bind(*c));
        Unify(&ops, e);
        return Make(e, std::move(ops), DataType::Boolean());
      }
      case ExprKind::kAnd:
      case ExprKind::kOr:
      case ExprKind::kNot: {
        std::vector<ExprPtr> ops;
        for (const auto& c : e.children()) {
          ExprPtr b = Bind(*c);
          TypeId id = b->type()->id();
          if (id == TypeId::kNull) {
            b = BoundCast(b, DataType::Boolean());
          } else if (id != TypeId::kBoolean) {
            std::string op = e.kind() == ExprKind::kAnd  ? "AND"
                             : e.kind() == ExprKind::kOr ? "OR"
                                                         : "NOT";
            throw InvalidInput(op + " needs boolean operands, but " + Quote(*c) + " is " +
                               SqlTypeName(*b->type()));
          }
          ops.push_back(std::move(b));
        }
        return Make(e, std::move(ops), DataType::Boolean());
      }
      case ExprKind::kIsNull:
        return Make(e, {Bind(e.child(0))}, DataType::Boolean());
      case ExprKind::kArith:
        return BindArith(e);
      case ExprKind::kNegate: {
        ExprPtr c = Bind(e.child(0));
        TypeId id = c->type()->id();
        if (id == TypeId::kNull) c = BoundCast(c, DataType::Int32());
        if (!columnar::IsNumericType(c->type()->id())) {
          throw InvalidInput("unary minus needs a number, but " + Quote(e.child(0)) + " is " +
                             SqlTypeName(*c->type()));
        }
        TypePtr t = c->type();
        return Make(e, {std::move(c)}, t);
      }
      case ExprKind::kCast: {
        ExprPtr c = Bind(e.child(0));
        if (!CanCast(*c->type(), *e.type())) {
          throw InvalidInput("cannot cast " + SqlTypeName(*c->type()) + " to " +
                             SqlTypeName(*e.type()) + " in " + Quote(e));
        }
        if (c->is_literal()) return BoundCast(c, e.type());
        return Make(e, {std::move(c)}, e.type());
      }
    }
    throw InternalError("unknown expression kind");
  }

 private:
  static ExprPtr Make(const Expr& e, std::vector<ExprPtr> children, TypePtr type) {
    Expr::Node n;
    n.kind = e.kind();
    n.compare_op = e.compare_op();
    n.arith_op = e.arith_op();
    n.negated = e.negated();
    n.children = std::move(children);
    n.type = std::move(type);
    n.bound = true;
    return Expr::Make(std::move(n));
  }

  // Brings the operands of a comparison / IN / BETWEEN (ops[0] is compared with each
  // other operand) to types the evaluator compares directly.
  void Unify(std::vector<ExprPtr>* ops, const Expr& context) {
    auto& v = *ops;
    for (const auto& o : v) {
      if (o->type()->is_nested()) {
        throw InvalidInput("cannot compare values of type " + o->type()->ToString() + " in " +
                           Quote(context));
      }
    }
    // 1. Literals take the type of the first non-literal operand when that is exact.
    TypePtr anchor;
    for (const auto& o : v) {
      if (!o->is_literal() && o->type()->id() != TypeId::kNull) {
        anchor = o->type();
        break;
      }
    }
    if (anchor) {
      for (auto& o : v) {
        if (o->is_literal()) o = BoundLiteral(CoerceLiteral(o->value(), anchor, context));
      }
    } else {
      // Only literals (and NULL-typed columns): a string literal next to a typed literal
      // is read as that type.
      TypePtr lit_type;
      for (const auto& o : v) {
        TypeId id = o->type()->id();
        if (id != TypeId::kNull && id != TypeId::kString) {
          lit_type = o->type();
          break;
        }
      }
      if (lit_type) {
        for (auto& o : v) {
          if (o->is_literal()) o = BoundLiteral(CoerceLiteral(o->value(), lit_type, context));
        }
      }
    }
    // 2. Directly comparable?
    bool direct = true;
    for (size_t i = 1; i < v.size(); ++i) {
      if (!KernelCompatible(*v[0]->type(), *v[i]->type())) direct = false;
    }
    if (direct) {
      TypePtr typed;
      for (const auto& o : v) {
        if (o->type()->id() != TypeId::kNull) typed = o->type();
      }
      if (typed) {
        for (auto& o : v) {
          if (o->is_literal() && o->value().is_null()) o = BoundLiteral(Value::Null(typed));
        }
      }
      return;
    }
    // 3. Cast to the common type.
    CommonType common{true, v[0]->type()};
    for (size_t i = 1; i < v.size(); ++i) {
      CommonType pair = ComparisonType(v[0]->type(), v[i]->type());
      if (!pair.ok) {
        throw InvalidInput("cannot compare " + SqlTypeName(*v[0]->type()) + " with " +
                           SqlTypeName(*v[i]->type()) + " in " + Quote(context));
      }
      if (!common.type || !pair.type) {
        common.type = nullptr;
        continue;
      }
      CommonType next = ComparisonType(common.type, pair.type);
      common.type = next.ok ? next.type : nullptr;
    }
    if (!common.type) return;  // compared value by value, exactly
    for (auto& o : v) {
      // Literals fold to exactly the common type (so binding again changes nothing);
      // columns are cast only when the evaluator could not compare them directly.
      if (o->is_literal() || !KernelCompatible(*o->type(), *common.type) ||
          o->type()->id() == TypeId::kNull) {
        o = BoundCast(o, common.type);
      }
    }
  }

  ExprPtr BindArith(const Expr& e) {
    ExprPtr l = Bind(e.child(0)), r = Bind(e.child(1));
    auto numeric_literal = [&](ExprPtr& x) {
      if (x->is_literal() && x->type()->id() == TypeId::kString) {
        x = BoundLiteral(CoerceLiteral(x->value(), DataType::Float64(), e));
      }
    };
    numeric_literal(l);
    numeric_literal(r);
    TypeId tl = l->type()->id(), tr = r->type()->id();
    if (tl == TypeId::kNull && tr == TypeId::kNull) {
      l = BoundCast(l, DataType::Float64());
      r = BoundCast(r, DataType::Float64());
    } else if (tl == TypeId::kNull) {
      l = BoundCast(l, r->type());
    } else if (tr == TypeId::kNull) {
      r = BoundCast(r, l->type());
    }
    for (const auto* x : {&l, &r}) {
      if (!columnar::IsNumericType((*x)->type()->id())) {
        const Expr& src = x == &l ? e.child(0) : e.child(1);
        throw InvalidInput("arithmetic needs numbers, but " + Quote(src) + " is " +
                           SqlTypeName(*(*x)->type()) + " in " + Quote(e));
      }
    }
    tl = l->type()->id();
    tr = r->type()->id();
    TypePtr result;
    if (columnar::IsFloatType(tl) || columnar::IsFloatType(tr)) {
      result = tl == TypeId::kFloat32 && tr == TypeId::kFloat32 ? DataType::Float32()
                                                                : DataType::Float64();
      l = BoundCast(l, result);
      r = BoundCast(r, result);
    } else if (tl == TypeId::kDecimal || tr == TypeId::kDecimal) {
      if (columnar::IsIntegerType(tl)) l = BoundCast(l, IntegerAsDecimal(tl));
      if (columnar::IsIntegerType(tr)) r = BoundCast(r, IntegerAsDecimal(tr));
      result = DecimalResultType(e.arith_op(), *l->type(), *r->type());
    } else if (e.arith_op() == ArithOp::kDiv) {
      result = DataType::Float64();
      l = BoundCast(l, result);
      r = BoundCast(r, result);
    } else {
      result = columnar::IntegerWidth(tl) >= columnar::IntegerWidth(tr) ? l->type() : r->type();
      l = BoundCast(l, result);
      r = BoundCast(r, result);
    }
    return Make(e, {std::move(l), std::move(r)}, result);
  }

  // Spark's DecimalPrecision rules with allowPrecisionLoss.
  static TypePtr DecimalResultType(ArithOp op, const DataType& a, const DataType& b) {
    int p1 = a.precision(), s1 = a.scale(), p2 = b.precision(), s2 = b.scale();
    int p = 0, s = 0;
    switch (op) {
      case ArithOp::kAdd:
      case ArithOp::kSub:
        s = std::max(s1, s2);
        p = std::max(p1 - s1, p2 - s2) + s + 1;
        break;
      case ArithOp::kMul:
        p = p1 + p2 + 1;
        s = s1 + s2;
        break;
      case ArithOp::kDiv:
        s = std::max(6, s1 + p2 + 1);
        p = p1 - s1 + s2 + s;
        break;
    }
    constexpr int kMax = DataType::kMaxDecimalPrecision;
    if (p > kMax) {
      int int_digits = p - s;
      int min_scale = std::min(s, 6);
      s = std::max(kMax - int_digits, min_scale);
      p = kMax;
    }
    return DataType::Decimal(p, s);
  }

  const Schema& schema_;
};

}  // namespace

ResolvedColumn ResolveColumn(const std::vector<std::string>& path, const Schema& schema) {
  if (path.empty()) throw InvalidInput("empty column reference");
  ResolvedColumn out;
  const std::vector<Field>* fields = &schema.fields();
  for (size_t i = 0; i < path.size(); ++i) {
    if (i > 0) {
      if (out.type->id() != TypeId::kStruct) {
        throw InvalidInput("cannot read field " + QuoteName(path[i]) + " of column " +
                           FormatPath(out.path) + ", which is " + SqlTypeName(*out.type) +
                           " (not a struct)");
      }
      fields = &out.type->fields();
    }
    int idx = FindField(*fields, path[i], out.path);
    if (idx < 0) {
      if (i == 0) {
        throw InvalidInput("unknown column " + QuoteName(path[0]) +
                           "; available columns: " + ListNames(*fields));
      }
      throw InvalidInput("column " + FormatPath(out.path) + " has no field " + QuoteName(path[i]) +
                         "; its fields: " + ListNames(*fields));
    }
    out.path.push_back((*fields)[idx].name);
    out.type = (*fields)[idx].type;
  }
  return out;
}

ExprPtr Bind(const Expr& e, const Schema& schema) {
  return Binder(schema).Bind(e);
}

ExprPtr BindPredicate(const Expr& e, const Schema& schema) {
  ExprPtr b = Bind(e, schema);
  TypeId id = b->type()->id();
  if (id == TypeId::kNull) return BoundCast(b, DataType::Boolean());
  if (id != TypeId::kBoolean) {
    throw InvalidInput("predicate must be boolean, but " + Quote(e) + " is " +
                       SqlTypeName(*b->type()));
  }
  return b;
}

}  // namespace cpglake::expr
