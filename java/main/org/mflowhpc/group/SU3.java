package org.mflowhpc.group;

import org.mflowhpc.rng.RngStream;

/**
 * SU(3) algebra on 3x3 complex matrices stored as 18 doubles (row-major, re/im interleaved) at an offset in a
 * double[] (see {@link Group}). All methods are allocation-free and allow the output to alias no input unless
 * stated. Flop counts (real): multiply 198, multiply-accumulate 216, Re tr(AB) 36, reunitarise ~100.
 *
 * <p>Algebra conventions: generators t_a = i lambda_a / 2 (anti-Hermitian, tr(t_a t_b) = -delta_ab/2). An algebra
 * element X = x_a t_a is stored as its 3x3 matrix. HMC momenta P are such matrices with kinetic energy -tr(P^2) =
 * (1/2) sum_a p_a^2. {@link #projectTA} is the traceless anti-Hermitian part (M - M^dag)/2 - tr(M - M^dag)/6.
 */
public final class SU3 {
    private SU3() {}

    public static void setIdentity(double[] c, int co) {
        for (int i = 0; i < 18; i++) c[co + i] = 0;
        c[co] = 1; c[co + 8] = 1; c[co + 16] = 1;
    }

    public static void copy(double[] a, int ao, double[] c, int co) { System.arraycopy(a, ao, c, co, 18); }

