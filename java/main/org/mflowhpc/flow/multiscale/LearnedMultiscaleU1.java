package org.mflowhpc.flow.multiscale;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.LinkFlow;
import org.mflowhpc.flow.Configs;
import org.mflowhpc.flow.CouplingLayer;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.Coarsening;
import org.mflowhpc.lattice.CouplingMask;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.math.CircleBase;
import org.mflowhpc.nn.Activation;
import org.mflowhpc.nn.Params;
import org.mflowhpc.nn.Sequential;
import org.mflowhpc.rng.RngStream;

/**
 * Learned multiscale flow for 2D U(1) ("Multiscale" / "Multiscale + flow", docs/physics.md §3): the geometry and
 * bookkeeping of {@link ExactMultiscaleU1}, with the exact conditional replaced by a learned conditional circle
 * flow per doubling layer (own network per layer), optionally followed by gauge-equivariant coupling layers
 * ({@link CouplingLayer}) on the full lattice.
 *
 * <p>Doubling layer k (coarse level k, block size M = V/V_k, fine blocks a = M/2; see {@link U1Doubling2D}):
 * <pre>
 *   phi   = coarse plaquette angle at coarse site x' (wrapped to (-pi, pi])
 *   raw   = NET_k(cos phi, sin phi)   (per-site MLP = 1x1 periodic conv by default; 1 + C output channels)
 *   u     ~ uniform on (-pi, pi)      (RngStream(seed, FLOW_PRIOR, step, index), angle())
 *   s     = s0(phi) + raw_0           (log-scale of the analytic base B_s, a circle diffeomorphism)
 *   latent_flow = false (default):  t = phi/2 + C(B_s(u))   (C = learned CircleFlow, e.g. rqs8, params raw_1..C)
 *   latent_flow = true:             t = phi/2 + B_s(C(u))    (trains worse in our tests; kept for comparison)
 *   log g = -log B_s' - log C'        (density of t w.r.t. dt/2pi; u has density 1 w.r.t. du/2pi)
 * </pre>
 * Base maps B_s (push the uniform to a unimodal density centred at 0):
 * <ul>
 *   <li>"logistic" (default): v = 2 sigma atanh(tanh(pi/(2 sigma)) u/pi), sigma = e^s: the logistic density
 *       1/cosh^2(v/(2 sigma)) truncated to (-pi, pi); its light tails fit the von Mises (reverse KL ~0.01 at every
 *       kappa >= 2 with the analytic scale below).
 *   <li>"cauchy": v = 2 atan2(e^s sin(u/2), cos(u/2)) (NCP): the wrapped Cauchy, whose heavy tails fit the von
 *       Mises poorly at large kappa (reverse KL 0.3 at kappa = 4, 1.0 at 16).
 * </ul>
 * Analytic scale s0 (analytic_init = true): the exact conditional for a = 1 is the von Mises
 * e^{kappa cos(t - phi/2)}, kappa = 2 beta cos(phi/2); for a > 1 we use kappa = 2 beta_a cos(phi/2) with
 * I_1/I_0(beta_a) = (I_1/I_0(beta))^a (a block's effective coupling). logistic: sigma = sqrt(3/kappa)/pi (1 + 0.45/kappa);
 * cauchy: s0 = log((1-rho)/(1+rho)), rho = I_1(kappa)/I_0(kappa). This is an approximation that only sets the
 * starting point (8x8, beta = 2: KL ~10 for cauchy at initialisation); everything else is learned. With
 * analytic_init = false s0 = 3 (logistic, nearly uniform) or 0 (cauchy, uniform). With zero_init = true the last
 * conv of every network starts with zero weights and a bias of 1e-2 x its random draw, so the initial model is the
 * analytic base up to O(1e-2) (refinement layers start near the identity); the small random bias breaks the
 * symmetry between mixture components.
 *
 * <p>The new link is set so that the fine plaquette is t, then a Haar gauge angle (FLOW_GAUGE stream) acts at the
 * new site; log q += sum log g.
 *
 * <p>Refinement: log q(U) = log q_ms(F^{-1} U) + sum log|det dF^{-1}|, layer i of {@code refine_layers} acts on
 * direction i % 2 with stripe offset (i/2) % 4 (needs extents divisible by 4).
 *
 * <p>Stream index = (b << 34) | (level << 28) | coarse site (level = k + 1; level 0, the 1x1 Haar links, uses site
 * 0), as in {@link ExactMultiscaleU1}. Gauge invariance: all conditioner inputs and densities are functions of
 * plaquettes only.
 *
 * <p>Config keys [defaults]: beta (required, sets the analytic base), base ["logistic"], flow ["rqs8"],
 * hidden [[16, 16]], latent_flow [false], kernel [1] (a per-site MLP of the block's own
 * (cos phi, sin phi): in 2D the exact conditional depends on nothing else; 3 adds the neighbouring blocks),
 * activation ["tanh"], analytic_init [true], zero_init [true], refine_layers [0],
 * refine_flow ["ncp6"], refine_hidden [[8, 8]], refine_kernel [3], init_seed [0]. Parameter blocks:
 * {@code level<k>.conv<j>.weight|bias}, {@code refine<i>.conv<j>.weight|bias}. Networks are initialised from
 * RngStream(init_seed, NN_INIT, k, 1) (level k) and RngStream(init_seed, NN_INIT, i, 2) (refinement i).
 */
