// A stimulus set made by hand for the design and server tests: known activations (natural max
// images 100 + 10·position + batch/10, natural min images position − 50 + batch/100, synthetic ±1000)
// and tiny PNG files whose one pixel encodes the image's number.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

namespace robustlab::psychophysics::fakes {

inline nlohmann::json fake_manifest(int units, int batches, int images, const std::filesystem::path& dir = {}) {
  using nlohmann::json;
  int counter = 0;
  const auto image = [&](const std::string& file, double activation) {
    if (!dir.empty()) {
      std::filesystem::create_directories((dir / file).parent_path());
      cv::imwrite((dir / file).string(), cv::Mat(1, 1, CV_8UC1, cv::Scalar(counter % 256)));
    }
    ++counter;
    return json{{"file", file}, {"activation", activation}};
  };
  json list = json::array();
  for (int u = 0; u < units; ++u) {
    const std::string base = "units/" + std::to_string(u) + "/";
    json natural = json::array();
    for (int b = 0; b < batches; ++b) {
      json max = json::array(), min = json::array();
      for (int i = 0; i < images; ++i) {
        const std::string dir_b = base + "natural/batch_" + std::to_string(b) + "/";
        max.push_back(image(dir_b + "max_" + std::to_string(i) + ".png", 100 + 10 * i + b / 10.0));
        min.push_back(image(dir_b + "min_" + std::to_string(i) + ".png", i - 50 + b / 100.0));
      }
      natural.push_back({{"max", max}, {"min", min}});
    }
    json smax = json::array(), smin = json::array();
    for (int i = 0; i < images; ++i) {
      smax.push_back(image(base + "synthetic/max_" + std::to_string(i) + ".png", 1000 + i));
      smin.push_back(image(base + "synthetic/min_" + std::to_string(i) + ".png", -1000 - i));
    }
    list.push_back({{"layer", "layer" + std::to_string(u % 2)}, {"channel", u}, {"natural", natural},
                    {"natural_max", 100 + 10 * (images - 1) + batches / 10.0}, {"natural_min", -50.0},
                    {"synthetic", {{"max", smax}, {"min", smin}}}});
  }
  json manifest = {{"format", "robustlab-feature-visualization-stimuli/1"}, {"model", "fake"}, {"dataset", "fake"},
                   {"images", images}, {"batches", batches}, {"units", list}};
  if (!dir.empty()) {
    std::ofstream(dir / "stimuli.json") << manifest.dump();
  }
  return manifest;
}

}  // namespace robustlab::psychophysics::fakes
