// Change data feed reads (PROTOCOL.md "Change Data Files"): the row-level changes of
// commits [start, end]. A commit with `cdc` actions is read from its `_change_data` files;
// any other data-changing commit is derived from its adds (inserts) and removes (deletes),
// including deletion-vector changes of a file (rows newly deleted → delete, rows no longer
// deleted → insert). Output: the table columns (schema of the end version) plus
// `_change_type` (insert / update_preimage / update_postimage / delete), `_commit_version`
// and `_commit_timestamp`. Every commit in the range must have CDF enabled.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "columnar/record_batch.h"
#include "storage/object_store.h"

namespace cpglake::delta {

class TableChanges {
 public:
  // InvalidInput when start > end; NotFound for versions that do not exist.
  TableChanges(std::shared_ptr<storage::ObjectStore> store, int64_t start_version,
               std::optional<int64_t> end_version = std::nullopt);
  // Versions from timestamps (ms): the first commit at or after `start`, the last at or
  // before `end`.
  static TableChanges FromTimestamps(std::shared_ptr<storage::ObjectStore> store, int64_t start_ms,
                                     std::optional<int64_t> end_ms);

  const columnar::Schema& schema() const { return schema_; }
  int64_t start_version() const { return start_; }
  int64_t end_version() const { return end_; }
  // Changes in commit order; within a commit in file order.
  void Execute(const std::function<void(const columnar::RecordBatch&)>& sink);
  columnar::RecordBatch ReadAll();

 private:
  std::shared_ptr<storage::ObjectStore> store_;
  int64_t start_ = 0;
  int64_t end_ = 0;
  columnar::Schema schema_;
};

}  // namespace cpglake::delta
