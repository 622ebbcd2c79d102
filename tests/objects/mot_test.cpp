#include "robustlab/objects/mot.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "robustlab/core/error.h"

namespace robustlab::objects {
namespace {

/// A 64×64 mask of the rectangle rows r0..r1-1, cols c0..c1-1.
torch::Tensor box(int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  torch::Tensor m = torch::zeros({64, 64}, torch::kUInt8);
  m.slice(0, r0, r1).slice(1, c0, c1).fill_(1);
  return m;
}

/// A frame of object masks with ids, and the background (the rest) last when `background`.
Frame frame(const std::vector<std::pair<int64_t, torch::Tensor>>& objects, bool background, int64_t bg_id = 99) {
  Frame f;
  torch::Tensor covered = torch::zeros({64, 64}, torch::kUInt8);
  for (const auto& [id, m] : objects) {
    f.masks.push_back(rle_encode(m));
    f.ids.push_back(id);
    covered = covered.logical_or(m).to(torch::kUInt8);
  }
  if (background) {
    f.masks.push_back(rle_encode(1 - covered));
    f.ids.push_back(bg_id);
    f.num_bg = 1;
  }
  return f;
}

const torch::Tensor A = box(10, 20, 10, 20), B = box(40, 50, 40, 50);

/// Ten frames of A (id 1) and B (id 2) with the background; predictions from a function of t.
std::pair<std::vector<Video>, std::vector<Video>> sequence(
    const std::function<std::vector<std::pair<int64_t, torch::Tensor>>(int64_t)>& predicted) {
  Video gt, pred;
  for (int64_t t = 0; t < 10; ++t) {
    gt.push_back(frame({{1, A}, {2, B}}, true));
    pred.push_back(frame(predicted(t), false));
  }
  return {{gt}, {pred}};
}

TEST(Rle, RoundTripsAndMatchesKaggleConvention) {
  torch::Tensor m = torch::zeros({3, 4}, torch::kUInt8);
  m[0][1] = 1, m[0][2] = 1, m[2][3] = 1;
  // Row-major, 1-based: pixels 2-3 and 12.
  EXPECT_EQ(rle_encode(m), "2 2 12 1");
  EXPECT_TRUE(rle_decode("2 2 12 1", 3, 4).equal(m));
  EXPECT_EQ(rle_encode(torch::zeros({3, 4})), "");
  const torch::Tensor r = (torch::rand({64, 64}) > 0.5).to(torch::kUInt8);
  EXPECT_TRUE(rle_decode(rle_encode(r), 64, 64).equal(r));
  EXPECT_THROW(rle_decode("2 2 12", 3, 4), FormatError);     // odd length
  EXPECT_THROW(rle_decode("11 3", 3, 4), FormatError);       // past the image
  EXPECT_THROW(rle_decode("0 1", 3, 4), FormatError);        // starts are 1-based
  EXPECT_THROW(rle_decode("1 x", 3, 4), FormatError);        // not a number
}

TEST(Mot, GroundTruthAsPredictionIsPerfect) {
  // The prediction includes a background slot; it is removed (IoU with the background > 0.2).
  auto [gt, pred] = sequence([](int64_t) {
    return std::vector<std::pair<int64_t, torch::Tensor>>{{10, A}, {11, B}, {12, 1 - A.logical_or(B).to(torch::kUInt8)}};
  });
  const MotMetrics m = evaluate_mot(gt, pred).metrics;
  EXPECT_DOUBLE_EQ(m.mota, 100);
  EXPECT_DOUBLE_EQ(m.motp, 100);
  EXPECT_DOUBLE_EQ(m.mostly_tracked, 100);
  EXPECT_DOUBLE_EQ(m.mostly_detected, 100);
  EXPECT_EQ(m.num_objects, 16);  // frames 2..9, two objects
  EXPECT_EQ(m.num_frames, 8);
  EXPECT_EQ(m.num_false_positives, 0);
}

TEST(Mot, ASlotSwapGivesTwoSwitchesOnce) {
  auto [gt, pred] = sequence([](int64_t t) {
    return t < 5 ? std::vector<std::pair<int64_t, torch::Tensor>>{{10, A}, {11, B}}
                 : std::vector<std::pair<int64_t, torch::Tensor>>{{10, B}, {11, A}};
  });
  const MotMetrics m = evaluate_mot(gt, pred).metrics;
  EXPECT_EQ(m.num_switches, 2);
  EXPECT_EQ(m.num_matches, 14);
  EXPECT_DOUBLE_EQ(m.mota, (1 - 2.0 / 16) * 100);
  EXPECT_DOUBLE_EQ(m.mostly_tracked, 100);  // 7 of 8 frames matched
  // A swap before the first scored frame does not count.
  auto [gt2, pred2] = sequence([](int64_t t) {
    return t < 1 ? std::vector<std::pair<int64_t, torch::Tensor>>{{10, A}, {11, B}}
                 : std::vector<std::pair<int64_t, torch::Tensor>>{{10, B}, {11, A}};
  });
  EXPECT_EQ(evaluate_mot(gt2, pred2).metrics.num_switches, 0);
}

TEST(Mot, MostlyTrackedCountsOnlyMatchesMostlyDetectedAlsoSwitches) {
  // Swapped at frame 5 and back at frame 7: each object has 2 switches in 8 frames.
  auto [gt, pred] = sequence([](int64_t t) {
    return t == 5 || t == 6 ? std::vector<std::pair<int64_t, torch::Tensor>>{{10, B}, {11, A}}
                            : std::vector<std::pair<int64_t, torch::Tensor>>{{10, A}, {11, B}};
  });
  const MotMetrics m = evaluate_mot(gt, pred).metrics;
  EXPECT_EQ(m.num_switches, 4);
  EXPECT_DOUBLE_EQ(m.mostly_tracked, 0);    // 6/8 = 0.75 < 0.8
  EXPECT_DOUBLE_EQ(m.mostly_detected, 100);
}

TEST(Mot, MissSpuriousSlotTinyMaskAndBackgroundSlot) {
  // B never predicted: 8 misses.
  auto [gt, pred] = sequence([](int64_t) { return std::vector<std::pair<int64_t, torch::Tensor>>{{10, A}}; });
  MotMetrics m = evaluate_mot(gt, pred).metrics;
  EXPECT_EQ(m.num_misses, 8);
  EXPECT_DOUBLE_EQ(m.mota, 50);
  EXPECT_DOUBLE_EQ(m.mostly_detected, 50);
  // A spurious slot on empty background (small IoU with the background): 8 false positives.
  std::tie(gt, pred) = sequence([](int64_t) {
    return std::vector<std::pair<int64_t, torch::Tensor>>{{10, A}, {11, B}, {12, box(30, 35, 0, 6)}};
  });
  m = evaluate_mot(gt, pred).metrics;
  EXPECT_EQ(m.num_false_positives, 8);
  EXPECT_DOUBLE_EQ(m.mota, 50);
  EXPECT_DOUBLE_EQ(m.false_positives, 50);
  // A slot of 5 pixels is dropped (no false positive); one of 6 is not.
  std::tie(gt, pred) = sequence([](int64_t) {
    return std::vector<std::pair<int64_t, torch::Tensor>>{{10, A}, {11, B}, {12, box(30, 31, 0, 5)}};
  });
  EXPECT_EQ(evaluate_mot(gt, pred).metrics.num_false_positives, 0);
  std::tie(gt, pred) = sequence([](int64_t) {
    return std::vector<std::pair<int64_t, torch::Tensor>>{{10, A}, {11, B}, {12, box(30, 31, 0, 6)}};
  });
  EXPECT_EQ(evaluate_mot(gt, pred).metrics.num_false_positives, 8);
  // A tiny ground-truth object (5 px) is not counted, so the slot covering it is a false positive.
  Video gt3, pred3;
  const torch::Tensor tiny = box(30, 31, 30, 35), slot = box(30, 32, 30, 35);
  for (int64_t t = 0; t < 10; ++t) {
    gt3.push_back(frame({{1, A}, {3, tiny}}, true));
    pred3.push_back(frame({{10, A}, {12, slot}}, false));
  }
  m = evaluate_mot({gt3}, {pred3}).metrics;
  EXPECT_EQ(m.num_objects, 8);
  EXPECT_EQ(m.num_false_positives, 8);
  // A slot on the background is removed; without exclude_background it is a false positive.
  std::tie(gt, pred) = sequence([](int64_t) {
    return std::vector<std::pair<int64_t, torch::Tensor>>{{10, A}, {11, B}, {12, 1 - A.logical_or(B).to(torch::kUInt8)}};
  });
  EvalOptions keep;
  keep.exclude_background = false;
  EXPECT_EQ(evaluate_mot(gt, pred, keep).metrics.num_objects, 24);  // the background counts as an object
}

TEST(Mot, AnIouOfExactlyOneHalfStillMatches) {
  const torch::Tensor half = box(10, 20, 10, 15);   // 50 of A's 100 pixels: IoU 0.5
  const torch::Tensor less = box(10, 19, 10, 15);   // 45 pixels: IoU 0.45
  auto [gt, pred] = sequence([&](int64_t) { return std::vector<std::pair<int64_t, torch::Tensor>>{{10, half}, {11, B}}; });
  MotMetrics m = evaluate_mot(gt, pred).metrics;
  EXPECT_EQ(m.num_matches, 16);
  EXPECT_NEAR(m.motp, 75.0, 1e-12);  // mean IoU of (0.5, 1)
  std::tie(gt, pred) = sequence([&](int64_t) { return std::vector<std::pair<int64_t, torch::Tensor>>{{10, less}, {11, B}}; });
  m = evaluate_mot(gt, pred).metrics;
  EXPECT_EQ(m.num_matches, 8);
  EXPECT_EQ(m.num_misses, 8);
  EXPECT_EQ(m.num_false_positives, 8);
}

TEST(Mot, AKeptPairingWinsOverABetterCandidate) {
  // Slot 10 follows A; from frame 4 slot 11 covers A better but 10 still overlaps it enough.
  const torch::Tensor partial = box(10, 20, 10, 17);  // IoU 0.7
  auto [gt, pred] = sequence([&](int64_t t) {
    if (t < 4) return std::vector<std::pair<int64_t, torch::Tensor>>{{10, A}, {11, B}};
    return std::vector<std::pair<int64_t, torch::Tensor>>{{10, partial}, {11, A}, {12, B}};
  });
  const MotMetrics m = evaluate_mot(gt, pred).metrics;
  EXPECT_EQ(m.num_switches, 1);  // B moves from 11 to 12 at frame 4
  EXPECT_EQ(m.num_false_positives, 6);  // slot 11 (now on A) in frames 4..9
}

TEST(Mot, BadInputIsNamed) {
  const nlohmann::json dup = nlohmann::json::parse(R"([[{"masks": ["1 2", "3 1"], "ids": [4, 4]}]])");
  EXPECT_THROW(videos_from_json(dup), FormatError);
  EXPECT_THROW(videos_from_json(nlohmann::json::parse(R"([[{"masks": ["1 2"], "ids": []}]])")), FormatError);
  EXPECT_THROW(videos_from_json(nlohmann::json::parse(R"([[{"masks": ["1 2"]}]])")), FormatError);
  auto [gt, pred] = sequence([](int64_t) { return std::vector<std::pair<int64_t, torch::Tensor>>{{10, A}}; });
  pred[0].pop_back();  // 9 predicted frames
  EXPECT_THROW(evaluate_mot(gt, pred), ShapeError);
  EXPECT_THROW(evaluate_mot(gt, {}), ShapeError);
  torch::Tensor soft = torch::rand({2, 3, 8, 8});
  soft[1][2][3][3] = NAN;
  EXPECT_THROW(binarize_slots(soft, 0), InvalidArgument);
}

TEST(Mot, BinarizeSlotsTakesTheArgmaxAndDropsEmptySlots) {
  torch::Tensor soft = torch::zeros({1, 3, 2, 2});
  soft[0][0].fill_(1);
  soft[0][2][1][1] = 5;  // slot 2 wins one pixel, slot 1 none
  const Video v = binarize_slots(soft, 20);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].ids, (std::vector<int64_t>{20, 22}));
  EXPECT_EQ(v[0].masks, (std::vector<std::string>{"1 3", "4 1"}));
}

}  // namespace
}  // namespace robustlab::objects
