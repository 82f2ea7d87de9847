#include <algorithm>
#include <chrono>
#include <future>

#include "common/error.h"
#include "common/ids.h"
#include "delta/dml_internal.h"
#include "delta/file_pruning.h"
#include "delta/scan.h"
#include "delta/stats.h"
#include "expr/binder.h"
#include "expr/cast.h"
#include "expr/evaluator.h"

namespace cpglake::delta::dml_internal {

namespace {

using columnar::Bitmap;
using columnar::Column;
using columnar::ColumnPtr;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;

constexpr char kChangeType[] = "_change_type";
constexpr const char* kRowIdColumnKey = kMaterializedRowIdColumnKey;
constexpr const char* kRowVersionColumnKey = kMaterializedRowCommitVersionColumnKey;

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool RowTrackingEnabled(const TableConfiguration& c) {
  return c.HasWriterFeature("rowTracking") && c.BoolProperty("delta.enableRowTracking") &&
         !c.BoolProperty("delta.rowTrackingSuspended");
}

// Where rows were before: their stable row ids and row commit versions.
struct Lineage {
  ColumnPtr ids, versions;  // Int64, one per row (null: unknown)
};

Lineage TakeLineage(const Lineage& l, const Bitmap& rows) {
  if (!l.ids) return {};
  Lineage out{Column::Make(DataType::Int64()), Column::Make(DataType::Int64())};
  for (int64_t i = 0; i < rows.length(); ++i) {
    if (!rows.Get(i)) continue;
    out.ids->AppendFrom(*l.ids, i);
    out.versions->AppendFrom(*l.versions, i);
  }
  return out;
}

// Stats of a file re-added with a DV: min/max/nullCount still bound the live rows but are
// no longer tight (Spark writes "tightBounds":false).
std::optional<std::string> LooseBoundsStats(const std::optional<std::string>& stats) {
  if (!stats || stats->empty() || stats->back() != '}') return stats;
  std::string s = *stats;
  const std::string tight = "\"tightBounds\":true";
  if (auto at = s.find(tight); at != std::string::npos) {
    s.replace(at, tight.size(), "\"tightBounds\":false");
  } else if (s.find("\"tightBounds\"") == std::string::npos) {
    s.insert(s.size() - 1, ",\"tightBounds\":false");
  }
  return s;
}

}  // namespace

int64_t MillisSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
      .count();
}

RecordBatch TakeRows(const RecordBatch& batch, const std::vector<int64_t>& indices) {
  // Every row in order: the batch itself (batches are never modified).
  if (static_cast<int64_t>(indices.size()) == batch.num_rows() && batch.num_columns() > 0) {
    bool identity = true;
    for (size_t i = 0; i < indices.size() && identity; ++i) {
      identity = indices[i] == static_cast<int64_t>(i);
    }
    if (identity) return batch;
  }
  std::vector<ColumnPtr> cols;
  cols.reserve(batch.num_columns());
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    auto col = Column::Make(batch.schema().field(c).type);
    col->Reserve(static_cast<int64_t>(indices.size()));
    const Column& src = batch.column(c);
    // Runs of consecutive rows are copied as ranges.
    for (size_t at = 0; at < indices.size();) {
      const int64_t first = indices[at];
      if (first < 0) {
        col->AppendNull();
        ++at;
        continue;
      }
      size_t end = at + 1;
      while (end < indices.size() && indices[end] == first + static_cast<int64_t>(end - at)) ++end;
      col->AppendRange(src, first, first + static_cast<int64_t>(end - at));
      at = end;
    }
    cols.push_back(std::move(col));
  }
  RecordBatch out(batch.schema(), std::move(cols));
  out.set_num_rows(static_cast<int64_t>(indices.size()));
  return out;
}

ColumnPtr NullColumn(const columnar::TypePtr& type, int64_t rows) {
  auto c = Column::Make(type);
  c->AppendNulls(rows);
  return c;
}

void CheckAssignable(const expr::Expr& bound, const Field& target, const std::string& what) {
  const auto& from = bound.type();
  if (!from || from->id() == columnar::TypeId::kNull || from->Equals(*target.type)) return;
  const bool from_text =
      from->id() == columnar::TypeId::kString || from->id() == columnar::TypeId::kBinary;
  const bool to_text = target.type->id() == columnar::TypeId::kString ||
                       target.type->id() == columnar::TypeId::kBinary;
  // As Spark's ANSI store assignment: no implicit string <-> non-string conversions.
  if (from_text != to_text || !expr::CanCast(*from, *target.type)) {
    throw InvalidInput(what + " has type " + from->ToString() + ", which cannot be stored in " +
                       target.name + " (" + target.type->ToString() + "); CAST it explicitly");
  }
}

