package org.mflowhpc.flow.multiscale;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.Coarsening;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.Params;
import org.mflowhpc.rng.RngStream;

/**
 * The exact multiscale sampler of 2D U(1) Wilson gauge theory ("oracle", docs/physics.md §4): the multiscale
 * construction from a 1x1 lattice with every doubling layer fed the exact conditional g(t | phi) of
 * {@link U1BlockDensity}. It samples p(U) = e^{-S(U)}/Z exactly, so log q(U) + S(U) = -log Z for EVERY
 * configuration (ESS = 1), with log Z = log sum_n I_n(beta)^V ({@link #logZ()}).
 *
 * <p>Construction (see {@link Coarsening} for the order of doublings and {@link U1Doubling2D} for the bijection):
 * <ul>
 *   <li>Level 0 (1x1): the two links are independent Haar angles (their one plaquette is identically 1);
 *       log q = 0 (densities w.r.t. normalised Haar measure).
 *   <li>Layer k: the coarse lattice's plaquettes are blocks of M = V / V_k target plaquettes. For every coarse site
 *       the block angle phi is split: t ~ g(t | phi) with a = b = M/2 ({@link U1BlockDensity#sampleT}, inverse CDF
 *       of u from RngStream(seed, FLOW_PRIOR, step, index)), the new link is set so that the fine plaquette P(x) = t,
 *       then a Haar gauge angle omega (RngStream(seed, FLOW_GAUGE, step, index)) is applied at the new site.
 *       log q += log g(t | phi).
 *   <li>index = (b << 34) | (level << 28) | coarse site, level = k + 1 (level 0 uses index (b << 34)).
 * </ul>
 * Telescoping, prod_levels prod g = prod_fine f_1(P) / f_V(0) = e^{-S}/Z, since f_1(P) = e^{beta cos P}/I_0(beta)
 * and f_V(0) = sum_n (I_n/I_0)^V.
 *
 * <p>{@link #logDensity} inverts the construction on any configuration ({@link U1Doubling2D#merge}) and sums
 * log g(t | phi). The model has no parameters: {@link #sampleForTraining} returns null and {@link #backward} does
 * nothing.
 */
public final class ExactMultiscaleU1 implements FlowModel {
    private final Lattice lattice;
    private final double beta;
    private final Coarsening chain;
    private final U1Doubling2D doubling;
    private final U1BlockDensity density;
    private final Backend be;
    private final Params params;

    /**
     * @throws IllegalArgumentException if the lattice is not 2D, an extent is not a power of two, or beta is not a
     *         finite number >= 0.
     */
    public ExactMultiscaleU1(Backend be, Lattice lattice, double beta) {
        this.be = be;
        this.params = new Params().freeze(be);
        this.chain = checkLattice(lattice, "exact multiscale model");
        if (!(beta >= 0) || Double.isInfinite(beta))
            throw new IllegalArgumentException("exact multiscale model needs a finite beta >= 0, got " + beta);
        this.lattice = lattice;
        this.beta = beta;
        this.doubling = new U1Doubling2D(chain);
        this.density = new U1BlockDensity(beta);
    }

    /** Validates a lattice for the 2D U(1) multiscale models and returns its chain from 1x1. */
    static Coarsening checkLattice(Lattice lattice, String what) {
        if (lattice.d != 2)
            throw new IllegalArgumentException(what + " supports 2D U(1) only; lattice " + lattice.spec() + " is "
                    + lattice.d + "D");
        return Coarsening.fromUnit(lattice);
    }

    static long streamIndex(int b, int level, int site) {
        return ((long) b << 34) | ((long) level << 28) | site;
    }

    public double beta() { return beta; }
    public Coarsening chain() { return chain; }
    public U1BlockDensity density() { return density; }

    /** log Z = log sum_n I_n(beta)^V of the target lattice (normalised Haar measure). */
    public double logZ() { return density.logZ(lattice.volume); }

    @Override public Group group() { return Group.U1; }
    @Override public Lattice lattice() { return lattice; }
    @Override public Params params() { return params; }
    @Override public String kind() { return "multiscale-exact"; }

