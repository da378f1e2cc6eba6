// native/host.hpp -- common definitions of the host JNI library (backend `host`): JNI entry-point macro, raw
// addresses, OpenMP loops.
//
// Contract. Every JNI entry point of org.mflowhpc.backend.host.HostNative receives raw native addresses (jlong,
// already offset by the Java side) of buffers allocated as direct ByteBuffers by HostBackend, plus sizes that the
// Java side has bounds-checked, and the number of OpenMP threads to use (nt). Entry points never call back into
// the JVM and never throw; every output element is written by exactly one thread, and every sum runs in the CPU
// reference's order, so results do not depend on nt.
//
// Parallel loops: pfor(nt, n, nsPerItem, body) runs body(i) for i < n, in an OpenMP region with dynamic chunks when
// the estimated work n * nsPerItem exceeds PAR_NS (else serially); pblocks(nt, n, nsPerBlock, body) runs
// body(scratch, q) over blocks q likewise, with one scratch object per thread. The nanosecond figures at the call
// sites are rough per-item costs on one core; they only decide whether a region is worth opening.
//
// Flops / bytes: none (helpers).
#pragma once

#include <jni.h>

#include <atomic>
#include <chrono>
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

/**
 * Explicit 4-wide float64 vectors (GCC/clang vector extensions: one AVX register with -march=x86-64-v3, two SSE2
 * registers on the baseline). The library is compiled with -fno-tree-vectorize (GCC 12's auto-vectorizers fuse complex
 * multiply-adds even under -ffp-contract=off), so every SIMD kernel writes its vector arithmetic out with this type,
 * and none of it is ever fused: each lane rounds like the scalar reference.
 */
typedef double v4 __attribute__((vector_size(32)));

inline v4 ld4(const double* p) { v4 v; std::memcpy(&v, p, sizeof v); return v; }
inline void st4(double* p, v4 v) { std::memcpy(p, &v, sizeof v); }
inline v4 splat4(double a) { v4 v = {a, a, a, a}; return v; }

/** n rounded up to a multiple of 8 (padded scratch rows). */
inline int64_t pad8(int64_t n) { return (n + 7) / 8 * 8; }

/**
 * Smallest amount of work (estimated nanoseconds) worth a parallel region: below it a call runs serially. On a
 * shared or oversubscribed node every region waits at its closing barrier for a descheduled team thread (a
 * scheduler time slice, milliseconds), so a training step's thousands of small ops must not each open a region.
 */
constexpr double PAR_NS = 50000;

/**
 * Starvation guard. A parallel region ends at a barrier that waits for every team thread, also for one the OS has
 * not scheduled yet (on an oversubscribed node: a time slice or more, milliseconds, per region). Each region counts
 * the chunks done by the threads other than the caller; when they did less than half of their fair share
 * (chunks (nt - 1) / nt) in STARVED_REGIONS consecutive regions, calls run serially for a back-off period (200 ms,
 * doubled at each renewed starvation up to 6.4 s, reset by a region in which the threads did their share) before
 * parallelism is tried again. On a node with free cores the team threads always do their share and this never
 * triggers. Results do not depend on it (every op is thread-count independent).
 */
constexpr int STARVED_REGIONS = 2;
constexpr int64_t SERIAL_NS_MIN = 200000000, SERIAL_NS_MAX = 6400000000LL;

struct Starvation {
    std::atomic<int> starved{0};
    std::atomic<int64_t> serialUntil{0};
    std::atomic<int64_t> period{SERIAL_NS_MIN};
};

inline Starvation& starvation() {
    static Starvation s;
    return s;
}

inline int64_t nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/** Records a finished region of `chunks` chunks over `teams` threads, of which the non-caller threads did workerChunks. */
inline void regionDone(int64_t chunks, int teams, int64_t workerChunks) {
    Starvation& s = starvation();
    if (2 * workerChunks * teams >= chunks * (teams - 1)) {
        s.starved.store(0, std::memory_order_relaxed);
        s.period.store(SERIAL_NS_MIN, std::memory_order_relaxed);
        return;
    }
    if (s.starved.fetch_add(1, std::memory_order_relaxed) + 1 >= STARVED_REGIONS) {
        int64_t p = s.period.load(std::memory_order_relaxed);
        s.serialUntil.store(nowNs() + p, std::memory_order_relaxed);
        s.period.store(p * 2 < SERIAL_NS_MAX ? p * 2 : SERIAL_NS_MAX, std::memory_order_relaxed);
        s.starved.store(0, std::memory_order_relaxed);
    }
}

inline bool parallel(int nt, int64_t n, double nsPerItem) {
    if (!(nt > 1 && n > 1 && (double) n * nsPerItem >= PAR_NS)) return false;
    int64_t until = starvation().serialUntil.load(std::memory_order_relaxed);
    return until == 0 || nowNs() >= until;
}

/** body(i) for i < n: in parallel (dynamic chunks of ~n/(8 nt)) when the work n * nsPerItem is worth it. */
template <class F> inline void pfor(int nt, int64_t n, double nsPerItem, F body) {
#ifdef _OPENMP
    if (parallel(nt, n, nsPerItem)) {
        int64_t chunk = n / (8 * (int64_t) nt);
        if (chunk < 1) chunk = 1;
        int64_t nchunks = (n + chunk - 1) / chunk;
        int teams = (int) (nchunks < nt ? nchunks : nt);
        int64_t workerChunks = 0;
#pragma omp parallel for num_threads(teams) schedule(dynamic, 1) reduction(+ : workerChunks)
        for (int64_t q = 0; q < nchunks; q++) {
            int64_t hi = (q + 1) * chunk < n ? (q + 1) * chunk : n;
            for (int64_t i = q * chunk; i < hi; i++) body(i);
            if (omp_get_thread_num() != 0) workerChunks++;
        }
        regionDone(nchunks, teams, workerChunks);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) body(i);
}

/**
 * Runs body(scratch, q) for blocks q < n with one Scratch per thread (constructed once per call) and dynamic
 * scheduling (a descheduled thread does not hold back the others' blocks); serially unless n * nsPerBlock is worth a
 * parallel region (PAR_NS).
 */
template <class Scratch, class F> inline void pblocks(int nt, int64_t n, double nsPerBlock, F body) {
#ifdef _OPENMP
    if (parallel(nt, n, nsPerBlock)) {
        int teams = (int) (n < nt ? n : nt);
        int64_t workerChunks = 0;
#pragma omp parallel num_threads(teams) reduction(+ : workerChunks)
        {
            Scratch* sc = new Scratch;
#pragma omp for schedule(dynamic, 1)
            for (int64_t q = 0; q < n; q++) {
                body(*sc, q);
                if (omp_get_thread_num() != 0) workerChunks++;
            }
            delete sc;
        }
        regionDone(n, teams, workerChunks);
        return;
    }
#endif
    Scratch* sc = new Scratch;
    for (int64_t q = 0; q < n; q++) body(*sc, q);
    delete sc;
}

}  // namespace host
}  // namespace mflow
