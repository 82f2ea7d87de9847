#include "catalog/dataset_registry.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "delta/writer.h"
#include "test_util.h"

namespace cpglake::catalog {
namespace {

namespace fs = std::filesystem;

DatasetLocation Loc(std::string path, DatasetFormat format = DatasetFormat::kDelta) {
  DatasetLocation location;
  location.path = std::move(path);
  location.format = format;
  return location;
}

TEST(DatasetRegistryTest, OutputRegistryNamesEveryBuildDataset) {
  auto registry = DatasetRegistry::ForOutput("/tmp/out/", {{"k", "v"}});
  EXPECT_EQ(registry.Names(),
            (std::vector<std::string>{
                "_cpglake/builds", "_cpglake/diagnostics", "_cpglake/extract_cache",
                "_cpglake/file_state", "_cpglake/repo_files", "cpg_edges", "cpg_edges_by_dst",
                "cpg_edges_by_src", "cpg_nodes", "cpg_props", "cpg_props_map"}));
  const auto& nodes = registry.Resolve("cpg_nodes");
  EXPECT_EQ(nodes.path, "/tmp/out/cpg_nodes");
  EXPECT_EQ(nodes.format, DatasetFormat::kDelta);
  EXPECT_EQ(nodes.storage_options.at("k"), "v");
  EXPECT_FALSE(nodes.delta_version);
}

TEST(DatasetRegistryTest, UnknownNameListsKnownOnes) {
  auto registry = DatasetRegistry::ForOutput("/tmp/out");
  try {
    registry.Resolve("cpg_nodez");
    FAIL();
  } catch (const NotFound& e) {
    EXPECT_NE(std::string(e.what()).find("cpg_nodes"), std::string::npos) << e.what();
  }
}

TEST(DatasetRegistryTest, ParquetOnlyAsExportTarget) {
  DatasetRegistry registry;
  DatasetLocation parquet = Loc("/tmp/x", DatasetFormat::kParquet);
  EXPECT_THROW(registry.Register("x", parquet), InvalidInput);
  registry.RegisterExport("x", parquet);
  EXPECT_EQ(registry.Resolve("x").format, DatasetFormat::kParquet);
  EXPECT_THROW(OpenSnapshot(registry.Resolve("x")), InvalidInput);
  EXPECT_THROW(registry.PinVersion("x", 1), InvalidInput);
  EXPECT_FALSE(TableExists(registry.Resolve("x")));
}

TEST(DatasetRegistryTest, RejectsBadLocations) {
  DatasetRegistry registry;
  EXPECT_THROW(registry.Register("", Loc("/tmp/x")), InvalidInput);
  EXPECT_THROW(registry.Register("x", Loc("")), InvalidInput);
  DatasetLocation both = Loc("/tmp/x");
  both.delta_version = 1;
  both.delta_timestamp_ms = 5;
  EXPECT_THROW(registry.Register("x", both), InvalidInput);
  EXPECT_THROW(registry.PinVersion("missing", 1), NotFound);
  EXPECT_EQ(ParseDatasetFormat("parquet"), DatasetFormat::kParquet);
  EXPECT_THROW(ParseDatasetFormat("csv"), InvalidInput);
}

TEST(DatasetRegistryTest, PinsFlowToTheSnapshot) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "t").string();
  columnar::Schema schema({columnar::Field("x", columnar::DataType::Int64(), true)});
  for (int i = 0; i < 3; ++i) {
    auto batch = columnar::RecordBatch::MakeEmpty(schema);
    batch.mutable_column(0).Append<int64_t>(i);
    batch.set_num_rows(1);
    delta::WriteOptions wo;
    wo.now_ms = 1'000'000 + i * 1000;
    // In-commit timestamps: the commit times are the injected clock, not the files' mtimes.
    if (i == 0) wo.properties["delta.enableInCommitTimestamps"] = "true";
    delta::WriteDeltaTable(storage::OpenObjectStore(path), batch, wo);
  }
  DatasetRegistry registry;
  registry.Register("t", Loc(path));
  EXPECT_TRUE(TableExists(registry.Resolve("t")));
  EXPECT_EQ(OpenSnapshot(registry.Resolve("t"))->version(), 2);
  registry.PinVersion("t", 1);
  EXPECT_EQ(OpenSnapshot(registry.Resolve("t"))->version(), 1);
  registry.PinTimestamp("t", 1'000'500);
  EXPECT_FALSE(registry.Resolve("t").delta_version);
  EXPECT_EQ(OpenSnapshot(registry.Resolve("t"))->version(), 0);
  registry.PinVersion("t", 9);
  EXPECT_THROW(OpenSnapshot(registry.Resolve("t")), NotFound);
  EXPECT_FALSE(TableExists(Loc((dir.path() / "none").string())));
}

}  // namespace
}  // namespace cpglake::catalog
