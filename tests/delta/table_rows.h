// Test helpers: the live rows of a Delta table as a multiset of JSON lines, for comparing
// table contents regardless of file and row order.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "delta/snapshot.h"
#include "storage/object_store.h"

namespace cpglake::delta {

// Every live row of a snapshot, as JSON text (a multiset: order does not matter).
std::multiset<std::string> RowsOf(const std::shared_ptr<const Snapshot>& snap);
// The same for the table in `store` at `version` (the latest when nullopt).
std::multiset<std::string> RowsAt(const std::shared_ptr<storage::ObjectStore>& store,
                                  std::optional<int64_t> version = std::nullopt);

}  // namespace cpglake::delta
