// The 19 corruption functions; each takes an 8-bit RGB image (CV_8UC3) and returns one.
#pragma once

#include <array>

#include <opencv2/core/mat.hpp>

#include "robustlab/corruptions/corruptions.h"

namespace robustlab::corruptions::detail {

struct Context {
  int severity = 1;  ///< 1..5
  Rng* rng = nullptr;
  const Options* options = nullptr;
  const Draws* draws = nullptr;
};

using Function = cv::Mat (*)(const cv::Mat& rgb, const Context& context);

/// The entry of a per-severity parameter table.
template <typename T, size_t N>
const T& pick(const std::array<T, N>& table, const Context& context) {
  return table[static_cast<size_t>(context.severity - 1)];
}

/// Number of scalar values of an image (pixels times channels).
inline size_t values(const cv::Mat& m) { return m.total() * static_cast<size_t>(m.channels()); }

cv::Mat gaussian_noise(const cv::Mat& rgb, const Context& context);
cv::Mat shot_noise(const cv::Mat& rgb, const Context& context);
cv::Mat impulse_noise(const cv::Mat& rgb, const Context& context);
cv::Mat defocus_blur(const cv::Mat& rgb, const Context& context);
cv::Mat glass_blur(const cv::Mat& rgb, const Context& context);
cv::Mat motion_blur(const cv::Mat& rgb, const Context& context);
cv::Mat zoom_blur(const cv::Mat& rgb, const Context& context);
cv::Mat snow(const cv::Mat& rgb, const Context& context);
cv::Mat frost(const cv::Mat& rgb, const Context& context);
cv::Mat fog(const cv::Mat& rgb, const Context& context);
cv::Mat brightness(const cv::Mat& rgb, const Context& context);
cv::Mat contrast(const cv::Mat& rgb, const Context& context);
cv::Mat elastic_transform(const cv::Mat& rgb, const Context& context);
cv::Mat pixelate(const cv::Mat& rgb, const Context& context);
cv::Mat jpeg_compression(const cv::Mat& rgb, const Context& context);
cv::Mat speckle_noise(const cv::Mat& rgb, const Context& context);
cv::Mat gaussian_blur(const cv::Mat& rgb, const Context& context);
cv::Mat spatter(const cv::Mat& rgb, const Context& context);
cv::Mat saturate(const cv::Mat& rgb, const Context& context);

}  // namespace robustlab::corruptions::detail
