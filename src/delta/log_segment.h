// LogSegment: which files of `_delta_log/` make up version N of a table — the newest
// complete checkpoint at or before N, then the commits after it (contiguous), optionally
// with log compaction files standing in for runs of commits. Built from one listing of
// the log directory; `_last_checkpoint` is read as a hint and cross-checked, never trusted
// blindly (a missing, stale or corrupt one is recovered from by listing).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/object_store.h"

namespace cpglake::delta {

// One parsed `_delta_log` file name.
struct LogFile {
  enum class Kind : uint8_t {
    kCommit,               // 00000000000000000007.json
    kCheckpoint,           // 7.checkpoint.parquet
    kMultiPartCheckpoint,  // 7.checkpoint.0000000001.0000000003.parquet
    kV2Checkpoint,         // 7.checkpoint.<uuid>.json | .parquet
    kCompaction,           // 3.7.compacted.json (commits 3..7)
    kChecksum,             // 7.crc
  };
  Kind kind = Kind::kCommit;
  int64_t version = 0;        // commit/checkpoint version; compaction: last version
  int64_t start_version = 0;  // compaction: first version
  int32_t part = 0;           // multi-part: 1-based part number
  int32_t num_parts = 0;
  std::string key;  // store key, e.g. "_delta_log/00000000000000000007.json"
  int64_t size = 0;
  int64_t modification_time_ms = 0;
};

// Parses a file name (without directories); nullopt for files that are not log files.
std::optional<LogFile> ParseLogFileName(std::string_view name);
std::string CommitFileName(int64_t version);  // "00000000000000000007.json"

struct LogSegment {
  int64_t version = -1;  // the version this segment reconstructs
  std::optional<int64_t> checkpoint_version;
  std::vector<LogFile> checkpoint_files;  // all parts (one for classic/V2), in part order
  std::vector<LogFile> commits;           // after the checkpoint, ascending; may include
                                          // compaction files (kind kCompaction) in place of runs
  std::vector<LogFile> all_commits;       // every commit file listed, ascending (time travel)
  std::optional<int64_t> last_checkpoint_hint;  // from _last_checkpoint, when readable
  std::string last_checkpoint_problem;          // why the hint was ignored, if it was
};

// Lists `_delta_log/` and builds the segment for `version` (latest when nullopt).
// NotFound when the directory has no Delta log or the version does not exist;
// CorruptData when commits are missing between the checkpoint and the version.
LogSegment BuildLogSegment(storage::ObjectStore& store, std::optional<int64_t> version);

}  // namespace cpglake::delta
