// kernels/updates.cuh -- single-link Markov-chain updates and HMC pieces, per link (LinkUpdates.java and the HMC
// ops of CpuBackend, transcribed).
//
// Contract. The conditional density of one link U with staple sum A is exp((beta/N) Re tr(U A)) w.r.t. Haar.
// U(1): von Mises heatbath of phi = theta + arg A with kappa = beta |A| (Best-Fisher wrapped-Cauchy rejection);
// overrelaxation theta -> -theta - 2 arg A. SU(3): Cabibbo-Marinari over the subgroups (0,1), (1,2), (0,2), SU(2)
// heatbath of x0 by Kennedy-Pendleton (alpha >= 2) or Creutz (alpha < 2), alpha = 2 beta k / 3; overrelaxation
// r = (s^dag)^2; U reunitarised after the three subgroups. Each link draws from its own stream
// Rng(seed, HEATBATH, sweep, (b d + mu) V + x), so results do not depend on the visiting order or the device.
// Quaternion q = q0 + i q.sigma = [[q0 + i q3, q2 + i q1], [-q2 + i q1, q0 - i q3]].
// HMC: momenta U(1) one gaussian per link, SU(3) gaussianAlgebra from Rng(seed, domain, step, link); link update
// U(1) theta <- wrap(theta + c p), SU(3) U <- exp(c P) U.
//
// Layout: links and momenta in the gauge-field layout; staple (re, im) or 18 doubles per link.
//
// Flops / bytes per link (staple excluded): U(1) heatbath ~40 flops + atan2/hypot + ~3 uniforms, log, acos per try;
// SU(3) heatbath ~800 flops (U A 198, 3 x (projection 20, quaternion algebra 40, two row rotations 168),
// reunitarise 100) + ~4 uniforms, 2 logs, sqrt, cos per Kennedy-Pendleton try; overrelaxation ~700; link update
// SU(3) ~3400 (exp) + 198; 144 B read and written per SU(3) link (8 B for U(1)).
#pragma once

#include "core.cuh"
#include "philox.cuh"
#include "su3.cuh"

