// The object-centric video benchmark as the CLI stores it, shared by `robustlab objects` and the
// objects section of `robustlab benchmark`: training the slot-attention baseline with its losses
// stored, MOT metrics as result rows, and the section itself (Weis et al. 2021 at a CPU scale).
#pragma once

#include <string>
#include <vector>

#include "robustlab/objects/mot.h"
#include "robustlab/objects/slot_video.h"
#include "robustlab/store/store.h"

namespace robustlab::cli {

/// Trains (or resumes) the slot model; its training MSE is stored as it comes ("train_mse" by step).
objects::SlotVideo train_slot_model(const objects::SlotTrainOptions& options, Store& store, int64_t run);

/// The metrics as result rows of `model` on `dataset` (percentages; raw counts too).
std::vector<ResultRow> mot_rows(const std::string& model, const std::string& dataset, const objects::MotMetrics& metrics);

struct ObjectsRow {
  std::string model, set;
  objects::MotMetrics metrics;
  double mse = NAN;  ///< the benchmark's reconstruction MSE (models that reconstruct)
};

/// The objects section: VMDS-style train/test splits and the seven challenge sets in the cache
/// (generated once), the slot-attention baseline trained for `steps` (cached by its settings), and
/// both it and the connected-components predictor scored on every test set.
std::vector<ObjectsRow> objects_section(Store& store, int64_t run, uint64_t seed, int64_t steps);

/// The table of an objects section, with the published ViMON and MONet rows for comparison.
void print_objects_table(const std::vector<ObjectsRow>& rows);

}  // namespace robustlab::cli
