// Delta add-action statistics from a Parquet file's footer (cpglake migrate --in-place): the
// row count and, per selected stats column, the null count and min/max aggregated over the
// row groups' column-chunk statistics — without reading the data. A column whose footer
// statistics cannot give exact-or-conservative Delta bounds is left to the caller, who reads
// that column's data (FileStatsCollector::UpdateLeaves). Rules (docs/delta.md, "Migration"):
//
//   - Only top-level primitive columns: fields inside structs, lists and maps are read (their
//     Delta null counts follow other rules than the Parquet leaves').
//   - Every row group needs a null count (Parquet leaves it optional); a count above the row
//     group's rows is corrupt: read the data.
//   - A row group with a non-null value needs a min and a max this reader trusts
//     (ParquetFileReader::RowGroupStats: min_value/max_value, the deprecated min/max only for
//     signed numbers; none for INT96 or FLOAT16). Byte arrays, fixed-length byte arrays and
//     unsigned integers also need a TYPE_ORDER column order (without one, min_value/max_value
//     have no defined order); an unrecognised column order rules out every bound.
//   - A bound flagged inexact (is_min/max_value_exact = false: a truncated string) is not
//     used. A truncated max is an upper bound only if the writer incremented it, and though
//     a truncated min is still a lower bound, reading keeps the stats those of the data:
//     footer stats always equal the stats a copy computes (tests/delta/footer_stats_test.cc).
//   - Floats and doubles need nan_count = 0 in every row group: Parquet statistics leave NaN
//     out, while Delta (as Spark) orders NaN above every number, so a column holding NaN must
//     have max NaN. Few writers write nan_count, so floats are usually read.
//   - Booleans, binaries and other types without Delta bounds need only the null counts.
//   - A column the file lacks counts as all null (as when the data is read); a non-nullable
//     column that the file lacks or whose null count is not 0 is read, so that reading it
//     raises the same error as a copy would.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "columnar/types.h"
#include "delta/file_stats_writer.h"
#include "parquet/file_reader.h"

namespace cpglake::delta {

struct FooterStatsOutcome {
  // Per leaf of the collector (FileStatsCollector::Leaves()): true when its stats must come
  // from the data.
  std::vector<bool> from_data;
  // Per leaf: why it is read ("" when the footer gave its stats).
  std::vector<std::string> reasons;
  int64_t leaves_from_footer = 0, leaves_from_data = 0;
};

// Adds the file's row count and the stats of every leaf its footer can give to `stats`.
// `table_schema`: the table's fields (for nullability). Never reads column data.
FooterStatsOutcome MergeFooterStats(const parquet::ParquetFileReader& reader,
                                    const columnar::Schema& table_schema,
                                    FileStatsCollector* stats);

}  // namespace cpglake::delta
