// Helpers shared by the maintenance operations (vacuum.cc, optimize.cc, restore_clone.cc).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "delta/actions.h"
#include "delta/deletion_vector.h"
#include "delta/maintenance.h"
#include "storage/object_store.h"

namespace cpglake::delta::maintenance_internal {

inline int64_t NowMs(const std::optional<int64_t>& injected) {
  if (injected) return *injected;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The remove action for a live file (extended file metadata, as Spark writes it).
inline RemoveFile RemoveOf(const AddFile& f, int64_t now, bool data_change) {
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

// The store key of a deletion vector's file, or nullopt (inline, or outside the table).
inline std::optional<std::string> DvKey(const storage::ObjectStore& store,
                                        const std::optional<DeletionVectorDescriptor>& dv) {
  if (!dv || dv->storage_type == 'i') return std::nullopt;
  if (dv->storage_type == 'u') return DeletionVectorPath(*dv);
  return TableKeyOfLogPath(store, DeletionVectorPath(*dv));
}

// Row tracking materialisation (PROTOCOL.md "Row Tracking"): table properties naming the
// hidden columns that hold row ids / row commit versions preserved across rewrites.
inline constexpr char kMaterializedRowIdKey[] = "delta.rowTracking.materializedRowIdColumnName";
inline constexpr char kMaterializedRowCommitVersionKey[] =
    "delta.rowTracking.materializedRowCommitVersionColumnName";

}  // namespace cpglake::delta::maintenance_internal
