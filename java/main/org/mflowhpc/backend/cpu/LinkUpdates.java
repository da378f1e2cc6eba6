package org.mflowhpc.backend.cpu;

import static org.mflowhpc.group.U1.wrap;

import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.rng.RngStream;

/**
 * Single-link Monte Carlo kernels for the Wilson action, used by {@link CpuBackend#heatbath} and
 * {@link CpuBackend#overrelax} (and the reference for the device kernels that will mirror them).
 *
 * <p>Contract. The part of S that depends on one link U = U_mu(x) is -(beta/N) Re tr(U A) with A the staple sum
 * (docs/conventions.md), so the conditional density of U w.r.t. Haar measure is proportional to exp((beta/N) Re tr(U A)).
 * <ul>
 *   <li>U(1): A = |A| e^{i alpha}; the weight is exp(kappa cos(theta + alpha)), kappa = beta |A|. Heatbath draws
 *       phi = theta + alpha from the von Mises density exp(kappa cos phi)/(2 pi I0(kappa)) by the Best–Fisher
 *       (1979) wrapped-Cauchy rejection; overrelaxation maps theta -> -theta - 2 alpha (wrapped to (-pi, pi]),
 *       which keeps cos(theta + alpha). Cost: one atan2/hypot plus ~3 uniforms, a log and an acos per try.</li>
 *   <li>SU(3): Cabibbo–Marinari. For each SU(2) subgroup (i,j) in the order (0,1), (1,2), (0,2), U <- R U with R the
 *       embedding of r in SU(2). With W = U A and w its (i,j) block, Re tr(r w) = 2 (r0 a0 - r.a) where
 *       (a0, a) is the quaternion projection of w, k = |(a0, a)|, s = (a0, a)/k in SU(2). So r s = x has weight
 *       exp(alpha x0) on SU(2), alpha = 2 beta k / N (N = 3). Heatbath: x0 from sqrt(1-x0^2) e^{alpha x0} by
 *       Kennedy–Pendleton (alpha >= 2) or Creutz (alpha < 2), x's 3-vector uniform on the sphere of radius
 *       sqrt(1 - x0^2), then r = x s^dag. Overrelaxation: r = (s^dag)^2, so x -> s^dag (same x0, an involution).
 *       U is reunitarised ({@link SU3#reunitarize}) after the three subgroups. Flops per link, staple excluded:
 *       W = U A (198) + 3 x (block projection ~20, quaternion algebra ~40, two 2x3 row rotations 2 x 2 x 3 x 14)
 *       + reunitarise (~100): about 800, plus ~4 uniforms, 2 logs, 1 sqrt, 1 cos per KP try.</li>
 * </ul>
 * Quaternion convention: q = (q0, q1, q2, q3) is the SU(2) matrix q0 + i q.sigma =
 * [[q0 + i q3, q2 + i q1], [-q2 + i q1, q0 - i q3]].
 *
 * <p>All methods are pure functions of their inputs and of the random stream passed in, which is how the
 * checkerboard sweeps stay bit-identical for any thread count.
 */
public final class LinkUpdates {
    private LinkUpdates() {}

    /** Subgroup index pairs used by Cabibbo–Marinari, in update order. */
    static final int[][] SUBGROUPS = {{0, 1}, {1, 2}, {0, 2}};

    // ---------------------------------------------------------------- staples of a single link

    /**
     * U(1) staple sum of U_mu(x) in configuration b, as a complex number written to out[0] (re), out[1] (im);
     * the same quantity as {@link CpuBackend#staples} for that site.
     */
    public static void stapleU1(GaugeField u, int b, int mu, int x, double[] out) { stapleU1(u, b, mu, x, out, 0); }

