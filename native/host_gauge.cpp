// native/host_gauge.cpp -- JNI entry points of the gauge family (plaquettes, action and mean plaquette, staples,
// force, action gradient, gauge transformations, Haar links, random gauge) for backend `host`.
//
// Contract: Backend.java's ops of the same names on raw addresses (host.hpp). Per-site physics is kernels/gauge.cuh;
// the SU(3) staple sums are the SIMD block kernel (staple_soa.hpp), bit-identical to the per-site function.
// Per-configuration sums run in the reference's index order. Results are bit-identical to CpuBackend for SU(3)
// (plaquettes, action, staples, force, action gradient, gauge transformations) and within an ulp-level tolerance
// where U(1) uses sin/cos or the Haar draws use gaussians (HostBackendTest names the tolerances).
//
// Layout: Backend.java (field [((b d + mu) V + x) dof + k], plaquettes [(b planes + p) V + x], staples
// [(b V + x) sdof + k], omega [(b V + x) dof + k]).
//
// Flops / bytes: as kernels/gauge.cuh per site; staples 2(d-1) x 414 flops per SU(3) site (2484 in 4D), force and
// action gradient d staple sums + 246 (force) or 18 (gradient) flops per link; gauge transform 2d x 198 per site.
#include "host.hpp"
#include "staple_soa.hpp"

#include "../kernels/gauge.cuh"

using namespace mflow;
using namespace mflow::host;

namespace {

/** Plaquette field of the whole batch into pl (batch planes V doubles). */
void plaquetteField(int nt, const Geom& g, int batch, bool u1, const double* f, double* pl) {
    int64_t n = (int64_t) batch * g.V;
    pfor(nt, n, (u1 ? 20.0 : 400.0) * g.planes(), [&](int64_t i) { gauge::plaquettesSite(g, u1, f, (int) (i / g.V), (int) (i % g.V), pl); });
}

/** SU(3) staple sums of direction mu for every site of every configuration, out[(b V + x) 18 + k]. */
void staplesSU3(int nt, const Geom& g, int batch, const double* f, int mu, double* out) {
    int blocksPer = (g.V + BLOCK - 1) / BLOCK;
    int64_t nblocks = (int64_t) batch * blocksPer;
    // blocks of 4 x BLOCK sites per scheduling unit (dynamic scheduling; scratch per thread)
    constexpr int GROUP = 4;
    pblocks<StapleScratch>(nt, (nblocks + GROUP - 1) / GROUP, 40000.0 * (g.d - 1) / 3, [&](StapleScratch& sc, int64_t q0) {
        int32_t sites[BLOCK];
        for (int64_t q = q0 * GROUP; q < nblocks && q < (q0 + 1) * GROUP; q++) {
            int b = (int) (q / blocksPer), x0 = (int) (q % blocksPer) * BLOCK;
            int n = g.V - x0 < BLOCK ? g.V - x0 : BLOCK;
            for (int s = 0; s < n; s++) sites[s] = x0 + s;
            stapleBlock(g, f, b, mu, sites, n, sc, out + 18 * ((int64_t) b * g.V + x0));
        }
    });
}

void staplesU1(int nt, const Geom& g, int batch, const double* f, int mu, double* out) {
    pfor(nt, (int64_t) batch * g.V, 80.0 * (g.d - 1), [&](int64_t i) {
        gauge::stapleU1(g, f, (int) (i / g.V), mu, (int) (i % g.V), out + 2 * i);
    });
}

}  // namespace

MFLOW_JNI(void, plaquettes)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f, jlong out) {
    Geom g = geom(d, V, geo);
    plaquetteField(nt, g, batch, u1, dp(f), dp(out));
}

MFLOW_JNI(void, plaquetteAngles)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jlong f, jlong out) {
    Geom g = geom(d, V, geo);
    const double* fd = dp(f);
    double* o = dp(out);
    pfor(nt, (int64_t) batch * V, 10.0 * g.planes(), [&](int64_t i) { gauge::plaquetteAnglesSite(g, fd, (int) (i / V), (int) (i % V), o); });
}

