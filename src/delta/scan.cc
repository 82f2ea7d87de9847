#include "delta/scan.h"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "common/error.h"
#include "common/parallel.h"
#include "delta/deletion_vector.h"
#include "delta/file_pruning.h"
#include "delta/schema_json.h"
#include "delta/stats.h"
#include "expr/binder.h"
#include "expr/evaluator.h"
#include "expr/pruning.h"
#include "parquet/file_reader.h"

namespace cpglake::delta {

using columnar::Column;
using columnar::ColumnPtr;
using columnar::DataType;
using columnar::RecordBatch;
using columnar::TypeId;
using columnar::TypePtr;

namespace {

bool IsWidening(TypeId from, TypeId to) {
  auto rank = [](TypeId t) {
    switch (t) {
      case TypeId::kInt8:
        return 1;
      case TypeId::kInt16:
        return 2;
      case TypeId::kInt32:
        return 3;
      case TypeId::kInt64:
        return 4;
      default:
        return 0;
    }
  };
  if (rank(from) && rank(to)) return rank(from) < rank(to);
  if (from == TypeId::kFloat32 && to == TypeId::kFloat64) return true;
  if (rank(from) && to == TypeId::kFloat64) return true;
  if (rank(from) && to == TypeId::kDecimal) return true;
  if (from == TypeId::kDate && to == TypeId::kTimestampNtz) return true;
  return false;
}

// Casts a column whose (file) type differs from the target only by widening, struct field
// order/missing fields or names/nullability.
ColumnPtr Cast(const ColumnPtr& col, const TypePtr& target) {
  const TypePtr& from = col->type();
  if (from->Equals(*target)) return col;
  const TypeId f = from->id(), t = target->id();
  const int64_t n = col->length();
  if (t == TypeId::kNull) {
    auto out = Column::Make(target);
    out->AppendNulls(n);
    return out;
  }
  if (f == t && t == TypeId::kStruct) {
    auto out = Column::Make(target);
    const auto& tf = target->fields();
    const auto& ff = from->fields();
    for (size_t i = 0; i < tf.size(); ++i) {
      size_t j = 0;
      while (j < ff.size() && ff[j].name != tf[i].name) ++j;
      ColumnPtr child;
      if (j == ff.size()) {
        child = Column::Make(tf[i].type);
        child->AppendNulls(n);
      } else {
        child = Cast(col->child_ptr(j), tf[i].type);
      }
      out->SetChild(i, std::move(child));
    }
    if (col->has_validity()) out->validity_buffer() = col->validity();
    out->SetLength(n);
    return out;
  }
  if (f == t && (t == TypeId::kList || t == TypeId::kMap)) {
    auto out = Column::Make(target);
    out->offsets_buffer() = col->offsets();
    for (size_t i = 0; i < col->num_children(); ++i) {
      out->SetChild(i, Cast(col->child_ptr(i), target->fields()[i].type));
    }
    if (col->has_validity()) out->validity_buffer() = col->validity();
    out->SetLength(n);
    return out;
  }
  if (f == t && t != TypeId::kDecimal) return col->Retyped(target);
  if (f == TypeId::kDecimal && t == TypeId::kDecimal && target->scale() >= from->scale()) {
    auto out = Column::Make(target);
    __int128 mul = 1;
    for (int s = from->scale(); s < target->scale(); ++s) mul *= 10;
    for (int64_t i = 0; i < n; ++i) {
      if (col->IsNull(i)) {
        out->AppendNull();
      } else {
        out->Append<__int128>(col->Get<__int128>(i) * mul);
      }
    }
    return out;
  }
  if (IsWidening(f, t)) {
    auto out = Column::Make(target);
    for (int64_t i = 0; i < n; ++i) {
      if (col->IsNull(i)) {
        out->AppendNull();
        continue;
      }
      columnar::Value v = columnar::GetValue(*col, i);
      if (f == TypeId::kDate) {
        out->Append<int64_t>(v.as_int() * 86400000000LL);
      } else {
        columnar::AppendValue(*out, v);
      }
    }
    return out;
  }
  throw Unsupported("cannot read a " + from->ToString() + " column as the table type " +
                    target->ToString());
}

// A column of `n` copies of a partition value.
ColumnPtr ConstantColumn(const columnar::Value& v, const TypePtr& type, int64_t n) {
  auto out = Column::Make(type);
  out->Reserve(n);
  for (int64_t i = 0; i < n; ++i) columnar::AppendValue(*out, v);
  return out;
}

std::string DecodedPath(const std::string& path) {
  try {
    return storage::UriDecode(path);
  } catch (const Error&) {
    throw CorruptData("add.path '" + path + "' is not a valid URI path");
  }
}

// The data file of an add or cdc action, resolved against the table's store.
std::shared_ptr<storage::RandomAccessFile> OpenDataFile(storage::ObjectStore& store,
                                                        const std::string& raw_path) {
  const std::string path = DecodedPath(raw_path);
  if (raw_path.rfind("file:", 0) == 0) {
    // An absolute URI: the store decodes it (decoding here too would double-decode %25).
    auto slash = raw_path.rfind('/');
    auto other = storage::OpenObjectStore(raw_path.substr(0, slash));
    return other->OpenForRead(storage::UriDecode(raw_path.substr(slash + 1)));
  }
  if (path.find("://") != std::string::npos) {
    throw Unsupported("data file on another file system: " + raw_path);
  }
  if (!path.empty() && path[0] == '/') {
    auto slash = path.rfind('/');
    auto other = storage::OpenObjectStore(path.substr(0, std::max<size_t>(slash, 1)));
    return other->OpenForRead(path.substr(slash + 1));
  }
  auto resolved = storage::ResolveRelative(path);
  if (!resolved) throw CorruptData("path '" + raw_path + "' escapes the table directory");
  return store.OpenForRead(*resolved);
}

// One data file opened for reading table rows (the contract of ReadTableFile): the footer
// is read and the table fields are mapped to file fields once; row groups can then be read
// in any order, from several threads at once.
class TableFileReader {
 public:
  TableFileReader(const TableConfiguration& config, storage::ObjectStore& store,
                  const std::string& raw_path, const PartitionValues& partition_values,
                  const std::vector<int>& needed, const std::vector<std::string>& extra_columns,
                  int threads, const std::vector<columnar::Field>& optional_columns = {}) {
    const auto& schema = config.schema();
    const columnar::Schema physical = ToPhysicalSchema(schema, config.column_mapping_mode());
    parquet::ParquetReadOptions options;
    options.threads = std::max(1, threads);
    reader_ = parquet::ParquetFileReader::Open(OpenDataFile(store, raw_path), options);
    std::set<std::string> partition_cols(config.partition_columns().begin(),
                                         config.partition_columns().end());
    // Map table fields to file fields by physical name.
    std::vector<int> read_fields;
    for (int field : needed) {
      const auto& f = schema.field(field);
      Output out;
      out.field = f;
      if (partition_cols.count(f.name)) {
        auto it = partition_values.find(physical.field(field).name);
        if (it == partition_values.end()) it = partition_values.find(f.name);
        std::optional<std::string> text = it == partition_values.end() ? std::nullopt : it->second;
        out.partition_value = ParsePartitionValue(text, f.type);
      } else {
        const int idx = reader_->file_schema().FieldIndex(physical.field(field).name);
        if (idx >= 0) {
          out.file_name = reader_->schema().field(idx).name;
          out.physical_type = physical.field(field).type;
          read_fields.push_back(idx);
        }
      }
      outputs_.push_back(std::move(out));
    }
    for (const auto& name : extra_columns) {
      const int idx = reader_->file_schema().FieldIndex(name);
      if (idx < 0) throw CorruptData(raw_path + " has no column '" + name + "'");
      Output out;
      out.field = reader_->schema().field(idx);
      out.file_name = out.field.name;
      read_fields.push_back(idx);
      outputs_.push_back(std::move(out));
    }
    for (const auto& field : optional_columns) {
      Output out;
      out.field = field;
      const int idx = reader_->file_schema().FieldIndex(field.name);
      if (idx >= 0) {
        out.file_name = reader_->schema().field(idx).name;
        out.physical_type = field.type;
        read_fields.push_back(idx);
      }
      outputs_.push_back(std::move(out));
    }
    std::sort(read_fields.begin(), read_fields.end());
    read_fields.erase(std::unique(read_fields.begin(), read_fields.end()), read_fields.end());
    read_fields_ = std::move(read_fields);
    std::vector<columnar::Field> fields;
    for (const auto& out : outputs_) fields.push_back(out.field);
    schema_ = columnar::Schema(std::move(fields));
    int64_t row = 0;
    for (const auto& rg : reader_->metadata().row_groups) {
      first_rows_.push_back(row);
      row += rg.num_rows;
    }
  }

