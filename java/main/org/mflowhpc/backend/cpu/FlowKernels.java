package org.mflowhpc.backend.cpu;

import java.util.concurrent.ConcurrentHashMap;

import org.mflowhpc.backend.LinkFlow;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.group.U1;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.math.CircleBase;

/**
 * CPU reference kernels of the coupling-layer ops of {@link org.mflowhpc.backend.Backend}: loop features, gather
 * and scatter of active links, link flows on batches of elements (contracts and layouts in Backend).
 *
 * <p>Geometry. Plaquette P_mn(x) = A B C^dag D^dag with A = U_m(x), B = U_n(x+m), C = U_m(x+n), D = U_n(x).
 * Active link U_mu(x) with partner direction nu: frozen staple Γ = U_nu(x) U_mu(x+nu) U_nu(x+mu)^dag
 * = D' B' C'^dag (D' = U_nu(x), B' = U_mu(x+nu), C' = U_nu(x+mu)), W = U Γ^dag (the plaquette of the (mu, nu)
 * plane at x, oriented mu first). U(1): angles add, W = theta_mu(x) + theta_nu(x+mu) - theta_mu(x+nu) - theta_nu(x).
 *
 * <p>Euclidean gradients (dL = Re tr(G^dag dX) for every matrix X; for U(1) dL/dtheta): for h = Re tr(c P),
 * c = (g_re - i g_im)/N from the feature channels, G_A = conj(c) D C B^dag, G_B = conj(c) A^dag D C,
 * G_C = c D^dag A B, G_D = c A B C^dag. For U = W' Γ: G_W' = G Γ^dag, G_Γ = W'^dag G; for W = U Γ^dag:
 * G_U = G_W Γ, G_Γ = G_W^dag U; and G_Γ reaches Γ's links as G_D' = G_Γ C' B'^dag, G_B' = D'^dag G_Γ C',
 * G_C' = G_Γ^dag D' B'. A negative partner nu = ~n (-1 - n) takes the staple on the -n side (the backward staple)
 * Γ_b = A^dag B C, A = U_n(x-n), B = U_mu(x-n), C = U_n(x-n+mu) (Re tr U Γ_b^dag = Re tr P_{mu n}(x-n); U(1):
 * theta_Γb = -theta_A + theta_B + theta_C), whose links get G_A = B C G_Γ^dag, G_B = A G_Γ C^dag, G_C = B^dag A G_Γ.
 *
 * <p>Threads. Per-element work (features, gathers, link flows) runs over (configuration, site) in parallel; the
 * gradient scatter-adds, where neighbouring elements share links, run in parallel over configurations only, each
 * configuration serially in site order, so results are bit-identical for any thread count.
 */
final class FlowKernels {
    private FlowKernels() {}

    private static final ConcurrentHashMap<LinkFlow, Object> FLOWS = new ConcurrentHashMap<>();

    /** The per-element implementation of a link flow (immutable, shared). */
    static Object impl(LinkFlow f) {
        return FLOWS.computeIfAbsent(f, k -> {
            switch (k.kind) {
                case NCP: return new NcpMixture(k.components);
                case RQS: return new CircularSpline(k.components);
                default: return new Su3Spectral(k.components);
            }
        });
    }

    private static int[][] planePairs(int d) {
        int[][] pp = new int[d * (d - 1) / 2][];
        int p = 0;
        for (int m = 0; m < d; m++) for (int n = m + 1; n < d; n++) pp[p++] = new int[] {m, n};
        return pp;
    }

    // ------------------------------------------------------------------ loop features

