// kernels/reduce.cu -- device launch wrappers of the reduction and vector family (kernels/reduce.cuh): block sums,
// row sums, log-sum-exp, max |x|, scale, axpy, fill, broadcast.
//
// Contract: mflow_block_sum writes one partial sum per block (mode 0: x, 1: x^2, 2: exp(x - shift)) in a fixed tree
// order over a 256-thread block (launch with blockDim.x = 256): deterministic for a given launch, equal to the
// sequential sum to rounding; a second launch over the partials finishes. Row sums: one thread per row, the row in
// index order (bit-identical to the host). mflow_block_max: per-block max |x| (NaN propagates).
//
// Flops / bytes: sums 1-2 flops and 8 B per element; row sums m flops and 8 m B per row; scale / axpy 1-2 flops,
// 16-24 B per element.
#include "launch.cuh"
#include "reduce.cuh"

using namespace mflow;

MFLOW_KERNEL mflow_block_sum(int64_t n, const double* x, int mode, double shift, double* partial) {
    __shared__ double s[256];
    double acc = 0;
    ITEMS(i, n) {
        double v = x[i];
        acc += mode == 0 ? v : mode == 1 ? v * v : exp(v - shift);
    }
    s[threadIdx.x] = acc;
    __syncthreads();
    for (int h = 128; h > 0; h >>= 1) {
        if (threadIdx.x < h) s[threadIdx.x] += s[threadIdx.x + h];
        __syncthreads();
    }
    if (threadIdx.x == 0) partial[blockIdx.x] = s[0];
}

MFLOW_KERNEL mflow_block_max(int64_t n, const double* x, int absolute, double* partial) {
    __shared__ double s[256];
    double acc = absolute ? 0 : -INFINITY;
    ITEMS(i, n) acc = jmax(acc, absolute ? fabs(x[i]) : x[i]);
    s[threadIdx.x] = acc;
    __syncthreads();
    for (int h = 128; h > 0; h >>= 1) {
        if (threadIdx.x < h) s[threadIdx.x] = jmax(s[threadIdx.x], s[threadIdx.x + h]);
        __syncthreads();
    }
    if (threadIdx.x == 0) partial[blockIdx.x] = s[0];
}

MFLOW_KERNEL mflow_sum_rows(int nb, int m, const double* x, double* out, int accumulate) {
    ITEMS(b, nb) {
        double s = reduce::sum(x + b * m, m);
        out[b] = accumulate ? out[b] + s : s;
    }
}

MFLOW_KERNEL mflow_broadcast_rows(int nb, int m, const double* x, double* out) {
    ITEMS(i, (int64_t) nb * m) out[i] = x[i / m];
}

MFLOW_KERNEL mflow_scale(int64_t n, double* x, double s) {
    ITEMS(i, n) x[i] *= s;
}

MFLOW_KERNEL mflow_axpy(int64_t n, double a, const double* x, double* y) {
    ITEMS(i, n) y[i] += a * x[i];
}

MFLOW_KERNEL mflow_fill(int64_t n, double* x, double v) {
    ITEMS(i, n) x[i] = v;
}

/**
 * Per-row reduction, one 256-thread block per row (grid-stride over rows; launch blockDim.x = 256): s_r = sum_j
 * x[r ld + j] in a fixed order (thread t sums j = t, t + 256, ..., then a tree over the block): deterministic,
 * equal to the sequential row sum to rounding. Result: mode 0 out[r] = s
 * (accumulate: out[r] + s), mode 1 out[r] = s / c (mean plaquette), mode 2 out[r] = c s (action, c = -beta).
 * 8 B read per element, 8 B written per row.
 */
MFLOW_KERNEL mflow_row_reduce(int rows, int64_t m, const double* x, int64_t ld, double* out, int mode, double c, int accumulate) {
    __shared__ double s[256];
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const double* row = x + r * ld;
        double acc = 0;
        for (int64_t j = threadIdx.x; j < m; j += blockDim.x) acc += row[j];
        s[threadIdx.x] = acc;
        __syncthreads();
        for (int h = 128; h > 0; h >>= 1) {
            if (threadIdx.x < h) s[threadIdx.x] += s[threadIdx.x + h];
            __syncthreads();
        }
        if (threadIdx.x == 0) {
            double v = mode == 1 ? s[0] / c : mode == 2 ? c * s[0] : s[0];
            out[r] = accumulate ? out[r] + v : v;
        }
        __syncthreads();
    }
}

/** Serial row sums as the reference (bit-identical), for short rows: out[r] = f(sum_j x[r m + j]) as mflow_row_reduce. */
MFLOW_KERNEL mflow_row_sum_serial(int rows, int64_t m, const double* x, double* out, int mode, double c, int accumulate) {
    ITEMS(r, rows) {
        double s = reduce::sum(x + r * m, m);
        double v = mode == 1 ? s / c : mode == 2 ? c * s : s;
        out[r] = accumulate ? out[r] + v : v;
    }
}
