// Self-learning at test time (Rusak, Schneider, Pachitariu, Eck, Gehler, Bringmann, Brendel,
// Bethge, "If your data distribution shifts, use self-learning", TMLR 2022, arXiv:2104.12928):
// entropy minimisation (ENT, as TENT: Wang et al., ICLR 2021, arXiv:2006.10726), hard and soft
// pseudo-labels, and robust pseudo-labelling with the generalised cross-entropy (RPL; GCE of Zhang
// & Sabuncu, NeurIPS 2018), on top of batch-norm adaptation (normalisation layers in training
// mode). Losses, defaults and the bugs of the Python code not to port: ../shared/reference/tta.md §2.
//
// The later methods of the test-time-adaptation benchmark (Döbler et al.,
// mariodoebler/test-time-adaptation, classification/methods/*.py; tta.md §3) run through the same
// learner, as the benchmark defines them:
// - TENT (Wang et al., ICLR 2021, arXiv:2006.10726): entropy minimisation of the affine parameters
//   of every batch-, layer- and group-norm layer (the benchmark's parameter set; `ent` keeps the
//   batch-norm-only set of Rusak et al.).
// - ETA / EATA (Niu et al., ICML 2022, "Efficient Test-Time Model Adaptation without Forgetting",
//   arXiv:2204.02610; eata.py): only samples with entropy below E0 = 0.4·ln C that are not
//   redundant (|cos(p, p̄)| < ε = 0.05 with p̄ the moving mean 0.9·p̄ + 0.1·mean of the kept
//   samples' probabilities, once there is one) enter the loss, each weighted by exp(E0 − entropy);
//   EATA adds α·Σ F (θ − θ0)² with the diagonal Fisher F of the source model from clean samples
//   (squared gradients of the cross-entropy to its own predictions, averaged over batches), α = 2000.
//   No update when no sample is kept. The moving mean survives resets, as in the benchmark.
// - SAR (Niu et al., ICLR 2023, "Towards Stable Test-Time Adaptation in Dynamic Wild World",
//   arXiv:2302.12400; sar.py): reliable entropy (below E0) minimised with sharpness-aware
//   minimisation (Foret et al. 2021; ρ = 0.05: step to θ + ρ g/‖g‖, filter again, take the gradient
//   there, update θ with SGD momentum 0.9 without Nesterov); a moving average (0.9) of the second
//   loss below 0.2 resets the model (model recovery). The top layers are not adapted (norm layers
//   whose name contains layer4, blocks.9–11, norm., or is norm), as in the benchmark.
// - CoTTA (Wang, Fink, Van Gool, Dai, CVPR 2022, arXiv:2203.13591; cotta.py): every parameter
//   adapts, normalising with batch statistics; the prediction is an EMA teacher's (0.999), averaged
//   over 32 augmentations (augment.h) when the source model's mean confidence on the batch is below
//   a threshold (0.92 for CIFAR, 0.1 for ImageNet); the student minimises the cross-entropy to it
//   (ImageNet: the symmetric half-half form); after each step every weight returns to its source
//   value with probability 0.01 (ImageNet 0.001), the stochastic restore.
// - RoTTA (Yuan, Xie, Li, CVPR 2023, arXiv:2303.13899; rotta.py): robust batch norm (statistics
//   (1 − α)·stored + α·batch, α = 0.05, stored as they are used; predictions with the stored ones),
//   the CSTU memory bank (memory_bank.h) filled with the teacher's pseudo-labels and entropies, and
//   every 64 images an update of the norm layers' affine parameters on the bank: the cross-entropy
//   of the student on augmented bank images to the teacher on the bank images, weighted by
//   timeliness; the teacher is an EMA (0.999) of the student and predicts. Two departures, both
//   small: the robust statistics come from mix_batch_statistics (bn.h), so the batch variance in
//   the mixture is the unbiased one and no gradient flows through the batch share α of the
//   statistics; and the benchmark's CPU path, which calls loss_calculation(x) on a method without
//   that argument (a TypeError), is taken as meant.
// - ROID (Marsden, Döbler, Yang, WACV 2024, arXiv:2306.00650; roid.py): the soft likelihood ratio
//   loss (probabilities clipped at 0.99) weighted by certainty × diversity (min-max normalised,
//   exp(w_div·w_cert / T), T = 1/3; samples with a diversity weight below the batch mean dropped),
//   plus the symmetric cross-entropy between the augmented and the plain view (augment.h without
//   blur and noise, reflect padding), both summed and divided by the batch size; after each step
//   the adapted weights move towards the source (0.99·θ + 0.01·θ_source, weight ensembling); the
//   predictions are the logits multiplied by the smoothed batch prior (prior correction — the
//   benchmark multiplies logits, not probabilities, and so does this).
// RMT (Döbler et al., CVPR 2023) is not here: it replays labelled source images during adaptation
// (with a 50,000-sample warm-up and source prototypes), which the other methods, and this
// learner's interface, do without (docs/adaptation.md).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include "robustlab/adaptation/memory_bank.h"
#include "robustlab/models/classifier.h"

