// native/host_multiscale.cpp -- JNI entry points of the multiscale-doubling family (doubling split / merge / split
// backward, midpoint gather / scatter and both backwards, the analytic U(1) base forward / inverse / backward) for
// backend `host`.
//
// Contract: Backend.doublingSplit, doublingMerge, doublingSplitBackward, gatherMidpoint, scatterMidpoint,
// scatterMidpointBackward, gatherMidpointBackward, u1BaseForward, u1BaseInverse, u1BaseBackward on raw addresses
// (checked and offset by HostBackend); per-site physics in kernels/multiscale.cuh. Split / merge / split backward run
// in parallel over coarse sites (b, s): each writes only its own fine links / coarse links (even and fresh sites
// distinct). Midpoint gather / scatter run in parallel over elements (Gamma's links are frozen, so no element writes
// what another reads); the midpoint backwards scatter-add into links shared by neighbouring elements, so they run in
// parallel over configurations only, each configuration serially in mask-site order, bit-identical to CpuBackend for
// any thread count. The base maps run in parallel over elements; the base backward too when the elements' gRaw /
// gFeat entries are disjoint (nb <= 1 or fB, rB >= m), else serially in element order (the reference's order).
//
// Layout: gauge fields [((b d + mu) V + x) dof + k] (coarse Vc, fine Vf = 2 Vc); elements e = b M + j at sites[j],
// w[e dof + k]; base element e = b m + j: feat[b fB + j], raw[b rB + j] (feat, raw, gFeat, gRaw pre-offset).
//
// Flops / bytes per item: kernels/multiscale.cuh (SU(3) split 198 flops, ~2d x 288 B; midpoint ~4000 flops forward,
// ~9000 backward per element; U(1) base ~40 flops + 5 transcendentals per element).
#include "host.hpp"

#include "../kernels/multiscale.cuh"

using namespace mflow;
using namespace mflow::host;

MFLOW_JNI(void, doublingSplit)(JNIEnv*, jclass, jint nt, jint d, jint Vc, jint batch, jboolean u1, jint mu, jlong c, jlong r,
                               jlong even, jlong fresh, jlong u) {
    const double* cd = dp(c);
    const double* rd = dp(r);
    const int32_t* ev = ip(even);
    const int32_t* fr = ip(fresh);
    double* ud = dp(u);
    pfor(nt, (int64_t) batch * Vc, (u1 ? 2.0 : 60.0) * d, [&](int64_t i) {
        multiscale::splitSite(u1, d, mu, Vc, cd, rd, ev, fr, (int) (i / Vc), (int) (i % Vc), ud);
    });
}

MFLOW_JNI(void, doublingMerge)(JNIEnv*, jclass, jint nt, jint d, jint Vc, jint batch, jboolean u1, jint mu, jlong u, jlong even,
                               jlong fresh, jlong c) {
    const double* ud = dp(u);
    const int32_t* ev = ip(even);
    const int32_t* fr = ip(fresh);
    double* cd = dp(c);
    pfor(nt, (int64_t) batch * Vc, (u1 ? 2.0 : 40.0) * d, [&](int64_t i) {
        multiscale::mergeSite(u1, d, mu, Vc, ud, ev, fr, (int) (i / Vc), (int) (i % Vc), cd);
    });
}

MFLOW_JNI(void, doublingSplitBackward)(JNIEnv*, jclass, jint nt, jint d, jint Vc, jint batch, jboolean u1, jint mu, jlong r,
                                       jlong even, jlong gFine, jlong gCoarse) {
    const double* rd = dp(r);
    const int32_t* ev = ip(even);
    const double* gu = dp(gFine);
    double* gc = dp(gCoarse);
    pfor(nt, (int64_t) batch * Vc, (u1 ? 2.0 : 60.0) * d, [&](int64_t i) {
        multiscale::splitBackwardSite(u1, d, mu, Vc, rd, ev, gu, (int) (i / Vc), (int) (i % Vc), gc);
    });
}

MFLOW_JNI(void, gatherMidpoint)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f, jint mu,
                                jint nu, jlong sites, jint M, jlong w) {
    Geom g = geom(d, V, geo);
    const double* fd = dp(f);
    const int32_t* st = ip(sites);
    double* wd = dp(w);
    int dof = u1 ? 1 : 18;
    pfor(nt, (int64_t) batch * M, u1 ? 10.0 : 3000.0, [&](int64_t e) {
        multiscale::gatherElement(g, u1, fd, mu, nu, (int) (e / M), st[e % M], wd + dof * e);
    });
}

