package org.mflowhpc.flow.multiscale;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Index;
import org.mflowhpc.backend.LinkFlow;
import org.mflowhpc.flow.Configs;
import org.mflowhpc.flow.CouplingLayer;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.flow.Models;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.Coarsening;
import org.mflowhpc.lattice.CouplingMask;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.math.CircleBase;
import org.mflowhpc.nn.Activation;
import org.mflowhpc.nn.Params;
import org.mflowhpc.nn.Sequential;
import org.mflowhpc.observable.exact.SU3Characters;
import org.mflowhpc.rng.RngStream;

/**
 * Multiscale flow for U(1) and SU(3) in d = 2, 3, 4 ("Multiscale" / "Multiscale + flow" for every theory;
 * docs/physics.md "Doubling in any d"). Everything runs through the seam ({@link Backend}); nothing but the
 * returned log q leaves the backend.
 *
 * <h2>Construction (coarse to fine)</h2>
 * <ol>
 *   <li><b>Coarse prior</b> on the 2^d lattice (level 0; {@code coarse} = 2): Haar links (FLOW_PRIOR stream) followed
 *       by {@code prior_layers} coupling layers with period-2 stripe masks ({@link CouplingMask}; on 2^d the (mu,nu)
 *       plaquettes all contain an active link, so in 2D these learn feature-independent spectral maps of the
 *       plaquettes, in d >= 3 they read the other planes). 2^d rather than 1^d: a 1^d lattice has only holonomies,
 *       which are not Haar distributed for SU(3) and leave no plaquette to learn from; 2^d is the smallest lattice
 *       of the project's kind (even extents) on which the coupling layers of the rest of the model act.
 *       {@code coarse} = 1 (U(1) only, prior_layers = 0; the U(1) default): the 1^d prior, whose Haar links are exact
 *       for U(1) (its holonomies are uniform by the shift symmetry theta_mu -> theta_mu + c on a slice); the first
 *       doublings then build the 2^d lattice too (levels whose lattice still has an extent 1 get no level layers). Measured on 2D U(1) (benchmarks/results/2026-12-02-multiscale-noise.md):
 *       L = 16, beta = 8, 1000 steps ESS 0.715 against 0.614 / 0.517 (two seeds) with the learned 2^2 prior;
 *       8x8, beta = 2, 300 steps 0.926 against 0.942.
 *   <li><b>Doubling layer k</b> (level k -> k+1, direction mu = {@link Coarsening#direction}): Haar-random R on the
 *       coarse lattice (stream domain FLOW_LEVEL + k), split ({@link Backend#doublingSplit}):
 *       U_nu(even) = C_nu, U_mu(even) = C_mu R_mu^dag, U_mu(new) = R_mu, U_nu(new) = R_nu. This is a Haar-measure
 *       preserving bijection (C, R) -> U, with the new perpendicular links U_nu(y) (y on the odd mu-slice) Haar.
 *       Then for every nu != mu the new links are moved by a conjugation-equivariant link flow g around a frozen
 *       loop Γ (W = U_nu(y) Γ^dag, U' = g(W) Γ: the coupling-layer update with the doubling mask "active = all
 *       nu-links of the odd mu-slice"). center = "midpoint" (default): Γ = Γ_f sqrt(Γ_f^dag Γ_b), halfway between
 *       the two mu-staples of U_nu(y), Γ_f = U_mu(y) U_nu(y+mu) U_mu(y+nu)^dag and Γ_b = U_mu(x)^dag U_nu(x)
 *       U_mu(x+nu) ({@link Backend#gatherMidpoint}), where the conditional exp((beta/N) Re tr U (Γ_f + Γ_b)^dag)
 *       peaks; "staple": Γ = Γ_f alone. Both contain only split halves and coarse copies. A spectral flow keeps the
 *       eigenvectors of W, so for SU(3) only the midpoint centring lets the conditional sit between the staples
 *       (2D SU(3) 8x8, beta = 4, 300 steps: see docs/physics.md). <b>Frames</b> ({@code frames}; SU(3) default: midpoint, staple, backstaple; U(1): [center]): the
 *       new link may pass several such flows in turn, each in its own frame, U <- g_s(U Γ_s^dag) Γ_s with Γ_s the
 *       midpoint loop, the single staple Γ_f ("staple") or the single staple Γ_b ("backstaple"); each g_s is equivariant under conjugation, but two frames differ by
 *       Γ_s Γ_t^dag (for midpoint and staple Γ S Γ^dag, which commutes with H below), so the composition is
 *       equivariant only under the stabiliser of the pair and its density need not be a class function of any one
 *       W: for SU(3) this lets the flow align W with the non-scalar H of the exact conditional
 *       exp((beta/N) Re tr W H) (docs/flows.md). log J is the sum over the stages. The flow parameters of the new links at y = new(x') come from one network per level on the COARSE
 *       lattice over the gauge-invariant features of every coarse plaquette ((1/N) Re/Im tr C_P(x'), 2 per plane),
 *       with (d-1) x P output channels; kernel 1 by default: the coarse plaquette C_{mu nu}(x') holds the relative
 *       orientation of the two mu-staples of U_nu(y) (the x-side staple times the y-side one is C_{mu nu}(x')
 *       up to conjugation), which is all the 2D conditional depends on. Distinct nu are updated together: no staple
 *       or feature contains another new link. log q += -sum log J_g.
 *   <li><b>Level layers</b>: {@code level_layers} coupling layers with their own networks on each fine level; in
 *       d >= 3 the new links of a slice share plaquettes, and these layers correlate them. {@code level_masks=slice}
 *       (the d >= 3 default): {@link CouplingMask#forSlice}, every active link a new link of the level moved through
 *       one of its in-slice plaquettes (4^4 SU(3), beta = 6, 150 steps: training KL 685 with no level layers, 358 with
 *       12 slice layers); "standard": the standard schedule on the whole fine lattice, stripes of period 4 where the
 *       extent allows, else 2.
 *   <li><b>Refinement</b> ("multiscale+flow"): {@code refine_layers} coupling layers on the target lattice (masks as
 *       for the level layers).
 * </ol>
 * Density: log q(U) = -sum over all layers of log J (Haar prior and the split have log density 0 w.r.t. Haar).
 * Gauge invariance: the split commutes with gauge transformations of the coarse sites, and every flow update is
 * covariant with invariant features, so log q is invariant under fine gauge transformations (tested). Inverse
 * (log q of any configuration, e.g. a heatbath one): refinement and level layers inverted, then per level the
 * coarse field is read back ({@link Backend#doublingMerge}; unaffected by the doubling flow, which moves only new
 * links), the network re-evaluated, the new links mapped back with g^{-1}.
 *
 * <p><b>U(1) analytic base.</b> For U(1) each new link's W first passes a base map B_s (math/CircleBase, logistic or
 * wrapped Cauchy, {@link Backend#u1BaseForward}) and then the circle flow: W' = C(B_s(W)), with
 * s = s0(kappa) + raw_0 and kappa = 2 beta_a |cos(phi/2)| (phi the coarse plaquette of the plane (mu, nu), read from
 * the conditioner's cos feature). With midpoint centring the exact 2D conditional of W is
 * f_a(W + phi/2) f_a(W - phi/2) (f_a the block density of a plaquettes), von Mises exp(2 kappa_a cos(phi/2) cos W) for
 * a = 1; beta_a solves I_1/I_0(beta_a) = (I_1/I_0(beta))^a with a the area of a level-(k+1) plaquette of that plane in
 * target-lattice units (exact block moment in 2D; in d >= 3 the same per-plane recursion, an approximation without
 * Migdal-Kadanoff bond moving, which the learned raw_0 corrects). base_start selects beta_a: "rg" (the recursion above,
 * = analytic_init = true), "mk" (the U(1) default in 2D and 4D; Migdal-Kadanoff: A(beta_a) = A(a^{(d-2)/2} beta)^a, bond moving by
 * the linear block size to the power d - 2 before the 2D decimation; equal to rg in 2D; in 4D the coarse levels come
 * out narrower than bare, in 3D between rg and bare; measured best or tied in 2D and 4D, second to bare in 3D:
 * benchmarks/results/2026-12-02-multiscale-u1-starts.md), "bare" (the U(1) default in 3D, where it beat mk by 6-8 nats of KL at beta = 2, 3 and tied at 1;
 * beta_a = beta on every level: each new link starts from its
 * heatbath density at the bare coupling, exact on the finest level and too narrow on the coarser ones; it uses
 * nothing but the action, so it carries over to any theory), "flat" (= analytic_init = false: s0 = const, nearly
 * uniform); in every case s is learned.
 *
 * <p><b>SU(3) base start.</b> SU(3) has no closed-form base map; base_start = rg / mk / bare instead starts the first
 * frame's spectral flow at parameters fitted to the one-link density exp(kappa Re tr W), kappa from the level's
 * coupling (the fundamental-character recursion rho(beta_a) = rho(beta)^a, with bond moving for mk;
 * {@link SU3BaseStart}), written into the last bias of the level's network (whose last weights start at 0), and
 * learned from there; "flat" (the SU(3) default) starts every stage at the identity, i.e. at Haar.
 *
 * <h2>Config keys [defaults]</h2>
 * doubling ["staple"] (the construction; written to checkpoints), center ["midpoint"], frames [SU(3) [midpoint, staple, backstaple],
 * U(1) and any config giving center alone [center]; a list of midpoint / staple / backstaple, the first equal to center], beta (U(1) with the
 * analytic base and the SU(3) base starts: required), analytic_init [true for U(1)], base_start [U(1) "mk" ("bare" in 3D); "rg" if
 * analytic_init=true is given, "flat" if false; SU(3) "flat"], base ["logistic"], flow [U1 "rqs8", SU3 "spectral4"] (the doubling
 * flows; a circular spline can shift the new link towards the midpoint of its two staples, NCP mixtures cannot),
 * hidden [[16, 16]], kernel [1], activation ["tanh"], prior_layers [2d], prior_flow, level_layers [0 in 2D; 4(d-1) in d >= 3], level_masks ["slice" in d >= 3, else "standard"; "standard" when level_layers is given without it, as in
 * every checkpoint written before level_masks existed], level_flow, refine_layers [0], refine_flow [U1 "ncp6", SU3 "spectral4"], refine_hidden [[8, 8]],
 * refine_kernel [3 in 2D, else 1], zero_init [true] (last conv of every network: zero weights, bias 1e-2 x its
 * draw, so the model starts near Haar), init_seed [0]. Parameter blocks {@code prior<i>.*}, {@code level<k>.*},
 * {@code level<k>.layer<i>.*}, {@code refine<i>.*}; network initialisation streams RngStream(init_seed, NN_INIT,
 * i, 3) (prior), (k, 4) (doubling nets), (1000 k + i, 5) (level layers), (i, 2) (refinement).
 *
 * <p>Cost per configuration and level: the split (2d link copies and 1 product per coarse site), the network on
 * the coarse volume Vc (2 sum C_in C_out k^d Vc flops), (d-1) Vc link flows and gathers/scatters per frame (SU(3)
 * ~3600 + 100 K flops each).
 */
