#include "robustlab/models/zoo.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "robustlab/core/error.h"

namespace robustlab {
namespace {

TEST(Zoo, OutputShapesForEveryArchitecture) {
  torch::NoGradGuard no_grad;
  struct Case {
    std::string arch;
    int64_t channels, size;
  };
  for (const Case& c : {Case{"small_cnn", 1, 28}, Case{"resnet20", 1, 28}, Case{"resnet20", 3, 32},
                        Case{"resnet18", 3, 64}, Case{"resnet50", 3, 64}, Case{"resnet20_patch4", 1, 128},
                        Case{"resnet20_patch4", 3, 64}}) {
    ZooClassifier model({.arch = c.arch, .in_channels = c.channels, .num_classes = 7, .image_size = c.size});
    model.set_training(false);
    const auto out = model.forward(torch::rand({2, c.channels, c.size, c.size}));
    EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 7})) << c.arch;
  }
}

TEST(Zoo, ParameterCountsMatchTheReferenceArchitectures) {
  auto count = [](const ZooConfig& c) {
    ZooClassifier model(c);
    int64_t n = 0;
    for (const auto& p : model.parameters()) n += p.numel();
    return n;
  };
  // The FMN reference CNN has 421,834 parameters (../shared/reference/fmn/README.md §1).
  EXPECT_EQ(count({.arch = "small_cnn"}), 421834);
  // torchvision's resnet18 and resnet50 with 1000 classes.
  EXPECT_EQ(count({.arch = "resnet18", .in_channels = 3, .num_classes = 1000, .image_size = 224}), 11689512);
  EXPECT_EQ(count({.arch = "resnet50", .in_channels = 3, .num_classes = 1000, .image_size = 224}), 25557032);
  // He et al.'s ResNet-20 for CIFAR-10: 0.27M parameters.
  EXPECT_NEAR(static_cast<double>(count({.arch = "resnet20", .in_channels = 3, .num_classes = 10, .image_size = 32})),
              0.27e6, 0.01e6);
  // The patch stem replaces the 3x3 stem's 3·3·1·16 weights with 4·4·1·16.
  EXPECT_EQ(count({.arch = "resnet20_patch4", .in_channels = 1, .num_classes = 2, .image_size = 128}) -
                count({.arch = "resnet20", .in_channels = 1, .num_classes = 2, .image_size = 128}),
            (16 - 9) * 16);
}

TEST(Zoo, ThePatchStemSeesEveryPixelOnce) {
  // A one-pixel change anywhere in a 4x4 patch changes the stem's output at that patch only.
  ZooClassifier model({.arch = "resnet20_patch4", .in_channels = 1, .num_classes = 2, .image_size = 16});
  auto* stem = model.net().named_modules()["stem_conv"]->as<torch::nn::Conv2d>();
  ASSERT_NE(stem, nullptr);
  torch::NoGradGuard no_grad;
  const auto x = torch::zeros({1, 1, 16, 16});
  auto y = x.clone();
  y[0][0][6][9] = 1;  // patch (1, 2)
  const auto d = (stem->forward(y) - stem->forward(x)).abs().sum(1)[0];
  EXPECT_EQ(d.sizes(), (std::vector<int64_t>{4, 4}));
  EXPECT_GT(d[1][2].item<float>(), 0);
  EXPECT_EQ(d.sum().item<float>(), d[1][2].item<float>());
}

TEST(Zoo, LayerOutputsLeadToTheFeatures) {
  torch::manual_seed(0);
  ZooClassifier resnet(ZooConfig{.arch = "resnet20", .in_channels = 1, .image_size = 28});
  resnet.set_training(false);
  const auto names = resnet.layer_names();
  ASSERT_EQ(names.size(), 11u);  // stem, 9 blocks, pool
  EXPECT_EQ(names[1], "layer1_0");
  EXPECT_EQ(names[9], "layer3_2");
  const torch::Tensor x = torch::rand({2, 1, 28, 28});
  const torch::Tensor last = resnet.layer_output(x, "layer3_2");
  EXPECT_EQ(last.sizes(), (std::vector<int64_t>{2, 64, 7, 7}));
  EXPECT_GE(last.min().item<double>(), 0.0);  // after the block's ReLU
  const torch::Tensor features = resnet.features_and_logits(x).first;
  EXPECT_TRUE(torch::allclose(last.mean({2, 3}), features, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(resnet.layer_output(x, "pool"), features));
  EXPECT_EQ(resnet.layer_output(x, "stem").size(1), 16);
  EXPECT_THROW(resnet.layer_output(x, "layer4_0"), InvalidArgument);

  ZooClassifier cnn(ZooConfig{.arch = "small_cnn"});
  cnn.set_training(false);
  EXPECT_EQ(cnn.layer_output(x, "block2").sizes(), (std::vector<int64_t>{2, 64, 14, 14}));
  EXPECT_TRUE(torch::allclose(cnn.layer_output(x, "fc1"), cnn.features_and_logits(x).first));
}

TEST(Zoo, NormLayersAreLiveHandles) {
  ZooClassifier model({.arch = "small_cnn"});
  auto layers = model.norm_layers();
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0].kind, NormLayer::Kind::kBatchNorm);
  EXPECT_EQ(layers[0].running_mean.numel(), 32);
  torch::NoGradGuard no_grad;
  layers[0].running_mean.fill_(3.0);
  EXPECT_FLOAT_EQ(model.norm_layers()[0].running_mean[5].item<float>(), 3.0f);
}

TEST(Zoo, ConfigRoundTripsAndValidates) {
  ZooConfig c{.arch = "resnet18", .in_channels = 3, .num_classes = 100, .image_size = 224,
              .normalization = {{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}}};
  const ZooConfig back = ZooConfig::from_json(c.to_json());
  EXPECT_EQ(back.to_json(), c.to_json());
  EXPECT_THROW(ZooClassifier({.arch = "vgg16"}), InvalidArgument);
  EXPECT_THROW(ZooClassifier({.arch = "small_cnn", .num_classes = 1}), InvalidArgument);
  EXPECT_THROW(ZooConfig::from_json({{"arch", "small_cnn"}}), FormatError);
}

}  // namespace
}  // namespace robustlab
