// The object-store interface: every byte the Delta engine reads or writes goes through an
// `ObjectStore`. It is deliberately narrow (list, read, write, put-if-absent, delete, head),
// so that a local directory, an in-memory map and, later, S3/ADLS/GCS can all implement it,
// and so that tests can inject faults at any call.
//
// Contract (every implementation, tested for each in tests/storage/object_store_test.cc):
//
// * Keys are '/'-separated paths relative to the store root: no leading '/', no empty,
//   "." or ".." segments, no NUL byte, no trailing '/'. Anything else is InvalidInput
//   naming the key (hostile log entries must never reach outside the table).
// * Objects are files only. "Directories" exist implicitly as key prefixes.
// * `List(dir)` returns the objects *directly* inside directory `dir` ("" is the root; a
//   trailing '/' is optional), sorted by key (byte-wise), with full keys
//   ("_delta_log/00000000000000000000.json"). Sub-directories are not returned. With
//   `start_after`, only keys strictly greater than it (a full key) are returned. A missing
//   directory lists as empty. `ListRecursive(dir)` is the same over all depths.
// * Temporary files of in-progress writes never appear in listings, and a crash never
//   leaves a partial object under its final key: `Write` and `OpenForWrite` write a
//   temporary object and move it into place atomically.
// * `PutIfAbsent(key, bytes)` creates the object only if no object with that key exists
//   and returns false ("already exists") otherwise, atomically even across processes:
//   this is how a Delta commit is made. It never replaces an existing object.
// * `Delete` is idempotent: deleting a missing key succeeds.
// * Reading a missing key is NotFound naming the key; reading a range past the end of an
//   object is CorruptData (an offset or length recorded elsewhere lied); an operating
//   system or network failure is IoError.
// * All methods are thread-safe; several processes may use the same local directory.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/random_access_file.h"
#include "storage/writable_file.h"

namespace cpglake::storage {

struct ObjectMeta {
  std::string key;  // full key relative to the store root
  int64_t size = 0;
  int64_t modification_time_ms = 0;  // milliseconds since the Unix epoch
  bool operator==(const ObjectMeta&) const = default;
};

using StorageOptions = std::map<std::string, std::string>;

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Objects directly inside directory `dir`, sorted by key, keys > `start_after`.
  virtual std::vector<ObjectMeta> List(std::string_view dir, std::string_view start_after = "") = 0;
  // Objects at any depth below directory `dir`, sorted by key, keys > `start_after`.
  virtual std::vector<ObjectMeta> ListRecursive(std::string_view dir,
                                                std::string_view start_after = "") = 0;

  // The whole object. NotFound naming the key when it does not exist.
  virtual std::string Read(std::string_view key) = 0;
  // `length` bytes at `offset`. Negative arguments are InvalidInput; a range past the end of
  // the object is CorruptData.
  virtual std::string ReadRange(std::string_view key, int64_t offset, int64_t length) = 0;
  // A random-access view of the object (the Parquet reader). NotFound when missing.
  virtual std::shared_ptr<RandomAccessFile> OpenForRead(std::string_view key) = 0;

  // Creates or replaces the object atomically (readers see the old or the new bytes).
  virtual void Write(std::string_view key, std::string_view bytes) = 0;
  // Creates the object only if the key is free; false when it already exists. Atomic.
  virtual bool PutIfAbsent(std::string_view key, std::string_view bytes) = 0;
  // Removes the object; a missing key is not an error.
  virtual void Delete(std::string_view key) = 0;
  // Metadata of the object, or nullopt when there is none (a directory is not an object).
  virtual std::optional<ObjectMeta> Head(std::string_view key) = 0;
  virtual bool Exists(std::string_view key) { return Head(key).has_value(); }

  // Streams a (large) object. The bytes go to a temporary object, moved into place (replacing
  // any existing object) by `Close()`; destroying the file without `Close()` discards it.
  virtual std::unique_ptr<WritableFile> OpenForWrite(std::string_view key) = 0;