    static void loopFeatures(CpuBackend be, GaugeField u, int[] frozen, double[] out) {
        Lattice lat = u.lattice;
        int V = lat.volume, np = lat.planes(), C = 2 * np;
        int[][] pp = planePairs(lat.d);
        double[] f = CpuBackend.data(u);
        boolean u1 = u.group == Group.U1;
        be.parallelRange(u.batch * V, 64, (lo, hi) -> {
            double[] t1 = new double[18], t2 = new double[18];
            for (int i = lo; i < hi; i++) {
                int b = i / V, x = i % V;
                for (int p = 0; p < np; p++) {
                    int o = (b * C + 2 * p) * V + x;
                    if (frozen[p * V + x] == 0) { out[o] = 0; out[o + V] = 0; continue; }
                    int m = pp[p][0], n = pp[p][1];
                    if (u1) {
                        double th = f[u.offset(b, m, x)] + f[u.offset(b, n, lat.up(m, x))] - f[u.offset(b, m, lat.up(n, x))] - f[u.offset(b, n, x)];
                        out[o] = Math.cos(th);
                        out[o + V] = Math.sin(th);
                    } else {
                        SU3.mul(f, u.offset(b, m, x), f, u.offset(b, n, lat.up(m, x)), t1, 0);   // A B
                        SU3.mul(f, u.offset(b, n, x), f, u.offset(b, m, lat.up(n, x)), t2, 0);   // D C
                        // tr(A B (D C)^dag)
                        double re = 0, im = 0;
                        for (int r = 0; r < 3; r++)
                            for (int k = 0; k < 3; k++) {
                                int a = 2 * (3 * r + k), c = 2 * (3 * r + k);
                                // (AB)_{rk} conj((DC)_{rk})
                                re += t1[a] * t2[c] + t1[a + 1] * t2[c + 1];
                                im += t1[a + 1] * t2[c] - t1[a] * t2[c + 1];
                            }
                        out[o] = re / 3.0;
                        out[o + V] = im / 3.0;
                    }
                }
            }
        });
    }

    static void loopFeaturesBackward(CpuBackend be, GaugeField u, int[] frozen, double[] gFeat, double[] g) {
        Lattice lat = u.lattice;
        int V = lat.volume, np = lat.planes(), C = 2 * np;
        int[][] pp = planePairs(lat.d);
        double[] f = CpuBackend.data(u);
        boolean u1 = u.group == Group.U1;
        be.parallelFor(u.batch, b -> {
            double[] ab = new double[18], dc = new double[18], t = new double[18], m1 = new double[18], cc = new double[18];
            for (int p = 0; p < np; p++) {
                int m = pp[p][0], n = pp[p][1];
                for (int x = 0; x < V; x++) {
                    if (frozen[p * V + x] == 0) continue;
                    int o = (b * C + 2 * p) * V + x;
                    double gr = gFeat[o], gi = gFeat[o + V];
                    if (gr == 0 && gi == 0) continue;
                    int oA = u.offset(b, m, x), oB = u.offset(b, n, lat.up(m, x)), oC = u.offset(b, m, lat.up(n, x)), oD = u.offset(b, n, x);
                    if (u1) {
                        double th = f[oA] + f[oB] - f[oC] - f[oD];
                        double gp = -Math.sin(th) * gr + Math.cos(th) * gi;
                        g[oA] += gp; g[oB] += gp; g[oC] -= gp; g[oD] -= gp;
                        continue;
                    }
                    double cr = gr / 3.0, ci = -gi / 3.0; // c = (g_re - i g_im)/3
                    // G_A = conj(c) D C B^dag
                    SU3.mul(f, oD, f, oC, dc, 0);
                    SU3.mulDag(dc, 0, f, oB, t, 0);
                    addScaledC(t, cr, -ci, g, oA);
                    // G_B = conj(c) A^dag D C
                    SU3.dagMul(f, oA, dc, 0, t, 0);
                    addScaledC(t, cr, -ci, g, oB);
                    // G_C = c D^dag A B
                    SU3.mul(f, oA, f, oB, ab, 0);
                    SU3.dagMul(f, oD, ab, 0, t, 0);
                    addScaledC(t, cr, ci, g, oC);
                    // G_D = c A B C^dag
                    SU3.mulDag(ab, 0, f, oC, t, 0);
                    addScaledC(t, cr, ci, g, oD);
                }
            }
        });
    }

    /** g[go..] += (zr + i zi) * t (3x3 complex). */
    private static void addScaledC(double[] t, double zr, double zi, double[] g, int go) {
        for (int k = 0; k < 18; k += 2) {
            g[go + k] += zr * t[k] - zi * t[k + 1];
            g[go + k + 1] += zr * t[k + 1] + zi * t[k];
        }
    }

    // ------------------------------------------------------------------ gather / scatter of active links

