// The output storage policy: Delta is the only sanctioned output format, and Parquet is
// written only as an explicit export. Every sink that writes a dataset — `cpglake export`,
// the export module (catalog/export.h), SQL `COPY (query) TO ...` — passes the one gate
// below before it writes a byte.
//
// The gate lives in catalog/, not pipeline/, because sql/ sits below pipeline/ in the
// layering (docs/architecture.md) and its exports must pass the same gate.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "catalog/dataset_registry.h"
#include "common/error.h"

namespace cpglake::catalog {

struct OutputStoragePolicy {
  // The format a sink writes when its caller names none (the pipeline's own outputs are
  // always Delta). kParquet is only meaningful together with allow_parquet_exports.
  DatasetFormat format = DatasetFormat::kDelta;
  // `[output] allow_parquet_exports = true` in cpglake.toml, or `cpglake export --format
  // parquet` (the command itself is the explicit permission).
  bool allow_parquet_exports = false;
};

// A sink the gate refused, as the caller can record it (the `_cpglake/diagnostics` table).
struct RefusedSink {
  std::string what;  // the sink, as the caller named it ("export of cpg_nodes", "COPY ... TO")
  std::string path;  // the target location's path
  DatasetFormat format = DatasetFormat::kParquet;
  std::string reason;  // the one-line message of the error thrown
};
using RefusedSinkCallback = std::function<void(const RefusedSink&)>;

// The error of a refused sink: InvalidInput (exit code 2), its own class so callers can
// tell a policy refusal from other bad input.
class SinkRefused : public InvalidInput {
 public:
  explicit SinkRefused(const std::string& message) : InvalidInput(message) {}
};

// The gate. A Delta target passes. A Parquet target passes only when the policy allows
// Parquet exports; otherwise `on_refused` (when given) is called with the refusal and then
// SinkRefused is thrown, saying how to allow it. `what` names the sink in the message.
void CheckSink(const OutputStoragePolicy& policy, const DatasetLocation& target,
               std::string_view what, const RefusedSinkCallback& on_refused = nullptr);

// True when CheckSink would let `target` through (no callback, no exception).
bool SinkAllowed(const OutputStoragePolicy& policy, const DatasetLocation& target);

}  // namespace cpglake::catalog
