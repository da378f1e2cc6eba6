package org.mflowhpc.sample;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;

/**
 * HMC: reversibility of the molecular dynamics, dH = O(eps^2), <exp(-dH)> = 1, restoration of rejected
 * configurations, bit-reproducibility and thread-count independence, resume; physics against the exact 2D
 * results and, in 4D SU(3), against the heatbath on the same lattice (slow).
 */
class HmcTest {
    private static final Lattice L2 = new Lattice(8, 8), L4 = new Lattice(4, 4, 4, 4);

    /** A moderately thermalised start (a few heatbath sweeps from hot), so forces are realistic. */
    private static GaugeField start(CpuBackend be, Group g, Lattice lat, int batch, double beta) {
        GaugeField u = SamplerFixtures.hot(be, g, lat, batch, 31);
        new Heatbath(be, beta, 31, 1).sweeps(u, 10);
        return u;
    }

    // ------------------------------------------------------------------ molecular dynamics

    @Test void reversibility() {
        try (CpuBackend be = new CpuBackend(2)) {
            Object[][] cases = {{Group.U1, L2, 2.0}, {Group.U1, L4, 1.0}, {Group.SU3, L2, 4.0}, {Group.SU3, L4, 5.7}};
            for (Object[] c : cases) {
                Group g = (Group) c[0]; Lattice lat = (Lattice) c[1]; double beta = (Double) c[2];
                GaugeField u = start(be, g, lat, 2, beta);
                for (Hmc.Integrator in : Hmc.Integrator.values()) {
                    Hmc h = new Hmc(be, beta, 5, 1.0, 10, in);
                    Hmc.Reversibility r = h.reversibilityCheck(u, 3);
                    System.out.printf("reversibility %s %s %s: links %.1e momenta %.1e |H_back - H_0| %.1e%n",
                            g, lat, in, r.maxLinkDeviation(), r.maxMomentumDeviation(), r.maxEnergyDeviation());
                    assertTrue(r.maxLinkDeviation() < 1e-10, g + " " + lat + " " + in);
                    assertTrue(r.maxMomentumDeviation() < 1e-10, g + " " + lat + " " + in);
                    assertTrue(r.maxEnergyDeviation() < 1e-8, g + " " + lat + " " + in);
                }
            }
        }
    }

    /** For fixed start and momenta, dH(eps) = c eps^2 + O(eps^4): halving eps divides |dH| by 4. */
    @Test void energyViolationScalesAsEpsSquared() {
        try (CpuBackend be = new CpuBackend(2)) {
            // the 4D SU(3) start is rough (10 sweeps from hot), its fastest modes need a smaller eps to be asymptotic
            Object[][] cases = {{Group.U1, L2, 2.0, 8, 1.0}, {Group.U1, L4, 1.0, 4, 1.0}, {Group.SU3, L2, 4.0, 4, 1.0},
                    {Group.SU3, L4, 5.7, 2, 0.25}};
            for (Object[] c : cases) {
                Group g = (Group) c[0]; Lattice lat = (Lattice) c[1]; double beta = (Double) c[2]; int batch = (Integer) c[3];
                double tau = (Double) c[4];
                GaugeField u = start(be, g, lat, batch, beta);
                for (Hmc.Integrator in : Hmc.Integrator.values()) {
                    double[] mean = new double[3];
                    int[] ns = {16, 32, 64};
                    for (int k = 0; k < 3; k++) {
                        Hmc h = new Hmc(be, beta, 6, tau, ns[k], in);
                        GaugeField w = u.copy();
                        Buffer p = h.drawMomenta(w, 0);
                        double[] h0 = h.hamiltonian(w, p);
                        h.integrate(w, p);
                        double[] h1 = h.hamiltonian(w, p);
                        for (int b = 0; b < batch; b++) mean[k] += Math.abs(h1[b] - h0[b]) / batch;
                    }
                    double r1 = mean[0] / mean[1], r2 = mean[1] / mean[2];
                    System.out.printf("dH scaling %s %s %s tau=%.2f: <|dH|> at n=16,32,64: %.3e %.3e %.3e, ratios %.3f %.3f%n",
                            g, lat, in, tau, mean[0], mean[1], mean[2], r1, r2);
                    assertEquals(4.0, r2, 0.25, g + " " + lat + " " + in);
                    assertEquals(4.0, r1, 0.6, g + " " + lat + " " + in);
                }
            }
        }
    }

    // ------------------------------------------------------------------ Markov chain mechanics

    @Test void rejectedConfigurationsAreRestoredExactly() {
        try (CpuBackend be = new CpuBackend(2)) {
            for (Group g : Group.values()) {
                GaugeField u = start(be, g, L2, 3, 3.0);
                GaugeField before = u.copy();
                Hmc h = new Hmc(be, 3.0, 1, 6.0, 2); // absurd step: dH >> 1
                h.trajectory(u);
                for (boolean a : h.lastAccepted()) assertFalse(a);
                for (double dh : h.lastDeltaH()) assertTrue(dh > 50, "dH = " + dh);
                assertArrayEquals(before.toHost(), u.toHost());
                assertEquals(0.0, h.acceptanceRate());
                assertEquals(1, h.trajectoryCount());
            }
        }
    }

