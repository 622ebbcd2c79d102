#include "robustlab/psychophysics/design.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "fake_stimuli.h"
#include "robustlab/core/error.h"
#include "robustlab/psychophysics/analysis.h"

namespace robustlab::psychophysics {
namespace {

using nlohmann::json;

bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(Design, SessionsFollowTheBlockDesign) {
  const json manifest = fakes::fake_manifest(5, 20, 10);
  const DesignOptions design;  // 15 main + 3 catch trials per block, 9 references
  for (int64_t slot = 0; slot < 4; ++slot) {
    const auto session = make_session(manifest, design, slot);
    ASSERT_EQ(session.size(), 15u + 18 + 18 + 15);
    std::vector<std::string> blocks;
    std::map<std::string, int> catches;
    for (size_t i = 0; i < session.size(); ++i) {
      const Trial& t = session[i];
      EXPECT_EQ(t.index, static_cast<int64_t>(i));
      if (blocks.empty() || blocks.back() != t.block) {
        blocks.push_back(t.block);
        EXPECT_EQ(t.break_before, i > 0);
      } else {
        EXPECT_FALSE(t.break_before);
      }
      catches[t.block] += t.catch_trial ? 1 : 0;
      // The right answer is the query with the higher activation.
      EXPECT_GT(t.correct == 0 ? t.left_activation : t.right_activation,
                t.correct == 0 ? t.right_activation : t.left_activation);
      const std::string max_query = t.correct == 0 ? t.left : t.right;
      const std::string min_query = t.correct == 0 ? t.right : t.left;
      const std::string batch = "units/" + std::to_string(t.unit) + "/natural/batch_" + std::to_string(t.batch) + "/";
      if (t.condition == "none") {
        EXPECT_TRUE(t.max_references.empty() && t.min_references.empty());
      } else {
        ASSERT_EQ(t.max_references.size(), 9u);
        ASSERT_EQ(t.min_references.size(), 9u);
      }
      if (!t.catch_trial) {
        // Main trials: the batch's most and least activating natural images, never among the references.
        EXPECT_EQ(max_query, batch + "max_9.png");
        EXPECT_EQ(min_query, batch + "min_0.png");
        EXPECT_FALSE(contains(t.max_references, max_query) || contains(t.min_references, min_query));
      } else {
        EXPECT_TRUE(contains(t.max_references, max_query)) << max_query;
        EXPECT_TRUE(contains(t.min_references, min_query)) << min_query;
      }
      if (t.condition == "natural") {
        EXPECT_EQ(t.max_references.front(), batch + "max_0.png");
        EXPECT_EQ(t.min_references.back(), batch + "min_9.png");
      }
      if (t.condition == "optimized") EXPECT_NE(t.max_references.front().find("/synthetic/max_"), std::string::npos);
    }
    const std::vector<std::string> expected =
        slot % 2 == 0 ? std::vector<std::string>{"none_pre", "natural", "optimized", "none_post"}
                      : std::vector<std::string>{"none_pre", "optimized", "natural", "none_post"};
    EXPECT_EQ(blocks, expected);  // counterbalanced over participants
    EXPECT_EQ(catches["natural"], 3);
    EXPECT_EQ(catches["optimized"], 3);
    EXPECT_EQ(catches["none_pre"], 0);
  }
  // A session is a function of the slot; sessions differ between slots.
  const auto a = make_session(manifest, design, 2), b = make_session(manifest, design, 2), c = make_session(manifest, design, 4);
  ASSERT_EQ(a.size(), b.size());
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].left, b[i].left);
    differs |= a[i].left != c[i].left;
  }
  EXPECT_TRUE(differs);
}

TEST(Design, LeftAndRightAndUnitsAreBalanced) {
  const json manifest = fakes::fake_manifest(5, 20, 10);
  int left = 0, total = 0;
  std::map<int64_t, int> units;
  for (int64_t slot = 0; slot < 20; ++slot) {
    for (const auto& t : make_session(manifest, DesignOptions{}, slot)) {
      left += t.correct == 0;
      ++total;
      units[t.unit] += 1;
    }
  }
  EXPECT_NEAR(static_cast<double>(left) / total, 0.5, 0.05);
  for (const auto& [u, n] : units) EXPECT_NEAR(n, total / 5, total / 25) << "unit " << u;  // the cycle covers every unit
}

TEST(Design, ClientSeesNamesOnly) {
  const json manifest = fakes::fake_manifest(2, 3, 10);
  const auto session = make_session(manifest, DesignOptions{.main_trials = 2, .catch_trials = 1}, 1);
  const Trial& t = session[3];  // in the first block with references
  ASSERT_FALSE(t.max_references.empty());
  const json c = trial_for_client(t, static_cast<int64_t>(session.size()));
  EXPECT_EQ(c.dump().find("units/"), std::string::npos);  // no file names
  EXPECT_EQ(c.dump().find("activation"), std::string::npos);
  EXPECT_FALSE(c.contains("correct"));
  EXPECT_EQ(trial_image(t, "q/left"), t.left);
  EXPECT_EQ(trial_image(t, "r/max/8"), t.max_references[8]);
  EXPECT_EQ(trial_image(t, "r/min/0"), t.min_references[0]);
  for (const char* bad : {"r/max/9", "r/max/", "r/max/-1", "../stimuli.json", "q/middle", "r/max/1/../2", "r/min/0001"})
    EXPECT_EQ(trial_image(t, bad), "") << bad;
  EXPECT_THROW(make_session(manifest, DesignOptions{.references = 10}, 0), InvalidArgument);
}

TEST(Design, RecordsGiveTheAnalysisKnownAccuracies) {
  const json manifest = fakes::fake_manifest(2, 3, 10);
  const DesignOptions design{.main_trials = 4, .catch_trials = 1};
  // Participant 1 answers every trial right; participant 2 right only with natural references and
  // on catch trials.
  std::vector<ParticipantAnswers> data;
  for (int64_t p = 1; p <= 2; ++p) {
    ParticipantAnswers a{p, p, make_session(manifest, design, p), {}};
    for (const auto& t : a.trials) {
      const bool right = p == 1 || t.condition == "natural" || t.catch_trial;
      a.answers.push_back({{"choice", right ? t.correct : 1 - t.correct}, {"confidence", 2}, {"rt_ms", 1500.0}});
    }
    data.push_back(std::move(a));
  }
  data[1].answers.resize(9);  // participant 2 stopped after none_pre (4) and their first block (natural: 4 + 1 catch)
  const auto records = experiment_records(manifest, data);
  EXPECT_EQ(records.size(), data[0].trials.size() + 9);
  const auto acc = accuracy_by(records, [](const TrialRecord& r) { return r.condition; });
  EXPECT_DOUBLE_EQ(acc.at("natural").mean, 1.0);
  EXPECT_EQ(acc.at("natural").participants, 2);
  EXPECT_EQ(acc.at("natural").trials, 8);  // main trials only
  EXPECT_DOUBLE_EQ(acc.at("none_pre").mean, 0.5);  // 1.0 and 0.0
  EXPECT_DOUBLE_EQ(acc.at("optimized").mean, 1.0);  // participant 1 only
  EXPECT_EQ(acc.at("optimized").participants, 1);
  const auto catches = catch_accuracy(records);
  EXPECT_DOUBLE_EQ(catches.at("2"), 1.0);
}

}  // namespace
}  // namespace robustlab::psychophysics
