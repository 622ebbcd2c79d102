// Self-learning at test time: ENT (Wang et al., arXiv:2006.10726), hard/soft pseudo-labels and RPL
// with the generalised cross-entropy (Zhang & Sabuncu 2018) as in Rusak et al., arXiv:2104.12928;
// see ../shared/reference/tta.md §2. The adapted parameters are the normalisation layers' affine
// parameters by default, with the layers normalising by batch statistics (BN adaptation).
// The TTA benchmark's methods (TENT, ETA/EATA, SAR, CoTTA, RoTTA, ROID) and their sources are
// listed in self_learning.h.
#include "robustlab/adaptation/self_learning.h"

#include <cmath>
#include <functional>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "robustlab/adaptation/augment.h"
#include "robustlab/adaptation/bn.h"

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"

namespace robustlab::adaptation {

Loss parse_loss(const std::string& name) {
  if (name == "ent") return Loss::kEntropy;
  if (name == "hard-pl") return Loss::kHardPseudoLabel;
  if (name == "soft-pl") return Loss::kSoftPseudoLabel;
  if (name == "rpl") return Loss::kRobustPseudoLabel;
  if (name == "tent") return Loss::kTent;
  if (name == "eata") return Loss::kEata;
  if (name == "sar") return Loss::kSar;
  if (name == "cotta") return Loss::kCotta;
  if (name == "rotta") return Loss::kRotta;
  if (name == "roid") return Loss::kRoid;
  throw InvalidArgument("unknown self-learning loss '" + name +
                        "' (known: ent, hard-pl, soft-pl, rpl, tent, eata, sar, cotta, rotta, roid)");
}

std::string to_string(Loss loss) {
  switch (loss) {
    case Loss::kEntropy: return "ent";
    case Loss::kHardPseudoLabel: return "hard-pl";
    case Loss::kSoftPseudoLabel: return "soft-pl";
    case Loss::kTent: return "tent";
    case Loss::kEata: return "eata";
    case Loss::kSar: return "sar";
    case Loss::kCotta: return "cotta";
    case Loss::kRotta: return "rotta";
    case Loss::kRoid: return "roid";
    default: return "rpl";
  }
}

Adapted parse_adapted(const std::string& name) {
  if (name == "bn-affine") return Adapted::kBnAffine;
  if (name == "norm-affine") return Adapted::kNormAffine;
  if (name == "all") return Adapted::kAll;
  throw InvalidArgument("unknown parameter set '" + name + "' to adapt (known: bn-affine, norm-affine, all)");
}

bool SelfLearningOptions::batches_independent() const {
  if (!episodic) return false;
  switch (loss) {
    case Loss::kEntropy:
    case Loss::kHardPseudoLabel:
    case Loss::kSoftPseudoLabel:
    case Loss::kRobustPseudoLabel:
    case Loss::kTent:
    case Loss::kSar: return true;
    default: return false;
  }
}

void SelfLearningOptions::validate() const {
  if (!(q > 0 && q <= 1)) throw InvalidArgument("self-learning: q must be in (0, 1], got " + std::to_string(q));
  if (!(lr > 0) || !std::isfinite(lr)) throw InvalidArgument("self-learning: lr must be > 0, got " + std::to_string(lr));
  if (optimizer != "sgd" && optimizer != "adam")
    throw InvalidArgument("self-learning: optimizer must be sgd or adam, got '" + optimizer + "'");
  if (steps_per_batch < 1) throw InvalidArgument("self-learning: steps per batch must be >= 1");
  if (teacher_interval < 1) throw InvalidArgument("self-learning: teacher interval must be >= 1");
  if (!(entropy_margin > 0) || !(diversity_margin > 0) || !(fisher_alpha >= 0) || fisher_samples < 1 || !(sam_rho >= 0) ||
      !std::isfinite(reset_entropy))
    throw InvalidArgument("self-learning: need entropy and diversity margins > 0, fisher alpha >= 0, fisher samples >= 1, "
                          "rho >= 0 and a finite reset entropy");
  if (!(ema_momentum >= 0 && ema_momentum <= 1) || !(restore_probability >= 0 && restore_probability <= 1) ||
      !(source_momentum >= 0 && source_momentum <= 1) || !(probability_momentum >= 0 && probability_momentum <= 1) ||
      !std::isfinite(confidence_threshold) || augmentations < 1 || memory_size < 1 ||
      !(robust_bn_alpha > 0 && robust_bn_alpha <= 1) || !(temperature > 0) || !std::isfinite(temperature))
    throw InvalidArgument("self-learning: need momenta and the restore probability in [0, 1], a finite confidence "
                          "threshold, >= 1 augmentation, a memory of >= 1, alpha in (0, 1] and a temperature > 0");
  if (loss == Loss::kRotta && steps_per_batch != 1)
    throw InvalidArgument("self-learning: rotta updates every memory-size images, not per batch (steps per batch 1)");
  if ((loss == Loss::kEata || loss == Loss::kSar || loss == Loss::kCotta || loss == Loss::kRotta ||
       loss == Loss::kRoid) && teacher_interval != 1)
    throw InvalidArgument("self-learning: " + to_string(loss) + " has no teacher copy (teacher interval 1)");
  if (loss == Loss::kSoftPseudoLabel && teacher_interval == 1)
    throw InvalidArgument("self-learning: soft pseudo-labels need a teacher copy (teacher interval > 1); from the "
                          "student's own forward pass their gradient is zero");
}

namespace {

/// Per-sample entropy of softmax(logits).
torch::Tensor entropies(const torch::Tensor& logits) {
  return -(torch::softmax(logits, 1) * torch::log_softmax(logits, 1)).sum(1);
}

/// SAR leaves the top layers alone: ResNets' layer4 and ViT-B's last three blocks and final norm.
bool sar_skips(const std::string& name) {
  for (const char* part : {"layer4", "blocks.9", "blocks.10", "blocks.11", "norm."})
    if (name.find(part) != std::string::npos) return true;
  return name == "norm";
}

}  // namespace

torch::Tensor entropy_loss(const torch::Tensor& logits) { return entropies(logits).mean(); }

torch::Tensor gce_loss(const torch::Tensor& logits, const torch::Tensor& labels, double q) {
  const torch::Tensor p = torch::softmax(logits, 1).gather(1, labels.unsqueeze(1)).squeeze(1);
  return ((1 - p.pow(q)) / q).mean();
}

SelfLearner::SelfLearner(Classifier& model, SelfLearningOptions options)
    : model_(model), options_(std::move(options)), was_training_(model.is_training()),
      generator_(at::detail::createCPUGenerator(options_.seed)) {
  options_.validate();
  norms_ = model_.norm_layers();
  const auto all = model_.parameters();
  for (const auto& p : all) requires_grad_.push_back(p.requires_grad());
  if (options_.adapted == Adapted::kAll) {
    params_ = all;
  } else {
    for (const NormLayer& l : norms_) {
      if (options_.adapted == Adapted::kBnAffine && l.kind != NormLayer::Kind::kBatchNorm) continue;
      if (options_.loss == Loss::kSar && sar_skips(l.name)) continue;
      for (const auto& t : {l.weight, l.bias})
        if (t.defined()) params_.push_back(t);
    }
  }
  if (params_.empty())
    throw InvalidArgument("self-learning: " + model_.description() + " has no " +
                          (options_.adapted == Adapted::kBnAffine ? "batch-norm affine parameters"
                                                                  : "normalisation affine parameters") +
                          " to adapt (try --adapt-params norm-affine or all)");
  torch::NoGradGuard no_grad;
  for (const auto& p : params_) initial_.push_back(p.detach().clone());
  for (const NormLayer& l : norms_)
    for (const auto& t : {l.running_mean, l.running_var})
      if (t.defined()) buffers_.push_back(t.detach().clone());
  // Only the adapted parameters take gradients.
  for (auto p : all) p.requires_grad_(false);
  for (auto p : params_) p.requires_grad_(true);
  make_optimizer();
  reset_teacher();
}

void SelfLearner::reset_teacher() {
  const bool ema = options_.loss == Loss::kCotta || options_.loss == Loss::kRotta;
  if (options_.teacher_interval > 1 || ema) {
    teacher_.clear();
    for (const auto& t : initial_) teacher_.push_back(t.clone());
  }
  if (options_.loss == Loss::kRotta) {
    teacher_statistics_.clear();
    for (const auto& t : buffers_) teacher_statistics_.push_back(t.clone());
    memory_.reset();
    seen_ = 0;
  }
  class_probabilities_ = torch::Tensor();
}

void SelfLearner::make_optimizer() {
  if (options_.optimizer == "adam")
    optimizer_ = std::make_unique<torch::optim::Adam>(params_, torch::optim::AdamOptions(options_.lr));
  else  // SAR's SAM wraps plain SGD with momentum (the benchmark's sar.py); the others use Nesterov
    optimizer_ = std::make_unique<torch::optim::SGD>(
        params_, torch::optim::SGDOptions(options_.lr).momentum(0.9).nesterov(options_.loss != Loss::kSar));
}

SelfLearner::~SelfLearner() {
  try {
    reset();
    auto all = model_.parameters();
    for (size_t i = 0; i < all.size() && i < requires_grad_.size(); ++i) all[i].requires_grad_(requires_grad_[i]);
    model_.set_training(was_training_);
  } catch (...) {  // a destructor must not throw; the model is then left adapted
  }
}

void SelfLearner::reset() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) params_[i].copy_(initial_[i]);
  restore_statistics();
  make_optimizer();  // fresh momentum / moment estimates
  reset_teacher();
  steps_ = 0;
  last_finite_.clear();
  reason_.clear();
  entropy_ema_.reset();  // SAR's recovery state; EATA's p̄ survives, as in the benchmark
}

