// The build manifest (_cpglake/builds), the diagnostics table (_cpglake/diagnostics) and the
// commit metadata of a build: rows per build, versions that match the tables, commit
// properties, config hash and schema fingerprints, failed builds, diagnostics of a fixture.
#include "pipeline/manifest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "columnar/schema_fingerprint.h"
#include "common/error.h"
#include "cpg/graph.h"
#include "delta/maintenance.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "expr/parser.h"
#include "pipeline/build.h"
#include "pipeline/diagnostics.h"
#include "storage/object_store.h"
#include "test_util.h"

namespace cpglake::pipeline {
namespace {

namespace fs = std::filesystem;
using cpglake::testing::TempDir;

const char* const kTables[] = {"cpg_nodes", "cpg_edges", "cpg_props", "_cpglake/repo_files",
                               "_cpglake/diagnostics"};

void Write(const fs::path& p, const std::string& text) {
  cpglake::testing::WriteFile(p, text);
}

// A repository with a syntax error, a binary .py file and an unresolved relative import.
void MakeRepo(const fs::path& root) {
  Write(root / "pkg/__init__.py", "from .core import Engine\n");
  Write(root / "pkg/core.py", "import os\n\nclass Engine:\n    pass\n");
  Write(root / "pkg/uses_missing.py", "import os\nfrom .missing import thing\n");
  Write(root / "broken.py", "x = 1\ndef oops(:\n    pass\n");
  Write(root / "data.bin.py", std::string("\0\1\2binary", 9));
}

BuildOptions Options(const fs::path& repo, const fs::path& out) {
  BuildOptions o;
  o.repo = repo.string();
  o.out = out.string();
  o.jobs = 2;
  return o;
}

nlohmann::json LatestCommitInfo(const std::string& table) {
  auto snap = delta::SnapshotBuilder(storage::OpenObjectStore(table)).Build();
  auto history =
      delta::ReadHistory(*snap->store(), snap->log_segment(), snap->version(), snap->version());
  EXPECT_EQ(history.size(), 1u);
  if (history.empty() || !history[0].commit_info) return nlohmann::json::object();
  return nlohmann::json::parse(history[0].commit_info->json);
}

int64_t LatestVersion(const std::string& table) {
  return delta::SnapshotBuilder(storage::OpenObjectStore(table)).Build()->version();
}

TEST(ManifestTest, TwoBuildsTwoSucceededRowsWithTheTablesVersions) {
  TempDir dir;
  MakeRepo(dir.path() / "repo");
  const fs::path out = dir.path() / "out";
  BuildOptions o = Options(dir.path() / "repo", out);
  o.full = true;  // two full builds (incremental builds: IncrementalBuildRecord)
  EXPECT_EQ(ReadBuilds(out.string()).size(), 0u);
  EXPECT_FALSE(LatestSuccessfulBuild(out.string()).has_value());
  const BuildResult first = BuildGraph(o);
  const BuildResult second = BuildGraph(o);
  EXPECT_NE(first.build_id, second.build_id);

  const auto builds = ReadBuilds(out.string());
  ASSERT_EQ(builds.size(), 2u);
  EXPECT_EQ(builds[0], first.record);  // what was written is what is read back
  EXPECT_EQ(builds[1], second.record);
  EXPECT_EQ(second.manifest_version, 1);
  for (size_t i = 0; i < 2; ++i) {
    const BuildRecord& b = builds[i];
    EXPECT_EQ(b.status, kBuildSucceeded);
    EXPECT_FALSE(b.error.has_value());
    EXPECT_EQ(b.mode, "full");
    EXPECT_EQ(b.repo_id, "repo");
    EXPECT_EQ(b.files_scanned, 4);  // the binary file is not listed
    EXPECT_EQ(b.files_changed, 4);
    EXPECT_EQ(b.files_deleted, 0);
    EXPECT_EQ(b.files_impacted, 0);
    EXPECT_GT(b.nodes, 0);
    EXPECT_GT(b.edges, 0);
    EXPECT_GT(b.props, 0);
    EXPECT_EQ(b.diagnostics, first.diagnostics);
    ASSERT_TRUE(b.finished_at_us.has_value());
    EXPECT_GE(*b.finished_at_us, b.started_at_us);
    EXPECT_EQ(b.schema_version, cpg::kGraphSchemaVersion);
    EXPECT_EQ(b.config_hash, ConfigHash(o));
    // The graph, repo_files, diagnostics and file_state (the derived tables are off by
    // default); the extraction cache when the build added to it (the second adds nothing).
    ASSERT_EQ(b.tables.size(), i == 0 ? 7u : 6u);
    EXPECT_EQ(b.full_reason, "--full");
    for (const auto* t : kTables) {
      EXPECT_EQ(b.TableVersions().at(t), static_cast<int64_t>(i)) << t;
    }
  }
  EXPECT_LT(builds[0].started_at_us, builds[1].started_at_us);
  // The second build's versions are the tables' current versions.
  for (const auto* t : kTables) {
    EXPECT_EQ(second.table_versions.at(t), LatestVersion((out / t).string())) << t;
  }
  // Per table: protocol, properties, metrics, stats columns, ordering keys, commitInfo.
  for (const auto& t : builds[1].tables) {
    EXPECT_EQ(t.path, (out / t.name).string());
    EXPECT_EQ(t.ordering_keys, OrderingKeys(t.name)) << t.name;
    EXPECT_FALSE(t.ordering_keys.empty()) << t.name;
    EXPECT_EQ(t.schema_fingerprint.size(), 32u);
    EXPECT_FALSE(t.stats_columns.empty()) << t.name;
    EXPECT_GE(t.files_added, 0);
    EXPECT_EQ(nlohmann::json::parse(t.commit_info).value("cpglake.build_id", ""), second.build_id);
    if (t.name.rfind("cpg_", 0) == 0) {
      EXPECT_EQ(t.min_reader_version, 3) << t.name;
      EXPECT_EQ(t.min_writer_version, 7) << t.name;
      EXPECT_TRUE(std::count(t.writer_features.begin(), t.writer_features.end(), "deletionVectors"))
          << t.name;
      EXPECT_EQ(t.properties.at("delta.enableChangeDataFeed"), "true");
      EXPECT_GT(t.rows_added, 0) << t.name;
      EXPECT_GT(t.rows_removed, 0) << t.name;  // the overwrite removed the first build's rows
    }
  }
  const TableRecord* nodes = nullptr;
  for (const auto& t : builds[1].tables) {
    if (t.name == "cpg_nodes") nodes = &t;
  }
  ASSERT_NE(nodes, nullptr);
  EXPECT_EQ(nodes->stats_columns,
            (std::vector<std::string>{"file_id", "path", "node_kind", "bstart", "bend"}));

  // Commit properties in each table's latest commitInfo.
  for (const auto* t : kTables) {
    const auto ci = LatestCommitInfo((out / t).string());
    EXPECT_EQ(ci.value("cpglake.build_id", ""), second.build_id) << t;
    EXPECT_EQ(ci.value("cpglake.repo_id", ""), "repo") << t;
    EXPECT_EQ(ci.value("cpglake.config_hash", ""), ConfigHash(o)) << t;
    EXPECT_EQ(ci.value("cpglake.ordering_keys", ""), OrderingKeys(t)) << t;
    EXPECT_EQ(ci.value("cpglake.schema_version", ""), std::to_string(cpg::kGraphSchemaVersion));
    EXPECT_FALSE(ci.value("cpglake.tool_version", "").empty()) << t;
    // The fingerprint in the commit (of the data written) is that of the table's schema.
    const auto snap = delta::SnapshotBuilder(storage::OpenObjectStore((out / t).string())).Build();
    EXPECT_EQ(ci.value("cpglake.schema_fingerprint", ""),
              columnar::SchemaFingerprint(snap->schema()))
        << t;
  }
  // The manifest's own commit.
  const auto manifest_ci = LatestCommitInfo((out / "_cpglake/builds").string());
  EXPECT_EQ(manifest_ci.value("cpglake.build_id", ""), second.build_id);
  EXPECT_EQ(manifest_ci.value("operation", ""), "WRITE");
  auto manifest =
      delta::SnapshotBuilder(storage::OpenObjectStore((out / "_cpglake/builds").string())).Build();
  EXPECT_TRUE(manifest->config().in_commit_timestamps_enabled());
  EXPECT_FALSE(manifest->config().change_data_feed_enabled());

  // Schema fingerprints are stable across builds.
  EXPECT_EQ(builds[0].schema_fingerprint, builds[1].schema_fingerprint);
  for (const auto& t0 : builds[0].tables) {
    for (const auto& t1 : builds[1].tables) {
      if (t0.name == t1.name) {
        EXPECT_EQ(t0.schema_fingerprint, t1.schema_fingerprint) << t0.name;
      }
    }
  }
  EXPECT_EQ(LatestSuccessfulBuild(out.string())->build_id, second.build_id);
}

TEST(ManifestTest, FindBuildByIdOrUniquePrefix) {
  TempDir dir;
  const std::string out = (dir.path() / "out").string();
  EXPECT_THROW(FindBuild(out, "abcd"), NotFound);
  BuildRecord r;
  r.repo_id = "r";
  r.status = kBuildSucceeded;
  for (const char* id : {"aaaa1111-0000", "aaaa2222-0000", "bbbb3333-0000"}) {
    r.build_id = id;
    r.started_at_us += 10;
    AppendBuildRecord(out, r);
  }
  EXPECT_EQ(FindBuild(out, "bbbb3333-0000").build_id, "bbbb3333-0000");
  EXPECT_EQ(FindBuild(out, "bb").build_id, "bbbb3333-0000");
  EXPECT_EQ(FindBuild(out, "aaaa2").build_id, "aaaa2222-0000");
  EXPECT_THROW(FindBuild(out, "aaaa"), InvalidInput);
  EXPECT_THROW(FindBuild(out, ""), InvalidInput);
  try {
    FindBuild(out, "aaaa3");
    FAIL() << "no error";
  } catch (const NotFound& e) {
    // The nearest ids: those sharing the longest prefix.
    EXPECT_NE(std::string(e.what()).find("aaaa2222-0000"), std::string::npos) << e.what();
  }
  const auto builds = ReadBuilds(out);
  ASSERT_EQ(builds.size(), 3u);
  EXPECT_EQ(builds[2].build_id, "bbbb3333-0000");
  EXPECT_TRUE(builds[0].tables.empty());
  EXPECT_FALSE(builds[0].finished_at_us.has_value());
}

// The head (what every build reads first) names the latest successful build by start time,
// whatever the order of the rows and however the table's files are laid out.
TEST(ManifestTest, HeadIsTheLatestSuccessfulBuildByStartTime) {
  TempDir dir;
  const std::string out = (dir.path() / "out").string();
  EXPECT_EQ(ReadManifestHead(out).builds, 0);
  EXPECT_FALSE(ReadManifestHead(out).latest_successful.has_value());
  BuildRecord r;
  r.repo_id = "r";
  r.mode = "full";
  // Appended out of start order; the latest start failed.
  for (const auto& [id, started, status] :
       std::vector<std::tuple<const char*, int64_t, const char*>>{
           {"b-early", 100, kBuildSucceeded},
           {"b-latest-ok", 300, kBuildSucceeded},
           {"b-middle", 200, kBuildSucceeded},
           {"b-failed", 400, kBuildFailed}}) {
    r.build_id = id;
    r.started_at_us = started;
    r.status = status;
    r.files_scanned = started;
    TableRecord t;
    t.name = "cpg_nodes";
    t.version = started / 100;
    r.tables = {t};
    AppendBuildRecord(out, r);
  }
  for (bool compacted : {false, true}) {
    SCOPED_TRACE(compacted ? "compacted" : "a file per build");
    if (compacted) {
      delta::Optimize(storage::OpenObjectStore((dir.path() / "out/_cpglake/builds").string()));
    }
    const ManifestHead head = ReadManifestHead(out);
    EXPECT_EQ(head.builds, 4);
    ASSERT_TRUE(head.latest_successful.has_value());
    EXPECT_EQ(head.latest_successful->build_id, "b-latest-ok");
    EXPECT_EQ(head.latest_successful->files_scanned, 300);
    EXPECT_EQ(head.latest_successful->TableVersions().at("cpg_nodes"), 3);
    // The same record as the full read gives.
    const auto all = ReadBuilds(out);
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(BuildRecordJson(all[2]), BuildRecordJson(*head.latest_successful));
  }
}

TEST(ManifestTest, FailedBuildIsRecordedAndNeverTheLatestSuccessful) {
  TempDir dir;
  MakeRepo(dir.path() / "repo");
  const fs::path out = dir.path() / "out";
  const BuildOptions o = Options(dir.path() / "repo", out);
  const BuildResult good = BuildGraph(o);
  // A file where the cpg_edges table's directory should be: that table's write fails.
  fs::remove_all(out / "cpg_edges");
  Write(out / "cpg_edges", "not a directory");
  EXPECT_ANY_THROW(BuildGraph(o));
  const auto builds = ReadBuilds(out.string());
  ASSERT_EQ(builds.size(), 2u);
  EXPECT_EQ(builds[0].build_id, good.build_id);
  const BuildRecord& failed = builds[1];
  EXPECT_EQ(failed.status, kBuildFailed);
  ASSERT_TRUE(failed.error.has_value());
  EXPECT_FALSE(failed.error->empty());
  EXPECT_TRUE(failed.finished_at_us.has_value());
  EXPECT_EQ(failed.files_scanned, 4);
  // The tables it did write are named; the one that failed is not.
  EXPECT_EQ(failed.TableVersions().count("cpg_edges"), 0u);
  for (const auto& t : failed.tables) EXPECT_EQ(t.version, 1) << t.name;
  const auto latest = LatestSuccessfulBuild(out.string());
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->build_id, good.build_id);
}

TEST(ManifestTest, WhenTheManifestCannotBeWrittenTheBuildsOwnErrorIsThrown) {
  TempDir dir;
  MakeRepo(dir.path() / "repo");
  const fs::path out = dir.path() / "out";
  // A file where _cpglake/ should be: repo_files, diagnostics and the manifest all fail.
  Write(out / "_cpglake", "not a directory");
  try {
    BuildGraph(Options(dir.path() / "repo", out));
    FAIL() << "no error";
  } catch (const IoError& e) {
    // The first failing table's error (in write order), not the manifest's.
    EXPECT_NE(std::string(e.what()).find("repo_files"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_regular_file(out / "_cpglake"));
}

TEST(ManifestTest, IncrementalBuildsRecordModeCountsAndWhyAFullBuild) {
  TempDir dir;
  const fs::path repo = dir.path() / "repo";
  MakeRepo(repo);
  const fs::path out = dir.path() / "out";
  BuildOptions o = Options(repo, out);
  o.incremental.max_work_fraction = 1.0;  // a tiny repository: most of it changes below
  const BuildResult first = BuildGraph(o);
  EXPECT_EQ(first.record.mode, "full");
  EXPECT_EQ(first.record.full_reason, "first build");
  // Nothing changed: incremental, no graph commit, the tables' versions recorded as they are.
  const BuildResult same = BuildGraph(o);
  EXPECT_EQ(same.record.mode, "incremental");
  EXPECT_EQ(same.record.strategy, "dependencies+resolution-hash");
  EXPECT_FALSE(same.record.full_reason.has_value());
  EXPECT_EQ(same.record.files_changed, 0);
  EXPECT_EQ(same.record.files_impacted, 0);
  EXPECT_EQ(same.table_versions.at("cpg_nodes"), first.table_versions.at("cpg_nodes"));
  EXPECT_EQ(same.record.nodes, first.record.nodes);
  // pkg/core.py renames Engine: pkg/__init__.py (which imports it) is impacted; broken.py is
  // renamed (same content, new path); uses_missing.py is deleted.
  Write(repo / "pkg/core.py", "import os\n\nclass Motor:\n    pass\n");
  fs::rename(repo / "broken.py", repo / "broken2.py");
  fs::remove(repo / "pkg/uses_missing.py");
  const BuildResult edit = BuildGraph(o);
  EXPECT_EQ(edit.record.mode, "incremental") << edit.record.full_reason.value_or("");
  EXPECT_EQ(edit.record.files_changed, 2);  // core.py, broken2.py
  EXPECT_EQ(edit.record.files_added, 1);
  EXPECT_EQ(edit.record.files_renamed, 1);
  EXPECT_EQ(edit.record.files_deleted, 2);  // broken.py, uses_missing.py
  EXPECT_EQ(edit.record.files_impacted, 1);
  // One REPLACE ROWS commit, then an OPTIMIZE when the deleted rows passed the threshold
  // (most of this tiny table was replaced).
  const bool optimized = std::count(edit.optimized.begin(), edit.optimized.end(), "cpg_nodes");
  EXPECT_EQ(edit.table_versions.at("cpg_nodes"),
            first.table_versions.at("cpg_nodes") + 1 + (optimized ? 1 : 0));
  // The counts follow the rows: equal to a full build of the same tree.
  const BuildResult full = BuildGraph(Options(repo, dir.path() / "full"));
  EXPECT_EQ(edit.record.nodes, full.record.nodes);
  EXPECT_EQ(edit.record.edges, full.record.edges);
  EXPECT_EQ(edit.record.props, full.record.props);
  EXPECT_EQ(edit.diagnostics, full.diagnostics);
  // Builds that cannot be incremental say why.
  o.incremental.max_work_fraction = 0.5;
  Write(repo / "pkg/core.py", "import os\n\nclass Engine:\n    pass\n");
  Write(repo / "broken2.py", "x = 2\n");
  EXPECT_EQ(BuildGraph(o).record.full_reason, "work set too large");
  o.writer.row_group_rows = 1000;
  EXPECT_EQ(BuildGraph(o).record.full_reason, "config changed");
  o.full = true;
  EXPECT_EQ(BuildGraph(o).record.full_reason, "--full");
  o.full = false;
  o.incremental.enabled = false;
  EXPECT_EQ(BuildGraph(o).record.full_reason, "incremental builds are disabled");
  // A manifest row written by this build reads back with the incremental fields.
  const auto builds = ReadBuilds(out.string());
  ASSERT_EQ(builds.size(), 7u);
  EXPECT_EQ(builds[2], edit.record);
}

TEST(ManifestTest, DamagedIncrementalStateMeansParsingOrAFullBuildNeverAFailure) {
  TempDir dir;
  const fs::path repo = dir.path() / "repo";
  MakeRepo(repo);
  const fs::path out = dir.path() / "out";
  BuildOptions o = Options(repo, out);
  o.incremental.max_work_fraction = 1.0;
  const BuildResult first = BuildGraph(o);
  // Every data file of the extraction cache overwritten with garbage: the next build parses
  // what it needs and gives the same counts as a full build.
  for (const auto& e : fs::directory_iterator(out / "_cpglake/extract_cache")) {
    if (e.path().extension() == ".parquet") Write(e.path(), "garbage");
  }
  Write(repo / "pkg/core.py", "import os\n\nclass Engine:\n    x = 1\n");
  const BuildResult second = BuildGraph(o);
  EXPECT_EQ(second.record.mode, "incremental");
  EXPECT_EQ(second.record.files_cached, 0);
  const BuildResult full = BuildGraph(Options(repo, dir.path() / "full"));
  EXPECT_EQ(second.record.nodes, full.record.nodes);
  EXPECT_EQ(second.record.edges, full.record.edges);
  EXPECT_EQ(second.record.props, full.record.props);
  // The file state's data file damaged: a full build, and it says why.
  for (const auto& e : fs::directory_iterator(out / "_cpglake/file_state")) {
    if (e.path().extension() == ".parquet") Write(e.path(), "garbage");
  }
  const BuildResult third = BuildGraph(o);
  EXPECT_EQ(third.record.mode, "full");
  ASSERT_TRUE(third.record.full_reason.has_value());
  EXPECT_NE(third.record.full_reason->find("incremental state unreadable"), std::string::npos)
      << *third.record.full_reason;
  EXPECT_EQ(third.record.nodes, full.record.nodes);
  (void)first;
}

TEST(ManifestTest, ConfigHashFollowsOutputAffectingOptionsOnly) {
  TempDir dir;
  BuildOptions a;
  a.repo = (dir.path() / "repo").string();
  const std::string base = ConfigHash(a);
  EXPECT_EQ(base.size(), 32u);
  EXPECT_EQ(ConfigHash(a), base);  // stable
  BuildOptions b = a;
  b.jobs = 7;
  b.out = (dir.path() / "elsewhere").string();
  b.progress = [](const std::string&, int64_t, int64_t) {};
  EXPECT_EQ(ConfigHash(b), base);
  BuildOptions moved = a;  // same repo id, other location
  moved.repo = (dir.path() / "other/repo").string();
  EXPECT_EQ(ConfigHash(moved), base);
  BuildOptions inc = a;
  inc.scan.include = {"src/**"};
  EXPECT_NE(ConfigHash(inc), base);
  BuildOptions inc2 = a;
  inc2.scan.include = {"lib/**"};
  EXPECT_NE(ConfigHash(inc2), ConfigHash(inc));
  BuildOptions id = a;
  id.repo_id = "other";
  EXPECT_NE(ConfigHash(id), base);
  BuildOptions props = a;
  props.table_properties["delta.enableChangeDataFeed"] = "false";
  EXPECT_NE(ConfigHash(props), base);
  BuildOptions limit = a;
  limit.scan.max_file_bytes = 1;
  EXPECT_NE(ConfigHash(limit), base);
  BuildOptions git = a;
  git.scan.use_git = false;
  EXPECT_NE(ConfigHash(git), base);
}

TEST(ManifestTest, DiagnosticsTableHoldsTheBuildsDiagnostics) {
  TempDir dir;
  MakeRepo(dir.path() / "repo");
  const fs::path out = dir.path() / "out";
  const BuildResult r = BuildGraph(Options(dir.path() / "repo", out));
  const auto rows = ReadDiagnostics(out.string());
  ASSERT_EQ(static_cast<int64_t>(rows.size()), r.diagnostics);
  EXPECT_EQ(CountByCode(rows), r.diagnostics_by_code);
  // One row per DIAG node, each naming its node.
  auto snap =
      delta::SnapshotBuilder(storage::OpenObjectStore((out / "cpg_nodes").string())).Build();
  auto diag_nodes = delta::ScanBuilder(snap)
                        .WithPredicate(expr::ParsePredicate("node_kind = 'DIAG'"))
                        .Build()
                        .ReadAll();
  std::set<std::string> node_ids;
  for (int64_t i = 0; i < diag_nodes.num_rows(); ++i) {
    node_ids.insert(std::string(diag_nodes.column(0).GetString(i)));
  }
  EXPECT_EQ(static_cast<int64_t>(node_ids.size()), r.diagnostics);
  EXPECT_EQ(r.nodes_by_kind.at("DIAG"), r.diagnostics);
  for (const auto& d : rows) {
    EXPECT_EQ(d.build_id, r.build_id);
    ASSERT_TRUE(d.node_id.has_value());
    EXPECT_TRUE(node_ids.count(*d.node_id)) << d.code << " " << d.message;
  }
  auto find = [&](const std::string& code) -> const DiagnosticRecord* {
    for (const auto& d : rows) {
      if (d.code == code) return &d;
    }
    return nullptr;
  };
  const auto* syntax = find("SYNTAX_ERROR");
  ASSERT_NE(syntax, nullptr);
  EXPECT_EQ(syntax->path, "broken.py");
  EXPECT_EQ(syntax->severity, "error");
  EXPECT_EQ(syntax->source, "front_end");
  EXPECT_TRUE(syntax->file_id.has_value());
  EXPECT_EQ(syntax->line, 2);  // "def oops(:" on line 2
  EXPECT_TRUE(syntax->col.has_value());
  const auto* binary = find("BINARY");
  ASSERT_NE(binary, nullptr);
  EXPECT_EQ(binary->path, "data.bin.py");
  EXPECT_EQ(binary->source, "scan");
  EXPECT_FALSE(binary->file_id.has_value());  // not a listed file: no PY_FILE
  EXPECT_FALSE(binary->line.has_value());
  const auto* unresolved = find("UNRESOLVED_IMPORT");
  ASSERT_NE(unresolved, nullptr);
  EXPECT_EQ(unresolved->path, "pkg/uses_missing.py");
  EXPECT_EQ(unresolved->source, "resolver");
  EXPECT_EQ(unresolved->line, 2);
  EXPECT_EQ(unresolved->col, 21);  // "thing" in "from .missing import thing"
  // Rows are in table order (path, line, ...): binary (data.bin.py) after broken.py.
  std::vector<DiagnosticRecord> sorted = rows;
  SortDiagnostics(&sorted);
  EXPECT_EQ(sorted, rows);

  // A later diagnostic of the same build (a refused sink) is appended; the next build
  // replaces them all.
  DiagnosticRecord refused;
  refused.severity = "error";
  refused.code = "REFUSED_SINK";
  refused.message = "Parquet export to /tmp/x refused by the output policy";
  refused.source = diag_source::kPolicy;
  AppendDiagnostics(out.string(), r.build_id, {refused});
  const auto after = ReadDiagnostics(out.string(), r.build_id);
  ASSERT_EQ(after.size(), rows.size() + 1);
  EXPECT_EQ(after.front().code, "REFUSED_SINK");  // no path: first
  EXPECT_EQ(after.front().build_id, r.build_id);
  const BuildResult r2 = BuildGraph(Options(dir.path() / "repo", out));
  EXPECT_EQ(ReadDiagnostics(out.string()).size(), rows.size());
  EXPECT_TRUE(ReadDiagnostics(out.string(), r.build_id).empty());
  EXPECT_EQ(ReadDiagnostics(out.string(), r2.build_id).size(), rows.size());
}

TEST(SchemaFingerprintTest, NamesTypesAndNullability) {
  using columnar::DataType;
  using columnar::Field;
  using columnar::Schema;
  const Schema a(std::vector<Field>{Field("id", DataType::String(), false),
                                    Field("n", DataType::Int64(), true)});
  EXPECT_EQ(columnar::SchemaCanonicalString(a), "id:string,n:long?");
  EXPECT_EQ(columnar::SchemaFingerprint(a), columnar::SchemaFingerprint(a));
  EXPECT_EQ(columnar::SchemaFingerprint(a).size(), 32u);
  const Schema nullable(std::vector<Field>{Field("id", DataType::String(), true),
                                           Field("n", DataType::Int64(), true)});
  const Schema renamed(std::vector<Field>{Field("id2", DataType::String(), false),
                                          Field("n", DataType::Int64(), true)});
  const Schema retyped(std::vector<Field>{Field("id", DataType::String(), false),
                                          Field("n", DataType::Int32(), true)});
  for (const Schema* other : {&nullable, &renamed, &retyped}) {
    EXPECT_NE(columnar::SchemaFingerprint(*other), columnar::SchemaFingerprint(a));
  }
  const Schema nested(std::vector<Field>{
      Field("l", DataType::List(DataType::String(), false)),
      Field("m", DataType::Map(DataType::String(), DataType::Int32(), true), false),
      Field("s", DataType::Struct({Field("x", DataType::Decimal(10, 2), false)}))});
  EXPECT_EQ(columnar::SchemaCanonicalString(nested),
            "l:array<string>?,m:map<string,integer?>,s:struct<x:decimal(10,2)>?");
}

}  // namespace
}  // namespace cpglake::pipeline
