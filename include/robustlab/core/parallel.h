// Thread-count control (the CLI's --threads) and a parallel loop for work LibTorch does not
// parallelise itself, such as decoding a batch of images.
#pragma once

#include <cstdint>
#include <functional>

namespace robustlab {

/// Sets the number of threads used by robustlab, LibTorch (intra-op) and OpenCV.
/// `n` must be >= 1; throws InvalidArgument otherwise.
void set_threads(int n);
/// The current thread count (default: the number of cores).
int threads();

/// Calls fn(i) for i in [0, n) on up to threads() threads. The first exception thrown by any call
/// is rethrown after all threads stop; remaining items are then skipped.
void parallel_for(int64_t n, const std::function<void(int64_t)>& fn);

}  // namespace robustlab
