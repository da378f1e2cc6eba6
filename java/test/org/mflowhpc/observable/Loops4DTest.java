/*
 * Contract under test: Wilson loops and Polyakov loops of Observables in 4D, U(1) and SU(3). Checks: identity field
 * gives W = 1 and P = 1; complex Polyakov loop and Wilson loops gauge invariant (Haar Omega); a centre transformation
 * (every temporal link of one time slice times z, z = e^{2 pi i/3} for SU(3), any phase for U(1)) multiplies P by z
 * and leaves Wilson loops unchanged; constant temporal links diag(e^{ia}, e^{ib}, e^{-i(a+b)}) give
 * P = (1/3) sum_k e^{i L_t a_k}; two-plane constant U(1) flux gives W(R,T) = (8 + 2 cos(RT phi01) + 2 cos(RT phi23))/12
 * and Polyakov loop 0 (charge n2 not a multiple of L2); W(R,T) against an independent path walk in 4D.
 */
package org.mflowhpc.observable;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.group.U1;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;

class Loops4DTest {
    static CpuBackend cpu;
    static Observables obs;

    @BeforeAll static void init() { cpu = new CpuBackend(2); obs = new Observables(cpu); }
    @AfterAll static void done() { cpu.close(); }

    static final int[][] LOOPS = {{1, 1}, {1, 2}, {2, 2}, {1, 3}};

    @Test void identityFieldGivesOne() {
        for (Group g : new Group[] {Group.U1, Group.SU3}) {
            GaugeField u = GaugeField.identity(cpu, g, new Lattice(4, 2, 4, 6), 2);
            for (int[] rt : LOOPS) assertArrayEquals(new double[] {1, 1}, obs.wilsonLoop(u, rt[0], rt[1]), 1e-14, g + " W");
            Observables.PolyakovLoop p = obs.polyakovLoop(u);
            assertArrayEquals(new double[] {1, 1}, p.re(), 1e-14);
            assertArrayEquals(new double[] {0, 0}, p.im(), 1e-14);
        }
    }

    @Test void loopsAreGaugeInvariant() {
        Lattice lat = new Lattice(4, 4, 2, 6);
        for (Group g : new Group[] {Group.U1, Group.SU3}) {
            for (GaugeField u : new GaugeField[] {FlowFixtures.smooth(cpu, g, lat, 2, 3), FlowFixtures.random(cpu, g, lat, 2, 4)}) {
                Observables.PolyakovLoop p = obs.polyakovLoop(u);
                double[][] w = obs.wilsonLoops(u, LOOPS);
                GaugeField v = u.copy();
                FlowFixtures.gauge(v, 5);
                Observables.PolyakovLoop q = obs.polyakovLoop(v);
                assertArrayEquals(p.re(), q.re(), 1e-12, g + " P re");
                assertArrayEquals(p.im(), q.im(), 1e-12, g + " P im");
                double[][] w2 = obs.wilsonLoops(v, LOOPS);
                for (int k = 0; k < LOOPS.length; k++) assertArrayEquals(w[k], w2[k], 1e-12, g + " W" + k);
            }
        }
    }

    @Test void centreTransformationRotatesThePolyakovLoopOnly() {
        Lattice lat = new Lattice(4, 2, 4, 6);
        int V = lat.volume, Vs = V / 6;
        for (Group g : new Group[] {Group.U1, Group.SU3}) {
            GaugeField u = FlowFixtures.smooth(cpu, g, lat, 1, 7);
            Observables.PolyakovLoop p = obs.polyakovLoop(u);
            double[][] w = obs.wilsonLoops(u, LOOPS);
            double zr, zi, alpha = g == Group.U1 ? 0.7 : 2 * Math.PI / 3;
            zr = Math.cos(alpha); zi = Math.sin(alpha);
            double[] h = u.toHost();
            for (int xs = 0; xs < Vs; xs++) {
                int o = u.offset(0, 3, xs + 2 * Vs); // time slice x3 = 2
                if (g == Group.U1) h[o] = U1.wrap(h[o] + alpha);
                else for (int k = 0; k < 18; k += 2) {
                    double re = h[o + k], im = h[o + k + 1];
                    h[o + k] = zr * re - zi * im;
                    h[o + k + 1] = zr * im + zi * re;
                }
            }
            GaugeField v = GaugeField.fromHost(cpu, g, lat, 1, h);
            Observables.PolyakovLoop q = obs.polyakovLoop(v);
            assertTrue(Math.hypot(p.re()[0], p.im()[0]) > 1e-3, "a non-zero loop to rotate");
            assertEquals(zr * p.re()[0] - zi * p.im()[0], q.re()[0], 1e-13, g + " re");
            assertEquals(zr * p.im()[0] + zi * p.re()[0], q.im()[0], 1e-13, g + " im");
            double[][] w2 = obs.wilsonLoops(v, LOOPS);
            for (int k = 0; k < LOOPS.length; k++) assertArrayEquals(w[k], w2[k], 1e-13, g + " W" + k);
        }
    }

