#include "robustlab/objects/slot_video.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/core/parallel.h"
#include "robustlab/core/paths.h"
#include "robustlab/objects/vmds.h"
#include "test_support.h"

namespace robustlab::objects {
namespace {

SlotVideoConfig tiny() {
  SlotVideoConfig c;
  c.slots = 3;
  c.dim = 16;
  c.channels = 8;
  return c;
}

torch::Tensor some_frames(int64_t videos, int64_t frames, uint64_t seed) {
  std::vector<torch::Tensor> out;
  for (int64_t v = 0; v < videos; ++v) {
    out.push_back(generate_video(VideoSet::kVmds, seed + static_cast<uint64_t>(v), 0).frames.narrow(0, 0, frames));
  }
  return torch::stack(out);
}

TEST(SlotVideo, MasksPartitionEveryPixelAndTheReconstructionIsTheirMixture) {
  const torch::Tensor x = some_frames(2, 3, 1);
  for (const SlotDecoder decoder : {SlotDecoder::kAttention, SlotDecoder::kBroadcast}) {
    torch::manual_seed(0);
    SlotVideoConfig c = tiny();
    c.decoder = decoder;
    SlotVideo model(c);
    const SlotVideoOutput y = model->forward(x);
    EXPECT_EQ(y.masks.sizes(), (torch::IntArrayRef{2, 3, 3, 64, 64}));
    EXPECT_EQ(y.reconstruction.sizes(), x.sizes());
    EXPECT_TRUE(torch::allclose(y.masks.sum(2), torch::ones({2, 3, 64, 64}), 1e-5, 1e-5)) << to_string(decoder);
    EXPECT_GE(y.masks.min().item<double>(), 0);
  }
  // The attention decoder: every pixel is the mask-weighted mixture of K per-slot colours, so the
  // 4096 pixels of a frame are solved exactly by K colours from the masks (least squares).
  torch::manual_seed(0);
  SlotVideo model(tiny());
  const SlotVideoOutput y = model->forward(x);
  const torch::Tensor masks = y.masks[1][2].reshape({3, -1}).t().to(torch::kFloat64);  // [pixels, K]
  const torch::Tensor pixels = y.reconstruction[1][2].reshape({3, -1}).t().to(torch::kFloat64);
  const torch::Tensor colours = std::get<0>(torch::linalg_lstsq(masks, pixels));
  EXPECT_LT((masks.mm(colours) - pixels).abs().max().item<double>(), 1e-5);
  EXPECT_GT((pixels - pixels.mean(0, true)).abs().max().item<double>(), 1e-4);  // not one flat colour
  EXPECT_EQ(parse_slot_decoder("broadcast"), SlotDecoder::kBroadcast);
  EXPECT_THROW(parse_slot_decoder("mlp"), InvalidArgument);
  EXPECT_THROW(model->forward(x.narrow(3, 0, 32)), ShapeError);
  EXPECT_THROW(SlotVideo(SlotVideoConfig{1, 16, 8, 3, 1}), InvalidArgument);
}

TEST(SlotVideo, SlotsAreExchangeable) {
  // Slot attention is permutation-equivariant and the initial slots share μ and σ: the same noise
  // in another slot order gives the same masks in that order, on every frame (the predictor and
  // the per-frame updates included). A slot-specific step would break this.
  torch::manual_seed(1);
  SlotVideo model(tiny());
  model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = some_frames(1, 3, 4);
  const torch::Tensor noise = torch::randn({1, 3, 16});
  const torch::Tensor perm = torch::tensor({2, 0, 1}, torch::kInt64);
  const torch::Tensor a = model->forward(x, noise).masks;
  const torch::Tensor b = model->forward(x, noise.index_select(1, perm)).masks;
  const double same = (a.index_select(2, perm) - b).abs().max().item<double>();
  const double differ = (a - b).abs().max().item<double>();  // the slots differ, so the order shows
  EXPECT_LT(same, 1e-6);
  EXPECT_GT(differ, 100 * same + 1e-6);
  EXPECT_THROW(model->forward(x, torch::randn({1, 2, 16})), ShapeError);
}

TEST(SlotVideo, TrainingLowersTheErrorAndResumesExactly) {
  set_threads(1);
  testing::TempDir dir;
  SplitOptions split;
  split.videos = 6;
  split.split = "train";
  write_split(dir.path(), split);
  SlotTrainOptions o;
  o.model = tiny();
  o.data = dir.path();
  o.batch = 2;
  o.clip = 2;
  o.warmup = 2;
  o.lr = 1e-2;
  o.clip_norm = 1;
  o.log_every = 1;
  o.steps = 4;
  o.checkpoint = dir / "straight.ckpt";
  SlotVideo straight = train_slot_video(o);
  o.checkpoint = dir / "halves.ckpt";
  o.steps = 2;
  train_slot_video(o);
  o.steps = 4;
  std::vector<int64_t> logged;
  SlotVideo resumed = train_slot_video(o, [&](const SlotTrainPoint& p) { logged.push_back(p.step); });
  EXPECT_EQ(logged, (std::vector<int64_t>{3, 4}));
  const auto pa = straight->parameters(), pb = resumed->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t k = 0; k < pa.size(); ++k) EXPECT_TRUE(pa[k].equal(pb[k])) << "parameter " << k;
  SlotVideo loaded = load_slot_video(dir / "halves.ckpt");
  EXPECT_TRUE(loaded->parameters()[0].equal(pb[0]));
  o.model.slots = 4;  // other settings: refused
  EXPECT_THROW(train_slot_video(o), InvalidArgument);
  write_text_file(dir / "bad.ckpt", "not a checkpoint");
  EXPECT_THROW(load_slot_video(dir / "bad.ckpt"), FormatError);
  EXPECT_THROW(load_slot_video(dir / "missing.ckpt"), IoError);

