// kernels/reduce.cuh -- reductions and elementwise vector ops (Backend.sum, sumSquares, sumRows, logSumExp, maxAbs,
// scale, axpy, broadcastRows).
//
// Contract. The sequential definitions below (index order, from +0.0) are the CPU reference's order; the host
// backend runs exactly these loops (serial for the scalar reductions, parallel over rows or elements otherwise), so
// its results are bit-identical to CpuBackend. Device wrappers (reduce.cu) reduce in a fixed tree order per launch
// configuration: deterministic, equal to the sequential sums to rounding (a named tolerance in the contract tests).
// logSumExp: max-shifted, NaN if any element is NaN, +-inf passed through; maxAbs: NaN if any element is NaN.
//
// Layout: plain vectors; rows of m elements, x[b m + j].
//
// Flops / bytes: sum n flops, 8n B; sumSquares 2n, 8n B; logSumExp n exp + 2n flops, 16n B (two passes); maxAbs n,
// 8n B; scale n, 16n B; axpy 2n, 24n B; sumRows n, 8n B + 8 nb written.
#pragma once

#include "core.cuh"

namespace mflow {
namespace reduce {

MFLOW_HD double sum(const double* a, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i];
    return s;
}

MFLOW_HD double sumSquares(const double* a, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * a[i];
    return s;
}

MFLOW_HD double logSumExp(const double* a, int64_t n) {
    double mx = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        if (a[i] != a[i]) return NAN;
        mx = jmax(mx, a[i]);
    }
    if (mx == -INFINITY || mx == INFINITY) return mx;
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += std::exp(a[i] - mx);
    return mx + std::log(s);
}

MFLOW_HD double maxAbs(const double* a, int64_t n) {
    double mx = 0;
    for (int64_t i = 0; i < n; i++) {
        if (a[i] != a[i]) return NAN;
        mx = jmax(mx, std::fabs(a[i]));
    }
    return mx;
}

}  // namespace reduce
}  // namespace mflow
