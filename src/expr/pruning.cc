#include "expr/pruning.h"

#include <cmath>
#include <limits>

#include "expr/cast.h"
#include "expr/compare.h"
#include "expr/decimal_internal.h"

namespace cpglake::expr {

using columnar::DataType;
using columnar::TypeId;
using columnar::Value;

namespace {

// Whether CAST(from AS to) preserves order (x <= y implies cast(x) <= cast(y)), so the
// column's min/max bound the cast values; `infallible`: it never turns a value into NULL.
bool MonotoneCast(const DataType& from, const DataType& to, bool* infallible) {
  TypeId f = from.id(), t = to.id();
  *infallible = true;
  if (from.Equals(to)) return true;
  if (columnar::IsIntegerType(f) && columnar::IsIntegerType(t))
    return columnar::IntegerWidth(t) >= columnar::IntegerWidth(f);
  if (columnar::IsIntegerType(f) && t == TypeId::kDecimal) {
    return to.precision() - to.scale() >= internal::IntegerDecimalDigits(columnar::IntegerWidth(f));
  }
  if (f == TypeId::kDecimal && t == TypeId::kDecimal) {
    return to.scale() >= from.scale() &&
           to.precision() - to.scale() >= from.precision() - from.scale();
  }
  if ((columnar::IsIntegerType(f) || f == TypeId::kDecimal || f == TypeId::kFloat32) &&
      t == TypeId::kFloat64) {
    return true;
  }
  if (columnar::IsIntegerType(f) && t == TypeId::kFloat32) return true;
  if (columnar::IsTimestampType(f) && columnar::IsTimestampType(t)) return true;
  if (f == TypeId::kDate && columnar::IsTimestampType(t)) {
    *infallible = false;  // far-out dates overflow the microseconds
    return true;
  }
  return false;
}

bool IsNaN(const Value& v) {
  if (v.is_null()) return false;
  if (columnar::IsFloatType(v.type_id())) return std::isnan(v.as_double());
  if (v.type_id() == TypeId::kString) {
    auto d = CastValue(v, DataType::Float64());
    return d && !d->is_null() && std::isnan(d->as_double());
  }
  return false;
}

// Drops trailing U+FFFF (EF BF BF), the tie-breaker Delta appends to truncated maxima.
std::string_view StripTieBreaker(std::string_view s) {
  while (s.size() >= 3 && s.substr(s.size() - 3) == "\xEF\xBF\xBF") s.remove_suffix(3);
  return s;
}

class Pruner {
 public:
  Pruner(const StatsLookup& lookup, int64_t num_records, const PruneOptions& options)
      : lookup_(lookup), num_records_(num_records), options_(options) {}

  // True when `e` (negated when `negate`) is certainly not TRUE for any row.
  bool NeverTrue(const Expr& e, bool negate) {
    switch (e.kind()) {
      case ExprKind::kNot:
        return NeverTrue(e.child(0), !negate);
      case ExprKind::kAnd:
      case ExprKind::kOr: {
        // AND (or a negated OR, by De Morgan) needs one operand; OR needs all.
        const bool any = (e.kind() == ExprKind::kAnd) != negate;
        for (const auto& c : e.children()) {
          bool never = NeverTrue(*c, negate);
          if (any && never) return true;
          if (!any && !never) return false;
        }
        return !any;
      }
      case ExprKind::kLiteral: {
        const Value& v = e.value();
        if (v.is_null()) return true;
        if (v.type_id() != TypeId::kBoolean) return false;
        return v.as_bool() == negate;
      }
      case ExprKind::kColumn:
        // A boolean column used as a predicate: col = TRUE (NOT col: col = FALSE).
        return RuleCompare(e, CompareOp::kEq, Value::Boolean(!negate));
      case ExprKind::kCompare: {
        CompareOp op = negate ? NegateCompareOp(e.compare_op()) : e.compare_op();
        return NeverTrueCompare(e.child(0), op, e.child(1));
      }
      case ExprKind::kIsNull:
        return RuleIsNull(e.child(0), e.negated() != negate);
      case ExprKind::kIn: {
        const bool not_in = e.negated() != negate;
        const Expr& x = e.child(0);
        // IN is an OR of x = el (all must be never TRUE); NOT IN an AND of x != el.
        for (size_t k = 1; k < e.children().size(); ++k) {
          bool never = NeverTrueCompare(x, not_in ? CompareOp::kNe : CompareOp::kEq, e.child(k));
          if (not_in && never) return true;
          if (!not_in && !never) return false;
        }
        return !not_in;
      }
      case ExprKind::kBetween: {
        const Expr& x = e.child(0);
        if (e.negated() == negate) {  // x >= low AND x <= high
          return NeverTrueCompare(x, CompareOp::kGe, e.child(1)) ||
                 NeverTrueCompare(x, CompareOp::kLe, e.child(2));
        }
        return NeverTrueCompare(x, CompareOp::kLt, e.child(1)) &&
               NeverTrueCompare(x, CompareOp::kGt, e.child(2));
      }
      default:
        return false;
    }
  }

 private:
  // The column under widening casts, or nullptr.
  static const Expr* StripCasts(const Expr& e, bool* infallible) {
    const Expr* cur = &e;
    *infallible = true;
    while (cur->kind() == ExprKind::kCast) {
      const Expr& child = cur->child(0);
      if (!child.type()) return nullptr;  // unbound: the source type is unknown
      bool step_infallible;
      if (!MonotoneCast(*child.type(), *cur->type(), &step_infallible)) return nullptr;
      *infallible = *infallible && step_infallible;
      cur = &child;
    }
    return cur->is_column() ? cur : nullptr;
  }

