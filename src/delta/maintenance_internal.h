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

// The store key of a deletion vector's file, or nullopt (inline, or outside the table).
inline std::optional<std::string> DvKey(const storage::ObjectStore& store,
                                        const std::optional<DeletionVectorDescriptor>& dv) {
  if (!dv || dv->storage_type == 'i') return std::nullopt;
  if (dv->storage_type == 'u') return DeletionVectorPath(*dv);
  return TableKeyOfLogPath(store, DeletionVectorPath(*dv));
}

}  // namespace cpglake::delta::maintenance_internal