    /**
     * Γ(x) = U_nu(x) U_mu(x+nu) U_nu(x+mu)^dag into gam[0..18) (SU(3)); t scratch. nu = ~n: the backward staple
     * Γ_b = U_n(x-n)^dag U_mu(x-n) U_n(x-n+mu).
     */
    private static void staple(double[] f, GaugeField u, int b, int mu, int nu, int x, double[] t, double[] gam) {
        Lattice lat = u.lattice;
        if (nu < 0) {
            int n = ~nu, xm = lat.dn(n, x);
            SU3.dagMul(f, u.offset(b, n, xm), f, u.offset(b, mu, xm), t, 0);
            SU3.mul(t, 0, f, u.offset(b, n, lat.up(mu, xm)), gam, 0);
            return;
        }
        SU3.mul(f, u.offset(b, nu, x), f, u.offset(b, mu, lat.up(nu, x)), t, 0);
        SU3.mulDag(t, 0, f, u.offset(b, nu, lat.up(mu, x)), gam, 0);
    }

    private static double stapleU1(double[] f, GaugeField u, int b, int mu, int nu, int x) {
        Lattice lat = u.lattice;
        if (nu < 0) {
            int n = ~nu, xm = lat.dn(n, x);
            return -f[u.offset(b, n, xm)] + f[u.offset(b, mu, xm)] + f[u.offset(b, n, lat.up(mu, xm))];
        }
        return f[u.offset(b, nu, x)] + f[u.offset(b, mu, lat.up(nu, x))] - f[u.offset(b, nu, lat.up(mu, x))];
    }

    /** Directions of an active link and its partner; the single staple also takes nu = ~n (the -n side). */
    private static void checkPair(Lattice lat, int mu, int nu, boolean mid, String what) {
        int n = !mid && nu < 0 ? ~nu : nu;
        if (mu < 0 || mu >= lat.d || n < 0 || n >= lat.d || mu == n)
            throw new IllegalArgumentException(what + ": directions mu = " + mu + ", nu = " + nu + " are not a plane of a " + lat.d + "D lattice");
    }

    static void gather(CpuBackend be, GaugeField u, int mu, int nu, int[] sites, double[] w, boolean mid) {
        checkPair(u.lattice, mu, nu, mid, mid ? "gatherMidpoint" : "gatherActive");
        int M = sites.length;
        double[] f = CpuBackend.data(u);
        boolean u1 = u.group == Group.U1;
        be.parallelRange(u.batch * M, 64, (lo, hi) -> {
            Gam gm = new Gam();
            for (int e = lo; e < hi; e++) {
                int b = e / M, x = sites[e % M];
                if (u1) { w[e] = f[u.offset(b, mu, x)] - gammaU1(f, u, b, mu, nu, x, mid); continue; }
                gamma(f, u, b, mu, nu, x, mid, gm);
                SU3.mulDag(f, u.offset(b, mu, x), gm.gam, 0, w, 18 * e);
            }
        });
    }

    static void scatter(CpuBackend be, GaugeField u, int mu, int nu, int[] sites, double[] w, boolean mid) {
        checkPair(u.lattice, mu, nu, mid, mid ? "scatterMidpoint" : "scatterActive");
        int M = sites.length;
        double[] f = CpuBackend.data(u);
        boolean u1 = u.group == Group.U1;
        be.parallelRange(u.batch * M, 64, (lo, hi) -> {
            Gam gm = new Gam();
            for (int e = lo; e < hi; e++) {
                int b = e / M, x = sites[e % M];
                if (u1) { f[u.offset(b, mu, x)] = U1.wrap(w[e] + gammaU1(f, u, b, mu, nu, x, mid)); continue; }
                gamma(f, u, b, mu, nu, x, mid, gm);
                SU3.mul(w, 18 * e, gm.gam, 0, f, u.offset(b, mu, x));
            }
        });
    }

    // --- the frozen loop Γ of an active link: single staple, or the midpoint of the two (mu, nu) staples

    /** Scratch of one worker: gam = Γ, and for the midpoint gf, gb, q = gf^dag gb, r = sqrt(q). */
    private static final class Gam {
        final double[] gam = new double[18], gf = new double[18], gb = new double[18], q = new double[18], r = new double[18],
                t = new double[18], t2 = new double[18], g1 = new double[18], g2 = new double[18], g3 = new double[18];
    }

