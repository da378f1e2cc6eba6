package org.mflowhpc.observable.exact;

import java.util.ArrayList;
import java.util.List;

import org.mflowhpc.math.Bessel;

/**
 * Character expansion of the 2D SU(3) Wilson action and the block densities it gives (docs/physics.md, "Exact 2D
 * SU(3)"). Action per plaquette (beta/3) Re tr W, densities with respect to normalised Haar measure.
 *
 * <ul>
 *   <li>Irreps r = (p, q), highest weight lambda = (p + q, q, 0), dimension d_r = (p+1)(q+1)(p+q+2)/2; characters from
 *       the trace t = tr W alone (det W = 1): complete symmetric polynomials h_0 = 1, h_1 = t, h_2 = t^2 - conj(t),
 *       h_k = t h_{k-1} - conj(t) h_{k-2} + h_{k-3}, and chi_(l1,l2,0) = h_l1 h_l2 - h_{l1+1} h_{l2-1} (Jacobi-Trudi);
 *       chi_(q,p) = conj chi_(p,q). About 12 complex flops per k.
 *   <li>Coefficients e^{(beta/3) Re tr W} = sum_r b_r chi_r(W), b_r = sum_{k in Z} det[I_{lambda_i + k - i + j}(beta/3)]_{i,j=1..3}
 *       (the k sum folds U(3) into SU(3)); b_0 = z0 of {@link Exact2D#suNLogZ0}. rho_r = b_r / (d_r b_0), rho_0 = 1, 0 <= rho_r < 1,
 *       rho_(1,0) = the infinite-volume plaquette.
 *   <li>Block density of m plaquettes (the m-fold convolution of f_1 = e^{(beta/3) Re tr W} / z0):
 *       f_m(W) = sum_r d_r rho_r^m chi_r(W) (real, positive, f_m(W) <= f_m(1), integral 1), using
 *       chi_r * chi_s = delta_rs chi_r / d_r.
 *   <li>Torus: Z = sum_r (b_r / d_r)^V, log Z = V log z0 + log sum_r rho_r^V (V plaquettes).
 * </ul>
 * Truncation: irreps are kept by shells l1 = p + q until a whole shell has max_r d_r^2 rho_r below 1e-16 (the bound
 * on its terms in f_1); each b_r is a sum of O(beta) determinants whose rounding error is ~1e-16 b_0, so f_m is good
 * to ~1e-12 relative for beta <= 16 (tested against the closed form of f_1).
 */
public final class SU3Characters {
    private final double beta;
    private final int[] p, q, dim;
    private final double[] rho;
    private final int lmax;

    public SU3Characters(double beta) {
        if (!(beta >= 0) || Double.isInfinite(beta)) throw new IllegalArgumentException("beta must be finite and >= 0, got " + beta);
        this.beta = beta;
        double x = beta / 3;
        int kmax = (int) (2 * x + 10 * Math.sqrt(x) + 40);
        int shells = 400, omax = shells + kmax + 4;
        double[] l = Bessel.logInScaled(omax, x);
        double[] it = new double[omax + 1];
        for (int n = 0; n <= omax; n++) it[n] = Math.exp(l[n]);
        double b0 = coefficient(it, 0, 0, kmax);
        List<double[]> reps = new ArrayList<>();
        int small = 0, l1 = 0;
        for (; l1 < shells; l1++) {
            double worst = 0;
            for (int qq = 0; qq <= l1; qq++) {
                int pp = l1 - qq, d = (pp + 1) * (qq + 1) * (pp + qq + 2) / 2;
                double r = Math.max(0, coefficient(it, l1, qq, kmax) / (d * b0));
                reps.add(new double[] {pp, qq, d, r});
                worst = Math.max(worst, (double) d * d * r);
            }
            if (worst < 1e-16) { if (++small >= 2) break; } else small = 0;
        }
        if (l1 == shells) throw new IllegalStateException("SU(3) character expansion did not converge at beta=" + beta);
        this.lmax = l1;
        int n = reps.size();
        p = new int[n]; q = new int[n]; dim = new int[n]; rho = new double[n];
        for (int i = 0; i < n; i++) {
            double[] r = reps.get(i);
            p[i] = (int) r[0]; q[i] = (int) r[1]; dim[i] = (int) r[2]; rho[i] = r[3];
        }
        rho[0] = 1;
    }

