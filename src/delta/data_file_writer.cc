#include "delta/data_file_writer.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <set>

#include "common/ascii.h"
#include "common/error.h"
#include "common/ids.h"
#include "delta/partitioning.h"
#include "delta/scan.h"
#include "delta/schema_json.h"
#include "delta/stats.h"
#include "expr/expression.h"

namespace cpglake::delta {

namespace {

using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using columnar::TypeId;
using columnar::TypePtr;

// A column of the data cast to the table's type (nested structs: missing fields null).
columnar::ColumnPtr AlignColumn(const columnar::ColumnPtr& c, const TypePtr& to) {
  if (c->type()->Equals(*to)) return c;
  return CastToTableType(c, to);
}

// The Parquet leaf path of a Bloom filter column given by its logical dotted name (struct
// fields followed by name; under column mapping, each becomes its physical name). Segments
// past a list or map ("xs.list.element") are kept as written. nullopt for a partition
// column (not in the data files); InvalidInput for a name that is not a column.
std::optional<std::string> PhysicalLeafPath(const std::string& logical_path, const Schema& logical,
                                            const Schema& physical,
                                            const std::vector<std::string>& partition_columns) {
  const std::vector<std::string> segments = expr::ParseColumnPath(logical_path);
  for (const auto& p : partition_columns) {
    if (segments.size() == 1 && segments[0] == p) return std::nullopt;
  }
  const std::vector<Field>* lf = &logical.fields();
  const std::vector<Field>* pf = &physical.fields();
  std::string out;
  for (size_t k = 0; k < segments.size(); ++k) {
    if (!lf) {  // below a list or map: structural names, as written
      out += "." + segments[k];
      continue;
    }
    size_t i = 0;
    while (i < lf->size() && (*lf)[i].name != segments[k]) ++i;
    if (i == lf->size()) {
      throw InvalidInput("Bloom filter column '" + logical_path + "' is not a column of the table");
    }
    out += (k ? "." : "") + (*pf)[i].name;
    const TypeId t = (*lf)[i].type->id();
    if (t == TypeId::kStruct) {
      lf = &(*lf)[i].type->fields();
      pf = &(*pf)[i].type->fields();
    } else {
      lf = pf = nullptr;
    }
  }
  return out;
}

}  // namespace

Field WithFieldIds(const Field& logical_field, Field physical) {
  if (auto id = ColumnMappingId(logical_field)) {
    physical.metadata.emplace_back(std::string(parquet::kFieldIdMetadataKey), std::to_string(*id));
  }
  if (logical_field.type->id() == TypeId::kStruct) {
    std::vector<Field> children;
    const auto& lf = logical_field.type->fields();
    const auto& pf = physical.type->fields();
    for (size_t i = 0; i < lf.size(); ++i) children.push_back(WithFieldIds(lf[i], pf[i]));
    physical.type = DataType::Struct(std::move(children));
  }
  return physical;
}

int FindField(const std::vector<Field>& fields, std::string_view name) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == name) return static_cast<int>(i);
  }
  int found = -1;
  const std::string lower = AsciiLower(name);
  for (size_t i = 0; i < fields.size(); ++i) {
    if (AsciiLower(fields[i].name) == lower) {
      if (found >= 0) return -1;
      found = static_cast<int>(i);
    }
  }
  return found;
}

int FindField(const columnar::Schema& schema, std::string_view name) {
  return FindField(schema.fields(), name);
}

// The batch with exactly the table's fields, in the table's order and types.
RecordBatch AlignBatch(const RecordBatch& batch, const Schema& table) {
  std::vector<columnar::ColumnPtr> cols;
  cols.reserve(table.num_fields());
  const int64_t rows = batch.num_rows();
  for (const auto& f : table.fields()) {
    int i = FindField(batch.schema().fields(), f.name);
    if (i < 0) {
      if (!f.nullable)
        throw InvalidInput("non-nullable column " + f.name + " is missing from the data");
      auto col = columnar::Column::Make(f.type);
      col->AppendNulls(rows);
      cols.push_back(std::move(col));
      continue;
    }
    auto c = AlignColumn(batch.column_ptr(static_cast<size_t>(i)), f.type);
    if (!f.nullable && c->null_count() > 0) {
      throw InvalidInput("column " + f.name + " is not nullable but the data has nulls in it");
    }
    cols.push_back(std::move(c));
  }
  return RecordBatch(table, std::move(cols));
}

