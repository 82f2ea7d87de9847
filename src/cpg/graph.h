// The graph tables (CPG_MODEL.md "Core tables"): their schemas, row structs, and turning
// the front end's FileEvidence into rows with stable ids. Rows are collected per file (in
// parallel), then merged and sorted as the model specifies:
//   nodes by (path, bstart, bend, node_kind, node_id),
//   edges by (edge_owner_file_id, path, bstart, edge_kind, src_node_id, dst_node_id),
//   props by (entity_id, prop_key);
// nulls first. A duplicate id is an error, never silently dropped.
//
// Two ways to hold rows:
//  - The simple one: NodeRow / EdgeRow / PropRow (every value a std::string or optional),
//    GraphRows, RowsForFile, SortAndCheck and NodesBatch/EdgesBatch/PropsBatch. Easy to
//    read and build by hand; used by tests and for small sets of rows.
//  - The compact one the build uses: RowSet (ids as prefix + 16-byte digest, repeated
//    strings interned, the line/column of anchored nodes held as four integers) and
//    Graph (RowSets merged, sorted by precomputed integer keys, checked, and streamed out as
//    record batches). Both produce the same rows in the same order.
//
// Adding rows that do not come from FileEvidence (repository-level nodes: PY_REPO,
// PY_PACKAGE, scan DIAG nodes; per-file PY_FILE nodes/edges/props; cross-file resolver
// edges and the PY_QUALIFIED_NAME nodes they point at): fill a NodeRow / EdgeRow / PropRow
// and call RowSet::AddNode / AddEdge / AddProp (or RowSet::Add(GraphRows)) on any RowSet
// that goes into Graph::Assemble — e.g. the file's own RowSet, or one RowSet for
// repository-level rows. Every id (node_id, edge_id, src/dst, enclosing_id, entity_id)
// must be a stable id (cpg/ids.h: "PREFIX:" + 32 lowercase hex, no ':' in PREFIX);
// InternalError otherwise. Rows are deduplicated by nobody: add a shared node (e.g. a
// PY_QUALIFIED_NAME target) once — Assemble throws InternalError on a repeated node or
// edge id, or a repeated prop key of one entity. Props added for an entity that has other
// props (a node's evidence props) are merged with them by key.
// AddNode/AddEdge/AddProp are cheap (ids parsed into digests, strings interned); a
// RowSet holds no reference to the rows or the evidence it was given.
#pragma once

#include <climits>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "columnar/record_batch.h"
#include "cpg/ids.h"
#include "python/evidence.h"

namespace cpglake::cpg {

// The version of the graph tables' schema (docs/graph_model.md has the history); written
// into every build commit as `cpglake.schema_version`.
inline constexpr int kGraphSchemaVersion = 2;

columnar::Schema NodesSchema();
columnar::Schema EdgesSchema();
columnar::Schema PropsSchema();

struct NodeRow {
  std::string node_id, node_kind;
  std::optional<std::string> file_id, path;
  std::optional<int64_t> bstart, bend;
  // For people: 1-based lines, 0-based columns in UTF-8 bytes (CPython's ast convention);
  // set for anchored nodes (docs/graph_model.md: columns, not props).
  std::optional<int32_t> line_start, line_end, col_start, col_end;
  std::optional<std::string> name, qualified_name, enclosing_id;
};

struct EdgeRow {
  std::string edge_id, edge_kind, src_node_id, dst_node_id;
  std::optional<std::string> edge_owner_file_id, path;
  std::optional<int64_t> bstart, bend;
  std::optional<std::string> origin, resolution_method;
  std::optional<double> confidence;
  std::optional<int32_t> symbol_roles;
};

struct PropRow {
  std::string entity_kind;  // "node" | "edge"
  std::string entity_id;
  std::optional<std::string> file_id;
  std::string prop_key;
  python::PropValue value;
  bool is_json = false;  // a string value that is JSON text (value_type "json")
};

struct GraphRows {
  std::vector<NodeRow> nodes;
  std::vector<EdgeRow> edges;
  std::vector<PropRow> props;
  void Reserve(size_t nodes_n, size_t edges_n, size_t props_n);
  void Append(GraphRows&& other);
};

// Where a file's evidence sits in the repository.
struct FileContext {
  std::string repo_id;
  std::string file_id;
  std::string path;         // repository-relative POSIX path
  std::string module_name;  // dotted module name ("pkg.mod"; "pkg" for pkg/__init__.py)
};

// Rows of one file's evidence: ids per CPG_MODEL.md (declarations by qualified path and
// ordinal, anchored nodes by span), qualified_name = module_name + "." + qualified_path
// for declarations, enclosing_id, line/column columns (line_start, line_end, col_start,
// col_end) for anchored nodes (diagnostics included), the evidence's own props, diagnostics
// as DIAG nodes with HAS_DIAGNOSTIC edges from the file's module.
GraphRows RowsForFile(const FileContext& file, const python::FileEvidence& evidence);

// Sets the line/column columns of a row anchored at [bstart, bend).
void SetLines(const python::LineIndex& lines, int64_t bstart, int64_t bend, NodeRow* row);

// Sorts as specified; InternalError naming the id when two rows share one.
void SortAndCheck(GraphRows* rows);

columnar::RecordBatch NodesBatch(const std::vector<NodeRow>& rows);
columnar::RecordBatch EdgesBatch(const std::vector<EdgeRow>& rows);
columnar::RecordBatch PropsBatch(const std::vector<PropRow>& rows);

// --- Compact rows ---------------------------------------------------------------------------

class Graph;

// Rows of some part of the graph (typically one file), held compactly. Not thread-safe;
// build one per task and hand them all to Graph::Assemble.
class RowSet {
 public:
  RowSet();
  RowSet(RowSet&&) noexcept;
  RowSet& operator=(RowSet&&) noexcept;
  ~RowSet();

