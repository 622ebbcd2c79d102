#!/usr/bin/env bash
# Installs every build, test and run-time dependency of robustlab from Debian 12 packages.
# Does nothing (and needs no network) when everything is already installed.
# With --bench it also installs what the comparison scripts under bench/ need (PyTorch's Python API,
# GNU time for peak memory).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopencv-dev libsqlite3-dev sqlite3
  libcli11-dev nlohmann-json3-dev libxtensor-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev
  chromium curl
  dataset-fashion-mnist
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(python3-torch python3-numpy time)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
