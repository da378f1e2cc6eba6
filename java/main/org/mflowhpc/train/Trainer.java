package org.mflowhpc.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.io.Checkpoint;
import org.mflowhpc.io.CheckpointException;
import org.mflowhpc.io.IoErrors;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.nn.Adam;
import org.mflowhpc.nn.LrSchedule;
import org.mflowhpc.nn.Params;
import org.mflowhpc.observable.stats.Ess;

/**
 * Reverse-KL training of any {@link FlowModel}, U(1) or SU(3), through the compute seam: the step runs on the
 * model's backend, and only scalars (loss, ESS, var log w, gradient norm) come back to the host.
 *
 * <p>Step s (0-based; the step counter is also the RNG position, since the model draws from streams keyed by
 * (seed, domain, s, index)):
 * <pre>
 *   U_b ~ q (batch B, sampleForTraining(seed, s)),  S_b = Backend.action,  log w_b = -S_b - log q_b
 *   loss = (1/B) sum_b (log q_b + S_b)      (= KL(q||p) - log Z)
 *   dloss/dU = Backend.actionGradient / B (Euclidean link gradient; U(1) dS/dtheta, SU(3) -(beta/N) A^dag),
 *   dloss/dlog q = 1/B  -> model.backward (reparameterisation gradient)
 *   global-norm clipping, lr = schedule.lr(s) * lr_factor, Adam(W) step
 * </pre>
 * Non-finite loss or gradient: the update is skipped, lr_factor halves, the skip is counted; more than
 * {@code maxConsecutiveBad} in a row stops the run (status DIVERGED, one-line message). Updates that would make a
 * parameter non-finite are rolled back and treated the same way, so checkpoints never hold non-finite values.
 *
 * <p>Run directory: {@code metrics.jsonl} (one JSON object per step: step, loss, ess, var_logw, lr, grad_norm,
 * skipped; deterministic; for multiscale models every max(logEvery, steps/50)-th and the last step also
 * log_q_level, log_p_level and, without refinement layers, kl_level: see {@link LevelMetrics}),
 * {@code timing.jsonl} (one object per step: step, step_s, wall_s, the only wall-clock values),
 * {@code checkpoint.bin} ({@link Checkpoint}, every {@code checkpointEvery} steps, at the end, and after
 * {@link #requestStop}), {@code training.png} (loss and ESS vs step, written at the end of a run that was not
 * stopped early). Wall-clock time is kept out
 * of the checkpoint and out of metrics.jsonl, so that after an interrupted and resumed run both files are
 * byte-identical to an uninterrupted run's ({@code cmp} proves a resume). A fresh run (step 0) starts both jsonl
 * files anew; resuming ({@link #resume}) restores parameters, Adam state, step, lr_factor and counters, and drops
 * metrics and timing lines at or after the checkpoint's step, so parameters at step N are bit-identical to an
 * uninterrupted run. Signals are not handled here: the CLI's one SIGTERM handler ({@code cli.Shutdown}) calls
 * {@link #requestStop}, and the loop ends after the current step with a checkpoint.
 *
 * <p>Console: a progress bar when {@code opt.progressBar} (the caller decides: a terminal, not under SLURM) and
 * System.console() != null, otherwise a plain log line every {@code logEvery} steps.
 */
public final class Trainer {
    public enum Status { COMPLETED, INTERRUPTED, DIVERGED }

    /** Training options (public fields, defaults as in the tutorial). */
    public static final class Options {
        public long seed = 0;
        public int batch = 64;
        public long steps = 1000;
        public LrSchedule schedule = LrSchedule.constant(1e-3);
        public double clipNorm = Double.POSITIVE_INFINITY;
        public double adamBeta1 = 0.9, adamBeta2 = 0.999, adamEps = 1e-8, weightDecay = 0.0;
        public int checkpointEvery = 100;
        public int maxConsecutiveBad = 10;
        public int logEvery = 10;
        /** Where progress goes; null = silent (no bar, no log lines). */
        public PrintStream log = System.out;
        /** Live progress bar instead of log lines (needs a console as well); the CLI sets it from Progress.interactive(). */
        public boolean progressBar = false;
        public boolean plot = true;
        public Path runDir;
        /**
         * Stage-wise training: when set, only parameter blocks whose names match are updated (the others, and their
         * Adam moments, are restored after each step). Multiscale levels are named level&lt;k&gt;.*; run training in
         * stages (--resume) with different patterns to train levels one after another.
         */
        public java.util.regex.Pattern trainBlocks;
    }