  static bool IsNullLiteral(const Expr& e) { return e.is_literal() && e.value().is_null(); }

  bool NeverTrueCompare(const Expr& l, CompareOp op, const Expr& r) {
    if (IsNullLiteral(l) || IsNullLiteral(r)) return true;  // a comparison with NULL is NULL
    bool infallible;
    if (l.is_literal() && r.is_literal()) {
      auto c = CompareScalars(l.value(), r.value());
      return c && !CompareResultMatches(op, *c);
    }
    if (r.is_literal()) {
      const Expr* col = StripCasts(l, &infallible);
      return col && RuleCompare(*col, op, r.value());
    }
    if (l.is_literal()) {
      const Expr* col = StripCasts(r, &infallible);
      return col && RuleCompare(*col, FlipCompareOp(op), l.value());
    }
    return false;
  }

  // Rows covered by `s`, or -1 when unknown.
  int64_t Records(const ColumnStats& s) const {
    int64_t n = s.num_records.value_or(num_records_);
    return n < 0 ? -1 : n;
  }

  bool AllNull(const ColumnStats& s) const {
    int64_t n = Records(s);
    return s.null_count && n >= 0 && *s.null_count >= n;
  }

  bool RuleIsNull(const Expr& operand, bool is_not_null) {
    if (operand.is_literal()) return operand.value().is_null() == is_not_null;
    bool infallible;
    const Expr* col = StripCasts(operand, &infallible);
    if (!col) return false;
    const ColumnStats* s = lookup_(col->path());
    if (!s) return false;
    if (is_not_null) return AllNull(*s);
    return infallible && s->null_count && *s->null_count == 0;
  }

  // `col op lit` (col on the left) is never TRUE.
  bool RuleCompare(const Expr& col, CompareOp op, const Value& lit) {
    if (lit.is_null()) return true;
    const ColumnStats* s = lookup_(col.path());
    if (!s) return false;
    if (AllNull(*s)) return true;
    std::optional<Value> min, max;
    if (s->min && !s->min->is_null()) min = s->min;
    if (s->max && !s->max->is_null()) max = s->max;
    // Asked last: probing may read a Bloom filter.
    auto absent = [&] { return op == CompareOp::kEq && s->may_contain && !s->may_contain(lit); };
    if (!min && !max) return absent();

    const bool is_float = (min && columnar::IsFloatType(min->type_id())) ||
                          (max && columnar::IsFloatType(max->type_id()));
    if (is_float) {
      if ((min && IsNaN(*min)) || (max && IsNaN(*max))) return absent();
      if (options_.float_stats_may_omit_nan && !s->exact) {
        // Would a NaN row satisfy `NaN op lit`?
        bool nan_matches =
            IsNaN(lit) ? (op == CompareOp::kEq || op == CompareOp::kLe || op == CompareOp::kGe)
                       : (op == CompareOp::kGt || op == CompareOp::kGe || op == CompareOp::kNe);
        if (nan_matches) return absent();
      }
    }
    if (max && columnar::IsTimestampType(max->type_id()) &&
        options_.timestamp_max_slack_micros > 0 && !s->exact) {
      int64_t widened;
      if (__builtin_add_overflow(max->as_int(), options_.timestamp_max_slack_micros, &widened)) {
        widened = std::numeric_limits<int64_t>::max();
      }
      max = Value::Integer(max->type(), widened);
    }
    const bool truncated = max && columnar::IsBytesType(max->type_id()) &&
                           options_.string_max_may_be_truncated && !s->exact;

    auto cmp = [&](const Value& stat) { return CompareScalars(stat, lit); };
    auto all_at_least = [&] {
      if (!min) return false;
      auto c = cmp(*min);
      return c && *c >= 0;
    };
    auto all_above = [&] {
      if (!min) return false;
      auto c = cmp(*min);
      return c && *c > 0;
    };
    auto all_below = [&] {
      if (!max) return false;
      auto c = cmp(*max);
      if (!c || *c >= 0) return false;
      if (!truncated) return true;
      // Values starting with the (untruncated part of the) max may exceed it.
      if (!columnar::IsBytesType(lit.type_id())) return false;
      std::string_view prefix = StripTieBreaker(max->as_string());
      return std::string_view(lit.as_string()).substr(0, prefix.size()) != prefix;
    };
    auto all_at_most = [&] {
      if (truncated) return all_below();
      if (!max) return false;
      auto c = cmp(*max);
      return c && *c <= 0;
    };
    switch (op) {
      case CompareOp::kEq:
        return all_below() || all_above() || absent();
      case CompareOp::kNe:
        return all_at_least() && all_at_most();
      case CompareOp::kLt:
        return all_at_least();
      case CompareOp::kLe:
        return all_above();
      case CompareOp::kGt:
        return all_at_most();
      case CompareOp::kGe:
        return all_below();
    }
    return false;
  }

  const StatsLookup& lookup_;
  const int64_t num_records_;
  const PruneOptions& options_;
};

}  // namespace

PruneResult CanSkip(const Expr& e, const StatsLookup& stats, int64_t num_records,
                    const PruneOptions& options) {
  if (num_records == 0) return PruneResult::kNone;
  Pruner p(stats, num_records, options);
  return p.NeverTrue(e, false) ? PruneResult::kNone : PruneResult::kMaybe;
}

}  // namespace cpglake::expr
