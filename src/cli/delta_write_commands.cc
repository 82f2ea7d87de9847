// `cpglake delta create|write|set-property|checkpoint`: writing Delta tables.
#include <nlohmann/json.hpp>

#include <chrono>
#include "cli/commands.h"
#include "cli/output.h"
#include "columnar/text_reader.h"
#include "common/error.h"

#include "delta/checkpoint_writer.h"
#include "delta/schema_json.h"
#include "delta/snapshot.h"
#include "delta/writer.h"
#include "parquet/file_reader.h"

namespace cpglake::cli {

namespace {

using nlohmann::ordered_json;

// "k=v" → (k, v); InvalidInput otherwise.
std::pair<std::string, std::string> SplitKeyValue(const std::string& s, const char* what) {
  auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw InvalidInput(std::string(what) + " '" + s + "' is not of the form key=value");
  }
  return {s.substr(0, eq), s.substr(eq + 1)};
}

std::map<std::string, std::string> KeyValues(const std::vector<std::string>& items,
                                             const char* what) {
  std::map<std::string, std::string> out;
  for (const auto& s : items) {
    auto [k, v] = SplitKeyValue(s, what);
    out[k] = v;
  }
  return out;
}

// SQL spellings of Delta types (int, bigint, bool, varchar, ...) → Delta's own, in every
// word of a type ("array<int>" → "array<integer>").
std::string DeltaTypeSpelling(const std::string& type) {
  static const std::map<std::string, std::string> kAliases = {
      {"int", "integer"},    {"int4", "integer"}, {"bigint", "long"},  {"int8", "long"},
      {"smallint", "short"}, {"int2", "short"},   {"tinyint", "byte"}, {"bool", "boolean"},
      {"varchar", "string"}, {"text", "string"},  {"real", "float"},   {"float4", "float"},
      {"float8", "double"},  {"blob", "binary"},  {"bytea", "binary"}, {"dec", "decimal"},
      {"numeric", "decimal"}};
  std::string out, word;
  auto flush = [&] {
    std::string lower;
    for (char c : word) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = kAliases.find(lower);
    out += it == kAliases.end() ? word : it->second;
    word.clear();
  };
  for (char c : type) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      word += c;
    } else {
      flush();
      out += c;
    }
  }
  flush();
  return out;
}

// A schema from the command line: Delta schema JSON (`{"type":"struct",...}`), or
// "name type [NOT NULL], ..." with Delta type names (long, string, decimal(10,2),
// array<string>, struct<a:int,b:string>, map<string,long>, timestamp_ntz, ...).
columnar::Schema ParseSchemaArgument(const std::string& text) {
  std::string t = text;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.erase(0, 1);
  if (!t.empty() && t.front() == '{') return delta::ParseDeltaSchema(t);
  std::vector<std::string> parts;
  int depth = 0;
  std::string cur;
  for (char c : t) {
    if (c == '<' || c == '(') ++depth;
    if (c == '>' || c == ')') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  std::vector<columnar::Field> fields;
  for (auto p : parts) {
    auto trim = [](std::string s) {
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(0, 1);
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
      return s;
    };
    p = trim(p);
    if (p.empty()) continue;
    auto sp = p.find_first_of(" \t");
    if (sp == std::string::npos) {
      throw InvalidInput("schema column '" + p +
                         "' has no type: write \"name type\", e.g. \"id long\"");
    }
    std::string name = p.substr(0, sp);
    std::string type = trim(p.substr(sp + 1));
    bool nullable = true;
    std::string upper;
    for (char c : type) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper.size() > 9 && upper.compare(upper.size() - 9, 9, " NOT NULL") == 0) {
      nullable = false;
      type = trim(type.substr(0, type.size() - 9));
    }
    try {
      fields.emplace_back(name, delta::ParseTypeText(DeltaTypeSpelling(type)), nullable);
    } catch (const Error& e) {
      throw InvalidInput("schema column '" + name + "': " + e.what());
    }
  }
  if (fields.empty()) throw InvalidInput("the schema has no columns");
  return columnar::Schema(std::move(fields));
}

// The rows of an input file as a stream of batches.
struct Input {
  columnar::Schema schema;
  delta::BatchSource source;
  std::shared_ptr<void> keep_alive;
};

