// kernels/coupling.cuh -- coupling-layer geometry per element: loop features of frozen plaquettes and their
// backward, gather / scatter of active links W = U Gamma^dag and their backward (backend/cpu/FlowKernels.java,
// transcribed; bit-identical to it for SU(3), an ulp for U(1)'s sin/cos).
//
// Contract (Backend.java). Plaquette P_mn(x) = A B C^dag D^dag with A = U_m(x), B = U_n(x+m), C = U_m(x+n),
// D = U_n(x). Features of plane p at a frozen site: channels 2p, 2p+1 = (1/N) Re tr P, (1/N) Im tr P (U(1): cos,
// sin of the angle), 0 elsewhere; out[(b 2 planes + c) V + x]. Active link U_mu(x), partner nu: frozen staple
// Gamma = U_nu(x) U_mu(x+nu) U_nu(x+mu)^dag, W = U Gamma^dag (U(1): theta_mu(x) - theta_Gamma, not wrapped);
// scatter U = W' Gamma (U(1) wrapped). Euclidean gradients dL = Re tr(G^dag dX): for h = Re tr(c P),
// c = (g_re - i g_im)/N: G_A = conj(c) D C B^dag, G_B = conj(c) A^dag D C, G_C = c D^dag A B, G_D = c A B C^dag;
// for U = W' Gamma: G_W' = G Gamma^dag, G_Gamma = W'^dag G; for W = U Gamma^dag: G_U = G_W Gamma,
// G_Gamma = G_W^dag U; G_Gamma reaches Gamma's links as G_D' = G_Gamma C' B'^dag, G_B' = D'^dag G_Gamma C',
// G_C' = G_Gamma^dag D' B' (D' = U_nu(x), B' = U_mu(x+nu), C' = U_nu(x+mu)).
// A negative partner nu = ~n (-1 - n) takes the staple on the -n side instead (the backward staple):
// Gamma_b = A^dag B C with A = U_n(x-n), B = U_mu(x-n), C = U_n(x-n+mu), so U Gamma_b^dag = P_{mu n}(x-n)^dag up to
// conjugation and Re tr U Gamma_b^dag = Re tr P_{mu n}(x-n); U(1): theta_Gamma_b = -theta_A + theta_B + theta_C;
// G_A = B C G_Gamma^dag, G_B = A G_Gamma C^dag, G_C = B^dag A G_Gamma. Same flops and bytes as the forward staple.
//
// Threads. The per-element functions write only their own element; the *Backward accumulations add into links
// shared between neighbouring elements, so callers run them serially per configuration in site order (that is
// what makes the sums bit-identical to the reference for any thread count).
//
// Layout: elements e = b M + j, site x = sites[j]; w[e dof + k]; link gradients in the gauge-field layout.
//
// Flops / bytes per element (SU(3)): features 2 products + trace ~ 450 flops, 4 links read (576 B), 16 B written;
// features backward 6 products + 4 scaled adds ~ 1400 flops, 4 links read, 4 link gradients read-modify-written
// (1152 B); gather / scatter 3 products 594 flops, 576 B read, 144 B written; scatter backward 9 products
// ~ 1800 flops, ~1300 B; gather backward 10 products ~ 2000 flops, ~1450 B. U(1): ~10 flops, 32-64 B.
#pragma once

#include "core.cuh"
#include "su3.cuh"

