// kernels/emu/kernel_emu_test.cpp -- the device kernels that have no per-site twin in the host library (GEMM tiles
// and split-K, the im2col convolution path, col2im gathers, block and row reductions), run on the CPU through
// cuda_emu.hpp and compared with plain loops on fresh random inputs.
//
// Contract: exit status 0 when every case agrees (GEMM and reductions to 1e-12 relative, gathers and copies exactly),
// 1 with one line per failing case otherwise. Build and run: kernels/emu/run.sh (g++ -std=c++20 -O1 -pthread).
// Launch shapes are the CUDA backend's (CudaBackend.java): 256-thread GEMM tiles with grid (ceil(n/BN), ceil(m/BM),
// S), block reductions with 256 threads; grids are kept small here (the kernels are grid-stride loops).
#include "cuda_emu.hpp"

#include "../nn.cu"
#include "../reduce.cu"

#include <cstdio>
#include <random>

namespace {

int failures = 0;
std::mt19937_64 rng(12345);

std::vector<double> gauss(size_t n) {
    std::normal_distribution<double> g;
    std::vector<double> v(n);
    for (auto& x : v) x = g(rng);
    return v;
}

void expectClose(const char* what, const std::vector<double>& ref, const std::vector<double>& got, double tol) {
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < ref.size(); i++) {
        double e = std::fabs(ref[i] - got[i]) / (1 + std::fabs(ref[i]));
        if (!(e <= worst)) { worst = e; at = i; }
    }
    if (!(worst <= tol)) {
        std::printf("FAIL %s: element %zu ref %.17g got %.17g (rel %.3g > %.3g)\n", what, at, ref[at], got[at], worst, tol);
        failures++;
    }
}

/** Row-major reference GEMM (CpuBackend.gemm's contract). */
void gemmRef(bool tA, bool tB, int m, int n, int k, double alpha, const double* A, int lda, const double* B, int ldb, double beta,
             double* C, int ldc) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) s += (tA ? A[p * lda + i] : A[i * lda + p]) * (tB ? B[j * ldb + p] : B[p * ldb + j]);
            C[i * ldc + j] = beta == 0 ? alpha * s : alpha * s + beta * C[i * ldc + j];
        }
}

/** The CUDA backend's GEMM dispatch (tile choice and split-K), on the emulator. */
void gemmDevice(bool tA, bool tB, int m, int n, int k, double alpha, const double* A, int lda, const double* B, int ldb, double beta,
                double* C, int ldc, int S) {
    bool small = m <= 16;
    int BM = small ? 16 : 64, BN = small ? 128 : 64;
    int kc = ((k + S - 1) / S + 15) / 16 * 16;
    S = (k + kc - 1) / kc;
    if (S < 1) S = 1;
    std::vector<double> work(S > 1 ? (size_t) S * m * n : 0);
    emu_dim3 grid{(unsigned) ((n + BN - 1) / BN), (unsigned) ((m + BM - 1) / BM), (unsigned) S};
    double* w = S > 1 ? work.data() : nullptr;
    if (small) emu::launch(grid, 256, mflow_dgemm_16x128, (int) tA, (int) tB, m, n, k, kc, alpha, A, lda, B, ldb, beta, C, ldc, w);
    else emu::launch(grid, 256, mflow_dgemm_64x64, (int) tA, (int) tB, m, n, k, kc, alpha, A, lda, B, ldb, beta, C, ldc, w);
    if (S > 1) emu::launch(emu_dim3{3, 1, 1}, 64, mflow_gemm_splitk_reduce, m, n, S, (const double*) work.data(), alpha, beta, C, ldc);
}

void testGemm() {
    struct Case { int m, n, k, S; };
    for (Case c : {Case{5, 7, 3, 1}, Case{16, 130, 40, 1}, Case{37, 23, 41, 1}, Case{70, 65, 17, 1}, Case{8, 72, 500, 4},
                   Case{3, 9, 1000, 7}, Case{65, 3, 33, 2}})
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (double beta : {0.0, 0.3}) {
                    int lda = (ta ? c.m : c.k) + 2, ldb = (tb ? c.k : c.n) + 1, ldc = c.n + 3;
                    auto A = gauss((size_t) lda * (ta ? c.k : c.m)), B = gauss((size_t) ldb * (tb ? c.n : c.k)), C = gauss((size_t) ldc * c.m);
                    if (beta == 0) for (auto& x : C) x = NAN;  // beta == 0 must not read C
                    auto R = C;
                    gemmRef(ta, tb, c.m, c.n, c.k, 0.7, A.data(), lda, B.data(), ldb, beta, R.data(), ldc);
                    gemmDevice(ta, tb, c.m, c.n, c.k, 0.7, A.data(), lda, B.data(), ldb, beta, C.data(), ldc, c.S);
                    // compare only the m x n window (the ldc padding is untouched)
                    std::vector<double> r, g;
                    for (int i = 0; i < c.m; i++)
                        for (int j = 0; j < c.n; j++) { r.push_back(R[i * ldc + j]); g.push_back(C[i * ldc + j]); }
                    char name[128];
                    std::snprintf(name, sizeof name, "gemm m=%d n=%d k=%d S=%d tA=%d tB=%d beta=%g", c.m, c.n, c.k, c.S, ta, tb, beta);
                    expectClose(name, r, g, 1e-12);
                    for (int i = 0; i < c.m; i++)
                        for (int j = c.n; j < ldc; j++)
                            if (!(std::isnan(C[i * ldc + j]) && beta == 0) && C[i * ldc + j] != R[i * ldc + j]) {
                                std::printf("FAIL %s: padding written at (%d, %d)\n", name, i, j);
                                failures++;
                                i = c.m;
                                break;
                            }
                }
}

