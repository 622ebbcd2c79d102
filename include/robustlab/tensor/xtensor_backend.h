// The xtensor backend of the tensor layer (see backend.h): float32 arrays in the role NumPy plays
// for EagerPy, the reference the conformance suite compares LibTorch against. xtensor has no
// autodiff, so this backend is not Differentiable. Sorting is stable (ties keep their order), as
// on the LibTorch backend, so both agree on argsort with repeated values.
#pragma once

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xindex_view.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>
#include <xtensor/xsort.hpp>
#include <xtensor/xstrided_view.hpp>
#include <xtensor/xview.hpp>

#include <algorithm>
#include <numeric>

#include "robustlab/tensor/backend.h"
#include "robustlab/tensor/tensor.h"

namespace robustlab::tensor {

struct XtBackend {
  using value = xt::xarray<float>;
  using mask = xt::xarray<bool>;
  using index = xt::xarray<int64_t>;
  static constexpr const char* name = "xtensor";

  static Shape shape(const value& x) { return {x.shape().begin(), x.shape().end()}; }
  static Shape mask_shape(const mask& m) { return {m.shape().begin(), m.shape().end()}; }
  static Shape index_shape(const index& i) { return {i.shape().begin(), i.shape().end()}; }

  static value from_vector(const Shape& shape, const std::vector<float>& data) {
    value out = xt::adapt(data, std::vector<size_t>(shape.begin(), shape.end()));
    return out;
  }
  static std::vector<double> to_vector(const value& x) { return std::vector<double>(x.begin(), x.end()); }
  static double item(const value& x) { return static_cast<double>(*x.begin()); }
  static std::vector<int64_t> index_to_vector(const index& i) { return std::vector<int64_t>(i.begin(), i.end()); }
  static std::vector<bool> mask_to_vector(const mask& m) { return std::vector<bool>(m.begin(), m.end()); }
  static value zeros_like(const value& x) { return xt::zeros_like(x); }
  static value ones_like(const value& x) { return xt::ones_like(x); }
  static value full_like(const value& x, double v) { return xt::full_like(x, static_cast<float>(v)); }
  static value zeros(const value&, const Shape& shape) { return xt::zeros<float>(std::vector<size_t>(shape.begin(), shape.end())); }
  static value arange(const value&, int64_t n) { return xt::arange<float>(static_cast<float>(n)); }

  static value abs(const value& x) { return xt::abs(x); }
  static value neg(const value& x) { return -x; }
  static value square(const value& x) { return xt::square(x); }
  static value sqrt(const value& x) { return xt::sqrt(x); }
  static value exp(const value& x) { return xt::exp(x); }
  static value log(const value& x) { return xt::log(x); }
  static value sign(const value& x) { return xt::sign(x); }
  static value floor(const value& x) { return xt::floor(x); }
  static value pow(const value& x, double p) { return xt::pow(x, static_cast<float>(p)); }
  static value add(const value& a, const value& b) { return a + b; }
  static value sub(const value& a, const value& b) { return a - b; }
  static value mul(const value& a, const value& b) { return a * b; }
  static value div(const value& a, const value& b) { return a / b; }
  static value add_scalar(const value& a, double s) { return a + static_cast<float>(s); }
  static value mul_scalar(const value& a, double s) { return a * static_cast<float>(s); }
  static value rsub_scalar(double s, const value& a) { return static_cast<float>(s) - a; }
  static value rdiv_scalar(double s, const value& a) { return static_cast<float>(s) / a; }
  static value minimum(const value& a, const value& b) { return xt::minimum(a, b); }
  static value maximum(const value& a, const value& b) { return xt::maximum(a, b); }
  static value clip(const value& x, double lo, double hi) {
    return xt::clip(x, static_cast<float>(lo), static_cast<float>(hi));
  }
  static value where(const mask& m, const value& a, const value& b) { return xt::where(m, a, b); }
  // Fused kernels: one expression, evaluated once, instead of one array per elementwise step.
  static value clip_symmetric(const value& x, const value& e) { return xt::minimum(xt::maximum(x, -e), e); }
  static value norm(const value& x, double p, const Axes& axes, bool keepdims) {
    if (p == 1) return reduce(x, axes, keepdims, Expr{[](const auto& e, const auto& a, auto o) { return xt::sum(xt::abs(e), a, o); }});
    if (p == 2) {
      return reduce(x, axes, keepdims,
                    Expr{[](const auto& e, const auto& a, auto o) { return xt::sqrt(xt::sum(xt::square(e), a, o)); }});
    }
    return reduce(x, axes, keepdims, Expr{[](const auto& e, const auto& a, auto o) { return xt::amax(xt::abs(e), a, o); }});
  }

