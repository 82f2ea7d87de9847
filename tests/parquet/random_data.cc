#include "random_data.h"

namespace cpglake::parquet::testing {

using columnar::DataType;
using columnar::Field;
using columnar::TypeId;
using columnar::TypePtr;

TypePtr RandomType(std::mt19937_64& rng, int depth, const RandomOptions& opt) {
  int kinds = (opt.allow_nested && depth < opt.max_depth) ? 17 : 14;
  switch (rng() % kinds) {
    case 0:
      return DataType::Boolean();
    case 1:
      return DataType::Int8();
    case 2:
      return DataType::Int16();
    case 3:
      return DataType::Int32();
    case 4:
      return DataType::Int64();
    case 5:
      return DataType::Float32();
    case 6:
      return DataType::Float64();
    case 7: {
      int p = 1 + static_cast<int>(rng() % 38);
      return DataType::Decimal(p, static_cast<int>(rng() % (p + 1)));
    }
    case 8:
    case 9:
      return DataType::String();
    case 10:
      return DataType::Binary();
    case 11:
      return DataType::Date();
    case 12:
      return DataType::Timestamp();
    case 13:
      return DataType::TimestampNtz();
    case 14: {
      std::vector<Field> fields;
      int n = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < n; ++i) {
        fields.emplace_back("f" + std::to_string(i), RandomType(rng, depth + 1, opt),
                            rng() % 3 != 0);
      }
      return DataType::Struct(std::move(fields));
    }
    case 15:
      return DataType::List(RandomType(rng, depth + 1, opt), rng() % 3 != 0);
    default: {
      // Map keys: primitive, non-null.
      TypePtr key = rng() % 2 ? DataType::String() : DataType::Int32();
      return DataType::Map(key, RandomType(rng, depth + 1, opt), rng() % 3 != 0);
    }
  }
}

columnar::Schema RandomSchema(std::mt19937_64& rng, int num_fields, const RandomOptions& opt) {
  std::vector<Field> fields;
  for (int i = 0; i < num_fields; ++i) {
    fields.emplace_back("c" + std::to_string(i), RandomType(rng, 0, opt), rng() % 4 != 0);
  }
  return columnar::Schema(std::move(fields));
}

namespace {

std::string RandomBytes(std::mt19937_64& rng, bool text) {
  static const char* kPieces[] = {"a", "b", "z", "é", "中", "😀", "\"", "\\", "\n", " ", "0"};
  size_t len = rng() % 12;
  if (rng() % 50 == 0) len = 200 + rng() % 100;  // long values: statistics truncation
  std::string s;
  for (size_t i = 0; i < len; ++i) {
    if (text) {
      s += kPieces[rng() % (sizeof(kPieces) / sizeof(kPieces[0]))];
    } else {
      s.push_back(static_cast<char>(rng() & 0xff));
    }
  }
  return s;
}

int64_t RandomInt(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  switch (rng() % 6) {
    case 0:
      return lo;
    case 1:
      return hi;
    case 2:
      return 0;
    default: {
      uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
      uint64_t r = span == UINT64_MAX ? rng() : rng() % (span + 1);
      return static_cast<int64_t>(static_cast<uint64_t>(lo) + r);
    }
  }
}

}  // namespace

void AppendRandomValue(std::mt19937_64& rng, columnar::Column& c, bool nullable,
                       const RandomOptions& opt) {
  if (nullable && std::uniform_real_distribution<double>(0, 1)(rng) < opt.null_probability) {
    c.AppendNull();
    return;
  }
  const auto& t = *c.type();
  switch (t.id()) {
    case TypeId::kNull:
      c.AppendNull();
      return;
    case TypeId::kBoolean:
      c.AppendBool(rng() % 2);
      return;
    case TypeId::kInt8:
      c.Append<int8_t>(static_cast<int8_t>(RandomInt(rng, -128, 127)));
      return;
    case TypeId::kInt16:
      c.Append<int16_t>(static_cast<int16_t>(RandomInt(rng, -32768, 32767)));
      return;
    case TypeId::kInt32:
      c.Append<int32_t>(static_cast<int32_t>(RandomInt(rng, INT32_MIN, INT32_MAX)));
      return;
    case TypeId::kInt64:
      c.Append<int64_t>(RandomInt(rng, INT64_MIN, INT64_MAX));
      return;
    case TypeId::kFloat32: {
      static const float kSpecial[] = {0.0f, -0.0f, 1.5f, -1e30f, 3.4e38f, 1e-40f};
      float v = rng() % 4 == 0 ? kSpecial[rng() % 6]
                               : std::uniform_real_distribution<float>(-1e6f, 1e6f)(rng);
      c.Append<float>(v);
      return;
    }
    case TypeId::kFloat64: {
      static const double kSpecial[] = {0.0, -0.0, 0.1, -1e300, 1.7e308, 5e-324, 1e21, 1e-7};
      double v = rng() % 4 == 0 ? kSpecial[rng() % 8]
                                : std::uniform_real_distribution<double>(-1e9, 1e9)(rng);
      c.Append<double>(v);
      return;
    }
    case TypeId::kDecimal: {
      __int128 max = 1;
      for (int i = 0; i < t.precision(); ++i) max *= 10;
      max -= 1;
      __int128 v = (static_cast<__int128>(rng()) << 64 | rng()) % (max + 1);
      if (rng() % 5 == 0) v = max;
      if (rng() % 2) v = -v;
      c.Append<__int128>(v);
      return;
    }
    case TypeId::kString:
      c.AppendString(RandomBytes(rng, true));
      return;
    case TypeId::kBinary:
      c.AppendString(RandomBytes(rng, false));
      return;
    case TypeId::kDate:
      c.Append<int32_t>(static_cast<int32_t>(RandomInt(rng, -719162, 2932896)));  // 0001..9999
      return;
    case TypeId::kTimestamp:
    case TypeId::kTimestampNtz:
      c.Append<int64_t>(RandomInt(rng, -62135596800000000LL, 253402300799999999LL));
      return;
    case TypeId::kStruct:
      for (size_t k = 0; k < t.fields().size(); ++k) {
        AppendRandomValue(rng, c.mutable_child(k), t.fields()[k].nullable, opt);
      }
      c.CloseStruct();
      return;
    case TypeId::kList: {
      int n = static_cast<int>(rng() % (opt.max_list_length + 1));
      for (int i = 0; i < n; ++i)
        AppendRandomValue(rng, c.mutable_child(0), t.element().nullable, opt);
      c.CloseList();
      return;
    }
    case TypeId::kMap: {
      int n = static_cast<int>(rng() % (opt.max_list_length + 1));
      for (int i = 0; i < n; ++i) {
        AppendRandomValue(rng, c.mutable_child(0), false, opt);
        AppendRandomValue(rng, c.mutable_child(1), t.value().nullable, opt);
      }
      c.CloseList();
      return;
    }
  }
}

columnar::RecordBatch RandomBatch(std::mt19937_64& rng, const columnar::Schema& schema,
                                  int64_t rows, const RandomOptions& opt) {
  auto b = columnar::RecordBatch::MakeEmpty(schema);
  for (size_t c = 0; c < schema.num_fields(); ++c) {
    for (int64_t r = 0; r < rows; ++r) {
      AppendRandomValue(rng, b.mutable_column(c), schema.field(c).nullable, opt);
    }
  }
  return b;
}

}  // namespace cpglake::parquet::testing
