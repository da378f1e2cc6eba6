/*
 * Contract: modified Bessel functions of the first kind I_nu(x), x >= 0, in linear and log form.
 *
 *   I_nu(x) = sum_{k>=0} (x/2)^{2k+nu} / (k! Gamma(k+nu+1)),   I_{-n} = I_n for integer n.
 *
 * Integer orders (logIn, logInScaled = log(e^{-x} I_n), logI(int, x), I(int, x)): Miller's backward recurrence
 *   f_{n-1} = f_{n+1} + (2n/x) f_n  from f_{N+1} = 0, f_N = 1 (N chosen adaptively so that I_N/I_nmax < 1e-17),
 * normalised by the identity e^x = I_0(x) + 2 sum_{n>=1} I_n(x). The recurrence is carried in log form (values are
 * rescaled whenever they exceed 1e200), so log I_n(x) is finite for any x > 0 and any n (no overflow of I_n^V
 * problems downstream: callers exponentiate differences of logs). Accuracy: absolute error of log I_n about
 * 1e-15 * max(1, |log I_n|), i.e. a few 1e-15 relative in I_n where I_n is not astronomically small (checked
 * against mpmath for x in [1e-3, 700], orders up to 100: worst 8.5e-15 relative for x <= 40, |log I| < 50).
 *
 * Real orders nu >= 0 (logI(double, x)): nu = n + mu with mu in [0, 1); I_mu(x) from the (positive-term) power
 * series in log form with an accurate log Gamma, then ratios I_{mu+j}/I_mu from Miller's backward recurrence.
 * Negative non-integer orders (I(double, x) only, since I_nu may be negative there): the power series with signed
 * 1/Gamma(k+nu+1); accurate to ~1e-13 relative for |nu| <= 20, x <= 40 where I_nu is not near a zero.
 *
 * Allocation-light integer-order routines for inner loops (ratios, logI0), used by the U(1) character expansion
 * of the multiscale flows: ratios r_n = I_n(x)/I_0(x) and log I_0(x), both to ~1e-15 relative. Method: Miller's
 * backward recurrence I_{n-1} = (2n/x) I_n + I_{n+1}, started at an order M far above the orders asked for
 * (M = nmax + 16 + ceil(10 sqrt(x+1)), where I_M/I_nmax < e^-50), with rescaling against overflow; ratios need no
 * normalisation, and log I_0 follows from e^x = I_0(x) + 2 sum_{n>=1} I_n(x), i.e.
 * log I_0(x) = x - log(1 + 2 sum_{n>=1} r_n). For x <= 2 log I_0 uses the power series sum_k (x^2/4)^k / (k!)^2
 * (all terms positive). logI0 keeps no arrays, so it is cheap enough to call per link.
 *
 * x = 0: I_0(0) = 1, I_nu(0) = 0 for nu > 0 (log = -inf). x < 0 or NaN: IllegalArgumentException.
 */
package org.mflowhpc.math;

/** Modified Bessel functions I_nu(x) and log Gamma. Pure static functions, thread-safe. */
public final class Bessel {
    private Bessel() {}

    private static final double LOG_2PI_HALF = 0.5 * Math.log(2 * Math.PI);
    private static final double BIG = 1e200, LOG_BIG = Math.log(BIG);

    /** log I_n(x) for n = 0..nmax (integer orders), x >= 0. Entry n of the returned array is log I_n(x). */
    public static double[] logIn(int nmax, double x) {
        double[] out = logInScaled(nmax, x);
        for (int n = 0; n <= nmax; n++) out[n] += x;
        return out;
    }

    /**
     * log(e^{-x} I_n(x)) for n = 0..nmax, x >= 0: the exponentially scaled values, which the recurrence produces
     * without the rounding of adding and subtracting x. Differences between orders, log(I_n/I_m), are accurate to
     * ~1e-16 absolute for moderate orders: use this form when forming ratios or powers I_n^V / I_0^V.
     */
    public static double[] logInScaled(int nmax, double x) {
        if (nmax < 0) throw new IllegalArgumentException("nmax must be >= 0, got " + nmax);
        checkX(x);
        double[] out = new double[nmax + 1];
        if (x == 0) {
            java.util.Arrays.fill(out, Double.NEGATIVE_INFINITY);
            out[0] = 0;
            return out;
        }
        double[] logf = millerLogRatios(0.0, nmax, x);
        // normalisation e^x = I_0 + 2 sum_{n>=1} I_n, with every order computed by the recurrence (logf[0] = 0)
        double s = 0;
        for (int n = logf.length - 1; n >= 0; n--) s += (n == 0 ? 1.0 : 2.0) * Math.exp(logf[n]);
        double logS = Math.log(s);
        for (int n = 0; n <= nmax; n++) out[n] = logf[n] - logS;
        return out;
    }

    /** log I_n(x) for integer n (any sign), x >= 0. */
    public static double logI(int n, double x) {
        int a = Math.abs(n);
        return logIn(a, x)[a];
    }

