// DELETE and UPDATE (dml.h) on top of DmlEngine (dml_internal.h).
#include <algorithm>
#include <cctype>

#include "common/error.h"
#include "delta/dml.h"
#include "delta/dml_internal.h"
#include "expr/binder.h"
#include "expr/evaluator.h"
#include "expr/parser.h"

namespace cpglake::delta {

using columnar::Bitmap;
using columnar::ColumnPtr;
using columnar::RecordBatch;
using dml_internal::DmlEngine;
using dml_internal::RowAction;
using dml_internal::RowDecision;

namespace {

expr::ExprPtr ParseOptional(std::string_view text) {
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) return expr::ParsePredicate(text);
  }
  return nullptr;
}

std::string PredicateParameter(const expr::ExprPtr& predicate) {
  return predicate ? "[\"" + predicate->ToString() + "\"]" : "[]";
}

}  // namespace

DmlResult Delete(const std::shared_ptr<storage::ObjectStore>& store, const expr::ExprPtr& predicate,
                 const DmlOptions& options) {
  if (!predicate) {
    throw InvalidInput("DELETE needs a predicate; to delete every row use DeleteAll (--all)");
  }
  auto snapshot = SnapshotBuilder(store).Build();
  const expr::ExprPtr bound = expr::BindPredicate(*predicate, snapshot->schema());
  DmlEngine engine(store, snapshot, options, "DELETE");
  if (engine.AlreadyApplied()) return engine.Commit({});
  engine.txn().TrackRead(predicate);
  // With deletion vectors, row groups without a matching row are not read.
  const RowGroupFilter skip = engine.RowGroupsRuledOutBy(bound);
  for (const AddFile* f : engine.PruneFiles(bound.get())) {
    engine.ProcessFile(
        *f,
        [&](const RecordBatch& live, RowDecision* d) {
          const Bitmap match = expr::EvaluateFilter(*bound, live);
          d->actions.resize(static_cast<size_t>(live.num_rows()));
          for (int64_t i = 0; i < live.num_rows(); ++i) {
            d->actions[static_cast<size_t>(i)] =
                match.Get(i) ? RowAction::kDelete : RowAction::kKeep;
          }
        },
        skip);
  }
  return engine.Commit({{"predicate", PredicateParameter(predicate)}});
}

DmlResult Delete(const std::shared_ptr<storage::ObjectStore>& store, std::string_view predicate,
                 const DmlOptions& options) {
  return Delete(store, ParseOptional(predicate), options);
}

DmlResult DeleteAll(const std::shared_ptr<storage::ObjectStore>& store, const DmlOptions& options) {
  auto snapshot = SnapshotBuilder(store).Build();
  DmlEngine engine(store, snapshot, options, "DELETE");
  if (engine.AlreadyApplied()) return engine.Commit({});
  engine.txn().TrackRead(nullptr);
  for (const AddFile* f : engine.PruneFiles(nullptr)) engine.RemoveWholeFile(*f);
  return engine.Commit({{"predicate", "[]"}});
}

DmlResult Update(const std::shared_ptr<storage::ObjectStore>& store, const expr::ExprPtr& predicate,
                 const std::map<std::string, std::string>& set, const DmlOptions& options) {
  if (set.empty()) throw InvalidInput("UPDATE needs at least one column = expression");
  auto snapshot = SnapshotBuilder(store).Build();
  const columnar::Schema& schema = snapshot->schema();
  // Column index -> bound value expression.
  std::map<size_t, expr::ExprPtr> assignments;
  for (const auto& [column, text] : set) {
    const auto resolved = expr::ResolveColumn(expr::ParseColumnPath(column), schema);
    if (resolved.path.size() != 1) {
      throw InvalidInput("UPDATE can set top-level columns only, not " + column);
    }
    const size_t index = static_cast<size_t>(schema.FieldIndex(resolved.path[0]));
    if (assignments.count(index)) throw InvalidInput("column " + column + " is set twice");
    assignments[index] = expr::Bind(*expr::ParseExpression(text), schema);
    dml_internal::CheckAssignable(*assignments[index], schema.field(index), "UPDATE SET " + column);
  }
  const expr::ExprPtr bound = predicate ? expr::BindPredicate(*predicate, schema) : nullptr;
  DmlEngine engine(store, snapshot, options, "UPDATE");
  if (engine.AlreadyApplied()) return engine.Commit({});
  engine.txn().TrackRead(predicate);
  // With deletion vectors, row groups without a matching row are not read.
  const RowGroupFilter skip = engine.RowGroupsRuledOutBy(bound);
  for (const AddFile* f : engine.PruneFiles(bound.get())) {
    engine.ProcessFile(
        *f,
        [&](const RecordBatch& live, RowDecision* d) {
          const int64_t n = live.num_rows();
          Bitmap match = bound ? expr::EvaluateFilter(*bound, live) : Bitmap(n, true);
          d->actions.resize(static_cast<size_t>(n));
          int64_t hits = 0;
          for (int64_t i = 0; i < n; ++i) {
            const bool m = match.Get(i);
            hits += m ? 1 : 0;
            d->actions[static_cast<size_t>(i)] = m ? RowAction::kUpdate : RowAction::kKeep;
          }
          if (hits == 0) return;
          RecordBatch old = hits == n ? live : live.Filter(match);
          std::vector<ColumnPtr> cols = old.columns();
          for (const auto& [index, e] : assignments) {
            cols[index] = dml_internal::EvaluateAs(*e, old, schema.field(index),
                                                   "UPDATE SET " + schema.field(index).name);
          }
          d->updated = RecordBatch(schema, std::move(cols));
        },
        skip);
  }
  std::string sets;
  for (const auto& [column, text] : set) sets += (sets.empty() ? "" : ", ") + column + " = " + text;
  return engine.Commit({{"predicate", PredicateParameter(predicate)}, {"set", sets}});
}

DmlResult Update(const std::shared_ptr<storage::ObjectStore>& store, std::string_view predicate,
                 const std::map<std::string, std::string>& set, const DmlOptions& options) {
  return Update(store, ParseOptional(predicate), set, options);
}

}  // namespace cpglake::delta
