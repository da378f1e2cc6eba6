/*
 * Contract: clover field strength, topological charge and action density of a batch of configurations (U1 or SU3),
 * one value per configuration. Lattice units throughout (a = 1). docs/physics.md §7.
 *
 *   clover      C_mn(x) = sum of the four plaquettes in the (m, n) plane that start and end at x, all oriented
 *               m -> n (leaves at x, x-m, x-m-n, x-n):
 *                 U_m(x) U_n(x+m) U_m(x+n)^dag U_n(x)^dag,     U_n(x) U_m(x-m+n)^dag U_n(x-m)^dag U_m(x-m),
 *                 U_m(x-m)^dag U_n(x-m-n)^dag U_m(x-m-n) U_n(x-n),  U_n(x-n)^dag U_m(x-n) U_n(x+m-n) U_m(x)^dag
 *   field       G_mn(x) = [(C - C^dag)/8]_traceless (anti-Hermitian, ~ a^2 G_mn + O(a^4)); Hermitian F = -i G.
 *               U(1): F_mn(x) = (1/4) sum_leaves sin(theta_leaf), the imaginary parts of the four plaquettes.
 *   charge (4D) Q = (1/32 pi^2) sum_x eps_{mnrs} tr(F_mn F_rs)
 *                 = (1/4 pi^2) sum_x tr(F_01 F_23 - F_02 F_13 + F_03 F_12),   eps_0123 = +1,
 *               the same formula for both groups (U(1): tr of a 1x1). Normalisation: the continuum second Chern
 *               character, integer on a smooth field; a U(1) field of constant flux 2 pi n1 through the (0,1)
 *               planes and 2 pi n2 through the (2,3) planes has Q = n1 n2 (sin phi_01/phi_01)(sin phi_23/phi_23)
 *               -> n1 n2, phi_mn = 2 pi n / (L_m L_n) the plaquette angle; its SU(3) embedding
 *               diag(e^{i theta}, e^{-i theta}, 1) has twice that (the bundle L + L^{-1}).
 *   improved    F_imp = (5/3) F(1x1) - (1/3) (F(1x2) + F(2x1)), F(m x n) = the same clover built from the four m x n
 *               rectangles at x divided by 4 m n (m links along the first index): the leaf sum of m x n loops is
 *               4 m n F (1 + (a^2/6)(m^2 d_m^2 + n^2 d_n^2) + ...), so this combination has no O(a^2) derivative term
 *               at tree level. Q_imp and E_imp are Q and E with F_imp (U(1) constant flux: Q_imp = n1 n2 g(phi01)
 *               g(phi23), g(phi) = ((5/3) sin phi - (1/3) sin 2 phi) / phi = 1 + phi^2/6 + ...).
 *   energy      E_clov = (1/V) sum_x sum_{m<n} tr(F_mn F_mn)  (= -sum tr G^2; continuum (1/4) G^a G^a for SU(3))
 *               E_plaq = (1/V) sum_x 2 sum_{m<n} Re tr(1 - P_mn(x)) = 2 N planes (1 - <(1/N) Re tr P>)
 *               Both are Luescher's E (arXiv:1006.4518) in lattice units; t^2 E with t = t/a^2 is dimensionless.
 *               U(1): E = sum_{m<n} F_mn^2 and 2 sum (1 - cos theta_P).
 *
 * Computation: on one host copy of the batch (like the Wilson loops of Observables), parallel over sites, every
 * per-site value written once and summed in site order, so results do not depend on the thread count. Cost per site:
 * SU(3) planes x (12 products + 3 projections) ~ 15K flops in 4D; U(1) planes x 4 sines; improved: + planes x 8
 * rectangles x 6 products (~60K flops in 4D).
 */
package org.mflowhpc.observable;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;

/** Clover topological charge and action densities on top of a {@link Backend}. */
public final class Topology {
    private final Backend backend;

    public Topology(Backend backend) {
        if (backend == null) throw new IllegalArgumentException("backend is null");
        this.backend = backend;
    }

    /** Clover charge (4D; null otherwise) and clover energy per configuration. */
    public record Clover(double[] charge, double[] energy) {}

    /** Q per configuration (4D only). */
    public double[] charge(GaugeField u) {
        if (u.lattice.d != 4) throw new IllegalArgumentException("the clover topological charge is defined in 4D, got " + u.lattice.d + "D");
        return clover(u).charge();
    }

    /** E_clov per configuration (any d >= 2). */
    public double[] energyClover(GaugeField u) { return clover(u).energy(); }

    /** E_plaq = 2 N planes (1 - mean plaquette) per configuration. */
    public double[] energyPlaquette(GaugeField u) {
        Buffer out = backend.alloc(u.batch);
        backend.meanPlaquette(u, out, 0);
        double[] p = backend.download(out);
        double c = 2.0 * u.group.n * u.lattice.planes();
        for (int b = 0; b < p.length; b++) p[b] = c * (1 - p[b]);
        return p;
    }

