// MERGE (dml.h) on top of DmlEngine (dml_internal.h).
//
// The source is read into memory and hashed on the ON condition's equality keys (source
// columns cast to the target key types). Each live target row probes the hash; its candidate
// (target, source) pairs are laid out side by side in a "pair batch" whose columns are named
// "<target alias>.<column>" and "<source alias>.<column>" (one name segment each), and the
// whole ON condition, clause conditions and expressions — rewritten to those names — are
// evaluated on it. Source rows never matched are inserted after every target file was read.
// Target files — and, with deletion vectors and no by-source clause, their row groups — that
// cannot hold a match (by the ON condition's target-only conjuncts and the source's keys)
// are not read.
#include <algorithm>
#include <cctype>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <xxhash.h>

#include "columnar/value.h"
#include "common/ascii.h"
#include "common/error.h"
#include "delta/data_file_writer.h"
#include "delta/dml.h"
#include "delta/dml_internal.h"
#include "delta/schema_json.h"
#include "expr/binder.h"
#include "expr/cast.h"
#include "expr/evaluator.h"
#include "expr/parser.h"

namespace cpglake::delta {

using columnar::Bitmap;
using columnar::Column;
using columnar::ColumnPtr;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using dml_internal::DmlEngine;
using dml_internal::RowAction;
using dml_internal::RowDecision;
using Kind = MergeClause::Kind;

MergeClause WhenMatchedUpdate(std::map<std::string, std::string> set,
                              std::optional<std::string> condition) {
  return {Kind::kMatchedUpdate, std::move(condition), std::move(set)};
}
MergeClause WhenMatchedUpdateAll(std::optional<std::string> condition) {
  return {Kind::kMatchedUpdateAll, std::move(condition), {}};
}
MergeClause WhenMatchedDelete(std::optional<std::string> condition) {
  return {Kind::kMatchedDelete, std::move(condition), {}};
}
MergeClause WhenNotMatchedInsert(std::map<std::string, std::string> values,
                                 std::optional<std::string> condition) {
  return {Kind::kNotMatchedInsert, std::move(condition), std::move(values)};
}
MergeClause WhenNotMatchedInsertAll(std::optional<std::string> condition) {
  return {Kind::kNotMatchedInsertAll, std::move(condition), {}};
}
MergeClause WhenNotMatchedBySourceUpdate(std::map<std::string, std::string> set,
                                         std::optional<std::string> condition) {
  return {Kind::kNotMatchedBySourceUpdate, std::move(condition), std::move(set)};
}
MergeClause WhenNotMatchedBySourceDelete(std::optional<std::string> condition) {
  return {Kind::kNotMatchedBySourceDelete, std::move(condition), {}};
}

namespace {

enum class Group { kMatched, kNotMatched, kBySource };

Group GroupOf(Kind k) {
  switch (k) {
    case Kind::kMatchedUpdate:
    case Kind::kMatchedUpdateAll:
    case Kind::kMatchedDelete:
      return Group::kMatched;
    case Kind::kNotMatchedInsert:
    case Kind::kNotMatchedInsertAll:
      return Group::kNotMatched;
    case Kind::kNotMatchedBySourceUpdate:
    case Kind::kNotMatchedBySourceDelete:
      return Group::kBySource;
  }
  return Group::kMatched;
}

bool IsDelete(Kind k) {
  return k == Kind::kMatchedDelete || k == Kind::kNotMatchedBySourceDelete;
}

std::string_view KindName(Kind k) {
  switch (k) {
    case Kind::kMatchedUpdate:
      return "whenMatchedUpdate";
    case Kind::kMatchedUpdateAll:
      return "whenMatchedUpdateAll";
    case Kind::kMatchedDelete:
      return "whenMatchedDelete";
    case Kind::kNotMatchedInsert:
      return "whenNotMatchedInsert";
    case Kind::kNotMatchedInsertAll:
      return "whenNotMatchedInsertAll";
    case Kind::kNotMatchedBySourceUpdate:
      return "whenNotMatchedBySourceUpdate";
    case Kind::kNotMatchedBySourceDelete:
      return "whenNotMatchedBySourceDelete";
  }
  return "";
}

// One clause, bound to the pair schema.
struct Compiled {
  Kind kind;
  expr::ExprPtr condition;  // nullptr: always
  // Per target column (new schema order): its value expression, or nullptr to keep the
  // target's value (updates) / null (inserts).
  std::vector<expr::ExprPtr> values;
};

class MergePlan {
 public:
  MergePlan(const Schema& target, const Schema& source, const MergeOptions& options)
      : target_(target),
        source_(source),
        ta_(AsciiLower(options.target_alias)),
        sa_(AsciiLower(options.source_alias)) {
    if (ta_.empty() || sa_.empty() || ta_ == sa_) {
      throw InvalidInput("MERGE needs two different, non-empty source and target aliases");
    }
    std::vector<Field> fields;
    for (const auto& f : target.fields()) fields.emplace_back(ta_ + "." + f.name, f.type, true);
    for (const auto& f : source.fields()) fields.emplace_back(sa_ + "." + f.name, f.type, true);
    pair_schema_ = Schema(std::move(fields));
  }

