// Progress bar on stderr; enabled only for an interactive terminal and log level info or below.
#include "robustlab/core/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <sstream>

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"

namespace robustlab {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>((s % 3600) / 60));
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  }
  return buf;
}

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_),
      enabled_(isatty(STDERR_FILENO) == 1 && log_level() <= LogLevel::kInfo) {}

Progress::~Progress() { finish(); }

double Progress::rate() const {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
}

std::string Progress::line() const {
  std::ostringstream out;
  const int64_t done = done_;
  const double r = rate();
  out << label_ << "  " << done;
  if (total_ > 0) {
    out << "/" << total_ << "  " << (100 * done / total_) << "%";
  }
  char rate_buf[32];
  std::snprintf(rate_buf, sizeof rate_buf, "%.1f", r);
  out << "  " << rate_buf << " it/s";
  if (total_ > 0 && r > 0 && done < total_) {
    out << "  ETA " << format_duration(static_cast<double>(total_ - done) / r);
  }
  return out.str();
}

void Progress::advance(int64_t n) {
  done_ += n;
  throw_if_interrupted();
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(false);
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (enabled_) draw(true);
}

void Progress::draw(bool final) {
  std::fprintf(stderr, "\r\033[K%s%s", line().c_str(), final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace robustlab