    /**
     * Γ of the active link U_mu(x) with partner nu (SU(3)). Single staple (mid = false): Γ_f = U_nu(x) U_mu(x+nu)
     * U_nu(x+mu)^dag. Midpoint (mid = true): also Γ_b = U_nu(x-nu)^dag U_mu(x-nu) U_nu(x-nu+mu) (the staple of the
     * plaquette P_{mu nu}(x - nu), so that Re tr P_{mu nu}(x) + Re tr P_{mu nu}(x-nu) = Re tr U (Γ_f^dag + Γ_b^dag)),
     * and Γ = Γ_f sqrt(Γ_f^dag Γ_b) (Su3Spectral.sqrt), the point halfway between Γ_f and Γ_b (U(1): the mean angle).
     */
    private static void gamma(double[] f, GaugeField u, int b, int mu, int nu, int x, boolean mid, Gam s) {
        if (!mid) { staple(f, u, b, mu, nu, x, s.t, s.gam); return; }
        staple(f, u, b, mu, nu, x, s.t, s.gf);
        staple(f, u, b, mu, ~nu, x, s.t, s.gb);
        SU3.dagMul(s.gf, 0, s.gb, 0, s.q, 0);
        Su3Spectral.sqrt(s.q, 0, s.r, 0);
        SU3.mul(s.gf, 0, s.r, 0, s.gam, 0);
    }

    /** U(1) Γ angle: theta_Γf, or for the midpoint theta_Γf + wrap(theta_Γb - theta_Γf)/2. */
    private static double gammaU1(double[] f, GaugeField u, int b, int mu, int nu, int x, boolean mid) {
        double gf = stapleU1(f, u, b, mu, nu, x);
        if (!mid) return gf;
        double gb = stapleU1(f, u, b, mu, ~nu, x);
        return gf + 0.5 * U1.wrap(gb - gf);
    }

    /** Adds dL/dΓ = gGam to the links of Γ (SU(3); s from {@link #gamma} at the same link). */
    private static void gammaBackward(double[] f, GaugeField u, int b, int mu, int nu, int x, boolean mid, double[] gGam,
                                      double[] g, Gam s) {
        if (!mid) { stapleBackward(f, u, b, mu, nu, x, gGam, g, s.t, s.t2); return; }
        // Γ = Γ_f R, R = sqrt(Q), Q = Γ_f^dag Γ_b:  G_Γf = G R^dag + Γ_b G_Q^dag,  G_R = Γ_f^dag G,  G_Γb = Γ_f G_Q
        SU3.mulDag(gGam, 0, s.r, 0, s.g1, 0);
        SU3.dagMul(s.gf, 0, gGam, 0, s.t, 0);
        Su3Spectral.sqrtBackward(s.q, 0, s.t, 0, s.g2, 0);           // g2 = G_Q
        SU3.mulDag(s.gb, 0, s.g2, 0, s.t, 0);
        SU3.addScaled(s.t, 0, 1.0, s.g1, 0);                          // g1 = G_Γf
        SU3.mul(s.gf, 0, s.g2, 0, s.g3, 0);                           // g3 = G_Γb
        stapleBackward(f, u, b, mu, nu, x, s.g1, g, s.t, s.t2);
        stapleBackward(f, u, b, mu, ~nu, x, s.g3, g, s.t, s.t2);
    }

    /** U(1): adds dL/dtheta_Γ = gGam to the links of Γ (midpoint: half to each staple). */
    private static void gammaBackwardU1(double[] f, GaugeField u, int b, int mu, int nu, int x, boolean mid, double gGam, double[] g) {
        if (!mid) { stapleBackwardU1(u, b, mu, nu, x, gGam, g); return; }
        stapleBackwardU1(u, b, mu, nu, x, 0.5 * gGam, g);
        stapleBackwardU1(u, b, mu, ~nu, x, 0.5 * gGam, g);
    }

