package org.mflowhpc.math;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** CircleBase: inverse of forward, the derivative against finite differences, and the edge of the steep logistic. */
class CircleBaseTest {
    @Test void inverseUndoesForwardAndLogDerivativeMatchesFiniteDifferences() {
        double[] o = new double[5], op = new double[5], om = new double[5];
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        for (boolean logistic : new boolean[] {true, false})
            for (int i = 0; i < 200; i++) {
                double u = -7 + 14 * r.nextDouble(), s = -2 + 4 * r.nextDouble(), h = 1e-6;
                CircleBase.forward(logistic, u, s, o);
                assertEquals(u, CircleBase.inverse(logistic, o[0], s), 1e-9, "inverse at u=" + u + " s=" + s);
                CircleBase.forward(logistic, u + h, s, op);
                CircleBase.forward(logistic, u - h, s, om);
                assertEquals(Math.log((op[0] - om[0]) / (2 * h)), o[1], 1e-6, "log B' at u=" + u + " s=" + s);
            }
    }

    @Test void steepLogisticStaysFiniteAtTheCut() {
        double[] o = new double[5];
        for (double s : new double[] {-3, -5, -10}) // c = (pi/2) e^{-s} > 19: tanh(c) rounds to 1
            for (double u : new double[] {-Math.PI, Math.nextDown(-Math.PI), 3.1415926535897927, Math.nextDown(Math.PI), Math.PI}) {
                CircleBase.forward(true, u, s, o);
                for (double x : o) assertTrue(Double.isFinite(x), "u=" + u + " s=" + s + ": " + java.util.Arrays.toString(o));
                assertTrue(Double.isFinite(CircleBase.inverse(true, o[0], s)));
            }
    }
}
