// native/host_updates.cpp -- JNI entry points of the update family (heatbath and overrelaxation sweeps, HMC
// momenta, kinetic energy, link updates, reunitarisation) for backend `host`.
//
// Contract: Backend.heatbath / overrelax / drawMomenta / kineticEnergy / updateLinks / reunitarize on raw addresses.
// Checkerboard order: for mu = 0..d-1, parity 0 then 1, all mu-links of that parity at once (their staples contain
// none of them); each link draws from Rng(seed, HEATBATH, sweep, (b d + mu) V + x), so the result depends only on
// (u, beta, seed, sweep), never on threads. Per-link physics in kernels/updates.cuh; SU(3) staples from the SIMD
// block kernel over blocks of same-parity sites (bit-identical to the per-link staple). Kinetic energy sums per
// configuration in link order.
//
// Layout: gauge-field layout for links and momenta; parity site lists from the geometry table (host.hpp).
//
// Flops / bytes per link: heatbath SU(3) staple (2484 in 4D) + ~800 + the SU(2) draws; overrelaxation staple + ~700;
// U(1) ~40 + 2(d-1) sincos; updateLinks SU(3) ~3400 (exp) + 198, 288 B; momenta 8 gaussians per SU(3) link.
#include "host.hpp"
#include "staple_soa.hpp"

#include "../kernels/gauge.cuh"
#include "../kernels/updates.cuh"

using namespace mflow;
using namespace mflow::host;

namespace {

constexpr int HEATBATH_DOMAIN = domain::HEATBATH;

/** Per-thread scratch of a sweep: the staple kernel's and the staples of one block (AoS). */
struct SweepScratch {
    StapleScratch st;
    alignas(64) double a[18 * BLOCK];
};

/** One checkerboard sweep: heatbath (hb = true) or overrelaxation. */
void sweep(int nt, const Geom& g, jlong geo, int batch, bool u1, double* f, double beta, int64_t seed, int64_t sw, bool hb) {
    int V = g.V, d = g.d, h = V / 2;
    for (int mu = 0; mu < d; mu++) {
        for (int par = 0; par < 2; par++) {
            const int32_t* sites = paritySites(g, geo, par);
            if (u1) {
                pfor(nt, (int64_t) batch * h, 150.0 * d, [&](int64_t i) {
                    int b = (int) (i / h), x = sites[i % h];
                    double a[2];
                    gauge::stapleU1(g, f, b, mu, x, a);
                    int64_t l = g.link(b, mu, x);
                    if (hb) {
                        Rng r(seed, HEATBATH_DOMAIN, sw, l);
                        f[l] = updates::heatbathU1(r, beta, a[0], a[1]);
                    } else {
                        f[l] = updates::overrelaxU1(f[l], a[0], a[1]);
                    }
                });
                continue;
            }
            int blocksPer = (h + BLOCK - 1) / BLOCK;
            pblocks<SweepScratch>(nt, (int64_t) batch * blocksPer, 60000.0 * d / 4, [&](SweepScratch& sc, int64_t q) {
                {
                    double* a = sc.a;
                    int b = (int) (q / blocksPer), j0 = (int) (q % blocksPer) * BLOCK;
                    int n = h - j0 < BLOCK ? h - j0 : BLOCK;
                    stapleBlock(g, f, b, mu, sites + j0, n, sc.st, a);
                    for (int s = 0; s < n; s++) {
                        int64_t l = g.link(b, mu, sites[j0 + s]);
                        if (hb) {
                            Rng r(seed, HEATBATH_DOMAIN, sw, l);
                            updates::heatbathSU3(r, beta, f + 18 * l, a + 18 * s);
                        } else {
                            updates::overrelaxSU3(f + 18 * l, a + 18 * s);
                        }
                    }
                }
            });
        }
    }
}

}  // namespace

MFLOW_JNI(void, heatbath)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f, jdouble beta,
                          jlong seed, jlong sw) {
    sweep(nt, geom(d, V, geo), geo, batch, u1, dp(f), beta, seed, sw, true);
}

MFLOW_JNI(void, overrelax)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f, jdouble beta) {
    sweep(nt, geom(d, V, geo), geo, batch, u1, dp(f), beta, 0, 0, false);
}

MFLOW_JNI(void, drawMomenta)(JNIEnv*, jclass, jint nt, jboolean u1, jlong links, jint dom, jlong seed, jlong step, jlong p) {
    double* pd = dp(p);
    pfor(nt, links, u1 ? 40.0 : 400.0, [&](int64_t l) { updates::drawMomentum(u1, pd, l, dom, seed, step); });
}

MFLOW_JNI(void, kineticEnergy)(JNIEnv*, jclass, jboolean u1, jint batch, jlong perConfig, jlong p, jlong out) {
    const double* pd = dp(p);
    double* o = dp(out);
    for (int b = 0; b < batch; b++) {
        double s = 0;
        if (u1) for (int64_t l = b * perConfig; l < (b + 1) * perConfig; l++) s += 0.5 * pd[l] * pd[l];
        else for (int64_t l = b * perConfig; l < (b + 1) * perConfig; l++) s += su3::kinetic(pd + 18 * l);
        o[b] = s;
    }
}

MFLOW_JNI(void, updateLinks)(JNIEnv*, jclass, jint nt, jboolean u1, jlong links, jlong f, jlong p, jdouble c) {
    double* fd = dp(f);
    const double* pd = dp(p);
    if (u1) pfor(nt, links, 3.0, [&](int64_t l) { fd[l] = wrap(fd[l] + c * pd[l]); });
    else pfor(nt, links, 2000.0, [&](int64_t l) { updates::updateLinkSU3(fd + 18 * l, pd + 18 * l, c); });
}

MFLOW_JNI(void, reunitarize)(JNIEnv*, jclass, jint nt, jboolean u1, jlong links, jlong f) {
    double* fd = dp(f);
    if (u1) pfor(nt, links, 3.0, [&](int64_t l) { fd[l] = wrap(fd[l]); });
    else pfor(nt, links, 80.0, [&](int64_t l) { su3::reunitarize(fd + 18 * l); });
}
