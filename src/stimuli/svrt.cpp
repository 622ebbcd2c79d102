// The 23 SVRT problems (Fleuret et al., PNAS 2011; see svrt.h). Each problem below states its rule
// first; sizes are the generator's, in pixels of the 128-px image (W/6 = 21 and so on, with the
// generator's integer divisions).
#include "robustlab/stimuli/svrt.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include <opencv2/core.hpp>

#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"
#include "robustlab/core/random.h"
#include "robustlab/data/image_folder.h"
#include "items.h"

namespace robustlab::stimuli {
namespace {

constexpr int W = kSvrtSide;
constexpr int kBlank = 255, kInk = 0, kMark = 128;  // kMark: a filled region while a sample is built
constexpr double kPi = 3.14159265358979323846;

double unit(std::mt19937_64& rng) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }
int coordinate(std::mt19937_64& rng, double range = W) { return static_cast<int>(unit(rng) * range); }

struct Shape {
  Polyline points;
  std::array<size_t, 4> arcs{};  // index of the first point of each arc

  void scale(double s) {
    for (auto& [x, y] : points) x *= s, y *= s;
  }
  void rotate(double angle) {
    const double c = std::cos(angle), s = std::sin(angle);
    for (auto& [x, y] : points) {
      const double nx = x * c - y * s;
      y = x * s + y * c;
      x = nx;
    }
  }
  // Reflection across the line through the centre along (ax, ay).
  void mirror(double ax, double ay) {
    const double norm = ax * ax + ay * ay;
    for (auto& [x, y] : points) {
      const double along = 2 * (x * ax + y * ay) / norm;
      x = along * ax - x;
      y = along * ay - y;
    }
  }
};

// Refines the arc a -> b (b excluded) into `shape`; false when a point falls outside the annulus.
bool add_arc(Shape& shape, const Point& a, const Point& b, double radius, double hole, std::mt19937_64& rng) {
  if (std::abs(a.first - b.first) > 0.25 || std::abs(a.second - b.second) > 0.25) {
    const double d = std::hypot(a.first - b.first, a.second - b.second) / 5;
    Point middle;
    do {
      double dx, dy;
      do {
        dx = (2 * unit(rng) - 1) * d;
        dy = (2 * unit(rng) - 1) * d;
      } while (dx * dx + dy * dy > d * d);
      middle = {(a.first + b.first) / 2 + dx, (a.second + b.second) / 2 + dy};
    } while (middle.first * middle.first + middle.second * middle.second > radius * radius);
    return add_arc(shape, a, middle, radius, hole, rng) && add_arc(shape, middle, b, radius, hole, rng);
  }
  const double r2 = a.first * a.first + a.second * a.second;
  if (r2 >= radius * radius || r2 < hole * hole) return false;
  shape.points.push_back(a);
  return true;
}

Shape random_shape(double radius, double hole, std::mt19937_64& rng) {
  static constexpr std::array<int, 4> sx{1, -1, -1, 1}, sy{1, 1, -1, -1};  // the four quadrants, in turn
  Shape shape;
  for (bool ok = false; !ok;) {
    std::array<Point, 4> anchors;
    for (int k = 0; k < 4; ++k) {
      double r2;
      do {
        anchors[k] = {sx[k] * unit(rng) * radius, sy[k] * unit(rng) * radius};
        r2 = anchors[k].first * anchors[k].first + anchors[k].second * anchors[k].second;
      } while (r2 > radius * radius || r2 < hole * hole);
    }
    shape.points.clear();
    ok = true;
    for (int k = 0; k < 4; ++k) {
      shape.arcs[k] = shape.points.size();
      ok = add_arc(shape, anchors[k], anchors[(k + 1) % 4], radius, hole, rng) && ok;
    }
  }
  shape.rotate(unit(rng) * 2 * kPi);
  return shape;
}

Shape scaled(Shape shape, double s) {
  shape.scale(s);
  return shape;
}

// A 128 × 128 canvas of grey levels (kBlank, kInk, kMark).
struct Canvas {
  std::vector<int> v = std::vector<int>(W * W, kBlank);

