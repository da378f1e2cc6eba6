/*
 * Contract under test: Topology (clover charge Q and energies E_clov, E_plaq in 4D, docs/physics.md §7) and
 * Smoothing.measure. Checks: cold field Q = E = 0; Q and E gauge invariant (Haar Omega, smooth and rough fields);
 * Q a pseudoscalar under axis permutations (Q -> sign(perm) Q, E unchanged: tests the epsilon signs); a U(1) field of
 * constant flux n1 through the (0,1) planes and n2 through (2,3) has Q = n1 n2 (sin phi01/phi01)(sin phi23/phi23)
 * exactly (within 1e-3 of n1 n2 on 8^4 ... 1e-2 on 6^4), E_clov = sin^2 phi01 + sin^2 phi23, E_plaq =
 * 2 (2 - cos phi01 - cos phi23), is a fixed point of the flow, and returns to it after noise + flow; its SU(3)
 * embedding has twice Q and E and, being self-dual on L^4 with n1 = n2, flows back to Q = 2 from non-Abelian noise;
 * heatbath configurations at beta = 6 on 4^4 after flow t = 1: Q finite and not integer, t^2 E in (0, 0.3), E_clov
 * and E_plaq close; Smoothing.measure columns and independence of the sub-batch.
 */
package org.mflowhpc.observable;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;

class TopologyTest {
    static CpuBackend cpu;
    static Topology top;
    static WilsonFlow wf;

    @BeforeAll static void init() { cpu = new CpuBackend(2); top = new Topology(cpu); wf = new WilsonFlow(cpu); }
    @AfterAll static void done() { cpu.close(); }

    // ---------------------------------------------------------------- tests

    @Test void coldFieldHasNoChargeAndNoEnergy() {
        for (Group g : new Group[] {Group.U1, Group.SU3}) {
            GaugeField u = GaugeField.identity(cpu, g, new Lattice(4, 4, 4, 4), 2);
            Topology.Clover c = top.clover(u);
            assertArrayEquals(new double[2], c.charge(), 1e-15);
            assertArrayEquals(new double[2], c.energy(), 1e-15);
            assertArrayEquals(new double[2], top.energyPlaquette(u), 1e-14);
        }
        assertThrows(IllegalArgumentException.class, () -> top.charge(GaugeField.identity(cpu, Group.SU3, new Lattice(4, 4, 4), 1)));
        assertNull(top.clover(GaugeField.identity(cpu, Group.U1, new Lattice(4, 4), 1)).charge());
    }

    @Test void chargeAndEnergyAreGaugeInvariant() {
        Lattice lat = new Lattice(4, 4, 6, 4);
        for (Group g : new Group[] {Group.U1, Group.SU3}) {
            for (GaugeField u : new GaugeField[] {FlowFixtures.smooth(cpu, g, lat, 2, 5), FlowFixtures.random(cpu, g, lat, 2, 6)}) {
                Topology.Clover a = top.clover(u);
                double[] ep = top.energyPlaquette(u);
                assertTrue(Math.abs(a.charge()[0]) > 1e-3, "a random field carries some non-integer clover charge: " + a.charge()[0]);
                GaugeField v = u.copy();
                FlowFixtures.gauge(v, 9);
                Topology.Clover b = top.clover(v);
                assertArrayEquals(a.charge(), b.charge(), 1e-11, g + " Q");
                assertArrayEquals(a.energy(), b.energy(), 1e-11, g + " E_clov");
                assertArrayEquals(ep, top.energyPlaquette(v), 1e-11, g + " E_plaq");
                Topology.Clover ai = top.improved(u), bi = top.improved(v);
                assertArrayEquals(ai.charge(), bi.charge(), 1e-11, g + " Q_imp");
                assertArrayEquals(ai.energy(), bi.energy(), 1e-11, g + " E_imp");
            }
        }
    }

    /** The field with axes relabelled: link mu of u at x becomes link perm[mu] of the result at x' (x'_{perm[mu]} = x_mu). */
    static GaugeField permuteAxes(GaugeField u, int[] perm) {
        Lattice lat = u.lattice;
        int[] ext = new int[4];
        for (int mu = 0; mu < 4; mu++) ext[perm[mu]] = lat.extent(mu);
        Lattice lp = new Lattice(ext);
        double[] f = u.toHost(), h = new double[f.length];
        int dof = u.group.dof;
        GaugeField out = new GaugeField(cpu, u.group, lp, u.batch);
        int[] c = new int[4], cp = new int[4];
        for (int b = 0; b < u.batch; b++)
            for (int x = 0; x < lat.volume; x++) {
                lat.coords(x, c);
                for (int mu = 0; mu < 4; mu++) cp[perm[mu]] = c[mu];
                int xp = lp.site(cp);
                for (int mu = 0; mu < 4; mu++)
                    System.arraycopy(f, u.offset(b, mu, x), h, out.offset(b, perm[mu], xp), dof);
            }
        out.setFromHost(h);
        return out;
    }