    /** Adds dL/dΓ = gGam to Γ's three links (SU(3)). */
    private static void stapleBackward(double[] f, GaugeField u, int b, int mu, int nu, int x, double[] gGam, double[] g,
                                       double[] t, double[] t2) {
        Lattice lat = u.lattice;
        if (nu < 0) { // Γ_b = A^dag B C: G_A = B C G^dag, G_B = A G C^dag, G_C = B^dag A G
            int n = ~nu, xm = lat.dn(n, x), oA = u.offset(b, n, xm), oB = u.offset(b, mu, xm), oC = u.offset(b, n, lat.up(mu, xm));
            SU3.mul(f, oB, f, oC, t, 0);
            SU3.mulDag(t, 0, gGam, 0, t2, 0);
            SU3.addScaled(t2, 0, 1.0, g, oA);
            SU3.mul(f, oA, gGam, 0, t, 0);
            SU3.mulDag(t, 0, f, oC, t2, 0);
            SU3.addScaled(t2, 0, 1.0, g, oB);
            SU3.dagMul(f, oB, f, oA, t, 0);
            SU3.mul(t, 0, gGam, 0, t2, 0);
            SU3.addScaled(t2, 0, 1.0, g, oC);
            return;
        }
        int oD = u.offset(b, nu, x), oB = u.offset(b, mu, lat.up(nu, x)), oC = u.offset(b, nu, lat.up(mu, x));
        // G_D' = G_Γ C' B'^dag
        SU3.mulDag(f, oC, f, oB, t, 0);
        SU3.mul(gGam, 0, t, 0, t2, 0);
        SU3.addScaled(t2, 0, 1.0, g, oD);
        // G_B' = D'^dag G_Γ C'
        SU3.dagMul(f, oD, gGam, 0, t, 0);
        SU3.mul(t, 0, f, oC, t2, 0);
        SU3.addScaled(t2, 0, 1.0, g, oB);
        // G_C' = G_Γ^dag D' B'
        SU3.mul(f, oD, f, oB, t, 0);
        SU3.dagMul(gGam, 0, t, 0, t2, 0);
        SU3.addScaled(t2, 0, 1.0, g, oC);
    }

    private static void stapleBackwardU1(GaugeField u, int b, int mu, int nu, int x, double gGam, double[] g) {
        Lattice lat = u.lattice;
        if (nu < 0) {
            int n = ~nu, xm = lat.dn(n, x);
            g[u.offset(b, n, xm)] -= gGam;
            g[u.offset(b, mu, xm)] += gGam;
            g[u.offset(b, n, lat.up(mu, xm))] += gGam;
            return;
        }
        g[u.offset(b, nu, x)] += gGam;
        g[u.offset(b, mu, lat.up(nu, x))] += gGam;
        g[u.offset(b, nu, lat.up(mu, x))] -= gGam;
    }

    static void scatterBackward(CpuBackend be, GaugeField u, int mu, int nu, int[] sites, double[] wNew, double[] g, double[] gW, boolean mid) {
        checkPair(u.lattice, mu, nu, mid, mid ? "scatterMidpointBackward" : "scatterActiveBackward");
        int M = sites.length;
        double[] f = CpuBackend.data(u);
        boolean u1 = u.group == Group.U1;
        be.parallelFor(u.batch, b -> {
            Gam gm = new Gam();
            double[] gg = new double[18];
            for (int j = 0; j < M; j++) {
                int e = b * M + j, x = sites[j], o = u.offset(b, mu, x);
                if (u1) {
                    double gl = g[o];
                    g[o] = 0;
                    gW[e] = gl;
                    gammaBackwardU1(f, u, b, mu, nu, x, mid, gl, g);
                    continue;
                }
                gamma(f, u, b, mu, nu, x, mid, gm);
                SU3.mulDag(g, o, gm.gam, 0, gW, 18 * e);     // G_W' = G Γ^dag
                SU3.dagMul(wNew, 18 * e, g, o, gg, 0);       // G_Γ = W'^dag G
                for (int k = 0; k < 18; k++) g[o + k] = 0;
                gammaBackward(f, u, b, mu, nu, x, mid, gg, g, gm);
            }
        });
    }

    static void gatherBackward(CpuBackend be, GaugeField u, int mu, int nu, int[] sites, double[] wOld, double[] gW, double[] g, boolean mid) {
        checkPair(u.lattice, mu, nu, mid, mid ? "gatherMidpointBackward" : "gatherActiveBackward");
        int M = sites.length;
        double[] f = CpuBackend.data(u);
        boolean u1 = u.group == Group.U1;
        be.parallelFor(u.batch, b -> {
            Gam gm = new Gam();
            double[] t2 = new double[18], uin = new double[18], gg = new double[18];
            for (int j = 0; j < M; j++) {
                int e = b * M + j, x = sites[j], o = u.offset(b, mu, x);
                if (u1) {
                    g[o] += gW[e];
                    gammaBackwardU1(f, u, b, mu, nu, x, mid, -gW[e], g);
                    continue;
                }
                gamma(f, u, b, mu, nu, x, mid, gm);
                SU3.mul(gW, 18 * e, gm.gam, 0, t2, 0);       // G_U = G_W Γ
                SU3.addScaled(t2, 0, 1.0, g, o);
                SU3.mul(wOld, 18 * e, gm.gam, 0, uin, 0);    // U_in = W Γ
                SU3.dagMul(gW, 18 * e, uin, 0, gg, 0);       // G_Γ = G_W^dag U
                gammaBackward(f, u, b, mu, nu, x, mid, gg, g, gm);
            }
        });
    }

