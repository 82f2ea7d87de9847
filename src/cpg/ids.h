// cpg/ — the graph model: stable ids, the table schemas (CPG_MODEL.md), and turning the
// front end's per-file evidence into sorted rows of cpg_nodes / cpg_edges / cpg_props.
//
// This header: stable ids. stable_id(prefix, part1, ..., partN) = prefix + ":" +
// lowercase hex of the 16-byte BLAKE2b digest of the parts joined by 0x1F; a null part is
// "__NULL__"; integers in decimal.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace cpglake::cpg {

// One part of an id: text, an integer, or null.
class IdPart {
 public:
  IdPart(std::string_view s) : v_(s) {}  // NOLINT: implicit on purpose
  IdPart(const std::string& s) : v_(std::string_view(s)) {}
  IdPart(const char* s) : v_(std::string_view(s)) {}
  IdPart(int64_t i) : v_(i) {}
  IdPart(int i) : v_(static_cast<int64_t>(i)) {}
  IdPart(std::nullopt_t) : v_(std::monostate{}) {}
  IdPart(const std::optional<std::string>& s)
      : v_(s ? std::variant<std::monostate, std::string_view, int64_t>(std::string_view(*s))
             : std::variant<std::monostate, std::string_view, int64_t>(std::monostate{})) {}
  // Appends the part's bytes.
  void AppendTo(std::string* out) const;

 private:
  std::variant<std::monostate, std::string_view, int64_t> v_;
};

std::string StableId(std::string_view prefix, std::initializer_list<IdPart> parts);

// The 16-byte digest of a stable id (StableId = prefix + ":" + HexDigest(digest)).
void StableDigest(std::initializer_list<IdPart> parts, uint8_t out[16]);
// Writes the 32 lowercase hex characters of a digest to `out`.
void HexDigest(const uint8_t digest[16], char out[32]);

// The ids CPG_MODEL.md defines.
std::string FileId(std::string_view repo_id, std::string_view relative_posix_path);
std::string DeclarationId(std::string_view kind, std::string_view file_id,
                          std::string_view qualified_path, int64_t ordinal);
std::string AnchoredId(std::string_view kind, std::string_view file_id, int64_t bstart,
                       int64_t bend);
std::string EdgeId(std::string_view edge_kind, std::string_view src, std::string_view dst,
                   std::optional<int64_t> bstart, std::optional<int64_t> bend);
std::string QualifiedNameId(std::string_view qualified_name);

// Kinds whose ids are declaration ids (by qualified path and ordinal, stable when lines move):
// module, package, class, function, lambda, parameter, scope, binding, type parameter.
bool IsDeclarationKind(std::string_view kind);

// The id of a front-end node: a declaration id for declaration kinds and unanchored nodes
// (path = qualified_path, or name when that is empty), else an anchored id by span.
std::string FrontEndNodeId(std::string_view kind, std::string_view file_id, std::string_view name,
                           std::string_view qualified_path, int64_t ordinal, int64_t bstart,
                           int64_t bend);

}  // namespace cpglake::cpg
