// What the Python front end extracts from one file, before ids and tables: a flat list of
// nodes (with byte spans, names, props and the index of their syntactic owner and enclosing
// definition), edges between them by index, and diagnostics. Node and edge kinds are the
// CPG_MODEL.md names ("CST_FUNCTION_DEF", "SCOPE_BINDS", ...). cpg/ turns this into
// stable ids and table rows; python/ never sees ids.
//
// Producers: syntax extraction (classes, functions, lambdas, parameters, decorators,
// docstrings, imports, calls, arguments, references, attribute accesses, annotations, type
// parameters, syntax errors) and scope analysis (scopes, bindings, def/use sites) append to
// the same FileEvidence.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace cpglake::python {

using PropValue = std::variant<std::string, int64_t, double, bool>;

struct EvidenceNode {
  std::string kind;  // CPG node kind
  // Byte span [bstart, bend) in the file's raw bytes; -1 when the node is not anchored.
  int64_t bstart = -1, bend = -1;
  std::string name;  // the node's own name where it has one
  // Declarations (module, class, function, lambda, parameter, scope, binding, type param):
  // the dotted nesting path within the module, e.g. "Outer.method.<locals>.inner", a
  // parameter as "func(param)"; and the ordinal among same-kind siblings with the same path
  // (0 for the first definition, 1 for a redefinition, ...). Empty for anchored nodes.
  std::string qualified_path;
  int32_t ordinal = 0;
  int32_t parent = -1;     // index of the syntactic owner (CST_PARENT_OF source), -1: none
  int32_t enclosing = -1;  // innermost enclosing function/lambda/class/module node, -1: none
  std::vector<std::pair<std::string, PropValue>> props;  // in a fixed order per kind

  bool operator==(const EvidenceNode&) const = default;
};

struct EvidenceEdge {
  std::string kind;                // CPG edge kind
  int32_t src = -1, dst = -1;      // node indices
  int64_t bstart = -1, bend = -1;  // anchor of the evidence, -1: none
  std::string origin = "syntax";   // syntax | scope | resolver | scip
  std::string resolution_method;   // e.g. lexical, import, qualified_name
  double confidence = 1.0;

  bool operator==(const EvidenceEdge&) const = default;
};

struct Diagnostic {
  std::string severity;  // error | warning | info
  std::string code;      // e.g. SYNTAX_ERROR, UNDECODABLE, TOO_LARGE
  std::string message;
  int64_t bstart = -1, bend = -1;

  bool operator==(const Diagnostic&) const = default;
};

// Line index: line number (1-based) → [start byte, end byte incl. newline), newline kind.
// Newlines are those of Python's tokenizer: LF, CRLF and a lone CR each end a line. Every
// newline starts a new line, so a file ending in a newline has a last, empty line (kNone),
// and an empty file has one empty line. A UTF-8 byte order mark is part of line 1's bytes
// but not of its columns: columns are UTF-8 byte offsets like CPython's ast `col_offset`,
// which does not see the BOM (line 1, column 0 is the byte after the BOM).
enum class NewlineKind : uint8_t { kNone, kLf, kCrLf, kCr };
const char* NewlineKindName(NewlineKind k);  // "none", "lf", "crlf", "cr"

struct LineIndex {
  std::vector<int64_t> line_starts;   // line_starts[i] = byte offset of line i+1
  std::vector<NewlineKind> newlines;  // newlines[i] = how line i+1 ends
  int64_t size = 0;                   // file size in bytes
  int64_t bom = 0;                    // 3 when the file starts with a UTF-8 BOM, else 0
  // A file decoded from another encoding (source_decoding.h): the UTF-8 offset of each raw
  // byte offset (size + 1 entries), so columns count UTF-8 bytes of the decoded line. Empty
  // for UTF-8 files.
  std::vector<int64_t> utf8_offset;

  int64_t line_count() const { return static_cast<int64_t>(line_starts.size()); }
  // Start byte and end byte (after its newline) of a 1-based line; requires 1 <= line <= count.
  int64_t LineStart(int64_t line) const { return line_starts[static_cast<size_t>(line - 1)]; }
  int64_t LineEnd(int64_t line) const {
    return line < line_count() ? line_starts[static_cast<size_t>(line)] : size;
  }
  // 1-based line and 0-based UTF-8 byte column of a byte offset (clamped to the file).
  std::pair<int64_t, int64_t> Position(int64_t byte) const;
  // The byte offset of a line and column (the inverse of Position; the line is clamped to
  // the file and the column to the line's bytes including its newline).
  int64_t Offset(int64_t line, int64_t col) const;

  bool operator==(const LineIndex&) const = default;
};

// Builds the line index of a file's raw bytes.
LineIndex BuildLineIndex(std::string_view source);

struct FileEvidence {
  std::string path;  // repository-relative POSIX path
  std::vector<EvidenceNode> nodes;
  std::vector<EvidenceEdge> edges;
  std::vector<Diagnostic> diagnostics;
  LineIndex lines;

  int32_t AddNode(EvidenceNode n) {
    nodes.push_back(std::move(n));
    return static_cast<int32_t>(nodes.size() - 1);
  }
  void AddEdge(EvidenceEdge e) { edges.push_back(std::move(e)); }

  bool operator==(const FileEvidence&) const = default;
};

}  // namespace cpglake::python
