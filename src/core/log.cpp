// Leveled logging to stderr; one mutex keeps lines from different threads whole.
#include "robustlab/core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace robustlab {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::mutex g_mutex;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    default: return "error";
  }
}
}  // namespace

void set_log_level(LogLevel level) { g_level = level; }
LogLevel log_level() { return g_level; }

void log_message(LogLevel level, std::string_view message) {
  if (level < g_level.load()) return;
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "robustlab: %s: %.*s\n", level_name(level), static_cast<int>(message.size()),
               message.data());
}

}  // namespace robustlab
