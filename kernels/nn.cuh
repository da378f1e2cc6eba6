// kernels/nn.cuh -- network layers per element: periodic d-dimensional convolution in direct form (one output
// value, one weight-gradient entry, one input-gradient entry at a time), activations, Adam (backend/cpu/NnKernels.java
// and CpuBackend.gemm, in the same accumulation order, so results are bit-identical to the reference).
//
// Contract (Backend.conv). y[b][o][j] = bias[o] + sum_{c,t} W[o][c][t] x[b][c][shift_t(s_j)], taps t over the k^d
// stencil (direction 0 fastest, offsets -r..r), s_j = outSites[j] (or j). The reference computes the sum as a GEMM
// over p = c T + t ascending, starting from +0.0 and skipping zero weights, then adds the bias: so does convOut.
// Backward: dbias[o] += per-chunk sums of dy (chunks of configurations as the reference's im2col chunks);
// dW[o][p] += sum over n = (b, j) ascending of dy[b][o][j] x[b][c][shift_t(s_j)] (K = cin T >= 32: one running
// sum, zero dy skipped; K < 32: per chunk, four interleaved partial sums (s0 + s1) + (s2 + s3), tail into s0);
// dx[b][c][shift_t(s_j)] += sum_o W[o][c][t] dy[b][o][j] (o ascending, zero weights skipped), t then j ascending.
// Activations (LEAKY_RELU slope 0.01, GELU tanh form) and Adam(W) as in Backend.java; Adam's bias corrections
// c1 = 1 - b1^t, c2 = 1 - b2^t are computed by the caller (Java's Math.pow), so the update is exact arithmetic.
//
// Layout: x[(b cin + c) V + s], y and dy[(b cout + o) M + j], W[o][c][t] at wts[wOff + o K + c T + t], shift[t V + s].
//
// Flops / bytes: convOut 2 cin T flops, reads cin T doubles (gathered) + the weight row; weight gradient 2 N flops
// per entry; input gradient 2 cout flops per (b, c, t, j); activation 10-30 flops, 16 B; Adam ~15 flops + sqrt, 56 B.
#pragma once

#include "core.cuh"

namespace mflow {
namespace nn {

enum Act { TANH = 0, LEAKY_RELU = 1, SILU = 2, GELU = 3 };

constexpr double GA = 0.044715, SLOPE = 0.01;

/** sqrt(2 / pi) as Java computes it (Math.sqrt is correctly rounded, so is std::sqrt). */
MFLOW_HD double geluC() { return std::sqrt(2.0 / PI); }

MFLOW_HD double actValue(int a, double x) {
    switch (a) {
        case TANH: return std::tanh(x);
        case LEAKY_RELU: return x > 0 ? x : SLOPE * x;
        case SILU: return x / (1 + std::exp(-x));
        default: return 0.5 * x * (1 + std::tanh(geluC() * (x + GA * x * x * x)));
    }
}

MFLOW_HD double actDerivative(int a, double x) {
    switch (a) {
        case TANH: { double t = std::tanh(x); return 1 - t * t; }
        case LEAKY_RELU: return x > 0 ? 1 : SLOPE;
        case SILU: { double s = 1 / (1 + std::exp(-x)); return s * (1 + x * (1 - s)); }
        default: {
            double gc = geluC();
            double t = std::tanh(gc * (x + GA * x * x * x));
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * gc * (1 + 3 * GA * x * x);
        }
    }
}

/** One Adam(W) step of parameter i (c1 = 1 - b1^t, c2 = 1 - b2^t). */
MFLOW_HD void adamElement(int64_t i, double* p, const double* g, double* m, double* v, double lr, double b1, double b2,
                          double eps, double wd, double c1, double c2) {
    double gi = g[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    double upd = (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
    p[i] -= lr * (upd + wd * p[i]);
}

/**
 * One convolution output: xb = x + b cin V, wrow = the K = cin T weights of output channel o, s the output site.
 */
MFLOW_HD double convOut(const double* xb, int V, int cin, int T, const int32_t* shift, int s, const double* wrow, double bias) {
    double acc = 0;
    for (int c = 0; c < cin; c++) {
        const double* xc = xb + (int64_t) c * V;
        for (int t = 0; t < T; t++) {
            double w = wrow[c * T + t];
            if (w == 0) continue;
            acc += w * xc[shift[(int64_t) t * V + s]];
        }
    }
    return acc + bias;
}

/**
 * Input gradient of tap (c, t) at output j of configuration b: sum_o W[o][c T + t] dy[b][o][j], o ascending, zero
 * weights skipped (the reference's W^T dY GEMM).
 */
MFLOW_HD double convDcol(const double* w, int K, int cout, int p, const double* dyb, int M, int j) {
    double acc = 0;
    for (int o = 0; o < cout; o++) {
        double a = w[(int64_t) o * K + p];
        if (a == 0) continue;
        acc += a * dyb[(int64_t) o * M + j];
    }
    return acc;
}

}  // namespace nn
}  // namespace mflow
