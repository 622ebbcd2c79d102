// The corruption benchmark loop and the CE/mCE arithmetic.
#include <gtest/gtest.h>

#include <map>
#include <torch/torch.h>

#include <opencv2/imgcodecs.hpp>

#include "function_classifier.h"
#include "test_support.h"
#include "robustlab/core/error.h"
#include "robustlab/adaptation/bn.h"
#include "robustlab/evaluation/corruptions.h"
#include "robustlab/models/zoo.h"

namespace robustlab::evaluation {
namespace {

TEST(Mce, NormalisesByTheBaselineAsHendrycksAndDietterich) {
  // Two corruptions, two severities each; baseline errors 0.5 and 0.8, baseline clean 0.2.
  const std::vector<CorruptionError> errors = {{"clean", 0, 0.1, 10},     {"fog", 1, 0.2, 10}, {"fog", 2, 0.4, 10},
                                               {"contrast", 1, 0.3, 10}, {"contrast", 2, 0.5, 10},
                                               {"spatter", 1, 0.9, 10}};  // an extra: not in mCE
  const CeSummary s = summarize(errors, {{"fog", 0.5}, {"contrast", 0.8}, {"spatter", 0.5}}, 0.2);
  EXPECT_DOUBLE_EQ(s.clean_error, 0.1);
  EXPECT_DOUBLE_EQ(s.mean_error.at("fog"), 0.3);
  EXPECT_DOUBLE_EQ(s.ce.at("fog"), 0.3 / 0.5);
  EXPECT_DOUBLE_EQ(s.ce.at("contrast"), 0.4 / 0.8);
  EXPECT_DOUBLE_EQ(s.mce, (0.6 + 0.5) / 2);
  EXPECT_DOUBLE_EQ(s.relative_ce.at("fog"), (0.3 - 0.1) / (0.5 - 0.2));
  EXPECT_DOUBLE_EQ(s.relative_mce, ((0.2 / 0.3) + (0.3 / 0.6)) / 2);
  EXPECT_EQ(s.corruptions, 2);
  EXPECT_FALSE(s.complete());
  EXPECT_EQ(s.ce.count("spatter"), 0u);
  // A model measured against itself has mCE 1.
  EXPECT_DOUBLE_EQ(summarize(errors, mean_errors(errors), 0.1).mce, 1.0);
  EXPECT_EQ(alexnet_errors().size(), 15u);
  EXPECT_DOUBLE_EQ(alexnet_errors().at("glass_blur"), 0.826268);
}

TEST(CorruptionBenchmark, MeasuresEveryCorruptionAndSeverity) {
  // A "classifier" that predicts class 1 when the mean intensity exceeds 0.5.
  testing::FunctionClassifier model(
      [](const torch::Tensor& x) {
        const torch::Tensor m = x.flatten(1).mean(1, true);
        return torch::cat({0.5 - m, m - 0.5}, 1);
      },
      2);
  const torch::Tensor dark = torch::full({4, 1, 28, 28}, 0.3), bright = torch::full({4, 1, 28, 28}, 0.7);
  auto data = std::make_shared<TensorDataset>(torch::cat({dark, bright}), torch::tensor({0, 0, 0, 0, 1, 1, 1, 1}),
                                              std::vector<std::string>{"dark", "bright"}, "toy");
  CorruptionEvalOptions options;
  options.corruptions = {"brightness", "contrast"};
  options.severities = {1, 5};
  options.batch_size = 3;
  std::vector<CorruptionError> seen;
  const auto results = evaluate_corruptions(model, data, options, [&](const CorruptionError& e) { seen.push_back(e); });
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(results[0].corruption, "clean");
  EXPECT_DOUBLE_EQ(results[0].error, 0.0);
  EXPECT_EQ(results[0].count, 8);
  // Brightness at severity 5 (+0.5 in V) makes every dark image bright: half the images wrong.
  EXPECT_EQ(results[2].corruption, "brightness");
  EXPECT_EQ(results[2].severity, 5);
  EXPECT_DOUBLE_EQ(results[2].error, 0.5);
  options.set_method("bn");
  EXPECT_THROW(evaluate_corruptions(model, data, options), InvalidArgument);  // no batch norm
  options.set_method("rpl");
  EXPECT_EQ(options.method(), "rpl");
  EXPECT_THROW(evaluate_corruptions(model, data, options), InvalidArgument);
  EXPECT_THROW(options.set_method("cotta2"), InvalidArgument);
}

TEST(CorruptionBenchmark, BatchesMadeAheadGiveTheSameErrors) {
  // The pipeline that feeds an accelerator (prefetch > 0) on the CPU: the same self-learning
  // stream, the same batches in the same order, the same errors as batches made in turn.
  auto data = std::make_shared<TensorDataset>(torch::rand({40, 1, 28, 28}, torch::Generator(at::detail::createCPUGenerator(3))),
                                              torch::arange(40) % 10, std::vector<std::string>(10, "c"), "toy");
  std::vector<std::vector<CorruptionError>> runs;
  for (int64_t prefetch : {0, 2}) {
    torch::manual_seed(0);
    ZooClassifier model(ZooConfig{.arch = "small_cnn"});
    CorruptionEvalOptions options;
    options.set_method("tent");
    options.corruptions = {"gaussian_noise", "fog"};
    options.severities = {3};
    options.batch_size = 7;
    options.prefetch = prefetch;
    runs.push_back(evaluate_corruptions(model, data, options));
  }
  ASSERT_EQ(runs[0].size(), 3u);
  for (size_t i = 0; i < runs[0].size(); ++i) {
    EXPECT_EQ(runs[0][i].corruption, runs[1][i].corruption);
    EXPECT_EQ(runs[0][i].error, runs[1][i].error) << runs[0][i].corruption;
  }
}

TEST(CorruptionBenchmark, ResumingSkipsWhatWasMeasured) {
  // Counts the images it is asked to classify.
  int64_t classified = 0;
  testing::FunctionClassifier model(
      [&](const torch::Tensor& x) {
        classified += x.size(0);
        return torch::zeros({x.size(0), 2});
      },
      2);
  auto data = std::make_shared<TensorDataset>(torch::rand({6, 1, 28, 28}), torch::tensor({0, 1, 0, 1, 0, 1}),
                                              std::vector<std::string>{"a", "b"}, "toy");
  CorruptionEvalOptions options;
  options.corruptions = {"brightness", "contrast"};
  options.severities = {1, 2};
  options.done = {{"clean", 0, 0.25, 6}, {"brightness", 2, 0.125, 6}};  // values no model gives here
  std::vector<CorruptionError> seen;
  const auto results = evaluate_corruptions(model, data, options, [&](const CorruptionError& e) { seen.push_back(e); });
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(seen.size(), 5u);  // the resumed ones too, so that the new run holds every condition
  EXPECT_EQ(classified, 3 * 6);  // only brightness/1, contrast/1 and contrast/2 were evaluated
  EXPECT_DOUBLE_EQ(results[0].error, 0.25);
  EXPECT_EQ(results[2].corruption, "brightness");
  EXPECT_EQ(results[2].severity, 2);
  EXPECT_DOUBLE_EQ(results[2].error, 0.125);
  EXPECT_DOUBLE_EQ(results[1].error, 0.5);  // measured: all-zero logits predict class 0
  options.set_method("rpl");
  options.protocol = Protocol::kContinual;
  EXPECT_THROW(options.validate(), InvalidArgument);  // continual adaptation cannot skip conditions
}

// A rank's share: only images [first, last) of every condition are classified, and `combine`
// (here: adding the other "ranks'" counts, as an all-reduce would) gives what on_result sees.
TEST(CorruptionBenchmark, ShardsEvaluateTheirImagesAndCombineTheErrors) {
  std::vector<int64_t> seen_rows;
  testing::FunctionClassifier model(
      [&](const torch::Tensor& x) {
        seen_rows.push_back(x.size(0));
        // Class 1 wherever the mean pixel is above 0.5.
        const torch::Tensor bright = x.mean({1, 2, 3}).gt(0.5).to(torch::kFloat32);
        return torch::stack({1 - bright, bright}, 1);
      },
      2);
  auto data = std::make_shared<TensorDataset>(torch::rand({10, 1, 8, 8}), torch::arange(10) % 2,
                                              std::vector<std::string>{"a", "b"}, "toy");
  CorruptionEvalOptions whole;
  whole.corruptions = {"contrast"};
  whole.severities = {3};
  whole.batch_size = 4;
  const auto expected = evaluate_corruptions(model, data, whole);
  // Three shards of whole batches: [0, 4), [4, 8), [8, 10); each one's wrong counts summed.
  std::map<std::string, std::pair<int64_t, int64_t>> sums;  // condition -> (wrong, count)
  for (auto [first, last] : std::vector<std::pair<int64_t, int64_t>>{{0, 4}, {4, 8}, {8, -1}}) {
    CorruptionEvalOptions shard = whole;
    shard.first = first;
    shard.last = last;
    seen_rows.clear();
    for (const auto& e : evaluate_corruptions(model, data, shard)) {
      auto& s = sums[e.corruption];
      s.first += std::llround(e.error * static_cast<double>(e.count));
      s.second += e.count;
    }
    for (int64_t rows : seen_rows) EXPECT_EQ(rows, last == -1 ? 2 : 4);  // only its own batch, per condition
  }
  for (const auto& e : expected) {
    EXPECT_EQ(sums[e.corruption].second, 10);
    EXPECT_DOUBLE_EQ(static_cast<double>(sums[e.corruption].first) / 10.0, e.error) << e.corruption;
  }
  // combine replaces the shard's error before on_result sees it.
  CorruptionEvalOptions combined = whole;
  combined.last = 4;
  combined.combine = [](const CorruptionError& e) { return CorruptionError{e.corruption, e.severity, 0.75, 40}; };
  std::vector<CorruptionError> seen;
  evaluate_corruptions(model, data, combined, [&](const CorruptionError& e) { seen.push_back(e); });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].count, 40);
  EXPECT_EQ(seen[1].corruption, "contrast");
  // Online adaptation is one stream: it cannot be sharded.
  combined.set_method("ent");
  EXPECT_THROW(combined.validate(), InvalidArgument);
}

