package org.mflowhpc.flow;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.rng.RngStream;

/**
 * Haar + flow (2D U(1)): logDensity(sample) = logQ, gauge invariance of log q, reparameterisation gradient of the
 * reverse-KL loss vs finite differences, log q vs a numerical Jacobian of the whole map (4x4 lattice),
 * reproducibility across thread counts.
 */
class HaarFlowModelTest {
    static final CpuBackend BE = new CpuBackend(2);

    /** A small model whose weights are scaled up (x1.6) so the flow is far from the identity. */
    static HaarFlowModel model(CpuBackend be, Lattice lat, String flow, int layers, long seed) {
        HaarFlowModel m = new HaarFlowModel(be, lat, Map.of("layers", layers, "flow", flow, "hidden", List.of(6, 5),
                "kernel", 3, "activation", "tanh", "init_seed", seed));
        double[] v = m.params().values();
        for (int i = 0; i < v.length; i++) v[i] *= 1.6;
        return m;
    }

    @Test void logDensityOfSampleReproducesLogQAndIsGaugeInvariant() {
        for (String flow : new String[] {"ncp6", "rqs6"}) {
            Lattice lat = new Lattice(8, 8);
            HaarFlowModel m = model(BE, lat, flow, 8, 3);
            GaugeField u = new GaugeField(Group.U1, lat, 4);
            double[] lq = new double[4], lq2 = new double[4], lq3 = new double[4];
            m.sample(11, 5, u, lq);
            double mx = 0;
            for (double v : lq) mx = Math.max(mx, Math.abs(v));
            assertTrue(mx > 0.3, "flow is far from the identity: max |log q| = " + mx);
            m.logDensity(u, lq2);
            for (int b = 0; b < 4; b++) assertEquals(lq[b], lq2[b], 1e-10, flow + " logDensity(sample)");
            double[] omega = new double[4 * lat.volume];
            RngStream r = new RngStream(9, RngStream.Domain.TEST, 0, 0);
            for (int i = 0; i < omega.length; i++) omega[i] = r.angle();
            GaugeField g = u.copy();
            BE.gaugeTransform(g, omega);
            assertNotEquals(u.data[0], g.data[0]);
            m.logDensity(g, lq3);
            for (int b = 0; b < 4; b++) assertEquals(lq[b], lq3[b], 1e-10, flow + " gauge invariance");
            // arbitrary (non-sample) configurations too
            GaugeField h = new GaugeField(Group.U1, lat, 2);
            for (int i = 0; i < h.data.length; i++) h.data[i] = r.angle();
            double[] a = new double[2], c = new double[2];
            m.logDensity(h, a);
            BE.gaugeTransform(h, omega);
            m.logDensity(h, c);
            for (int b = 0; b < 2; b++) assertEquals(a[b], c[b], 1e-10, flow + " gauge invariance (random config)");
        }
    }

    static double klLoss(HaarFlowModel m, long seed, long step, int batch, double beta) {
        GaugeField u = new GaugeField(Group.U1, m.lattice(), batch);
        double[] lq = new double[batch], s = new double[batch];
        m.sample(seed, step, u, lq);
        BE.action(u, beta, s);
        double l = 0;
        for (int b = 0; b < batch; b++) l += lq[b] + s[b];
        return l / batch;
    }

    @Test void reverseKlGradientMatchesFiniteDifferences() {
        for (String flow : new String[] {"ncp3", "rqs4"}) {
            Lattice lat = new Lattice(4, 8);
            HaarFlowModel m = model(BE, lat, flow, 4, 5);
            int B = 3;
            double beta = 1.3;
            GaugeField u = new GaugeField(Group.U1, lat, B);
            double[] lq = new double[B], force = new double[u.data.length], dlq = new double[B];
            m.params().zeroGrads();
            Object tape = m.sampleForTraining(21, 2, u, lq);
            BE.force(u, beta, force);
            for (int i = 0; i < force.length; i++) force[i] /= B;
            java.util.Arrays.fill(dlq, 1.0 / B);
            m.backward(tape, force, dlq);
            double[] v = m.params().values(), g = m.params().grads();
            int n = v.length;
            int checked = 0;
            for (int i = 0; i < n; i += n / 23) {
                double s = v[i], h = 1e-5;
                v[i] = s + h; double lp = klLoss(m, 21, 2, B, beta);
                v[i] = s - h; double lm = klLoss(m, 21, 2, B, beta);
                v[i] = s;
                double num = (lp - lm) / (2 * h);
                assertEquals(num, g[i], 1e-6 + 1e-5 * Math.abs(num), flow + " dLoss/dparam[" + i + "]");
                checked++;
            }
            assertTrue(checked > 20);
        }
    }

