// The corruption benchmark and mCE (Hendrycks & Dietterich, ICLR 2019, §3; AlexNet constants from
// google-research/augmix imagenet.py, see ../shared/reference/corruptions.md §3).
#include "robustlab/evaluation/corruptions.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/core/progress.h"
#include "robustlab/corruptions/batch.h"
#include "robustlab/data/npy.h"
#include "robustlab/data/prefetch.h"
#include "robustlab/models/device.h"

namespace robustlab::evaluation {

void CorruptionEvalOptions::set_method(const std::string& name) {
  if (name == "none") {
    adapt = Adapt::kNone;
  } else if (name == "bn") {
    adapt = Adapt::kBn;
  } else if (name == "lame") {
    adapt = Adapt::kLame;
  } else if (name == "ent" || name == "hard-pl" || name == "soft-pl" || name == "rpl") {
    adapt = Adapt::kSelfLearning;
    self_learning.loss = adaptation::parse_loss(name);
    self_learning.adapted = adaptation::Adapted::kBnAffine;
  } else if (name == "cotta") {  // every parameter, as the benchmark's cotta.py
    adapt = Adapt::kSelfLearning;
    self_learning.loss = adaptation::Loss::kCotta;
    self_learning.adapted = adaptation::Adapted::kAll;
  } else if (name == "tent" || name == "eata" || name == "eta" || name == "sar" || name == "rotta" || name == "roid") {
    adapt = Adapt::kSelfLearning;  // the TTA benchmark's methods: every norm layer's affine parameters
    self_learning.loss = adaptation::parse_loss(name == "eta" ? "eata" : name);
    self_learning.adapted = adaptation::Adapted::kNormAffine;
    if (name == "eta") self_learning.fisher_alpha = 0;
    if (name == "eata" && self_learning.fisher_alpha == 0) self_learning.fisher_alpha = adaptation::SelfLearningOptions{}.fisher_alpha;
  } else {
    throw InvalidArgument("unknown adaptation '" + name +
                          "' (known: none, bn, ent, hard-pl, soft-pl, rpl, tent, eta, eata, sar, cotta, rotta, roid, lame)");
  }
}

std::string CorruptionEvalOptions::method() const {
  switch (adapt) {
    case Adapt::kNone: return "none";
    case Adapt::kBn: return "bn";
    case Adapt::kLame: return "lame";
    default:
      if (self_learning.loss == adaptation::Loss::kEata && self_learning.fisher_alpha == 0) return "eta";
      return adaptation::to_string(self_learning.loss);
  }
}

Protocol parse_protocol(const std::string& name) {
  if (name == "reset-each-shift") return Protocol::kResetEachShift;
  if (name == "continual") return Protocol::kContinual;
  if (name == "mixed") return Protocol::kMixed;
  if (name == "correlated") return Protocol::kCorrelated;
  if (name == "gradual") return Protocol::kGradual;
  throw InvalidArgument("unknown protocol '" + name + "' (known: reset-each-shift, continual, mixed, correlated, gradual)");
}

std::string to_string(Protocol protocol) {
  switch (protocol) {
    case Protocol::kResetEachShift: return "reset-each-shift";
    case Protocol::kContinual: return "continual";
    case Protocol::kCorrelated: return "correlated";
    case Protocol::kGradual: return "gradual";
    default: return "mixed";
  }
}

std::vector<int64_t> correlated_order(const std::vector<int64_t>& labels, double delta, uint64_t seed) {
  if (!(delta >= 0)) throw InvalidArgument("correlated: delta must be >= 0");
  std::vector<int64_t> order(labels.size());
  std::iota(order.begin(), order.end(), 0);
  if (labels.empty()) return order;
  if (delta == 0) {
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return labels[a] < labels[b]; });
    return order;
  }
  const int64_t n = static_cast<int64_t>(labels.size());
  const int64_t classes = *std::max_element(labels.begin(), labels.end()) + 1, chunks = classes;
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::vector<int64_t>>> by_chunk;  // chunk -> class -> images
  for (int attempt = 0;; ++attempt) {
    if (attempt == 1000)
      throw InvalidArgument("correlated: no Dirichlet(" + std::to_string(delta) + ") split of " + std::to_string(n) +
                            " images into " + std::to_string(chunks) + " chunks of at least 10 (too few images per class)");
    std::vector<std::vector<int64_t>> chunk(static_cast<size_t>(chunks));
    by_chunk.assign(static_cast<size_t>(chunks), std::vector<std::vector<int64_t>>(static_cast<size_t>(classes)));
    for (int64_t k = 0; k < classes; ++k) {
      std::vector<int64_t> members;
      for (int64_t i = 0; i < n; ++i)
        if (labels[static_cast<size_t>(i)] == k) members.push_back(i);
      std::shuffle(members.begin(), members.end(), rng);
      std::vector<double> p(static_cast<size_t>(chunks));
      double sum = 0;
      for (auto& v : p) sum += (v = std::gamma_distribution<double>(delta, 1.0)(rng));
      if (sum == 0) p[std::uniform_int_distribution<size_t>(0, p.size() - 1)(rng)] = sum = 1;  // delta -> 0
      for (auto& v : p) v /= sum;
      double balanced = 0;  // chunks that hold N/C images already get none
      for (size_t j = 0; j < p.size(); ++j) {
        if (static_cast<double>(chunk[j].size()) >= static_cast<double>(n) / static_cast<double>(chunks)) p[j] = 0;
        balanced += p[j];
      }
      if (balanced > 0)
        for (auto& v : p) v /= balanced;
      double cumulative = 0;
      size_t from = 0;
      for (size_t j = 0; j < p.size(); ++j) {
        cumulative += p[j];
        const size_t to = j + 1 == p.size() ? members.size()
                                            : std::min(members.size(), static_cast<size_t>(cumulative * static_cast<double>(members.size())));
        for (size_t m = from; m < to; ++m) {  // cumulative only grows, so to >= from
          chunk[j].push_back(members[m]);
          by_chunk[j][static_cast<size_t>(k)].push_back(members[m]);
        }
        from = to;
      }
    }
    size_t smallest = chunk[0].size();
    for (const auto& c : chunk) smallest = std::min(smallest, c.size());
    if (smallest >= 10) break;
  }
  order.clear();
  for (auto& chunk : by_chunk) {
    std::vector<int64_t> class_order(static_cast<size_t>(classes));
    std::iota(class_order.begin(), class_order.end(), 0);
    std::shuffle(class_order.begin(), class_order.end(), rng);
    for (int64_t k : class_order) order.insert(order.end(), chunk[static_cast<size_t>(k)].begin(), chunk[static_cast<size_t>(k)].end());
  }
  return order;
}

