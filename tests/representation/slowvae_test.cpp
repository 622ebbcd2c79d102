#include "robustlab/representation/slowvae.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <numbers>

#include "robustlab/core/error.h"
#include "robustlab/core/parallel.h"
#include "test_support.h"

namespace robustlab::representation {
namespace {

TEST(SlowVae, LaplaceCrossEntropyEqualsAMonteCarloEstimate) {
  // E_{z ~ N(m, s²)} [−log Laplace(z; 0, 1/λ)] = −log(λ/2) + λ E|z|.
  torch::manual_seed(0);
  const double rate = 6;
  for (const auto& [m, s] : std::vector<std::pair<double, double>>{{0.0, 1.0}, {0.7, 0.2}, {-1.5, 0.5}, {0.05, 0.01}}) {
    const torch::Tensor z = m + s * torch::randn({2000000}, torch::kFloat64);
    const double mc = -std::log(rate / 2) + rate * z.abs().mean().item<double>();
    const double closed = laplace_cross_entropy(torch::tensor({m}, torch::kFloat64),
                                                torch::tensor({2 * std::log(s)}, torch::kFloat64), rate)
                              .item<double>();
    EXPECT_NEAR(closed, mc, 3e-3 * (1 + std::abs(mc))) << m << " " << s;
  }
}

TEST(SlowVae, NormalKlIsTheClosedFormAndTheLossHasItsWeights) {
  torch::manual_seed(1);
  const torch::Tensor mu = torch::randn({8, 3}, torch::kFloat64), logvar = 0.3 * torch::randn({8, 3}, torch::kFloat64);
  const torch::Tensor x = (torch::rand({8, 1, 4, 4}) > 0.5).to(torch::kFloat64), logits = torch::randn({8, 1, 4, 4}, torch::kFloat64);
  const SlowVaeLoss l = slowvae_loss(x, logits, mu, logvar, {.beta = 2, .gamma = 3, .rate = 6});
  const double kl = (0.5 * (mu.square() + logvar.exp() - 1 - logvar)).sum(1).mean().item<double>();
  EXPECT_NEAR(l.kl_normal.item<double>(), kl, 1e-12);
  const double recon = torch::binary_cross_entropy_with_logits(logits, x, {}, {}, torch::Reduction::Sum).item<double>() / 8;
  EXPECT_NEAR(l.recon.item<double>(), recon, 1e-12);
  // The Laplace term: both directions, the other frame's mean, averaged over the 4 pairs, minus H.
  const torch::Tensor m0 = mu.slice(0, 0, 8, 2), m1 = mu.slice(0, 1, 8, 2);
  const torch::Tensor v0 = logvar.slice(0, 0, 8, 2), v1 = logvar.slice(0, 1, 8, 2);
  const double ce = (laplace_cross_entropy(m0 - m1, v0, 6) + laplace_cross_entropy(m1 - m0, v1, 6)).sum(1).mean().item<double>();
  const double h = (0.5 * (logvar + std::log(2 * std::numbers::pi * std::numbers::e))).sum(1).mean().item<double>();
  EXPECT_NEAR(l.kl_laplace.item<double>(), ce - h, 1e-12);
  EXPECT_NEAR(l.total.item<double>(), 2 * recon + 2 * kl + 3 * (ce - h), 1e-9);
  EXPECT_THROW(slowvae_loss(x.narrow(0, 0, 7), logits.narrow(0, 0, 7), mu.narrow(0, 0, 7), logvar.narrow(0, 0, 7), {}),
               ShapeError);
}

TEST(SlowVae, LossGradientsMatchFiniteDifferences) {
  torch::manual_seed(2);
  const torch::Tensor x = (torch::rand({4, 1, 3, 3}) > 0.5).to(torch::kFloat64);
  const torch::Tensor logits = torch::randn({4, 1, 3, 3}, torch::kFloat64).requires_grad_();
  const torch::Tensor mu = torch::randn({4, 2}, torch::kFloat64).requires_grad_();
  const torch::Tensor logvar = (0.2 * torch::randn({4, 2}, torch::kFloat64)).requires_grad_();
  const SlowVaeLossOptions o;
  slowvae_loss(x, logits, mu, logvar, o).total.backward();
  for (torch::Tensor* p : {const_cast<torch::Tensor*>(&mu), const_cast<torch::Tensor*>(&logvar), const_cast<torch::Tensor*>(&logits)}) {
    const torch::Tensor flat = p->detach().view({-1});
    for (int64_t k = 0; k < flat.numel(); k += 3) {
      const double eps = 1e-6, keep = flat[k].item<double>();
      auto value = [&] {
        torch::NoGradGuard no_grad;
        return slowvae_loss(x, logits.detach(), mu.detach(), logvar.detach(), o).total.item<double>();
      };
      flat[k] = keep + eps;
      const double up = value();
      flat[k] = keep - eps;
      const double down = value();
      flat[k] = keep;
      EXPECT_NEAR(p->grad().view({-1})[k].item<double>(), (up - down) / (2 * eps), 1e-5) << k;
    }
  }
}

TEST(SlowVae, TheNetworkHasTheReferenceShapesAndInit) {
  torch::manual_seed(3);
  BetaVae vae(10, 1);
  const auto [mu, logvar] = vae->encode(torch::rand({3, 1, 64, 64}));
  EXPECT_EQ(mu.sizes(), (torch::IntArrayRef{3, 10}));
  EXPECT_EQ(logvar.sizes(), (torch::IntArrayRef{3, 10}));
  EXPECT_EQ(vae->decode(mu).sizes(), (torch::IntArrayRef{3, 1, 64, 64}));
  int64_t convs = 0, transposed = 0;
  for (auto& m : vae->modules(false)) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      ++convs;
      EXPECT_EQ(c->bias.abs().sum().item<double>(), 0.0);
      const double fan_in = static_cast<double>(c->weight[0].numel());
      EXPECT_NEAR(c->weight.std().item<double>(), std::sqrt(2 / fan_in), 0.35 * std::sqrt(2 / fan_in));  // kaiming normal
    }
    if (auto* t = m->as<torch::nn::ConvTranspose2d>()) {
      ++transposed;
      EXPECT_GT(t->bias.abs().sum().item<double>(), 0.0);  // PyTorch's default init, as the reference leaves it
    }
  }
  EXPECT_EQ(convs, 5);
  EXPECT_EQ(transposed, 5);
}

