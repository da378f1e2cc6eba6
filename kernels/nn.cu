// kernels/nn.cu -- device launch wrappers of the network family (kernels/nn.cuh): periodic convolution and its
// backward, activations, Adam.
//
// Contract: Backend.conv (items = outputs (b, o, j)); convBackward in three launches: bias gradients (items = output
// channels, per-chunk sums as the reference), weight gradients (items = entries (o, p); dotForm: four interleaved
// partial sums per chunk of cb configurations, else one running sum, zero dy skipped), input gradients (items =
// (b, c), taps then outputs ascending); activation / activationBackward / adam elementwise. Same accumulation order
// as the host, so equal results. Float64 here; a float32 variant for the networks is future work (docs/engine.md).
//
// Flops / bytes: conv 2 cin T per output (cin T gathered inputs); weight gradient 2 nb M per entry; input gradient
// 2 cout T M per (b, c); activation 10-30 flops, 16 B; Adam ~15 flops + sqrt, 56 B per parameter.
#include "launch.cuh"
#include "nn.cuh"

using namespace mflow;

MFLOW_KERNEL mflow_conv(int V, int T, const int32_t* shift, int nb, int cin, int cout, const double* x, const double* w, const double* bias,
                        const int32_t* sites, int M, double* y) {
    int K = cin * T;
    ITEMS(i, (int64_t) nb * cout * M) {
        int64_t r = i / M;
        int j = (int) (i % M), b = (int) (r / cout), o = (int) (r % cout);
        y[i] = nn::convOut(x + (int64_t) b * cin * V, V, cin, T, shift, sites ? sites[j] : j, w + (int64_t) o * K, bias[o]);
    }
}

MFLOW_KERNEL mflow_conv_bias_grad(int nb, int cout, int M, const double* dy, double* gb, int cb) {
    ITEMS(o, cout) {
        for (int b0 = 0; b0 < nb; b0 += cb) {
            int nbc = nb - b0 < cb ? nb - b0 : cb;
            double s = 0;
            for (int bb = 0; bb < nbc; bb++)
                for (int j = 0; j < M; j++) s += dy[((int64_t) (b0 + bb) * cout + o) * M + j];
            gb[o] += s;
        }
    }
}

MFLOW_KERNEL mflow_conv_weight_grad(int V, int T, const int32_t* shift, int nb, int cin, int cout, const double* x, const int32_t* sites,
                                    int M, const double* dy, double* gw, int cb, int dotForm) {
    int K = cin * T;
    ITEMS(q, (int64_t) cout * K) {
        int o = (int) (q / K), p = (int) (q % K), c = p / T, t = p % T;
        const int32_t* sht = shift + (int64_t) t * V;
        double g = gw[q];
        if (!dotForm) {
            for (int b = 0; b < nb; b++)
                for (int j = 0; j < M; j++) {
                    double a = dy[((int64_t) b * cout + o) * M + j];
                    if (a == 0) continue;
                    g += a * x[((int64_t) b * cin + c) * V + sht[sites ? sites[j] : j]];
                }
        } else {
            for (int b0 = 0; b0 < nb; b0 += cb) {
                int nbc = nb - b0 < cb ? nb - b0 : cb;
                int64_t N = (int64_t) nbc * M, n = 0;
                double s[4] = {0, 0, 0, 0};
                for (; n < N; n++) {
                    int b = b0 + (int) (n / M), j = (int) (n % M);
                    double v = dy[((int64_t) b * cout + o) * M + j] * x[((int64_t) b * cin + c) * V + sht[sites ? sites[j] : j]];
                    s[n < (N / 4) * 4 ? n % 4 : 0] += v;
                }
                g += 1.0 * ((s[0] + s[1]) + (s[2] + s[3]));
            }
        }
        gw[q] = g;
    }
}

