// Tensor<B>: numeric code written once for every backend, with method chaining
// (x.flatten(1).abs().sum({1})), as EagerPy's Tensor (arXiv:2008.04175). A Tensor owns its
// backend's native value (a refcounted handle for LibTorch, so wrapping and .raw() copy nothing;
// an xtensor array moves in and out). Shapes and axes are checked here, once for all backends,
// so a mismatch is the same one-line ShapeError whatever the backend.
#pragma once

#include <algorithm>
#include <string>
#include <utility>

#include "robustlab/core/error.h"
#include "robustlab/tensor/backend.h"

namespace robustlab::tensor {

std::string to_string(const Shape& shape);

/// The broadcast shape of a and b (NumPy rules); throws ShapeError naming `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

/// Axes made non-negative and checked against ndim; throws ShapeError naming `op`.
Axes normalize_axes(const Axes& axes, int64_t ndim, const char* op);
int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op);

template <Backend B>
class Mask;
template <Backend B>
class Index;

template <Backend B>
class Tensor {
 public:
  using backend = B;
  using native = typename B::value;

  Tensor() = default;
  explicit Tensor(native raw) : raw_(std::move(raw)) {}

  const native& raw() const& { return raw_; }
  native raw() && { return std::move(raw_); }

  Shape shape() const { return B::shape(raw_); }
  int64_t ndim() const { return static_cast<int64_t>(shape().size()); }
  /// The value of a one-element tensor.
  double item() const {
    if (numel() != 1) throw ShapeError("item: tensor of shape " + to_string(shape()) + " has not exactly one element");
    return B::item(raw_);
  }
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape()) n *= d;
    return n;
  }

  // Elementwise.
  Tensor abs() const { return Tensor(B::abs(raw_)); }
  Tensor square() const { return Tensor(B::square(raw_)); }
  Tensor sqrt() const { return Tensor(B::sqrt(raw_)); }
  Tensor exp() const { return Tensor(B::exp(raw_)); }
  Tensor log() const { return Tensor(B::log(raw_)); }
  Tensor sign() const { return Tensor(B::sign(raw_)); }
  Tensor floor() const { return Tensor(B::floor(raw_)); }
  Tensor pow(double p) const { return Tensor(B::pow(raw_, p)); }
  Tensor clip(double lo, double hi) const {
    if (lo > hi) throw InvalidArgument("clip: lower bound " + std::to_string(lo) + " exceeds upper bound " + std::to_string(hi));
    return Tensor(B::clip(raw_, lo, hi));
  }
  Tensor operator-() const { return Tensor(B::neg(raw_)); }

  // Reductions.
  Tensor sum(const Axes& axes = {}, bool keepdims = false) const {
    return Tensor(B::sum(raw_, normalize_axes(axes, ndim(), "sum"), keepdims));
  }
  Tensor mean(const Axes& axes = {}, bool keepdims = false) const {
    return Tensor(B::mean(raw_, normalize_axes(axes, ndim(), "mean"), keepdims));
  }
  Tensor max(const Axes& axes = {}, bool keepdims = false) const {
    return Tensor(B::max(raw_, normalize_axes(axes, ndim(), "max"), keepdims));
  }
  Tensor min(const Axes& axes = {}, bool keepdims = false) const {
    return Tensor(B::min(raw_, normalize_axes(axes, ndim(), "min"), keepdims));
  }
  Index<B> argmax(int64_t axis = -1) const { return Index<B>(B::argmax(raw_, normalize_axis(axis, ndim(), "argmax"))); }
  Tensor sort(int64_t axis = -1) const { return Tensor(B::sort(raw_, normalize_axis(axis, ndim(), "sort"))); }
  Index<B> argsort(int64_t axis = -1) const {
    return Index<B>(B::argsort(raw_, normalize_axis(axis, ndim(), "argsort")));
  }
  /// The k largest values along `axis`, largest first.
  Tensor topk(int64_t k, int64_t axis = -1) const {
    const int64_t a = normalize_axis(axis, ndim(), "topk");
    if (k < 1 || k > shape()[static_cast<size_t>(a)]) {
      throw ShapeError("topk: k = " + std::to_string(k) + " for an axis of length " +
                       std::to_string(shape()[static_cast<size_t>(a)]));
    }
    return Tensor(B::narrow(B::flip(B::sort(raw_, a), a), a, 0, k));
  }
  Tensor cumsum(int64_t axis = -1) const { return Tensor(B::cumsum(raw_, normalize_axis(axis, ndim(), "cumsum"))); }

  // Shape.
  Tensor reshape(const Shape& shape) const {
    int64_t n = 1, unknown = -1;
    Shape s = shape;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == -1 && unknown < 0) {
        unknown = static_cast<int64_t>(i);
      } else {
        n *= s[i];
      }
    }
    if (unknown >= 0 && n > 0 && numel() % n == 0) s[static_cast<size_t>(unknown)] = numel() / n;
    int64_t m = 1;
    for (int64_t d : s) m *= d;
    if (m != numel() || std::any_of(s.begin(), s.end(), [](int64_t d) { return d < 0; })) {
      throw ShapeError("reshape: cannot reshape " + to_string(this->shape()) + " to " + to_string(shape));
    }
    return Tensor(B::reshape(raw_, s));
  }
  /// Merges axes start..end into one (end -1: the last axis).
  Tensor flatten(int64_t start = 0, int64_t end = -1) const {
    const Shape s = shape();
    const int64_t n = static_cast<int64_t>(s.size());
    if (n == 0) return reshape({1});
    const int64_t a = normalize_axis(start, n, "flatten"), b = normalize_axis(end, n, "flatten");
    if (a > b) throw ShapeError("flatten: start axis " + std::to_string(start) + " after end axis " + std::to_string(end));
    Shape out(s.begin(), s.begin() + a);
    int64_t merged = 1;
    for (int64_t i = a; i <= b; ++i) merged *= s[static_cast<size_t>(i)];
    out.push_back(merged);
    out.insert(out.end(), s.begin() + b + 1, s.end());
    return Tensor(B::reshape(raw_, out));
  }
  Tensor transpose(const Shape& perm) const {
    const Shape s = shape();
    Shape sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (sorted.size() != s.size() || sorted[i] != static_cast<int64_t>(i)) {
        throw ShapeError("transpose: " + to_string(perm) + " is not a permutation of the axes of " + to_string(s));
      }
    }
    return Tensor(B::transpose(raw_, perm));
  }
  Tensor flip(int64_t axis) const { return Tensor(B::flip(raw_, normalize_axis(axis, ndim(), "flip"))); }

  // Comparisons give masks.
  Mask<B> operator<(const Tensor& o) const { return Mask<B>(B::less(raw_, o.checked(*this, "<"))); }
  Mask<B> operator<=(const Tensor& o) const { return Mask<B>(B::less_equal(raw_, o.checked(*this, "<="))); }
  Mask<B> operator>(const Tensor& o) const { return o < *this; }
  Mask<B> operator>=(const Tensor& o) const { return o <= *this; }
  Mask<B> operator==(const Tensor& o) const { return Mask<B>(B::equal(raw_, o.checked(*this, "=="))); }
  Mask<B> operator!=(const Tensor& o) const { return !(*this == o); }
  Mask<B> operator<(double s) const { return Mask<B>(B::less_scalar(raw_, s)); }
  Mask<B> operator>(double s) const { return Mask<B>(B::greater_scalar(raw_, s)); }
  Mask<B> operator==(double s) const { return Mask<B>(B::equal_scalar(raw_, s)); }
  Mask<B> operator!=(double s) const { return !(*this == s); }
  Mask<B> operator<=(double s) const { return !(*this > s); }
  Mask<B> operator>=(double s) const { return !(*this < s); }

  /// The raw value of `this`, after checking that it broadcasts with `other` for `op`.
  const native& checked(const Tensor& other, const char* op) const {
    broadcast_shapes(other.shape(), shape(), op);
    return raw_;
  }

 private:
  native raw_;
};

