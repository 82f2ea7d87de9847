#include "columnar/text_reader.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "columnar/text_reader_internal.h"
#include "columnar/value_format.h"
#include "common/error.h"

namespace cpglake::columnar {
namespace {

using text_internal::CellKind;
using text_internal::ClassifyCell;
using text_internal::EqualsIgnoreCase;
using text_internal::IsValidUtf8;
using text_internal::Join;
using text_internal::JsonDoc;
using text_internal::JType;
using text_internal::JTypeName;
using text_internal::NumStatus;
using text_internal::ParseDate;
using text_internal::ParseDecimal;
using text_internal::ParseDouble;
using text_internal::ParseInt64;
using text_internal::ParseTimestamp;
using text_internal::Quoted;
using text_internal::TypeOfKind;

// A conversion failure below the row level; the reader adds file and line. `path` names
// the column ("a", "a.b[2]").
struct ConvertFailure {
  std::string path;
  std::string message;
};

// The merged type of JSON values (see the top of text_reader.h).
struct JsonShape {
  enum Kind : uint8_t { kNone, kBool, kLong, kDouble, kString, kStruct, kList } kind = kNone;
  std::vector<std::pair<std::string, std::unique_ptr<JsonShape>>> fields;
  std::unordered_map<std::string, size_t> index;
  std::unique_ptr<JsonShape> element;

  static Kind KindOf(const JsonDoc::Node& n) {
    switch (n.type) {
      case JType::kTrue:
      case JType::kFalse:
        return kBool;
      case JType::kNumber:
        return n.integer ? kLong : kDouble;  // Merge() sends too large integers to double
      case JType::kString:
        return kString;
      case JType::kArray:
        return kList;
      case JType::kObject:
        return kStruct;
      default:
        return kNone;
    }
  }

  void Merge(const JsonDoc& doc, uint32_t i) {
    const JsonDoc::Node& n = doc.node(i);
    Kind k = KindOf(n);
    if (k == kNone || kind == kString) return;
    if (k == kLong) {
      int64_t v;
      if (ParseInt64(doc.raw(n), &v) != NumStatus::kOk) k = kDouble;
    }
    if (kind == kNone) {
      kind = k;
    } else if (kind != k) {
      if ((kind == kLong || kind == kDouble) && (k == kLong || k == kDouble)) {
        kind = kDouble;
      } else {
        kind = kString;
        fields.clear();
        index.clear();
        element.reset();
      }
      return;
    }
    if (kind == kStruct) {
      for (uint32_t c = n.first; c != 0; c = doc.node(c).next) {
        std::string name(doc.key(doc.node(c)));
        auto [it, added] = index.try_emplace(name, fields.size());
        if (added) fields.emplace_back(std::move(name), std::make_unique<JsonShape>());
        fields[it->second].second->Merge(doc, c);
      }
    } else if (kind == kList) {
      if (!element) element = std::make_unique<JsonShape>();
      for (uint32_t c = n.first; c != 0; c = doc.node(c).next) element->Merge(doc, c);
    }
  }

  TypePtr ToType() const {
    switch (kind) {
      case kBool:
        return DataType::Boolean();
      case kLong:
        return DataType::Int64();
      case kDouble:
        return DataType::Float64();
      case kStruct: {
        if (fields.empty()) return DataType::String();
        std::vector<Field> out;
        for (const auto& [name, shape] : fields) out.emplace_back(name, shape->ToType());
        return DataType::Struct(std::move(out));
      }
      case kList:
        return DataType::List(element ? element->ToType() : DataType::String());
      default:
        return DataType::String();
    }
  }
};

// ============================================================================ conversion

// The column name path of a value, built only when something fails.
struct PathFrame {
  const PathFrame* parent = nullptr;
  std::string_view name;  // field name (when index < 0)
  int64_t index = -1;     // list element / map entry
};

std::string PathText(const PathFrame* f) {
  std::vector<const PathFrame*> frames;
  for (; f != nullptr; f = f->parent) frames.push_back(f);
  std::string out;
  for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
    if ((*it)->index >= 0) {
      out += "[" + std::to_string((*it)->index) + "]";
    } else {
      if (!out.empty()) out += '.';
      out += (*it)->name;
    }
  }
  return out;
}

// Appends text and JSON values to columns of any type. Throws ConvertFailure.
class Converter {
 public:
  Converter(bool ignore_unknown, std::string unknown_hint)
      : ignore_unknown_(ignore_unknown), unknown_hint_(std::move(unknown_hint)) {}

