package org.mflowhpc.flow.multiscale;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.mflowhpc.group.U1;
import org.mflowhpc.lattice.Coarsening;
import org.mflowhpc.rng.RngStream;

/** The 2D U(1) doubling bijection: inverse, plaquette bookkeeping, unit Jacobian, backward (transpose). */
class U1Doubling2DTest {
    private static final Coarsening CHAIN = Coarsening.of(new int[] {8, 4}, new int[] {1, 1});
    private static final U1Doubling2D DB = new U1Doubling2D(CHAIN);

    private static double[] random(int n, long site) {
        RngStream r = new RngStream(7, RngStream.Domain.TEST, 1, site);
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = r.angle();
        return a;
    }

    private static double angDist(double a, double b) { return Math.abs(U1.wrap(a - b)); }

    @Test void mergeInvertsSplitAndPlaquettesAreTAndPhiMinusT() {
        for (int k = 0; k < CHAIN.layers(); k++) {
            int vc = CHAIN.volume(k), vf = CHAIN.volume(k + 1);
            double[] c = random(2 * vc, 10 * k), t = random(vc, 10 * k + 1), om = random(vc, 10 * k + 2);
            double[] f = new double[2 * vf];
            DB.split(k, c, 0, t, 0, om, 0, f, 0);
            double[] pf = new double[vf], pc = new double[vc];
            DB.plaquettes(k + 1, f, 0, pf, 0);
            DB.plaquettes(k, c, 0, pc, 0);
            for (int s = 0; s < vc; s++) {
                assertEquals(0, angDist(pf[CHAIN.evenSite(k, s)], t[s]), 1e-13);
                assertEquals(0, angDist(pf[CHAIN.newSite(k, s)], pc[s] - t[s]), 1e-13);
            }
            double[] c2 = new double[2 * vc], t2 = new double[vc], om2 = new double[vc];
            DB.merge(k, f, 0, c2, 0, t2, 0, om2, 0);
            for (int i = 0; i < 2 * vc; i++) assertEquals(0, angDist(c[i], c2[i]), 1e-13);
            for (int s = 0; s < vc; s++) {
                assertEquals(0, angDist(t[s], t2[s]), 1e-13);
                assertEquals(0, angDist(om[s], om2[s]), 1e-13);
            }
            // and split inverts merge on an arbitrary fine configuration
            double[] g = random(2 * vf, 10 * k + 3), g2 = new double[2 * vf];
            DB.merge(k, g, 0, c2, 0, t2, 0, om2, 0);
            DB.split(k, c2, 0, t2, 0, om2, 0, g2, 0);
            for (int i = 0; i < 2 * vf; i++) assertEquals(0, angDist(g[i], g2[i]), 1e-13);
        }
    }

    /** The map (c, t, omega) -> fine links is linear with integer coefficients (mod 2pi): |det| must be 1. */
    @Test void splitHasUnitJacobian() {
        for (int k = 0; k < CHAIN.layers(); k++) {
            int vc = CHAIN.volume(k), vf = CHAIN.volume(k + 1), n = 2 * vf;
            double[][] jac = new double[n][n];
            double[] c = new double[2 * vc], t = new double[vc], om = new double[vc], f = new double[n];
            for (int j = 0; j < n; j++) {
                java.util.Arrays.fill(c, 0); java.util.Arrays.fill(t, 0); java.util.Arrays.fill(om, 0);
                double h = 0.1;
                if (j < 2 * vc) c[j] = h; else if (j < 3 * vc) t[j - 2 * vc] = h; else om[j - 3 * vc] = h;
                DB.split(k, c, 0, t, 0, om, 0, f, 0);
                for (int i = 0; i < n; i++) jac[i][j] = Math.rint(f[i] / h);
            }
            assertEquals(1.0, Math.abs(det(jac)), 1e-9, "layer " + k);
        }
    }

    private static double det(double[][] a0) {
        int n = a0.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) a[i] = a0[i].clone();
        double d = 1;
        for (int col = 0; col < n; col++) {
            int p = col;
            for (int r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[p][col])) p = r;
            if (a[p][col] == 0) return 0;
            if (p != col) { double[] tmp = a[p]; a[p] = a[col]; a[col] = tmp; d = -d; }
            d *= a[col][col];
            for (int r = col + 1; r < n; r++) {
                double fct = a[r][col] / a[col][col];
                for (int q = col; q < n; q++) a[r][q] -= fct * a[col][q];
            }
        }
        return d;
    }

    @Test void splitBackwardIsTheTransposeAndPlaquetteBackwardToo() {
        for (int k = 0; k < CHAIN.layers(); k++) {
            int vc = CHAIN.volume(k), vf = CHAIN.volume(k + 1);
            double[] c = random(2 * vc, 100 + k), t = random(vc, 200 + k), om = random(vc, 300 + k);
            double[] gF = random(2 * vf, 400 + k);
            double[] gC = new double[2 * vc], gT = new double[vc];
            DB.splitBackward(k, gF, 0, gC, 0, gT, 0);
            double[] f0 = new double[2 * vf], f1 = new double[2 * vf];
            DB.split(k, c, 0, t, 0, om, 0, f0, 0);
            double h = 1e-6;
            for (int j = 0; j < 3 * vc; j++) {
                double[] c1 = c.clone(), t1 = t.clone();
                if (j < 2 * vc) c1[j] += h; else t1[j - 2 * vc] += h;
                DB.split(k, c1, 0, t1, 0, om, 0, f1, 0);
                double dl = 0;
                for (int i = 0; i < 2 * vf; i++) dl += gF[i] * U1.wrap(f1[i] - f0[i]) / h;
                assertEquals(j < 2 * vc ? gC[j] : gT[j - 2 * vc], dl, 1e-7);
            }
            // plaquette backward
            double[] gP = random(vc, 500 + k), gl = new double[2 * vc], p0 = new double[vc], p1 = new double[vc];
            DB.plaquettesBackward(k, gP, 0, gl, 0);
            DB.plaquettes(k, c, 0, p0, 0);
            for (int j = 0; j < 2 * vc; j++) {
                double[] c1 = c.clone();
                c1[j] += h;
                DB.plaquettes(k, c1, 0, p1, 0);
                double dl = 0;
                for (int i = 0; i < vc; i++) dl += gP[i] * U1.wrap(p1[i] - p0[i]) / h;
                assertEquals(gl[j], dl, 1e-7);
            }
        }
    }
}
