// Training and evaluating SlowVAE as the CLI stores it, shared by `robustlab slowvae` and the
// disentanglement section of `robustlab benchmark`; the metric sample sizes; every metric of a
// dSprites representation.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "robustlab/representation/slowvae.h"
#include "robustlab/store/store.h"

namespace robustlab::cli {

/// Sample sizes of the metrics. `reference` is disentanglement_lib's gin configuration; `small`
/// the CPU scale the slowvae command uses by default; `quick` a look in seconds
/// (docs/representation.md).
struct MetricSizes {
  int64_t mcc = 10000, mig = 100000, train = 10000, test = 5000, modularity = 100000;
  int64_t beta_train = 10000, beta_eval = 5000, factor_train = 10000, factor_eval = 5000, variance = 10000;
  static MetricSizes named(const std::string& name);  ///< reference, small or quick
};

/// Every metric on a dSprites representation: factors sampled as SlowVAE's evaluation samples
/// them (distinct dataset points), codes from `codes_of` (factor classes -> codes).
nlohmann::json dsprites_metrics(const std::function<torch::Tensor(const torch::Tensor&)>& codes_of,
                                const MetricSizes& sizes, uint64_t seed);

/// The cache path of a SlowVAE checkpoint named by its training settings.
std::filesystem::path default_slowvae_checkpoint(const representation::SlowVaeTrainOptions& options);

/// Trains (or resumes, or takes from a finished checkpoint) and evaluates: losses stored as they
/// come, then the metrics (all of them on dSprites; MCC on natural sprites, whose factors are
/// continuous, as the reference), stored and returned. Empty `sizes`: training only, no metrics.
nlohmann::json train_and_evaluate_slowvae(const representation::SlowVaeTrainOptions& options, const std::string& sizes,
                                          Store& store, int64_t run, const std::string& model_name, uint64_t seed);

}  // namespace robustlab::cli
