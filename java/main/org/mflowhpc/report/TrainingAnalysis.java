/*
 * Contract: everything the report shows about one training run (a directory written by `mflow train`):
 *   metrics.jsonl (train.Trainer): per step loss = (1/B) sum_b (log q_b + S_b), ess = batch ESS/B of the B fresh
 *     samples the step trained on, var_logw, lr, grad_norm, skipped; for multiscale models, at recorded steps,
 *     log_q_level, log_p_level and kl_level (train.LevelMetrics). Lines that are not JSON objects with a "step"
 *     are counted as unreadable and skipped (a run killed mid-write can leave half a line).
 *   checkpoint.bin: theory (group, lattice, beta), model kind and config, final step. log Z is known in 2D
 *     (U(1): the torus sum Exact2D.u1LogZ; SU(3): V log z0, as `measure`), then KL(step) = loss + log Z.
 *   fresh samples (freshSamples > 0 and a checkpoint): N configurations from the final model, drawn in batches
 *     of 256 with model.sample(seed', k, ...), seed' = RngStream.taskSeed(seed ^ SALT, 0) (a stream no training
 *     step and no `mflow sample` run uses); log w = -S - log q -> FlowWeights (ESS/N with bootstrap band, log w
 *     histogram, top-k shares) and KL = log Z - mean log w; for multiscale models the per-level split of
 *     train.LevelMetrics on the same samples, with standard errors sigma/sqrt(N).
 * Failures (unreadable checkpoint, a checkpoint that does not rebuild its model, no readable metrics and no
 * checkpoint) are ReportExceptions.
 */
package org.mflowhpc.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.flow.Models;
import org.mflowhpc.group.Group;
import org.mflowhpc.io.Checkpoint;
import org.mflowhpc.io.CheckpointException;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.observable.exact.Exact2D;
import org.mflowhpc.observable.stats.Ess;
import org.mflowhpc.rng.RngStream;
import org.mflowhpc.train.LevelMetrics;
import org.mflowhpc.train.Trainer;

/** Analysis of one training run for the report. */
public final class TrainingAnalysis {
    static final long SALT = 0x5245504F5254L; // "REPORT"
    static final int FRESH_BATCH = 256;
    private static final ObjectMapper JSON = new ObjectMapper();

    public final Path dir;
    /** The final checkpoint, or null when the run has none. */
    public final Checkpoint checkpoint;
    /** Per metrics line: step, loss, batch ESS, var(log w), lr, gradient norm, skipped (1/0). */
    public final double[] step, loss, ess, varLogW, lr, gradNorm, skipped;
    public final int unreadableLines;
    /** Recorded level steps and per-level batch means (rows = recorded steps); kl null when not recorded. */
    public final double[] levelSteps;
    public final double[][] logQLevel, logPLevel, klLevel;
    public final Double logZExact;
    /** Fresh-sample diagnostics of the final model, or null. */
    public final FlowWeights fresh;
    public final Double freshKl;
    public final long freshSeed;
    /** Per-level split of the fresh samples (multiscale models), else null: mean and standard error per level. */
    public final double[] freshLogQ, freshLogQErr, freshLogP, freshLogPErr, freshKlLevel, freshKlLevelErr;
    public final String[] levelLabels;

