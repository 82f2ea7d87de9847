// Delta schema JSON ⇄ columnar schema, and the column-mapping helpers.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "delta/schema_json.h"

namespace cpglake::delta {
namespace {

using columnar::DataType;
using columnar::Field;
using columnar::Schema;
using columnar::TypeId;

std::string OneField(const std::string& type_json, const std::string& extra = "") {
  return R"({"type":"struct","fields":[{"name":"c","type":)" + type_json +
         R"(,"nullable":true,"metadata":{)" + extra + "}}]}";
}

columnar::TypePtr TypeOf(const std::string& type_json) {
  Schema s = ParseDeltaSchema(OneField(type_json));
  EXPECT_EQ(s.num_fields(), 1u);
  return s.field(0).type;
}

void ExpectRoundTrip(const Schema& schema) {
  std::string json = SerializeDeltaSchema(schema);
  SCOPED_TRACE(json);
  Schema back = ParseDeltaSchema(json);
  EXPECT_TRUE(back.Equals(schema, /*check_metadata=*/true)) << back.ToString();
  EXPECT_EQ(SerializeDeltaSchema(back), json);
}

TEST(SchemaJsonTest, PrimitiveTypes) {
  const std::vector<std::pair<std::string, TypeId>> cases = {
      {"boolean", TypeId::kBoolean},     {"byte", TypeId::kInt8},
      {"short", TypeId::kInt16},         {"integer", TypeId::kInt32},
      {"long", TypeId::kInt64},          {"float", TypeId::kFloat32},
      {"double", TypeId::kFloat64},      {"string", TypeId::kString},
      {"binary", TypeId::kBinary},       {"date", TypeId::kDate},
      {"timestamp", TypeId::kTimestamp}, {"timestamp_ntz", TypeId::kTimestampNtz},
      {"void", TypeId::kNull},
  };
  std::vector<Field> fields;
  for (const auto& [name, id] : cases) {
    auto t = TypeOf("\"" + name + "\"");
    EXPECT_EQ(t->id(), id) << name;
    EXPECT_EQ(TypeToDeltaString(*t), name);
    EXPECT_EQ(ParseDeltaType(name)->id(), id);
    fields.emplace_back("f_" + name, t, name != "long");
  }
  ExpectRoundTrip(Schema(fields));
}

TEST(SchemaJsonTest, Decimals) {
  for (const char* text :
       {"decimal(10,2)", "decimal(10, 2)", "decimal( 10 , 2 )", "decimal(10 ,2)"}) {
    auto t = TypeOf(std::string("\"") + text + "\"");
    EXPECT_EQ(t->id(), TypeId::kDecimal) << text;
    EXPECT_EQ(t->precision(), 10);
    EXPECT_EQ(t->scale(), 2);
    EXPECT_EQ(TypeToDeltaString(*t), "decimal(10,2)");
  }
  auto plain = TypeOf("\"decimal\"");
  EXPECT_EQ(plain->precision(), 10);
  EXPECT_EQ(plain->scale(), 0);
  EXPECT_EQ(TypeOf("\"decimal(38,38)\"")->scale(), 38);
  EXPECT_EQ(TypeOf("\"decimal(1,0)\"")->precision(), 1);
  for (const char* bad :
       {"decimal(39,0)", "decimal(0,0)", "decimal(5,6)", "decimal(10,2", "decimal(10;2)",
        "decimal(a,b)", "decimal(10,2)x", "decimal(,)", "decimal(99999999999999999999,1)"}) {
    EXPECT_THROW(TypeOf(std::string("\"") + bad + "\""), CorruptData) << bad;
  }
  EXPECT_THROW(TypeOf("\"decimal(10,-2)\""), Unsupported);
}

TEST(SchemaJsonTest, NestedTypesAndNullability) {
  const std::string json = R"j({"type":"struct","fields":[
    {"name":"a","type":"integer","nullable":false,"metadata":{}},
    {"name":"b","type":{"type":"struct","fields":[{"name":"d","type":"integer","nullable":false,"metadata":{}}]},"nullable":true,"metadata":{}},
    {"name":"c","type":{"type":"array","elementType":"integer","containsNull":false},"nullable":true,"metadata":{}},
    {"name":"e","type":{"type":"array","elementType":{"type":"struct","fields":[{"name":"d","type":"integer","nullable":false,"metadata":{}}]},"containsNull":true},"nullable":true,"metadata":{}},
    {"name":"f","type":{"type":"map","keyType":"string","valueType":"string","valueContainsNull":true},"nullable":true,"metadata":{}},
    {"name":"g","type":{"type":"map","keyType":{"type":"array","elementType":"long","containsNull":true},"valueType":{"type":"map","keyType":"date","valueType":"decimal(5, 1)","valueContainsNull":false},"valueContainsNull":false},"nullable":false,"metadata":{}}
  ]})j";
  Schema s = ParseDeltaSchema(json);
  ASSERT_EQ(s.num_fields(), 6u);
  EXPECT_FALSE(s.field(0).nullable);
  EXPECT_EQ(s.field(1).type->id(), TypeId::kStruct);
  EXPECT_FALSE(s.field(1).type->fields()[0].nullable);
  EXPECT_EQ(s.field(2).type->id(), TypeId::kList);
  EXPECT_FALSE(s.field(2).type->element().nullable);
  EXPECT_TRUE(s.field(3).type->element().nullable);
  EXPECT_EQ(s.field(3).type->element().type->fields()[0].name, "d");
  EXPECT_EQ(s.field(4).type->id(), TypeId::kMap);
  EXPECT_FALSE(s.field(4).type->key().nullable);
  EXPECT_TRUE(s.field(4).type->value().nullable);
  const auto& g = *s.field(5).type;
  EXPECT_EQ(g.key().type->id(), TypeId::kList);
  EXPECT_FALSE(g.value().nullable);
  EXPECT_EQ(g.value().type->value().type->precision(), 5);
  EXPECT_EQ(s.ToString(),
            "a: integer not null\n"
            "b: struct<d:integer not null>\n"
            "c: array<integer>\n"
            "e: array<struct<d:integer not null>>\n"
            "f: map<string,string>\n"
            "g: map<array<long>,map<date,decimal(5,1)>> not null\n");
  ExpectRoundTrip(s);
  // The serialized form is the protocol's JSON (up to whitespace).
  EXPECT_EQ(nlohmann::json::parse(SerializeDeltaSchema(s)),
            nlohmann::json::parse(
                std::string(json).replace(json.find("decimal(5, 1)"), 13, "decimal(5,1)")));
  EXPECT_EQ(TypeToDeltaString(*s.field(2).type),
            R"({"type":"array","elementType":"integer","containsNull":false})");
  EXPECT_TRUE(ParseDeltaType(TypeToDeltaString(*g.key().type))->Equals(*g.key().type));
  EXPECT_TRUE(ParseDeltaType(TypeToDeltaString(g))->Equals(g));
}

