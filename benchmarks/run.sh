#!/usr/bin/env bash
# Runs the JMH suite and writes the committed results.
#
# Contract: needs benchmarks/target/benchmarks.jar (see benchmarks/README.md for the two build commands); builds
# nothing. Runs every benchmark (or those matching the extra arguments, which are passed to JMH verbatim, e.g. a
# regex "StapleBench" or "-p L=8") with modest settings (1 fork, 3 x 1 s warm-up, 5 x 1 s measurement, GC profiler),
# records `uptime` before and after, and writes
#   benchmarks/results/<date>-cpu.json   raw JMH JSON
#   benchmarks/results/<date>-cpu.md     the report (org.mflowhpc.bench.Report), with
#                                        benchmarks/results/<date>-cpu-notes.md appended when that file exists.
# Environment: RESULTS_TAG (default "cpu") changes the "cpu" in the file names.
set -euo pipefail
cd "$(dirname "$0")"
jar=target/benchmarks.jar
[ -f "$jar" ] || { echo "run.sh: $jar missing; build it first (see benchmarks/README.md)" >&2; exit 1; }
day=$(date +%F)
tag=${RESULTS_TAG:-cpu}
mkdir -p results
json=results/$day-$tag.json
jmh_args=(-f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc -rf json -rff "$json" "$@")
command="cd benchmarks && java -jar $jar ${jmh_args[*]}"
before=$(uptime)
echo "load before: $before"
java -jar "$jar" "${jmh_args[@]}"
after=$(uptime)
echo "load after: $after"
report_args=(--json "$json" --out "results/$day-$tag.md" --command "$command" --load-before "$before"
             --load-after "$after" --date "$day")
[ -f "results/$day-$tag-notes.md" ] && report_args+=(--notes "results/$day-$tag-notes.md")
java -cp "$jar" org.mflowhpc.bench.Report "${report_args[@]}"
