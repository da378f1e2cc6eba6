package org.mflowhpc.flow.multiscale;

import static org.mflowhpc.group.U1.wrap;

import org.mflowhpc.math.Bessel;
import org.mflowhpc.observable.exact.Exact2D;

/**
 * Exact block densities of 2D U(1) Wilson gauge theory at coupling beta (docs/physics.md §4).
 *
 * <p>Contract. All densities are w.r.t. the normalised Haar measure d(phi)/2pi on (-pi, pi] and are 2pi-periodic;
 * angles may be any real number.
 * <ul>
 *   <li>f_m(phi) = sum_n r_n^m e^{i n phi}, r_n = I_n(beta)/I_0(beta): density of the sum of m iid plaquette angles
 *       with density f_1(theta) = e^{beta cos theta}/I_0(beta). f_a * f_b = f_{a+b} (convolution w.r.t. dphi/2pi).
 *       {@link #logF} returns log f_m(phi) to ~1e-13 relative for every phi, also deep in the tails:
 *       m = 1: beta cos phi - log I_0(beta); m = 2: log I_0(2 beta |cos(phi/2)|) - 2 log I_0(beta) (closed forms);
 *       m >= 3: the Fourier series where it does not cancel (value >= 1e-3 x sum of |terms|, so rounding costs < 1e-11 relative), else the periodic
 *       trapezoid rule for f_m(phi) = int f_a(t) f_b(phi-t) dt/2pi (a = m/2, b = m-a, recursively, in log space),
 *       which converges geometrically because the integrand is periodic and analytic.
 *   <li>g(t | phi) = f_a(t) f_b(phi - t) / f_m(phi), a = floor(m/2), b = m - a: the density of the angle t of the
 *       first a plaquettes of a block of m plaquettes whose total angle is phi ({@link #logG}). In the multiscale
 *       doubling a = b = m/2.
 *   <li>{@link #sampleT}: t = G^{-1}(u | phi) by inverse CDF, u in (0, 1); t returned wrapped to (-pi, pi]. The CDF is
 *       the exact integral of the trigonometric interpolant of g on K equispaced points (spectrally accurate;
 *       K chosen from the conditional's width), inverted by safeguarded Newton to ~1e-14 in t.
 * </ul>
 * Immutable and thread-safe.
 */
public final class U1BlockDensity {
    public final double beta;
    private final double logI0Beta;
    private final double[] logr; // log r_n, n = 0..nr-1
    private final double var1;   // -2 log r_1: per-plaquette angle variance proxy (wrapped-normal matching)

    public U1BlockDensity(double beta) {
        if (!(beta >= 0) || Double.isInfinite(beta))
            throw new IllegalArgumentException("exact U(1) block densities need finite beta >= 0, got " + beta);
        this.beta = beta;
        this.logI0Beta = Bessel.logI0(beta);
        int nmax = (int) Math.ceil(beta + 10.0 * Math.sqrt(beta + 1.0)) + 40;
        double[] r = Bessel.ratios(beta, nmax);
        int n = 1;
        while (n <= nmax && r[n] > 1e-250) n++;
        logr = new double[n];
        for (int k = 0; k < n; k++) logr[k] = Math.log(r[k]);
        var1 = n > 1 ? -2.0 * logr[1] : Double.POSITIVE_INFINITY;
    }

    /** log I_0(beta). */
    public double logI0Beta() { return logI0Beta; }

    /** r_1 = I_1(beta)/I_0(beta) = E[cos theta_P] for a single plaquette. */
    public double r1() { return logr.length > 1 ? Math.exp(logr[1]) : 0.0; }

    /** log f_m(phi), m >= 1. */
    public double logF(int m, double phi) {
        if (m < 1) throw new IllegalArgumentException("block size must be >= 1, got " + m);
        double v = logFFast(m, phi, null);
        if (!Double.isNaN(v)) return v;
        int a = m / 2;
        return logConvolve(a, m - a, phi);
    }

    /**
     * log f_m(phi) where a cheap evaluation is accurate (closed forms, or a Fourier series that does not cancel);
     * otherwise NaN, with ub[0] (if ub != null) set to an upper bound of log f_m(phi).
     */
    private double logFFast(int m, double phi, double[] ub) {
        if (m == 1) return beta * Math.cos(phi) - logI0Beta;
        if (m == 2) return Bessel.logI0(2.0 * beta * Math.abs(Math.cos(0.5 * phi))) - 2.0 * logI0Beta;
        double c1 = Math.cos(phi), s1 = Math.sin(phi);
        double c = 1, s = 0, sum = 0, abs = 0;
        for (int n = 1; n < logr.length; n++) {
            double w = Math.exp(m * logr[n]);
            if (w < 1e-19 * (1.0 + 2.0 * abs)) break;
            double cn = c * c1 - s * s1;
            s = s * c1 + c * s1;
            c = cn;
            sum += w * c;
            abs += w;
        }
        double f = 1.0 + 2.0 * sum, tot = 1.0 + 2.0 * abs;
        if (f >= 1e-3 * tot) return Math.log(f);
        if (ub != null) {
            ub[0] = Math.log(Math.max(f, 0.0) + 2e-14 * tot); // rounding bound: (2 terms + sum) x eps x total
            ub[1] = Math.log(Math.max(f, 1e-300));
        }
        return Double.NaN;
    }