void SelfLearner::restore_statistics() { set_statistics(buffers_); }

std::vector<torch::Tensor> SelfLearner::statistics() const {
  std::vector<torch::Tensor> out;
  for (const NormLayer& l : norms_)
    for (const auto& t : {l.running_mean, l.running_var})
      if (t.defined()) out.push_back(t.detach().clone());
  return out;
}

void SelfLearner::set_statistics(const std::vector<torch::Tensor>& values) {
  torch::NoGradGuard no_grad;
  size_t b = 0;
  for (NormLayer& l : norms_)
    for (auto t : {l.running_mean, l.running_var})
      if (t.defined()) t.copy_(values[b++]);
}

double SelfLearner::entropy_threshold(int64_t classes) const {
  return options_.entropy_margin * std::log(static_cast<double>(classes));
}

void SelfLearner::set_norm_training(bool training) {
  model_.set_training(false);
  for (NormLayer& l : norms_)
    if (l.set_training) l.set_training(training);
}

void SelfLearner::descend(const torch::Tensor& loss) {
  optimizer_->zero_grad();
  loss.backward();
  optimizer_->step();
  ++steps_;
}

void SelfLearner::with_weights(const std::vector<torch::Tensor>& weights, const std::function<void()>& body) {
  // Swapped in and out around `body` (before any student pass whose graph must not see it).
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> student;
  for (size_t i = 0; i < params_.size(); ++i) {
    student.push_back(params_[i].detach().clone());
    params_[i].copy_(weights[i]);
  }
  body();
  for (size_t i = 0; i < params_.size(); ++i) params_[i].copy_(student[i]);
}

