// TorchScript classifiers and zoo checkpoints. A checkpoint is a LibTorch serialize archive (itself
// a TorchScript-format zip) holding the weights plus two string attributes: the zoo configuration
// and free-form metadata, both as JSON.
#include "robustlab/models/load.h"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/runtime/graph_iterator.h>

#include <optional>

#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"
#include "robustlab/data/zip_records.h"
#include "robustlab/models/device.h"

namespace fs = std::filesystem;

namespace robustlab {
namespace {
constexpr const char* kConfigKey = "robustlab_config";
constexpr const char* kMetadataKey = "robustlab_metadata";

torch::jit::Module load_module(const fs::path& path) {
  require_file(path, "load_classifier");
  check_zip_records(path, "load_classifier", "not a TorchScript model or robustlab checkpoint");
  try {
    return torch::jit::load(path.string(), torch::kCPU);
  } catch (const std::exception& e) {
    throw FormatError("load_classifier: file '" + path.string() +
                      "' is not a TorchScript model or robustlab checkpoint (" + first_line(e.what()) + ")");
  }
}

nlohmann::json string_attr_json(const torch::jit::Module& module, const char* key, const fs::path& path) {
  try {
    return nlohmann::json::parse(module.attr(key).toStringRef());
  } catch (const std::exception& e) {
    throw FormatError("checkpoint '" + path.string() + "': attribute '" + key + "' is unreadable (" +
                      first_line(e.what()) + ")");
  }
}

std::optional<NormLayer::Kind> norm_kind(const torch::jit::Module& m) {
  const auto type = m.type()->name();
  if (!type) return std::nullopt;
  const std::string name = type->name();
  if (name.rfind("BatchNorm", 0) == 0) return NormLayer::Kind::kBatchNorm;
  if (name == "LayerNorm") return NormLayer::Kind::kLayerNorm;
  if (name == "GroupNorm") return NormLayer::Kind::kGroupNorm;
  return std::nullopt;
}

torch::Tensor tensor_attr(const torch::jit::Module& m, const char* key) {
  if (!m.hasattr(key)) return {};
  const c10::IValue value = m.attr(key);
  return value.isTensor() ? value.toTensor() : torch::Tensor();
}
}  // namespace

TorchScriptClassifier::TorchScriptClassifier(torch::jit::Module module, std::string origin,
                                             Normalization normalization)
    : Classifier(std::move(normalization)), module_(std::move(module)), origin_(std::move(origin)) {
  module_.eval();
  // The simple graph executor instead of the profiling one: on CPU with fixed shapes it has
  // nothing to specialise, and its bookkeeping cost 6 % of a forward-backward pass of the FMN
  // reference CNN at batch 200 (254 -> 239 ms). This is a process-wide LibTorch setting.
  torch::jit::getProfilingMode() = false;
  torch::jit::getExecutorMode() = false;
}

std::vector<torch::Tensor> TorchScriptClassifier::parameters() {
  std::vector<torch::Tensor> params;
  for (const auto& p : module_.parameters(true)) params.push_back(p);
  return params;
}

std::vector<NormLayer> TorchScriptClassifier::norm_layers() {
  std::vector<NormLayer> layers;
  for (const auto& item : module_.named_modules()) {
    const auto kind = norm_kind(item.value);
    if (!kind) continue;
    NormLayer layer;
    layer.name = item.name;
    layer.kind = *kind;
    layer.weight = tensor_attr(item.value, "weight");
    layer.bias = tensor_attr(item.value, "bias");
    if (*kind == NormLayer::Kind::kBatchNorm) {
      layer.running_mean = tensor_attr(item.value, "running_mean");
      layer.running_var = tensor_attr(item.value, "running_var");
      torch::jit::Module bn = item.value;  // a handle: copies share the module
      layer.set_training = [bn](bool training) mutable { bn.train(training); };
      layer.momentum = [bn] {  // a constant of the scripted class (nn.BatchNorm2d), or an attribute
        const auto type = bn.type();
        const c10::IValue m = type->hasConstant("momentum") ? type->getConstant("momentum") : bn.attr("momentum");
        if (!m.isDouble())
          throw InvalidArgument("batch norm with a cumulative average (momentum None) is not supported");
        return m.toDouble();
      };
    }
    layers.push_back(std::move(layer));
  }
  return layers;
}

void TorchScriptClassifier::run_guarded(const torch::Tensor& x, const std::function<void()>& run) const {
  try {
    run();
  } catch (const c10::Error& e) {
    throw ShapeError("TorchScript model " + origin_ + " failed on input " + c10::str(x.sizes()) +
                     ": " + torch_error_summary(e.what_without_backtrace()));
  } catch (const std::runtime_error& e) {  // the interpreter's JITException
    throw ShapeError("TorchScript model " + origin_ + " failed on input " + c10::str(x.sizes()) +
                     ": " + torch_error_summary(e.what()));
  }
}

torch::Tensor TorchScriptClassifier::forward_normalized(const torch::Tensor& x) {
  c10::IValue out;
  run_guarded(x, [&] { out = module_.forward({x}); });
  if (!out.isTensor()) {
    throw ShapeError("TorchScript model " + origin_ + " must return a logits tensor, returned " +
                     out.tagKind());
  }
  torch::Tensor logits = out.toTensor();
  if (logits.dim() != 2 || logits.size(0) != x.size(0)) {
    throw ShapeError("TorchScript model " + origin_ + " returned " + c10::str(logits.sizes()) +
                     " for input " + c10::str(x.sizes()) + ", expected [N, classes]");
  }
  num_classes_ = logits.size(1);
  return logits;
}

std::vector<std::string> TorchScriptClassifier::layer_names() {
  std::vector<std::string> names;
  for (const auto& item : module_.named_modules()) {
    if (!item.name.empty()) names.push_back(item.name);
  }
  return names;
}

namespace {

/// The attribute path from the module's self to `v` ({"layer1", "0"}), if `v` is a chain of
/// GetAttr on the graph's first input.
std::optional<std::vector<std::string>> module_path(torch::jit::Value* v, torch::jit::Value* self) {
  std::vector<std::string> path;
  while (v != self) {
    if (v->node()->kind() != c10::prim::GetAttr) return std::nullopt;
    path.insert(path.begin(), v->node()->s(c10::attr::name));
    v = v->node()->input(0);
  }
  return path;
}

std::shared_ptr<torch::jit::GraphFunction> make_probe(const torch::jit::Module& module, const std::string& layer,
                                                      const std::string& origin) {
  std::vector<std::string> target;
  for (size_t start = 0;;) {
    const size_t dot = layer.find('.', start);
    target.push_back(layer.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  auto graph = module.get_method("forward").graph()->copy();
  torch::jit::Value* self = graph->inputs().at(0);
  for (;;) {  // inline the call of the deepest enclosing module until the layer's own call appears
    torch::jit::Node* call = nullptr;
    torch::jit::Node* enclosing = nullptr;
    size_t depth = 0;
    torch::jit::DepthFirstGraphNodeIterator it(graph);
    for (torch::jit::Node* n = it.next(); n != nullptr && call == nullptr; n = it.next()) {
      if (n->kind() != c10::prim::CallMethod || n->s(c10::attr::name) != "forward") continue;
      const auto path = module_path(n->input(0), self);
      if (!path) continue;
      if (*path == target) {
        call = n;
      } else if (path->size() < target.size() && path->size() > depth &&
                 std::equal(path->begin(), path->end(), target.begin())) {
        enclosing = n;
        depth = path->size();
      }
    }
    if (call != nullptr) {
      if (call->owningBlock() != graph->block())
        throw InvalidArgument("layer '" + layer + "' of TorchScript model " + origin +
                              " is called inside control flow; its output cannot be read");
      while (!graph->outputs().empty()) graph->eraseOutput(0);
      graph->registerOutput(call->output());
      torch::jit::EliminateDeadCode(graph);
      return std::make_shared<torch::jit::GraphFunction>("probe_" + layer, graph, nullptr);
    }
    if (enclosing == nullptr)
      throw InvalidArgument("layer '" + layer + "' of TorchScript model " + origin + " is not called by forward");
    auto& callee = enclosing->input(0)->type()->expectRef<c10::ClassType>().getMethod("forward");
    auto& fn = torch::jit::toGraphFunction(callee);
    torch::jit::inlineCallTo(enclosing, &fn, fn.graph().get());  // one level: its own calls stay calls
  }
}

}  // namespace

torch::Tensor TorchScriptClassifier::layer_output_normalized(const torch::Tensor& x, const std::string& layer) {
  auto& probe = probes_[layer];
  if (!probe) probe = make_probe(module_, layer, origin_);
  torch::jit::Stack stack{module_._ivalue(), x};
  run_guarded(x, [&] { probe->run(stack); });
  if (stack.empty() || !stack.back().isTensor())
    throw InvalidArgument("layer '" + layer + "' of TorchScript model " + origin_ + " does not return a tensor");
  return stack.back().toTensor();
}

std::pair<torch::Tensor, torch::Tensor> TorchScriptClassifier::features_and_logits_normalized(const torch::Tensor& x) {
  if (!module_.find_method("features"))
    throw InvalidArgument("TorchScript model " + origin_ + " has no features method (needed to split it at its final layer)");
  for (const char* name : {"fc", "head", "classifier"}) {
    if (!module_.hasattr(name) || !module_.attr(name).isModule()) continue;
    const torch::Tensor f = module_.run_method("features", x).toTensor();
    return {f, module_.attr(name).toModule().forward({f}).toTensor()};
  }
  throw InvalidArgument("TorchScript model " + origin_ + " has no final layer named fc, head or classifier");
}

void save_checkpoint(ZooClassifier& model, const fs::path& path, const nlohmann::json& metadata) {
  torch::serialize::OutputArchive archive;
  model.net().save(archive);
  archive.write(kConfigKey, c10::IValue(model.config().to_json().dump()));
  archive.write(kMetadataKey, c10::IValue(metadata.dump()));
  remove_stale_temporaries_of(path);  // a killed run's half-written checkpoint
  write_atomically(path, [&](const fs::path& tmp) {
    try {
      archive.save_to(tmp.string());
    } catch (const c10::Error& e) {
      throw IoError("save_checkpoint: cannot write '" + path.string() + "': " + first_line(e.what_without_backtrace()));
    }
  });
}

nlohmann::json read_checkpoint_metadata(const fs::path& path) {
  const torch::jit::Module module = load_module(path);
  if (!module.hasattr(kMetadataKey)) {
    throw FormatError("read_checkpoint_metadata: '" + path.string() + "' is not a robustlab checkpoint");
  }
  return string_attr_json(module, kMetadataKey, path);
}

ClassifierPtr load_classifier(const std::string& spec, const LoadOptions& options) {
  const fs::path path(spec);
  if (!fs::exists(path)) {
    const auto& names = zoo_architectures();
    if (std::find(names.begin(), names.end(), spec) != names.end()) {
      throw InvalidArgument("load_classifier: '" + spec +
                            "' is an architecture without trained weights; train it with "
                            "'robustlab train --model " + spec + "' and pass the checkpoint");
    }
    throw IoError("load_classifier: model file '" + spec + "' does not exist");
  }
  torch::jit::Module module = load_module(path);
  const torch::Device device = options.device.value_or(default_device());
  if (!module.hasattr(kConfigKey)) {
    auto model = std::make_shared<TorchScriptClassifier>(std::move(module), path.string(), options.normalization);
    model->to(device);
    return model;
  }
  auto model = std::make_shared<ZooClassifier>(ZooConfig::from_json(string_attr_json(module, kConfigKey, path)));
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string());
    model->net().load(archive);
  } catch (const c10::Error& e) {
    throw FormatError("load_classifier: checkpoint '" + path.string() + "' does not match its architecture (" +
                      first_line(e.what_without_backtrace()) + ")");
  }
  model->set_origin(path.string());
  model->set_training(false);
  model->to(device);
  return model;
}

void check_fits(Classifier& model, const Dataset& dataset) {
  if (dataset.size() == 0) return;
  const bool was_training = model.is_training();
  model.set_training(false);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = dataset.get(0).image.unsqueeze(0);
  torch::Tensor logits;
  try {
    logits = model.forward(x);
  } catch (const c10::Error& e) {
    model.set_training(was_training);
    throw ShapeError("model " + model.description() + " cannot take the images of '" + dataset.name() +
                     "' (" + c10::str(x.sizes()) + "): " + first_line(e.what_without_backtrace()));
  }
  model.set_training(was_training);
  if (logits.dim() != 2 || logits.size(1) != dataset.num_classes()) {
    throw ShapeError("model " + model.description() + " returns " + c10::str(logits.sizes()) +
                     " logits but dataset '" + dataset.name() + "' has " +
                     std::to_string(dataset.num_classes()) + " classes");
  }
}

}  // namespace robustlab