  // Appends the rows RowsForFile(file, evidence) makes (same ids, values and props).
  // Returns the node id of the file's PY_MODULE node (the last one), "" when none.
  std::string AddFileEvidence(const FileContext& file, const python::FileEvidence& evidence);
  // Rows that do not come from evidence (see the top of this header).
  void AddNode(const NodeRow& row);
  void AddEdge(const EdgeRow& row);
  void AddProp(const PropRow& row);
  void Add(const GraphRows& rows);

  // Frees spare capacity; for a RowSet that is complete (kept until Assemble).
  void ShrinkToFit();

  size_t num_nodes() const { return nodes_.size(); }
  size_t num_edges() const { return edges_.size(); }
  size_t num_props() const;

  // The rows as plain structs (unsorted; tests and debugging).
  GraphRows ToRows() const;

 private:
  friend class Graph;
  static constexpr uint32_t kNull = 0xFFFFFFFFu;
  struct Id {                 // "PREFIX:" + hex(digest); prefix == kNull: no id
    uint32_t prefix = kNull;  // symbol of "PREFIX:"
    uint8_t digest[16] = {};
  };
  struct Str {  // bytes [off, off + len) of text_; off == kNull: null
    uint32_t off = kNull, len = 0;
  };
  struct Node {
    Id id, enclosing;
    uint32_t kind = kNull, file_id = kNull, path = kNull;
    uint32_t position = kNull;              // index into positions_: its line/column props
    uint32_t prop_begin = 0, prop_end = 0;  // this node's own props in props_
    int64_t bstart = 0, bend = 0;
    bool has_bstart = false, has_bend = false;
    Str name, qualified_name;
  };
  struct Edge {
    Id id, src, dst;
    uint32_t kind = kNull, owner = kNull, path = kNull, origin = kNull, method = kNull;
    int64_t bstart = 0, bend = 0;
    double confidence = 0;
    int32_t symbol_roles = 0;
    bool has_bstart = false, has_bend = false, has_confidence = false, has_symbol_roles = false;
  };
  enum class ValueType : uint8_t { kString, kInt, kFloat, kBool };
  struct Prop {  // entity, entity kind and file id: those of the node or the LooseProp
    uint32_t key = kNull;
    ValueType type = ValueType::kString;
    bool is_json = false;
    union {
      int64_t i;
      double f;
      bool b;
      Str s;
    } value{};
  };
  struct LooseProp {  // added by AddProp
    Id entity;
    uint32_t entity_kind = kNull, file_id = kNull;
    Prop prop;
  };

