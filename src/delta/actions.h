// delta/ — the Delta Lake engine: log actions, log segments, replay, snapshots, scans,
// change data feed (and, later, transactions and DML). Depends on expr/, parquet/,
// storage/, columnar/, common/. The specification is the Delta transaction protocol
// (PROTOCOL.md of delta-io/delta); docs/delta.md records what is implemented.
//
// This header holds the log actions as plain structs, and their JSON form (one action per
// line of a commit file, `{"add": {...}}`). Unknown actions and unknown fields are ignored
// (the protocol requires it); malformed JSON or missing required fields are CorruptData
// naming the file and line.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace cpglake::delta {

struct Protocol {
  int32_t min_reader_version = 1;
  int32_t min_writer_version = 2;
  // Present only for reader version 3 / writer version 7.
  std::optional<std::vector<std::string>> reader_features;
  std::optional<std::vector<std::string>> writer_features;
  bool operator==(const Protocol&) const = default;
};

struct Format {
  std::string provider = "parquet";
  std::map<std::string, std::string> options;
  bool operator==(const Format&) const = default;
};

struct Metadata {
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> description;
  Format format;
  // The table schema as Delta schema JSON. Empty when the log has none: old Spark writers
  // logged metaData without schemaString for a table with no columns yet (Spark reads that
  // as an empty schema, and so does ParseDeltaSchema("")).
  std::string schema_string;
  std::vector<std::string> partition_columns;
  std::map<std::string, std::string> configuration;
  std::optional<int64_t> created_time;
  bool operator==(const Metadata&) const = default;
};

// PROTOCOL.md "Deletion Vector Descriptor".
struct DeletionVectorDescriptor {
  char storage_type = 'u';        // 'u' relative UUID path, 'i' inline, 'p' absolute path
  std::string path_or_inline_dv;  // u: <random prefix><Z85 UUID>; i: Z85 data; p: a URI
  std::optional<int32_t> offset;  // byte offset in the DV file (not for inline)
  int32_t size_in_bytes = 0;
  int64_t cardinality = 0;  // number of deleted rows
  // "<storage type><path or inline>[@<offset>]": identifies the DV (file key with the path).
  std::string UniqueId() const;
  bool operator==(const DeletionVectorDescriptor&) const = default;
};

// partitionValues: column name -> serialized value (nullopt for null), ordered by name. A
// sorted vector rather than a std::map: tables have a few partition columns and snapshots
// hold hundreds of thousands of these, so one allocation instead of one node per value.
class PartitionValues {
 public:
  using value_type = std::pair<std::string, std::optional<std::string>>;
  using const_iterator = std::vector<value_type>::const_iterator;
  using iterator = const_iterator;

  PartitionValues() = default;
  PartitionValues(std::initializer_list<value_type> values) {
    for (const auto& v : values) insert_or_assign(v.first, v.second);
  }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  void clear() { items_.clear(); }
  const_iterator find(std::string_view key) const {
    auto it = LowerBound(key);
    return it != items_.end() && it->first == key ? it : items_.end();
  }
  size_t count(std::string_view key) const { return find(key) == end() ? 0 : 1; }
  const std::optional<std::string>& at(std::string_view key) const;
  void insert_or_assign(std::string key, std::optional<std::string> value) {
    auto it = LowerBound(key);
    if (it != items_.end() && it->first == key) {
      items_[static_cast<size_t>(it - items_.begin())].second = std::move(value);
    } else {
      items_.emplace(it, std::move(key), std::move(value));
    }
  }
  bool operator==(const PartitionValues&) const = default;

 private:
  const_iterator LowerBound(std::string_view key) const {
    return std::lower_bound(items_.begin(), items_.end(), key,
                            [](const value_type& v, std::string_view k) { return v.first < k; });
  }
  std::vector<value_type> items_;
};
using Tags = std::map<std::string, std::string>;

