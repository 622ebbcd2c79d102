// Lp norms over chosen axes, as EagerPy's norms module (arXiv:2008.04175): l0 counts non-zero
// entries (in the tensor's dtype), l1 sums magnitudes, l2 is the Euclidean norm, linf the largest
// magnitude, and lp the general p-norm. Written once for every backend.
#pragma once

#include <cmath>
#include <limits>

#include "robustlab/tensor/tensor.h"

namespace robustlab::tensor::norms {

template <Backend B>
Tensor<B> l0(const Tensor<B>& x, const Axes& axes = {}, bool keepdims = false) {
  return (x != 0.0).as(x).sum(axes, keepdims);
}
namespace detail {
/// A backend may offer a fused norm kernel, B::norm(x, p, axes, keepdims) for p in {1, 2, inf};
/// otherwise the norm is composed from elementwise ops and a reduction.
template <class B>
concept FusedNorm = requires(const typename B::value& x, const Axes& axes) {
  { B::norm(x, 2.0, axes, true) } -> std::same_as<typename B::value>;
};
}  // namespace detail

template <Backend B>
Tensor<B> l1(const Tensor<B>& x, const Axes& axes = {}, bool keepdims = false) {
  if constexpr (detail::FusedNorm<B>) {
    return Tensor<B>(B::norm(x.raw(), 1.0, normalize_axes(axes, x.ndim(), "l1"), keepdims));
  } else {
    return x.abs().sum(axes, keepdims);
  }
}
template <Backend B>
Tensor<B> l2(const Tensor<B>& x, const Axes& axes = {}, bool keepdims = false) {
  if constexpr (detail::FusedNorm<B>) {
    return Tensor<B>(B::norm(x.raw(), 2.0, normalize_axes(axes, x.ndim(), "l2"), keepdims));
  } else {
    return x.square().sum(axes, keepdims).sqrt();
  }
}
template <Backend B>
Tensor<B> linf(const Tensor<B>& x, const Axes& axes = {}, bool keepdims = false) {
  if constexpr (detail::FusedNorm<B>) {
    return Tensor<B>(B::norm(x.raw(), std::numeric_limits<double>::infinity(), normalize_axes(axes, x.ndim(), "linf"),
                             keepdims));
  } else {
    return x.abs().max(axes, keepdims);
  }
}
/// p = 0, 1, 2 and infinity go to the functions above; any other p > 0 is (sum |x|^p)^(1/p).
template <Backend B>
Tensor<B> lp(const Tensor<B>& x, double p, const Axes& axes = {}, bool keepdims = false) {
  if (p == 0) return l0(x, axes, keepdims);
  if (p == 1) return l1(x, axes, keepdims);
  if (p == 2) return l2(x, axes, keepdims);
  if (std::isinf(p) && p > 0) return linf(x, axes, keepdims);
  if (!(p > 0)) throw InvalidArgument("lp: p must be 0 or positive, got " + std::to_string(p));
  return x.abs().pow(p).sum(axes, keepdims).pow(1.0 / p);
}

/// The p-norm of every sample of a batch x: [N, ...] -> [N].
template <Backend B>
Tensor<B> per_sample(const Tensor<B>& x, double p) {
  return lp(x.flatten(1), p, {1});
}

}  // namespace robustlab::tensor::norms