  const parquet::ParquetFileReader& parquet() const { return *reader_; }
  int num_row_groups() const { return reader_->num_row_groups(); }
  // The file row number of row group g's first row.
  int64_t first_row(int g) const { return first_rows_[g]; }

  // Row group g's outputs; with `only`, the outputs k with (*only)[k] are read and the others
  // are all-null placeholders (a first phase reads the predicate's columns alone).
  RecordBatch ReadRowGroup(int g, const std::vector<bool>* only = nullptr) const {
    const int64_t rows = reader_->metadata().row_groups[g].num_rows;
    std::vector<int> fields;
    if (only) {
      for (size_t k = 0; k < outputs_.size(); ++k) {
        if (!(*only)[k] || outputs_[k].file_name.empty()) continue;
        fields.push_back(reader_->file_schema().FieldIndex(outputs_[k].file_name));
      }
      std::sort(fields.begin(), fields.end());
      fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
    }
    const std::vector<int>& read = only ? fields : read_fields_;
    RecordBatch raw = read.empty() ? RecordBatch() : reader_->ReadRowGroup(g, read);
    std::vector<ColumnPtr> cols;
    cols.reserve(outputs_.size());
    for (size_t k = 0; k < outputs_.size(); ++k) {
      const Output& out = outputs_[k];
      ColumnPtr col;
      if (only && !(*only)[k]) {
        col = Column::Make(out.field.type);  // not read in this phase
        col->AppendNulls(rows);
      } else if (out.partition_value) {
        col = ConstantColumn(*out.partition_value, out.field.type, rows);
      } else if (out.file_name.empty()) {
        col = Column::Make(out.field.type);  // column added after this file was written
        col->AppendNulls(rows);
      } else {
        col = raw.column_ptr(raw.schema().FieldIndex(out.file_name));
        if (out.physical_type) {
          // Physical (file) names → physical table type → logical type.
          col = Cast(col, out.physical_type);
          if (!col->type()->Equals(*out.field.type)) col = col->Retyped(out.field.type);
        }
      }
      cols.push_back(std::move(col));
    }
    RecordBatch batch(schema_, std::move(cols));
    batch.set_num_rows(rows);
    return batch;
  }

