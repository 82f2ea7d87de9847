// Checkpoint writing and log cleanup. The layout of this file follows the steps of a
// checkpoint: durations and the `_last_checkpoint` checksum; the checkpoint schema (with the
// stats_parsed schema derived as Spark derives it); appending actions to the struct columns;
// writing the files (classic, V2 with sidecars); `_last_checkpoint`; then log cleanup.
#include "delta/checkpoint_writer.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "common/ascii.h"
#include "common/error.h"
#include "common/parallel.h"
#include "delta/stats.h"
#include "parquet/file_reader.h"
#include "parquet/file_writer.h"

namespace cpglake::delta {

using columnar::Column;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using columnar::TypeId;
using columnar::TypePtr;
using columnar::Value;
using OrderedJson = nlohmann::ordered_json;

namespace {

constexpr int64_t kMsPerDay = 86400000;
constexpr char kLastCheckpointKey[] = "_delta_log/_last_checkpoint";
// Spark leaves checkpointSchema out of _last_checkpoint when its JSON is longer than this
// (spark.databricks.delta.checkpointSchema.writeThresholdLength), and the V2 action lists
// when they hold more than 30 entries (lastCheckpoint.{nonFileActions,sidecars}.threshold).
constexpr size_t kSchemaJsonThreshold = 20000;
constexpr size_t kLastCheckpointListThreshold = 30;
constexpr int64_t kRowsPerBatch = 32768;

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string Padded(int64_t v, int width) {
  std::string digits = std::to_string(v);
  if (static_cast<int>(digits.size()) >= width) return digits;
  return std::string(static_cast<size_t>(width) - digits.size(), '0') + digits;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Random (version 4) UUID text.
std::string RandomUuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw IoError("cannot generate random bytes for a UUID");
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return out;
}

int64_t DurationProperty(const TableConfiguration& config, const std::string& key,
                         std::string_view fallback) {
  auto v = config.Property(key);
  try {
    return ParseIntervalMs(v ? *v : fallback);
  } catch (const InvalidInput& e) {
    throw InvalidInput("table property " + key + ": " + e.what());
  }
}

// ---------------------------------------------------------------- JSON checksum ----------

// PROTOCOL.md "How to URL encode keys and string values", inside double quotes.
void AppendEncoded(std::string_view s, std::string* out) {
  static const char* kHex = "0123456789ABCDEF";
  out->push_back('"');
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out->push_back(static_cast<char>(c));
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    }
  }
  out->push_back('"');
}

// Java's Double.toString, which Jackson's asText() uses for floating-point numbers.
std::string JavaDoubleText(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, r.ptr);  // "-1.2345e+06"
  size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  int exp = std::stoi(sci.substr(e + 1));
  bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant) {
    if (c != '.') digits += c;
  }
  std::string out = neg ? "-" : "";
  double a = std::fabs(d);
  if (a >= 1e-3 && a < 1e7) {
    if (exp >= 0) {
      std::string ip = digits.substr(0, std::min<size_t>(digits.size(), exp + 1));
      while (static_cast<int>(ip.size()) < exp + 1) ip += '0';
      std::string fp = static_cast<int>(digits.size()) > exp + 1 ? digits.substr(exp + 1) : "0";
      out += ip + "." + fp;
    } else {
      out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    }
  } else {
    out += digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") + "E" +
           std::to_string(exp);
  }
  return out;
}

void CollectChecksumEntries(const nlohmann::json& node, std::string& prefix, bool top,
                            std::vector<std::string>* out) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (top && it.key() == "checksum") continue;
      size_t keep = prefix.size();
      if (!prefix.empty()) prefix += '+';
      AppendEncoded(it.key(), &prefix);
      CollectChecksumEntries(it.value(), prefix, false, out);
      prefix.resize(keep);
    }
    return;
  }
  if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) {
      size_t keep = prefix.size();
      if (!prefix.empty()) prefix += '+';
      prefix += std::to_string(i);
      CollectChecksumEntries(node[i], prefix, false, out);
      prefix.resize(keep);
    }
    return;
  }
  std::string entry = prefix + "=";
  if (node.is_string()) {
    AppendEncoded(node.get_ref<const std::string&>(), &entry);
  } else if (node.is_boolean()) {
    entry += node.get<bool>() ? "true" : "false";
  } else if (node.is_null()) {
    entry += "null";
  } else if (node.is_number_unsigned()) {
    entry += std::to_string(node.get<uint64_t>());
  } else if (node.is_number_integer()) {
    entry += std::to_string(node.get<int64_t>());
  } else {
    entry += JavaDoubleText(node.get<double>());
  }
  out->push_back(std::move(entry));
}

std::string Md5Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr) != 1) {
    throw InternalError("MD5 digest failed");
  }
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

// ---------------------------------------------------------------- checkpoint schema ------

TypePtr StrMap() {
  return DataType::Map(DataType::String(), DataType::String(), true);
}
TypePtr StrList() {
  return DataType::List(DataType::String(), true);
}

TypePtr DvType() {
  return DataType::Struct({{"storageType", DataType::String()},
                           {"pathOrInlineDv", DataType::String()},
                           {"offset", DataType::Int32()},
                           {"sizeInBytes", DataType::Int32()},
                           {"cardinality", DataType::Int64()},
                           {"maxRowIndex", DataType::Int64()}});
}

TypePtr RemoveType() {
  return DataType::Struct({{"path", DataType::String()},
                           {"deletionTimestamp", DataType::Int64()},
                           {"dataChange", DataType::Boolean()},
                           {"extendedFileMetadata", DataType::Boolean()},
                           {"partitionValues", StrMap()},
                           {"size", DataType::Int64()},
                           {"deletionVector", DvType()},
                           {"baseRowId", DataType::Int64()},
                           {"defaultRowCommitVersion", DataType::Int64()}});
}

TypePtr MetadataType() {
  return DataType::Struct(
      {{"id", DataType::String()},
       {"name", DataType::String()},
       {"description", DataType::String()},
       {"format", DataType::Struct({{"provider", DataType::String()}, {"options", StrMap()}})},
       {"schemaString", DataType::String()},
       {"partitionColumns", StrList()},
       {"configuration", StrMap()},
       {"createdTime", DataType::Int64()}});
}

TypePtr ProtocolType() {
  return DataType::Struct({{"minReaderVersion", DataType::Int32()},
                           {"minWriterVersion", DataType::Int32()},
                           {"readerFeatures", StrList()},
                           {"writerFeatures", StrList()}});
}

TypePtr TxnType() {
  return DataType::Struct({{"appId", DataType::String()},
                           {"version", DataType::Int64()},
                           {"lastUpdated", DataType::Int64()}});
}

TypePtr DomainMetadataType() {
  return DataType::Struct({{"domain", DataType::String()},
                           {"configuration", DataType::String()},
                           {"removed", DataType::Boolean()}});
}

TypePtr CheckpointMetadataType() {
  return DataType::Struct({{"version", DataType::Int64()}, {"tags", StrMap()}});
}

TypePtr SidecarType() {
  return DataType::Struct({{"path", DataType::String()},
                           {"sizeInBytes", DataType::Int64()},
                           {"modificationTime", DataType::Int64()},
                           {"tags", StrMap()}});
}

// Spark's SkippingEligibleDataType: min/max are kept for these.
bool MinMaxEligible(TypeId id) {
  return columnar::IsNumericType(id) || id == TypeId::kDate || columnar::IsTimestampType(id) ||
         id == TypeId::kString;
}

