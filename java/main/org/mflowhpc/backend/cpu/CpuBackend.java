package org.mflowhpc.backend.cpu;

import static org.mflowhpc.group.U1.wrap;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Index;
import org.mflowhpc.backend.LinkFlow;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.rng.RngStream;

/**
 * CPU reference backend: float64, plain loops, parallel over (configuration, site) with a private ForkJoinPool.
 * Every output element is written by exactly one task and reductions are done in a fixed order, so results are
 * bit-identical for any number of threads.
 *
 * <p>Costs per site and direction (SU(3), d dims): staple sum 2(d-1) x (2 multiplies of 198 flops + 18 adds)
 * = 2(d-1) x 414 flops, reading 6(d-1) links (144 bytes each) and writing 144 bytes. Plaquette: 3 multiplies +
 * a trace = 630 flops per plane, reading 4 links. U(1): a handful of adds and one cos/sin per plaquette.
 *
 * <p>The SU(3) staple sum of {@link #staples} is the blocked structure-of-arrays kernel {@link StapleSoA} (SIMD
 * products over blocks of sites, bit-identical to the per-site {@link LinkUpdates#stapleSU3}, which the checkerboard
 * sweeps use per link); everything else is scalar per-site code.
 */
public final class CpuBackend implements Backend {
    private final ForkJoinPool pool;
    private final int threads;

    public CpuBackend() { this(Runtime.getRuntime().availableProcessors()); }

    public CpuBackend(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    @Override public String name() { return "cpu"; }
    @Override public int threads() { return threads; }

    @Override public void close() { if (pool != null) pool.shutdown(); }

    // ------------------------------------------------------------------ memory: host arrays behind the seam

    /** A CPU buffer: a plain double[] (the seam's host view is a copy, {@link #download}). */
    static final class CpuBuffer extends Buffer {
        final double[] a;
        CpuBuffer(Backend owner, int n) { super(owner, n); a = new double[n]; }
    }

    static final class CpuIndex extends Index {
        final int[] a;
        CpuIndex(Backend owner, int[] a) { super(owner, a.length); this.a = a; }
    }

    /** The array behind a CPU buffer (package-private: only this backend's kernels see it). */
    static double[] arr(Buffer b) {
        if (b == null) return null;
        if (!(b instanceof CpuBuffer)) throw new IllegalArgumentException("buffer of backend " + b.owner().name() + " passed to the cpu backend");
        return ((CpuBuffer) b).a;
    }

    static int[] idx(Index i) {
        if (i == null) return null;
        if (!(i instanceof CpuIndex)) throw new IllegalArgumentException("index of backend " + i.owner().name() + " passed to the cpu backend");
        return ((CpuIndex) i).a;
    }

    /** The link array of a field on a CPU backend. */
    static double[] data(GaugeField u) { return arr(u.links()); }

    @Override public Buffer alloc(int n) { return new CpuBuffer(this, n); }

    @Override public void upload(double[] src, int sOff, Buffer dst, int dOff, int n) { System.arraycopy(src, sOff, arr(dst), dOff, n); }

    @Override public void download(Buffer src, int sOff, double[] dst, int dOff, int n) { System.arraycopy(arr(src), sOff, dst, dOff, n); }

    @Override public void copy(Buffer src, int sOff, Buffer dst, int dOff, int n) { System.arraycopy(arr(src), sOff, arr(dst), dOff, n); }

    @Override public void fill(Buffer b, int off, int n, double v) { java.util.Arrays.fill(arr(b), off, off + n, v); }

    @Override public Index index(int[] host) { return new CpuIndex(this, host.clone()); }

    @Override public void sync() {}

    /** Runs body(i) for i in [0, n), split into contiguous chunks across the pool. */
    public void parallelFor(int n, IntConsumer body) { parallelFor(n, body, 64); }

    /** As {@link #parallelFor(int, IntConsumer)}, running serially when n < minParallel (cheap items). */
    public void parallelFor(int n, IntConsumer body, int minParallel) {
        parallelRange(n, minParallel, (lo, hi) -> { for (int i = lo; i < hi; i++) body.accept(i); });
    }

    /** A body over a contiguous index range [lo, hi): per-range scratch buffers are allocated once per range. */
    @FunctionalInterface public interface RangeBody { void run(int lo, int hi); }

    /** Runs body over contiguous ranges covering [0, n) (about 8 per thread); serial when n < minParallel. */
    public void parallelRange(int n, int minParallel, RangeBody body) {
        if (pool == null || n < Math.max(2, minParallel)) { if (n > 0) body.run(0, n); return; }
        int chunks = Math.min(n, threads * 8);
        pool.invoke(new Chunk(body, n, 0, chunks, chunks));
    }

    private static final class Chunk extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        final RangeBody body; final int n, lo, hi, chunks;
        Chunk(RangeBody body, int n, int lo, int hi, int chunks) { this.body = body; this.n = n; this.lo = lo; this.hi = hi; this.chunks = chunks; }
        @Override protected void compute() {
            if (hi - lo == 1) {
                body.run((int) ((long) n * lo / chunks), (int) ((long) n * (lo + 1) / chunks));
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Chunk(body, n, lo, mid, chunks), new Chunk(body, n, mid, hi, chunks));
        }
    }