    /** I_n(x) for integer n (any sign); overflows to +inf for x > ~713. */
    public static double I(int n, double x) { return Math.exp(logI(n, x)); }

    /** log I_nu(x) for real order nu >= 0, or any integer nu. */
    public static double logI(double nu, double x) {
        checkX(x);
        if (Double.isNaN(nu) || Double.isInfinite(nu)) throw new IllegalArgumentException("bad Bessel order " + nu);
        if (nu == Math.rint(nu) && Math.abs(nu) < Integer.MAX_VALUE / 2) return logI((int) nu, x);
        if (nu < 0) throw new IllegalArgumentException("logI: negative non-integer order " + nu + " (I_nu may be negative; use I(nu, x))");
        if (x == 0) return Double.NEGATIVE_INFINITY;
        int n0 = (int) Math.floor(nu);
        double mu = nu - n0;
        double logImu = logSeries(mu, x);
        if (n0 == 0) return logImu;
        double[] logf = millerLogRatios(mu, n0, x);
        return logImu + logf[n0] - logf[0];
    }

    /** I_nu(x) for any real order nu (negative non-integer orders by the signed power series). */
    public static double I(double nu, double x) {
        checkX(x);
        if (nu >= 0 || nu == Math.rint(nu)) return Math.exp(logI(nu, x));
        if (x == 0) return Double.POSITIVE_INFINITY * Math.signum(1.0 / gammaSign(nu + 1)); // pole-like behaviour
        // signed series: terms (x/2)^{2k+nu} / (k! Gamma(k+nu+1))
        double lh = Math.log(0.5 * x);
        int kmax = (int) (x + 60 + Math.abs(nu));
        double[] lt = new double[kmax + 1];
        double[] sg = new double[kmax + 1];
        double maxl = Double.NEGATIVE_INFINITY;
        double lfact = 0;
        for (int k = 0; k <= kmax; k++) {
            if (k > 0) lfact += Math.log(k);
            double z = k + nu + 1;
            lt[k] = (2 * k + nu) * lh - lfact - logAbsGamma(z);
            sg[k] = gammaSign(z);
            maxl = Math.max(maxl, lt[k]);
        }
        double s = 0;
        for (int k = kmax; k >= 0; k--) s += sg[k] * Math.exp(lt[k] - maxl);
        return s * Math.exp(maxl);
    }

    /** log Gamma(z) for z > 0 (Stirling series after upward shift to z >= 15; ~1e-15 absolute for z in (0, 20]). */
    public static double lgamma(double z) {
        if (!(z > 0)) throw new IllegalArgumentException("lgamma needs z > 0, got " + z + " (use logAbsGamma)");
        double shift = 0;
        double w = z;
        double prod = 1;
        while (w < 15) {
            prod *= w;
            w += 1;
            if (prod > 1e280) { shift += Math.log(prod); prod = 1; }
        }
        shift += Math.log(prod);
        double iw = 1.0 / w, iw2 = iw * iw;
        // Bernoulli terms B_2k / (2k (2k-1) w^{2k-1}), k = 1..7
        double series = iw * (1.0 / 12 + iw2 * (-1.0 / 360 + iw2 * (1.0 / 1260 + iw2 * (-1.0 / 1680
                + iw2 * (1.0 / 1188 + iw2 * (-691.0 / 360360 + iw2 * (1.0 / 156)))))));
        return (w - 0.5) * Math.log(w) - w + LOG_2PI_HALF + series - shift;
    }

    /** log |Gamma(z)| for any real z that is not a non-positive integer (reflection formula for z < 0.5). */
    public static double logAbsGamma(double z) {
        if (z > 0) return lgamma(z);
        if (z == Math.rint(z)) return Double.POSITIVE_INFINITY; // pole
        // Gamma(z) Gamma(1-z) = pi / sin(pi z)
        return Math.log(Math.PI) - Math.log(Math.abs(sinPi(z))) - lgamma(1 - z);
    }

    /** Sign of Gamma(z) (+1 for z > 0; (-1)^ceil(-z) between the poles for z < 0). */
    public static double gammaSign(double z) {
        if (z > 0) return 1;
        return sinPi(z) > 0 ? 1 : -1;
    }

    /** sin(pi z) with exact argument reduction. */
    private static double sinPi(double z) {
        double r = z - 2 * Math.floor(z / 2); // [0, 2)
        return Math.sin(Math.PI * r);
    }

    private static void checkX(double x) {
        if (!(x >= 0) || Double.isInfinite(x)) throw new IllegalArgumentException("Bessel argument must be finite and >= 0, got " + x);
    }

    /** log I_mu(x) for mu in [0, 1) (or any mu >= 0) from the power series, all terms positive. */
    static double logSeries(double mu, double x) {
        double h2 = 0.25 * x * x;
        double t = 1, s = 1;
        for (int k = 1; k < 100000; k++) {
            t *= h2 / (k * (k + mu));
            s += t;
            if (t < 1e-18 * s && k > h2 / (1 + mu)) break; // past the peak term and converged
        }
        return mu * Math.log(0.5 * x) - lgamma(mu + 1) + Math.log(s);
    }

