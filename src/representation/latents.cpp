// Samplers of cl-ica's latent spaces (see latents.h for the paper, the reference and the rules).
// cpu (whole file): latents are drawn on a CPU generator, the same per seed on every device; the
// trainer moves what the encoder reads.
#include "robustlab/representation/latents.h"

#include <torch/torch.h>

#include <cmath>

#include "robustlab/core/error.h"

namespace robustlab::representation {
namespace {

torch::TensorOptions f32() { return torch::TensorOptions().dtype(torch::kFloat32); }
torch::TensorOptions f64() { return torch::TensorOptions().dtype(torch::kFloat64); }

torch::Tensor project_to_sphere(const torch::Tensor& x, double radius) {
  return x / x.square().sum(-1, true).sqrt() * radius;
}

/// Gamma(shape, 1) draws of the given size (LibTorch's Marsaglia–Tsang sampler).
torch::Tensor gamma(double shape, at::IntArrayRef size, torch::Generator& gen, const torch::TensorOptions& o) {
  return at::_standard_gamma(torch::full(size, shape, o), gen);
}

}  // namespace

SpaceKind parse_space(const std::string& name) {
  if (name == "sphere") return SpaceKind::kSphere;
  if (name == "box") return SpaceKind::kBox;
  if (name == "unbounded") return SpaceKind::kUnbounded;
  throw InvalidArgument("latent space: unknown space '" + name + "' (expected sphere, box or unbounded)");
}

DistributionKind parse_distribution(const std::string& name) {
  if (name == "uniform") return DistributionKind::kUniform;
  if (name == "laplace") return DistributionKind::kLaplace;
  if (name == "normal") return DistributionKind::kNormal;
  if (name == "gennorm") return DistributionKind::kGenNormal;
  if (name == "vmf") return DistributionKind::kVmf;
  throw InvalidArgument("latent space: unknown distribution '" + name +
                        "' (expected uniform, laplace, normal, gennorm or vmf)");
}

std::string to_string(SpaceKind kind) {
  switch (kind) {
    case SpaceKind::kSphere: return "sphere";
    case SpaceKind::kBox: return "box";
    default: return "unbounded";
  }
}

std::string to_string(DistributionKind kind) {
  switch (kind) {
    case DistributionKind::kUniform: return "uniform";
    case DistributionKind::kLaplace: return "laplace";
    case DistributionKind::kNormal: return "normal";
    case DistributionKind::kGenNormal: return "gennorm";
    default: return "vmf";
  }
}

void LatentSpaceOptions::validate() const {
  const std::string where = "latent space (" + to_string(space) + "): ";
  if (n < 2) throw InvalidArgument(where + "n must be at least 2, got " + std::to_string(n));
  if (space == SpaceKind::kBox && !(box_min < box_max)) {
    throw InvalidArgument(where + "the box needs min < max, got [" + std::to_string(box_min) + ", " +
                          std::to_string(box_max) + "]");
  }
  if (space == SpaceKind::kSphere && !(radius > 0)) {
    throw InvalidArgument(where + "the radius must be positive, got " + std::to_string(radius));
  }
  for (const auto& [role, d] : {std::pair{"marginal", marginal}, std::pair{"conditional", conditional}}) {
    const std::string what = where + std::string(role) + " " + to_string(d.kind);
    if (d.kind != DistributionKind::kUniform && !(d.param > 0 && std::isfinite(d.param))) {
      throw InvalidArgument(what + ": its parameter (" +
                            std::string(d.kind == DistributionKind::kVmf ? "kappa" : "scale") +
                            ") must be positive, got " + std::to_string(d.param));
    }
    if (d.kind == DistributionKind::kGenNormal && !(d.p > 0 && std::isfinite(d.p))) {
      throw InvalidArgument(what + ": the exponent p must be positive, got " + std::to_string(d.p));
    }
  }
  if (marginal.kind == DistributionKind::kVmf) {
    throw InvalidArgument(where + "vmf is a conditional only (cl-ica has no vMF marginal)");
  }
  if (conditional.kind == DistributionKind::kUniform) {
    throw InvalidArgument(where + "uniform is a marginal only; choose a conditional around each point");
  }
  if (conditional.kind == DistributionKind::kVmf && space != SpaceKind::kSphere) {
    throw InvalidArgument(where + "the vmf conditional lives on the sphere");
  }
  if (marginal.kind == DistributionKind::kUniform && space == SpaceKind::kUnbounded) {
    throw InvalidArgument(where + "there is no uniform distribution on R^n; use a laplace or normal marginal");
  }
  if (max_rejection_rounds < 1) {
    throw InvalidArgument(where + "max_rejection_rounds must be >= 1, got " + std::to_string(max_rejection_rounds));
  }
}

LatentSpace::LatentSpace(LatentSpaceOptions options) : options_(std::move(options)) { options_.validate(); }

torch::Tensor sample_laplace(const torch::Tensor& mean, double scale, torch::Generator& gen) {
  // torch.distributions.Laplace.rsample: u ~ U(eps − 1, 1), x = μ − b·sign(u)·log1p(−|u|).
  const double eps = std::numeric_limits<float>::epsilon();
  const torch::Tensor u = torch::empty(mean.sizes(), f32()).uniform_(eps - 1.0, 1.0, gen);
  return mean - scale * u.sign() * torch::log1p(-u.abs());
}

torch::Tensor sample_generalized_normal(const torch::Tensor& mean, double lambda, double p, torch::Generator& gen) {
  const torch::Tensor g = gamma(1.0 / p, mean.sizes(), gen, f32());
  const torch::Tensor sign = torch::randint(0, 2, mean.sizes(), gen, f32()) * 2 - 1;
  return mean + lambda * (sign * g.abs().pow(1.0 / p));
}

torch::Tensor sample_vmf(const torch::Tensor& mu_in, double kappa, torch::Generator& gen, int64_t max_rounds) {
  if (!(kappa > 0)) throw InvalidArgument("sample_vmf: kappa must be positive, got " + std::to_string(kappa));
  const torch::Tensor mu = mu_in.to(torch::kFloat64);
  const int64_t size = mu.size(0);
  const double d = static_cast<double>(mu.size(1) - 1);  // S^{n-1} has dimension n − 1
  const double b = d / (std::sqrt(4.0 * kappa * kappa + d * d) + 2.0 * kappa);
  const double x0 = (1.0 - b) / (1.0 + b);
  const double c = kappa * x0 + d * std::log(1.0 - x0 * x0);
  // The cosine w to the mean direction, by rejection from a Beta(d/2, d/2) proposal.
  std::vector<torch::Tensor> accepted;
  int64_t have = 0;
  for (int64_t round = 0; have < size; ++round) {
    if (round == max_rounds) {
      throw NumericalError("sample_vmf: fewer than " + std::to_string(size) + " samples accepted after " +
                           std::to_string(max_rounds) + " rejection rounds (kappa " + std::to_string(kappa) + ")");
    }
    const torch::Tensor g1 = gamma(d / 2.0, {size}, gen, f64()), g2 = gamma(d / 2.0, {size}, gen, f64());
    const torch::Tensor z = g1 / (g1 + g2);
    const torch::Tensor w = (1.0 - (1.0 + b) * z) / (1.0 - (1.0 - b) * z);
    const torch::Tensor u = torch::empty({size}, f64()).uniform_(0.0, 1.0, gen);
    const torch::Tensor ok = (kappa * w + d * torch::log(1.0 - x0 * w) - c) >= torch::log(u);
    accepted.push_back(w.masked_select(ok));
    have += accepted.back().numel();
  }
  const torch::Tensor w = torch::cat(accepted).narrow(0, 0, size).unsqueeze(1);
  // A direction orthogonal to mu: a Gaussian vector without its component along mu.
  const torch::Tensor v0 = torch::randn(mu.sizes(), gen, f64());
  const torch::Tensor along = mu * ((mu * v0).sum(1, true) / mu.norm(2, 1, true));
  const torch::Tensor v = (v0 - along) / (v0 - along).norm(2, 1, true);
  return (v * (1.0 - w.square()).sqrt() + w * mu).to(torch::kFloat32);
}

torch::Tensor LatentSpace::draw(const Distribution& dist, const torch::Tensor& mean, torch::Generator& gen) const {
  const LatentSpaceOptions& o = options_;
  auto unconstrained = [&](const torch::Tensor& m) {
    switch (dist.kind) {
      case DistributionKind::kNormal: return torch::randn(m.sizes(), gen, f32()) * dist.param + m;
      case DistributionKind::kLaplace: return sample_laplace(m, dist.param, gen);
      default: return sample_generalized_normal(m, dist.param, dist.p, gen);
    }
  };
  switch (o.space) {
    case SpaceKind::kSphere:
      if (dist.kind == DistributionKind::kVmf) return sample_vmf(mean / o.radius, dist.param, gen, o.max_rejection_rounds) * o.radius;
      return project_to_sphere(unconstrained(mean), o.radius);
    case SpaceKind::kUnbounded: return unconstrained(mean);
    default: break;
  }
  // Box: each coordinate outside [a, b] is redrawn until it lands inside.
  torch::Tensor out = torch::full(mean.sizes(), std::nan(""), f32());
  torch::Tensor done = torch::zeros(mean.sizes(), torch::kBool);
  for (int64_t round = 0; !done.all().item<bool>(); ++round) {
    if (round == o.max_rejection_rounds) {
      throw NumericalError("latent space (box): the " + to_string(dist.kind) + " draws did not land in [" +
                           std::to_string(o.box_min) + ", " + std::to_string(o.box_max) + "] within " +
                           std::to_string(o.max_rejection_rounds) + " rounds");
    }
    const torch::Tensor x = unconstrained(mean);
    const torch::Tensor take = (x >= o.box_min).logical_and(x <= o.box_max).logical_and(done.logical_not());
    out = torch::where(take, x, out);
    done = done.logical_or(take);
  }
  return out;
}

torch::Tensor LatentSpace::sample_marginal(int64_t size, torch::Generator& gen) const {
  const LatentSpaceOptions& o = options_;
  if (size < 1) throw InvalidArgument("sample_marginal: size must be >= 1, got " + std::to_string(size));
  if (o.marginal.kind == DistributionKind::kUniform) {
    if (o.space == SpaceKind::kSphere) return project_to_sphere(torch::randn({size, o.n}, gen, f32()), o.radius);
    return torch::rand({size, o.n}, gen, f32()) * (o.box_max - o.box_min) + o.box_min;
  }
  torch::Tensor eta = torch::zeros({size, o.n}, f32());
  if (o.space == SpaceKind::kSphere) eta.select(1, 0).fill_(o.radius);
  return draw(o.marginal, eta, gen);
}

torch::Tensor LatentSpace::sample_conditional(const torch::Tensor& z, torch::Generator& gen) const {
  if (z.dim() != 2 || z.size(1) != options_.n) {
    throw ShapeError("sample_conditional: z must be [N, " + std::to_string(options_.n) + "], got " +
                     c10::str(z.sizes()));
  }
  return draw(options_.conditional, z.to(torch::kFloat32), gen);
}

}  // namespace robustlab::representation
