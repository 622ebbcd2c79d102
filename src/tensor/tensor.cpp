// Shape and axis checks shared by every backend of the tensor layer.
#include "robustlab/tensor/tensor.h"

namespace robustlab::tensor {

std::string to_string(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(std::string(op) + ": shapes " + to_string(a) + " and " + to_string(b) + " do not broadcast");
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op) {
  const int64_t a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim) {
    throw ShapeError(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for " +
                     std::to_string(ndim) + " dimensions");
  }
  return a;
}

Axes normalize_axes(const Axes& axes, int64_t ndim, const char* op) {
  Axes out;
  for (int64_t axis : axes) {
    const int64_t a = normalize_axis(axis, ndim, op);
    if (std::find(out.begin(), out.end(), a) != out.end()) {
      throw ShapeError(std::string(op) + ": axis " + std::to_string(axis) + " is given twice");
    }
    out.push_back(a);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace robustlab::tensor
