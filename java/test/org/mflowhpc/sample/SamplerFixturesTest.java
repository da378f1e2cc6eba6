package org.mflowhpc.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The exact-value helpers reproduce the exact 2D tables (docs/physics.md §6), so statistical tests compare to the right numbers. */
class SamplerFixturesTest {
    @Test void u1PlaquetteMatchesTable() {
        assertEquals(0.44638997, SamplerFixtures.u1Plaquette(1, 64), 1e-8);
        assertEquals(0.69777466, SamplerFixtures.u1Plaquette(2, 64), 1e-8);
        assertEquals(0.86353004, SamplerFixtures.u1Plaquette(4, 64), 1e-8);
        assertEquals(0.93547709, SamplerFixtures.u1Plaquette(8, 64), 1e-8);
        assertEquals(0.6977747, SamplerFixtures.besselI(1, 2) / SamplerFixtures.besselI(0, 2), 1e-7);
    }

    @Test void su3PlaquetteMatchesTable() {
        assertEquals(0.06012655, SamplerFixtures.su3Plaquette2d(1), 1e-8);
        assertEquals(0.12862779, SamplerFixtures.su3Plaquette2d(2), 1e-8);
        assertEquals(0.27961915, SamplerFixtures.su3Plaquette2d(4), 1e-8);
        assertEquals(0.53575399, SamplerFixtures.su3Plaquette2d(8), 1e-8);
        assertEquals(0.67767204, SamplerFixtures.su3Plaquette2d(12), 1e-8);
        // strong coupling u = beta/18 + beta^2/216 + O(beta^4)
        double b = 0.1;
        assertEquals(b / 18 + b * b / 216, SamplerFixtures.su3Plaquette2d(b), 1e-6 * b * b);
    }

    @Test void binnedErrorOfWhiteNoise() {
        org.mflowhpc.rng.RngStream r = new org.mflowhpc.rng.RngStream(5, org.mflowhpc.rng.RngStream.Domain.TEST, 0, 0);
        double[][] s = new double[4][10000];
        for (double[] c : s) for (int i = 0; i < c.length; i++) c[i] = r.gaussian();
        double[] m = SamplerFixtures.binned(s, 20);
        assertEquals(1 / Math.sqrt(40000), m[1], 0.2 / Math.sqrt(40000));
        assertEquals(0, m[0], 5 * m[1]);
    }
}