  // On one video, some steps more bring the error well below that of a black image (the
  // decoder's starting point): the model learns to draw the sprites.
  split.videos = 1;
  split.split = "one";
  write_split(dir.path(), split);
  const torch::Tensor one = read_split_frames(dir.path(), "one").to(torch::kFloat32) / 255;
  const double black = one.square().mean().item<double>();
  o.model = tiny();
  o.model.dim = 32;
  o.lr = 3e-3;
  o.split = "one";
  o.checkpoint.reset();
  o.steps = 200;
  o.log_every = 40;
  std::vector<double> mse;
  train_slot_video(o, [&](const SlotTrainPoint& p) { mse.push_back(p.mse); });
  ASSERT_EQ(mse.size(), 5u);
  EXPECT_LT(mse.back(), 0.75 * black) << "black " << black << ", first " << mse.front();
}

TEST(SlotVideo, PredictionsAreTheBinarisedMasksAndTheBenchmarksMse) {
  torch::manual_seed(2);
  SlotVideo model(tiny());
  const torch::Tensor frames = some_frames(2, 10, 9);  // [2, 10, 3, 64, 64]
  const torch::Tensor videos = (frames * 255).round().to(torch::kUInt8).permute({0, 1, 3, 4, 2}).contiguous();
  const SlotPrediction p = predict_slot_video(model, videos, 11);
  ASSERT_EQ(p.videos.size(), 2u);
  // Video 1 by hand: its noise from seed 11 + 1, ids 3 + slot.
  torch::NoGradGuard no_grad;
  const torch::Tensor x = videos[1].permute({0, 3, 1, 2}).to(torch::kFloat32).unsqueeze(0) / 255;
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(12);
  const SlotVideoOutput y = model->forward(x, at::randn({1, 3, 16}, g));
  EXPECT_EQ(videos_to_json({p.videos[1]}), videos_to_json({binarize_slots(y.masks[0], 3)}));
  double squared = (y.reconstruction - x).square().sum().item<double>();
  const torch::Tensor x0 = videos[0].permute({0, 3, 1, 2}).to(torch::kFloat32).unsqueeze(0) / 255;
  at::Generator g0 = at::make_generator<at::CPUGeneratorImpl>(11);
  squared += (model->forward(x0, at::randn({1, 3, 16}, g0)).reconstruction - x0).square().sum().item<double>();
  EXPECT_NEAR(p.mse, squared / 20, 1e-6 * squared);
  // Reproducible per seed.
  EXPECT_EQ(videos_to_json(predict_slot_video(model, videos, 11).videos), videos_to_json(p.videos));
  EXPECT_THROW(predict_slot_video(model, videos.to(torch::kFloat32)), ShapeError);
}

}  // namespace
}  // namespace robustlab::objects
