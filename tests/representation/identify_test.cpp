#include "robustlab/representation/identify.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/core/parallel.h"

namespace robustlab::representation {
namespace {

// Tiny runs (n = 3, small encoder, a few hundred steps, a few seconds): the loop, the logging and
// the evaluation. The paper-scale claims are measured by `robustlab identify --table synthetic`
// (docs/representation.md), not here.
IdentifyOptions tiny(ContrastiveLoss loss) {
  IdentifyOptions o;
  o.latents = {.space = SpaceKind::kBox, .n = 3, .conditional = {DistributionKind::kLaplace, 0.05}};
  o.loss = {.loss = loss, .p = 1.0};
  o.cond_iterations = 500;
  o.batch_size = 256;
  o.steps = 300;
  o.lr = 1e-3;
  o.log_every = 100;
  o.log_samples = 1024;
  o.eval_batches = 3;
  return o;
}

TEST(Identify, SupervisedBaselineLearnsTheInverse) {
  set_threads(2);
  const IdentifyResult r = run_identify(tiny(ContrastiveLoss::kSupervised));
  EXPECT_GT(r.r2_mean, 0.95);
  EXPECT_GT(r.mcc_mean, 0.95);
  EXPECT_GE(r.r2_sd, 0.0);
}

TEST(Identify, ContrastiveTrainingLogsLikeClIcaAndImproves) {
  set_threads(2);
  std::vector<int64_t> seen;
  const IdentifyResult r = run_identify(tiny(ContrastiveLoss::kLp), [&](const CurvePoint& p) { seen.push_back(p.step); });
  // cl-ica logs at steps 1, 1 + log_every, ... and the last one.
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 101, 201, 300}));
  ASSERT_EQ(r.curve.size(), 4u);
  EXPECT_LT(r.curve.back().loss, r.curve.front().loss);
  EXPECT_GT(r.curve.back().mcc, r.curve.front().mcc);
  EXPECT_GT(r.threshold, 1.0);
  // Same seed, same run.
  const IdentifyResult again = run_identify(tiny(ContrastiveLoss::kLp));
  EXPECT_DOUBLE_EQ(again.mcc_mean, r.mcc_mean);
}

TEST(Identify, DotLossDefaultsToTheSphereOutput) {
  IdentifyOptions o = tiny(ContrastiveLoss::kDot);
  EXPECT_EQ(o.output_normalization(), OutputNormalization::kFixedSphere);
  o.normalization = OutputNormalization::kLearnableBox;
  EXPECT_EQ(o.output_normalization(), OutputNormalization::kLearnableBox);
  EXPECT_EQ(tiny(ContrastiveLoss::kLp).output_normalization(), OutputNormalization::kNone);
  o.steps = 0;
  EXPECT_THROW(run_identify(o), InvalidArgument);
}

TEST(Identify, TheSyntheticTableHasTheRowsOfThePaper) {
  const auto rows = synthetic_table(5, 512, 100, 0);
  ASSERT_GE(rows.size(), 8u);
  int matching = 0;
  bool control = false;
  for (const auto& row : rows) {
    EXPECT_NO_THROW(row.options.validate()) << row.name;
    EXPECT_EQ(row.options.batch_size, 512);
    EXPECT_EQ(row.options.latents.n, 5);
    matching += row.theory_matching;
    control |= row.options.latents.space == SpaceKind::kUnbounded &&
               row.options.latents.conditional.kind == DistributionKind::kNormal && !row.theory_matching;
  }
  EXPECT_GE(matching, 3);
  EXPECT_TRUE(control) << "the Gaussian–Gaussian negative control";
  EXPECT_NEAR(rows[0].published, 99.42, 1e-9);
}

}  // namespace
}  // namespace robustlab::representation
