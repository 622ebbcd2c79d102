// DDN (Rony et al. 2019) and PGD with a per-sample eps search (see baselines.h).
#include "robustlab/attacks/baselines.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <numbers>

#include "robustlab/core/error.h"
#include "robustlab/tensor/grad.h"
#include "robustlab/tensor/projections.h"
#include "robustlab/tensor/torch_backend.h"

namespace robustlab::attacks {
namespace {

namespace rt = robustlab::tensor;
using T = rt::Tensor<rt::TorchBackend>;


/// (loss summed over the batch, its gradient, the logits) at x.
struct Evaluation {
  torch::Tensor gradient;
  torch::Tensor logits;
};
template <class Loss>
Evaluation evaluate(Classifier& model, const torch::Tensor& x, Loss loss) {
  auto [total, logits, grad] = rt::value_aux_and_grad<rt::TorchBackend>(
      [&](const T& v) {
        const torch::Tensor z = model.forward(v.raw());
        return std::pair{T(loss(z)), z.detach()};
      },
      rt::astensor(x));
  return {grad.raw(), logits};
}

}  // namespace

void DdnOptions::validate() const {
  if (steps < 1) throw InvalidArgument("ddn: steps must be >= 1, got " + std::to_string(steps));
  if (!(init_epsilon > 0)) throw InvalidArgument("ddn: init_epsilon must be positive, got " + std::to_string(init_epsilon));
  if (!(gamma > 0 && gamma < 1)) throw InvalidArgument("ddn: gamma must lie in (0,1), got " + std::to_string(gamma));
}

AttackResult ddn(Classifier& model, const torch::Tensor& x_in, const torch::Tensor& labels, const DdnOptions& o,
                 const torch::Tensor& targets) {
  o.validate();
  AttackModeGuard guard(model);
  const torch::Tensor x = x_in.detach();
  const torch::Tensor classes = attack_classes("ddn", x, labels, targets, o.targeted, model.num_classes());
  const int64_t n = x.size(0), ndim = x.dim();
  const torch::Tensor worst = sample_norms(torch::maximum(x, 1.0 - x), Norm::kL2);
  torch::Tensor delta = torch::zeros_like(x);
  torch::Tensor eps = torch::full({n}, o.init_epsilon, x.options());
  torch::Tensor best_norm = worst.clone(), best_delta = delta.clone();
  const double sign = o.targeted ? -1.0 : 1.0;
  for (int64_t k = 0; k < o.steps; ++k) {
    const double alpha = 0.01 + (1.0 - 0.01) * (1 + std::cos(std::numbers::pi * k / static_cast<double>(o.steps))) / 2;
    const Evaluation e = evaluate(model, x + delta, [&](const torch::Tensor& z) {
      return torch::nn::functional::cross_entropy(z, classes, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)) * sign;
    });
    torch::Tensor g = e.gradient;
    const torch::Tensor zero = sample_norms(g, Norm::kL2).eq(0);
    g = torch::where(per_sample(zero, ndim), torch::randn_like(g), g);
    g = g / per_sample(sample_norms(g, Norm::kL2).clamp_min(1e-12), ndim);
    const torch::Tensor adv = is_adversarial(e.logits, classes, o.targeted);
    const torch::Tensor norm = sample_norms(delta, Norm::kL2);
    const torch::Tensor better = adv.logical_and(norm <= best_norm);
    best_norm = torch::where(better, norm, best_norm);
    best_delta = torch::where(per_sample(better, ndim), delta, best_delta);
    delta = delta + alpha * g;
    eps = torch::minimum(eps * torch::where(adv, 1.0 - o.gamma, 1.0 + o.gamma), worst);
    delta = delta * per_sample(eps / sample_norms(delta, Norm::kL2).clamp_min(1e-12), ndim);
    delta = (x + delta).clamp(0.0, 1.0) - x;
  }
  return finalize(model, x, x + best_delta, classes, o.targeted, Norm::kL2);
}