std::vector<torch::Tensor> SelfLearner::forward_with(const std::vector<torch::Tensor>& weights,
                                                     const std::vector<torch::Tensor>& inputs, bool batch_statistics) {
  std::vector<torch::Tensor> logits;
  with_weights(weights, [&] {
    set_norm_training(batch_statistics);
    for (const torch::Tensor& x : inputs) logits.push_back(model_.forward(x));  // one batch at a time (batch statistics)
    set_norm_training(true);
  });
  return logits;
}

torch::Tensor SelfLearner::teacher_logits(const torch::Tensor& x) {
  return forward_with(teacher_, {x}, /*batch_statistics=*/false)[0];  // the teacher uses the source statistics
}

torch::Tensor SelfLearner::loss(const torch::Tensor& logits, const torch::Tensor& teacher) {
  const torch::Tensor t = teacher.defined() ? teacher : logits.detach();
  switch (options_.loss) {
    case Loss::kEntropy:
    case Loss::kTent: return entropy_loss(logits);
    case Loss::kEata: return eata_loss(logits);
    case Loss::kHardPseudoLabel: return torch::nn::functional::cross_entropy(logits, t.argmax(1));
    case Loss::kSoftPseudoLabel: return -(torch::softmax(t, 1) * torch::log_softmax(logits, 1)).sum(1).mean();
    default: return gce_loss(logits, t.argmax(1), options_.q);
  }
}

