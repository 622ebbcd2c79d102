// Properties of the Lp projections on every backend: the result lies in the ball, projecting twice
// changes nothing, points inside stay put, L1 equals an independent solution (bisection on the
// threshold), L0 keeps exactly k entries; and agreement with the reference backend.
#include <gtest/gtest.h>

#include "robustlab/tensor/projections.h"
#include "tensor_support.h"

namespace robustlab::tensor {
namespace {

using namespace testing;

template <class B>
class Projections : public ::testing::Test {};
TYPED_TEST_SUITE(Projections, Backends);

const Shape kBatch = {6, 2, 3, 3};

template <Backend B>
Tensor<B> radius(const std::vector<float>& r) { return make<B>({static_cast<int64_t>(r.size())}, r); }

TYPED_TEST(Projections, ResultLiesInTheBallAndIsIdempotent) {
  using B = TypeParam;
  const auto x = make<B>(kBatch, data(kBatch, 7));
  const auto eps = radius<B>({0.0f, 0.1f, 0.5f, 1.0f, 3.0f, 100.0f});
  for (double p : {1.0, 2.0, kInf}) {
    const auto y = project(x, p, eps);
    const auto n = B::to_vector(norms::per_sample(y, p).raw());
    const auto e = B::to_vector(eps.raw());
    for (size_t i = 0; i < n.size(); ++i) EXPECT_LE(n[i], e[i] * (1 + 1e-5) + 1e-6) << "p=" << p << " sample " << i;
    expect_close(values_of(project(y, p, eps)), values_of(y), 1e-5, "idempotent p=" + std::to_string(p));
    // The largest radius holds every sample: unchanged.
    const auto last = B::to_vector(y.raw());
    const auto orig = B::to_vector(x.raw());
    const size_t per = last.size() / 6;
    for (size_t k = 5 * per; k < last.size(); ++k) EXPECT_FLOAT_EQ(last[k], orig[k]);
  }
}

TYPED_TEST(Projections, L1EqualsTheBisectionSolution) {
  using B = TypeParam;
  const Shape s = {5, 7};
  const auto raw = data(s, 11);
  const std::vector<float> r = {0.3f, 1.0f, 2.0f, 4.0f, 0.05f};
  const auto y = B::to_vector(project_l1(make<B>(s, raw), radius<B>(r)).raw());
  for (size_t i = 0; i < 5; ++i) {
    // Independent solution: y = sign(x) max(|x| - theta, 0) with sum = eps, theta found by bisection.
    double l1 = 0;
    for (size_t j = 0; j < 7; ++j) l1 += std::abs(raw[i * 7 + j]);
    double lo = 0, hi = 2.5, theta = 0;
    if (l1 > r[i]) {
      for (int it = 0; it < 200; ++it) {
        theta = (lo + hi) / 2;
        double sum = 0;
        for (size_t j = 0; j < 7; ++j) sum += std::max(std::abs(raw[i * 7 + j]) - theta, 0.0);
        (sum > r[i] ? lo : hi) = theta;
      }
    }
    for (size_t j = 0; j < 7; ++j) {
      const double xv = raw[i * 7 + j];
      const double want = (xv > 0 ? 1 : -1) * std::max(std::abs(xv) - theta, 0.0);
      EXPECT_NEAR(y[i * 7 + j], want, 1e-5) << "sample " << i << " entry " << j;
    }
  }
}

TYPED_TEST(Projections, L0KeepsExactlyTheKLargest) {
  using B = TypeParam;
  const auto x = make<B>({3, 6}, {0.1f, -0.9f, 0.5f, 0.0f, 0.3f, -0.2f,   // k = 2: keeps -0.9, 0.5
                                  1, 1, 1, 1, 1, 1,                       // k = 4 with ties: the first four
                                  0.2f, 0.1f, 0.3f, 0.4f, 0.5f, 0.6f});   // k = 0: nothing
  const auto y = B::to_vector(project_l0(x, radius<B>({2.5f, 4.0f, 0.0f})).raw());
  EXPECT_EQ(y, (std::vector<double>{0, -0.9f, 0.5f, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}));
  // k at or above the size keeps everything.
  EXPECT_EQ(B::to_vector(project_l0(x, 6.0).raw()), B::to_vector(x.raw()));
  EXPECT_EQ(B::to_vector(project_l0(x, 50.0).raw()), B::to_vector(x.raw()));
}

TYPED_TEST(Projections, L2AndLinfClosedForms) {
  using B = TypeParam;
  const auto x = make<B>({2, 2}, {3, 4, 0.3f, -0.4f});
  EXPECT_EQ(values_of(project_l2(x, 1.0)).values.size(), 4u);
  expect_close(values_of(project_l2(x, 1.0)), {{2, 2}, {0.6, 0.8, 0.3, -0.4}}, 1e-6, "l2");
  expect_close(values_of(project_linf(x, 0.35)), {{2, 2}, {0.35, 0.35, 0.3, -0.35}}, 1e-6, "linf");
  expect_close(values_of(project_l1(x, 1.0)), {{2, 2}, {0.0, 1.0, 0.3, -0.4}}, 1e-6, "l1");
  expect_close(values_of(project_l2(make<B>({1, 2}, {0, 0}), 1.0)), {{1, 2}, {0, 0}}, 0, "l2 of zero");
}

TYPED_TEST(Projections, ClipPerturbationAndBox) {
  using B = TypeParam;
  const auto ref = make<B>({2, 2}, {0.5f, 0.5f, 0.0f, 1.0f});
  const auto moved = make<B>({2, 2}, {3.5f, 4.5f, 0.0f, 1.0f});
  expect_close(values_of(clip_perturbation(ref, moved, 2.0, 1.0)), {{2, 2}, {1.1, 1.3, 0.0, 1.0}}, 1e-6, "clip l2");
  expect_close(values_of(clip_to_box(moved)), {{2, 2}, {1.0, 1.0, 0.0, 1.0}}, 0, "box");
  EXPECT_THROW(clip_perturbation(ref, make<B>({4}, {0, 0, 0, 0}), 2.0, 1.0), ShapeError);
}

TYPED_TEST(Projections, ConformToTheReference) {
  using B = TypeParam;
  for (double p : {0.0, 1.0, 2.0, kInf}) {
    expect_conforms<B>("project p=" + std::to_string(p),
                       [&](auto a, auto) { return project(a, p, full_like(a.sum({1, 2, 3}), 0.0) + 3.0); }, kBatch);
  }
}

TYPED_TEST(Projections, BadRadiiAreRejected) {
  using B = TypeParam;
  const auto x = make<B>({2, 3}, data({2, 3}, 1));
  EXPECT_THROW(project_l2(x, -0.1), InvalidArgument);
  EXPECT_THROW(project_l1(x, radius<B>({0.1f, -1.0f})), InvalidArgument);
  EXPECT_THROW(project_linf(x, radius<B>({0.1f, 0.1f, 0.1f})), ShapeError);
  EXPECT_THROW(project(x, 3.0, 1.0), InvalidArgument);
}

}  // namespace
}  // namespace robustlab::tensor
