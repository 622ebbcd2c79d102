#!/usr/bin/env bash
# SlowVAE against the beta-VAE baseline at CPU scale (Klindt et al. 2021, Table 2's direction of
# effect): dSprites with LAP transitions, the same budget for both, several seeds, every metric at
# the `small` sample sizes. Two runs at a time, one thread each (two cores). Resumable: a run whose
# JSON exists is skipped, and an interrupted run resumes from its checkpoint.
# Usage: bench/slowvae_repro.sh [build dir] [steps] [seeds] [out dir] [metric sizes]
set -euo pipefail
build=${1:-build}
steps=${2:-5000}
seeds=${3:-"1 2 3"}
out=${4:-slowvae-repro}
sizes=${5:-small}
cli="$(cd "$build" && pwd)/bin/robustlab"
mkdir -p "$out"
export OMP_WAIT_POLICY=PASSIVE
run() {  # model seed
  local json="$out/$1-$2.json"
  [ -s "$json" ] && return 0
  "$cli" slowvae --model "$1" --steps "$steps" --seed "$2" --threads 1 --sizes "$sizes" \
    --checkpoint "$out/$1-$2.ckpt" --db "$out/results.db" --json --quiet > "$json.tmp"
  mv "$json.tmp" "$json"
}
for seed in $seeds; do
  run slowvae "$seed" &
  run betavae "$seed" &
  wait
done
/usr/bin/python3 - "$out" <<'EOF'
import json, pathlib, statistics, sys
rows = {}
for p in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    model = p.stem.rsplit("-", 1)[0]
    for k, v in json.loads(p.read_text())["metrics"].items():
        if isinstance(v, (int, float)):
            rows.setdefault(k, {}).setdefault(model, []).append(v)
def cell(v):
    return f"{statistics.mean(v):.3f} ± {statistics.stdev(v):.3f} (n={len(v)})" if len(v) > 1 else f"{v[0]:.3f}"
print("| metric | SlowVAE | beta-VAE |\n|---|---:|---:|")
for k, by in rows.items():
    print(f"| {k} | {cell(by.get('slowvae', [float('nan')]))} | {cell(by.get('betavae', [float('nan')]))} |")
EOF
