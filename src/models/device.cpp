// See device.h.
#include "robustlab/models/device.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <atomic>

#include "robustlab/core/error.h"

namespace robustlab {

namespace {
std::atomic<int> default_type{static_cast<int>(torch::kCPU)};
std::atomic<int> default_index{-1};
}  // namespace

torch::Device parse_device(const std::string& name) {
  const std::string usage = "unknown device '" + name + "'; use cpu, cuda or cuda:N";
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) != 0) throw InvalidArgument(usage);
  int index = 0;
  if (name != "cuda") {
    const std::string digits = name.substr(4);
    if (digits.size() < 2 || digits[0] != ':' || digits.size() > 4 ||
        digits.find_first_not_of("0123456789", 1) != std::string::npos)
      throw InvalidArgument(usage);
    index = std::stoi(digits.substr(1));
  }
  if (!torch::cuda::is_available())
    throw InvalidArgument("device '" + name + "': this LibTorch was built without CUDA or sees no GPU (build against "
                          "the CUDA LibTorch with -DCMAKE_PREFIX_PATH, see docs/distributed.md)");
  const auto count = static_cast<int>(torch::cuda::device_count());
  if (index >= count)
    throw InvalidArgument("device '" + name + "': only " + std::to_string(count) + " CUDA device" +
                          (count == 1 ? "" : "s") + " present");
  return {torch::kCUDA, static_cast<torch::DeviceIndex>(index)};
}

torch::Device default_device() {
  return {static_cast<torch::DeviceType>(default_type.load()), static_cast<torch::DeviceIndex>(default_index.load())};
}

void set_default_device(torch::Device device) {
  default_type = static_cast<int>(device.type());
  default_index = device.has_index() ? device.index() : -1;
}

torch::Tensor to_device(const torch::Tensor& x, torch::Device device) {
  if (!x.defined() || x.device() == device) return x;
  if (device.is_cuda() && x.device().is_cpu()) return x.pin_memory().to(device, /*non_blocking=*/true);
  return x.to(device);
}

}  // namespace robustlab
