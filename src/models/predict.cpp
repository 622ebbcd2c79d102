// Clean accuracy of a classifier, batch by batch, without gradients.
#include "robustlab/models/predict.h"

#include <torch/torch.h>

#include <optional>

#include "robustlab/core/error.h"
#include "robustlab/core/progress.h"
#include "robustlab/data/prefetch.h"

namespace robustlab {

AccuracyResult evaluate_accuracy(Classifier& model, const DatasetPtr& data, int64_t batch_size,
                                 const std::string& label) {
  const bool was_training = model.is_training();
  model.set_training(false);
  torch::NoGradGuard no_grad;
  BatchLoader loader(data, {.batch_size = batch_size});
  std::optional<Progress> progress;
  if (!label.empty()) progress.emplace(label, data->size());
  AccuracyResult result;
  // On an accelerator the next batches are read on a worker thread while this one runs.
  BatchPrefetcher batches(loader.num_batches(), [&](int64_t b) { return loader.batch(b); }, model.device().is_cpu() ? 0 : 2);
  for (int64_t b = 0; b < loader.num_batches(); ++b) {
    const Batch batch = batches.next();
    const torch::Tensor logits = model.forward(batch.x);
    if (!torch::isfinite(logits).all().item<bool>()) {
      model.set_training(was_training);
      throw NumericalError("evaluate_accuracy: model " + model.description() +
                           " returned NaN or infinite logits on '" + data->name() + "'");
    }
    result.correct += logits.argmax(1).cpu().eq(batch.y).sum().item<int64_t>();
    result.total += batch.size();
    if (progress) progress->advance(batch.size());
  }
  model.set_training(was_training);
  return result;
}

}  // namespace robustlab