    // ------------------------------------------------------------------ link flows

    static void linkFlow(CpuBackend be, LinkFlow lf, int n, int m, double[] w, double[] raw, int rOff, int rB,
                         double[] out, double[] logJ, boolean inverse) {
        Object im = impl(lf);
        if (lf.isU1()) {
            CircleFlow cf = (CircleFlow) im;
            be.parallelRange(n, 64, (lo, hi) -> {
                double[] r = new double[2];
                for (int e = lo; e < hi; e++) {
                    int off = rOff + (e / m) * rB + e % m;
                    if (inverse) cf.inverse(w[e], raw, off, m, r); else cf.forward(w[e], raw, off, m, r);
                    out[e] = r[0];
                    logJ[e] = r[1];
                }
            });
        } else {
            Su3Spectral sf = (Su3Spectral) im;
            be.parallelRange(n, 16, (lo, hi) -> {
                for (int e = lo; e < hi; e++) {
                    int off = rOff + (e / m) * rB + e % m;
                    logJ[e] = inverse ? sf.inverse(w, 18 * e, raw, off, m, out, 18 * e) : sf.forward(w, 18 * e, raw, off, m, out, 18 * e);
                }
            });
        }
    }

    static void linkFlowBackward(CpuBackend be, LinkFlow lf, int n, int m, double[] w, double[] raw, int rOff, int rB,
                                 double[] gOut, double[] gLogJ, double[] gW, double[] gRaw) {
        Object im = impl(lf);
        // Elements write disjoint gRaw entries (element e owns column e % m of its configuration's block).
        if (lf.isU1()) {
            CircleFlow cf = (CircleFlow) im;
            be.parallelFor(n, e -> {
                int off = rOff + (e / m) * rB + e % m;
                gW[e] = cf.backward(w[e], raw, off, m, gOut[e], gLogJ[e], gRaw, off, m);
            }, 64);
        } else {
            Su3Spectral sf = (Su3Spectral) im;
            be.parallelFor(n, e -> {
                int off = rOff + (e / m) * rB + e % m;
                sf.backward(w, 18 * e, raw, off, m, gOut, 18 * e, gLogJ[e], gW, 18 * e, gRaw, off, m);
            }, 16);
        }
    }

    // ------------------------------------------------------------------ multiscale doubling (contracts in Backend)

    static void doublingSplit(CpuBackend be, GaugeField c, GaugeField r, int mu, int[] even, int[] fresh, GaugeField u) {
        double[] fc = CpuBackend.data(c), fr = CpuBackend.data(r), fu = CpuBackend.data(u);
        int vc = c.lattice.volume, d = c.lattice.d, dof = c.group.dof;
        boolean u1 = c.group == Group.U1;
        be.parallelFor(c.batch * vc, i -> {
            int b = i / vc, s = i % vc, x = even[s], y = fresh[s];
            for (int nu = 0; nu < d; nu++) {
                if (nu == mu) continue;
                System.arraycopy(fc, c.offset(b, nu, s), fu, u.offset(b, nu, x), dof);
                System.arraycopy(fr, r.offset(b, nu, s), fu, u.offset(b, nu, y), dof);
            }
            System.arraycopy(fr, r.offset(b, mu, s), fu, u.offset(b, mu, y), dof);
            if (u1) fu[u.offset(b, mu, x)] = U1.wrap(fc[c.offset(b, mu, s)] - fr[r.offset(b, mu, s)]);
            else SU3.mulDag(fc, c.offset(b, mu, s), fr, r.offset(b, mu, s), fu, u.offset(b, mu, x));
        });
    }

