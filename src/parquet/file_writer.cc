#include "parquet/file_writer.h"

#include <algorithm>
#include <charconv>

// Inlined: the dictionary hashes every value, most of them short.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cmath>
#include <cstring>

#include "common/error.h"
#include "common/parallel.h"
#include "parquet/bit_util.h"
#include "parquet/bloom_filter.h"
#include "parquet/rle_bit_packed.h"
#include "parquet/statistics.h"

namespace cpglake::parquet {

using columnar::Column;
using columnar::ColumnPtr;
using columnar::RecordBatch;
using columnar::TypeId;

namespace {

// One node of the write tree, mirroring the Parquet schema we emit.
struct WriteNode {
  enum class Kind : uint8_t { kLeaf, kStruct, kList, kMap };
  Kind kind = Kind::kLeaf;
  bool optional = true;
  int16_t def_level = 0;  // definition level when this node is present
  int16_t rep_level = 0;  // lists/maps: level of their repeated group; else the depth
  int leaf = -1;
  columnar::TypePtr type;
  Type physical = Type::INT32;
  int32_t type_length = 0;
  std::vector<WriteNode> children;  // struct fields; list: element; map: key, value
  std::vector<std::string> path;
};

int DecimalBytes(int precision) {
  // Smallest n with 2^(8n-1) > 10^precision.
  int n = 1;
  while (std::log10(2.0) * (8 * n - 1) < precision) ++n;
  return n;
}

// Appends schema elements for a field and builds its write node.
WriteNode BuildNode(const columnar::Field& f, int16_t def, int16_t rep,
                    std::vector<std::string> path, std::vector<SchemaElement>* elements,
                    int* next_leaf) {
  WriteNode n;
  n.type = f.type;
  n.optional = f.nullable;
  n.def_level = def + (f.nullable ? 1 : 0);
  n.rep_level = rep;
  path.push_back(f.name);
  n.path = path;
  SchemaElement e;
  e.name = f.name;
  e.repetition_type = f.nullable ? FieldRepetitionType::OPTIONAL : FieldRepetitionType::REQUIRED;
  if (const std::string* id = f.FindMetadata(kFieldIdMetadataKey)) {
    int32_t v = 0;
    auto [end, ec] = std::from_chars(id->data(), id->data() + id->size(), v);
    if (ec != std::errc() || end != id->data() + id->size()) {
      throw InvalidInput("field '" + f.name + "': " + std::string(kFieldIdMetadataKey) + " '" +
                         *id + "' is not a 32-bit integer");
    }
    e.field_id = v;
  }
  const auto& t = *f.type;
  auto leaf = [&](Type phys) {
    n.kind = WriteNode::Kind::kLeaf;
    n.physical = phys;
    e.type = phys;
    n.leaf = (*next_leaf)++;
  };
  switch (t.id()) {
    case TypeId::kNull:
      leaf(Type::INT32);
      e.logical_type = LogicalType::Of(LogicalType::Kind::UNKNOWN);
      e.repetition_type = FieldRepetitionType::OPTIONAL;
      n.optional = true;
      n.def_level = def + 1;
      break;
    case TypeId::kBoolean:
      leaf(Type::BOOLEAN);
      break;
    case TypeId::kInt8:
      leaf(Type::INT32);
      e.logical_type = LogicalType::Integer(8, true);
      e.converted_type = ConvertedType::INT_8;
      break;
    case TypeId::kInt16:
      leaf(Type::INT32);
      e.logical_type = LogicalType::Integer(16, true);
      e.converted_type = ConvertedType::INT_16;
      break;
    case TypeId::kInt32:
      leaf(Type::INT32);
      break;
    case TypeId::kInt64:
      leaf(Type::INT64);
      break;
    case TypeId::kFloat32:
      leaf(Type::FLOAT);
      break;
    case TypeId::kFloat64:
      leaf(Type::DOUBLE);
      break;
    case TypeId::kDecimal:
      if (t.precision() <= 9) {
        leaf(Type::INT32);
      } else if (t.precision() <= 18) {
        leaf(Type::INT64);
      } else {
        leaf(Type::FIXED_LEN_BYTE_ARRAY);
        n.type_length = DecimalBytes(t.precision());
        e.type_length = n.type_length;
      }
      e.logical_type = LogicalType::Decimal(t.scale(), t.precision());
      e.converted_type = ConvertedType::DECIMAL;
      e.scale = t.scale();
      e.precision = t.precision();
      break;
    case TypeId::kString:
      leaf(Type::BYTE_ARRAY);
      e.logical_type = LogicalType::Of(LogicalType::Kind::STRING);
      e.converted_type = ConvertedType::UTF8;
      break;
    case TypeId::kBinary:
      leaf(Type::BYTE_ARRAY);
      break;
    case TypeId::kDate:
      leaf(Type::INT32);
      e.logical_type = LogicalType::Of(LogicalType::Kind::DATE);
      e.converted_type = ConvertedType::DATE;
      break;
    case TypeId::kTimestamp:
      leaf(Type::INT64);
      e.logical_type = LogicalType::Timestamp(true, TimeUnit::MICROS);
      e.converted_type = ConvertedType::TIMESTAMP_MICROS;
      break;
    case TypeId::kTimestampNtz:
      leaf(Type::INT64);
      e.logical_type = LogicalType::Timestamp(false, TimeUnit::MICROS);
      break;
    case TypeId::kStruct: {
      if (t.fields().empty()) {
        throw InvalidInput("struct column '" + f.name + "' has no fields; Parquet cannot store it");
      }
      n.kind = WriteNode::Kind::kStruct;
      e.num_children = static_cast<int32_t>(t.fields().size());
      elements->push_back(e);
      for (const auto& c : t.fields()) {
        n.children.push_back(BuildNode(c, n.def_level, rep, path, elements, next_leaf));
      }
      return n;
    }
    case TypeId::kList:
    case TypeId::kMap: {
      const bool is_map = t.id() == TypeId::kMap;
      n.kind = is_map ? WriteNode::Kind::kMap : WriteNode::Kind::kList;
      n.rep_level = rep + 1;
      e.num_children = 1;
      e.logical_type = LogicalType::Of(is_map ? LogicalType::Kind::MAP : LogicalType::Kind::LIST);
      e.converted_type = is_map ? ConvertedType::MAP : ConvertedType::LIST;
      elements->push_back(e);
      SchemaElement r;
      r.name = is_map ? "key_value" : "list";
      r.repetition_type = FieldRepetitionType::REPEATED;
      r.num_children = is_map ? 2 : 1;
      elements->push_back(r);
      path.push_back(r.name);
      const int16_t rdef = n.def_level + 1;
      if (is_map) {
        columnar::Field key = t.key();
        key.nullable = false;
        n.children.push_back(BuildNode(key, rdef, rep + 1, path, elements, next_leaf));
        n.children.push_back(BuildNode(t.value(), rdef, rep + 1, path, elements, next_leaf));
      } else {
        n.children.push_back(BuildNode(t.element(), rdef, rep + 1, path, elements, next_leaf));
      }
      return n;
    }
  }
  elements->push_back(e);
  return n;
}

// Levels and values of one leaf column of a row group.
struct LeafBuffer {
  std::vector<int16_t> def;
  std::vector<int16_t> rep;
  int64_t num_entries = 0;
  // Values: either a flat column used in place (nulls skipped), or a dense column.
  const Column* values = nullptr;
  ColumnPtr dense;
};

class Shredder {
 public:
  explicit Shredder(std::vector<LeafBuffer>* leaves) : leaves_(*leaves) {}

