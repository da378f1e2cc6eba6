// kernels/gauge.cuh -- per-site gauge kernels: plaquettes, staple sums, HMC force, Euclidean action gradient,
// gauge transformations, Haar links (CpuBackend and LinkUpdates.staple*, bit for bit where no transcendental is
// involved).
//
// Contract (Backend.java, docs/conventions.md). P_mn(x) = U_m(x) U_n(x+m) U_m(x+n)^dag U_n(x)^dag; plaquette
// (1/N) Re tr P; S = -(beta/N) sum_x sum_{m<n} Re tr P_mn(x); staple sum A_mu(x) with S(U_mu(x)) = -(beta/N) Re tr(U A)
// + const: A = sum_{nu != mu} [U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag + (U_mu(x-nu) U_nu(x+mu-nu))^dag U_nu(x-nu)],
// summed from zero, nu ascending, up staple before down. U(1) links are angles; the U(1) staple is the complex
// number (re, im). Force: U(1) dS/dtheta = beta (cos th Im A + sin th Re A); SU(3) F = (beta/2N) TA(U A).
// Action gradient: U(1) = force; SU(3) G = -(beta/N) A^dag. Gauge transformation U_mu(x) -> Om(x) U_mu(x)
// Om(x+mu)^dag (U(1): angles, wrapped).
//
// Layout: field f[((b d + mu) V + x) dof + k]; plaquette field out[(b planes + p) V + x]; staples [(b V + x) sdof + k]
// (sdof 2 for U(1), 18 for SU(3)); omega[(b V + x) dof + k].
//
// Flops / bytes per item (SU(3)): plaquette 630 flops (3 products + Re tr), 4 links = 576 B read, 8 B written;
// staple sum 2(d-1) x 414 flops, 6(d-1) links read (144 B each), 144 B written; force per link +198 (U A) +30
// (TA) +18 (scale); gauge transform per site 2d x 198 flops, (d + d + 1) matrices. U(1): a few adds and one cos
// (sincos for staples) per plaquette, 32 B read.
#pragma once

#include "core.cuh"
#include "philox.cuh"
#include "su3.cuh"