  [[noreturn]] static void Fail(const PathFrame* at, std::string message) {
    throw ConvertFailure{PathText(at), std::move(message)};
  }
  [[noreturn]] static void FailText(const PathFrame* at, std::string_view text, const DataType& t,
                                    std::string_view why = {}) {
    std::string m = "cannot convert " + Quoted(text) + " to " + t.ToString();
    if (!why.empty()) m += std::string(" (") + std::string(why) + ")";
    Fail(at, std::move(m));
  }

  void AppendText(Column& col, std::string_view s, const PathFrame* at) {
    const DataType& t = *col.type();
    switch (t.id()) {
      case TypeId::kNull:
        col.AppendNull();
        return;
      case TypeId::kBoolean:
        if (EqualsIgnoreCase(s, "true") || s == "1") {
          col.AppendBool(true);
        } else if (EqualsIgnoreCase(s, "false") || s == "0") {
          col.AppendBool(false);
        } else {
          FailText(at, s, t);
        }
        return;
      case TypeId::kInt8:
      case TypeId::kInt16:
      case TypeId::kInt32:
      case TypeId::kInt64: {
        int64_t v = 0;
        NumStatus st = ParseInt64(s, &v);
        if (st == NumStatus::kSyntax) FailText(at, s, t);
        AppendInteger(col, v, st == NumStatus::kOk, s, at);
        return;
      }
      case TypeId::kFloat32:
      case TypeId::kFloat64: {
        double v = 0;
        NumStatus st = ParseDouble(s, true, &v);
        if (st == NumStatus::kSyntax) FailText(at, s, t);
        AppendFloat(col, v, st == NumStatus::kOk, s, at);
        return;
      }
      case TypeId::kDecimal: {
        auto v = ParseDecimal(s, t.precision(), t.scale());
        if (!v) FailText(at, s, t);
        col.Append<__int128>(*v);
        return;
      }
      case TypeId::kString:
      case TypeId::kBinary:
        col.AppendString(s);
        return;
      case TypeId::kDate: {
        auto d = ParseDate(s);
        if (!d) FailText(at, s, t, "expected YYYY-MM-DD");
        col.Append<int32_t>(*d);
        return;
      }
      case TypeId::kTimestamp:
      case TypeId::kTimestampNtz: {
        auto ts = ParseTimestamp(s);
        if (!ts) FailText(at, s, t, "expected YYYY-MM-DD[T]HH:MM[:SS[.ffffff]][zone]");
        if (ts->has_zone && t.id() == TypeId::kTimestampNtz) {
          FailText(at, s, t, "timestamp_ntz takes no time zone");
        }
        col.Append<int64_t>(ts->micros);
        return;
      }
      case TypeId::kStruct:
      case TypeId::kList:
      case TypeId::kMap: {
        // A nested value in a CSV cell (or a nested map key) is JSON text.
        auto doc = std::make_unique<JsonDoc>();
        if (!doc->Parse(s)) {
          Fail(at, "malformed JSON for " + t.ToString() + " at character " +
                       std::to_string(doc->error_column()) + ": " + doc->error());
        }
        AppendJson(col, /*nullable=*/true, *doc, 0, at);
        return;
      }
    }
    Fail(at, "unsupported type " + t.ToString());
  }

