// A procedural Video Multi-dSprites (VMDS) generator and a Sprites-MOT (SpMOT) variant for the
// object-centric video benchmark of Weis et al. 2021 (arXiv:2006.07034, JMLR 22(183);
// ../shared/reference/replearn.md §3.1). The authors never released their VMDS generator; this one
// follows the paper's description with parameters of its own (documented in docs/objects.md):
//
// - VMDS: 64 × 64 RGB, 10 frames, 1–4 dSprites shapes (square, ellipse, heart) of radius 7–11 px
//   in random saturated colours on black, each moving independently on a non-linear trajectory
//   (speed 1–3 px/frame, heading turning by up to ±0.5 rad/frame, reflected at the frame's
//   border), drawn in a fixed depth order, so objects occlude each other partly or wholly.
// - The seven challenge sets: occlusion (two objects start on either side of a common point and
//   cross it mid-video), same colour (one colour for all), small objects (radius 4–6 px), large
//   objects (13–16 px), colour change (each colour moves to another over the video), size change
//   (radius ×0.6 … ×1.5 over the video), rotation (turning by up to ±0.4 rad/frame; otherwise the
//   angle is fixed).
// - SpMOT (after TBA's gen_sprite.py, scaled from 128 to 64 px): 0–3 sprites (circle, rectangle,
//   triangle, diamond) in 6 saturated colours, linear motion at 2.65 px/frame along one of four
//   diagonal directions, size jitter ±10 %, aspect jitter ±20 %.
//
// Ground truth per frame: the visible mask of every object with at least one visible pixel, its id
// (first_id + object index), and one background mask (the uncovered pixels, id first_id + 4) last,
// num_bg = 1 — the benchmark's JSON convention; ids are unique across videos when first_id
// advances by kIdsPerVideo.
// Every video is a deterministic function of its seed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <torch/types.h>

#include "robustlab/objects/mot.h"

namespace robustlab::objects {

enum class VideoSet { kVmds, kOcclusion, kSameColour, kSmall, kLarge, kColourChange, kSizeChange, kRotation, kSpmot };
VideoSet parse_video_set(const std::string& name);  ///< vmds, occlusion, same-colour, small, large, colour-change, size-change, rotation, spmot
std::string to_string(VideoSet set);
const std::vector<VideoSet>& challenge_sets();      ///< the seven VMDS challenge sets

inline constexpr int64_t kVideoFrames = 10;
inline constexpr int64_t kVideoSize = 64;
inline constexpr int64_t kMaxObjects = 4;
inline constexpr int64_t kIdsPerVideo = kMaxObjects + 1;  ///< the objects and the background

struct VideoSample {
  torch::Tensor frames;     ///< [T, 3, 64, 64] float32 in [0, 1]
  torch::Tensor instances;  ///< [T, 64, 64] int64: 0 background, k + 1 for object k (its visible pixels)
  torch::Tensor full;       ///< [T, objects, 64, 64] bool: each object's whole mask, occluded or not
  Video annotation;         ///< RLE masks, ids and the background, per frame
  int64_t objects = 0;      ///< objects in the video
  std::vector<std::array<float, 3>> colours;  ///< per object, at the first frame
  std::vector<double> radii;                   ///< per object, at the first frame
};

/// One video of `set`, deterministic in `seed`; ids first_id .. first_id + objects − 1.
VideoSample generate_video(VideoSet set, uint64_t seed, int64_t first_id);

struct SplitOptions {
  VideoSet set = VideoSet::kVmds;
  int64_t videos = 1000;
  int64_t shard = 500;  ///< videos per frames file
  uint64_t seed = 0;
  std::string split = "test";
};

/// Writes a split to `dir`: <split>_<k>.npy (uint8 [n, T, 64, 64, 3] per shard) and <split>.json (the
/// ground truth in the benchmark's JSON). Shards already on disk are kept (resume); every file is
/// written to a temporary name and renamed; a split whose shards and ground truth are all there is
/// left as it is. Returns the number of shards written now.
int64_t write_split(const std::filesystem::path& dir, const SplitOptions& options,
                    const std::function<void(int64_t)>& on_video = {});

/// The frames of a split written by write_split: its <split>_NNN.npy shards in order, uint8
/// [videos, T, 64, 64, 3]. Throws IoError when there is none, FormatError for a shard of another shape.
torch::Tensor read_split_frames(const std::filesystem::path& dir, const std::string& split);

/// The trivial predictor of the evaluation's bad-input and baseline rows: every 4-connected
/// component of non-black pixels of one colour is a slot, with new ids in every frame (no tracking).
Video connected_components_prediction(const torch::Tensor& frames, int64_t first_id);
/// connected_components_prediction of every video of uint8 [N, T, H, W, 3] (a split's frames),
/// video v's ids starting at v · 100000.
std::vector<Video> connected_components_predictions(const torch::Tensor& videos);

}  // namespace robustlab::objects
