// The graph tables (CPG_MODEL.md "Core tables"): their schemas, row structs, and turning
// the front end's FileEvidence into rows with stable ids. Rows are collected per file (in
// parallel), then sorted:
//   nodes by (path, bstart, bend, node_kind, node_id),
//   edges by (edge_owner_file_id, path, bstart, edge_kind, src_node_id, dst_node_id, edge_id),
//   props by (file_id, entity_id, prop_key) — graph schema 2 (docs/graph_model.md); the model
//   says (entity_id, prop_key), which scatters a file's props over every data file;
// nulls first, strings bytewise. Every order leads with the file, so the rows are sorted one
// file at a time (Graph, below). A duplicate id is an error, never silently dropped.
//
// Two ways to hold rows:
//  - The simple one: NodeRow / EdgeRow / PropRow (every value a std::string or optional),
//    GraphRows, RowsForFile, SortAndCheck and NodesBatch/EdgesBatch/PropsBatch. Easy to
//    read and build by hand; used by tests and for small sets of rows.
//  - The compact one the build uses: RowSet (ids as prefix + 16-byte digest, the evidence's
//    references to nodes of the same RowSet — enclosing, edge ends — as indexes, repeated
//    strings interned, the line/column of anchored nodes held as four integers) and
//    Graph (RowSets sorted block by block — a file's rows — by integer keys, checked, and
//    streamed out as record batches). Both produce the same rows in the same order.
//
// Adding rows that do not come from FileEvidence (repository-level nodes: PY_REPO,
// PY_PACKAGE, scan DIAG nodes; per-file PY_FILE nodes/edges/props; cross-file resolver
// edges and the PY_QUALIFIED_NAME nodes they point at): fill a NodeRow / EdgeRow / PropRow
// and call RowSet::AddNode / AddEdge / AddProp (or RowSet::Add(GraphRows)) on any RowSet
// that goes into Graph::Assemble — e.g. the file's own RowSet, or one RowSet for
// repository-level rows. Every id (node_id, edge_id, src/dst, enclosing_id, entity_id)
// must be a stable id (cpg/ids.h: "PREFIX:" + 32 lowercase hex, no ':' in PREFIX);
// InternalError otherwise. Rows are deduplicated by nobody: add a shared node (e.g. a
// PY_QUALIFIED_NAME target) once — a repeated node or edge id, or a repeated prop key of one
// entity, is an InternalError (from Assemble or from the stream: see Graph). Props added for
// an entity that has other props (a node's evidence props) with the same file_id are merged
// with them by key. Keep each file's rows in one RowSet (the file's own) and rows of no file
// in another: Graph sorts a RowSet of one file as one block; any other RowSet is sorted
// whole (correct, but that is the global sort again).
// AddNode/AddEdge/AddProp are cheap (ids parsed into digests, strings interned); a
// RowSet holds no reference to the rows or the evidence it was given.
#pragma once

#include <array>
#include <atomic>
#include <climits>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "columnar/record_batch.h"
#include "common/string_index.h"
#include "cpg/ids.h"
#include "python/evidence.h"

