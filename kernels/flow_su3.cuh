// kernels/flow_su3.cuh -- SU(3) spectral link flow per element: forward, inverse, backward
// (backend/cpu/Su3Spectral.java, transcribed operation by operation; see its header for the derivation).
//
// Contract. W = V diag(e^{i theta}) V^dag -> g(W) = V diag(e^{i theta'}) V^dag (conjugation-equivariant). Eigenphases
// lifted to the alcove theta_1 >= theta_2 >= theta_3, sum 0, spread <= 2 pi; gaps a = theta_1 - theta_2,
// b = theta_2 - theta_3, c = 2 pi - a - b; stick breaking x = a / 2 pi, y = b / (b + c), x' = f1(x), y' = f2(y),
// a' = 2 pi x', b' = (2 pi - a') y'. Interval flows: mixtures of K tilted non-compact projections,
// f(z) = sum_j w_j h_{s_j}(m_{t_j}(z)), h_s(u) = (1/pi) atan2(e^{-s} sin(pi u), cos(pi u)), m_t(z) = z / (z + e^t (1 - z)).
// Raw parameters (6K): f1's K log-scales, K logits, K tilts, then f2's; all zero = identity.
// log J = log f1'(x) + log f2'(y) + log((2 pi - a')/(2 pi - a)) + sum_{g=a,b,c} 2 log(sin(g'/2)/sin(g/2)) (Haar density
// ratio), every ratio in factored, guarded form. Decomposition: Cardano shift mu in the largest eigenphase gap,
// Hermitian Cayley transform H = i (1 + 2 mu (W - mu)^{-1}), cyclic complex Jacobi, Rayleigh quotients.
// Backward: Daleckii-Krein in the eigenbasis with a hand-written reverse pass of the alcove map; the link gradient
// is tangent-projected, TA(G W^dag) W. forward returns log J; inverse returns log J of the forward map at the
// preimage; backward writes gW and ADDS into gRaw. K <= MAXK. Also the fixed principal square root on the Weyl cell
// and its Daleckii-Krein backward (sqrt, sqrtBackward; Su3Spectral.sqrt / sqrtBackward), which share the
// decomposition (scratch Eig) and serve the multiscale midpoint (kernels/multiscale.cuh).
//
// Layout: W, W', G: 18 doubles (SU3 layout); raw parameter k at raw[off + k stride].
//
// Flops / bytes per element: forward ~3000 + 60 K flops and 20 + 4 K transcendentals (Cardano, 3x3 inverse, 3-5
// Jacobi sweeps, reconstruction, 4 interval-flow evaluations); backward ~4500 + 120 K; inverse the forward plus
// 5-8 Newton steps per coordinate. Reads 144 B + 48 K B, writes 144 B (+ 48 K B read-modify-write in backward).
#pragma once

#include "core.cuh"
#include "su3.cuh"

namespace mflow {
namespace flow {

struct Spectral {
    static constexpr double SMALL_Z = 1e-6;
    static constexpr double JACOBI_TOL = 1e-17;

    int k;

    /** Scratch of the eigen-decomposition (decompose / reconstruct); all that sqrt and sqrtBackward need. */
    struct Eig {
        double v[18], vu[18], h[18], m1[18], m2[18], m3[18];
        double th[3], thp[3], ph[3], cof[18];
        int ord[3];
        double x, xb, y, yb;
    };

    /** Scratch of the flow: the decomposition's plus the interval flows' (K <= MAXK components). */
    struct Work : Eig {
        double gp[3], gth[3], wb[4];
        double es1[MAXK], w1[MAXK], es2[MAXK], w2[MAXK], gw1[MAXK], gs1[MAXK], gw2[MAXK], gs2[MAXK];
        double et1[MAXK], et2[MAXK], gt1[MAXK], gt2[MAXK];
        double p1x[5], p1xb[5], p2y[5], p2yb[5];
        double la, lb, lc, logJ, gA, gB;
    };

    MFLOW_HD static void zeroGrads(Work& s, int k) {
        for (int j = 0; j < k; j++) { s.gw1[j] = 0; s.gs1[j] = 0; s.gw2[j] = 0; s.gs2[j] = 0; s.gt1[j] = 0; s.gt2[j] = 0; }
    }

    // ------------------------------------------------------------ public API

    MFLOW_HD double forward(const double* w, const double* raw, int64_t off, int64_t stride, double* out) const {
        Work s;
        zeroGrads(s, k);
        loadParams(raw, off, stride, s);
        decompose(w, s);
        alcove(s);
        reconstruct(s, s.thp, out);
        return s.logJ;
    }

