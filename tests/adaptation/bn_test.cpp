// BN adaptation against a hand computation on one batch-norm layer, the special cases N = 0 and
// N = inf, exact restoration of the model, and the error for models without batch norm.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "function_classifier.h"
#include "robustlab/adaptation/bn.h"
#include "robustlab/core/error.h"
#include "robustlab/models/load.h"
#include "robustlab/models/zoo.h"
#include "test_support.h"

namespace robustlab::adaptation {
namespace {

// A classifier that is a single BatchNorm2d over 2 channels; its "logits" are the normalised
// values, flattened.
class BnOnly : public Classifier {
 public:
  BnOnly() : Classifier({}) {
    bn_ = torch::nn::BatchNorm2d(2);
    torch::NoGradGuard no_grad;
    bn_->running_mean.copy_(torch::tensor({0.5, -1.0}));
    bn_->running_var.copy_(torch::tensor({2.0, 0.25}));
    bn_->weight.copy_(torch::tensor({1.5, 0.5}));
    bn_->bias.copy_(torch::tensor({0.1, -0.2}));
    bn_->eval();
  }
  int64_t num_classes() const override { return 8; }
  void set_training(bool training) override { bn_->train(training); }
  bool is_training() const override { return bn_->is_training(); }
  std::vector<torch::Tensor> parameters() override { return bn_->parameters(); }
  std::vector<NormLayer> norm_layers() override { return frontend_norm_layers(*bn_); }
  std::string description() const override { return "bn-only"; }
  torch::nn::BatchNorm2d bn_{nullptr};

