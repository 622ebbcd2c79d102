// See exemplars.h.
#include "robustlab/psychophysics/exemplars.h"

#include <algorithm>
#include <numeric>

#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/core/progress.h"
#include "robustlab/core/random.h"
#include "robustlab/psychophysics/feature_vis.h"

namespace robustlab::psychophysics {

torch::Tensor channel_activations(Classifier& model, const DatasetPtr& data, const std::string& layer,
                                  const std::vector<int64_t>& channels, int64_t batch_size) {
  if (channels.empty()) throw InvalidArgument("channel_activations: no channels given");
  const bool was_training = model.is_training();
  model.set_training(false);
  torch::NoGradGuard no_grad;
  BatchLoader loader(data, LoaderOptions{.batch_size = batch_size});
  // cpu: the activation table is gathered on the host
  torch::Tensor out = torch::empty({data->size(), static_cast<int64_t>(channels.size())}, torch::kFloat32);
  Progress progress("activations " + layer, data->size());
  for (int64_t b = 0; b < loader.num_batches(); ++b) {
    const Batch batch = loader.batch(b);
    const torch::Tensor output = model.layer_output(batch.x, layer);
    for (size_t k = 0; k < channels.size(); ++k) {
      out.index_put_({batch.index, static_cast<int64_t>(k)}, channel_mean(output, channels[k], layer).to(torch::kCPU, torch::kFloat32));
    }
    progress.advance(batch.size());
  }
  model.set_training(was_training);
  return out;
}

ExemplarBatches exemplar_batches(const torch::Tensor& activations, int64_t images, int64_t batches, uint64_t seed) {
  if (images < 2 || batches < 1) throw InvalidArgument("exemplar_batches: need at least 2 images and 1 batch");
  const int64_t n = activations.numel();
  const int64_t per_side = images * batches;
  if (n < 2 * per_side) {
    throw InvalidArgument("the dataset has " + std::to_string(n) + " images, too few for " + std::to_string(batches) +
                          " batches of " + std::to_string(images) + " max and " + std::to_string(images) +
                          " min images (needs " + std::to_string(2 * per_side) + ")");
  }
  const torch::Tensor a = activations.flatten().to(torch::kFloat64).contiguous();
  const double* v = a.data_ptr<double>();
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [v](int64_t i, int64_t j) { return v[i] < v[j]; });
  const auto split = [&](int64_t first, uint64_t s) {  // ascending ranks first .. first + per_side − 1
    std::vector<std::vector<int64_t>> out(static_cast<size_t>(batches), std::vector<int64_t>(static_cast<size_t>(images)));
    std::mt19937_64 rng = make_rng(s, 0);
    for (int64_t bin = 0; bin < images; ++bin) {
      std::vector<int64_t> members(order.begin() + first + bin * batches, order.begin() + first + (bin + 1) * batches);
      std::shuffle(members.begin(), members.end(), rng);
      for (int64_t b = 0; b < batches; ++b) out[static_cast<size_t>(b)][static_cast<size_t>(bin)] = members[static_cast<size_t>(b)];
    }
    return out;
  };
  return {split(n - per_side, seed + 1), split(0, seed)};
}

}  // namespace robustlab::psychophysics
