#include "robustlab/core/allocator.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace robustlab {
namespace {

// Each CTest case is its own process, so this starts from glibc's defaults: a 20 MiB block would
// be mmapped (hblks + 1) and handed back to the kernel on free.
TEST(Allocator, LargeBlocksComeFromTheHeapAndStayThere) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's allocator replaces glibc's, whose behaviour this checks";
#endif
  keep_freed_memory();
  constexpr std::size_t kSize = std::size_t{20} << 20;
  const struct mallinfo2 before = mallinfo2();
  char* volatile block = static_cast<char*>(std::malloc(kSize));
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, kSize);
  EXPECT_EQ(mallinfo2().hblks, before.hblks) << "the block was mmapped";
  std::free(block);
  EXPECT_GE(mallinfo2().fordblks, kSize) << "the freed block was returned to the kernel";
}

}  // namespace
}  // namespace robustlab
