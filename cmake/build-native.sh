#!/usr/bin/env bash
# cmake/build-native.sh -- the native part of the Maven build (run by maven-antrun-plugin in process-classes).
#
# Contract: build-native.sh ROOT BUILD_DIR OUT_DIR JNI_HEADERS VERSION JAVA_HOME
#   ROOT         repository root (CMake project in ROOT/cmake)
#   BUILD_DIR    CMake build tree (target/native; incremental across runs)
#   OUT_DIR      resource tree (target/classes): the host libraries and fatbins land there (see cmake/CMakeLists.txt)
#   JNI_HEADERS  javac -h output (signature check of the JNI entry points)
#   VERSION      project version compiled into the libraries
#   JAVA_HOME    JDK whose include/jni.h is used
# Always writes OUT_DIR/org/mflowhpc/backend/host/native/build.properties: host=built|absent (+ host.reason),
# device=built|absent (+ device.reason), the tools used. Exit status: 0 when the host library was built, or when it
# could not be attempted because a tool is missing (no cmake, no C++ compiler: the CPU jar is still built and
# `mflow info` says what is absent); 1 when the tools are present and the host build fails (a real error, which
# fails the Maven build). A device-code failure (nvcc present but failing, e.g. an unsupported host compiler) only
# marks the device code absent. MFLOW_NATIVE=off skips everything (recorded as absent).
set -u
ROOT=$1; BUILD=$2; OUT=$3; HDR=$4; VERSION=$5; JHOME=$6
PROPDIR="$OUT/org/mflowhpc/backend/host/native"
PROPS="$PROPDIR/build.properties"
mkdir -p "$PROPDIR" "$BUILD"
LOG="$BUILD/native-build.log"
: > "$LOG"

arch=$(uname -m); [ "$arch" = amd64 ] && arch=x86_64
os=$(uname -s | tr '[:upper:]' '[:lower:]')
platform="$os-$arch"

write_props() { # host host_reason device device_reason
  {
    echo "# written by cmake/build-native.sh"
    echo "version=$VERSION"
    echo "host=$1"
    [ -n "$2" ] && echo "host.reason=$2"
    echo "host.platform=$platform"
    echo "device=$3"
    [ -n "$4" ] && echo "device.reason=$4"
    echo "cxx=${CXX_DESC:-none}"
    echo "cmake=${CMAKE_DESC:-none}"
    echo "nvcc=${NVCC_DESC:-none}"
  } > "$PROPS"
}

skip() { # reason
  echo "[mflow native] host backend not built: $1 (the CPU backend is unaffected)"
  write_props absent "$1" absent "$1"
  exit 0
}

if [ "${MFLOW_NATIVE:-on}" = off ]; then skip "disabled by MFLOW_NATIVE=off"; fi
if ! command -v cmake >/dev/null 2>&1; then skip "cmake not found"; fi
CMAKE_DESC=$(cmake --version | head -1)
CXX_BIN=""
for c in "${CXX:-}" c++ g++ clang++; do
  if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1; then CXX_BIN=$(command -v "$c"); break; fi
done
if [ -z "$CXX_BIN" ]; then skip "no C++ compiler found (c++, g++, clang++)"; fi
CXX_DESC=$("$CXX_BIN" --version 2>/dev/null | head -1)
if command -v nvcc >/dev/null 2>&1; then NVCC_DESC=$(nvcc --version 2>/dev/null | grep -i release | head -1); fi

# The JNI header javac -h regenerates on every compile is copied only when its content changed, so an unchanged
# native interface does not trigger a rebuild of the libraries.
JNI_DIR="$BUILD/jni-headers"
mkdir -p "$JNI_DIR"
H=org_mflowhpc_backend_host_HostNative.h
if [ -f "$HDR/$H" ] && ! cmp -s "$HDR/$H" "$JNI_DIR/$H"; then cp "$HDR/$H" "$JNI_DIR/$H"; fi

jobs=$( (nproc || echo 2) 2>/dev/null )
echo "[mflow native] configuring (log: $LOG)"
if ! cmake -S "$ROOT/cmake" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$CXX_BIN" \
     -DMFLOW_OUT="$OUT" -DMFLOW_JNI_HEADERS="$JNI_DIR" -DMFLOW_VERSION="$VERSION" -DJAVA_HOME="$JHOME" >>"$LOG" 2>&1; then
  write_props absent "cmake configure failed (see $LOG)" absent "cmake configure failed"
  tail -20 "$LOG"
  echo "[mflow native] error: cmake configure failed; see $LOG (set MFLOW_NATIVE=off to build without the host backend)"
  exit 1
fi
echo "[mflow native] building the host library ($CXX_DESC)"
if ! cmake --build "$BUILD" --target mflow_host -j "$jobs" >>"$LOG" 2>&1; then
  write_props absent "host library build failed (see $LOG)" absent "not attempted"
  grep -E "error|Error" "$LOG" | head -20
  echo "[mflow native] error: the host library failed to build; see $LOG (set MFLOW_NATIVE=off to build without it)"
  exit 1
fi
# Guard: the libraries must contain no fused multiply-add (it would change the rounding against the Java reference).
if command -v objdump >/dev/null 2>&1; then
  for lib in "$OUT"/org/mflowhpc/backend/host/native/*/libmflowhost-*.so; do
    [ -f "$lib" ] || continue
    nfma=$(objdump -d --no-show-raw-insn "$lib" | grep -cE $'\t(vfn?m(add|sub)|vfmaddsub|vfmsubadd)' || true)
    if [ "$nfma" != 0 ]; then
      write_props absent "$(basename "$lib") contains $nfma fused multiply-add instructions" absent "not attempted"
      echo "[mflow native] error: $(basename "$lib") contains $nfma FMA instructions: the compiler fused multiply-adds despite -ffp-contract=off -fno-tree-vectorize"
      exit 1
    fi
  done
fi
device=absent; device_reason="nvcc not found"
if [ -n "${NVCC_DESC:-}" ]; then
  if grep -q "MFLOW_NVCC:FILEPATH=.*NOTFOUND" "$BUILD/CMakeCache.txt" 2>/dev/null; then
    device_reason="nvcc on PATH but not usable by cmake"
  else
    echo "[mflow native] building the device code ($NVCC_DESC)"
    if cmake --build "$BUILD" --target mflow_device -j "$jobs" >>"$LOG" 2>&1; then
      device=built; device_reason=""
    else
      device_reason="nvcc failed (see $LOG)"
      echo "[mflow native] warning: device code not built: $device_reason"
    fi
  fi
fi
write_props built "" "$device" "$device_reason"
echo "[mflow native] host library built; device code: $device${device_reason:+ ($device_reason)}"
exit 0
