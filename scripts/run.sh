#!/usr/bin/env bash
# The main job: install, build the CLI (only: the tests and benchmarks are scripts/test.sh's), and
# run `robustlab benchmark` on its default (Fashion-MNIST). Extra arguments go to `robustlab benchmark`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROBUSTLAB_TARGETS=robustlab_cli bash scripts/build.sh
echo "robustlab: running the benchmark (each result is logged and stored as it is measured; the tables come at the end)" >&2
exec ./build/bin/robustlab benchmark "$@"
