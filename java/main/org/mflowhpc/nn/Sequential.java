package org.mflowhpc.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Index;
import org.mflowhpc.rng.RngStream;

/**
 * A chain of {@link Layer}s: y = L_n(...L_1(x)). Forward allocates one backend buffer per intermediate output and
 * (when training) records every layer's context; backward runs the layers in reverse. Output on a site subset
 * applies to the LAST layer only (a {@link Conv}): the coupling layers evaluate it only where a link flow acts.
 *
 * <p>{@link #convNet} builds the conditioner of the coupling layers (tutorial arXiv:2101.08176 in 2D): periodic
 * k^d convolutions cin -> h1 -> ... -> hn -> cout with an activation after every hidden convolution and none
 * after the last; k = 1 is a per-site MLP. Parameter blocks are named {@code <prefix>.conv<i>.weight|bias}.
 */
public final class Sequential implements Layer {
    private final List<Layer> layers;
    private final Params params;

    public Sequential(Params params, List<Layer> layers) {
        if (layers.isEmpty()) throw new IllegalArgumentException("empty network");
        for (int i = 1; i < layers.size(); i++)
            if (layers.get(i).inChannels() != layers.get(i - 1).outChannels())
                throw new IllegalArgumentException("layer " + i + " expects " + layers.get(i).inChannels()
                        + " channels but layer " + (i - 1) + " produces " + layers.get(i - 1).outChannels());
        this.params = params;
        this.layers = new ArrayList<>(layers);
    }

    public static Sequential convNet(Params p, String prefix, int d, int cin, int[] hidden, int cout, int kernel, Backend.Act act) {
        List<Layer> ls = new ArrayList<>();
        int c = cin;
        for (int i = 0; i < hidden.length; i++) {
            ls.add(new Conv(p, prefix + ".conv" + i, d, c, hidden[i], kernel));
            ls.add(new Activation(p, act, hidden[i]));
            c = hidden[i];
        }
        ls.add(new Conv(p, prefix + ".conv" + hidden.length, d, c, cout, kernel));
        return new Sequential(p, ls);
    }

    public List<Layer> layers() { return Collections.unmodifiableList(layers); }
    @Override public int inChannels() { return layers.get(0).inChannels(); }
    @Override public int outChannels() { return layers.get(layers.size() - 1).outChannels(); }

    /** The last layer (a {@link Conv} for networks built by {@link #convNet}). */
    public Layer last() { return layers.get(layers.size() - 1); }

    /** Initialises every layer in order from the same stream. */
    @Override public void init(RngStream rng, double[] values) { for (Layer l : layers) l.init(rng, values); }

    private static final class Ctx {
        final Object[] sub; final Buffer[] in; final int nb, V;
        Ctx(int n, int nb, int V) { sub = new Object[n]; in = new Buffer[n]; this.nb = nb; this.V = V; }
    }

    @Override public Object forward(Buffer x, int nb, int[] ext, Index outSites, Buffer y, boolean train) {
        int V = 1;
        for (int e : ext) V *= e;
        int n = layers.size();
        Backend be = params.backend();
        Ctx ctx = train ? new Ctx(n, nb, V) : null;
        Buffer cur = x;
        for (int i = 0; i < n; i++) {
            Layer l = layers.get(i);
            Buffer out = i == n - 1 ? y : be.alloc(nb * l.outChannels() * V);
            Object c = l.forward(cur, nb, ext, i == n - 1 ? outSites : null, out, train);
            if (train) { ctx.sub[i] = c; ctx.in[i] = cur; }
            cur = out;
        }
        return ctx;
    }

    @Override public void backward(Object ctxObj, Buffer dy, Buffer dx) {
        Ctx ctx = (Ctx) ctxObj;
        Backend be = params.backend();
        Buffer g = dy;
        for (int i = layers.size() - 1; i >= 0; i--) {
            Buffer gin = i == 0 ? dx : be.alloc(ctx.nb * layers.get(i).inChannels() * ctx.V);
            layers.get(i).backward(ctx.sub[i], g, gin);
            g = gin;
        }
    }
}
