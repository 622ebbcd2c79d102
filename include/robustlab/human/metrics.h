// Trial-by-trial comparison metrics of the model-vs-human benchmark (Geirhos et al. 2020,
// "Beyond accuracy: quantifying trial-by-trial behaviour of CNNs and humans by measuring error
// consistency", arXiv:2006.16736; Geirhos et al. 2021; definitions in ../shared/reference/mvh.md
// §2): accuracy, observed and expected consistency, error consistency (Cohen's kappa), shape
// bias on cue-conflict stimuli (Geirhos et al. 2019, arXiv:1811.12231), and the null
// distribution of kappa for two independent observers, which the Python benchmark does not offer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "robustlab/human/trials.h"

namespace robustlab::human {

/// Fraction of trials whose response equals the category (na counts as an error).
double accuracy(const std::vector<Trial>& trials);

/// Two observers' correctness on the same images, in the same order.
struct MatchedPair {
  std::vector<bool> first;
  std::vector<bool> second;
};

/// Matches two observers' trials by image key, keeping only trials whose condition is in
/// `conditions` (all when empty). Throws FormatError when the two did not see the same images.
MatchedPair match_trials(const ObserverTrials& a, const ObserverTrials& b,
                         const std::vector<std::string>& conditions = {});

struct Consistency {
  int64_t n = 0;
  double p1 = 0.0;              ///< accuracy of the first observer
  double p2 = 0.0;              ///< accuracy of the second observer
  double observed = 0.0;        ///< c_obs: fraction of trials both got right or both got wrong
  double expected = 0.0;        ///< c_exp = p1 p2 + (1 - p1)(1 - p2)
  double kappa = 0.0;           ///< (c_obs - c_exp) / (1 - c_exp); 1 when c_obs = 1
};

/// Error consistency of two correctness vectors of equal, non-zero length.
Consistency error_consistency(const std::vector<bool>& first, const std::vector<bool>& second);

/// Cohen's kappa from c_obs and the two accuracies (1 when c_obs == 1, as the benchmark defines).
double kappa(double observed, double p1, double p2);

/// Where kappa of two *independent* observers with accuracies p1, p2 on n trials falls.
struct KappaInterval {
  double low = 0.0;
  double high = 0.0;
};

/// One comparison under the null: two independent observers with accuracies p1, p2 on n trials.
struct NullPair {
  double p1 = 0.0;
  double p2 = 0.0;
  int64_t n = 0;
};

/// The central `level` interval of the *mean* kappa over `pairs` under independence, by
/// simulating every pair `simulations` times (each kappa computed from the simulated accuracies,
/// as an analysis would). A benchmark kappa (a mean over conditions and observers) is compared
/// with the band of the same mean. Deterministic in `seed`.
KappaInterval kappa_null_interval(const std::vector<NullPair>& pairs, double level = 0.95,
                                  int64_t simulations = 10000, uint64_t seed = 0);

/// The same for a single comparison.
KappaInterval kappa_null_interval(double p1, double p2, int64_t n, double level = 0.95,
                                  int64_t simulations = 10000, uint64_t seed = 0);

/// The analytic standard deviation of kappa under independence (Fleiss, Cohen & Everitt 1969):
/// Var0 = [pe + pe^2 - sum_i a_i b_i (a_i + b_i)] / (n (1 - pe)^2) over the two outcomes.
double kappa_null_sd(double p1, double p2, int64_t n);

struct ShapeBias {
  int64_t conflict_trials = 0;  ///< trials whose shape and texture categories differ
  int64_t shape = 0;            ///< responses equal to the shape category among them
  int64_t texture = 0;          ///< responses equal to the texture category among them
  double bias() const { return shape + texture > 0 ? static_cast<double>(shape) / (shape + texture) : 0.0; }
};

/// The texture category of a cue-conflict image: the last '-'-separated token of its key,
/// without digits and extension ("bird3-bird2.png" -> "bird").
std::string texture_category(const std::string& image_key);

/// Shape bias over cue-conflict trials (images whose shape equals their texture are excluded).
ShapeBias shape_bias(const std::vector<Trial>& trials);

}  // namespace robustlab::human
