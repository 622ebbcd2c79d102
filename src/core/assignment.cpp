// Shortest augmenting paths for the rectangular assignment problem (see assignment.h for the
// method, its sources and the conventions kept for ties and forbidden pairs).
#include "robustlab/core/assignment.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "robustlab/core/error.h"

namespace robustlab {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Solves a finite rows × cols problem with rows <= cols; returns the column of every row.
std::vector<int64_t> solve_wide(std::vector<double> c, int64_t rows, int64_t cols) {
  // Non-negative costs, as Crouse's method assumes (shifting by a constant changes no optimum).
  const double lowest = *std::min_element(c.begin(), c.end());
  for (double& x : c) x -= lowest;

  std::vector<double> u(static_cast<size_t>(rows), 0.0), v(static_cast<size_t>(cols), 0.0);
  std::vector<double> dist(static_cast<size_t>(cols));
  std::vector<int64_t> col_of_row(static_cast<size_t>(rows), -1), row_of_col(static_cast<size_t>(cols), -1);
  std::vector<int64_t> came_from(static_cast<size_t>(cols), -1), unvisited;
  std::vector<char> row_seen(static_cast<size_t>(rows)), col_seen(static_cast<size_t>(cols));

  for (int64_t start = 0; start < rows; ++start) {
    // Dijkstra over the columns from row `start`, with reduced costs c - u - v >= 0. Columns are
    // kept in a list that begins with the last one (so a constant matrix gives the identity) and
    // are removed by swapping in the list's end.
    unvisited.resize(static_cast<size_t>(cols));
    for (int64_t k = 0; k < cols; ++k) unvisited[static_cast<size_t>(k)] = cols - 1 - k;
    std::fill(row_seen.begin(), row_seen.end(), 0);
    std::fill(col_seen.begin(), col_seen.end(), 0);
    std::fill(dist.begin(), dist.end(), kInf);
    double reached = 0;  // length of the shortest path found so far
    int64_t row = start, sink = -1;
    while (sink < 0) {
      row_seen[static_cast<size_t>(row)] = 1;
      size_t best = 0;
      double best_dist = kInf;
      for (size_t k = 0; k < unvisited.size(); ++k) {
        const int64_t j = unvisited[k];
        const auto ju = static_cast<size_t>(j);
        const double through_row =
            reached + c[static_cast<size_t>(row * cols + j)] - u[static_cast<size_t>(row)] - v[ju];
        if (through_row < dist[ju]) {
          dist[ju] = through_row;
          came_from[ju] = row;
        }
        // On a tie, a free column ends the search now (fewer steps, and scipy's choice).
        if (dist[ju] < best_dist || (dist[ju] == best_dist && row_of_col[ju] < 0)) {
          best_dist = dist[ju];
          best = k;
        }
      }
      reached = best_dist;
      const int64_t j = unvisited[best];
      col_seen[static_cast<size_t>(j)] = 1;
      if (row_of_col[static_cast<size_t>(j)] < 0) {
        sink = j;
      } else {
        row = row_of_col[static_cast<size_t>(j)];
      }
      unvisited[best] = unvisited.back();
      unvisited.pop_back();
    }
    // Potentials keep the reduced costs non-negative and zero along the matching.
    u[static_cast<size_t>(start)] += reached;
    for (int64_t i = 0; i < rows; ++i) {
      if (row_seen[static_cast<size_t>(i)] && i != start) {
        u[static_cast<size_t>(i)] += reached - dist[static_cast<size_t>(col_of_row[static_cast<size_t>(i)])];
      }
    }
    for (int64_t j = 0; j < cols; ++j) {
      if (col_seen[static_cast<size_t>(j)]) v[static_cast<size_t>(j)] -= reached - dist[static_cast<size_t>(j)];
    }
    // Flip the matching along the path back from the sink.
    for (int64_t j = sink;;) {
      const int64_t i = came_from[static_cast<size_t>(j)];
      row_of_col[static_cast<size_t>(j)] = i;
      std::swap(col_of_row[static_cast<size_t>(i)], j);
      if (i == start) break;
    }
  }
  return col_of_row;
}

}  // namespace

Assignment linear_sum_assignment(const std::vector<double>& cost, int64_t rows, int64_t cols) {
  if (rows < 0 || cols < 0 || static_cast<int64_t>(cost.size()) != rows * cols) {
    throw InvalidArgument("linear_sum_assignment: " + std::to_string(cost.size()) + " costs for a " +
                          std::to_string(rows) + " x " + std::to_string(cols) + " matrix");
  }
  Assignment out;
  if (rows == 0 || cols == 0) return out;

  // Forbidden pairs get a cost no optimal assignment takes while a permitted one exists.
  double largest = 0;
  bool forbidden = false;
  for (double x : cost) {
    if (std::isfinite(x)) {
      largest = std::max(largest, std::abs(x));
    } else {
      forbidden = true;
    }
  }
  const bool tall = rows > cols;
  const int64_t r = tall ? cols : rows, c = tall ? rows : cols;
  const double replacement = 2.0 * static_cast<double>(r) * (largest + 1) + 1;
  std::vector<double> wide(cost.size());
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      const double x = cost[static_cast<size_t>(i * cols + j)];
      wide[static_cast<size_t>(tall ? j * rows + i : i * cols + j)] = std::isfinite(x) ? x : replacement;
    }
  }
  const std::vector<int64_t> match = solve_wide(std::move(wide), r, c);

  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t k = 0; k < r; ++k) {
    const int64_t i = tall ? match[static_cast<size_t>(k)] : k, j = tall ? k : match[static_cast<size_t>(k)];
    pairs.emplace_back(i, j);
  }
  std::sort(pairs.begin(), pairs.end());
  for (const auto& [i, j] : pairs) {
    const double x = cost[static_cast<size_t>(i * cols + j)];
    if (forbidden && !std::isfinite(x)) continue;
    out.rows.push_back(i);
    out.cols.push_back(j);
    out.cost += x;
  }
  return out;
}

}  // namespace robustlab
