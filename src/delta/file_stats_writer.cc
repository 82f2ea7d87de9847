#include "delta/file_stats_writer.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <set>

#include "columnar/value_format.h"
#include "common/ascii.h"
#include "common/error.h"
#include "common/utf8.h"
#include "delta/partitioning.h"
#include "expr/expression.h"
#include "parquet/bit_util.h"
#include "parquet/statistics.h"

namespace cpglake::delta {

using columnar::Column;
using columnar::TypeId;

namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// "YYYY-MM-DDTHH:MM:SS.mmm" (+ "Z" when `utc`) of a whole number of milliseconds.
std::string FormatMillisTimestamp(int64_t millis, bool utc) {
  int64_t days = FloorDiv(millis, 86400000);
  int64_t rem = millis - days * 86400000;
  int64_t secs = rem / 1000, ms = rem % 1000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "T%02d:%02d:%02d.%03d%s", static_cast<int>(secs / 3600),
                static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60), static_cast<int>(ms),
                utc ? "Z" : "");
  return columnar::FormatDate(static_cast<int32_t>(days)) + buf;
}

// Byte offset just after the first `chars` code points of valid UTF-8 `s` (s.size() when it
// has fewer).
size_t PrefixBytes(std::string_view s, int64_t chars) {
  size_t i = 0;
  uint32_t cp;
  for (int64_t k = 0; k < chars && i < s.size(); ++k) i += DecodeUtf8(s, i, &cp);
  return i;
}

// Spark's string max bound (see the header); nullopt when there is none.
std::optional<std::string> TruncateMaxString(std::string_view s, int prefix_chars) {
  size_t cut = PrefixBytes(s, prefix_chars);
  if (cut == s.size()) return std::string(s);
  size_t pos = cut;
  uint32_t cp = 0;
  for (int extended = 0; pos < s.size(); ++extended) {
    size_t n = DecodeUtf8(s, pos, &cp);
    if (cp < 0xFFFD) {
      std::string out(s.substr(0, pos));
      AppendUtf8(0xFFFD, &out);
      return out;
    }
    if (extended == prefix_chars) return parquet::TruncateMax(s, cut, /*utf8=*/true);
    pos += n;
  }
  return std::string(s);  // only characters >= U+FFFD after the prefix: keep it whole
}

void AppendKey(const std::string& name, std::string* out) {
  columnar::AppendJsonString(name, out);
  out->push_back(':');
}

}  // namespace

struct FileStatsCollector::Node {
  std::string logical_name;
  std::string physical_name;
  columnar::TypePtr type;
  std::vector<Node> children;  // structs: the selected fields
  int leaf = -1;               // other types: index into leaves_
  bool has_bounds = false;     // this leaf, or some leaf below, can have min/max
};

struct FileStatsCollector::Leaf {
  TypeId type_id = TypeId::kNull;
  int scale = 0;
  StatKind kind = StatKind::kNullCountOnly;
  int64_t null_count = 0;
  bool has_value = false;  // some non-null value seen (min/max are set)
  int64_t imin = 0, imax = 0;
  double dmin = 0, dmax = 0;
  __int128 cmin = 0, cmax = 0;
  std::string smin, smax;
};

