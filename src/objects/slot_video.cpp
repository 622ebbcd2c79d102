// The video slot-attention baseline: model, resumable training and prediction (see slot_video.h).
#include "robustlab/objects/slot_video.h"

#include <cmath>

#include "robustlab/core/error.h"
#include "robustlab/core/progress.h"
#include "robustlab/models/device.h"
#include "robustlab/models/training_checkpoint.h"
#include "robustlab/objects/vmds.h"

namespace robustlab::objects {
namespace {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

/// (x, y, 1 − x, 1 − y) on a side × side grid, x and y in [0, 1]: [side·side, 4].
torch::Tensor position_grid(int64_t side) {
  const torch::Tensor r = torch::linspace(0, 1, side);  // cpu: a buffer, moved with the module by to()
  const auto yx = torch::meshgrid({r, r}, "ij");
  const torch::Tensor y = yx[0].reshape(-1), x = yx[1].reshape(-1);
  return torch::stack({x, y, 1 - x, 1 - y}, 1);
}

nn::Sequential mlp(int64_t in, int64_t hidden, int64_t out) {
  return nn::Sequential(nn::Linear(in, hidden), nn::ReLU(), nn::Linear(hidden, out));
}

constexpr int64_t kFeatureSide = 32, kBroadcastSide = 8;

}  // namespace

SlotDecoder parse_slot_decoder(const std::string& name) {
  if (name == "attention") return SlotDecoder::kAttention;
  if (name == "broadcast") return SlotDecoder::kBroadcast;
  throw InvalidArgument("slot-video: unknown decoder '" + name + "' (expected attention or broadcast)");
}

std::string to_string(SlotDecoder decoder) { return decoder == SlotDecoder::kAttention ? "attention" : "broadcast"; }

void SlotVideoConfig::validate() const {
  if (slots < 2 || dim < 1 || channels < 2 || iterations < 1 || iterations_later < 1) {
    throw InvalidArgument("slot-video: need at least 2 slots and 2 channels, and positive dim and iterations");
  }
}

nlohmann::json SlotVideoConfig::to_json() const {
  return {{"slots", slots}, {"dim", dim}, {"channels", channels}, {"iterations", iterations},
          {"iterations_later", iterations_later}, {"decoder", to_string(decoder)}};
}

SlotVideoConfig SlotVideoConfig::from_json(const nlohmann::json& j) {
  SlotVideoConfig c;
  try {
    c.slots = j.at("slots").get<int64_t>();
    c.dim = j.at("dim").get<int64_t>();
    c.channels = j.at("channels").get<int64_t>();
    c.iterations = j.at("iterations").get<int64_t>();
    c.iterations_later = j.at("iterations_later").get<int64_t>();
    c.decoder = parse_slot_decoder(j.at("decoder").get<std::string>());
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(std::string("slot-video: unreadable model settings (") + e.what() + ")");
  }
  c.validate();
  return c;
}

SlotVideoImpl::SlotVideoImpl(const SlotVideoConfig& config) : config_(config) {
  config_.validate();
  const int64_t c = config.channels, d = config.dim;
  auto conv = [](int64_t in, int64_t out, int64_t stride) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, 5).stride(stride).padding(2));
  };
  auto deconv = [](int64_t in, int64_t out) {
    return nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, 3).stride(2).padding(1).output_padding(1));
  };
  cnn_ = register_module("cnn", nn::Sequential(conv(3, c, 1), nn::ReLU(), conv(c, c, 2), nn::ReLU(), conv(c, d, 1), nn::ReLU()));
  encoder_position_ = register_module("encoder_position", nn::Linear(4, d));
  input_norm_ = register_module("input_norm", nn::LayerNorm(nn::LayerNormOptions({d})));
  feature_mlp_ = register_module("feature_mlp", mlp(d, d, d));
  feature_norm_ = register_module("feature_norm", nn::LayerNorm(nn::LayerNormOptions({d})));
  to_q_ = register_module("to_q", nn::Linear(nn::LinearOptions(d, d).bias(false)));
  to_k_ = register_module("to_k", nn::Linear(nn::LinearOptions(d, d).bias(false)));
  to_v_ = register_module("to_v", nn::Linear(nn::LinearOptions(d, d).bias(false)));
  slot_norm_ = register_module("slot_norm", nn::LayerNorm(nn::LayerNormOptions({d})));
  mlp_norm_ = register_module("mlp_norm", nn::LayerNorm(nn::LayerNormOptions({d})));
  gru_ = register_module("gru", nn::GRUCell(d, d));
  slot_mlp_ = register_module("slot_mlp", mlp(d, 2 * d, d));
  predictor_norm_ = register_module("predictor_norm", nn::LayerNorm(nn::LayerNormOptions({d})));
  predictor_ = register_module("predictor", mlp(d, 2 * d, d));
  if (config.decoder == SlotDecoder::kAttention) {
    colour_ = register_module("colour", nn::Linear(d, 3));
  } else {
    decoder_position_ = register_module("decoder_position", nn::Linear(4, d));
    decoder_ = register_module("decoder", nn::Sequential(deconv(d, c), nn::ReLU(), deconv(c, c), nn::ReLU(), deconv(c, c / 2),
                                                         nn::ReLU(), nn::Conv2d(nn::Conv2dOptions(c / 2, 4, 3).padding(1))));
    decoder_grid_ = register_buffer("decoder_grid", position_grid(kBroadcastSide));
  }
  // cpu: the parameters are built here and moved with the module by to()
  slot_mu_ = register_parameter("slot_mu", torch::randn({1, 1, d}) * std::sqrt(1.0 / d));
  slot_log_sigma_ = register_parameter("slot_log_sigma", torch::full({1, 1, d}, std::log(std::sqrt(1.0 / d))));  // cpu: as slot_mu_
  encoder_grid_ = register_buffer("encoder_grid", position_grid(kFeatureSide));
}