MFLOW_KERNEL mflow_conv_input_grad(int V, int T, const int32_t* shift, int nb, int cin, int cout, const double* w, const int32_t* sites,
                                   int M, const double* dy, double* dx) {
    int K = cin * T;
    ITEMS(r, (int64_t) nb * cin) {
        int b = (int) (r / cin), c = (int) (r % cin);
        double* xo = dx + r * V;
        for (int s = 0; s < V; s++) xo[s] = 0;
        const double* dyb = dy + (int64_t) b * cout * M;
        for (int t = 0; t < T; t++) {
            const int32_t* sht = shift + (int64_t) t * V;
            for (int j = 0; j < M; j++) xo[sht[sites ? sites[j] : j]] += nn::convDcol(w, K, cout, c * T + t, dyb, M, j);
        }
    }
}

MFLOW_KERNEL mflow_activation(int act, int n, const double* x, double* y) {
    ITEMS(i, n) y[i] = nn::actValue(act, x[i]);
}

MFLOW_KERNEL mflow_activation_backward(int act, int n, const double* x, const double* dy, double* dx) {
    ITEMS(i, n) dx[i] = dy[i] * nn::actDerivative(act, x[i]);
}

MFLOW_KERNEL mflow_adam(int n, double* p, const double* g, double* m, double* v, double lr, double b1, double b2, double eps, double wd,
                        double c1, double c2) {
    ITEMS(i, n) nn::adamElement(i, p, g, m, v, lr, b1, b2, eps, wd, c1, c2);
}

// ---------------------------------------------------------------------------------------------------------------
// GEMM and the im2col form of the convolution (the CUDA backend's default path; the direct-form kernels above are
// its bit-identical alternative, MFLOW_CUDA_CONV=direct).
//
// mflow_dgemm_64x64 / mflow_dgemm_16x128: C = alpha op(A) op(B) + beta C, ROW-MAJOR like CpuBackend.gemm: op(A) is
// m x k with A(i, p) = tA ? A[p lda + i] : A[i lda + p], op(B) is k x n with B(p, j) = tB ? B[j ldb + p] : B[p ldb + j],
// C[i ldc + j]; beta == 0 never reads C. Tiles of BM x BN outputs per 256-thread block (launch blockDim.x = 256,
// grid (ceil(n / BN), ceil(m / BM), S)), k in steps of 16 through shared memory, each thread TM x TN outputs in
// registers with fused multiply-adds (fma: the one place in the device code that fuses; GEMM results agree with the
// reference to rounding, not bit for bit). Split-K: blockIdx.z = z of S slices takes k in [z kc, min(k, (z + 1) kc));
// with S > 1 each slice writes its raw partial sums to work[(z m + i) n + j] and mflow_gemm_splitk_reduce adds the
// slices in z order (deterministic) and applies alpha and beta.
//
// Flops / bytes: 2 m n k flops; reads (m k + k n) x 8 B once per tile row / column (m n k (1/BN + 1/BM) x 8 B through
// the L2), writes m n x 8 B (S m n x 8 B + a second pass with split-K).
// ---------------------------------------------------------------------------------------------------------------

