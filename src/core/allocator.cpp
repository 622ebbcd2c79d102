// See allocator.h: glibc mallopt(3) settings, M_MMAP_THRESHOLD and M_TRIM_THRESHOLD.
#include "robustlab/core/allocator.h"

#include <malloc.h>

namespace robustlab {

void keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThreshold));
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace robustlab
