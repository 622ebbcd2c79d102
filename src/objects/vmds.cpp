// The VMDS-style and SpMOT-style video generators, split writing and the trivial predictor (see
// vmds.h for the parameters and their sources).
// cpu (whole file): videos are generated and written on the CPU.
#include "robustlab/objects/vmds.h"

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <array>
#include <cmath>
#include <map>
#include <numbers>
#include <random>

#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"
#include "robustlab/core/random.h"
#include "robustlab/data/npy.h"
#include "robustlab/data/sprites.h"

namespace robustlab::objects {
namespace {

using Rng = std::mt19937_64;
using Colour = std::array<float, 3>;

double uniform(Rng& rng, double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }

/// A saturated colour: HSV with a random hue, saturation 0.75–1, value 0.8–1.
Colour saturated(Rng& rng) {
  const double h = uniform(rng, 0, 6), s = uniform(rng, 0.75, 1), v = uniform(rng, 0.8, 1);
  const double c = v * s, x = c * (1 - std::abs(std::fmod(h, 2) - 1)), m = v - c;
  const int sector = static_cast<int>(h) % 6;
  const double r[6] = {c, x, 0, 0, x, c}, g[6] = {x, c, c, x, 0, 0}, b[6] = {0, 0, x, c, c, x};
  return {static_cast<float>(r[sector] + m), static_cast<float>(g[sector] + m), static_cast<float>(b[sector] + m)};
}

struct Sprite {
  SpriteShape shape;
  double x, y, heading, speed, radius, angle, aspect = 1;
  double turn = 0.5;          ///< max heading change per frame (0: linear motion)
  double spin = 0;            ///< max angle change per frame
  double growth = 1;          ///< radius factor reached at the last frame
  Colour colour, colour_end;  ///< colour at the first and the last frame
};

/// One step: turn, move, reflect at the border.
void move(Sprite& s, Rng& rng) {
  if (s.turn > 0) s.heading += uniform(rng, -s.turn, s.turn);
  if (s.spin > 0) s.angle += uniform(rng, -s.spin, s.spin);
  s.x += s.speed * std::cos(s.heading);
  s.y += s.speed * std::sin(s.heading);
  const double lo = s.radius, hi = kVideoSize - s.radius;
  if (s.x < lo || s.x > hi) {
    s.x = std::clamp(2 * (s.x < lo ? lo : hi) - s.x, lo, hi);
    s.heading = std::numbers::pi - s.heading;
  }
  if (s.y < lo || s.y > hi) {
    s.y = std::clamp(2 * (s.y < lo ? lo : hi) - s.y, lo, hi);
    s.heading = -s.heading;
  }
}

std::vector<Sprite> vmds_sprites(VideoSet set, Rng& rng) {
  const int64_t n = set == VideoSet::kOcclusion ? std::uniform_int_distribution<int64_t>(2, kMaxObjects)(rng)
                                                : std::uniform_int_distribution<int64_t>(1, kMaxObjects)(rng);
  const double r_lo = set == VideoSet::kSmall ? 4 : set == VideoSet::kLarge ? 13 : 7;
  const double r_hi = set == VideoSet::kSmall ? 6 : set == VideoSet::kLarge ? 16 : 11;
  const Colour shared = saturated(rng);
  std::vector<Sprite> out;
  constexpr SpriteShape kShapes[] = {SpriteShape::kSquare, SpriteShape::kEllipse, SpriteShape::kHeart};
  for (int64_t k = 0; k < n; ++k) {
    Sprite s;
    s.shape = kShapes[std::uniform_int_distribution<int>(0, 2)(rng)];
    s.radius = uniform(rng, r_lo, r_hi);
    s.x = uniform(rng, s.radius, kVideoSize - s.radius);
    s.y = uniform(rng, s.radius, kVideoSize - s.radius);
    s.heading = uniform(rng, 0, 2 * std::numbers::pi);
    s.speed = uniform(rng, 1, 3);
    s.angle = uniform(rng, 0, 2 * std::numbers::pi);
    s.colour = set == VideoSet::kSameColour ? shared : saturated(rng);
    s.colour_end = set == VideoSet::kColourChange ? saturated(rng) : s.colour;
    if (set == VideoSet::kSizeChange) s.growth = uniform(rng, 0.6, 1.5);
    if (set == VideoSet::kRotation) s.spin = 0.4;
    out.push_back(s);
  }
  if (set == VideoSet::kOcclusion) {  // objects 0 and 1 cross a common point mid-video
    const double mx = uniform(rng, 24, 40), my = uniform(rng, 24, 40), t_meet = uniform(rng, 3, 6);
    for (int k = 0; k < 2; ++k) {
      Sprite& s = out[static_cast<size_t>(k)];
      s.turn = 0;
      s.speed = uniform(rng, 1.5, 3);
      s.heading = k == 0 ? uniform(rng, 0, 2 * std::numbers::pi) : out[0].heading + uniform(rng, 2, 4.3);
      s.x = std::clamp(mx - s.speed * t_meet * std::cos(s.heading), s.radius, kVideoSize - s.radius);
      s.y = std::clamp(my - s.speed * t_meet * std::sin(s.heading), s.radius, kVideoSize - s.radius);
    }
  }
  return out;
}

std::vector<Sprite> spmot_sprites(Rng& rng) {
  // TBA's gen_sprite.py at half its 128-px scale: speed 5.3 -> 2.65 px/frame.
  constexpr SpriteShape kShapes[] = {SpriteShape::kCircle, SpriteShape::kSquare, SpriteShape::kTriangle,
                                     SpriteShape::kDiamond};
  constexpr Colour kColours[] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}, {1, 0, 1}, {0, 1, 1}};
  const int64_t n = std::uniform_int_distribution<int64_t>(0, 3)(rng);
  std::vector<Sprite> out;
  for (int64_t k = 0; k < n; ++k) {
    Sprite s;
    s.shape = kShapes[std::uniform_int_distribution<int>(0, 3)(rng)];
    s.radius = 9 * uniform(rng, 0.9, 1.1);
    s.aspect = uniform(rng, 0.8, 1.2);
    s.x = uniform(rng, s.radius, kVideoSize - s.radius);
    s.y = uniform(rng, s.radius, kVideoSize - s.radius);
    s.heading = std::numbers::pi / 4 + std::numbers::pi / 2 * std::uniform_int_distribution<int>(0, 3)(rng);
    s.speed = 2.65;
    s.turn = 0;
    s.angle = 0;
    s.colour = s.colour_end = kColours[std::uniform_int_distribution<int>(0, 5)(rng)];
    out.push_back(s);
  }
  return out;
}

}  // namespace

