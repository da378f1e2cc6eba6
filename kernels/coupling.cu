// kernels/coupling.cu -- device launch wrappers of the coupling-layer family (kernels/coupling.cuh): loop features,
// gather / scatter of active links, and their backward.
//
// Contract: Backend.loopFeatures (items (b, x)), gatherActive / scatterActive (items e = b M + j); the backward ops
// add into links shared by neighbouring elements, so they run one thread per configuration, serially in the
// reference's order (planes then sites; mask sites in list order): deterministic and bit-identical to the host.
//
// Flops / bytes per item (SU(3)): features ~450 flops per frozen plaquette, 576 B read; gather / scatter 594 flops,
// 576 B read, 144 B written; backward per element ~1400-2000 flops, ~1.3-1.5 KB.
#include "launch.cuh"
#include "coupling.cuh"

using namespace mflow;

MFLOW_KERNEL mflow_loop_features(Geom g, int batch, int u1, const double* f, const int32_t* frozen, double* out) {
    ITEMS(i, (int64_t) batch * g.V) coupling::loopFeaturesSite(g, u1, f, frozen, (int) (i / g.V), (int) (i % g.V), out);
}

/** Items = configurations. */
MFLOW_KERNEL mflow_loop_features_backward(Geom g, int batch, int u1, const double* f, const int32_t* frozen, const double* gFeat,
                                          double* gl) {
    int np = g.planes(), C = 2 * np, V = g.V;
    ITEMS(bi, batch) {
        int b = (int) bi;
        for (int p = 0; p < np; p++)
            for (int x = 0; x < V; x++) {
                if (frozen[(int64_t) p * V + x] == 0) continue;
                int64_t o = ((int64_t) b * C + 2 * p) * V + x;
                double gr = gFeat[o], gi = gFeat[o + V];
                if (gr == 0 && gi == 0) continue;
                coupling::loopFeaturesBackwardSite(g, u1, f, b, p, x, gr, gi, gl);
            }
    }
}

MFLOW_KERNEL mflow_gather_active(Geom g, int batch, int u1, const double* f, int mu, int nu, const int32_t* sites, int M, double* w) {
    int dof = u1 ? 1 : 18;
    ITEMS(e, (int64_t) batch * M) coupling::gatherElement(g, u1, f, mu, nu, (int) (e / M), sites[e % M], w + dof * e);
}

MFLOW_KERNEL mflow_scatter_active(Geom g, int batch, int u1, double* f, int mu, int nu, const int32_t* sites, int M, const double* w) {
    int dof = u1 ? 1 : 18;
    ITEMS(e, (int64_t) batch * M) coupling::scatterElement(g, u1, f, mu, nu, (int) (e / M), sites[e % M], w + dof * e);
}

/** Items = configurations. */
MFLOW_KERNEL mflow_scatter_active_backward(Geom g, int batch, int u1, const double* f, int mu, int nu, const int32_t* sites, int M,
                                           const double* wNew, double* gl, double* gW) {
    int dof = u1 ? 1 : 18;
    ITEMS(bi, batch) {
        int b = (int) bi;
        for (int j = 0; j < M; j++) {
            int64_t e = (int64_t) b * M + j;
            coupling::scatterBackwardElement(g, u1, f, mu, nu, b, sites[j], wNew + dof * e, gl, gW + dof * e);
        }
    }
}

/** Items = configurations. */
MFLOW_KERNEL mflow_gather_active_backward(Geom g, int batch, int u1, const double* f, int mu, int nu, const int32_t* sites, int M,
                                          const double* wOld, const double* gW, double* gl) {
    int dof = u1 ? 1 : 18;
    ITEMS(bi, batch) {
        int b = (int) bi;
        for (int j = 0; j < M; j++) {
            int64_t e = (int64_t) b * M + j;
            coupling::gatherBackwardElement(g, u1, f, mu, nu, b, sites[j], wOld + dof * e, gW + dof * e, gl);
        }
    }
}
