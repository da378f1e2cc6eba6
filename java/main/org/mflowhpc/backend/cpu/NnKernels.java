package org.mflowhpc.backend.cpu;

import java.util.concurrent.ConcurrentHashMap;

import org.mflowhpc.backend.Backend.Act;

/**
 * CPU reference kernels of the network ops of {@link org.mflowhpc.backend.Backend}: periodic d-dimensional
 * convolution (im2col + {@link CpuBackend#gemm}), activations, Adam.
 *
 * <p>Convolution. Taps t = sum_mu a_mu k^mu (a_mu in 0..k-1, direction 0 fastest) at offset a - r, r = (k-1)/2;
 * shift[t][x] = the site x + (a - r) on the periodic lattice. With N = nb*M output positions and K = cin*k^d:
 * col[(c*T + t)*N + b*M + j] = x[(b*cin + c)*V + shift[t][s_j]], Y[cout][N] = W col (2 cout K N flops), then
 * y[(b*cout + o)*M + j] = Y[o][b*M + j] + bias[o]. Backward: dW += dY col^T (with col^T built directly, so the GEMM
 * streams over the K weights of a row), dbias += row sums of dY, dcol = W^T dY (2 cout K N flops each) and a col2im
 * scatter-add into dx. Memory: K*N doubles of col, processed in chunks of
 * configurations so that col stays below 2^24 doubles (128 MiB).
 */
final class NnKernels {
    private NnKernels() {}

    private static final ConcurrentHashMap<String, int[][]> SHIFTS = new ConcurrentHashMap<>();
    private static final int COL_LIMIT = 1 << 24;
    /** Below this many weights per output channel the weight gradient uses the dot form (measured crossover). */
    private static final int SAXPY_K = 32;

    /** shift[t][x] for the k^d stencil on lat (cached per lattice and k). */
    static int[][] shifts(int[] ext, int k) {
        return SHIFTS.computeIfAbsent(java.util.Arrays.toString(ext) + "/" + k, key -> {
            int d = ext.length, V = volume(ext), r = (k - 1) / 2;
            int T = 1;
            for (int i = 0; i < d; i++) T *= k;
            int[][] sh = new int[T][V];
            int[] x = new int[d], a = new int[d];
            for (int t = 0; t < T; t++) {
                for (int i = 0, q = t; i < d; i++) { a[i] = q % k - r; q /= k; }
                for (int s = 0; s < V; s++) {
                    for (int i = 0, q = s; i < d; i++) { x[i] = q % ext[i]; q /= ext[i]; }
                    int site = 0;
                    for (int i = d - 1; i >= 0; i--) site = site * ext[i] + Math.floorMod(x[i] + a[i], ext[i]);
                    sh[t][s] = site;
                }
            }
            return sh;
        });
    }

    static int volume(int[] ext) {
        int v = 1;
        for (int e : ext) v *= e;
        return v;
    }

    private static int chunk(int nb, int K, int M) {
        return (int) Math.max(1, Math.min(nb, COL_LIMIT / Math.max(1L, (long) K * M)));
    }

    /** col rows (c, t) in parallel: each row is written by one task. */
    private static void im2col(CpuBackend be, int[][] sh, int[] sites, double[] x, int b0, int nbc, int cin, int V, int M, double[] col) {
        int T = sh.length, N = nbc * M;
        be.parallelFor(cin * T, ct -> {
            int c = ct / T, t = ct % T;
            int[] s = sh[t];
            int row = ct * N;
            for (int bb = 0; bb < nbc; bb++) {
                int src = ((b0 + bb) * cin + c) * V, dst = row + bb * M;
                if (sites == null) for (int j = 0; j < M; j++) col[dst + j] = x[src + s[j]];
                else for (int j = 0; j < M; j++) col[dst + j] = x[src + s[sites[j]]];
            }
        }, 2);
    }

    /** colT[(b*M + j)*K + c*T + t] = the transpose of {@link #im2col}'s col (rows of K taps per output site). */
    private static void im2colT(CpuBackend be, int[][] sh, int[] sites, double[] x, int b0, int nbc, int cin, int V, int M, double[] colT) {
        int T = sh.length, K = cin * T;
        be.parallelFor(nbc, bb -> {
            for (int j = 0; j < M; j++) {
                int s = sites == null ? j : sites[j], row = (bb * M + j) * K;
                for (int c = 0; c < cin; c++) {
                    int src = ((b0 + bb) * cin + c) * V, o = row + c * T;
                    for (int t = 0; t < T; t++) colT[o + t] = x[src + sh[t][s]];
                }
            }
        }, 2);
    }

    static void conv(CpuBackend be, int[] lat, int nb, int cin, int cout, int k, double[] x, double[] w, int wOff, int bOff,
                     int[] sites, double[] y) {
        int[][] sh = shifts(lat, k);
        int V = volume(lat), T = sh.length, K = cin * T, M = sites == null ? V : sites.length;
        int cb = chunk(nb, K, M);
        double[] col = new double[K * cb * M], tmp = new double[cout * cb * M];
        for (int b0 = 0; b0 < nb; b0 += cb) {
            int nbc = Math.min(cb, nb - b0), N = nbc * M;
            im2col(be, sh, sites, x, b0, nbc, cin, V, M, col);
            be.gemm(false, false, cout, N, K, 1.0, w, wOff, K, col, 0, N, 0.0, tmp, 0, N);
            for (int o = 0; o < cout; o++) {
                double bo = w[bOff + o];
                for (int bb = 0; bb < nbc; bb++) {
                    int src = o * N + bb * M, dst = ((b0 + bb) * cout + o) * M;
                    for (int j = 0; j < M; j++) y[dst + j] = tmp[src + j] + bo;
                }
            }
        }
    }

