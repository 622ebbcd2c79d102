// SlowVAE and the β-VAE baseline: model, loss and resumable training (see slowvae.h).
#include "robustlab/representation/slowvae.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <numbers>

#include "robustlab/core/error.h"
#include "robustlab/core/progress.h"
#include "robustlab/models/device.h"
#include "robustlab/models/training_checkpoint.h"

namespace robustlab::representation {
namespace {

namespace nn = torch::nn;

nlohmann::json options_json(const SlowVaeTrainOptions& o) {
  return {{"dataset", to_string(o.dataset)},
          {"transitions", to_string(o.pairs.transitions)},
          {"rate_data", o.pairs.rate},
          {"k", o.pairs.k},
          {"model", o.slow ? "slowvae" : "betavae"},
          {"beta", o.loss.beta},
          {"gamma", o.loss.gamma},
          {"rate_prior", o.loss.rate},
          {"z_dim", o.z_dim},
          {"batch_pairs", o.batch_pairs},
          {"lr", o.lr},
          {"seed", o.seed}};
}

/// A batch of pairs, interleaved: [2P, C, 64, 64].
torch::Tensor pair_batch(const SlowVaeTrainOptions& o, std::mt19937_64& rng) {
  if (o.dataset == SpriteDataset::kNaturalSprites) {
    return render_natural_sprites(natural_sprite_pairs(o.batch_pairs, o.natural, rng));
  }
  std::uniform_int_distribution<int64_t> any(0, kDSpritesSize - 1);
  std::vector<int64_t> first(static_cast<size_t>(o.batch_pairs));
  for (auto& i : first) i = any(rng);
  const torch::Tensor f1 = dsprites_factors(torch::tensor(first, torch::kInt64));  // cpu: data, rendered on the host
  const torch::Tensor f2 = next_factors(f1, o.pairs, rng);
  return render_dsprites(torch::stack({f1, f2}, 1).view({-1, 5}));
}

}  // namespace

BetaVaeImpl::BetaVaeImpl(int64_t z_dim, int64_t channels) : z_dim_(z_dim) {
  if (z_dim < 1 || channels < 1) throw InvalidArgument("beta-vae: z_dim and channels must be positive");
  auto conv = [](int64_t in, int64_t out, int64_t stride, int64_t pad) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, 4).stride(stride).padding(pad));
  };
  auto deconv = [](int64_t in, int64_t out, int64_t stride, int64_t pad) {
    return nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, 4).stride(stride).padding(pad));
  };
  encoder_ = register_module(
      "encoder", nn::Sequential(conv(channels, 32, 2, 1), nn::ReLU(), conv(32, 32, 2, 1), nn::ReLU(), conv(32, 64, 2, 1),
                                nn::ReLU(), conv(64, 64, 2, 1), nn::ReLU(), conv(64, 256, 1, 0), nn::ReLU(),
                                nn::Flatten(), nn::Linear(256, 2 * z_dim)));
  decoder_ = register_module(
      "decoder", nn::Sequential(nn::Linear(z_dim, 256), nn::Unflatten(nn::UnflattenOptions(1, {256, 1, 1})), nn::ReLU(),
                                deconv(256, 64, 1, 0), nn::ReLU(), deconv(64, 64, 2, 1), nn::ReLU(), deconv(64, 32, 2, 1),
                                nn::ReLU(), deconv(32, 32, 2, 1), nn::ReLU(), deconv(32, channels, 2, 1)));
  // kaiming_init: Linear and Conv2d only (not ConvTranspose2d), normal fan-in, zero bias.
  for (auto& m : modules(/*include_self=*/false)) {
    torch::Tensor* w = nullptr;
    torch::Tensor* b = nullptr;
    if (auto* c = m->as<nn::Conv2d>()) {
      w = &c->weight, b = &c->bias;
    } else if (auto* l = m->as<nn::Linear>()) {
      w = &l->weight, b = &l->bias;
    }
    if (w) {
      torch::NoGradGuard no_grad;
      nn::init::kaiming_normal_(*w);
      b->zero_();
    }
  }
}

