// native/staple_soa.hpp -- SIMD SU(3) staple sums over blocks of sites (structure of arrays), the host backend's
// hot kernel: staples, force, actionGradient, heatbath and overrelaxation all take their staples from here.
//
// Contract. stapleBlock(g, f, b, mu, sites, n, sc, out) writes, for s < n, the SU(3) staple sum A_mu(x) of site
// x = sites[s] of configuration b (kernels/gauge.cuh: sum over nu != mu ascending of the up staple
// U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag then the down staple (U_mu(x-nu) U_nu(x+mu-nu))^dag U_nu(x-nu), from +0.0) to
// out[18 s .. 18 s + 17] (AoS). The result is bit-identical to gauge::stapleSU3 per site (and so to the Java
// reference): each output element of each product is the same expression, (0 + t0) + t1 + t2 with the same t_k,
// evaluated lane by lane in explicit vector arithmetic that is never fused (see the products below), so SIMD lanes
// round like scalar code.
//
// Layout. Blocks of n <= BLOCK sites; the operands of each product are gathered from the AoS field
// f[((b d + mu) V + x) 18 + k] into SoA scratch m[k][s] (18 arrays of BLOCK doubles), the products run over s with
// unit stride (4 sites per vector), and the accumulator is scattered back to AoS. With AVX2 the gathers and
// the scatter are 4x4 register transposes (4 sites x 4 components per step) instead of 18 scalar moves per link.
// Scratch: 4 matrices x 18 x BLOCK doubles (18 KiB at BLOCK = 32: L1-resident), per thread.
//
// Flops / bytes per site and direction: 2(d-1) x (2 x 198 + 18) = 2(d-1) x 414 flops (2484 in 4D); compulsory
// bytes d x 144 read + 144 written (720 B in 4D), naive 6(d-1) x 144 + 144 (2736 B in 4D); the SoA scratch adds
// 3 x 144 B written and read per staple in L1.
#pragma once

#include <cstdint>
#include <cstring>

