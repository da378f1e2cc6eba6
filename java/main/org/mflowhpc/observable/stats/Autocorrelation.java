/*
 * Contract: Wolff's Gamma method (U. Wolff, "Monte Carlo errors with less errors", Comput. Phys. Commun. 156 (2004)
 * 143, hep-lat/0306017) for primary observables and for derived quantities F = f(A_1, ..., A_m) of the means A_alpha
 * of several observables measured on the same configurations, optionally over R independent replica (chains).
 *
 * Input: data[r][alpha][i], replica r (length N_r, all observables of one replica have the same length), observable
 * alpha, configuration i in Monte Carlo time order. N = sum_r N_r. Means A_alpha = (1/N) sum_{r,i} a^alpha_{r,i}.
 * Derived quantities: gradient f_alpha = dF/dA_alpha by central differences with step h_alpha = sqrt(Gamma_aa(0)/N)
 * (the statistical error of A_alpha; f_alpha = 0 when A_alpha does not fluctuate); projected fluctuations
 * delta_{r,i} = sum_alpha f_alpha (a^alpha_{r,i} - A_alpha). For a primary observable F = A and f_alpha = 1.
 *
 *   Gamma(t)   = 1/(N - R t) sum_r sum_{i=1}^{N_r - t} delta_{r,i} delta_{r,i+t}
 *   tau_int(W) = 1/2 + sum_{t=1}^{W} Gamma(t)/Gamma(0)
 *   window: the first W = 1, 2, ..., Wmax = floor(min_r N_r / 2) with
 *              g(W) = exp(-W/tau_W) - tau_W / sqrt(W N) < 0,  tau_W = S_tau / ln((2 tau_int(W) + 1)/(2 tau_int(W) - 1))
 *           (tau_W -> 0, i.e. stop, when tau_int(W) <= 1/2); S_tau = 1.5 by default.
 *   bias:   C(W) = Gamma(0) + 2 sum_{t=1}^W Gamma(t); Gamma(t) += C(W)/N; C(W) recomputed.
 *   error   sigma_F = sqrt(C(W)/N);  error of the error sigma_F sqrt((W + 1/2)/N);
 *   tau_int = C(W) / (2 Gamma(0)) (= 1/2 for uncorrelated data);  its error 2 tau_int sqrt((W + 1/2 - tau_int)/N).
 *   value   F(A) (no replica bias correction of the value).
 *
 * Degenerate input (never an exception for finite data): a constant series (Gamma(0) = 0) gives error 0,
 * tau_int = 1/2, W = 0, flag CONSTANT; N = 1 gives error 0, flag SHORT; Wmax < 1 (some replica shorter than 2)
 * gives the naive error sqrt(Gamma(0)/N), tau_int = 1/2, W = 0, flag SHORT; no window satisfying the criterion up
 * to Wmax gives W = Wmax and flag WINDOW_AT_MAX (the run is too short for its autocorrelation time).
 * Cost: O(N W) for the Gamma(t) actually needed (computed lazily, t <= W_opt). Non-finite data: IllegalArgumentException.
 * rhoFunction(data, result, T): rho(t) for t = 0..T past the window (plots), from the same sums and bias correction.
 */
package org.mflowhpc.observable.stats;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/** Wolff's Gamma-method error analysis (static, thread-safe). */
public final class Autocorrelation {
    private Autocorrelation() {}

    public static final double DEFAULT_S_TAU = 1.5;

    public enum Flag {
        /** The (projected) series does not fluctuate: error 0, tau_int = 1/2. */
        CONSTANT,
        /** Too few configurations for a windowed estimate: naive error (0 for N = 1), tau_int = 1/2. */
        SHORT,
        /** The automatic window reached Wmax = N_r/2 without meeting the criterion: estimates are unreliable. */
        WINDOW_AT_MAX
    }

    /**
     * Result of one analysis. rho[t] = Gamma(t)/Gamma(0) (bias-corrected) for t = 0..window; gradient is dF/dA_alpha
     * (all ones for a primary observable).
     */
    public record Result(double value, double error, double errorOfError, double tauInt, double tauIntError,
                         int window, int n, int replicas, double naiveError, Set<Flag> flags, double[] rho,
                         double[] gradient) {
        /** True when no flag was raised. */
        public boolean reliable() { return flags.isEmpty(); }

        @Override public String toString() {
            return String.format("%.10g +- %.3g (tau_int %.3g +- %.2g, W %d, N %d%s)", value, error, tauInt, tauIntError,
                    window, n, flags.isEmpty() ? "" : ", " + flags);
        }
    }

    /** Primary observable, one chain, S_tau = 1.5. */
    public static Result analyze(double[] series) { return analyze(series, DEFAULT_S_TAU); }

    /** Primary observable, one chain. */
    public static Result analyze(double[] series, double sTau) {
        return derivedReplicas(new double[][][] {{series}}, a -> a[0], sTau);
    }

