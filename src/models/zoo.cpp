// Zoo architectures. ResNet-18/50 follow torchvision's ResNet (He et al. 2016, arXiv:1512.03385:
// 7x7 stem, four stages, BasicBlock or Bottleneck, stride on the 3x3 convolution); ResNet-20 is
// the CIFAR variant of §4.2 (3x3 stem, three stages of 16/32/64 channels, 1x1 projection
// shortcuts); resnet20_patch4 is ResNet-20 behind a 4x4 stride-4 "patchify" stem (the stem of
// Liu et al. 2022, ConvNeXt, arXiv:2201.03545), so that 128-px line drawings (SVRT, contours at
// half size) cost what 32-px CIFAR images do while every pixel still reaches the network; small_cnn is the FMN reference CNN (conv-BN-ReLU-pool twice, then two linear
// layers), sized for any input side.
#include "robustlab/models/zoo.h"

#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/models/device.h"

namespace nn = torch::nn;

namespace robustlab {
namespace {

nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

class SmallCnn : public ZooNet {
 public:
  explicit SmallCnn(const ZooConfig& c) {
    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(c.in_channels, 32, 3).padding(1)));
    bn1_ = register_module("bn1", nn::BatchNorm2d(32));
    conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1)));
    bn2_ = register_module("bn2", nn::BatchNorm2d(64));
    const int64_t side = c.image_size / 4;
    fc1_ = register_module("fc1", nn::Linear(64 * side * side, 128));
    fc2_ = register_module("fc2", nn::Linear(128, c.num_classes));
  }
  std::vector<std::string> layers() const override { return {"block1", "block2", "fc1"}; }
  torch::Tensor forward_to(torch::Tensor x, const std::string& layer) override {
    x = torch::relu(bn1_(conv1_(x)));
    if (layer == "block1") return x;
    x = torch::relu(bn2_(conv2_(torch::max_pool2d(x, 2))));
    if (layer == "block2") return x;
    return torch::relu(fc1_(torch::max_pool2d(x, 2).flatten(1)));
  }
  torch::Tensor head(const torch::Tensor& f) override { return fc2_(f); }

 private:
  nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  nn::Linear fc1_{nullptr}, fc2_{nullptr};
};

