// The write side of storage/ for whole-file writers (Parquet): an append-only file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace cpglake::storage {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual void Append(const void* data, size_t n) = 0;
  // Bytes appended so far.
  virtual int64_t Tell() const = 0;
  // Flushes (and, for durable files, fsyncs) and closes; IoError on failure.
  virtual void Close() = 0;
  virtual const std::string& name() const = 0;
};

// Creates (or truncates) a local file. `durable` fsyncs on Close.
std::unique_ptr<WritableFile> CreateLocalFile(const std::string& path, bool durable = false);
// Collects bytes in memory; `Contents()` after Close.
class BufferWritableFile : public WritableFile {
 public:
  explicit BufferWritableFile(std::string name = "<memory>") : name_(std::move(name)) {}
  void Append(const void* data, size_t n) override {
    buffer_.append(static_cast<const char*>(data), n);
  }
  int64_t Tell() const override { return static_cast<int64_t>(buffer_.size()); }
  void Close() override {}
  const std::string& name() const override { return name_; }
  const std::string& Contents() const { return buffer_; }
  std::string Release() { return std::move(buffer_); }

 private:
  std::string name_;
  std::string buffer_;
};

}  // namespace cpglake::storage