    /**
     * Grid of log h for the sampler's CDF, where only accuracy relative to the largest value matters: the cheap
     * evaluations are used (values that cancel are clamped at 0) when their total error bound is below 1e-11 of
     * the grid sum; otherwise the accurate {@link #logProductGrid}.
     */
    private double samplingGrid(int a, int b, double phi, double t0, int n, double[] lh) {
        double[] ub = new double[2];
        double[] up = new double[n];
        double mx = Double.NEGATIVE_INFINITY;
        boolean anyInexact = false;
        for (int j = 0; j < n; j++) {
            double t = t0 + 2.0 * Math.PI * j / n;
            double fa = logFFast(a, t, ub), ua = Double.isNaN(fa) ? ub[0] : fa;
            if (Double.isNaN(fa)) fa = ub[1];
            double fb = logFFast(b, phi - t, ub), uB = Double.isNaN(fb) ? ub[0] : fb;
            if (Double.isNaN(fb)) fb = ub[1];
            lh[j] = fa + fb;
            up[j] = ua + uB;
            if (up[j] != lh[j]) anyInexact = true;
            mx = Math.max(mx, lh[j]);
        }
        if (!anyInexact) return mx;
        double sum = 0, err = 0;
        for (int j = 0; j < n; j++) {
            sum += Math.exp(lh[j] - mx);
            if (up[j] != lh[j]) err += Math.exp(up[j] - mx) - Math.exp(lh[j] - mx);
        }
        if (err <= 1e-11 * sum) return mx;
        return logProductGrid(a, b, phi, t0, n, lh);
    }

    /**
     * lh[j] = log f_a(t_j) + log f_b(phi - t_j), t_j = t0 + 2 pi j / n, evaluated accurately at every point within
     * e^-40 of the largest value; points provably below that are set to an upper bound (negligible in any sum).
     * Returns the maximum.
     */
    private double logProductGrid(int a, int b, double phi, double t0, int n, double[] lh) {
        double[] ub = new double[2];
        boolean[] exact = new boolean[n];
        double[] up = new double[n];
        double mx = Double.NEGATIVE_INFINITY;
        boolean anyInexact = false;
        for (int j = 0; j < n; j++) {
            double t = t0 + 2.0 * Math.PI * j / n;
            double fa = logFFast(a, t, ub), ua = Double.isNaN(fa) ? ub[0] : fa;
            double fb = logFFast(b, phi - t, ub), ubb = Double.isNaN(fb) ? ub[0] : fb;
            exact[j] = !Double.isNaN(fa) && !Double.isNaN(fb);
            up[j] = ua + ubb;
            lh[j] = up[j];
            if (exact[j]) mx = Math.max(mx, lh[j]); else anyInexact = true;
        }
        while (anyInexact) {
            int best = -1;
            for (int j = 0; j < n; j++)
                if (!exact[j] && up[j] >= mx - 40.0 && (best < 0 || up[j] > up[best])) best = j;
            if (best < 0) break;
            double t = t0 + 2.0 * Math.PI * best / n;
            lh[best] = logF(a, t) + logF(b, phi - t);
            exact[best] = true;
            mx = Math.max(mx, lh[best]);
        }
        return mx;
    }

    /** log int f_a(t) f_b(phi - t) dt/2pi by the periodic trapezoid rule in log space. */
    double logConvolve(int a, int b, double phi) {
        int n = quadraturePoints(a, b);
        double[] lh = new double[n];
        double mx = logProductGrid(a, b, phi, phi * a / (a + b), n, lh);
        double s = 0;
        for (int j = 0; j < n; j++) s += Math.exp(lh[j] - mx);
        return mx + Math.log(s / n);
    }

    /** Width proxy of g(.|phi) for blocks a + b: sigma^2 = (a b / (a+b)) var1. */
    private double sigma(int a, int b) {
        return Math.sqrt((double) a * b / (a + b) * var1);
    }

    int quadraturePoints(int a, int b) {
        double sg = sigma(a, b);
        int n = sg > 14.0 / 32 ? 32 : (int) Math.ceil(14.0 / sg);
        n = Math.min(n, 1 << 14);
        return (n + 1) & ~1;
    }

