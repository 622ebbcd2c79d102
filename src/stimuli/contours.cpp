// Closed-contour stimuli of Funke et al. 2021 (arXiv:2004.09406), after the reference generator
// linedrawing_polygon.py and add_background.py; see the header for what is drawn and how.
#include "robustlab/stimuli/contours.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"
#include "robustlab/core/random.h"
#include "robustlab/data/image_folder.h"
#include "items.h"

namespace robustlab::stimuli {

namespace {

constexpr double kCanvas = 1024;
constexpr double kMinDistance = 40;  // the reference's `dist` (10 px in the final image)
// The grey of the contrast-0 background (add_background.py).
constexpr double kGrey[3] = {118.91369957872172, 118.9127086726839, 118.91777938892962};

struct SetInfo {
  ContourSet set;
  const char* name;
};
constexpr SetInfo kSets[] = {
    {ContourSet::kTraining, "training"},          {ContourSet::kLineWidth1_25, "line-width-1.25"},
    {ContourSet::kLineWidth4_5, "line-width-4.5"}, {ContourSet::kLineWidth7_5, "line-width-7.5"},
    {ContourSet::kWhiteLines, "white-lines"},      {ContourSet::kBlackWhiteBlack, "black-white-black"},
    {ContourSet::kNoFlankers, "no-flankers"},      {ContourSet::kTriangles, "3-gons"},
    {ContourSet::kHexagons, "6-gons"},             {ContourSet::kNonagons, "9-gons"},
    {ContourSet::kTwelveGons, "12-gons"},          {ContourSet::kAsymmetricFlankers, "asymmetric-flankers"},
    {ContourSet::kBinarised, "binarised"},         {ContourSet::kCurvy, "curvy"},
    {ContourSet::kCurvy50, "curvy-50"},            {ContourSet::kCurvy100, "curvy-100"},
    {ContourSet::kCurvy150, "curvy-150"},          {ContourSet::kDashed, "dashed"},
    {ContourSet::kDashedFlanker, "dashed-flanker"}, {ContourSet::kCurvyFlankers, "curvy-flankers"},
};

double uniform(std::mt19937_64& rng, double low, double high) {
  return std::uniform_real_distribution<double>(low, high)(rng);
}

int randint(std::mt19937_64& rng, int low, int high_exclusive) {
  return std::uniform_int_distribution<int>(low, high_exclusive - 1)(rng);
}

bool ccw(const Point& a, const Point& b, const Point& c) {
  return (c.second - a.second) * (b.first - a.first) > (b.second - a.second) * (c.first - a.first);
}

bool segments_cross(const Point& a, const Point& b, const Point& c, const Point& d) {
  return ccw(a, c, d) != ccw(b, c, d) && ccw(a, b, c) != ccw(a, b, d);
}

double segment_distance(const Point& p, const Point& a, const Point& b) {
  const double px = b.first - a.first, py = b.second - a.second;
  const double length = px * px + py * py;
  double u = length > 0 ? ((p.first - a.first) * px + (p.second - a.second) * py) / length : 0;
  u = std::clamp(u, 0.0, 1.0);
  return std::hypot(a.first + u * px - p.first, a.second + u * py - p.second);
}

Polyline slice(const Polyline& line, size_t from, size_t to) {  // line[from:to], Python-style
  to = std::min(to, line.size());
  return from < to ? Polyline(line.begin() + static_cast<std::ptrdiff_t>(from), line.begin() + static_cast<std::ptrdiff_t>(to))
                   : Polyline{};
}

bool near(const Polyline& line, const Point& p) { return point_to_polyline_distance(line, p) < kMinDistance; }

Polyline shift_mean_to(Polyline line, const Point& target) {
  double mx = 0, my = 0;
  for (const auto& [x, y] : line) {
    mx += x;
    my += y;
  }
  mx /= static_cast<double>(line.size());
  my /= static_cast<double>(line.size());
  for (auto& [x, y] : line) {
    x += target.first - mx;
    y += target.second - my;
  }
  return line;
}

bool inside(const Polyline& line, double width) {
  const double margin = 20;
  for (const auto& [x, y] : line)
    if (x < width / 2 + margin || x > kCanvas - width / 2 - margin || y < width / 2 + margin ||
        y > kCanvas - width / 2 - margin)
      return false;
  return true;
}

bool visible(const Polyline& line) {
  for (const auto& [x, y] : line)
    if (x > 0 && x < kCanvas && y > 0 && y < kCanvas) return true;
  return false;
}

/// make_contour_both: the open and the closed polygon around the origin.
std::pair<Polyline, Polyline> polygon_pair(int n, std::mt19937_64& rng) {
  const double diff = uniform(rng, 0, 1) * 60 + 40;
  for (;;) {
    std::vector<double> radii(static_cast<size_t>(n)), phis(static_cast<size_t>(n));
    for (auto& r : radii) r = uniform(rng, 0, 1) * 256;
    const std::vector<double> radii_closed = radii;
    double total = 0;
    for (auto& a : phis) total += (a = uniform(rng, 0, 1));
    double cumulative = 0;
    for (auto& a : phis) a = (cumulative += a / total * 2 * M_PI);
    phis.push_back(phis[0]);
    radii.push_back(radii[0]);
    const double sign = randint(rng, 0, 2) == 0 ? 1 : -1;
    radii.front() += diff * sign;
    radii.back() -= diff * sign;
    const double start = uniform(rng, 0, 1) * 2 * M_PI;
    bool overlap = false;
    Polyline open;
    for (int k = 0; k <= n; ++k) {
      const double r = radii[static_cast<size_t>(k)], phi = phis[static_cast<size_t>(k)] + start;
      open.emplace_back(r * std::cos(phi), r * std::sin(phi));
      overlap = overlap || polylines_overlap(slice(open, 0, open.size() - std::min<size_t>(2, open.size())),
                                             slice(open, open.size() - std::min<size_t>(2, open.size()), open.size()),
                                             kMinDistance) ||
                near(slice(open, 0, open.size() - 1), open.back());
    }
    overlap = overlap || near(slice(open, 1, open.size()), open.front());
    Polyline closed;
    for (int k = 0; k < n; ++k) {
      const double r = radii_closed[static_cast<size_t>(k)], phi = phis[static_cast<size_t>(k)] + start;
      closed.emplace_back(r * std::cos(phi), r * std::sin(phi));
      overlap = overlap ||
                polylines_overlap(slice(closed, 0, closed.size() - std::min<size_t>(2, closed.size())),
                                  slice(closed, closed.size() - std::min<size_t>(2, closed.size()), closed.size()),
                                  kMinDistance) ||
                near(slice(open, 0, open.size() - 1), open.back());  // the reference tests the open end here too
    }
    closed.push_back(closed.front());
    overlap = overlap || polylines_overlap(slice(closed, 1, closed.size() - 2), slice(closed, closed.size() - 2, closed.size()),
                                           kMinDistance) ||
              near(slice(closed, 0, closed.size() - 1), open.back());
    overlap = overlap || near(slice(open, 1, open.size()), open.front());
    if (!overlap) return {open, closed};
  }
}

Polyline flanker(double r, double r2, const Point& pos, int segments, std::mt19937_64& rng) {
  const double angle = uniform(rng, 0, 1) * 2 * M_PI;
  Polyline line = {{std::sin(angle) * r + pos.first, std::cos(angle) * r + pos.second}, pos};
  if (segments == 2) {
    const double angle2 = angle + uniform(rng, 0, 1) * 0.75 * M_PI + 0.25 * M_PI;
    line.emplace_back(std::sin(angle2) * r2 + pos.first, std::cos(angle2) * r2 + pos.second);
  }
  return line;
}

/// radial_frequency_linewidth: the points of one radial-frequency contour on the 1024 canvas.
struct RadialContour {
  double radius = 150, shift_x = 0, shift_y = 0;
  int f1 = 1, f2 = 1;
  double a1 = 15, a2 = 15, p1 = 0, p2 = 0;
};

RadialContour random_radial(double radius, std::mt19937_64& rng) {
  RadialContour c;
  c.radius = radius;
  c.f1 = randint(rng, 1, 7);
  c.a1 = uniform(rng, 0, 1) * 30 + 15;
  c.p1 = uniform(rng, 0, 1) * 2 * M_PI;
  c.f2 = randint(rng, 1, 7);
  c.a2 = uniform(rng, 0, 1) * 30 + 15;
  c.p2 = uniform(rng, 0, 1) * 2 * M_PI;
  return c;
}

Polyline radial_points(const RadialContour& c, double gap, double gap_phase, int dash_gaps, double dash_phase) {
  Polyline points;
  const double start = gap_phase, end = 2 * M_PI + gap_phase - gap;
  for (int i = 0; i < 500; ++i) {
    const double phi = start + (end - start) * i / 499.0;
    if (dash_gaps != 0 && !(std::sin(dash_gaps * phi + dash_phase) > 0)) continue;
    const double r = c.a1 * std::sin(c.f1 * (phi + c.p1)) + c.a2 * std::sin(c.f2 * (phi + c.p2)) + c.radius;
    points.emplace_back(r * std::sin(phi) + c.shift_x + 512, r * std::cos(phi) + c.shift_y + 512);
  }
  return points;
}

ContourPair curvy_pair(ContourSet set, std::mt19937_64& rng) {
  ContourPair pair;
  pair.dots = true;
  RadialContour main = random_radial(uniform(rng, 0, 1) * 100 + 100, rng);
  const double gap = M_PI / 3, gap_phase = uniform(rng, 0, 1) * 2 * M_PI, dash_phase = uniform(rng, 0, 1) * 2 * M_PI;
  const int dashes = set == ContourSet::kDashed ? 20 : 0;
  std::vector<Polyline> flankers;
  if (set == ContourSet::kDashedFlanker) {
    main.shift_x = uniform(rng, 0, 1) < 0.5 ? -200 : 200;
    main.shift_y = uniform(rng, 0, 1) < 0.5 ? -200 : 200;
    RadialContour flanker = random_radial(uniform(rng, 0, 1) * 100 + 100, rng);
    flanker.shift_x = -main.shift_x;
    flanker.shift_y = -main.shift_y;
    flankers.push_back(radial_points(flanker, 0, 0, 20, uniform(rng, 0, 1) * 2 * M_PI));
  } else if (set == ContourSet::kCurvy50 || set == ContourSet::kCurvyFlankers) {
    main.radius = 100;
  } else if (set == ContourSet::kCurvy100) {
    main.radius = 200;
  } else if (set == ContourSet::kCurvy150) {
    main.radius = 300;
  }
  if (set == ContourSet::kCurvyFlankers) {  // the contour at one of five places, open flankers at others
    std::vector<std::pair<double, double>> places = {{0, 0}, {300, -300}, {-300, 300}, {300, 300}, {-300, -300}};
    const int count = randint(rng, 1, 4);
    std::shuffle(places.begin(), places.end(), rng);
    std::tie(main.shift_x, main.shift_y) = places.back();
    for (int k = 0; k < count; ++k) {
      RadialContour flanker = random_radial(100, rng);
      std::tie(flanker.shift_x, flanker.shift_y) = places[static_cast<size_t>(k)];
      flankers.push_back(radial_points(flanker, gap, uniform(rng, 0, 1) * 2 * M_PI, 0, dash_phase));
    }
  }
  pair.closed_lines = {radial_points(main, 0, 0, dashes, dash_phase)};
  pair.open_lines = {radial_points(main, gap, gap_phase, dashes, dash_phase)};
  for (const Polyline& f : flankers) {
    pair.closed_lines.push_back(f);
    pair.open_lines.push_back(f);
  }
  return pair;
}

int line_width(ContourSet set) {  // at 1024 px
  switch (set) {
    case ContourSet::kLineWidth1_25: return 5;
    case ContourSet::kLineWidth4_5: return 18;
    case ContourSet::kLineWidth7_5: return 30;
    default: return 10;
  }
}

void draw_polylines(cv::Mat& canvas, const std::vector<Polyline>& lines, double width, uchar colour) {
  // As PIL's ImageDraw: each segment a polygon of the line's width, a disc at every vertex (so
  // joints have no holes), sub-pixel precise.
  constexpr int kShift = 4;
  constexpr double kScale = 1 << kShift;
  auto at = [&](double x, double y) {
    return cv::Point(static_cast<int>(std::lround(x * kScale)), static_cast<int>(std::lround(y * kScale)));
  };
  for (const Polyline& line : lines)
    for (size_t i = 0; i + 1 < line.size(); ++i) {
      const auto [ax, ay] = line[i];
      const auto [bx, by] = line[i + 1];
      const double len = std::hypot(bx - ax, by - ay);
      if (len > 0) {
        const double nx = -(by - ay) / len * width / 2, ny = (bx - ax) / len * width / 2;
        const cv::Point quad[4] = {at(ax + nx, ay + ny), at(bx + nx, by + ny), at(bx - nx, by - ny), at(ax - nx, ay - ny)};
        cv::fillConvexPoly(canvas, quad, 4, cv::Scalar(colour), cv::LINE_8, kShift);
      }
      for (const Point& p : line)
        cv::circle(canvas, at(p.first, p.second), static_cast<int>(std::lround(width / 2 * kScale)), cv::Scalar(colour),
                   cv::FILLED, cv::LINE_8, kShift);
    }
}

/// The curvy sets' stamping: every pixel (x, y) with (x − px)² + (y − py)² < 25 of a point turns black.
void draw_dots(cv::Mat& canvas, const std::vector<Polyline>& lines) {
  for (const Polyline& line : lines)
    for (const auto& [px, py] : line)
      for (int x = static_cast<int>(px - 10); x < static_cast<int>(px + 10); ++x)
        for (int y = static_cast<int>(py - 10); y < static_cast<int>(py + 10); ++y)
          if (x >= 0 && y >= 0 && x < canvas.cols && y < canvas.rows && (x - px) * (x - px) + (y - py) * (y - py) < 25)
            canvas.at<uchar>(y, x) = 0;
}

cv::Mat render(const std::vector<Polyline>& lines, int width, int core_width = 0, bool dots = false) {
  cv::Mat canvas(static_cast<int>(kCanvas), static_cast<int>(kCanvas), CV_8UC1, cv::Scalar(255));
  if (dots) {
    draw_dots(canvas, lines);
  } else {
    draw_polylines(canvas, lines, width, 0);
    if (core_width > 0) draw_polylines(canvas, lines, core_width, 255);
  }
  cv::Mat small;
  cv::resize(canvas, small, cv::Size(256, 256), 0, 0, cv::INTER_AREA);
  return small;
}

/// PIL's convert("1"): Floyd–Steinberg error diffusion to black and white.
cv::Mat dither(const cv::Mat& grey) {
  cv::Mat error;
  grey.convertTo(error, CV_32F);
  cv::Mat out(grey.size(), CV_8UC1);
  for (int y = 0; y < error.rows; ++y)
    for (int x = 0; x < error.cols; ++x) {
      const float old = error.at<float>(y, x);
      const float value = old >= 128 ? 255.f : 0.f;
      out.at<uchar>(y, x) = static_cast<uchar>(value);
      const float e = old - value;
      if (x + 1 < error.cols) error.at<float>(y, x + 1) += e * 7 / 16;
      if (y + 1 < error.rows) {
        if (x > 0) error.at<float>(y + 1, x - 1) += e * 3 / 16;
        error.at<float>(y + 1, x) += e * 5 / 16;
        if (x + 1 < error.cols) error.at<float>(y + 1, x + 1) += e * 1 / 16;
      }
    }
  return out;
}

torch::Tensor to_tensor(const cv::Mat& grey) {
  return torch::from_blob(const_cast<uchar*>(grey.ptr<uchar>()), {grey.rows, grey.cols}, torch::kUInt8).clone();
}

}  // namespace

ContourSet parse_contour_set(const std::string& name) {
  for (const SetInfo& s : kSets)
    if (name == s.name) return s.set;
  std::string known;
  for (const std::string& n : contour_set_names()) known += (known.empty() ? "" : ", ") + n;
  throw InvalidArgument("unknown contour set '" + name + "' (known: " + known + ")");
}

std::string to_string(ContourSet set) {
  for (const SetInfo& s : kSets)
    if (s.set == set) return s.name;
  return "training";
}

const std::vector<std::string>& contour_set_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const SetInfo& s : kSets) out.emplace_back(s.name);
    return out;
  }();
  return names;
}

