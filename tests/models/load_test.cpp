#include "robustlab/models/load.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "robustlab/core/error.h"
#include "robustlab/data/idx.h"
#include "robustlab/data/tensor_file.h"
#include "robustlab/models/predict.h"
#include "test_support.h"

namespace robustlab {
namespace {

namespace fs = std::filesystem;

fs::path reference_model() { return testing::shared_dir() / "reference/fmn/fmnist_cnn.pt"; }

TEST(TorchScript, ReferenceModelClassifiesTheReferenceImages) {
  const ClassifierPtr model = load_classifier(reference_model().string());
  ASSERT_NE(dynamic_cast<TorchScriptClassifier*>(model.get()), nullptr);
  EXPECT_FALSE(model->is_training());
  const auto data = load_tensor_file(testing::shared_dir() / "reference/fmn/fmnist_test200.pt");
  const AccuracyResult acc = evaluate_accuracy(*model, data);
  EXPECT_EQ(acc.correct, 200);  // README §2: all 200 are classified correctly
  EXPECT_EQ(model->num_classes(), 10);
}

TEST(TorchScript, ReferenceModelTestAccuracyIsPytorchs) {
  // README §1: 89.97% (8,997 / 10,000) on the Fashion-MNIST test set.
  const ClassifierPtr model = load_classifier(reference_model().string());
  const AccuracyResult acc = evaluate_accuracy(*model, load_fashion_mnist("test"));
  EXPECT_EQ(acc.total, 10000);
  EXPECT_NEAR(acc.correct, 8997, 2);
}

TEST(TorchScript, LayerOutputsAreTheSubmodulesOutputs) {
  const ClassifierPtr model = load_classifier(reference_model().string());
  const std::vector<std::string> names = model->layer_names();
  EXPECT_EQ(names, (std::vector<std::string>{"conv1", "bn1", "conv2", "bn2", "fc1", "fc2"}));
  const torch::Tensor x = torch::rand({3, 1, 28, 28});
  // The last layer is the logits; the first is the plain convolution of the input.
  EXPECT_TRUE(torch::allclose(model->layer_output(x, "fc2"), model->forward(x)));
  auto& script = dynamic_cast<TorchScriptClassifier&>(*model);
  const torch::Tensor w = script.module().attr("conv1").toModule().attr("weight").toTensor();
  const torch::Tensor b = script.module().attr("conv1").toModule().attr("bias").toTensor();
  EXPECT_TRUE(torch::allclose(model->layer_output(x, "conv1"), torch::conv2d(x, w, b, 1, 1), 1e-5, 1e-6));
  // Differentiable with respect to the input.
  const torch::Tensor xg = x.clone().requires_grad_(true);
  model->layer_output(xg, "bn2").mean().backward();
  EXPECT_GT(xg.grad().abs().sum().item<double>(), 0.0);
  EXPECT_THROW(model->layer_output(x, "conv3"), InvalidArgument);
}

TEST(TorchScript, LayerOutputsOfNestedModules) {
  // root.block.scale multiplies by 3, root.block adds 1 after it, root doubles: nested calls are
  // inlined until the inner module's own call appears.
  torch::jit::Module scale("Scale");
  scale.register_parameter("w", torch::full({1}, 3.0), false);
  scale.define("def forward(self, x):\n  return x * self.w\n");
  torch::jit::Module block("Block");
  block.register_module("scale", scale);
  block.define("def forward(self, x):\n  return self.scale.forward(x) + 1.0\n");
  torch::jit::Module root("Root");
  root.register_module("block", block);
  root.define("def forward(self, x):\n  return self.block.forward(x).flatten(1) * 2.0\n");
  TorchScriptClassifier model(root, "nested");
  EXPECT_EQ(model.layer_names(), (std::vector<std::string>{"block", "block.scale"}));
  const torch::Tensor x = torch::rand({2, 1, 2, 2});
  EXPECT_TRUE(torch::allclose(model.layer_output(x, "block.scale"), x * 3));
  EXPECT_TRUE(torch::allclose(model.layer_output(x, "block"), x * 3 + 1));
  EXPECT_TRUE(torch::allclose(model.forward(x), (x * 3 + 1).flatten(1) * 2));  // the model is unchanged
}

TEST(TorchScript, ExposesBatchNormLayersAndParameters) {
  const ClassifierPtr model = load_classifier(reference_model().string());
  const auto layers = model->norm_layers();
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0].kind, NormLayer::Kind::kBatchNorm);
  EXPECT_EQ(layers[0].running_var.numel(), 32);
  EXPECT_EQ(layers[1].weight.numel(), 64);
  int64_t n = 0;
  for (const auto& p : model->parameters()) n += p.numel();
  EXPECT_EQ(n, 421834);
}

