// The dynamic half of the device audit (docs/distributed.md, "Devices"): Debian's LibTorch has no
// CUDA, so inputs and weights go to the `meta` device, where tensors have shapes but no storage. A
// tensor created on a hard-coded device (the CPU) then meets a meta tensor and LibTorch throws, or
// comes back on the CPU, which these tests check. Functions that read a number back (.item(), the
// attacks' and adaptations' checks) cannot run on meta; for them the static half,
// tests/devices/device_audit.py, checks every tensor they create.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "robustlab/attacks/common.h"
#include "robustlab/core/error.h"
#include "robustlab/models/device.h"
#include "robustlab/models/load.h"
#include "robustlab/models/zoo.h"
#include "robustlab/psychophysics/image_param.h"
#include "test_support.h"
#include "function_classifier.h"

namespace robustlab {
namespace {

const torch::Device kMeta{torch::kMeta};

ZooConfig small_config() {
  ZooConfig c;
  c.normalization = {{0.5}, {0.25}};
  return c;
}

TEST(Device, ParsesNamesAndRejectsOthersInOneLine) {
  EXPECT_EQ(parse_device("cpu"), torch::Device(torch::kCPU));
  for (const char* bad : {"gpu", "CPU", "cuda:", "cuda:x", "cuda0", "cuda:-1", "cuda:12345", ""}) {
    try {
      parse_device(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("unknown device"), std::string::npos) << e.what();
    }
  }
  if (!torch::cuda::is_available()) {
    for (const char* cuda : {"cuda", "cuda:0", "cuda:1"}) {
      try {
        parse_device(cuda);
        ADD_FAILURE() << cuda << " was accepted without CUDA";
      } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("without CUDA"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
      }
    }
  }
}

TEST(Device, ToDeviceLeavesATensorThatIsThereAlone) {
  const torch::Tensor x = torch::rand({2, 3});
  EXPECT_TRUE(to_device(x, torch::kCPU).is_same(x));
  const torch::Tensor m = to_device(x, kMeta);
  EXPECT_EQ(m.device(), kMeta);
  EXPECT_EQ(m.sizes(), x.sizes());
}

// A network whose weights live on the meta device (LibTorch moves a module's parameters in place
// with set_data, which it allows between dense devices — CPU and CUDA — but not to meta, so a zoo
// model cannot be moved there; a model built there can).
testing::FunctionClassifier meta_model(Normalization normalization) {
  const torch::Tensor w = torch::randn({10, 28 * 28}, torch::TensorOptions(kMeta));
  testing::FunctionClassifier model([w](const torch::Tensor& x) { return torch::matmul(x.flatten(1), w.t()); }, 10,
                                    std::move(normalization), {w});
  return model;
}

TEST(Device, AClassifierTakesInputFromAnywhereAndAnswersOnItsDevice) {
  testing::FunctionClassifier model = meta_model({{0.5}, {0.25}});
  model.to(kMeta);  // the normalisation moves; the weights were there
  EXPECT_EQ(model.device(), kMeta);
  const torch::Tensor x = torch::rand({3, 1, 28, 28});  // on the CPU: forward moves it
  const torch::Tensor logits = model.forward(x);
  EXPECT_EQ(logits.device(), kMeta);
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{3, 10}));

  const torch::Tensor classes = torch::zeros({3}, torch::TensorOptions(kMeta).dtype(torch::kLong));
  EXPECT_EQ(attacks::logit_difference(logits, classes, false).device(), kMeta);
  EXPECT_EQ(attacks::is_adversarial(logits, classes, true).device(), kMeta);
  const torch::Tensor xm = x.to(kMeta);
  // (abs has no meta kernel in this LibTorch, so the L0, L1 and L-inf norms cannot run there.)
  EXPECT_EQ(attacks::perturbation_norms(xm, xm, attacks::Norm::kL2).device(), kMeta);
  EXPECT_EQ(psychophysics::to_valid_rgb(torch::rand({2, 3, 8, 8}).to(kMeta)).device(), kMeta);
}

TEST(Device, AZooModelMovesInPlaceAndItsHandlesStayLive) {
  // On the CPU the move is to the same device; what is checked is that the handles handed out
  // before a move (norm_layers, parameters) are the model's tensors afterwards.
  ZooClassifier model(small_config());
  const std::vector<NormLayer> norms = model.norm_layers();
  const torch::Tensor weight = model.parameters().front();
  model.to(torch::kCPU);
  EXPECT_TRUE(model.parameters().front().is_same(weight));
  EXPECT_TRUE(model.norm_layers().front().running_mean.is_same(norms.front().running_mean));
  EXPECT_EQ(model.device(), torch::Device(torch::kCPU));
}

TEST(Device, ModelsAreBuiltAndLoadedOnTheDefaultDevice) {
  // The default device reaches the zoo constructor and the loader: on meta, LibTorch refuses the
  // in-place move (see above), which shows that the move was asked for.
  testing::TempDir dir;
  const std::filesystem::path checkpoint = dir.path() / "model.ckpt";
  {
    ZooClassifier model(small_config());
    save_checkpoint(model, checkpoint);
  }
  set_default_device(kMeta);
  EXPECT_EQ(default_device(), kMeta);
  EXPECT_THROW(ZooClassifier{small_config()}, c10::Error);
  EXPECT_THROW(load_classifier(checkpoint.string()), c10::Error);
  set_default_device(torch::kCPU);
  EXPECT_EQ(load_classifier(checkpoint.string())->device(), torch::Device(torch::kCPU));
  EXPECT_THROW(load_classifier(checkpoint.string(), {.device = kMeta}), c10::Error);
}

}  // namespace
}  // namespace robustlab
