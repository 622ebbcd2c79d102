#!/usr/bin/env bash
# Fuzzes every reader of outside data (fuzz/targets/*.cpp) with libFuzzer for SECONDS each:
#   bash bench/fuzz.sh 600
# Builds the targets with clang, AddressSanitizer and UndefinedBehaviorSanitizer in ./build-fuzz
# (clang and libclang-rt-14-dev: scripts/setup.sh --fuzz; as C++17, see CMakeLists.txt), starts each from its seed corpus
# (fuzz/corpus/<target>) and keeps what it learns in build-fuzz/corpus/<target>. A crash leaves its
# input in build-fuzz/crashes/<target>/; once fixed, copy it to fuzz/crashes/<target>/, where the
# normal test suite replays it (ctest -R Fuzz). Prints executions per second and coverage per target.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
jobs=${JOBS:-$(nproc)}
bash scripts/setup.sh --fuzz
if [ ! -f build-fuzz/CMakeCache.txt ]; then
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DROBUSTLAB_FUZZ=ON -DROBUSTLAB_BUILD_TESTS=OFF -DROBUSTLAB_BUILD_BENCH=OFF -DROBUSTLAB_BUILD_PYTHON=OFF
fi
# TARGETS="idx npy" narrows the run to some targets.
targets=${TARGETS:-$(ls fuzz/targets | sed 's/\.cpp$//')}
echo "fuzz: building $(echo $targets | wc -w) targets in build-fuzz" >&2
cmake --build build-fuzz --parallel "$(nproc)" --target $(for t in $targets; do echo -n "fuzz_$t "; done)
mkdir -p build-fuzz/logs
run_one() {
  local t=$1
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/crashes/$t"
  local dict=() fork=()
  [ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")
  # LibTorch's TorchScript importer crashes on some inputs (fuzz/libtorch-crashes), and a .pt may ask
  # LibTorch for more memory than -rss_limit_mb: go on past them.
  case "$t" in checkpoint | tensor_file) fork=(-fork=1 -ignore_crashes=1) ;; esac
  # Leaks are not findings here (LibTorch keeps caches for the life of the process).
  ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
    "build-fuzz/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/crashes/$t/" "${dict[@]}" "${fork[@]}" "build-fuzz/corpus/$t" "fuzz/corpus/$t" \
    >"build-fuzz/logs/$t.log" 2>&1 && status=ok || status="FOUND A CRASH (build-fuzz/crashes/$t)"
  local execs cov
  execs=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "build-fuzz/logs/$t.log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "build-fuzz/logs/$t.log" | tail -1 | grep -o '[0-9]*' || echo "?")
  printf '%-12s %8s exec/s  %6s edges  %s\n' "$t" "$execs" "$cov" "$status"
}
echo "fuzz: $seconds s per target, $jobs at a time" >&2
printf '%-12s %15s  %12s\n' target speed coverage
export -f run_one
export seconds
printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c 'run_one {}'
