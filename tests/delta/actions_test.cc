// Delta log actions ⇄ JSON: round trips of every action, the protocol's leniencies (nulls,
// unknown fields, numbers where strings are expected), hostile input (truncation at every
// offset, wrong types, deep nesting, huge numbers, byte flips) and the whole acceptance
// corpus (every JSON file under _delta_log of every table).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "common/error.h"
#include "delta/actions.h"
#include "delta/schema_json.h"
#include "test_util.h"

namespace cpglake::delta {
namespace {

namespace fs = std::filesystem;
using ::cpglake::testing::ReadFileBytes;
using ::cpglake::testing::TestDataDir;

std::vector<Action> Parse(std::string_view text, const std::string& name = "test.json") {
  return ParseActionsJson(text, name);
}

// The CorruptData message for `text`, or "" when it parses.
std::string ParseError(std::string_view text, const std::string& name = "test.json") {
  try {
    ParseActionsJson(text, name);
  } catch (const CorruptData& e) {
    return e.what();
  }
  return "";
}

void ExpectRoundTrip(const Action& a) {
  std::string line = SerializeActionJson(a);
  SCOPED_TRACE(line);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  // Valid JSON with one key, the action name.
  auto j = nlohmann::json::parse(line);
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j.begin().key(), std::string(ActionName(a)));
  auto back = Parse(line);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_TRUE(back[0] == a);
  // Twice is stable.
  EXPECT_EQ(SerializeActionJson(back[0]), line);
}

DeletionVectorDescriptor FullDv() {
  DeletionVectorDescriptor dv;
  dv.storage_type = 'u';
  dv.path_or_inline_dv = "ab^-aqEH.-t@S}K{vb[*k^";
  dv.offset = 4;
  dv.size_in_bytes = 40;
  dv.cardinality = 6;
  return dv;
}

std::vector<Action> FullActions() {
  std::vector<Action> out;
  Protocol p;
  p.min_reader_version = 3;
  p.min_writer_version = 7;
  p.reader_features = std::vector<std::string>{"deletionVectors", "columnMapping"};
  p.writer_features = std::vector<std::string>{"deletionVectors", "columnMapping", "rowTracking"};
  out.push_back(p);

  Metadata m;
  m.id = "af23c9d7-fff1-4a5a-a2c8-55c59bd782aa";
  m.name = "tbl \"quoted\" \\ name";
  m.description = "línea 1\nline 2\ttab \x01 ctl 🦆";
  m.format.provider = "parquet";
  m.format.options = {{"k", "v"}};
  m.schema_string =
      R"({"type":"struct","fields":[{"name":"a","type":"integer","nullable":true,"metadata":{}}]})";
  m.partition_columns = {"a", "b c"};
  m.configuration = {{"delta.enableDeletionVectors", "true"}, {"delta.columnMapping.mode", "name"}};
  m.created_time = 1603723997752;
  out.push_back(m);

  AddFile a;
  a.path = "date=2017-12-10/part-000%20x.c000.snappy.parquet";
  a.partition_values = {{"date", "2017-12-10"}, {"n", std::nullopt}, {"e", ""}};
  a.size = 841454;
  a.modification_time = 1512909768000;
  a.data_change = false;
  a.stats = R"({"numRecords":1,"minValues":{"val":"a\"b"},"tightBounds":true})";
  a.tags = {{"INSERTION_TIME", "1677811178336000"}, {"OPTIMIZE_TARGET_SIZE", "268435456"}};
  a.deletion_vector = FullDv();
  a.base_row_id = 4071;
  a.default_row_commit_version = 41;
  a.clustering_provider = "liquid";
  out.push_back(a);

  RemoveFile r;
  r.path = "part-00001-9.snappy.parquet";
  r.deletion_timestamp = 1515488792485;
  r.data_change = true;
  r.extended_file_metadata = true;
  r.partition_values = {{"x", "1"}, {"y", std::nullopt}};
  r.size = 123;
  r.stats = R"({"numRecords":3})";
  r.tags = {{"t", "v"}};
  DeletionVectorDescriptor inline_dv;
  inline_dv.storage_type = 'i';
  inline_dv.path_or_inline_dv = "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L";
  inline_dv.size_in_bytes = 40;
  inline_dv.cardinality = 6;
  r.deletion_vector = inline_dv;
  r.base_row_id = 0;
  r.default_row_commit_version = 0;
  out.push_back(r);

  AddCDCFile c;
  c.path = "_change_data/cdc-00001-c.snappy.parquet";
  c.partition_values = {{"p", "v"}};
  c.size = 1213;
  c.data_change = false;
  c.tags = {{"a", "b"}};
  out.push_back(c);

  Txn t;
  t.app_id = "3ba13872-2d47-4e17-86a0-21afd2a22395";
  t.version = 364475;
  t.last_updated = 1603723997752;
  out.push_back(t);

  DomainMetadata d;
  d.domain = "delta.rowTracking";
  d.configuration = R"({"rowIdHighWaterMark":4})";
  d.removed = true;
  out.push_back(d);

  CommitInfo ci;
  ci.json = R"({"inCommitTimestamp":1700000000001,"timestamp":1700000000000,"operation":"WRITE",)"
            R"("operationParameters":{"mode":"Append","partitionBy":"[]"},"readVersion":3,)"
            R"("isBlindAppend":true,"engineInfo":"cpglake/0.1","nested":[1,2.5,null,{"x":"é"}]})";
  ci.timestamp = 1700000000000;
  ci.in_commit_timestamp = 1700000000001;
  ci.operation = "WRITE";
  out.push_back(ci);

  CheckpointMetadata cm;
  cm.version = 10;
  cm.tags = {{"sidecarNum", "2"}};
  out.push_back(cm);

  Sidecar s;
  s.path = "016ae953-37a9-438e-8683-9a9a4a79a395.parquet";
  s.size_in_bytes = 2304522;
  s.modification_time = 1512909768000;
  s.tags = {{"k", "v"}};
  out.push_back(s);
  return out;
}