ColumnPtr EvaluateAs(const expr::Expr& bound, const RecordBatch& batch, const Field& target,
                     const std::string& what) {
  ColumnPtr v = expr::Evaluate(bound, batch);
  if (!v->type()->Equals(*target.type)) {
    if (v->type_id() == columnar::TypeId::kNull) {
      v = NullColumn(target.type, batch.num_rows());
    } else {
      if (!expr::CanCast(*v->type(), *target.type)) {
        throw InvalidInput(what + " has type " + v->type()->ToString() +
                           ", which cannot be cast to " + target.type->ToString() + " (column " +
                           target.name + ")");
      }
      v = expr::CastColumn(v, target.type, /*error_on_failure=*/true);
    }
  }
  if (!target.nullable && v->null_count() > 0) {
    throw InvalidInput(what + " gives NULL for the non-nullable column " + target.name);
  }
  return v;
}

// ---- DmlEngine ------------------------------------------------------------------------

struct DmlEngine::PendingDv {
  AddFile add;  // the file re-added; its deletion_vector is set when the DV file is written
  DeletionVector dv;
  std::string roaring;  // serialised bitmap
};

struct DmlEngine::RowTracking {
  Field id_field, version_field;
};

DmlEngine::DmlEngine(std::shared_ptr<storage::ObjectStore> store,
                     std::shared_ptr<const Snapshot> snapshot, const DmlOptions& options,
                     std::string operation)
    : store_(std::move(store)),
      snapshot_(std::move(snapshot)),
      options_(options),
      start_(std::chrono::steady_clock::now()) {
  const TableConfiguration& config = snapshot_->config();
  CheckWritable(config);
  now_ = options_.write.now_ms ? *options_.write.now_ms : SystemNowMs();
  if (options_.use_deletion_vectors.value_or(false) &&
      !config.HasReaderFeature("deletionVectors")) {
    throw InvalidInput(
        "the table does not support deletion vectors: set delta.enableDeletionVectors = true "
        "first");
  }
  use_dvs_ = options_.use_deletion_vectors.value_or(config.deletion_vectors_enabled());
  cdf_ = config.change_data_feed_enabled();
  CommitOptions co;
  co.operation = std::move(operation);
  co.commit_properties = options_.write.commit_properties;
  co.now_ms = options_.write.now_ms;
  co.isolation = options_.write.isolation;
  co.checkpoint = options_.write.checkpoint;
  txn_ = std::make_unique<Transaction>(store_, snapshot_, co);
  result_.deletion_vectors = use_dvs_;
  result_.metrics.files_considered = static_cast<int64_t>(snapshot_->files().size());
  const WriteOptions& w = options_.write;
  if (w.app_id.has_value() != w.app_version.has_value()) {
    throw InvalidInput("an application transaction needs both an app id and a version");
  }
  if (w.app_id) {
    auto it = snapshot_->app_transactions().find(*w.app_id);
    if (it != snapshot_->app_transactions().end() && it->second.version >= *w.app_version) {
      skip_reason_ = "application transaction '" + *w.app_id + "' is already at version " +
                     std::to_string(it->second.version);
    }
  }
  if (RowTrackingEnabled(config)) {
    Metadata m = config.metadata();
    if (AssignRowTrackingColumnNames(&m)) txn_->UpdateMetadata(m);
    tracking_ = std::make_unique<RowTracking>(
        RowTracking{Field(m.configuration.at(kRowIdColumnKey), DataType::Int64(), true),
                    Field(m.configuration.at(kRowVersionColumnKey), DataType::Int64(), true)});
  }
}

DmlEngine::~DmlEngine() {
  if (committed_ || txn_->maybe_committed()) return;
  std::vector<std::string> keys = extra_written_;
  keys.insert(keys.end(), written_data_.begin(), written_data_.end());
  for (const auto* w : {data_writer_.get(), cdc_writer_.get()}) {
    if (w) keys.insert(keys.end(), w->written_keys().begin(), w->written_keys().end());
  }
  data_writer_.reset();
  cdc_writer_.reset();
  for (const auto& k : keys) {
    try {
      store_->Delete(k);
    } catch (...) {
    }
  }
}

