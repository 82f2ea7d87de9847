#include "test_util.h"

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace cpglake::testing {

std::filesystem::path SourceDir() { return CPGLAKE_SOURCE_DIR; }

std::filesystem::path TestDataDir() {
  if (const char* env = std::getenv("CPGLAKE_TESTDATA")) return env;
  return SourceDir().parent_path() / "shared" / "testdata";
}

TempDir::TempDir() {
  std::random_device rd;
  auto base = std::filesystem::temp_directory_path();
  for (int i = 0; i < 100; ++i) {
    auto p = base / ("cpglake-test-" + std::to_string(rd()));
    if (std::filesystem::create_directory(p)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create temp dir");
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFileBytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace cpglake::testing
