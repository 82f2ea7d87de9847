#include "cli/output.h"

#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "columnar/value_format.h"
#include "common/error.h"

namespace cpglake::cli {

RowFormat ParseRowFormat(const std::string& s) {
  if (s == "table") return RowFormat::kTable;
  if (s == "csv") return RowFormat::kCsv;
  if (s == "jsonl") return RowFormat::kJsonl;
  throw InvalidInput("unknown format '" + s + "': use table, csv or jsonl");
}

bool IsTerminal(std::FILE* f) {
  return ::isatty(::fileno(f)) == 1;
}

std::string FormatUtcTime(int64_t us) {
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string CsvQuote(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

std::string FitToWidth(const std::string& cell, size_t width) {
  if (DisplayWidth(cell) <= width) return cell;
  // Truncate on a code point boundary, leaving room for the ellipsis.
  size_t keep = 0, cps = 0;
  while (keep < cell.size() && cps + 1 < width) {
    ++keep;
    while (keep < cell.size() && (static_cast<unsigned char>(cell[keep]) & 0xc0) == 0x80) ++keep;
    ++cps;
  }
  return cell.substr(0, keep) + "…";
}

namespace {

std::string Sanitize(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return s;
}

}  // namespace

RowPrinter::~RowPrinter() {
  if (!finished_) {
    try {
      Finish();
    } catch (...) {
    }
  }
}

void RowPrinter::Print(const columnar::RecordBatch& batch, int64_t begin, int64_t end) {
  if (end < 0 || end > batch.num_rows()) end = batch.num_rows();
  const auto& schema = batch.schema();
  if (!header_done_) {
    for (const auto& f : schema.fields()) header_.push_back(f.name);
    if (format_ == RowFormat::kCsv) {
      std::string line;
      for (size_t i = 0; i < header_.size(); ++i) line += (i ? "," : "") + CsvQuote(header_[i]);
      std::fprintf(out_, "%s\n", line.c_str());
    }
    header_done_ = true;
  }
  std::string line;
  for (int64_t r = begin; r < end; ++r) {
    switch (format_) {
      case RowFormat::kJsonl:
        line.clear();
        columnar::AppendJsonRow(batch, r, columnar::JsonStyle::kReadable, &line);
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), out_);
        break;
      case RowFormat::kCsv:
        line.clear();
        for (size_t c = 0; c < batch.num_columns(); ++c) {
          if (c) line.push_back(',');
          if (!batch.column(c).IsNull(r))
            line += CsvQuote(columnar::FormatCell(batch.column(c), r));
        }
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), out_);
        break;
      case RowFormat::kTable: {
        std::vector<std::string> row;
        for (size_t c = 0; c < batch.num_columns(); ++c) {
          row.push_back(Sanitize(columnar::FormatCell(batch.column(c), r)));
        }
        rows_.push_back(std::move(row));
        if (rows_.size() >= 10000) FlushTable();
        break;
      }
    }
  }
}

void RowPrinter::FlushTable() {
  if (header_.empty()) return;
  std::vector<size_t> w(header_.size());
  for (size_t c = 0; c < header_.size(); ++c) w[c] = DisplayWidth(header_[c]);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) w[c] = std::max(w[c], DisplayWidth(row[c]));
  }
  for (auto& x : w) x = std::min<size_t>(x, 60);
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string cell = FitToWidth(row[c], w[c]);
      line += (c ? " | " : "") + cell;
      if (c + 1 < row.size()) line.append(w[c] - DisplayWidth(cell), ' ');
    }
    std::fprintf(out_, "%s\n", line.c_str());
  };
  emit(header_);
  std::string rule;
  for (size_t c = 0; c < w.size(); ++c) rule += (c ? "-+-" : "") + std::string(w[c], '-');
  std::fprintf(out_, "%s\n", rule.c_str());
  for (const auto& row : rows_) emit(row);
  rows_.clear();
}

void RowPrinter::Finish() {
  finished_ = true;
  if (format_ == RowFormat::kTable) FlushTable();
  std::fflush(out_);
}

}  // namespace cpglake::cli