std::vector<Field> MinMaxFields(const std::vector<Field>& fields) {
  std::vector<Field> out;
  for (const auto& f : fields) {
    if (f.type->id() == TypeId::kStruct) {
      auto sub = MinMaxFields(f.type->fields());
      if (!sub.empty()) out.emplace_back(f.name, DataType::Struct(std::move(sub)));
    } else if (MinMaxEligible(f.type->id())) {
      out.emplace_back(f.name, f.type);
    }
  }
  return out;
}

std::vector<Field> NullCountFields(const std::vector<Field>& fields) {
  std::vector<Field> out;
  for (const auto& f : fields) {
    if (f.type->id() == TypeId::kStruct) {
      auto sub = NullCountFields(f.type->fields());
      if (!sub.empty()) out.emplace_back(f.name, DataType::Struct(std::move(sub)));
    } else {
      out.emplace_back(f.name, DataType::Int64());
    }
  }
  return out;
}

// The first `n` leaf columns (StatisticsCollection.truncateSchema).
std::vector<Field> TruncateLeaves(const std::vector<Field>& fields, int64_t n, int64_t* used) {
  std::vector<Field> out;
  *used = 0;
  for (size_t i = 0; i < fields.size() && *used < n; ++i) {
    const Field& f = fields[i];
    if (f.type->id() == TypeId::kStruct) {
      int64_t sub_used = 0;
      auto sub = TruncateLeaves(f.type->fields(), n - *used, &sub_used);
      *used += sub_used;
      Field g = f;
      g.type = DataType::Struct(std::move(sub));
      out.push_back(std::move(g));
    } else {
      ++*used;
      out.push_back(f);
    }
  }
  return out;
}

// delta.dataSkippingStatsColumns: "a, b.c, `d.e`" → [[a], [b, c], [d.e]] (lower case).
std::vector<std::vector<std::string>> ParseStatsColumns(std::string_view text) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> parts;
  std::string cur;
  bool quoted = false;
  auto end_part = [&] {
    parts.push_back(AsciiLower(quoted ? cur : Trim(cur)));
    cur.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '`') {
      if (quoted && i + 1 < text.size() && text[i + 1] == '`') {
        cur += '`';
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (!quoted && c == '.') {
      end_part();
    } else if (!quoted && c == ',') {
      end_part();
      out.push_back(std::move(parts));
      parts.clear();
    } else {
      cur += c;
    }
  }
  end_part();
  out.push_back(std::move(parts));
  std::erase_if(out, [](const std::vector<std::string>& p) {
    return p.empty() || (p.size() == 1 && p[0].empty());
  });
  return out;
}

std::vector<Field> FilterByPaths(const std::vector<Field>& fields,
                                 const std::vector<std::vector<std::string>>& paths) {
  std::vector<Field> out;
  for (const auto& f : fields) {
    std::string name = AsciiLower(f.name);
    bool whole = false;
    std::vector<std::vector<std::string>> rest;
    for (const auto& p : paths) {
      if (p.empty() || p[0] != name) continue;
      if (p.size() == 1) {
        whole = true;
      } else {
        rest.emplace_back(p.begin() + 1, p.end());
      }
    }
    if (whole) {
      out.push_back(f);
    } else if (!rest.empty() && f.type->id() == TypeId::kStruct) {
      auto sub = FilterByPaths(f.type->fields(), rest);
      if (!sub.empty()) {
        Field g = f;
        g.type = DataType::Struct(std::move(sub));
        out.push_back(std::move(g));
      }
    }
  }
  return out;
}

// Spark's StatisticsCollection.statsSchema: numRecords, minValues / maxValues (eligible
// types), nullCount (every leaf, long), tightBounds (when deletion vectors are supported),
// all under physical names.
TypePtr StatsParsedType(const TableConfiguration& config) {
  const Schema& schema = config.schema();
  std::vector<Field> indexed;
  if (auto cols = config.Property("delta.dataSkippingStatsColumns")) {
    indexed = FilterByPaths(schema.fields(), ParseStatsColumns(*cols));
  } else {
    int64_t n = 32;
    if (auto v = config.Property("delta.dataSkippingNumIndexedCols")) {
      try {
        n = std::stoll(*v);
      } catch (...) {
        throw InvalidInput("table property delta.dataSkippingNumIndexedCols is not a number: " +
                           *v);
      }
    }
    std::vector<Field> data;
    const auto& parts = config.partition_columns();
    for (const auto& f : schema.fields()) {
      if (std::find(parts.begin(), parts.end(), f.name) == parts.end()) data.push_back(f);
    }
    int64_t used = 0;
    indexed = n < 0 ? data : TruncateLeaves(data, n, &used);
  }
  Schema physical = ToPhysicalSchema(Schema(std::move(indexed)), config.column_mapping_mode());
  std::vector<Field> fields;
  fields.emplace_back("numRecords", DataType::Int64());
  auto minmax = MinMaxFields(physical.fields());
  if (!minmax.empty()) {
    fields.emplace_back("minValues", DataType::Struct(minmax));
    fields.emplace_back("maxValues", DataType::Struct(minmax));
  }
  auto nulls = NullCountFields(physical.fields());
  if (!nulls.empty()) fields.emplace_back("nullCount", DataType::Struct(std::move(nulls)));
  if (config.HasReaderFeature("deletionVectors") || config.HasWriterFeature("deletionVectors")) {
    fields.emplace_back("tightBounds", DataType::Boolean());
  }
  return DataType::Struct(std::move(fields));
}

// One partition column: the key in add.partitionValues and its type.
struct PartitionColumn {
  std::string key;
  TypePtr type;
};

// What the `add` struct of this checkpoint holds beyond its fixed fields.
struct AddLayout {
  bool stats_json = true;
  std::vector<PartitionColumn> partitions;  // partitionValues_parsed (empty: not written)
  TypePtr stats_parsed;                     // nullptr: not written

  TypePtr Type() const {
    std::vector<Field> f = {{"path", DataType::String()},
                            {"partitionValues", StrMap()},
                            {"size", DataType::Int64()},
                            {"modificationTime", DataType::Int64()},
                            {"dataChange", DataType::Boolean()},
                            {"tags", StrMap()},
                            {"deletionVector", DvType()},
                            {"baseRowId", DataType::Int64()},
                            {"defaultRowCommitVersion", DataType::Int64()},
                            {"clusteringProvider", DataType::String()}};
    if (stats_json) f.emplace_back("stats", DataType::String());
    if (!partitions.empty()) {
      std::vector<Field> p;
      for (const auto& c : partitions) p.emplace_back(c.key, c.type);
      f.emplace_back("partitionValues_parsed", DataType::Struct(std::move(p)));
    }
    if (stats_parsed) f.emplace_back("stats_parsed", stats_parsed);
    return DataType::Struct(std::move(f));
  }
};

AddLayout MakeAddLayout(const TableConfiguration& config) {
  AddLayout l;
  l.stats_json = config.BoolProperty("delta.checkpoint.writeStatsAsJson", true);
  if (config.BoolProperty("delta.checkpoint.writeStatsAsStruct", false)) {
    l.stats_parsed = StatsParsedType(config);
    const Schema& schema = config.schema();
    for (const auto& name : config.partition_columns()) {
      const Field& f = schema.field(static_cast<size_t>(schema.FieldIndex(name)));
      std::string key =
          config.column_mapping_mode() == ColumnMappingMode::kNone ? f.name : PhysicalName(f);
      l.partitions.push_back({key, f.type});
    }
  }
  return l;
}

// Top-level action columns, in Spark's SingleAction order.
enum class ActionColumn : uint8_t {
  kTxn,
  kAdd,
  kRemove,
  kMetaData,
  kProtocol,
  kDomainMetadata,
  kCheckpointMetadata,
  kSidecar,
};

