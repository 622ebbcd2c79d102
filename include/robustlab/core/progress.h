// A progress bar on stderr for long loops: count, items/s and ETA. Silent when stderr is not a
// terminal or when logging is quieter than kInfo, so logs and CI output stay clean.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace robustlab {

class Progress {
 public:
  /// `total` <= 0 means unknown (no ETA is shown).
  Progress(std::string label, int64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Adds `n` finished items; redraws at most ten times a second. Thread-safe. Throws
  /// Interrupted when the user asked to stop, so every loop with a progress bar can be stopped.
  void advance(int64_t n = 1);
  /// Draws the final state and ends the line (also done by the destructor).
  void finish();

  int64_t done() const { return done_; }
  /// Items per second since construction.
  double rate() const;
  bool enabled() const { return enabled_; }

  /// One formatted status line, e.g. "train  1200/60000  2%  950.3 it/s  ETA 1m02s" (for tests).
  std::string line() const;

 private:
  void draw(bool final);

  std::string label_;
  int64_t total_;
  std::atomic<int64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex mutex_;
  bool enabled_;
  bool finished_ = false;
};

/// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace robustlab