std::vector<Action> MinimalActions() {
  std::vector<Action> out;
  out.push_back(Protocol{});
  Metadata m;
  m.id = "x";
  out.push_back(m);
  AddFile a;
  a.path = "f.parquet";
  out.push_back(a);
  RemoveFile r;
  r.path = "f.parquet";
  out.push_back(r);
  AddCDCFile c;
  c.path = "c.parquet";
  out.push_back(c);
  Txn t;
  t.app_id = "app";
  out.push_back(t);
  DomainMetadata d;
  d.domain = "user.domain";
  out.push_back(d);
  CommitInfo ci;
  ci.json = "{}";  // (empty text means "build the object from the fields")
  out.push_back(ci);
  out.push_back(CheckpointMetadata{});
  Sidecar s;
  s.path = "s.parquet";
  out.push_back(s);
  return out;
}

TEST(ActionsJsonTest, RoundTripEveryActionWithAllFieldsSet) {
  auto actions = FullActions();
  ASSERT_EQ(actions.size(), std::variant_size_v<Action>);
  for (const auto& a : actions) ExpectRoundTrip(a);
}

TEST(ActionsJsonTest, RoundTripEveryActionWithOptionalFieldsUnset) {
  auto actions = MinimalActions();
  ASSERT_EQ(actions.size(), std::variant_size_v<Action>);
  for (const auto& a : actions) ExpectRoundTrip(a);
  // Unset optionals are absent, not null.
  for (const auto& a : actions) {
    EXPECT_EQ(SerializeActionJson(a).find("null"), std::string::npos) << SerializeActionJson(a);
  }
}

TEST(ActionsJsonTest, RoundTripOfAWholeCommit) {
  auto actions = FullActions();
  std::string text;
  for (const auto& a : actions) text += SerializeActionJson(a) + "\n";
  auto back = Parse(text);
  ASSERT_EQ(back.size(), actions.size());
  for (size_t i = 0; i < actions.size(); ++i) EXPECT_TRUE(back[i] == actions[i]) << i;
}

TEST(ActionsJsonTest, WritesTheProtocolFieldNames) {
  auto actions = FullActions();
  std::map<std::string, std::set<std::string>> keys;
  for (const auto& a : actions) {
    auto j = nlohmann::json::parse(SerializeActionJson(a));
    for (auto& [k, v] : j.begin().value().items()) keys[j.begin().key()].insert(k);
    if (const auto* add = std::get_if<AddFile>(&a)) {
      auto dv = j["add"]["deletionVector"];
      std::set<std::string> dv_keys;
      for (auto& [k, v] : dv.items()) dv_keys.insert(k);
      EXPECT_EQ(dv_keys, (std::set<std::string>{"storageType", "pathOrInlineDv", "offset",
                                                "sizeInBytes", "cardinality"}));
      EXPECT_TRUE(j["add"]["stats"].is_string());
      EXPECT_TRUE(j["add"]["partitionValues"]["n"].is_null());
      EXPECT_EQ(j["add"]["stats"].get<std::string>(), *add->stats);
    }
  }
  using S = std::set<std::string>;
  EXPECT_EQ(keys["protocol"],
            (S{"minReaderVersion", "minWriterVersion", "readerFeatures", "writerFeatures"}));
  EXPECT_EQ(keys["metaData"], (S{"id", "name", "description", "format", "schemaString",
                                 "partitionColumns", "configuration", "createdTime"}));
  EXPECT_EQ(keys["add"],
            (S{"path", "partitionValues", "size", "modificationTime", "dataChange", "stats", "tags",
               "deletionVector", "baseRowId", "defaultRowCommitVersion", "clusteringProvider"}));
  EXPECT_EQ(keys["remove"],
            (S{"path", "deletionTimestamp", "dataChange", "extendedFileMetadata", "partitionValues",
               "size", "stats", "tags", "deletionVector", "baseRowId", "defaultRowCommitVersion"}));
  EXPECT_EQ(keys["cdc"], (S{"path", "partitionValues", "size", "dataChange", "tags"}));
  EXPECT_EQ(keys["txn"], (S{"appId", "version", "lastUpdated"}));
  EXPECT_EQ(keys["domainMetadata"], (S{"domain", "configuration", "removed"}));
  EXPECT_EQ(keys["checkpointMetadata"], (S{"version", "tags"}));
  EXPECT_EQ(keys["sidecar"], (S{"path", "sizeInBytes", "modificationTime", "tags"}));
  EXPECT_TRUE(keys["commitInfo"].count("operationParameters"));
}

