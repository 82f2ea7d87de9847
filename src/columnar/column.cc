#include "columnar/column.h"

#include <cstring>

#include "common/error.h"

namespace cpglake::columnar {

Column::Column(TypePtr type) : type_(std::move(type)) {
  CPGLAKE_CHECK(type_ != nullptr, "column without a type");
  if (type_->has_offsets()) offsets_.push_back(0);
  switch (type_->id()) {
    case TypeId::kStruct:
      for (const auto& f : type_->fields()) children_.push_back(Make(f.type));
      break;
    case TypeId::kList:
      children_.push_back(Make(type_->element().type));
      break;
    case TypeId::kMap:
      children_.push_back(Make(type_->key().type));
      children_.push_back(Make(type_->value().type));
      break;
    default:
      break;
  }
}

ColumnPtr Column::Retyped(TypePtr type) const {
  if (type->id() != type_->id() || type->fields().size() != type_->fields().size() ||
      type->precision() != type_->precision() || type->scale() != type_->scale()) {
    throw InvalidInput("cannot view a " + type_->ToString() + " column as " + type->ToString());
  }
  auto out = std::make_shared<Column>(type);
  out->length_ = length_;
  out->validity_ = validity_;
  out->data_ = data_;
  out->offsets_ = offsets_;
  for (size_t i = 0; i < children_.size(); ++i) {
    out->children_[i] = children_[i]->Retyped(type->fields()[i].type);
  }
  return out;
}

void Column::SetChild(size_t i, ColumnPtr child) {
  CPGLAKE_CHECK(i < children_.size() && child->type()->Equals(*children_[i]->type()),
                "SetChild with a different type");
  children_[i] = std::move(child);
}

int64_t Column::null_count() const {
  if (type_->id() == TypeId::kNull) return length_;
  if (validity_.length() == 0) return 0;
  return length_ - validity_.CountSet();
}

void Column::Reserve(int64_t n) {
  int w = type_->byte_width();
  if (w > 0) data_.reserve(data_.size() + n * w);
  if (type_->has_offsets()) offsets_.reserve(offsets_.size() + n);
}

void Column::MarkNull() {
  if (validity_.length() == 0) validity_.AppendN(length_, true);
  validity_.Append(false);
  ++length_;
}

void Column::AppendNull() {
  int w = type_->byte_width();
  if (w > 0) data_.resize(data_.size() + w, 0);
  if (type_->has_offsets()) offsets_.push_back(offsets_.back());
  if (type_->id() == TypeId::kStruct) {
    for (auto& c : children_) c->AppendNull();
  }
  MarkNull();
}

void Column::AppendNulls(int64_t n) {
  if (n <= 0) return;
  // In bulk: the same buffers as n AppendNull calls (zeroed values, repeated offsets).
  const int w = type_->byte_width();
  if (w > 0) data_.resize(data_.size() + static_cast<size_t>(n) * static_cast<size_t>(w), 0);
  if (type_->has_offsets())
    offsets_.resize(offsets_.size() + static_cast<size_t>(n), offsets_.back());
  if (type_->id() == TypeId::kStruct) {
    for (auto& c : children_) c->AppendNulls(n);
  }
  if (validity_.length() == 0) validity_.AppendN(length_, true);
  validity_.AppendN(n, false);
  length_ += n;
}

void Column::AppendString(std::string_view s) {
  const size_t old = data_.size();
  data_.resize(old + s.size());  // default-initialised bytes: no zeroing
  if (!s.empty()) std::memcpy(data_.data() + old, s.data(), s.size());
  offsets_.push_back(static_cast<int64_t>(data_.size()));
  MarkValid();
}

void Column::CloseList() {
  offsets_.push_back(children_[0]->length());
  MarkValid();
}

void Column::AppendFrom(const Column& other, int64_t i) {
  AppendRange(other, i, i + 1);
}

void Column::AppendRange(const Column& other, int64_t begin, int64_t end) {
  if (end <= begin) return;
  const int64_t n = end - begin;
  const TypeId id = type_->id();
  if (id == TypeId::kNull) {
    length_ += n;
    return;
  }
  // Validity first: keep the bitmap lazily materialised.
  if (other.has_validity()) {
    if (validity_.length() == 0) validity_.AppendN(length_, true);
    for (int64_t i = begin; i < end; ++i) validity_.Append(other.validity_.Get(i));
  } else if (validity_.length() > 0) {
    validity_.AppendN(n, true);
  }
  int w = type_->byte_width();
  if (w > 0) {
    data_.insert(data_.end(), other.data_.begin() + begin * w, other.data_.begin() + end * w);
  } else if (id == TypeId::kString || id == TypeId::kBinary) {
    int64_t base = static_cast<int64_t>(data_.size()) - other.offsets_[begin];
    data_.insert(data_.end(), other.data_.begin() + other.offsets_[begin],
                 other.data_.begin() + other.offsets_[end]);
    for (int64_t i = begin + 1; i <= end; ++i) offsets_.push_back(other.offsets_[i] + base);
  } else if (id == TypeId::kList || id == TypeId::kMap) {
    int64_t base = children_[0]->length() - other.offsets_[begin];
    for (size_t c = 0; c < children_.size(); ++c) {
      children_[c]->AppendRange(*other.children_[c], other.offsets_[begin], other.offsets_[end]);
    }
    for (int64_t i = begin + 1; i <= end; ++i) offsets_.push_back(other.offsets_[i] + base);
  } else if (id == TypeId::kStruct) {
    for (size_t c = 0; c < children_.size(); ++c) {
      children_[c]->AppendRange(*other.children_[c], begin, end);
    }
  }
  length_ += n;
}

void Column::SetLength(int64_t n) {
  length_ = n;
  if (validity_.length() > 0) {
    CPGLAKE_CHECK(validity_.length() == n, "validity length mismatch");
    if (validity_.CountSet() == n) validity_.Clear();
  }
}

void Column::Clear() {
  length_ = 0;
  validity_.Clear();
  data_.clear();
  offsets_.clear();
  if (type_->has_offsets()) offsets_.push_back(0);
  for (auto& c : children_) c->Clear();
}

int64_t Column::ByteSize() const {
  int64_t n = static_cast<int64_t>(data_.size() + offsets_.size() * sizeof(int64_t) +
                                   validity_.words().size() * 8);
  for (const auto& c : children_) n += c->ByteSize();
  return n;
}

}  // namespace cpglake::columnar
