// 16-class decisions and model runs on model-vs-human stimuli (see decisions.h).
#include "robustlab/human/decisions.h"

#include <torch/torch.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "robustlab/core/error.h"
#include "robustlab/core/progress.h"

namespace fs = std::filesystem;

namespace robustlab::human {

std::string_view categories_tsv();  // generated from data/model-vs-human-categories.tsv

namespace {
constexpr int64_t kImageNetClasses = 1000;
}

HumanCategories parse_categories(std::string_view text, const std::string& source) {
  HumanCategories out;
  std::istringstream in{std::string(text)};
  std::string line;
  std::set<int64_t> used;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1 || line.empty()) continue;
    const auto tab = line.find('\t');
    if (tab == std::string::npos) throw FormatError(source + ":" + std::to_string(number) + ": expected category<TAB>indices");
    out.names.push_back(line.substr(0, tab));
    std::vector<int64_t> indices;
    std::istringstream list(line.substr(tab + 1));
    std::string item;
    while (std::getline(list, item, ',')) {
      int64_t index = -1;
      try {
        index = std::stoll(item);
      } catch (const std::exception&) {
      }
      if (index < 0 || index >= kImageNetClasses || !used.insert(index).second) {
        throw FormatError(source + ":" + std::to_string(number) + ": bad or repeated ImageNet index '" + item + "'");
      }
      indices.push_back(index);
    }
    if (indices.empty()) throw FormatError(source + ":" + std::to_string(number) + ": no indices");
    out.indices.push_back(std::move(indices));
  }
  if (out.names.empty()) throw FormatError(source + ": no categories");
  return out;
}

const HumanCategories& human_categories() {
  static const HumanCategories categories = parse_categories(categories_tsv(), "model-vs-human-categories.tsv");
  return categories;
}

torch::Tensor sixteen_class_probabilities(const torch::Tensor& logits) {
  if (logits.dim() != 2 || logits.size(1) != kImageNetClasses) {
    throw ShapeError("sixteen_class_probabilities: logits must be [N,1000], got " + c10::str(logits.sizes()));
  }
  const torch::Tensor probabilities = torch::softmax(logits.to(torch::kFloat64), 1);
  const HumanCategories& c = human_categories();
  std::vector<torch::Tensor> columns;
  for (const auto& indices : c.indices) {
    columns.push_back(probabilities.index_select(1, torch::tensor(indices, torch::kInt64)).mean(1));
  }
  return torch::stack(columns, 1);
}

std::vector<std::string> sixteen_class_decisions(const torch::Tensor& logits) {
  const HumanCategories& c = human_categories();
  torch::Tensor scores;
  if (logits.dim() == 2 && logits.size(1) == static_cast<int64_t>(c.names.size())) {
    scores = logits;
  } else if (logits.dim() == 2 && logits.size(1) == kImageNetClasses) {
    scores = sixteen_class_probabilities(logits);
  } else {
    throw ShapeError("sixteen_class_decisions: expected [N,1000] ImageNet or [N,16] logits, got " +
                     c10::str(logits.sizes()));
  }
  const torch::Tensor best = scores.argmax(1);
  std::vector<std::string> out;
  for (int64_t i = 0; i < best.size(0); ++i) out.push_back(c.names[static_cast<size_t>(best[i].item<int64_t>())]);
  return out;
}

std::vector<Stimulus> list_stimuli(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw IoError("list_stimuli: directory '" + dir.string() + "' does not exist");
  std::vector<Stimulus> out;
  const HumanCategories& c = human_categories();
  auto known = [&](const std::string& category) {
    return std::find(c.names.begin(), c.names.end(), category) != c.names.end();
  };
  if (fs::is_directory(dir / "dnn")) {
    for (const auto& entry : fs::recursive_directory_iterator(dir / "dnn")) {
      if (!entry.is_regular_file() || !is_image_file(entry.path())) continue;
      const std::string name = entry.path().filename().string();
      std::vector<std::string> parts;
      std::istringstream in(name);
      std::string part;
      while (std::getline(in, part, '_')) parts.push_back(part);
      if (parts.size() < 6 || !known(parts[4])) {
        throw FormatError("list_stimuli: '" + entry.path().string() +
                          "' is not named <n>_<exp>_dnn_<condition>_<category>_...");
      }
      out.push_back({entry.path(), name, parts[3], parts[4]});
    }
  } else {
    for (const auto& folder : fs::directory_iterator(dir)) {
      if (!folder.is_directory()) continue;
      const std::string category = folder.path().filename().string();
      if (!known(category)) {
        throw FormatError("list_stimuli: folder '" + folder.path().string() + "' is not one of the 16 categories");
      }
      for (const auto& entry : fs::directory_iterator(folder.path())) {
        if (entry.is_regular_file() && is_image_file(entry.path())) {
          out.push_back({entry.path(), entry.path().filename().string(), "NaN", category});
        }
      }
    }
  }
  if (out.empty()) throw IoError("list_stimuli: no stimulus images in '" + dir.string() + "'");
  std::sort(out.begin(), out.end(), [](const Stimulus& a, const Stimulus& b) { return a.file < b.file; });
  return out;
}

void RunOptions::validate() const {
  if (batch_size < 1) throw InvalidArgument("human run: batch size must be >= 1, got " + std::to_string(batch_size));
  if (observer.empty() || observer.find_first_of(",\n") != std::string::npos) {
    throw InvalidArgument("human run: observer name '" + observer + "' must be non-empty without commas");
  }
  transform.validate();
}

std::string dataset_name(const fs::path& dir) {
  const fs::path normal = fs::absolute(dir).lexically_normal();
  return normal.filename().empty() ? normal.parent_path().filename().string() : normal.filename().string();
}

ObserverTrials run_on_stimuli(Classifier& model, const fs::path& dir, const RunOptions& options) {
  options.validate();
  const std::vector<Stimulus> stimuli = list_stimuli(dir);
  ObserverTrials out;
  out.dataset = dataset_name(dir);
  out.observer = options.observer;
  model.set_training(false);
  torch::NoGradGuard no_grad;
  Progress progress(out.dataset, static_cast<int64_t>(stimuli.size()));
  for (size_t begin = 0; begin < stimuli.size(); begin += static_cast<size_t>(options.batch_size)) {
    const size_t end = std::min(stimuli.size(), begin + static_cast<size_t>(options.batch_size));
    std::vector<torch::Tensor> images;
    for (size_t i = begin; i < end; ++i) {
      images.push_back(image_to_tensor(resize_and_crop(read_image(stimuli[i].file), options.transform)));
    }
    const std::vector<std::string> decisions = sixteen_class_decisions(model.forward(torch::stack(images)));
    for (size_t i = begin; i < end; ++i) {
      Trial t;
      t.trial = static_cast<int64_t>(i) + 1;
      t.rt = std::numeric_limits<double>::quiet_NaN();
      t.response = decisions[i - begin];
      t.category = stimuli[i].category;
      t.condition = stimuli[i].condition;
      t.imagename = stimuli[i].imagename;
      t.image_key = image_key(t.imagename);
      out.trials.push_back(std::move(t));
    }
    progress.advance(static_cast<int64_t>(end - begin));
  }
  return out;
}

}  // namespace robustlab::human