  const Schema& pair_schema() const { return pair_schema_; }
  const std::string& target_prefix() const { return ta_; }
  const std::string& source_prefix() const { return sa_; }

  // `e` with every column reference renamed to its pair-schema column.
  expr::ExprPtr Rewrite(const expr::Expr& e) const {
    return expr::RenameColumns(
        e, [this](const std::vector<std::string>& p) { return RewritePath(p); });
  }

  expr::ExprPtr Parse(std::string_view text) const { return Rewrite(*expr::ParsePredicate(text)); }
  expr::ExprPtr ParseValue(std::string_view text) const {
    return Rewrite(*expr::ParseExpression(text));
  }

  // A target column named in SET / VALUES ("col" or "target.col"): its index.
  size_t TargetColumn(const std::string& text) const {
    std::vector<std::string> path = expr::ParseColumnPath(text);
    if (path.size() == 2 && AsciiLower(path[0]) == ta_) path.erase(path.begin());
    int i = path.size() == 1 ? FindField(target_, path[0]) : -1;
    if (i < 0) {
      throw InvalidInput("MERGE assigns to '" + text + "', which is not a column of the table");
    }
    return static_cast<size_t>(i);
  }

 private:
  std::vector<std::string> RewritePath(const std::vector<std::string>& path) const {
    auto side = [&](const std::string& prefix, const Schema& schema, size_t at) {
      std::vector<std::string> out;
      int i = FindField(schema, path[at]);
      out.push_back(prefix + "." + (i >= 0 ? schema.field(static_cast<size_t>(i)).name : path[at]));
      out.insert(out.end(), path.begin() + static_cast<long>(at) + 1, path.end());
      return out;
    };
    if (path.size() >= 2 && AsciiLower(path[0]) == ta_) return side(ta_, target_, 1);
    if (path.size() >= 2 && AsciiLower(path[0]) == sa_) return side(sa_, source_, 1);
    const bool in_target = FindField(target_, path[0]) >= 0;
    const bool in_source = FindField(source_, path[0]) >= 0;
    if (in_target && in_source) {
      throw InvalidInput("column '" + path[0] + "' is ambiguous in MERGE: write " + ta_ + "." +
                         path[0] + " or " + sa_ + "." + path[0]);
    }
    if (in_target) return side(ta_, target_, 0);
    if (in_source) return side(sa_, source_, 0);
    return path;  // Bind reports it
  }