    MFLOW_HD double inverse(const double* wPrime, const double* raw, int64_t off, int64_t stride, double* out) const {
        Work s;
        zeroGrads(s, k);
        loadParams(raw, off, stride, s);
        decompose(wPrime, s);
        double* t = s.p1x;
        double zz[2];
        ivInvPair(s.x, s.xb, s.es1, s.et1, s.w1, t, zz); s.x = zz[0]; s.xb = zz[1];
        ivInvPair(s.y, s.yb, s.es2, s.et2, s.w2, t, zz); s.y = zz[0]; s.yb = zz[1];
        double a = TWO_PI * s.x, b = TWO_PI * s.xb * s.y;
        double* th = s.th;
        th[0] = (2 * a + b) / 3; th[1] = (b - a) / 3; th[2] = -(a + 2 * b) / 3;
        reconstruct(s, th, out);
        alcove(s);
        return s.logJ;
    }

    MFLOW_HD void backward(const double* w, const double* raw, int64_t off, int64_t stride, const double* gOut, double gLogJ,
                           double* gW, double* gRaw, int64_t gOff, int64_t gStride) const {
        Work s;
        zeroGrads(s, k);
        loadParams(raw, off, stride, s);
        decompose(w, s);
        alcove(s);
        double *v = s.v, *th = s.th, *thp = s.thp;
        su3::mul(gOut, v, s.m1);
        su3::dagMul(v, s.m1, s.m2);
        double* gt = s.m2;
        double* gp = s.gp;
        for (int j = 0; j < 3; j++) {
            double lr = std::cos(thp[j]), li = std::sin(thp[j]);
            double zr = gt[8 * j], zi = gt[8 * j + 1];
            gp[j] = lr * zi - li * zr;
        }
        double gAp = (2 * gp[0] - gp[1] - gp[2]) / 3, gBp = (gp[0] + gp[1] - 2 * gp[2]) / 3;
        alcoveBack(s, gAp, gBp, gLogJ);
        softmaxBack(s.w1, s.gw1, s.gs1, s.gt1, gRaw, gOff, gStride, 0);
        softmaxBack(s.w2, s.gw2, s.gs2, s.gt2, gRaw, gOff, gStride, 3 * k);
        double ga = s.gA, gb = s.gB;
        double* gth = s.gth;
        gth[0] = ga; gth[1] = gb - ga; gth[2] = -gb;
        double* gtl = s.m1;
        for (int j = 0; j < 3; j++) {
            double lr = std::cos(th[j]), li = std::sin(th[j]);
            gtl[8 * j] = -li * gth[j];
            gtl[8 * j + 1] = lr * gth[j];
        }
        double ra = std::exp(s.la), rb = std::exp(s.lb), rc = std::exp(s.lc);
        for (int p = 0; p < 3; p++)
            for (int q = 0; q < 3; q++) {
                if (p == q) continue;
                int lo = p < q ? p : q, hi = p < q ? q : p;
                double rho = (lo == 0 && hi == 1) ? ra : (lo == 1 ? rb : rc);
                double phi = 0.5 * (thp[p] + thp[q] - th[p] - th[q]);
                double dr = rho * std::cos(phi), di = -rho * std::sin(phi);
                int e = 2 * (3 * p + q);
                double zr = gt[e], zi = gt[e + 1];
                gtl[e] = dr * zr - di * zi;
                gtl[e + 1] = dr * zi + di * zr;
            }
        su3::mul(v, gtl, s.m3);
        su3::mulDag(s.m3, v, s.m2);
        su3::mulDag(s.m2, w, s.m3);
        su3::projectTA(s.m3, s.m1);
        su3::mul(s.m1, w, gW);
    }

    // ------------------------------------------------------------ principal square root (fixed map)

    /**
     * out = W^{1/2} = V diag(e^{i theta/2}) V^dag, theta the eigenphases lifted to the Weyl cell (Su3Spectral.sqrt):
     * det = 1 and sqrt(Omega W Omega^dag) = Omega sqrt(W) Omega^dag; continuous off the cell's outer wall
     * theta_1 - theta_3 = 2 pi. The midpoint of two staples in the multiscale doubling (kernels/multiscale.cuh).
     * ~2700 flops (the decomposition) + 3 sincos.
     */
    MFLOW_HD static void sqrt(const double* w, double* out) {
        Eig s;
        decompose(w, s);
        for (int j = 0; j < 3; j++) s.thp[j] = 0.5 * s.th[j];
        reconstruct(s, s.thp, out);
    }