namespace cpglake::cpg {

// The version of the graph tables' schema (docs/graph_model.md has the history); written
// into every build commit as `cpglake.schema_version`.
inline constexpr int kGraphSchemaVersion = 3;

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

// The DIAG node of a file's diagnostic (id from file, span, code and message; no lines) and
// its severity/message/code/diag_source props, appended to `props`.
// The id of the DIAG node of a file's diagnostic (from file, span, code and message).
std::string DiagnosticNodeId(const FileContext& file, const python::Diagnostic& diagnostic);

NodeRow DiagnosticRows(const FileContext& file, const python::Diagnostic& diagnostic,
                       std::string_view diag_source, std::vector<PropRow>* props);

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
  // A node referenced by a row (enclosing, edge ends): an index into nodes_ / node_ids_ (a
  // node of this RowSet: evidence), kExternal | an index into ext_ids_ (an id given as text,
  // which may be anywhere), or kNull (none).
  static constexpr uint32_t kExternal = 0x80000000u;
  // bstart/bend: the values themselves when both fit in [0, 2^32), else (kWide) `start` is an
  // index into wide_. flags: which of them are set (and kHasRoles: an edge's symbol_roles).
  static constexpr uint8_t kHasStart = 1, kHasEnd = 2, kWide = 4, kHasRoles = 8;
  struct Span {
    uint32_t start = 0, end = 0;
    uint8_t flags = 0;
  };
  // A node's id is node_ids_[its index].
  struct Node {
    uint32_t enclosing = kNull;  // a node reference (above)
    uint32_t kind = kNull, file_id = kNull, path = kNull;
    uint32_t position = kNull;  // index into positions_: its line/column props
    // This node's own props: props_[prop_begin, PropEnd(index)) — the props of a node are
    // appended just before the node, so they end where the next node's begin.
    uint32_t prop_begin = 0;
    Span span;
    Str name, qualified_name;
  };
  struct Edge {
    Id id;
    uint32_t src = kNull, dst = kNull;  // node references (above)
    uint32_t kind = kNull, owner = kNull, path = kNull, origin = kNull, method = kNull;
    uint32_t confidence = kNull;  // index into confidences_; kNull: null
    int32_t symbol_roles = 0;     // when span.flags has kHasRoles
    Span span;
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
  Span MakeSpan(std::optional<int64_t> bstart, std::optional<int64_t> bend);
  // A span's bstart / bend; 0 when null.
  int64_t StartOf(const Span& s) const {
    return !(s.flags & kHasStart) ? 0 : (s.flags & kWide) ? wide_[s.start][0] : s.start;
  }
  int64_t EndOf(const Span& s) const {
    return !(s.flags & kHasEnd) ? 0 : (s.flags & kWide) ? wide_[s.start][1] : s.end;
  }
  uint32_t ConfidenceIndex(double c);
  // The id of a node reference (not kNull).
  const Id& RefId(uint32_t ref) const {
    return (ref & kExternal) ? ext_ids_[ref & ~kExternal] : node_ids_[ref];
  }
  uint32_t ExternalRef(const Id& id);
  uint32_t PropEnd(size_t node) const {
    return node + 1 < nodes_.size() ? nodes_[node + 1].prop_begin
                                    : static_cast<uint32_t>(props_.size());
  }
  void PushNode(const Id& id, const Node& node);

