#include "delta/table_changes.h"

#include <map>

#include "common/error.h"
#include "delta/deletion_vector.h"
#include "delta/scan.h"
#include "delta/snapshot.h"

namespace cpglake::delta {

using columnar::Bitmap;
using columnar::Column;
using columnar::ColumnPtr;
using columnar::DataType;
using columnar::RecordBatch;

namespace {

constexpr const char* kChangeType = "_change_type";

columnar::Schema ChangeSchema(const columnar::Schema& table) {
  std::vector<columnar::Field> fields = table.fields();
  fields.emplace_back(kChangeType, DataType::String(), false);
  fields.emplace_back("_commit_version", DataType::Int64(), false);
  fields.emplace_back("_commit_timestamp", DataType::Timestamp(), false);
  return columnar::Schema(std::move(fields));
}

// Appends the change columns to table rows (`change_type` null: taken from the batch's own
// _change_type column, which must then be its last column).
RecordBatch WithChangeColumns(const RecordBatch& rows, const columnar::Schema& out_schema,
                              const char* change_type, int64_t version, int64_t ts_ms) {
  const int64_t n = rows.num_rows();
  const size_t table_cols = out_schema.num_fields() - 3;
  std::vector<ColumnPtr> cols;
  for (size_t i = 0; i < table_cols; ++i) cols.push_back(rows.column_ptr(i));
  ColumnPtr type_col;
  if (change_type) {
    type_col = Column::Make(DataType::String());
    for (int64_t i = 0; i < n; ++i) type_col->AppendString(change_type);
  } else {
    type_col = rows.column_ptr(rows.num_columns() - 1);
    if (type_col->type_id() != columnar::TypeId::kString) {
      throw CorruptData("_change_type column of a change data file is not a string");
    }
    if (type_col->has_validity()) type_col = type_col->Retyped(DataType::String());
  }
  cols.push_back(type_col->Retyped(DataType::String()));
  auto v = Column::Make(DataType::Int64());
  auto t = Column::Make(DataType::Timestamp());
  for (int64_t i = 0; i < n; ++i) {
    v->Append<int64_t>(version);
    t->Append<int64_t>(ts_ms * 1000);
  }
  cols.push_back(v);
  cols.push_back(t);
  RecordBatch out(out_schema, std::move(cols));
  out.set_num_rows(n);
  return out;
}

}  // namespace

TableChanges::TableChanges(std::shared_ptr<storage::ObjectStore> store, int64_t start_version,
                           std::optional<int64_t> end_version)
    : store_(std::move(store)), start_(start_version) {
  if (start_version < 0) throw InvalidInput("start version must be >= 0");
  auto end_snap = SnapshotBuilder(store_);
  if (end_version) end_snap.AtVersion(*end_version);
  auto snap = end_snap.Build();
  end_ = snap->version();
  if (start_ > end_) {
    throw InvalidInput("start version " + std::to_string(start_) + " is after the end version " +
                       std::to_string(end_));
  }
  schema_ = ChangeSchema(snap->schema());
}

TableChanges TableChanges::FromTimestamps(std::shared_ptr<storage::ObjectStore> store,
                                          int64_t start_ms, std::optional<int64_t> end_ms) {
  LogSegment latest = BuildLogSegment(*store, std::nullopt);
  auto history = ReadHistory(*store, latest, 0, latest.version);  // newest first
  std::optional<int64_t> start, end;
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (!start && it->timestamp_ms >= start_ms) start = it->version;
    if (!end_ms || it->timestamp_ms <= *end_ms) end = it->version;
  }
  if (!start) throw NotFound("no commit at or after the start timestamp");
  if (!end) throw NotFound("no commit at or before the end timestamp");
  return TableChanges(std::move(store), *start, *end);
}

