// Progress bars on a terminal: one line per stage — stage name, a bar, done/total, the rate
// (files/s, tables/s, MB/s) and the time left — redrawn in place at most every
// `min_interval` seconds (10 times a second by default), and finished with the stage's total
// time when it completes. Nothing is printed when the reporter is disabled (the output is not
// a terminal, or the user asked for --quiet or --json): callers decide, e.g.
// `enabled = !quiet && !json && isatty(fileno(stderr))`.
//
// Update may be called from any thread; calls of one stage may arrive out of order (a
// worker's "41 done" after another's "42 done"): the count never goes backwards, and a
// stage that has finished ignores late updates. A call for another stage finishes the current
// line first. The output stream and the clock are injectable, so the drawing is testable
// without a terminal.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace cpglake {

struct ProgressOptions {
  std::FILE* out = stderr;
  bool enabled = true;
  int bar_width = 24;
  double min_interval = 0.1;  // seconds between redraws
  // Seconds on a monotonic clock; default: std::chrono::steady_clock.
  std::function<double()> clock;
  // The unit each stage counts ("files" when not listed). "bytes" is shown as kB/MB/GB.
  std::map<std::string, std::string, std::less<>> units;
};

// One stage's state, as drawn.
struct ProgressState {
  std::string stage;
  std::string unit = "files";
  int64_t done = 0;
  int64_t total = 0;      // <= 0: unknown (no bar, no ETA)
  double elapsed = 0;     // seconds since the stage began
  bool finished = false;  // done == total > 0, or Finish()
};

class ProgressReporter {
 public:
  explicit ProgressReporter(ProgressOptions options = {});
  ~ProgressReporter();  // finishes the current line
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // Thread-safe. done == total (> 0) finishes the stage.
  void Update(std::string_view stage, int64_t done, int64_t total);
  // Finishes the current stage's line (drawn once more, then a newline). Thread-safe.
  void Finish();

  // A callback for BuildOptions::progress and the like.
  std::function<void(const std::string&, int64_t, int64_t)> Callback();

  // The text of one line (no carriage return or newline).
  static std::string FormatLine(const ProgressState& state, int bar_width);

 private:
  void DrawLocked(bool final_draw);
  void FinishLocked();

  ProgressOptions options_;
  std::mutex mu_;
  ProgressState state_;
  bool active_ = false;  // a stage's line is on the screen, unfinished
  double stage_start_ = 0;
  double last_draw_ = -1;
  std::map<std::string, bool, std::less<>> finished_stages_;
};

// "850 files/s", "12.3k files/s", "1.2M files/s"; unit "bytes": "512 B/s", "3.4 MB/s".
// Empty when the rate is not known (not finite or negative).
std::string FormatRate(double per_second, std::string_view unit);
// A count in its unit: "1234" (files), "12.3 MB" (bytes).
std::string FormatCount(int64_t n, std::string_view unit);
// Durations as a clock: "0:07", "1:05", "1:02:03"; "--:--" when unknown.
std::string FormatClock(double seconds);

}  // namespace cpglake