  int& at(int x, int y) { return v[x + W * y]; }
  void clear() { std::fill(v.begin(), v.end(), kBlank); }
  // 4-connected fill of the blank region around (x, y).
  void fill(int x, int y, int value) {
    std::vector<std::pair<int, int>> stack{{x, y}};
    while (!stack.empty()) {
      const auto [px, py] = stack.back();
      stack.pop_back();
      if (px < 0 || px >= W || py < 0 || py >= W || at(px, py) != kBlank) continue;
      at(px, py) = value;
      stack.insert(stack.end(), {{px + 1, py}, {px - 1, py}, {px, py + 1}, {px, py - 1}});
    }
  }
  void swap_values(int a, int b) {
    for (int& p : v) p = p == a ? b : p == b ? a : p;
  }
  void replace(int from, int to) { std::replace(v.begin(), v.end(), from, to); }
  // Adds `other`'s non-blank pixels where this canvas is blank.
  void add(const Canvas& other) {
    for (size_t k = 0; k < v.size(); ++k)
      if (v[k] == kBlank) v[k] = other.v[k];
  }
  int overlap(const Canvas& other) const {
    int n = 0;
    for (size_t k = 0; k < v.size(); ++k) n += v[k] < kBlank && other.v[k] < kBlank;
    return n;
  }
  // Each inner pixel takes the darkest of itself and its four neighbours.
  void grow(int times) {
    std::vector<int> old(v.size());
    for (int t = 0; t < times; ++t) {
      std::copy(v.begin(), v.end(), old.begin());
      for (int y = 1; y < W - 1; ++y)
        for (int x = 1; x < W - 1; ++x) {
          const int k = x + W * y;
          v[k] = std::min({old[k], old[k - W], old[k - 1], old[k + 1], old[k + W]});
        }
    }
  }
};

// The pixels that draw `shape` at (xc, yc): along each arc, the points chosen by halving the index
// range until the ends of a range fall on neighbouring pixels (the generator's sampling).
using Pixels = std::vector<std::pair<int, int>>;

Pixels shape_pixels(const Shape& shape, double xc, double yc) {
  const size_t n = shape.points.size();
  auto pixel = [&](size_t i) {
    const Point& p = shape.points[i % n];
    return std::pair{static_cast<int>(p.first + xc), static_cast<int>(p.second + yc)};
  };
  Pixels out;
  std::vector<std::pair<size_t, size_t>> stack;
  for (int k = 3; k >= 0; --k) stack.emplace_back(shape.arcs[k], k == 3 ? n : shape.arcs[k + 1]);
  while (!stack.empty()) {
    const auto [a, b] = stack.back();
    stack.pop_back();
    const auto pa = pixel(a), pb = pixel(b);
    if (a + 1 < b && (std::abs(pa.first - pb.first) > 1 || std::abs(pa.second - pb.second) > 1)) {
      const size_t m = (a + b) / 2;
      stack.emplace_back(m, b);
      stack.emplace_back(a, m);
    } else {
      out.push_back(pa);
    }
  }
  return out;
}

// Whether a shape's pixels leave the image (with a one-pixel margin) or come within one pixel of
// anything on `canvas`.
bool overwrites(Canvas& canvas, const Pixels& pixels) {
  for (const auto& [px, py] : pixels) {
    if (px < 1 || px >= W - 1 || py < 1 || py >= W - 1) return true;
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx)
        if (canvas.at(px + dx, py + dy) != kBlank) return true;
  }
  return false;
}
bool overwrites(Canvas& canvas, const Shape& shape, double x, double y) {
  return overwrites(canvas, shape_pixels(shape, x, y));
}

void draw(Canvas& canvas, const Pixels& pixels) {
  for (const auto& [px, py] : pixels) {
    if (px < 1 || px >= W - 1 || py < 1 || py >= W - 1) throw std::logic_error("svrt: a shape drawn outside the image");
    canvas.at(px, py) = kInk;
  }
}
void draw(Canvas& canvas, const Shape& shape, double x, double y) { draw(canvas, shape_pixels(shape, x, y)); }

// The image being built and the shapes placed on it.
struct Scene {
  Canvas canvas;
  std::vector<SvrtShape> shapes;

  void clear() {
    canvas.clear();
    shapes.clear();
  }
  void put(const Shape& shape, double x, double y) {
    draw(canvas, shape, x, y);
    shapes.push_back({x, y, shape.points});
  }
  // Draws `shape` at (x, y) unless it overwrites; false if it does.
  bool place(const Shape& shape, double x, double y) {
    const Pixels pixels = shape_pixels(shape, x, y);
    if (overwrites(canvas, pixels)) return false;
    draw(canvas, pixels);
    shapes.push_back({x, y, shape.points});
    return true;
  }
  // A fresh scene with shapes[n] at (xs[n], ys[n]), in order; false as soon as one overwrites.
  template <class Coordinates>
  bool place_all(const std::vector<const Shape*>& each, const Coordinates& xs, const Coordinates& ys) {
    clear();
    for (size_t n = 0; n < each.size(); ++n)
      if (!place(*each[n], xs[n], ys[n])) return false;
    return true;
  }
};

// Two or more shapes anywhere; true when no two centres come within `size` in both x and y.
bool cluttered(int size, const std::vector<int>& xs, const std::vector<int>& ys) {
  for (size_t a = 0; a < xs.size(); ++a)
    for (size_t b = 0; b < a; ++b)
      if (std::abs(xs[a] - xs[b]) < size && std::abs(ys[a] - ys[b]) < size) return true;
  return false;
}

