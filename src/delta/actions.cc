// Log actions ⇄ JSON lines.
//
// Reading is the hot path of opening a table (hundreds of thousands of `add` lines), so it
// uses simdjson's On-Demand API: each line is copied into one reusable padded buffer and
// walked once, field by field, straight into the action structs. On-Demand validates the
// structure it walks (and UTF-8, strings, the closing brace, trailing content) but skips the
// values of unknown fields without checking their grammar; that is the price of ignoring
// them fast, and never unsafe.
//
// Writing uses a small JSON writer: compact, fields in PROTOCOL.md spelling and order.
#include "delta/actions.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/error.h"

namespace cpglake::delta {
namespace {

namespace od = simdjson::ondemand;

bool IsJsonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsJsonSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Where we are, for error messages: "<file> line <n>: <what>".
class LineContext {
 public:
  LineContext(const std::string& file, size_t line, bool last_unterminated)
      : file_(file), line_(line), last_unterminated_(last_unterminated) {}

  [[noreturn]] void Fail(std::string_view what) const {
    throw CorruptData(file_ + " line " + std::to_string(line_) + ": " + std::string(what));
  }

  // A JSON-level failure (bad syntax, truncation).
  [[noreturn]] void FailJson(simdjson::error_code ec, std::string_view where) const {
    std::string msg = "invalid JSON";
    if (!where.empty()) msg += " in " + std::string(where);
    msg += ": ";
    msg += simdjson::error_message(ec);
    if (last_unterminated_) msg += " (last line without newline: commit possibly truncated)";
    Fail(msg);
  }

  void Check(simdjson::error_code ec, std::string_view where) const {
    if (ec != simdjson::SUCCESS) FailJson(ec, where);
  }

