#include "storage/object_store.h"

#include <algorithm>
#include <chrono>
#include <functional>

#include "common/error.h"

namespace cpglake::storage {

namespace {

constexpr std::string_view kTempPrefix = ".cpglake-tmp.";

std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "'";
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void CheckRangeArgs(std::string_view key, int64_t offset, int64_t length) {
  if (offset < 0 || length < 0) {
    throw InvalidInput("read of " + std::to_string(length) + " bytes at offset " +
                       std::to_string(offset) + " of " + Quote(key) + ": negative argument");
  }
}

// Returns the scheme of a URI ("s3" for "s3://b/k"), or "" for a plain path.
std::string_view UriScheme(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon < 2) return {};  // "C:" would be a drive
  for (size_t i = 0; i < colon; ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    if (!ok) return {};
  }
  return s.substr(0, colon);
}

}  // namespace

// ---- keys and URIs -------------------------------------------------------------------

void ValidateKey(std::string_view key) {
  auto fail = [&](const char* why) {
    throw InvalidInput("invalid object key " + Quote(key) + ": " + why);
  };
  if (key.empty()) fail("empty");
  if (key.find('\0') != std::string_view::npos) fail("contains a NUL byte");
  if (key.front() == '/') fail("absolute paths are not allowed");
  if (key.back() == '/') fail("ends with '/'");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view seg = key.substr(start, end - start);
    if (seg.empty()) fail("empty path segment");
    if (seg == ".") fail("'.' segment");
    if (seg == "..") fail("'..' segments are not allowed");
    start = end + 1;
  }
}

std::string_view ValidateDirectory(std::string_view dir) {
  if (!dir.empty() && dir.front() == '/') {
    throw InvalidInput("invalid directory " + Quote(dir) + ": absolute paths are not allowed");
  }
  if (!dir.empty() && dir.back() == '/') dir.remove_suffix(1);
  if (!dir.empty()) ValidateKey(dir);
  return dir;
}

bool IsTemporaryName(std::string_view file_name) {
  return file_name.substr(0, kTempPrefix.size()) == kTempPrefix;
}

std::string UriDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int hi = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
    int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      throw CorruptData("bad percent-escape at byte " + std::to_string(i) + " of " + Quote(text));
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string UriEncodePath(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || c == '/' || c == '=') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> ResolveRelative(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (segments.empty()) return std::nullopt;
      segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = end + 1;
  }
  if (segments.empty()) return std::nullopt;
  std::string key;
  for (std::string_view seg : segments) {
    if (!key.empty()) key += '/';
    key += seg;
  }
  return key;
}

// ---- ObjectStore / OpenObjectStore ---------------------------------------------------

const StorageOptions& ObjectStore::storage_options() const {
  static const StorageOptions kNone;
  return kNone;
}

std::shared_ptr<ObjectStore> OpenObjectStore(const std::string& uri_or_path,
                                             const StorageOptions& storage_options) {
  if (uri_or_path.empty()) throw InvalidInput("empty table location");
  std::string_view scheme = UriScheme(uri_or_path);
  if (scheme.empty()) return std::make_shared<LocalObjectStore>(uri_or_path, storage_options);
  std::string lower(scheme);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower != "file") {
    throw Unsupported("storage scheme '" + lower + "' (in " + Quote(uri_or_path) +
                      ") is not supported yet; only local paths and file:// URIs are");
  }
  std::string_view rest = std::string_view(uri_or_path).substr(scheme.size() + 1);
  if (rest.substr(0, 2) == "//") {
    // file://<authority>/path: only an empty or "localhost" authority is local.
    rest.remove_prefix(2);
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (!authority.empty() && authority != "localhost") {
      throw Unsupported("file URI with a remote host " + Quote(authority) + ": " +
                        Quote(uri_or_path));
    }
    rest = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  }
  if (rest.empty() || rest.front() != '/') {
    throw InvalidInput("file URI without an absolute path: " + Quote(uri_or_path));
  }
  std::string path = UriDecode(rest);
  if (path.find('\0') != std::string::npos) {
    throw InvalidInput("file URI decodes to a path with a NUL byte: " + Quote(uri_or_path));
  }
  return std::make_shared<LocalObjectStore>(path, storage_options);
}

// ---- MemoryObjectStore ---------------------------------------------------------------