// Whether (px, py) projects inside the segment (x1, y1)-(x2, y2) and lies within `width` of it.
bool in_band(double px, double py, double x1, double y1, double x2, double y2, double width) {
  const double s = (px - x1) * (x2 - x1) + (py - y1) * (y2 - y1);
  const double l2 = (x2 - x1) * (x2 - x1) + (y2 - y1) * (y2 - y1);
  if (s < 0 || s > l2) return false;
  return std::abs((px - x1) * (y2 - y1) - (py - y1) * (x2 - x1)) / std::sqrt(l2) <= width;
}

constexpr int kPart = W / 6;  // 21: the common shape size (diameter)

// The common shape: 21 px across, with a hole of radius 1 (W/6/2 and W/64/2).
Shape small_shape(std::mt19937_64& rng) { return random_shape(kPart / 2, W / 64 / 2, rng); }
// The big shape of problems 2, 4, 8 and 23: 96 px across, a hole of radius 21 (3W/4/2, W/3/2).
Shape big_shape(std::mt19937_64& rng) { return random_shape(48, 21, rng); }

// Centres of 21-px shapes kept 10 px from the border.
int inner_coordinate(std::mt19937_64& rng) { return coordinate(rng, W - kPart + 1) + kPart / 2; }

// Three centres, the third on the segment between the first two.
void aligned_positions(std::vector<int>& xs, std::vector<int>& ys, std::mt19937_64& rng) {
  for (int n = 0; n < 2; ++n) xs[n] = inner_coordinate(rng), ys[n] = inner_coordinate(rng);
  const double a = unit(rng);
  xs[2] = static_cast<int>(a * xs[0] + (1 - a) * xs[1]);
  ys[2] = static_cast<int>(a * ys[0] + (1 - a) * ys[1]);
}

// Four centres on the corners of a square (a circle of random radius, at right angles), offset
// by half a shape.
void square_positions(std::vector<int>& xs, std::vector<int>& ys, std::mt19937_64& rng) {
  const double alpha = unit(rng) * 2 * kPi, radius = unit(rng) * W / 2;
  const double xc = unit(rng) * W, yc = unit(rng) * W;
  for (int n = 0; n < 4; ++n) {
    xs[n] = static_cast<int>(xc + kPart / 2 + radius * std::sin(alpha + n * 2 * kPi / 4));
    ys[n] = static_cast<int>(yc + kPart / 2 + radius * std::cos(alpha + n * 2 * kPi / 4));
  }
}

// Problems 1, 19, 21: two shapes, the same (class 1) or not; 19 scales each by U(1, 4) (relative to
// the larger), 21 also rotates each.
void same_pair(int label, bool vary_scale, bool vary_angle, Scene& scene, std::mt19937_64& rng) {
  for (;;) {
    std::array<int, 2> xs{}, ys{};
    std::array<double, 2> scales{}, angles{};
    for (int n = 0; n < 2; ++n) {
      xs[n] = coordinate(rng);
      ys[n] = coordinate(rng);
      scales[n] = vary_scale ? 1 + 3 * unit(rng) : 2.5;
      angles[n] = vary_angle ? unit(rng) * 2 * kPi : 0;
    }
    const double largest = std::max(scales[0], scales[1]);
    std::array<Shape, 2> shapes;
    shapes[0] = random_shape(largest * kPart / 2, largest * (W / 64) / 2, rng);
    shapes[1] = label ? shapes[0] : random_shape(largest * kPart / 2, largest * (W / 64) / 2, rng);
    for (int n = 0; n < 2; ++n) {
      shapes[n].scale(scales[n] / largest);
      shapes[n].rotate(angles[n]);
    }
    if (scene.place_all({&shapes[0], &shapes[1]}, xs, ys)) return;
  }
}

// Problem 2: a small shape inside a big one, near its border (class 1) or at least 16 px from it.
void problem2(int label, Scene& scene, std::mt19937_64& rng) {
  for (;;) {
    scene.clear();
    Canvas mask;
    const Shape big = big_shape(rng);
    int xb, yb;
    do {
      xb = coordinate(rng);
      yb = coordinate(rng);
    } while (overwrites(scene.canvas, big, xb, yb));
    draw(mask, big, xb, yb);
    mask.grow(label ? 1 : W / 8);
    scene.put(big, xb, yb);
    scene.canvas.fill(xb, yb, kMark);
    scene.canvas.swap_values(kMark, kBlank);  // the outside is marked: the small shape goes inside
    Shape small;
    int xs, ys, attempts = 0;
    bool near;
    do {
      do {
        small = small_shape(rng);
        xs = xb + static_cast<int>((unit(rng) - 0.5) * 96);
        ys = yb + static_cast<int>((unit(rng) - 0.5) * 96);
      } while (overwrites(scene.canvas, small, xs, ys));
      ++attempts;
      near = overwrites(mask, small, xs, ys);
    } while (attempts < 10 && near != static_cast<bool>(label));
    if (attempts >= 10) continue;
    scene.canvas.replace(kMark, kBlank);
    scene.put(small, xs, ys);
    return;
  }
}

