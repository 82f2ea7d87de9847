#include "delta/schema_json.h"

#include <simdjson.h>

#include <cctype>
#include <charconv>

#include "common/error.h"

namespace cpglake::delta {
namespace {

using columnar::DataType;
using columnar::Field;
using columnar::TypeId;
using columnar::TypePtr;
namespace dom = simdjson::dom;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

[[noreturn]] void Corrupt(const std::string& where, const std::string& what) {
  throw CorruptData("Delta schema: " + (where.empty() ? std::string() : where + ": ") + what);
}

std::string Join(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

// Reads an unsigned decimal integer at s[i...], skipping spaces around it.
bool ReadInt(std::string_view s, size_t& i, int64_t& out) {
  while (i < s.size() && s[i] == ' ') ++i;
  const size_t start = i;
  if (i < s.size() && s[i] == '-') ++i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  auto r = std::from_chars(s.data() + start, s.data() + i, out);
  if (r.ec != std::errc() || r.ptr != s.data() + i) return false;
  while (i < s.size() && s[i] == ' ') ++i;
  return true;
}

// "decimal(p,s)" with optional spaces, or plain "decimal" (Spark's default decimal(10,0)).
TypePtr ParseDecimal(std::string_view name, const std::string& where) {
  std::string_view rest = Trim(name.substr(7));
  if (rest.empty()) return DataType::Decimal(10, 0);
  size_t i = 0;
  int64_t precision = 0;
  int64_t scale = 0;
  bool ok = rest[i++] == '(' && ReadInt(rest, i, precision) && i < rest.size() &&
            rest[i++] == ',' && ReadInt(rest, i, scale) && i < rest.size() && rest[i++] == ')' &&
            i == rest.size();
  if (!ok) Corrupt(where, "malformed decimal type '" + std::string(name) + "'");
  if (scale < 0) {
    throw Unsupported("Delta type '" + std::string(name) + "' (negative decimal scale)");
  }
  if (precision < 1 || precision > DataType::kMaxDecimalPrecision || scale > precision) {
    Corrupt(where, "invalid decimal type '" + std::string(name) +
                       "': precision must be 1..38 and scale 0..precision");
  }
  return DataType::Decimal(static_cast<int>(precision), static_cast<int>(scale));
}

TypePtr ParsePrimitive(std::string_view name, const std::string& where) {
  struct Entry {
    std::string_view name;
    TypePtr (*make)();
  };
  static const Entry kPrimitives[] = {
      {"string", &DataType::String},   {"long", &DataType::Int64},
      {"integer", &DataType::Int32},   {"double", &DataType::Float64},
      {"boolean", &DataType::Boolean}, {"timestamp", &DataType::Timestamp},
      {"date", &DataType::Date},       {"float", &DataType::Float32},
      {"short", &DataType::Int16},     {"byte", &DataType::Int8},
      {"binary", &DataType::Binary},   {"timestamp_ntz", &DataType::TimestampNtz},
      {"void", &DataType::Null},
  };
  for (const auto& e : kPrimitives) {
    if (name == e.name) return e.make();
  }
  if (name.substr(0, 7) == "decimal") {
    std::string_view rest = Trim(name.substr(7));
    if (rest.empty() || rest.front() == '(') return ParseDecimal(name, where);
  }
  if (name == "variant") throw Unsupported("variant type (column " + where + ")");
  throw Unsupported("Delta type '" + std::string(name) + "' is not supported (column " + where +
                    ")");
}

TypePtr ParseType(dom::element e, const std::string& where);

std::vector<Field> ParseStructFields(dom::object obj, const std::string& where) {
  dom::array fields;
  auto ec = obj["fields"].get_array().get(fields);
  if (ec == simdjson::NO_SUCH_FIELD) Corrupt(where, "struct without fields");
  if (ec) Corrupt(where, "struct fields is not an array");
  std::vector<Field> out;
  out.reserve(fields.size());
  for (dom::element fe : fields) {
    dom::object fobj;
    if (fe.get_object().get(fobj)) Corrupt(where, "struct field is not an object");
    std::string_view name;
    ec = fobj["name"].get_string().get(name);
    if (ec == simdjson::NO_SUCH_FIELD) Corrupt(where, "struct field without a name");
    if (ec) Corrupt(where, "struct field name is not a string");
    const std::string path = Join(where, name);
    dom::element type_element;
    if (fobj["type"].get(type_element)) Corrupt(path, "type missing");
    bool nullable = true;
    ec = fobj["nullable"].get_bool().get(nullable);
    if (ec == simdjson::NO_SUCH_FIELD) Corrupt(path, "nullable missing");
    if (ec) Corrupt(path, "nullable is not a boolean");
    Field field(std::string(name), ParseType(type_element, path), nullable);
    dom::element meta;
    if (fobj["metadata"].get(meta) == simdjson::SUCCESS && !meta.is_null()) {
      dom::object mobj;
      if (meta.get_object().get(mobj)) Corrupt(path, "metadata is not an object");
      for (auto [key, value] : mobj) {
        std::string text = simdjson::minify(value);
        bool replaced = false;
        for (auto& kv : field.metadata) {
          if (kv.first == key) {
            kv.second = text;  // duplicate key: the last one wins
            replaced = true;
          }
        }
        if (!replaced) field.metadata.emplace_back(std::string(key), std::move(text));
      }
    }
    out.push_back(std::move(field));
  }
  return out;
}

bool GetRequiredBool(dom::object obj, const char* key, const std::string& where) {
  bool b = true;
  auto ec = obj[key].get_bool().get(b);
  if (ec == simdjson::NO_SUCH_FIELD) Corrupt(where, std::string(key) + " missing");
  if (ec) Corrupt(where, std::string(key) + " is not a boolean");
  return b;
}

dom::element GetRequired(dom::object obj, const char* key, const std::string& where) {
  dom::element e;
  if (obj[key].get(e)) Corrupt(where, std::string(key) + " missing");
  return e;
}

TypePtr ParseType(dom::element e, const std::string& where) {
  std::string_view name;
  if (e.get_string().get(name) == simdjson::SUCCESS) return ParsePrimitive(name, where);
  dom::object obj;
  if (e.get_object().get(obj)) Corrupt(where, "type is neither a string nor an object");
  std::string_view kind;
  auto ec = obj["type"].get_string().get(kind);
  if (ec) Corrupt(where, "nested type without a \"type\" string");
  if (kind == "struct") return DataType::Struct(ParseStructFields(obj, where));
  if (kind == "array") {
    TypePtr element = ParseType(GetRequired(obj, "elementType", where), where + ".element");
    return DataType::List(std::move(element), GetRequiredBool(obj, "containsNull", where));
  }
  if (kind == "map") {
    TypePtr key = ParseType(GetRequired(obj, "keyType", where), where + ".key");
    TypePtr value = ParseType(GetRequired(obj, "valueType", where), where + ".value");
    return DataType::Map(std::move(key), std::move(value),
                         GetRequiredBool(obj, "valueContainsNull", where));
  }
  if (kind == "udt") throw Unsupported("user-defined type (column " + where + ")");
  // {"type": "variant"} and friends: a primitive written as an object.
  return ParsePrimitive(kind, where);
}

dom::element ParseJson(dom::parser& parser, std::string_view text, std::string& storage_error) {
  dom::element root;
  auto ec = parser.parse(text.data(), text.size(), true).get(root);
  if (ec) storage_error = simdjson::error_message(ec);
  return root;
}

// --- writing ------------------------------------------------------------------------------

void AppendJsonString(std::string& out, std::string_view s) {
  if (!simdjson::validate_utf8(s.data(), s.size())) {
    throw InvalidInput("Delta schema: name is not valid UTF-8");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  out += '"';
}

void AppendType(std::string& out, const DataType& type, dom::parser& parser);

void AppendFields(std::string& out, const std::vector<Field>& fields, dom::parser& parser) {
  out += "{\"type\":\"struct\",\"fields\":[";
  for (size_t i = 0; i < fields.size(); ++i) {
    const Field& f = fields[i];
    if (i) out += ',';
    out += "{\"name\":";
    AppendJsonString(out, f.name);
    out += ",\"type\":";
    AppendType(out, *f.type, parser);
    out += ",\"nullable\":";
    out += f.nullable ? "true" : "false";
    out += ",\"metadata\":{";
    for (size_t m = 0; m < f.metadata.size(); ++m) {
      if (m) out += ',';
      AppendJsonString(out, f.metadata[m].first);
      out += ':';
      std::string error;
      dom::element value = ParseJson(parser, f.metadata[m].second, error);
      if (!error.empty()) {
        throw InvalidInput("Delta schema: metadata '" + f.metadata[m].first + "' of field '" +
                           f.name + "' is not JSON text (" + error + ")");
      }
      out += simdjson::minify(value);
    }
    out += "}}";
  }
  out += "]}";
}

void AppendType(std::string& out, const DataType& type, dom::parser& parser) {
  switch (type.id()) {
    case TypeId::kStruct:
      AppendFields(out, type.fields(), parser);
      return;
    case TypeId::kList:
      out += "{\"type\":\"array\",\"elementType\":";
      AppendType(out, *type.element().type, parser);
      out += ",\"containsNull\":";
      out += type.element().nullable ? "true" : "false";
      out += '}';
      return;
    case TypeId::kMap:
      out += "{\"type\":\"map\",\"keyType\":";
      AppendType(out, *type.key().type, parser);
      out += ",\"valueType\":";
      AppendType(out, *type.value().type, parser);
      out += ",\"valueContainsNull\":";
      out += type.value().nullable ? "true" : "false";
      out += '}';
      return;
    default:
      out += '"';
      out += TypeToDeltaString(type);
      out += '"';
  }
}

// --- column mapping -----------------------------------------------------------------------

TypePtr RenameType(const TypePtr& type, ColumnMappingMode mode, const std::string& where);

Field RenameField(const Field& f, ColumnMappingMode mode, const std::string& where,
                  bool is_struct_field) {
  Field out = f;
  const std::string path = Join(where, f.name);
  if (is_struct_field) {
    if (mode == ColumnMappingMode::kName && f.FindMetadata(kPhysicalNameKey) == nullptr) {
      throw CorruptData("column mapping mode 'name' but column '" + path + "' has no " +
                        std::string(kPhysicalNameKey));
    }
    out.name = PhysicalName(f);
  }
  out.type = RenameType(f.type, mode, path);
  return out;
}

TypePtr RenameType(const TypePtr& type, ColumnMappingMode mode, const std::string& where) {
  switch (type->id()) {
    case TypeId::kStruct: {
      std::vector<Field> fields;
      fields.reserve(type->fields().size());
      for (const auto& f : type->fields()) fields.push_back(RenameField(f, mode, where, true));
      return DataType::Struct(std::move(fields));
    }
    case TypeId::kList:
      return DataType::List(RenameField(type->element(), mode, where, false));
    case TypeId::kMap:
      return DataType::Map(RenameField(type->key(), mode, where, false),
                           RenameField(type->value(), mode, where, false));
    default:
      return type;
  }
}

}  // namespace

columnar::Schema ParseDeltaSchema(std::string_view schema_string) {
  std::string_view text = Trim(schema_string);
  if (text.empty()) return columnar::Schema();
  dom::parser parser;
  std::string error;
  dom::element root = ParseJson(parser, text, error);
  if (!error.empty()) Corrupt("", "invalid JSON (" + error + ")");
  dom::object obj;
  std::string_view kind;
  if (root.get_object().get(obj) || obj["type"].get_string().get(kind) || kind != "struct") {
    Corrupt("", "the top level is not a struct");
  }
  try {
    return columnar::Schema(ParseStructFields(obj, ""));
  } catch (const InvalidInput& e) {
    // From the columnar constructors: the JSON describes an impossible type.
    Corrupt("", e.what());
  }
}

std::string SerializeDeltaSchema(const columnar::Schema& schema) {
  std::string out;
  dom::parser parser;
  AppendFields(out, schema.fields(), parser);
  return out;
}

std::string TypeToDeltaString(const columnar::DataType& type) {
  switch (type.id()) {
    case TypeId::kDecimal:
      return "decimal(" + std::to_string(type.precision()) + "," + std::to_string(type.scale()) +
             ")";
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap: {
      std::string out;
      dom::parser parser;
      AppendType(out, type, parser);
      return out;
    }
    default:
      return std::string(columnar::TypeIdName(type.id()));
  }
}

columnar::TypePtr ParseDeltaType(std::string_view type_text) {
  std::string_view text = Trim(type_text);
  if (text.empty()) Corrupt("", "empty type");
  if (text.front() != '{' && text.front() != '"') return ParsePrimitive(text, "(type)");
  dom::parser parser;
  std::string error;
  dom::element root = ParseJson(parser, text, error);
  if (!error.empty()) Corrupt("", "invalid type JSON (" + error + ")");
  try {
    return ParseType(root, "(type)");
  } catch (const InvalidInput& e) {
    Corrupt("", e.what());
  }
}

namespace {

// Recursive descent over DataType::ToString text: "array<T>", "map<K,V>",
// "struct<a:T,b:T>", primitives by their Delta names.
class TypeTextParser {
 public:
  explicit TypeTextParser(std::string_view text) : text_(text) {}

  columnar::TypePtr ParseAll() {
    auto t = Type();
    Space();
    if (pos_ != text_.size()) Fail("unexpected '" + std::string(text_.substr(pos_)) + "'");
    return t;
  }

 private:
  void Space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Eat(char c) {
    Space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void Expect(char c) {
    if (!Eat(c)) Fail(std::string("expected '") + c + "'");
  }
  [[noreturn]] void Fail(const std::string& why) const {
    throw InvalidInput("cannot parse type '" + std::string(text_) + "': " + why + " at offset " +
                       std::to_string(pos_));
  }
  std::string Word() {
    Space();
    size_t b = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    if (b == pos_) Fail("expected a name");
    return std::string(text_.substr(b, pos_ - b));
  }
  columnar::TypePtr Type() {
    std::string name = Word();
    std::string lower = name;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "array") {
      Expect('<');
      auto e = Type();
      Expect('>');
      return DataType::List(e, true);
    }
    if (lower == "map") {
      Expect('<');
      auto k = Type();
      Expect(',');
      auto v = Type();
      Expect('>');
      return DataType::Map(k, v, true);
    }
    if (lower == "struct") {
      Expect('<');
      std::vector<Field> fields;
      if (!Eat('>')) {
        do {
          std::string field = Word();
          Expect(':');
          fields.emplace_back(field, Type(), true);
        } while (Eat(','));
        Expect('>');
      }
      return DataType::Struct(std::move(fields));
    }
    if (lower == "decimal") {
      Space();
      size_t b = pos_;
      if (Eat('(')) {
        while (pos_ < text_.size() && text_[pos_] != ')') ++pos_;
        Expect(')');
      }
      return ParsePrimitive(std::string("decimal") + std::string(text_.substr(b, pos_ - b)),
                            "(type)");
    }
    return ParsePrimitive(lower, "(type)");
  }
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

columnar::TypePtr ParseTypeText(std::string_view text) {
  return TypeTextParser(text).ParseAll();
}

ColumnMappingMode ParseColumnMappingMode(std::string_view value) {
  std::string lower(Trim(value));
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.empty() || lower == "none") return ColumnMappingMode::kNone;
  if (lower == "name") return ColumnMappingMode::kName;
  if (lower == "id") return ColumnMappingMode::kId;
  throw Unsupported("delta.columnMapping.mode '" + std::string(value) + "' is not supported");
}

std::string_view ColumnMappingModeName(ColumnMappingMode mode) {
  switch (mode) {
    case ColumnMappingMode::kName:
      return "name";
    case ColumnMappingMode::kId:
      return "id";
    case ColumnMappingMode::kNone:
      break;
  }
  return "none";
}

std::string PhysicalName(const columnar::Field& field) {
  const std::string* text = field.FindMetadata(kPhysicalNameKey);
  if (text == nullptr) return field.name;
  std::string_view t = Trim(*text);
  // Fast path: a JSON string without escapes.
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"' &&
      t.substr(1, t.size() - 2).find_first_of("\"\\") == std::string_view::npos) {
    return std::string(t.substr(1, t.size() - 2));
  }
  dom::parser parser;
  std::string error;
  dom::element e = ParseJson(parser, t, error);
  std::string_view name;
  if (!error.empty() || e.get_string().get(name)) {
    throw CorruptData("Delta schema: " + std::string(kPhysicalNameKey) + " of column '" +
                      field.name + "' is not a JSON string");
  }
  return std::string(name);
}

std::optional<int64_t> ColumnMappingId(const columnar::Field& field) {
  const std::string* text = field.FindMetadata(kColumnMappingIdKey);
  if (text == nullptr) return std::nullopt;
  std::string_view t = Trim(*text);
  int64_t id = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), id);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size()) {
    throw CorruptData("Delta schema: " + std::string(kColumnMappingIdKey) + " of column '" +
                      field.name + "' is not an integer: " + *text);
  }
  return id;
}

columnar::Schema ToPhysicalSchema(const columnar::Schema& logical, ColumnMappingMode mode) {
  if (mode == ColumnMappingMode::kNone) return logical;
  std::vector<Field> fields;
  fields.reserve(logical.num_fields());
  for (const auto& f : logical.fields()) fields.push_back(RenameField(f, mode, "", true));
  return columnar::Schema(std::move(fields));
}

}  // namespace cpglake::delta
