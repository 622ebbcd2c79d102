// ImageNet-R/A masking and the ImageNet-D mapping against the reference tables.
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "function_classifier.h"
#include "robustlab/core/error.h"
#include "robustlab/evaluation/subsets.h"
#include "test_support.h"

namespace robustlab::evaluation {
namespace {

std::vector<int64_t> reference_indices(const std::string& file) {
  std::ifstream in(testing::shared_dir() / "reference/imagenet-subsets" / file);
  std::vector<int64_t> out;
  for (int64_t v; in >> v;) out.push_back(v);
  return out;
}

// A 1000-class "model" whose logits are its input, flattened.
std::shared_ptr<testing::FunctionClassifier> identity1000() {
  return std::make_shared<testing::FunctionClassifier>([](const torch::Tensor& x) { return x.flatten(1); }, 1000);
}

torch::Tensor one_hot(std::vector<int64_t> classes) {
  torch::Tensor x = torch::zeros({static_cast<int64_t>(classes.size()), 1, 1, 1000});
  for (size_t i = 0; i < classes.size(); ++i) x[static_cast<int64_t>(i)][0][0][classes[i]] = 1;
  return x;
}

TEST(Subsets, ImageNetRAndAKeepTheirTwoHundredLogitsInLabelOrder) {
  for (const auto& [subset, file] : {std::pair{Subset::kImageNetR, "imagenet_r_indices.txt"},
                                     std::pair{Subset::kImageNetA, "imagenet_a_indices.txt"}}) {
    const auto indices = reference_indices(file);
    ASSERT_EQ(indices.size(), 200u);
    SubsetClassifier model(identity1000(), subset);
    EXPECT_EQ(model.num_classes(), 200);
    // A peak on ImageNet class indices[j] is predicted as dataset label j.
    const torch::Tensor out = model.forward(one_hot({indices[0], indices[57], indices[199]}));
    EXPECT_EQ(out.sizes(), (std::vector<int64_t>{3, 200}));
    EXPECT_EQ(out.argmax(1)[0].item<int64_t>(), 0);
    EXPECT_EQ(out.argmax(1)[1].item<int64_t>(), 57);
    EXPECT_EQ(out.argmax(1)[2].item<int64_t>(), 199);
  }
}

TEST(Subsets, ImageNetDMapsTheArgmaxAndCountsUnmappedClassesWrong) {
  SubsetClassifier model(identity1000(), Subset::kImageNetD);
  EXPECT_EQ(model.num_classes(), 165);
  // From the mapping table: ImageNet 2 and 3 (sharks) -> ImageNet-D 118 "shark"; 0 is unmapped.
  const torch::Tensor out = model.forward(one_hot({2, 3, 0}));
  EXPECT_EQ(out.argmax(1)[0].item<int64_t>(), 118);
  EXPECT_EQ(out.argmax(1)[1].item<int64_t>(), 118);
  EXPECT_EQ(out.argmax(1)[2].item<int64_t>(), 164);  // the "unmapped" column, never a label
  // Every mapped class of the reference table lands on its ImageNet-D class.
  std::ifstream in(testing::shared_dir() / "reference/imagenet-subsets/imagenet_d_mapping.tsv");
  std::string header;
  std::getline(in, header);
  int64_t index = 0, target = 0, checked = 0;
  std::string name;
  std::vector<int64_t> mapped, targets;
  while (in >> index >> target >> name)
    if (target >= 0) {
      mapped.push_back(index);
      targets.push_back(target);
    }
  ASSERT_EQ(mapped.size(), 464u);
  const torch::Tensor all = model.forward(one_hot(mapped)).argmax(1);
  for (size_t i = 0; i < mapped.size(); ++i, ++checked) EXPECT_EQ(all[static_cast<int64_t>(i)].item<int64_t>(), targets[i]);
  EXPECT_EQ(checked, 464);
}

TEST(Subsets, NeedAThousandClassModel) {
  auto ten = std::make_shared<testing::FunctionClassifier>([](const torch::Tensor& x) { return x.flatten(1); }, 10);
  EXPECT_THROW(SubsetClassifier(ten, Subset::kImageNetR), ShapeError);
  EXPECT_THROW(parse_subset("imagenet-v2"), InvalidArgument);
}

}  // namespace
}  // namespace robustlab::evaluation
