// End-to-end Parquet benchmark: a cpg_nodes-shaped table (32-hex-char ids, a low-cardinality
// kind, a medium-cardinality path, two int64 offsets, a name) written and fully read with
// ZSTD. Prints one JSON object; bench/parquet_vs_duckdb.sh runs DuckDB on the same data in
// the same run and computes the ratios recorded in docs/BENCHMARKS.md.
//
//   parquet_e2e_bench --rows 10000000 --out /tmp/nodes.parquet [--read FILE] [--threads N]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "columnar/record_batch.h"
#include "cpg_nodes_data.h"
#include "parquet/file_reader.h"
#include "parquet/file_writer.h"
#include "storage/writable_file.h"

using namespace cpglake;
using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;

namespace {

double Seconds(std::chrono::steady_clock::time_point a) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
}

long PeakRssMb() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 10000000;
  std::string out = "/tmp/cpglake_nodes.parquet";
  std::string read_only;
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rows" && i + 1 < argc)
      rows = std::atoll(argv[++i]);
    else if (a == "--out" && i + 1 < argc)
      out = argv[++i];
    else if (a == "--read" && i + 1 < argc)
      read_only = argv[++i];
    else if (a == "--threads" && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else {
      std::fprintf(
          stderr, "usage: parquet_e2e_bench [--rows N] [--out FILE] [--read FILE] [--threads N]\n");
      return 2;
    }
  }
  if (!read_only.empty()) {
    auto t0 = std::chrono::steady_clock::now();
    parquet::ParquetReadOptions ro;
    ro.threads = threads;
    auto reader = parquet::ParquetFileReader::OpenPath(read_only, ro);
    int64_t n = 0;
    for (int g = 0; g < reader->num_row_groups(); ++g) n += reader->ReadRowGroup(g).num_rows();
    std::printf("{\"read_file\":\"%s\",\"rows\":%lld,\"read_s\":%.3f,\"peak_rss_mb\":%ld}\n",
                read_only.c_str(), static_cast<long long>(n), Seconds(t0), PeakRssMb());
    return 0;
  }
  // Generate first (untimed), in batches of 1M rows.
  std::mt19937_64 rng(2026);
  std::vector<RecordBatch> batches;
  const int64_t kBatch = 1000000;
  for (int64_t done = 0; done < rows; done += kBatch) {
    batches.push_back(bench::MakeNodesBatch(done, std::min(kBatch, rows - done), rng));
  }
  long gen_rss = PeakRssMb();
  parquet::WriterOptions wo;
  wo.codec = parquet::Codec::kZstd;
  wo.threads = threads;
  auto t0 = std::chrono::steady_clock::now();
  {
    auto file = storage::CreateLocalFile(out);
    parquet::ParquetWriter w(file.get(), bench::NodesSchema(), wo);
    for (const auto& b : batches) w.Write(b);
    w.Close();
  }
  double write_s = Seconds(t0);
  batches.clear();
  batches.shrink_to_fit();
  auto t1 = std::chrono::steady_clock::now();
  parquet::ParquetReadOptions ro;
  ro.threads = threads;
  auto reader = parquet::ParquetFileReader::OpenPath(out, ro);
  int64_t n = 0;
  for (int g = 0; g < reader->num_row_groups(); ++g) n += reader->ReadRowGroup(g).num_rows();
  double read_s = Seconds(t1);
  FILE* f = std::fopen(out.c_str(), "rb");
  std::fseek(f, 0, SEEK_END);
  long size = std::ftell(f);
  std::fclose(f);
  std::printf(
      "{\"rows\":%lld,\"write_s\":%.3f,\"read_s\":%.3f,\"file_bytes\":%ld,\"row_groups\":%d,"
      "\"peak_rss_mb_after_generate\":%ld,\"peak_rss_mb\":%ld}\n",
      static_cast<long long>(n), write_s, read_s, size, reader->num_row_groups(), gen_rss,
      PeakRssMb());
  return 0;
}