    /** Primary observable over independent replica: replicas[r][i]. */
    public static Result analyzeReplicas(double[][] replicas, double sTau) {
        double[][][] d = new double[replicas.length][][];
        for (int r = 0; r < replicas.length; r++) d[r] = new double[][] {replicas[r]};
        return derivedReplicas(d, a -> a[0], sTau);
    }

    /** Derived quantity f(means) of observables series[alpha][i] measured on one chain, S_tau = 1.5. */
    public static Result derived(double[][] series, ToDoubleFunction<double[]> f) {
        return derivedReplicas(new double[][][] {series}, f, DEFAULT_S_TAU);
    }

    /** Derived quantity f(means) of observables series[alpha][i] measured on one chain. */
    public static Result derived(double[][] series, ToDoubleFunction<double[]> f, double sTau) {
        return derivedReplicas(new double[][][] {series}, f, sTau);
    }

    /** Derived quantity over replica: data[r][alpha][i]. */
    public static Result derivedReplicas(double[][][] data, ToDoubleFunction<double[]> f, double sTau) {
        if (!(sTau > 0)) throw new IllegalArgumentException("S_tau must be > 0, got " + sTau);
        int R = data.length;
        if (R == 0) throw new IllegalArgumentException("no replica");
        int m = data[0].length;
        if (m == 0) throw new IllegalArgumentException("no observables");
        long nl = 0;
        int minNr = Integer.MAX_VALUE;
        for (int r = 0; r < R; r++) {
            if (data[r].length != m) throw new IllegalArgumentException("replica " + r + " has " + data[r].length + " observables, expected " + m);
            int nr = data[r][0].length;
            for (int a = 0; a < m; a++) {
                if (data[r][a].length != nr) throw new IllegalArgumentException("replica " + r + ": observables have different lengths");
                for (double v : data[r][a]) if (!Double.isFinite(v)) throw new IllegalArgumentException("non-finite value in replica " + r + ", observable " + a);
            }
            nl += nr;
            minNr = Math.min(minNr, nr);
        }
        if (nl == 0 || minNr == 0) throw new IllegalArgumentException("empty series");
        int N = (int) Math.min(nl, Integer.MAX_VALUE);

        // means and per-observable variances
        double[] mean = new double[m], g0 = new double[m];
        moments(data, N, mean, g0);
        double value = f.applyAsDouble(mean.clone());

        // gradient by central differences at the statistical scale
        double[] grad = new double[m];
        for (int a = 0; a < m; a++) {
            double h = Math.sqrt(g0[a] / N);
            if (h == 0) { grad[a] = 0; continue; }
            double[] p = mean.clone(), q = mean.clone();
            p[a] += h;
            q[a] -= h;
            grad[a] = (f.applyAsDouble(p) - f.applyAsDouble(q)) / (2 * h);
            if (!Double.isFinite(grad[a])) throw new IllegalArgumentException("derived quantity has a non-finite gradient in observable " + a);
        }

        // projected fluctuations
        double[][] delta = project(data, mean, grad);
        return gamma(value, delta, N, minNr, sTau, grad);
    }

    /** Means A_alpha and variances Gamma_aa(0) over all replica (an exactly constant observable: its value, variance 0). */
    private static void moments(double[][][] data, int N, double[] mean, double[] g0) {
        for (int a = 0; a < mean.length; a++) {
            double s = 0, lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (double[][] rep : data) for (double v : rep[a]) { s += v; lo = Math.min(lo, v); hi = Math.max(hi, v); }
            if (lo == hi) { mean[a] = lo; g0[a] = 0; continue; } // exactly constant: no rounding noise
            mean[a] = s / N;
            double q = 0;
            for (double[][] rep : data) for (double v : rep[a]) q += (v - mean[a]) * (v - mean[a]);
            g0[a] = q / N;
        }
    }

    /** Projected fluctuations delta_{r,i} = sum_alpha grad_alpha (a^alpha_{r,i} - A_alpha). */
    private static double[][] project(double[][][] data, double[] mean, double[] grad) {
        double[][] delta = new double[data.length][];
        for (int r = 0; r < data.length; r++) {
            int nr = data[r][0].length;
            double[] d = new double[nr];
            for (int a = 0; a < mean.length; a++) {
                if (grad[a] == 0) continue;
                double[] x = data[r][a];
                for (int i = 0; i < nr; i++) d[i] += grad[a] * (x[i] - mean[a]);
            }
            delta[r] = d;
        }
        return delta;
    }

    /** {@link #rhoFunction(double[][][], Result, int)} of a primary observable on one chain (r from analyze(series, ...)). */
    public static double[] rhoFunction(double[] series, Result r, int tMax) {
        return rhoFunction(new double[][][] {{series}}, r, tMax);
    }

    /** {@link #rhoFunction(double[][][], Result, int)} of a derived quantity on one chain (r from derived(series, ...)). */
    public static double[] rhoFunction(double[][] series, Result r, int tMax) {
        return rhoFunction(new double[][][] {series}, r, tMax);
    }

