package org.mflowhpc.backend.cpu;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.mflowhpc.rng.RngStream;

/**
 * Contract tests for every {@link CircleFlow}: backward vs central finite differences (input and every raw
 * parameter), inverse(forward(x)) = x to 1e-10, log f' vs a numerical derivative, log J(forward) = -log J(inverse),
 * monotone and periodic (f(x + 2pi) = f(x) + 2pi), identity at zero parameters, strided parameter slices.
 */
class CircleFlowTest {
    static final List<CircleFlow> FLOWS = List.of(new NcpMixture(1), new NcpMixture(6), new CircularSpline(2),
            new CircularSpline(8));
    static final int STRIDE = 3;

    static double[] rawParams(CircleFlow f, RngStream r, double scale) {
        double[] raw = new double[f.paramsPerElement() * STRIDE + 1];
        for (int i = 0; i < raw.length; i++) raw[i] = scale * r.gaussian();
        return raw;
    }

    static double fwd(CircleFlow f, double x, double[] raw, int idx) {
        double[] o = new double[2]; f.forward(x, raw, 1, STRIDE, o); return o[idx];
    }

    @Test void backwardMatchesFiniteDifferences() {
        RngStream r = new RngStream(1, RngStream.Domain.TEST, 0, 0);
        for (CircleFlow f : FLOWS)
            for (int trial = 0; trial < 20; trial++) {
                double[] raw = rawParams(f, r, 1.0);
                double x = 4 * Math.PI * (2 * r.uniform() - 1), gY = r.gaussian(), gL = r.gaussian();
                double[] gRaw = new double[raw.length];
                double dx = f.backward(x, raw, 1, STRIDE, gY, gL, gRaw, 1, STRIDE);
                double h = 1e-6;
                double num = (gY * (fwd(f, x + h, raw, 0) - fwd(f, x - h, raw, 0))
                        + gL * (fwd(f, x + h, raw, 1) - fwd(f, x - h, raw, 1))) / (2 * h);
                assertEquals(num, dx, 1e-6 * (1 + Math.abs(num)), f.kind() + " dL/dx at x=" + x);
                for (int p = 0; p < f.paramsPerElement(); p++) {
                    int idx = 1 + p * STRIDE;
                    double s = raw[idx];
                    raw[idx] = s + h; double yp = fwd(f, x, raw, 0), lp = fwd(f, x, raw, 1);
                    raw[idx] = s - h; double ym = fwd(f, x, raw, 0), lm = fwd(f, x, raw, 1);
                    raw[idx] = s;
                    double g = (gY * (yp - ym) + gL * (lp - lm)) / (2 * h);
                    assertEquals(g, gRaw[idx], 1e-6 * (1 + Math.abs(g)), f.kind() + " dL/draw[" + p + "]");
                }
            }
    }

    @Test void inverseOfForwardIsIdentityAndLogJacobiansAgree() {
        RngStream r = new RngStream(2, RngStream.Domain.TEST, 0, 0);
        double[] o = new double[2], oi = new double[2];
        for (CircleFlow f : FLOWS)
            for (int trial = 0; trial < 2000; trial++) {
                double[] raw = rawParams(f, r, trial < 1000 ? 1.0 : 2.5);
                double x = 6 * Math.PI * (2 * r.uniform() - 1);
                f.forward(x, raw, 1, STRIDE, o);
                f.inverse(o[0], raw, 1, STRIDE, oi);
                // x is determined by y only to ulp(y)/f'(x): the 1e-10 bound applies where f' > 1e-3
                double tolX = Math.max(1e-10, 1e-14 * Math.exp(-o[1]));
                assertEquals(x, oi[0], tolX, f.kind() + " inverse(forward(x)), log f' = " + o[1]);
                assertEquals(o[1], oi[1], 1e-8, f.kind() + " log J forward vs inverse");
                // forward(inverse(y)) = y too
                double y = 6 * Math.PI * (2 * r.uniform() - 1);
                f.inverse(y, raw, 1, STRIDE, oi);
                f.forward(oi[0], raw, 1, STRIDE, o);
                assertEquals(y, o[0], 1e-10, f.kind() + " forward(inverse(y))");
                // numerical derivative of the inverse: log|dx/dy| = -log f'(x)
                double h = 1e-6;
                double[] a = new double[2], b = new double[2];
                f.inverse(y + h, raw, 1, STRIDE, a);
                f.inverse(y - h, raw, 1, STRIDE, b);
                double numInv = Math.log((a[0] - b[0]) / (2 * h));
                if (Math.abs(oi[1]) < 6) assertEquals(-oi[1], numInv, 1e-5 * (1 + Math.abs(numInv)), f.kind() + " log J inverse");
            }
    }

    @Test void logJacobianMatchesNumericalDerivativeAndIsMonotonePeriodic() {
        RngStream r = new RngStream(3, RngStream.Domain.TEST, 0, 0);
        for (CircleFlow f : FLOWS)
            for (int trial = 0; trial < 50; trial++) {
                double[] raw = rawParams(f, r, 1.0);
                double prev = Double.NEGATIVE_INFINITY;
                for (int i = 0; i <= 400; i++) {
                    double x = -Math.PI + 2 * Math.PI * i / 400.0 + 1e-3;
                    double y = fwd(f, x, raw, 0);
                    assertTrue(y > prev, f.kind() + " monotone");
                    prev = y;
                    assertEquals(y + 2 * Math.PI, fwd(f, x + 2 * Math.PI, raw, 0), 1e-12, "periodic +");
                    assertEquals(y - 4 * Math.PI, fwd(f, x - 4 * Math.PI, raw, 0), 1e-12, "periodic -");
                    double h = 1e-6;
                    double num = (fwd(f, x + h, raw, 0) - fwd(f, x - h, raw, 0)) / (2 * h);
                    double lj = fwd(f, x, raw, 1);
                    assertEquals(num, Math.exp(lj), 1e-6 * (1 + num), f.kind() + " f' at " + x);
                    if (num > 1e-2) assertEquals(Math.log(num), lj, 1e-5, f.kind() + " log f' at " + x);
                }
                // continuity across the 2 pi seams (x = pi for NCP, x = 0 for splines)
                for (double seam : new double[] {-Math.PI, 0.0, Math.PI})
                    assertEquals(fwd(f, seam - 1e-12, raw, 0), fwd(f, seam + 1e-12, raw, 0), 1e-9, f.kind() + " seam " + seam);
            }
    }

    @Test void zeroParametersGiveIdentity() {
        double[] o = new double[2];
        for (CircleFlow f : FLOWS) {
            double[] raw = new double[f.paramsPerElement()];
            for (double x = -7; x < 7; x += 0.37) {
                f.forward(x, raw, 0, 1, o);
                assertEquals(x, o[0], 1e-12, f.kind());
                assertEquals(0, o[1], 1e-12, f.kind());
            }
        }
    }
}