  std::deque<std::string> symbols_;  // stable addresses: views_ and the indexes point here
  std::vector<std::string_view> views_;
  StringIndex symbol_index_;  // text → symbol (the same numbers as views_)
  StringIndex prefix_index_;  // id prefix without its ':' → position in prefix_symbols_
  std::vector<uint32_t> prefix_symbols_;
  std::string text_;
  std::vector<Node> nodes_;
  // The ids of nodes_ (kept until every stream has passed: edges refer to them), of the
  // nodes referred to by id (kExternal), spans that do not fit in two uint32, and the
  // distinct edge confidences (indexed by their bit pattern).
  std::vector<Id> node_ids_;
  std::vector<Id> ext_ids_;
  std::vector<std::array<int64_t, 2>> wide_;
  std::vector<double> confidences_;
  std::unordered_map<uint64_t, uint32_t> confidence_index_;
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

// The whole graph: RowSets merged, sorted as specified and checked — block by block.
//
// Every table's order is clustered by file: nodes lead with path, edges with
// edge_owner_file_id, props with file_id. So Assemble does not sort the graph: it files each
// RowSet ("part") under one value of each table's leading column (its "group") and the
// tables are sorted one block at a time, when streamed:
//  - A part whose rows of a table all share one non-null group value (a file's RowSet: all
//    its nodes have the file's path, all its edges the file as owner, all its props the file's
//    id) is pure for that table. Its rows are sorted (with the other pure parts of the same
//    value, if any) only when the stream reaches them; the key arrays live as long as that
//    block. The blocks follow each other by group value (bytewise, as the id and path strings
//    compare).
//  - The rows of every other part (the repository-level RowSet: PY_REPO and
//    PY_QUALIFIED_NAME nodes without a path, PY_PACKAGE nodes at a package directory, scan
//    DIAG nodes at a skipped file's path, edges and props without a file) are "mixed": they
//    are sorted by the full key in Assemble (few rows) and merged in: mixed rows whose group
//    value sorts before a block's come before it, those with the block's value are sorted
//    into the block. Null groups come first. A part that mixes files is therefore correct,
//    only slower (its rows are sorted as one).
// Duplicates: node and edge ids embed their file's id (declaration and anchored ids hash it,
// edge ids hash their ends and span), so two files cannot share one; repository-level ids
// (PY_REPO, PY_PACKAGE, PY_QUALIFIED_NAME, scan DIAG) live in the repository part. Each block
// is therefore checked on its own: a node id, an edge id or an (entity, prop_key) repeated
// within a block (one file with its mixed rows, or all mixed rows) is an InternalError; the
// same id in two blocks is not detected. As blocks are sorted when streamed, the error comes
// from the stream (the table's write fails without a commit), except for mixed rows (checked
// by Assemble). An entity's props are expected to carry one file_id (its file's, or null for
// repository-level entities); props of one entity under two file ids are two groups of rows.
//
// Identical rows and order at any thread count.
class Graph {
 public:
  // InternalError when the mixed rows (see above) repeat a node id, an edge id or an
  // entity's prop key; a block's duplicates are found when it is streamed. `threads` (1 or
  // more) classify the parts in parallel.
  static Graph Assemble(std::vector<RowSet> parts, int threads = 2);

  // Frees each part's rows as soon as the streams that need them have passed them (positions
  // after the nodes, edges after the edges, props after the props, nodes and text after nodes
  // and props, the rest after all three). Then each table can be streamed only once, and at
  // most one stream of each table may be read. Counts (num_*, *ByKind) stay valid. With glibc,
  // the freed pages go back to the system (malloc_trim) every 32 MiB freed.
  // With `derived`, the three derived streams (below) are read too, once each: a part's rows
  // are freed once they and the base streams have passed it (cpg_edges_by_dst, sorted by
  // node, passes every part at its end).
  void ReleaseRowsOnceStreamed(bool derived = false);

  int64_t num_nodes() const { return plans_[kNodes].rows; }
  int64_t num_edges() const { return plans_[kEdges].rows; }
  int64_t num_props() const { return plans_[kProps].rows; }
  std::map<std::string, int64_t> NodesByKind() const { return nodes_by_kind_; }
  std::map<std::string, int64_t> EdgesByKind() const { return edges_by_kind_; }

  // The sorted rows as record batches of at most `max_rows` rows (the graph must outlive the
  // stream; each stream can be read once, streams of different tables concurrently).
  BatchStream NodeBatches(int64_t max_rows) const;
  BatchStream EdgeBatches(int64_t max_rows) const;
  BatchStream PropBatches(int64_t max_rows) const;
  // The whole table as one batch (tests).
  columnar::RecordBatch NodesBatch() const;
  columnar::RecordBatch EdgesBatch() const;
  columnar::RecordBatch PropsBatch() const;

  // The derived tables (cpg/derived_tables.h), streamed as the base tables are. PrepareDerived
  // (once, before any derived stream) resolves each edge's src node and its enclosing
  // definition among the part's own nodes and sorts cpg_edges_by_dst's keys: (dst id, owner)
  // as integers, then (part, edge) — compact keys (32 bytes an edge), never strings; `threads`
  // parts at once. Each derived stream can be read once.
  void PrepareDerived(int threads = 2);
  BatchStream EdgesBySrcBatches(int64_t max_rows) const;
  BatchStream EdgesByDstBatches(int64_t max_rows) const;
  BatchStream PropsMapBatches(int64_t max_rows) const;
  columnar::RecordBatch EdgesBySrcBatch() const;
  columnar::RecordBatch EdgesByDstBatch() const;
  columnar::RecordBatch PropsMapBatch() const;