    @Override public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("beta", beta);
        return c;
    }

    private void checkField(GaugeField u, int logQLength) {
        if (u.group != Group.U1 || !u.lattice.equals(lattice))
            throw new IllegalArgumentException("field is " + u.group + " on " + u.lattice + ", model is U1 on " + lattice);
        if (logQLength < u.batch) throw new IllegalArgumentException("logQ has " + logQLength + " entries for batch " + u.batch);
    }

    /** The construction runs on the host (per-configuration in parallel); links and log q are then uploaded. */
    @Override public void sample(long seed, long step, GaugeField out, Buffer logQ) {
        checkField(out, logQ.length());
        double[] h = new double[out.size()], lq = new double[out.batch];
        IntStream.range(0, out.batch).parallel().forEach(b -> lq[b] = sampleOne(seed, step, b, h, b * out.configSize()));
        out.setFromHost(h);
        be.upload(lq, 0, logQ, 0, out.batch);
    }

    private double sampleOne(long seed, long step, int b, double[] dst, int dstOff) {
        int layers = chain.layers();
        long vt = chain.volume(layers);
        double[] cur = new double[2];
        RngStream r0 = new RngStream(seed, RngStream.Domain.FLOW_PRIOR, step, streamIndex(b, 0, 0));
        cur[0] = r0.angle();
        cur[1] = r0.angle();
        double logq = 0;
        for (int k = 0; k < layers; k++) {
            int vc = chain.volume(k);
            int mBlock = (int) (vt / vc);
            double[] phi = new double[vc], t = new double[vc], om = new double[vc];
            doubling.plaquettes(k, cur, 0, phi, 0);
            for (int s = 0; s < vc; s++) {
                long idx = streamIndex(b, k + 1, s);
                double u = new RngStream(seed, RngStream.Domain.FLOW_PRIOR, step, idx).uniform();
                t[s] = density.sampleT(mBlock, phi[s], u);
                logq += density.logG(mBlock, t[s], phi[s]);
                om[s] = new RngStream(seed, RngStream.Domain.FLOW_GAUGE, step, idx).angle();
            }
            double[] fine = new double[2 * chain.volume(k + 1)];
            doubling.split(k, cur, 0, t, 0, om, 0, fine, 0);
            cur = fine;
        }
        System.arraycopy(cur, 0, dst, dstOff, cur.length);
        return logq;
    }

    @Override public void logDensity(GaugeField u, Buffer logQ) {
        checkField(u, logQ.length());
        int n = chain.layers() + 1;
        double[] parts = new double[u.batch * n], lq = new double[u.batch];
        logDensityByLevel(u, parts);
        for (int b = 0; b < u.batch; b++) {
            double s = 0;
            for (int k = n - 1; k >= 0; k--) s += parts[b * n + k];
            lq[b] = s;
        }
        be.upload(lq, 0, logQ, 0, u.batch);
    }

    /**
     * log q = log p + log Z split by scale: out[b*(layers+1) + k] = sum of log g(t | phi) over the new links of
     * doubling layer k; out[b*(layers+1) + layers] = 0 (no refinement).
     */
    public void logDensityByLevel(GaugeField u, double[] out) {
        checkField(u, u.batch);
        int n = chain.layers() + 1;
        double[] h = u.toHost();
        IntStream.range(0, u.batch).parallel().forEach(b -> logDensityOne(h, b * u.configSize(), out, b * n));
    }

    private void logDensityOne(double[] src, int off, double[] out, int outOff) {
        int layers = chain.layers();
        long vt = chain.volume(layers);
        double[] cur = new double[2 * chain.volume(layers)];
        System.arraycopy(src, off, cur, 0, cur.length);
        for (int k = layers - 1; k >= 0; k--) {
            int vc = chain.volume(k);
            int mBlock = (int) (vt / vc);
            double[] coarse = new double[2 * vc], t = new double[vc], om = new double[vc], phi = new double[vc];
            doubling.merge(k, cur, 0, coarse, 0, t, 0, om, 0);
            doubling.plaquettes(k, coarse, 0, phi, 0);
            double lq = 0;
            for (int s = 0; s < vc; s++) lq += density.logG(mBlock, t[s], phi[s]);
            out[outOff + k] = lq;
            cur = coarse;
        }
        out[outOff + layers] = 0; // log q(1x1 links) = 0 (Haar), no refinement
    }

    @Override public Object sampleForTraining(long seed, long step, GaugeField out, Buffer logQ) {
        sample(seed, step, out, logQ);
        return null;
    }

    @Override public void backward(Object tape, GaugeField out, Buffer gLinks, Buffer gLogQ) {
        // no parameters
    }
}