 private:
  const std::string& file_;
  size_t line_;
  bool last_unterminated_;
};

// A dotted path for messages ("add.deletionVector"), built only when an error happens.
struct Path {
  const Path* parent = nullptr;
  std::string_view name;
  std::string Str() const {
    std::string s = parent ? parent->Str() : std::string();
    if (!s.empty() && !name.empty()) s += '.';
    s += name;
    return s;
  }
  std::string Child(std::string_view field) const {
    std::string s = Str();
    if (!s.empty()) s += '.';
    s += field;
    return s;
  }
};

// Field readers. Each takes the value of field `key` of the object at `path`. The Read*
// functions return false when the value is JSON null (= absent), leaving a plain `out` alone
// and resetting an optional one; a value of another type is CorruptData. Checking for null
// only after a failed typed read keeps the common case at one parse per value.

[[noreturn]] void FailType(simdjson::error_code ec, const LineContext& ctx, const Path& path,
                           std::string_view key, const char* expected) {
  if (ec == simdjson::INCORRECT_TYPE || ec == simdjson::NUMBER_OUT_OF_RANGE ||
      ec == simdjson::NUMBER_ERROR) {
    ctx.Fail(path.Child(key) + " is not " + expected);
  }
  ctx.FailJson(ec, path.Child(key));
}

bool ValueIsNull(od::value& v, const LineContext& ctx, const Path& path, std::string_view key) {
  bool is_null = false;
  auto ec = v.is_null().get(is_null);
  if (ec != simdjson::SUCCESS) ctx.FailJson(ec, path.Child(key));
  return is_null;
}

// After a typed read failed with `ec`: true when the value is null, else a type error.
bool NullOrFail(simdjson::error_code ec, od::value& v, const LineContext& ctx, const Path& path,
                std::string_view key, const char* expected) {
  if (ec == simdjson::INCORRECT_TYPE && ValueIsNull(v, ctx, path, key)) return true;
  FailType(ec, ctx, path, key, expected);
}

bool ReadObject(od::value& v, const LineContext& ctx, const Path& path, std::string_view key,
                od::object& out) {
  auto ec = v.get_object().get(out);
  if (ec == simdjson::SUCCESS) return true;
  return !NullOrFail(ec, v, ctx, path, key, "an object");
}

bool ReadStringView(od::value& v, const LineContext& ctx, const Path& path, std::string_view key,
                    std::string_view& out) {
  auto ec = v.get_string().get(out);
  if (ec == simdjson::SUCCESS) return true;
  return !NullOrFail(ec, v, ctx, path, key, "a string");
}

bool ReadString(od::value& v, const LineContext& ctx, const Path& path, std::string_view key,
                std::string& out) {
  std::string_view s;
  if (!ReadStringView(v, ctx, path, key, s)) return false;
  out.assign(s);
  return true;
}

bool ReadString(od::value& v, const LineContext& ctx, const Path& path, std::string_view key,
                std::optional<std::string>& out) {
  std::string_view s;
  if (!ReadStringView(v, ctx, path, key, s)) {
    out.reset();
    return false;
  }
  out.emplace(s);
  return true;
}

bool ReadInt64(od::value& v, const LineContext& ctx, const Path& path, std::string_view key,
               int64_t& out) {
  auto ec = v.get_int64().get(out);
  if (ec == simdjson::SUCCESS) return true;
  return !NullOrFail(ec, v, ctx, path, key, "a 64-bit integer");
}

bool ReadInt64(od::value& v, const LineContext& ctx, const Path& path, std::string_view key,
               std::optional<int64_t>& out) {
  int64_t x = 0;
  if (!ReadInt64(v, ctx, path, key, x)) {
    out.reset();
    return false;
  }
  out = x;
  return true;
}

bool ReadInt32(od::value& v, const LineContext& ctx, const Path& path, std::string_view key,
               int32_t& out) {
  int64_t x = 0;
  if (!ReadInt64(v, ctx, path, key, x)) return false;
  if (x < INT32_MIN || x > INT32_MAX) ctx.Fail(path.Child(key) + " is out of the 32-bit range");
  out = static_cast<int32_t>(x);
  return true;
}

bool ReadBool(od::value& v, const LineContext& ctx, const Path& path, std::string_view key,
              bool& out) {
  auto ec = v.get_bool().get(out);
  if (ec == simdjson::SUCCESS) return true;
  return !NullOrFail(ec, v, ctx, path, key, "a boolean");
}

bool ReadBool(od::value& v, const LineContext& ctx, const Path& path, std::string_view key,
              std::optional<bool>& out) {
  bool b = false;
  if (!ReadBool(v, ctx, path, key, b)) {
    out.reset();
    return false;
  }
  out = b;
  return true;
}

// JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

// A value of a string map (partitionValues, tags, configuration, options): a string, null,
// or a number / boolean some writers emit unquoted (kept as its JSON text: 2021 → "2021").
// Returns false for null.
bool ReadMapValue(od::value& v, const LineContext& ctx, const Path& path, std::string_view key,
                  std::string& out) {
  std::string_view s;
  auto ec = v.get_string().get(s);
  if (ec == simdjson::SUCCESS) {
    out.assign(s);
    return true;
  }
  if (ec != simdjson::INCORRECT_TYPE) ctx.FailJson(ec, path.Child(key));
  od::json_type type;
  ec = v.type().get(type);
  if (ec != simdjson::SUCCESS) ctx.FailJson(ec, path.Child(key));
  switch (type) {
    case od::json_type::null:
      if (!ValueIsNull(v, ctx, path, key)) ctx.FailJson(simdjson::N_ATOM_ERROR, path.Child(key));
      return false;
    case od::json_type::boolean: {
      bool b = false;
      ReadBool(v, ctx, path, key, b);
      out = b ? "true" : "false";
      return true;
    }
    case od::json_type::number: {
      // The token text runs up to the next structural character; unconsumed, the value is
      // skipped when the object iteration moves on.
      std::string_view raw = TrimRight(v.raw_json_token());
      if (!IsJsonNumber(raw)) ctx.FailJson(simdjson::NUMBER_ERROR, path.Child(key));
      out.assign(raw);
      return true;
    }
    default:
      ctx.Fail(path.Child(key) + " is not a string");
  }
}

// Iterates the fields of `obj`, calling fn(key, value).
template <typename Fn>
void ForEachField(od::object& obj, const LineContext& ctx, const Path& path, Fn&& fn) {
  for (auto field : obj) {
    std::string_view key;
    auto ec = field.unescaped_key().get(key);
    if (ec != simdjson::SUCCESS) ctx.FailJson(ec, path.Str());
    od::value value;
    ec = field.value().get(value);
    if (ec != simdjson::SUCCESS) ctx.FailJson(ec, path.Str());
    fn(key, value);
  }
}

// Returns false for null (`out` left empty).
bool ReadPartitionValues(od::value& v, const LineContext& ctx, const Path& path,
                         std::string_view key, PartitionValues& out) {
  out.clear();
  od::object obj;
  if (!ReadObject(v, ctx, path, key, obj)) return false;
  Path sub{&path, key};
  ForEachField(obj, ctx, sub, [&](std::string_view k, od::value& val) {
    std::string text;
    if (ReadMapValue(val, ctx, sub, k, text)) {
      out.insert_or_assign(std::string(k), std::move(text));
    } else {
      out.insert_or_assign(std::string(k), std::nullopt);
    }
  });
  return true;
}

// A map<string,string>; null (for the map or a value) counts as absent: the type has no
// room for a null value.
void ReadStringMap(od::value& v, const LineContext& ctx, const Path& path, std::string_view key,
                   std::map<std::string, std::string>& out) {
  out.clear();
  od::object obj;
  if (!ReadObject(v, ctx, path, key, obj)) return;
  Path sub{&path, key};
  ForEachField(obj, ctx, sub, [&](std::string_view k, od::value& val) {
    std::string text;
    if (ReadMapValue(val, ctx, sub, k, text)) {
      out.insert_or_assign(std::string(k), std::move(text));
    } else {
      out.erase(std::string(k));
    }
  });
}

// Returns false for null.
bool ReadStringArray(od::value& v, const LineContext& ctx, const Path& path, std::string_view key,
                     std::vector<std::string>& out) {
  out.clear();
  od::array arr;
  auto ec = v.get_array().get(arr);
  if (ec != simdjson::SUCCESS) return !NullOrFail(ec, v, ctx, path, key, "an array");
  for (auto element : arr) {
    std::string_view s;
    ec = element.get_string().get(s);
    if (ec == simdjson::INCORRECT_TYPE) ctx.Fail(path.Child(key) + " has a non-string element");
    if (ec != simdjson::SUCCESS) ctx.FailJson(ec, path.Child(key));
    out.emplace_back(s);
  }
  return true;
}

bool ReadStringArray(od::value& v, const LineContext& ctx, const Path& path, std::string_view key,
                     std::optional<std::vector<std::string>>& out) {
  std::vector<std::string> arr;
  if (!ReadStringArray(v, ctx, path, key, arr)) {
    out.reset();
    return false;
  }
  out = std::move(arr);
  return true;
}

// Required-field bookkeeping: bit i set when field i was seen (not null).
class Required {
 public:
  void Set(int bit, bool seen) { seen_ |= static_cast<uint32_t>(seen) << bit; }
  // Fails naming the first missing field of `names` (bit order).
  void Check(std::initializer_list<std::string_view> names, const LineContext& ctx,
             const Path& path) const {
    if (seen_ == (1u << names.size()) - 1) return;
    int bit = 0;
    for (auto name : names) {
      if (!(seen_ & (1u << bit))) ctx.Fail(path.Child(name) + " missing");
      ++bit;
    }
  }

