#include "common/progress.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

namespace cpglake {

namespace {

bool IsBytes(std::string_view unit) {
  return unit == "bytes";
}

// 1234 → "1234", 12345 → "12.3k", 1234567 → "1.23M".
std::string Scaled(double v) {
  if (v < 1000) return fmt::format("{:.0f}", v);
  if (v < 10e3) return fmt::format("{:.2f}k", v / 1e3);
  if (v < 1e6) return fmt::format("{:.1f}k", v / 1e3);
  if (v < 10e6) return fmt::format("{:.2f}M", v / 1e6);
  if (v < 1e9) return fmt::format("{:.1f}M", v / 1e6);
  return fmt::format("{:.2f}G", v / 1e9);
}

std::string ScaledBytes(double v) {
  if (v < 1e3) return fmt::format("{:.0f} B", v);
  if (v < 1e6) return fmt::format("{:.1f} kB", v / 1e3);
  if (v < 1e9) return fmt::format("{:.1f} MB", v / 1e6);
  return fmt::format("{:.2f} GB", v / 1e9);
}

}  // namespace

std::string FormatRate(double per_second, std::string_view unit) {
  if (!std::isfinite(per_second) || per_second < 0) return "";
  if (IsBytes(unit)) return ScaledBytes(per_second) + "/s";
  return Scaled(per_second) + " " + std::string(unit) + "/s";
}

std::string FormatCount(int64_t n, std::string_view unit) {
  if (IsBytes(unit)) return ScaledBytes(static_cast<double>(n));
  return std::to_string(n);
}

std::string FormatClock(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string ProgressReporter::FormatLine(const ProgressState& st, int bar_width) {
  std::string line = fmt::format("{:<8}", st.stage);
  const bool known = st.total > 0;
  const double rate = st.elapsed > 1e-3 ? static_cast<double>(st.done) / st.elapsed : NAN;
  if (known) {
    const int64_t done = std::min(st.done, st.total);
    const int filled = static_cast<int>(static_cast<double>(bar_width) * static_cast<double>(done) /
                                        static_cast<double>(st.total));
    line += " [" + std::string(static_cast<size_t>(filled), '#') +
            std::string(static_cast<size_t>(bar_width - filled), '.') + "]";
    if (IsBytes(st.unit)) {
      line += " " + FormatCount(st.done, st.unit) + " / " + FormatCount(st.total, st.unit);
    } else {
      line += fmt::format(" {}/{} {}", st.done, st.total, st.unit);
    }
  } else {
    line += " " + FormatCount(st.done, st.unit) + (IsBytes(st.unit) ? "" : " " + st.unit);
  }
  const std::string rate_text = st.done > 0 ? FormatRate(rate, st.unit) : "";
  if (!rate_text.empty()) line += "  " + rate_text;
  if (st.finished) {
    line += "  in " + FormatClock(st.elapsed);
  } else if (known) {
    const double left = static_cast<double>(st.total - std::min(st.done, st.total));
    line +=
        "  ETA " + FormatClock(st.done > 0 && std::isfinite(rate) && rate > 0 ? left / rate : NAN);
  } else {
    line += "  " + FormatClock(st.elapsed);
  }
  return line;
}

ProgressReporter::ProgressReporter(ProgressOptions options) : options_(std::move(options)) {
  if (!options_.clock) {
    options_.clock = [] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
}

ProgressReporter::~ProgressReporter() {
  Finish();
}

void ProgressReporter::Update(std::string_view stage, int64_t done, int64_t total) {
  if (!options_.enabled || !options_.out) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_stages_.count(stage)) return;
  const double now = options_.clock();
  if (active_ && state_.stage != stage) FinishLocked();
  if (!active_) {
    state_ = ProgressState{};
    state_.stage = std::string(stage);
    auto unit = options_.units.find(stage);
    if (unit != options_.units.end()) state_.unit = unit->second;
    stage_start_ = now;
    last_draw_ = -1;
    active_ = true;
  }
  state_.done = std::max(state_.done, done);
  state_.total = total;
  state_.elapsed = now - stage_start_;
  if (total > 0 && state_.done >= total) {
    FinishLocked();
  } else if (last_draw_ < 0 || now - last_draw_ >= options_.min_interval) {
    last_draw_ = now;
    DrawLocked(false);
  }
}

void ProgressReporter::Finish() {
  if (!options_.enabled || !options_.out) return;
  std::lock_guard<std::mutex> lock(mu_);
  FinishLocked();
}

std::function<void(const std::string&, int64_t, int64_t)> ProgressReporter::Callback() {
  return
      [this](const std::string& stage, int64_t done, int64_t total) { Update(stage, done, total); };
}

void ProgressReporter::DrawLocked(bool final_draw) {
  // \r: back to the line's start; ESC [K: clear what a longer previous line left behind.
  std::fprintf(options_.out, "\r%s\x1b[K%s", FormatLine(state_, options_.bar_width).c_str(),
               final_draw ? "\n" : "");
  std::fflush(options_.out);
}

void ProgressReporter::FinishLocked() {
  if (!active_) return;
  state_.elapsed = options_.clock() - stage_start_;
  state_.finished = true;
  DrawLocked(true);
  active_ = false;
  finished_stages_[state_.stage] = true;
}

}  // namespace cpglake
