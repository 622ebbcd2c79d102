// The LibTorch backend of the tensor layer (see backend.h): every operation forwards to the
// corresponding ATen call; gradients through torch::autograd::grad on a detached clone (the
// pattern EagerPy settled on, eagerpy#55), never through .backward() and accumulated .grad.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <utility>

#include "robustlab/core/error.h"
#include "robustlab/tensor/backend.h"
#include "robustlab/tensor/tensor.h"

namespace robustlab::tensor {

struct TorchBackend {
  using value = torch::Tensor;
  using mask = torch::Tensor;   // kBool
  using index = torch::Tensor;  // kInt64
  struct differentiable_tag {};
  static constexpr const char* name = "torch";

  static Shape shape(const value& x) { return x.sizes().vec(); }
  static Shape mask_shape(const mask& m) { return m.sizes().vec(); }
  static Shape index_shape(const index& i) { return i.sizes().vec(); }

  // Creation from an exemplar (device and dtype come from it).
  static value from_vector(const Shape& shape, const std::vector<float>& data) {
    return torch::tensor(data, torch::kFloat32).reshape(shape);
  }
  static std::vector<double> to_vector(const value& x) {
    const auto c = x.detach().to(torch::kFloat64).contiguous();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  }
  static double item(const value& x) { return x.item<double>(); }
  static std::vector<int64_t> index_to_vector(const index& i) {
    const auto c = i.to(torch::kInt64).contiguous();
    return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
  }
  static std::vector<bool> mask_to_vector(const mask& m) {
    const auto c = m.to(torch::kBool).contiguous();
    return std::vector<bool>(c.data_ptr<bool>(), c.data_ptr<bool>() + c.numel());
  }
  static value zeros_like(const value& x) { return torch::zeros_like(x); }
  static value ones_like(const value& x) { return torch::ones_like(x); }
  static value full_like(const value& x, double v) { return torch::full_like(x, v); }
  static value zeros(const value& like, const Shape& shape) { return torch::zeros(shape, like.options()); }
  static value arange(const value& like, int64_t n) { return torch::arange(n, like.options()); }

  // Elementwise.
  static value abs(const value& x) { return x.abs(); }
  static value neg(const value& x) { return x.neg(); }
  static value square(const value& x) { return x.square(); }
  static value sqrt(const value& x) { return x.sqrt(); }
  static value exp(const value& x) { return x.exp(); }
  static value log(const value& x) { return x.log(); }
  static value sign(const value& x) { return x.sign(); }
  static value floor(const value& x) { return x.floor(); }
  static value pow(const value& x, double p) { return x.pow(p); }
  static value add(const value& a, const value& b) { return a + b; }
  static value sub(const value& a, const value& b) { return a - b; }
  static value mul(const value& a, const value& b) { return a * b; }
  static value div(const value& a, const value& b) { return a / b; }
  static value add_scalar(const value& a, double s) { return a + s; }
  static value mul_scalar(const value& a, double s) { return a * s; }
  static value rsub_scalar(double s, const value& a) { return s - a; }
  static value rdiv_scalar(double s, const value& a) { return s / a; }
  static value minimum(const value& a, const value& b) { return torch::minimum(a, b); }
  static value maximum(const value& a, const value& b) { return torch::maximum(a, b); }
  static value clip(const value& x, double lo, double hi) { return x.clamp(lo, hi); }
  static value where(const mask& m, const value& a, const value& b) { return torch::where(m, a, b); }
  // Fused kernels the generic code uses when a backend has them.
  static value norm(const value& x, double p, const Axes& axes, bool keepdims) {
    if (axes.empty()) {
      const value n = torch::linalg_vector_norm(x, p);
      return keepdims ? n.reshape(std::vector<int64_t>(static_cast<size_t>(x.dim()), 1)) : n;
    }
    return torch::linalg_vector_norm(x, p, axes, keepdims);
  }

