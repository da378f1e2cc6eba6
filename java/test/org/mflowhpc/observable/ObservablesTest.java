/*
 * Contract under test: Observables (plaquette, Wilson loops, 2D U(1) charge, Polyakov loop) and Measurement.
 * Checks: gauge invariance under random gauge transformations (U(1) 2D and 4D, SU(3) 4D; Haar Omega), W(1,1) =
 * mean plaquette, W(R,T) = W(T,R), W(R,T) against an independent link-by-link path walk, Q integer, cold
 * configurations (all loops and Polyakov = 1, Q = 0), constant-flux U(1) configurations with plaquette angle
 * phi = 2 pi k / V (plaquette cos phi, W(R,T) = cos(R T phi), Q = k, Polyakov 0) and their SU(3) embedding
 * diag(e^{i theta}, e^{-i theta}, 1).
 */
package org.mflowhpc.observable;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.rng.RngStream;

class ObservablesTest {
    static CpuBackend cpu;
    static Observables obs;

    @BeforeAll static void init() { cpu = new CpuBackend(2); obs = new Observables(cpu); }
    @AfterAll static void done() { cpu.close(); }

    static final int[][] LOOPS = {{1, 1}, {1, 2}, {2, 1}, {2, 3}, {3, 2}};

    static GaugeField random(Group g, Lattice lat, int batch, long seed) {
        double[] u = new double[GaugeField.checkedSize(g, lat, batch)];
        RngStream r = new RngStream(seed, RngStream.Domain.TEST, 1, 0);
        if (g == Group.U1) for (int i = 0; i < u.length; i++) u[i] = r.angle();
        else for (int o = 0; o < u.length; o += 18) SU3.haar(r, u, o);
        return GaugeField.fromHost(cpu, g, lat, batch, u);
    }

    /** Links near the identity (U(1): angles 0.3 * N(0,1); SU(3): exp(0.3 X), X Gaussian in the algebra): O(1) loops. */
    static GaugeField smooth(Group g, Lattice lat, int batch, long seed) {
        double[] u = new double[GaugeField.checkedSize(g, lat, batch)];
        RngStream r = new RngStream(seed, RngStream.Domain.TEST, 3, 0);
        double[] x = new double[18];
        if (g == Group.U1) for (int i = 0; i < u.length; i++) u[i] = 0.3 * r.gaussian();
        else for (int o = 0; o < u.length; o += 18) {
            SU3.gaussianAlgebra(r, x, 0);
            for (int k = 0; k < 18; k++) x[k] *= 0.3;
            SU3.exp(x, 0, u, o);
        }
        return GaugeField.fromHost(cpu, g, lat, batch, u);
    }

    static double[] randomOmega(Group g, Lattice lat, int batch, long seed) {
        RngStream r = new RngStream(seed, RngStream.Domain.TEST, 2, 0);
        double[] om = new double[batch * lat.volume * g.dof];
        if (g == Group.U1) for (int i = 0; i < om.length; i++) om[i] = r.angle();
        else for (int o = 0; o < om.length; o += 18) SU3.haar(r, om, o);
        return om;
    }

    static void assertInvariant(Group g, Lattice lat, long seed) {
        assertInvariant(random(g, lat, 2, seed), seed);
        GaugeField s = smooth(g, lat, 2, seed);
        assertTrue(obs.meanPlaquette(s)[0] > 0.5, "smooth configuration");
        assertInvariant(s, seed);
    }

    static void assertInvariant(GaugeField u, long seed) {
        Group g = u.group;
        Lattice lat = u.lattice;
        Measurement before = obs.measure(u, LOOPS);
        GaugeField v = u.copy();
        cpu.gaugeTransform(v, cpu.upload(randomOmega(g, lat, 2, seed + 1)));
        // the transformation really changed the links
        double[] uh = u.toHost(), vh = v.toHost();
        double diff = 0;
        for (int i = 0; i < uh.length; i++) diff = Math.max(diff, Math.abs(uh[i] - vh[i]));
        assertTrue(diff > 0.1);
        Measurement after = obs.measure(v, LOOPS);
        assertEquals(before.names(), after.names());
        for (String name : before.names())
            assertArrayEquals(before.get(name), after.get(name), 1e-12, g + " " + lat + " " + name);
        // W(1,1) = plaquette, W(R,T) = W(T,R)
        assertArrayEquals(before.get("plaquette"), before.get("W_1x1"), 1e-13);
        assertArrayEquals(before.get("W_1x2"), before.get("W_2x1"), 1e-13);
        assertArrayEquals(before.get("W_2x3"), before.get("W_3x2"), 1e-13);
    }