  int num_outputs() const { return static_cast<int>(outputs_.size()); }

 private:
  struct Output {
    columnar::Field field;                           // as returned
    std::optional<columnar::Value> partition_value;  // a partition column
    std::string file_name;            // the file's column ("" when the file lacks it)
    columnar::TypePtr physical_type;  // table fields read from the file: their physical type
  };
  std::unique_ptr<parquet::ParquetFileReader> reader_;
  std::vector<Output> outputs_;
  std::vector<int> read_fields_;
  columnar::Schema schema_;
  std::vector<int64_t> first_rows_;
};

void AddMetrics(const ScanMetrics& d, ScanMetrics* m) {
  m->files_total += d.files_total;
  m->files_skipped_by_partition += d.files_skipped_by_partition;
  m->files_skipped_by_stats += d.files_skipped_by_stats;
  m->files_read += d.files_read;
  m->row_groups_read += d.row_groups_read;
  m->row_groups_skipped += d.row_groups_skipped;
  m->row_groups_skipped_by_bloom += d.row_groups_skipped_by_bloom;
  m->row_groups_not_materialized += d.row_groups_not_materialized;
  m->rows_read += d.rows_read;
  m->rows_deleted_by_dv += d.rows_deleted_by_dv;
  m->rows_filtered += d.rows_filtered;
  m->rows_returned += d.rows_returned;
}

}  // namespace

// --- Reading a scan's files ------------------------------------------------------------
//
// A file is read in two phases, both of which run on any thread: PlanFile opens it (its
// deletion vector, the Parquet footer) and decides which row groups to read (statistics
// pruning), giving a list of steps; RunStep reads one step's row group and filters it.
// Neither throws: an error becomes the step (or result) at the position where the serial
// scan would have thrown. Each step carries the metrics of the work done since the step
// before it, so that adding them up in step order, just before the step's batch goes to
// the sink, gives the serial scan's metrics at every sink call.

struct Scan::Step {
  int row_group = -1;        // -1: nothing to read (metrics and maybe an error only)
  bool first = false;        // the file's first row group read: delivered even when empty
  ScanMetrics metrics;       // work accounted before this step
  std::exception_ptr error;  // raised after the metrics (row_group is -1 then)
};

struct Scan::FilePlan {
  std::unique_ptr<TableFileReader> reader;
  std::optional<DeletionVector> dv;
  std::vector<Step> steps;  // never empty
};

struct Scan::StepResult {
  std::optional<RecordBatch> batch;  // none: nothing to deliver
  ScanMetrics metrics;
  std::exception_ptr error;
};

Scan::FilePlan Scan::PlanFile(const AddFile& file, int decode_threads) const {
  const auto& config = snapshot_->config();
  auto& store = *snapshot_->store();
  FilePlan plan;
  ScanMetrics m;
  try {
    if (file.deletion_vector) plan.dv = LoadDeletionVector(*file.deletion_vector, store);
    ++m.files_read;
    plan.reader =
        std::make_unique<TableFileReader>(config, store, file.path, file.partition_values, needed_,
                                          std::vector<std::string>{}, decode_threads);
    bool first = true;
    for (int g = 0; g < plan.reader->num_row_groups(); ++g) {
      bool by_bloom = false;
      if (row_groups_ && row_groups_->CanSkip(plan.reader->parquet(), g, &by_bloom)) {
        ++m.row_groups_skipped;
        if (by_bloom) ++m.row_groups_skipped_by_bloom;
        continue;
      }
      plan.steps.push_back(Step{g, first, std::exchange(m, {}), nullptr});
      first = false;
    }
  } catch (...) {
    plan.steps.push_back(Step{-1, false, m, std::current_exception()});
    return plan;
  }
  if (plan.steps.empty() || !(m == ScanMetrics{})) plan.steps.push_back(Step{-1, false, m, {}});
  return plan;
}

namespace {

// Top-level fields `x` of `x = literal`, `literal = x` and `x IN (literals)` anywhere in
// the predicate (under widening casts too; the pruner decides what is usable).
void CollectEqualityColumns(const expr::Expr& e, const columnar::Schema& schema,
                            std::set<int>* out) {
  auto column_of = [&](const expr::Expr& x) {
    const expr::Expr* c = &x;
    while (c->kind() == expr::ExprKind::kCast) c = &c->child(0);
    if (!c->is_column() || c->path().size() != 1) return;
    const int i = schema.FieldIndex(c->path()[0]);
    if (i >= 0) out->insert(i);
  };
  switch (e.kind()) {
    case expr::ExprKind::kCompare:
      if (e.compare_op() == expr::CompareOp::kEq || e.compare_op() == expr::CompareOp::kNe) {
        if (e.child(1).is_literal()) column_of(e.child(0));
        if (e.child(0).is_literal()) column_of(e.child(1));
      }
      return;
    case expr::ExprKind::kIn:
      column_of(e.child(0));
      return;
    default:
      for (const auto& c : e.children()) CollectEqualityColumns(*c, schema, out);
      return;
  }
}

}  // namespace

RowGroupPruner::RowGroupPruner(const TableConfiguration& config, expr::ExprPtr predicate)
    : schema_(config.schema()),
      physical_(ToPhysicalSchema(config.schema(), config.column_mapping_mode())),
      predicate_(std::move(predicate)) {
  // Columns compared for equality with a literal: candidates for Bloom filter skipping.
  std::set<int> eq;
  CollectEqualityColumns(*predicate_, schema_, &eq);
  equality_fields_.assign(eq.begin(), eq.end());
  std::set<std::string> referenced;
  for (const auto& path : expr::ReferencedColumns(*predicate_)) {
    if (path.size() == 1) referenced.insert(path[0]);
  }
  for (size_t i = 0; i < schema_.num_fields(); ++i) {
    if (referenced.count(schema_.field(i).name)) referenced_fields_.push_back(static_cast<int>(i));
  }
}

std::vector<RowGroupPruner::BloomColumn> RowGroupPruner::BloomColumns(
    const parquet::ParquetFileReader& reader) const {
  std::vector<BloomColumn> out;
  const auto& schema = schema_;
  for (int i : equality_fields_) {
    const int idx = reader.file_schema().FieldIndex(physical_.field(i).name);
    if (idx < 0) continue;
    const parquet::ReadNode& node = reader.file_schema().fields()[idx];
    if (node.kind != parquet::ReadNode::Kind::kLeaf || node.leaf < 0) continue;
    // Only where a literal of the table's type has one plain encoding the writer hashed:
    // the file holds the table's type with no conversion (no widening, no unit change).
    if (!node.type->Equals(*schema.field(i).type)) continue;
    const TypeId t = node.type->id();
    bool ok = false;
    switch (node.physical) {
      case parquet::Type::BYTE_ARRAY:
        ok = (t == TypeId::kString || t == TypeId::kBinary) &&
             node.conversion == parquet::LeafConversion::kBytes;
        break;
      case parquet::Type::INT32:
        ok = ((t == TypeId::kInt32 || t == TypeId::kDate) &&
              node.conversion == parquet::LeafConversion::kIdentity) ||
             (t == TypeId::kInt8 && node.conversion == parquet::LeafConversion::kInt32ToInt8) ||
             (t == TypeId::kInt16 && node.conversion == parquet::LeafConversion::kInt32ToInt16);
        break;
      case parquet::Type::INT64:
        ok = (t == TypeId::kInt64 || t == TypeId::kTimestamp || t == TypeId::kTimestampNtz) &&
             node.conversion == parquet::LeafConversion::kIdentity;
        break;
      default:
        break;
    }
    if (ok) out.push_back(BloomColumn{i, node.leaf, node.physical});
  }
  return out;
}

namespace {

// The Bloom filter hash of `literal` as a value of the column, or nullopt when the
// literal's type does not say which plain bytes the column would hold for it.
std::optional<uint64_t> BloomHash(const columnar::Value& literal, const DataType& column,
                                  parquet::Type physical) {
  using parquet::BloomFilter;
  if (literal.is_null()) return std::nullopt;
  const TypeId lt = literal.type_id(), ct = column.id();
  if (physical == parquet::Type::BYTE_ARRAY) {
    if (!columnar::IsBytesType(lt)) return std::nullopt;
    return BloomFilter::HashBytes(literal.as_string());
  }
  const bool same = lt == ct || (columnar::IsIntegerType(lt) && columnar::IsIntegerType(ct));
  if (!same) return std::nullopt;
  const int64_t v = literal.as_int();
  if (physical == parquet::Type::INT32) {
    if (v < INT32_MIN || v > INT32_MAX) return std::nullopt;
    return BloomFilter::HashInt32(static_cast<int32_t>(v));
  }
  return BloomFilter::HashInt64(v);
}

}  // namespace

// Row-group pruning from the Parquet statistics of top-level data columns, then from the
// Bloom filters of columns the predicate compares for equality.
bool RowGroupPruner::CanSkip(const parquet::ParquetFileReader& reader, int g,
                             bool* by_bloom) const {
  const auto& schema = schema_;
  std::map<std::string, expr::ColumnStats> by_name;
  const int64_t rows = reader.metadata().row_groups[g].num_rows;
  for (const int i : referenced_fields_) {
    int idx = reader.file_schema().FieldIndex(physical_.field(i).name);
    if (idx < 0) continue;
    auto st = reader.RowGroupStats(g, idx);
    expr::ColumnStats cs;
    cs.num_records = rows;
    cs.null_count = st.null_count;
    // Statistics are in the file's type; use them only when it is the table's type.
    if (st.min && st.min->type()->Equals(*schema.field(i).type)) cs.min = st.min;
    if (st.max && st.max->type()->Equals(*schema.field(i).type)) cs.max = st.max;
    by_name.emplace(schema.field(i).name, std::move(cs));
  }
  auto lookup = [&](const std::vector<std::string>& path) -> const expr::ColumnStats* {
    if (path.size() != 1) return nullptr;
    auto it = by_name.find(path[0]);
    return it == by_name.end() ? nullptr : &it->second;
  };
  // Parquet bounds are exact (not truncated, NaN excluded by our writer and others).
  if (by_bloom) *by_bloom = false;
  if (expr::CanSkip(*predicate_, lookup, rows, expr::PruneOptions()) == expr::PruneResult::kNone) {
    return true;
  }
  // Statistics could not decide: give the columns with a filter a membership test that
  // reads it on first use (at most once per row group and column).
  bool any = false;
  for (const BloomColumn& b : BloomColumns(reader)) {
    const auto& md = *reader.metadata().row_groups[g].columns[b.leaf].meta_data;
    if (!md.bloom_filter_offset) continue;
    auto it = by_name.find(schema.field(b.field).name);
    if (it == by_name.end()) continue;
    struct Lazy {
      bool loaded = false;
      std::optional<parquet::BloomFilter> filter;
    };
    auto lazy = std::make_shared<Lazy>();
    const TypePtr type = schema.field(b.field).type;
    it->second.may_contain = [&reader, g, b, lazy, type](const columnar::Value& lit) {
      const std::optional<uint64_t> h = BloomHash(lit, *type, b.physical);
      if (!h) return true;
      if (!lazy->loaded) {
        lazy->loaded = true;
        // Like statistics, a filter is advisory: one that cannot be read prunes nothing
        // (the row group itself is still read, and reports corruption there).
        try {
          lazy->filter = reader.ReadBloomFilter(g, b.leaf);
        } catch (const Error&) {
          lazy->filter.reset();
        }
      }
      return !lazy->filter || lazy->filter->CheckHash(*h);
    };
    any = true;
  }
  if (!any) return false;
  const bool skip =
      expr::CanSkip(*predicate_, lookup, rows, expr::PruneOptions()) == expr::PruneResult::kNone;
  if (by_bloom) *by_bloom = skip;
  return skip;
}

Scan::StepResult Scan::RunStep(const FilePlan& plan, const Step& step) const {
  StepResult r;
  r.metrics = step.metrics;
  r.error = step.error;
  if (step.row_group < 0) return r;
  try {
    // With a predicate over some of the columns, those are read first: the others (e.g. a
    // list column) only when a row passes (late materialization, by row group).
    const bool two_phase =
        predicate_ && !predicate_columns_.empty() &&
        static_cast<int>(predicate_columns_.size()) == plan.reader->num_outputs();
    RecordBatch batch =
        plan.reader->ReadRowGroup(step.row_group, two_phase ? &predicate_columns_ : nullptr);
    const int64_t rows = batch.num_rows();
    ++r.metrics.row_groups_read;
    r.metrics.rows_read += rows;
    RecordBatch out = batch;
    // Without a deletion vector or a predicate the batch goes out as read.
    if (plan.dv || predicate_) {
      const int64_t first_row = plan.reader->first_row(step.row_group);
      columnar::Bitmap keep(rows, true);
      if (plan.dv) ApplyDeletionVector(*plan.dv, first_row, rows, &keep);
      const int64_t after_dv = plan.dv ? keep.CountSet() : rows;
      r.metrics.rows_deleted_by_dv += rows - after_dv;
      if (predicate_) {
        keep = expr::EvaluateFilter(*predicate_, batch);
        if (plan.dv) ApplyDeletionVector(*plan.dv, first_row, rows, &keep);
      }
      const int64_t kept = predicate_ ? keep.CountSet() : after_dv;
      if (two_phase && kept > 0) {
        // Some rows pass: the other columns too.
        std::vector<bool> rest(predicate_columns_.size());
        for (size_t k = 0; k < rest.size(); ++k) rest[k] = !predicate_columns_[k];
        const RecordBatch more = plan.reader->ReadRowGroup(step.row_group, &rest);
        std::vector<ColumnPtr> cols;
        for (size_t k = 0; k < rest.size(); ++k) {
          cols.push_back(rest[k] ? more.column_ptr(k) : batch.column_ptr(k));
        }
        RecordBatch whole(batch.schema(), std::move(cols));
        whole.set_num_rows(rows);
        batch = std::move(whole);
        out = batch;
      } else if (two_phase) {
        ++r.metrics.row_groups_not_materialized;
      }
      r.metrics.rows_filtered += after_dv - kept;
      if (kept < rows) out = batch.Filter(keep);  // all kept: no copy
      if (needed_.size() > output_fields_.size()) {
        // Drop the columns only the predicate needed (they follow the outputs).
        std::vector<ColumnPtr> cols(
            out.columns().begin(),
            out.columns().begin() + static_cast<std::ptrdiff_t>(output_fields_.size()));
        RecordBatch projected(output_schema_, std::move(cols));
        projected.set_num_rows(out.num_rows());
        out = std::move(projected);
      }
    }
    r.metrics.rows_returned += out.num_rows();
    if (out.num_rows() > 0 || step.first) r.batch = std::move(out);
  } catch (...) {
    r.error = std::current_exception();
  }
  return r;
}

// Runs a scan's steps on worker threads and delivers their results on the calling thread
// in step order (files in order, then their steps).
//
// Files are opened (planned) in order, up to `max_open` ahead of the file being
// delivered; their read steps are claimed strictly in delivery order, at most `max_in_flight`
// claimed and not yet delivered. So the pipeline holds at most max_in_flight decoded row
// groups whatever the file layout, every idle worker can take the next row group (of the
// same file or the next one), and the step the caller waits for is always claimed first:
// nothing waits on a step that cannot be claimed.
class Scan::Pipeline {
 public:
  Pipeline(const Scan& scan, int workers, int decode_threads)
      : scan_(scan),
        n_(scan.files_.size()),
        workers_(std::max(1, workers)),
        decode_threads_(decode_threads),
        max_in_flight_(2 * static_cast<size_t>(workers_)),
        max_open_(4 * static_cast<size_t>(workers_)) {}

