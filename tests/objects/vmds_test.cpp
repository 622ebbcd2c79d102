#include "robustlab/objects/vmds.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"
#include "robustlab/data/npy.h"
#include "test_support.h"

namespace robustlab::objects {
namespace {

TEST(Vmds, VideosAreDeterministicAndAnnotatedAsTheBenchmark) {
  const VideoSample a = generate_video(VideoSet::kVmds, 7, 50), b = generate_video(VideoSet::kVmds, 7, 50);
  EXPECT_TRUE(a.frames.equal(b.frames));
  EXPECT_FALSE(a.frames.equal(generate_video(VideoSet::kVmds, 8, 50).frames));
  EXPECT_EQ(a.frames.sizes(), (torch::IntArrayRef{10, 3, 64, 64}));
  ASSERT_EQ(a.annotation.size(), 10u);
  for (int64_t t = 0; t < 10; ++t) {
    const Frame& f = a.annotation[static_cast<size_t>(t)];
    EXPECT_EQ(f.num_bg, 1);
    EXPECT_EQ(f.ids.back(), 50 + kMaxObjects);  // the background, last
    // The masks partition the frame: visible objects and the background.
    torch::Tensor total = torch::zeros({64, 64}, torch::kInt64);
    for (size_t k = 0; k < f.masks.size(); ++k) total += rle_decode(f.masks[k], 64, 64).to(torch::kInt64);
    EXPECT_TRUE(total.eq(1).all().item<bool>()) << "frame " << t;
    for (size_t k = 0; k + 1 < f.ids.size(); ++k) {
      EXPECT_GE(f.ids[k], 50);
      EXPECT_LT(f.ids[k], 50 + a.objects);
    }
  }
}

TEST(Vmds, TheSetsHaveTheirProperties) {
  int occluded = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    const VideoSample v = generate_video(VideoSet::kVmds, seed, 0);
    EXPECT_GE(v.objects, 1);
    EXPECT_LE(v.objects, 4);
    const VideoSample occ = generate_video(VideoSet::kOcclusion, seed, 0);
    EXPECT_GE(occ.objects, 2);
    // Occlusion: some object is partly or wholly hidden in some frame.
    for (int64_t k = 0; k < occ.objects; ++k) {
      const torch::Tensor visible = occ.instances.eq(k + 1).sum({1, 2}), full = occ.full.select(1, k).sum({1, 2});
      if (visible.lt(full).any().item<bool>()) {
        ++occluded;
        break;
      }
    }
    const VideoSample same = generate_video(VideoSet::kSameColour, seed, 0);
    for (const auto& c : same.colours) EXPECT_EQ(c, same.colours.front());
    for (double r : generate_video(VideoSet::kSmall, seed, 0).radii) EXPECT_LE(r, 6.0);
    for (double r : generate_video(VideoSet::kLarge, seed, 0).radii) EXPECT_GE(r, 13.0);
    const VideoSample sp = generate_video(VideoSet::kSpmot, seed, 0);
    EXPECT_LE(sp.objects, 3);
  }
  EXPECT_GE(occluded, 36) << "occlusion must occur in (nearly) every video of the occlusion set";
  // Colour change: an object's pixels change colour between the first and the last frame.
  const VideoSample cc = generate_video(VideoSet::kColourChange, 3, 0);
  const torch::Tensor first = cc.frames[0].masked_select(cc.instances[0].eq(1).unsqueeze(0)).view({3, -1}).mean(1);
  const torch::Tensor last = cc.frames[9].masked_select(cc.instances[9].eq(1).unsqueeze(0)).view({3, -1}).mean(1);
  EXPECT_GT((first - last).abs().max().item<double>(), 0.05);
  EXPECT_THROW(parse_video_set("vor"), InvalidArgument);
}

TEST(Vmds, SplitsAreWrittenOnceAndResume) {
  testing::TempDir dir;
  SplitOptions o{.set = VideoSet::kVmds, .videos = 5, .shard = 2, .seed = 1, .split = "val"};
  EXPECT_EQ(write_split(dir.path(), o), 3);
  const torch::Tensor shard = read_npy(dir / "val_001.npy");
  EXPECT_EQ(shard.sizes(), (torch::IntArrayRef{2, 10, 64, 64, 3}));
  EXPECT_EQ(shard.scalar_type(), torch::kUInt8);
  const auto gt = videos_from_json(nlohmann::json::parse(read_file(dir / "val.json")));
  ASSERT_EQ(gt.size(), 5u);
  std::set<int64_t> ids;  // globally unique across videos
  for (const auto& v : gt)
    for (int64_t id : v[0].ids) EXPECT_TRUE(ids.insert(id).second) << id;
  std::filesystem::remove(dir / "val_002.npy");
  EXPECT_EQ(write_split(dir.path(), o), 1);  // only the missing shard
  EXPECT_TRUE(read_npy(dir / "val_001.npy").equal(shard));
}

TEST(Vmds, TheTrivialPredictorFindsObjectsButDoesNotTrack) {
  const VideoSample v = generate_video(VideoSet::kVmds, 11, 0);
  const Video pred = connected_components_prediction(v.frames, 1000);
  ASSERT_EQ(pred.size(), 10u);
  std::set<int64_t> ids;
  for (const auto& f : pred)
    for (int64_t id : f.ids) EXPECT_TRUE(ids.insert(id).second);  // new ids in every frame
  const MotMetrics m = evaluate_mot({v.annotation}, {pred}).metrics;
  EXPECT_GT(m.mostly_detected, 0.0);
  EXPECT_GT(m.num_switches, 0);
}

}  // namespace
}  // namespace robustlab::objects
