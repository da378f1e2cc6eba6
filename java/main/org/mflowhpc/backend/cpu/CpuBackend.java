package org.mflowhpc.backend.cpu;

import static org.mflowhpc.group.U1.wrap;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

import org.mflowhpc.backend.Backend;
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

    @Override public void plaquettes(GaugeField u, double[] out) {
        Lattice lat = u.lattice;
        int V = lat.volume, np = lat.planes();
        int[][] pp = planePairs(lat.d);
        double[] f = u.data;
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

    @Override public void u1PlaquetteAngles(GaugeField u, double[] out) {
        if (u.group != Group.U1) throw new IllegalArgumentException("plaquette angles are defined for U1 only");
        Lattice lat = u.lattice;
        int V = lat.volume, np = lat.planes();
        int[][] pp = planePairs(lat.d);
        double[] f = u.data;
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

    @Override public void meanPlaquette(GaugeField u, double[] out) {
        int V = u.lattice.volume, np = u.lattice.planes();
        double[] pl = new double[u.batch * np * V];
        plaquettes(u, pl);
        for (int b = 0; b < u.batch; b++) {
            double s = 0;
            for (int i = b * np * V, e = (b + 1) * np * V; i < e; i++) s += pl[i];
            out[b] = s / (np * V);
        }
    }

    @Override public void action(GaugeField u, double beta, double[] out) {
        int V = u.lattice.volume, np = u.lattice.planes();
        double[] pl = new double[u.batch * np * V];
        plaquettes(u, pl);
        for (int b = 0; b < u.batch; b++) {
            double s = 0;
            for (int i = b * np * V, e = (b + 1) * np * V; i < e; i++) s += pl[i];
            out[b] = -beta * s; // -(beta/N) sum Re tr P = -beta sum (1/N) Re tr P
        }
    }

    @Override public void staples(GaugeField u, int mu, double[] out) {
        int V = u.lattice.volume;
        if (u.group == Group.U1) {
            parallelFor(u.batch * V, i -> LinkUpdates.stapleU1(u, i / V, mu, i % V, out, 2 * i));
        } else {
            // Blocked SoA kernel, bit-identical to LinkUpdates.stapleSU3 per site (which heatbath/overrelax use).
            parallelRange(u.batch * V, 64, (lo, hi) ->
                    StapleSoA.staples(u, mu, lo, hi, out, StapleSoA.threadScratch()));
        }
    }

    @Override public void force(GaugeField u, double beta, double[] out) {
        Lattice lat = u.lattice;
        int V = lat.volume, d = lat.d;
        if (u.group == Group.U1) {
            double[] a = new double[2 * u.batch * V];
            for (int mu = 0; mu < d; mu++) {
                staples(u, mu, a);
                final int m = mu;
                parallelFor(u.batch * V, i -> {
                    int b = i / V, x = i % V;
                    double th = u.data[u.offset(b, m, x)];
                    // S_loc = -beta Re(e^{i th} A) => dS/dth = beta Im(e^{i th} A)
                    out[u.offset(b, m, x)] = beta * (Math.cos(th) * a[2 * i + 1] + Math.sin(th) * a[2 * i]);
                });
            }
        } else {
            double[] a = new double[18 * u.batch * V];
            double coef = beta / (2.0 * u.group.n);
            for (int mu = 0; mu < d; mu++) {
                staples(u, mu, a);
                final int m = mu;
                parallelRange(u.batch * V, 64, (lo, hi) -> {
                    double[] w = new double[18];
                    for (int i = lo; i < hi; i++) {
                        int o = u.offset(i / V, m, i % V);
                        SU3.mul(u.data, o, a, 18 * i, w, 0);
                        SU3.projectTA(w, 0, out, o);
                        for (int k = 0; k < 18; k++) out[o + k] *= coef;
                    }
                });
            }
        }
    }

    @Override public void gaugeTransform(GaugeField u, double[] omega) {
        Lattice lat = u.lattice;
        int V = lat.volume, d = lat.d;
        double[] f = u.data;
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
        double[] f = u.data;
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
        double[] f = u.data;
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

    @Override public void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, double[] a, int aOff,
                               int lda, double[] b, int bOff, int ldb, double beta, double[] c, int cOff, int ldc) {
        // Tiles of one row of C by GEMM_NB columns; each tile is owned by one task and accumulated in a fixed order
        // (p ascending), so the result is independent of the thread count.
        int nb = (n + GEMM_NB - 1) / GEMM_NB;
        IntConsumer tile = t -> {
            int i = t / nb, j0 = (t % nb) * GEMM_NB, j1 = Math.min(n, j0 + GEMM_NB);
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
                    if (!transA) { int ai = aOff + i * lda; for (int p = 0; p < k; p++) s += a[ai + p] * b[bj + p]; }
                    else for (int p = 0; p < k; p++) s += a[aOff + p * lda + i] * b[bj + p];
                    c[ci + j] += alpha * s;
                }
            }
        };
        int tiles = m * nb;
        if ((long) m * n * k < 32768 || tiles == 1) { for (int t = 0; t < tiles; t++) tile.accept(t); }
        else parallelFor(tiles, tile, 2);
    }
}