/// A residual block: BasicBlock (two 3x3) or Bottleneck (1x1, 3x3, 1x1 with 4x expansion).
class Block : public nn::Module {
 public:
  Block(int64_t in, int64_t planes, int64_t stride, bool bottleneck) {
    const int64_t out = bottleneck ? planes * 4 : planes;
    if (bottleneck) {
      convs_.push_back(register_module("conv1", conv(in, planes, 1, 1, 0)));
      convs_.push_back(register_module("conv2", conv(planes, planes, 3, stride, 1)));
      convs_.push_back(register_module("conv3", conv(planes, out, 1, 1, 0)));
    } else {
      convs_.push_back(register_module("conv1", conv(in, planes, 3, stride, 1)));
      convs_.push_back(register_module("conv2", conv(planes, planes, 3, 1, 1)));
    }
    for (size_t i = 0; i < convs_.size(); ++i) {
      const int64_t channels = i + 1 == convs_.size() ? out : planes;
      bns_.push_back(register_module("bn" + std::to_string(i + 1), nn::BatchNorm2d(channels)));
    }
    if (stride != 1 || in != out) {
      shortcut_conv_ = register_module("shortcut_conv", conv(in, out, 1, stride, 0));
      shortcut_bn_ = register_module("shortcut_bn", nn::BatchNorm2d(out));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = x;
    for (size_t i = 0; i < convs_.size(); ++i) {
      y = bns_[i](convs_[i](y));
      if (i + 1 < convs_.size()) y = torch::relu(y);
    }
    const torch::Tensor identity = shortcut_conv_ ? shortcut_bn_(shortcut_conv_(x)) : x;
    return torch::relu(y + identity);
  }

 private:
  std::vector<nn::Conv2d> convs_;
  std::vector<nn::BatchNorm2d> bns_;
  nn::Conv2d shortcut_conv_{nullptr};
  nn::BatchNorm2d shortcut_bn_{nullptr};
};

class ResNet : public ZooNet {
 public:
  /// kImageNet: 7x7/2 convolution and 3x3/2 max pool (224 px); kCifar: a 3x3/1 stem; kPatch4: 4x4/4.
  enum class Stem { kCifar, kImageNet, kPatch4 };
  ResNet(const ZooConfig& c, std::vector<int64_t> blocks, std::vector<int64_t> widths, bool bottleneck, Stem stem_kind)
      : imagenet_stem_(stem_kind == Stem::kImageNet) {
    const int64_t stem = widths.front();
    stem_conv_ = register_module("stem_conv", stem_kind == Stem::kImageNet ? conv(c.in_channels, stem, 7, 2, 3)
                                              : stem_kind == Stem::kPatch4 ? conv(c.in_channels, stem, 4, 4, 0)
                                                                           : conv(c.in_channels, stem, 3, 1, 1));
    stem_bn_ = register_module("stem_bn", nn::BatchNorm2d(stem));
    int64_t in = stem;
    for (size_t s = 0; s < blocks.size(); ++s) {
      for (int64_t b = 0; b < blocks[s]; ++b) {
        const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
        auto block = std::make_shared<Block>(in, widths[s], stride, bottleneck);
        names_.push_back("layer" + std::to_string(s + 1) + "_" + std::to_string(b));
        blocks_.push_back(register_module(names_.back(), block));
        in = bottleneck ? widths[s] * 4 : widths[s];
      }
    }
    fc_ = register_module("fc", nn::Linear(in, c.num_classes));
    for (auto& m : modules(false)) {
      if (auto* cv = m->as<nn::Conv2d>()) {
        nn::init::kaiming_normal_(cv->weight, 0.0, torch::kFanOut, torch::kReLU);
      }
    }
  }
  std::vector<std::string> layers() const override {
    std::vector<std::string> all = {"stem"};
    all.insert(all.end(), names_.begin(), names_.end());
    all.push_back("pool");
    return all;
  }
  torch::Tensor forward_to(torch::Tensor x, const std::string& layer) override {
    x = torch::relu(stem_bn_(stem_conv_(x)));
    if (imagenet_stem_) x = torch::max_pool2d(x, 3, 2, 1);
    if (layer == "stem") return x;
    for (size_t i = 0; i < blocks_.size(); ++i) {
      x = blocks_[i]->forward(x);
      if (layer == names_[i]) return x;
    }
    return torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  }
  torch::Tensor head(const torch::Tensor& f) override { return fc_(f); }

 private:
  bool imagenet_stem_;
  nn::Conv2d stem_conv_{nullptr};
  nn::BatchNorm2d stem_bn_{nullptr};
  std::vector<std::shared_ptr<Block>> blocks_;
  std::vector<std::string> names_;  // of blocks_
  nn::Linear fc_{nullptr};
};

std::shared_ptr<ZooNet> build(const ZooConfig& c) {
  if (c.arch == "small_cnn") return std::make_shared<SmallCnn>(c);
  using Stem = ResNet::Stem;
  if (c.arch == "resnet18") return std::make_shared<ResNet>(c, std::vector<int64_t>{2, 2, 2, 2},
                                                            std::vector<int64_t>{64, 128, 256, 512}, false, Stem::kImageNet);
  if (c.arch == "resnet50") return std::make_shared<ResNet>(c, std::vector<int64_t>{3, 4, 6, 3},
                                                            std::vector<int64_t>{64, 128, 256, 512}, true, Stem::kImageNet);
  return std::make_shared<ResNet>(c, std::vector<int64_t>{3, 3, 3}, std::vector<int64_t>{16, 32, 64}, false,
                                  c.arch == "resnet20_patch4" ? Stem::kPatch4 : Stem::kCifar);
}

}  // namespace