public final class LearnedMultiscaleU1 implements FlowModel {
    public static final String KIND = "multiscale", KIND_REFINED = "multiscale+flow";
    /** Its value of the config key "doubling" (checkpoints written before that key existed have none). */
    public static final String LEGACY = "legacy2d";
    private static final List<String> KEYS = List.of("doubling", "beta", "flow", "hidden", "kernel", "activation", "analytic_init", "latent_flow", "base",
            "zero_init", "refine_layers", "refine_flow", "refine_hidden", "refine_kernel", "init_seed");

    private final Lattice lattice;
    private final Coarsening chain;
    private final U1Doubling2D doubling;
    private final Params params = new Params();
    private final Backend be;
    private final Sequential[] nets;
    private final LinkFlow flow;
    private final int nraw;
    private final double[] betaEff;
    private final boolean latentSpline, logisticBase;
    private final List<CouplingLayer> refine = new ArrayList<>();
    private final Map<String, Object> config;

    /** Default config for coupling beta (all other keys at their defaults). */
    public static Map<String, Object> defaultConfig(double beta, long initSeed) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("beta", beta);
        c.put("init_seed", initSeed);
        return c;
    }

    public LearnedMultiscaleU1(Backend be, Lattice lattice, Map<String, Object> cfg) {
        for (String k : cfg.keySet())
            if (!KEYS.contains(k)) throw new IllegalArgumentException("unknown multiscale config key '" + k + "'");
        Object dk = cfg.get("doubling");
        if (dk != null && !LEGACY.equals(dk)) throw new IllegalArgumentException("the first 2D U(1) multiscale model has doubling=" + LEGACY + ", got " + dk);
        this.be = be;
        this.chain = ExactMultiscaleU1.checkLattice(lattice, "multiscale model");
        this.lattice = lattice;
        this.doubling = new U1Doubling2D(chain);
        Object bo = cfg.get("beta");
        if (!(bo instanceof Number)) throw new IllegalArgumentException("multiscale config needs a numeric 'beta'");
        double beta = ((Number) bo).doubleValue();
        if (!(beta >= 0) || Double.isInfinite(beta)) throw new IllegalArgumentException("multiscale model needs a finite beta >= 0, got " + beta);
        String flowSpec = Configs.stringOf(cfg, "flow", "rqs8");
        int[] hidden = Configs.intsOf(cfg, "hidden", new int[] {16, 16});
        int kernel = Configs.intOf(cfg, "kernel", 1);
        Backend.Act act = Activation.parse(Configs.stringOf(cfg, "activation", "tanh"));
        boolean analytic = Configs.boolOf(cfg, "analytic_init", true), zero = Configs.boolOf(cfg, "zero_init", true);
        this.latentSpline = Configs.boolOf(cfg, "latent_flow", false);
        String baseKind = String.valueOf(cfg.getOrDefault("base", "logistic")).toLowerCase();
        if (!baseKind.equals("logistic") && !baseKind.equals("cauchy"))
            throw new IllegalArgumentException("unknown multiscale base '" + baseKind + "' (logistic or cauchy)");
        this.logisticBase = baseKind.equals("logistic");
        int nref = Configs.intOf(cfg, "refine_layers", 0);
        String refFlowSpec = Configs.stringOf(cfg, "refine_flow", "ncp6");
        int[] refHidden = Configs.intsOf(cfg, "refine_hidden", new int[] {8, 8});
        int refKernel = Configs.intOf(cfg, "refine_kernel", 3);
        long initSeed = Configs.longOf(cfg, "init_seed", 0L);
        if (nref < 0) throw new IllegalArgumentException("refine_layers must be >= 0");
        if (nref > 0 && (lattice.extent(0) % 4 != 0 || lattice.extent(1) % 4 != 0))
            throw new IllegalArgumentException("multiscale+flow refinement layers need extents divisible by 4, lattice is " + lattice);
        this.flow = LinkFlow.parse(flowSpec);
        LinkFlow refFlow = LinkFlow.parse(refFlowSpec);
        if (!flow.isU1() || !refFlow.isU1()) throw new IllegalArgumentException("the 2D U(1) multiscale model needs U(1) circle flows (ncpK, rqsK)");
        this.nraw = 1 + flow.paramsPerElement();
        int layers = chain.layers();
        nets = new Sequential[layers];
        betaEff = new double[layers];
        long vt = chain.volume(layers);
        for (int k = 0; k < layers; k++) {
            nets[k] = Sequential.convNet(params, "level" + k, 2, 2, hidden, nraw, kernel, act);
            long a = vt / chain.volume(k) / 2;
            betaEff[k] = analytic ? CircleBase.effectiveCoupling(beta, a) : 0.0;
        }
        for (int i = 0; i < nref; i++)
            refine.add(new CouplingLayer(params, be, "refine" + i, Group.U1, lattice, CouplingMask.forLayer(lattice, i), refFlow, refHidden, refKernel, act));
        params.freeze(be);
        double[] v = params.valuesToHost();
        for (int k = 0; k < layers; k++) {
            nets[k].init(new RngStream(initSeed, RngStream.Domain.NN_INIT, k, 1), v);
            if (zero) zeroBlocks(v, "level" + k + ".conv" + hidden.length);
        }
        for (int i = 0; i < nref; i++) {
            refine.get(i).init(new RngStream(initSeed, RngStream.Domain.NN_INIT, i, 2), v);
            if (zero) zeroBlocks(v, "refine" + i + ".conv" + refHidden.length);
        }
        params.setValues(v);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("doubling", LEGACY);
        c.put("beta", beta);
        c.put("flow", flow.name());
        c.put("hidden", Configs.toList(hidden));
        c.put("kernel", kernel);
        c.put("activation", act.name().toLowerCase());
        c.put("analytic_init", analytic);
        c.put("latent_flow", latentSpline);
        c.put("base", logisticBase ? "logistic" : "cauchy");
        c.put("zero_init", zero);
        c.put("refine_layers", nref);
        c.put("refine_flow", refFlow.name());
        c.put("refine_hidden", Configs.toList(refHidden));
        c.put("refine_kernel", refKernel);
        c.put("init_seed", initSeed);
        this.config = Collections.unmodifiableMap(c);
    }

    /** Last conv of a network: weights to 0, bias to 1e-2 x its random draw (identity up to 1e-2, and mixture
     *  components that are not all equal, so they can separate during training). */
    private void zeroBlocks(double[] v, String prefix) {
        Params.Block w = params.block(prefix + ".weight"), b = params.block(prefix + ".bias");
        java.util.Arrays.fill(v, w.offset, w.offset + w.size, 0.0);
        for (int i = b.offset; i < b.offset + b.size; i++) v[i] *= 1e-2;
    }

    // ------------------------------------------------------------------ analytic base (math/CircleBase)

    /** out[0] = analytic log-scale s0(phi) of layer k's base, out[1] = d s0/dphi (CircleBase.scale with
     *  kappa = 2 beta_eff |cos(phi/2)|). */
    private void baseScale(int k, double phi, double[] out) {
        double bk = betaEff[k];
        double c = Math.cos(0.5 * phi), sgn = c >= 0 ? 1 : -1;
        CircleBase.scale(logisticBase, bk, 2 * bk * Math.abs(c), out);
        out[1] *= -bk * Math.sin(0.5 * phi) * sgn;
    }

    private void base(double u, double s, double[] out) { CircleBase.forward(logisticBase, u, s, out); }

    private double baseInverse(double v, double s) { return CircleBase.inverse(logisticBase, v, s); }

    // ------------------------------------------------------------------ FlowModel

    @Override public Group group() { return Group.U1; }
    @Override public Lattice lattice() { return lattice; }
    @Override public Params params() { return params; }
    @Override public String kind() { return refine.isEmpty() ? KIND : KIND_REFINED; }
    @Override public Map<String, Object> config() { return config; }
    public Coarsening chain() { return chain; }
    public List<CouplingLayer> refinementLayers() { return Collections.unmodifiableList(refine); }

    private void checkField(GaugeField u, int logQLength) {
        if (u.group != Group.U1 || !u.lattice.equals(lattice))
            throw new IllegalArgumentException("model is for U1 on " + lattice + ", field is " + u.group + " on " + u.lattice);
        if (logQLength < u.batch) throw new IllegalArgumentException("logQ buffer shorter than the batch");
    }

    private static final class LayerTape {
        double[] phi, raw, u, sTot, v, dLogLambda;
        Buffer rawB;
        Object netCtx;
    }

    private static final class Tape {
        LayerTape[] layers;
        CouplingLayer.Tape[] refine;
        int batch;
    }

    // --- seam calls of a doubling level: the conditioner network and the batched circle flow

    private int[] ext(int k) { return new int[] {chain.extent(k, 0), chain.extent(k, 1)}; }

    /** raw = NET_k(feat) on the backend; returns the host copy, rawB[0] the buffer. */
    private double[] conditioner(int k, double[] feat, int nb, Buffer[] rawB, Object[] ctx, boolean train) {
        int vc = chain.volume(k);
        Buffer f = be.upload(feat), r = be.alloc(nb * nraw * vc);
        Object c = nets[k].forward(f, nb, ext(k), null, r, train);
        if (ctx != null) ctx[0] = c;
        rawB[0] = r;
        return be.download(r);
    }

    /** y = C(x) (or C^{-1}(x)), lj = log C' at the forward point, for the nb*vc elements of level k. */
    private void circleFlow(boolean inverse, int nb, int vc, double[] x, Buffer rawB, double[] y, double[] lj) {
        int n = nb * vc;
        Buffer xb = be.upload(x), yb = be.alloc(n), lb = be.alloc(n);
        if (inverse) be.linkFlowInverse(flow, n, vc, xb, rawB, vc, nraw * vc, yb, lb);
        else be.linkFlowForward(flow, n, vc, xb, rawB, vc, nraw * vc, yb, lb);
        be.download(yb, 0, y, 0, n);
        be.download(lb, 0, lj, 0, n);
    }

    @Override public void sample(long seed, long step, GaugeField out, Buffer logQ) {
        run(seed, step, out, logQ, false);
    }

    @Override public Object sampleForTraining(long seed, long step, GaugeField out, Buffer logQ) {
        return run(seed, step, out, logQ, true);
    }

    private Object run(long seed, long step, GaugeField out, Buffer logQ, boolean train) {
        checkField(out, logQ.length());
        int nb = out.batch, layers = chain.layers();
        double[] cur = new double[nb * 2];
        for (int b = 0; b < nb; b++) {
            RngStream r = new RngStream(seed, RngStream.Domain.FLOW_PRIOR, step, ExactMultiscaleU1.streamIndex(b, 0, 0));
            cur[2 * b] = r.angle();
            cur[2 * b + 1] = r.angle();
        }
        double[] logq = new double[nb];
        Tape tape = train ? new Tape() : null;
        if (train) { tape.layers = new LayerTape[layers]; tape.batch = nb; }
        double[] ls = new double[2], nc = new double[5];
        for (int k = 0; k < layers; k++) {
            int vc = chain.volume(k), vf = chain.volume(k + 1), n = nb * vc;
            double[] phi = new double[n], feat = new double[nb * 2 * vc];
            for (int b = 0; b < nb; b++) doubling.plaquettes(k, cur, b * 2 * vc, phi, b * vc);
            features(phi, nb, vc, feat);
            Buffer[] rawB = new Buffer[1];
            Object[] ctx = new Object[1];
            double[] raw = conditioner(k, feat, nb, rawB, ctx, train);
            double[] t = new double[n], om = new double[n], uu = new double[n], st = new double[n], dll = new double[n];
            double[] mid = new double[n], lb = new double[n], y = new double[n], lf = new double[n];
            for (int b = 0; b < nb; b++)
                for (int s = 0; s < vc; s++) {
                    int i = b * vc + s;
                    long idx = ExactMultiscaleU1.streamIndex(b, k + 1, s);
                    uu[i] = new RngStream(seed, RngStream.Domain.FLOW_PRIOR, step, idx).angle();
                    om[i] = new RngStream(seed, RngStream.Domain.FLOW_GAUGE, step, idx).angle();
                    baseScale(k, phi[i], ls);
                    st[i] = ls[0] + raw[b * nraw * vc + s];
                    dll[i] = ls[1];
                }
            if (latentSpline) { // t = phi/2 + B_s(C(u))
                circleFlow(false, nb, vc, uu, rawB[0], y, lf);
                for (int i = 0; i < n; i++) { base(y[i], st[i], nc); mid[i] = y[i]; t[i] = 0.5 * phi[i] + nc[0]; lb[i] = nc[1]; }
            } else {            // t = phi/2 + C(B_s(u))
                for (int i = 0; i < n; i++) { base(uu[i], st[i], nc); mid[i] = nc[0]; lb[i] = nc[1]; }
                circleFlow(false, nb, vc, mid, rawB[0], y, lf);
                for (int i = 0; i < n; i++) t[i] = 0.5 * phi[i] + y[i];
            }
            for (int b = 0; b < nb; b++) {
                double lq = 0;
                for (int i = b * vc; i < (b + 1) * vc; i++) lq -= lb[i] + lf[i];
                logq[b] += lq;
            }
            double[] fine = new double[nb * 2 * vf];
            for (int b = 0; b < nb; b++) doubling.split(k, cur, b * 2 * vc, t, b * vc, om, b * vc, fine, b * 2 * vf);
            cur = fine;
            if (train) {
                LayerTape lt = new LayerTape();
                lt.phi = phi; lt.raw = raw; lt.rawB = rawB[0]; lt.v = mid; lt.dLogLambda = dll; lt.u = uu; lt.sTot = st; lt.netCtx = ctx[0];
                tape.layers[k] = lt;
            }
        }
        out.setFromHost(cur);
        Buffer logJ = be.alloc(nb);
        if (train) tape.refine = new CouplingLayer.Tape[refine.size()];
        for (int i = 0; i < refine.size(); i++) {
            CouplingLayer.Tape rt = refine.get(i).forward(out, logJ, train);
            if (train) tape.refine[i] = rt;
        }
        be.upload(logq, 0, logQ, 0, nb);
        be.axpy(nb, -1.0, logJ, 0, logQ, 0);
        return tape;
    }

    private static void features(double[] phi, int nb, int vc, double[] feat) {
        for (int b = 0; b < nb; b++)
            for (int s = 0; s < vc; s++) {
                double p = phi[b * vc + s];
                feat[(2 * b) * vc + s] = Math.cos(p);
                feat[(2 * b + 1) * vc + s] = Math.sin(p);
            }
    }

    @Override public void logDensity(GaugeField u, Buffer logQ) {
        checkField(u, logQ.length());
        int nb = u.batch, n = chain.layers() + 1;
        double[] parts = new double[nb * n], lq = new double[nb];
        logDensityByLevel(u, parts);
        for (int b = 0; b < nb; b++) {
            double s = 0;
            for (int k = n - 1; k >= 0; k--) s += parts[b * n + k];
            lq[b] = s;
        }
        be.upload(lq, 0, logQ, 0, nb);
    }

    /**
     * log q split by scale: out[b*(layers+1) + k] = sum over the new links of doubling layer k of log g (k <
     * layers), out[b*(layers+1) + layers] = the refinement layers' sum log|det dF^{-1}|. Summed, log q. Next to
     * {@link ExactMultiscaleU1#logDensityByLevel} (the exact log p by level) this shows which scale limits the ESS.
     */
    public void logDensityByLevel(GaugeField u, double[] out) {
        int nb = u.batch, layers = chain.layers(), n = layers + 1;
        checkField(u, nb);
        GaugeField w = u.copy();
        Buffer lrefB = be.alloc(nb);
        for (int i = refine.size() - 1; i >= 0; i--) refine.get(i).inverse(w, lrefB);
        double[] lref = be.download(lrefB);
        for (int b = 0; b < nb; b++) out[b * n + layers] = lref[b];
        double[] cur = w.toHost();
        double[] ls = new double[2], nc = new double[5];
        for (int k = layers - 1; k >= 0; k--) {
            int vc = chain.volume(k), vf = chain.volume(k + 1), m = nb * vc;
            double[] coarse = new double[nb * 2 * vc], t = new double[m], om = new double[m];
            double[] phi = new double[m], feat = new double[nb * 2 * vc];
            for (int b = 0; b < nb; b++) {
                doubling.merge(k, cur, b * 2 * vf, coarse, b * 2 * vc, t, b * vc, om, b * vc);
                doubling.plaquettes(k, coarse, b * 2 * vc, phi, b * vc);
            }
            features(phi, nb, vc, feat);
            Buffer[] rawB = new Buffer[1];
            double[] raw = conditioner(k, feat, nb, rawB, null, false);
            double[] st = new double[m], x = new double[m], y = new double[m], lf = new double[m], lb = new double[m];
            for (int b = 0; b < nb; b++)
                for (int s = 0; s < vc; s++) {
                    int i = b * vc + s;
                    baseScale(k, phi[i], ls);
                    st[i] = ls[0] + raw[b * nraw * vc + s];
                }
            if (latentSpline) {
                for (int i = 0; i < m; i++) { x[i] = baseInverse(t[i] - 0.5 * phi[i], st[i]); base(x[i], st[i], nc); lb[i] = nc[1]; }
                circleFlow(true, nb, vc, x, rawB[0], y, lf);
            } else {
                for (int i = 0; i < m; i++) x[i] = t[i] - 0.5 * phi[i];
                circleFlow(true, nb, vc, x, rawB[0], y, lf);
                for (int i = 0; i < m; i++) { base(baseInverse(y[i], st[i]), st[i], nc); lb[i] = nc[1]; }
            }
            for (int b = 0; b < nb; b++) {
                double lq = 0;
                for (int i = b * vc; i < (b + 1) * vc; i++) lq -= lb[i] + lf[i];
                out[b * n + k] = lq;
            }
            cur = coarse;
        }
    }

    @Override public void backward(Object tapeObj, GaugeField outField, Buffer gLinks, Buffer gLogQB) {
        Tape tape = (Tape) tapeObj;
        int nb = tape.batch, layers = chain.layers();
        Buffer gLogJ = be.alloc(nb);
        be.axpy(nb, -1.0, gLogQB, 0, gLogJ, 0);
        for (int i = refine.size() - 1; i >= 0; i--) refine.get(i).backward(tape.refine[i], outField, gLinks, gLogJ);
        double[] gFine = be.download(gLinks), dLossdLogQ = be.download(gLogQB);
        double[] nc = new double[5];
        for (int k = layers - 1; k >= 0; k--) {
            LayerTape lt = tape.layers[k];
            int vc = chain.volume(k), vf = chain.volume(k + 1), n = nb * vc;
            double[] gC = new double[nb * 2 * vc], gT = new double[n], gPhi = new double[n];
            double[] gRaw = new double[nb * nraw * vc];
            for (int b = 0; b < nb; b++) doubling.splitBackward(k, gFine, b * 2 * vf, gC, b * 2 * vc, gT, b * vc);
            // log g = -(log B' + log C'):  dL/dlog C' = dL/dlog B' = -gl
            double[] x = new double[n], gy = new double[n], glj = new double[n], gx = new double[n];
            for (int b = 0; b < nb; b++)
                for (int s = 0; s < vc; s++) {
                    int i = b * vc + s;
                    double gl = dLossdLogQ[b], gt = gT[i];
                    gPhi[i] += 0.5 * gt;
                    glj[i] = -gl;
                    if (latentSpline) {
                        base(lt.v[i], lt.sTot[i], nc);
                        x[i] = lt.u[i];
                        gy[i] = gt * Math.exp(nc[1]) - gl * nc[4];
                    } else {
                        x[i] = lt.v[i];
                        gy[i] = gt;
                    }
                }
            Buffer gRawB = be.alloc(nb * nraw * vc);
            Buffer xb = be.upload(x), gyb = be.upload(gy), gljb = be.upload(glj), gxb = be.alloc(n);
            be.linkFlowBackward(flow, n, vc, xb, lt.rawB, vc, nraw * vc, gyb, gljb, gxb, gRawB);
            be.download(gxb, 0, gx, 0, n);
            for (int b = 0; b < nb; b++)
                for (int s = 0; s < vc; s++) {
                    int i = b * vc + s, ro = b * nraw * vc + s;
                    double gl = dLossdLogQ[b], gt = gT[i], ds;
                    if (latentSpline) {
                        base(lt.v[i], lt.sTot[i], nc);
                        ds = gt * nc[2] - gl * nc[3];
                    } else {
                        base(lt.u[i], lt.sTot[i], nc);
                        ds = gx[i] * nc[2] - gl * nc[3];
                    }
                    gRaw[ro] = ds;
                    gPhi[i] += ds * lt.dLogLambda[i];
                }
            // channel 0 (the base scale) from the host, channels 1.. from the flow backward
            for (int b = 0; b < nb; b++) be.upload(gRaw, b * nraw * vc, gRawB, b * nraw * vc, vc);
            Buffer gFeatB = be.alloc(nb * 2 * vc);
            nets[k].backward(lt.netCtx, gRawB, gFeatB);
            double[] gFeat = be.download(gFeatB);
            for (int b = 0; b < nb; b++)
                for (int s = 0; s < vc; s++) {
                    int i = b * vc + s;
                    double p = lt.phi[i];
                    gPhi[i] += -Math.sin(p) * gFeat[(2 * b) * vc + s] + Math.cos(p) * gFeat[(2 * b + 1) * vc + s];
                }
            for (int b = 0; b < nb; b++) doubling.plaquettesBackward(k, gPhi, b * vc, gC, b * 2 * vc);
            gFine = gC;
        }
    }
}
