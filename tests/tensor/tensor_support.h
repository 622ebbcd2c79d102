// Helpers of the tensor conformance suite: the same deterministic data on every backend, and
// EagerPy's compare-with-the-reference idea (its compare_allclose decorator) as one function.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <variant>

#include "robustlab/tensor/tensor.h"
#include "robustlab/tensor/torch_backend.h"
#include "robustlab/tensor/xtensor_backend.h"

namespace robustlab::tensor::testing {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

using Backends = ::testing::Types<TorchBackend, XtBackend>;
using Reference = XtBackend;

/// Deterministic values in [-2, 2], rounded to quarters when `ties` (so sorts meet equal values).
inline std::vector<float> data(const Shape& shape, uint32_t seed, bool ties = false) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  std::vector<float> out(static_cast<size_t>(n));
  for (auto& v : out) v = ties ? std::round(u(rng) * 4.0f) / 4.0f : u(rng);
  return out;
}

template <Backend B>
Tensor<B> make(const Shape& shape, const std::vector<float>& values) {
  return Tensor<B>(B::from_vector(shape, values));
}

/// Shape and values of any result, as doubles.
struct Values {
  Shape shape;
  std::vector<double> values;
};
template <Backend B>
Values values_of(const Tensor<B>& t) { return {t.shape(), B::to_vector(t.raw())}; }
template <Backend B>
Values values_of(const Mask<B>& m) {
  std::vector<double> v;
  for (bool b : m.to_vector()) v.push_back(b ? 1.0 : 0.0);
  return {m.shape(), v};
}
template <Backend B>
Values values_of(const Index<B>& i) {
  std::vector<double> v;
  for (int64_t x : i.to_vector()) v.push_back(static_cast<double>(x));
  return {i.shape(), v};
}

inline void expect_close(const Values& got, const Values& want, double tol, const std::string& what) {
  ASSERT_EQ(got.values.size(), want.values.size()) << what;
  EXPECT_EQ(to_string(got.shape), to_string(want.shape)) << what;
  for (size_t i = 0; i < got.values.size(); ++i) {
    const double g = got.values[i], w = want.values[i];
    if (std::isnan(w)) {
      EXPECT_TRUE(std::isnan(g)) << what << " at " << i;
    } else {
      EXPECT_NEAR(g, w, tol * (1.0 + std::abs(w))) << what << " at " << i;
    }
  }
}

/// Runs f on backend B and on the reference with the same inputs and compares the results.
template <Backend B, class F>
void expect_conforms(const std::string& what, F f, const Shape& sa, const Shape& sb = {1}, bool ties = false,
                     double tol = 1e-5) {
  const auto a = data(sa, 1, ties), b = data(sb, 2, ties);
  const Values got = values_of(f(make<B>(sa, a), make<B>(sb, b)));
  const Values want = values_of(f(make<Reference>(sa, a), make<Reference>(sb, b)));
  expect_close(got, want, tol, what + " on " + B::name);
}

}  // namespace robustlab::tensor::testing
