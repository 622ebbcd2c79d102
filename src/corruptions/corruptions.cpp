// The corruption registry, name and severity parsing, per-image random streams and the entry point
// corrupt() (input checks and grayscale stacking as imagecorruptions' corrupt()).
#include "robustlab/corruptions/corruptions.h"

#include <algorithm>
#include <charconv>

#include <opencv2/core.hpp>

#include "algorithms.h"
#include "robustlab/core/error.h"
#include "robustlab/core/random.h"

namespace robustlab::corruptions {
namespace {

struct Entry {
  Info info;
  detail::Function function;
};

const std::vector<Entry>& entries() {
  using namespace detail;
  static const std::vector<Entry> table = [] {
    const std::vector<std::tuple<const char*, const char*, bool, Function>> rows{
        {"gaussian_noise", "noise", false, gaussian_noise},
        {"shot_noise", "noise", false, shot_noise},
        {"impulse_noise", "noise", false, impulse_noise},
        {"defocus_blur", "blur", true, defocus_blur},
        {"glass_blur", "blur", false, glass_blur},
        {"motion_blur", "blur", false, motion_blur},
        {"zoom_blur", "blur", true, zoom_blur},
        {"snow", "weather", false, snow},
        {"frost", "weather", false, frost},
        {"fog", "weather", false, fog},
        {"brightness", "weather", true, brightness},
        {"contrast", "digital", true, contrast},
        {"elastic_transform", "digital", false, elastic_transform},
        {"pixelate", "digital", true, pixelate},
        {"jpeg_compression", "digital", true, jpeg_compression},
        {"speckle_noise", "extra", false, speckle_noise},
        {"gaussian_blur", "extra", true, gaussian_blur},
        {"spatter", "extra", false, spatter},
        {"saturate", "extra", true, saturate}};
    std::vector<Entry> out;
    for (const auto& [name, group, deterministic, function] : rows) {
      const int index = static_cast<int>(out.size());
      out.push_back({Info{name, index, group, index < 15, deterministic}, function});
    }
    return out;
  }();
  return table;
}

const Entry& entry(std::string_view name) {
  for (const Entry& e : entries())
    if (e.info.name == name) return e;
  std::string known;
  for (const Entry& e : entries()) known += (known.empty() ? "" : ", ") + e.info.name;
  throw InvalidArgument("unknown corruption '" + std::string(name) + "' (known: " + known +
                        "; sets: all, benchmark, extra)");
}

std::vector<std::string_view> split(std::string_view list) {
  std::vector<std::string_view> items;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t end = std::min(list.find(',', start), list.size());
    std::string_view item = list.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) items.push_back(item);
    start = end + 1;
  }
  return items;
}

int parse_severity(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 5)
    throw InvalidArgument("severity '" + std::string(text) + "' is not an integer from 1 to 5");
  return value;
}

}  // namespace

const std::vector<Info>& all() {
  static const std::vector<Info> infos = [] {
    std::vector<Info> out;
    for (const Entry& e : entries()) out.push_back(e.info);
    return out;
  }();
  return infos;
}

const Info& find(std::string_view name) { return entry(name).info; }

std::vector<std::string> parse_names(std::string_view list) {
  std::vector<bool> chosen(entries().size(), false);
  for (std::string_view item : split(list)) {
    if (item == "all" || item == "benchmark" || item == "extra") {
      for (const Entry& e : entries())
        if (item == "all" || (item == "benchmark") == e.info.benchmark) chosen[static_cast<size_t>(e.info.index)] = true;
    } else {
      chosen[static_cast<size_t>(entry(item).info.index)] = true;
    }
  }
  std::vector<std::string> names;
  for (const Entry& e : entries())
    if (chosen[static_cast<size_t>(e.info.index)]) names.push_back(e.info.name);
  if (names.empty()) throw InvalidArgument("no corruption named in '" + std::string(list) + "'");
  return names;
}

std::vector<int> parse_severities(std::string_view list) {
  std::vector<bool> chosen(6, false);
  for (std::string_view item : split(list)) {
    const size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      chosen[static_cast<size_t>(parse_severity(item))] = true;
      continue;
    }
    const int lo = parse_severity(item.substr(0, dash)), hi = parse_severity(item.substr(dash + 1));
    if (lo > hi) throw InvalidArgument("severity range '" + std::string(item) + "' is empty");
    for (int s = lo; s <= hi; ++s) chosen[static_cast<size_t>(s)] = true;
  }
  std::vector<int> out;
  for (int s = 1; s <= 5; ++s)
    if (chosen[static_cast<size_t>(s)]) out.push_back(s);
  if (out.empty()) throw InvalidArgument("no severity in '" + std::string(list) + "'");
  return out;
}

Rng::Rng(uint64_t seed) {
  for (uint64_t& word : s_) {
    seed += 0x9E3779B97F4A7C15ULL;
    word = mix_seed(seed);
  }
}

Rng corruption_rng(uint64_t seed, uint64_t image_id, std::string_view name, int severity) {
  const uint64_t which = static_cast<uint64_t>(find(name).index) * 8 + static_cast<uint64_t>(severity);
  return Rng(make_rng(seed, mix_seed(image_id) ^ which)());
}

cv::Mat corrupt_with(const cv::Mat& image, std::string_view name, int severity, Rng& rng,
                     const Draws& draws, const Options& options) {
  const Entry& e = entry(name);
  if (severity < 1 || severity > 5)
    throw InvalidArgument("severity " + std::to_string(severity) + " is outside 1..5");
  if (image.empty()) throw InvalidArgument(e.info.name + ": the image is empty");
  if (image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3))
    throw InvalidArgument(e.info.name + ": expected an 8-bit grayscale or RGB image");
  if (image.rows < 32 || image.cols < 32)
    throw InvalidArgument(e.info.name + ": the image is " + std::to_string(image.cols) + "x" +
                          std::to_string(image.rows) + " px; corruptions need at least 32x32");
  cv::Mat rgb;
  if (image.channels() == 1) {
    cv::Mat planes[3] = {image, image, image};
    cv::merge(planes, 3, rgb);
  } else {
    rgb = image.isContinuous() ? image : image.clone();
  }
  const detail::Context context{severity, &rng, &options, &draws};
  return e.function(rgb, context);
}

cv::Mat corrupt(const cv::Mat& image, std::string_view name, int severity, Rng& rng, const Options& options) {
  return corrupt_with(image, name, severity, rng, Draws{}, options);
}

}  // namespace robustlab::corruptions