/** shift[t V + s] of the k^d stencil (NnKernels.shifts). */
std::vector<int32_t> shifts(const std::vector<int>& ext, int k) {
    int d = (int) ext.size(), V = 1, T = 1, r = (k - 1) / 2;
    for (int e : ext) { V *= e; T *= k; }
    std::vector<int32_t> sh((size_t) T * V);
    for (int t = 0; t < T; t++)
        for (int s = 0; s < V; s++) {
            int site = 0, mult = 1, q = t, x = s;
            for (int i = 0; i < d; i++) {
                int a = q % k - r, xi = x % ext[i];
                q /= k; x /= ext[i];
                site += ((xi + a) % ext[i] + ext[i]) % ext[i] * mult;
                mult *= ext[i];
            }
            sh[(size_t) t * V + s] = site;
        }
    return sh;
}

void testConvPath() {
    struct Case { std::vector<int> ext; int k, cin, cout, nb, stride; };
    for (const Case& c : {Case{{6, 4}, 3, 2, 3, 3, 1}, Case{{6, 4}, 3, 4, 2, 2, 3}, Case{{2, 4, 2, 2}, 3, 1, 2, 2, 1}, Case{{9}, 5, 3, 2, 2, 2},
                          Case{{4, 2, 4}, 1, 5, 17, 3, 3}}) {
        auto sh = shifts(c.ext, c.k);
        int V = 1, T = 1;
        for (int e : c.ext) { V *= e; T *= c.k; }
        std::vector<int32_t> sites;
        for (int x = 0; x < V; x += c.stride) sites.push_back(x);
        bool all = c.stride == 1;
        int M = (int) sites.size(), K = c.cin * T, N = c.nb * M;
        const int32_t* st = all ? nullptr : sites.data();
        auto x = gauss((size_t) c.nb * c.cin * V), w = gauss((size_t) c.cout * K + c.cout);
        const double* bias = w.data() + (size_t) c.cout * K;
        // forward: im2col + GEMM + bias against the direct form
        std::vector<double> col((size_t) K * N), tmp((size_t) c.cout * N), y((size_t) c.nb * c.cout * M), yref(y.size());
        emu::launch(emu_dim3{4, 1, 1}, 64, mflow_im2col, V, T, (const int32_t*) sh.data(), c.cin, (const double*) x.data(), 0, c.nb, st, M,
                    col.data());
        gemmDevice(false, false, c.cout, N, K, 1.0, w.data(), K, col.data(), N, 0.0, tmp.data(), N, 1);
        emu::launch(emu_dim3{4, 1, 1}, 64, mflow_conv_bias_out, c.cout, 0, c.nb, M, (const double*) tmp.data(), bias, y.data());
        for (int b = 0; b < c.nb; b++)
            for (int o = 0; o < c.cout; o++)
                for (int j = 0; j < M; j++)
                    yref[((size_t) b * c.cout + o) * M + j] = mflow::nn::convOut(x.data() + (size_t) b * c.cin * V, V, c.cin, T, sh.data(),
                                                                                 st ? st[j] : j, w.data() + (size_t) o * K, bias[o]);
        expectClose("conv forward (im2col + gemm)", yref, y, 1e-12);
        // backward pieces: dY gather, dcol = W^T dY, col2im gather vs serial scatter, weight gradient GEMM vs direct
        auto dy = gauss(y.size());
        std::vector<double> dY((size_t) c.cout * N), dcol((size_t) K * N), dxg((size_t) c.nb * c.cin * V, 7.0), dxs(dxg.size(), 5.0);
        emu::launch(emu_dim3{4, 1, 1}, 64, mflow_conv_gather_dy, c.cout, 0, c.nb, M, (const double*) dy.data(), dY.data());
        gemmDevice(true, false, K, N, c.cout, 1.0, w.data(), K, dY.data(), N, 0.0, dcol.data(), N, 1);
        std::vector<int32_t> jOf(V, -1);
        for (int j = 0; j < M; j++) jOf[sites[j]] = j;
        emu::launch(emu_dim3{4, 1, 1}, 64, mflow_col2im_gather, V, T, (const int32_t*) sh.data(), c.cin, 0, c.nb,
                    all ? (const int32_t*) nullptr : (const int32_t*) jOf.data(), M, (const double*) dcol.data(), dxg.data());
        emu::launch(emu_dim3{2, 1, 1}, 32, mflow_col2im_serial, V, T, (const int32_t*) sh.data(), c.cin, 0, c.nb, st, M,
                    (const double*) dcol.data(), dxs.data());
        std::vector<double> dxr(dxg.size(), 0.0);
        for (int b = 0; b < c.nb; b++)
            for (int ci = 0; ci < c.cin; ci++)
                for (int t = 0; t < T; t++)
                    for (int j = 0; j < M; j++) {
                        double a = 0;
                        for (int o = 0; o < c.cout; o++) a += w[(size_t) o * K + ci * T + t] * dy[((size_t) b * c.cout + o) * M + j];
                        dxr[((size_t) b * c.cin + ci) * V + sh[(size_t) t * V + (st ? st[j] : j)]] += a;
                    }
        expectClose("conv dx (col2im gather)", dxr, dxg, 1e-12);
        expectClose("conv dx (col2im serial)", dxr, dxs, 1e-12);
        std::vector<double> gw = gauss((size_t) c.cout * K), gwr = gw;
        gemmDevice(false, true, c.cout, K, N, 1.0, dY.data(), N, col.data(), N, 1.0, gw.data(), K, 3);
        for (int o = 0; o < c.cout; o++)
            for (int p = 0; p < K; p++) {
                double s = 0;
                for (int n = 0; n < N; n++) s += dY[(size_t) o * N + n] * col[(size_t) p * N + n];
                gwr[(size_t) o * K + p] += s;
            }
        expectClose("conv weight gradient (split-K gemm)", gwr, gw, 1e-12);
    }
}