    static int sign(int[] perm) {
        int s = 1;
        for (int i = 0; i < perm.length; i++) for (int j = i + 1; j < perm.length; j++) if (perm[i] > perm[j]) s = -s;
        return s;
    }

    @Test void chargeIsAPseudoscalarUnderAxisPermutations() {
        Lattice lat = new Lattice(4, 6, 4, 2);
        int[][] perms = {{1, 0, 2, 3}, {1, 2, 0, 3}, {3, 2, 1, 0}, {0, 1, 3, 2}, {2, 3, 0, 1}, {0, 2, 3, 1}};
        for (Group g : new Group[] {Group.U1, Group.SU3}) {
            GaugeField u = FlowFixtures.smooth(cpu, g, lat, 1, 17);
            Topology.Clover a = top.clover(u), ai = top.improved(u);
            assertTrue(Math.abs(a.charge()[0]) > 1e-3, "charge " + a.charge()[0]);
            assertTrue(Math.abs(ai.charge()[0] - a.charge()[0]) > 1e-4, "the improved charge differs");
            for (int[] p : perms) {
                Topology.Clover b = top.clover(permuteAxes(u, p));
                assertEquals(sign(p) * a.charge()[0], b.charge()[0], 1e-12, g + " " + java.util.Arrays.toString(p));
                assertEquals(a.energy()[0], b.energy()[0], 1e-12, g + " " + java.util.Arrays.toString(p));
                Topology.Clover bi = top.improved(permuteAxes(u, p));
                assertEquals(sign(p) * ai.charge()[0], bi.charge()[0], 1e-12, g + " imp " + java.util.Arrays.toString(p));
                assertEquals(ai.energy()[0], bi.energy()[0], 1e-12, g + " imp " + java.util.Arrays.toString(p));
            }
        }
    }

    static double sinc(double x) { return x == 0 ? 1 : Math.sin(x) / x; }

    static double fluxCharge(Lattice lat, int n1, int n2) {
        double p01 = 2 * Math.PI * n1 / (lat.extent(0) * lat.extent(1)), p23 = 2 * Math.PI * n2 / (lat.extent(2) * lat.extent(3));
        return lat.volume * Math.sin(p01) * Math.sin(p23) / (4 * Math.PI * Math.PI);
    }

    @Test void constantFluxU1HasChargeN1TimesN2() {
        int[][] fluxes = {{1, 1}, {2, -1}, {1, 3}, {-2, -2}, {0, 2}};
        for (Lattice lat : new Lattice[] {new Lattice(6, 6, 6, 6), new Lattice(8, 6, 4, 6), new Lattice(8, 8, 8, 8)}) {
            for (int[] n : fluxes) {
                GaugeField u = GaugeField.fromHost(cpu, Group.U1, lat, 1, FlowFixtures.twoPlaneFlux(lat, n[0], n[1]));
                double p01 = 2 * Math.PI * n[0] / (lat.extent(0) * lat.extent(1)), p23 = 2 * Math.PI * n[1] / (lat.extent(2) * lat.extent(3));
                double q = top.charge(u)[0], expect = fluxCharge(lat, n[0], n[1]);
                String tag = lat + " n=" + n[0] + "," + n[1];
                assertEquals(expect, q, 1e-10, tag);
                // the lattice-artefact factor (sin phi / phi)^2 is within 1.1% of 1 for |n| <= 1 on 6^4, 0.3% on 8^4
                double tol = Math.abs(n[0] * n[1]) * (1 - sinc(p01) * sinc(p23)) + 1e-10;
                assertEquals(n[0] * n[1], q, tol * 1.0000001, tag);
                assertEquals(Math.pow(Math.sin(p01), 2) + Math.pow(Math.sin(p23), 2), top.energyClover(u)[0], 1e-10, tag);
                assertEquals(2 * (2 - Math.cos(p01) - Math.cos(p23)), top.energyPlaquette(u)[0], 1e-10, tag);
            }
        }
        Lattice l8 = new Lattice(8, 8, 8, 8);
        assertEquals(1.0, top.charge(GaugeField.fromHost(cpu, Group.U1, l8, 1, FlowFixtures.twoPlaneFlux(l8, 1, 1)))[0], 7e-3);
    }