 protected:
  torch::Tensor forward_normalized(const torch::Tensor& x) override { return bn_->forward(x).flatten(1); }
};

torch::Tensor batch() {
  torch::manual_seed(3);
  return torch::rand({4, 2, 2, 2}, torch::kFloat64).to(torch::kFloat32) * 3 + 1;  // n = 4, shifted
}

// out = (x - mu) / sqrt(var + eps) * w + b per channel
torch::Tensor by_hand(const torch::Tensor& x, const torch::Tensor& mu, const torch::Tensor& var) {
  const auto w = torch::tensor({1.5, 0.5}).view({1, 2, 1, 1}), b = torch::tensor({0.1, -0.2}).view({1, 2, 1, 1});
  return ((x - mu.view({1, 2, 1, 1})) / (var.view({1, 2, 1, 1}) + 1e-5).sqrt() * w + b).flatten(1);
}

TEST(BnAdaptation, MixesSourceAndBatchStatisticsWithThePrior) {
  BnOnly model;
  const torch::Tensor x = batch();
  const double N = 12, n = 4;
  const torch::Tensor mu_t = x.mean({0, 2, 3}), var_t = x.var({0, 2, 3}, /*unbiased=*/true);
  const torch::Tensor mu = N / (N + n) * torch::tensor({0.5, -1.0}) + n / (N + n) * mu_t;
  const torch::Tensor var = N / (N + n) * torch::tensor({2.0, 0.25}) + n / (N + n) * var_t;
  const torch::Tensor out = predict_bn_adapted(model, x, {.prior = N});
  EXPECT_TRUE(torch::allclose(out, by_hand(x, mu, var).to(torch::kFloat32), 1e-5, 1e-5));
}

TEST(BnAdaptation, ZeroPriorIsTrainingModeAndInfinityIsNone) {
  BnOnly model;
  const torch::Tensor x = batch();
  const torch::Tensor full = predict_bn_adapted(model, x, {.prior = 0});
  EXPECT_TRUE(torch::allclose(full, by_hand(x, x.mean({0, 2, 3}), x.var({0, 2, 3}, false)), 1e-5, 1e-5));
  const torch::Tensor none = predict_bn_adapted(model, x, {.prior = std::numeric_limits<double>::infinity()});
  EXPECT_TRUE(torch::allclose(none, by_hand(x, torch::tensor({0.5, -1.0}), torch::tensor({2.0, 0.25})), 1e-5, 1e-5));
  // A large prior is close to no adaptation; a tiny one to full adaptation, but with the unbiased
  // variance the mixture uses (the biased/unbiased pitfall of tta.md §1.2: here m = 16 values).
  EXPECT_LT((predict_bn_adapted(model, x, {.prior = 1e7}) - none).abs().max().item<double>(), 1e-4);
  const torch::Tensor tiny = predict_bn_adapted(model, x, {.prior = 1e-7});
  EXPECT_TRUE(torch::allclose(tiny, by_hand(x, x.mean({0, 2, 3}), x.var({0, 2, 3}, true)), 1e-4, 1e-4));
  EXPECT_FALSE(torch::allclose(tiny, full, 1e-3, 1e-3));
  EXPECT_THROW(predict_bn_adapted(model, x, {.prior = -1}), InvalidArgument);
}

TEST(BnAdaptation, LeavesTheModelExactlyAsItWas) {
  torch::manual_seed(0);
  auto model = std::make_shared<ZooClassifier>(ZooConfig{.arch = "small_cnn"});
  model->set_training(false);
  std::vector<torch::Tensor> before;
  for (const auto& l : model->norm_layers()) {
    before.push_back(l.running_mean.clone());
    before.push_back(l.running_var.clone());
  }
  const torch::Tensor x = torch::rand({8, 1, 28, 28});
  const torch::Tensor clean = model->forward(x).detach();
  const torch::Tensor adapted = predict_bn_adapted(*model, x, {.prior = 16});
  EXPECT_FALSE(torch::allclose(adapted, clean));
  size_t i = 0;
  for (const auto& l : model->norm_layers()) {
    EXPECT_TRUE(torch::equal(l.running_mean, before[i++]));
    EXPECT_TRUE(torch::equal(l.running_var, before[i++]));
  }
  EXPECT_FALSE(model->is_training());
  EXPECT_TRUE(torch::equal(model->forward(x), clean));
}

TEST(BnAdaptation, WorksOnTorchScriptModels) {
  // The reference CNN (TorchScript; its batch norms' momentum is a constant of the scripted class).
  auto model = load_classifier((testing::shared_dir() / "reference/fmn/fmnist_cnn.pt").string(), {});
  torch::manual_seed(2);
  const torch::Tensor x = torch::rand({16, 1, 28, 28}) * 0.5 + 0.5;  // brighter than Fashion-MNIST
  const torch::Tensor none = model->forward(x).detach();
  std::vector<torch::Tensor> before;
  for (const auto& l : model->norm_layers()) before.push_back(l.running_mean.clone());
  const torch::Tensor full = predict_bn_adapted(*model, x, {.prior = 0});
  const torch::Tensor mixed = predict_bn_adapted(*model, x, {.prior = 16});
  EXPECT_FALSE(torch::allclose(full, none, 1e-3, 1e-3));
  EXPECT_TRUE(torch::allclose(predict_bn_adapted(*model, x, {.prior = 1e9}), none, 1e-4, 1e-4));
  // Halfway (N = n) lies between none and full in its effect on the logits.
  const double to_none = (mixed - none).abs().mean().item<double>(), to_full = (mixed - full).abs().mean().item<double>();
  EXPECT_GT(to_none, 0);
  EXPECT_GT(to_full, 0);
  size_t i = 0;
  for (const auto& l : model->norm_layers()) EXPECT_TRUE(torch::equal(l.running_mean, before[i++]));
  EXPECT_TRUE(torch::equal(model->forward(x), none));
}

TEST(BnAdaptation, AModelWithoutBatchNormIsAClearError) {
  testing::FunctionClassifier model([](const torch::Tensor& x) { return x.flatten(1); }, 4);
  try {
    predict_bn_adapted(model, torch::rand({2, 1, 2, 2}), {});
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("no batch-norm layer"), std::string::npos);
  }
}

}  // namespace
}  // namespace robustlab::adaptation