    @Test void constantTemporalLinks() {
        Lattice lat = new Lattice(2, 4, 2, 6);
        double a = 0.3, b = -1.1;
        GaugeField u = GaugeField.identity(cpu, Group.SU3, lat, 1);
        double[] h = u.toHost();
        double[] ph = {a, b, -(a + b)};
        for (int x = 0; x < lat.volume; x++) {
            int o = u.offset(0, 3, x);
            for (int k = 0; k < 3; k++) { h[o + 8 * k] = Math.cos(ph[k]); h[o + 8 * k + 1] = Math.sin(ph[k]); }
        }
        u.setFromHost(h);
        double re = 0, im = 0;
        for (double p : ph) { re += Math.cos(6 * p) / 3; im += Math.sin(6 * p) / 3; }
        Observables.PolyakovLoop p = obs.polyakovLoop(u);
        assertEquals(re, p.re()[0], 1e-13);
        assertEquals(im, p.im()[0], 1e-13);
        // a constant temporal field carries no field strength: every Wilson loop is 1
        for (int[] rt : LOOPS) assertEquals(1.0, obs.wilsonLoop(u, rt[0], rt[1])[0], 1e-13);

        GaugeField c = GaugeField.identity(cpu, Group.U1, lat, 1);
        double[] ch = c.toHost();
        for (int x = 0; x < lat.volume; x++) ch[c.offset(0, 3, x)] = a;
        c.setFromHost(ch);
        assertEquals(Math.cos(6 * a), obs.polyakovLoop(c).re()[0], 1e-13);
        assertEquals(Math.sin(6 * a), obs.polyakovLoop(c).im()[0], 1e-13);
    }

    @Test void twoPlaneFluxWilsonLoops() {
        Lattice lat = new Lattice(6, 4, 4, 6);
        GaugeField u = GaugeField.fromHost(cpu, Group.U1, lat, 1, FlowFixtures.twoPlaneFlux(lat, 1, -2));
        double p01 = 2 * Math.PI / 24, p23 = -4 * Math.PI / 24;
        for (int[] rt : new int[][] {{1, 1}, {1, 2}, {2, 3}, {3, 3}}) {
            double a = rt[0] * rt[1];
            assertEquals((8 + 2 * Math.cos(a * p01) + 2 * Math.cos(a * p23)) / 12, obs.wilsonLoop(u, rt[0], rt[1])[0], 1e-13);
        }
        assertEquals(0.0, obs.polyakovLoop(u).abs()[0], 1e-13);
        GaugeField s = GaugeField.fromHost(cpu, Group.SU3, lat, 1, FlowFixtures.embed(FlowFixtures.twoPlaneFlux(lat, 1, -2)));
        double w = (8 + 2 * (2 * Math.cos(2 * p01) + 1) / 3 + 2 * (2 * Math.cos(2 * p23) + 1) / 3) / 12;
        assertEquals(w, obs.wilsonLoop(s, 1, 2)[0], 1e-13);
    }

    @Test void wilsonLoopsMatchPathWalkIn4D() {
        Lattice lat = new Lattice(2, 4, 2, 4);
        for (Group g : new Group[] {Group.U1, Group.SU3}) {
            GaugeField u = FlowFixtures.random(cpu, g, lat, 1, 9);
            double[] f = u.toHost();
            for (int[] rt : new int[][] {{1, 1}, {1, 2}, {3, 2}}) {
                double s = 0;
                for (int mu = 0; mu < 4; mu++) for (int nu = 0; nu < 4; nu++) if (mu != nu)
                    for (int x = 0; x < lat.volume; x++) s += ObservablesTest.walkLoop(u, f, 0, x, mu, nu, rt[0], rt[1]);
                assertEquals(s / (lat.volume * 12.0), obs.wilsonLoop(u, rt[0], rt[1])[0], 1e-12, g + " W" + rt[0] + "x" + rt[1]);
            }
        }
    }
}