    @Test void constantFluxIsAFixedPointOfTheFlowAndAttractsNoisyCopies() {
        Lattice lat = new Lattice(6, 6, 6, 6);
        GaugeField u = GaugeField.fromHost(cpu, Group.U1, lat, 1, FlowFixtures.twoPlaneFlux(lat, 1, 2));
        double expect = fluxCharge(lat, 1, 2);
        GaugeField f = u.copy();
        wf.flow(f, 0.5, 0.05);
        assertEquals(expect, top.charge(f)[0], 1e-10, "constant flux solves the field equations");
        // gauge transformed and disturbed: the charge before flow is off, after flow it is back
        GaugeField v = u.copy();
        FlowFixtures.gauge(v, 31);
        FlowFixtures.noise(v, 0.35, 32);
        double q0 = top.charge(v)[0];
        wf.flow(v, 2.0, 0.02);
        double q1 = top.charge(v)[0];
        assertTrue(Math.abs(q0 - expect) > 10 * Math.abs(q1 - expect), "q0 " + q0 + " q1 " + q1 + " expect " + expect);
        assertEquals(expect, q1, 5e-3, "after flow");
        assertEquals(2.0, q1, 0.06, "n2 = 2 on 6^4: (sin phi/phi)^2 = 0.975");
    }

    @Test void su3EmbeddingCarriesTwiceTheChargeAndFlowsBackToIt() {
        Lattice lat = new Lattice(6, 6, 6, 6);
        double[] th = FlowFixtures.twoPlaneFlux(lat, 1, 1);
        GaugeField a = GaugeField.fromHost(cpu, Group.U1, lat, 1, th);
        GaugeField s = GaugeField.fromHost(cpu, Group.SU3, lat, 1, FlowFixtures.embed(th));
        assertEquals(2 * top.charge(a)[0], top.charge(s)[0], 1e-10);
        assertEquals(2 * top.energyClover(a)[0], top.energyClover(s)[0], 1e-12);
        assertEquals(2 * top.energyPlaquette(a)[0], top.energyPlaquette(s)[0], 1e-12);
        // self-dual (n1 = n2 on L^4): the minimum of the action in its sector, so non-Abelian noise flows back
        FlowFixtures.gauge(s, 41);
        FlowFixtures.noise(s, 0.15, 42);
        double q0 = top.charge(s)[0];
        wf.flow(s, 1.5, 0.05);
        double q1 = top.charge(s)[0];
        assertEquals(2 * fluxCharge(lat, 1, 1), q1, 0.02, "after flow (before: " + q0 + ")");
        assertEquals(2.0, q1, 0.05);
    }

    @Test void flowedHeatbathConfigurationsHaveFiniteNonIntegerCharge() {
        Lattice lat = new Lattice(4, 4, 4, 4);
        GaugeField u = FlowFixtures.heatbath(cpu, Group.SU3, lat, 2, 6.0, 20, 3);
        double[] e0 = top.energyPlaquette(u);
        Measurement m = Smoothing.flow(1.0, 0.05).measure(u);
        assertEquals(java.util.List.of("Q_clover", "chi_t_clover", "Q_imp", "chi_t_imp", "E_clover", "E_plaq", "t2E_clover", "t2E_plaq"), m.names());
        for (int b = 0; b < 2; b++) {
            double q = m.get("Q_clover")[b];
            assertTrue(Double.isFinite(q) && Math.abs(q) < 3, "Q = " + q);
            assertTrue(Math.abs(q - Math.rint(q)) > 1e-6, "a rough 4^4 field at t = 1 is not an integer: " + q);
            assertEquals(q * q / lat.volume, m.get("chi_t_clover")[b], 1e-15);
            double qi = m.get("Q_imp")[b];
            assertTrue(Double.isFinite(qi) && Math.abs(qi) < 3 && qi != q, "Q_imp = " + qi);
            assertEquals(qi * qi / lat.volume, m.get("chi_t_imp")[b], 1e-15);
            double tc = m.get("t2E_clover")[b], tp = m.get("t2E_plaq")[b];
            assertTrue(tc > 0 && tc < 0.3 && tp > 0 && tp < 0.3, "t^2 E " + tc + " " + tp);
            assertEquals(tp, tc, 0.3 * tp, "clover and plaquette E after flow");
            assertTrue(m.get("E_plaq")[b] < 0.1 * e0[b], "flow smooths: E " + e0[b] + " -> " + m.get("E_plaq")[b]);
        }
        // u itself is untouched; the sub-batch does not matter
        assertArrayEquals(e0, top.energyPlaquette(u), 0);
        Measurement one = Smoothing.flow(1.0, 0.05).measure(u.config(1));
        for (String k : m.names()) assertEquals(m.get(k)[1], one.get(k)[0], 0, k);
        // stout: E only, no t^2 E
        Measurement st = Smoothing.stout(0.1, 10).measure(u);
        assertEquals(java.util.List.of("Q_clover", "chi_t_clover", "Q_imp", "chi_t_imp", "E_clover", "E_plaq"), st.names());
        for (int b = 0; b < 2; b++) assertEquals(m.get("E_plaq")[b], st.get("E_plaq")[b], 0.5 * m.get("E_plaq")[b], "stout 10 x 0.1 ~ flow t = 1");
        // 2D/3D: energies only
        assertEquals(java.util.List.of("E_clover", "E_plaq", "t2E_clover", "t2E_plaq"),
                Smoothing.flow(0.1, 0.05).measure(FlowFixtures.random(cpu, Group.U1, new Lattice(4, 4, 4), 1, 1)).names());
    }

