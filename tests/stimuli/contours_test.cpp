// Closed-contour stimuli: the geometry the generator promises, checked with predicates written
// here; the rendered closed contour encloses a region (flood fill from outside) and the open one
// does not; line widths; the grey background; resumable, deterministic sets.
#include <cmath>
#include <deque>
#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/core/random.h"
#include "robustlab/stimuli/contours.h"
#include "test_support.h"

namespace robustlab::stimuli {
namespace {

double cross(const Point& o, const Point& a, const Point& b) {
  return (a.first - o.first) * (b.second - o.second) - (a.second - o.second) * (b.first - o.first);
}

// Proper crossing of two segments (the test's own predicate).
bool cross_properly(const Point& a, const Point& b, const Point& c, const Point& d) {
  return cross(a, b, c) * cross(a, b, d) < 0 && cross(c, d, a) * cross(c, d, b) < 0;
}

// The smallest distance between two segments (none crossing): the least of the four endpoint
// distances to the other segment, each by dense sampling.
double segment_gap(const Point& a, const Point& b, const Point& c, const Point& d) {
  auto to_segment = [](const Point& p, const Point& s, const Point& t) {
    double best = 1e18;
    for (int k = 0; k <= 2000; ++k) {
      const double u = k / 2000.0;
      best = std::min(best, std::hypot(s.first + u * (t.first - s.first) - p.first, s.second + u * (t.second - s.second) - p.second));
    }
    return best;
  };
  return std::min({to_segment(a, c, d), to_segment(b, c, d), to_segment(c, a, b), to_segment(d, a, b)});
}

double length(const Point& a, const Point& b) { return std::hypot(a.first - b.first, a.second - b.second); }

/// A 300 × 300 colour gradient as a PNG.
void cv_write_test_image(const std::filesystem::path& path) {
  cv::Mat image(300, 300, CV_8UC3);
  for (int y = 0; y < 300; ++y)
    for (int x = 0; x < 300; ++x) image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(x * 255 / 299), static_cast<uchar>(y * 255 / 299), 90);
  ASSERT_TRUE(cv::imwrite(path.string(), image));
}

TEST(Contours, GeometryKeepsTheGeneratorsPromises) {
  for (ContourSet set : {ContourSet::kTraining, ContourSet::kNoFlankers, ContourSet::kAsymmetricFlankers}) {
    for (int n : {3, 5, 9, 12}) {
      std::mt19937_64 rng = make_rng(7, static_cast<uint64_t>(n));
      const ContourPair pair = make_contour_pair(n, set, rng);
      const Polyline& closed = pair.closed_lines[0];
      const Polyline& open = pair.open_lines[0];
      ASSERT_EQ(closed.size(), static_cast<size_t>(n + 1));
      ASSERT_EQ(open.size(), static_cast<size_t>(n + 1));
      EXPECT_EQ(closed.front(), closed.back());
      EXPECT_GE(length(open.front(), open.back()), 80 - 1e-9);  // ends moved apart by 2 · U(40, 100)
      EXPECT_EQ(open[2], closed[2]);  // anchored on vertex 2
      for (const Polyline* line : {&closed, &open}) {
        for (const auto& [x, y] : *line) {  // the 20 px margin (+ half the 10 px line)
          EXPECT_GE(std::min(x, y), 25 - 1e-9);
          EXPECT_LE(std::max(x, y), 1024 - 25 + 1e-9);
        }
        for (size_t i = 0; i + 1 < line->size(); ++i)
          for (size_t j = i + 2; j + 1 < line->size(); ++j) {
            if (line == &closed && i == 0 && j + 2 == line->size()) continue;  // the closing joint
            EXPECT_FALSE(cross_properly((*line)[i], (*line)[i + 1], (*line)[j], (*line)[j + 1]))
                << "self-intersection, n = " << n;
          }
      }
      const size_t flankers = pair.closed_lines.size() - 1;
      EXPECT_EQ(pair.open_lines.size(), pair.closed_lines.size());
      if (set == ContourSet::kNoFlankers) {
        EXPECT_EQ(flankers, 0u);
        continue;
      }
      EXPECT_GE(flankers, 10u);
      EXPECT_LE(flankers, 25u);
      for (size_t f = 1; f < pair.closed_lines.size(); ++f) {
        const Polyline& line = pair.closed_lines[f];
        ASSERT_GE(line.size(), 2u);
        ASSERT_LE(line.size(), 3u);
        EXPECT_GE(length(line[0], line[1]), 128 - 1e-9);
        EXPECT_LE(length(line[0], line[1]), 256 + 1e-9);
        if (set == ContourSet::kAsymmetricFlankers) {
          ASSERT_EQ(line.size(), 3u);
          EXPECT_GE(length(line[1], line[2]), 32 - 1e-9);
          EXPECT_LE(length(line[1], line[2]), 64 + 1e-9);
        }
        // At least partly on the canvas, and never within 40 px of either contour.
        bool on_canvas = false;
        for (const auto& [x, y] : line) on_canvas = on_canvas || (x > 0 && x < 1024 && y > 0 && y < 1024);
        EXPECT_TRUE(on_canvas);
        for (const Polyline* contour : {&closed, &open})
          for (size_t i = 0; i + 1 < line.size(); ++i)
            for (size_t j = 0; j + 1 < contour->size(); ++j) {
              EXPECT_FALSE(cross_properly(line[i], line[i + 1], (*contour)[j], (*contour)[j + 1]));
              EXPECT_GE(segment_gap(line[i], line[i + 1], (*contour)[j], (*contour)[j + 1]), 40 - 0.5);
            }
      }
    }
  }
}

/// Background pixels (>= 128) reached by a flood fill from the image border.
int64_t unreached_background(const torch::Tensor& drawing) {
  const int64_t h = drawing.size(0), w = drawing.size(1);
  const auto pixels = drawing.accessor<uint8_t, 2>();
  std::vector<char> seen(static_cast<size_t>(h * w), 0);
  std::deque<std::pair<int64_t, int64_t>> queue;
  auto push = [&](int64_t y, int64_t x) {
    if (y < 0 || x < 0 || y >= h || x >= w || seen[static_cast<size_t>(y * w + x)] || pixels[y][x] < 128) return;
    seen[static_cast<size_t>(y * w + x)] = 1;
    queue.emplace_back(y, x);
  };
  for (int64_t i = 0; i < h; ++i) {
    push(i, 0);
    push(i, w - 1);
    push(0, i);
    push(h - 1, i);
  }
  while (!queue.empty()) {
    const auto [y, x] = queue.front();
    queue.pop_front();
    push(y + 1, x);
    push(y - 1, x);
    push(y, x + 1);
    push(y, x - 1);
  }
  int64_t unreached = 0;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) unreached += pixels[y][x] >= 128 && !seen[static_cast<size_t>(y * w + x)];
  return unreached;
}

