// Where robustlab computes: the one place that chooses a device. The CLI's --device sets the
// process's default device once; models are loaded and built on it, and every tensor an attack, an
// adaptation step or a metric creates follows the model's (or its input's) device. Data is decoded
// and corrupted on CPU threads and moved to the device batch by batch (to_device).
#pragma once

#include <torch/types.h>

#include <string>

namespace robustlab {

/// "cpu", "cuda" (the current CUDA device, 0) or "cuda:N" -> a device. Throws InvalidArgument for
/// another name, for CUDA when this LibTorch has no CUDA, or for an index beyond the devices present.
torch::Device parse_device(const std::string& name);

/// The device models are loaded and built on (CPU unless set_default_device chose another).
torch::Device default_device();
void set_default_device(torch::Device device);

/// `x` on `device`: itself when it is there already; through pinned memory with an asynchronous
/// copy when it goes from the CPU to a CUDA device (the copy overlaps the device's work; the
/// stream orders it before the kernels that read it).
torch::Tensor to_device(const torch::Tensor& x, torch::Device device);

}  // namespace robustlab
