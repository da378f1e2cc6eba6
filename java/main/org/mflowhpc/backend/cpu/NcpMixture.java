package org.mflowhpc.backend.cpu;

/**
 * Mixture of K non-compact projections followed by a shift (Rezende et al. arXiv:2002.02428; Kanwar et al.
 * arXiv:2003.06413 / tutorial arXiv:2101.08176).
 *
 * <p>For x0 in [-pi, pi) (x = x0 + 2 pi n):
 * <pre>
 *   f_k(x0) = 2 atan(e^{s_k} tan(x0/2)) = 2 atan2(e^{s_k} sin(x0/2), cos(x0/2))    (maps [-pi, pi] onto itself)
 *   f(x)    = sum_k w_k f_k(x0) + t + 2 pi n,   w = softmax(a)
 *   f'(x)   = sum_k w_k e^{s_k} / (cos^2(x0/2) + e^{2 s_k} sin^2(x0/2))
 * </pre>
 * Raw parameters per element (2K + 1): s_0..s_{K-1} (log-scales), a_0..a_{K-1} (mixture logits), t (shift, an
 * angle, used as is). All-zero raw parameters give the identity. Inverse: safeguarded Newton on [-pi, pi]
 * (bisection fallback), |f(x) - y| < 1e-13. Cost: K (exp, sin/cos shared, atan2) per forward.
 *
 * <p>Derivatives used in {@link #backward} (c = cos(x0/2), s = sin(x0/2), e = e^{s_k}, D = c^2 + e^2 s^2):
 * df_k/ds_k = 2 e s c / D; f_k'' = -e s c (e^2 - 1)/D^2; d f_k'/ds_k = f_k' (1 - 2 e^2 s^2 / D);
 * softmax backward dL/da_k = w_k (dL/dw_k - sum_j w_j dL/dw_j).
 */
public final class NcpMixture implements CircleFlow {
    private static final double TWO_PI = 2 * Math.PI;
    private final int k;

    public NcpMixture(int components) {
        if (components < 1) throw new IllegalArgumentException("NCP mixture needs >= 1 component");
        this.k = components;
    }

    public int components() { return k; }
    @Override public String kind() { return "ncp" + k; }
    @Override public int paramsPerElement() { return 2 * k + 1; }

    /** Softmax of the logits into w (max-subtracted). */
    private void weights(double[] raw, int off, int stride, double[] w) {
        double mx = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) mx = Math.max(mx, raw[off + (k + j) * stride]);
        double z = 0;
        for (int j = 0; j < k; j++) { w[j] = Math.exp(raw[off + (k + j) * stride] - mx); z += w[j]; }
        for (int j = 0; j < k; j++) w[j] /= z;
    }

    /** Mixture value and derivative at x0 in [-pi, pi]: out[0] = g(x0), out[1] = g'(x0). */
    private void mix(double x0, double[] raw, int off, int stride, double[] w, double[] out) {
        double c = Math.cos(0.5 * x0), s = Math.sin(0.5 * x0);
        double g = 0, gp = 0;
        for (int j = 0; j < k; j++) {
            double e = Math.exp(raw[off + j * stride]);
            double d = c * c + e * e * s * s;
            g += w[j] * 2 * Math.atan2(e * s, c);
            gp += w[j] * e / d;
        }
        out[0] = g; out[1] = gp;
    }

    @Override public void forward(double x, double[] raw, int off, int stride, double[] out) {
        double n = Math.floor((x + Math.PI) / TWO_PI);
        double x0 = x - TWO_PI * n;
        double[] w = new double[k];
        weights(raw, off, stride, w);
        mix(x0, raw, off, stride, w, out);
        out[0] += raw[off + 2 * k * stride] + TWO_PI * n;
        out[1] = Math.log(out[1]);
    }

    @Override public void inverse(double y, double[] raw, int off, int stride, double[] out) {
        double y1 = y - raw[off + 2 * k * stride];
        double n = Math.floor((y1 + Math.PI) / TWO_PI);
        double y0 = y1 - TWO_PI * n; // target in [-pi, pi)
        double[] w = new double[k];
        weights(raw, off, stride, w);
        double lo = -Math.PI, hi = Math.PI, x = y0;
        double[] gv = new double[2];
        for (int it = 0; it < 200; it++) {
            mix(x, raw, off, stride, w, gv);
            double r = gv[0] - y0;
            if (r > 0) hi = x; else lo = x;
            if (Math.abs(r) < 1e-14) break;
            double xn = x - r / gv[1];
            if (!(xn > lo && xn < hi)) xn = 0.5 * (lo + hi);
            if (hi - lo < 1e-15) { x = xn; break; }
            x = xn;
        }
        mix(x, raw, off, stride, w, gv);
        out[0] = x + TWO_PI * n;
        out[1] = Math.log(gv[1]);
    }

    @Override public double backward(double x, double[] raw, int off, int stride, double gY, double gLogJ,
                                     double[] gRaw, int gOff, int gStride) {
        double n = Math.floor((x + Math.PI) / TWO_PI);
        double x0 = x - TWO_PI * n;
        double[] w = new double[k], fk = new double[k], fpk = new double[k];
        weights(raw, off, stride, w);
        double c = Math.cos(0.5 * x0), s = Math.sin(0.5 * x0);
        double jac = 0, jac2 = 0;
        for (int j = 0; j < k; j++) {
            double e = Math.exp(raw[off + j * stride]);
            double d = c * c + e * e * s * s;
            fk[j] = 2 * Math.atan2(e * s, c);
            fpk[j] = e / d;
            jac += w[j] * fpk[j];
            jac2 += w[j] * (-e * s * c * (e * e - 1) / (d * d));
        }
        double gJ = gLogJ / jac; // dL/dJ
        double dx = gY * jac + gJ * jac2;
        double dot = 0;
        double[] gw = new double[k];
        for (int j = 0; j < k; j++) {
            double e = Math.exp(raw[off + j * stride]);
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
}