torch::Tensor SelfLearner::predict(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  if (options_.loss == Loss::kCotta) return forward_with(teacher_, {x}, /*batch_statistics=*/true)[0];
  if (options_.loss == Loss::kRotta) {
    const std::vector<torch::Tensor> student = statistics();
    set_statistics(teacher_statistics_);
    const torch::Tensor logits = forward_with(teacher_, {x}, /*batch_statistics=*/false)[0];
    set_statistics(student);
    return logits;
  }
  set_norm_training(true);
  return model_.forward(x).detach();
}

torch::Tensor SelfLearner::step(const torch::Tensor& x) {
  if (options_.episodic) reset();
  set_norm_training(true);
  if (stopped()) return predict(x);
  if (options_.loss == Loss::kRotta) return rotta_step(x);
  if (options_.loss == Loss::kCotta || options_.loss == Loss::kRoid) {
    torch::Tensor predictions;
    for (int64_t s = 0; s < options_.steps_per_batch && !stopped(); ++s) {
      const torch::Tensor out = options_.loss == Loss::kCotta ? cotta_step(x) : roid_step(x);
      if (s == 0) predictions = out;
    }
    return predictions;
  }
  torch::Tensor predictions;
  for (int64_t s = 0; s < options_.steps_per_batch; ++s) {
    const bool copy_teacher = options_.teacher_interval > 1 && options_.loss != Loss::kEntropy;
    const torch::Tensor teacher = copy_teacher ? teacher_logits(x) : torch::Tensor();
    const torch::Tensor logits = model_.forward(x);
    if (s == 0) predictions = logits.detach();
    if (options_.loss == Loss::kSar) {
      if (!sar_update(x, logits)) break;
      continue;
    }
    const torch::Tensor value = loss(logits, teacher);
    if (!value.defined()) continue;  // EATA kept no sample: no update
    if (!check_finite(value)) break;
    descend(value);
    if (options_.teacher_interval > 1 && steps_ % options_.teacher_interval == 0) {
      torch::NoGradGuard no_grad;
      for (size_t i = 0; i < params_.size(); ++i) teacher_[i] = params_[i].detach().clone();
    }
  }
  return predictions;
}

bool SelfLearner::check_finite(const torch::Tensor& value) {
  torch::NoGradGuard no_grad;
  if (!std::isfinite(value.item<double>())) {
    for (size_t i = 0; i < last_finite_.size(); ++i) params_[i].copy_(last_finite_[i]);
    reason_ = "non-finite " + to_string(options_.loss) + " loss at step " + std::to_string(steps_ + 1) +
              "; adaptation stopped and the weights of the last finite step restored";
    log_warning(reason_);
    return false;
  }
  last_finite_.clear();
  for (const auto& p : params_) last_finite_.push_back(p.detach().clone());
  return true;
}