TEST(SchemaJsonTest, MetadataIsKeptAsJsonText) {
  const std::string json = R"({"type":"struct","fields":[{"name":"e","type":"long","nullable":true,
    "metadata":{"delta.columnMapping.id": 5, "delta.columnMapping.physicalName": "col-a7f4159c",
      "delta.typeChanges": [ {"fromType": "short", "toType": "integer"},
                             {"fromType": "integer", "toType": "long"} ],
      "__COLLATIONS": {"e": "spark.UTF8_LCASE"}, "comment": "it's \"quoted\" \u00e9",
      "delta.identity.allowExplicitInsert": false, "x": null, "f": 1.5}}]})";
  Schema s = ParseDeltaSchema(json);
  const Field& f = s.field(0);
  ASSERT_EQ(f.metadata.size(), 8u);
  EXPECT_EQ(f.metadata[0], (std::pair<std::string, std::string>{"delta.columnMapping.id", "5"}));
  EXPECT_EQ(*f.FindMetadata("delta.columnMapping.physicalName"), "\"col-a7f4159c\"");
  EXPECT_EQ(*f.FindMetadata("delta.typeChanges"),
            R"([{"fromType":"short","toType":"integer"},{"fromType":"integer","toType":"long"}])");
  EXPECT_EQ(*f.FindMetadata("__COLLATIONS"), R"({"e":"spark.UTF8_LCASE"})");
  EXPECT_EQ(*f.FindMetadata("comment"), "\"it's \\\"quoted\\\" \xC3\xA9\"");
  EXPECT_EQ(*f.FindMetadata("delta.identity.allowExplicitInsert"), "false");
  EXPECT_EQ(*f.FindMetadata("x"), "null");
  EXPECT_EQ(*f.FindMetadata("f"), "1.5");
  EXPECT_EQ(PhysicalName(f), "col-a7f4159c");
  EXPECT_EQ(ColumnMappingId(f), 5);
  ExpectRoundTrip(s);

  // Missing or null metadata: none.
  Schema bare =
      ParseDeltaSchema(R"({"type":"struct","fields":[{"name":"a","type":"long","nullable":true},)"
                       R"({"name":"b","type":"long","nullable":true,"metadata":null}]})");
  EXPECT_TRUE(bare.field(0).metadata.empty());
  EXPECT_TRUE(bare.field(1).metadata.empty());
  // Writing refuses metadata that is not JSON text.
  Schema bad({Field("a", DataType::Int32())});
  std::vector<Field> fields = bad.fields();
  fields[0].metadata = {{"k", "not json"}};
  EXPECT_THROW(SerializeDeltaSchema(Schema(fields)), InvalidInput);
  fields[0].metadata = {{"k", " [1, 2] "}};
  EXPECT_NE(SerializeDeltaSchema(Schema(fields)).find(R"("metadata":{"k":[1,2]})"),
            std::string::npos);
}

