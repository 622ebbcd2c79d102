#include "robustlab/human/decisions.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <opencv2/imgcodecs.hpp>

#include "robustlab/core/error.h"
#include "robustlab/human/metrics.h"
#include "robustlab/models/load.h"
#include "test_support.h"
#include "torchscript_models.h"

namespace robustlab::human {
namespace {

namespace fs = std::filesystem;

TEST(Categories, ShippedMappingHas207IndicesIn16Categories) {
  const HumanCategories& c = human_categories();
  ASSERT_EQ(c.names.size(), 16u);
  EXPECT_EQ(c.names.front(), "airplane");
  EXPECT_EQ(c.names.back(), "truck");
  size_t total = 0;
  for (const auto& i : c.indices) total += i.size();
  EXPECT_EQ(total, 207u);
  EXPECT_EQ(c.indices[10].size(), 109u);  // dog
  EXPECT_EQ(c.indices[3].size(), 49u);    // bird
  EXPECT_EQ(c.indices[0], (std::vector<int64_t>{404}));
  EXPECT_THROW(parse_categories("category\tindices\ncat\t1,1\n", "t"), FormatError);
  EXPECT_THROW(parse_categories("category\tindices\ncat\t1000\n", "t"), FormatError);
  EXPECT_THROW(parse_categories("category\tindices\ncat 1\n", "t"), FormatError);
}

TEST(Decisions, MeanNotSumOverACategorysIndices) {
  // Every dog class twice as likely as a baseline class, the single knife class ten times:
  // the mean picks knife, a sum over dog's 109 classes would pick dog.
  auto logits = torch::zeros({1, 1000}, torch::kFloat64);
  for (int64_t i : human_categories().indices[10]) logits[0][i] = std::log(2.0);
  logits[0][499] = std::log(10.0);
  EXPECT_EQ(sixteen_class_decisions(logits), (std::vector<std::string>{"knife"}));
  const auto p = sixteen_class_probabilities(logits);
  EXPECT_NEAR(p[0][13].item<double>() / p[0][10].item<double>(), 5.0, 1e-9);
  // 16-way logits are taken as they are.
  auto direct = torch::zeros({2, 16});
  direct[0][7] = 1;
  direct[1][15] = 1;
  EXPECT_EQ(sixteen_class_decisions(direct), (std::vector<std::string>{"cat", "truck"}));
  EXPECT_THROW(sixteen_class_decisions(torch::zeros({1, 10})), ShapeError);
}

TEST(Run, SessionLayoutWritesTheToolboxFormat) {
  testing::TempDir dir;
  const fs::path stimuli = dir / "colour" / "dnn" / "session-1";
  fs::create_directories(stimuli);
  cv::imwrite((stimuli / "0001_cl_dnn_cr_airplane_40_n02690373_1.png").string(), cv::Mat(224, 224, CV_8UC3, cv::Scalar(250, 250, 250)));
  cv::imwrite((stimuli / "0002_cl_dnn_bw_knife_40_n03041632_2.png").string(), cv::Mat(224, 224, CV_8UC3, cv::Scalar(5, 5, 5)));
  cv::imwrite((stimuli / "0003_cl_dnn_bw_knife_40_n03041632_3.png").string(), cv::Mat(224, 224, CV_8UC3, cv::Scalar(240, 240, 240)));
  const auto model = load_classifier(testing::save_brightness_model(dir / "brightness.pt").string());
  const ObserverTrials t = run_on_stimuli(*model, dir / "colour", {.observer = "bright", .batch_size = 2});
  EXPECT_EQ(t.dataset, "colour");
  ASSERT_EQ(t.trials.size(), 3u);
  EXPECT_EQ(t.trials[0].response, "airplane");
  EXPECT_EQ(t.trials[0].condition, "cr");
  EXPECT_EQ(t.trials[1].response, "knife");
  EXPECT_EQ(t.trials[1].category, "knife");
  EXPECT_EQ(t.trials[2].response, "airplane");
  EXPECT_EQ(t.trials[2].trial, 3);
  write_raw_csv(dir / "out" / "colour_bright_session-1.csv", t);
  const ObserverTrials back = read_raw_csv(dir / "out" / "colour_bright_session-1.csv");
  EXPECT_EQ(back.dataset, "colour");
  EXPECT_EQ(back.trials[1].image_key, "n03041632_2.png");
  EXPECT_DOUBLE_EQ(accuracy(back.trials), 2.0 / 3.0);
}

TEST(Run, CategoryLayoutAndBadFolders) {
  testing::TempDir dir;
  fs::create_directories(dir / "edge" / "knife");
  cv::imwrite((dir / "edge" / "knife" / "knife1.png").string(), cv::Mat(224, 224, CV_8UC3, cv::Scalar(0, 0, 0)));
  const auto stimuli = list_stimuli(dir / "edge");
  ASSERT_EQ(stimuli.size(), 1u);
  EXPECT_EQ(stimuli[0].category, "knife");
  EXPECT_EQ(stimuli[0].condition, "NaN");
  fs::create_directories(dir / "bad" / "zebra");
  cv::imwrite((dir / "bad" / "zebra" / "z.png").string(), cv::Mat(8, 8, CV_8UC3));
  EXPECT_THROW(list_stimuli(dir / "bad"), FormatError);
  EXPECT_THROW(list_stimuli(dir / "missing"), IoError);
}

}  // namespace
}  // namespace robustlab::human
