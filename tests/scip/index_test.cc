#include "scip/index.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "common/error.h"
#include "scip/scip.pb.h"

namespace cpglake::scip {
namespace {

// An index with every field we read set to a distinct value.
pb::Index FullIndex() {
  pb::Index index;
  pb::Metadata* meta = index.mutable_metadata();
  meta->set_version(0);
  meta->mutable_tool_info()->set_name("scip-python");
  meta->mutable_tool_info()->set_version("0.6.0");
  meta->mutable_tool_info()->add_arguments("index");
  meta->mutable_tool_info()->add_arguments("--project-name=demo");
  meta->set_project_root("file:///src/demo");
  meta->set_text_document_encoding(1);

  pb::Document* doc = index.add_documents();
  doc->set_relative_path("pkg/mod.py");
  doc->set_language("python");
  doc->set_position_encoding(pb::POSITION_ENCODING_UTF32_CODE_UNITS);
  doc->set_text("def f(x):\n    return x\n");

  pb::Occurrence* def = doc->add_occurrences();  // 4-element range, all fields
  for (int v : {0, 4, 0, 5}) def->add_range(v);
  def->set_symbol("scip-python python demo 0.1 `pkg.mod`/f().");
  def->set_symbol_roles(pb::SYMBOL_ROLE_DEFINITION | pb::SYMBOL_ROLE_TEST);
  def->set_syntax_kind(16);
  def->add_override_documentation("overridden");
  for (int v : {0, 0, 1, 12}) def->add_enclosing_range(v);
  pb::Diagnostic* diag = def->add_diagnostics();
  diag->set_severity(2);
  diag->set_code("W1");
  diag->set_message("unused");
  diag->set_source("pyright");
  diag->add_tags(1);
  diag->add_tags(2);

  pb::Occurrence* ref = doc->add_occurrences();  // 3-element range
  for (int v : {1, 11, 12}) ref->add_range(v);
  ref->set_symbol("local 0");
  ref->set_symbol_roles(pb::SYMBOL_ROLE_READ_ACCESS);

  pb::SymbolInformation* sym = doc->add_symbols();
  sym->set_symbol("scip-python python demo 0.1 `pkg.mod`/f().");
  sym->add_documentation("```python\ndef f(x)\n```");
  sym->add_documentation("Returns x.");
  sym->set_kind(17);
  sym->set_display_name("f");
  sym->mutable_signature_documentation()->set_text("def f(x)");
  sym->mutable_signature_documentation()->set_language("python");
  sym->set_enclosing_symbol("scip-python python demo 0.1 `pkg.mod`/");
  pb::Relationship* rel = sym->add_relationships();
  rel->set_symbol("scip-python python demo 0.1 `pkg.base`/g().");
  rel->set_is_reference(true);
  rel->set_is_implementation(false);
  rel->set_is_type_definition(true);
  rel->set_is_definition(false);
  pb::Relationship* rel2 = sym->add_relationships();
  rel2->set_symbol("other");
  rel2->set_is_implementation(true);
  rel2->set_is_definition(true);

  pb::SymbolInformation* ext = index.add_external_symbols();
  ext->set_symbol("scip-python python python-stdlib 3.11 builtins/print().");
  ext->set_display_name("print");
  ext->set_kind(17);
  return index;
}

std::string Serialize(const pb::Index& index) {
  std::string bytes;
  EXPECT_TRUE(index.SerializeToString(&bytes));
  return bytes;
}

void ExpectInvalid(std::string_view bytes, const std::string& fragment) {
  try {
    ParseScipIndex(bytes);
    ADD_FAILURE() << "expected InvalidInput containing '" << fragment << "'";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(ScipIndexTest, EveryFieldRoundTrips) {
  const ScipIndex index = ParseScipIndex(Serialize(FullIndex()));
  EXPECT_EQ(index.protocol_version, 0);
  EXPECT_EQ(index.tool_name, "scip-python");
  EXPECT_EQ(index.tool_version, "0.6.0");
  EXPECT_EQ(index.tool_arguments, (std::vector<std::string>{"index", "--project-name=demo"}));
  EXPECT_EQ(index.project_root, "file:///src/demo");
  EXPECT_EQ(index.text_document_encoding, 1);

  ASSERT_EQ(index.documents.size(), 1u);
  const Document& doc = index.documents[0];
  EXPECT_EQ(doc.relative_path, "pkg/mod.py");
  EXPECT_EQ(doc.language, "python");
  EXPECT_EQ(doc.position_encoding, PositionEncoding::kUtf32);
  EXPECT_EQ(doc.text, "def f(x):\n    return x\n");

  ASSERT_EQ(doc.occurrences.size(), 2u);
  const Occurrence& def = doc.occurrences[0];
  EXPECT_EQ(def.range, (Range{0, 4, 0, 5}));
  EXPECT_EQ(def.symbol, "scip-python python demo 0.1 `pkg.mod`/f().");
  EXPECT_EQ(def.roles, kRoleDefinition | kRoleTest);
  EXPECT_TRUE(def.HasRole(kRoleDefinition));
  EXPECT_TRUE(def.HasRole(kRoleTest));
  EXPECT_FALSE(def.HasRole(kRoleImport));
  EXPECT_EQ(def.syntax_kind, 16);
  EXPECT_EQ(def.override_documentation, std::vector<std::string>{"overridden"});
  ASSERT_TRUE(def.enclosing_range.has_value());
  EXPECT_EQ(*def.enclosing_range, (Range{0, 0, 1, 12}));
  ASSERT_EQ(def.diagnostics.size(), 1u);
  EXPECT_EQ(def.diagnostics[0].severity, 2);
  EXPECT_EQ(def.diagnostics[0].code, "W1");
  EXPECT_EQ(def.diagnostics[0].message, "unused");
  EXPECT_EQ(def.diagnostics[0].source, "pyright");
  EXPECT_EQ(def.diagnostics[0].tags, (std::vector<int32_t>{1, 2}));

  const Occurrence& ref = doc.occurrences[1];
  EXPECT_EQ(ref.range, (Range{1, 11, 1, 12}));  // 3 numbers: same line
  EXPECT_EQ(ref.symbol, "local 0");
  EXPECT_EQ(ref.roles, kRoleReadAccess);
  EXPECT_EQ(ref.syntax_kind, 0);
  EXPECT_FALSE(ref.enclosing_range.has_value());
  EXPECT_TRUE(ref.diagnostics.empty());

  ASSERT_EQ(doc.symbols.size(), 1u);
  const SymbolInfo& sym = doc.symbols[0];
  EXPECT_EQ(sym.symbol, "scip-python python demo 0.1 `pkg.mod`/f().");
  EXPECT_EQ(sym.documentation,
            (std::vector<std::string>{"```python\ndef f(x)\n```", "Returns x."}));
  EXPECT_EQ(sym.kind, 17);
  EXPECT_EQ(sym.display_name, "f");
  EXPECT_EQ(sym.signature, "def f(x)");
  EXPECT_EQ(sym.signature_language, "python");
  EXPECT_EQ(sym.enclosing_symbol, "scip-python python demo 0.1 `pkg.mod`/");
  ASSERT_EQ(sym.relationships.size(), 2u);
  EXPECT_EQ(sym.relationships[0].symbol, "scip-python python demo 0.1 `pkg.base`/g().");
  EXPECT_TRUE(sym.relationships[0].is_reference);
  EXPECT_FALSE(sym.relationships[0].is_implementation);
  EXPECT_TRUE(sym.relationships[0].is_type_definition);
  EXPECT_FALSE(sym.relationships[0].is_definition);
  EXPECT_EQ(sym.relationships[1].symbol, "other");
  EXPECT_FALSE(sym.relationships[1].is_reference);
  EXPECT_TRUE(sym.relationships[1].is_implementation);
  EXPECT_FALSE(sym.relationships[1].is_type_definition);
  EXPECT_TRUE(sym.relationships[1].is_definition);

  ASSERT_EQ(index.external_symbols.size(), 1u);
  EXPECT_EQ(index.external_symbols[0].symbol,
            "scip-python python python-stdlib 3.11 builtins/print().");
  EXPECT_EQ(index.external_symbols[0].display_name, "print");
  EXPECT_EQ(index.external_symbols[0].kind, 17);
  EXPECT_TRUE(index.external_symbols[0].signature.empty());
}

// The wire layout of a tiny index written by hand, independent of our generated code:
// Index.documents (2) → Document{relative_path (1) = "a.py", occurrences (2) →
// Occurrence{range (1) packed [1, 2, 3], symbol_roles (3) = 1}, position_encoding (6) = 2}.
TEST(ScipIndexTest, HandWrittenWireBytes) {
  const std::string occurrence = std::string("\x0a\x03\x01\x02\x03", 5) + "\x18\x01";
  std::string document =
      "\x0a\x04"
      "a.py";
  document += "\x12" + std::string(1, static_cast<char>(occurrence.size())) + occurrence;
  document += "\x30\x02";
  const std::string bytes = "\x12" + std::string(1, static_cast<char>(document.size())) + document;
  const ScipIndex index = ParseScipIndex(bytes);
  ASSERT_EQ(index.documents.size(), 1u);
  EXPECT_EQ(index.documents[0].relative_path, "a.py");
  EXPECT_EQ(index.documents[0].position_encoding, PositionEncoding::kUtf16);
  ASSERT_EQ(index.documents[0].occurrences.size(), 1u);
  EXPECT_EQ(index.documents[0].occurrences[0].range, (Range{1, 2, 1, 3}));
  EXPECT_EQ(index.documents[0].occurrences[0].roles, kRoleDefinition);
}

TEST(ScipIndexTest, RangeOfTwoNumbersIsInvalid) {
  pb::Index index = FullIndex();
  index.mutable_documents(0)->mutable_occurrences(1)->mutable_range()->RemoveLast();
  ExpectInvalid(Serialize(index), "occurrence 1 range has 2 numbers, expected 3 or 4");
}

TEST(ScipIndexTest, BadRanges) {
  for (auto values : std::vector<std::vector<int>>{
           {}, {1}, {1, 2, 3, 4, 5}, {-1, 0, 2}, {0, 5, 3}, {2, 0, 1, 9}}) {
    pb::Index index = FullIndex();
    auto* range = index.mutable_documents(0)->mutable_occurrences(0)->mutable_range();
    range->Clear();
    for (int v : values) range->Add(v);
    EXPECT_THROW(ParseScipIndex(Serialize(index)), InvalidInput) << values.size();
  }
  pb::Index index = FullIndex();
  index.mutable_documents(0)->mutable_occurrences(0)->mutable_enclosing_range()->RemoveLast();
  index.mutable_documents(0)->mutable_occurrences(0)->mutable_enclosing_range()->RemoveLast();
  ExpectInvalid(Serialize(index), "occurrence 0 enclosing range has 2 numbers");
}

TEST(ScipIndexTest, UnknownPositionEncodingIsInvalid) {
  pb::Index index = FullIndex();
  index.mutable_documents(0)->set_position_encoding(static_cast<pb::PositionEncoding>(9));
  ExpectInvalid(Serialize(index), "unknown position encoding 9");
}

TEST(ScipIndexTest, EmptyAndNonIndexInputsAreInvalid) {
  ExpectInvalid("", "empty");
  ExpectInvalid(std::string(16, '\0'), "not a SCIP index");
  ExpectInvalid("PK\x03\x04 this is a zip file", "not a SCIP index");
}

TEST(ScipIndexTest, EveryTruncationIsInvalidOrAPrefixIndex) {
  const std::string bytes = Serialize(FullIndex());
  int invalid = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    try {
      ParseScipIndex(std::string_view(bytes).substr(0, n));
    } catch (const InvalidInput&) {
      ++invalid;
    }
  }
  // A cut between two top-level fields leaves a shorter valid index; everywhere else the cut
  // lands inside a field and must be reported.
  EXPECT_GT(invalid, static_cast<int>(bytes.size()) - 4);
}

TEST(ScipIndexTest, RandomBytesNeverCrash) {
  std::mt19937 rng(9);
  int invalid = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(1 + rng() % 200, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    try {
      ParseScipIndex(bytes);
    } catch (const InvalidInput&) {
      ++invalid;
    }
  }
  EXPECT_GT(invalid, 1900);
}

TEST(ScipIndexTest, SizeLimitIsCheckedFirst) {
  ScipReadLimits limits;
  limits.max_index_bytes = 10;
  try {
    ParseScipIndex(Serialize(FullIndex()), limits);
    ADD_FAILURE();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("limit of 10"), std::string::npos) << e.what();
  }
}

TEST(ScipIndexTest, DeepNestingIsRefused) {
  pb::Index index;
  pb::Document* doc = index.add_documents();
  for (int i = 0; i < 40; ++i) doc = doc->add_symbols()->mutable_signature_documentation();
  ExpectInvalid(Serialize(index), "not a SCIP index");
}

TEST(ScipIndexTest, ReadFromFile) {
  const std::string path = ::testing::TempDir() + "/scip_index_test.scip";
  {
    std::ofstream out(path, std::ios::binary);
    out << Serialize(FullIndex());
  }
  const ScipIndex index = ReadScipIndex(path);
  EXPECT_EQ(index.tool_name, "scip-python");
  ASSERT_EQ(index.documents.size(), 1u);
  EXPECT_EQ(index.documents[0].occurrences.size(), 2u);

  ScipReadLimits limits;
  limits.max_index_bytes = 4;
  EXPECT_THROW(ReadScipIndex(path, limits), InvalidInput);
  std::remove(path.c_str());
  EXPECT_THROW(ReadScipIndex(path), NotFound);
}

}  // namespace
}  // namespace cpglake::scip