namespace mflow {
namespace gauge {

/** U(1) plaquette angle theta_m(x) + theta_n(x+m) - theta_m(x+n) - theta_n(x) (not wrapped). */
MFLOW_HD double plaqAngleU1(const Geom& g, const double* f, int b, int m, int n, int x) {
    return f[g.link(b, m, x)] + f[g.link(b, n, g.upx(m, x))] - f[g.link(b, m, g.upx(n, x))] - f[g.link(b, n, x)];
}

/** (1/3) Re tr P_mn(x) for SU(3). */
MFLOW_HD double plaqSU3(const Geom& g, const double* f, int b, int m, int n, int x) {
    double t1[18], t2[18], t3[18];
    su3::mul(f + 18 * g.link(b, m, x), f + 18 * g.link(b, n, g.upx(m, x)), t1);
    su3::mul(f + 18 * g.link(b, n, x), f + 18 * g.link(b, m, g.upx(n, x)), t2);
    su3::dagger(t2, t3);
    return su3::reTraceMul(t1, t3) / 3.0;
}

/** All plaquettes of site x of configuration b into out[(b planes + p) V + x]. */
MFLOW_HD void plaquettesSite(const Geom& g, bool u1, const double* f, int b, int x, double* out) {
    int np = g.planes();
    for (int p = 0; p < np; p++) {
        int m, n;
        planePair(g.d, p, m, n);
        double v = u1 ? std::cos(plaqAngleU1(g, f, b, m, n, x)) : plaqSU3(g, f, b, m, n, x);
        out[((int64_t) b * np + p) * g.V + x] = v;
    }
}

/** U(1) plaquette angles wrapped to (-pi, pi]. */
MFLOW_HD void plaquetteAnglesSite(const Geom& g, const double* f, int b, int x, double* out) {
    int np = g.planes();
    for (int p = 0; p < np; p++) {
        int m, n;
        planePair(g.d, p, m, n);
        out[((int64_t) b * np + p) * g.V + x] = wrap(plaqAngleU1(g, f, b, m, n, x));
    }
}

/** U(1) staple sum of U_mu(x) in configuration b into out[0] (re), out[1] (im). */
MFLOW_HD void stapleU1(const Geom& g, const double* f, int b, int mu, int x, double* out) {
    double re = 0, im = 0;
    int xm = g.upx(mu, x);
    for (int nu = 0; nu < g.d; nu++) {
        if (nu == mu) continue;
        double a = f[g.link(b, nu, xm)] - f[g.link(b, mu, g.upx(nu, x))] - f[g.link(b, nu, x)];
        int xd = g.dnx(nu, x);
        double c = -f[g.link(b, nu, g.dnx(nu, xm))] - f[g.link(b, mu, xd)] + f[g.link(b, nu, xd)];
        re += std::cos(a) + std::cos(c);
        im += std::sin(a) + std::sin(c);
    }
    out[0] = re;
    out[1] = im;
}

/** SU(3) staple sum of U_mu(x) in configuration b into out[0..18) (LinkUpdates.stapleSU3). */
MFLOW_HD void stapleSU3(const Geom& g, const double* f, int b, int mu, int x, double* out) {
    double t1[18], t2[18];
    for (int k = 0; k < 18; k++) out[k] = 0;
    int xm = g.upx(mu, x);
    for (int nu = 0; nu < g.d; nu++) {
        if (nu == mu) continue;
        su3::mulDag(f + 18 * g.link(b, nu, xm), f + 18 * g.link(b, mu, g.upx(nu, x)), t1);
        su3::mulDag(t1, f + 18 * g.link(b, nu, x), t2);
        su3::addScaled(t2, 1.0, out);
        int xd = g.dnx(nu, x);
        su3::mul(f + 18 * g.link(b, mu, xd), f + 18 * g.link(b, nu, g.dnx(nu, xm)), t1);
        su3::dagMul(t1, f + 18 * g.link(b, nu, xd), t2);
        su3::addScaled(t2, 1.0, out);
    }
}

/** U(1) force / action gradient of link angle th with staple (ar, ai): beta (cos th ai + sin th ar). */
MFLOW_HD double forceU1(double beta, double th, double ar, double ai) {
    return beta * (std::cos(th) * ai + std::sin(th) * ar);
}

/** SU(3) force of link u with staple a: out = coef TA(u a), coef = beta / (2 N). */
MFLOW_HD void forceSU3(double coef, const double* u, const double* a, double* out) {
    double w[18];
    su3::mul(u, a, w);
    su3::projectTA(w, out);
    for (int k = 0; k < 18; k++) out[k] *= coef;
}

/** SU(3) Euclidean action gradient of a link with staple a: out = coef a^dag, coef = -beta / N. */
MFLOW_HD void actionGradientSU3(double coef, const double* a, double* out) {
    su3::dagger(a, out);
    for (int k = 0; k < 18; k++) out[k] *= coef;
}

/** Gauge transformation of the d links at site x of configuration b, in place. */
MFLOW_HD void gaugeTransformSite(const Geom& g, bool u1, double* f, const double* omega, int b, int x) {
    int64_t i = (int64_t) b * g.V + x;
    for (int mu = 0; mu < g.d; mu++) {
        int64_t l = g.link(b, mu, x);
        int64_t j = (int64_t) b * g.V + g.upx(mu, x);
        if (u1) {
            f[l] = wrap(omega[i] + f[l] - omega[j]);
        } else {
            double t[18];
            su3::mul(omega + 18 * i, f + 18 * l, t);
            su3::mulDag(t, omega + 18 * j, f + 18 * l);
        }
    }
}

/** Haar links of site x: link (b, mu, x) is the (mu+1)-th draw of Rng(seed, domain, step, b V + x). */
MFLOW_HD void haarSite(const Geom& g, bool u1, double* f, int b, int x, int dom, int64_t seed, int64_t step) {
    Rng r(seed, dom, step, (int64_t) b * g.V + x);
    for (int mu = 0; mu < g.d; mu++) {
        if (u1) f[g.link(b, mu, x)] = r.angle();
        else su3::haar(r, f + 18 * g.link(b, mu, x));
    }
}

/** Haar gauge transformation Omega(i), i = b V + x, first draw of Rng(seed, domain, step, i). */
MFLOW_HD void haarOmega(bool u1, double* omega, int64_t i, int dom, int64_t seed, int64_t step) {
    Rng r(seed, dom, step, i);
    if (u1) omega[i] = r.angle();
    else su3::haar(r, omega + 18 * i);
}

}  // namespace gauge
}  // namespace mflow
