// The backend concepts of robustlab's tensor layer, the C++ analogue of EagerPy (Rauber, Bethge
// and Brendel, "EagerPy: Writing Code That Works Natively with PyTorch, TensorFlow, JAX, and
// NumPy", arXiv:2008.04175; design notes in ../shared/reference/eager_style.md §A7-A9). A backend
// is a stateless struct of static functions over its native types; numeric code is written once
// against Tensor<B> (tensor.h) and runs natively on every backend, with no virtual dispatch.
// Only backends with reverse-mode autodiff model Differentiable, so asking xtensor for a gradient
// is a compile-time error, as asking NumPy is a run-time error in EagerPy.
#pragma once

#include <concepts>
#include <cstdint>
#include <vector>

namespace robustlab::tensor {

using Shape = std::vector<int64_t>;
/// Reduction axes; empty means all axes. Negative axes count from the end.
using Axes = std::vector<int64_t>;

/// What a backend provides: native value, boolean mask and int64 index types, and the ~40
/// operations of tensor.h (checked here on a representative subset; a missing one is a compile
/// error where it is used).
template <class B>
concept Backend = requires(const typename B::value& x, const typename B::mask& m, const typename B::index& i,
                           const Shape& shape, const Axes& axes, double s, int64_t k) {
  typename B::value;
  typename B::mask;
  typename B::index;
  { B::name } -> std::convertible_to<const char*>;
  { B::shape(x) } -> std::same_as<Shape>;
  { B::mask_shape(m) } -> std::same_as<Shape>;
  { B::abs(x) } -> std::same_as<typename B::value>;
  { B::add(x, x) } -> std::same_as<typename B::value>;
  { B::add_scalar(x, s) } -> std::same_as<typename B::value>;
  { B::less(x, x) } -> std::same_as<typename B::mask>;
  { B::where(m, x, x) } -> std::same_as<typename B::value>;
  { B::sum(x, axes, true) } -> std::same_as<typename B::value>;
  { B::argmax(x, k) } -> std::same_as<typename B::index>;
  { B::reshape(x, shape) } -> std::same_as<typename B::value>;
  { B::from_vector(shape, std::vector<float>{}) } -> std::same_as<typename B::value>;
  { B::to_vector(x) } -> std::same_as<std::vector<double>>;
  { B::item(x) } -> std::same_as<double>;
  { B::index_to_vector(i) } -> std::same_as<std::vector<int64_t>>;
};

/// A backend with reverse-mode automatic differentiation (LibTorch).
template <class B>
concept Differentiable = Backend<B> && requires { typename B::differentiable_tag; };

}  // namespace robustlab::tensor