void SelfLearner::estimate_fisher(const std::vector<torch::Tensor>& source_batches) {
  if (source_batches.empty()) throw InvalidArgument("eata: the Fisher regulariser needs at least one clean batch");
  set_norm_training(true);
  std::vector<torch::Tensor> sums(params_.size());
  for (const torch::Tensor& x : source_batches) {
    for (auto& p : params_) p.mutable_grad() = torch::Tensor();
    const torch::Tensor logits = model_.forward(x);
    torch::nn::functional::cross_entropy(logits, logits.argmax(1)).backward();
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params_.size(); ++i) {
      const torch::Tensor g = params_[i].grad().defined() ? params_[i].grad().square() : torch::zeros_like(params_[i]);
      sums[i] = sums[i].defined() ? sums[i] + g : g;
    }
  }
  torch::NoGradGuard no_grad;
  fisher_.clear();
  anchors_.clear();
  for (size_t i = 0; i < params_.size(); ++i) {
    params_[i].mutable_grad() = torch::Tensor();
    fisher_.push_back(sums[i] / static_cast<double>(source_batches.size()));
    anchors_.push_back(params_[i].detach().clone());
  }
  restore_statistics();  // the source passes must not move the stored statistics
}

torch::Tensor SelfLearner::eata_loss(const torch::Tensor& logits) {
  if (needs_fisher())
    throw InvalidArgument("eata: the Fisher regulariser needs clean source images, which the corruption benchmark "
                          "(--corruptions) provides; use eta here");
  const double margin = entropy_threshold(logits.size(1));
  const torch::Tensor ent = entropies(logits);
  const torch::Tensor reliable = ent.detach().lt(margin).nonzero().squeeze(1);
  torch::Tensor kept = reliable;
  const torch::Tensor probs = torch::softmax(logits.detach().index_select(0, reliable), 1);
  torch::Tensor kept_probs = probs;
  if (mean_probs_.defined()) {
    const torch::Tensor cosine = torch::cosine_similarity(mean_probs_.unsqueeze(0), probs, 1);
    const torch::Tensor diverse = cosine.abs().lt(options_.diversity_margin).nonzero().squeeze(1);
    kept = reliable.index_select(0, diverse);
    kept_probs = probs.index_select(0, diverse);
  }
  if (kept_probs.size(0) > 0) {
    const torch::Tensor batch_mean = kept_probs.mean(0);
    mean_probs_ = mean_probs_.defined() ? 0.9 * mean_probs_ + 0.1 * batch_mean : batch_mean;
  }
  selected_ += kept.size(0);
  if (kept.size(0) == 0) return {};
  const torch::Tensor e = ent.index_select(0, kept);
  torch::Tensor value = (e * torch::exp(margin - e.detach())).mean();
  if (options_.fisher_alpha > 0)
    for (size_t i = 0; i < params_.size(); ++i)
      value = value + options_.fisher_alpha * (fisher_[i] * (params_[i] - anchors_[i]).square()).sum();
  return value;
}

bool SelfLearner::sar_update(const torch::Tensor& x, const torch::Tensor& logits) {
  const double margin = entropy_threshold(logits.size(1));
  const torch::Tensor ent = entropies(logits);
  const torch::Tensor reliable = ent.detach().lt(margin).nonzero().squeeze(1);
  // With no reliable sample the reference's mean is NaN and its gradient zero: the SGD step still
  // applies the momentum. A zero loss with zero gradients does the same here.
  const torch::Tensor first = reliable.size(0) > 0 ? ent.index_select(0, reliable).mean() : ent.sum() * 0;
  if (!check_finite(first)) return false;
  optimizer_->zero_grad();
  first.backward();
  std::vector<torch::Tensor> saved;
  {  // climb to θ + ρ g / ‖g‖
    torch::NoGradGuard no_grad;
    torch::Tensor norm = torch::zeros({}, params_[0].options());
    for (const auto& p : params_)
      if (p.grad().defined()) norm = norm + p.grad().square().sum();
    const torch::Tensor scale = options_.sam_rho / (norm.sqrt() + 1e-12);
    for (auto& p : params_) {
      saved.push_back(p.detach().clone());
      if (p.grad().defined()) p.add_(p.grad() * scale);
    }
  }
  optimizer_->zero_grad();
  const torch::Tensor second_all = entropies(model_.forward(x)).index_select(0, reliable);
  const torch::Tensor still = second_all.detach().lt(margin).nonzero().squeeze(1);
  const torch::Tensor second = still.size(0) > 0 ? second_all.index_select(0, still).mean() : second_all.sum() * 0;
  if (still.size(0) > 0) {
    const double value = second.item<double>();
    entropy_ema_ = entropy_ema_ ? 0.9 * *entropy_ema_ + 0.1 * value : value;
  }
  second.backward();
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params_.size(); ++i) params_[i].copy_(saved[i]);
  }
  optimizer_->step();  // with the gradient taken at θ + ε (zero when no sample stayed reliable)
  optimizer_->zero_grad();
  ++steps_;
  if (entropy_ema_ && *entropy_ema_ < options_.reset_entropy) {
    log_debug("sar: moving-average entropy ", *entropy_ema_, " below ", options_.reset_entropy, ": model reset");
    reset();
    ++recoveries_;
  }
  return true;
}

