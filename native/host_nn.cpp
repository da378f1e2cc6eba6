// native/host_nn.cpp -- JNI entry points of the network family (periodic convolution and its backward,
// activations, Adam) for backend `host`.
//
// Contract: Backend.conv / convBackward / activation / activationBackward / adamStep on raw addresses; per-element
// arithmetic in kernels/nn.cuh, in the CPU reference's accumulation order (bit-identical results):
//  - conv: every output y[b][o][j] = convOut(...) independently, in parallel over (b, o) rows;
//  - convBackward: bias gradients summed per chunk of cb configurations (the reference's im2col chunks, cb passed
//    by the caller), weight gradients per entry over n = (b, j) ascending (dotForm: the reference's dot-product GEMM
//    with four interleaved partial sums per chunk; else one running sum with zero dy skipped), input gradients per
//    (b, c) with taps then outputs ascending; in parallel over weight entries and over (b, c) respectively;
//  - Adam: elementwise with the bias corrections c1, c2 from the caller.
//
// Layout: x[(b cin + c) V + s]; y, dy[(b cout + o) M + j]; W[o][c T + t] (w points at wOff); bias (at bOff);
// shift[t V + s]; sites[j] (null address 0: all V sites, M = V).
//
// Flops / bytes: conv 2 cout cin T per output site; backward about twice that; activation 10-30 flops per element.
#include "host.hpp"

#include "../kernels/nn.cuh"

using namespace mflow;
using namespace mflow::host;

MFLOW_JNI(void, conv)(JNIEnv*, jclass, jint nt, jint V, jint T, jlong shift, jint nb, jint cin, jint cout, jlong x, jlong w,
                      jlong bias, jlong sites, jint M, jlong y) {
    const double* xd = dp(x);
    const double* wd = dp(w);
    const double* bd = dp(bias);
    const int32_t* sh = ip(shift);
    const int32_t* st = sites == 0 ? nullptr : ip(sites);
    double* yd = dp(y);
    int K = cin * T;
    pfor(nt, (int64_t) nb * cout, 2, [&](int64_t r) {
        int b = (int) (r / cout), o = (int) (r % cout);
        const double* xb = xd + (int64_t) b * cin * V;
        const double* wrow = wd + (int64_t) o * K;
        double* yr = yd + r * M;
        double bo = bd[o];
        for (int j = 0; j < M; j++) yr[j] = nn::convOut(xb, V, cin, T, sh, st ? st[j] : j, wrow, bo);
    });
}

MFLOW_JNI(void, convBackward)(JNIEnv*, jclass, jint nt, jint V, jint T, jlong shift, jint nb, jint cin, jint cout, jlong x,
                              jlong w, jlong sites, jint M, jlong dy, jlong dx, jlong gw, jlong gb, jint cb, jboolean dotForm) {
    const double* xd = dp(x);
    const double* wd = dp(w);
    const int32_t* sh = ip(shift);
    const int32_t* st = sites == 0 ? nullptr : ip(sites);
    const double* dyd = dp(dy);
    double* gwd = dp(gw);
    double* gbd = dp(gb);
    int K = cin * T;
    // bias: per chunk of cb configurations, (bb, j) ascending
    for (int o = 0; o < cout; o++)
        for (int b0 = 0; b0 < nb; b0 += cb) {
            int nbc = nb - b0 < cb ? nb - b0 : cb;
            double s = 0;
            for (int bb = 0; bb < nbc; bb++) {
                const double* r = dyd + ((int64_t) (b0 + bb) * cout + o) * M;
                for (int j = 0; j < M; j++) s += r[j];
            }
            gbd[o] += s;
        }
    // weights: entry (o, p), p = c T + t
    pfor(nt, (int64_t) cout * K, 4, [&](int64_t q) {
        int o = (int) (q / K), p = (int) (q % K), c = p / T, t = p % T;
        const int32_t* sht = sh + (int64_t) t * V;
        double g = gwd[q];
        if (!dotForm) {
            for (int b = 0; b < nb; b++) {
                const double* r = dyd + ((int64_t) b * cout + o) * M;
                const double* xc = xd + ((int64_t) b * cin + c) * V;
                for (int j = 0; j < M; j++) {
                    double a = r[j];
                    if (a == 0) continue;
                    g += a * xc[sht[st ? st[j] : j]];
                }
            }
        } else {
            for (int b0 = 0; b0 < nb; b0 += cb) {
                int nbc = nb - b0 < cb ? nb - b0 : cb;
                int64_t N = (int64_t) nbc * M, n = 0;
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                auto term = [&](int64_t i) {
                    int bb = (int) (i / M), j = (int) (i % M), b = b0 + bb;
                    return dyd[((int64_t) b * cout + o) * M + j] * xd[((int64_t) b * cin + c) * V + sht[st ? st[j] : j]];
                };
                for (; n + 4 <= N; n += 4) {
                    s0 += term(n);
                    s1 += term(n + 1);
                    s2 += term(n + 2);
                    s3 += term(n + 3);
                }
                for (; n < N; n++) s0 += term(n);
                double s = (s0 + s1) + (s2 + s3);
                g += 1.0 * s;
            }
        }
        gwd[q] = g;
    });
    if (dx == 0) return;
    double* dxd = dp(dx);
    pfor(nt, (int64_t) nb * cin, 2, [&](int64_t r) {
        int b = (int) (r / cin), c = (int) (r % cin);
        double* xo = dxd + r * V;
        for (int s = 0; s < V; s++) xo[s] = 0;
        const double* dyb = dyd + (int64_t) b * cout * M;
        for (int t = 0; t < T; t++) {
            const int32_t* sht = sh + (int64_t) t * V;
            int p = c * T + t;
            for (int j = 0; j < M; j++) xo[sht[st ? st[j] : j]] += nn::convDcol(wd, K, cout, p, dyb, M, j);
        }
    });
}

MFLOW_JNI(void, activation)(JNIEnv*, jclass, jint nt, jint act, jint n, jlong x, jlong y) {
    const double* xd = dp(x);
    double* yd = dp(y);
    pfor(nt, n, 4096, [&](int64_t i) { yd[i] = nn::actValue(act, xd[i]); });
}

MFLOW_JNI(void, activationBackward)(JNIEnv*, jclass, jint nt, jint act, jint n, jlong x, jlong dy, jlong dx) {
    const double* xd = dp(x);
    const double* dyd = dp(dy);
    double* dxd = dp(dx);
    pfor(nt, n, 4096, [&](int64_t i) { dxd[i] = dyd[i] * nn::actDerivative(act, xd[i]); });
}

MFLOW_JNI(void, adam)(JNIEnv*, jclass, jint nt, jint n, jlong p, jlong g, jlong m, jlong v, jdouble lr, jdouble b1, jdouble b2,
                      jdouble eps, jdouble wd, jdouble c1, jdouble c2) {
    double *pd = dp(p), *md = dp(m), *vd = dp(v);
    const double* gd = dp(g);
    pfor(nt, n, 8192, [&](int64_t i) { nn::adamElement(i, pd, gd, md, vd, lr, b1, b2, eps, wd, c1, c2); });
}