  static mask less(const value& a, const value& b) { return xt::less(a, b); }
  static mask less_equal(const value& a, const value& b) { return xt::less_equal(a, b); }
  static mask equal(const value& a, const value& b) { return xt::equal(a, b); }
  static mask less_scalar(const value& a, double s) { return xt::less(a, static_cast<float>(s)); }
  static mask greater_scalar(const value& a, double s) { return xt::greater(a, static_cast<float>(s)); }
  static mask equal_scalar(const value& a, double s) { return xt::equal(a, static_cast<float>(s)); }
  static mask logical_and(const mask& a, const mask& b) { return a && b; }
  static mask logical_or(const mask& a, const mask& b) { return a || b; }
  static mask logical_not(const mask& a) { return !a; }
  static bool all(const mask& m) { return xt::all(m); }
  static bool any(const mask& m) { return xt::any(m); }
  static value mask_to_value(const mask& m, const value&) { return xt::cast<float>(m); }
  static value index_to_value(const index& i, const value&) { return xt::cast<float>(i); }

  static value sum(const value& x, const Axes& axes, bool keepdims) {
    return reduce(x, axes, keepdims, Expr{[](const auto& e, const auto& a, auto o) { return xt::sum(e, a, o); }});
  }
  static value mean(const value& x, const Axes& axes, bool keepdims) {
    return reduce(x, axes, keepdims, Expr{[](const auto& e, const auto& a, auto o) { return xt::mean(e, a, o); }});
  }
  static value max(const value& x, const Axes& axes, bool keepdims) {
    return reduce(x, axes, keepdims, Expr{[](const auto& e, const auto& a, auto o) { return xt::amax(e, a, o); }});
  }
  static value min(const value& x, const Axes& axes, bool keepdims) {
    return reduce(x, axes, keepdims, Expr{[](const auto& e, const auto& a, auto o) { return xt::amin(e, a, o); }});
  }
  static index argmax(const value& x, int64_t axis) { return xt::cast<int64_t>(xt::argmax(x, static_cast<size_t>(axis))); }
  static value sort(const value& x, int64_t axis) { return xt::sort(x, static_cast<std::ptrdiff_t>(axis)); }
  static index argsort(const value& x, int64_t axis) {
    // Stable argsort along `axis`: move the axis last, sort each row, move it back.
    const auto ndim = static_cast<int64_t>(x.dimension());
    Shape perm(static_cast<size_t>(ndim));
    std::iota(perm.begin(), perm.end(), 0);
    std::swap(perm[static_cast<size_t>(axis)], perm.back());
    const value moved = transpose(x, perm);
    index out(moved.shape());
    const size_t row = moved.shape().empty() ? 1 : moved.shape().back();
    for (size_t start = 0; start < moved.size(); start += row) {
      std::vector<int64_t> order(row);
      std::iota(order.begin(), order.end(), 0);
      const float* data = moved.data() + start;
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return data[a] < data[b]; });
      std::copy(order.begin(), order.end(), out.data() + start);
    }
    std::vector<size_t> back(perm.begin(), perm.end());
    return xt::transpose(out, back);
  }
  static value cumsum(const value& x, int64_t axis) { return xt::cumsum(x, static_cast<std::ptrdiff_t>(axis)); }

  static value reshape(const value& x, const Shape& shape) {
    value out = x;
    out.reshape(std::vector<size_t>(shape.begin(), shape.end()));
    return out;
  }
  static value transpose(const value& x, const Shape& perm) {
    return xt::transpose(x, std::vector<size_t>(perm.begin(), perm.end()));
  }
  static value flip(const value& x, int64_t axis) { return xt::flip(x, static_cast<size_t>(axis)); }
  static value narrow(const value& x, int64_t axis, int64_t start, int64_t length) {
    xt::xstrided_slice_vector slices(x.dimension(), xt::all());
    slices[static_cast<size_t>(axis)] = xt::range(start, start + length);
    return xt::strided_view(x, slices);
  }
  static value index_update(const value& x, const index& rows, const value& values) {
    value out = x;
    for (size_t k = 0; k < rows.size(); ++k) {
      xt::view(out, rows(k)) = xt::view(values, k);
    }
    return out;
  }

 private:
  template <class F>
  struct Expr {
    F f;
    template <class E, class O>
    auto operator()(E&& e, const std::vector<size_t>& a, O o) const { return f(e, a, o); }
  };
  template <class F>
  Expr(F) -> Expr<F>;
  template <class R>
  static value reduce(const value& x, const Axes& axes, bool keepdims, R r) {
    std::vector<size_t> a;
    if (axes.empty()) {
      a.resize(x.dimension());
      std::iota(a.begin(), a.end(), 0);
    } else {
      a.assign(axes.begin(), axes.end());
    }
    // Lazy reducers, evaluated into the returned array while `a` is alive (xtensor 0.24's
    // immediate strategy crashed on the conformance suite's axis sets).
    if (keepdims) {
      value out = r(x, a, xt::keep_dims);
      return out;
    }
    value out = r(x, a, xt::evaluation_strategy::lazy);
    return out;
  }
};

/// Wraps a native tensor; pass an rvalue to move it in without a copy.
inline Tensor<XtBackend> astensor(xt::xarray<float> raw) { return Tensor<XtBackend>(std::move(raw)); }

}  // namespace robustlab::tensor