  // Comparisons and masks.
  static mask less(const value& a, const value& b) { return a < b; }
  static mask less_equal(const value& a, const value& b) { return a <= b; }
  static mask equal(const value& a, const value& b) { return a == b; }
  static mask less_scalar(const value& a, double s) { return a < s; }
  static mask greater_scalar(const value& a, double s) { return a > s; }
  static mask equal_scalar(const value& a, double s) { return a == s; }
  static mask logical_and(const mask& a, const mask& b) { return a.logical_and(b); }
  static mask logical_or(const mask& a, const mask& b) { return a.logical_or(b); }
  static mask logical_not(const mask& a) { return a.logical_not(); }
  static bool all(const mask& m) { return m.all().item<bool>(); }
  static bool any(const mask& m) { return m.any().item<bool>(); }
  static value mask_to_value(const mask& m, const value& like) { return m.to(like.scalar_type()); }
  static value index_to_value(const index& i, const value& like) { return i.to(like.scalar_type()); }

  // Reductions (axes already normalised and non-empty, or empty for all).
  static value sum(const value& x, const Axes& axes, bool keepdims) {
    return axes.empty() ? (keepdims ? x.sum().reshape(ones(x.dim())) : x.sum()) : x.sum(axes, keepdims);
  }
  static value mean(const value& x, const Axes& axes, bool keepdims) {
    return axes.empty() ? (keepdims ? x.mean().reshape(ones(x.dim())) : x.mean()) : x.mean(axes, keepdims);
  }
  static value max(const value& x, const Axes& axes, bool keepdims) {
    return axes.empty() ? (keepdims ? x.max().reshape(ones(x.dim())) : x.max()) : x.amax(axes, keepdims);
  }
  static value min(const value& x, const Axes& axes, bool keepdims) {
    return axes.empty() ? (keepdims ? x.min().reshape(ones(x.dim())) : x.min()) : x.amin(axes, keepdims);
  }
  static index argmax(const value& x, int64_t axis) { return x.argmax(axis); }
  static value sort(const value& x, int64_t axis) { return std::get<0>(x.sort(/*stable=*/true, axis, false)); }
  static index argsort(const value& x, int64_t axis) { return std::get<1>(x.sort(/*stable=*/true, axis, false)); }
  static value cumsum(const value& x, int64_t axis) { return x.cumsum(axis); }

  // Shape.
  static value reshape(const value& x, const Shape& shape) { return x.reshape(shape); }
  static value transpose(const value& x, const Shape& perm) { return x.permute(perm).contiguous(); }
  static value flip(const value& x, int64_t axis) { return x.flip({axis}); }
  static value narrow(const value& x, int64_t axis, int64_t start, int64_t length) {
    return x.narrow(axis, start, length).contiguous();
  }
  /// A copy of x whose rows (axis 0) at `rows` are replaced by the rows of `values`.
  static value index_update(const value& x, const index& rows, const value& values) {
    return x.index_put({rows}, values);
  }

  /// loss = f(x) (a one-element tensor) and d loss / d x, computed on a detached clone of x.
  static std::pair<value, value> value_and_grad(const std::function<value(const value&)>& f, const value& x) {
    torch::AutoGradMode enable(true);
    const value input = x.detach().clone().requires_grad_(true);
    const value loss = f(input);
    if (loss.numel() != 1) {
      throw ShapeError("value_and_grad: the function must return one value, returned " + c10::str(loss.sizes()));
    }
    // A loss that does not depend on x has no graph: its gradient is zero.
    value grad = loss.requires_grad() ? torch::autograd::grad({loss}, {input}, {}, /*retain_graph=*/false,
                                                              /*create_graph=*/false, /*allow_unused=*/true)[0]
                                      : value();
    if (!grad.defined()) grad = torch::zeros_like(input);
    return {loss.detach(), grad};
  }

 private:
  static std::vector<int64_t> ones(int64_t n) { return std::vector<int64_t>(static_cast<size_t>(n), 1); }
};

/// Wraps a native tensor without copying it (a refcounted handle).
inline Tensor<TorchBackend> astensor(torch::Tensor raw) { return Tensor<TorchBackend>(std::move(raw)); }

}  // namespace robustlab::tensor
