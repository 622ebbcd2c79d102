// SVRT: every problem's samples obey its rule in class 1 and break it in class 0, as judged by
// predicates written here on the placed shapes (outlines compared point by point, centres,
// point-in-polygon, distances); the drawn image holds every shape; sets are written resumably.
#include <algorithm>
#include <cmath>
#include <complex>
#include <fstream>
#include <map>
#include <optional>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "robustlab/core/error.h"
#include "robustlab/core/parallel.h"
#include "robustlab/core/random.h"
#include "robustlab/stimuli/svrt.h"
#include "test_support.h"

namespace robustlab::stimuli {
namespace {

using Shapes = std::vector<SvrtShape>;

bool same(const SvrtShape& a, const SvrtShape& b) {
  if (a.outline.size() != b.outline.size()) return false;
  for (size_t i = 0; i < a.outline.size(); ++i)
    if (std::abs(a.outline[i].first - b.outline[i].first) > 1e-9 ||
        std::abs(a.outline[i].second - b.outline[i].second) > 1e-9)
      return false;
  return true;
}

// The complex factor z with b = z·a point by point (a rotation and a scaling), if there is one.
std::optional<std::complex<double>> similarity(const SvrtShape& a, const SvrtShape& b) {
  if (a.outline.size() != b.outline.size()) return std::nullopt;
  std::complex<double> num = 0;
  double den = 0;
  for (size_t i = 0; i < a.outline.size(); ++i) {
    const std::complex<double> pa(a.outline[i].first, a.outline[i].second), pb(b.outline[i].first, b.outline[i].second);
    num += pb * std::conj(pa);
    den += std::norm(pa);
  }
  const std::complex<double> z = num / den;
  for (size_t i = 0; i < a.outline.size(); ++i) {
    const std::complex<double> pa(a.outline[i].first, a.outline[i].second), pb(b.outline[i].first, b.outline[i].second);
    if (std::abs(pb - z * pa) > 1e-6) return std::nullopt;
  }
  return z;
}

SvrtShape reflected(SvrtShape s, double ax, double ay) {  // across the line along (ax, ay)
  const double n = std::hypot(ax, ay);
  ax /= n, ay /= n;
  for (auto& [x, y] : s.outline) {
    const double d = x * ax + y * ay;
    x = 2 * d * ax - x;
    y = 2 * d * ay - y;
  }
  return s;
}

double extent(const SvrtShape& s) {
  double r = 0;
  for (const auto& [x, y] : s.outline) r = std::max(r, std::hypot(x, y));
  return r;
}

// Ray casting against the closed outline of `s`.
bool inside(const Point& p, const SvrtShape& s) {
  bool in = false;
  const size_t n = s.outline.size();
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const double xi = s.outline[i].first + s.x, yi = s.outline[i].second + s.y;
    const double xj = s.outline[j].first + s.x, yj = s.outline[j].second + s.y;
    if ((yi > p.second) != (yj > p.second) && p.first < (xj - xi) * (p.second - yi) / (yj - yi) + xi) in = !in;
  }
  return in;
}

bool centre_inside(const SvrtShape& small, const SvrtShape& big) { return inside({small.x, small.y}, big); }

double gap(const SvrtShape& a, const SvrtShape& b) {  // least distance between the outlines
  double best = 1e18;
  for (size_t i = 0; i < a.outline.size(); i += 2)
    for (size_t j = 0; j < b.outline.size(); j += 2)
      best = std::min(best, std::hypot(a.outline[i].first + a.x - b.outline[j].first - b.x,
                                       a.outline[i].second + a.y - b.outline[j].second - b.y));
  return best;
}

double centre_distance(const SvrtShape& a, const SvrtShape& b) { return std::hypot(a.x - b.x, a.y - b.y); }

// Distance from p to the segment a-b.
double to_segment(const SvrtShape& p, const SvrtShape& a, const SvrtShape& b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double t = std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / (dx * dx + dy * dy), 0.0, 1.0);
  return std::hypot(a.x + t * dx - p.x, a.y + t * dy - p.y);
}