    private static int[][] planePairs(int d) {
        int[][] pp = new int[d * (d - 1) / 2][];
        int p = 0;
        for (int m = 0; m < d; m++) for (int n = m + 1; n < d; n++) pp[p++] = new int[] {m, n};
        return pp;
    }

    @Override public void plaquettes(GaugeField u, Buffer outB) {
        double[] out = arr(outB);
        Lattice lat = u.lattice;
        int V = lat.volume, np = lat.planes();
        int[][] pp = planePairs(lat.d);
        double[] f = data(u);
        if (u.group == Group.U1) {
            parallelFor(u.batch * V, i -> {
                int b = i / V, x = i % V;
                for (int p = 0; p < np; p++) {
                    int m = pp[p][0], n = pp[p][1];
                    double th = f[u.offset(b, m, x)] + f[u.offset(b, n, lat.up(m, x))]
                            - f[u.offset(b, m, lat.up(n, x))] - f[u.offset(b, n, x)];
                    out[(b * np + p) * V + x] = Math.cos(th);
                }
            });
        } else {
            parallelRange(u.batch * V, 64, (lo, hi) -> {
                double[] t1 = new double[18], t2 = new double[18], t3 = new double[18];
                for (int i = lo; i < hi; i++) {
                    int b = i / V, x = i % V;
                    for (int p = 0; p < np; p++) {
                        int m = pp[p][0], n = pp[p][1];
                        // Re tr[(U_m(x) U_n(x+m)) (U_n(x) U_m(x+n))^dag]
                        SU3.mul(f, u.offset(b, m, x), f, u.offset(b, n, lat.up(m, x)), t1, 0);
                        SU3.mul(f, u.offset(b, n, x), f, u.offset(b, m, lat.up(n, x)), t2, 0);
                        SU3.dagger(t2, 0, t3, 0);
                        out[(b * np + p) * V + x] = SU3.reTraceMul(t1, 0, t3, 0) / 3.0;
                    }
                }
            });
        }
    }

    @Override public void plaquetteAngles(GaugeField u, Buffer outB) {
        double[] out = arr(outB);
        if (u.group != Group.U1) throw new IllegalArgumentException("plaquette angles are defined for U1 only");
        Lattice lat = u.lattice;
        int V = lat.volume, np = lat.planes();
        int[][] pp = planePairs(lat.d);
        double[] f = data(u);
        parallelFor(u.batch * V, i -> {
            int b = i / V, x = i % V;
            for (int p = 0; p < np; p++) {
                int m = pp[p][0], n = pp[p][1];
                double th = f[u.offset(b, m, x)] + f[u.offset(b, n, lat.up(m, x))]
                        - f[u.offset(b, m, lat.up(n, x))] - f[u.offset(b, n, x)];
                out[(b * np + p) * V + x] = wrap(th);
            }
        });
    }

    /** Per-configuration sums of the plaquette field, in index order. */
    private double[] plaquetteSums(GaugeField u) {
        int V = u.lattice.volume, np = u.lattice.planes();
        CpuBuffer plB = new CpuBuffer(this, u.batch * np * V);
        plaquettes(u, plB);
        double[] pl = plB.a, s = new double[u.batch];
        for (int b = 0; b < u.batch; b++)
            for (int i = b * np * V, e = (b + 1) * np * V; i < e; i++) s[b] += pl[i];
        return s;
    }

    @Override public void meanPlaquette(GaugeField u, Buffer out, int outOff) {
        double[] s = plaquetteSums(u), o = arr(out);
        int n = u.lattice.volume * u.lattice.planes();
        for (int b = 0; b < u.batch; b++) o[outOff + b] = s[b] / n;
    }

    @Override public void action(GaugeField u, double beta, Buffer out, int outOff) {
        double[] s = plaquetteSums(u), o = arr(out);
        for (int b = 0; b < u.batch; b++) o[outOff + b] = -beta * s[b]; // -(beta/N) sum Re tr P = -beta sum (1/N) Re tr P
    }

    @Override public void staples(GaugeField u, int mu, Buffer outB) {
        staplesInto(u, mu, arr(outB));
    }

