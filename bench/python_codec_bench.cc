// The extraction cache's codec (python/summary_codec.h) over every .py file under the given
// directories (default /usr/lib/python3.11), one thread: bytes encoded (raw, zstd level 1
// per blob, and a naive encoding — fixed-width integers, length-prefixed strings, nothing
// interned — for comparison), encode and decode throughput, and decode time against the
// time to make the same results from source (ExtractSyntax + AnalyzeScopes +
// SummarizeModule). Prints one JSON object.
//
//   python_codec_bench [DIR]...
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "python/module_summary.h"
#include "python/scopes.h"
#include "python/summary_codec.h"
#include "python/syntax.h"
#include "python/tree_sitter.h"

namespace fs = std::filesystem;
using namespace cpglake;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Sizes of a naive encoding: 8 bytes per int64/double, 4 per int32, 1 per bool or enum,
// 4-byte lengths before strings and vectors.
size_t Naive(const std::string& s) {
  return 4 + s.size();
}
size_t Naive(const python::SymbolRef& r) {
  size_t n = 1 + 4 + Naive(r.name) + 4 + 1;
  for (const auto& s : r.steps) n += Naive(s);
  return n;
}
size_t Naive(const python::ModuleSummary& s) {
  size_t n = Naive(s.module_name) + 3 + 4 + 4;
  for (const auto& k : s.keys) {
    n += Naive(k.kind) + Naive(k.name) + Naive(k.qualified_path) + 4 + 16 + 16;
  }
  auto bound = [&](const std::vector<python::BoundName>& v) {
    n += 4;
    for (const auto& b : v) n += Naive(b.name) + Naive(b.value) + 4 + 1;
  };
  bound(s.globals);
  n += 8;
  for (const auto& x : s.star_imports) n += Naive(x);
  for (const auto& x : s.all) n += Naive(x);
  n += 4;
  for (const auto& c : s.classes) {
    n += 4 + 4;
    for (const auto& b : c.bases) n += Naive(b.ref) + 16;
    bound(c.members);
  }
  n += 4;
  for (const auto& [k, r] : s.returns) n += 4 + Naive(r);
  n += 4;
  for (const auto& r : s.references) n += 1 + 4 + Naive(r.target);
  n += 4;
  for (const auto& i : s.imports) n += 4 + Naive(i.target) + 2 + Naive(i.error);
  return n;
}
size_t Naive(const python::FileEvidence& ev) {
  size_t n = Naive(ev.path) + 12;
  for (const auto& x : ev.nodes) {
    n += Naive(x.kind) + 16 + Naive(x.name) + Naive(x.qualified_path) + 12 + 4;
    for (const auto& [k, v] : x.props) {
      n += Naive(k) + 1;
      n += std::holds_alternative<std::string>(v) ? Naive(std::get<std::string>(v))
           : std::holds_alternative<bool>(v)      ? 1
                                                  : 8;
    }
  }
  for (const auto& e : ev.edges) {
    n += Naive(e.kind) + 8 + 16 + Naive(e.origin) + Naive(e.resolution_method) + 8;
  }
  for (const auto& d : ev.diagnostics) {
    n += Naive(d.severity) + Naive(d.code) + Naive(d.message) + 16;
  }
  const auto& l = ev.lines;
  n += 16 + 12 + 8 * l.line_starts.size() + l.newlines.size() + 8 * l.utf8_offset.size();
  return n;
}