  uint32_t Symbol(std::string_view s);
  uint32_t OptSymbol(const std::optional<std::string>& s) { return s ? Symbol(*s) : kNull; }
  Str Text(std::string_view s);
  Str OptText(const std::optional<std::string>& s) { return s ? Text(*s) : Str{}; }
  uint32_t PrefixSymbol(std::string_view prefix);  // the symbol of prefix + ":"
  Id ParseId(std::string_view id, const char* what);
  Id MakeId(std::string_view prefix, std::initializer_list<IdPart> parts);
  // Appends the text form of an id to `out` (no allocation when `out` has room).
  void AppendId(const Id& id, std::string* out) const;
  std::string IdString(const Id& id) const;
  std::string_view SymbolText(uint32_t s) const { return views_[s]; }
  std::string_view TextOf(const Str& s) const {
    return std::string_view(text_).substr(s.off, s.len);
  }
  Prop MakeProp(std::string_view key, const python::PropValue& value, bool is_json);

  std::deque<std::string> symbols_;  // stable addresses: views_ and the indexes point here
  std::vector<std::string_view> views_;
  std::unordered_map<std::string_view, uint32_t> symbol_index_, prefix_index_;
  std::string text_;
  std::vector<Node> nodes_;
  std::vector<Edge> edges_;
  std::vector<Prop> props_;  // props of nodes_ (ranges)
  std::vector<LooseProp> loose_;
  static constexpr int32_t kNoPosition = INT32_MIN;  // a null line or column
  struct Position {
    int32_t line_start, line_end, col_start, col_end;
  };
  uint32_t AddPosition(const python::LineIndex& lines, int64_t bstart, int64_t bend);
  std::vector<Position> positions_;
};

// Stream of record batches; nullopt at the end.
using BatchStream = std::function<std::optional<columnar::RecordBatch>()>;

// The whole graph: RowSets merged, sorted as specified and checked.
class Graph {
 public:
  // InternalError naming the id when two nodes or two edges share an id, or an entity has
  // two props with the same key. `threads` (1 or more) sort in parallel.
  static Graph Assemble(std::vector<RowSet> parts, int threads = 2);

  int64_t num_nodes() const { return static_cast<int64_t>(node_order_.size()); }
  int64_t num_edges() const { return static_cast<int64_t>(edge_order_.size()); }
  int64_t num_props() const { return num_props_; }
  std::map<std::string, int64_t> NodesByKind() const;
  std::map<std::string, int64_t> EdgesByKind() const;

  // The sorted rows as record batches of at most `max_rows` rows (the graph must outlive the
  // stream; each stream can be read once, streams of different tables concurrently).
  BatchStream NodeBatches(int64_t max_rows) const;
  BatchStream EdgeBatches(int64_t max_rows) const;
  BatchStream PropBatches(int64_t max_rows) const;
  // The whole table as one batch (tests).
  columnar::RecordBatch NodesBatch() const;
  columnar::RecordBatch EdgesBatch() const;
  columnar::RecordBatch PropsBatch() const;

 private:
  struct Ref {
    uint32_t part, index;
  };
  // One entity with props: a node (its line/column and own props) or a run of loose props
  // of one entity in one part; entities with equal ids are adjacent.
  struct PropGroup {
    uint32_t part;
    uint32_t node;        // RowSet::kNull: a loose run
    uint32_t begin, end;  // loose run: positions in RowSet::loose_
    bool same_entity;     // the entity of the previous group
  };
  // One prop row of the entity being written: a stored prop, or a line/column prop.
  struct PendingProp {
    uint32_t key_rank, part;
    // node == kNull: loose_[index]; else props_[index] of the node.
    uint32_t node, index, key;
  };
  struct PropCursor {
    size_t group = 0;
    std::vector<PendingProp> pending;
    size_t pos = 0;
    std::string entity_id;  // of the pending props
  };
  void CheckProps() const;  // InternalError when an entity has two props with one key
  void AppendNodes(columnar::RecordBatch& b, size_t begin, size_t end) const;
  void AppendEdges(columnar::RecordBatch& b, size_t begin, size_t end) const;
  // Appends up to `max_rows` props; returns how many.
  int64_t AppendProps(columnar::RecordBatch& b, PropCursor& cursor, int64_t max_rows) const;

  std::vector<RowSet> parts_;
  std::vector<std::vector<uint32_t>> ranks_;  // per part: symbol → global rank
  std::vector<Ref> node_order_, edge_order_;
  std::vector<PropGroup> prop_groups_;
  int64_t num_props_ = 0;
};

}  // namespace cpglake::cpg
