// Thread-count control for robustlab, LibTorch and OpenCV, and a simple parallel loop.
#include "robustlab/core/parallel.h"

#include <ATen/Parallel.h>
#include <opencv2/core/utility.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "robustlab/core/error.h"

namespace robustlab {
namespace {
std::atomic<int> g_threads{std::max(1, static_cast<int>(std::thread::hardware_concurrency()))};
}

void set_threads(int n) {
  if (n < 1) {
    throw InvalidArgument("set_threads: thread count must be at least 1, got " + std::to_string(n));
  }
  g_threads = n;
  at::set_num_threads(n);
  cv::setNumThreads(n);
}

int threads() { return g_threads; }

void parallel_for(int64_t n, const std::function<void(int64_t)>& fn) {
  if (n <= 0) return;
  const int64_t workers = std::min<int64_t>(threads(), n);
  if (workers == 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    for (int64_t i = next++; i < n && !failed; i = next++) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(workers - 1));
  for (int64_t w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace robustlab
