// scip/ — reads SCIP code-intelligence indexes (the protobuf files written by scip-python and
// other SCIP indexers) into plain structs, and maps their positions to byte offsets
// (positions.h). It depends only on common/; protobuf stays inside this module: no public
// header includes the generated scip.pb.h. Turning occurrences into graph nodes and edges is
// the job of the layers above (docs/scip.md).
//
// Every index is untrusted input: its size is checked before anything is allocated, nesting
// depth is limited, and every malformed input (not protobuf, truncated, a range that is not
// 3 or 4 numbers, ...) is an InvalidInput naming the document and occurrence at fault.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scip/positions.h"

namespace cpglake::scip {

// Bits of Occurrence::roles (SCIP's SymbolRole).
enum SymbolRole : int32_t {
  kRoleDefinition = 1,
  kRoleImport = 2,
  kRoleWriteAccess = 4,
  kRoleReadAccess = 8,
  kRoleGenerated = 16,
  kRoleTest = 32,
  kRoleForwardDefinition = 64,
};

struct Diagnostic {
  int32_t severity = 0;  // 1 error, 2 warning, 3 information, 4 hint
  std::string code;
  std::string message;
  std::string source;
  std::vector<int32_t> tags;
};

struct Occurrence {
  Range range;  // 3-element SCIP ranges become end_line == start_line
  std::string symbol;
  int32_t roles = 0;        // SymbolRole bits
  int32_t syntax_kind = 0;  // SCIP SyntaxKind value, copied through
  std::optional<Range> enclosing_range;
  std::vector<std::string> override_documentation;
  std::vector<Diagnostic> diagnostics;

  bool HasRole(SymbolRole role) const { return (roles & role) != 0; }
};

struct Relationship {
  std::string symbol;
  bool is_reference = false;
  bool is_implementation = false;
  bool is_type_definition = false;
  bool is_definition = false;
};

struct SymbolInfo {
  std::string symbol;
  int32_t kind = 0;  // SCIP SymbolInformation.Kind value, copied through
  std::string display_name;
  std::vector<std::string> documentation;  // Markdown paragraphs
  // The signature (SCIP stores it as a small document: its text and language).
  std::string signature;
  std::string signature_language;
  std::string enclosing_symbol;
  std::vector<Relationship> relationships;
};

struct Document {
  std::string relative_path;
  std::string language;
  PositionEncoding position_encoding = PositionEncoding::kUnspecified;
  std::string text;  // usually empty: indexers rarely embed the file
  std::vector<Occurrence> occurrences;
  std::vector<SymbolInfo> symbols;
};

struct ScipIndex {
  int32_t protocol_version = 0;
  std::string tool_name;
  std::string tool_version;
  std::vector<std::string> tool_arguments;
  std::string project_root;
  int32_t text_document_encoding = 0;  // 0 unspecified, 1 UTF-8, 2 UTF-16
  std::vector<Document> documents;
  std::vector<SymbolInfo> external_symbols;
};

struct ScipReadLimits {
  // protobuf cannot parse a message of 2 GiB or more; real indexes are far smaller.
  uint64_t max_index_bytes = uint64_t{1} << 30;
  // Messages nest only through SymbolInformation.signature_documentation.
  int max_nesting = 16;
};

// Parses the bytes of a SCIP index. Throws InvalidInput when they are not one.
ScipIndex ParseScipIndex(std::string_view bytes, const ScipReadLimits& limits = {});

// Reads and parses a SCIP index file (index.scip). Throws NotFound / IoError when the file
// cannot be read, InvalidInput when it is too large or not a SCIP index.
ScipIndex ReadScipIndex(const std::string& path, const ScipReadLimits& limits = {});

// A SCIP range of 3 ([line, start, end]) or 4 ([start line, start, end line, end]) numbers
// as a Range. Throws InvalidInput for any other length, a negative number or an end before
// the start; `what` names the range in the message.
Range RangeFromScip(const int32_t* values, int count, std::string_view what);

}  // namespace cpglake::scip
