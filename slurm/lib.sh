# shellcheck shell=bash
# mflow-hpc SLURM job library, sourced by the sbatch templates in this directory (never run on its own).
#
# Contract:
#   mflow_setup        loads the site file $MFLOW_SITE (per-cluster settings, see site/*.env), loads
#                      $MFLOW_MODULES if set, creates a private temporary directory for this job/array task
#                      ($MFLOW_TMP_BASE or $TMPDIR or /tmp)/mflow-<jobid>-<task>.XXXXXX, exports TMPDIR and passes
#                      -Djava.io.tmpdir to the JVM (JCuda unpacks its native libraries under fixed file names, so
#                      two tasks on one node must never share a temporary directory), removes it at exit, and
#                      prints one line naming job, array task, restart count, node and temporary directory.
#   mflow_run ARGS...  runs `java -jar $MFLOW_JAR ARGS...` as a job step (srun, so that --signal and scancel
#                      --signal reach it and GPU binding applies) and waits for it; its exit status is returned.
#                      mflow's statuses: 0 done, 2 bad input (one line on stderr), 1 internal error,
#                      3 training diverged, 143 stopped by SIGTERM after writing its checkpoint/state.
#   mflow_finish RC    ends the job: RC 143 (stopped by SIGTERM) when the batch shell itself did not get SIGTERM means
#                      the signal came from the --signal=TERM@T warning or from `scancel --signal=TERM`: the job
#                      requeues itself (`scontrol requeue`, at most $MFLOW_MAX_REQUEUES times) and the rerun resumes
#                      where this one stopped. When the batch shell got SIGTERM too, SLURM itself is ending the
#                      job (scontrol requeue, preemption with PreemptMode=REQUEUE, scancel, time limit): it requeues
#                      or cancels on its own. Any other status is the job's exit status.
#   A SIGKILL (node failure, KillWait exceeded) leaves the last periodic checkpoint (train: --checkpoint-every;
#   sample: every published shard); SLURM requeues the job (--requeue) and the rerun resumes from there.

mflow_setup() {
    : "${MFLOW_HOME:?MFLOW_HOME (the slurm/ directory) must be exported by submit.sh}"
    : "${MFLOW_SITE:?MFLOW_SITE (a site file, e.g. slurm/site/local.env) must be exported by submit.sh}"
    # shellcheck source=/dev/null
    source "$MFLOW_SITE"
    if [ -n "${MFLOW_MODULES:-}" ] && command -v module >/dev/null 2>&1; then
        # shellcheck disable=SC2086
        module load $MFLOW_MODULES
    fi
    MFLOW_JAVA=${MFLOW_JAVA:-java}
    : "${MFLOW_JAR:?MFLOW_JAR (path of mflow-hpc.jar) must be set in the site file}"
    [ -r "$MFLOW_JAR" ] || { echo "mflow-slurm: error: $MFLOW_JAR is not readable (build it with: mvn -q package -DskipTests)" >&2; exit 2; }
    MFLOW_BACKEND=${MFLOW_BACKEND:-auto}
    MFLOW_THREADS=${MFLOW_THREADS:-0}
    local base=${MFLOW_TMP_BASE:-${TMPDIR:-/tmp}}
    mkdir -p "$base"
    # both traps before the directory exists: a SIGTERM that lands while it is being created must not leave it behind
    MFLOW_GOT_TERM=0
    MFLOW_TASK_TMP=
    trap 'MFLOW_GOT_TERM=1' TERM
    trap '[ -z "$MFLOW_TASK_TMP" ] || rm -rf "$MFLOW_TASK_TMP"' EXIT
    MFLOW_TASK_TMP=$(mktemp -d "$base/mflow-${SLURM_JOB_ID:-nojob}-${SLURM_ARRAY_TASK_ID:-0}.XXXXXX")
    export TMPDIR=$MFLOW_TASK_TMP
    MFLOW_JVM_OPTS="${MFLOW_JAVA_OPTS:-} -Djava.io.tmpdir=$MFLOW_TASK_TMP"
    echo "mflow-slurm: job ${SLURM_JOB_ID:-?} array ${SLURM_ARRAY_JOB_ID:-none} task ${SLURM_ARRAY_TASK_ID:-none}" \
         "restart ${SLURM_RESTART_COUNT:-0} node ${SLURMD_NODENAME:-$(hostname)} tmpdir $MFLOW_TASK_TMP start $(date -u +%FT%TZ)"
}

mflow_run() {
    local pid rc
    # shellcheck disable=SC2086
    srun --ntasks=1 --kill-on-bad-exit=1 ${SLURM_CPUS_PER_TASK:+--cpus-per-task=$SLURM_CPUS_PER_TASK} ${MFLOW_SRUN_ARGS:-} "$MFLOW_JAVA" $MFLOW_JVM_OPTS -jar "$MFLOW_JAR" "$@" &
    pid=$!
    # `wait` returns early when a trapped signal arrives: keep waiting until the step has really exited
    while :; do
        wait "$pid"
        rc=$?
        kill -0 "$pid" 2>/dev/null || break
    done
    return "$rc"
}

mflow_finish() {
    local rc=$1
    echo "mflow-slurm: step exited with status $rc (batch shell got SIGTERM: $MFLOW_GOT_TERM) at $(date -u +%FT%TZ)"
    if [ "$rc" -eq 143 ] && [ "$MFLOW_GOT_TERM" -eq 0 ]; then
        local max=${MFLOW_MAX_REQUEUES:-20} n=${SLURM_RESTART_COUNT:-0}
        local id=${SLURM_JOB_ID}
        [ -n "${SLURM_ARRAY_JOB_ID:-}" ] && id="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
        if [ "$n" -lt "$max" ]; then
            echo "mflow-slurm: stopped by SIGTERM with its state saved: requeueing $id (restart $((n + 1)) of at most $max)"
            # the requeue kills this batch shell (SIGKILL after KillWait, no EXIT trap): clean up first, nothing in it is needed
            rm -rf "$MFLOW_TASK_TMP"
            scontrol requeue "$id" && exit 0
            echo "mflow-slurm: error: scontrol requeue $id failed; resubmit the job to continue" >&2
        else
            echo "mflow-slurm: error: $id was requeued $n times (MFLOW_MAX_REQUEUES=$max); not requeueing again" >&2
        fi
    fi
    exit "$rc"
}
