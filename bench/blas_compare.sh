#!/usr/bin/env bash
# robustlab and PyTorch's Python API side by side under the reference BLAS and OpenBLAS (both
# selected per process through LD_LIBRARY_PATH, whatever the libblas.so.3 alternative says): the
# training step, the FMN step at batches 1/16/200, BN/RPL adaptation, the cl-ica InfoNCE step and the
# SlowVAE step.
# Each pair runs ROUNDS times, C++ and Python in turn, so that drift of this shared machine hits
# both. Raw output goes to stdout; docs/performance.md quotes the medians.
# Usage: bash bench/blas_compare.sh [build dir=./build] [rounds=2] [only: train|fmn|adapt|infonce|slowvae]
set -euo pipefail
build=$(realpath "${1:-$(dirname "$0")/../build}")  # relative to where it is called from
cd "$(dirname "$0")/.."
rounds=${2:-2}
only=${3:-}
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine)
declare -A blas=([reference]=/usr/lib/$arch/blas [openblas]=/usr/lib/$arch/openblas-openmp)
py=/usr/bin/python3

pair() {  # name, C++ command, Python command
  local name=$1 cpp=$2 python=$3
  [ -n "$only" ] && [ "$only" != "$name" ] && return 0
  for b in reference openblas; do
    for r in $(seq "$rounds"); do
      echo "### $name $b round $r: robustlab"
      LD_LIBRARY_PATH=${blas[$b]} $cpp 2>&1 | grep -E "median|error" || true
      echo "### $name $b round $r: python"
      LD_LIBRARY_PATH=${blas[$b]} $python 2>&1 | grep -v "^$" || true
    done
  done
}

agg="--benchmark_repetitions=3 --benchmark_report_aggregates_only=true"
pair train "$build/bench/bench_train $agg" "$py bench/train_throughput.py"
pair fmn "$build/bench/bench_fmn_step $agg" "$py bench/fmn_step.py"
pair adapt "$build/bench/bench_adapt $agg" "$py bench/adapt_throughput.py"
pair infonce "$build/bench/bench_infonce $agg --benchmark_filter=Step" "$py bench/infonce_step.py"
pair slowvae "$build/bench/bench_disentanglement $agg --benchmark_filter=SlowVae" "$py bench/slowvae_step.py"