/// A boolean tensor (comparison results, per-sample success flags).
template <Backend B>
class Mask {
 public:
  explicit Mask(typename B::mask raw) : raw_(std::move(raw)) {}
  const typename B::mask& raw() const { return raw_; }
  Shape shape() const { return B::mask_shape(raw_); }
  bool all() const { return B::all(raw_); }
  bool any() const { return B::any(raw_); }
  Mask operator&&(const Mask& o) const { return Mask(B::logical_and(raw_, o.raw_)); }
  Mask operator||(const Mask& o) const { return Mask(B::logical_or(raw_, o.raw_)); }
  Mask operator!() const { return Mask(B::logical_not(raw_)); }
  /// 1 where true, 0 where false, with the dtype and device of `like`.
  Tensor<B> as(const Tensor<B>& like) const { return Tensor<B>(B::mask_to_value(raw_, like.raw())); }
  std::vector<bool> to_vector() const { return B::mask_to_vector(raw_); }

 private:
  typename B::mask raw_;
};

/// An int64 tensor (argmax, argsort, row indices).
template <Backend B>
class Index {
 public:
  explicit Index(typename B::index raw) : raw_(std::move(raw)) {}
  const typename B::index& raw() const { return raw_; }
  Shape shape() const { return B::index_shape(raw_); }
  std::vector<int64_t> to_vector() const { return B::index_to_vector(raw_); }
  /// The indices as values, with the dtype and device of `like`.
  Tensor<B> as(const Tensor<B>& like) const { return Tensor<B>(B::index_to_value(raw_, like.raw())); }