// Problem 3: four shapes in two touching pairs (class 1), or three touching and one apart.
void problem3(int label, Scene& scene, std::mt19937_64& rng) {
  constexpr int kMaxAttempts = 100, kApart = W / 8;
  for (;;) {
    Canvas avoid;
    scene.clear();
    int attempts = 0;
    for (int s = 0; attempts < kMaxAttempts && s < 4; ++s) {
      Shape shape;
      int xs = 0, ys = 0;
      bool margin_ok = false, connection_ok = false;
      const bool must_touch = label ? (s == 1 || s == 3) : s >= 2;
      Canvas tmp;
      do {
        tmp.clear();
        do {
          do {
            xs = coordinate(rng);
            ys = coordinate(rng);
            shape = random_shape(kPart, W / 64, rng);
          } while (overwrites(tmp, shape, xs, ys));  // inside the image
          margin_ok = (label && s == 1) || !overwrites(avoid, shape, xs, ys);
          connection_ok = !must_touch || overwrites(scene.canvas, shape, xs, ys);
          ++attempts;
        } while (attempts < kMaxAttempts && !margin_ok);
        draw(tmp, shape, xs, ys);
        tmp.fill(xs, ys, kMark);
        if (margin_ok && connection_ok && must_touch) {
          const int common = scene.canvas.overlap(tmp);
          connection_ok = common > 0 && common < 4;
        }
      } while (attempts < kMaxAttempts && (!margin_ok || !connection_ok));
      if (attempts < kMaxAttempts) {
        scene.put(shape, xs, ys);
        scene.canvas.fill(xs, ys, kMark);
        if (label ? s < 2 : s < 1) {
          tmp.grow(kApart);
          avoid.add(tmp);
        }
      }
    }
    if (attempts < kMaxAttempts) {
      scene.canvas.replace(kMark, kBlank);
      return;
    }
  }
}

// Problems 4 and 8: a small shape inside a big one (class 1) or outside. In 8 the small shape is the
// big one at half size, and class 0 is either that copy outside or another shape inside.
void inside_outside(int label, bool half_copy, Scene& scene, std::mt19937_64& rng) {
  for (;;) {
    scene.clear();
    const Shape big = big_shape(rng);
    Shape small = scaled(big, 0.5);
    int xb, yb;
    do {
      xb = coordinate(rng);
      yb = coordinate(rng);
    } while (overwrites(scene.canvas, big, xb, yb));
    scene.put(big, xb, yb);
    scene.canvas.fill(xb, yb, kMark);  // the inside is marked: the small shape goes outside
    if (label) {
      scene.canvas.swap_values(kMark, kBlank);
    } else if (half_copy && unit(rng) < 0.5) {
      scene.canvas.swap_values(kMark, kBlank);
      small = scaled(big_shape(rng), 0.5);
    }
    for (int attempt = 0; attempt < 10; ++attempt) {
      if (!half_copy) small = small_shape(rng);
      const int xs = coordinate(rng), ys = coordinate(rng);
      if (!overwrites(scene.canvas, small, xs, ys)) {
        scene.canvas.replace(kMark, kBlank);
        scene.put(small, xs, ys);
        return;
      }
    }
  }
}

// Problems 5 and 7: shapes anywhere; 5: two pairs of identical shapes (class 1) or four different;
// 7: two triples (class 1) or three pairs.
void groups(int label, int count, Scene& scene, std::mt19937_64& rng) {
  scene.clear();
  Shape shape;
  for (int s = 0; s < count; ++s) {
    const bool fresh = count == 4 ? (label == 0 || s % 2 == 0) : (label ? s % 3 == 0 : s % 2 == 0);
    if (fresh) shape = random_shape(kPart, W / 64, rng);
    int xs, ys;
    do {
      xs = coordinate(rng);
      ys = coordinate(rng);
    } while (overwrites(scene.canvas, shape, xs, ys));
    scene.put(shape, xs, ys);
  }
}

