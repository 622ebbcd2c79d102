// The conformance suite: every operation of Tensor<B> on every backend, compared with the
// xtensor reference (as EagerPy's suite compares each framework with NumPy), plus known answers
// that hold on every backend, the reference included.
#include <gtest/gtest.h>

#include "robustlab/tensor/norms.h"
#include "tensor_support.h"

namespace robustlab::tensor {
namespace {

using namespace testing;

template <class B>
class Conformance : public ::testing::Test {};
TYPED_TEST_SUITE(Conformance, Backends);

TYPED_TEST(Conformance, Elementwise) {
  using B = TypeParam;
  const Shape s = {2, 3, 4};
  expect_conforms<B>("abs", [](auto a, auto) { return a.abs(); }, s);
  expect_conforms<B>("neg", [](auto a, auto) { return -a; }, s);
  expect_conforms<B>("square", [](auto a, auto) { return a.square(); }, s);
  expect_conforms<B>("sqrt", [](auto a, auto) { return a.abs().sqrt(); }, s);
  expect_conforms<B>("exp", [](auto a, auto) { return a.exp(); }, s);
  expect_conforms<B>("log", [](auto a, auto) { return (a.abs() + 0.5).log(); }, s);
  expect_conforms<B>("sign", [](auto a, auto) { return a.sign(); }, s, {1}, true);
  expect_conforms<B>("floor", [](auto a, auto) { return a.floor(); }, s);
  expect_conforms<B>("pow", [](auto a, auto) { return a.abs().pow(3.0); }, s);
  expect_conforms<B>("clip", [](auto a, auto) { return a.clip(-0.5, 1.0); }, s);
}

TYPED_TEST(Conformance, ArithmeticBroadcastsAndTakesScalars) {
  using B = TypeParam;
  const Shape s = {2, 3, 4}, t = {3, 1};
  expect_conforms<B>("+", [](auto a, auto b) { return a + b; }, s, t);
  expect_conforms<B>("-", [](auto a, auto b) { return a - b; }, s, t);
  expect_conforms<B>("*", [](auto a, auto b) { return a * b; }, s, t);
  expect_conforms<B>("/", [](auto a, auto b) { return a / (b.abs() + 1.0); }, s, t);
  expect_conforms<B>("scalars", [](auto a, auto) { return (2.0 - a) * 3.0 / 4.0 + 1.0 - (1.0 / (a.abs() + 1.0)); }, s);
  expect_conforms<B>("minimum", [](auto a, auto b) { return minimum(a, b); }, s, t);
  expect_conforms<B>("maximum", [](auto a, auto b) { return maximum(a, b); }, s, t);
  expect_conforms<B>("minimum scalar", [](auto a, auto) { return minimum(a, 0.25); }, s);
  expect_conforms<B>("maximum scalar", [](auto a, auto) { return maximum(a, 0.25); }, s);
}

TYPED_TEST(Conformance, ComparisonsMasksAndWhere) {
  using B = TypeParam;
  const Shape s = {2, 3, 4}, t = {4};
  expect_conforms<B>("<", [](auto a, auto b) { return a < b; }, s, t, true);
  expect_conforms<B>("<=", [](auto a, auto b) { return a <= b; }, s, t, true);
  expect_conforms<B>(">", [](auto a, auto b) { return a > b; }, s, t, true);
  expect_conforms<B>(">=", [](auto a, auto b) { return a >= b; }, s, t, true);
  expect_conforms<B>("==", [](auto a, auto b) { return a == b; }, s, t, true);
  expect_conforms<B>("!=", [](auto a, auto b) { return a != b; }, s, t, true);
  expect_conforms<B>("scalar comparisons", [](auto a, auto) { return (a < 0.5) || (a >= 1.0) || (a == 0.0); }, s, t, true);
  expect_conforms<B>("mask logic", [](auto a, auto b) { return !((a > b) && (a != 0.0)); }, s, t, true);
  expect_conforms<B>("mask as values", [](auto a, auto) { return (a > 0.0).as(a) * 2.0; }, s);
  expect_conforms<B>("where", [](auto a, auto b) { return where(a > 0.0, a, b); }, s, t);
  expect_conforms<B>("where scalars", [](auto a, auto) { return where(a > 0.0, a, -1.0) + where(a < 0.5, 3.0, a); }, s);
  const auto x = make<B>({4}, {1, -1, 0, 2});
  EXPECT_TRUE((x < 3.0).all());
  EXPECT_FALSE((x > 1.5).all());
  EXPECT_TRUE((x > 1.5).any());
}

TYPED_TEST(Conformance, ReductionsOverAxesWithKeepdims) {
  using B = TypeParam;
  const Shape s = {2, 3, 4};
  for (const Axes& axes : std::vector<Axes>{{}, {0}, {1}, {-1}, {0, 2}, {2, 1}}) {
    for (bool keep : {false, true}) {
      const std::string what = "axes " + to_string(axes) + (keep ? " keepdims" : "");
      expect_conforms<B>("sum " + what, [&](auto a, auto) { return a.sum(axes, keep); }, s);
      expect_conforms<B>("mean " + what, [&](auto a, auto) { return a.mean(axes, keep); }, s);
      expect_conforms<B>("max " + what, [&](auto a, auto) { return a.max(axes, keep); }, s);
      expect_conforms<B>("min " + what, [&](auto a, auto) { return a.min(axes, keep); }, s);
    }
  }
}

TYPED_TEST(Conformance, SortingAndScans) {
  using B = TypeParam;
  const Shape s = {3, 5, 4};
  for (int64_t axis : {0, 1, -1}) {
    const std::string what = " axis " + std::to_string(axis);
    expect_conforms<B>("argmax" + what, [&](auto a, auto) { return a.argmax(axis); }, s);
    expect_conforms<B>("sort" + what, [&](auto a, auto) { return a.sort(axis); }, s, {1}, true);
    expect_conforms<B>("argsort with ties" + what, [&](auto a, auto) { return a.argsort(axis); }, s, {1}, true);
    expect_conforms<B>("topk" + what, [&](auto a, auto) { return a.topk(2, axis); }, s, {1}, true);
    expect_conforms<B>("cumsum" + what, [&](auto a, auto) { return a.cumsum(axis); }, s);
    expect_conforms<B>("flip" + what, [&](auto a, auto) { return a.flip(axis); }, s);
  }
}

TYPED_TEST(Conformance, ShapesAndCreation) {
  using B = TypeParam;
  const Shape s = {2, 3, 4};
  expect_conforms<B>("reshape", [](auto a, auto) { return a.reshape({4, -1}); }, s);
  expect_conforms<B>("flatten(1)", [](auto a, auto) { return a.flatten(1); }, s);
  expect_conforms<B>("flatten(0, 1)", [](auto a, auto) { return a.flatten(0, 1); }, s);
  expect_conforms<B>("transpose", [](auto a, auto) { return a.transpose({2, 0, 1}); }, s);
  expect_conforms<B>("atleast_kd", [](auto a, auto) { return atleast_kd(a.sum({1, 2}), 4); }, s);
  expect_conforms<B>("creation", [](auto a, auto) {
    return zeros_like(a) + ones_like(a) * 2.0 + full_like(a, 0.5) + zeros(a, {2, 3, 4}) + arange(a, 4);
  }, s);
  expect_conforms<B>("index_update", [](auto a, auto b) {
    const auto rows = (a.sum({1, 2}) * 0.0).flip(0).argsort(0);  // rows 0, 1: a stable sort of zeros
    return index_update(a, rows, b * 10.0);
  }, s, {2, 3, 4});
}

TYPED_TEST(Conformance, Norms) {
  using B = TypeParam;
  const Shape s = {3, 2, 5};
  for (double p : {0.0, 1.0, 2.0, 3.0, 0.5, kInf}) {
    for (const Axes& axes : std::vector<Axes>{{}, {1, 2}, {-1}}) {
      expect_conforms<B>("lp p=" + std::to_string(p) + " axes " + to_string(axes),
                         [&](auto a, auto) { return norms::lp(a.floor(), p, axes); }, s, {1}, true, 1e-4);
    }
  }
  expect_conforms<B>("per_sample", [](auto a, auto) { return norms::per_sample(a, 2); }, s);
}

TYPED_TEST(Conformance, KnownAnswers) {
  using B = TypeParam;
  const auto x = make<B>({8}, {0, 1, 2, 3, 4, 5, 6, 7});
  EXPECT_DOUBLE_EQ(B::to_vector(x.square().sum().raw())[0], 140.0);
  const auto v = make<B>({2, 2}, {3, -4, 0, 0.5});
  EXPECT_EQ(B::to_vector(norms::l2(v, {1}).raw()), (std::vector<double>{5.0, 0.5}));
  EXPECT_EQ(B::to_vector(norms::l1(v, {1}).raw()), (std::vector<double>{7.0, 0.5}));
  EXPECT_EQ(B::to_vector(norms::l0(v, {1}).raw()), (std::vector<double>{2.0, 1.0}));
  EXPECT_EQ(B::to_vector(norms::linf(v, {1}).raw()), (std::vector<double>{4.0, 0.5}));
  EXPECT_EQ(v.argmax(1).to_vector(), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(make<B>({5}, {2, 1, 2, 0, 1}).argsort(0).to_vector(), (std::vector<int64_t>{3, 1, 4, 0, 2}));
  EXPECT_EQ(B::to_vector(make<B>({4}, {1, 2, 3, 4}).cumsum().raw()), (std::vector<double>{1, 3, 6, 10}));
  EXPECT_EQ(B::to_vector(make<B>({5}, {2, 9, 4, 7, 1}).topk(3).raw()), (std::vector<double>{9, 7, 4}));
}

TYPED_TEST(Conformance, BadShapesAxesAndRangesAreNamed) {
  using B = TypeParam;
  const auto a = make<B>({2, 3}, data({2, 3}, 1));
  const auto b = make<B>({4}, data({4}, 2));
  try {
    (void)(a + b);
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3] and [4]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(a.sum({2}), ShapeError);
  EXPECT_THROW(a.sum({1, -1}), ShapeError);
  EXPECT_THROW(a.argmax(-3), ShapeError);
  EXPECT_THROW(a.reshape({4, 2}), ShapeError);
  EXPECT_THROW(a.transpose({0, 0}), ShapeError);
  EXPECT_THROW(a.topk(4, 1), ShapeError);
  EXPECT_THROW(a.clip(1.0, 0.0), InvalidArgument);
  EXPECT_THROW(norms::lp(a, -1.0), InvalidArgument);
  EXPECT_THROW(index_update(a, a.argmax(1), b), ShapeError);
}

TEST(Wrapping, AstensorAndRawDoNotCopy) {
  torch::Tensor native = torch::arange(6, torch::kFloat32);
  const Tensor<TorchBackend> t = astensor(native);
  EXPECT_EQ(t.raw().data_ptr(), native.data_ptr());
  xt::xarray<float> array = {1.0f, 2.0f, 3.0f};
  const float* storage = array.data();
  Tensor<XtBackend> x = astensor(std::move(array));
  EXPECT_EQ(x.raw().data(), storage);
  const xt::xarray<float> back = std::move(x).raw();
  EXPECT_EQ(back.data(), storage);
  static_assert(Differentiable<TorchBackend>);
  static_assert(!Differentiable<XtBackend>);
}

}  // namespace
}  // namespace robustlab::tensor