size_t Zstd1(const std::string& blob) {
  static ZSTD_CCtx* ctx = ZSTD_createCCtx();
  std::string out(ZSTD_compressBound(blob.size()), '\0');
  return ZSTD_compressCCtx(ctx, out.data(), out.size(), blob.data(), blob.size(), 1);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> dirs(argv + 1, argv + argc);
  if (dirs.empty()) dirs.push_back("/usr/lib/python3.11");
  std::vector<std::string> sources;
  size_t bytes = 0;
  for (const auto& d : dirs) {
    fs::recursive_directory_iterator it(d, fs::directory_options::skip_permission_denied), end;
    for (; it != end; ++it) {
      if (it->is_directory() && it->path().filename() == "__pycache__") {
        it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file() || it->path().extension() != ".py") continue;
      std::ifstream in(it->path(), std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      sources.push_back(ss.str());
      bytes += sources.back().size();
    }
  }
  if (sources.empty()) {
    std::fprintf(stderr, "no .py files under the given directories\n");
    return 2;
  }

  // Front end, as the build runs it.
  python::Parser parser;
  std::vector<python::FileEvidence> evidence(sources.size());
  std::vector<python::ModuleSummary> summaries(sources.size());
  auto t = Clock::now();
  for (size_t i = 0; i < sources.size(); ++i) {
    python::TreePtr tree;
    python::ExtractSyntax(parser, sources[i], "m", &evidence[i], &tree);
    python::AnalyzeScopes(sources[i], ts_tree_root_node(tree.get()), &evidence[i]);
    summaries[i] =
        python::SummarizeModule(sources[i], ts_tree_root_node(tree.get()), evidence[i], "m", false);
  }
  const double extract_sec = Seconds(t);

  // Encode and decode, best of three.
  std::vector<std::string> ev_blobs(sources.size()), sum_blobs(sources.size());
  double encode_sec = 1e9, decode_sec = 1e9, summary_sec = 1e9, shared_sec = 1e9;
  size_t check = 0;
  for (int round = 0; round < 3; ++round) {
    t = Clock::now();
    for (size_t i = 0; i < sources.size(); ++i) {
      ev_blobs[i] = python::EncodeEvidence(evidence[i]);
      sum_blobs[i] = python::EncodeSummary(summaries[i]);
    }
    encode_sec = std::min(encode_sec, Seconds(t));
    t = Clock::now();
    for (size_t i = 0; i < sources.size(); ++i) {
      const python::FileEvidence ev = python::DecodeEvidence(ev_blobs[i]);
      const python::ModuleSummary s = python::DecodeSummary(sum_blobs[i]);
      check += ev.nodes.size() + s.keys.size();
    }
    decode_sec = std::min(decode_sec, Seconds(t));
    t = Clock::now();
    for (size_t i = 0; i < sources.size(); ++i) {
      check += python::DecodeSummary(sum_blobs[i]).keys.size();
    }
    summary_sec = std::min(summary_sec, Seconds(t));
    t = Clock::now();
    for (size_t i = 0; i < sources.size(); ++i) {
      check += python::DecodeSharedSummary(sum_blobs[i]).keys.size();
    }
    shared_sec = std::min(shared_sec, Seconds(t));
  }

  size_t ev_bytes = 0, sum_bytes = 0, ev_zstd = 0, sum_zstd = 0, ev_naive = 0, sum_naive = 0;
  size_t nodes = 0, edges = 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    ev_bytes += ev_blobs[i].size();
    sum_bytes += sum_blobs[i].size();
    ev_zstd += Zstd1(ev_blobs[i]);
    sum_zstd += Zstd1(sum_blobs[i]);
    ev_naive += Naive(evidence[i]);
    sum_naive += Naive(summaries[i]);
    nodes += evidence[i].nodes.size();
    edges += evidence[i].edges.size();
  }
  const double blob_mb = static_cast<double>(ev_bytes + sum_bytes) / 1e6;
  std::printf(
      "{\"files\": %zu, \"source_bytes\": %zu, \"nodes\": %zu, \"edges\": %zu,\n"
      " \"evidence_bytes\": %zu, \"evidence_zstd1_bytes\": %zu, \"evidence_naive_bytes\": %zu,\n"
      " \"summary_bytes\": %zu, \"summary_zstd1_bytes\": %zu, \"summary_naive_bytes\": %zu,\n"
      " \"extract_seconds\": %.3f, \"encode_seconds\": %.3f, \"decode_seconds\": %.3f,\n"
      " \"encode_mb_per_s\": %.1f, \"decode_mb_per_s\": %.1f, \"decode_vs_extract\": %.3f,\n"
      " \"summary_decode_seconds\": %.4f, \"summary_shared_decode_seconds\": %.4f,\n"
      " \"check\": %zu}\n",
      sources.size(), bytes, nodes, edges, ev_bytes, ev_zstd, ev_naive, sum_bytes, sum_zstd,
      sum_naive, extract_sec, encode_sec, decode_sec, blob_mb / encode_sec, blob_mb / decode_sec,
      decode_sec / extract_sec, summary_sec, shared_sec, check);
  return 0;
}
