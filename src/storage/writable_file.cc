#include "storage/writable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace cpglake::storage {

namespace {

class LocalWritableFile : public WritableFile {
 public:
  LocalWritableFile(int fd, std::string name, bool durable)
      : fd_(fd), name_(std::move(name)), durable_(durable) {
    buffer_.reserve(kBufferSize);
  }
  ~LocalWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  void Append(const void* data, size_t n) override {
    if (buffer_.size() + n > kBufferSize) {
      Flush();
      if (n >= kBufferSize) {
        WriteAll(static_cast<const char*>(data), n);
        pos_ += static_cast<int64_t>(n);
        return;
      }
    }
    buffer_.append(static_cast<const char*>(data), n);
    pos_ += static_cast<int64_t>(n);
  }
  int64_t Tell() const override { return pos_; }
  void Close() override {
    if (fd_ < 0) return;
    Flush();
    if (durable_ && ::fdatasync(fd_) != 0) Fail("fdatasync");
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) Fail("close");
  }
  const std::string& name() const override { return name_; }

 private:
  static constexpr size_t kBufferSize = 1 << 20;
  [[noreturn]] void Fail(const char* what) {
    throw IoError(name_ + ": " + what + " failed: " + std::strerror(errno));
  }
  void Flush() {
    WriteAll(buffer_.data(), buffer_.size());
    buffer_.clear();
  }
  void WriteAll(const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        Fail("write");
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
  }
  int fd_;
  std::string name_;
  bool durable_;
  std::string buffer_;
  int64_t pos_ = 0;
};

}  // namespace

std::unique_ptr<WritableFile> CreateLocalFile(const std::string& path, bool durable) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(path + ": cannot create: " + std::strerror(errno));
  return std::make_unique<LocalWritableFile>(fd, path, durable);
}

}  // namespace cpglake::storage
