// kernels/updates.cu -- device launch wrappers of the update family (kernels/updates.cuh): checkerboard heatbath and
// overrelaxation, HMC momenta, kinetic energy per link, link updates, reunitarisation.
//
// Contract: Backend.heatbath / overrelax (one launch per (mu, parity): items (b, j) for the j-th site of that parity,
// sites from the geometry's parity lists; streams Rng(seed, HEATBATH, sweep, (b d + mu) V + x)); drawMomenta,
// updateLinks, reunitarize one thread per link; kinetic writes per-link -tr P^2 (U(1) p^2/2) for the reduce.cu
// row sums.
//
// Flops / bytes per item: heatbath SU(3) staple (2(d-1) x 414) + ~800 + SU(2) draws, 6(d-1) + 1 links read, 144 B
// written; overrelaxation staple + ~700; updateLinks SU(3) ~3600 flops, 288 B; momenta 8 gaussians, 144 B.
#include "launch.cuh"
#include "gauge.cuh"
#include "updates.cuh"

using namespace mflow;

/** One (mu, parity) half-sweep: heatbath (hb = 1) or overrelaxation; items (b, j), x = sites[j], j < V/2. */
MFLOW_KERNEL mflow_checkerboard(Geom g, int batch, int u1, double* f, const int32_t* sites, int mu, double beta,
                                int64_t seed, int64_t sweep, int hb) {
    int h = g.V / 2;
    ITEMS(i, (int64_t) batch * h) {
        int b = (int) (i / h), x = sites[i % h];
        int64_t l = g.link(b, mu, x);
        if (u1) {
            double a[2];
            gauge::stapleU1(g, f, b, mu, x, a);
            if (hb) {
                Rng r(seed, domain::HEATBATH, sweep, l);
                f[l] = updates::heatbathU1(r, beta, a[0], a[1]);
            } else {
                f[l] = updates::overrelaxU1(f[l], a[0], a[1]);
            }
        } else {
            double a[18];
            gauge::stapleSU3(g, f, b, mu, x, a);
            if (hb) {
                Rng r(seed, domain::HEATBATH, sweep, l);
                updates::heatbathSU3(r, beta, f + 18 * l, a);
            } else {
                updates::overrelaxSU3(f + 18 * l, a);
            }
        }
    }
}

/** HMC momenta from Rng(seed, domain, step, l); items = links. */
MFLOW_KERNEL mflow_draw_momenta(int64_t links, int u1, double* p, int dom, int64_t seed, int64_t step) {
    ITEMS(l, links) updates::drawMomentum(u1, p, l, dom, seed, step);
}

/** Per-link kinetic energy into e[l] (U(1) p^2/2, SU(3) -tr P^2); items = links. */
MFLOW_KERNEL mflow_kinetic_links(int64_t links, int u1, const double* p, double* e) {
    ITEMS(l, links) e[l] = u1 ? 0.5 * p[l] * p[l] : su3::kinetic(p + 18 * l);
}

/** U(1) theta <- wrap(theta + c p); SU(3) U <- exp(c P) U; items = links. */
MFLOW_KERNEL mflow_update_links(int64_t links, int u1, double* f, const double* p, double c) {
    ITEMS(l, links) {
        if (u1) f[l] = wrap(f[l] + c * p[l]);
        else updates::updateLinkSU3(f + 18 * l, p + 18 * l, c);
    }
}

/** U(1) wrap, SU(3) Gram-Schmidt; items = links. */
MFLOW_KERNEL mflow_reunitarize(int64_t links, int u1, double* f) {
    ITEMS(l, links) {
        if (u1) f[l] = wrap(f[l]);
        else su3::reunitarize(f + 18 * l);
    }
}