torch::Tensor SlotVideoImpl::encode(const torch::Tensor& images) {
  const torch::Tensor f = cnn_->forward(images).flatten(2).transpose(1, 2);  // [N, 1024, D]
  return feature_mlp_->forward(input_norm_(f + encoder_position_(encoder_grid_)));
}

std::pair<torch::Tensor, torch::Tensor> SlotVideoImpl::attend(torch::Tensor slots, const torch::Tensor& inputs,
                                                              int64_t iterations) {
  const int64_t n = slots.size(0), k = slots.size(1), d = config_.dim;
  const torch::Tensor x = feature_norm_(inputs);
  const torch::Tensor keys = to_k_(x), values = to_v_(x);
  torch::Tensor attn;
  for (int64_t i = 0; i < iterations; ++i) {
    const torch::Tensor previous = slots;
    const torch::Tensor q = to_q_(slot_norm_(slots));
    // attention [N, inputs, K]: softmax over the slots, then a weighted mean over the inputs
    attn = torch::softmax(torch::bmm(keys, q.transpose(1, 2)) / std::sqrt(static_cast<double>(d)), 2);
    const torch::Tensor weights = (attn + 1e-8) / (attn + 1e-8).sum(1, true);
    const torch::Tensor updates = torch::bmm(weights.transpose(1, 2), values);  // [N, K, D]
    slots = gru_(updates.reshape({n * k, d}), previous.reshape({n * k, d})).view({n, k, d});
    slots = slots + slot_mlp_->forward(mlp_norm_(slots));
  }
  return {slots, attn};
}

std::pair<torch::Tensor, torch::Tensor> SlotVideoImpl::decode(const torch::Tensor& slots, const torch::Tensor& attention) {
  const int64_t n = slots.size(0), k = slots.size(1), d = config_.dim;
  if (config_.decoder == SlotDecoder::kAttention) {
    const torch::Tensor masks = F::interpolate(
        attention.transpose(1, 2).reshape({n, k, kFeatureSide, kFeatureSide}),
        F::InterpolateFuncOptions().size(std::vector<int64_t>{kVideoSize, kVideoSize}).mode(torch::kBilinear).align_corners(false));
    return {colour_(slots).view({n, k, 3, 1, 1}).expand({n, k, 3, kVideoSize, kVideoSize}), masks};
  }
  const torch::Tensor grid = slots.reshape({n * k, 1, d}) + decoder_position_(decoder_grid_).unsqueeze(0);
  const torch::Tensor out =
      decoder_->forward(grid.transpose(1, 2).reshape({n * k, d, kBroadcastSide, kBroadcastSide}));  // [N·K, 4, 64, 64]
  const torch::Tensor o = out.view({n, k, 4, kVideoSize, kVideoSize});
  return {o.narrow(2, 0, 3), torch::softmax(o.select(2, 3), 1)};
}

