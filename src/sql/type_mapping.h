// How Delta (columnar) types appear in SQLite, both ways.
//
//   Delta type                         SQLite declared type / storage class
//   string                             TEXT
//   byte, short, integer, long         INTEGER
//   float, double                      REAL (NaN reads as NULL: SQLite has no NaN)
//   boolean                            INTEGER 0 / 1            (declared BOOLEAN)
//   binary                             BLOB
//   date                               TEXT 'YYYY-MM-DD'         (declared DATE_TEXT)
//   timestamp                          TEXT 'YYYY-MM-DDTHH:MM:SS[.ffffff]Z' (UTC; TIMESTAMP_TEXT)
//   timestamp_ntz                      TEXT 'YYYY-MM-DDTHH:MM:SS[.ffffff]'  (TIMESTAMP_NTZ_TEXT)
//   decimal(p,s)                       TEXT, exact, s fraction digits (DECIMAL_TEXT(p,s))
//   struct, array, map                 TEXT, JSON (readable style, columnar/value_format.h;
//                                      maps as [[key, value], ...]; declared JSON_TEXT)
//   void                               NULL
// Declared types name the Delta type and end in TEXT where the value is text, so SQLite gives
// the column TEXT affinity: `d = '2024-01-02'` and `d > '2024'` compare as text, never as
// numbers. CREATE TABLE AS SELECT maps these declared types back to the Delta types.
//
// Writing (INSERT, CTAS) coerces an SQLite value to the column type: integers from INTEGER,
// from a REAL with an integral value, or from TEXT holding an integer; REAL from INTEGER,
// REAL or numeric TEXT; TEXT from TEXT, INTEGER or REAL (their SQLite text); BLOB from BLOB
// or TEXT; booleans from 0/1 and 'true'/'false'; dates, timestamps and decimals from TEXT
// (CAST rules of expr/cast.h) or numbers (decimals). Anything else, and NULL in a NOT NULL
// column, is InvalidInput naming the column. Nested columns cannot be written from SQL.
#pragma once

#include <sqlite3.h>

#include <optional>
#include <string>

#include "columnar/column.h"
#include "columnar/types.h"
#include "columnar/value.h"
#include "sql/value.h"

namespace cpglake::sql {

// The declared type of a column of this type in the virtual table's CREATE TABLE.
std::string DeclaredType(const columnar::DataType& type);

// Sets the SQLite result to row `row` of `column`.
void ResultColumnValue(sqlite3_context* ctx, const columnar::Column& column, int64_t row);

// Appends `value` to `column` (of `field`'s type), coerced as described above.
void AppendSqliteValue(columnar::Column& column, const columnar::Field& field,
                       sqlite3_value* value);
void AppendSqlValue(columnar::Column& column, const columnar::Field& field, const Value& value);

// The value of an sqlite3_value.
Value ToValue(sqlite3_value* value);

// Comparison operators that can be pushed into a scan.
enum class PushOp { kEq, kLt, kLe, kGt, kGe };

// The literal to compare a column of `type` with, for pushdown of `column op value`: only
// when the comparison the scan makes is exactly the one SQLite makes — the value's storage
// class is the column's (INTEGER with integer columns, TEXT with strings, BLOB with binaries,
// REAL with float columns, 0/1 with booleans) and, for dates and timestamps (TEXT), only `=`
// with a value in the canonical text form. nullopt otherwise (SQLite then filters).
std::optional<columnar::Value> PushdownLiteral(const columnar::DataType& type, PushOp op,
                                               sqlite3_value* value);

}  // namespace cpglake::sql