void DmlEngine::UpdateMetadata(const Metadata& metadata) {
  if (data_writer_ || cdc_writer_) throw InvalidInput("internal: metadata changed after writing");
  Metadata m = metadata;
  if (tracking_) AssignRowTrackingColumnNames(&m);
  if (tracking_) {
    m.configuration[kRowIdColumnKey] = tracking_->id_field.name;
    m.configuration[kRowVersionColumnKey] = tracking_->version_field.name;
  }
  Protocol p = RequiredProtocol(snapshot_->protocol(), m, ProtocolUpgrade::kTableFeatures);
  if (!(p == snapshot_->protocol())) txn_->UpdateProtocol(p);
  txn_->UpdateMetadata(m);
  CheckWritable(txn_->config());
}

std::vector<const AddFile*> DmlEngine::PruneFiles(const expr::Expr* predicate) {
  std::vector<const AddFile*> out;
  std::optional<FilePruner> pruner;
  if (predicate) pruner.emplace(snapshot_->config(), *predicate);
  for (const auto& f : snapshot_->files()) {
    if (pruner && pruner->Prune(f) != FilePrune::kMaybe) {
      ++result_.metrics.files_skipped;
      continue;
    }
    out.push_back(&f);
  }
  return out;
}

RowGroupFilter DmlEngine::RowGroupsRuledOutBy(expr::ExprPtr predicate) const {
  if (!predicate || !use_dvs_) return nullptr;
  auto pruner = std::make_shared<const RowGroupPruner>(snapshot_->config(), std::move(predicate));
  return [pruner](const parquet::ParquetFileReader& reader, int g) {
    return pruner->CanSkip(reader, g);
  };
}

DataFileWriter& DmlEngine::DataWriter() {
  if (!data_writer_) {
    DataFileLayout layout;
    if (tracking_) layout.extra_fields = {tracking_->id_field, tracking_->version_field};
    data_writer_ =
        std::make_unique<DataFileWriter>(*store_, config(), options_.write, now_, layout);
  }
  return *data_writer_;
}

DataFileWriter& DmlEngine::CdcWriter() {
  if (!cdc_writer_) {
    DataFileLayout layout;
    layout.prefix = "_change_data/";
    layout.name_prefix = "cdc";
    layout.extra_fields = {Field(kChangeType, DataType::String(), true)};
    layout.stats = false;
    cdc_writer_ = std::make_unique<DataFileWriter>(*store_, config(), options_.write, now_, layout);
  }
  return *cdc_writer_;
}

void DmlEngine::WriteData(const RecordBatch& aligned, const ColumnPtr& row_ids,
                          const ColumnPtr& row_versions) {
  if (aligned.num_rows() == 0) return;
  const auto t = std::chrono::steady_clock::now();
  if (!tracking_) {
    DataWriter().Write(aligned);
  } else {
    std::vector<Field> fields = aligned.schema().fields();
    std::vector<ColumnPtr> cols = aligned.columns();
    fields.push_back(tracking_->id_field);
    fields.push_back(tracking_->version_field);
    cols.push_back(row_ids ? row_ids : NullColumn(DataType::Int64(), aligned.num_rows()));
    cols.push_back(row_versions ? row_versions : NullColumn(DataType::Int64(), aligned.num_rows()));
    DataWriter().Write(RecordBatch(Schema(std::move(fields)), std::move(cols)));
  }
  write_ms_ += MillisSince(t);
}

void DmlEngine::WriteChange(const RecordBatch& rows, const char* change_type) {
  if (!cdf_ || rows.num_rows() == 0) return;
  const auto t = std::chrono::steady_clock::now();
  RecordBatch aligned = AlignBatch(rows, config().schema());
  std::vector<Field> fields = aligned.schema().fields();
  std::vector<ColumnPtr> cols = aligned.columns();
  auto type = Column::Make(DataType::String());
  for (int64_t i = 0; i < rows.num_rows(); ++i) type->AppendString(change_type);
  fields.emplace_back(kChangeType, DataType::String(), true);
  cols.push_back(std::move(type));
  CdcWriter().Write(RecordBatch(Schema(std::move(fields)), std::move(cols)));
  if (std::string_view(change_type) != "insert") wrote_changes_ = true;
  write_ms_ += MillisSince(t);
}