// Problem 6: two copies each of two shapes; the copies of each are the same distance apart (class 1)
// or the distances differ by at least 21 px.
void problem6(int label, Scene& scene, std::mt19937_64& rng) {
  for (;;) {
    const Shape first = small_shape(rng), second = small_shape(rng);
    std::vector<int> xs(4), ys(4);
    bool ambiguous;
    do {
      if (label) {
        const double range = W - kPart;
        const double xc1 = unit(rng) * range, yc1 = unit(rng) * range, a1 = unit(rng) * 2 * kPi;
        const double r = unit(rng) * W;
        const double xc2 = unit(rng) * range, yc2 = unit(rng) * range, a2 = unit(rng) * 2 * kPi;
        xs = {static_cast<int>(xc1 + r * std::cos(a1)), static_cast<int>(xc1 - r * std::cos(a1)),
              static_cast<int>(xc2 + r * std::cos(a2)), static_cast<int>(xc2 - r * std::cos(a2))};
        ys = {static_cast<int>(yc1 + r * std::sin(a1)), static_cast<int>(yc1 - r * std::sin(a1)),
              static_cast<int>(yc2 + r * std::sin(a2)), static_cast<int>(yc2 - r * std::sin(a2))};
        ambiguous = false;
      } else {
        for (int n = 0; n < 4; ++n) xs[n] = coordinate(rng, W - kPart), ys[n] = coordinate(rng, W - kPart);
        const double d1 = std::hypot(xs[0] - xs[1], ys[0] - ys[1]), d2 = std::hypot(xs[2] - xs[3], ys[2] - ys[3]);
        ambiguous = std::abs(d1 - d2) < kPart;
      }
    } while (ambiguous || cluttered(kPart, xs, ys));
    if (scene.place_all({&first, &first, &second, &second}, xs, ys)) return;
  }
}

// Problem 9: three aligned copies of a shape, the outer two or the first and the middle one at half
// size; class 1 when the big one is at an end (not between the small ones).
void problem9(int label, Scene& scene, std::mt19937_64& rng) {
  for (;;) {
    const int x1 = coordinate(rng), y1 = coordinate(rng), x2 = coordinate(rng), y2 = coordinate(rng);
    const double a = 0.25 + 0.5 * unit(rng);
    const Shape big = random_shape(kPart, W / 64, rng), small = scaled(big, 0.5);
    const int xm = static_cast<int>(a * x1 + (1 - a) * x2), ym = static_cast<int>(a * y1 + (1 - a) * y2);
    const std::array<int, 3> xs = label ? std::array{x1, xm, x2} : std::array{x1, x2, xm};
    const std::array<int, 3> ys = label ? std::array{y1, ym, y2} : std::array{y1, y2, ym};
    scene.clear();
    bool ok = true;
    for (int n = 0; n < 3 && ok; ++n) {
      ok = scene.place(n < 2 ? small : big, xs[n], ys[n]);
      scene.canvas.fill(xs[n], ys[n], kMark);
    }
    scene.canvas.replace(kMark, kBlank);
    if (ok) return;
  }
}

// Problems 10 and 15: four shapes; 10: one shape four times, on the corners of a square (class 1)
// or anywhere; 15: on a square, four identical shapes (class 1) or four different ones.
void on_square(int label, bool vary_shapes, Scene& scene, std::mt19937_64& rng) {
  for (;;) {
    std::vector<int> xs(4), ys(4);
    do {
      if (label || vary_shapes)
        square_positions(xs, ys, rng);
      else
        for (int n = 0; n < 4; ++n) xs[n] = coordinate(rng), ys[n] = coordinate(rng);
    } while (cluttered(kPart, xs, ys));
    scene.clear();
    Shape shape;
    bool ok = true;
    for (int n = 0; n < 4 && ok; ++n) {
      if (n == 0 || (vary_shapes && label == 0)) shape = small_shape(rng);
      ok = scene.place(shape, xs[n], ys[n]);
    }
    if (ok) return;
  }
}

// Problem 11: a big and a smaller shape touching (class 1: their filled areas share 1–4 pixels) or
// at least 10 px apart.
void problem11(int label, Scene& scene, std::mt19937_64& rng) {
  constexpr int kMaxAttempts = 100;
  for (;;) {
    int attempts = 0;
    Canvas mask;
    scene.clear();
    for (int s = 0; attempts < kMaxAttempts && s < 2; ++s) {
      Shape shape;
      int xs = 0, ys = 0, common = 0;
      Canvas tmp;
      do {
        tmp.clear();
        do {
          shape = s == 0 ? random_shape(48, 16, rng) : random_shape(21, 7, rng);
          xs = coordinate(rng);
          ys = coordinate(rng);
          ++attempts;
        } while (attempts < kMaxAttempts && overwrites(tmp, shape, xs, ys));
        if (attempts < kMaxAttempts) {
          draw(tmp, shape, xs, ys);
          tmp.fill(xs, ys, kMark);
          common = tmp.overlap(mask);
        }
        ++attempts;
      } while (attempts < kMaxAttempts && s > 0 && (label ? (common < 1 || common > 4) : common > 0));
      if (attempts < kMaxAttempts) {
        scene.put(shape, xs, ys);
        if (!label) tmp.grow(W / 12);
        mask.add(tmp);
      }
    }
    if (attempts < kMaxAttempts) return;
  }
}

