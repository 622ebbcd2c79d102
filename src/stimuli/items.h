// The stimulus writers' loop: every item (an image, or an image pair) is made from its own random
// stream and written on its own, so items run in parallel on robustlab's threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>

#include "robustlab/core/parallel.h"

namespace robustlab::stimuli {

/// Calls write(i) for every i in [0, n) in parallel; write returns the number of files it wrote.
/// progress(done, n) is called after each item, one call at a time. Returns the files written.
inline int64_t write_items(int64_t n, const std::function<int64_t(int64_t)>& write,
                           const std::function<void(int64_t, int64_t)>& progress) {
  std::atomic<int64_t> written{0};
  std::mutex mutex;
  int64_t done = 0;
  parallel_for(n, [&](int64_t i) {
    written += write(i);
    if (!progress) return;
    const std::lock_guard<std::mutex> lock(mutex);
    progress(++done, n);
  });
  return written;
}

}  // namespace robustlab::stimuli
