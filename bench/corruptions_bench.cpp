// Time per image of each corruption at 224x224, severity 3, one thread, on the reference's
// chelsea_224 input; compare with the Python reference's times in
// ../shared/reference/corruptions.md §4 (docs/performance.md has the table).
#include <benchmark/benchmark.h>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "robustlab/core/parallel.h"
#include "robustlab/corruptions/corruptions.h"

namespace {

const cv::Mat& image() {
  static const cv::Mat rgb = [] {
    cv::Mat bgr = cv::imread(ROBUSTLAB_SHARED_DIR "/reference/corruptions/inputs/chelsea_224.png", cv::IMREAD_COLOR);
    if (bgr.empty()) throw std::runtime_error("reference input not found");
    cv::Mat out;
    cv::cvtColor(bgr, out, cv::COLOR_BGR2RGB);
    return out;
  }();
  return rgb;
}

void BM_Corruption(benchmark::State& state, const std::string& name) {
  robustlab::set_threads(1);
  const int severity = static_cast<int>(state.range(0));
  uint64_t i = 0;
  for (auto _ : state) {
    auto rng = robustlab::corruptions::corruption_rng(0, i++, name, severity);
    benchmark::DoNotOptimize(robustlab::corruptions::corrupt(image(), name, severity, rng));
  }
}

void BM_Benchmark15(benchmark::State& state) {
  robustlab::set_threads(1);
  const int severity = static_cast<int>(state.range(0));
  const auto names = robustlab::corruptions::parse_names("benchmark");
  uint64_t i = 0;
  for (auto _ : state)
    for (const auto& name : names) {
      auto rng = robustlab::corruptions::corruption_rng(0, i++, name, severity);
      benchmark::DoNotOptimize(robustlab::corruptions::corrupt(image(), name, severity, rng));
    }
}

const int registered = [] {
  robustlab::corruptions::FrostTextures::procedural();  // generated once, outside the timing
  for (const auto& info : robustlab::corruptions::all())
    benchmark::RegisterBenchmark(("corrupt/" + info.name).c_str(), BM_Corruption, info.name)
        ->Arg(3)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("corrupt/sum_of_15_benchmark_corruptions", BM_Benchmark15)
      ->DenseRange(1, 5)->Unit(benchmark::kMillisecond);
  return 0;
}();

}  // namespace