    /** b_(l1,l2,0) e^{-beta}: sum over k of the 3x3 Bessel determinants (scaled Bessel functions it[n] = e^{-x} I_n(x)). */
    private static double coefficient(double[] it, int l1, int l2, int kmax) {
        int[] lam = {l1, l2, 0};
        double s = 0;
        double[][] a = new double[3][3];
        for (int k = -kmax - l1; k <= kmax; k++) {
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) a[i][j] = it[Math.abs(lam[i] + k - i + j)];
            s += a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
                    + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
        }
        return s;
    }

    /**
     * rho_(1,0)(beta) = b_(1,0) / (3 b_0) alone (the plaquette expectation of one Wilson plaquette, and the factor by
     * which each plaquette of area 1 multiplies a fundamental Wilson loop in 2D), without building the whole table:
     * two Bessel-determinant sums, O(beta) work.
     */
    public static double fundamentalRatio(double beta) {
        if (!(beta >= 0) || Double.isInfinite(beta)) throw new IllegalArgumentException("beta must be finite and >= 0, got " + beta);
        if (beta == 0) return 0;
        double x = beta / 3;
        int kmax = (int) (2 * x + 10 * Math.sqrt(x) + 40), omax = kmax + 8;
        double[] l = Bessel.logInScaled(omax, x);
        double[] it = new double[omax + 1];
        for (int n = 0; n <= omax; n++) it[n] = Math.exp(l[n]);
        return coefficient(it, 1, 0, kmax) / (3 * coefficient(it, 0, 0, kmax));
    }

    public double beta() { return beta; }
    /** Number of irreps kept. */
    public int size() { return rho.length; }
    public int p(int i) { return p[i]; }
    public int q(int i) { return q[i]; }
    public int dim(int i) { return dim[i]; }
    public double rho(int i) { return rho[i]; }
    /** Largest l1 = p + q kept. */
    public int maxShell() { return lmax; }

    /** rho of irrep (p, q), 0 beyond the truncation. */
    public double rho(int pp, int qq) {
        for (int i = 0; i < rho.length; i++) if (p[i] == pp && q[i] == qq) return rho[i];
        return 0;
    }

    /**
     * Characters of every kept irrep at the matrix with trace (re, im): out[2i], out[2i+1] = Re, Im chi_i.
     * out has length >= 2 size().
     */
    public void characters(double re, double im, double[] out) {
        int n = lmax + 2;
        double[] hr = new double[n + 1], hi = new double[n + 1];
        hr[0] = 1;
        for (int k = 1; k <= n; k++) {
            // h_k = t h_{k-1} - conj(t) h_{k-2} + h_{k-3}
            double r = re * hr[k - 1] - im * hi[k - 1], s = re * hi[k - 1] + im * hr[k - 1];
            if (k >= 2) { r -= re * hr[k - 2] + im * hi[k - 2]; s -= re * hi[k - 2] - im * hr[k - 2]; }
            if (k >= 3) { r += hr[k - 3]; s += hi[k - 3]; }
            hr[k] = r; hi[k] = s;
        }
        for (int i = 0; i < rho.length; i++) {
            int l1 = p[i] + q[i], l2 = q[i];
            double cr = hr[l1] * hr[l2] - hi[l1] * hi[l2], ci = hr[l1] * hi[l2] + hi[l1] * hr[l2];
            if (l2 >= 1) {
                cr -= hr[l1 + 1] * hr[l2 - 1] - hi[l1 + 1] * hi[l2 - 1];
                ci -= hr[l1 + 1] * hi[l2 - 1] + hi[l1 + 1] * hr[l2 - 1];
            }
            out[2 * i] = cr; out[2 * i + 1] = ci;
        }
    }

    /**
     * Weights d_r rho_r^m of f_m, cut after the last irrep whose term bound d_r^2 rho_r^m exceeds 1e-18 f_m(1)
     * (irreps are ordered by shell), cached per m.
     */
    private double[] weights(long m) {
        return weightCache.computeIfAbsent(m, mm -> {
            double[] w = new double[rho.length];
            double max = 0;
            for (int i = 0; i < rho.length; i++) {
                w[i] = rho[i] == 0 ? 0 : dim[i] * Math.exp(mm * Math.log(rho[i]));
                max += dim[i] * w[i];
            }
            int n = rho.length;
            while (n > 1 && dim[n - 1] * w[n - 1] < 1e-18 * max) n--;
            return java.util.Arrays.copyOf(w, n);
        });
    }

    private final java.util.concurrent.ConcurrentHashMap<Long, double[]> weightCache = new java.util.concurrent.ConcurrentHashMap<>();
    private final ThreadLocal<double[][]> scratch = ThreadLocal.withInitial(() -> new double[2][maxShell() + 3]);

    /**
     * f_m(W) = sum_r d_r rho_r^m Re chi_r(W) for W with trace (re, im); m >= 1. Cost: ~12 flops per shell for the
     * h_k plus ~8 per irrep kept for m (a few hundred at beta = 2, m = 1; fewer for larger m).
     */
    public double blockDensity(long m, double re, double im) {
        if (m < 1) throw new IllegalArgumentException("block of m >= 1 plaquettes, got " + m);
        double[] w = weights(m);
        int n = w.length, top = p[n - 1] + q[n - 1] + 1;
        double[][] sc = scratch.get();
        double[] hr = sc[0], hi = sc[1];
        hr[0] = 1; hi[0] = 0;
        for (int k = 1; k <= top; k++) {
            double r = re * hr[k - 1] - im * hi[k - 1], t = re * hi[k - 1] + im * hr[k - 1];
            if (k >= 2) { r -= re * hr[k - 2] + im * hi[k - 2]; t -= re * hi[k - 2] - im * hr[k - 2]; }
            if (k >= 3) { r += hr[k - 3]; t += hi[k - 3]; }
            hr[k] = r; hi[k] = t;
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            int l1 = p[i] + q[i], l2 = q[i];
            double cr = hr[l1] * hr[l2] - hi[l1] * hi[l2];
            if (l2 >= 1) cr -= hr[l1 + 1] * hr[l2 - 1] - hi[l1 + 1] * hi[l2 - 1];
            s += w[i] * cr;
        }
        return s;
    }

    /** f_m(1) = sum_r d_r^2 rho_r^m, the maximum of f_m. */
    public double blockDensityMax(long m) { return blockDensity(m, 3, 0); }

    /** log sum_r rho_r^V (the finite-volume part of the torus log Z; 0 in infinite volume). */
    public double logTorusSum(long V) {
        double s = 0;
        for (double r : rho) if (r > 0) s += Math.exp(V * Math.log(r));
        return Math.log(s);
    }

    /** log Z of the V-plaquette torus: V log z0 + log sum_r rho_r^V (normalised Haar measure). */
    public double logZ(long V) { return V * Exact2D.suNLogZ0(3, beta) + logTorusSum(V); }
}