RemoveFile RemoveFor(const AddFile& f, int64_t now, bool data_change) {
  RemoveFile r;
  r.path = f.path;
  r.deletion_timestamp = now;
  r.data_change = data_change;
  r.extended_file_metadata = true;
  r.partition_values = f.partition_values;
  r.size = f.size;
  r.stats = f.stats;
  r.tags = f.tags;
  r.deletion_vector = f.deletion_vector;
  r.base_row_id = f.base_row_id;
  r.default_row_commit_version = f.default_row_commit_version;
  return r;
}

int64_t LiveRows(const AddFile& f) {
  auto n = NumRecordsFromStats(f.stats);
  if (!n) return 0;
  return *n - (f.deletion_vector ? f.deletion_vector->cardinality : 0);
}

struct DataFileWriter::OpenFile {
  std::string key;
  std::string relative;
  PartitionValues values;
  std::unique_ptr<storage::WritableFile> sink;
  std::unique_ptr<parquet::ParquetWriter> writer;
  FileStatsCollector stats;
  uint64_t last_use = 0;
};

DataFileWriter::DataFileWriter(storage::ObjectStore& store, const TableConfiguration& config,
                               const WriteOptions& options, int64_t now, DataFileLayout layout)
    : store_(store),
      config_(config),
      options_(options),
      now_(now),
      layout_(std::move(layout)),
      stats_config_(StatsConfigForTable(config)) {
  const auto& schema = config.schema();
  std::set<std::string> parts(config.partition_columns().begin(), config.partition_columns().end());
  std::vector<Field> data_fields, physical_fields;
  const Schema physical = ToPhysicalSchema(schema, config.column_mapping_mode());
  for (size_t i = 0; i < schema.num_fields(); ++i) {
    if (parts.count(schema.field(i).name)) continue;
    data_fields.push_back(schema.field(i));
    physical_fields.push_back(config.column_mapping_mode() == ColumnMappingMode::kNone
                                  ? physical.field(i)
                                  : WithFieldIds(schema.field(i), physical.field(i)));
  }
  if (data_fields.empty()) {
    throw InvalidInput(
        "every column is a partition column: a Delta table needs at least one "
        "data column");
  }
  for (const auto& f : data_fields) stat_names_.push_back(f.name);
  names_ = stat_names_;
  data_schema_ = Schema(data_fields);
  for (const auto& f : layout_.extra_fields) {
    names_.push_back(f.name);
    physical_fields.push_back(f);
  }
  physical_schema_ = Schema(std::move(physical_fields));
  // Bloom filter columns are named logically; the data files hold physical names.
  for (const auto& b : options_.parquet.bloom_filters) {
    auto path =
        PhysicalLeafPath(b.column, data_schema_, physical_schema_, config.partition_columns());
    if (!path) continue;
    parquet::BloomFilterOptions o = b;
    o.column = *path;
    bloom_filters_.push_back(std::move(o));
  }
}

DataFileWriter::~DataFileWriter() {
  // Files not handed over (an error happened): discard them.
  for (auto& [k, p] : open_) p->writer.reset();
  open_.clear();
}