namespace {

using Node = FileStatsCollector::Node;
using Leaf = FileStatsCollector::Leaf;

// Builds the selected tree for `field` (all of it when `paths` holds an empty path).
std::optional<Node> Select(const columnar::Field& field, ColumnMappingMode mode,
                           const std::vector<std::vector<std::string>>* paths, int64_t* budget,
                           std::vector<Leaf>* leaves) {
  Node node;
  node.logical_name = field.name;
  node.physical_name = mode == ColumnMappingMode::kNone ? field.name : PhysicalName(field);
  node.type = field.type;
  bool whole = paths == nullptr;
  std::vector<std::vector<std::string>> rest;
  if (paths) {
    for (const auto& p : *paths) {
      if (p.empty()) {
        whole = true;
      } else {
        rest.push_back(p);
      }
    }
  }
  if (field.type->id() == TypeId::kStruct) {
    for (const auto& child : field.type->fields()) {
      if (budget && *budget <= 0) break;
      std::vector<std::vector<std::string>> sub;
      if (!whole) {
        for (const auto& p : rest) {
          if (AsciiLower(p[0]) == AsciiLower(child.name)) sub.emplace_back(p.begin() + 1, p.end());
        }
        if (sub.empty()) continue;
      }
      auto c = Select(child, mode, whole ? nullptr : &sub, budget, leaves);
      if (c) {
        node.has_bounds = node.has_bounds || c->has_bounds;
        node.children.push_back(std::move(*c));
      }
    }
    if (node.children.empty()) return std::nullopt;
    return node;
  }
  if (!whole) return std::nullopt;  // a path goes below a field that is not a struct
  if (budget) --*budget;
  Leaf leaf;
  leaf.type_id = field.type->id();
  leaf.scale = field.type->scale();
  leaf.kind = StatKindOf(leaf.type_id);
  node.has_bounds = leaf.kind != StatKind::kNullCountOnly;
  node.leaf = static_cast<int>(leaves->size());
  leaves->push_back(std::move(leaf));
  return node;
}

// The child of a struct column named like `node` (logical or physical name), or -1.
int FindField(const columnar::DataType& type, const Node& node) {
  const auto& fields = type.fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == node.logical_name) return static_cast<int>(i);
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == node.physical_name) return static_cast<int>(i);
  }
  return -1;
}

template <typename T, typename F>
void ForValid(const Column& c, const std::vector<uint8_t>* parent, Leaf& leaf, F&& f) {
  const int64_t n = c.length();
  for (int64_t i = 0; i < n; ++i) {
    if ((parent && !(*parent)[static_cast<size_t>(i)]) || c.IsNull(i)) {
      ++leaf.null_count;
      continue;
    }
    f(c.Get<T>(i));
  }
}

// The first 8 bytes of `s` as a big-endian number, zero-padded: a smaller prefix means a
// smaller string in unsigned byte order; equal prefixes decide nothing.
inline uint64_t BytesPrefix(std::string_view s) {
  uint64_t p = 0;
  if (s.size() >= 8) return parquet::bit_util::LoadBE64(reinterpret_cast<const uint8_t*>(s.data()));
  for (size_t i = 0; i < s.size(); ++i) p |= uint64_t{static_cast<uint8_t>(s[i])} << (56 - 8 * i);
  return p;
}

void UpdateInteger(Leaf& leaf, int64_t v) {
  if (!leaf.has_value) {
    leaf.imin = leaf.imax = v;
    leaf.has_value = true;
    return;
  }
  if (v < leaf.imin) leaf.imin = v;
  if (v > leaf.imax) leaf.imax = v;
}

// NaN is above every number; -0.0 is the preferred min and 0.0 the preferred max.
bool FloatLess(double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  if (a == b) return std::signbit(a) && !std::signbit(b);
  return a < b;
}

void UpdateDecimal(Leaf& leaf, __int128 v) {
  if (!leaf.has_value) {
    leaf.cmin = leaf.cmax = v;
    leaf.has_value = true;
  } else if (v < leaf.cmin) {
    leaf.cmin = v;
  } else if (v > leaf.cmax) {
    leaf.cmax = v;
  }
}

void UpdateFloat(Leaf& leaf, double v) {
  if (!leaf.has_value) {
    leaf.dmin = leaf.dmax = v;
    leaf.has_value = true;
    return;
  }
  if (FloatLess(v, leaf.dmin)) leaf.dmin = v;
  if (FloatLess(leaf.dmax, v)) leaf.dmax = v;
}

