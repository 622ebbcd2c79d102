// Self-learning: the losses' known limits, which parameters change, exact resets, the teacher
// copy, and a non-finite loss.
#include <cmath>
#include <limits>
#include <set>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "function_classifier.h"
#include "robustlab/adaptation/self_learning.h"
#include "robustlab/core/error.h"
#include "robustlab/models/zoo.h"

namespace robustlab::adaptation {
namespace {

std::shared_ptr<ZooClassifier> small_cnn() {
  torch::manual_seed(0);
  auto model = std::make_shared<ZooClassifier>(ZooConfig{.arch = "small_cnn"});
  model->set_training(false);
  return model;
}

std::vector<torch::Tensor> snapshot(Classifier& model) {
  std::vector<torch::Tensor> out;
  for (const auto& p : model.parameters()) out.push_back(p.detach().clone());
  for (const auto& l : model.norm_layers()) {
    out.push_back(l.running_mean.clone());
    out.push_back(l.running_var.clone());
  }
  return out;
}

bool same(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], b[i])) return false;
  return true;
}

TEST(Losses, GceTendsToCrossEntropyAndIsOneMinusPAtQOne) {
  torch::manual_seed(1);
  const torch::Tensor logits = torch::randn({6, 5}, torch::kFloat64);
  const torch::Tensor labels = torch::tensor({0, 1, 2, 3, 4, 0});
  const torch::Tensor ce = torch::nn::functional::cross_entropy(logits, labels);
  EXPECT_NEAR(gce_loss(logits, labels, 1e-7).item<double>(), ce.item<double>(), 1e-5);
  const torch::Tensor p = torch::softmax(logits, 1).gather(1, labels.unsqueeze(1)).squeeze(1);
  EXPECT_NEAR(gce_loss(logits, labels, 1.0).item<double>(), (1 - p).mean().item<double>(), 1e-12);
  // Entropy: 0 for a one-hot prediction, log K for a uniform one.
  EXPECT_NEAR(entropy_loss(torch::zeros({2, 4}, torch::kFloat64)).item<double>(), std::log(4.0), 1e-12);
  EXPECT_NEAR(entropy_loss(torch::tensor({{100.0, 0.0, 0.0}})).item<double>(), 0.0, 1e-12);
}

TEST(SelfLearner, OnlyTheChosenParametersChange) {
  for (const char* loss : {"ent", "rpl", "hard-pl", "soft-pl"}) {
    auto model = small_cnn();
    const auto before = model->parameters();
    std::vector<torch::Tensor> copies;
    for (const auto& p : before) copies.push_back(p.detach().clone());
    const torch::Tensor x = torch::rand({16, 1, 28, 28});
    SelfLearningOptions options;
    options.loss = parse_loss(loss);
    options.optimizer = "sgd";
    options.lr = 0.05;
    if (options.loss == Loss::kSoftPseudoLabel) options.teacher_interval = 2;
    SelfLearner learner(*model, options);
    const torch::Tensor first = learner.step(x);
    learner.step(x);
    EXPECT_EQ(first.sizes(), (std::vector<int64_t>{16, 10}));
    std::set<const void*> adapted;
    for (const auto& p : learner.adapted()) adapted.insert(p.unsafeGetTensorImpl());
    EXPECT_EQ(adapted.size(), 4u) << loss;  // gamma and beta of the two BN layers
    for (size_t i = 0; i < before.size(); ++i) {
      const bool changed = !torch::equal(before[i], copies[i]);
      EXPECT_EQ(changed, adapted.count(before[i].unsafeGetTensorImpl()) == 1) << loss << " parameter " << i;
    }
  }
}

TEST(SelfLearner, ResetAndDestructionRestoreTheExactModel) {
  auto model = small_cnn();
  const auto original = snapshot(*model);
  const torch::Tensor x = torch::rand({8, 1, 28, 28});
  {
    SelfLearner learner(*model, {.optimizer = "sgd", .lr = 0.1});
    learner.step(x);
    EXPECT_FALSE(same(snapshot(*model), original));
    learner.reset();
    EXPECT_TRUE(same(snapshot(*model), original));
    learner.step(x);
  }
  EXPECT_TRUE(same(snapshot(*model), original));
  for (const auto& p : model->parameters()) EXPECT_TRUE(p.requires_grad());
  EXPECT_FALSE(model->is_training());
  // Episodic: every batch starts from the original weights, so the same batch gives the same
  // prediction every time; online, the second prediction differs.
  SelfLearner episodic(*model, {.optimizer = "sgd", .lr = 0.1, .episodic = true});
  const torch::Tensor a = episodic.step(x);
  EXPECT_TRUE(torch::equal(episodic.step(x), a));
  SelfLearner online(*model, {.optimizer = "sgd", .lr = 0.1});
  const torch::Tensor b = online.step(x);
  EXPECT_FALSE(torch::equal(online.step(x), b));
}