 private:
  uint32_t seen_ = 0;
};

bool ReadDeletionVector(od::value& v, const LineContext& ctx, const Path& parent,
                        std::string_view key, std::optional<DeletionVectorDescriptor>& out) {
  od::object obj;
  if (!ReadObject(v, ctx, parent, key, obj)) {
    out.reset();
    return false;
  }
  DeletionVectorDescriptor& dv = out.emplace();
  Path path{&parent, key};
  Required req;
  ForEachField(obj, ctx, path, [&](std::string_view k, od::value& val) {
    if (k == "storageType") {
      std::string_view s;
      if (!ReadStringView(val, ctx, path, k, s)) return;
      if (s.size() != 1) ctx.Fail(path.Child(k) + " is not a single character");
      dv.storage_type = s[0];
      req.Set(0, true);
    } else if (k == "pathOrInlineDv") {
      req.Set(1, ReadString(val, ctx, path, k, dv.path_or_inline_dv));
    } else if (k == "sizeInBytes") {
      req.Set(2, ReadInt32(val, ctx, path, k, dv.size_in_bytes));
    } else if (k == "cardinality") {
      req.Set(3, ReadInt64(val, ctx, path, k, dv.cardinality));
    } else if (k == "offset") {
      int32_t offset = 0;
      if (ReadInt32(val, ctx, path, k, offset)) {
        dv.offset = offset;
      } else {
        dv.offset.reset();
      }
    }
  });
  req.Check({"storageType", "pathOrInlineDv", "sizeInBytes", "cardinality"}, ctx, path);
  return true;
}

// `stats`: the protocol's JSON string; a JSON object (not the protocol's form, but
// unambiguous) keeps its text.
void ReadStats(od::value& v, const LineContext& ctx, const Path& path, std::string_view key,
               std::optional<std::string>& out) {
  std::string_view s;
  auto ec = v.get_string().get(s);
  if (ec == simdjson::SUCCESS) {
    out.emplace(s);
    return;
  }
  od::object obj;
  if (ec == simdjson::INCORRECT_TYPE && v.get_object().get(obj) == simdjson::SUCCESS) {
    std::string_view raw;
    ctx.Check(obj.raw_json().get(raw), path.Child(key));
    out.emplace(TrimRight(raw));
    return;
  }
  if (NullOrFail(ec, v, ctx, path, key, "a string")) out.reset();
}

void ParseAdd(od::object& obj, const LineContext& ctx, AddFile& add) {
  static const Path path{nullptr, "add"};
  Required req;
  ForEachField(obj, ctx, path, [&](std::string_view k, od::value& val) {
    // Most frequent first.
    if (k == "path") {
      req.Set(0, ReadString(val, ctx, path, k, add.path));
    } else if (k == "partitionValues") {
      req.Set(1, ReadPartitionValues(val, ctx, path, k, add.partition_values));
    } else if (k == "size") {
      req.Set(2, ReadInt64(val, ctx, path, k, add.size));
    } else if (k == "modificationTime") {
      req.Set(3, ReadInt64(val, ctx, path, k, add.modification_time));
    } else if (k == "dataChange") {
      req.Set(4, ReadBool(val, ctx, path, k, add.data_change));
    } else if (k == "stats") {
      ReadStats(val, ctx, path, k, add.stats);
    } else if (k == "tags") {
      ReadStringMap(val, ctx, path, k, add.tags);
    } else if (k == "deletionVector") {
      ReadDeletionVector(val, ctx, path, k, add.deletion_vector);
    } else if (k == "baseRowId") {
      ReadInt64(val, ctx, path, k, add.base_row_id);
    } else if (k == "defaultRowCommitVersion") {
      ReadInt64(val, ctx, path, k, add.default_row_commit_version);
    } else if (k == "clusteringProvider") {
      ReadString(val, ctx, path, k, add.clustering_provider);
    }
  });
  req.Check({"path", "partitionValues", "size", "modificationTime", "dataChange"}, ctx, path);
}

void ParseRemove(od::object& obj, const LineContext& ctx, RemoveFile& rm) {
  static const Path path{nullptr, "remove"};
  Required req;
  ForEachField(obj, ctx, path, [&](std::string_view k, od::value& val) {
    if (k == "path") {
      req.Set(0, ReadString(val, ctx, path, k, rm.path));
    } else if (k == "dataChange") {
      req.Set(1, ReadBool(val, ctx, path, k, rm.data_change));
    } else if (k == "deletionTimestamp") {
      ReadInt64(val, ctx, path, k, rm.deletion_timestamp);
    } else if (k == "extendedFileMetadata") {
      ReadBool(val, ctx, path, k, rm.extended_file_metadata);
    } else if (k == "partitionValues") {
      ReadPartitionValues(val, ctx, path, k, rm.partition_values);
    } else if (k == "size") {
      ReadInt64(val, ctx, path, k, rm.size);
    } else if (k == "stats") {
      ReadStats(val, ctx, path, k, rm.stats);
    } else if (k == "tags") {
      ReadStringMap(val, ctx, path, k, rm.tags);
    } else if (k == "deletionVector") {
      ReadDeletionVector(val, ctx, path, k, rm.deletion_vector);
    } else if (k == "baseRowId") {
      ReadInt64(val, ctx, path, k, rm.base_row_id);
    } else if (k == "defaultRowCommitVersion") {
      ReadInt64(val, ctx, path, k, rm.default_row_commit_version);
    }
  });
  req.Check({"path", "dataChange"}, ctx, path);
}

void ParseCdc(od::object& obj, const LineContext& ctx, AddCDCFile& cdc) {
  static const Path path{nullptr, "cdc"};
  Required req;
  ForEachField(obj, ctx, path, [&](std::string_view k, od::value& val) {
    if (k == "path") {
      req.Set(0, ReadString(val, ctx, path, k, cdc.path));
    } else if (k == "partitionValues") {
      req.Set(1, ReadPartitionValues(val, ctx, path, k, cdc.partition_values));
    } else if (k == "size") {
      req.Set(2, ReadInt64(val, ctx, path, k, cdc.size));
    } else if (k == "dataChange") {
      req.Set(3, ReadBool(val, ctx, path, k, cdc.data_change));
    } else if (k == "tags") {
      ReadStringMap(val, ctx, path, k, cdc.tags);
    }
  });
  req.Check({"path", "partitionValues", "size", "dataChange"}, ctx, path);
}

void ParseProtocol(od::object& obj, const LineContext& ctx, Protocol& p) {
  static const Path path{nullptr, "protocol"};
  Required req;
  ForEachField(obj, ctx, path, [&](std::string_view k, od::value& val) {
    if (k == "minReaderVersion") {
      req.Set(0, ReadInt32(val, ctx, path, k, p.min_reader_version));
    } else if (k == "minWriterVersion") {
      req.Set(1, ReadInt32(val, ctx, path, k, p.min_writer_version));
    } else if (k == "readerFeatures") {
      ReadStringArray(val, ctx, path, k, p.reader_features);
    } else if (k == "writerFeatures") {
      ReadStringArray(val, ctx, path, k, p.writer_features);
    }
  });
  req.Check({"minReaderVersion", "minWriterVersion"}, ctx, path);
}

void ParseMetadata(od::object& obj, const LineContext& ctx, Metadata& m) {
  static const Path path{nullptr, "metaData"};
  static const Path format_path{&path, "format"};
  Required req;
  ForEachField(obj, ctx, path, [&](std::string_view k, od::value& val) {
    if (k == "id") {
      req.Set(0, ReadString(val, ctx, path, k, m.id));
    } else if (k == "format") {
      od::object fobj;
      if (!ReadObject(val, ctx, path, k, fobj)) return;
      m.format = Format();
      ForEachField(fobj, ctx, format_path, [&](std::string_view fk, od::value& fval) {
        if (fk == "provider") {
          ReadString(fval, ctx, format_path, fk, m.format.provider);
        } else if (fk == "options") {
          ReadStringMap(fval, ctx, format_path, fk, m.format.options);
        }
      });
      req.Set(1, true);
    } else if (k == "partitionColumns") {
      req.Set(2, ReadStringArray(val, ctx, path, k, m.partition_columns));
    } else if (k == "configuration") {
      ReadStringMap(val, ctx, path, k, m.configuration);
      req.Set(3, true);  // null reads as empty
    } else if (k == "schemaString") {
      // Optional in practice: old Spark writers omitted it for tables without columns.
      if (!ReadString(val, ctx, path, k, m.schema_string)) m.schema_string.clear();
    } else if (k == "name") {
      ReadString(val, ctx, path, k, m.name);
    } else if (k == "description") {
      ReadString(val, ctx, path, k, m.description);
    } else if (k == "createdTime") {
      ReadInt64(val, ctx, path, k, m.created_time);
    }
  });
  req.Check({"id", "format", "partitionColumns", "configuration"}, ctx, path);
}

void ParseTxn(od::object& obj, const LineContext& ctx, Txn& t) {
  static const Path path{nullptr, "txn"};
  Required req;
  ForEachField(obj, ctx, path, [&](std::string_view k, od::value& val) {
    if (k == "appId") {
      req.Set(0, ReadString(val, ctx, path, k, t.app_id));
    } else if (k == "version") {
      req.Set(1, ReadInt64(val, ctx, path, k, t.version));
    } else if (k == "lastUpdated") {
      ReadInt64(val, ctx, path, k, t.last_updated);
    }
  });
  req.Check({"appId", "version"}, ctx, path);
}

void ParseDomainMetadata(od::object& obj, const LineContext& ctx, DomainMetadata& d) {
  static const Path path{nullptr, "domainMetadata"};
  Required req;
  ForEachField(obj, ctx, path, [&](std::string_view k, od::value& val) {
    if (k == "domain") {
      req.Set(0, ReadString(val, ctx, path, k, d.domain));
    } else if (k == "configuration") {
      req.Set(1, ReadString(val, ctx, path, k, d.configuration));
    } else if (k == "removed") {
      req.Set(2, ReadBool(val, ctx, path, k, d.removed));
    }
  });
  req.Check({"domain", "configuration", "removed"}, ctx, path);
}

void ParseCommitInfo(od::object& obj, const LineContext& ctx, CommitInfo& c) {
  static const Path path{nullptr, "commitInfo"};
  ForEachField(obj, ctx, path, [&](std::string_view k, od::value& val) {
    if (k == "inCommitTimestamp") {
      // Protocol-defined: a long.
      ReadInt64(val, ctx, path, k, c.in_commit_timestamp);
    } else if (k == "timestamp") {
      // Free-form provenance: extracted when it has the usual type, else left alone.
      int64_t ts = 0;
      if (val.get_int64().get(ts) == simdjson::SUCCESS) {
        c.timestamp = ts;
      } else {
        c.timestamp.reset();
      }
    } else if (k == "operation") {
      std::string_view op;
      if (val.get_string().get(op) == simdjson::SUCCESS) {
        c.operation.emplace(op);
      } else {
        c.operation.reset();
      }
    }
  });
  ctx.Check(obj.reset().error(), "commitInfo");
  std::string_view raw;
  ctx.Check(obj.raw_json().get(raw), "commitInfo");
  c.json = std::string(TrimRight(raw));
}

void ParseCheckpointMetadata(od::object& obj, const LineContext& ctx, CheckpointMetadata& cm) {
  static const Path path{nullptr, "checkpointMetadata"};
  Required req;
  ForEachField(obj, ctx, path, [&](std::string_view k, od::value& val) {
    if (k == "version") {
      req.Set(0, ReadInt64(val, ctx, path, k, cm.version));
    } else if (k == "tags") {
      ReadStringMap(val, ctx, path, k, cm.tags);
    }
  });
  req.Check({"version"}, ctx, path);
}

void ParseSidecar(od::object& obj, const LineContext& ctx, Sidecar& s) {
  static const Path path{nullptr, "sidecar"};
  Required req;
  ForEachField(obj, ctx, path, [&](std::string_view k, od::value& val) {
    if (k == "path") {
      req.Set(0, ReadString(val, ctx, path, k, s.path));
    } else if (k == "sizeInBytes") {
      req.Set(1, ReadInt64(val, ctx, path, k, s.size_in_bytes));
    } else if (k == "modificationTime") {
      req.Set(2, ReadInt64(val, ctx, path, k, s.modification_time));
    } else if (k == "tags") {
      ReadStringMap(val, ctx, path, k, s.tags);
    }
  });
  req.Check({"path", "sizeInBytes", "modificationTime"}, ctx, path);
}

// Emplaces an action of type T at the end of `out` and fills it from `obj`.
template <typename T, typename ParseFn>
void ParseInto(std::vector<Action>& out, od::object& obj, const LineContext& ctx, ParseFn parse) {
  T& action = std::get<T>(out.emplace_back(std::in_place_type<T>));
  parse(obj, ctx, action);
}

// One line: `{"<kind>": {...}}`. Every known kind in the line becomes an action.
void ParseLine(od::parser& parser, const char* data, size_t len, size_t capacity,
               const LineContext& ctx, std::vector<Action>& out) {
  od::document doc;
  ctx.Check(parser.iterate(data, len, capacity).get(doc), "");
  od::object root;
  auto ec = doc.get_object().get(root);
  if (ec == simdjson::INCORRECT_TYPE) ctx.Fail("line is not a JSON object");
  ctx.Check(ec, "");
  static const Path root_path{};
  ForEachField(root, ctx, root_path, [&](std::string_view kind, od::value& val) {
    if (kind.empty()) return;
    // Dispatch on the kind; anything else (or null) is ignored.
    auto object_of = [&](od::object& obj) { return ReadObject(val, ctx, root_path, kind, obj); };
    od::object obj;
    switch (kind[0]) {
      case 'a':
        if (kind == "add" && object_of(obj)) ParseInto<AddFile>(out, obj, ctx, ParseAdd);
        break;
      case 'r':
        if (kind == "remove" && object_of(obj)) ParseInto<RemoveFile>(out, obj, ctx, ParseRemove);
        break;
      case 'c':
        if (kind == "commitInfo" && object_of(obj)) {
          ParseInto<CommitInfo>(out, obj, ctx, ParseCommitInfo);
        } else if (kind == "cdc" && object_of(obj)) {
          ParseInto<AddCDCFile>(out, obj, ctx, ParseCdc);
        } else if (kind == "checkpointMetadata" && object_of(obj)) {
          ParseInto<CheckpointMetadata>(out, obj, ctx, ParseCheckpointMetadata);
        }
        break;
      case 'p':
        if (kind == "protocol" && object_of(obj)) ParseInto<Protocol>(out, obj, ctx, ParseProtocol);
        break;
      case 'm':
        if (kind == "metaData" && object_of(obj)) ParseInto<Metadata>(out, obj, ctx, ParseMetadata);
        break;
      case 't':
        if (kind == "txn" && object_of(obj)) ParseInto<Txn>(out, obj, ctx, ParseTxn);
        break;
      case 'd':
        if (kind == "domainMetadata" && object_of(obj)) {
          ParseInto<DomainMetadata>(out, obj, ctx, ParseDomainMetadata);
        }
        break;
      case 's':
        if (kind == "sidecar" && object_of(obj)) ParseInto<Sidecar>(out, obj, ctx, ParseSidecar);
        break;
      default:
        break;
    }
  });
  // Anything after the closing brace ("{...}{...}", "{...}}") is malformed.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    ctx.Fail("unexpected content after the JSON object");
  }
}

// ---------------------------------------------------------------------------------------
// Writing

void AppendJsonString(std::string& out, std::string_view s, std::string_view what) {
  if (!simdjson::validate_utf8(s.data(), s.size())) {
    throw InvalidInput("cannot write Delta log JSON: " + std::string(what) + " is not valid UTF-8");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the current run of bytes that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

// Writes one JSON object's members with commas in between.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  void End() { out_ += '}'; }

  void Key(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += key;  // our keys are plain ASCII
    out_ += "\":";
  }
  void String(std::string_view key, std::string_view v) {
    Key(key);
    AppendJsonString(out_, v, key);
  }
  void Int(std::string_view key, int64_t v) {
    Key(key);
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out_.append(buf, r.ptr);
  }
  void Bool(std::string_view key, bool v) {
    Key(key);
    out_ += v ? "true" : "false";
  }
  void Raw(std::string_view key, std::string_view json) {
    Key(key);
    out_ += json;
  }
  template <typename T>
  void OptInt(std::string_view key, const std::optional<T>& v) {
    if (v) Int(key, *v);
  }
  void OptString(std::string_view key, const std::optional<std::string>& v) {
    if (v) String(key, *v);
  }
  void StringMap(std::string_view key, const std::map<std::string, std::string>& m) {
    Key(key);
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : m) {
      if (!first) out_ += ',';
      first = false;
      AppendJsonString(out_, k, key);
      out_ += ':';
      AppendJsonString(out_, v, key);
    }
    out_ += '}';
  }
  void Partitions(std::string_view key, const PartitionValues& m) {
    Key(key);
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : m) {
      if (!first) out_ += ',';
      first = false;
      AppendJsonString(out_, k, key);
      out_ += ':';
      if (v) {
        AppendJsonString(out_, *v, key);
      } else {
        out_ += "null";
      }
    }
    out_ += '}';
  }
  void StringArray(std::string_view key, const std::vector<std::string>& v) {
    Key(key);
    out_ += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out_ += ',';
      AppendJsonString(out_, v[i], key);
    }
    out_ += ']';
  }
  void DeletionVector(std::string_view key, const DeletionVectorDescriptor& dv) {
    Key(key);
    ObjectWriter w(out_);
    w.String("storageType", std::string_view(&dv.storage_type, 1));
    w.String("pathOrInlineDv", dv.path_or_inline_dv);
    w.OptInt("offset", dv.offset);
    w.Int("sizeInBytes", dv.size_in_bytes);
    w.Int("cardinality", dv.cardinality);
    w.End();
  }

 private:
  std::string& out_;
  bool first_ = true;
};