void UpdateLeaf(const Node& node, const Column& c, const std::vector<uint8_t>* parent, Leaf& leaf) {
  if (c.type_id() != leaf.type_id ||
      (leaf.type_id == TypeId::kDecimal && c.type()->scale() != leaf.scale)) {
    throw InvalidInput("column '" + node.logical_name + "' has type " + c.type()->ToString() +
                       " in the batch but " + node.type->ToString() + " in the table");
  }
  switch (leaf.type_id) {
    case TypeId::kInt8:
      ForValid<int8_t>(c, parent, leaf, [&](int8_t v) { UpdateInteger(leaf, v); });
      return;
    case TypeId::kInt16:
      ForValid<int16_t>(c, parent, leaf, [&](int16_t v) { UpdateInteger(leaf, v); });
      return;
    case TypeId::kInt32:
    case TypeId::kDate:
      ForValid<int32_t>(c, parent, leaf, [&](int32_t v) { UpdateInteger(leaf, v); });
      return;
    case TypeId::kInt64:
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz:
      ForValid<int64_t>(c, parent, leaf, [&](int64_t v) { UpdateInteger(leaf, v); });
      return;
    case TypeId::kFloat32:
      ForValid<float>(c, parent, leaf, [&](float v) { UpdateFloat(leaf, v); });
      return;
    case TypeId::kFloat64:
      ForValid<double>(c, parent, leaf, [&](double v) { UpdateFloat(leaf, v); });
      return;
    case TypeId::kDecimal:
      ForValid<__int128>(c, parent, leaf, [&](__int128 v) { UpdateDecimal(leaf, v); });
      return;
    case TypeId::kString: {
      // The batch's min and max first (views, deciding on an 8-byte prefix), then the leaf's.
      const int64_t n = c.length();
      bool any = false;
      std::string_view mn, mx;
      uint64_t pmn = 0, pmx = 0;
      for (int64_t i = 0; i < n; ++i) {
        if ((parent && !(*parent)[static_cast<size_t>(i)]) || c.IsNull(i)) {
          ++leaf.null_count;
          continue;
        }
        const std::string_view v = c.GetString(i);
        const uint64_t p = BytesPrefix(v);
        if (!any) {
          mn = mx = v;
          pmn = pmx = p;
          any = true;
        } else if (p < pmn || (p == pmn && v < mn)) {  // unsigned bytes: char_traits<char>
          mn = v;
          pmn = p;
        } else if (p > pmx || (p == pmx && v > mx)) {
          mx = v;
          pmx = p;
        }
      }
      if (!any) return;
      if (!leaf.has_value) {
        leaf.smin = std::string(mn);
        leaf.smax = std::string(mx);
        leaf.has_value = true;
        return;
      }
      if (mn < std::string_view(leaf.smin)) leaf.smin = std::string(mn);
      if (mx > std::string_view(leaf.smax)) leaf.smax = std::string(mx);
      return;
    }
    default: {  // null count only
      const int64_t n = c.length();
      if (leaf.type_id == TypeId::kNull) {
        leaf.null_count += n;
        return;
      }
      for (int64_t i = 0; i < n; ++i) {
        if ((parent && !(*parent)[static_cast<size_t>(i)]) || c.IsNull(i)) ++leaf.null_count;
      }
      return;
    }
  }
}

// True when `only` is null or flags some leaf of `node`.
bool Wanted(const Node& node, const std::vector<bool>* only) {
  if (!only) return true;
  if (node.leaf >= 0) {
    return static_cast<size_t>(node.leaf) < only->size() && (*only)[static_cast<size_t>(node.leaf)];
  }
  for (const auto& c : node.children) {
    if (Wanted(c, only)) return true;
  }
  return false;
}

void AddNulls(const Node& node, int64_t rows, std::vector<Leaf>& leaves,
              const std::vector<bool>* only) {
  if (!Wanted(node, only)) return;
  if (node.leaf >= 0) {
    leaves[static_cast<size_t>(node.leaf)].null_count += rows;
    return;
  }
  for (const auto& c : node.children) AddNulls(c, rows, leaves, only);
}