// Sizes of the groups of identical shapes, sorted.
std::vector<int> identity_groups(const Shapes& s) {
  std::vector<int> group(s.size(), -1);
  std::vector<int> sizes;
  for (size_t i = 0; i < s.size(); ++i) {
    if (group[i] >= 0) continue;
    group[i] = static_cast<int>(sizes.size());
    sizes.push_back(1);
    for (size_t j = i + 1; j < s.size(); ++j)
      if (group[j] < 0 && same(s[i], s[j])) group[j] = group[i], ++sizes.back();
  }
  std::sort(sizes.begin(), sizes.end());
  return sizes;
}

// Sizes of the groups of shapes in contact (outlines within `touch` px), sorted.
std::vector<int> contact_groups(const Shapes& s, double touch) {
  std::vector<int> parent(s.size());
  for (size_t i = 0; i < s.size(); ++i) parent[i] = static_cast<int>(i);
  std::function<int(int)> root = [&](int i) { return parent[i] == i ? i : parent[i] = root(parent[i]); };
  for (size_t i = 0; i < s.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (gap(s[i], s[j]) <= touch) parent[root(static_cast<int>(i))] = root(static_cast<int>(j));
  std::map<int, int> count;
  for (size_t i = 0; i < s.size(); ++i) ++count[root(static_cast<int>(i))];
  std::vector<int> sizes;
  for (const auto& [r, c] : count) sizes.push_back(c);
  std::sort(sizes.begin(), sizes.end());
  return sizes;
}

// Whether the rule of `problem` holds (class 1) for the shapes; fails the test when a sample is
// ambiguous (neither clearly class 1 nor clearly class 0).
bool rule(int problem, const Shapes& s) {
  auto expect_count = [&](size_t n) {
    EXPECT_EQ(s.size(), n) << "problem " << problem;
    return s.size() == n;
  };
  switch (problem) {
    case 1: return expect_count(2) && same(s[0], s[1]);
    case 2: {  // small inside big, near its border or at least 10 px from it
      if (!expect_count(2)) return false;
      EXPECT_TRUE(centre_inside(s[1], s[0]));
      const double d = gap(s[0], s[1]);
      EXPECT_TRUE(d <= 4.5 || d >= 10) << d;
      return d <= 4.5;
    }
    case 3: {
      if (!expect_count(4)) return false;
      const auto groups = contact_groups(s, 4);
      EXPECT_TRUE(groups == std::vector<int>({2, 2}) || groups == std::vector<int>({1, 3}));
      return groups == std::vector<int>({2, 2});
    }
    case 4: return expect_count(2) && centre_inside(s[1], s[0]);
    case 5: {
      if (!expect_count(4)) return false;
      const auto groups = identity_groups(s);
      EXPECT_TRUE(groups == std::vector<int>({2, 2}) || groups == std::vector<int>({1, 1, 1, 1}));
      return groups == std::vector<int>({2, 2});
    }
    case 6: {
      if (!expect_count(4)) return false;
      EXPECT_TRUE(same(s[0], s[1]) && same(s[2], s[3]) && !same(s[0], s[2]));
      const double diff = std::abs(centre_distance(s[0], s[1]) - centre_distance(s[2], s[3]));
      EXPECT_TRUE(diff <= 3 || diff >= 21) << diff;
      return diff <= 3;
    }
    case 7: {
      if (!expect_count(6)) return false;
      const auto groups = identity_groups(s);
      EXPECT_TRUE(groups == std::vector<int>({3, 3}) || groups == std::vector<int>({2, 2, 2}));
      return groups == std::vector<int>({3, 3});
    }
    case 8: {  // the small one is the big one at half size, and inside it
      if (!expect_count(2)) return false;
      const auto z = similarity(s[0], s[1]);
      const bool copy = z && std::abs(*z - 0.5) < 1e-9;
      return copy && centre_inside(s[1], s[0]);
    }
    case 9: {  // the middle one of three aligned copies is a small one
      if (!expect_count(3)) return false;
      const size_t big = extent(s[0]) > extent(s[1]) ? (extent(s[0]) > extent(s[2]) ? 0 : 2) : (extent(s[1]) > extent(s[2]) ? 1 : 2);
      for (size_t i = 0; i < 3; ++i) {
        if (i == big) continue;
        const auto z = similarity(s[big], s[i]);
        EXPECT_TRUE(z && std::abs(*z - 0.5) < 1e-9);
      }
      size_t middle = 0;
      double best = 1e18;
      for (size_t i = 0; i < 3; ++i) {
        const double d = to_segment(s[i], s[(i + 1) % 3], s[(i + 2) % 3]);
        if (d < best) best = d, middle = i;
      }
      EXPECT_LE(best, 1.5);
      return middle != big;
    }
    case 10: {  // one shape four times, on the corners of a square
      if (!expect_count(4)) return false;
      EXPECT_EQ(identity_groups(s), std::vector<int>({4}));
      std::vector<double> d;
      for (size_t i = 0; i < 4; ++i)
        for (size_t j = 0; j < i; ++j) d.push_back(centre_distance(s[i], s[j]));
      std::sort(d.begin(), d.end());
      return d[3] - d[0] <= 3 && std::abs(d[4] - d[0] * std::sqrt(2.0)) <= 4 && std::abs(d[5] - d[4]) <= 3;
    }
    case 11: {
      if (!expect_count(2)) return false;
      const double d = gap(s[0], s[1]);
      EXPECT_TRUE(d <= 3 || d >= 7) << d;
      return d <= 3;
    }
    case 12: {  // the two small ones closer to each other than to the big one
      if (!expect_count(3)) return false;
      EXPECT_LT(std::max(extent(s[0]), extent(s[1])), extent(s[2]));
      return centre_distance(s[0], s[1]) < std::min(centre_distance(s[0], s[2]), centre_distance(s[1], s[2]));
    }
    case 13: {
      if (!expect_count(4)) return false;
      EXPECT_TRUE(same(s[0], s[2]) && same(s[1], s[3]));
      const double dx = (s[3].x - s[2].x) - (s[1].x - s[0].x), dy = (s[3].y - s[2].y) - (s[1].y - s[0].y);
      const double off = std::hypot(dx, dy);
      EXPECT_TRUE(off == 0 || off >= 32) << off;
      return off == 0;
    }
    case 14: {  // one shape three times, one centre on the segment between the others
      if (!expect_count(3)) return false;
      EXPECT_EQ(identity_groups(s), std::vector<int>({3}));
      double best = 1e18;
      for (size_t i = 0; i < 3; ++i) best = std::min(best, to_segment(s[i], s[(i + 1) % 3], s[(i + 2) % 3]));
      EXPECT_TRUE(best <= 1.5 || best > 6) << best;
      return best <= 1.5;
    }
    case 15: {
      if (!expect_count(4)) return false;
      const auto groups = identity_groups(s);
      EXPECT_TRUE(groups == std::vector<int>({4}) || groups == std::vector<int>({1, 1, 1, 1}));
      return groups == std::vector<int>({4});
    }
    case 16: {  // the right three are the mirror image of the left three
      if (!expect_count(6)) return false;
      for (int n = 0; n < 3; ++n) {
        EXPECT_EQ(s[n + 3].x, kSvrtSide - s[n].x);
        EXPECT_EQ(s[n + 3].y, s[n].y);
        EXPECT_TRUE(same(s[n], s[0]) && same(s[n + 3], s[3]));
      }
      const bool mirrored = same(s[3], reflected(s[0], 0, 1));
      EXPECT_TRUE(mirrored != same(s[3], s[0]));
      return mirrored;
    }
    case 17: {  // the odd one at the centre of the circle through the other three
      if (!expect_count(4)) return false;
      EXPECT_EQ(identity_groups(s), std::vector<int>({1, 3}));
      const double ax = s[0].x, ay = s[0].y, bx = s[1].x, by = s[1].y, cx = s[2].x, cy = s[2].y;
      const double d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by));
      const double ux = ((ax * ax + ay * ay) * (by - cy) + (bx * bx + by * by) * (cy - ay) + (cx * cx + cy * cy) * (ay - by)) / d;
      const double uy = ((ax * ax + ay * ay) * (cx - bx) + (bx * bx + by * by) * (ax - cx) + (cx * cx + cy * cy) * (bx - ax)) / d;
      const double off = std::hypot(s[3].x - ux, s[3].y - uy);
      EXPECT_TRUE(off <= 1.5 || off >= 21) << off;
      return off <= 1.5;
    }
    case 18: {  // the positions are symmetric about the vertical midline
      if (!expect_count(6)) return false;
      EXPECT_EQ(identity_groups(s), std::vector<int>({6}));
      for (int n = 0; n < 3; ++n) {
        bool found = false;
        for (int m = 3; m < 6; ++m) found = found || (s[m].x == kSvrtSide - s[n].x && s[m].y == s[n].y);
        if (!found) return false;
      }
      return true;
    }
    case 19: {  // the same shape at another scale
      if (!expect_count(2)) return false;
      const auto z = similarity(s[0], s[1]);
      return z && std::abs(z->imag()) < 1e-9 && z->real() > 0;
    }
    case 20: {  // mirror images across the perpendicular bisector of the centres
      if (!expect_count(2)) return false;
      return same(s[1], reflected(s[0], s[1].y - s[0].y, s[0].x - s[1].x));
    }
    case 21: return expect_count(2) && similarity(s[0], s[1]).has_value();
    case 22: {
      if (!expect_count(3)) return false;
      double best = 1e18;
      for (size_t i = 0; i < 3; ++i) best = std::min(best, to_segment(s[i], s[(i + 1) % 3], s[(i + 2) % 3]));
      EXPECT_LE(best, 1.5);
      const auto groups = identity_groups(s);
      EXPECT_TRUE(groups == std::vector<int>({3}) || groups == std::vector<int>({1, 1, 1}));
      return groups == std::vector<int>({3});
    }
    default: {  // one small shape inside the big one and one outside
      if (!expect_count(3)) return false;
      return centre_inside(s[1], s[0]) + centre_inside(s[2], s[0]) == 1;
    }
  }
}

