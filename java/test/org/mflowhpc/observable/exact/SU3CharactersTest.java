package org.mflowhpc.observable.exact;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.mflowhpc.group.SU3;
import org.mflowhpc.rng.RngStream;

/**
 * The SU(3) character expansion against closed forms: characters at the identity and of the fundamental and adjoint,
 * f_1 = e^{(beta/3) Re tr W} / z0 on random matrices, rho_(1,0) = the infinite-volume plaquette, the convolution
 * f_1 * f_1 = f_2 and the 1x1-torus Z by Monte Carlo over Haar pairs (errors from the sample variance).
 */
class SU3CharactersTest {
    private static double[] haar(RngStream r) {
        double[] w = new double[18];
        SU3.haar(r, w, 0);
        return w;
    }

    @Test void charactersAtTheIdentityAreDimensionsAndLowIrrepsAreTraces() {
        SU3Characters c = new SU3Characters(8);
        double[] chi = new double[2 * c.size()];
        c.characters(3, 0, chi);
        for (int i = 0; i < c.size(); i++) {
            assertEquals(c.dim(i), chi[2 * i], 1e-9 * c.dim(i), "chi(1) of (" + c.p(i) + "," + c.q(i) + ")");
            assertEquals(0, chi[2 * i + 1], 1e-9 * c.dim(i));
        }
        RngStream r = new RngStream(3, RngStream.Domain.TEST, 0, 0);
        for (int n = 0; n < 20; n++) {
            double[] w = haar(r);
            double tr = SU3.reTrace(w, 0), ti = SU3.imTrace(w, 0);
            c.characters(tr, ti, chi);
            for (int i = 0; i < c.size(); i++) {
                if (c.p(i) == 1 && c.q(i) == 0) { assertEquals(tr, chi[2 * i], 1e-12); assertEquals(ti, chi[2 * i + 1], 1e-12); }
                if (c.p(i) == 0 && c.q(i) == 1) { assertEquals(tr, chi[2 * i], 1e-12); assertEquals(-ti, chi[2 * i + 1], 1e-12); }
                if (c.p(i) == 1 && c.q(i) == 1) { assertEquals(tr * tr + ti * ti - 1, chi[2 * i], 1e-12); assertEquals(0, chi[2 * i + 1], 1e-12); }
            }
        }
    }

    @Test void singlePlaquetteDensityAndPlaquetteMatchTheClosedForms() {
        RngStream r = new RngStream(5, RngStream.Domain.TEST, 0, 0);
        for (double beta : new double[] {0.5, 2, 4, 8, 12}) {
            SU3Characters c = new SU3Characters(beta);
            assertEquals(Exact2D.suNPlaquette(3, beta), c.rho(1, 0), 1e-11, "rho_(1,0) at beta " + beta);
            assertEquals(c.rho(1, 0), c.rho(0, 1), 1e-14);
            assertEquals(c.rho(1, 0), SU3Characters.fundamentalRatio(beta), 1e-13, "fundamentalRatio at beta " + beta);
            double z0 = Math.exp(Exact2D.suNLogZ0(3, beta));
            for (int n = 0; n < 30; n++) {
                double[] w = haar(r);
                double tr = SU3.reTrace(w, 0), ti = SU3.imTrace(w, 0);
                double exact = Math.exp(beta / 3 * tr) / z0;
                assertEquals(exact, c.blockDensity(1, tr, ti), 1e-10 * Math.max(1, exact), "f_1 at beta " + beta);
            }
            assertEquals(Math.exp(beta) / z0, c.blockDensityMax(1), 1e-10 * Math.exp(beta) / z0);
        }
    }

    @Test void convolutionOfTwoPlaquettesIsTheTwoPlaquetteBlock() {
        double beta = 2;
        SU3Characters c = new SU3Characters(beta);
        RngStream r = new RngStream(7, RngStream.Domain.TEST, 0, 0);
        double[] x = haar(r), wx = new double[18];
        int n = 100000;
        double s = 0, s2 = 0;
        for (int i = 0; i < n; i++) {
            double[] w = haar(r);
            SU3.dagMul(w, 0, x, 0, wx, 0); // W^dag X
            double v = c.blockDensity(1, SU3.reTrace(w, 0), SU3.imTrace(w, 0)) * c.blockDensity(1, SU3.reTrace(wx, 0), SU3.imTrace(wx, 0));
            s += v; s2 += v * v;
        }
        double mean = s / n, err = Math.sqrt((s2 / n - mean * mean) / n);
        double f2 = c.blockDensity(2, SU3.reTrace(x, 0), SU3.imTrace(x, 0));
        assertEquals(f2, mean, 4 * err, "(f_1 * f_1)(X) by Monte Carlo");
    }

    @Test void oneByOneTorusPartitionFunctionByMonteCarlo() {
        double beta = 3;
        SU3Characters c = new SU3Characters(beta);
        RngStream r = new RngStream(9, RngStream.Domain.TEST, 0, 0);
        double[] t = new double[18], p = new double[18];
        int n = 100000;
        double s = 0, s2 = 0;
        for (int i = 0; i < n; i++) {
            double[] a = haar(r), b = haar(r);
            SU3.mul(a, 0, b, 0, t, 0);
            SU3.mulDag(t, 0, a, 0, p, 0);
            SU3.mulDag(p, 0, b, 0, t, 0);
            double v = Math.exp(beta / 3 * SU3.reTrace(t, 0));
            s += v; s2 += v * v;
        }
        double mean = s / n, err = Math.sqrt((s2 / n - mean * mean) / n);
        assertEquals(Math.exp(c.logZ(1)), mean, 4 * err, "Z of the 1x1 torus");
        // the finite-volume part vanishes with V
        assertTrue(c.logTorusSum(1) > 0.1 && c.logTorusSum(256) < 1e-12, c.logTorusSum(1) + " " + c.logTorusSum(256));
    }
}