    private void staplesInto(GaugeField u, int mu, double[] out) {
        int V = u.lattice.volume;
        if (u.group == Group.U1) {
            parallelFor(u.batch * V, i -> LinkUpdates.stapleU1(u, i / V, mu, i % V, out, 2 * i));
        } else {
            // Blocked SoA kernel, bit-identical to LinkUpdates.stapleSU3 per site (which heatbath/overrelax use).
            parallelRange(u.batch * V, 64, (lo, hi) ->
                    StapleSoA.staples(u, mu, lo, hi, out, StapleSoA.threadScratch()));
        }
    }

    @Override public void force(GaugeField u, double beta, Buffer outB) {
        double[] out = arr(outB);
        Lattice lat = u.lattice;
        int V = lat.volume, d = lat.d;
        if (u.group == Group.U1) {
            double[] a = new double[2 * u.batch * V];
            for (int mu = 0; mu < d; mu++) {
                staplesInto(u, mu, a);
                final int m = mu;
                double[] f = data(u);
                parallelFor(u.batch * V, i -> {
                    int b = i / V, x = i % V;
                    double th = f[u.offset(b, m, x)];
                    // S_loc = -beta Re(e^{i th} A) => dS/dth = beta Im(e^{i th} A)
                    out[u.offset(b, m, x)] = beta * (Math.cos(th) * a[2 * i + 1] + Math.sin(th) * a[2 * i]);
                });
            }
        } else {
            double[] a = new double[18 * u.batch * V];
            double coef = beta / (2.0 * u.group.n);
            for (int mu = 0; mu < d; mu++) {
                staplesInto(u, mu, a);
                final int m = mu;
                double[] f = data(u);
                parallelRange(u.batch * V, 64, (lo, hi) -> {
                    double[] w = new double[18];
                    for (int i = lo; i < hi; i++) {
                        int o = u.offset(i / V, m, i % V);
                        SU3.mul(f, o, a, 18 * i, w, 0);
                        SU3.projectTA(w, 0, out, o);
                        for (int k = 0; k < 18; k++) out[o + k] *= coef;
                    }
                });
            }
        }
    }

    @Override public void actionGradient(GaugeField u, double beta, Buffer gB) {
        if (u.group == Group.U1) {
            force(u, beta, gB); // dS/dtheta
            return;
        }
        double[] g = arr(gB);
        Lattice lat = u.lattice;
        int V = lat.volume, d = lat.d;
        double[] a = new double[18 * u.batch * V];
        double coef = -beta / u.group.n;
        for (int mu = 0; mu < d; mu++) {
            staplesInto(u, mu, a);
            final int m = mu;
            parallelFor(u.batch * V, i -> {
                int o = u.offset(i / V, m, i % V);
                SU3.dagger(a, 18 * i, g, o);
                for (int k = 0; k < 18; k++) g[o + k] *= coef;
            });
        }
    }

    @Override public void gaugeTransform(GaugeField u, Buffer omegaB) {
        double[] omega = arr(omegaB);
        Lattice lat = u.lattice;
        int V = lat.volume, d = lat.d;
        double[] f = data(u);
        if (u.group == Group.U1) {
            parallelFor(u.batch * V, i -> {
                int b = i / V, x = i % V;
                for (int mu = 0; mu < d; mu++) {
                    int o = u.offset(b, mu, x);
                    f[o] = wrap(omega[i] + f[o] - omega[b * V + lat.up(mu, x)]);
                }
            });
        } else {
            parallelRange(u.batch * V, 64, (lo, hi) -> {
                double[] t = new double[18];
                for (int i = lo; i < hi; i++) {
                    int b = i / V, x = i % V;
                    for (int mu = 0; mu < d; mu++) {
                        int o = u.offset(b, mu, x);
                        SU3.mul(omega, 18 * i, f, o, t, 0);
                        SU3.mulDag(t, 0, omega, 18 * (b * V + lat.up(mu, x)), f, o);
                    }
                }
            });
        }
    }

    /** Sites of parity 0 and 1, in increasing order, for the checkerboard sweeps (cached for the last lattice). */
    private volatile Object[] paritySitesCache;

    private int[][] paritySites(Lattice lat) {
        Object[] c = paritySitesCache;
        if (c != null && c[0].equals(lat)) return (int[][]) c[1];
        int V = lat.volume;
        int[][] ps = new int[2][V / 2];
        int[] n = new int[2];
        for (int x = 0; x < V; x++) { int p = lat.parity(x); ps[p][n[p]++] = x; }
        paritySitesCache = new Object[] {lat, ps};
        return ps;
    }