void CorruptionEvalOptions::validate() const {
  for (const auto& name : corruptions) corruptions::find(name);
  for (int s : severities)
    if (s < 1 || s > 5) throw InvalidArgument("severity " + std::to_string(s) + " is outside 1..5");
  if (batch_size < 1) throw InvalidArgument("batch size must be >= 1, got " + std::to_string(batch_size));
  if (epochs < 1) throw InvalidArgument("epochs must be >= 1, got " + std::to_string(epochs));
  if (window < 1) throw InvalidArgument("the sliding window must hold >= 1 image, got " + std::to_string(window));
  if (window > 1 && batch_size != 1)
    throw InvalidArgument("the sliding window is for batch size 1 (got batch size " + std::to_string(batch_size) + ")");
  bn.validate();
  lame.validate();
  if (adapt == Adapt::kSelfLearning) self_learning.validate();
  if (!(dirichlet >= 0) || !std::isfinite(dirichlet))
    throw InvalidArgument("the Dirichlet concentration must be >= 0, got " + std::to_string(dirichlet));
  if (first < 0 || (last >= 0 && last < first))
    throw InvalidArgument("the image range [" + std::to_string(first) + ", " + std::to_string(last) + ") is negative or empty");
  if (combine || first > 0 || last >= 0) require_shardable();
  if (!done.empty() && !resumable())
    throw InvalidArgument("a " + to_string(protocol) + " " + method() +
                          " stream cannot resume: its state depends on every earlier condition");
}

