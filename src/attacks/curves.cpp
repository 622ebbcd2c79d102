// Robustness curves from per-sample minimal norms (see curves.h).
#include "robustlab/attacks/curves.h"

#include <torch/torch.h>

#include "robustlab/core/error.h"

namespace robustlab::attacks {

std::vector<double> robust_accuracy(const torch::Tensor& norms, const std::vector<double>& epsilons) {
  if (norms.dim() != 1 || norms.numel() == 0) {
    throw ShapeError("robust_accuracy: norms must be a non-empty [N] tensor, got " + c10::str(norms.sizes()));
  }
  std::vector<double> out;
  for (double eps : epsilons) {
    if (!(eps >= 0)) throw InvalidArgument("robust_accuracy: eps must be >= 0, got " + std::to_string(eps));
    out.push_back(norms.gt(eps).to(torch::kFloat64).mean().item<double>());
  }
  return out;
}

torch::Tensor best_of(const std::vector<torch::Tensor>& norms) {
  if (norms.empty()) throw InvalidArgument("best_of: no attacks given");
  torch::Tensor best = norms.front().to(torch::kFloat64);
  for (size_t i = 1; i < norms.size(); ++i) {
    if (norms[i].sizes() != best.sizes()) {
      throw ShapeError("best_of: attack " + std::to_string(i) + " has norms " + c10::str(norms[i].sizes()) +
                       ", expected " + c10::str(best.sizes()));
    }
    best = torch::minimum(best, norms[i].to(torch::kFloat64));
  }
  return best;
}

double median_norm(const torch::Tensor& norms) {
  const torch::Tensor sorted = std::get<0>(norms.to(torch::kFloat64).flatten().sort());
  const int64_t n = sorted.numel();
  if (n == 0) throw ShapeError("median_norm: no norms");
  if (n % 2) return sorted[n / 2].item<double>();
  return (sorted[n / 2 - 1].item<double>() + sorted[n / 2].item<double>()) / 2;
}

NormSummary summarize(const torch::Tensor& norms, const std::vector<double>& epsilons) {
  return {torch::isfinite(norms).to(torch::kFloat64).mean().item<double>(), median_norm(norms),
          robust_accuracy(norms, epsilons)};
}

}  // namespace robustlab::attacks
