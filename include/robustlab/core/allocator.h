// Process-wide memory-allocator settings for tensor workloads.
//
// glibc serves every allocation above a (dynamic) threshold with a fresh mmap and returns it to
// the kernel on free, and trims the heap top above 128 KiB. A LibTorch forward and backward pass
// at batch 200 allocates and frees tens of megabytes per call, so every step page-faults its
// buffers in again: on the FMN reference CNN a fifth of the time went to the kernel
// (docs/performance.md, "Allocator"). Keeping freed memory in the heap removes that cost.
#pragma once

#include <cstddef>

namespace robustlab {

/// The mmap threshold set by keep_freed_memory(): glibc's largest allowed value (32 MiB).
inline constexpr std::size_t kMmapThreshold = std::size_t{32} << 20;

/// Serves allocations up to kMmapThreshold from the heap and keeps up to 1 GiB of freed memory
/// there instead of returning it to the kernel after each call. Idempotent; the CLI and the
/// benchmarks call it at start. Resident memory then stays near its peak between calls.
void keep_freed_memory();

}  // namespace robustlab