Schema MakeSchema(const std::vector<ActionColumn>& cols, const AddLayout& add) {
  std::vector<Field> fields;
  for (ActionColumn c : cols) {
    switch (c) {
      case ActionColumn::kTxn:
        fields.emplace_back("txn", TxnType());
        break;
      case ActionColumn::kAdd:
        fields.emplace_back("add", add.Type());
        break;
      case ActionColumn::kRemove:
        fields.emplace_back("remove", RemoveType());
        break;
      case ActionColumn::kMetaData:
        fields.emplace_back("metaData", MetadataType());
        break;
      case ActionColumn::kProtocol:
        fields.emplace_back("protocol", ProtocolType());
        break;
      case ActionColumn::kDomainMetadata:
        fields.emplace_back("domainMetadata", DomainMetadataType());
        break;
      case ActionColumn::kCheckpointMetadata:
        fields.emplace_back("checkpointMetadata", CheckpointMetadataType());
        break;
      case ActionColumn::kSidecar:
        fields.emplace_back("sidecar", SidecarType());
        break;
    }
  }
  return Schema(std::move(fields));
}

// ---------------------------------------------------------------- stats_parsed values ----

namespace od = simdjson::ondemand;

// Fills the stats_parsed struct of one add from its stats JSON: the JSON is walked once
// (simdjson On-Demand), each value landing in the slot of its leaf; then the struct is
// appended in schema order. Values that do not fit their type become nulls (from_json does
// the same), so a bad bound never claims anything.
class StatsParsedBuilder {
 public:
  explicit StatsParsedBuilder(const TypePtr& type) {
    Build(*type);
    slots_.resize(num_leaves_);
  }

  void Append(Column& col, const std::optional<std::string>& stats) {
    if (!stats || !Parse(*stats)) {
      col.AppendNull();
      return;
    }
    AppendNode(col, 0);
  }

 private:
  struct Node {
    const DataType* type = nullptr;
    std::vector<int> children;  // node index per field (structs)
    std::unordered_map<std::string_view, int> by_name;
    int slot = -1;  // leaves
  };
  enum class SlotKind : uint8_t { kNone, kNumber, kString, kBool };
  struct Slot {
    SlotKind kind = SlotKind::kNone;
    bool b = false;
    std::string_view text;
  };

  int Build(const DataType& t) {
    int id = static_cast<int>(nodes_.size());
    nodes_.emplace_back();
    nodes_[id].type = &t;
    if (t.id() == TypeId::kStruct) {
      for (const auto& f : t.fields()) {
        int child = Build(*f.type);
        nodes_[id].children.push_back(child);
        nodes_[id].by_name.emplace(f.name, child);
      }
    } else {
      nodes_[id].slot = num_leaves_++;
    }
    return id;
  }

  bool Parse(const std::string& text) {
    for (auto& s : slots_) s.kind = SlotKind::kNone;
    present_.assign(nodes_.size(), 0);
    const size_t needed = text.size() + simdjson::SIMDJSON_PADDING;
    if (buffer_.size() < needed) buffer_.resize(std::max(needed, buffer_.size() * 2));
    std::memcpy(buffer_.data(), text.data(), text.size());
    std::memset(buffer_.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);
    od::document doc;
    if (parser_.iterate(buffer_.data(), text.size(), buffer_.size()).get(doc)) return false;
    od::object root;
    if (doc.get_object().get(root)) return false;
    return Walk(root, 0);
  }

  bool Walk(od::object& obj, int node) {
    present_[static_cast<size_t>(node)] = 1;
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      const Node& n = nodes_[static_cast<size_t>(node)];
      auto it = n.by_name.find(key);
      if (it == n.by_name.end()) continue;
      const Node& child = nodes_[static_cast<size_t>(it->second)];
      od::value v;
      if (field.value().get(v)) return false;
      od::json_type t;
      if (v.type().get(t)) return false;
      if (child.type->id() == TypeId::kStruct) {
        if (t != od::json_type::object) continue;
        od::object sub;
        if (v.get_object().get(sub) || !Walk(sub, it->second)) return false;
        continue;
      }
      Slot& s = slots_[static_cast<size_t>(child.slot)];
      switch (t) {
        case od::json_type::number: {
          std::string_view raw = v.raw_json_token();
          while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) {
            raw.remove_suffix(1);
          }
          s = {SlotKind::kNumber, false, raw};
          break;
        }
        case od::json_type::string: {
          std::string_view str;
          if (v.get_string().get(str)) return false;
          s = {SlotKind::kString, false, str};
          break;
        }
        case od::json_type::boolean: {
          bool b = false;
          if (v.get_bool().get(b)) return false;
          s = {SlotKind::kBool, b, {}};
          break;
        }
        default:
          break;  // null, arrays, objects: no value
      }
    }
    return true;
  }

  void AppendNode(Column& col, int node) {
    const Node& n = nodes_[static_cast<size_t>(node)];
    if (n.type->id() == TypeId::kStruct) {
      if (!present_[static_cast<size_t>(node)]) {
        col.AppendNull();
        return;
      }
      for (size_t i = 0; i < n.children.size(); ++i)
        AppendNode(col.mutable_child(i), n.children[i]);
      col.CloseStruct();
      return;
    }
    AppendLeaf(col, slots_[static_cast<size_t>(n.slot)]);
  }

  static bool ParseDouble(std::string_view s, double* d) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), *d);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
  }

  static void AppendLeaf(Column& col, const Slot& s) {
    const TypeId id = col.type_id();
    switch (id) {
      case TypeId::kBoolean:
        if (s.kind == SlotKind::kBool) return col.AppendBool(s.b);
        break;
      case TypeId::kInt8:
      case TypeId::kInt16:
      case TypeId::kInt32:
      case TypeId::kInt64: {
        if (s.kind != SlotKind::kNumber) break;
        int64_t v = 0;
        auto r = std::from_chars(s.text.data(), s.text.data() + s.text.size(), v);
        if (r.ec != std::errc() || r.ptr != s.text.data() + s.text.size()) break;
        if (id == TypeId::kInt8 && v == static_cast<int8_t>(v)) {
          return col.Append<int8_t>(static_cast<int8_t>(v));
        }
        if (id == TypeId::kInt16 && v == static_cast<int16_t>(v)) {
          return col.Append<int16_t>(static_cast<int16_t>(v));
        }
        if (id == TypeId::kInt32 && v == static_cast<int32_t>(v)) {
          return col.Append<int32_t>(static_cast<int32_t>(v));
        }
        if (id == TypeId::kInt64) return col.Append<int64_t>(v);
        break;
      }
      case TypeId::kFloat32:
      case TypeId::kFloat64: {
        double d = 0;
        if (s.kind == SlotKind::kNumber) {
          if (!ParseDouble(s.text, &d)) break;
        } else if (s.kind == SlotKind::kString) {
          if (s.text == "NaN") {
            d = std::nan("");
          } else if (s.text == "Infinity") {
            d = INFINITY;
          } else if (s.text == "-Infinity") {
            d = -INFINITY;
          } else {
            break;
          }
        } else {
          break;
        }
        if (id == TypeId::kFloat32) return col.Append<float>(static_cast<float>(d));
        return col.Append<double>(d);
      }
      case TypeId::kDecimal: {
        if (s.kind != SlotKind::kNumber && s.kind != SlotKind::kString) break;
        auto v = ParseDecimalJson(s.text, col.type()->precision(), col.type()->scale());
        if (v) return col.Append<__int128>(*v);
        break;
      }
      case TypeId::kString:
        if (s.kind == SlotKind::kString) return col.AppendString(s.text);
        break;
      case TypeId::kDate:
      case TypeId::kTimestamp:
      case TypeId::kTimestampNtz: {
        if (s.kind != SlotKind::kString) break;
        try {
          Value v = ParsePartitionValue(std::string(s.text), col.type());
          if (id == TypeId::kDate) return col.Append<int32_t>(static_cast<int32_t>(v.as_int()));
          return col.Append<int64_t>(v.as_int());
        } catch (const Error&) {
        }
        break;
      }
      default:
        break;
    }
    col.AppendNull();
  }

  // A JSON number (or numeric string) as an unscaled decimal(p, s); nullopt when it does not
  // parse, has nonzero digits beyond the scale, or needs more than p digits.
  static std::optional<__int128> ParseDecimalJson(std::string_view t, int precision, int scale) {
    bool neg = false;
    if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
      neg = t[0] == '-';
      t.remove_prefix(1);
    }
    std::string digits;
    int frac = 0;
    bool dot = false;
    size_t i = 0;
    for (; i < t.size(); ++i) {
      char c = t[i];
      if (c >= '0' && c <= '9') {
        digits += c;
        if (dot) ++frac;
      } else if (c == '.' && !dot) {
        dot = true;
      } else {
        break;
      }
    }
    if (digits.empty()) return std::nullopt;
    int exp = 0;
    if (i < t.size()) {
      if (t[i] != 'e' && t[i] != 'E') return std::nullopt;
      ++i;
      auto r = std::from_chars(t.data() + i + (i < t.size() && t[i] == '+' ? 1 : 0),
                               t.data() + t.size(), exp);
      if (r.ec != std::errc() || r.ptr != t.data() + t.size()) return std::nullopt;
    }
    // value = digits * 10^(exp - frac); rescale to `scale` fractional digits.
    int shift = exp - frac + scale;
    if (shift < 0) {
      size_t drop = static_cast<size_t>(-shift);
      if (drop > digits.size()) drop = digits.size();
      if (digits.find_first_not_of('0', digits.size() - drop) != std::string::npos) {
        return std::nullopt;
      }
      digits.resize(digits.size() - drop);
      if (digits.empty()) digits = "0";
    } else {
      if (shift > 40) return std::nullopt;
      digits.append(static_cast<size_t>(shift), '0');
    }
    size_t nz = digits.find_first_not_of('0');
    if (nz == std::string::npos) return __int128{0};
    if (static_cast<int>(digits.size() - nz) > precision) return std::nullopt;
    __int128 v = 0;
    for (size_t k = nz; k < digits.size(); ++k) v = v * 10 + (digits[k] - '0');
    return neg ? -v : v;
  }

  std::vector<Node> nodes_;
  int num_leaves_ = 0;
  std::vector<Slot> slots_;
  std::vector<char> present_;
  std::vector<char> buffer_;
  od::parser parser_;
};

