// OPTIMIZE (delta/maintenance.h): bin-packing compaction of small files per partition.
#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "columnar/value.h"
#include "common/error.h"
#include "common/ids.h"
#include "delta/data_file_writer.h"
#include "delta/deletion_vector.h"
#include "delta/file_pruning.h"
#include "delta/file_stats_writer.h"
#include "delta/maintenance.h"
#include "delta/maintenance_internal.h"
#include "delta/partitioning.h"
#include "delta/scan.h"
#include "delta/schema_json.h"
#include "delta/stats.h"
#include "delta/transaction.h"
#include "expr/binder.h"
#include "expr/parser.h"
#include "parquet/file_reader.h"

namespace cpglake::delta {

namespace {

using columnar::ColumnPtr;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
namespace mi = maintenance_internal;

int64_t TargetFileBytes(const TableConfiguration& cfg, const OptimizeOptions& o) {
  int64_t target = int64_t{128} << 20;
  if (o.target_file_bytes) {
    target = *o.target_file_bytes;
  } else if (auto v = cfg.Property("delta.targetFileSize")) {
    try {
      size_t used = 0;
      target = std::stoll(*v, &used);
      if (used != v->size()) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      throw InvalidInput("delta.targetFileSize is not a number of bytes: '" + *v + "'");
    }
  }
  if (target <= 0) throw InvalidInput("the optimize target file size must be positive");
  return target;
}

// Row tracking columns materialised into rewritten files.
struct RowTrackingColumns {
  std::string row_id, commit_version;
};

// The rows of a bin of files (DV-deleted rows dropped), with their row ids and row commit
// versions when row tracking is preserved, then written as new files of one partition.
class BinRewriter {
 public:
  BinRewriter(storage::ObjectStore& store, const TableConfiguration& cfg,
              const OptimizeOptions& options, const std::optional<RowTrackingColumns>& rt,
              int64_t target, int64_t now)
      : store_(store), cfg_(cfg), options_(options), rt_(rt), target_(target), now_(now) {
    const Schema& schema = cfg.schema();
    const Schema physical = ToPhysicalSchema(schema, cfg.column_mapping_mode());
    std::vector<Field> physical_fields;
    for (size_t i = 0; i < schema.num_fields(); ++i) {
      all_fields_.push_back(static_cast<int>(i));
      if (std::find(cfg.partition_columns().begin(), cfg.partition_columns().end(),
                    schema.field(i).name) != cfg.partition_columns().end()) {
        continue;
      }
      data_fields_.push_back(i);
      physical_fields.push_back(cfg.column_mapping_mode() == ColumnMappingMode::kNone
                                    ? physical.field(i)
                                    : WithFieldIds(schema.field(i), physical.field(i)));
    }
    if (rt_) {
      physical_fields.emplace_back(rt_->row_id, DataType::Int64(), true);
      physical_fields.emplace_back(rt_->commit_version, DataType::Int64(), true);
    }
    physical_schema_ = Schema(std::move(physical_fields));
    for (const auto& name : cfg.partition_columns()) {
      int i = schema.FieldIndex(name);
      physical_partitions_.push_back(i < 0 ? name
                                           : PhysicalName(schema.field(static_cast<size_t>(i))));
    }
  }

  // Reads one file of the bin: its live rows (table schema, then the two row tracking
  // columns when preserved).
  void Read(const AddFile& f) {
    std::optional<DeletionVector> dv;
    if (f.deletion_vector) dv = LoadDeletionVector(*f.deletion_vector, store_);
    std::vector<std::string> extras;
    bool has_id = false, has_version = false;
    if (rt_) {
      // Materialised values already in the file take precedence over the file's base.
      if (auto key = TableKeyOfLogPath(store_, f.path)) {
        auto reader = parquet::ParquetFileReader::Open(store_.OpenForRead(*key));
        has_id = reader->file_schema().FieldIndex(rt_->row_id) >= 0;
        has_version = reader->file_schema().FieldIndex(rt_->commit_version) >= 0;
      }
      if (has_id) extras.push_back(rt_->row_id);
      if (has_version) extras.push_back(rt_->commit_version);
    }
    const size_t n = all_fields_.size();
    ReadTableFile(cfg_, store_, f.path, f.partition_values, all_fields_, extras,
                  [&](const RecordBatch& batch, int64_t first_row) {
                    const int64_t rows = batch.num_rows();
                    columnar::Bitmap keep(rows, true);
                    if (dv) ApplyDeletionVector(*dv, first_row, rows, &keep);
                    std::vector<ColumnPtr> cols(batch.columns().begin(),
                                                batch.columns().begin() + static_cast<long>(n));
                    if (rt_) {
                      const columnar::Column* ids = has_id ? &batch.column(n) : nullptr;
                      const columnar::Column* vers =
                          has_version ? &batch.column(n + (has_id ? 1 : 0)) : nullptr;
                      cols.push_back(TrackingColumn(ids, f.base_row_id, first_row, rows, true));
                      cols.push_back(TrackingColumn(vers, f.default_row_commit_version, first_row,
                                                    rows, false));
                    }
                    RecordBatch full(ReadSchema(), std::move(cols));
                    full.set_num_rows(rows);
                    dropped_ += rows - keep.CountSet();
                    rows_.push_back(full.Filter(keep));
                  });
  }

