// ScanStream: turns the push-style Scan::Execute into pull-style iteration (an SQLite
// cursor, a BatchSource for a writer). A producer thread runs the scan and hands batches over
// through a queue of at most two; the consumer takes them with Next(). Destroying the stream early
// (a LIMIT, a failed statement) stops the scan at its next batch and joins the thread, so nothing
// is read beyond what the query asked for plus the read-ahead.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "columnar/record_batch.h"
#include "delta/scan.h"

namespace cpglake::delta {

class ScanStream {
 public:
  explicit ScanStream(Scan scan);
  ~ScanStream();
  ScanStream(const ScanStream&) = delete;
  ScanStream& operator=(const ScanStream&) = delete;

  // The next batch, nullopt at the end; rethrows the scan's error (once, in order).
  std::optional<columnar::RecordBatch> Next();
  // Stops the scan (if still running), waits for the producer and returns the scan's
  // metrics: complete when Next() had returned nullopt, those of the part read otherwise.
  // Idempotent; the destructor calls it.
  ScanMetrics Stop();

 private:
  void Run();

  Scan scan_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<columnar::RecordBatch> queue_;
  bool done_ = false;
  bool cancelled_ = false;
  std::exception_ptr error_;
  ScanMetrics metrics_;
  std::thread thread_;
};

}  // namespace cpglake::delta