    /** Outcome of {@link #run}. */
    public static final class Result {
        public final Status status;
        public final long step;
        public final String message;
        public final double lastLoss, lastEss;
        public final long skipped;
        Result(Status status, long step, String message, double lastLoss, double lastEss, long skipped) {
            this.status = status; this.step = step; this.message = message; this.lastLoss = lastLoss; this.lastEss = lastEss; this.skipped = skipped;
        }
        @Override public String toString() { return status + " at step " + step + ": " + message; }
    }

    private final FlowModel model;
    private final Backend be;
    private final double beta;
    private final Options opt;
    private final Adam adam;
    private long step;
    private double lrFactor = 1.0;
    private long skippedTotal, consecutiveBad;
    private double wallBefore;
    private volatile boolean stopRequested;
    private volatile Runnable stepHook;
    private boolean resumed;

    public Trainer(FlowModel model, Backend be, double beta, Options opt) {
        if (opt.runDir == null) throw new IllegalArgumentException("Trainer needs a run directory");
        if (opt.batch < 1) throw new IllegalArgumentException("batch must be >= 1");
        if (model.params().backend() != be) throw new IllegalArgumentException("the model lives on another backend than the trainer's");
        this.model = model; this.be = be; this.beta = beta; this.opt = opt;
        GaugeField.checkedSize(model.group(), model.lattice(), opt.batch); // a batch that cannot be one field: refused now
        checkTrainBlocks(model.params());
        this.adam = new Adam(model.params(), opt.adamBeta1, opt.adamBeta2, opt.adamEps, opt.weightDecay);
    }

    public long step() { return step; }
    public double lrFactor() { return lrFactor; }
    public Adam adam() { return adam; }
    public Path checkpointPath() { return opt.runDir.resolve("checkpoint.bin"); }
    public Path metricsPath() { return opt.runDir.resolve("metrics.jsonl"); }
    /** Per-step wall-clock times (kept apart from metrics.jsonl and the checkpoint so those are reproducible). */
    public Path timingPath() { return opt.runDir.resolve("timing.jsonl"); }
    public Path plotPath() { return opt.runDir.resolve("training.png"); }

    /** Asks the loop to stop after the current step (what the SIGTERM hook does). */
    public void requestStop() { stopRequested = true; }

    /** Called after every completed step (tests use it to simulate preemption). */
    public void setStepHook(Runnable r) { this.stepHook = r; }

    // ------------------------------------------------------------------ checkpoints

    public Checkpoint snapshot() {
        Params p = model.params();
        Map<String, Object> st = new LinkedHashMap<>();
        st.put("seed", opt.seed);
        st.put("batch", opt.batch);
        st.put("schedule", opt.schedule.spec());
        st.put("clip_norm", Double.isFinite(opt.clipNorm) ? opt.clipNorm : -1.0);
        st.put("adam_beta1", adam.beta1);
        st.put("adam_beta2", adam.beta2);
        st.put("adam_eps", adam.eps);
        st.put("weight_decay", adam.weightDecay);
        st.put("adam_t", adam.t());
        st.put("lr_factor", lrFactor);
        st.put("skipped_total", skippedTotal);
        st.put("consecutive_bad", consecutiveBad);
        Map<String, double[]> arrays = new LinkedHashMap<>();
        arrays.put("params", p.valuesToHost());
        arrays.put("adam_m", adam.mToHost());
        arrays.put("adam_v", adam.vToHost());
        return new Checkpoint(model.kind(), model.group(), model.lattice(), beta, step, model.config(),
                p.layoutSignature(), st, arrays);
    }

    public void writeCheckpoint() throws IOException { snapshot().write(checkpointPath()); }

