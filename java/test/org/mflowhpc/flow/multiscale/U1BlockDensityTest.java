package org.mflowhpc.flow.multiscale;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.mflowhpc.group.U1;

/**
 * Exact block densities f_m, conditionals g(t|phi) and their inverse-CDF sampler.
 * Reference values: 60-digit evaluations (mpmath) of the Fourier series of f_m; log Z from the exact U(1) table
 * (docs/physics.md §6).
 */
class U1BlockDensityTest {

    @Test void logZMatchesExactTable() {
        // beta, L, log Z (exact U(1) table, docs/physics.md §6; 6 decimals)
        double[][] t = {{1, 8, 15.098519}, {2, 8, 52.735587}, {2, 16, 210.942347}, {4, 16, 620.793036},
                {8, 16, 1550.874689}, {12, 8, 630.484332}, {16, 32, 14031.709625}, {16, 8, 877.208026}};
        for (double[] r : t) {
            double lz = new U1BlockDensity(r[0]).logZ((long) (r[1] * r[1]));
            assertEquals(r[2], lz, 6e-7, "beta=" + r[0] + " L=" + r[1]);
        }
    }

    @Test void blockDensityAgainstHighPrecision() {
        Object[][] t = {
                {2.0, 4, 1.0, 0.22240347224104165854},
                {16.0, 4, Math.PI, -15.913620257043245201},
                {16.0, 4, 2.5, -10.176341974672459378},
                {16.0, 8, Math.PI, -7.5131174417268078145},
                {16.0, 8, 3.0, -7.2130563185427662872},
                {8.0, 16, Math.PI, -1.0701888044170486173},
                {2.0, 64, 0.3, 1.900897430544466532e-10},
                {16.0, 3, 3.1, -20.691145007850182946},
                {12.0, 2, 2.9, -18.200679629895047389}};
        for (Object[] r : t) {
            U1BlockDensity d = new U1BlockDensity((Double) r[0]);
            double v = d.logF((Integer) r[1], (Double) r[2]);
            assertEquals((Double) r[3], v, 2e-12 * Math.max(1, Math.abs((Double) r[3])), java.util.Arrays.toString(r));
        }
    }

    @Test void closedFormsAgreeWithSeries() {
        U1BlockDensity d = new U1BlockDensity(3.0);
        for (double phi = -3.1; phi < 3.2; phi += 0.37) {
            // m = 2 closed form vs the convolution of two m = 1 closed forms
            assertEquals(d.logF(2, phi), d.logConvolve(1, 1, phi), 1e-13);
            // m = 4: series (accurate at beta = 3) vs trapezoid convolution of m = 2 closed forms
            assertEquals(d.logF(4, phi), d.logConvolve(2, 2, phi), 1e-13);
            assertEquals(d.logF(6, phi), d.logConvolve(3, 3, phi), 1e-13);
        }
    }

    /** 8-point Gauss-Legendre nodes/weights on [-1, 1]. */
    private static final double[] GX = {-0.9602898564975363, -0.7966664774136267, -0.5255324099163290,
            -0.1834346424956498, 0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363};
    private static final double[] GW = {0.1012285362903763, 0.2223810344533745, 0.3137066458778873,
            0.3626837833783620, 0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763};

    @Test void conditionalIsNormalisedAndSamplerInvertsItsCdf() {
        for (double beta : new double[] {0.0, 2.0, 16.0}) {
            U1BlockDensity d = new U1BlockDensity(beta);
            for (int m : new int[] {2, 8, 64}) {
                for (double phi : new double[] {0.0, -2.9, Math.PI}) {
                    int n = 1024;
                    double c0 = phi * (m / 2) / m - Math.PI, h = 2 * Math.PI / n;
                    double s = 0, lf = d.logF(m, phi);
                    for (int j = 0; j < n; j++) s += Math.exp(d.logG(m, c0 + h * j, phi, lf)) / n;
                    assertEquals(1.0, s, 1e-12, "beta=" + beta + " m=" + m + " phi=" + phi);
                    // inverse CDF: integral of g from c0 to the returned t equals u (composite Gauss-Legendre)
                    for (double u : new double[] {1e-6, 0.3, 0.999}) {
                        double t = d.sampleT(m, phi, u);
                        double sLen = U1.wrap(t - c0);
                        if (sLen < 0) sLen += 2 * Math.PI;
                        int panels = 100;
                        double hh = sLen / panels, acc = 0;
                        for (int i = 0; i < panels; i++)
                            for (int q = 0; q < 8; q++)
                                acc += GW[q] * Math.exp(d.logG(m, c0 + hh * (i + 0.5 + 0.5 * GX[q]), phi, lf));
                        acc *= 0.5 * hh / (2 * Math.PI);
                        assertEquals(u, acc, 1e-10, "beta=" + beta + " m=" + m + " phi=" + phi + " u=" + u);
                    }
                }
            }
        }
    }
}