    public TrainingAnalysis(Path dir, Backend be, int freshSamples, long seed, Consumer<String> log) throws ReportException {
        this.dir = dir;
        Path ckp = dir.resolve("checkpoint.bin"), mp = dir.resolve("metrics.jsonl");
        Checkpoint ck = null;
        if (Files.exists(ckp)) {
            try {
                ck = Checkpoint.read(ckp);
            } catch (CheckpointException e) {
                throw new ReportException(ckp + ": " + e.getMessage(), e);
            }
        }
        checkpoint = ck;
        List<double[]> rows = new ArrayList<>();
        List<double[][]> lv = new ArrayList<>();
        List<Double> lvSteps = new ArrayList<>();
        int bad = 0;
        boolean anyKl = false;
        if (Files.exists(mp)) {
            List<String> lines;
            try {
                lines = Files.readAllLines(mp, StandardCharsets.UTF_8);
            } catch (IOException | java.io.UncheckedIOException e) {
                throw new ReportException(mp + ": cannot read: " + e.getMessage(), e);
            }
            for (String line : lines) {
                if (line.isBlank()) continue;
                JsonNode n;
                try { n = JSON.readTree(line); } catch (IOException e) { bad++; continue; }
                if (n == null || !n.isObject() || !n.path("step").isNumber()) { bad++; continue; }
                rows.add(new double[] {n.get("step").asDouble(), num(n, "loss"), num(n, "ess"), num(n, "var_logw"), num(n, "lr"),
                        num(n, "grad_norm"), n.path("skipped").asBoolean(false) ? 1 : 0});
                if (n.path("log_q_level").isArray()) {
                    double[] kl = n.path("kl_level").isArray() ? arr(n.get("kl_level")) : null;
                    anyKl |= kl != null;
                    lv.add(new double[][] {arr(n.get("log_q_level")), arr(n.path("log_p_level")), kl});
                    lvSteps.add(n.get("step").asDouble());
                }
            }
        }
        unreadableLines = bad;
        if (ck == null && rows.isEmpty())
            throw new ReportException(dir + ": not a training run: " + (Files.exists(mp) ? "metrics.jsonl has no readable line" : "no metrics.jsonl") + " and no checkpoint.bin");
        int m = rows.size();
        step = col(rows, 0); loss = col(rows, 1); ess = col(rows, 2); varLogW = col(rows, 3); lr = col(rows, 4); gradNorm = col(rows, 5); skipped = col(rows, 6);
        levelSteps = new double[lvSteps.size()];
        for (int i = 0; i < levelSteps.length; i++) levelSteps[i] = lvSteps.get(i);
        logQLevel = new double[lv.size()][];
        logPLevel = new double[lv.size()][];
        klLevel = anyKl ? new double[lv.size()][] : null;
        for (int i = 0; i < lv.size(); i++) {
            logQLevel[i] = lv.get(i)[0];
            logPLevel[i] = lv.get(i)[1];
            if (klLevel != null) klLevel[i] = lv.get(i)[2];
        }
        logZExact = ck == null ? null : logZ(ck.group, ck.lattice, ck.beta);

        // fresh samples from the final model
        FlowWeights fw = null;
        Double fkl = null;
        double[] q = null, qe = null, p = null, pe = null, k = null, ke = null;
        String[] labels = null;
        long fseed = RngStream.taskSeed(seed ^ SALT, 0);
        if (ck != null && freshSamples > 0) {
            if (freshSamples < 2) throw new ReportException("--fresh must be 0 or >= 2, got " + freshSamples);
            FlowModel model;
            try {
                model = Models.fromCheckpoint(ck, be);
                Trainer.validateCheckpoint(ck, model, ck.beta);
                if (ck.hasArray("params")) model.params().setValues(ck.array("params"));
            } catch (CheckpointException | IllegalArgumentException e) {
                throw new ReportException(ckp + ": " + e.getMessage(), e);
            }
            if (log != null) log.accept("drawing " + freshSamples + " fresh samples from " + ckp + " (" + model.kind() + ", step " + ck.step + ")");
            LevelMetrics levels = LevelMetrics.forModel(model, be, ck.beta);
            double[] lw = new double[freshSamples];
            List<double[][]> lq = new ArrayList<>(), lp = new ArrayList<>(), lk = new ArrayList<>();
            GaugeField f = new GaugeField(be, model.group(), model.lattice(), FRESH_BATCH);
            Buffer lqB = be.alloc(FRESH_BATCH), sB = be.alloc(FRESH_BATCH);
            for (int done = 0, b = 0; done < freshSamples; b++) {
                model.sample(fseed, b, f, lqB);
                be.action(f, ck.beta, sB, 0);
                double[] lqv = be.download(lqB), sv = be.download(sB);
                int take = Math.min(FRESH_BATCH, freshSamples - done);
                for (int i = 0; i < take; i++) lw[done + i] = -sv[i] - lqv[i];
                if (levels != null) {
                    LevelMetrics.Split sp = levels.split(f);
                    lq.add(java.util.Arrays.copyOf(sp.logQ(), take));
                    lp.add(java.util.Arrays.copyOf(sp.logP(), take));
                    if (sp.kl() != null) lk.add(java.util.Arrays.copyOf(sp.kl(), take));
                }
                done += take;
            }
            for (double v : lw)
                if (Double.isNaN(v) || v == Double.POSITIVE_INFINITY)
                    throw new ReportException(ckp + ": the model gives a non-finite log-weight on fresh samples (" + v + ")");
            try {
                fw = new FlowWeights(lw, EnsembleAnalysis.bins(lw.length));
            } catch (IllegalArgumentException e) {
                throw new ReportException(ckp + ": fresh samples: " + e.getMessage(), e);
            }
            if (logZExact != null) fkl = Ess.klExact(lw, logZExact);
            if (levels != null) {
                double[][] mq = meanErr(lq), mpp = meanErr(lp);
                q = mq[0]; qe = mq[1]; p = mpp[0]; pe = mpp[1];
                if (!lk.isEmpty()) { double[][] mk = meanErr(lk); k = mk[0]; ke = mk[1]; }
                labels = new String[q.length];
                for (int i = 0; i < q.length; i++) labels[i] = levels.columnLabel(i);
            }
        }
        if (labels == null && logQLevel.length > 0 && ck != null) {
            FlowModel model = null;
            try { model = Models.fromCheckpoint(ck, be); } catch (IllegalArgumentException ignored) { /* labels stay numeric */ }
            LevelMetrics levels = model == null ? null : LevelMetrics.forModel(model, be, ck.beta);
            if (levels != null) {
                labels = new String[logQLevel[0].length];
                for (int i = 0; i < labels.length; i++) labels[i] = levels.columnLabel(i);
            }
        }
        fresh = fw;
        freshKl = fkl;
        freshSeed = fseed;
        freshLogQ = q; freshLogQErr = qe; freshLogP = p; freshLogPErr = pe; freshKlLevel = k; freshKlLevelErr = ke;
        levelLabels = labels;
        if (m == 0 && fw == null && log != null) log.accept(dir + ": no metrics and no fresh samples (--fresh 0): the report shows the checkpoint only");
    }

