// Batched corruption of tensors and the on-the-fly corrupted dataset (see batch.h).
#include "robustlab/corruptions/batch.h"

#include <torch/torch.h>

#include <opencv2/imgproc.hpp>

#include "robustlab/core/error.h"
#include "robustlab/core/parallel.h"

namespace robustlab::corruptions {
namespace {

constexpr int kMinSide = 32;

cv::Mat corrupt_one(const torch::Tensor& chw, int64_t id, std::string_view name, int severity, uint64_t seed,
                    const Options& options) {
  const int channels = static_cast<int>(chw.size(0)), h = static_cast<int>(chw.size(1)), w = static_cast<int>(chw.size(2));
  const torch::Tensor hwc =
      chw.mul(255).round_().clamp_(0, 255).to(torch::kUInt8).permute({1, 2, 0}).contiguous();
  cv::Mat image(h, w, CV_8UC(channels), const_cast<uint8_t*>(hwc.data_ptr<uint8_t>()));
  image = image.clone();
  const bool small = std::min(h, w) < kMinSide;
  if (small) {
    const double scale = static_cast<double>(kMinSide) / std::min(h, w);
    cv::resize(image, image, cv::Size(static_cast<int>(std::lround(w * scale)), static_cast<int>(std::lround(h * scale))),
               0, 0, cv::INTER_LINEAR);
  }
  Rng rng = corruption_rng(seed, static_cast<uint64_t>(id), name, severity);
  cv::Mat out = corrupt(image, name, severity, rng, options);
  if (small) cv::resize(out, out, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  if (channels == 1) cv::cvtColor(out, out, cv::COLOR_RGB2GRAY);
  return out;
}

}  // namespace

torch::Tensor corrupt_batch(const torch::Tensor& images, const torch::Tensor& ids, std::string_view name,
                            int severity, uint64_t seed, const Options& options) {
  if (images.dim() != 4 || (images.size(1) != 1 && images.size(1) != 3))
    throw ShapeError("corrupt_batch: expected images [N,1|3,H,W], got " + std::to_string(images.dim()) + " dims");
  if (ids.dim() != 1 || ids.size(0) != images.size(0))
    throw ShapeError("corrupt_batch: ids must be [N] with N = " + std::to_string(images.size(0)));
  find(name);  // unknown names fail before any work
  if (severity < 1 || severity > 5) throw InvalidArgument("severity " + std::to_string(severity) + " is outside 1..5");
  const torch::Tensor cpu = images.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  const torch::Tensor id = ids.to(torch::kCPU, torch::kInt64).contiguous();
  torch::Tensor out = torch::empty(cpu.sizes(), torch::kUInt8);
  const int64_t n = cpu.size(0), per_image = cpu[0].numel();
  parallel_for(n, [&](int64_t i) {
    const cv::Mat result = corrupt_one(cpu[i], id[i].item<int64_t>(), name, severity, seed, options);
    const torch::Tensor chw = torch::from_blob(result.data, {result.rows, result.cols, result.channels()}, torch::kUInt8)
                                  .permute({2, 0, 1});
    std::memcpy(out[i].data_ptr<uint8_t>(), chw.contiguous().data_ptr<uint8_t>(), static_cast<size_t>(per_image));
  });
  return out.to(torch::kFloat32).div_(255).to(images.device());
}

CorruptedDataset::CorruptedDataset(DatasetPtr base, std::string name, int severity, uint64_t seed, Options options)
    : base_(std::move(base)), corruption_(find(name).name), severity_(severity), seed_(seed), options_(options) {
  if (severity < 1 || severity > 5) throw InvalidArgument("severity " + std::to_string(severity) + " is outside 1..5");
}

Example CorruptedDataset::get(int64_t i) const {
  Example example = base_->get(i);
  example.image = corrupt_batch(example.image.unsqueeze(0), torch::tensor({i}), corruption_, severity_, seed_, options_)[0];
  return example;
}

Batch CorruptedDataset::get_batch(const std::vector<int64_t>& indices) const {
  Batch batch = base_->get_batch(indices);
  batch.x = corrupt_batch(batch.x, torch::tensor(indices), corruption_, severity_, seed_, options_);
  return batch;
}

std::string CorruptedDataset::name() const {
  return base_->name() + "/" + corruption_ + "-" + std::to_string(severity_);
}

}  // namespace robustlab::corruptions