    /** Charge (4D) and clover energy in one pass over the field. */
    public Clover clover(GaugeField u) { return fields(u, false); }

    /**
     * The same observables with the tree-level O(a^2)-improved field strength
     * F_imp = (5/3) F(1x1) - (1/3) (F(1x2) + F(2x1)) (see the class contract): Q_imp (4D) and E_imp.
     */
    public Clover improved(GaugeField u) { return fields(u, true); }

    private Clover fields(GaugeField u, boolean improve) {
        Lattice lat = u.lattice;
        int V = lat.volume, d = lat.d, np = lat.planes();
        boolean four = d == 4;
        int[][] pp = new int[np][];
        for (int m = 0, p = 0; m < d; m++) for (int n = m + 1; n < d; n++) pp[p++] = new int[] {m, n};
        double[] f = u.toHost();
        double[] q = four ? new double[u.batch] : null, e = new double[u.batch];
        double[] qs = new double[V], es = new double[V];
        boolean u1 = u.group == Group.U1;
        for (int b = 0; b < u.batch; b++) {
            final int bb = b;
            Observables.forChunks(V, (lo, hi) -> {
                double[] g = new double[np * 18];
                double[] c = new double[18], t1 = new double[18], t2 = new double[18], l = new double[18];
                double[] r = new double[18], gr = new double[18];
                for (int x = lo; x < hi; x++) {
                    double en = 0;
                    for (int p = 0; p < np; p++) {
                        int m = pp[p][0], n = pp[p][1];
                        int xpm = lat.up(m, x), xpn = lat.up(n, x), xmm = lat.dn(m, x), xmn = lat.dn(n, x);
                        int xmmpn = lat.up(n, xmm), xmmmn = lat.dn(n, xmm), xpmmn = lat.up(m, xmn);
                        if (u1) {
                            double s = Math.sin(a(u, f, bb, m, x) + a(u, f, bb, n, xpm) - a(u, f, bb, m, xpn) - a(u, f, bb, n, x))
                                    + Math.sin(a(u, f, bb, n, x) - a(u, f, bb, m, xmmpn) - a(u, f, bb, n, xmm) + a(u, f, bb, m, xmm))
                                    + Math.sin(-a(u, f, bb, m, xmm) - a(u, f, bb, n, xmmmn) + a(u, f, bb, m, xmmmn) + a(u, f, bb, n, xmn))
                                    + Math.sin(-a(u, f, bb, n, xmn) + a(u, f, bb, m, xmn) + a(u, f, bb, n, xpmmn) - a(u, f, bb, m, x));
                            g[p] = 0.25 * s;
                            if (improve)
                                g[p] = (5.0 / 3.0) * g[p] - (1.0 / 3.0) * (rectLeavesU1(u, f, bb, m, n, 1, 2, x) + rectLeavesU1(u, f, bb, m, n, 2, 1, x)) / 8.0;
                            en += g[p] * g[p];
                        } else {
                            java.util.Arrays.fill(c, 0);
                            // leaf 1: U_m(x) U_n(x+m) U_m(x+n)^dag U_n(x)^dag
                            SU3.mul(f, u.offset(bb, m, x), f, u.offset(bb, n, xpm), t1, 0);
                            SU3.mulDag(t1, 0, f, u.offset(bb, m, xpn), t2, 0);
                            SU3.mulDag(t2, 0, f, u.offset(bb, n, x), l, 0);
                            SU3.addScaled(l, 0, 1.0, c, 0);
                            // leaf 2: U_n(x) U_m(x-m+n)^dag U_n(x-m)^dag U_m(x-m)
                            SU3.mulDag(f, u.offset(bb, n, x), f, u.offset(bb, m, xmmpn), t1, 0);
                            SU3.mulDag(t1, 0, f, u.offset(bb, n, xmm), t2, 0);
                            SU3.mul(t2, 0, f, u.offset(bb, m, xmm), l, 0);
                            SU3.addScaled(l, 0, 1.0, c, 0);
                            // leaf 3: U_m(x-m)^dag U_n(x-m-n)^dag U_m(x-m-n) U_n(x-n) = (U_n(x-m-n) U_m(x-m))^dag U_m(x-m-n) U_n(x-n)
                            SU3.mul(f, u.offset(bb, n, xmmmn), f, u.offset(bb, m, xmm), t1, 0);
                            SU3.dagMul(t1, 0, f, u.offset(bb, m, xmmmn), t2, 0);
                            SU3.mul(t2, 0, f, u.offset(bb, n, xmn), l, 0);
                            SU3.addScaled(l, 0, 1.0, c, 0);
                            // leaf 4: U_n(x-n)^dag U_m(x-n) U_n(x+m-n) U_m(x)^dag
                            SU3.dagMul(f, u.offset(bb, n, xmn), f, u.offset(bb, m, xmn), t1, 0);
                            SU3.mul(t1, 0, f, u.offset(bb, n, xpmmn), t2, 0);
                            SU3.mulDag(t2, 0, f, u.offset(bb, m, x), l, 0);
                            SU3.addScaled(l, 0, 1.0, c, 0);
                            SU3.projectTA(c, 0, g, 18 * p); // (C - C^dag)/2 traceless
                            for (int k = 18 * p; k < 18 * p + 18; k++) g[k] *= 0.25;
                            if (improve) {
                                // (1/3)(G(1x2) + G(2x1)), G(mxn) = TA(C_mxn) / (4 m n): both 1/8 of TA of the leaf sums
                                java.util.Arrays.fill(r, 0);
                                rectLeavesSU3(u, f, bb, m, n, 1, 2, x, r, t1, t2);
                                rectLeavesSU3(u, f, bb, m, n, 2, 1, x, r, t1, t2);
                                SU3.projectTA(r, 0, gr, 0);
                                for (int k = 0; k < 18; k++) g[18 * p + k] = (5.0 / 3.0) * g[18 * p + k] - (1.0 / 3.0) * gr[k] / 8.0;
                            }
                            double s = 0;
                            for (int k = 18 * p; k < 18 * p + 18; k++) s += g[k] * g[k];
                            en += s; // -tr(G G) = sum |G_ij|^2
                        }
                    }
                    es[x] = en;
                    if (four) {
                        // tr(F_a F_b) = -tr(G_a G_b) = sum_ij Re(G_a,ij conj G_b,ij); planes 0..5 = 01 02 03 12 13 23
                        qs[x] = (dot(g, 0, 5, u1) - dot(g, 1, 4, u1) + dot(g, 2, 3, u1)) / (4 * Math.PI * Math.PI);
                    }
                }
            });
            double sq = 0, se = 0;
            for (int x = 0; x < V; x++) { se += es[x]; if (four) sq += qs[x]; }
            e[b] = se / V;
            if (four) q[b] = sq;
        }
        return new Clover(q, e);
    }