    /** log Z where it is known exactly (2D), else null. */
    static Double logZ(Group g, Lattice lat, double beta) {
        if (lat.d != 2) return null;
        return g == Group.U1 ? Exact2D.u1LogZ(beta, lat.volume) : lat.volume * Exact2D.suNLogZ0(3, beta);
    }

    /** "2D U(1)" style name of the theory, or "unknown theory" without a checkpoint. */
    public String theory() {
        if (checkpoint == null) return "theory unknown (no checkpoint.bin)";
        return checkpoint.lattice.d + "D " + (checkpoint.group == Group.U1 ? "U(1)" : "SU(3)");
    }

    /** One line: theory, lattice, beta, model, steps, path. */
    public String caption() {
        if (checkpoint == null) return theory() + ", " + step.length + " metrics lines; " + dir;
        Checkpoint c = checkpoint;
        return theory() + ", lattice " + c.lattice.spec() + ", \u03b2 = " + c.beta + ", model " + c.kind + ", " + c.step + " steps"
                + (c.state.get("batch") != null ? ", batch " + c.state.get("batch") : "") + "; " + dir;
    }

    /** Number of levels recorded in metrics (0 if none). */
    public int recordedLevels() { return logQLevel.length == 0 ? 0 : logQLevel[0].length; }

    private static double num(JsonNode n, String k) {
        JsonNode v = n.get(k);
        return v != null && v.isNumber() ? v.asDouble() : Double.NaN;
    }

    private static double[] arr(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).isNumber() ? a.get(i).asDouble() : Double.NaN;
        return v;
    }

    private static double[] col(List<double[]> rows, int c) {
        double[] v = new double[rows.size()];
        for (int i = 0; i < v.length; i++) v[i] = rows.get(i)[c];
        return v;
    }

    /** Mean and standard error per column over the rows of all blocks. */
    private static double[][] meanErr(List<double[][]> blocks) {
        int cols = blocks.get(0)[0].length;
        double[] s = new double[cols], s2 = new double[cols];
        long n = 0;
        for (double[][] bl : blocks) for (double[] r : bl) { n++; for (int k = 0; k < cols; k++) s[k] += r[k]; }
        double[] mean = new double[cols];
        for (int k = 0; k < cols; k++) mean[k] = s[k] / n;
        for (double[][] bl : blocks) for (double[] r : bl) for (int k = 0; k < cols; k++) s2[k] += (r[k] - mean[k]) * (r[k] - mean[k]);
        double[] err = new double[cols];
        for (int k = 0; k < cols; k++) err[k] = n > 1 ? Math.sqrt(s2[k] / (n - 1) / n) : Double.NaN;
        return new double[][] {mean, err};
    }
}
