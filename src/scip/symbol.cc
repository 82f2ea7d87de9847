#include "scip/symbol.h"

namespace cpglake::scip {

namespace {

bool IsSimpleChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '+' || c == '-' || c == '$';
}

// Reads one space-terminated header field ("  " is an escaped space) at `pos`.
bool ReadField(std::string_view s, size_t* pos, std::string* out) {
  out->clear();
  while (*pos < s.size()) {
    const char c = s[*pos];
    if (c == ' ') {
      if (*pos + 1 < s.size() && s[*pos + 1] == ' ') {
        out->push_back(' ');
        *pos += 2;
        continue;
      }
      ++*pos;
      return true;
    }
    out->push_back(c);
    ++*pos;
  }
  return false;  // the field must be followed by a space
}

// A simple or backquoted name at `pos`.
bool ReadName(std::string_view s, size_t* pos, std::string* out) {
  out->clear();
  if (*pos < s.size() && s[*pos] == '`') {
    ++*pos;
    while (*pos < s.size()) {
      if (s[*pos] == '`') {
        if (*pos + 1 < s.size() && s[*pos + 1] == '`') {
          out->push_back('`');
          *pos += 2;
          continue;
        }
        ++*pos;
        return !out->empty();
      }
      out->push_back(s[(*pos)++]);
    }
    return false;
  }
  while (*pos < s.size() && IsSimpleChar(s[*pos])) out->push_back(s[(*pos)++]);
  return !out->empty();
}

}  // namespace

bool IsLocalSymbol(std::string_view symbol) {
  return symbol.rfind("local ", 0) == 0;
}

std::optional<ParsedSymbol> ParseSymbol(std::string_view s) {
  ParsedSymbol p;
  if (IsLocalSymbol(s)) {
    p.is_local = true;
    p.local_id = std::string(s.substr(6));
    if (p.local_id.empty()) return std::nullopt;
    return p;
  }
  size_t pos = 0;
  if (!ReadField(s, &pos, &p.scheme) || p.scheme.empty() || !ReadField(s, &pos, &p.manager) ||
      !ReadField(s, &pos, &p.package) || !ReadField(s, &pos, &p.version)) {
    return std::nullopt;
  }
  using Kind = SymbolDescriptor::Kind;
  while (pos < s.size()) {
    SymbolDescriptor d;
    const char c = s[pos];
    if (c == '(' || c == '[') {  // parameter / type parameter
      ++pos;
      if (!ReadName(s, &pos, &d.name) || pos >= s.size() || s[pos] != (c == '(' ? ')' : ']')) {
        return std::nullopt;
      }
      ++pos;
      d.kind = c == '(' ? Kind::kParameter : Kind::kTypeParameter;
    } else {
      if (!ReadName(s, &pos, &d.name) || pos >= s.size()) return std::nullopt;
      const char suffix = s[pos++];
      switch (suffix) {
        case '/':
        case '#':
        case '.':
        case ':':
        case '!':
          d.kind = static_cast<Kind>(suffix);
          break;
        case '(': {  // method: name(disambiguator).
          while (pos < s.size() && s[pos] != ')') d.disambiguator.push_back(s[pos++]);
          if (pos + 1 >= s.size() || s[pos + 1] != '.') return std::nullopt;
          pos += 2;
          d.kind = Kind::kMethod;
          break;
        }
        default:
          return std::nullopt;
      }
    }
    p.descriptors.push_back(std::move(d));
  }
  if (p.descriptors.empty()) return std::nullopt;
  return p;
}

std::string ParsedSymbol::Name() const {
  if (is_local) return local_id;
  size_t n = descriptors.size();
  // scip-python's module symbol ends in the meta `__init__:`: the module is named by what
  // precedes it.
  if (n > 1 && descriptors[n - 1].kind == SymbolDescriptor::Kind::kMeta &&
      descriptors[n - 1].name == "__init__") {
    --n;
  }
  if (n == 0) return "";
  const std::string& name = descriptors[n - 1].name;
  const size_t dot = descriptors[n - 1].kind == SymbolDescriptor::Kind::kNamespace
                         ? name.rfind('.')
                         : std::string::npos;
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

std::string ParsedSymbol::QualifiedName() const {
  if (is_local) return "";
  std::string out;
  size_t n = descriptors.size();
  if (n > 1 && descriptors[n - 1].kind == SymbolDescriptor::Kind::kMeta &&
      descriptors[n - 1].name == "__init__") {
    --n;
  }
  for (size_t i = 0; i < n; ++i) {
    const SymbolDescriptor& d = descriptors[i];
    switch (d.kind) {
      case SymbolDescriptor::Kind::kParameter:
        out += "(" + d.name + ")";
        break;
      case SymbolDescriptor::Kind::kTypeParameter:
        out += "[" + d.name + "]";
        break;
      default:
        if (!out.empty()) out += '.';
        out += d.name;
    }
  }
  return out;
}

}  // namespace cpglake::scip