#include "../kernels/core.cuh"
#include "host.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace mflow {
namespace host {

constexpr int BLOCK = 32;

struct alignas(64) StapleScratch {
    double a[18][BLOCK] = {}, b[18][BLOCK] = {}, t[18][BLOCK] = {}, acc[18][BLOCK] = {};
    int32_t i0[BLOCK] = {}, i1[BLOCK] = {};
};

typedef double Soa[18][BLOCK];

/** g[k][s] = f[18 (base + idx[s]) + k], s < n (AoS -> SoA). */
inline void gatherSoA(int n, const double* __restrict f, int64_t base, const int32_t* __restrict idx, Soa& g) {
    int s = 0;
#if defined(__AVX2__)
    for (; s + 4 <= n; s += 4) {
        const double* r0 = f + 18 * (base + idx[s]);
        const double* r1 = f + 18 * (base + idx[s + 1]);
        const double* r2 = f + 18 * (base + idx[s + 2]);
        const double* r3 = f + 18 * (base + idx[s + 3]);
        for (int k = 0; k < 16; k += 4) {
            __m256d x0 = _mm256_loadu_pd(r0 + k), x1 = _mm256_loadu_pd(r1 + k);
            __m256d x2 = _mm256_loadu_pd(r2 + k), x3 = _mm256_loadu_pd(r3 + k);
            __m256d t0 = _mm256_unpacklo_pd(x0, x1), t1 = _mm256_unpackhi_pd(x0, x1);
            __m256d t2 = _mm256_unpacklo_pd(x2, x3), t3 = _mm256_unpackhi_pd(x2, x3);
            _mm256_store_pd(&g[k][s], _mm256_permute2f128_pd(t0, t2, 0x20));
            _mm256_store_pd(&g[k + 1][s], _mm256_permute2f128_pd(t1, t3, 0x20));
            _mm256_store_pd(&g[k + 2][s], _mm256_permute2f128_pd(t0, t2, 0x31));
            _mm256_store_pd(&g[k + 3][s], _mm256_permute2f128_pd(t1, t3, 0x31));
        }
        __m128d y0 = _mm_loadu_pd(r0 + 16), y1 = _mm_loadu_pd(r1 + 16), y2 = _mm_loadu_pd(r2 + 16), y3 = _mm_loadu_pd(r3 + 16);
        __m256d lo = _mm256_set_m128d(_mm_unpacklo_pd(y2, y3), _mm_unpacklo_pd(y0, y1));
        __m256d hi = _mm256_set_m128d(_mm_unpackhi_pd(y2, y3), _mm_unpackhi_pd(y0, y1));
        _mm256_store_pd(&g[16][s], lo);
        _mm256_store_pd(&g[17][s], hi);
    }
#endif
    for (; s < n; s++) {
        const double* r = f + 18 * (base + idx[s]);
        for (int k = 0; k < 18; k++) g[k][s] = r[k];
    }
}

/** out[18 s + k] = g[k][s], s < n (SoA -> AoS). */
inline void scatterAoS(int n, const Soa& g, double* __restrict out) {
    int s = 0;
#if defined(__AVX2__)
    for (; s + 4 <= n; s += 4) {
        double* r0 = out + 18 * s;
        double* r1 = r0 + 18;
        double* r2 = r0 + 36;
        double* r3 = r0 + 54;
        for (int k = 0; k < 16; k += 4) {
            __m256d x0 = _mm256_load_pd(&g[k][s]), x1 = _mm256_load_pd(&g[k + 1][s]);
            __m256d x2 = _mm256_load_pd(&g[k + 2][s]), x3 = _mm256_load_pd(&g[k + 3][s]);
            __m256d t0 = _mm256_unpacklo_pd(x0, x1), t1 = _mm256_unpackhi_pd(x0, x1);
            __m256d t2 = _mm256_unpacklo_pd(x2, x3), t3 = _mm256_unpackhi_pd(x2, x3);
            _mm256_storeu_pd(r0 + k, _mm256_permute2f128_pd(t0, t2, 0x20));
            _mm256_storeu_pd(r1 + k, _mm256_permute2f128_pd(t1, t3, 0x20));
            _mm256_storeu_pd(r2 + k, _mm256_permute2f128_pd(t0, t2, 0x31));
            _mm256_storeu_pd(r3 + k, _mm256_permute2f128_pd(t1, t3, 0x31));
        }
        __m256d lo = _mm256_load_pd(&g[16][s]), hi = _mm256_load_pd(&g[17][s]);
        __m256d p0 = _mm256_unpacklo_pd(lo, hi), p1 = _mm256_unpackhi_pd(lo, hi);
        _mm_storeu_pd(r0 + 16, _mm256_castpd256_pd128(p0));
        _mm_storeu_pd(r1 + 16, _mm256_castpd256_pd128(p1));
        _mm_storeu_pd(r2 + 16, _mm256_extractf128_pd(p0, 1));
        _mm_storeu_pd(r3 + 16, _mm256_extractf128_pd(p1, 1));
    }
#endif
    for (; s < n; s++)
        for (int k = 0; k < 18; k++) out[18 * s + k] = g[k][s];
}

// Products over a block, 4 sites per step in explicit vector types (GCC/clang vector extensions: AVX registers with
// -march=x86-64-v3, pairs of SSE2 registers on the baseline). The library is compiled with -fno-tree-vectorize: the
// auto-vectorizers of GCC 12 form complex fused multiply-adds (vfmaddsub) even under -ffp-contract=off, which would
// change the rounding; here every operation is written out and none is fused. Each output element is the scalar
// su3:: expression, re = ((0 + t0) + t1) + t2, lane by lane. Lanes beyond n (up to the next multiple of 4, inside
// BLOCK) compute on scratch values and are never stored to the output.

inline v4 ld(const double* p) { return ld4(p); }
inline void st(double* p, v4 v) { st4(p, v); }

/** KIND 0: c = a b; 1: c = a b^dag; 2: c = a^dag b; ADD: c += (the product) instead of c = (the product). */
template <int KIND, bool ADD>
inline void prodSoA(int n, const Soa& a, const Soa& b, Soa& c) {
    for (int s = 0; s < n; s += 4) {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                v4 re = {0, 0, 0, 0}, im = {0, 0, 0, 0};
                for (int k = 0; k < 3; k++) {
                    if (KIND == 0) {
                        int x = 2 * (3 * i + k), y = 2 * (3 * k + j);
                        v4 ar = ld(&a[x][s]), ai = ld(&a[x + 1][s]), br = ld(&b[y][s]), bi = ld(&b[y + 1][s]);
                        re += ar * br - ai * bi;
                        im += ar * bi + ai * br;
                    } else if (KIND == 1) {
                        int x = 2 * (3 * i + k), y = 2 * (3 * j + k);
                        v4 ar = ld(&a[x][s]), ai = ld(&a[x + 1][s]), br = ld(&b[y][s]), bi = ld(&b[y + 1][s]);
                        re += ar * br + ai * bi;
                        im += ai * br - ar * bi;
                    } else {
                        int x = 2 * (3 * k + i), y = 2 * (3 * k + j);
                        v4 ar = ld(&a[x][s]), ai = ld(&a[x + 1][s]), br = ld(&b[y][s]), bi = ld(&b[y + 1][s]);
                        re += ar * br + ai * bi;
                        im += ar * bi - ai * br;
                    }
                }
                double* cr = &c[2 * (3 * i + j)][s];
                double* ci = &c[2 * (3 * i + j) + 1][s];
                if (ADD) { st(cr, ld(cr) + re); st(ci, ld(ci) + im); }
                else { st(cr, re); st(ci, im); }
            }
    }
}