void DmlEngine::ProcessFile(const AddFile& f, const DecideFn& decide,
                            const RowGroupFilter& skip_row_group) {
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t write_before = write_ms_;
  txn_->TrackReadFile(f.path);
  result_.files_read.push_back(f.path);
  ++result_.metrics.files_read;
  const TableConfiguration& read_config = snapshot_->config();
  const Schema& read_schema = read_config.schema();
  const Schema& new_schema = config().schema();
  const std::optional<int64_t> num_records = NumRecordsFromStats(f.stats);
  // A DV needs the file's numRecords: without it, the file is rewritten.
  const bool dv_file = use_dvs_ && num_records.has_value();
  DeletionVector old_dv;
  if (f.deletion_vector) old_dv = LoadDeletionVector(*f.deletion_vector, *store_);
  std::vector<int> needed;
  for (size_t i = 0; i < read_schema.num_fields(); ++i) needed.push_back(static_cast<int>(i));
  std::vector<Field> optional;
  if (tracking_) optional = {tracking_->id_field, tracking_->version_field};
  const bool lineage_known =
      tracking_ && f.base_row_id.has_value() && f.default_row_commit_version.has_value();

  DeletionVector changed;
  std::vector<RecordBatch> kept;  // copy-on-write: live rows left as they are
  std::vector<Lineage> kept_lineage;
  int64_t deleted = 0, updated = 0, physical_rows = 0;
  RowGroupFilter skip;
  if (dv_file && skip_row_group) {
    // Kept rows are not rewritten with a DV: a row group without changes need not be read.
    skip = [&](const parquet::ParquetFileReader& reader, int g) {
      if (!skip_row_group(reader, g)) return false;
      ++result_.metrics.row_groups_skipped;
      return true;
    };
  }
  ReadTableFile(
      read_config, *store_, f.path, f.partition_values, needed, {},
      [&](const RecordBatch& batch, int64_t first_row) {
        const int64_t rows = batch.num_rows();
        physical_rows = std::max(physical_rows, first_row + rows);
        Bitmap live(rows, true);
        if (!old_dv.Empty()) ApplyDeletionVector(old_dv, first_row, rows, &live);
        std::vector<ColumnPtr> table_cols(
            batch.columns().begin(),
            batch.columns().begin() + static_cast<long>(read_schema.num_fields()));
        RecordBatch table_rows(read_schema, std::move(table_cols));
        table_rows.set_num_rows(rows);
        // Without deleted rows the batch is shared, not copied (batches are never modified).
        RecordBatch live_rows =
            live.CountSet() == rows ? std::move(table_rows) : table_rows.Filter(live);
        std::vector<int64_t> positions;
        positions.reserve(static_cast<size_t>(live_rows.num_rows()));
        for (int64_t i = 0; i < rows; ++i) {
          if (live.Get(i)) positions.push_back(first_row + i);
        }
        Lineage lineage;
        if (lineage_known) {
          const size_t base = read_schema.num_fields();
          const Column& mat_id = batch.column(base);
          const Column& mat_version = batch.column(base + 1);
          lineage.ids = Column::Make(DataType::Int64());
          lineage.versions = Column::Make(DataType::Int64());
          for (int64_t i = 0; i < rows; ++i) {
            if (!live.Get(i)) continue;
            lineage.ids->Append<int64_t>(mat_id.IsValid(i) ? mat_id.Get<int64_t>(i)
                                                           : *f.base_row_id + first_row + i);
            lineage.versions->Append<int64_t>(mat_version.IsValid(i)
                                                  ? mat_version.Get<int64_t>(i)
                                                  : *f.default_row_commit_version);
          }
        }
        RowDecision d;
        decide(live_rows, &d);
        const int64_t n = live_rows.num_rows();
        if (static_cast<int64_t>(d.actions.size()) != n) {
          throw InvalidInput("internal: DML decision has the wrong number of rows");
        }
        Bitmap del(n, false), upd(n, false), keep(n, false);
        int64_t n_del = 0, n_upd = 0;
        for (int64_t i = 0; i < n; ++i) {
          switch (d.actions[static_cast<size_t>(i)]) {
            case RowAction::kKeep:
              keep.Set(i, true);
              break;
            case RowAction::kDelete:
              del.Set(i, true);
              ++n_del;
              changed.Add(static_cast<uint64_t>(positions[static_cast<size_t>(i)]));
              break;
            case RowAction::kUpdate:
              upd.Set(i, true);
              ++n_upd;
              changed.Add(static_cast<uint64_t>(positions[static_cast<size_t>(i)]));
              break;
          }
        }
        if (n_upd > 0 && (!d.updated || d.updated->num_rows() != n_upd)) {
          throw InvalidInput("internal: DML update rows do not match the decision");
        }
        deleted += n_del;
        updated += n_upd;
        // (Change data only with the change data feed: no rows are copied for it otherwise.)
        if (n_del > 0 && cdf_) WriteChange(live_rows.Filter(del), "delete");
        if (n_upd > 0) {
          if (cdf_) WriteChange(live_rows.Filter(upd), "update_preimage");
          WriteChange(*d.updated, "update_postimage");
          Lineage l = TakeLineage(lineage, upd);
          WriteData(AlignBatch(*d.updated, new_schema), l.ids, nullptr);
        }
        if (!dv_file) {
          RecordBatch k = n_del + n_upd == 0 ? live_rows : live_rows.Filter(keep);
          if (k.num_rows() > 0) {
            kept.push_back(std::move(k));
            kept_lineage.push_back(n_del + n_upd == 0 ? lineage : TakeLineage(lineage, keep));
          }
        }
      },
      skip, 1, optional);
  result_.metrics.rows_deleted += deleted;
  result_.metrics.rows_updated += updated;
  if (deleted + updated > 0) {
    ++result_.metrics.files_touched;
    txn_->RemoveFile(RemoveFor(f, now_));
    ++removed_files_;
    removed_bytes_ += f.size;
    if (f.deletion_vector) ++result_.metrics.deletion_vectors_removed;
    if (dv_file) {
      DeletionVector dv = old_dv;
      dv.Union(changed);
      if (dv.Cardinality() < *num_records) {
        PendingDv p;
        p.add = f;
        p.add.data_change = true;
        p.add.stats = LooseBoundsStats(f.stats);
        p.roaring = dv.SerializeRoaringArray();
        p.dv = std::move(dv);
        pending_dvs_.push_back(std::move(p));
        // The file stays: not counted as removed.
        --removed_files_;
        removed_bytes_ -= f.size;
      }
    } else {
      for (size_t i = 0; i < kept.size(); ++i) {
        result_.metrics.rows_copied += kept[i].num_rows();
        WriteData(AlignBatch(kept[i], new_schema), kept_lineage[i].ids, kept_lineage[i].versions);
      }
    }
  }
  (void)physical_rows;
  result_.metrics.scan_time_ms += MillisSince(t0) - (write_ms_ - write_before);
}

