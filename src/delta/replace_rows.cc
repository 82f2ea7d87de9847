// REPLACE ROWS (dml.h) on top of DmlEngine (dml_internal.h).
//
// The new rows are held in memory and hashed twice: on all their columns (to find an old row
// that stays as it is) and on the key columns (to pair an old row with its new version).
// Each target file the prune predicate leaves is read (with deletion vectors, only the row
// groups it leaves); its rows of the replaced owners probe the hashes, the others are kept.
// New rows that no old row consumed are inserted after every file was read.
#include <algorithm>
#include <bit>
#include <cctype>
#include <set>
#include <string_view>

#include "columnar/value.h"
#include "common/ascii.h"
#include "common/error.h"
#include "delta/data_file_writer.h"
#include "delta/dml.h"
#include "delta/dml_internal.h"
#include "delta/scan.h"
#include "expr/binder.h"
#include "expr/evaluator.h"
#include "expr/parser.h"

namespace cpglake::delta {

using columnar::Bitmap;
using columnar::Column;
using columnar::RecordBatch;
using columnar::Schema;
using columnar::TypeId;
using dml_internal::DmlEngine;
using dml_internal::RowAction;
using dml_internal::RowDecision;

namespace {

// Row i of `a` and row j of `b` (same type) hold the same value: NULLs equal, floats
// compared bit by bit (so -0.0 differs from 0.0 and NaNs by payload), nested values
// element by element.
bool SameValue(const Column& a, int64_t i, const Column& b, int64_t j) {
  const bool va = a.IsValid(i), vb = b.IsValid(j);
  if (!va || !vb) return va == vb;
  switch (a.type_id()) {
    case TypeId::kFloat32:
      return std::bit_cast<uint32_t>(a.Get<float>(i)) == std::bit_cast<uint32_t>(b.Get<float>(j));
    case TypeId::kFloat64:
      return std::bit_cast<uint64_t>(a.Get<double>(i)) == std::bit_cast<uint64_t>(b.Get<double>(j));
    case TypeId::kStruct:
      for (size_t k = 0; k < a.num_children(); ++k) {
        if (!SameValue(a.child(k), i, b.child(k), j)) return false;
      }
      return true;
    case TypeId::kList:
    case TypeId::kMap: {
      const int64_t ea = a.ListBegin(i), eb = b.ListBegin(j);
      const int64_t n = a.ListEnd(i) - ea;
      if (b.ListEnd(j) - eb != n) return false;
      for (int64_t e = 0; e < n; ++e) {
        for (size_t k = 0; k < a.num_children(); ++k) {
          if (!SameValue(a.child(k), ea + e, b.child(k), eb + e)) return false;
        }
      }
      return true;
    }
    default:
      return columnar::CompareRows(a, i, b, j) == 0;
  }
}

// Hash of row `row` over `columns` of `batch` (consistent with SameValue: equal values
// hash alike).
uint64_t HashColumns(const RecordBatch& batch, const std::vector<size_t>& columns, int64_t row) {
  uint64_t h = 0;
  for (size_t c : columns) h = columnar::HashRow(batch.column(c), row, h);
  return h;
}

bool SameColumns(const RecordBatch& a, int64_t i, const RecordBatch& b, int64_t j,
                 const std::vector<size_t>& columns) {
  for (size_t c : columns) {
    if (!SameValue(a.column(c), i, b.column(c), j)) return false;
  }
  return true;
}

// The new rows hashed on some of their columns, for finding a not yet consumed row equal to
// an old one on those columns.
class RowIndex {
 public:
  RowIndex(const RecordBatch& rows, std::vector<size_t> columns)
      : rows_(rows), columns_(std::move(columns)) {
    entries_.reserve(static_cast<size_t>(rows.num_rows()));
    for (int64_t r = 0; r < rows.num_rows(); ++r) {
      entries_.emplace_back(HashColumns(rows, columns_, r), r);
    }
    std::sort(entries_.begin(), entries_.end());
  }

  // The first row (in new_rows order) equal to `old` row `i` on the columns and not
  // consumed; -1 when none.
  int64_t Find(const RecordBatch& old, int64_t i, const std::vector<bool>& consumed) const {
    const uint64_t h = HashColumns(old, columns_, i);
    auto it = std::lower_bound(entries_.begin(), entries_.end(), std::make_pair(h, int64_t{-1}));
    for (; it != entries_.end() && it->first == h; ++it) {
      if (consumed[static_cast<size_t>(it->second)]) continue;
      if (SameColumns(old, i, rows_, it->second, columns_)) return it->second;
    }
    return -1;
  }

