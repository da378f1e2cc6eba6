/*
 * Contract under test: Ess on weights with known answers: equal weights (ESS = 1, KL = 0), a single non-zero weight
 * (ESS = 1/N), huge offsets (log-space stability), log-normal weights (ESS -> exp(-sigma^2), KL -> sigma^2/2,
 * var(log w) = sigma^2), bootstrap reproducibility and size.
 */
package org.mflowhpc.observable.stats;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.mflowhpc.rng.RngStream;

class EssTest {
    @Test void equalAndDegenerateWeights() {
        double[] lw = new double[100];
        Arrays.fill(lw, -12345.678);
        assertEquals(1.0, Ess.essFraction(lw), 1e-13);
        assertEquals(-12345.678, Ess.logZ(lw), 1e-9);
        assertEquals(0.0, Ess.kl(lw), 1e-9);
        assertEquals(0.0, Ess.varLogW(lw), 1e-20);
        assertEquals(0.0, Ess.logZError(lw), 1e-6);
        double[] one = {3e5, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY};
        assertEquals(0.25, Ess.essFraction(one), 1e-15);
        assertEquals(3e5 - Math.log(4), Ess.logZ(one), 1e-9);
        // two weights in ratio 1:3 -> (1+3)^2 / (2 (1+9)) = 0.8
        assertEquals(0.8, Ess.essFraction(new double[] {700, 700 + Math.log(3)}), 1e-13);
        assertThrows(IllegalArgumentException.class, () -> Ess.essFraction(new double[] {0, Double.NaN}));
        assertThrows(IllegalArgumentException.class, () -> Ess.essFraction(new double[0]));
    }

    @Test void logNormalWeights() {
        int n = 20000;
        double sigma = 0.5, shift = -800;
        double[] lw = new double[n];
        RngStream r = new RngStream(11, RngStream.Domain.TEST, 0, 0);
        for (int i = 0; i < n; i++) lw[i] = shift + sigma * r.gaussian();
        Ess.Bootstrap bs = Ess.bootstrapEss(lw, 200, 42);
        assertEquals(Math.exp(-sigma * sigma), bs.ess(), 4 * bs.error() + 1e-3, bs.toString());
        assertTrue(bs.error() > 0 && bs.error() < 0.02, bs.toString());
        assertTrue(bs.lo95() < bs.ess() && bs.ess() < bs.hi95(), bs.toString());
        // log Z of the weights: shift + sigma^2/2; KL = sigma^2/2 (for log-normal w normalised by Z)
        assertEquals(shift + sigma * sigma / 2, Ess.logZ(lw), 4 * Ess.logZError(lw));
        assertEquals(sigma * sigma / 2, Ess.klExact(lw, shift + sigma * sigma / 2), 0.02);
        assertEquals(sigma * sigma / 2, Ess.kl(lw), 0.02);
        assertEquals(sigma * sigma, Ess.varLogW(lw), 0.03 * sigma * sigma);
        Ess.Summary s = Ess.summary(lw, 100, 42);
        assertEquals(bs.ess(), s.essFraction(), 0);
        assertEquals(n, s.n());
    }

    @Test void bootstrapIsReproducible() {
        double[] lw = new double[500];
        RngStream r = new RngStream(12, RngStream.Domain.TEST, 0, 0);
        for (int i = 0; i < lw.length; i++) lw[i] = 2 * r.gaussian();
        Ess.Bootstrap a = Ess.bootstrapEss(lw, 50, 7), b = Ess.bootstrapEss(lw, 50, 7), c = Ess.bootstrapEss(lw, 50, 8);
        assertEquals(a, b);
        assertNotEquals(a.error(), c.error());
    }
}
