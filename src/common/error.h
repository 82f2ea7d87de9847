// common/ — the bottom layer: errors, hashing, threading, progress, logging.
// It depends on nothing else in cpglake.
//
// One error model for the whole library: every failure is a `cpglake::Error`
// carrying a category. Modules throw the subclass for their category; only the
// edges (CLI, SQLite callbacks, tree-sitter callbacks) catch and convert.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace cpglake {

enum class ErrorCategory {
  kInvalidInput,    // the caller passed something wrong (bad argument, bad SQL, bad schema)
  kIo,              // the operating system or storage failed
  kNotFound,        // a file, table, version or column that does not exist
  kCorruptData,     // input bytes that violate their format (Parquet, Delta log, ...)
  kUnsupported,     // a valid input that uses a feature cpglake does not implement
  kCommitConflict,  // a concurrent writer won and the transaction cannot be retried
  kInternal,        // a broken invariant of our own: a bug
};

std::string_view CategoryName(ErrorCategory c);

// Exit code the CLI uses for each category (documented in `cpglake --help`).
int ExitCodeFor(ErrorCategory c);

class Error : public std::runtime_error {
 public:
  Error(ErrorCategory category, const std::string& message)
      : std::runtime_error(message), category_(category) {}
  ErrorCategory category() const noexcept { return category_; }

 private:
  ErrorCategory category_;
};

#define CPGLAKE_DEFINE_ERROR(Name, Cat)                                \
  class Name : public Error {                                          \
   public:                                                             \
    explicit Name(const std::string& message) : Error(Cat, message) {} \
  };

CPGLAKE_DEFINE_ERROR(InvalidInput, ErrorCategory::kInvalidInput)
CPGLAKE_DEFINE_ERROR(IoError, ErrorCategory::kIo)
CPGLAKE_DEFINE_ERROR(NotFound, ErrorCategory::kNotFound)
CPGLAKE_DEFINE_ERROR(CorruptData, ErrorCategory::kCorruptData)
CPGLAKE_DEFINE_ERROR(Unsupported, ErrorCategory::kUnsupported)
CPGLAKE_DEFINE_ERROR(CommitConflict, ErrorCategory::kCommitConflict)
CPGLAKE_DEFINE_ERROR(InternalError, ErrorCategory::kInternal)

#undef CPGLAKE_DEFINE_ERROR

// Invariant check for our own code; failure is a bug (InternalError), never bad input.
[[noreturn]] void FailCheck(const char* expr, const char* file, int line, const std::string& msg);

#define CPGLAKE_CHECK(cond, msg)                                       \
  do {                                                                 \
    if (!(cond)) ::cpglake::FailCheck(#cond, __FILE__, __LINE__, msg); \
  } while (0)

}  // namespace cpglake
