// RoTTA's memory bank (Yuan et al., CVPR 2023, arXiv:2303.13899, CSTU), with the benchmark's
// definitions (mariodoebler/test-time-adaptation, classification/methods/rotta.py).
#include "robustlab/adaptation/memory_bank.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "robustlab/core/error.h"

namespace robustlab::adaptation {

MemoryBank::MemoryBank(int64_t capacity, int64_t classes, double lambda_t, double lambda_u)
    : capacity_(capacity), classes_(classes), lambda_t_(lambda_t), lambda_u_(lambda_u),
      items_(static_cast<size_t>(std::max<int64_t>(classes, 0))) {
  if (capacity < 1 || classes < 2) throw InvalidArgument("memory bank: need a capacity >= 1 and >= 2 classes");
}

double MemoryBank::score(int64_t age, double uncertainty) const {
  return lambda_t_ / (1 + std::exp(-static_cast<double>(age) / static_cast<double>(capacity_))) +
         lambda_u_ * uncertainty / std::log(static_cast<double>(classes_));
}

int64_t MemoryBank::size() const {
  int64_t n = 0;
  for (const auto& c : items_) n += static_cast<int64_t>(c.size());
  return n;
}

std::vector<int64_t> MemoryBank::occupancy() const {
  std::vector<int64_t> out;
  for (const auto& c : items_) out.push_back(static_cast<int64_t>(c.size()));
  return out;
}

bool MemoryBank::make_room(const std::vector<int64_t>& classes, double new_score) {
  int64_t best_class = -1;
  size_t best_index = 0;
  double best = 0;
  for (int64_t c : classes)
    for (size_t i = 0; i < items_[static_cast<size_t>(c)].size(); ++i) {
      const Item& item = items_[static_cast<size_t>(c)][i];
      const double s = score(item.age, item.uncertainty);
      if (best_class < 0 || s >= best) {
        best = s;
        best_class = c;
        best_index = i;
      }
    }
  if (best_class < 0) return true;
  if (best <= new_score) return false;
  auto& list = items_[static_cast<size_t>(best_class)];
  list.erase(list.begin() + static_cast<std::ptrdiff_t>(best_index));
  return true;
}

void MemoryBank::add(const torch::Tensor& image, int64_t label, double uncertainty) {
  if (label < 0 || label >= classes_) throw InvalidArgument("memory bank: label out of range");
  const double per_class = static_cast<double>(capacity_) / static_cast<double>(classes_);
  bool enter;
  if (static_cast<double>(items_[static_cast<size_t>(label)].size()) < per_class) {
    if (size() < capacity_) {
      enter = true;
    } else {  // the bank is full: room comes from the classes holding the most images
      const std::vector<int64_t> counts = occupancy();
      const int64_t most = *std::max_element(counts.begin(), counts.end());
      std::vector<int64_t> majority;
      for (int64_t c = 0; c < classes_; ++c)
        if (counts[static_cast<size_t>(c)] == most) majority.push_back(c);
      enter = make_room(majority, score(0, uncertainty));
    }
  } else {
    enter = make_room({label}, score(0, uncertainty));
  }
  if (enter) items_[static_cast<size_t>(label)].push_back({image, uncertainty, 0});
  for (auto& c : items_)
    for (Item& item : c) ++item.age;
}

torch::Tensor MemoryBank::images() const {
  std::vector<torch::Tensor> out;
  for (const auto& c : items_)
    for (const Item& item : c) out.push_back(item.image);
  return out.empty() ? torch::Tensor() : torch::stack(out);
}

std::vector<double> MemoryBank::ages() const {
  std::vector<double> out;
  for (const auto& c : items_)
    for (const Item& item : c) out.push_back(static_cast<double>(item.age) / static_cast<double>(capacity_));
  return out;
}

torch::Tensor timeliness_weights(const std::vector<double>& ages) {
  // cpu: host bookkeeping; the caller moves the weights to the logits
  const torch::Tensor a = torch::tensor(ages, torch::kFloat64);
  return torch::exp(-a) / (1 + torch::exp(-a));
}

}  // namespace robustlab::adaptation