TEST(ActionsJsonTest, ActionNames) {
  std::vector<std::string> names;
  for (const auto& a : MinimalActions()) names.emplace_back(ActionName(a));
  EXPECT_EQ(names, (std::vector<std::string>{"protocol", "metaData", "add", "remove", "cdc", "txn",
                                             "domainMetadata", "commitInfo", "checkpointMetadata",
                                             "sidecar"}));
}

TEST(ActionsJsonTest, ParsesTheProtocolExamples) {
  auto actions = Parse(
      R"({"metaData":{"id":"af23c9d7-fff1-4a5a-a2c8-55c59bd782aa","format":{"provider":"parquet",)"
      R"("options":{}},"schemaString":"...","partitionColumns":[],"configuration":{"appendOnly":)"
      R"( "true"}}})"
      "\n"
      R"({"add":{"path":"date=2017-12-10/part-000...c000.gz.parquet","partitionValues":{"date":)"
      R"("2017-12-10"},"size":841454,"modificationTime":1512909768000,"dataChange":true,)"
      R"("baseRowId":4071,"defaultRowCommitVersion":41,"clusteringProvider":"liquid",)"
      R"("stats":"{\"numRecords\":1,\"minValues\":{\"val...\"}}"}})"
      "\n"
      R"({"remove":{"path":"part-00001-9.snappy.parquet","deletionTimestamp":1515488792485,)"
      R"("baseRowId":4071,"defaultRowCommitVersion":41,"dataChange":true}})"
      "\n"
      R"({"cdc":{"path":"_change_data/cdc-00001-c.snappy.parquet","partitionValues":{},)"
      R"("size":1213,"dataChange":false}})"
      "\n"
      R"({"txn":{"appId":"3ba13872-2d47-4e17-86a0-21afd2a22395","version":364475}})"
      "\n"
      R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":)"
      R"(["columnMapping"],"writerFeatures":["columnMapping","identityColumns"]}})"
      "\n"
      R"({"domainMetadata":{"domain":"delta.deltaTableFeatureX","configuration":)"
      R"("{\"key1\":\"value1\"}","removed":false}})"
      "\n"
      R"({"sidecar":{"path":"016ae953-37a9-438e-8683-9a9a4a79a395.parquet",)"
      R"("sizeInBytes":2304522,"modificationTime":1512909768000,"tags":{}}})"
      "\n"
      R"({"checkpointMetadata":{"version":1,"tags":{}}})");
  ASSERT_EQ(actions.size(), 9u);
  const auto& m = std::get<Metadata>(actions[0]);
  EXPECT_EQ(m.configuration.at("appendOnly"), "true");
  EXPECT_EQ(m.format.provider, "parquet");
  EXPECT_FALSE(m.created_time);
  const auto& a = std::get<AddFile>(actions[1]);
  EXPECT_EQ(a.size, 841454);
  EXPECT_EQ(a.base_row_id, 4071);
  EXPECT_EQ(a.clustering_provider, "liquid");
  EXPECT_EQ(a.stats, R"({"numRecords":1,"minValues":{"val..."}})");
  EXPECT_EQ(std::get<RemoveFile>(actions[2]).deletion_timestamp, 1515488792485);
  EXPECT_FALSE(std::get<RemoveFile>(actions[2]).size);
  EXPECT_EQ(std::get<AddCDCFile>(actions[3]).size, 1213);
  EXPECT_FALSE(std::get<Txn>(actions[4]).last_updated);
  EXPECT_EQ(std::get<Protocol>(actions[5]).writer_features->size(), 2u);
  EXPECT_FALSE(std::get<DomainMetadata>(actions[6]).removed);
  EXPECT_EQ(std::get<Sidecar>(actions[7]).size_in_bytes, 2304522);
  EXPECT_EQ(std::get<CheckpointMetadata>(actions[8]).version, 1);
  // The protocol's own "readerVersion" example lacks the required field names.
  EXPECT_EQ(ParseError(R"({"protocol":{"readerVersion":2,"writerVersion":7}})"),
            "test.json line 1: protocol.minReaderVersion missing");
}

TEST(ActionsJsonTest, ParsesAddWithNullsNumbersAndEscapes) {
  auto actions = Parse(
      R"({"add":{"path":"a%20b/\u00e9\ud83e\udd86.parquet","partitionValues":{"p":null,"n":2021,)"
      R"("f":1.5e3,"b":true,"s":"null","e":""},"size":1,"modificationTime":2,"dataChange":true,)"
      R"("stats":"{\"numRecords\":10}","tags":null,"deletionVector":null,"baseRowId":null,)"
      R"("defaultRowCommitVersion":null,"clusteringProvider":null,"unknownField":{"x":[1,2]}}})");
  ASSERT_EQ(actions.size(), 1u);
  const auto& a = std::get<AddFile>(actions[0]);
  EXPECT_EQ(a.path, "a%20b/\xC3\xA9\xF0\x9F\xA6\x86.parquet");
  EXPECT_EQ(a.partition_values.at("p"), std::nullopt);
  EXPECT_EQ(a.partition_values.at("n"), "2021");
  EXPECT_EQ(a.partition_values.at("f"), "1.5e3");
  EXPECT_EQ(a.partition_values.at("b"), "true");
  EXPECT_EQ(a.partition_values.at("s"), "null");
  EXPECT_EQ(a.partition_values.at("e"), "");
  EXPECT_EQ(a.stats, R"({"numRecords":10})");
  EXPECT_TRUE(a.tags.empty());
  EXPECT_FALSE(a.deletion_vector);
  EXPECT_FALSE(a.base_row_id);
  EXPECT_FALSE(a.clustering_provider);
}