void CorruptionEvalOptions::require_shardable() const {
  const bool online = adapt == Adapt::kSelfLearning && !self_learning.batches_independent();
  if (online || protocol != Protocol::kResetEachShift || window > 1)
    throw InvalidArgument(method() + " under " + to_string(protocol) +
                          " adapts along one stream: it runs on one rank (sharding takes none, bn or lame, or --episodic "
                          "ent, tent, rpl, hard-pl, soft-pl or sar, under reset-each-shift)");
}

bool CorruptionEvalOptions::resumable() const {
  if (adapt != Adapt::kNone && protocol == Protocol::kMixed) return false;  // one stream over every condition
  if (adapt != Adapt::kNone && window > 1) return false;  // the window carries images across conditions
  return !(adapt == Adapt::kSelfLearning && (protocol == Protocol::kContinual || protocol == Protocol::kCorrelated ||
                                             protocol == Protocol::kGradual));
}

StreamPredictor::StreamPredictor(Classifier& model, const CorruptionEvalOptions& options)
    : model_(model), options_(options) {
  if (options.adapt == Adapt::kSelfLearning)
    learner_ = std::make_unique<adaptation::SelfLearner>(model, options.self_learning);
  else
    model.set_training(false);
}

torch::Tensor StreamPredictor::predict_only(const torch::Tensor& x) {
  if (learner_) return learner_->predict(x);
  if (options_.adapt == Adapt::kBn) return adaptation::predict_bn_adapted(model_, x, options_.bn);
  if (options_.adapt == Adapt::kLame) return adaptation::predict_lame(model_, x, options_.lame);
  torch::NoGradGuard no_grad;
  return model_.forward(x);
}

torch::Tensor StreamPredictor::predict(const torch::Tensor& input) {
  const torch::Tensor x = to_device(input, model_.device());
  const int64_t length = options_.window;
  if (length == 1 || x.size(0) != 1) return learner_ ? learner_->step(x) : predict_only(x);
  // The sliding window: the buffer grows to `length` images, then the oldest is overwritten; the
  // method adapts on the full buffer when the pointer reaches its end, and the buffer carries on
  // into the next condition as the benchmark's does.
  if (!window_.defined())
    window_ = x.clone();
  else if (window_.size(0) < length)
    window_ = torch::cat({window_, x});
  else
    window_[pointer_].copy_(x[0]);
  const bool update = pointer_ == length - 1;
  const torch::Tensor logits = update && learner_ ? learner_->step(window_) : predict_only(window_);
  const torch::Tensor out = logits.narrow(0, pointer_, 1);
  pointer_ = (pointer_ + 1) % length;
  return out;
}

CorruptionError error_on(Classifier& model, const DatasetPtr& data, const CorruptionEvalOptions& options,
                         StreamPredictor* predictor, Progress* progress) {
  std::unique_ptr<StreamPredictor> own;
  if (!predictor) {
    own = std::make_unique<StreamPredictor>(model, options);
    predictor = own.get();
  }
  int64_t wrong = 0;
  const int64_t first = std::min(options.first, data->size());
  const int64_t end = options.last < 0 ? data->size() : std::min(options.last, data->size());
  const int64_t n = end - first;
  const int64_t batches = n > 0 ? (n + options.batch_size - 1) / options.batch_size : 0;
  const int64_t depth = options.prefetch >= 0 ? options.prefetch : model.device().is_cpu() ? 0 : 2;
  auto batch_at = [&](int64_t k) {
    std::vector<int64_t> indices;
    for (int64_t i = first + k * options.batch_size; i < std::min(end, first + (k + 1) * options.batch_size); ++i)
      indices.push_back(i);
    return data->get_batch(indices);
  };
  // Self-learning over several passes (the papers' transductive protocol): the earlier passes only
  // adapt; the errors are those of the last pass, each batch still predicted before its update.
  const int64_t passes = predictor->learner() ? options.epochs : 1;
  for (int64_t pass = 1; pass <= passes; ++pass) {
    BatchPrefetcher prefetched(batches, batch_at, depth);
    for (int64_t k = 0; k < batches; ++k) {
      const Batch batch = prefetched.next();
      if (progress) progress->advance(batch.size());
      const torch::Tensor logits = predictor->predict(batch.x);
      if (pass == passes) wrong += logits.argmax(1).cpu().ne(batch.y).sum().item<int64_t>();
    }
  }
  return {"clean", 0, n > 0 ? static_cast<double>(wrong) / static_cast<double>(n) : 0.0, n};
}

