package org.mflowhpc.nn;

import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Index;
import org.mflowhpc.rng.RngStream;

/**
 * Periodic d-dimensional convolution (cross-correlation) Cin -> Cout, odd kernel k in every direction, with bias;
 * k = 1 is the per-site dense layer (a per-site MLP is a stack of them). The op is
 * {@link org.mflowhpc.backend.Backend#conv}: y[b][o][x] = bias[o] + sum_{c,t} W[o][c][t] in[b][c][x + shift_t],
 * taps t over the k^d stencil, direction 0 fastest. 2 Cout Cin k^d flops per output site forward, twice that
 * backward.
 *
 * <p>Parameter blocks: {@code <name>.weight} shape [Cout, Cin, k, ..., k] (d times k, row-major: the last index
 * is the direction-0 tap a0, so for d = 2 [Cout, Cin, a1, a0]), {@code <name>.bias} shape [Cout].
 * Init (PyTorch default): W and bias uniform in (-1/sqrt(K), 1/sqrt(K)), K = Cin k^d, drawn in block order.
 * The dimension d is fixed at construction (the weights' shape depends on it).
 */
public final class Conv implements Layer {
    private final Params params;
    private final Params.Block w, bias;
    private final int cin, cout, k, d, taps;

    public Conv(Params params, String name, int d, int cin, int cout, int k) {
        if (cin < 1 || cout < 1) throw new IllegalArgumentException("conv channels must be >= 1");
        if (k < 1 || (k & 1) == 0) throw new IllegalArgumentException("conv kernel size must be odd, got " + k);
        if (d < 1) throw new IllegalArgumentException("conv dimension must be >= 1");
        int t = 1;
        for (int i = 0; i < d; i++) t *= k;
        this.params = params; this.cin = cin; this.cout = cout; this.k = k; this.d = d; this.taps = t;
        int[] shape = new int[2 + d];
        shape[0] = cout; shape[1] = cin;
        for (int i = 0; i < d; i++) shape[2 + i] = k;
        this.w = params.add(name + ".weight", shape);
        this.bias = params.add(name + ".bias", cout);
    }

    @Override public int inChannels() { return cin; }
    @Override public int outChannels() { return cout; }
    public int kernel() { return k; }
    public Params.Block weightBlock() { return w; }
    public Params.Block biasBlock() { return bias; }

    private record Ctx(Buffer x, int nb, int[] ext, Index sites) {}

    @Override public void init(RngStream rng, double[] v) {
        double bound = 1.0 / Math.sqrt(cin * taps);
        for (int i = 0; i < w.size; i++) v[w.offset + i] = bound * (2 * rng.uniform() - 1);
        for (int i = 0; i < bias.size; i++) v[bias.offset + i] = bound * (2 * rng.uniform() - 1);
    }

    @Override public Object forward(Buffer x, int nb, int[] ext, Index outSites, Buffer y, boolean train) {
        if (ext.length != d) throw new IllegalArgumentException("conv built for d = " + d + ", grid has " + ext.length + " dimensions");
        params.backend().conv(ext, nb, cin, cout, k, x, params.values(), w.offset, bias.offset, outSites, y);
        return train ? new Ctx(x, nb, ext.clone(), outSites) : null;
    }

    @Override public void backward(Object ctxObj, Buffer dy, Buffer dx) {
        Ctx c = (Ctx) ctxObj;
        params.backend().convBackward(c.ext, c.nb, cin, cout, k, c.x, params.values(), w.offset, c.sites, dy, dx,
                params.grads(), w.offset, bias.offset);
    }
}