    @Test void gaugeInvarianceU1_2D() { assertInvariant(Group.U1, new Lattice(6, 4), 10); }
    @Test void gaugeInvarianceU1_4D() { assertInvariant(Group.U1, new Lattice(4, 4, 4, 6), 20); }
    @Test void gaugeInvarianceSU3_4D() { assertInvariant(Group.SU3, new Lattice(4, 4, 4, 6), 30); }

    /** Independent reference: (1/N) Re tr of the R x T loop at x in (mu, nu), walking link by link; f = u.toHost(). */
    static double walkLoop(GaugeField u, double[] f, int b, int x, int mu, int nu, int R, int T) {
        Lattice lat = u.lattice;
        int[] dirs = new int[2 * (R + T)];
        int k = 0;
        for (int i = 0; i < R; i++) dirs[k++] = mu + 1;
        for (int i = 0; i < T; i++) dirs[k++] = nu + 1;
        for (int i = 0; i < R; i++) dirs[k++] = -(mu + 1);
        for (int i = 0; i < T; i++) dirs[k++] = -(nu + 1);
        double[] acc = new double[18], link = new double[18], tmp = new double[18];
        double angle = 0;
        SU3.setIdentity(acc, 0);
        int y = x;
        for (int s : dirs) {
            int m = Math.abs(s) - 1;
            if (s > 0) {
                if (u.group == Group.U1) angle += f[u.offset(b, m, y)];
                else { SU3.mul(acc, 0, f, u.offset(b, m, y), tmp, 0); System.arraycopy(tmp, 0, acc, 0, 18); }
                y = lat.up(m, y);
            } else {
                y = lat.dn(m, y);
                if (u.group == Group.U1) angle -= f[u.offset(b, m, y)];
                else { SU3.dagger(f, u.offset(b, m, y), link, 0); SU3.mul(acc, 0, link, 0, tmp, 0); System.arraycopy(tmp, 0, acc, 0, 18); }
            }
        }
        assertEquals(x, y, "loop closes");
        return u.group == Group.U1 ? Math.cos(angle) : SU3.reTrace(acc, 0) / 3.0;
    }

    @Test void wilsonLoopsMatchPathWalk() {
        for (Group g : new Group[] {Group.U1, Group.SU3}) {
            Lattice lat = new Lattice(4, 6, 4);
            GaugeField u = random(g, lat, 2, 40);
            double[] f = u.toHost();
            for (int[] rt : new int[][] {{1, 1}, {2, 3}, {3, 1}, {4, 2}}) {
                double[] w = obs.wilsonLoop(u, rt[0], rt[1]);
                for (int b = 0; b < 2; b++) {
                    double s = 0;
                    for (int mu = 0; mu < 3; mu++) for (int nu = 0; nu < 3; nu++) if (mu != nu)
                        for (int x = 0; x < lat.volume; x++) s += walkLoop(u, f, b, x, mu, nu, rt[0], rt[1]);
                    assertEquals(s / (lat.volume * 6.0), w[b], 1e-12, g + " W" + rt[0] + "x" + rt[1]);
                }
            }
        }
    }

    @Test void topologicalChargeIsInteger() {
        GaugeField u = random(Group.U1, new Lattice(8, 8), 8, 50);
        double[] q = obs.topologicalCharge(u);
        boolean nonzero = false;
        for (double v : q) {
            assertEquals(Math.rint(v), v, 1e-10, "Q = " + v);
            nonzero |= Math.rint(v) != 0;
        }
        assertTrue(nonzero, "random configurations should carry some charge");
        assertThrows(IllegalArgumentException.class, () -> obs.topologicalCharge(random(Group.U1, new Lattice(4, 4, 4), 1, 1)));
        assertThrows(IllegalArgumentException.class, () -> obs.topologicalCharge(random(Group.SU3, new Lattice(4, 4), 1, 1)));
    }

    @Test void coldConfigurations() {
        for (Group g : new Group[] {Group.U1, Group.SU3}) {
            Lattice lat = g == Group.U1 ? new Lattice(6, 4) : new Lattice(4, 4, 4, 4);
            GaugeField u = GaugeField.identity(cpu, g, lat, 2);
            Measurement m = obs.measure(u, LOOPS);
            for (String name : m.names()) {
                double expect = name.equals("Q") || name.equals("poly_im") ? 0 : 1;
                for (double v : m.get(name)) assertEquals(expect, v, 1e-14, g + " " + name);
            }
        }
    }

    /** U(1) angles with every plaquette in plane (0,1) equal to phi = 2 pi k/(L0 L1) (mod 2 pi); other links 0. */
    static double[] fluxAngles(Lattice lat, int k) {
        int L0 = lat.extent(0), L1 = lat.extent(1), V = lat.volume;
        double phi = 2 * Math.PI * k / (L0 * L1);
        double[] th = new double[lat.d * V];
        for (int x = 0; x < V; x++) {
            int[] c = lat.coords(x);
            th[1 * V + x] = phi * c[0];
            if (c[0] == L0 - 1) th[x] = -phi * L0 * c[1];
        }
        return th;
    }

