package org.mflowhpc.sample;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;

/**
 * Heatbath + overrelaxation against exact results: 2D U(1) plaquette and topological susceptibility on 8x8
 * (docs/physics.md §6), 2D SU(3) plaquette on 8x8, and the 4D SU(3) strong-coupling plaquette. Each configuration of the
 * batch is an independent chain; errors are binned per chain (SamplerFixtures.binned). Default-suite checks are
 * sized to a few seconds; the full beta scans are tagged slow.
 */
class HeatbathTest {
    /** Result of a run: mean and error of the plaquette, and of Q^2/V (U(1) 2D only, else NaN). */
    record Measured(double plaq, double plaqErr, double chi, double chiErr) {}

    static Measured run(Group g, Lattice lat, double beta, int batch, int orSweeps, int therm, int meas, long seed) {
        try (CpuBackend be = new CpuBackend(2)) {
            GaugeField u = SamplerFixtures.hot(be, g, lat, batch, seed);
            Heatbath hb = new Heatbath(be, beta, seed, orSweeps);
            hb.sweeps(u, therm);
            boolean topo = g == Group.U1 && lat.d == 2;
            double[][] pl = new double[batch][meas], q2 = new double[batch][meas];
            for (int t = 0; t < meas; t++) {
                hb.sweep(u);
                double[] p = SamplerFixtures.plaquette(be, u);
                double[] q = topo ? SamplerFixtures.charge(be, u) : new double[batch];
                for (int b = 0; b < batch; b++) { pl[b][t] = p[b]; q2[b][t] = q[b] * q[b] / lat.volume; }
            }
            double[] mp = SamplerFixtures.binned(pl, 10), mq = SamplerFixtures.binned(q2, 10);
            double[] mp5 = SamplerFixtures.binned(pl, 5), mq5 = SamplerFixtures.binned(q2, 5);
            System.out.printf("HB %s %s beta=%.2f batch=%d or=%d meas=%d: plaq %.6f +- %.6f (5 bins: %.6f), Q^2/V %s%n",
                    g, lat, beta, batch, orSweeps, meas, mp[0], mp[1], mp5[1],
                    topo ? String.format("%.6f +- %.6f (5 bins: %.6f)", mq[0], mq[1], mq5[1]) : "-");
            return new Measured(mp[0], Math.max(mp[1], mp5[1]), topo ? mq[0] : Double.NaN, topo ? Math.max(mq[1], mq5[1]) : Double.NaN);
        }
    }

    static void assertAgrees(String what, double exact, double value, double err, double maxRelErr) {
        System.out.printf("  %s: measured %.7f +- %.7f, exact %.7f, pull %.2f%n", what, value, err, exact, (value - exact) / err);
        assertTrue(err < maxRelErr * Math.abs(exact), what + ": error " + err + " too large for a meaningful test");
        assertEquals(exact, value, 4 * err, what);
    }

    // ------------------------------------------------------------------ default suite (cheap)

    @Test void u1TwoDimBeta2() {
        Measured m = run(Group.U1, new Lattice(8, 8), 2.0, 16, 1, 100, 800, 101);
        assertAgrees("U(1) 8x8 beta=2 <cos P>", 0.69777466, m.plaq, m.plaqErr, 0.002);
        assertAgrees("U(1) 8x8 beta=2 chi_t", 1.936405e-02, m.chi, m.chiErr, 0.05);
    }

    @Test void su3TwoDimBeta4() {
        Measured m = run(Group.SU3, new Lattice(8, 8), 4.0, 16, 1, 50, 600, 102);
        assertAgrees("SU(3) 8x8 beta=4 plaquette", 0.27961915, m.plaq, m.plaqErr, 0.003);
    }

    /** 4D SU(3) at beta = 0.5: plaquette = u(beta) + O(u^5), u = beta/18 + beta^2/216 + O(beta^4) (= 2D exact). */
    @Test void su3FourDimStrongCoupling() {
        double beta = 0.5;
        Measured m = run(Group.SU3, new Lattice(4, 4, 4, 4), beta, 2, 0, 20, 400, 103);
        double u = SamplerFixtures.su3Plaquette2d(beta);
        assertAgrees("SU(3) 4^4 beta=0.5 plaquette vs strong coupling", u, m.plaq, Math.hypot(m.plaqErr, 2e-6), 0.02);
    }

    @Test void resumeGivesTheSameChainAndSeedMatters() {
        try (CpuBackend be = new CpuBackend(2)) {
            for (Group g : Group.values()) {
                Lattice lat = new Lattice(4, 4, 2);
                GaugeField a = SamplerFixtures.hot(be, g, lat, 2, 7), b = a.copy(), c = a.copy();
                Heatbath h1 = new Heatbath(be, 2.3, 99, 2);
                h1.sweeps(a, 6);
                assertEquals(6, h1.sweepCount());
                Heatbath h2 = new Heatbath(be, 2.3, 99, 2);
                h2.sweeps(b, 4);
                Heatbath h3 = new Heatbath(be, 2.3, 99, 2); // "restarted job"
                h3.setSweepCount(h2.sweepCount());
                h3.sweeps(b, 2);
                assertArrayEquals(a.toHost(), b.toHost());
                new Heatbath(be, 2.3, 100, 2).sweeps(c, 6);
                assertFalse(java.util.Arrays.equals(a.toHost(), c.toHost()));
            }
        }
    }

    // ------------------------------------------------------------------ slow: beta scans

    @Tag("slow") @Test void u1TwoDimScan() {
        double[] betas = {1, 2, 4}, plaq = {0.44638997, 0.69777466, 0.86353004}, chi = {4.063624e-02, 1.936405e-02, 7.531499e-03};
        for (int i = 0; i < betas.length; i++) {
            Measured m = run(Group.U1, new Lattice(8, 8), betas[i], 32, 2, 200, 4000, 200 + i);
            assertAgrees("U(1) 8x8 beta=" + betas[i] + " <cos P>", plaq[i], m.plaq, m.plaqErr, 0.001);
            assertAgrees("U(1) 8x8 beta=" + betas[i] + " chi_t", chi[i], m.chi, m.chiErr, 0.03);
        }
    }

    @Tag("slow") @Test void su3TwoDimScan() {
        double[] betas = {2, 4, 8}, plaq = {0.12862779, 0.27961915, 0.53575399};
        for (int i = 0; i < betas.length; i++) {
            Measured m = run(Group.SU3, new Lattice(8, 8), betas[i], 16, 2, 100, 3000, 210 + i);
            assertAgrees("SU(3) 8x8 beta=" + betas[i] + " plaquette", plaq[i], m.plaq, m.plaqErr, 0.002);
        }
    }

    @Tag("slow") @Test void su3FourDimStrongCouplingPrecise() {
        double beta = 0.5;
        Measured m = run(Group.SU3, new Lattice(4, 4, 4, 4), beta, 4, 0, 20, 2500, 220);
        double u = SamplerFixtures.su3Plaquette2d(beta);
        assertAgrees("SU(3) 4^4 beta=0.5 plaquette vs strong coupling", u, m.plaq, Math.hypot(m.plaqErr, 2e-6), 0.005);
        // the beta^2/216 term is resolved: leading order alone is excluded
        assertTrue(Math.abs(m.plaq - beta / 18) > 5 * m.plaqErr, "beta^2 term should be resolved");
    }
}