namespace {

class MemoryWritableFile : public WritableFile {
 public:
  MemoryWritableFile(std::function<void(std::string)> commit, std::string name)
      : commit_(std::move(commit)), name_(std::move(name)) {}
  void Append(const void* data, size_t n) override {
    if (closed_) throw InvalidInput(name_ + ": append after close");
    buffer_.append(static_cast<const char*>(data), n);
    size_ += static_cast<int64_t>(n);
  }
  int64_t Tell() const override { return size_; }
  void Close() override {
    if (closed_) return;
    closed_ = true;
    commit_(std::move(buffer_));
  }
  const std::string& name() const override { return name_; }

 private:
  std::function<void(std::string)> commit_;
  std::string name_;
  std::string buffer_;
  int64_t size_ = 0;
  bool closed_ = false;
};

}  // namespace

std::vector<ObjectMeta> MemoryObjectStore::ListImpl(std::string_view dir,
                                                    std::string_view start_after, bool recursive) {
  dir = ValidateDirectory(dir);
  std::string prefix(dir);
  if (!prefix.empty()) prefix += '/';
  std::lock_guard lock(mu_);
  std::vector<ObjectMeta> out;
  for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
    const std::string& key = it->first;
    if (key.compare(0, prefix.size(), prefix) != 0) break;
    if (key <= start_after) continue;
    if (!recursive && key.find('/', prefix.size()) != std::string::npos) continue;
    out.push_back(
        {key, static_cast<int64_t>(it->second.bytes.size()), it->second.modification_time_ms});
  }
  return out;
}

std::vector<ObjectMeta> MemoryObjectStore::List(std::string_view dir,
                                                std::string_view start_after) {
  return ListImpl(dir, start_after, false);
}

std::vector<ObjectMeta> MemoryObjectStore::ListRecursive(std::string_view dir,
                                                         std::string_view start_after) {
  return ListImpl(dir, start_after, true);
}

std::string MemoryObjectStore::Read(std::string_view key) {
  ValidateKey(key);
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) throw NotFound(DisplayPath(key) + ": no such object");
  return it->second.bytes;
}

std::string MemoryObjectStore::ReadRange(std::string_view key, int64_t offset, int64_t length) {
  ValidateKey(key);
  CheckRangeArgs(key, offset, length);
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) throw NotFound(DisplayPath(key) + ": no such object");
  const std::string& bytes = it->second.bytes;
  auto size = static_cast<int64_t>(bytes.size());
  if (offset > size || length > size - offset) {
    throw CorruptData(DisplayPath(key) + ": read of " + std::to_string(length) +
                      " bytes at offset " + std::to_string(offset) +
                      " is past the end of the object (" + std::to_string(size) + " bytes)");
  }
  return bytes.substr(static_cast<size_t>(offset), static_cast<size_t>(length));
}

std::shared_ptr<RandomAccessFile> MemoryObjectStore::OpenForRead(std::string_view key) {
  return MakeBufferFile(Read(key), DisplayPath(key));
}

void MemoryObjectStore::Put(std::string key, std::string bytes) {
  std::lock_guard lock(mu_);
  objects_.insert_or_assign(std::move(key), Object{std::move(bytes), NowMs()});
}

void MemoryObjectStore::Write(std::string_view key, std::string_view bytes) {
  ValidateKey(key);
  Put(std::string(key), std::string(bytes));
}

bool MemoryObjectStore::PutIfAbsent(std::string_view key, std::string_view bytes) {
  ValidateKey(key);
  std::lock_guard lock(mu_);
  return objects_.try_emplace(std::string(key), Object{std::string(bytes), NowMs()}).second;
}

void MemoryObjectStore::Delete(std::string_view key) {
  ValidateKey(key);
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it != objects_.end()) objects_.erase(it);
}

std::optional<ObjectMeta> MemoryObjectStore::Head(std::string_view key) {
  ValidateKey(key);
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return ObjectMeta{std::string(key), static_cast<int64_t>(it->second.bytes.size()),
                    it->second.modification_time_ms};
}

std::unique_ptr<WritableFile> MemoryObjectStore::OpenForWrite(std::string_view key) {
  ValidateKey(key);
  std::string k(key);
  return std::make_unique<MemoryWritableFile>(
      [this, k](std::string bytes) { Put(k, std::move(bytes)); }, DisplayPath(key));
}

std::string MemoryObjectStore::DisplayPath(std::string_view key) const {
  return "memory://" + std::string(key);
}