void DmlEngine::RemoveWholeFile(const AddFile& f) {
  result_.files_read.push_back(f.path);
  if (cdf_) {
    ProcessFile(f, [](const RecordBatch& live, RowDecision* d) {
      d->actions.assign(static_cast<size_t>(live.num_rows()), RowAction::kDelete);
    });
    result_.files_read.pop_back();
    return;
  }
  ++result_.metrics.files_touched;
  result_.metrics.rows_deleted += LiveRows(f);
  if (f.deletion_vector) ++result_.metrics.deletion_vectors_removed;
  txn_->RemoveFile(RemoveFor(f, now_));
  ++removed_files_;
  removed_bytes_ += f.size;
}

void DmlEngine::Insert(const RecordBatch& rows) {
  if (rows.num_rows() == 0) return;
  result_.metrics.rows_inserted += rows.num_rows();
  WriteData(rows, nullptr, nullptr);
  // Inserts are change data only when the commit has change data files anyway (a reader
  // then takes nothing but those); otherwise the adds are the inserts.
  if (wrote_changes_) WriteChange(rows, "insert");
}

void DmlEngine::WriteDvFile() {
  std::vector<std::string> arrays;
  std::vector<size_t> in_file;
  for (size_t i = 0; i < pending_dvs_.size(); ++i) {
    PendingDv& p = pending_dvs_[i];
    if (options_.inline_dv_max_bytes > 0 &&
        static_cast<int64_t>(p.roaring.size()) <= options_.inline_dv_max_bytes) {
      p.add.deletion_vector = MakeInlineDescriptor(p.dv);
      result_.metrics.dv_bytes += static_cast<int64_t>(p.roaring.size());
      continue;
    }
    in_file.push_back(i);
    arrays.push_back(p.roaring);
  }
  if (arrays.empty()) return;
  std::vector<int32_t> offsets;
  const std::string bytes = SerializeDvFile(arrays, &offsets);
  const std::string uuid = RandomUuid();
  const std::string key = "deletion_vector_" + uuid + ".bin";
  extra_written_.push_back(key);
  store_->Write(key, bytes);
  result_.metrics.dv_bytes += static_cast<int64_t>(bytes.size());
  const std::string z85 = UuidToZ85(uuid);
  for (size_t k = 0; k < in_file.size(); ++k) {
    PendingDv& p = pending_dvs_[in_file[k]];
    DeletionVectorDescriptor d;
    d.storage_type = 'u';
    d.path_or_inline_dv = z85;
    d.offset = offsets[k];
    d.size_in_bytes = static_cast<int32_t>(arrays[k].size());
    d.cardinality = p.dv.Cardinality();
    p.add.deletion_vector = std::move(d);
  }
}

