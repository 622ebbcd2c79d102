// Writing a corrupted copy of an image folder (or of one image) in the ImageNet-C layout,
// <output>/<corruption>/<severity>/<relative path of the image>, as hendrycks/robustness's
// make_imagenet_c.py does: resize and centre crop, corrupt, save as JPEG (quality 85) or PNG.
// Images run in parallel; every file is written under a temporary name and renamed, and outputs
// that already exist are skipped, so an interrupted run resumes where it stopped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "robustlab/corruptions/corruptions.h"
#include "robustlab/data/image_folder.h"

namespace robustlab::corruptions {

struct FolderJob {
  std::filesystem::path input;   ///< an image folder (searched recursively) or one image file
  std::filesystem::path output;  ///< root of the ImageNet-C layout
  std::vector<std::string> corruptions;
  std::vector<int> severities;
  ImageTransform transform{256, 224, false};  ///< 0 disables resize or crop
  int jpeg_quality = 85;                       ///< 1..100; ignored with png
  bool png = false;                            ///< lossless PNG (file extension becomes .png)
  bool strict = false;                         ///< stop at the first unreadable image
  uint64_t seed = 0;
  Options options;
  /// Only the images at positions [first, last) of the sorted list (a rank's shard; -1: to the
  /// end). An image's output depends on its path alone, so shards write disjoint, identical files.
  int64_t first = 0, last = -1;
  void validate() const;
};

struct FolderReport {
  int64_t images = 0;            ///< input images found (in the job's range)
  int64_t written = 0;           ///< output files written by this run
  int64_t existing = 0;          ///< outputs already there (skipped: resumed)
  std::vector<std::string> unreadable;  ///< input images that could not be decoded (skipped)
  std::vector<std::string> too_small;   ///< inputs under 32 px after the transform (skipped)
};

/// The random stream id of an image under its relative path (FNV-1a of the path's generic form),
/// so that an image keeps its stream when others are added: corruption_rng(seed, id, name, severity).
uint64_t image_stream_id(const std::string& relative_path);

/// The image files under `input` (sorted, recursive) or `input` itself when it is a file.
/// Throws IoError when it does not exist and InvalidArgument when it holds no images.
std::vector<std::filesystem::path> list_images(const std::filesystem::path& input);

/// Runs the job. `progress(n)` is called after each finished image with the number of outputs it
/// accounted for (it may throw to interrupt). The random stream of an image depends on the seed
/// and its path relative to the input, so results do not depend on thread count or resumption.
/// Throws IoError when the output directory cannot be written.
FolderReport corrupt_folder(const FolderJob& job, const std::function<void(int64_t)>& progress = {});

}  // namespace robustlab::corruptions
