/*
 * Contract: n-point Gauss-Legendre rule on [-1, 1] (nodes x_i, weights w_i, exact for polynomials of degree
 * <= 2n-1), and a composite rule on [a, b] with P equal panels: integral ~ sum_panels sum_i (h/2) w_i f(mid + h/2 x_i).
 * Nodes are the roots of P_n found by Newton's method from the Chebyshev-like guess cos(pi (i - 1/4)/(n + 1/2)),
 * iterated to |dx| < 1e-15; weights 2 / ((1 - x^2) P_n'(x)^2). Used for the smooth (entire) integrands of the
 * 2D U(1) exact solution, where the composite rule converges exponentially.
 */
package org.mflowhpc.observable.exact;

import java.util.function.DoubleUnaryOperator;

/** Gauss-Legendre quadrature (immutable, thread-safe once built). */
public final class GaussLegendre {
    public final double[] nodes, weights;

    public GaussLegendre(int n) {
        if (n < 1) throw new IllegalArgumentException("Gauss-Legendre order must be >= 1, got " + n);
        nodes = new double[n];
        weights = new double[n];
        for (int i = 0; i < (n + 1) / 2; i++) {
            double x = Math.cos(Math.PI * (i + 0.75) / (n + 0.5));
            double dp = 0;
            for (int it = 0; it < 100; it++) {
                double p0 = 1, p1 = x;
                for (int k = 2; k <= n; k++) { double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k; p0 = p1; p1 = p2; }
                dp = n * (x * p1 - p0) / (x * x - 1);
                double dx = p1 / dp;
                x -= dx;
                if (Math.abs(dx) < 1e-15) break;
            }
            double p0 = 1, p1 = x;
            for (int k = 2; k <= n; k++) { double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k; p0 = p1; p1 = p2; }
            dp = n * (x * p1 - p0) / (x * x - 1);
            double w = 2 / ((1 - x * x) * dp * dp);
            nodes[i] = -x; weights[i] = w;
            nodes[n - 1 - i] = x; weights[n - 1 - i] = w;
        }
        if (n % 2 == 1) nodes[n / 2] = 0;
    }

    /** Composite rule: integral of f over [a, b] with {@code panels} equal panels of this rule. */
    public double integrate(DoubleUnaryOperator f, double a, double b, int panels) {
        double h = (b - a) / panels, s = 0;
        for (int p = 0; p < panels; p++) {
            double mid = a + (p + 0.5) * h, ps = 0;
            for (int i = 0; i < nodes.length; i++) ps += weights[i] * f.applyAsDouble(mid + 0.5 * h * nodes[i]);
            s += 0.5 * h * ps;
        }
        return s;
    }

    /** Nodes of the composite rule on [a, b] (panel-major order), for callers that reuse function values. */
    public double[] compositeNodes(double a, double b, int panels) {
        double h = (b - a) / panels;
        double[] x = new double[panels * nodes.length];
        for (int p = 0, k = 0; p < panels; p++) for (int i = 0; i < nodes.length; i++) x[k++] = a + (p + 0.5) * h + 0.5 * h * nodes[i];
        return x;
    }

    /** Weights matching {@link #compositeNodes}. */
    public double[] compositeWeights(double a, double b, int panels) {
        double h = (b - a) / panels;
        double[] w = new double[panels * nodes.length];
        for (int p = 0, k = 0; p < panels; p++) for (int i = 0; i < nodes.length; i++) w[k++] = 0.5 * h * weights[i];
        return w;
    }
}
