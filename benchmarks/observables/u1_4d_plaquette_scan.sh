#!/usr/bin/env bash
# Contract: 4D U(1) Wilson-action plaquette (1/N) Re tr P = <cos theta_P> across the phase transition near beta ~ 1.0,
# heatbath (+4 overrelaxation) chains from hot and cold starts, measured by `mflow measure` (Gamma-method error and
# tau_int, no smoothing). Prints one markdown table row per (L, beta, start): L, beta, start, plaquette, error, tau_int.
# Usage: benchmarks/observables/u1_4d_plaquette_scan.sh [JAR] [WORKDIR]   (defaults: target/mflow-hpc.jar, a temp dir)
# Environment: LS (extents, default "4 6"), BETAS (default "0.90 0.95 1.00 1.02 1.05 1.10"), CONFIGS (200),
# EVERY (2), THERM (300), SEED (1).
set -euo pipefail
JAR=${1:-target/mflow-hpc.jar}
WORK=${2:-$(mktemp -d)}
LS=${LS:-"4 6"}
BETAS=${BETAS:-"0.90 0.95 1.00 1.02 1.05 1.10"}
CONFIGS=${CONFIGS:-200}; EVERY=${EVERY:-2}; THERM=${THERM:-300}; SEED=${SEED:-1}
echo "| L^4 | beta | start | plaquette | error | tau_int |"
echo "|---|---|---|---|---|---|"
for L in $LS; do
  for b in $BETAS; do
    for start in hot cold; do
      d="$WORK/u1-$L-$b-$start"
      java -jar "$JAR" generate --group U1 --lattice "${L}x${L}x${L}x${L}" --beta "$b" --configs "$CONFIGS" --every "$EVERY" \
        --therm "$THERM" --start "$start" --seed "$SEED" --out "$d" > /dev/null 2>&1
      java -jar "$JAR" measure --json --smoothing none "$d" 2>/dev/null | python3 -c '
import json, sys
j = json.load(sys.stdin)["observables"]["plaquette"]
print("| %s | %s | %s | %.5f | %.5f | %.1f |" % (sys.argv[1], sys.argv[2], sys.argv[3], j["value"], j["error"], j["tau_int"]))' "$L" "$b" "$start"
    done
  done
done
