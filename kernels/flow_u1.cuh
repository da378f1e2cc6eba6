// kernels/flow_u1.cuh -- U(1) link flows per element: mixtures of non-compact projections (ncpK) and circular
// rational-quadratic splines (rqsK), forward, inverse and backward (backend/cpu/NcpMixture.java and
// CircularSpline.java, transcribed operation by operation).
//
// Contract (LinkFlow.java, CircleFlow.java). A flow acts on the lift of an angle: f(x + 2 pi) = f(x) + 2 pi, f' > 0.
// Raw (unconstrained) parameter k of an element is raw[off + k stride]; all zero = identity.
//   ncpK (2K+1 parameters s_0..s_{K-1}, a_0..a_{K-1}, t): x0 in [-pi, pi), x = x0 + 2 pi n,
//     f(x) = sum_k w_k 2 atan2(e^{s_k} sin(x0/2), cos(x0/2)) + t + 2 pi n, w = softmax(a),
//     f' = sum_k w_k e^{s_k} / (cos^2(x0/2) + e^{2 s_k} sin^2(x0/2)); inverse by safeguarded Newton (|f(x) - y| < 1e-13).
//   rqsK (3K+1 parameters u, v, z, t): K bins on [0, 2 pi), widths 2 pi (mw + (1 - K mw) softmax(u)), heights
//     likewise from v, knot derivatives md + softplus(z + c0) with d_K = d_0; the rational-quadratic map of Durkan et
//     al. per bin then the shift t; analytic inverse (stable root of a quadratic); mw = mh = md = 1e-3.
// forward: out[0] = f(x), out[1] = log f'(x). inverse: out[0] = f^{-1}(y), out[1] = log f' at the preimage.
// backward: ADDS dL/draw_k to gRaw[gOff + k gStride] and returns dL/dx, from gY = dL/dy and gLogJ = dL/dlog f'.
// K <= MAXK (core.cuh).
//
// Flops / bytes per element: ncp forward ~25 K flops + K (exp, atan2) + sincos; inverse 5-20 Newton steps of the
// same; backward ~2x forward. rqs O(K) flops (two softmaxes, a bin scan) + 2K exp + K log1p. Reads 8 B of x and
// 8 (2K+1) or 8 (3K+1) B of parameters, writes 16 B (backward: read-modify-writes the parameter gradients).
#pragma once

#include "core.cuh"

namespace mflow {
namespace flow {

// ================================================================== NCP mixture

struct Ncp {
    int k;

    MFLOW_HD void weights(const double* raw, int64_t off, int64_t stride, double* w) const {
        double mx = -INFINITY;
        for (int j = 0; j < k; j++) mx = jmax(mx, raw[off + (k + j) * stride]);
        double z = 0;
        for (int j = 0; j < k; j++) { w[j] = std::exp(raw[off + (k + j) * stride] - mx); z += w[j]; }
        for (int j = 0; j < k; j++) w[j] /= z;
    }

    MFLOW_HD void mix(double x0, const double* raw, int64_t off, int64_t stride, const double* w, double* out) const {
        double c = std::cos(0.5 * x0), s = std::sin(0.5 * x0);
        double g = 0, gp = 0;
        for (int j = 0; j < k; j++) {
            double e = std::exp(raw[off + j * stride]);
            double d = c * c + e * e * s * s;
            g += w[j] * 2 * std::atan2(e * s, c);
            gp += w[j] * e / d;
        }
        out[0] = g; out[1] = gp;
    }

    MFLOW_HD void forward(double x, const double* raw, int64_t off, int64_t stride, double* out) const {
        double n = std::floor((x + PI) / TWO_PI);
        double x0 = x - TWO_PI * n;
        double w[MAXK];
        weights(raw, off, stride, w);
        mix(x0, raw, off, stride, w, out);
        out[0] += raw[off + 2 * k * stride] + TWO_PI * n;
        out[1] = std::log(out[1]);
    }

    MFLOW_HD void inverse(double y, const double* raw, int64_t off, int64_t stride, double* out) const {
        double y1 = y - raw[off + 2 * k * stride];
        double n = std::floor((y1 + PI) / TWO_PI);
        double y0 = y1 - TWO_PI * n;
        double w[MAXK];
        weights(raw, off, stride, w);
        double lo = -PI, hi = PI, x = y0;
        double gv[2];
        for (int it = 0; it < 200; it++) {
            mix(x, raw, off, stride, w, gv);
            double r = gv[0] - y0;
            if (r > 0) hi = x; else lo = x;
            if (std::fabs(r) < 1e-14) break;
            double xn = x - r / gv[1];
            if (!(xn > lo && xn < hi)) xn = 0.5 * (lo + hi);
            if (hi - lo < 1e-15) { x = xn; break; }
            x = xn;
        }
        mix(x, raw, off, stride, w, gv);
        out[0] = x + TWO_PI * n;
        out[1] = std::log(gv[1]);
    }

