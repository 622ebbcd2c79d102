// CoTTA, RoTTA and ROID: the augmentation chain's torchvision operations, RoTTA's memory bank on a
// hand-traced sequence, and one step of each method against a computation by hand.
#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "function_classifier.h"
#include "robustlab/adaptation/augment.h"
#include "robustlab/adaptation/bn.h"
#include "robustlab/adaptation/memory_bank.h"
#include "robustlab/adaptation/self_learning.h"
#include "robustlab/core/error.h"
#include "robustlab/data/npy.h"
#include "robustlab/models/zoo.h"

namespace robustlab::adaptation {
namespace {

TEST(Augment, ColourOperationsFollowTorchvision) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::rand({2, 1, 5, 5}, torch::kFloat64);
  EXPECT_TRUE(torch::allclose(adjust_brightness(x, 1.5), (1.5 * x).clamp(0, 1)));
  // Contrast blends with each image's own mean.
  const torch::Tensor mean = x.mean({1, 2, 3}, true);
  EXPECT_TRUE(torch::allclose(adjust_contrast(x, 0.7), (0.7 * x + 0.3 * mean).clamp(0, 1)));
  EXPECT_TRUE(torch::equal(adjust_saturation(x, 1.4), x));  // one channel: unchanged
  EXPECT_TRUE(torch::equal(adjust_hue(x, 0.05), x));
  EXPECT_TRUE(torch::allclose(adjust_gamma(x, 2.0), x.square()));
  // Three channels: saturation 0 is the luma image; a hue turn of 1/3 takes red to green.
  const torch::Tensor rgb = torch::rand({2, 3, 4, 4}, torch::kFloat64);
  const torch::Tensor luma = (0.2989 * rgb.select(1, 0) + 0.587 * rgb.select(1, 1) + 0.114 * rgb.select(1, 2)).unsqueeze(1);
  EXPECT_TRUE(torch::allclose(adjust_saturation(rgb, 0.0), luma.expand_as(rgb)));
  EXPECT_TRUE(torch::allclose(adjust_hue(rgb, 0.0), rgb, 1e-6, 1e-9));  // the HSV round trip
  const torch::Tensor red = torch::tensor({1.0, 0.0, 0.0}, torch::kFloat64).view({1, 3, 1, 1});
  EXPECT_TRUE(torch::allclose(adjust_hue(red, 1.0 / 3.0), torch::tensor({0.0, 1.0, 0.0}, torch::kFloat64).view({1, 3, 1, 1}),
                              1e-6, 1e-6));
}

TEST(Augment, OneDrawPerBatchDeterministicPerSeed) {
  torch::manual_seed(1);
  const torch::Tensor image = torch::rand({1, 3, 16, 16});
  const torch::Tensor pair = torch::cat({image, image});
  at::Generator g1 = at::detail::createCPUGenerator(5), g2 = at::detail::createCPUGenerator(5),
                g3 = at::detail::createCPUGenerator(6);
  const AugmentOptions roid{.reflect_padding = true, .blur_and_noise = false};
  const torch::Tensor a = cotta_augment(pair, roid, g1);
  EXPECT_EQ(a.sizes(), pair.sizes());
  EXPECT_TRUE(torch::equal(a[0], a[1]));  // the same transform for every image of the batch
  EXPECT_TRUE(torch::equal(cotta_augment(pair, roid, g2), a));
  EXPECT_FALSE(torch::equal(cotta_augment(pair, roid, g3), a));
  EXPECT_FALSE(torch::allclose(a, pair, 1e-3, 1e-3));
  EXPECT_GE(a.min().item<float>(), 0.0f);
  EXPECT_LE(a.max().item<float>(), 1.0f);
  // A constant image stays constant (the padding keeps the border out of the crop); CoTTA's noise
  // adds a per-pixel spread of about 0.005.
  const torch::Tensor flat = torch::full({1, 1, 12, 12}, 0.5);
  EXPECT_LT(cotta_augment(flat, roid, g1).std().item<float>(), 1e-5f);
  const float spread = cotta_augment(flat, {}, g1).std().item<float>();
  EXPECT_GT(spread, 0.002f);
  EXPECT_LT(spread, 0.01f);
  EXPECT_EQ(cotta_augment(torch::rand({2, 1, 6, 10}), {}, g1).sizes(), (std::vector<int64_t>{2, 1, 6, 10}));
  EXPECT_THROW(cotta_augment(torch::rand({2, 2, 6, 6}), {}, g1), InvalidArgument);
}

TEST(Augment, DrawsAndTransformsAsTheBenchmarksTorchvisionChain) {
  // An input and the benchmark's own CoTTA and ROID augmentations of it after torch.manual_seed(1)
  // (tests/adaptation/make_augment_fixture.py): a generator seeded 1 makes the same draws here.
  const torch::Tensor fixture = read_npy(std::filesystem::path(ROBUSTLAB_TEST_SOURCE_DIR) / "adaptation" / "data" /
                                         "augment_torchvision.npy");
  ASSERT_EQ(fixture.sizes(), (std::vector<int64_t>{3, 2, 3, 12, 12}));
  const torch::Tensor x = fixture[0];
  at::Generator cotta = at::detail::createCPUGenerator(1), roid = at::detail::createCPUGenerator(1);
  EXPECT_LT((cotta_augment(x, {}, cotta) - fixture[1]).abs().max().item<float>(), 1e-5f);
  EXPECT_LT((cotta_augment(x, {.reflect_padding = true, .blur_and_noise = false}, roid) - fixture[2]).abs().max().item<float>(),
            1e-5f);
}

/// The values of the images in the bank (each image a one-element tensor holding its name).
std::vector<double> held(const MemoryBank& bank) {
  const torch::Tensor images = bank.images();
  std::vector<double> out;
  for (int64_t i = 0; i < images.size(0); ++i) out.push_back(images[i].item<double>());
  return out;
}

TEST(MemoryBank, KeepsClassesBalancedAndReplacesOldUncertainImages) {
  auto image = [](double v) { return torch::full({1}, v, torch::kFloat64); };
  MemoryBank bank(4, 2);  // two per class
  bank.add(image(1), 0, 0.1);
  bank.add(image(2), 0, 0.5);
  // Class 0 is full: image 2 (score sigmoid(1/4) + 0.5/ln 2 = 1.28) beats image 1 (0.77) and the
  // newcomer (0.79), so it leaves.
  bank.add(image(3), 0, 0.2);
  EXPECT_EQ(held(bank), (std::vector<double>{1, 3}));
  bank.add(image(4), 1, 0.9);
  bank.add(image(5), 1, 0.1);
  bank.add(image(6), 1, 0.0);  // image 4 (1.92) leaves for it (0.5)
  EXPECT_EQ(held(bank), (std::vector<double>{1, 3, 5, 6}));
  EXPECT_EQ(bank.ages(), (std::vector<double>{6 / 4.0, 4 / 4.0, 2 / 4.0, 1 / 4.0}));
  bank.add(image(7), 0, 5.0);  // too uncertain (7.71): nothing scores higher, it stays out
  EXPECT_EQ(held(bank), (std::vector<double>{1, 3, 5, 6}));
  bank.add(image(8), 0, 0.0);  // image 3 (sigmoid(5/4) + 0.2/ln 2 = 1.07) beats image 1 (1.00)
  EXPECT_EQ(held(bank), (std::vector<double>{1, 8, 5, 6}));

  MemoryBank majority(4, 3);  // 4/3 per class
  majority.add(image(1), 0, 0.3);
  majority.add(image(2), 0, 0.6);
  majority.add(image(3), 1, 0.2);
  majority.add(image(4), 2, 0.2);
  // Full, but class 1 holds fewer than 4/3: the room comes from class 0, the most held.
  majority.add(image(5), 1, 0.1);
  EXPECT_EQ(held(majority), (std::vector<double>{1, 3, 5, 4}));
  EXPECT_EQ(majority.occupancy(), (std::vector<int64_t>{1, 2, 1}));
  EXPECT_THROW(majority.add(image(6), 3, 0.1), InvalidArgument);

  const torch::Tensor w = timeliness_weights({0.0, 1.0});
  EXPECT_NEAR(w[0].item<double>(), 0.5, 1e-12);
  EXPECT_NEAR(w[1].item<double>(), std::exp(-1.0) / (1 + std::exp(-1.0)), 1e-12);
}

// logits = x W + b on 4×4 one-channel images, in double precision, every parameter adapted.
struct Linear {
  torch::Tensor w = (torch::arange(48, torch::kFloat64).view({16, 3}).sin() * 2);
  torch::Tensor b = torch::tensor({0.1, 0.0, -0.2}, torch::kFloat64);
  testing::FunctionClassifier model{[this](const torch::Tensor& x) { return x.flatten(1).matmul(w) + b; }, 3,
                                    Normalization{}, {w, b}};
  std::pair<torch::Tensor, torch::Tensor> copies() const { return {w.detach().clone(), b.detach().clone()}; }
};

torch::Tensor images(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  return torch::rand({n, 1, 4, 4}, torch::kFloat64);
}

torch::Tensor cross_entropy_to(const torch::Tensor& teacher, const torch::Tensor& student) {
  return -(torch::softmax(teacher, 1) * torch::log_softmax(student, 1)).sum(1);
}

TEST(SelfLearner, CottaFollowsItsEmaTeacherAndRestores) {
  Linear m;
  const double lr = 0.1;
  const auto [w0, b0] = m.copies();
  SelfLearner learner(m.model, {.loss = Loss::kCotta, .adapted = Adapted::kAll, .optimizer = "sgd", .lr = lr,
                                .restore_probability = 0, .confidence_threshold = 0});  // never augments
  const torch::Tensor x1 = images(5, 1), x2 = images(3, 2);
  // By hand: the teacher starts as the source; the student's gradient of CE(teacher, student).
  torch::Tensor w = w0.clone().requires_grad_(), b = b0.clone().requires_grad_();
  const torch::Tensor teacher1 = x1.flatten(1).matmul(w0) + b0;
  cross_entropy_to(teacher1, x1.flatten(1).matmul(w) + b).mean().backward();
  EXPECT_TRUE(torch::allclose(learner.step(x1), teacher1));  // the teacher predicts
  const torch::Tensor w1 = w0 - lr * 1.9 * w.grad(), b1 = b0 - lr * 1.9 * b.grad();  // Nesterov, first step
  EXPECT_TRUE(torch::allclose(m.w, w1, 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(m.b, b1, 1e-12, 1e-12));
  // The teacher moved by 0.001 towards the student.
  const torch::Tensor tw = 0.999 * w0 + 0.001 * w1, tb = 0.999 * b0 + 0.001 * b1;
  EXPECT_TRUE(torch::allclose(learner.step(x2), x2.flatten(1).matmul(tw) + tb, 1e-12, 1e-12));

  // The symmetric (ImageNet) loss adds CE(student, teacher), each with weight ½.
  Linear s;
  SelfLearner symmetric(s.model, {.loss = Loss::kCotta, .adapted = Adapted::kAll, .optimizer = "sgd", .lr = lr,
                                  .restore_probability = 0, .confidence_threshold = 0, .symmetric_loss = true});
  w = w0.clone().requires_grad_();
  b = b0.clone().requires_grad_();
  const torch::Tensor student = x1.flatten(1).matmul(w) + b;
  (0.5 * cross_entropy_to(teacher1, student) + 0.5 * cross_entropy_to(student, teacher1)).mean().backward();
  symmetric.step(x1);
  EXPECT_TRUE(torch::allclose(s.w, w0 - lr * 1.9 * w.grad(), 1e-12, 1e-12));

  // Restore probability 1: every weight is back at its source value after the step.
  Linear r;
  SelfLearner restoring(r.model, {.loss = Loss::kCotta, .adapted = Adapted::kAll, .optimizer = "sgd", .lr = lr,
                                  .restore_probability = 1, .confidence_threshold = 0});
  restoring.step(x1);
  EXPECT_TRUE(torch::equal(r.w, w0));

  // Below the confidence threshold the teacher's prediction is the mean over augmented views.
  Linear a;
  SelfLearner augmenting(a.model, {.loss = Loss::kCotta, .adapted = Adapted::kAll, .optimizer = "sgd", .lr = lr,
                                   .confidence_threshold = 2, .augmentations = 3, .seed = 7});
  at::Generator g = at::detail::createCPUGenerator(7);
  torch::Tensor mean = torch::zeros({5, 3}, torch::kFloat64);
  for (int k = 0; k < 3; ++k) mean += cotta_augment(x1, {}, g).flatten(1).matmul(w0) + b0;
  EXPECT_TRUE(torch::allclose(augmenting.step(x1), mean / 3, 1e-12, 1e-12));
}

TEST(SelfLearner, RoidWeightsDropsEnsemblesAndCorrectsThePrior) {
  Linear m;
  const double lr = 0.1;
  const auto [w0, b0] = m.copies();
  SelfLearner learner(m.model, {.loss = Loss::kRoid, .adapted = Adapted::kAll, .optimizer = "sgd", .lr = lr, .seed = 3});
  const torch::Tensor x = images(6, 4);
  // By hand. The weights: diversity against the uniform class average, certainty, both min-max
  // normalised; samples of below-average diversity get none and leave the loss.
  torch::Tensor w = w0.clone().requires_grad_(), b = b0.clone().requires_grad_();
  const torch::Tensor logits = x.flatten(1).matmul(w) + b;
  const torch::Tensor p = torch::softmax(logits.detach(), 1);
  torch::Tensor diversity = 1 - torch::cosine_similarity(torch::full({1, 3}, 1.0 / 3, torch::kFloat64), p, 1);
  diversity = (diversity - diversity.min()) / (diversity.max() - diversity.min());
  torch::Tensor certainty = (p * torch::log_softmax(logits.detach(), 1)).sum(1);
  certainty = (certainty - certainty.min()) / (certainty.max() - certainty.min());
  const torch::Tensor kept = diversity.ge(diversity.mean());
  ASSERT_GT(kept.sum().item<int64_t>(), 0);
  ASSERT_LT(kept.sum().item<int64_t>(), 6);
  const torch::Tensor weight = torch::exp(diversity * certainty * 3).masked_select(kept);
  const torch::Tensor q = torch::softmax(logits, 1).clamp(0.0, 0.99);
  const torch::Tensor slr = -(q * torch::log(q / (1 - q) + 1e-5)).sum(1);
  at::Generator g = at::detail::createCPUGenerator(3);
  const torch::Tensor index = kept.nonzero().squeeze(1);
  const torch::Tensor view =
      cotta_augment(x.index_select(0, index), {.reflect_padding = true, .blur_and_noise = false}, g).flatten(1).matmul(w) + b;
  const torch::Tensor plain = logits.index_select(0, index);
  const torch::Tensor consistency = 0.5 * cross_entropy_to(plain, view) + 0.5 * cross_entropy_to(view, plain);
  ((slr.masked_select(kept) * weight).sum() / 6 + (consistency * weight).sum() / 6).backward();
  const torch::Tensor predicted = learner.step(x);
  // Nesterov's first step, then 0.99·θ + 0.01·θ_source.
  EXPECT_TRUE(torch::allclose(m.w, 0.99 * (w0 - lr * 1.9 * w.grad()) + 0.01 * w0, 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(m.b, 0.99 * (b0 - lr * 1.9 * b.grad()) + 0.01 * b0, 1e-12, 1e-12));
  // The prediction: the pre-update logits times the smoothed batch prior.
  const torch::Tensor prior = p.mean(0);
  const double smooth = (1.0 / 3) / prior.max().item<double>();
  EXPECT_TRUE(torch::allclose(predicted, logits.detach() * (prior + smooth) / (1 + 3 * smooth), 1e-12, 1e-12));
}

TEST(SelfLearner, RottaPredictsWithItsTeachersRobustStatistics) {
  auto make = [] {
    torch::manual_seed(0);
    auto model = std::make_shared<ZooClassifier>(ZooConfig{.arch = "small_cnn"});
    model->set_training(false);
    return model;
  };
  auto model = make(), reference = make();
  // Two images the source model puts in different classes: the bank (2 per update) keeps both.
  torch::manual_seed(5);
  const torch::Tensor pool = torch::rand({32, 1, 28, 28});
  torch::Tensor source_labels;
  {
    torch::NoGradGuard no_grad;
    source_labels = reference->forward(pool).argmax(1);
  }
  int64_t j = 1;
  while (j < 32 && source_labels[j].item<int64_t>() == source_labels[0].item<int64_t>()) ++j;
  ASSERT_LT(j, 32);
  const torch::Tensor x = torch::stack({pool[0], pool[j]});
  SelfLearner learner(*model, {.loss = Loss::kRotta, .adapted = Adapted::kBnAffine, .optimizer = "adam", .lr = 1e-2,
                               .memory_size = 2});
  std::vector<torch::Tensor> before;
  for (const auto& p : learner.adapted()) before.push_back(p.detach().clone());
  // First prediction: the source model with its stored statistics.
  EXPECT_TRUE(torch::allclose(learner.step(x), reference->forward(x), 1e-5, 1e-6));
  // Two images seen: one update. The student moved; the teacher is 0.999·source + 0.001·student,
  // its statistics 0.95·source + 0.05·those of the bank (taken with the source weights).
  std::vector<NormLayer> layers = batch_norm_layers(*reference);
  mix_batch_statistics(*reference, layers, x, 0.95);
  size_t k = 0;
  for (const NormLayer& l : reference->norm_layers())
    for (auto t : {l.weight, l.bias}) {
      ASSERT_FALSE(torch::equal(learner.adapted()[k], before[k]));
      torch::NoGradGuard no_grad;
      t.copy_(0.999 * before[k] + 0.001 * learner.adapted()[k]);
      ++k;
    }
  const torch::Tensor later = pool.narrow(0, 10, 4);
  EXPECT_TRUE(torch::allclose(learner.predict(later), reference->forward(later), 1e-5, 1e-6));
}

TEST(SelfLearner, TheNewMethodsValidateTheirOptions) {
  EXPECT_EQ(parse_loss("cotta"), Loss::kCotta);
  EXPECT_EQ(to_string(Loss::kRoid), "roid");
  SelfLearningOptions o{.loss = Loss::kRotta};
  o.steps_per_batch = 2;
  EXPECT_THROW(o.validate(), InvalidArgument);
  o = {.loss = Loss::kCotta, .teacher_interval = 2};
  EXPECT_THROW(o.validate(), InvalidArgument);
  o = {.loss = Loss::kCotta, .restore_probability = 1.5};
  EXPECT_THROW(o.validate(), InvalidArgument);
  o = {.loss = Loss::kRoid, .temperature = 0};
  EXPECT_THROW(o.validate(), InvalidArgument);
}

}  // namespace
}  // namespace robustlab::adaptation
