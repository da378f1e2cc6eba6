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