  void Run(const std::function<void(StepResult&&)>& deliver) {
    std::vector<std::thread> pool;
    try {
      for (int k = 0; k < workers_; ++k) pool.emplace_back([this] { Work(); });
      Deliver(deliver);
    } catch (...) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
      }
      work_.notify_all();
      for (auto& t : pool) t.join();
      throw;
    }
    for (auto& t : pool) t.join();
  }

 private:
  struct Job {
    bool planned = false;
    FilePlan plan;
    std::vector<std::optional<StepResult>> results;  // by step, once done
  };

  Job& JobOf(size_t file) { return jobs_[file - head_]; }

  // Moves the claim cursor past delivered files and steps that need no reading.
  void AdvanceCursor() {
    if (cursor_file_ < head_) cursor_file_ = head_, cursor_step_ = 0;
    while (cursor_file_ < next_open_ && JobOf(cursor_file_).planned) {
      const auto& steps = JobOf(cursor_file_).plan.steps;
      while (cursor_step_ < steps.size() && steps[cursor_step_].row_group < 0) ++cursor_step_;
      if (cursor_step_ < steps.size()) return;
      ++cursor_file_;
      cursor_step_ = 0;
    }
  }

  void Work() {
    try {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        AdvanceCursor();
        if (stop_) return;
        if (cursor_file_ < next_open_ && JobOf(cursor_file_).planned &&
            in_flight_ < max_in_flight_) {
          // Read the next row group in delivery order.
          const size_t file = cursor_file_, step = cursor_step_++;
          ++in_flight_;
          Job& job = JobOf(file);  // stays put: delivered (and popped) only after this step
          lock.unlock();
          StepResult r = scan_.RunStep(job.plan, job.plan.steps[step]);
          lock.lock();
          job.results[step] = std::move(r);
          done_.notify_one();
        } else if (next_open_ < n_ && next_open_ < head_ + max_open_) {
          // Open the next file.
          const size_t file = next_open_++;
          jobs_.emplace_back();
          Job& job = jobs_.back();
          lock.unlock();
          FilePlan plan = scan_.PlanFile(*scan_.files_[file], decode_threads_);
          lock.lock();
          job.plan = std::move(plan);
          job.results.resize(job.plan.steps.size());
          for (size_t k = 0; k < job.plan.steps.size(); ++k) {
            if (job.plan.steps[k].row_group < 0) {
              job.results[k] = scan_.RunStep(job.plan, job.plan.steps[k]);  // no reading
            }
          }
          job.planned = true;
          work_.notify_all();
          done_.notify_one();
        } else if (cursor_file_ >= n_) {
          return;  // everything claimed
        } else {
          work_.wait(lock);
        }
      }
    } catch (...) {  // only allocation failures get here
      std::lock_guard<std::mutex> lock(mu_);
      if (!fatal_) fatal_ = std::current_exception();
      stop_ = true;
      work_.notify_all();
      done_.notify_one();
    }
  }

  void Deliver(const std::function<void(StepResult&&)>& deliver) {
    for (size_t file = 0; file < n_; ++file) {
      for (size_t step = 0;; ++step) {
        std::optional<StepResult> r;
        FilePlan finished;
        {
          std::unique_lock<std::mutex> lock(mu_);
          done_.wait(lock, [&] {
            return fatal_ || (!jobs_.empty() && jobs_.front().planned &&
                              (step == jobs_.front().results.size() ||
                               jobs_.front().results[step].has_value()));
          });
          if (fatal_) std::rethrow_exception(fatal_);
          Job& job = jobs_.front();
          if (step == job.results.size()) {
            finished = std::move(job.plan);  // closed outside the lock
            jobs_.pop_front();
            ++head_;
          } else {
            r = std::move(job.results[step]);
            job.results[step].reset();
            if (job.plan.steps[step].row_group >= 0) --in_flight_;
          }
        }
        work_.notify_all();
        if (!r) break;
        deliver(std::move(*r));
      }
    }
  }

  const Scan& scan_;
  const size_t n_;
  const int workers_;
  const int decode_threads_;
  const size_t max_in_flight_;
  const size_t max_open_;

  std::mutex mu_;
  std::condition_variable work_;  // for workers: a file planned, a step delivered, stop
  std::condition_variable done_;  // for the caller: a file planned, a step done, a failure
  std::deque<Job> jobs_;          // files [head_, next_open_)
  size_t head_ = 0;               // the file being delivered
  size_t next_open_ = 0;          // the next file to plan
  size_t cursor_file_ = 0;        // the next step to claim
  size_t cursor_step_ = 0;
  size_t in_flight_ = 0;  // read steps claimed and not yet delivered
  bool stop_ = false;
  std::exception_ptr fatal_;
};