SlotVideoOutput SlotVideoImpl::forward(const torch::Tensor& frames, const torch::Tensor& noise) {
  if (frames.dim() != 5 || frames.size(2) != 3 || frames.size(3) != kVideoSize || frames.size(4) != kVideoSize) {
    throw ShapeError("slot-video: frames must be [B, T, 3, 64, 64], got " + c10::str(frames.sizes()));
  }
  const int64_t b = frames.size(0), t = frames.size(1), k = config_.slots, d = config_.dim;
  const torch::Tensor inputs = encode(frames.flatten(0, 1)).view({b, t, -1, d});
  if (noise.defined() && noise.sizes() != torch::IntArrayRef{b, k, d}) {
    throw ShapeError("slot-video: the slot noise must be [" + std::to_string(b) + ", " + std::to_string(k) + ", " +
                     std::to_string(d) + "], got " + c10::str(noise.sizes()));
  }
  torch::Tensor slots = slot_mu_ + slot_log_sigma_.exp() * (noise.defined() ? noise : torch::randn({b, k, d}, frames.options()));
  std::vector<torch::Tensor> per_frame, attention;
  for (int64_t i = 0; i < t; ++i) {
    if (i > 0) slots = slots + predictor_->forward(predictor_norm_(slots));
    torch::Tensor attn;
    std::tie(slots, attn) = attend(slots, inputs.select(1, i), i == 0 ? config_.iterations : config_.iterations_later);
    per_frame.push_back(slots);
    attention.push_back(attn);
  }
  const auto [rgb, masks] = decode(torch::stack(per_frame, 1).flatten(0, 1), torch::stack(attention, 1).flatten(0, 1));
  const torch::Tensor recon = (masks.unsqueeze(2) * rgb).sum(1);
  return {recon.view({b, t, 3, kVideoSize, kVideoSize}), masks.view({b, t, k, kVideoSize, kVideoSize})};
}

void SlotTrainOptions::validate() const {
  model.validate();
  if (clip < 1 || clip > kVideoFrames || batch < 1 || steps < 1 || !(lr > 0) || warmup < 0 || !(clip_norm > 0) ||
      log_every < 1 || checkpoint_every < 1) {
    throw InvalidArgument("slot-video: need 1 <= clip <= 10, batch, steps, log_every, checkpoint_every >= 1, lr > 0, "
                          "clip_norm > 0 and warmup >= 0");
  }
}