    /** C = A B. */
    public static void mul(double[] a, int ao, double[] b, int bo, double[] c, int co) {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                double re = 0, im = 0;
                for (int k = 0; k < 3; k++) {
                    int x = ao + 2 * (3 * i + k), y = bo + 2 * (3 * k + j);
                    re += a[x] * b[y] - a[x + 1] * b[y + 1];
                    im += a[x] * b[y + 1] + a[x + 1] * b[y];
                }
                c[co + 2 * (3 * i + j)] = re;
                c[co + 2 * (3 * i + j) + 1] = im;
            }
    }

    /** C = A B^dag. */
    public static void mulDag(double[] a, int ao, double[] b, int bo, double[] c, int co) {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                double re = 0, im = 0;
                for (int k = 0; k < 3; k++) {
                    int x = ao + 2 * (3 * i + k), y = bo + 2 * (3 * j + k); // conj(B[j][k])
                    re += a[x] * b[y] + a[x + 1] * b[y + 1];
                    im += a[x + 1] * b[y] - a[x] * b[y + 1];
                }
                c[co + 2 * (3 * i + j)] = re;
                c[co + 2 * (3 * i + j) + 1] = im;
            }
    }

    /** C = A^dag B. */
    public static void dagMul(double[] a, int ao, double[] b, int bo, double[] c, int co) {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                double re = 0, im = 0;
                for (int k = 0; k < 3; k++) {
                    int x = ao + 2 * (3 * k + i), y = bo + 2 * (3 * k + j); // conj(A[k][i])
                    re += a[x] * b[y] + a[x + 1] * b[y + 1];
                    im += a[x] * b[y + 1] - a[x + 1] * b[y];
                }
                c[co + 2 * (3 * i + j)] = re;
                c[co + 2 * (3 * i + j) + 1] = im;
            }
    }

    /** C = A^dag. */
    public static void dagger(double[] a, int ao, double[] c, int co) {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                c[co + 2 * (3 * i + j)] = a[ao + 2 * (3 * j + i)];
                c[co + 2 * (3 * i + j) + 1] = -a[ao + 2 * (3 * j + i) + 1];
            }
    }

    /** C += s A. */
    public static void addScaled(double[] a, int ao, double s, double[] c, int co) {
        for (int i = 0; i < 18; i++) c[co + i] += s * a[ao + i];
    }

    public static double reTrace(double[] a, int ao) { return a[ao] + a[ao + 8] + a[ao + 16]; }

    public static double imTrace(double[] a, int ao) { return a[ao + 1] + a[ao + 9] + a[ao + 17]; }

    /** Re tr(A B) without forming the product (36 flops). */
    public static double reTraceMul(double[] a, int ao, double[] b, int bo) {
        double s = 0;
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 3; k++) {
                int x = ao + 2 * (3 * i + k), y = bo + 2 * (3 * k + i);
                s += a[x] * b[y] - a[x + 1] * b[y + 1];
            }
        return s;
    }

    /** Determinant (re, im) into out[0..1]. */
    public static void det(double[] a, int o, double[] out) {
        // det = a00 (a11 a22 - a12 a21) - a01 (a10 a22 - a12 a20) + a02 (a10 a21 - a11 a20)
        double[] m = new double[18];
        System.arraycopy(a, o, m, 0, 18);
        double c0r = cmr(m, 4, 8) - cmr(m, 5, 7), c0i = cmi(m, 4, 8) - cmi(m, 5, 7);
        double c1r = cmr(m, 3, 8) - cmr(m, 5, 6), c1i = cmi(m, 3, 8) - cmi(m, 5, 6);
        double c2r = cmr(m, 3, 7) - cmr(m, 4, 6), c2i = cmi(m, 3, 7) - cmi(m, 4, 6);
        out[0] = m[0] * c0r - m[1] * c0i - (m[2] * c1r - m[3] * c1i) + m[4] * c2r - m[5] * c2i;
        out[1] = m[0] * c0i + m[1] * c0r - (m[2] * c1i + m[3] * c1r) + m[4] * c2i + m[5] * c2r;
    }

    private static double cmr(double[] m, int p, int q) { return m[2 * p] * m[2 * q] - m[2 * p + 1] * m[2 * q + 1]; }
    private static double cmi(double[] m, int p, int q) { return m[2 * p] * m[2 * q + 1] + m[2 * p + 1] * m[2 * q]; }

    /**
     * Projects a near-SU(3) matrix back onto SU(3) in place: Gram-Schmidt on rows 0 and 1, row 2 = conj(row0 x row1).
     */
    public static void reunitarize(double[] a, int o) {
        double n0 = 0;
        for (int k = 0; k < 6; k++) n0 += a[o + k] * a[o + k];
        n0 = 1.0 / Math.sqrt(n0);
        for (int k = 0; k < 6; k++) a[o + k] *= n0;
        // row1 -= <row0,row1> row0, with <u,v> = sum conj(u_k) v_k
        double pr = 0, pi = 0;
        for (int k = 0; k < 3; k++) {
            double ur = a[o + 2 * k], ui = a[o + 2 * k + 1], vr = a[o + 6 + 2 * k], vi = a[o + 6 + 2 * k + 1];
            pr += ur * vr + ui * vi;
            pi += ur * vi - ui * vr;
        }
        for (int k = 0; k < 3; k++) {
            double ur = a[o + 2 * k], ui = a[o + 2 * k + 1];
            a[o + 6 + 2 * k] -= pr * ur - pi * ui;
            a[o + 6 + 2 * k + 1] -= pr * ui + pi * ur;
        }
        double n1 = 0;
        for (int k = 6; k < 12; k++) n1 += a[o + k] * a[o + k];
        n1 = 1.0 / Math.sqrt(n1);
        for (int k = 6; k < 12; k++) a[o + k] *= n1;
        crossConj(a, o);
    }

    /** row2 = conj(row0 x row1), which makes det = 1 for orthonormal rows 0, 1. */
    private static void crossConj(double[] a, int o) {
        for (int k = 0; k < 3; k++) {
            int p = (k + 1) % 3, q = (k + 2) % 3;
            double ar = a[o + 2 * p], ai = a[o + 2 * p + 1], br = a[o + 6 + 2 * q], bi = a[o + 6 + 2 * q + 1];
            double cr = a[o + 2 * q], ci = a[o + 2 * q + 1], dr = a[o + 6 + 2 * p], di = a[o + 6 + 2 * p + 1];
            double re = (ar * br - ai * bi) - (cr * dr - ci * di);
            double im = (ar * bi + ai * br) - (cr * di + ci * dr);
            a[o + 12 + 2 * k] = re;
            a[o + 12 + 2 * k + 1] = -im;
        }
    }

    /** Haar-random SU(3): rows 0, 1 Gram-Schmidt of complex Gaussian vectors (Haar on the Stiefel manifold), row 2 = conj(row0 x row1). */
    public static void haar(RngStream r, double[] a, int o) {
        for (int k = 0; k < 12; k++) a[o + k] = r.gaussian();
        reunitarize(a, o);
    }

    /** C = traceless anti-Hermitian part of A: (A - A^dag)/2 - (1/3) i Im tr A. */
    public static void projectTA(double[] a, int ao, double[] c, int co) {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                int x = 2 * (3 * i + j), y = 2 * (3 * j + i);
                double re = 0.5 * (a[ao + x] - a[ao + y]);
                double im = 0.5 * (a[ao + x + 1] + a[ao + y + 1]);
                c[co + x] = re;
                c[co + x + 1] = im;
            }
        double t = (c[co + 1] + c[co + 9] + c[co + 17]) / 3.0;
        c[co + 1] -= t; c[co + 9] -= t; c[co + 17] -= t;
    }

    /** Gaussian algebra element P = sum_a p_a t_a with p_a ~ N(0,1); kinetic energy -tr(P^2) = sum p_a^2 / 2. */
    public static void gaussianAlgebra(RngStream r, double[] c, int co) {
        double[] p = new double[8];
        for (int k = 0; k < 8; k++) p[k] = r.gaussian();
        fromCoefficients(p, c, co);
    }

    /** Matrix of sum_a p_a t_a, t_a = i lambda_a / 2 (Gell-Mann lambdas). */
    public static void fromCoefficients(double[] p, double[] c, int co) {
        for (int i = 0; i < 18; i++) c[co + i] = 0;
        double s3 = 1.0 / Math.sqrt(3.0);
        // i/2 * lambda: lambda1 (01,10 real 1), lambda2 (01 -i, 10 +i), lambda3 diag(1,-1,0),
        // lambda4 (02,20 real), lambda5 (02 -i, 20 +i), lambda6 (12,21 real), lambda7 (12 -i, 21 +i), lambda8 diag(1,1,-2)/sqrt3
        setC(c, co, 0, 1, 0.5 * p[1], 0.5 * p[0]);   // i/2 (p0 - i p1) = p1/2 + i p0/2
        setC(c, co, 1, 0, -0.5 * p[1], 0.5 * p[0]);
        setC(c, co, 0, 2, 0.5 * p[4], 0.5 * p[3]);
        setC(c, co, 2, 0, -0.5 * p[4], 0.5 * p[3]);
        setC(c, co, 1, 2, 0.5 * p[6], 0.5 * p[5]);
        setC(c, co, 2, 1, -0.5 * p[6], 0.5 * p[5]);
        setC(c, co, 0, 0, 0, 0.5 * (p[2] + s3 * p[7]));
        setC(c, co, 1, 1, 0, 0.5 * (-p[2] + s3 * p[7]));
        setC(c, co, 2, 2, 0, 0.5 * (-2 * s3 * p[7]));
    }

    private static void setC(double[] c, int co, int i, int j, double re, double im) {
        c[co + 2 * (3 * i + j)] = re;
        c[co + 2 * (3 * i + j) + 1] = im;
    }

    /** -tr(P^2) for an anti-Hermitian P (= sum_a p_a^2 / 2). */
    public static double kinetic(double[] p, int o) {
        double s = 0;
        for (int i = 0; i < 18; i++) s += p[o + i] * p[o + i];
        return s; // -tr(P^2) = tr(P P^dag) = sum |P_ij|^2
    }

    /**
     * C = exp(X) for an anti-Hermitian traceless X by scaling and squaring of a degree-16 Taylor series, then
     * not reunitarised (so exp(-X) exp(X) = 1 to rounding, as HMC reversibility needs); accurate to rounding for |X| up to ~10 (HMC steps use |X| << 1).
     */
    public static void exp(double[] x, int xo, double[] c, int co) {
        double norm = 0;
        for (int i = 0; i < 18; i++) norm = Math.max(norm, Math.abs(x[xo + i]));
        int s = 0;
        double scale = 1;
        while (norm * scale > 0.25) { scale *= 0.5; s++; }
        double[] xs = new double[18], term = new double[18], tmp = new double[18], sum = new double[18];
        for (int i = 0; i < 18; i++) xs[i] = x[xo + i] * scale;
        setIdentity(sum, 0);
        setIdentity(term, 0);
        for (int k = 1; k <= 16; k++) {
            mul(term, 0, xs, 0, tmp, 0);
            double inv = 1.0 / k;
            for (int i = 0; i < 18; i++) { term[i] = tmp[i] * inv; sum[i] += term[i]; }
        }
        for (int q = 0; q < s; q++) { mul(sum, 0, sum, 0, tmp, 0); System.arraycopy(tmp, 0, sum, 0, 18); }
        System.arraycopy(sum, 0, c, co, 18);
    }

    /** max |(A A^dag - 1)_ij| and |det A - 1|, the larger of the two: 0 to rounding for SU(3). */
    public static double unitarityDeviation(double[] a, int o) {
        double[] p = new double[18];
        mulDag(a, o, a, o, p, 0);
        p[0] -= 1; p[8] -= 1; p[16] -= 1;
        double m = 0;
        for (double v : p) m = Math.max(m, Math.abs(v));
        double[] d = new double[2];
        det(a, o, d);
        return Math.max(m, Math.hypot(d[0] - 1, d[1]));
    }
}
