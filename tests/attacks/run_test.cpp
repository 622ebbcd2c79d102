#include "robustlab/attacks/run.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "attack_support.h"
#include "robustlab/core/error.h"

namespace robustlab::attacks {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(AttackDataset, ResumingAttacksOnlyTheSamplesNotDone) {
  auto model = testing::constant_classifier();  // never fooled: every attacked sample fails (+inf)
  auto data = std::make_shared<TensorDataset>(torch::rand({5, 1, 4, 4}), torch::zeros({5}, torch::kInt64),
                                              std::vector<std::string>{"a", "b", "c"}, "toy");
  AttackSpec spec;
  spec.fmn.steps = 3;
  std::vector<int64_t> attacked;
  const torch::Tensor norms = attack_dataset(
      model, data, spec, 2,
      [&](const BatchOutcome& o) {
        for (int64_t i = 0; i < o.indices.size(0); ++i) attacked.push_back(o.indices[i].item<int64_t>());
      },
      {{1, 0.5}, {3, 0.25}});
  EXPECT_EQ(attacked, (std::vector<int64_t>{0, 2, 4}));  // in batches of two over what is left
  ASSERT_EQ(norms.size(0), 5);
  EXPECT_DOUBLE_EQ(norms[1].item<double>(), 0.5);
  EXPECT_DOUBLE_EQ(norms[3].item<double>(), 0.25);
  for (int64_t i : {0, 2, 4}) EXPECT_EQ(norms[i].item<double>(), kInf) << i;
  EXPECT_THROW(attack_dataset(model, data, spec, 0), InvalidArgument);
}

}  // namespace
}  // namespace robustlab::attacks
