#include "pipeline/config.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "parquet/compression.h"

extern char** environ;

namespace cpglake::pipeline {

namespace {

namespace fs = std::filesystem;

enum class Kind { kBool, kInt, kString, kList };

// One fixed setting: its key, type, default and the one-line comment `config init` writes.
struct Spec {
  const char* key;
  Kind kind;
  ConfigValue default_value;
  const char* comment;
};

const std::vector<Spec>& Specs() {
  using L = std::vector<std::string>;
  const BuildOptions defaults;
  const WriterSettings writer;
  static const std::vector<Spec> kSpecs = {
      {"output.dir", Kind::kString, std::string(),
       "Output directory of the tables; empty: <repo>/.cpglake (relative: to this file)"},
      {"output.allow_parquet_exports", Kind::kBool, false,
       "Let sinks write plain Parquet (exports, SQL COPY TO); Delta is always allowed"},
      {"scan.include", Kind::kList, L{}, "Only paths matching one of these globs; empty: all"},
      {"scan.exclude", Kind::kList, L{},
       "Skip paths matching any of these globs (wins over include)"},
      {"scan.max_files", Kind::kInt, defaults.scan.max_files,
       "Stop after this many files; -1: no limit"},
      {"scan.max_file_bytes", Kind::kInt, defaults.scan.max_file_bytes,
       "Skip (and report) files larger than this many bytes"},
      {"scan.follow_symlinks", Kind::kBool, defaults.scan.follow_symlinks,
       "Follow symbolic links that stay inside the repository"},
      {"scan.use_git", Kind::kBool, defaults.scan.use_git,
       "List files from the git index (plus untracked, not ignored); false: walk the tree"},
      {"build.jobs", Kind::kInt, int64_t{defaults.jobs}, "Worker threads; 0: one per core"},
      {"build.repo_id", Kind::kString, std::string(),
       "Repository name used in ids; empty: the repository directory's name"},
      {"writer.compression", Kind::kString,
       [&] {
         std::string name(parquet::CodecName(writer.codec));
         std::transform(name.begin(), name.end(), name.begin(),
                        [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
         return name;
       }(),
       "Parquet codec: zstd, snappy, gzip, lz4, lz4_raw, brotli or none"},
      {"writer.compression_level", Kind::kInt, int64_t{writer.compression_level},
       "Codec level; 0: cpglake's default (zstd 1, the codec's own default otherwise)"},
      {"writer.row_group_rows", Kind::kInt, writer.row_group_rows, "Rows per Parquet row group"},
      {"writer.target_file_bytes", Kind::kInt, writer.target_file_bytes,
       "Target size of a data file in bytes"},
      {"writer.dictionary", Kind::kBool, writer.dictionary,
       "Dictionary-encode columns while their dictionary stays small"},
      {"incremental.enabled", Kind::kBool, defaults.incremental.enabled,
       "Build incrementally when the output allows it; false: always a full build"},
      {"incremental.cache_evidence", Kind::kBool, defaults.incremental.cache_evidence,
       "Keep parsed files' evidence in _cpglake/extract_cache (not only their summaries)"},
      {"incremental.max_work_percent", Kind::kInt,
       static_cast<int64_t>(defaults.incremental.max_work_fraction * 100 + 0.5),
       "A work set above this percentage of the files makes a full build instead"},
      {"incremental.optimize_max_files", Kind::kInt, defaults.incremental.optimize_max_files,
       "OPTIMIZE a graph table after a build when it has more data files; 0: never"},
      {"incremental.optimize_deleted_percent", Kind::kInt,
       static_cast<int64_t>(defaults.incremental.optimize_deleted_fraction * 100 + 0.5),
       "... or when more than this percentage of its rows are deleted; 0: never"},
      {"scip.index", Kind::kString, std::string(),
       "SCIP index to ingest (docs/scip.md); relative: to this file; wins over run_indexer"},
      {"scip.run_indexer", Kind::kBool, false,
       "Run scip-python on the repository and ingest its index (as --scip-python)"},
      {"scip.node", Kind::kString, defaults.scip.node, "The node executable that runs scip-python"},
      {"scip.indexer", Kind::kString, std::string(),
       "scip-python's index.js; empty: node_modules/@sourcegraph/scip-python found upwards"},
      {"scip.timeout_seconds", Kind::kInt, defaults.scip.timeout_seconds,
       "Kill scip-python after this many seconds"},
      {"scip.max_memory_mb", Kind::kInt, defaults.scip.max_memory_mb,
       "node --max-old-space-size for scip-python, in MiB"},
      {"scip.environment", Kind::kString, std::string(),
       "scip-python --environment JSON file of installed packages; empty: none (no pip run)"},
      {"scip.project_name", Kind::kString, std::string(),
       "Project name in scip-python's symbols; empty: the repository id"},
      {"scip.project_version", Kind::kString, defaults.scip.project_version,
       "Project version in scip-python's symbols (fixed, so symbols survive commits)"},
      {"derived.enabled", Kind::kBool, defaults.derived,
       "Write the derived tables cpg_edges_by_src, cpg_edges_by_dst and cpg_props_map"},
      {"tables.deletion_vectors", Kind::kBool, true,
       "delta.enableDeletionVectors on new tables (per-file replacement without rewrites)"},
      {"tables.change_data_feed", Kind::kBool, true, "delta.enableChangeDataFeed on new tables"},
      {"tables.row_tracking", Kind::kBool, true, "delta.enableRowTracking on new tables"},
      {"tables.in_commit_timestamps", Kind::kBool, true,
       "delta.enableInCommitTimestamps on new tables (all four false: plain (1,2) tables)"},
  };
  return kSpecs;
}

const Spec* FindSpec(std::string_view key) {
  for (const auto& spec : Specs()) {
    if (key == spec.key) return &spec;
  }
  return nullptr;
}

constexpr std::string_view kStatsPrefix = "tables.stats_columns.";
constexpr std::string_view kPropsPrefix = "tables.properties.";

// The Delta properties the [tables] booleans control (free-form properties may not set them).
const std::map<std::string, std::string>& ManagedProperties() {
  static const std::map<std::string, std::string> kManaged = {
      {"tables.deletion_vectors", "delta.enableDeletionVectors"},
      {"tables.change_data_feed", "delta.enableChangeDataFeed"},
      {"tables.row_tracking", "delta.enableRowTracking"},
      {"tables.in_commit_timestamps", "delta.enableInCommitTimestamps"},
  };
  return kManaged;
}

// The tables a [tables.stats_columns] entry may name: the datasets a build writes.
bool IsStatsTable(std::string_view name) {
  for (const char* t :
       {catalog::kNodesDataset, catalog::kEdgesDataset, catalog::kPropsDataset,
        catalog::kEdgesBySrcDataset, catalog::kEdgesByDstDataset, catalog::kPropsMapDataset,
        catalog::kRepoFilesDataset, catalog::kBuildsDataset, catalog::kDiagnosticsDataset}) {
    if (name == t) return true;
  }
  return false;
}

std::string KindName(Kind kind) {
  switch (kind) {
    case Kind::kBool:
      return "a boolean";
    case Kind::kInt:
      return "an integer";
    case Kind::kString:
      return "a string";
    case Kind::kList:
      return "an array of strings";
  }
  return "?";
}

std::string TomlTypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date/time";
  }
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// " (did you mean 'scan.exclude'?)" for a near miss among the known keys and sections.
std::string Suggestion(const std::string& key) {
  std::vector<std::string> candidates = ConfigKeys();
  for (const char* s : {"output", "scan", "build", "writer", "incremental", "scip", "derived",
                        "tables", "tables.stats_columns", "tables.properties"}) {
    candidates.push_back(s);
  }
  std::string best;
  size_t best_distance = 3;
  for (const auto& c : candidates) {
    size_t d = EditDistance(key, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best.empty() ? std::string() : " (did you mean '" + best + "'?)";
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A value given as text (environment, string flags) as the setting's type.
ConfigValue ParseText(Kind kind, const std::string& text, const std::string& where) {
  switch (kind) {
    case Kind::kBool: {
      const std::string t = Lower(Trim(text));
      if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
      if (t == "false" || t == "0" || t == "no" || t == "off") return false;
      throw InvalidInput(where + ": expected a boolean (true/false/1/0/yes/no/on/off), got '" +
                         text + "'");
    }
    case Kind::kInt: {
      const std::string t = Trim(text);
      try {
        size_t used = 0;
        long long v = std::stoll(t, &used, 10);
        if (used == t.size()) return static_cast<int64_t>(v);
      } catch (const std::exception&) {
      }
      throw InvalidInput(where + ": expected an integer, got '" + text + "'");
    }
    case Kind::kString:
      return text;
    case Kind::kList: {
      std::vector<std::string> items;
      std::stringstream in(text);
      std::string item;
      while (std::getline(in, item, ',')) {
        item = Trim(item);
        if (!item.empty()) items.push_back(item);
      }
      return items;
    }
  }
  throw InternalError("unknown setting kind");
}

// Checks a value's range and meaning; `where` prefixes the message.
void Validate(const std::string& key, const ConfigValue& value, const std::string& where) {
  auto fail = [&](const std::string& why) { throw InvalidInput(where + ": " + key + ": " + why); };
  if (key == "scan.max_file_bytes" || key == "writer.row_group_rows" ||
      key == "writer.target_file_bytes") {
    if (std::get<int64_t>(value) <= 0) fail("must be > 0");
  } else if (key == "build.jobs") {
    if (std::get<int64_t>(value) < 0 || std::get<int64_t>(value) > 4096) {
      fail("must be between 0 (one per core) and 4096");
    }
  } else if (key == "incremental.max_work_percent" ||
             key == "incremental.optimize_deleted_percent") {
    if (std::get<int64_t>(value) < 0 || std::get<int64_t>(value) > 100) {
      fail("must be a percentage between 0 and 100");
    }
  } else if (key == "scip.timeout_seconds" || key == "scip.max_memory_mb") {
    if (std::get<int64_t>(value) <= 0) fail("must be > 0");
  } else if (key == "scip.node" || key == "scip.project_version") {
    if (std::get<std::string>(value).empty()) fail("must not be empty");
  } else if (key == "incremental.optimize_max_files") {
    if (std::get<int64_t>(value) < 0) fail("must be >= 0 (0: never)");
  } else if (key == "scan.max_files") {
    if (std::get<int64_t>(value) < -1) fail("must be >= 0, or -1 for no limit");
  } else if (key == "writer.compression") {
    try {
      parquet::ParseCodec(std::get<std::string>(value));
    } catch (const Error& e) {
      fail(e.what());
    }
  } else if (key == "writer.compression_level") {
    const int64_t level = std::get<int64_t>(value);
    if (level < -1000 || level > 1000) fail("out of range");
  } else if (key == "scan.include" || key == "scan.exclude") {
    for (const auto& pattern : std::get<std::vector<std::string>>(value)) {
      if (pattern.empty()) fail("empty glob pattern");
    }
  } else if (key.rfind(kPropsPrefix, 0) == 0) {
    const std::string property = key.substr(kPropsPrefix.size());
    for (const auto& [setting, managed] : ManagedProperties()) {
      if (property == managed) fail("set it with " + setting + " instead");
    }
  }
}

std::string TomlString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string TomlKey(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  return bare ? std::string(key) : TomlString(key);
}

std::string TomlValue(const ConfigValue& value) {
  if (const bool* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const int64_t* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (const std::string* s = std::get_if<std::string>(&value)) return TomlString(*s);
  std::string out = "[";
  const auto& list = std::get<std::vector<std::string>>(value);
  for (size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + TomlString(list[i]);
  return out + "]";
}

nlohmann::ordered_json JsonValue(const ConfigValue& value) {
  if (const bool* b = std::get_if<bool>(&value)) return *b;
  if (const int64_t* i = std::get_if<int64_t>(&value)) return *i;
  if (const std::string* s = std::get_if<std::string>(&value)) return *s;
  return std::get<std::vector<std::string>>(value);
}

std::string EnvName(std::string_view key) {
  std::string name = "CPGLAKE_";
  for (char c : key) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

// The section a key belongs to in the TOML output ("tables.stats_columns" for its entries).
std::string SectionOf(const std::string& key) {
  if (key.rfind(kStatsPrefix, 0) == 0) return std::string(kStatsPrefix.substr(0, 20));
  if (key.rfind(kPropsPrefix, 0) == 0) return std::string(kPropsPrefix.substr(0, 17));
  return key.substr(0, key.find('.'));
}
std::string NameIn(const std::string& key, const std::string& section) {
  return key.substr(section.size() + 1);
}

}  // namespace

std::string ConfigSource::ToString() const {
  switch (kind) {
    case ConfigSourceKind::kDefault:
      return "default";
    case ConfigSourceKind::kFile:
      return "file:" + name + ":" + std::to_string(line);
    case ConfigSourceKind::kEnv:
      return "env:" + name;
    case ConfigSourceKind::kFlag:
      return "flag:" + name;
  }
  return "?";
}

std::vector<std::string> ConfigKeys() {
  std::vector<std::string> keys;
  for (const auto& spec : Specs()) keys.push_back(spec.key);
  return keys;
}

Config::Config() {
  for (const auto& spec : Specs()) {
    entries_[spec.key] = ConfigEntry{spec.key, spec.default_value, ConfigSource{}};
  }
  for (const auto& [table, columns] : DefaultStatsColumns()) {
    const std::string key = std::string(kStatsPrefix) + table;
    entries_[key] = ConfigEntry{key, columns, ConfigSource{}};
  }
}

void Config::Set(const std::string& key, ConfigValue value, ConfigSource source) {
  // Messages name a file position as PATH:LINE, like the parser's own errors.
  Validate(key, value,
           source.kind == ConfigSourceKind::kFile ? source.name + ":" + std::to_string(source.line)
                                                  : source.ToString());
  entries_[key] = ConfigEntry{key, std::move(value), std::move(source)};
}

void Config::ApplyFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw NotFound(path + ": no such configuration file");
  if (fs::is_directory(path, ec)) throw InvalidInput(path + " is a directory, not a TOML file");
  if (fs::file_size(path, ec) > (1 << 20)) {
    throw InvalidInput(path + ": configuration file larger than 1 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot read");
  std::stringstream text;
  text << in.rdbuf();
  ApplyToml(text.str(), path);
}

void Config::ApplyToml(std::string_view text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw InvalidInput(path + ":" + std::to_string(e.source().begin.line) + ": " +
                       std::string(e.description()));
  }
  auto where = [&](const toml::node& node) {
    return path + ":" + std::to_string(node.source().begin.line);
  };
  auto source_of = [&](const toml::node& node) {
    return ConfigSource{ConfigSourceKind::kFile, path,
                        static_cast<int64_t>(node.source().begin.line)};
  };
  // A string, boolean or integer as the text of a Delta property / stats column list.
  auto text_of = [&](const std::string& key, const toml::node& node) -> std::string {
    if (auto s = node.value<std::string>()) return *s;
    if (auto b = node.value<bool>(); b && node.is_boolean()) return *b ? "true" : "false";
    if (node.is_integer()) return std::to_string(*node.value<int64_t>());
    if (const toml::array* a = node.as_array()) {
      std::string joined;
      for (const auto& item : *a) {
        auto s = item.value<std::string>();
        if (!item.is_string()) break;
        joined += (joined.empty() ? "" : ",") + *s;
      }
      if (std::all_of(a->begin(), a->end(), [](const toml::node& n) { return n.is_string(); })) {
        return joined;
      }
    }
    throw InvalidInput(where(node) + ": " + key + ": expected a string, got " + TomlTypeName(node));
  };
  // Free-form properties: dotted keys (delta.x = ...) arrive as nested tables; flatten them.
  std::function<void(const toml::table&, const std::string&)> properties =
      [&](const toml::table& table, const std::string& prefix) {
        for (auto&& [k, node] : table) {
          const std::string name = prefix + std::string(k.str());
          if (const toml::table* sub = node.as_table()) {
            properties(*sub, name + ".");
          } else {
            const std::string key = std::string(kPropsPrefix) + name;
            Set(key, text_of(key, node), source_of(node));
          }
        }
      };
  for (auto&& [section_key, section_node] : root) {
    const std::string section(section_key.str());
    const toml::table* section_table = section_node.as_table();
    if (section != "output" && section != "scan" && section != "build" && section != "writer" &&
        section != "incremental" && section != "scip" && section != "derived" &&
        section != "tables") {
      throw InvalidInput(where(section_node) + ": unknown section or key '" + section + "'" +
                         Suggestion(section));
    }
    if (!section_table) {
      throw InvalidInput(where(section_node) + ": " + section + ": expected a table, got " +
                         TomlTypeName(section_node));
    }
    for (auto&& [k, node] : *section_table) {
      const std::string key = section + "." + std::string(k.str());
      if (key == "tables.stats_columns" || key == "tables.properties") {
        const toml::table* sub = node.as_table();
        if (!sub) {
          throw InvalidInput(where(node) + ": " + key + ": expected a table, got " +
                             TomlTypeName(node));
        }
        if (key == "tables.properties") {
          properties(*sub, "");
          continue;
        }
        for (auto&& [table_name, columns] : *sub) {
          const std::string name(table_name.str());
          const std::string entry = std::string(kStatsPrefix) + name;
          if (!IsStatsTable(name)) {
            throw InvalidInput(where(columns) + ": " + entry + ": unknown table '" + name +
                               "' (tables: cpg_nodes, cpg_edges, cpg_props, cpg_edges_by_src, "
                               "cpg_edges_by_dst, cpg_props_map, _cpglake/repo_files, "
                               "_cpglake/builds, _cpglake/diagnostics)");
          }
          Set(entry, text_of(entry, columns), source_of(columns));
        }
        continue;
      }
      const Spec* spec = FindSpec(key);
      if (!spec) {
        throw InvalidInput(where(node) + ": unknown key '" + key + "'" + Suggestion(key));
      }
      auto wrong = [&] {
        throw InvalidInput(where(node) + ": " + key + ": expected " + KindName(spec->kind) +
                           ", got " + TomlTypeName(node));
      };
      ConfigValue value;
      switch (spec->kind) {
        case Kind::kBool:
          if (!node.is_boolean()) wrong();
          value = *node.value<bool>();
          break;
        case Kind::kInt:
          if (!node.is_integer()) wrong();
          value = *node.value<int64_t>();
          break;
        case Kind::kString:
          if (!node.is_string()) wrong();
          value = *node.value<std::string>();
          break;
        case Kind::kList: {
          const toml::array* array = node.as_array();
          if (!array) wrong();
          std::vector<std::string> items;
          for (const auto& item : *array) {
            if (!item.is_string()) {
              throw InvalidInput(where(item) + ": " + key + ": expected an array of strings, got " +
                                 TomlTypeName(item) + " in it");
            }
            items.push_back(*item.value<std::string>());
          }
          value = std::move(items);
          break;
        }
      }
      Set(key, std::move(value), source_of(node));
    }
  }
  files_.push_back(path);
}

void Config::ApplyEnvironment(const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> known;  // variable → key
  for (const auto& spec : Specs()) known[EnvName(spec.key)] = spec.key;
  for (const auto& [table, columns] : DefaultStatsColumns()) {
    known[EnvName(std::string(kStatsPrefix) + table)] = std::string(kStatsPrefix) + table;
  }
  // Short aliases, applied before the canonical names (which win when both are set).
  const std::vector<std::pair<std::string, std::string>> aliases = {
      {"CPGLAKE_JOBS", "build.jobs"}, {"CPGLAKE_REPO_ID", "build.repo_id"}};
  for (const auto& [alias, key] : aliases) {
    auto it = env.find(alias);
    if (it == env.end()) continue;
    const Spec* spec = FindSpec(key);
    const std::string where = "env:" + alias;
    Set(key, ParseText(spec->kind, it->second, where), {ConfigSourceKind::kEnv, alias, 0});
  }
  for (const auto& [name, text] : env) {
    if (name.rfind("CPGLAKE_", 0) != 0) continue;
    auto it = known.find(name);
    if (it == known.end()) {
      // Variables of the test tools share the prefix; they are not settings.
      if (name == "CPGLAKE_TESTDATA" || name.rfind("CPGLAKE_ORACLE_", 0) == 0) continue;
      if (std::none_of(aliases.begin(), aliases.end(),
                       [&](const auto& alias) { return alias.first == name; })) {
        warnings_.push_back("environment variable " + name + " is not a cpglake setting (ignored)");
      }
      continue;
    }
    const Spec* spec = FindSpec(it->second);
    const Kind kind = spec ? spec->kind : Kind::kString;
    Set(it->second, ParseText(kind, text, "env:" + name), {ConfigSourceKind::kEnv, name, 0});
  }
}

void Config::ApplyFlag(const std::string& key, const ConfigValue& value, const std::string& flag) {
  const Spec* spec = FindSpec(key);
  const ConfigSource source{ConfigSourceKind::kFlag, flag, 0};
  if (!spec) throw InvalidInput(source.ToString() + ": unknown setting '" + key + "'");
  ConfigValue typed = value;
  if (const std::string* text = std::get_if<std::string>(&value);
      text && spec->kind != Kind::kString) {
    typed = ParseText(spec->kind, *text, source.ToString());
  }
  const bool ok =
      (spec->kind == Kind::kBool && std::holds_alternative<bool>(typed)) ||
      (spec->kind == Kind::kInt && std::holds_alternative<int64_t>(typed)) ||
      (spec->kind == Kind::kString && std::holds_alternative<std::string>(typed)) ||
      (spec->kind == Kind::kList && std::holds_alternative<std::vector<std::string>>(typed));
  if (!ok)
    throw InvalidInput(source.ToString() + ": " + key + ": expected " + KindName(spec->kind));
  Set(key, std::move(typed), source);
}

const ConfigEntry& Config::Get(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) throw InvalidInput("unknown setting '" + key + "'" + Suggestion(key));
  return it->second;
}

bool Config::GetBool(const std::string& key) const {
  return std::get<bool>(Get(key).value);
}
int64_t Config::GetInt(const std::string& key) const {
  return std::get<int64_t>(Get(key).value);
}
const std::string& Config::GetString(const std::string& key) const {
  return std::get<std::string>(Get(key).value);
}
const std::vector<std::string>& Config::GetList(const std::string& key) const {
  return std::get<std::vector<std::string>>(Get(key).value);
}

std::vector<ConfigEntry> Config::Entries() const {
  std::vector<ConfigEntry> out;
  for (const auto& spec : Specs()) out.push_back(entries_.at(spec.key));
  for (const auto& [key, entry] : entries_) {
    if (!FindSpec(key)) out.push_back(entry);
  }
  return out;
}

catalog::OutputStoragePolicy Config::OutputPolicy() const {
  catalog::OutputStoragePolicy policy;
  policy.allow_parquet_exports = GetBool("output.allow_parquet_exports");
  return policy;
}

BuildOptions Config::ToBuildOptions(const std::string& repo) const {
  BuildOptions o;
  o.repo = repo;
  const ConfigEntry& dir = Get("output.dir");
  if (const std::string& d = std::get<std::string>(dir.value); !d.empty()) {
    fs::path out(d);
    if (out.is_relative() && dir.source.kind == ConfigSourceKind::kFile) {
      out = fs::path(dir.source.name).parent_path() / out;
    }
    o.out = out.lexically_normal().string();
  }
  if (const std::string& id = GetString("build.repo_id"); !id.empty()) o.repo_id = id;
  o.jobs = static_cast<int>(GetInt("build.jobs"));
  o.scan.include = GetList("scan.include");
  o.scan.exclude = GetList("scan.exclude");
  o.scan.max_files = GetInt("scan.max_files");
  o.scan.max_file_bytes = GetInt("scan.max_file_bytes");
  o.scan.follow_symlinks = GetBool("scan.follow_symlinks");
  o.scan.use_git = GetBool("scan.use_git");
  o.writer.codec = parquet::ParseCodec(GetString("writer.compression"));
  o.writer.compression_level = static_cast<int>(GetInt("writer.compression_level"));
  o.writer.row_group_rows = GetInt("writer.row_group_rows");
  o.writer.target_file_bytes = GetInt("writer.target_file_bytes");
  o.writer.dictionary = GetBool("writer.dictionary");
  o.derived = GetBool("derived.enabled");
  o.incremental.enabled = GetBool("incremental.enabled");
  o.incremental.cache_evidence = GetBool("incremental.cache_evidence");
  o.incremental.max_work_fraction =
      static_cast<double>(GetInt("incremental.max_work_percent")) / 100.0;
  o.incremental.optimize_max_files = GetInt("incremental.optimize_max_files");
  o.incremental.optimize_deleted_fraction =
      static_cast<double>(GetInt("incremental.optimize_deleted_percent")) / 100.0;
  o.table_properties.clear();
  for (const auto& [setting, property] : ManagedProperties()) {
    if (GetBool(setting)) o.table_properties[property] = "true";
  }
  o.stats_columns.clear();
  for (const auto& [key, entry] : entries_) {
    if (key.rfind(kPropsPrefix, 0) == 0) {
      o.table_properties[key.substr(kPropsPrefix.size())] = std::get<std::string>(entry.value);
    } else if (key.rfind(kStatsPrefix, 0) == 0) {
      const std::string& columns = std::get<std::string>(entry.value);
      if (!columns.empty()) o.stats_columns[key.substr(kStatsPrefix.size())] = columns;
    }
  }
  o.output_policy = OutputPolicy();
  // A relative path in a file is relative to the file's directory (as output.dir).
  auto file_relative = [&](const std::string& key) {
    const ConfigEntry& e = Get(key);
    fs::path p(std::get<std::string>(e.value));
    if (!p.empty() && p.is_relative() && e.source.kind == ConfigSourceKind::kFile) {
      p = fs::path(e.source.name).parent_path() / p;
    }
    return p.lexically_normal().string();
  };
  if (!GetString("scip.index").empty()) o.scip.index = file_relative("scip.index");
  o.scip.run_indexer = GetBool("scip.run_indexer");
  o.scip.node = GetString("scip.node");
  if (!GetString("scip.indexer").empty()) o.scip.indexer = file_relative("scip.indexer");
  o.scip.timeout_seconds = GetInt("scip.timeout_seconds");
  o.scip.max_memory_mb = GetInt("scip.max_memory_mb");
  if (!GetString("scip.environment").empty()) {
    o.scip.environment = file_relative("scip.environment");
  }
  o.scip.project_name = GetString("scip.project_name");
  o.scip.project_version = GetString("scip.project_version");
  return o;
}

std::string Config::ToToml(bool with_sources) const {
  std::ostringstream out;
  out << "# cpglake configuration (effective values";
  if (with_sources) out << "; precedence: flags > environment > file > defaults";
  out << ")\n";
  std::string section;
  bool properties_seen = false;
  auto open_section = [&](const std::string& s) {
    if (s == section) return;
    section = s;
    out << "\n[" << s << "]\n";
  };
  for (const auto& entry : Entries()) {
    const std::string s = SectionOf(entry.key);
    if (s == "tables.properties") properties_seen = true;
    open_section(s);  // sub-tables follow every plain key of [tables] (Entries() order)
    out << TomlKey(NameIn(entry.key, s)) << " = " << TomlValue(entry.value);
    if (with_sources) out << "  # from " << entry.source.ToString();
    out << "\n";
  }
  if (!properties_seen) out << "\n[tables.properties]\n";
  return out.str();
}

std::string Config::ToJson(bool with_sources) const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  nlohmann::ordered_json sources = nlohmann::ordered_json::object();
  j["tables"]["properties"] = nlohmann::ordered_json::object();
  for (const auto& entry : Entries()) {
    const std::string s = SectionOf(entry.key);
    const std::string name = NameIn(entry.key, s);
    if (s == "tables.stats_columns") {
      j["tables"]["stats_columns"][name] = JsonValue(entry.value);
    } else if (s == "tables.properties") {
      j["tables"]["properties"][name] = JsonValue(entry.value);
    } else {
      j[s][name] = JsonValue(entry.value);
    }
    sources[entry.key] = entry.source.ToString();
  }
  if (with_sources) j["sources"] = sources;
  return j.dump(2);
}

std::string DefaultConfigToml() {
  std::ostringstream out;
  out << "# cpglake.toml — configuration of `cpglake build` for this repository.\n"
         "# Every key is shown at its default. Precedence: command-line flags > CPGLAKE_*\n"
         "# environment variables (CPGLAKE_<SECTION>_<KEY>) > this file > defaults.\n"
         "# Unknown keys are errors. See docs/configuration.md.\n";
  std::string section;
  for (const auto& spec : Specs()) {
    const std::string s = SectionOf(spec.key);
    if (s != section) {
      section = s;
      out << "\n[" << s << "]\n";
    }
    out << "# " << spec.comment << "\n";
    out << NameIn(spec.key, s) << " = " << TomlValue(spec.default_value) << "\n";
  }
  out << "\n# Data-skipping statistics columns per table (delta.dataSkippingStatsColumns);\n"
         "# \"\": Delta's default (the first 32 columns).\n[tables.stats_columns]\n";
  for (const auto& [table, columns] : DefaultStatsColumns()) {
    out << TomlKey(table) << " = " << TomlString(columns) << "\n";
  }
  out << "\n# Further Delta table properties of new tables (quote dotted names), e.g.\n"
         "# \"delta.logRetentionDuration\" = \"interval 30 days\"\n[tables.properties]\n";
  return out.str();
}

std::optional<std::string> FindConfigFile(const std::string& repo) {
  const fs::path candidate = fs::path(repo) / "cpglake.toml";
  std::error_code ec;
  if (fs::is_regular_file(candidate, ec)) return candidate.string();
  return std::nullopt;
}

std::map<std::string, std::string> CpglakeEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.rfind("CPGLAKE_", 0) != 0) continue;
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  return env;
}

Config LoadConfig(const LoadConfigOptions& options) {
  Config config;
  if (options.config_file) {
    config.ApplyFile(*options.config_file);
  } else if (!options.repo.empty()) {
    if (auto found = FindConfigFile(options.repo)) config.ApplyFile(*found);
  }
  config.ApplyEnvironment(options.env);
  return config;
}

}  // namespace cpglake::pipeline
