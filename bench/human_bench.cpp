// The model-vs-human benchmark table for one model from the raw CSVs: reading the 107 files
// (90 humans, ResNet-50 on 17 datasets), then the model's row and the human reference row.
// Goal (issue: human): under one second. Pass the raw-data folder as the first argument, or
// it is taken from ../shared beside the checkout.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "robustlab/human/benchmark.h"
#include "robustlab/human/compare.h"

namespace {

std::filesystem::path g_raw = ROBUSTLAB_SHARED_DIR "/data/model-vs-human/raw-data";

void BM_ReadRawData(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(robustlab::human::read_raw_data(g_raw).size());
}
BENCHMARK(BM_ReadRawData)->Unit(benchmark::kMillisecond);

void BM_BenchmarkTableFromCsv(benchmark::State& state) {
  for (auto _ : state) {
    const auto data = robustlab::human::read_raw_data(g_raw);
    auto model = robustlab::human::score_model(data, "resnet50");
    auto humans = robustlab::human::score_humans(data);
    benchmark::DoNotOptimize(model.overall.error_consistency + humans.overall.error_consistency);
  }
}
BENCHMARK(BM_BenchmarkTableFromCsv)->Unit(benchmark::kMillisecond);

void BM_FullComparisonWithChanceBands(benchmark::State& state) {
  const auto data = robustlab::human::read_raw_data(g_raw);
  for (auto _ : state) benchmark::DoNotOptimize(robustlab::human::compare(data, {.simulations = 2000}).models.size());
}
BENCHMARK(BM_FullComparisonWithChanceBands)->Unit(benchmark::kMillisecond);

}  // namespace

// Its own main() for the optional path argument; it runs no tensor workloads, so it does not take
// main.cpp's allocator setting.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (argc > 1) g_raw = argv[1];
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
