#!/usr/bin/env bash
# The rewrite on JAX's GPU against the golden recorded on a CPU, twice
# (docs/gpu.md): the verdict, where the difference is born, the referee's
# call and the speed, and whether two runs on the GPU give the same bits.
#
#   bash tools/jax_gpu_run.sh [gpu|cpu]      # cpu: the same script, tested here
#
# WHEELS (default wheels/) may hold .whl files the machine lacks (keras,
# namex, optree, ...): they are installed first, without dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
device=${1:-gpu}
wheels=${WHEELS:-wheels}
if compgen -G "$wheels/*.whl" > /dev/null; then
    python -m pip install --quiet --no-deps "$wheels"/*.whl
fi
out=${OUT:-gpu-runs}
mkdir -p "$out"
for run in 1 2; do
    rm -rf "$out/run-$run"
    python compare.py --against golden/sample --backend jax --device "$device" --quiet \
        --out "$out/run-$run" | tee "$out/run-$run.txt" || true
done
python - "$out" <<'PY'
import json, sys
first, second = (json.load(open(f"{sys.argv[1]}/run-{n}/report.json")) for n in (1, 2))
a, b = (r["runs"][0]["modern"]["step_losses"] for r in (first, second))
same = a == b and first["runs"][0]["divergence"] == second["runs"][0]["divergence"]
timing = first["timings"]["per_seed"][0]
print(f"verdict {first['verdict']['outcome'].upper()}; two runs {'identical' if same else 'DIFFER'}"
      f"; modern {timing['modern_steps_per_second']:.0f} steps/s on "
      f"{first['environment'].get('device_name')}")
PY