double point_to_polyline_distance(const Polyline& line, const Point& point) {
  double best = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i + 1 < line.size(); ++i) best = std::min(best, segment_distance(point, line[i], line[i + 1]));
  return best;
}

bool polylines_overlap(const Polyline& a, const Polyline& b, double distance) {
  for (const Point& p : b)
    if (point_to_polyline_distance(a, p) < distance) return true;
  for (const Point& p : a)
    if (point_to_polyline_distance(b, p) < distance) return true;
  for (size_t i = 0; i + 1 < b.size(); ++i)
    for (size_t j = 0; j + 1 < a.size(); ++j)
      if (segments_cross(b[i], b[i + 1], a[j], a[j + 1])) return true;
  return false;
}

bool is_curvy(ContourSet set) {
  switch (set) {
    case ContourSet::kCurvy:
    case ContourSet::kCurvy50:
    case ContourSet::kCurvy100:
    case ContourSet::kCurvy150:
    case ContourSet::kDashed:
    case ContourSet::kDashedFlanker:
    case ContourSet::kCurvyFlankers: return true;
    default: return false;
  }
}

ContourPair make_contour_pair(int polygon_points, ContourSet set, std::mt19937_64& rng) {
  if (is_curvy(set)) return curvy_pair(set, rng);
  if (polygon_points < 3) throw InvalidArgument("contours: a polygon needs at least 3 vertices");
  ContourPair pair;
  Polyline open, closed;
  do {
    std::tie(open, closed) = polygon_pair(polygon_points, rng);
    closed = shift_mean_to(closed, {uniform(rng, 0, kCanvas), uniform(rng, 0, kCanvas)});
    const double dx = open[2].first - closed[2].first, dy = open[2].second - closed[2].second;  // anchor: vertex 2
    for (auto& [x, y] : open) {
      x -= dx;
      y -= dy;
    }
  } while (!(inside(open, 10) && inside(closed, 10)));
  pair.open_lines = {open};
  pair.closed_lines = {closed};
  const int flankers = set == ContourSet::kNoFlankers ? 0 : randint(rng, 10, 26);
  for (int f = 0; f < flankers; ++f) {
    int segments = randint(rng, 1, 3);
    const double r = uniform(rng, 128, 256);
    double r2 = r;
    if (set == ContourSet::kAsymmetricFlankers) {
      r2 = uniform(rng, 32, 64);
      segments = 2;
    }
    Polyline line;
    for (;;) {
      line = flanker(r, r2, {uniform(rng, 0, kCanvas), uniform(rng, 0, kCanvas)}, segments, rng);
      if (!visible(line)) continue;
      bool overlap = polylines_overlap(closed, line, kMinDistance);
      for (const Polyline& other : pair.open_lines) overlap = overlap || polylines_overlap(other, line, kMinDistance);
      if (!overlap) break;
    }
    pair.open_lines.push_back(line);
    pair.closed_lines.push_back(line);
  }
  return pair;
}