    /**
     * Backward of sqrt at W (Su3Spectral.sqrtBackward): given G' (dL = Re tr(G'^dag dR), R = sqrt W), writes the
     * tangent-projected G = TA(G~ W^dag) W, G~ = V (conj(D) o V^dag G' V) V^dag with the Daleckii-Krein divided
     * differences D_kl = 1/(mu_k + mu_l), mu = e^{i theta/2} (diagonal 1/(2 mu_k)), bounded off the outer wall.
     * ~4000 flops.
     */
    MFLOW_HD static void sqrtBackward(const double* w, const double* gOut, double* gW) {
        Eig s;
        decompose(w, s);
        double *v = s.v, *th = s.th;
        su3::mul(gOut, v, s.m1);
        su3::dagMul(v, s.m1, s.m2);
        double *gt = s.m2, *gtl = s.m1;
        for (int p = 0; p < 3; p++)
            for (int q = 0; q < 3; q++) {
                double sr = std::cos(0.5 * th[p]) + std::cos(0.5 * th[q]), si = std::sin(0.5 * th[p]) + std::sin(0.5 * th[q]);
                double den = sr * sr + si * si;
                double dr = sr / den, di = si / den;
                int e = 2 * (3 * p + q);
                double zr = gt[e], zi = gt[e + 1];
                gtl[e] = dr * zr - di * zi;
                gtl[e + 1] = dr * zi + di * zr;
            }
        su3::mul(v, gtl, s.m3);
        su3::mulDag(s.m3, v, s.m2);
        su3::mulDag(s.m2, w, s.m3);
        su3::projectTA(s.m3, s.m1);
        su3::mul(s.m1, w, gW);
    }

    // ------------------------------------------------------------ interval flows

    MFLOW_HD void loadParams(const double* raw, int64_t off, int64_t stride, Work& s) const {
        load(raw, off, stride, 0, s.es1, s.et1, s.w1);
        load(raw, off, stride, 3 * k, s.es2, s.et2, s.w2);
    }

    MFLOW_HD void load(const double* raw, int64_t off, int64_t stride, int base, double* es, double* et, double* w) const {
        double mx = -INFINITY;
        for (int j = 0; j < k; j++) {
            es[j] = std::exp(raw[off + (base + j) * stride]);
            mx = jmax(mx, raw[off + (base + k + j) * stride]);
            et[j] = std::exp(raw[off + (base + 2 * k + j) * stride]);
        }
        double z = 0;
        for (int j = 0; j < k; j++) { w[j] = std::exp(raw[off + (base + k + j) * stride] - mx); z += w[j]; }
        for (int j = 0; j < k; j++) w[j] /= z;
    }

    MFLOW_HD static void hr(double u, double e, double h, double hp, double* o) {
        if (u >= SMALL_Z) { o[0] = h / u; o[1] = (hp - o[0]) / u; return; }
        double ei = 1 / e, c3 = PI * PI * u * u / 3;
        o[0] = ei * (1 + (1 - ei * ei) * c3);
        o[1] = ei * (1 - ei * ei) * 2 * PI * PI * u / 3;
    }

    MFLOW_HD void ivEval(double z, const double* es, const double* et, int sg, const double* w, double* o) const {
        int n = k;
        double f = 0, fp = 0, fpp = 0, r = 0, rz = 0;
        double q[2];
        for (int j = 0; j < n; j++) {
            double e = es[j], t = sg > 0 ? et[j] : 1 / et[j];
            double D = z + t * (1 - z), u = z / D, up = t / (D * D), upp = -2 * t * (1 - t) / (D * D * D);
            double sp = std::sin(PI * u), cp = std::cos(PI * u);
            double d = sp * sp + e * e * cp * cp;
            double h = std::atan2(sp / e, cp) / PI, hp = e / d, hpp = -e * TWO_PI * sp * cp * (1 - e * e) / (d * d);
            f += w[j] * h;
            fp += w[j] * hp * up;
            fpp += w[j] * (hpp * up * up + hp * upp);
            hr(u, e, h, hp, q);
            r += w[j] * q[0] / D;
            rz += w[j] * (q[1] * up / D - q[0] * (1 - t) / (D * D));
        }
        o[0] = f; o[1] = fp; o[2] = fpp; o[3] = r; o[4] = rz;
    }

