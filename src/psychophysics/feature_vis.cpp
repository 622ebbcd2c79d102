// See feature_vis.h.
#include "robustlab/psychophysics/feature_vis.h"

#include <cmath>
#include <numbers>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "robustlab/core/error.h"
#include "robustlab/psychophysics/image_param.h"

namespace robustlab::psychophysics {
namespace F = torch::nn::functional;

void FeatureVisOptions::validate() const {
  const auto require = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("FeatureVisOptions: " + what);
  };
  require(!layer.empty(), "a layer is required");
  require(channel >= 0, "channel must be >= 0, got " + std::to_string(channel));
  require(batch >= 1, "batch must be >= 1, got " + std::to_string(batch));
  require(size >= 4, "size must be >= 4, got " + std::to_string(size));
  require(padding >= 0 && jitter >= 0 && jitter_after >= 0, "padding and jitters must be >= 0");
  require(jitter + jitter_after < size + 2 * padding, "the jitters crop away the whole image");
  require(channels == 1 || channels == 3, "channels must be 1 or 3, got " + std::to_string(channels));
  require(steps >= 0, "steps must be >= 0, got " + std::to_string(steps));
  require(lr > 0 && std::isfinite(lr), "lr must be positive, got " + std::to_string(lr));
  require(diversity >= 0 && std::isfinite(diversity), "diversity must be >= 0");
  require(!scales.empty() && !angles.empty(), "scales and angles must not be empty");
  for (double s : scales) require(s > 0.5 && s < 2.0, "scales must lie in (0.5, 2), got " + std::to_string(s));
  require(input_size >= 0, "input_size must be >= 0");
}

FeatureVisOptions FeatureVisOptions::scaled_to(int64_t size) {
  FeatureVisOptions o;
  const auto scaled = [size](int64_t px) {
    return std::max<int64_t>(1, std::llround(static_cast<double>(px) * static_cast<double>(size) / 224.0));
  };
  o.size = size;
  o.padding = scaled(o.padding);
  o.jitter = scaled(o.jitter);
  o.jitter_after = scaled(o.jitter_after);
  return o;
}

torch::Tensor channel_mean(const torch::Tensor& output, int64_t channel, const std::string& layer) {
  if (output.dim() < 2) throw ShapeError("layer '" + layer + "' gives " + c10::str(output.sizes()) + ", not [N, C, ...]");
  if (channel < 0 || channel >= output.size(1)) {
    throw InvalidArgument("channel " + std::to_string(channel) + " is out of range: layer '" + layer + "' has " +
                          std::to_string(output.size(1)) + " channels");
  }
  const torch::Tensor c = output.select(1, channel);
  return c.dim() == 1 ? c : c.flatten(1).mean(1);
}

torch::Tensor diversity(const torch::Tensor& output) {
  const int64_t n = output.size(0);
  if (output.dim() != 4 || n < 2) return torch::zeros({}, output.options());
  const torch::Tensor flat = output.flatten(2);                         // [N, C, HW]
  torch::Tensor grams = torch::bmm(flat, flat.transpose(1, 2)).flatten(1);  // [N, C²]
  grams = grams / torch::sqrt(torch::clamp_min(grams.pow(2).sum(1, true), 1e-10));  // tf.nn.l2_normalize
  const torch::Tensor similarity = torch::mm(grams, grams.t());
  return (similarity.sum() - similarity.diagonal().sum()) / static_cast<double>(n);
}

