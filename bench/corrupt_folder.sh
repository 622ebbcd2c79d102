#!/usr/bin/env bash
# Throughput and peak memory of `robustlab corrupt` on image folders of growing size: the 15
# benchmark corruptions at severity 3, 224x224 JPEG q85 outputs, 2 threads. Peak memory must not
# grow with the folder size. Usage: bench/corrupt_folder.sh [build dir] [sizes...]
set -euo pipefail
build=${1:-build}
shift || true
sizes=${*:-250 1000}
cli="$build/bin/robustlab"
shared="$(cd "$(dirname "$0")/../../shared" && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "images  seconds  images/s  outputs/s  peak RSS (MB)"
for n in $sizes; do
  in="$work/in-$n"
  mkdir -p "$in/cat"
  for i in $(seq 1 "$n"); do cp "$shared/reference/corruptions/inputs/chelsea_224.png" "$in/cat/$i.png"; done
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/rss" "$cli" corrupt --input "$in" --output "$work/out-$n" --corruptions benchmark \
    --severities 3 --threads 2 --quiet --db "$work/db.sqlite" > /dev/null
  end=$(date +%s.%N)
  awk -v n="$n" -v s="$start" -v e="$end" -v rss="$(cat "$work/rss")" \
    'BEGIN { t = e - s; printf "%6d  %7.1f  %8.1f  %9.1f  %13.1f\n", n, t, n / t, 15 * n / t, rss / 1024 }'
  rm -rf "$work/out-$n" "$in"
done
