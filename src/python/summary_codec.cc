#include "python/summary_codec.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/string_index.h"

namespace cpglake::python {

namespace {

constexpr std::string_view kSummaryMagic = "CPGS";
constexpr std::string_view kEvidenceMagic = "CPGE";

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (0 - (v & 1)));
}

// a - b and a + b in wrapping arithmetic: any two int64 values have a difference, and adding
// it back gives the value again.
int64_t Minus(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t Plus(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

// --- Writing --------------------------------------------------------------------------------

class Writer {
 public:
  explicit Writer(std::string_view magic) {
    out_.append(magic);
    Varint(kFrontEndCodecVersion);
  }

  void Byte(uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Signed(int64_t v) { Varint(ZigZag(v)); }
  void Double(double d) {
    uint64_t bits = std::bit_cast<uint64_t>(d);
    for (int i = 0; i < 8; ++i, bits >>= 8) out_.push_back(static_cast<char>(bits & 0xFF));
  }
  // A string reference (see the header); `tag` (< 2^tag_bits) rides in its low bits.
  void String(std::string_view s, uint64_t tag = 0, int tag_bits = 0) {
    const uint64_t hash = StringIndex::Hash(s);
    const uint32_t found = table_.Find(s, hash);
    if (found != StringIndex::kAbsent) {
      Varint((uint64_t{found + 1} << tag_bits) | tag);  // references count from 1
      return;
    }
    Varint(tag);
    Varint(s.size());
    out_.append(s);
    if (s.size() <= kMaxInternedString) table_.Add(s, hash);
  }
  template <class Container>
  void Count(const Container& c) {
    Varint(c.size());
  }

  std::string Finish() { return SealBlob(std::move(out_)); }

 private:
  std::string out_;
  // The strings written so far (a string's reference is its index + 1); the views point into
  // the value being encoded.
  StringIndex table_;
};

// --- Reading --------------------------------------------------------------------------------

class Reader {
 public:
  // Checks the magic and the version.
  Reader(std::string_view bytes, std::string_view magic, const char* what)
      : begin_(reinterpret_cast<const uint8_t*>(bytes.data())),
        p_(begin_),
        end_(begin_ + bytes.size()),
        what_(what) {
    if (bytes.substr(0, magic.size()) != magic) {
      throw InvalidInput(std::string(what_) + " blob does not start with the magic \"" +
                         std::string(magic) + "\"");
    }
    p_ += magic.size();
    const uint64_t version = Varint();
    if (version != static_cast<uint64_t>(kFrontEndCodecVersion)) {
      throw InvalidInput(std::string(what_) + " blob has format version " +
                         std::to_string(version) + "; this build reads version " +
                         std::to_string(kFrontEndCodecVersion));
    }
    // The checksum trailer covers everything before it.
    if (remaining() < 8) Fail("truncated (no checksum)");
    end_ -= 8;
    uint64_t stored = 0;
    for (int i = 7; i >= 0; --i) stored = (stored << 8) | end_[i];
    if (stored != BlobChecksum(bytes.substr(0, bytes.size() - 8))) {
      Fail("checksum mismatch (the blob is damaged)");
    }
  }

  [[noreturn]] void Fail(const std::string& why) const {
    throw InvalidInput("corrupt " + std::string(what_) + " blob at byte " +
                       std::to_string(p_ - begin_) + ": " + why);
  }

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  uint8_t Byte() {
    if (p_ == end_) Fail("truncated");
    return *p_++;
  }
  bool Bool() {
    const uint8_t b = Byte();
    if (b > 1) Fail("bad boolean " + std::to_string(b));
    return b == 1;
  }
  uint64_t Varint() {
    // Most varints are one byte; with ten bytes left none can run past the end.
    if (p_ != end_ && (*p_ & 0x80) == 0) return *p_++;
    if (remaining() >= 10) {
      uint64_t v = 0;
      for (int shift = 0; shift < 63; shift += 7) {
        const uint8_t b = *p_++;
        v |= static_cast<uint64_t>(b & 0x7F) << shift;
        if ((b & 0x80) == 0) return v;
      }
      const uint8_t b = *p_++;  // the tenth byte holds bit 63 only
      if (b > 1) Fail("varint longer than 64 bits");
      return v | (static_cast<uint64_t>(b) << 63);
    }
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      const uint8_t b = Byte();
      if (shift == 63 && b > 1) Fail("varint longer than 64 bits");
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
  }
  int64_t Signed() { return UnZigZag(Varint()); }
  int32_t Int32(int64_t v) const {
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      Fail("value " + std::to_string(v) + " out of 32-bit range");
    }
    return static_cast<int32_t>(v);
  }
  double Double() {
    if (remaining() < 8) Fail("truncated");
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(*p_++) << (8 * i);
    return std::bit_cast<double>(bits);
  }
  // An element count; each element takes at least `min_bytes` bytes of what is left, so a
  // count is never larger than the blob can hold (and reserving for it is bounded).
  size_t Count(size_t min_bytes = 1) {
    const uint64_t n = Varint();
    if (n > remaining() / min_bytes) Fail("count " + std::to_string(n) + " exceeds the blob");
    return static_cast<size_t>(n);
  }
  std::string String() {
    uint64_t tag;
    return std::string(StringView(&tag, 0));
  }
  // Reads past a string (keeping the string table as String would) without copying it.
  void SkipString() {
    const uint64_t ref = Varint();
    if (ref == 0) {
      const uint64_t n = Varint();
      if (n > remaining()) Fail("string of " + std::to_string(n) + " bytes exceeds the blob");
      if (n <= kMaxInternedString) {
        table_.emplace_back(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
      }
      p_ += n;
      return;
    }
    if (ref > table_.size()) Fail("string reference " + std::to_string(ref) + " out of range");
  }
  std::string String(uint64_t* tag, int tag_bits) { return std::string(StringView(tag, tag_bits)); }
  // The string, as a view into the blob (valid while the blob is).
  std::string_view StringView() {
    uint64_t tag;
    return StringView(&tag, 0);
  }
  std::string_view StringView(uint64_t* tag, int tag_bits) {
    uint64_t ref = Varint();
    *tag = ref & ((uint64_t{1} << tag_bits) - 1);
    ref >>= tag_bits;
    if (ref == 0) {
      const uint64_t n = Varint();
      if (n > remaining()) Fail("string of " + std::to_string(n) + " bytes exceeds the blob");
      const std::string_view s(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
      p_ += n;
      if (n <= kMaxInternedString) table_.push_back(s);
      return s;
    }
    if (ref > table_.size()) Fail("string reference " + std::to_string(ref) + " out of range");
    return table_[static_cast<size_t>(ref - 1)];
  }

  void Finish() const {
    if (p_ != end_) Fail(std::to_string(remaining()) + " trailing bytes");
  }

 private:
  const uint8_t* const begin_;
  const uint8_t* p_;
  const uint8_t* end_;  // before the checksum, once checked
  const char* what_;
  std::vector<std::string_view> table_;  // views into the blob
};

// --- Invariants (header) --------------------------------------------------------------------

bool IsIndex(int64_t i, size_t n) {
  return i >= 0 && static_cast<uint64_t>(i) < n;
}
bool IsIndexOrNone(int64_t i, size_t n) {
  return i == -1 || IsIndex(i, n);
}

// The first invariant `ev` breaks, "" when none.
std::string EvidenceViolation(const FileEvidence& ev) {
  const size_t n = ev.nodes.size();
  for (size_t i = 0; i < n; ++i) {
    const EvidenceNode& node = ev.nodes[i];
    if (!IsIndexOrNone(node.parent, n) || !IsIndexOrNone(node.enclosing, n)) {
      return "node " + std::to_string(i) + " has parent or enclosing outside the file";
    }
  }
  for (size_t i = 0; i < ev.edges.size(); ++i) {
    if (!IsIndex(ev.edges[i].src, n) || !IsIndex(ev.edges[i].dst, n)) {
      return "edge " + std::to_string(i) + " points outside the file";
    }
  }
  const LineIndex& l = ev.lines;
  if (l.newlines.size() != l.line_starts.size()) return "line index: not one newline kind per line";
  if (l.size < 0) return "line index: negative size";
  if (l.bom != 0 && l.bom != 3) return "line index: BOM " + std::to_string(l.bom);
  for (size_t i = 0; i < l.line_starts.size(); ++i) {
    const int64_t prev = i == 0 ? 0 : l.line_starts[i - 1];
    if (l.line_starts[i] < prev || l.line_starts[i] > l.size) {
      return "line index: bad start of line " + std::to_string(i + 1);
    }
  }
  if (!l.line_starts.empty() && l.line_starts[0] != 0) return "line index: line 1 not at 0";
  if (!l.utf8_offset.empty() && l.utf8_offset.size() - 1 != static_cast<uint64_t>(l.size)) {
    return "line index: utf8_offset is not size + 1 entries";
  }
  for (const auto kind : l.newlines) {
    if (kind > NewlineKind::kCr) return "line index: bad newline kind";
  }
  return "";
}

std::string SymbolRefViolation(const SymbolRef& r, size_t keys) {
  if (r.base > SymbolRef::Base::kSuper) return "bad SymbolRef base";
  if (!IsIndexOrNone(r.key, keys)) return "SymbolRef key " + std::to_string(r.key);
  return "";
}

std::string SummaryViolation(const ModuleSummary& s) {
  const size_t keys = s.keys.size();
  auto key = [&](int64_t k, const char* what) -> std::string {
    return IsIndexOrNone(k, keys) ? "" : std::string(what) + " key " + std::to_string(k);
  };
  std::string why = key(s.module_key, "module");
  auto bound = [&](const std::vector<BoundName>& names) {
    for (const auto& b : names) {
      if (why.empty()) why = key(b.binding_key, "binding");
      if (why.empty()) why = SymbolRefViolation(b.value, keys);
    }
  };
  bound(s.globals);
  for (const auto& c : s.classes) {
    if (why.empty()) why = key(c.key, "class");
    for (const auto& b : c.bases) {
      if (why.empty()) why = SymbolRefViolation(b.ref, keys);
    }
    bound(c.members);
  }
  for (const auto& [k, ref] : s.returns) {
    if (why.empty()) why = key(k, "return");
    if (why.empty()) why = SymbolRefViolation(ref, keys);
  }
  for (const auto& r : s.references) {
    if (why.empty() && r.kind > ModuleSummary::RefKind::kDecorator) why = "bad reference kind";
    if (why.empty()) why = key(r.key, "reference");
    if (why.empty()) why = SymbolRefViolation(r.target, keys);
  }
  for (const auto& i : s.imports) {
    if (why.empty()) why = key(i.key, "import");
    if (why.empty()) why = SymbolRefViolation(i.target, keys);
  }
  return why;
}

// --- Summary --------------------------------------------------------------------------------

void WriteRef(Writer& w, const SymbolRef& r) {
  w.Varint((static_cast<uint64_t>(r.steps.size()) << 3) | static_cast<uint64_t>(r.base));
  w.Byte(r.hops);
  w.Signed(r.key);
  w.String(r.name);
  for (const auto& s : r.steps) w.String(s);
}

SymbolRef ReadRef(Reader& r) {
  SymbolRef ref;
  const uint64_t head = r.Varint();
  if ((head & 7) > static_cast<uint64_t>(SymbolRef::Base::kSuper)) r.Fail("bad SymbolRef base");
  ref.base = static_cast<SymbolRef::Base>(head & 7);
  const uint64_t steps = head >> 3;
  ref.hops = r.Byte();
  ref.key = r.Int32(r.Signed());
  ref.name = r.String();
  if (steps > r.remaining()) r.Fail("SymbolRef step count exceeds the blob");
  ref.steps.reserve(static_cast<size_t>(steps));
  for (uint64_t i = 0; i < steps; ++i) ref.steps.push_back(r.String());
  return ref;
}

void WriteBound(Writer& w, const std::vector<BoundName>& names) {
  w.Count(names);
  for (const auto& b : names) {
    w.String(b.name, b.several ? 1 : 0, 1);
    WriteRef(w, b.value);
    w.Signed(b.binding_key);
  }
}

std::vector<BoundName> ReadBound(Reader& r) {
  std::vector<BoundName> names(r.Count(6));
  for (auto& b : names) {
    uint64_t several;
    b.name = r.String(&several, 1);
    b.several = several != 0;
    b.value = ReadRef(r);
    b.binding_key = r.Int32(r.Signed());
  }
  return names;
}

void WriteStrings(Writer& w, const std::vector<std::string>& strings) {
  w.Count(strings);
  for (const auto& s : strings) w.String(s);
}

std::vector<std::string> ReadStrings(Reader& r) {
  std::vector<std::string> strings(r.Count());
  for (auto& s : strings) s = r.String();
  return strings;
}

// --- Evidence -------------------------------------------------------------------------------

// Props: the key's reference carries the value's type (the variant index) in 2 bits.
void WriteProps(Writer& w, const std::vector<std::pair<std::string, PropValue>>& props) {
  w.Count(props);
  for (const auto& [key, value] : props) {
    w.String(key, value.index(), 2);
    if (const auto* s = std::get_if<std::string>(&value)) {
      w.String(*s);
    } else if (const auto* i = std::get_if<int64_t>(&value)) {
      w.Signed(*i);
    } else if (const auto* d = std::get_if<double>(&value)) {
      w.Double(*d);
    } else {
      w.Byte(std::get<bool>(value) ? 1 : 0);
    }
  }
}

std::vector<std::pair<std::string, PropValue>> ReadProps(Reader& r) {
  std::vector<std::pair<std::string, PropValue>> props(r.Count(2));
  for (auto& [key, value] : props) {
    uint64_t type;
    key = r.String(&type, 2);
    switch (type) {
      case 0:
        value = r.String();
        break;
      case 1:
        value = r.Signed();
        break;
      case 2:
        value = r.Double();
        break;
      default:
        value = r.Bool();
        break;
    }
  }
  return props;
}

void WriteLines(Writer& w, const LineIndex& l) {
  w.Signed(l.size);
  w.Signed(l.bom);
  w.Count(l.line_starts);
  int64_t prev = 0;
  for (const int64_t s : l.line_starts) {
    w.Varint(static_cast<uint64_t>(s - prev));  // nondecreasing (checked)
    prev = s;
  }
  // Newline kinds, four to a byte, the first in the low bits.
  for (size_t i = 0; i < l.newlines.size(); i += 4) {
    uint8_t b = 0;
    for (size_t j = 0; j < 4 && i + j < l.newlines.size(); ++j) {
      b |= static_cast<uint8_t>(static_cast<uint8_t>(l.newlines[i + j]) << (2 * j));
    }
    w.Byte(b);
  }
  w.Count(l.utf8_offset);
  prev = 0;
  for (const int64_t u : l.utf8_offset) {
    w.Signed(Minus(u, prev));
    prev = u;
  }
}

LineIndex ReadLines(Reader& r) {
  LineIndex l;
  l.size = r.Signed();
  if (l.size < 0) r.Fail("negative file size");
  l.bom = r.Signed();
  if (l.bom != 0 && l.bom != 3) r.Fail("bad BOM length " + std::to_string(l.bom));
  const size_t lines = r.Count();
  l.line_starts.resize(lines);
  int64_t prev = 0;
  for (size_t i = 0; i < lines; ++i) {
    const uint64_t delta = r.Varint();
    if (delta > static_cast<uint64_t>(l.size - prev) || (i == 0 && delta != 0)) {
      r.Fail("bad start of line " + std::to_string(i + 1));
    }
    prev += static_cast<int64_t>(delta);
    l.line_starts[i] = prev;
  }
  if ((lines + 3) / 4 > r.remaining()) r.Fail("truncated newline kinds");
  l.newlines.resize(lines);
  for (size_t i = 0; i < lines; i += 4) {
    const uint8_t b = r.Byte();
    const size_t here = std::min<size_t>(4, lines - i);
    if (here < 4 && (b >> (2 * here)) != 0) r.Fail("bad newline kind padding");
    for (size_t j = 0; j < here; ++j) {
      l.newlines[i + j] = static_cast<NewlineKind>((b >> (2 * j)) & 3);
    }
  }
  const size_t offsets = r.Count();
  if (offsets != 0 && offsets - 1 != static_cast<uint64_t>(l.size)) {
    r.Fail("utf8_offset is not size + 1 entries");
  }
  l.utf8_offset.resize(offsets);
  prev = 0;
  for (auto& u : l.utf8_offset) {
    prev = Plus(prev, r.Signed());
    u = prev;
  }
  return l;
}

}  // namespace

std::string EncodeSummary(const ModuleSummary& s) {
  if (const std::string why = SummaryViolation(s); !why.empty()) {
    throw InvalidInput("cannot encode the summary of " + s.module_name + ": " + why);
  }
  Writer w(kSummaryMagic);
  w.String(s.module_name);
  w.Byte(static_cast<uint8_t>((s.is_package ? 1 : 0) | (s.dynamic_names ? 2 : 0) |
                              (s.has_all ? 4 : 0)));
  w.Count(s.keys);
  int64_t prev_bstart = 0, prev_line = 0;
  for (const auto& k : s.keys) {
    w.String(k.kind);
    w.String(k.name);
    w.String(k.qualified_path);
    w.Signed(k.ordinal);
    w.Signed(Minus(k.bstart, prev_bstart));
    w.Signed(Minus(k.bend, k.bstart));
    w.Signed(int64_t{k.line_start} - prev_line);
    w.Signed(int64_t{k.line_end} - k.line_start);
    w.Signed(k.col_start);
    w.Signed(int64_t{k.col_end} - k.col_start);
    prev_bstart = k.bstart;
    prev_line = k.line_start;
  }
  w.Signed(s.module_key);
  WriteBound(w, s.globals);
  WriteStrings(w, s.star_imports);
  WriteStrings(w, s.all);
  w.Count(s.classes);
  for (const auto& c : s.classes) {
    w.Signed(c.key);
    w.Count(c.bases);
    for (const auto& b : c.bases) {
      WriteRef(w, b.ref);
      w.Signed(b.bstart);
      w.Signed(Minus(b.bend, b.bstart));
    }
    WriteBound(w, c.members);
  }
  w.Count(s.returns);
  for (const auto& [key, ref] : s.returns) {
    w.Signed(key);
    WriteRef(w, ref);
  }
  w.Count(s.references);
  int64_t prev_key = 0;
  for (const auto& r : s.references) {
    w.Varint((ZigZag(r.key - prev_key) << 1) | static_cast<uint64_t>(r.kind));
    WriteRef(w, r.target);
    prev_key = r.key;
  }
  w.Count(s.imports);
  prev_key = 0;
  for (const auto& i : s.imports) {
    w.Signed(i.key - prev_key);
    WriteRef(w, i.target);
    w.String(i.error, (i.star ? 1 : 0) | (i.relative ? 2 : 0), 2);
    prev_key = i.key;
  }
  return w.Finish();
}

namespace {

// Keys only a file's own references and imports point at (SummarizeModule makes them for
// those): a shared decoding leaves their names out.
bool IsOwnKeyKind(std::string_view kind) {
  return kind == "CST_CALLSITE" || kind == "CST_DECORATOR" || kind == "CST_IMPORT_ALIAS";
}

// Whether a shared part points at a key whose names were left out (never, for summaries
// SummarizeModule makes; checked so that a summary where it does is decoded whole).
bool SharedPartUsesOwnKeys(const ModuleSummary& s, const std::vector<uint8_t>& own) {
  auto uses = [&](int32_t key) { return key >= 0 && own[static_cast<size_t>(key)] != 0; };
  auto ref_uses = [&](const SymbolRef& r) { return uses(r.key); };
  if (uses(s.module_key)) return true;
  for (const auto& b : s.globals) {
    if (uses(b.binding_key) || ref_uses(b.value)) return true;
  }
  for (const auto& c : s.classes) {
    if (uses(c.key)) return true;
    for (const auto& b : c.bases) {
      if (ref_uses(b.ref)) return true;
    }
    for (const auto& m : c.members) {
      if (uses(m.binding_key) || ref_uses(m.value)) return true;
    }
  }
  for (const auto& [key, ref] : s.returns) {
    if (uses(key) || ref_uses(ref)) return true;
  }
  return false;
}

ModuleSummary Decode(std::string_view bytes, bool shared_only) {
  Reader r(bytes, kSummaryMagic, "summary");
  ModuleSummary s;
  s.module_name = r.String();
  const uint8_t flags = r.Byte();
  if (flags > 7) r.Fail("bad flags");
  s.is_package = (flags & 1) != 0;
  s.dynamic_names = (flags & 2) != 0;
  s.has_all = (flags & 4) != 0;
  s.keys.resize(r.Count(10));
  int64_t prev_bstart = 0, prev_line = 0;
  std::vector<uint8_t> own;  // shared decoding: the keys whose names were left out
  if (shared_only) own.assign(s.keys.size(), 0);
  for (size_t i = 0; i < s.keys.size(); ++i) {
    NodeKey& k = s.keys[i];
    const std::string_view kind = r.StringView();
    k.kind = kind;
    if (shared_only && IsOwnKeyKind(kind)) {
      own[i] = 1;
      r.SkipString();
      r.SkipString();
    } else {
      k.name = r.String();
      k.qualified_path = r.String();
    }
    k.ordinal = r.Int32(r.Signed());
    k.bstart = Plus(prev_bstart, r.Signed());
    k.bend = Plus(k.bstart, r.Signed());
    k.line_start = r.Int32(Plus(prev_line, r.Signed()));
    k.line_end = r.Int32(Plus(k.line_start, r.Signed()));
    k.col_start = r.Int32(r.Signed());
    k.col_end = r.Int32(Plus(k.col_start, r.Signed()));
    prev_bstart = k.bstart;
    prev_line = k.line_start;
  }
  s.module_key = r.Int32(r.Signed());
  s.globals = ReadBound(r);
  s.star_imports = ReadStrings(r);
  s.all = ReadStrings(r);
  s.classes.resize(r.Count(3));
  for (auto& c : s.classes) {
    c.key = r.Int32(r.Signed());
    c.bases.resize(r.Count(6));
    for (auto& b : c.bases) {
      b.ref = ReadRef(r);
      b.bstart = r.Signed();
      b.bend = Plus(b.bstart, r.Signed());
    }
    c.members = ReadBound(r);
  }
  s.returns.resize(r.Count(5));
  for (auto& [key, ref] : s.returns) {
    key = r.Int32(r.Signed());
    ref = ReadRef(r);
  }
  if (shared_only) {
    if (SharedPartUsesOwnKeys(s, own)) {
      ModuleSummary whole = Decode(bytes, false);
      whole.references.clear();
      whole.imports.clear();
      whole.complete = false;
      return whole;
    }
    s.complete = false;
    if (const std::string why = SummaryViolation(s); !why.empty()) r.Fail(why);
    return s;
  }
  s.references.resize(r.Count(5));
  int64_t prev_key = 0;
  for (auto& ref : s.references) {
    const uint64_t head = r.Varint();
    ref.kind = (head & 1) != 0 ? ModuleSummary::RefKind::kDecorator : ModuleSummary::RefKind::kCall;
    ref.key = r.Int32(Plus(prev_key, UnZigZag(head >> 1)));
    ref.target = ReadRef(r);
    prev_key = ref.key;
  }
  s.imports.resize(r.Count(6));
  prev_key = 0;
  for (auto& i : s.imports) {
    i.key = r.Int32(Plus(prev_key, r.Signed()));
    i.target = ReadRef(r);
    uint64_t flags2;
    i.error = r.String(&flags2, 2);
    i.star = (flags2 & 1) != 0;
    i.relative = (flags2 & 2) != 0;
    prev_key = i.key;
  }
  r.Finish();
  if (const std::string why = SummaryViolation(s); !why.empty()) r.Fail(why);
  return s;
}

}  // namespace

ModuleSummary DecodeSummary(std::string_view bytes) {
  return Decode(bytes, false);
}

ModuleSummary DecodeSharedSummary(std::string_view bytes) {
  return Decode(bytes, true);
}

std::string EncodeEvidence(const FileEvidence& ev) {
  if (const std::string why = EvidenceViolation(ev); !why.empty()) {
    throw InvalidInput("cannot encode the evidence of " + ev.path + ": " + why);
  }
  Writer w(kEvidenceMagic);
  w.String(ev.path);
  w.Count(ev.nodes);
  int64_t prev_bstart = 0, prev_parent = 0, prev_enclosing = 0;
  for (const auto& n : ev.nodes) {
    w.String(n.kind);
    w.Signed(Minus(n.bstart, prev_bstart));
    w.Signed(Minus(n.bend, n.bstart));
    w.String(n.name);
    w.String(n.qualified_path);
    w.Signed(n.ordinal);
    w.Signed(n.parent - prev_parent);
    w.Signed(n.enclosing - prev_enclosing);
    WriteProps(w, n.props);
    prev_bstart = n.bstart;
    prev_parent = n.parent;
    prev_enclosing = n.enclosing;
  }
  w.Count(ev.edges);
  int64_t prev_src = 0;
  prev_bstart = 0;
  for (const auto& e : ev.edges) {
    w.String(e.kind);
    w.Signed(e.src - prev_src);
    w.Signed(int64_t{e.dst} - e.src);
    w.Signed(Minus(e.bstart, prev_bstart));
    w.Signed(Minus(e.bend, e.bstart));
    // The origin's reference says whether the confidence is exactly 1.0 (then it is omitted).
    const bool one = std::bit_cast<uint64_t>(e.confidence) == std::bit_cast<uint64_t>(1.0);
    w.String(e.origin, one ? 0 : 1, 1);
    if (!one) w.Double(e.confidence);
    w.String(e.resolution_method);
    prev_src = e.src;
    prev_bstart = e.bstart;
  }
  w.Count(ev.diagnostics);
  for (const auto& d : ev.diagnostics) {
    w.String(d.severity);
    w.String(d.code);
    w.String(d.message);
    w.Signed(d.bstart);
    w.Signed(Minus(d.bend, d.bstart));
  }
  WriteLines(w, ev.lines);
  return w.Finish();
}

FileEvidence DecodeEvidence(std::string_view bytes) {
  Reader r(bytes, kEvidenceMagic, "evidence");
  FileEvidence ev;
  ev.path = r.String();
  ev.nodes.resize(r.Count(9));
  int64_t prev_bstart = 0, prev_parent = 0, prev_enclosing = 0;
  for (auto& n : ev.nodes) {
    n.kind = r.String();
    n.bstart = Plus(prev_bstart, r.Signed());
    n.bend = Plus(n.bstart, r.Signed());
    n.name = r.String();
    n.qualified_path = r.String();
    n.ordinal = r.Int32(r.Signed());
    n.parent = r.Int32(Plus(prev_parent, r.Signed()));
    n.enclosing = r.Int32(Plus(prev_enclosing, r.Signed()));
    n.props = ReadProps(r);
    prev_bstart = n.bstart;
    prev_parent = n.parent;
    prev_enclosing = n.enclosing;
  }
  ev.edges.resize(r.Count(7));
  int64_t prev_src = 0;
  prev_bstart = 0;
  for (auto& e : ev.edges) {
    e.kind = r.String();
    e.src = r.Int32(Plus(prev_src, r.Signed()));
    e.dst = r.Int32(Plus(e.src, r.Signed()));
    e.bstart = Plus(prev_bstart, r.Signed());
    e.bend = Plus(e.bstart, r.Signed());
    uint64_t not_one;
    e.origin = r.String(&not_one, 1);
    e.confidence = not_one != 0 ? r.Double() : 1.0;
    e.resolution_method = r.String();
    prev_src = e.src;
    prev_bstart = e.bstart;
  }
  ev.diagnostics.resize(r.Count(5));
  for (auto& d : ev.diagnostics) {
    d.severity = r.String();
    d.code = r.String();
    d.message = r.String();
    d.bstart = r.Signed();
    d.bend = Plus(d.bstart, r.Signed());
  }
  ev.lines = ReadLines(r);
  r.Finish();
  if (const std::string why = EvidenceViolation(ev); !why.empty()) r.Fail(why);
  return ev;
}

uint64_t BlobChecksum(std::string_view bytes_before) {
  return XXH64(bytes_before.data(), bytes_before.size(), 0);
}

std::string SealBlob(std::string body) {
  uint64_t sum = BlobChecksum(body);
  for (int i = 0; i < 8; ++i, sum >>= 8) body.push_back(static_cast<char>(sum & 0xFF));
  return body;
}

}  // namespace cpglake::python
