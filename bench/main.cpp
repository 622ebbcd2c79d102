// The main() of every Google Benchmark program here: the CLI's allocator setting, then the
// benchmarks (so the figures are those of the program users run).
#include <benchmark/benchmark.h>

#include "robustlab/core/allocator.h"

int main(int argc, char** argv) {
  robustlab::keep_freed_memory();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
