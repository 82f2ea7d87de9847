#include "common/error.h"

namespace cpglake {

std::string_view CategoryName(ErrorCategory c) {
  switch (c) {
    case ErrorCategory::kInvalidInput:
      return "invalid input";
    case ErrorCategory::kIo:
      return "I/O error";
    case ErrorCategory::kNotFound:
      return "not found";
    case ErrorCategory::kCorruptData:
      return "corrupt data";
    case ErrorCategory::kUnsupported:
      return "unsupported";
    case ErrorCategory::kCommitConflict:
      return "commit conflict";
    case ErrorCategory::kInternal:
      return "internal error";
  }
  return "error";
}

int ExitCodeFor(ErrorCategory c) {
  switch (c) {
    case ErrorCategory::kInvalidInput:
      return 2;
    case ErrorCategory::kIo:
      return 3;
    case ErrorCategory::kNotFound:
      return 4;
    case ErrorCategory::kCorruptData:
      return 5;
    case ErrorCategory::kUnsupported:
      return 6;
    case ErrorCategory::kCommitConflict:
      return 7;
    case ErrorCategory::kInternal:
      return 70;
  }
  return 1;
}

void FailCheck(const char* expr, const char* file, int line, const std::string& msg) {
  throw InternalError(std::string("internal check failed: ") + expr + " at " + file + ":" +
                      std::to_string(line) + (msg.empty() ? "" : ": " + msg));
}

}  // namespace cpglake