void DataFileWriter::Write(const RecordBatch& aligned) {
  auto parts = SplitByPartition(aligned, config_.schema(), config_.partition_columns(),
                                config_.column_mapping_mode());
  for (auto& part : parts) {
    if (part.data.num_rows() == 0) continue;
    std::string hive = HivePartitionPath(PhysicalPartitionColumns(), part.values);
    auto it = open_.find(hive);
    if (it == open_.end()) {
      if (static_cast<int>(open_.size()) >= std::max(1, options_.max_open_files)) CloseOldest();
      it = open_.emplace(hive, Open(hive, part.values)).first;
    }
    it->second->last_use = ++clock_;
    // In row-group-sized pieces, so that a file can end at the target size.
    const int64_t step = std::max<int64_t>(1, options_.parquet.row_group_rows);
    for (int64_t begin = 0; begin < part.data.num_rows(); begin += step) {
      if (it == open_.end()) it = open_.emplace(hive, Open(hive, part.values)).first;
      OpenFile& f = *it->second;
      const int64_t end = std::min(part.data.num_rows(), begin + step);
      // A piece that is the whole batch shares its columns (batches are never modified).
      RecordBatch piece =
          begin == 0 && end == part.data.num_rows() ? part.data : part.data.Slice(begin, end);
      f.writer->Write(RecordBatch(physical_schema_, piece.Project(names_).columns()));
      if (layout_.stats) {
        f.stats.Update(layout_.extra_fields.empty() ? piece : piece.Project(stat_names_));
      }
      if (f.sink->Tell() >= options_.target_file_bytes) {
        Finish(it);
        it = open_.end();
      }
    }
  }
}

std::vector<AddFile> DataFileWriter::Close() {
  while (!open_.empty()) Finish(open_.begin());
  return std::move(adds_);
}

const std::vector<std::string>& DataFileWriter::PhysicalPartitionColumns() {
  if (physical_partitions_.empty() && !config_.partition_columns().empty()) {
    for (const auto& name : config_.partition_columns()) {
      int i = config_.schema().FieldIndex(name);
      physical_partitions_.push_back(
          i < 0 ? name : PhysicalName(config_.schema().field(static_cast<size_t>(i))));
    }
  }
  return physical_partitions_;
}

std::unique_ptr<DataFileWriter::OpenFile> DataFileWriter::Open(const std::string& hive,
                                                               const PartitionValues& values) {
  std::string codec(parquet::CodecName(options_.parquet.codec));
  for (auto& c : codec) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  char seq[16];
  std::snprintf(seq, sizeof(seq), "%05d", file_seq_++);
  auto f = std::make_unique<OpenFile>(
      OpenFile{.key = {},
               .relative = layout_.prefix + hive + layout_.name_prefix + "-" + seq + "-" +
                           RandomUuid() + "-c000." + codec + ".parquet",
               .values = values,
               .sink = nullptr,
               .writer = nullptr,
               .stats = FileStatsCollector(stats_config_),
               .last_use = 0});
  f->key = f->relative;
  f->sink = store_.OpenForWrite(f->key);
  parquet::WriterOptions wo = options_.parquet;
  wo.bloom_filters = bloom_filters_;
  wo.created_by = "cpglake " + std::string(CpglakeVersion());
  f->writer = std::make_unique<parquet::ParquetWriter>(f->sink.get(), physical_schema_, wo);
  return f;
}

void DataFileWriter::CloseOldest() {
  auto oldest = open_.begin();
  for (auto it = open_.begin(); it != open_.end(); ++it) {
    if (it->second->last_use < oldest->second->last_use) oldest = it;
  }
  Finish(oldest);
}

void DataFileWriter::Finish(OpenMap::iterator it) {
  OpenFile& f = *it->second;
  f.writer->Close();
  written_keys_.push_back(f.key);
  AddFile add;
  add.path = EncodeLogPath(f.relative);
  add.partition_values = f.values;
  add.size = f.sink->Tell();
  add.modification_time = now_;
  add.data_change = true;
  if (layout_.stats) add.stats = f.stats.ToJson();
  WriteMetrics& m = partitions_[it->first];
  m.files_added += 1;
  m.rows_added += f.stats.num_records();
  m.bytes_added += add.size;
  adds_.push_back(std::move(add));
  open_.erase(it);
}

}  // namespace cpglake::delta
