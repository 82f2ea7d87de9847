#include "delta/checkpoint_reader.h"

#include <algorithm>

#include "columnar/value_format.h"
#include "common/error.h"
#include "parquet/file_reader.h"

namespace cpglake::delta {

using columnar::Column;
using columnar::TypeId;

namespace {

// Field access on one struct column, with child indices resolved once per batch.
class StructView {
 public:
  explicit StructView(const Column* c) : c_(c) {}
  bool valid(int64_t r) const { return c_ && c_->IsValid(r); }
  const Column* Child(std::string_view name) const {
    if (!c_) return nullptr;
    const auto& fields = c_->type()->fields();
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].name == name) return &c_->child(i);
    }
    return nullptr;
  }

 private:
  const Column* c_;
};

std::optional<std::string> Str(const Column* c, int64_t r) {
  if (!c || c->IsNull(r)) return std::nullopt;
  if (c->type_id() != TypeId::kString && c->type_id() != TypeId::kBinary) return std::nullopt;
  return std::string(c->GetString(r));
}

std::optional<int64_t> Int(const Column* c, int64_t r) {
  if (!c || c->IsNull(r)) return std::nullopt;
  switch (c->type_id()) {
    case TypeId::kInt8:
      return c->Get<int8_t>(r);
    case TypeId::kInt16:
      return c->Get<int16_t>(r);
    case TypeId::kInt32:
      return c->Get<int32_t>(r);
    case TypeId::kInt64:
      return c->Get<int64_t>(r);
    default:
      return std::nullopt;
  }
}

std::optional<bool> Bool(const Column* c, int64_t r) {
  if (!c || c->IsNull(r) || c->type_id() != TypeId::kBoolean) return std::nullopt;
  return c->GetBool(r);
}

PartitionValues StrMap(const Column* c, int64_t r) {
  PartitionValues out;
  if (!c || c->IsNull(r) || c->type_id() != TypeId::kMap) return out;
  for (int64_t e = c->ListBegin(r); e < c->ListEnd(r); ++e) {
    auto k = Str(&c->child(0), e);
    if (!k) continue;
    out.insert_or_assign(*k, Str(&c->child(1), e));
  }
  return out;
}

Tags TagMap(const Column* c, int64_t r) {
  Tags t;
  for (auto& [k, v] : StrMap(c, r)) t[k] = v.value_or("");
  return t;
}

std::vector<std::string> StrList(const Column* c, int64_t r) {
  std::vector<std::string> out;
  if (!c || c->IsNull(r) || c->type_id() != TypeId::kList) return out;
  for (int64_t e = c->ListBegin(r); e < c->ListEnd(r); ++e) {
    if (auto s = Str(&c->child(0), e)) out.push_back(*s);
  }
  return out;
}

std::optional<DeletionVectorDescriptor> Dv(const Column* c, int64_t r) {
  if (!c || c->IsNull(r) || c->type_id() != TypeId::kStruct) return std::nullopt;
  StructView v(c);
  DeletionVectorDescriptor d;
  auto st = Str(v.Child("storageType"), r);
  auto p = Str(v.Child("pathOrInlineDv"), r);
  if (!st || st->size() != 1 || !p) throw CorruptData("deletionVector without storageType/path");
  d.storage_type = (*st)[0];
  d.path_or_inline_dv = *p;
  if (auto o = Int(v.Child("offset"), r)) d.offset = static_cast<int32_t>(*o);
  d.size_in_bytes = static_cast<int32_t>(Int(v.Child("sizeInBytes"), r).value_or(0));
  d.cardinality = Int(v.Child("cardinality"), r).value_or(0);
  return d;
}

// stats_parsed struct → the stats JSON a commit would carry.
std::optional<std::string> ParsedStats(const Column* c, int64_t r) {
  if (!c || c->IsNull(r) || c->type_id() != TypeId::kStruct) return std::nullopt;
  std::string json;
  columnar::AppendJsonValue(*c, r, columnar::JsonStyle::kReadable, &json);
  return json;
}