TEST(CorruptionBenchmark, TheMixedStreamCountsEveryConditionAndMixesThem) {
  torch::manual_seed(3);
  ZooClassifier model(ZooConfig{.arch = "small_cnn"});
  model.set_training(false);
  auto data = std::make_shared<TensorDataset>(torch::rand({10, 1, 28, 28}), torch::arange(10) % 10,
                                              std::vector<std::string>(10, "c"), "toy");
  CorruptionEvalOptions options;
  options.corruptions = {"brightness", "contrast", "fog"};
  options.severities = {2, 5};
  options.batch_size = 4;
  // Without adaptation the order cannot matter: the per-condition errors of the shuffled stream
  // are those of the conditions one by one.
  const auto separate = evaluate_corruptions(model, data, options);
  options.protocol = Protocol::kMixed;
  const auto mixed = evaluate_corruptions(model, data, options);
  ASSERT_EQ(mixed.size(), separate.size());
  for (size_t i = 0; i < mixed.size(); ++i) {
    EXPECT_EQ(mixed[i].corruption, separate[i].corruption);
    EXPECT_EQ(mixed[i].severity, separate[i].severity);
    EXPECT_EQ(mixed[i].count, 10);
    EXPECT_DOUBLE_EQ(mixed[i].error, separate[i].error) << mixed[i].corruption << " " << mixed[i].severity;
  }
  // With a learner the stream is one: its batches (4 images) mix conditions, so the results differ
  // from continual adaptation in condition order, and the stream cannot resume.
  options.set_method("tent");
  options.self_learning.lr = 0.5;
  options.self_learning.optimizer = "sgd";
  const auto mixed_tent = evaluate_corruptions(model, data, options);
  options.protocol = Protocol::kContinual;
  const auto continual_tent = evaluate_corruptions(model, data, options);
  double differ = 0;
  for (size_t i = 1; i < mixed_tent.size(); ++i) differ += std::abs(mixed_tent[i].error - continual_tent[i].error);
  EXPECT_GT(differ, 0);
  options.protocol = Protocol::kMixed;
  options.done = {{"fog", 5, 0.5, 10}};
  EXPECT_THROW(options.validate(), InvalidArgument);
  EXPECT_EQ(parse_protocol("mixed"), Protocol::kMixed);
  EXPECT_THROW(parse_protocol("gradual-ish"), InvalidArgument);
}

