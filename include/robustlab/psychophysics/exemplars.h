// Natural exemplars of a unit (Borowski et al. 2021, arXiv:2010.12606; the repository's
// natural_stimuli_save_all_activations.py and save_natural_stimuli.py; ../shared/reference/mvh.md
// §6): the spatial-mean activation of a channel on every image of a dataset, sorted; the lowest and
// the highest `images · batches` images are cut into `images` rank bins of `batches` images each,
// and each bin is shuffled over the batches, so that every batch holds one image of every bin.
// Position i of a batch's max images comes from the i-th bin of the top images in ascending order
// (the last position from the most activating bin), position i of its min images from the i-th bin
// of the bottom images (position 0 from the least activating bin).
//
// The reference script indexes batch + images·position into the shuffled list where its own
// docstring (and the bins) call for batch + batches·position; with 20 batches of 10 that reuses
// images across batches and never uses the top bins for max_9. We follow the docstring.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "robustlab/data/dataset.h"
#include "robustlab/models/classifier.h"

namespace robustlab::psychophysics {

/// The spatial-mean activation of `channels` of `layer` on every example of `data`, streamed in
/// batches of `batch_size` (memory: one batch plus the [N, K] result): [N, K] float32. Throws
/// InvalidArgument for an unknown layer or a channel out of range.
torch::Tensor channel_activations(Classifier& model, const DatasetPtr& data, const std::string& layer,
                                  const std::vector<int64_t>& channels, int64_t batch_size = 128);

struct ExemplarBatches {
  /// [batch][position]: dataset indices.
  std::vector<std::vector<int64_t>> max, min;
};

/// Splits the sorted `activations` ([N]) into `batches` batches of `images` max and `images` min
/// images. Shuffling is seeded by `seed` (min) and `seed + 1` (max), as the reference seeds numpy by
/// the feature map and the feature map + 1. Throws InvalidArgument when N < 2 · images · batches.
ExemplarBatches exemplar_batches(const torch::Tensor& activations, int64_t images, int64_t batches, uint64_t seed);

}  // namespace robustlab::psychophysics
