// The write side of per-file statistics: FileStatsCollector accumulates the rows written to
// one data file and renders the `add.stats` JSON that ParseFileStatistics (delta/stats.h)
// reads back:
//
//   {"numRecords":N,"minValues":{...},"maxValues":{...},"nullCount":{...}[,"tightBounds":true]}
//
// The rules follow delta-spark (StatisticsCollection.scala, DataSkippingReader.scala) and are
// checked against Spark-written stats in the acceptance corpus (file_stats_writer_test.cc):
//   - Which columns: the table's data columns (partition columns excluded), in schema order.
//     With `delta.dataSkippingStatsColumns` set, exactly the listed columns (comma-separated,
//     nested fields with dots, `backticks` for names with special characters, matched without
//     regard to case; a struct means all of its fields). Otherwise the first
//     `delta.dataSkippingNumIndexedCols` leaf columns (default 32, -1 = all), counting each
//     field inside a struct as one leaf and an array or map as one leaf.
//   - Keys are physical names under column mapping; struct fields nest as JSON objects.
//   - minValues / maxValues for byte, short, int, long, float, double, decimal, date,
//     timestamp, timestamp_ntz and string (Spark's SkippingEligibleDataType) — not for
//     boolean, binary, arrays, maps or void. A column whose values are all null has no entry;
//     a struct with at least one such column always has an object, possibly empty; the
//     `minValues` object is there when some column could have a bound (as Spark writes it).
//   - nullCount for every selected leaf, arrays and maps counted as a whole; a value inside
//     a null struct counts as null. A selected column missing from the batches counts as all
//     null (Spark does the same for columns missing from the written data).
//   - Strings: the min is cut to `string_prefix_length` (32) characters (code points; Spark's
//     spark.databricks.io.skipping.stringPrefixLength — a session setting, not a table
//     property). A longer max is cut after that many characters, further characters >=
//     U+FFFD are kept, and U+FFFD is appended (Spark's truncateMaxStringAgg tie-breaker), so
//     it stays >= every value in UTF-8 byte order; cuts never split a UTF-8 sequence. If
//     more than `string_prefix_length` characters >= U+FFFD follow the prefix, the last
//     character of the prefix is incremented instead (parquet::TruncateMax). A bound that
//     is not valid UTF-8 is left out (it cannot be written as JSON text).
//   - Floats: NaN counts as larger than every number (Spark's ordering), so a column holding
//     NaN has max "NaN", and min "NaN" only when every value is NaN; ±Infinity and NaN are
//     JSON strings ("Infinity", as Jackson writes them for Spark). -0.0 is preferred as a
//     min and 0.0 as a max. Numbers are printed as Java does (FormatJavaFloat/Double).
//   - Decimals: JSON numbers with exactly `scale` fraction digits (123.40). Dates:
//     "YYYY-MM-DD". Timestamps: "YYYY-MM-DDTHH:MM:SS.mmmZ" (timestamp_ntz without the Z),
//     milliseconds as Spark writes them. The min is truncated down to the millisecond; the
//     max is rounded *up* to the next millisecond (Spark truncates it down and its reader
//     adds 1 ms; rounding up keeps the max an upper bound for every reader, and values
//     that are whole milliseconds print exactly as Spark prints them).
//   - tightBounds: Spark writes "tightBounds":true on every new file when the table's
//     protocol supports deletion vectors (StatisticsCollection.statsCollector); the config
//     says whether to write it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "columnar/record_batch.h"
#include "columnar/types.h"
#include "columnar/value.h"
#include "delta/actions.h"
#include "delta/schema_json.h"
#include "delta/table_configuration.h"

