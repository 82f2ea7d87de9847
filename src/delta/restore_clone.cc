// RESTORE and CLONE (delta/maintenance.h).
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "columnar/schema_fingerprint.h"
#include "columnar/value_format.h"
#include "common/error.h"
#include "common/ids.h"
#include "delta/data_file_writer.h"
#include "delta/deletion_vector.h"
#include "delta/maintenance.h"
#include "delta/maintenance_internal.h"
#include "delta/partitioning.h"
#include "delta/transaction.h"
#include "delta/writer.h"

namespace cpglake::delta {

namespace {

namespace mi = maintenance_internal;

// Identifies a live file as log replay does: decoded path and deletion vector.
std::string FileIdentity(const std::string& path,
                         const std::optional<DeletionVectorDescriptor>& dv) {
  std::string key;
  try {
    key = storage::UriDecode(path);
  } catch (const Error&) {
    key = path;
  }
  key += '\x1f';
  if (dv) key += dv->UniqueId();
  return key;
}

// Every writer feature a protocol supports (explicit, or implied by legacy versions), and
// its reader features.
void ProtocolFeatures(const Protocol& p, std::set<std::string>* reader,
                      std::set<std::string>* writer) {
  if (p.min_writer_version >= 7) {
    if (p.writer_features) writer->insert(p.writer_features->begin(), p.writer_features->end());
  } else {
    const int w = p.min_writer_version;
    if (w >= 2) writer->insert({"appendOnly", "invariants"});
    if (w >= 3) writer->insert("checkConstraints");
    if (w >= 4) writer->insert({"changeDataFeed", "generatedColumns"});
    if (w >= 5) writer->insert("columnMapping");
    if (w >= 6) writer->insert("identityColumns");
  }
  if (p.min_reader_version >= 3) {
    if (p.reader_features) reader->insert(p.reader_features->begin(), p.reader_features->end());
  } else if (p.min_reader_version >= 2) {
    reader->insert("columnMapping");
  }
}

// The smallest protocol supporting everything `a` and `b` support.
Protocol UnionProtocol(const Protocol& a, const Protocol& b) {
  if (a.min_writer_version < 7 && b.min_writer_version < 7 && a.min_reader_version < 3 &&
      b.min_reader_version < 3) {
    return Protocol{std::max(a.min_reader_version, b.min_reader_version),
                    std::max(a.min_writer_version, b.min_writer_version), std::nullopt,
                    std::nullopt};
  }
  std::set<std::string> r, w;
  ProtocolFeatures(a, &r, &w);
  ProtocolFeatures(b, &r, &w);
  Protocol p;
  p.min_writer_version = 7;
  p.writer_features = std::vector<std::string>(w.begin(), w.end());
  if (a.min_reader_version >= 3 || b.min_reader_version >= 3) {
    p.min_reader_version = 3;
    p.reader_features = std::vector<std::string>(r.begin(), r.end());
  } else {
    p.min_reader_version = std::max(a.min_reader_version, b.min_reader_version);
  }
  return p;
}

// Copies one object between stores in bounded pieces.
void CopyObject(storage::ObjectStore& from, const std::string& from_key, storage::ObjectStore& to,
                const std::string& to_key) {
  auto in = from.OpenForRead(from_key);
  auto out = to.OpenForWrite(to_key);
  constexpr int64_t kChunk = int64_t{8} << 20;
  std::vector<uint8_t> buf(static_cast<size_t>(std::min<int64_t>(kChunk, in->Size())));
  for (int64_t off = 0; off < in->Size(); off += kChunk) {
    const int64_t n = std::min(kChunk, in->Size() - off);
    in->ReadAt(off, n, buf.data());
    out->Append(buf.data(), static_cast<size_t>(n));
  }
  out->Close();
}

// Where a data file of `table` is: (store, key) — the table's own store for paths inside
// it, another local directory for absolute paths elsewhere.
std::pair<std::shared_ptr<storage::ObjectStore>, std::string> Locate(
    const std::shared_ptr<storage::ObjectStore>& table, const std::string& log_path) {
  if (auto key = TableKeyOfLogPath(*table, log_path)) return {table, *key};
  std::string path = log_path;
  if (log_path.rfind("file:", 0) != 0) path = storage::UriDecode(log_path);
  if (path.find("://") != std::string::npos && path.rfind("file:", 0) != 0) {
    throw Unsupported("data file on another file system: " + log_path);
  }
  const auto slash = path.rfind('/');
  const std::string name = path.substr(slash + 1);
  return {storage::OpenObjectStore(path.substr(0, std::max<size_t>(slash, 1))),
          log_path.rfind("file:", 0) == 0 ? storage::UriDecode(name) : name};
}

}  // namespace

RestoreResult Restore(const std::shared_ptr<storage::ObjectStore>& store,
                      const RestoreOptions& options) {
  if (options.version.has_value() == options.timestamp_ms.has_value()) {
    throw InvalidInput("restore needs exactly one of a version or a timestamp");
  }
  const int64_t now = mi::NowMs(options.now_ms);
  auto latest = SnapshotBuilder(store).Build();
  CheckWritable(latest->config());
  SnapshotBuilder b(store);
  if (options.version) {
    if (*options.version > latest->version() || *options.version < 0) {
      throw NotFound("cannot restore version " + std::to_string(*options.version) +
                     ": the table's versions are 0 to " + std::to_string(latest->version()));
    }
    b.AtVersion(*options.version);
  } else {
    b.AtTimestamp(*options.timestamp_ms);
  }
  auto target = b.Build();
  RestoreResult result;
  result.restored_version = target->version();

  std::unordered_map<std::string, const AddFile*> now_files, then_files;
  for (const auto& f : latest->files()) now_files[FileIdentity(f.path, f.deletion_vector)] = &f;
  for (const auto& f : target->files()) then_files[FileIdentity(f.path, f.deletion_vector)] = &f;

  // Metadata and protocol of the target; table-level state that cannot go back (in-commit
  // timestamps, materialised row tracking columns) is kept as it is now.
  Metadata m = target->metadata();
  for (const auto& [k, v] : latest->metadata().configuration) {
    if (k == "delta.enableInCommitTimestamps" || k.rfind("delta.inCommitTimestamp", 0) == 0 ||
        k.rfind("delta.rowTracking.", 0) == 0) {
      m.configuration[k] = v;
    }
  }
  Protocol p = UnionProtocol(latest->protocol(), target->protocol());
  p = RequiredProtocol(p, m);

  CommitOptions co;
  co.operation = "RESTORE";
  co.now_ms = options.now_ms;
  if (options.version) {
    co.operation_parameters["version"] = std::to_string(*options.version);
  } else {
    co.operation_parameters["timestamp"] =
        columnar::FormatTimestamp(*options.timestamp_ms * 1000, true);
  }
  Transaction txn(store, latest, co);
  txn.TrackRead(nullptr);
  if (!(m == latest->metadata())) {
    txn.UpdateMetadata(m);
    result.metadata_changed = true;
  }
  if (!(p == latest->protocol())) {
    txn.UpdateProtocol(p);
    result.protocol_changed = true;
  }
  // Files to bring back must still exist (VACUUM may have deleted them).
  for (const auto& f : target->files()) {
    if (now_files.count(FileIdentity(f.path, f.deletion_vector))) continue;
    auto check = [&](const std::optional<std::string>& key, const char* what) {
      if (key && !store->Exists(*key)) {
        throw NotFound("cannot restore version " + std::to_string(target->version()) + ": " + what +
                       " " + store->DisplayPath(*key) + " no longer exists (deleted by VACUUM?)");
      }
    };
    check(TableKeyOfLogPath(*store, f.path), "data file");
    check(mi::DvKey(*store, f.deletion_vector), "deletion vector file");
    AddFile add = f;
    add.data_change = true;
    txn.AddFile(add);
    ++result.files_restored;
    result.bytes_restored += f.size;
  }
  for (const auto& f : latest->files()) {
    if (then_files.count(FileIdentity(f.path, f.deletion_vector))) continue;
    txn.RemoveFile(RemoveFor(f, now, /*data_change=*/true));
    ++result.files_removed;
    result.bytes_removed += f.size;
  }
  result.files_after = static_cast<int64_t>(target->files().size());
  result.bytes_after = target->total_bytes();
  if (result.files_restored == 0 && result.files_removed == 0 && !result.metadata_changed &&
      !result.protocol_changed) {
    return result;  // nothing to do
  }
  txn.options().operation_metrics = {{"numRestoredFiles", std::to_string(result.files_restored)},
                                     {"restoredFilesSize", std::to_string(result.bytes_restored)},
                                     {"numRemovedFiles", std::to_string(result.files_removed)},
                                     {"removedFilesSize", std::to_string(result.bytes_removed)},
                                     {"numOfFilesAfterRestore", std::to_string(result.files_after)},
                                     {"tableSizeAfterRestore", std::to_string(result.bytes_after)}};
  CommitResult cr = txn.Commit();
  result.version = cr.version;
  result.commit_info = cr.commit_info;
  return result;
}

CloneResult Clone(const std::shared_ptr<storage::ObjectStore>& source,
                  const std::shared_ptr<storage::ObjectStore>& target,
                  const CloneOptions& options) {
  if (options.version && options.timestamp_ms) {
    throw InvalidInput("clone takes a version or a timestamp, not both");
  }
  const int64_t now = mi::NowMs(options.now_ms);
  SnapshotBuilder b(source);
  if (options.version) b.AtVersion(*options.version);
  if (options.timestamp_ms) b.AtTimestamp(*options.timestamp_ms);
  auto src = b.Build();
  CheckWritable(src->config());
  if (!target->List("_delta_log").empty()) {
    throw InvalidInput(target->DisplayPath("") +
                       " already holds a Delta table: clone into a new location");
  }
  if (!target->ListRecursive("").empty()) {
    throw InvalidInput(target->DisplayPath("") +
                       " is not empty: clone into a new (empty or missing) directory");
  }
  CloneResult result;
  result.source_version = src->version();
  result.source_timestamp_ms = src->timestamp_ms();
  result.rows = src->total_rows();
  result.schema_fingerprint = columnar::SchemaFingerprint(src->schema());
  const std::string source_name = options.source_name.value_or(source->DisplayPath(""));

  Metadata m = src->metadata();
  m.id = RandomUuid();
  m.created_time = now;
  // In-commit timestamps (when on) hold from version 0 of the clone.
  m.configuration.erase("delta.inCommitTimestampEnablementVersion");
  m.configuration.erase("delta.inCommitTimestampEnablementTimestamp");

  CommitOptions co;
  co.operation = "CLONE";
  co.now_ms = options.now_ms;
  const std::string ts = columnar::FormatTimestamp(src->timestamp_ms() * 1000, true);
  co.operation_parameters = {{"source", source_name},
                             {"sourceVersion", std::to_string(src->version())},
                             {"sourceTimestamp", ts},
                             {"isShallow", "false"}};
  co.commit_properties = {{"clone_source", source_name},
                          {"source_version", std::to_string(src->version())},
                          {"source_timestamp", ts}};
  Transaction txn(target, nullptr, co);
  txn.UpdateProtocol(src->protocol());
  txn.UpdateMetadata(m);
  for (const auto& [name, d] : src->domain_metadata()) {
    if (name.rfind("delta.", 0) != 0) txn.SetDomainMetadata(d);
  }

  std::vector<std::string> copied;  // target keys
  std::set<std::string> copied_set;
  std::map<std::string, std::string> absolute_dvs;  // source 'p' path -> new 'u' Z85 id
  try {
    for (const auto& f : src->files()) {
      AddFile add = f;
      auto [from, from_key] = Locate(source, f.path);
      std::string to_key = from_key;
      if (from != source) {
        // An absolute path outside the source table: the copy goes into the clone's root.
        add.path = EncodeLogPath(to_key);
      }
      if (copied_set.insert(to_key).second) {
        if (!from->Exists(from_key)) {
          throw NotFound("cannot clone version " + std::to_string(src->version()) + ": data file " +
                         from->DisplayPath(from_key) + " no longer exists (deleted by VACUUM?)");
        }
        copied.push_back(to_key);
        CopyObject(*from, from_key, *target, to_key);
        ++result.files_copied;
        result.bytes_copied += f.size;
      }
      if (f.deletion_vector && f.deletion_vector->storage_type != 'i') {
        DeletionVectorDescriptor dv = *f.deletion_vector;
        if (dv.storage_type == 'u') {
          const std::string key = DeletionVectorPath(dv);
          if (copied_set.insert(key).second) {
            copied.push_back(key);
            CopyObject(*source, key, *target, key);
            ++result.dv_files_copied;
          }
        } else {
          // 'p': copy into the clone as a relative ('u') DV file.
          const std::string path = DeletionVectorPath(dv);
          auto it = absolute_dvs.find(path);
          if (it == absolute_dvs.end()) {
            const std::string uuid = RandomUuid();
            const std::string key = "deletion_vector_" + uuid + ".bin";
            auto [dv_store, dv_key] = Locate(source, path);
            copied.push_back(key);
            copied_set.insert(key);
            CopyObject(*dv_store, dv_key, *target, key);
            ++result.dv_files_copied;
            it = absolute_dvs.emplace(path, UuidToZ85(uuid)).first;
          }
          dv.storage_type = 'u';
          dv.path_or_inline_dv = it->second;
        }
        add.deletion_vector = dv;
      }
      add.data_change = true;
      add.modification_time = now;
      // Row ids are assigned afresh by the commit (the clone has its own high-water mark).
      add.base_row_id.reset();
      add.default_row_commit_version.reset();
      txn.AddFile(std::move(add));
    }
    txn.options().operation_metrics = {{"sourceTableSize", std::to_string(src->total_bytes())},
                                       {"sourceNumOfFiles", std::to_string(src->files().size())},
                                       {"numCopiedFiles", std::to_string(result.files_copied)},
                                       {"copiedFilesSize", std::to_string(result.bytes_copied)},
                                       {"numRemovedFiles", "0"},
                                       {"removedFilesSize", "0"}};
    CommitResult cr = txn.Commit();
    result.version = cr.version;
    result.commit_info = cr.commit_info;
    return result;
  } catch (...) {
    if (txn.maybe_committed()) throw;
    for (const auto& k : copied) {
      try {
        target->Delete(k);
      } catch (...) {
      }
    }
    throw;
  }
}

}  // namespace cpglake::delta
