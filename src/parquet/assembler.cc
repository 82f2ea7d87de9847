#include "parquet/assembler.h"

#include <cstring>

#include "common/error.h"

namespace cpglake::parquet {

using columnar::Bitmap;
using columnar::Column;
using columnar::ColumnPtr;
using columnar::TypeId;

namespace {

inline int16_t RepAt(const LeafData& l, int64_t i) {
  return l.rep.empty() ? 0 : l.rep[i];
}
inline int16_t DefAt(const LeafData& l, int64_t i, int16_t max_def) {
  return l.def.empty() ? max_def : l.def[i];
}

// Builds `out` (empty, of the dense column's type) from `dense` placed at the set bits of
// `valid`; unset bits become nulls.
ColumnPtr Scatter(const Column& dense, const Bitmap& valid, int64_t n) {
  auto out = Column::Make(dense.type());
  const int w = dense.type()->byte_width();
  if (dense.type_id() == TypeId::kNull) {
    out->AppendNulls(n);
    return out;
  }
  if (w > 0) {
    auto& buf = out->data_buffer();
    buf.assign(static_cast<size_t>(n) * w, 0);
    const uint8_t* src = dense.data_buffer().data();
    int64_t k = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (valid.Get(i)) {
        std::memcpy(buf.data() + i * w, src + k * w, w);
        ++k;
      }
    }
  } else {
    auto& offs = out->offsets_buffer();
    offs.resize(n + 1);
    offs[0] = 0;
    const auto& doffs = dense.offsets();
    out->data_buffer() = dense.data_buffer();
    int64_t k = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (valid.Get(i)) ++k;
      offs[i + 1] = doffs[k];
    }
  }
  out->validity_buffer() = valid;
  out->SetLength(n);
  return out;
}

class Assembler {
 public:
  explicit Assembler(std::vector<LeafData>& leaves) : leaves_(leaves) {}

  ColumnPtr Build(const ReadNode& n) {
    if (n.first_leaf < 0) {
      throw Unsupported("column '" + n.name + "' is a group without any leaf column");
    }
    LeafData& l = leaves_[n.first_leaf];
    switch (n.kind) {
      case ReadNode::Kind::kLeaf:
        return BuildLeaf(n, l);
      case ReadNode::Kind::kStruct:
        return BuildStruct(n, l);
      case ReadNode::Kind::kList:
      case ReadNode::Kind::kMap:
        return BuildList(n, l);
    }
    return nullptr;
  }

 private:
  bool StartsSlot(const ReadNode& n, const LeafData& l, int16_t max_def, int64_t i) const {
    return RepAt(l, i) <= n.slot_rep && DefAt(l, i, max_def) >= n.slot_def;
  }

  ColumnPtr BuildLeaf(const ReadNode& n, LeafData& l) {
    if (n.leaf < 0) {  // a map without values: one null per key slot
      const int16_t md = l.def.empty() ? 0 : 32767;
      int64_t count = 0;
      for (int64_t i = 0; i < l.num_entries; ++i) count += StartsSlot(n, l, md, i);
      auto out = Column::Make(n.type);
      out->AppendNulls(count);
      return out;
    }
    const int16_t max_def = n.max_def;
    const bool flat = n.slot_rep == 0 && n.slot_def == 0 && n.max_rep == 0;
    if (flat && l.def.empty()) {
      if (l.values->length() != l.num_entries) throw CorruptData("value count mismatch");
      return l.values;
    }
    Bitmap valid;
    int64_t slots = 0, present = 0;
    if (flat) {
      // One slot per entry: count first; build the bitmap only when something is null.
      const int16_t* def = l.def.data();
      for (int64_t i = 0; i < l.num_entries; ++i) present += def[i] == max_def;
      slots = l.num_entries;
      if (present == slots) {
        if (present != l.values->length()) {
          throw CorruptData("column '" + n.name + "' has " + std::to_string(l.values->length()) +
                            " values but its levels define " + std::to_string(present));
        }
        return l.values;
      }
      valid.Resize(slots, false);
      for (int64_t i = 0; i < slots; ++i) {
        if (def[i] == max_def) valid.Set(i, true);
      }
    } else {
      valid.Reserve(l.num_entries);
      for (int64_t i = 0; i < l.num_entries; ++i) {
        if (!StartsSlot(n, l, max_def, i)) continue;
        bool v = DefAt(l, i, max_def) == max_def;
        valid.Append(v);
        present += v;
        ++slots;
      }
    }
    if (present != l.values->length()) {
      throw CorruptData("column '" + n.name + "' has " + std::to_string(l.values->length()) +
                        " values but its levels define " + std::to_string(present));
    }
    if (present == slots) {
      return l.values;
    }
    return Scatter(*l.values, valid, slots);
  }

