#!/usr/bin/env bash
# Installs every build, test and run-time dependency of robustlab from Debian 12 packages.
# Does nothing (and needs no network) when everything is already installed.
# LibTorch's matrix products go through the libblas.so.3 alternative: OpenBLAS's OpenMP build (it
# shares LibTorch's libgomp threads) is ~9x faster than the reference BLAS on MLP work; the
# reference BLAS stays installed for the test that checks FMN against the reference runs exactly.
# With --bench it also installs what the comparison scripts under bench/ need beyond PyTorch's
# Python API (scipy and scikit-learn for cross-checks, GNU time for peak memory); with --fuzz, clang
# and libFuzzer for bench/fuzz.sh.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenblas0-openmp libblas3 libopencv-dev libsqlite3-dev sqlite3
  libcli11-dev nlohmann-json3-dev libxtensor-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev liblinear-dev libxgboost-dev libgloo-dev
  chromium curl
  dataset-fashion-mnist
  pybind11-dev python3-dev python3-torch python3-numpy python3-pytest
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(python3-scipy python3-sklearn time)
fi
# With --fuzz, clang and its libFuzzer runtime for bench/fuzz.sh.
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# OpenBLAS takes over the alternative when installed; if it was set by hand to the reference BLAS,
# switch it (any other choice, MKL or BLIS say, is left alone).
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine)
blas_link="libblas.so.3-${arch}"
if update-alternatives --query "$blas_link" 2>/dev/null | grep -q "^Value: .*/blas/libblas.so.3$"; then
  echo "setup: pointing libblas.so.3 at OpenBLAS (OpenMP) instead of the reference BLAS" >&2
  "${sudo_cmd[@]}" update-alternatives --set "$blas_link" "/usr/lib/${arch}/openblas-openmp/libblas.so.3"
fi