std::string Require(std::optional<std::string> v, const char* what) {
  if (!v) throw CorruptData(std::string(what) + " is missing");
  return *v;
}

void ExtractRow(const std::vector<std::pair<std::string, const Column*>>& cols, int64_t r,
                std::vector<Action>* out) {
  for (const auto& [name, col] : cols) {
    StructView s(col);
    if (!s.valid(r)) continue;
    // Some writers leave the struct of another action kind non-null with null fields:
    // a row holds an action only when the action's key field is set.
    static const std::map<std::string, std::string> kKeyField = {
        {"add", "path"},     {"remove", "path"},
        {"metaData", "id"},  {"protocol", "minReaderVersion"},
        {"txn", "appId"},    {"domainMetadata", "domain"},
        {"sidecar", "path"}, {"checkpointMetadata", "version"}};
    auto key = kKeyField.find(name);
    if (key != kKeyField.end()) {
      const Column* k = s.Child(key->second);
      if (!k || k->IsNull(r)) continue;
    }
    if (name == "add") {
      AddFile a;
      a.path = Require(Str(s.Child("path"), r), "add.path");
      a.partition_values = StrMap(s.Child("partitionValues"), r);
      a.size = Int(s.Child("size"), r).value_or(0);
      a.modification_time = Int(s.Child("modificationTime"), r).value_or(0);
      a.data_change = Bool(s.Child("dataChange"), r).value_or(false);
      a.stats = Str(s.Child("stats"), r);
      if (!a.stats) a.stats = ParsedStats(s.Child("stats_parsed"), r);
      a.tags = TagMap(s.Child("tags"), r);
      a.deletion_vector = Dv(s.Child("deletionVector"), r);
      a.base_row_id = Int(s.Child("baseRowId"), r);
      a.default_row_commit_version = Int(s.Child("defaultRowCommitVersion"), r);
      a.clustering_provider = Str(s.Child("clusteringProvider"), r);
      out->push_back(std::move(a));
    } else if (name == "remove") {
      RemoveFile rm;
      rm.path = Require(Str(s.Child("path"), r), "remove.path");
      rm.deletion_timestamp = Int(s.Child("deletionTimestamp"), r);
      rm.data_change = Bool(s.Child("dataChange"), r).value_or(false);
      rm.extended_file_metadata = Bool(s.Child("extendedFileMetadata"), r);
      rm.partition_values = StrMap(s.Child("partitionValues"), r);
      rm.size = Int(s.Child("size"), r);
      rm.stats = Str(s.Child("stats"), r);
      rm.tags = TagMap(s.Child("tags"), r);
      rm.deletion_vector = Dv(s.Child("deletionVector"), r);
      rm.base_row_id = Int(s.Child("baseRowId"), r);
      rm.default_row_commit_version = Int(s.Child("defaultRowCommitVersion"), r);
      out->push_back(std::move(rm));
    } else if (name == "metaData") {
      Metadata m;
      m.id = Str(s.Child("id"), r).value_or("");
      m.name = Str(s.Child("name"), r);
      m.description = Str(s.Child("description"), r);
      if (const Column* fmt = s.Child("format"); fmt && fmt->IsValid(r)) {
        StructView f(fmt);
        m.format.provider = Str(f.Child("provider"), r).value_or("parquet");
        for (auto& [k, v] : StrMap(f.Child("options"), r)) m.format.options[k] = v.value_or("");
      }
      // Spark reads a null schemaString as an empty schema (old checkpoints have them).
      m.schema_string = Str(s.Child("schemaString"), r).value_or("");
      m.partition_columns = StrList(s.Child("partitionColumns"), r);
      for (auto& [k, v] : StrMap(s.Child("configuration"), r)) m.configuration[k] = v.value_or("");
      m.created_time = Int(s.Child("createdTime"), r);
      out->push_back(std::move(m));
    } else if (name == "protocol") {
      Protocol p;
      p.min_reader_version = static_cast<int32_t>(Int(s.Child("minReaderVersion"), r).value_or(1));
      p.min_writer_version = static_cast<int32_t>(Int(s.Child("minWriterVersion"), r).value_or(2));
      if (const Column* f = s.Child("readerFeatures"); f && f->IsValid(r)) {
        p.reader_features = StrList(f, r);
      }
      if (const Column* f = s.Child("writerFeatures"); f && f->IsValid(r)) {
        p.writer_features = StrList(f, r);
      }
      out->push_back(std::move(p));
    } else if (name == "txn") {
      Txn t;
      t.app_id = Require(Str(s.Child("appId"), r), "txn.appId");
      t.version = Int(s.Child("version"), r).value_or(0);
      t.last_updated = Int(s.Child("lastUpdated"), r);
      out->push_back(std::move(t));
    } else if (name == "domainMetadata") {
      DomainMetadata d;
      d.domain = Require(Str(s.Child("domain"), r), "domainMetadata.domain");
      d.configuration = Str(s.Child("configuration"), r).value_or("");
      d.removed = Bool(s.Child("removed"), r).value_or(false);
      out->push_back(std::move(d));
    } else if (name == "checkpointMetadata") {
      CheckpointMetadata cm;
      cm.version = Int(s.Child("version"), r).value_or(0);
      cm.tags = TagMap(s.Child("tags"), r);
      out->push_back(std::move(cm));
    } else if (name == "sidecar") {
      Sidecar sc;
      sc.path = Require(Str(s.Child("path"), r), "sidecar.path");
      sc.size_in_bytes = Int(s.Child("sizeInBytes"), r).value_or(0);
      sc.modification_time = Int(s.Child("modificationTime"), r).value_or(0);
      sc.tags = TagMap(s.Child("tags"), r);
      out->push_back(std::move(sc));
    }
  }
}

}  // namespace

