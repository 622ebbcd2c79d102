// Feature visualisation and the web experiment's server (Borowski et al. 2021; docs/psychophysics.md):
// - FeatureVisSteps/<threads>: optimisation steps per second of lucid's loop (Fourier
//   parameterisation, jitter–scale–rotate–jitter, channel objective and diversity term, Adam) on the
//   FMN reference CNN (TorchScript), layer conv2, batch 10, 28 px; compare with
//   bench/feature_vis_step.py, the same loop in PyTorch's Python API.
// - ExperimentServer: 50 participants at once on 127.0.0.1, each fetching trials, one query image
//   and answering whole sessions: requests/s and the p50/p99 latency of fetch + image + answer.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "robustlab/data/idx.h"
#include "robustlab/models/load.h"
#include "robustlab/psychophysics/design.h"
#include "robustlab/psychophysics/feature_vis.h"
#include "robustlab/psychophysics/web_experiment.h"

namespace {

using namespace robustlab;
namespace fs = std::filesystem;

ClassifierPtr reference_model() {
  static ClassifierPtr model = load_classifier(std::string(ROBUSTLAB_SHARED_DIR) + "/reference/fmn/fmnist_cnn.pt");
  return model;
}

void FeatureVisSteps(benchmark::State& state) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  auto model = reference_model();
  psychophysics::FeatureVisOptions o = psychophysics::FeatureVisOptions::scaled_to(28);
  o.layer = "conv2";
  o.channel = 5;
  o.channels = 1;
  o.steps = 200;
  psychophysics::visualize_channel(*model, o);  // warm-up: the layer probe is built on first use
  for (auto _ : state) benchmark::DoNotOptimize(psychophysics::visualize_channel(*model, o).images);
  state.SetItemsProcessed(state.iterations() * o.steps);
}
BENCHMARK(FeatureVisSteps)->Arg(1)->Arg(2)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

void ExperimentServer(benchmark::State& state) {
  torch::set_num_threads(1);
  const fs::path dir = fs::temp_directory_path() / "robustlab-bench-experiment";
  fs::remove_all(dir);
  auto model = reference_model();
  psychophysics::StimulusOptions so;
  so.units = {{"conv2", 0}, {"conv2", 1}, {"conv2", 2}};
  so.batches = 4;
  so.vis = psychophysics::FeatureVisOptions::scaled_to(28);
  so.vis.layer = "conv2";
  so.vis.channels = 1;
  so.vis.steps = 5;
  write_stimuli(*model, make_subset(load_fashion_mnist("test"), SubsetOptions{.limit = 400}), so, dir / "stimuli");
  const int participants = 50;
  std::vector<double> latencies;
  std::mutex mutex;
  int64_t requests = 0;
  std::atomic<int64_t> errors{0};
  for (auto _ : state) {
    fs::remove(dir / "results.db");
    Store store(dir / "results.db");
    psychophysics::WebExperiment experiment(
        store, {.stimuli = dir / "stimuli", .design = {.main_trials = 15, .catch_trials = 3},
                .server = HttpServerOptions{.port = 0, .threads = 16}});
    const int port = experiment.bind();
    std::thread server([&] { experiment.serve(); });
    std::vector<std::thread> clients;
    for (int p = 0; p < participants; ++p) {
      clients.emplace_back([&] {
        httplib::Client c("127.0.0.1", port);
        auto joined = c.Post("/api/join", "", "application/json");
        const std::string set = joined ? joined->get_header_value("Set-Cookie") : "";
        const httplib::Headers cookie = {{"Cookie", set.substr(0, set.find(';'))}};
        std::vector<double> mine;
        for (;;) {
          const auto start = std::chrono::steady_clock::now();
          auto t = c.Get("/api/trial", cookie);
          if (!t || t->status != 200) break;
          const auto trial = nlohmann::json::parse(t->body);
          if (trial.value("done", false)) break;
          auto image = c.Get("/api/image/q/left", cookie);
          auto answer = c.Post("/api/answer", cookie,
                               nlohmann::json{{"trial", trial["trial"]}, {"choice", 0}, {"confidence", 2}, {"rt_ms", 900}}.dump(),
                               "application/json");
          if (!image || image->status != 200 || !answer || answer->status != 200) ++errors;
          mine.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        }
        std::lock_guard lock(mutex);
        latencies.insert(latencies.end(), mine.begin(), mine.end());
        requests += 1 + 3 * static_cast<int64_t>(mine.size());
      });
    }
    for (auto& c : clients) c.join();
    experiment.stop();
    server.join();
  }
  std::sort(latencies.begin(), latencies.end());
  const auto at = [&](double q) { return latencies.empty() ? 0.0 : latencies[static_cast<size_t>(q * (latencies.size() - 1))]; };
  state.counters["requests_per_s"] = benchmark::Counter(static_cast<double>(requests), benchmark::Counter::kIsRate);
  state.counters["trial_p50_ms"] = at(0.5);
  state.counters["trial_p99_ms"] = at(0.99);
  state.counters["answers"] = static_cast<double>(latencies.size()) / static_cast<double>(state.iterations());
  state.counters["errors"] = static_cast<double>(errors.load());
  fs::remove_all(dir);
}
BENCHMARK(ExperimentServer)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
