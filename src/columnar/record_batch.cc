#include "columnar/record_batch.h"

#include "common/error.h"

namespace cpglake::columnar {

RecordBatch::RecordBatch(Schema schema, std::vector<ColumnPtr> columns)
    : schema_(std::move(schema)), columns_(std::move(columns)) {
  if (columns_.size() != schema_.num_fields()) {
    throw InvalidInput("record batch has " + std::to_string(columns_.size()) +
                       " columns but its schema has " + std::to_string(schema_.num_fields()));
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (!columns_[i]->type()->Equals(*schema_.field(i).type)) {
      throw InvalidInput("column '" + schema_.field(i).name + "' has type " +
                         columns_[i]->type()->ToString() + " but the schema says " +
                         schema_.field(i).type->ToString());
    }
    if (columns_[i]->length() != columns_[0]->length()) {
      throw InvalidInput("column '" + schema_.field(i).name + "' has " +
                         std::to_string(columns_[i]->length()) + " rows, expected " +
                         std::to_string(columns_[0]->length()));
    }
  }
}

RecordBatch RecordBatch::MakeEmpty(const Schema& schema) {
  std::vector<ColumnPtr> cols;
  for (const auto& f : schema.fields()) cols.push_back(Column::Make(f.type));
  return RecordBatch(schema, std::move(cols));
}

const Column* RecordBatch::ColumnByName(std::string_view name) const {
  int i = schema_.FieldIndex(name);
  return i < 0 ? nullptr : columns_[i].get();
}

RecordBatch RecordBatch::Project(const std::vector<std::string>& names) const {
  std::vector<Field> fields;
  std::vector<ColumnPtr> cols;
  for (const auto& n : names) {
    int i = schema_.FieldIndex(n);
    if (i < 0) throw InvalidInput("no column named '" + n + "'");
    fields.push_back(schema_.field(i));
    cols.push_back(columns_[i]);
  }
  RecordBatch b(Schema(std::move(fields)), std::move(cols));
  b.num_rows_ = num_rows();
  return b;
}

RecordBatch RecordBatch::Slice(int64_t begin, int64_t end) const {
  RecordBatch out = MakeEmpty(schema_);
  for (size_t c = 0; c < columns_.size(); ++c) {
    out.columns_[c]->AppendRange(*columns_[c], begin, end);
  }
  out.num_rows_ = end - begin;
  return out;
}

RecordBatch RecordBatch::Filter(const Bitmap& keep) const {
  RecordBatch out = MakeEmpty(schema_);
  const int64_t n = num_rows();
  for (size_t c = 0; c < columns_.size(); ++c) {
    int64_t i = 0;
    while (i < n) {
      if (!keep.Get(i)) {
        ++i;
        continue;
      }
      int64_t j = i;
      while (j < n && keep.Get(j)) ++j;
      out.columns_[c]->AppendRange(*columns_[c], i, j);
      i = j;
    }
  }
  out.num_rows_ = keep.CountSet();
  return out;
}

void RecordBatch::Append(const RecordBatch& other) {
  if (!schema_.Equals(other.schema_)) {
    throw InvalidInput("cannot append batches with different schemas");
  }
  for (size_t c = 0; c < columns_.size(); ++c) {
    columns_[c]->AppendRange(*other.columns_[c], 0, other.columns_[c]->length());
  }
  num_rows_ += other.num_rows();
}

int64_t RecordBatch::ByteSize() const {
  int64_t n = 0;
  for (const auto& c : columns_) n += c->ByteSize();
  return n;
}

}  // namespace cpglake::columnar
