// The rectangular linear-sum-assignment problem, solved once for every module that matches
// things: the mean correlation coefficient (representation: latents to codes, on −|corr|) and the
// multi-object-tracking metrics (objects: ground-truth objects to predicted slots, on 1 − IoU).
//
// The solver is the shortest-augmenting-path method of Jonker & Volgenant (1987) in the form of
// Crouse (2016), "On implementing 2D rectangular assignment algorithms", IEEE TAES 52(4), the form
// scipy.optimize.linear_sum_assignment uses, with scipy's conventions where an optimum is not
// unique (columns scanned from the last, an unassigned column preferred on a tie, a tall matrix
// solved transposed), so that tied costs — a constant matrix, two equally good slots — give the
// pairs the Python originals get. O(r²c) for r ≤ c.
//
// Forbidden pairs are handled as py-motmetrics 1.2.0 does (../shared/reference/replearn.md §3.3):
// NaN and ±inf entries are replaced by 2·r·(max |finite| + 1) + 1 with r = min(rows, cols), the
// problem is solved, and pairs whose original cost was not finite are dropped from the answer.
#pragma once

#include <cstdint>
#include <vector>

namespace robustlab {

struct Assignment {
  std::vector<int64_t> rows;  ///< matched row indices, ascending
  std::vector<int64_t> cols;  ///< the column matched to rows[k]
  double cost = 0;            ///< sum of the matched (finite) costs
};

/// Minimum-cost assignment of a rows × cols matrix (row-major `cost`, size rows·cols): min(rows,
/// cols) pairs, fewer when forbidden pairs (non-finite entries) had to be used. Either dimension
/// may be 0. Throws InvalidArgument when cost.size() != rows·cols.
Assignment linear_sum_assignment(const std::vector<double>& cost, int64_t rows, int64_t cols);

}  // namespace robustlab
