// Binary encodings of a file's front-end results, for the incremental build's extraction
// cache: its ModuleSummary (what cross-file resolution needs) and its FileEvidence (what
// becomes its rows), so that content seen before is never parsed again.
//
// Deterministic: equal values give equal bytes (NaN props and confidences keep their bits).
// Every field round-trips exactly. A blob is
//   magic ("CPGS" summary, "CPGE" evidence), format version (varint), body, checksum
// where the checksum is the XXH64 of everything before it (8 little-endian bytes): a blob
// damaged on disk is refused, never decoded into a different valid value,
// and the body is a fixed sequence of fields: unsigned varints (LEB128), zigzag varints for
// signed values (most spans and indexes as the difference from a neighbour: the previous
// node's start, the node's own start, its own index), doubles as 8 little-endian bytes, and
// strings as a varint reference into a string table that the blob builds as it goes:
// reference 0 is a new string (varint length + bytes) that joins the table when it is at
// most kMaxInternedString bytes long, reference k >= 1 is the table's k-th string. Node and
// edge kinds, prop keys, origins and resolution methods are then one byte each. Long strings
// are never interned, so each byte of a blob decodes to a bounded number of bytes.
//
// Decoding anything that is not a blob of this version — truncated, corrupted, another
// version, trailing bytes — throws InvalidInput (common/error.h); it never reads out of
// bounds and allocates at most a bounded multiple of the input's size. A decoded value also
// satisfies the invariants that cpg/ and the resolver rely on, checked on both sides
// (encoding a value that breaks them throws InvalidInput too):
//   evidence: edge ends are node indexes; parent and enclosing are -1 or node indexes; the
//     line index has one newline kind per line, starts at byte 0 with nondecreasing line
//     starts within the file, a BOM of 0 or 3 and utf8_offset empty or size + 1 entries;
//   summary: every key (module_key, binding keys, SymbolRef keys, classes, returns,
//     references, imports) is -1 or an index into `keys`; enums are in range.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "python/evidence.h"
#include "python/module_summary.h"

namespace cpglake::python {

// The codec's format version (bump when ModuleSummary/FileEvidence change shape); part of the
// extraction cache's key.
// Version 2: the checksum trailer.
inline constexpr int kFrontEndCodecVersion = 2;

// The checksum a blob ends with: XXH64 (seed 0) of `bytes_before` (for tools and the fuzz
// target, which seals arbitrary bodies so that their decoding is exercised).
uint64_t BlobChecksum(std::string_view bytes_before);
// `body` (magic, version, fields) followed by its checksum.
std::string SealBlob(std::string body);

// Strings longer than this are stored inline each time they occur, never by reference.
inline constexpr size_t kMaxInternedString = 64;

std::string EncodeSummary(const ModuleSummary& summary);
ModuleSummary DecodeSummary(std::string_view bytes);
// Only what other files' resolution reads of a summary — its keys, globals, star imports,
// __all__, classes and returns — not its own references and imports (ModuleSummary::complete
// is then false). The whole blob is checked (magic, version, checksum); the parts left out
// are not read, so a malformed reference there is not reported.
ModuleSummary DecodeSharedSummary(std::string_view bytes);

std::string EncodeEvidence(const FileEvidence& evidence);
FileEvidence DecodeEvidence(std::string_view bytes);

}  // namespace cpglake::python
