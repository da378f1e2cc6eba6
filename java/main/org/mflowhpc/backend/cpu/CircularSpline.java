package org.mflowhpc.backend.cpu;

/**
 * Circular rational-quadratic spline (Durkan et al. arXiv:1906.04032, circular variant of Rezende et al.
 * arXiv:2002.02428) followed by a shift.
 *
 * <p>K bins on [0, 2 pi): widths W_i = 2 pi (mw + (1 - K mw) softmax(u)_i), heights H_i likewise from v, knot
 * derivatives d_i = md + softplus(z_i + c0), c0 = log(e^{1 - md} - 1) (so z = 0 gives d = 1), with the periodic
 * boundary condition d_K = d_0. Knots X_0 = 0, X_{i+1} = X_i + W_i (X_K = 2 pi), Y likewise. For x = xr + 2 pi n,
 * xr in [0, 2 pi) in bin i, xi = (xr - X_i)/W_i, s = H_i/W_i:
 * <pre>
 *   B    = s + (d_{i+1} + d_i - 2 s) xi (1 - xi)
 *   f(x) = Y_i + H_i (s xi^2 + d_i xi (1 - xi)) / B + t + 2 pi n
 *   f'   = s^2 (d_{i+1} xi^2 + 2 s xi (1 - xi) + d_i (1 - xi)^2) / B^2
 * </pre>
 * Raw parameters per element (3K + 1): u_0..u_{K-1}, v_0..v_{K-1}, z_0..z_{K-1}, t (shift, an angle).
 * All-zero raw parameters give the identity. Inverse: analytic (root of a quadratic, the numerically stable
 * form). Backward: hand-derived partials w.r.t. (xi, s, H_i, Y_i, d_i, d_{i+1}), chained through the knot
 * cumulative sums, the softmaxes and the softplus. Cost: O(K) per element (two softmaxes + a bin scan).
 * Defaults: mw = mh = 1e-3, md = 1e-3.
 */
public final class CircularSpline implements CircleFlow {
    private static final double TWO_PI = 2 * Math.PI;
    private final int k;
    private final double minW, minH, minD, c0;

    public CircularSpline(int bins) { this(bins, 1e-3, 1e-3, 1e-3); }

    public CircularSpline(int bins, double minWidth, double minHeight, double minDerivative) {
        if (bins < 2) throw new IllegalArgumentException("circular spline needs >= 2 bins");
        if (minWidth * bins >= 1 || minHeight * bins >= 1) throw new IllegalArgumentException("minimum bin size too large");
        this.k = bins; this.minW = minWidth; this.minH = minHeight; this.minD = minDerivative;
        this.c0 = Math.log(Math.expm1(1 - minDerivative));
    }

    public int bins() { return k; }
    @Override public String kind() { return "rqs" + k; }
    @Override public int paramsPerElement() { return 3 * k + 1; }

    /** Per-call scratch: constrained parameters. */
    private final class Spline {
        final double[] pw = new double[k], ph = new double[k]; // softmax probabilities
        final double[] w = new double[k], h = new double[k], d = new double[k + 1], sig = new double[k];
        final double[] X = new double[k + 1], Y = new double[k + 1];
        double t;

        Spline(double[] raw, int off, int stride) {
            softmax(raw, off, stride, pw);
            softmax(raw, off + k * stride, stride, ph);
            for (int i = 0; i < k; i++) {
                w[i] = TWO_PI * (minW + (1 - k * minW) * pw[i]);
                h[i] = TWO_PI * (minH + (1 - k * minH) * ph[i]);
                double z = raw[off + (2 * k + i) * stride] + c0;
                d[i] = minD + softplus(z);
                sig[i] = 1 / (1 + Math.exp(-z));
            }
            d[k] = d[0];
            for (int i = 0; i < k; i++) { X[i + 1] = X[i] + w[i]; Y[i + 1] = Y[i] + h[i]; }
            X[k] = TWO_PI; Y[k] = TWO_PI;
            t = raw[off + 3 * k * stride];
        }

        int binX(double xr) { int i = 0; while (i < k - 1 && xr >= X[i + 1]) i++; return i; }
        int binY(double yr) { int i = 0; while (i < k - 1 && yr >= Y[i + 1]) i++; return i; }
    }

    private static double softplus(double z) { return z > 30 ? z : Math.log1p(Math.exp(z)); }