namespace {

/// EATA's clean source samples: the first fisher_samples images of the clean data, in batches.
std::vector<torch::Tensor> source_batches(const DatasetPtr& clean, const CorruptionEvalOptions& options) {
  if (!clean || clean->size() == 0)
    throw InvalidArgument("eata: the Fisher regulariser needs clean images (the --dataset); use eta without it");
  const BatchLoader loader(make_subset(clean, {.limit = options.self_learning.fisher_samples}),
                           {.batch_size = options.batch_size});
  std::vector<torch::Tensor> batches;
  for (int64_t b = 0; b < loader.num_batches(); ++b) batches.push_back(loader.batch(b).x);
  return batches;
}

/// The mixed-domain protocol: every condition's images in one stream, shuffled with the seed, in
/// batches that mix corruptions; the errors are then counted per condition.
std::vector<CorruptionError> mixed_stream(
    const CorruptionEvalOptions& options, StreamPredictor& predictor,
    const std::function<DatasetPtr(const std::string& name, int severity)>& dataset_for) {
  std::vector<CorruptionError> conditions;
  std::vector<DatasetPtr> datasets;
  std::vector<std::pair<int64_t, int64_t>> stream;  // (condition, index in it)
  for (const auto& name : options.corruptions)
    for (int severity : options.severities) {
      const DatasetPtr data = dataset_for(name, severity);
      if (!data) continue;
      for (int64_t i = 0; i < data->size(); ++i) stream.emplace_back(static_cast<int64_t>(datasets.size()), i);
      conditions.push_back({name, severity, 0, data->size()});
      datasets.push_back(data);
    }
  std::mt19937_64 rng(options.seed);
  std::shuffle(stream.begin(), stream.end(), rng);
  std::vector<int64_t> wrong(datasets.size(), 0);
  Progress progress("mixed stream", static_cast<int64_t>(stream.size()));
  for (size_t start = 0; start < stream.size(); start += static_cast<size_t>(options.batch_size)) {
    const size_t end = std::min(stream.size(), start + static_cast<size_t>(options.batch_size));
    std::vector<torch::Tensor> images;
    std::vector<int64_t> labels;
    for (size_t k = start; k < end; ++k) {
      const Example e = datasets[static_cast<size_t>(stream[k].first)]->get(stream[k].second);
      images.push_back(e.image);
      labels.push_back(e.label);
    }
    const torch::Tensor wrong_now =
        // cpu: the predictions come back to the host labels
        predictor.predict(torch::stack(images)).argmax(1).cpu().ne(torch::tensor(labels)).contiguous();
    const auto is_wrong = wrong_now.accessor<bool, 1>();
    for (size_t k = start; k < end; ++k) wrong[static_cast<size_t>(stream[k].first)] += is_wrong[static_cast<int64_t>(k - start)];
    progress.advance(static_cast<int64_t>(end - start));
  }
  progress.finish();
  if (predictor.learner() && predictor.learner()->stopped())
    log_warning("mixed stream: ", predictor.learner()->reason());
  for (size_t c = 0; c < conditions.size(); ++c)
    conditions[c].error = conditions[c].count > 0 ? static_cast<double>(wrong[c]) / static_cast<double>(conditions[c].count) : 0;
  return conditions;
}

// The loop shared by the on-the-fly and on-disk benchmarks: the clean error (when `clean` is
// given), then every corruption and severity whose dataset `dataset_for` provides (null: skip),
// with one self-learner reset before each under reset-each-shift. `clean_order`: the conditions
// hold the clean images in the clean order (on the fly), so their labels come from `clean`.
std::vector<CorruptionError> run_conditions(
    Classifier& model, const DatasetPtr& clean, bool clean_order, const CorruptionEvalOptions& options,
    const std::string& label,
    const std::function<DatasetPtr(const std::string& name, int severity)>& dataset_for,
    const std::function<void(const CorruptionError&)>& on_result) {
  std::vector<CorruptionError> results;
  // The gradual protocol's severity sequence; the others take the severities as given.
  std::vector<int> severities = options.severities;
  if (options.protocol == Protocol::kGradual && severities.size() == 1) severities = {1, 2, 3, 4, 5, 4, 3, 2, 1};
  Progress progress(label + " " + options.method(),
                    static_cast<int64_t>(options.corruptions.size() * severities.size()) +
                        (clean && options.measure_clean ? 1 : 0));
  StreamPredictor predictor(model, options);
  adaptation::SelfLearner* learner = predictor.learner();
  if (learner && learner->needs_fisher()) learner->estimate_fisher(source_batches(clean, options));
  // A shard's error as the error over every rank's images (resumed conditions are already).
  auto combined = [&](const CorruptionError& e) { return options.combine ? options.combine(e) : e; };
  auto record = [&](const CorruptionError& e) {
    results.push_back(e);
    if (on_result) on_result(e);
    progress.advance();
  };
  auto measured = [&](const std::string& name, int severity) -> const CorruptionError* {
    for (const CorruptionError& e : options.done)
      if (e.corruption == name && e.severity == severity) return &e;
    return nullptr;
  };
  if (clean && options.measure_clean) {
    const CorruptionError* before = measured("clean", 0);
    record(before ? *before : combined(error_on(model, clean, options, &predictor)));
  }
  std::vector<int64_t> order;  // the correlated protocol's order of the current condition
  if (options.protocol == Protocol::kMixed) {
    if (learner) learner->reset();
    for (const CorruptionError& e : mixed_stream(options, predictor, dataset_for)) record(e);
    return results;
  }
  for (const auto& name : options.corruptions)
    for (int severity : severities) {
      if (const CorruptionError* before = measured(name, severity)) {
        record(*before);
        continue;
      }
      DatasetPtr data = dataset_for(name, severity);
      if (!data) continue;
      if (options.protocol == Protocol::kCorrelated) {
        // The on-the-fly conditions keep the clean images' order, so one order serves them all.
        if (!clean_order || !clean || order.empty()) {
          std::vector<int64_t> labels;
          const Dataset& source = clean_order && clean ? *clean : *data;
          for (int64_t i = 0; i < data->size(); ++i) labels.push_back(source.get(i).label);
          order = correlated_order(labels, options.dirichlet, options.seed);
        }
        data = std::make_shared<SubsetDataset>(data, order);
      }
      if (learner && options.protocol == Protocol::kResetEachShift) learner->reset();
      CorruptionError e = error_on(model, data, options, &predictor);
      if (learner && learner->stopped()) log_warning(name, " severity ", severity, ": ", learner->reason());
      e.corruption = name;
      e.severity = severity;
      record(combined(e));
    }
  return results;
}

}  // namespace

