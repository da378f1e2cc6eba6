package org.mflowhpc.nn;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Index;
import org.mflowhpc.rng.RngStream;

/**
 * Elementwise activation on nb*C*V values (layout [b][c][site]); no parameters. The op is
 * {@link Backend#activation}:
 * <ul>
 *   <li>TANH: y = tanh x, y' = 1 - y^2
 *   <li>LEAKY_RELU: y = x (x > 0), 0.01 x otherwise (PyTorch's slope); y' = 1 or 0.01
 *   <li>SILU: y = x sigma(x), y' = sigma(x) (1 + x (1 - sigma(x)))
 *   <li>GELU (tanh approximation): y = x/2 (1 + tanh(u)), u = sqrt(2/pi)(x + 0.044715 x^3)
 * </ul>
 * The backward context keeps a reference to x. About 10-30 flops per element plus one exp/tanh.
 */
public final class Activation implements Layer {
    public static Backend.Act parse(String s) {
        switch (s.trim().toLowerCase().replace("_", "").replace("-", "")) {
            case "tanh": return Backend.Act.TANH;
            case "leakyrelu": case "lrelu": return Backend.Act.LEAKY_RELU;
            case "silu": case "swish": return Backend.Act.SILU;
            case "gelu": return Backend.Act.GELU;
            default: throw new IllegalArgumentException("unknown activation '" + s + "' (tanh, leaky_relu, silu, gelu)");
        }
    }

    private final Backend.Act kind;
    private final int channels;
    private final Params params;

    public Activation(Params params, Backend.Act kind, int channels) {
        this.params = params; this.kind = kind; this.channels = channels;
    }

    public Backend.Act kind() { return kind; }
    @Override public int inChannels() { return channels; }
    @Override public int outChannels() { return channels; }
    @Override public void init(RngStream rng, double[] values) {}

    private record Ctx(Buffer x, int n) {}

    @Override public Object forward(Buffer x, int nb, int[] ext, Index outSites, Buffer y, boolean train) {
        if (outSites != null) throw new IllegalArgumentException("an activation has no site-subset output");
        int v = 1;
        for (int e : ext) v *= e;
        int n = nb * channels * v;
        params.backend().activation(kind, n, x, y);
        return train ? new Ctx(x, n) : null;
    }

    @Override public void backward(Object ctxObj, Buffer dy, Buffer dx) {
        if (dx == null) return;
        Ctx c = (Ctx) ctxObj;
        params.backend().activationBackward(kind, c.n, c.x, dy, dx);
    }
}
