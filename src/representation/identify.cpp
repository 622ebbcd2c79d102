// The contrastive-identifiability experiment and the synthetic table (see identify.h).
#include "robustlab/representation/identify.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "robustlab/core/error.h"
#include "robustlab/core/progress.h"
#include "robustlab/models/device.h"
#include "robustlab/representation/metrics.h"

namespace robustlab::representation {
namespace {

struct Scores {
  double r2, mcc;
};

Scores score(const torch::Tensor& z, const torch::Tensor& h) {
  return {linear_r2(z, h), mcc_pearson(z, h).mcc};
}

std::pair<double, double> mean_sd(const std::vector<double>& v) {
  double mean = 0, var = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double x : v) var += (x - mean) * (x - mean);
  return {mean, std::sqrt(var / static_cast<double>(v.size()))};
}

}  // namespace

void IdentifyOptions::validate() const {
  latents.validate();
  loss.validate();
  if (batch_size < 2) throw InvalidArgument("identify: batch size must be at least 2, got " + std::to_string(batch_size));
  if (steps < 1) throw InvalidArgument("identify: steps must be >= 1, got " + std::to_string(steps));
  if (!(lr > 0)) throw InvalidArgument("identify: the learning rate must be positive, got " + std::to_string(lr));
  if (log_every < 1 || log_samples < 2 || eval_batches < 1) {
    throw InvalidArgument("identify: log_every and eval_batches must be >= 1 and log_samples >= 2");
  }
  if (mixing_layers < 1 || cond_iterations < 1) {
    throw InvalidArgument("identify: the mixing network needs >= 1 layer and >= 1 condition-number draw");
  }
}

OutputNormalization IdentifyOptions::output_normalization() const {
  if (normalization) return *normalization;
  return loss.loss == ContrastiveLoss::kDot ? OutputNormalization::kFixedSphere : OutputNormalization::kNone;
}

