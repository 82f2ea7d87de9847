// Delta tables the SQL tests run against, written by our own Delta writer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace cpglake::sql::testing {

// 2026-01-01T00:00:00Z in ms; version v of the `nodes` fixture commits at T0 + v days.
inline constexpr int64_t kT0Ms = 1767225600000;
inline constexpr int64_t kDayMs = 86400000;

// `nodes`: id BIGINT NOT NULL, kind STRING, name STRING, file_id INT, score DOUBLE,
// note STRING. Version v (0, 1, 2) appends ids [100v, 100v+100) as one data file:
// kind = 'DEF' when id % 3 == 0 else 'CALL', name = 'n<id>', file_id = id / 10,
// score = id * 0.5, note = NULL when id % 7 == 0 else 'x<id>'. In-commit timestamps on.
std::string WriteNodesTable(const std::filesystem::path& dir, int64_t row_group_rows);

// `edges`: src BIGINT, dst BIGINT, kind STRING. Version 0: src i → dst i+1 for i in 0..49
// ('CALLS'); version 1 adds src i → dst i+2 for i in 0..49 ('USES').
std::string WriteEdgesTable(const std::filesystem::path& dir, int64_t row_group_rows);

// `all_types`: one column per Delta type (b boolean, i8 byte, i16 short, i32 int, i64 long,
// f32 float, f64 double, dec decimal(10,2), s string, bin binary, d date, ts timestamp,
// tsn timestamp_ntz, st struct<x:int,y:string>, arr array<int>, m map<string,int>).
// Row 0: true, -8, -16, -32, -64, 1.5, 2.25, 123.45, 'héllo', x'00ff', 2024-02-29,
// 2024-02-29T12:34:56.789Z, 2024-02-29T12:34:56, {x:1,y:'a'}, [1,2,NULL], {'k':7};
// row 1: all NULL; row 2: false, 127, 32767, 2147483647, 9223372036854775807, -0.5, -1e300,
// -0.01, '', x'', 1970-01-01, 1970-01-01T00:00:00Z, 1969-12-31T23:59:59.999999, {x:NULL,y:NULL},
// [], {}.
std::string WriteAllTypesTable(const std::filesystem::path& dir, int64_t row_group_rows);

// A one-file table `big` of `rows` rows (id = 0..rows-1, grp = id % 100 as INT, label =
// 'L<id % 1000>') in row groups of `row_group_rows`, for pushdown and timing tests.
std::string WriteBigTable(const std::filesystem::path& dir, int64_t rows, int64_t row_group_rows);

}  // namespace cpglake::sql::testing
