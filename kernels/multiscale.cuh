// kernels/multiscale.cuh -- the multiscale-doubling family per site / element: doubling split, merge and the split's
// backward (any d, U(1) and SU(3)); the midpoint loop Gamma = Gamma_f (Gamma_f^dag Gamma_b)^{1/2} of a new link with
// its gather / scatter and both backwards; the analytic U(1) base maps B_s (logistic, wrapped Cauchy) with their
// inverse and backward. Transcribed operation by operation from backend/cpu/FlowKernels.java (doubling*, gamma,
// gammaBackward, gather / scatter / *Backward with mid = true, u1Base*) and math/CircleBase.java, math/Bessel.ratios.
//
// Contract (Backend.java, docs/physics.md "Doubling in any d").
// * Split in direction mu: coarse C on Lc (volume Vc), R on Lc, fine U on Lf = Lc with extent mu doubled (Vf = 2 Vc);
//   for coarse site s, x = even[s] = (2 s_mu, s_perp), y = fresh[s] = x + mu-hat:
//     U_nu(x) = C_nu(s) (nu != mu), U_mu(x) = C_mu(s) R_mu(s)^dag (U(1): wrap(c - r)), U_mu(y) = R_mu(s), U_nu(y) = R_nu(s).
//   Merge: C_nu(s) = U_nu(x) (nu != mu), C_mu(s) = U_mu(x) U_mu(y) (U(1): wrap of the sum). Split backward (R fixed):
//   gC_nu(s) += gU_nu(x) (nu != mu), gC_mu(s) += gU_mu(x) R_mu(s) (U(1): gU_mu(x)).
// * Midpoint of the active link U_mu(x) with partner nu: Gamma_f = U_nu(x) U_mu(x+nu) U_nu(x+mu)^dag (the staple of
//   P_{mu nu}(x)), Gamma_b = U_nu(x-nu)^dag U_mu(x-nu) U_nu(x-nu+mu) (the staple of P_{mu nu}(x-nu)), Q = Gamma_f^dag
//   Gamma_b, R = sqrt(Q) on the Weyl cell (flow::Spectral::sqrt), Gamma = Gamma_f R; U(1): theta_f + wrap(theta_b -
//   theta_f)/2. Gather W = U Gamma^dag (U(1) not wrapped), scatter U = W' Gamma (U(1) wrapped). Backward through
//   Gamma = Gamma_f R: G_Gamma_f = G R^dag + Gamma_b G_Q^dag, G_Q = sqrtBackward(Q, Gamma_f^dag G), G_Gamma_b =
//   Gamma_f G_Q; G_Gamma_f reaches Gamma_f's three links as in coupling::stapleBackward, G_Gamma_b reaches
//   A = U_nu(x-nu), B = U_mu(x-nu), C = U_nu(x-nu+mu) as G_A = B C G^dag, G_B = A G C^dag, G_C = B^dag A G (U(1): half
//   of dL/dtheta_Gamma to each staple's links, with their signs). Scatter backward: gW = G Gamma^dag, G at the active
//   link zeroed, Gamma's links += (W'^dag G) chained; gather backward (field before the scatter, U = W Gamma): G_U +=
//   gW Gamma, Gamma's links += (gW^dag U) chained (U(1): gU += gW, Gamma's links get -gW). Every link of both staples
//   must be frozen (the doubling mask): elements then read links no element writes.
// * U(1) base of element e = b m + j: c = feat[b fB + j] = cos(phi), kappa = 2 betaA sqrt(max(0, (1 + c)/2)),
//   (s0, ds0/dkappa) = scale(kappa), s = s0 + raw[b rB + j]; forward y = B_s(x), logJ = log B_s'(x); inverse
//   x = B_s^{-1}(y), logJ = log B_s'(x); backward gX = gY B' + gLogJ d(log B')/dx, g_s = gY dB/ds + gLogJ d(log B')/ds
//   ADDED to gRaw[b rB + j] and, where kappa > 1e-12, g_s ds0/dkappa betaA^2/kappa ADDED to gFeat[b fB + j]
//   (feat, raw, gFeat, gRaw already offset by the caller). Maps (on lifts, B(u + 2 pi n) = B(u) + 2 pi n): logistic
//   v = (pi/c) atanh(tanh(c) u0/pi), c = (pi/2) e^{-s} (identity for c < 1e-12); cauchy v = 2 atan2(e^s sin(u0/2),
//   cos(u0/2)). Scale: betaA = 0: s0 = 3 (logistic) / 0 (cauchy); logistic s0 = log(3/kappa)/2 - log pi +
//   log1p(0.45/kappa) (400 for kappa < 1e-100); cauchy s0 = log((1 - rho)/(1 + rho)), rho = I_1/I_0(kappa) by Miller's
//   backward recurrence exactly as Bessel.ratios (leading series term below 1e-8). Where the reference throws on a
//   NaN coarse feature (Bessel argument check), these functions return NaN.
//
// Agreement with the reference: split, merge, split backward, and the U(1) midpoint ops are +, -, *, /, IEEE
// remainder only: bit-identical. The SU(3) midpoint goes through the eigen-decomposition (Cardano: cbrt, atan2, sin,
// cos; Rayleigh atan2; reconstruction sincos) and the U(1) base through exp, log, log1p, tanh, sin, cos, atan2: they
// agree to named tolerances (HostBackendTest). Degenerate Q (identity, doubly degenerate eigenphases) is handled by
// the decomposition exactly as the reference (Jacobi on the Cayley transform; the divided differences 1/(mu_k + mu_l)
// stay bounded); only the Weyl cell's outer wall (theta_1 - theta_3 = 2 pi, Haar measure zero) is discontinuous.
//
// Threads: split / merge / split backward and the base maps write only their own element (coarse site); the
// midpoint backwards add into links shared by neighbouring elements, so callers run them serially per configuration
// in mask-site order (bit-identical for any thread count).
//
// Layout: gauge fields [((b d + mu) V + x) dof + k] (coarse V = Vc, fine V = Vf); elements e = b M + j at
// sites[j], w[e dof + k]; link gradients in the gauge-field layout of their field.
//
// Flops / bytes per item. Split: SU(3) 1 product (198 flops) and 2d - 1 link copies per coarse site, reads
// 2d x 144 B, writes 2d x 144 B (U(1) 1 subtraction + remainder, 16 d B). Merge: SU(3) 198 flops, reads (d + 1) x 144 B,
// writes d x 144 B. Split backward: SU(3) 198 + 18 d flops, ~3 d x 144 B. Midpoint gather / scatter: SU(3) 6 products
// + a 3x3 eigen-decomposition (~4000 flops, ~30 transcendentals), reads 7 links (1 KB), writes 144 B; U(1) ~10 flops,
// 56 B. Midpoint backwards: SU(3) ~16 products + 2 decompositions (~9000 flops), ~2.5 KB; U(1) ~15 flops, ~100 B.
// U(1) base: ~40 flops + 5 transcendentals (cauchy scale: + ~20 + 10 sqrt(kappa) recurrence steps), reads 24 B, writes
// 16 B; backward ~60 flops, 40 B read, 24 B written.
//
// Registers (nvcc 13.0 -Xptxas -v, sm_90, -O3 -fmad=false): see kernels/multiscale.cu.
#pragma once

