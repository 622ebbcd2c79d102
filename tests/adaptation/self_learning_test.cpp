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
  for (const char* loss : {"ent", "rpl", "hard-pl", "soft-pl", "tent", "eata", "sar", "cotta", "rotta", "roid"}) {
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
    options.fisher_alpha = 0;    // ETA
    options.entropy_margin = 2;  // every sample of the untrained model is reliable
    options.diversity_margin = 1.1;
    options.memory_size = 8;  // RoTTA: an update every 8 images
    options.restore_probability = 0;
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
  for (const char* loss : {"cotta", "rotta", "roid"}) {  // teachers, robust statistics, ensembling
    {
      SelfLearner learner(*model, {.loss = parse_loss(loss), .optimizer = "sgd", .lr = 0.1, .memory_size = 4});
      learner.step(x);
      EXPECT_FALSE(same(snapshot(*model), original)) << loss;
      learner.reset();
      EXPECT_TRUE(same(snapshot(*model), original)) << loss;
      learner.step(x);
    }
    EXPECT_TRUE(same(snapshot(*model), original)) << loss;
  }
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
  // A NaN in the input makes the loss NaN, in every method.
  for (const char* loss : {"rpl", "cotta", "rotta", "roid"}) {
    auto model = small_cnn();
    const auto original = snapshot(*model);
    SelfLearner learner(*model, {.loss = parse_loss(loss), .optimizer = "sgd", .lr = 0.1, .memory_size = 4});
    torch::Tensor x = torch::rand({4, 1, 28, 28});
    x[0][0][0][0] = std::numeric_limits<float>::quiet_NaN();
    learner.step(x);
    EXPECT_TRUE(learner.stopped()) << loss;
    EXPECT_NE(learner.reason().find("non-finite " + std::string(loss)), std::string::npos) << learner.reason();
    // Only predicts from now on, with the weights (and RoTTA's statistics) as they were.
    const torch::Tensor later = learner.step(torch::rand({4, 1, 28, 28}));
    EXPECT_TRUE(torch::isfinite(later).all().item<bool>()) << loss;
    std::vector<torch::Tensor> now;
    for (const auto& p : model->parameters()) now.push_back(p.detach().clone());
    for (size_t i = 0; i < now.size(); ++i) EXPECT_TRUE(torch::equal(now[i], original[i])) << loss << " " << i;
  }
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

// A linear classifier logits = x W + b in double precision whose parameters are all adapted:
// the TTA benchmark's updates can then be computed by hand.
struct Linear {
  torch::Tensor w = torch::tensor({{2.0, 0.0, -1.0, 0.0}, {0.0, 0.5, 3.0, -2.0}}, torch::kFloat64);
  torch::Tensor b = torch::tensor({0.1, 0.0, -0.1, 0.2}, torch::kFloat64);
  testing::FunctionClassifier model{[this](const torch::Tensor& x) { return x.flatten(1).matmul(w) + b; }, 4,
                                    Normalization{}, {w, b}};
  std::pair<torch::Tensor, torch::Tensor> copies() const { return {w.detach().clone(), b.detach().clone()}; }
};

torch::Tensor input(std::initializer_list<std::array<double, 2>> rows) {
  std::vector<double> v;
  for (const auto& r : rows) v.insert(v.end(), r.begin(), r.end());
  return torch::tensor(v, torch::kFloat64).view({-1, 1, 1, 2});
}

torch::Tensor sample_entropy(const torch::Tensor& logits) {
  return -(torch::softmax(logits, 1) * torch::log_softmax(logits, 1)).sum(1);
}

TEST(SelfLearner, EtaFiltersUnreliableAndRedundantSamplesAndWeightsTheRest) {
  Linear m;
  const double lr = 0.1, e0 = 0.4 * std::log(4.0);
  SelfLearner learner(m.model, {.loss = Loss::kEata, .adapted = Adapted::kAll, .optimizer = "sgd", .lr = lr,
                                .fisher_alpha = 0});
  // Batch 1: two confident class-0 samples and a near-uniform one.
  const torch::Tensor x1 = input({{3, 0}, {2.5, 0.2}, {0.01, 0.01}});
  auto [w0, b0] = m.copies();
  // By hand: entropies, the reliable set (entropy < 0.4 ln 4), the loss mean(e · exp(E0 − e)).
  torch::Tensor w = w0.clone().requires_grad_(), b = b0.clone().requires_grad_();
  torch::Tensor logits = x1.flatten(1).matmul(w) + b;
  torch::Tensor e = sample_entropy(logits);
  const torch::Tensor reliable = e.detach().lt(e0);
  ASSERT_EQ(reliable.sum().item<int64_t>(), 2);  // the near-uniform sample is out
  torch::Tensor kept = e.masked_select(reliable);
  (kept * torch::exp(e0 - kept.detach())).mean().backward();
  const torch::Tensor gw1 = w.grad().clone(), gb1 = b.grad().clone();
  const torch::Tensor pbar = torch::softmax(logits.detach(), 1).index({reliable}).mean(0);
  const torch::Tensor predicted = learner.step(x1);
  EXPECT_TRUE(torch::allclose(predicted, logits.detach()));  // predictions come before the update
  // SGD with Nesterov momentum 0.9, first step: θ − lr (g + 0.9 g).
  const torch::Tensor w1 = w0 - lr * 1.9 * gw1, b1 = b0 - lr * 1.9 * gb1;
  EXPECT_TRUE(torch::allclose(m.w, w1, 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(m.b, b1, 1e-12, 1e-12));
  EXPECT_EQ(learner.selected_samples(), 2);

  // Batch 2: only samples whose probabilities are nearly orthogonal to p̄ (|cos| < 0.05) stay.
  const torch::Tensor x2 = input({{3, 0}, {0, 3}, {-3, 0}, {0.01, 0}});
  w = w1.clone().requires_grad_();
  b = b1.clone().requires_grad_();
  logits = x2.flatten(1).matmul(w) + b;
  e = sample_entropy(logits);
  const torch::Tensor p = torch::softmax(logits.detach(), 1);
  const torch::Tensor cosine = torch::cosine_similarity(pbar.unsqueeze(0), p, 1);
  const torch::Tensor keep = e.detach().lt(e0).logical_and(cosine.abs().lt(0.05));
  ASSERT_GT(keep.sum().item<int64_t>(), 0);
  ASSERT_LT(keep.sum().item<int64_t>(), e.detach().lt(e0).sum().item<int64_t>());  // the redundant one goes
  kept = e.masked_select(keep);
  (kept * torch::exp(e0 - kept.detach())).mean().backward();
  learner.step(x2);
  // Second Nesterov step: buf = 0.9 g1 + g2, θ − lr (g2 + 0.9 buf).
  const torch::Tensor bw = 0.9 * gw1 + w.grad(), bb = 0.9 * gb1 + b.grad();
  EXPECT_TRUE(torch::allclose(m.w, w1 - lr * (w.grad() + 0.9 * bw), 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(m.b, b1 - lr * (b.grad() + 0.9 * bb), 1e-12, 1e-12));

  // A batch with no reliable sample changes nothing.
  const auto [w2, b2] = m.copies();
  learner.step(input({{0, 0}, {0.001, 0.001}}));
  EXPECT_TRUE(torch::equal(m.w, w2));
  EXPECT_TRUE(torch::equal(m.b, b2));
}

TEST(SelfLearner, EataAddsTheFisherPenaltyOfTheSourceModel) {
  Linear m;
  const double alpha = 50, lr = 0.01;
  SelfLearner learner(m.model, {.loss = Loss::kEata, .adapted = Adapted::kAll, .optimizer = "sgd", .lr = lr,
                                .fisher_alpha = alpha});
  EXPECT_TRUE(learner.needs_fisher());
  EXPECT_THROW(learner.step(input({{1, 0}})), InvalidArgument);
  const std::vector<torch::Tensor> source = {input({{1, 0.5}, {-1, 2}}), input({{0.3, -0.2}})};
  const auto [w0, b0] = m.copies();
  learner.estimate_fisher(source);
  EXPECT_FALSE(learner.needs_fisher());
  // By hand: the mean over batches of the squared gradient of CE(logits, argmax).
  torch::Tensor fw = torch::zeros_like(w0), fb = torch::zeros_like(b0);
  for (const auto& x : source) {
    torch::Tensor w = w0.clone().requires_grad_(), b = b0.clone().requires_grad_();
    const torch::Tensor logits = x.flatten(1).matmul(w) + b;
    torch::nn::functional::cross_entropy(logits, logits.argmax(1)).backward();
    fw += w.grad().square();
    fb += b.grad().square();
  }
  fw /= 2;
  fb /= 2;
  // Two steps on confident samples; at the second the penalty α Σ F (θ − θ0)² adds 2 α F (θ − θ0).
  const torch::Tensor x = input({{3, 0}});
  learner.step(x);
  const auto [w1, b1] = m.copies();
  const double e0 = 0.4 * std::log(4.0);
  ASSERT_LT(sample_entropy(x.flatten(1).matmul(w1) + b1).item<double>(), e0);
  const torch::Tensor gw1 = (w1 - w0) / (-lr * 1.9), gb1 = (b1 - b0) / (-lr * 1.9);  // the first gradient
  learner.step(torch::cat({x, input({{0, 0}})}));  // the uniform sample is filtered; the diversity filter
  // keeps the class-0 sample only if it is not redundant — here p̄ is class 0, so it is redundant:
  // the second batch must change nothing.
  EXPECT_TRUE(torch::equal(m.w, w1));
  learner.step(input({{0, 3}}));  // a class-1/3 sample: kept, with the penalty
  torch::Tensor w = w1.clone().requires_grad_(), b = b1.clone().requires_grad_();
  const torch::Tensor x3 = input({{0, 3}});
  const torch::Tensor e = sample_entropy(x3.flatten(1).matmul(w) + b);
  const torch::Tensor loss3 = (e * torch::exp(e0 - e.detach())).mean() +
                              alpha * ((fw * (w - w0).square()).sum() + (fb * (b - b0).square()).sum());
  loss3.backward();
  const torch::Tensor bw = 0.9 * gw1 + w.grad();
  EXPECT_TRUE(torch::allclose(m.w, w1 - lr * (w.grad() + 0.9 * bw), 1e-10, 1e-12));
}

TEST(SelfLearner, SarTakesTheGradientAtTheSharpnessAwarePointAndRecovers) {
  Linear m;
  const double lr = 0.1, rho = 0.05, e0 = 0.4 * std::log(4.0);
  SelfLearner learner(m.model, {.loss = Loss::kSar, .adapted = Adapted::kAll, .optimizer = "sgd", .lr = lr,
                                .sam_rho = rho, .reset_entropy = 0.0});
  const torch::Tensor x = input({{3, 0}, {0, 2}, {0.01, 0.01}, {1, 1}});
  const auto [w0, b0] = m.copies();
  // By hand: g1 on the reliable samples; ε = ρ g1 / ‖g1‖; g2 at θ + ε on those still reliable.
  torch::Tensor w = w0.clone().requires_grad_(), b = b0.clone().requires_grad_();
  torch::Tensor e = sample_entropy(x.flatten(1).matmul(w) + b);
  const torch::Tensor reliable = e.detach().lt(e0);
  e.masked_select(reliable).mean().backward();
  const torch::Tensor norm = (w.grad().square().sum() + b.grad().square().sum()).sqrt();
  const torch::Tensor we = (w0 + rho * w.grad() / (norm + 1e-12)).requires_grad_();
  const torch::Tensor be = (b0 + rho * b.grad() / (norm + 1e-12)).requires_grad_();
  const torch::Tensor e2 = sample_entropy(x.flatten(1).matmul(we) + be).masked_select(reliable);
  const torch::Tensor second = e2.masked_select(e2.detach().lt(e0)).mean();
  second.backward();
  learner.step(x);
  // SGD with momentum 0.9, no Nesterov, first step: θ − lr g2.
  EXPECT_TRUE(torch::allclose(m.w, w0 - lr * we.grad(), 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(m.b, b0 - lr * be.grad(), 1e-12, 1e-12));
  EXPECT_EQ(learner.recoveries(), 0);

  // Model recovery: a moving-average entropy below the reset constant restores the model.
  Linear r;
  const auto [rw, rb] = r.copies();
  SelfLearner recovering(r.model, {.loss = Loss::kSar, .adapted = Adapted::kAll, .optimizer = "sgd", .lr = lr,
                                   .reset_entropy = 10.0});
  recovering.step(x);
  EXPECT_EQ(recovering.recoveries(), 1);
  EXPECT_TRUE(torch::equal(r.w, rw));
  EXPECT_TRUE(torch::equal(r.b, rb));
}

TEST(SelfLearner, TheBenchmarksMethodsHaveTheirOptions) {
  EXPECT_EQ(parse_loss("tent"), Loss::kTent);
  EXPECT_EQ(to_string(Loss::kSar), "sar");
  EXPECT_THROW(parse_loss("cotta2"), InvalidArgument);
  SelfLearningOptions o{.loss = Loss::kEata};
  o.teacher_interval = 3;
  EXPECT_THROW(o.validate(), InvalidArgument);
  o.teacher_interval = 1;
  o.entropy_margin = 0;
  EXPECT_THROW(o.validate(), InvalidArgument);
}

}  // namespace
}  // namespace robustlab::adaptation
