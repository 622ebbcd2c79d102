// cl-ica's InfoNCE losses (see infonce.h for the formulas and the reference's quirks).
#include "robustlab/representation/infonce.h"

#include <torch/torch.h>

#include <cmath>

#include "robustlab/core/error.h"

namespace robustlab::representation {

ContrastiveLoss parse_contrastive_loss(const std::string& name) {
  if (name == "dot") return ContrastiveLoss::kDot;
  if (name == "lp") return ContrastiveLoss::kLp;
  if (name == "supervised") return ContrastiveLoss::kSupervised;
  throw InvalidArgument("contrastive loss: unknown loss '" + name + "' (expected dot, lp or supervised)");
}

std::string to_string(ContrastiveLoss loss) {
  switch (loss) {
    case ContrastiveLoss::kDot: return "dot";
    case ContrastiveLoss::kLp: return "lp";
    default: return "supervised";
  }
}

void InfoNceOptions::validate() const {
  if (!(tau > 0)) throw InvalidArgument("infonce: tau must be positive, got " + std::to_string(tau));
  if (loss == ContrastiveLoss::kLp && !(p > 0 && std::isfinite(p))) {
    throw InvalidArgument("infonce: the Lp loss needs p > 0, got " + std::to_string(p));
  }
  if (!(alpha >= 0 && alpha <= 1)) throw InvalidArgument("infonce: alpha must be in [0, 1], got " + std::to_string(alpha));
}

torch::Tensor infonce_loss(const torch::Tensor& a, const torch::Tensor& b, const InfoNceOptions& o) {
  o.validate();
  if (a.dim() != 2 || a.sizes() != b.sizes()) {
    throw ShapeError("infonce: the two views must both be [B, n], got " + c10::str(a.sizes()) + " and " +
                     c10::str(b.sizes()));
  }
  if (o.loss == ContrastiveLoss::kSupervised) {
    throw InvalidArgument("infonce: the supervised baseline is an MSE against the latents, not a contrastive loss");
  }
  const torch::Tensor c = torch::roll(a, 1, 0);
  if (o.loss == ContrastiveLoss::kDot) {
    const torch::Tensor neg = torch::mm(a, c.t());
    const torch::Tensor pos = (a * b).sum(1);
    const torch::Tensor loss_neg = torch::logsumexp(torch::cat({neg, pos.unsqueeze(1)}, 1) / o.tau, 1);
    return 2 * (o.alpha * (-pos / o.tau) + (1.0 - o.alpha) * loss_neg);
  }
  torch::Tensor neg, pos;
  if (o.p < 1.0) {
    neg = torch::linalg_vector_norm((a.unsqueeze(0) - c.unsqueeze(1) + 1e-12).abs(), o.p, {-1});
    pos = torch::linalg_vector_norm((a - b).abs() + 1e-12, o.p, {-1});
  } else {
    neg = torch::cdist(a, c, o.p);
    pos = torch::linalg_vector_norm(a - b, o.p, {-1});
  }
  if (o.pow) {
    neg = neg.pow(o.p);
    pos = pos.pow(o.p);
  }
  const torch::Tensor loss_pos = pos / o.tau;
  const torch::Tensor loss_neg =
      o.compatibility_mode ? torch::logsumexp(-torch::cat({neg, pos.unsqueeze(1)}, 1) / o.tau, 1)
                           : torch::logsumexp(-neg / o.tau, 1) - std::log(static_cast<double>(neg.size(1)));
  return 2 * (o.alpha * loss_pos + (1.0 - o.alpha) * loss_neg);
}

}  // namespace robustlab::representation
