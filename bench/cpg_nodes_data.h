// A cpg_nodes-shaped synthetic table shared by the benchmarks: 32-hex-char ids, a
// low-cardinality kind, a medium-cardinality path (rows sorted by it, ~5,000 per file),
// two int64 offsets, a name with some nulls.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "columnar/record_batch.h"

namespace cpglake::bench {

using columnar::DataType;
using columnar::Field;
using columnar::RecordBatch;
using columnar::Schema;

inline Schema NodesSchema() {
  return Schema({Field("node_id", DataType::String(), false),
                 Field("node_kind", DataType::String(), false), Field("path", DataType::String()),
                 Field("bstart", DataType::Int64()), Field("bend", DataType::Int64()),
                 Field("name", DataType::String())});
}

// Rows like a real graph: sorted by path, spans increasing within a file.
inline RecordBatch MakeNodesBatch(int64_t first, int64_t n, std::mt19937_64& rng) {
  static const char* kKinds[] = {"CST_REF",     "CST_CALLSITE",     "CST_CALL_ARG",
                                 "PY_USE_SITE", "PY_DEF_SITE",      "CST_ATTRIBUTE_ACCESS",
                                 "PY_BINDING",  "CST_FUNCTION_DEF", "CST_PARAM",
                                 "PY_SCOPE",    "CST_CLASS_DEF",    "CST_IMPORT_ALIAS",
                                 "CST_IMPORT",  "CST_DOCSTRING",    "CST_DECORATOR",
                                 "TYPE_EXPR",   "CST_LAMBDA",       "PY_MODULE",
                                 "PY_FILE",     "TS_ERROR"};
  static const char* kNames[] = {"self",     "x",    "len",  "append", "get",
                                 "path",     "os",   "name", "value",  "result",
                                 "__init__", "data", "i",    "key",    "join"};
  RecordBatch b = RecordBatch::MakeEmpty(NodesSchema());
  char hex[33];
  static const char* kHex = "0123456789abcdef";
  for (int64_t i = first; i < first + n; ++i) {
    uint64_t a = rng(), c = rng();
    for (int k = 0; k < 16; ++k) {
      hex[k] = kHex[(a >> (k * 4)) & 15];
      hex[16 + k] = kHex[(c >> (k * 4)) & 15];
    }
    b.mutable_column(0).AppendString(std::string_view(hex, 32));
    b.mutable_column(1).AppendString(kKinds[std::min<uint64_t>(rng() % 64, 19)]);
    int64_t file = i / 5000;  // ~5,000 nodes per file
    b.mutable_column(2).AppendString("pkg" + std::to_string(file % 97) + "/module_" +
                                     std::to_string(file) + ".py");
    int64_t start = (i % 5000) * 37 + static_cast<int64_t>(rng() % 20);
    b.mutable_column(3).Append<int64_t>(start);
    b.mutable_column(4).Append<int64_t>(start + 1 + static_cast<int64_t>(rng() % 60));
    if (rng() % 10 == 0) {
      b.mutable_column(5).AppendNull();
    } else {
      b.mutable_column(5).AppendString(kNames[rng() % 15]);
    }
  }
  return b;
}

}  // namespace cpglake::bench