TEST(Svrt, EveryProblemsClassesObeyAndBreakItsRule) {
  for (int problem = 1; problem <= kSvrtProblems; ++problem) {
    for (int label = 0; label < 2; ++label) {
      for (uint64_t k = 0; k < 8; ++k) {
        std::mt19937_64 rng = make_rng(100 + k, static_cast<uint64_t>(problem * 2 + label));
        const SvrtSample sample = make_svrt_sample(problem, label, rng);
        EXPECT_EQ(rule(problem, sample.shapes), label == 1) << "problem " << problem << " label " << label << " sample " << k;
      }
    }
  }
}

TEST(Svrt, TheImageDrawsEveryShapeAndNothingElse) {
  for (int problem = 1; problem <= kSvrtProblems; ++problem) {
    std::mt19937_64 rng = make_rng(5, static_cast<uint64_t>(problem));
    const SvrtSample sample = make_svrt_sample(problem, problem % 2, rng);
    ASSERT_EQ(sample.pixels.size(), static_cast<size_t>(kSvrtSide * kSvrtSide));
    auto ink = [&](int x, int y) { return sample.pixels[static_cast<size_t>(x + kSvrtSide * y)] == 0; };
    std::vector<bool> near_a_shape(sample.pixels.size(), false);
    for (const SvrtShape& shape : sample.shapes) {
      for (const auto& [ox, oy] : shape.outline) {
        const int x = static_cast<int>(ox + shape.x), y = static_cast<int>(oy + shape.y);
        ASSERT_TRUE(x >= 1 && y >= 1 && x < kSvrtSide - 1 && y < kSvrtSide - 1) << "problem " << problem;
        bool found = false;  // every point of the outline is drawn to within a pixel
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) {
            found = found || ink(x + dx, y + dy);
            near_a_shape[static_cast<size_t>(x + dx + kSvrtSide * (y + dy))] = true;
          }
        EXPECT_TRUE(found) << "problem " << problem;
      }
    }
    for (size_t k = 0; k < sample.pixels.size(); ++k) {
      EXPECT_TRUE(sample.pixels[k] == 0 || sample.pixels[k] == 255) << "problem " << problem;
      if (sample.pixels[k] == 0) {
        EXPECT_TRUE(near_a_shape[k]) << "stray ink, problem " << problem;
      }
    }
  }
}

