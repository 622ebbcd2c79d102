// Fuzz target: the .pt tensor file reader (data/tensor_file.h): arrays and (images, labels) files.
#include "fuzz_support.h"
#include "robustlab/data/tensor_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = robustlab::fuzz::write_input(data, size, "input.pt");
  robustlab::fuzz::expect_clean_rejection([&] { robustlab::load_array(path); });
  robustlab::fuzz::expect_clean_rejection([&] { robustlab::load_tensor_file(path); });
  return 0;
}
