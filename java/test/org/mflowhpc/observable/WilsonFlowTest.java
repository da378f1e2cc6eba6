/*
 * Contract under test: WilsonFlow (Luescher RK3 gradient flow, stout smoothing; docs/physics.md §7). Checks: the
 * Wilson action at the flow coupling decreases at every step (heatbath beta = 6 and Haar-random SU(3), random U(1),
 * 4D); flow of a gauge transform = gauge transform of the flow (1e-11); RK3 global error O(eps^3) (eps and eps/2
 * against a tiny-step reference: ratio ~8), Euler/stout O(eps) (ratio ~2); in the linear regime a U(1) plane wave
 * decays exactly by the RK3 stability polynomial R(z)^n, z = eps p^2 with p^2 = 4 sin^2(pi/L) (fixes the t
 * normalisation: d_t A = Laplacian A); U(1) flow of an Abelian field = SU(3) flow of its embedding; one stout step
 * equals an independent link-by-link implementation of Morningstar-Peardon's definition; step bookkeeping and input
 * checks.
 */
package org.mflowhpc.observable;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.group.U1;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;

class WilsonFlowTest {
    static CpuBackend cpu;
    static WilsonFlow wf;

    @BeforeAll static void init() { cpu = new CpuBackend(2); wf = new WilsonFlow(cpu); }
    @AfterAll static void done() { cpu.close(); }

    static double[] action(GaugeField u) {
        Buffer s = cpu.alloc(u.batch);
        cpu.action(u, WilsonFlow.flowBeta(u.group), s, 0);
        return cpu.download(s);
    }