TEST(Checkpoint, RoundTripGivesIdenticalLogitsAndMetadata) {
  testing::TempDir dir;
  torch::manual_seed(0);
  ZooClassifier model({.arch = "small_cnn", .normalization = {{0.3}, {0.4}}});
  {
    // Move the BN running statistics away from their defaults so that buffers are tested too.
    torch::NoGradGuard no_grad;
    model.norm_layers()[0].running_mean.uniform_();
  }
  model.set_training(false);
  save_checkpoint(model, dir / "m.ckpt", {{"note", "hello"}});
  const ClassifierPtr loaded = load_classifier((dir / "m.ckpt").string());
  auto* zoo = dynamic_cast<ZooClassifier*>(loaded.get());
  ASSERT_NE(zoo, nullptr);
  EXPECT_EQ(zoo->config().to_json(), model.config().to_json());
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({4, 1, 28, 28});
  EXPECT_TRUE(loaded->forward(x).equal(model.forward(x)));
  EXPECT_EQ(read_checkpoint_metadata(dir / "m.ckpt").at("note"), "hello");
  EXPECT_THROW(read_checkpoint_metadata(reference_model()), FormatError);
}

TEST(Load, BadFilesAndNamesGiveClearErrors) {
  testing::TempDir dir;
  EXPECT_THROW(load_classifier((dir / "missing.pt").string()), IoError);
  EXPECT_THROW(load_classifier("resnet18"), InvalidArgument);
  std::ofstream(dir / "junk.pt") << "not a zip archive";
  EXPECT_THROW(load_classifier((dir / "junk.pt").string()), FormatError);
  // A truncated copy of the reference model.
  {
    std::ifstream in(reference_model(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(dir / "cut.pt", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  EXPECT_THROW(load_classifier((dir / "cut.pt").string()), FormatError);
}

// The zip records LibTorch's miniz trusts are checked before it reads a model or a checkpoint: a
// ZIP64 locator pointing beside its record made miniz read past its buffer (fuzz/crashes/tensor_file).
TEST(Load, ZipRecordsThatPointElsewhereAreRefusedByName) {
  testing::TempDir dir;
  std::ifstream in(reference_model(), std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), {});
  const auto message = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    try {
      load_classifier((dir / name).string());
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const size_t locator = good.rfind(std::string("PK\x06\x07", 4));
  ASSERT_NE(locator, std::string::npos);
  std::string moved = good;
  moved[locator + 8] = static_cast<char>(moved[locator + 8] - 22);
  const std::string refused = message("moved.pt", moved);
  EXPECT_NE(refused.find("is not a TorchScript model or robustlab checkpoint (its ZIP64 locator does not point"),
            std::string::npos) << refused;
  std::string outside = good;
  outside[good.rfind(std::string("PK\x06\x06", 4)) + 48 + 7] = 1;
  EXPECT_NE(message("outside.pt", outside).find("central directory lies outside the file"), std::string::npos);
  // A zoo checkpoint too (read again through LibTorch's archive reader after the TorchScript one).
  ZooClassifier model({.arch = "small_cnn"});
  save_checkpoint(model, dir / "m.ckpt");
  std::ifstream ckpt(dir / "m.ckpt", std::ios::binary);
  std::string saved((std::istreambuf_iterator<char>(ckpt)), {});
  EXPECT_EQ(message("copy.ckpt", saved), "no error");
  saved.erase(saved.size() - 10);
  EXPECT_NE(message("cut.ckpt", saved).find("no end of central directory record"), std::string::npos);
}

TEST(Load, CheckFitsRejectsAModelThatDoesNotFitTheData) {
  ZooClassifier five({.arch = "small_cnn", .num_classes = 5});
  EXPECT_THROW(check_fits(five, *load_fashion_mnist("test")), ShapeError);
  const ClassifierPtr ts = load_classifier(reference_model().string());
  auto rgb = std::make_shared<TensorDataset>(torch::zeros({1, 3, 32, 32}), torch::zeros({1}, torch::kInt64),
                                             std::vector<std::string>(10, "c"), "rgb");
  EXPECT_THROW(check_fits(*ts, *rgb), ShapeError);
  EXPECT_NO_THROW(check_fits(*ts, *load_fashion_mnist("test")));
}

}  // namespace
}  // namespace robustlab
