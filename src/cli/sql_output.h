// Printing SQL results (rows of sql::Value): an aligned table, CSV, JSON lines or one JSON
// array. Shared by `cpglake query`, its shell and the named queries (callers, callees,
// imports).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "sql/database.h"

namespace cpglake::cli {

enum class SqlFormat { kTable, kCsv, kJsonl, kJson };

// "table" | "csv" | "jsonl" | "json"; InvalidInput otherwise.
SqlFormat ParseSqlFormat(const std::string& s);

class SqlRowPrinter {
 public:
  SqlRowPrinter(SqlFormat format, std::FILE* out) : format_(format), out_(out) {}
  ~SqlRowPrinter();
  SqlRowPrinter(const SqlRowPrinter&) = delete;
  SqlRowPrinter& operator=(const SqlRowPrinter&) = delete;

  // One row of a statement's result. A statement whose columns differ from the previous
  // row's starts a new result (a new header, or a new JSON array element list).
  void Row(const sql::ResultColumns& columns, const std::vector<sql::Value>& row);
  // Ends the output (flushes the table, closes the JSON array). Idempotent.
  void Finish();
  int64_t rows() const { return rows_printed_; }

 private:
  void FlushTable();
  SqlFormat format_;
  std::FILE* out_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> table_;
  bool json_open_ = false;
  bool finished_ = false;
  int64_t rows_printed_ = 0;
};

}  // namespace cpglake::cli