namespace {

template <int BM, int BN, int TM, int TN>
__device__ void dgemmTile(int tA, int tB, int m, int n, int k, int kc, double alpha, const double* __restrict__ A, int lda,
                          const double* __restrict__ B, int ldb, double beta, double* __restrict__ C, int ldc,
                          double* __restrict__ work) {
    constexpr int BK = 16;
    constexpr int NX = BN / TN, NY = BM / TM, NT = NX * NY;
    static_assert(NT == 256, "dgemm tiles are launched with 256 threads");
    __shared__ double As[BK][BM + 1];
    __shared__ double Bs[BK][BN + 1];
    const int tid = threadIdx.x, tx = tid % NX, ty = tid / NX;
    const int i0 = blockIdx.y * BM, j0 = blockIdx.x * BN;
    const int kb = blockIdx.z * kc;
    const int ke = kb + kc < k ? kb + kc : k;
    double acc[TM][TN];
#pragma unroll
    for (int r = 0; r < TM; r++)
#pragma unroll
        for (int c = 0; c < TN; c++) acc[r][c] = 0;
    for (int p0 = kb; p0 < ke; p0 += BK) {
        for (int e = tid; e < BM * BK; e += NT) {
            int ii, pp;
            if (tA) { ii = e % BM; pp = e / BM; }  // A[p lda + i]: consecutive threads, consecutive i
            else { pp = e % BK; ii = e / BK; }     // A[i lda + p]: consecutive threads, consecutive p
            int gi = i0 + ii, gp = p0 + pp;
            double v = 0;
            if (gi < m && gp < ke) v = tA ? A[(int64_t) gp * lda + gi] : A[(int64_t) gi * lda + gp];
            As[pp][ii] = v;
        }
        for (int e = tid; e < BN * BK; e += NT) {
            int jj, pp;
            if (tB) { pp = e % BK; jj = e / BK; }  // B[j ldb + p]
            else { jj = e % BN; pp = e / BN; }     // B[p ldb + j]
            int gj = j0 + jj, gp = p0 + pp;
            double v = 0;
            if (gj < n && gp < ke) v = tB ? B[(int64_t) gj * ldb + gp] : B[(int64_t) gp * ldb + gj];
            Bs[pp][jj] = v;
        }
        __syncthreads();
#pragma unroll
        for (int pp = 0; pp < BK; pp++) {
            double a[TM], b[TN];
#pragma unroll
            for (int r = 0; r < TM; r++) a[r] = As[pp][ty + r * NY];
#pragma unroll
            for (int c = 0; c < TN; c++) b[c] = Bs[pp][tx + c * NX];
#pragma unroll
            for (int r = 0; r < TM; r++)
#pragma unroll
                for (int c = 0; c < TN; c++) acc[r][c] = fma(a[r], b[c], acc[r][c]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int r = 0; r < TM; r++)
#pragma unroll
        for (int c = 0; c < TN; c++) {
            int i = i0 + ty + r * NY, j = j0 + tx + c * NX;
            if (i >= m || j >= n) continue;
            if (work) {
                work[((int64_t) blockIdx.z * m + i) * n + j] = acc[r][c];
            } else {
                double* cp = C + (int64_t) i * ldc + j;
                *cp = beta == 0 ? alpha * acc[r][c] : alpha * acc[r][c] + beta * *cp;
            }
        }
}

}  // namespace

MFLOW_KERNEL mflow_dgemm_64x64(int tA, int tB, int m, int n, int k, int kc, double alpha, const double* A, int lda, const double* B,
                               int ldb, double beta, double* C, int ldc, double* work) {
    dgemmTile<64, 64, 4, 4>(tA, tB, m, n, k, kc, alpha, A, lda, B, ldb, beta, C, ldc, work);
}

MFLOW_KERNEL mflow_dgemm_16x128(int tA, int tB, int m, int n, int k, int kc, double alpha, const double* A, int lda, const double* B,
                                int ldb, double beta, double* C, int ldc, double* work) {
    dgemmTile<16, 128, 1, 8>(tA, tB, m, n, k, kc, alpha, A, lda, B, ldb, beta, C, ldc, work);
}

/** C[i ldc + j] = alpha sum_{z < S} work[(z m + i) n + j] (+ beta C), z ascending; items (i, j). */
MFLOW_KERNEL mflow_gemm_splitk_reduce(int m, int n, int S, const double* work, double alpha, double beta, double* C, int ldc) {
    ITEMS(q, (int64_t) m * n) {
        double s = 0;
        for (int z = 0; z < S; z++) s += work[(int64_t) z * m * n + q];
        double* cp = C + (q / n) * ldc + q % n;
        *cp = beta == 0 ? alpha * s : alpha * s + beta * *cp;
    }
}

/**
 * im2col of configurations b0 .. b0 + nbc - 1: col[p N + bb M + j] = x[((b0 + bb) cin + c) V + shift[t V + s_j]],
 * p = c T + t, N = nbc M, s_j = sites[j] (or j); items (p, n). 8 B read (gathered) and 8 B written per item.
 */
MFLOW_KERNEL mflow_im2col(int V, int T, const int32_t* shift, int cin, const double* x, int b0, int nbc, const int32_t* sites, int M,
                          double* col) {
    int64_t N = (int64_t) nbc * M;
    ITEMS(i, (int64_t) cin * T * N) {
        int p = (int) (i / N);
        int64_t q = i % N;
        int c = p / T, t = p % T, bb = (int) (q / M), j = (int) (q % M);
        int s = sites ? sites[j] : j;
        col[i] = x[((int64_t) (b0 + bb) * cin + c) * V + shift[(int64_t) t * V + s]];
    }
}

/** y[((b0 + bb) cout + o) M + j] = tmp[o N + bb M + j] + bias[o]; items (o, bb, j). 16 B per item. */
MFLOW_KERNEL mflow_conv_bias_out(int cout, int b0, int nbc, int M, const double* tmp, const double* bias, double* y) {
    int64_t N = (int64_t) nbc * M;
    ITEMS(i, (int64_t) cout * N) {
        int o = (int) (i / N);
        int64_t q = i % N;
        int bb = (int) (q / M), j = (int) (q % M);
        y[((int64_t) (b0 + bb) * cout + o) * M + j] = tmp[i] + bias[o];
    }
}

/** dY[o N + bb M + j] = dy[((b0 + bb) cout + o) M + j] (the chunk's output gradients as a cout x N matrix); 16 B per item. */
MFLOW_KERNEL mflow_conv_gather_dy(int cout, int b0, int nbc, int M, const double* dy, double* dY) {
    int64_t N = (int64_t) nbc * M;
    ITEMS(i, (int64_t) cout * N) {
        int o = (int) (i / N);
        int64_t q = i % N;
        int bb = (int) (q / M), j = (int) (q % M);
        dY[i] = dy[((int64_t) (b0 + bb) * cout + o) * M + j];
    }
}

/**
 * col2im as a gather (deterministic, no atomics): dx[((b0 + bb) cin + c) V + s] = sum over taps t ascending of
 * dcol[(c T + t) N + bb M + j] where s_j = shift_t^{-1}(s) = shift[(T - 1 - t) V + s] (the mirrored tap is the inverse
 * translation) and j = jOf[that site] (-1: no output there, skipped); jOf null means all sites are outputs (j = site).
 * Requires distinct output sites (the caller checks). Overwrites dx of the chunk; items (bb, c, s). T loads per item.
 */
MFLOW_KERNEL mflow_col2im_gather(int V, int T, const int32_t* shift, int cin, int b0, int nbc, const int32_t* jOf, int M,
                                 const double* dcol, double* dx) {
    int64_t N = (int64_t) nbc * M;
    ITEMS(i, (int64_t) nbc * cin * V) {
        int s = (int) (i % V);
        int64_t r = i / V;
        int c = (int) (r % cin), bb = (int) (r / cin);
        double acc = 0;
        for (int t = 0; t < T; t++) {
            int src = shift[(int64_t) (T - 1 - t) * V + s];
            int j = jOf ? jOf[src] : src;
            if (j < 0) continue;
            acc += dcol[((int64_t) c * T + t) * N + (int64_t) bb * M + j];
        }
        dx[((int64_t) (b0 + bb) * cin + c) * V + s] = acc;
    }
}

/**
 * col2im as the reference's serial scatter (output site lists with repeated sites): per (bb, c), dx zeroed, then
 * dx[shift_t(s_j)] += dcol[(c T + t) N + bb M + j] for t, then j ascending; items (bb, c).
 */
MFLOW_KERNEL mflow_col2im_serial(int V, int T, const int32_t* shift, int cin, int b0, int nbc, const int32_t* sites, int M,
                                 const double* dcol, double* dx) {
    int64_t N = (int64_t) nbc * M;
    ITEMS(r, (int64_t) nbc * cin) {
        int c = (int) (r % cin), bb = (int) (r / cin);
        double* xo = dx + ((int64_t) (b0 + bb) * cin + c) * V;
        for (int s = 0; s < V; s++) xo[s] = 0;
        for (int t = 0; t < T; t++) {
            const int32_t* sht = shift + (int64_t) t * V;
            const double* src = dcol + ((int64_t) c * T + t) * N + (int64_t) bb * M;
            for (int j = 0; j < M; j++) xo[sht[sites ? sites[j] : j]] += src[j];
        }
    }
}