// `table_schema`: for text input into an existing table (strict schema mode), the rows are
// parsed into the table's types instead of inferred ones (dates stay dates).
Input OpenInput(const std::string& path, const std::optional<columnar::Schema>& table_schema) {
  auto ends_with = [&](const char* ext) {
    const std::string e(ext);
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  if (ends_with(".parquet") || ends_with(".parq")) {
    std::shared_ptr<parquet::ParquetFileReader> reader = parquet::ParquetFileReader::OpenPath(path);
    auto next = std::make_shared<int>(0);
    Input in;
    in.schema = reader->schema();
    in.source = [reader, next]() -> std::optional<columnar::RecordBatch> {
      if (*next >= reader->num_row_groups()) return std::nullopt;
      return reader->ReadRowGroup((*next)++);
    };
    in.keep_alive = reader;
    return in;
  }
  // CSV / TSV / JSON lines: types inferred from the first rows (or read into the table's
  // schema when the caller converts; the writer casts compatible types).
  columnar::TextReadOptions to;
  if (table_schema) to.schema = *table_schema;
  std::shared_ptr<columnar::TextReader> reader = columnar::TextReader::Open(path, to);
  Input in;
  in.schema = reader->schema();
  in.source = [reader]() { return reader->Next(); };
  in.keep_alive = reader;
  return in;
}

void PrintResult(const delta::WriteResult& r, const std::string& path, const GlobalOptions& g) {
  if (!r.checkpoint_error.empty()) {
    // The commit stands; say why the checkpoint after it did not happen.
    std::fprintf(stderr,
                 "cpglake: warning: version %lld committed, but its checkpoint failed: %s\n",
                 static_cast<long long>(r.version), r.checkpoint_error.c_str());
  }
  if (g.json) {
    ordered_json j;
    j["path"] = path;
    j["version"] = r.version;
    j["skipped"] = r.skipped;
    if (r.skipped) j["skip_reason"] = r.skip_reason;
    if (!r.skipped) j["attempts"] = r.attempts;
    auto metrics = [](const delta::WriteMetrics& m) {
      return ordered_json{{"files_added", m.files_added},   {"rows_added", m.rows_added},
                          {"bytes_added", m.bytes_added},   {"files_removed", m.files_removed},
                          {"rows_removed", m.rows_removed}, {"bytes_removed", m.bytes_removed}};
    };
    j["totals"] = metrics(r.totals);
    if (r.checkpoint_version) j["checkpoint_version"] = *r.checkpoint_version;
    if (!r.partitions.empty() && !(r.partitions.size() == 1 && r.partitions.count(""))) {
      ordered_json parts = ordered_json::object();
      for (const auto& [k, m] : r.partitions) parts[k] = metrics(m);
      j["partitions"] = parts;
    }
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  if (g.quiet) return;
  if (r.skipped) {
    std::printf("nothing written (%s); table at version %lld\n", r.skip_reason.c_str(),
                static_cast<long long>(r.version));
    return;
  }
  const auto& t = r.totals;
  std::printf("version %lld: +%lld files, +%lld rows, +%lld bytes",
              static_cast<long long>(r.version), static_cast<long long>(t.files_added),
              static_cast<long long>(t.rows_added), static_cast<long long>(t.bytes_added));
  if (t.files_removed > 0) {
    std::printf("; -%lld files, -%lld rows, -%lld bytes", static_cast<long long>(t.files_removed),
                static_cast<long long>(t.rows_removed), static_cast<long long>(t.bytes_removed));
  }
  if (r.attempts > 1) std::printf(" (committed after %d attempts)", r.attempts);
  if (r.checkpoint_version) std::printf("; checkpoint written");
  std::printf("\n");
}

struct WriteArgs {
  std::string path, input, mode = "append", schema_mode, predicate, partition_by, codec = "zstd";
  std::vector<std::string> properties, commit_properties;
  std::string app_id;
  int64_t app_version = -1;
  int64_t target_file_size = int64_t{128} << 20;
  int64_t row_group_rows = 1000000;
};

int RunWrite(const WriteArgs& a, const GlobalOptions& g) {
  delta::WriteOptions o;
  o.mode = delta::ParseWriteMode(a.mode);
  o.schema_mode = delta::ParseSchemaMode(a.schema_mode);
  if (!a.predicate.empty()) o.predicate = a.predicate;
  o.partition_by = SplitComma(a.partition_by);
  o.properties = KeyValues(a.properties, "--property");
  o.commit_properties = KeyValues(a.commit_properties, "--commit-property");
  if (!a.app_id.empty() || a.app_version >= 0) {
    if (a.app_id.empty() || a.app_version < 0) {
      throw InvalidInput("--app-id and --app-version go together");
    }
    o.app_id = a.app_id;
    o.app_version = a.app_version;
  }
  if (a.target_file_size <= 0) throw InvalidInput("--target-file-size must be positive");
  if (a.row_group_rows <= 0) throw InvalidInput("--row-group-rows must be positive");
  o.target_file_bytes = a.target_file_size;
  o.parquet.codec = parquet::ParseCodec(a.codec);
  o.parquet.row_group_rows = a.row_group_rows;
  auto store = storage::OpenObjectStore(a.path);
  std::optional<columnar::Schema> table_schema;
  if (o.schema_mode == delta::SchemaMode::kStrict) {
    try {
      table_schema = delta::SnapshotBuilder(store).Build()->schema();
    } catch (const NotFound&) {
      // A new table: the input's own (inferred) types.
    }
  }
  Input in = OpenInput(a.input, table_schema);
  auto r = delta::WriteDeltaTable(store, in.schema, in.source, o);
  PrintResult(r, a.path, g);
  return 0;
}

struct CreateArgs {
  std::string path, schema, partition_by, name, description;
  std::vector<std::string> properties, commit_properties;
  bool if_not_exists = false;
};

int RunCreate(const CreateArgs& a, const GlobalOptions& g) {
  delta::CreateOptions o;
  o.schema = ParseSchemaArgument(a.schema);
  o.partition_by = SplitComma(a.partition_by);
  o.properties = KeyValues(a.properties, "--property");
  o.commit_properties = KeyValues(a.commit_properties, "--commit-property");
  if (!a.name.empty()) o.name = a.name;
  if (!a.description.empty()) o.description = a.description;
  o.mode = a.if_not_exists ? delta::WriteMode::kIgnore : delta::WriteMode::kErrorIfExists;
  auto r = delta::CreateDeltaTable(storage::OpenObjectStore(a.path), o);
  PrintResult(r, a.path, g);
  return 0;
}

int RunSetProperty(const std::string& path, const std::vector<std::string>& set,
                   const std::vector<std::string>& unset, const GlobalOptions& g) {
  if (set.empty() && unset.empty())
    throw InvalidInput("give at least one key=value or --unset KEY");
  auto r =
      delta::SetTableProperties(storage::OpenObjectStore(path), KeyValues(set, "property"), unset);
  PrintResult(r, path, g);
  return 0;
}

int RunCheckpoint(const std::string& path, int64_t version, const std::string& kind, bool cleanup,
                  const GlobalOptions& g) {
  auto store = storage::OpenObjectStore(path);
  delta::SnapshotBuilder b(store);
  if (version >= 0) b.AtVersion(version);
  auto snap = b.Build();
  delta::CheckWritable(snap->config());
  delta::CheckpointOptions o;
  if (kind == "classic") {
    o.kind = delta::CheckpointOptions::Kind::kClassic;
  } else if (kind == "v2") {
    o.kind = delta::CheckpointOptions::Kind::kV2;
  } else if (kind != "auto") {
    throw InvalidInput("unknown checkpoint kind '" + kind + "': use auto, classic or v2");
  }
  auto r = delta::WriteCheckpoint(*snap, o);
  int64_t deleted = 0;
  if (cleanup) {
    auto latest = delta::SnapshotBuilder(store).Build();
    deleted = delta::CleanupExpiredLogs(*store, *latest,
                                        std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
  }
  if (g.json) {
    ordered_json j{{"path", path},
                   {"version", r.version},
                   {"v2", r.v2},
                   {"file", r.key},
                   {"sidecars", r.sidecar_keys.size()},
                   {"actions", r.num_actions},
                   {"add_files", r.num_add_files},
                   {"tombstones", r.num_tombstones},
                   {"bytes", r.size_in_bytes},
                   {"last_checkpoint_updated", r.last_checkpoint_written},
                   {"log_files_deleted", deleted}};
    std::printf("%s\n", j.dump(2).c_str());
  } else if (!g.quiet) {
    std::printf(
        "checkpoint of version %lld: %s (%lld actions, %lld bytes)%s\n",
        static_cast<long long>(r.version), r.key.c_str(), static_cast<long long>(r.num_actions),
        static_cast<long long>(r.size_in_bytes),
        r.last_checkpoint_written ? "" : "; _last_checkpoint names a newer one, left as is");
    if (cleanup) std::printf("expired log files deleted: %lld\n", static_cast<long long>(deleted));
  }
  return 0;
}

}  // namespace

void RegisterDeltaWriteCommands(CLI::App* d, GlobalOptions& global, Action& action) {
  static WriteArgs w;
  auto* write =
      d->add_subcommand("write", "Write rows from a file into a table (created if missing)");
  write->add_option("PATH", w.path, "Delta table directory")->required();
  write
      ->add_option("--input", w.input,
                   "Rows to write: .parquet, .csv, .tsv or .jsonl (types inferred)")
      ->required();
  write->add_option("--mode", w.mode, "append, overwrite, error or ignore")->capture_default_str();
  write->add_option(
      "--schema-mode", w.schema_mode,
      "merge (add new columns) or overwrite (replace the schema; with --mode overwrite)");
  write->add_option("--predicate", w.predicate,
                    "With --mode overwrite: replace only rows matching it (replaceWhere)");
  write->add_option("--partition-by", w.partition_by,
                    "Comma-separated partition columns (new tables)");
  write->add_option("--property", w.properties, "Table property key=value (repeatable)");
  write->add_option("--commit-property", w.commit_properties,
                    "Recorded in the commit's commitInfo, key=value (repeatable)");
  write->add_option("--app-id", w.app_id, "Idempotent write: application id (with --app-version)");
  write->add_option("--app-version", w.app_version,
                    "Idempotent write: skipped when the table already has this app version");
  write->add_option("--target-file-size", w.target_file_size, "Data file size to aim for, in bytes")
      ->capture_default_str();
  write->add_option("--codec", w.codec, "Parquet codec: zstd, snappy, gzip, lz4_raw, brotli, none")
      ->capture_default_str();
  write->add_option("--row-group-rows", w.row_group_rows, "Rows per Parquet row group")
      ->capture_default_str();
  write->callback([&] { action = [&] { return RunWrite(w, global); }; });

  static CreateArgs c;
  auto* create = d->add_subcommand("create", "Create an empty table");
  create->add_option("PATH", c.path, "Delta table directory")->required();
  create
      ->add_option("--schema", c.schema,
                   "Columns, e.g. \"id long not null, name string, tags array<string>\", or Delta "
                   "schema JSON")
      ->required();
  create->add_option("--partition-by", c.partition_by, "Comma-separated partition columns");
  create->add_option("--property", c.properties, "Table property key=value (repeatable)");
  create->add_option("--commit-property", c.commit_properties, "commitInfo entry key=value");
  create->add_option("--name", c.name, "Table name (metadata)");
  create->add_option("--description", c.description, "Table description (metadata)");
  create->add_flag("--if-not-exists", c.if_not_exists, "Do nothing when the table exists");
  create->callback([&] { action = [&] { return RunCreate(c, global); }; });

  static std::string sp_path;
  static std::vector<std::string> sp_set, sp_unset;
  auto* setp = d->add_subcommand("set-property", "Set (or unset) table properties in one commit");
  setp->add_option("PATH", sp_path, "Delta table directory")->required();
  setp->add_option("KEY=VALUE", sp_set, "Properties to set");
  setp->add_option("--unset", sp_unset, "Property to remove (repeatable)");
  setp->callback(
      [&] { action = [&] { return RunSetProperty(sp_path, sp_set, sp_unset, global); }; });

  static std::string cp_path, cp_kind = "auto";
  static int64_t cp_version = -1;
  static bool cp_cleanup = false;
  auto* cp =
      d->add_subcommand("checkpoint", "Write a checkpoint of the table (latest or --version)");
  cp->add_option("PATH", cp_path, "Delta table directory")->required();
  cp->add_option("--version", cp_version, "Checkpoint this version instead of the latest");
  cp->add_option("--kind", cp_kind, "auto (the table's policy), classic or v2")
      ->capture_default_str();
  cp->add_flag("--cleanup", cp_cleanup,
               "Then delete log files older than delta.logRetentionDuration that no retained "
               "version needs");
  cp->callback([&] {
    action = [&] { return RunCheckpoint(cp_path, cp_version, cp_kind, cp_cleanup, global); };
  });
}

}  // namespace cpglake::cli