// Problem 12: two small shapes and a big one on a circle; class 1 when the small ones are closer to
// each other than either is to the big one.
void problem12(int label, Scene& scene, std::mt19937_64& rng) {
  for (;;) {
    const double xc = (unit(rng) * 0.5 + 0.25) * W, yc = (unit(rng) * 0.5 + 0.25) * W;
    const double radius = (unit(rng) * 0.5 + 0.1) * W;
    const double alpha = unit(rng) * 2 * kPi, beta = (unit(rng) * 0.4 + 0.1) * kPi;
    const std::array<double, 3> angles = label ? std::array{alpha + kPi - beta / 2, alpha + kPi + beta / 2, alpha}
                                               : std::array{alpha + kPi - beta / 2, alpha, alpha + kPi + beta / 2};
    scene.clear();
    bool ok = true;
    for (int n = 0; n < 3 && ok; ++n) {
      const Shape shape = n < 2 ? random_shape(W / 12, W / 24, rng) : random_shape(kPart, W / 12, rng);
      ok = scene.place(shape, static_cast<int>(xc + radius * std::cos(angles[n])),
                       static_cast<int>(yc + radius * std::sin(angles[n])));
    }
    if (ok) return;
  }
}

// Problem 13: a big shape with a small one near it, and the big shape again elsewhere with the small
// one near it; class 1 when the small one sits in the same place relative to the big one, class 0
// when it is at least 32 px from that place.
void problem13(int label, Scene& scene, std::mt19937_64& rng) {
  constexpr int kMaxAttempts = 100, kNear = W / 4;
  for (;;) {
    int attempts = 0;
    Shape big, small;
    int bx1 = 0, by1 = 0, sx1 = 0, sy1 = 0, bx2 = 0, by2 = 0, tx = 0, ty = 0;
    Canvas tmp;
    do {
      scene.clear();
      big = random_shape(W / 2 / 2, W / 4 / 2, rng);
      tmp.clear();
      do {
        bx1 = coordinate(rng);
        by1 = coordinate(rng);
        ++attempts;
      } while (attempts < kMaxAttempts && overwrites(scene.canvas, big, bx1, by1));
      if (attempts < kMaxAttempts) {
        scene.put(big, bx1, by1);
        draw(tmp, big, bx1, by1);
        tmp.grow(kNear);
      }
      do {
        small = random_shape(kPart / 2, W / 12 / 2, rng);
        sx1 = coordinate(rng);
        sy1 = coordinate(rng);
        ++attempts;
      } while (attempts < kMaxAttempts &&
               (!overwrites(tmp, small, sx1, sy1) || overwrites(scene.canvas, small, sx1, sy1)));
      if (attempts < kMaxAttempts) scene.put(small, sx1, sy1);
      tmp.clear();
      do {
        bx2 = coordinate(rng);
        by2 = coordinate(rng);
        ++attempts;
      } while (attempts < kMaxAttempts && overwrites(scene.canvas, big, bx2, by2));
      if (attempts < kMaxAttempts) {
        scene.put(big, bx2, by2);
        draw(tmp, big, bx2, by2);
        tmp.grow(kNear);
        tx = sx1 + (bx2 - bx1);
        ty = sy1 + (by2 - by1);
      }
    } while (attempts < kMaxAttempts && overwrites(scene.canvas, small, tx, ty));
    int sx2 = tx, sy2 = ty;
    if (!label) {
      do {
        sx2 = coordinate(rng);
        sy2 = coordinate(rng);
        ++attempts;
      } while (attempts < kMaxAttempts &&
               ((sx2 - tx) * (sx2 - tx) + (sy2 - ty) * (sy2 - ty) < kNear * kNear || !overwrites(tmp, small, sx2, sy2) ||
                overwrites(scene.canvas, small, sx2, sy2)));
    }
    if (attempts < kMaxAttempts) {
      scene.put(small, sx2, sy2);
      return;
    }
  }
}

// Problems 14 and 22: three shapes; 14: one shape three times, aligned (class 1) or with no centre
// within 6 px of the segment between the other two; 22: aligned, three identical shapes (class 1)
// or three different ones.
void aligned(int label, bool vary_shapes, Scene& scene, std::mt19937_64& rng) {
  for (;;) {
    std::vector<int> xs(3), ys(3);
    if (label || vary_shapes) {
      aligned_positions(xs, ys, rng);
    } else {
      auto alignment = [&] {
        for (int a = 0; a < 3; ++a)
          for (int b = 0; b < 3; ++b)
            for (int c = 0; c < b; ++c)
              if (a != b && a != c && in_band(xs[a], ys[a], xs[b], ys[b], xs[c], ys[c], W / 20)) return true;
        return false;
      };
      do {
        for (int n = 0; n < 3; ++n) xs[n] = inner_coordinate(rng), ys[n] = inner_coordinate(rng);
      } while (alignment());
    }
    scene.clear();
    Shape shape;
    bool ok = true;
    for (int n = 0; n < 3 && ok; ++n) {
      if (n == 0 || (vary_shapes && label == 0)) shape = small_shape(rng);
      ok = scene.place(shape, xs[n], ys[n]);
    }
    if (ok) return;
  }
}

