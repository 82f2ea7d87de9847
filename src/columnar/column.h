// Column: a nullable vector of values of one DataType, in the layout types.h describes.
// A Column is built by appending (it is its own builder) and then shared read-only
// (`std::shared_ptr<const Column>` in RecordBatch). Decoders that fill buffers in bulk
// use the raw buffer accessors and then `SetLength`.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "columnar/bitmap.h"
#include "columnar/buffer.h"
#include "columnar/types.h"

namespace cpglake::columnar {

class Column;
using ColumnPtr = std::shared_ptr<Column>;

class Column {
 public:
  explicit Column(TypePtr type);
  static ColumnPtr Make(TypePtr type) { return std::make_shared<Column>(std::move(type)); }

  const TypePtr& type() const { return type_; }
  TypeId type_id() const { return type_->id(); }
  int64_t length() const { return length_; }
  int64_t null_count() const;
  // True when the validity bitmap is materialised (some value may be null).
  bool has_validity() const { return validity_.length() > 0; }
  bool IsValid(int64_t i) const { return validity_.length() == 0 || validity_.Get(i); }
  bool IsNull(int64_t i) const { return !IsValid(i); }

  // Fixed-width values (see the layout in types.h).
  template <typename T>
  const T* data() const {
    return reinterpret_cast<const T*>(data_.data());
  }
  template <typename T>
  T* mutable_data() {
    return reinterpret_cast<T*>(data_.data());
  }
  template <typename T>
  T Get(int64_t i) const {
    T v;
    std::memcpy(&v, data_.data() + i * sizeof(T), sizeof(T));
    return v;
  }
  bool GetBool(int64_t i) const { return data_[i] != 0; }
  // String and binary values.
  std::string_view GetString(int64_t i) const {
    return std::string_view(reinterpret_cast<const char*>(data_.data()) + offsets_[i],
                            offsets_[i + 1] - offsets_[i]);
  }
  // List and map rows: elements [ListBegin(i), ListEnd(i)) of the child column(s).
  int64_t ListBegin(int64_t i) const { return offsets_[i]; }
  int64_t ListEnd(int64_t i) const { return offsets_[i + 1]; }

  size_t num_children() const { return children_.size(); }
  const Column& child(size_t i) const { return *children_[i]; }
  Column& mutable_child(size_t i) { return *children_[i]; }
  const ColumnPtr& child_ptr(size_t i) const { return children_[i]; }
  // A copy of this column under another type of the same layout (names and nullability
  // may differ: column mapping, file vs table schema). InvalidInput if layouts differ.
  ColumnPtr Retyped(TypePtr type) const;
  // Replaces child i (same type) — used by readers that assemble children separately.
  void SetChild(size_t i, ColumnPtr child);

  // --- Appending -------------------------------------------------------------------------
  void Reserve(int64_t n);
  // A null row. Struct children get a null too; lists/maps get an empty range.
  void AppendNull();
  void AppendNulls(int64_t n);
  template <typename T>
  void Append(T v) {
    size_t old = data_.size();
    data_.resize(old + sizeof(T));
    std::memcpy(data_.data() + old, &v, sizeof(T));
    MarkValid();
  }
  void AppendBool(bool v) {
    data_.push_back(v ? 1 : 0);
    MarkValid();
  }
  void AppendString(std::string_view s);
  // Closes a list/map row whose elements the caller appended to the child column(s).
  void CloseList();
  // Marks a struct row valid once the caller appended one value to every child.
  void CloseStruct() { MarkValid(); }
  // Appends row `i` of `other` (same type) to this column.
  void AppendFrom(const Column& other, int64_t i);
  // Appends rows [begin, end) of `other` (same type).
  void AppendRange(const Column& other, int64_t begin, int64_t end);

  // --- Raw access for bulk decoders ------------------------------------------------------
  ByteBuffer& data_buffer() { return data_; }
  const ByteBuffer& data_buffer() const { return data_; }
  OffsetBuffer& offsets_buffer() { return offsets_; }
  const OffsetBuffer& offsets() const { return offsets_; }
  // Empty means "all valid"; otherwise exactly length() bits.
  Bitmap& validity_buffer() { return validity_; }
  const Bitmap& validity() const { return validity_; }
  // Declares the length after raw buffer writes; drops the bitmap when all valid.
  void SetLength(int64_t n);
  void Clear();

  // Memory held by this column and its children, in bytes (for bounding batches).
  int64_t ByteSize() const;

 private:
  void MarkValid() {
    if (validity_.length() > 0) validity_.Append(true);
    ++length_;
  }
  void MarkNull();

  TypePtr type_;
  int64_t length_ = 0;
  Bitmap validity_;
  ByteBuffer data_;
  OffsetBuffer offsets_;  // length + 1 entries for strings, binaries, lists, maps
  std::vector<ColumnPtr> children_;
};

}  // namespace cpglake::columnar