namespace cpglake::delta {

// What to collect. Build it with StatsConfigForTable / StatsConfigForMetadata, or by hand.
struct StatsConfig {
  columnar::Schema table_schema;               // logical, with column-mapping metadata
  std::vector<std::string> partition_columns;  // logical names; never get stats
  ColumnMappingMode column_mapping = ColumnMappingMode::kNone;
  int64_t num_indexed_cols = 32;  // delta.dataSkippingNumIndexedCols; -1 = every column
  // delta.dataSkippingStatsColumns, parsed (logical name paths); takes precedence over
  // num_indexed_cols when present.
  std::optional<std::vector<std::vector<std::string>>> stats_columns;
  int string_prefix_length = 32;
  bool tight_bounds = false;  // write "tightBounds":true
};

inline constexpr std::string_view kNumIndexedColsKey = "delta.dataSkippingNumIndexedCols";
inline constexpr std::string_view kStatsColumnsKey = "delta.dataSkippingStatsColumns";

// The configuration of a table: schema, partition columns, column mapping mode, the two
// table properties above, and tight_bounds when the protocol supports deletion vectors.
// InvalidInput for a property value that does not parse.
StatsConfig StatsConfigForTable(const TableConfiguration& table);
// The same from a metaData action (e.g. one about to be committed) and whether the
// protocol supports deletion vectors.
StatsConfig StatsConfigForMetadata(const Metadata& metadata, bool deletion_vectors_supported);

// Parses a delta.dataSkippingStatsColumns value: "a, b.c, `d.e`.f, `x``y`" → {{a}, {b, c},
// {d.e, f}, {x`y}}. Blank text is an empty list. InvalidInput for empty names or an
// unterminated backtick.
std::vector<std::vector<std::string>> ParseStatsColumnList(std::string_view text);

// Which Delta bounds (minValues / maxValues) a column of this type gets: integers (with
// dates and timestamps), floats, decimals, strings, or none (a null count only).
enum class StatKind { kNullCountOnly, kInteger, kFloat, kDecimal, kString };
StatKind StatKindOf(columnar::TypeId id);

class FileStatsCollector {
 public:
  explicit FileStatsCollector(StatsConfig config);
  ~FileStatsCollector();
  FileStatsCollector(FileStatsCollector&&) noexcept;
  FileStatsCollector& operator=(FileStatsCollector&&) noexcept;

  // Adds the rows of one batch written to the file. Columns are found by logical or
  // physical name (top level and inside structs); partition columns and columns without
  // stats are ignored. InvalidInput when a selected column has another type in the batch
  // than in the table (cast before writing).
  void Update(const columnar::RecordBatch& batch);

  int64_t num_records() const { return num_records_; }

  // Stats gathered elsewhere, leaf by leaf (cpglake migrate --in-place takes them from the
  // Parquet footers: delta/footer_stats.h). A selected leaf column: its logical names from the
  // top-level field down, and its table type (an array or map counts as one leaf).
  struct LeafColumn {
    std::vector<std::string> path;
    columnar::TypePtr type;
  };
  // The selected leaves; a leaf's index is its position here (schema order).
  std::vector<LeafColumn> Leaves() const;
  // Counts `rows` more records without looking at values (with MergeLeaf / UpdateLeaves).
  void AddRecords(int64_t rows) { num_records_ += rows; }
  // Merges into leaf `leaf` a null count and, when some value was not null, a lower bound
  // `min` and an upper bound `max` of the values, as values of the leaf's type (integers,
  // dates and timestamps as integers of any width; nullopt for a leaf without bounds).
  // Bounds must be exact or conservative: the rendered min/max is only as good as they are.
  // InvalidInput when a bound has a type that does not fit the leaf.
  void MergeLeaf(size_t leaf, int64_t null_count, const std::optional<columnar::Value>& min,
                 const std::optional<columnar::Value>& max);
  // Update for the leaves flagged in `only` (indices as in Leaves()); other leaves and the
  // record count are left alone. A flagged leaf whose column the batch lacks counts as null.
  void UpdateLeaves(const columnar::RecordBatch& batch, const std::vector<bool>& only);
  // The stats JSON of everything added so far.
  std::string ToJson() const;

  // The selected leaf columns as logical dotted paths ("a", "s.x"), in schema order: the
  // data-skipping columns a build manifest reports.
  std::vector<std::string> IndexedColumns() const;

  struct Node;
  struct Leaf;

 private:
  void UpdateSome(const columnar::RecordBatch& batch, const std::vector<bool>* only);

  StatsConfig config_;
  std::vector<Node> roots_;
  std::vector<Leaf> leaves_;
  int64_t num_records_ = 0;
};

}  // namespace cpglake::delta
