package org.mflowhpc.nn;

import org.mflowhpc.rng.RngStream;

/**
 * Elementwise activation on nb*C*V values (layout [b][c][site]); no parameters.
 *
 * <ul>
 *   <li>TANH: y = tanh x, y' = 1 - y^2
 *   <li>LEAKY_RELU: y = x (x > 0), slope*x otherwise (default slope 0.01, PyTorch's); y' = 1 or slope (1 at x = 0+)
 *   <li>SILU: y = x sigma(x), y' = sigma(x) (1 + x (1 - sigma(x)))
 *   <li>GELU (tanh approximation): y = x/2 (1 + tanh(u)), u = sqrt(2/pi)(x + 0.044715 x^3);
 *       y' = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) sqrt(2/pi)(1 + 3*0.044715 x^2)
 * </ul>
 * The backward context keeps a reference to x. About 10-30 flops per element plus one exp/tanh.
 */
public final class Activation implements Layer {
    public enum Kind { TANH, LEAKY_RELU, SILU, GELU;
        public static Kind parse(String s) {
            switch (s.trim().toLowerCase().replace("_", "").replace("-", "")) {
                case "tanh": return TANH;
                case "leakyrelu": case "lrelu": return LEAKY_RELU;
                case "silu": case "swish": return SILU;
                case "gelu": return GELU;
                default: throw new IllegalArgumentException("unknown activation '" + s + "' (tanh, leaky_relu, silu, gelu)");
            }
        }
    }

    private static final double GC = Math.sqrt(2.0 / Math.PI), GA = 0.044715;
    private final Kind kind;
    private final int channels;
    private final double slope;

    public Activation(Kind kind, int channels) { this(kind, channels, 0.01); }

    public Activation(Kind kind, int channels, double slope) {
        this.kind = kind; this.channels = channels; this.slope = slope;
    }

    public Kind kind() { return kind; }
    @Override public int inChannels() { return channels; }
    @Override public int outChannels() { return channels; }
    @Override public void init(RngStream rng) {}

    private static final class Ctx { final double[] x; final int n; Ctx(double[] x, int n) { this.x = x; this.n = n; } }

    public static double value(Kind kind, double slope, double x) {
        switch (kind) {
            case TANH: return Math.tanh(x);
            case LEAKY_RELU: return x > 0 ? x : slope * x;
            case SILU: return x / (1 + Math.exp(-x));
            default: return 0.5 * x * (1 + Math.tanh(GC * (x + GA * x * x * x)));
        }
    }

    public static double derivative(Kind kind, double slope, double x) {
        switch (kind) {
            case TANH: { double t = Math.tanh(x); return 1 - t * t; }
            case LEAKY_RELU: return x > 0 ? 1 : slope;
            case SILU: { double s = 1 / (1 + Math.exp(-x)); return s * (1 + x * (1 - s)); }
            default: {
                double t = Math.tanh(GC * (x + GA * x * x * x));
                return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GC * (1 + 3 * GA * x * x);
            }
        }
    }

    @Override public Object forward(double[] x, int nb, int l0, int l1, double[] y, boolean train) {
        int n = nb * channels * l0 * l1;
        for (int i = 0; i < n; i++) y[i] = value(kind, slope, x[i]);
        return train ? new Ctx(x, n) : null;
    }

    @Override public void backward(Object ctxObj, double[] dy, double[] dx) {
        if (dx == null) return;
        Ctx c = (Ctx) ctxObj;
        for (int i = 0; i < c.n; i++) dx[i] = dy[i] * derivative(kind, slope, c.x[i]);
    }
}
