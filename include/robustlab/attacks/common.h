// What every minimum-norm attack shares: the norms it measures in, the logit-difference loss and
// adversarial criterion of FMN (Pintor et al. 2021, arXiv:2102.12827, §3; ../shared/reference/
// fmn.md §1.2), per-sample perturbation norms measured as the FMN reference does (delta formed in
// float32, accumulated in float64), and the per-sample result type.
#pragma once

#include <torch/types.h>

#include <string>

#include "robustlab/models/classifier.h"

namespace robustlab::attacks {

enum class Norm { kL0, kL1, kL2, kLinf };

/// "0", "1", "2", "inf" (also "l2", "linf", "Linf"); throws InvalidArgument otherwise.
Norm parse_norm(const std::string& text);
std::string to_string(Norm norm);
/// p as a number (0, 1, 2 or infinity).
double p_of(Norm norm);

/// The result of a minimum-norm attack on a batch of N samples.
struct AttackResult {
  torch::Tensor adversarial;  ///< [N,...] the smallest adversarial found, or the clean input
  torch::Tensor success;      ///< [N] bool: the returned point is adversarial (re-checked)
  torch::Tensor norms;        ///< [N] float64: ||adversarial - x||_p; +inf where not successful
};

/// Logit difference l = z_c_min - z_c_max: untargeted z_y - max_{j != y} z_j, targeted
/// max_{j != t} z_j - z_t. The point is adversarial when l < 0. logits: [N,K] -> [N].
torch::Tensor logit_difference(const torch::Tensor& logits, const torch::Tensor& classes, bool targeted);

/// untargeted: argmax != labels; targeted: argmax == targets. [N] bool.
torch::Tensor is_adversarial(const torch::Tensor& logits, const torch::Tensor& classes, bool targeted);

/// Per-sample ||x_adv - x||_p as the FMN reference measures it: delta in float32, then summed in
/// float64; L0 counts |delta| > 1e-12. [N] float64.
torch::Tensor perturbation_norms(const torch::Tensor& x, const torch::Tensor& x_adv, Norm norm);

/// A per-sample value [N] shaped to broadcast against a batch of `ndim` axes ([N,1,1,1]).
torch::Tensor per_sample(const torch::Tensor& v, int64_t ndim);

/// Per-sample norms inside an attack, with the arithmetic of the reference implementations
/// (EagerPy's composed ops: abs().sum(), square().sum().sqrt(), ...), not a fused kernel: float32
/// rounding decides some boundary cases, and with torch::linalg_vector_norm the official L2 FMN
/// succeeds on 140 of the 200 reference images instead of the reference's 141. v: [N,...] -> [N].
torch::Tensor sample_norms(const torch::Tensor& v, Norm norm);

/// Checks an attack's inputs — x [N,...] finite in [0,1], labels [N] integers in
/// [0, num_classes), and for a targeted attack targets of the same shape, in range and each
/// different from its label — and returns the classes the attack works with (the labels, or the
/// targets). Throws InvalidArgument or ShapeError naming `attack` and the problem.
torch::Tensor attack_classes(const char* attack, const torch::Tensor& x, const torch::Tensor& labels,
                             const torch::Tensor& targets, bool targeted, int64_t num_classes);

/// Re-evaluates the model on the returned points and fills success and norms (samples whose
/// logits are not finite are failures).
AttackResult finalize(Classifier& model, const torch::Tensor& x, const torch::Tensor& x_adv,
                      const torch::Tensor& classes, bool targeted, Norm norm);

/// Switches off parameter gradients for the lifetime of the guard (attacks need only the input
/// gradient) and puts the model in evaluation mode; restores both afterwards.
class AttackModeGuard {
 public:
  explicit AttackModeGuard(Classifier& model);
  ~AttackModeGuard();
  AttackModeGuard(const AttackModeGuard&) = delete;
  AttackModeGuard& operator=(const AttackModeGuard&) = delete;

 private:
  Classifier& model_;
  bool was_training_;
  std::vector<std::pair<torch::Tensor, bool>> params_;
};

}  // namespace robustlab::attacks
