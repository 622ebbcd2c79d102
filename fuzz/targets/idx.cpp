// Fuzz target: the IDX reader (MNIST and Fashion-MNIST files, data/idx.h).
#include "fuzz_support.h"
#include "robustlab/data/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = robustlab::fuzz::write_input(data, size, "input-idx3-ubyte");
  robustlab::fuzz::expect_clean_rejection([&] { robustlab::load_idx(path); });
  return 0;
}
