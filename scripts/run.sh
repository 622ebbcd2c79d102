#!/usr/bin/env bash
# The main job: install, build, and run `robustlab benchmark` on its default (Fashion-MNIST).
# Extra arguments go to `robustlab benchmark`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec ./build/bin/robustlab benchmark "$@"
