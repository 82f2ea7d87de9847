#include "table_rows.h"

#include "columnar/value_format.h"
#include "delta/scan.h"

namespace cpglake::delta {

std::multiset<std::string> RowsOf(const std::shared_ptr<const Snapshot>& snap) {
  std::multiset<std::string> out;
  ScanBuilder(snap).WithThreads(1).Build().Execute([&](const columnar::RecordBatch& b) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      std::string s;
      columnar::AppendJsonRow(b, r, columnar::JsonStyle::kReadable, &s);
      out.insert(s);
    }
  });
  return out;
}

std::multiset<std::string> RowsAt(const std::shared_ptr<storage::ObjectStore>& store,
                                  std::optional<int64_t> version) {
  SnapshotBuilder b(store);
  if (version) b.AtVersion(*version);
  return RowsOf(b.Build());
}

}  // namespace cpglake::delta
