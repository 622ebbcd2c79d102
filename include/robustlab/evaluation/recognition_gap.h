// The recognition gap (Ullman, Assif, Fetaya, Harari, "Atoms of recognition in human and computer
// vision", PNAS 2016; with a search aligned to the human one for machines: Funke, Borowski,
// Stosio, Brendel, Wallis, Bethge, "Five points to check when comparing visual perception in
// humans and machines", JoV 2021, arXiv:2004.09406, §5; code: bethgelab/notorious_difficulty_of_
// comparing_human_and_machine_perception, recognition_gap/utils/search.py and util.py; facts in
// ../shared/reference/mvh.md §5.3).
//
// Greedy search for a minimal recognisable image (MIRC): from the whole image, while the
// probability of the correct classes (summed over the joint classes) is at least 0.5, evaluate
// the children of the current crop — crops of round(0.8·size) (the four corners, "Ullman4", or
// every stride-1 position, "stride1") and one copy of the whole crop at round(0.8·size)
// resolution — and follow the child of highest probability (the reference's "custom probability",
// log Σ_targets e^l − log Σ_others e^l, is the logit of that probability, so it picks the same
// child; ties go to the first). The MIRC is the last crop that still reaches 0.5; its sub-MIRC is
// its best child (below 0.5); the gap is p(MIRC) − p(sub-MIRC). The search also stops once the
// crop covers 3 original pixels. Sizes are counted in the original image's pixels (a reduced-
// resolution step keeps the size); crops smaller than `min_size` are upsampled to it for the
// model. Resizing follows the reference's util.get_resized_img: 8-bit values (truncated) resized
// bilinearly with antialiasing as PIL does, back to [0,1].
//
// Generalised from the reference's BagNet-33 (which evaluates crops of 33 px and more as averages
// of patch logits) to any classifier: every child is evaluated as an image. One departure, on
// purpose: the reference evaluates a reduced-resolution child below 33 px as its *parent* resized
// to 33 px, so below that size the "reduced" child carries the parent's full information (and a
// model evaluated only at full size would follow it forever); here that child is the reduced copy
// upsampled.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "robustlab/models/classifier.h"

namespace robustlab::evaluation {

enum class Children { kUllman4, kStride1 };
Children parse_children(const std::string& name);  ///< "ullman4", "stride1"
std::string to_string(Children children);

struct RecognitionGapOptions {
  Children children = Children::kUllman4;
  /// Crops smaller than this are upsampled to it before the model sees them (the reference's
  /// 33 px for BagNet-33); 0: the size of the image the search starts from, so that the model
  /// always sees its input size.
  int64_t min_size = 0;
  double criterion = 0.5;  ///< a crop is recognised when p(correct classes) >= criterion
  int64_t stop_size = 3;   ///< no search below this size (original pixels)
  int64_t batch_size = 256;  ///< children evaluated per forward pass
  void validate() const;
};

struct RecognitionGap {
  bool has_mirc = false;  ///< false when the whole image is not recognised
  int64_t mirc_size = -1;  ///< original pixels covered by the MIRC (-1 without one)
  int64_t mirc_resolution = 0;  ///< its side in pixels (smaller than mirc_size after resolution steps)
  double p_mirc = 0;      ///< p(correct) of the MIRC (of the whole image without one)
  double p_sub_mirc = 0;  ///< of its best child
  double gap = 0;         ///< p_mirc − p_sub_mirc (0 without a MIRC)
  torch::Tensor mirc, sub_mirc;  ///< [C,h,w] in [0,1] (the whole image twice without a MIRC)
  int64_t evaluations = 0;  ///< crops the model evaluated
};

/// The sizes the search passes through from `start`: start, round(0.8·start), … down to 1.
std::vector<int64_t> search_sizes(int64_t start);

/// The reference's resize: `image` [C,h,w] in [0,1] -> [C,size,size].
torch::Tensor resize_like_pil(const torch::Tensor& image, int64_t size);

/// The search on one square image [C,S,S] in [0,1] for the joint classes `targets`. Throws
/// InvalidArgument for an empty or out-of-range target list, a non-square image, or one smaller
/// than min_size.
RecognitionGap recognition_gap(Classifier& model, const torch::Tensor& image, const std::vector<int64_t>& targets,
                               const RecognitionGapOptions& options = {});

/// The reference's summary: images with a real MIRC (gap > 0), their mean gap and its standard
/// deviation (ddof 0), and their mean MIRC size.
struct GapSummary {
  int64_t images = 0, with_mirc = 0;
  double mean_gap = 0, std_gap = 0, mean_mirc_size = 0;
};
GapSummary summarize(const std::vector<RecognitionGap>& results);

}  // namespace robustlab::evaluation
