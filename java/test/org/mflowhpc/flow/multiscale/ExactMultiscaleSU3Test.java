package org.mflowhpc.flow.multiscale;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.observable.exact.SU3Characters;
import org.mflowhpc.rng.RngStream;
import org.mflowhpc.testutil.Backends;

/**
 * The exact 2D SU(3) multiscale oracle: log q + S = -log Z on arbitrary configurations (Haar, heatbath) and on every
 * sample (ESS = 1), through every backend's split and merge; its samples' plaquette against the exact finite-volume
 * value d log Z / d beta / V within 4 sigma.
 */
class ExactMultiscaleSU3Test {

    private static double[] action(Backend be, GaugeField u, double beta) {
        Buffer s = be.alloc(u.batch);
        be.action(u, beta, s, 0);
        return be.download(s);
    }

    private static double[] logDensity(Backend be, ExactMultiscaleSU3 m, GaugeField u) {
        Buffer lq = be.alloc(u.batch);
        m.logDensity(u, lq);
        return be.download(lq);
    }

    @Test void logQPlusSIsMinusLogZOnAnyConfiguration() {
        for (Backend be : Backends.all()) {
            for (int[] e : new int[][] {{2, 2}, {4, 4}, {8, 4}, {2, 8}}) {
                Lattice lat = new Lattice(e);
                double beta = 2.5;
                ExactMultiscaleSU3 m = new ExactMultiscaleSU3(be, lat, beta);
                GaugeField u = new GaugeField(be, Group.SU3, lat, 3);
                be.haarLinks(u, RngStream.Domain.TEST, 4, 1);
                for (int sweep = 0; sweep < 2; sweep++) { // Haar, then after two heatbath sweeps
                    double[] lq = logDensity(be, m, u), s = action(be, u, beta);
                    for (int b = 0; b < u.batch; b++)
                        assertEquals(-m.logZ(), lq[b] + s[b], 1e-9 * Math.max(1, Math.abs(s[b])), be + " " + lat + " config " + b);
                    for (int k = 0; k < 3; k++) be.heatbath(u, beta, 5, 10 * sweep + k);
                }
            }
        }
    }

    @Test void everySampleIsExactAndItsLogQIsTheInversePass() {
        for (Backend be : Backends.all()) {
            Lattice lat = new Lattice(4, 8);
            double beta = 2;
            ExactMultiscaleSU3 m = new ExactMultiscaleSU3(be, lat, beta);
            GaugeField u = new GaugeField(be, Group.SU3, lat, 6);
            Buffer lq = be.alloc(6);
            m.sample(3, 1, u, lq);
            double[] q = be.download(lq), q2 = logDensity(be, m, u), s = action(be, u, beta);
            for (int b = 0; b < 6; b++) {
                assertEquals(q[b], q2[b], 1e-9, "inverse pass, " + be);
                assertEquals(-m.logZ(), q[b] + s[b], 1e-9 * Math.max(1, s[b]), "log q + S, " + be);
            }
        }
    }

    @Test void plaquetteOfTheSamplesIsTheExactFiniteVolumeValue() {
        Backend be = Backends.REFERENCE;
        for (Object[] c : new Object[][] {{new Lattice(4, 4), 2.0}, {new Lattice(2, 2), 3.0}}) {
            Lattice lat = (Lattice) c[0];
            double beta = (Double) c[1], h = 1e-4;
            double exact = (new SU3Characters(beta + h).logZ(lat.volume) - new SU3Characters(beta - h).logZ(lat.volume)) / (2 * h * lat.volume);
            ExactMultiscaleSU3 m = new ExactMultiscaleSU3(be, lat, beta);
            int n = 1024;
            GaugeField u = new GaugeField(be, Group.SU3, lat, n);
            m.sample(7, 0, u, be.alloc(n));
            double[] s = action(be, u, beta);
            double sum = 0, sum2 = 0;
            for (double x : s) { double p = -x / (beta * lat.volume); sum += p; sum2 += p * p; }
            double mean = sum / n, err = Math.sqrt((sum2 / n - mean * mean) / (n - 1));
            assertEquals(exact, mean, 4 * err, lat + " beta " + beta + ": " + mean + " +- " + err + " vs " + exact);
        }
    }

    @Test void refusesBetaBeyondTheRejectionSamplerAndOtherDimensions() {
        Backend be = Backends.REFERENCE;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ExactMultiscaleSU3(be, new Lattice(4, 4), 8));
        assertTrue(e.getMessage().contains("rejection draws"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ExactMultiscaleSU3(be, new Lattice(4, 4, 4), 1));
        assertTrue(e.getMessage().contains("2D"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ExactMultiscaleSU3(be, new Lattice(6, 4), 1));
    }
}
