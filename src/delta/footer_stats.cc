#include "delta/footer_stats.h"

#include <cmath>
#include <optional>

#include "delta/data_file_writer.h"

namespace cpglake::delta {

namespace {

using columnar::TypeId;
using parquet::LeafConversion;
using parquet::ReadNode;
using parquet::Type;

bool IsInteger(TypeId id) {
  return id == TypeId::kInt8 || id == TypeId::kInt16 || id == TypeId::kInt32 ||
         id == TypeId::kInt64;
}

// "" when the file's column (type `file`) holds values of the table's type `table` whose
// footer bounds are bounds of the table's values; else why not.
std::string TypesAgree(const columnar::DataType& file, const columnar::DataType& table) {
  if (file.id() == table.id()) {
    if (table.id() == TypeId::kDecimal && file.scale() != table.scale()) {
      return "decimal scale differs from the table's";
    }
    return "";
  }
  if (IsInteger(file.id()) && IsInteger(table.id())) return "";  // widened
  return "type " + file.ToString() + " in the file, " + table.ToString() + " in the table";
}

// Why the footer cannot give this column's stats, or "" when it did (the stats are merged).
std::string MergeColumn(const parquet::ParquetFileReader& reader, int field,
                        const columnar::Field& table_field, size_t leaf,
                        FileStatsCollector* stats) {
  const ReadNode& node = reader.file_schema().fields().at(static_cast<size_t>(field));
  if (node.kind != ReadNode::Kind::kLeaf || node.leaf < 0) return "not a primitive column";
  if (std::string why =
          TypesAgree(*reader.schema().field(static_cast<size_t>(field)).type, *table_field.type);
      !why.empty()) {
    return why;
  }
  const StatKind bounds = StatKindOf(table_field.type->id());
  const auto& orders = reader.metadata().column_orders;
  const bool type_order =
      static_cast<size_t>(node.leaf) < orders.size() &&
      orders[static_cast<size_t>(node.leaf)].kind == parquet::ColumnOrder::Kind::TYPE_ORDER;
  if (bounds != StatKind::kNullCountOnly) {
    if (!orders.empty() && !type_order) return "unrecognised column order";
    const bool unsigned_order = node.physical == Type::BYTE_ARRAY ||
                                node.physical == Type::FIXED_LEN_BYTE_ARRAY ||
                                node.conversion == LeafConversion::kUInt32ToInt64 ||
                                node.conversion == LeafConversion::kUInt8ToInt16 ||
                                node.conversion == LeafConversion::kUInt16ToInt32 ||
                                node.conversion == LeafConversion::kUInt64ToDecimal;
    if (unsigned_order && !type_order) return "no column order (min/max order undefined)";
    if (node.conversion == LeafConversion::kUuidToString) return "UUID bounds";
  }
  int64_t null_count = 0;
  std::optional<columnar::Value> min, max;
  auto less = [&](const columnar::Value& a, const columnar::Value& b) {
    switch (bounds) {
      case StatKind::kInteger:
        return a.as_int() < b.as_int();
      case StatKind::kFloat:
        return a.as_double() < b.as_double();
      case StatKind::kDecimal:
        return a.as_decimal() < b.as_decimal();
      case StatKind::kString:
        return a.as_string() < b.as_string();
      case StatKind::kNullCountOnly:
        break;
    }
    return false;
  };
  for (int rg = 0; rg < reader.num_row_groups(); ++rg) {
    const int64_t rows = reader.metadata().row_groups[static_cast<size_t>(rg)].num_rows;
    const parquet::ColumnChunkStats chunk = reader.RowGroupStats(rg, field);
    if (!chunk.null_count) return "no null count";
    if (*chunk.null_count < 0 || *chunk.null_count > rows) return "null count out of range";
    null_count += *chunk.null_count;
    if (bounds == StatKind::kNullCountOnly || *chunk.null_count == rows) continue;
    if (!chunk.min || !chunk.max || chunk.min->is_null() || chunk.max->is_null()) {
      return "no usable min/max";
    }
    const auto& st = *reader.metadata()
                          .row_groups[static_cast<size_t>(rg)]
                          .columns[static_cast<size_t>(node.leaf)]
                          .meta_data->statistics;
    if (st.is_max_value_exact && !*st.is_max_value_exact) return "inexact (truncated) max";
    if (st.is_min_value_exact && !*st.is_min_value_exact) return "inexact (truncated) min";
    if (bounds == StatKind::kFloat) {
      if (!st.nan_count) return "no NaN count (NaN would be the max)";
      if (*st.nan_count != 0) return "holds NaN";
      if (std::isnan(chunk.min->as_double()) || std::isnan(chunk.max->as_double())) {
        return "NaN bound";
      }
    }
    if (less(*chunk.max, *chunk.min)) return "min above max";
    if (!min || less(*chunk.min, *min)) min = chunk.min;
    if (!max || less(*max, *chunk.max)) max = chunk.max;
  }
  if (!table_field.nullable && null_count > 0) return "nulls in a non-nullable column";
  stats->MergeLeaf(leaf, null_count, min, max);
  return "";
}

}  // namespace

FooterStatsOutcome MergeFooterStats(const parquet::ParquetFileReader& reader,
                                    const columnar::Schema& table_schema,
                                    FileStatsCollector* stats) {
  FooterStatsOutcome out;
  const std::vector<FileStatsCollector::LeafColumn> leaves = stats->Leaves();
  out.from_data.assign(leaves.size(), false);
  out.reasons.assign(leaves.size(), "");
  stats->AddRecords(reader.num_rows());
  for (size_t i = 0; i < leaves.size(); ++i) {
    const auto& leaf = leaves[i];
    std::string why;
    const int t = leaf.path.empty() ? -1 : table_schema.FieldIndex(leaf.path[0]);
    if (leaf.path.size() != 1) {
      why = "nested column";
    } else if (t < 0) {
      why = "not in the source schema";
    } else {
      const columnar::Field& table_field = table_schema.field(static_cast<size_t>(t));
      const int f = FindField(reader.schema(), leaf.path[0]);  // as AlignBatch finds it
      if (f < 0) {
        if (table_field.nullable) {
          stats->MergeLeaf(i, reader.num_rows(), std::nullopt, std::nullopt);  // all null
        } else {
          why = "a non-nullable column missing from the file";
        }
      } else {
        why = MergeColumn(reader, f, table_field, i, stats);
      }
    }
    if (!why.empty()) {
      out.from_data[i] = true;
      out.reasons[i] = std::move(why);
      ++out.leaves_from_data;
    } else {
      ++out.leaves_from_footer;
    }
  }
  return out;
}

}  // namespace cpglake::delta
