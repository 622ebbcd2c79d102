// Helpers for one-line error messages, and the interrupt flag long loops poll.
#include "robustlab/core/error.h"

#include <atomic>

namespace robustlab {
namespace {
std::atomic<bool> g_interrupted{false};
}

std::string first_line(const std::string& message) {
  const auto end = message.find('\n');
  return end == std::string::npos ? message : message.substr(0, end);
}

std::string torch_error_summary(const std::string& message) {
  if (message.find("TorchScript interpreter") == std::string::npos) return first_line(message);
  size_t end = message.find_last_not_of(" \n");
  if (end == std::string::npos) return message;
  const size_t begin = message.rfind('\n', end);
  return message.substr(begin == std::string::npos ? 0 : begin + 1, end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

void request_interrupt() noexcept { g_interrupted.store(true); }

void throw_if_interrupted() {
  // The request is consumed: after an interrupted call, a library user's next call runs.
  if (g_interrupted.exchange(false)) throw Interrupted();
}

}  // namespace robustlab