void testReductions() {
    for (int64_t n : {1L, 255L, 256L, 1000L, 70001L}) {
        auto x = gauss((size_t) n);
        int blocks = (int) std::min<int64_t>(8, (n + 255) / 256);
        std::vector<double> part(blocks), fin(1);
        for (int mode = 0; mode < 3; mode++) {
            double shift = mode == 2 ? 0.5 : 0;
            emu::launch(emu_dim3{(unsigned) blocks, 1, 1}, 256, mflow_block_sum, n, (const double*) x.data(), mode, shift, part.data());
            emu::launch(emu_dim3{1, 1, 1}, 256, mflow_block_sum, (int64_t) blocks, (const double*) part.data(), 0, 0.0, fin.data());
            double r = 0;
            for (double v : x) r += mode == 0 ? v : mode == 1 ? v * v : std::exp(v - shift);
            expectClose("block_sum", {r}, fin, 1e-12);
        }
        x[n / 2] = -9.5;
        emu::launch(emu_dim3{(unsigned) blocks, 1, 1}, 256, mflow_block_max, n, (const double*) x.data(), 1, part.data());
        emu::launch(emu_dim3{1, 1, 1}, 256, mflow_block_max, (int64_t) blocks, (const double*) part.data(), 1, fin.data());
        double mx = 0;
        for (double v : x) mx = std::max(mx, std::fabs(v));
        expectClose("block_max", {mx}, fin, 0);
    }
    for (int rows : {1, 3, 17})
        for (int64_t m : {1L, 31L, 300L, 1025L}) {
            int64_t ld = m + 2;
            auto x = gauss((size_t) rows * ld), out0 = gauss(rows);
            for (int mode = 0; mode < 3; mode++)
                for (int acc = 0; acc < 2; acc++) {
                    std::vector<double> out = out0, ref = out0, ser = out0;
                    double c = mode == 1 ? 7.0 : -1.3;
                    emu::launch(emu_dim3{2, 1, 1}, 256, mflow_row_reduce, rows, m, (const double*) x.data(), ld, out.data(), mode, c, acc);
                    for (int r = 0; r < rows; r++) {
                        double s = 0;
                        for (int64_t j = 0; j < m; j++) s += x[r * ld + j];
                        double v = mode == 1 ? s / c : mode == 2 ? c * s : s;
                        ref[r] = acc ? out0[r] + v : v;
                    }
                    expectClose("row_reduce", ref, out, 1e-12);
                    if (ld == m) continue;
                    std::vector<double> xc((size_t) rows * m);
                    for (int r = 0; r < rows; r++)
                        for (int64_t j = 0; j < m; j++) xc[r * m + j] = x[r * ld + j];
                    emu::launch(emu_dim3{1, 1, 1}, 32, mflow_row_sum_serial, rows, m, (const double*) xc.data(), ser.data(), mode, c, acc);
                    expectClose("row_sum_serial", ref, ser, 1e-15);
                }
        }
}

}  // namespace

int main() {
    testGemm();
    testConvPath();
    testReductions();
    if (failures) {
        std::printf("%d device-kernel emulation case(s) FAILED\n", failures);
        return 1;
    }
    std::printf("device kernels on the CPU emulator: all cases agree\n");
    return 0;
}