TEST(Svrt, TheSameDifferentSplitIsFunkeEtAls) {
  std::vector<int> same_different;
  for (int p = 1; p <= kSvrtProblems; ++p)
    if (svrt_is_same_different(p)) same_different.push_back(p);
  EXPECT_EQ(same_different, std::vector<int>({1, 5, 7, 15, 16, 19, 20, 21, 22}));
}

TEST(Svrt, BadProblemsAndLabelsAreRejected) {
  std::mt19937_64 rng(1);
  EXPECT_THROW(make_svrt_sample(0, 0, rng), InvalidArgument);
  EXPECT_THROW(make_svrt_sample(24, 1, rng), InvalidArgument);
  EXPECT_THROW(make_svrt_sample(1, 2, rng), InvalidArgument);
  testing::TempDir dir;
  EXPECT_THROW(write_svrt_set(dir.path(), {1, 7, 0}), InvalidArgument);
  EXPECT_THROW(write_svrt_set(dir.path(), {25, 10, 0}), InvalidArgument);
}

TEST(Svrt, SetsAreWrittenDeterministicallyAndResume) {
  testing::TempDir tmp;
  const auto& dir = tmp.path();
  const SvrtSetOptions options{7, 6, 3};
  EXPECT_EQ(write_svrt_set(dir, options), 6);
  const auto file = dir / "1" / "sample_1_000002.png";
  ASSERT_TRUE(std::filesystem::exists(file));
  const cv::Mat image = cv::imread(file.string(), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(image.rows, kSvrtSide);
  EXPECT_EQ(image.cols, kSvrtSide);
  EXPECT_EQ(image.channels(), 1);
  std::ifstream in(file, std::ios::binary);
  const std::string before((std::istreambuf_iterator<char>(in)), {});
  std::filesystem::remove(file);
  EXPECT_EQ(write_svrt_set(dir, options), 1);  // only the missing image
  std::ifstream again(file, std::ios::binary);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(again)), {}), before);
  std::ifstream labels(dir / "labels.csv");
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(labels, line)) lines.push_back(line);
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0], "image,problem,label");
  EXPECT_EQ(lines[1], "0/sample_0_000000.png,7,0");
  EXPECT_EQ(lines[6], "1/sample_1_000002.png,7,1");
  // One thread writes the same files as several.
  const int before_threads = threads();
  set_threads(1);
  testing::TempDir serial;
  EXPECT_EQ(write_svrt_set(serial.path(), options), 6);
  set_threads(before_threads);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream a(entry.path(), std::ios::binary), b(serial.path() / std::filesystem::relative(entry.path(), dir), std::ios::binary);
    EXPECT_EQ(std::string((std::istreambuf_iterator<char>(a)), {}), std::string((std::istreambuf_iterator<char>(b)), {}))
        << entry.path();
  }
}

}  // namespace
}  // namespace robustlab::stimuli
