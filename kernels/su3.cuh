// kernels/su3.cuh -- SU(3) algebra on 3x3 complex matrices, per element (org.mflowhpc.group.SU3).
//
// Contract. A matrix is 18 doubles, row-major, re/im interleaved (element (i,j) at 2(3i+j), 2(3i+j)+1). Outputs
// never alias inputs unless stated. Every function is the Java reference's operation sequence (sums from +0.0, k
// ascending), so results are bit-identical to SU3.java without FP contraction. Generators t_a = i lambda_a / 2;
// an algebra element X = x_a t_a is stored as its matrix; -tr(P^2) = (1/2) sum p_a^2.
//
// Flops (real, FMA = 2): mul / mulDag / dagMul 198; dagger 0 (9 negations); addScaled 36; reTraceMul 36;
// reunitarize ~100 + 2 sqrt + 2 divisions; projectTA 30; exp ~16 x 198 + squarings (scaling and squaring,
// degree-16 Taylor); kinetic 36. Bytes: 144 per matrix read or written.
#pragma once

#include "core.cuh"
#include "philox.cuh"

namespace mflow {
namespace su3 {

MFLOW_HD void setIdentity(double* c) {
    for (int i = 0; i < 18; i++) c[i] = 0;
    c[0] = 1; c[8] = 1; c[16] = 1;
}

MFLOW_HD void copy(const double* a, double* c) {
    for (int i = 0; i < 18; i++) c[i] = a[i];
}

/** C = A B. */
MFLOW_HD void mul(const double* a, const double* b, double* c) {
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double re = 0, im = 0;
            for (int k = 0; k < 3; k++) {
                int x = 2 * (3 * i + k), y = 2 * (3 * k + j);
                re += a[x] * b[y] - a[x + 1] * b[y + 1];
                im += a[x] * b[y + 1] + a[x + 1] * b[y];
            }
            c[2 * (3 * i + j)] = re;
            c[2 * (3 * i + j) + 1] = im;
        }
}

/** C = A B^dag. */
MFLOW_HD void mulDag(const double* a, const double* b, double* c) {
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double re = 0, im = 0;
            for (int k = 0; k < 3; k++) {
                int x = 2 * (3 * i + k), y = 2 * (3 * j + k);
                re += a[x] * b[y] + a[x + 1] * b[y + 1];
                im += a[x + 1] * b[y] - a[x] * b[y + 1];
            }
            c[2 * (3 * i + j)] = re;
            c[2 * (3 * i + j) + 1] = im;
        }
}

/** C = A^dag B. */
MFLOW_HD void dagMul(const double* a, const double* b, double* c) {
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double re = 0, im = 0;
            for (int k = 0; k < 3; k++) {
                int x = 2 * (3 * k + i), y = 2 * (3 * k + j);
                re += a[x] * b[y] + a[x + 1] * b[y + 1];
                im += a[x] * b[y + 1] - a[x + 1] * b[y];
            }
            c[2 * (3 * i + j)] = re;
            c[2 * (3 * i + j) + 1] = im;
        }
}

/** C = A^dag. */
MFLOW_HD void dagger(const double* a, double* c) {
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            c[2 * (3 * i + j)] = a[2 * (3 * j + i)];
            c[2 * (3 * i + j) + 1] = -a[2 * (3 * j + i) + 1];
        }
}

/** C += s A. */
MFLOW_HD void addScaled(const double* a, double s, double* c) {
    for (int i = 0; i < 18; i++) c[i] += s * a[i];
}

MFLOW_HD double reTrace(const double* a) { return a[0] + a[8] + a[16]; }
MFLOW_HD double imTrace(const double* a) { return a[1] + a[9] + a[17]; }

/** Re tr(A B) without forming the product. */
MFLOW_HD double reTraceMul(const double* a, const double* b) {
    double s = 0;
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++) {
            int x = 2 * (3 * i + k), y = 2 * (3 * k + i);
            s += a[x] * b[y] - a[x + 1] * b[y + 1];
        }
    return s;
}

/** row2 = conj(row0 x row1). */
MFLOW_HD void crossConj(double* a) {
    for (int k = 0; k < 3; k++) {
        int p = (k + 1) % 3, q = (k + 2) % 3;
        double ar = a[2 * p], ai = a[2 * p + 1], br = a[6 + 2 * q], bi = a[6 + 2 * q + 1];
        double cr = a[2 * q], ci = a[2 * q + 1], dr = a[6 + 2 * p], di = a[6 + 2 * p + 1];
        double re = (ar * br - ai * bi) - (cr * dr - ci * di);
        double im = (ar * bi + ai * br) - (cr * di + ci * dr);
        a[12 + 2 * k] = re;
        a[12 + 2 * k + 1] = -im;
    }
}

