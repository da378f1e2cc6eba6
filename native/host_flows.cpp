// native/host_flows.cpp -- JNI entry points of the link-flow family (U(1) ncpK / rqsK, SU(3) spectralK: forward,
// inverse, backward on batches of elements) for backend `host`.
//
// Contract: Backend.linkFlowForward / linkFlowInverse / linkFlowBackward on raw addresses; per-element maps in
// kernels/flow_u1.cuh and kernels/flow_su3.cuh. Element e = b m + j reads its parameters at raw[rOff + b rB + k m + j]
// (rOff, the buffer offset, is applied by the caller) with stride m; elements write disjoint outputs and disjoint
// parameter-gradient entries, so all three run in parallel over elements. Kind codes: 0 = ncp, 1 = rqs,
// 2 = spectral (LinkFlow.Kind ordinals).
//
// Layout: U(1) one double per element, SU(3) 18; logJ one per element.
//
// Flops / bytes: kernels/flow_u1.cuh, kernels/flow_su3.cuh (spectral ~3000 + 60 K flops forward per element).
#include "host.hpp"

#include "../kernels/flow_su3.cuh"
#include "../kernels/flow_u1.cuh"

using namespace mflow;
using namespace mflow::host;

MFLOW_JNI(void, linkFlow)(JNIEnv*, jclass, jint nt, jint kind, jint K, jint n, jint m, jlong w, jlong raw, jint rB, jlong out,
                          jlong logJ, jboolean inverse) {
    const double* wd = dp(w);
    const double* rd = dp(raw);
    double* od = dp(out);
    double* lj = dp(logJ);
    if (kind == 0 || kind == 1) {
        flow::Ncp ncp{K};
        flow::Rqs rqs = flow::Rqs::make(kind == 1 ? K : 2);
        pfor(nt, n, (inverse ? 600.0 : 60.0) * K, [&](int64_t e) {
            int64_t off = (e / m) * rB + e % m;
            double r[2];
            if (kind == 0) {
                if (inverse) ncp.inverse(wd[e], rd, off, m, r); else ncp.forward(wd[e], rd, off, m, r);
            } else {
                if (inverse) rqs.inverse(wd[e], rd, off, m, r); else rqs.forward(wd[e], rd, off, m, r);
            }
            od[e] = r[0];
            lj[e] = r[1];
        });
        return;
    }
    flow::Spectral sf{K};
    pfor(nt, n, inverse ? 8000.0 : 4000.0, [&](int64_t e) {
        int64_t off = (e / m) * rB + e % m;
        lj[e] = inverse ? sf.inverse(wd + 18 * e, rd, off, m, od + 18 * e) : sf.forward(wd + 18 * e, rd, off, m, od + 18 * e);
    });
}

MFLOW_JNI(void, linkFlowBackward)(JNIEnv*, jclass, jint nt, jint kind, jint K, jint n, jint m, jlong w, jlong raw, jint rB,
                                  jlong gOut, jlong gLogJ, jlong gW, jlong gRaw) {
    const double* wd = dp(w);
    const double* rd = dp(raw);
    const double* go = dp(gOut);
    const double* gl = dp(gLogJ);
    double* gw = dp(gW);
    double* gr = dp(gRaw);
    if (kind == 0 || kind == 1) {
        flow::Ncp ncp{K};
        flow::Rqs rqs = flow::Rqs::make(kind == 1 ? K : 2);
        pfor(nt, n, 120.0 * K, [&](int64_t e) {
            int64_t off = (e / m) * rB + e % m;
            gw[e] = kind == 0 ? ncp.backward(wd[e], rd, off, m, go[e], gl[e], gr, off, m)
                              : rqs.backward(wd[e], rd, off, m, go[e], gl[e], gr, off, m);
        });
        return;
    }
    flow::Spectral sf{K};
    pfor(nt, n, 7000.0, [&](int64_t e) {
        int64_t off = (e / m) * rB + e % m;
        sf.backward(wd + 18 * e, rd, off, m, go + 18 * e, gl[e], gw + 18 * e, gr, off, m);
    });
}
