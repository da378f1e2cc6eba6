package org.mflowhpc.flow.multiscale;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.rng.RngStream;

/**
 * The exact multiscale oracle: log q + S = -log Z for every sample and for arbitrary configurations, inverse pass,
 * gauge invariance, and the physics of its samples (plaquette, topological susceptibility, Q sectors) against the
 * exact values of docs/physics.md §6 (Exact2D).
 */
class ExactMultiscaleU1Test {
    private static final CpuBackend CPU = new CpuBackend(1);

    private static double[] action(GaugeField u, double beta) {
        Buffer s = CPU.alloc(u.batch);
        CPU.action(u, beta, s, 0);
        return CPU.download(s);
    }

    /** model.sample into a fresh buffer, returned as a host copy. */
    private static double[] sample(ExactMultiscaleU1 model, long seed, long step, GaugeField u) {
        Buffer lq = CPU.alloc(u.batch);
        model.sample(seed, step, u, lq);
        return CPU.download(lq);
    }

    private static double[] logDensity(ExactMultiscaleU1 model, GaugeField u) {
        Buffer lq = CPU.alloc(u.batch);
        model.logDensity(u, lq);
        return CPU.download(lq);
    }

    @Test void logZFromTableAndVolumeOnly() {
        assertEquals(52.735587, new ExactMultiscaleU1(CPU, new Lattice(8, 8), 2).logZ(), 6e-7);
        assertEquals(1550.874689, new ExactMultiscaleU1(CPU, new Lattice(16, 16), 8).logZ(), 6e-7);
        // log Z depends on V only: 8x32 and 16x16
        assertEquals(new ExactMultiscaleU1(CPU, new Lattice(16, 16), 3).logZ(), new ExactMultiscaleU1(CPU, new Lattice(8, 32), 3).logZ(), 0);
    }

    @Test void everySampleHasLogQPlusSEqualMinusLogZ() {
        Object[][] cases = {{4, 4, 1.0}, {8, 8, 2.0}, {4, 8, 4.0}, {8, 16, 2.0}, {16, 8, 6.0}, {16, 16, 8.0},
                {8, 8, 16.0}, {2, 2, 3.0}, {16, 4, 0.5}};
        double worst = 0;
        for (Object[] c : cases) {
            Lattice lat = new Lattice((Integer) c[0], (Integer) c[1]);
            double beta = (Double) c[2];
            ExactMultiscaleU1 model = new ExactMultiscaleU1(CPU, lat, beta);
            int n = lat.volume >= 256 ? 4 : 8;
            GaugeField u = new GaugeField(CPU, Group.U1, lat, n);
            double[] lq = sample(model, 11, 3, u);
            double[] s = action(u, beta);
            double[] lq2 = logDensity(model, u);
            int nl = model.chain().layers() + 1;
            double[] parts = new double[n * nl];
            model.logDensityByLevel(u, parts);
            for (int b = 0; b < n; b++) {
                double dev = lq[b] + s[b] + model.logZ();
                worst = Math.max(worst, Math.abs(dev));
                assertEquals(0, dev, 1e-9, lat + " beta=" + beta + " b=" + b);
                assertEquals(lq[b], lq2[b], 1e-10, "logDensity(sample) " + lat + " beta=" + beta);
                double sum = 0;
                for (int k = 0; k < nl; k++) sum += parts[b * nl + k];
                assertEquals(lq[b], sum, 1e-10);
            }
            for (double x : u.toHost()) assertTrue(x > -Math.PI && x <= Math.PI);
        }
        System.out.println("max |log q + S + log Z| over samples = " + worst);
    }

    @Test void anyConfigurationHasLogQPlusSEqualMinusLogZAndLogQIsGaugeInvariant() {
        Object[][] cases = {{8, 8, 2.0}, {8, 16, 1.0}, {16, 16, 4.0}, {4, 4, 8.0}};
        double worst = 0;
        for (Object[] c : cases) {
            Lattice lat = new Lattice((Integer) c[0], (Integer) c[1]);
            double beta = (Double) c[2];
            ExactMultiscaleU1 model = new ExactMultiscaleU1(CPU, lat, beta);
            int n = 3;
            // b = 0: uniform random (hot); b = 1: cold + small noise; b = 2: a sample, gauge transformed below
            RngStream r = new RngStream(5, RngStream.Domain.TEST, 0, lat.volume);
            int cs = 2 * lat.volume;
            double[] host = new double[n * cs];
            for (int i = 0; i < cs; i++) {
                host[i] = r.angle();
                host[cs + i] = 0.3 * r.gaussian();
            }
            GaugeField smp = new GaugeField(CPU, Group.U1, lat, 1);
            sample(model, 99, 0, smp);
            System.arraycopy(smp.toHost(), 0, host, 2 * cs, cs);
            GaugeField u = GaugeField.fromHost(CPU, Group.U1, lat, n, host);
            assertEquals(cs, u.configSize());
            double[] lq = logDensity(model, u);
            double[] s = action(u, beta);
            for (int b = 0; b < n; b++) {
                double dev = lq[b] + s[b] + model.logZ();
                worst = Math.max(worst, Math.abs(dev));
                assertEquals(0, dev, 1e-9, lat + " beta=" + beta + " b=" + b);
            }
            // random gauge transformation: log q unchanged
            double[] omega = new double[n * lat.volume];
            for (int i = 0; i < omega.length; i++) omega[i] = r.angle();
            GaugeField g = u.copy();
            CPU.gaugeTransform(g, CPU.upload(omega));
            double[] lqg = logDensity(model, g);
            for (int b = 0; b < n; b++) assertEquals(lq[b], lqg[b], 1e-10, "gauge invariance " + lat + " b=" + b);
        }
        System.out.println("max |log q + S + log Z| over arbitrary configurations = " + worst);
    }