torch::Tensor draw_lines(const std::vector<Polyline>& lines, ContourSet set, bool dots) {
  if (dots) return to_tensor(render(lines, 10, 0, true));
  if (set == ContourSet::kBlackWhiteBlack) return to_tensor(render(lines, 18, 6));
  const cv::Mat drawing = render(lines, line_width(set));
  return to_tensor(set == ContourSet::kBinarised ? dither(drawing) : drawing);
}

namespace {

torch::Tensor srgb_to_lab(const torch::Tensor& rgb) {  // [3, ...] in [0, 1]
  const torch::Tensor linear = torch::where(rgb.gt(0.04045), torch::pow((rgb + 0.055) / 1.055, 2.4), rgb / 12.92);
  const torch::Tensor m = torch::tensor({0.412453, 0.357580, 0.180423, 0.212671, 0.715160, 0.072169, 0.019334,
                                         0.119193, 0.950227}, torch::kFloat64).view({3, 3});
  torch::Tensor xyz = torch::tensordot(m, linear, {1}, {0});
  xyz = xyz / torch::tensor({0.95047, 1.0, 1.08883}, torch::kFloat64).view({3, 1, 1});
  const torch::Tensor f = torch::where(xyz.gt(0.008856), torch::pow(xyz, 1.0 / 3), 7.787 * xyz + 16.0 / 116);
  return torch::stack({116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])});
}