    private void softmax(double[] raw, int off, int stride, double[] p) {
        double mx = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < k; i++) mx = Math.max(mx, raw[off + i * stride]);
        double z = 0;
        for (int i = 0; i < k; i++) { p[i] = Math.exp(raw[off + i * stride] - mx); z += p[i]; }
        for (int i = 0; i < k; i++) p[i] /= z;
    }

    private static double logDeriv(double xi, double s, double d0, double d1) {
        double om = 1 - xi;
        double b = s + (d1 + d0 - 2 * s) * xi * om;
        double c = d1 * xi * xi + 2 * s * xi * om + d0 * om * om;
        return 2 * Math.log(s) + Math.log(c) - 2 * Math.log(b);
    }

    @Override public void forward(double x, double[] raw, int off, int stride, double[] out) {
        Spline sp = new Spline(raw, off, stride);
        double n = Math.floor(x / TWO_PI);
        double xr = x - TWO_PI * n;
        if (xr >= TWO_PI) { xr -= TWO_PI; n += 1; }
        int i = sp.binX(xr);
        double xi = (xr - sp.X[i]) / sp.w[i], s = sp.h[i] / sp.w[i], om = 1 - xi;
        double d0 = sp.d[i], d1 = sp.d[i + 1];
        double b = s + (d1 + d0 - 2 * s) * xi * om;
        out[0] = sp.Y[i] + sp.h[i] * (s * xi * xi + d0 * xi * om) / b + sp.t + TWO_PI * n;
        out[1] = logDeriv(xi, s, d0, d1);
    }

    @Override public void inverse(double y, double[] raw, int off, int stride, double[] out) {
        Spline sp = new Spline(raw, off, stride);
        double y1 = y - sp.t;
        double n = Math.floor(y1 / TWO_PI);
        double yr = y1 - TWO_PI * n;
        if (yr >= TWO_PI) { yr -= TWO_PI; n += 1; }
        int i = sp.binY(yr);
        double s = sp.h[i] / sp.w[i], d0 = sp.d[i], d1 = sp.d[i + 1], h = sp.h[i];
        double dy = yr - sp.Y[i], q = d1 + d0 - 2 * s;
        double a = h * (s - d0) + dy * q;
        double bb = h * d0 - dy * q;
        double c = -s * dy;
        double disc = Math.max(0, bb * bb - 4 * a * c);
        double xi = (2 * c) / (-bb - Math.sqrt(disc));
        xi = Math.min(1, Math.max(0, xi));
        out[0] = sp.X[i] + xi * sp.w[i] + TWO_PI * n;
        out[1] = logDeriv(xi, s, d0, d1);
    }

    @Override public double backward(double x, double[] raw, int off, int stride, double gY, double gLogJ,
                                     double[] gRaw, int gOff, int gStride) {
        Spline sp = new Spline(raw, off, stride);
        double n = Math.floor(x / TWO_PI);
        double xr = x - TWO_PI * n;
        if (xr >= TWO_PI) { xr -= TWO_PI; }
        int i = sp.binX(xr);
        double W = sp.w[i], H = sp.h[i];
        double xi = (xr - sp.X[i]) / W, s = H / W, om = 1 - xi, xo = xi * om;
        double d0 = sp.d[i], d1 = sp.d[i + 1];
        double q = d1 + d0 - 2 * s;
        double A = s * xi * xi + d0 * xo;
        double B = s + q * xo;
        double C = d1 * xi * xi + 2 * s * xo + d0 * om * om;
        // partials of y = Y_i + H A / B  and  lj = 2 log s + log C - 2 log B
        double gA = gY * H / B, gB = -gY * H * A / (B * B) - 2 * gLogJ / B, gC = gLogJ / C;
        double gH = gY * A / B;
        double gYi = gY;
        double gs = gA * xi * xi + gB * (1 - 2 * xo) + gC * 2 * xo + gLogJ * 2 / s;
        double gxi = gA * (2 * s * xi + d0 * (1 - 2 * xi)) + gB * q * (1 - 2 * xi)
                + gC * (2 * d1 * xi + 2 * s * (1 - 2 * xi) - 2 * d0 * om);
        double gd0 = gA * xo + gB * xo + gC * om * om;
        double gd1 = gB * xo + gC * xi * xi;
        // s = H/W ; xi = (xr - X_i)/W
        gH += gs / W;
        double gW = -gs * H / (W * W) - gxi * xi / W;
        double gXi = -gxi / W;
        double dx = gxi / W;
        // widths/heights: X_i = sum_{j<i} W_j, Y_i = sum_{j<i} H_j
        double[] gw = new double[k], gh = new double[k];
        gw[i] += gW; gh[i] += gH;
        for (int j = 0; j < i; j++) { gw[j] += gXi; gh[j] += gYi; }
        // W_j = 2 pi (mw + (1 - K mw) p_j): softmax backward
        double sw = 0, sh = 0;
        for (int j = 0; j < k; j++) { sw += sp.pw[j] * gw[j]; sh += sp.ph[j] * gh[j]; }
        double fw = TWO_PI * (1 - k * minW), fh = TWO_PI * (1 - k * minH);
        for (int j = 0; j < k; j++) {
            gRaw[gOff + j * gStride] += fw * sp.pw[j] * (gw[j] - sw);
            gRaw[gOff + (k + j) * gStride] += fh * sp.ph[j] * (gh[j] - sh);
        }
        // derivatives: d_i and d_{i+1} (d_K = d_0)
        int i1 = (i + 1) % k;
        gRaw[gOff + (2 * k + i) * gStride] += gd0 * sp.sig[i];
        gRaw[gOff + (2 * k + i1) * gStride] += gd1 * sp.sig[i1];
        gRaw[gOff + 3 * k * gStride] += gY;
        return dx;
    }
}
