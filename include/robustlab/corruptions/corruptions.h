// The 19 ImageNet-C common corruptions (Hendrycks & Dietterich, "Benchmarking Neural Network
// Robustness to Common Corruptions and Perturbations", ICLR 2019, arXiv:1903.12261) at severities
// 1-5, as implemented by bethgelab/imagecorruptions (Michaelis et al., arXiv:1907.07484) for any
// image size of at least 32 px. Parameter tables and the differences between that package and
// the original ImageNet-C code: ../shared/reference/corruptions.md.
//
// Images are 8-bit RGB, HWC (cv::Mat CV_8UC3); grayscale input (CV_8UC1) is stacked to three
// channels first, as the reference does, so the output is always CV_8UC3. Float results are
// clipped and truncated toward zero, as numpy's uint8 conversion does.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace robustlab::corruptions {

/// The random generator every corruption draws from: xoshiro256++ (Blackman & Vigna, "Scrambled
/// linear pseudorandom number generators", ACM TOMS 2021), several times faster than MT19937 and
/// a std::uniform_random_bit_generator. Each (image, corruption, severity) should get its own
/// stream (see corruption_rng), so results do not depend on the thread count.
class Rng {
 public:
  using result_type = uint64_t;
  /// The state is expanded from `seed` with SplitMix64.
  explicit Rng(uint64_t seed);
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }
  result_type operator()() {
    const uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

/// Which algorithm to follow where imagecorruptions departs from the original ImageNet-C code.
enum class Variant {
  ImageCorruptions,  ///< bethgelab/imagecorruptions (the default)
  ImageNetC,         ///< hendrycks/robustness make_imagenet_c.py: elastic with its affine step,
                     ///< snow blurred after cropping, frost cropped without rescaling
};

/// Frost textures: the five images shipped with ImageNet-C (frost1.png .. frost5.jpg), read from
/// a directory, or procedurally generated stand-ins when none is given.
class FrostTextures {
 public:
  /// Reads frost1.png, frost2.png, frost3.png, frost4.jpg and frost5.jpg from `dir`.
  /// Throws IoError naming the first missing file.
  static FrostTextures from_directory(const std::filesystem::path& dir);
  /// Five procedurally generated ice textures (fixed seed; not the ImageNet-C ones).
  static const FrostTextures& procedural();
  /// The directory named by $ROBUSTLAB_FROST_DIR when set, else `dir` when given, else the
  /// procedural textures. `dir` (the --frost-dir flag) takes precedence over the variable.
  static FrostTextures resolve(const std::optional<std::filesystem::path>& dir);

  bool is_procedural() const { return procedural_; }
  /// "imagenet-c textures from <dir>" or "procedural (not the ImageNet-C textures)".
  std::string description() const { return description_; }
  /// Texture i (0..4), 8-bit BGR as cv::imread gives it.
  const cv::Mat& texture(int i) const;
  /// Texture i rescaled by `scale` to ceil(size·scale) with bicubic interpolation (as the
  /// reference's cv2.resize); rescaled textures are cached, as every image of a folder needs the same.
  cv::Mat scaled(int i, double scale) const;

 private:
  struct Shared;
  std::shared_ptr<Shared> textures_;
  bool procedural_ = false;
  std::string description_;
};

struct Options {
  Variant variant = Variant::ImageCorruptions;
  /// Textures for frost; nullptr means the procedural ones.
  const FrostTextures* frost = nullptr;
};

/// One corruption of the registry.
struct Info {
  std::string name;
  int index = 0;           ///< position in imagecorruptions' get_corruption_names('all')
  std::string group;       ///< noise, blur, weather, digital or extra
  bool benchmark = false;  ///< one of the 15 used for mCE
  bool deterministic = false;
};

/// All 19 corruptions, in imagecorruptions' order.
const std::vector<Info>& all();
/// The entry for `name`; throws InvalidArgument listing the known names otherwise.
const Info& find(std::string_view name);
/// Names from a comma-separated list whose items are corruption names or the sets "all",
/// "benchmark" (the 15) and "extra" (the 4 others); duplicates removed, registry order kept.
std::vector<std::string> parse_names(std::string_view list);
/// Severities from "1-5", "3", "1,3,5" or "2-4"; throws InvalidArgument outside 1..5.
std::vector<int> parse_severities(std::string_view list);

/// The independent stream for image `image_id` under `seed` for one corruption and severity.
Rng corruption_rng(uint64_t seed, uint64_t image_id, std::string_view name, int severity);

/// Applies corruption `name` at `severity` (1..5) to an 8-bit RGB or grayscale image of at least
/// 32x32 pixels. Throws InvalidArgument for an unknown name, a severity outside 1..5, an image
/// smaller than 32 px or of another type.
cv::Mat corrupt(const cv::Mat& image, std::string_view name, int severity, Rng& rng,
                const Options& options = {});

/// Corruption parameters that are random draws in the reference, for reproducing its outputs
/// exactly: motion_blur's angle in degrees; frost's texture index and crop offsets.
struct Draws {
  std::optional<double> angle;
  std::optional<int> frost_index;
  std::optional<int> frost_top;
  std::optional<int> frost_left;
};
/// As corrupt(), with the given draws used instead of drawing them from `rng`.
cv::Mat corrupt_with(const cv::Mat& image, std::string_view name, int severity, Rng& rng,
                     const Draws& draws, const Options& options = {});

}  // namespace robustlab::corruptions
