// Image folders in the ImageNet layout (root/<class>/<image>), decoded with OpenCV and
// preprocessed as torchvision's standard evaluation transform: resize the short side, centre crop,
// to float CHW RGB in [0,1]. Images are decoded when a batch asks for them (in parallel), so a
// folder larger than memory works.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "robustlab/data/dataset.h"

namespace robustlab {

/// Preprocessing of a decoded image. 0 disables a step.
struct ImageTransform {
  int resize = 256;  ///< length of the short side after resizing
  int crop = 224;    ///< side of the centre crop
  bool grayscale = false;  ///< one channel instead of RGB
  void validate() const;
};

/// Reads an image file (JPEG, PNG, anything OpenCV decodes) as 8-bit RGB (or grayscale), HWC.
/// Throws IoError if missing, FormatError if it cannot be decoded.
cv::Mat read_image(const std::filesystem::path& path, bool grayscale = false);

/// Writes an 8-bit HWC image (RGB or one channel) as a PNG, atomically (temporary name, then
/// rename). Throws IoError when it cannot be encoded or written.
void write_png(const std::filesystem::path& path, const cv::Mat& image);

/// Resize (short side, area interpolation when shrinking, bilinear when enlarging) and centre
/// crop of an 8-bit HWC image, as `transform` says.
cv::Mat resize_and_crop(const cv::Mat& image, const ImageTransform& transform);

/// 8-bit HWC image -> float32 [C,H,W] in [0,1].
torch::Tensor image_to_tensor(const cv::Mat& image);
/// The inverse: float [C,H,W] in [0,1] (C = 1 or 3, clamped, rounded) -> 8-bit HWC image.
cv::Mat tensor_to_image(const torch::Tensor& image);

/// Whether a file name has an image extension robustlab reads (.jpg .jpeg .png .bmp .webp .tif).
bool is_image_file(const std::filesystem::path& path);

class ImageFolder : public Dataset {
 public:
  /// Scans root/<class>/<image>. Class indices come from the sorted folder names, or, with
  /// `class_list` (one class folder name per line, e.g. ImageNet's WNIDs in index order), from
  /// the line number; a folder missing from the list is an error. Throws IoError when `root`
  /// does not exist and InvalidArgument when it holds no images.
  ImageFolder(std::filesystem::path root, ImageTransform transform,
              std::optional<std::filesystem::path> class_list = std::nullopt);

  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  Example get(int64_t i) const override;
  int64_t num_classes() const override { return static_cast<int64_t>(classes_.size()); }
  std::vector<std::string> class_names() const override { return classes_; }
  std::string name() const override { return root_.string(); }

  const std::filesystem::path& file(int64_t i) const { return files_.at(static_cast<size_t>(i)); }

 private:
  std::filesystem::path root_;
  ImageTransform transform_;
  std::vector<std::string> classes_;
  std::vector<std::filesystem::path> files_;
  std::vector<int64_t> labels_;
};

}  // namespace robustlab