  void ShredTopLevel(const WriteNode& n, const ColumnPtr& col) {
    if (n.kind == WriteNode::Kind::kLeaf) {
      // Flat: levels straight from the validity bitmap, values used in place.
      LeafBuffer& lb = leaves_[n.leaf];
      lb.num_entries = col->length();
      lb.values = col.get();
      if (n.def_level > 0) {
        lb.def.resize(col->length());
        for (int64_t i = 0; i < col->length(); ++i) lb.def[i] = col->IsValid(i) ? 1 : 0;
      }
      return;
    }
    if (ShredListOfLeaves(n, *col)) return;
    InitDense(n);
    for (int64_t i = 0; i < col->length(); ++i) Emit(n, *col, i, 0, 0);
  }

 private:
  // A list of leaves or of non-null structs of leaves whose rows cover the element column in
  // order (as appended): the levels row by row, the element leaves' values used in place (what
  // Emit would copy value by value). False (nothing done) for any other shape.
  bool ShredListOfLeaves(const WriteNode& n, const Column& col) {
    if (n.kind != WriteNode::Kind::kList || n.children.size() != 1 || col.num_children() != 1) {
      return false;
    }
    if (!n.optional && col.null_count() > 0) return false;  // Emit reports it
    const WriteNode& element = n.children[0];
    const Column& child = col.child(0);
    std::vector<std::pair<const WriteNode*, const Column*>> leaves;
    int16_t absent_def = 0;  // the level of a null leaf value under a present element
    if (element.kind == WriteNode::Kind::kLeaf) {
      leaves.emplace_back(&element, &child);
      absent_def = static_cast<int16_t>(n.def_level + 1);
    } else if (element.kind == WriteNode::Kind::kStruct &&
               element.children.size() == child.num_children()) {
      if (child.type_id() == TypeId::kNull || child.null_count() > 0) return false;
      for (size_t k = 0; k < element.children.size(); ++k) {
        if (element.children[k].kind != WriteNode::Kind::kLeaf) return false;
        leaves.emplace_back(&element.children[k], &child.child(k));
      }
      absent_def = element.def_level;
    } else {
      return false;
    }
    for (const auto& [leaf, values] : leaves) {
      if (values->type_id() == TypeId::kNull || values->length() != child.length()) return false;
      if (!leaf->optional && values->null_count() > 0) return false;
    }
    const int64_t rows = col.length();
    if (rows > 0 && (col.ListBegin(0) != 0 || col.ListEnd(rows - 1) != child.length())) {
      return false;
    }
    for (const auto& [leaf, values] : leaves) {
      LeafBuffer& lb = leaves_[leaf->leaf];
      lb.values = values;
      const size_t entries = static_cast<size_t>(child.length() + rows);
      lb.def.reserve(entries);
      lb.rep.reserve(entries);
      const bool nulls = values->null_count() > 0;
      for (int64_t i = 0; i < rows; ++i) {
        if (col.IsNull(i)) {
          lb.def.push_back(0);
          lb.rep.push_back(0);
          continue;
        }
        const int64_t b = col.ListBegin(i), e = col.ListEnd(i);
        if (b == e) {
          lb.def.push_back(n.def_level);
          lb.rep.push_back(0);
          continue;
        }
        for (int64_t j = b; j < e; ++j) {
          lb.def.push_back(!nulls || values->IsValid(j) ? leaf->def_level : absent_def);
          lb.rep.push_back(j == b ? 0 : n.rep_level);
        }
      }
      lb.num_entries = static_cast<int64_t>(lb.def.size());
    }
    return true;
  }

  void InitDense(const WriteNode& n) {
    if (n.kind == WriteNode::Kind::kLeaf) {
      leaves_[n.leaf].dense = Column::Make(n.type);
      leaves_[n.leaf].values = leaves_[n.leaf].dense.get();
      return;
    }
    for (const auto& c : n.children) InitDense(c);
  }

  void Push(const WriteNode& leaf, int16_t def, int16_t rep) {
    LeafBuffer& lb = leaves_[leaf.leaf];
    lb.def.push_back(def);
    if (leaf.rep_level > 0) lb.rep.push_back(rep);
    ++lb.num_entries;
  }

  // Every leaf under `n` records an entry at (def, rep) with no value.
  void EmitAbsent(const WriteNode& n, int16_t def, int16_t rep) {
    if (n.kind == WriteNode::Kind::kLeaf) {
      Push(n, def, rep);
      return;
    }
    for (const auto& c : n.children) EmitAbsent(c, def, rep);
  }

