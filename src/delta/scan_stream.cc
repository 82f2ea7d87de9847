#include "delta/scan_stream.h"

namespace cpglake::delta {
namespace {
struct Cancelled {};
}  // namespace

ScanStream::ScanStream(Scan scan) : scan_(std::move(scan)) {
  thread_ = std::thread([this] { Run(); });
}

ScanStream::~ScanStream() {
  Stop();
}

ScanMetrics ScanStream::Stop() {
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  return metrics_;
}

void ScanStream::Run() {
  std::exception_ptr error;
  try {
    scan_.Execute([this](const columnar::RecordBatch& batch) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return cancelled_ || queue_.size() < 2; });
      if (cancelled_) throw Cancelled{};
      queue_.push_back(batch);
      cv_.notify_all();
    });
  } catch (const Cancelled&) {
  } catch (...) {
    error = std::current_exception();
  }
  std::lock_guard lock(mu_);
  metrics_ = scan_.metrics();
  error_ = error;
  done_ = true;
  cv_.notify_all();
}

std::optional<columnar::RecordBatch> ScanStream::Next() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return !queue_.empty() || done_; });
  if (!queue_.empty()) {
    columnar::RecordBatch b = std::move(queue_.front());
    queue_.pop_front();
    cv_.notify_all();
    return b;
  }
  if (error_) {
    auto e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
  return std::nullopt;
}

}  // namespace cpglake::delta