// ---------------------------------------------------------------- appending actions ------

void AppendOptString(Column& c, const std::optional<std::string>& v) {
  if (v) {
    c.AppendString(*v);
  } else {
    c.AppendNull();
  }
}

void AppendOptInt64(Column& c, const std::optional<int64_t>& v) {
  if (v) {
    c.Append<int64_t>(*v);
  } else {
    c.AppendNull();
  }
}

void AppendOptBool(Column& c, const std::optional<bool>& v) {
  if (v) {
    c.AppendBool(*v);
  } else {
    c.AppendNull();
  }
}

void AppendPartitionMap(Column& c, const PartitionValues& values) {
  for (const auto& [k, v] : values) {
    c.mutable_child(0).AppendString(k);
    AppendOptString(c.mutable_child(1), v);
  }
  c.CloseList();
}

// Empty maps are written as null (Spark's absent tags), unless `empty_as_map`.
void AppendStringMap(Column& c, const std::map<std::string, std::string>& values,
                     bool empty_as_map) {
  if (values.empty() && !empty_as_map) {
    c.AppendNull();
    return;
  }
  for (const auto& [k, v] : values) {
    c.mutable_child(0).AppendString(k);
    c.mutable_child(1).AppendString(v);
  }
  c.CloseList();
}

void AppendStringList(Column& c, const std::vector<std::string>& values) {
  for (const auto& v : values) c.mutable_child(0).AppendString(v);
  c.CloseList();
}

void AppendDv(Column& c, const std::optional<DeletionVectorDescriptor>& dv) {
  if (!dv) {
    c.AppendNull();
    return;
  }
  c.mutable_child(0).AppendString(std::string_view(&dv->storage_type, 1));
  c.mutable_child(1).AppendString(dv->path_or_inline_dv);
  if (dv->offset) {
    c.mutable_child(2).Append<int32_t>(*dv->offset);
  } else {
    c.mutable_child(2).AppendNull();
  }
  c.mutable_child(3).Append<int32_t>(dv->size_in_bytes);
  c.mutable_child(4).Append<int64_t>(dv->cardinality);
  c.mutable_child(5).AppendNull();  // maxRowIndex: not tracked
  c.CloseStruct();
}

// Per-batch state for the add column (stats_parsed parser).
struct AddContext {
  const AddLayout* layout;
  std::unique_ptr<StatsParsedBuilder> stats;
};

void AppendAdd(Column& c, const AddFile& a, AddContext& ctx) {
  size_t i = 0;
  c.mutable_child(i++).AppendString(a.path);
  AppendPartitionMap(c.mutable_child(i++), a.partition_values);
  c.mutable_child(i++).Append<int64_t>(a.size);
  c.mutable_child(i++).Append<int64_t>(a.modification_time);
  c.mutable_child(i++).AppendBool(false);  // as Spark writes checkpoint actions
  AppendStringMap(c.mutable_child(i++), a.tags, false);
  AppendDv(c.mutable_child(i++), a.deletion_vector);
  AppendOptInt64(c.mutable_child(i++), a.base_row_id);
  AppendOptInt64(c.mutable_child(i++), a.default_row_commit_version);
  AppendOptString(c.mutable_child(i++), a.clustering_provider);
  const AddLayout& l = *ctx.layout;
  if (l.stats_json) AppendOptString(c.mutable_child(i++), a.stats);
  if (!l.partitions.empty()) {
    Column& p = c.mutable_child(i++);
    for (size_t k = 0; k < l.partitions.size(); ++k) {
      Column& child = p.mutable_child(k);
      auto it = a.partition_values.find(l.partitions[k].key);
      if (it == a.partition_values.end() || !it->second) {
        child.AppendNull();
        continue;
      }
      try {
        columnar::AppendValue(child, ParsePartitionValue(it->second, l.partitions[k].type));
      } catch (const Error&) {
        child.AppendNull();  // a value that does not cast is null, as in Spark
      }
    }
    p.CloseStruct();
  }
  if (l.stats_parsed) ctx.stats->Append(c.mutable_child(i++), a.stats);
  c.CloseStruct();
}

void AppendRemove(Column& c, const RemoveFile& r) {
  c.mutable_child(0).AppendString(r.path);
  AppendOptInt64(c.mutable_child(1), r.deletion_timestamp);
  c.mutable_child(2).AppendBool(false);
  AppendOptBool(c.mutable_child(3), r.extended_file_metadata);
  AppendPartitionMap(c.mutable_child(4), r.partition_values);
  AppendOptInt64(c.mutable_child(5), r.size);
  AppendDv(c.mutable_child(6), r.deletion_vector);
  AppendOptInt64(c.mutable_child(7), r.base_row_id);
  AppendOptInt64(c.mutable_child(8), r.default_row_commit_version);
  c.CloseStruct();
}