    MFLOW_HD double ivBack(double z, const double* es, const double* et, int sg, const double* w, const double* o, double gF,
                           double gLp, double gR, double* gw, double* gs, double* gt) const {
        int n = k;
        double gFp = gLp / o[1];
        double q[2];
        for (int j = 0; j < n; j++) {
            double e = es[j], t = sg > 0 ? et[j] : 1 / et[j];
            double D = z + t * (1 - z), u = z / D, up = t / (D * D);
            double sp = std::sin(PI * u), cp = std::cos(PI * u);
            double d = sp * sp + e * e * cp * cp;
            double h = std::atan2(sp / e, cp) / PI, hp = e / d, hpp = -e * TWO_PI * sp * cp * (1 - e * e) / (d * d);
            double dhds = -e * sp * cp / (PI * d), dhpds = hp * (1 - 2 * e * e * cp * cp / d);
            double drds;
            if (u >= SMALL_Z) drds = dhds / u;
            else {
                double ei = 1 / e, c3 = PI * PI * u * u / 3;
                drds = -ei + (3 * ei * ei * ei - ei) * c3;
            }
            hr(u, e, h, hp, q);
            double dD = t * (1 - z), du = -z * dD / (D * D), dup = up * (1 - 2 * dD / D);
            double dF = hp * du, dFp = hpp * du * up + hp * dup, dR = q[1] * du / D - q[0] * dD / (D * D);
            gw[j] += gF * h + gFp * hp * up + gR * q[0] / D;
            gs[j] += w[j] * (gF * dhds + gFp * dhpds * up + gR * drds / D);
            gt[j] += sg * w[j] * (gF * dF + gFp * dFp + gR * dR);
        }
        return gF * o[1] + gFp * o[2] + gR * o[4];
    }

    MFLOW_HD double ivInv(double tv, const double* es, const double* et, int sg, const double* w, double* o) const {
        if (!(tv > 0)) return 0;
        double lo = 0, hi = 1, z = tv;
        for (int it = 0; it < 200; it++) {
            ivEval(z, es, et, sg, w, o);
            double r = o[0] - tv;
            if (r > 0) hi = z; else if (r < 0) lo = z; else return z;
            double zn = z - r / o[1];
            if (!(zn > lo && zn < hi)) zn = 0.5 * (lo + hi);
            if (std::fabs(zn - z) <= 2e-16 * z) return zn;
            z = zn;
        }
        return z;
    }

    MFLOW_HD void ivInvPair(double tv, double tvb, const double* es, const double* et, const double* w, double* o,
                            double* zz) const {
        if (tv <= tvb) {
            double z = ivInv(tv, es, et, 1, w, o);
            if (z <= 0.5) { zz[0] = z; zz[1] = 1 - z; return; }
            double zb = ivInv(tvb, es, et, -1, w, o);
            zz[0] = 1 - zb; zz[1] = zb;
        } else {
            double zb = ivInv(tvb, es, et, -1, w, o);
            if (zb <= 0.5) { zz[0] = 1 - zb; zz[1] = zb; return; }
            double z = ivInv(tv, es, et, 1, w, o);
            zz[0] = z; zz[1] = 1 - z;
        }
    }

    MFLOW_HD void softmaxBack(const double* w, const double* gw, const double* gs, const double* gt, double* gRaw, int64_t gOff,
                              int64_t gStride, int base) const {
        int n = k;
        double dot = 0;
        for (int j = 0; j < n; j++) dot += w[j] * gw[j];
        for (int j = 0; j < n; j++) {
            gRaw[gOff + (base + j) * gStride] += gs[j];
            gRaw[gOff + (base + n + j) * gStride] += w[j] * (gw[j] - dot);
            gRaw[gOff + (base + 2 * n + j) * gStride] += gt[j];
        }
    }

    // ------------------------------------------------------------ alcove map and log J

    MFLOW_HD static double ls(double z, double zc) {
        double u = PI * z;
        if (u < 1e-4) return -u * u / 6 - u * u * u * u / 180;
        double sn = std::sin(PI * jmin(z, zc));
        return std::log(jmax(sn, 2.2250738585072014E-308) / u);
    }

    MFLOW_HD static double lsD(double z, double zc) {
        double u = PI * z;
        if (u < 1e-3) return PI * (-u / 3 - u * u * u / 45 - 2 * u * u * u * u * u / 945);
        double cot = z <= 0.5 ? std::cos(u) / std::sin(u)
                : -std::cos(PI * zc) / jmax(std::sin(PI * zc), 2.2250738585072014E-308);
        return PI * cot - 1 / z;
    }

