// Partitioned writes: partition values as Delta stores them in `add.partitionValues`
// (PROTOCOL.md "Partition Value Serialization"), the Hive-style directory of a partition
// (`a=1/b=__HIVE_DEFAULT_PARTITION__/`), the URI-encoded `add.path`, and the split of a
// record batch into one batch per partition. The reading side is ParsePartitionValue
// (delta/stats.h) and storage::UriDecode; every function here round-trips through them.
//
// What Spark does, and so what we do (checked against the acceptance corpus,
// tests/delta/partitioning_test.cc):
//   - Values: null → null; the empty string → null too (PROTOCOL.md: "an empty string for any
//     type translates to a null partition value"; Spark derives partitionValues from the
//     directory, where "" and null are both __HIVE_DEFAULT_PARTITION__). Strings as they are;
//     integers in decimal; booleans `true`/`false`; dates `YYYY-MM-DD`; decimals as plain text
//     with exactly `scale` fraction digits (`12.30`, never an exponent); floats and doubles as
//     Java's Float.toString / Double.toString print them (shortest round-trip digits, `1.0`,
//     `1.0E10`, `NaN`, `Infinity`), which is Spark's cast to string; binary as its bytes.
//   - timestamp (with time zone): by default ISO-8601 in UTC with six fraction digits,
//     `2024-01-02T03:04:05.123456Z` — what delta-spark writes since
//     `spark.databricks.delta.write.utcTimestampPartitionValues` (default true) and what
//     PROTOCOL.md recommends. TimestampStyle::kSpaceSeparated gives the older Spark form
//     `2024-01-02 03:04:05[.ffffff]` (fraction without trailing zeros), here in UTC.
//   - timestamp_ntz: always `YYYY-MM-DD HH:MM:SS[.ffffff]` (fraction without trailing
//     zeros), as Spark writes it.
//   - Directories: Hive's escapePathName (Spark ExternalCatalogUtils) applied to the column
//     name and the value: the bytes 0x01-0x1F, 0x7F and `"#%'*/:=?\{[]^` become `%XX`
//     (upper-case hex); we also escape 0x00, which Spark leaves alone (no file system takes
//     it). Null and "" become __HIVE_DEFAULT_PARTITION__.
//   - `add.path`: the relative path as Hadoop's Path.toUri().toString() spells it (Java's
//     multi-argument URI constructor): ASCII letters, digits and `-_.!~*'(),;:$&+=/@` stay;
//     every other ASCII byte, `%` included, becomes `%XX`; non-ASCII characters stay as UTF-8
//     text except control (U+0080-U+009F) and space characters (Unicode Zs/Zl/Zp), which are
//     percent-encoded byte by byte, as are bytes that are not valid UTF-8.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "columnar/record_batch.h"
#include "columnar/types.h"
#include "columnar/value.h"
#include "delta/actions.h"
#include "delta/schema_json.h"

namespace cpglake::delta {

enum class TimestampStyle {
  kIso8601Utc,      // 2024-01-02T03:04:05.123456Z (delta-spark's default since 3.x)
  kSpaceSeparated,  // 2024-01-02 03:04:05.123456 (older Spark), interpreted as UTC
};

struct PartitionValueOptions {
  TimestampStyle timestamp_style = TimestampStyle::kIso8601Utc;
};

// The partitionValues string of `v`, a value of `type`. nullopt for null and for the empty
// string. InvalidInput for types that cannot be partition columns (struct, array, map) and
// for a binary value that is not valid UTF-8 (the log is JSON text: it cannot hold it).
std::optional<std::string> SerializePartitionValue(const columnar::Value& v,
                                                   const columnar::TypePtr& type,
                                                   const PartitionValueOptions& options = {});

// Java's Double.toString / Float.toString (JDK 19+: shortest digits that round-trip): at
// least one fraction digit; plain between 1e-3 and 1e7, else `d.dddE[-]n`; "NaN",
// "Infinity", "-Infinity", "-0.0". What Spark prints for a float/double.
std::string FormatJavaDouble(double d);
std::string FormatJavaFloat(float f);

// Hive's escapePathName (see above) and its inverse (a `%` not followed by two hex digits
// stays as it is, as in Spark's unescapePathName).
std::string EscapeHivePathName(std::string_view s);
std::string UnescapeHivePathName(std::string_view s);

inline constexpr std::string_view kHiveDefaultPartition = "__HIVE_DEFAULT_PARTITION__";

// "col1=v1/col2=v2/" for the partition columns in this order (physical names under column
// mapping, the keys of `values`); "" without partition columns. InvalidInput when a column
// has no entry in `values`.
std::string HivePartitionPath(const std::vector<std::string>& partition_columns,
                              const PartitionValues& values);

struct HivePartition {
  std::vector<std::string> columns;  // in path order
  PartitionValues values;            // __HIVE_DEFAULT_PARTITION__ read as null
};
// The inverse of HivePartitionPath, for a (decoded) relative path such as
// "a=1/b=x%3Ay/part-0.parquet": every segment must be `name=value` except a last segment
// without '=' (the file name). InvalidInput for other segments, an empty name, or a column
// named twice.
HivePartition ParseHivePartitionPath(std::string_view relative_path);

// The `add.path` spelling of a relative path (see above); storage::UriDecode gives
// `relative_path` back exactly.
std::string EncodeLogPath(std::string_view relative_path);

// One partition of a batch: its values (keyed by physical column name) and its rows without
// the partition columns.
struct PartitionBatch {
  PartitionValues values;
  columnar::RecordBatch data;
};

// Splits `batch` (columns named as in the logical `table_schema`) by the values of
// `partition_columns` (logical names). Partitions come in the order of their first row in
// `batch` and keep the row order of the batch, so the result is deterministic and a
// stream of batches can be routed without sorting. Rows are grouped by their serialized
// partition values: rows that map to the same partitionValues entry go together (null and
// "" are one partition, as in Spark). Without partition columns the whole batch is one
// partition. `mode` picks the physical names used as keys. InvalidInput when a partition
// column is missing from the batch or the schema, or has a type that cannot be partitioned.
std::vector<PartitionBatch> SplitByPartition(const columnar::RecordBatch& batch,
                                             const columnar::Schema& table_schema,
                                             const std::vector<std::string>& partition_columns,
                                             ColumnMappingMode mode,
                                             const PartitionValueOptions& options = {});

}  // namespace cpglake::delta