namespace robustlab::adaptation {

enum class Loss { kEntropy, kHardPseudoLabel, kSoftPseudoLabel, kRobustPseudoLabel, kTent, kEata, kSar, kCotta, kRotta, kRoid };
/// "ent", "hard-pl", "soft-pl", "rpl", "tent", "eata", "sar", "cotta", "rotta", "roid" (ETA is kEata
/// with fisher_alpha 0).
Loss parse_loss(const std::string& name);
std::string to_string(Loss loss);

/// Which parameters adapt.
enum class Adapted {
  kBnAffine,    ///< gamma and beta of the batch-norm layers (the papers' choice; default)
  kNormAffine,  ///< gamma and beta of every batch-, layer- and group-norm layer (models without BN)
  kAll,         ///< every parameter
};
/// "bn-affine", "norm-affine", "all".
Adapted parse_adapted(const std::string& name);

struct SelfLearningOptions {
  Loss loss = Loss::kRobustPseudoLabel;
  double q = 0.8;  ///< GCE exponent (RPL)
  Adapted adapted = Adapted::kBnAffine;
  /// sgd (momentum 0.9, Nesterov, as the online RPL reference) or adam. The defaults, Adam with
  /// lr 1e-2, are what `eval --select dev` picks on the held-out corruptions for the default model
  /// (docs/adaptation.md); the papers' ImageNet settings are presets (evaluation/selection.h).
  std::string optimizer = "adam";
  double lr = 1e-2;
  int64_t steps_per_batch = 1;
  /// 1: the teacher is the student itself (pseudo-labels from the same forward pass, the papers'
  /// best variant); k > 1: a copy of the adapted parameters refreshed every k steps, predicting
  /// with the normalisation layers' stored (source) statistics, so that it differs from the
  /// batch-normalised student from the start. Soft pseudo-labels need k > 1 (from the student's
  /// own pass their gradient is zero).
  int64_t teacher_interval = 1;
  bool episodic = false;  ///< restore the initial weights before every batch (TENT's episodic mode)
  /// EATA/ETA and SAR: samples with an entropy below entropy_margin · ln C enter the loss.
  double entropy_margin = 0.4;
  /// EATA/ETA: a sample is redundant when |cos(p, p̄)| ≥ diversity_margin.
  double diversity_margin = 0.05;
  /// EATA: the Fisher regulariser's weight (0: ETA) and how many clean samples estimate it.
  double fisher_alpha = 2000;
  int64_t fisher_samples = 2000;
  /// SAR: the sharpness-aware radius ρ and the moving-average entropy below which the model resets.
  double sam_rho = 0.05;
  double reset_entropy = 0.2;
  /// CoTTA and RoTTA: the teacher's EMA momentum (teacher = m·teacher + (1 − m)·student).
  double ema_momentum = 0.999;
  /// CoTTA: the stochastic-restore probability, the source confidence below which the teacher
  /// averages `augmentations` augmented views, and the symmetric (ImageNet) form of its loss. The
  /// defaults are the benchmark's CIFAR values; `--preset benchmark` sets the ImageNet ones.
  double restore_probability = 0.01;
  double confidence_threshold = 0.92;
  int64_t augmentations = 32;
  bool symmetric_loss = false;
  /// RoTTA: the memory bank's capacity (also the update interval, in images) and the robust batch
  /// norm's α.
  int64_t memory_size = 64;
  double robust_bn_alpha = 0.05;
  /// ROID: weight ensembling towards the source (θ = m·θ + (1 − m)·θ_source), the momentum of the
  /// class-probability average of the diversity weights, and the weights' temperature.
  double source_momentum = 0.99;
  double probability_momentum = 0.9;
  double temperature = 1.0 / 3.0;
  /// The random augmentations and restores (CoTTA, RoTTA, ROID).
  uint64_t seed = 0;
  void validate() const;
  /// Whether each batch's predictions depend on that batch alone, so that batches may be adapted
  /// apart (on several ranks): episodic, with a loss that keeps nothing across the reset. EATA's
  /// running mean of the predictions survives it, and CoTTA, RoTTA and ROID draw from one random
  /// stream along the batches.
  bool batches_independent() const;
};

/// -(softmax(z) · log_softmax(z)).sum(1).mean()
torch::Tensor entropy_loss(const torch::Tensor& logits);
/// mean over the batch of (1 - p_y^q) / q, p = softmax(logits), y the pseudo-labels.
torch::Tensor gce_loss(const torch::Tensor& logits, const torch::Tensor& labels, double q);

/// Adapts a model online: each batch is predicted with the current weights, then (after the
/// prediction) used for `steps_per_batch` updates. reset() restores the exact weights, the
/// normalisation statistics and the optimiser state of construction; the destructor does too, so
/// the model is left as it was found.
class SelfLearner {
 public:
  /// Throws InvalidArgument when the model has none of the parameters asked to adapt.
  SelfLearner(Classifier& model, SelfLearningOptions options);
  ~SelfLearner();
  SelfLearner(const SelfLearner&) = delete;
  SelfLearner& operator=(const SelfLearner&) = delete;