TEST(Contours, TheClosedContourEnclosesARegionAndTheOpenOneDoesNot) {
  for (uint64_t seed = 0; seed < 6; ++seed) {
    std::mt19937_64 rng = make_rng(seed, 1);
    const ContourPair pair = make_contour_pair(3 + static_cast<int>(seed), ContourSet::kTraining, rng);
    EXPECT_GT(unreached_background(draw_lines({pair.closed_lines[0]}, ContourSet::kTraining)), 20) << seed;
    EXPECT_EQ(unreached_background(draw_lines({pair.open_lines[0]}, ContourSet::kTraining)), 0) << seed;
  }
}

TEST(Contours, CurvySetsFollowTheirRadialFrequencyContours) {
  for (const auto& [set, radius] : {std::pair{ContourSet::kCurvy50, 100.0}, std::pair{ContourSet::kCurvy100, 200.0},
                                    std::pair{ContourSet::kCurvy150, 300.0}, std::pair{ContourSet::kCurvy, 0.0}}) {
    for (uint64_t seed = 0; seed < 3; ++seed) {
      std::mt19937_64 rng = make_rng(seed, 5);
      const ContourPair pair = make_contour_pair(0, set, rng);
      ASSERT_TRUE(pair.dots);
      ASSERT_EQ(pair.closed_lines.size(), 1u);  // no flankers
      // The sinusoids average out over the full turn: the mean radius is R (100–200 for curvy).
      double mean = 0;
      for (const auto& [x, y] : pair.closed_lines[0]) mean += std::hypot(x - 512, y - 512);
      mean /= static_cast<double>(pair.closed_lines[0].size());
      if (radius > 0)
        EXPECT_NEAR(mean, radius, 2.0) << to_string(set);
      else
        EXPECT_TRUE(mean > 98 && mean < 202) << mean;
      EXPECT_GT(unreached_background(draw_lines({pair.closed_lines[0]}, set, true)), 20) << to_string(set);
      EXPECT_EQ(unreached_background(draw_lines({pair.open_lines[0]}, set, true)), 0) << to_string(set);
    }
  }
  std::mt19937_64 rng = make_rng(1, 1);
  const ContourPair dashed = make_contour_pair(0, ContourSet::kDashed, rng);
  EXPECT_GT(dashed.closed_lines[0].size(), 200u);  // about half of the 500 points
  EXPECT_LT(dashed.closed_lines[0].size(), 300u);
  EXPECT_EQ(unreached_background(draw_lines({dashed.closed_lines[0]}, ContourSet::kDashed, true)), 0);  // gaps
  const ContourPair flanked = make_contour_pair(0, ContourSet::kDashedFlanker, rng);
  EXPECT_EQ(flanked.closed_lines.size(), 2u);
  const ContourPair curvy_flankers = make_contour_pair(0, ContourSet::kCurvyFlankers, rng);
  EXPECT_GE(curvy_flankers.closed_lines.size(), 2u);
  EXPECT_LE(curvy_flankers.closed_lines.size(), 4u);
}

