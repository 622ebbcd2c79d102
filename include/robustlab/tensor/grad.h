// Functional gradients, as EagerPy's value_and_grad family (arXiv:2008.04175 §3): the gradient is
// taken with respect to the first argument of a function returning a one-element tensor. Only
// Differentiable backends (LibTorch) have them; on xtensor these functions do not compile, with
// the message below, as EagerPy's NumPy backend raises NotImplementedError.
#pragma once

#include <functional>
#include <optional>
#include <tuple>
#include <utility>

#include "robustlab/tensor/tensor.h"

namespace robustlab::tensor {

namespace detail {
template <class B>
constexpr void require_gradients() {
  static_assert(Differentiable<B>,
                "robustlab::tensor: gradients need a differentiable backend (LibTorch); xtensor has no autodiff");
}
}  // namespace detail

/// (f(x), df/dx) for f: Tensor<B> -> one-element Tensor<B>.
template <class B, class F>
std::pair<Tensor<B>, Tensor<B>> value_and_grad(F&& f, const Tensor<B>& x) {
  detail::require_gradients<B>();
  if constexpr (Differentiable<B>) {
    auto [loss, grad] = B::value_and_grad(
        [&](const typename B::value& raw) { return std::forward<F>(f)(Tensor<B>(raw)).raw(); }, x.raw());
    return {Tensor<B>(std::move(loss)), Tensor<B>(std::move(grad))};
  }
}

/// (loss, aux, d loss/dx) for f: Tensor<B> -> std::pair<Tensor<B>, Aux>; aux is returned as f
/// computed it (detach it in f if it must not keep the graph alive).
template <class B, class F>
auto value_aux_and_grad(F&& f, const Tensor<B>& x) {
  detail::require_gradients<B>();
  using Aux = std::decay_t<decltype(std::forward<F>(f)(x).second)>;
  std::optional<Aux> aux;
  auto [loss, grad] = value_and_grad<B>(
      [&](const Tensor<B>& input) {
        auto result = std::forward<F>(f)(input);
        aux.emplace(std::move(result.second));
        return std::move(result.first);
      },
      x);
  return std::tuple<Tensor<B>, Aux, Tensor<B>>{std::move(loss), std::move(*aux), std::move(grad)};
}

/// A reusable function x -> (f(x), df/dx).
template <class B, class F>
auto value_and_grad_fn(F f) {
  detail::require_gradients<B>();
  return [f = std::move(f)](const Tensor<B>& x) { return value_and_grad<B>(f, x); };
}

}  // namespace robustlab::tensor
