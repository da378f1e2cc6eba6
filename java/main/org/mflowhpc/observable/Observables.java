/*
 * Contract: gauge-invariant observables of a batch of configurations (GaugeField, U1 or SU3, any d), one value per
 * configuration (arrays indexed by the batch index b). Conventions as docs/conventions.md and Backend:
 *
 *   meanPlaquette[b]   = average over sites and planes m<n of (1/N) Re tr P_mn(x)       (delegates to Backend)
 *   W(R,T)[b]          = average over sites x and ordered pairs (mu, nu), mu != nu, of
 *                        (1/N) Re tr [ L_mu^R(x) L_nu^T(x + R mu) L_mu^R(x + T nu)^dag L_nu^T(x)^dag ],
 *                        L_mu^l(x) = U_mu(x) U_mu(x+mu) ... U_mu(x+(l-1)mu) (straight line of l links).
 *                        R is along mu and T along nu; both orientations of every plane are included, so
 *                        W(R,T) = W(T,R) and W(1,1) = meanPlaquette. Loops longer than an extent wrap around.
 *   Q[b]               = (1/2pi) sum_x arg P_01(x), arg in (-pi, pi]  (2D U(1) only; via Backend.plaquetteAngles;
 *                        an integer up to rounding on the torus)
 *   Polyakov loop [b]  = (1/V_s) sum_{x_s} (1/N) tr prod_{t=0}^{L_t-1} U_{d-1}(x_s + t e_{d-1}), complex, along the
 *                        last direction (t = d-1, the slowest index: spatial site x_s in [0, V/L_t), site = x_s + (V/L_t) t).
 *                        Reported as re, im and |P|.
 *
 * measure() assembles the standard table: "plaquette", "W_RxT" for each requested loop, "Q" (2D U(1)),
 * "poly_re", "poly_im", "poly_abs". Work is parallel over sites within a configuration; every per-site value is
 * written once and summed in site order, so results do not depend on the thread count.
 * Memory: two line arrays of V * dof doubles per configuration at a time for Wilson loops. Wilson and Polyakov
 * loops run on one host copy of the batch per call ({@link GaugeField#toHost()}).
 */
package org.mflowhpc.observable;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.stream.IntStream;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;

/** Batched gauge observables on top of a {@link Backend}. */
public final class Observables {
    private final Backend backend;

    public Observables(Backend backend) {
        if (backend == null) throw new IllegalArgumentException("backend is null");
        this.backend = backend;
    }

    /** (1/N) Re tr P averaged over all plaquettes, per configuration. */
    public double[] meanPlaquette(GaugeField u) {
        Buffer out = backend.alloc(u.batch);
        backend.meanPlaquette(u, out, 0);
        return backend.download(out);
    }

    /** W(R,T) per configuration for each requested {R, T}: out[k][b] for sizes[k]. */
    public double[][] wilsonLoops(GaugeField u, int[][] sizes) {
        double[][] out = new double[sizes.length][u.batch];
        for (int k = 0; k < sizes.length; k++) {
            if (sizes[k].length != 2 || sizes[k][0] < 1 || sizes[k][1] < 1)
                throw new IllegalArgumentException("Wilson loop sizes must be pairs {R, T} with R, T >= 1");
        }
        for (int k = 0; k < sizes.length; k++) out[k] = wilsonLoop(u, sizes[k][0], sizes[k][1]);
        return out;
    }

