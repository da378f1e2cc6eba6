/*
 * Contract: numerically stable log-sum-exp.
 *   lse(a)        = log sum_i exp(a_i), computed as m + log sum_i exp(a_i - m), m = max_i a_i.
 *   lse(a, s)     = log sum_i exp(s * a_i)  (s = 2 gives LSE(2 log w) for the ESS).
 *   logMeanExp(a) = lse(a) - log n.
 * Conventions: an empty input or all entries -inf gives -inf; any +inf gives +inf; any NaN gives NaN.
 * Summation is sequential in index order, so results are reproducible bit for bit.
 */
package org.mflowhpc.observable.stats;

/** Stable log-sum-exp and related reductions over float64 arrays. */
public final class LogSumExp {
    private LogSumExp() {}

    /** log sum_i exp(a_i). */
    public static double lse(double[] a) { return lse(a, 0, a.length, 1.0); }

    /** log sum_i exp(s * a_i). */
    public static double lse(double[] a, double s) { return lse(a, 0, a.length, s); }

    /** log sum_{i in [from, to)} exp(s * a_i). */
    public static double lse(double[] a, int from, int to, double s) {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            double v = s * a[i];
            if (Double.isNaN(v)) return Double.NaN;
            if (v > m) m = v;
        }
        if (m == Double.NEGATIVE_INFINITY || m == Double.POSITIVE_INFINITY) return m;
        double sum = 0;
        for (int i = from; i < to; i++) sum += Math.exp(s * a[i] - m);
        return m + Math.log(sum);
    }

    /** log(exp(a) + exp(b)). */
    public static double lse2(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) return Double.NaN;
        double m = Math.max(a, b);
        if (m == Double.NEGATIVE_INFINITY || m == Double.POSITIVE_INFINITY) return m;
        return m + Math.log1p(Math.exp(Math.min(a, b) - m));
    }

    /** log((1/n) sum_i exp(a_i)) = lse(a) - log n. */
    public static double logMeanExp(double[] a) {
        if (a.length == 0) throw new IllegalArgumentException("logMeanExp of an empty array");
        return lse(a) - Math.log(a.length);
    }
}