void SelfLearner::update_teacher() {
  torch::NoGradGuard no_grad;
  const double m = options_.ema_momentum;
  for (size_t i = 0; i < params_.size(); ++i) teacher_[i] = m * teacher_[i] + (1 - m) * params_[i].detach();
}

torch::Tensor SelfLearner::cotta_step(const torch::Tensor& x) {
  // The teacher's prediction before the update: augmentation-averaged when the source model (the
  // anchor, also with batch statistics) is unsure of the batch.
  const double confidence =
      torch::softmax(forward_with(initial_, {x}, /*batch_statistics=*/true)[0], 1).amax(1).mean().item<double>();
  torch::Tensor teacher;
  if (confidence < options_.confidence_threshold) {
    std::vector<torch::Tensor> views;
    for (int64_t k = 0; k < options_.augmentations; ++k) views.push_back(cotta_augment(x, {}, generator_));
    teacher = torch::stack(forward_with(teacher_, views, /*batch_statistics=*/true)).mean(0);
  } else {
    teacher = forward_with(teacher_, {x}, /*batch_statistics=*/true)[0];
  }
  set_norm_training(true);
  const torch::Tensor logits = model_.forward(x);
  torch::Tensor value = -(torch::softmax(teacher, 1) * torch::log_softmax(logits, 1)).sum(1);
  if (options_.symmetric_loss)
    value = 0.5 * value - 0.5 * (torch::softmax(logits, 1) * torch::log_softmax(teacher, 1)).sum(1);
  value = value.mean();
  if (!check_finite(value)) return teacher;
  descend(value);
  update_teacher();
  if (options_.restore_probability > 0) {  // stochastic restore: each weight back to its source value
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params_.size(); ++i) {
      const torch::Tensor restore =
          torch::rand(params_[i].sizes(), generator_).lt(options_.restore_probability).to(params_[i].device());
      params_[i].copy_(torch::where(restore, initial_[i], params_[i]));
    }
  }
  return teacher;
}

torch::Tensor SelfLearner::robust_forward(const torch::Tensor& x) {
  std::vector<NormLayer> batch_norms;
  for (const NormLayer& l : norms_)
    if (l.kind == NormLayer::Kind::kBatchNorm && l.running_mean.defined() && l.set_training) batch_norms.push_back(l);
  mix_batch_statistics(model_, batch_norms, x, 1 - options_.robust_bn_alpha);
  return model_.forward(x);
}

torch::Tensor SelfLearner::rotta_step(const torch::Tensor& x) {
  const torch::Tensor predictions = predict(x);  // the teacher with its stored statistics
  const torch::Tensor probs = torch::softmax(predictions, 1);
  const torch::Tensor labels = probs.argmax(1).cpu();
  const torch::Tensor uncertainty = (-(probs * torch::log(probs + 1e-6)).sum(1)).to(torch::kFloat64).cpu();
  if (!memory_) memory_.emplace(options_.memory_size, probs.size(1));
  for (int64_t i = 0; i < x.size(0) && !stopped(); ++i) {
    memory_->add(x[i].detach().clone(), labels[i].item<int64_t>(), uncertainty[i].item<double>());
    if (++seen_ % options_.memory_size == 0) rotta_update();
  }
  return predictions;
}

