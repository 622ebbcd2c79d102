// The experiment's analysis on synthetic trial tables with known answers, in the column layout of
// the published CSVs of bethgelab/testing_visualizations.
#include "robustlab/psychophysics/analysis.h"

#include <fstream>

#include <gtest/gtest.h>

#include "robustlab/core/error.h"
#include "test_support.h"

namespace robustlab::psychophysics {
namespace {

const char* kHeader =
    ",subject_id_within_expert_type,trial_nr,block_nr,instr_type,trial_type,catch_trial,batch,layer,kernel_size,channel,"
    "query_order,correct,conf_rating,RT,timeout,response,correct_response,query_image_a,query_image_b,old_trial_nr,"
    "old_block_nr,seed,unit_name,abs_conf_rating,subject_id\n";

// One line of the Experiment I layout.
std::string line(int subject, const std::string& instr, const std::string& type, bool is_catch, bool correct, double rt,
                 int confidence, const std::string& layer = "layer_0") {
  return "0,1,0,0," + instr + "," + type + "," + (is_catch ? "True" : "False") + ",0," + layer + ",0,channel_0,max_min," +
         (correct ? "True" : "False") + ",-1," + std::to_string(rt) + ",False,a,a,x.png,y.png,,,42,\"3a, P \"," +
         std::to_string(confidence) + "," + std::to_string(subject) + "\n";
}

TEST(Analysis, MeanOverParticipantsOfMainNonCatchTrials) {
  testing::TempDir dir;
  const auto path = dir / "exp.csv";
  std::ofstream out(path);
  out << kHeader;
  // Participant 1: 3 of 4 natural main trials right; participant 2: 1 of 2. Pooled trials would give
  // 4/6; the mean of participants 0.625.
  for (bool c : {true, true, true, false}) out << line(1, "natural", "main", false, c, 2.0, 3);
  for (bool c : {true, false}) out << line(2, "natural", "main", false, c, 4.0, 5);
  // Not counted: practice, catch and repeated trials, all wrong.
  out << line(1, "natural", "practice", false, false, 9, 1) << line(2, "natural", "main", true, false, 9, 1)
      << line(2, "natural", "repeated", false, false, 9, 1);
  // Synthetic references: both participants always right.
  for (int s : {1, 2}) out << line(s, "optimized", "main", false, true, 1.0, 6, "layer_8");
  out.close();
  const auto trials = read_published_trials(path);
  ASSERT_EQ(trials.size(), 11u);
  EXPECT_EQ(trials[0].participant, "1");
  const auto acc = accuracy_by(trials, [](const TrialRecord& t) { return t.condition; });
  ASSERT_EQ(acc.size(), 2u);
  EXPECT_DOUBLE_EQ(acc.at("natural").mean, 0.625);
  EXPECT_EQ(acc.at("natural").participants, 2);
  EXPECT_EQ(acc.at("natural").trials, 6);
  // The bootstrap over two participants (0.75 and 0.5) stays within their range and brackets the mean.
  EXPECT_GE(acc.at("natural").ci_low, 0.5);
  EXPECT_LE(acc.at("natural").ci_high, 0.75);
  EXPECT_LT(acc.at("natural").ci_low, 0.625);
  EXPECT_GT(acc.at("natural").ci_high, 0.625);
  EXPECT_DOUBLE_EQ(acc.at("optimized").mean, 1.0);
  EXPECT_DOUBLE_EQ(acc.at("optimized").ci_low, 1.0);  // no spread to resample
  EXPECT_DOUBLE_EQ(acc.at("optimized").ci_high, 1.0);
  const auto rt = participant_means(trials, [](const TrialRecord& t) { return t.condition; },
                                    [](const TrialRecord& t) { return t.rt; });
  EXPECT_NEAR(rt.at("natural").mean, 3.0, 1e-9);
  const auto by_layer = accuracy_by(trials, [](const TrialRecord& t) { return t.layer; });
  EXPECT_DOUBLE_EQ(by_layer.at("layer_8").mean, 1.0);
  EXPECT_EQ(catch_accuracy(trials).at("2"), 0.0);
  EXPECT_EQ(catch_accuracy(trials).count("1"), 0u);
  // Deterministic per seed.
  EXPECT_EQ(accuracy_by(trials, [](const TrialRecord& t) { return t.condition; }, 3).at("natural").ci_low,
            accuracy_by(trials, [](const TrialRecord& t) { return t.condition; }, 3).at("natural").ci_low);
}

TEST(Analysis, BadFilesNameTheProblem) {
  testing::TempDir dir;
  EXPECT_THROW(read_published_trials(dir / "missing.csv"), IoError);
  {
    std::ofstream out(dir / "nocol.csv");
    out << "subject_id,instr_type\n1,natural\n";
  }
  try {
    read_published_trials(dir / "nocol.csv");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("no column 'trial_type'"), std::string::npos) << e.what();
  }
  {
    std::ofstream out(dir / "short.csv");
    out << kHeader << line(1, "natural", "main", false, true, 1, 1) << "0,1,2\n";
  }
  try {
    read_published_trials(dir / "short.csv");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("short.csv:3"), std::string::npos) << e.what();
  }
  {
    std::ofstream out(dir / "bool.csv");
    std::string l = line(1, "natural", "main", false, true, 1, 1);
    l.replace(l.find("True"), 4, "maybe");
    out << kHeader << l;
  }
  EXPECT_THROW(read_published_trials(dir / "bool.csv"), FormatError);
}

}  // namespace
}  // namespace robustlab::psychophysics