  // `parent_def`: definition level of the present parent; `rep`: repetition level for
  // the first entry this value produces.
  void Emit(const WriteNode& n, const Column& c, int64_t i, int16_t parent_def, int16_t rep) {
    if (c.type_id() == TypeId::kNull || c.IsNull(i)) {
      if (!n.optional) {
        throw InvalidInput("null value in non-nullable column '" + JoinPath(n) + "'");
      }
      EmitAbsent(n, parent_def, rep);
      return;
    }
    const int16_t d = n.def_level;
    switch (n.kind) {
      case WriteNode::Kind::kLeaf:
        Push(n, d, rep);
        leaves_[n.leaf].dense->AppendFrom(c, i);
        return;
      case WriteNode::Kind::kStruct:
        for (size_t k = 0; k < n.children.size(); ++k) Emit(n.children[k], c.child(k), i, d, rep);
        return;
      case WriteNode::Kind::kList:
      case WriteNode::Kind::kMap: {
        const int64_t b = c.ListBegin(i), e = c.ListEnd(i);
        if (b == e) {
          for (const auto& ch : n.children) EmitAbsent(ch, d, rep);
          return;
        }
        for (int64_t j = b; j < e; ++j) {
          const int16_t r = j == b ? rep : n.rep_level;
          for (size_t k = 0; k < n.children.size(); ++k) {
            Emit(n.children[k], c.child(k), j, d + 1, r);
          }
        }
        return;
      }
    }
  }

  static std::string JoinPath(const WriteNode& n) {
    std::string s;
    for (const auto& p : n.path) s += (s.empty() ? "" : ".") + p;
    return s;
  }

  std::vector<LeafBuffer>& leaves_;
};

// Physical values of a leaf, gathered from its column (nulls skipped).
struct PhysicalValues {
  int64_t count = 0;
  int width = 0;                        // fixed-width types: bytes per value
  std::vector<uint8_t> fixed;           // count * width bytes (booleans: one byte each)
  std::vector<std::string_view> views;  // byte arrays
  std::string storage;                  // backing bytes for converted byte arrays
};

void GatherPhysical(const WriteNode& n, const Column& col, PhysicalValues* pv) {
  const int64_t len = col.length();
  const bool skip = col.has_validity();
  const int64_t present = skip ? len - col.null_count() : len;
  pv->count = present;
  if (col.type_id() == TypeId::kNull) {
    pv->count = 0;
    pv->width = 4;
    return;
  }
  auto for_each = [&](auto&& fn) {
    if (!skip) {
      for (int64_t i = 0; i < len; ++i) fn(i);
    } else {
      for (int64_t i = 0; i < len; ++i) {
        if (col.IsValid(i)) fn(i);
      }
    }
  };
  switch (n.physical) {
    case Type::BYTE_ARRAY: {
      pv->views.reserve(present);
      for_each([&](int64_t i) { pv->views.push_back(col.GetString(i)); });
      return;
    }
    case Type::FIXED_LEN_BYTE_ARRAY: {  // decimals
      const int w = n.type_length;
      pv->storage.resize(static_cast<size_t>(present) * w);
      int64_t k = 0;
      for_each([&](int64_t i) {
        __int128 v = col.Get<__int128>(i);
        char* dst = pv->storage.data() + k * w;
        for (int b = w - 1; b >= 0; --b) {
          dst[b] = static_cast<char>(static_cast<uint8_t>(v & 0xff));
          v >>= 8;
        }
        ++k;
      });
      pv->views.reserve(present);
      for (int64_t i = 0; i < present; ++i) {
        pv->views.emplace_back(pv->storage.data() + i * w, w);
      }
      return;
    }
    default:
      break;
  }
  const TypeId id = col.type_id();
  const int src_w = col.type()->byte_width();
  pv->width = n.physical == Type::BOOLEAN                                ? 1
              : (n.physical == Type::INT32 || n.physical == Type::FLOAT) ? 4
                                                                         : 8;
  pv->fixed.resize(static_cast<size_t>(present) * pv->width);
  uint8_t* dst = pv->fixed.data();
  if (src_w == pv->width && id != TypeId::kDecimal) {
    const uint8_t* src = col.data_buffer().data();
    if (!skip) {
      std::memcpy(dst, src, static_cast<size_t>(present) * pv->width);
    } else {
      int64_t k = 0;
      for (int64_t i = 0; i < len; ++i) {
        if (col.IsValid(i)) std::memcpy(dst + (k++) * pv->width, src + i * src_w, pv->width);
      }
    }
    return;
  }
  int64_t k = 0;
  for_each([&](int64_t i) {
    int64_t v;
    switch (id) {
      case TypeId::kInt8:
        v = col.Get<int8_t>(i);
        break;
      case TypeId::kInt16:
        v = col.Get<int16_t>(i);
        break;
      case TypeId::kDecimal:
        v = static_cast<int64_t>(col.Get<__int128>(i));
        break;
      default:
        v = col.Get<int32_t>(i);
        break;
    }
    if (pv->width == 4) {
      int32_t x = static_cast<int32_t>(v);
      std::memcpy(dst + k * 4, &x, 4);
    } else {
      std::memcpy(dst + k * 8, &v, 8);
    }
    ++k;
  });
}

// Open-addressing hash set of value indices, for dictionary building.
class DictionaryBuilder {
 public:
  DictionaryBuilder(const PhysicalValues& pv, int64_t byte_limit) : pv_(pv), limit_(byte_limit) {
    Resize(1024);
  }