  void AppendJson(Column& col, bool nullable, const JsonDoc& doc, uint32_t i, const PathFrame* at) {
    const JsonDoc::Node& n = doc.node(i);
    if (n.type == JType::kNull) {
      if (!nullable) Fail(at, "null in a non-nullable field");
      col.AppendNull();
      return;
    }
    const DataType& t = *col.type();
    if (n.type == JType::kString && !t.is_nested() && t.id() != TypeId::kBinary) {
      AppendText(col, doc.str(n), at);
      return;
    }
    switch (t.id()) {
      case TypeId::kNull:
        col.AppendNull();
        return;
      case TypeId::kBoolean:
        if (n.type == JType::kTrue || n.type == JType::kFalse) {
          col.AppendBool(n.type == JType::kTrue);
          return;
        }
        break;
      case TypeId::kInt8:
      case TypeId::kInt16:
      case TypeId::kInt32:
      case TypeId::kInt64:
        if (n.type == JType::kNumber) {
          if (!n.integer) FailText(at, doc.raw(n), t, "not an integer");
          int64_t v = 0;
          NumStatus st = ParseInt64(doc.raw(n), &v);
          AppendInteger(col, v, st == NumStatus::kOk, doc.raw(n), at);
          return;
        }
        break;
      case TypeId::kFloat32:
      case TypeId::kFloat64:
        if (n.type == JType::kNumber) {
          double v = 0;
          NumStatus st = ParseDouble(doc.raw(n), false, &v);
          AppendFloat(col, v, st == NumStatus::kOk, doc.raw(n), at);
          return;
        }
        break;
      case TypeId::kDecimal:
        if (n.type == JType::kNumber) {
          AppendText(col, doc.raw(n), at);
          return;
        }
        break;
      case TypeId::kString:
        col.AppendString(doc.raw(n));  // a non-string value as its JSON text
        return;
      case TypeId::kBinary:
        if (n.type == JType::kString) {
          col.AppendString(doc.str(n));
          return;
        }
        break;
      case TypeId::kStruct:
        if (n.type == JType::kObject) {
          AppendStruct(col, doc, i, at);
          return;
        }
        break;
      case TypeId::kList:
        if (n.type == JType::kArray) {
          Column& elements = col.mutable_child(0);
          const bool elem_nullable = t.element().nullable;
          int64_t k = 0;
          for (uint32_t c = n.first; c != 0; c = doc.node(c).next, ++k) {
            PathFrame f{at, {}, k};
            AppendJson(elements, elem_nullable, doc, c, &f);
          }
          col.CloseList();
          return;
        }
        break;
      case TypeId::kMap:
        if (n.type == JType::kObject) {
          Column& keys = col.mutable_child(0);
          Column& values = col.mutable_child(1);
          const bool value_nullable = t.value().nullable;
          for (uint32_t c = n.first; c != 0; c = doc.node(c).next) {
            const auto& cn = doc.node(c);
            PathFrame f{at, doc.key(cn)};
            AppendText(keys, doc.key(cn), &f);
            AppendJson(values, value_nullable, doc, c, &f);
          }
          col.CloseList();
          return;
        }
        break;
      default:
        break;
    }
    Fail(at,
         std::string("expected ") + t.ToString() + ", got " + JTypeName(n.type) +
             (n.type == JType::kObject || n.type == JType::kArray ? "" : " " + Quoted(doc.raw(n))));
  }

  // The members of object node `i` into one column per field of `fields` (a struct's
  // children, or the top-level columns). Absent fields are null.
  void AppendMembers(const std::vector<Field>& fields, Column* const* columns, const JsonDoc& doc,
                     uint32_t i, const PathFrame* at, int depth) {
    const auto& lookup = LookupFor(fields);
    if (scratch_.size() <= static_cast<size_t>(depth)) scratch_.resize(depth + 1);
    std::vector<uint32_t>& found = scratch_[depth];
    found.assign(fields.size(), 0);
    for (uint32_t c = doc.node(i).first; c != 0; c = doc.node(c).next) {
      std::string_view name = doc.key(doc.node(c));
      auto it = lookup.find(name);
      if (it == lookup.end()) {
        if (ignore_unknown_) continue;
        PathFrame f{at, name};
        Fail(&f, "not in the schema" + unknown_hint_);
      }
      found[it->second] = c;
    }
    for (size_t f = 0; f < fields.size(); ++f) {
      PathFrame frame{at, fields[f].name};
      const uint32_t c = scratch_[depth][f];
      if (c == 0) {
        if (!fields[f].nullable) Fail(&frame, "missing non-nullable field");
        columns[f]->AppendNull();
      } else if (fields[f].type->id() == TypeId::kStruct && doc.node(c).type == JType::kObject) {
        AppendStructAt(*columns[f], doc, c, &frame, depth + 1);
      } else {
        AppendJson(*columns[f], fields[f].nullable, doc, c, &frame);
      }
    }
  }

 private:
  using Lookup = std::unordered_map<std::string_view, size_t>;

  const Lookup& LookupFor(const std::vector<Field>& fields) {
    auto& slot = lookups_[&fields];
    if (!slot) {
      slot = std::make_unique<Lookup>();
      for (size_t f = 0; f < fields.size(); ++f) slot->emplace(fields[f].name, f);
    }
    return *slot;
  }

  void AppendStruct(Column& col, const JsonDoc& doc, uint32_t i, const PathFrame* at) {
    int depth = 0;
    for (const PathFrame* f = at; f != nullptr; f = f->parent) ++depth;
    AppendStructAt(col, doc, i, at, depth);
  }

