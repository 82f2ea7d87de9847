#include "storage/random_access_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace cpglake::storage {

namespace {

void CheckRange(const std::string& name, int64_t size, int64_t offset, int64_t n) {
  if (offset < 0 || n < 0 || offset > size || n > size - offset) {
    throw CorruptData(name + ": read of " + std::to_string(n) + " bytes at offset " +
                      std::to_string(offset) + " is past the end of the file (" +
                      std::to_string(size) + " bytes)");
  }
}

class LocalFile : public RandomAccessFile {
 public:
  LocalFile(int fd, int64_t size, std::string name)
      : fd_(fd), size_(size), name_(std::move(name)) {}
  ~LocalFile() override { ::close(fd_); }
  int64_t Size() const override { return size_; }
  const std::string& name() const override { return name_; }
  void ReadAt(int64_t offset, int64_t n, uint8_t* out) const override {
    CheckRange(name_, size_, offset, n);
    while (n > 0) {
      ssize_t r = ::pread(fd_, out, static_cast<size_t>(n), offset);
      if (r < 0) {
        if (errno == EINTR) continue;
        throw IoError(name_ + ": read failed: " + std::strerror(errno));
      }
      if (r == 0) throw IoError(name_ + ": file shrank while reading");
      out += r;
      offset += r;
      n -= r;
    }
  }

 private:
  int fd_;
  int64_t size_;
  std::string name_;
};

class BufferFile : public RandomAccessFile {
 public:
  BufferFile(std::string bytes, std::string name)
      : bytes_(std::move(bytes)), name_(std::move(name)) {}
  int64_t Size() const override { return static_cast<int64_t>(bytes_.size()); }
  const std::string& name() const override { return name_; }
  void ReadAt(int64_t offset, int64_t n, uint8_t* out) const override {
    CheckRange(name_, Size(), offset, n);
    if (n) std::memcpy(out, bytes_.data() + offset, static_cast<size_t>(n));
  }

 private:
  std::string bytes_;
  std::string name_;
};

}  // namespace

std::shared_ptr<RandomAccessFile> OpenLocalFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) throw NotFound(path + ": no such file");
    throw IoError(path + ": cannot open: " + std::strerror(err));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    throw IoError(path + ": cannot stat: " + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw InvalidInput(path + " is a directory, not a file");
  }
  return std::make_shared<LocalFile>(fd, static_cast<int64_t>(st.st_size), path);
}

std::shared_ptr<RandomAccessFile> MakeBufferFile(std::string bytes, std::string name) {
  return std::make_shared<BufferFile>(std::move(bytes), std::move(name));
}

}  // namespace cpglake::storage
