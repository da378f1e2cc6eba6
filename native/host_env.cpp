// native/host_env.cpp -- libmflowhost-env.so, loaded by HostLibrary just before libmflowhost-<variant>.so: sets the
// OpenMP runtime's environment defaults of backend `host` before libgomp (a dependency of the main library) reads
// them at load time.
//
// Contract. OMP_WAIT_POLICY=PASSIVE unless the environment already sets OMP_WAIT_POLICY (the user's choice wins):
// team threads sleep between parallel regions instead of spinning. A JNI library runs its regions between stretches
// of Java code on the calling thread, and spinning workers compete with that thread (and the JVM's GC and JIT
// threads) for cores; measured on the shared 2-core development machine, a 2-thread training step of the tutorial
// model took 10x longer with the spinning default than with passive waiting. No other effect; no JNI entry points.
//
// Allocator. Buffers are direct ByteBuffers (malloc'd by the JVM, then zeroed). glibc serves a request above its
// mmap threshold (128 KiB at start) with fresh pages that the kernel faults in and zeroes, and returns them to the
// OS on free; a sampling batch allocates its 1 MiB temporaries anew in every layer, and in a profile of the tutorial
// model's sampling (`mflow bench ... --backend host`, perf) 30 % of the time was that page clearing. The
// constructor raises the mmap threshold to 32 MiB (glibc's maximum on 64-bit) and the trim threshold to 512 MiB,
// so freed temporaries are reused from the heap; larger buffers (whole ensembles) are still mapped and unmapped.
// MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ in the environment win, as for any glibc program.
//
// Layout / flops / bytes: none.
#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {
__attribute__((constructor)) void mflowHostEnv() {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
#if defined(__GLIBC__)
    if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) mallopt(M_MMAP_THRESHOLD, 32 << 20);
    if (!std::getenv("MALLOC_TRIM_THRESHOLD_")) mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}
}  // namespace