  void AppendStructAt(Column& col, const JsonDoc& doc, uint32_t i, const PathFrame* at, int depth) {
    const auto& fields = col.type()->fields();
    std::vector<Column*> children(fields.size());
    for (size_t f = 0; f < fields.size(); ++f) children[f] = &col.mutable_child(f);
    AppendMembers(fields, children.data(), doc, i, at, depth);
    col.CloseStruct();
  }

  void AppendInteger(Column& col, int64_t v, bool ok, std::string_view text, const PathFrame* at) {
    const int width = IntegerWidth(col.type_id());
    const int64_t lo =
        width == 8 ? std::numeric_limits<int64_t>::min() : -(int64_t{1} << (width * 8 - 1));
    const int64_t hi =
        width == 8 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (width * 8 - 1)) - 1;
    if (!ok || v < lo || v > hi) FailText(at, text, *col.type(), "out of range");
    switch (width) {
      case 1:
        col.Append<int8_t>(static_cast<int8_t>(v));
        break;
      case 2:
        col.Append<int16_t>(static_cast<int16_t>(v));
        break;
      case 4:
        col.Append<int32_t>(static_cast<int32_t>(v));
        break;
      default:
        col.Append<int64_t>(v);
    }
  }

  void AppendFloat(Column& col, double v, bool ok, std::string_view text, const PathFrame* at) {
    if (!ok) FailText(at, text, *col.type(), "out of range");
    if (col.type_id() == TypeId::kFloat64) {
      col.Append<double>(v);
      return;
    }
    if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max()) {
      FailText(at, text, *col.type(), "out of range");
    }
    col.Append<float>(static_cast<float>(v));
  }

  bool ignore_unknown_;
  std::string unknown_hint_;
  std::unordered_map<const std::vector<Field>*, std::unique_ptr<Lookup>> lookups_;
  std::vector<std::vector<uint32_t>> scratch_;  // per struct depth: member node per field
};

// ============================================================================ byte input

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to `n` bytes; 0 only at the end.
  virtual size_t Read(char* buf, size_t n) = 0;
  virtual void Rewind() = 0;
};