  // How the object is named in messages: a local path, or a URI.
  virtual std::string DisplayPath(std::string_view key) const = 0;
  // The options the store was opened with (see OpenObjectStore).
  virtual const StorageOptions& storage_options() const;
};

// Opens the store for a table location: a local path (used as is) or a URI.
// * `file:///abs/path`, `file:/abs/path` (Hadoop spelling) and `file://localhost/abs/path`
//   are local directories; the URI path is percent-decoded.
// * Other schemes (s3://, abfss://, gs://, ...) are Unsupported naming the scheme.
// The directory need not exist yet (it is created by the first write). `storage_options`
// are kept on the store (`storage_options()`); the local store uses none of them and
// ignores unknown ones, so the same option map can be passed for any location.
std::shared_ptr<ObjectStore> OpenObjectStore(const std::string& uri_or_path,
                                             const StorageOptions& storage_options = {});

// A directory on the local file system. Writes go through a temporary file in the target
// directory (named ".cpglake-tmp.*", hidden from listings), fsync, then rename (Write,
// OpenForWrite) or renameat2(RENAME_NOREPLACE) / link() (PutIfAbsent), then an fsync of the
// directory. Symbolic links are followed for files; ListRecursive does not descend into
// symbolically linked directories.
class LocalObjectStore final : public ObjectStore {
 public:
  explicit LocalObjectStore(std::string root, StorageOptions storage_options = {});

  std::vector<ObjectMeta> List(std::string_view dir, std::string_view start_after = "") override;
  std::vector<ObjectMeta> ListRecursive(std::string_view dir,
                                        std::string_view start_after = "") override;
  std::string Read(std::string_view key) override;
  std::string ReadRange(std::string_view key, int64_t offset, int64_t length) override;
  std::shared_ptr<RandomAccessFile> OpenForRead(std::string_view key) override;
  void Write(std::string_view key, std::string_view bytes) override;
  bool PutIfAbsent(std::string_view key, std::string_view bytes) override;
  void Delete(std::string_view key) override;
  std::optional<ObjectMeta> Head(std::string_view key) override;
  std::unique_ptr<WritableFile> OpenForWrite(std::string_view key) override;
  std::string DisplayPath(std::string_view key) const override;
  const StorageOptions& storage_options() const override { return options_; }

  const std::string& root() const { return root_; }

 private:
  std::string root_;  // absolute, without trailing '/' (except for "/")
  StorageOptions options_;
};

// Objects held in memory (tests). DisplayPath is "memory://<key>". Files from OpenForWrite
// must be closed or destroyed before the store.
class MemoryObjectStore final : public ObjectStore {
 public:
  MemoryObjectStore() = default;

  std::vector<ObjectMeta> List(std::string_view dir, std::string_view start_after = "") override;
  std::vector<ObjectMeta> ListRecursive(std::string_view dir,
                                        std::string_view start_after = "") override;
  std::string Read(std::string_view key) override;
  std::string ReadRange(std::string_view key, int64_t offset, int64_t length) override;
  std::shared_ptr<RandomAccessFile> OpenForRead(std::string_view key) override;
  void Write(std::string_view key, std::string_view bytes) override;
  bool PutIfAbsent(std::string_view key, std::string_view bytes) override;
  void Delete(std::string_view key) override;
  std::optional<ObjectMeta> Head(std::string_view key) override;
  std::unique_ptr<WritableFile> OpenForWrite(std::string_view key) override;
  std::string DisplayPath(std::string_view key) const override;

 private:
  struct Object {
    std::string bytes;
    int64_t modification_time_ms = 0;
  };
  std::vector<ObjectMeta> ListImpl(std::string_view dir, std::string_view start_after,
                                   bool recursive);
  void Put(std::string key, std::string bytes);  // used by the writable file's Close

  std::mutex mu_;
  std::map<std::string, Object, std::less<>> objects_;
};

