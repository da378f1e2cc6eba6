// native/host_memory.cpp -- JNI entry points of the memory and reduction families (copy, fill, scale, axpy, sum,
// sumSquares, sumRows, broadcastRows, logSumExp, maxAbs) and the library's self-description, for backend `host`.
//
// Contract: Backend's ops of the same names on raw addresses. Scalar reductions run serially in index order (the
// CPU reference's order: bit-identical results); row sums in parallel over rows, each row in order; elementwise
// ops in parallel. copy is memmove (overlapping ranges allowed, like System.arraycopy). buildInfo() returns
// "key=value" lines: library version, compiler, flags, OpenMP version, SIMD level, block size.
//
// Layout: plain float64 vectors; rows x[b m + j].
//
// Flops / bytes: kernels/reduce.cuh; copy 16n B, fill 8n B.
#include <string>

#include "host.hpp"
#include "staple_soa.hpp"

#include "../kernels/philox.cuh"
#include "../kernels/reduce.cuh"

#ifndef MFLOW_HOST_VERSION
#define MFLOW_HOST_VERSION "dev"
#endif
#ifndef MFLOW_HOST_FLAGS
#define MFLOW_HOST_FLAGS "?"
#endif
#ifndef MFLOW_HOST_VARIANT
#define MFLOW_HOST_VARIANT "generic"
#endif

using namespace mflow;
using namespace mflow::host;

MFLOW_JNI(jlong, address)(JNIEnv* env, jclass, jobject buf) { return (jlong) (intptr_t) env->GetDirectBufferAddress(buf); }

MFLOW_JNI(jlong, allocate)(JNIEnv*, jclass, jlong n) {
    void* p = nullptr;
    size_t bytes = (size_t) (n > 0 ? n : 1);
    if (posix_memalign(&p, 64, bytes) != 0) return 0;
    std::memset(p, 0, bytes);
    return (jlong) (intptr_t) p;
}

MFLOW_JNI(void, release)(JNIEnv*, jclass, jlong a) { std::free(ptr<void>(a)); }

MFLOW_JNI(void, upload)(JNIEnv* env, jclass, jdoubleArray src, jint sOff, jlong dst, jint n) {
    if (n > 0) env->GetDoubleArrayRegion(src, sOff, n, dp(dst));
}

MFLOW_JNI(void, download)(JNIEnv* env, jclass, jlong src, jdoubleArray dst, jint dOff, jint n) {
    if (n > 0) env->SetDoubleArrayRegion(dst, dOff, n, dp(src));
}

MFLOW_JNI(void, copy)(JNIEnv*, jclass, jlong src, jlong dst, jlong n) {
    if (n > 0) std::memmove(dp(dst), dp(src), (size_t) n * sizeof(double));
}

MFLOW_JNI(void, fill)(JNIEnv*, jclass, jint nt, jlong dst, jlong n, jdouble v) {
    double* d = dp(dst);
    pfor(nt, n, 1.0, [&](int64_t i) { d[i] = v; });
}

MFLOW_JNI(void, scale)(JNIEnv*, jclass, jint nt, jlong x, jlong n, jdouble s) {
    double* a = dp(x);
    pfor(nt, n, 1.0, [&](int64_t i) { a[i] *= s; });
}

MFLOW_JNI(void, axpy)(JNIEnv*, jclass, jint nt, jlong n, jdouble a, jlong x, jlong y) {
    const double* xa = dp(x);
    double* ya = dp(y);
    pfor(nt, n, 1.0, [&](int64_t i) { ya[i] += a * xa[i]; });
}

MFLOW_JNI(jdouble, sum)(JNIEnv*, jclass, jlong x, jlong n) { return reduce::sum(dp(x), n); }

MFLOW_JNI(jdouble, sumSquares)(JNIEnv*, jclass, jlong x, jlong n) { return reduce::sumSquares(dp(x), n); }

MFLOW_JNI(jdouble, logSumExp)(JNIEnv*, jclass, jlong x, jlong n) { return reduce::logSumExp(dp(x), n); }

MFLOW_JNI(jdouble, maxAbs)(JNIEnv*, jclass, jlong x, jlong n) { return reduce::maxAbs(dp(x), n); }

MFLOW_JNI(void, sumRows)(JNIEnv*, jclass, jint nt, jint nb, jint m, jlong x, jlong out, jboolean accumulate) {
    const double* a = dp(x);
    double* o = dp(out);
    pfor(nt, nb, 1.0 * m, [&](int64_t b) {
        double s = reduce::sum(a + b * m, m);
        o[b] = accumulate ? o[b] + s : s;
    });
}

MFLOW_JNI(void, broadcastRows)(JNIEnv*, jclass, jint nt, jint nb, jint m, jlong x, jlong out) {
    const double* a = dp(x);
    double* o = dp(out);
    pfor(nt, nb, 1.0 * m, [&](int64_t b) {
        for (int j = 0; j < m; j++) o[b * m + j] = a[b];
    });
}

MFLOW_JNI(void, philox)(JNIEnv* env, jclass, jintArray ctr, jintArray key, jintArray out) {
    jint c[4], k[2];
    env->GetIntArrayRegion(ctr, 0, 4, c);
    env->GetIntArrayRegion(key, 0, 2, k);
    uint32_t o[4];
    philoxBlock((uint32_t) c[0], (uint32_t) c[1], (uint32_t) c[2], (uint32_t) c[3], (uint32_t) k[0], (uint32_t) k[1], o);
    jint r[4] = {(jint) o[0], (jint) o[1], (jint) o[2], (jint) o[3]};
    env->SetIntArrayRegion(out, 0, 4, r);
}

MFLOW_JNI(void, stream)(JNIEnv* env, jclass, jlong seed, jint dom, jlong step, jlong site, jint kind, jint n, jdoubleArray out) {
    std::vector<double> v((size_t) (n > 0 ? n : 0));
    Rng r(seed, dom, step, site);
    for (int i = 0; i < n; i++)
        v[i] = kind == 0 ? r.uniform() : kind == 1 ? r.gaussian() : kind == 2 ? r.angle() : (double) (int32_t) r.nextInt();
    if (n > 0) env->SetDoubleArrayRegion(out, 0, n, v.data());
}

MFLOW_JNI(jstring, buildInfo)(JNIEnv* env, jclass) {
    std::string s;
    s += "version=" MFLOW_HOST_VERSION "\n";
    s += "variant=" MFLOW_HOST_VARIANT "\n";
#if defined(__clang__)
    s += "compiler=clang " __clang_version__ "\n";
#elif defined(__GNUC__)
    s += "compiler=gcc " __VERSION__ "\n";
#else
    s += "compiler=unknown\n";
#endif
    s += "flags=" MFLOW_HOST_FLAGS "\n";
#ifdef _OPENMP
    s += "openmp=" + std::to_string(_OPENMP) + " (max threads " + std::to_string(omp_get_max_threads()) + ")\n";
#else
    s += "openmp=none\n";
#endif
#if defined(__AVX512F__)
    s += "simd=avx512\n";
#elif defined(__AVX2__)
    s += "simd=avx2\n";
#elif defined(__SSE2__)
    s += "simd=sse2\n";
#else
    s += "simd=none\n";
#endif
    s += "staple_block=" + std::to_string(BLOCK) + "\n";
    s += "maxk=" + std::to_string(MAXK) + "\n";
    return env->NewStringUTF(s.c_str());
}