void AppendMetadata(Column& c, const Metadata& m) {
  c.mutable_child(0).AppendString(m.id);
  AppendOptString(c.mutable_child(1), m.name);
  AppendOptString(c.mutable_child(2), m.description);
  Column& fmt = c.mutable_child(3);
  fmt.mutable_child(0).AppendString(m.format.provider);
  AppendStringMap(fmt.mutable_child(1), m.format.options, true);
  fmt.CloseStruct();
  c.mutable_child(4).AppendString(m.schema_string);
  AppendStringList(c.mutable_child(5), m.partition_columns);
  AppendStringMap(c.mutable_child(6), m.configuration, true);
  AppendOptInt64(c.mutable_child(7), m.created_time);
  c.CloseStruct();
}

void AppendProtocol(Column& c, const Protocol& p) {
  c.mutable_child(0).Append<int32_t>(p.min_reader_version);
  c.mutable_child(1).Append<int32_t>(p.min_writer_version);
  // PROTOCOL.md: readerFeatures non-null exactly for reader version 3, writerFeatures for
  // writer version 7.
  if (p.min_reader_version >= 3) {
    AppendStringList(c.mutable_child(2), p.reader_features.value_or(std::vector<std::string>{}));
  } else {
    c.mutable_child(2).AppendNull();
  }
  if (p.min_writer_version >= 7) {
    AppendStringList(c.mutable_child(3), p.writer_features.value_or(std::vector<std::string>{}));
  } else {
    c.mutable_child(3).AppendNull();
  }
  c.CloseStruct();
}

void AppendTxn(Column& c, const Txn& t) {
  c.mutable_child(0).AppendString(t.app_id);
  c.mutable_child(1).Append<int64_t>(t.version);
  AppendOptInt64(c.mutable_child(2), t.last_updated);
  c.CloseStruct();
}

void AppendDomain(Column& c, const DomainMetadata& d) {
  c.mutable_child(0).AppendString(d.domain);
  c.mutable_child(1).AppendString(d.configuration);
  c.mutable_child(2).AppendBool(d.removed);
  c.CloseStruct();
}

void AppendCheckpointMetadata(Column& c, const CheckpointMetadata& m) {
  c.mutable_child(0).Append<int64_t>(m.version);
  AppendStringMap(c.mutable_child(1), m.tags, false);
  c.CloseStruct();
}

void AppendSidecar(Column& c, const Sidecar& s) {
  c.mutable_child(0).AppendString(s.path);
  c.mutable_child(1).Append<int64_t>(s.size_in_bytes);
  c.mutable_child(2).Append<int64_t>(s.modification_time);
  AppendStringMap(c.mutable_child(3), s.tags, false);
  c.CloseStruct();
}

// One row of a checkpoint file: an action of one kind.
struct Row {
  ActionColumn kind;
  const void* action;
};

RecordBatch BuildBatch(const Schema& schema, const std::vector<ActionColumn>& cols, const Row* rows,
                       size_t n, const AddLayout& layout) {
  RecordBatch batch = RecordBatch::MakeEmpty(schema);
  AddContext ctx{&layout, nullptr};
  if (layout.stats_parsed) ctx.stats = std::make_unique<StatsParsedBuilder>(layout.stats_parsed);
  for (size_t c = 0; c < cols.size(); ++c) batch.mutable_column(c).Reserve(static_cast<int64_t>(n));
  for (size_t r = 0; r < n; ++r) {
    const Row& row = rows[r];
    for (size_t c = 0; c < cols.size(); ++c) {
      Column& col = batch.mutable_column(c);
      if (cols[c] != row.kind) {
        col.AppendNull();
        continue;
      }
      switch (row.kind) {
        case ActionColumn::kTxn:
          AppendTxn(col, *static_cast<const Txn*>(row.action));
          break;
        case ActionColumn::kAdd:
          AppendAdd(col, *static_cast<const AddFile*>(row.action), ctx);
          break;
        case ActionColumn::kRemove:
          AppendRemove(col, *static_cast<const RemoveFile*>(row.action));
          break;
        case ActionColumn::kMetaData:
          AppendMetadata(col, *static_cast<const Metadata*>(row.action));
          break;
        case ActionColumn::kProtocol:
          AppendProtocol(col, *static_cast<const Protocol*>(row.action));
          break;
        case ActionColumn::kDomainMetadata:
          AppendDomain(col, *static_cast<const DomainMetadata*>(row.action));
          break;
        case ActionColumn::kCheckpointMetadata:
          AppendCheckpointMetadata(col, *static_cast<const CheckpointMetadata*>(row.action));
          break;
        case ActionColumn::kSidecar:
          AppendSidecar(col, *static_cast<const Sidecar*>(row.action));
          break;
      }
    }
  }
  return batch;
}

// Writes `rows` as one Parquet object at `key` (atomically) and returns its metadata.
storage::ObjectMeta WriteActionsFile(storage::ObjectStore& store, const std::string& key,
                                     const std::vector<ActionColumn>& cols, const AddLayout& layout,
                                     const std::vector<Row>& rows, int threads) {
  const Schema schema = MakeSchema(cols, layout);
  const size_t num_batches =
      std::max<size_t>(1, (rows.size() + kRowsPerBatch - 1) / static_cast<size_t>(kRowsPerBatch));
  std::vector<RecordBatch> batches(num_batches);
  ParallelFor(num_batches, threads, [&](size_t b) {
    size_t begin = b * static_cast<size_t>(kRowsPerBatch);
    size_t end = std::min(rows.size(), begin + static_cast<size_t>(kRowsPerBatch));
    batches[b] = BuildBatch(schema, cols, rows.data() + begin, end - begin, layout);
  });
  parquet::WriterOptions opts;
  // Snappy, as Spark writes checkpoints: every Parquet reader of every age has it.
  opts.codec = parquet::Codec::kSnappy;
  opts.threads = threads;
  opts.created_by = "cpglake delta checkpoint";
  {
    auto file = store.OpenForWrite(key);
    parquet::ParquetWriter writer(file.get(), schema, opts);
    for (const auto& b : batches) {
      if (b.num_rows() > 0) writer.Write(b);
    }
    writer.Close();  // closes the file: the object appears under `key` atomically
  }
  auto meta = store.Head(key);
  if (!meta) throw IoError("checkpoint file " + store.DisplayPath(key) + " vanished after writing");
  return *meta;
}

// ---------------------------------------------------------------- the checkpoint ---------

struct CheckpointContent {
  std::vector<const AddFile*> adds;
  std::vector<const RemoveFile*> removes;
  std::vector<const Txn*> txns;
  std::vector<const DomainMetadata*> domains;
};

CheckpointContent SelectContent(const Snapshot& snap, int64_t now_ms) {
  CheckpointContent c;
  const TableConfiguration& config = snap.config();
  for (const auto& a : snap.files()) c.adds.push_back(&a);
  // InMemoryLogReplay: a tombstone survives while deletionTimestamp (0 when absent) is
  // strictly after now − retention.
  const int64_t min_retention =
      now_ms - DurationProperty(config, "delta.deletedFileRetentionDuration", "interval 1 week");
  for (const auto& r : snap.tombstones()) {
    if (r.deletion_timestamp.value_or(0) > min_retention) c.removes.push_back(&r);
  }
  std::optional<int64_t> min_txn;
  if (config.Property("delta.setTransactionRetentionDuration")) {
    min_txn = now_ms - DurationProperty(config, "delta.setTransactionRetentionDuration", "");
  }
  for (const auto& [id, t] : snap.app_transactions()) {
    if (min_txn && !(t.last_updated && *t.last_updated > *min_txn)) continue;
    c.txns.push_back(&t);
  }
  for (const auto& [d, m] : snap.domain_metadata()) {
    if (!m.removed) c.domains.push_back(&m);
  }
  return c;
}

