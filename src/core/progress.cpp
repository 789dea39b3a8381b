#include "core/progress.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/log.h"

namespace axnn {
namespace {

double g_log_interval_s = 10.0;
constexpr double kRedrawInterval_s = 0.1;
constexpr int kBarWidth = 30;

std::string format_seconds(double s) {
  int total = static_cast<int>(s + 0.5);
  return total >= 3600 ? fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60)
                       : fmt::format("{:02}:{:02}", total / 60, total % 60);
}

}  // namespace

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)),
      total_(std::max<int64_t>(total, 1)),
      tty_(stderr_is_terminal() && spdlog::default_logger()->level() <= spdlog::level::info),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::set_log_interval(double seconds) { g_log_interval_s = seconds; }

void Progress::advance(int64_t n, const std::string& status) {
  done_ = std::min(done_ + n, total_);
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_draw_).count();
  if (since >= (tty_ ? kRedrawInterval_s : g_log_interval_s)) {
    last_draw_ = now;
    draw(status, false);
  }
}

void Progress::finish(const std::string& status) {
  if (finished_) return;
  finished_ = true;
  draw(status, true);
}

void Progress::draw(const std::string& status, bool final) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double frac = static_cast<double>(done_) / static_cast<double>(total_);
  double eta = done_ > 0 ? elapsed * (1.0 - frac) / frac : 0.0;
  std::string tail = fmt::format("{}/{} [{}<{}]{}{}", done_, total_, format_seconds(elapsed), format_seconds(eta),
                                 status.empty() ? "" : " ", status);
  if (!tty_) {
    spdlog::info("{}: {:3.0f}% {}", label_, 100.0 * frac, tail);
    return;
  }
  int filled = static_cast<int>(frac * kBarWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kBarWidth, '-');
  std::fprintf(stderr, "\r\033[K%s |%s| %3.0f%% %s%s", label_.c_str(), bar.c_str(), 100.0 * frac, tail.c_str(),
               final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace axnn
