// `cpglake parquet schema|meta|cat`: debugging tools for the Parquet files in our tables.
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "columnar/value_format.h"
#include "parquet/file_reader.h"

namespace cpglake::cli {

namespace {

using nlohmann::ordered_json;
using parquet::ParquetFileReader;

std::string LogicalTypeText(const parquet::SchemaElement& e) {
  using K = parquet::LogicalType::Kind;
  if (e.logical_type) {
    const auto& lt = *e.logical_type;
    auto unit = [&] {
      return lt.unit == parquet::TimeUnit::MILLIS   ? "MILLIS"
             : lt.unit == parquet::TimeUnit::MICROS ? "MICROS"
                                                    : "NANOS";
    };
    switch (lt.kind) {
      case K::STRING:
        return "STRING";
      case K::MAP:
        return "MAP";
      case K::LIST:
        return "LIST";
      case K::ENUM:
        return "ENUM";
      case K::DECIMAL:
        return "DECIMAL(" + std::to_string(lt.precision) + "," + std::to_string(lt.scale) + ")";
      case K::DATE:
        return "DATE";
      case K::TIME:
        return std::string("TIME(") + unit() + (lt.is_adjusted_to_utc ? ",UTC)" : ")");
      case K::TIMESTAMP:
        return std::string("TIMESTAMP(") + unit() + (lt.is_adjusted_to_utc ? ",UTC)" : ")");
      case K::INTEGER:
        return std::string(lt.is_signed ? "INT(" : "UINT(") + std::to_string(lt.bit_width) + ")";
      case K::UNKNOWN:
        return "NULL";
      case K::JSON:
        return "JSON";
      case K::BSON:
        return "BSON";
      case K::UUID:
        return "UUID";
      case K::FLOAT16:
        return "FLOAT16";
      case K::VARIANT:
        return "VARIANT";
      case K::GEOMETRY:
        return "GEOMETRY";
      case K::GEOGRAPHY:
        return "GEOGRAPHY";
      case K::UNRECOGNIZED:
        return "UNRECOGNIZED";
    }
  }
  if (e.converted_type) return std::string(parquet::ConvertedTypeName(*e.converted_type));
  return "";
}

std::string RepetitionText(const parquet::SchemaElement& e) {
  if (!e.repetition_type) return "";
  switch (*e.repetition_type) {
    case parquet::FieldRepetitionType::REQUIRED:
      return "required";
    case parquet::FieldRepetitionType::OPTIONAL:
      return "optional";
    case parquet::FieldRepetitionType::REPEATED:
      return "repeated";
  }
  return "";
}

int RunSchema(const std::string& path, const GlobalOptions& g) {
  auto reader = ParquetFileReader::OpenPath(path);
  const auto& md = reader->metadata();
  if (g.json) {
    ordered_json j;
    j["file"] = path;
    auto& cols = j["columns"] = ordered_json::array();
    for (const auto& f : reader->schema().fields()) {
      cols.push_back({{"name", f.name}, {"type", f.type->ToString()}, {"nullable", f.nullable}});
    }
    auto& elems = j["parquet_schema"] = ordered_json::array();
    for (const auto& e : md.schema) {
      ordered_json x{{"name", e.name}};
      if (e.repetition_type) x["repetition"] = RepetitionText(e);
      if (e.type) x["physical_type"] = parquet::TypeName(*e.type);
      if (e.type_length) x["type_length"] = *e.type_length;
      if (e.num_children) x["num_children"] = *e.num_children;
      std::string lt = LogicalTypeText(e);
      if (!lt.empty()) x["logical_type"] = lt;
      if (e.field_id) x["field_id"] = *e.field_id;
      elems.push_back(x);
    }
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%s", reader->schema().ToString().c_str());
  std::printf("\nParquet schema:\n");
  // Indent by nesting depth.
  std::vector<int> remaining;
  for (const auto& e : md.schema) {
    std::string indent(remaining.size() * 2, ' ');
    std::string line = indent + RepetitionText(e) +
                       (e.type ? " " + std::string(parquet::TypeName(*e.type)) : " group") + " " +
                       e.name;
    if (e.type_length && e.type && *e.type == parquet::Type::FIXED_LEN_BYTE_ARRAY) {
      line += " (" + std::to_string(*e.type_length) + " bytes)";
    }
    std::string lt = LogicalTypeText(e);
    if (!lt.empty()) line += " [" + lt + "]";
    std::printf("%s\n", line.c_str());
    if (!remaining.empty()) --remaining.back();
    if (e.num_children && *e.num_children > 0) remaining.push_back(*e.num_children);
    while (!remaining.empty() && remaining.back() == 0) remaining.pop_back();
  }
  return 0;
}

std::string StatText(const std::optional<columnar::Value>& v) {
  return v ? v->ToString() : "";
}

int RunMeta(const std::string& path, const GlobalOptions& g) {
  auto reader = ParquetFileReader::OpenPath(path);
  const auto& md = reader->metadata();
  const auto& fs = reader->file_schema();
  ordered_json j;
  j["file"] = path;
  j["created_by"] = md.created_by.value_or("");
  j["format_version"] = md.version;
  j["num_rows"] = md.num_rows;
  j["num_row_groups"] = md.row_groups.size();
  auto& kv = j["key_value_metadata"] = ordered_json::object();
  for (const auto& k : md.key_value_metadata) kv[k.key] = k.value.value_or("");
  auto& rgs = j["row_groups"] = ordered_json::array();
  for (size_t g = 0; g < md.row_groups.size(); ++g) {
    const auto& rg = md.row_groups[g];
    ordered_json r{
        {"index", g}, {"num_rows", rg.num_rows}, {"total_byte_size", rg.total_byte_size}};
    auto& cols = r["columns"] = ordered_json::array();
    for (size_t c = 0; c < rg.columns.size(); ++c) {
      const auto& m = *rg.columns[c].meta_data;
      ordered_json col{{"path", fs.leaf_path(static_cast<int>(c))},
                       {"physical_type", parquet::TypeName(m.type)},
                       {"codec", parquet::CompressionCodecName(m.codec)},
                       {"num_values", m.num_values},
                       {"compressed_bytes", m.total_compressed_size},
                       {"uncompressed_bytes", m.total_uncompressed_size}};
      auto& encs = col["encodings"] = ordered_json::array();
      for (auto e : m.encodings) encs.push_back(parquet::EncodingName(e));
      if (m.statistics) {
        ordered_json st = ordered_json::object();
        if (m.statistics->null_count) st["null_count"] = *m.statistics->null_count;
        if (m.statistics->distinct_count) st["distinct_count"] = *m.statistics->distinct_count;
        col["statistics"] = st;
      }
      if (m.bloom_filter_offset) {
        col["bloom_filter"] = {{"offset", *m.bloom_filter_offset}};
        if (m.bloom_filter_length) col["bloom_filter"]["length"] = *m.bloom_filter_length;
      }
      cols.push_back(col);
    }
    // Decoded min/max for top-level primitive fields.
    for (size_t f = 0; f < reader->schema().num_fields(); ++f) {
      auto st = reader->RowGroupStats(static_cast<int>(g), static_cast<int>(f));
      const auto& node = fs.fields()[f];
      if (node.kind != parquet::ReadNode::Kind::kLeaf || node.leaf < 0) continue;
      auto& col = cols[node.leaf];
      if (!col.contains("statistics")) col["statistics"] = ordered_json::object();
      if (st.min) col["statistics"]["min"] = StatText(st.min);
      if (st.max) col["statistics"]["max"] = StatText(st.max);
    }
    rgs.push_back(r);
  }
  if (g.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("file:        %s\ncreated by:  %s\nrows:        %lld\nrow groups:  %zu\n",
              path.c_str(), md.created_by.value_or("?").c_str(),
              static_cast<long long>(md.num_rows), md.row_groups.size());
  for (const auto& k : md.key_value_metadata) {
    std::string v = k.value.value_or("");
    if (v.size() > 100) v = v.substr(0, 100) + "…";
    std::printf("metadata:    %s = %s\n", k.key.c_str(), v.c_str());
  }
  for (const auto& r : j["row_groups"]) {
    std::printf("\nrow group %d: %lld rows, %lld bytes\n", r["index"].get<int>(),
                r["num_rows"].get<long long>(), r["total_byte_size"].get<long long>());
    for (const auto& c : r["columns"]) {
      std::string encs;
      for (const auto& e : c["encodings"]) encs += (encs.empty() ? "" : ",") + e.get<std::string>();
      std::printf("  %-30s %-20s %-8s %10lld -> %10lld bytes  [%s]",
                  c["path"].get<std::string>().c_str(),
                  c["physical_type"].get<std::string>().c_str(),
                  c["codec"].get<std::string>().c_str(), c["uncompressed_bytes"].get<long long>(),
                  c["compressed_bytes"].get<long long>(), encs.c_str());
      if (c.contains("statistics")) {
        const auto& st = c["statistics"];
        if (st.contains("min")) std::printf(" min=%s", st["min"].get<std::string>().c_str());
        if (st.contains("max")) std::printf(" max=%s", st["max"].get<std::string>().c_str());
        if (st.contains("null_count"))
          std::printf(" nulls=%lld", st["null_count"].get<long long>());
      }
      if (c.contains("bloom_filter") && c["bloom_filter"].contains("length")) {
        std::printf(" bloom=%lld bytes", c["bloom_filter"]["length"].get<long long>());
      } else if (c.contains("bloom_filter")) {
        std::printf(" bloom=yes");
      }
      std::printf("\n");
    }
  }
  return 0;
}

int RunCat(const std::string& path, const std::string& columns, int64_t limit,
           const std::string& format) {
  RowFormat fmt = ParseRowFormat(format);
  auto reader = ParquetFileReader::OpenPath(path);
  std::vector<int> fields;
  if (!columns.empty()) fields = reader->ResolveColumns(SplitComma(columns));
  RowPrinter printer(fmt, stdout);
  int64_t printed = 0;
  for (int g = 0; g < reader->num_row_groups(); ++g) {
    if (limit >= 0 && printed >= limit) break;
    auto batch = reader->ReadRowGroup(g, fields);
    int64_t n = batch.num_rows();
    if (limit >= 0) n = std::min(n, limit - printed);
    printer.Print(batch, 0, n);
    printed += n;
  }
  if (reader->num_row_groups() == 0) {
    printer.Print(columnar::RecordBatch::MakeEmpty(
        fields.empty() ? reader->schema() : reader->ReadRowGroup(0, fields).schema()));
  }
  printer.Finish();
  return 0;
}

}  // namespace

void RegisterParquetCommands(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* pq = app.add_subcommand("parquet", "Inspect Parquet files (debugging tools)");
  pq->require_subcommand(1);
  pq->fallthrough();

  static std::string path, columns, format = "table";
  static int64_t limit = -1;

  auto* schema = pq->add_subcommand("schema", "Print the columns and the Parquet schema tree");
  schema->add_option("FILE", path, "Parquet file")->required();
  schema->callback([&] { action = [&] { return RunSchema(path, global); }; });

  auto* meta = pq->add_subcommand(
      "meta", "Print row groups, column chunks, encodings, codecs and statistics");
  meta->add_option("FILE", path, "Parquet file")->required();
  meta->callback([&] { action = [&] { return RunMeta(path, global); }; });

  auto* cat = pq->add_subcommand("cat", "Print the rows of a Parquet file");
  cat->add_option("FILE", path, "Parquet file")->required();
  cat->add_option("--columns", columns, "Comma-separated top-level columns to print");
  cat->add_option("--limit", limit, "Print at most N rows");
  cat->add_option("--format", format, "table, csv or jsonl")->capture_default_str();
  cat->callback([&] { action = [&] { return RunCat(path, columns, limit, format); }; });
}

}  // namespace cpglake::cli
