// Progress bars without a terminal: the text of a line (rate, ETA, units), and the drawing
// (throttling, stage changes, out-of-order updates, nothing when disabled) through a
// temporary FILE* and an injected clock.
#include "common/progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace cpglake {
namespace {

TEST(ProgressFormatTest, RatesCountsAndClocks) {
  EXPECT_EQ(FormatRate(850, "files"), "850 files/s");
  EXPECT_EQ(FormatRate(1234.5, "files"), "1.23k files/s");
  EXPECT_EQ(FormatRate(12345, "files"), "12.3k files/s");
  EXPECT_EQ(FormatRate(2.5e6, "files"), "2.50M files/s");
  EXPECT_EQ(FormatRate(3.4e6, "bytes"), "3.4 MB/s");
  EXPECT_EQ(FormatRate(512, "bytes"), "512 B/s");
  EXPECT_EQ(FormatRate(-1, "files"), "");
  EXPECT_EQ(FormatCount(1234, "files"), "1234");
  EXPECT_EQ(FormatCount(12'300'000, "bytes"), "12.3 MB");
  EXPECT_EQ(FormatClock(7), "0:07");
  EXPECT_EQ(FormatClock(65), "1:05");
  EXPECT_EQ(FormatClock(3723), "1:02:03");
  EXPECT_EQ(FormatClock(-1), "--:--");
  EXPECT_EQ(FormatClock(1.0 / 0.0), "--:--");
}

TEST(ProgressFormatTest, LineWithBarRateAndEta) {
  ProgressState s;
  s.stage = "extract";
  s.done = 250;
  s.total = 1000;
  s.elapsed = 2.5;  // 100 files/s → 750 left = 7.5 s
  EXPECT_EQ(ProgressReporter::FormatLine(s, 8),
            "extract  [##......] 250/1000 files  100 files/s  ETA 0:08");
  s.done = 1000;
  s.elapsed = 10;
  s.finished = true;
  EXPECT_EQ(ProgressReporter::FormatLine(s, 8),
            "extract  [########] 1000/1000 files  100 files/s  in 0:10");
  // Nothing done yet: no rate, ETA unknown.
  ProgressState start;
  start.stage = "resolve";
  start.total = 10;
  EXPECT_EQ(ProgressReporter::FormatLine(start, 4), "resolve  [....] 0/10 files  ETA --:--");
  // Unknown total: count and elapsed time, no bar.
  ProgressState scan;
  scan.stage = "scan";
  scan.elapsed = 3;
  EXPECT_EQ(ProgressReporter::FormatLine(scan, 4), "scan     0 files  0:03");
  // Bytes.
  ProgressState bytes;
  bytes.stage = "write";
  bytes.unit = "bytes";
  bytes.done = 5'000'000;
  bytes.total = 10'000'000;
  bytes.elapsed = 1;
  EXPECT_EQ(ProgressReporter::FormatLine(bytes, 4),
            "write    [##..] 5.0 MB / 10.0 MB  5.0 MB/s  ETA 0:01");
}

// A FILE* whose contents the test reads back, and a clock it moves by hand.
class Capture {
 public:
  Capture() : file_(std::tmpfile(), &std::fclose) {}
  std::FILE* file() const { return file_.get(); }
  std::string Text() const {
    std::fflush(file_.get());
    std::rewind(file_.get());
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_.get())) > 0) out.append(buf, n);
    return out;
  }
  // Lines as drawn: split at \r and \n, the clear-to-end sequence removed, empty ones dropped.
  std::vector<std::string> Draws() const {
    std::vector<std::string> out;
    std::string cur;
    const std::string text = Text();
    for (size_t i = 0; i < text.size(); ++i) {
      if (text.compare(i, 3, "\x1b[K") == 0) {
        i += 2;
      } else if (text[i] == '\r' || text[i] == '\n') {
        if (!cur.empty()) out.push_back(cur);
        cur.clear();
      } else {
        cur += text[i];
      }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
  }

 private:
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
};

TEST(ProgressReporterTest, ThrottlesRedrawsAndFinishesStages) {
  Capture cap;
  ASSERT_NE(cap.file(), nullptr);
  double now = 100;
  ProgressOptions o;
  o.out = cap.file();
  o.bar_width = 4;
  o.clock = [&] { return now; };
  o.units = {{"write", "tables"}};
  ProgressReporter p(o);
  p.Update("extract", 1, 4);  // first update: drawn
  now += 0.05;
  p.Update("extract", 2, 4);  // within 0.1 s: not drawn
  now += 0.1;
  p.Update("extract", 3, 4);  // drawn
  p.Update("extract", 2, 4);  // late, out of order: the count stays at 3
  now += 0.05;
  p.Update("extract", 4, 4);  // the end: drawn with a newline
  p.Update("extract", 3, 4);  // after the end: ignored
  p.Update("write", 0, 2);
  now += 1;
  p.Finish();  // an unfinished stage is finished as it stands
  const std::string text = cap.Text();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  const auto draws = cap.Draws();
  ASSERT_EQ(draws.size(), 5u) << text;
  EXPECT_EQ(draws[0], "extract  [#...] 1/4 files  ETA --:--");
  EXPECT_EQ(draws[1], "extract  [###.] 3/4 files  20 files/s  ETA 0:00");
  EXPECT_EQ(draws[2], "extract  [####] 4/4 files  20 files/s  in 0:00");
  EXPECT_EQ(draws[3], "write    [....] 0/2 tables  ETA --:--");
  EXPECT_EQ(draws[4], "write    [....] 0/2 tables  in 0:01");
}

TEST(ProgressReporterTest, DisabledPrintsNothing) {
  Capture cap;
  ProgressOptions o;
  o.out = cap.file();
  o.enabled = false;
  {
    ProgressReporter p(o);
    auto cb = p.Callback();
    cb("extract", 1, 2);
    cb("extract", 2, 2);
    p.Finish();
  }
  EXPECT_EQ(cap.Text(), "");
}

TEST(ProgressReporterTest, ManyThreadsEndWithOneFinishedLine) {
  Capture cap;
  ProgressOptions o;
  o.out = cap.file();
  o.min_interval = 0;  // draw every update
  ProgressReporter p(o);
  constexpr int kThreads = 4, kPerThread = 250;
  std::atomic<int64_t> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) p.Update("resolve", ++done, kThreads * kPerThread);
    });
  }
  for (auto& t : threads) t.join();
  p.Finish();
  const auto draws = cap.Draws();
  ASSERT_FALSE(draws.empty());
  EXPECT_EQ(draws.back().rfind("resolve  [", 0), 0u) << draws.back();
  EXPECT_NE(draws.back().find("1000/1000 files"), std::string::npos) << draws.back();
  const std::string text = cap.Text();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

}  // namespace
}  // namespace cpglake