  // Maps every value to a dictionary index; false when the dictionary would exceed the
  // byte limit (the caller then writes PLAIN).
  // `max_distinct`: give up (false) as soon as more values than this are distinct, and when
  // the first kProbe values are all distinct (ids, offsets: a dictionary would not pay off).
  bool Build(std::vector<uint32_t>* indices, int64_t max_distinct) {
    indices->resize(pv_.count);
    for (int64_t i = 0; i < pv_.count; ++i) {
      if (i == kProbe && static_cast<int64_t>(entries_.size()) == kProbe) return false;
      // A run of equal values (rows clustered by the column) needs no lookup.
      if (i > 0 && Equal(i - 1, i)) {
        (*indices)[i] = (*indices)[i - 1];
        continue;
      }
      uint64_t h = Hash(i);
      size_t slot = h & mask_;
      while (true) {
        int64_t e = slots_[slot];
        if (e < 0) {
          slots_[slot] = static_cast<int64_t>(entries_.size());
          (*indices)[i] = static_cast<uint32_t>(entries_.size());
          entries_.push_back(i);
          bytes_ += pv_.width > 0 ? pv_.width : 4 + static_cast<int64_t>(pv_.views[i].size());
          if (bytes_ > limit_ || static_cast<int64_t>(entries_.size()) > max_distinct) {
            return false;
          }
          if (entries_.size() * 2 > slots_.size()) Resize(slots_.size() * 2);
          break;
        }
        if (Equal(entries_[e], i)) {
          (*indices)[i] = static_cast<uint32_t>(e);
          break;
        }
        slot = (slot + 1) & mask_;
      }
    }
    return true;
  }
  // Value indices (into the physical values) of the dictionary entries, in order.
  const std::vector<int64_t>& entries() const { return entries_; }

 private:
  static constexpr int64_t kProbe = 4096;
  uint64_t Hash(int64_t i) const {
    if (pv_.width > 0) return XXH3_64bits(pv_.fixed.data() + i * pv_.width, pv_.width);
    return XXH3_64bits(pv_.views[i].data(), pv_.views[i].size());
  }
  bool Equal(int64_t a, int64_t b) const {
    if (pv_.width > 0) {
      return std::memcmp(pv_.fixed.data() + a * pv_.width, pv_.fixed.data() + b * pv_.width,
                         pv_.width) == 0;
    }
    return pv_.views[a] == pv_.views[b];
  }
  void Resize(size_t n) {
    slots_.assign(n, -1);
    mask_ = n - 1;
    for (size_t e = 0; e < entries_.size(); ++e) {
      size_t slot = Hash(entries_[e]) & mask_;
      while (slots_[slot] >= 0) slot = (slot + 1) & mask_;
      slots_[slot] = static_cast<int64_t>(e);
    }
  }