// ---- FaultInjectingObjectStore -------------------------------------------------------

struct FaultInjectingObjectStore::State {
  enum class Outcome { kProceed, kFail, kFailAfterEffect };

  std::mutex mu;
  FaultPlan plan;
  int64_t total_calls = 0;
  std::map<Op, int64_t> calls;
  int64_t faults = 0;

  Outcome Count(Op op) {
    std::lock_guard lock(mu);
    ++total_calls;
    int64_t n = ++calls[op];
    if (plan.fail_at <= 0) return Outcome::kProceed;
    if (plan.op.has_value() && *plan.op != op) return Outcome::kProceed;
    if (!plan.op.has_value()) n = total_calls;
    bool fails = plan.persistent ? n >= plan.fail_at : n == plan.fail_at;
    if (!fails) return Outcome::kProceed;
    ++faults;
    return plan.after_effect ? Outcome::kFailAfterEffect : Outcome::kFail;
  }
};

namespace {

[[noreturn]] void ThrowInjected(FaultInjectingObjectStore::Op op, const std::string& what,
                                bool after_effect) {
  throw IoError("injected fault: " + std::string(FaultInjectingObjectStore::OpName(op)) + " " +
                what + (after_effect ? " (after the operation took effect)" : ""));
}

}  // namespace

// Runs `fn` under the plan: throws before it, or after it for after-effect plans.
#define CPGLAKE_FAULTY_CALL(state, op, what, fn)                                     \
  do {                                                                               \
    auto outcome_ = (state).Count(op);                                               \
    if (outcome_ == State::Outcome::kFail) ThrowInjected(op, what, false);           \
    fn;                                                                              \
    if (outcome_ == State::Outcome::kFailAfterEffect) ThrowInjected(op, what, true); \
  } while (0)

class FaultInjectingObjectStore::FaultyReadFile : public RandomAccessFile {
 public:
  FaultyReadFile(std::shared_ptr<RandomAccessFile> inner, std::shared_ptr<State> state)
      : inner_(std::move(inner)), state_(std::move(state)) {}
  int64_t Size() const override { return inner_->Size(); }
  void ReadAt(int64_t offset, int64_t n, uint8_t* out) const override {
    if (state_->Count(Op::kReadAt) != State::Outcome::kProceed) {
      ThrowInjected(Op::kReadAt, inner_->name(), false);
    }
    inner_->ReadAt(offset, n, out);
  }
  const std::string& name() const override { return inner_->name(); }

 private:
  std::shared_ptr<RandomAccessFile> inner_;
  std::shared_ptr<State> state_;
};

class FaultInjectingObjectStore::FaultyWritableFile : public WritableFile {
 public:
  FaultyWritableFile(std::unique_ptr<WritableFile> inner, std::shared_ptr<State> state)
      : inner_(std::move(inner)), state_(std::move(state)) {}
  void Append(const void* data, size_t n) override {
    if (state_->Count(Op::kAppend) != State::Outcome::kProceed) {
      ThrowInjected(Op::kAppend, inner_->name(), false);
    }
    inner_->Append(data, n);
  }
  int64_t Tell() const override { return inner_->Tell(); }
  void Close() override {
    CPGLAKE_FAULTY_CALL(*state_, Op::kCloseWrite, inner_->name(), inner_->Close());
  }
  const std::string& name() const override { return inner_->name(); }

 private:
  std::unique_ptr<WritableFile> inner_;
  std::shared_ptr<State> state_;
};

std::string_view FaultInjectingObjectStore::OpName(Op op) {
  switch (op) {
    case Op::kList:
      return "List";
    case Op::kRead:
      return "Read";
    case Op::kOpenForRead:
      return "OpenForRead";
    case Op::kReadAt:
      return "ReadAt";
    case Op::kWrite:
      return "Write";
    case Op::kPutIfAbsent:
      return "PutIfAbsent";
    case Op::kDelete:
      return "Delete";
    case Op::kHead:
      return "Head";
    case Op::kOpenForWrite:
      return "OpenForWrite";
    case Op::kAppend:
      return "Append";
    case Op::kCloseWrite:
      return "CloseWrite";
  }
  return "?";
}

FaultInjectingObjectStore::FaultInjectingObjectStore(std::shared_ptr<ObjectStore> inner)
    : inner_(std::move(inner)), state_(std::make_shared<State>()) {
  CPGLAKE_CHECK(inner_ != nullptr, "FaultInjectingObjectStore needs a store to wrap");
}