TEST(SchemaJsonTest, NamesWithSpecialCharacters) {
  std::vector<Field> fields = {Field("a b", DataType::Int32()),
                               Field("c.d`e", DataType::String()),
                               Field("quote\"back\\slash", DataType::Int64()),
                               Field("tab\tnew\nline\x01", DataType::Date()),
                               Field("ünïcødé 🦆", DataType::Binary()),
                               Field("", DataType::Int8())};
  ExpectRoundTrip(Schema(fields));
}

TEST(SchemaJsonTest, UnsupportedTypesNameTheType) {
  auto message = [](const std::string& type_json) -> std::string {
    try {
      TypeOf(type_json);
    } catch (const Unsupported& e) {
      return e.what();
    }
    return "(accepted)";
  };
  EXPECT_NE(message("\"variant\"").find("variant type"), std::string::npos);
  EXPECT_NE(message(R"({"type":"variant"})").find("variant type"), std::string::npos);
  EXPECT_NE(message(R"({"type":"array","elementType":{"type":"variant"},"containsNull":false})")
                .find("variant"),
            std::string::npos);
  for (const char* t : {"geometry(OGC:CRS84)", "geography(OGC:CRS84, spherical)", "interval",
                        "char(3)", "varchar(10)", "uuid", "Integer", "int", "decimals"}) {
    EXPECT_NE(message(std::string("\"") + t + "\"").find(std::string("'") + t + "'"),
              std::string::npos)
        << t << ": " << message(std::string("\"") + t + "\"");
  }
  EXPECT_NE(message(R"({"type":"udt","class":"x","sqlType":"string"})").find("user-defined"),
            std::string::npos);
  EXPECT_NE(message(R"({"type":"frobnicate"})").find("'frobnicate'"), std::string::npos);
}