namespace mflow {
namespace updates {

/** Von Mises variate in (-pi, pi] with density exp(kappa cos phi) / (2 pi I0(kappa)) (Best-Fisher). */
MFLOW_HD double vonMises(Rng& r, double kappa) {
    if (!(kappa >= 1e-12)) return r.angle();
    double q = std::sqrt(1 + 4 * kappa * kappa);
    double tau = 1 + q;
    double tauMinus2 = 4 * kappa * kappa / (q + 1);
    double rho = tau * tauMinus2 / (tau + std::sqrt(2 * tau)) / (2 * kappa);
    double s = (1 + rho * rho) / (2 * rho);
    while (true) {
        double u1 = r.uniform(), u2 = r.uniform(), u3 = r.uniform();
        double z = std::cos(PI * u1);
        double f = (1 + s * z) / (s + z);
        double c = kappa * (s - f);
        if (c * (2 - c) - u2 > 0 || std::log(c / u2) + 1 - c >= 0) {
            if (f > 1) f = 1; else if (f < -1) f = -1;
            double phi = std::acos(f);
            return u3 < 0.5 ? -phi : phi;
        }
    }
}

MFLOW_HD double heatbathU1(Rng& r, double beta, double ar, double ai) {
    double kappa = beta * std::hypot(ar, ai);
    double alpha = std::atan2(ai, ar);
    return wrap(vonMises(r, kappa) - alpha);
}

MFLOW_HD double overrelaxU1(double theta, double ar, double ai) {
    if (ar == 0 && ai == 0) return theta;
    return wrap(-theta - 2 * std::atan2(ai, ar));
}

constexpr double KP_THRESHOLD = 2.0;

/** x0 with density sqrt(1 - x0^2) exp(alpha x0) on [-1, 1]. */
MFLOW_HD double su2X0(Rng& r, double alpha) {
    if (alpha >= KP_THRESHOLD) {
        while (true) {
            double u1 = r.uniform(), u2 = r.uniform(), u3 = r.uniform(), u4 = r.uniform();
            double c = std::cos(2 * PI * u2);
            double delta = -(std::log(u1) + c * c * std::log(u3)) / alpha;
            if (u4 * u4 <= 1 - 0.5 * delta) return 1 - delta;
        }
    }
    double em = alpha > 1e-300 ? std::expm1(-2 * alpha) : 0;
    while (true) {
        double u1 = r.uniform(), u2 = r.uniform();
        double x0 = em != 0 ? 1 + std::log1p(u1 * em) / alpha : 2 * u1 - 1;
        if (x0 < -1) x0 = -1;
        if (u2 * u2 <= 1 - x0 * x0) return x0;
    }
}

MFLOW_HD void su2Heatbath(Rng& r, double alpha, double* q) {
    double x0 = su2X0(r, alpha);
    double rad = std::sqrt(jmax(0, 1 - x0 * x0));
    double ct = 2 * r.uniform() - 1;
    double st = std::sqrt(jmax(0, 1 - ct * ct));
    double ph = 2 * PI * r.uniform();
    q[0] = x0;
    q[1] = rad * st * std::cos(ph);
    q[2] = rad * st * std::sin(ph);
    q[3] = rad * ct;
}

/** Quaternion projection of the (i,j) block of m into q[0..3]; returns |q|. */
MFLOW_HD double blockQuaternion(const double* m, int i, int j, double* q) {
    int ii = 2 * (3 * i + i), ij = 2 * (3 * i + j), ji = 2 * (3 * j + i), jj = 2 * (3 * j + j);
    double a0 = 0.5 * (m[ii] + m[jj]);
    double a3 = 0.5 * (m[ii + 1] - m[jj + 1]);
    double a1 = 0.5 * (m[ij + 1] + m[ji + 1]);
    double a2 = 0.5 * (m[ij] - m[ji]);
    q[0] = a0; q[1] = a1; q[2] = a2; q[3] = a3;
    return std::sqrt(a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3);
}

MFLOW_HD void quatMul(double a0, double a1, double a2, double a3, double b0, double b1, double b2, double b3, double* out) {
    out[0] = a0 * b0 - a1 * b1 - a2 * b2 - a3 * b3;
    out[1] = a0 * b1 + b0 * a1 - (a2 * b3 - a3 * b2);
    out[2] = a0 * b2 + b0 * a2 - (a3 * b1 - a1 * b3);
    out[3] = a0 * b3 + b0 * a3 - (a1 * b2 - a2 * b1);
}

/** Rows i, j of m <- R rows, R the SU(2) embedding of quaternion q. */
MFLOW_HD void rotateRows(double* m, int i, int j, const double* q) {
    double q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
    for (int c = 0; c < 3; c++) {
        int pi = 2 * (3 * i + c), pj = 2 * (3 * j + c);
        double xr = m[pi], xi = m[pi + 1], yr = m[pj], yi = m[pj + 1];
        m[pi] = q0 * xr - q3 * xi + q2 * yr - q1 * yi;
        m[pi + 1] = q0 * xi + q3 * xr + q2 * yi + q1 * yr;
        m[pj] = -q2 * xr - q1 * xi + q0 * yr + q3 * yi;
        m[pj + 1] = -q2 * xi + q1 * xr + q0 * yi - q3 * yr;
    }
}

MFLOW_HD void subgroup(int s, int& i, int& j) {
    i = s == 1 ? 1 : 0;
    j = s == 0 ? 1 : 2;
}

/** Cabibbo-Marinari heatbath of the SU(3) link u (in place) with staple a. */
MFLOW_HD void heatbathSU3(Rng& r, double beta, double* u, const double* a) {
    double w[18], q[8];
    su3::mul(u, a, w);
    for (int sg = 0; sg < 3; sg++) {
        int i, j;
        subgroup(sg, i, j);
        double k = blockQuaternion(w, i, j, q);
        double s0, s1, s2, s3;
        if (k > 1e-300) { s0 = q[0] / k; s1 = q[1] / k; s2 = q[2] / k; s3 = q[3] / k; }
        else { s0 = 1; s1 = 0; s2 = 0; s3 = 0; k = 0; }
        su2Heatbath(r, 2.0 * beta * k / 3.0, q);
        quatMul(q[0], q[1], q[2], q[3], s0, -s1, -s2, -s3, q + 4);
        rotateRows(u, i, j, q + 4);
        rotateRows(w, i, j, q + 4);
    }
    su3::reunitarize(u);
}

/** Overrelaxation of the SU(3) link u (in place) with staple a. */
MFLOW_HD void overrelaxSU3(double* u, const double* a) {
    double w[18], q[8];
    su3::mul(u, a, w);
    for (int sg = 0; sg < 3; sg++) {
        int i, j;
        subgroup(sg, i, j);
        double k = blockQuaternion(w, i, j, q);
        if (!(k > 1e-300)) continue;
        double s0 = q[0] / k, s1 = -q[1] / k, s2 = -q[2] / k, s3 = -q[3] / k;
        quatMul(s0, s1, s2, s3, s0, s1, s2, s3, q + 4);
        rotateRows(u, i, j, q + 4);
        rotateRows(w, i, j, q + 4);
    }
    su3::reunitarize(u);
}

/** HMC momentum of link l: U(1) p[l] = gaussian; SU(3) gaussianAlgebra into p[18 l..]. */
MFLOW_HD void drawMomentum(bool u1, double* p, int64_t l, int dom, int64_t seed, int64_t step) {
    Rng r(seed, dom, step, l);
    if (u1) p[l] = r.gaussian();
    else su3::gaussianAlgebra(r, p + 18 * l);
}

/** SU(3) link update U <- exp(c P) U, in place. */
MFLOW_HD void updateLinkSU3(double* u, const double* p, double c) {
    double x[18], e[18], t[18];
    for (int i = 0; i < 18; i++) x[i] = c * p[i];
    su3::exp(x, e);
    su3::mul(e, u, t);
    for (int i = 0; i < 18; i++) u[i] = t[i];
}

}  // namespace updates
}  // namespace mflow