 private:
  typename B::index raw_;
};

// Arithmetic, tensor with tensor (broadcasting) or with a scalar on either side.
template <Backend B>
Tensor<B> operator+(const Tensor<B>& a, const Tensor<B>& b) { return Tensor<B>(B::add(a.raw(), b.checked(a, "+"))); }
template <Backend B>
Tensor<B> operator-(const Tensor<B>& a, const Tensor<B>& b) { return Tensor<B>(B::sub(a.raw(), b.checked(a, "-"))); }
template <Backend B>
Tensor<B> operator*(const Tensor<B>& a, const Tensor<B>& b) { return Tensor<B>(B::mul(a.raw(), b.checked(a, "*"))); }
template <Backend B>
Tensor<B> operator/(const Tensor<B>& a, const Tensor<B>& b) { return Tensor<B>(B::div(a.raw(), b.checked(a, "/"))); }
template <Backend B>
Tensor<B> operator+(const Tensor<B>& a, double s) { return Tensor<B>(B::add_scalar(a.raw(), s)); }
template <Backend B>
Tensor<B> operator+(double s, const Tensor<B>& a) { return a + s; }
template <Backend B>
Tensor<B> operator-(const Tensor<B>& a, double s) { return Tensor<B>(B::add_scalar(a.raw(), -s)); }
template <Backend B>
Tensor<B> operator-(double s, const Tensor<B>& a) { return Tensor<B>(B::rsub_scalar(s, a.raw())); }
template <Backend B>
Tensor<B> operator*(const Tensor<B>& a, double s) { return Tensor<B>(B::mul_scalar(a.raw(), s)); }
template <Backend B>
Tensor<B> operator*(double s, const Tensor<B>& a) { return a * s; }
template <Backend B>
Tensor<B> operator/(const Tensor<B>& a, double s) { return Tensor<B>(B::mul_scalar(a.raw(), 1.0 / s)); }
template <Backend B>
Tensor<B> operator/(double s, const Tensor<B>& a) { return Tensor<B>(B::rdiv_scalar(s, a.raw())); }