void TableChanges::Execute(const std::function<void(const RecordBatch&)>& sink) {
  // The configuration in effect at each commit: start from the snapshot at `start`'s
  // predecessor state and follow metaData/protocol actions commit by commit.
  auto end_snap = SnapshotBuilder(store_).AtVersion(end_).Build();
  std::optional<Protocol> protocol;
  std::optional<Metadata> metadata;
  if (start_ > 0) {
    auto before = SnapshotBuilder(store_).AtVersion(start_ - 1).Build();
    protocol = before->protocol();
    metadata = before->metadata();
  }
  // Read with the end version's schema (columns added later read as null).
  TableConfiguration read_config(end_snap->protocol(), end_snap->metadata());
  std::vector<int> all;
  for (size_t i = 0; i < read_config.schema().num_fields(); ++i) all.push_back(static_cast<int>(i));
  const LogSegment& seg = end_snap->log_segment();
  for (const auto& commit : seg.all_commits) {
    if (commit.version < start_ || commit.version > end_) continue;
    auto actions = ReadCommitActions(*store_, commit);
    std::optional<CommitInfo> info;
    for (const auto& a : actions) {
      if (auto* p = std::get_if<Protocol>(&a)) protocol = *p;
      if (auto* m = std::get_if<Metadata>(&a)) metadata = *m;
      if (auto* c = std::get_if<CommitInfo>(&a)) info = *c;
    }
    if (!protocol || !metadata)
      throw CorruptData("commit " + std::to_string(commit.version) +
                        " has no protocol or metadata in effect");
    TableConfiguration config(*protocol, *metadata);
    if (!config.change_data_feed_enabled()) {
      throw InvalidInput("change data feed is not enabled at version " +
                         std::to_string(commit.version) +
                         " (set delta.enableChangeDataFeed=true before the changes to read)");
    }
    int64_t ts = commit.modification_time_ms;
    if (info && info->in_commit_timestamp) ts = *info->in_commit_timestamp;

    bool has_cdc = false;
    for (const auto& a : actions) has_cdc |= std::holds_alternative<AddCDCFile>(a);
    if (has_cdc) {
      for (const auto& a : actions) {
        const auto* cdc = std::get_if<AddCDCFile>(&a);
        if (!cdc) continue;
        ReadTableFile(read_config, *store_, cdc->path, cdc->partition_values, all, {kChangeType},
                      [&](const RecordBatch& rows, int64_t) {
                        sink(WithChangeColumns(rows, schema_, nullptr, commit.version, ts));
                      });
      }
      continue;
    }
    // Pair adds and removes of the same path: a deletion-vector update.
    std::map<std::string, const AddFile*> adds;
    std::map<std::string, const RemoveFile*> removes;
    for (const auto& a : actions) {
      if (auto* add = std::get_if<AddFile>(&a); add && add->data_change) adds[add->path] = add;
      if (auto* rm = std::get_if<RemoveFile>(&a); rm && rm->data_change) removes[rm->path] = rm;
    }
    auto emit = [&](const std::string& path, const PartitionValues& pv, const char* type,
                    const std::function<bool(uint64_t)>& selected) {
      ReadTableFile(read_config, *store_, path, pv, all, {},
                    [&](const RecordBatch& rows, int64_t first) {
                      Bitmap keep(rows.num_rows(), false);
                      for (int64_t i = 0; i < rows.num_rows(); ++i) {
                        if (selected(static_cast<uint64_t>(first + i))) keep.Set(i, true);
                      }
                      RecordBatch picked = rows.Filter(keep);
                      if (picked.num_rows() > 0)
                        sink(WithChangeColumns(picked, schema_, type, commit.version, ts));
                    });
    };
    auto load = [&](const std::optional<DeletionVectorDescriptor>& d) {
      return d ? LoadDeletionVector(*d, *store_) : DeletionVector();
    };
    for (const auto& [path, rm] : removes) {
      DeletionVector old_dv = load(rm->deletion_vector);
      auto add = adds.find(path);
      if (add != adds.end()) {
        DeletionVector new_dv = load(add->second->deletion_vector);
        emit(path, rm->partition_values, "delete",
             [&](uint64_t r) { return new_dv.Contains(r) && !old_dv.Contains(r); });
        emit(path, add->second->partition_values, "insert",
             [&](uint64_t r) { return old_dv.Contains(r) && !new_dv.Contains(r); });
        adds.erase(add);
      } else {
        emit(path, rm->partition_values, "delete", [&](uint64_t r) { return !old_dv.Contains(r); });
      }
    }
    for (const auto& [path, add] : adds) {
      DeletionVector dv = load(add->deletion_vector);
      emit(path, add->partition_values, "insert", [&](uint64_t r) { return !dv.Contains(r); });
    }
  }
}

RecordBatch TableChanges::ReadAll() {
  RecordBatch all = RecordBatch::MakeEmpty(schema_);
  Execute([&](const RecordBatch& b) { all.Append(b); });
  return all;
}

}  // namespace cpglake::delta