std::pair<torch::Tensor, torch::Tensor> BetaVaeImpl::encode(const torch::Tensor& x) {
  const torch::Tensor d = encoder_->forward(x);
  return {d.narrow(1, 0, z_dim_), d.narrow(1, z_dim_, z_dim_)};
}

torch::Tensor BetaVaeImpl::decode(const torch::Tensor& z) { return decoder_->forward(z); }

void SlowVaeLossOptions::validate() const {
  if (!(beta >= 0 && gamma >= 0 && rate > 0)) {
    throw InvalidArgument("slowvae: need beta >= 0, gamma >= 0 and rate > 0");
  }
}

torch::Tensor laplace_cross_entropy(const torch::Tensor& mean, const torch::Tensor& logvar, double rate) {
  const torch::Tensor sigma = logvar.exp().sqrt();
  const torch::Tensor cdf = 0.5 * (1 + torch::erf(mean / sigma / std::sqrt(2.0)));
  return -std::log(rate / 2) + rate * sigma * std::sqrt(2 / std::numbers::pi) * torch::exp(-mean.square() / (2 * logvar.exp())) -
         rate * mean * (1 - 2 * cdf);
}

SlowVaeLoss slowvae_loss(const torch::Tensor& x, const torch::Tensor& logits, const torch::Tensor& mu,
                         const torch::Tensor& logvar, const SlowVaeLossOptions& o) {
  o.validate();
  if (x.size(0) % 2 != 0 || mu.size(0) != x.size(0)) {
    throw ShapeError("slowvae: the batch must hold pairs (an even number of images), got " + std::to_string(x.size(0)));
  }
  SlowVaeLoss out;
  out.recon = torch::binary_cross_entropy_with_logits(logits, x, {}, {}, torch::Reduction::Sum) / static_cast<double>(x.size(0));
  const torch::Tensor entropy = (0.5 * (logvar + std::log(2 * std::numbers::pi * std::numbers::e))).sum(1).mean();
  const torch::Tensor ce_normal = (0.5 * (mu.square() + logvar.exp()) + std::log(std::sqrt(2 * std::numbers::pi))).sum(1).mean();
  const torch::Tensor mu0 = mu.slice(0, 0, mu.size(0), 2), mu1 = mu.slice(0, 1, mu.size(0), 2);
  const torch::Tensor lv0 = logvar.slice(0, 0, mu.size(0), 2), lv1 = logvar.slice(0, 1, mu.size(0), 2);
  const torch::Tensor ce_laplace =
      (laplace_cross_entropy(mu0 - mu1, lv0, o.rate) + laplace_cross_entropy(mu1 - mu0, lv1, o.rate)).sum(1).mean();
  out.kl_normal = ce_normal - entropy;
  out.kl_laplace = ce_laplace - entropy;
  out.total = 2 * out.recon + o.beta * out.kl_normal + o.gamma * out.kl_laplace;
  return out;
}

SpriteDataset parse_sprite_dataset(const std::string& name) {
  if (name == "dsprites") return SpriteDataset::kDSprites;
  if (name == "natural-sprites") return SpriteDataset::kNaturalSprites;
  throw InvalidArgument("slowvae: unknown dataset '" + name + "' (expected dsprites or natural-sprites)");
}

std::string to_string(SpriteDataset d) { return d == SpriteDataset::kDSprites ? "dsprites" : "natural-sprites"; }

SlowVaeLossOptions SlowVaeTrainOptions::model_defaults(bool slow) {
  return slow ? SlowVaeLossOptions{1.0, 10.0, 6.0} : SlowVaeLossOptions{8.0, 0.0, 6.0};
}