    MFLOW_HD static double wavg(double p, double a, double q, double b) {
        double sum = p + q;
        return sum > 1e-150 ? (p * a + q * b) / sum : 0.5 * (a + b);
    }

    MFLOW_HD void alcove(Work& s) const {
        double x = s.x, xb = s.xb, y = s.y, yb = s.yb;
        ivEval(x, s.es1, s.et1, 1, s.w1, s.p1x);
        ivEval(xb, s.es1, s.et1, -1, s.w1, s.p1xb);
        ivEval(y, s.es2, s.et2, 1, s.w2, s.p2y);
        ivEval(yb, s.es2, s.et2, -1, s.w2, s.p2yb);
        double X = s.p1x[0], Xb = s.p1xb[0], Y = s.p2y[0], Yb = s.p2yb[0];
        double r1x = s.p1x[3], r1xb = s.p1xb[3], r2y = s.p2y[3], r2yb = s.p2yb[3];
        s.la = x <= 0.5 ? std::log(r1x) + ls(X, Xb) - ls(x, xb) : std::log(r1xb) + ls(Xb, X) - ls(xb, x);
        s.lb = xb * y <= 0.5
                ? std::log(r1xb) + std::log(r2y) + ls(Xb * Y, X + Xb * Yb) - ls(xb * y, x + xb * yb)
                : std::log(wavg(x, r1x, xb * yb, r1xb * r2yb)) + ls(X + Xb * Yb, Xb * Y) - ls(x + xb * yb, xb * y);
        s.lc = xb * yb <= 0.5
                ? std::log(r1xb) + std::log(r2yb) + ls(Xb * Yb, X + Xb * Y) - ls(xb * yb, x + xb * y)
                : std::log(wavg(x, r1x, xb * y, r1xb * r2y)) + ls(X + Xb * Y, Xb * Yb) - ls(x + xb * y, xb * yb);
        s.logJ = std::log(s.p1x[1]) + std::log(s.p2y[1]) + std::log(r1xb) + 2 * (s.la + s.lb + s.lc);
        double a = TWO_PI * X, b = TWO_PI * Xb * Y;
        s.thp[0] = (2 * a + b) / 3; s.thp[1] = (b - a) / 3; s.thp[2] = -(a + 2 * b) / 3;
    }

    MFLOW_HD void alcoveBack(Work& s, double gAp, double gBp, double gLJ) const {
        double x = s.x, xb = s.xb, y = s.y, yb = s.yb;
        double X = s.p1x[0], Xb = s.p1xb[0], Y = s.p2y[0], Yb = s.p2yb[0];
        double r1x = s.p1x[3], r1xb = s.p1xb[3], r2y = s.p2y[3], r2yb = s.p2yb[3];
        double gX = TWO_PI * gAp, gXb = TWO_PI * Y * gBp, gY = TWO_PI * Xb * gBp, gYb = 0;
        double gLp1 = gLJ, gLp2 = gLJ;
        double gR1x = 0, gR1xb = gLJ / r1xb, gR2y = 0, gR2yb = 0;
        double gx = 0, gxb = 0, gy = 0, gyb = 0;
        double q = 2 * gLJ, d;
        if (x <= 0.5) {
            gR1x += q / r1x; gX += q * lsD(X, Xb); gx -= q * lsD(x, xb);
        } else {
            gR1xb += q / r1xb; gXb += q * lsD(Xb, X); gxb -= q * lsD(xb, x);
        }
        double* wb = s.wb;
        if (xb * y <= 0.5) {
            gR1xb += q / r1xb; gR2y += q / r2y;
            d = q * lsD(Xb * Y, X + Xb * Yb); gXb += d * Y; gY += d * Xb;
            d = q * lsD(xb * y, x + xb * yb); gxb -= d * y; gy -= d * xb;
        } else {
            double bb = r1xb * r2yb;
            wavgBack(x, r1x, xb * yb, bb, q / wavg(x, r1x, xb * yb, bb), wb);
            gx += wb[0]; gR1x += wb[1]; gxb += wb[2] * yb; gyb += wb[2] * xb;
            gR1xb += wb[3] * r2yb; gR2yb += wb[3] * r1xb;
            d = q * lsD(X + Xb * Yb, Xb * Y); gX += d; gXb += d * Yb; gYb += d * Xb;
            d = q * lsD(x + xb * yb, xb * y); gx -= d; gxb -= d * yb; gyb -= d * xb;
        }
        if (xb * yb <= 0.5) {
            gR1xb += q / r1xb; gR2yb += q / r2yb;
            d = q * lsD(Xb * Yb, X + Xb * Y); gXb += d * Yb; gYb += d * Xb;
            d = q * lsD(xb * yb, x + xb * y); gxb -= d * yb; gyb -= d * xb;
        } else {
            double bb = r1xb * r2y;
            wavgBack(x, r1x, xb * y, bb, q / wavg(x, r1x, xb * y, bb), wb);
            gx += wb[0]; gR1x += wb[1]; gxb += wb[2] * y; gy += wb[2] * xb;
            gR1xb += wb[3] * r2y; gR2y += wb[3] * r1xb;
            d = q * lsD(X + Xb * Y, Xb * Yb); gX += d; gXb += d * Y; gY += d * Xb;
            d = q * lsD(x + xb * y, xb * yb); gx -= d; gxb -= d * y; gy -= d * xb;
        }
        gx += ivBack(x, s.es1, s.et1, 1, s.w1, s.p1x, gX, gLp1, gR1x, s.gw1, s.gs1, s.gt1);
        gxb += ivBack(xb, s.es1, s.et1, -1, s.w1, s.p1xb, gXb, 0, gR1xb, s.gw1, s.gs1, s.gt1);
        gy += ivBack(y, s.es2, s.et2, 1, s.w2, s.p2y, gY, gLp2, gR2y, s.gw2, s.gs2, s.gt2);
        gyb += ivBack(yb, s.es2, s.et2, -1, s.w2, s.p2yb, gYb, 0, gR2yb, s.gw2, s.gs2, s.gt2);
        double gxt = gx - gxb, gyt = gy - gyb;
        double inv = xb > 0 ? 1 / (TWO_PI * xb) : 0;
        s.gA = gxt / TWO_PI + gyt * y * inv;
        s.gB = gyt * inv;
    }