// The commitInfo object text. `json` is authoritative for everything but the three extracted
// fields; when they disagree with it they are written into it.
std::string CommitInfoJson(const CommitInfo& c) {
  if (c.json.empty()) {
    std::string out;
    ObjectWriter w(out);
    w.OptInt("timestamp", c.timestamp);
    w.OptInt("inCommitTimestamp", c.in_commit_timestamp);
    w.OptString("operation", c.operation);
    w.End();
    return out;
  }
  nlohmann::ordered_json j;
  try {
    j = nlohmann::ordered_json::parse(c.json);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidInput(std::string("commitInfo.json is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw InvalidInput("commitInfo.json is not a JSON object");
  // What the reader would extract from `j` (same rules as ParseCommitInfo).
  auto int_of = [&](const char* key) -> std::optional<int64_t> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) return std::nullopt;
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return std::nullopt;
    }
    return it->get<int64_t>();
  };
  auto op_of = [&]() -> std::optional<std::string> {
    auto it = j.find("operation");
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  bool changed = false;
  auto sync_int = [&](const char* key, const std::optional<int64_t>& want) {
    if (int_of(key) == want) return;
    changed = true;
    if (want) {
      j[key] = *want;
    } else {
      j.erase(key);
    }
  };
  sync_int("timestamp", c.timestamp);
  sync_int("inCommitTimestamp", c.in_commit_timestamp);
  if (op_of() != c.operation) {
    changed = true;
    if (c.operation) {
      j["operation"] = *c.operation;
    } else {
      j.erase("operation");
    }
  }
  if (!changed) {
    std::string_view text = c.json;
    while (!text.empty() && IsJsonSpace(text.front())) text.remove_prefix(1);
    return std::string(TrimRight(text));
  }
  return j.dump();
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

void ParseActionsJson(std::string_view ndjson, const std::string& file_name,
                      const std::function<void(Action&)>& sink) {
  // A UTF-8 byte order mark is not JSON; tolerate one at the start of the file.
  if (ndjson.size() >= 3 && std::memcmp(ndjson.data(), "\xEF\xBB\xBF", 3) == 0) {
    ndjson.remove_prefix(3);
  }
  if (ndjson.empty()) return;
  std::vector<Action> line_actions;  // the actions of one line (reused)

  od::parser parser;
  // One padded buffer, reused for every line (simdjson reads up to SIMDJSON_PADDING bytes
  // past the end of a document; the padding bytes are zero).
  std::unique_ptr<char[]> buffer;
  size_t buffer_capacity = 0;

  const char* const data = ndjson.data();
  const size_t size = ndjson.size();
  size_t pos = 0;
  size_t line_no = 0;
  while (pos < size) {
    ++line_no;
    const void* nl = std::memchr(data + pos, '\n', size - pos);
    const size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) : size;
    size_t b = pos;
    size_t e = end;
    pos = end + 1;
    while (b < e && IsJsonSpace(data[b])) ++b;
    while (e > b && IsJsonSpace(data[e - 1])) --e;
    if (b == e) continue;
    const size_t len = e - b;
    const size_t needed = len + simdjson::SIMDJSON_PADDING;
    if (needed > buffer_capacity) {
      buffer_capacity = std::max(needed, std::max<size_t>(4096, buffer_capacity * 2));
      buffer.reset(new char[buffer_capacity]);
    }
    if (len > parser.capacity()) {
      // The parser sizes itself to the document; grow it geometrically, not line by line.
      auto ec = parser.allocate(std::max(len, std::max<size_t>(64 << 10, parser.capacity() * 2)));
      if (ec != simdjson::SUCCESS) {
        LineContext(file_name, line_no, nl == nullptr).FailJson(ec, "");
      }
    }
    std::memcpy(buffer.get(), data + b, len);
    std::memset(buffer.get() + len, 0, simdjson::SIMDJSON_PADDING);
    LineContext ctx(file_name, line_no, nl == nullptr);
    line_actions.clear();
    ParseLine(parser, buffer.get(), len, buffer_capacity, ctx, line_actions);
    for (auto& a : line_actions) sink(a);
  }
}

const std::optional<std::string>& PartitionValues::at(std::string_view key) const {
  auto it = find(key);
  if (it == end()) throw std::out_of_range("no partition value for " + std::string(key));
  return it->second;
}

std::vector<Action> ParseActionsJson(std::string_view ndjson, const std::string& file_name) {
  std::vector<Action> actions;
  ParseActionsJson(ndjson, file_name, [&](Action& a) { actions.push_back(std::move(a)); });
  return actions;
}

std::string SerializeActionJson(const Action& action) {
  std::string out;
  out.reserve(256);
  ObjectWriter top(out);
  top.Key(ActionName(action));
  ObjectWriter w(out);
  std::visit(Overloaded{
                 [&](const Protocol& p) {
                   w.Int("minReaderVersion", p.min_reader_version);
                   w.Int("minWriterVersion", p.min_writer_version);
                   if (p.reader_features) w.StringArray("readerFeatures", *p.reader_features);
                   if (p.writer_features) w.StringArray("writerFeatures", *p.writer_features);
                 },
                 [&](const Metadata& m) {
                   w.String("id", m.id);
                   w.OptString("name", m.name);
                   w.OptString("description", m.description);
                   w.Key("format");
                   ObjectWriter f(out);
                   f.String("provider", m.format.provider);
                   f.StringMap("options", m.format.options);
                   f.End();
                   // Empty means "none" (see Metadata): omitted, as old Spark did; Spark cannot
                   // read an empty string.
                   if (!m.schema_string.empty()) w.String("schemaString", m.schema_string);
                   w.StringArray("partitionColumns", m.partition_columns);
                   w.StringMap("configuration", m.configuration);
                   w.OptInt("createdTime", m.created_time);
                 },
                 [&](const AddFile& a) {
                   w.String("path", a.path);
                   w.Partitions("partitionValues", a.partition_values);
                   w.Int("size", a.size);
                   w.Int("modificationTime", a.modification_time);
                   w.Bool("dataChange", a.data_change);
                   w.OptString("stats", a.stats);
                   if (!a.tags.empty()) w.StringMap("tags", a.tags);
                   if (a.deletion_vector) w.DeletionVector("deletionVector", *a.deletion_vector);
                   w.OptInt("baseRowId", a.base_row_id);
                   w.OptInt("defaultRowCommitVersion", a.default_row_commit_version);
                   w.OptString("clusteringProvider", a.clustering_provider);
                 },
                 [&](const RemoveFile& r) {
                   w.String("path", r.path);
                   w.OptInt("deletionTimestamp", r.deletion_timestamp);
                   w.Bool("dataChange", r.data_change);
                   if (r.extended_file_metadata)
                     w.Bool("extendedFileMetadata", *r.extended_file_metadata);
                   if (!r.partition_values.empty() || r.extended_file_metadata.value_or(false)) {
                     w.Partitions("partitionValues", r.partition_values);
                   }
                   w.OptInt("size", r.size);
                   w.OptString("stats", r.stats);
                   if (!r.tags.empty()) w.StringMap("tags", r.tags);
                   if (r.deletion_vector) w.DeletionVector("deletionVector", *r.deletion_vector);
                   w.OptInt("baseRowId", r.base_row_id);
                   w.OptInt("defaultRowCommitVersion", r.default_row_commit_version);
                 },
                 [&](const AddCDCFile& c) {
                   w.String("path", c.path);
                   w.Partitions("partitionValues", c.partition_values);
                   w.Int("size", c.size);
                   w.Bool("dataChange", c.data_change);
                   if (!c.tags.empty()) w.StringMap("tags", c.tags);
                 },
                 [&](const Txn& t) {
                   w.String("appId", t.app_id);
                   w.Int("version", t.version);
                   w.OptInt("lastUpdated", t.last_updated);
                 },
                 [&](const DomainMetadata& d) {
                   w.String("domain", d.domain);
                   w.String("configuration", d.configuration);
                   w.Bool("removed", d.removed);
                 },
                 [&](const CommitInfo&) {},  // written below
                 [&](const CheckpointMetadata& c) {
                   w.Int("version", c.version);
                   if (!c.tags.empty()) w.StringMap("tags", c.tags);
                 },
                 [&](const Sidecar& s) {
                   w.String("path", s.path);
                   w.Int("sizeInBytes", s.size_in_bytes);
                   w.Int("modificationTime", s.modification_time);
                   if (!s.tags.empty()) w.StringMap("tags", s.tags);
                 },
             },
             action);
  if (const auto* c = std::get_if<CommitInfo>(&action)) {
    out.pop_back();  // the '{' ObjectWriter w opened: the object text replaces it
    out += CommitInfoJson(*c);
  } else {
    w.End();
  }
  top.End();
  return out;
}

std::string_view ActionName(const Action& action) {
  return std::visit(
      Overloaded{
          [](const Protocol&) { return std::string_view("protocol"); },
          [](const Metadata&) { return std::string_view("metaData"); },
          [](const AddFile&) { return std::string_view("add"); },
          [](const RemoveFile&) { return std::string_view("remove"); },
          [](const AddCDCFile&) { return std::string_view("cdc"); },
          [](const Txn&) { return std::string_view("txn"); },
          [](const DomainMetadata&) { return std::string_view("domainMetadata"); },
          [](const CommitInfo&) { return std::string_view("commitInfo"); },
          [](const CheckpointMetadata&) { return std::string_view("checkpointMetadata"); },
          [](const Sidecar&) { return std::string_view("sidecar"); },
      },
      action);
}

}  // namespace cpglake::delta
