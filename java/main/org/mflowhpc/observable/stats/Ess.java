/*
 * Contract: reweighting diagnostics from log-weights log w_i = -S(U_i) - log q(U_i), i = 1..N, U_i ~ q (docs/physics.md §2),
 * all in float64 log space (LSE = LogSumExp.lse):
 *   essFraction = (sum w)^2 / (N sum w^2) = exp(2 LSE(log w) - LSE(2 log w) - log N)   in (0, 1]  ("ESS per sample"),
 *                 evaluated as s1^2/(N s2), s_k = sum_i exp(k (log w_i - max log w)) (same formula, no precision loss)
 *   logZ        = LSE(log w) - log N                          (unbiased for Z, not for log Z)
 *   logZError   = sqrt((1/essFraction - 1)/N)                 (delta method: std of mean(w) / mean(w))
 *   meanLogW    = (1/N) sum log w = -E_q[log q + S]
 *   kl          = logZ - meanLogW  estimates KL(q||p) = E_q[log q + S] + log Z  (>= 0; with the estimated log Z it is
 *                 biased low for small N); klExact(logw, logZ) uses a known log Z instead
 *   varLogW     = (1/(N-1)) sum (log w - meanLogW)^2
 *   bootstrap   B resamples of N indices drawn with replacement, resample b using
 *               RngStream(seed, Domain.BOOTSTRAP, step = b, site = 0), index = floor(N u), u in (0, 1); reports the mean,
 *               standard deviation and 2.5/97.5 percentiles of the resampled essFraction. Reproducible for a seed,
 *               independent of threads.
 * Input: log w may contain -inf (zero weight), not NaN or +inf (IllegalArgumentException). N >= 1 (N >= 2 for varLogW).
 */
package org.mflowhpc.observable.stats;

import java.util.Arrays;

import org.mflowhpc.rng.RngStream;

/** Effective sample size, log Z and KL estimates from flow log-weights (static). */
public final class Ess {
    private Ess() {}

    private static void check(double[] logw) {
        if (logw.length == 0) throw new IllegalArgumentException("no log-weights");
        for (int i = 0; i < logw.length; i++)
            if (Double.isNaN(logw[i]) || logw[i] == Double.POSITIVE_INFINITY)
                throw new IllegalArgumentException("log-weight " + i + " is " + logw[i]);
    }

    /** ESS per sample, (sum w)^2 / (N sum w^2); NaN if every weight is zero. */
    public static double essFraction(double[] logw) {
        check(logw);
        // = exp(2 LSE(log w) - LSE(2 log w) - log N), evaluated as s1^2 / (N s2) with s_k = sum exp(k (log w - max))
        // so that large |log w| costs no precision
        double m = Double.NEGATIVE_INFINITY;
        for (double v : logw) m = Math.max(m, v);
        if (m == Double.NEGATIVE_INFINITY) return Double.NaN;
        double s1 = 0, s2 = 0;
        for (double v : logw) { double t = Math.exp(v - m); s1 += t; s2 += t * t; }
        return s1 * s1 / (logw.length * s2);
    }

    /**
     * ESS per sample from the two log-sum-exps a backend reduces to, exp(2 LSE(log w) - LSE(2 log w) - log N); NaN
     * when LSE(log w) is not finite (no usable weight, or a NaN weight). The training loop uses it so that only
     * scalars leave the device.
     */
    public static double fromLogSums(double lseLogW, double lseTwoLogW, int n) {
        if (!Double.isFinite(lseLogW) || Double.isNaN(lseTwoLogW)) return Double.NaN;
        return Math.exp(2 * lseLogW - lseTwoLogW - Math.log(n));
    }

    /** log Z estimate LSE(log w) - log N. */
    public static double logZ(double[] logw) {
        check(logw);
        return LogSumExp.lse(logw) - Math.log(logw.length);
    }

