/*
 * Contract: blocking (binning) of Monte Carlo series.
 *   bin(x, b)[k] = (1/b) sum_{i = k b}^{k b + b - 1} x[i],  k = 0..K-1, K = floor(n / b); a trailing partial bin
 *   (n mod b values) is dropped.
 *   naiveError(x) = sqrt( sum_i (x_i - xbar)^2 / (n (n - 1)) ), the standard error of the mean of independent data.
 *   binnedError(x, b) = naiveError(bin(x, b)): for b >> tau_int it approaches the true error of the mean
 *   (sqrt(2 tau_int) times the naive one); errorCurve gives it for several b.
 */
package org.mflowhpc.observable.stats;

/** Binning helpers (static). */
public final class Binning {
    private Binning() {}

    /** Bin means of size b; drops the trailing partial bin. */
    public static double[] bin(double[] x, int b) {
        if (b < 1) throw new IllegalArgumentException("bin size must be >= 1, got " + b);
        int k = x.length / b;
        double[] out = new double[k];
        for (int j = 0; j < k; j++) {
            double s = 0;
            for (int i = j * b; i < (j + 1) * b; i++) s += x[i];
            out[j] = s / b;
        }
        return out;
    }

    /** Bins every series of series[alpha][i] with the same bin size. */
    public static double[][] bin(double[][] series, int b) {
        double[][] out = new double[series.length][];
        for (int a = 0; a < series.length; a++) out[a] = bin(series[a], b);
        return out;
    }

    public static double mean(double[] x) {
        if (x.length == 0) throw new IllegalArgumentException("mean of an empty series");
        double s = 0;
        for (double v : x) s += v;
        return s / x.length;
    }

    /** Standard error of the mean assuming independence; NaN for fewer than 2 values. */
    public static double naiveError(double[] x) {
        int n = x.length;
        if (n < 2) return Double.NaN;
        double m = mean(x), q = 0;
        for (double v : x) q += (v - m) * (v - m);
        return Math.sqrt(q / ((double) n * (n - 1)));
    }

    /** Naive error of the bin means of size b. */
    public static double binnedError(double[] x, int b) { return naiveError(bin(x, b)); }

    /** binnedError for each bin size in sizes (NaN where fewer than 2 bins remain). */
    public static double[] errorCurve(double[] x, int[] sizes) {
        double[] out = new double[sizes.length];
        for (int k = 0; k < sizes.length; k++) out[k] = binnedError(x, sizes[k]);
        return out;
    }
}