DmlResult DmlEngine::Commit(std::map<std::string, std::string> parameters,
                            std::map<std::string, std::string> extra_metrics) {
  const auto t = std::chrono::steady_clock::now();
  if (AlreadyApplied()) {
    result_.version = snapshot_->version();
    result_.skip_reason = skip_reason_;
    result_.metrics.time_ms = MillisSince(start_);
    return result_;
  }
  // The DV file and the change data files are written (and synced) on other threads while
  // the data files are closed (and synced) here: the syncs — each a journal commit of ~10 ms
  // on ext4 — overlap instead of queueing, and so does the encoding of the last row groups.
  // WriteDvFile touches only pending_dvs_, extra_written_ and metrics().dv_bytes, the change
  // data writer only itself; the futures (declared after what they write) wait on every path.
  const int closing =
      (pending_dvs_.empty() ? 0 : 1) + (data_writer_ ? 1 : 0) + (cdc_writer_ ? 1 : 0);
  const auto launch = closing > 1 ? std::launch::async : std::launch::deferred;
  std::vector<AddFile> cdc_adds;
  std::future<void> dv_file = std::async(launch, [this] { WriteDvFile(); });
  std::future<void> cdc_close;
  if (cdc_writer_) cdc_close = std::async(launch, [&] { cdc_adds = cdc_writer_->Close(); });
  DmlMetrics& m = result_.metrics;
  if (data_writer_) {
    for (auto& a : data_writer_->Close()) {
      ++m.files_added;
      m.bytes_added += a.size;
      txn_->AddFile(std::move(a));
    }
    written_data_ = data_writer_->written_keys();
  }
  dv_file.get();
  if (cdc_close.valid()) cdc_close.get();
  if (cdc_writer_) {
    for (auto& a : cdc_adds) {
      AddCDCFile c;
      c.path = a.path;
      c.partition_values = a.partition_values;
      c.size = a.size;
      c.data_change = false;
      ++m.cdc_files_added;
      txn_->AddCdcFile(std::move(c));
    }
    const auto& keys = cdc_writer_->written_keys();
    written_data_.insert(written_data_.end(), keys.begin(), keys.end());
  }
  for (auto& p : pending_dvs_) {
    ++m.deletion_vectors_added;
    txn_->AddFile(std::move(p.add));
  }
  m.files_removed = removed_files_;
  m.bytes_removed = removed_bytes_;
  write_ms_ += MillisSince(t);
  m.rewrite_time_ms = write_ms_;
  result_.version = snapshot_->version();
  const bool metadata_changed = !(txn_->config().metadata() == snapshot_->metadata());
  if (txn_->staged_adds().empty() && txn_->staged_removes().empty() && m.cdc_files_added == 0 &&
      !metadata_changed) {
    m.time_ms = MillisSince(start_);
    return result_;
  }
  if (options_.write.app_id) {
    txn_->SetAppTransaction(*options_.write.app_id, *options_.write.app_version);
  }
  CommitOptions& co = txn_->options();
  co.operation_parameters = std::move(parameters);
  auto& om = co.operation_metrics;
  om = std::move(extra_metrics);
  om["numDeletedRows"] = std::to_string(m.rows_deleted);
  om["numUpdatedRows"] = std::to_string(m.rows_updated);
  om["numCopiedRows"] = std::to_string(m.rows_copied);
  om["numDeletionVectorsAdded"] = std::to_string(m.deletion_vectors_added);
  om["numDeletionVectorsRemoved"] = std::to_string(m.deletion_vectors_removed);
  om["numAddedChangeFiles"] = std::to_string(m.cdc_files_added);
  om["scanTimeMs"] = std::to_string(m.scan_time_ms);
  om["rewriteTimeMs"] = std::to_string(m.rewrite_time_ms);
  om["executionTimeMs"] = std::to_string(MillisSince(start_));
  CommitResult cr = txn_->Commit();
  committed_ = true;
  result_.version = cr.version;
  result_.committed = true;
  result_.attempts = cr.attempts;
  result_.commit_info = cr.commit_info;
  m.time_ms = MillisSince(start_);
  return result_;
}

}  // namespace cpglake::delta::dml_internal