    /** Grid size K (power of two) for the spectral CDF of g for a block of m plaquettes. */
    int cdfPoints(int m) {
        int a = m / 2, b = m - a;
        double sg = sigma(a, b);
        int k = 64;
        while (k < (1 << 13) && k * sg < 24.0) k <<= 1;
        return k;
    }

    /** log g(t | phi) for a block of m >= 2 plaquettes split into a = floor(m/2) and m - a. */
    public double logG(int m, double t, double phi) {
        if (m < 2) throw new IllegalArgumentException("a block of " + m + " plaquette(s) cannot be split");
        return logG(m, t, phi, logF(m, phi));
    }

    /** {@link #logG(int, double, double)} with log f_m(phi) supplied (it depends on phi only). */
    public double logG(int m, double t, double phi, double logFmPhi) {
        if (m < 2) throw new IllegalArgumentException("a block of " + m + " plaquette(s) cannot be split");
        int a = m / 2;
        return logF(a, t) + logF(m - a, phi - t) - logFmPhi;
    }

    /**
     * Inverse CDF of g(. | phi) for a block of m >= 2 plaquettes at u in (0, 1): returns t wrapped to (-pi, pi].
     * The CDF starts at t = phi a/m - pi (opposite the mode), so u -> t is continuous except at that point.
     */
    public double sampleT(int m, double phi, double u) {
        if (m < 2) throw new IllegalArgumentException("a block of " + m + " plaquette(s) cannot be split");
        if (!(u > 0 && u < 1)) throw new IllegalArgumentException("u must be in (0, 1), got " + u);
        int a = m / 2, b = m - a;
        int k = cdfPoints(m);
        double c0 = phi * a / m - Math.PI;
        double h = 2.0 * Math.PI / k;
        double[] w = new double[k];
        double mx = samplingGrid(a, b, phi, c0, k, w);
        for (int j = 0; j < k; j++) w[j] = Math.exp(w[j] - mx);
        // DFT: w(s) ~ A0 + 2 sum_{q=1}^{k/2-1} (A_q cos qs + B_q sin qs), s = t - c0
        int nq = k / 2;
        double[] cs = new double[k], sn = new double[k];
        for (int j = 0; j < k; j++) { cs[j] = Math.cos(h * j); sn[j] = Math.sin(h * j); }
        double[] A = new double[nq], B = new double[nq];
        for (int q = 0; q < nq; q++) {
            double sa = 0, sb = 0;
            int idx = 0;
            for (int j = 0; j < k; j++) {
                sa += w[j] * cs[idx];
                sb += w[j] * sn[idx];
                idx += q;
                if (idx >= k) idx -= k;
            }
            A[q] = sa / k;
            B[q] = sb / k;
        }
        double total = 2.0 * Math.PI * A[0];
        double target = u * total;
        // bracket from the trapezoid cumulative sum
        double cum = 0;
        int cell = k - 1;
        for (int j = 0; j < k; j++) {
            double add = 0.5 * (w[j] + w[(j + 1) % k]) * h;
            if (cum + add > target) { cell = j; break; }
            cum += add;
        }
        double lo = Math.max(0.0, h * (cell - 1)), hi = Math.min(2.0 * Math.PI, h * (cell + 2));
        double[] wv = new double[2];
        cdf(A, B, lo, wv);
        if (wv[0] > target) lo = 0;
        cdf(A, B, hi, wv);
        if (wv[0] < target) hi = 2.0 * Math.PI;
        double s = 0.5 * (lo + hi);
        for (int it = 0; it < 100; it++) {
            cdf(A, B, s, wv);
            double f = wv[0] - target;
            if (f > 0) hi = s; else lo = s;
            double step = wv[1] > 0 ? f / wv[1] : Double.NaN;
            double sn2 = s - step;
            if (!(sn2 > lo && sn2 < hi)) sn2 = 0.5 * (lo + hi);
            if (Math.abs(sn2 - s) < 1e-15 || hi - lo < 1e-15) { s = sn2; break; }
            s = sn2;
        }
        return wrap(c0 + s);
    }

    /** out[0] = int_0^s w, out[1] = w(s) for the trigonometric interpolant with coefficients A, B. */
    private static void cdf(double[] A, double[] B, double s, double[] out) {
        double c1 = Math.cos(s), s1 = Math.sin(s);
        double c = 1, sn = 0, W = A[0] * s, w = A[0];
        for (int q = 1; q < A.length; q++) {
            double cn = c * c1 - sn * s1;
            sn = sn * c1 + c * s1;
            c = cn;
            W += 2.0 * (A[q] * sn + B[q] * (1.0 - c)) / q;
            w += 2.0 * (A[q] * c + B[q] * sn);
        }
        out[0] = W;
        out[1] = w;
    }

    /** log Z of 2D U(1) on a torus of V plaquettes (normalised Haar), see {@link Exact2D#u1LogZ}. */
    public double logZ(long volume) { return Exact2D.u1LogZ(beta, volume); }
}
