// Text forms of column values: JSON (canonical, for comparison with the DuckDB oracle in
// tools/oracle/duckdb.mjs, and readable, for people and `--format jsonl`), and plain
// cells for tables and CSV.
//
// Canonical JSON (must match tools/oracle/duckdb.mjs exactly):
//   null, true/false, integers as plain decimals, floats as JavaScript's
//   Number.prototype.toString of the double ("NaN", "Infinity", "-Infinity" quoted),
//   decimals as quoted exact text with `scale` fractional digits, strings JSON-escaped,
//   binaries "hex:<lowercase hex>", dates "d:<days>", timestamps "ts:<micros>",
//   structs as objects, lists as arrays, maps as arrays of [key, value].
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "columnar/column.h"
#include "columnar/record_batch.h"

namespace cpglake::columnar {

enum class JsonStyle {
  kCanonical,  // see above
  kReadable,   // dates YYYY-MM-DD, timestamps ISO-8601, decimals as JSON numbers
};

void AppendJsonValue(const Column& c, int64_t row, JsonStyle style, std::string* out);
// One row as a JSON object keyed by the schema's field names.
void AppendJsonRow(const RecordBatch& b, int64_t row, JsonStyle style, std::string* out);

// A cell for tables and CSV: strings raw, nulls as "NULL" (tables) — callers choose.
std::string FormatCell(const Column& c, int64_t row);

void AppendJsonString(std::string_view s, std::string* out);
// JavaScript Number.prototype.toString of `d` (shortest round-trip digits). The float
// overload uses the shortest digits that round-trip as a float (0.1f → "0.1").
void AppendJsNumber(double d, std::string* out);
void AppendJsNumber(float f, std::string* out);
std::string FormatDecimal(__int128 unscaled, int scale);
std::string FormatInt128(__int128 v);
// "YYYY-MM-DD" (proleptic Gregorian, years outside 0..9999 signed).
std::string FormatDate(int32_t days);
// "YYYY-MM-DDTHH:MM:SS[.ffffff]" plus "Z" when `utc`.
std::string FormatTimestamp(int64_t micros, bool utc);
// Days since 1970-01-01 of a civil date, and the inverse.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d);

}  // namespace cpglake::columnar