MFLOW_JNI(void, scatterMidpoint)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f, jint mu,
                                 jint nu, jlong sites, jint M, jlong w) {
    Geom g = geom(d, V, geo);
    double* fd = dp(f);
    const int32_t* st = ip(sites);
    const double* wd = dp(w);
    int dof = u1 ? 1 : 18;
    pfor(nt, (int64_t) batch * M, u1 ? 10.0 : 3000.0, [&](int64_t e) {
        multiscale::scatterElement(g, u1, fd, mu, nu, (int) (e / M), st[e % M], wd + dof * e);
    });
}

MFLOW_JNI(void, scatterMidpointBackward)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f,
                                         jint mu, jint nu, jlong sites, jint M, jlong wNew, jlong gLinks, jlong gW) {
    Geom g = geom(d, V, geo);
    const double* fd = dp(f);
    const int32_t* st = ip(sites);
    const double* wn = dp(wNew);
    double* gl = dp(gLinks);
    double* gw = dp(gW);
    int dof = u1 ? 1 : 18;
    pfor(nt, batch, (u1 ? 15.0 : 7000.0) * M, [&](int64_t bi) {
        int b = (int) bi;
        for (int j = 0; j < M; j++) {
            int64_t e = (int64_t) b * M + j;
            multiscale::scatterBackwardElement(g, u1, fd, mu, nu, b, st[j], wn + dof * e, gl, gw + dof * e);
        }
    });
}

MFLOW_JNI(void, gatherMidpointBackward)(JNIEnv*, jclass, jint nt, jint d, jint V, jlong geo, jint batch, jboolean u1, jlong f,
                                        jint mu, jint nu, jlong sites, jint M, jlong wOld, jlong gW, jlong gLinks) {
    Geom g = geom(d, V, geo);
    const double* fd = dp(f);
    const int32_t* st = ip(sites);
    const double* wo = dp(wOld);
    const double* gw = dp(gW);
    double* gl = dp(gLinks);
    int dof = u1 ? 1 : 18;
    pfor(nt, batch, (u1 ? 15.0 : 7000.0) * M, [&](int64_t bi) {
        int b = (int) bi;
        for (int j = 0; j < M; j++) {
            int64_t e = (int64_t) b * M + j;
            multiscale::gatherBackwardElement(g, u1, fd, mu, nu, b, st[j], wo + dof * e, gw + dof * e, gl);
        }
    });
}

MFLOW_JNI(void, u1Base)(JNIEnv*, jclass, jint nt, jboolean logistic, jdouble betaA, jint n, jint m, jlong in, jlong feat, jint fB,
                        jlong raw, jint rB, jlong out, jlong logJ, jboolean inverse) {
    const double* id = dp(in);
    const double* fd = dp(feat);
    const double* rd = dp(raw);
    double* od = dp(out);
    double* lj = dp(logJ);
    pfor(nt, n, logistic ? 80.0 : 200.0, [&](int64_t e) {
        multiscale::baseElement(logistic, betaA, e, m, id, fd, fB, rd, rB, inverse, od, lj);
    });
}

MFLOW_JNI(void, u1BaseBackward)(JNIEnv*, jclass, jint nt, jboolean logistic, jdouble betaA, jint n, jint m, jlong x, jlong feat,
                                jint fB, jlong raw, jint rB, jlong gY, jlong gLogJ, jlong gX, jlong gFeat, jlong gRaw) {
    const double* xd = dp(x);
    const double* fd = dp(feat);
    const double* rd = dp(raw);
    const double* gy = dp(gY);
    const double* gl = dp(gLogJ);
    double* gx = dp(gX);
    double* gf = dp(gFeat);
    double* gr = dp(gRaw);
    bool disjoint = n <= m || (fB >= m && rB >= m);
    pfor(disjoint ? nt : 1, n, logistic ? 100.0 : 250.0, [&](int64_t e) {
        multiscale::baseBackwardElement(logistic, betaA, e, m, xd, fd, fB, rd, rB, gy, gl, gx, gf, gr);
    });
}
