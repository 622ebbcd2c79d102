// FMN against the reference runs of ../shared/reference/fmn (the official implementation on a
// Fashion-MNIST CNN, 200 images, one batch, one thread): success and median norms for every norm
// in the official and the default (box-aware) mode, and DDN. Prints a Markdown table for
// docs/attacks.md, and for the official mode how many per-sample results equal the reference's.
// Usage: bench_fmn_reference [steps=100] [images=200] [L0|L1|L2|Linf|DDN] [official|default]
#include <torch/script.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "robustlab/attacks/baselines.h"
#include "robustlab/attacks/fmn.h"
#include "robustlab/core/allocator.h"
#include "robustlab/core/parallel.h"
#include "robustlab/data/tensor_file.h"
#include "robustlab/models/load.h"

namespace ra = robustlab::attacks;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t steps = argc > 1 ? std::stoll(argv[1]) : 100;
  const int64_t images = argc > 2 ? std::stoll(argv[2]) : 200;
  const std::string only = argc > 3 ? argv[3] : "";
  const std::string only_mode = argc > 4 ? argv[4] : "";
  robustlab::set_threads(1);
  robustlab::keep_freed_memory();
  const std::string dir = ROBUSTLAB_SHARED_DIR "/reference/fmn/";
  auto model = robustlab::load_classifier(dir + "fmnist_cnn.pt");
  const auto data = robustlab::load_tensor_file(dir + "fmnist_test200.pt", 10);
  std::vector<int64_t> idx(static_cast<size_t>(images));
  std::iota(idx.begin(), idx.end(), 0);
  const auto batch = data->get_batch(idx);
  nlohmann::json ref;
  std::ifstream(dir + "fmn_reference.json") >> ref;

  std::printf("| norm | mode | alpha0 | success | median (fail = inf) | median (successes) | reference success | reference median | s/step |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& [name, norm, alpha] : std::vector<std::tuple<std::string, ra::Norm, double>>{
           {"L0", ra::Norm::kL0, 1.0}, {"L1", ra::Norm::kL1, 1.0}, {"L2", ra::Norm::kL2, 1.0}, {"Linf", ra::Norm::kLinf, 1.0},
           {"Linf", ra::Norm::kLinf, 10.0}}) {
    if (!only.empty() && only != name) continue;
    torch::Tensor official_norms;
    for (bool official : {true, false}) {
      if (!only_mode.empty() && only_mode != (official ? "official" : "default")) continue;
      const auto start = std::chrono::steady_clock::now();
      const ra::AttackResult r =
          ra::fmn(*model, batch.x, batch.y, {.norm = norm, .steps = steps, .alpha_init = alpha, .official = official});
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::vector<double> all, ok;
      for (int64_t i = 0; i < images; ++i) {
        const double v = r.norms[i].item<double>();
        all.push_back(v);
        if (std::isfinite(v)) ok.push_back(v);
      }
      char id[64];
      std::snprintf(id, sizeof id, "official_%s_K%lld_a%g", name.c_str(), static_cast<long long>(steps), alpha);
      std::string ref_success = "-", ref_median = "-";
      for (const auto& run : ref.at("runs")) {
        if (run.at("id") == id) {
          int64_t s = 0;
          std::vector<double> norms;
          for (int64_t i = 0; i < images; ++i) {
            const bool succ = run.at("success")[i].get<int>() == 1;
            s += succ;
            norms.push_back(succ ? run.at("norm_values")[i].get<double>() : std::numeric_limits<double>::infinity());
          }
          ref_success = std::to_string(s) + "/" + std::to_string(images);
          if (official) {  // per sample: flags that differ, norms equal to 1e-6 relative
            int64_t flips = 0, equal = 0;
            std::vector<double> relative;
            std::string flipped;
            for (int64_t i = 0; i < images; ++i) {
              const bool ours = std::isfinite(r.norms[i].item<double>());
              if (ours != std::isfinite(norms[static_cast<size_t>(i)])) {
                ++flips;
                flipped += " " + std::to_string(i);
              }
              if (ours && std::isfinite(norms[static_cast<size_t>(i)])) {
                relative.push_back(std::abs(r.norms[i].item<double>() / norms[static_cast<size_t>(i)] - 1));
                equal += relative.back() < 1e-6;
              }
            }
            std::sort(relative.begin(), relative.end());
            const auto at = [&](double q) {
              return relative.empty() ? NAN : relative[static_cast<size_t>(q * static_cast<double>(relative.size() - 1))];
            };
            std::printf("|   | per sample vs reference: %lld success flags differ%s; norm equal (1e-6) on %lld of %lld; "
                        "relative difference median %.2g, 90th percentile %.2g, max %.2g |\n",
                        static_cast<long long>(flips), flipped.empty() ? "" : (" (images" + flipped + ")").c_str(),
                        static_cast<long long>(equal), static_cast<long long>(relative.size()), at(0.5), at(0.9), at(1.0));
          }
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.4g", median(norms));
          ref_median = buf;
        }
      }
      std::printf("| %s | %s | %g | %lld/%lld | %.4g | %.4g | %s | %s | %.4f |\n", name.c_str(),
                  official ? "official" : "default", alpha, static_cast<long long>(ok.size()),
                  static_cast<long long>(images), median(all), ok.empty() ? NAN : median(ok), ref_success.c_str(),
                  ref_median.c_str(), seconds / static_cast<double>(steps));
      std::fflush(stdout);
      if (ok.size() < static_cast<size_t>(images)) {
        std::string failed;
        for (int64_t i = 0; i < images; ++i)
          if (!std::isfinite(all[static_cast<size_t>(i)])) failed += (failed.empty() ? "" : ", ") + std::to_string(i);
        std::printf("|   | failed on images %s |\n", failed.c_str());
        std::fflush(stdout);
      }
      if (official) {
        official_norms = r.norms;
      } else if (official_norms.defined()) {
        // On the images both modes solve: how the default's norms compare with the official's.
        const torch::Tensor both = torch::isfinite(official_norms).logical_and(torch::isfinite(r.norms));
        const torch::Tensor ratio = (r.norms / official_norms.clamp_min(1e-12)).masked_select(both);
        std::printf("|   | both solve %lld: default/official norm median %.4f, max %.4f, larger by >1%% on %lld |\n",
                    static_cast<long long>(both.sum().item<int64_t>()),
                    ratio.numel() ? ratio.median().item<double>() : NAN, ratio.numel() ? ratio.max().item<double>() : NAN,
                    static_cast<long long>(ratio.gt(1.01).sum().item<int64_t>()));
      }
    }
  }
  if (only.empty() || only == "DDN") {
    const auto start = std::chrono::steady_clock::now();
    const ra::AttackResult r = ra::ddn(*model, batch.x, batch.y, {.steps = steps});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<double> all;
    int64_t ok = 0;
    for (int64_t i = 0; i < images; ++i) {
      all.push_back(r.norms[i].item<double>());
      ok += std::isfinite(all.back());
    }
    std::printf("| L2 | DDN | 1 | %lld/%lld | %.4g | - | 200/200 (Foolbox DDN) | 0.5630 (Foolbox DDN) | %.4f |\n",
                static_cast<long long>(ok), static_cast<long long>(images), median(all), seconds / static_cast<double>(steps));
  }
  return 0;
}