  Schema target_, source_;
  std::string ta_, sa_;
  Schema pair_schema_;
};

// Target rows `t` side by side with source rows `s` (-1: nulls), under the pair schema.
RecordBatch PairBatch(const Schema& pair_schema, const RecordBatch& target,
                      const std::vector<int64_t>& t, const RecordBatch& source,
                      const std::vector<int64_t>& s) {
  RecordBatch a = dml_internal::TakeRows(target, t);
  RecordBatch b = dml_internal::TakeRows(source, s);
  std::vector<ColumnPtr> cols = a.columns();
  cols.insert(cols.end(), b.columns().begin(), b.columns().end());
  RecordBatch out(pair_schema, std::move(cols));
  out.set_num_rows(static_cast<int64_t>(t.size()));
  return out;
}

// Which clause of `group` (index into `clauses`, -1 none) applies to each row of `pairs`.
std::vector<int> ChooseClauses(const std::vector<Compiled>& clauses, Group group,
                               const RecordBatch& pairs) {
  const int64_t n = pairs.num_rows();
  std::vector<int> chosen(static_cast<size_t>(n), -1);
  int64_t open = n;
  for (size_t c = 0; c < clauses.size() && open > 0; ++c) {
    if (GroupOf(clauses[c].kind) != group) continue;
    if (!clauses[c].condition) {
      for (auto& x : chosen) {
        if (x < 0) x = static_cast<int>(c);
      }
      break;
    }
    const Bitmap ok = expr::EvaluateFilter(*clauses[c].condition, pairs);
    for (int64_t i = 0; i < n; ++i) {
      if (chosen[static_cast<size_t>(i)] < 0 && ok.Get(i)) {
        chosen[static_cast<size_t>(i)] = static_cast<int>(c);
        --open;
      }
    }
  }
  return chosen;
}

// The new rows (target schema) of clause `clause` for the pair rows selected by `rows`:
// its expressions, else the target's values (`keep_target`) or nulls.
RecordBatch ClauseRows(const Compiled& clause, const RecordBatch& pairs, const Bitmap& rows,
                       const Schema& target, bool keep_target) {
  RecordBatch sub = rows.CountSet() == pairs.num_rows() ? pairs : pairs.Filter(rows);
  std::vector<ColumnPtr> cols;
  for (size_t i = 0; i < target.num_fields(); ++i) {
    const Field& f = target.field(i);
    if (clause.values[i]) {
      cols.push_back(dml_internal::EvaluateAs(*clause.values[i], sub, f,
                                              std::string(KindName(clause.kind)) + " " + f.name));
    } else if (keep_target) {
      cols.push_back(sub.column_ptr(i));
    } else {
      if (!f.nullable) {
        throw InvalidInput("MERGE insert gives no value for the non-nullable column " + f.name);
      }
      cols.push_back(dml_internal::NullColumn(f.type, sub.num_rows()));
    }
  }
  return RecordBatch(target, std::move(cols));
}

struct KeyPair {
  size_t target = 0;  // field of the target (new) schema
  size_t source = 0;  // field of the source schema
};

std::string DescribeKey(const RecordBatch& target, int64_t row, const std::vector<KeyPair>& keys) {
  std::string out;
  for (const auto& k : keys) {
    out += (out.empty() ? "" : ", ") + target.schema().field(k.target).name + "=" +
           columnar::GetValue(target.column(k.target), row).ToString();
  }
  return out;
}

// Key types whose equality in the ON condition is exactly CompareRows' (byte or integer
// equality): with every conjunct such a key, a hash match needs no re-evaluation of ON.
bool ExactEqualityKey(const columnar::DataType& t) {
  switch (t.id()) {
    case columnar::TypeId::kBoolean:
    case columnar::TypeId::kInt8:
    case columnar::TypeId::kInt16:
    case columnar::TypeId::kInt32:
    case columnar::TypeId::kInt64:
    case columnar::TypeId::kDate:
    case columnar::TypeId::kTimestamp:
    case columnar::TypeId::kTimestampNtz:
    case columnar::TypeId::kString:
    case columnar::TypeId::kBinary:
      return true;
    default:
      return false;
  }
}

// Chains the hash of rows [begin, end) of `c` into `h` (h[i - begin] is the seed and the
// result, as columnar::HashRow(c, i, h)); sets null[i - begin] for null rows. The type is
// dispatched once per column; the values equal HashRow's.
void HashColumn(const Column& c, int64_t begin, int64_t end, uint64_t* h, uint8_t* null) {
  const int64_t n = end - begin;
  if (c.has_validity()) {
    for (int64_t k = 0; k < n; ++k) null[k] |= c.IsNull(begin + k) ? 1 : 0;
  }
  auto ints = [&](auto tag) {
    using T = decltype(tag);
    const T* v = c.data<T>();
    for (int64_t k = 0; k < n; ++k) {
      const int64_t x = static_cast<int64_t>(v[begin + k]);  // any width hashes alike
      h[k] = c.IsNull(begin + k) ? columnar::HashRow(c, begin + k, h[k])
                                 : XXH3_64bits_withSeed(&x, sizeof x, h[k]);
    }
  };
  switch (c.type_id()) {
    case columnar::TypeId::kString:
    case columnar::TypeId::kBinary:
      for (int64_t k = 0; k < n; ++k) {
        if (c.IsNull(begin + k)) {
          h[k] = columnar::HashRow(c, begin + k, h[k]);
          continue;
        }
        const std::string_view s = c.GetString(begin + k);
        h[k] = XXH3_64bits_withSeed(s.data(), s.size(), h[k]);
      }
      return;
    case columnar::TypeId::kInt8:
      return ints(int8_t{});
    case columnar::TypeId::kInt16:
      return ints(int16_t{});
    case columnar::TypeId::kInt32:
    case columnar::TypeId::kDate:
      return ints(int32_t{});
    case columnar::TypeId::kInt64:
    case columnar::TypeId::kTimestamp:
    case columnar::TypeId::kTimestampNtz:
      return ints(int64_t{});
    default:
      for (int64_t k = 0; k < n; ++k) h[k] = columnar::HashRow(c, begin + k, h[k]);
      return;
  }
}

// Whether row i of `a` equals row j of `b` (same type, neither null).
inline bool KeyEqual(const Column& a, int64_t i, const Column& b, int64_t j) {
  const columnar::TypeId id = a.type_id();
  if ((id == columnar::TypeId::kString || id == columnar::TypeId::kBinary) && b.type_id() == id) {
    return a.GetString(i) == b.GetString(j);
  }
  return columnar::CompareRows(a, i, b, j) == 0;
}

// The source rows hashed on their keys (rows with a null key left out): open addressing
// with linear probing over (hash, row) slots, filled in row order, so that the rows of one
// hash are met in increasing order.
class SourceHash {
 public:
  SourceHash(const std::vector<ColumnPtr>& keys, int64_t rows) : keys_(keys) {
    std::vector<uint64_t> hash(static_cast<size_t>(rows), 0);
    std::vector<uint8_t> null(static_cast<size_t>(rows), 0);
    for (size_t k = 0; k < keys.size(); ++k) {
      HashColumn(*keys[k], 0, rows, hash.data(), null.data());
      if (k == 0 && keys.size() > 1) first_hash_ = hash;
    }
    for (int64_t r = 0; r < rows; ++r) {
      if (!null[static_cast<size_t>(r)]) rows_.push_back(r);
    }
    size_t slots = 16;
    while (slots < 2 * rows_.size()) slots *= 2;
    mask_ = slots - 1;
    slots_.assign(slots, Slot{0, -1});
    in_table_.assign(static_cast<size_t>(rows), 0);
    for (const int64_t r : rows_) {
      const uint64_t h = hash[static_cast<size_t>(r)];
      size_t at = h & mask_;
      for (; slots_[at].row >= 0; at = (at + 1) & mask_) {
        if (unique_ && slots_[at].hash == h && SameKeys(*keys_[0], slots_[at].row, r)) {
          unique_ = false;
        }
      }
      slots_[at] = Slot{h, r};
      in_table_[static_cast<size_t>(r)] = 1;
    }
    row_hash_ = std::move(hash);
  }

