package org.mflowhpc.math;

/**
 * Analytic base maps of the U(1) multiscale doubling flows: circle diffeomorphisms B_s that push the uniform density
 * on (-pi, pi) to a unimodal density centred at 0 with log-scale s, and the analytic scale s0 that makes B_s
 * approximate the exact 2D conditional of a split block (docs/physics.md §3). Pure per-element math, shared by the
 * CPU kernels (backend) and the 2D U(1) model; no allocation.
 *
 * <p>Maps (on lifts: B_s(u + 2 pi n) = B_s(u) + 2 pi n; u0 = u reduced to [-pi, pi)):
 * <ul>
 *   <li>logistic: v = 2 sigma atanh(tanh(pi/(2 sigma)) u0/pi), sigma = e^s: the logistic density 1/cosh^2(v/(2 sigma))
 *       truncated to (-pi, pi) (light tails: reverse KL ~0.01 against the von Mises at every kappa >= 2 with s0);
 *   <li>cauchy: v = 2 atan2(e^s sin(u0/2), cos(u0/2)) (NCP): the wrapped Cauchy.
 * </ul>
 * {@link #forward} fills out = {v, log dv/du, dv/ds, d(log dv/du)/ds, d(log dv/du)/du}.
 *
 * <p>Analytic scale ({@link #scale}): the split of a block whose coarse plaquette angle is phi into two halves of
 * area a has, in 2D and for a = 1 exactly, the von Mises conditional e^{kappa cos(t - phi/2)} with
 * kappa = 2 beta_a |cos(phi/2)|, where beta_a solves I_1/I_0(beta_a) = (I_1/I_0(beta))^a (the block's effective
 * coupling, {@link #effectiveCoupling}). logistic: sigma = sqrt(3/kappa)/pi (1 + 0.45/kappa) (variance matched,
 * widened at small kappa, fitted by minimising the reverse KL); cauchy: s0 = log((1 - rho)/(1 + rho)),
 * rho = I_1/I_0(kappa). beta_a = 0 (no analytic base): s0 = 3 (logistic, nearly uniform) or 0 (cauchy, uniform).
 * Cost: ~30 flops + 2 transcendentals per element (the Bessel ratio for cauchy: a continued fraction).
 */
public final class CircleBase {
    private CircleBase() {}

    /** Largest |x| of the logistic map (1 - 2^-53; kernels/multiscale.cuh uses the same bound). */
    static final double X_MAX = 1.0 - 0x1p-53;

    /** out = {v, log B', dv/ds, d log B'/ds, d log B'/du} at u (any lift). */
    public static void forward(boolean logistic, double u, double s, double[] out) {
        double n = Math.floor((u + Math.PI) / (2 * Math.PI));
        double u0 = u - 2 * Math.PI * n;
        if (logistic) logistic(u0, s, out); else cauchy(u0, s, out);
        out[0] += 2 * Math.PI * n;
    }

    /** u = B_s^{-1}(v) (any lift). */
    public static double inverse(boolean logistic, double v, double s) {
        double n = Math.floor((v + Math.PI) / (2 * Math.PI));
        double v0 = v - 2 * Math.PI * n;
        double u0;
        if (logistic) {
            double c = 0.5 * Math.PI * Math.exp(-s);
            u0 = c < 1e-12 ? v0 : Math.PI * Math.tanh(c * v0 / Math.PI) / Math.tanh(c);
        } else {
            u0 = 2 * Math.atan2(Math.exp(-s) * Math.sin(0.5 * v0), Math.cos(0.5 * v0));
        }
        return u0 + 2 * Math.PI * n;
    }

    private static void cauchy(double u, double s, double[] out) {
        double e = Math.exp(s), sn = Math.sin(0.5 * u), cs = Math.cos(0.5 * u);
        double d = cs * cs + e * e * sn * sn;
        out[0] = 2 * Math.atan2(e * sn, cs);
        out[1] = s - Math.log(d);
        out[2] = 2 * e * sn * cs / d;
        out[3] = 1 - 2 * e * e * sn * sn / d;
        out[4] = -(e * e - 1) * sn * cs / d;
    }