  // Sorts (optionally) and writes the rows read; the adds of the files written.
  std::vector<AddFile> Write(const PartitionValues& values) {
    RecordBatch all = RecordBatch::MakeEmpty(ReadSchema());
    for (const auto& b : rows_) {
      if (b.num_rows() > 0) all.Append(b);
    }
    rows_.clear();
    if (!options_.sort_by.empty() && all.num_rows() > 1) all = Sorted(all);
    std::vector<AddFile> adds;
    const std::string hive = HivePartitionPath(physical_partitions_, values);
    const int64_t step = std::max<int64_t>(1, options_.parquet.row_group_rows);
    int64_t begin = 0;
    const int64_t total = all.num_rows();
    while (begin < total) {
      std::string codec(parquet::CodecName(options_.parquet.codec));
      for (auto& c : codec) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      char seq[16];
      std::snprintf(seq, sizeof(seq), "%05d", file_seq_++);
      const std::string relative =
          hive + "part-" + seq + "-" + RandomUuid() + "-c000." + codec + ".parquet";
      auto sink = store_.OpenForWrite(relative);
      parquet::WriterOptions wo = options_.parquet;
      // Bloom filters of top-level data columns are kept (under their physical names): a
      // table sorted back into order (sort_by) is still probed by them; nested paths are not.
      std::vector<parquet::BloomFilterOptions> blooms;
      for (parquet::BloomFilterOptions b : wo.bloom_filters) {
        const int i = cfg_.schema().FieldIndex(b.column);
        const auto at = std::find(data_fields_.begin(), data_fields_.end(), static_cast<size_t>(i));
        if (i < 0 || at == data_fields_.end()) continue;
        b.column = physical_schema_.field(static_cast<size_t>(at - data_fields_.begin())).name;
        blooms.push_back(std::move(b));
      }
      wo.bloom_filters = std::move(blooms);
      wo.created_by = "cpglake " + std::string(CpglakeVersion());
      parquet::ParquetWriter writer(sink.get(), physical_schema_, wo);
      FileStatsCollector stats(StatsConfigForTable(cfg_));
      while (begin < total) {
        const int64_t end = std::min(total, begin + step);
        RecordBatch piece = all.Slice(begin, end);
        std::vector<ColumnPtr> data_cols, logical_cols;
        std::vector<Field> logical_fields;
        for (size_t i : data_fields_) {
          data_cols.push_back(piece.column_ptr(i));
          logical_fields.push_back(cfg_.schema().field(i));
        }
        logical_cols = data_cols;
        if (rt_) {
          data_cols.push_back(piece.column_ptr(all_fields_.size()));
          data_cols.push_back(piece.column_ptr(all_fields_.size() + 1));
        }
        RecordBatch physical(physical_schema_, std::move(data_cols));
        physical.set_num_rows(end - begin);
        writer.Write(physical);
        RecordBatch logical(Schema(std::move(logical_fields)), std::move(logical_cols));
        logical.set_num_rows(end - begin);
        stats.Update(logical);
        begin = end;
        if (sink->Tell() >= target_) break;
      }
      written_.push_back(relative);  // before Close: a failed close may leave it behind
      writer.Close();
      AddFile add;
      add.path = EncodeLogPath(relative);
      add.partition_values = values;
      add.size = sink->Tell();
      add.modification_time = now_;
      add.data_change = false;
      add.stats = stats.ToJson();
      rows_written_ += stats.num_records();
      adds.push_back(std::move(add));
    }
    return adds;
  }

  const std::vector<std::string>& written() const { return written_; }
  int64_t rows_dropped() const { return dropped_; }
  int64_t rows_written() const { return rows_written_; }