std::vector<CorruptionError> evaluate_corruptions(Classifier& model, const DatasetPtr& clean,
                                                  const CorruptionEvalOptions& options,
                                                  const std::function<void(const CorruptionError&)>& on_result) {
  options.validate();
  return run_conditions(
      model, clean, /*clean_order=*/true, options, "corruptions",
      [&](const std::string& name, int severity) -> DatasetPtr {
        return std::make_shared<corruptions::CorruptedDataset>(clean, name, severity, options.seed, options.corruption);
      },
      on_result);
}

std::vector<std::string> missing_corrupted_folders(const std::filesystem::path& root,
                                                   const CorruptionEvalOptions& options) {
  std::vector<std::string> missing;
  const bool npy = std::filesystem::exists(root / "labels.npy");  // CIFAR-10-C / CIFAR-100-C
  for (const auto& name : options.corruptions) {
    if (npy) {
      if (!std::filesystem::exists(root / (name + ".npy"))) missing.push_back(name + ".npy");
      continue;
    }
    for (int severity : options.severities)
      if (!std::filesystem::is_directory(root / name / std::to_string(severity)))
        missing.push_back(name + "/" + std::to_string(severity));
  }
  return missing;
}

std::vector<CorruptionError> evaluate_corrupted_folder(Classifier& model, const std::filesystem::path& root,
                                                       const DatasetPtr& clean, const CorruptionEvalOptions& options,
                                                       const ImageTransform& transform,
                                                       const std::optional<std::filesystem::path>& class_list,
                                                       bool strict,
                                                       const std::function<void(const CorruptionError&)>& on_result) {
  options.validate();
  if (!std::filesystem::is_directory(root))
    throw IoError("corrupted folder '" + root.string() + "' does not exist");
  const std::vector<std::string> missing = missing_corrupted_folders(root, options);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    if (strict) throw InvalidArgument("missing in '" + root.string() + "': " + list);
    log_warning("missing in ", root.string(), " (skipped): ", list);
  }
  const bool npy = std::filesystem::exists(root / "labels.npy");
  const torch::Tensor labels = npy ? read_npy_u8(root / "labels.npy") : torch::Tensor();
  std::string loaded;  // the CIFAR-C corruption whose images are in memory (all 5 severities)
  torch::Tensor images;
  return run_conditions(
      model, clean, /*clean_order=*/false, options, "corrupted folder",
      [&](const std::string& name, int severity) -> DatasetPtr {
        if (!npy) {
          const auto dir = root / name / std::to_string(severity);
          return std::filesystem::is_directory(dir) ? std::make_shared<ImageFolder>(dir, transform, class_list) : nullptr;
        }
        const auto file = root / (name + ".npy");
        if (!std::filesystem::exists(file)) return nullptr;
        if (loaded != name) {
          images = read_npy_u8(file);
          loaded = name;
        }
        return cifar_c_severity(images, labels, severity, name);
      },
      on_result);
}

