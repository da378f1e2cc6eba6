package org.mflowhpc.group;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.mflowhpc.rng.RngStream;
import org.mflowhpc.testutil.Fields;

/** SU(3) algebra: group axioms to rounding, exp of algebra elements, Haar moments. */
class SU3Test {
    final long seed = Fields.freshSeed();
    final RngStream r = new RngStream(seed, RngStream.Domain.TEST, 3, 3);

    @Test void haarIsSpecialUnitaryAndProductsStayInGroup() {
        double[] a = new double[18], b = new double[18], c = new double[18];
        for (int i = 0; i < 100; i++) {
            SU3.haar(r, a, 0);
            SU3.haar(r, b, 0);
            assertTrue(SU3.unitarityDeviation(a, 0) < 1e-13, "seed=" + seed);
            SU3.mul(a, 0, b, 0, c, 0);
            assertTrue(SU3.unitarityDeviation(c, 0) < 1e-13);
            double[] d = new double[18], e = new double[18];
            SU3.mulDag(c, 0, b, 0, d, 0); // (a b) b^dag = a
            for (int k = 0; k < 18; k++) assertEquals(a[k], d[k], 1e-13);
            SU3.dagMul(a, 0, c, 0, e, 0); // a^dag (a b) = b
            for (int k = 0; k < 18; k++) assertEquals(b[k], e[k], 1e-13);
        }
    }

    @Test void haarMomentsMatchGroupIntegrals() {
        // For Haar SU(3): <tr U> = 0, <|tr U|^2> = 1, <Re tr U^... >; check first two.
        int n = 40000;
        double s = 0, s2 = 0;
        double[] a = new double[18];
        for (int i = 0; i < n; i++) {
            SU3.haar(r, a, 0);
            double re = SU3.reTrace(a, 0), im = SU3.imTrace(a, 0);
            s += re;
            s2 += re * re + im * im;
        }
        assertEquals(0, s / n, 5 * Math.sqrt(0.5 / n), "seed=" + seed);
        assertEquals(1, s2 / n, 5 * Math.sqrt(1.0 / n));
    }

    @Test void expOfAlgebraIsInGroupAndInvertible() {
        double[] x = new double[18], mx = new double[18], e1 = new double[18], e2 = new double[18], p = new double[18];
        for (int i = 0; i < 50; i++) {
            SU3.gaussianAlgebra(r, x, 0);
            for (int k = 0; k < 18; k++) { x[k] *= 2; mx[k] = -x[k]; }
            SU3.exp(x, 0, e1, 0);
            SU3.exp(mx, 0, e2, 0);
            assertTrue(SU3.unitarityDeviation(e1, 0) < 1e-12);
            SU3.mul(e1, 0, e2, 0, p, 0);
            double[] id = new double[18];
            SU3.setIdentity(id, 0);
            for (int k = 0; k < 18; k++) assertEquals(id[k], p[k], 1e-12);
        }
    }

    @Test void generatorsAreNormalised() {
        for (int a = 0; a < 8; a++)
            for (int b = 0; b < 8; b++) {
                double[] ca = new double[8], cb = new double[8], ta = new double[18], tb = new double[18];
                ca[a] = 1; cb[b] = 1;
                SU3.fromCoefficients(ca, ta, 0);
                SU3.fromCoefficients(cb, tb, 0);
                assertEquals(a == b ? -0.5 : 0.0, SU3.reTraceMul(ta, 0, tb, 0), 1e-14);
                double[] pr = new double[18];
                SU3.projectTA(ta, 0, pr, 0);
                assertArrayEquals(ta, pr, 1e-15);
            }
    }

    @Test void reunitarizeRepairsPerturbedMatrix() {
        double[] a = new double[18];
        SU3.haar(r, a, 0);
        for (int k = 0; k < 18; k++) a[k] += 1e-6 * r.gaussian();
        assertTrue(SU3.unitarityDeviation(a, 0) > 1e-8);
        SU3.reunitarize(a, 0);
        assertTrue(SU3.unitarityDeviation(a, 0) < 1e-14);
    }
}
