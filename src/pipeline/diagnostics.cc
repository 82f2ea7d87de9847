#include "pipeline/diagnostics.h"

#include <algorithm>
#include <tuple>

#include "catalog/dataset_registry.h"
#include "columnar/record_batch.h"
#include "columnar/schema_fingerprint.h"
#include "common/ids.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/writer.h"

namespace cpglake::pipeline {

namespace {

constexpr const char* kOrderingKeys = "path,line,col,source,code,message,node_id";

std::string DiagnosticsPath(const std::string& out_dir) {
  return catalog::DatasetRegistry::ForOutput(out_dir).Resolve(catalog::kDiagnosticsDataset).path;
}

columnar::RecordBatch ToBatch(const std::vector<DiagnosticRecord>& rows) {
  columnar::RecordBatch b = columnar::RecordBatch::MakeEmpty(DiagnosticsSchema());
  auto opt_str = [](columnar::Column& c, const std::optional<std::string>& s) {
    if (s) {
      c.AppendString(*s);
    } else {
      c.AppendNull();
    }
  };
  auto opt_int = [](columnar::Column& c, const std::optional<int32_t>& v) {
    if (v) {
      c.Append<int32_t>(*v);
    } else {
      c.AppendNull();
    }
  };
  for (const auto& r : rows) {
    b.mutable_column(0).AppendString(r.build_id);
    opt_str(b.mutable_column(1), r.file_id);
    opt_str(b.mutable_column(2), r.path);
    b.mutable_column(3).AppendString(r.severity);
    b.mutable_column(4).AppendString(r.code);
    b.mutable_column(5).AppendString(r.message);
    opt_int(b.mutable_column(6), r.line);
    opt_int(b.mutable_column(7), r.col);
    b.mutable_column(8).AppendString(r.source);
    opt_str(b.mutable_column(9), r.node_id);
  }
  b.set_num_rows(static_cast<int64_t>(rows.size()));
  return b;
}

delta::WriteResult Write(const std::string& out_dir, const std::string& build_id,
                         std::vector<DiagnosticRecord> rows, delta::WriteMode mode,
                         std::map<std::string, std::string> commit_properties) {
  for (auto& r : rows) r.build_id = build_id;
  SortDiagnostics(&rows);
  const columnar::Schema schema = DiagnosticsSchema();
  delta::WriteOptions wo;
  wo.mode = mode;
  wo.schema_mode = mode == delta::WriteMode::kOverwrite ? delta::SchemaMode::kOverwrite
                                                        : delta::SchemaMode::kMerge;
  wo.properties = {{"delta.enableInCommitTimestamps", "true"}};
  commit_properties.emplace("cpglake.build_id", build_id);
  commit_properties.emplace("cpglake.tool_version", std::string(CpglakeVersion()));
  commit_properties["cpglake.schema_fingerprint"] = columnar::SchemaFingerprint(schema);
  commit_properties["cpglake.ordering_keys"] = kOrderingKeys;
  wo.commit_properties = std::move(commit_properties);
  return delta::WriteDeltaTable(storage::OpenObjectStore(DiagnosticsPath(out_dir)), ToBatch(rows),
                                wo);
}

}  // namespace

columnar::Schema DiagnosticsSchema() {
  using columnar::DataType;
  using columnar::Field;
  auto str = DataType::String();
  return columnar::Schema(std::vector<Field>{
      Field("build_id", str, false), Field("file_id", str, true), Field("path", str, true),
      Field("severity", str, false), Field("code", str, false), Field("message", str, false),
      Field("line", DataType::Int32(), true), Field("col", DataType::Int32(), true),
      Field("source", str, false), Field("node_id", str, true)});
}

void SortDiagnostics(std::vector<DiagnosticRecord>* rows) {
  // nullopt sorts before any value (std::optional's ordering), as nulls come first.
  std::sort(rows->begin(), rows->end(), [](const DiagnosticRecord& a, const DiagnosticRecord& b) {
    return std::tie(a.path, a.line, a.col, a.source, a.code, a.message, a.node_id, a.severity,
                    a.file_id, a.build_id) < std::tie(b.path, b.line, b.col, b.source, b.code,
                                                      b.message, b.node_id, b.severity, b.file_id,
                                                      b.build_id);
  });
}

delta::WriteResult WriteBuildDiagnostics(
    const std::string& out_dir, const std::string& build_id, std::vector<DiagnosticRecord> rows,
    const std::map<std::string, std::string>& commit_properties) {
  return Write(out_dir, build_id, std::move(rows), delta::WriteMode::kOverwrite, commit_properties);
}

int64_t AppendDiagnostics(const std::string& out_dir, const std::string& build_id,
                          std::vector<DiagnosticRecord> rows) {
  return Write(out_dir, build_id, std::move(rows), delta::WriteMode::kAppend, {}).version;
}

std::vector<DiagnosticRecord> ReadDiagnostics(const std::string& out_dir,
                                              const std::optional<std::string>& build_id) {
  const auto location =
      catalog::DatasetRegistry::ForOutput(out_dir).Resolve(catalog::kDiagnosticsDataset);
  std::vector<DiagnosticRecord> out;
  if (!catalog::TableExists(location)) return out;
  columnar::RecordBatch b =
      delta::ScanBuilder(catalog::OpenSnapshot(location, 1)).WithThreads(1).Build().ReadAll();
  auto str = [&](const char* name, int64_t i) -> std::optional<std::string> {
    const auto* c = b.ColumnByName(name);
    if (!c || c->IsNull(i)) return std::nullopt;
    return std::string(c->GetString(i));
  };
  auto int32 = [&](const char* name, int64_t i) -> std::optional<int32_t> {
    const auto* c = b.ColumnByName(name);
    if (!c || c->IsNull(i) || c->type_id() != columnar::TypeId::kInt32) return std::nullopt;
    return c->Get<int32_t>(i);
  };
  for (int64_t i = 0; i < b.num_rows(); ++i) {
    DiagnosticRecord r;
    r.build_id = str("build_id", i).value_or("");
    if (build_id && r.build_id != *build_id) continue;
    r.file_id = str("file_id", i);
    r.path = str("path", i);
    r.severity = str("severity", i).value_or("");
    r.code = str("code", i).value_or("");
    r.message = str("message", i).value_or("");
    r.line = int32("line", i);
    r.col = int32("col", i);
    r.source = str("source", i).value_or("");
    r.node_id = str("node_id", i);
    out.push_back(std::move(r));
  }
  SortDiagnostics(&out);
  return out;
}

std::map<std::string, int64_t> CountByCode(const std::vector<DiagnosticRecord>& rows) {
  std::map<std::string, int64_t> out;
  for (const auto& r : rows) ++out[r.code];
  return out;
}

}  // namespace cpglake::pipeline
