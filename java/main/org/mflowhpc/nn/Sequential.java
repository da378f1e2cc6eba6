package org.mflowhpc.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.rng.RngStream;

/**
 * A chain of {@link Layer}s: y = L_n(...L_1(x)). Forward allocates one fresh buffer per intermediate output and
 * (when training) records every layer's context; backward runs the layers in reverse.
 *
 * <p>{@link #convNet} builds the conditioner CNN of the tutorial (arXiv:2101.08176): periodic k x k convolutions
 * cin -> h1 -> ... -> hn -> cout with an activation after every hidden convolution and none after the last.
 * Parameter blocks are named {@code <prefix>.conv<i>.weight|bias}.
 */
public final class Sequential implements Layer {
    private final List<Layer> layers;

    public Sequential(List<Layer> layers) {
        if (layers.isEmpty()) throw new IllegalArgumentException("empty network");
        for (int i = 1; i < layers.size(); i++)
            if (layers.get(i).inChannels() != layers.get(i - 1).outChannels())
                throw new IllegalArgumentException("layer " + i + " expects " + layers.get(i).inChannels()
                        + " channels but layer " + (i - 1) + " produces " + layers.get(i - 1).outChannels());
        this.layers = new ArrayList<>(layers);
    }

    public static Sequential convNet(Backend be, Params p, String prefix, int cin, int[] hidden, int cout, int kernel,
                                     Activation.Kind act) {
        List<Layer> ls = new ArrayList<>();
        int c = cin;
        for (int i = 0; i < hidden.length; i++) {
            ls.add(new Conv2D(be, p, prefix + ".conv" + i, c, hidden[i], kernel));
            ls.add(new Activation(act, hidden[i]));
            c = hidden[i];
        }
        ls.add(new Conv2D(be, p, prefix + ".conv" + hidden.length, c, cout, kernel));
        return new Sequential(ls);
    }

    public List<Layer> layers() { return Collections.unmodifiableList(layers); }
    @Override public int inChannels() { return layers.get(0).inChannels(); }
    @Override public int outChannels() { return layers.get(layers.size() - 1).outChannels(); }

    /** Initialises every layer in order from the same stream. */
    @Override public void init(RngStream rng) { for (Layer l : layers) l.init(rng); }

    private static final class Ctx {
        final Object[] sub; final double[][] in; final int nb, V;
        Ctx(int n, int nb, int V) { sub = new Object[n]; in = new double[n][]; this.nb = nb; this.V = V; }
    }

    @Override public Object forward(double[] x, int nb, int l0, int l1, double[] y, boolean train) {
        return forwardAt(x, nb, l0, l1, null, y, train);
    }

    /**
     * Forward with the LAST layer evaluated only at {@code sites} (null: all sites); the last layer must then be a
     * {@link Conv2D}. y is laid out [b][c][j], j indexing sites.
     */
    public Object forwardAt(double[] x, int nb, int l0, int l1, int[] sites, double[] y, boolean train) {
        int V = l0 * l1, n = layers.size();
        if (sites != null && !(layers.get(n - 1) instanceof Conv2D))
            throw new IllegalArgumentException("output on a site subset needs a Conv2D last layer");
        Ctx ctx = train ? new Ctx(n, nb, V) : null;
        double[] cur = x;
        for (int i = 0; i < n; i++) {
            Layer l = layers.get(i);
            double[] out = i == n - 1 ? y : new double[nb * l.outChannels() * V];
            Object c = i == n - 1 && sites != null ? ((Conv2D) l).forwardAt(cur, nb, l0, l1, sites, out, train)
                    : l.forward(cur, nb, l0, l1, out, train);
            if (train) { ctx.sub[i] = c; ctx.in[i] = cur; }
            cur = out;
        }
        return ctx;
    }

    @Override public void backward(Object ctxObj, double[] dy, double[] dx) {
        Ctx ctx = (Ctx) ctxObj;
        double[] g = dy;
        for (int i = layers.size() - 1; i >= 0; i--) {
            double[] gin = i == 0 ? dx : new double[ctx.nb * layers.get(i).inChannels() * ctx.V];
            layers.get(i).backward(ctx.sub[i], g, gin);
            g = gin;
        }
    }
}