class FileSource : public ByteSource {
 public:
  explicit FileSource(const std::string& path) : path_(path) {
    file_ = std::fopen(path.c_str(), "rb");
    if (file_ == nullptr) {
      const int err = errno;
      std::string msg = "cannot open " + path + ": " + std::strerror(err);
      if (err == ENOENT) throw NotFound(msg);
      throw IoError(msg);
    }
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::fclose(file_);
      throw InvalidInput(path + " is a directory, not a CSV or JSON-lines file");
    }
  }
  ~FileSource() override { std::fclose(file_); }
  size_t Read(char* buf, size_t n) override {
    size_t got = std::fread(buf, 1, n, file_);
    if (got == 0 && std::ferror(file_)) {
      throw IoError("cannot read " + path_ + ": " + std::strerror(errno));
    }
    return got;
  }
  void Rewind() override {
    if (std::fseek(file_, 0, SEEK_SET) != 0) {
      throw IoError("cannot rewind " + path_ +
                    " (type inference reads the input twice; pass a schema for pipes)");
    }
    std::clearerr(file_);
  }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  size_t Read(char* buf, size_t n) override {
    n = std::min(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  void Rewind() override { pos_ = 0; }

 private:
  std::string data_;
  size_t pos_ = 0;
};

// A window [pos, end) over the input; Fill() keeps it and reads more.
class InputBuffer {
 public:
  InputBuffer(std::unique_ptr<ByteSource> source, size_t chunk)
      : source_(std::move(source)), chunk_(std::max<size_t>(chunk, 1)) {
    buf_.resize(chunk_);
  }

  const char* data() const { return buf_.data(); }
  size_t pos = 0;
  size_t end = 0;

  // Reads more input after `end` (moving [pos, end) to the front first); false at the end.
  // Reads at least as many bytes as are pending, so a caller that rescans a long record
  // after every Fill() does linear work in total.
  bool Fill() {
    if (pos > 0) {
      std::memmove(buf_.data(), buf_.data() + pos, end - pos);
      end -= pos;
      pos = 0;
    }
    const size_t want = std::max(chunk_, end);
    if (buf_.size() < end + want) buf_.resize(end + want);
    size_t got = source_->Read(buf_.data() + end, want);
    end += got;
    return got > 0;
  }

  // Back to the start of the input, past a UTF-8 byte order mark.
  void Restart(bool rewind) {
    if (rewind) source_->Rewind();
    pos = end = 0;
    while (end < 3 && Fill()) {
    }
    if (end >= 3 && std::memcmp(buf_.data(), "\xEF\xBB\xBF", 3) == 0) pos = 3;
  }

 private:
  std::unique_ptr<ByteSource> source_;
  size_t chunk_;
  std::vector<char> buf_;
};

// ============================================================================ readers

class TextReaderBase : public TextReader {
 protected:
  TextReaderBase(std::unique_ptr<ByteSource> source, TextReadOptions options, std::string name)
      : options_(std::move(options)),
        name_(std::move(name)),
        in_(std::move(source), static_cast<size_t>(std::clamp<int64_t>(options_.read_chunk_bytes, 1,
                                                                       int64_t{1} << 30))) {
    if (options_.batch_rows < 1) throw InvalidInput("batch_rows must be at least 1");
    if (options_.infer_rows < 0) throw InvalidInput("infer_rows must not be negative");
    if (options_.max_record_bytes < 1) throw InvalidInput("max_record_bytes must be at least 1");
    // JSON node offsets are 32-bit.
    options_.max_record_bytes = std::min<int64_t>(options_.max_record_bytes, int64_t{1} << 31);
    inferred_ = !options_.schema.has_value();
    in_.Restart(false);
  }

  [[noreturn]] void FailAt(int64_t line, const std::string& message) const {
    throw InvalidInput(name_ + ":" + std::to_string(line) + ": " + message);
  }

  void CheckRecordSize(size_t bytes, int64_t line) const {
    if (static_cast<int64_t>(bytes) > options_.max_record_bytes) {
      FailAt(line,
             "record longer than max_record_bytes (" + std::to_string(options_.max_record_bytes) +
                 " bytes)" +
                 (std::string_view(hint_for_long_record_).empty() ? "" : hint_for_long_record_));
    }
  }

  // The advice added to conversion errors when the schema was inferred.
  std::string InferenceHint() const {
    if (!inferred_) return "";
    return " (the schema was inferred from " +
           (options_.infer_rows == 0
                ? std::string("the whole input")
                : "the first " + std::to_string(options_.infer_rows) + " rows") +
           "; pass a schema, or raise infer_rows)";
  }

  std::string UnknownHint() const {
    return inferred_ ? "" : " (set ignore_unknown_columns to skip it)";
  }

  static RecordBatch FinishBatch(RecordBatch batch, int64_t rows) {
    if (batch.num_columns() == 0) batch.set_num_rows(rows);
    return batch;
  }

  TextReadOptions options_;
  std::string name_;
  InputBuffer in_;
  bool inferred_ = false;
  const char* hint_for_long_record_ = "";
  int64_t next_line_ = 1;  // line number of the next unread byte
};

class CsvReader : public TextReaderBase {
 public:
  CsvReader(std::unique_ptr<ByteSource> source, TextReadOptions options, std::string name)
      : TextReaderBase(std::move(source), std::move(options), std::move(name)) {
    const char d = options_.delimiter, q = options_.quote;
    if (d == '\n' || d == '\r' || d == '\0') throw InvalidInput("invalid CSV delimiter");
    if (q == '\n' || q == '\r' || q == d) throw InvalidInput("invalid CSV quote character");
    hint_for_long_record_ = "; is a quote unterminated?";
    stops_[static_cast<unsigned char>(d)] = stops_[size_t{'\n'}] = stops_[size_t{'\r'}] = true;
    ReadHeader();
    if (inferred_) {
      Infer();
      in_.Restart(true);
      next_line_ = 1;
      ReadRecord();  // the header again
    } else {
      MapToSchema();
    }
    converter_ = std::make_unique<Converter>(options_.ignore_unknown_columns, UnknownHint());
  }

 protected:
  std::optional<RecordBatch> NextImpl() override {
    RecordBatch batch = RecordBatch::MakeEmpty(schema_);
    std::vector<Column*> cols(schema_.num_fields());
    for (size_t f = 0; f < cols.size(); ++f) cols[f] = &batch.mutable_column(f);
    int64_t rows = 0;
    while (rows < options_.batch_rows && ReadRecord()) {
      CheckFieldCount();
      for (size_t j = 0; j < header_.size(); ++j) {
        const int f = field_of_column_[j];
        if (f < 0) continue;
        const Field& field = schema_.field(f);
        if (IsNull(j)) {
          if (!field.nullable) FailCell(j, "null in non-nullable column");
          cols[f]->AppendNull();
          continue;
        }
        try {
          PathFrame frame{nullptr, field.name};
          converter_->AppendText(*cols[f], Cell(j), &frame);
        } catch (const ConvertFailure& e) {
          FailCell(j, e.message + (e.path == field.name ? "" : " at " + e.path) + InferenceHint());
        }
      }
      for (int f : absent_fields_) cols[f]->AppendNull();
      ++rows;
    }
    if (rows == 0) return std::nullopt;
    return FinishBatch(std::move(batch), rows);
  }

 private:
  std::string_view Cell(size_t j) const {
    size_t begin = j == 0 ? 0 : cell_end_[j - 1];
    return std::string_view(cell_data_).substr(begin, cell_end_[j] - begin);
  }

  bool IsNull(size_t j) const {
    if (cell_quoted_[j] && !options_.quoted_nulls) return false;
    std::string_view s = Cell(j);
    for (const auto& n : options_.null_values) {
      if (s == n) return true;
    }
    return false;
  }

  [[noreturn]] void FailCell(size_t j, const std::string& message) const {
    FailAt(record_line_,
           "column " + std::to_string(j + 1) + " (" + Quoted(header_[j]) + "): " + message);
  }

  void CheckFieldCount() const {
    if (cell_end_.size() != header_.size()) {
      FailAt(record_line_, "expected " + std::to_string(header_.size()) +
                               " fields (as in the header), got " +
                               std::to_string(cell_end_.size()));
    }
  }

  void ReadHeader() {
    if (!ReadRecord()) throw InvalidInput(name_ + ": empty input; a CSV header row is required");
    std::unordered_set<std::string> seen;
    for (size_t j = 0; j < cell_end_.size(); ++j) {
      std::string name(Cell(j));
      if (name.empty()) name = "column" + std::to_string(j);
      if (!seen.insert(name).second) {
        FailAt(record_line_, "duplicate column name " + Quoted(name) + " in the header");
      }
      header_.push_back(std::move(name));
    }
  }

  void Infer() {
    std::vector<CellKind> kinds(header_.size(), CellKind::kNone);
    for (int64_t rows = 0; (options_.infer_rows == 0 || rows < options_.infer_rows) && ReadRecord();
         ++rows) {
      CheckFieldCount();
      for (size_t j = 0; j < header_.size(); ++j) {
        if (kinds[j] == CellKind::kString || IsNull(j)) continue;
        kinds[j] = Join(kinds[j], ClassifyCell(Cell(j)));
      }
    }
    std::vector<Field> fields;
    for (size_t j = 0; j < header_.size(); ++j) {
      fields.emplace_back(header_[j], TypeOfKind(kinds[j]));
      field_of_column_.push_back(static_cast<int>(j));
    }
    schema_ = Schema(std::move(fields));
  }

  void MapToSchema() {
    schema_ = *options_.schema;
    std::vector<bool> present(schema_.num_fields(), false);
    for (const auto& name : header_) {
      const int f = schema_.FieldIndex(name);
      if (f < 0 && !options_.ignore_unknown_columns) {
        throw InvalidInput(
            name_ + ": column " + Quoted(name) +
            " of the header is not in the schema (set ignore_unknown_columns to skip it)");
      }
      if (f >= 0) present[f] = true;
      field_of_column_.push_back(f);
    }
    for (size_t f = 0; f < present.size(); ++f) {
      if (present[f]) continue;
      if (!schema_.field(f).nullable) {
        throw InvalidInput(name_ + ": non-nullable column " + Quoted(schema_.field(f).name) +
                           " is missing from the header");
      }
      absent_fields_.push_back(static_cast<int>(f));
    }
  }

  enum class Step { kRecord, kBlank, kNeedMore };

  // The next non-blank record into the cells; false at the end of the input.
  bool ReadRecord() {
    bool eof = false;
    for (;;) {
      if (in_.pos == in_.end && !eof) {
        if (!in_.Fill()) eof = true;
      }
      if (in_.pos == in_.end && eof) return false;
      Step s = TryParse(eof);
      if (s == Step::kRecord) break;
      if (s == Step::kNeedMore) {
        CheckRecordSize(in_.end - in_.pos, next_line_);
        if (!in_.Fill()) eof = true;
      }
    }
    if (!IsValidUtf8(cell_data_)) {
      for (size_t j = 0; j < cell_end_.size(); ++j) {
        if (!IsValidUtf8(Cell(j))) {
          FailAt(record_line_, "column " + std::to_string(j + 1) + ": invalid UTF-8");
        }
      }
    }
    return true;
  }

  // Tokenises one record starting at in_.pos. kNeedMore when the buffered bytes end inside
  // it (the caller reads more and retries from the start of the record).
  Step TryParse(bool eof) {
    const char* b = in_.data();
    const size_t n = in_.end;
    const char delim = options_.delimiter, quote = options_.quote;
    size_t i = in_.pos;
    cell_data_.clear();
    cell_end_.clear();
    cell_quoted_.clear();
    int64_t newlines = 0;
    auto end_of_line = [&](size_t* at) -> bool {  // consumes \n, \r\n or \r at *at
      if (b[*at] == '\r') {
        if (*at + 1 >= n && !eof) return false;
        *at += (*at + 1 < n && b[*at + 1] == '\n') ? 2 : 1;
      } else {
        *at += 1;
      }
      return true;
    };
    if (b[i] == '\n' || b[i] == '\r') {
      if (!end_of_line(&i)) return Step::kNeedMore;
      in_.pos = i;
      ++next_line_;
      return Step::kBlank;
    }
    for (;;) {
      bool quoted = false;
      if (quote != '\0' && i < n && b[i] == quote) {
        quoted = true;
        ++i;
        for (;;) {
          const void* q = std::memchr(b + i, quote, n - i);
          const size_t stop = q ? static_cast<const char*>(q) - b : n;
          newlines += std::count(b + i, b + stop, '\n');
          cell_data_.append(b + i, stop - i);
          i = stop;
          if (i >= n) {
            if (!eof) return Step::kNeedMore;
            FailAt(next_line_, "unterminated quoted field (column " +
                                   std::to_string(cell_end_.size() + 1) + ")");
          }
          if (i + 1 >= n && !eof) return Step::kNeedMore;
          if (i + 1 < n && b[i + 1] == quote) {
            cell_data_.push_back(quote);
            i += 2;
            continue;
          }
          ++i;  // the closing quote
          break;
        }
      } else {
        const size_t start = i;
        while (i < n && !stops_[static_cast<unsigned char>(b[i])]) ++i;
        cell_data_.append(b + start, i - start);
      }
      cell_end_.push_back(cell_data_.size());
      cell_quoted_.push_back(quoted);
      if (i >= n) {
        if (!eof) return Step::kNeedMore;
        break;
      }
      if (b[i] == delim) {
        ++i;
        continue;
      }
      if (b[i] == '\n' || b[i] == '\r') {
        if (!end_of_line(&i)) return Step::kNeedMore;
        ++newlines;
        break;
      }
      FailAt(next_line_ + newlines, "unexpected " + Quoted(std::string_view(b + i, 1)) +
                                        " after the closing quote of column " +
                                        std::to_string(cell_end_.size()));
    }
    record_line_ = next_line_;
    next_line_ += newlines;
    in_.pos = i;
    return Step::kRecord;
  }

  bool stops_[256] = {};  // bytes that end an unquoted field
  std::vector<std::string> header_;
  std::vector<int> field_of_column_;  // input column → schema field, or -1 (ignored)
  std::vector<int> absent_fields_;    // schema fields with no input column
  std::unique_ptr<Converter> converter_;
  // The current record.
  std::string cell_data_;
  std::vector<size_t> cell_end_;
  std::vector<char> cell_quoted_;
  int64_t record_line_ = 0;
};

class JsonLinesReader : public TextReaderBase {
 public:
  JsonLinesReader(std::unique_ptr<ByteSource> source, TextReadOptions options, std::string name)
      : TextReaderBase(std::move(source), std::move(options), std::move(name)) {
    if (inferred_) {
      JsonShape root;
      root.kind = JsonShape::kStruct;
      for (int64_t rows = 0;
           (options_.infer_rows == 0 || rows < options_.infer_rows) && NextObject(); ++rows) {
        root.Merge(doc_, 0);
      }
      std::vector<Field> fields;
      for (const auto& [name, shape] : root.fields) fields.emplace_back(name, shape->ToType());
      schema_ = Schema(std::move(fields));
      in_.Restart(true);
      next_line_ = 1;
    } else {
      schema_ = *options_.schema;
    }
    converter_ = std::make_unique<Converter>(options_.ignore_unknown_columns, UnknownHint());
  }

 protected:
  std::optional<RecordBatch> NextImpl() override {
    RecordBatch batch = RecordBatch::MakeEmpty(schema_);
    std::vector<Column*> cols(schema_.num_fields());
    for (size_t f = 0; f < cols.size(); ++f) cols[f] = &batch.mutable_column(f);
    int64_t rows = 0;
    while (rows < options_.batch_rows && NextObject()) {
      try {
        converter_->AppendMembers(schema_.fields(), cols.data(), doc_, 0, nullptr, 0);
      } catch (const ConvertFailure& e) {
        FailAt(line_, "column " + Quoted(e.path) + ": " + e.message + InferenceHint());
      }
      ++rows;
    }
    if (rows == 0) return std::nullopt;
    return FinishBatch(std::move(batch), rows);
  }

 private:
  // Parses the next non-blank line into doc_; false at the end of the input.
  bool NextObject() {
    std::string_view line;
    for (;;) {
      if (!NextLine(&line)) return false;
      bool blank = true;
      for (char c : line) {
        if (c != ' ' && c != '\t' && c != '\r') {
          blank = false;
          break;
        }
      }
      if (!blank) break;
    }
    if (!doc_.Parse(line)) {
      FailAt(line_, "malformed JSON at character " + std::to_string(doc_.error_column()) + ": " +
                        doc_.error());
    }
    if (doc_.node(0).type != JType::kObject) {
      FailAt(line_,
             std::string("expected one JSON object per line, got ") + JTypeName(doc_.node(0).type));
    }
    return true;
  }

  bool NextLine(std::string_view* line) {
    size_t scanned = 0;
    for (;;) {
      const char* b = in_.data();
      const void* nl = std::memchr(b + in_.pos + scanned, '\n', in_.end - in_.pos - scanned);
      if (nl != nullptr) {
        const size_t at = static_cast<const char*>(nl) - b;
        CheckRecordSize(at - in_.pos, next_line_);
        *line = std::string_view(b + in_.pos, at - in_.pos);
        in_.pos = at + 1;
        line_ = next_line_++;
        return true;
      }
      scanned = in_.end - in_.pos;
      CheckRecordSize(scanned, next_line_);
      if (!in_.Fill()) {
        if (in_.end == in_.pos) return false;
        *line = std::string_view(in_.data() + in_.pos, in_.end - in_.pos);
        in_.pos = in_.end;
        line_ = next_line_++;
        return true;
      }
    }
  }

  JsonDoc doc_;
  int64_t line_ = 0;  // line of the current object
  std::unique_ptr<Converter> converter_;
};

std::unique_ptr<TextReader> Make(std::unique_ptr<ByteSource> source, TextFormat format,
                                 TextReadOptions options, std::string name) {
  if (format == TextFormat::kCsv) {
    return std::make_unique<CsvReader>(std::move(source), std::move(options), std::move(name));
  }
  return std::make_unique<JsonLinesReader>(std::move(source), std::move(options), std::move(name));
}

std::string LowerExtension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return ext;
}

}  // namespace