    /** As above, writing (re, im) to out[oo], out[oo+1]. */
    public static void stapleU1(GaugeField u, int b, int mu, int x, double[] out, int oo) {
        Lattice lat = u.lattice;
        double[] f = CpuBackend.data(u);
        double re = 0, im = 0;
        int xm = lat.up(mu, x);
        for (int nu = 0; nu < lat.d; nu++) {
            if (nu == mu) continue;
            // up staple U_nu(x+mu) U_mu(x+nu)^* U_nu(x)^*
            double a = f[u.offset(b, nu, xm)] - f[u.offset(b, mu, lat.up(nu, x))] - f[u.offset(b, nu, x)];
            // down staple U_nu(x+mu-nu)^* U_mu(x-nu)^* U_nu(x-nu)
            int xd = lat.dn(nu, x);
            double c = -f[u.offset(b, nu, lat.dn(nu, xm))] - f[u.offset(b, mu, xd)] + f[u.offset(b, nu, xd)];
            re += Math.cos(a) + Math.cos(c);
            im += Math.sin(a) + Math.sin(c);
        }
        out[oo] = re;
        out[oo + 1] = im;
    }

    /**
     * SU(3) staple sum of U_mu(x) in configuration b into out[oo..oo+17]; t1, t2 are 18-double scratch arrays.
     * 2(d-1) x 414 flops.
     */
    public static void stapleSU3(GaugeField u, int b, int mu, int x, double[] out, int oo, double[] t1, double[] t2) {
        Lattice lat = u.lattice;
        double[] f = CpuBackend.data(u);
        for (int k = 0; k < 18; k++) out[oo + k] = 0;
        int xm = lat.up(mu, x);
        for (int nu = 0; nu < lat.d; nu++) {
            if (nu == mu) continue;
            // up: U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag
            SU3.mulDag(f, u.offset(b, nu, xm), f, u.offset(b, mu, lat.up(nu, x)), t1, 0);
            SU3.mulDag(t1, 0, f, u.offset(b, nu, x), t2, 0);
            SU3.addScaled(t2, 0, 1.0, out, oo);
            // down: U_nu(x+mu-nu)^dag U_mu(x-nu)^dag U_nu(x-nu) = (U_mu(x-nu) U_nu(x+mu-nu))^dag U_nu(x-nu)
            int xd = lat.dn(nu, x);
            SU3.mul(f, u.offset(b, mu, xd), f, u.offset(b, nu, lat.dn(nu, xm)), t1, 0);
            SU3.dagMul(t1, 0, f, u.offset(b, nu, xd), t2, 0);
            SU3.addScaled(t2, 0, 1.0, out, oo);
        }
    }

    // ---------------------------------------------------------------- U(1)

    /**
     * Von Mises variate phi in (-pi, pi] with density exp(kappa cos phi) / (2 pi I0(kappa)), kappa >= 0, by the
     * Best–Fisher algorithm (wrapped-Cauchy envelope; the exact acceptance test u2 <= c e^{1-c} is valid for any
     * envelope parameter, which is computed in a cancellation-free form). Uniform for kappa < 1e-12.
     */
    public static double vonMises(RngStream r, double kappa) {
        if (!(kappa >= 1e-12)) return r.angle();
        // tau = 1 + sqrt(1 + 4 k^2); rho = (tau - sqrt(2 tau)) / (2k); s = (1 + rho^2) / (2 rho)
        double q = Math.sqrt(1 + 4 * kappa * kappa);
        double tau = 1 + q;
        double tauMinus2 = 4 * kappa * kappa / (q + 1);            // tau - 2 without cancellation
        double rho = tau * tauMinus2 / (tau + Math.sqrt(2 * tau)) / (2 * kappa); // (tau^2 - 2 tau)/(tau + sqrt(2 tau))
        double s = (1 + rho * rho) / (2 * rho);
        while (true) {
            double u1 = r.uniform(), u2 = r.uniform(), u3 = r.uniform();
            double z = Math.cos(Math.PI * u1);
            double f = (1 + s * z) / (s + z);
            double c = kappa * (s - f);
            if (c * (2 - c) - u2 > 0 || Math.log(c / u2) + 1 - c >= 0) {
                if (f > 1) f = 1; else if (f < -1) f = -1;
                double phi = Math.acos(f);
                return u3 < 0.5 ? -phi : phi;
            }
        }
    }