void FaultInjectingObjectStore::Arm(FaultPlan plan) {
  std::lock_guard lock(state_->mu);
  state_->plan = plan;
  state_->total_calls = 0;
  state_->calls.clear();
  state_->faults = 0;
}

int64_t FaultInjectingObjectStore::CallCount(std::optional<Op> op) const {
  std::lock_guard lock(state_->mu);
  if (!op.has_value()) return state_->total_calls;
  auto it = state_->calls.find(*op);
  return it == state_->calls.end() ? 0 : it->second;
}

int64_t FaultInjectingObjectStore::FaultCount() const {
  std::lock_guard lock(state_->mu);
  return state_->faults;
}

std::vector<ObjectMeta> FaultInjectingObjectStore::List(std::string_view dir,
                                                        std::string_view start_after) {
  std::vector<ObjectMeta> out;
  CPGLAKE_FAULTY_CALL(*state_, Op::kList, DisplayPath(dir), out = inner_->List(dir, start_after));
  return out;
}

std::vector<ObjectMeta> FaultInjectingObjectStore::ListRecursive(std::string_view dir,
                                                                 std::string_view start_after) {
  std::vector<ObjectMeta> out;
  CPGLAKE_FAULTY_CALL(*state_, Op::kList, DisplayPath(dir),
                      out = inner_->ListRecursive(dir, start_after));
  return out;
}

std::string FaultInjectingObjectStore::Read(std::string_view key) {
  std::string out;
  CPGLAKE_FAULTY_CALL(*state_, Op::kRead, DisplayPath(key), out = inner_->Read(key));
  return out;
}

std::string FaultInjectingObjectStore::ReadRange(std::string_view key, int64_t offset,
                                                 int64_t length) {
  std::string out;
  CPGLAKE_FAULTY_CALL(*state_, Op::kRead, DisplayPath(key),
                      out = inner_->ReadRange(key, offset, length));
  return out;
}

std::shared_ptr<RandomAccessFile> FaultInjectingObjectStore::OpenForRead(std::string_view key) {
  std::shared_ptr<RandomAccessFile> file;
  CPGLAKE_FAULTY_CALL(*state_, Op::kOpenForRead, DisplayPath(key), file = inner_->OpenForRead(key));
  return std::make_shared<FaultyReadFile>(std::move(file), state_);
}

void FaultInjectingObjectStore::Write(std::string_view key, std::string_view bytes) {
  CPGLAKE_FAULTY_CALL(*state_, Op::kWrite, DisplayPath(key), inner_->Write(key, bytes));
}

bool FaultInjectingObjectStore::PutIfAbsent(std::string_view key, std::string_view bytes) {
  bool created = false;
  CPGLAKE_FAULTY_CALL(*state_, Op::kPutIfAbsent, DisplayPath(key),
                      created = inner_->PutIfAbsent(key, bytes));
  return created;
}

void FaultInjectingObjectStore::Delete(std::string_view key) {
  CPGLAKE_FAULTY_CALL(*state_, Op::kDelete, DisplayPath(key), inner_->Delete(key));
}

std::optional<ObjectMeta> FaultInjectingObjectStore::Head(std::string_view key) {
  std::optional<ObjectMeta> out;
  CPGLAKE_FAULTY_CALL(*state_, Op::kHead, DisplayPath(key), out = inner_->Head(key));
  return out;
}

bool FaultInjectingObjectStore::Exists(std::string_view key) {
  bool out = false;
  CPGLAKE_FAULTY_CALL(*state_, Op::kHead, DisplayPath(key), out = inner_->Exists(key));
  return out;
}

std::unique_ptr<WritableFile> FaultInjectingObjectStore::OpenForWrite(std::string_view key) {
  std::unique_ptr<WritableFile> file;
  CPGLAKE_FAULTY_CALL(*state_, Op::kOpenForWrite, DisplayPath(key),
                      file = inner_->OpenForWrite(key));
  return std::make_unique<FaultyWritableFile>(std::move(file), state_);
}

std::string FaultInjectingObjectStore::DisplayPath(std::string_view key) const {
  return inner_->DisplayPath(key);
}

#undef CPGLAKE_FAULTY_CALL

}  // namespace cpglake::storage
