// Fuzz target: the flag values the CLI parses itself — lists of corruptions and severity ranges
// (corruptions/corruptions.h), devices and ImageNet subsets.
#include <string>

#include "fuzz_support.h"
#include "robustlab/corruptions/corruptions.h"
#include "robustlab/evaluation/subsets.h"
#include "robustlab/models/device.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  using robustlab::fuzz::expect_clean_rejection;
  expect_clean_rejection([&] { robustlab::corruptions::parse_names(text); });
  expect_clean_rejection([&] {
    for (int s : robustlab::corruptions::parse_severities(text))
      if (s < 1 || s > 5) std::abort();  // a parsed severity is one the corruptions have
  });
  expect_clean_rejection([&] { robustlab::parse_device(text); });
  expect_clean_rejection([&] { robustlab::evaluation::parse_subset(text); });
  return 0;
}