TEST(Contours, LinesHaveTheSetsWidth) {
  const Polyline horizontal = {{100, 510}, {900, 510}};
  for (const auto& [set, width] : {std::pair{ContourSet::kTraining, 2.5}, std::pair{ContourSet::kLineWidth1_25, 1.25},
                                   std::pair{ContourSet::kLineWidth4_5, 4.5}, std::pair{ContourSet::kLineWidth7_5, 7.5}}) {
    const torch::Tensor drawing = draw_lines({horizontal}, set).to(torch::kFloat64);
    const double ink = ((255 - drawing.select(1, 128)) / 255).sum().item<double>();  // one column across the line
    EXPECT_NEAR(ink, width, 0.3) << to_string(set);
  }
  // Black-white-black: dark at the edges, white in the middle.
  const torch::Tensor bwb = draw_lines({horizontal}, ContourSet::kBlackWhiteBlack).select(1, 128);
  // 4.5 px in the 256 px image around row 127.5: black edges, a white core.
  for (int row : {125, 129}) EXPECT_LT(bwb[row].item<uint8_t>(), 100) << row;
  EXPECT_GT(bwb[127].item<uint8_t>(), 200);
  // Binarised: only black and white.
  const torch::Tensor binary = draw_lines({{{100, 510}, {900, 700}}}, ContourSet::kBinarised);
  EXPECT_EQ(binary.eq(0).logical_or(binary.eq(255)).all().item<bool>(), true);
}

TEST(Contours, TheGreyBackgroundKeepsOnlyTheDarkLines) {
  const std::vector<Polyline> lines = {{{100, 510}, {900, 510}}};
  const torch::Tensor stimulus = contour_stimulus(lines, ContourSet::kTraining);
  ASSERT_EQ(stimulus.sizes(), (std::vector<int64_t>{3, 256, 256}));
  EXPECT_EQ(stimulus[0][10][10].item<uint8_t>(), 118);  // grey 118.9, truncated
  EXPECT_LT(stimulus[0][127][128].item<uint8_t>(), 60);  // the line
  const torch::Tensor white = contour_stimulus(lines, ContourSet::kWhiteLines);
  EXPECT_EQ(white[0][10][10].item<uint8_t>(), 118);
  EXPECT_GT(white[0][127][128].item<uint8_t>(), 200);  // a white line on grey
}