IdentifyResult run_identify(const IdentifyOptions& o, const std::function<void(const CurvePoint&)>& on_log,
                            Progress* progress) {
  o.validate();
  const int64_t n = o.latents.n;
  const LatentSpace space(o.latents);
  const MixingNetwork g = make_mixing_network(
      {.n = n, .layers = o.mixing_layers, .cond_iterations = o.cond_iterations, .seed = o.seed}, o.cache_dir);
  torch::manual_seed(o.seed);  // the encoder's initialisation
  Encoder f(EncoderOptions{.n_in = n, .n_out = n, .normalization = o.output_normalization()});
  // The latents and g run on the CPU (g is fixed, small, and cached); the encoder f trains on the
  // default device, and its codes come back to the CPU for the scores.
  const torch::Device device = default_device();
  f->to(device);
  torch::Generator gen = at::detail::createCPUGenerator(o.seed + 1);
  torch::optim::Adam optimizer(f->parameters(), torch::optim::AdamOptions(o.lr));
  auto h = [&](const torch::Tensor& z) { return f->forward(to_device(g.forward(z), device)); };

  IdentifyResult result;
  result.threshold = g.threshold;
  {
    const torch::Tensor z = space.sample_marginal(o.log_samples, gen);
    const Scores s = score(z, g.forward(z));
    result.g_r2 = s.r2;
    result.g_mcc = s.mcc;
  }
  const auto start = std::chrono::steady_clock::now();
  double loss_sum = 0;
  int64_t loss_count = 0;
  for (int64_t step = 1; step <= o.steps; ++step) {
    const torch::Tensor z1 = space.sample_marginal(o.batch_size, gen);
    optimizer.zero_grad();
    torch::Tensor loss;
    if (o.loss.loss == ContrastiveLoss::kSupervised) {
      loss = torch::mse_loss(h(z1), to_device(z1, device));
    } else {
      const torch::Tensor z2 = space.sample_conditional(z1, gen);
      // One pass through f for both views (the same numbers as two passes, one matrix product).
      const torch::Tensor both = h(torch::cat({z1, z2}));
      loss = infonce_loss(both.narrow(0, 0, o.batch_size), both.narrow(0, o.batch_size, o.batch_size), o.loss).mean();
    }
    loss.backward();
    optimizer.step();
    const double value = loss.item<double>();
    if (!std::isfinite(value)) {
      throw NumericalError("identify: the loss became " + std::to_string(value) + " at step " + std::to_string(step));
    }
    loss_sum += value;
    ++loss_count;
    // cl-ica logs at steps 1, 1 + log_every, ... and at the last step.
    if (step % o.log_every == 1 % o.log_every || step == o.steps) {
      torch::NoGradGuard no_grad;
      const torch::Tensor z = space.sample_marginal(o.log_samples, gen);
      const Scores s = score(z, h(z).cpu());
      result.curve.push_back({step, loss_sum / static_cast<double>(loss_count), s.r2, s.mcc});
      loss_sum = 0;
      loss_count = 0;
      if (on_log) on_log(result.curve.back());
    }
    if (progress) progress->advance();
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  torch::NoGradGuard no_grad;
  std::vector<double> r2, mcc;
  for (int64_t b = 0; b < o.eval_batches; ++b) {
    const torch::Tensor z = space.sample_marginal(o.batch_size, gen);
    const Scores s = score(z, h(z).cpu());
    r2.push_back(s.r2);
    mcc.push_back(s.mcc);
  }
  std::tie(result.r2_mean, result.r2_sd) = mean_sd(r2);
  std::tie(result.mcc_mean, result.mcc_sd) = mean_sd(mcc);
  return result;
}

std::vector<SyntheticRow> synthetic_table(int64_t n, int64_t batch_size, int64_t steps, uint64_t seed) {
  const double none = std::numeric_limits<double>::quiet_NaN();
  using D = DistributionKind;
  // tau: the model family matched to the conditional, as the theory's critic −‖·‖_p^p/λ^p (vMF:
  // κ·a·b, so τ = 1/κ; Laplace λ: τ = λ; Normal σ: τ = 2σ²; generalised normal: τ = λ^p). An
  // unnormalised encoder can absorb τ by scaling its output, but only after many steps.
  auto make = [&](const std::string& name, SpaceKind space, Distribution marginal, Distribution conditional,
                  ContrastiveLoss loss, double p, double tau, const std::string& metric, double published,
                  bool matching) {
    SyntheticRow row{name, {}, metric, published, matching};
    row.options.latents = {.space = space, .n = n, .marginal = marginal, .conditional = conditional};
    row.options.loss = {.loss = loss, .p = p, .tau = tau};
    row.options.batch_size = batch_size;
    row.options.steps = steps;
    row.options.lr = 1e-3;
    row.options.seed = seed;
    return row;
  };
  const Distribution uniform{D::kUniform, 1.0};
  return {
      make("sphere, vMF(κ=1) → dot, τ=1", SpaceKind::kSphere, uniform, {D::kVmf, 1.0}, ContrastiveLoss::kDot, 0, 1.0,
           "r2", 99.42, true),
      make("sphere, vMF(κ=10) → dot, τ=0.1", SpaceKind::kSphere, uniform, {D::kVmf, 10.0}, ContrastiveLoss::kDot, 0,
           0.1, "r2", none, true),
      make("sphere, Laplace(λ=0.05) → dot, τ=0.1", SpaceKind::kSphere, uniform, {D::kLaplace, 0.05},
           ContrastiveLoss::kDot, 0, 0.1, "r2", none, false),
      make("sphere, Normal(σ=0.05) → dot, τ=0.1", SpaceKind::kSphere, uniform, {D::kNormal, 0.05},
           ContrastiveLoss::kDot, 0, 0.1, "r2", none, false),
      make("box, Laplace(λ=0.05) → L1", SpaceKind::kBox, uniform, {D::kLaplace, 0.05}, ContrastiveLoss::kLp, 1.0, 0.05,
           "mcc", 98.6, true),
      make("box, GenNorm(β=3, λ=0.05) → L3", SpaceKind::kBox, uniform, {D::kGenNormal, 0.05, 3.0},
           ContrastiveLoss::kLp, 3.0, 0.05 * 0.05 * 0.05, "mcc", 99.9, true),
      make("box, Normal(σ=0.05) → L2", SpaceKind::kBox, uniform, {D::kNormal, 0.05}, ContrastiveLoss::kLp, 2.0,
           2 * 0.05 * 0.05, "mcc", none, false),
      make("R^n, Laplace marginal, Laplace(λ=0.05) → L1", SpaceKind::kUnbounded, {D::kLaplace, 1.0},
           {D::kLaplace, 0.05}, ContrastiveLoss::kLp, 1.0, 0.05, "mcc", none, true),
      make("R^n, Normal marginal, Normal(σ=0.05) → L2 (control)", SpaceKind::kUnbounded, {D::kNormal, 1.0},
           {D::kNormal, 0.05}, ContrastiveLoss::kLp, 2.0, 2 * 0.05 * 0.05, "mcc", none, false),
  };
}

}  // namespace robustlab::representation
