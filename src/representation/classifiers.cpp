// LIBLINEAR and XGBoost behind the two classifier types the metrics need (see classifiers.h).
// cpu (whole file): LIBLINEAR and XGBoost read host memory.
#include "robustlab/representation/classifiers.h"

#include <linear.h>
#include <torch/torch.h>
#include <xgboost/c_api.h>

#include <algorithm>
#include <map>
#include <string>

#include "robustlab/core/error.h"
#include "robustlab/core/parallel.h"

namespace robustlab::representation {
namespace {

void quiet(const char*) {}

/// Rows of LIBLINEAR feature nodes (1-based indices, dense, then the bias feature, then -1).
struct Rows {
  std::vector<feature_node> nodes;
  std::vector<feature_node*> rows;
  Rows(const torch::Tensor& x_in, double bias) {
    const torch::Tensor x = x_in.to(torch::kFloat64).contiguous();
    const int64_t n = x.size(0), d = x.size(1);
    nodes.resize(static_cast<size_t>(n * (d + 2)));
    auto a = x.accessor<double, 2>();
    for (int64_t i = 0; i < n; ++i) {
      feature_node* row = &nodes[static_cast<size_t>(i * (d + 2))];
      for (int64_t j = 0; j < d; ++j) row[j] = {static_cast<int>(j + 1), a[i][j]};
      row[d] = {static_cast<int>(d + 1), bias};
      row[d + 1] = {-1, 0.0};
      rows.push_back(row);
    }
  }
};

std::vector<int64_t> sorted_classes(const torch::Tensor& y) {
  const torch::Tensor u = std::get<0>(torch::_unique(y.to(torch::kInt64), /*sorted=*/true));
  return std::vector<int64_t>(u.data_ptr<int64_t>(), u.data_ptr<int64_t>() + u.numel());
}

void check_xy(const char* what, const torch::Tensor& x, const torch::Tensor& y) {
  if (x.dim() != 2 || y.dim() != 1 || x.size(0) != y.size(0) || x.size(0) == 0) {
    throw ShapeError(std::string(what) + ": need x [N, D] and labels [N], got " + c10::str(x.sizes()) + " and " +
                     c10::str(y.sizes()));
  }
}

void xgb(int rc, const char* call) {
  if (rc != 0) throw NumericalError(std::string("xgboost: ") + call + " failed: " + XGBGetLastError());
}

}  // namespace

struct LinearSvm::Model {
  model* m = nullptr;
};

LinearSvm::LinearSvm(const torch::Tensor& x, const torch::Tensor& y, double c, bool balanced) : model_(new Model) {
  check_xy("linear svm", x, y);
  set_print_string_function(quiet);
  const std::vector<int64_t> classes = sorted_classes(y);
  const torch::Tensor labels = y.to(torch::kFloat64).contiguous();
  Rows rows(x, 1.0);
  problem prob{};
  prob.l = static_cast<int>(x.size(0));
  prob.n = static_cast<int>(x.size(1) + 1);
  prob.y = labels.data_ptr<double>();
  prob.x = rows.rows.data();
  prob.bias = 1.0;
  parameter param{};
  param.solver_type = L2R_L2LOSS_SVC_DUAL;
  param.eps = 1e-4;
  param.C = c;
  std::vector<int> weight_label;
  std::vector<double> weight;
  if (balanced) {  // n / (classes · n_k)
    const torch::Tensor counts = torch::bincount(y.to(torch::kInt64) - classes.front());
    for (int64_t k : classes) {
      weight_label.push_back(static_cast<int>(k));
      weight.push_back(static_cast<double>(x.size(0)) /
                       (static_cast<double>(classes.size()) * counts[k - classes.front()].item<double>()));
    }
    param.nr_weight = static_cast<int>(weight.size());
    param.weight_label = weight_label.data();
    param.weight = weight.data();
  }
  if (const char* error = check_parameter(&prob, &param)) {
    delete model_;
    throw InvalidArgument(std::string("liblinear: ") + error);
  }
  model_->m = train(&prob, &param);
  model_->m->param.weight_label = nullptr;  // ours, not LIBLINEAR's to free
  model_->m->param.weight = nullptr;
  model_->m->param.nr_weight = 0;
}

LinearSvm::~LinearSvm() {
  if (model_->m) free_and_destroy_model(&model_->m);
  delete model_;
}

torch::Tensor LinearSvm::predict(const torch::Tensor& x) const {
  Rows rows(x, 1.0);
  torch::Tensor out = torch::empty({x.size(0)}, torch::kInt64);
  auto o = out.accessor<int64_t, 1>();
  for (size_t i = 0; i < rows.rows.size(); ++i) o[static_cast<int64_t>(i)] = static_cast<int64_t>(::predict(model_->m, rows.rows[i]));
  return out;
}

LogisticRegression::LogisticRegression(const torch::Tensor& x_in, const torch::Tensor& y, double c, int64_t max_iter) {
  check_xy("logistic regression", x_in, y);
  classes_ = sorted_classes(y);
  const torch::Tensor x = x_in.to(torch::kFloat64);
  const torch::Tensor target = torch::searchsorted(torch::tensor(classes_, torch::kInt64), y.to(torch::kInt64));
  const int64_t k = static_cast<int64_t>(classes_.size());
  weight_ = torch::zeros({x.size(1), k}, torch::kFloat64).requires_grad_();
  bias_ = torch::zeros({k}, torch::kFloat64).requires_grad_();
  // sklearn's objective: the summed cross-entropy plus ||W||²/(2C); gtol 1e-4 as its tol.
  torch::optim::LBFGS optimizer({weight_, bias_}, torch::optim::LBFGSOptions(1.0)
                                                      .max_iter(max_iter)
                                                      .tolerance_grad(1e-4)
                                                      .tolerance_change(1e-12)
                                                      .history_size(10)
                                                      .line_search_fn("strong_wolfe"));
  auto closure = [&] {
    optimizer.zero_grad();
    const torch::Tensor loss =
        torch::cross_entropy_loss(torch::addmm(bias_, x, weight_), target, {}, torch::Reduction::Sum) +
        weight_.square().sum() / (2 * c);
    loss.backward();
    return loss;
  };
  optimizer.step(closure);
  weight_ = weight_.detach();
  bias_ = bias_.detach();
}

torch::Tensor LogisticRegression::predict_proba(const torch::Tensor& x) const {
  return torch::softmax(torch::addmm(bias_, x.to(torch::kFloat64), weight_), 1);
}

torch::Tensor LogisticRegression::predict(const torch::Tensor& x) const {
  return torch::tensor(classes_, torch::kInt64).index_select(0, predict_proba(x).argmax(1));
}

double accuracy(const torch::Tensor& predicted, const torch::Tensor& labels) {
  return predicted.to(torch::kInt64).eq(labels.to(torch::kInt64)).to(torch::kFloat64).mean().item<double>();
}

BoostedTrees boosted_trees(const torch::Tensor& x_train, const torch::Tensor& y_train, const torch::Tensor& x_test,
                           const torch::Tensor& y_test) {
  check_xy("boosted trees", x_train, y_train);
  check_xy("boosted trees", x_test, y_test);
  const std::vector<int64_t> classes = sorted_classes(y_train);
  auto contiguous_labels = [&](const torch::Tensor& y) {  // class value -> 0..K-1 (unknown test classes: -1)
    const torch::Tensor yy = y.to(torch::kInt64).contiguous();
    torch::Tensor out = torch::empty({yy.numel()}, torch::kFloat32);
    for (int64_t i = 0; i < yy.numel(); ++i) {
      const auto it = std::lower_bound(classes.begin(), classes.end(), yy[i].item<int64_t>());
      out[i] = (it != classes.end() && *it == yy[i].item<int64_t>()) ? static_cast<float>(it - classes.begin()) : -1.0f;
    }
    return out;
  };
  const torch::Tensor xtr = x_train.to(torch::kFloat32).contiguous(), xte = x_test.to(torch::kFloat32).contiguous();
  const torch::Tensor ytr = contiguous_labels(y_train), yte = contiguous_labels(y_test);
  const int64_t d = xtr.size(1);
  DMatrixHandle train = nullptr, test = nullptr;
  BoosterHandle booster = nullptr;
  BoostedTrees out;
  try {
    xgb(XGDMatrixCreateFromMat(xtr.data_ptr<float>(), static_cast<bst_ulong>(xtr.size(0)), static_cast<bst_ulong>(d), NAN, &train),
        "XGDMatrixCreateFromMat");
    xgb(XGDMatrixSetFloatInfo(train, "label", ytr.data_ptr<float>(), static_cast<bst_ulong>(ytr.numel())), "labels");
    xgb(XGDMatrixCreateFromMat(xte.data_ptr<float>(), static_cast<bst_ulong>(xte.size(0)), static_cast<bst_ulong>(d), NAN, &test),
        "XGDMatrixCreateFromMat");
    xgb(XGBoosterCreate(&train, 1, &booster), "XGBoosterCreate");
    const std::vector<std::pair<std::string, std::string>> params = {
        {"objective", classes.size() > 2 ? "multi:softprob" : "binary:logistic"},
        {"num_class", std::to_string(classes.size() > 2 ? classes.size() : 1)},
        {"max_depth", "3"}, {"eta", "0.1"}, {"lambda", "0"}, {"min_child_weight", "0"}, {"tree_method", "exact"},
        {"nthread", std::to_string(threads())}, {"seed", "0"}, {"verbosity", "0"}};
    for (const auto& [k, v] : params) {
      if (k == "num_class" && classes.size() <= 2) continue;
      xgb(XGBoosterSetParam(booster, k.c_str(), v.c_str()), "XGBoosterSetParam");
    }
    for (int round = 0; round < 100; ++round) xgb(XGBoosterUpdateOneIter(booster, round, train), "XGBoosterUpdateOneIter");
    auto score = [&](DMatrixHandle m, const torch::Tensor& y) {
      const char* config = R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
      const bst_ulong* shape = nullptr;
      bst_ulong dim = 0;
      const float* result = nullptr;
      xgb(XGBoosterPredictFromDMatrix(booster, m, config, &shape, &dim, &result), "XGBoosterPredictFromDMatrix");
      const int64_t n = y.numel();
      int64_t right = 0;
      for (int64_t i = 0; i < n; ++i) {
        int64_t best;
        if (classes.size() > 2) {
          const float* row = result + i * static_cast<int64_t>(classes.size());
          best = std::max_element(row, row + classes.size()) - row;
        } else {
          best = classes.size() == 2 && result[i] > 0.5f ? 1 : 0;
        }
        right += best == static_cast<int64_t>(y[i].item<float>());
      }
      return static_cast<double>(right) / static_cast<double>(n);
    };
    out.train_accuracy = score(train, ytr);
    out.test_accuracy = score(test, yte);
    bst_ulong n_features = 0, n_dim = 0;
    const char** names = nullptr;
    const bst_ulong* shape = nullptr;
    const float* scores = nullptr;
    xgb(XGBoosterFeatureScore(booster, R"({"importance_type": "total_gain"})", &n_features, &names, &n_dim, &shape, &scores),
        "XGBoosterFeatureScore");
    out.importances.assign(static_cast<size_t>(d), 0.0);
    double total = 0;
    for (bst_ulong k = 0; k < n_features; ++k) {
      const std::string name = names[k];  // "f<index>" (no feature names were given)
      const size_t j = static_cast<size_t>(std::stoll(name.substr(1)));
      if (j < out.importances.size()) out.importances[j] += scores[k];
      total += scores[k];
    }
    if (total > 0)
      for (double& v : out.importances) v /= total;
  } catch (...) {
    if (booster) XGBoosterFree(booster);
    if (train) XGDMatrixFree(train);
    if (test) XGDMatrixFree(test);
    throw;
  }
  XGBoosterFree(booster);
  XGDMatrixFree(train);
  XGDMatrixFree(test);
  return out;
}

}  // namespace robustlab::representation
