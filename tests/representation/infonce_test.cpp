#include "robustlab/representation/infonce.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "robustlab/core/error.h"

namespace robustlab::representation {
namespace {

using Matrix = std::vector<std::vector<double>>;

double lp(const std::vector<double>& x, const std::vector<double>& y, double p, double add_inside, double add_after) {
  double s = 0;
  for (size_t k = 0; k < x.size(); ++k) s += std::pow(std::abs(x[k] - y[k] + add_inside) + add_after, p);
  return s;  // ‖·‖_p^p (pow mode)
}

double logsumexp(const std::vector<double>& v) {
  double m = -INFINITY, s = 0;
  for (double x : v) m = std::max(m, x);
  for (double x : v) s += std::exp(x - m);
  return m + std::log(s);
}

Matrix rows(const torch::Tensor& t) {
  Matrix out(static_cast<size_t>(t.size(0)));
  for (int64_t i = 0; i < t.size(0); ++i)
    for (int64_t k = 0; k < t.size(1); ++k) out[static_cast<size_t>(i)].push_back(t[i][k].item<double>());
  return out;
}

/// cl-ica's LpSimCLRLoss written out by hand for a batch: negatives c_j = a_{j-1} (the roll).
std::vector<double> by_hand_lp(const Matrix& a, const Matrix& b, double p, double tau, bool compatibility) {
  const size_t n = a.size();
  std::vector<double> loss;
  for (size_t i = 0; i < n; ++i) {
    std::vector<double> logits;
    for (size_t j = 0; j < n; ++j) {
      const auto& c = a[(j + n - 1) % n];
      // p < 1: 1e-12 inside, and the reference's transposed negatives ‖a_j − c_i‖.
      const double d = p < 1 ? lp(a[j], a[(i + n - 1) % n], p, 1e-12, 0) : lp(a[i], c, p, 0, 0);
      logits.push_back(-d / tau);
    }
    const double pos = lp(a[i], b[i], p, 0, p < 1 ? 1e-12 : 0);
    double neg;
    if (compatibility) {
      logits.push_back(-pos / tau);
      neg = logsumexp(logits);
    } else {
      neg = logsumexp(logits) - std::log(static_cast<double>(n));
    }
    loss.push_back(2 * (0.5 * pos / tau + 0.5 * neg));
  }
  return loss;
}

TEST(InfoNce, LpLossEqualsTheReferenceFormulaByHand) {
  torch::manual_seed(0);
  const torch::Tensor a = torch::randn({5, 3}, torch::kFloat64), b = a + 0.1 * torch::randn({5, 3}, torch::kFloat64);
  for (double p : {1.0, 2.0, 3.0, 0.5}) {
    for (bool compat : {true, false}) {
      const torch::Tensor got = infonce_loss(a, b, {.loss = ContrastiveLoss::kLp, .p = p, .tau = 0.7, .compatibility_mode = compat});
      const std::vector<double> want = by_hand_lp(rows(a), rows(b), p, 0.7, compat);
      for (size_t i = 0; i < want.size(); ++i)
        EXPECT_NEAR(got[static_cast<int64_t>(i)].item<double>(), want[i], 1e-6 * (1 + std::abs(want[i])))
            << "p " << p << " compat " << compat << " sample " << i;
    }
  }
}

TEST(InfoNce, DotLossIncludesTheSelfPairAmongTheNegatives) {
  torch::manual_seed(1);
  torch::Tensor a = torch::randn({4, 3}, torch::kFloat64);
  a = a / a.norm(2, 1, true);
  const torch::Tensor b = a.roll(2, 0);  // positives far from their anchors
  const double tau = 0.5;
  const torch::Tensor got = infonce_loss(a, b, {.loss = ContrastiveLoss::kDot, .tau = tau});
  const Matrix A = rows(a), B = rows(b);
  for (size_t i = 0; i < 4; ++i) {
    auto dot = [](const std::vector<double>& x, const std::vector<double>& y) {
      return x[0] * y[0] + x[1] * y[1] + x[2] * y[2];
    };
    std::vector<double> logits;
    for (size_t j = 0; j < 4; ++j) logits.push_back(dot(A[i], A[(j + 3) % 4]) / tau);  // j = i+1: a_i·a_i
    const double pos = dot(A[i], B[i]);
    logits.push_back(pos / tau);
    EXPECT_NEAR(got[static_cast<int64_t>(i)].item<double>(), -pos / tau + logsumexp(logits), 1e-9) << i;
  }
}

TEST(InfoNce, GradientsAreFiniteAtTheSelfPairs) {
  // The self-pair has distance 0, where ‖·‖ has no derivative: the reference relies on the norm's
  // zero subgradient (p >= 1) or its 1e-12 (p < 1).
  for (double p : {0.5, 1.0, 2.0}) {
    torch::manual_seed(2);
    const torch::Tensor a = torch::randn({64, 4}).requires_grad_();
    const torch::Tensor b = (a.detach() + 0.05 * torch::randn({64, 4})).requires_grad_();
    infonce_loss(a, b, {.loss = ContrastiveLoss::kLp, .p = p}).mean().backward();
    EXPECT_TRUE(torch::isfinite(a.grad()).all().item<bool>()) << "p " << p;
    EXPECT_GT(a.grad().abs().sum().item<double>(), 0) << "p " << p;
  }
}

TEST(InfoNce, BadInputIsRejected) {
  const torch::Tensor a = torch::zeros({4, 2});
  EXPECT_THROW(infonce_loss(a, torch::zeros({3, 2}), {}), ShapeError);
  EXPECT_THROW(infonce_loss(a, a, {.tau = 0}), InvalidArgument);
  EXPECT_THROW(infonce_loss(a, a, {.loss = ContrastiveLoss::kLp, .p = 0}), InvalidArgument);
  EXPECT_THROW(infonce_loss(a, a, {.loss = ContrastiveLoss::kSupervised}), InvalidArgument);
  EXPECT_THROW(parse_contrastive_loss("triplet"), InvalidArgument);
}

}  // namespace
}  // namespace robustlab::representation