  const PhysicalValues& pv_;
  int64_t limit_;
  std::vector<int64_t> slots_;
  size_t mask_ = 0;
  std::vector<int64_t> entries_;
  int64_t bytes_ = 0;
};

void AppendPlainValue(const PhysicalValues& pv, Type phys, int64_t i, std::string* out) {
  if (phys == Type::BYTE_ARRAY) {
    uint32_t len = static_cast<uint32_t>(pv.views[i].size());
    out->append(reinterpret_cast<const char*>(&len), 4);
    out->append(pv.views[i]);
  } else if (phys == Type::FIXED_LEN_BYTE_ARRAY) {
    out->append(pv.views[i]);
  } else {
    out->append(reinterpret_cast<const char*>(pv.fixed.data() + i * pv.width), pv.width);
  }
}

// Plain encoding of values [b, e).
void EncodePlain(const PhysicalValues& pv, Type phys, int64_t b, int64_t e, std::string* out) {
  if (phys == Type::BOOLEAN) {
    std::string bits(static_cast<size_t>(bit_util::BytesForBits(e - b)), '\0');
    for (int64_t i = b; i < e; ++i) {
      if (pv.fixed[i]) bits[(i - b) >> 3] |= static_cast<char>(1 << ((i - b) & 7));
    }
    out->append(bits);
    return;
  }
  if (pv.width > 0 && phys != Type::FIXED_LEN_BYTE_ARRAY) {
    out->append(reinterpret_cast<const char*>(pv.fixed.data() + b * pv.width),
                static_cast<size_t>(e - b) * pv.width);
    return;
  }
  if (phys == Type::BYTE_ARRAY) {
    size_t total = 0;
    for (int64_t i = b; i < e; ++i) total += 4 + pv.views[i].size();
    size_t at = out->size();
    out->resize(at + total);
    char* dst = out->data();
    for (int64_t i = b; i < e; ++i) {
      uint32_t len = static_cast<uint32_t>(pv.views[i].size());
      std::memcpy(dst + at, &len, 4);
      std::memcpy(dst + at + 4, pv.views[i].data(), len);
      at += 4 + len;
    }
    return;
  }
  for (int64_t i = b; i < e; ++i) AppendPlainValue(pv, phys, i, out);
}

// Unsigned-byte order of two byte strings, deciding on an 8-byte big-endian prefix first.
inline bool BytesLess(std::string_view a, std::string_view b) {
  if (a.size() >= 8 && b.size() >= 8) {
    uint64_t pa = bit_util::LoadBE64(reinterpret_cast<const uint8_t*>(a.data()));
    uint64_t pb = bit_util::LoadBE64(reinterpret_cast<const uint8_t*>(b.data()));
    if (pa != pb) return pa < pb;
  }
  return a < b;
}

// Min/max over the physical values in the column's sort order.
// With a dictionary, only its entries (`subset`) need looking at: they are every distinct value.
void ComputeStatistics(const WriteNode& n, const PhysicalValues& pv,
                       const std::vector<int64_t>* subset, int64_t null_count,
                       const WriterOptions& opt, Statistics* st) {
  st->null_count = null_count;
  if (pv.count == 0 || n.type->id() == TypeId::kNull) return;
  const int64_t count = subset ? static_cast<int64_t>(subset->size()) : pv.count;
  auto at = [&](int64_t k) { return subset ? (*subset)[k] : k; };
  auto set = [&](std::string mn, std::string mx, bool legacy) {
    st->min_value = mn;
    st->max_value = mx;
    if (legacy) {
      st->min = std::move(mn);
      st->max = std::move(mx);
    }
  };
  switch (n.physical) {
    case Type::BOOLEAN: {
      bool any_true = false, any_false = false;
      for (int64_t k = 0; k < count; ++k) (pv.fixed[at(k)] ? any_true : any_false) = true;
      set(std::string(1, any_false ? 0 : 1), std::string(1, any_true ? 1 : 0), true);
      return;
    }
    case Type::INT32:
    case Type::INT64: {
      int64_t imin = 0, imax = 0;
      for (int64_t k = 0; k < count; ++k) {
        const int64_t i = at(k);
        int64_t v;
        if (pv.width == 4) {
          int32_t x;
          std::memcpy(&x, pv.fixed.data() + i * 4, 4);
          v = x;
        } else {
          std::memcpy(&v, pv.fixed.data() + i * 8, 8);
        }
        if (k == 0 || v < imin) imin = v;
        if (k == 0 || v > imax) imax = v;
      }
      std::string mn(pv.width, '\0'), mx(pv.width, '\0');
      if (pv.width == 4) {
        int32_t a = static_cast<int32_t>(imin), b = static_cast<int32_t>(imax);
        std::memcpy(mn.data(), &a, 4);
        std::memcpy(mx.data(), &b, 4);
      } else {
        std::memcpy(mn.data(), &imin, 8);
        std::memcpy(mx.data(), &imax, 8);
      }
      set(mn, mx, true);
      return;
    }
    case Type::FLOAT:
    case Type::DOUBLE: {
      bool any = false;
      double dmin = 0, dmax = 0;
      for (int64_t k = 0; k < count; ++k) {
        const int64_t i = at(k);
        double v;
        if (pv.width == 4) {
          float f;
          std::memcpy(&f, pv.fixed.data() + i * 4, 4);
          v = f;
        } else {
          std::memcpy(&v, pv.fixed.data() + i * 8, 8);
        }
        if (std::isnan(v)) continue;
        if (!any || v < dmin) dmin = v;
        if (!any || v > dmax) dmax = v;
        any = true;
      }
      if (!any) return;  // only NaNs: no usable bounds
      if (dmin == 0) dmin = -0.0;
      if (dmax == 0) dmax = 0.0;
      std::string mn(pv.width, '\0'), mx(pv.width, '\0');
      if (pv.width == 4) {
        float a = static_cast<float>(dmin), b = static_cast<float>(dmax);
        std::memcpy(mn.data(), &a, 4);
        std::memcpy(mx.data(), &b, 4);
      } else {
        std::memcpy(mn.data(), &dmin, 8);
        std::memcpy(mx.data(), &dmax, 8);
      }
      set(mn, mx, true);
      return;
    }
    case Type::FIXED_LEN_BYTE_ARRAY: {  // decimals: signed big-endian
      // Two's complement of equal width: the sign bit first, then unsigned byte order.
      auto less = [](std::string_view a, std::string_view b) {
        bool na = static_cast<unsigned char>(a[0]) & 0x80;
        bool nb = static_cast<unsigned char>(b[0]) & 0x80;
        if (na != nb) return na;
        return a < b;
      };
      int64_t imin = at(0), imax = at(0);
      for (int64_t k = 1; k < count; ++k) {
        const int64_t i = at(k);
        if (less(pv.views[i], pv.views[imin])) imin = i;
        if (less(pv.views[imax], pv.views[i])) imax = i;
      }
      set(std::string(pv.views[imin]), std::string(pv.views[imax]), false);
      return;
    }
    case Type::BYTE_ARRAY: {
      int64_t imin = at(0), imax = at(0);
      for (int64_t k = 1; k < count; ++k) {
        const int64_t i = at(k);
        // std::string_view compares chars via char_traits<char>, which is unsigned-byte order.
        if (BytesLess(pv.views[i], pv.views[imin])) imin = i;
        if (BytesLess(pv.views[imax], pv.views[i])) imax = i;
      }
      const bool utf8 = n.type->id() == TypeId::kString;
      std::string mn(pv.views[imin]), mx(pv.views[imax]);
      if (opt.max_statistics_bytes > 0 && mn.size() > opt.max_statistics_bytes) {
        mn = TruncateMin(mn, opt.max_statistics_bytes, utf8);
        st->is_min_value_exact = false;
      }
      if (opt.max_statistics_bytes > 0 && mx.size() > opt.max_statistics_bytes) {
        if (auto t = TruncateMax(mx, opt.max_statistics_bytes, utf8)) {
          mx = *t;
          st->is_max_value_exact = false;
        }
      }
      if (!st->is_min_value_exact) st->is_min_value_exact = true;
      if (!st->is_max_value_exact) st->is_max_value_exact = true;
      set(mn, mx, false);
      return;
    }
    case Type::INT96:
      return;
  }
}

// The encoded bytes and metadata of one column chunk (offsets relative to its start).
struct EncodedChunk {
  std::string bytes;
  ColumnMetaData meta;
  bool has_dictionary = false;
  int64_t data_page_rel = 0;
  std::string bloom;  // the serialised Bloom filter, when the column has one
};

// The serialised Bloom filter of a chunk's values. `distinct`: indices of the distinct
// values (the dictionary entries) when known; otherwise the hashes are deduplicated, so
// the filter is sized for the exact distinct count unless options.ndv says otherwise.
std::string BuildBloomFilter(const PhysicalValues& pv, const std::vector<int64_t>* distinct,
                             const BloomFilterOptions& options) {
  auto hash = [&](int64_t i) {
    if (pv.width > 0) {
      return BloomFilter::HashBytes(std::string_view(
          reinterpret_cast<const char*>(pv.fixed.data()) + i * pv.width, pv.width));
    }
    return BloomFilter::HashBytes(pv.views[i]);
  };
  std::vector<uint64_t> hashes;
  int64_t distinct_hashes = 0;
  if (distinct) {
    hashes.reserve(distinct->size());
    for (int64_t i : *distinct) hashes.push_back(hash(i));
    distinct_hashes = static_cast<int64_t>(hashes.size());
  } else {
    hashes.reserve(pv.count);
    for (int64_t i = 0; i < pv.count; ++i) hashes.push_back(hash(i));
    // The distinct hashes, counted in a set (linear probing on the hash's low bits, at most
    // half full); repeated hashes are inserted again below, which changes no bit.
    size_t slots = 16;
    while (slots < 2 * hashes.size()) slots *= 2;
    std::vector<uint64_t> set(slots, 0);
    bool zero = false;
    for (uint64_t h : hashes) {
      if (h == 0) {
        distinct_hashes += zero ? 0 : 1;
        zero = true;
        continue;
      }
      size_t at = h & (slots - 1);
      while (set[at] != 0 && set[at] != h) at = (at + 1) & (slots - 1);
      if (set[at] == 0) {
        set[at] = h;
        ++distinct_hashes;
      }
    }
  }
  const int64_t ndv = options.ndv.value_or(distinct_hashes);
  BloomFilter filter(BloomFilter::OptimalNumBytes(ndv, options.fpp));
  for (uint64_t h : hashes) filter.InsertHash(h);
  std::string out;
  filter.Serialize(&out);
  return out;
}

// The compression level of one leaf column across the row groups of a file. With zstd above
// level 1 and WriterOptions::adaptive_zstd_level, the first page of at least
// kLevelProbeBytes is compressed at the configured level and at level 1; when the configured
// level does not come out at least 2% smaller, the column is written at level 1 from then on
// (that page included). High-entropy columns — random hex ids, hashes — compress no better
// at zstd 3 than at 1 (its extra match search finds only short, useless matches) and take
// ~2.4× the time; text with long repeats (qualified names) keeps the configured level.
// Decided from the data alone, so files stay byte-identical whatever the thread count.
struct ColumnCompression {
  int level = 0;         // the level the column's pages are compressed at
  bool decided = false;  // the level is final
};

constexpr size_t kLevelProbeBytes = 16 << 10;

void AppendPage(PageType type, const std::string& raw, int32_t num_values, Encoding enc,
                const WriterOptions& opt, ColumnCompression* cc, std::string* compressed_scratch,
                EncodedChunk* chunk) {
  PageHeader ph;
  ph.type = type;
  ph.uncompressed_page_size = static_cast<int32_t>(raw.size());
  const std::string* body = &raw;
  if (opt.codec != Codec::kUncompressed) {
    compressed_scratch->clear();
    const auto* in = reinterpret_cast<const uint8_t*>(raw.data());
    Compress(opt.codec, in, raw.size(), compressed_scratch, cc->level);
    if (!cc->decided && raw.size() >= kLevelProbeBytes) {
      cc->decided = true;
      std::string fast;
      Compress(opt.codec, in, raw.size(), &fast, 1);
      if (compressed_scratch->size() * 100 > fast.size() * 98) {
        cc->level = 1;
        compressed_scratch->swap(fast);
      }
    }
    body = compressed_scratch;
  }
  ph.compressed_page_size = static_cast<int32_t>(body->size());
  if (type == PageType::DICTIONARY_PAGE) {
    DictionaryPageHeader dh;
    dh.num_values = num_values;
    dh.encoding = Encoding::PLAIN;
    ph.dictionary_page_header = dh;
  } else {
    DataPageHeader dh;
    dh.num_values = num_values;
    dh.encoding = enc;
    dh.definition_level_encoding = Encoding::RLE;
    dh.repetition_level_encoding = Encoding::RLE;
    ph.data_page_header = dh;
  }
  std::string header;
  EncodePageHeader(ph, &header);
  chunk->bytes += header;
  chunk->bytes += *body;
  chunk->meta.total_uncompressed_size += static_cast<int64_t>(header.size() + raw.size());
  chunk->meta.total_compressed_size += static_cast<int64_t>(header.size() + body->size());
}

void EncodeLevels(const std::vector<int16_t>& levels, int64_t b, int64_t e, int16_t max_level,
                  std::string* out) {
  RleBitPackedEncoder enc(bit_util::BitWidth(static_cast<uint64_t>(max_level)));
  for (int64_t i = b; i < e; ++i) enc.Put(static_cast<uint32_t>(levels[i]));
  enc.FinishWithLengthPrefix(out);
}

EncodedChunk EncodeChunk(const WriteNode& n, const LeafBuffer& lb, const WriterOptions& opt,
                         const BloomFilterOptions* bloom, ColumnCompression* cc) {
  EncodedChunk chunk;
  auto& meta = chunk.meta;
  meta.type = n.physical;
  meta.path_in_schema = n.path;
  meta.codec = static_cast<CompressionCodec>(opt.codec);
  meta.num_values = lb.num_entries;

  PhysicalValues pv;
  GatherPhysical(n, *lb.values, &pv);
  const int16_t max_def = n.def_level;
  const int16_t max_rep = n.rep_level;

  std::vector<uint32_t> indices;
  bool use_dict = false;
  std::vector<int64_t> dict_entries;
  if (opt.dictionary && n.physical != Type::BOOLEAN && pv.count > 0) {
    // A dictionary pays off only when values repeat enough. For numbers, near-unique values
    // (offsets, ids) compress far better PLAIN than as wide dictionary indices. The builder
    // stops as soon as the distinct count rules the dictionary out.
    const bool numeric = n.physical != Type::BYTE_ARRAY && n.physical != Type::FIXED_LEN_BYTE_ARRAY;
    const int64_t max_distinct = std::max<int64_t>(16, pv.count / (numeric ? 32 : 2));
    DictionaryBuilder db(pv, opt.dictionary_page_bytes);
    use_dict = db.Build(&indices, max_distinct);
    if (use_dict) dict_entries = db.entries();
  }
  std::string raw, scratch;
  if (use_dict) {
    for (int64_t e : dict_entries) AppendPlainValue(pv, n.physical, e, &raw);
    if (n.physical == Type::BOOLEAN) raw.clear();
    AppendPage(PageType::DICTIONARY_PAGE, raw, static_cast<int32_t>(dict_entries.size()),
               Encoding::PLAIN, opt, cc, &scratch, &chunk);
    chunk.has_dictionary = true;
  }
  chunk.data_page_rel = static_cast<int64_t>(chunk.bytes.size());

  // Entries per page from the average encoded size, broken at record boundaries.
  double value_bytes = 1;
  if (pv.count > 0) {
    if (use_dict) {
      value_bytes = std::max(1, bit_util::BitWidth(dict_entries.size())) / 8.0;
    } else if (pv.width > 0) {
      value_bytes = pv.width;
    } else {
      int64_t total = 0;
      for (const auto& v : pv.views) total += 4 + static_cast<int64_t>(v.size());
      value_bytes = static_cast<double>(total) / pv.count;
    }
  }
  const int64_t per_page =
      std::max<int64_t>(1, static_cast<int64_t>(opt.page_bytes / std::max(value_bytes, 0.125)));
  const int dict_bits =
      use_dict ? bit_util::BitWidth(dict_entries.empty() ? 0 : dict_entries.size() - 1) : 0;

  int64_t entry = 0, value = 0;
  while (entry < lb.num_entries || (lb.num_entries == 0 && entry == 0)) {
    int64_t end = std::min(lb.num_entries, entry + per_page);
    while (end < lb.num_entries && !lb.rep.empty() && lb.rep[end] != 0) ++end;
    int64_t present = end - entry;
    if (!lb.def.empty()) {
      present = 0;
      for (int64_t i = entry; i < end; ++i) present += lb.def[i] == max_def;
    }
    if (n.type->id() == TypeId::kNull) present = 0;
    raw.clear();
    if (max_rep > 0) EncodeLevels(lb.rep, entry, end, max_rep, &raw);
    if (max_def > 0) EncodeLevels(lb.def, entry, end, max_def, &raw);
    Encoding enc = Encoding::PLAIN;
    if (use_dict) {
      enc = Encoding::RLE_DICTIONARY;
      raw.push_back(static_cast<char>(dict_bits));
      RleBitPackedEncoder ienc(dict_bits);
      for (int64_t i = value; i < value + present; ++i) ienc.Put(indices[i]);
      ienc.Finish(&raw);
    } else {
      EncodePlain(pv, n.physical, value, value + present, &raw);
    }
    AppendPage(PageType::DATA_PAGE, raw, static_cast<int32_t>(end - entry), enc, opt, cc, &scratch,
               &chunk);
    value += present;
    entry = end;
    if (lb.num_entries == 0) break;
  }
  meta.encodings =
      use_dict ? std::vector<Encoding>{Encoding::PLAIN, Encoding::RLE, Encoding::RLE_DICTIONARY}
               : std::vector<Encoding>{Encoding::PLAIN, Encoding::RLE};
  if (opt.write_statistics) {
    Statistics st;
    ComputeStatistics(n, pv, use_dict ? &dict_entries : nullptr, lb.num_entries - pv.count, opt,
                      &st);
    meta.statistics = st;
  }
  if (bloom) chunk.bloom = BuildBloomFilter(pv, use_dict ? &dict_entries : nullptr, *bloom);
  return chunk;
}

void CollectLeaves(const WriteNode& n, std::vector<const WriteNode*>* out) {
  if (n.kind == WriteNode::Kind::kLeaf) {
    (*out)[n.leaf] = &n;
    return;
  }
  for (const auto& c : n.children) CollectLeaves(c, out);
}

}  // namespace

struct ParquetWriter::Impl {
  std::vector<WriteNode> fields;
  std::vector<const WriteNode*> leaves;
  std::vector<const BloomFilterOptions*> bloom_by_leaf;  // nullptr: no filter
  std::vector<ColumnCompression> compression;            // per leaf
  // Serialised filters of the row groups written so far, written out at Close.
  struct PendingBloom {
    size_t row_group, column;
    std::string bytes;
  };
  std::vector<PendingBloom> blooms;