TEST(CorrelatedOrder, SortsByLabelOrDrawsDirichletRuns) {
  std::vector<int64_t> labels;
  for (int i = 0; i < 300; ++i) labels.push_back((i * 7) % 10);  // 30 images per class, interleaved
  auto switches = [&](const std::vector<int64_t>& order) {
    int count = 0;
    for (size_t i = 1; i < order.size(); ++i) count += labels[order[i]] != labels[order[i - 1]];
    return count;
  };
  auto is_permutation = [&](std::vector<int64_t> order) {
    std::sort(order.begin(), order.end());
    for (size_t i = 0; i < order.size(); ++i)
      if (order[i] != static_cast<int64_t>(i)) return false;
    return order.size() == labels.size();
  };
  // delta 0: sorted by label, stable.
  const auto sorted = correlated_order(labels, 0, 1);
  EXPECT_TRUE(is_permutation(sorted));
  EXPECT_EQ(switches(sorted), 9);
  for (size_t i = 1; i < sorted.size(); ++i)
    if (labels[sorted[i]] == labels[sorted[i - 1]]) EXPECT_LT(sorted[i - 1], sorted[i]);
  // Small delta: each class lands in few chunks, so the stream has few long single-class runs;
  // large delta spreads every class over every chunk. Deterministic per seed.
  const auto peaked = correlated_order(labels, 0.01, 2), flat = correlated_order(labels, 1000, 2);
  EXPECT_TRUE(is_permutation(peaked));
  EXPECT_TRUE(is_permutation(flat));
  EXPECT_EQ(peaked, correlated_order(labels, 0.01, 2));
  EXPECT_NE(peaked, correlated_order(labels, 0.01, 3));
  EXPECT_LT(switches(peaked), 30);
  EXPECT_GT(switches(flat), 60);
  // Every chunk needs 10 images: 10 classes of 5 cannot be split so.
  EXPECT_THROW(correlated_order(std::vector<int64_t>(labels.begin(), labels.begin() + 50), 0.1, 0), InvalidArgument);
  EXPECT_EQ(parse_protocol("correlated"), Protocol::kCorrelated);
}