TEST(ActionsJsonTest, EscapedKeysAreUnescaped) {
  auto actions = Parse(R"({"\u0061dd":{"p\u0061th":"x","partitionValues":{"k\"ey":"v"},"size":1,)"
                       R"("modificationTime":2,"dataChange":false}})");
  ASSERT_EQ(actions.size(), 1u);
  const auto& a = std::get<AddFile>(actions[0]);
  EXPECT_EQ(a.path, "x");
  EXPECT_EQ(a.partition_values.at("k\"ey"), "v");
}

TEST(ActionsJsonTest, StatsAsAnObjectKeepsItsText) {
  auto actions = Parse(
      R"({"add":{"path":"x","partitionValues":{},"size":1,"modificationTime":2,"dataChange":true,)"
      R"("stats":{"numRecords":3,"minValues":{"a":1}}}})");
  EXPECT_EQ(std::get<AddFile>(actions[0]).stats, R"({"numRecords":3,"minValues":{"a":1}})");
}

TEST(ActionsJsonTest, DeletionVectorOffsetNullAndUniqueFields) {
  auto actions =
      Parse(R"({"remove":{"path":"x","dataChange":true,"deletionVector":{"storageType":"i",)"
            R"("pathOrInlineDv":"^Bg9^0rr910000000000iXQKl0rr91000005c8Xg##093","offset":null,)"
            R"("sizeInBytes":34,"cardinality":1,"maxRowIndex":9}}})");
  const auto& r = std::get<RemoveFile>(actions[0]);
  ASSERT_TRUE(r.deletion_vector);
  EXPECT_EQ(r.deletion_vector->storage_type, 'i');
  EXPECT_FALSE(r.deletion_vector->offset);
  EXPECT_EQ(r.deletion_vector->size_in_bytes, 34);
  EXPECT_EQ(r.deletion_vector->cardinality, 1);
}

TEST(ActionsJsonTest, CommitInfoKeepsItsRawTextAndExtractsFields) {
  const std::string obj =
      R"({"timestamp": 1515491537026, "userId":"100121","operation":"INSERT",)"
      R"( "operationParameters":{"mode":"Append","partitionBy":"[]"},"inCommitTimestamp":17,)"
      R"("notebook":{"notebookId":"4443029"}})";
  auto actions = Parse("{\"commitInfo\":" + obj + " }\n");
  ASSERT_EQ(actions.size(), 1u);
  const auto& c = std::get<CommitInfo>(actions[0]);
  EXPECT_EQ(c.json, obj);
  EXPECT_EQ(c.timestamp, 1515491537026);
  EXPECT_EQ(c.in_commit_timestamp, 17);
  EXPECT_EQ(c.operation, "INSERT");
  // Written back verbatim.
  EXPECT_EQ(SerializeActionJson(c), "{\"commitInfo\":" + obj + "}");

  // Free-form fields of an unexpected type are not extracted; inCommitTimestamp must be a long.
  auto odd = Parse(R"({"commitInfo":{"timestamp":"yesterday","operation":7}})");
  EXPECT_FALSE(std::get<CommitInfo>(odd[0]).timestamp);
  EXPECT_FALSE(std::get<CommitInfo>(odd[0]).operation);
  EXPECT_NE(ParseError(R"({"commitInfo":{"inCommitTimestamp":"17"}})")
                .find("commitInfo.inCommitTimestamp is not a 64-bit integer"),
            std::string::npos);
}

TEST(ActionsJsonTest, CommitInfoFieldsWinOverItsJsonWhenTheyDiffer) {
  CommitInfo c;
  c.json = R"({"operation":"WRITE","timestamp":5,"x":[1]})";
  c.timestamp = 6;
  c.in_commit_timestamp = 7;
  c.operation.reset();
  auto back = Parse(SerializeActionJson(c));
  const auto& b = std::get<CommitInfo>(back[0]);
  EXPECT_EQ(b.timestamp, 6);
  EXPECT_EQ(b.in_commit_timestamp, 7);
  EXPECT_FALSE(b.operation);
  EXPECT_NE(b.json.find(R"("x":[1])"), std::string::npos);

  // Without JSON text, the object is built from the fields.
  CommitInfo only;
  only.in_commit_timestamp = 1;
  only.operation = "CREATE TABLE";
  EXPECT_EQ(SerializeActionJson(only),
            R"({"commitInfo":{"inCommitTimestamp":1,"operation":"CREATE TABLE"}})");
  CommitInfo bad;
  bad.json = "[1]";
  EXPECT_THROW(SerializeActionJson(bad), InvalidInput);
}

