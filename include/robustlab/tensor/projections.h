// The Lp-ball geometry of minimum-norm attacks, per sample and for every backend: projection of
// a perturbation onto the L0 ball (keep the k largest magnitudes), the L1 ball (the sort-based
// algorithm of Duchi, Shalev-Shwartz, Singer and Chandra 2008, "Efficient projections onto the
// l1-ball for learning in high dimensions", Fig. 1), the L2 ball (rescaling, with Foolbox's 1e-12
// guard) and the L-infinity ball (clipping); clip_perturbation (Foolbox's LpDistance) and box
// clipping. x is a batch [N, ...]; eps is one radius per sample, [N], or one for all.
#pragma once

#include <cmath>
#include <string>

#include "robustlab/tensor/norms.h"

namespace robustlab::tensor {

namespace detail {
/// eps as a [N] tensor checked to be non-negative and of length N.
template <Backend B>
Tensor<B> radii(const Tensor<B>& x, const Tensor<B>& eps, const char* op) {
  const Shape s = x.shape();
  if (s.empty()) throw ShapeError(std::string(op) + ": x must have a batch axis, got a scalar");
  if (eps.shape() != Shape{s[0]}) {
    throw ShapeError(std::string(op) + ": eps has shape " + to_string(eps.shape()) + ", expected [" +
                     std::to_string(s[0]) + "] for x of shape " + to_string(s));
  }
  if (s[0] > 0 && !(eps.min().item() >= 0.0)) {
    throw InvalidArgument(std::string(op) + ": negative or NaN radius in eps (smallest " + std::to_string(eps.min().item()) + ")");
  }
  return eps;
}
template <Backend B>
Tensor<B> radii(const Tensor<B>& x, double eps, const char* op) {
  if (!(eps >= 0)) throw InvalidArgument(std::string(op) + ": radius must be >= 0, got " + std::to_string(eps));
  if (x.ndim() == 0) throw ShapeError(std::string(op) + ": x must have a batch axis, got a scalar");
  return full_like(zeros(x, {x.shape()[0]}), eps);
}
}  // namespace detail

/// Clips each sample to [-eps, eps] elementwise (in one pass where the backend offers
/// B::clip_symmetric(x, e)).
template <Backend B, class E>
Tensor<B> project_linf(const Tensor<B>& x, const E& eps) {
  const Tensor<B> e = atleast_kd(detail::radii(x, eps, "project_linf"), x.ndim());
  if constexpr (requires { B::clip_symmetric(x.raw(), e.raw()); }) {
    return Tensor<B>(B::clip_symmetric(x.raw(), e.raw()));
  } else {
    return minimum(maximum(x, -e), e);
  }
}

/// Rescales each sample whose L2 norm (`norms` [N], as the caller computed it — e.g. with another
/// implementation's rounding) exceeds eps onto the sphere of radius eps.
template <Backend B, class E>
Tensor<B> project_l2(const Tensor<B>& x, const E& eps, const Tensor<B>& norms) {
  const Tensor<B> e = detail::radii(x, eps, "project_l2");
  return x * atleast_kd(minimum(e / maximum(norms, 1e-12), 1.0), x.ndim());
}

/// Rescales each sample whose L2 norm exceeds eps onto the sphere of radius eps.
template <Backend B, class E>
Tensor<B> project_l2(const Tensor<B>& x, const E& eps) {
  return project_l2(x, eps, norms::per_sample(x, 2));
}

/// The Euclidean projection of each sample onto the L1 ball of radius eps (Duchi et al. 2008):
/// with u the sorted magnitudes (descending) and c their cumulative sums, rho is the number of
/// j with u_j > (c_j - eps) / j, theta = (c_rho - eps) / rho, and the result is
/// sign(x) max(|x| - theta, 0). Samples already inside the ball are returned unchanged.
template <Backend B, class E>
Tensor<B> project_l1(const Tensor<B>& x, const E& eps) {
  const Tensor<B> e = detail::radii(x, eps, "project_l1");
  const Shape shape = x.shape();
  const Tensor<B> v = x.flatten(1).abs();  // [N, D]
  const int64_t d = v.shape()[1];
  const Tensor<B> u = v.sort(1).flip(1);
  const Tensor<B> c = u.cumsum(1);
  const Tensor<B> j = arange(x, d).reshape({1, d}) + 1.0;
  const Tensor<B> e2 = e.reshape({-1, 1});
  const Tensor<B> rho = (u * j > c - e2).as(x).sum({1}, true);  // [N,1], >= 1 when eps < ||x||_1
  const Tensor<B> c_rho = where(j == rho, c, 0.0).sum({1}, true);
  const Tensor<B> theta = maximum((c_rho - e2) / maximum(rho, 1.0), 0.0);
  // eps = 0 leaves no j with u_j > (c_j - eps) / j: the ball is the origin.
  const Tensor<B> nonzero = (e2 > 0.0).as(x);
  const Tensor<B> projected = (x.flatten(1).sign() * maximum(v - theta, 0.0) * nonzero).reshape(shape);
  const Tensor<B> inside = atleast_kd((norms::per_sample(x, 1) <= e).as(x), x.ndim());
  return where(inside > 0.5, x, projected);
}

/// Keeps the floor(eps) largest magnitudes of each sample and zeroes the rest (ties: the earlier
/// entry wins). eps at or above the sample size keeps everything; eps = 0 keeps nothing.
template <Backend B, class E>
Tensor<B> project_l0(const Tensor<B>& x, const E& eps) {
  const Tensor<B> e = detail::radii(x, eps, "project_l0");
  const Tensor<B> flat = x.flatten(1);
  // rank of each entry by descending magnitude: argsort of the argsort.
  const Tensor<B> rank = (-flat.abs()).argsort(1).as(flat).argsort(1).as(flat);
  const Tensor<B> keep = (rank < e.reshape({-1, 1}).floor()).as(flat);
  return (flat * keep).reshape(x.shape());
}

/// Dispatch on p in {0, 1, 2, inf}.
template <Backend B, class E>
Tensor<B> project(const Tensor<B>& x, double p, const E& eps) {
  if (p == 0) return project_l0(x, eps);
  if (p == 1) return project_l1(x, eps);
  if (p == 2) return project_l2(x, eps);
  if (std::isinf(p) && p > 0) return project_linf(x, eps);
  throw InvalidArgument("project: p must be 0, 1, 2 or inf, got " + std::to_string(p));
}

/// reference + the projection of (perturbed - reference) onto the Lp ball of radius eps
/// (Foolbox's LpDistance.clip_perturbation).
template <Backend B, class E>
Tensor<B> clip_perturbation(const Tensor<B>& reference, const Tensor<B>& perturbed, double p, const E& eps) {
  if (reference.shape() != perturbed.shape()) {
    throw ShapeError("clip_perturbation: reference " + to_string(reference.shape()) + " and perturbed " +
                     to_string(perturbed.shape()) + " differ in shape");
  }
  return reference + project(perturbed - reference, p, eps);
}

/// Clips every value to the input domain [lower, upper].
template <Backend B>
Tensor<B> clip_to_box(const Tensor<B>& x, double lower = 0.0, double upper = 1.0) {
  return x.clip(lower, upper);
}

}  // namespace robustlab::tensor