VideoSet parse_video_set(const std::string& name) {
  for (VideoSet s : {VideoSet::kVmds, VideoSet::kOcclusion, VideoSet::kSameColour, VideoSet::kSmall, VideoSet::kLarge,
                     VideoSet::kColourChange, VideoSet::kSizeChange, VideoSet::kRotation, VideoSet::kSpmot})
    if (to_string(s) == name) return s;
  throw InvalidArgument("objects: unknown video set '" + name +
                        "' (expected vmds, occlusion, same-colour, small, large, colour-change, size-change, rotation "
                        "or spmot)");
}

std::string to_string(VideoSet set) {
  switch (set) {
    case VideoSet::kVmds: return "vmds";
    case VideoSet::kOcclusion: return "occlusion";
    case VideoSet::kSameColour: return "same-colour";
    case VideoSet::kSmall: return "small";
    case VideoSet::kLarge: return "large";
    case VideoSet::kColourChange: return "colour-change";
    case VideoSet::kSizeChange: return "size-change";
    case VideoSet::kRotation: return "rotation";
    default: return "spmot";
  }
}

const std::vector<VideoSet>& challenge_sets() {
  static const std::vector<VideoSet> sets = {VideoSet::kOcclusion,    VideoSet::kSameColour,   VideoSet::kSmall,
                                             VideoSet::kLarge,        VideoSet::kColourChange, VideoSet::kSizeChange,
                                             VideoSet::kRotation};
  return sets;
}