torch::Tensor lab_to_srgb(const torch::Tensor& lab) {
  const torch::Tensor fy = (lab[0] + 16) / 116, fx = lab[1] / 500 + fy, fz = (fy - lab[2] / 200).clamp_min(0);
  torch::Tensor f = torch::stack({fx, fy, fz});
  torch::Tensor xyz = torch::where(f.gt(0.2068966), torch::pow(f, 3), (f - 16.0 / 116) / 7.787);
  xyz = xyz * torch::tensor({0.95047, 1.0, 1.08883}, torch::kFloat64).view({3, 1, 1});
  const torch::Tensor m = torch::linalg_inv(torch::tensor({0.412453, 0.357580, 0.180423, 0.212671, 0.715160, 0.072169,
                                                           0.019334, 0.119193, 0.950227}, torch::kFloat64).view({3, 3}));
  torch::Tensor linear = torch::tensordot(m, xyz, {1}, {0});
  const torch::Tensor rgb = torch::where(linear.gt(0.0031308), 1.055 * torch::pow(linear.clamp_min(0), 1 / 2.4) - 0.055,
                                         12.92 * linear);
  return rgb.clamp(0, 1);
}

}  // namespace

torch::Tensor contrast_background(const torch::Tensor& rgb, double alpha) {
  if (rgb.dim() != 3 || rgb.size(0) != 3) throw InvalidArgument("contrast background: expected an RGB image [3, H, W]");
  if (!(alpha >= 0 && alpha <= 1)) throw InvalidArgument("contrast background: alpha must be in [0, 1]");
  const torch::Tensor lab = srgb_to_lab(rgb.to(torch::kFloat64) / 255);
  const torch::Tensor mean = lab.mean({1, 2}, /*keepdim=*/true);
  const torch::Tensor grey = torch::tensor({50.0, 0.0, 0.0}, torch::kFloat64).view({3, 1, 1});
  return lab_to_srgb((lab - mean) * alpha + (1 - alpha) * grey + alpha * mean) * 255;
}