    MFLOW_HD static void wavgBack(double p, double a, double q, double b, double g, double* out) {
        double sum = p + q;
        if (sum > 1e-150) {
            out[0] = g * q * (a - b) / sum / sum;
            out[1] = g * p / sum;
            out[2] = g * p * (b - a) / sum / sum;
            out[3] = g * q / sum;
        } else {
            out[0] = 0; out[1] = 0.5 * g; out[2] = 0; out[3] = 0.5 * g;
        }
    }

    // ------------------------------------------------------------ eigen-decomposition

    MFLOW_HD static void decompose(const double* w, Eig& s) {
        double alpha = cayleyShift(w[0] + w[8] + w[16], w[1] + w[9] + w[17], s.ph);
        double mr = std::cos(alpha), mi = std::sin(alpha);
        double *a = s.m1, *ai = s.m2, *h = s.h;
        for (int i = 0; i < 18; i++) a[i] = w[i];
        for (int j = 0; j < 3; j++) { a[8 * j] -= mr; a[8 * j + 1] -= mi; }
        inverse3(a, ai, s.cof);
        for (int e = 0; e < 18; e += 2) {
            double zr = ai[e], zi = ai[e + 1];
            h[e] = -2 * (mr * zi + mi * zr);
            h[e + 1] = 2 * (mr * zr - mi * zi);
        }
        for (int j = 0; j < 3; j++) h[8 * j + 1] += 1;
        for (int p = 0; p < 3; p++) {
            h[8 * p + 1] = 0;
            for (int q = p + 1; q < 3; q++) {
                int e = 2 * (3 * p + q), f = 2 * (3 * q + p);
                double re = 0.5 * (h[e] + h[f]), im = 0.5 * (h[e + 1] - h[f + 1]);
                h[e] = re; h[e + 1] = im; h[f] = re; h[f + 1] = -im;
            }
        }
        double* vu = s.vu;
        jacobi(h, vu);
        su3::mul(w, vu, s.m3);
        double* ph = s.ph;
        for (int j = 0; j < 3; j++) {
            double re = 0, im = 0;
            for (int i = 0; i < 3; i++) {
                int e = 2 * (3 * i + j);
                double vr = vu[e], vi = vu[e + 1], zr = s.m3[e], zi = s.m3[e + 1];
                re += vr * zr + vi * zi;
                im += vr * zi - vi * zr;
            }
            ph[j] = std::atan2(im, re);
        }
        int i0 = 0, i1 = 1, i2 = 2, t;
        if (ph[i0] < ph[i1]) { t = i0; i0 = i1; i1 = t; }
        if (ph[i1] < ph[i2]) { t = i1; i1 = i2; i2 = t; }
        if (ph[i0] < ph[i1]) { t = i0; i0 = i1; i1 = t; }
        long long n = jround((ph[0] + ph[1] + ph[2]) / TWO_PI);
        int* ord = s.ord;
        double* th = s.th;
        if (n >= 1) {
            ord[0] = i1; ord[1] = i2; ord[2] = i0;
            th[0] = ph[i1]; th[1] = ph[i2]; th[2] = ph[i0] - TWO_PI;
        } else if (n <= -1) {
            ord[0] = i2; ord[1] = i0; ord[2] = i1;
            th[0] = ph[i2] + TWO_PI; th[1] = ph[i0]; th[2] = ph[i1];
        } else {
            ord[0] = i0; ord[1] = i1; ord[2] = i2;
            th[0] = ph[i0]; th[1] = ph[i1]; th[2] = ph[i2];
        }
        for (int j = 0; j < 3; j++)
            for (int i = 0; i < 3; i++) {
                s.v[2 * (3 * i + j)] = vu[2 * (3 * i + ord[j])];
                s.v[2 * (3 * i + j) + 1] = vu[2 * (3 * i + ord[j]) + 1];
            }
        double ga = jmax(0, th[0] - th[1]), gb = jmax(0, th[1] - th[2]);
        double gc = jmax(0, TWO_PI - ga - gb);
        double tot = ga + gb + gc;
        s.x = ga / tot;
        s.xb = (gb + gc) / tot;
        if (gb + gc > 0) { s.y = gb / (gb + gc); s.yb = gc / (gb + gc); }
        else { s.y = 0.5; s.yb = 0.5; }
    }