TEST(SchemaJsonTest, MalformedSchemasAreCorruptData) {
  const std::vector<std::string> bad = {
      "{",
      "[]",
      "\"long\"",
      R"({"type":"array","elementType":"long","containsNull":true})",
      R"({"type":"struct"})",
      R"({"type":"struct","fields":{}})",
      R"({"type":"struct","fields":[1]})",
      R"({"type":"struct","fields":[{"type":"long","nullable":true,"metadata":{}}]})",
      R"({"type":"struct","fields":[{"name":1,"type":"long","nullable":true,"metadata":{}}]})",
      R"({"type":"struct","fields":[{"name":"a","nullable":true,"metadata":{}}]})",
      R"({"type":"struct","fields":[{"name":"a","type":"long","metadata":{}}]})",
      R"({"type":"struct","fields":[{"name":"a","type":"long","nullable":"yes","metadata":{}}]})",
      R"({"type":"struct","fields":[{"name":"a","type":"long","nullable":true,"metadata":[]}]})",
      R"({"type":"struct","fields":[{"name":"a","type":7,"nullable":true,"metadata":{}}]})",
      R"({"type":"struct","fields":[{"name":"a","type":{},"nullable":true,"metadata":{}}]})",
      OneField(R"({"type":"array","containsNull":true})"),
      OneField(R"({"type":"array","elementType":"long"})"),
      OneField(R"({"type":"map","keyType":"long","valueContainsNull":true})"),
      OneField(R"({"type":"map","keyType":"long","valueType":"long"})"),
      OneField(R"({"type":"map","keyType":"long","valueType":"long","valueContainsNull":1})"),
      OneField(R"("long")", R"("a":99999999999999999999999)"),
      R"({"type":"struct","fields":[]} x)",
      "{\"type\":\"struct\",\"fields\":[{\"name\":\"\xff\",\"type\":\"long\",\"nullable\":true}]}",
  };
  for (const auto& text : bad) {
    EXPECT_THROW(ParseDeltaSchema(text), CorruptData) << text;
  }
  // Deep nesting: refused by the JSON depth limit, or parsed; never a crash.
  for (int depth : {100, 400, 600, 5000}) {
    std::string t = "\"long\"";
    for (int i = 0; i < depth; ++i) {
      t = R"({"type":"array","elementType":)" + t + R"(,"containsNull":true})";
    }
    try {
      auto type = TypeOf(t);
      EXPECT_EQ(type->id(), TypeId::kList);
    } catch (const CorruptData&) {
      EXPECT_GT(depth, 400);
    }
  }
}

TEST(SchemaJsonTest, EmptySchemaString) {
  EXPECT_EQ(ParseDeltaSchema("").num_fields(), 0u);
  EXPECT_EQ(ParseDeltaSchema("  ").num_fields(), 0u);
  EXPECT_EQ(ParseDeltaSchema(R"({"type":"struct","fields":[]})").num_fields(), 0u);
  EXPECT_EQ(SerializeDeltaSchema(Schema()), R"({"type":"struct","fields":[]})");
}

TEST(SchemaJsonTest, ColumnMappingHelpers) {
  Field plain("a", DataType::Int32());
  EXPECT_EQ(PhysicalName(plain), "a");
  EXPECT_FALSE(ColumnMappingId(plain));
  Field mapped("a", DataType::Int32());
  mapped.metadata = {{"delta.columnMapping.id", "7"},
                     {"delta.columnMapping.physicalName", R"("col-\u0041x")"}};
  EXPECT_EQ(PhysicalName(mapped), "col-Ax");
  EXPECT_EQ(ColumnMappingId(mapped), 7);
  Field broken("b", DataType::Int32());
  broken.metadata = {{"delta.columnMapping.id", "\"7\""},
                     {"delta.columnMapping.physicalName", "7"}};
  EXPECT_THROW(PhysicalName(broken), CorruptData);
  EXPECT_THROW(ColumnMappingId(broken), CorruptData);

  EXPECT_EQ(ParseColumnMappingMode("none"), ColumnMappingMode::kNone);
  EXPECT_EQ(ParseColumnMappingMode(""), ColumnMappingMode::kNone);
  EXPECT_EQ(ParseColumnMappingMode("name"), ColumnMappingMode::kName);
  EXPECT_EQ(ParseColumnMappingMode("NAME"), ColumnMappingMode::kName);
  EXPECT_EQ(ParseColumnMappingMode("id"), ColumnMappingMode::kId);
  EXPECT_THROW(ParseColumnMappingMode("fancy"), Unsupported);
  EXPECT_EQ(ColumnMappingModeName(ColumnMappingMode::kId), "id");
}

