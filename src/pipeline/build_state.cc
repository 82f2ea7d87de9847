#include "pipeline/build_state.h"

#include <algorithm>

#include "catalog/dataset_registry.h"
#include "columnar/record_batch.h"
#include "columnar/schema_fingerprint.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/ids.h"
#include "cpg/graph.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/writer.h"
#include "expr/expression.h"
#include "pipeline/repo_scan.h"
#include "python/summary_codec.h"

namespace cpglake::pipeline {

namespace {

using columnar::DataType;
using columnar::Field;

catalog::DatasetLocation Location(const std::string& out_dir, const char* dataset) {
  return catalog::DatasetRegistry::ForOutput(out_dir).Resolve(dataset);
}

columnar::Schema FileStateSchema() {
  const auto str = DataType::String();
  return columnar::Schema(
      std::vector<Field>{Field("file_id", str, false), Field("path", str, false),
                         Field("module_name", str, true), Field("sha256", str, true),
                         Field("cache_key", str, true), Field("resolution_hash", str, true),
                         Field("resolution_deps", str, true), Field("externals", str, true)});
}

columnar::Schema ExtractCacheSchema() {
  const auto str = DataType::String();
  return columnar::Schema(std::vector<Field>{
      Field("cache_key", str, false), Field("sha256", str, false), Field("module_name", str, true),
      Field("summary", DataType::Binary(), false), Field("evidence", DataType::Binary(), true)});
}

std::string Str(const columnar::RecordBatch& b, const char* column, int64_t row) {
  const columnar::Column* c = b.ColumnByName(column);
  if (c == nullptr) throw CorruptData(std::string("state table lacks column ") + column);
  return c->IsNull(row) ? std::string() : std::string(c->GetString(row));
}

delta::WriteResult Write(const std::string& out_dir, const char* dataset,
                         const columnar::RecordBatch& batch, delta::WriteMode mode,
                         const std::map<std::string, std::string>& commit_properties) {
  delta::WriteOptions wo;
  wo.mode = mode;
  wo.schema_mode = mode == delta::WriteMode::kOverwrite ? delta::SchemaMode::kOverwrite
                                                        : delta::SchemaMode::kStrict;
  wo.properties = {{"delta.enableInCommitTimestamps", "true"}};
  wo.commit_properties = commit_properties;
  wo.commit_properties["cpglake.schema_fingerprint"] = columnar::SchemaFingerprint(batch.schema());
  wo.commit_properties["cpglake.ordering_keys"] =
      std::string_view(dataset) == catalog::kExtractCacheDataset ? "cache_key" : "file_id";
  wo.parquet = StateWriterOptions(dataset);
  return delta::WriteDeltaTable(catalog::OpenStore(Location(out_dir, dataset)), batch, wo);
}

}  // namespace

parquet::WriterOptions StateWriterOptions(std::string_view dataset) {
  parquet::WriterOptions o;
  o.codec = parquet::Codec::kZstd;
  o.compression_level = 1;
  if (dataset == catalog::kExtractCacheDataset) {
    // Looked up by key: small row groups (a file's evidence is ~40 KB) and a Bloom filter on
    // the key let a lookup read one row group, not the table's whole evidence column.
    o.row_group_rows = 16;
    parquet::BloomFilterOptions bloom;
    bloom.column = "cache_key";
    o.bloom_filters.push_back(std::move(bloom));
  }
  return o;
}

std::map<std::string, PreviousFile> ReadKnownFiles(const std::string& out_dir) {
  std::map<std::string, PreviousFile> out;
  const auto location = Location(out_dir, catalog::kRepoFilesDataset);
  if (!catalog::TableExists(location)) return out;
  delta::ScanBuilder scan(catalog::OpenSnapshot(location, 1));
  scan.WithColumns({"path", "size_bytes", "mtime_ns", "sha256", "encoding"}).WithThreads(1);
  scan.Build().Execute([&](const columnar::RecordBatch& b) {
    for (int64_t i = 0; i < b.num_rows(); ++i) {
      if (b.column(0).IsNull(i) || b.column(1).IsNull(i) || b.column(2).IsNull(i) ||
          b.column(3).IsNull(i) || b.column(4).IsNull(i)) {
        continue;
      }
      PreviousFile f;
      f.size = b.column(1).Get<int64_t>(i);
      f.mtime_ns = b.column(2).Get<int64_t>(i);
      f.sha256 = std::string(b.column(3).GetString(i));
      f.encoding = std::string(b.column(4).GetString(i));
      out.emplace(std::string(b.column(0).GetString(i)), std::move(f));
    }
  });
  return out;
}

std::map<std::string, FileState> ReadFileState(const std::string& out_dir) {
  std::map<std::string, FileState> out;
  const auto location = Location(out_dir, catalog::kFileStateDataset);
  if (!catalog::TableExists(location)) return out;
  const columnar::RecordBatch b =
      delta::ScanBuilder(catalog::OpenSnapshot(location, 1)).WithThreads(1).Build().ReadAll();
  for (int64_t i = 0; i < b.num_rows(); ++i) {
    FileState s;
    s.file_id = Str(b, "file_id", i);
    s.path = Str(b, "path", i);
    s.module_name = Str(b, "module_name", i);
    s.sha256 = Str(b, "sha256", i);
    s.cache_key = Str(b, "cache_key", i);
    s.resolution_hash = Str(b, "resolution_hash", i);
    // Added later: a state without them is read as "unknown" (its files are re-resolved).
    if (b.ColumnByName("resolution_deps")) s.resolution_deps = Str(b, "resolution_deps", i);
    if (b.ColumnByName("externals")) s.externals = Str(b, "externals", i);
    out[s.file_id] = std::move(s);
  }
  return out;
}

delta::WriteResult WriteFileState(const std::string& out_dir,
                                  const std::map<std::string, FileState>& states,
                                  const std::map<std::string, std::string>& commit_properties) {
  columnar::RecordBatch b = columnar::RecordBatch::MakeEmpty(FileStateSchema());
  for (const auto& [id, s] : states) {
    b.mutable_column(0).AppendString(s.file_id);
    b.mutable_column(1).AppendString(s.path);
    b.mutable_column(2).AppendString(s.module_name);
    b.mutable_column(3).AppendString(s.sha256);
    b.mutable_column(4).AppendString(s.cache_key);
    b.mutable_column(5).AppendString(s.resolution_hash);
    b.mutable_column(6).AppendString(s.resolution_deps);
    b.mutable_column(7).AppendString(s.externals);
  }
  b.set_num_rows(static_cast<int64_t>(states.size()));
  return Write(out_dir, catalog::kFileStateDataset, b, delta::WriteMode::kOverwrite,
               commit_properties);
}

std::string ExtractCacheKey(const std::string& sha256, const std::string& module_name,
                            bool is_package) {
  // Everything the front end's output depends on besides the bytes: the module name (the
  // PY_MODULE node and relative imports), whether it is a package, and the versions of the
  // codec, the graph schema and the tool (a new release may extract differently).
  std::string text =
      "cpglake-extract-v1\n" + sha256 + "\n" + module_name + "\n" +
      (is_package ? "package" : "module") + "\n" + std::to_string(python::kFrontEndCodecVersion) +
      "\n" + std::to_string(cpg::kGraphSchemaVersion) + "\n" + std::string(CpglakeVersion());
  return Blake2bHex(text, 16);
}

std::map<std::string, CacheEntry> ReadExtractCache(const std::string& out_dir,
                                                   const std::set<std::string>& keys,
                                                   bool with_evidence, int threads) {
  std::map<std::string, CacheEntry> out;
  const auto location = Location(out_dir, catalog::kExtractCacheDataset);
  if (keys.empty() || !catalog::TableExists(location)) return out;
  std::vector<std::string> columns = {"cache_key", "sha256", "module_name", "summary"};
  if (with_evidence) columns.push_back("evidence");
  delta::ScanBuilder scan(catalog::OpenSnapshot(location, 1));
  scan.WithColumns(columns).WithThreads(threads);
  // A few keys: pushed down (row-group statistics and the key's Bloom filters find their row
  // groups). Many (every summary of a repository): a plain read of the projected columns is
  // cheaper than probing each row group for each key.
  if (with_evidence || keys.size() <= 64) {
    std::vector<expr::ExprPtr> literals;
    literals.reserve(keys.size());
    for (const auto& k : keys) literals.push_back(expr::Lit(columnar::Value::String(k)));
    scan.WithPredicate(expr::In(expr::Col("cache_key"), std::move(literals)));
  }
  scan.Build().Execute([&](const columnar::RecordBatch& b) {
    const columnar::Column& key = b.column(0);
    for (int64_t i = 0; i < b.num_rows(); ++i) {
      CacheEntry e;
      e.key = std::string(key.GetString(i));
      if (!keys.count(e.key)) continue;
      if (out.count(e.key)) continue;  // appended twice by concurrent builds: equal content
      e.sha256 = std::string(b.column(1).GetString(i));
      e.module_name = b.column(2).IsNull(i) ? "" : std::string(b.column(2).GetString(i));
      e.summary = std::string(b.column(3).GetString(i));
      if (with_evidence && !b.column(4).IsNull(i))
        e.evidence = std::string(b.column(4).GetString(i));
      out.emplace(e.key, std::move(e));
    }
  });
  return out;
}

std::set<std::string> ExtractCacheKeys(const std::string& out_dir) {
  std::set<std::string> out;
  const auto location = Location(out_dir, catalog::kExtractCacheDataset);
  if (!catalog::TableExists(location)) return out;
  delta::ScanBuilder scan(catalog::OpenSnapshot(location, 1));
  scan.WithColumns({"cache_key"}).WithThreads(1);
  scan.Build().Execute([&](const columnar::RecordBatch& b) {
    for (int64_t i = 0; i < b.num_rows(); ++i) out.emplace(b.column(0).GetString(i));
  });
  return out;
}

delta::WriteResult AppendExtractCache(const std::string& out_dir,
                                      const std::vector<CacheEntry>& entries,
                                      const std::map<std::string, std::string>& commit_properties,
                                      bool replace) {
  if (entries.empty()) {
    delta::WriteResult skipped;
    skipped.skipped = true;
    skipped.skip_reason = "no new entries";
    try {
      const auto location = Location(out_dir, catalog::kExtractCacheDataset);
      if (catalog::TableExists(location)) {
        skipped.version = catalog::OpenSnapshot(location, 1)->version();
      }
    } catch (const Error&) {
      // A cache that cannot be read is left for the next build that replaces it.
    }
    return skipped;
  }
  std::vector<const CacheEntry*> sorted;
  for (const CacheEntry& e : entries) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(),
            [](const CacheEntry* a, const CacheEntry* b) { return a->key < b->key; });
  columnar::RecordBatch b = columnar::RecordBatch::MakeEmpty(ExtractCacheSchema());
  for (const CacheEntry* entry : sorted) {
    const CacheEntry& e = *entry;
    b.mutable_column(0).AppendString(e.key);
    b.mutable_column(1).AppendString(e.sha256);
    b.mutable_column(2).AppendString(e.module_name);
    b.mutable_column(3).AppendString(e.summary);
    if (e.evidence) {
      b.mutable_column(4).AppendString(*e.evidence);
    } else {
      b.mutable_column(4).AppendNull();
    }
  }
  b.set_num_rows(static_cast<int64_t>(entries.size()));
  const bool exists = catalog::TableExists(Location(out_dir, catalog::kExtractCacheDataset));
  return Write(out_dir, catalog::kExtractCacheDataset, b,
               exists && !replace ? delta::WriteMode::kAppend : delta::WriteMode::kOverwrite,
               commit_properties);
}

}  // namespace cpglake::pipeline