    @Test void plaquetteSusceptibilityAndTopologicalSectorsMatchExactValues() {
        // beta = 2, 8x8: <cos P> = 0.69777466, chi_t = <Q^2>/V = 1.936405e-02 (exact U(1) table, docs/physics.md §6)
        Lattice lat = new Lattice(8, 8);
        ExactMultiscaleU1 model = new ExactMultiscaleU1(CPU, lat, 2.0);
        int n = 2000, v = lat.volume;
        double sumP = 0, sumP2 = 0, sumQ2 = 0, sumQ4 = 0;
        int nonZeroQ = 0, maxAbsQ = 0;
        int batch = 100;
        Buffer angB = CPU.alloc(batch * v);
        // plaquette-angle marginal: fraction of plaquettes with |theta| < 0.5, per configuration
        double sumF = 0, sumF2 = 0;
        for (int step = 0; step < n / batch; step++) {
            GaugeField u = new GaugeField(CPU, Group.U1, lat, batch);
            sample(model, 2024, step, u);
            CPU.plaquetteAngles(u, angB);
            double[] ang = CPU.download(angB);
            for (int b = 0; b < batch; b++) {
                double p = 0, q = 0, f = 0;
                for (int x = 0; x < v; x++) {
                    double th = ang[b * v + x];
                    p += Math.cos(th);
                    q += th;
                    if (Math.abs(th) < 0.5) f++;
                }
                p /= v; f /= v;
                q /= 2 * Math.PI;
                long qi = Math.round(q);
                assertEquals(qi, q, 1e-9, "Q must be an integer");
                sumP += p; sumP2 += p * p;
                sumQ2 += qi * qi; sumQ4 += (double) qi * qi * qi * qi;
                sumF += f; sumF2 += f * f;
                if (qi != 0) nonZeroQ++;
                maxAbsQ = (int) Math.max(maxAbsQ, Math.abs(qi));
            }
        }
        double mp = sumP / n, ep = Math.sqrt((sumP2 / n - mp * mp) / n);
        double chi = sumQ2 / n / v, echi = Math.sqrt((sumQ4 / n - Math.pow(sumQ2 / n, 2)) / n) / v;
        double mf = sumF / n, ef = Math.sqrt((sumF2 / n - mf * mf) / n);
        // exact single-plaquette marginal on V plaquettes: p(theta) = f_1(theta) f_{V-1}(-theta) / f_V(0)
        U1BlockDensity d = model.density();
        double lfv = d.logF(v, 0), exactF = 0;
        int panels = 2000;
        for (int i = 0; i < panels; i++) {
            double th = -0.5 + (i + 0.5) / panels;
            exactF += Math.exp(d.logF(1, th) + d.logF(v - 1, -th) - lfv) / panels / (2 * Math.PI);
        }
        System.out.printf("beta=2 8x8 exact sampler, N=%d: <cos P> = %.5f +- %.5f (exact 0.69777466); chi_t = %.5f +- %.5f "
                + "(exact 0.01936405); P(|theta_P|<0.5) = %.5f +- %.5f (exact %.5f); Q != 0 in %d configs, max |Q| = %d%n",
                n, mp, ep, chi, echi, mf, ef, exactF, nonZeroQ, maxAbsQ);
        assertEquals(0.69777466, mp, 4 * ep);
        assertEquals(0.01936405, chi, 4 * echi);
        assertEquals(exactF, mf, 4 * ef);
        assertTrue(nonZeroQ > n / 3, "topological sectors Q != 0 must appear at beta = 2");
        assertTrue(maxAbsQ >= 2);
    }

    @Test void deterministicAndClearErrors() {
        Lattice lat = new Lattice(4, 8);
        ExactMultiscaleU1 model = new ExactMultiscaleU1(CPU, lat, 2.0);
        GaugeField a = new GaugeField(CPU, Group.U1, lat, 3), b = new GaugeField(CPU, Group.U1, lat, 3);
        double[] la = sample(model, 1, 2, a);
        double[] lb = sample(model, 1, 2, b);
        assertArrayEquals(a.toHost(), b.toHost(), 0);
        assertArrayEquals(la, lb, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ExactMultiscaleU1(CPU, new Lattice(12, 16), 2.0));
        assertEquals("lattice 12x16 cannot be built by doubling from 1x1: extent 12 is not a power of two", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ExactMultiscaleU1(CPU, new Lattice(4, 4, 4), 2.0));
        assertTrue(e.getMessage().contains("2D U(1) only"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ExactMultiscaleU1(CPU, lat, Double.NaN));
        assertTrue(e.getMessage().contains("beta"), e.getMessage());
    }
}
