// Output helpers shared by the commands: record batches as an aligned table, CSV or
// JSON lines; TTY detection; one-line errors.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "columnar/record_batch.h"

namespace cpglake::cli {

enum class RowFormat { kTable, kCsv, kJsonl };

// Parses "table" | "csv" | "jsonl"; InvalidInput otherwise.
RowFormat ParseRowFormat(const std::string& s);

// Streams batches in one format. The table format buffers rows to align columns
// (at most `max_table_rows`, then it flushes and re-aligns).
class RowPrinter {
 public:
  RowPrinter(RowFormat format, std::FILE* out) : format_(format), out_(out) {}
  ~RowPrinter();
  void Print(const columnar::RecordBatch& batch, int64_t begin = 0, int64_t end = -1);
  void Finish();

 private:
  void FlushTable();
  RowFormat format_;
  std::FILE* out_;
  bool header_done_ = false;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  bool finished_ = false;
};

bool IsTerminal(std::FILE* f);

// A CSV field, quoted when it holds a comma, quote or line break.
std::string CsvQuote(const std::string& s);
// Display width in terminal columns, counting UTF-8 code points.
size_t DisplayWidth(const std::string& s);
// The cell cut to `width` columns on a code point boundary, ending in "…" when cut.
std::string FitToWidth(const std::string& cell, size_t width);

// "2024-01-02 03:04:05" (UTC) of a time in µs since the epoch.
std::string FormatUtcTime(int64_t us);

// "a,b,,c" → {"a", "b", "c"} (for --columns).
std::vector<std::string> SplitComma(const std::string& s);

}  // namespace cpglake::cli