void UpdateNode(const Node& node, const Column& c, const std::vector<uint8_t>* parent,
                std::vector<Leaf>& leaves, const std::vector<bool>* only = nullptr) {
  if (!Wanted(node, only)) return;
  if (node.leaf >= 0) {
    UpdateLeaf(node, c, parent, leaves[static_cast<size_t>(node.leaf)]);
    return;
  }
  if (c.type_id() != TypeId::kStruct) {
    throw InvalidInput("column '" + node.logical_name + "' has type " + c.type()->ToString() +
                       " in the batch but " + node.type->ToString() + " in the table");
  }
  std::vector<uint8_t> valid;
  const std::vector<uint8_t>* pass = parent;
  if (c.has_validity()) {
    const int64_t n = c.length();
    valid.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      valid[static_cast<size_t>(i)] =
          (!parent || (*parent)[static_cast<size_t>(i)]) && c.IsValid(i) ? 1 : 0;
    }
    pass = &valid;
  }
  for (const auto& child : node.children) {
    int idx = FindField(*c.type(), child);
    if (idx < 0) {
      AddNulls(child, c.length(), leaves, only);
    } else {
      UpdateNode(child, c.child(static_cast<size_t>(idx)), pass, leaves, only);
    }
  }
}

// The JSON text of a leaf's min (or max); nullopt when it has none.
std::optional<std::string> RenderBound(const Leaf& leaf, bool is_min, int prefix_chars) {
  if (!leaf.has_value) return std::nullopt;
  switch (leaf.kind) {
    case StatKind::kInteger: {
      int64_t v = is_min ? leaf.imin : leaf.imax;
      if (leaf.type_id == TypeId::kDate) {
        return "\"" + columnar::FormatDate(static_cast<int32_t>(v)) + "\"";
      }
      if (leaf.type_id == TypeId::kTimestamp || leaf.type_id == TypeId::kTimestampNtz) {
        int64_t ms = FloorDiv(v, 1000);
        if (!is_min && ms * 1000 != v) {
          if (ms == LLONG_MAX / 1000) return std::nullopt;  // no millisecond above it
          ++ms;
        }
        return "\"" + FormatMillisTimestamp(ms, leaf.type_id == TypeId::kTimestamp) + "\"";
      }
      return std::to_string(v);
    }
    case StatKind::kFloat: {
      double d = is_min ? leaf.dmin : leaf.dmax;
      std::string s = leaf.type_id == TypeId::kFloat32 ? FormatJavaFloat(static_cast<float>(d))
                                                       : FormatJavaDouble(d);
      if (!std::isfinite(d)) return "\"" + s + "\"";
      return s;
    }
    case StatKind::kDecimal:
      return columnar::FormatDecimal(is_min ? leaf.cmin : leaf.cmax, leaf.scale);
    case StatKind::kString: {
      const std::string& v = is_min ? leaf.smin : leaf.smax;
      if (!IsValidUtf8(v)) return std::nullopt;
      std::optional<std::string> bound;
      if (is_min) {
        bound = v.substr(0, PrefixBytes(v, prefix_chars));
      } else {
        bound = TruncateMaxString(v, prefix_chars);
      }
      if (!bound) return std::nullopt;
      std::string out;
      columnar::AppendJsonString(*bound, &out);
      return out;
    }
    case StatKind::kNullCountOnly:
      break;
  }
  return std::nullopt;
}

void RenderBounds(const std::vector<Node>& nodes, const std::vector<Leaf>& leaves, bool is_min,
                  int prefix_chars, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const auto& n : nodes) {
    if (!n.has_bounds) continue;
    if (n.leaf >= 0) {
      auto text = RenderBound(leaves[static_cast<size_t>(n.leaf)], is_min, prefix_chars);
      if (!text) continue;
      if (!first) out->push_back(',');
      first = false;
      AppendKey(n.physical_name, out);
      out->append(*text);
    } else {
      if (!first) out->push_back(',');
      first = false;
      AppendKey(n.physical_name, out);
      RenderBounds(n.children, leaves, is_min, prefix_chars, out);
    }
  }
  out->push_back('}');
}

