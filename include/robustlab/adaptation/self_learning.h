// Self-learning at test time (Rusak, Schneider, Pachitariu, Eck, Gehler, Bringmann, Brendel,
// Bethge, "If your data distribution shifts, use self-learning", TMLR 2022, arXiv:2104.12928):
// entropy minimisation (ENT, as TENT: Wang et al., ICLR 2021, arXiv:2006.10726), hard and soft
// pseudo-labels, and robust pseudo-labelling with the generalised cross-entropy (RPL; GCE of Zhang
// & Sabuncu, NeurIPS 2018), on top of batch-norm adaptation (normalisation layers in training
// mode). Losses, defaults and the bugs of the Python code not to port: ../shared/reference/tta.md §2.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "robustlab/models/classifier.h"

namespace robustlab::adaptation {

enum class Loss { kEntropy, kHardPseudoLabel, kSoftPseudoLabel, kRobustPseudoLabel };
/// "ent", "hard-pl", "soft-pl", "rpl".
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
  void validate() const;
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
  void reset();
  bool stopped() const { return !reason_.empty(); }
  const std::string& reason() const { return reason_; }
  /// The parameters being adapted (live handles).
  const std::vector<torch::Tensor>& adapted() const { return params_; }

 private:
  torch::Tensor teacher_logits(const torch::Tensor& x);
  torch::Tensor loss(const torch::Tensor& logits, const torch::Tensor& teacher);
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
};

}  // namespace robustlab::adaptation
