// The bounded pipeline between the CPU and the device: batches are made (decoded, corrupted,
// stacked) on a worker thread, up to `depth` ahead of the consumer, and handed over in order, so
// that an accelerator does not wait for one CPU thread between batches.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "robustlab/data/dataset.h"

namespace robustlab {

class BatchPrefetcher {
 public:
  /// Batches 0..count-1 from make(k). depth 0 makes each batch in next(), on the caller's thread.
  BatchPrefetcher(int64_t count, std::function<Batch(int64_t)> make, int64_t depth);
  /// Stops the worker (after the batch it is making) and waits for it.
  ~BatchPrefetcher();
  BatchPrefetcher(const BatchPrefetcher&) = delete;
  BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

  /// The next batch in order; rethrows what make threw for it. Throws InvalidArgument past the end.
  Batch next();
  int64_t count() const { return count_; }

 private:
  void work();

  int64_t count_;
  std::function<Batch(int64_t)> make_;
  int64_t depth_;
  int64_t taken_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> ready_;
  std::exception_ptr error_;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace robustlab