TEST(SelfLearner, TeacherCopyIsRefreshedEveryKSteps) {
  auto model = small_cnn();
  const torch::Tensor x = torch::rand({8, 1, 28, 28});
  SelfLearner learner(*model, {.loss = Loss::kHardPseudoLabel, .optimizer = "sgd", .lr = 0.1, .teacher_interval = 3});
  for (int i = 0; i < 4; ++i) learner.step(x);
  EXPECT_FALSE(learner.stopped());
  EXPECT_THROW(SelfLearner(*model, {.teacher_interval = 0}), InvalidArgument);
  EXPECT_THROW(SelfLearner(*model, {.q = 0}), InvalidArgument);
  EXPECT_THROW(SelfLearner(*model, {.optimizer = "lbfgs"}), InvalidArgument);
  EXPECT_THROW(SelfLearner(*model, {.loss = Loss::kSoftPseudoLabel}), InvalidArgument);
}

TEST(SelfLearner, ANonFiniteLossStopsAndRestores) {
  // A NaN in the input makes the loss NaN.
  auto model = small_cnn();
  const auto original = snapshot(*model);
  SelfLearner learner(*model, {.optimizer = "sgd", .lr = 0.1});
  torch::Tensor x = torch::rand({4, 1, 28, 28});
  x[0][0][0][0] = std::numeric_limits<float>::quiet_NaN();
  learner.step(x);
  EXPECT_TRUE(learner.stopped());
  EXPECT_NE(learner.reason().find("non-finite"), std::string::npos);
  learner.step(torch::rand({4, 1, 28, 28}));  // only predicts from now on
  std::vector<torch::Tensor> now;
  for (const auto& p : model->parameters()) now.push_back(p.detach().clone());
  for (size_t i = 0; i < now.size(); ++i) EXPECT_TRUE(torch::equal(now[i], original[i])) << i;
}

TEST(SelfLearner, DivergedWeightsGoBackToTheLastFiniteStep) {
  // An update that leaves a weight non-finite (simulated here) makes the next loss NaN; the
  // weights of the step before, whose loss was finite, come back.
  auto model = small_cnn();
  SelfLearner learner(*model, {.optimizer = "sgd", .lr = 0.1});
  learner.step(torch::rand({8, 1, 28, 28}));
  std::vector<torch::Tensor> good;
  for (const auto& p : learner.adapted()) good.push_back(p.detach().clone());
  learner.step(torch::rand({8, 1, 28, 28}));
  {
    torch::NoGradGuard no_grad;
    learner.adapted()[0][0] = std::numeric_limits<float>::infinity();
  }
  learner.step(torch::rand({8, 1, 28, 28}));
  ASSERT_TRUE(learner.stopped());
  for (size_t i = 0; i < good.size(); ++i) EXPECT_TRUE(torch::equal(learner.adapted()[i], good[i])) << i;
}

TEST(SelfLearner, ModelsWithoutNormalisationNeedAnotherParameterSet) {
  torch::Tensor w = torch::randn({4, 3});
  testing::FunctionClassifier model([&](const torch::Tensor& x) { return x.flatten(1).matmul(w); }, 3,
                                    Normalization{}, {w});
  EXPECT_THROW(SelfLearner(model, {}), InvalidArgument);
  EXPECT_THROW(SelfLearner(model, {.adapted = Adapted::kNormAffine}), InvalidArgument);
  SelfLearner all(model, {.loss = Loss::kEntropy, .adapted = Adapted::kAll, .optimizer = "sgd", .lr = 0.1});
  const torch::Tensor before = w.detach().clone();
  all.step(torch::rand({5, 1, 2, 2}));
  EXPECT_FALSE(torch::equal(w, before));
}

}  // namespace
}  // namespace robustlab::adaptation