    /** Truncated logistic, u in [-pi, pi): log dv/du = log(tanh(c)/c) - log(1 - x^2), x = tanh(c) u / pi, c = pi/(2 sigma). */
    private static void logistic(double u, double s, double[] out) {
        double c = 0.5 * Math.PI * Math.exp(-s);
        if (c < 1e-12) { out[0] = u; out[1] = 0; out[2] = 0; out[3] = 0; out[4] = 0; return; }
        double z = Math.tanh(c), x = z * u / Math.PI;
        // |x| <= 1 - 2^-53: once tanh(c) rounds to 1 (c > ~19) an edge u = -pi (or a lift one ulp below it) would give
        // x = -1, an infinite v and log B' and NaN downstream; the clamp moves only that measure-zero edge
        x = Math.max(-X_MAX, Math.min(X_MAX, x));
        double omx2 = (1 - x) * (1 + x);
        double at = 0.5 * (Math.log1p(x) - Math.log1p(-x)); // atanh x
        double v = Math.PI / c * at;
        double dz = -c * (1 - z) * (1 + z);            // dz/ds
        double dx = u / Math.PI * dz;                  // dx/ds
        out[0] = v;
        out[1] = Math.log(z / c) - Math.log(omx2);
        out[2] = v + Math.PI / c / omx2 * dx;
        out[3] = 1 + dz / z + 2 * x / omx2 * dx;       // d/ds log(tanh c / c) = dz/z + 1
        out[4] = 2 * x / omx2 * z / Math.PI;
    }

    /** A(kappa) = I_1(kappa)/I_0(kappa). */
    public static double besselRatio(double kappa) { return Bessel.ratios(kappa, 1)[1]; }

    /** beta_a with A(beta_a) = A(beta)^a: the effective coupling of a block of a plaquettes (exact moment in 2D). */
    public static double effectiveCoupling(double beta, double a) {
        if (a == 1) return beta; // one plaquette: exactly beta (the bisection below agrees only to ~1e-14)
        return inverseBesselRatio(Math.pow(besselRatio(beta), a));
    }

    /**
     * Migdal-Kadanoff effective coupling of a block of a plaquettes in d dimensions: A(beta_a) = A(a^{(d-2)/2} beta)^a
     * (the plaquettes of the block's plane strengthened by bond moving over the (linear size)^{d-2} parallel planes,
     * then decimated as in 2D); d = 2 gives {@link #effectiveCoupling}.
     */
    public static double migdalKadanoffCoupling(double beta, double a, int d) {
        return effectiveCoupling(Math.pow(a, (d - 2) / 2.0) * beta, a);
    }

    /** kappa with A(kappa) = y, y in [0, 1). */
    public static double inverseBesselRatio(double y) {
        if (y <= 0) return 0;
        double lo = 0, hi = 1;
        while (besselRatio(hi) < y) { lo = hi; hi *= 2; if (hi > 1e8) return hi; }
        for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
            double mid = 0.5 * (lo + hi);
            if (besselRatio(mid) < y) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /**
     * out[0] = s0, out[1] = d s0 / d kappa for kappa = 2 betaA |cos(phi/2)| >= 0 (see the class comment); betaA = 0:
     * the flat base (s0 = 3 logistic, 0 cauchy), derivative 0.
     */
    public static void scale(boolean logistic, double betaA, double kappa, double[] out) {
        if (betaA == 0) { out[0] = logistic ? 3.0 : 0.0; out[1] = 0; return; }
        if (logistic) {
            if (kappa < 1e-100) { out[0] = 400; out[1] = 0; return; } // sigma = e^400: the identity map
            out[0] = 0.5 * Math.log(3 / kappa) - Math.log(Math.PI) + Math.log1p(0.45 / kappa);
            out[1] = -0.5 / kappa - 0.45 / (kappa * kappa + 0.45 * kappa);
        } else {
            double rho = besselRatio(kappa);
            double dRho = kappa < 1e-8 ? 0.5 : 1 - rho / kappa - rho * rho;
            out[0] = Math.log1p(-rho) - Math.log1p(rho);
            out[1] = -2.0 / ((1 - rho) * (1 + rho)) * dRho;
        }
    }
}
