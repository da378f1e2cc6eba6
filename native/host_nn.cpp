// native/host_nn.cpp -- JNI entry points of the network family (periodic convolution and its backward,
// activations, Adam) for backend `host`.
//
// Contract: Backend.conv / convBackward / activation / activationBackward / adamStep on raw addresses; per-element
// arithmetic in kernels/nn.cuh, in the CPU reference's accumulation order (bit-identical results):
//  - conv: im2col per configuration, then every output y[b][o][j] = (sum over p ascending of W[o][p] col[p][j], zero
//    weights skipped, from +0.0) + bias[o], exactly kernels/nn.cuh convOut, computed 4 channels x 8 outputs at a time
//    in explicit vectors (lanes = outputs j); in parallel over configurations;
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

#include <vector>

using namespace mflow;
using namespace mflow::host;

namespace {

/** Per-thread scratch of the convolutions (grown on demand, reused across configurations). */
struct ConvScratch {
    std::vector<double> col, acc, aux;
};

/** col[p Mp + j] = x[b][c][shift_t(s_j)] for p = c T + t, j < M; zero in the padding lanes j in [M, Mp). */
void im2col(const double* xb, int V, int cin, int T, const int32_t* sh, const int32_t* st, int M, int64_t Mp, double* col) {
    for (int c = 0; c < cin; c++)
        for (int t = 0; t < T; t++) {
            const double* xc = xb + (int64_t) c * V;
            const int32_t* sht = sh + (int64_t) t * V;
            double* row = col + ((int64_t) c * T + t) * Mp;
            if (st) for (int j = 0; j < M; j++) row[j] = xc[sht[st[j]]];
            else for (int j = 0; j < M; j++) row[j] = xc[sht[j]];
            for (int64_t j = M; j < Mp; j++) row[j] = 0;
        }
}

/** colT[j Kp + p] = the transpose of im2col (rows of the K taps of one output), zero in the padding p in [K, Kp). */
void im2colT(const double* xb, int V, int cin, int T, const int32_t* sh, const int32_t* st, int M, int64_t Kp, double* colT) {
    int K = cin * T;
    for (int j = 0; j < M; j++) {
        int s = st ? st[j] : j;
        double* row = colT + (int64_t) j * Kp;
        for (int c = 0; c < cin; c++) {
            const double* xc = xb + (int64_t) c * V;
            for (int t = 0; t < T; t++) row[c * T + t] = xc[sh[(int64_t) t * V + s]];
        }
        for (int64_t p = K; p < Kp; p++) row[p] = 0;
    }
}

/**
 * acc[o][j] (o < ob <= 4, j < Mp) = sum over p ascending of W[o][p] col[p][j], zero weights skipped, from +0.0: the
 * reference's saxpy GEMM row for output channel o, lane by lane. Register block: 4 channels x 8 outputs.
 */
void gemmRows(int ob, int K, const double* w, int64_t K_stride, const double* col, int64_t Mp, double* acc) {
    for (int64_t j = 0; j < Mp; j += 8) {
        v4 a[4][2];
        for (int o = 0; o < 4; o++) { a[o][0] = splat4(0.0); a[o][1] = splat4(0.0); }
        for (int p = 0; p < K; p++) {
            const double* cp = col + (int64_t) p * Mp + j;
            v4 c0 = ld4(cp), c1 = ld4(cp + 4);
            for (int o = 0; o < ob; o++) {
                double wv = w[o * K_stride + p];
                if (wv == 0) continue;
                v4 ws = splat4(wv);
                a[o][0] = a[o][0] + ws * c0;
                a[o][1] = a[o][1] + ws * c1;
            }
        }
        for (int o = 0; o < ob; o++) { st4(acc + o * Mp + j, a[o][0]); st4(acc + o * Mp + j + 4, a[o][1]); }
    }
}

}  // namespace

