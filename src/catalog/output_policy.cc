#include "catalog/output_policy.h"

namespace cpglake::catalog {

bool SinkAllowed(const OutputStoragePolicy& policy, const DatasetLocation& target) {
  return target.format == DatasetFormat::kDelta || policy.allow_parquet_exports;
}

void CheckSink(const OutputStoragePolicy& policy, const DatasetLocation& target,
               std::string_view what, const RefusedSinkCallback& on_refused) {
  if (SinkAllowed(policy, target)) return;
  RefusedSink refused;
  refused.what = what.empty() ? std::string("output") : std::string(what);
  refused.path = target.path;
  refused.format = target.format;
  refused.reason = "refusing to write " + refused.what + " as Parquet to " + target.path +
                   ": Delta is cpglake's output format; allow Parquet exports with "
                   "`[output] allow_parquet_exports = true` in cpglake.toml or use "
                   "`cpglake export --format parquet`";
  if (on_refused) on_refused(refused);
  throw SinkRefused(refused.reason);
}

}  // namespace cpglake::catalog