/** Gram-Schmidt on rows 0, 1 and row 2 = conj(row0 x row1), in place. */
MFLOW_HD void reunitarize(double* a) {
    double n0 = 0;
    for (int k = 0; k < 6; k++) n0 += a[k] * a[k];
    n0 = 1.0 / std::sqrt(n0);
    for (int k = 0; k < 6; k++) a[k] *= n0;
    double pr = 0, pi = 0;
    for (int k = 0; k < 3; k++) {
        double ur = a[2 * k], ui = a[2 * k + 1], vr = a[6 + 2 * k], vi = a[6 + 2 * k + 1];
        pr += ur * vr + ui * vi;
        pi += ur * vi - ui * vr;
    }
    for (int k = 0; k < 3; k++) {
        double ur = a[2 * k], ui = a[2 * k + 1];
        a[6 + 2 * k] -= pr * ur - pi * ui;
        a[6 + 2 * k + 1] -= pr * ui + pi * ur;
    }
    double n1 = 0;
    for (int k = 6; k < 12; k++) n1 += a[k] * a[k];
    n1 = 1.0 / std::sqrt(n1);
    for (int k = 6; k < 12; k++) a[k] *= n1;
    crossConj(a);
}

/** Haar-random SU(3) from 12 gaussians of r (SU3.haar). */
MFLOW_HD void haar(Rng& r, double* a) {
    for (int k = 0; k < 12; k++) a[k] = r.gaussian();
    reunitarize(a);
}

/** C = traceless anti-Hermitian part of A (may not alias). */
MFLOW_HD void projectTA(const double* a, double* c) {
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            int x = 2 * (3 * i + j), y = 2 * (3 * j + i);
            double re = 0.5 * (a[x] - a[y]);
            double im = 0.5 * (a[x + 1] + a[y + 1]);
            c[x] = re;
            c[x + 1] = im;
        }
    double t = (c[1] + c[9] + c[17]) / 3.0;
    c[1] -= t; c[9] -= t; c[17] -= t;
}

MFLOW_HD void setC(double* c, int i, int j, double re, double im) {
    c[2 * (3 * i + j)] = re;
    c[2 * (3 * i + j) + 1] = im;
}

/** Matrix of sum_a p_a t_a (SU3.fromCoefficients). */
MFLOW_HD void fromCoefficients(const double* p, double* c) {
    for (int i = 0; i < 18; i++) c[i] = 0;
    double s3 = 1.0 / std::sqrt(3.0);
    setC(c, 0, 1, 0.5 * p[1], 0.5 * p[0]);
    setC(c, 1, 0, -0.5 * p[1], 0.5 * p[0]);
    setC(c, 0, 2, 0.5 * p[4], 0.5 * p[3]);
    setC(c, 2, 0, -0.5 * p[4], 0.5 * p[3]);
    setC(c, 1, 2, 0.5 * p[6], 0.5 * p[5]);
    setC(c, 2, 1, -0.5 * p[6], 0.5 * p[5]);
    setC(c, 0, 0, 0, 0.5 * (p[2] + s3 * p[7]));
    setC(c, 1, 1, 0, 0.5 * (-p[2] + s3 * p[7]));
    setC(c, 2, 2, 0, 0.5 * (-2 * s3 * p[7]));
}

/** Gaussian algebra element from 8 gaussians of r (SU3.gaussianAlgebra). */
MFLOW_HD void gaussianAlgebra(Rng& r, double* c) {
    double p[8];
    for (int k = 0; k < 8; k++) p[k] = r.gaussian();
    fromCoefficients(p, c);
}

/** -tr(P^2) = sum |P_ij|^2 for anti-Hermitian P. */
MFLOW_HD double kinetic(const double* p) {
    double s = 0;
    for (int i = 0; i < 18; i++) s += p[i] * p[i];
    return s;
}

/** C = exp(X) by scaling and squaring of a degree-16 Taylor series (SU3.exp; not reunitarised). */
MFLOW_HD void exp(const double* x, double* c) {
    double norm = 0;
    for (int i = 0; i < 18; i++) norm = jmax(norm, std::fabs(x[i]));
    int s = 0;
    double scale = 1;
    while (norm * scale > 0.25) { scale *= 0.5; s++; }
    double xs[18], term[18], tmp[18], sum[18];
    for (int i = 0; i < 18; i++) xs[i] = x[i] * scale;
    setIdentity(sum);
    setIdentity(term);
    for (int k = 1; k <= 16; k++) {
        mul(term, xs, tmp);
        double inv = 1.0 / k;
        for (int i = 0; i < 18; i++) { term[i] = tmp[i] * inv; sum[i] += term[i]; }
    }
    for (int q = 0; q < s; q++) {
        mul(sum, sum, tmp);
        for (int i = 0; i < 18; i++) sum[i] = tmp[i];
    }
    for (int i = 0; i < 18; i++) c[i] = sum[i];
}

}  // namespace su3
}  // namespace mflow