  /// The logits of `x` before adapting on it (the online protocol), then the updates.
  /// A non-finite loss stops adaptation: the weights go back to those of the last step whose loss
  /// was finite (before its update, which may be what diverged) and later batches are only
  /// predicted (stopped() is true, reason() says why).
  torch::Tensor step(const torch::Tensor& x);
  /// The logits the method predicts for `x` without adapting on it (the sliding window of batch
  /// size 1 between updates): CoTTA's and RoTTA's teacher, the student otherwise.
  torch::Tensor predict(const torch::Tensor& x);
  void reset();
  bool stopped() const { return !reason_.empty(); }
  const std::string& reason() const { return reason_; }
  /// The parameters being adapted (live handles).
  const std::vector<torch::Tensor>& adapted() const { return params_; }
  /// EATA: the diagonal Fisher information of the adapted parameters from clean source batches
  /// (needed before the first step when fisher_alpha > 0). Anchors are the current weights.
  void estimate_fisher(const std::vector<torch::Tensor>& source_batches);
  bool needs_fisher() const { return options_.loss == Loss::kEata && options_.fisher_alpha > 0 && fisher_.empty(); }
  /// EATA: samples that entered the loss so far (after both filters); SAR: model recoveries so far.
  int64_t selected_samples() const { return selected_; }
  int64_t recoveries() const { return recoveries_; }

 private:
  torch::Tensor teacher_logits(const torch::Tensor& x);
  /// The teacher copy (and RoTTA's teacher statistics and bank, ROID's class average) as at construction.
  void reset_teacher();
  torch::Tensor loss(const torch::Tensor& logits, const torch::Tensor& teacher);
  /// EATA's filtered, weighted entropy (undefined when no sample is kept) and its state update.
  torch::Tensor eata_loss(const torch::Tensor& logits);
  /// SAR's two passes and its update; false when the loss was not finite.
  bool sar_update(const torch::Tensor& x, const torch::Tensor& logits);
  /// CoTTA's, RoTTA's and ROID's step: the predictions (before the update), then the update.
  torch::Tensor cotta_step(const torch::Tensor& x);
  torch::Tensor rotta_step(const torch::Tensor& x);
  torch::Tensor roid_step(const torch::Tensor& x);
  /// RoTTA's update on the memory bank.
  void rotta_update();
  /// zero_grad, backward, optimiser step: one update of the adapted parameters.
  void descend(const torch::Tensor& loss);
  /// Runs `body` (without gradients) with `weights` in place of the adapted parameters.
  void with_weights(const std::vector<torch::Tensor>& weights, const std::function<void()>& body);
  /// Forward passes of each input with `weights` in place of the adapted parameters (no
  /// gradient), the normalisation layers in training mode (batch statistics) or not (stored).
  std::vector<torch::Tensor> forward_with(const std::vector<torch::Tensor>& weights,
                                          const std::vector<torch::Tensor>& inputs, bool batch_statistics);
  /// A RoTTA pass: robust statistics of `x` (mixed into the stored ones, which keep them), then
  /// the forward with them.
  torch::Tensor robust_forward(const torch::Tensor& x);
  /// teacher = m·teacher + (1 − m)·student, m = ema_momentum.
  void update_teacher();
  std::vector<torch::Tensor> statistics() const;
  void set_statistics(const std::vector<torch::Tensor>& values);
  bool check_finite(const torch::Tensor& value);
  /// The normalisation statistics of construction, back in the model.
  void restore_statistics();
  /// EATA's and SAR's E0 = entropy_margin · ln C.
  double entropy_threshold(int64_t classes) const;
  void set_norm_training(bool training);
  void make_optimizer();
  Classifier& model_;
  SelfLearningOptions options_;
  std::vector<NormLayer> norms_;
  std::vector<torch::Tensor> params_;
  std::vector<torch::Tensor> initial_;  // adapted parameters at construction
  std::vector<torch::Tensor> buffers_;  // normalisation statistics at construction
  std::vector<torch::Tensor> last_finite_;  // weights of the last step with a finite loss
  std::vector<torch::Tensor> teacher_;  // teacher copy of the adapted parameters (interval > 1)
  std::vector<bool> requires_grad_;     // of every model parameter, to restore
  bool was_training_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  int64_t steps_ = 0;
  std::string reason_;
  torch::Tensor mean_probs_;                        // EATA's p̄ (undefined until a sample is kept)
  std::vector<torch::Tensor> fisher_, anchors_;     // EATA's F and θ0
  std::optional<double> entropy_ema_;               // SAR's moving average of the second loss
  int64_t selected_ = 0, recoveries_ = 0;
  at::Generator generator_;                         // CoTTA/RoTTA/ROID augmentations and restores
  std::vector<torch::Tensor> teacher_statistics_;   // RoTTA: the teacher's robust statistics
  std::optional<MemoryBank> memory_;                // RoTTA
  int64_t seen_ = 0;                                // RoTTA: images since the last reset
  torch::Tensor class_probabilities_;               // ROID's diversity reference (uniform at reset)
  int64_t nominal_batch_ = 0;                       // ROID: the largest batch so far (the configured size)
};

}  // namespace robustlab::adaptation