    /**
     * The normalised autocorrelation function rho(t) = Gamma(t)/Gamma(0), t = 0..T, T = min(tMax, Wmax), of the
     * same projected fluctuations as the analysis {@code r} of {@code data} (r's gradient, r's window W), for plots
     * that look past the window: the same Gamma(t) sums and the same bias correction Gamma(t) += C(W)/N, so
     * rho[t] == r.rho()[t] (bit for bit) for t <= W. A flagged CONSTANT or SHORT analysis gives {1}.
     */
    public static double[] rhoFunction(double[][][] data, Result r, int tMax) {
        if (r.window() == 0 || r.flags().contains(Flag.CONSTANT) || r.flags().contains(Flag.SHORT)) return new double[] {1};
        int m = data[0].length, minNr = Integer.MAX_VALUE;
        long nl = 0;
        for (double[][] rep : data) {
            if (rep.length != m || rep[0].length == 0) throw new IllegalArgumentException("data does not match the analysis");
            nl += rep[0].length;
            minNr = Math.min(minNr, rep[0].length);
        }
        int N = (int) Math.min(nl, Integer.MAX_VALUE);
        if (N != r.n() || r.gradient().length != m) throw new IllegalArgumentException("data does not match the analysis (N " + N + " vs " + r.n() + ")");
        double[] mean = new double[m], g0 = new double[m];
        moments(data, N, mean, g0);
        double[][] delta = project(data, mean, r.gradient());
        int w = r.window(), T = Math.max(w, Math.min(tMax, minNr / 2));
        double[] gam = new double[T + 1];
        for (int t = 0; t <= T; t++) gam[t] = gammaAt(delta, t, N);
        double c = gam[0];
        for (int t = 1; t <= w; t++) c += 2 * gam[t];
        double shift = c / N;
        for (int t = 0; t <= T; t++) gam[t] += shift;
        double[] rho = new double[T + 1];
        for (int t = 0; t <= T; t++) rho[t] = gam[t] / gam[0];
        return rho;
    }

    private static double gammaAt(double[][] delta, int t, int N) {
        double s = 0;
        for (double[] d : delta) for (int i = 0, e = d.length - t; i < e; i++) s += d[i] * d[i + t];
        return s / (N - (double) delta.length * t);
    }

    private static Result gamma(double value, double[][] delta, int N, int minNr, double sTau, double[] grad) {
        int R = delta.length;
        double gam0 = gammaAt(delta, 0, N);
        if (gam0 <= 0 || N == 1) {
            Set<Flag> fl = gam0 <= 0 ? EnumSet.of(Flag.CONSTANT) : EnumSet.of(Flag.SHORT);
            if (N == 1) fl.add(Flag.SHORT);
            return new Result(value, 0, 0, 0.5, 0, 0, N, R, 0, Collections.unmodifiableSet(fl), new double[] {1}, grad);
        }
        double naive = Math.sqrt(gam0 / N);
        int wmax = minNr / 2;
        if (wmax < 1) {
            return new Result(value, naive, naive * Math.sqrt(0.5 / N), 0.5, 0, 0, N, R, naive,
                    Collections.unmodifiableSet(EnumSet.of(Flag.SHORT)), new double[] {1}, grad);
        }
        double[] gam = new double[wmax + 1];
        gam[0] = gam0;
        double sum = 0;
        int w = -1;
        for (int t = 1; t <= wmax; t++) {
            gam[t] = gammaAt(delta, t, N);
            sum += gam[t];
            double tauInt = 0.5 + sum / gam0;
            double tauW = tauInt <= 0.5 ? Double.MIN_VALUE : sTau / Math.log((2 * tauInt + 1) / (2 * tauInt - 1));
            double g = Math.exp(-t / tauW) - tauW / Math.sqrt((double) t * N);
            if (g < 0) { w = t; break; }
        }
        EnumSet<Flag> flags = EnumSet.noneOf(Flag.class);
        if (w < 0) { w = wmax; flags.add(Flag.WINDOW_AT_MAX); }
        double c = gam[0];
        for (int t = 1; t <= w; t++) c += 2 * gam[t];
        double shift = c / N;
        for (int t = 0; t <= w; t++) gam[t] += shift;
        c = gam[0];
        for (int t = 1; t <= w; t++) c += 2 * gam[t];
        if (c <= 0) { // pathological anticorrelation: fall back to the naive error
            c = gam[0];
        }
        double err = Math.sqrt(c / N);
        double tau = c / (2 * gam[0]);
        double dtau = 2 * tau * Math.sqrt(Math.max(0, w + 0.5 - tau) / N);
        double[] rho = new double[w + 1];
        for (int t = 0; t <= w; t++) rho[t] = gam[t] / gam[0];
        return new Result(value, err, err * Math.sqrt((w + 0.5) / N), tau, dtau, w, N, R, naive,
                Collections.unmodifiableSet(flags), rho, grad);
    }
}
