// torch.save'd {"x", "y"} dictionaries read through LibTorch's pickle loader.
#include "robustlab/data/tensor_file.h"

#include <torch/script.h>
#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"
#include "robustlab/data/npy.h"
#include "robustlab/data/zip_records.h"

namespace robustlab {

namespace {

c10::IValue unpickle(const std::filesystem::path& path, const char* what) {
  check_zip_records(path, what, "not a torch.save file");
  const std::string bytes = read_file(path);
  try {
    return torch::jit::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const std::exception& e) {
    throw FormatError(std::string(what) + ": file '" + path.string() + "' is not a torch.save file (" +
                      first_line(e.what()) + ")");
  }
}

}  // namespace

torch::Tensor load_array(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".npy") return read_npy(path);
  if (ext != ".pt" && ext != ".pth") {
    throw FormatError("load_array: '" + path.string() + "' is neither .npy nor a torch.save'd .pt/.pth tensor");
  }
  require_file(path, "load_array");
  const c10::IValue value = unpickle(path, "load_array");
  if (!value.isTensor()) throw FormatError("load_array: '" + path.string() + "' does not hold a single tensor");
  return value.toTensor().contiguous();
}

std::shared_ptr<TensorDataset> load_tensor_file(const std::filesystem::path& path, int64_t num_classes) {
  const c10::IValue value = unpickle(path, "load_tensor_file");
  if (!value.isGenericDict()) {
    throw FormatError("load_tensor_file: file '" + path.string() + "' must hold a dict with 'x' and 'y'");
  }
  auto dict = value.toGenericDict();
  auto fetch = [&](const char* key) {
    if (!dict.contains(key) || !dict.at(key).isTensor()) {
      throw FormatError("load_tensor_file: file '" + path.string() + "' has no tensor '" + key + "'");
    }
    return dict.at(key).toTensor();
  };
  torch::Tensor x = fetch("x");
  torch::Tensor y = fetch("y");
  if (y.dim() != 1 || y.is_floating_point()) {
    throw FormatError("load_tensor_file: 'y' in '" + path.string() + "' must be 1-D integer labels, got " +
                      c10::str(y.sizes()) + " " + std::string(c10::toString(y.scalar_type())));
  }
  constexpr int64_t kMostClasses = 1 << 20;
  if (y.numel() > 0 && (y.min().item<int64_t>() < 0 || y.max().item<int64_t>() >= kMostClasses))
    throw FormatError("load_tensor_file: the labels in '" + path.string() + "' must lie in [0, " +
                      std::to_string(kMostClasses) + "), got [" + std::to_string(y.min().item<int64_t>()) + ", " +
                      std::to_string(y.max().item<int64_t>()) + "]");
  if (num_classes <= 0) num_classes = y.numel() > 0 ? y.max().item<int64_t>() + 1 : 0;
  std::vector<std::string> names;
  for (int64_t c = 0; c < num_classes; ++c) names.push_back(std::to_string(c));
  return std::make_shared<TensorDataset>(x.contiguous(), y, std::move(names), path.string());
}

}  // namespace robustlab
