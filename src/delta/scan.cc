#include "delta/scan.h"

#include <algorithm>
#include <set>

#include "common/error.h"
#include "common/parallel.h"
#include "delta/deletion_vector.h"
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

}  // namespace

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
  scan.predicate_schema_ = schema;

  // File skipping: partition values, then statistics.
  const auto& config = snapshot_->config();
  const columnar::Schema physical = ToPhysicalSchema(schema, config.column_mapping_mode());
  std::set<std::string> partition_cols(config.partition_columns().begin(),
                                       config.partition_columns().end());
  scan.metrics_.files_total = static_cast<int64_t>(snapshot_->files().size());
  for (const auto& file : snapshot_->files()) {
    if (predicate) {
      auto stats = ParseFileStatistics(file.stats, physical);
      const int64_t num_records = stats && stats->num_records ? *stats->num_records : -1;
      std::map<std::string, expr::ColumnStats> by_logical;
      for (size_t i = 0; i < schema.num_fields(); ++i) {
        const auto& f = schema.field(i);
        expr::ColumnStats cs;
        cs.num_records = num_records >= 0 ? std::optional<int64_t>(num_records) : std::nullopt;
        if (partition_cols.count(f.name)) {
          auto it = file.partition_values.find(PhysicalName(physical.field(i)));
          if (it == file.partition_values.end()) it = file.partition_values.find(f.name);
          std::optional<std::string> text =
              it == file.partition_values.end() ? std::nullopt : it->second;
          auto v = ParsePartitionValue(text, f.type);
          if (v.is_null()) {
            cs.null_count = num_records >= 0 ? num_records : 1;
          } else {
            cs.min = v;
            cs.max = v;
            cs.null_count = 0;
          }
        } else if (stats) {
          auto it = stats->columns.find(physical.field(i).name);
          if (it != stats->columns.end()) {
            cs.min = it->second.min;
            cs.max = it->second.max;
            cs.null_count = it->second.null_count;
            // Without tight bounds (DVs), minima/maxima still bound the live rows.
          }
        }
        by_logical.emplace(f.name, std::move(cs));
      }
      // Partition values alone first (to report why a file was skipped), then with stats.
      auto lookup_in = [&](bool partitions_only) {
        return
            [&, partitions_only](const std::vector<std::string>& path) -> const expr::ColumnStats* {
              if (path.size() != 1) return nullptr;
              if (partitions_only && !partition_cols.count(path[0])) return nullptr;
              auto it = by_logical.find(path[0]);
              return it == by_logical.end() ? nullptr : &it->second;
            };
      };
      if (!partition_cols.empty() &&
          expr::CanSkip(*predicate, lookup_in(true), num_records, expr::PruneOptions::Exact()) ==
              expr::PruneResult::kNone) {
        ++scan.metrics_.files_skipped_by_partition;
        continue;
      }
      if (expr::CanSkip(*predicate, lookup_in(false), num_records) == expr::PruneResult::kNone) {
        ++scan.metrics_.files_skipped_by_stats;
        continue;
      }
    }
    scan.files_.push_back(&file);
  }
  return scan;
}