    /**
     * Checkerboard heatbath sweep (contract in {@link Backend#heatbath}); kernels in {@link LinkUpdates}.
     * Per link: U(1) ~40 flops + 2(d-1) x 2 sincos + a von Mises draw; SU(3) staple 2(d-1) x 414 flops + ~800 flops
     * of Cabibbo–Marinari.
     */
    @Override public void heatbath(GaugeField u, double beta, long seed, long sweep) {
        Lattice lat = u.lattice;
        int V = lat.volume, d = lat.d;
        int[][] ps = paritySites(lat);
        double[] f = data(u);
        for (int mu = 0; mu < d; mu++) {
            final int m = mu;
            for (int par = 0; par < 2; par++) {
                int[] sites = ps[par];
                int h = sites.length;
                if (u.group == Group.U1) {
                    parallelFor(u.batch * h, i -> {
                        int b = i / h, x = sites[i % h];
                        double[] a = new double[2];
                        LinkUpdates.stapleU1(u, b, m, x, a);
                        RngStream r = new RngStream(seed, RngStream.Domain.HEATBATH, sweep, (long) (b * d + m) * V + x);
                        f[u.offset(b, m, x)] = LinkUpdates.heatbathU1(r, beta, a[0], a[1]);
                    });
                } else {
                    parallelRange(u.batch * h, 64, (lo, hi) -> {
                        double[] a = new double[18], t1 = new double[18], t2 = new double[18], q = new double[8];
                        for (int i = lo; i < hi; i++) {
                            int b = i / h, x = sites[i % h];
                            LinkUpdates.stapleSU3(u, b, m, x, a, 0, t1, t2);
                            RngStream r = new RngStream(seed, RngStream.Domain.HEATBATH, sweep, (long) (b * d + m) * V + x);
                            LinkUpdates.heatbathSU3(r, beta, f, u.offset(b, m, x), a, 0, t1, q);
                        }
                    });
                }
            }
        }
    }

    /**
     * Checkerboard overrelaxation sweep (contract in {@link Backend#overrelax}); deterministic, draws no random
     * numbers. Per link: U(1) ~40 flops + 2(d-1) x 2 sincos + atan2; SU(3) staple + ~700 flops.
     */
    @Override public void overrelax(GaugeField u, double beta, long seed, long sweep) {
        Lattice lat = u.lattice;
        int d = lat.d;
        int[][] ps = paritySites(lat);
        double[] f = data(u);
        for (int mu = 0; mu < d; mu++) {
            final int m = mu;
            for (int par = 0; par < 2; par++) {
                int[] sites = ps[par];
                int h = sites.length;
                if (u.group == Group.U1) {
                    parallelFor(u.batch * h, i -> {
                        int b = i / h, x = sites[i % h];
                        double[] a = new double[2];
                        LinkUpdates.stapleU1(u, b, m, x, a);
                        int o = u.offset(b, m, x);
                        f[o] = LinkUpdates.overrelaxU1(f[o], a[0], a[1]);
                    });
                } else {
                    parallelRange(u.batch * h, 64, (lo, hi) -> {
                        double[] a = new double[18], t1 = new double[18], t2 = new double[18], q = new double[8];
                        for (int i = lo; i < hi; i++) {
                            int b = i / h, x = sites[i % h];
                            LinkUpdates.stapleSU3(u, b, m, x, a, 0, t1, t2);
                            LinkUpdates.overrelaxSU3(f, u.offset(b, m, x), a, 0, t1, q);
                        }
                    });
                }
            }
        }
    }

    /** Column-block width of the GEMM tiles: a k x 256 panel of B stays in L2 while the rows of a tile reuse it. */
    private static final int GEMM_NB = 256;