#include "core.cuh"
#include "coupling.cuh"
#include "flow_su3.cuh"
#include "su3.cuh"

namespace mflow {
namespace multiscale {

// ================================================================== doubling split / merge (coarse site s of config b)

/** Split at coarse site s of configuration b (see the header). */
MFLOW_HD void splitSite(bool u1, int d, int mu, int Vc, const double* c, const double* r, const int32_t* even,
                        const int32_t* fresh, int b, int s, double* u) {
    int dof = u1 ? 1 : 18;
    int64_t Vf = 2 * (int64_t) Vc;
    int x = even[s], y = fresh[s];
    for (int nu = 0; nu < d; nu++) {
        if (nu == mu) continue;
        const double* cs = c + (((int64_t) b * d + nu) * Vc + s) * dof;
        const double* rs = r + (((int64_t) b * d + nu) * Vc + s) * dof;
        double* ux = u + (((int64_t) b * d + nu) * Vf + x) * dof;
        double* uy = u + (((int64_t) b * d + nu) * Vf + y) * dof;
        for (int k = 0; k < dof; k++) ux[k] = cs[k];
        for (int k = 0; k < dof; k++) uy[k] = rs[k];
    }
    const double* cm = c + (((int64_t) b * d + mu) * Vc + s) * dof;
    const double* rm = r + (((int64_t) b * d + mu) * Vc + s) * dof;
    double* ux = u + (((int64_t) b * d + mu) * Vf + x) * dof;
    double* uy = u + (((int64_t) b * d + mu) * Vf + y) * dof;
    for (int k = 0; k < dof; k++) uy[k] = rm[k];
    if (u1) ux[0] = wrap(cm[0] - rm[0]);
    else su3::mulDag(cm, rm, ux);
}

/** Merge at coarse site s of configuration b: the coarse links from the fine field. */
MFLOW_HD void mergeSite(bool u1, int d, int mu, int Vc, const double* u, const int32_t* even, const int32_t* fresh,
                        int b, int s, double* c) {
    int dof = u1 ? 1 : 18;
    int64_t Vf = 2 * (int64_t) Vc;
    int x = even[s], y = fresh[s];
    for (int nu = 0; nu < d; nu++) {
        if (nu == mu) continue;
        const double* ux = u + (((int64_t) b * d + nu) * Vf + x) * dof;
        double* cs = c + (((int64_t) b * d + nu) * Vc + s) * dof;
        for (int k = 0; k < dof; k++) cs[k] = ux[k];
    }
    const double* ux = u + (((int64_t) b * d + mu) * Vf + x) * dof;
    const double* uy = u + (((int64_t) b * d + mu) * Vf + y) * dof;
    double* cm = c + (((int64_t) b * d + mu) * Vc + s) * dof;
    if (u1) cm[0] = wrap(ux[0] + uy[0]);
    else su3::mul(ux, uy, cm);
}

/** Split backward at coarse site s of configuration b: ADDS dL/dC(s) into gc from the fine gradient gu. */
MFLOW_HD void splitBackwardSite(bool u1, int d, int mu, int Vc, const double* r, const int32_t* even, const double* gu,
                                int b, int s, double* gc) {
    int dof = u1 ? 1 : 18;
    int64_t Vf = 2 * (int64_t) Vc;
    int x = even[s];
    for (int nu = 0; nu < d; nu++) {
        int64_t oc = (((int64_t) b * d + nu) * Vc + s) * dof, of = (((int64_t) b * d + nu) * Vf + x) * dof;
        if (nu != mu) { for (int k = 0; k < dof; k++) gc[oc + k] += gu[of + k]; continue; }
        if (u1) { gc[oc] += gu[of]; continue; }
        double t[18];
        su3::mul(gu + of, r + (((int64_t) b * d + mu) * Vc + s) * 18, t);
        su3::addScaled(t, 1.0, gc + oc);
    }
}

// ================================================================== midpoint loop of an active link

/** Scratch of one midpoint element: gam = Gamma, gf = Gamma_f, gb = Gamma_b, q = Gamma_f^dag Gamma_b, r = sqrt(q). */
struct Mid {
    double gam[18], gf[18], gb[18], q[18], r[18];
};

/** Gamma of the active link U_mu(x) (SU(3)), with its pieces kept in s for the backward. */
MFLOW_HD void gamma(const Geom& g, const double* f, int b, int mu, int nu, int x, Mid& s) {
    coupling::staple(g, f, b, mu, nu, x, s.gf);
    coupling::staple(g, f, b, mu, ~nu, x, s.gb);
    su3::dagMul(s.gf, s.gb, s.q);
    flow::Spectral::sqrt(s.q, s.r);
    su3::mul(s.gf, s.r, s.gam);
}

/** U(1) Gamma angle: theta_f + wrap(theta_b - theta_f)/2. */
MFLOW_HD double gammaU1(const Geom& g, const double* f, int b, int mu, int nu, int x) {
    double gf = coupling::stapleU1(g, f, b, mu, nu, x), gb = coupling::stapleU1(g, f, b, mu, ~nu, x);
    return gf + 0.5 * wrap(gb - gf);
}

/** ADDS dL/dGamma = gGam to the six links of Gamma_f and Gamma_b (SU(3); s from gamma at the same link). */
MFLOW_HD void gammaBackward(const Geom& g, const double* f, int b, int mu, int nu, int x, const double* gGam, double* gl,
                            const Mid& s) {
    double t[18], g1[18], g2[18], g3[18];
    su3::mulDag(gGam, s.r, g1);
    su3::dagMul(s.gf, gGam, t);
    flow::Spectral::sqrtBackward(s.q, t, g2);         // g2 = G_Q
    su3::mulDag(s.gb, g2, t);
    su3::addScaled(t, 1.0, g1);                        // g1 = G_Gamma_f
    su3::mul(s.gf, g2, g3);                            // g3 = G_Gamma_b
    coupling::stapleBackward(g, f, b, mu, nu, x, g1, gl);
    coupling::stapleBackward(g, f, b, mu, ~nu, x, g3, gl);
}

/** U(1): ADDS dL/dtheta_Gamma = gGam to the links of both staples (half to each). */
MFLOW_HD void gammaBackwardU1(const Geom& g, int b, int mu, int nu, int x, double gGam, double* gl) {
    coupling::stapleBackwardU1(g, b, mu, nu, x, 0.5 * gGam, gl);
    coupling::stapleBackwardU1(g, b, mu, ~nu, x, 0.5 * gGam, gl);
}

/** w(e) = U_mu(x) Gamma^dag (U(1): theta_mu(x) - theta_Gamma, not wrapped). */
MFLOW_HD void gatherElement(const Geom& g, bool u1, const double* f, int mu, int nu, int b, int x, double* w) {
    if (u1) { w[0] = f[g.link(b, mu, x)] - gammaU1(g, f, b, mu, nu, x); return; }
    Mid s;
    gamma(g, f, b, mu, nu, x, s);
    su3::mulDag(f + 18 * g.link(b, mu, x), s.gam, w);
}

/** U_mu(x) = W' Gamma in place (U(1) wrapped). */
MFLOW_HD void scatterElement(const Geom& g, bool u1, double* f, int mu, int nu, int b, int x, const double* w) {
    if (u1) { f[g.link(b, mu, x)] = wrap(w[0] + gammaU1(g, f, b, mu, nu, x)); return; }
    Mid s;
    gamma(g, f, b, mu, nu, x, s);
    su3::mul(w, s.gam, f + 18 * g.link(b, mu, x));
}

/** Scatter backward at element (b, x), field after the scatter: gW = G Gamma^dag, G zeroed, Gamma's links += chained. */
MFLOW_HD void scatterBackwardElement(const Geom& g, bool u1, const double* f, int mu, int nu, int b, int x,
                                     const double* wNew, double* gl, double* gW) {
    int64_t l = g.link(b, mu, x);
    if (u1) {
        double v = gl[l];
        gl[l] = 0;
        gW[0] = v;
        gammaBackwardU1(g, b, mu, nu, x, v, gl);
        return;
    }
    Mid s;
    double gg[18];
    gamma(g, f, b, mu, nu, x, s);
    su3::mulDag(gl + 18 * l, s.gam, gW);
    su3::dagMul(wNew, gl + 18 * l, gg);
    for (int k = 0; k < 18; k++) gl[18 * l + k] = 0;
    gammaBackward(g, f, b, mu, nu, x, gg, gl, s);
}

/** Gather backward at element (b, x), field before the scatter (active link = wOld Gamma): ADDS into gl. */
MFLOW_HD void gatherBackwardElement(const Geom& g, bool u1, const double* f, int mu, int nu, int b, int x,
                                    const double* wOld, const double* gW, double* gl) {
    int64_t l = g.link(b, mu, x);
    if (u1) {
        gl[l] += gW[0];
        gammaBackwardU1(g, b, mu, nu, x, -gW[0], gl);
        return;
    }
    Mid s;
    double t2[18], uin[18], gg[18];
    gamma(g, f, b, mu, nu, x, s);
    su3::mul(gW, s.gam, t2);
    su3::addScaled(t2, 1.0, gl + 18 * l);
    su3::mul(wOld, s.gam, uin);
    su3::dagMul(gW, uin, gg);
    gammaBackward(g, f, b, mu, nu, x, gg, gl, s);
}

// ================================================================== analytic U(1) base (math/CircleBase)

/** Bessel.ratios(x, 1)[1] = I_1(x)/I_0(x) for finite x >= 0 (Miller's backward recurrence, the reference's steps). */
MFLOW_HD double besselRatio(double x) {
    if (!(x >= 0) || x > 1.7976931348623157e308) return NAN;  // the reference throws (Bessel argument check)
    if (x == 0) return 0;
    if (x < 1e-8) return 1.0 * (0.5 * x) / 1;
    double r[2] = {1, 0};
    int m = 1 + 16 + (int) std::ceil(10.0 * std::sqrt(x + 1.0));
    double next = 0, cur = 1e-280;
    for (int n = m; n >= 1; n--) {
        double prev = (2.0 * n / x) * cur + next;
        next = cur;
        cur = prev;
        if (n - 1 <= 1) r[n - 1] = cur;
        if (cur > 1e250) {
            cur *= 1e-250; next *= 1e-250;
            for (int k = n - 1; k <= 1; k++) r[k] *= 1e-250;
        }
    }
    return r[1] / r[0];
}

/** o = {s0, ds0/dkappa} (CircleBase.scale). */
MFLOW_HD void scale(bool logistic, double betaA, double kappa, double* o) {
    if (betaA == 0) { o[0] = logistic ? 3.0 : 0.0; o[1] = 0; return; }
    if (logistic) {
        if (kappa < 1e-100) { o[0] = 400; o[1] = 0; return; }
        o[0] = 0.5 * std::log(3 / kappa) - std::log(PI) + std::log1p(0.45 / kappa);
        o[1] = -0.5 / kappa - 0.45 / (kappa * kappa + 0.45 * kappa);
    } else {
        double rho = besselRatio(kappa);
        double dRho = kappa < 1e-8 ? 0.5 : 1 - rho / kappa - rho * rho;
        o[0] = std::log1p(-rho) - std::log1p(rho);
        o[1] = -2.0 / ((1 - rho) * (1 + rho)) * dRho;
    }
}

/** Wrapped Cauchy on u in [-pi, pi): o = {v, log v', dv/ds, d log v'/ds, d log v'/du}. */
MFLOW_HD void cauchy(double u, double s, double* o) {
    double e = std::exp(s), sn = std::sin(0.5 * u), cs = std::cos(0.5 * u);
    double d = cs * cs + e * e * sn * sn;
    o[0] = 2 * std::atan2(e * sn, cs);
    o[1] = s - std::log(d);
    o[2] = 2 * e * sn * cs / d;
    o[3] = 1 - 2 * e * e * sn * sn / d;
    o[4] = -(e * e - 1) * sn * cs / d;
}

/** Truncated logistic on u in [-pi, pi): same outputs. */
MFLOW_HD void logisticMap(double u, double s, double* o) {
    double c = 0.5 * PI * std::exp(-s);
    if (c < 1e-12) { o[0] = u; o[1] = 0; o[2] = 0; o[3] = 0; o[4] = 0; return; }
    double z = std::tanh(c), x = z * u / PI;
    const double xMax = 1.0 - 0x1p-53;  // CircleBase.X_MAX: the edge u = -pi with tanh(c) = 1 stays finite
    x = x > xMax ? xMax : (x < -xMax ? -xMax : x);
    double omx2 = (1 - x) * (1 + x);
    double at = 0.5 * (std::log1p(x) - std::log1p(-x));
    double v = PI / c * at;
    double dz = -c * (1 - z) * (1 + z);
    double dx = u / PI * dz;
    o[0] = v;
    o[1] = std::log(z / c) - std::log(omx2);
    o[2] = v + PI / c / omx2 * dx;
    o[3] = 1 + dz / z + 2 * x / omx2 * dx;
    o[4] = 2 * x / omx2 * z / PI;
}

/** o = {B_s(u), log B_s'(u), dB/ds, d log B'/ds, d log B'/du} at any lift u (CircleBase.forward). */
MFLOW_HD void baseForward(bool logistic, double u, double s, double* o) {
    double n = std::floor((u + PI) / (2 * PI));
    double u0 = u - 2 * PI * n;
    if (logistic) logisticMap(u0, s, o); else cauchy(u0, s, o);
    o[0] += 2 * PI * n;
}

/** B_s^{-1}(v) at any lift (CircleBase.inverse). */
MFLOW_HD double baseInverse(bool logistic, double v, double s) {
    double n = std::floor((v + PI) / (2 * PI));
    double v0 = v - 2 * PI * n;
    double u0;
    if (logistic) {
        double c = 0.5 * PI * std::exp(-s);
        u0 = c < 1e-12 ? v0 : PI * std::tanh(c * v0 / PI) / std::tanh(c);
    } else {
        u0 = 2 * std::atan2(std::exp(-s) * std::sin(0.5 * v0), std::cos(0.5 * v0));
    }
    return u0 + 2 * PI * n;
}

/** kappa = 2 betaA sqrt(max(0, (1 + c)/2)). */
MFLOW_HD double kappa(double betaA, double c) { return 2 * betaA * std::sqrt(jmax(0.0, 0.5 * (1 + c))); }

/** Base forward (inverse = false: in = x, out = y) or inverse (in = y, out = x) of element e; logJ = log B' at x. */
MFLOW_HD void baseElement(bool logistic, double betaA, int64_t e, int m, const double* in, const double* feat, int fB,
                          const double* raw, int rB, bool inverse, double* out, double* logJ) {
    int64_t b = e / m, j = e % m;
    double sc[2], o[5];
    scale(logistic, betaA, kappa(betaA, feat[b * fB + j]), sc);
    double s = sc[0] + raw[b * rB + j];
    double x = inverse ? baseInverse(logistic, in[e], s) : in[e];
    baseForward(logistic, x, s, o);
    out[e] = inverse ? x : o[0];
    logJ[e] = o[1];
}

/** Base backward of element e at the forward point x[e]: writes gX[e], ADDS into gRaw[b rB + j] and gFeat[b fB + j]. */
MFLOW_HD void baseBackwardElement(bool logistic, double betaA, int64_t e, int m, const double* x, const double* feat, int fB,
                                  const double* raw, int rB, const double* gY, const double* gLogJ, double* gX, double* gFeat,
                                  double* gRaw) {
    int64_t b = e / m, j = e % m, fi = b * fB + j;
    double k = kappa(betaA, feat[fi]);
    double sc[2], o[5];
    scale(logistic, betaA, k, sc);
    double s = sc[0] + raw[b * rB + j];
    baseForward(logistic, x[e], s, o);
    gX[e] = gY[e] * std::exp(o[1]) + gLogJ[e] * o[4];
    double gs = gY[e] * o[2] + gLogJ[e] * o[3];
    gRaw[b * rB + j] += gs;
    if (k > 1e-12) gFeat[fi] += gs * sc[1] * betaA * betaA / k;
}

}  // namespace multiscale
}  // namespace mflow
