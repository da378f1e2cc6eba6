package org.mflowhpc.flow.multiscale;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Index;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.Coarsening;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.Params;
import org.mflowhpc.observable.exact.SU3Characters;
import org.mflowhpc.rng.RngStream;

/**
 * The exact multiscale sampler of 2D SU(3) Wilson gauge theory ("oracle", docs/physics.md "Exact 2D SU(3)"): the
 * doubling construction of {@link MultiscaleFlow} from the 1x1 lattice, with the seam's split and merge
 * ({@link Backend#doublingSplit}, {@link Backend#doublingMerge}) and each new link drawn from its exact conditional,
 * built from the character expansion ({@link SU3Characters}). It samples p(U) = e^{-S(U)}/Z exactly, so
 * log q(U) + S(U) = -log Z for EVERY configuration (ESS = 1), log Z = V log z0 + log sum_r rho_r^V. It tests the
 * SU(3) doubling bookkeeping that the learned models share: the split, the frames of the two staples, the Haar
 * gauge draw R_mu at the new site, and log q summed over levels.
 *
 * <p>Construction (densities w.r.t. normalised Haar measure; f_m = block density of m plaquettes):
 * <ul>
 *   <li>Level 0 (1x1): links (U_0, U_1) with density f_V(P) / sum_r rho_r^V, P = U_0 U_1 U_0^dag U_1^dag (the one
 *       plaquette is a block of all V target plaquettes); rejection from Haar with acceptance f_V(P) / f_V(1)
 *       (RngStream(seed, FLOW_PRIOR, step, index(b, 0, 0))).
 *   <li>Layer k, direction mu, nu = 1 - mu: R = Haar links on the coarse lattice (the seam's haarLinks, domain
 *       FLOW_LEVEL + k), split. For every coarse site x' (fine x = even, y = x + mu-hat) the new link V = U_nu(y) lies
 *       in two fine plaquettes, each a block of a = V_target / V_{k+1} target plaquettes; up to conjugation they are
 *       V Γ_b^dag and V Γ_f^dag with Γ_b = U_mu(x)^dag U_nu(x) U_mu(x+nu), Γ_f = U_mu(y) U_nu(y+mu) U_mu(y+nu)^dag
 *       (frozen links only). With W1 = V Γ_b^dag and Φ = Γ_b Γ_f^dag (conjugate to the coarse plaquette):
 *       g(W1 | Φ) = f_a(W1) f_a(W1 Φ) / f_2a(Φ), drawn by rejection from Haar with acceptance
 *       f_a(W1) f_a(W1 Φ) / f_a(1)^2 (RngStream(seed, FLOW_PRIOR, step, index(b, k + 1, x'))); V = W1 Γ_b;
 *       log q += log g. The mean number of draws is f_a(1)^2 (at a = 1: e^{2 beta} / z0^2, 43 at beta = 2, 1000 at
 *       beta = 4): the oracle is for tests and small runs, and refuses beta where f_1(1)^2 > {@link #MAX_TRIALS}.
 * </ul>
 * Telescoping as for U(1) ({@link ExactMultiscaleU1}): prod g over levels times the level-0 density is
 * prod_fine f_1(P) / sum_r rho_r^V = e^{-S} / Z. The split and merge run through the seam; the conditional runs on
 * the host, per configuration in parallel (links are downloaded and uploaded once per level). No parameters.
 */
public final class ExactMultiscaleSU3 implements FlowModel {
    /** Largest accepted mean number of Haar draws per finest new link, f_1(1)^2 (beta about 5.3). */
    public static final double MAX_TRIALS = 2e4;
    private static final int DOF = 18;
    private final Backend be;
    private final Lattice lattice;
    private final double beta;
    private final Coarsening chain;
    private final Lattice[] levels;
    private final Index[] even, fresh;
    private final SU3Characters chars;
    private final Params params;

