// See prefetch.h.
#include "robustlab/data/prefetch.h"

#include "robustlab/core/error.h"

namespace robustlab {

BatchPrefetcher::BatchPrefetcher(int64_t count, std::function<Batch(int64_t)> make, int64_t depth)
    : count_(count), make_(std::move(make)), depth_(depth) {
  if (count < 0 || depth < 0) throw InvalidArgument("BatchPrefetcher: count and depth must be >= 0");
  if (depth_ > 0 && count_ > 0) worker_ = std::thread([this] { work(); });
}

BatchPrefetcher::~BatchPrefetcher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void BatchPrefetcher::work() {
  for (int64_t k = 0; k < count_; ++k) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || static_cast<int64_t>(ready_.size()) < depth_; });
      if (stop_) return;
    }
    try {
      Batch batch = make_(k);
      std::lock_guard lock(mutex_);
      ready_.push_back(std::move(batch));
    } catch (...) {
      std::lock_guard lock(mutex_);
      error_ = std::current_exception();
      changed_.notify_all();
      return;
    }
    changed_.notify_all();
  }
}

Batch BatchPrefetcher::next() {
  if (taken_ >= count_) throw InvalidArgument("BatchPrefetcher: all " + std::to_string(count_) + " batches were taken");
  ++taken_;
  if (depth_ == 0) return make_(taken_ - 1);
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !ready_.empty() || error_; });
  if (ready_.empty()) std::rethrow_exception(error_);
  Batch batch = std::move(ready_.front());
  ready_.pop_front();
  lock.unlock();
  changed_.notify_all();
  return batch;
}

}  // namespace robustlab
