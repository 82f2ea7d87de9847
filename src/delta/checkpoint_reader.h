// Reads the actions of a Parquet checkpoint, multi-part checkpoint part or V2 sidecar
// (the checkpoint schema Spark and delta-rs write: one nullable struct column per action
// kind). `add.stats_parsed` is rendered as stats JSON when `add.stats` is absent.
#pragma once

#include <string>
#include <vector>

#include "delta/actions.h"
#include "storage/object_store.h"

namespace cpglake::delta {

// Appends the actions of the Parquet file at `key`. CorruptData naming the file on error.
void ReadCheckpointParquet(storage::ObjectStore& store, const std::string& key,
                           std::vector<Action>* out);

}  // namespace cpglake::delta
