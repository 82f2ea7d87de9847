// Shared helpers for the test binaries.
#pragma once

#include <filesystem>
#include <string>

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

// Reads a whole file; throws on failure.
std::string ReadFileBytes(const std::filesystem::path& p);

}  // namespace cpglake::testing