    /**
     * @throws IllegalArgumentException if the lattice is not 2D, an extent is not a power of two, or beta is not finite
     *         and >= 0 or too large for the rejection sampler.
     */
    public ExactMultiscaleSU3(Backend be, Lattice lattice, double beta) {
        if (lattice.d != 2)
            throw new IllegalArgumentException("exact multiscale model supports 2D only; lattice " + lattice.spec() + " is " + lattice.d + "D");
        if (!(beta >= 0) || Double.isInfinite(beta))
            throw new IllegalArgumentException("exact multiscale model needs a finite beta >= 0, got " + beta);
        this.be = be;
        this.lattice = lattice;
        this.beta = beta;
        this.chain = Coarsening.fromUnit(lattice);
        this.chars = new SU3Characters(beta);
        double trials = Math.pow(chars.blockDensityMax(1), 2);
        if (trials > MAX_TRIALS)
            throw new IllegalArgumentException(String.format("exact SU(3) model: beta = %g needs ~%.0f rejection draws per link "
                    + "(at most %.0f, beta <= 5.3)", beta, trials, MAX_TRIALS));
        this.params = new Params().freeze(be);
        int nl = chain.layers();
        levels = new Lattice[nl + 1];
        for (int k = 0; k <= nl; k++) levels[k] = Lattice.coarse(chain.extents(k));
        even = new Index[nl];
        fresh = new Index[nl];
        for (int k = 0; k < nl; k++) {
            int vc = chain.volume(k);
            int[] ev = new int[vc], fr = new int[vc];
            for (int s = 0; s < vc; s++) { ev[s] = chain.evenSite(k, s); fr[s] = chain.newSite(k, s); }
            even[k] = be.index(ev);
            fresh[k] = be.index(fr);
        }
    }

    public double beta() { return beta; }
    public SU3Characters characters() { return chars; }

    /** log Z = V log z0 + log sum_r rho_r^V of the target lattice (normalised Haar measure). */
    public double logZ() { return chars.logZ(lattice.volume); }

    @Override public Group group() { return Group.SU3; }
    @Override public Lattice lattice() { return lattice; }
    @Override public Params params() { return params; }
    @Override public String kind() { return "multiscale-exact"; }

