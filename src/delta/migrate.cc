#include "delta/migrate.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "columnar/schema_fingerprint.h"
#include "columnar/value.h"
#include "columnar/value_format.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/ids.h"
#include "delta/data_file_writer.h"
#include "delta/file_stats_writer.h"
#include "delta/footer_stats.h"
#include "delta/partitioning.h"
#include "delta/scan.h"
#include "delta/schema_json.h"
#include "delta/snapshot.h"
#include "delta/stats.h"
#include "delta/transaction.h"
#include "parquet/file_reader.h"

namespace cpglake::delta {

namespace {

using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using columnar::TypePtr;

bool IsParquetName(std::string_view key) {
  auto ends = [&](std::string_view e) {
    return key.size() >= e.size() && key.substr(key.size() - e.size()) == e;
  };
  return ends(".parquet") || ends(".parq");
}

// A segment starting with '.' or '_' hides the file (metadata, temporaries, _delta_log).
bool IsHidden(std::string_view key) {
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    if (end > start && (key[start] == '.' || key[start] == '_')) return true;
    start = end + 1;
  }
  return false;
}

bool ParsesAsInt64(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

std::optional<int32_t> ParseIsoDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  }
  int y = std::stoi(s.substr(0, 4)), m = std::stoi(s.substr(5, 2)), d = std::stoi(s.substr(8, 2));
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return std::nullopt;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m == 2 && d == 29 && !leap) return std::nullopt;
  return static_cast<int32_t>(
      columnar::DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)));
}

columnar::Value TypedPartitionValue(const std::optional<std::string>& raw, const TypePtr& type) {
  if (!raw) return columnar::Value::Null(type);
  switch (type->id()) {
    case columnar::TypeId::kInt64:
      return columnar::Value::Int64(std::stoll(*raw));
    case columnar::TypeId::kDate:
      return columnar::Value::Date(*ParseIsoDate(*raw));
    default:
      return columnar::Value::String(*raw);
  }
}

// "a: long" style names of fields for messages.
std::string Describe(const Field& f) {
  return f.name + " " + TypeToDeltaString(*f.type) + (f.nullable ? "" : " not null");
}

// What differs between two files' schemas, one clause per column.
std::string SchemaDifference(const Schema& a, const std::string& a_name, const Schema& b,
                             const std::string& b_name) {
  std::vector<std::string> parts;
  for (const auto& f : a.fields()) {
    int j = b.FieldIndex(f.name);
    if (j < 0) {
      parts.push_back("column " + f.name + " only in " + a_name);
    } else if (!f.Equals(b.field(static_cast<size_t>(j)))) {
      parts.push_back("column " + Describe(f) + " in " + a_name + " but " +
                      Describe(b.field(static_cast<size_t>(j))) + " in " + b_name);
    }
  }
  for (const auto& f : b.fields()) {
    if (a.FieldIndex(f.name) < 0) parts.push_back("column " + f.name + " only in " + b_name);
  }
  if (parts.empty()) parts.push_back("the column order differs");
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "; " : "") + parts[i];
  return out;
}

Schema WithNullability(const Schema& s, bool nullable) {
  std::vector<Field> fields = s.fields();
  for (auto& f : fields) f.nullable = nullable || f.nullable;
  return Schema(std::move(fields));
}

struct SourceStore {
  std::shared_ptr<storage::ObjectStore> store;  // the SRC directory (or the file's parent)
  std::string single_key;                       // set when SRC is one file
};

SourceStore OpenSource(const std::string& source, const storage::StorageOptions& options) {
  SourceStore s;
  std::error_code ec;
  if (std::filesystem::is_regular_file(source, ec)) {
    std::filesystem::path p(source);
    std::string parent = p.parent_path().string();
    s.store = storage::OpenObjectStore(parent.empty() ? "." : parent, options);
    s.single_key = p.filename().string();
    return s;
  }
  s.store = storage::OpenObjectStore(source, options);
  if (!std::filesystem::is_directory(source, ec) && s.store->ListRecursive("").empty()) {
    throw NotFound("migration source " + source + " does not exist");
  }
  return s;
}