    /** U(1) heatbath of one angle given its staple sum (ar, ai): returns the new angle in (-pi, pi]. */
    public static double heatbathU1(RngStream r, double beta, double ar, double ai) {
        double kappa = beta * Math.hypot(ar, ai);
        double alpha = Math.atan2(ai, ar);
        return wrap(vonMises(r, kappa) - alpha);
    }

    /** U(1) overrelaxation: theta -> -theta - 2 alpha, alpha = arg A (identity when A = 0). */
    public static double overrelaxU1(double theta, double ar, double ai) {
        if (ar == 0 && ai == 0) return theta;
        return wrap(-theta - 2 * Math.atan2(ai, ar));
    }

    // ---------------------------------------------------------------- SU(2) heatbath in x0

    /** Threshold in alpha between Creutz (below) and Kennedy–Pendleton (above). */
    static final double KP_THRESHOLD = 2.0;

    /**
     * x0 in [-1, 1] with density proportional to sqrt(1 - x0^2) exp(alpha x0), alpha >= 0: the real part of an SU(2)
     * element x drawn from exp(alpha x0) dHaar(x).
     */
    public static double su2X0(RngStream r, double alpha) {
        if (alpha >= KP_THRESHOLD) {
            // Kennedy–Pendleton: delta = 1 - x0 ~ Gamma(3/2, rate alpha) by -(log u1 + cos^2(2 pi u2) log u3)/alpha,
            // accepted with probability sqrt(1 - delta/2).
            while (true) {
                double u1 = r.uniform(), u2 = r.uniform(), u3 = r.uniform(), u4 = r.uniform();
                double c = Math.cos(2 * Math.PI * u2);
                double delta = -(Math.log(u1) + c * c * Math.log(u3)) / alpha;
                if (u4 * u4 <= 1 - 0.5 * delta) return 1 - delta;
            }
        }
        // Creutz: x0 from exp(alpha x0) on [-1, 1] by inversion, accepted with probability sqrt(1 - x0^2).
        double em = alpha > 1e-300 ? Math.expm1(-2 * alpha) : 0;
        while (true) {
            double u1 = r.uniform(), u2 = r.uniform();
            double x0 = em != 0 ? 1 + Math.log1p(u1 * em) / alpha : 2 * u1 - 1;
            if (x0 < -1) x0 = -1;
            if (u2 * u2 <= 1 - x0 * x0) return x0;
        }
    }

    /**
     * SU(2) element x (quaternion, into q[0..3]) from exp(alpha x0) dHaar: x0 by {@link #su2X0}, the 3-vector
     * uniform on the sphere of radius sqrt(1 - x0^2).
     */
    public static void su2Heatbath(RngStream r, double alpha, double[] q) {
        double x0 = su2X0(r, alpha);
        double rad = Math.sqrt(Math.max(0, 1 - x0 * x0));
        double ct = 2 * r.uniform() - 1;
        double st = Math.sqrt(Math.max(0, 1 - ct * ct));
        double ph = 2 * Math.PI * r.uniform();
        q[0] = x0;
        q[1] = rad * st * Math.cos(ph);
        q[2] = rad * st * Math.sin(ph);
        q[3] = rad * ct;
    }

    // ---------------------------------------------------------------- SU(3) Cabibbo–Marinari

    /**
     * Heatbath of the SU(3) link at u[uo..uo+17] with staple sum a[ao..ao+17] under exp((beta/3) Re tr(U A)), in
     * place. w is 18-double scratch, q 8-double scratch.
     */
    public static void heatbathSU3(RngStream r, double beta, double[] u, int uo, double[] a, int ao, double[] w, double[] q) {
        SU3.mul(u, uo, a, ao, w, 0);
        for (int[] sg : SUBGROUPS) {
            int i = sg[0], j = sg[1];
            double k = blockQuaternion(w, i, j, q); // s in q[0..3]
            double s0, s1, s2, s3;
            if (k > 1e-300) { s0 = q[0] / k; s1 = q[1] / k; s2 = q[2] / k; s3 = q[3] / k; }
            else { s0 = 1; s1 = 0; s2 = 0; s3 = 0; k = 0; }
            su2Heatbath(r, 2.0 * beta * k / 3.0, q);
            // r = x s^dag, s^dag = (s0, -s1, -s2, -s3)
            quatMul(q[0], q[1], q[2], q[3], s0, -s1, -s2, -s3, q, 4);
            rotateRows(u, uo, i, j, q, 4);
            rotateRows(w, 0, i, j, q, 4);
        }
        SU3.reunitarize(u, uo);
    }