 private:
  const Schema& ReadSchema() {
    if (read_schema_.num_fields() == 0) {
      std::vector<Field> fields = cfg_.schema().fields();
      if (rt_) {
        fields.emplace_back(rt_->row_id, DataType::Int64(), true);
        fields.emplace_back(rt_->commit_version, DataType::Int64(), true);
      }
      read_schema_ = Schema(std::move(fields));
    }
    return read_schema_;
  }

  // Row ids (base + file row index) or commit versions (the file's default), unless the
  // file already holds a materialised non-null value for the row.
  static ColumnPtr TrackingColumn(const columnar::Column* materialised, std::optional<int64_t> base,
                                  int64_t first_row, int64_t rows, bool add_index) {
    auto out = columnar::Column::Make(DataType::Int64());
    out->Reserve(rows);
    for (int64_t i = 0; i < rows; ++i) {
      if (materialised && !materialised->IsNull(i)) {
        out->AppendFrom(*materialised, i);
      } else if (base) {
        out->Append<int64_t>(*base + (add_index ? first_row + i : 0));
      } else {
        out->AppendNulls(1);
      }
    }
    return out;
  }

  RecordBatch Sorted(const RecordBatch& all) const {
    std::vector<int> keys;
    for (const auto& name : options_.sort_by) keys.push_back(cfg_.schema().FieldIndex(name));
    std::vector<int64_t> order(static_cast<size_t>(all.num_rows()));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      for (int k : keys) {
        const auto& c = all.column(static_cast<size_t>(k));
        int cmp = columnar::CompareRows(c, a, c, b);
        if (cmp != 0) return cmp < 0;
      }
      return false;
    });
    std::vector<ColumnPtr> cols;
    for (size_t c = 0; c < all.num_columns(); ++c) {
      auto col = columnar::Column::Make(all.schema().field(c).type);
      col->Reserve(all.num_rows());
      for (int64_t r : order) col->AppendFrom(all.column(c), r);
      cols.push_back(std::move(col));
    }
    return RecordBatch(all.schema(), std::move(cols));
  }

  storage::ObjectStore& store_;
  const TableConfiguration& cfg_;
  const OptimizeOptions& options_;
  const std::optional<RowTrackingColumns>& rt_;
  const int64_t target_;
  const int64_t now_;
  std::vector<int> all_fields_;
  std::vector<size_t> data_fields_;
  std::vector<std::string> physical_partitions_;
  Schema physical_schema_, read_schema_;
  std::vector<RecordBatch> rows_;
  std::vector<std::string> written_;
  int64_t dropped_ = 0, rows_written_ = 0;
  int file_seq_ = 0;
};

std::string JsonStringArray(const std::vector<std::string>& items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    s += (i ? ",\"" : "\"");
    for (char c : items[i]) {
      if (c == '"' || c == '\\') s += '\\';
      s += c;
    }
    s += '"';
  }
  return s + "]";
}

}  // namespace

