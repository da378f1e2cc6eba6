/*
 * Contract: per-level diagnostics of a 2D U(1) multiscale model (LearnedMultiscaleU1) on a training batch, which the
 * Trainer appends to the metrics.jsonl line of every max(logEvery, ceil(steps/50))-th step and of the last step
 * (docs/physics.md §3, §4):
 *   "log_q_level": batch means of LearnedMultiscaleU1.logDensityByLevel: entry k (k = 0 .. L-1, coarse to fine) is
 *                  the sum of log g over the links that doubling layer k creates; with refinement layers a last
 *                  entry holds their sum log|det dF^-1| (without, that entry is 0 and is dropped);
 *   "log_p_level": batch means of ExactMultiscaleU1.logDensityByLevel, the exact conditionals' log g by layer
 *                  (summed: log p = -S - log Z);
 *   "kl_level":    without refinement layers only: log_q_level - log_p_level. By the chain rule
 *                  KL(q||p) = sum_k E_q[log q_k(t | phi) - log p_k(t | phi)], the expected KL of layer k's
 *                  conditional (>= 0 in expectation), so sum_k kl_level = loss + log Z of the same batch. With
 *                  refinement layers the levels of q are those of F^{-1}U and no such split exists: only log q and
 *                  log p by level are written.
 * For the general multiscale model (MultiscaleFlow) the columns are [coarse prior, doubling layer 0 .. L-1,
 * refinement] (its logDensityByLevel); in 2D U(1) "log_p_level" is its exactLogPByLevel (the same chain rule, the
 * coarse prior's exact marginal in column 0) and "kl_level" is written as above when it has no refinement layers;
 * elsewhere there are no exact conditionals: "log_p_level" holds nulls (NaN) and there is no "kl_level".
 * The batch is the one the step trained on, before the update; computing these touches no parameter, gradient or
 * random stream, so training (and --resume) is bit-identical with or without them. Cost: one inverse pass of the
 * model and of the exact model over the batch per recorded step (8x8, batch 64: about 30 ms, against about 45 ms
 * for a training step; with at most ~50 recorded steps a few per cent of a run).
 */
package org.mflowhpc.train;

import java.util.Locale;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.flow.multiscale.ExactMultiscaleU1;
import org.mflowhpc.flow.multiscale.LearnedMultiscaleU1;
import org.mflowhpc.flow.multiscale.MultiscaleFlow;
import org.mflowhpc.lattice.GaugeField;

/** Per-level log q, log p and KL of a multiscale model on a batch. */
public final class LevelMetrics {
    private final LearnedMultiscaleU1 model;
    private final ExactMultiscaleU1 exact;
    private final MultiscaleFlow general;
    private final boolean refined;
    private final double beta;

    private LevelMetrics(LearnedMultiscaleU1 model, ExactMultiscaleU1 exact, MultiscaleFlow general, double beta) {
        this.model = model;
        this.exact = exact;
        this.general = general;
        this.beta = beta;
        this.refined = general != null ? general.hasRefinement() || !general.hasExactLevels() : !model.refinementLayers().isEmpty();
    }

    /** Level diagnostics for {@code m} at coupling beta, or null when the model has no level structure. */
    public static LevelMetrics forModel(FlowModel m, Backend be, double beta) {
        if (m instanceof MultiscaleFlow g) return new LevelMetrics(null, null, g, beta);
        if (!(m instanceof LearnedMultiscaleU1 ms)) return null;
        return new LevelMetrics(ms, new ExactMultiscaleU1(be, ms.lattice(), beta), null, beta);
    }

    private org.mflowhpc.lattice.Coarsening chain() { return general != null ? general.chain() : model.chain(); }

    /** Number of doubling layers. */
    public int layers() { return chain().layers(); }

    /** "2x1->2x2" style name of doubling layer k (coarse lattice -> the lattice it creates). */
    public String label(int k) { return chain().spec(k) + "->" + chain().spec(k + 1); }

    /** Name of column i of {@link #split}: the doubling layers (the general model: after the coarse prior), then "refinement". */
    public String columnLabel(int i) {
        if (general != null) return i == 0 ? "prior " + chain().spec(0) : i <= layers() ? label(i - 1) : "refinement";
        return i < layers() ? label(i) : "refinement";
    }

    /** Whether the model has refinement layers (then no KL split); always true for the general model (no exact split). */
    public boolean refined() { return refined; }

    /**
     * Per configuration and level: logQ[b][k] and logP[b][k], k < layers() (plus the refinement log-det, and 0 for
     * log p, when refined), and kl[b][k] = logQ - logP (null when refined).
     */
    public record Split(double[][] logQ, double[][] logP, double[][] kl) {}

    public Split split(GaugeField u) {
        if (general != null) {
            int w = general.levelParts(), nb = u.batch;
            double[] q = new double[nb * w], p = new double[nb * w];
            general.logDensityByLevel(u, q);
            boolean exactP = general.hasExactLevels();
            if (exactP) general.exactLogPByLevel(beta, u, p);
            else java.util.Arrays.fill(p, Double.NaN);
            int cols = refined ? w : w - 1; // without refinement its (zero) column is dropped
            double[][] lq = new double[nb][cols], lp = new double[nb][cols], kl = refined ? null : new double[nb][cols];
            for (int b = 0; b < nb; b++)
                for (int k = 0; k < cols; k++) {
                    lq[b][k] = q[b * w + k];
                    lp[b][k] = p[b * w + k];
                    if (kl != null) kl[b][k] = lq[b][k] - lp[b][k];
                }
            return new Split(lq, lp, kl);
        }
        int L = layers(), w = L + 1, nb = u.batch;
        double[] q = new double[nb * w], p = new double[nb * w];
        model.logDensityByLevel(u, q);
        exact.logDensityByLevel(u, p);
        int cols = refined ? w : L;
        double[][] lq = new double[nb][cols], lp = new double[nb][cols], kl = refined ? null : new double[nb][cols];
        for (int b = 0; b < nb; b++)
            for (int k = 0; k < cols; k++) {
                lq[b][k] = q[b * w + k];
                lp[b][k] = p[b * w + k];
                if (kl != null) kl[b][k] = lq[b][k] - lp[b][k];
            }
        return new Split(lq, lp, kl);
    }

    /** Batch means per level: row 0 log q, row 1 log p, row 2 KL (null when refined). */
    public double[][] means(GaugeField u) {
        Split s = split(u);
        return new double[][] {mean(s.logQ()), mean(s.logP()), s.kl() == null ? null : mean(s.kl())};
    }

    private static double[] mean(double[][] v) {
        double[] m = new double[v[0].length];
        for (double[] row : v) for (int k = 0; k < m.length; k++) m[k] += row[k];
        for (int k = 0; k < m.length; k++) m[k] /= v.length;
        return m;
    }

    /** The JSON members to append to a metrics line: ,"log_q_level":[...],"log_p_level":[...](,"kl_level":[...]). */
    public String json(GaugeField u) {
        double[][] m = means(u);
        StringBuilder sb = new StringBuilder();
        sb.append(",\"log_q_level\":").append(array(m[0])).append(",\"log_p_level\":").append(array(m[1]));
        if (m[2] != null) sb.append(",\"kl_level\":").append(array(m[2]));
        return sb.toString();
    }

    private static String array(double[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            if (i > 0) sb.append(',');
            sb.append(Double.isFinite(v[i]) ? String.format(Locale.ROOT, "%s", Double.toString(v[i])) : "null");
        }
        return sb.append(']').toString();
    }
}