    /**
     * Overrelaxation of the SU(3) link at u[uo..] with staple a[ao..]: for each subgroup, r = (s^dag)^2, which keeps
     * Re tr(U A) (microcanonical). w is 18-double scratch, q 8-double scratch.
     */
    public static void overrelaxSU3(double[] u, int uo, double[] a, int ao, double[] w, double[] q) {
        SU3.mul(u, uo, a, ao, w, 0);
        for (int[] sg : SUBGROUPS) {
            int i = sg[0], j = sg[1];
            double k = blockQuaternion(w, i, j, q);
            if (!(k > 1e-300)) continue;
            double s0 = q[0] / k, s1 = -q[1] / k, s2 = -q[2] / k, s3 = -q[3] / k; // s^dag
            quatMul(s0, s1, s2, s3, s0, s1, s2, s3, q, 4);
            rotateRows(u, uo, i, j, q, 4);
            rotateRows(w, 0, i, j, q, 4);
        }
        SU3.reunitarize(u, uo);
    }

    /**
     * Quaternion projection (a0, a1, a2, a3) of the (i,j) block w of the 3x3 matrix m into q[0..3], such that
     * Re tr(r w) = 2 (r0 a0 - r1 a1 - r2 a2 - r3 a3) for every r in SU(2); returns k = |a|.
     */
    static double blockQuaternion(double[] m, int i, int j, double[] q) {
        int ii = 2 * (3 * i + i), ij = 2 * (3 * i + j), ji = 2 * (3 * j + i), jj = 2 * (3 * j + j);
        double a0 = 0.5 * (m[ii] + m[jj]);
        double a3 = 0.5 * (m[ii + 1] - m[jj + 1]);
        double a1 = 0.5 * (m[ij + 1] + m[ji + 1]);
        double a2 = 0.5 * (m[ij] - m[ji]);
        q[0] = a0; q[1] = a1; q[2] = a2; q[3] = a3;
        return Math.sqrt(a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3);
    }

    /** Quaternion product (a)(b) into out[o..o+3]: (a0 b0 - a.b, a0 b + b0 a - a x b). */
    static void quatMul(double a0, double a1, double a2, double a3, double b0, double b1, double b2, double b3,
                        double[] out, int o) {
        out[o] = a0 * b0 - a1 * b1 - a2 * b2 - a3 * b3;
        out[o + 1] = a0 * b1 + b0 * a1 - (a2 * b3 - a3 * b2);
        out[o + 2] = a0 * b2 + b0 * a2 - (a3 * b1 - a1 * b3);
        out[o + 3] = a0 * b3 + b0 * a3 - (a1 * b2 - a2 * b1);
    }

    /** Rows i, j of the 3x3 matrix m[mo..] <- R rows, R the embedding of the SU(2) quaternion q[qo..qo+3]. */
    static void rotateRows(double[] m, int mo, int i, int j, double[] q, int qo) {
        double q0 = q[qo], q1 = q[qo + 1], q2 = q[qo + 2], q3 = q[qo + 3];
        // r00 = q0 + i q3, r01 = q2 + i q1, r10 = -q2 + i q1, r11 = q0 - i q3
        for (int c = 0; c < 3; c++) {
            int pi = mo + 2 * (3 * i + c), pj = mo + 2 * (3 * j + c);
            double xr = m[pi], xi = m[pi + 1], yr = m[pj], yi = m[pj + 1];
            m[pi] = q0 * xr - q3 * xi + q2 * yr - q1 * yi;
            m[pi + 1] = q0 * xi + q3 * xr + q2 * yi + q1 * yr;
            m[pj] = -q2 * xr - q1 * xi + q0 * yr + q3 * yi;
            m[pj + 1] = -q2 * xi + q1 * xr + q0 * yi - q3 * yr;
        }
    }
}