public final class MultiscaleFlow implements FlowModel {
    public static final String DOUBLING = "staple";
    /** Frames of the new-link flows: the midpoint loop Γ, the single staple Γ_f (+mu side), the single staple Γ_b (-mu side). */
    static final List<String> FRAMES = List.of("midpoint", "staple", "backstaple");
    private static final int MIDPOINT = 0, BACKSTAPLE = 2;
    /** Starts of the U(1) base's coupling (config key base_start): see the class comment. */
    public static final List<String> BASE_STARTS = List.of("rg", "mk", "bare", "flat");
    private static final List<String> KEYS = List.of("doubling", "coarse", "center", "frames", "beta", "analytic_init", "base_start", "base", "flow", "hidden", "kernel", "activation", "prior_layers", "prior_flow",
            "level_layers", "level_masks", "level_flow", "refine_layers", "refine_flow", "refine_hidden", "refine_kernel", "zero_init", "init_seed");

    private final Backend be;
    private final Group group;
    private final Lattice lattice;
    private final Coarsening chain;
    private final Lattice[] levels;
    private final Params params = new Params();
    private final LinkFlow flow;
    private final int p, d, nraw;
    private final boolean base, logistic;
    /** Frame of each stage of the new-link flows: true = midpoint Γ, false = the single staple Γ_f. */
    /** Per frame stage: an index into {@link #FRAMES}. */
    private final int[] frameKind;
    /** Network output channels per new-link direction: the first stage's nraw, then p per further stage. */
    private final int perNu;
    private final double[][] betaEff;
    private final Sequential[] nets;
    private final Index[] even, fresh, odd;
    private final Index[] allPlanes;
    private final List<CouplingLayer> prior = new ArrayList<>(), refine = new ArrayList<>();
    private final List<List<CouplingLayer>> levelLayers = new ArrayList<>();
    private final Map<String, Object> config;
    private volatile SU3Characters exactChars; // exactLogPByLevel's character tables, for the last beta asked

    /** The default {@code level_masks}: slice in d >= 3 (measured, docs/flows.md "Level layers"), standard in 2D. */
    private static String defaultLevelMasks(int d) {
        return d >= 3 ? "slice" : "standard";
    }

