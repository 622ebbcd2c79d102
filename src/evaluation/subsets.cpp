// ImageNet-R/A masking and the ImageNet-D many-to-one mapping (conventions of hendrycks/imagenet-r,
// hendrycks/natural-adv-examples and mariodoebler/test-time-adaptation, as described in
// ../shared/reference/imagenet-subsets/README.md).
#include "robustlab/evaluation/subsets.h"

#include <sstream>
#include <string_view>

#include <torch/torch.h>

#include "robustlab/core/error.h"

namespace robustlab::evaluation {

std::string_view imagenet_r_indices();  // generated from data/*.txt, *.tsv
std::string_view imagenet_a_indices();
std::string_view imagenet_d_mapping();

namespace {

constexpr int64_t kImageNetClasses = 1000;
constexpr int64_t kImageNetDClasses = 164;

torch::Tensor read_indices(std::string_view text) {
  std::vector<int64_t> values;
  std::istringstream in{std::string(text)};
  for (int64_t v; in >> v;) values.push_back(v);
  return torch::tensor(values, torch::kInt64);  // cpu: moved with the model by move_to
}

// Column 1 of the mapping table (after its header): the ImageNet-D class of each ImageNet class.
torch::Tensor read_mapping(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  std::getline(in, line);  // header
  std::vector<int64_t> values;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    int64_t index = 0, target = 0;
    if (fields >> index >> target) values.push_back(target);
  }
  return torch::tensor(values, torch::kInt64);  // cpu: moved with the model by move_to
}

}  // namespace

Subset parse_subset(const std::string& name) {
  if (name == "imagenet-r") return Subset::kImageNetR;
  if (name == "imagenet-a") return Subset::kImageNetA;
  if (name == "imagenet-d") return Subset::kImageNetD;
  throw InvalidArgument("unknown subset '" + name + "' (known: imagenet-r, imagenet-a, imagenet-d)");
}

SubsetClassifier::SubsetClassifier(ClassifierPtr base, Subset subset)
    : Classifier({}), base_(std::move(base)), subset_(subset) {
  switch (subset_) {
    case Subset::kImageNetR: indices_ = read_indices(imagenet_r_indices()); break;
    case Subset::kImageNetA: indices_ = read_indices(imagenet_a_indices()); break;
    case Subset::kImageNetD: indices_ = read_mapping(imagenet_d_mapping()); break;
  }
  if (base_->num_classes() >= 0 && base_->num_classes() != kImageNetClasses)
    throw ShapeError(description() + ": the model has " + std::to_string(base_->num_classes()) +
                     " outputs; the ImageNet subsets need a 1000-class ImageNet model");
  to(base_->device());
}

void SubsetClassifier::move_to(torch::Device device) {
  base_->to(device);
  indices_ = indices_.to(device);
}

int64_t SubsetClassifier::num_classes() const {
  return subset_ == Subset::kImageNetD ? kImageNetDClasses + 1 : indices_.size(0);
}

std::string SubsetClassifier::description() const {
  const char* name = subset_ == Subset::kImageNetR ? "imagenet-r" : subset_ == Subset::kImageNetA ? "imagenet-a" : "imagenet-d";
  return base_->description() + " [" + name + " labels]";
}

torch::Tensor SubsetClassifier::forward_normalized(const torch::Tensor& x) {
  const torch::Tensor logits = base_->forward(x);
  if (logits.size(1) != kImageNetClasses)
    throw ShapeError(description() + ": the model returned " + std::to_string(logits.size(1)) +
                     " logits; the ImageNet subsets need 1000");
  if (subset_ != Subset::kImageNetD) return logits.index_select(1, indices_);
  // Max over the ImageNet classes of each ImageNet-D class; column 164 collects the unmapped ones.
  const torch::Tensor target = indices_.clone().masked_fill_(indices_.lt(0), kImageNetDClasses);
  const torch::Tensor index = target.unsqueeze(0).expand({logits.size(0), kImageNetClasses});
  const torch::Tensor lowest = torch::full({logits.size(0), kImageNetDClasses + 1},
                                           -std::numeric_limits<float>::infinity(), logits.options());
  return lowest.scatter_reduce(1, index, logits, "amax", /*include_self=*/true);
}

}  // namespace robustlab::evaluation