// The absolute, normalised root of a local store ("" for other stores).
std::filesystem::path LocalRoot(const storage::ObjectStore& store) {
  auto* local = dynamic_cast<const storage::LocalObjectStore*>(&store);
  if (!local) return {};
  return std::filesystem::weakly_canonical(local->root());
}

// Rethrows an error from reading `name` with the file named, keeping its category.
[[noreturn]] void RethrowNamingFile(const Error& e, const std::string& name) {
  std::string msg = e.what();
  if (msg.find(name) == std::string::npos) msg = name + ": " + msg;
  throw Error(e.category(), msg);
}

// The rows of one source file as batches of the table schema: partition columns filled in
// from its directories, columns cast and aligned.
class SourceFileReader {
 public:
  SourceFileReader(storage::ObjectStore& store, const MigratePlan& plan, size_t index)
      : plan_(plan), file_(plan.files[index]), name_(store.DisplayPath(file_.key)) {
    try {
      reader_ = parquet::ParquetFileReader::Open(store.OpenForRead(file_.key));
    } catch (const Error& e) {
      RethrowNamingFile(e, name_);
    }
  }

  const parquet::ParquetFileReader& parquet() const { return *reader_; }

  // Stats from the footer (delta/footer_stats.h), naming the file in errors.
  FooterStatsOutcome FooterStats(FileStatsCollector* stats) const {
    try {
      return MergeFooterStats(*reader_, plan_.schema, stats);
    } catch (const Error& e) {
      RethrowNamingFile(e, name_);
    }
  }

  // The next row group of the table columns `columns` only (as the table's fields, missing
  // ones null), or nullopt at the end.
  std::optional<RecordBatch> NextColumns(const std::vector<std::string>& columns) {
    if (next_rg_ >= reader_->num_row_groups()) return std::nullopt;
    try {
      std::vector<int> fields;
      std::vector<Field> table;
      for (const auto& name : columns) {
        const int t = plan_.schema.FieldIndex(name);
        if (t < 0) continue;
        table.push_back(plan_.schema.field(static_cast<size_t>(t)));
        const int f = FindField(reader_->schema(), name);
        if (f >= 0) fields.push_back(f);
      }
      const int rg = next_rg_++;
      RecordBatch raw;
      if (fields.empty()) {
        raw = RecordBatch(Schema(std::vector<Field>{}), {});
      } else {
        raw = reader_->ReadRowGroup(rg, fields);
      }
      raw.set_num_rows(reader_->metadata().row_groups[static_cast<size_t>(rg)].num_rows);
      return AlignBatch(raw, Schema(std::move(table)));
    } catch (const Error& e) {
      RethrowNamingFile(e, name_);
    }
  }

  // The next row group, or nullopt at the end.
  std::optional<RecordBatch> Next() {
    if (next_rg_ >= reader_->num_row_groups()) return std::nullopt;
    try {
      RecordBatch raw = reader_->ReadRowGroup(next_rg_++);
      std::vector<Field> fields = raw.schema().fields();
      std::vector<columnar::ColumnPtr> columns = raw.columns();
      for (const auto& p : plan_.partitions) {
        auto col = columnar::Column::Make(p.type);
        columnar::Value v = TypedPartitionValue(file_.partition_values.at(p.name), p.type);
        if (v.is_null()) {
          col->AppendNulls(raw.num_rows());
        } else {
          for (int64_t i = 0; i < raw.num_rows(); ++i) columnar::AppendValue(*col, v);
        }
        fields.emplace_back(p.name, p.type, true);
        columns.push_back(std::move(col));
      }
      RecordBatch with_parts(Schema(std::move(fields)), std::move(columns));
      return AlignBatch(with_parts, plan_.schema);
    } catch (const Error& e) {
      RethrowNamingFile(e, name_);
    }
  }

 private:
  const MigratePlan& plan_;
  const MigrateSourceFile& file_;
  std::string name_;
  std::unique_ptr<parquet::ParquetFileReader> reader_;
  int next_rg_ = 0;
};

std::shared_ptr<const Snapshot> TryOpenTable(const std::shared_ptr<storage::ObjectStore>& store) {
  if (store->List("_delta_log").empty()) return nullptr;
  return SnapshotBuilder(store).Build();
}