TEST(CorruptionBenchmark, TheGradualStreamGoesUpAndDownTheSeverities) {
  torch::manual_seed(3);
  ZooClassifier model(ZooConfig{.arch = "small_cnn"});
  model.set_training(false);
  auto data = std::make_shared<TensorDataset>(torch::rand({8, 1, 28, 28}), torch::arange(8) % 10,
                                              std::vector<std::string>(8, "c"), "toy");
  CorruptionEvalOptions options;
  options.corruptions = {"fog", "contrast"};
  options.severities = {5};
  options.batch_size = 4;
  options.set_method("tent");
  options.self_learning.optimizer = "sgd";
  options.self_learning.lr = 0.5;
  options.protocol = Protocol::kGradual;
  const auto gradual = evaluate_corruptions(model, data, options);
  ASSERT_EQ(gradual.size(), 1u + 2 * 9);
  const std::vector<int> expected = {1, 2, 3, 4, 5, 4, 3, 2, 1};
  for (size_t i = 0; i < 18; ++i) {
    EXPECT_EQ(gradual[1 + i].corruption, i < 9 ? "fog" : "contrast");
    EXPECT_EQ(gradual[1 + i].severity, expected[i % 9]);
  }
  // It is the continual stream through that severity sequence, never reset.
  options.protocol = Protocol::kContinual;
  options.severities = expected;
  const auto continual = evaluate_corruptions(model, data, options);
  ASSERT_EQ(continual.size(), gradual.size());
  for (size_t i = 0; i < gradual.size(); ++i) EXPECT_DOUBLE_EQ(continual[i].error, gradual[i].error);
  options.protocol = Protocol::kGradual;
  EXPECT_FALSE(options.resumable());
  EXPECT_EQ(parse_protocol("gradual"), Protocol::kGradual);
}

TEST(StreamPredictor, TheSlidingWindowPredictsFromTheBufferAndAdaptsEveryWindow) {
  torch::manual_seed(4);
  ZooClassifier model(ZooConfig{.arch = "small_cnn"});
  model.set_training(false);
  const torch::Tensor x = torch::rand({6, 1, 28, 28});
  CorruptionEvalOptions options;
  options.batch_size = 1;
  options.window = 3;
  options.set_method("bn");
  // BN-1 through the window: image k is predicted by a pass over the buffer, at its slot.
  StreamPredictor bn(model, options);
  const std::vector<std::vector<int64_t>> buffers = {{0}, {0, 1}, {0, 1, 2}, {3, 1, 2}, {3, 4, 2}, {3, 4, 5}};
  const std::vector<int64_t> slot = {0, 1, 2, 0, 1, 2};
  for (int64_t k = 0; k < 6; ++k) {
    const torch::Tensor buffer = x.index_select(0, torch::tensor(buffers[static_cast<size_t>(k)]));
    const torch::Tensor expected = adaptation::predict_bn_adapted(model, buffer, {})[slot[static_cast<size_t>(k)]];
    EXPECT_TRUE(torch::allclose(bn.predict(x.narrow(0, k, 1))[0], expected, 1e-5, 1e-6)) << k;
  }
  // TENT adapts on the full window when its last slot is filled: after images 3 and 6 only.
  options.set_method("tent");
  options.self_learning.optimizer = "sgd";
  options.self_learning.lr = 0.5;
  StreamPredictor tent(model, options);
  auto weights = [&] { return tent.learner()->adapted()[0].detach().clone(); };
  torch::Tensor before = weights();
  for (int64_t k = 0; k < 6; ++k) {
    tent.predict(x.narrow(0, k, 1));
    const bool updated = !torch::equal(weights(), before);
    EXPECT_EQ(updated, k == 2 || k == 5) << k;
    before = weights();
  }
  options.batch_size = 2;
  EXPECT_THROW(options.validate(), InvalidArgument);  // the window is for batch size 1
}

