// Loading and saving models: TorchScript files saved by PyTorch (torch.jit.save / torch.jit.script)
// run as Classifiers with PyTorch's logits, and checkpoints of zoo models record their
// architecture so that `--model <checkpoint>` needs no other flag.
#pragma once

#include <torch/script.h>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "robustlab/data/dataset.h"
#include "robustlab/models/zoo.h"

namespace robustlab {

/// A TorchScript module as a Classifier. The module receives normalised input; its number of
/// classes is learned from its first output.
class TorchScriptClassifier : public Classifier {
 public:
  TorchScriptClassifier(torch::jit::Module module, std::string origin, Normalization normalization = {});

  int64_t num_classes() const override { return num_classes_; }
  void set_training(bool training) override { module_.train(training); }
  bool is_training() const override { return module_.is_training(); }
  std::vector<torch::Tensor> parameters() override;
  std::vector<NormLayer> norm_layers() override;
  std::string description() const override { return "TorchScript " + origin_; }
  /// Every submodule, dotted as named_modules names them, in module order.
  std::vector<std::string> layer_names() override;

  torch::jit::Module& module() { return module_; }

 protected:
  torch::Tensor forward_normalized(const torch::Tensor& x) override;
  /// TorchScript has no forward hooks in C++: the output of a submodule is read by a copy of the
  /// forward graph whose calls are inlined down to the submodule's call, with that call's result as
  /// the only output (dead code after it removed). Built once per layer.
  torch::Tensor layer_output_normalized(const torch::Tensor& x, const std::string& layer) override;
  /// A module with a `features` method and a final linear child named fc, head or classifier
  /// (as torchvision's ResNets are written when scripted with such a method).
  std::pair<torch::Tensor, torch::Tensor> features_and_logits_normalized(const torch::Tensor& x) override;
  void move_to(torch::Device device) override { module_.to(device); }

 private:
  /// Runs `run` (the module or a probe on `x`), turning LibTorch's and the interpreter's errors
  /// into a ShapeError that names the model and the input's shape.
  void run_guarded(const torch::Tensor& x, const std::function<void()>& run) const;

  torch::jit::Module module_;
  std::string origin_;
  int64_t num_classes_ = -1;
  std::map<std::string, std::shared_ptr<torch::jit::GraphFunction>> probes_;
};

/// Writes a zoo model and its configuration to `path` (atomically). `metadata` (training options,
/// dataset, accuracy) is stored beside the weights and returned by read_checkpoint_metadata.
void save_checkpoint(ZooClassifier& model, const std::filesystem::path& path,
                     const nlohmann::json& metadata = nlohmann::json::object());

/// The metadata saved with a checkpoint. Throws FormatError if `path` is not a robustlab checkpoint.
nlohmann::json read_checkpoint_metadata(const std::filesystem::path& path);

struct LoadOptions {
  /// Normalisation for TorchScript models that expect normalised input (zoo checkpoints carry
  /// their own).
  Normalization normalization;
  /// The device to load onto; unset: default_device() (models/device.h).
  std::optional<torch::Device> device;
};

/// Loads a robustlab checkpoint or any TorchScript file, in evaluation mode. Throws IoError for a
/// missing file, FormatError for a corrupt or foreign one, and InvalidArgument for a name that is
/// neither a file nor a zoo architecture (an architecture name alone is rejected too: it has no
/// trained weights).
ClassifierPtr load_classifier(const std::string& spec, const LoadOptions& options = {});

/// Runs one example through `model` (in evaluation mode, without gradients) and checks that it
/// accepts the dataset's images and returns one logit per class. Throws ShapeError otherwise.
void check_fits(Classifier& model, const Dataset& dataset);

}  // namespace robustlab