TEST(ActionsJsonTest, UnknownActionsFieldsBlankLinesAndLineEndings) {
  std::string text =
      "\n"
      R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2,"future":{"a":[{}]}}})"
      "\r\n   \n"
      R"({"someFutureAction":{"x":1}})"
      "\n"
      R"({"txn":{"appId":"a","version":3}, "add": null})"
      "\r\n\t\n"
      R"({"txn":{"appId":"b","version":4,"lastUpdated":null}})";  // no final newline
  auto actions = Parse(text);
  ASSERT_EQ(actions.size(), 3u);
  EXPECT_EQ(std::get<Protocol>(actions[0]).min_writer_version, 2);
  EXPECT_EQ(std::get<Txn>(actions[1]).version, 3);
  EXPECT_EQ(std::get<Txn>(actions[2]).app_id, "b");
  EXPECT_TRUE(Parse("").empty());
  EXPECT_TRUE(Parse("\n\n  \r\n").empty());
  // A byte order mark at the start is tolerated.
  EXPECT_EQ(Parse("\xEF\xBB\xBF{\"txn\":{\"appId\":\"a\",\"version\":3}}").size(), 1u);
}

TEST(ActionsJsonTest, MetadataWithoutSchemaStringAsOldSparkWroteIt) {
  auto actions =
      Parse(R"({"metaData":{"id":"testId","format":{"provider":"parquet","options":{}},)"
            R"("partitionColumns":[],"configuration":{"k":null},"createdTime":1607452026918,)"
            R"("name":null,"description":null}})");
  const auto& m = std::get<Metadata>(actions[0]);
  EXPECT_EQ(m.schema_string, "");
  EXPECT_TRUE(m.configuration.empty());
  EXPECT_FALSE(m.name);
  EXPECT_EQ(ParseDeltaSchema(m.schema_string).num_fields(), 0u);
  // Written back without a schemaString (an empty string would not be a schema).
  EXPECT_EQ(SerializeActionJson(m).find("schemaString"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// Hostile input

TEST(ActionsJsonTest, MissingRequiredFieldsNameFileLineAndField) {
  struct Case {
    std::string line;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"add":{"partitionValues":{},"size":1,"modificationTime":1,"dataChange":true}})",
       "add.path missing"},
      {R"({"add":{"path":null,"partitionValues":{},"size":1,"modificationTime":1,"dataChange":true}})",
       "add.path missing"},
      {R"({"add":{"path":"p","size":1,"modificationTime":1,"dataChange":true}})",
       "add.partitionValues missing"},
      {R"({"add":{"path":"p","partitionValues":{},"modificationTime":1,"dataChange":true}})",
       "add.size missing"},
      {R"({"add":{"path":"p","partitionValues":{},"size":1,"dataChange":true}})",
       "add.modificationTime missing"},
      {R"({"add":{"path":"p","partitionValues":{},"size":1,"modificationTime":1}})",
       "add.dataChange missing"},
      {R"({"remove":{"dataChange":true}})", "remove.path missing"},
      {R"({"remove":{"path":"p"}})", "remove.dataChange missing"},
      {R"({"cdc":{"path":"p","partitionValues":{},"dataChange":false}})", "cdc.size missing"},
      {R"({"protocol":{"minWriterVersion":2}})", "protocol.minReaderVersion missing"},
      {R"({"metaData":{"format":{},"partitionColumns":[],"configuration":{}}})",
       "metaData.id missing"},
      {R"({"metaData":{"id":"x","partitionColumns":[],"configuration":{}}})",
       "metaData.format missing"},
      {R"({"txn":{"appId":"a"}})", "txn.version missing"},
      {R"({"domainMetadata":{"domain":"d","configuration":"{}"}})",
       "domainMetadata.removed missing"},
      {R"({"checkpointMetadata":{"tags":{}}})", "checkpointMetadata.version missing"},
      {R"({"sidecar":{"path":"s","sizeInBytes":1}})", "sidecar.modificationTime missing"},
      {R"({"add":{"path":"p","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true,)"
       R"("deletionVector":{"storageType":"u","pathOrInlineDv":"x","cardinality":1}}})",
       "add.deletionVector.sizeInBytes missing"},
  };
  for (const auto& c : cases) {
    std::string text = "{\"txn\":{\"appId\":\"ok\",\"version\":1}}\n\n" + c.line + "\n";
    std::string msg = ParseError(text, "00000000000000000003.json");
    EXPECT_EQ(msg, "00000000000000000003.json line 3: " + c.message) << c.line;
  }
}