    /**
     * Row-major dense GEMM on host arrays (used by the convolution kernels): C[m x n] = alpha op(A) op(B) + beta C,
     * op(A) = A or A^T (A stored m x k, or k x m when transposed), leading dimensions in elements. 2mnk flops.
     */
    public void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, double[] a, int aOff,
                               int lda, double[] b, int bOff, int ldb, double beta, double[] c, int cOff, int ldc) {
        // Tiles of C: GEMM_NB columns by a block of rows; each tile is owned by one task and every element is
        // accumulated in a fixed order (p ascending), so the result is independent of the thread count and of the
        // tiling. With many column tiles a tile takes all rows, so its k x GEMM_NB panel of B is read from memory once
        // and reused from cache by every row (B is the large im2col matrix of the convolutions); with few column
        // tiles (tall or short-and-wide products) tiles are single rows, for parallelism.
        int nb = (n + GEMM_NB - 1) / GEMM_NB;
        int rows = nb >= 4 * threads ? m : 1, mb = (m + rows - 1) / rows;
        IntConsumer tile = t -> {
            int i0 = (t / nb) * rows, i1 = Math.min(m, i0 + rows), j0 = (t % nb) * GEMM_NB, j1 = Math.min(n, j0 + GEMM_NB);
            if (!transB) gemmTileNN(transA, i0, i1, j0, j1, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            else for (int i = i0; i < i1; i++) gemmRow(transA, true, i, j0, j1, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        };
        int tiles = mb * nb;
        if ((long) m * n * k < 32768 || tiles == 1) { for (int t = 0; t < tiles; t++) tile.accept(t); }
        else parallelFor(tiles, tile, 2);
    }

    /**
     * C[i0:i1, j0:j1] of {@link #gemm} for op(B) = B, register-blocked: 2 x 4 blocks of C held in scalars while p runs
     * over k (per p: 2 loads of op(A), 4 of B, 8 multiply-adds), then 1 x 4 for an odd last row, then the plain
     * saxpy row loop for the last n mod 4 columns. Every element is accumulated exactly as in the saxpy form
     * (scaled by beta first, then + (alpha op(A)[i,p]) B[p,j] for p ascending), so the result is bit-identical to it
     * and independent of the blocking.
     */
    private static void gemmTileNN(boolean transA, int i0, int i1, int j0, int j1, int k, double alpha, double[] a, int aOff,
                                   int lda, double[] b, int bOff, int ldb, double beta, double[] c, int cOff, int ldc) {
        for (int i = i0; i < i1; i++) {
            int ci = cOff + i * ldc;
            if (beta == 0) for (int j = j0; j < j1; j++) c[ci + j] = 0;
            else if (beta != 1) for (int j = j0; j < j1; j++) c[ci + j] *= beta;
        }
        int sa = transA ? lda : 1, si = transA ? 1 : lda; // op(A)[i,p] = a[aOff + i*si + p*sa]
        int j = j0;
        for (; j + 4 <= j1; j += 4) {
            int i = i0;
            for (; i + 2 <= i1; i += 2) {
                int c0 = cOff + i * ldc + j, c1 = c0 + ldc;
                double c00 = c[c0], c01 = c[c0 + 1], c02 = c[c0 + 2], c03 = c[c0 + 3];
                double c10 = c[c1], c11 = c[c1 + 1], c12 = c[c1 + 2], c13 = c[c1 + 3];
                int ap0 = aOff + i * si, ap1 = ap0 + si, bp = bOff + j;
                for (int p = 0; p < k; p++, ap0 += sa, ap1 += sa, bp += ldb) {
                    double x0 = alpha * a[ap0], x1 = alpha * a[ap1];
                    double b0 = b[bp], b1 = b[bp + 1], b2 = b[bp + 2], b3 = b[bp + 3];
                    c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
                    c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
                }
                c[c0] = c00; c[c0 + 1] = c01; c[c0 + 2] = c02; c[c0 + 3] = c03;
                c[c1] = c10; c[c1 + 1] = c11; c[c1 + 2] = c12; c[c1 + 3] = c13;
            }
            if (i < i1) {
                int c0 = cOff + i * ldc + j;
                double c00 = c[c0], c01 = c[c0 + 1], c02 = c[c0 + 2], c03 = c[c0 + 3];
                int ap0 = aOff + i * si, bp = bOff + j;
                for (int p = 0; p < k; p++, ap0 += sa, bp += ldb) {
                    double x0 = alpha * a[ap0];
                    c00 += x0 * b[bp]; c01 += x0 * b[bp + 1]; c02 += x0 * b[bp + 2]; c03 += x0 * b[bp + 3];
                }
                c[c0] = c00; c[c0 + 1] = c01; c[c0 + 2] = c02; c[c0 + 3] = c03;
            }
        }
        if (j < j1)
            for (int i = i0; i < i1; i++) {
                int ci = cOff + i * ldc;
                for (int p = 0; p < k; p++) {
                    double aip = alpha * a[aOff + i * si + p * sa];
                    int bp = bOff + p * ldb;
                    for (int jj = j; jj < j1; jj++) c[ci + jj] += aip * b[bp + jj];
                }
            }
    }

    /** C[i, j0:j1] of {@link #gemm}. */
    private static void gemmRow(boolean transA, boolean transB, int i, int j0, int j1, int k, double alpha, double[] a, int aOff,
                                int lda, double[] b, int bOff, int ldb, double beta, double[] c, int cOff, int ldc) {
        int ci = cOff + i * ldc;
        if (beta == 0) for (int j = j0; j < j1; j++) c[ci + j] = 0;
        else if (beta != 1) for (int j = j0; j < j1; j++) c[ci + j] *= beta;
        if (!transB) {
            // saxpy form: C[i, j0:j1] += (alpha op(A)[i,p]) B[p, j0:j1], contiguous in j
            for (int p = 0; p < k; p++) {
                double aip = alpha * (transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p]);
                if (aip == 0) continue;
                int bp = bOff + p * ldb;
                for (int j = j0; j < j1; j++) c[ci + j] += aip * b[bp + j];
            }
        } else {
            // dot form: C[i,j] += alpha sum_p op(A)[i,p] B[j,p], contiguous in p when A is not transposed
            for (int j = j0; j < j1; j++) {
                int bj = bOff + j * ldb;
                double s = 0;
                if (!transA) {
                    // four independent partial sums (fixed order: the result does not depend on threads)
                    int ai = aOff + i * lda, p = 0;
                    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                    for (; p + 4 <= k; p += 4) {
                        s0 += a[ai + p] * b[bj + p];
                        s1 += a[ai + p + 1] * b[bj + p + 1];
                        s2 += a[ai + p + 2] * b[bj + p + 2];
                        s3 += a[ai + p + 3] * b[bj + p + 3];
                    }
                    for (; p < k; p++) s0 += a[ai + p] * b[bj + p];
                    s = (s0 + s1) + (s2 + s3);
                } else for (int p = 0; p < k; p++) s += a[aOff + p * lda + i] * b[bj + p];
                c[ci + j] += alpha * s;
            }
        }
    }

    // ------------------------------------------------------------------ priors, gauge randomisation

    @Override public void haarLinks(GaugeField u, int domain, long seed, long step) {
        double[] f = data(u);
        int V = u.lattice.volume, d = u.lattice.d;
        boolean u1 = u.group == Group.U1;
        parallelFor(u.batch * V, i -> {
            int b = i / V, x = i % V;
            RngStream r = new RngStream(seed, domain, step, (long) b * V + x);
            for (int mu = 0; mu < d; mu++) {
                if (u1) f[u.offset(b, mu, x)] = r.angle();
                else SU3.haar(r, f, u.offset(b, mu, x));
            }
        });
    }

    @Override public void randomGauge(GaugeField u, int domain, long seed, long step) {
        int V = u.lattice.volume, dof = u.group.dof;
        CpuBuffer om = new CpuBuffer(this, u.batch * V * dof);
        double[] o = om.a;
        boolean u1 = u.group == Group.U1;
        parallelFor(u.batch * V, i -> {
            RngStream r = new RngStream(seed, domain, step, i);
            if (u1) o[i] = r.angle(); else SU3.haar(r, o, 18 * i);
        });
        gaugeTransform(u, om);
    }

    // ------------------------------------------------------------------ HMC pieces

    @Override public void drawMomenta(Group g, Lattice lat, int batch, int domain, long seed, long step, Buffer pB) {
        double[] p = arr(pB);
        int links = batch * lat.d * lat.volume;
        if (g == Group.U1) parallelFor(links, l -> p[l] = new RngStream(seed, domain, step, l).gaussian());
        else parallelFor(links, l -> SU3.gaussianAlgebra(new RngStream(seed, domain, step, l), p, 18 * l));
    }

    @Override public void kineticEnergy(Group g, Lattice lat, int batch, Buffer pB, Buffer out, int outOff) {
        double[] p = arr(pB), o = arr(out);
        int per = lat.d * lat.volume;
        for (int b = 0; b < batch; b++) {
            double s = 0;
            if (g == Group.U1) for (int l = b * per; l < (b + 1) * per; l++) s += 0.5 * p[l] * p[l];
            else for (int l = b * per; l < (b + 1) * per; l++) s += SU3.kinetic(p, 18 * l);
            o[outOff + b] = s;
        }
    }

    @Override public void updateLinks(GaugeField u, Buffer pB, double c) {
        double[] f = data(u), p = arr(pB);
        int links = u.size() / u.group.dof;
        if (u.group == Group.U1) {
            parallelFor(links, l -> f[l] = wrap(f[l] + c * p[l]));
        } else {
            parallelRange(links, 16, (lo, hi) -> {
                double[] x = new double[18], e = new double[18], t = new double[18];
                for (int l = lo; l < hi; l++) {
                    int o = 18 * l;
                    for (int i = 0; i < 18; i++) x[i] = c * p[o + i];
                    SU3.exp(x, 0, e, 0);
                    SU3.mul(e, 0, f, o, t, 0);
                    System.arraycopy(t, 0, f, o, 18);
                }
            });
        }
    }

    @Override public void reunitarize(GaugeField u) {
        double[] f = data(u);
        int links = u.size() / u.group.dof;
        if (u.group == Group.U1) parallelFor(links, l -> f[l] = wrap(f[l]));
        else parallelFor(links, l -> SU3.reunitarize(f, 18 * l));
    }

    // ------------------------------------------------------------------ coupling layers (FlowKernels)

    @Override public void loopFeatures(GaugeField u, Index frozen, Buffer out) { FlowKernels.loopFeatures(this, u, idx(frozen), arr(out)); }

    @Override public void loopFeaturesBackward(GaugeField u, Index frozen, Buffer gFeat, Buffer gLinks) {
        FlowKernels.loopFeaturesBackward(this, u, idx(frozen), arr(gFeat), arr(gLinks));
    }

    @Override public void gatherActive(GaugeField u, int mu, int nu, Index sites, Buffer w) {
        FlowKernels.gather(this, u, mu, nu, idx(sites), arr(w), false);
    }

    @Override public void scatterActive(GaugeField u, int mu, int nu, Index sites, Buffer wNew) {
        FlowKernels.scatter(this, u, mu, nu, idx(sites), arr(wNew), false);
    }

    @Override public void scatterActiveBackward(GaugeField u, int mu, int nu, Index sites, Buffer wNew, Buffer gLinks, Buffer gW) {
        FlowKernels.scatterBackward(this, u, mu, nu, idx(sites), arr(wNew), arr(gLinks), arr(gW), false);
    }

    @Override public void gatherActiveBackward(GaugeField u, int mu, int nu, Index sites, Buffer wOld, Buffer gW, Buffer gLinks) {
        FlowKernels.gatherBackward(this, u, mu, nu, idx(sites), arr(wOld), arr(gW), arr(gLinks), false);
    }

    @Override public void gatherMidpoint(GaugeField u, int mu, int nu, Index sites, Buffer w) {
        FlowKernels.gather(this, u, mu, nu, idx(sites), arr(w), true);
    }

    @Override public void scatterMidpoint(GaugeField u, int mu, int nu, Index sites, Buffer wNew) {
        FlowKernels.scatter(this, u, mu, nu, idx(sites), arr(wNew), true);
    }

    @Override public void scatterMidpointBackward(GaugeField u, int mu, int nu, Index sites, Buffer wNew, Buffer gLinks, Buffer gW) {
        FlowKernels.scatterBackward(this, u, mu, nu, idx(sites), arr(wNew), arr(gLinks), arr(gW), true);
    }

    @Override public void gatherMidpointBackward(GaugeField u, int mu, int nu, Index sites, Buffer wOld, Buffer gW, Buffer gLinks) {
        FlowKernels.gatherBackward(this, u, mu, nu, idx(sites), arr(wOld), arr(gW), arr(gLinks), true);
    }

    @Override public void doublingSplit(GaugeField coarse, GaugeField r, int mu, Index even, Index fresh, GaugeField fine) {
        FlowKernels.doublingSplit(this, coarse, r, mu, idx(even), idx(fresh), fine);
    }

    @Override public void doublingMerge(GaugeField fine, int mu, Index even, Index fresh, GaugeField coarse) {
        FlowKernels.doublingMerge(this, fine, mu, idx(even), idx(fresh), coarse);
    }

    @Override public void doublingSplitBackward(GaugeField r, int mu, Index even, Index fresh, Buffer gFine, Buffer gCoarse) {
        FlowKernels.doublingSplitBackward(this, r, mu, idx(even), idx(fresh), arr(gFine), arr(gCoarse));
    }

    @Override public void u1BaseForward(boolean logistic, double betaA, int n, int m, Buffer x, Buffer feat, int fOff, int fB,
                                        Buffer raw, int rOff, int rB, Buffer y, Buffer logJ) {
        FlowKernels.u1Base(this, logistic, betaA, n, m, arr(x), arr(feat), fOff, fB, arr(raw), rOff, rB, arr(y), arr(logJ), false);
    }

    @Override public void u1BaseInverse(boolean logistic, double betaA, int n, int m, Buffer y, Buffer feat, int fOff, int fB,
                                        Buffer raw, int rOff, int rB, Buffer x, Buffer logJ) {
        FlowKernels.u1Base(this, logistic, betaA, n, m, arr(y), arr(feat), fOff, fB, arr(raw), rOff, rB, arr(x), arr(logJ), true);
    }

    @Override public void u1BaseBackward(boolean logistic, double betaA, int n, int m, Buffer x, Buffer feat, int fOff, int fB,
                                         Buffer raw, int rOff, int rB, Buffer gY, Buffer gLogJ, Buffer gX, Buffer gFeat, Buffer gRaw) {
        FlowKernels.u1BaseBackward(this, logistic, betaA, n, m, arr(x), arr(feat), fOff, fB, arr(raw), rOff, rB, arr(gY), arr(gLogJ),
                arr(gX), arr(gFeat), arr(gRaw));
    }

    @Override public void linkFlowForward(LinkFlow f, int n, int m, Buffer w, Buffer raw, int rOff, int rB, Buffer wOut, Buffer logJ) {
        FlowKernels.linkFlow(this, f, n, m, arr(w), arr(raw), rOff, rB, arr(wOut), arr(logJ), false);
    }

    @Override public void linkFlowInverse(LinkFlow f, int n, int m, Buffer wPrime, Buffer raw, int rOff, int rB, Buffer wOut, Buffer logJ) {
        FlowKernels.linkFlow(this, f, n, m, arr(wPrime), arr(raw), rOff, rB, arr(wOut), arr(logJ), true);
    }

    @Override public void linkFlowBackward(LinkFlow f, int n, int m, Buffer w, Buffer raw, int rOff, int rB, Buffer gOut,
                                           Buffer gLogJ, Buffer gW, Buffer gRaw) {
        FlowKernels.linkFlowBackward(this, f, n, m, arr(w), arr(raw), rOff, rB, arr(gOut), arr(gLogJ), arr(gW), arr(gRaw));
    }

    // ------------------------------------------------------------------ networks, optimiser, reductions (NnKernels)

    @Override public void conv(int[] lat, int nb, int cin, int cout, int k, Buffer x, Buffer wts, int wOff, int bOff, Index outSites, Buffer y) {
        NnKernels.conv(this, lat, nb, cin, cout, k, arr(x), arr(wts), wOff, bOff, idx(outSites), arr(y));
    }

    @Override public void convBackward(int[] lat, int nb, int cin, int cout, int k, Buffer x, Buffer wts, int wOff, Index outSites,
                                       Buffer dy, Buffer dx, Buffer grads, int gwOff, int gbOff) {
        NnKernels.convBackward(this, lat, nb, cin, cout, k, arr(x), arr(wts), wOff, idx(outSites), arr(dy), arr(dx), arr(grads), gwOff, gbOff);
    }

    @Override public void activation(Act a, int n, Buffer x, Buffer y) { NnKernels.activation(this, a, n, arr(x), arr(y)); }

    @Override public void activationBackward(Act a, int n, Buffer x, Buffer dy, Buffer dx) {
        NnKernels.activationBackward(this, a, n, arr(x), arr(dy), arr(dx));
    }

    @Override public void adamStep(int n, Buffer p, Buffer g, Buffer m, Buffer v, double lr, double b1, double b2, double eps, double wd, long t) {
        NnKernels.adam(n, arr(p), arr(g), arr(m), arr(v), lr, b1, b2, eps, wd, t);
    }

    @Override public void scale(Buffer x, int off, int n, double s) {
        double[] a = arr(x);
        for (int i = off; i < off + n; i++) a[i] *= s;
    }

    @Override public double sum(Buffer x, int off, int n) {
        double[] a = arr(x);
        double s = 0;
        for (int i = off; i < off + n; i++) s += a[i];
        return s;
    }

    @Override public double sumSquares(Buffer x, int off, int n) {
        double[] a = arr(x);
        double s = 0;
        for (int i = off; i < off + n; i++) s += a[i] * a[i];
        return s;
    }

    @Override public void sumRows(int nb, int m, Buffer x, Buffer out, boolean accumulate) {
        double[] a = arr(x), o = arr(out);
        for (int b = 0; b < nb; b++) {
            double s = 0;
            for (int j = b * m; j < (b + 1) * m; j++) s += a[j];
            o[b] = accumulate ? o[b] + s : s;
        }
    }

    @Override public void broadcastRows(int nb, int m, Buffer x, Buffer out) {
        double[] a = arr(x), o = arr(out);
        for (int b = 0; b < nb; b++) java.util.Arrays.fill(o, b * m, (b + 1) * m, a[b]);
    }

    @Override public void axpy(int n, double a, Buffer x, int xOff, Buffer y, int yOff) {
        double[] xa = arr(x), ya = arr(y);
        for (int i = 0; i < n; i++) ya[yOff + i] += a * xa[xOff + i];
    }

    @Override public double logSumExp(Buffer x, int off, int n) {
        double[] a = arr(x);
        double mx = Double.NEGATIVE_INFINITY;
        for (int i = off; i < off + n; i++) { if (Double.isNaN(a[i])) return Double.NaN; mx = Math.max(mx, a[i]); }
        if (mx == Double.NEGATIVE_INFINITY || mx == Double.POSITIVE_INFINITY) return mx;
        double s = 0;
        for (int i = off; i < off + n; i++) s += Math.exp(a[i] - mx);
        return mx + Math.log(s);
    }

    @Override public double maxAbs(Buffer x, int off, int n) {
        double[] a = arr(x);
        double mx = 0;
        for (int i = off; i < off + n; i++) { if (Double.isNaN(a[i])) return Double.NaN; mx = Math.max(mx, Math.abs(a[i])); }
        return mx;
    }
}
