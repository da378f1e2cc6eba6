/*
 * Contract: blocked (binned) jackknife for a derived quantity F = f(A_1..A_m) of means of observables
 * series[alpha][i] measured on the same configurations.
 *   Bins of size b: K = floor(n / b) bins (trailing partial bin dropped, so only the first K b configurations are used);
 *   bin means B^alpha_k; full means A = (1/K) sum_k B_k; leave-one-bin-out means A_(k) = (K A - B_k)/(K - 1);
 *   f_k = f(A_(k)), fbar = (1/K) sum_k f_k.
 *   value          = f(A)
 *   biasCorrected  = K f(A) - (K - 1) fbar
 *   error          = sqrt( (K - 1)/K sum_k (f_k - fbar)^2 )
 * For f = identity the error equals Binning.binnedError. Requires K >= 2. samples = the f_k (for covariances
 * between derived quantities computed from the same bins).
 */
package org.mflowhpc.observable.stats;

import java.util.function.ToDoubleFunction;

/** Blocked jackknife (static). */
public final class Jackknife {
    private Jackknife() {}

    public record Result(double value, double biasCorrected, double error, int bins, int binSize, double[] samples) {
        @Override public String toString() {
            return String.format("%.10g +- %.3g (jackknife, %d bins of %d)", value, error, bins, binSize);
        }
    }

    /** Jackknife of the mean of one series. */
    public static Result mean(double[] series, int binSize) {
        return derived(new double[][] {series}, a -> a[0], binSize);
    }

    /** Jackknife of f(means of series[alpha]) with bins of binSize configurations. */
    public static Result derived(double[][] series, ToDoubleFunction<double[]> f, int binSize) {
        int m = series.length;
        if (m == 0) throw new IllegalArgumentException("no observables");
        int n = series[0].length;
        for (double[] s : series) if (s.length != n) throw new IllegalArgumentException("observables have different lengths");
        if (binSize < 1) throw new IllegalArgumentException("bin size must be >= 1, got " + binSize);
        int K = n / binSize;
        if (K < 2) throw new IllegalArgumentException("jackknife needs >= 2 bins: n = " + n + ", bin size " + binSize);
        double[][] b = Binning.bin(series, binSize);
        double[] full = new double[m];
        for (int a = 0; a < m; a++) full[a] = Binning.mean(b[a]);
        double value = f.applyAsDouble(full.clone());
        double[] fk = new double[K];
        double[] loo = new double[m];
        double fbar = 0;
        for (int k = 0; k < K; k++) {
            for (int a = 0; a < m; a++) loo[a] = (K * full[a] - b[a][k]) / (K - 1);
            fk[k] = f.applyAsDouble(loo.clone());
            fbar += fk[k];
        }
        fbar /= K;
        double q = 0;
        for (double v : fk) q += (v - fbar) * (v - fbar);
        double err = Math.sqrt((K - 1.0) / K * q);
        return new Result(value, K * value - (K - 1) * fbar, err, K, binSize, fk);
    }
}