  ColumnPtr BuildStruct(const ReadNode& n, LeafData& l) {
    const int16_t max_def = LeafMaxDef(n);
    auto out = Column::Make(n.type);
    Bitmap valid;
    int64_t slots = 0, nulls = 0;
    for (int64_t i = 0; i < l.num_entries; ++i) {
      if (!StartsSlot(n, l, max_def, i)) continue;
      bool v = !(n.nullable && DefAt(l, i, max_def) < n.def_level);
      valid.Append(v);
      nulls += !v;
      ++slots;
    }
    for (size_t c = 0; c < n.children.size(); ++c) {
      ColumnPtr child = Build(n.children[c]);
      if (child->length() != slots) {
        throw CorruptData("struct '" + n.name + "' has " + std::to_string(slots) +
                          " values but its field '" + n.children[c].name + "' has " +
                          std::to_string(child->length()));
      }
      out->SetChild(c, std::move(child));
    }
    if (nulls > 0) out->validity_buffer() = std::move(valid);
    out->SetLength(slots);
    return out;
  }

  ColumnPtr BuildList(const ReadNode& n, LeafData& l) {
    const int16_t max_def = LeafMaxDef(n);
    auto out = Column::Make(n.type);
    Bitmap valid;
    auto& offs = out->offsets_buffer();
    int64_t slots = 0, nulls = 0, elems = 0;
    bool open = false;
    for (int64_t i = 0; i < l.num_entries; ++i) {
      const int16_t r = RepAt(l, i), d = DefAt(l, i, max_def);
      if (r <= n.slot_rep) {
        if (open) offs.push_back(elems);
        open = false;
        if (d >= n.slot_def) {
          bool v = !(n.nullable && d < n.def_level);
          valid.Append(v);
          nulls += !v;
          ++slots;
          open = true;
        }
      }
      if (open && r <= n.elem_rep && d >= n.elem_def) ++elems;
    }
    if (open) offs.push_back(elems);
    for (size_t c = 0; c < n.children.size(); ++c) {
      ColumnPtr child = Build(n.children[c]);
      if (child->length() != elems) {
        throw CorruptData("list '" + n.name + "' has " + std::to_string(elems) +
                          " elements but its child holds " + std::to_string(child->length()));
      }
      out->SetChild(c, std::move(child));
    }
    if (nulls > 0) out->validity_buffer() = std::move(valid);
    out->SetLength(slots);
    return out;
  }

  // max_def of the node's first leaf, found by walking down.
  static int16_t LeafMaxDef(const ReadNode& n) {
    const ReadNode* p = &n;
    while (p->kind != ReadNode::Kind::kLeaf) {
      const ReadNode* next = nullptr;
      for (const auto& c : p->children) {
        if (c.first_leaf == n.first_leaf) {
          next = &c;
          break;
        }
      }
      if (!next) break;
      p = next;
    }
    return p->max_def;
  }

  std::vector<LeafData>& leaves_;
};

}  // namespace

ColumnPtr AssembleColumn(const ReadNode& node, std::vector<LeafData>& leaves) {
  Assembler a(leaves);
  return a.Build(node);
}

}  // namespace cpglake::parquet
