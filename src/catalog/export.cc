#include "catalog/export.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <utility>

#include "common/error.h"
#include "common/ids.h"
#include "common/parallel.h"
#include "delta/scan.h"
#include "delta/scan_stream.h"
#include "delta/schema_json.h"
#include "expr/parser.h"
#include "storage/object_store.h"
#include "storage/writable_file.h"

namespace cpglake::catalog {

namespace {

namespace fs = std::filesystem;
using columnar::RecordBatch;

std::string SchemaFingerprint(const columnar::Schema& schema) {
  const std::string json = delta::SerializeDeltaSchema(schema);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(json.data(), json.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    throw InternalError("SHA-256 of the schema failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < 8 && i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

int ResolveThreads(int threads) {
  return threads > 0 ? threads : DefaultThreads();
}

// "part-00000.parquet" … ; the names a Parquet export writes (and may replace).
std::string PartName(size_t index) {
  char name[48];
  std::snprintf(name, sizeof(name), "part-%05zu.parquet", index);
  return name;
}
bool IsPartName(const std::string& name) {
  if (name.size() != 18 || name.rfind("part-", 0) != 0 || name.substr(10) != ".parquet") {
    return false;
  }
  return std::all_of(name.begin() + 5, name.begin() + 10,
                     [](char c) { return c >= '0' && c <= '9'; });
}

// The local directory of a Parquet export target.
fs::path LocalDirectory(const DatasetLocation& target) {
  auto store = OpenStore(target);  // Unsupported for remote schemes
  auto* local = dynamic_cast<storage::LocalObjectStore*>(store.get());
  if (local == nullptr) {
    throw Unsupported("Parquet exports go to local directories only: " + target.path);
  }
  return fs::path(local->root());
}

// The previous export's parts in `dir`; InvalidInput when the directory may not be written.
std::vector<fs::path> CheckParquetTarget(const fs::path& dir, bool overwrite) {
  std::vector<fs::path> parts;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return parts;
  if (!fs::is_directory(dir, ec)) {
    throw InvalidInput(dir.string() + " exists and is not a directory");
  }
  std::vector<std::string> others;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (storage::IsTemporaryName(name)) continue;  // a crashed write's leftovers
    if (entry.is_regular_file() && IsPartName(name)) {
      parts.push_back(entry.path());
    } else {
      others.push_back(name);
    }
  }
  std::sort(others.begin(), others.end());
  if (!others.empty()) {
    throw InvalidInput("export target " + dir.string() + " is not empty (it holds '" +
                       others.front() + "'" +
                       (others.size() > 1 ? " and " + std::to_string(others.size() - 1) + " more"
                                          : std::string()) +
                       "); export to a new or empty directory");
  }
  if (!parts.empty() && !overwrite) {
    throw InvalidInput("export target " + dir.string() + " holds a previous export (" +
                       std::to_string(parts.size()) +
                       " part files); pass overwrite (--overwrite) to replace it");
  }
  return parts;
}

void SyncDirectory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the files themselves were synced
  ::fsync(fd);
  ::close(fd);
}

ExportResult WriteParquetParts(const columnar::Schema& schema, const delta::BatchSource& source,
                               const DatasetLocation& target, const ExportOptions& options) {
  if (!target.partitioning.empty()) {
    throw Unsupported("partitioned Parquet exports are not supported (target " + target.path + ")");
  }
  if (options.target_file_bytes <= 0) throw InvalidInput("target_file_bytes must be > 0");
  const fs::path dir = LocalDirectory(target);
  const std::vector<fs::path> previous = CheckParquetTarget(dir, options.overwrite);
  fs::create_directories(dir);

  parquet::WriterOptions writer_options = options.parquet;
  writer_options.threads = ResolveThreads(options.threads);
  const int64_t slice_rows = std::max<int64_t>(1, writer_options.row_group_rows);
  const std::string token = RandomUuid().substr(0, 8);

  struct Part {
    fs::path temp;
    int64_t rows = 0;
  };
  std::vector<Part> parts;
  std::vector<fs::path> renamed;
  std::unique_ptr<storage::WritableFile> file;
  std::unique_ptr<parquet::ParquetWriter> writer;
  auto open_part = [&] {
    Part part;
    part.temp = dir / (".cpglake-tmp.export-" + token + "." + PartName(parts.size()));
    parts.push_back(part);
    file = storage::CreateLocalFile(part.temp.string(), /*durable=*/true);
    writer = std::make_unique<parquet::ParquetWriter>(file.get(), schema, writer_options);
  };
  auto close_part = [&] {
    writer->Close();
    parts.back().rows = writer->rows_written();
    writer.reset();
    file.reset();
  };
  auto discard = [&] {
    writer.reset();
    file.reset();
    std::error_code ignored;
    for (const auto& part : parts) fs::remove(part.temp, ignored);
    for (const auto& path : renamed) fs::remove(path, ignored);
  };

  ExportResult result;
  result.format = DatasetFormat::kParquet;
  result.target = target.path;
  try {
    while (auto batch = source()) {
      const int64_t rows = batch->num_rows();
      for (int64_t begin = 0; begin < rows; begin += slice_rows) {
        const int64_t end = std::min(rows, begin + slice_rows);
        if (!writer) open_part();
        writer->Write(begin == 0 && end == rows ? *batch : batch->Slice(begin, end));
        if (file->Tell() >= options.target_file_bytes) close_part();
      }
    }
    if (writer) {
      close_part();
    } else if (parts.empty()) {
      open_part();  // no rows: one file that still carries the schema
      close_part();
    }
    // Every part is complete and synced: move them into place.
    for (size_t i = 0; i < parts.size(); ++i) {
      const fs::path final_path = dir / PartName(i);
      fs::rename(parts[i].temp, final_path);
      renamed.push_back(final_path);
      ExportedFile exported;
      exported.path = final_path.string();
      exported.rows = parts[i].rows;
      exported.bytes = static_cast<int64_t>(fs::file_size(final_path));
      result.rows += exported.rows;
      result.bytes += exported.bytes;
      result.files.push_back(std::move(exported));
    }
  } catch (const fs::filesystem_error& e) {
    discard();
    throw IoError(std::string("export to ") + dir.string() + ": " + e.what());
  } catch (...) {
    discard();
    throw;
  }
  // A replaced export's surplus parts.
  std::error_code ignored;
  for (const auto& old : previous) {
    if (std::find(renamed.begin(), renamed.end(), old) == renamed.end()) fs::remove(old, ignored);
  }
  SyncDirectory(dir);
  return result;
}

ExportResult WriteDeltaCopy(const columnar::Schema& schema, const delta::BatchSource& source,
                            const DatasetLocation& target, const ExportOptions& options) {
  if (target.delta_version || target.delta_timestamp_ms) {
    throw InvalidInput("export target " + target.path + " cannot be pinned to a version");
  }
  delta::WriteOptions wo;
  wo.mode = delta::WriteMode::kErrorIfExists;
  wo.partition_by = target.partitioning;
  wo.properties = options.table_properties;
  wo.commit_properties = options.commit_properties;
  wo.parquet = options.parquet;
  wo.parquet.threads = ResolveThreads(options.threads);
  wo.target_file_bytes = options.target_file_bytes;
  wo.now_ms = options.now_ms;
  auto r = delta::WriteDeltaTable(OpenStore(target), schema, source, wo);
  ExportResult result;
  result.format = DatasetFormat::kDelta;
  result.target = target.path;
  result.rows = r.totals.rows_added;
  result.bytes = r.totals.bytes_added;
  result.target_version = r.version;
  result.files.push_back({target.path, r.totals.rows_added, r.totals.bytes_added});
  return result;
}

}  // namespace

ExportResult ExportBatches(const columnar::Schema& schema, const delta::BatchSource& source,
                           const DatasetLocation& target, const OutputStoragePolicy& policy,
                           const ExportOptions& options, std::string_view what) {
  CheckSink(policy, target, what, options.on_refused);
  ExportResult result = target.format == DatasetFormat::kParquet
                            ? WriteParquetParts(schema, source, target, options)
                            : WriteDeltaCopy(schema, source, target, options);
  result.schema = schema.ToString();
  result.schema_fingerprint = SchemaFingerprint(schema);
  return result;
}

ExportResult ExportSnapshot(const DatasetLocation& source, const DatasetLocation& target,
                            const OutputStoragePolicy& policy, const ExportOptions& options) {
  const std::string what = "export of " + source.path;
  CheckSink(policy, target, what, options.on_refused);
  if (target.format == DatasetFormat::kDelta && target.path == source.path) {
    throw InvalidInput("export target is the source table itself: " + target.path);
  }
  auto snapshot = OpenSnapshot(source, options.threads);
  delta::ScanBuilder builder(snapshot);
  if (options.columns) builder.WithColumns(*options.columns);
  if (!options.predicate.empty()) builder.WithPredicate(expr::ParsePredicate(options.predicate));
  builder.WithThreads(options.threads);
  delta::Scan scan = builder.Build();
  const columnar::Schema schema = scan.schema();
  ExportOptions effective = options;
  if (target.format == DatasetFormat::kDelta) {
    effective.commit_properties["cpglake.export_source"] = source.path;
    effective.commit_properties["cpglake.export_source_version"] =
        std::to_string(snapshot->version());
  }
  delta::ScanStream pump(std::move(scan));
  ExportResult result = ExportBatches(
      schema, [&]() { return pump.Next(); }, target, policy, effective, what);
  result.source_version = snapshot->version();
  return result;
}

}  // namespace cpglake::catalog