void RenderNullCounts(const std::vector<Node>& nodes, const std::vector<Leaf>& leaves,
                      std::string* out) {
  out->push_back('{');
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (i) out->push_back(',');
    AppendKey(nodes[i].physical_name, out);
    if (nodes[i].leaf >= 0) {
      out->append(std::to_string(leaves[static_cast<size_t>(nodes[i].leaf)].null_count));
    } else {
      RenderNullCounts(nodes[i].children, leaves, out);
    }
  }
  out->push_back('}');
}

void CollectPaths(const std::vector<Node>& nodes, const std::string& prefix,
                  std::vector<std::string>* out) {
  for (const auto& n : nodes) {
    std::string path = prefix.empty() ? n.logical_name : prefix + "." + n.logical_name;
    if (n.leaf >= 0) {
      out->push_back(path);
    } else {
      CollectPaths(n.children, path, out);
    }
  }
}

int64_t ParseNumIndexedCols(const std::string& text) {
  int64_t v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || v < -1) {
    throw InvalidInput(std::string(kNumIndexedColsKey) + " must be an integer >= -1, not '" + text +
                       "'");
  }
  return v;
}

StatsConfig MakeConfig(columnar::Schema schema, std::vector<std::string> partition_columns,
                       ColumnMappingMode mode,
                       const std::map<std::string, std::string>& configuration, bool dv) {
  StatsConfig c;
  c.table_schema = std::move(schema);
  c.partition_columns = std::move(partition_columns);
  c.column_mapping = mode;
  if (auto it = configuration.find(std::string(kNumIndexedColsKey)); it != configuration.end()) {
    c.num_indexed_cols = ParseNumIndexedCols(it->second);
  }
  if (auto it = configuration.find(std::string(kStatsColumnsKey)); it != configuration.end()) {
    c.stats_columns = ParseStatsColumnList(it->second);
  }
  c.tight_bounds = dv;
  return c;
}

}  // namespace