namespace {

// cpu: an index drawn from the CPU generator
int64_t draw(at::Generator& gen, int64_t n) { return torch::randint(0, n, {1}, gen).item<int64_t>(); }

/// lucid's jitter(d): a random (h − d) × (w − d) crop, one offset for the whole batch.
torch::Tensor jitter(const torch::Tensor& x, int64_t d, at::Generator& gen) {
  if (d == 0) return x;
  const int64_t oy = draw(gen, d + 1), ox = draw(gen, d + 1);
  return x.narrow(2, oy, x.size(2) - d).narrow(3, ox, x.size(3) - d);
}

torch::Tensor random_scale(const torch::Tensor& x, const std::vector<double>& scales, at::Generator& gen) {
  const double s = scales[static_cast<size_t>(draw(gen, static_cast<int64_t>(scales.size())))];
  if (s == 1.0) return x;
  const auto side = [s](int64_t v) { return static_cast<int64_t>(s * static_cast<double>(v)); };  // tf.cast truncates
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{side(x.size(2)), side(x.size(3))})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

/// Rotation about the centre, nearest neighbour, zeros outside (tf.contrib.image.rotate).
torch::Tensor random_rotate(const torch::Tensor& x, const std::vector<double>& angles, at::Generator& gen) {
  const double degrees = angles[static_cast<size_t>(draw(gen, static_cast<int64_t>(angles.size())))];
  if (degrees == 0.0) return x;
  const double a = degrees * std::numbers::pi / 180.0;
  const double h = static_cast<double>(x.size(2)), w = static_cast<double>(x.size(3));
  // affine_grid works in [-1, 1] coordinates; a non-square image needs the aspect ratio in the
  // off-diagonal terms so the rotation is one in pixels.
  const torch::Tensor theta = torch::tensor({std::cos(a), -std::sin(a) * h / w, 0.0,  //
                                             std::sin(a) * w / h, std::cos(a), 0.0},
                                            x.options())
                                  .view({1, 2, 3})
                                  .expand({x.size(0), 2, 3});
  const torch::Tensor grid = F::affine_grid(theta, x.sizes(), false);
  return F::grid_sample(x, grid, F::GridSampleFuncOptions().mode(torch::kNearest).padding_mode(torch::kZeros).align_corners(false));
}

torch::Tensor to_input(const torch::Tensor& x, int64_t input_size) {
  if (input_size <= 0 || (x.size(2) == input_size && x.size(3) == input_size)) return x;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{input_size, input_size})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

/// Parameters of the model without gradients for the scope (restored after).
class FrozenParameters {
 public:
  explicit FrozenParameters(Classifier& model) : params_(model.parameters()) {
    for (auto& p : params_) {
      flags_.push_back(p.requires_grad());
      p.requires_grad_(false);
    }
  }
  ~FrozenParameters() {
    for (size_t i = 0; i < params_.size(); ++i) params_[i].requires_grad_(flags_[i]);
  }
  FrozenParameters(const FrozenParameters&) = delete;
  FrozenParameters& operator=(const FrozenParameters&) = delete;

 private:
  std::vector<torch::Tensor> params_;
  std::vector<bool> flags_;
};

}  // namespace

FeatureVisResult visualize_channel(Classifier& model, const FeatureVisOptions& o,
                                   const std::function<void(int64_t, double)>& on_step) {
  o.validate();
  const bool was_training = model.is_training();
  model.set_training(false);
  FrozenParameters frozen(model);
  at::Generator gen = at::detail::createCPUGenerator(o.seed);
  const int64_t side = o.size + 2 * o.padding;
  FourierImage image = FourierImage::random(o.batch, o.channels, side, side, gen);
  // Drawn on the CPU (the seed's numbers on any device), optimised where the model is.
  image.spectrum = image.spectrum.detach().to(model.device()).requires_grad_(true);
  image.scale = image.scale.to(model.device());
  torch::optim::Adam adam({image.spectrum}, torch::optim::AdamOptions(o.lr));
  const double sign = o.minimize ? -1.0 : 1.0;
  FeatureVisResult result;
  for (int64_t step = 0; step < o.steps; ++step) {
    torch::Tensor x = to_valid_rgb(image.spatial());
    x = jitter(x, o.jitter, gen);
    x = random_scale(x, o.scales, gen);
    x = random_rotate(x, o.angles, gen);
    x = jitter(x, o.jitter_after, gen);
    const torch::Tensor out = model.layer_output(to_input(x, o.input_size), o.layer);
    torch::Tensor objective = sign * channel_mean(out, o.channel, o.layer).mean();
    if (o.diversity > 0) objective = objective - o.diversity * diversity(out);
    adam.zero_grad();
    (-objective).backward();
    adam.step();
    const double value = objective.item<double>();
    if (!std::isfinite(value)) throw NumericalError("feature visualisation: the objective became " + std::to_string(value) + " at step " + std::to_string(step));
    if (step % 10 == 0 || step + 1 == o.steps) result.objective.push_back(value);
    if (on_step) on_step(step, value);
  }
  torch::NoGradGuard no_grad;
  result.images = to_valid_rgb(image.spatial()).narrow(2, o.padding, o.size).narrow(3, o.padding, o.size).contiguous();
  result.activations = channel_mean(model.layer_output(to_input(result.images, o.input_size), o.layer), o.channel, o.layer);
  model.set_training(was_training);
  return result;
}

}  // namespace robustlab::psychophysics
