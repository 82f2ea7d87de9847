// Shared helpers for the test binaries.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cpglake::testing {

// Root of the source tree and of the shared test corpora (../shared/testdata).
std::filesystem::path SourceDir();
std::filesystem::path TestDataDir();

// A fresh empty directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes `content` to `p` (creating its directories); throws on failure.
void WriteFile(const std::filesystem::path& p, std::string_view content);

// Reads a whole file; throws on failure.
std::string ReadFileBytes(const std::filesystem::path& p);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // standard output (standard error passes through)
};
// Runs a shell command and captures its standard output.
CommandResult RunCommand(const std::string& command);
// Quotes a string for the shell.
std::string ShellQuote(const std::string& s);
// `node tools/oracle/duckdb.mjs <args>` from the source tree; the DuckDB oracle.
CommandResult RunOracle(const std::string& args);
// Splits text into lines (without the newline characters).
std::vector<std::string> SplitLines(const std::string& text);

}  // namespace cpglake::testing