SlotVideo train_slot_video(const SlotTrainOptions& o, const std::function<void(const SlotTrainPoint&)>& on_log,
                           Progress* progress) {
  o.validate();
  const torch::Tensor videos = read_split_frames(o.data, o.split);  // uint8 [N, T, H, W, 3]
  if (videos.size(1) < o.clip) {
    throw ShapeError("slot-video: the videos have " + std::to_string(videos.size(1)) + " frames, fewer than --clip " +
                     std::to_string(o.clip));
  }
  torch::manual_seed(o.seed);
  SlotVideo model(o.model);
  const torch::Device device = default_device();
  model->to(device);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(o.lr));
  std::mt19937_64 rng(o.seed);
  const nlohmann::json config = {{"model", o.model.to_json()}, {"data", o.data.string()}, {"split", o.split},
                                 {"clip", o.clip}, {"batch", o.batch}, {"lr", o.lr}, {"warmup", o.warmup},
                                 {"clip_norm", o.clip_norm}, {"seed", o.seed}};
  int64_t step = 0;
  if (o.checkpoint && std::filesystem::exists(*o.checkpoint)) {
    step = resume_training_checkpoint(*o.checkpoint, "slot-video", config.dump(), *model, optimizer, rng);
    if (progress) progress->advance(std::min(step, o.steps));
  }
  std::uniform_int_distribution<int64_t> any_video(0, videos.size(0) - 1), any_start(0, videos.size(1) - o.clip);
  model->train();
  double sum = 0;
  int64_t counted = 0;
  while (step < o.steps) {
    std::vector<torch::Tensor> clips;
    for (int64_t i = 0; i < o.batch; ++i) clips.push_back(videos[any_video(rng)].narrow(0, any_start(rng), o.clip));
    const torch::Tensor x = to_device(torch::stack(clips).permute({0, 1, 4, 2, 3}).to(torch::kFloat32) / 255, device);
    // The slots' noise comes from the CPU generator, which the checkpoint holds (as in slowvae).
    const torch::Tensor noise = to_device(torch::randn({o.batch, o.model.slots, o.model.dim}), device);  // cpu: see above
    const double lr = o.lr * std::min(1.0, static_cast<double>(step + 1) / static_cast<double>(std::max<int64_t>(o.warmup, 1)));
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    const torch::Tensor loss = torch::mse_loss(model->forward(x, noise).reconstruction, x);
    const double value = loss.item<double>();
    if (!std::isfinite(value)) {
      throw NumericalError("slot-video: the loss became " + std::to_string(value) + " at step " + std::to_string(step + 1));
    }
    optimizer.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(model->parameters(), o.clip_norm);
    optimizer.step();
    ++step;
    sum += value;
    ++counted;
    if (step % o.log_every == 0 || step == o.steps) {
      if (on_log) on_log({step, sum / static_cast<double>(counted)});
      sum = 0;
      counted = 0;
    }
    if (o.checkpoint && (step % o.checkpoint_every == 0 || step == o.steps)) {
      save_training_checkpoint(*o.checkpoint, config.dump(), *model, optimizer, step, rng);
    }
    if (progress) progress->advance();
  }
  model->eval();
  return model;
}

SlotVideo load_slot_video(const std::filesystem::path& checkpoint) {
  const nlohmann::json options =
      nlohmann::json::parse(training_checkpoint_options(checkpoint, "slot-video"), nullptr, false);
  if (!options.is_object() || !options.contains("model")) {
    throw FormatError("slot-video: '" + checkpoint.string() + "' has unreadable options");
  }
  SlotVideo model(SlotVideoConfig::from_json(options["model"]));
  load_trained_weights(checkpoint, "slot-video", *model);
  model->to(default_device());
  return model;
}

SlotPrediction predict_slot_video(SlotVideo& model, const torch::Tensor& videos, uint64_t seed,
                                  const std::function<void(int64_t)>& on_video) {
  if (videos.dim() != 5 || videos.size(4) != 3 || videos.scalar_type() != torch::kUInt8) {
    throw ShapeError("slot-video: videos must be uint8 [N, T, 64, 64, 3], got " + c10::str(videos.sizes()));
  }
  torch::NoGradGuard no_grad;
  model->eval();
  SlotPrediction out;
  double squared = 0;
  const int64_t k = model->config().slots;
  const torch::Device device = model->parameters().front().device();
  for (int64_t v = 0; v < videos.size(0); ++v) {
    const torch::Tensor x = to_device(videos[v].permute({0, 3, 1, 2}).to(torch::kFloat32).unsqueeze(0) / 255, device);
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed + static_cast<uint64_t>(v));
    const torch::Tensor noise = to_device(at::randn({1, k, model->config().dim}, generator), device);
    const SlotVideoOutput y = model->forward(x, noise);
    squared += (y.reconstruction - x).square().sum().item<double>();
    out.videos.push_back(binarize_slots(y.masks[0].cpu(), v * k));
    if (on_video) on_video(v);
  }
  out.mse = videos.size(0) > 0 ? squared / static_cast<double>(videos.size(0) * videos.size(1)) : 0;
  return out;
}

}  // namespace robustlab::objects