TEST(CorruptionBenchmark, SeveralSelfLearningPassesCountTheLastOnly) {
  torch::manual_seed(0);
  ZooClassifier model(ZooConfig{.arch = "small_cnn"});
  auto data = std::make_shared<TensorDataset>(torch::rand({12, 1, 28, 28}), torch::arange(12) % 10,
                                              std::vector<std::string>(10, "c"), "toy");
  CorruptionEvalOptions options;
  options.set_method("rpl");
  options.batch_size = 4;
  options.self_learning.lr = 0.5;
  const CorruptionError online = error_on(model, data, options);
  options.epochs = 3;
  Progress progress("test", 36);
  const CorruptionError offline = error_on(model, data, options, nullptr, &progress);
  EXPECT_EQ(offline.count, 12);  // the last pass only
  EXPECT_EQ(progress.done(), 36);  // but progress counts every image of every pass
  EXPECT_EQ(online.count, 12);
  options.epochs = 0;
  EXPECT_THROW(options.validate(), InvalidArgument);
}

TEST(CorruptedFolder, EvaluatesWhatIsThereAndNamesWhatIsMissing) {
  testing::TempDir dir;
  // <root>/brightness/5/{dark,bright}/*.png, written as robustlab corrupt would lay them out.
  for (const char* cls : {"bright", "dark"}) {
    std::filesystem::create_directories(dir / "brightness" / "5" / cls);
    for (int i = 0; i < 3; ++i)
      cv::imwrite((dir / "brightness" / "5" / cls / (std::to_string(i) + ".png")).string(),
                  cv::Mat(32, 32, CV_8UC1, cv::Scalar(std::string(cls) == "dark" ? 200 : 220)));
  }
  testing::FunctionClassifier model(
      [](const torch::Tensor& x) {
        const torch::Tensor m = x.flatten(1).mean(1, true);
        return torch::cat({m - 0.5, 0.5 - m}, 1);  // class 0 ("bright") when the image is bright
      },
      2);
  CorruptionEvalOptions options;
  options.corruptions = {"brightness", "fog"};
  options.severities = {5};
  const ImageTransform transform{0, 0, true};
  EXPECT_EQ(missing_corrupted_folders(dir.path(), options), (std::vector<std::string>{"fog/5"}));
  const auto results = evaluate_corrupted_folder(model, dir.path(), nullptr, options, transform, std::nullopt, false);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].corruption, "brightness");
  EXPECT_EQ(results[0].count, 6);
  EXPECT_DOUBLE_EQ(results[0].error, 0.5);  // every image is bright: the "dark" half is wrong
  try {
    evaluate_corrupted_folder(model, dir.path(), nullptr, options, transform, std::nullopt, true);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("fog/5"), std::string::npos);
  }
  EXPECT_THROW(evaluate_corrupted_folder(model, dir / "none", nullptr, options, transform, std::nullopt, false), IoError);
}

TEST(CorruptedFolder, ReadsCifarCNpyFiles) {
  testing::TempDir dir;
  // labels.npy and fog.npy: 10 images of 32x32x3 (5 severities x 2), image i bright when i is odd.
  std::vector<uint8_t> labels, images;
  for (int i = 0; i < 10; ++i) {
    labels.push_back(static_cast<uint8_t>(i % 2));
    images.insert(images.end(), 32 * 32 * 3, static_cast<uint8_t>(i % 2 ? 220 : 30));
  }
  testing::write_npy(dir / "labels.npy", "|u1", "10,", labels);
  testing::write_npy(dir / "fog.npy", "|u1", "10, 32, 32, 3", images);
  testing::FunctionClassifier model(
      [](const torch::Tensor& x) {
        const torch::Tensor m = x.flatten(1).mean(1, true);
        return torch::cat({0.5 - m, m - 0.5}, 1);  // class 1 when bright
      },
      2);
  CorruptionEvalOptions options;
  options.corruptions = {"fog", "snow"};
  options.severities = {1, 5};
  EXPECT_EQ(missing_corrupted_folders(dir.path(), options), (std::vector<std::string>{"snow.npy"}));
  const auto results = evaluate_corrupted_folder(model, dir.path(), nullptr, options, {}, std::nullopt, false);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].severity, 5);
  EXPECT_EQ(results[1].count, 2);
  EXPECT_DOUBLE_EQ(results[1].error, 0.0);
}

}  // namespace
}  // namespace robustlab::evaluation
