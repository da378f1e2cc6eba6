/*
 * Contract under test: LogSumExp, Autocorrelation (Gamma method), Binning, Jackknife on series with known
 * statistics: iid Gaussian (tau_int = 1/2), AR(1) x_{i+1} = rho x_i + e_i with unit innovations
 * (tau_int = (1 + rho)/(2 (1 - rho)), variance 1/(1 - rho^2), true error of the mean sqrt(2 tau_int var / N)),
 * constant and short series, derived quantities (linear: exact projection; ratio: against the blocked jackknife),
 * replica, and the exact jackknife identity for f = mean^2.
 */
package org.mflowhpc.observable.stats;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.mflowhpc.rng.RngStream;

class StatsTest {
    static double[] ar1(double rho, int n, long seed, int stream) {
        RngStream r = new RngStream(seed, RngStream.Domain.TEST, stream, 0);
        double[] x = new double[n];
        double v = r.gaussian() / Math.sqrt(1 - rho * rho); // stationary start
        for (int i = 0; i < n; i++) { x[i] = v; v = rho * v + r.gaussian(); }
        return x;
    }

    @Test void logSumExp() {
        assertEquals(Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), LogSumExp.lse(new double[] {1, 2, 3}), 1e-15);
        assertEquals(1000 + Math.log(2), LogSumExp.lse(new double[] {1000, 1000}), 1e-12);
        assertEquals(-1000 + Math.log(2), LogSumExp.lse(new double[] {-1000, -1000}), 1e-12);
        assertEquals(Double.NEGATIVE_INFINITY, LogSumExp.lse(new double[0]));
        assertEquals(Double.NEGATIVE_INFINITY, LogSumExp.lse(new double[] {Double.NEGATIVE_INFINITY}));
        assertEquals(0.0, LogSumExp.lse(new double[] {0, Double.NEGATIVE_INFINITY}), 0);
        assertEquals(2000 + Math.log(2), LogSumExp.lse(new double[] {1000, 1000}, 2.0), 1e-12);
        assertTrue(Double.isNaN(LogSumExp.lse(new double[] {1, Double.NaN})));
        assertEquals(Math.log(3), LogSumExp.lse2(Math.log(1), Math.log(2)), 1e-15);
        assertEquals(5.0, LogSumExp.lse2(5, Double.NEGATIVE_INFINITY), 0);
        assertEquals(0.5, LogSumExp.logMeanExp(new double[] {0.5, 0.5, 0.5}), 1e-15);
    }

    @Test void iidGaussian() {
        double[] x = ar1(0, 20000, 1, 0);
        Autocorrelation.Result r = Autocorrelation.analyze(x);
        assertTrue(r.reliable(), r.toString());
        assertEquals(0.5, r.tauInt(), 4 * r.tauIntError() + 0.02, r.toString());
        assertEquals(1 / Math.sqrt(20000), r.error(), 0.1 / Math.sqrt(20000), r.toString());
        assertEquals(0.0, r.value(), 4 * r.error());
        assertEquals(Binning.naiveError(x), r.naiveError(), 1e-3 * r.naiveError());
    }

    @Test void ar1KnownTau() {
        double rho = 0.8, tauTrue = (1 + rho) / (2 * (1 - rho)); // 4.5
        int n = 50000;
        double[] x = ar1(rho, n, 2, 0);
        Autocorrelation.Result r = Autocorrelation.analyze(x);
        assertTrue(r.reliable(), r.toString());
        assertEquals(tauTrue, r.tauInt(), 4 * r.tauIntError(), r.toString());
        double trueErr = Math.sqrt(2 * tauTrue / (1 - rho * rho) / n);
        assertEquals(trueErr, r.error(), 0.15 * trueErr, r.toString());
        assertEquals(0.0, r.value(), 4 * trueErr);
        assertTrue(r.window() > 5 && r.window() < 60, "window " + r.window());
        assertEquals(1.0, r.rho()[0], 1e-15);
        assertEquals(rho, r.rho()[1], 0.03);
        // binning with bins >> tau agrees with the Gamma method
        assertEquals(r.error(), Binning.binnedError(x, 250), 0.2 * r.error());
        // larger S_tau: larger window, same answer within errors
        Autocorrelation.Result r2 = Autocorrelation.analyze(x, 3.0);
        assertTrue(r2.window() >= r.window());
        assertEquals(r.tauInt(), r2.tauInt(), 2 * r2.tauIntError());
    }

    @Test void degenerateSeries() {
        double[] c = new double[100];
        java.util.Arrays.fill(c, 0.3);
        Autocorrelation.Result r = Autocorrelation.analyze(c);
        assertEquals(0.3, r.value(), 1e-15);
        assertEquals(0.0, r.error());
        assertEquals(0.5, r.tauInt());
        assertTrue(r.flags().contains(Autocorrelation.Flag.CONSTANT));
        Autocorrelation.Result one = Autocorrelation.analyze(new double[] {1.5});
        assertEquals(1.5, one.value());
        assertEquals(0.0, one.error());
        assertEquals(0.5, one.tauInt());
        assertTrue(one.flags().contains(Autocorrelation.Flag.SHORT));
        Autocorrelation.Result three = Autocorrelation.analyze(new double[] {1, 2, 4});
        assertEquals(7.0 / 3, three.value(), 1e-15);
        assertTrue(Double.isFinite(three.error()) && three.error() > 0);
        assertEquals(0.5, three.tauInt(), 0.5);
        // Wmax = (shortest replica)/2 = 1 with a strongly correlated long replica: the window hits Wmax and says so
        Autocorrelation.Result atMax = Autocorrelation.analyzeReplicas(new double[][] {ar1(0.9, 10000, 9, 0), {0.1, 0.2}}, 1.5);
        assertTrue(atMax.flags().contains(Autocorrelation.Flag.WINDOW_AT_MAX), atMax.toString());
        assertEquals(1, atMax.window());
        assertThrows(IllegalArgumentException.class, () -> Autocorrelation.analyze(new double[] {1, Double.NaN}));
        assertThrows(IllegalArgumentException.class, () -> Autocorrelation.analyze(new double[0]));
    }

    @Test void derivedLinearIsExactProjection() {
        double[] x = ar1(0.6, 5000, 3, 0), y = ar1(0.3, 5000, 3, 1);
        double[] z = new double[x.length];
        for (int i = 0; i < x.length; i++) z[i] = 2 * x[i] - 3 * y[i] + 1;
        Autocorrelation.Result d = Autocorrelation.derived(new double[][] {x, y}, a -> 2 * a[0] - 3 * a[1] + 1);
        Autocorrelation.Result p = Autocorrelation.analyze(z);
        assertEquals(p.value(), d.value(), 1e-12);
        assertEquals(p.error(), d.error(), 1e-9 * p.error());
        assertEquals(p.tauInt(), d.tauInt(), 1e-9);
        assertEquals(p.window(), d.window());
        assertArrayEquals(new double[] {2, -3}, d.gradient(), 1e-6);
        // a derived quantity of one observable equal to the identity is the primary analysis
        Autocorrelation.Result id = Autocorrelation.derived(new double[][] {x}, a -> a[0]);
        Autocorrelation.Result px = Autocorrelation.analyze(x);
        assertEquals(px.error(), id.error(), 1e-12 * px.error());
    }

    @Test void derivedRatioAgreesWithJackknife() {
        // reweighting-like ratio <O w>/<w> with correlated O and w
        int n = 40000;
        double[] o = ar1(0.7, n, 4, 0), e = ar1(0.5, n, 4, 1);
        double[] w = new double[n], ow = new double[n];
        for (int i = 0; i < n; i++) { w[i] = Math.exp(0.3 * e[i]); o[i] += 2; ow[i] = o[i] * w[i]; }
        double[][] s = {ow, w};
        Autocorrelation.Result g = Autocorrelation.derived(s, a -> a[0] / a[1]);
        Jackknife.Result j = Jackknife.derived(s, a -> a[0] / a[1], 200);
        assertTrue(g.reliable(), g.toString());
        assertEquals(j.value(), g.value(), 1e-12);
        assertEquals(j.error(), g.error(), 0.2 * g.error(), g + " vs " + j);
        // chi = <Q^2>/V style: scaling of a primary
        Autocorrelation.Result chi = Autocorrelation.derived(new double[][] {o}, a -> a[0] / 64);
        assertEquals(Autocorrelation.analyze(o).error() / 64, chi.error(), 1e-12);
    }

    @Test void replicas() {
        double rho = 0.8, tauTrue = 4.5;
        double[][] reps = new double[4][];
        for (int r = 0; r < 4; r++) reps[r] = ar1(rho, 12500, 5, r);
        Autocorrelation.Result res = Autocorrelation.analyzeReplicas(reps, 1.5);
        assertEquals(4, res.replicas());
        assertEquals(50000, res.n());
        assertEquals(tauTrue, res.tauInt(), 4 * res.tauIntError(), res.toString());
        double m = 0;
        for (double[] rr : reps) for (double v : rr) m += v;
        assertEquals(m / 50000, res.value(), 1e-14);
        double trueErr = Math.sqrt(2 * tauTrue / (1 - rho * rho) / 50000);
        assertEquals(trueErr, res.error(), 0.15 * trueErr);
        // replicas of different lengths are accepted
        double[][] uneven = {ar1(0.5, 3000, 6, 0), ar1(0.5, 1000, 6, 1)};
        assertEquals(4000, Autocorrelation.analyzeReplicas(uneven, 1.5).n());
    }

    @Test void jackknifeIdentities() {
        double[] x = ar1(0.4, 1000, 7, 0);
        Jackknife.Result j = Jackknife.mean(x, 10);
        assertEquals(Binning.binnedError(x, 10), j.error(), 1e-14);
        assertEquals(Binning.mean(x), j.value(), 1e-14);
        assertEquals(j.value(), j.biasCorrected(), 1e-13); // linear f: no bias
        // f = mean^2, bin size 1: bias-corrected estimate is exactly xbar^2 - s^2/n (s^2 unbiased variance)
        Jackknife.Result sq = Jackknife.derived(new double[][] {x}, a -> a[0] * a[0], 1);
        double xb = Binning.mean(x), s2 = 0;
        for (double v : x) s2 += (v - xb) * (v - xb);
        s2 /= x.length - 1;
        assertEquals(xb * xb - s2 / x.length, sq.biasCorrected(), 1e-12);
        // trailing partial bin dropped
        assertEquals(3, Binning.bin(new double[] {1, 2, 3, 4, 5, 6, 7}, 2).length);
        assertArrayEquals(new double[] {1.5, 3.5, 5.5}, Binning.bin(new double[] {1, 2, 3, 4, 5, 6, 7}, 2), 0);
        assertThrows(IllegalArgumentException.class, () -> Jackknife.mean(new double[] {1, 2, 3}, 2));
        double[] curve = Binning.errorCurve(x, new int[] {1, 10, 100});
        assertTrue(curve[1] > curve[0], "binning error grows for correlated data");
    }

    @Test void rhoFunctionExtendsTheWindowedRhoBitForBit() {
        double rho = 0.7;
        double[] x = ar1(rho, 20000, 5, 0);
        Autocorrelation.Result r = Autocorrelation.analyze(x);
        double[] f = Autocorrelation.rhoFunction(x, r, 4 * r.window());
        assertEquals(4 * r.window() + 1, f.length);
        for (int t = 0; t <= r.window(); t++) assertEquals(r.rho()[t], f[t], 0.0, "t = " + t);
        for (int t = 1; t <= 4; t++) assertEquals(Math.pow(rho, t), f[t], 0.03, "AR(1) rho(t) = rho^t at t = " + t);
        double tail = 0;
        for (int t = 3 * r.window(); t < f.length; t++) tail = Math.max(tail, Math.abs(f[t]));
        assertTrue(tail < 0.05, "rho(t) far past the window is noise around 0, max " + tail);
        // a derived quantity (a ratio, as for reweighted averages) and replica
        double[] w = new double[x.length], wx = new double[x.length];
        for (int i = 0; i < x.length; i++) { w[i] = Math.exp(0.1 * x[i]); wx[i] = w[i] * x[i]; }
        double[][] d = {wx, w};
        Autocorrelation.Result rd = Autocorrelation.derived(d, m -> m[0] / m[1], 1.5);
        double[] fd = Autocorrelation.rhoFunction(d, rd, 50);
        for (int t = 0; t <= rd.window(); t++) assertEquals(rd.rho()[t], fd[t], 0.0);
        double[][][] rep = {{java.util.Arrays.copyOf(x, 9000)}, {java.util.Arrays.copyOfRange(x, 9000, 20000)}};
        Autocorrelation.Result rr = Autocorrelation.derivedReplicas(rep, m -> m[0], 1.5);
        double[] fr = Autocorrelation.rhoFunction(rep, rr, 100000);
        assertEquals(4500 + 1, fr.length, "capped at Wmax = min N_r / 2");
        for (int t = 0; t <= rr.window(); t++) assertEquals(rr.rho()[t], fr[t], 0.0);
        // degenerate analyses give {1}; data that is not the analysis' is refused
        double[] c = new double[10];
        assertArrayEquals(new double[] {1}, Autocorrelation.rhoFunction(c, Autocorrelation.analyze(c), 5));
        assertThrows(IllegalArgumentException.class, () -> Autocorrelation.rhoFunction(java.util.Arrays.copyOf(x, 100), r, 5));
    }
}