// Problems 16 and 18: six copies of a shape, three anywhere and three at the positions mirrored
// about the vertical midline (16, 18 class 1) or at a random x on the same rows (18 class 0); in
// 16 the mirrored three are the mirror image of the shape (class 1) or the shape itself.
void mirrored_rows(int label, bool mirror_shape, Scene& scene, std::mt19937_64& rng) {
  const Shape shape = small_shape(rng);
  Shape other = shape;
  if (mirror_shape && label) other.mirror(0, 1);
  for (;;) {
    scene.clear();
    std::array<int, 6> xs{}, ys{};
    bool ok = true;
    for (int n = 0; n < 3 && ok; ++n) {
      xs[n] = inner_coordinate(rng);
      ys[n] = inner_coordinate(rng);
      ok = scene.place(shape, xs[n], ys[n]);
    }
    for (int n = 3; n < 6 && ok; ++n) {
      xs[n] = (mirror_shape || label) ? W - xs[n - 3] : inner_coordinate(rng);
      ys[n] = ys[n - 3];
      ok = scene.place(other, xs[n], ys[n]);
    }
    if (ok) return;
  }
}

// Problem 17: three copies of a shape and a different one; class 1 when the different one is at the
// centre of the circle through the other three, class 0 when it is at least 21 px from it.
void problem17(int label, Scene& scene, std::mt19937_64& rng) {
  for (;;) {
    const Shape first = small_shape(rng), second = small_shape(rng);
    std::vector<int> xs(4), ys(4);
    bool ambiguous;
    do {
      for (int n = 0; n < 4; ++n) xs[n] = coordinate(rng, W - kPart) + kPart / 2, ys[n] = coordinate(rng, W - kPart) + kPart / 2;
      const double a = xs[1] - xs[0], b = ys[1] - ys[0], c = xs[2] - xs[1], d = ys[2] - ys[1];
      const double det = a * d - b * c;
      if (det == 0) {  // collinear: no circle
        ambiguous = true;
        continue;
      }
      const double u = xs[1] * xs[1] - xs[0] * xs[0] + ys[1] * ys[1] - ys[0] * ys[0];
      const double v = xs[2] * xs[2] - xs[1] * xs[1] + ys[2] * ys[2] - ys[1] * ys[1];
      const double xc = (d * u - b * v) / (2 * det), yc = (-c * u + a * v) / (2 * det);
      if (label) {
        ambiguous = std::abs(xc) > 4 * W || std::abs(yc) > 4 * W;  // far off the image: cannot be placed
        xs[3] = static_cast<int>(xc);
        ys[3] = static_cast<int>(yc);
      } else {
        ambiguous = std::hypot(xs[3] - xc, ys[3] - yc) < kPart;
      }
    } while (ambiguous || cluttered(kPart, xs, ys));
    if (scene.place_all({&first, &first, &first, &second}, xs, ys)) return;
  }
}

// Problem 20: two shapes, one the mirror image of the other across the perpendicular bisector of
// their centres (class 1), or two different shapes.
void problem20(int label, Scene& scene, std::mt19937_64& rng) {
  for (;;) {
    scene.clear();
    const int x0 = coordinate(rng), y0 = coordinate(rng);
    const Shape first = random_shape(W / 4 / 2, W / 32 / 2, rng);
    if (!scene.place(first, x0, y0)) continue;
    const int x1 = coordinate(rng), y1 = coordinate(rng);
    Shape second;
    if (label) {
      if (x0 == x1 && y0 == y1) continue;
      second = first;
      second.mirror(y1 - y0, x0 - x1);
    } else {
      second = random_shape(W / 4 / 2, W / 32 / 2, rng);
    }
    if (scene.place(second, x1, y1)) return;
  }
}

// Problem 23: a big shape and two small ones; class 1 when one small shape is inside the big one and
// the other outside, class 0 when both are inside or both outside.
void problem23(int label, Scene& scene, std::mt19937_64& rng) {
  // Places a small shape where the canvas is blank (up to 10 attempts).
  auto place_small = [&](Shape& small, int& xs, int& ys) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      small = small_shape(rng);
      xs = coordinate(rng);
      ys = coordinate(rng);
      if (!overwrites(scene.canvas, small, xs, ys)) return true;
    }
    return false;
  };
  for (;;) {
    scene.clear();
    const Shape big = big_shape(rng);
    int xb, yb;
    do {
      xb = coordinate(rng);
      yb = coordinate(rng);
    } while (overwrites(scene.canvas, big, xb, yb));
    scene.put(big, xb, yb);
    Shape small;
    int xs, ys;
    scene.canvas.fill(xb, yb, kMark);
    if (label) {
      scene.canvas.swap_values(kMark, kBlank);  // outside marked: the first goes inside
      if (!place_small(small, xs, ys)) continue;
      scene.canvas.replace(kMark, kBlank);
      scene.canvas.fill(xb, yb, kMark);  // inside marked: the second goes outside
      scene.put(small, xs, ys);
      if (!place_small(small, xs, ys)) continue;
      scene.canvas.replace(kMark, kBlank);
      scene.put(small, xs, ys);
    } else {
      if (unit(rng) < 0.5) scene.canvas.swap_values(kMark, kBlank);  // both inside, or both outside
      if (!place_small(small, xs, ys)) continue;
      scene.put(small, xs, ys);
      scene.canvas.fill(xs, ys, kMark);  // not inside the first
      if (!place_small(small, xs, ys)) continue;
      scene.put(small, xs, ys);
      scene.canvas.replace(kMark, kBlank);
    }
    return;
  }
}

}  // namespace