void CheckPlan(const MigratePlan& plan) {
  if (plan.conflicts.empty()) return;
  std::string msg = "cannot migrate " + plan.source + ": ";
  for (size_t i = 0; i < plan.conflicts.size(); ++i) msg += (i ? "; " : "") + plan.conflicts[i];
  throw InvalidInput(msg);
}

int64_t NowMs(const MigrateOptions& o) {
  if (o.now_ms) return *o.now_ms;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// --copy: every source row through WriteDeltaTable.
void CopyInto(const SourceStore& src, const std::shared_ptr<storage::ObjectStore>& target,
              const MigrateOptions& options, MigrateResult* result) {
  const MigratePlan& plan = result->plan;
  WriteOptions wo;
  wo.mode = options.mode;
  wo.schema_mode = options.schema_mode;
  wo.partition_by = plan.partition_by;
  wo.parquet = options.parquet;
  wo.target_file_bytes = options.target_file_bytes;
  wo.now_ms = options.now_ms;
  wo.commit_properties["cpglake.migrate_source"] = plan.source;
  size_t index = 0;
  std::unique_ptr<SourceFileReader> current;
  BatchSource source = [&]() -> std::optional<RecordBatch> {
    while (true) {
      if (!current) {
        if (index >= plan.files.size()) return std::nullopt;
        current = std::make_unique<SourceFileReader>(*src.store, plan, index++);
      }
      auto batch = current->Next();
      if (batch) {
        result->source_fingerprint.AddBatch(*batch);
        return batch;
      }
      current.reset();
    }
  };
  WriteResult w = WriteDeltaTable(target, plan.schema, source, wo);
  result->version = w.version;
  result->files_added = w.totals.files_added;
  result->files_removed = w.totals.files_removed;
  result->rows_added = w.totals.rows_added;
  result->bytes_added = w.totals.bytes_added;
  result->checkpoint_error = w.checkpoint_error;
}

// --in-place: one commit adding the existing files.
void AdoptInPlace(const SourceStore& src, const std::shared_ptr<storage::ObjectStore>& target,
                  const MigrateOptions& options, MigrateResult* result) {
  const MigratePlan& plan = result->plan;
  const int64_t now = NowMs(options);
  auto snapshot = TryOpenTable(target);

  CommitOptions co;
  co.operation = "CONVERT";
  co.operation_parameters["numFiles"] = std::to_string(plan.files.size());
  co.operation_parameters["mode"] = std::string(WriteModeName(options.mode));
  std::string parts = "[";
  for (size_t i = 0; i < plan.partition_by.size(); ++i) {
    parts += (i ? ",\"" : "\"") + plan.partition_by[i] + "\"";
  }
  co.operation_parameters["partitionBy"] = parts + "]";
  co.commit_properties["cpglake.migrate_source"] = plan.source;
  co.now_ms = options.now_ms;
  Transaction txn(target, snapshot, co);

  std::set<std::string> existing;  // decoded paths of the table's files
  if (snapshot) {
    for (const auto& f : snapshot->files()) existing.insert(storage::UriDecode(f.path));
  }
  std::optional<Metadata> metadata;
  if (!snapshot || options.mode == WriteMode::kOverwrite) {
    Metadata m;
    if (snapshot) m = snapshot->metadata();
    if (!snapshot) {
      m.id = RandomUuid();
      m.created_time = now;
    }
    m.partition_columns = plan.partition_by;
    Schema s = plan.schema;
    if (snapshot && snapshot->config().column_mapping_mode() != ColumnMappingMode::kNone) {
      throw Unsupported("in-place migration into a table with column mapping");
    }
    m.schema_string = SerializeDeltaSchema(s);
    metadata = m;
  } else {
    if (snapshot->config().column_mapping_mode() != ColumnMappingMode::kNone) {
      throw Unsupported("in-place migration into a table with column mapping");
    }
    if (snapshot->partition_columns() != plan.partition_by) {
      throw InvalidInput("the table at " + plan.target +
                         " has other partition columns than the source");
    }
    const Schema& table = snapshot->schema();
    if (!table.Equals(plan.schema)) {
      if (options.schema_mode != SchemaMode::kMerge) {
        throw InvalidInput("the source schema (" + plan.schema.ToString() +
                           ") differs from the table's (" + table.ToString() +
                           "); use --schema-mode merge");
      }
      Schema merged = MergeSchemas(table, plan.schema, true);
      if (!merged.Equals(table, true)) {
        Metadata m = snapshot->metadata();
        m.schema_string = SerializeDeltaSchema(merged);
        metadata = m;
      }
    }
  }
  if (metadata) {
    Protocol current = snapshot ? snapshot->protocol() : Protocol{1, 2, {}, {}};
    Protocol p = RequiredProtocol(
        current, *metadata,
        snapshot ? ProtocolUpgrade::kTableFeatures : ProtocolUpgrade::kLegacyVersions);
    if (!snapshot || !(p == snapshot->protocol())) txn.UpdateProtocol(p);
    txn.UpdateMetadata(*metadata);
  }
  CheckWritable(txn.config());
  StatsConfig stats_config = StatsConfigForTable(txn.config());

  std::set<std::string> adopted;
  for (size_t i = 0; i < plan.files.size(); ++i) {
    const MigrateSourceFile& file = plan.files[i];
    std::string rel = plan.table_prefix + file.key;
    adopted.insert(rel);
    if (existing.count(rel)) continue;  // already in the table (append, overwrite)
    // Stats from the footer; the data only for the columns it cannot give, and all of it
    // with `verify` (for the fingerprint).
    FileStatsCollector stats(stats_config);
    SourceFileReader reader(*src.store, plan, i);
    const FooterStatsOutcome footer = reader.FooterStats(&stats);
    result->stats_leaves_from_footer += footer.leaves_from_footer;
    result->stats_leaves_from_data += footer.leaves_from_data;
    if (options.verify) {
      while (auto batch = reader.Next()) {
        stats.UpdateLeaves(*batch, footer.from_data);
        result->source_fingerprint.AddBatch(*batch);
      }
    } else if (footer.leaves_from_data > 0) {
      std::vector<std::string> columns;
      const auto leaves = stats.Leaves();
      for (size_t l = 0; l < leaves.size(); ++l) {
        if (footer.from_data[l] && (columns.empty() || columns.back() != leaves[l].path[0])) {
          columns.push_back(leaves[l].path[0]);
        }
      }
      while (auto batch = reader.NextColumns(columns)) stats.UpdateLeaves(*batch, footer.from_data);
    }
    if (footer.leaves_from_data > 0 || options.verify) ++result->files_read;
    auto meta = target->Head(rel);
    if (!meta) throw NotFound(target->DisplayPath(rel) + " disappeared during the migration");
    if (meta->size != file.size) {
      throw InvalidInput(target->DisplayPath(rel) + " changed during the migration");
    }
    AddFile add;
    add.path = EncodeLogPath(rel);
    for (const auto& p : plan.partitions) {
      columnar::Value v = TypedPartitionValue(file.partition_values.at(p.name), p.type);
      add.partition_values.insert_or_assign(p.name, SerializePartitionValue(v, p.type));
    }
    add.size = meta->size;
    add.modification_time = meta->modification_time_ms;
    add.data_change = true;
    add.stats = stats.ToJson();
    result->rows_added += stats.num_records();
    result->bytes_added += add.size;
    ++result->files_added;
    txn.AddFile(std::move(add));
  }
  if (snapshot && options.mode == WriteMode::kOverwrite) {
    txn.TrackRead(nullptr);
    for (const auto& f : snapshot->files()) {
      if (adopted.count(storage::UriDecode(f.path))) continue;
      txn.TrackReadFile(f.path);
      txn.RemoveFile(RemoveFor(f, now));
      ++result->files_removed;
    }
  }
  if (snapshot && !metadata && result->files_added == 0 && result->files_removed == 0) {
    result->version = snapshot->version();  // nothing new to adopt
    return;
  }
  CommitResult c = txn.Commit();
  result->version = c.version;
  result->checkpoint_error = c.checkpoint_error;
}

}  // namespace