    @Test void logQMatchesNumericalJacobianOfWholeMap() {
        Lattice lat = new Lattice(4, 4);
        for (String flow : new String[] {"ncp4", "rqs5"}) {
            HaarFlowModel m = model(BE, lat, flow, 6, 7);
            int n = 2 * lat.volume;
            GaugeField prior = new GaugeField(Group.U1, lat, 1);
            m.samplePrior(3, 0, prior);
            double[] lq = new double[1];
            m.sample(3, 0, new GaugeField(Group.U1, lat, 1), lq);
            double[][] jac = new double[n][n];
            double h = 1e-6;
            for (int j = 0; j < n; j++) {
                GaugeField p = prior.copy(), q = prior.copy();
                p.data[j] += h; q.data[j] -= h;
                double[] lj = new double[1];
                for (GaugeFlowLayer l : m.layers()) { l.forward(p, lj, false); l.forward(q, lj, false); }
                for (int i = 0; i < n; i++) {
                    double dd = p.data[i] - q.data[i];
                    dd = Math.IEEEremainder(dd, 2 * Math.PI);
                    jac[i][j] = dd / (2 * h);
                }
            }
            double logDet = logAbsDet(jac);
            assertTrue(Math.abs(lq[0]) > 0.3, "flow is far from the identity: log q = " + lq[0]);
            assertEquals(-lq[0], logDet, 1e-6, flow + ": log|det J| of prior->sample map vs -log q");
        }
    }

    static double logAbsDet(double[][] a) {
        int n = a.length;
        double s = 0;
        for (int k = 0; k < n; k++) {
            int p = k;
            for (int i = k + 1; i < n; i++) if (Math.abs(a[i][k]) > Math.abs(a[p][k])) p = i;
            double[] t = a[k]; a[k] = a[p]; a[p] = t;
            double piv = a[k][k];
            s += Math.log(Math.abs(piv));
            for (int i = k + 1; i < n; i++) {
                double f = a[i][k] / piv;
                for (int j = k; j < n; j++) a[i][j] -= f * a[k][j];
            }
        }
        return s;
    }

    @Test void samplingIsIndependentOfThreadCount() {
        Lattice lat = new Lattice(8, 8);
        double[][] res = new double[2][];
        double[][] lqs = new double[2][];
        int k = 0;
        for (int threads : new int[] {1, 2}) {
            try (CpuBackend be = new CpuBackend(threads)) {
                HaarFlowModel m = model(be, lat, "ncp6", 4, 1);
                GaugeField u = new GaugeField(Group.U1, lat, 8);
                double[] lq = new double[8];
                m.sample(77, 3, u, lq);
                res[k] = u.data; lqs[k++] = lq;
            }
        }
        assertArrayEquals(res[0], res[1]);
        assertArrayEquals(lqs[0], lqs[1]);
        for (double a : res[0]) assertTrue(a > -Math.PI && a <= Math.PI);
    }

    @Test void configRoundTripsAndRejectsBadInput() {
        Lattice lat = new Lattice(8, 8);
        HaarFlowModel m = new HaarFlowModel(BE, lat, HaarFlowModel.defaultConfig(4));
        HaarFlowModel m2 = new HaarFlowModel(BE, lat, m.config());
        assertEquals(m.params().layoutSignature(), m2.params().layoutSignature());
        assertArrayEquals(m.params().values(), m2.params().values());
        assertEquals(16, m.layers().size());
        assertThrows(IllegalArgumentException.class, () -> new HaarFlowModel(BE, new Lattice(6, 8), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new HaarFlowModel(BE, lat, Map.of("lyers", 3)));
    }
}
