// TorchScript models written in C++ for tests (no Python needed to make them).
#pragma once

#include <torch/script.h>

#include <filesystem>

namespace robustlab::testing {

/// A 1000-class ImageNet-style model: bright images are airplanes (index 404), dark ones knives
/// (index 499). Saved to `path`, which is returned.
inline std::filesystem::path save_brightness_model(const std::filesystem::path& path) {
  torch::jit::Module m("Brightness");
  m.define(R"(
    def forward(self, x):
        b = x.mean(dim=[1, 2, 3])
        logits = torch.zeros(x.size(0), 1000)
        logits[:, 404] = 20.0 * b
        logits[:, 499] = 20.0 * (1.0 - b)
        return logits
  )");
  m.save(path.string());
  return path;
}

}  // namespace robustlab::testing
