#!/usr/bin/env bash
# Install, build, and run the whole test suite (CTest drives the GoogleTest programs), then the
# sanitized subset.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# Tests run side by side, each with LibTorch/OpenBLAS OpenMP threads: with libgomp's default
# (spinning) wait policy, oversubscribed cores make a 2-thread step 10-25x slower (measured, see
# docs/performance.md "Threads"); waiting threads sleep instead.
export OMP_WAIT_POLICY=PASSIVE
ctest --test-dir build --parallel "$(nproc)" --output-on-failure

# The sanitizer build (docs/hardening.md, "Sanitizers"): AddressSanitizer and
# UndefinedBehaviorSanitizer over the readers, the store and the numeric modules, in ./build-asan.
# A subset: the whole suite built twice does not fit CI's hour on 2 cores.
asan_tests=(core_tests data_tests store_tests tensor_tests corruptions_tests human_tests report_tests)
asan_replays=(idx image npy tensor_file human_csv checkpoint)
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f build-asan/CMakeCache.txt ]; then
  echo "robustlab: configuring ./build-asan (AddressSanitizer + UndefinedBehaviorSanitizer)" >&2
  cmake -S . -B build-asan "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROBUSTLAB_SANITIZE=ON \
    -DROBUSTLAB_BUILD_BENCH=OFF -DROBUSTLAB_BUILD_PYTHON=OFF >/dev/null
fi
cmake --build build-asan --parallel "$(nproc)" --target "${asan_tests[@]}" "${asan_replays[@]/#/replay_}"
# LibTorch keeps allocations for the life of the process: leaks are not reported.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "${asan_tests[@]}"; do
  echo "robustlab: $t under the sanitizers" >&2
  "build-asan/tests/$t" --gtest_brief=1
done
for r in "${asan_replays[@]}"; do
  "build-asan/fuzz/replay_$r" "fuzz/corpus/$r" "fuzz/crashes/$r"  # a failure prints its input and report
done