    /** W(R,T) per configuration (see the class contract). */
    public double[] wilsonLoop(GaugeField u, int R, int T) {
        if (R < 1 || T < 1) throw new IllegalArgumentException("Wilson loop " + R + "x" + T + ": sizes must be >= 1");
        Lattice lat = u.lattice;
        int V = lat.volume, d = lat.d, dof = u.group.dof;
        double[] f = u.toHost();
        double[] out = new double[u.batch];
        double[] site = new double[V];
        double[] lineR = new double[V * dof], lineT = new double[V * dof];
        int[][] shR = new int[d][], shT = new int[d][];
        for (int mu = 0; mu < d; mu++) { shR[mu] = shift(lat, mu, R); shT[mu] = shift(lat, mu, T); }
        for (int b = 0; b < u.batch; b++) {
            double total = 0;
            for (int mu = 0; mu < d; mu++) {
                line(u, f, b, mu, R, lineR);
                for (int nu = 0; nu < d; nu++) {
                    if (nu == mu) continue;
                    line(u, f, b, nu, T, lineT);
                    final int[] xr = shR[mu], xt = shT[nu];
                    if (u.group == Group.U1) {
                        forChunks(V, (lo, hi) -> {
                            for (int x = lo; x < hi; x++) site[x] = Math.cos(lineR[x] + lineT[xr[x]] - lineR[xt[x]] - lineT[x]);
                        });
                    } else {
                        forChunks(V, (lo, hi) -> {
                            double[] t1 = new double[18], t2 = new double[18];
                            for (int x = lo; x < hi; x++) {
                                SU3.mul(lineR, 18 * x, lineT, 18 * xr[x], t1, 0);
                                SU3.mul(lineT, 18 * x, lineR, 18 * xt[x], t2, 0);
                                double s = 0; // Re tr(t1 t2^dag) = sum_ij Re(t1_ij conj(t2_ij))
                                for (int k = 0; k < 18; k++) s += t1[k] * t2[k];
                                site[x] = s / 3.0;
                            }
                        });
                    }
                    double s = 0;
                    for (int x = 0; x < V; x++) s += site[x];
                    total += s;
                }
            }
            out[b] = total / ((double) V * d * (d - 1));
        }
        return out;
    }

    /** Range body for {@link #forChunks}. */
    interface Chunk { void run(int lo, int hi); }