const std::vector<std::string>& zoo_architectures() {
  static const std::vector<std::string> names = {"small_cnn", "resnet18", "resnet50", "resnet20", "resnet20_patch4"};
  return names;
}

void ZooConfig::validate() const {
  const auto& names = zoo_architectures();
  if (std::find(names.begin(), names.end(), arch) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw InvalidArgument("unknown model architecture '" + arch + "' (known: " + list + ")");
  }
  if (in_channels < 1) throw InvalidArgument("ZooConfig: in_channels must be >= 1, got " + std::to_string(in_channels));
  if (num_classes < 2) throw InvalidArgument("ZooConfig: num_classes must be >= 2, got " + std::to_string(num_classes));
  if (arch == "small_cnn" && image_size < 4) {
    throw InvalidArgument("ZooConfig: small_cnn needs image_size >= 4, got " + std::to_string(image_size));
  }
  normalization.validate();
  if (!normalization.empty() && normalization.mean.size() != 1 &&
      static_cast<int64_t>(normalization.mean.size()) != in_channels) {
    throw InvalidArgument("ZooConfig: normalisation has " + std::to_string(normalization.mean.size()) +
                          " channels for a model with " + std::to_string(in_channels));
  }
}

nlohmann::json ZooConfig::to_json() const {
  return {{"arch", arch},
          {"in_channels", in_channels},
          {"num_classes", num_classes},
          {"image_size", image_size},
          {"mean", normalization.mean},
          {"std", normalization.std}};
}

ZooConfig ZooConfig::from_json(const nlohmann::json& json) {
  ZooConfig c;
  try {
    c.arch = json.at("arch").get<std::string>();
    c.in_channels = json.at("in_channels").get<int64_t>();
    c.num_classes = json.at("num_classes").get<int64_t>();
    c.image_size = json.at("image_size").get<int64_t>();
    c.normalization.mean = json.at("mean").get<std::vector<double>>();
    c.normalization.std = json.at("std").get<std::vector<double>>();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(std::string("ZooConfig: invalid model configuration: ") + e.what());
  }
  c.validate();
  return c;
}

ZooClassifier::ZooClassifier(ZooConfig config)
    : Classifier(config.normalization), config_(std::move(config)) {
  config_.validate();
  net_ = build(config_);
  to(default_device());  // initialised on the CPU (the same weights on every device), then moved
}

std::string ZooClassifier::description() const {
  return origin_.empty() ? config_.arch : config_.arch + " (" + origin_ + ")";
}

std::vector<NormLayer> ZooClassifier::norm_layers() { return frontend_norm_layers(*net_); }

std::vector<NormLayer> frontend_norm_layers(nn::Module& module) {
  std::vector<NormLayer> layers;
  for (auto& item : module.named_modules()) {
    NormLayer layer;
    layer.name = item.key();
    nn::Module& m = *item.value();
    if (auto* bn = m.as<nn::BatchNorm2d>()) {
      layer.kind = NormLayer::Kind::kBatchNorm;
      layer.weight = bn->weight;
      layer.bias = bn->bias;
      layer.running_mean = bn->running_mean;
      layer.running_var = bn->running_var;
      layer.set_training = [bn](bool training) { bn->train(training); };
      layer.momentum = [bn] { return bn->options.momentum().value_or(0.1); };
    } else if (auto* ln = m.as<nn::LayerNorm>()) {
      layer.kind = NormLayer::Kind::kLayerNorm;
      layer.weight = ln->weight;
      layer.bias = ln->bias;
    } else if (auto* gn = m.as<nn::GroupNorm>()) {
      layer.kind = NormLayer::Kind::kGroupNorm;
      layer.weight = gn->weight;
      layer.bias = gn->bias;
    } else {
      continue;
    }
    layers.push_back(std::move(layer));
  }
  return layers;
}

}  // namespace robustlab