void Scan::Execute(const std::function<void(const RecordBatch&)>& sink) {
  for (const AddFile* f : files_) ReadFile(*f, sink);
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
                   const RowGroupFilter& skip_row_group) {
  const auto& schema = config.schema();
  const columnar::Schema physical = ToPhysicalSchema(schema, config.column_mapping_mode());
  const std::string path = DecodedPath(raw_path);
  std::shared_ptr<storage::RandomAccessFile> data;
  if (raw_path.rfind("file:", 0) == 0) {
    // An absolute URI: the store decodes it (decoding here too would double-decode %25).
    auto slash = raw_path.rfind('/');
    auto other = storage::OpenObjectStore(raw_path.substr(0, slash));
    data = other->OpenForRead(storage::UriDecode(raw_path.substr(slash + 1)));
  } else if (path.find("://") != std::string::npos) {
    throw Unsupported("data file on another file system: " + raw_path);
  } else if (!path.empty() && path[0] == '/') {
    auto slash = path.rfind('/');
    auto other = storage::OpenObjectStore(path.substr(0, std::max<size_t>(slash, 1)));
    data = other->OpenForRead(path.substr(slash + 1));
  } else {
    auto resolved = storage::ResolveRelative(path);
    if (!resolved) throw CorruptData("path '" + raw_path + "' escapes the table directory");
    data = store.OpenForRead(*resolved);
  }
  auto reader = parquet::ParquetFileReader::Open(data);
  std::set<std::string> partition_cols(config.partition_columns().begin(),
                                       config.partition_columns().end());
  // Map table fields to file fields by physical name.
  std::vector<int> file_field(needed.size(), -1);
  std::vector<int> read_fields;
  for (size_t k = 0; k < needed.size(); ++k) {
    const auto& f = schema.field(needed[k]);
    if (partition_cols.count(f.name)) continue;
    int idx = reader->file_schema().FieldIndex(physical.field(needed[k]).name);
    file_field[k] = idx;
    if (idx >= 0) read_fields.push_back(idx);
  }
  std::vector<int> extra_field;
  for (const auto& name : extra_columns) {
    int idx = reader->file_schema().FieldIndex(name);
    if (idx < 0) throw CorruptData(raw_path + " has no column '" + name + "'");
    extra_field.push_back(idx);
    read_fields.push_back(idx);
  }
  std::sort(read_fields.begin(), read_fields.end());
  read_fields.erase(std::unique(read_fields.begin(), read_fields.end()), read_fields.end());
  int64_t first_row = 0;
  for (int g = 0; g < reader->num_row_groups(); ++g) {
    const int64_t rows = reader->metadata().row_groups[g].num_rows;
    if (skip_row_group && skip_row_group(*reader, g)) {
      first_row += rows;
      continue;
    }
    RecordBatch raw = read_fields.empty() ? RecordBatch() : reader->ReadRowGroup(g, read_fields);
    std::vector<columnar::Field> fields;
    std::vector<ColumnPtr> cols;
    for (size_t k = 0; k < needed.size(); ++k) {
      const auto& f = schema.field(needed[k]);
      ColumnPtr col;
      if (partition_cols.count(f.name)) {
        auto it = partition_values.find(physical.field(needed[k]).name);
        if (it == partition_values.end()) it = partition_values.find(f.name);
        std::optional<std::string> text = it == partition_values.end() ? std::nullopt : it->second;
        col = ConstantColumn(ParsePartitionValue(text, f.type), f.type, rows);
      } else if (file_field[k] < 0) {
        col = Column::Make(f.type);  // column added after this file was written
        col->AppendNulls(rows);
      } else {
        const std::string& fname = reader->schema().field(file_field[k]).name;
        ColumnPtr c = raw.column_ptr(raw.schema().FieldIndex(fname));
        // Physical (file) names → physical table type → logical type.
        col = Cast(c, physical.field(needed[k]).type);
        if (!col->type()->Equals(*f.type)) col = col->Retyped(f.type);
      }
      fields.push_back(f);
      cols.push_back(std::move(col));
    }
    for (int idx : extra_field) {
      const std::string& fname = reader->schema().field(idx).name;
      fields.push_back(reader->schema().field(idx));
      cols.push_back(raw.column_ptr(raw.schema().FieldIndex(fname)));
    }
    RecordBatch batch(columnar::Schema(fields), std::move(cols));
    batch.set_num_rows(rows);
    sink(batch, first_row);
    first_row += rows;
  }
}

void Scan::ReadFile(const AddFile& file, const std::function<void(const RecordBatch&)>& sink) {
  const auto& config = snapshot_->config();
  const auto& schema = snapshot_->schema();
  auto& store = *snapshot_->store();
  std::optional<DeletionVector> dv;
  if (file.deletion_vector) dv = LoadDeletionVector(*file.deletion_vector, store);
  // Which table columns to produce: outputs, plus all when a predicate must be evaluated.
  std::vector<int> needed = output_fields_;
  if (predicate_) {
    needed.clear();
    for (size_t i = 0; i < schema.num_fields(); ++i) needed.push_back(static_cast<int>(i));
  }
  ++metrics_.files_read;
  // Row-group pruning from the Parquet statistics of top-level data columns.
  RowGroupFilter skip;
  if (predicate_) {
    const columnar::Schema physical = ToPhysicalSchema(schema, config.column_mapping_mode());
    skip = [&, physical](const parquet::ParquetFileReader& reader, int g) {
      std::map<std::string, expr::ColumnStats> by_name;
      const int64_t rows = reader.metadata().row_groups[g].num_rows;
      for (size_t i = 0; i < schema.num_fields(); ++i) {
        int idx = reader.file_schema().FieldIndex(physical.field(i).name);
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
      expr::PruneOptions options;
      if (expr::CanSkip(*predicate_, lookup, rows, options) == expr::PruneResult::kNone) {
        ++metrics_.row_groups_skipped;
        return true;
      }
      return false;
    };
  }
  bool first = true;
  ReadTableFile(
      config, store, file.path, file.partition_values, needed, {},
      [&](const RecordBatch& batch, int64_t first_row) {
        const int64_t rows = batch.num_rows();
        ++metrics_.row_groups_read;
        metrics_.rows_read += rows;
        columnar::Bitmap keep(rows, true);
        bool filtered = false;
        if (dv) {
          ApplyDeletionVector(*dv, first_row, rows, &keep);
          filtered = true;
        }
        const int64_t after_dv = filtered ? keep.CountSet() : rows;
        metrics_.rows_deleted_by_dv += rows - after_dv;
        if (predicate_) {
          columnar::Bitmap match = expr::EvaluateFilter(*predicate_, batch);
          for (int64_t i = 0; i < rows; ++i) {
            if (keep.Get(i) && !match.Get(i)) keep.Set(i, false);
          }
          filtered = true;
        }
        RecordBatch out = filtered ? batch.Filter(keep) : batch;
        metrics_.rows_filtered += after_dv - out.num_rows();
        if (predicate_) {
          std::vector<std::string> names;
          for (int i : output_fields_) names.push_back(schema.field(i).name);
          out = out.Project(names);
        }
        metrics_.rows_returned += out.num_rows();
        if (out.num_rows() > 0 || first) sink(out);
        first = false;
      },
      skip);
}

}  // namespace cpglake::delta