    /** The final links (host copy) of a chain run on a fresh CpuBackend(threads). */
    private static double[] chain(int threads, Group g, long seed, int trajectories, double[][] dhOut) {
        try (CpuBackend be = new CpuBackend(threads)) {
            GaugeField u = SamplerFixtures.hot(be, g, new Lattice(8, 4), 4, 9);
            Hmc h = new Hmc(be, g == Group.U1 ? 2.0 : 4.0, seed, 0.5, 5, Hmc.Integrator.OMELYAN);
            for (int t = 0; t < trajectories; t++) { h.trajectory(u); dhOut[t] = h.lastDeltaH(); }
            return u.toHost();
        }
    }

    @Test void bitReproducibleAndThreadCountIndependent() {
        for (Group g : Group.values()) {
            double[][] d1 = new double[3][], d2 = new double[3][], d3 = new double[3][];
            double[] a = chain(1, g, 77, 3, d1), b = chain(2, g, 77, 3, d2), c = chain(2, g, 78, 3, d3);
            assertArrayEquals(a, b, g.toString());
            for (int t = 0; t < 3; t++) assertArrayEquals(d1[t], d2[t]);
            assertFalse(java.util.Arrays.equals(a, c));
            if (g == Group.SU3) for (int o = 0; o < a.length; o += 18) assertTrue(SU3.unitarityDeviation(a, o) < 1e-13);
        }
    }

    @Test void resumeContinuesTheSameChain() {
        try (CpuBackend be = new CpuBackend(2)) {
            GaugeField a = SamplerFixtures.hot(be, Group.SU3, new Lattice(4, 4), 2, 3), b = a.copy();
            Hmc h1 = new Hmc(be, 4.0, 12, 1.0, 8);
            h1.trajectories(a, 5);
            Hmc h2 = new Hmc(be, 4.0, 12, 1.0, 8);
            h2.trajectories(b, 3);
            Hmc h3 = new Hmc(be, 4.0, 12, 1.0, 8);
            h3.setTrajectoryCount(h2.trajectoryCount());
            h3.trajectories(b, 2);
            assertArrayEquals(a.toHost(), b.toHost());
            assertEquals(5, h3.trajectoryCount());
        }
    }

    // ------------------------------------------------------------------ physics

    record Measured(double plaq, double plaqErr, double chi, double chiErr, double expDh, double expDhErr, double acc) {}

    static Measured run(Group g, Lattice lat, double beta, int batch, double tau, int steps, Hmc.Integrator in,
                        double[] init, int therm, int meas, long seed) {
        try (CpuBackend be = new CpuBackend(2)) {
            GaugeField u = init != null ? GaugeField.fromHost(be, g, lat, batch, init) : SamplerFixtures.hot(be, g, lat, batch, seed);
            Hmc h = new Hmc(be, beta, seed, tau, steps, in);
            h.trajectories(u, therm);
            h.resetStatistics();
            boolean topo = g == Group.U1 && lat.d == 2;
            double[][] pl = new double[batch][meas], q2 = new double[batch][meas], ex = new double[batch][meas];
            for (int t = 0; t < meas; t++) {
                h.trajectory(u);
                double[] dh = h.lastDeltaH();
                double[] p = SamplerFixtures.plaquette(be, u);
                double[] q = topo ? SamplerFixtures.charge(be, u) : new double[batch];
                for (int b = 0; b < batch; b++) { pl[b][t] = p[b]; q2[b][t] = q[b] * q[b] / lat.volume; ex[b][t] = Math.exp(-dh[b]); }
            }
            double[] mp = SamplerFixtures.binned(pl, 10), mq = SamplerFixtures.binned(q2, 10), me = SamplerFixtures.binned(ex, 10);
            double[] mp5 = SamplerFixtures.binned(pl, 5), mq5 = SamplerFixtures.binned(q2, 5), me5 = SamplerFixtures.binned(ex, 5);
            System.out.printf("HMC %s %s beta=%.2f batch=%d tau=%.2f steps=%d %s meas=%d: acc %.3f, plaq %.6f +- %.6f (5 bins %.6f), "
                            + "<exp(-dH)> %.4f +- %.4f, Q^2/V %s%n", g, lat, beta, batch, tau, steps, in, meas, h.acceptanceRate(),
                    mp[0], mp[1], mp5[1], me[0], Math.max(me[1], me5[1]),
                    topo ? String.format("%.6f +- %.6f (5 bins: %.6f)", mq[0], mq[1], mq5[1]) : "-");
            return new Measured(mp[0], Math.max(mp[1], mp5[1]), topo ? mq[0] : Double.NaN, topo ? Math.max(mq[1], mq5[1]) : Double.NaN,
                    me[0], Math.max(me[1], me5[1]), h.acceptanceRate());
        }
    }

