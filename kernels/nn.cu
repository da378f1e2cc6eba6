// kernels/nn.cu -- device launch wrappers of the network family (kernels/nn.cuh): periodic convolution and its
// backward, activations, Adam.
//
// Contract: Backend.conv (items = outputs (b, o, j)); convBackward in three launches: bias gradients (items = output
// channels, per-chunk sums as the reference), weight gradients (items = entries (o, p); dotForm: four interleaved
// partial sums per chunk of cb configurations, else one running sum, zero dy skipped), input gradients (items =
// (b, c), taps then outputs ascending); activation / activationBackward / adam elementwise. Same accumulation order
// as the host, so equal results. Float64 here; a float32 variant for the networks is future work (docs/engine.md).
//
// Flops / bytes: conv 2 cin T per output (cin T gathered inputs); weight gradient 2 nb M per entry; input gradient
// 2 cout T M per (b, c); activation 10-30 flops, 16 B; Adam ~15 flops + sqrt, 56 B per parameter.
#include "launch.cuh"
#include "nn.cuh"

using namespace mflow;

MFLOW_KERNEL mflow_conv(int V, int T, const int32_t* shift, int nb, int cin, int cout, const double* x, const double* w, const double* bias,
                        const int32_t* sites, int M, double* y) {
    int K = cin * T;
    ITEMS(i, (int64_t) nb * cout * M) {
        int64_t r = i / M;
        int j = (int) (i % M), b = (int) (r / cout), o = (int) (r % cout);
        y[i] = nn::convOut(x + (int64_t) b * cin * V, V, cin, T, shift, sites ? sites[j] : j, w + (int64_t) o * K, bias[o]);
    }
}

MFLOW_KERNEL mflow_conv_bias_grad(int nb, int cout, int M, const double* dy, double* gb, int cb) {
    ITEMS(o, cout) {
        for (int b0 = 0; b0 < nb; b0 += cb) {
            int nbc = nb - b0 < cb ? nb - b0 : cb;
            double s = 0;
            for (int bb = 0; bb < nbc; bb++)
                for (int j = 0; j < M; j++) s += dy[((int64_t) (b0 + bb) * cout + o) * M + j];
            gb[o] += s;
        }
    }
}

MFLOW_KERNEL mflow_conv_weight_grad(int V, int T, const int32_t* shift, int nb, int cin, int cout, const double* x, const int32_t* sites,
                                    int M, const double* dy, double* gw, int cb, int dotForm) {
    int K = cin * T;
    ITEMS(q, (int64_t) cout * K) {
        int o = (int) (q / K), p = (int) (q % K), c = p / T, t = p % T;
        const int32_t* sht = shift + (int64_t) t * V;
        double g = gw[q];
        if (!dotForm) {
            for (int b = 0; b < nb; b++)
                for (int j = 0; j < M; j++) {
                    double a = dy[((int64_t) b * cout + o) * M + j];
                    if (a == 0) continue;
                    g += a * x[((int64_t) b * cin + c) * V + sht[sites ? sites[j] : j]];
                }
        } else {
            for (int b0 = 0; b0 < nb; b0 += cb) {
                int nbc = nb - b0 < cb ? nb - b0 : cb;
                int64_t N = (int64_t) nbc * M, n = 0;
                double s[4] = {0, 0, 0, 0};
                for (; n < N; n++) {
                    int b = b0 + (int) (n / M), j = (int) (n % M);
                    double v = dy[((int64_t) b * cout + o) * M + j] * x[((int64_t) b * cin + c) * V + sht[sites ? sites[j] : j]];
                    s[n < (N / 4) * 4 ? n % 4 : 0] += v;
                }
                g += 1.0 * ((s[0] + s[1]) + (s[2] + s[3]));
            }
        }
        gw[q] = g;
    }
}

MFLOW_KERNEL mflow_conv_input_grad(int V, int T, const int32_t* shift, int nb, int cin, int cout, const double* w, const int32_t* sites,
                                   int M, const double* dy, double* dx) {
    int K = cin * T;
    ITEMS(r, (int64_t) nb * cin) {
        int b = (int) (r / cin), c = (int) (r % cin);
        double* xo = dx + r * V;
        for (int s = 0; s < V; s++) xo[s] = 0;
        const double* dyb = dy + (int64_t) b * cout * M;
        for (int t = 0; t < T; t++) {
            const int32_t* sht = shift + (int64_t) t * V;
            for (int j = 0; j < M; j++) xo[sht[sites ? sites[j] : j]] += nn::convDcol(w, K, cout, c * T + t, dyb, M, j);
        }
    }
}

MFLOW_KERNEL mflow_activation(int act, int n, const double* x, double* y) {
    ITEMS(i, n) y[i] = nn::actValue(act, x[i]);
}

MFLOW_KERNEL mflow_activation_backward(int act, int n, const double* x, const double* dy, double* dx) {
    ITEMS(i, n) dx[i] = dy[i] * nn::actDerivative(act, x[i]);
}

MFLOW_KERNEL mflow_adam(int n, double* p, const double* g, double* m, double* v, double lr, double b1, double b2, double eps, double wd,
                        double c1, double c2) {
    ITEMS(i, n) nn::adamElement(i, p, g, m, v, lr, b1, b2, eps, wd, c1, c2);
}
