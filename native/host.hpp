// native/host.hpp -- common definitions of the host JNI library (backend `host`): JNI entry-point macro, raw
// addresses, OpenMP loops.
//
// Contract. Every JNI entry point of org.mflowhpc.backend.host.HostNative receives raw native addresses (jlong,
// already offset by the Java side) of buffers allocated as direct ByteBuffers by HostBackend, plus sizes that the
// Java side has bounds-checked, and the number of OpenMP threads to use (nt). Entry points never call back into
// the JVM and never throw; every output element is written by exactly one thread, and every sum runs in the CPU
// reference's order, so results do not depend on nt.
//
// Parallel loops: pfor(nt, n, minPar, body) runs body(i) for i < n with `#pragma omp parallel for
// schedule(static)` when nt > 1 and n >= minPar, else serially; pregion(nt, n, minPar, body) runs body(lo, hi) over
// contiguous ranges (one per thread) so that per-thread scratch is allocated once; pblocks(nt, n, body) runs
// body(scratch, q) over blocks q with dynamic scheduling and one scratch object per thread.
//
// Flops / bytes: none (helpers).
#pragma once

#include <jni.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "../kernels/core.cuh"

#ifdef MFLOW_HAVE_JNI_HEADER
#include "org_mflowhpc_backend_host_HostNative.h"
#endif

#define MFLOW_JNI(ret, name) extern "C" JNIEXPORT ret JNICALL Java_org_mflowhpc_backend_host_HostNative_##name

namespace mflow {
namespace host {

template <class T> inline T* ptr(jlong a) { return reinterpret_cast<T*>((intptr_t) a); }
inline double* dp(jlong a) { return ptr<double>(a); }
inline const int32_t* ip(jlong a) { return ptr<const int32_t>(a); }

/** The geometry of a lattice from the Java-side table [up d V][dn d V][even sites V/2][odd sites V/2]. */
inline Geom geom(jint d, jint V, jlong table) {
    Geom g;
    g.d = d;
    g.V = V;
    g.up = ip(table);
    g.dn = ip(table) + (int64_t) d * V;
    return g;
}

/** The sites of parity par (0 even, 1 odd), V/2 of them in increasing order. */
inline const int32_t* paritySites(const Geom& g, jlong table, int par) {
    return ip(table) + 2 * (int64_t) g.d * g.V + (int64_t) par * (g.V / 2);
}

template <class F> inline void pfor(int nt, int64_t n, int64_t minPar, F body) {
#ifdef _OPENMP
    if (nt > 1 && n >= minPar && n > 1) {
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int64_t i = 0; i < n; i++) body(i);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) body(i);
}

template <class F> inline void pregion(int nt, int64_t n, int64_t minPar, F body) {
#ifdef _OPENMP
    if (nt > 1 && n >= minPar && n > 1) {
        int teams = (int) (n < nt ? n : nt);
#pragma omp parallel num_threads(teams)
        {
            int t = omp_get_thread_num(), T = omp_get_num_threads();
            int64_t lo = n * t / T, hi = n * (t + 1) / T;
            if (lo < hi) body(lo, hi);
        }
        return;
    }
#endif
    if (n > 0) body((int64_t) 0, n);
}

/**
 * Runs body(scratch, q) for blocks q < n with one Scratch per thread (constructed once per call) and dynamic
 * scheduling (a descheduled thread on a loaded node does not hold back the others); serially when nt <= 1 or n < 2.
 */
template <class Scratch, class F> inline void pblocks(int nt, int64_t n, F body) {
#ifdef _OPENMP
    if (nt > 1 && n > 1) {
        int teams = (int) (n < nt ? n : nt);
#pragma omp parallel num_threads(teams)
        {
            Scratch* sc = new Scratch;
#pragma omp for schedule(dynamic, 1)
            for (int64_t q = 0; q < n; q++) body(*sc, q);
            delete sc;
        }
        return;
    }
#endif
    Scratch* sc = new Scratch;
    for (int64_t q = 0; q < n; q++) body(*sc, q);
    delete sc;
}

}  // namespace host
}  // namespace mflow