bool WritesDomainColumn(const Snapshot& snap) {
  return snap.config().HasWriterFeature("domainMetadata") || !snap.domain_metadata().empty();
}

void AddNonFileRows(const Snapshot& snap, const CheckpointContent& c, std::vector<Row>* rows) {
  rows->push_back({ActionColumn::kProtocol, &snap.protocol()});
  rows->push_back({ActionColumn::kMetaData, &snap.metadata()});
  for (const Txn* t : c.txns) rows->push_back({ActionColumn::kTxn, t});
  for (const DomainMetadata* d : c.domains) rows->push_back({ActionColumn::kDomainMetadata, d});
}

void AddFileRows(const CheckpointContent& c, size_t begin, size_t end, std::vector<Row>* rows) {
  // Adds first, then tombstones; [begin, end) indexes that concatenation.
  for (size_t i = begin; i < end; ++i) {
    if (i < c.adds.size()) {
      rows->push_back({ActionColumn::kAdd, c.adds[i]});
    } else {
      rows->push_back({ActionColumn::kRemove, c.removes[i - c.adds.size()]});
    }
  }
}

std::string SchemaJsonOrEmpty(const Schema& schema) {
  std::string s = SerializeDeltaSchema(schema);
  return s.size() <= kSchemaJsonThreshold ? s : std::string();
}

std::optional<int64_t> ReadLastCheckpointVersion(storage::ObjectStore& store, bool validate) {
  if (!store.Exists(kLastCheckpointKey)) return std::nullopt;
  std::string text = store.Read(kLastCheckpointKey);
  auto j = nlohmann::json::parse(text);  // throws on corrupt JSON
  if (validate && j.contains("checksum") && j["checksum"].is_string() &&
      j["checksum"].get<std::string>() != LastCheckpointChecksum(text)) {
    throw CorruptData("_last_checkpoint checksum mismatch");
  }
  return j.at("version").get<int64_t>();
}

}  // namespace

// ---------------------------------------------------------------- public API -------------

int64_t ParseIntervalMs(std::string_view text) {
  std::string s = AsciiLower(Trim(text));
  auto fail = [&](const std::string& why) -> int64_t {
    throw InvalidInput("cannot parse interval '" + std::string(text) + "': " + why +
                       " (use e.g. 'interval 7 days', 'interval 1 week', 'interval 168 hours')");
  };
  std::string_view rest(s);
  if (rest.rfind("interval", 0) == 0) {
    rest.remove_prefix(8);
    if (!rest.empty() && !std::isspace(static_cast<unsigned char>(rest[0]))) {
      return fail("unexpected text after 'interval'");
    }
  }
  auto skip_space = [&] {
    while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest[0])))
      rest.remove_prefix(1);
  };
  skip_space();
  if (rest.empty()) return fail("no value");
  __int128 micros = 0;
  while (!rest.empty()) {
    // <number>
    size_t n = 0;
    if (n < rest.size() && (rest[n] == '-' || rest[n] == '+')) ++n;
    size_t digits_begin = n;
    while (n < rest.size() &&
           (std::isdigit(static_cast<unsigned char>(rest[n])) || rest[n] == '.')) {
      ++n;
    }
    std::string number(rest.substr(0, n));
    if (n == digits_begin) return fail("expected a number");
    rest.remove_prefix(n);
    skip_space();
    size_t u = 0;
    while (u < rest.size() && std::isalpha(static_cast<unsigned char>(rest[u]))) ++u;
    std::string unit(rest.substr(0, u));
    rest.remove_prefix(u);
    skip_space();
    if (unit.size() > 1 && unit.back() == 's') unit.pop_back();
    int64_t per = 0;  // microseconds per unit
    if (unit == "week") {
      per = 7 * kMsPerDay * 1000;
    } else if (unit == "day") {
      per = kMsPerDay * 1000;
    } else if (unit == "hour") {
      per = 3600LL * 1000000;
    } else if (unit == "minute") {
      per = 60LL * 1000000;
    } else if (unit == "second") {
      per = 1000000;
    } else if (unit == "millisecond") {
      per = 1000;
    } else if (unit == "microsecond") {
      per = 1;
    } else if (unit == "month" || unit == "year") {
      return fail("months and years are not accepted (use days, e.g. '365 days')");
    } else {
      return fail(unit.empty() ? "missing unit" : "unknown unit '" + unit + "'");
    }
    if (number.find('.') != std::string::npos) {
      if (unit != "second") return fail("only seconds may have a fraction");
      double d = 0;
      auto r = std::from_chars(number.data() + (number[0] == '+' ? 1 : 0),
                               number.data() + number.size(), d);
      if (r.ec != std::errc() || r.ptr != number.data() + number.size()) {
        return fail("bad number '" + number + "'");
      }
      micros += static_cast<__int128>(std::llround(d * 1e6));
    } else {
      int64_t v = 0;
      auto r = std::from_chars(number.data() + (number[0] == '+' ? 1 : 0),
                               number.data() + number.size(), v);
      if (r.ec != std::errc() || r.ptr != number.data() + number.size()) {
        return fail("bad number '" + number + "'");
      }
      micros += static_cast<__int128>(v) * per;
    }
    if (micros > static_cast<__int128>(INT64_MAX) || micros < -static_cast<__int128>(INT64_MAX)) {
      return fail("out of range");
    }
  }
  if (micros < 0) return fail("negative duration");
  return static_cast<int64_t>(micros / 1000);
}

int64_t DeletedFileRetentionMs(const TableConfiguration& config) {
  return DurationProperty(config, "delta.deletedFileRetentionDuration", "interval 1 week");
}

int64_t LogRetentionMs(const TableConfiguration& config) {
  return DurationProperty(config, "delta.logRetentionDuration", "interval 30 days");
}

bool ShouldCheckpoint(const TableConfiguration& config, int64_t committed_version) {
  int64_t interval = 10;
  if (auto v = config.Property("delta.checkpointInterval")) {
    try {
      size_t used = 0;
      int64_t n = std::stoll(Trim(*v), &used);
      if (used == Trim(*v).size() && n > 0) interval = n;
    } catch (...) {
    }
  }
  return committed_version > 0 && committed_version % interval == 0;
}

std::string LastCheckpointChecksum(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    throw InvalidInput("_last_checkpoint is not a JSON object");
  }
  std::vector<std::string> entries;
  std::string prefix;
  CollectChecksumEntries(j, prefix, true, &entries);
  std::sort(entries.begin(), entries.end());
  std::string joined;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) joined += ',';
    joined += entries[i];
  }
  return Md5Hex(joined);
}