  // The source rows with no null key, in order.
  const std::vector<int64_t>& rows() const { return rows_; }
  // The hash of row r's first key alone (HashRow(key0, r, 0)).
  uint64_t FirstKeyHash(int64_t r) const {
    return (first_hash_.empty() ? row_hash_ : first_hash_)[static_cast<size_t>(r)];
  }
  // No two source rows have equal keys.
  bool unique() const { return unique_; }

  // Whether source row r's keys equal the target row's `i` (hash h).
  bool Matches(const std::vector<const Column*>& target_keys, int64_t i, uint64_t h,
               int64_t r) const {
    if (r < 0 || r >= static_cast<int64_t>(in_table_.size()) ||
        !in_table_[static_cast<size_t>(r)] || row_hash_[static_cast<size_t>(r)] != h) {
      return false;
    }
    for (size_t k = 0; k < keys_.size(); ++k) {
      if (!KeyEqual(*target_keys[k], i, *keys_[k], r)) return false;
    }
    return true;
  }

  // Brings the slots of hash h into the cache ahead of ForEachMatch(h).
  void Prefetch(uint64_t h) const { __builtin_prefetch(&slots_[h & mask_]); }

  // Calls f(source row) for each source row whose keys equal the target row's `i` (target
  // columns `target_keys`, hash `h`), in increasing order.
  template <typename F>
  void ForEachMatch(const std::vector<const Column*>& target_keys, int64_t i, uint64_t h,
                    F&& f) const {
    for (size_t at = h & mask_; slots_[at].row >= 0; at = (at + 1) & mask_) {
      if (slots_[at].hash != h) continue;
      const int64_t r = slots_[at].row;
      bool equal = true;
      for (size_t k = 0; k < keys_.size() && equal; ++k) {
        equal = KeyEqual(*target_keys[k], i, *keys_[k], r);
      }
      if (equal) f(r);
    }
  }

 private:
  // Whether source rows a and b have equal keys.
  bool SameKeys(const Column& key0, int64_t a, int64_t b) const {
    if (!KeyEqual(key0, a, key0, b)) return false;
    for (size_t k = 1; k < keys_.size(); ++k) {
      if (!KeyEqual(*keys_[k], a, *keys_[k], b)) return false;
    }
    return true;
  }

