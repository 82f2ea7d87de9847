#include "delta/writer.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <unordered_map>

#include "columnar/value_format.h"
#include "common/ascii.h"
#include "common/error.h"
#include "common/ids.h"
#include "delta/data_file_writer.h"
#include "delta/deletion_vector.h"
#include "delta/file_pruning.h"
#include "delta/file_stats_writer.h"
#include "delta/partitioning.h"
#include "delta/scan.h"
#include "delta/schema_json.h"
#include "delta/stats.h"
#include "expr/binder.h"
#include "expr/cast.h"
#include "expr/evaluator.h"
#include "expr/parser.h"

namespace cpglake::delta {

namespace {

using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;
using columnar::TypeId;
using columnar::TypePtr;

int64_t NowMs(const std::optional<int64_t>& injected) {
  if (injected) return *injected;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FieldList(const std::vector<Field>& fields) {
  std::string out;
  for (const auto& f : fields) out += (out.empty() ? "" : ", ") + f.name + " " + f.type->ToString();
  return out;
}

// Widenings Delta's type widening allows (and which a plain write may cast the data to).
bool IsWidening(const DataType& from, const DataType& to) {
  const TypeId f = from.id(), t = to.id();
  if (f == t && f != TypeId::kDecimal) return false;
  if (columnar::IsIntegerType(f) && columnar::IsIntegerType(t)) {
    return columnar::IntegerWidth(f) < columnar::IntegerWidth(t);
  }
  if (f == TypeId::kFloat32 && t == TypeId::kFloat64) return true;
  if (columnar::IsIntegerType(f) && t == TypeId::kFloat64) return columnar::IntegerWidth(f) <= 4;
  if (f == TypeId::kDecimal && t == TypeId::kDecimal) {
    return to.scale() >= from.scale() &&
           to.precision() - to.scale() >= from.precision() - from.scale() &&
           (to.precision() != from.precision() || to.scale() != from.scale());
  }
  if (columnar::IsIntegerType(f) && t == TypeId::kDecimal) {
    const int digits = columnar::IntegerWidth(f) == 1   ? 3
                       : columnar::IntegerWidth(f) == 2 ? 5
                       : columnar::IntegerWidth(f) == 4 ? 10
                                                        : 20;
    return to.precision() - to.scale() >= digits;
  }
  if (f == TypeId::kDate && t == TypeId::kTimestampNtz) return true;
  return false;
}

TypePtr MergeType(const TypePtr& table, const TypePtr& data, bool widen, const std::string& path);

std::vector<Field> MergeFields(const std::vector<Field>& table, const std::vector<Field>& data,
                               bool widen, const std::string& path) {
  std::vector<Field> out = table;
  for (const auto& d : data) {
    const std::string where = path.empty() ? d.name : path + "." + d.name;
    int i = FindField(out, d.name);
    if (i < 0) {
      Field added = d;
      added.nullable = true;
      out.push_back(std::move(added));
      continue;
    }
    out[static_cast<size_t>(i)].type =
        MergeType(out[static_cast<size_t>(i)].type, d.type, widen, where);
  }
  return out;
}

TypePtr MergeType(const TypePtr& table, const TypePtr& data, bool widen, const std::string& path) {
  if (table->Equals(*data)) return table;
  if (data->id() == TypeId::kNull) return table;  // an all-null column fits any type
  if (table->id() == TypeId::kStruct && data->id() == TypeId::kStruct) {
    return DataType::Struct(MergeFields(table->fields(), data->fields(), widen, path));
  }
  if (table->id() == TypeId::kList && data->id() == TypeId::kList) {
    Field e = table->element();
    e.type = MergeType(e.type, data->element().type, widen, path + ".element");
    return DataType::List(e);
  }
  if (table->id() == TypeId::kMap && data->id() == TypeId::kMap) {
    Field k = table->key(), v = table->value();
    k.type = MergeType(k.type, data->key().type, widen, path + ".key");
    v.type = MergeType(v.type, data->value().type, widen, path + ".value");
    return DataType::Map(k, v);
  }
  if (IsWidening(*data, *table)) return table;  // the data is cast up on write
  if (IsWidening(*table, *data)) {
    if (widen) return data;
    throw InvalidInput("column " + path + " is " + table->ToString() + " in the table but " +
                       data->ToString() +
                       " in the data: widening it needs delta.enableTypeWidening = true");
  }
  throw InvalidInput("column " + path + " is " + table->ToString() + " in the table but " +
                     data->ToString() + " in the data, which cannot be merged");
}

// Checks that `data` fits `table` without changing the schema; throws InvalidInput listing
// every difference.
void CheckFits(const Schema& table, const Schema& data) {
  std::vector<std::string> problems;
  std::function<void(const std::vector<Field>&, const std::vector<Field>&, const std::string&)>
      check =
          [&](const std::vector<Field>& t, const std::vector<Field>& d, const std::string& path) {
            for (const auto& df : d) {
              const std::string where = path.empty() ? df.name : path + "." + df.name;
              int i = FindField(t, df.name);
              if (i < 0) {
                problems.push_back("column " + where + " (" + df.type->ToString() +
                                   ") is not in the table");
                continue;
              }
              const Field& tf = t[static_cast<size_t>(i)];
              if (tf.type->id() == TypeId::kStruct && df.type->id() == TypeId::kStruct) {
                check(tf.type->fields(), df.type->fields(), where);
              } else if (!tf.type->Equals(*df.type) && df.type->id() != TypeId::kNull &&
                         !IsWidening(*df.type, *tf.type)) {
                problems.push_back("column " + where + " is " + tf.type->ToString() +
                                   " in the table but " + df.type->ToString() + " in the data");
              }
            }
            for (const auto& tf : t) {
              if (FindField(d, tf.name) < 0 && !tf.nullable) {
                problems.push_back("non-nullable column " +
                                   (path.empty() ? tf.name : path + "." + tf.name) +
                                   " is missing from the data");
              }
            }
          };
  check(table.fields(), data.fields(), "");
  if (problems.empty()) return;
  std::string msg = "the data does not match the table schema: ";
  for (size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
  msg += " (table: " + FieldList(table.fields()) + "; use --schema-mode merge to add columns)";
  throw InvalidInput(msg);
}

// Whether the store holds anything that is not a Delta table (files, but no _delta_log).
void CheckNotForeignData(storage::ObjectStore& store) {
  for (const auto& o : store.List("")) {
    const std::string& k = o.key;
    if (!k.empty() && k[0] != '.' && k[0] != '_') {
      throw InvalidInput(store.DisplayPath("") +
                         " is not a Delta table but holds other files (e.g. " + k +
                         "); write to an empty directory, or convert Parquet data with "
                         "`cpglake migrate`");
    }
  }
}

std::shared_ptr<const Snapshot> TryOpen(const std::shared_ptr<storage::ObjectStore>& store) {
  try {
    return SnapshotBuilder(store).Build();
  } catch (const NotFound&) {
    // No log at all (an empty or missing directory): a new table. A log with commits that
    // cannot be read is another error and propagates.
    if (!store->List("_delta_log").empty()) throw;
    CheckNotForeignData(*store);
    return nullptr;
  }
}

void CheckPartitionColumns(const Schema& schema, const std::vector<std::string>& cols) {
  std::set<std::string> seen;
  for (const auto& c : cols) {
    int i = schema.FieldIndex(c);
    if (i < 0) {
      throw InvalidInput("partition column '" + c + "' is not in the schema (" +
                         FieldList(schema.fields()) + ")");
    }
    if (!seen.insert(c).second) throw InvalidInput("partition column '" + c + "' is given twice");
    const auto& t = *schema.field(static_cast<size_t>(i)).type;
    if (t.is_nested()) {
      throw InvalidInput("partition column '" + c + "' has type " + t.ToString() +
                         ", which cannot be a partition column");
    }
  }
  if (!cols.empty() && cols.size() >= schema.num_fields()) {
    throw InvalidInput("every column is a partition column: a Delta table needs a data column");
  }
}

Metadata NewMetadata(const Schema& schema, const std::vector<std::string>& partition_by,
                     const std::map<std::string, std::string>& properties,
                     const std::optional<std::string>& name,
                     const std::optional<std::string>& description, int64_t now) {
  CheckPartitionColumns(schema, partition_by);
  Metadata m;
  m.id = RandomUuid();
  m.name = name;
  m.description = description;
  m.partition_columns = partition_by;
  m.configuration = properties;
  m.created_time = now;
  Schema s = schema;
  auto mode_it = properties.find("delta.columnMapping.mode");
  if (mode_it != properties.end() &&
      ParseColumnMappingMode(mode_it->second) != ColumnMappingMode::kNone) {
    s = AssignColumnMapping(s, &m.configuration);
  }
  m.schema_string = SerializeDeltaSchema(s);
  return m;
}

bool SchemaHasType(const std::vector<Field>& fields, TypeId id) {
  for (const auto& f : fields) {
    if (f.type->id() == id) return true;
    if (SchemaHasType(f.type->fields(), id)) return true;
  }
  return false;
}

}  // namespace

WriteMode ParseWriteMode(std::string_view text) {
  const std::string t = AsciiLower(text);
  if (t == "append") return WriteMode::kAppend;
  if (t == "overwrite") return WriteMode::kOverwrite;
  if (t == "error" || t == "errorifexists") return WriteMode::kErrorIfExists;
  if (t == "ignore") return WriteMode::kIgnore;
  throw InvalidInput("unknown write mode '" + std::string(text) +
                     "': use append, overwrite, error or ignore");
}

std::string_view WriteModeName(WriteMode mode) {
  switch (mode) {
    case WriteMode::kAppend:
      return "Append";
    case WriteMode::kOverwrite:
      return "Overwrite";
    case WriteMode::kErrorIfExists:
      return "ErrorIfExists";
    case WriteMode::kIgnore:
      return "Ignore";
  }
  return "Append";
}

SchemaMode ParseSchemaMode(std::string_view text) {
  const std::string t = AsciiLower(text);
  if (t == "strict" || t == "none" || t.empty()) return SchemaMode::kStrict;
  if (t == "merge") return SchemaMode::kMerge;
  if (t == "overwrite") return SchemaMode::kOverwrite;
  throw InvalidInput("unknown schema mode '" + std::string(text) + "': use merge or overwrite");
}

Protocol RequiredProtocol(const Protocol& current, const Metadata& metadata,
                          ProtocolUpgrade upgrade) {
  const auto& conf = metadata.configuration;
  auto on = [&](const std::string& key) {
    auto it = conf.find(key);
    return it != conf.end() && AsciiLower(it->second) == "true";
  };
  std::set<std::string> reader, writer;  // features needed (reader ones also in writer)
  auto both = [&](const std::string& f) {
    reader.insert(f);
    writer.insert(f);
  };
  bool needs_table_features = false;
  int legacy_reader = 1, legacy_writer = 2;
  if (on("delta.appendOnly")) writer.insert("appendOnly");
  if (on("delta.enableChangeDataFeed")) {
    writer.insert("changeDataFeed");
    legacy_writer = std::max(legacy_writer, 4);
  }
  auto cm = conf.find("delta.columnMapping.mode");
  if (cm != conf.end() && ParseColumnMappingMode(cm->second) != ColumnMappingMode::kNone) {
    both("columnMapping");
    legacy_reader = std::max(legacy_reader, 2);
    legacy_writer = std::max(legacy_writer, 5);
  }
  if (on("delta.enableDeletionVectors")) {
    both("deletionVectors");
    needs_table_features = true;
  }
  if (on("delta.enableRowTracking")) {
    writer.insert("rowTracking");
    writer.insert("domainMetadata");
    needs_table_features = true;
  }
  if (on("delta.enableInCommitTimestamps")) {
    writer.insert("inCommitTimestamp");
    needs_table_features = true;
  }
  if (on("delta.enableTypeWidening")) {
    both("typeWidening");
    needs_table_features = true;
  }
  auto cp = conf.find("delta.checkpointPolicy");
  if (cp != conf.end() && AsciiLower(cp->second) == "v2") {
    both("v2Checkpoint");
    needs_table_features = true;
  }
  Schema schema = ParseDeltaSchema(metadata.schema_string);
  if (SchemaHasType(schema.fields(), TypeId::kTimestampNtz)) {
    both("timestampNtz");
    needs_table_features = true;
  }
  static const std::set<std::string> kReaderWriterFeatures = {
      "columnMapping",        "deletionVectors", "timestampNtz",       "typeWidening",
      "typeWidening-preview", "v2Checkpoint",    "vacuumProtocolCheck"};
  for (const auto& [k, v] : conf) {
    if (k.rfind("delta.feature.", 0) != 0) continue;
    const std::string name = k.substr(14);
    if (AsciiLower(v) != "supported" && AsciiLower(v) != "enabled") {
      throw InvalidInput("table property " + k + " must be 'supported'");
    }
    if (!SupportedWriterFeatures().count(name)) {
      throw Unsupported("cpglake cannot write tables with feature '" + name + "'");
    }
    writer.insert(name);
    if (kReaderWriterFeatures.count(name)) reader.insert(name);
    needs_table_features = true;
  }
  for (const auto& f : writer) {
    if (!SupportedWriterFeatures().count(f)) {
      throw Unsupported("cpglake cannot write tables with feature '" + f + "'");
    }
  }

  // An existing table turning on a legacy feature it lacks gets table features.
  if (upgrade == ProtocolUpgrade::kTableFeatures &&
      (legacy_writer > current.min_writer_version || legacy_reader > current.min_reader_version)) {
    needs_table_features = true;
  }
  Protocol p = current;
  const bool current_has_features = current.min_writer_version >= 7;
  if (!needs_table_features && !current_has_features) {
    p.min_reader_version = std::max(current.min_reader_version, legacy_reader);
    p.min_writer_version = std::max(current.min_writer_version, legacy_writer);
    return p;
  }
  // Table features: list what the current (legacy) versions implied, plus what is needed.
  std::set<std::string> w, r;
  if (current_has_features) {
    if (current.writer_features)
      w.insert(current.writer_features->begin(), current.writer_features->end());
    if (current.reader_features)
      r.insert(current.reader_features->begin(), current.reader_features->end());
  } else {
    const int cw = current.min_writer_version;
    if (cw >= 2) w.insert({"appendOnly", "invariants"});
    if (cw >= 3) w.insert("checkConstraints");
    if (cw >= 4) w.insert({"changeDataFeed", "generatedColumns"});
    if (cw >= 5) w.insert("columnMapping");
    if (cw >= 6) w.insert("identityColumns");
    if (current.min_reader_version >= 2) r.insert("columnMapping");
  }
  w.insert(writer.begin(), writer.end());
  r.insert(reader.begin(), reader.end());
  p.min_writer_version = 7;
  p.writer_features = std::vector<std::string>(w.begin(), w.end());
  if (r.empty() && current.min_reader_version < 3) {
    p.min_reader_version = std::max(current.min_reader_version, 1);
    p.reader_features.reset();
  } else {
    p.min_reader_version = 3;
    p.reader_features = std::vector<std::string>(r.begin(), r.end());
  }
  return p;
}

columnar::Schema MergeSchemas(const columnar::Schema& table, const columnar::Schema& data,
                              bool allow_type_widening) {
  return Schema(MergeFields(table.fields(), data.fields(), allow_type_widening, ""));
}

columnar::Schema AssignColumnMapping(const columnar::Schema& schema,
                                     std::map<std::string, std::string>* configuration) {
  int64_t max_id = 0;
  auto it = configuration->find("delta.columnMapping.maxColumnId");
  if (it != configuration->end()) max_id = std::stoll(it->second);
  std::function<Field(const Field&)> assign = [&](const Field& f) {
    Field out = f;
    if (!ColumnMappingId(f)) {
      out.metadata.emplace_back("delta.columnMapping.id", std::to_string(++max_id));
    }
    if (!f.FindMetadata("delta.columnMapping.physicalName")) {
      // Field metadata values are JSON text.
      out.metadata.emplace_back("delta.columnMapping.physicalName", "\"col-" + RandomUuid() + "\"");
    }
    if (f.type->id() == TypeId::kStruct) {
      std::vector<Field> children;
      for (const auto& c : f.type->fields()) children.push_back(assign(c));
      out.type = DataType::Struct(std::move(children));
    }
    return out;
  };
  std::vector<Field> fields;
  for (const auto& f : schema.fields()) fields.push_back(assign(f));
  (*configuration)["delta.columnMapping.maxColumnId"] = std::to_string(max_id);
  return Schema(std::move(fields));
}

WriteResult WriteDeltaTable(const std::shared_ptr<storage::ObjectStore>& store,
                            const columnar::RecordBatch& data, const WriteOptions& options) {
  bool done = false;
  return WriteDeltaTable(
      store, data.schema(),
      [&]() -> std::optional<RecordBatch> {
        if (done) return std::nullopt;
        done = true;
        return data;
      },
      options);
}

WriteResult WriteDeltaTable(const std::shared_ptr<storage::ObjectStore>& store,
                            const columnar::Schema& data_schema, const BatchSource& source,
                            const WriteOptions& options) {
  const int64_t now = NowMs(options.now_ms);
  auto snapshot = TryOpen(store);
  WriteResult result;
  if (snapshot) {
    if (options.mode == WriteMode::kErrorIfExists) {
      throw InvalidInput(store->DisplayPath("") + " is already a Delta table (version " +
                         std::to_string(snapshot->version()) + "); use mode append or overwrite");
    }
    if (options.mode == WriteMode::kIgnore) {
      result.version = snapshot->version();
      result.skipped = true;
      result.skip_reason = "the table exists (mode ignore)";
      return result;
    }
    CheckWritable(snapshot->config());
  }
  if (options.app_id.has_value() != options.app_version.has_value()) {
    throw InvalidInput("an application transaction needs both an app id and a version");
  }
  if (snapshot && options.app_id) {
    auto it = snapshot->app_transactions().find(*options.app_id);
    if (it != snapshot->app_transactions().end() && it->second.version >= *options.app_version) {
      result.version = snapshot->version();
      result.skipped = true;
      result.skip_reason = "application transaction '" + *options.app_id +
                           "' is already at version " + std::to_string(it->second.version);
      return result;
    }
  }
  if (options.schema_mode == SchemaMode::kOverwrite && options.mode != WriteMode::kOverwrite) {
    throw InvalidInput("schema mode overwrite needs write mode overwrite");
  }
  if (options.predicate && options.mode != WriteMode::kOverwrite) {
    throw InvalidInput("a predicate (replaceWhere) needs write mode overwrite");
  }
  if (options.predicate && options.schema_mode == SchemaMode::kOverwrite) {
    throw InvalidInput("a predicate (replaceWhere) cannot be combined with schema mode overwrite");
  }

  CommitOptions co;
  co.operation = snapshot ? "WRITE" : "CREATE TABLE AS SELECT";
  co.operation_parameters["mode"] = std::string(WriteModeName(options.mode));
  co.commit_properties = options.commit_properties;
  co.now_ms = options.now_ms;
  co.isolation = options.isolation;
  co.checkpoint = options.checkpoint;
  Transaction txn(store, snapshot, co);

  // The table's metadata and protocol after this write.
  std::optional<Metadata> new_metadata;
  std::vector<std::string> partition_by;
  if (!snapshot) {
    partition_by = options.partition_by;
    new_metadata = NewMetadata(data_schema, partition_by, options.properties, options.name,
                               options.description, now);
  } else {
    const Metadata& old = snapshot->metadata();
    partition_by = old.partition_columns;
    Metadata m = old;
    bool changed = false;
    if (options.schema_mode == SchemaMode::kOverwrite) {
      std::vector<std::string> parts = options.partition_by;
      if (parts.empty()) {
        for (const auto& c : old.partition_columns) {
          if (data_schema.FieldIndex(c) >= 0) parts.push_back(c);
        }
      }
      CheckPartitionColumns(data_schema, parts);
      Schema s = data_schema;
      if (snapshot->config().column_mapping_mode() != ColumnMappingMode::kNone) {
        s = AssignColumnMapping(s, &m.configuration);
      }
      m.schema_string = SerializeDeltaSchema(s);
      m.partition_columns = parts;
      partition_by = parts;
      changed = true;
    } else {
      if (!options.partition_by.empty() && options.partition_by != old.partition_columns) {
        std::string have;
        for (const auto& c : old.partition_columns) have += (have.empty() ? "" : ", ") + c;
        throw InvalidInput("the table is partitioned by [" + have +
                           "]; a write cannot change that (use mode overwrite with schema mode "
                           "overwrite)");
      }
      const Schema& table_schema = snapshot->schema();
      if (options.schema_mode == SchemaMode::kMerge) {
        Schema merged = MergeSchemas(table_schema, data_schema,
                                     snapshot->config().BoolProperty("delta.enableTypeWidening"));
        if (!merged.Equals(table_schema, true)) {
          if (snapshot->config().column_mapping_mode() != ColumnMappingMode::kNone) {
            merged = AssignColumnMapping(merged, &m.configuration);
          }
          m.schema_string = SerializeDeltaSchema(merged);
          changed = true;
        }
      } else {
        CheckFits(table_schema, data_schema);
      }
    }
    for (const auto& [k, v] : options.properties) {
      auto it = m.configuration.find(k);
      if (it == m.configuration.end() || it->second != v) {
        m.configuration[k] = v;
        changed = true;
      }
    }
    if (changed) new_metadata = std::move(m);
  }
  if (new_metadata) {
    const Protocol current = snapshot ? snapshot->protocol() : Protocol{1, 2, {}, {}};
    Protocol p = RequiredProtocol(
        current, *new_metadata,
        snapshot ? ProtocolUpgrade::kTableFeatures : ProtocolUpgrade::kLegacyVersions);
    if (!snapshot || !(p == snapshot->protocol())) txn.UpdateProtocol(p);
    txn.UpdateMetadata(*new_metadata);
  }
  co.operation_parameters["partitionBy"] = [&] {
    std::string s = "[";
    for (size_t i = 0; i < partition_by.size(); ++i) {
      s += (i ? "," : "") + std::string("\"") + partition_by[i] + "\"";
    }
    return s + "]";
  }();
  if (options.predicate) co.operation_parameters["predicate"] = *options.predicate;
  txn.options().operation_parameters = co.operation_parameters;
  if (options.app_id) txn.SetAppTransaction(*options.app_id, *options.app_version);

  const TableConfiguration& config = txn.config();
  CheckWritable(config);
  expr::ExprPtr predicate;
  if (options.predicate) {
    predicate = expr::BindPredicate(*expr::ParsePredicate(*options.predicate), config.schema());
  }

  DataFileWriter files(*store, config, options, now);
  std::vector<std::string> written;
  try {
    // Rows replaced by a replaceWhere overwrite: files wholly matching are removed; files
    // partly matching are rewritten with their other rows.
    if (snapshot && options.mode == WriteMode::kOverwrite) {
      txn.TrackRead(options.predicate ? expr::ParsePredicate(*options.predicate) : nullptr);
      std::set<std::string> pred_cols;
      if (predicate) {
        for (const auto& path : expr::ReferencedColumns(*predicate)) pred_cols.insert(path.front());
      }
      const std::set<std::string> part_cols(snapshot->partition_columns().begin(),
                                            snapshot->partition_columns().end());
      const bool partition_only =
          predicate && std::all_of(pred_cols.begin(), pred_cols.end(),
                                   [&](const std::string& c) { return part_cols.count(c) > 0; });
      const auto& read_config = snapshot->config();
      std::vector<int> all;
      for (size_t i = 0; i < read_config.schema().num_fields(); ++i)
        all.push_back(static_cast<int>(i));
      expr::ExprPtr read_pred;
      if (predicate)
        read_pred =
            expr::BindPredicate(*expr::ParsePredicate(*options.predicate), read_config.schema());
      std::optional<FilePruner> pruner;
      if (read_pred) pruner.emplace(read_config, *read_pred);
      for (const auto& f : snapshot->files()) {
        if (!predicate) {
          txn.RemoveFile(RemoveFor(f, now));
          result.totals.rows_removed += LiveRows(f);
          continue;
        }
        if (pruner->Prune(f) != FilePrune::kMaybe) continue;
        if (partition_only) {
          txn.RemoveFile(RemoveFor(f, now));
          result.totals.rows_removed += LiveRows(f);
          continue;
        }
        // Read the file's live rows; keep those that do not match.
        std::optional<DeletionVector> dv;
        if (f.deletion_vector) dv = LoadDeletionVector(*f.deletion_vector, *store);
        std::vector<RecordBatch> keep_batches;
        int64_t matched = 0;
        ReadTableFile(read_config, *store, f.path, f.partition_values, all, {},
                      [&](const RecordBatch& batch, int64_t first_row) {
                        const int64_t rows = batch.num_rows();
                        columnar::Bitmap live(rows, true);
                        if (dv) ApplyDeletionVector(*dv, first_row, rows, &live);
                        columnar::Bitmap match = expr::EvaluateFilter(*read_pred, batch);
                        columnar::Bitmap keep(rows, false);
                        for (int64_t i = 0; i < rows; ++i) {
                          if (!live.Get(i)) continue;
                          if (match.Get(i)) {
                            ++matched;
                          } else {
                            keep.Set(i, true);
                          }
                        }
                        keep_batches.push_back(batch.Filter(keep));
                      });
        if (matched == 0) continue;
        txn.RemoveFile(RemoveFor(f, now));
        result.totals.rows_removed += matched;
        for (const auto& b : keep_batches) {
          if (b.num_rows() > 0) files.Write(AlignBatch(b, config.schema()));
        }
      }
    }

    while (auto batch = source()) {
      if (!batch->schema().Equals(data_schema)) {
        throw InvalidInput("a batch's schema differs from the declared data schema");
      }
      RecordBatch aligned = AlignBatch(*batch, config.schema());
      if (predicate) {
        columnar::Bitmap ok = expr::EvaluateFilter(*predicate, aligned);
        for (int64_t i = 0; i < aligned.num_rows(); ++i) {
          if (!ok.Get(i)) {
            std::string row;
            columnar::AppendJsonRow(aligned, i, columnar::JsonStyle::kReadable, &row);
            throw InvalidInput("a written row does not satisfy the replaceWhere predicate '" +
                               *options.predicate + "': " + row);
          }
        }
      }
      files.Write(aligned);
    }
    std::vector<AddFile> adds = files.Close();
    written = files.written_keys();
    for (auto& a : adds) txn.AddFile(std::move(a));
    CommitResult cr = txn.Commit();
    result.version = cr.version;
    result.attempts = cr.attempts;
    result.commit_info = cr.commit_info;
    result.checkpoint_version = cr.checkpoint_version;
    result.checkpoint_error = cr.checkpoint_error;
    result.totals.files_added = cr.files_added;
    result.totals.rows_added = cr.rows_added;
    result.totals.bytes_added = cr.bytes_added;
    result.totals.files_removed = cr.files_removed;
    result.totals.bytes_removed = cr.bytes_removed;
    result.partitions = files.partitions();
    for (const auto& rm : txn.staged_removes()) {
      auto& m = result.partitions[HivePartitionPath(
          [&] {
            std::vector<std::string> cols;
            for (const auto& [k, v] : rm.partition_values) cols.push_back(k);
            return cols;
          }(),
          rm.partition_values)];
      m.files_removed += 1;
      m.bytes_removed += rm.size.value_or(0);
    }
    return result;
  } catch (...) {
    // Unless a commit may reference them, nothing does: remove the files written so far
    // (best effort; leftovers are unreferenced garbage for vacuum).
    if (txn.maybe_committed()) throw;
    for (const auto& k : files.written_keys()) {
      try {
        store->Delete(k);
      } catch (...) {
      }
    }
    throw;
  }
}

WriteResult CreateDeltaTable(const std::shared_ptr<storage::ObjectStore>& store,
                             const CreateOptions& options) {
  const int64_t now = NowMs(options.now_ms);
  auto snapshot = TryOpen(store);
  WriteResult result;
  if (snapshot) {
    if (options.mode == WriteMode::kIgnore) {
      result.version = snapshot->version();
      result.skipped = true;
      result.skip_reason = "the table exists (mode ignore)";
      return result;
    }
    throw InvalidInput(store->DisplayPath("") + " is already a Delta table (version " +
                       std::to_string(snapshot->version()) + ")");
  }
  if (options.schema.num_fields() == 0) throw InvalidInput("a table needs at least one column");
  Metadata m = NewMetadata(options.schema, options.partition_by, options.properties, options.name,
                           options.description, now);
  CommitOptions co;
  co.operation = "CREATE TABLE";
  co.commit_properties = options.commit_properties;
  co.now_ms = options.now_ms;
  std::string parts = "[";
  for (size_t i = 0; i < options.partition_by.size(); ++i) {
    parts += (i ? ",\"" : "\"") + options.partition_by[i] + "\"";
  }
  co.operation_parameters = {{"partitionBy", parts + "]"}, {"isManaged", "false"}};
  if (options.description) co.operation_parameters["description"] = *options.description;
  Transaction txn(store, nullptr, co);
  txn.UpdateProtocol(RequiredProtocol(Protocol{1, 2, {}, {}}, m));
  txn.UpdateMetadata(m);
  CommitResult cr = txn.Commit();
  result.version = cr.version;
  result.attempts = cr.attempts;
  result.commit_info = cr.commit_info;
  result.checkpoint_version = cr.checkpoint_version;
  result.checkpoint_error = cr.checkpoint_error;
  return result;
}

WriteResult SetTableProperties(const std::shared_ptr<storage::ObjectStore>& store,
                               const std::map<std::string, std::string>& set,
                               const std::vector<std::string>& unset,
                               const std::map<std::string, std::string>& commit_properties,
                               std::optional<int64_t> now_ms) {
  auto snapshot = SnapshotBuilder(store).Build();
  CheckWritable(snapshot->config());
  Metadata m = snapshot->metadata();
  for (const auto& k : unset) {
    if (!m.configuration.erase(k)) {
      throw InvalidInput("table property '" + k + "' is not set");
    }
  }
  for (const auto& [k, v] : set) {
    if (k == "delta.columnMapping.mode" &&
        ParseColumnMappingMode(v) != snapshot->config().column_mapping_mode()) {
      if (snapshot->config().column_mapping_mode() != ColumnMappingMode::kNone) {
        throw Unsupported("changing the column mapping mode of a table is not supported");
      }
      m.configuration[k] = v;
      m.schema_string =
          SerializeDeltaSchema(AssignColumnMapping(snapshot->schema(), &m.configuration));
      continue;
    }
    m.configuration[k] = v;
  }
  CommitOptions co;
  co.operation = unset.empty() ? "SET TBLPROPERTIES" : "UNSET TBLPROPERTIES";
  std::string props = "{";
  for (const auto& [k, v] : set)
    props += (props.size() > 1 ? "," : "") + ("\"" + k + "\":\"" + v + "\"");
  co.operation_parameters["properties"] = props + "}";
  co.commit_properties = commit_properties;
  co.now_ms = now_ms;
  Transaction txn(store, snapshot, co);
  Protocol p = RequiredProtocol(snapshot->protocol(), m, ProtocolUpgrade::kTableFeatures);
  if (!(p == snapshot->protocol())) txn.UpdateProtocol(p);
  txn.UpdateMetadata(m);
  CommitResult cr = txn.Commit();
  WriteResult result;
  result.version = cr.version;
  result.attempts = cr.attempts;
  result.commit_info = cr.commit_info;
  result.checkpoint_version = cr.checkpoint_version;
  result.checkpoint_error = cr.checkpoint_error;
  return result;
}

}  // namespace cpglake::delta