std::vector<std::vector<std::string>> ParseStatsColumnList(std::string_view text) {
  auto bad = [&](const std::string& why) {
    throw InvalidInput(std::string(kStatsColumnsKey) + " '" + std::string(text) + "': " + why);
  };
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  // Split at commas outside back quotes (a doubled back quote toggles twice: no effect).
  std::vector<std::string_view> items;
  bool quoted = false;
  size_t begin = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] == '`') quoted = !quoted;
    if (i == text.size() || (text[i] == ',' && !quoted)) {
      items.push_back(text.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  std::vector<std::vector<std::string>> out;
  for (std::string_view item : items) {
    while (!item.empty() && is_space(item.front())) item.remove_prefix(1);
    while (!item.empty() && is_space(item.back())) item.remove_suffix(1);
    if (item.empty()) {
      if (items.size() == 1) return out;  // blank text: no columns
      bad("empty column name");
    }
    quoted = false;
    for (char c : item) {
      if (c == '`') quoted = !quoted;
      if (!quoted && is_space(c)) bad("unexpected space in '" + std::string(item) + "'");
    }
    try {
      out.push_back(expr::ParseColumnPath(item));
    } catch (const InvalidInput& e) {
      bad(e.what());
    }
  }
  return out;
}

StatKind StatKindOf(TypeId id) {
  switch (id) {
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kDate:
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz:
      return StatKind::kInteger;
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      return StatKind::kFloat;
    case TypeId::kDecimal:
      return StatKind::kDecimal;
    case TypeId::kString:
      return StatKind::kString;
    default:
      return StatKind::kNullCountOnly;
  }
}

StatsConfig StatsConfigForTable(const TableConfiguration& table) {
  return MakeConfig(table.schema(), table.partition_columns(), table.column_mapping_mode(),
                    table.metadata().configuration, table.HasWriterFeature("deletionVectors"));
}

StatsConfig StatsConfigForMetadata(const Metadata& metadata, bool deletion_vectors_supported) {
  ColumnMappingMode mode = ColumnMappingMode::kNone;
  if (auto it = metadata.configuration.find("delta.columnMapping.mode");
      it != metadata.configuration.end()) {
    mode = ParseColumnMappingMode(it->second);
  }
  return MakeConfig(ParseDeltaSchema(metadata.schema_string), metadata.partition_columns, mode,
                    metadata.configuration, deletion_vectors_supported);
}

FileStatsCollector::FileStatsCollector(StatsConfig config) : config_(std::move(config)) {
  if (config_.string_prefix_length < 1) {
    throw InvalidInput("string_prefix_length must be positive");
  }
  std::set<std::string> partitions(config_.partition_columns.begin(),
                                   config_.partition_columns.end());
  std::optional<std::vector<std::vector<std::string>>> lowered;
  if (config_.stats_columns) {
    lowered.emplace();
    for (const auto& p : *config_.stats_columns) {
      if (p.empty()) continue;
      lowered->push_back({});
      for (const auto& part : p) lowered->back().push_back(AsciiLower(part));
    }
  }
  int64_t budget = config_.num_indexed_cols;
  const bool unlimited = lowered || budget < 0;
  for (const auto& field : config_.table_schema.fields()) {
    if (partitions.count(field.name)) continue;
    std::optional<Node> node;
    if (lowered) {
      std::vector<std::vector<std::string>> sub;
      for (const auto& p : *lowered) {
        if (p[0] == AsciiLower(field.name)) sub.emplace_back(p.begin() + 1, p.end());
      }
      if (sub.empty()) continue;
      node = Select(field, config_.column_mapping, &sub, nullptr, &leaves_);
    } else {
      if (!unlimited && budget <= 0) break;
      node =
          Select(field, config_.column_mapping, nullptr, unlimited ? nullptr : &budget, &leaves_);
    }
    if (node) roots_.push_back(std::move(*node));
  }
}

FileStatsCollector::~FileStatsCollector() = default;
FileStatsCollector::FileStatsCollector(FileStatsCollector&&) noexcept = default;
FileStatsCollector& FileStatsCollector::operator=(FileStatsCollector&&) noexcept = default;

void FileStatsCollector::Update(const columnar::RecordBatch& batch) {
  num_records_ += batch.num_rows();
  UpdateSome(batch, nullptr);
}

void FileStatsCollector::UpdateLeaves(const columnar::RecordBatch& batch,
                                      const std::vector<bool>& only) {
  UpdateSome(batch, &only);
}

void FileStatsCollector::UpdateSome(const columnar::RecordBatch& batch,
                                    const std::vector<bool>* only) {
  const int64_t rows = batch.num_rows();
  for (const auto& node : roots_) {
    const Column* c = batch.ColumnByName(node.logical_name);
    if (!c && node.physical_name != node.logical_name) c = batch.ColumnByName(node.physical_name);
    if (!c) {
      AddNulls(node, rows, leaves_, only);
    } else {
      UpdateNode(node, *c, nullptr, leaves_, only);
    }
  }
}

namespace {

void CollectLeaves(const std::vector<Node>& nodes, std::vector<std::string>& path,
                   std::vector<FileStatsCollector::LeafColumn>* out) {
  for (const auto& n : nodes) {
    path.push_back(n.logical_name);
    if (n.leaf >= 0) {
      if (out->size() <= static_cast<size_t>(n.leaf)) out->resize(static_cast<size_t>(n.leaf) + 1);
      (*out)[static_cast<size_t>(n.leaf)] = {path, n.type};
    } else {
      CollectLeaves(n.children, path, out);
    }
    path.pop_back();
  }
}

bool IsIntegerValue(TypeId id) {
  return id == TypeId::kInt8 || id == TypeId::kInt16 || id == TypeId::kInt32 ||
         id == TypeId::kInt64;
}

}  // namespace

std::vector<FileStatsCollector::LeafColumn> FileStatsCollector::Leaves() const {
  std::vector<LeafColumn> out;
  std::vector<std::string> path;
  CollectLeaves(roots_, path, &out);
  out.resize(leaves_.size());
  return out;
}

void FileStatsCollector::MergeLeaf(size_t index, int64_t null_count,
                                   const std::optional<columnar::Value>& min,
                                   const std::optional<columnar::Value>& max) {
  CPGLAKE_CHECK(index < leaves_.size(), "no such stats leaf");
  Leaf& leaf = leaves_[index];
  leaf.null_count += null_count;
  if (!min || !max || min->is_null() || max->is_null() || leaf.kind == StatKind::kNullCountOnly) {
    return;
  }
  auto fits = [&](const columnar::Value& v) {
    switch (leaf.kind) {
      case StatKind::kInteger:
        return v.type_id() == leaf.type_id ||
               (IsIntegerValue(v.type_id()) && IsIntegerValue(leaf.type_id));
      case StatKind::kFloat:
        return v.type_id() == TypeId::kFloat32 || v.type_id() == TypeId::kFloat64;
      case StatKind::kDecimal:
        return v.type_id() == TypeId::kDecimal && v.type()->scale() == leaf.scale;
      case StatKind::kString:
        return v.type_id() == TypeId::kString;
      case StatKind::kNullCountOnly:
        break;
    }
    return false;
  };
  if (!fits(*min) || !fits(*max)) {
    throw InvalidInput("stats bounds of type " + min->type()->ToString() + " / " +
                       max->type()->ToString() + " do not fit stats column " +
                       std::to_string(index));
  }
  switch (leaf.kind) {
    case StatKind::kInteger:
      UpdateInteger(leaf, min->as_int());
      UpdateInteger(leaf, max->as_int());
      break;
    case StatKind::kFloat:
      UpdateFloat(leaf, min->as_double());
      UpdateFloat(leaf, max->as_double());
      break;
    case StatKind::kDecimal:
      for (__int128 v : {min->as_decimal(), max->as_decimal()}) UpdateDecimal(leaf, v);
      break;
    case StatKind::kString:
      if (!leaf.has_value) {
        leaf.smin = min->as_string();
        leaf.smax = max->as_string();
        leaf.has_value = true;
      } else {
        if (min->as_string() < leaf.smin) leaf.smin = min->as_string();
        if (max->as_string() > leaf.smax) leaf.smax = max->as_string();
      }
      break;
    case StatKind::kNullCountOnly:
      break;
  }
}

std::string FileStatsCollector::ToJson() const {
  std::string out = "{\"numRecords\":" + std::to_string(num_records_);
  bool any_bounds = false;
  for (const auto& n : roots_) any_bounds = any_bounds || n.has_bounds;
  if (any_bounds) {
    out += ",\"minValues\":";
    RenderBounds(roots_, leaves_, true, config_.string_prefix_length, &out);
    out += ",\"maxValues\":";
    RenderBounds(roots_, leaves_, false, config_.string_prefix_length, &out);
  }
  if (!roots_.empty()) {
    out += ",\"nullCount\":";
    RenderNullCounts(roots_, leaves_, &out);
  }
  if (config_.tight_bounds) out += ",\"tightBounds\":true";
  out.push_back('}');
  return out;
}

std::vector<std::string> FileStatsCollector::IndexedColumns() const {
  std::vector<std::string> out;
  CollectPaths(roots_, "", &out);
  return out;
}

}  // namespace cpglake::delta
