#!/usr/bin/env bash
# benchmarks/gpu/run-gpu-check.sh -- the GPU check: device facts, the selfcheck of every seam op on the GPU against
# the CPU reference, then timings (kernels, copy bandwidth, training steps and sampling batches), into one results file.
#
# Contract. Run from the repository root on the GPU node, after benchmarks/gpu/prepare.sh staged a jlinked runtime and
# the jar (no JDK or Maven needed there):
#   bash benchmarks/gpu/run-gpu-check.sh [--backend cuda|host] [--stage DIR] [--out DIR] [--budget SECONDS] [--size S]
#     --backend   cuda (default) or host: the host backend stands in for the GPU (a dry run of everything but the GPU
#                 part on any machine; nvidia-smi facts are then recorded as absent)
#     --stage     the staged runtime + jar (default target/gpu-stage)
#     --out       where the results go (default $OUT when set, else ./gpu-check-out)
#     --budget    wall-clock seconds for the whole run (default 480); every step has its own timeout inside it and
#                 the optional steps are skipped when too little is left, so the run ends well inside 10 minutes
#     --size      timing sizes: large (default on cuda), small (default on host), tiny
# Steps (timeouts): facts (nvidia-smi, 20 s); mflow info (60 s); contract selfcheck with MFLOW_CUDA_SYNC=1, so a
# faulting kernel is named (180 s); timings of kernels, copies and models (240 s); the convolution checks again with
# MFLOW_CUDA_CONV=direct, the bit-identical direct-form kernels (45 s); the same models on the host backend with all
# cores, the CPU figure beside the GPU's (90 s); the GPU-sized models (2D U(1) 64x64 batch 1024, 4D SU(3) 8^4) on the
# host backend, one or two steps each, the CPU figure for those (150 s, last, skipped when the budget is short). Writes OUT/<UTC date>-gpu.md (device, driver, CUDA version, the
# commands, every check line and timing table) and OUT/<UTC date>-gpu.log (everything printed). Exit status: 0 when
# the contract passed, 1 when a check failed or a step could not run, 2 for bad options or a missing stage.
set -uo pipefail
backend=cuda
stage=target/gpu-stage
out=${OUT:-./gpu-check-out}
budget=480
size=""
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) backend=$2; shift ;;
    --stage) stage=$2; shift ;;
    --out) out=$2; shift ;;
    --budget) budget=$2; shift ;;
    --size) size=$2; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "run-gpu-check.sh: error: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case "$backend" in cuda|host) ;; *) echo "run-gpu-check.sh: error: --backend must be cuda or host" >&2; exit 2 ;; esac
[ -n "$size" ] || { [ "$backend" = cuda ] && size=large || size=small; }
java="$stage/runtime/bin/java"
jar="$stage/mflow-hpc.jar"
[ -x "$java" ] && [ -f "$jar" ] || { echo "run-gpu-check.sh: error: no staged runtime/jar in $stage (run benchmarks/gpu/prepare.sh first)" >&2; exit 2; }
mkdir -p "$out"
stamp=$(date -u +%Y-%m-%d)
md="$out/$stamp-gpu.md"
log="$out/$stamp-gpu.log"
[ "$backend" = host ] && { md="$out/$stamp-gpu-dryrun-host.md"; log="$out/$stamp-gpu-dryrun-host.log"; }
: > "$log"
start=$(date +%s)
left() { echo $(( budget - ($(date +%s) - start) )); }
rc_all=0
tmpd=$(mktemp -d)
trap 'rm -rf "$tmpd"' EXIT
# the JVMs use a private temporary directory (JCuda and the host library unpack there)
jvm=("$java" -Djava.io.tmpdir="$tmpd" -jar "$jar")

# step NAME TIMEOUT OUTFILE CMD...: runs CMD under timeout with the output in OUTFILE and the log; records its status
step() {
  local name=$1 t=$2 of=$3; shift 3
  local l; l=$(left)
  if [ "$l" -lt 15 ]; then echo "[gpu-check] $name: skipped (budget: ${l}s left)" | tee -a "$log"; echo "skipped: ${l} s of the budget left" > "$of"; return 99; fi
  [ "$t" -gt "$l" ] && t=$l
  echo "[gpu-check] $name (timeout ${t}s): $*" | tee -a "$log"
  local t0; t0=$(date +%s)
  timeout --signal=TERM --kill-after=10 "$t" "$@" > "$of" 2>&1
  local rc=$?
  cat "$of" >> "$log"
  echo "[gpu-check] $name: exit $rc after $(( $(date +%s) - t0 ))s" | tee -a "$log"
  return $rc
}