    /** The default {@code level_layers}: 0 in 2D; in d >= 3 4(d-1) slice layers (every new link moved twice, through
     *  both orientations of the in-slice planes); measured for U(1) and SU(3), docs/flows.md "Level layers". */
    private static int defaultLevelLayers(int d) {
        return d < 3 ? 0 : 4 * (d - 1);
    }

    public static Map<String, Object> defaultConfig(long initSeed) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("doubling", DOUBLING);
        c.put("init_seed", initSeed);
        return c;
    }

    public MultiscaleFlow(Backend be, Group group, Lattice lattice, Map<String, Object> cfg) {
        for (String k : cfg.keySet())
            if (!KEYS.contains(k)) throw new IllegalArgumentException("unknown multiscale config key '" + k + "' (expected one of " + KEYS + ")");
        String construction = Configs.stringOf(cfg, "doubling", DOUBLING);
        if (!construction.equals(DOUBLING)) throw new IllegalArgumentException("unknown multiscale doubling '" + construction + "' (expected " + DOUBLING + ")");
        this.be = be; this.group = group; this.lattice = lattice; this.d = lattice.d;
        boolean u1 = group == Group.U1;
        int coarseExtent = Configs.intOf(cfg, "coarse", u1 ? 1 : 2);
        if (coarseExtent != 1 && coarseExtent != 2) throw new IllegalArgumentException("multiscale coarse must be 1 or 2, got " + coarseExtent);
        if (coarseExtent == 1 && !u1)
            throw new IllegalArgumentException("multiscale coarse=1 needs U(1): the 1^d holonomies of SU(3) are not Haar distributed (use coarse=2)");
        int[] coarse = new int[d];
        Arrays.fill(coarse, coarseExtent);
        try {
            this.chain = Coarsening.of(lattice.extents(), coarse);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("multiscale model: " + e.getMessage() + " (extents must be " + coarseExtent + " x a power of two, halved down to the "
                    + coarseExtent + "^" + d + " coarse prior)");
        }
        String center = Configs.stringOf(cfg, "center", "midpoint");
        if (!FRAMES.contains(center))
            throw new IllegalArgumentException("unknown multiscale center '" + center + "' (" + String.join(", ", FRAMES) + ")");
        // default: SU(3) the midpoint and both single staples (measured, docs/flows.md), U(1) one frame; center alone
        // (as every checkpoint written before frames existed) means the single frame [center]
        List<String> frames = Configs.stringsOf(cfg, "frames", u1 || cfg.containsKey("center") ? List.of(center) : List.of("midpoint", "staple", "backstaple"));
        if (frames.isEmpty() || frames.size() > 8)
            throw new IllegalArgumentException("multiscale frames must list 1 to 8 of " + String.join(", ", FRAMES) + "; got " + frames);
        for (String f : frames)
            if (!FRAMES.contains(f))
                throw new IllegalArgumentException("unknown multiscale frame '" + f + "' in frames " + frames + " (" + String.join(", ", FRAMES) + ")");
        if (cfg.containsKey("center") && cfg.containsKey("frames") && !frames.get(0).equals(center))
            throw new IllegalArgumentException("multiscale center=" + center + " contradicts frames=" + String.join(",", frames) + " (center is the first frame)");
        center = frames.get(0);
        this.frameKind = new int[frames.size()];
        for (int i = 0; i < frameKind.length; i++) frameKind[i] = FRAMES.indexOf(frames.get(i));
        this.flow = LinkFlow.parse(Configs.stringOf(cfg, "flow", u1 ? "rqs8" : "spectral4"));
        LinkFlow priorFlow = LinkFlow.parse(Configs.stringOf(cfg, "prior_flow", u1 ? "ncp6" : "spectral4"));
        LinkFlow levelFlow = LinkFlow.parse(Configs.stringOf(cfg, "level_flow", u1 ? "ncp6" : "spectral4"));
        LinkFlow refFlow = LinkFlow.parse(Configs.stringOf(cfg, "refine_flow", u1 ? "ncp6" : "spectral4"));
        for (LinkFlow f : List.of(flow, priorFlow, levelFlow, refFlow))
            if (f.isU1() != u1) throw new IllegalArgumentException("link flow " + f.name() + " does not act on " + group + " links");
        int[] hidden = Configs.intsOf(cfg, "hidden", new int[] {16, 16});
        int kernel = Configs.intOf(cfg, "kernel", 1);
        Backend.Act act = Activation.parse(Configs.stringOf(cfg, "activation", "tanh"));
        int nPrior = Configs.intOf(cfg, "prior_layers", coarseExtent == 1 ? 0 : 2 * d);
        if (coarseExtent == 1 && nPrior > 0) throw new IllegalArgumentException("multiscale coarse=1: the 1^" + d + " prior has no plaquette for prior_layers to act on (set prior_layers=0)");
        // level layers correlate the new links of a slice, which share plaquettes only in d >= 3: measured there at equal
        // training time (docs/flows.md "Level layers"); in 2D the new links are conditionally independent (none)
        int nLevel = Configs.intOf(cfg, "level_layers", defaultLevelLayers(d));
        // level_layers given without level_masks (as in every checkpoint written before level_masks existed): standard
        String levelMasks = Configs.stringOf(cfg, "level_masks", cfg.containsKey("level_layers") ? "standard" : defaultLevelMasks(d));
        if (!levelMasks.equals("standard") && !levelMasks.equals("slice"))
            throw new IllegalArgumentException("unknown multiscale level_masks '" + levelMasks + "' (standard or slice)");
        boolean sliceMasks = levelMasks.equals("slice");
        if (sliceMasks && d < 3) throw new IllegalArgumentException("multiscale level_masks=slice needs d >= 3: in 2D the new links of a slice share no plaquette");
        int nRef = Configs.intOf(cfg, "refine_layers", 0);
        int[] refHidden = Configs.intsOf(cfg, "refine_hidden", new int[] {8, 8});
        int refKernel = Configs.intOf(cfg, "refine_kernel", d == 2 ? 3 : 1);
        boolean zero = Configs.boolOf(cfg, "zero_init", true);
        long initSeed = Configs.longOf(cfg, "init_seed", 0L);
        if (nPrior < 0 || nLevel < 0 || nRef < 0) throw new IllegalArgumentException("prior_layers, level_layers and refine_layers must be >= 0");
        for (int h : hidden) if (h < 1) throw new IllegalArgumentException("hidden widths must be >= 1, got " + h);
        for (int h : refHidden) if (h < 1) throw new IllegalArgumentException("refine_hidden widths must be >= 1, got " + h);
        if (kernel < 1 || kernel % 2 == 0 || refKernel < 1 || refKernel % 2 == 0) throw new IllegalArgumentException("kernel sizes must be odd and >= 1");
        this.p = flow.paramsPerElement();
        this.base = u1;
        boolean analyticKey = Configs.boolOf(cfg, "analytic_init", u1);
        // default: the Migdal-Kadanoff start (= rg in 2D); an explicit analytic_init keeps its meaning (true = rg)
        // default: bare in 3D, Migdal-Kadanoff otherwise (measured: docs/flows.md); every U(1) checkpoint stores its start
        String start = Configs.stringOf(cfg, "base_start", !analyticKey ? "flat" : cfg.containsKey("analytic_init") ? "rg" : d == 3 ? "bare" : "mk");
        if (!BASE_STARTS.contains(start)) throw new IllegalArgumentException("unknown multiscale base_start '" + start + "' (expected one of " + BASE_STARTS + ")");
        boolean recursion = start.equals("rg") || start.equals("mk");
        if (cfg.containsKey("analytic_init") && cfg.containsKey("base_start") && analyticKey != recursion)
            throw new IllegalArgumentException("multiscale analytic_init=" + analyticKey + " contradicts base_start=" + start + " (analytic_init=true is base_start=rg or mk)");
        boolean analytic = !start.equals("flat");
        String baseKind = Configs.stringOf(cfg, "base", "logistic");
        if (!baseKind.equals("logistic") && !baseKind.equals("cauchy")) throw new IllegalArgumentException("unknown multiscale base '" + baseKind + "' (logistic or cauchy)");
        this.logistic = baseKind.equals("logistic");
        double beta = Configs.doubleOf(cfg, "beta", Double.NaN);
        if (analytic && !(beta >= 0 && beta < Double.POSITIVE_INFINITY))
            throw new IllegalArgumentException("the analytic base needs a finite 'beta' >= 0 in the multiscale config, got " + cfg.get("beta"));
        this.nraw = p + (base ? 1 : 0);
        this.perNu = nraw + (frameKind.length - 1) * p;

        int nl = chain.layers();
        levels = new Lattice[nl + 1];
        for (int k = 0; k <= nl; k++) levels[k] = Lattice.coarse(chain.extents(k));
        nets = new Sequential[nl];
        betaEff = new double[nl][d];
        for (int k = 0; k < nl; k++)
            for (int nu = 0; nu < d; nu++) {
                int mu = chain.direction(k);
                if (nu == mu || !analytic) continue;
                double area = (double) lattice.extent(mu) / chain.extent(k + 1, mu) * lattice.extent(nu) / chain.extent(k + 1, nu);
                if (!u1) betaEff[k][nu] = SU3BaseStart.coupling(start, beta, area, d);
                else betaEff[k][nu] = start.equals("rg") ? CircleBase.effectiveCoupling(beta, area)
                        : start.equals("mk") ? CircleBase.migdalKadanoffCoupling(beta, area, d) : beta;
            }
        even = new Index[nl]; fresh = new Index[nl]; odd = new Index[nl]; allPlanes = new Index[nl];
        for (int i = 0; i < nPrior; i++)
            prior.add(new CouplingLayer(params, be, "prior" + i, group, levels[0], CouplingMask.forLayer(levels[0], i, 2), priorFlow, refHidden, 1, act));
        for (int k = 0; k < nl; k++) {
            int vc = chain.volume(k);
            int[] ev = new int[vc], fr = new int[vc];
            for (int s = 0; s < vc; s++) { ev[s] = chain.evenSite(k, s); fr[s] = chain.newSite(k, s); }
            even[k] = be.index(ev); fresh[k] = be.index(fr);
            int[] sorted = fr.clone();
            Arrays.sort(sorted);
            if (!Arrays.equals(sorted, fr)) throw new IllegalStateException("doubling: new sites are not in coarse-site order");
            odd[k] = fresh[k];
            int[] ones = new int[levels[k].planes() * vc];
            Arrays.fill(ones, 1);
            allPlanes[k] = be.index(ones);
            nets[k] = Sequential.convNet(params, "level" + k, d, 2 * levels[k].planes(), hidden, (d - 1) * perNu, kernel, act);
            List<CouplingLayer> ll = new ArrayList<>();
            Lattice fine = levels[k + 1];
            boolean tileable = true; // with coarse = 1 the first levels have extent-1 directions: no stripe masks there
            for (int e : fine.extents()) tileable &= e >= 2;
            for (int i = 0; tileable && i < nLevel; i++) {
                CouplingMask mk = sliceMasks ? CouplingMask.forSlice(fine, chain.direction(k), i) : mask(fine, i);
                ll.add(new CouplingLayer(params, be, "level" + k + ".layer" + i, group, fine, mk, levelFlow, refHidden, refKernel, act));
            }
            levelLayers.add(ll);
        }
        for (int i = 0; i < nRef; i++)
            refine.add(new CouplingLayer(params, be, "refine" + i, group, lattice, mask(lattice, i), refFlow, refHidden, refKernel, act));
        params.freeze(be);
        double[] v = params.valuesToHost();
        for (int i = 0; i < nPrior; i++) {
            prior.get(i).init(new RngStream(initSeed, RngStream.Domain.NN_INIT, i, 3), v);
            if (zero) zeroLast(v, "prior" + i, refHidden.length);
        }
        for (int k = 0; k < nl; k++) {
            nets[k].init(new RngStream(initSeed, RngStream.Domain.NN_INIT, k, 4), v);
            if (zero) zeroLast(v, "level" + k, hidden.length);
            if (!u1 && analytic) su3Start(v, k, hidden.length);
            for (int i = 0; i < levelLayers.get(k).size(); i++) {
                levelLayers.get(k).get(i).init(new RngStream(initSeed, RngStream.Domain.NN_INIT, 1000L * k + i, 5), v);
                if (zero) zeroLast(v, "level" + k + ".layer" + i, refHidden.length);
            }
        }
        for (int i = 0; i < nRef; i++) {
            refine.get(i).init(new RngStream(initSeed, RngStream.Domain.NN_INIT, i, 2), v);
            if (zero) zeroLast(v, "refine" + i, refHidden.length);
        }
        params.setValues(v);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("doubling", DOUBLING);
        c.put("center", center);
        if (frameKind.length > 1) c.put("frames", List.copyOf(frames)); // one frame: center alone, as before frames existed
        if (u1) {
            c.put("analytic_init", recursion);
            c.put("base_start", start);
            c.put("base", baseKind);
            if (analytic) c.put("beta", beta);
        } else if (analytic) { // SU(3): flat (no key) as before base starts existed
            c.put("base_start", start);
            c.put("beta", beta);
        }
        c.put("flow", flow.name());
        c.put("hidden", Configs.toList(hidden));
        c.put("kernel", kernel);
        c.put("activation", act.name().toLowerCase());
        c.put("coarse", coarseExtent);
        c.put("prior_layers", nPrior);
        c.put("prior_flow", priorFlow.name());
        c.put("level_layers", nLevel);
        c.put("level_masks", levelMasks);
        c.put("level_flow", levelFlow.name());
        c.put("refine_layers", nRef);
        c.put("refine_flow", refFlow.name());
        c.put("refine_hidden", Configs.toList(refHidden));
        c.put("refine_kernel", refKernel);
        c.put("zero_init", zero);
        c.put("init_seed", initSeed);
        this.config = Collections.unmodifiableMap(c);
    }

    /** Mask i of the standard schedule, with stripes of period 4 where the stripe direction's extent allows, else 2. */
    static CouplingMask mask(Lattice lat, int i) {
        int nu = CouplingMask.forLayer(lat, i, 2).nu;
        return CouplingMask.forLayer(lat, i, lat.extent(nu) % 4 == 0 ? 4 : 2);
    }

    /**
     * SU(3) base start: adds to the last bias of level k's network, on the first frame's channels of every new-link
     * direction, the spectral-flow parameters fitted to the one-link density at that level's coupling
     * ({@link SU3BaseStart}); with zero_init (last weights 0) every new link then starts from that density.
     */
    private void su3Start(double[] v, int k, int nHidden) {
        Params.Block b = params.block("level" + k + ".conv" + nHidden + ".bias");
        int mu = chain.direction(k);
        org.mflowhpc.backend.cpu.Su3Spectral sf = new org.mflowhpc.backend.cpu.Su3Spectral(flow.components);
        for (int nu = 0; nu < d; nu++) {
            if (nu == mu) continue;
            double[] th = SU3BaseStart.fit(sf, SU3BaseStart.kappa(betaEff[k][nu]));
            int c = otherIndex(mu, nu) * perNu + stageOffset(0);
            for (int j = 0; j < p; j++) v[b.offset + c + j] += th[j];
        }
    }

    /** Last conv of a network: weights 0, bias 1e-2 x its draw (the flow starts within 1e-2 of the identity). */
    private void zeroLast(double[] v, String prefix, int nHidden) {
        Params.Block w = params.block(prefix + ".conv" + nHidden + ".weight"), b = params.block(prefix + ".conv" + nHidden + ".bias");
        Arrays.fill(v, w.offset, w.offset + w.size, 0.0);
        for (int i = b.offset; i < b.offset + b.size; i++) v[i] *= 1e-2;
    }

    @Override public Group group() { return group; }
    @Override public Lattice lattice() { return lattice; }
    @Override public Params params() { return params; }
    @Override public String kind() { return refine.isEmpty() ? Models.KIND_MULTISCALE : Models.KIND_REFINED; }
    @Override public Map<String, Object> config() { return config; }
    public Coarsening chain() { return chain; }

    private void checkField(GaugeField u, Buffer logQ) {
        if (u.group != group || !u.lattice.equals(lattice))
            throw new IllegalArgumentException("model is for " + group + " on " + lattice + ", field is " + u.group + " on " + u.lattice);
        if (logQ.length() < u.batch) throw new IllegalArgumentException("logQ buffer shorter than the batch");
    }

    /** Stream domain of doubling layer k's Haar draws (32 + k; domains 32..63 are reserved for the levels). */
    static int levelDomain(int k) { return RngStream.Domain.FLOW_LEVEL + k; }

    // ------------------------------------------------------------------ one doubling layer

    private static final class LevelTape {
        GaugeField coarse, r;
        Object netCtx;
        Buffer raw, feat;
        Buffer[] w;            // per new-link direction: the noise (the U(1) base's input)
        Buffer[][] in, out;    // per direction and stage: the link flow's input and output
        CouplingLayer.Tape[] layers;
    }

    private static final class Tape {
        CouplingLayer.Tape[] prior, refine;
        LevelTape[] levels;
        int batch;
    }

    private int otherIndex(int mu, int nu) { return nu < mu ? nu : nu - 1; }

    /** The single-staple partner of frame s: mu (Γ_f, the +mu side) or ~mu (Γ_b, the -mu side; Backend#gatherActive). */
    private int partner(int s, int mu) { return frameKind[s] == BACKSTAPLE ? ~mu : mu; }

    private void gather(int s, GaugeField u, int nu, int mu, Index sites, Buffer w) {
        if (frameKind[s] == MIDPOINT) be.gatherMidpoint(u, nu, mu, sites, w); else be.gatherActive(u, nu, partner(s, mu), sites, w);
    }

    private void scatter(int s, GaugeField u, int nu, int mu, Index sites, Buffer w) {
        if (frameKind[s] == MIDPOINT) be.scatterMidpoint(u, nu, mu, sites, w); else be.scatterActive(u, nu, partner(s, mu), sites, w);
    }

    private void scatterBackward(int s, GaugeField u, int nu, int mu, Index sites, Buffer wNew, Buffer gLinks, Buffer gW) {
        if (frameKind[s] == MIDPOINT) be.scatterMidpointBackward(u, nu, mu, sites, wNew, gLinks, gW);
        else be.scatterActiveBackward(u, nu, partner(s, mu), sites, wNew, gLinks, gW);
    }

    private void gatherBackward(int s, GaugeField u, int nu, int mu, Index sites, Buffer wOld, Buffer gW, Buffer gLinks) {
        if (frameKind[s] == MIDPOINT) be.gatherMidpointBackward(u, nu, mu, sites, wOld, gW, gLinks);
        else be.gatherActiveBackward(u, nu, partner(s, mu), sites, wOld, gW, gLinks);
    }

    /** Offset (in units of Vc) of stage s's link-flow parameters within one new-link direction's perNu channels. */
    private int stageOffset(int s) { return s == 0 ? (base ? 1 : 0) : nraw + (s - 1) * p; }

    /**
     * Conditioner of level k on the coarse field: feat = its plaquette features, raw[(b*(d-1)R + c)*Vc + x'] with
     * R = perNu channels per new-link direction nu (c = otherIndex(mu, nu) R + i): i = 0 the U(1) base's, then p per
     * frame stage ({@link #stageOffset}).
     */
    private Object conditioner(int k, GaugeField coarse, Buffer feat, Buffer raw, boolean train) {
        be.loopFeatures(coarse, allPlanes[k], feat);
        return nets[k].forward(feat, coarse.batch, levels[k].extents(), null, raw, train);
    }

    private Buffer featBuffer(int k, int nb) { return be.alloc(nb * 2 * levels[k].planes() * chain.volume(k)); }

    /** Feature-channel offset of the cos of plane (mu, nu) at level k (layout [b][2 planes][Vc]). */
    private int cosOffset(int k, int mu, int nu) {
        int lo = Math.min(mu, nu), hi = Math.max(mu, nu), pl = 0;
        for (int m0 = 0; m0 < d; m0++)
            for (int n0 = m0 + 1; n0 < d; n0++, pl++)
                if (m0 == lo && n0 == hi) return 2 * pl * chain.volume(k);
        throw new IllegalStateException("no plane " + mu + "," + nu);
    }

    /**
     * w[(b Vc + x') dof ..] = R_nu(x') of configuration b: the Haar draw of the new nu-links, used directly as the
     * flow's input W (the new link becomes U = g(W) Γ). Since R_nu is Haar and independent of Γ, W = R_nu has the
     * same law as U Γ^dag of the split (U = R_nu) and log q is unchanged; but as a reparameterisation it is fixed noise,
     * whereas U Γ^dag moves with every upstream parameter through Γ. Measured on 2D U(1) 8x8, beta = 2, 300 steps:
     * the gradient through U Γ^dag left KL at 0.10 (ESS 0.76) where fixed noise reaches the original 2D model's
     * value (docs/flows.md). nb copies of Vc dof doubles.
     */
    private void noise(GaugeField r, int nu, int nb, int vc, Buffer w) {
        int dof = group.dof, cs = d * vc * dof;
        for (int b = 0; b < nb; b++) be.copy(r.links(), b * cs + nu * vc * dof, w, b * vc * dof, vc * dof);
    }

    /**
     * fine <- doubling layer k of coarse; logJ += log J of the new-link flows (U(1): base B then circle flow C).
     * Stage 0 maps the noise W into the first frame (U = g_0(W) Γ_0); every further stage s re-reads the new link in
     * its own frame (W_s = U Γ_s^dag, gatherMidpoint or gatherActive) and moves it, U <- g_s(W_s) Γ_s. All loops are
     * frozen, so the stages compose to one bijection of the new links with log J the sum of the stages'.
     */
    private LevelTape doubleForward(int k, long seed, long step, GaugeField coarse, GaugeField fine, Buffer logJ, boolean train) {
        int nb = coarse.batch, vc = chain.volume(k), mu = chain.direction(k), n = nb * vc, rB = (d - 1) * perNu * vc, ns = frameKind.length;
        int fB = 2 * levels[k].planes() * vc;
        GaugeField r = new GaugeField(be, group, levels[k], nb);
        be.haarLinks(r, levelDomain(k), seed, step);
        be.doublingSplit(coarse, r, mu, even[k], fresh[k], fine);
        Buffer raw = be.alloc(nb * rB), feat = featBuffer(k, nb);
        Object ctx = conditioner(k, coarse, feat, raw, train);
        LevelTape t = train ? new LevelTape() : null;
        if (train) { t.coarse = coarse; t.r = r; t.netCtx = ctx; t.raw = raw; t.feat = feat; t.w = new Buffer[d]; t.in = new Buffer[d][ns]; t.out = new Buffer[d][ns]; }
        Buffer lj = be.alloc(n);
        for (int nu = 0; nu < d; nu++) {
            if (nu == mu) continue;
            int c0 = otherIndex(mu, nu) * perNu * vc;
            Buffer w = be.alloc(n * group.dof), v = w;
            noise(r, nu, nb, vc, w);
            if (base) {
                v = be.alloc(n);
                be.u1BaseForward(logistic, betaEff[k][nu], n, vc, w, feat, cosOffset(k, mu, nu), fB, raw, c0, rB, v, lj);
                be.sumRows(nb, vc, lj, logJ, true);
            }
            if (train) t.w[nu] = w;
            for (int s = 0; s < ns; s++) {
                if (s > 0) { v = be.alloc(n * group.dof); gather(s, fine, nu, mu, odd[k], v); }
                Buffer wNew = be.alloc(n * group.dof);
                be.linkFlowForward(flow, n, vc, v, raw, c0 + stageOffset(s) * vc, rB, wNew, lj);
                scatter(s, fine, nu, mu, odd[k], wNew);
                be.sumRows(nb, vc, lj, logJ, true);
                if (train) { t.in[nu][s] = v; t.out[nu][s] = wNew; }
            }
        }
        return t;
    }

    /** Inverse of doubling layer k: coarse <- merge(fine); logJ += log|det dF^{-1}|; fine's new links are mapped back. */
    private void doubleInverse(int k, GaugeField fine, GaugeField coarse, Buffer logJ) {
        int nb = fine.batch, vc = chain.volume(k), mu = chain.direction(k), n = nb * vc, rB = (d - 1) * perNu * vc;
        int fB = 2 * levels[k].planes() * vc;
        be.doublingMerge(fine, mu, even[k], fresh[k], coarse);
        Buffer raw = be.alloc(nb * rB), feat = featBuffer(k, nb), lj = be.alloc(n), s = be.alloc(nb);
        conditioner(k, coarse, feat, raw, false);
        for (int nu = 0; nu < d; nu++) {
            if (nu == mu) continue;
            int c0 = otherIndex(mu, nu) * perNu * vc;
            Buffer wOld = null;
            for (int st = frameKind.length - 1; st >= 0; st--) {
                Buffer w = be.alloc(n * group.dof);
                wOld = be.alloc(n * group.dof);
                gather(st, fine, nu, mu, odd[k], w);
                be.linkFlowInverse(flow, n, vc, w, raw, c0 + stageOffset(st) * vc, rB, wOld, lj);
                be.sumRows(nb, vc, lj, s, true);
                if (st > 0) scatter(st, fine, nu, mu, odd[k], wOld);
            }
            if (base) {
                Buffer u = be.alloc(n);
                be.u1BaseInverse(logistic, betaEff[k][nu], n, vc, wOld, feat, cosOffset(k, mu, nu), fB, raw, c0, rB, u, lj);
                be.sumRows(nb, vc, lj, s, true);
                wOld = u;
            }
            scatter(0, fine, nu, mu, odd[k], wOld);
        }
        be.axpy(nb, -1.0, s, 0, logJ, 0);
    }

    /**
     * Backward of doubling layer k: on entry gFine = dL/dU for the fine field as the layer left it, gLogJ[b] =
     * dL/dlogJ_b; returns dL/dC for the coarse field (parameter gradients added); fine is restored to the split.
     * Stages in reverse: scatter backward (dL/dW'_s, staple part to Γ_s's links), the flow's backward, and for s > 0
     * the gather backward (dL/dU of the link before stage s, staple part again).
     */
    private Buffer doubleBackward(int k, LevelTape t, GaugeField fine, Buffer gFine, Buffer gLogJ) {
        int nb = fine.batch, vc = chain.volume(k), mu = chain.direction(k), n = nb * vc, rB = (d - 1) * perNu * vc;
        int fB = 2 * levels[k].planes() * vc;
        Buffer gRaw = be.alloc(nb * rB), gLj = be.alloc(n);
        Buffer gFeat = be.alloc(nb * fB), gFeatBase = base ? be.alloc(nb * fB) : null;
        be.broadcastRows(nb, vc, gLogJ, gLj);
        for (int nu = d - 1; nu >= 0; nu--) {
            if (nu == mu) continue;
            int c0 = otherIndex(mu, nu) * perNu * vc;
            Buffer gV = null;
            for (int s = frameKind.length - 1; s >= 0; s--) {
                Buffer gWp = be.alloc(n * group.dof);
                gV = be.alloc(n * group.dof);
                scatterBackward(s, fine, nu, mu, odd[k], t.out[nu][s], gFine, gWp);
                be.linkFlowBackward(flow, n, vc, t.in[nu][s], t.raw, c0 + stageOffset(s) * vc, rB, gWp, gLj, gV, gRaw);
                if (s > 0) gatherBackward(s, fine, nu, mu, odd[k], t.in[nu][s], gV, gFine);
            }
            // W is fixed noise (see noise()): dL/dW (the base's gX output, written to scratch) is not propagated;
            // the new links' entries of gFine are zero now
            if (base) be.u1BaseBackward(logistic, betaEff[k][nu], n, vc, t.w[nu], t.feat, cosOffset(k, mu, nu), fB, t.raw, c0, rB,
                    gV, gLj, be.alloc(n), gFeatBase, gRaw);
        }
        GaugeField coarse = t.coarse;
        be.doublingSplit(coarse, t.r, mu, even[k], fresh[k], fine); // restore the split (new links = R)
        Buffer gCoarse = be.alloc(coarse.size());
        nets[k].backward(t.netCtx, gRaw, gFeat);
        if (base) be.axpy(nb * fB, 1.0, gFeatBase, 0, gFeat, 0);
        be.loopFeaturesBackward(coarse, allPlanes[k], gFeat, gCoarse);
        be.doublingSplitBackward(t.r, mu, even[k], fresh[k], gFine, gCoarse);
        return gCoarse;
    }

    // ------------------------------------------------------------------ FlowModel

    @Override public void sample(long seed, long step, GaugeField out, Buffer logQ) { run(seed, step, out, logQ, false); }

    @Override public Object sampleForTraining(long seed, long step, GaugeField out, Buffer logQ) { return run(seed, step, out, logQ, true); }

    private Object run(long seed, long step, GaugeField out, Buffer logQ, boolean train) {
        checkField(out, logQ);
        int nb = out.batch, nl = chain.layers();
        Buffer logJ = be.alloc(nb);
        Tape tape = train ? new Tape() : null;
        if (train) { tape.batch = nb; tape.prior = new CouplingLayer.Tape[prior.size()]; tape.levels = new LevelTape[nl];
                     tape.refine = new CouplingLayer.Tape[refine.size()]; }
        GaugeField cur = nl == 0 ? out : new GaugeField(be, group, levels[0], nb);
        be.haarLinks(cur, RngStream.Domain.FLOW_PRIOR, seed, step);
        for (int i = 0; i < prior.size(); i++) {
            CouplingLayer.Tape pt = prior.get(i).forward(cur, logJ, train);
            if (train) tape.prior[i] = pt;
        }
        for (int k = 0; k < nl; k++) {
            GaugeField fine = k == nl - 1 ? out : new GaugeField(be, group, levels[k + 1], nb);
            LevelTape lt = doubleForward(k, seed, step, cur, fine, logJ, train);
            List<CouplingLayer> ll = levelLayers.get(k);
            if (train) lt.layers = new CouplingLayer.Tape[ll.size()];
            for (int i = 0; i < ll.size(); i++) {
                CouplingLayer.Tape ct = ll.get(i).forward(fine, logJ, train);
                if (train) lt.layers[i] = ct;
            }
            if (train) tape.levels[k] = lt;
            cur = fine;
        }
        for (int i = 0; i < refine.size(); i++) {
            CouplingLayer.Tape rt = refine.get(i).forward(out, logJ, train);
            if (train) tape.refine[i] = rt;
        }
        be.fill(logQ, 0, nb, 0.0);
        be.axpy(nb, -1.0, logJ, 0, logQ, 0);
        return tape;
    }

    @Override public void logDensity(GaugeField u, Buffer logQ) {
        checkField(u, logQ);
        int nb = u.batch, nl = chain.layers();
        double[] parts = new double[nb * (nl + 2)];
        logDensityByLevel(u, parts);
        double[] lq = new double[nb];
        for (int b = 0; b < nb; b++) {
            double s = 0;
            for (int k = nl + 1; k >= 0; k--) s += parts[b * (nl + 2) + k];
            lq[b] = s;
        }
        be.upload(lq, 0, logQ, 0, nb);
    }

    /** Number of entries per configuration of {@link #logDensityByLevel}: prior, one per doubling layer, refinement. */
    public int levelParts() { return chain.layers() + 2; }

    /**
     * log q split by scale, out[b*levelParts() + j]: j = 0 the coarse prior's (the prior layers' log|det dF^{-1}|),
     * j = k + 1 doubling layer k with its level layers, j = layers + 1 the refinement layers. Summed: log q.
     */
    public void logDensityByLevel(GaugeField u, double[] out) {
        int nb = u.batch, nl = chain.layers(), np = nl + 2;
        checkField(u, be.alloc(nb));
        GaugeField w = u.copy();
        Buffer part = be.alloc(nb);
        for (int i = refine.size() - 1; i >= 0; i--) refine.get(i).inverse(w, part);
        store(part, out, nb, np, nl + 1);
        GaugeField cur = w;
        for (int k = nl - 1; k >= 0; k--) {
            be.fill(part, 0, nb, 0.0);
            List<CouplingLayer> ll = levelLayers.get(k);
            for (int i = ll.size() - 1; i >= 0; i--) ll.get(i).inverse(cur, part);
            GaugeField coarse = new GaugeField(be, group, levels[k], nb);
            doubleInverse(k, cur, coarse, part);
            store(part, out, nb, np, k + 1);
            cur = coarse;
        }
        be.fill(part, 0, nb, 0.0);
        for (int i = prior.size() - 1; i >= 0; i--) prior.get(i).inverse(cur, part);
        store(part, out, nb, np, 0);
    }

    /** True when the model has refinement layers on the target lattice. */
    public boolean hasRefinement() { return !refine.isEmpty(); }

    /** True when {@link #exactLogPByLevel} applies: 2D (U(1) and SU(3)). */
    public boolean hasExactLevels() { return d == 2; }

    /**
     * 2D only: the exact log p of the configuration u split over this model's levels, in the layout of
     * {@link #logDensityByLevel} (out[b*levelParts() + j]), so that q and p compare level by level. Every doubling
     * of the chain is a Haar-preserving bijection (coarse field, new links, gauge halves R_mu), and in 2D the new
     * link of coarse site x' enters only the fine plaquettes P(x), P(x + mu-hat), whose product is the coarse
     * plaquette Phi(x'); so p factorises: j = k + 1 holds sum_x' log g(P(x) | Phi(x')) with
     * g(t | phi) = f_{m/2}(t) f_{m/2}(phi - t) / f_m(phi) (f_m the block density of m plaquettes, U1BlockDensity;
     * m the target-lattice area of a level-k plaquette), the R_mu are uniform (0); j = 0 the coarse prior's exact
     * marginal sum_x log f_M(Phi_0(x)) - log sum_n (I_n/I_0)^V (the block densities of the coarse plaquettes,
     * normalised over the torus, whose plaquettes multiply to 1; 0 on 1^2); j = layers + 1 is 0. Summed:
     * log p = -S - log Z. A host-side diagnostic (LevelMetrics, report), not a hot path: per level one merge and
     * two plaquette passes through the seam, then V_k log g evaluations on the host.
     */
    public void exactLogPByLevel(double beta, GaugeField u, double[] out) {
        if (!hasExactLevels()) throw new IllegalStateException("exact levels exist in 2D only, model is " + group + " in " + d + "D");
        checkField(u, be.alloc(u.batch));
        if (group == Group.SU3) { exactLogPByLevelSU3(beta, u, out); return; }
        U1BlockDensity dens = new U1BlockDensity(beta);
        int nb = u.batch, nl = chain.layers(), np = nl + 2;
        long vt = lattice.volume;
        GaugeField cur = u;
        for (int k = nl - 1; k >= 0; k--) {
            int vc = chain.volume(k), vf = chain.volume(k + 1), m = (int) (vt / vc);
            Buffer pf = be.alloc(nb * vf), pc = be.alloc(nb * vc);
            be.plaquetteAngles(cur, pf);
            GaugeField coarse = new GaugeField(be, group, levels[k], nb);
            be.doublingMerge(cur, chain.direction(k), even[k], fresh[k], coarse);
            be.plaquetteAngles(coarse, pc);
            double[] tf = be.download(pf), phi = be.download(pc);
            for (int b = 0; b < nb; b++) {
                double lp = 0;
                for (int x = 0; x < vc; x++) lp += dens.logG(m, tf[b * vf + chain.evenSite(k, x)], phi[b * vc + x]);
                out[b * np + k + 1] = lp;
            }
            cur = coarse;
        }
        int v0 = chain.volume(0), m0 = (int) (vt / v0);
        Buffer p0 = be.alloc(nb * v0);
        be.plaquetteAngles(cur, p0);
        double[] phi0 = be.download(p0);
        double logC0 = dens.logZ(vt) - vt * dens.logI0Beta();
        for (int b = 0; b < nb; b++) {
            double lp = -logC0;
            for (int x = 0; x < v0; x++) lp += dens.logF(m0, phi0[b * v0 + x]);
            out[b * np] = lp;
            out[b * np + nl + 1] = 0;
        }
    }

    /**
     * SU(3): the same split with the character expansion ({@link ExactMultiscaleSU3}): j = k + 1 holds
     * sum_x' log g(W1 | Φ) of the new links of layer k, j = 0 the coarse level's exact marginal
     * sum_x log f_M(P(x)) - log sum_r rho_r^V, j = layers + 1 is 0. Per level one merge through the seam, then
     * host-side staples and character sums.
     */
    private void exactLogPByLevelSU3(double beta, GaugeField u, double[] out) {
        SU3Characters chars = exactChars != null && exactChars.beta() == beta ? exactChars : new SU3Characters(beta);
        exactChars = chars; // kept: training metrics call this every step at the same beta (~5 ms to build)
        int nb = u.batch, nl = chain.layers(), np = nl + 2;
        GaugeField cur = u;
        for (int k = nl - 1; k >= 0; k--) {
            double[] h = cur.toHost();
            int cs = cur.configSize(), kk = k;
            long a = lattice.volume / chain.volume(k + 1);
            IntStream.range(0, nb).parallel().forEach(b ->
                    out[b * np + kk + 1] = ExactMultiscaleSU3.scoreLevel(chars, chain, kk, h, b * cs, a));
            GaugeField coarse = new GaugeField(be, group, levels[k], nb);
            be.doublingMerge(cur, chain.direction(k), even[k], fresh[k], coarse);
            cur = coarse;
        }
        double[] h0 = cur.toHost();
        int cs0 = cur.configSize();
        for (int b = 0; b < nb; b++) {
            out[b * np] = ExactMultiscaleSU3.logMarginal(chars, chain, 0, lattice.volume, h0, b * cs0);
            out[b * np + nl + 1] = 0;
        }
    }

    private void store(Buffer part, double[] out, int nb, int np, int j) {
        double[] h = be.download(part);
        for (int b = 0; b < nb; b++) out[b * np + j] = h[b];
    }

    @Override public void backward(Object tapeObj, GaugeField out, Buffer gLinks, Buffer gLogQ) {
        Tape tape = (Tape) tapeObj;
        int nb = tape.batch, nl = chain.layers();
        Buffer gLogJ = be.alloc(nb);
        be.axpy(nb, -1.0, gLogQ, 0, gLogJ, 0);
        for (int i = refine.size() - 1; i >= 0; i--) refine.get(i).backward(tape.refine[i], out, gLinks, gLogJ);
        Buffer g = gLinks;
        GaugeField fine = out;
        for (int k = nl - 1; k >= 0; k--) {
            LevelTape lt = tape.levels[k];
            List<CouplingLayer> ll = levelLayers.get(k);
            for (int i = ll.size() - 1; i >= 0; i--) ll.get(i).backward(lt.layers[i], fine, g, gLogJ);
            g = doubleBackward(k, lt, fine, g, gLogJ);
            fine = lt.coarse;
        }
        for (int i = prior.size() - 1; i >= 0; i--) prior.get(i).backward(tape.prior[i], fine, g, gLogJ);
    }
}