    private static double a(GaugeField u, double[] f, int b, int mu, int x) { return f[u.offset(b, mu, x)]; }

    /**
     * The four counter-clockwise lm x ln leaves (lm links along mu, ln along nu) that start and end at x, as segments
     * {direction, sign, length}: leaf 1 (+mu, +nu, -mu, -nu), 2 (+nu, -mu, -nu, +mu), 3 (-mu, -nu, +mu, +nu),
     * 4 (-nu, +mu, +nu, -mu).
     */
    private static int[][] leaves(int mu, int nu, int lm, int ln) {
        return new int[][] {
            {mu, 1, lm, nu, 1, ln, mu, -1, lm, nu, -1, ln},
            {nu, 1, ln, mu, -1, lm, nu, -1, ln, mu, 1, lm},
            {mu, -1, lm, nu, -1, ln, mu, 1, lm, nu, 1, ln},
            {nu, -1, ln, mu, 1, lm, nu, 1, ln, mu, -1, lm},
        };
    }

    /** U(1): sum over the four lm x ln leaves at x of sin(leaf angle). */
    private static double rectLeavesU1(GaugeField u, double[] f, int b, int mu, int nu, int lm, int ln, int x) {
        Lattice lat = u.lattice;
        double s = 0;
        for (int[] leaf : leaves(mu, nu, lm, ln)) {
            double ang = 0;
            int y = x;
            for (int seg = 0; seg < 12; seg += 3) {
                int dir = leaf[seg], sg = leaf[seg + 1];
                for (int k = 0; k < leaf[seg + 2]; k++) {
                    if (sg > 0) { ang += f[u.offset(b, dir, y)]; y = lat.up(dir, y); }
                    else { y = lat.dn(dir, y); ang -= f[u.offset(b, dir, y)]; }
                }
            }
            s += Math.sin(ang);
        }
        return s;
    }

    /** SU(3): ADDS the four lm x ln leaves at x (products of 2(lm + ln) links) into c; acc, tmp scratch. */
    private static void rectLeavesSU3(GaugeField u, double[] f, int b, int mu, int nu, int lm, int ln, int x,
                                      double[] c, double[] acc, double[] tmp) {
        Lattice lat = u.lattice;
        for (int[] leaf : leaves(mu, nu, lm, ln)) {
            SU3.setIdentity(acc, 0);
            int y = x;
            for (int seg = 0; seg < 12; seg += 3) {
                int dir = leaf[seg], sg = leaf[seg + 1];
                for (int k = 0; k < leaf[seg + 2]; k++) {
                    if (sg > 0) { SU3.mul(acc, 0, f, u.offset(b, dir, y), tmp, 0); y = lat.up(dir, y); }
                    else { y = lat.dn(dir, y); SU3.mulDag(acc, 0, f, u.offset(b, dir, y), tmp, 0); }
                    System.arraycopy(tmp, 0, acc, 0, 18);
                }
            }
            SU3.addScaled(acc, 0, 1.0, c, 0);
        }
    }

    private static double dot(double[] g, int p, int r, boolean u1) {
        if (u1) return g[p] * g[r];
        double s = 0;
        for (int k = 0; k < 18; k++) s += g[18 * p + k] * g[18 * r + k];
        return s;
    }
}