std::string_view MigrateMethodName(MigrateMethod method) {
  return method == MigrateMethod::kCopy ? "copy" : "in-place";
}

void ContentFingerprint::AddBatch(const RecordBatch& batch) {
  const Schema& schema = batch.schema();
  std::vector<size_t> order(schema.num_fields());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return schema.field(a).name < schema.field(b).name; });
  std::string line;
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    line.clear();
    line += '{';
    bool first = true;
    for (size_t i : order) {
      const auto& col = batch.column(i);
      if (col.IsNull(r)) continue;
      if (!first) line += ',';
      first = false;
      columnar::AppendJsonString(schema.field(i).name, &line);
      line += ':';
      columnar::AppendJsonValue(col, r, columnar::JsonStyle::kCanonical, &line);
    }
    line += '}';
    FieldHasher h;
    h.Str(line);
    std::string hex = h.Hex();
    hi += std::stoull(hex.substr(0, 16), nullptr, 16);
    lo += std::stoull(hex.substr(16, 16), nullptr, 16);
  }
  rows += batch.num_rows();
}

void ContentFingerprint::Add(const ContentFingerprint& other) {
  rows += other.rows;
  hi += other.hi;
  lo += other.lo;
}

std::string ContentFingerprint::Hex() const {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(hi),
                static_cast<unsigned long long>(lo));
  return buf;
}