    static void doublingMerge(CpuBackend be, GaugeField u, int mu, int[] even, int[] fresh, GaugeField c) {
        double[] fc = CpuBackend.data(c), fu = CpuBackend.data(u);
        int vc = c.lattice.volume, d = c.lattice.d, dof = c.group.dof;
        boolean u1 = c.group == Group.U1;
        be.parallelFor(c.batch * vc, i -> {
            int b = i / vc, s = i % vc, x = even[s], y = fresh[s];
            for (int nu = 0; nu < d; nu++)
                if (nu != mu) System.arraycopy(fu, u.offset(b, nu, x), fc, c.offset(b, nu, s), dof);
            if (u1) fc[c.offset(b, mu, s)] = U1.wrap(fu[u.offset(b, mu, x)] + fu[u.offset(b, mu, y)]);
            else SU3.mul(fu, u.offset(b, mu, x), fu, u.offset(b, mu, y), fc, c.offset(b, mu, s));
        });
    }

    static void doublingSplitBackward(CpuBackend be, GaugeField r, int mu, int[] even, int[] fresh, double[] gu, double[] gc) {
        double[] fr = CpuBackend.data(r);
        int vc = r.lattice.volume, vf = 2 * vc, d = r.lattice.d, dof = r.group.dof;
        boolean u1 = r.group == Group.U1;
        be.parallelRange(r.batch * vc, 64, (lo, hi) -> {
            double[] t = new double[18];
            for (int i = lo; i < hi; i++) {
                int b = i / vc, s = i % vc, x = even[s];
                for (int nu = 0; nu < d; nu++) {
                    int oc = ((b * d + nu) * vc + s) * dof, of = ((b * d + nu) * vf + x) * dof;
                    if (nu != mu) { for (int k = 0; k < dof; k++) gc[oc + k] += gu[of + k]; continue; }
                    if (u1) { gc[oc] += gu[of]; continue; }
                    SU3.mul(gu, of, fr, r.offset(b, mu, s), t, 0);
                    SU3.addScaled(t, 0, 1.0, gc, oc);
                }
            }
        });
    }

    // ------------------------------------------------------------------ analytic U(1) base (contracts in Backend)

    /** kappa = 2 betaA sqrt((1 + c)/2) and dkappa/dc = betaA^2 / kappa (0 where kappa vanishes). */
    private static double kappa(double betaA, double c) { return 2 * betaA * Math.sqrt(Math.max(0, 0.5 * (1 + c))); }

    static void u1Base(CpuBackend be, boolean logistic, double betaA, int n, int m, double[] in, double[] feat, int fOff, int fB,
                       double[] raw, int rOff, int rB, double[] out, double[] logJ, boolean inverse) {
        be.parallelRange(n, 256, (lo, hi) -> {
            double[] sc = new double[2], o = new double[5];
            for (int e = lo; e < hi; e++) {
                int b = e / m, j = e % m;
                CircleBase.scale(logistic, betaA, kappa(betaA, feat[fOff + b * fB + j]), sc);
                double s = sc[0] + raw[rOff + b * rB + j];
                double x = inverse ? CircleBase.inverse(logistic, in[e], s) : in[e];
                CircleBase.forward(logistic, x, s, o);
                out[e] = inverse ? x : o[0];
                logJ[e] = o[1];
            }
        });
    }

    static void u1BaseBackward(CpuBackend be, boolean logistic, double betaA, int n, int m, double[] x, double[] feat, int fOff, int fB,
                               double[] raw, int rOff, int rB, double[] gY, double[] gLogJ, double[] gX, double[] gFeat, double[] gRaw) {
        be.parallelRange(n, 256, (lo, hi) -> {
            double[] sc = new double[2], o = new double[5];
            for (int e = lo; e < hi; e++) {
                int b = e / m, j = e % m, fi = fOff + b * fB + j;
                double k = kappa(betaA, feat[fi]);
                CircleBase.scale(logistic, betaA, k, sc);
                double s = sc[0] + raw[rOff + b * rB + j];
                CircleBase.forward(logistic, x[e], s, o);
                gX[e] = gY[e] * Math.exp(o[1]) + gLogJ[e] * o[4];
                double gs = gY[e] * o[2] + gLogJ[e] * o[3];
                gRaw[rOff + b * rB + j] += gs;
                if (k > 1e-12) gFeat[fi] += gs * sc[1] * betaA * betaA / k;
            }
        });
    }
}
