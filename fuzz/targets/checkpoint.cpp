// Fuzz target: checkpoint headers — a robustlab model checkpoint's metadata and a training
// checkpoint's options (models/load.h, models/training_checkpoint.h), both TorchScript-format zips.
#include "fuzz_support.h"
#include "robustlab/models/load.h"
#include "robustlab/models/training_checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = robustlab::fuzz::write_input(data, size, "input.ckpt");
  robustlab::fuzz::expect_clean_rejection([&] { robustlab::read_checkpoint_metadata(path); });
  robustlab::fuzz::expect_clean_rejection([&] { robustlab::training_checkpoint_options(path, "slowvae"); });
  return 0;
}