inline void mulSoA(int n, const Soa& a, const Soa& b, Soa& c) { prodSoA<0, false>(n, a, b, c); }
inline void mulDagSoA(int n, const Soa& a, const Soa& b, Soa& c) { prodSoA<1, false>(n, a, b, c); }
inline void mulDagAddSoA(int n, const Soa& a, const Soa& b, Soa& acc) { prodSoA<1, true>(n, a, b, acc); }
inline void dagMulAddSoA(int n, const Soa& a, const Soa& b, Soa& acc) { prodSoA<2, true>(n, a, b, acc); }

/**
 * SU(3) staple sums of direction mu for the n <= BLOCK sites sites[0..n) of configuration b, into out[18 s..] (AoS).
 */
inline void stapleBlock(const Geom& g, const double* f, int b, int mu, const int32_t* sites, int n, StapleScratch& sc,
                        double* out) {
    for (int k = 0; k < 18; k++)
        for (int s = 0; s < BLOCK; s++) sc.acc[k][s] = 0.0;
    const int64_t baseMu = g.link(b, mu, 0);
    for (int nu = 0; nu < g.d; nu++) {
        if (nu == mu) continue;
        const int64_t baseNu = g.link(b, nu, 0);
        // up: U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag
        for (int s = 0; s < n; s++) sc.i0[s] = g.upx(mu, sites[s]);
        gatherSoA(n, f, baseNu, sc.i0, sc.a);
        for (int s = 0; s < n; s++) sc.i1[s] = g.upx(nu, sites[s]);
        gatherSoA(n, f, baseMu, sc.i1, sc.b);
        mulDagSoA(n, sc.a, sc.b, sc.t);
        gatherSoA(n, f, baseNu, sites, sc.a);
        mulDagAddSoA(n, sc.t, sc.a, sc.acc);
        // down: (U_mu(x-nu) U_nu(x+mu-nu))^dag U_nu(x-nu)
        for (int s = 0; s < n; s++) sc.i1[s] = g.dnx(nu, sites[s]);
        gatherSoA(n, f, baseMu, sc.i1, sc.a);
        for (int s = 0; s < n; s++) sc.i0[s] = g.dnx(nu, sc.i0[s]);  // dn(nu, up(mu, x))
        gatherSoA(n, f, baseNu, sc.i0, sc.b);
        mulSoA(n, sc.a, sc.b, sc.t);
        gatherSoA(n, f, baseNu, sc.i1, sc.a);
        dagMulAddSoA(n, sc.t, sc.a, sc.acc);
    }
    scatterAoS(n, sc.acc, out);
}

}  // namespace host
}  // namespace mflow