namespace mflow {
namespace coupling {

/** Features of site x (every plane): out[(b C + 2p) V + x] and +V; frozen[p V + x] != 0 marks frozen plaquettes. */
MFLOW_HD void loopFeaturesSite(const Geom& g, bool u1, const double* f, const int32_t* frozen, int b, int x, double* out) {
    int V = g.V, np = g.planes(), C = 2 * np;
    for (int p = 0; p < np; p++) {
        int64_t o = ((int64_t) b * C + 2 * p) * V + x;
        if (frozen[(int64_t) p * V + x] == 0) { out[o] = 0; out[o + V] = 0; continue; }
        int m, n;
        planePair(g.d, p, m, n);
        if (u1) {
            double th = f[g.link(b, m, x)] + f[g.link(b, n, g.upx(m, x))] - f[g.link(b, m, g.upx(n, x))] - f[g.link(b, n, x)];
            out[o] = std::cos(th);
            out[o + V] = std::sin(th);
        } else {
            double t1[18], t2[18];
            su3::mul(f + 18 * g.link(b, m, x), f + 18 * g.link(b, n, g.upx(m, x)), t1);
            su3::mul(f + 18 * g.link(b, n, x), f + 18 * g.link(b, m, g.upx(n, x)), t2);
            double re = 0, im = 0;
            for (int r = 0; r < 3; r++)
                for (int k = 0; k < 3; k++) {
                    int a = 2 * (3 * r + k), c = 2 * (3 * r + k);
                    re += t1[a] * t2[c] + t1[a + 1] * t2[c + 1];
                    im += t1[a + 1] * t2[c] - t1[a] * t2[c + 1];
                }
            out[o] = re / 3.0;
            out[o + V] = im / 3.0;
        }
    }
}

/** g += (zr + i zi) t (3x3 complex). */
MFLOW_HD void addScaledC(const double* t, double zr, double zi, double* g) {
    for (int k = 0; k < 18; k += 2) {
        g[k] += zr * t[k] - zi * t[k + 1];
        g[k + 1] += zr * t[k + 1] + zi * t[k];
    }
}

/** Backward of the features of plane (m, n) at site x of configuration b: ADDS into the link gradients g. */
MFLOW_HD void loopFeaturesBackwardSite(const Geom& g, bool u1, const double* f, int b, int p, int x, double gr, double gi,
                                       double* gl) {
    int m, n;
    planePair(g.d, p, m, n);
    int64_t lA = g.link(b, m, x), lB = g.link(b, n, g.upx(m, x)), lC = g.link(b, m, g.upx(n, x)), lD = g.link(b, n, x);
    if (u1) {
        double th = f[lA] + f[lB] - f[lC] - f[lD];
        double gp = -std::sin(th) * gr + std::cos(th) * gi;
        gl[lA] += gp; gl[lB] += gp; gl[lC] -= gp; gl[lD] -= gp;
        return;
    }
    const double *A = f + 18 * lA, *B = f + 18 * lB, *C = f + 18 * lC, *D = f + 18 * lD;
    double ab[18], dc[18], t[18];
    double cr = gr / 3.0, ci = -gi / 3.0;
    su3::mul(D, C, dc);
    su3::mulDag(dc, B, t);
    addScaledC(t, cr, -ci, gl + 18 * lA);
    su3::dagMul(A, dc, t);
    addScaledC(t, cr, -ci, gl + 18 * lB);
    su3::mul(A, B, ab);
    su3::dagMul(D, ab, t);
    addScaledC(t, cr, ci, gl + 18 * lC);
    su3::mulDag(ab, C, t);
    addScaledC(t, cr, ci, gl + 18 * lD);
}

/** Gamma(x) = U_nu(x) U_mu(x+nu) U_nu(x+mu)^dag (SU(3)); nu = ~n: Gamma_b = U_n(x-n)^dag U_mu(x-n) U_n(x-n+mu). */
MFLOW_HD void staple(const Geom& g, const double* f, int b, int mu, int nu, int x, double* gam) {
    double t[18];
    if (nu < 0) {
        int n = ~nu, xm = g.dnx(n, x);
        su3::dagMul(f + 18 * g.link(b, n, xm), f + 18 * g.link(b, mu, xm), t);
        su3::mul(t, f + 18 * g.link(b, n, g.upx(mu, xm)), gam);
        return;
    }
    su3::mul(f + 18 * g.link(b, nu, x), f + 18 * g.link(b, mu, g.upx(nu, x)), t);
    su3::mulDag(t, f + 18 * g.link(b, nu, g.upx(mu, x)), gam);
}

MFLOW_HD double stapleU1(const Geom& g, const double* f, int b, int mu, int nu, int x) {
    if (nu < 0) {
        int n = ~nu, xm = g.dnx(n, x);
        return -f[g.link(b, n, xm)] + f[g.link(b, mu, xm)] + f[g.link(b, n, g.upx(mu, xm))];
    }
    return f[g.link(b, nu, x)] + f[g.link(b, mu, g.upx(nu, x))] - f[g.link(b, nu, g.upx(mu, x))];
}

/** w(e) = U_mu(x) Gamma^dag (U(1): the angle difference). */
MFLOW_HD void gatherElement(const Geom& g, bool u1, const double* f, int mu, int nu, int b, int x, double* w) {
    if (u1) { w[0] = f[g.link(b, mu, x)] - stapleU1(g, f, b, mu, nu, x); return; }
    double gam[18];
    staple(g, f, b, mu, nu, x, gam);
    su3::mulDag(f + 18 * g.link(b, mu, x), gam, w);
}

/** U_mu(x) = W' Gamma in place (U(1) wrapped). */
MFLOW_HD void scatterElement(const Geom& g, bool u1, double* f, int mu, int nu, int b, int x, const double* w) {
    if (u1) { f[g.link(b, mu, x)] = wrap(w[0] + stapleU1(g, f, b, mu, nu, x)); return; }
    double gam[18];
    staple(g, f, b, mu, nu, x, gam);
    su3::mul(w, gam, f + 18 * g.link(b, mu, x));
}

/** Adds dL/dGamma = gGam to Gamma's three links (SU(3)). */
MFLOW_HD void stapleBackward(const Geom& g, const double* f, int b, int mu, int nu, int x, const double* gGam, double* gl) {
    if (nu < 0) {
        int n = ~nu, xm = g.dnx(n, x);
        int64_t lA = g.link(b, n, xm), lB = g.link(b, mu, xm), lC = g.link(b, n, g.upx(mu, xm));
        const double *A = f + 18 * lA, *B = f + 18 * lB, *C = f + 18 * lC;
        double t[18], t2[18];
        su3::mul(B, C, t);
        su3::mulDag(t, gGam, t2);
        su3::addScaled(t2, 1.0, gl + 18 * lA);
        su3::mul(A, gGam, t);
        su3::mulDag(t, C, t2);
        su3::addScaled(t2, 1.0, gl + 18 * lB);
        su3::dagMul(B, A, t);
        su3::mul(t, gGam, t2);
        su3::addScaled(t2, 1.0, gl + 18 * lC);
        return;
    }
    int64_t lD = g.link(b, nu, x), lB = g.link(b, mu, g.upx(nu, x)), lC = g.link(b, nu, g.upx(mu, x));
    const double *D = f + 18 * lD, *B = f + 18 * lB, *C = f + 18 * lC;
    double t[18], t2[18];
    su3::mulDag(C, B, t);
    su3::mul(gGam, t, t2);
    su3::addScaled(t2, 1.0, gl + 18 * lD);
    su3::dagMul(D, gGam, t);
    su3::mul(t, C, t2);
    su3::addScaled(t2, 1.0, gl + 18 * lB);
    su3::mul(D, B, t);
    su3::dagMul(gGam, t, t2);
    su3::addScaled(t2, 1.0, gl + 18 * lC);
}

MFLOW_HD void stapleBackwardU1(const Geom& g, int b, int mu, int nu, int x, double gGam, double* gl) {
    if (nu < 0) {
        int n = ~nu, xm = g.dnx(n, x);
        gl[g.link(b, n, xm)] -= gGam;
        gl[g.link(b, mu, xm)] += gGam;
        gl[g.link(b, n, g.upx(mu, xm))] += gGam;
        return;
    }
    gl[g.link(b, nu, x)] += gGam;
    gl[g.link(b, mu, g.upx(nu, x))] += gGam;
    gl[g.link(b, nu, g.upx(mu, x))] -= gGam;
}

/** Backward of the scatter at element (b, x): gW = G Gamma^dag, G zeroed, Gamma's links += W'^dag G chained. */
MFLOW_HD void scatterBackwardElement(const Geom& g, bool u1, const double* f, int mu, int nu, int b, int x,
                                     const double* wNew, double* gl, double* gW) {
    int64_t l = g.link(b, mu, x);
    if (u1) {
        double v = gl[l];
        gl[l] = 0;
        gW[0] = v;
        stapleBackwardU1(g, b, mu, nu, x, v, gl);
        return;
    }
    double gam[18], gg[18];
    staple(g, f, b, mu, nu, x, gam);
    su3::mulDag(gl + 18 * l, gam, gW);
    su3::dagMul(wNew, gl + 18 * l, gg);
    for (int k = 0; k < 18; k++) gl[18 * l + k] = 0;
    stapleBackward(g, f, b, mu, nu, x, gg, gl);
}

/** Backward of the gather at element (b, x) for the field before the scatter (active link = wOld Gamma). */
MFLOW_HD void gatherBackwardElement(const Geom& g, bool u1, const double* f, int mu, int nu, int b, int x,
                                    const double* wOld, const double* gW, double* gl) {
    int64_t l = g.link(b, mu, x);
    if (u1) {
        gl[l] += gW[0];
        stapleBackwardU1(g, b, mu, nu, x, -gW[0], gl);
        return;
    }
    double gam[18], t2[18], uin[18], gg[18];
    staple(g, f, b, mu, nu, x, gam);
    su3::mul(gW, gam, t2);
    su3::addScaled(t2, 1.0, gl + 18 * l);
    su3::mul(wOld, gam, uin);
    su3::dagMul(gW, uin, gg);
    stapleBackward(g, f, b, mu, nu, x, gg, gl);
}

}  // namespace coupling
}  // namespace mflow
