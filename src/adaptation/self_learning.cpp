// Self-learning at test time: ENT (Wang et al., arXiv:2006.10726), hard/soft pseudo-labels and RPL
// with the generalised cross-entropy (Zhang & Sabuncu 2018) as in Rusak et al., arXiv:2104.12928;
// see ../shared/reference/tta.md §2. The adapted parameters are the normalisation layers' affine
// parameters by default, with the layers normalising by batch statistics (BN adaptation).
#include "robustlab/adaptation/self_learning.h"

#include <cmath>

#include <torch/torch.h>

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
  throw InvalidArgument("unknown self-learning loss '" + name + "' (known: ent, hard-pl, soft-pl, rpl, tent, eata, sar)");
}

std::string to_string(Loss loss) {
  switch (loss) {
    case Loss::kEntropy: return "ent";
    case Loss::kHardPseudoLabel: return "hard-pl";
    case Loss::kSoftPseudoLabel: return "soft-pl";
    case Loss::kTent: return "tent";
    case Loss::kEata: return "eata";
    case Loss::kSar: return "sar";
    default: return "rpl";
  }
}

Adapted parse_adapted(const std::string& name) {
  if (name == "bn-affine") return Adapted::kBnAffine;
  if (name == "norm-affine") return Adapted::kNormAffine;
  if (name == "all") return Adapted::kAll;
  throw InvalidArgument("unknown parameter set '" + name + "' to adapt (known: bn-affine, norm-affine, all)");
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
  if ((loss == Loss::kEata || loss == Loss::kSar) && teacher_interval != 1)
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
    : model_(model), options_(std::move(options)), was_training_(model.is_training()) {
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
  if (options_.teacher_interval > 1) teacher_ = initial_;
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
  if (options_.teacher_interval > 1) teacher_ = initial_;
  steps_ = 0;
  last_finite_.clear();
  reason_.clear();
  entropy_ema_.reset();  // SAR's recovery state; EATA's p̄ survives, as in the benchmark
}

void SelfLearner::restore_statistics() {
  torch::NoGradGuard no_grad;
  size_t b = 0;
  for (NormLayer& l : norms_)
    for (auto t : {l.running_mean, l.running_var})
      if (t.defined()) t.copy_(buffers_[b++]);
}

double SelfLearner::entropy_threshold(int64_t classes) const {
  return options_.entropy_margin * std::log(static_cast<double>(classes));
}

void SelfLearner::set_norm_training(bool training) {
  model_.set_training(false);
  for (NormLayer& l : norms_)
    if (l.set_training) l.set_training(training);
}

torch::Tensor SelfLearner::teacher_logits(const torch::Tensor& x) {
  // A forward pass with the teacher's copy of the adapted parameters swapped in (before the
  // student's pass, whose graph must not see the swap).
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> student;
  for (size_t i = 0; i < params_.size(); ++i) {
    student.push_back(params_[i].detach().clone());
    params_[i].copy_(teacher_[i]);
  }
  set_norm_training(false);  // the teacher normalises with the stored (source) statistics
  const torch::Tensor logits = model_.forward(x);
  set_norm_training(true);
  for (size_t i = 0; i < params_.size(); ++i) params_[i].copy_(student[i]);
  return logits;
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

torch::Tensor SelfLearner::step(const torch::Tensor& x) {
  if (options_.episodic) reset();
  set_norm_training(true);
  if (stopped()) {
    torch::NoGradGuard no_grad;
    return model_.forward(x).detach();
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
    optimizer_->zero_grad();
    value.backward();
    optimizer_->step();
    ++steps_;
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

}  // namespace robustlab::adaptation
