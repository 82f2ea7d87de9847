#include "python/source_decoding.h"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <memory>

namespace cpglake::python {

namespace {

class Iconv {
 public:
  explicit Iconv(const std::string& from) : cd_(iconv_open("UTF-8", from.c_str())) {}
  ~Iconv() {
    if (ok()) iconv_close(cd_);
  }
  Iconv(const Iconv&) = delete;
  Iconv& operator=(const Iconv&) = delete;
  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }
  iconv_t get() const { return cd_; }

 private:
  iconv_t cd_;
};

// iconv's names for a Python codec name: the name itself in capitals, with '-' for '_', and
// without separators; a few codecs are spelled differently.
std::vector<std::string> IconvNames(std::string_view encoding) {
  std::string upper(encoding);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::pair<const char*, const char*> kSpecial[] = {
      {"LATIN-1", "ISO-8859-1"},
      {"MAC_ROMAN", "MACINTOSH"},
      {"MAC_CYRILLIC", "MAC-CYRILLIC"},
      {"MAC_GREEK", "MACGREEK"},
      {"MAC_ICELAND", "MACICELAND"},
      {"MAC_LATIN2", "MACCENTRALEUROPE"},
      {"MAC_TURKISH", "MACTURKISH"},
      {"CP65001", "UTF-8"},
      {"HZ", "HZ-GB-2312"},
      {"KZ1048", "RK1048"},
  };
  std::vector<std::string> out;
  for (const auto& [py, ic] : kSpecial) {
    if (upper == py) out.emplace_back(ic);
  }
  out.push_back(upper);
  std::string dashed = upper;
  std::replace(dashed.begin(), dashed.end(), '_', '-');
  out.push_back(dashed);
  std::string bare;
  for (char c : upper) {
    if (c != '_' && c != '-') bare += c;
  }
  out.push_back(bare);
  return out;
}

int64_t Map(const std::vector<int64_t>& m, int64_t x) {
  if (x < 0 || m.empty()) return x;
  return m[static_cast<size_t>(std::min<int64_t>(x, static_cast<int64_t>(m.size()) - 1))];
}

}  // namespace

bool IsUtf8Encoding(std::string_view encoding) {
  return encoding.empty() || encoding == "utf-8" || encoding == "utf-8-sig" ||
         encoding == "utf_8" || encoding == "utf8";
}

std::optional<DecodedSource> DecodeSource(std::string_view raw, std::string_view encoding,
                                          std::string* error) {
  std::unique_ptr<Iconv> cd;
  for (const std::string& name : IconvNames(encoding)) {
    cd = std::make_unique<Iconv>(name);
    if (cd->ok()) break;
  }
  if (!cd || !cd->ok()) {
    if (error) *error = "no decoder for the encoding " + std::string(encoding);
    return std::nullopt;
  }
  DecodedSource out;
  out.text.reserve(raw.size() + raw.size() / 2);
  out.utf8_offset.assign(raw.size() + 1, 0);
  out.raw_offset.reserve(raw.size() + raw.size() / 2 + 1);
  size_t at = 0;
  char buf[64];
  // One character at a time (1 to 4 bytes), so each raw character's place is known.
  while (at < raw.size()) {
    size_t n = 1;
    for (;; ++n) {
      if (n > 4 || at + n > raw.size()) {
        if (error) {
          *error = "bytes at offset " + std::to_string(at) + " do not decode as " +
                   std::string(encoding);
        }
        return std::nullopt;
      }
      char* in = const_cast<char*>(raw.data() + at);
      size_t in_left = n;
      char* outp = buf;
      size_t out_left = sizeof(buf);
      const size_t r = iconv(cd->get(), &in, &in_left, &outp, &out_left);
      if (r == static_cast<size_t>(-1) && errno == EINVAL) continue;  // an incomplete character
      if (r == static_cast<size_t>(-1)) {
        if (error) {
          *error = "bytes at offset " + std::to_string(at) + " do not decode as " +
                   std::string(encoding);
        }
        return std::nullopt;
      }
      n -= in_left;
      const size_t produced = sizeof(buf) - out_left;
      for (size_t k = 0; k < n; ++k) {
        out.utf8_offset[at + k] = static_cast<int64_t>(out.text.size());
      }
      for (size_t k = 0; k < produced; ++k) out.raw_offset.push_back(static_cast<int64_t>(at));
      out.text.append(buf, produced);
      break;
    }
    at += n;
  }
  out.utf8_offset[raw.size()] = static_cast<int64_t>(out.text.size());
  out.raw_offset.push_back(static_cast<int64_t>(raw.size()));
  return out;
}

void MapEvidenceToRaw(const DecodedSource& d, FileEvidence* ev) {
  const auto& m = d.raw_offset;
  for (auto& n : ev->nodes) {
    n.bstart = Map(m, n.bstart);
    n.bend = Map(m, n.bend);
  }
  for (auto& e : ev->edges) {
    e.bstart = Map(m, e.bstart);
    e.bend = Map(m, e.bend);
  }
  for (auto& x : ev->diagnostics) {
    x.bstart = Map(m, x.bstart);
    x.bend = Map(m, x.bend);
  }
  for (auto& s : ev->lines.line_starts) s = Map(m, s);
  ev->lines.size = static_cast<int64_t>(d.utf8_offset.size()) - 1;
  ev->lines.utf8_offset = d.utf8_offset;
}

void MapSummaryToRaw(const DecodedSource& d, ModuleSummary* summary) {
  for (auto& k : summary->keys) {
    k.bstart = Map(d.raw_offset, k.bstart);
    k.bend = Map(d.raw_offset, k.bend);
  }
}

}  // namespace cpglake::python
