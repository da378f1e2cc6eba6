package org.mflowhpc.cli;

import java.io.PrintStream;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress reporting for long work: a live progress bar (me.tongfei progressbar) when attached to a terminal,
 * plain log lines otherwise (under SLURM, in pipes, in CI): every 10% of the work but at most one per 5 s, and a
 * final line.
 */
public final class Progress implements AutoCloseable {
    private final ProgressBar bar;
    private final PrintStream log;
    private final String task;
    private final long max;
    private final long t0 = System.nanoTime();
    private long done, nextLog, lastLogNanos = System.nanoTime();
    private String extra = "";

    public Progress(String task, long max, PrintStream log) {
        this.task = task;
        this.max = Math.max(1, max);
        this.log = log;
        this.bar = interactive() ? new ProgressBarBuilder().setTaskName(task).setInitialMax(this.max)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).build() : null;
        this.nextLog = Math.max(1, this.max / 10);
    }

    /** A live bar is shown: a console, not under SLURM ({@link SlurmEnv#underSlurm}), MFLOW_PROGRESS != plain. */
    public static boolean interactive() {
        return System.console() != null && !SlurmEnv.current().underSlurm() && !"plain".equals(System.getenv("MFLOW_PROGRESS"));
    }

    public void step(long n, String message) {
        done += n;
        if (message != null) extra = message;
        if (bar != null) {
            bar.stepBy(n);
            if (message != null) bar.setExtraMessage(" " + message);
        } else if (log != null && (done == max || (done >= nextLog && System.nanoTime() - lastLogNanos > 5_000_000_000L))) {
            lastLogNanos = System.nanoTime();
            double s = (lastLogNanos - t0) * 1e-9;
            log.printf("[%s] %d/%d (%.0f%%) %.1fs %s%n", task, done, max, 100.0 * done / max, s, extra);
            log.flush();
            nextLog = done + Math.max(1, max / 10);
        }
    }

    public void step(long n) { step(n, null); }

    @Override public void close() { if (bar != null) bar.close(); }
}
