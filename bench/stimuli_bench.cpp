// Stimulus generation speed for the case studies of Funke et al. 2021: one closed-contour image
// pair (geometry and both drawings, grey background) and one SVRT sample per problem, in items/s on
// one thread; the writers run items in parallel on every thread (stimuli/items.h).
#include <benchmark/benchmark.h>

#include <random>

#include "robustlab/core/random.h"
#include "robustlab/stimuli/contours.h"
#include "robustlab/stimuli/svrt.h"

namespace st = robustlab::stimuli;

namespace {

void BM_ContourPair(benchmark::State& state) {
  uint64_t k = 0;
  for (auto _ : state) {
    std::mt19937_64 rng = robustlab::make_rng(0, k++);
    const st::ContourPair pair = st::make_contour_pair(3 + static_cast<int>(k % 7), st::ContourSet::kTraining, rng);
    benchmark::DoNotOptimize(st::contour_stimulus(pair.closed_lines, st::ContourSet::kTraining));
    benchmark::DoNotOptimize(st::contour_stimulus(pair.open_lines, st::ContourSet::kTraining));
  }
  state.SetItemsProcessed(state.iterations() * 2);  // images
}
BENCHMARK(BM_ContourPair)->Unit(benchmark::kMillisecond);

void BM_SvrtSample(benchmark::State& state) {
  const int problem = static_cast<int>(state.range(0));
  uint64_t k = 0;
  for (auto _ : state) {
    std::mt19937_64 rng = robustlab::make_rng(0, k);
    benchmark::DoNotOptimize(st::make_svrt_sample(problem, static_cast<int>(k++ % 2), rng));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SvrtSample)->DenseRange(1, st::kSvrtProblems)->Unit(benchmark::kMicrosecond);

}  // namespace