    /** Tree-level improvement factor of a constant U(1) flux with plaquette angle phi. */
    static double gImp(double phi) { return phi == 0 ? 1 : ((5.0 / 3.0) * Math.sin(phi) - (1.0 / 3.0) * Math.sin(2 * phi)) / phi; }

    @Test void improvedChargeOfConstantFluxAndEmbedding() {
        Lattice lat = new Lattice(6, 8, 6, 6);
        for (int[] n : new int[][] {{1, 1}, {2, -1}, {-1, 3}}) {
            double[] th = FlowFixtures.twoPlaneFlux(lat, n[0], n[1]);
            GaugeField u = GaugeField.fromHost(cpu, Group.U1, lat, 1, th);
            double p01 = 2 * Math.PI * n[0] / 48, p23 = 2 * Math.PI * n[1] / 36;
            Topology.Clover c = top.improved(u);
            assertEquals(n[0] * n[1] * gImp(p01) * gImp(p23), c.charge()[0], 1e-10);
            assertEquals(Math.pow(p01 * gImp(p01), 2) + Math.pow(p23 * gImp(p23), 2), c.energy()[0], 1e-10);
            GaugeField s = GaugeField.fromHost(cpu, Group.SU3, lat, 1, FlowFixtures.embed(th));
            Topology.Clover cs = top.improved(s);
            assertEquals(2 * c.charge()[0], cs.charge()[0], 1e-10);
            assertEquals(2 * c.energy()[0], cs.energy()[0], 1e-10);
        }
    }

    /**
     * A weak U(1) plane wave A_1 = a sin(k x0): the clover field is the central difference a cos(k x0) sin k (error
     * O(k^3)), the improved one a cos(k x0) ((4/3) sin k - (1/6) sin 2k) = a cos(k x0) (k - k^5/30 + ...), so
     * E = (a^2/2) F(k)^2; against the continuum (a^2/2) k^2 the improved E is off by O(k^4) instead of O(k^2).
     */
    @Test void improvedFieldStrengthHasNoOrderA2Error() {
        Lattice lat = new Lattice(16, 4, 4, 4);
        int V = lat.volume;
        double a = 1e-4;
        for (int j : new int[] {1, 2, 3}) {
            double k = 2 * Math.PI * j / 16;
            double[] th = new double[4 * V];
            for (int x = 0; x < V; x++) th[V + x] = a * Math.sin(k * lat.coords(x)[0]);
            GaugeField u = GaugeField.fromHost(cpu, Group.U1, lat, 1, th);
            double fc = Math.sin(k), fi = (4.0 / 3.0) * Math.sin(k) - Math.sin(2 * k) / 6.0;
            assertEquals(a * a / 2 * fc * fc, top.energyClover(u)[0], 1e-6 * a * a, "clover k=" + k);
            assertEquals(a * a / 2 * fi * fi, top.improved(u).energy()[0], 1e-6 * a * a, "improved k=" + k);
            double errC = Math.abs(fc / k - 1), errI = Math.abs(fi / k - 1);
            assertTrue(errI < 0.5 * errC * k * k,  "k=" + k + ": improved error " + errI + " vs clover " + errC);
        }
    }
}
