package org.mflowhpc.flow.multiscale;

/**
 * Modified Bessel functions of the first kind I_n(x) for integer order n >= 0 and real x >= 0, in the forms the
 * U(1) character expansion needs: ratios r_n = I_n(x)/I_0(x) and log I_0(x), both to ~1e-15 relative.
 *
 * <p>Method: Miller's backward recurrence I_{n-1} = (2n/x) I_n + I_{n+1}, started at an order M far above the
 * orders asked for (M = nmax + 16 + ceil(10 sqrt(x+1)), where I_M/I_nmax < e^-50), with rescaling against
 * overflow; ratios need no normalisation, and log I_0 follows from the generating-function identity
 * e^x = I_0(x) + 2 sum_{n>=1} I_n(x), i.e. log I_0(x) = x - log(1 + 2 sum_{n>=1} r_n). For x <= 2 log I_0 uses the
 * power series sum_k (x^2/4)^k / (k!)^2 (all terms positive).
 */
public final class BesselI {
    private BesselI() {}

    private static int start(double x, int nmax) {
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
        int m = start(x, nmax);
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
        int m = start(x, 0);
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

    /** log I_n(x) for integer n >= 0, x > 0 (or x = 0 with n = 0). */
    public static double logI(int n, double x) {
        if (n < 0) n = -n; // I_{-n} = I_n
        if (n == 0) return logI0(x);
        double[] r = ratios(x, n);
        return logI0(x) + Math.log(r[n]);
    }

    /**
     * log Z of 2D U(1) with the Wilson action on any periodic torus with V plaquettes, w.r.t. normalised Haar
     * measure: Z = sum_n I_n(beta)^V, so log Z = V log I_0(beta) + log(1 + 2 sum_{n>=1} r_n^V).
     * (Derivation: gauge-fix a maximal tree; the V plaquette angles are then V - 1 free Haar angles plus the one
     * constraint sum_x theta_P(x) = 0 mod 2pi, and the two holonomies drop out; inserting
     * e^{beta cos theta} = sum_n I_n(beta) e^{i n theta} and integrating leaves sum_n I_n^V.)
     */
    public static double u1LogZ(double beta, long volume) {
        if (volume < 1) throw new IllegalArgumentException("volume must be >= 1");
        if (beta == 0) return 0;
        int nmax = (int) Math.ceil(beta + 10.0 * Math.sqrt(beta + 1.0)) + 10;
        double[] r = ratios(Math.abs(beta), nmax);
        double s = 0;
        for (int k = nmax; k >= 1; k--) {
            // for negative beta, I_n(-b) = (-1)^n I_n(b)
            double t = Math.exp(volume * Math.log(r[k]));
            if (beta < 0 && (k & 1) == 1 && (volume & 1) == 1) t = -t;
            s += t;
        }
        return volume * logI0(Math.abs(beta)) + Math.log1p(2.0 * s);
    }
}
