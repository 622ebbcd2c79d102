// Fuzz target: the object-tracking annotation reader (objects/mot.h): the benchmark's JSON of
// videos, frames and RLE masks, decoded and scored against itself as `robustlab objects eval` does.
#include <nlohmann/json.hpp>

#include "fuzz_support.h"
#include "robustlab/objects/mot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace obj = robustlab::objects;
  const nlohmann::json json = nlohmann::json::parse(data, data + size, nullptr, false);
  if (json.is_discarded()) return 0;  // the CLI rejects text that is not JSON before this reader
  robustlab::fuzz::expect_clean_rejection([&] {
    const std::vector<obj::Video> videos = obj::videos_from_json(json);
    for (const auto& video : videos)
      for (const auto& frame : video)
        for (const auto& mask : frame.masks) obj::rle_decode(mask, 8, 8);
    obj::EvalOptions options;
    options.image_size = 8;
    options.start_frame = 0;
    obj::evaluate_mot(videos, videos, options);
  });
  return 0;
}
