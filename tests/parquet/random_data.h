// Seeded random schemas and data covering every columnar type, nested and nullable, for
// round-trip tests of the Parquet writer and reader.
#pragma once

#include <random>

#include "columnar/record_batch.h"

namespace cpglake::parquet::testing {

struct RandomOptions {
  int max_depth = 3;
  double null_probability = 0.15;
  int max_list_length = 4;
  bool allow_nested = true;
};

columnar::TypePtr RandomType(std::mt19937_64& rng, int depth, const RandomOptions& opt);
columnar::Schema RandomSchema(std::mt19937_64& rng, int num_fields, const RandomOptions& opt);
// Appends one random value of the column's type (null with the configured probability
// when `nullable`).
void AppendRandomValue(std::mt19937_64& rng, columnar::Column& c, bool nullable,
                       const RandomOptions& opt);
columnar::RecordBatch RandomBatch(std::mt19937_64& rng, const columnar::Schema& schema,
                                  int64_t rows, const RandomOptions& opt);

}  // namespace cpglake::parquet::testing
