#include "cli/sql_output.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "cli/output.h"
#include "common/error.h"

namespace cpglake::cli {

SqlFormat ParseSqlFormat(const std::string& s) {
  if (s == "table") return SqlFormat::kTable;
  if (s == "csv") return SqlFormat::kCsv;
  if (s == "jsonl") return SqlFormat::kJsonl;
  if (s == "json") return SqlFormat::kJson;
  throw InvalidInput("unknown format '" + s + "': use table, csv, jsonl or json");
}

namespace {

std::string Cell(const sql::Value& v) {
  if (sql::IsNull(v)) return "NULL";
  std::string s = sql::FormatValue(v);
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return s;
}

nlohmann::ordered_json JsonOf(const sql::Value& v) {
  if (sql::IsNull(v)) return nullptr;
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) {
    if (!std::isfinite(*d)) return nullptr;
    return *d;
  }
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return sql::FormatValue(v);  // a blob: x'hex'
}

std::string JsonRow(const sql::ResultColumns& columns, const std::vector<sql::Value>& row) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (size_t c = 0; c < row.size() && c < columns.names.size(); ++c) {
    j[columns.names[c]] = JsonOf(row[c]);
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

SqlRowPrinter::~SqlRowPrinter() {
  if (!finished_) {
    try {
      Finish();
    } catch (...) {
    }
  }
}

void SqlRowPrinter::Row(const sql::ResultColumns& columns, const std::vector<sql::Value>& row) {
  const bool new_result = columns.names != header_;
  if (new_result) {
    if (format_ == SqlFormat::kTable) FlushTable();
    header_ = columns.names;
    if (format_ == SqlFormat::kCsv) {
      std::string line;
      for (size_t i = 0; i < header_.size(); ++i) line += (i ? "," : "") + CsvQuote(header_[i]);
      std::fprintf(out_, "%s\n", line.c_str());
    }
  }
  ++rows_printed_;
  switch (format_) {
    case SqlFormat::kTable: {
      std::vector<std::string> cells;
      cells.reserve(row.size());
      for (const auto& v : row) cells.push_back(Cell(v));
      table_.push_back(std::move(cells));
      if (table_.size() >= 10000) FlushTable();
      break;
    }
    case SqlFormat::kCsv: {
      std::string line;
      for (size_t c = 0; c < row.size(); ++c) {
        if (c) line.push_back(',');
        if (!sql::IsNull(row[c])) line += CsvQuote(sql::FormatValue(row[c]));
      }
      std::fprintf(out_, "%s\n", line.c_str());
      break;
    }
    case SqlFormat::kJsonl:
      std::fprintf(out_, "%s\n", JsonRow(columns, row).c_str());
      break;
    case SqlFormat::kJson:
      std::fprintf(out_, "%s\n  %s", json_open_ ? "," : "[", JsonRow(columns, row).c_str());
      json_open_ = true;
      break;
  }
}

void SqlRowPrinter::FlushTable() {
  if (header_.empty() || (table_.empty() && format_ != SqlFormat::kTable)) return;
  if (table_.empty()) return;
  std::vector<size_t> w(header_.size());
  for (size_t c = 0; c < header_.size(); ++c) w[c] = DisplayWidth(header_[c]);
  for (const auto& row : table_) {
    for (size_t c = 0; c < row.size() && c < w.size(); ++c) {
      w[c] = std::max(w[c], DisplayWidth(row[c]));
    }
  }
  for (auto& x : w) x = std::min<size_t>(x, 80);
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < row.size() && c < w.size(); ++c) {
      const std::string cell = FitToWidth(row[c], w[c]);
      line += (c ? " | " : "") + cell;
      if (c + 1 < row.size()) line.append(w[c] - DisplayWidth(cell), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::fprintf(out_, "%s\n", line.c_str());
  };
  emit(header_);
  std::string rule;
  for (size_t c = 0; c < w.size(); ++c) rule += (c ? "-+-" : "") + std::string(w[c], '-');
  std::fprintf(out_, "%s\n", rule.c_str());
  for (const auto& row : table_) emit(row);
  table_.clear();
}

void SqlRowPrinter::Finish() {
  if (finished_) return;
  finished_ = true;
  if (format_ == SqlFormat::kTable) FlushTable();
  if (format_ == SqlFormat::kJson) std::fprintf(out_, json_open_ ? "\n]\n" : "[]\n");
  std::fflush(out_);
}

}  // namespace cpglake::cli
