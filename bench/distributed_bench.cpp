// Communication cost of the distributed module (docs/distributed.md): all-gather of per-sample
// results and an all-reduce of counts between 2 ranks on 127.0.0.1 (Gloo over TCP loopback), each
// rank a thread of this process. Per call, for payloads of 1 to 100,000 float64 values.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <thread>
#include <unistd.h>

#include "robustlab/distributed/distributed.h"

namespace {

using namespace robustlab::distributed;

void AllGather(benchmark::State& state) {
  const int64_t n = state.range(0);
  const int port = 30000 + static_cast<int>((getpid() + n) % 20000);
  const int calls = 200;
  for (auto _ : state) {
    std::thread other([&] {
      ProcessGroup group({.world_size = 2, .rank = 1, .master_port = port});
      for (int i = 0; i < calls; ++i) group.all_gather(torch::ones({n}, torch::kFloat64));
    });
    ProcessGroup group({.world_size = 2, .rank = 0, .master_port = port});
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) benchmark::DoNotOptimize(group.all_gather(torch::ones({n}, torch::kFloat64)));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    other.join();
    state.SetIterationTime(seconds / calls);
  }
  state.counters["values"] = static_cast<double>(n);
}
BENCHMARK(AllGather)->Arg(1)->Arg(1000)->Arg(100000)->UseManualTime()->Iterations(3)->Unit(benchmark::kMicrosecond);

}  // namespace