TEST(ActionsJsonTest, WrongTypesAreCorruptData) {
  const std::string add_prefix = R"({"add":{"path":"p","partitionValues":{},"modificationTime":1,)"
                                 R"("dataChange":true,)";
  struct Case {
    std::string line;
    std::string message;
  };
  const std::vector<Case> cases = {
      {add_prefix + R"("size":"12"}})", "add.size is not a 64-bit integer"},
      {add_prefix + R"("size":1.5}})", "add.size is not a 64-bit integer"},
      {add_prefix + R"("size":99999999999999999999999}})", "add.size is not a 64-bit integer"},
      {add_prefix + R"("size":9223372036854775808}})", "add.size is not a 64-bit integer"},
      {add_prefix + R"("size":1e400}})", "add.size is not a 64-bit integer"},
      {add_prefix + R"("size":true}})", "add.size is not a 64-bit integer"},
      {add_prefix + R"("size":1,"stats":5}})", "add.stats is not a string"},
      {add_prefix + R"("size":1,"tags":[]}})", "add.tags is not an object"},
      {add_prefix + R"("size":1,"tags":{"a":[1]}}})", "add.tags.a is not a string"},
      {add_prefix + R"("size":1,"baseRowId":"7"}})", "add.baseRowId is not a 64-bit integer"},
      {add_prefix + R"("size":1,"deletionVector":"x"}})", "add.deletionVector is not an object"},
      {add_prefix + R"("size":1,"deletionVector":{"storageType":"uu","pathOrInlineDv":"x",)"
                    R"("sizeInBytes":1,"cardinality":1}}})",
       "add.deletionVector.storageType is not a single character"},
      {add_prefix + R"("size":1,"deletionVector":{"storageType":"u","pathOrInlineDv":"x",)"
                    R"("sizeInBytes":4294967296,"cardinality":1}}})",
       "add.deletionVector.sizeInBytes is out of the 32-bit range"},
      {R"({"add":{"path":"p","partitionValues":{"a":{}},"size":1,"modificationTime":1,)"
       R"("dataChange":true}})",
       "add.partitionValues.a is not a string"},
      {R"({"add":{"path":"p","partitionValues":[],"size":1,"modificationTime":1,"dataChange":1}})",
       "add.partitionValues is not an object"},
      {R"({"add":{"path":7}})", "add.path is not a string"},
      {R"({"add":[1]})", "add is not an object"},
      {R"({"remove":{"path":"p","dataChange":"yes"}})", "remove.dataChange is not a boolean"},
      {R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2,"readerFeatures":"x"}})",
       "protocol.readerFeatures is not an array"},
      {R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2,"readerFeatures":[1]}})",
       "protocol.readerFeatures has a non-string element"},
      {R"({"protocol":{"minReaderVersion":3000000000,"minWriterVersion":2}})",
       "protocol.minReaderVersion is out of the 32-bit range"},
      {R"({"metaData":{"id":"x","format":{"provider":1},"partitionColumns":[],"configuration":{}}})",
       "metaData.format.provider is not a string"},
      {R"({"domainMetadata":{"domain":"d","configuration":{},"removed":false}})",
       "domainMetadata.configuration is not a string"},
      {R"(["add"])", "line is not a JSON object"},
      {R"("add")", "line is not a JSON object"},
      {R"(42)", "line is not a JSON object"},
  };
  for (const auto& c : cases) {
    std::string msg = ParseError(c.line, "v.json");
    EXPECT_EQ(msg, "v.json line 1: " + c.message) << c.line;
  }
}

TEST(ActionsJsonTest, MalformedJsonIsCorruptData) {
  const std::vector<std::string> bad = {
      "{",
      "}",
      "{}}",
      R"({"txn":{"appId":"a","version":1}}{"txn":{"appId":"a","version":1}})",
      R"({"txn":{"appId":"a","version":1}} x)",
      R"({"txn":{"appId":"a","version":1},})",
      R"({"txn":{"appId":"a" "version":1}})",
      R"({"txn":{"appId":"a","version":01}})",
      R"({"txn":{"appId":"a","version":1-}})",
      R"({"txn":{"appId":"a\x","version":1}})",
      R"({"txn":{"appId":"a\ud800","version":1}})",
      "{\"txn\":{\"appId\":\"a\tb\",\"version\":1}}",
      "{\"txn\":{\"appId\":\"\xff\xfe\",\"version\":1}}",
      std::string("{\"txn\":{\"appId\":\"a\",\"version\":1}}\0", 34),
      std::string("{\"txn\":{\"appId\":\"a\0\",\"version\":1}}", 34),
      R"({"txn":{"appId":'a',"version":1}})",
      R"({"txn":{appId:"a","version":1}})",
      R"({"txn":{"appId":"a","version":nul}})",
      R"({"add":{"path":"p","partitionValues":{"a":tru},"size":1,"modificationTime":1,"dataChange":true}})",
      R"({"add":{"path":"p","partitionValues":{"a":1.},"size":1,"modificationTime":1,"dataChange":true}})",
  };
  for (const std::string& text : bad) {
    std::string msg = ParseError(text, "bad.json");
    EXPECT_EQ(msg.rfind("bad.json line 1: ", 0), 0u) << text << " → " << msg;
  }
}

TEST(ActionsJsonTest, DeepNestingAndHugeInputsNeverCrash) {
  for (size_t depth : {10u, 1000u, 1100u, 100000u}) {
    std::string open(depth, '[');
    std::string close(depth, ']');
    // At the top level and as a known field: wrong type / depth errors.
    EXPECT_NE(ParseError(open + close), "");
    EXPECT_NE(ParseError(R"({"add":{"path":)" + open + close + "}}"), "");
    EXPECT_NE(ParseError(R"({"add":{"partitionValues":{"a":)" + open + close + "}}}"), "");
    // Truncated deep nesting.
    EXPECT_NE(ParseError(R"({"commitInfo":{"x":)" + open + "}}"), "");
    // Nested objects in commitInfo: deep but well-formed free-form content.
    std::string objs;
    for (size_t i = 0; i < depth; ++i) objs += "{\"a\":";
    objs += "1" + std::string(depth, '}');
    try {
      auto a = Parse("{\"commitInfo\":" + objs + "}");
      EXPECT_EQ(std::get<CommitInfo>(a.at(0)).json, objs);
    } catch (const CorruptData&) {
      // Beyond the depth limit: refused, fine too.
    }
  }
  // A huge string value and a long line.
  std::string big(5 << 20, 'x');
  auto a = Parse(R"({"add":{"path":")" + big +
                 R"(","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true}})");
  EXPECT_EQ(std::get<AddFile>(a.at(0)).path.size(), big.size());
  EXPECT_NE(ParseError(R"({"add":{"path":")" + big), "");
}

