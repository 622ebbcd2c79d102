#!/usr/bin/env bash
# Install, build, and run the whole test suite (CTest drives the GoogleTest programs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# Tests run side by side, each with LibTorch/OpenBLAS OpenMP threads: with libgomp's default
# (spinning) wait policy, oversubscribed cores make a 2-thread step 10-25x slower (measured, see
# docs/performance.md "Threads"); waiting threads sleep instead.
export OMP_WAIT_POLICY=PASSIVE
ctest --test-dir build --parallel "$(nproc)" --output-on-failure