  Graph() = default;
  Graph(Graph&&) noexcept = default;
  Graph& operator=(Graph&&) noexcept = default;

 private:
  // The streams: the base tables (with a plan each), then the derived tables.
  enum Table { kNodes = 0, kEdges = 1, kProps = 2, kBySrc = 3, kByDst = 4, kPropsMap = 5 };
  static constexpr int kNumTables = 6;
  // A row: nodes_[row], edges_[row], or a prop: props_[prop] of nodes_[row], or loose_[prop]
  // when row == kNull.
  struct RowRef {
    uint32_t part, row, prop;
  };
  // Rows streamed together: those of the pure parts parts[first, last) of the table's plan
  // (one group value) and the mixed rows mixed[mixed_begin, mixed_end). Without pure parts,
  // a run of mixed rows (sorted already); else sorted when streamed.
  struct Unit {
    uint32_t first, last, mixed_begin, mixed_end;
  };
  struct TablePlan {
    std::vector<uint32_t> parts;        // pure parts by group value (then part index)
    std::vector<uint32_t> other_parts;  // the parts not in `parts` (mixed, or without rows)
    std::vector<RowRef> mixed;          // rows of mixed parts, sorted
    std::vector<Unit> units;
    int64_t rows = 0;
  };
  struct Cursor {
    Table stream = kNodes;  // the stream reading the plan (what Release frees for)
    size_t next_unit = 0;
    bool in_unit = false, done = false;
    std::vector<RowRef> rows;  // the current unit's rows, sorted (pure units)
    const RowRef* at = nullptr;
    const RowRef* end = nullptr;
    int64_t emitted = 0;
  };
  // Symbol ranks (bytewise order of the symbols' text, 1-based) over the union of some
  // parts' symbols.
  class Ranks;