    /** Checks that a checkpoint belongs to this model (kind, group, lattice, config, parameter layout) and beta. */
    public static void validateCheckpoint(Checkpoint ck, FlowModel model, double beta) throws CheckpointException {
        ck.validateFor(model.kind(), model.group(), model.lattice(), beta, model.config(),
                model.params().layoutSignature(), model.params().size());
    }

    /** Restores from a checkpoint file after validating it against this model and beta. */
    public void resume(Path path) throws CheckpointException {
        Checkpoint ck = Checkpoint.read(path);
        validateCheckpoint(ck, model, beta);
        Map<String, Object> st = ck.state;
        double[] pv = ck.array("params"), m = ck.array("adam_m"), v = ck.array("adam_v");
        model.params().setValues(pv);
        adam.restore(m, v, num(st, "adam_t").longValue());
        step = ck.step;
        lrFactor = num(st, "lr_factor").doubleValue();
        skippedTotal = num(st, "skipped_total").longValue();
        consecutiveBad = num(st, "consecutive_bad").longValue();
        List<String> diffs = new ArrayList<>();
        if (num(st, "seed").longValue() != opt.seed) diffs.add("seed " + st.get("seed") + " -> " + opt.seed);
        if (num(st, "batch").intValue() != opt.batch) diffs.add("batch " + st.get("batch") + " -> " + opt.batch);
        if (!opt.schedule.spec().equals(st.get("schedule"))) diffs.add("schedule " + st.get("schedule") + " -> " + opt.schedule.spec());
        if (!diffs.isEmpty() && opt.log != null)
            opt.log.println("warning: resuming with changed " + String.join(", ", diffs) + " (run will differ from an uninterrupted one)");
        try {
            truncateJsonl(metricsPath(), step);
            wallBefore = truncateJsonl(timingPath(), step);
        } catch (IOException e) {
            throw new CheckpointException("cannot rewrite " + metricsPath() + " or " + timingPath() + ": " + e.getMessage(), e);
        }
        resumed = true;
    }

    private static Number num(Map<String, Object> st, String k) throws CheckpointException {
        Object o = st.get(k);
        if (!(o instanceof Number)) throw new CheckpointException("checkpoint trainer state lacks '" + k + "'");
        return (Number) o;
    }

