#!/usr/bin/env bash
# kernels/emu/run.sh -- builds kernels/emu/kernel_emu_test.cpp with the host C++ compiler and runs it.
# Contract: run.sh [BUILD_DIR] (default: a temporary directory); exit 0 when every case agrees, 1 on a failing case,
# 3 when no C++20 compiler is available (the caller may skip). Takes about 20-40 s on 2 cores.
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
cxx=${CXX:-g++}
command -v "$cxx" >/dev/null 2>&1 || { echo "kernels/emu: no C++ compiler ($cxx)"; exit 3; }
if ! "$cxx" -std=c++20 -O1 -pthread -o "$out/kernel_emu_test" "$here/kernel_emu_test.cpp" 2>"$out/build.log"; then
  if grep -qE "unrecognized command-line option|invalid value 'c\+\+20'|barrier: No such file" "$out/build.log"; then
    echo "kernels/emu: $cxx lacks C++20 <barrier>"; exit 3
  fi
  cat "$out/build.log"; exit 1
fi
"$out/kernel_emu_test"