MFLOW_JNI(void, conv)(JNIEnv*, jclass, jint nt, jint V, jint T, jlong shift, jint nb, jint cin, jint cout, jlong x, jlong w,
                      jlong bias, jlong sites, jint M, jlong y) {
    const double* xd = dp(x);
    const double* wd = dp(w);
    const double* bd = dp(bias);
    const int32_t* sh = ip(shift);
    const int32_t* st = sites == 0 ? nullptr : ip(sites);
    double* yd = dp(y);
    int K = cin * T;
    int64_t Mp = pad8(M);
    // one configuration per task: im2col once, then every output channel (4 at a time) from it
    pblocks<ConvScratch>(nt, nb, 0.5 * K * Mp * cout, [&](ConvScratch& sc, int64_t b) {
        sc.col.resize((size_t) K * Mp);
        sc.acc.resize((size_t) 4 * Mp);
        im2col(xd + b * cin * V, V, cin, T, sh, st, M, Mp, sc.col.data());
        for (int o0 = 0; o0 < cout; o0 += 4) {
            int ob = cout - o0 < 4 ? cout - o0 : 4;
            gemmRows(ob, K, wd + (int64_t) o0 * K, K, sc.col.data(), Mp, sc.acc.data());
            for (int o = 0; o < ob; o++) {
                double bo = bd[o0 + o];
                double* yr = yd + (b * cout + o0 + o) * M;
                const double* ar = sc.acc.data() + o * Mp;
                for (int j = 0; j < M; j++) yr[j] = ar[j] + bo;
            }
        }
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
    int64_t Kp = (K + 3) / 4 * 4, Mp = pad8(M);
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
    // weights: each task owns a block of output channels (rows of dW) and walks n = (b, j) ascending; vectors run
    // over the K entries of a row, so every entry accumulates its terms in the reference's order
    constexpr int OB = 2;
    int nob = (cout + OB - 1) / OB;
    pblocks<ConvScratch>(nt, nob, 0.5 * K * M * nb * OB, [&](ConvScratch& sc, int64_t q) {
        int o0 = (int) q * OB, ob = cout - o0 < OB ? cout - o0 : OB;
        sc.col.resize((size_t) M * Kp);
        sc.acc.resize((size_t) (dotForm ? 4 : 1) * OB * Kp);
        sc.aux.resize((size_t) OB * Kp);
        double* g = sc.aux.data();
        for (int o = 0; o < ob; o++) {
            for (int p = 0; p < K; p++) g[o * Kp + p] = gwd[(int64_t) (o0 + o) * K + p];
            for (int64_t p = K; p < Kp; p++) g[o * Kp + p] = 0;
        }
        double* colT = sc.col.data();
        if (!dotForm) {
            for (int b = 0; b < nb; b++) {
                im2colT(xd + (int64_t) b * cin * V, V, cin, T, sh, st, M, Kp, colT);
                for (int o = 0; o < ob; o++) {
                    const double* r = dyd + ((int64_t) b * cout + o0 + o) * M;
                    double* go = g + o * Kp;
                    for (int j = 0; j < M; j++) {
                        double a = r[j];
                        if (a == 0) continue;
                        v4 as = splat4(a);
                        const double* cr = colT + (int64_t) j * Kp;
                        for (int64_t p = 0; p < Kp; p += 4) st4(go + p, ld4(go + p) + as * ld4(cr + p));
                    }
                }
            }
        } else {
            double* s4 = sc.acc.data();  // [o][class 0..3][Kp]
            for (int b0 = 0; b0 < nb; b0 += cb) {
                int nbc = nb - b0 < cb ? nb - b0 : cb;
                int64_t N = (int64_t) nbc * M, N4 = N / 4 * 4;
                for (int64_t i = 0; i < (int64_t) 4 * OB * Kp; i++) s4[i] = 0;
                for (int bb = 0; bb < nbc; bb++) {
                    int b = b0 + bb;
                    im2colT(xd + (int64_t) b * cin * V, V, cin, T, sh, st, M, Kp, colT);
                    for (int o = 0; o < ob; o++) {
                        const double* r = dyd + ((int64_t) b * cout + o0 + o) * M;
                        for (int j = 0; j < M; j++) {
                            int64_t n = (int64_t) bb * M + j;
                            int cls = n < N4 ? (int) (n % 4) : 0;
                            v4 as = splat4(r[j]);
                            double* sr = s4 + ((int64_t) o * 4 + cls) * Kp;
                            const double* cr = colT + (int64_t) j * Kp;
                            for (int64_t p = 0; p < Kp; p += 4) st4(sr + p, ld4(sr + p) + as * ld4(cr + p));
                        }
                    }
                }
                for (int o = 0; o < ob; o++) {
                    const double* s0 = s4 + ((int64_t) o * 4) * Kp;
                    for (int64_t p = 0; p < Kp; p += 4) {
                        v4 sum = (ld4(s0 + p) + ld4(s0 + Kp + p)) + (ld4(s0 + 2 * Kp + p) + ld4(s0 + 3 * Kp + p));
                        st4(g + o * Kp + p, ld4(g + o * Kp + p) + splat4(1.0) * sum);
                    }
                }
            }
        }
        for (int o = 0; o < ob; o++)
            for (int p = 0; p < K; p++) gwd[(int64_t) (o0 + o) * K + p] = g[o * Kp + p];
    });
    if (dx == 0) return;
    double* dxd = dp(dx);
    // input gradient: per configuration, dcol[p][j] = sum_o W[o][p] dy[b][o][j] (o ascending, zero weights skipped),
    // scattered into dx[b][c] in (t, j) order
    pblocks<ConvScratch>(nt, nb, 0.5 * K * Mp * cout, [&](ConvScratch& sc, int64_t b) {
        sc.aux.resize((size_t) cout * Mp);
        sc.acc.resize((size_t) Mp);
        double* dyp = sc.aux.data();
        for (int o = 0; o < cout; o++) {
            const double* r = dyd + (b * cout + o) * M;
            for (int j = 0; j < M; j++) dyp[o * Mp + j] = r[j];
            for (int64_t j = M; j < Mp; j++) dyp[o * Mp + j] = 0;
        }
        double* d = sc.acc.data();
        for (int c = 0; c < cin; c++) {
            double* xo = dxd + (b * cin + c) * V;
            for (int s = 0; s < V; s++) xo[s] = 0;
            for (int t = 0; t < T; t++) {
                int p = c * T + t;
                for (int64_t j = 0; j < Mp; j += 4) st4(d + j, splat4(0.0));
                for (int o = 0; o < cout; o++) {
                    double wv = wd[(int64_t) o * K + p];
                    if (wv == 0) continue;
                    v4 ws = splat4(wv);
                    const double* r = dyp + o * Mp;
                    for (int64_t j = 0; j < Mp; j += 4) st4(d + j, ld4(d + j) + ws * ld4(r + j));
                }
                const int32_t* sht = sh + (int64_t) t * V;
                for (int j = 0; j < M; j++) xo[sht[st ? st[j] : j]] += d[j];
            }
        }
    });
}

MFLOW_JNI(void, activation)(JNIEnv*, jclass, jint nt, jint act, jint n, jlong x, jlong y) {
    const double* xd = dp(x);
    double* yd = dp(y);
    pfor(nt, n, act == 1 ? 1.0 : 15.0, [&](int64_t i) { yd[i] = nn::actValue(act, xd[i]); });
}

MFLOW_JNI(void, activationBackward)(JNIEnv*, jclass, jint nt, jint act, jint n, jlong x, jlong dy, jlong dx) {
    const double* xd = dp(x);
    const double* dyd = dp(dy);
    double* dxd = dp(dx);
    pfor(nt, n, act == 1 ? 1.0 : 20.0, [&](int64_t i) { dxd[i] = dyd[i] * nn::actDerivative(act, xd[i]); });
}

MFLOW_JNI(void, adam)(JNIEnv*, jclass, jint nt, jint n, jlong p, jlong g, jlong m, jlong v, jdouble lr, jdouble b1, jdouble b2,
                      jdouble eps, jdouble wd, jdouble c1, jdouble c2) {
    double *pd = dp(p), *md = dp(m), *vd = dp(v);
    const double* gd = dp(g);
    pfor(nt, n, 5.0, [&](int64_t i) { nn::adamElement(i, pd, gd, md, vd, lr, b1, b2, eps, wd, c1, c2); });
}
