// kernels/multiscale.cu -- device launch wrappers of the multiscale-doubling family (kernels/multiscale.cuh): doubling
// split, merge, split backward; midpoint gather / scatter and both backwards; the analytic U(1) base forward /
// inverse / backward.
//
// Contract: Backend.doublingSplit / doublingMerge / doublingSplitBackward (items = (b, s), coarse site s of
// configuration b, n = batch Vc; the fine field has Vf = 2 Vc sites), gatherMidpoint / scatterMidpoint (items =
// elements e = b M + j), scatterMidpointBackward / gatherMidpointBackward (items = configurations: they add into links
// shared by neighbouring elements, so each configuration runs serially in mask-site order, deterministic and
// bit-identical to the host), u1BaseForward / u1BaseInverse / u1BaseBackward (items = elements e = b m + j; feat, raw,
// gFeat, gRaw already offset by fOff / rOff; elements own disjoint entries when fB, rB >= m, else the caller must
// launch one thread). u1 = group U(1) (else SU(3)); logistic = 1 for the truncated logistic, 0 wrapped Cauchy.
// Float64 throughout (these maps feed log q).
//
// Flops / bytes per item: split SU(3) 198 flops, 2d x 144 B read and written (U(1) 16 d B); merge 198 flops,
// (d + 1) x 144 B read, d x 144 B written; split backward 198 + 18 d flops, ~3 d x 144 B; midpoint gather / scatter ~4000 flops + ~30
// transcendentals, 1 KB read, 144 B written; midpoint backwards ~9000 flops, ~2.5 KB per element (times M per
// configuration item); U(1) base ~40 flops + 5 transcendentals (cauchy + ~20 + 10 sqrt(kappa) recurrence steps),
// 40 B; base backward ~60 flops, 64 B.
//
// Registers per thread (nvcc 13.0 -O3 -fmad=false -Xptxas -v; sm_90 / sm_80): split 40 / 40, merge 32 / 40, split
// backward 96 / 96; midpoint gather 234 / 236 and scatter 232 / 240 (+ 1168 B stack frame, no spills: the 3x3 complex
// scratch of the eigen-decomposition lives in local memory); midpoint scatter and gather backward 255 / 255 (+ 1592 B
// stack, 432 B spill stores, 464 B spill loads: two decompositions deep); base 56 / 48 and base backward 56 / 54
// (+ 64 B stack each).
#include "launch.cuh"
#include "multiscale.cuh"

using namespace mflow;

/** Items = coarse sites (b, s), n = batch Vc. */
MFLOW_KERNEL mflow_doubling_split(int batch, int d, int Vc, int u1, int mu, const double* c, const double* r, const int32_t* even,
                                  const int32_t* fresh, double* u) {
    ITEMS(i, (int64_t) batch * Vc) multiscale::splitSite(u1, d, mu, Vc, c, r, even, fresh, (int) (i / Vc), (int) (i % Vc), u);
}

/** Items = coarse sites (b, s). */
MFLOW_KERNEL mflow_doubling_merge(int batch, int d, int Vc, int u1, int mu, const double* u, const int32_t* even,
                                  const int32_t* fresh, double* c) {
    ITEMS(i, (int64_t) batch * Vc) multiscale::mergeSite(u1, d, mu, Vc, u, even, fresh, (int) (i / Vc), (int) (i % Vc), c);
}

/** Items = coarse sites (b, s); each adds into its own coarse links only. */
MFLOW_KERNEL mflow_doubling_split_backward(int batch, int d, int Vc, int u1, int mu, const double* r, const int32_t* even,
                                           const double* gu, double* gc) {
    ITEMS(i, (int64_t) batch * Vc) multiscale::splitBackwardSite(u1, d, mu, Vc, r, even, gu, (int) (i / Vc), (int) (i % Vc), gc);
}

/** Items = elements e = b M + j. */
MFLOW_KERNEL mflow_gather_midpoint(Geom g, int batch, int u1, const double* f, int mu, int nu, const int32_t* sites, int M, double* w) {
    int dof = u1 ? 1 : 18;
    ITEMS(e, (int64_t) batch * M) multiscale::gatherElement(g, u1, f, mu, nu, (int) (e / M), sites[e % M], w + dof * e);
}

/** Items = elements e = b M + j (the links of Gamma are frozen: no element writes what another reads). */
MFLOW_KERNEL mflow_scatter_midpoint(Geom g, int batch, int u1, double* f, int mu, int nu, const int32_t* sites, int M, const double* w) {
    int dof = u1 ? 1 : 18;
    ITEMS(e, (int64_t) batch * M) multiscale::scatterElement(g, u1, f, mu, nu, (int) (e / M), sites[e % M], w + dof * e);
}

/** Items = configurations. */
MFLOW_KERNEL mflow_scatter_midpoint_backward(Geom g, int batch, int u1, const double* f, int mu, int nu, const int32_t* sites, int M,
                                             const double* wNew, double* gl, double* gW) {
    int dof = u1 ? 1 : 18;
    ITEMS(bi, batch) {
        int b = (int) bi;
        for (int j = 0; j < M; j++) {
            int64_t e = (int64_t) b * M + j;
            multiscale::scatterBackwardElement(g, u1, f, mu, nu, b, sites[j], wNew + dof * e, gl, gW + dof * e);
        }
    }
}

/** Items = configurations. */
MFLOW_KERNEL mflow_gather_midpoint_backward(Geom g, int batch, int u1, const double* f, int mu, int nu, const int32_t* sites, int M,
                                            const double* wOld, const double* gW, double* gl) {
    int dof = u1 ? 1 : 18;
    ITEMS(bi, batch) {
        int b = (int) bi;
        for (int j = 0; j < M; j++) {
            int64_t e = (int64_t) b * M + j;
            multiscale::gatherBackwardElement(g, u1, f, mu, nu, b, sites[j], wOld + dof * e, gW + dof * e, gl);
        }
    }
}

/** Items = elements; inverse = 0: in = x, out = y; inverse = 1: in = y, out = x. */
MFLOW_KERNEL mflow_u1_base(int logistic, double betaA, int n, int m, const double* in, const double* feat, int fB, const double* raw,
                           int rB, double* out, double* logJ, int inverse) {
    ITEMS(e, n) multiscale::baseElement(logistic, betaA, e, m, in, feat, fB, raw, rB, inverse, out, logJ);
}

/** Items = elements (disjoint gFeat / gRaw entries when fB, rB >= m). */
MFLOW_KERNEL mflow_u1_base_backward(int logistic, double betaA, int n, int m, const double* x, const double* feat, int fB,
                                    const double* raw, int rB, const double* gY, const double* gLogJ, double* gX, double* gFeat,
                                    double* gRaw) {
    ITEMS(e, n) multiscale::baseBackwardElement(logistic, betaA, e, m, x, feat, fB, raw, rB, gY, gLogJ, gX, gFeat, gRaw);
}