    static void convBackward(CpuBackend be, int[] lat, int nb, int cin, int cout, int k, double[] x, double[] w, int wOff,
                             int[] sites, double[] dy, double[] dx, double[] grads, int gwOff, int gbOff) {
        int[][] sh = shifts(lat, k);
        int V = volume(lat), T = sh.length, K = cin * T, M = sites == null ? V : sites.length;
        int cb = chunk(nb, K, M);
        double[] col = new double[K * cb * M], dY = new double[cout * cb * M], dcol = dx == null ? null : new double[K * cb * M];
        if (dx != null) java.util.Arrays.fill(dx, 0, nb * cin * V, 0.0);
        for (int b0 = 0; b0 < nb; b0 += cb) {
            int nbc = Math.min(cb, nb - b0), N = nbc * M;
            for (int o = 0; o < cout; o++) {
                double s = 0;
                for (int bb = 0; bb < nbc; bb++) {
                    int src = ((b0 + bb) * cout + o) * M, dst = o * N + bb * M;
                    for (int j = 0; j < M; j++) { double v = dy[src + j]; dY[dst + j] = v; s += v; }
                }
                grads[gbOff + o] += s;
            }
            if (K >= SAXPY_K) {
                // dW += dY colT: the saxpy form runs contiguously over the K weights of a row (vectorises)
                im2colT(be, sh, sites, x, b0, nbc, cin, V, M, col);
                be.gemm(false, false, cout, K, N, 1.0, dY, 0, N, col, 0, K, 1.0, grads, gwOff, K);
            } else {
                // few weights per row (per-site MLPs): dot products over N = nb*M, unrolled in the GEMM
                im2col(be, sh, sites, x, b0, nbc, cin, V, M, col);
                be.gemm(false, true, cout, K, N, 1.0, dY, 0, N, col, 0, N, 1.0, grads, gwOff, K);
            }
            if (dx == null) continue;
            be.gemm(true, false, K, N, cout, 1.0, w, wOff, K, dY, 0, N, 0.0, dcol, 0, N);
            final int fb0 = b0, fN = N;
            be.parallelFor(nbc * cin, i -> {
                int bb = i / cin, c = i % cin;
                int dst = ((fb0 + bb) * cin + c) * V;
                for (int t = 0; t < T; t++) {
                    int[] s = sh[t];
                    int src = (c * T + t) * fN + bb * M;
                    if (sites == null) for (int j = 0; j < M; j++) dx[dst + s[j]] += dcol[src + j];
                    else for (int j = 0; j < M; j++) dx[dst + s[sites[j]]] += dcol[src + j];
                }
            }, 2);
        }
    }

    // ------------------------------------------------------------------ activations

    private static final double GC = Math.sqrt(2.0 / Math.PI), GA = 0.044715, SLOPE = 0.01;

    static double value(Act a, double x) {
        switch (a) {
            case TANH: return Math.tanh(x);
            case LEAKY_RELU: return x > 0 ? x : SLOPE * x;
            case SILU: return x / (1 + Math.exp(-x));
            default: return 0.5 * x * (1 + Math.tanh(GC * (x + GA * x * x * x)));
        }
    }

    static double derivative(Act a, double x) {
        switch (a) {
            case TANH: { double t = Math.tanh(x); return 1 - t * t; }
            case LEAKY_RELU: return x > 0 ? 1 : SLOPE;
            case SILU: { double s = 1 / (1 + Math.exp(-x)); return s * (1 + x * (1 - s)); }
            default: {
                double t = Math.tanh(GC * (x + GA * x * x * x));
                return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GC * (1 + 3 * GA * x * x);
            }
        }
    }

    static void activation(CpuBackend be, Act a, int n, double[] x, double[] y) {
        be.parallelRange(n, 4096, (lo, hi) -> { for (int i = lo; i < hi; i++) y[i] = value(a, x[i]); });
    }

    static void activationBackward(CpuBackend be, Act a, int n, double[] x, double[] dy, double[] dx) {
        be.parallelRange(n, 4096, (lo, hi) -> { for (int i = lo; i < hi; i++) dx[i] = dy[i] * derivative(a, x[i]); });
    }

    // ------------------------------------------------------------------ Adam

    static void adam(int n, double[] p, double[] g, double[] m, double[] v, double lr, double b1, double b2, double eps, double wd, long t) {
        double c1 = 1 - Math.pow(b1, t), c2 = 1 - Math.pow(b2, t);
        for (int i = 0; i < n; i++) {
            double gi = g[i];
            m[i] = b1 * m[i] + (1 - b1) * gi;
            v[i] = b2 * v[i] + (1 - b2) * gi * gi;
            double upd = (m[i] / c1) / (Math.sqrt(v[i] / c2) + eps);
            p[i] -= lr * (upd + wd * p[i]);
        }
    }
}