ColumnPtr CastToTableType(const ColumnPtr& column, const TypePtr& target) {
  return Cast(column, target);
}

Scan ScanBuilder::Build() const {
  Scan scan;
  scan.snapshot_ = snapshot_;
  // Bind once: names resolved (case-insensitively when unique), types checked, so that
  // pruning and row filtering see the same typed tree.
  if (predicate_) scan.predicate_ = expr::BindPredicate(*predicate_, snapshot_->schema());
  const expr::ExprPtr& predicate = scan.predicate_;
  scan.threads_ = threads_;
  const auto& schema = snapshot_->schema();
  std::vector<columnar::Field> out_fields;
  if (columns_) {
    for (const auto& name : *columns_) {
      int i = schema.FieldIndex(name);
      if (i < 0) {
        std::string have;
        for (const auto& f : schema.fields()) have += (have.empty() ? "" : ", ") + f.name;
        throw InvalidInput("no column '" + name + "' in the table (columns: " + have + ")");
      }
      scan.output_fields_.push_back(i);
      out_fields.push_back(schema.field(i));
    }
  } else {
    for (size_t i = 0; i < schema.num_fields(); ++i) {
      scan.output_fields_.push_back(static_cast<int>(i));
      out_fields.push_back(schema.field(i));
    }
  }
  scan.output_schema_ = columnar::Schema(std::move(out_fields));
  // Read the outputs, then the other top-level columns the predicate references.
  scan.needed_ = scan.output_fields_;
  if (predicate) {
    std::set<int> have(scan.needed_.begin(), scan.needed_.end());
    for (const auto& path : expr::ReferencedColumns(*predicate)) {
      int i = schema.FieldIndex(path[0]);
      if (i < 0) {  // not expected of a bound tree: read every column then
        for (size_t k = 0; k < schema.num_fields(); ++k) {
          if (have.insert(static_cast<int>(k)).second) scan.needed_.push_back(static_cast<int>(k));
        }
        break;
      }
      if (have.insert(i).second) scan.needed_.push_back(i);
    }
  }

  // Late materialization: the predicate's columns among those read, when there are others.
  if (predicate) {
    std::set<int> referenced;
    for (const auto& path : expr::ReferencedColumns(*predicate)) {
      referenced.insert(schema.FieldIndex(path[0]));
    }
    std::vector<bool> mask(scan.needed_.size());
    size_t n = 0;
    for (size_t k = 0; k < mask.size(); ++k) n += mask[k] = referenced.count(scan.needed_[k]) > 0;
    if (n > 0 && n < mask.size()) scan.predicate_columns_ = std::move(mask);
  }

  // Row-group skipping: statistics, then Bloom filters.
  const auto& config = snapshot_->config();
  if (predicate) scan.row_groups_.emplace(config, predicate);

  // File skipping: partition values, then statistics.
  scan.metrics_.files_total = static_cast<int64_t>(snapshot_->files().size());
  std::optional<FilePruner> pruner;
  if (predicate) pruner.emplace(config, *predicate);
  for (const auto& file : snapshot_->files()) {
    if (pruner) {
      const FilePrune prune = pruner->Prune(file);
      if (prune == FilePrune::kSkipByPartition) {
        ++scan.metrics_.files_skipped_by_partition;
        continue;
      }
      if (prune == FilePrune::kSkipByStats) {
        ++scan.metrics_.files_skipped_by_stats;
        continue;
      }
    }
    scan.files_.push_back(&file);
  }
  return scan;
}