template <Backend B>
Tensor<B> where(const Mask<B>& m, const Tensor<B>& a, const Tensor<B>& b) {
  broadcast_shapes(a.shape(), b.shape(), "where");
  return Tensor<B>(B::where(m.raw(), a.raw(), b.raw()));
}
template <Backend B>
Tensor<B> where(const Mask<B>& m, const Tensor<B>& a, double b) { return where(m, a, Tensor<B>(B::full_like(a.raw(), b))); }
template <Backend B>
Tensor<B> where(const Mask<B>& m, double a, const Tensor<B>& b) { return where(m, Tensor<B>(B::full_like(b.raw(), a)), b); }
template <Backend B>
Tensor<B> clip(const Tensor<B>& x, double lo, double hi) { return x.clip(lo, hi); }
template <Backend B>
Tensor<B> minimum(const Tensor<B>& a, const Tensor<B>& b) { return Tensor<B>(B::minimum(a.raw(), b.checked(a, "minimum"))); }
template <Backend B>
Tensor<B> maximum(const Tensor<B>& a, const Tensor<B>& b) { return Tensor<B>(B::maximum(a.raw(), b.checked(a, "maximum"))); }
template <Backend B>
Tensor<B> minimum(const Tensor<B>& a, double s) { return minimum(a, Tensor<B>(B::full_like(a.raw(), s))); }
template <Backend B>
Tensor<B> maximum(const Tensor<B>& a, double s) { return maximum(a, Tensor<B>(B::full_like(a.raw(), s))); }

template <Backend B>
Tensor<B> zeros_like(const Tensor<B>& x) { return Tensor<B>(B::zeros_like(x.raw())); }
template <Backend B>
Tensor<B> ones_like(const Tensor<B>& x) { return Tensor<B>(B::ones_like(x.raw())); }
template <Backend B>
Tensor<B> full_like(const Tensor<B>& x, double v) { return Tensor<B>(B::full_like(x.raw(), v)); }
/// A new tensor of `shape` (zeros) on the backend, device and dtype of `like`.
template <Backend B>
Tensor<B> zeros(const Tensor<B>& like, const Shape& shape) { return Tensor<B>(B::zeros(like.raw(), shape)); }
/// 0, 1, ..., n-1 on the backend, device and dtype of `like`.
template <Backend B>
Tensor<B> arange(const Tensor<B>& like, int64_t n) {
  if (n < 0) throw InvalidArgument("arange: length must be >= 0, got " + std::to_string(n));
  return Tensor<B>(B::arange(like.raw(), n));
}

/// Adds trailing axes of length 1 until x has k axes: per-sample values [N] broadcast against a
/// batch [N,C,H,W] as atleast_kd(v, 4).
template <Backend B>
Tensor<B> atleast_kd(const Tensor<B>& x, int64_t k) {
  Shape s = x.shape();
  while (static_cast<int64_t>(s.size()) < k) s.push_back(1);
  return x.reshape(s);
}

/// A copy of x whose rows (axis 0) listed in `rows` are replaced by the rows of `values`
/// ([len(rows), ...x.shape[1:]]). The functional index update of EagerPy.
template <Backend B>
Tensor<B> index_update(const Tensor<B>& x, const Index<B>& rows, const Tensor<B>& values) {
  const Shape xs = x.shape(), vs = values.shape();
  const std::vector<int64_t> r = rows.to_vector();
  Shape expected = xs;
  if (!expected.empty()) expected[0] = static_cast<int64_t>(r.size());
  if (vs != expected) {
    throw ShapeError("index_update: values of shape " + to_string(vs) + " for " + std::to_string(r.size()) +
                     " rows of " + to_string(xs) + ", expected " + to_string(expected));
  }
  for (int64_t i : r) {
    if (i < 0 || i >= xs[0]) throw ShapeError("index_update: row " + std::to_string(i) + " out of range for " + to_string(xs));
  }
  return Tensor<B>(B::index_update(x.raw(), rows.raw(), values.raw()));
}

}  // namespace robustlab::tensor
