// pipeline/config.h — the configuration of a build: `cpglake.toml`, `CPGLAKE_*` environment
// variables and command-line flags, merged into one effective Config that converts to
// BuildOptions and the output storage policy. docs/configuration.md documents every setting.
//
// Precedence, lowest first: defaults < file < environment < flags. Each layer replaces the
// values it names (a list given by a later layer replaces the whole list). Every effective
// value remembers where it came from (ConfigSource: default, file:PATH:LINE, env:NAME,
// flag:--x), which `cpglake config show --with-sources` prints.
//
// The file: `cpglake.toml` in the repository root, or the file given with `--config FILE`.
// Unknown sections and keys and values of the wrong type are errors naming the file, the line
// and the key (a typo must not pass silently). Sections and keys:
//   [output]  dir, allow_parquet_exports
//   [scan]    include, exclude, max_files, max_file_bytes, follow_symlinks, use_git
//   [build]   jobs, repo_id
//   [writer]  compression, compression_level, row_group_rows, target_file_bytes, dictionary
//   [incremental] enabled, cache_evidence, max_work_percent, optimize_max_files,
//             optimize_deleted_percent
//   [scip]    index, run_indexer, node, indexer, timeout_seconds, max_memory_mb, environment,
//             project_name, project_version
//   [derived] enabled
//   [tables]  deletion_vectors, change_data_feed, row_tracking, in_commit_timestamps
//   [tables.stats_columns]  <table> = "col,col,..."   (cpg_nodes, cpg_edges, cpg_props, ...)
//   [tables.properties]     "<delta table property>" = "value"   (free-form)
// A relative `output.dir` in a file is relative to the file's directory.
//
// The environment: `CPGLAKE_<SECTION>_<KEY>` upper-cased (CPGLAKE_OUTPUT_DIR, CPGLAKE_BUILD_JOBS,
// CPGLAKE_SCAN_EXCLUDE, CPGLAKE_WRITER_COMPRESSION, ...); a few short aliases exist
// (CPGLAKE_JOBS = build.jobs, CPGLAKE_REPO_ID = build.repo_id). Lists are comma-separated,
// booleans true/false/1/0/yes/no/on/off. `[tables.stats_columns]` entries of the graph tables
// are CPGLAKE_TABLES_STATS_COLUMNS_CPG_NODES etc.; `[tables.properties]` is file-only. Other
// CPGLAKE_* variables are ignored with a warning.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "catalog/output_policy.h"
#include "pipeline/build.h"

namespace cpglake::pipeline {

enum class ConfigSourceKind { kDefault, kFile, kEnv, kFlag };

struct ConfigSource {
  ConfigSourceKind kind = ConfigSourceKind::kDefault;
  std::string name;  // the file path, the variable ("CPGLAKE_BUILD_JOBS"), the flag ("--jobs")
  int64_t line = 0;  // the file line (1-based)
  // "default", "file:PATH:LINE", "env:NAME", "flag:--x".
  std::string ToString() const;
  bool operator==(const ConfigSource&) const = default;
};

using ConfigValue = std::variant<bool, int64_t, std::string, std::vector<std::string>>;

struct ConfigEntry {
  // Dotted: "scan.exclude", "tables.stats_columns.cpg_nodes",
  // "tables.properties.delta.logRetentionDuration".
  std::string key;
  ConfigValue value;
  ConfigSource source;
};

// The keys of the fixed settings (not the map entries), in documentation order.
std::vector<std::string> ConfigKeys();

class Config {
 public:
  // Every setting at its default.
  Config();

  // Layers, to be applied lowest first (file, then environment, then flags).
  // A TOML file: NotFound when missing; InvalidInput "PATH:LINE: KEY: ..." for syntax errors,
  // unknown keys, wrong types and bad values.
  void ApplyFile(const std::string& path);
  void ApplyToml(std::string_view text, const std::string& path);
  // The CPGLAKE_* variables of `env` (other names are ignored). InvalidInput "env:NAME: ...".
  void ApplyEnvironment(const std::map<std::string, std::string>& env);
  // One flag: `key` a fixed setting's key, `value` of its type (a string is parsed like an
  // environment value). InvalidInput "flag:--x: ..." for unknown keys and bad values.
  void ApplyFlag(const std::string& key, const ConfigValue& value, const std::string& flag);

  // A fixed setting or a map entry; InvalidInput for an unknown key.
  const ConfigEntry& Get(const std::string& key) const;
  bool GetBool(const std::string& key) const;
  int64_t GetInt(const std::string& key) const;
  const std::string& GetString(const std::string& key) const;
  const std::vector<std::string>& GetList(const std::string& key) const;
  // Fixed settings in ConfigKeys() order, then the map entries by key.
  std::vector<ConfigEntry> Entries() const;
  // Files applied, in order, and warnings (ignored environment variables).
  const std::vector<std::string>& files() const { return files_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  // The build options for `repo` (out, repo_id, jobs, scan, writer, table properties, stats
  // columns, output policy).
  BuildOptions ToBuildOptions(const std::string& repo) const;
  catalog::OutputStoragePolicy OutputPolicy() const;

  // The effective configuration as a TOML file; with `with_sources` each value is followed by
  // a "# from SOURCE" comment.
  std::string ToToml(bool with_sources) const;
  // As JSON: {"output": {"dir": ...}, ...}; with sources also "sources": {"output.dir": ...}.
  std::string ToJson(bool with_sources) const;

 private:
  void Set(const std::string& key, ConfigValue value, ConfigSource source);
  std::map<std::string, ConfigEntry> entries_;
  std::vector<std::string> files_;
  std::vector<std::string> warnings_;
};

// A commented cpglake.toml with every key at its default (`cpglake config init`).
std::string DefaultConfigToml();

// <repo>/cpglake.toml when it exists.
std::optional<std::string> FindConfigFile(const std::string& repo);

// The CPGLAKE_* variables of this process's environment.
std::map<std::string, std::string> CpglakeEnvironment();

struct LoadConfigOptions {
  std::string repo;                        // looked in for cpglake.toml (when no config_file)
  std::optional<std::string> config_file;  // --config FILE (must exist)
  std::map<std::string, std::string> env;  // usually CpglakeEnvironment()
};
// Defaults < file < environment. The caller applies its flags on top (Config::ApplyFlag).
Config LoadConfig(const LoadConfigOptions& options);

}  // namespace cpglake::pipeline
