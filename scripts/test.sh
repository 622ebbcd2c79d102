#!/usr/bin/env bash
# Install, build, and run the whole test suite (CTest drives the GoogleTest programs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --parallel "$(nproc)" --output-on-failure
