package org.mflowhpc.nn;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.rng.RngStream;

/**
 * Periodic 2D convolution (cross-correlation) Cin -> Cout with a k x k kernel (k odd) and bias, on batches of
 * L0 x L1 periodic fields; k = 1 is the per-site dense layer.
 *
 * <p>Formula: y[b][o][x] = bias[o] + sum_{c, a1, a0} W[o][c][a1][a0] * in[b][c][x + (a0 - r, a1 - r)], r = (k-1)/2,
 * indices periodic. Parameter blocks: {@code <name>.weight} shape [Cout, Cin, k, k] (row-major, so the GEMM
 * matrix W is Cout x K with K = Cin*k*k and column index c*k*k + a1*k + a0), {@code <name>.bias} shape [Cout].
 * Field layout [b][c][site] (see {@link Layer}).
 *
 * <p>Method: im2col. With N = nb*V, col[K][N] (column n = b*V + x) holds the stencil inputs; forward is one
 * Backend.gemm Y[Cout][N] = W col (2*Cout*K*N flops), then a permutation to [b][o][x] plus bias. Backward:
 * dW += dY colT (one gemm, colT[N][K] rebuilt from x; 2*Cout*K*N flops), dcol = W^T dY (2*Cout*K*N flops) and a
 * col2im scatter-add into dx. Memory per call: K*N doubles for col (plus Cout*N for the permuted output).
 * The backward context keeps a reference to x (not a copy).
 *
 * <p>Output on a subset of sites ({@link #forwardAt}): with a sorted site list S of length M the output is
 * y[(b*Cout + o)*M + j] = the value at site S[j]; N = nb*M in all the costs above (the coupling layers use it to
 * evaluate the last conditioner layer only where a circle flow is applied). Input and dx are always full fields.
 *
 * <p>Init (PyTorch default): W and bias uniform in (-1/sqrt(K), 1/sqrt(K)), drawn in block order from the stream.
 */
public final class Conv2D implements Layer {
    private final Backend be;
    private final Params params;
    private final Params.Block w, bias;
    private final int cin, cout, k;

    public Conv2D(Backend be, Params params, String name, int cin, int cout, int k) {
        if (cin < 1 || cout < 1) throw new IllegalArgumentException("conv channels must be >= 1");
        if (k < 1 || (k & 1) == 0) throw new IllegalArgumentException("conv kernel size must be odd, got " + k);
        this.be = be; this.params = params; this.cin = cin; this.cout = cout; this.k = k;
        this.w = params.add(name + ".weight", cout, cin, k, k);
        this.bias = params.add(name + ".bias", cout);
    }

    /** Per-site dense layer (1x1 convolution). */
    public static Conv2D dense(Backend be, Params params, String name, int cin, int cout) {
        return new Conv2D(be, params, name, cin, cout, 1);
    }

    @Override public int inChannels() { return cin; }
    @Override public int outChannels() { return cout; }
    public int kernel() { return k; }
    public Params.Block weightBlock() { return w; }
    public Params.Block biasBlock() { return bias; }

    private static final class Ctx {
        final double[] x; final int nb, l0, l1; final int[] sites;
        Ctx(double[] x, int nb, int l0, int l1, int[] sites) { this.x = x; this.nb = nb; this.l0 = l0; this.l1 = l1; this.sites = sites; }
    }

    @Override public void init(RngStream rng) {
        double[] v = params.values();
        double bound = 1.0 / Math.sqrt(cin * k * k);
        for (int i = 0; i < w.size; i++) v[w.offset + i] = bound * (2 * rng.uniform() - 1);
        for (int i = 0; i < bias.size; i++) v[bias.offset + i] = bound * (2 * rng.uniform() - 1);
    }

    /** Stencil table restricted to the output sites: out[t][j] = shift[t][sites[j]] (sites null: all). */
    private int[][] taps(int l0, int l1, int[] sites) {
        int[][] sh = Grid2D.shifts(l0, l1, k);
        if (sites == null) return sh;
        int[][] r = new int[sh.length][sites.length];
        for (int t = 0; t < sh.length; t++) for (int j = 0; j < sites.length; j++) r[t][j] = sh[t][sites[j]];
        return r;
    }

