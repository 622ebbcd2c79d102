// The recognition-gap search as the CLI stores it, shared by `robustlab recognition-gap` and the
// pitfalls section of `robustlab benchmark` (Funke et al. 2021): every image's numbers as it is
// searched, then the summary.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "robustlab/data/dataset.h"
#include "robustlab/evaluation/recognition_gap.h"
#include "robustlab/models/classifier.h"
#include "robustlab/store/store.h"

namespace robustlab::cli {

/// Searches every image of `data` (joint classes `targets`, or each image's label when empty),
/// storing mirc_size, p_mirc, p_sub_mirc and recognition_gap per image as it goes, and the
/// summary (mean_recognition_gap, std_recognition_gap, mean_mirc_size) at the end. Images in
/// `done` (from an interrupted run) are taken from there instead.
evaluation::GapSummary store_recognition_gaps(Store& store, int64_t run, const std::string& model_name,
                                              Classifier& model, const DatasetPtr& data,
                                              const std::vector<int64_t>& targets,
                                              const evaluation::RecognitionGapOptions& options,
                                              const std::map<int64_t, evaluation::RecognitionGap>& done = {});

/// Per-image results a run stored (to resume it).
std::map<int64_t, evaluation::RecognitionGap> stored_recognition_gaps(const Store& store, int64_t run);

/// The summary line, with the published human and BagNet-33 gaps beside it.
void print_recognition_gap(const std::string& model, const std::string& dataset, const evaluation::GapSummary& s);

}  // namespace robustlab::cli