# ---------------------------------------------------------------- facts
facts="$tmpd/facts.txt"
{
  echo "host: $(hostname) ($(uname -srm)), $(nproc) CPU cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo 2>/dev/null) memory"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
  if command -v nvidia-smi >/dev/null 2>&1; then
    timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,pcie.link.gen.current,pcie.link.width.current,clocks.sm,clocks.max.sm,clocks.mem,power.limit,compute_mode \
      --format=csv 2>&1 || echo "nvidia-smi --query-gpu failed"
    timeout 20 nvidia-smi 2>&1 | sed -n '1,12p'
  else
    echo "nvidia-smi: not found (no NVIDIA driver on this machine)"
  fi
  [ -r /proc/driver/nvidia/version ] && head -1 /proc/driver/nvidia/version
  command -v nvcc >/dev/null 2>&1 && nvcc --version | grep -i release
  echo "runtime: $("$java" -version 2>&1 | head -1) (staged: $(head -2 "$stage/STAGE.txt" 2>/dev/null | tr '\n' ' '))"
} > "$facts" 2>&1
cat "$facts" >> "$log"
gpu=$(command -v nvidia-smi >/dev/null 2>&1 && timeout 20 nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)
cudav=$(command -v nvidia-smi >/dev/null 2>&1 && timeout 20 nvidia-smi 2>/dev/null | grep -o 'CUDA Version: [0-9.]*' | head -1)

# ---------------------------------------------------------------- steps
info="$tmpd/info.txt"; contract="$tmpd/contract.txt"; timings="$tmpd/timings.txt"; direct="$tmpd/direct.txt"; hostm="$tmpd/hostmodels.txt"
step "mflow info" 60 "$info" "${jvm[@]}" info; rc_info=$?
cmd_contract="MFLOW_CUDA_SYNC=1 java -jar mflow-hpc.jar selfcheck --backend $backend"
step "contract selfcheck" 180 "$contract" env MFLOW_CUDA_SYNC=1 "${jvm[@]}" selfcheck --backend "$backend"; rc_contract=$?
[ $rc_contract = 0 ] || rc_all=1
cmd_timings="java -jar mflow-hpc.jar selfcheck --backend $backend --no-contract --timings --size $size"
step "timings" 240 "$timings" "${jvm[@]}" selfcheck --backend "$backend" --no-contract --timings --size "$size"; rc_timings=$?
[ $rc_timings = 0 ] || rc_all=1
rc_direct=skip
if [ "$backend" = cuda ]; then
  step "convolution, direct-form kernels" 45 "$direct" env MFLOW_CUDA_CONV=direct MFLOW_CUDA_SYNC=1 "${jvm[@]}" selfcheck --backend cuda --only '^conv'; rc_direct=$?
  [ "$rc_direct" = 0 ] || [ "$rc_direct" = 99 ] || rc_all=1
fi
rc_host=skip
if [ "$backend" = cuda ]; then
  step "models on the host backend (CPU figures)" 90 "$hostm" "${jvm[@]}" selfcheck --backend host --no-contract --timings --sections models --size small; rc_host=$?
fi
rc_hostl=skip
hostl="$tmpd/hostlarge.txt"
if [ "$backend" = cuda ]; then
  step "GPU-sized models on the host backend (CPU figures)" 150 "$hostl" "${jvm[@]}" selfcheck --backend host --no-contract --timings --sections large-models --size small; rc_hostl=$?
fi

# ---------------------------------------------------------------- results file
{
  echo "# GPU check: $( [ "$backend" = cuda ] && echo "${gpu:-no GPU found}" || echo "dry run with the host backend standing in for cuda")"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); wall time $(( $(date +%s) - start )) s of a ${budget} s budget"
  echo "- device: ${gpu:-none (nvidia-smi absent)}; ${cudav:-CUDA version: unknown (no driver)}"
  echo "- command: \`bash benchmarks/gpu/run-gpu-check.sh --backend $backend --size $size\` (script header: what each step runs)"
  echo "- outcome: contract exit $rc_contract, timings exit $rc_timings, direct-form convolution $rc_direct, host models $rc_host, host GPU-sized models $rc_hostl (0 = passed; 1 = a check failed; 124/137 = timed out; 99 = skipped for the budget)"
  echo
  echo "## Machine"
  echo
  echo '```text'; cat "$facts"; echo '```'
  echo
  echo "## mflow info"
  echo
  echo '```text'; cat "$info"; echo '```'
  echo
  echo "## Contract: \`$cmd_contract\`"
  echo
  echo "One line per check against the cpu reference on fresh random inputs (docs/engine.md, \"The GPU check\", says what the tolerances mean)."
  echo
  echo '```text'; cat "$contract"; echo '```'
  if [ "$backend" = cuda ]; then
    echo
    echo "## Convolution with the direct-form kernels: \`MFLOW_CUDA_CONV=direct ... selfcheck --backend cuda --only '^conv'\`"
    echo
    echo '```text'; cat "$direct"; echo '```'
  fi
  echo
  echo "## Timings: \`$cmd_timings\`"
  echo
  grep -v '^selfcheck: \(contract\|backend\)' "$timings" | sed 's/^selfcheck: /\n/'
  if [ "$backend" = cuda ]; then
    echo
    echo "## The same models on the host backend, $(nproc) cores: \`selfcheck --backend host --no-contract --timings --sections models --size small\`"
    echo
    grep -v '^selfcheck: \(contract\|backend\)' "$hostm" | sed 's/^selfcheck: /\n/'
    echo
    echo "## The GPU-sized models on the host backend, $(nproc) cores: \`selfcheck --backend host --no-contract --timings --sections large-models --size small\`"
    echo
    grep -v '^selfcheck: \(contract\|backend\)' "$hostl" | sed 's/^selfcheck: /\n/'
  fi
} > "$md"
echo "[gpu-check] wrote $md and $log ($(( $(date +%s) - start )) s)"
exit $rc_all