torch::Tensor contour_stimulus(const std::vector<Polyline>& lines, ContourSet set, bool dots,
                               const torch::Tensor& background) {
  const torch::Tensor drawing = draw_lines(lines, set, dots).to(torch::kFloat64);
  torch::Tensor ground;  // [3, 256, 256]
  if (background.defined()) {
    ground = background.to(torch::kFloat64);
  } else {
    ground = torch::tensor({kGrey[0], kGrey[1], kGrey[2]}, torch::kFloat64).view({3, 1, 1}).expand({3, 256, 256});
  }
  const torch::Tensor luma = 0.2989 * ground[0] + 0.587 * ground[1] + 0.114 * ground[2];
  torch::Tensor keep;  // pixels of the drawing that stay; the rest become the grey background
  torch::Tensor shown = drawing;
  if (set == ContourSet::kWhiteLines) {
    shown = 255 - drawing;
    keep = shown.gt(luma);
  } else if (set == ContourSet::kBlackWhiteBlack) {
    keep = draw_lines(lines, ContourSet::kLineWidth4_5).to(torch::kFloat64).lt(luma);  // the 18-px black drawing
  } else {
    keep = drawing.lt(luma);
  }
  std::vector<torch::Tensor> channels;
  for (int64_t c = 0; c < 3; ++c) channels.push_back(torch::where(keep, shown, ground[c]));
  return torch::stack(channels).to(torch::kUInt8);  // astype(uint8): truncation
}