 private:
  const RecordBatch& rows_;
  std::vector<size_t> columns_;
  std::vector<std::pair<uint64_t, int64_t>> entries_;  // (hash, row), sorted
};

size_t RequireColumn(const Schema& schema, const std::string& name, const char* what) {
  const int i = FindField(schema, name);
  if (i < 0) {
    std::string have;
    for (const auto& f : schema.fields()) have += (have.empty() ? "" : ", ") + f.name;
    throw InvalidInput("REPLACE ROWS: the " + std::string(what) + " '" + name +
                       "' is not a column of the table (columns: " + have + ")");
  }
  return static_cast<size_t>(i);
}

bool Blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

DmlResult ReplaceRows(const std::shared_ptr<storage::ObjectStore>& store, const ReplaceSpec& spec,
                      const columnar::RecordBatch& new_rows, const DmlOptions& options) {
  auto snapshot = SnapshotBuilder(store).Build();
  const Schema& schema = snapshot->schema();

  // Columns.
  const size_t owner = RequireColumn(schema, spec.owner_column, "owner column");
  if (schema.field(owner).type->id() != TypeId::kString) {
    throw InvalidInput("REPLACE ROWS: the owner column " + schema.field(owner).name +
                       " must be a string column, not " + schema.field(owner).type->ToString());
  }
  std::vector<size_t> keys;
  for (const auto& k : spec.key_columns) {
    const size_t i = RequireColumn(schema, k, "key column");
    if (std::find(keys.begin(), keys.end(), i) == keys.end()) keys.push_back(i);
  }
  for (const auto& f : new_rows.schema().fields()) {
    if (FindField(schema, f.name) < 0) {
      throw InvalidInput("REPLACE ROWS: the new rows' column '" + f.name +
                         "' is not a column of the table");
    }
  }
  std::vector<size_t> all(schema.num_fields());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;

  // The new rows: table schema, owners in the set.
  const RecordBatch rows = AlignBatch(new_rows, schema);
  const std::set<std::string, std::less<>> owners(spec.owners.begin(), spec.owners.end());
  auto in_set = [&](const Column& c, int64_t i) {
    return c.IsNull(i) ? spec.null_owner : owners.find(c.GetString(i)) != owners.end();
  };
  for (int64_t r = 0; r < rows.num_rows(); ++r) {
    const Column& c = rows.column(owner);
    if (in_set(c, r)) continue;
    throw InvalidInput(
        "REPLACE ROWS: new row " + std::to_string(r) + " has " + schema.field(owner).name + " = " +
        (c.IsNull(r) ? std::string("NULL") : "'" + std::string(c.GetString(r)) + "'") +
        ", which is not one of the owners replaced");
  }

  // The predicate every row of the set satisfies: the owners, and the caller's.
  const expr::ExprPtr column = expr::ColPath({schema.field(owner).name});
  std::vector<expr::ExprPtr> of_owner;
  if (!owners.empty()) {
    std::vector<expr::ExprPtr> lits;
    for (const auto& o : owners) lits.push_back(expr::Lit(std::string_view(o)));
    of_owner.push_back(expr::In(column, std::move(lits)));
  }
  if (spec.null_owner) of_owner.push_back(expr::IsNull(column));
  std::vector<expr::ExprPtr> parts{expr::Or(std::move(of_owner))};
  if (!Blank(spec.prune_predicate)) parts.push_back(expr::ParsePredicate(spec.prune_predicate));
  const expr::ExprPtr predicate = expr::And(std::move(parts));
  const expr::ExprPtr bound = expr::BindPredicate(*predicate, schema);
  if (rows.num_rows() > 0) {
    const Bitmap ok = expr::EvaluateFilter(*bound, rows);
    for (int64_t r = 0; r < rows.num_rows(); ++r) {
      if (!ok.Get(r)) {
        throw InvalidInput("REPLACE ROWS: new row " + std::to_string(r) +
                           " does not satisfy the prune predicate " + spec.prune_predicate);
      }
    }
  }

  DmlEngine engine(store, snapshot, options, "REPLACE ROWS");
  const std::map<std::string, std::string> parameters = {
      {"ownerColumn", schema.field(owner).name},
      {"numOwners", std::to_string(owners.size())},
      {"nullOwner", spec.null_owner ? "true" : "false"}};
  if (engine.AlreadyApplied()) return engine.Commit(parameters);
  engine.txn().TrackRead(predicate);

  const RowIndex by_row(rows, all);
  std::optional<RowIndex> by_key;
  if (!keys.empty()) by_key.emplace(rows, keys);
  std::vector<bool> consumed(static_cast<size_t>(rows.num_rows()), false);
  int64_t unchanged = 0;

  const RowGroupFilter skip = engine.RowGroupsRuledOutBy(bound);
  for (const AddFile* f : engine.PruneFiles(bound.get())) {
    engine.ProcessFile(
        *f,
        [&](const RecordBatch& live, RowDecision* d) {
          const int64_t n = live.num_rows();
          d->actions.assign(static_cast<size_t>(n), RowAction::kKeep);
          std::vector<int64_t> open;  // rows of the set not kept as they are
          for (int64_t i = 0; i < n; ++i) {
            if (!in_set(live.column(owner), i)) continue;
            const int64_t same = by_row.Find(live, i, consumed);
            if (same >= 0) {
              consumed[static_cast<size_t>(same)] = true;
              ++unchanged;
            } else {
              open.push_back(i);
            }
          }
          std::vector<int64_t> post;  // new rows of the updated rows, in row order
          for (int64_t i : open) {
            const int64_t next = by_key ? by_key->Find(live, i, consumed) : -1;
            if (next >= 0) {
              consumed[static_cast<size_t>(next)] = true;
              d->actions[static_cast<size_t>(i)] = RowAction::kUpdate;
              post.push_back(next);
            } else {
              d->actions[static_cast<size_t>(i)] = RowAction::kDelete;
            }
          }
          if (!post.empty()) d->updated = dml_internal::TakeRows(rows, post);
        },
        skip);
  }

  std::vector<int64_t> inserted;
  for (int64_t r = 0; r < rows.num_rows(); ++r) {
    if (!consumed[static_cast<size_t>(r)]) inserted.push_back(r);
  }
  if (!inserted.empty()) engine.Insert(dml_internal::TakeRows(rows, inserted));
  return engine.Commit(parameters, {{"numNewRows", std::to_string(rows.num_rows())},
                                    {"numUnchangedRows", std::to_string(unchanged)}});
}

}  // namespace cpglake::delta
