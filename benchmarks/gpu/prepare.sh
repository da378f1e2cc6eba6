#!/usr/bin/env bash
# benchmarks/gpu/prepare.sh -- builds what the GPU check carries to a GPU node that has no JDK and no Maven.
#
# Contract: run from anywhere on a build machine (JDK 17 with jlink and jdeps, Maven; nvcc for the device code).
#   prepare.sh [--no-build] [--stage DIR]
# 1. mvn -q -o package -DskipTests (skipped with --no-build: target/mflow-hpc.jar must exist) -- the jar must carry the
#    device code (org/mflowhpc/kernels/*.fatbin, *.ptx): the script stops if it does not;
# 2. a Java runtime made by jlink with the modules the selfcheck path needs: java.base, java.logging (JCuda's loader),
#    jdk.unsupported (direct buffers); jdeps lists more for the whole jar (java.desktop for jfreechart's training
#    plots and the HTML report, java.sql / java.xml / java.management for optional library paths), none of which the
#    selfcheck, its timings or training without plots load -- the dry run below (run-gpu-check.sh --backend host)
#    proves it on the staged runtime;
# 3. the stage DIR (default target/gpu-stage, ignored by git; carry it to the GPU node): DIR/runtime (the jlinked
#    JRE), DIR/mflow-hpc.jar (the jar without JCuda natives the check never loads: nvPTXCompiler, NVRTC, JCublas v1),
#    DIR/STAGE.txt (what was staged, from which commit, sizes).
# Prints the stage's size; it must stay well under the 64 MiB a device call carries.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=1
stage="$root/target/gpu-stage"
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --stage) stage=$2; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "prepare.sh: error: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
cd "$root"
if [ $build = 1 ]; then
  echo "[prepare] mvn -q -o package -DskipTests"
  mvn -q -o package -DskipTests
fi
jar=target/mflow-hpc.jar
[ -f "$jar" ] || { echo "prepare.sh: error: $jar not found (build first or drop --no-build)" >&2; exit 2; }
if ! unzip -l "$jar" | grep "org/mflowhpc/kernels/gauge.fatbin" >/dev/null; then
  echo "prepare.sh: error: $jar has no device code (nvcc absent at build time? see target/native/native-build.log)" >&2; exit 2
fi
for t in jlink jdeps; do command -v $t >/dev/null || { echo "prepare.sh: error: $t not found (a JDK 17 is needed)" >&2; exit 2; }; done
echo "[prepare] jdeps (whole jar, for the record): $(jdeps --print-module-deps --ignore-missing-deps --multi-release 17 "$jar" 2>/dev/null || echo '?')"
rm -rf "$stage"
mkdir -p "$stage"
echo "[prepare] jlink java.base,java.logging,jdk.unsupported -> $stage/runtime"
jlink --add-modules java.base,java.logging,jdk.unsupported --strip-debug --no-header-files --no-man-pages --compress=2 --output "$stage/runtime"
# the jar minus JCuda natives the check never loads (the driver, runtime and JCublas2 libraries stay)
python3 - "$jar" "$stage/mflow-hpc.jar" <<'PY'
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
drop = ("lib/libJNvPTXCompiler", "lib/libJNvrtc", "lib/libJCublas-")
with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
    for item in zi.infolist():
        if item.filename.startswith(drop):
            continue
        zo.writestr(item, zi.read(item.filename))
PY
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain 2>/dev/null | grep -v '^??' | head -1 || true)
{
  echo "staged by benchmarks/gpu/prepare.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit $commit${dirty:+ (with uncommitted changes)}"
  echo "runtime: $("$stage/runtime/bin/java" -version 2>&1 | head -1); modules: $("$stage/runtime/bin/java" --list-modules | tr '\n' ' ')"
  echo "jar: $(du -k "$stage/mflow-hpc.jar" | cut -f1) KiB; device code: $(unzip -l "$stage/mflow-hpc.jar" | grep -c 'org/mflowhpc/kernels/.*\.\(fatbin\|ptx\)') files"
  grep -E '^(device|nvcc|cxx)=' target/classes/org/mflowhpc/backend/host/native/build.properties 2>/dev/null || true
} > "$stage/STAGE.txt"
cat "$stage/STAGE.txt"
size=$(du -sm "$stage" | cut -f1)
echo "[prepare] stage $stage: ${size} MiB (carry it: run's carry = [\"${stage#$root/}\"])"
if [ "$size" -ge 60 ]; then echo "prepare.sh: error: the stage is ${size} MiB, over what a device call carries" >&2; exit 1; fi
