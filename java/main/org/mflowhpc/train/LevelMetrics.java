/*
 * Contract: per-level diagnostics of a multiscale model (MultiscaleFlow) on a training batch, which the Trainer
 * appends to the metrics.jsonl line of every max(logEvery, ceil(steps/50))-th step and of the last step
 * (docs/flows.md):
 *   "log_q_level": batch means of MultiscaleFlow.logDensityByLevel, columns [coarse prior, doubling layer 0 .. L-1
 *                  (coarse to fine; each the sum of log g over the links that layer creates, with its level layers),
 *                  refinement (their sum log|det dF^-1|; dropped when the model has none)];
 *   "log_p_level": in 2D U(1) the batch means of MultiscaleFlow.exactLogPByLevel, the exact conditionals' log g by
 *                  layer and the coarse prior's exact marginal in column 0 (summed: log p = -S - log Z); elsewhere
 *                  there are no exact conditionals and the column holds nulls (NaN);
 *   "kl_level":    2D U(1) without refinement layers only: log_q_level - log_p_level. By the chain rule
 *                  KL(q||p) = sum_k E_q[log q_k(t | phi) - log p_k(t | phi)], the expected KL of layer k's
 *                  conditional (>= 0 in expectation), so sum_k kl_level = loss + log Z of the same batch. With
 *                  refinement layers the levels of q are those of F^{-1}U and no such split exists.
 * The batch is the one the step trained on, before the update; computing these touches no parameter, gradient or
 * random stream, so training (and --resume) is bit-identical with or without them. Cost: one inverse pass of the
 * model and one exact evaluation over the batch per recorded step (8x8, batch 64: about 30 ms, against about 45 ms
 * for a training step; with at most ~50 recorded steps a few per cent of a run).
 */
package org.mflowhpc.train;

import java.util.Locale;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.flow.multiscale.MultiscaleFlow;
import org.mflowhpc.lattice.GaugeField;

/** Per-level log q, log p and KL of a multiscale model on a batch. */
public final class LevelMetrics {
    private final MultiscaleFlow general;
    private final boolean refined;
    private final double beta;

    private LevelMetrics(MultiscaleFlow general, double beta) {
        this.general = general;
        this.beta = beta;
        this.refined = general.hasRefinement() || !general.hasExactLevels();
    }

    /** Level diagnostics for {@code m} at coupling beta, or null when the model has no level structure. */
    public static LevelMetrics forModel(FlowModel m, Backend be, double beta) {
        return m instanceof MultiscaleFlow g ? new LevelMetrics(g, beta) : null;
    }

    private org.mflowhpc.lattice.Coarsening chain() { return general.chain(); }

    /** Number of doubling layers. */
    public int layers() { return chain().layers(); }

    /** "2x1->2x2" style name of doubling layer k (coarse lattice -> the lattice it creates). */
    public String label(int k) { return chain().spec(k) + "->" + chain().spec(k + 1); }

    /** Name of column i of {@link #split}: the coarse prior, the doubling layers, then "refinement". */
    public String columnLabel(int i) {
        return i == 0 ? "prior " + chain().spec(0) : i <= layers() ? label(i - 1) : "refinement";
    }

    /** Whether there is no KL split: the model has refinement layers, or its theory has no exact conditionals. */
    public boolean refined() { return refined; }

    /**
     * Per configuration and level: logQ[b][k] and logP[b][k], k < layers() (plus the refinement log-det, and 0 for
     * log p, when refined), and kl[b][k] = logQ - logP (null when refined).
     */
    public record Split(double[][] logQ, double[][] logP, double[][] kl) {}

    public Split split(GaugeField u) {
        int w = general.levelParts(), nb = u.batch;
        double[] q = new double[nb * w], p = new double[nb * w];
        general.logDensityByLevel(u, q);
        if (general.hasExactLevels()) general.exactLogPByLevel(beta, u, p);
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