TEST(SchemaJsonTest, ToPhysicalSchemaRenamesRecursively) {
  // The protocol's column-mapping example, extended with a map and a nested struct.
  const std::string json = R"({"type":"struct","fields":[
    {"name":"e","type":{"type":"array","elementType":{"type":"struct","fields":[
       {"name":"d","type":"integer","nullable":false,"metadata":{"delta.columnMapping.id":5,
        "delta.columnMapping.physicalName":"col-d"}}]},"containsNull":true},"nullable":true,
     "metadata":{"delta.columnMapping.id":4,"delta.columnMapping.physicalName":"col-e"}},
    {"name":"m","type":{"type":"map","keyType":"string","valueType":{"type":"struct","fields":[
       {"name":"v","type":"long","nullable":true,"metadata":{"delta.columnMapping.id":7,
        "delta.columnMapping.physicalName":"col-v"}}]},"valueContainsNull":true},"nullable":true,
     "metadata":{"delta.columnMapping.id":6,"delta.columnMapping.physicalName":"col-m"}},
    {"name":"s","type":{"type":"struct","fields":[
       {"name":"t","type":"date","nullable":true,"metadata":{"delta.columnMapping.id":9,
        "delta.columnMapping.physicalName":"col-t"}}]},"nullable":true,
     "metadata":{"delta.columnMapping.id":8,"delta.columnMapping.physicalName":"col-s"}}
  ]})";
  Schema logical = ParseDeltaSchema(json);
  EXPECT_TRUE(ToPhysicalSchema(logical, ColumnMappingMode::kNone).Equals(logical, true));
  for (auto mode : {ColumnMappingMode::kName, ColumnMappingMode::kId}) {
    Schema physical = ToPhysicalSchema(logical, mode);
    EXPECT_EQ(physical.ToString(),
              "col-e: array<struct<col-d:integer not null>>\n"
              "col-m: map<string,struct<col-v:long>>\n"
              "col-s: struct<col-t:date>\n");
    // Metadata is kept: ids and physical names are still there for the reader.
    EXPECT_EQ(ColumnMappingId(physical.field(0)), 4);
    EXPECT_EQ(ColumnMappingId(physical.field(0).type->element().type->fields()[0]), 5);
    EXPECT_EQ(PhysicalName(physical.field(2)), "col-s");
    EXPECT_EQ(physical.field(1).type->value().type->fields()[0].name, "col-v");
  }
  // Name mode needs a physical name on every field; id mode falls back to the logical name.
  Schema unmapped({Field("x", DataType::Struct({Field("y", DataType::Int32())}))});
  EXPECT_THROW(ToPhysicalSchema(unmapped, ColumnMappingMode::kName), CorruptData);
  EXPECT_TRUE(ToPhysicalSchema(unmapped, ColumnMappingMode::kId).Equals(unmapped, true));
}

TEST(SchemaJsonTest, TypeWideningAndTimestampNtzFromTheProtocol) {
  const std::string json = R"j({"type":"struct","fields":[{"name":"e","type":{"type":"array",
    "elementType":{"type":"map","keyType":"string","valueType":"decimal(10, 4)",
    "valueContainsNull":true},"containsNull":true},"nullable":true,"metadata":{
    "delta.typeChanges":[{"fromType":"decimal(6, 2)","toType":"decimal(10, 4)",
    "fieldPath":"element.value"}]}},{"name":"ts","type":"timestamp_ntz","nullable":true,
    "metadata":{}}]})j";
  Schema s = ParseDeltaSchema(json);
  EXPECT_EQ(s.field(0).type->element().type->value().type->scale(), 4);
  auto changes = nlohmann::json::parse(*s.field(0).FindMetadata("delta.typeChanges"));
  EXPECT_EQ(changes[0]["fieldPath"], "element.value");
  auto from = ParseDeltaType(changes[0]["fromType"].get<std::string>());
  EXPECT_EQ(from->precision(), 6);
  EXPECT_EQ(ParseDeltaType("\"short\"")->id(), TypeId::kInt16);
  EXPECT_EQ(s.field(1).type->id(), TypeId::kTimestampNtz);
  ExpectRoundTrip(s);
}

}  // namespace
}  // namespace cpglake::delta
