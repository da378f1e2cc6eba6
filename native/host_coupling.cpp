// native/host_coupling.cpp -- JNI entry points of the coupling-layer geometry family (loop features and backward,
// gather / scatter of active links and their backward) for backend `host`.
//
// Contract: Backend.loopFeatures, loopFeaturesBackward, gatherActive, scatterActive, scatterActiveBackward,
// gatherActiveBackward on raw addresses; per-element physics in kernels/coupling.cuh. Forward ops run in parallel
// over (configuration, element); the backward ops scatter-add into links shared by neighbouring elements, so they
// run in parallel over configurations only, each configuration serially in the reference's order (planes, then
// sites; or mask sites in list order), which makes them bit-identical to CpuBackend for any thread count.
//
// Layout: features out[(b 2 planes + c) V + x]; frozen[p V + x]; elements e = b M + j at sites[j]; w[e dof + k].
//
// Flops / bytes per element: kernels/coupling.cuh (SU(3) gather / scatter 594 flops, 720 B; backward ~2000 flops).
#include "host.hpp"

#include "../kernels/coupling.cuh"

using namespace mflow;
using namespace mflow::host;

MFLOW_JNI(void, loopFeatures)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f,
                              jlong frozen, jlong out) {
    Geom g = geom(d, V, geo);
    const double* fd = dp(f);
    const int32_t* fr = ip(frozen);
    double* o = dp(out);
    pfor(nt, (int64_t) batch * V, (u1 ? 30.0 : 400.0) * g.planes(), [&](int64_t i) { coupling::loopFeaturesSite(g, u1, fd, fr, (int) (i / V), (int) (i % V), o); });
}

MFLOW_JNI(void, loopFeaturesBackward)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f,
                                      jlong frozen, jlong gFeat, jlong gLinks) {
    Geom g = geom(d, V, geo);
    const double* fd = dp(f);
    const int32_t* fr = ip(frozen);
    const double* gf = dp(gFeat);
    double* gl = dp(gLinks);
    int np = g.planes(), C = 2 * np;
    pfor(nt, batch, (u1 ? 20.0 : 1500.0) * np * V, [&](int64_t bi) {
        int b = (int) bi;
        for (int p = 0; p < np; p++)
            for (int x = 0; x < V; x++) {
                if (fr[(int64_t) p * V + x] == 0) continue;
                int64_t o = ((int64_t) b * C + 2 * p) * V + x;
                double gr = gf[o], gi = gf[o + V];
                if (gr == 0 && gi == 0) continue;
                coupling::loopFeaturesBackwardSite(g, u1, fd, b, p, x, gr, gi, gl);
            }
    });
}

MFLOW_JNI(void, gatherActive)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f, jint mu,
                              jint nu, jlong sites, jint M, jlong w) {
    Geom g = geom(d, V, geo);
    const double* fd = dp(f);
    const int32_t* st = ip(sites);
    double* wd = dp(w);
    int dof = u1 ? 1 : 18;
    pfor(nt, (int64_t) batch * M, u1 ? 5.0 : 300.0, [&](int64_t e) {
        coupling::gatherElement(g, u1, fd, mu, nu, (int) (e / M), st[e % M], wd + dof * e);
    });
}

MFLOW_JNI(void, scatterActive)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f, jint mu,
                               jint nu, jlong sites, jint M, jlong w) {
    Geom g = geom(d, V, geo);
    double* fd = dp(f);
    const int32_t* st = ip(sites);
    const double* wd = dp(w);
    int dof = u1 ? 1 : 18;
    pfor(nt, (int64_t) batch * M, u1 ? 5.0 : 300.0, [&](int64_t e) {
        coupling::scatterElement(g, u1, fd, mu, nu, (int) (e / M), st[e % M], wd + dof * e);
    });
}

MFLOW_JNI(void, scatterActiveBackward)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f,
                                       jint mu, jint nu, jlong sites, jint M, jlong wNew, jlong gLinks, jlong gW) {
    Geom g = geom(d, V, geo);
    const double* fd = dp(f);
    const int32_t* st = ip(sites);
    const double* wn = dp(wNew);
    double* gl = dp(gLinks);
    double* gw = dp(gW);
    int dof = u1 ? 1 : 18;
    pfor(nt, batch, (u1 ? 10.0 : 1200.0) * M, [&](int64_t bi) {
        int b = (int) bi;
        for (int j = 0; j < M; j++) {
            int64_t e = (int64_t) b * M + j;
            coupling::scatterBackwardElement(g, u1, fd, mu, nu, b, st[j], wn + dof * e, gl, gw + dof * e);
        }
    });
}

MFLOW_JNI(void, gatherActiveBackward)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f,
                                      jint mu, jint nu, jlong sites, jint M, jlong wOld, jlong gW, jlong gLinks) {
    Geom g = geom(d, V, geo);
    const double* fd = dp(f);
    const int32_t* st = ip(sites);
    const double* wo = dp(wOld);
    const double* gw = dp(gW);
    double* gl = dp(gLinks);
    int dof = u1 ? 1 : 18;
    pfor(nt, batch, (u1 ? 10.0 : 1200.0) * M, [&](int64_t bi) {
        int b = (int) bi;
        for (int j = 0; j < M; j++) {
            int64_t e = (int64_t) b * M + j;
            coupling::gatherBackwardElement(g, u1, fd, mu, nu, b, st[j], wo + dof * e, gw + dof * e, gl);
        }
    });
}
