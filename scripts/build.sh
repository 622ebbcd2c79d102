#!/usr/bin/env bash
# Installs the dependencies (scripts/setup.sh), then configures and builds robustlab in ./build.
# Extra arguments go to CMake's configure step. ROBUSTLAB_TARGETS (space-separated) builds only
# those targets: scripts/run.sh builds the CLI alone.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "robustlab: checking the Debian packages it needs (scripts/setup.sh)" >&2
bash scripts/setup.sh
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f build/CMakeCache.txt ]; then
  echo "robustlab: configuring ./build (Release)" >&2
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
elif [ $# -gt 0 ]; then
  cmake -S . -B build "$@" >/dev/null
fi
targets=()
for t in ${ROBUSTLAB_TARGETS:-}; do targets+=(--target "$t"); done
echo "robustlab: compiling ${ROBUSTLAB_TARGETS:-everything} on $(nproc) cores" \
     "(the first time takes long, see docs/hardening.md; ccache makes later builds fast)" >&2
cmake --build build --parallel "$(nproc)" "${targets[@]}"
