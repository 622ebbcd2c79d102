// Resumable training checkpoints (see training_checkpoint.h).
#include "robustlab/models/training_checkpoint.h"

#include <sstream>

#include "robustlab/core/error.h"
#include "robustlab/core/paths.h"
#include "robustlab/data/zip_records.h"

namespace robustlab {
namespace {

torch::serialize::InputArchive open_archive(const std::filesystem::path& path, const std::string& what) {
  check_zip_records(path, what, "corrupt or not a " + what + " checkpoint");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path.string());
  } catch (const std::exception& e) {  // c10::Error, and the TorchScript importer's own ErrorReport
    throw FormatError(what + ": checkpoint '" + path.string() + "' is corrupt or not a " + what + " checkpoint (" +
                      first_line(e.what()) + ")");
  }
  return archive;
}

std::string saved_options(torch::serialize::InputArchive& archive, const std::filesystem::path& path,
                          const std::string& what) {
  c10::IValue saved;
  if (!archive.try_read("options", saved) || !saved.isString()) {
    throw FormatError(what + ": '" + path.string() + "' is not a " + what + " checkpoint (no options)");
  }
  return saved.toStringRef();
}

void read_module(torch::serialize::InputArchive& archive, const char* key, const std::filesystem::path& path,
                 const std::string& what, const std::function<void(torch::serialize::InputArchive&)>& load) {
  try {
    torch::serialize::InputArchive part;
    archive.read(key, part);
    load(part);
  } catch (const c10::Error& e) {
    throw FormatError(what + ": '" + path.string() + "' does not hold a matching " + key + " (" +
                      first_line(e.what_without_backtrace()) + ")");
  }
}

}  // namespace

void save_training_checkpoint(const std::filesystem::path& path, const std::string& options_json,
                              torch::nn::Module& model, torch::optim::Optimizer& optimizer, int64_t step,
                              const std::mt19937_64& rng) {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("options", c10::IValue(options_json));
  archive.write("step", c10::IValue(step));
  std::ostringstream state;
  state << rng;
  archive.write("rng", c10::IValue(state.str()));
  archive.write("noise_rng", at::detail::getDefaultCPUGenerator().get_state());
  remove_stale_temporaries_of(path);  // a killed run's half-written checkpoint
  write_atomically(path, [&](const std::filesystem::path& tmp) {
    try {
      archive.save_to(tmp.string());
    } catch (const c10::Error& e) {
      throw IoError("cannot write checkpoint '" + path.string() + "': " + first_line(e.what_without_backtrace()));
    }
  });
}

int64_t resume_training_checkpoint(const std::filesystem::path& path, const std::string& what,
                                   const std::string& options_json, torch::nn::Module& model,
                                   torch::optim::Optimizer& optimizer, std::mt19937_64& rng) {
  torch::serialize::InputArchive archive = open_archive(path, what);
  if (saved_options(archive, path, what) != options_json) {
    throw InvalidArgument(what + ": checkpoint '" + path.string() +
                          "' was trained with other settings; remove it or choose another --checkpoint");
  }
  read_module(archive, "model", path, what, [&](torch::serialize::InputArchive& a) { model.load(a); });
  read_module(archive, "optimizer", path, what, [&](torch::serialize::InputArchive& a) { optimizer.load(a); });
  c10::IValue step, engine;
  torch::Tensor noise;
  try {
    archive.read("step", step);
    archive.read("rng", engine);
    archive.read("noise_rng", noise);
  } catch (const c10::Error& e) {
    throw FormatError(what + ": checkpoint '" + path.string() + "' is incomplete (" + first_line(e.what_without_backtrace()) + ")");
  }
  std::istringstream(engine.toStringRef()) >> rng;
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  generator.set_state(noise);
  return step.toInt();
}

std::string training_checkpoint_options(const std::filesystem::path& path, const std::string& what) {
  require_file(path, what);
  torch::serialize::InputArchive archive = open_archive(path, what);
  return saved_options(archive, path, what);
}

void load_trained_weights(const std::filesystem::path& path, const std::string& what, torch::nn::Module& model) {
  torch::serialize::InputArchive archive = open_archive(path, what);
  read_module(archive, "model", path, what, [&](torch::serialize::InputArchive& a) { model.load(a); });
  model.eval();
}

}  // namespace robustlab
