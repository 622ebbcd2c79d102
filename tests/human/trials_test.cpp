#include "robustlab/human/trials.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "robustlab/core/error.h"
#include "test_support.h"

namespace robustlab::human {
namespace {

namespace fs = std::filesystem;

fs::path raw_data() { return testing::shared_dir() / "data/model-vs-human/raw-data"; }

TEST(ImageKey, FollowsTheToolboxRule) {
  EXPECT_EQ(image_key("0001_cl_s01_cr_oven_40_n04111531_14126.png"), "n04111531_14126.png");
  EXPECT_EQ(image_key("0001_s5n_s01_0_bird_00_bird3-bird2.png"), "bird3-bird2.png");
  EXPECT_EQ(image_key("airplane1-bicycle2.png"), "airplane1-bicycle2.png");
  EXPECT_EQ(image_key("0002_ske_dnn_0_airplane_00_airplane-0002-sketch-1.png"), "airplane-0002-sketch-1.png");
}

TEST(NormalizeConditions, MatchesPandasTypeInference) {
  EXPECT_EQ(normalize_conditions({"0.00", "0.03", "0.10", "0.35", "0.90"}),
            (std::vector<std::string>{"0.0", "0.03", "0.1", "0.35", "0.9"}));
  EXPECT_EQ(normalize_conditions({"inf", "3", "1.5", "1", "0.55"}),
            (std::vector<std::string>{"inf", "3.0", "1.5", "1.0", "0.55"}));
  EXPECT_EQ(normalize_conditions({"0", "15", "40"}), (std::vector<std::string>{"0", "15", "40"}));
  EXPECT_EQ(normalize_conditions({"true", "false"}), (std::vector<std::string>{"True", "False"}));
  EXPECT_EQ(normalize_conditions({"c100", "c05"}), (std::vector<std::string>{"c100", "c05"}));
  EXPECT_EQ(normalize_conditions({"0", "pow"}), (std::vector<std::string>{"0", "pow"}));
  EXPECT_EQ(normalize_conditions({"1-10-10", "64-10-10"}), (std::vector<std::string>{"1-10-10", "64-10-10"}));
  EXPECT_EQ(normalize_conditions({"NaN", "NaN"}), (std::vector<std::string>{"nan", "nan"}));
}

TEST(ReadRawCsv, HumanFileWithCapitalSessionAndNaResponses) {
  // colour human files spell the column "Session" (README quirk 1).
  const ObserverTrials t = read_raw_csv(raw_data() / "colour/colour_subject-01_session_1.csv");
  EXPECT_EQ(t.dataset, "colour");
  EXPECT_EQ(t.observer, "subject-01");
  EXPECT_TRUE(t.human);
  ASSERT_EQ(t.trials.size(), 1280u);
  EXPECT_EQ(t.trials[0].image_key, "n04111531_14126.png");
  EXPECT_EQ(t.trials[0].condition, "cr");
  EXPECT_TRUE(t.trials[0].correct());
  EXPECT_FALSE(t.trials[1].correct());  // cat for a bear
  EXPECT_NEAR(t.trials[0].rt, 0.796405076980591, 1e-12);
}

TEST(ReadRawCsv, ModelFileWithCrlfAndNumericConditions) {
  const ObserverTrials t = read_raw_csv(raw_data() / "uniform-noise/uniform-noise_resnet50_session-1.csv");
  EXPECT_EQ(t.observer, "resnet50");
  EXPECT_FALSE(t.human);
  EXPECT_TRUE(std::isnan(t.trials[0].rt));
  EXPECT_EQ(t.trials[0].condition, "0.03");
  EXPECT_EQ(t.trials[1].condition, "0.9");
  EXPECT_EQ(t.trials[0].imagename.back(), 'g') << "the CR of the CRLF line end is dropped";
}

TEST(ReadRawCsv, CountsTheWholeHumanDataset) {
  const RawData data = read_raw_data(raw_data());
  EXPECT_EQ(data.size(), 17u);
  int64_t human_trials = 0, na = 0, human_files = 0;
  for (const auto& [dataset, observers] : data) {
    for (const auto& o : observers) {
      if (!o.human) continue;
      ++human_files;
      human_trials += static_cast<int64_t>(o.trials.size());
      for (const auto& t : o.trials) na += t.response == "na";
    }
  }
  EXPECT_EQ(human_files, 90);
  EXPECT_EQ(human_trials, 85120);
  EXPECT_EQ(na, 597);
}

TEST(ReadRawCsv, MalformedFilesNameFileAndLine) {
  testing::TempDir dir;
  const std::string header = "subj,session,trial,rt,object_response,category,condition,imagename\n";
  std::ofstream(dir / "short_a.csv") << header << "resnet50,1,1,NaN,cat,cat,0,a.png\nresnet50,1,2,NaN,cat\n";
  try {
    read_raw_csv(dir / "short_a.csv");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("short_a.csv:3: expected 8 fields, found 5"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "nocol_a.csv") << "subj,session,trial,rt,object_response,category,imagename\n";
  EXPECT_THROW(read_raw_csv(dir / "nocol_a.csv"), FormatError);
  std::ofstream(dir / "trial_a.csv") << header << "resnet50,1,one,NaN,cat,cat,0,a.png\n";
  EXPECT_THROW(read_raw_csv(dir / "trial_a.csv"), FormatError);
  std::ofstream(dir / "empty_a.csv") << "";
  EXPECT_THROW(read_raw_csv(dir / "empty_a.csv"), FormatError);
  std::ofstream(dir / "mixed_a.csv") << header << "a,1,1,NaN,cat,cat,0,a.png\nb,1,2,NaN,cat,cat,0,b.png\n";
  EXPECT_THROW(read_raw_csv(dir / "mixed_a.csv"), FormatError);
  EXPECT_THROW(read_raw_csv(dir / "missing.csv"), IoError);
  EXPECT_THROW(read_raw_data(dir / "nowhere"), IoError);
}

TEST(WriteRawCsv, RoundTrips) {
  testing::TempDir dir;
  const ObserverTrials t = read_raw_csv(raw_data() / "edge/edge_resnet50_session-1.csv");
  write_raw_csv(dir / "edge" / "edge_copy_session-1.csv", t);
  const ObserverTrials back = read_raw_csv(dir / "edge" / "edge_copy_session-1.csv");
  ASSERT_EQ(back.trials.size(), t.trials.size());
  EXPECT_EQ(back.observer, "resnet50");
  for (size_t i = 0; i < t.trials.size(); ++i) {
    EXPECT_EQ(back.trials[i].response, t.trials[i].response);
    EXPECT_EQ(back.trials[i].image_key, t.trials[i].image_key);
    EXPECT_EQ(back.trials[i].condition, t.trials[i].condition);
  }
}

}  // namespace
}  // namespace robustlab::human