    /**
     * Unnormalised log f_j, j = 0..(returned length - 1) >= nmax, of the minimal solution of the recurrence
     * f_{j-1} = f_{j+1} + (2 (mu+j)/x) f_j, i.e. log I_{mu+j}(x) + const. The start order is chosen so that
     * I_{mu+N}/I_{mu+nmax} < 1e-17 (then the relative error at orders <= nmax is ~1e-34) and so that the normalising
     * sum over all orders for integer mu is complete to 1e-17.
     */
    private static double[] millerLogRatios(double mu, int nmax, double x) {
        // estimate decay I_{n+1}/I_n ~ x / (n + 1 + sqrt((n+1)^2 + x^2)) upward from nmax
        double lr = 0;
        int n = nmax;
        while (lr > Math.log(1e-17) || n < nmax + 4) {
            double m = n + mu + 1;
            lr += Math.log(x / (m + Math.sqrt(m * m + x * x)));
            n++;
            if (n > nmax + 1000000) throw new IllegalStateException("Bessel recurrence start not found for x=" + x);
        }
        int N = n + 8;
        // log f_j = log(stored f_j) + cnt_j log(BIG); combined relative to cnt_0 at the end, so that the low orders
        // (the largest values) carry no rounding from the scale offsets
        double[] fv = new double[N + 1];
        int[] cnt = new int[N + 1];
        double fp = 0, f = 1; // f_{j+1}, f_j
        int c = 0;
        fv[N] = 1;
        for (int j = N; j >= 1; j--) {
            double fm = fp + (2 * (mu + j) / x) * f;
            fp = f;
            f = fm;
            if (f > BIG) { f /= BIG; fp /= BIG; c++; }
            fv[j - 1] = f;
            cnt[j - 1] = c;
        }
        // log(f_j / f_0): exact 0 at j = 0 and full relative precision while no rescaling separates j from 0
        double[] logf = new double[N + 1];
        double lf0 = Math.log(fv[0]);
        for (int j = 0; j <= N; j++)
            logf[j] = cnt[j] == c ? Math.log(fv[j] / fv[0]) : Math.log(fv[j]) - lf0 + (cnt[j] - c) * LOG_BIG;
        return logf;
    }

    // ---------------------------------------------------------------- fast integer-order paths (see header)

    private static int millerStart(double x, int nmax) {
        return nmax + 16 + (int) Math.ceil(10.0 * Math.sqrt(x + 1.0));
    }

    /** r_n = I_n(x)/I_0(x) for n = 0..nmax (r_0 = 1). For x = 0: r_n = 0 for n >= 1. */
    public static double[] ratios(double x, int nmax) {
        if (!(x >= 0) || Double.isInfinite(x)) throw new IllegalArgumentException("Bessel I_n(x) needs finite x >= 0, got " + x);
        if (nmax < 0) throw new IllegalArgumentException("nmax must be >= 0");
        double[] r = new double[nmax + 1];
        r[0] = 1;
        if (x == 0) return r;
        if (x < 1e-8) { // leading term of the series, relative error O(x^2)
            for (int n = 1; n <= nmax; n++) r[n] = r[n - 1] * (0.5 * x) / n;
            return r;
        }
        int m = millerStart(x, nmax);
        double next = 0, cur = 1e-280; // I_{n+1}, I_n (unnormalised), n = m
        for (int n = m; n >= 1; n--) {
            double prev = (2.0 * n / x) * cur + next; // I_{n-1}
            next = cur;
            cur = prev;
            if (n - 1 <= nmax) r[n - 1] = cur;
            if (cur > 1e250) { // rescale everything kept so far
                cur *= 1e-250; next *= 1e-250;
                for (int k = n - 1; k <= nmax; k++) r[k] *= 1e-250;
            }
        }
        double i0 = r[0];
        for (int k = 0; k <= nmax; k++) r[k] /= i0;
        r[0] = 1;
        return r;
    }

    /** log I_0(x), x >= 0. */
    public static double logI0(double x) {
        if (!(x >= 0) || Double.isInfinite(x)) throw new IllegalArgumentException("Bessel I_0(x) needs finite x >= 0, got " + x);
        if (x <= 2.0) {
            double q = 0.25 * x * x, term = 1, sum = 1;
            for (int k = 1; k < 60; k++) {
                term *= q / ((double) k * k);
                sum += term;
                if (term < 1e-18 * sum) break;
            }
            return Math.log(sum);
        }
        // backward recurrence without storage: I_0 and S = sum_{n>=1} I_n (same unknown scale)
        int m = millerStart(x, 0);
        double next = 0, cur = 1e-280, sum = 0;
        for (int n = m; n >= 1; n--) {
            sum += cur; // adds I_n
            double prev = (2.0 * n / x) * cur + next;
            next = cur;
            cur = prev;
            if (cur > 1e250) { cur *= 1e-250; next *= 1e-250; sum *= 1e-250; }
        }
        return x - Math.log1p(2.0 * sum / cur);
    }
}
