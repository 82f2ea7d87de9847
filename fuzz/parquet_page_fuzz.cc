// Fuzz entry point: arbitrary bytes as the pages of one column chunk, for a few leaf
// shapes (flat required/optional, nested list) and encodings the header selects.
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "parquet/column_reader.h"
#include "parquet/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cpglake;
  using namespace cpglake::parquet;
  if (size < 2) return 0;
  static const Type kTypes[] = {
      Type::BOOLEAN, Type::INT32,  Type::INT64,      Type::INT96,
      Type::FLOAT,   Type::DOUBLE, Type::BYTE_ARRAY, Type::FIXED_LEN_BYTE_ARRAY};
  SchemaElement root;
  root.name = "schema";
  root.num_children = 1;
  SchemaElement leaf;
  leaf.name = "c";
  leaf.type = kTypes[data[0] % 8];
  leaf.type_length = 1 + data[0] / 8 % 16;
  leaf.repetition_type = static_cast<FieldRepetitionType>(data[1] % 3);
  try {
    FileSchema schema({root, leaf});
    ColumnMetaData meta;
    meta.type = *leaf.type;
    meta.codec = static_cast<CompressionCodec>(data[1] / 3 % 8);
    meta.num_values = data[1] / 24 + 1;
    ColumnReadLimits limits;
    limits.max_page_bytes = 16 << 20;
    const ReadNode* node = &schema.fields()[0];
    while (node->kind != ReadNode::Kind::kLeaf) node = &node->children[0];
    ReadColumnChunk(*node, meta, data + 2, size - 2, limits);
  } catch (const Error&) {
  }
  return 0;
}