void Scan::Execute(const std::function<void(const RecordBatch&)>& sink) {
  auto deliver = [&](StepResult&& r) {
    AddMetrics(r.metrics, &metrics_);
    if (r.error) std::rethrow_exception(r.error);
    if (r.batch) sink(*r.batch);
  };
  const size_t n = files_.size();
  const int threads = threads_ > 0 ? threads_ : DefaultThreads();
  if (threads <= 1) {
    for (const AddFile* f : files_) {
      const FilePlan plan = PlanFile(*f, 1);
      for (const Step& step : plan.steps) deliver(RunStep(plan, step));
    }
    return;
  }
  if (n == 0) return;
  // Fewer files than threads: each file's columns are decoded in parallel too.
  const int decode_threads = n < static_cast<size_t>(threads) ? threads / static_cast<int>(n) : 1;
  Pipeline(*this, std::max(1, threads / decode_threads), decode_threads).Run(deliver);
}

RecordBatch Scan::ReadAll() {
  RecordBatch all = RecordBatch::MakeEmpty(output_schema_);
  Execute([&](const RecordBatch& b) { all.Append(b); });
  return all;
}

void ReadTableFile(const TableConfiguration& config, storage::ObjectStore& store,
                   const std::string& raw_path, const PartitionValues& partition_values,
                   const std::vector<int>& needed, const std::vector<std::string>& extra_columns,
                   const std::function<void(const RecordBatch&, int64_t)>& sink,
                   const RowGroupFilter& skip_row_group, int threads,
                   const std::vector<columnar::Field>& optional_columns) {
  const TableFileReader reader(config, store, raw_path, partition_values, needed, extra_columns,
                               threads, optional_columns);
  for (int g = 0; g < reader.num_row_groups(); ++g) {
    if (skip_row_group && skip_row_group(reader.parquet(), g)) continue;
    sink(reader.ReadRowGroup(g), reader.first_row(g));
  }
}

}  // namespace cpglake::delta