    /** col[(c*kk + t)*N + b*M + j] = x_in[(b*cin + c)*V + tap[t][j]]. */
    private void im2col(double[] x, int nb, int V, int M, int[][] sh, double[] col) {
        int kk = k * k, N = nb * M;
        for (int c = 0; c < cin; c++)
            for (int t = 0; t < kk; t++) {
                int[] s = sh[t];
                int row = (c * kk + t) * N;
                for (int b = 0; b < nb; b++) {
                    int src = (b * cin + c) * V, dst = row + b * M;
                    for (int i = 0; i < M; i++) col[dst + i] = x[src + s[i]];
                }
            }
    }

    @Override public Object forward(double[] x, int nb, int l0, int l1, double[] y, boolean train) {
        return forwardAt(x, nb, l0, l1, null, y, train);
    }

    /**
     * Forward with output only at {@code sites} (null: all sites, same as {@link #forward}); y is laid out
     * [b][o][j], j indexing sites. The context remembers the sites for {@link #backward}.
     */
    public Object forwardAt(double[] x, int nb, int l0, int l1, int[] sites, double[] y, boolean train) {
        int V = l0 * l1, M = sites == null ? V : sites.length, N = nb * M, K = cin * k * k;
        if (x.length < nb * cin * V || y.length < nb * cout * M) throw new IllegalArgumentException("conv buffer too small");
        int[][] sh = taps(l0, l1, sites);
        double[] col = new double[K * N];
        im2col(x, nb, V, M, sh, col);
        double[] tmp = new double[cout * N];
        double[] pv = params.values();
        be.gemm(false, false, cout, N, K, 1.0, pv, w.offset, K, col, 0, N, 0.0, tmp, 0, N);
        for (int o = 0; o < cout; o++) {
            double bo = pv[bias.offset + o];
            for (int b = 0; b < nb; b++) {
                int src = o * N + b * M, dst = (b * cout + o) * M;
                for (int i = 0; i < M; i++) y[dst + i] = tmp[src + i] + bo;
            }
        }
        return train ? new Ctx(x, nb, l0, l1, sites == null ? null : sites.clone()) : null;
    }

    @Override public void backward(Object ctxObj, double[] dy, double[] dx) {
        Ctx ctx = (Ctx) ctxObj;
        int nb = ctx.nb, V = ctx.l0 * ctx.l1, M = ctx.sites == null ? V : ctx.sites.length, N = nb * M, kk = k * k, K = cin * kk;
        int[][] sh = taps(ctx.l0, ctx.l1, ctx.sites);
        double[] pv = params.values(), pg = params.grads();
        // dY permuted to [o][b*V + x]; bias grad summed in fixed order.
        double[] dyT = new double[cout * N];
        for (int o = 0; o < cout; o++) {
            double sb = 0;
            for (int b = 0; b < nb; b++) {
                int src = (b * cout + o) * M, dst = o * N + b * M;
                for (int i = 0; i < M; i++) { double g = dy[src + i]; dyT[dst + i] = g; sb += g; }
            }
            pg[bias.offset + o] += sb;
        }
        // colT[(b*M + j)*K + c*kk + t]
        double[] colT = new double[N * K];
        double[] xin = ctx.x;
        for (int b = 0; b < nb; b++)
            for (int c = 0; c < cin; c++) {
                int src = (b * cin + c) * V;
                for (int t = 0; t < kk; t++) {
                    int[] s = sh[t];
                    int col = c * kk + t;
                    for (int i = 0; i < M; i++) colT[(b * M + i) * K + col] = xin[src + s[i]];
                }
            }
        be.gemm(false, false, cout, K, N, 1.0, dyT, 0, N, colT, 0, K, 1.0, pg, w.offset, K);
        if (dx == null) return;
        double[] dcol = colT.length >= K * N ? colT : new double[K * N]; // reuse storage: colT no longer needed
        be.gemm(true, false, K, N, cout, 1.0, pv, w.offset, K, dyT, 0, N, 0.0, dcol, 0, N);
        java.util.Arrays.fill(dx, 0, nb * cin * V, 0.0);
        for (int c = 0; c < cin; c++)
            for (int t = 0; t < kk; t++) {
                int[] s = sh[t];
                int row = (c * kk + t) * N;
                for (int b = 0; b < nb; b++) {
                    int dst = (b * cin + c) * V, src = row + b * M;
                    for (int i = 0; i < M; i++) dx[dst + s[i]] += dcol[src + i];
                }
            }
    }
}
