// Shared pieces of the minimum-norm attacks (see common.h).
#include "robustlab/attacks/common.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "robustlab/core/error.h"
#include "robustlab/tensor/torch_backend.h"

namespace robustlab::attacks {

Norm parse_norm(const std::string& text) {
  std::string t;
  for (char c : text) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t.rfind("l", 0) == 0) t = t.substr(1);
  if (t == "0") return Norm::kL0;
  if (t == "1") return Norm::kL1;
  if (t == "2") return Norm::kL2;
  if (t == "inf" || t == "infinity") return Norm::kLinf;
  throw InvalidArgument("unknown norm '" + text + "' (expected 0, 1, 2 or inf)");
}

std::string to_string(Norm norm) {
  switch (norm) {
    case Norm::kL0: return "L0";
    case Norm::kL1: return "L1";
    case Norm::kL2: return "L2";
    default: return "Linf";
  }
}

double p_of(Norm norm) {
  switch (norm) {
    case Norm::kL0: return 0.0;
    case Norm::kL1: return 1.0;
    case Norm::kL2: return 2.0;
    default: return std::numeric_limits<double>::infinity();
  }
}

torch::Tensor logit_difference(const torch::Tensor& logits, const torch::Tensor& classes, bool targeted) {
  const torch::Tensor own = logits.gather(1, classes.view({-1, 1})).squeeze(1);
  const torch::Tensor others =
      logits.scatter(1, classes.view({-1, 1}), -std::numeric_limits<float>::infinity()).amax(1);
  return targeted ? others - own : own - others;
}

torch::Tensor is_adversarial(const torch::Tensor& logits, const torch::Tensor& classes, bool targeted) {
  const torch::Tensor predicted = logits.argmax(1);
  return targeted ? predicted.eq(classes) : predicted.ne(classes);
}

torch::Tensor perturbation_norms(const torch::Tensor& x, const torch::Tensor& x_adv, Norm norm) {
  const torch::Tensor delta = (x_adv.to(torch::kFloat32) - x.to(torch::kFloat32)).flatten(1).to(torch::kFloat64);
  switch (norm) {
    case Norm::kL0: return delta.abs().gt(1e-12).sum(1).to(torch::kFloat64);
    case Norm::kL1: return delta.abs().sum(1);
    case Norm::kL2: return delta.square().sum(1).sqrt();
    default: return delta.abs().amax(1);
  }
}

torch::Tensor per_sample(const torch::Tensor& v, int64_t ndim) {
  return tensor::atleast_kd(tensor::astensor(v), ndim).raw();
}

torch::Tensor sample_norms(const torch::Tensor& v, Norm norm) {
  const torch::Tensor flat = v.flatten(1);
  switch (norm) {
    case Norm::kL0: return flat.ne(0).sum(1).to(v.scalar_type());
    case Norm::kL1: return flat.abs().sum(1);
    case Norm::kL2: return flat.square().sum(1).sqrt();
    default: return flat.abs().amax(1);
  }
}

namespace {
void check_classes(const std::string& name, const char* what, const torch::Tensor& x, const torch::Tensor& classes,
                   int64_t num_classes) {
  if (classes.dim() != 1 || classes.size(0) != x.size(0)) {
    throw ShapeError(name + ": " + what + " must be [" + std::to_string(x.size(0)) + "], got " + c10::str(classes.sizes()));
  }
  if (classes.is_floating_point()) throw InvalidArgument(name + ": " + what + " must be integers");
  const int64_t lo = classes.min().item<int64_t>(), hi = classes.max().item<int64_t>();
  if (lo < 0 || (num_classes > 0 && hi >= num_classes)) {
    throw InvalidArgument(name + ": " + what + " must lie in [0, " + std::to_string(num_classes) + "), got [" +
                          std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
}
}  // namespace

torch::Tensor attack_classes(const char* attack, const torch::Tensor& x, const torch::Tensor& labels,
                             const torch::Tensor& targets, bool targeted, int64_t num_classes) {
  const std::string name(attack);
  if (x.dim() < 2 || x.size(0) == 0) throw ShapeError(name + ": inputs must be a non-empty batch [N,...], got " + c10::str(x.sizes()));
  if (!torch::isfinite(x).all().item<bool>()) throw NumericalError(name + ": inputs contain NaN or infinite values");
  if (x.min().item<double>() < 0.0 || x.max().item<double>() > 1.0) {
    throw InvalidArgument(name + ": inputs must lie in [0,1], got [" + std::to_string(x.min().item<double>()) + ", " +
                          std::to_string(x.max().item<double>()) + "]");
  }
  check_classes(name, "labels", x, labels, num_classes);
  if (!targeted) return labels;
  if (!targets.defined()) throw InvalidArgument(name + ": a targeted attack needs target classes");
  check_classes(name, "targets", x, targets, num_classes);
  const torch::Tensor same = targets.eq(labels);
  if (same.any().item<bool>()) {
    throw InvalidArgument(name + ": sample " + std::to_string(same.nonzero()[0][0].item<int64_t>()) +
                          " is targeted towards its true class");
  }
  return targets;
}

AttackResult finalize(Classifier& model, const torch::Tensor& x, const torch::Tensor& x_adv, const torch::Tensor& classes,
                      bool targeted, Norm norm) {
  torch::NoGradGuard no_grad;
  const torch::Tensor logits = model.forward(x_adv);
  const torch::Tensor finite = torch::isfinite(logits).all(1);
  AttackResult r;
  r.adversarial = x_adv.detach();
  r.success = is_adversarial(logits, classes, targeted).logical_and(finite);
  r.norms = torch::where(r.success, perturbation_norms(x, x_adv, norm),
                         torch::full({x.size(0)}, std::numeric_limits<double>::infinity(), x.options().dtype(torch::kFloat64)));
  return r;
}

AttackModeGuard::AttackModeGuard(Classifier& model) : model_(model), was_training_(model.is_training()) {
  model_.set_training(false);
  for (auto& p : model_.parameters()) {
    params_.emplace_back(p, p.requires_grad());
    p.set_requires_grad(false);
  }
}

AttackModeGuard::~AttackModeGuard() {
  for (auto& [p, needs_grad] : params_) p.set_requires_grad(needs_grad);
  model_.set_training(was_training_);
}

}  // namespace robustlab::attacks
