// RoTTA's category-balanced sampling with timeliness and uncertainty (CSTU; Yuan, Xie, Li,
// "Robust Test-Time Adaptation in Dynamic Scenarios", CVPR 2023, arXiv:2303.13899, Alg. 1), as the
// TTA benchmark implements it (mariodoebler/test-time-adaptation, classification/methods/rotta.py):
// a bank of `capacity` test images, at most capacity/C per predicted class. A new image scores
// λt·sigmoid(0) + λu·H/ln C (H its uncertainty); when its class is full, the highest-scoring
// image of its class (score λt·sigmoid(age/capacity) + λu·H/ln C, the last of equal scores) makes
// way if it scores above the new one; when the bank is full but the class is not, the same among
// the classes holding the most images. Every image then ages by one.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace robustlab::adaptation {

class MemoryBank {
 public:
  MemoryBank(int64_t capacity, int64_t classes, double lambda_t = 1.0, double lambda_u = 1.0);
  /// Offers one image with its pseudo-label and uncertainty (entropy); then ages every image.
  void add(const torch::Tensor& image, int64_t label, double uncertainty);
  int64_t size() const;
  /// The images in class order (and arrival order within a class), stacked, and their ages
  /// divided by the capacity; an undefined tensor when empty.
  torch::Tensor images() const;
  std::vector<double> ages() const;
  /// Images held per class.
  std::vector<int64_t> occupancy() const;

 private:
  struct Item {
    torch::Tensor image;
    double uncertainty;
    int64_t age;
  };
  double score(int64_t age, double uncertainty) const;
  /// Whether the new image (of score `score`) may enter, removing the one it replaces.
  bool make_room(const std::vector<int64_t>& classes, double score);
  int64_t capacity_, classes_;
  double lambda_t_, lambda_u_;
  std::vector<std::vector<Item>> items_;
};

/// RoTTA's timeliness weights exp(−a)/(1 + exp(−a)) of ages a (already divided by the capacity).
torch::Tensor timeliness_weights(const std::vector<double>& ages);

}  // namespace robustlab::adaptation