  Ranks RanksOf(std::vector<uint32_t> parts) const;
  // Appends the rows of table t of a part.
  void RowsOf(Table t, uint32_t part, std::vector<RowRef>* out) const;
  // The symbol of a row's group value (path, owner, file_id) in its part.
  uint32_t GroupOf(Table t, const RowRef& r) const;
  // Sorts rows of table t by its key; InternalError on a repeated id or (entity, key).
  void Sort(Table t, const Ranks& ranks, std::vector<RowRef>* rows) const;
  // Sorts and checks the rows of plan.units[u] into `out`.
  void SortUnit(Table t, const Unit& u, std::vector<RowRef>* out) const;
  void SortNodes(const Ranks& ranks, std::vector<RowRef>* rows) const;
  void SortEdges(const Ranks& ranks, std::vector<RowRef>* rows) const;
  void SortProps(const Ranks& ranks, std::vector<RowRef>* rows) const;
  // Moves the cursor to a row to write; false at the end of the table. `t`: the plan; rows
  // of units are sorted for stream c.stream (cpg_edges_by_src: by owner, src, edge id).
  bool Advance(Table t, Cursor& c) const;
  void SortBySrc(const Ranks& ranks, std::vector<RowRef>* rows) const;
  void Release(Table t, uint32_t part) const;
  // Appends up to `max_rows` rows; returns how many.
  int64_t Fill(Table t, Cursor& c, columnar::RecordBatch& b, int64_t max_rows) const;
  BatchStream Batches(Table t, int64_t max_rows) const;
  columnar::RecordBatch WholeTable(Table t) const;
  // Derived rows: [begin, end) of the by_src plan's sorted edges (grouped by owner and src),
  // of the by_dst keys, of the props plan's sorted props (grouped by file and entity); each
  // appends whole rows while fewer than `max_rows` are in `b` and returns where it stopped.
  const RowRef* AppendBySrc(columnar::RecordBatch& b, const RowRef* begin, const RowRef* end,
                            int64_t max_rows) const;
  size_t AppendByDst(columnar::RecordBatch& b, size_t begin, int64_t max_rows) const;
  const RowRef* AppendPropsMap(columnar::RecordBatch& b, const RowRef* begin, const RowRef* end,
                               int64_t max_rows) const;
  // One edge's struct (edges list element) to the struct column's children `s`.
  void AppendEdgeStruct(columnar::Column& s, uint32_t part, uint32_t edge, bool by_dst,
                        std::string* id) const;
  // The src node's line, column, enclosing id, kind and name (derived_tables.h) to c[0..4].
  void AppendSrcFields(columnar::Column* const* c, uint32_t part, uint32_t edge,
                       std::string* id) const;
  BatchStream DerivedBatches(Table t, int64_t max_rows) const;
  columnar::RecordBatch WholeDerived(Table t) const;
  // Appends symbol `s` of part `p` to `col`, or a null for kNull.
  static void AppendSymbol(columnar::Column* col, const RowSet& p, uint32_t s);
  // Appends prop `pr` of part `p` as the six value columns of cpg_props (value_type,
  // value_string, value_int, value_float, value_bool, value_json) to cols[0..5].
  static void AppendPropValue(columnar::Column* const* cols, const RowSet& p,
                              const RowSet::Prop& pr);
  void AppendNodes(columnar::RecordBatch& b, const RowRef* begin, const RowRef* end) const;
  void AppendEdges(columnar::RecordBatch& b, const RowRef* begin, const RowRef* end) const;
  void AppendProps(columnar::RecordBatch& b, const RowRef* begin, const RowRef* end) const;

  // Mutable: ReleaseRowsOnceStreamed frees rows from the (const) streams; a part's members
  // are freed only when no stream can read them again (`users_`).
  mutable std::vector<RowSet> parts_;
  TablePlan plans_[3];
  bool release_ = false;
  // Per part and resource (kResPositions, kResEdges, kResProps, kResNodes: nodes_ and text_,
  // kResAll: the whole part): the streams yet to pass it that read it.
  enum Resource { kResPositions = 0, kResEdges, kResProps, kResNodes, kResAll, kNumResources };
  std::unique_ptr<std::atomic<int>[]> users_;  // [part * kNumResources + resource]
  // Derived tables (PrepareDerived): per part and edge, what the edge's src node says — found
  // among the part's own nodes — gathered in part order, so that rendering the edges in
  // cpg_edges_by_dst's order (random parts) reads one record, not the node chain; the keys of
  // cpg_edges_by_dst in order.
  struct SrcInfo {
    int32_t line, col;            // RowSet::kNoPosition: null (also without a src node)
    uint32_t enclosing;           // the src node's enclosing reference (RowSet::kNull: none)
    uint32_t kind;                // the enclosing definition's kind symbol (kNull: not a node here)
    uint32_t name_off, name_len;  // its qualified name in text_ (name_off kNull: null)
  };
  struct DerivedPart {
    std::vector<SrcInfo> src;
  };
  struct DstKey {
    uint64_t hi, lo;      // the dst id's digest
    uint32_t prefix;      // rank of its "PREFIX:" over all parts
    uint32_t owner;       // rank of the edge's owner file id (0: null)
    uint32_t part, edge;  // the edge
  };
  mutable std::vector<DerivedPart> derived_;
  mutable std::vector<DstKey> dst_keys_;
  bool derived_ready_ = false;
  std::unique_ptr<std::atomic<size_t>> freed_ = std::make_unique<std::atomic<size_t>>(0);
  std::map<std::string, int64_t> nodes_by_kind_, edges_by_kind_;
};

}  // namespace cpglake::cpg
