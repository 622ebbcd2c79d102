// Plane geometry shared by the stimulus generators: points and polylines in image coordinates.
#pragma once

#include <utility>
#include <vector>

namespace robustlab::stimuli {

using Point = std::pair<double, double>;  ///< (x, y): x to the right, y down
using Polyline = std::vector<Point>;

}  // namespace robustlab::stimuli