void SlowVaeTrainOptions::validate() const {
  pairs.validate();
  natural.validate();
  loss.validate();
  if (!slow && loss.gamma != 0) throw InvalidArgument("slowvae: the beta-VAE baseline has gamma = 0");
  if (z_dim < 1 || batch_pairs < 1 || steps < 1 || !(lr > 0) || log_every < 1 || checkpoint_every < 1) {
    throw InvalidArgument("slowvae: z_dim, batch_pairs, steps, log_every and checkpoint_every must be >= 1, lr > 0");
  }
}

BetaVae train_slowvae(const SlowVaeTrainOptions& o, const std::function<void(const TrainPoint&)>& on_log,
                      Progress* progress) {
  o.validate();
  torch::manual_seed(o.seed);
  BetaVae model(o.z_dim, 1);
  const torch::Device device = default_device();
  model->to(device);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(o.lr).betas({0.9, 0.999}));
  std::mt19937_64 rng(o.seed);
  int64_t step = 0;
  const std::string config = options_json(o).dump();
  if (o.checkpoint && std::filesystem::exists(*o.checkpoint)) {
    step = resume_training_checkpoint(*o.checkpoint, "slowvae", config, *model, optimizer, rng);
    if (progress) progress->advance(step);
  }
  auto save = [&] {
    if (o.checkpoint) save_training_checkpoint(*o.checkpoint, config, *model, optimizer, step, rng);
  };
  model->train();
  TrainPoint sums;
  int64_t counted = 0;
  while (step < o.steps) {
    const torch::Tensor x = to_device(pair_batch(o, rng), device);
    const auto [mu, logvar] = model->encode(x);
    // The noise comes from the CPU generator, which the checkpoint holds: a resumed run draws the same
    // noise as one that never stopped, and so does a run on another device.
    const torch::Tensor noise = to_device(torch::randn(mu.sizes()), device);  // cpu: see above
    const torch::Tensor z = mu + (logvar / 2).exp() * noise;
    const SlowVaeLoss loss = slowvae_loss(x, model->decode(z), mu, logvar, o.loss);
    if (!std::isfinite(loss.total.item<double>())) {
      throw NumericalError("slowvae: the loss became " + std::to_string(loss.total.item<double>()) + " at step " +
                           std::to_string(step + 1));
    }
    optimizer.zero_grad();
    loss.total.backward();
    optimizer.step();
    ++step;
    sums.total += loss.total.item<double>();
    sums.recon += loss.recon.item<double>();
    sums.kl_normal += loss.kl_normal.item<double>();
    sums.kl_laplace += loss.kl_laplace.item<double>();
    ++counted;
    if (step % o.log_every == 0 || step == o.steps) {
      const double n = static_cast<double>(counted);
      if (on_log) on_log({step, sums.total / n, sums.recon / n, sums.kl_normal / n, sums.kl_laplace / n});
      sums = {};
      counted = 0;
    }
    if (step % o.checkpoint_every == 0 || step == o.steps) save();
    if (progress) progress->advance();
  }
  model->eval();
  return model;
}

std::pair<BetaVae, std::string> load_slowvae(const std::filesystem::path& checkpoint) {
  const std::string saved = training_checkpoint_options(checkpoint, "slowvae");
  const nlohmann::json options = nlohmann::json::parse(saved, nullptr, false);
  if (!options.is_object() || !options.contains("z_dim")) {
    throw FormatError("slowvae: '" + checkpoint.string() + "' has unreadable options");
  }
  BetaVae model(options["z_dim"].get<int64_t>(), 1);
  load_trained_weights(checkpoint, "slowvae", *model);
  model->to(default_device());
  return {model, saved};
}

torch::Tensor encode_means(BetaVae& model, const torch::Tensor& images, int64_t batch) {
  torch::NoGradGuard no_grad;
  const torch::Device device = model->parameters().front().device();
  std::vector<torch::Tensor> out;
  for (int64_t start = 0; start < images.size(0); start += batch) {
    const torch::Tensor x = to_device(images.narrow(0, start, std::min(batch, images.size(0) - start)), device);
    out.push_back(model->encode(x).first.cpu());
  }
  return torch::cat(out);
}

}  // namespace robustlab::representation
