// kernels/gauge.cu -- device launch wrappers of the gauge family (kernels/gauge.cuh): plaquettes, staple sums,
// force, action gradient, gauge transformations, Haar links.
//
// Contract: Backend.java's ops on device buffers; one thread per (configuration, site) item i = b V + x unless
// stated; layouts as in gauge.cuh. Per-configuration sums (action, mean plaquette) are the reduce.cu row sums of
// the plaquette field.
//
// Flops / bytes per item (SU(3), d dims): plaquettes d(d-1)/2 x 630 flops, 2d(d-1) links read (deduplicated by
// caches: 4 per plaquette); staples 2(d-1) x 414 flops, 6(d-1) x 144 B read, 144 B written; force and action
// gradient per link the staple + 246 / 18 flops, + 144 B; gauge transform 2d x 198 flops, (2d + 1) x 144 B read,
// d x 144 B written; haar 12 gaussians + ~100 flops per SU(3) link, 144 B written.
#include "launch.cuh"
#include "gauge.cuh"

using namespace mflow;

/** out[(b planes + p) V + x] = (1/N) Re tr P_p(x); items (b, x). */
MFLOW_KERNEL mflow_plaquettes(Geom g, int batch, int u1, const double* f, double* out) {
    ITEMS(i, (int64_t) batch * g.V) gauge::plaquettesSite(g, u1, f, (int) (i / g.V), (int) (i % g.V), out);
}

/** U(1) plaquette angles in (-pi, pi]; items (b, x). */
MFLOW_KERNEL mflow_plaquette_angles(Geom g, int batch, const double* f, double* out) {
    ITEMS(i, (int64_t) batch * g.V) gauge::plaquetteAnglesSite(g, f, (int) (i / g.V), (int) (i % g.V), out);
}

/** Staple sums of direction mu, out[(b V + x) sdof + k]; items (b, x). */
MFLOW_KERNEL mflow_staples(Geom g, int batch, int u1, const double* f, int mu, double* out) {
    ITEMS(i, (int64_t) batch * g.V) {
        int b = (int) (i / g.V), x = (int) (i % g.V);
        if (u1) gauge::stapleU1(g, f, b, mu, x, out + 2 * i);
        else gauge::stapleSU3(g, f, b, mu, x, out + 18 * i);
    }
}

/** Force (mode 0) or Euclidean action gradient (mode 1) of the mu-links, gauge-field layout; items (b, x). */
MFLOW_KERNEL mflow_force(Geom g, int batch, int u1, const double* f, double beta, int mu, int mode, double* out) {
    ITEMS(i, (int64_t) batch * g.V) {
        int b = (int) (i / g.V), x = (int) (i % g.V);
        int64_t l = g.link(b, mu, x);
        if (u1) {
            double a[2];
            gauge::stapleU1(g, f, b, mu, x, a);
            out[l] = gauge::forceU1(beta, f[l], a[0], a[1]);
        } else {
            double a[18];
            gauge::stapleSU3(g, f, b, mu, x, a);
            if (mode == 0) gauge::forceSU3(beta / (2.0 * 3), f + 18 * l, a, out + 18 * l);
            else gauge::actionGradientSU3(-beta / 3, a, out + 18 * l);
        }
    }
}

/** U_mu(x) -> Omega(x) U_mu(x) Omega(x+mu)^dag for all mu, in place; items (b, x). */
MFLOW_KERNEL mflow_gauge_transform(Geom g, int batch, int u1, double* f, const double* omega) {
    ITEMS(i, (int64_t) batch * g.V) gauge::gaugeTransformSite(g, u1, f, omega, (int) (i / g.V), (int) (i % g.V));
}

/** Haar links from Rng(seed, domain, step, b V + x); items (b, x). */
MFLOW_KERNEL mflow_haar_links(Geom g, int batch, int u1, double* f, int dom, int64_t seed, int64_t step) {
    ITEMS(i, (int64_t) batch * g.V) gauge::haarSite(g, u1, f, (int) (i / g.V), (int) (i % g.V), dom, seed, step);
}

/** Haar gauge transformation Omega(i) from Rng(seed, domain, step, i); items i = b V + x. */
MFLOW_KERNEL mflow_haar_omega(int64_t n, int u1, double* omega, int dom, int64_t seed, int64_t step) {
    ITEMS(i, n) gauge::haarOmega(u1, omega, i, dom, seed, step);
}
