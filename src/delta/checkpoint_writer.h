// Writing checkpoints and cleaning up the expired log (PROTOCOL.md "Checkpoints", "Last
// Checkpoint File", "Metadata Cleanup"; the reference behaviour is delta-spark's
// Checkpoints.scala, LastCheckpointInfo.scala and MetadataCleanup.scala).
//
// A checkpoint holds the reconciled state of one snapshot, one action per row, each action
// kind in its own nullable struct column, as Spark writes them:
//
//   txn, add, remove, metaData, protocol[, domainMetadata]            classic (V1 spec)
//   ... plus checkpointMetadata, sidecar                              V2 top-level file
//   add, remove                                                       V2 sidecar files
//
// `add` has path, partitionValues, size, modificationTime, dataChange (false, as Spark
// writes it), tags, deletionVector, baseRowId, defaultRowCommitVersion, clusteringProvider,
// then `stats` (JSON; table property delta.checkpoint.writeStatsAsJson, default true),
// `partitionValues_parsed` and `stats_parsed` (typed structs; delta.checkpoint.
// writeStatsAsStruct, default false as PROTOCOL.md says — Spark's own default is true).
// `remove` drops stats and tags (tombstones only serve VACUUM) and keeps only tombstones
// whose deletionTimestamp is after now − delta.deletedFileRetentionDuration (default
// "interval 1 week"). `domainMetadata` is written when the table supports the
// domainMetadata writer feature or has live domains. Every column is nullable.
//
// Files are written atomically (temporary object, then rename). `_last_checkpoint` follows:
// {"version","size","sizeInBytes","numOfAddFiles","checkpointSchema"[,"v2Checkpoint"],
// "checksum"} with the checksum delta-spark computes (see LastCheckpointChecksum). It only
// moves forward: a `_last_checkpoint` naming a newer version is left alone. (The check and
// the write are two steps: two writers racing may still leave the older of two versions;
// readers cross-check `_last_checkpoint` against the listing, so that costs only time.)
// Multi-part checkpoints are never written (PROTOCOL.md deprecates them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delta/snapshot.h"
#include "delta/table_configuration.h"
#include "storage/object_store.h"

namespace cpglake::delta {

struct CheckpointOptions {
  enum class Kind : uint8_t {
    kAuto,     // V2 when the table supports the v2Checkpoint writer feature and
               // delta.checkpointPolicy = v2, else classic
    kClassic,  // `<v>.checkpoint.parquet` following the V1 spec (always allowed)
    kV2,       // `<v>.checkpoint.<uuid>.parquet`; InvalidInput unless v2Checkpoint is supported
  };
  Kind kind = Kind::kAuto;
  // "Now" for tombstone (and app transaction) retention, ms since the epoch; nullopt: the
  // system clock.
  std::optional<int64_t> now_ms;
  // V2: file actions (add + remove) per sidecar file under `_delta_log/_sidecars/`; 0 puts
  // them in the top-level file itself. Spark writes sidecars of 50,000 actions.
  int64_t v2_actions_per_sidecar = 50000;
  // Write `_last_checkpoint` (forward only) after the checkpoint.
  bool update_last_checkpoint = true;
  // Threads that build and encode the file (0: one per core). Output does not depend on it,
  // except for V2 file names (random UUIDs).
  int threads = 0;
};

struct CheckpointResult {
  int64_t version = -1;
  bool v2 = false;
  std::string key;                        // the (top-level) checkpoint file's store key
  std::vector<std::string> sidecar_keys;  // V2 sidecars, in order
  int64_t num_actions = 0;                // rows over all files ("size" in _last_checkpoint)
  int64_t num_add_files = 0;
  int64_t num_tombstones = 0;  // remove rows kept (within the retention)
  int64_t num_txns = 0;        // txn rows kept
  int64_t size_in_bytes = 0;   // all files written
  // Whether `_last_checkpoint` was (over)written; false when it names a newer version or
  // update_last_checkpoint is off.
  bool last_checkpoint_written = false;
  std::string last_checkpoint_json;  // what was (or would have been) written
};

// Writes a checkpoint of `snapshot` into its store (snapshot.store()) and then
// `_last_checkpoint`. Throws InvalidInput for options the table does not allow; IoError
// when storage fails (a failed write leaves no partial checkpoint behind).
CheckpointResult WriteCheckpoint(const Snapshot& snapshot, const CheckpointOptions& options = {});

// Deletes expired log files as delta-spark's MetadataCleanup does, and returns how many
// files were deleted (their keys appended to `deleted` when given). Nothing happens when
// delta.enableExpiredLogCleanup is false on `latest`, or when there is no `_last_checkpoint`.
//  * cutoff = (now_ms − delta.logRetentionDuration [default "interval 30 days"]) truncated
//    to the previous UTC midnight;
//  * commits, checkpoints and .crc files are listed in name order; modification times are
//    made monotonic by version (a file not newer than an earlier version's counts as 1 ms
//    after it), and files are grouped into runs that each start at a complete checkpoint;
//  * a run is deleted when a complete checkpoint follows it and the run's last file has a
//    version < the `_last_checkpoint` version and a time <= cutoff. The newest checkpoint
//    and everything after it are therefore never deleted, and every version from the oldest
//    kept checkpoint on can still be reconstructed;
//  * log compaction files that start at or before the newest deleted-up-to checkpoint and
//    are older than the cutoff go too (PROTOCOL.md "Metadata Cleanup" step 3);
//  * when a checkpoint was deleted, sidecar files older than the cutoff that no remaining
//    checkpoint references are deleted (steps 4–5).
// A corrupt `_last_checkpoint` falls back to the newest complete checkpoint in the listing.
int64_t CleanupExpiredLogs(storage::ObjectStore& store, const Snapshot& latest, int64_t now_ms,
                           std::vector<std::string>* deleted = nullptr);

// Whether a commit of `committed_version` should be followed by a checkpoint: every
// delta.checkpointInterval commits (default 10; an unparsable or non-positive value counts
// as the default), never at version 0.
bool ShouldCheckpoint(const TableConfiguration& config, int64_t committed_version);

// Spark's calendar interval syntax for table properties, in milliseconds: an optional
// "interval" then <number> <unit> pairs, units (singular or plural, any case) week, day,
// hour, minute, second, millisecond, microsecond ("interval 1 week", "7 days",
// "interval 168 hours", "1 day 12 hours", "1.5 seconds"). Months and years are InvalidInput
// (Spark refuses them for durations); so is anything else that does not parse, or a
// negative total.
int64_t ParseIntervalMs(std::string_view text);

// Retention durations of a table, in milliseconds.
int64_t DeletedFileRetentionMs(const TableConfiguration& config);  // default 1 week
int64_t LogRetentionMs(const TableConfiguration& config);          // default 30 days

// The checksum of a `_last_checkpoint` JSON document, as delta-spark computes it
// (LastCheckpointInfo.treeNodeToChecksum; PROTOCOL.md "JSON checksum"): every leaf becomes
// `<path>=<value>`, path segments joined by '+', object keys and string values percent-
// encoded (RFC 3986 unreserved set kept, upper-case hex) inside double quotes, array
// positions as plain numbers; the top-level "checksum" entry is left out; the entries are
// sorted as strings (Spark sorts whole `path=value` entries, which differs from PROTOCOL.md's
// path order only when an array of scalars has more than ten elements) and joined by ',';
// the result is the lower-case hex MD5 of that text. InvalidInput when the text is not a
// JSON object.
std::string LastCheckpointChecksum(std::string_view json);

}  // namespace cpglake::delta
