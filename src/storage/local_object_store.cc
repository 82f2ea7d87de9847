// LocalObjectStore: an ObjectStore over a directory of the local file system.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "common/error.h"
#include "common/memory.h"
#include "storage/object_store.h"

namespace cpglake::storage {

namespace {

std::string ErrnoText(int err) {
  return std::strerror(err);
}

int64_t MtimeMs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

std::string_view Parent(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// A name no other writer (thread or process) picks: ".cpglake-tmp.<name>.<pid>.<random>".
std::string TempPathFor(const std::string& final_path) {
  static const uint64_t seed = [] {
    std::random_device rd;
    return (uint64_t{rd()} << 32) ^ rd();
  }();
  static std::atomic<uint64_t> counter{0};
  uint64_t n = seed + 0x9e3779b97f4a7c15ULL * (counter.fetch_add(1) + 1);
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, ".%ld.%016llx", static_cast<long>(::getpid()),
                static_cast<unsigned long long>(n));
  // Keep the temporary name within NAME_MAX even for long final names.
  std::string_view base = BaseName(final_path).substr(0, 100);
  std::string dir(Parent(final_path));
  return dir + "/.cpglake-tmp." + std::string(base) + suffix;
}

// fsync of a directory, so that a create/rename inside it survives a crash. Some file systems
// cannot fsync directories (EINVAL); there is nothing more to do on those.
void SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw IoError(dir + ": cannot open directory to sync: " + ErrnoText(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL && err != EROFS) {
    throw IoError(dir + ": fsync of directory failed: " + ErrnoText(err));
  }
}

void WriteAll(int fd, std::string_view bytes, const std::string& path) {
  const char* p = bytes.data();
  size_t n = bytes.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw IoError(path + ": write failed: " + ErrnoText(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// Writes `bytes` durably to a new file at `path` (which must not exist).
void WriteNewFile(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(path + ": cannot create: " + ErrnoText(errno));
  try {
    WriteAll(fd, bytes, path);
    // fdatasync: the data and the size (what a reader needs), not timestamps.
    if (::fdatasync(fd) != 0) throw IoError(path + ": fdatasync failed: " + ErrnoText(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(path.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    throw IoError(path + ": close failed: " + ErrnoText(err));
  }
}

void RenameInto(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    int err = errno;
    ::unlink(from.c_str());
    throw IoError(to + ": cannot move the written file into place: " + ErrnoText(err));
  }
}

// Streams to a temporary file; Close() fsyncs it and renames it to the final path.
class LocalTempWritableFile : public WritableFile {
 public:
  LocalTempWritableFile(std::string final_path, std::string display)
      : final_path_(std::move(final_path)),
        temp_path_(TempPathFor(final_path_)),
        display_(std::move(display)),
        inner_(CreateLocalFile(temp_path_, /*durable=*/true)) {}
  ~LocalTempWritableFile() override {
    if (inner_ != nullptr) {
      inner_.reset();  // closes the descriptor
      ::unlink(temp_path_.c_str());
    }
  }
  void Append(const void* data, size_t n) override {
    if (inner_ == nullptr) throw InvalidInput(display_ + ": append after close");
    inner_->Append(data, n);
  }
  int64_t Tell() const override { return inner_ == nullptr ? closed_size_ : inner_->Tell(); }
  void Close() override {
    if (inner_ == nullptr) return;
    closed_size_ = inner_->Tell();
    try {
      inner_->Close();
    } catch (...) {
      inner_.reset();
      ::unlink(temp_path_.c_str());
      throw;
    }
    inner_.reset();
    RenameInto(temp_path_, final_path_);
    SyncDirectory(std::string(Parent(final_path_)));
  }
  const std::string& name() const override { return display_; }

 private:
  std::string final_path_;
  std::string temp_path_;
  std::string display_;
  std::unique_ptr<WritableFile> inner_;
  int64_t closed_size_ = 0;
};

}  // namespace

LocalObjectStore::LocalObjectStore(std::string root, StorageOptions storage_options)
    : options_(std::move(storage_options)) {
  if (root.empty()) throw InvalidInput("empty local store root");
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(root, ec);
  if (ec) throw IoError(root + ": cannot make the path absolute: " + ec.message());
  root_ = abs.lexically_normal().string();
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string LocalObjectStore::DisplayPath(std::string_view key) const {
  if (key.empty()) return root_;
  return root_ == "/" ? "/" + std::string(key) : root_ + "/" + std::string(key);
}

namespace {

// Creates the directories of `key` below `root` (root itself included), syncing each parent
// whose entry was created so that the new directory survives a crash.
void EnsureParentDirectories(const std::string& root, std::string_view key) {
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) throw IoError(root + ": cannot create directory: " + ec.message());
  std::string path = root;
  size_t start = 0;
  for (size_t slash = key.find('/'); slash != std::string_view::npos;
       start = slash + 1, slash = key.find('/', start)) {
    std::string parent = path;
    path += '/';
    path.append(key.substr(start, slash - start));
    if (::mkdir(path.c_str(), 0755) == 0) {
      SyncDirectory(parent);
    } else if (errno != EEXIST) {
      throw IoError(path + ": cannot create directory: " + ErrnoText(errno));
    }
  }
}

// Entries whose key is <= `start_after` are skipped before they are stat-ed (a Delta log
// listed from its last checkpoint holds every commit since the table was made).
// key_prefix + name <= start_after, without building the key.
bool KeyAtMost(std::string_view key_prefix, std::string_view name, std::string_view start_after) {
  const size_t n = std::min(key_prefix.size(), start_after.size());
  if (const int c = key_prefix.compare(0, n, start_after.substr(0, n)); c != 0) return c < 0;
  if (key_prefix.size() > start_after.size()) return false;  // start_after is a prefix: after
  return name <= start_after.substr(key_prefix.size());
}

void ListDirectory(const std::string& path, const std::string& key_prefix, bool recursive,
                   std::string_view start_after, std::vector<ObjectMeta>* out) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return;
    throw IoError(path + ": cannot list directory: " + ErrnoText(errno));
  }
  std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
  int dfd = ::dirfd(d);
  std::vector<std::string> subdirs;
  while (true) {
    errno = 0;
    struct dirent* e = ::readdir(d);
    if (e == nullptr) {
      if (errno != 0) throw IoError(path + ": cannot list directory: " + ErrnoText(errno));
      break;
    }
    std::string_view name = e->d_name;
    if (name == "." || name == ".." || IsTemporaryName(name)) continue;
    if (!start_after.empty() && e->d_type != DT_DIR && e->d_type != DT_UNKNOWN &&
        e->d_type != DT_LNK && KeyAtMost(key_prefix, name, start_after)) {
      continue;  // a file listed before: no stat
    }
    struct stat st;
    if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // removed while listing
      throw IoError(path + "/" + std::string(name) + ": cannot stat: " + ErrnoText(errno));
    }
    if (S_ISDIR(st.st_mode)) {
      if (recursive) subdirs.emplace_back(name);
      continue;
    }
    if (S_ISLNK(st.st_mode)) {
      if (::fstatat(dfd, e->d_name, &st, 0) != 0) continue;  // dangling link: not an object
    }
    if (!S_ISREG(st.st_mode)) continue;
    out->push_back({key_prefix + std::string(name), static_cast<int64_t>(st.st_size), MtimeMs(st)});
  }
  guard.reset();
  for (const std::string& sub : subdirs) {
    ListDirectory(path + "/" + sub, key_prefix + sub + "/", true, start_after, out);
  }
}

std::vector<ObjectMeta> ListLocal(const LocalObjectStore& store, std::string_view dir,
                                  std::string_view start_after, bool recursive) {
  dir = ValidateDirectory(dir);
  std::string key_prefix(dir);
  if (!key_prefix.empty()) key_prefix += '/';
  std::vector<ObjectMeta> out;
  ListDirectory(store.DisplayPath(dir), key_prefix, recursive, start_after, &out);
  std::erase_if(out, [&](const ObjectMeta& m) { return m.key <= start_after; });
  std::sort(out.begin(), out.end(),
            [](const ObjectMeta& a, const ObjectMeta& b) { return a.key < b.key; });
  return out;
}

}  // namespace

std::vector<ObjectMeta> LocalObjectStore::List(std::string_view dir, std::string_view start_after) {
  return ListLocal(*this, dir, start_after, false);
}

std::vector<ObjectMeta> LocalObjectStore::ListRecursive(std::string_view dir,
                                                        std::string_view start_after) {
  return ListLocal(*this, dir, start_after, true);
}

std::shared_ptr<RandomAccessFile> LocalObjectStore::OpenForRead(std::string_view key) {
  ValidateKey(key);
  std::string path = DisplayPath(key);
  try {
    return OpenLocalFile(path);
  } catch (const InvalidInput&) {  // a directory
    throw NotFound(path + ": no such object (it is a directory)");
  } catch (const IoError&) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
      throw NotFound(path + ": no such file");
    }
    throw;
  }
}

std::string LocalObjectStore::Read(std::string_view key) {
  auto file = OpenForRead(key);
  const auto size = static_cast<size_t>(file->Size());
  std::string out;
  out.reserve(size);
  AdviseHugePages(out.data(), size);  // before the pages are touched
  out.resize(size);
  file->ReadAt(0, file->Size(), reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

std::string LocalObjectStore::ReadRange(std::string_view key, int64_t offset, int64_t length) {
  ValidateKey(key);
  if (offset < 0 || length < 0) {
    throw InvalidInput(DisplayPath(key) + ": read of " + std::to_string(length) +
                       " bytes at offset " + std::to_string(offset) + ": negative argument");
  }
  auto file = OpenForRead(key);
  int64_t size = file->Size();
  if (offset > size || length > size - offset) {
    throw CorruptData(DisplayPath(key) + ": read of " + std::to_string(length) +
                      " bytes at offset " + std::to_string(offset) +
                      " is past the end of the object (" + std::to_string(size) + " bytes)");
  }
  std::string out(static_cast<size_t>(length), '\0');
  file->ReadAt(offset, length, reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

void LocalObjectStore::Write(std::string_view key, std::string_view bytes) {
  ValidateKey(key);
  EnsureParentDirectories(root_, key);
  std::string path = DisplayPath(key);
  std::string temp = TempPathFor(path);
  WriteNewFile(temp, bytes);
  RenameInto(temp, path);
  SyncDirectory(std::string(Parent(path)));
}

bool LocalObjectStore::PutIfAbsent(std::string_view key, std::string_view bytes) {
  ValidateKey(key);
  EnsureParentDirectories(root_, key);
  std::string path = DisplayPath(key);
  // Cheap early exit; the atomic check is the no-replace rename / link below.
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) return false;
  std::string temp = TempPathFor(path);
  WriteNewFile(temp, bytes);
  bool created = false;
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) {
    created = true;
  } else if (errno == EEXIST) {
    created = false;
  } else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
    // The file system has no RENAME_NOREPLACE: link() also fails if the name exists.
    if (::link(temp.c_str(), path.c_str()) == 0) {
      created = true;
    } else if (errno == EEXIST) {
      created = false;
    } else {
      int err = errno;
      ::unlink(temp.c_str());
      if (err == EPERM || err == EOPNOTSUPP) {
        throw Unsupported(path +
                          ": the file system supports neither renameat2(RENAME_NOREPLACE)"
                          " nor hard links, so put-if-absent (Delta commits) is impossible");
      }
      throw IoError(path + ": cannot create: " + ErrnoText(err));
    }
  } else {
    int err = errno;
    ::unlink(temp.c_str());
    throw IoError(path + ": cannot create: " + ErrnoText(err));
  }
  ::unlink(temp.c_str());  // after a link, or when the name was taken; harmless otherwise
  if (created) SyncDirectory(std::string(Parent(path)));
  return created;
}

void LocalObjectStore::Delete(std::string_view key) {
  ValidateKey(key);
  std::string path = DisplayPath(key);
  if (::unlink(path.c_str()) == 0) return;
  int err = errno;
  if (err == ENOENT || err == ENOTDIR) return;
  if (err == EISDIR || err == EPERM) {
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      throw IoError(path + ": cannot delete: it is a directory, not an object");
    }
  }
  throw IoError(path + ": cannot delete: " + ErrnoText(err));
}

std::optional<ObjectMeta> LocalObjectStore::Head(std::string_view key) {
  ValidateKey(key);
  std::string path = DisplayPath(key);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw IoError(path + ": cannot stat: " + ErrnoText(errno));
  }
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  return ObjectMeta{std::string(key), static_cast<int64_t>(st.st_size), MtimeMs(st)};
}

std::unique_ptr<WritableFile> LocalObjectStore::OpenForWrite(std::string_view key) {
  ValidateKey(key);
  EnsureParentDirectories(root_, key);
  std::string path = DisplayPath(key);
  return std::make_unique<LocalTempWritableFile>(path, path);
}

}  // namespace cpglake::storage