void ReadCheckpointParquet(storage::ObjectStore& store, const std::string& key,
                           std::vector<Action>* out) {
  static const char* kActions[] = {"add", "remove",         "metaData", "protocol",
                                   "txn", "domainMetadata", "sidecar",  "checkpointMetadata"};
  try {
    auto file = store.OpenForRead(key);
    auto reader = parquet::ParquetFileReader::Open(file);
    // One action per row: reserve once (a checkpoint of 300k adds otherwise regrows this
    // vector of large variants ~20 times). The footer is only a hint, bounded by the file
    // size so that a hostile one cannot make us reserve more than the bytes justify.
    int64_t rows = 0;
    for (const auto& rg : reader->metadata().row_groups) {
      rows = std::min(rows + std::clamp<int64_t>(rg.num_rows, 0, file->Size()), file->Size());
    }
    out->reserve(out->size() + static_cast<size_t>(rows));
    std::vector<int> fields;
    for (const char* a : kActions) {
      int i = reader->file_schema().FieldIndex(a);
      if (i >= 0) fields.push_back(i);
    }
    if (fields.empty()) return;
    for (int g = 0; g < reader->num_row_groups(); ++g) {
      auto batch = reader->ReadRowGroup(g, fields);
      std::vector<std::pair<std::string, const Column*>> cols;
      for (size_t c = 0; c < batch.num_columns(); ++c) {
        if (batch.column(c).type_id() == TypeId::kStruct) {
          cols.emplace_back(batch.schema().field(c).name, &batch.column(c));
        }
      }
      for (int64_t r = 0; r < batch.num_rows(); ++r) ExtractRow(cols, r, out);
    }
  } catch (const CorruptData& e) {
    throw CorruptData(store.DisplayPath(key) + ": " + e.what());
  }
}

}  // namespace cpglake::delta
