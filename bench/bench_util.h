// Helpers shared by the benchmark programs: locating and unpacking the acceptance corpus'
// benchmark archives, CPU time and peak memory of this process.
#pragma once

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

namespace cpglake::bench {

namespace fs = std::filesystem;

// ../shared/testdata (or $CPGLAKE_TESTDATA).
inline fs::path TestDataDir() {
  if (const char* env = std::getenv("CPGLAKE_TESTDATA")) return env;
  return fs::path(__FILE__).parent_path().parent_path().parent_path() / "shared" / "testdata";
}

inline fs::path DefaultDeltaArchive() {
  return TestDataDir() / "delta-acceptance" / "benchmarks" /
         "300k-add-files-100-col-partitioned.tar.zst";
}

inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// A temporary directory holding an unpacked .tar.zst, removed on destruction. table_dir()
// is the directory that contains `_delta_log`.
class UnpackedArchive {
 public:
  explicit UnpackedArchive(const fs::path& archive) {
    std::string templ = (fs::temp_directory_path() / "cpglake-bench-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = templ;
    std::string cmd =
        "zstd -dcq " + ShellQuote(archive.string()) + " | tar x -C " + ShellQuote(dir_.string());
    if (std::system(cmd.c_str()) != 0) {
      throw std::runtime_error("cannot unpack " + archive.string());
    }
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
      if (e.is_directory() && e.path().filename() == "_delta_log") {
        table_dir_ = e.path().parent_path();
        break;
      }
    }
    if (table_dir_.empty()) throw std::runtime_error("no _delta_log in " + archive.string());
  }
  ~UnpackedArchive() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  UnpackedArchive(const UnpackedArchive&) = delete;
  UnpackedArchive& operator=(const UnpackedArchive&) = delete;
  const fs::path& table_dir() const { return table_dir_; }

 private:
  fs::path dir_;
  fs::path table_dir_;
};

// User and system CPU seconds of this process so far.
inline std::pair<double, double> CpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return {sec(ru.ru_utime), sec(ru.ru_stime)};
}

inline long PeakRssMb() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

}  // namespace cpglake::bench