    /** Delta-method standard error of logZ: sqrt((1/essFraction - 1)/N). */
    public static double logZError(double[] logw) {
        double e = essFraction(logw);
        return Math.sqrt(Math.max(0, 1 / e - 1) / logw.length);
    }

    public static double meanLogW(double[] logw) {
        check(logw);
        double s = 0;
        for (double v : logw) s += v;
        return s / logw.length;
    }

    /** Sample variance of log w (N - 1 denominator). */
    public static double varLogW(double[] logw) {
        check(logw);
        if (logw.length < 2) throw new IllegalArgumentException("varLogW needs >= 2 samples");
        double m = meanLogW(logw), q = 0;
        for (double v : logw) q += (v - m) * (v - m);
        return q / (logw.length - 1);
    }

    /** KL(q||p) estimate with the estimated log Z: logZ - mean(log w). */
    public static double kl(double[] logw) { return logZ(logw) - meanLogW(logw); }

    /** KL(q||p) with a known log Z: logZ - mean(log w). */
    public static double klExact(double[] logw, double logZ) { return logZ - meanLogW(logw); }

    public record Bootstrap(double ess, double mean, double error, double lo95, double hi95, int resamples) {
        @Override public String toString() {
            return String.format("ESS/N %.4f +- %.4f (bootstrap %d, 95%% [%.4f, %.4f])", ess, error, resamples, lo95, hi95);
        }
    }

    /** Bootstrap error of essFraction with B resamples (B >= 2), streams keyed by seed and Domain.BOOTSTRAP. */
    public static Bootstrap bootstrapEss(double[] logw, int B, long seed) {
        check(logw);
        if (B < 2) throw new IllegalArgumentException("bootstrap needs >= 2 resamples, got " + B);
        int n = logw.length;
        double[] e = new double[B];
        int[] idx = new int[n];
        for (int b = 0; b < B; b++) {
            RngStream r = new RngStream(seed, RngStream.Domain.BOOTSTRAP, b, 0);
            double m = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                int k = (int) (r.uniform() * n);
                idx[i] = k < n ? k : n - 1;
                m = Math.max(m, logw[idx[i]]);
            }
            if (m == Double.NEGATIVE_INFINITY) { e[b] = Double.NaN; continue; }
            double s1 = 0, s2 = 0;
            for (int i = 0; i < n; i++) {
                double t = Math.exp(logw[idx[i]] - m);
                s1 += t;
                s2 += t * t;
            }
            e[b] = s1 * s1 / (n * s2);
        }
        double mean = 0;
        for (double v : e) mean += v;
        mean /= B;
        double q = 0;
        for (double v : e) q += (v - mean) * (v - mean);
        double[] sorted = e.clone();
        Arrays.sort(sorted);
        return new Bootstrap(essFraction(logw), mean, Math.sqrt(q / (B - 1)), quantile(sorted, 0.025), quantile(sorted, 0.975), B);
    }

    private static double quantile(double[] sorted, double p) {
        double pos = p * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        if (i >= sorted.length - 1) return sorted[sorted.length - 1];
        double f = pos - i;
        return sorted[i] * (1 - f) + sorted[i + 1] * f;
    }

    /** All diagnostics at once. */
    public record Summary(int n, double essFraction, double essError, double logZ, double logZError, double kl,
                          double meanLogW, double varLogW) {
        @Override public String toString() {
            return String.format("N %d  ESS/N %.4f +- %.4f  logZ %.6f +- %.2g  KL %.4g  var(log w) %.4g", n, essFraction,
                    essError, logZ, logZError, kl, varLogW);
        }
    }

    /** Summary with a bootstrap (B resamples, seed) error on the ESS; N >= 2. */
    public static Summary summary(double[] logw, int B, long seed) {
        Bootstrap bs = bootstrapEss(logw, B, seed);
        return new Summary(logw.length, bs.ess(), bs.error(), logZ(logw), logZError(logw), kl(logw), meanLogW(logw),
                varLogW(logw));
    }
}
