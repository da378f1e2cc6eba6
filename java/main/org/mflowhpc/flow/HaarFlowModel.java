package org.mflowhpc.flow;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.LinkFlow;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.CouplingMask;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.Activation;
import org.mflowhpc.nn.Params;
import org.mflowhpc.rng.RngStream;

/**
 * "Haar + flow" for U(1) or SU(3) in d = 2, 3, 4: every link drawn from the normalised Haar measure (log q0 = 0),
 * then n {@link CouplingLayer}s with the masks of {@link CouplingMask#forLayer} (in 2D the Kanwar et al. /
 * tutorial architecture: layer i acts on direction i % 2 with stripe offset (i / 2) % 4).
 *
 * <p>Density: log q(U) = -sum_layers log J (forward); {@link #logDensity} inverts the layers in reverse order:
 * log q(U) = sum_layers log|det dF^{-1}|.
 *
 * <p>RNG: link (b, mu, x) is the (mu+1)-th draw of RngStream(seed, Domain.FLOW_PRIOR, step, b*V + x)
 * ({@link Backend#haarLinks}); no other randomness.
 *
 * <p>Config keys [defaults]: layers [16 in 2D, 8d otherwise], flow ["ncp6" for U(1), "spectral4" for SU(3)],
 * hidden [[8, 8]], kernel [3 in 2D, 1 otherwise: a k^d stencil grows fast with d], activation ["leaky_relu"],
 * init_seed [0]. Network of layer i is initialised from RngStream(init_seed, Domain.NN_INIT, i, 0). Parameter
 * blocks: {@code layer<i>.conv<j>.weight|bias}. Every extent divisible by 4 that a layer's mask strides along.
 */
public final class HaarFlowModel implements FlowModel {
    public static final String KIND = "haar+flow";
    private static final List<String> KEYS = List.of("layers", "flow", "hidden", "kernel", "activation", "init_seed");

    private final Backend be;
    private final Group group;
    private final Lattice lattice;
    private final Params params = new Params();
    private final List<CouplingLayer> layers = new ArrayList<>();
    private final Map<String, Object> config;

    /** Builds from a config map (missing keys take defaults); initialises the networks from init_seed. */
    public HaarFlowModel(Backend be, Group group, Lattice lattice, Map<String, Object> cfg) {
        for (String k : cfg.keySet())
            if (!KEYS.contains(k)) throw new IllegalArgumentException("unknown haar+flow config key '" + k + "' (expected one of " + KEYS + ")");
        this.be = be; this.group = group; this.lattice = lattice;
        int d = lattice.d;
        int n = Configs.intOf(cfg, "layers", d == 2 ? 16 : 8 * d);
        LinkFlow flow = LinkFlow.parse(Configs.stringOf(cfg, "flow", group == Group.U1 ? "ncp6" : "spectral4"));
        int[] hidden = Configs.intsOf(cfg, "hidden", new int[] {8, 8});
        int kernel = Configs.intOf(cfg, "kernel", d == 2 ? 3 : 1);
        Backend.Act act = Activation.parse(Configs.stringOf(cfg, "activation", "leaky_relu"));
        long initSeed = Configs.longOf(cfg, "init_seed", 0L);
        if (n < 0) throw new IllegalArgumentException("layers must be >= 0, got " + n);
        for (int h : hidden) if (h < 1) throw new IllegalArgumentException("hidden widths must be >= 1, got " + h);
        for (int i = 0; i < n; i++)
            layers.add(new CouplingLayer(params, be, "layer" + i, group, lattice, CouplingMask.forLayer(lattice, i), flow, hidden, kernel, act));
        params.freeze(be);
        double[] v = params.valuesToHost();
        for (int i = 0; i < n; i++) layers.get(i).init(new RngStream(initSeed, RngStream.Domain.NN_INIT, i, 0), v);
        params.setValues(v);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("layers", n);
        c.put("flow", flow.name());
        c.put("hidden", Configs.toList(hidden));
        c.put("kernel", kernel);
        c.put("activation", act.name().toLowerCase());
        c.put("init_seed", initSeed);
        this.config = Collections.unmodifiableMap(c);
    }

    /** Default configuration (all keys at their defaults but init_seed). */
    public static Map<String, Object> defaultConfig(long initSeed) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("init_seed", initSeed);
        return c;
    }

    @Override public Group group() { return group; }
    @Override public Lattice lattice() { return lattice; }
    @Override public Params params() { return params; }
    @Override public String kind() { return KIND; }
    @Override public Map<String, Object> config() { return config; }
    public List<CouplingLayer> layers() { return Collections.unmodifiableList(layers); }

    private void checkField(GaugeField u, Buffer logQ) {
        if (u.group != group || !u.lattice.equals(lattice))
            throw new IllegalArgumentException("model is for " + group + " on " + lattice + ", field is " + u.group + " on " + u.lattice);
        if (logQ.length() < u.batch) throw new IllegalArgumentException("logQ buffer shorter than the batch");
    }

    @Override public void sample(long seed, long step, GaugeField out, Buffer logQ) { run(seed, step, out, logQ, false); }

    @Override public Object sampleForTraining(long seed, long step, GaugeField out, Buffer logQ) { return run(seed, step, out, logQ, true); }

    private Object run(long seed, long step, GaugeField out, Buffer logQ, boolean train) {
        checkField(out, logQ);
        be.haarLinks(out, RngStream.Domain.FLOW_PRIOR, seed, step);
        Buffer logJ = be.alloc(out.batch);
        CouplingLayer.Tape[] tapes = train ? new CouplingLayer.Tape[layers.size()] : null;
        for (int i = 0; i < layers.size(); i++) {
            CouplingLayer.Tape t = layers.get(i).forward(out, logJ, train);
            if (train) tapes[i] = t;
        }
        be.fill(logQ, 0, out.batch, 0.0);
        be.axpy(out.batch, -1.0, logJ, 0, logQ, 0);
        return tapes;
    }

    @Override public void logDensity(GaugeField u, Buffer logQ) {
        checkField(u, logQ);
        GaugeField w = u.copy();
        be.fill(logQ, 0, u.batch, 0.0);
        for (int i = layers.size() - 1; i >= 0; i--) layers.get(i).inverse(w, logQ);
    }

    @Override public void backward(Object tape, GaugeField out, Buffer gLinks, Buffer gLogQ) {
        CouplingLayer.Tape[] tapes = (CouplingLayer.Tape[]) tape;
        int nb = out.batch;
        Buffer gLogJ = be.alloc(nb);
        be.axpy(nb, -1.0, gLogQ, 0, gLogJ, 0);
        for (int i = layers.size() - 1; i >= 0; i--) layers.get(i).backward(tapes[i], out, gLinks, gLogJ);
    }
}
