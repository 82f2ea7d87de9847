// Runs the SQL behaviour tests in tests/sql/**/*.test (STYLE.md item 7), each twice: with the
// default Parquet row groups and with row groups of 2 rows (boundary bugs in row-group
// skipping show up there). Every file gets a fresh sql::Database whose write_root is a fresh
// temp dir.
//
// File format (sqllogictest-like; records are separated by blank lines):
//   # comment                         (a line starting with '#')
//   fixture <name> [<sql_name>]       write fixture table <name> (nodes, edges, all_types:
//                                     tests/sql/sql_fixtures.h) with our Delta writer into
//                                     the temp dir and register it (as <sql_name>)
//   register <sql_name> <path> [version=N]
//                                     register a Delta table; `acceptance:<rel>` is a table
//                                     of shared/testdata/delta-acceptance (read in place,
//                                     never written), `tmp:<rel>` one under the temp dir
//   refresh                           Database::Refresh()
//   statement ok                      then the SQL (one or more lines): must succeed
//   statement error <substring>       then the SQL: must fail with a message containing it
//   query [rowsort]                   then the SQL, a line `----`, and the expected rows,
//                                     one per line, values separated by '|': NULL for
//                                     NULL, (empty) for '', reals in shortest round-trip
//                                     form, blobs as x'hex'. `rowsort` sorts both sides.
//   metric <name> <op> <integer>      a check on the scans of the previous record, op one of
//                                     = >= <= > <; names: scans, files_total, files_read,
//                                     files_skipped (partition + stats), row_groups_read,
//                                     row_groups_skipped, rows_read, rows_returned
//   plan <substring>                  EXPLAIN QUERY PLAN of the previous query contains it
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "sql/database.h"
#include "sql_fixtures.h"
#include "test_util.h"

namespace cpglake::sql {
namespace {

namespace fs = std::filesystem;

std::string Cell(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v); s && s->empty()) return "(empty)";
  return FormatValue(v);
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

struct Case {
  fs::path file;
  int64_t row_group_rows;
};

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = fs::relative(info.param.file, ::cpglake::testing::SourceDir() / "tests/sql")
                         .replace_extension("")
                         .string();
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name + "_rg" + std::to_string(info.param.row_group_rows);
}