void SelfLearner::rotta_update() {
  const torch::Tensor bank = memory_->images();
  if (!bank.defined()) return;
  // The robust statistics move with every pass: a non-finite loss puts them back too.
  const std::vector<torch::Tensor> statistics_before = statistics(), teacher_statistics_before = teacher_statistics_;
  torch::Tensor teacher;
  with_weights(teacher_, [&] {  // the teacher on the bank, updating its robust statistics
    set_statistics(teacher_statistics_);
    teacher = robust_forward(bank);
    teacher_statistics_ = statistics();
    set_statistics(statistics_before);
  });
  const torch::Tensor logits = robust_forward(cotta_augment(bank, {}, generator_));
  const torch::Tensor weights = timeliness_weights(memory_->ages()).to(logits.options());
  const torch::Tensor value =
      (-(torch::softmax(teacher, 1) * torch::log_softmax(logits, 1)).sum(1) * weights).mean();
  if (!check_finite(value)) {
    set_statistics(statistics_before);
    teacher_statistics_ = teacher_statistics_before;
    return;
  }
  descend(value);
  update_teacher();
}

torch::Tensor SelfLearner::roid_step(const torch::Tensor& x) {
  set_norm_training(true);
  const torch::Tensor logits = model_.forward(x);
  nominal_batch_ = std::max(nominal_batch_, x.size(0));
  const int64_t classes = logits.size(1);
  if (!class_probabilities_.defined())
    class_probabilities_ = torch::full({classes}, 1.0 / static_cast<double>(classes), logits.options());
  torch::Tensor weights, keep;
  {  // certainty × diversity weights; samples of below-average diversity are dropped
    torch::NoGradGuard no_grad;
    const torch::Tensor p = torch::softmax(logits.detach(), 1);
    auto min_max = [](const torch::Tensor& v) { return (v - v.min()) / (v.max() - v.min()); };
    const torch::Tensor diversity = min_max(1 - torch::cosine_similarity(class_probabilities_.unsqueeze(0), p, 1));
    const torch::Tensor dropped = diversity.lt(diversity.mean());
    const torch::Tensor certainty = min_max(-entropies(logits.detach()));
    weights = torch::where(dropped, torch::zeros_like(diversity), torch::exp(diversity * certainty / options_.temperature));
    const double m = options_.probability_momentum;
    class_probabilities_ = m * class_probabilities_ + (1 - m) * p.mean(0);
    keep = dropped.logical_not().nonzero().squeeze(1);
  }
  const double n = static_cast<double>(nominal_batch_);
  const torch::Tensor clipped = torch::softmax(logits, 1).clamp(0.0, 0.99);
  const torch::Tensor ratio = -(clipped * torch::log(clipped / (1 - clipped) + 1e-5)).sum(1);
  torch::Tensor value = (ratio * weights).index_select(0, keep).sum() / n;
  if (keep.size(0) > 0) {  // consistency between the plain and an augmented view
    const torch::Tensor kept = logits.index_select(0, keep);
    const torch::Tensor augmented =
        model_.forward(cotta_augment(x.index_select(0, keep), {.reflect_padding = true, .blur_and_noise = false}, generator_));
    const torch::Tensor symmetric = -0.5 * (torch::softmax(kept, 1) * torch::log_softmax(augmented, 1)).sum(1) -
                                    0.5 * (torch::softmax(augmented, 1) * torch::log_softmax(kept, 1)).sum(1);
    value = value + (symmetric * weights.index_select(0, keep)).sum() / n;
  }
  if (check_finite(value)) {
    descend(value);
    torch::NoGradGuard no_grad;  // weight ensembling with the source
    const double m = options_.source_momentum;
    for (size_t i = 0; i < params_.size(); ++i) params_[i].copy_(m * params_[i] + (1 - m) * initial_[i]);
  }
  // Prior correction: the logits scaled by the smoothed mean prediction of the batch.
  torch::NoGradGuard no_grad;
  const torch::Tensor prior = torch::softmax(logits.detach(), 1).mean(0);
  const double smooth = std::max(1.0 / static_cast<double>(x.size(0)), 1.0 / static_cast<double>(classes)) /
                        prior.max().item<double>();
  return logits.detach() * ((prior + smooth) / (1 + smooth * static_cast<double>(classes)));
}

}  // namespace robustlab::adaptation