TEST(Contours, ImageBackgroundsHaveTheirContrastScaledInLab) {
  torch::manual_seed(0);
  const torch::Tensor image = torch::randint(0, 256, {3, 20, 20}).to(torch::kUInt8);
  // Contrast 0 is the uniform grey of the reference (skimage's lab2rgb of L = 50: 118.9137, 118.9127, 118.9178).
  const torch::Tensor grey = contrast_background(image, 0);
  EXPECT_NEAR(grey[0].mean().item<double>(), 118.91369957872172, 1e-3);
  EXPECT_NEAR(grey[1].mean().item<double>(), 118.9127086726839, 1e-3);
  EXPECT_NEAR(grey[2].mean().item<double>(), 118.91777938892962, 1e-3);
  for (int c = 0; c < 3; ++c) EXPECT_LT(grey[c].std().item<double>(), 1e-9);  // uniform
  // Contrast 1 is the image itself (the Lab round trip), and 0.5 halves the deviation in L.
  EXPECT_TRUE(torch::allclose(contrast_background(image, 1), image.to(torch::kFloat64), 0, 1e-6));
  const torch::Tensor half = contrast_background(image, 0.5);
  EXPECT_LT(half.std().item<double>(), image.to(torch::kFloat64).std().item<double>());
  EXPECT_THROW(contrast_background(image, 1.5), InvalidArgument);
  // The stimulus keeps the dark line over a bright background and shows the background elsewhere.
  const torch::Tensor white = torch::full({3, 256, 256}, 240.0, torch::kFloat64);
  const torch::Tensor s = contour_stimulus({{{100, 510}, {900, 510}}}, ContourSet::kTraining, false, white);
  EXPECT_EQ(s[0][10][10].item<uint8_t>(), 240);
  EXPECT_LT(s[0][127][128].item<uint8_t>(), 60);
}

TEST(Contours, SetsAreDeterministicAndResume) {
  testing::TempDir dir;
  const ContourSetOptions options{.set = ContourSet::kTriangles, .repetitions = 1, .seed = 3};
  EXPECT_EQ(write_contour_set(dir / "a", options), 14);
  EXPECT_EQ(write_contour_set(dir / "a", options), 0);  // all there: nothing to do
  std::filesystem::remove(dir / "a" / "open" / "6.png");
  EXPECT_EQ(write_contour_set(dir / "a", options), 2);  // that pair again
  EXPECT_EQ(write_contour_set(dir / "b", options), 14);
  auto bytes = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  for (const char* file : {"closed/1.png", "open/6.png", "closed/13.png", "labels.csv"})
    EXPECT_EQ(bytes(dir / "a" / file), bytes(dir / "b" / file)) << file;
  const std::string labels = bytes(dir / "a" / "labels.csv");
  EXPECT_NE(labels.find("closed/1.png,3,1"), std::string::npos);
  EXPECT_NE(labels.find("open/14.png,3,0"), std::string::npos);
  // With image backgrounds: a folder of images, one per pair, contrast as asked.
  std::filesystem::create_directories(dir / "bg" / "x");
  cv_write_test_image(dir / "bg" / "x" / "a.png");
  ContourSetOptions with_images = options;
  with_images.backgrounds = dir / "bg";
  with_images.contrast = 0.8;
  EXPECT_EQ(write_contour_set(dir / "c", with_images), 14);
  EXPECT_NE(bytes(dir / "c" / "closed/1.png"), bytes(dir / "a" / "closed/1.png"));
  with_images.backgrounds = dir / "nowhere";
  EXPECT_THROW(write_contour_set(dir / "d", with_images), IoError);
  EXPECT_THROW(parse_contour_set("wavy"), InvalidArgument);
  EXPECT_EQ(parse_contour_set("12-gons"), ContourSet::kTwelveGons);
  EXPECT_EQ(contour_set_names().size(), 20u);
}

}  // namespace
}  // namespace robustlab::stimuli
