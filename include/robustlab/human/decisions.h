// 16-class decisions from ImageNet models, and running a model on a model-vs-human stimulus
// folder to produce raw CSVs in the benchmark's format (Geirhos et al. 2021,
// github.com/bethgelab/model-vs-human: the decision rule takes the mean softmax probability over
// each category's ImageNet indices, then the argmax over the 16 categories; the index lists are
// ../shared/reference/model-vs-human-categories.tsv, shipped in the library).
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "robustlab/data/image_folder.h"
#include "robustlab/human/trials.h"
#include "robustlab/models/classifier.h"

namespace robustlab::human {

/// The 16 entry-level categories (sorted) and their ImageNet class indices.
struct HumanCategories {
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> indices;
};

/// Parses "category<TAB>comma-separated indices" lines after a header. Throws FormatError naming
/// `source` and the line for a malformed line, an index outside 0..999 or an index used twice.
HumanCategories parse_categories(std::string_view text, const std::string& source);

/// The shipped mapping (207 ImageNet indices in 16 categories).
const HumanCategories& human_categories();

/// logits: [N,1000] -> [N,16] mean softmax probability per category.
torch::Tensor sixteen_class_probabilities(const torch::Tensor& logits);

/// The category chosen for each row of `logits`: [N,1000] through the mapping, or [N,16] logits
/// of a 16-class model by argmax. Throws ShapeError for any other width.
std::vector<std::string> sixteen_class_decisions(const torch::Tensor& logits);

/// One stimulus of a model-vs-human dataset folder.
struct Stimulus {
  std::filesystem::path file;
  std::string imagename;
  std::string condition;  ///< "NaN" for datasets without conditions
  std::string category;
};

/// The stimuli of a dataset folder in either of the toolbox's layouts: <dir>/dnn/session-*/<image>
/// with "<n>_<exp>_dnn_<condition>_<category>_..." file names, or <dir>/<category>/<image>.
/// Sorted by path. Throws IoError for a missing folder and FormatError for names that do not parse.
std::vector<Stimulus> list_stimuli(const std::filesystem::path& dir);

struct RunOptions {
  std::string observer = "model";  ///< the subj column
  int64_t batch_size = 64;
  ImageTransform transform{.resize = 224, .crop = 224};
  void validate() const;
};

/// The dataset a stimulus folder holds: the folder's name ("sketch" for .../sketch/).
std::string dataset_name(const std::filesystem::path& dir);

/// Runs `model` on every stimulus of the dataset folder `dir` and returns its trials (trial
/// numbers in stimulus order, rt NaN), ready for write_raw_csv.
ObserverTrials run_on_stimuli(Classifier& model, const std::filesystem::path& dir, const RunOptions& options);

}  // namespace robustlab::human
