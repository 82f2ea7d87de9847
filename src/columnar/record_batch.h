// RecordBatch: a schema plus one column per field, all of the same length.
#pragma once

#include <memory>
#include <vector>

#include "columnar/column.h"
#include "columnar/types.h"

namespace cpglake::columnar {

class RecordBatch {
 public:
  RecordBatch() = default;
  // Throws InvalidInput when column count, types or lengths disagree with the schema.
  RecordBatch(Schema schema, std::vector<ColumnPtr> columns);
  // An empty batch with one empty column per field, ready for appending.
  static RecordBatch MakeEmpty(const Schema& schema);

  const Schema& schema() const { return schema_; }
  int64_t num_rows() const { return columns_.empty() ? num_rows_ : columns_[0]->length(); }
  size_t num_columns() const { return columns_.size(); }
  const Column& column(size_t i) const { return *columns_[i]; }
  Column& mutable_column(size_t i) { return *columns_[i]; }
  const ColumnPtr& column_ptr(size_t i) const { return columns_[i]; }
  const std::vector<ColumnPtr>& columns() const { return columns_; }
  // Column by field name; nullptr when absent.
  const Column* ColumnByName(std::string_view name) const;

  // A batch with the named columns in the given order (InvalidInput for unknown names).
  RecordBatch Project(const std::vector<std::string>& names) const;
  // Rows [begin, end) copied into a new batch.
  RecordBatch Slice(int64_t begin, int64_t end) const;
  // Rows whose bit is set in `keep` (keep.length() == num_rows()).
  RecordBatch Filter(const Bitmap& keep) const;
  // Appends all rows of `other` (same schema).
  void Append(const RecordBatch& other);
  int64_t ByteSize() const;

  // For schemas without columns (count-only scans).
  void set_num_rows(int64_t n) { num_rows_ = n; }

 private:
  Schema schema_;
  std::vector<ColumnPtr> columns_;
  int64_t num_rows_ = 0;
};

}  // namespace cpglake::columnar
