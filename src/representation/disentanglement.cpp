// The disentanglement_lib metrics (see disentanglement.h for definitions and sources).
// cpu (whole file): the metrics run on codes brought back to the CPU (encode_means returns them there).
#include "robustlab/representation/disentanglement.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "robustlab/core/error.h"
#include "robustlab/representation/classifiers.h"
#include "robustlab/representation/metrics.h"

namespace robustlab::representation {
namespace {

/// Labels [N] -> 0..K-1 (sorted unique values), and K.
std::pair<torch::Tensor, int64_t> dense_labels(const torch::Tensor& x) {
  const auto [values, inverse] = torch::_unique(x.contiguous().view({-1}), /*sorted=*/true, /*return_inverse=*/true);
  return {inverse.to(torch::kInt64), values.numel()};
}

/// scipy.stats.entropy(p + 1e-11, base): p normalised after adding 1e-11.
double entropy_base(const torch::Tensor& p_in, double base) {
  const torch::Tensor p = p_in.to(torch::kFloat64) + 1e-11;
  const torch::Tensor q = p / p.sum();
  return -(q * q.log()).sum().item<double>() / std::log(base);
}

/// Macro one-vs-rest ROC-AUC of probabilities [N, C] for labels [N], columns in `classes` order;
/// ties averaged (the area under the step ROC curve). Every class must occur with both labels.
double macro_auc(const torch::Tensor& proba, const torch::Tensor& labels, const std::vector<int64_t>& classes) {
  double sum = 0;
  const torch::Tensor y = labels.to(torch::kInt64);
  for (size_t c = 0; c < classes.size(); ++c) {
    const torch::Tensor positive = y.eq(classes[c]);
    const int64_t n_pos = positive.sum().item<int64_t>(), n_neg = y.numel() - n_pos;
    if (n_pos == 0 || n_neg == 0) {
      throw InvalidArgument("explicitness: class " + std::to_string(classes[c]) +
                            " does not occur in both the train and the test factors (ROC-AUC is undefined)");
    }
    const torch::Tensor ranks = average_ranks(proba.select(1, static_cast<int64_t>(c)).view({-1, 1})).view({-1});
    const double rank_sum = ranks.masked_select(positive).sum().item<double>();
    sum += (rank_sum - static_cast<double>(n_pos) * (static_cast<double>(n_pos) + 1) / 2) /
           (static_cast<double>(n_pos) * static_cast<double>(n_neg));
  }
  return sum / static_cast<double>(classes.size());
}

torch::Tensor column(const torch::Tensor& x, int64_t j) { return x.select(1, j).contiguous(); }

}  // namespace

void check_factors_codes(const char* metric, const torch::Tensor& factors, const torch::Tensor& codes) {
  check_pair(metric, factors, codes);
  if (factors.is_floating_point() && !factors.eq(factors.round()).all().item<bool>()) {
    throw InvalidArgument(std::string(metric) + ": factors must be integer classes");
  }
  const torch::Tensor constant = codes.amax(0) == codes.amin(0);
  if (constant.all().item<bool>()) {
    throw InvalidArgument(std::string(metric) + ": every code is constant; the representation carries no information");
  }
}

torch::Tensor histogram_discretize(const torch::Tensor& codes, int64_t bins) {
  const bool single = codes.scalar_type() == torch::kFloat32;
  const torch::Tensor c = codes.to(single ? torch::kFloat32 : torch::kFloat64).contiguous();
  const int64_t n = c.size(0), d = c.size(1);
  torch::Tensor out = torch::empty({n, d}, torch::kInt64);
  auto o = out.accessor<int64_t, 2>();
  for (int64_t j = 0; j < d; ++j) {
    const torch::Tensor col = column(c, j).to(torch::kFloat64);
    double lo = col.min().item<double>(), hi = col.max().item<double>();
    if (lo == hi) lo -= 0.5, hi += 0.5;  // numpy widens an empty range
    // Edges 0..bins-1 (the last edge, the maximum, is dropped by np.digitize's input): computed in
    // float64 and rounded to the codes' dtype, then compared in that dtype.
    std::vector<double> edges(static_cast<size_t>(bins));
    const double step = (hi - lo) / static_cast<double>(bins);
    for (int64_t b = 0; b < bins; ++b) {
      const double e = lo + static_cast<double>(b) * step;
      edges[static_cast<size_t>(b)] = single ? static_cast<double>(static_cast<float>(e)) : e;
    }
    auto v = col.accessor<double, 1>();
    for (int64_t i = 0; i < n; ++i) o[i][j] = std::upper_bound(edges.begin(), edges.end(), v[i]) - edges.begin();
  }
  return out;
}

double mutual_info(const torch::Tensor& a, const torch::Tensor& b) {
  const auto [la, ka] = dense_labels(a);
  const auto [lb, kb] = dense_labels(b);
  const torch::Tensor counts = torch::bincount(la * kb + lb, {}, ka * kb).to(torch::kFloat64).view({ka, kb});
  const double total = counts.sum().item<double>();
  const torch::Tensor pi = counts.sum(1), pj = counts.sum(0);
  const torch::Tensor nz = counts.nonzero();
  const torch::Tensor nzx = nz.select(1, 0), nzy = nz.select(1, 1);
  const torch::Tensor nz_val = counts.index({nzx, nzy});
  // sklearn's arithmetic: the contingency term and the outer-product term separately.
  const torch::Tensor contingency_nm = nz_val / total;
  const torch::Tensor outer = pi.index_select(0, nzx) * pj.index_select(0, nzy);
  const torch::Tensor log_outer = -outer.log() + std::log(pi.sum().item<double>()) + std::log(pj.sum().item<double>());
  torch::Tensor mi = contingency_nm * (nz_val.log() - std::log(total)) + contingency_nm * log_outer;
  mi = torch::where(mi.abs() < std::numeric_limits<double>::epsilon(), torch::zeros_like(mi), mi);
  return std::max(0.0, mi.sum().item<double>());
}

torch::Tensor mutual_info_matrix(const torch::Tensor& discrete_codes, const torch::Tensor& factors) {
  torch::Tensor m = torch::empty({discrete_codes.size(1), factors.size(1)}, torch::kFloat64);
  for (int64_t i = 0; i < discrete_codes.size(1); ++i)
    for (int64_t k = 0; k < factors.size(1); ++k) m[i][k] = mutual_info(column(discrete_codes, i), column(factors, k));
  return m;
}

double mig(const torch::Tensor& factors, const torch::Tensor& codes) {
  check_factors_codes("mig", factors, codes);
  if (codes.size(1) < 2) throw ShapeError("mig: needs at least two codes (the gap between the best two)");
  const torch::Tensor m = mutual_info_matrix(histogram_discretize(codes), factors);
  const torch::Tensor top = std::get<0>(m.sort(0, /*descending=*/true));
  double sum = 0;
  for (int64_t k = 0; k < factors.size(1); ++k) {
    const double h = mutual_info(column(factors, k), column(factors, k));
    if (h == 0) throw InvalidArgument("mig: factor " + std::to_string(k) + " is constant (zero entropy)");
    sum += (top[0][k].item<double>() - top[1][k].item<double>()) / h;
  }
  return sum / static_cast<double>(factors.size(1));
}

double modularity(const torch::Tensor& factors, const torch::Tensor& codes) {
  check_factors_codes("modularity", factors, codes);
  const torch::Tensor sq = mutual_info_matrix(histogram_discretize(codes), factors).square();
  const torch::Tensor max_sq = std::get<0>(sq.max(1));
  const torch::Tensor delta = (sq.sum(1) - max_sq) / (max_sq * static_cast<double>(sq.size(1) - 1));
  const torch::Tensor score = torch::where(max_sq == 0, torch::zeros_like(delta), 1.0 - delta);
  return score.mean().item<double>();
}

TrainTest explicitness(const torch::Tensor& factors_train, const torch::Tensor& codes_train,
                       const torch::Tensor& factors_test, const torch::Tensor& codes_test) {
  check_factors_codes("explicitness", factors_train, codes_train);
  check_factors_codes("explicitness", factors_test, codes_test);
  const torch::Tensor train = codes_train.to(torch::kFloat64), test = codes_test.to(torch::kFloat64);
  const torch::Tensor mean = train.mean(0, true), sd = train.std(0, /*unbiased=*/false, true);
  // sklearn's StandardScaler leaves a constant column unscaled (std taken as 1).
  const torch::Tensor scale = torch::where(sd == 0, torch::ones_like(sd), sd);
  const torch::Tensor xtr = (train - mean) / scale, xte = (test - mean) / scale;
  TrainTest out;
  for (int64_t k = 0; k < factors_train.size(1); ++k) {
    const LogisticRegression model(xtr, column(factors_train, k));
    out.train += macro_auc(model.predict_proba(xtr), column(factors_train, k), model.classes());
    out.test += macro_auc(model.predict_proba(xte), column(factors_test, k), model.classes());
  }
  out.train /= static_cast<double>(factors_train.size(1));
  out.test /= static_cast<double>(factors_train.size(1));
  return out;
}

std::pair<double, double> dci_scores(const torch::Tensor& r_in) {
  const torch::Tensor r = r_in.to(torch::kFloat64);
  const double total = r.sum().item<double>();
  if (total == 0) return {0.0, 0.0};
  const int64_t d = r.size(0), f = r.size(1);
  double dis = 0, com = 0;
  for (int64_t i = 0; i < d; ++i)
    dis += (r[i].sum().item<double>() / total) * (1 - entropy_base(r[i], static_cast<double>(f)));
  for (int64_t k = 0; k < f; ++k)
    com += (r.select(1, k).sum().item<double>() / total) * (1 - entropy_base(r.select(1, k), static_cast<double>(d)));
  return {dis, com};
}

Dci dci(const torch::Tensor& factors_train, const torch::Tensor& codes_train, const torch::Tensor& factors_test,
        const torch::Tensor& codes_test) {
  check_factors_codes("dci", factors_train, codes_train);
  check_factors_codes("dci", factors_test, codes_test);
  const int64_t d = codes_train.size(1), f = factors_train.size(1);
  Dci out;
  out.importances = torch::zeros({d, f}, torch::kFloat64);
  for (int64_t k = 0; k < f; ++k) {
    const BoostedTrees trees = boosted_trees(codes_train, column(factors_train, k), codes_test, column(factors_test, k));
    for (int64_t i = 0; i < d; ++i) out.importances[i][k] = std::abs(trees.importances[static_cast<size_t>(i)]);
    out.informativeness_train += trees.train_accuracy / static_cast<double>(f);
    out.informativeness_test += trees.test_accuracy / static_cast<double>(f);
  }
  std::tie(out.disentanglement, out.completeness) = dci_scores(out.importances);
  return out;
}

double sap(const torch::Tensor& factors_train, const torch::Tensor& codes_train, const torch::Tensor& factors_test,
           const torch::Tensor& codes_test) {
  check_factors_codes("sap", factors_train, codes_train);
  check_factors_codes("sap", factors_test, codes_test);
  const int64_t d = codes_train.size(1), f = factors_train.size(1);
  if (d < 2) throw ShapeError("sap: needs at least two codes (the gap between the best two)");
  torch::Tensor score = torch::zeros({d, f}, torch::kFloat64);
  for (int64_t i = 0; i < d; ++i) {
    const torch::Tensor xtr = codes_train.select(1, i).view({-1, 1}), xte = codes_test.select(1, i).view({-1, 1});
    for (int64_t k = 0; k < f; ++k) {
      const LinearSvm svm(xtr, column(factors_train, k), 0.01, /*balanced=*/true);
      score[i][k] = accuracy(svm.predict(xte), column(factors_test, k));
    }
  }
  const torch::Tensor top = std::get<0>(score.sort(0, /*descending=*/true));
  return (top[0] - top[1]).mean().item<double>();
}

SampledScore beta_vae_score(const GenerativeData& data, std::mt19937_64& rng, int64_t batch_size, int64_t num_train,
                            int64_t num_eval) {
  const int64_t f = static_cast<int64_t>(data.factor_sizes.size());
  auto points = [&](int64_t count) {
    std::vector<torch::Tensor> features;
    torch::Tensor labels = torch::empty({count}, torch::kInt64);
    for (int64_t p = 0; p < count; ++p) {
      const int64_t k = std::uniform_int_distribution<int64_t>(0, f - 1)(rng);
      const torch::Tensor f1 = data.sample_factors(batch_size, rng);
      torch::Tensor f2 = data.sample_factors(batch_size, rng);
      f2.select(1, k).copy_(f1.select(1, k));
      features.push_back((data.codes_of(f1) - data.codes_of(f2)).abs().mean(0));
      labels[p] = k;
    }
    return std::pair{torch::stack(features), labels};
  };
  const auto [xtr, ytr] = points(num_train);
  const auto [xev, yev] = points(num_eval);
  const LogisticRegression model(xtr, ytr);
  return {accuracy(model.predict(xtr), ytr), accuracy(model.predict(xev), yev)};
}

SampledScore factor_vae_score(const GenerativeData& data, std::mt19937_64& rng, int64_t batch_size, int64_t num_train,
                              int64_t num_eval, int64_t num_variance_estimate, double prune_threshold) {
  const int64_t f = static_cast<int64_t>(data.factor_sizes.size());
  const torch::Tensor global = data.codes_of(data.sample_factors(num_variance_estimate, rng)).to(torch::kFloat64).var(0, true);
  const torch::Tensor active = global.sqrt() >= prune_threshold;
  if (!active.any().item<bool>()) return {0.0, 0.0};
  const torch::Tensor active_index = active.nonzero().view({-1});
  const int64_t d = global.size(0);
  auto votes = [&](int64_t count) {
    torch::Tensor v = torch::zeros({f, d}, torch::kFloat64);
    for (int64_t p = 0; p < count; ++p) {
      const int64_t k = std::uniform_int_distribution<int64_t>(0, f - 1)(rng);
      torch::Tensor factors = data.sample_factors(batch_size, rng);
      factors.select(1, k).fill_(factors[0][k].item<int64_t>());
      const torch::Tensor local = data.codes_of(factors).to(torch::kFloat64).var(0, true);
      // disentanglement_lib's argmin over the active dimensions, used as a column of all of them.
      const int64_t argmin = (local.index_select(0, active_index) / global.index_select(0, active_index)).argmin().item<int64_t>();
      v[k][argmin] += 1;
    }
    return v;
  };
  const torch::Tensor train_votes = votes(num_train), eval_votes = votes(num_eval);
  const torch::Tensor classifier = train_votes.argmax(0);  // ties: the lowest factor
  const torch::Tensor cols = torch::arange(d);
  auto score = [&](const torch::Tensor& v) {
    return v.index({classifier, cols}).sum().item<double>() / v.sum().item<double>();
  };
  return {score(train_votes), score(eval_votes)};
}

}  // namespace robustlab::representation