VideoSample generate_video(VideoSet set, uint64_t seed, int64_t first_id) {
  Rng rng(mix_seed(seed));
  std::vector<Sprite> sprites = set == VideoSet::kSpmot ? spmot_sprites(rng) : vmds_sprites(set, rng);
  VideoSample out;
  out.objects = static_cast<int64_t>(sprites.size());
  for (const auto& s : sprites) {
    out.colours.push_back(s.colour);
    out.radii.push_back(s.radius);
  }
  out.frames = torch::zeros({kVideoFrames, 3, kVideoSize, kVideoSize}, torch::kFloat32);
  out.instances = torch::zeros({kVideoFrames, kVideoSize, kVideoSize}, torch::kInt64);
  out.full = torch::zeros({kVideoFrames, out.objects, kVideoSize, kVideoSize}, torch::kBool);
  const std::vector<double> base_radius = out.radii;
  for (int64_t t = 0; t < kVideoFrames; ++t) {
    const double progress = static_cast<double>(t) / static_cast<double>(kVideoFrames - 1);
    torch::Tensor frame = out.frames[t];
    torch::Tensor instance = out.instances[t];
    for (size_t k = 0; k < sprites.size(); ++k) {  // back to front
      Sprite& s = sprites[k];
      s.radius = base_radius[k] * (1 + (s.growth - 1) * progress);
      const torch::Tensor cover =
          rasterize_sprite(s.shape, {s.x, s.y, s.radius, s.angle, s.aspect}, kVideoSize, kVideoSize, 4);
      for (int c = 0; c < 3; ++c) {
        const double colour = s.colour[static_cast<size_t>(c)] +
                              (s.colour_end[static_cast<size_t>(c)] - s.colour[static_cast<size_t>(c)]) * progress;
        frame[c].copy_(frame[c] * (1 - cover) + colour * cover);
      }
      instance.masked_fill_(cover.gt(0.5), static_cast<int64_t>(k) + 1);
      out.full[t][static_cast<int64_t>(k)].copy_(cover.gt(0.5));
    }
    Frame annotation;
    for (int64_t k = 0; k < out.objects; ++k) {
      const torch::Tensor mask = instance.eq(k + 1);
      if (!mask.any().item<bool>()) continue;  // wholly hidden
      annotation.masks.push_back(rle_encode(mask));
      annotation.ids.push_back(first_id + k);
    }
    annotation.masks.push_back(rle_encode(instance.eq(0)));
    annotation.ids.push_back(first_id + kMaxObjects);  // the background's id, unique per video too
    annotation.num_bg = 1;
    out.annotation.push_back(std::move(annotation));
    for (auto& s : sprites) move(s, rng);
  }
  return out;
}

namespace {

std::filesystem::path shard_path(const std::filesystem::path& dir, const std::string& split, int64_t shard) {
  char name[64];
  std::snprintf(name, sizeof name, "_%03lld.npy", static_cast<long long>(shard));
  return dir / (split + name);
}

/// Every shard of the split and its ground truth, for as many videos as asked, are on disk (the
/// ground truth is written last, so it exists only after every shard).
bool split_complete(const std::filesystem::path& dir, const SplitOptions& o) {
  const std::filesystem::path json_path = dir / (o.split + ".json");
  if (!std::filesystem::exists(json_path)) return false;
  for (int64_t shard = 0; shard * o.shard < o.videos; ++shard)
    if (!std::filesystem::exists(shard_path(dir, o.split, shard))) return false;
  const nlohmann::json truth = nlohmann::json::parse(read_file(json_path), nullptr, false);
  return truth.is_array() && static_cast<int64_t>(truth.size()) == o.videos;
}

}  // namespace