    MFLOW_HD static void reconstruct(Eig& s, const double* th, double* out) {
        double *v = s.v, *t = s.m1;
        for (int j = 0; j < 3; j++) {
            double c = std::cos(th[j]), sn = std::sin(th[j]);
            for (int i = 0; i < 3; i++) {
                int e = 2 * (3 * i + j);
                double vr = v[e], vi = v[e + 1];
                t[e] = vr * c - vi * sn;
                t[e + 1] = vr * sn + vi * c;
            }
        }
        su3::mulDag(t, v, out);
    }

    MFLOW_HD static double cayleyShift(double tr, double ti, double* ph) {
        double t2r = tr * tr - ti * ti, t2i = 2 * tr * ti;
        double t3r = t2r * tr - t2i * ti, t3i = t2r * ti + t2i * tr;
        double pr = tr - t2r / 3, pi = -ti - t2i / 3;
        double qr = -2 * t3r / 27 + (tr * tr + ti * ti) / 3 - 1, qi = -2 * t3i / 27;
        double p2r = pr * pr - pi * pi, p2i = 2 * pr * pi;
        double p3r = p2r * pr - p2i * pi, p3i = p2r * pi + p2i * pr;
        double dr = (qr * qr - qi * qi) / 4 + p3r / 27, di = qr * qi / 2 + p3i / 27;
        double dm = std::sqrt(dr * dr + di * di), da = std::atan2(di, dr);
        double sr = std::sqrt(dm) * std::cos(da / 2), si = std::sqrt(dm) * std::sin(da / 2);
        double ur = -qr / 2 + sr, ui = -qi / 2 + si, u2r = -qr / 2 - sr, u2i = -qi / 2 - si;
        if (u2r * u2r + u2i * u2i > ur * ur + ui * ui) { ur = u2r; ui = u2i; }
        double um = std::sqrt(ur * ur + ui * ui);
        for (int j = 0; j < 3; j++) {
            double zr = 0, zi = 0;
            if (um > 1e-300) {
                double r = std::cbrt(um), an = std::atan2(ui, ur) / 3 + j * TWO_PI / 3;
                double cr = r * std::cos(an), ci = r * std::sin(an);
                double cm2 = cr * cr + ci * ci;
                double qr2 = (pr * cr + pi * ci) / cm2, qi2 = (pi * cr - pr * ci) / cm2;
                zr = cr - qr2 / 3; zi = ci - qi2 / 3;
            }
            ph[j] = std::atan2(zi + ti / 3, zr + tr / 3);
        }
        double a = ph[0], b = ph[1], c = ph[2], tmp;
        if (a > b) { tmp = a; a = b; b = tmp; }
        if (b > c) { tmp = b; b = c; c = tmp; }
        if (a > b) { tmp = a; a = b; b = tmp; }
        double g1 = b - a, g2 = c - b, g3 = a + TWO_PI - c;
        if (g1 >= g2 && g1 >= g3) return 0.5 * (a + b);
        if (g2 >= g3) return 0.5 * (b + c);
        return 0.5 * (c + a + TWO_PI);
    }

