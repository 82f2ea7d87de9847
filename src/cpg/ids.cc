#include "cpg/ids.h"

#include <blake2.h>

#include <algorithm>
#include <charconv>

#include "common/error.h"

namespace cpglake::cpg {

void IdPart::AppendTo(std::string* out) const {
  if (std::holds_alternative<std::monostate>(v_)) {
    out->append("__NULL__");
  } else if (const auto* s = std::get_if<std::string_view>(&v_)) {
    out->append(*s);
  } else {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof(buf), std::get<int64_t>(v_));
    out->append(buf, r.ptr);
  }
}

void StableDigest(std::initializer_list<IdPart> parts, uint8_t out[16]) {
  thread_local std::string joined;  // reused: ids are made per node and edge
  joined.clear();
  bool first = true;
  for (const auto& p : parts) {
    if (!first) joined.push_back('\x1f');
    first = false;
    p.AppendTo(&joined);
  }
  if (blake2b(out, joined.data(), nullptr, 16, joined.size(), 0) != 0) {
    throw InternalError("BLAKE2b failed");
  }
}

void HexDigest(const uint8_t digest[16], char out[32]) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
}

std::string StableId(std::string_view prefix, std::initializer_list<IdPart> parts) {
  uint8_t digest[16];
  StableDigest(parts, digest);
  std::string out;
  out.resize(prefix.size() + 1 + 32);
  std::copy(prefix.begin(), prefix.end(), out.begin());
  out[prefix.size()] = ':';
  HexDigest(digest, out.data() + prefix.size() + 1);
  return out;
}

std::string FileId(std::string_view repo_id, std::string_view relative_posix_path) {
  return StableId("file", {repo_id, relative_posix_path});
}

std::string DeclarationId(std::string_view kind, std::string_view file_id,
                          std::string_view qualified_path, int64_t ordinal) {
  return StableId(kind, {file_id, qualified_path, ordinal});
}

std::string AnchoredId(std::string_view kind, std::string_view file_id, int64_t bstart,
                       int64_t bend) {
  return StableId(kind, {file_id, bstart, bend});
}

std::string EdgeId(std::string_view edge_kind, std::string_view src, std::string_view dst,
                   std::optional<int64_t> bstart, std::optional<int64_t> bend) {
  return StableId("edge", {edge_kind, src, dst, bstart ? IdPart(*bstart) : IdPart(std::nullopt),
                           bend ? IdPart(*bend) : IdPart(std::nullopt)});
}

std::string QualifiedNameId(std::string_view qualified_name) {
  return StableId("PY_QUALIFIED_NAME", {qualified_name});
}

bool IsDeclarationKind(std::string_view kind) {
  static constexpr std::string_view kKinds[] = {"PY_MODULE",        "PY_PACKAGE", "CST_CLASS_DEF",
                                                "CST_FUNCTION_DEF", "CST_LAMBDA", "CST_PARAM",
                                                "PY_SCOPE",         "PY_BINDING", "TYPE_PARAM"};
  for (auto k : kKinds) {
    if (k == kind) return true;
  }
  return false;
}

std::string FrontEndNodeId(std::string_view kind, std::string_view file_id, std::string_view name,
                           std::string_view qualified_path, int64_t ordinal, int64_t bstart,
                           int64_t bend) {
  if (IsDeclarationKind(kind) || bstart < 0) {
    return DeclarationId(kind, file_id, qualified_path.empty() ? name : qualified_path, ordinal);
  }
  return AnchoredId(kind, file_id, bstart, bend);
}

}  // namespace cpglake::cpg