    MFLOW_HD double backward(double x, const double* raw, int64_t off, int64_t stride, double gY, double gLogJ,
                             double* gRaw, int64_t gOff, int64_t gStride) const {
        double n = std::floor((x + PI) / TWO_PI);
        double x0 = x - TWO_PI * n;
        double w[MAXK], fk[MAXK], fpk[MAXK], gw[MAXK];
        weights(raw, off, stride, w);
        double c = std::cos(0.5 * x0), s = std::sin(0.5 * x0);
        double jac = 0, jac2 = 0;
        for (int j = 0; j < k; j++) {
            double e = std::exp(raw[off + j * stride]);
            double d = c * c + e * e * s * s;
            fk[j] = 2 * std::atan2(e * s, c);
            fpk[j] = e / d;
            jac += w[j] * fpk[j];
            jac2 += w[j] * (-e * s * c * (e * e - 1) / (d * d));
        }
        double gJ = gLogJ / jac;
        double dx = gY * jac + gJ * jac2;
        double dot = 0;
        for (int j = 0; j < k; j++) {
            double e = std::exp(raw[off + j * stride]);
            double d = c * c + e * e * s * s;
            double dfds = 2 * e * s * c / d;
            double dfpds = fpk[j] * (1 - 2 * e * e * s * s / d);
            gRaw[gOff + j * gStride] += w[j] * (gY * dfds + gJ * dfpds);
            gw[j] = gY * fk[j] + gJ * fpk[j];
            dot += w[j] * gw[j];
        }
        for (int j = 0; j < k; j++) gRaw[gOff + (k + j) * gStride] += w[j] * (gw[j] - dot);
        gRaw[gOff + 2 * k * gStride] += gY;
        return dx;
    }
};

// ================================================================== circular rational-quadratic spline

struct Rqs {
    int k;
    double minW, minH, minD, c0;

    MFLOW_HD static Rqs make(int bins) {
        Rqs r;
        r.k = bins; r.minW = 1e-3; r.minH = 1e-3; r.minD = 1e-3;
        r.c0 = std::log(std::expm1(1 - r.minD));
        return r;
    }

    struct Spline {
        double pw[MAXK], ph[MAXK], w[MAXK], h[MAXK], d[MAXK + 1], sig[MAXK], X[MAXK + 1], Y[MAXK + 1];
        double t;
    };

    MFLOW_HD static double softplus(double z) { return z > 30 ? z : std::log1p(std::exp(z)); }

    MFLOW_HD void softmax(const double* raw, int64_t off, int64_t stride, double* p) const {
        double mx = -INFINITY;
        for (int i = 0; i < k; i++) mx = jmax(mx, raw[off + i * stride]);
        double z = 0;
        for (int i = 0; i < k; i++) { p[i] = std::exp(raw[off + i * stride] - mx); z += p[i]; }
        for (int i = 0; i < k; i++) p[i] /= z;
    }

    MFLOW_HD void build(const double* raw, int64_t off, int64_t stride, Spline& sp) const {
        softmax(raw, off, stride, sp.pw);
        softmax(raw, off + k * stride, stride, sp.ph);
        for (int i = 0; i < k; i++) {
            sp.w[i] = TWO_PI * (minW + (1 - k * minW) * sp.pw[i]);
            sp.h[i] = TWO_PI * (minH + (1 - k * minH) * sp.ph[i]);
            double z = raw[off + (2 * k + i) * stride] + c0;
            sp.d[i] = minD + softplus(z);
            sp.sig[i] = 1 / (1 + std::exp(-z));
        }
        sp.d[k] = sp.d[0];
        sp.X[0] = 0; sp.Y[0] = 0;
        for (int i = 0; i < k; i++) { sp.X[i + 1] = sp.X[i] + sp.w[i]; sp.Y[i + 1] = sp.Y[i] + sp.h[i]; }
        sp.X[k] = TWO_PI; sp.Y[k] = TWO_PI;
        sp.t = raw[off + 3 * k * stride];
    }

    MFLOW_HD int binX(const Spline& sp, double xr) const { int i = 0; while (i < k - 1 && xr >= sp.X[i + 1]) i++; return i; }
    MFLOW_HD int binY(const Spline& sp, double yr) const { int i = 0; while (i < k - 1 && yr >= sp.Y[i + 1]) i++; return i; }

    MFLOW_HD static double logDeriv(double xi, double s, double d0, double d1) {
        double om = 1 - xi;
        double b = s + (d1 + d0 - 2 * s) * xi * om;
        double c = d1 * xi * xi + 2 * s * xi * om + d0 * om * om;
        return 2 * std::log(s) + std::log(c) - 2 * std::log(b);
    }