ContentFingerprint FingerprintTable(const std::shared_ptr<storage::ObjectStore>& store,
                                    std::optional<int64_t> version) {
  SnapshotBuilder b(store);
  if (version) b.AtVersion(*version);
  Scan scan = ScanBuilder(b.Build()).Build();
  ContentFingerprint fp;
  scan.Execute([&](const RecordBatch& batch) { fp.AddBatch(batch); });
  return fp;
}

MigratePlan PlanMigration(const std::string& source, const std::string& target,
                          const MigrateOptions& options) {
  if (options.mode != WriteMode::kAppend && options.mode != WriteMode::kOverwrite &&
      options.mode != WriteMode::kErrorIfExists) {
    throw InvalidInput("migration mode must be overwrite, append or error");
  }
  MigratePlan plan;
  plan.source = source;
  plan.target = target;
  plan.method = options.method;
  plan.mode = options.mode;
  SourceStore src = OpenSource(source, options.storage_options);
  plan.source_is_file = !src.single_key.empty();

  // Discovery.
  std::vector<storage::ObjectMeta> objects;
  if (plan.source_is_file) {
    auto meta = src.store->Head(src.single_key);
    if (!meta) throw NotFound("migration source " + source + " does not exist");
    objects.push_back(*meta);
  } else {
    for (auto& o : src.store->ListRecursive("")) {
      if (IsHidden(o.key) || !IsParquetName(o.key)) continue;
      objects.push_back(std::move(o));
    }
  }
  if (objects.empty()) throw InvalidInput("no Parquet files found in " + source);

  // Hive partition directories.
  std::vector<std::string> part_names;
  std::map<std::string, std::vector<std::optional<std::string>>> part_values;
  for (size_t i = 0; i < objects.size(); ++i) {
    const std::string& key = objects[i].key;
    MigrateSourceFile f;
    f.key = key;
    f.size = objects[i].size;
    f.modification_time_ms = objects[i].modification_time_ms;
    std::vector<std::string> names;
    size_t start = 0;
    for (size_t slash; (slash = key.find('/', start)) != std::string::npos; start = slash + 1) {
      std::string_view seg(key.data() + start, slash - start);
      auto eq = seg.find('=');
      if (eq == std::string_view::npos || eq == 0) continue;  // a plain directory
      std::string name = UnescapeHivePathName(seg.substr(0, eq));
      std::string value = UnescapeHivePathName(seg.substr(eq + 1));
      std::optional<std::string> v;
      if (value != kHiveDefaultPartition && !value.empty()) v = value;
      if (f.partition_values.count(name)) {
        throw InvalidInput("partition column " + name + " appears twice in the path of " +
                           src.store->DisplayPath(key));
      }
      f.partition_values.insert_or_assign(name, v);
      names.push_back(name);
    }
    if (i == 0) {
      part_names = names;
    } else if (names != part_names) {
      auto list = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& n : v) s += (s.empty() ? "" : ", ") + n;
        return "[" + s + "]";
      };
      throw InvalidInput(
          "inconsistent partition directories: " + src.store->DisplayPath(objects[0].key) +
          " has " + list(part_names) + ", " + src.store->DisplayPath(key) + " has " + list(names));
    }
    for (const auto& n : names) part_values[n].push_back(f.partition_values.at(n));
    plan.files.push_back(std::move(f));
  }
  for (const auto& name : part_names) {
    bool all_int = true, all_date = true;
    for (const auto& v : part_values[name]) {
      if (!v) continue;
      all_int = all_int && ParsesAsInt64(*v);
      all_date = all_date && ParseIsoDate(*v).has_value();
    }
    bool any = std::any_of(part_values[name].begin(), part_values[name].end(),
                           [](const auto& v) { return v.has_value(); });
    TypePtr type = columnar::DataType::String();
    if (any && all_int) {
      type = columnar::DataType::Int64();
    } else if (any && all_date) {
      type = columnar::DataType::Date();
    }
    plan.partitions.push_back({name, type});
  }

  // Footers: row counts and schemas.
  for (auto& f : plan.files) {
    std::string name = src.store->DisplayPath(f.key);
    try {
      auto reader = parquet::ParquetFileReader::Open(src.store->OpenForRead(f.key));
      f.rows = reader->num_rows();
      f.schema = reader->schema();
    } catch (const Error& e) {
      RethrowNamingFile(e, name);
    }
    for (const auto& p : part_names) {
      if (f.schema.FieldIndex(p) >= 0) {
        throw InvalidInput("column " + p + " of " + name +
                           " is also a partition directory in its path");
      }
    }
    plan.rows += f.rows;
    plan.bytes += f.size;
  }

  // The union of the schemas.
  Schema data = plan.files[0].schema;
  int64_t merged_files = 0;
  for (size_t i = 1; i < plan.files.size(); ++i) {
    const MigrateSourceFile& f = plan.files[i];
    if (f.schema.Equals(plan.files[0].schema)) continue;
    if (options.schema_mode != SchemaMode::kMerge) {
      plan.conflicts.push_back("the files' schemas differ: " +
                               SchemaDifference(plan.files[0].schema,
                                                src.store->DisplayPath(plan.files[0].key), f.schema,
                                                src.store->DisplayPath(f.key)) +
                               " (use --schema-mode merge to take their union)");
      break;
    }
    try {
      data = MergeSchemas(WithNullability(data, true), WithNullability(f.schema, true), true);
    } catch (const InvalidInput& e) {
      throw InvalidInput("cannot merge the schema of " + src.store->DisplayPath(f.key) +
                         " into that of the files before it: " + e.what());
    }
    ++merged_files;
  }
  if (merged_files > 0) {
    plan.notes.push_back(std::to_string(merged_files) +
                         " file(s) with another schema than the first merged in");
  }
  if (options.schema_mode == SchemaMode::kMerge && plan.files.size() > 1) {
    // Not null only where every file has the column, not null.
    std::vector<Field> fields = data.fields();
    for (auto& field : fields) {
      bool required = true;
      for (const auto& f : plan.files) {
        int j = f.schema.FieldIndex(field.name);
        required = required && j >= 0 && !f.schema.field(static_cast<size_t>(j)).nullable;
      }
      field.nullable = !required;
    }
    data = Schema(std::move(fields));
  }
  std::vector<Field> table_fields = data.fields();
  for (const auto& p : plan.partitions) table_fields.emplace_back(p.name, p.type, true);
  plan.schema = Schema(std::move(table_fields));
  plan.schema_fingerprint = columnar::SchemaFingerprint(plan.schema);

  // Partitioning of the table.
  plan.partition_by = options.partition_by.empty() ? part_names : options.partition_by;
  for (const auto& c : plan.partition_by) {
    if (plan.schema.FieldIndex(c) < 0) {
      plan.conflicts.push_back("partition column " + c + " is not a column of the source");
    }
  }
  if (options.method == MigrateMethod::kInPlace) {
    std::set<std::string> want(plan.partition_by.begin(), plan.partition_by.end());
    std::set<std::string> have(part_names.begin(), part_names.end());
    if (want != have) {
      plan.conflicts.push_back(
          "--partition-by must name the partition directories of the source in place (use "
          "--copy to repartition)");
    }
  }

  // The target.
  auto target_store = storage::OpenObjectStore(target, options.storage_options);
  auto snapshot = TryOpenTable(target_store);
  if (snapshot) {
    plan.target_version = snapshot->version();
    if (options.mode == WriteMode::kErrorIfExists) {
      plan.conflicts.push_back(target + " is already a Delta table (version " +
                               std::to_string(snapshot->version()) +
                               "); use --mode append or --mode overwrite");
    } else if (options.mode == WriteMode::kAppend && !options.partition_by.empty() &&
               snapshot->partition_columns() != options.partition_by) {
      plan.conflicts.push_back("the table at " + target +
                               " is partitioned differently from --partition-by");
    }
    if (options.mode == WriteMode::kAppend && options.partition_by.empty()) {
      plan.partition_by = snapshot->partition_columns();
    }
  }
  if (options.method == MigrateMethod::kInPlace) {
    std::filesystem::path troot = LocalRoot(*target_store);
    std::filesystem::path sroot = LocalRoot(*src.store);
    if (troot.empty() || sroot.empty()) {
      plan.conflicts.push_back("in-place migration needs local directories");
    } else {
      auto rel = sroot.lexically_relative(troot);
      std::string r = rel.generic_string();
      if (rel.empty() || r == ".." || r.rfind("../", 0) == 0) {
        plan.conflicts.push_back(
            "in place, the target must be the source directory or contain "
            "it (" +
            source + " is not inside " + target + ")");
      } else if (r != ".") {
        plan.table_prefix = r + "/";
      }
    }
    if (snapshot) {
      std::set<std::string> existing;
      for (const auto& f : snapshot->files()) existing.insert(storage::UriDecode(f.path));
      int64_t already = 0;
      for (const auto& f : plan.files) already += existing.count(plan.table_prefix + f.key);
      if (already > 0) {
        plan.notes.push_back(std::to_string(already) +
                             " file(s) already in the table are kept as they are");
      }
    }
  } else if (!snapshot) {
    for (const auto& o : target_store->List("")) {
      if (!o.key.empty() && o.key[0] != '.' && o.key[0] != '_') {
        plan.conflicts.push_back(target + " holds other files (e.g. " + o.key +
                                 "); copy into an empty directory, or use --in-place");
        break;
      }
    }
  }
  return plan;
}