void PgdOptions::validate() const {
  if (norm == Norm::kL0) throw InvalidArgument("pgd: the L0 norm is not supported (use fmn)");
  if (steps < 1) throw InvalidArgument("pgd: steps must be >= 1, got " + std::to_string(steps));
  if (search_steps < 1) throw InvalidArgument("pgd: search_steps must be >= 1, got " + std::to_string(search_steps));
}

AttackResult pgd_minimal(Classifier& model, const torch::Tensor& x_in, const torch::Tensor& labels, const PgdOptions& o,
                         const torch::Tensor& targets) {
  o.validate();
  AttackModeGuard guard(model);
  const torch::Tensor x = x_in.detach();
  const torch::Tensor classes = attack_classes("pgd", x, labels, targets, o.targeted, model.num_classes());
  const int64_t n = x.size(0), ndim = x.dim();
  const double p = p_of(o.norm);
  const double eps0 = o.initial_epsilon > 0 ? o.initial_epsilon
                      : o.norm == Norm::kL1 ? 10.0
                      : o.norm == Norm::kL2 ? 1.0
                                            : 1.0 / 255.0;
  const torch::Tensor worst = sample_norms(torch::maximum(x, 1.0 - x), o.norm);
  const double inf = std::numeric_limits<double>::infinity();
  torch::Tensor lo = torch::zeros({n}, x.options()), hi = torch::full({n}, inf, x.options());
  torch::Tensor best = x.clone();
  torch::Tensor best_norm = torch::full({n}, inf, x.options());
  {
    torch::NoGradGuard no_grad;  // samples misclassified to begin with need no perturbation
    const torch::Tensor clean = is_adversarial(model.forward(x), classes, o.targeted);
    best_norm = torch::where(clean, torch::zeros_like(best_norm), best_norm);
    hi = torch::where(clean, torch::zeros_like(hi), hi);
  }
  for (int64_t s = 0; s < o.search_steps; ++s) {
    const torch::Tensor eps =
        torch::minimum(torch::where(torch::isinf(hi), torch::where(lo > 0, lo * 2, torch::full_like(lo, eps0)), (lo + hi) / 2),
                       worst);
    const double rel = 2.5 / static_cast<double>(o.steps);
    torch::Tensor xa = x.clone();
    torch::Tensor found = torch::zeros({n}, torch::kBool);
    torch::Tensor found_x = x.clone();
    for (int64_t k = 0; k <= o.steps; ++k) {
      const Evaluation e = evaluate(model, xa, [&](const torch::Tensor& z) { return -logit_difference(z, classes, o.targeted).sum(); });
      const torch::Tensor adv = is_adversarial(e.logits, classes, o.targeted).logical_and(found.logical_not());
      found_x = torch::where(per_sample(adv, ndim), xa, found_x);
      found = found.logical_or(adv);
      if (k == o.steps) break;
      torch::Tensor dir;
      if (o.norm == Norm::kLinf) {
        dir = e.gradient.sign();
      } else {
        dir = e.gradient / per_sample(sample_norms(e.gradient, o.norm).clamp_min(1e-12), ndim);
      }
      xa = xa + per_sample(eps * rel, ndim) * dir;
      xa = rt::clip_to_box(rt::clip_perturbation(rt::astensor(x), rt::astensor(xa), p, rt::astensor(eps))).raw();
    }
    const torch::Tensor norm = sample_norms(found_x - x, o.norm);
    const torch::Tensor better = found.logical_and(norm < best_norm);
    best = torch::where(per_sample(better, ndim), found_x, best);
    best_norm = torch::where(better, norm, best_norm);
    hi = torch::where(found, torch::minimum(hi, eps), hi);
    lo = torch::where(found, lo, eps);
  }
  return finalize(model, x, best, classes, o.targeted, o.norm);
}

}  // namespace robustlab::attacks
