package org.mflowhpc.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The one SIGTERM (and SIGINT) handler of the CLI, used by every command that writes results over time
 * ({@code train}, {@code sample}, {@code generate}, and the SLURM/ensemble tools). Contract:
 * <ul>
 *   <li>A command opens a {@link Scope} with {@link #enter} around the work that must be finished or made
 *       consistent when a stop is requested, and polls {@link #requested()} (or passes a callback, e.g. the
 *       trainer's {@code requestStop}) to end at the next safe point: train after the current step (checkpoint,
 *       metrics), sample after the current batch (pending configurations published as a shard, sampler state
 *       written), generate after the current configuration (pending configurations published).
 *   <li>On SIGTERM the JVM runs the single shutdown hook installed here: it sets the flag, runs the callbacks,
 *       prints one line per open scope on stderr ({@code mflow <cmd>: stop requested (SIGTERM): ...}), then waits
 *       until every open scope is closed, at most {@link #graceSeconds()} (env {@code MFLOW_SIGTERM_GRACE_S},
 *       default {@value #DEFAULT_GRACE_S} s; SLURM sends SIGKILL KillWait seconds after SIGTERM, so a
 *       {@code --signal=TERM@T} lead time T larger than one step/batch is what a job template should choose).
 *       The process then exits with status 143 (128 + SIGTERM), which tells a scheduler that the run did not
 *       complete; {@code --resume} continues it.
 *   <li>With no scope open (argument parsing, an error already reported, or the command has returned) the hook
 *       returns at once: errors never wait in it. A scope is closed in a finally block, so an exception inside the
 *       work releases the hook too. After the last scope closes, the hook lets a command that is still running
 *       under {@code Main.execute} print its summary or error line and return (at most {@value #RETURN_WAIT_MS} ms);
 *       commands that never open a scope (measure, verify, info) are not waited for at all.
 *   <li>Scopes nest and may be entered from several threads; the flag is sticky (the JVM is going down).
 * </ul>
 * Files stay consistent whatever the timing, because every writer publishes atomically (checkpoints, shards,
 * manifests, sampler state); a SIGKILL (no hook at all) loses at most the work since the last publication.
 */
public final class Shutdown {
    /** Default bound on how long the hook waits for open scopes, in seconds. */
    public static final long DEFAULT_GRACE_S = 300;

    private static final Object LOCK = new Object();
    private static final List<Scope> OPEN = new ArrayList<>();
    private static volatile boolean requested;
    private static boolean hookInstalled;
    private static boolean enteredAny; // a scope was opened in this JVM
    private static int running;        // Main.execute calls in progress
    /** After the last scope closed, how long the hook lets a running command print its summary and return. */
    static final long RETURN_WAIT_MS = 5_000;

    private Shutdown() {}

    /** Work that a stop request must let finish; close it (try-with-resources) when the work ends in any way. */
    public static final class Scope implements AutoCloseable {
        private final String command;
        private final String onStopDoes;
        private final Runnable onRequest;
        private boolean closed;

        private Scope(String command, String onStopDoes, Runnable onRequest) {
            this.command = command; this.onStopDoes = onStopDoes; this.onRequest = onRequest;
        }

        @Override public void close() {
            synchronized (LOCK) {
                if (closed) return;
                closed = true;
                OPEN.remove(this);
                LOCK.notifyAll();
            }
        }
    }

    /**
     * Opens a scope for {@code command} (e.g. "mflow train"); {@code onStopDoes} says in a few words what happens on
     * a stop ("finishing the current step, then writing the checkpoint"); {@code onRequest} (may be null) is run
     * once when a stop is requested (immediately if one was requested already).
     */
    public static Scope enter(String command, String onStopDoes, Runnable onRequest) {
        Scope s = new Scope(command, onStopDoes, onRequest);
        boolean already;
        synchronized (LOCK) {
            installHook();
            OPEN.add(s);
            enteredAny = true;
            already = requested;
        }
        if (already && onRequest != null) onRequest.run();
        return s;
    }

    /** Main.execute: a command starts (its summary and error lines are printed before {@link #commandReturned}). */
    static void commandStarted() {
        synchronized (LOCK) { running++; }
    }

    /** Main.execute: the command returned (after printing everything); the hook may let the JVM exit. */
    static void commandReturned() {
        synchronized (LOCK) {
            running = Math.max(0, running - 1);
            LOCK.notifyAll();
        }
    }

    /** True once a stop was requested (SIGTERM, SIGINT, or {@link #request}). */
    public static boolean requested() { return requested; }

    /**
     * What the hook does, without waiting: sets the flag, runs the callbacks of open scopes and reports them.
     * Public for embedding and for tests that simulate a signal in-process.
     */
    public static void request(String signal) {
        List<Scope> scopes;
        synchronized (LOCK) {
            if (requested) return;
            requested = true;
            scopes = new ArrayList<>(OPEN);
        }
        PrintStream err = stderr();
        for (Scope s : scopes) {
            err.println(s.command + ": stop requested (" + signal + "): " + s.onStopDoes);
            if (s.onRequest != null) {
                try {
                    s.onRequest.run();
                } catch (RuntimeException e) {
                    err.println(s.command + ": error while stopping: " + RunCards.firstLine(String.valueOf(e.getMessage())));
                }
            }
        }
        err.flush();
    }

    /** Clears the flag (tests only; a real signal ends the JVM). */
    static void resetForTests() {
        synchronized (LOCK) { requested = false; }
    }

    /** Number of open scopes (tests). */
    static int openScopes() {
        synchronized (LOCK) { return OPEN.size(); }
    }

    /** How long the hook waits for open scopes: MFLOW_SIGTERM_GRACE_S (seconds, >= 0) or the default. */
    public static long graceSeconds() {
        String v = System.getenv("MFLOW_SIGTERM_GRACE_S");
        if (v == null || v.isBlank()) return DEFAULT_GRACE_S;
        try {
            long s = Long.parseLong(v.trim());
            return s >= 0 ? s : DEFAULT_GRACE_S;
        } catch (NumberFormatException e) {
            return DEFAULT_GRACE_S;
        }
    }

    private static void installHook() {
        if (hookInstalled) return;
        hookInstalled = true;
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(Shutdown::onShutdown, "mflow-shutdown"));
        } catch (IllegalStateException e) {
            // the signal came before the first scope: the JVM is already going down, so the stop is requested now
            // and the command ends at its first safe point (the caller runs the scope's callback at once)
            requested = true;
        }
    }

    /** The shutdown hook: at normal exit no scope is open and it returns at once. */
    private static void onShutdown() {
        synchronized (LOCK) {
            if (OPEN.isEmpty()) {
                // a command that used a scope may still be printing its last line (e.g. an error raised while
                // stopping); read-only commands (no scope ever) are not waited for: the JVM exits at once
                if (enteredAny && running > 0) waitForReturn(System.nanoTime() + RETURN_WAIT_MS * 1_000_000L);
                return;
            }
        }
        request("SIGTERM");
        long deadline = System.nanoTime() + graceSeconds() * 1_000_000_000L;
        synchronized (LOCK) {
            while (!OPEN.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    stderr().println(OPEN.get(0).command + ": still busy " + graceSeconds()
                            + " s after the stop request; exiting anyway (files already published are intact; --resume continues)");
                    stderr().flush();
                    return;
                }
                try {
                    LOCK.wait(Math.max(1, left / 1_000_000L));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            waitForReturn(Math.min(deadline, System.nanoTime() + RETURN_WAIT_MS * 1_000_000L));
        }
    }

    /** Waits (holding LOCK) until no Main.execute call is running, or the deadline. */
    private static void waitForReturn(long deadline) {
        while (running > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return;
            try {
                LOCK.wait(Math.max(1, left / 1_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** stderr that works during shutdown even if System.err was replaced (tests capture System.err). */
    private static PrintStream stderr() {
        return System.err != null ? System.err : new PrintStream(new FileOutputStream(FileDescriptor.err), true);
    }
}