    /**
     * Keeps the lines of a jsonl file whose "step" is below {@code keepBelow} (atomic rewrite); returns the "wall_s"
     * of the last kept line (0 if none or absent), from which the wall clock of a resumed run continues.
     */
    private static double truncateJsonl(Path mp, long keepBelow) throws IOException {
        if (!Files.exists(mp)) return 0;
        List<String> keep = new ArrayList<>();
        double wall = 0;
        for (String line : Files.readAllLines(mp, StandardCharsets.UTF_8)) {
            Long s = MetricsPlot.stepOf(line);
            if (s != null && s < keepBelow) {
                keep.add(line);
                Double w = MetricsPlot.numberOf(line, "wall_s");
                wall = w == null ? 0 : w;
            }
        }
        Path tmp = mp.resolveSibling(mp.getFileName() + ".tmp");
        Files.write(tmp, keep, StandardCharsets.UTF_8);
        Files.move(tmp, mp, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return wall;
    }

    // ------------------------------------------------------------------ training

    /** Trains until opt.steps steps have been taken in total (counting resumed ones), or stop/divergence. */
    public Result run() throws IOException {
        Files.createDirectories(opt.runDir);
        boolean bar = opt.log != null && opt.progressBar && System.console() != null;
        ProgressBar pb = null;
        Params p = model.params();
        int B = opt.batch;
        if (!resumed && step == 0) { // a fresh run: lines left by an earlier attempt that never checkpointed are dropped
            truncateJsonl(metricsPath(), 0);
            truncateJsonl(timingPath(), 0);
        }
        GaugeField u = new GaugeField(be, model.group(), model.lattice(), B);
        Buffer logQ = be.alloc(B), act = be.alloc(B), logw = be.alloc(B), dLogQ = be.alloc(B), tmp = be.alloc(B);
        Buffer dLinks = be.alloc(u.size());
        LevelMetrics levels = LevelMetrics.forModel(model, be, beta);
        long levelEvery = Math.max(Math.max(1, opt.logEvery), (opt.steps + 49) / 50); // at most ~50 recorded steps
        Buffer backupP = null, backupM = null, backupV = null;
        List<Params.Block> frozen = null;
        if (opt.trainBlocks != null) {
            frozen = new ArrayList<>();
            for (Params.Block bl : p.blocks()) if (!opt.trainBlocks.matcher(bl.name).matches()) frozen.add(bl);
        }
        double lastLoss = Double.NaN, lastEss = Double.NaN;
        Status status = Status.COMPLETED;
        String message = "trained " + opt.steps + " steps";
        long t0 = System.nanoTime();
        try (BufferedWriter metrics = Files.newBufferedWriter(metricsPath(), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
             BufferedWriter timing = Files.newBufferedWriter(timingPath(), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            if (bar) pb = new ProgressBarBuilder().setTaskName("train " + model.kind()).setInitialMax(opt.steps)
                    .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(opt.log)).build();
            if (pb != null) pb.stepTo(step);
            while (step < opt.steps) {
                if (stopRequested) { status = Status.INTERRUPTED; message = "stopped on request (SIGTERM) after step " + step; break; }
                long ts = System.nanoTime();
                if (backupP == null) { backupP = be.alloc(p.size()); backupM = be.alloc(p.size()); backupV = be.alloc(p.size()); }
                double loss, ess, varLw, gnorm, lr;
                boolean ok;
                String levelJson;
                try (Backend.Scope stepScope = be.scope()) { // the step's temporaries are recycled at its end
                    p.zeroGrads();
                    Object tape = model.sampleForTraining(opt.seed, step, u, logQ);
                    be.action(u, beta, act, 0);
                    loss = (be.sum(logQ, 0, B) + be.sum(act, 0, B)) / B;
                    // log w = -S - log q; ESS and var(log w) from reductions (scalars only cross the seam)
                    be.fill(logw, 0, B, 0.0);
                    be.axpy(B, -1.0, act, 0, logw, 0);
                    be.axpy(B, -1.0, logQ, 0, logw, 0);
                    double lse1 = be.logSumExp(logw, 0, B);
                    be.fill(tmp, 0, B, 0.0);
                    be.axpy(B, 2.0, logw, 0, tmp, 0);
                    double lse2 = be.logSumExp(tmp, 0, B);
                    ess = Ess.fromLogSums(lse1, lse2, B);
                    double sw = be.sum(logw, 0, B), sw2 = be.sumSquares(logw, 0, B);
                    varLw = B > 1 ? Math.max(0, (sw2 - sw * sw / B) / (B - 1)) : 0;
                    be.actionGradient(u, beta, dLinks);
                    be.scale(dLinks, 0, u.size(), 1.0 / B);
                    be.fill(dLogQ, 0, B, 1.0 / B);
                    boolean recordLevels = levels != null && Double.isFinite(loss) && (step % levelEvery == 0 || step + 1 == opt.steps);
                    GaugeField batch = recordLevels ? u.copy() : null; // backward may modify u
                    model.backward(tape, u, dLinks, dLogQ);
                    levelJson = recordLevels ? levels.json(batch) : "";
                    if (frozen != null) for (Params.Block bl : frozen) be.fill(p.grads(), bl.offset, bl.size, 0.0);
                    gnorm = Adam.clipGradNorm(p, opt.clipNorm);
                    lr = opt.schedule.lr(step) * lrFactor;
                    ok = Double.isFinite(loss) && Double.isFinite(gnorm);
                    if (ok) {
                        be.copy(p.values(), 0, backupP, 0, p.size());
                        adam.copyStateTo(backupM, backupV);
                        long tBefore = adam.t();
                        adam.step(lr);
                        if (frozen != null) for (Params.Block bl : frozen) {
                            be.copy(backupP, bl.offset, p.values(), bl.offset, bl.size);
                            adam.restoreBlock(backupM, backupV, bl.offset, bl.size);
                        }
                        if (!Double.isFinite(be.maxAbs(p.values(), 0, p.size()))) {
                            be.copy(backupP, 0, p.values(), 0, p.size());
                            adam.restoreState(backupM, backupV, tBefore);
                            ok = false;
                        }
                    }
                }
                if (ok) consecutiveBad = 0;
                else { skippedTotal++; consecutiveBad++; lrFactor *= 0.5; }
                step++;
                double stepS = (System.nanoTime() - ts) * 1e-9, wall = wallBefore + (System.nanoTime() - t0) * 1e-9;
                metrics.write(String.format(Locale.ROOT,
                        "{\"step\":%d,\"loss\":%s,\"ess\":%s,\"var_logw\":%s,\"lr\":%s,\"grad_norm\":%s,\"skipped\":%b%s}",
                        step - 1, js(loss), js(ess), js(varLw), js(lr), js(gnorm), !ok, levelJson));
                metrics.newLine();
                timing.write(String.format(Locale.ROOT, "{\"step\":%d,\"step_s\":%s,\"wall_s\":%s}", step - 1, js(stepS), js(wall)));
                timing.newLine();
                if (ok) { lastLoss = loss; lastEss = ess; }
                if (pb != null) { pb.stepTo(step); pb.setExtraMessage(String.format(Locale.ROOT, "loss %.4f ess %.3f", loss, ess)); }
                else if (opt.log != null && (step % Math.max(1, opt.logEvery) == 0 || step == opt.steps || !ok))
                    opt.log.println(String.format(Locale.ROOT, "step %d/%d loss %.6f ess %.4f var_logw %.4g lr %.3g grad_norm %.4g %.3fs/step%s",
                            step, opt.steps, loss, ess, varLw, lr, gnorm, stepS, ok ? "" : " [skipped: non-finite, lr halved]"));
                if (consecutiveBad > opt.maxConsecutiveBad) {
                    status = Status.DIVERGED;
                    message = "training diverged: " + consecutiveBad + " consecutive steps with non-finite loss or gradients (last at step "
                            + (step - 1) + "); the checkpoint holds the last finite parameters";
                    break;
                }
                if (opt.checkpointEvery > 0 && step % opt.checkpointEvery == 0) {
                    metrics.flush();
                    timing.flush();
                    wallBefore = wall; t0 = System.nanoTime();
                    writeCheckpoint();
                }
                Runnable h = stepHook;
                if (h != null) h.run();
            }
            if (status == Status.COMPLETED && stopRequested && step >= opt.steps) message = "trained " + opt.steps + " steps (stop requested at the end)";
            metrics.flush();
            timing.flush();
            wallBefore += (System.nanoTime() - t0) * 1e-9;
            t0 = System.nanoTime();
            writeCheckpoint();
            if (opt.plot && status != Status.INTERRUPTED) { // (stopped: the JVM may be shutting down, AWT refuses to start)
                try {
                    MetricsPlot.write(metricsPath(), plotPath(), model.kind() + " " + model.lattice() + " beta=" + beta);
                } catch (IOException | RuntimeException e) {
                    if (opt.log != null) opt.log.println("warning: could not write " + plotPath() + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            throw IoErrors.at(opt.runDir, e); // e.g. a full disk while appending metrics: say where
        } finally {
            if (pb != null) pb.close();
        }
        if (opt.log != null) opt.log.println(status == Status.COMPLETED ? message : status + ": " + message);
        return new Result(status, step, message, lastLoss, lastEss, skippedTotal);
    }

    /** Refuses a --train-params pattern that matches no parameter block (before anything is allocated or written). */
    private void checkTrainBlocks(Params p) {
        if (opt.trainBlocks == null) return;
        for (Params.Block bl : p.blocks()) if (opt.trainBlocks.matcher(bl.name).matches()) return;
        List<String> names = new ArrayList<>();
        for (Params.Block bl : p.blocks()) names.add(bl.name);
        String shown = names.size() > 6 ? String.join(", ", names.subList(0, 6)) + ", ... (" + names.size() + " blocks)" : String.join(", ", names);
        throw new IllegalArgumentException("no parameter block matches '" + opt.trainBlocks.pattern() + "' (blocks: " + shown + ")");
    }

    private static String js(double v) { return Double.isFinite(v) ? Double.toString(v) : "null"; }
}
