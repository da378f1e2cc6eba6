// kernels/flows.cu -- device launch wrappers of the link-flow family (kernels/flow_u1.cuh, kernels/flow_su3.cuh):
// forward, inverse, backward of ncpK, rqsK (U(1)) and spectralK (SU(3)) on batches of elements.
//
// Contract: Backend.linkFlowForward / linkFlowInverse / linkFlowBackward; kind 0 = ncp, 1 = rqs, 2 = spectral;
// items = elements e = b m + j, parameters at raw[(e / m) rB + k m + e % m] (raw already offset by rOff); elements
// own disjoint outputs and parameter-gradient entries. Float64 throughout (the flows feed log q and log w).
//
// Flops / bytes per element: ncp ~25 K flops + K (exp, atan2); rqs O(K); spectral forward ~3000 + 60 K flops and
// 20 + 4 K transcendentals, backward ~4500 + 120 K; reads 8 or 144 B of W and 8 P B of parameters.
#include "launch.cuh"
#include "flow_su3.cuh"
#include "flow_u1.cuh"

using namespace mflow;

MFLOW_KERNEL mflow_link_flow(int kind, int K, int n, int m, const double* w, const double* raw, int rB, double* out, double* logJ,
                             int inverse) {
    ITEMS(e, n) {
        int64_t off = (e / m) * rB + e % m;
        if (kind == 2) {
            flow::Spectral sf{K};
            logJ[e] = inverse ? sf.inverse(w + 18 * e, raw, off, m, out + 18 * e) : sf.forward(w + 18 * e, raw, off, m, out + 18 * e);
        } else {
            double r[2];
            if (kind == 0) {
                flow::Ncp f{K};
                if (inverse) f.inverse(w[e], raw, off, m, r); else f.forward(w[e], raw, off, m, r);
            } else {
                flow::Rqs f = flow::Rqs::make(K);
                if (inverse) f.inverse(w[e], raw, off, m, r); else f.forward(w[e], raw, off, m, r);
            }
            out[e] = r[0];
            logJ[e] = r[1];
        }
    }
}

MFLOW_KERNEL mflow_link_flow_backward(int kind, int K, int n, int m, const double* w, const double* raw, int rB, const double* gOut,
                                      const double* gLogJ, double* gW, double* gRaw) {
    ITEMS(e, n) {
        int64_t off = (e / m) * rB + e % m;
        if (kind == 2) {
            flow::Spectral sf{K};
            sf.backward(w + 18 * e, raw, off, m, gOut + 18 * e, gLogJ[e], gW + 18 * e, gRaw, off, m);
        } else if (kind == 0) {
            flow::Ncp f{K};
            gW[e] = f.backward(w[e], raw, off, m, gOut[e], gLogJ[e], gRaw, off, m);
        } else {
            flow::Rqs f = flow::Rqs::make(K);
            gW[e] = f.backward(w[e], raw, off, m, gOut[e], gLogJ[e], gRaw, off, m);
        }
    }
}
