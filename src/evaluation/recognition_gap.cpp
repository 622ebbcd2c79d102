// The recognition-gap search of Funke et al. 2021 (arXiv:2004.09406, §5; reference code
// recognition_gap/utils/search.py and util.py), generalised to any classifier; see the header.
#include "robustlab/evaluation/recognition_gap.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "robustlab/core/error.h"

namespace robustlab::evaluation {

namespace F = torch::nn::functional;

Children parse_children(const std::string& name) {
  if (name == "ullman4") return Children::kUllman4;
  if (name == "stride1") return Children::kStride1;
  throw InvalidArgument("unknown children '" + name + "' (known: ullman4, stride1)");
}

std::string to_string(Children children) { return children == Children::kUllman4 ? "ullman4" : "stride1"; }

void RecognitionGapOptions::validate() const {
  if (min_size < 0) throw InvalidArgument("recognition gap: the minimum size must be >= 0");
  if (!(criterion > 0 && criterion < 1)) throw InvalidArgument("recognition gap: the criterion must be in (0, 1)");
  if (stop_size < 1) throw InvalidArgument("recognition gap: the stop size must be >= 1");
  if (batch_size < 1) throw InvalidArgument("recognition gap: the batch size must be >= 1");
}

std::vector<int64_t> search_sizes(int64_t start) {
  std::vector<int64_t> sizes = {start};
  while (sizes.back() > 1) {
    const int64_t next = std::lround(static_cast<double>(sizes.back()) * 0.8);
    if (next == sizes.back()) break;
    sizes.push_back(next);
  }
  return sizes;
}

torch::Tensor resize_like_pil(const torch::Tensor& image, int64_t size) {
  const bool single = image.dim() == 3;
  const torch::Tensor batch = single ? image.unsqueeze(0) : image;
  // To 8 bits as np.uint8(x · 255) does (truncating), resized as PIL's bilinear filter (which
  // widens its support when shrinking), rounded back to 8 bits.
  const torch::Tensor levels = torch::floor(batch.clamp(1e-18, 1 - 1e-18) * 255);
  torch::Tensor out = levels;
  if (levels.size(-1) != size || levels.size(-2) != size)
    out = F::interpolate(levels, F::InterpolateFuncOptions()
                                     .size(std::vector<int64_t>{size, size})
                                     .mode(torch::kBilinear)
                                     .align_corners(false)
                                     .antialias(true))
              .round()
              .clamp(0, 255);
  out = out / 255;
  return single ? out.squeeze(0) : out;
}

namespace {

struct Searcher {
  Classifier& model;
  const std::vector<int64_t>& targets;
  const RecognitionGapOptions& options;
  int64_t min_size;
  int64_t evaluations = 0;