// Wraps another store and throws IoError ("injected fault ...") on a chosen call, to test
// what callers (the Delta writer) do when storage fails part-way. Calls are counted from
// the last `Arm`, overall or for one operation kind. Thread-safe.
class FaultInjectingObjectStore final : public ObjectStore {
 public:
  enum class Op {
    kList,  // List and ListRecursive
    kRead,  // Read and ReadRange
    kOpenForRead,
    kReadAt,  // RandomAccessFile::ReadAt on a file from OpenForRead
    kWrite,
    kPutIfAbsent,
    kDelete,
    kHead,  // Head and Exists
    kOpenForWrite,
    kAppend,      // WritableFile::Append on a file from OpenForWrite
    kCloseWrite,  // WritableFile::Close on a file from OpenForWrite
  };
  static std::string_view OpName(Op op);

  struct FaultPlan {
    // Count only calls of this kind; nullopt counts every call.
    std::optional<Op> op;
    // The counted call (1-based) that fails; 0 never fails.
    int64_t fail_at = 0;
    // Keep failing every counted call after `fail_at` too (a store that went away).
    bool persistent = false;
    // Perform the call on the wrapped store and throw afterwards: for mutating calls (Write,
    // PutIfAbsent, Delete, CloseWrite) like a network error after the server committed.
    // ReadAt and Append always fail before the call.
    bool after_effect = false;
  };

  explicit FaultInjectingObjectStore(std::shared_ptr<ObjectStore> inner);

  // Replaces the plan and resets all counters.
  void Arm(FaultPlan plan);
  void Disarm() { Arm(FaultPlan{}); }
  // Calls seen since the last Arm: of one kind, or all of them.
  int64_t CallCount(std::optional<Op> op = std::nullopt) const;
  // Faults thrown since the last Arm.
  int64_t FaultCount() const;
  ObjectStore& inner() { return *inner_; }

  std::vector<ObjectMeta> List(std::string_view dir, std::string_view start_after = "") override;
  std::vector<ObjectMeta> ListRecursive(std::string_view dir,
                                        std::string_view start_after = "") override;
  std::string Read(std::string_view key) override;
  std::string ReadRange(std::string_view key, int64_t offset, int64_t length) override;
  std::shared_ptr<RandomAccessFile> OpenForRead(std::string_view key) override;
  void Write(std::string_view key, std::string_view bytes) override;
  bool PutIfAbsent(std::string_view key, std::string_view bytes) override;
  void Delete(std::string_view key) override;
  std::optional<ObjectMeta> Head(std::string_view key) override;
  bool Exists(std::string_view key) override;
  std::unique_ptr<WritableFile> OpenForWrite(std::string_view key) override;
  std::string DisplayPath(std::string_view key) const override;
  const StorageOptions& storage_options() const override { return inner_->storage_options(); }

 private:
  struct State;  // plan and counters, shared with the files this store hands out
  class FaultyReadFile;
  class FaultyWritableFile;

  std::shared_ptr<ObjectStore> inner_;
  std::shared_ptr<State> state_;
};

// Throws InvalidInput unless `key` is a valid object key (see the contract above).
void ValidateKey(std::string_view key);
// Validates a directory for List: "" (root) or a valid key with an optional trailing '/'.
// Returns it without the trailing '/'.
std::string_view ValidateDirectory(std::string_view dir);
// True for the names of temporary files of in-progress writes (hidden from listings).
bool IsTemporaryName(std::string_view file_name);

// Percent-decoding ("%20" -> ' '); '+' stays '+'. A '%' not followed by two hex digits is
// CorruptData (the text comes from a Delta log or a user URI).
std::string UriDecode(std::string_view text);
// Percent-encodes a relative path the way Delta writers spell `add.path`: every byte outside
// the unreserved set (A-Z a-z 0-9 - . _ ~) and '/' and '=' is written as %XX (upper case).
// '=' stays literal because Hive-style partition directories ("year=2024/") are written
// that way by Spark and delta-rs; decoding gives the same path either way.
std::string UriEncodePath(std::string_view path);
// Normalises a (decoded) path relative to the table root into an object key: drops empty
// and "." segments and resolves ".." segments. nullopt when the path is absolute, empty,
// contains NUL, or climbs out of the root; callers turn that into CorruptData.
std::optional<std::string> ResolveRelative(std::string_view table_root_relative_path);

}  // namespace cpglake::storage
