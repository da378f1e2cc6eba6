package org.mflowhpc.flow;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.flow.linkflow.CircleFlow;
import org.mflowhpc.flow.linkflow.CircleFlows;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.Activation;
import org.mflowhpc.nn.Params;
import org.mflowhpc.rng.RngStream;

/**
 * "Haar + flow" for 2D U(1): every link drawn from the normalised Haar measure (log q0 = 0), then n
 * {@link U1PlaquetteCoupling} layers (the Kanwar et al. / tutorial architecture). Layer i acts on links of
 * direction mu = i % 2 with stripe offset (i / 2) % 4.
 *
 * <p>Density: log q(U) = log q0 - sum_layers log J = -sum_layers log J (forward), computed in
 * {@link #logDensity} by inverting the layers in reverse order: log q(U) = sum_layers log|det dF^{-1}|.
 *
 * <p>RNG: link theta_mu(x) of configuration b is the (mu+1)-th angle() draw of
 * RngStream(seed, Domain.FLOW_PRIOR, step, b*V + x); no other randomness.
 *
 * <p>Config keys (see {@link #config()}; defaults in brackets): layers [16], flow ["ncp6"], hidden [[8, 8]],
 * kernel [3], activation ["leaky_relu"], init_seed [0]. Network of layer i is initialised from
 * RngStream(init_seed, Domain.NN_INIT, i, 0). Parameter blocks: {@code layer<i>.conv<j>.weight|bias}.
 */
public final class HaarFlowModel implements FlowModel {
    public static final String KIND = "haar+flow";

    private final Lattice lattice;
    private final Params params = new Params();
    private final List<U1PlaquetteCoupling> layers = new ArrayList<>();
    private final Map<String, Object> config;

    /** Builds from a config map (missing keys take defaults); initialises the networks from init_seed. */
    public HaarFlowModel(Backend be, Lattice lattice, Map<String, Object> cfg) {
        if (lattice.d != 2) throw new IllegalArgumentException("haar+flow is implemented for 2D U(1) only, lattice is " + lattice);
        if (lattice.extent(0) % 4 != 0 || lattice.extent(1) % 4 != 0)
            throw new IllegalArgumentException("haar+flow stripe masks need extents divisible by 4, lattice is " + lattice);
        this.lattice = lattice;
        int n = intOf(cfg, "layers", 16);
        String flowSpec = String.valueOf(cfg.getOrDefault("flow", "ncp6"));
        int[] hidden = intsOf(cfg, "hidden", new int[] {8, 8});
        int kernel = intOf(cfg, "kernel", 3);
        String act = String.valueOf(cfg.getOrDefault("activation", "leaky_relu"));
        long initSeed = ((Number) cfg.getOrDefault("init_seed", 0L)).longValue();
        for (String k : cfg.keySet())
            if (!List.of("layers", "flow", "hidden", "kernel", "activation", "init_seed").contains(k))
                throw new IllegalArgumentException("unknown haar+flow config key '" + k + "'");
        if (n < 0) throw new IllegalArgumentException("layers must be >= 0");
        CircleFlow flow = CircleFlows.parse(flowSpec);
        Activation.Kind ak = Activation.Kind.parse(act);
        for (int i = 0; i < n; i++) {
            U1PlaquetteCoupling l = new U1PlaquetteCoupling(be, params, "layer" + i, i % 2, (i / 2) % 4, flow, hidden, kernel, ak);
            layers.add(l);
        }
        params.freeze();
        for (int i = 0; i < n; i++) layers.get(i).init(new RngStream(initSeed, RngStream.Domain.NN_INIT, i, 0));
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("layers", n);
        c.put("flow", flow.kind());
        List<Integer> h = new ArrayList<>();
        for (int x : hidden) h.add(x);
        c.put("hidden", h);
        c.put("kernel", kernel);
        c.put("activation", ak.name().toLowerCase());
        c.put("init_seed", initSeed);
        this.config = Collections.unmodifiableMap(c);
    }

    /** Tutorial defaults: 16 layers, ncp6, hidden [8, 8], kernel 3, leaky_relu, init_seed. */
    public static Map<String, Object> defaultConfig(long initSeed) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("init_seed", initSeed);
        return c;
    }

    private static int intOf(Map<String, Object> c, String k, int def) {
        Object v = c.get(k);
        return v == null ? def : ((Number) v).intValue();
    }

    private static int[] intsOf(Map<String, Object> c, String k, int[] def) {
        Object v = c.get(k);
        if (v == null) return def;
        if (v instanceof int[]) return ((int[]) v).clone();
        List<?> l = (List<?>) v;
        int[] r = new int[l.size()];
        for (int i = 0; i < r.length; i++) r[i] = ((Number) l.get(i)).intValue();
        return r;
    }

    @Override public Group group() { return Group.U1; }
    @Override public Lattice lattice() { return lattice; }
    @Override public Params params() { return params; }
    @Override public String kind() { return KIND; }
    @Override public Map<String, Object> config() { return config; }
    public List<GaugeFlowLayer> layers() { return Collections.unmodifiableList(layers); }

    private void checkField(GaugeField u, double[] logQ) {
        if (u.group != Group.U1 || !u.lattice.equals(lattice))
            throw new IllegalArgumentException("model is for U1 on " + lattice + ", field is " + u.group + " on " + u.lattice);
        if (logQ.length < u.batch) throw new IllegalArgumentException("logQ array shorter than the batch");
    }

    /** Fills u with Haar-random angles from the FLOW_PRIOR streams of (seed, step). */
    public void samplePrior(long seed, long step, GaugeField u) {
        int V = lattice.volume, d = lattice.d;
        for (int b = 0; b < u.batch; b++)
            for (int x = 0; x < V; x++) {
                RngStream r = new RngStream(seed, RngStream.Domain.FLOW_PRIOR, step, (long) b * V + x);
                for (int mu = 0; mu < d; mu++) u.data[u.offset(b, mu, x)] = r.angle();
            }
    }

    @Override public void sample(long seed, long step, GaugeField out, double[] logQ) {
        run(seed, step, out, logQ, false);
    }

    @Override public Object sampleForTraining(long seed, long step, GaugeField out, double[] logQ) {
        return run(seed, step, out, logQ, true);
    }

    private Object run(long seed, long step, GaugeField out, double[] logQ, boolean train) {
        checkField(out, logQ);
        samplePrior(seed, step, out);
        double[] logJ = new double[out.batch];
        Object[] tapes = train ? new Object[layers.size()] : null;
        for (int i = 0; i < layers.size(); i++) {
            Object t = layers.get(i).forward(out, logJ, train);
            if (train) tapes[i] = t;
        }
        for (int b = 0; b < out.batch; b++) logQ[b] = -logJ[b];
        return tapes;
    }

    @Override public void logDensity(GaugeField u, double[] logQ) {
        checkField(u, logQ);
        GaugeField w = u.copy();
        double[] lj = new double[u.batch];
        for (int i = layers.size() - 1; i >= 0; i--) layers.get(i).inverse(w, lj);
        System.arraycopy(lj, 0, logQ, 0, u.batch);
    }

    @Override public void backward(Object tape, double[] dLossdLinks, double[] dLossdLogQ) {
        Object[] tapes = (Object[]) tape;
        double[] gLogJ = new double[dLossdLogQ.length];
        for (int b = 0; b < gLogJ.length; b++) gLogJ[b] = -dLossdLogQ[b];
        for (int i = layers.size() - 1; i >= 0; i--) layers.get(i).backward(tapes[i], dLossdLinks, gLogJ);
    }
}
