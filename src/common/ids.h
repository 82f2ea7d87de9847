// Identifiers: random UUIDs (commit txnId, data and checkpoint file names) and the version
// string engines record (Delta commitInfo.engineInfo = "cpglake/<version>").
#pragma once

#include <string>
#include <string_view>

namespace cpglake {

// A random (version 4, RFC 9562) UUID in canonical form: "0f8fad5b-d9cb-469f-a165-70867728950e".
std::string RandomUuid();

// The project version, e.g. "0.1.0".
std::string_view CpglakeVersion();

}  // namespace cpglake