    @Test void constantFluxU1() {
        Lattice lat = new Lattice(8, 6);
        for (int k : new int[] {1, -2, 3}) {
            double[] th = fluxAngles(lat, k);
            for (int i = 0; i < th.length; i++) th[i] = org.mflowhpc.group.U1.wrap(th[i]);
            GaugeField u = GaugeField.fromHost(cpu, Group.U1, lat, 1, th);
            double phi = 2 * Math.PI * k / 48;
            assertEquals(Math.cos(phi), obs.meanPlaquette(u)[0], 1e-13);
            assertEquals(k, obs.topologicalCharge(u)[0], 1e-11);
            for (int[] rt : new int[][] {{1, 1}, {2, 3}, {3, 4}, {5, 5}})
                assertEquals(Math.cos(rt[0] * rt[1] * phi), obs.wilsonLoop(u, rt[0], rt[1])[0], 1e-12, "k=" + k + " " + rt[0] + "x" + rt[1]);
            // Polyakov loop along direction 1: exp(i phi L1 x0) averaged over x0 = sum of L0-th roots of unity = 0
            Observables.PolyakovLoop p = obs.polyakovLoop(u);
            assertEquals(0.0, p.abs()[0], 1e-13);
        }
        // Polyakov loop of a constant temporal link: exp(i a L1)
        GaugeField c = GaugeField.identity(cpu, Group.U1, lat, 1);
        double[] ch = c.toHost();
        for (int x = 0; x < lat.volume; x++) ch[c.offset(0, 1, x)] = 0.3;
        c.setFromHost(ch);
        Observables.PolyakovLoop p = obs.polyakovLoop(c);
        assertEquals(Math.cos(0.3 * 6), p.re()[0], 1e-13);
        assertEquals(Math.sin(0.3 * 6), p.im()[0], 1e-13);
    }

    @Test void constantFluxSU3Embedding() {
        Lattice lat = new Lattice(4, 6, 4, 4);
        int k = 1;
        double[] th = fluxAngles(lat, k);
        GaugeField u = new GaugeField(cpu, Group.SU3, lat, 1);
        double[] uh = new double[u.size()];
        for (int mu = 0; mu < 4; mu++) for (int x = 0; x < lat.volume; x++) {
            double a = th[mu * lat.volume + x];
            int o = u.offset(0, mu, x);
            uh[o] = Math.cos(a); uh[o + 1] = Math.sin(a);
            uh[o + 8] = Math.cos(a); uh[o + 9] = -Math.sin(a);
            uh[o + 16] = 1;
        }
        u.setFromHost(uh);
        double phi = 2 * Math.PI * k / 24;
        assertEquals((5 + (2 * Math.cos(phi) + 1) / 3) / 6, obs.meanPlaquette(u)[0], 1e-13);
        double w23 = (10 + 2 * (2 * Math.cos(6 * phi) + 1) / 3) / 12;
        assertEquals(w23, obs.wilsonLoop(u, 2, 3)[0], 1e-13);
        // Polyakov loop along direction 3 carries no field: 1
        assertEquals(1.0, obs.polyakovLoop(u).re()[0], 1e-13);
        // and it is gauge invariant with Haar Omega
        GaugeField v = u.copy();
        cpu.gaugeTransform(v, cpu.upload(randomOmega(Group.SU3, lat, 1, 77)));
        assertEquals(w23, obs.wilsonLoop(v, 2, 3)[0], 1e-12);
    }

    @Test void measurementTable() {
        Measurement a = new Measurement(2).put("x", new double[] {1, 2}).put("y", new double[] {3, 4});
        Measurement b = new Measurement(1).put("x", new double[] {5}).put("y", new double[] {6});
        Measurement c = a.append(b);
        assertEquals(3, c.size());
        assertArrayEquals(new double[] {1, 2, 5}, c.get("x"));
        assertEquals(java.util.List.of("x", "y"), c.names());
        String tsv = c.toTsv();
        assertTrue(tsv.startsWith("config\tx\ty\n0\t1.0000000000000000\t3.0000000000000000\n"), tsv);
        assertThrows(IllegalArgumentException.class, () -> a.put("z", new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> a.get("nope"));
        assertThrows(IllegalArgumentException.class, () -> a.append(new Measurement(1).put("x", new double[] {1})));
        Measurement m = obs.measure(GaugeField.identity(cpu, Group.U1, new Lattice(4, 4), 3), new int[][] {{1, 1}, {1, 1}, {2, 2}});
        assertEquals(java.util.List.of("plaquette", "W_1x1", "W_2x2", "Q", "poly_re", "poly_im", "poly_abs"), m.names());
    }
}
