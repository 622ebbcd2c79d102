// R² and the mean correlation coefficients (see metrics.h for the definitions and their sources).
// cpu (whole file): the scores run on codes brought back to the CPU.
#include "robustlab/representation/metrics.h"

#include <torch/torch.h>

#include <cmath>
#include <random>

#include "robustlab/core/assignment.h"
#include "robustlab/core/error.h"

namespace robustlab::representation {
namespace {

torch::Tensor as_double(const torch::Tensor& t) { return t.to(torch::kFloat64).contiguous(); }

/// Rejects constant columns, which make a correlation NaN.
void require_varying(const char* metric, const torch::Tensor& x, const char* what) {
  const torch::Tensor constant = (x.amax(0) == x.amin(0));
  if (constant.any().item<bool>()) {
    throw InvalidArgument(std::string(metric) + ": " + what + " column " +
                          std::to_string(constant.nonzero()[0][0].item<int64_t>()) +
                          " is constant, so its correlation is undefined");
  }
}

/// The assignment of rows (factors) to columns (codes) maximising Σ|C| and the mean |C| over the
/// first `averaged` rows.
MccResult match(const torch::Tensor& corr, int64_t averaged) {
  const int64_t rows = corr.size(0), cols = corr.size(1);
  const torch::Tensor cost = -corr.abs().contiguous();
  const Assignment a = linear_sum_assignment(
      std::vector<double>(cost.data_ptr<double>(), cost.data_ptr<double>() + rows * cols), rows, cols);
  MccResult out;
  out.correlation = corr;
  double sum = 0;
  for (size_t k = 0; k < a.rows.size(); ++k) {
    if (a.rows[k] >= averaged) continue;
    out.assignment.push_back(a.cols[k]);
    sum += std::abs(corr[a.rows[k]][a.cols[k]].item<double>());
  }
  out.mcc = sum / static_cast<double>(averaged);
  return out;
}

}  // namespace

void check_pair(const char* metric, const torch::Tensor& z, const torch::Tensor& h) {
  if (z.dim() != 2 || h.dim() != 2) {
    throw ShapeError(std::string(metric) + ": latents and codes must be [N, dims] arrays, got " + c10::str(z.sizes()) +
                     " and " + c10::str(h.sizes()));
  }
  if (z.size(0) != h.size(0)) {
    throw ShapeError(std::string(metric) + ": " + std::to_string(z.size(0)) + " latent rows but " +
                     std::to_string(h.size(0)) + " code rows");
  }
  if (z.size(0) < 2) throw ShapeError(std::string(metric) + ": need at least 2 samples, got " + std::to_string(z.size(0)));
  if (z.size(1) < 1 || h.size(1) < 1) throw ShapeError(std::string(metric) + ": empty latent or code dimension");
  for (const auto& [t, what] : {std::pair{&z, "latents"}, std::pair{&h, "codes"}}) {
    if (!t->is_floating_point() && t->scalar_type() != torch::kBool && !c10::isIntegralType(t->scalar_type(), false)) {
      throw FormatError(std::string(metric) + ": " + what + " must be numbers, got " +
                        std::string(c10::toString(t->scalar_type())));
    }
    if (t->is_floating_point() && !torch::isfinite(*t).all().item<bool>()) {
      throw InvalidArgument(std::string(metric) + ": the " + what + " contain NaN or infinite values");
    }
  }
}

double r2_score(const torch::Tensor& y_true, const torch::Tensor& y_pred) {
  const torch::Tensor y = as_double(y_true), p = as_double(y_pred);
  const torch::Tensor residual = (y - p).square().sum(0);
  const torch::Tensor total = (y - y.mean(0, true)).square().sum(0);
  double sum = 0;
  for (int64_t j = 0; j < y.size(1); ++j) {
    const double num = residual[j].item<double>(), den = total[j].item<double>();
    sum += den != 0 ? 1.0 - num / den : (num == 0 ? 1.0 : 0.0);
  }
  return sum / static_cast<double>(y.size(1));
}

double linear_r2(const torch::Tensor& z, const torch::Tensor& h) {
  check_pair("linear_r2", z, h);
  // LinearRegression: centre both sides, minimum-norm least squares (SVD), add the intercept back.
  const torch::Tensor x = as_double(h), y = as_double(z);
  const torch::Tensor xc = x - x.mean(0, true), ym = y.mean(0, true);
  const torch::Tensor coef = std::get<0>(torch::linalg_lstsq(xc, y - ym, c10::nullopt, "gelsd"));
  return r2_score(y, torch::mm(xc, coef) + ym);
}

torch::Tensor pearson(const torch::Tensor& x_in, const torch::Tensor& y_in) {
  const torch::Tensor x = as_double(x_in), y = as_double(y_in);
  const torch::Tensor xc = x - x.mean(0, true), yc = y - y.mean(0, true);
  const torch::Tensor c = torch::mm(xc.t(), yc) / torch::outer(xc.norm(2, 0), yc.norm(2, 0));
  return c.clamp(-1.0, 1.0);
}

torch::Tensor average_ranks(const torch::Tensor& x_in) {
  const torch::Tensor x = as_double(x_in);
  const int64_t n = x.size(0), cols = x.size(1);
  const auto [sorted, order] = x.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false);
  torch::Tensor ranks = torch::empty({n, cols}, torch::kFloat64);
  auto s = sorted.accessor<double, 2>();
  auto o = order.accessor<int64_t, 2>();
  auto r = ranks.accessor<double, 2>();
  for (int64_t j = 0; j < cols; ++j) {
    for (int64_t i = 0; i < n;) {
      int64_t k = i;
      while (k + 1 < n && s[k + 1][j] == s[i][j]) ++k;
      const double rank = static_cast<double>(i + k) / 2.0 + 1.0;  // the mean of ranks i+1 .. k+1
      for (int64_t t = i; t <= k; ++t) r[o[t][j]][j] = rank;
      i = k + 1;
    }
  }
  return ranks;
}

