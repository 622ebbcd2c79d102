// One contrastive-identifiability experiment of Zimmermann et al. 2021 (arXiv:2102.08850, §5.1;
// cl-ica's main_mlp.py, ../shared/reference/replearn.md §1): latents z from a latent space,
// observations g(z) through the frozen invertible MLP, an encoder f trained with InfoNCE on pairs
// (z, z̃ ~ p(·|z)) (or, as the supervised baseline, with MSE(f(g(z)), z)), Adam (default betas),
// and the identifiability of h = f∘g measured as cl-ica does: R² and MCC on 4,096 fresh marginal
// samples every `log_every` steps, and at the end mean ± sd (ddof 0) over `eval_batches` fresh
// batches of `batch_size`. Also the paper's synthetic table (the rows of §1.6, theory-matching and
// mismatched, with the Gaussian negative control) at a CPU scale.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "robustlab/representation/encoder.h"
#include "robustlab/representation/infonce.h"
#include "robustlab/representation/latents.h"
#include "robustlab/representation/mixing.h"

namespace robustlab {
class Progress;
}

namespace robustlab::representation {

struct IdentifyOptions {
  LatentSpaceOptions latents;
  InfoNceOptions loss;
  /// Encoder output normalisation; unset: a fixed sphere for the dot-product loss, none otherwise
  /// (cl-ica's choice).
  std::optional<OutputNormalization> normalization;
  int64_t mixing_layers = 3;
  int64_t cond_iterations = 25000;  ///< the condition-number pool of g (cl-ica: 25,000)
  int64_t batch_size = 6144;
  int64_t steps = 300003;  ///< cl-ica: 100,001 × --more-unsupervised 3
  double lr = 1e-4;
  int64_t log_every = 250;
  int64_t log_samples = 4096;
  int64_t eval_batches = 10;
  uint64_t seed = 0;
  std::optional<std::filesystem::path> cache_dir;  ///< where g's accepted matrices are cached
  void validate() const;
  OutputNormalization output_normalization() const;
};

struct CurvePoint {
  int64_t step = 0;
  double loss = 0;  ///< mean training loss since the previous point
  double r2 = 0, mcc = 0;
};

struct IdentifyResult {
  double g_r2 = 0, g_mcc = 0;  ///< the scores of g itself (h = g), cl-ica's "Id." line
  std::vector<CurvePoint> curve;
  double r2_mean = 0, r2_sd = 0, mcc_mean = 0, mcc_sd = 0;
  double seconds = 0;     ///< training time
  double threshold = 0;   ///< g's condition-number threshold
};

/// Runs one experiment. `on_log` (optional) sees every curve point as it is made; `progress`
/// (optional) advances once per step (and so can be interrupted).
IdentifyResult run_identify(const IdentifyOptions& options, const std::function<void(const CurvePoint&)>& on_log = {},
                            Progress* progress = nullptr);

/// One row of the paper's synthetic table: the generating process, the model, and the number the
/// paper reports for it (R² for the sphere rows, MCC for the box and R^n rows;
/// ../shared/reference/replearn.md §1.6, recalled values, NaN where none is given).
struct SyntheticRow {
  std::string name;
  IdentifyOptions options;
  std::string metric;    ///< "r2" or "mcc": the column the paper reports
  double published = 0;  ///< in percent
  bool theory_matching = false;
};

/// The table's rows at the scale given: latent dimension n, batch size, steps, Adam lr 1e-3 and τ
/// matched to each conditional (docs/representation.md has the CPU scale and why).
std::vector<SyntheticRow> synthetic_table(int64_t n, int64_t batch_size, int64_t steps, uint64_t seed);

}  // namespace robustlab::representation
