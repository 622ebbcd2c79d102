// Leveled logging to stderr (the CLI's --verbose / --quiet). Library code never writes to stdout;
// results go back to the caller, diagnostics come through here.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace robustlab {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kSilent = 4 };

/// Messages below `level` are dropped. Default: kInfo.
void set_log_level(LogLevel level);
LogLevel log_level();

/// Writes one line "robustlab: <level>: <message>" to stderr if `level` is enabled. Thread-safe.
void log_message(LogLevel level, std::string_view message);

namespace detail {
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}
}  // namespace detail

template <typename... Args>
void log_debug(const Args&... args) {
  if (log_level() <= LogLevel::kDebug) log_message(LogLevel::kDebug, detail::concat(args...));
}
template <typename... Args>
void log_info(const Args&... args) {
  if (log_level() <= LogLevel::kInfo) log_message(LogLevel::kInfo, detail::concat(args...));
}
template <typename... Args>
void log_warning(const Args&... args) {
  if (log_level() <= LogLevel::kWarning) log_message(LogLevel::kWarning, detail::concat(args...));
}

}  // namespace robustlab