int64_t write_contour_set(const std::filesystem::path& root, const ContourSetOptions& options,
                          const std::function<void(int64_t, int64_t)>& progress) {
  if (options.repetitions < 1) throw InvalidArgument("contours: repetitions must be >= 1");
  remove_stale_temporaries(root);
  std::vector<int> counts;
  switch (options.set) {
    case ContourSet::kTriangles: counts.assign(7, 3); break;
    case ContourSet::kHexagons: counts.assign(7, 6); break;
    case ContourSet::kNonagons: counts.assign(7, 9); break;
    case ContourSet::kTwelveGons: counts.assign(7, 12); break;
    default: counts = {3, 4, 5, 6, 7, 8, 9};
  }
  std::vector<std::filesystem::path> backgrounds;
  if (!options.backgrounds.empty()) {
    if (!std::filesystem::is_directory(options.backgrounds))
      throw IoError("contours: background folder '" + options.backgrounds.string() + "' does not exist");
    for (const auto& e : std::filesystem::recursive_directory_iterator(options.backgrounds))
      if (e.is_regular_file() && is_image_file(e.path())) backgrounds.push_back(e.path());
    if (backgrounds.empty()) throw InvalidArgument("contours: no images in '" + options.backgrounds.string() + "'");
    std::sort(backgrounds.begin(), backgrounds.end());
  }
  if (options.contrast > 1) throw InvalidArgument("contours: the background contrast must be <= 1 (< 0: random)");
  std::filesystem::create_directories(root / "closed");
  std::filesystem::create_directories(root / "open");
  const int64_t pairs = options.repetitions * static_cast<int64_t>(counts.size());
  auto vertices = [&](int64_t k) { return counts[static_cast<size_t>(k % static_cast<int64_t>(counts.size()))]; };
  const int64_t written = write_items(
      pairs,
      [&](int64_t k) -> int64_t {
        const auto closed_path = root / "closed" / (std::to_string(2 * k + 1) + ".png");
        const auto open_path = root / "open" / (std::to_string(2 * k + 2) + ".png");
        if (std::filesystem::exists(closed_path) && std::filesystem::exists(open_path)) return 0;
        std::mt19937_64 rng = make_rng(options.seed, static_cast<uint64_t>(k));
        const ContourPair pair = make_contour_pair(vertices(k), options.set, rng);
        torch::Tensor background;  // one image for the pair, as the reference draws one per pair
        if (!backgrounds.empty()) {
          const auto& file = backgrounds[std::uniform_int_distribution<size_t>(0, backgrounds.size() - 1)(rng)];
          const double alpha = options.contrast < 0 ? uniform(rng, 0, 1) : options.contrast;
          const torch::Tensor image =
              image_to_tensor(resize_and_crop(read_image(file), ImageTransform{288, 288, false})).mul(255).round().to(torch::kUInt8);
          background = contrast_background(image, alpha).narrow(1, 16, 256).narrow(2, 16, 256);
        }
        for (const auto& [path, lines] : {std::pair{closed_path, pair.closed_lines}, std::pair{open_path, pair.open_lines}}) {
          const torch::Tensor rgb = contour_stimulus(lines, options.set, pair.dots, background).permute({1, 2, 0}).contiguous();
          write_png(path, cv::Mat(256, 256, CV_8UC3, rgb.data_ptr<uint8_t>()));
        }
        return 2;
      },
      progress);
  std::ostringstream labels;
  labels << "image,polygon_points,closed\n";
  for (int64_t k = 0; k < pairs; ++k) {
    const int n = is_curvy(options.set) ? 0 : vertices(k);
    labels << "closed/" << 2 * k + 1 << ".png," << n << ",1\n" << "open/" << 2 * k + 2 << ".png," << n << ",0\n";
  }
  write_text_file(root / "labels.csv", labels.str());
  return written;
}

}  // namespace robustlab::stimuli