torch::Tensor spearman(const torch::Tensor& x, const torch::Tensor& y) {
  return pearson(average_ranks(x), average_ranks(y));
}

std::vector<double> numpy_normal(uint32_t seed, int64_t count) {
  std::mt19937 mt(seed);  // numpy's RandomState(int) seeds MT19937 with init_genrand, as std::mt19937 does
  auto uniform = [&] {    // random_standard_uniform: 53 bits from two 32-bit draws
    const uint64_t a = mt() >> 5, b = mt() >> 6;
    return (static_cast<double>(a) * 67108864.0 + static_cast<double>(b)) / 9007199254740992.0;
  };
  std::vector<double> out;
  out.reserve(static_cast<size_t>(count));
  bool has_cached = false;
  double cached = 0;
  while (static_cast<int64_t>(out.size()) < count) {
    if (has_cached) {
      out.push_back(cached);
      has_cached = false;
      continue;
    }
    double x1, x2, r2;
    do {
      x1 = 2.0 * uniform() - 1.0;
      x2 = 2.0 * uniform() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    const double f = std::sqrt(-2.0 * std::log(r2) / r2);
    cached = f * x1;
    has_cached = true;
    out.push_back(f * x2);
  }
  return out;
}

MccResult mcc_pearson(const torch::Tensor& z_in, const torch::Tensor& h_in) {
  check_pair("mcc_pearson", z_in, h_in);
  if (z_in.size(1) != h_in.size(1)) {
    throw ShapeError("mcc_pearson: cl-ica's rescaling pairs latent j with code j, so both need the same width; got " +
                     std::to_string(z_in.size(1)) + " and " + std::to_string(h_in.size(1)));
  }
  const torch::Tensor z = as_double(z_in), h = as_double(h_in);
  require_varying("mcc_pearson", z, "latent");
  require_varying("mcc_pearson", h, "code");
  // rescaling=True: β_j = Σ z_j h_j / Σ h_j². A negative β flips a column, a zero β makes it constant.
  const torch::Tensor beta = (z * h).sum(0) / h.square().sum(0);
  if ((beta == 0).any().item<bool>()) {
    throw InvalidArgument("mcc_pearson: code column " + std::to_string((beta == 0).nonzero()[0][0].item<int64_t>()) +
                          " is orthogonal to its latent, so cl-ica's rescaling makes it constant");
  }
  return match(pearson(z, h * beta), z.size(1));
}

MccResult mcc_spearman(const torch::Tensor& factors, const torch::Tensor& codes, uint32_t seed) {
  check_pair("mcc_spearman", factors, codes);
  const int64_t n = factors.size(0), f = factors.size(1), d = codes.size(1);
  if (f > d) {
    throw ShapeError("mcc_spearman: " + std::to_string(f) + " factors but only " + std::to_string(d) +
                     " codes; each factor needs its own code");
  }
  require_varying("mcc_spearman", codes, "code");
  require_varying("mcc_spearman", factors, "factor");
  torch::Tensor padded = as_double(factors);
  if (f < d) {  // noise rows, row by row, as _compute_mcc draws them
    const std::vector<double> noise = numpy_normal(seed, (d - f) * n);
    padded = torch::cat({padded, torch::tensor(noise, torch::kFloat64).view({d - f, n}).t()}, 1);
  }
  return match(spearman(padded, codes), f);
}

}  // namespace robustlab::representation