    /**
     * Runs body over [0, n) in contiguous chunks (sequentially for small n, else on the common ForkJoin pool).
     * Every index belongs to exactly one chunk, so per-index outputs do not depend on the scheduling.
     */
    static void forChunks(int n, Chunk body) {
        if (n < 2048) { body.run(0, n); return; }
        int chunks = Math.min(n / 512, 8 * Runtime.getRuntime().availableProcessors());
        IntStream.range(0, chunks).parallel().forEach(c -> body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks)));
    }

    /** Site index x + l mu for every x. */
    private static int[] shift(Lattice lat, int mu, int l) {
        int[] s = new int[lat.volume];
        int[] c = new int[lat.d];
        for (int x = 0; x < lat.volume; x++) {
            lat.coords(x, c);
            c[mu] = (int) (((long) c[mu] + l) % lat.extent(mu));
            s[x] = lat.site(c);
        }
        return s;
    }

    /** Straight lines L_mu^l(x) of configuration b for all x: angles (U1) or 3x3 matrices (SU3); f = host copy of u. */
    private static void line(GaugeField u, double[] f, int b, int mu, int l, double[] out) {
        Lattice lat = u.lattice;
        int V = lat.volume;
        if (u.group == Group.U1) {
            forChunks(V, (lo, hi) -> {
                for (int x = lo; x < hi; x++) {
                    double a = 0;
                    int y = x;
                    for (int k = 0; k < l; k++) { a += f[u.offset(b, mu, y)]; y = lat.up(mu, y); }
                    out[x] = a;
                }
            });
        } else {
            forChunks(V, (lo, hi) -> {
                double[] acc = new double[18], tmp = new double[18];
                for (int x = lo; x < hi; x++) {
                    SU3.copy(f, u.offset(b, mu, x), acc, 0);
                    int y = lat.up(mu, x);
                    for (int k = 1; k < l; k++) {
                        SU3.mul(acc, 0, f, u.offset(b, mu, y), tmp, 0);
                        double[] t = acc; acc = tmp; tmp = t;
                        y = lat.up(mu, y);
                    }
                    System.arraycopy(acc, 0, out, 18 * x, 18);
                }
            });
        }
    }

    /** 2D U(1) topological charge Q = (1/2pi) sum_x arg P_01(x) per configuration. */
    public double[] topologicalCharge(GaugeField u) {
        if (u.group != Group.U1 || u.lattice.d != 2)
            throw new IllegalArgumentException("topological charge (1/2pi) sum arg P is defined for 2D U(1), got " + u.group + " in " + u.lattice.d + "D");
        int V = u.lattice.volume;
        Buffer angB = backend.alloc(u.batch * V);
        backend.plaquetteAngles(u, angB);
        double[] ang = backend.download(angB);
        double[] q = new double[u.batch];
        for (int b = 0; b < u.batch; b++) {
            double s = 0;
            for (int x = b * V; x < (b + 1) * V; x++) s += ang[x];
            q[b] = s / (2 * Math.PI);
        }
        return q;
    }

    /** Spatially averaged Polyakov loop along the last direction, per configuration. */
    public record PolyakovLoop(double[] re, double[] im) {
        /** |P| per configuration. */
        public double[] abs() {
            double[] a = new double[re.length];
            for (int b = 0; b < re.length; b++) a[b] = Math.hypot(re[b], im[b]);
            return a;
        }
    }

    /** Polyakov loop along direction d-1 (see the class contract). */
    public PolyakovLoop polyakovLoop(GaugeField u) {
        Lattice lat = u.lattice;
        int t = lat.d - 1, Lt = lat.extent(t), Vs = lat.volume / Lt;
        double[] f = u.toHost();
        double[] re = new double[u.batch], im = new double[u.batch];
        double[] sr = new double[Vs], si = new double[Vs];
        for (int b = 0; b < u.batch; b++) {
            final int bb = b;
            if (u.group == Group.U1) {
                forChunks(Vs, (lo, hi) -> {
                    for (int xs = lo; xs < hi; xs++) {
                        double a = 0;
                        for (int k = 0; k < Lt; k++) a += f[u.offset(bb, t, xs + Vs * k)];
                        sr[xs] = Math.cos(a);
                        si[xs] = Math.sin(a);
                    }
                });
            } else {
                forChunks(Vs, (lo, hi) -> {
                    double[] acc = new double[18], tmp = new double[18];
                    for (int xs = lo; xs < hi; xs++) {
                        SU3.copy(f, u.offset(bb, t, xs), acc, 0);
                        for (int k = 1; k < Lt; k++) {
                            SU3.mul(acc, 0, f, u.offset(bb, t, xs + Vs * k), tmp, 0);
                            double[] s = acc; acc = tmp; tmp = s;
                        }
                        sr[xs] = SU3.reTrace(acc, 0) / 3.0;
                        si[xs] = SU3.imTrace(acc, 0) / 3.0;
                    }
                });
            }
            double a = 0, c = 0;
            for (int xs = 0; xs < Vs; xs++) { a += sr[xs]; c += si[xs]; }
            re[b] = a / Vs;
            im[b] = c / Vs;
        }
        return new PolyakovLoop(re, im);
    }

    /** Column name of loop {R, T} in measure(): "W_RxT". */
    public static String loopName(int R, int T) { return "W_" + R + "x" + T; }

    /**
     * Standard measurement table for the batch: "plaquette", loopName(R,T) for each requested loop (duplicates
     * dropped), "Q" for 2D U(1), "poly_re", "poly_im", "poly_abs".
     */
    public Measurement measure(GaugeField u, int[][] loops) {
        Measurement m = new Measurement(u.batch);
        m.put("plaquette", meanPlaquette(u));
        Set<String> seen = new LinkedHashSet<>();
        for (int[] rt : loops) {
            if (rt.length != 2) throw new IllegalArgumentException("Wilson loop sizes must be pairs {R, T}");
            String name = loopName(rt[0], rt[1]);
            if (seen.add(name)) m.put(name, wilsonLoop(u, rt[0], rt[1]));
        }
        if (u.group == Group.U1 && u.lattice.d == 2) m.put("Q", topologicalCharge(u));
        PolyakovLoop p = polyakovLoop(u);
        m.put("poly_re", p.re());
        m.put("poly_im", p.im());
        m.put("poly_abs", p.abs());
        return m;
    }
}
