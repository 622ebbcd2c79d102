// Fuzz target: the model-vs-human raw-data CSV reader (human/trials.h) and the category table.
#include <string_view>

#include "fuzz_support.h"
#include "robustlab/human/decisions.h"
#include "robustlab/human/trials.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = robustlab::fuzz::write_input(data, size, "cue-conflict_subject-01_session_1.csv");
  robustlab::fuzz::expect_clean_rejection([&] { robustlab::human::read_raw_csv(path); });
  robustlab::fuzz::expect_clean_rejection([&] {
    robustlab::human::parse_categories(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  });
  return 0;
}
