// Hyper-parameter selection on the held-out corruptions, and the presets.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <set>

#include "robustlab/core/error.h"
#include "robustlab/evaluation/selection.h"
#include "robustlab/models/zoo.h"

namespace robustlab::evaluation {
namespace {

const std::set<std::string> kDev = {"speckle_noise", "gaussian_blur", "spatter", "saturate"};

TEST(Selection, PicksTheLowestMeanDevErrorAndNeverReadsABenchmarkCorruption) {
  // A fake benchmark loop: the error depends on the learning rate only (lowest at 1e-3 with adam),
  // and it records every corruption it is asked to read.
  std::set<std::string> read;
  int calls = 0;
  auto evaluate = [&](const CorruptionEvalOptions& o) {
    ++calls;
    EXPECT_FALSE(o.measure_clean);
    std::vector<CorruptionError> out;
    for (const auto& name : o.corruptions)
      for (int s : o.severities) {
        read.insert(name);
        const double e = std::abs(std::log10(o.self_learning.lr) + 3) / 10 + (o.self_learning.optimizer == "adam" ? 0 : 0.01);
        out.push_back({name, s, e + 0.001 * s, 100});
      }
    return out;
  };
  CorruptionEvalOptions options;  // asks for the 15 benchmark corruptions
  options.set_method("rpl");
  options.severities = {3, 5};
  std::vector<CandidateResult> seen;
  const Selection sel = select_on_dev(options, default_grid(), evaluate, [&](const CandidateResult& r) { seen.push_back(r); });
  EXPECT_EQ(read, kDev);
  EXPECT_EQ(calls, 6);
  ASSERT_EQ(sel.grid.size(), 6u);
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(sel.best.optimizer, "adam");
  EXPECT_DOUBLE_EQ(sel.best.lr, 1e-3);
  EXPECT_NEAR(sel.best_error, 0.004, 1e-12);  // mean over the 4 x 2 conditions of 0.001 * s
  EXPECT_EQ(sel.grid[4].errors.size(), 8u);
  // Only self-learning has hyper-parameters; an empty grid or nothing measured is an error.
  options.set_method("bn");
  EXPECT_THROW(select_on_dev(options, default_grid(), evaluate), InvalidArgument);
  options.set_method("ent");
  EXPECT_THROW(select_on_dev(options, {}, evaluate), InvalidArgument);
  EXPECT_THROW(select_on_dev(options, default_grid(), [](const CorruptionEvalOptions&) {
                 return std::vector<CorruptionError>{{"clean", 0, 0.1, 10}};
               }),
               InvalidArgument);
}

TEST(Selection, OnARealModelOnlyTheDevCorruptionsAreComputed) {
  torch::manual_seed(0);
  ZooClassifier model(ZooConfig{.arch = "small_cnn"});
  auto data = std::make_shared<TensorDataset>(torch::rand({8, 1, 28, 28}), torch::arange(8) % 10,
                                              std::vector<std::string>(10, "c"), "toy");
  CorruptionEvalOptions options;
  options.set_method("ent");
  options.severities = {5};
  options.batch_size = 4;
  std::set<std::string> measured;
  auto flat = [&] {
    std::vector<torch::Tensor> p;
    for (const auto& t : model.parameters()) p.push_back(t.detach().flatten());
    return torch::cat(p);
  };
  const torch::Tensor before = flat().clone();
  const Selection sel = select_on_dev(options, {{"sgd", 1e-3}, {"adam", 1e-2}}, [&](const CorruptionEvalOptions& o) {
    return evaluate_corruptions(model, data, o, [&](const CorruptionError& e) { measured.insert(e.corruption); });
  });
  EXPECT_EQ(measured, kDev);  // no clean pass, no benchmark corruption
  EXPECT_EQ(sel.grid.size(), 2u);
  for (const auto& r : sel.grid) EXPECT_EQ(r.errors.size(), 4u);
  EXPECT_TRUE(torch::equal(flat(), before));  // every candidate starts from the source
}

TEST(Presets, SetThePublishedValuesAndNameWhatIsMissing) {
  CorruptionEvalOptions o;
  o.set_method("ent");
  apply_preset("benchmark", o);
  EXPECT_EQ(o.self_learning.optimizer, "sgd");
  EXPECT_DOUBLE_EQ(o.self_learning.lr, 2.5e-4);
  EXPECT_EQ(o.batch_size, 64);
  EXPECT_EQ(o.protocol, Protocol::kContinual);  // the benchmark's continual setting
  o.set_method("rpl");
  apply_preset("benchmark", o);
  EXPECT_DOUBLE_EQ(o.self_learning.lr, 5e-4);
  apply_preset("rusak2021", o);
  EXPECT_DOUBLE_EQ(o.self_learning.lr, 1e-3);
  EXPECT_DOUBLE_EQ(o.self_learning.q, 0.8);
  EXPECT_EQ(o.batch_size, 128);
  EXPECT_EQ(o.protocol, Protocol::kResetEachShift);
  o.set_method("hard-pl");
  EXPECT_THROW(apply_preset("benchmark", o), InvalidArgument);
  EXPECT_THROW(apply_preset("tent2021", o), InvalidArgument);
  o.set_method("bn");
  EXPECT_THROW(apply_preset("rusak2021", o), InvalidArgument);
  // The TTA benchmark's CIFAR-10-C yaml: Adam 1e-3, batch 200, EATA's 10-class margins.
  o.set_method("eata");
  apply_preset("benchmark-cifar10", o);
  EXPECT_EQ(o.self_learning.optimizer, "adam");
  EXPECT_DOUBLE_EQ(o.self_learning.lr, 1e-3);
  EXPECT_DOUBLE_EQ(o.self_learning.diversity_margin, 0.4);
  EXPECT_DOUBLE_EQ(o.self_learning.fisher_alpha, 1.0);
  EXPECT_EQ(o.batch_size, 200);
  o.set_method("eta");
  apply_preset("benchmark-cifar10", o);
  EXPECT_DOUBLE_EQ(o.self_learning.fisher_alpha, 0.0);  // ETA stays without the regulariser
  EXPECT_EQ(o.method(), "eta");
  o.set_method("sar");
  apply_preset("benchmark", o);
  EXPECT_DOUBLE_EQ(o.self_learning.lr, 2.5e-4);
}

}  // namespace
}  // namespace robustlab::evaluation
