// Fuzz target: the body of the web experiment's POST /api/answer (psychophysics/web_experiment.h).
// Every body is accepted or refused; an accepted one is within the ranges the store relies on.
#include <cmath>
#include <cstdlib>
#include <string>

#include "robustlab/psychophysics/web_experiment.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto answer = robustlab::psychophysics::parse_answer(std::string(reinterpret_cast<const char*>(data), size));
  if (answer && ((answer->choice != 0 && answer->choice != 1) || answer->confidence < 1 || answer->confidence > 3 ||
                 !std::isfinite(answer->rt_ms) || answer->rt_ms < 0))
    std::abort();
  return 0;
}