    @Override public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("beta", beta);
        return c;
    }

    private void checkField(GaugeField u, int logQLength) {
        if (u.group != Group.SU3 || !u.lattice.equals(lattice))
            throw new IllegalArgumentException("field is " + u.group + " on " + u.lattice + ", model is SU3 on " + lattice);
        if (logQLength < u.batch) throw new IllegalArgumentException("logQ has " + logQLength + " entries for batch " + u.batch);
    }

    /** Area in target plaquettes of one plaquette of level k. */
    private long area(int k) { return lattice.volume / chain.volume(k); }

    private static double logF(SU3Characters chars, long m, double[] w, int o) {
        return Math.log(chars.blockDensity(m, SU3.reTrace(w, o), SU3.imTrace(w, o)));
    }

    /**
     * Exact log marginal of a level-k field of the chain (one configuration at h[off..]): sum over its plaquettes of
     * log f_M(P) - log sum_r rho_r^V, M = V / V_k their target-lattice area (the V/M block plaquettes of a torus
     * integrate to sum_r rho_r^V, as single plaquettes do). On 1x1 the one plaquette is the commutator.
     */
    static double logMarginal(SU3Characters chars, Coarsening chain, int k, long vTarget, double[] h, int off) {
        int v = chain.volume(k);
        long m = vTarget / v;
        double[] t = new double[DOF], t2 = new double[DOF], pl = new double[DOF];
        double lp = -chars.logTorusSum(vTarget);
        for (int x = 0; x < v; x++) {
            // P_01(x) = U_0(x) U_1(x+0) U_0(x+1)^dag U_1(x)^dag
            SU3.mul(h, off + x * DOF, h, off + (v + chain.up(k, 0, x)) * DOF, t, 0);
            SU3.mulDag(t, 0, h, off + chain.up(k, 1, x) * DOF, t2, 0);
            SU3.mulDag(t2, 0, h, off + (v + x) * DOF, pl, 0);
            lp += logF(chars, m, pl, 0);
        }
        return lp;
    }

    /**
     * The frame of the new link of coarse site s in layer k, from the fine links of one configuration at h[off..]
     * (fine layout [mu][site][18]): gb = Γ_b and phi = Φ = Γ_b Γ_f^dag (t, gf: scratch of 18 doubles).
     */
    private static void frame(Coarsening chain, int k, double[] h, int off, int s, double[] gb, double[] phi, double[] gf, double[] t) {
        int mu = chain.direction(k), nu = 1 - mu, lf = k + 1, vf = chain.volume(lf);
        int x = chain.evenSite(k, s), y = chain.newSite(k, s);
        int xn = chain.up(lf, nu, x), ym = chain.up(lf, mu, y), yn = chain.up(lf, nu, y);
        // Γ_b = U_mu(x)^dag U_nu(x) U_mu(x+nu)
        SU3.dagMul(h, off + (mu * vf + x) * DOF, h, off + (nu * vf + x) * DOF, t, 0);
        SU3.mul(t, 0, h, off + (mu * vf + xn) * DOF, gb, 0);
        // Γ_f = U_mu(y) U_nu(y+mu) U_mu(y+nu)^dag
        SU3.mul(h, off + (mu * vf + y) * DOF, h, off + (nu * vf + ym) * DOF, t, 0);
        SU3.mulDag(t, 0, h, off + (mu * vf + yn) * DOF, gf, 0);
        SU3.mulDag(gb, 0, gf, 0, phi, 0);
    }

    @Override public void sample(long seed, long step, GaugeField out, Buffer logQ) {
        checkField(out, logQ.length());
        int nb = out.batch, nl = chain.layers();
        double[] lq = new double[nb];
        double[] h0 = new double[nb * 2 * DOF];
        long v = lattice.volume;
        // accept with f_V(P) / f_V(1): log u < log f_V(P) - log f_V(1), log f_V(P) = logMarginal + logNorm
        double logAccept = chars.logTorusSum(v) - Math.log(chars.blockDensityMax(v));
        IntStream.range(0, nb).parallel().forEach(b -> {
            RngStream r = new RngStream(seed, RngStream.Domain.FLOW_PRIOR, step, ExactMultiscaleU1.streamIndex(b, 0, 0));
            int o = b * 2 * DOF;
            for (long tries = 0; ; tries++) {
                guard(tries);
                SU3.haar(r, h0, o);
                SU3.haar(r, h0, o + DOF);
                double lp = logMarginal(chars, chain, 0, v, h0, o);
                if (Math.log(r.uniform()) < lp + logAccept) { lq[b] = lp; break; }
            }
        });
        GaugeField cur = nl == 0 ? out : new GaugeField(be, Group.SU3, levels[0], nb);
        cur.setFromHost(h0);
        for (int k = 0; k < nl; k++) {
            GaugeField fine = k == nl - 1 ? out : new GaugeField(be, Group.SU3, levels[k + 1], nb);
            GaugeField rr = new GaugeField(be, Group.SU3, levels[k], nb);
            be.haarLinks(rr, MultiscaleFlow.levelDomain(k), seed, step);
            be.doublingSplit(cur, rr, chain.direction(k), even[k], fresh[k], fine);
            double[] h = fine.toHost();
            int kk = k, cs = fine.configSize();
            long a = area(k + 1);
            double fa = chars.blockDensityMax(a), bound = fa * fa;
            IntStream.range(0, nb).parallel().forEach(b -> lq[b] += drawLevel(kk, seed, step, b, h, b * cs, a, bound));
            fine.setFromHost(h);
            cur = fine;
        }
        be.upload(lq, 0, logQ, 0, nb);
    }

    private static void guard(long tries) {
        if (tries > 1000 * (long) MAX_TRIALS)
            throw new IllegalStateException("exact SU(3) model: rejection sampler made " + tries + " draws for one link");
    }

    /** Draws every new link of layer k for configuration b in place (h[off..] = the split fine field); returns log g. */
    private double drawLevel(int k, long seed, long step, int b, double[] h, int off, long a, double bound) {
        int nu = 1 - chain.direction(k), vf = chain.volume(k + 1), vc = chain.volume(k);
        double[] gb = new double[DOF], gf = new double[DOF], phi = new double[DOF], w = new double[DOF], wp = new double[DOF],
                t = new double[DOF];
        double lq = 0;
        for (int s = 0; s < vc; s++) {
            frame(chain, k, h, off, s, gb, phi, gf, t);
            RngStream r = new RngStream(seed, RngStream.Domain.FLOW_PRIOR, step, ExactMultiscaleU1.streamIndex(b, k + 1, s));
            for (long tries = 0; ; tries++) {
                guard(tries);
                SU3.haar(r, w, 0);
                SU3.mul(w, 0, phi, 0, wp, 0);
                double f1 = chars.blockDensity(a, SU3.reTrace(w, 0), SU3.imTrace(w, 0));
                double f2 = chars.blockDensity(a, SU3.reTrace(wp, 0), SU3.imTrace(wp, 0));
                if (r.uniform() * bound < f1 * f2) {
                    lq += Math.log(f1) + Math.log(f2) - logF(chars, 2 * a, phi, 0);
                    break;
                }
            }
            SU3.mul(w, 0, gb, 0, h, off + (nu * vf + chain.newSite(k, s)) * DOF);
        }
        return lq;
    }

    @Override public void logDensity(GaugeField u, Buffer logQ) {
        checkField(u, logQ.length());
        int nb = u.batch, nl = chain.layers();
        double[] lq = new double[nb];
        GaugeField fine = u;
        for (int k = nl - 1; k >= 0; k--) {
            double[] h = fine.toHost();
            int kk = k, cs = fine.configSize();
            long a = area(k + 1);
            IntStream.range(0, nb).parallel().forEach(b -> lq[b] += scoreLevel(chars, chain, kk, h, b * cs, a));
            GaugeField coarse = new GaugeField(be, Group.SU3, levels[k], nb);
            be.doublingMerge(fine, chain.direction(k), even[k], fresh[k], coarse);
            fine = coarse;
        }
        double[] h0 = fine.toHost();
        IntStream.range(0, nb).parallel().forEach(b -> lq[b] += logMarginal(chars, chain, 0, lattice.volume, h0, b * 2 * DOF));
        be.upload(lq, 0, logQ, 0, nb);
    }

    /**
     * sum over the new links of layer k of the chain of log g(W1 | Φ), a = target-lattice area of a level-(k+1)
     * plaquette, for one configuration of the level-(k+1) field at h[off..] (layout [mu][site][18]).
     */
    static double scoreLevel(SU3Characters chars, Coarsening chain, int k, double[] h, int off, long a) {
        int nu = 1 - chain.direction(k), vf = chain.volume(k + 1), vc = chain.volume(k);
        double[] gb = new double[DOF], gf = new double[DOF], phi = new double[DOF], w = new double[DOF], wp = new double[DOF],
                t = new double[DOF];
        double lq = 0;
        for (int s = 0; s < vc; s++) {
            frame(chain, k, h, off, s, gb, phi, gf, t);
            SU3.mulDag(h, off + (nu * vf + chain.newSite(k, s)) * DOF, gb, 0, w, 0);
            SU3.mul(w, 0, phi, 0, wp, 0);
            lq += logF(chars, a, w, 0) + logF(chars, a, wp, 0) - logF(chars, 2 * a, phi, 0);
        }
        return lq;
    }

    @Override public Object sampleForTraining(long seed, long step, GaugeField out, Buffer logQ) {
        sample(seed, step, out, logQ);
        return null;
    }

    @Override public void backward(Object tape, GaugeField out, Buffer gLinks, Buffer gLogQ) {
        // no parameters
    }
}