    /** max over stored doubles of |a - b| (U(1): angle difference wrapped). */
    static double maxDiff(GaugeField a, GaugeField b) {
        double[] x = a.toHost(), y = b.toHost();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - y[i];
            if (a.group == Group.U1) d = U1.wrap(d);
            m = Math.max(m, Math.abs(d));
        }
        return m;
    }

    /** root mean square over stored doubles of a - b (U(1): wrapped). */
    static double rmsDiff(GaugeField a, GaugeField b) {
        double[] x = a.toHost(), y = b.toHost();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - y[i];
            if (a.group == Group.U1) d = U1.wrap(d);
            m += d * d;
        }
        return Math.sqrt(m / x.length);
    }

    @Test void actionDecreasesAtEveryStep() {
        Lattice lat = new Lattice(4, 4, 4, 4);
        GaugeField[] starts = {
            FlowFixtures.heatbath(cpu, Group.SU3, lat, 2, 6.0, 10, 1),
            FlowFixtures.random(cpu, Group.SU3, lat, 1, 2),
            FlowFixtures.random(cpu, Group.U1, lat, 2, 3),
            FlowFixtures.heatbath(cpu, Group.U1, lat, 1, 1.0, 10, 4),
        };
        for (GaugeField u : starts) {
            double[] s = action(u);
            for (int step = 0; step < 25; step++) {
                wf.rk3Step(u, 0.02);
                double[] t = action(u);
                for (int b = 0; b < u.batch; b++)
                    assertTrue(t[b] < s[b], u.group + " step " + step + ": S " + s[b] + " -> " + t[b]);
                s = t;
            }
        }
    }

    @Test void flowCommutesWithGaugeTransformations() {
        Lattice lat = new Lattice(4, 4, 2, 4);
        for (Group g : new Group[] {Group.U1, Group.SU3}) {
            GaugeField u = FlowFixtures.random(cpu, g, lat, 2, 11);
            GaugeField v = u.copy();
            FlowFixtures.gauge(v, 12);
            wf.flow(u, 0.3, 0.05);
            wf.flow(v, 0.3, 0.05);
            FlowFixtures.gauge(u, 12);
            assertTrue(maxDiff(u, v) < 1e-11, g + " " + maxDiff(u, v));
        }
    }

    @Test void rk3IsThirdOrderAndEulerFirstOrder() {
        Lattice lat = new Lattice(4, 4, 4, 4);
        for (Group g : new Group[] {Group.SU3, Group.U1}) {
            GaugeField u = FlowFixtures.heatbath(cpu, g, lat, 1, g == Group.SU3 ? 6.0 : 1.0, 10, 21);
            double t = 0.2;
            GaugeField ref = u.copy();
            wf.flow(ref, t, 0.002);
            double[] err = new double[2], eul = new double[2];
            for (int k = 0; k < 2; k++) {
                GaugeField a = u.copy();
                wf.flow(a, t, 0.025 / (1 << k));
                err[k] = rmsDiff(a, ref);
                GaugeField e = u.copy();
                wf.stout(e, t / (8 << k), 8 << k);
                eul[k] = rmsDiff(e, ref);
            }
            double r3 = err[0] / err[1], r1 = eul[0] / eul[1];
            System.out.printf("%s: RK3 rms link error at eps 0.025, 0.0125: %.3g %.3g (ratio %.2f); Euler %.3g %.3g (ratio %.2f)%n",
                    g, err[0], err[1], r3, eul[0], eul[1], r1);
            assertTrue(r3 > 6.5 && r3 < 9.5, g + " RK3 errors " + err[0] + ", " + err[1] + " ratio " + r3);
            assertTrue(r1 > 1.7 && r1 < 2.3, g + " Euler errors " + eul[0] + ", " + eul[1] + " ratio " + r1);
            assertTrue(err[1] < 1e-4, g + " RK3 at eps = 0.0125: " + err[1]);
        }
    }

    @Test void planeWaveDecaysByTheRk3StabilityPolynomial() {
        Lattice lat = new Lattice(8, 4, 4, 4);
        int V = lat.volume;
        double a = 1e-5, k = 2 * Math.PI / 8;
        double[] th = new double[4 * V];
        for (int x = 0; x < V; x++) th[V + x] = a * Math.cos(k * lat.coords(x)[0]);
        GaugeField u = GaugeField.fromHost(cpu, Group.U1, lat, 1, th);
        double eps = 0.1;
        int n = 10;
        wf.flow(u, eps * n, eps);
        double[] h = u.toHost();
        double num = 0, den = 0, other = 0;
        for (int x = 0; x < V; x++) {
            double c = Math.cos(k * lat.coords(x)[0]);
            num += h[V + x] * c;
            den += c * c;
            other = Math.max(other, Math.max(Math.abs(h[x]), Math.max(Math.abs(h[2 * V + x]), Math.abs(h[3 * V + x]))));
        }
        double p2 = 4 * Math.pow(Math.sin(k / 2), 2), z = eps * p2;
        double r = Math.pow(1 - z + z * z / 2 - z * z * z / 6, n);
        assertEquals(r, num / den / a, 1e-8 * r, "amplitude ratio");
        assertEquals(Math.exp(-p2 * eps * n), num / den / a, 1e-4, "continuum-time heat kernel exp(-p^2 t)");
        assertEquals(0.0, other, 1e-20, "the other links stay at 0");
        for (int x = 0; x < V; x++) assertEquals(num / den * Math.cos(k * lat.coords(x)[0]), h[V + x], 1e-12 * a, "shape kept");
    }

    @Test void u1FlowEqualsSu3FlowOfTheEmbedding() {
        Lattice lat = new Lattice(4, 4, 2, 4);
        GaugeField a = FlowFixtures.smooth(cpu, Group.U1, lat, 1, 5);
        GaugeField s = GaugeField.fromHost(cpu, Group.SU3, lat, 1, FlowFixtures.embed(a.toHost()));
        wf.flow(a, 0.5, 0.05);
        wf.flow(s, 0.5, 0.05);
        GaugeField e = GaugeField.fromHost(cpu, Group.SU3, lat, 1, FlowFixtures.embed(a.toHost()));
        assertTrue(maxDiff(s, e) < 1e-12, "" + maxDiff(s, e));
        wf.stout(a, 0.1, 3);
        wf.stout(s, 0.1, 3);
        e = GaugeField.fromHost(cpu, Group.SU3, lat, 1, FlowFixtures.embed(a.toHost()));
        assertTrue(maxDiff(s, e) < 1e-12, "stout " + maxDiff(s, e));
    }

    /** Morningstar-Peardon stout step, link by link from its definition (test-side, independent of Backend.force). */
    static double[] stoutReference(GaugeField u, double rho) {
        Lattice lat = u.lattice;
        double[] f = u.toHost(), out = f.clone();
        int d = lat.d;
        double[] c = new double[18], t1 = new double[18], t2 = new double[18], om = new double[18], x = new double[18], e = new double[18];
        for (int mu = 0; mu < d; mu++)
            for (int s = 0; s < lat.volume; s++) {
                int o = u.offset(0, mu, s);
                if (u.group == Group.U1) {
                    double acc = 0;
                    for (int nu = 0; nu < d; nu++) {
                        if (nu == mu) continue;
                        // staples U_nu(x) U_mu(x+nu) U_nu(x+mu)^dag and U_nu(x-nu)^dag U_mu(x-nu) U_nu(x-nu+mu)
                        double up = f[u.offset(0, nu, s)] + f[u.offset(0, mu, lat.up(nu, s))] - f[u.offset(0, nu, lat.up(mu, s))];
                        int sm = lat.dn(nu, s);
                        double dn = -f[u.offset(0, nu, sm)] + f[u.offset(0, mu, sm)] + f[u.offset(0, nu, lat.up(mu, sm))];
                        acc += Math.sin(up - f[o]) + Math.sin(dn - f[o]);
                    }
                    out[o] = U1.wrap(f[o] + rho * acc); // exp(i Q): Q = Im(C U^dag) for U(1)
                    continue;
                }
                java.util.Arrays.fill(c, 0);
                for (int nu = 0; nu < d; nu++) {
                    if (nu == mu) continue;
                    SU3.mul(f, u.offset(0, nu, s), f, u.offset(0, mu, lat.up(nu, s)), t1, 0);
                    SU3.mulDag(t1, 0, f, u.offset(0, nu, lat.up(mu, s)), t2, 0);
                    SU3.addScaled(t2, 0, rho, c, 0);
                    int sm = lat.dn(nu, s);
                    SU3.dagMul(f, u.offset(0, nu, sm), f, u.offset(0, mu, sm), t1, 0);
                    SU3.mul(t1, 0, f, u.offset(0, nu, lat.up(mu, sm)), t2, 0);
                    SU3.addScaled(t2, 0, rho, c, 0);
                }
                SU3.mulDag(c, 0, f, o, om, 0); // Omega = C U^dag
                // i Q = -(1/2)(Omega^dag - Omega) + (1/6) tr(Omega^dag - Omega)
                SU3.dagger(om, 0, t1, 0);
                for (int k = 0; k < 18; k++) x[k] = -0.5 * (t1[k] - om[k]);
                double trIm = (t1[1] - om[1] + t1[9] - om[9] + t1[17] - om[17]) / 6.0; // tr is purely imaginary
                x[1] += trIm; x[9] += trIm; x[17] += trIm;
                SU3.exp(x, 0, e, 0);
                SU3.mul(e, 0, f, o, out, o);
            }
        return out;
    }

    @Test void stoutStepMatchesMorningstarPeardon() {
        Lattice lat = new Lattice(4, 2, 4, 2);
        for (Group g : new Group[] {Group.U1, Group.SU3}) {
            GaugeField u = FlowFixtures.random(cpu, g, lat, 1, 51);
            GaugeField ref = GaugeField.fromHost(cpu, g, lat, 1, stoutReference(u, 0.12));
            wf.stout(u, 0.12, 1);
            assertTrue(maxDiff(u, ref) < 1e-12, g + " " + maxDiff(u, ref));
        }
    }

    @Test void stepsAndInputChecks() {
        assertEquals(100, WilsonFlow.steps(1.0, 0.01));
        assertEquals(34, WilsonFlow.steps(1.0, 0.03));
        assertEquals(1, WilsonFlow.steps(0.5, 1.0));
        assertEquals(0, WilsonFlow.steps(0, 0.01));
        assertEquals(3, Smoothing.flow(0.3, 0.1).steps());
        assertEquals(0.1, Smoothing.flow(0.3, 0.1).actualFlowStep(), 1e-15);
        assertEquals(6.0, WilsonFlow.flowBeta(Group.SU3));
        assertEquals(1.0, WilsonFlow.flowBeta(Group.U1));
        assertThrows(IllegalArgumentException.class, () -> WilsonFlow.steps(-1, 0.01));
        assertThrows(IllegalArgumentException.class, () -> WilsonFlow.steps(1, 0));
        assertThrows(IllegalArgumentException.class, () -> WilsonFlow.steps(Double.NaN, 0.01));
        assertThrows(IllegalArgumentException.class, () -> Smoothing.stout(-0.1, 3));
        assertThrows(IllegalArgumentException.class, () -> Smoothing.stout(0.1, -3));
        GaugeField u = GaugeField.identity(cpu, Group.SU3, new Lattice(2, 2, 2, 2), 1);
        assertEquals(0, wf.flow(u, 0, 0.01));
        assertThrows(IllegalArgumentException.class, () -> wf.stout(u, 0.1, -1));
        // the cold field is a fixed point
        wf.flow(u, 0.2, 0.1);
        assertEquals(0.0, maxDiff(u, GaugeField.identity(cpu, Group.SU3, new Lattice(2, 2, 2, 2), 1)), 1e-15);
    }
}