fs::path AcceptanceDir() {
  return TestDataDir() / "delta-acceptance";
}

// A real commit with a metaData, protocol, commitInfo, adds with stats and a DV.
std::string RealCommit() {
  std::string text;
  for (const char* rel : {"kernel_data/table-with-dv-small/_delta_log/00000000000000000000.json",
                          "kernel_data/table-with-dv-small/_delta_log/00000000000000000001.json"}) {
    text += ReadFileBytes(AcceptanceDir() / rel);
  }
  return text;
}

std::string_view TrimWs(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

TEST(ActionsJsonTest, TruncatedAtEveryOffsetOfARealCommit) {
  const std::string full = RealCommit();
  const auto all = Parse(full, "real.json");
  ASSERT_GE(all.size(), 5u);
  int rejected = 0;
  for (size_t cut = 0; cut < full.size(); ++cut) {
    std::string_view prefix(full.data(), cut);
    size_t line_start = prefix.rfind('\n');
    line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
    std::string_view partial = TrimWs(prefix.substr(line_start));
    size_t line_end = full.find('\n', line_start);
    std::string_view whole_line = TrimWs(std::string_view(full).substr(
        line_start, line_end == std::string::npos ? std::string::npos : line_end - line_start));
    const bool complete = partial.empty() || partial == whole_line;
    try {
      auto actions = Parse(prefix, "real.json");
      EXPECT_TRUE(complete) << "accepted a truncated line at offset " << cut;
      // Every action parsed equals the corresponding one of the whole commit.
      ASSERT_LE(actions.size(), all.size());
      for (size_t i = 0; i < actions.size(); ++i) EXPECT_TRUE(actions[i] == all[i]) << cut;
    } catch (const CorruptData& e) {
      EXPECT_FALSE(complete) << "offset " << cut << ": " << e.what();
      EXPECT_EQ(std::string(e.what()).rfind("real.json line ", 0), 0u) << e.what();
      EXPECT_NE(std::string(e.what()).find("possibly truncated"), std::string::npos) << e.what();
      ++rejected;
    }
  }
  EXPECT_GT(rejected, static_cast<int>(full.size()) * 9 / 10);
}

TEST(ActionsJsonTest, RandomByteChangesNeverCrash) {
  const std::string full = RealCommit();
  std::mt19937_64 rng(20240601);
  const char kInteresting[] = {'"', '\\', '{', '}', '[',  ']',    ',',    ':', '\n',
                               '0', '-',  'e', 'n', '\0', '\x80', '\xff', ' '};
  int accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s = full;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s[at] = kInteresting[rng() % sizeof(kInteresting)];
          break;
        case 1:
          s.erase(at, 1 + rng() % 8);
          break;
        default:
          s.insert(at, 1, kInteresting[rng() % sizeof(kInteresting)]);
      }
    }
    try {
      auto actions = Parse(s, "fuzz.json");
      ++accepted;
      // Whatever was accepted serializes and parses back identically.
      for (const auto& a : actions) {
        std::string line;
        try {
          line = SerializeActionJson(a);
        } catch (const InvalidInput&) {
          continue;  // e.g. commitInfo text our writer refuses
        }
        auto back = Parse(line);
        ASSERT_EQ(back.size(), 1u) << line;
        if (!std::holds_alternative<CommitInfo>(a)) {
          EXPECT_TRUE(back[0] == a) << line;
        }
      }
    } catch (const CorruptData& e) {
      EXPECT_EQ(std::string(e.what()).rfind("fuzz.json line ", 0), 0u) << e.what();
    }
  }
  EXPECT_GT(accepted, 0);
}

// ---------------------------------------------------------------------------------------
// The acceptance corpus

struct Table {
  fs::path root;
  std::string rel;
};

// Every directory with a _delta_log under kernel_golden/*/delta, kernel_data/**, delta_golden/*.
std::vector<Table> CorpusTables() {
  std::vector<Table> out;
  for (const char* top : {"kernel_golden", "kernel_data", "delta_golden"}) {
    const fs::path dir = AcceptanceDir() / top;
    if (!fs::exists(dir)) continue;
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
         ++it) {
      if (it->is_directory() && it->path().filename() == "_delta_log") {
        out.push_back({it->path().parent_path(),
                       fs::relative(it->path().parent_path(), AcceptanceDir()).string()});
        it.disable_recursion_pending();
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Table& a, const Table& b) { return a.rel < b.rel; });
  return out;
}