const std::map<std::string, double>& alexnet_errors() {
  static const std::map<std::string, double> errors = {
      {"gaussian_noise", 0.886428}, {"shot_noise", 0.894468},        {"impulse_noise", 0.922640},
      {"defocus_blur", 0.819880},   {"glass_blur", 0.826268},        {"motion_blur", 0.785948},
      {"zoom_blur", 0.798360},      {"snow", 0.866816},              {"frost", 0.826572},
      {"fog", 0.819324},            {"brightness", 0.564592},        {"contrast", 0.853204},
      {"elastic_transform", 0.646056}, {"pixelate", 0.717840},       {"jpeg_compression", 0.606500}};
  return errors;
}

std::map<std::string, double> mean_errors(const std::vector<CorruptionError>& errors) {
  std::map<std::string, std::pair<double, int>> sums;
  for (const auto& e : errors) {
    if (e.corruption == "clean") continue;
    sums[e.corruption].first += e.error;
    sums[e.corruption].second += 1;
  }
  std::map<std::string, double> means;
  for (const auto& [name, sum] : sums) means[name] = sum.first / sum.second;
  return means;
}

CeSummary summarize(const std::vector<CorruptionError>& errors, const std::map<std::string, double>& baseline,
                    double baseline_clean_error) {
  CeSummary s;
  for (const auto& e : errors)
    if (e.corruption == "clean") s.clean_error = e.error;
  s.mean_error = mean_errors(errors);
  double ce_sum = 0, rce_sum = 0;
  for (const auto& [name, error] : s.mean_error) {
    const auto it = baseline.find(name);
    if (it == baseline.end() || !corruptions::find(name).benchmark) continue;
    s.ce[name] = error / it->second;
    s.relative_ce[name] = (error - s.clean_error) / (it->second - baseline_clean_error);
    ce_sum += s.ce[name];
    rce_sum += s.relative_ce[name];
    ++s.corruptions;
  }
  if (s.corruptions > 0) {
    s.mce = ce_sum / s.corruptions;
    s.relative_mce = rce_sum / s.corruptions;
  }
  return s;
}

}  // namespace robustlab::evaluation