    MFLOW_HD static void inverse3(const double* a, double* ai, double* cof) {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                int i1 = (i + 1) % 3, i2 = (i + 2) % 3, j1 = (j + 1) % 3, j2 = (j + 2) % 3;
                int p = 2 * (3 * i1 + j1), q = 2 * (3 * i2 + j2), r = 2 * (3 * i1 + j2), u = 2 * (3 * i2 + j1);
                cof[2 * (3 * i + j)] = a[p] * a[q] - a[p + 1] * a[q + 1] - (a[r] * a[u] - a[r + 1] * a[u + 1]);
                cof[2 * (3 * i + j) + 1] = a[p] * a[q + 1] + a[p + 1] * a[q] - (a[r] * a[u + 1] + a[r + 1] * a[u]);
            }
        double dr = 0, di = 0;
        for (int j = 0; j < 3; j++) {
            dr += a[2 * j] * cof[2 * j] - a[2 * j + 1] * cof[2 * j + 1];
            di += a[2 * j] * cof[2 * j + 1] + a[2 * j + 1] * cof[2 * j];
        }
        double dm = dr * dr + di * di, ir = dr / dm, ii = -di / dm;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                int e = 2 * (3 * j + i);
                double cr = cof[e], ci = cof[e + 1];
                ai[2 * (3 * i + j)] = cr * ir - ci * ii;
                ai[2 * (3 * i + j) + 1] = cr * ii + ci * ir;
            }
    }

    MFLOW_HD static void jacobi(double* h, double* v) {
        su3::setIdentity(v);
        for (int sweep = 0; sweep < 30; sweep++) {
            bool rotated = false;
            for (int pq = 0; pq < 3; pq++) {
                int p = pq == 2 ? 1 : 0, q = pq == 0 ? 1 : 2;
                int e = 2 * (3 * p + q), f = 2 * (3 * q + p);
                double hr = h[e], hi = h[e + 1];
                double r = std::sqrt(hr * hr + hi * hi);
                if (r < JACOBI_TOL) { h[e] = h[e + 1] = h[f] = h[f + 1] = 0; continue; }
                rotated = true;
                double app = h[8 * p], aqq = h[8 * q];
                double cph = hr / r, sph = hi / r;
                double theta = (aqq - app) / (2 * r);
                double tt = (theta >= 0 ? 1 : -1) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
                double c = 1 / std::sqrt(tt * tt + 1), sn = tt * c;
                rotateColumns(h, p, q, c, sn, cph, sph);
                rotateColumns(v, p, q, c, sn, cph, sph);
                for (int j = 0; j < 3; j++) {
                    int ep = 2 * (3 * p + j), eq = 2 * (3 * q + j);
                    double mpr = h[ep], mpi = h[ep + 1], mqr = h[eq], mqi = h[eq + 1];
                    double er = cph * mqr - sph * mqi, ei = cph * mqi + sph * mqr;
                    h[ep] = c * mpr - sn * er; h[ep + 1] = c * mpi - sn * ei;
                    h[eq] = sn * mpr + c * er; h[eq + 1] = sn * mpi + c * ei;
                }
                h[e] = h[e + 1] = h[f] = h[f + 1] = 0;
                h[8 * p + 1] = 0; h[8 * q + 1] = 0;
            }
            if (!rotated) break;
        }
    }

    MFLOW_HD static void rotateColumns(double* m, int p, int q, double c, double sn, double cph, double sph) {
        for (int i = 0; i < 3; i++) {
            int ep = 2 * (3 * i + p), eq = 2 * (3 * i + q);
            double mpr = m[ep], mpi = m[ep + 1], mqr = m[eq], mqi = m[eq + 1];
            double er = cph * mqr + sph * mqi, ei = cph * mqi - sph * mqr;
            m[ep] = c * mpr - sn * er; m[ep + 1] = c * mpi - sn * ei;
            m[eq] = sn * mpr + c * er; m[eq + 1] = sn * mpi + c * ei;
        }
    }
};

}  // namespace flow
}  // namespace mflow
