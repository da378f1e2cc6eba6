// kernels/core.cuh -- common definitions of the per-site kernel code (CUDA C++ and host C++ from one source).
//
// Contract. Every per-site function in kernels/*.cuh is MFLOW_HD: __host__ __device__ under nvcc, plain inline
// under a host compiler (native/ builds them into the JNI library of backend `host`). The functions are literal
// transcriptions of the Java float64 reference (java/main/org/mflowhpc/backend/cpu, group/SU3, rng/): the same
// operations in the same order, so that, compiled without floating-point contraction (-ffp-contract=off, no
// fast-math; nvcc -fmad=false), results are bit-identical to the Java reference wherever only +, -, *, /, sqrt and
// IEEE remainder are involved. Transcendentals (sin, cos, exp, log, atan2, tanh, ...) come from the C library or
// CUDA's libdevice, which agree with Java's Math to an ulp but not bit for bit; ops that use them are compared
// with named tolerances (docs/engine.md, "The host backend").
//
// Java semantics reproduced here: Math.max/min (NaN-propagating, -0 < +0), Math.round (round half up),
// U1.wrap (IEEEremainder into (-pi, pi]). Integer arithmetic wraps in 32 bits like Java's int.
//
// Layout (docs/conventions.md, Backend.java): gauge field [((b*d + mu)*V + x)*dof + k]; SU(3) matrices as 18
// doubles row-major, re/im interleaved: element (i,j) at 2(3i+j) (re), 2(3i+j)+1 (im). Geometry tables
// (Geom): up[mu*V + x] = x + mu-hat, dn[mu*V + x] = x - mu-hat, periodic, sites lexicographic with direction 0
// fastest.
//
// Flops / bytes: none here (helpers).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define MFLOW_HD __host__ __device__ inline
#define MFLOW_DEVICE_CODE 1
#else
#define MFLOW_HD inline
#endif

namespace mflow {

// Java's Math.PI and 2 * Math.PI (the same doubles).
constexpr double PI = 3.141592653589793;
constexpr double TWO_PI = 2 * PI;

/** Largest number of mixture components / spline bins of a link flow the kernels support (scratch on the stack). */
constexpr int MAXK = 32;

/** Java Math.max(double, double): NaN if either is NaN; max(-0.0, +0.0) = +0.0. */
MFLOW_HD double jmax(double a, double b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a > b) return a;
    if (b > a) return b;
    return std::signbit(a) ? b : a;
}

/** Java Math.min(double, double). */
MFLOW_HD double jmin(double a, double b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a < b) return a;
    if (b < a) return b;
    return std::signbit(a) ? a : b;
}

/** Java Math.round(double) for |x| < 2^52: nearest integer, ties towards +infinity. */
MFLOW_HD long long jround(double x) {
    double f = std::floor(x);
    return (long long) (x - f >= 0.5 ? f + 1 : f);
}

/** org.mflowhpc.group.U1.wrap: IEEE remainder by 2 pi (in [-pi, pi]), -pi sent to +pi. */
MFLOW_HD double wrap(double a) {
    double r = std::remainder(a, TWO_PI);
    return r <= -PI ? r + TWO_PI : r;
}

/** Periodic lattice geometry: neighbour tables (owned by the caller) and sizes. */
struct Geom {
    int d;           // dimensions, 2..4
    int V;           // volume
    const int32_t* up;  // up[mu*V + x]
    const int32_t* dn;  // dn[mu*V + x]

    MFLOW_HD int upx(int mu, int x) const { return up[(int64_t) mu * V + x]; }
    MFLOW_HD int dnx(int mu, int x) const { return dn[(int64_t) mu * V + x]; }
    MFLOW_HD int planes() const { return d * (d - 1) / 2; }
    /** Link index (b, mu, x); the field offset is link * dof. */
    MFLOW_HD int64_t link(int b, int mu, int x) const { return ((int64_t) b * d + mu) * V + x; }
};

/** Plane p -> (m, n), m < n, in the order (0,1), (0,2), ..., (0,d-1), (1,2), ... */
MFLOW_HD void planePair(int d, int p, int& m, int& n) {
    int q = 0;
    for (int a = 0; a < d; a++)
        for (int b = a + 1; b < d; b++) {
            if (q == p) { m = a; n = b; return; }
            q++;
        }
    m = 0; n = 1;
}

}  // namespace mflow
