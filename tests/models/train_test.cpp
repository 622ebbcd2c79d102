#include "robustlab/models/train.h"

#include <set>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/core/random.h"
#include "robustlab/data/idx.h"
#include "robustlab/models/predict.h"
#include "robustlab/models/zoo.h"
#include "test_support.h"

namespace robustlab {
namespace {

TEST(Train, TinyModelLearnsFashionMnistWellAboveChance) {
  seed_all(0);
  const DatasetPtr train = make_subset(load_fashion_mnist("train"), {.limit = 3000});
  const DatasetPtr test = make_subset(load_fashion_mnist("test"), {.limit = 1000});
  ZooClassifier model({.arch = "small_cnn"});
  int calls = 0;
  const auto history = train_classifier(model, train, {.epochs = 2, .lr = 2e-3, .batch_size = 64}, test,
                                        [&](const EpochStats&) { ++calls; });
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(calls, 2);
  EXPECT_LT(history[1].loss, history[0].loss);
  EXPECT_GT(history[1].val_accuracy, 0.65);  // chance is 0.10
  EXPECT_NEAR(evaluate_accuracy(model, test).accuracy(), history[1].val_accuracy, 1e-9);
  EXPECT_FALSE(model.is_training());
}

// Interrupted after its first epoch (the callback of the second throws, after the checkpoint of the
// first was written), a training with a resume file continues after epoch 1 and ends with the
// weights of one that never stopped; a file of another training is not resumed.
TEST(Train, AResumedTrainingEndsWithTheWeightsOfAnUninterruptedOne) {
  testing::TempDir dir;
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);  // the same reduction order in both runs
  const DatasetPtr train = make_subset(load_fashion_mnist("train"), {.limit = 256});
  const TrainOptions options{.epochs = 3, .lr = 2e-3, .batch_size = 64, .flip = true, .resume = dir / "t.resume"};
  const auto fresh = [] {
    torch::manual_seed(0);
    return std::make_unique<ZooClassifier>(ZooConfig{.arch = "small_cnn"});
  };
  auto uninterrupted = fresh();
  TrainOptions plain = options;
  plain.resume.clear();
  train_classifier(*uninterrupted, train, plain);

  auto interrupted = fresh();
  EXPECT_THROW(train_classifier(*interrupted, train, options,
                                nullptr, [](const EpochStats& e) { if (e.epoch == 2) throw IoError("killed"); }),
               IoError);
  ASSERT_TRUE(std::filesystem::exists(options.resume));
  torch::manual_seed(1);  // other initial weights: the checkpoint's replace them
  auto resumed = std::make_unique<ZooClassifier>(ZooConfig{.arch = "small_cnn"});
  std::vector<int64_t> epochs;
  const auto history = train_classifier(*resumed, train, options, nullptr, [&](const EpochStats& e) { epochs.push_back(e.epoch); });
  EXPECT_EQ(epochs, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(history.size(), 2u);
  const auto want = uninterrupted->parameters(), got = resumed->parameters();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_TRUE(torch::equal(got[i], want[i])) << i;

  // The file now holds epoch 3 of these settings; with other settings the training starts over.
  TrainOptions other = options;
  other.lr = 1e-3;
  epochs.clear();
  auto again = fresh();
  train_classifier(*again, train, other, nullptr, [&](const EpochStats& e) { epochs.push_back(e.epoch); });
  EXPECT_EQ(epochs, (std::vector<int64_t>{1, 2, 3}));
  torch::set_num_threads(threads);
}

TEST(Train, AugmentationKeepsShapeAndIsSeeded) {
  const auto x = torch::rand({8, 1, 12, 12});
  TrainOptions o{.random_crop = true, .crop_padding = 2, .flip = true};
  const auto a = augment(x, o, 5);
  EXPECT_EQ(a.sizes(), x.sizes());
  EXPECT_TRUE(a.equal(augment(x, o, 5)));
  EXPECT_FALSE(a.equal(augment(x, o, 6)));
  EXPECT_TRUE(augment(x, TrainOptions{}, 5).equal(x));
  // A flip only (no crop) keeps every pixel value of the image.
  const auto f = augment(x, TrainOptions{.flip = true}, 1);
  for (int64_t i = 0; i < 8; ++i) {
    EXPECT_TRUE(f[i].equal(x[i]) || f[i].equal(x[i].flip({2})));
  }
  // Both flips: each image is one of the four, and over 64 images all four occur.
  const auto many = torch::rand({64, 1, 6, 6});
  const auto both = augment(many, TrainOptions{.flip = true, .vertical_flip = true}, 3);
  std::set<int> seen;
  for (int64_t i = 0; i < 64; ++i) {
    int kind = -1;
    for (int k = 0; k < 4; ++k) {
      auto v = many[i];
      if (k & 1) v = v.flip({2});
      if (k & 2) v = v.flip({1});
      if (both[i].equal(v)) kind = k;
    }
    ASSERT_GE(kind, 0);
    seen.insert(kind);
  }
  EXPECT_EQ(seen.size(), 4u);
  // The options' JSON names the vertical flip only when it is on (earlier runs' keys are unchanged).
  EXPECT_FALSE(TrainOptions{}.to_json().contains("vertical_flip"));
  EXPECT_EQ(TrainOptions{.vertical_flip = true}.to_json().at("vertical_flip"), true);
}

TEST(Train, RejectsBadOptionsAndDivergence) {
  EXPECT_THROW(TrainOptions{.epochs = 0}.validate(), InvalidArgument);
  EXPECT_THROW(TrainOptions{.lr = -1}.validate(), InvalidArgument);
  EXPECT_THROW(TrainOptions{.optimizer = "lbfgs"}.validate(), InvalidArgument);
  const DatasetPtr train = make_subset(load_fashion_mnist("train"), {.limit = 256});
  ZooClassifier model({.arch = "small_cnn"});
  EXPECT_THROW(train_classifier(model, train, {.epochs = 1, .lr = 1e30, .optimizer = "sgd"}), NumericalError);
}

}  // namespace
}  // namespace robustlab