  void ResolveBloomFilters(const std::vector<BloomFilterOptions>& options) {
    bloom_by_leaf.assign(leaves.size(), nullptr);
    for (const auto& o : options) {
      if (!(o.fpp > 0.0 && o.fpp < 1.0)) {
        throw InvalidInput("Bloom filter on '" + o.column + "': fpp " + std::to_string(o.fpp) +
                           " is not in (0, 1)");
      }
      if (o.ndv && *o.ndv < 0) {
        throw InvalidInput("Bloom filter on '" + o.column + "': negative ndv");
      }
      size_t found = leaves.size();
      std::string have;
      for (size_t i = 0; i < leaves.size(); ++i) {
        std::string path;
        for (const auto& p : leaves[i]->path) path += (path.empty() ? "" : ".") + p;
        if (path == o.column) found = i;
        have += (have.empty() ? "" : ", ") + path;
      }
      if (found == leaves.size()) {
        throw InvalidInput("Bloom filter on '" + o.column +
                           "': no such leaf column (leaf columns: " + have + ")");
      }
      if (leaves[found]->physical == Type::BOOLEAN) {
        throw InvalidInput("Bloom filter on '" + o.column + "': BOOLEAN columns cannot have one");
      }
      if (bloom_by_leaf[found]) {
        throw InvalidInput("Bloom filter on '" + o.column + "' is configured twice");
      }
      bloom_by_leaf[found] = &o;
    }
  }
};

ParquetWriter::ParquetWriter(storage::WritableFile* sink, columnar::Schema schema,
                             WriterOptions options)
    : sink_(sink),
      schema_(std::move(schema)),
      options_(std::move(options)),
      impl_(std::make_unique<Impl>()) {
  if (schema_.num_fields() == 0) throw InvalidInput("cannot write a Parquet file without columns");
  SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(schema_.num_fields());
  metadata_.schema.push_back(root);
  int next_leaf = 0;
  for (const auto& f : schema_.fields()) {
    impl_->fields.push_back(BuildNode(f, 0, 0, {}, &metadata_.schema, &next_leaf));
  }
  impl_->leaves.assign(next_leaf, nullptr);
  for (const auto& f : impl_->fields) CollectLeaves(f, &impl_->leaves);
  impl_->ResolveBloomFilters(options_.bloom_filters);
  // zstd above level 1 probes each column's level on its first sizeable page.
  ColumnCompression cc;
  cc.level = options_.compression_level;
  const int zstd_level = cc.level == 0 ? 3 : cc.level;  // 0: zstd's default, 3
  cc.decided = options_.codec != Codec::kZstd || !options_.adaptive_zstd_level || zstd_level <= 1;
  impl_->compression.assign(impl_->leaves.size(), cc);
  metadata_.version = 1;
  metadata_.created_by = options_.created_by;
  for (const auto& [k, v] : options_.key_value_metadata)
    metadata_.key_value_metadata.push_back({k, v});
  metadata_.column_orders.assign(next_leaf, ColumnOrder{});
  sink_->Append("PAR1", 4);
}

ParquetWriter::~ParquetWriter() = default;

void ParquetWriter::Write(const RecordBatch& batch) {
  if (closed_) throw InvalidInput("write to a closed Parquet writer");
  if (!batch.schema().Equals(schema_)) {
    throw InvalidInput("batch schema does not match the writer's:\n  writer: " +
                       schema_.ToString() + "  batch:  " + batch.schema().ToString());
  }
  int64_t begin = 0;
  while (begin < batch.num_rows()) {
    int64_t room = options_.row_group_rows - pending_rows_;
    int64_t end = std::min(batch.num_rows(), begin + std::max<int64_t>(room, 1));
    // Batches are kept by reference (their columns are shared and never modified); rows
    // are copied once, at flush, only when a row group spans several batches.
    pending_.push_back({batch, begin, end});
    pending_rows_ += end - begin;
    pending_bytes_ += batch.num_rows() ? batch.ByteSize() * (end - begin) / batch.num_rows() : 0;
    begin = end;
    if (pending_rows_ >= options_.row_group_rows || pending_bytes_ >= options_.row_group_bytes) {
      FlushRowGroup();
    }
  }
}

void ParquetWriter::FlushRowGroup() {
  const int64_t rows = pending_rows_;
  if (rows == 0) return;
  RecordBatch group;
  if (pending_.size() == 1 && pending_[0].begin == 0 &&
      pending_[0].end == pending_[0].batch.num_rows()) {
    group = pending_[0].batch;
  } else {
    group = RecordBatch::MakeEmpty(schema_);
    for (size_t c = 0; c < schema_.num_fields(); ++c) {
      for (const auto& p : pending_) {
        group.mutable_column(c).AppendRange(p.batch.column(c), p.begin, p.end);
      }
    }
  }
  pending_.clear();
  pending_rows_ = 0;
  pending_bytes_ = 0;
  std::vector<LeafBuffer> leaves(impl_->leaves.size());
  Shredder shredder(&leaves);
  for (size_t f = 0; f < impl_->fields.size(); ++f) {
    shredder.ShredTopLevel(impl_->fields[f], group.column_ptr(f));
  }
  std::vector<EncodedChunk> chunks(leaves.size());
  ParallelFor(leaves.size(), options_.threads, [&](size_t i) {
    chunks[i] = EncodeChunk(*impl_->leaves[i], leaves[i], options_, impl_->bloom_by_leaf[i],
                            &impl_->compression[i]);
  });

  RowGroup rg;
  rg.num_rows = rows;
  rg.file_offset = sink_->Tell();
  int64_t total_compressed = 0;
  for (auto& c : chunks) {
    int64_t start = sink_->Tell();
    sink_->Append(c.bytes.data(), c.bytes.size());
    ColumnChunk cc;
    cc.file_offset = start;
    c.meta.data_page_offset = start + c.data_page_rel;
    if (c.has_dictionary) c.meta.dictionary_page_offset = start;
    rg.total_byte_size += c.meta.total_uncompressed_size;
    if (!c.bloom.empty()) {
      impl_->blooms.push_back({metadata_.row_groups.size(), rg.columns.size(), std::move(c.bloom)});
    }
    total_compressed += c.meta.total_compressed_size;
    cc.meta_data = std::move(c.meta);
    rg.columns.push_back(std::move(cc));
  }
  rg.total_compressed_size = total_compressed;
  rg.ordinal = static_cast<int16_t>(metadata_.row_groups.size());
  metadata_.row_groups.push_back(std::move(rg));
  metadata_.num_rows += rows;
  rows_written_ += rows;
}

const FileMetaData& ParquetWriter::Close() {
  if (closed_) return metadata_;
  FlushRowGroup();
  // Bloom filters after every column chunk, in row group then column order (as parquet-mr
  // and Arrow place them): a reader that never probes them never reads them.
  for (auto& b : impl_->blooms) {
    auto& md = *metadata_.row_groups[b.row_group].columns[b.column].meta_data;
    md.bloom_filter_offset = sink_->Tell();
    md.bloom_filter_length = static_cast<int32_t>(b.bytes.size());
    sink_->Append(b.bytes.data(), b.bytes.size());
  }
  impl_->blooms.clear();
  std::string footer;
  EncodeFileMetaData(metadata_, &footer);
  uint32_t len = static_cast<uint32_t>(footer.size());
  footer.append(reinterpret_cast<const char*>(&len), 4);
  footer.append("PAR1");
  sink_->Append(footer.data(), footer.size());
  sink_->Close();
  closed_ = true;
  return metadata_;
}

FileMetaData WriteParquetFile(const std::string& path, const columnar::Schema& schema,
                              const std::vector<RecordBatch>& batches,
                              const WriterOptions& options) {
  auto file = storage::CreateLocalFile(path);
  ParquetWriter w(file.get(), schema, options);
  for (const auto& b : batches) w.Write(b);
  return w.Close();
}

}  // namespace cpglake::parquet
