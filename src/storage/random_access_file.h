// storage/ — the object-store layer: every byte cpglake reads or writes goes through it.
// This header holds the read side used by the Parquet reader: a file of known size that
// can be read at any offset. Implementations: a local file (pread) and an in-memory buffer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace cpglake::storage {

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  virtual int64_t Size() const = 0;
  // Reads exactly `n` bytes at `offset` into `out`. Reading past the end is an error
  // (CorruptData naming the file: a length inside the data lied); I/O failure is IoError.
  // Safe to call from several threads at once.
  virtual void ReadAt(int64_t offset, int64_t n, uint8_t* out) const = 0;
  // Name used in error messages (the path).
  virtual const std::string& name() const = 0;
};

// Opens a local file for reading; NotFound / IoError on failure.
std::shared_ptr<RandomAccessFile> OpenLocalFile(const std::string& path);
// A file over bytes held in memory (tests, fuzzing, small objects).
std::shared_ptr<RandomAccessFile> MakeBufferFile(std::string bytes, std::string name = "<memory>");

}  // namespace cpglake::storage