TextReader::~TextReader() = default;

std::optional<RecordBatch> TextReader::Next() {
  if (failed_) throw InvalidInput("text reader used after an error");
  try {
    return NextImpl();
  } catch (...) {
    failed_ = true;
    throw;
  }
}

std::unique_ptr<TextReader> TextReader::OpenCsv(const std::string& path, TextReadOptions options) {
  return Make(std::make_unique<FileSource>(path), TextFormat::kCsv, std::move(options), path);
}

std::unique_ptr<TextReader> TextReader::OpenJsonLines(const std::string& path,
                                                      TextReadOptions options) {
  return Make(std::make_unique<FileSource>(path), TextFormat::kJsonLines, std::move(options), path);
}

std::optional<TextFormat> TextReader::FormatForPath(const std::string& path) {
  const std::string ext = LowerExtension(path);
  if (ext == ".csv" || ext == ".tsv" || ext == ".tab") return TextFormat::kCsv;
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".ldjson" || ext == ".json") {
    return TextFormat::kJsonLines;
  }
  return std::nullopt;
}

std::unique_ptr<TextReader> TextReader::Open(const std::string& path, TextReadOptions options) {
  auto format = FormatForPath(path);
  if (!format) {
    throw InvalidInput("cannot tell the format of " + path +
                       " from its extension (expected .csv, .tsv, .jsonl, .ndjson or .json)");
  }
  const std::string ext = LowerExtension(path);
  if ((ext == ".tsv" || ext == ".tab") && options.delimiter == ',') options.delimiter = '\t';
  return Make(std::make_unique<FileSource>(path), *format, std::move(options), path);
}

std::unique_ptr<TextReader> TextReader::OpenString(std::string content, TextFormat format,
                                                   TextReadOptions options, std::string name) {
  return Make(std::make_unique<StringSource>(std::move(content)), format, std::move(options),
              std::move(name));
}

}  // namespace cpglake::columnar