bool svrt_is_same_different(int problem) {
  static constexpr std::array<int, 9> kSameDifferent{1, 5, 7, 15, 16, 19, 20, 21, 22};
  return std::find(kSameDifferent.begin(), kSameDifferent.end(), problem) != kSameDifferent.end();
}

SvrtSample make_svrt_sample(int problem, int label, std::mt19937_64& rng) {
  if (problem < 1 || problem > kSvrtProblems)
    throw InvalidArgument("svrt: problem " + std::to_string(problem) + " does not exist (1..23)");
  if (label != 0 && label != 1) throw InvalidArgument("svrt: the label must be 0 or 1");
  Scene scene;
  switch (problem) {
    case 1: same_pair(label, false, false, scene, rng); break;
    case 2: problem2(label, scene, rng); break;
    case 3: problem3(label, scene, rng); break;
    case 4: inside_outside(label, false, scene, rng); break;
    case 5: groups(label, 4, scene, rng); break;
    case 6: problem6(label, scene, rng); break;
    case 7: groups(label, 6, scene, rng); break;
    case 8: inside_outside(label, true, scene, rng); break;
    case 9: problem9(label, scene, rng); break;
    case 10: on_square(label, false, scene, rng); break;
    case 11: problem11(label, scene, rng); break;
    case 12: problem12(label, scene, rng); break;
    case 13: problem13(label, scene, rng); break;
    case 14: aligned(label, false, scene, rng); break;
    case 15: on_square(label, true, scene, rng); break;
    case 16: mirrored_rows(label, true, scene, rng); break;
    case 17: problem17(label, scene, rng); break;
    case 18: mirrored_rows(label, false, scene, rng); break;
    case 19: same_pair(label, true, false, scene, rng); break;
    case 20: problem20(label, scene, rng); break;
    case 21: same_pair(label, true, true, scene, rng); break;
    case 22: aligned(label, true, scene, rng); break;
    default: problem23(label, scene, rng); break;
  }
  SvrtSample sample{problem, label, {}, std::move(scene.shapes)};
  sample.pixels.assign(scene.canvas.v.begin(), scene.canvas.v.end());
  return sample;
}

int64_t write_svrt_set(const std::filesystem::path& root, const SvrtSetOptions& options,
                       const std::function<void(int64_t, int64_t)>& progress) {
  if (options.problem < 1 || options.problem > kSvrtProblems)
    throw InvalidArgument("svrt: problem " + std::to_string(options.problem) + " does not exist (1..23)");
  if (options.samples < 2 || options.samples % 2 != 0)
    throw InvalidArgument("svrt: the number of samples must be even and at least 2 (half of each class)");
  const int64_t per_class = options.samples / 2;
  remove_stale_temporaries(root);
  auto name = [&](int64_t i) {
    std::string index = std::to_string(i % per_class);
    index.insert(0, index.size() < 6 ? 6 - index.size() : 0, '0');
    return std::to_string(i / per_class) + "/sample_" + std::to_string(i / per_class) + "_" + index + ".png";
  };
  for (int label = 0; label < 2; ++label) std::filesystem::create_directories(root / std::to_string(label));
  const int64_t written = write_items(
      options.samples,
      [&](int64_t i) -> int64_t {
        const auto path = root / name(i);
        if (std::filesystem::exists(path)) return 0;
        const auto label = static_cast<uint64_t>(i / per_class), k = static_cast<uint64_t>(i % per_class);
        std::mt19937_64 rng = make_rng(options.seed, (static_cast<uint64_t>(options.problem) << 48) | (label << 40) | k);
        SvrtSample sample = make_svrt_sample(options.problem, static_cast<int>(label), rng);
        write_png(path, cv::Mat(W, W, CV_8UC1, sample.pixels.data()));
        return 1;
      },
      progress);
  std::ostringstream labels;
  labels << "image,problem,label\n";
  for (int64_t i = 0; i < options.samples; ++i) labels << name(i) << "," << options.problem << "," << i / per_class << "\n";
  write_text_file(root / "labels.csv", labels.str());
  return written;
}

}  // namespace robustlab::stimuli