TEST(SlowVae, ResumingGivesTheSameModelAsTrainingStraight) {
  set_threads(1);
  testing::TempDir dir;
  SlowVaeTrainOptions o;
  o.batch_pairs = 2;
  o.steps = 4;
  o.log_every = 1;
  o.checkpoint_every = 1;
  o.checkpoint = dir / "straight.ckpt";
  BetaVae straight = train_slowvae(o);
  o.checkpoint = dir / "halves.ckpt";
  o.steps = 2;
  train_slowvae(o);
  o.steps = 4;
  std::vector<int64_t> logged;
  BetaVae resumed = train_slowvae(o, [&](const TrainPoint& p) { logged.push_back(p.step); });
  EXPECT_EQ(logged, (std::vector<int64_t>{3, 4}));
  const auto a = straight->parameters(), b = resumed->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) EXPECT_TRUE(a[k].equal(b[k])) << "parameter " << k;
  // A checkpoint of other settings is refused; load_slowvae reads the trained model back.
  o.z_dim = 6;
  EXPECT_THROW(train_slowvae(o), InvalidArgument);
  const auto [loaded, options] = load_slowvae(dir / "halves.ckpt");
  EXPECT_TRUE(loaded->parameters()[0].equal(b[0]));
  EXPECT_NE(options.find("\"z_dim\":10"), std::string::npos);
}

}  // namespace
}  // namespace robustlab::representation
