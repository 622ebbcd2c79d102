// Multi-object-tracking evaluation exactly as the object-centric video benchmark runs it (Weis et
// al. 2021, "Benchmarking Unsupervised Object Representations for Video Sequences", JMLR 22(183),
// arXiv:2006.07034; ecker-lab/object-centric-representation-benchmark, ocrb/eval/eval_mot.py and
// eval_utils.py, with py-motmetrics 1.2.0's MOTAccumulator; ../shared/reference/replearn.md §3.3
// and §6):
//
// 1. masks are Kaggle run-length strings (1-based start/length pairs on the row-major flattened
//    H × W mask); masks of at most `min_pixels` (5) pixels are dropped, on both sides;
// 2. IoU = |A∩B| / (|A∪B| + eps), 1 when the union is empty;
// 3. with exclude_background (the reported numbers), for each of the frame's `num_bg` background
//    masks — the last ground-truth rows after the size filter, as the code assumes — every
//    prediction whose IoU with it is above 0.2 is deleted, then the background row; a background
//    of ≤ 5 pixels therefore deletes the last object's row instead (the original's latent bug,
//    kept for parity and reported by EvalResult::background_filtered);
// 4. distance 1 − IoU, unmatchable (NaN) above 1 − iou_threshold (IoU 0.5 exactly still matches);
// 5. one accumulator over the whole set with a running frame counter: per frame, previous pairings
//    with a finite distance are kept (MATCH), the rest assigned by linear_sum_assignment (core;
//    motmetrics' treatment of NaN), a pair whose object was last paired with another hypothesis is
//    a SWITCH (no time limit), unmatched objects MISS, unmatched hypotheses FP;
// 6. MOTA = 1 − (misses + switches + FPs)/objects, MOTP = mean IoU of MATCH and SWITCH pairs,
//    match/miss/switch/FP as percentages of the objects, mostly tracked / detected = share of
//    object ids with MATCH (tracked) or MATCH + SWITCH (detected) in ≥ 80 % of their frames.
// Frames start_frame .. stop_frame − 1 of every video are scored (the benchmark's default 2..9).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/types.h>

namespace robustlab::objects {

/// Kaggle RLE of a binary mask [H, W] (row-major): "start length start length ...", 1-based.
std::string rle_encode(const torch::Tensor& mask);
/// The mask [H, W] uint8 of an RLE string. Throws FormatError for malformed strings (an odd number
/// of values, non-numbers, a start of 0, runs past the image).
torch::Tensor rle_decode(const std::string& rle, int64_t height, int64_t width);

/// One frame: masks as RLE strings, their ids, and how many of the last masks are background.
struct Frame {
  std::vector<std::string> masks;
  std::vector<int64_t> ids;
  int64_t num_bg = 0;
};
using Video = std::vector<Frame>;

/// The benchmark's JSON: a list of videos, each a list of frames {masks, ids[, num_bg]}. Throws
/// FormatError naming the video and frame for missing fields, masks/ids of different lengths or
/// duplicate ids in a frame.
std::vector<Video> videos_from_json(const nlohmann::json& json);
nlohmann::json videos_to_json(const std::vector<Video>& videos);

/// The event types of motmetrics that enter the metrics.
enum class EventType { kMatch, kSwitch, kMiss, kFalsePositive };
struct Event {
  int64_t frame;
  EventType type;
  int64_t object = -1, hypothesis = -1;  ///< -1 where the event has none
  double distance = 0;                    ///< NaN for misses and false positives
};

/// py-motmetrics 1.2.0's MOTAccumulator (update and its bookkeeping), for the event types above.
class MotAccumulator {
 public:
  /// `distances` [objects × hypotheses] row-major, NaN for pairs that cannot match.
  void update(const std::vector<int64_t>& objects, const std::vector<int64_t>& hypotheses,
              const std::vector<double>& distances, int64_t frame);
  const std::vector<Event>& events() const { return events_; }

 private:
  std::vector<Event> events_;
  std::map<int64_t, int64_t> paired_;  ///< object -> its last hypothesis (motmetrics' m)
};

struct MotMetrics {
  double mota = 0, motp = 0, mostly_detected = 0, mostly_tracked = 0;  ///< percent
  double match = 0, miss = 0, id_switches = 0, false_positives = 0;     ///< percent of the objects
  int64_t num_frames = 0, num_objects = 0, num_matches = 0, num_misses = 0, num_switches = 0,
          num_false_positives = 0, num_unique_objects = 0;
  nlohmann::json to_json() const;
};
MotMetrics mot_metrics(const std::vector<Event>& events, int64_t num_frames);

struct EvalOptions {
  int64_t start_frame = 2, stop_frame = 10;  ///< the benchmark's default: frames 2..9
  double iou_threshold = 0.5;
  int64_t min_pixels = 5;
  int64_t image_size = 64;
  bool exclude_background = true;
  void validate() const;
};

struct EvalResult {
  MotMetrics metrics;
  int64_t background_filtered = 0;  ///< background masks the size filter removed (see 3. above)
};

/// Scores predictions against ground truth over every video. Throws ShapeError when the videos or
/// their frames do not line up, FormatError for bad masks.
EvalResult evaluate_mot(const std::vector<Video>& ground_truth, const std::vector<Video>& predictions,
                        const EvalOptions& options = {});

/// Soft slot masks [T, K, H, W] (one video) -> frames of argmax-binarised masks (every pixel to
/// one slot, empty slots dropped) with ids first_id + slot, as the benchmark's
/// generate_annotation_file writes them. Throws InvalidArgument for NaN masks.
Video binarize_slots(const torch::Tensor& soft_masks, int64_t first_id);

}  // namespace robustlab::objects