int64_t write_split(const std::filesystem::path& dir, const SplitOptions& o,
                    const std::function<void(int64_t)>& on_video) {
  if (o.videos < 1 || o.shard < 1) throw InvalidArgument("objects: videos and shard must be >= 1");
  std::filesystem::create_directories(dir);
  remove_stale_temporaries(dir);
  const uint64_t split_seed = mix_seed(o.seed ^ std::hash<std::string>{}(o.split + "/" + to_string(o.set)));
  std::vector<Video> annotations;
  int64_t written = 0;
  const std::filesystem::path json_path = dir / (o.split + ".json");
  if (split_complete(dir, o)) return 0;
  for (int64_t start = 0, shard = 0; start < o.videos; start += o.shard, ++shard) {
    const int64_t n = std::min(o.shard, o.videos - start);
    const std::filesystem::path file = shard_path(dir, o.split, shard);
    const bool have = std::filesystem::exists(file);
    torch::Tensor frames;
    if (!have) frames = torch::empty({n, kVideoFrames, kVideoSize, kVideoSize, 3}, torch::kUInt8);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t video = start + i;
      const VideoSample s = generate_video(o.set, split_seed + static_cast<uint64_t>(video), video * kIdsPerVideo);
      annotations.push_back(s.annotation);
      if (!have) frames[i].copy_((s.frames * 255).round().permute({0, 2, 3, 1}).to(torch::kUInt8));
      if (on_video) on_video(video);
    }
    if (!have) {
      write_npy(file, frames);
      ++written;
    }
  }
  write_text_file(json_path, videos_to_json(annotations).dump());
  return written;
}

torch::Tensor read_split_frames(const std::filesystem::path& dir, const std::string& split) {
  std::vector<torch::Tensor> shards;
  for (int64_t shard = 0;; ++shard) {
    const std::filesystem::path file = shard_path(dir, split, shard);
    if (!std::filesystem::exists(file)) {
      if (shard == 0) throw IoError("objects: no frame files '" + file.string() + "' (write them with objects generate)");
      break;
    }
    torch::Tensor frames = read_npy(file);
    if (frames.dim() != 5 || frames.size(2) != kVideoSize || frames.size(3) != kVideoSize || frames.size(4) != 3 ||
        frames.scalar_type() != torch::kUInt8 || (!shards.empty() && frames.size(1) != shards[0].size(1))) {
      throw FormatError("objects: '" + file.string() + "' must hold uint8 [videos, frames, 64, 64, 3] like the split's "
                        "other shards, got " + c10::str(frames.sizes()));
    }
    shards.push_back(std::move(frames));
  }
  return shards.size() == 1 ? shards[0] : torch::cat(shards);
}

std::vector<Video> connected_components_predictions(const torch::Tensor& videos) {
  std::vector<Video> out;
  for (int64_t v = 0; v < videos.size(0); ++v)
    out.push_back(connected_components_prediction(videos[v].permute({0, 3, 1, 2}).to(torch::kFloat32) / 255, v * 100000));
  return out;
}

Video connected_components_prediction(const torch::Tensor& frames, int64_t first_id) {
  if (frames.dim() != 4 || frames.size(1) != 3) {
    throw ShapeError("connected components: frames must be [T, 3, H, W], got " + c10::str(frames.sizes()));
  }
  Video video;
  int64_t next_id = first_id;
  for (int64_t t = 0; t < frames.size(0); ++t) {
    // Pixels by quantised colour (8 levels per channel; black is background), then the 4-connected
    // components of each colour.
    const torch::Tensor q = (frames[t].clamp(0, 1) * 7).round().to(torch::kInt64);
    const torch::Tensor key = (q[0] * 64 + q[1] * 8 + q[2]).contiguous();
    const torch::Tensor keys = std::get<0>(torch::_unique(key));
    Frame frame;
    for (int64_t k = 0; k < keys.numel(); ++k) {
      const int64_t value = keys[k].item<int64_t>();
      if (value == 0) continue;
      const torch::Tensor mask = key.eq(value).to(torch::kUInt8).contiguous();
      cv::Mat m(static_cast<int>(mask.size(0)), static_cast<int>(mask.size(1)), CV_8U, mask.data_ptr<uint8_t>());
      cv::Mat labels;
      const int count = cv::connectedComponents(m, labels, 4, CV_32S);
      for (int c = 1; c < count; ++c) {
        cv::Mat component = labels == c;
        const torch::Tensor comp = torch::from_blob(component.data, {mask.size(0), mask.size(1)}, torch::kUInt8).clone();
        frame.masks.push_back(rle_encode(comp));
        frame.ids.push_back(next_id++);
      }
    }
    video.push_back(std::move(frame));
  }
  return video;
}

}  // namespace robustlab::objects
