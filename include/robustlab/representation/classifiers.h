// The classifiers the disentanglement metrics train, from well-kept libraries in Debian instead of
// scikit-learn (docs/representation.md says where the numbers differ and by how much):
//
// - LIBLINEAR 2.3 (Fan et al. 2008, JMLR 9; the library scikit-learn's LinearSVC wraps): the SAP
//   score's linear SVMs, set up as LinearSVC's defaults.
// - Multinomial logistic regression by L-BFGS (LibTorch), the model scikit-learn's default
//   LogisticRegression fits, for the BetaVAE score and explicitness (LIBLINEAR offers only
//   one-vs-rest, which is a different model; see LogisticRegression below).
// - XGBoost 1.7 (Chen & Guestrin 2016) for DCI's gradient-boosted trees, set up like sklearn's
//   GradientBoostingClassifier defaults: 100 rounds, depth 3, learning rate 0.1, softmax over the
//   classes, no L2 penalty, exact splits; importances are the total split gain per feature,
//   normalised to sum 1 (sklearn: the total impurity decrease, normalised).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace robustlab::representation {

/// A linear SVM trained by LIBLINEAR as sklearn's LinearSVC defaults train it: squared hinge loss,
/// L2 penalty, the dual coordinate-descent solver, one-vs-rest, intercept as a bias feature of
/// value 1 (regularised), tolerance 1e-4; optionally class_weight="balanced".
class LinearSvm {
 public:
  /// x [N, D] (any float dtype), y [N] integer labels.
  LinearSvm(const torch::Tensor& x, const torch::Tensor& y, double c, bool balanced);
  ~LinearSvm();
  LinearSvm(const LinearSvm&) = delete;
  LinearSvm& operator=(const LinearSvm&) = delete;
  torch::Tensor predict(const torch::Tensor& x) const;  ///< [N] int64

 private:
  struct Model;
  Model* model_ = nullptr;
};

/// sklearn's LogisticRegression() default: a multinomial model with an unpenalised intercept,
/// minimising Σ −log p(y|x) + ||W||²/(2C) by L-BFGS (LibTorch's, strong Wolfe line search, float64)
/// for at most `max_iter` iterations. LIBLINEAR has only one-vs-rest logistic regression, which
/// on ordinal factors (a middle class against the rest is not linearly separable) scored
/// explicitness 2 points lower than scikit-learn; this is the model scikit-learn fits.
class LogisticRegression {
 public:
  LogisticRegression(const torch::Tensor& x, const torch::Tensor& y, double c = 1.0, int64_t max_iter = 100);
  torch::Tensor predict(const torch::Tensor& x) const;        ///< [N] int64 (class values)
  torch::Tensor predict_proba(const torch::Tensor& x) const;  ///< [N, classes] float64, classes() order
  const std::vector<int64_t>& classes() const { return classes_; }

 private:
  torch::Tensor weight_, bias_;  ///< [D, K], [K]
  std::vector<int64_t> classes_;
};

/// Accuracy of predictions against labels.
double accuracy(const torch::Tensor& predicted, const torch::Tensor& labels);

struct BoostedTrees {
  std::vector<double> importances;  ///< per feature, summing to 1 (all 0 when no split was made)
  double train_accuracy = 0, test_accuracy = 0;
};
/// XGBoost multi-class trees on (x_train, y_train), scored on both sets. Labels are integers.
BoostedTrees boosted_trees(const torch::Tensor& x_train, const torch::Tensor& y_train, const torch::Tensor& x_test,
                           const torch::Tensor& y_test);

}  // namespace robustlab::representation
