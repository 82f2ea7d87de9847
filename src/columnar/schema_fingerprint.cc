#include "columnar/schema_fingerprint.h"

#include "common/hash.h"

namespace cpglake::columnar {

namespace {

void AppendType(const DataType& t, std::string* out);

void AppendField(const Field& f, bool with_name, std::string* out) {
  if (with_name) {
    out->append(f.name);
    out->push_back(':');
  }
  AppendType(*f.type, out);
  if (f.nullable) out->push_back('?');
}

void AppendType(const DataType& t, std::string* out) {
  switch (t.id()) {
    case TypeId::kStruct: {
      out->append("struct<");
      bool first = true;
      for (const auto& f : t.fields()) {
        if (!first) out->push_back(',');
        first = false;
        AppendField(f, true, out);
      }
      out->push_back('>');
      return;
    }
    case TypeId::kList:
      out->append("array<");
      AppendField(t.element(), false, out);
      out->push_back('>');
      return;
    case TypeId::kMap:
      out->append("map<");
      AppendField(t.key(), false, out);
      out->push_back(',');
      AppendField(t.value(), false, out);
      out->push_back('>');
      return;
    default:
      out->append(t.ToString());  // primitive: "long", "decimal(10,2)", "timestamp_ntz"
  }
}

}  // namespace

std::string SchemaCanonicalString(const Schema& schema) {
  std::string out;
  bool first = true;
  for (const auto& f : schema.fields()) {
    if (!first) out.push_back(',');
    first = false;
    AppendField(f, true, &out);
  }
  return out;
}

std::string SchemaFingerprint(const Schema& schema) {
  return Blake2bHex("cpglake-schema-v1\n" + SchemaCanonicalString(schema), 16);
}

}  // namespace cpglake::columnar
