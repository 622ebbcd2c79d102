// Uses the installed robustlab: records a run in a results database and reads it back.
#include <robustlab/core/version.h>
#include <robustlab/store/store.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  robustlab::Store store(argv[1]);
  const int64_t run = store.begin_run("consumer", {{"from", "find_package"}}, 7);
  store.add_results(run, {{"m", "d", {}, "accuracy", 0.5, 2}});
  store.finish_run(run, robustlab::RunStatus::kCompleted);
  const auto results = store.results({.run_id = run});
  std::printf("robustlab %s: %zu result(s)\n", robustlab::kVersion, results.size());
  return results.size() == 1 && results[0].row.value == 0.5 ? 0 : 1;
}