CheckpointResult WriteCheckpoint(const Snapshot& snapshot, const CheckpointOptions& options) {
  const TableConfiguration& config = snapshot.config();
  storage::ObjectStore& store = *snapshot.store();
  const int threads = options.threads > 0 ? options.threads : DefaultThreads();
  const bool v2_supported = config.HasWriterFeature("v2Checkpoint");
  bool v2 = false;
  switch (options.kind) {
    case CheckpointOptions::Kind::kAuto:
      v2 = v2_supported &&
           AsciiLower(config.Property("delta.checkpointPolicy").value_or("classic")) == "v2";
      break;
    case CheckpointOptions::Kind::kClassic:
      break;
    case CheckpointOptions::Kind::kV2:
      if (!v2_supported) {
        throw InvalidInput("a V2 checkpoint needs the v2Checkpoint table feature, which " +
                           store.DisplayPath("") + " does not support");
      }
      v2 = true;
      break;
  }
  if (options.v2_actions_per_sidecar < 0) {
    throw InvalidInput("v2_actions_per_sidecar must be >= 0");
  }
  const int64_t now_ms = options.now_ms.value_or(NowMs());
  const CheckpointContent content = SelectContent(snapshot, now_ms);
  const AddLayout layout = MakeAddLayout(config);
  const std::string version_text = Padded(snapshot.version(), 20);

  CheckpointResult result;
  result.version = snapshot.version();
  result.v2 = v2;
  result.num_add_files = static_cast<int64_t>(content.adds.size());
  result.num_tombstones = static_cast<int64_t>(content.removes.size());
  result.num_txns = static_cast<int64_t>(content.txns.size());
  const size_t num_file_actions = content.adds.size() + content.removes.size();

  std::vector<ActionColumn> cols = {ActionColumn::kTxn, ActionColumn::kAdd, ActionColumn::kRemove,
                                    ActionColumn::kMetaData, ActionColumn::kProtocol};
  if (WritesDomainColumn(snapshot)) cols.push_back(ActionColumn::kDomainMetadata);
  OrderedJson v2_info;
  std::string checkpoint_schema_json;
  if (!v2) {
    result.key = "_delta_log/" + version_text + ".checkpoint.parquet";
    std::vector<Row> rows;
    rows.reserve(num_file_actions + content.txns.size() + content.domains.size() + 2);
    AddNonFileRows(snapshot, content, &rows);
    AddFileRows(content, 0, num_file_actions, &rows);
    auto meta = WriteActionsFile(store, result.key, cols, layout, rows, threads);
    result.num_actions = static_cast<int64_t>(rows.size());
    result.size_in_bytes = meta.size;
    checkpoint_schema_json = SchemaJsonOrEmpty(MakeSchema(cols, layout));
  } else {
    // Sidecars first (the top-level file points at them), then the top-level file.
    const std::vector<ActionColumn> sidecar_cols = {ActionColumn::kAdd, ActionColumn::kRemove};
    const bool use_sidecars = options.v2_actions_per_sidecar > 0 && num_file_actions > 0;
    std::vector<Sidecar> sidecars;
    int64_t sidecar_bytes = 0;
    if (use_sidecars) {
      const size_t per = static_cast<size_t>(options.v2_actions_per_sidecar);
      const size_t parts = (num_file_actions + per - 1) / per;
      for (size_t p = 0; p < parts; ++p) {
        std::string name = version_text + ".checkpoint." + Padded(static_cast<int64_t>(p + 1), 10) +
                           "." + Padded(static_cast<int64_t>(parts), 10) + "." + RandomUuid() +
                           ".parquet";
        std::string key = "_delta_log/_sidecars/" + name;
        std::vector<Row> rows;
        AddFileRows(content, p * per, std::min(num_file_actions, (p + 1) * per), &rows);
        auto meta = WriteActionsFile(store, key, sidecar_cols, layout, rows, threads);
        Sidecar sc;
        sc.path = name;
        sc.size_in_bytes = meta.size;
        sc.modification_time = meta.modification_time_ms;
        sidecars.push_back(sc);
        result.sidecar_keys.push_back(key);
        sidecar_bytes += meta.size;
      }
    }
    CheckpointMetadata cm;
    cm.version = snapshot.version();
    if (use_sidecars) {
      cm.tags["sidecarNumActions"] = std::to_string(num_file_actions);
      cm.tags["sidecarSizeInBytes"] = std::to_string(sidecar_bytes);
      std::string schema_json = SchemaJsonOrEmpty(MakeSchema(sidecar_cols, layout));
      if (!schema_json.empty()) cm.tags["sidecarFileSchema"] = schema_json;
    }
    cm.tags["numOfAddFiles"] = std::to_string(content.adds.size());
    cols.push_back(ActionColumn::kCheckpointMetadata);
    cols.push_back(ActionColumn::kSidecar);
    std::vector<Row> rows;
    rows.push_back({ActionColumn::kCheckpointMetadata, &cm});
    for (const auto& sc : sidecars) rows.push_back({ActionColumn::kSidecar, &sc});
    AddNonFileRows(snapshot, content, &rows);
    if (!use_sidecars) AddFileRows(content, 0, num_file_actions, &rows);
    const std::string name = version_text + ".checkpoint." + RandomUuid() + ".parquet";
    result.key = "_delta_log/" + name;
    auto meta = WriteActionsFile(store, result.key, cols, layout, rows, threads);
    result.num_actions = static_cast<int64_t>(rows.size() + (use_sidecars ? num_file_actions : 0));
    result.size_in_bytes = meta.size + sidecar_bytes;
    checkpoint_schema_json = SchemaJsonOrEmpty(MakeSchema(cols, layout));
    // LastCheckpointV2: the file, and (when short) its non-file actions and sidecars.
    v2_info["path"] = name;
    v2_info["sizeInBytes"] = meta.size;
    v2_info["modificationTime"] = meta.modification_time_ms;
    const size_t non_file = 3 + content.txns.size() + content.domains.size();
    if (non_file <= kLastCheckpointListThreshold) {
      OrderedJson actions = OrderedJson::array();
      std::vector<Action> list = {snapshot.protocol(), snapshot.metadata()};
      for (const Txn* t : content.txns) list.emplace_back(*t);
      for (const DomainMetadata* d : content.domains) list.emplace_back(*d);
      list.emplace_back(cm);
      for (const auto& a : list) actions.push_back(OrderedJson::parse(SerializeActionJson(a)));
      v2_info["nonFileActions"] = std::move(actions);
    }
    if (sidecars.size() <= kLastCheckpointListThreshold) {
      OrderedJson files = OrderedJson::array();
      for (const auto& sc : sidecars) {
        OrderedJson f;
        f["path"] = sc.path;
        f["sizeInBytes"] = sc.size_in_bytes;
        f["modificationTime"] = sc.modification_time;
        files.push_back(std::move(f));
      }
      v2_info["sidecarFiles"] = std::move(files);
    }
  }

  // _last_checkpoint, in Spark's field order (version, size first for old readers).
  OrderedJson last;
  last["version"] = result.version;
  last["size"] = result.num_actions;
  last["sizeInBytes"] = result.size_in_bytes;
  last["numOfAddFiles"] = result.num_add_files;
  if (!checkpoint_schema_json.empty()) {
    last["checkpointSchema"] = OrderedJson::parse(checkpoint_schema_json);
  }
  if (v2) last["v2Checkpoint"] = std::move(v2_info);
  std::string text = last.dump();
  last["checksum"] = LastCheckpointChecksum(text);
  result.last_checkpoint_json = last.dump();
  if (options.update_last_checkpoint) {
    std::optional<int64_t> existing;
    try {
      existing = ReadLastCheckpointVersion(store, /*validate=*/false);
    } catch (const IoError&) {
      throw;
    } catch (const std::exception&) {
      existing.reset();  // unreadable: ours replaces it
    }
    if (!existing || *existing <= result.version) {
      store.Write(kLastCheckpointKey, result.last_checkpoint_json);
      result.last_checkpoint_written = true;
    }
  }
  return result;
}

// ---------------------------------------------------------------- log cleanup ------------