/**
 * Per-configuration plaquette sums s_b (index order over planes then sites); mode 0: out[b] = s_b / c (mean
 * plaquette, c = planes V); mode 1: out[b] = c s_b (action, c = -beta).
 */
MFLOW_JNI(void, plaquetteReduce)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f,
                                 jlong out, jint mode, jdouble c) {
    Geom g = geom(d, V, geo);
    int np = g.planes();
    std::vector<double> pl((size_t) batch * np * V);
    plaquetteField(nt, g, batch, u1, dp(f), pl.data());
    double* o = dp(out);
    for (int b = 0; b < batch; b++) {
        double s = 0;
        for (int64_t i = (int64_t) b * np * V, e = (int64_t) (b + 1) * np * V; i < e; i++) s += pl[i];
        o[b] = mode == 0 ? s / c : c * s;
    }
}

MFLOW_JNI(void, staples)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f, jint mu, jlong out) {
    Geom g = geom(d, V, geo);
    if (u1) staplesU1(nt, g, batch, dp(f), mu, dp(out));
    else staplesSU3(nt, g, batch, dp(f), mu, dp(out));
}

/** Force (mode 0) or Euclidean action gradient (mode 1) of every link, gauge-field layout. */
MFLOW_JNI(void, force)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f, jdouble beta,
                       jlong out, jint mode) {
    Geom g = geom(d, V, geo);
    const double* fd = dp(f);
    double* o = dp(out);
    int64_t n = (int64_t) batch * V;
    if (u1) {
        std::vector<double> a(2 * n);
        for (int mu = 0; mu < d; mu++) {
            staplesU1(nt, g, batch, fd, mu, a.data());
            pfor(nt, n, 30.0, [&](int64_t i) {
                int64_t l = g.link((int) (i / V), mu, (int) (i % V));
                o[l] = gauge::forceU1(beta, fd[l], a[2 * i], a[2 * i + 1]);
            });
        }
        return;
    }
    std::vector<double> a(18 * n);
    double coef = mode == 0 ? beta / (2.0 * 3) : -beta / 3;
    for (int mu = 0; mu < d; mu++) {
        staplesSU3(nt, g, batch, fd, mu, a.data());
        pfor(nt, n, 150.0, [&](int64_t i) {
            int64_t l = g.link((int) (i / V), mu, (int) (i % V));
            if (mode == 0) gauge::forceSU3(coef, fd + 18 * l, a.data() + 18 * i, o + 18 * l);
            else gauge::actionGradientSU3(coef, a.data() + 18 * i, o + 18 * l);
        });
    }
}

MFLOW_JNI(void, gaugeTransform)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f, jlong omega) {
    Geom g = geom(d, V, geo);
    double* fd = dp(f);
    const double* om = dp(omega);
    pfor(nt, (int64_t) batch * V, (u1 ? 10.0 : 250.0) * d, [&](int64_t i) { gauge::gaugeTransformSite(g, u1, fd, om, (int) (i / V), (int) (i % V)); });
}

MFLOW_JNI(void, haarLinks)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f, jint dom,
                           jlong seed, jlong step) {
    Geom g = geom(d, V, geo);
    double* fd = dp(f);
    pfor(nt, (int64_t) batch * V, (u1 ? 20.0 : 600.0) * d, [&](int64_t i) { gauge::haarSite(g, u1, fd, (int) (i / V), (int) (i % V), dom, seed, step); });
}

MFLOW_JNI(void, randomGauge)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f, jint dom,
                             jlong seed, jlong step) {
    Geom g = geom(d, V, geo);
    int64_t n = (int64_t) batch * V;
    std::vector<double> om(n * (u1 ? 1 : 18));
    double* o = om.data();
    pfor(nt, n, u1 ? 20.0 : 600.0, [&](int64_t i) { gauge::haarOmega(u1, o, i, dom, seed, step); });
    double* fd = dp(f);
    pfor(nt, n, (u1 ? 10.0 : 250.0) * d, [&](int64_t i) { gauge::gaugeTransformSite(g, u1, fd, o, (int) (i / V), (int) (i % V)); });
}