std::map<std::string, std::string> ManifestExpectations() {
  std::map<std::string, std::string> out;
  std::ifstream in(AcceptanceDir() / "manifest.tsv");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    size_t start = 0;
    while (true) {
      size_t tab = line.find('\t', start);
      cols.push_back(line.substr(start, tab == std::string::npos ? tab : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (cols.size() >= 4) out[cols[0]] = cols[3];
  }
  return out;
}

// Commits, classic/V2 JSON checkpoints and log compaction files; not .crc, _last_checkpoint,
// macOS "._" resource forks or anything under _sidecars (Parquet).
bool IsLogJson(const fs::path& p) {
  const std::string name = p.filename().string();
  return name.size() > 5 && name.front() != '.' && name.substr(name.size() - 5) == ".json" &&
         std::isdigit(static_cast<unsigned char>(name.front()));
}

TEST(ActionsCorpusTest, EveryLogJsonFileOfEveryTableParses) {
  if (!fs::exists(AcceptanceDir())) GTEST_SKIP() << "no acceptance corpus";
  const auto manifest = ManifestExpectations();
  const auto tables = CorpusTables();
  ASSERT_GT(tables.size(), 100u);
  size_t files = 0;
  size_t actions_total = 0;
  std::map<std::string, size_t> by_kind;
  std::set<std::string> schemas;
  std::vector<std::string> negative_failures;
  std::vector<std::string> negative_ok;
  for (const auto& table : tables) {
    auto it = manifest.find(table.rel);
    const bool negative = it != manifest.end() && it->second == "negative";
    std::string failure;
    std::vector<fs::path> paths;
    for (const auto& e : fs::directory_iterator(table.root / "_delta_log")) {
      if (e.is_regular_file() && IsLogJson(e.path())) paths.push_back(e.path());
    }
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) {
      ++files;
      std::vector<Action> actions;
      try {
        actions = ParseActionsJson(ReadFileBytes(p), p.filename().string());
      } catch (const Error& e) {
        if (!negative) ADD_FAILURE() << table.rel << ": " << e.what();
        if (failure.empty()) failure = e.what();
        continue;
      }
      actions_total += actions.size();
      for (const auto& a : actions) {
        ++by_kind[std::string(ActionName(a))];
        if (const auto* m = std::get_if<Metadata>(&a)) schemas.insert(m->schema_string);
        // The writer reproduces every real action.
        auto back = ParseActionsJson(SerializeActionJson(a), "roundtrip.json");
        ASSERT_EQ(back.size(), 1u);
        EXPECT_TRUE(back[0] == a) << table.rel << " " << p.filename() << ": "
                                  << SerializeActionJson(a).substr(0, 300);
      }
    }
    if (negative) {
      (failure.empty() ? negative_ok : negative_failures)
          .push_back(table.rel + (failure.empty() ? "" : ": " + failure));
    }
  }
  std::cout << "[corpus] " << tables.size() << " tables, " << files << " log JSON files, "
            << actions_total << " actions, " << schemas.size() << " distinct schemaStrings\n";
  for (const auto& [k, n] : by_kind) std::cout << "[corpus]   " << k << ": " << n << "\n";
  for (const auto& s : negative_failures) std::cout << "[corpus] negative, fails: " << s << "\n";
  for (const auto& s : negative_ok) {
    std::cout << "[corpus] negative, its log JSON parses (the error is elsewhere): " << s << "\n";
  }
  for (const auto& entry : manifest) {
    if (entry.second != "negative") continue;
    bool walked = std::any_of(tables.begin(), tables.end(),
                              [&](const Table& t) { return t.rel == entry.first; });
    if (!walked) std::cout << "[corpus] negative, no _delta_log to parse: " << entry.first << "\n";
  }

  EXPECT_GT(files, 400u);
}

TEST(ActionsCorpusTest, EverySchemaStringRoundTrips) {
  if (!fs::exists(AcceptanceDir())) GTEST_SKIP() << "no acceptance corpus";
  std::map<std::string, std::set<std::string>> schemas;  // schemaString → tables
  for (const auto& table : CorpusTables()) {
    for (const auto& e : fs::directory_iterator(table.root / "_delta_log")) {
      if (!e.is_regular_file() || !IsLogJson(e.path())) continue;
      std::vector<Action> actions;
      try {
        actions = ParseActionsJson(ReadFileBytes(e.path()), e.path().filename().string());
      } catch (const CorruptData&) {
        continue;  // reported by the test above
      }
      for (const auto& a : actions) {
        if (const auto* m = std::get_if<Metadata>(&a)) schemas[m->schema_string].insert(table.rel);
      }
    }
  }
  ASSERT_GT(schemas.size(), 50u);
  size_t ok = 0;
  std::map<std::string, std::set<std::string>> unsupported;
  for (const auto& [text, tables] : schemas) {
    SCOPED_TRACE(*tables.begin() + ": " + text.substr(0, 200));
    columnar::Schema schema;
    try {
      schema = ParseDeltaSchema(text);
    } catch (const Unsupported& e) {
      unsupported[e.what()].insert(tables.begin(), tables.end());
      continue;
    }
    std::string json = SerializeDeltaSchema(schema);
    columnar::Schema back = ParseDeltaSchema(json);
    EXPECT_TRUE(back.Equals(schema, /*check_metadata=*/true)) << json;
    EXPECT_EQ(SerializeDeltaSchema(back), json);
    // Same JSON value as the original, up to whitespace and number spelling.
    if (!text.empty()) {
      EXPECT_EQ(nlohmann::json::parse(json), nlohmann::json::parse(text)) << json;
    }
    ++ok;
  }
  std::cout << "[corpus] " << schemas.size() << " distinct schemaStrings, " << ok
            << " round-trip\n";
  for (const auto& [msg, tables] : unsupported) {
    std::cout << "[corpus] unsupported: " << msg << " in";
    for (const auto& t : tables) std::cout << " " << t;
    std::cout << "\n";
  }
  EXPECT_GT(ok, 50u);
}

}  // namespace
}  // namespace cpglake::delta
