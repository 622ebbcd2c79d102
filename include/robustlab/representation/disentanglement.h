// The disentanglement_lib metrics (Locatello et al. 2019; google-research/disentanglement_lib
// 86a644d) as SlowVAE's evaluation runs them (Klindt et al. 2021, arXiv:2007.10930;
// ../shared/reference/replearn.md §2.4 and §7, whose conventions are kept):
//
// On (factors, codes) arrays — factors as integer classes [N, F], codes [N, D]:
// - MIG (Chen et al. 2018): each code discretised into 20 histogram bins (np.histogram edges in
//   the codes' dtype, np.digitize on all but the last edge: labels 1..20), MI by the plug-in
//   estimator (sklearn's mutual_info_score), H(v_k) = MI(v_k, v_k); mean over factors of the gap
//   between the two most informative codes divided by H(v_k).
// - Modularity (Ridgeway & Mozer 2018) per code 1 − (Σ_k m² − max m²)/(max m² (K − 1)), 0 when
//   max m² = 0, averaged over all codes; explicitness: one logistic regression per factor on the
//   codes standardised with the train mean and std (ddof 0), macro one-vs-rest ROC-AUC of its
//   probabilities on train and test, averaged over factors.
// - DCI (Eastwood & Williams 2018): importances R [D, F] from gradient-boosted trees per factor;
//   disentanglement Σ_i ρ_i (1 − H_F(R_i·)), completeness Σ_k ρ_k (1 − H_D(R_·k)) (entropies of
//   the normalised rows/columns after adding 1e-11), informativeness = the trees' train/test
//   accuracies (the code calls them errors; they are accuracies).
// - SAP (Kumar et al. 2018): a linear SVM (C = 0.01, balanced classes) per single code and
//   factor, S = test accuracy; mean over factors of the top-two gap over codes.
// - MCC: mcc_spearman (metrics.h).
// On a generative dataset with an encoder (a sampler of factors, a renderer and a representation):
// - BetaVAE score (Higgins et al. 2017): per point a factor k, two batches of 64 sharing factor k,
//   feature = mean |r1 − r2| over the batch; a logistic regression's train/eval accuracy.
// - FactorVAE score (Kim & Mnih 2018): global variances (ddof 1) of 10,000 codes, dimensions with
//   std >= 0.05 active; per point factor k fixed in a batch of 64, a vote for the argmin of
//   local/global variance over the active dimensions — used, as disentanglement_lib does, as an
//   index into all dimensions (a bug kept for parity); the majority-vote classifier's train/eval
//   accuracy; both 0 when no dimension is active.
//
// The classifiers come from LIBLINEAR and XGBoost (classifiers.h); docs/representation.md
// measures how far that moves the numbers from scikit-learn's.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <random>
#include <string>

namespace robustlab::representation {

/// Discretises each code column into 20 histogram bins as disentanglement_lib does. [N, D] int64.
torch::Tensor histogram_discretize(const torch::Tensor& codes, int64_t bins = 20);
/// sklearn.metrics.mutual_info_score of two label vectors [N] (natural log).
double mutual_info(const torch::Tensor& a, const torch::Tensor& b);
/// MI between every discretised code and every factor: [D, F] float64.
torch::Tensor mutual_info_matrix(const torch::Tensor& discrete_codes, const torch::Tensor& factors);

double mig(const torch::Tensor& factors, const torch::Tensor& codes);
double modularity(const torch::Tensor& factors, const torch::Tensor& codes);

struct TrainTest {
  double train = 0, test = 0;
};
TrainTest explicitness(const torch::Tensor& factors_train, const torch::Tensor& codes_train,
                       const torch::Tensor& factors_test, const torch::Tensor& codes_test);

struct Dci {
  double disentanglement = 0, completeness = 0, informativeness_train = 0, informativeness_test = 0;
  torch::Tensor importances;  ///< R [D, F]
};
Dci dci(const torch::Tensor& factors_train, const torch::Tensor& codes_train, const torch::Tensor& factors_test,
        const torch::Tensor& codes_test);
/// D, C from an importance matrix R [D, F] (what dci computes after the trees).
std::pair<double, double> dci_scores(const torch::Tensor& importances);

double sap(const torch::Tensor& factors_train, const torch::Tensor& codes_train, const torch::Tensor& factors_test,
           const torch::Tensor& codes_test);

/// Checks factors [N, F] (integer classes) and codes [N, D] for a metric; throws naming it.
void check_factors_codes(const char* metric, const torch::Tensor& factors, const torch::Tensor& codes);

/// A generative dataset with a representation: factor classes [n, F] sampled uniformly (distinct
/// dataset points), and the codes [n, D] of the observations of given factors.
struct GenerativeData {
  std::function<torch::Tensor(int64_t n, std::mt19937_64& rng)> sample_factors;
  std::function<torch::Tensor(const torch::Tensor& factors)> codes_of;
  std::vector<int64_t> factor_sizes;
};

struct SampledScore {
  double train_accuracy = 0, eval_accuracy = 0;
};
SampledScore beta_vae_score(const GenerativeData& data, std::mt19937_64& rng, int64_t batch_size = 64,
                            int64_t num_train = 10000, int64_t num_eval = 5000);
SampledScore factor_vae_score(const GenerativeData& data, std::mt19937_64& rng, int64_t batch_size = 64,
                              int64_t num_train = 10000, int64_t num_eval = 5000, int64_t num_variance_estimate = 10000,
                              double prune_threshold = 0.05);

}  // namespace robustlab::representation