  /// p(correct classes) of each crop [N,C,s,s], upsampled to min_size when smaller.
  torch::Tensor probabilities(const torch::Tensor& crops) {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> out;
    const torch::Tensor index = torch::tensor(targets).to(model.device());
    for (int64_t start = 0; start < crops.size(0); start += options.batch_size) {
      torch::Tensor chunk = crops.narrow(0, start, std::min(options.batch_size, crops.size(0) - start));
      if (chunk.size(-1) < min_size) chunk = resize_like_pil(chunk, min_size);
      const torch::Tensor logits = model.forward(chunk).to(torch::kFloat64);
      if (logits.size(1) <= targets.back())
        throw InvalidArgument("recognition gap: the model has " + std::to_string(logits.size(1)) +
                              " classes, fewer than the target class " + std::to_string(targets.back()) + " needs");
      out.push_back(torch::softmax(logits, 1).index_select(1, index.to(logits.device())).sum(1).cpu());
    }
    evaluations += crops.size(0);
    return torch::cat(out);
  }
};

}  // namespace

RecognitionGap recognition_gap(Classifier& model, const torch::Tensor& image, const std::vector<int64_t>& targets,
                               const RecognitionGapOptions& options) {
  options.validate();
  if (targets.empty()) throw InvalidArgument("recognition gap: no target class");
  std::vector<int64_t> sorted = targets;
  std::sort(sorted.begin(), sorted.end());
  if (sorted.front() < 0) throw InvalidArgument("recognition gap: negative target class");
  if (image.dim() != 3 || image.size(1) != image.size(2))
    throw InvalidArgument("recognition gap: expected a square image [C,S,S]");
  const int64_t start = image.size(2);
  const int64_t min_size = options.min_size > 0 ? options.min_size : start;
  if (start < min_size)
    throw InvalidArgument("recognition gap: the image (" + std::to_string(start) + " px) is smaller than the model's " +
                          "minimum size " + std::to_string(min_size));
  Searcher search{model, sorted, options, min_size};
  const std::vector<int64_t> sizes = search_sizes(start);
  RecognitionGap result;
  torch::Tensor current = image;
  double p = search.probabilities(image.unsqueeze(0))[0].item<double>();
  result.p_mirc = result.p_sub_mirc = p;
  result.mirc = result.sub_mirc = image;
  if (p < options.criterion) {
    result.evaluations = search.evaluations;
    return result;
  }
  size_t size_index = 0;
  for (;;) {
    const int64_t w = current.size(2), c = std::lround(static_cast<double>(w) * 0.8);
    // The children: crops of c (corners, or every position row by row), then the reduced copy.
    std::vector<std::pair<int64_t, int64_t>> corners;
    if (options.children == Children::kUllman4) {
      corners = {{0, 0}, {0, w - c}, {w - c, 0}, {w - c, w - c}};
    } else {
      for (int64_t r = 0; r <= w - c; ++r)
        for (int64_t col = 0; col <= w - c; ++col) corners.emplace_back(r, col);
    }
    std::vector<torch::Tensor> crops;
    for (const auto& [r, col] : corners) crops.push_back(current.narrow(1, r, c).narrow(2, col, c));
    crops.push_back(resize_like_pil(current, c));
    const torch::Tensor probs = search.probabilities(torch::stack(crops));
    const int64_t best = probs.argmax().item<int64_t>();  // the first of equal maxima, as list.index(max)
    const double p_best = probs[best].item<double>();
    const bool reduced = best == static_cast<int64_t>(crops.size()) - 1;
    // The MIRC is the current crop when its best child fails the criterion, when it is at the
    // stop size, or when it cannot shrink any more.
    if (p_best < options.criterion || sizes[size_index] <= options.stop_size || c >= w) {
      result.has_mirc = true;
      result.mirc_size = sizes[size_index];
      result.mirc_resolution = w;
      result.p_mirc = p;
      result.p_sub_mirc = p_best;
      result.gap = p - p_best;
      result.mirc = current;
      result.sub_mirc = crops[static_cast<size_t>(best)];
      break;
    }
    current = crops[static_cast<size_t>(best)];
    if (!reduced && size_index + 1 < sizes.size()) ++size_index;
    p = p_best;
  }
  result.evaluations = search.evaluations;
  return result;
}

GapSummary summarize(const std::vector<RecognitionGap>& results) {
  GapSummary s;
  s.images = static_cast<int64_t>(results.size());
  double sum = 0, sum_sq = 0, sizes = 0;
  for (const RecognitionGap& r : results) {
    if (!(r.gap > 0)) continue;
    ++s.with_mirc;
    sum += r.gap;
    sum_sq += r.gap * r.gap;
    sizes += static_cast<double>(r.mirc_size);
  }
  if (s.with_mirc > 0) {
    const double n = static_cast<double>(s.with_mirc);
    s.mean_gap = sum / n;
    s.std_gap = std::sqrt(std::max(0.0, sum_sq / n - s.mean_gap * s.mean_gap));
    s.mean_mirc_size = sizes / n;
  }
  return s;
}

}  // namespace robustlab::evaluation