struct AddFile {
  std::string path;  // URI-encoded, relative to the table root or absolute
  PartitionValues partition_values;
  int64_t size = 0;
  int64_t modification_time = 0;
  bool data_change = true;
  std::optional<std::string> stats;  // JSON; from checkpoints' stats_parsed it is rendered JSON
  Tags tags;
  std::optional<DeletionVectorDescriptor> deletion_vector;
  std::optional<int64_t> base_row_id;
  std::optional<int64_t> default_row_commit_version;
  std::optional<std::string> clustering_provider;
  bool operator==(const AddFile&) const = default;
};

struct RemoveFile {
  std::string path;
  std::optional<int64_t> deletion_timestamp;
  bool data_change = true;
  std::optional<bool> extended_file_metadata;
  PartitionValues partition_values;
  std::optional<int64_t> size;
  std::optional<std::string> stats;
  Tags tags;
  std::optional<DeletionVectorDescriptor> deletion_vector;
  std::optional<int64_t> base_row_id;
  std::optional<int64_t> default_row_commit_version;
  bool operator==(const RemoveFile&) const = default;
};

struct AddCDCFile {
  std::string path;
  PartitionValues partition_values;
  int64_t size = 0;
  bool data_change = false;
  Tags tags;
  bool operator==(const AddCDCFile&) const = default;
};

struct Txn {
  std::string app_id;
  int64_t version = 0;
  std::optional<int64_t> last_updated;
  bool operator==(const Txn&) const = default;
};

struct DomainMetadata {
  std::string domain;
  std::string configuration;  // opaque string (usually JSON)
  bool removed = false;
  bool operator==(const DomainMetadata&) const = default;
};

// commitInfo is free-form: kept as its JSON object text, with the fields we use extracted.
// Parsing keeps the object text as written (trimmed) and extracts timestamp / operation only
// when they are an integer / a string (inCommitTimestamp, protocol-defined, must be a long).
// Writing: an empty `json` writes an object of the three fields; otherwise `json` (a JSON
// object) is written verbatim, with the three fields written into it when they disagree.
struct CommitInfo {
  std::string json;
  std::optional<int64_t> timestamp;
  std::optional<int64_t> in_commit_timestamp;  // In-Commit Timestamps (ms since the epoch)
  std::optional<std::string> operation;
  bool operator==(const CommitInfo&) const = default;
};

// V2 checkpoints.
struct CheckpointMetadata {
  int64_t version = 0;
  Tags tags;
  bool operator==(const CheckpointMetadata&) const = default;
};

struct Sidecar {
  std::string path;  // relative to _delta_log/_sidecars/ (or absolute)
  int64_t size_in_bytes = 0;
  int64_t modification_time = 0;
  Tags tags;
  bool operator==(const Sidecar&) const = default;
};

using Action = std::variant<Protocol, Metadata, AddFile, RemoveFile, AddCDCFile, Txn,
                            DomainMetadata, CommitInfo, CheckpointMetadata, Sidecar>;

// Parses NDJSON commit (or JSON checkpoint / log compaction) content. Blank lines are
// skipped; unknown action kinds and fields are ignored, and so is an action or optional field
// whose value is null. Strings in partitionValues / tags / configuration may also arrive as
// JSON numbers or booleans (kept as their JSON text). `file_name` is used in errors
// ("00000000000000000003.json line 4: add.size is not a 64-bit integer", "... line 2:
// add.path missing"). A line that is not complete JSON — e.g. the last line of a commit that
// was being written — is CorruptData too; the message then says "possibly truncated" when
// that line has no newline. The caller decides what a partial commit means.
std::vector<Action> ParseActionsJson(std::string_view ndjson, const std::string& file_name);
// Streaming form: calls sink(action) for each action in log order; the sink may move from
// the action. No intermediate vector (a 100k-line commit costs no 40 MB array of variants).
void ParseActionsJson(std::string_view ndjson, const std::string& file_name,
                      const std::function<void(Action&)>& sink);

// One action as a JSON line (no newline), in the field spelling of PROTOCOL.md. Used by
// the writer; ParseActionsJson(SerializeActionJson(a)) == a.
std::string SerializeActionJson(const Action& action);

// The action's kind as spelled in the log: "protocol", "metaData", "add", "remove", "cdc",
// "txn", "domainMetadata", "commitInfo", "checkpointMetadata", "sidecar".
std::string_view ActionName(const Action& action);

}  // namespace cpglake::delta
