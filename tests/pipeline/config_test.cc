#include "pipeline/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "delta/file_stats_writer.h"
#include "delta/snapshot.h"
#include "parquet/file_reader.h"
#include "test_util.h"

namespace cpglake::pipeline {
namespace {

namespace fs = std::filesystem;
using cpglake::testing::TempDir;

std::string Message(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "(no InvalidInput)";
}

TEST(ConfigTest, DefaultsMatchBuildOptions) {
  Config config;
  BuildOptions defaults;
  BuildOptions o = config.ToBuildOptions("/repo");
  EXPECT_EQ(o.repo, "/repo");
  EXPECT_FALSE(o.out);
  EXPECT_FALSE(o.repo_id);
  EXPECT_EQ(o.jobs, defaults.jobs);
  EXPECT_EQ(o.scan.max_files, defaults.scan.max_files);
  EXPECT_EQ(o.scan.max_file_bytes, defaults.scan.max_file_bytes);
  EXPECT_EQ(o.scan.use_git, defaults.scan.use_git);
  EXPECT_EQ(o.writer.codec, parquet::Codec::kZstd);
  EXPECT_EQ(EffectiveCompressionLevel(o.writer.codec, o.writer.compression_level), 1);
  EXPECT_EQ(o.writer.row_group_rows, 1 << 13);
  EXPECT_EQ(o.table_properties, defaults.table_properties);
  EXPECT_EQ(o.stats_columns, DefaultStatsColumns());
  EXPECT_FALSE(o.output_policy.allow_parquet_exports);
  for (const auto& entry : config.Entries()) {
    EXPECT_EQ(entry.source.ToString(), "default") << entry.key;
  }
}

TEST(ConfigTest, PrecedenceDefaultsFileEnvFlags) {
  TempDir tmp;
  const fs::path file = tmp.path() / "cpglake.toml";
  std::ofstream(file) << "[build]\n"
                         "jobs = 3\n"
                         "repo_id = \"from-file\"\n"
                         "[scan]\n"
                         "exclude = [\"tests\", \"docs/**\"]\n"
                         "max_files = 10\n"
                         "[writer]\n"
                         "compression = \"snappy\"\n";
  LoadConfigOptions load;
  load.repo = tmp.path().string();
  load.env = {{"CPGLAKE_BUILD_JOBS", "5"},
              {"CPGLAKE_SCAN_MAX_FILES", "20"},
              {"CPGLAKE_SCAN_INCLUDE", "src/**, lib ,"},
              {"PATH", "/usr/bin"}};
  Config config = LoadConfig(load);
  config.ApplyFlag("build.jobs", int64_t{7}, "--jobs");

  EXPECT_EQ(config.GetInt("build.jobs"), 7);
  EXPECT_EQ(config.Get("build.jobs").source.ToString(), "flag:--jobs");
  EXPECT_EQ(config.GetInt("scan.max_files"), 20);
  EXPECT_EQ(config.Get("scan.max_files").source.ToString(), "env:CPGLAKE_SCAN_MAX_FILES");
  EXPECT_EQ(config.GetString("build.repo_id"), "from-file");
  EXPECT_EQ(config.Get("build.repo_id").source.ToString(), "file:" + file.string() + ":3");
  EXPECT_EQ(config.GetList("scan.exclude"), (std::vector<std::string>{"tests", "docs/**"}));
  EXPECT_EQ(config.Get("scan.exclude").source.ToString(), "file:" + file.string() + ":5");
  EXPECT_EQ(config.GetList("scan.include"), (std::vector<std::string>{"src/**", "lib"}));
  EXPECT_EQ(config.Get("scan.max_file_bytes").source.ToString(), "default");
  EXPECT_EQ(config.files(), std::vector<std::string>{file.string()});

  BuildOptions o = config.ToBuildOptions(tmp.path().string());
  EXPECT_EQ(o.jobs, 7);
  EXPECT_EQ(o.repo_id, "from-file");
  EXPECT_EQ(o.scan.max_files, 20);
  EXPECT_EQ(o.writer.codec, parquet::Codec::kSnappy);
  EXPECT_EQ(EffectiveCompressionLevel(o.writer.codec, o.writer.compression_level), 0);

  // The TOML rendering says where every value came from.
  const std::string toml = config.ToToml(true);
  EXPECT_NE(toml.find("jobs = 7  # from flag:--jobs"), std::string::npos) << toml;
  EXPECT_NE(toml.find("max_files = 20  # from env:CPGLAKE_SCAN_MAX_FILES"), std::string::npos);
  EXPECT_NE(toml.find("repo_id = \"from-file\"  # from file:"), std::string::npos);
  EXPECT_EQ(config.ToToml(false).find("# from"), std::string::npos);
}

TEST(ConfigTest, ExplicitConfigFileAndRelativeOutputDir) {
  TempDir tmp;
  fs::create_directories(tmp.path() / "etc");
  const fs::path file = tmp.path() / "etc" / "my.toml";
  std::ofstream(file) << "[output]\ndir = \"../graph\"\nallow_parquet_exports = true\n";
  LoadConfigOptions load;
  load.repo = (tmp.path() / "nowhere").string();
  load.config_file = file.string();
  Config config = LoadConfig(load);
  BuildOptions o = config.ToBuildOptions("/repo");
  ASSERT_TRUE(o.out);
  EXPECT_EQ(*o.out, (tmp.path() / "graph").string());
  EXPECT_TRUE(o.output_policy.allow_parquet_exports);
  EXPECT_TRUE(config.OutputPolicy().allow_parquet_exports);
  // A flag's relative directory stays relative (to the working directory).
  config.ApplyFlag("output.dir", std::string("out"), "--out");
  EXPECT_EQ(*config.ToBuildOptions("/repo").out, "out");

  load.config_file = (tmp.path() / "missing.toml").string();
  EXPECT_THROW(LoadConfig(load), NotFound);
}

TEST(ConfigTest, UnknownKeysAreErrorsWithFileAndLine) {
  Config config;
  std::string m =
      Message([&] { config.ApplyToml("[scan]\nmax_files = 3\nexlude = [\"x\"]\n", "c.toml"); });
  EXPECT_NE(m.find("c.toml:3"), std::string::npos) << m;
  EXPECT_NE(m.find("scan.exlude"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean 'scan.exclude'"), std::string::npos) << m;
  m = Message([&] { config.ApplyToml("\n[scna]\njobs = 1\n", "c.toml"); });
  EXPECT_NE(m.find("c.toml:2"), std::string::npos) << m;
  EXPECT_NE(m.find("'scna'"), std::string::npos) << m;
  m = Message([&] { config.ApplyToml("[tables.stats_columns]\ncpg_nodez = \"a\"\n", "c.toml"); });
  EXPECT_NE(m.find("c.toml:2"), std::string::npos) << m;
  EXPECT_NE(m.find("cpg_nodez"), std::string::npos) << m;
  m = Message([&] { config.ApplyToml("jobs = 2\n", "c.toml"); });
  EXPECT_NE(m.find("c.toml:1"), std::string::npos) << m;
  // TOML syntax errors name the line too.
  m = Message([&] { config.ApplyToml("[build]\njobs = = 2\n", "c.toml"); });
  EXPECT_NE(m.find("c.toml:2"), std::string::npos) << m;
}

TEST(ConfigTest, WrongTypesAndBadValuesAreErrors) {
  Config config;
  std::string m = Message([&] { config.ApplyToml("[build]\njobs = \"4\"\n", "c.toml"); });
  EXPECT_EQ(m, "c.toml:2: build.jobs: expected an integer, got a string");
  m = Message([&] { config.ApplyToml("[scan]\nuse_git = 1\n", "c.toml"); });
  EXPECT_EQ(m, "c.toml:2: scan.use_git: expected a boolean, got an integer");
  m = Message([&] { config.ApplyToml("[scan]\nexclude = \"tests\"\n", "c.toml"); });
  EXPECT_EQ(m, "c.toml:2: scan.exclude: expected an array of strings, got a string");
  m = Message([&] { config.ApplyToml("[scan]\nexclude = [\"a\",\n  3]\n", "c.toml"); });
  EXPECT_NE(m.find("c.toml:3"), std::string::npos) << m;
  m = Message([&] { config.ApplyToml("[writer]\ncompression = \"lzo\"\n", "c.toml"); });
  EXPECT_NE(m.find("c.toml:2: writer.compression"), std::string::npos) << m;
  m = Message([&] { config.ApplyToml("[writer]\nrow_group_rows = 0\n", "c.toml"); });
  EXPECT_NE(m.find("must be > 0"), std::string::npos) << m;
  m = Message([&] {
    config.ApplyToml("[tables.properties]\n\"delta.enableDeletionVectors\" = \"false\"\n",
                     "c.toml");
  });
  EXPECT_NE(m.find("tables.deletion_vectors"), std::string::npos) << m;
  m = Message([&] { config.ApplyEnvironment({{"CPGLAKE_BUILD_JOBS", "four"}}); });
  EXPECT_EQ(m, "env:CPGLAKE_BUILD_JOBS: expected an integer, got 'four'");
  m = Message([&] { config.ApplyEnvironment({{"CPGLAKE_SCAN_USE_GIT", "maybe"}}); });
  EXPECT_NE(m.find("env:CPGLAKE_SCAN_USE_GIT"), std::string::npos) << m;
  m = Message([&] { config.ApplyFlag("scan.max_files", std::string("x"), "--max-files"); });
  EXPECT_EQ(m, "flag:--max-files: expected an integer, got 'x'");
  // Nothing was half-applied.
  EXPECT_EQ(config.Get("build.jobs").source.ToString(), "default");
}

TEST(ConfigTest, EnvironmentParsing) {
  Config config;
  config.ApplyEnvironment({{"CPGLAKE_OUTPUT_DIR", "/data/graph"},
                           {"CPGLAKE_JOBS", "2"},
                           {"CPGLAKE_SCAN_EXCLUDE", " tests ,, build/** "},
                           {"CPGLAKE_SCAN_FOLLOW_SYMLINKS", "yes"},
                           {"CPGLAKE_WRITER_DICTIONARY", "off"},
                           {"CPGLAKE_TABLES_STATS_COLUMNS_CPG_NODES", "file_id,path"},
                           {"CPGLAKE_OUTPUT_DRI", "typo"}});
  EXPECT_EQ(config.GetString("output.dir"), "/data/graph");
  EXPECT_EQ(config.GetInt("build.jobs"), 2);
  EXPECT_EQ(config.Get("build.jobs").source.ToString(), "env:CPGLAKE_JOBS");
  EXPECT_EQ(config.GetList("scan.exclude"), (std::vector<std::string>{"tests", "build/**"}));
  EXPECT_TRUE(config.GetBool("scan.follow_symlinks"));
  EXPECT_FALSE(config.GetBool("writer.dictionary"));
  EXPECT_EQ(config.GetString("tables.stats_columns.cpg_nodes"), "file_id,path");
  ASSERT_EQ(config.warnings().size(), 1u);
  EXPECT_NE(config.warnings()[0].find("CPGLAKE_OUTPUT_DRI"), std::string::npos);
  // The canonical name wins over the short alias.
  config.ApplyEnvironment({{"CPGLAKE_JOBS", "2"}, {"CPGLAKE_BUILD_JOBS", "6"}});
  EXPECT_EQ(config.GetInt("build.jobs"), 6);
}

TEST(ConfigTest, TablesSettings) {
  Config config;
  config.ApplyToml(
      "[tables]\n"
      "deletion_vectors = false\nchange_data_feed = false\nrow_tracking = false\n"
      "in_commit_timestamps = false\n"
      "[tables.stats_columns]\ncpg_nodes = \"\"\n\"_cpglake/repo_files\" = [\"path\", \"sha256\"]\n"
      "[tables.properties]\n\"delta.logRetentionDuration\" = \"interval 7 days\"\n"
      "delta.appendOnly = false\n",
      "t.toml");
  BuildOptions o = config.ToBuildOptions("/repo");
  EXPECT_EQ(o.table_properties,
            (std::map<std::string, std::string>{
                {"delta.appendOnly", "false"}, {"delta.logRetentionDuration", "interval 7 days"}}));
  EXPECT_FALSE(o.stats_columns.count("cpg_nodes"));
  EXPECT_EQ(o.stats_columns.at("cpg_edges"), DefaultStatsColumns().at("cpg_edges"));
  EXPECT_EQ(o.stats_columns.at("_cpglake/repo_files"), "path,sha256");
  const std::string toml = config.ToToml(true);
  EXPECT_NE(
      toml.find("\"delta.logRetentionDuration\" = \"interval 7 days\"  # from file:t.toml:10"),
      std::string::npos)
      << toml;
}

TEST(ConfigTest, DefaultFileRoundTrips) {
  Config defaults;
  Config from_file;
  from_file.ApplyToml(DefaultConfigToml(), "cpglake.toml");
  const auto a = defaults.Entries();
  const auto b = from_file.Entries();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].key, b[i].key);
    EXPECT_EQ(a[i].value, b[i].value) << a[i].key;
    EXPECT_EQ(b[i].source.kind, ConfigSourceKind::kFile) << b[i].key;
  }
  // Every key is in the file with a comment above it.
  const std::string text = DefaultConfigToml();
  for (const auto& key : ConfigKeys()) {
    const std::string name = key.substr(key.find('.') + 1);
    const size_t at = text.find("\n" + name + " = ");
    ASSERT_NE(at, std::string::npos) << key;
    EXPECT_EQ(text[text.rfind('\n', at - 1) + 1], '#') << key;
  }
  // The effective TOML parses back to the same values.
  Config again;
  again.ApplyToml(from_file.ToToml(true), "again.toml");
  for (const auto& entry : from_file.Entries()) EXPECT_EQ(again.Get(entry.key).value, entry.value);
}

TEST(ConfigTest, BuildUsesWriterAndTableSettings) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  fs::create_directories(repo / "pkg");
  std::ofstream(repo / "pkg" / "__init__.py") << "def f():\n    return 1\n";
  std::ofstream(repo / "cpglake.toml")
      << "[output]\ndir = \"graph\"\n"
         "[writer]\ncompression = \"snappy\"\nrow_group_rows = 1000\n"
         "[tables]\ndeletion_vectors = false\nchange_data_feed = false\nrow_tracking = false\n"
         "in_commit_timestamps = false\n"
         "[tables.stats_columns]\ncpg_nodes = \"node_kind\"\n"
         "[tables.properties]\n\"delta.logRetentionDuration\" = \"interval 7 days\"\n";
  LoadConfigOptions load;
  load.repo = repo.string();
  Config config = LoadConfig(load);
  config.ApplyFlag("build.jobs", int64_t{2}, "--jobs");
  BuildOptions o = config.ToBuildOptions(repo.string());
  BuildResult r = BuildGraph(o);
  EXPECT_EQ(r.out, (repo / "graph").string());
  auto snap =
      delta::SnapshotBuilder(storage::OpenObjectStore((repo / "graph/cpg_nodes").string())).Build();
  // All four features off: a plain (1,2) table.
  EXPECT_EQ(snap->protocol().min_reader_version, 1);
  EXPECT_EQ(snap->protocol().min_writer_version, 2);
  const auto& conf = snap->metadata().configuration;
  EXPECT_EQ(conf.at(std::string(delta::kStatsColumnsKey)), "node_kind");
  EXPECT_EQ(conf.at("delta.logRetentionDuration"), "interval 7 days");
  EXPECT_FALSE(conf.count("delta.enableDeletionVectors"));
  ASSERT_FALSE(snap->files().empty());
  auto reader = parquet::ParquetFileReader::OpenPath(
      (repo / "graph/cpg_nodes" / snap->files()[0].path).string());
  const auto& chunk = reader->metadata().row_groups.at(0).columns.at(0);
  ASSERT_TRUE(chunk.meta_data);
  EXPECT_EQ(chunk.meta_data->codec, parquet::CompressionCodec::SNAPPY);
}

}  // namespace
}  // namespace cpglake::pipeline