OptimizeResult Optimize(const std::shared_ptr<storage::ObjectStore>& store,
                        const OptimizeOptions& options) {
  const int64_t now = mi::NowMs(options.now_ms);
  auto snapshot = SnapshotBuilder(store).Build();
  const TableConfiguration& read_cfg = snapshot->config();
  CheckWritable(read_cfg);
  const int64_t target = TargetFileBytes(read_cfg, options);
  const int64_t min_bytes = options.min_file_bytes.value_or(target);
  for (const auto& c : options.sort_by) {
    if (read_cfg.schema().FieldIndex(c) < 0) {
      throw InvalidInput("cannot sort by '" + c + "': the table has no such column");
    }
  }
  expr::ExprPtr predicate;
  if (options.partition_predicate) {
    predicate =
        expr::BindPredicate(*expr::ParsePredicate(*options.partition_predicate), read_cfg.schema());
    for (const auto& path : expr::ReferencedColumns(*predicate)) {
      const auto& parts = read_cfg.partition_columns();
      if (std::find(parts.begin(), parts.end(), path.front()) == parts.end()) {
        throw InvalidInput("OPTIMIZE can only filter on partition columns, and '" + path.front() +
                           "' is not one");
      }
    }
  }

  // 1. Candidates per partition, packed into bins of at most `target` bytes.
  std::optional<FilePruner> pruner;
  if (predicate) pruner.emplace(read_cfg, *predicate);
  std::map<std::string, std::vector<const AddFile*>> by_partition;
  int64_t considered = 0;
  for (const auto& f : snapshot->files()) {
    if (pruner && pruner->Prune(f) != FilePrune::kMaybe) continue;
    ++considered;
    if (f.size >= min_bytes && !f.deletion_vector) continue;
    std::string key;
    for (const auto& [k, v] : f.partition_values) key += k + "=" + (v ? "v" + *v : "n") + '\x1f';
    by_partition[key].push_back(&f);
  }
  std::vector<std::vector<const AddFile*>> bins;
  std::set<std::string> partitions;
  for (auto& [key, files] : by_partition) {
    std::stable_sort(files.begin(), files.end(),
                     [](const AddFile* a, const AddFile* b) { return a->size < b->size; });
    std::vector<const AddFile*> bin;
    int64_t bin_bytes = 0;
    auto flush = [&] {
      const bool has_dv =
          std::any_of(bin.begin(), bin.end(), [](const AddFile* f) { return f->deletion_vector; });
      if (bin.size() > 1 || (bin.size() == 1 && has_dv)) {
        bins.push_back(bin);
        partitions.insert(key);
      }
      bin.clear();
      bin_bytes = 0;
    };
    for (const AddFile* f : files) {
      if (!bin.empty() && bin_bytes + f->size > target) flush();
      bin.push_back(f);
      bin_bytes += f->size;
    }
    flush();
  }
  OptimizeResult result;
  if (bins.empty()) return result;

  // 2. Row tracking: preserve row ids by materialising them.
  CommitOptions co;
  co.operation = "OPTIMIZE";
  co.now_ms = options.now_ms;
  co.checkpoint = options.checkpoint;
  co.operation_parameters = {
      {"predicate", JsonStringArray(options.partition_predicate
                                        ? std::vector<std::string>{*options.partition_predicate}
                                        : std::vector<std::string>{})},
      {"zOrderBy", "[]"},
      {"sortBy", JsonStringArray(options.sort_by)},
      {"auto", "false"}};
  Transaction txn(store, snapshot, co);
  std::optional<RowTrackingColumns> rt;
  if (read_cfg.HasWriterFeature("rowTracking")) {
    Metadata m = snapshot->metadata();
    auto& conf = m.configuration;
    const bool changed = AssignRowTrackingColumnNames(&m);
    rt = RowTrackingColumns{conf[kMaterializedRowIdColumnKey],
                            conf[kMaterializedRowCommitVersionColumnKey]};
    if (changed) txn.UpdateMetadata(std::move(m));
  }

  // 3. Rewrite the bins, then commit.
  std::optional<BinRewriter> bin_rewriter;
  try {
    BinRewriter& rewriter = bin_rewriter.emplace(*store, read_cfg, options, rt, target, now);
    int64_t dvs_removed = 0;
    for (const auto& bin : bins) {
      for (const AddFile* f : bin) {
        rewriter.Read(*f);
        txn.RemoveFile(RemoveFor(*f, now, /*data_change=*/false));
        if (f->deletion_vector) ++dvs_removed;
      }
      for (auto& add : rewriter.Write(bin.front()->partition_values)) txn.AddFile(std::move(add));
    }
    txn.options().operation_metrics = {
        {"numRemovedFiles", std::to_string(txn.staged_removes().size())},
        {"numAddedFiles", std::to_string(txn.staged_adds().size())},
        {"numBatches", std::to_string(bins.size())},
        {"totalConsideredFiles", std::to_string(considered)},
        {"totalFilesSkipped",
         std::to_string(considered - static_cast<int64_t>(txn.staged_removes().size()))},
        {"numDeletionVectorsRemoved", std::to_string(dvs_removed)},
        {"numDeletedRowsPurged", std::to_string(rewriter.rows_dropped())},
        {"preserveInsertionOrder", "true"}};
    CommitResult cr = txn.Commit();
    result.version = cr.version;
    result.attempts = cr.attempts;
    result.commit_info = cr.commit_info;
    result.files_added = cr.files_added;
    result.files_removed = cr.files_removed;
    result.bytes_added = cr.bytes_added;
    result.bytes_removed = cr.bytes_removed;
    result.rows_written = rewriter.rows_written();
    result.rows_dropped_by_dv = rewriter.rows_dropped();
    result.partitions_optimized = static_cast<int64_t>(partitions.size());
    return result;
  } catch (...) {
    if (txn.maybe_committed() || !bin_rewriter) throw;
    for (const auto& k : bin_rewriter->written()) {
      try {
        store->Delete(k);
      } catch (...) {
      }
    }
    throw;
  }
}

}  // namespace cpglake::delta
