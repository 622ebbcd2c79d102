// Fuzz target: image decoding through the image-folder reader (data/image_folder.h): the input is
// the one image of a one-class folder, read, resized, cropped and converted as `--dataset DIR` does.
#include "fuzz_support.h"
#include "robustlab/data/image_folder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The extension chooses nothing (OpenCV decodes by content); .png is one robustlab lists.
  const auto path = robustlab::fuzz::write_input(data, size, "images/class/input.png");
  robustlab::fuzz::expect_clean_rejection([&] {
    const robustlab::ImageFolder folder(path.parent_path().parent_path(), {.resize = 32, .crop = 24, .grayscale = false});
    folder.get(0);
  });
  return 0;
}