namespace {

bool IsCheckpointKind(LogFile::Kind k) {
  return k == LogFile::Kind::kCheckpoint || k == LogFile::Kind::kMultiPartCheckpoint ||
         k == LogFile::Kind::kV2Checkpoint;
}

// The newest complete checkpoint in a listing (classic, V2, or multi-part with every part).
std::optional<int64_t> NewestCompleteCheckpoint(const std::vector<LogFile>& files) {
  std::optional<int64_t> best;
  std::map<std::pair<int64_t, int32_t>, std::set<int32_t>> parts;
  for (const auto& f : files) {
    if (f.kind == LogFile::Kind::kCheckpoint || f.kind == LogFile::Kind::kV2Checkpoint) {
      best = std::max(best.value_or(f.version), f.version);
    } else if (f.kind == LogFile::Kind::kMultiPartCheckpoint) {
      auto& s = parts[{f.version, f.num_parts}];
      s.insert(f.part);
      if (static_cast<int32_t>(s.size()) == f.num_parts) {
        best = std::max(best.value_or(f.version), f.version);
      }
    }
  }
  return best;
}

// Names of the sidecar files the checkpoint file references. False when it cannot be read.
bool CollectSidecars(storage::ObjectStore& store, const LogFile& f, std::set<std::string>* out) {
  auto add = [&](const std::string& path) {
    std::string name = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    try {
      out->insert(storage::UriDecode(name));
    } catch (const Error&) {
      out->insert(name);
    }
  };
  try {
    if (f.key.size() >= 5 && f.key.compare(f.key.size() - 5, 5, ".json") == 0) {
      for (const auto& a : ParseActionsJson(store.Read(f.key), store.DisplayPath(f.key))) {
        if (const auto* sc = std::get_if<Sidecar>(&a)) add(sc->path);
      }
      return true;
    }
    auto reader = parquet::ParquetFileReader::Open(store.OpenForRead(f.key));
    int idx = reader->file_schema().FieldIndex("sidecar");
    if (idx < 0) return true;
    for (int g = 0; g < reader->num_row_groups(); ++g) {
      auto batch = reader->ReadRowGroup(g, {idx});
      const Column& col = batch.column(0);
      if (col.type_id() != TypeId::kStruct) return false;
      int path_idx = -1;
      const auto& fields = col.type()->fields();
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].name == "path") path_idx = static_cast<int>(i);
      }
      if (path_idx < 0) return false;
      const Column& paths = col.child(static_cast<size_t>(path_idx));
      for (int64_t r = 0; r < batch.num_rows(); ++r) {
        if (col.IsValid(r) && paths.IsValid(r)) add(std::string(paths.GetString(r)));
      }
    }
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

int64_t CleanupExpiredLogs(storage::ObjectStore& store, const Snapshot& latest, int64_t now_ms,
                           std::vector<std::string>* deleted) {
  const TableConfiguration& config = latest.config();
  if (!config.BoolProperty("delta.enableExpiredLogCleanup", true)) return 0;
  // Midnight (UTC) at or before now − retention.
  const int64_t expiry = now_ms - LogRetentionMs(config);
  const int64_t cutoff = expiry - (((expiry % kMsPerDay) + kMsPerDay) % kMsPerDay);

  std::vector<LogFile> files;  // commits, checkpoints, checksums, in name order
  std::vector<LogFile> compactions;
  for (const auto& meta : store.List("_delta_log/")) {
    auto f = ParseLogFileName(std::string_view(meta.key).substr(meta.key.rfind('/') + 1));
    if (!f) continue;
    f->key = meta.key;
    f->size = meta.size;
    f->modification_time_ms = meta.modification_time_ms;
    if (f->kind == LogFile::Kind::kCompaction) {
      compactions.push_back(*f);
    } else {
      files.push_back(*f);
    }
  }
  std::optional<int64_t> last_checkpoint;
  try {
    last_checkpoint = ReadLastCheckpointVersion(store, /*validate=*/true);
  } catch (const IoError&) {
    throw;
  } catch (const std::exception&) {
    last_checkpoint = NewestCompleteCheckpoint(files);  // corrupt: as Spark, list instead
  }
  if (!last_checkpoint || files.empty()) return 0;
  const int64_t max_version = *last_checkpoint - 1;

  // DeltaHistoryManager.BufferingLogDeletionIterator: files are buffered in runs that start
  // at a checkpoint; when the next complete checkpoint arrives, the run is deleted if its last
  // file (times made monotonic by version) is expired and older than _last_checkpoint.
  struct Item {
    const LogFile* file;
    int64_t time;
  };
  std::vector<Item> buffer;
  std::vector<const LogFile*> doomed;
  std::optional<int64_t> cut_checkpoint;  // the checkpoint before which everything went
  std::map<std::pair<int64_t, int32_t>, std::vector<Item>> pending_parts;
  auto flush = [&](int64_t checkpoint_version) {
    if (!buffer.empty()) {
      const Item& lastb = buffer.back();
      if (lastb.time <= cutoff && lastb.file->version <= max_version) {
        for (const auto& it : buffer) doomed.push_back(it.file);
        cut_checkpoint = checkpoint_version;
      }
    }
    buffer.clear();
  };
  Item last{&files[0], files[0].modification_time_ms};
  buffer.push_back(last);
  for (size_t i = 1; i < files.size(); ++i) {
    Item cur{&files[i], files[i].modification_time_ms};
    if (last.file->version < cur.file->version && last.time >= cur.time) {
      cur.time = last.time + 1;
      buffer.push_back(cur);
    } else if (IsCheckpointKind(cur.file->kind) && cur.file->size > 0) {
      if (cur.file->kind == LogFile::Kind::kMultiPartCheckpoint) {
        auto& parts = pending_parts[{cur.file->version, cur.file->num_parts}];
        parts.push_back(cur);
        if (static_cast<int32_t>(parts.size()) == cur.file->num_parts) {
          flush(cur.file->version);
          for (const auto& p : parts) buffer.push_back(p);
          pending_parts.erase({cur.file->version, cur.file->num_parts});
        }
      } else {
        flush(cur.file->version);
        buffer.push_back(cur);
      }
    } else {
      buffer.push_back(cur);
    }
    last = cur;
  }
  // The last run (from the newest checkpoint on) is never deleted. (Spark's extra gate for the
  // checkpointProtection feature, metadataCleanupAllowed, passes whenever a checkpoint exists
  // right after the deleted commits — which is how every run above ends — so it is not
  // repeated here.)

  int64_t count = 0;
  bool checkpoint_deleted = false;
  auto delete_key = [&](const std::string& key) {
    store.Delete(key);
    ++count;
    if (deleted) deleted->push_back(key);
  };
  for (const LogFile* f : doomed) {
    delete_key(f->key);
    checkpoint_deleted |= IsCheckpointKind(f->kind);
  }
  // PROTOCOL.md "Metadata Cleanup" step 3: compaction files starting at or before the
  // checkpoint everything before which was deleted can no longer be used.
  if (cut_checkpoint) {
    for (const auto& c : compactions) {
      if (c.start_version <= *cut_checkpoint && c.modification_time_ms <= cutoff) delete_key(c.key);
    }
  }
  // Steps 4–5: sidecars no remaining checkpoint references, older than the cutoff.
  if (checkpoint_deleted && config.HasWriterFeature("v2Checkpoint")) {
    auto sidecar_files = store.List("_delta_log/_sidecars/");
    if (!sidecar_files.empty()) {
      std::set<std::string> doomed_keys;
      for (const LogFile* f : doomed) doomed_keys.insert(f->key);
      std::set<std::string> referenced;
      bool readable = true;
      for (const auto& f : files) {
        if ((f.kind == LogFile::Kind::kCheckpoint || f.kind == LogFile::Kind::kV2Checkpoint) &&
            !doomed_keys.count(f.key)) {
          readable = readable && CollectSidecars(store, f, &referenced);
        }
      }
      // An unreadable checkpoint might reference any sidecar: then keep them all.
      if (readable) {
        for (const auto& m : sidecar_files) {
          std::string name = m.key.substr(m.key.rfind('/') + 1);
          if (m.modification_time_ms < cutoff && !referenced.count(name)) delete_key(m.key);
        }
      }
    }
  }
  return count;
}

}  // namespace cpglake::delta
