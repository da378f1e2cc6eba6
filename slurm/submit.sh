#!/bin/bash
# mflow-hpc: submit the production chain to SLURM.
#
#   slurm/submit.sh --site slurm/site/local.env --card CARD.toml --run RUNDIR --tasks N [--model DIR]
#
# Submits three jobs and prints their ids (also written to RUNDIR/jobs.env):
#   1. train.sbatch                                   -> RUNDIR/model           (skipped with --model DIR: DIR is used)
#   2. sample.sbatch --array=0-(N-1), afterok:1       -> RUNDIR/ensemble/task-NNNNN
#   3. merge.sbatch, afterok:2                        -> RUNDIR/ensemble/index.json, RUNDIR/measure.json
# Logs go to RUNDIR/logs (train-<job>.out, sample-<array>_<task>.out, merge-<job>.out; appended across requeues).
# Per-cluster settings (partition, account, GPU request, time limits, java, jar, backend, temporary directory) come
# only from the site file; the templates hold none. Needs sbatch on PATH (and SLURM_CONF if the cluster is not the
# default one). Exit status 2 with a one-line message on bad arguments.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "mflow-submit: error: $*" >&2; exit 2; }
site="" card="" run="" tasks="" model=""
while [ $# -gt 0 ]; do
    case "$1" in
        --site) site=${2:-}; shift 2 ;;
        --card) card=${2:-}; shift 2 ;;
        --run) run=${2:-}; shift 2 ;;
        --tasks) tasks=${2:-}; shift 2 ;;
        --model) model=${2:-}; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[ -n "$site" ] && [ -r "$site" ] || die "--site FILE is required and must be readable (see slurm/site/)"
[ -n "$card" ] && [ -r "$card" ] || die "--card FILE is required and must be readable"
[ -n "$run" ] || die "--run DIR is required"
[[ "$tasks" =~ ^[1-9][0-9]*$ ]] || die "--tasks N needs a positive number of array tasks, got '$tasks'"
command -v sbatch >/dev/null || die "sbatch not found on PATH"
site=$(cd "$(dirname "$site")" && pwd)/$(basename "$site")
card=$(cd "$(dirname "$card")" && pwd)/$(basename "$card")
mkdir -p "$run/logs"
run=$(cd "$run" && pwd)
MFLOW_REPO=$(cd "$here/.." && pwd)
export MFLOW_REPO
# shellcheck source=/dev/null
source "$site"
exports="ALL,MFLOW_HOME=$here,MFLOW_SITE=$site,MFLOW_CARD=$card,MFLOW_RUN=$run,MFLOW_TASKS=$tasks,MFLOW_REPO=$MFLOW_REPO"
common=(--parsable --chdir="$run" ${MFLOW_SBATCH_ARGS:-})
dep=()
if [ -n "$model" ]; then
    [ -f "$model/checkpoint.bin" ] || die "--model $model holds no checkpoint.bin"
    [ -e "$run/model" ] || ln -s "$(cd "$model" && pwd)" "$run/model"
    train_id=""
else
    # shellcheck disable=SC2086
    train_id=$(sbatch "${common[@]}" ${MFLOW_SBATCH_TRAIN:-} --output="$run/logs/train-%j.out" --export="$exports" "$here/train.sbatch")
    train_id=${train_id%%;*}
    dep=(--dependency=afterok:"$train_id")
fi
# shellcheck disable=SC2086
sample_id=$(sbatch "${common[@]}" ${MFLOW_SBATCH_SAMPLE:-} "${dep[@]}" --array=0-$((tasks - 1)) \
    --output="$run/logs/sample-%A_%a.out" --export="$exports" "$here/sample.sbatch")
sample_id=${sample_id%%;*}
# shellcheck disable=SC2086
merge_id=$(sbatch "${common[@]}" ${MFLOW_SBATCH_MERGE:-} --dependency=afterok:"$sample_id" \
    --output="$run/logs/merge-%j.out" --export="$exports" "$here/merge.sbatch")
merge_id=${merge_id%%;*}
printf 'TRAIN_JOB=%s\nSAMPLE_JOB=%s\nMERGE_JOB=%s\nTASKS=%s\n' "$train_id" "$sample_id" "$merge_id" "$tasks" > "$run/jobs.env"
echo "mflow-submit: train ${train_id:-(skipped: --model)}, sample array ${sample_id} (tasks 0-$((tasks - 1))), merge ${merge_id} -> $run"
