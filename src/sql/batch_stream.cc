#include "sql/batch_stream.h"

namespace cpglake::sql {
namespace {
struct Cancelled {};
}  // namespace

BatchStream::BatchStream(delta::Scan scan) : scan_(std::move(scan)) {
  thread_ = std::thread([this] { Run(); });
}

BatchStream::~BatchStream() {
  Stop();
}

delta::ScanMetrics BatchStream::Stop() {
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  return metrics_;
}

void BatchStream::Run() {
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

std::optional<columnar::RecordBatch> BatchStream::Next() {
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

}  // namespace cpglake::sql