std::vector<Case> AllCases() {
  std::vector<fs::path> files;
  for (const auto& e :
       fs::recursive_directory_iterator(::cpglake::testing::SourceDir() / "tests/sql")) {
    if (e.is_regular_file() && e.path().extension() == ".test") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Case> cases;
  for (const auto& f : files) {
    cases.push_back({f, 1000000});
    cases.push_back({f, 2});
  }
  return cases;
}

int64_t Metric(const SqlScanMetrics& m, const std::string& name) {
  const auto& t = m.totals;
  if (name == "scans") return m.scans;
  if (name == "files_total") return t.files_total;
  if (name == "files_read") return t.files_read;
  if (name == "files_skipped") return t.files_skipped_by_partition + t.files_skipped_by_stats;
  if (name == "row_groups_read") return t.row_groups_read;
  if (name == "row_groups_skipped") return t.row_groups_skipped;
  if (name == "rows_read") return t.rows_read;
  if (name == "rows_returned") return t.rows_returned;
  ADD_FAILURE() << "unknown metric " << name;
  return -1;
}

class SqlLogicTest : public ::testing::TestWithParam<Case> {};

TEST_P(SqlLogicTest, Run) {
  const Case& c = GetParam();
  ::cpglake::testing::TempDir tmp;
  DatabaseOptions options;
  options.write_root = (tmp.path() / "write").string();
  options.tables.parquet.row_group_rows = c.row_group_rows;
  options.tables.scan_threads = 1;
  Database db(options);

  std::ifstream in(c.file);
  ASSERT_TRUE(in) << c.file;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  size_t i = 0;
  std::string last_sql;
  auto read_sql = [&](bool stop_at_dashes) {
    std::string sql;
    while (i < lines.size() && !Trim(lines[i]).empty() &&
           !(stop_at_dashes && Trim(lines[i]) == "----")) {
      sql += lines[i++] + "\n";
    }
    return sql;
  };
  while (i < lines.size()) {
    const std::string line = Trim(lines[i]);
    const int line_no = static_cast<int>(i) + 1;
    ++i;
    if (line.empty() || line[0] == '#') continue;
    SCOPED_TRACE(c.file.filename().string() + ":" + std::to_string(line_no));
    std::istringstream words(line);
    std::string verb;
    words >> verb;
    if (verb == "fixture") {
      std::string name, sql_name;
      words >> name >> sql_name;
      if (sql_name.empty()) sql_name = name;
      const fs::path dir = tmp.path() / "fixtures" / sql_name;
      std::string path;
      if (name == "nodes") {
        path = testing::WriteNodesTable(dir, c.row_group_rows);
      } else if (name == "edges") {
        path = testing::WriteEdgesTable(dir, c.row_group_rows);
      } else if (name == "all_types") {
        path = testing::WriteAllTypesTable(dir, c.row_group_rows);
      } else {
        FAIL() << "unknown fixture " << name;
      }
      catalog::DatasetLocation loc;
      loc.path = path;
      db.RegisterTable(sql_name, loc);
    } else if (verb == "register") {
      std::string sql_name, path, pin;
      words >> sql_name >> path >> pin;
      catalog::DatasetLocation loc;
      if (path.rfind("acceptance:", 0) == 0) {
        loc.path =
            (::cpglake::testing::TestDataDir() / "delta-acceptance" / path.substr(11)).string();
      } else if (path.rfind("tmp:", 0) == 0) {
        loc.path = (tmp.path() / path.substr(4)).string();
      } else {
        loc.path = path;
      }
      if (pin.rfind("version=", 0) == 0) loc.delta_version = std::stoll(pin.substr(8));
      db.RegisterTable(sql_name, loc);
    } else if (verb == "refresh") {
      db.Refresh();
    } else if (verb == "statement") {
      std::string kind;
      words >> kind;
      last_sql = read_sql(false);
      if (kind == "ok") {
        try {
          db.Execute(last_sql);
        } catch (const Error& e) {
          ADD_FAILURE() << "statement failed: " << e.what() << "\n" << last_sql;
        }
      } else {
        ASSERT_EQ(kind, "error");
        std::string expected = Trim(line.substr(line.find("error") + 5));
        try {
          db.Execute(last_sql);
          ADD_FAILURE() << "statement succeeded, expected error '" << expected << "'\n" << last_sql;
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find(expected), std::string::npos)
              << "message: " << e.what() << "\nexpected to contain: " << expected;
        }
      }
    } else if (verb == "query") {
      std::string mode;
      words >> mode;
      last_sql = read_sql(true);
      ASSERT_TRUE(i < lines.size() && Trim(lines[i]) == "----") << "query without ----";
      ++i;
      std::vector<std::string> expected;
      while (i < lines.size() && !Trim(lines[i]).empty() &&
             Trim(lines[i]).rfind("metric ", 0) != 0 && Trim(lines[i]).rfind("plan ", 0) != 0) {
        expected.push_back(Trim(lines[i++]));
      }
      std::vector<std::string> actual;
      try {
        QueryResult r = db.Query(last_sql);
        for (const auto& row : r.rows) {
          std::string s;
          for (size_t k = 0; k < row.size(); ++k) s += (k ? "|" : "") + Cell(row[k]);
          actual.push_back(s);
        }
      } catch (const Error& e) {
        ADD_FAILURE() << "query failed: " << e.what() << "\n" << last_sql;
        continue;
      }
      if (mode == "rowsort") {
        std::sort(expected.begin(), expected.end());
        std::sort(actual.begin(), actual.end());
      }
      EXPECT_EQ(actual, expected) << last_sql;
    } else if (verb == "metric") {
      std::string name, op;
      int64_t want = 0;
      words >> name >> op >> want;
      const int64_t got = Metric(db.last_metrics(), name);
      const bool ok = op == "="    ? got == want
                      : op == ">=" ? got >= want
                      : op == "<=" ? got <= want
                      : op == ">"  ? got > want
                                   : got < want;
      EXPECT_TRUE(ok) << "metric " << name << " = " << got << ", expected " << op << " " << want
                      << "\n"
                      << last_sql;
    } else if (verb == "plan") {
      const std::string want = Trim(line.substr(4));
      const std::string plan = db.ExplainPlan(last_sql);
      EXPECT_NE(plan.find(want), std::string::npos) << plan << "\nexpected: " << want;
    } else {
      FAIL() << "unknown record '" << line << "'";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Files, SqlLogicTest, ::testing::ValuesIn(AllCases()), CaseName);

}  // namespace
}  // namespace cpglake::sql