  struct Slot {
    uint64_t hash;
    int64_t row;  // -1: empty
  };
  const std::vector<ColumnPtr>& keys_;
  std::vector<uint64_t> row_hash_, first_hash_;  // per source row
  std::vector<uint8_t> in_table_;                // per source row: no null key
  std::vector<int64_t> rows_;
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  bool unique_ = true;
};

// MERGE of the whole source `src` (held by the caller: not copied).
DmlResult MergeSource(const std::shared_ptr<storage::ObjectStore>& store, const RecordBatch& src,
                      std::string_view on, const std::vector<MergeClause>& clauses,
                      const MergeOptions& options) {
  const Schema& source_schema = src.schema();
  auto snapshot = SnapshotBuilder(store).Build();
  DmlEngine engine(store, snapshot, options.dml, "MERGE");
  if (engine.AlreadyApplied()) return engine.Commit({});
  const Schema& read_schema = snapshot->schema();
  if (options.schema_mode == SchemaMode::kOverwrite) {
    throw InvalidInput("MERGE supports schema mode strict or merge, not overwrite");
  }
  if (options.schema_mode == SchemaMode::kMerge) {
    Schema merged = MergeSchemas(read_schema, source_schema,
                                 snapshot->config().BoolProperty("delta.enableTypeWidening"));
    if (!merged.Equals(read_schema, true)) {
      Metadata m = snapshot->metadata();
      if (snapshot->config().column_mapping_mode() != ColumnMappingMode::kNone) {
        merged = AssignColumnMapping(merged, &m.configuration);
      }
      m.schema_string = SerializeDeltaSchema(merged);
      engine.UpdateMetadata(m);
    }
  }
  const Schema target = engine.config().schema();
  const MergePlan plan(target, source_schema, options);
  const Schema& pair_schema = plan.pair_schema();

  // ON: the whole condition on pairs, and its equality keys for the hash join.
  const expr::ExprPtr on_expr = plan.Parse(on);
  const expr::ExprPtr on_bound = expr::BindPredicate(*on_expr, pair_schema);
  std::vector<expr::ExprPtr> conjuncts;
  if (on_expr->kind() == expr::ExprKind::kAnd) {
    conjuncts = on_expr->children();
  } else {
    conjuncts.push_back(on_expr);
  }
  const std::string tp = plan.target_prefix() + ".", sp = plan.source_prefix() + ".";
  auto side_field = [&](const expr::Expr& e, const std::string& prefix,
                        const Schema& schema) -> int {
    if (!e.is_column() || e.path().size() != 1 || e.path()[0].rfind(prefix, 0) != 0) return -1;
    return schema.FieldIndex(e.path()[0].substr(prefix.size()));
  };
  std::vector<KeyPair> keys;
  std::vector<expr::ExprPtr> target_only;  // conjuncts over target columns (plain names)
  for (const auto& c : conjuncts) {
    if (c->kind() == expr::ExprKind::kCompare && c->compare_op() == expr::CompareOp::kEq) {
      int t = side_field(c->child(0), tp, target), s = side_field(c->child(1), sp, source_schema);
      if (t < 0 || s < 0) {
        t = side_field(c->child(1), tp, target);
        s = side_field(c->child(0), sp, source_schema);
      }
      if (t >= 0 && s >= 0 && static_cast<size_t>(t) < read_schema.num_fields()) {
        keys.push_back({static_cast<size_t>(t), static_cast<size_t>(s)});
        continue;
      }
    }
    bool only_target = true;
    for (const auto& p : expr::ReferencedColumns(*c)) {
      if (p.size() != 1 || p[0].rfind(tp, 0) != 0 ||
          read_schema.FieldIndex(p[0].substr(tp.size())) < 0) {
        only_target = false;
      }
    }
    if (only_target) target_only.push_back(c);
  }
  if (keys.empty()) {
    throw InvalidInput(
        "MERGE needs an equality between a target column and a source column in its ON "
        "condition (e.g. target.id = source.id)");
  }

  // Clauses.
  std::vector<Compiled> compiled;
  bool has_matched = false, has_not_matched = false, has_by_source = false;
  for (const auto& c : clauses) {
    Compiled k;
    k.kind = c.kind;
    const Group g = GroupOf(c.kind);
    has_matched |= g == Group::kMatched;
    has_not_matched |= g == Group::kNotMatched;
    has_by_source |= g == Group::kBySource;
    if (c.condition) k.condition = expr::BindPredicate(*plan.Parse(*c.condition), pair_schema);
    k.values.resize(target.num_fields());
    if (c.kind == Kind::kMatchedUpdateAll || c.kind == Kind::kNotMatchedInsertAll) {
      for (size_t i = 0; i < target.num_fields(); ++i) {
        int s = FindField(source_schema, target.field(i).name);
        if (s >= 0) {
          k.values[i] = expr::Bind(
              *expr::ColPath({sp + source_schema.field(static_cast<size_t>(s)).name}), pair_schema);
          dml_internal::CheckAssignable(*k.values[i], target.field(i),
                                        std::string(KindName(c.kind)) + " " + target.field(i).name);
        }
      }
    } else if (IsDelete(c.kind)) {
      if (!c.set.empty()) throw InvalidInput("a MERGE delete clause takes no assignments");
    } else {
      if (c.set.empty()) throw InvalidInput(std::string(KindName(c.kind)) + " needs assignments");
      for (const auto& [column, text] : c.set) {
        const size_t i = plan.TargetColumn(column);
        if (k.values[i]) throw InvalidInput("MERGE assigns column " + column + " twice");
        k.values[i] = expr::Bind(*plan.ParseValue(text), pair_schema);
        dml_internal::CheckAssignable(*k.values[i], target.field(i),
                                      std::string(KindName(c.kind)) + " " + column);
      }
    }
    compiled.push_back(std::move(k));
  }

  // The source, hashed on its keys (cast to the target's key types).
  std::vector<ColumnPtr> src_keys;
  for (const auto& k : keys) {
    src_keys.push_back(expr::CastColumn(src.column_ptr(k.source), target.field(k.target).type));
  }
  const int64_t source_rows = src.num_rows();
  const SourceHash hash(src_keys, source_rows);
  // ON is exactly its equality keys (same types on both sides, compared byte for byte): a
  // pair of equal keys satisfies it, with no evaluation.
  bool on_is_keys = conjuncts.size() == keys.size();
  for (const auto& k : keys) {
    const auto& t = *target.field(k.target).type;
    on_is_keys = on_is_keys && ExactEqualityKey(t) && src.schema().field(k.source).type->Equals(t);
  }

  // Which target files can hold matches: the target-only conjuncts and the source keys.
  expr::ExprPtr prune;
  if (!has_by_source) {
    std::vector<expr::ExprPtr> parts;
    for (const auto& c : target_only) {
      // Back to plain column names.
      parts.push_back(expr::RenameColumns(*c, [&](std::vector<std::string> path) {
        path[0] = path[0].substr(tp.size());
        return path;
      }));
    }
    const KeyPair& k0 = keys.front();
    const Column& key0 = *src_keys.front();
    const expr::ExprPtr col = expr::ColPath({target.field(k0.target).name});
    // Up to 64 distinct keys as a set (in order), more as their range; the distinct keys
    // are found by their hashes, without sorting the source.
    auto less = [&](int64_t a, int64_t b) { return columnar::CompareRows(key0, a, key0, b) < 0; };
    std::unordered_multimap<uint64_t, int64_t> by_hash;  // of up to 65 distinct keys
    std::vector<int64_t> distinct;
    int64_t last = -1;  // the previous row's key (sources are often clustered by it)
    for (const int64_t r : hash.rows()) {
      const uint64_t h0 = hash.FirstKeyHash(r);
      if (last >= 0 && hash.FirstKeyHash(last) == h0 && KeyEqual(key0, last, key0, r)) continue;
      last = r;
      auto [at, end] = by_hash.equal_range(h0);
      while (at != end && !KeyEqual(key0, at->second, key0, r)) ++at;
      if (at != end) continue;
      by_hash.emplace(h0, r);
      distinct.push_back(r);
      if (distinct.size() > 64) break;
    }
    if (distinct.empty()) {
      parts.push_back(expr::Lit(false));
    } else if (distinct.size() <= 64) {
      std::sort(distinct.begin(), distinct.end(), less);
      std::vector<expr::ExprPtr> lits;
      for (int64_t r : distinct) lits.push_back(expr::Lit(columnar::GetValue(key0, r)));
      parts.push_back(expr::In(col, std::move(lits)));
    } else {
      int64_t lo = hash.rows().front(), hi = lo;
      for (const int64_t r : hash.rows()) {
        if (less(r, lo)) lo = r;
        if (less(hi, r)) hi = r;
      }
      parts.push_back(expr::Between(col, expr::Lit(columnar::GetValue(key0, lo)),
                                    expr::Lit(columnar::GetValue(key0, hi))));
    }
    prune = expr::And(std::move(parts));
  }
  engine.txn().TrackRead(prune);
  const expr::ExprPtr prune_bound = prune ? expr::BindPredicate(*prune, read_schema) : nullptr;
  // With deletion vectors, neither are the row groups that cannot hold a match: their rows
  // are kept, which is right only without a by-source clause (no prune predicate then).
  const RowGroupFilter skip = engine.RowGroupsRuledOutBy(prune_bound);

  std::vector<bool> source_matched(static_cast<size_t>(source_rows), false);
  int64_t matched_rows = 0;
  const bool same_schema = target.Equals(read_schema, true);
  for (const AddFile* f : engine.PruneFiles(prune_bound.get())) {
    engine.ProcessFile(
        *f,
        [&](const RecordBatch& live_read, RowDecision* d) {
          const RecordBatch live = same_schema ? live_read : AlignBatch(live_read, target);
          const int64_t n = live.num_rows();
          d->actions.assign(static_cast<size_t>(n), RowAction::kKeep);
          // Candidate pairs from the hash: target rows with equal keys.
          std::vector<int64_t> pt, ps;
          {
            std::vector<const Column*> target_keys;
            std::vector<uint64_t> h(static_cast<size_t>(n), 0);
            std::vector<uint8_t> null(static_cast<size_t>(n), 0);
            for (const auto& k : keys) {
              target_keys.push_back(&live.column(k.target));
              HashColumn(live.column(k.target), 0, n, h.data(), null.data());
            }
            // With unique source keys, the source row after the last match is tried first:
            // a source clustered like the target matches row after row without a lookup.
            // Lookups (random slots) are prefetched ahead while the guesses fail.
            constexpr int64_t kAhead = 8;
            int64_t next_guess = -1;
            bool guessing = false;
            for (int64_t i = 0; i < n; ++i) {
              if (!guessing && i + kAhead < n) hash.Prefetch(h[static_cast<size_t>(i + kAhead)]);
              if (null[static_cast<size_t>(i)]) continue;
              const uint64_t hi = h[static_cast<size_t>(i)];
              if (hash.unique() && hash.Matches(target_keys, i, hi, next_guess)) {
                pt.push_back(i);
                ps.push_back(next_guess++);
                guessing = true;
                continue;
              }
              guessing = false;
              hash.ForEachMatch(target_keys, i, hi, [&](int64_t r) {
                pt.push_back(i);
                ps.push_back(r);
                next_guess = r + 1;
              });
            }
          }
          std::vector<int64_t> match(static_cast<size_t>(n), -1);
          // The pairs of the matched rows, in row order, when the ON condition's pairs give them
          // (each matched row in exactly one pair that satisfies it).
          std::optional<RecordBatch> matched_pairs;
          if (!pt.empty()) {
            const RecordBatch pairs = PairBatch(pair_schema, live, pt, src, ps);
            const Bitmap ok = on_is_keys ? Bitmap(pairs.num_rows(), true)
                                         : expr::EvaluateFilter(*on_bound, pairs);
            bool one_pair_each = true;
            for (size_t j = 0; j < pt.size(); ++j) {
              if (!ok.Get(static_cast<int64_t>(j))) continue;
              int64_t& m = match[static_cast<size_t>(pt[j])];
              if (m >= 0) one_pair_each = false;
              if (m >= 0 && m != ps[j] && has_matched) {
                throw InvalidInput(
                    "MERGE: a target row matched more than one source row (" +
                    DescribeKey(live, pt[j], keys) +
                    "); a target row may be updated or deleted by one source row only — "
                    "deduplicate the source");
              }
              m = ps[j];
              source_matched[static_cast<size_t>(ps[j])] = true;
            }
            if (has_matched && one_pair_each) {
              matched_pairs = ok.CountSet() == pairs.num_rows() ? pairs : pairs.Filter(ok);
            }
          }
          // Updated rows of both groups, one batch per clause (their columns may be shared with
          // the pairs: never appended to), gathered in row order at the end.
          std::vector<RecordBatch> updated;
          int64_t updated_rows = 0;
          std::vector<int64_t> updated_at(static_cast<size_t>(n), -1);
          auto apply = [&](Group group, const std::vector<int64_t>& rows) {
            if (rows.empty()) return;
            std::optional<RecordBatch> made;
            if (group != Group::kMatched || !matched_pairs) {
              std::vector<int64_t> s;
              for (int64_t r : rows)
                s.push_back(group == Group::kMatched ? match[static_cast<size_t>(r)] : -1);
              made = PairBatch(pair_schema, live, rows, src, s);
            }
            const RecordBatch& pairs = made ? *made : *matched_pairs;
            const std::vector<int> chosen = ChooseClauses(compiled, group, pairs);
            for (size_t c = 0; c < compiled.size(); ++c) {
              if (GroupOf(compiled[c].kind) != group) continue;
              Bitmap sel(pairs.num_rows(), false);
              int64_t count = 0;
              for (size_t j = 0; j < chosen.size(); ++j) {
                if (chosen[j] != static_cast<int>(c)) continue;
                sel.Set(static_cast<int64_t>(j), true);
                ++count;
                d->actions[static_cast<size_t>(rows[j])] =
                    IsDelete(compiled[c].kind) ? RowAction::kDelete : RowAction::kUpdate;
              }
              if (count == 0 || IsDelete(compiled[c].kind)) continue;
              updated.push_back(ClauseRows(compiled[c], pairs, sel, target, true));
              for (size_t j = 0; j < chosen.size(); ++j) {
                if (chosen[j] == static_cast<int>(c))
                  updated_at[static_cast<size_t>(rows[j])] = updated_rows++;
              }
            }
          };
          if (has_matched) {
            std::vector<int64_t> rows;
            for (int64_t i = 0; i < n; ++i) {
              if (match[static_cast<size_t>(i)] >= 0) rows.push_back(i);
            }
            matched_rows += static_cast<int64_t>(rows.size());
            apply(Group::kMatched, rows);
          }
          if (has_by_source) {
            std::vector<int64_t> rows;
            for (int64_t i = 0; i < n; ++i) {
              if (match[static_cast<size_t>(i)] < 0) rows.push_back(i);
            }
            apply(Group::kBySource, rows);
          }
          if (updated_rows > 0) {
            std::vector<int64_t> order;
            bool in_order = true;
            for (int64_t i = 0; i < n; ++i) {
              const int64_t at = updated_at[static_cast<size_t>(i)];
              if (at < 0) continue;
              in_order &= at == static_cast<int64_t>(order.size());
              order.push_back(at);
            }
            if (updated.size() == 1 && in_order) {
              d->updated = std::move(updated.front());
            } else {
              RecordBatch all = RecordBatch::MakeEmpty(target);
              for (const auto& b : updated) all.Append(b);
              d->updated = in_order ? std::move(all) : dml_internal::TakeRows(all, order);
            }
          }
        },
        skip);
  }

  // Source rows that matched no target row.
  if (has_not_matched) {
    std::vector<int64_t> rows;
    for (int64_t r = 0; r < source_rows; ++r) {
      if (!source_matched[static_cast<size_t>(r)]) rows.push_back(r);
    }
    if (!rows.empty()) {
      const RecordBatch none = RecordBatch::MakeEmpty(target);
      const RecordBatch pairs =
          PairBatch(pair_schema, none, std::vector<int64_t>(rows.size(), -1), src, rows);
      const std::vector<int> chosen = ChooseClauses(compiled, Group::kNotMatched, pairs);
      for (size_t c = 0; c < compiled.size(); ++c) {
        if (GroupOf(compiled[c].kind) != Group::kNotMatched) continue;
        Bitmap sel(pairs.num_rows(), false);
        int64_t count = 0;
        for (size_t j = 0; j < chosen.size(); ++j) {
          if (chosen[j] == static_cast<int>(c)) {
            sel.Set(static_cast<int64_t>(j), true);
            ++count;
          }
        }
        if (count > 0) engine.Insert(ClauseRows(compiled[c], pairs, sel, target, false));
      }
    }
  }

  std::string clause_text;
  for (const auto& c : clauses) {
    clause_text += (clause_text.empty() ? "" : ", ") + std::string(KindName(c.kind)) +
                   (c.condition ? "(" + *c.condition + ")" : "");
  }
  return engine.Commit({{"predicate", std::string(on)}, {"clauses", clause_text}},
                       {{"numSourceRows", std::to_string(source_rows)},
                        {"numTargetRowsMatched", std::to_string(matched_rows)},
                        {"numTargetRowsInserted", std::to_string(engine.metrics().rows_inserted)},
                        {"numTargetRowsUpdated", std::to_string(engine.metrics().rows_updated)},
                        {"numTargetRowsDeleted", std::to_string(engine.metrics().rows_deleted)}});
}

}  // namespace

DmlResult Merge(const std::shared_ptr<storage::ObjectStore>& store,
                const columnar::Schema& source_schema, const BatchSource& source,
                std::string_view on, const std::vector<MergeClause>& clauses,
                const MergeOptions& options) {
  if (clauses.empty()) throw InvalidInput("MERGE needs at least one WHEN clause");
  RecordBatch src = RecordBatch::MakeEmpty(source_schema);
  while (auto b = source()) {
    if (!b->schema().Equals(source_schema)) {
      throw InvalidInput("a MERGE source batch's schema differs from the declared source schema");
    }
    src.Append(*b);
  }
  return MergeSource(store, src, on, clauses, options);
}

DmlResult Merge(const std::shared_ptr<storage::ObjectStore>& store,
                const columnar::RecordBatch& source, std::string_view on,
                const std::vector<MergeClause>& clauses, const MergeOptions& options) {
  if (clauses.empty()) throw InvalidInput("MERGE needs at least one WHEN clause");
  return MergeSource(store, source, on, clauses, options);
}

}  // namespace cpglake::delta