    MFLOW_HD void forward(double x, const double* raw, int64_t off, int64_t stride, double* out) const {
        Spline sp;
        build(raw, off, stride, sp);
        double n = std::floor(x / TWO_PI);
        double xr = x - TWO_PI * n;
        if (xr >= TWO_PI) { xr -= TWO_PI; n += 1; }
        int i = binX(sp, xr);
        double xi = (xr - sp.X[i]) / sp.w[i], s = sp.h[i] / sp.w[i], om = 1 - xi;
        double d0 = sp.d[i], d1 = sp.d[i + 1];
        double b = s + (d1 + d0 - 2 * s) * xi * om;
        out[0] = sp.Y[i] + sp.h[i] * (s * xi * xi + d0 * xi * om) / b + sp.t + TWO_PI * n;
        out[1] = logDeriv(xi, s, d0, d1);
    }

    MFLOW_HD void inverse(double y, const double* raw, int64_t off, int64_t stride, double* out) const {
        Spline sp;
        build(raw, off, stride, sp);
        double y1 = y - sp.t;
        double n = std::floor(y1 / TWO_PI);
        double yr = y1 - TWO_PI * n;
        if (yr >= TWO_PI) { yr -= TWO_PI; n += 1; }
        int i = binY(sp, yr);
        double s = sp.h[i] / sp.w[i], d0 = sp.d[i], d1 = sp.d[i + 1], h = sp.h[i];
        double dy = yr - sp.Y[i], q = d1 + d0 - 2 * s;
        double a = h * (s - d0) + dy * q;
        double bb = h * d0 - dy * q;
        double c = -s * dy;
        double disc = jmax(0, bb * bb - 4 * a * c);
        double xi = (2 * c) / (-bb - std::sqrt(disc));
        xi = jmin(1, jmax(0, xi));
        out[0] = sp.X[i] + xi * sp.w[i] + TWO_PI * n;
        out[1] = logDeriv(xi, s, d0, d1);
    }

    MFLOW_HD double backward(double x, const double* raw, int64_t off, int64_t stride, double gY, double gLogJ,
                             double* gRaw, int64_t gOff, int64_t gStride) const {
        Spline sp;
        build(raw, off, stride, sp);
        double n = std::floor(x / TWO_PI);
        double xr = x - TWO_PI * n;
        if (xr >= TWO_PI) { xr -= TWO_PI; }
        int i = binX(sp, xr);
        double W = sp.w[i], H = sp.h[i];
        double xi = (xr - sp.X[i]) / W, s = H / W, om = 1 - xi, xo = xi * om;
        double d0 = sp.d[i], d1 = sp.d[i + 1];
        double q = d1 + d0 - 2 * s;
        double A = s * xi * xi + d0 * xo;
        double B = s + q * xo;
        double C = d1 * xi * xi + 2 * s * xo + d0 * om * om;
        double gA = gY * H / B, gB = -gY * H * A / (B * B) - 2 * gLogJ / B, gC = gLogJ / C;
        double gH = gY * A / B;
        double gYi = gY;
        double gs = gA * xi * xi + gB * (1 - 2 * xo) + gC * 2 * xo + gLogJ * 2 / s;
        double gxi = gA * (2 * s * xi + d0 * (1 - 2 * xi)) + gB * q * (1 - 2 * xi)
                + gC * (2 * d1 * xi + 2 * s * (1 - 2 * xi) - 2 * d0 * om);
        double gd0 = gA * xo + gB * xo + gC * om * om;
        double gd1 = gB * xo + gC * xi * xi;
        gH += gs / W;
        double gW = -gs * H / (W * W) - gxi * xi / W;
        double gXi = -gxi / W;
        double dx = gxi / W;
        double gw[MAXK], gh[MAXK];
        for (int j = 0; j < k; j++) { gw[j] = 0; gh[j] = 0; }
        gw[i] += gW; gh[i] += gH;
        for (int j = 0; j < i; j++) { gw[j] += gXi; gh[j] += gYi; }
        double sw = 0, sh = 0;
        for (int j = 0; j < k; j++) { sw += sp.pw[j] * gw[j]; sh += sp.ph[j] * gh[j]; }
        double fw = TWO_PI * (1 - k * minW), fh = TWO_PI * (1 - k * minH);
        for (int j = 0; j < k; j++) {
            gRaw[gOff + j * gStride] += fw * sp.pw[j] * (gw[j] - sw);
            gRaw[gOff + (k + j) * gStride] += fh * sp.ph[j] * (gh[j] - sh);
        }
        int i1 = (i + 1) % k;
        gRaw[gOff + (2 * k + i) * gStride] += gd0 * sp.sig[i];
        gRaw[gOff + (2 * k + i1) * gStride] += gd1 * sp.sig[i1];
        gRaw[gOff + 3 * k * gStride] += gY;
        return dx;
    }
};

}  // namespace flow
}  // namespace mflow
