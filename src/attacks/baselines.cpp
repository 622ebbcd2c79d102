// DDN (Rony et al. 2019) and PGD with a per-sample eps search (see baselines.h), optionally with
// the step-size schedule of APGD (Croce & Hein, ICML 2020, arXiv:2003.01690, Algorithm 1).
#include "robustlab/attacks/baselines.h"

#include <torch/torch.h>

#include <algorithm>
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

/// One PGD run at per-sample radii eps [N]: `steps` steps on the logit-difference loss from x,
/// projected onto the ball and the box. Returns the first adversarial point of each sample and
/// whether one was found.
std::pair<torch::Tensor, torch::Tensor> pgd_run(Classifier& model, const torch::Tensor& x, const torch::Tensor& classes,
                                                const torch::Tensor& eps, const PgdOptions& o) {
  const int64_t n = x.size(0), ndim = x.dim();
  const double p = p_of(o.norm);
  auto project = [&](const torch::Tensor& v) {
    return rt::clip_to_box(rt::clip_perturbation(rt::astensor(x), rt::astensor(v), p, rt::astensor(eps))).raw();
  };
  auto direction = [&](const torch::Tensor& g) {
    return o.norm == Norm::kLinf ? g.sign() : g / per_sample(sample_norms(g, o.norm).clamp_min(1e-12), ndim);
  };
  torch::Tensor xa = x.clone(), found = torch::zeros({n}, x.options().dtype(torch::kBool)), found_x = x.clone();
  // APGD state: step size, previous iterate and loss, best loss and point, and per checkpoint
  // interval the count of steps that raised the loss.
  torch::Tensor eta = eps * 2.0, x_prev = xa, f_prev, f_max = torch::full({n}, -std::numeric_limits<double>::infinity(), x.options());
  torch::Tensor x_max = xa, increases = torch::zeros({n}, x.options()), f_max_then = f_max;
  torch::Tensor halved_then = torch::ones({n}, x.options().dtype(torch::kBool));  // as APGD: no stall test at the first checkpoint
  const std::vector<int64_t> checkpoints = apgd_checkpoints(o.steps);
  int64_t previous_checkpoint = 0;
  for (int64_t k = 0; k <= o.steps; ++k) {
    const Evaluation e = evaluate(model, xa, [&](const torch::Tensor& z) { return -logit_difference(z, classes, o.targeted).sum(); });
    const torch::Tensor adv = is_adversarial(e.logits, classes, o.targeted).logical_and(found.logical_not());
    found_x = torch::where(per_sample(adv, ndim), xa, found_x);
    found = found.logical_or(adv);
    if (k == o.steps) break;
    const torch::Tensor dir = direction(e.gradient);
    if (!o.apgd) {  // fixed steps of 2.5 eps / steps (Madry et al.)
      xa = project(xa + per_sample(eps * (2.5 / static_cast<double>(o.steps)), ndim) * dir);
      continue;
    }
    const torch::Tensor f = -logit_difference(e.logits, classes, o.targeted);
    if (k > 0) increases += (f > f_prev).to(x.scalar_type());
    f_prev = f;
    const torch::Tensor improved = f > f_max;
    f_max = torch::where(improved, f, f_max);
    x_max = torch::where(per_sample(improved, ndim), xa, x_max);
    // The step: to z = P(x + eta dir), then momentum 0.75 towards z and 0.25 along the last step.
    const torch::Tensor z = project(xa + per_sample(eta, ndim) * dir);
    torch::Tensor next = k == 0 ? z : project(xa + 0.75 * (z - xa) + 0.25 * (xa - x_prev));
    x_prev = xa;
    if (std::find(checkpoints.begin(), checkpoints.end(), k) != checkpoints.end()) {
      // Halve eta where under 75 % of the steps since the last checkpoint raised the loss, or where
      // eta was not halved at the last checkpoint and the best loss has not improved since; those
      // samples restart from their best point.
      const double interval = static_cast<double>(k - previous_checkpoint);
      const torch::Tensor stalled = halved_then.logical_not().logical_and(f_max <= f_max_then);
      const torch::Tensor halve = (increases < 0.75 * interval).logical_or(stalled);
      eta = torch::where(halve, eta / 2, eta);
      next = torch::where(per_sample(halve, ndim), x_max, next);
      x_prev = torch::where(per_sample(halve, ndim), x_max, x_prev);
      increases.zero_();
      halved_then = halve;
      f_max_then = f_max;
      previous_checkpoint = k;
    }
    xa = next;
  }
  return {found, found_x};
}

}  // namespace

std::vector<int64_t> apgd_checkpoints(int64_t steps) {
  std::vector<int64_t> w;
  for (double prev = 0, p = 0.22; p < 1; ) {
    w.push_back(static_cast<int64_t>(std::ceil(p * static_cast<double>(steps))));
    const double next = p + std::max(p - prev - 0.03, 0.06);
    prev = p;
    p = next;
  }
  return w;
}

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
    const auto [found, found_x] = pgd_run(model, x, classes, eps, o);
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
