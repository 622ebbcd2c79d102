// Resumable training checkpoints of libtorch modules: the weights, the optimiser's state, the step,
// the data stream's random engine, torch's default CPU generator (reparameterisation and dropout
// noise) and the training options as a JSON string. A run restarted with the same options continues
// where it stopped and produces the same model as one that never stopped; a checkpoint written with
// other options is refused. Used by the representation and objects trainers.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

namespace robustlab {

/// Writes the state atomically (temporary name, then rename). `what` names the trainer in errors.
void save_training_checkpoint(const std::filesystem::path& path, const std::string& options_json,
                              torch::nn::Module& model, torch::optim::Optimizer& optimizer, int64_t step,
                              const std::mt19937_64& rng);

/// Restores a checkpoint written by save_training_checkpoint into model, optimizer and rng (and
/// torch's default CPU generator) and returns its step. Throws FormatError for a corrupt file and
/// InvalidArgument when it was written with other options.
int64_t resume_training_checkpoint(const std::filesystem::path& path, const std::string& what,
                                   const std::string& options_json, torch::nn::Module& model,
                                   torch::optim::Optimizer& optimizer, std::mt19937_64& rng);

/// The options JSON a checkpoint was trained with (to rebuild its model). Throws IoError for a
/// missing file and FormatError for one that is not a training checkpoint.
std::string training_checkpoint_options(const std::filesystem::path& path, const std::string& what);

/// Loads only the weights of a checkpoint into `model` (built from its options) and puts it in
/// evaluation mode. Throws FormatError when they do not match.
void load_trained_weights(const std::filesystem::path& path, const std::string& what, torch::nn::Module& model);

}  // namespace robustlab