MigrateResult Migrate(const std::string& source, const std::string& target,
                      const MigrateOptions& options) {
  MigrateResult result;
  result.plan = PlanMigration(source, target, options);
  CheckPlan(result.plan);
  SourceStore src = OpenSource(source, options.storage_options);
  auto target_store = storage::OpenObjectStore(target, options.storage_options);
  ContentFingerprint before;
  if (options.verify && options.mode == WriteMode::kAppend && result.plan.target_version >= 0) {
    before = FingerprintTable(target_store, result.plan.target_version);
  }
  if (options.method == MigrateMethod::kCopy) {
    CopyInto(src, target_store, options, &result);
  } else {
    AdoptInPlace(src, target_store, options, &result);
  }
  if (options.verify) {
    result.expected_fingerprint = before;
    if (options.method == MigrateMethod::kInPlace && options.mode == WriteMode::kOverwrite &&
        result.plan.target_version >= 0) {
      // Files the table already held were kept without being read: read the whole source.
      result.expected_fingerprint = ContentFingerprint{};
      for (size_t i = 0; i < result.plan.files.size(); ++i) {
        SourceFileReader reader(*src.store, result.plan, i);
        while (auto b = reader.Next()) result.expected_fingerprint.AddBatch(*b);
      }
    } else {
      result.expected_fingerprint.Add(result.source_fingerprint);
    }
    result.verification =
        VerifyMigration(target, result.expected_fingerprint, options.storage_options);
  }
  return result;
}

MigrateVerification VerifyMigration(const std::string& target, const ContentFingerprint& expected,
                                    const storage::StorageOptions& storage_options) {
  MigrateVerification v;
  v.expected = expected;
  v.actual = FingerprintTable(storage::OpenObjectStore(target, storage_options));
  if (v.actual.rows != expected.rows) {
    v.message = "row counts differ: the table has " + std::to_string(v.actual.rows) +
                " rows, the source " + std::to_string(expected.rows);
  } else if (!(v.actual == expected)) {
    v.message =
        "content fingerprints differ: table " + v.actual.Hex() + ", source " + expected.Hex();
  } else {
    v.ok = true;
    v.message = "row counts and content fingerprints match";
  }
  return v;
}

}  // namespace cpglake::delta
