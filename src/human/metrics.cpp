// Error consistency, shape bias and the null distribution of kappa (see metrics.h).
#include "robustlab/human/metrics.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_map>

#include "robustlab/core/error.h"
#include "robustlab/core/random.h"

namespace robustlab::human {

double accuracy(const std::vector<Trial>& trials) {
  if (trials.empty()) return 0.0;
  int64_t correct = 0;
  for (const Trial& t : trials) correct += t.correct();
  return static_cast<double>(correct) / static_cast<double>(trials.size());
}

MatchedPair match_trials(const ObserverTrials& a, const ObserverTrials& b, const std::vector<std::string>& conditions) {
  auto included = [&](const Trial& t) {
    return conditions.empty() || std::find(conditions.begin(), conditions.end(), t.condition) != conditions.end();
  };
  std::unordered_map<std::string, const Trial*> by_key;
  for (const Trial& t : b.trials) {
    if (included(t)) by_key.emplace(t.image_key, &t);
  }
  MatchedPair pair;
  for (const Trial& t : a.trials) {
    if (!included(t)) continue;
    const auto it = by_key.find(t.image_key);
    if (it == by_key.end()) {
      throw FormatError("match_trials: image '" + t.image_key + "' of " + a.observer + " is missing for " +
                        b.observer + " in dataset " + a.dataset);
    }
    pair.first.push_back(t.correct());
    pair.second.push_back(it->second->correct());
  }
  if (pair.first.size() != by_key.size()) {
    throw FormatError("match_trials: " + a.observer + " and " + b.observer + " saw different image sets in dataset " +
                      a.dataset + " (" + std::to_string(pair.first.size()) + " vs " + std::to_string(by_key.size()) +
                      " trials)");
  }
  return pair;
}

double kappa(double observed, double p1, double p2) {
  if (observed == 1.0) return 1.0;
  const double expected = p1 * p2 + (1.0 - p1) * (1.0 - p2);
  return (observed - expected) / (1.0 - expected);
}

Consistency error_consistency(const std::vector<bool>& first, const std::vector<bool>& second) {
  if (first.size() != second.size() || first.empty()) {
    throw InvalidArgument("error_consistency: needs two non-empty correctness vectors of equal length, got " +
                          std::to_string(first.size()) + " and " + std::to_string(second.size()));
  }
  Consistency c;
  c.n = static_cast<int64_t>(first.size());
  int64_t right1 = 0, right2 = 0, agree = 0;
  for (size_t i = 0; i < first.size(); ++i) {
    right1 += first[i];
    right2 += second[i];
    agree += first[i] == second[i];
  }
  c.p1 = static_cast<double>(right1) / c.n;
  c.p2 = static_cast<double>(right2) / c.n;
  c.observed = static_cast<double>(agree) / c.n;
  c.expected = c.p1 * c.p2 + (1.0 - c.p1) * (1.0 - c.p2);
  c.kappa = kappa(c.observed, c.p1, c.p2);
  return c;
}

namespace {

/// One kappa of two simulated independent observers. The four cells of their 2x2 table (both
/// right, only the first, only the second, both wrong) are multinomial with probabilities
/// p1 p2, p1 (1-p2), (1-p1) p2, (1-p1)(1-p2); drawn as three conditional binomials, which costs
/// the same for any n.
double simulated_kappa(std::mt19937_64& rng, const NullPair& p) {
  const double cells[3] = {p.p1 * p.p2, p.p1 * (1 - p.p2), (1 - p.p1) * p.p2};
  int64_t counts[3];
  int64_t left = p.n;
  double mass = 1.0;
  for (int k = 0; k < 3; ++k) {
    const double q = mass > 0 ? std::clamp(cells[k] / mass, 0.0, 1.0) : 0.0;
    counts[k] = left > 0 ? std::binomial_distribution<int64_t>(left, q)(rng) : 0;
    left -= counts[k];
    mass -= cells[k];
  }
  const double n = static_cast<double>(p.n);
  const double q1 = static_cast<double>(counts[0] + counts[1]) / n;
  const double q2 = static_cast<double>(counts[0] + counts[2]) / n;
  const double observed = static_cast<double>(counts[0] + left) / n;  // both right or both wrong
  const double expected = q1 * q2 + (1 - q1) * (1 - q2);
  // Degenerate draws (both observers constant) give c_exp = 1; the benchmark calls them kappa 1.
  return expected == 1.0 ? 1.0 : kappa(observed, q1, q2);
}

}  // namespace

KappaInterval kappa_null_interval(const std::vector<NullPair>& pairs, double level, int64_t simulations, uint64_t seed) {
  if (pairs.empty() || simulations < 10 || !(level > 0 && level < 1)) {
    throw InvalidArgument("kappa_null_interval: needs at least one pair, simulations >= 10 and 0 < level < 1");
  }
  for (const NullPair& p : pairs) {
    if (!(p.p1 >= 0 && p.p1 <= 1 && p.p2 >= 0 && p.p2 <= 1) || p.n < 1) {
      throw InvalidArgument("kappa_null_interval: accuracies must lie in [0,1] and n >= 1, got " + std::to_string(p.p1) +
                            ", " + std::to_string(p.p2) + ", n = " + std::to_string(p.n));
    }
  }
  auto rng = make_rng(seed, pairs.size());
  std::vector<double> means;
  means.reserve(static_cast<size_t>(simulations));
  for (int64_t s = 0; s < simulations; ++s) {
    double sum = 0.0;
    for (const NullPair& p : pairs) sum += simulated_kappa(rng, p);
    means.push_back(sum / static_cast<double>(pairs.size()));
  }
  std::sort(means.begin(), means.end());
  auto quantile = [&](double q) {
    const double pos = q * static_cast<double>(means.size() - 1);
    const auto lo = static_cast<size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, means.size() - 1);
    return means[lo] + (pos - static_cast<double>(lo)) * (means[hi] - means[lo]);
  };
  return {quantile((1 - level) / 2), quantile(1 - (1 - level) / 2)};
}

KappaInterval kappa_null_interval(double p1, double p2, int64_t n, double level, int64_t simulations, uint64_t seed) {
  return kappa_null_interval(std::vector<NullPair>{{p1, p2, n}}, level, simulations, seed);
}

double kappa_null_sd(double p1, double p2, int64_t n) {
  const double pe = p1 * p2 + (1 - p1) * (1 - p2);
  if (n < 1 || pe >= 1.0) return 0.0;
  const double a[2] = {p1, 1 - p1}, b[2] = {p2, 1 - p2};
  double sum = 0.0;
  for (int i = 0; i < 2; ++i) sum += a[i] * b[i] * (a[i] + b[i]);
  return std::sqrt((pe + pe * pe - sum) / (static_cast<double>(n) * (1 - pe) * (1 - pe)));
}

std::string texture_category(const std::string& key) {
  const auto dash = key.rfind('-');
  std::string token = dash == std::string::npos ? key : key.substr(dash + 1);
  const auto dot = token.find('.');
  if (dot != std::string::npos) token = token.substr(0, dot);
  token.erase(std::remove_if(token.begin(), token.end(), [](unsigned char c) { return std::isdigit(c); }), token.end());
  return token;
}

ShapeBias shape_bias(const std::vector<Trial>& trials) {
  ShapeBias s;
  for (const Trial& t : trials) {
    const std::string texture = texture_category(t.image_key);
    if (texture == t.category) continue;
    ++s.conflict_trials;
    s.shape += t.response == t.category;
    s.texture += t.response == texture;
  }
  return s;
}

}  // namespace robustlab::human