    static void assertAgrees(String what, double exact, double value, double err, double maxRelErr) {
        HeatbathTest.assertAgrees(what, exact, value, err, maxRelErr);
    }

    @Test void u1TwoDimBeta2() {
        Measured m = run(Group.U1, L2, 2.0, 32, 1.0, 8, Hmc.Integrator.LEAPFROG, null, 100, 600, 301);
        assertTrue(m.acc > 0.8 && m.acc < 0.99, "acceptance " + m.acc);
        assertAgrees("HMC U(1) 8x8 beta=2 <cos P>", 0.69777466, m.plaq, m.plaqErr, 0.002);
        assertAgrees("HMC U(1) 8x8 beta=2 chi_t", 1.936405e-02, m.chi, m.chiErr, 0.07);
        assertAgrees("HMC U(1) 8x8 beta=2 <exp(-dH)>", 1.0, m.expDh, m.expDhErr, 0.02);
    }

    @Test void su3TwoDimBeta4Quick() {
        Measured m = run(Group.SU3, L2, 4.0, 8, 1.0, 6, Hmc.Integrator.OMELYAN, null, 30, 200, 302);
        assertAgrees("HMC SU(3) 8x8 beta=4 plaquette", 0.27961915, m.plaq, m.plaqErr, 0.005);
        assertAgrees("HMC SU(3) 8x8 beta=4 <exp(-dH)>", 1.0, m.expDh, m.expDhErr, 0.02);
    }

    // ------------------------------------------------------------------ slow

    @Tag("slow") @Test void u1TwoDimScan() {
        double[] betas = {1, 2, 4}, plaq = {0.44638997, 0.69777466, 0.86353004}, chi = {4.063624e-02, 1.936405e-02, 7.531499e-03};
        for (int i = 0; i < betas.length; i++) {
            Measured m = run(Group.U1, L2, betas[i], 32, 1.0, 10, Hmc.Integrator.LEAPFROG, null, 200, 4000, 310 + i);
            assertAgrees("HMC U(1) 8x8 beta=" + betas[i] + " <cos P>", plaq[i], m.plaq, m.plaqErr, 0.001);
            assertAgrees("HMC U(1) 8x8 beta=" + betas[i] + " chi_t", chi[i], m.chi, m.chiErr, 0.05);
            assertAgrees("HMC U(1) 8x8 beta=" + betas[i] + " <exp(-dH)>", 1.0, m.expDh, m.expDhErr, 0.01);
        }
    }

    @Tag("slow") @Test void su3TwoDimBeta4() {
        Measured m = run(Group.SU3, L2, 4.0, 16, 1.0, 8, Hmc.Integrator.OMELYAN, null, 50, 1500, 320);
        assertAgrees("HMC SU(3) 8x8 beta=4 plaquette", 0.27961915, m.plaq, m.plaqErr, 0.002);
        assertAgrees("HMC SU(3) 8x8 beta=4 <exp(-dH)>", 1.0, m.expDh, m.expDhErr, 0.01);
    }

    /** 4D SU(3) on 4^4 at beta = 6: heatbath+OR and HMC must agree (no exact value on this small lattice). */
    @Tag("slow") @Test void su3FourDimHeatbathVsHmc() {
        double beta = 6.0;
        int batch = 8;
        HeatbathTest.Measured hb = HeatbathTest.run(Group.SU3, L4, beta, batch, 4, 100, 800, 330);
        double[] init;
        try (CpuBackend be = new CpuBackend(2)) {
            GaugeField f = SamplerFixtures.hot(be, Group.SU3, L4, batch, 331);
            new Heatbath(be, beta, 331, 4).sweeps(f, 100);
            init = f.toHost();
        }
        Measured hmc = run(Group.SU3, L4, beta, batch, 1.0, 10, Hmc.Integrator.OMELYAN, init, 20, 500, 332);
        double err = Math.hypot(hb.plaqErr(), hmc.plaqErr);
        System.out.printf("4^4 SU(3) beta=6: heatbath %.6f +- %.6f, HMC %.6f +- %.6f, difference %.2f sigma%n",
                hb.plaq(), hb.plaqErr(), hmc.plaq, hmc.plaqErr, (hb.plaq() - hmc.plaq) / err);
        assertTrue(err < 0.002, "errors too large: " + err);
        assertEquals(hb.plaq(), hmc.plaq, 4 * err);
        assertAgrees("HMC SU(3) 4^4 beta=6 <exp(-dH)>", 1.0, hmc.expDh, hmc.expDhErr, 0.02);
    }
}
