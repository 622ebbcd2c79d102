// Fuzz target: the .npy reader (data/npy.h), as floats and as 8-bit images (CIFAR-10-C's arrays).
#include "fuzz_support.h"
#include "robustlab/data/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = robustlab::fuzz::write_input(data, size, "input.npy");
  robustlab::fuzz::expect_clean_rejection([&] { robustlab::read_npy(path); });
  robustlab::fuzz::expect_clean_rejection([&] { robustlab::read_npy_u8(path); });
  return 0;
}
