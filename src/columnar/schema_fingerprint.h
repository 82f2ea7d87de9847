// Schema fingerprints: a stable hash of a schema's shape — field names, types (nested ones
// included) and nullability, in order — for commit metadata (`cpglake.schema_fingerprint`),
// the build manifest and migration reports. Two schemas have the same fingerprint exactly
// when their canonical strings are equal. Field metadata (column mapping ids, comments) is
// not part of it: a table keeps its fingerprint when column mapping is turned on.
#pragma once

#include <string>

#include "columnar/types.h"

namespace cpglake::columnar {

// The canonical text the fingerprint hashes: one `name:type` per field, joined by ",",
// where a nullable field's type ends in "?" (nullable is the default in Delta, so it is the
// explicit case), and nested types spell out their children the same way:
// "file_id:string,path:string?,tags:array<string?>?,m:map<string,long?>?,s:struct<a:int>?".
// Names are written as they are (a name holding ",:<>?" can make two schemas collide only
// with a name that differs in those characters; Delta column names rarely hold them).
std::string SchemaCanonicalString(const Schema& schema);

// 32 lowercase hex characters: BLAKE2b-128 of "cpglake-schema-v1\n" + the canonical string.
std::string SchemaFingerprint(const Schema& schema);

}  // namespace cpglake::columnar
