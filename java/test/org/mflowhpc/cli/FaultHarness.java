package org.mflowhpc.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Stream;

import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Node;
import io.jhdf.api.dataset.ContiguousDataset;
import org.mflowhpc.io.Ensemble;
import org.mflowhpc.io.Shard;
import org.mflowhpc.io.ShardReader;
import org.mflowhpc.testutil.FullDiskFileSystemProvider;

/**
 * The fault-injection harness of issue 9: it attacks the CLI the way a careless user, a broken file system and a
 * preempting scheduler would, and counts for each category the trials, how many were caught (the fault was reported
 * as it must be, or survived as it must be) and how many were missed. Reproducible: every random choice comes from
 * one {@link Random} seeded by {@link Config#seed}. What "caught" means per category:
 * <ul>
 *   <li><b>bad options, run cards</b> (in-process, {@link Main#execute}): exit status 2, exactly one line
 *       {@code mflow <cmd>: error: ...} on stderr, no stack trace, within {@link #ERROR_SECONDS}, nothing written
 *       (a target that did not exist still does not; existing files keep their bytes). Cards that must now be
 *       understood (lattice = [4, 4], top-level keys plus a table) must run and give the right result.
 *   <li><b>errors in a child JVM</b>: the same errors in {@code java ... Main} as a real process: one error line,
 *       exit 2, and the process gone within {@link #ERROR_SECONDS} of printing it (no wait in the shutdown hook).
 *   <li><b>truncated / byte-flipped shards</b> (a flow MH shard with every extra dataset): the damaged ensemble
 *       directory fails {@code verify} (exit 1) and {@code measure} (exit 2, one line); the damaged shard alone
 *       fails {@code verify FILE}, unless the flip left every dataset and attribute bit-identical (a flip in unused
 *       bytes of the HDF5 structure: counted as harmless, the manifest's SHA-256 still flags it in the directory).
 *       Flips are half in the HDF5 metadata (superblock, object headers, attributes), half in dataset storage.
 *   <li><b>manifest tampering, swapped shards</b>: {@code verify DIR} exit 1 and {@code measure DIR} exit 2 with
 *       one line, shard files untouched.
 *   <li><b>corrupt checkpoints</b>: {@code sample --model} and {@code train --resume} exit 2 with one line, no
 *       output directory created, the checkpoint untouched.
 *   <li><b>SIGTERM / SIGKILL at a random time</b> in train, sample --mh, generate (a child JVM): after SIGTERM exit
 *       143 (or 0 if it had finished) within {@link #STOP_SECONDS}, no stack trace; after either signal the run is
 *       continued (--resume where the directory was claimed, else started again) in-process, and the result is the
 *       uninterrupted run's: {@code checkpoint.bin} and {@code metrics.jsonl} byte-identical ({@code cmp}), or
 *       every configuration and per-configuration dataset bit-identical; every shard published before the signal
 *       is still there with the same bytes; {@code verify} passes.
 *   <li><b>concurrent writers</b>: while a child writes a directory, a second run into it (fresh and --resume) is
 *       refused with one line within {@link #ERROR_SECONDS}; the child's result equals the uninterrupted run.
 *   <li><b>full disk</b>: a small real tmpfs (where mount works: root or passwordless sudo) and, everywhere, the
 *       {@link FullDiskFileSystemProvider} injection in a child JVM, each with a random capacity below what the run
 *       needs: exit 2, one line saying "disk full", what was published verifies, and --resume on a larger disk
 *       completes to the uninterrupted result.
 * </ul>
 * {@link Report#markdown} renders the table (machine, date, command, per-category counts, slowest error exit,
 * then every trial). Work happens under a caller-given directory.
 */
final class FaultHarness {
    static final double ERROR_SECONDS = 1.0;
    /** HotSpot's first line when the VM fails in its own start-up (printed on stdout, before any application class). */
    static final String JVM_BOOTSTRAP_FAILURE = "Error occurred during initialization of VM";
    static final double STOP_SECONDS = 10.0;

    /** Sizes of a run. */
    static final class Config {
        long seed = 20261201;
        int flips = 30, truncations = 12, checkpointFlips = 30, childErrorCases = 3;
        int signalTrialsPerCommand = 1;  // per signal kind and command
        int concurrentTrialsPerCommand = 1;
        int tmpfsTrials = 3, injectionTrials = 1;
        boolean childErrors = true;
        /** Only these categories (by the method name: badOptions, runCards, ...); empty = all. For debugging. */
        java.util.Set<String> only = java.util.Set.of();

        boolean on(String c) { return only.isEmpty() || only.contains(c); }

        static Config quick() { return new Config(); }

        static Config full() {
            Config c = new Config();
            c.flips = 200; c.truncations = 40; c.checkpointFlips = 100; c.childErrorCases = 6;
            c.signalTrialsPerCommand = 6; c.concurrentTrialsPerCommand = 4; c.tmpfsTrials = 9; c.injectionTrials = 6;
            return c;
        }
    }

    record Trial(String category, String name, boolean caught, boolean harmless, double seconds, String detail) {}

    /** All trials, in order, and how the run was made. */
    static final class Report {
        final List<Trial> trials = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        final Map<String, String> judged = new LinkedHashMap<>();
        String fullDiskHow = "";
        double wallSeconds;

        long count(String cat, java.util.function.Predicate<Trial> p) {
            return trials.stream().filter(t -> t.category.equals(cat)).filter(p).count();
        }

        List<String> categories() {
            List<String> c = new ArrayList<>();
            for (Trial t : trials) if (!c.contains(t.category)) c.add(t.category);
            return c;
        }

        List<Trial> missed() { return trials.stream().filter(t -> !t.caught).toList(); }

        String markdown(String command, String config) {
            StringBuilder sb = new StringBuilder();
            sb.append("# Fault injection: every fault caught, nothing written lost (issue 9)\n\n");
            sb.append("- date: ").append(LocalDate.now()).append('\n');
            sb.append("- machine: ").append(machine()).append('\n');
            sb.append("- command: `").append(command).append("`\n");
            sb.append("- configuration: ").append(config).append('\n');
            sb.append("- full disk: ").append(fullDiskHow).append('\n');
            sb.append(String.format(Locale.ROOT, "- wall time: %.0f s (load average %.2f at the end)%n%n", wallSeconds,
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
            sb.append("| category | trials | caught | missed | slowest (s) | how it is judged |\n|---|---|---|---|---|---|\n");
            long tt = 0, tc = 0, tm = 0;
            for (String c : categories()) {
                long n = count(c, t -> true), ok = count(c, t -> t.caught), harmless = count(c, t -> t.harmless);
                double slow = trials.stream().filter(t -> t.category.equals(c)).mapToDouble(t -> t.seconds).max().orElse(0);
                sb.append(String.format(Locale.ROOT, "| %s | %d | %d%s | %d | %.2f | %s |%n", c, n, ok,
                        harmless > 0 ? " (" + harmless + " harmless)" : "", n - ok, slow, judged.getOrDefault(c, "")));
                tt += n; tc += ok; tm += n - ok;
            }
            sb.append(String.format(Locale.ROOT, "| **total** | **%d** | **%d** | **%d** | | |%n%n", tt, tc, tm));
            sb.append("\"slowest\": for errors the seconds from the start of the command (in-process) or from the error line (child JVM) to the exit; "
                    + "for signals the seconds from the signal to the exit (after SIGTERM: finishing the step or batch, publishing, the summary); "
                    + "for the others the whole trial. In-process errors count as slow "
                    + "only if their thread also used more than half a second of CPU (on a shared two-core machine the wall clock of one call "
                    + "mostly measures the other processes).\n"
                    + "\"harmless\": a byte flip in unused bytes of the HDF5 structure of a shard checked on its own (every dataset and "
                    + "attribute bit-identical to the original, so there is nothing to report); in the ensemble directory the same flip "
                    + "is caught by the manifest's SHA-256.\n\n");
            for (String n : notes) sb.append("- ").append(n).append('\n');
            if (!notes.isEmpty()) sb.append('\n');
            sb.append("## Trials\n\n| category | trial | outcome | s | detail |\n|---|---|---|---|---|\n");
            List<Trial> order = new ArrayList<>(missed());
            for (Trial t : trials) if (t.caught) order.add(t);
            for (Trial t : order)
                sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2f | %s |%n", t.category, esc(t.name),
                        t.caught ? (t.harmless ? "harmless" : "caught") : "**MISSED**", t.seconds, esc(t.detail)));
            return sb.toString();
        }

        private static String esc(String s) {
            String x = s.replace("|", "\\|").replace("\n", " ");
            return x.length() > 220 ? x.substring(0, 220) + "..." : x;
        }
    }

    static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo")))
                if (l.startsWith("model name")) { cpu = l.substring(l.indexOf(':') + 1).trim(); break; }
        } catch (IOException | RuntimeException e) {
            // not Linux: keep "unknown CPU"
        }
        String host;
        try { host = InetAddress.getLocalHost().getHostName(); } catch (IOException e) { host = "unknown host"; }
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return String.format(Locale.ROOT, "%s, %s, %d hardware threads, %s %s, Java %s, load average %.2f at the start", host, cpu,
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.version"),
                System.getProperty("java.version"), load);
    }

    private final Path work;
    private final Config cfg;
    private final Random rng;
    private final Report rep = new Report();
    private int serial;

    FaultHarness(Path work, Config cfg) {
        this.work = work;
        this.cfg = cfg;
        this.rng = new Random(cfg.seed);
    }

    // ================================================================== running the CLI

    static final java.util.regex.Pattern RAW_EXCEPTION = java.util.regex.Pattern.compile("([a-z_][a-z0-9_]*\\.)+[A-Z]\\w*(Exception|Error)\\b");

    record Out(int rc, String out, String err, double seconds, double cpuSeconds) {
        Out(int rc, String out, String err, double seconds) { this(rc, out, err, seconds, seconds); }

        /**
         * Slower than {@code limit} seconds: wall clock, unless this thread's CPU time shows that the machine, not the
         * command, was slow (other processes on two cores: the wall clock of one run says little then).
         */
        boolean slow(double limit) { return seconds > limit && cpuSeconds > limit / 2; }

        List<String> errorLines() { return err.lines().filter(l -> l.contains(": error: ")).toList(); }
        /** A Java stack trace or a raw exception line (an exception's name inside a one-line message is not one). */
        boolean stackTrace() {
            return (err + out).lines().anyMatch(l -> l.startsWith("\tat ") || l.startsWith("Exception in thread") || l.startsWith("Caused by: ")
                    || RAW_EXCEPTION.matcher(l).lookingAt());
        }
    }

    /** Main.execute in this JVM, stdout and stderr captured. */
    static synchronized Out cli(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        PrintStream oldOut = System.out, oldErr = System.err;
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        long t0 = System.nanoTime();
        java.lang.management.ThreadMXBean tm = java.lang.management.ManagementFactory.getThreadMXBean();
        long c0 = tm.getCurrentThreadCpuTime();
        int rc;
        try {
            rc = Main.execute(args);
        } catch (RuntimeException | Error x) {
            rc = -1;
            e.writeBytes(("uncaught: " + x + "\n").getBytes(StandardCharsets.UTF_8));
            for (StackTraceElement s : x.getStackTrace()) e.writeBytes(("\tat " + s + "\n").getBytes(StandardCharsets.UTF_8));
        } finally {
            System.out.flush();
            System.err.flush();
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Out(rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8), (System.nanoTime() - t0) * 1e-9,
                (tm.getCurrentThreadCpuTime() - c0) * 1e-9);
    }

    /** A child JVM running Main: output, exit status, when the first error line appeared and when it exited. */
    static final class Child {
        final Process p;
        final long t0 = System.nanoTime();
        final StringBuffer out = new StringBuffer(), err = new StringBuffer();
        volatile long firstErrorNanos = -1, firstLineNanos = -1;
        final Thread to, te;

        Child(List<String> jvmArgs, List<String> args, Map<String, String> env) throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx1g", "-Xshare:auto"));
            cmd.addAll(jvmArgs);
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.mflowhpc.cli.Main"));
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().keySet().removeIf(k -> k.startsWith("SLURM_") || k.equals("MFLOW_DEBUG"));
            pb.environment().put("MFLOW_PROGRESS", "plain");
            pb.environment().putAll(env);
            p = pb.start();
            to = pump(p.getInputStream(), out, false);
            te = pump(p.getErrorStream(), err, true);
        }

        private Thread pump(InputStream in, StringBuffer sb, boolean isErr) {
            Thread t = new Thread(() -> {
                try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        long now = System.nanoTime();
                        if (firstLineNanos < 0) firstLineNanos = now;
                        if (isErr && firstErrorNanos < 0 && l.contains(": error: ")) firstErrorNanos = now;
                        sb.append(l).append('\n');
                    }
                } catch (IOException e) {
                    // the process is gone
                }
            }, "child-pump");
            t.setDaemon(true);
            t.start();
            return t;
        }

        /** Waits until a line on stdout/stderr contains {@code s} (true) or the process ends / time runs out. */
        boolean awaitLine(String s, double seconds) throws InterruptedException {
            long end = System.nanoTime() + (long) (seconds * 1e9);
            while (System.nanoTime() < end) {
                if (err.indexOf(s) >= 0 || out.indexOf(s) >= 0) return true;
                if (!p.isAlive()) return err.indexOf(s) >= 0 || out.indexOf(s) >= 0;
                Thread.sleep(20);
            }
            return false;
        }

        int waitFor(double seconds) throws InterruptedException {
            if (!p.waitFor((long) (seconds * 1000), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                return Integer.MIN_VALUE;
            }
            to.join(5000);
            te.join(5000);
            return p.exitValue();
        }

        /**
         * SIGTERM through the process handle: Process.destroy() would also close our ends of the pipes, so whatever the
         * child prints while it stops would be lost.
         */
        void sigterm() { p.toHandle().destroy(); }

        /** SIGKILL (no hook runs in the child). */
        void sigkill() { p.toHandle().destroyForcibly(); }

        Out result(int rc) { return new Out(rc, out.toString(), err.toString(), (System.nanoTime() - t0) * 1e-9); }
    }

    // ================================================================== checks

    private Path fresh(String name) throws IOException {
        Path d = work.resolve(String.format("%04d-%s", serial++, name));
        Files.createDirectories(d.getParent());
        return d;
    }

    /** Exit 2, one error line for {@code cmd}, no stack trace. */
    static String oneLineError(Out o, String cmd) {
        if (o.rc != 2) return "exit " + o.rc + " (expected 2); stderr: " + firstLines(o.err);
        List<String> e = o.errorLines();
        if (e.size() != 1) return e.size() + " error lines: " + firstLines(o.err);
        if (!e.get(0).startsWith("mflow " + cmd + ": error: ") && !e.get(0).startsWith("mflow: error: "))
            return "error line not in the form 'mflow " + cmd + ": error: ...': " + e.get(0);
        if (o.stackTrace()) return "stack trace: " + firstLines(o.err);
        return null;
    }

    static String firstLines(String s) {
        List<String> l = s.lines().limit(3).toList();
        return String.join(" / ", l);
    }

    /** Everything under a path: file -> SHA-256 (directories recursively); empty if it does not exist. */
    static Map<String, String> snapshot(Path p) throws IOException {
        Map<String, String> m = new TreeMap<>();
        if (!Files.exists(p)) return m;
        if (Files.isRegularFile(p)) { m.put(".", sha(p)); return m; }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) m.put(p.relativize(f).toString(), sha(f));
        }
        return m;
    }

    static String sha(Path f) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(Files.readAllBytes(f)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * SHA-256 over every configuration and per-configuration dataset of an ensemble, each dataset concatenated over
     * the shards in ensemble order (so the result does not depend on where the shard boundaries fall).
     */
    static String content(Path dir) throws IOException {
        Ensemble e = Ensemble.open(dir);
        try {
            Map<String, MessageDigest> parts = new TreeMap<>();
            java.util.function.Function<String, MessageDigest> d = k -> parts.computeIfAbsent(k, x -> {
                try { return MessageDigest.getInstance("SHA-256"); } catch (java.security.NoSuchAlgorithmException ex) { throw new IllegalStateException(ex); }
            });
            for (int i = 0; i < e.shards().size(); i++) {
                Shard s = e.readShard(i);
                d.apply("configs").update(bytes(s.configData()));
                d.apply("action").update(bytes(s.action()));
                d.apply("plaquette").update(bytes(s.plaquette()));
                ByteBuffer bb = ByteBuffer.allocate(8 * s.n()).order(ByteOrder.LITTLE_ENDIAN);
                bb.asLongBuffer().put(s.configIndex());
                d.apply("config_index").update(bb.array());
                for (Map.Entry<String, double[]> x : s.extra().entrySet()) d.apply("extra:" + x.getKey()).update(bytes(x.getValue()));
                for (Map.Entry<String, int[]> x : s.extraInt().entrySet()) {
                    ByteBuffer ib = ByteBuffer.allocate(4 * x.getValue().length).order(ByteOrder.LITTLE_ENDIAN);
                    ib.asIntBuffer().put(x.getValue());
                    d.apply("int:" + x.getKey()).update(ib.array());
                }
            }
            MessageDigest all = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, MessageDigest> x : parts.entrySet()) {
                all.update(x.getKey().getBytes(StandardCharsets.UTF_8));
                all.update(x.getValue().digest());
            }
            return e.size() + ":" + HexFormat.of().formatHex(all.digest());
        } catch (java.security.NoSuchAlgorithmException x) {
            throw new IllegalStateException(x);
        }
    }

    private static byte[] bytes(double[] a) {
        ByteBuffer bb = ByteBuffer.allocate(8 * a.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.asDoubleBuffer().put(a);
        return bb.array();
    }

    static void copyDir(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(t);
                else Files.copy(f, t, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private void add(String cat, String name, String problem, double seconds, String okDetail) {
        rep.trials.add(new Trial(cat, name, problem == null, false, seconds, problem == null ? okDetail : problem));
    }

    private void addHarmless(String cat, String name, double seconds, String detail) {
        rep.trials.add(new Trial(cat, name, true, true, seconds, detail));
    }

    /** Runs a trial body with a time limit (a corrupt file must not hang a reader). */
    private static <T> T bounded(Supplier<T> body, double seconds, T onTimeout) {
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> { Thread t = new Thread(r, "fault-trial"); t.setDaemon(true); return t; });
        try {
            Future<T> f = ex.submit(body::get);
            return f.get((long) (seconds * 1000), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return onTimeout;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            ex.shutdownNow();
        }
    }

    // ================================================================== fixtures

    private Path ens, ensOther, ensBeta, model, modelHaar, modelBeta, flow, flowOther;
    private String[] trainJob, sampleJob, generateJob; // signal / concurrency / full-disk workloads ("--out" appended)
    private final Map<String, Path> reference = new LinkedHashMap<>();

    private void fixtures() throws IOException {
        Path fx = work.resolve("fixtures");
        ens = fx.resolve("ens");
        ensOther = fx.resolve("ens-seed8");
        ensBeta = fx.resolve("ens-beta1.5");
        must(cli("generate", "--group", "U1", "--lattice", "8x8", "--beta", "1.0", "--configs", "24", "--therm", "5", "--shard-size", "6",
                "--seed", "7", "--out", ens.toString()));
        must(cli("generate", "--group", "U1", "--lattice", "8x8", "--beta", "1.0", "--configs", "24", "--therm", "5", "--shard-size", "6",
                "--seed", "8", "--out", ensOther.toString()));
        must(cli("generate", "--group", "U1", "--lattice", "8x8", "--beta", "1.5", "--configs", "24", "--therm", "5", "--shard-size", "6",
                "--seed", "7", "--out", ensBeta.toString()));
        model = fx.resolve("model");
        modelHaar = fx.resolve("model-haar");
        modelBeta = fx.resolve("model-beta2");
        must(cli("train", "--lattice", "4x4", "--beta", "1.0", "--model", "multiscale", "--steps", "3", "--batch", "4", "--out", model.toString()));
        must(cli("train", "--lattice", "4x4", "--beta", "1.0", "--model", "haar", "--model-option", "layers=2", "--steps", "2", "--batch", "4",
                "--out", modelHaar.toString()));
        must(cli("train", "--lattice", "4x4", "--beta", "2.0", "--model", "multiscale", "--steps", "2", "--batch", "4", "--out", modelBeta.toString()));
        flow = fx.resolve("flow");
        flowOther = fx.resolve("flow-seed4");
        must(cli("sample", "--model", model.toString(), "--configs", "24", "--mh", "--shard-size", "6", "--seed", "3", "--out", flow.toString()));
        must(cli("sample", "--model", model.toString(), "--configs", "24", "--mh", "--shard-size", "6", "--seed", "4", "--out", flowOther.toString()));
        trainJob = new String[] {"train", "--lattice", "4x4", "--beta", "1.0", "--model", "multiscale", "--steps", "150", "--batch", "8",
                "--checkpoint-every", "20", "--log-every", "10", "--seed", "5"};
        sampleJob = new String[] {"sample", "--model", model.toString(), "--configs", "1500", "--batch", "50", "--shard-size", "100", "--mh",
                "--seed", "11"};
        generateJob = new String[] {"generate", "--group", "U1", "--lattice", "8x8", "--beta", "1.0", "--configs", "800", "--therm", "10",
                "--shard-size", "50", "--seed", "13"};
        for (String[] job : List.of(trainJob, sampleJob, generateJob)) {
            Path r = fx.resolve("reference-" + job[0]);
            must(cli(concat(job, "--out", r.toString())));
            reference.put(job[0], r);
        }
    }

    private static void must(Out o) {
        if (o.rc != 0) throw new IllegalStateException("fixture failed (" + o.rc + "): " + o.err);
    }

    static String[] concat(String[] a, String... b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    // ================================================================== the run

    Report run() throws Exception {
        long t0 = System.nanoTime();
        timed("fixtures", this::fixtures);
        if (cfg.on("badOptions")) timed("badOptions", this::badOptions);
        if (cfg.on("runCards")) timed("runCards", this::runCards);
        if (cfg.childErrors && cfg.on("childErrors")) timed("childErrors", this::childErrors);
        if (cfg.on("truncatedShards")) timed("truncatedShards", this::truncatedShards);
        if (cfg.on("flippedShards")) timed("flippedShards", this::flippedShards);
        if (cfg.on("manifestTampering")) timed("manifestTampering", this::manifestTampering);
        if (cfg.on("swappedShards")) timed("swappedShards", this::swappedShards);
        if (cfg.on("corruptCheckpoints")) timed("corruptCheckpoints", this::corruptCheckpoints);
        if (cfg.on("signals"))
            timed("signals", () -> {
                for (String sig : List.of("SIGTERM", "SIGKILL"))
                    for (String[] job : List.of(trainJob, sampleJob, generateJob))
                        for (int i = 0; i < cfg.signalTrialsPerCommand; i++) signalTrial(sig, job);
            });
        if (cfg.on("concurrent"))
            timed("concurrent", () -> {
                // the second writer alternates between a fresh run and --resume (a requeued job), train starting fresh
                for (String[] job : List.of(trainJob, sampleJob, generateJob))
                    for (int i = 0; i < cfg.concurrentTrialsPerCommand; i++)
                        concurrentTrial(job, (i + (job[0].equals("train") ? 0 : 1)) % 2 == 1);
            });
        if (cfg.on("fullDisk")) timed("fullDisk", this::fullDisk);
        rep.notes.add("wall time per part (s): " + String.join(", ", partSeconds));
        rep.wallSeconds = (System.nanoTime() - t0) * 1e-9;
        return rep;
    }

    private interface Part { void run() throws Exception; }

    private final List<String> partSeconds = new ArrayList<>();

    private void timed(String name, Part p) throws Exception {
        long t0 = System.nanoTime();
        p.run();
        partSeconds.add(String.format(Locale.ROOT, "%s %.0f", name, (System.nanoTime() - t0) * 1e-9));
    }

    // ------------------------------------------------------------------ bad options

    private void badOptions() throws IOException {
        String cat = "bad options";
        rep.judged.put(cat, "exit 2, one line 'mflow CMD: error: ...', no stack trace, < 1 s, nothing written");
        Path file = work.resolve("a-file");
        Files.writeString(file, "not a directory\n");
        Path existing = work.resolve("existing-ens");
        copyDir(ens, existing);
        String m = model.toString(), e = existing.toString();
        Path sampled = work.resolve("sampled");
        must(cli("sample", "--model", m, "--configs", "12", "--mh", "--seed", "5", "--out", sampled.toString()));
        String s = sampled.toString();
        Path trained = work.resolve("trained");
        copyDir(model, trained);
        String[][] cases = {
            {"train", "--lattice", "4x4", "--beta", "1", "--model", "multiscale", "--train-params", "nomatch", "--out", "@new"},
            {"train", "--lattice", "4x4", "--beta", "1", "--model", "multiscale", "--batch", "100000000", "--out", "@new"},
            {"train", "--lattice", "8x8", "--beta", "1", "--model", "multiscale", "--batch", "3000000", "--out", "@new"},
            {"train", "--lattice", "8x8", "--beta", "1", "--model", "haar", "--model-option", "hidden=abc", "--out", "@new"},
            {"train", "--lattice", "8x8", "--beta", "1", "--model", "multiscale", "--model-option", "hidden=abc", "--out", "@new"},
            {"train", "--lattice", "8x8", "--beta", "1", "--model", "multiscale+flow", "--model-option", "hidden=abc", "--out", "@new"},
            {"train", "--lattice", "8x8", "--beta", "1", "--model", "haar", "--model-option", "layers=abc", "--out", "@new"},
            {"train", "--lattice", "8x8", "--beta", "1", "--model", "haar", "--model-option", "flow=xyz", "--out", "@new"},
            {"train", "--lattice", "8x8", "--beta", "1", "--model", "haar", "--model-option", "noequals", "--out", "@new"},
            {"train", "--lattice", "8x8", "--beta", "1", "--model", "nonsense", "--out", "@new"},
            {"train", "--lattice", "12x16", "--beta", "1", "--model", "multiscale", "--out", "@new"},
            {"train", "--group", "SU3", "--lattice", "4x4", "--beta", "8", "--model", "exact", "--out", "@new"},
            {"train", "--lattice", "4x4x4", "--beta", "1", "--model", "exact", "--out", "@new"},
            {"train", "--lattice", "4x4", "--beta", "1", "--lr", "-1", "--out", "@new"},
            {"train", "--lattice", "4x4", "--beta", "1", "--schedule", "bogus", "--out", "@new"},
            {"train", "--lattice", "4x4", "--beta", "1", "--checkpoint-every", "0", "--out", "@new"},
            {"train", "--lattice", "4x4", "--beta", "1", "--train-params", "([", "--out", "@new"},
            {"train", "--lattice", "4x4", "--beta", "1", "--out", ""},
            {"train", "--lattice", "4x4", "--beta", "1", "--out", "/"},
            {"train", "--lattice", "4x4", "--beta", "1", "--out", file.toString()},
            {"train", "--lattice", "4x4", "--beta", "1", "--model", "multiscale", "--steps", "3", "--out", trained.toString()},
            {"train", "--lattice", "4x4", "--beta", "1", "--resume", "--out", "@new"},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "1", "--configs", "2", "--out", ""},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "1", "--configs", "2", "--out", "/"},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "1", "--configs", "2", "--out", file.toString()},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "1", "--configs", "2", "--out", file + "/sub"},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "1", "--configs", "2", "--out", "/proc/mflow-cannot-be-here"},
            {"generate", "--group", "U1", "--lattice", "16x15", "--beta", "2", "--configs", "5", "--out", "@new"},
            {"generate", "--group", "U1", "--lattice", "16xab", "--beta", "2", "--configs", "5", "--out", "@new"},
            {"generate", "--group", "SU2", "--lattice", "4x4", "--beta", "2", "--configs", "5", "--out", "@new"},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "nan", "--configs", "5", "--out", "@new"},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "-1", "--configs", "5", "--out", "@new"},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "2", "--configs", "-5", "--out", "@new"},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "2", "--configs", "5", "--hmc-tau", "0", "--algorithm", "hmc", "--out", "@new"},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "2", "--configs", "5", "--start", "warm", "--out", "@new"},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "2", "--configs", "5", "--threads", "-1", "--out", "@new"},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "2", "--configs", "5", "--backend", "bogus", "--out", "@new"},
            {"generate", "--group", "U1", "--lattice", "8x8", "--beta", "1.0", "--configs", "24", "--seed", "7", "--out", e},
            {"generate", "--group", "U1", "--lattice", "8x8", "--beta", "1.0", "--configs", "24", "--seed", "9", "--resume", "--out", e},
            {"generate", "--group", "U1", "--lattice", "8x8", "--beta", "1.0", "--configs", "12", "--therm", "5", "--shard-size", "6",
                    "--seed", "7", "--resume", "--out", e},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "1", "--configs", "2", "--resume", "--out", "@new"},
            {"sample", "--model", m, "--configs", "4", "--mh", "--seed", "5", "--resume", "--out", s},
            {"sample", "--model", m, "--configs", "12", "--mh", "--seed", "6", "--resume", "--out", s},
            {"sample", "--model", m, "--configs", "12", "--seed", "5", "--resume", "--out", s},
            {"sample", "--model", m, "--configs", "12", "--mh", "--seed", "5", "--out", s},
            {"sample", "--model", work.resolve("no-model").toString(), "--configs", "4", "--out", "@new"},
            {"sample", "--model", m, "--configs", "0", "--out", "@new"},
            {"sample", "--model", m, "--configs", "4", "--batch", "2000000000", "--out", "@new"},
            {"sample", "--model", m, "--configs", "4", "--out", ""},
            {"sample", "--model", m, "--configs", "4", "--out", "/"},
            {"sample", "--model", m, "--configs", "4", "--resume", "--out", "@new"},
            {"measure", work.resolve("missing").toString()},
            {"measure", "--loops", "9x9", e},
            {"measure", "--loops", "1xq", e},
            {"measure", "--skip", "24", e},
            {"measure", "--skip", "-1", e},
            {"measure", "--s-tau", "0", e},
            {"measure", file.toString()},
            {"verify", "--threads", "-3", e},
            {"bench", "--lattice", "4x4", "--beta", "1", "--model", "nonsense"},
            {"run", work.resolve("no-card.toml").toString(), "--out", "@new"},
            {"frobnicate"},
            {"generate", "--no-such-option"},
        };
        for (String[] c : cases) {
            Path target = null;
            String[] args = c.clone();
            for (int i = 0; i < args.length; i++) if (args[i].equals("@new")) { target = fresh("never"); args[i] = target.toString(); }
            Map<String, String> before = new TreeMap<>();
            for (Path p : List.of(file, existing, sampled, trained, model)) before.putAll(prefix(p, snapshot(p)));
            Out o = cli(args);
            String cmd = args[0].equals("frobnicate") ? "" : args[0];
            String problem = args[0].equals("frobnicate") ? (o.rc == 2 && o.errorLines().size() == 1 && !o.stackTrace() ? null : "exit " + o.rc + " " + firstLines(o.err))
                    : oneLineError(o, cmd);
            if (problem == null && o.slow(ERROR_SECONDS)) problem = String.format(Locale.ROOT, "took %.2f s (%.2f s CPU)", o.seconds, o.cpuSeconds);
            if (problem == null && target != null && Files.exists(target)) problem = "created " + target;
            Map<String, String> after = new TreeMap<>();
            for (Path p : List.of(file, existing, sampled, trained, model)) after.putAll(prefix(p, snapshot(p)));
            if (problem == null && !after.equals(before)) problem = "files changed: " + diff(before, after);
            add(cat, "mflow " + String.join(" ", shorten(args)), problem, o.seconds, o.errorLines().isEmpty() ? "" : o.errorLines().get(0));
        }
    }

    private static Map<String, String> prefix(Path p, Map<String, String> m) {
        Map<String, String> r = new TreeMap<>();
        m.forEach((k, v) -> r.put(p + "/" + k, v));
        return r;
    }

    private static String diff(Map<String, String> a, Map<String, String> b) {
        List<String> d = new ArrayList<>();
        for (String k : a.keySet()) if (!b.containsKey(k)) d.add("-" + k); else if (!a.get(k).equals(b.get(k))) d.add("~" + k);
        for (String k : b.keySet()) if (!a.containsKey(k)) d.add("+" + k);
        return String.join(", ", d.subList(0, Math.min(4, d.size())));
    }

    private String[] shorten(String[] args) {
        String w = work.toString();
        return Arrays.stream(args).map(a -> a.startsWith(w) ? "W" + a.substring(w.length()) : a.isEmpty() ? "\"\"" : a).toArray(String[]::new);
    }

    // ------------------------------------------------------------------ run cards

    private void runCards() throws IOException {
        String cat = "run cards";
        rep.judged.put(cat, "bad cards: exit 2 and one line naming the card (syntax errors with line and column); good cards run and mean what they say");
        record Card(String name, String toml, String[] args, String expectFragment) {}
        String gen = "[generate]\ngroup = \"U1\"\nbeta = 1.0\nconfigs = 4\ntherm = 2\nseed = 11\n";
        List<Card> cards = List.of(
            new Card("empty card", "", new String[] {"generate"}, "is empty"),
            new Card("comments only", "# nothing here\n", new String[] {"generate"}, "is empty"),
            new Card("empty run card", "", new String[] {"run"}, "is empty"),
            new Card("run card without stages", "[info]\n", new String[] {"run"}, "unknown stage"),
            new Card("run card, key outside a stage", "seed = 3\n[generate]\ngroup = \"U1\"\n", new String[] {"run"}, "outside a stage"),
            new Card("run card with an out key", "[generate]\ngroup = \"U1\"\nlattice = \"4x4\"\nbeta = 1.0\nconfigs = 2\nout = \"elsewhere\"\n",
                    new String[] {"run"}, "key 'out' in [generate] is set by mflow run"),
            new Card("run card with a model key in sample", "[sample]\nmodel = \"x\"\nconfigs = 2\n", new String[] {"run"}, "key 'model' in [sample]"),
            new Card("unknown key", gen + "latice = \"4x4\"\n", new String[] {"generate"}, "unknown key 'latice'"),
            new Card("unknown nested table", gen + "lattice = \"4x4\"\n[generate.extra]\nx = 1\n", new String[] {"generate"}, "nested table 'extra'"),
            new Card("unknown top-level table", "[gnerate]\ngroup = \"U1\"\n", new String[] {"generate"}, "unknown table [gnerate]"),
            new Card("syntax error", "[generate]\ngroup = \"U1\"\nbeta = = 1\n", new String[] {"generate"}, "line 3"),
            new Card("unterminated table", "[generate\ngroup = ", new String[] {"generate"}, "line 1"),
            new Card("array for a single-valued option", gen + "lattice = \"4x4\"\nevery = [1, 2]\n", new String[] {"generate"}, "takes one value"),
            new Card("a card including a card", gen + "card = \"other.toml\"\n", new String[] {"generate"}, "cannot include another card"),
            new Card("wrong type", gen + "lattice = \"4x4\"\nevery = \"often\"\n", new String[] {"generate"}, "every"),
            new Card("lattice = [4, 4]", gen + "lattice = [4, 4]\n", new String[] {"generate"}, null),
            new Card("top-level keys and a table", "lattice = \"4x4\"\nseed = 11\n[generate]\ngroup = \"U1\"\nbeta = 1.0\nconfigs = 4\ntherm = 2\n",
                    new String[] {"generate"}, null),
            new Card("run card, lattice array", "[generate]\ngroup = \"U1\"\nlattice = [4, 4]\nbeta = 1.0\nconfigs = 4\ntherm = 2\n[measure]\nloops = [\"1x1\"]\n",
                    new String[] {"run"}, null));
        for (Card c : cards) {
            Path dir = fresh("card");
            Files.createDirectories(dir);
            Path card = dir.resolve("card.toml");
            Files.writeString(card, c.toml);
            Path out = dir.resolve("out");
            String[] args = c.args[0].equals("run") ? new String[] {"run", card.toString(), "--out", out.toString()}
                    : new String[] {c.args[0], "--card", card.toString(), "--out", out.toString()};
            Out o = cli(args);
            String problem;
            if (c.expectFragment != null) {
                problem = oneLineError(o, c.args[0]);
                if (problem == null && !o.errorLines().get(0).contains(c.expectFragment))
                    problem = "message lacks '" + c.expectFragment + "': " + o.errorLines().get(0);
                if (problem == null && !o.errorLines().get(0).contains(card.toString()) && !c.expectFragment.equals("every"))
                    problem = "message does not name the card: " + o.errorLines().get(0);
                if (problem == null && Files.exists(out)) problem = "created " + out;
                if (problem == null && o.slow(ERROR_SECONDS)) problem = String.format(Locale.ROOT, "took %.2f s (%.2f s CPU)", o.seconds, o.cpuSeconds);
            } else {
                problem = o.rc == 0 ? null : "exit " + o.rc + ": " + firstLines(o.err);
                if (problem == null) {
                    Path ensDir = c.args[0].equals("run") ? out.resolve("ensemble") : out;
                    Ensemble en = Ensemble.open(ensDir);
                    if (!en.meta().lattice().spec().equals("4x4")) problem = "lattice is " + en.meta().lattice().spec() + ", expected 4x4";
                    else if (en.size() != 4) problem = en.size() + " configurations, expected 4";
                    else if (en.meta().seed() != (c.toml.contains("seed = 11") ? 11 : 1)) problem = "seed " + en.meta().seed();
                }
            }
            add(cat, c.name, problem, o.seconds, o.errorLines().isEmpty() ? "ran as intended" : o.errorLines().get(0).replace(dir.toString(), "D"));
        }
    }

    // ------------------------------------------------------------------ errors as a real process

    private void childErrors() throws Exception {
        String cat = "errors in a child JVM";
        rep.judged.put(cat, "a real process: exit 2, one error line, gone < 1 s after printing it (no wait in the SIGTERM hook)");
        String m = model.toString();
        List<Object[]> cases = List.of(
            new Object[] {Map.of(), new String[] {"train", "--lattice", "4x4", "--beta", "1", "--model", "multiscale", "--train-params", "nomatch", "--out", "@new"}},
            new Object[] {Map.of(), new String[] {"train", "--lattice", "8x8", "--beta", "1", "--model", "multiscale", "--batch", "3000000", "--out", "@new"}},
            new Object[] {Map.of("SLURM_ARRAY_TASK_ID", "abc"), new String[] {"sample", "--model", m, "--configs", "2", "--out", "@new"}},
            new Object[] {Map.of(), new String[] {"train", "--lattice", "8x8", "--beta", "1", "--model", "haar", "--model-option", "hidden=abc", "--out", "@new"}},
            new Object[] {Map.of("SLURM_ARRAY_TASK_ID", "-3"), new String[] {"sample", "--model", m, "--configs", "2", "--out", "@new"}},
            new Object[] {Map.of(), new String[] {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "1", "--configs", "2", "--out", ""}});
        for (Object[] c : cases.subList(0, Math.min(cases.size(), cfg.childErrorCases))) {
            @SuppressWarnings("unchecked") Map<String, String> env = (Map<String, String>) c[0];
            String[] args = ((String[]) c[1]).clone();
            Path target = null;
            for (int i = 0; i < args.length; i++) if (args[i].equals("@new")) { target = fresh("never"); args[i] = target.toString(); }
            Child ch = new Child(List.of(), List.of(args), env);
            int rc = ch.waitFor(120);
            long exitNanos = System.nanoTime();
            Out o = ch.result(rc);
            String problem = oneLineError(o, args[0]);
            double latency = ch.firstErrorNanos < 0 ? o.seconds : (exitNanos - ch.firstErrorNanos) * 1e-9;
            if (problem == null && latency > ERROR_SECONDS) problem = String.format(Locale.ROOT, "exited %.2f s after its error line", latency);
            if (problem == null && target != null && Files.exists(target)) problem = "created " + target;
            String name = (env.isEmpty() ? "" : env.toString().replace("{", "").replace("}", "") + " ") + "mflow " + String.join(" ", shorten(args));
            add(cat, name, problem, latency, String.format(Locale.ROOT, "%s (process %.1f s in all)", o.errorLines().isEmpty() ? "" : o.errorLines().get(0), o.seconds));
        }
    }

    // ------------------------------------------------------------------ damaged shards

    /** Byte ranges of dataset storage in a shard: name -> [start, end). */
    static Map<String, long[]> datasetRegions(Path shard) {
        Map<String, long[]> m = new TreeMap<>();
        try (HdfFile h = new HdfFile(shard)) {
            for (Map.Entry<String, Node> e : h.getChildren().entrySet())
                if (e.getValue() instanceof ContiguousDataset c && e.getValue() instanceof Dataset d)
                    m.put(e.getKey(), new long[] {c.getDataAddress(), c.getDataAddress() + d.getStorageInBytes()});
        }
        return m;
    }

    private void damagedShardTrial(String cat, String name, byte[] damaged, int shardNo) throws IOException {
        Path dir = fresh("damaged");
        copyDir(flow, dir);
        String shardName = String.format("shard-%05d.h5", shardNo);
        Path inDir = dir.resolve(shardName);
        Files.write(inDir, damaged);
        Path alone = dir.resolveSibling(dir.getFileName() + "-alone.h5");
        Files.write(alone, damaged);
        long t0 = System.nanoTime();
        String[] result = bounded(() -> {
            Out vd = cli("verify", dir.toString());
            Out md = cli("measure", dir.toString());
            Out vf = cli("verify", alone.toString());
            String problem = null;
            if (vd.rc != 1) problem = "verify DIR exit " + vd.rc;
            else if (oneLineError(md, "measure") != null) problem = "measure DIR: " + oneLineError(md, "measure");
            boolean harmless = false;
            if (problem == null && vf.rc != 1) {
                if (vf.rc == 0 && sameContent(alone, flow.resolve(shardName))) harmless = true;
                else problem = "verify FILE exit " + vf.rc + " and the content differs from the original";
            }
            String detail = md.errorLines().isEmpty() ? "" : md.errorLines().get(0).replace(dir.toString(), "D");
            return new String[] {problem, harmless ? "harmless" : "", detail};
        }, 60, new String[] {"hung (> 60 s)", "", ""});
        double s = (System.nanoTime() - t0) * 1e-9;
        if (result[0] == null && !Arrays.equals(damaged, Files.readAllBytes(inDir))) result[0] = "the damaged file was modified";
        if (result[0] == null && "harmless".equals(result[1])) addHarmless(cat, name, s, "verify FILE passes; content bit-identical; verify DIR and measure DIR caught it");
        else add(cat, name, result[0], s, result[2]);
    }

    private static boolean sameContent(Path a, Path b) {
        try {
            Shard x = ShardReader.read(a), y = ShardReader.read(b);
            if (!x.meta().equals(y.meta()) || x.header().shardIndex() != y.header().shardIndex()
                    || x.header().firstConfigIndex() != y.header().firstConfigIndex()) return false;
            if (!Arrays.equals(x.configData(), y.configData()) || !Arrays.equals(x.action(), y.action()) || !Arrays.equals(x.plaquette(), y.plaquette())
                    || !Arrays.equals(x.configIndex(), y.configIndex()) || !Arrays.equals(x.checksum(), y.checksum())) return false;
            if (!x.extra().keySet().equals(y.extra().keySet()) || !x.extraInt().keySet().equals(y.extraInt().keySet())) return false;
            for (String k : x.extra().keySet()) if (!Arrays.equals(x.extra().get(k), y.extra().get(k))) return false;
            for (String k : x.extraInt().keySet()) if (!Arrays.equals(x.extraInt().get(k), y.extraInt().get(k))) return false;
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void truncatedShards() throws IOException {
        String cat = "truncated shards";
        rep.judged.put(cat, "the ensemble fails verify (exit 1) and measure (exit 2, one line); the shard alone fails verify");
        byte[] orig = Files.readAllBytes(flow.resolve("shard-00001.h5"));
        List<Integer> cuts = new ArrayList<>(List.of(0, 1, 7, 8, 100, 511, 512, 1024, 2048, orig.length / 2, orig.length - 8, orig.length - 1));
        while (cuts.size() < cfg.truncations) cuts.add(1 + rng.nextInt(orig.length - 1));
        for (int cut : cuts.subList(0, Math.max(cfg.truncations, 12)))
            damagedShardTrial(cat, "shard-00001.h5 cut to " + cut + " of " + orig.length + " bytes", Arrays.copyOf(orig, cut), 1);
    }

    private void flippedShards() throws IOException {
        String cat = "byte-flipped shards";
        rep.judged.put(cat, "as truncated; flips in the HDF5 metadata and in every dataset's storage, one bit each");
        Path src = flow.resolve("shard-00002.h5");
        byte[] orig = Files.readAllBytes(src);
        Map<String, long[]> regions = datasetRegions(src);
        boolean[] isData = new boolean[orig.length];
        for (long[] r : regions.values()) for (long i = r[0]; i < Math.min(r[1], orig.length); i++) isData[(int) i] = true;
        List<String> names = new ArrayList<>(regions.keySet());
        for (int i = 0; i < cfg.flips; i++) {
            int off;
            String where;
            if (i % 2 == 0) { // HDF5 metadata: superblock, object headers, attributes, heaps
                do { off = rng.nextInt(orig.length); } while (isData[off]);
                where = "metadata";
            } else { // dataset storage, cycling through the datasets
                String ds = names.get((i / 2) % names.size());
                long[] r = regions.get(ds);
                off = (int) (r[0] + rng.nextInt((int) Math.max(1, Math.min(r[1], orig.length) - r[0])));
                where = "data of '" + ds + "'";
            }
            int bit = rng.nextInt(8);
            byte[] b = orig.clone();
            b[off] ^= (byte) (1 << bit);
            damagedShardTrial(cat, String.format(Locale.ROOT, "bit %d of byte %d (%s)", bit, off, where), b, 2);
        }
    }

    // ------------------------------------------------------------------ manifests and swaps

    private interface DirMod { void apply(Path dir) throws IOException; }

    private void dirTrial(String cat, String name, Path source, DirMod mod) throws IOException {
        Path dir = fresh("tamper");
        copyDir(source, dir);
        mod.apply(dir);
        Map<String, String> before = snapshot(dir);
        Out v = cli("verify", dir.toString());
        Out m = cli("measure", dir.toString());
        String problem = v.rc != 1 ? "verify DIR exit " + v.rc : oneLineError(m, "measure");
        if (problem == null && !snapshot(dir).equals(before)) problem = "files were modified";
        String detail = m.errorLines().isEmpty() ? "" : m.errorLines().get(0).replace(dir.toString(), "D");
        add(cat, name, problem, v.seconds + m.seconds, detail);
    }

    private static void editManifest(Path dir, java.util.function.UnaryOperator<String> f) throws IOException {
        Path mf = dir.resolve("manifest.json");
        Files.writeString(mf, f.apply(Files.readString(mf)));
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode json(Path dir) throws IOException {
        return (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
    }

    private static void writeJson(Path dir, com.fasterxml.jackson.databind.JsonNode n) throws IOException {
        Files.writeString(dir.resolve("manifest.json"), new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(n));
    }

    private interface JsonMod { void apply(com.fasterxml.jackson.databind.node.ObjectNode root) throws IOException; }

    private DirMod js(JsonMod f) {
        return d -> { var r = json(d); f.apply(r); writeJson(d, r); };
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode entry(com.fasterxml.jackson.databind.node.ObjectNode r, int i) {
        return (com.fasterxml.jackson.databind.node.ObjectNode) r.get("shards").get(i);
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode meta(com.fasterxml.jackson.databind.node.ObjectNode r) {
        return (com.fasterxml.jackson.databind.node.ObjectNode) r.get("meta");
    }

    private void manifestTampering() throws IOException {
        String cat = "manifest tampering";
        rep.judged.put(cat, "verify DIR exit 1 and measure DIR exit 2 with one line; no file touched");
        dirTrial(cat, "trailing garbage after the JSON", ens, d -> editManifest(d, s -> s + "garbage\n"));
        dirTrial(cat, "a second JSON object appended", ens, d -> editManifest(d, s -> s + "{\"format\":\"x\"}\n"));
        dirTrial(cat, "duplicate key (sha256 given twice)", ens, d -> editManifest(d, s -> s.replaceFirst("\"sha256\" : \"", "\"sha256\" : \""
                + "0".repeat(64) + "\", \"sha256\" : \"")));
        dirTrial(cat, "truncated to half", ens, d -> editManifest(d, s -> s.substring(0, s.length() / 2)));
        dirTrial(cat, "empty file", ens, d -> editManifest(d, s -> ""));
        dirTrial(cat, "manifest missing", ens, d -> Files.delete(d.resolve("manifest.json")));
        dirTrial(cat, "middle entry removed, file kept (unlisted shard)", ens, js(r -> ((com.fasterxml.jackson.databind.node.ArrayNode) r.get("shards")).remove(1)));
        dirTrial(cat, "middle shard dropped (entry and file)", ens, d -> {
            var r = json(d);
            ((com.fasterxml.jackson.databind.node.ArrayNode) r.get("shards")).remove(1);
            r.put("n_configs", 18);
            writeJson(d, r);
            Files.delete(d.resolve("shard-00001.h5"));
        });
        dirTrial(cat, "last entry removed, file kept", ens, js(r -> { ((com.fasterxml.jackson.databind.node.ArrayNode) r.get("shards")).remove(3); r.put("n_configs", 18); }));
        dirTrial(cat, "sha256 of one entry altered", ens, js(r -> entry(r, 2).put("sha256", "f".repeat(64))));
        dirTrial(cat, "bytes of one entry altered", ens, js(r -> entry(r, 2).put("bytes", entry(r, 2).get("bytes").asLong() + 1)));
        dirTrial(cat, "n_configs of one entry altered", ens, js(r -> entry(r, 3).put("n_configs", 5)));
        dirTrial(cat, "first_config_index altered", ens, js(r -> entry(r, 0).put("first_config_index", 1)));
        dirTrial(cat, "shard_index altered", ens, js(r -> entry(r, 3).put("shard_index", 7)));
        dirTrial(cat, "total n_configs altered", ens, js(r -> r.put("n_configs", 25)));
        dirTrial(cat, "meta.seed altered", ens, js(r -> meta(r).put("seed", 8)));
        dirTrial(cat, "meta.beta altered", ens, js(r -> meta(r).put("beta", 1.5)));
        dirTrial(cat, "meta.group altered", ens, js(r -> meta(r).put("group", "SU3")));
        dirTrial(cat, "meta.lattice altered", ens, js(r -> { var l = meta(r).putArray("lattice"); l.add(8); l.add(6); }));
        dirTrial(cat, "meta.algorithm altered", ens, js(r -> meta(r).put("algorithm", "hmc")));
        dirTrial(cat, "meta.extra altered", ens, js(r -> ((com.fasterxml.jackson.databind.node.ObjectNode) meta(r).get("extra")).put("thermalisation_updates", 500)));
        dirTrial(cat, "entries reordered", ens, js(r -> {
            var a = (com.fasterxml.jackson.databind.node.ArrayNode) r.get("shards");
            var x = a.get(0).deepCopy();
            a.set(0, a.get(1).deepCopy());
            a.set(1, x);
        }));
        dirTrial(cat, "file names of two entries swapped", ens, js(r -> {
            String f0 = entry(r, 0).get("file").asText();
            entry(r, 0).put("file", entry(r, 1).get("file").asText());
            entry(r, 1).put("file", f0);
        }));
        dirTrial(cat, "manifest of another run (seed 8) put in", ens, d -> Files.copy(ensOther.resolve("manifest.json"), d.resolve("manifest.json"),
                StandardCopyOption.REPLACE_EXISTING));
        dirTrial(cat, "format_version 2", ens, js(r -> r.put("format_version", 2)));
        dirTrial(cat, "format renamed", ens, js(r -> r.put("format", "other-tool-ensemble")));
        dirTrial(cat, "entry pointing outside the directory", ens, js(r -> entry(r, 0).put("file", "../shard-00000.h5")));
        dirTrial(cat, "entry with a negative n_configs", ens, js(r -> entry(r, 1).put("n_configs", -6)));
        dirTrial(cat, "shards array replaced by an object", ens, js(r -> r.putObject("shards")));
        dirTrial(cat, "not JSON (binary noise)", ens, d -> Files.write(d.resolve("manifest.json"), new byte[] {(byte) 0x89, 'H', 'D', 'F', 0, 1, 2}));
    }

    private void swappedShards() throws IOException {
        String cat = "swapped shards";
        rep.judged.put(cat, "as manifest tampering: shards exchanged, or brought in from another run, also with the manifest updated to match");
        dirTrial(cat, "shard-00000 and shard-00001 exchanged", ens, d -> {
            Path a = d.resolve("shard-00000.h5"), b = d.resolve("shard-00001.h5"), t = d.resolve("x.tmp");
            Files.move(a, t); Files.move(b, a); Files.move(t, b);
        });
        dirTrial(cat, "shard-00001 from the seed-8 run (same shape)", ens, d -> Files.copy(ensOther.resolve("shard-00001.h5"), d.resolve("shard-00001.h5"),
                StandardCopyOption.REPLACE_EXISTING));
        dirTrial(cat, "shard-00001 from the seed-8 run, manifest updated to its hash", ens, d -> swapIn(d, ensOther, 1));
        dirTrial(cat, "shard-00003 from the beta=1.5 run, manifest updated", ens, d -> swapIn(d, ensBeta, 3));
        dirTrial(cat, "MH shard-00002 from the seed-4 chain, manifest updated", flow, d -> swapIn(d, flowOther, 2));
        dirTrial(cat, "shard-00002 replaced by a copy of shard-00001, manifest updated", ens, d -> {
            Files.copy(d.resolve("shard-00001.h5"), d.resolve("shard-00002.h5"), StandardCopyOption.REPLACE_EXISTING);
            var r = json(d);
            entry(r, 2).put("sha256", sha(d.resolve("shard-00002.h5"))).put("bytes", Files.size(d.resolve("shard-00002.h5")));
            writeJson(d, r);
        });
        dirTrial(cat, "an extra copy of shard-00003 as shard-00004 (unlisted)", ens, d -> Files.copy(d.resolve("shard-00003.h5"), d.resolve("shard-00004.h5")));
        dirTrial(cat, "a shard of the seed-8 run added as shard-00004, manifest extended", ens, d -> {
            Files.copy(ensOther.resolve("shard-00003.h5"), d.resolve("shard-00004.h5"));
            var r = json(d);
            var e = entry(r, 3).deepCopy();
            e.put("file", "shard-00004.h5").put("shard_index", 4).put("first_config_index", 24).put("sha256", sha(d.resolve("shard-00004.h5")));
            ((com.fasterxml.jackson.databind.node.ArrayNode) r.get("shards")).add(e);
            r.put("n_configs", 30);
            writeJson(d, r);
        });
    }

    private static void swapIn(Path dir, Path from, int k) throws IOException {
        String name = String.format("shard-%05d.h5", k);
        Files.copy(from.resolve(name), dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        var r = json(dir);
        entry(r, k).put("sha256", sha(dir.resolve(name))).put("bytes", Files.size(dir.resolve(name)));
        writeJson(dir, r);
    }

    // ------------------------------------------------------------------ checkpoints

    private void corruptCheckpoints() throws IOException {
        String cat = "corrupt checkpoints";
        rep.judged.put(cat, "sample --model and train --resume: exit 2, one line, nothing created, the checkpoint untouched");
        byte[] orig = Files.readAllBytes(model.resolve("checkpoint.bin"));
        List<Object[]> variants = new ArrayList<>();
        for (int cut : List.of(0, 1, 8, 11, 12, 100, orig.length / 2, orig.length - 33, orig.length - 32, orig.length - 1))
            variants.add(new Object[] {"cut to " + cut + " of " + orig.length + " bytes", Arrays.copyOf(orig, cut)});
        for (int i = 0; i < cfg.checkpointFlips; i++) {
            int off = i < cfg.checkpointFlips / 3 ? rng.nextInt(Math.min(orig.length, 600)) : rng.nextInt(orig.length);
            int bit = rng.nextInt(8);
            byte[] b = orig.clone();
            b[off] ^= (byte) (1 << bit);
            variants.add(new Object[] {"bit " + bit + " of byte " + off + (off < 600 ? " (header)" : " (arrays)"), b});
        }
        byte[] padded = Arrays.copyOf(orig, orig.length + 5);
        variants.add(new Object[] {"5 bytes appended", padded});
        variants.add(new Object[] {"a shard file instead of a checkpoint", Files.readAllBytes(ens.resolve("shard-00000.h5"))});
        for (Object[] v : variants) {
            Path dir = fresh("ck");
            copyDir(model, dir);
            Path ck = dir.resolve("checkpoint.bin");
            Files.write(ck, (byte[]) v[1]);
            Path out = fresh("never");
            Out s = cli("sample", "--model", dir.toString(), "--configs", "2", "--out", out.toString());
            Out t = cli("train", "--lattice", "4x4", "--beta", "1.0", "--model", "multiscale", "--steps", "6", "--batch", "4", "--resume", "--out", dir.toString());
            String problem = oneLineError(s, "sample");
            if (problem == null) problem = oneLineError(t, "train");
            if (problem == null && Files.exists(out)) problem = "sample created " + out;
            if (problem == null && !Arrays.equals((byte[]) v[1], Files.readAllBytes(ck))) problem = "checkpoint modified";
            if (problem == null && (s.slow(ERROR_SECONDS) || t.slow(ERROR_SECONDS)))
                problem = String.format(Locale.ROOT, "took %.2f s", Math.max(s.seconds, t.seconds));
            add(cat, (String) v[0], problem, Math.max(s.seconds, t.seconds), s.errorLines().isEmpty() ? "" : s.errorLines().get(0).replace(dir.toString(), "D"));
        }
        // valid checkpoints of something else
        String[][] mismatch = {
            {"a haar checkpoint resumed as multiscale", modelHaar.toString(), "multiscale", "1.0"},
            {"a beta=2 checkpoint resumed at beta=1", modelBeta.toString(), "multiscale", "1.0"},
            {"a multiscale checkpoint resumed as haar", model.toString(), "haar", "1.0"},
        };
        for (String[] mm : mismatch) {
            Path dir = fresh("ck");
            copyDir(Path.of(mm[1]), dir);
            Map<String, String> before = snapshot(dir);
            Out t = cli("train", "--lattice", "4x4", "--beta", mm[3], "--model", mm[2], "--steps", "6", "--batch", "4", "--resume", "--out", dir.toString());
            String problem = oneLineError(t, "train");
            if (problem == null && !snapshot(dir).equals(before)) problem = "files modified";
            add(cat, mm[0], problem, t.seconds, t.errorLines().isEmpty() ? "" : t.errorLines().get(0).replace(dir.toString(), "D"));
        }
    }

    // ------------------------------------------------------------------ signals

    private static boolean claimed(String cmd, Path d) {
        switch (cmd) {
            case "train": return Files.exists(d.resolve("checkpoint.bin"));
            case "sample": return Files.exists(d.resolve("sampler-state.json")) || Files.exists(d.resolve("manifest.json"));
            default: return Files.exists(d.resolve("manifest.json"));
        }
    }

    /** The continued run equals the uninterrupted one; null if so, else what differs. */
    private String sameAsReference(String cmd, Path d) throws IOException {
        Path ref = reference.get(cmd);
        if (cmd.equals("train")) {
            if (!Arrays.equals(Files.readAllBytes(ref.resolve("checkpoint.bin")), Files.readAllBytes(d.resolve("checkpoint.bin")))) {
                List<String> a = Files.readAllLines(ref.resolve("metrics.jsonl")), b = Files.readAllLines(d.resolve("metrics.jsonl"));
                int k = 0;
                while (k < Math.min(a.size(), b.size()) && a.get(k).equals(b.get(k))) k++;
                return "checkpoint.bin differs from the uninterrupted run (metrics: " + a.size() + " vs " + b.size() + " lines, first difference at line " + k + ")";
            }
            if (!Arrays.equals(Files.readAllBytes(ref.resolve("metrics.jsonl")), Files.readAllBytes(d.resolve("metrics.jsonl"))))
                return "metrics.jsonl differs from the uninterrupted run";
            return null;
        }
        Out v = cli("verify", d.toString());
        if (v.rc != 0) return "verify: " + firstLines(v.err);
        String a = content(ref), b = content(d);
        return a.equals(b) ? null : "ensemble content differs from the uninterrupted run (" + a.substring(0, 12) + " vs " + b.substring(0, 12) + ")";
    }

    /** Published shards (files shard-*.h5) with their hashes. */
    private static Map<String, String> shards(Path d) throws IOException {
        Map<String, String> m = new TreeMap<>();
        if (!Files.isDirectory(d)) return m;
        try (Stream<Path> s = Files.list(d)) {
            for (Path f : (Iterable<Path>) s::iterator)
                if (f.getFileName().toString().matches("shard-\\d+\\.h5")) m.put(f.getFileName().toString(), sha(f));
        }
        return m;
    }

    private void signalTrial(String sig, String[] job) throws Exception {
        String cmd = job[0];
        String cat = sig + " at a random time";
        rep.judged.put(cat, sig.equals("SIGTERM")
                ? "exit 143 (0 if it had finished) < 10 s after the signal, no stack trace; --resume gives the uninterrupted result (cmp / bit-identical), published shards unchanged"
                : "--resume (or a fresh start if nothing was claimed) gives the uninterrupted result (cmp / bit-identical), published shards unchanged");
        Path d = fresh(cmd + "-" + sig.toLowerCase(Locale.ROOT));
        // a third of the signals at a random moment of the start (JVM start-up, set-up), the others at a random
        // moment after the run claimed its directory (training steps, checkpoints, batches, shard writes)
        boolean early = rng.nextInt(3) == 0;
        double delay = 2.0 * rng.nextDouble();
        Child ch = new Child(List.of(), List.of(concat(job, "--out", d.toString())), Map.of());
        long started = System.nanoTime();
        boolean finished;
        if (early) {
            finished = ch.p.waitFor((long) (delay * 1000), TimeUnit.MILLISECONDS);
        } else {
            Path claim = d.resolve(cmd.equals("train") ? "metrics.jsonl" : cmd.equals("sample") ? "sampler-state.json" : "manifest.json");
            awaitFile(ch, claim, 120);
            finished = ch.p.waitFor((long) (delay * 1000), TimeUnit.MILLISECONDS);
        }
        double at = (System.nanoTime() - started) * 1e-9;
        long sent = System.nanoTime();
        if (!finished) {
            if (sig.equals("SIGTERM")) ch.sigterm(); else ch.sigkill();
        }
        int rc = ch.waitFor(120);
        double stop = (System.nanoTime() - sent) * 1e-9;
        Out o = ch.result(rc);
        String problem = null;
        String phase = finished ? "finished before the signal" : phaseOf(cmd, d);
        // A SIGTERM in the first tens of milliseconds can land inside HotSpot's own bootstrap (System.initPhase2),
        // before any class of this project is loaded; the JVM then prints "Error occurred during initialization of
        // VM" with a JDK-internal trace (e.g. java.lang.InternalError: Bad level) and exits. Nothing of ours ran and
        // nothing was written, so this is judged like a run killed before it started: the restart must still give
        // the uninterrupted result. The table says which trials it was.
        boolean jvmBootstrap = !finished && (o.out + o.err).startsWith(JVM_BOOTSTRAP_FAILURE) && !Files.exists(d);
        if (jvmBootstrap) {
            phase = "the JVM itself died in its bootstrap, before Main ran (JDK start-up race)";
            rep.notes.add(String.format(Locale.ROOT, "%s %s %.2f s after the start: the JVM printed %s (exit %d)", cmd, sig, at,
                    firstLines(o.out + o.err), rc));
        }
        if (!jvmBootstrap && sig.equals("SIGTERM") && !finished && rc != 143 && rc != 0) problem = "exit " + rc + " after SIGTERM: " + firstLines(o.err);
        if (problem == null && finished && rc != 0) problem = "exit " + rc + ": " + firstLines(o.err);
        if (problem == null && sig.equals("SIGTERM") && stop > STOP_SECONDS) problem = String.format(Locale.ROOT, "took %.1f s to stop", stop);
        if (problem == null && !jvmBootstrap && (o.stackTrace() || !o.errorLines().isEmpty()))
            problem = "error output: " + firstLines(o.err) + (o.out.isBlank() ? "" : " | stdout: " + firstLines(o.out));
        if (problem == null && sig.equals("SIGTERM") && rc == 143 && !cmd.equals("train") && o.err.contains("continue with --resume")) {
            java.util.regex.Matcher mm = java.util.regex.Pattern.compile("holds (\\d+) of").matcher(o.err);
            long listed = Files.exists(d.resolve("manifest.json")) ? org.mflowhpc.io.Manifest.read(d.resolve("manifest.json")).totalConfigs() : 0;
            if (!mm.find() || Long.parseLong(mm.group(1)) != listed) problem = "the summary does not report what the manifest lists (" + listed + "): " + firstLines(o.err);
        }
        if (problem == null && sig.equals("SIGTERM") && rc == 143 && phase.startsWith("stopped mid-run") && !o.err.contains("stop requested (SIGTERM)"))
            problem = "no 'stop requested' line: " + firstLines(o.err);
        Map<String, String> published = shards(d);
        if (problem == null) {
            boolean resume = claimed(cmd, d);
            Out r = cli(concat(job, resume ? new String[] {"--resume", "--out", d.toString()} : new String[] {"--out", d.toString()}));
            if (r.rc != 0) problem = (resume ? "--resume" : "restart") + " exit " + r.rc + ": " + firstLines(r.err);
            if (problem == null) problem = sameAsReference(cmd, d);
            if (problem == null) {
                Map<String, String> now = shards(d);
                for (Map.Entry<String, String> e : published.entrySet())
                    if (!e.getValue().equals(now.get(e.getKey()))) { problem = e.getKey() + " published before the signal was changed or lost"; break; }
            }
            phase += resume ? ", resumed" : ", nothing claimed: started again";
        }
        add(cat, String.format(Locale.ROOT, "%s, signal %.2f s after %s", cmd, early ? at : delay, early ? "the start" : "claiming the directory"),
                problem, stop,
                String.format(Locale.ROOT, "exit %d, %s, %d shard(s) published before", rc, phase, published.size()));
    }

    /** Where the run was when it stopped, from what it had written. */
    private static String phaseOf(String cmd, Path d) throws IOException {
        if (!Files.isDirectory(d) || !claimed(cmd, d) && !Files.exists(d.resolve("metrics.jsonl"))) return "stopped before claiming its directory";
        if (cmd.equals("train")) {
            if (!Files.exists(d.resolve("checkpoint.bin"))) return "stopped before its first checkpoint";
            try {
                return "stopped mid-run, checkpoint at step " + org.mflowhpc.io.Checkpoint.read(d.resolve("checkpoint.bin")).step;
            } catch (org.mflowhpc.io.CheckpointException e) {
                return "stopped mid-run, checkpoint unreadable";
            }
        }
        int k = shards(d).size();
        return k == 0 ? "stopped before its first shard" : "stopped mid-run";
    }

    // ------------------------------------------------------------------ concurrent writers

    private void concurrentTrial(String[] job, boolean resume) throws Exception {
        String cmd = job[0];
        String cat = "concurrent writers";
        rep.judged.put(cat, "a second run into a directory being written (fresh or --resume) is refused with one line < 1 s; the first run's result equals the uninterrupted run");
        Path d = fresh(cmd + "-concurrent");
        Child a = new Child(List.of(), List.of(concat(job, "--out", d.toString())), Map.of());
        // train: a fresh second run as soon as the first one writes metrics (before its first checkpoint, so that only
        // the lock can stop it), a --resume once there is a checkpoint to resume; sample/generate: after the first shard
        boolean running = awaitFile(a, d.resolve(!cmd.equals("train") ? "shard-00000.h5" : resume ? "checkpoint.bin" : "metrics.jsonl"), 60);
        boolean aliveBefore = a.p.isAlive();
        Out b = cli(concat(job, resume ? new String[] {"--resume", "--out", d.toString()} : new String[] {"--out", d.toString()}));
        boolean aliveDuringB = running && aliveBefore && a.p.isAlive();
        int rc = a.waitFor(180);
        String problem;
        if (!running || !aliveDuringB) {
            problem = rc == 0 ? null : "first run exit " + rc;
            if (problem == null) problem = "(the first run finished before the second started; not a concurrency trial)";
        } else {
            problem = oneLineError(b, cmd);
            if (problem == null && b.slow(ERROR_SECONDS)) problem = String.format(Locale.ROOT, "refusal took %.2f s", b.seconds);
            if (problem == null && rc != 0) problem = "first run exit " + rc + ": " + firstLines(a.result(rc).err);
            if (problem == null) problem = sameAsReference(cmd, d);
        }
        add(cat, cmd + (resume ? " --resume" : "") + " while another " + cmd + " writes the directory", problem, b.seconds,
                (b.errorLines().isEmpty() ? "" : b.errorLines().get(0).replace(d.toString(), "D")));
        if (problem != null) rep.notes.add("concurrent " + cmd + (resume ? " --resume" : "") + ": second run said: " + firstLines(b.err).replace(d.toString(), "D"));
    }

    private static boolean awaitFile(Child c, Path f, double seconds) throws InterruptedException {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end && c.p.isAlive()) {
            if (Files.exists(f)) return true;
            Thread.sleep(10);
        }
        return Files.exists(f) && c.p.isAlive();
    }

    // ------------------------------------------------------------------ full disk

    private boolean mountTmpfs(Path at, long bytes) {
        List<String> pre = sudoPrefix();
        if (pre == null) return false;
        try {
            Files.createDirectories(at);
            List<String> c = new ArrayList<>(pre);
            c.addAll(List.of("mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", at.toString()));
            return exec(c) == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private boolean remountTmpfs(Path at, long bytes) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(sudoPrefix());
        c.addAll(List.of("mount", "-o", "remount,size=" + bytes, at.toString()));
        return exec(c) == 0;
    }

    /** Unmounts; a mount still busy (a file left open: a bug) is noted and detached lazily so the work dir can go. */
    private void umount(Path at) {
        try {
            List<String> c = new ArrayList<>(sudoPrefix());
            c.addAll(List.of("umount", at.toString()));
            int rc = exec(c);
            for (int i = 0; i < 3 && rc != 0; i++) { // jhdf reads through memory maps, which live until collected
                System.gc();
                Thread.sleep(200);
                rc = exec(c);
            }
            if (rc != 0) {
                rep.notes.add("tmpfs " + at.getFileName() + " was still busy after its trial (a file left open); detached lazily");
                List<String> l = new ArrayList<>(sudoPrefix());
                l.addAll(List.of("umount", "-l", at.toString()));
                exec(l);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            // best effort
        }
    }

    private static List<String> sudoPrefixCache;

    private static List<String> sudoPrefix() {
        if (sudoPrefixCache != null) return sudoPrefixCache.isEmpty() && !isRoot() ? null : sudoPrefixCache;
        try {
            if (isRoot()) return sudoPrefixCache = List.of();
            if (exec(List.of("sudo", "-n", "true")) == 0) return sudoPrefixCache = List.of("sudo", "-n");
        } catch (IOException | InterruptedException e) {
            // no sudo
        }
        sudoPrefixCache = List.of();
        return null;
    }

    private static boolean isRoot() {
        try {
            return "0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            return false;
        }
    }

    private static int exec(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    private static long treeBytes(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> { try { return Files.size(f); } catch (IOException e) { return 0; } }).sum();
        }
    }

    private String afterFullDisk(String cmd, Out o, Path d, Runnable enlarge) throws IOException {
        String problem = oneLineError(o, cmd);
        if (problem == null && !o.errorLines().get(0).contains("disk full")) problem = "the message does not say the disk is full: " + o.errorLines().get(0);
        if (problem == null && cmd.equals("train") && Files.exists(d.resolve("checkpoint.bin"))) {
            try {
                org.mflowhpc.io.Checkpoint.read(d.resolve("checkpoint.bin"));
            } catch (org.mflowhpc.io.CheckpointException e) {
                problem = "checkpoint left unreadable: " + e.getMessage();
            }
        }
        if (problem == null && !cmd.equals("train") && Files.exists(d.resolve("manifest.json"))) {
            Out v = cli("verify", d.toString());
            if (v.rc != 0 && !v.err.contains("lists no shards")) problem = "what was published does not verify: " + firstLines(v.err);
        }
        Map<String, String> published = shards(d);
        if (problem == null) {
            enlarge.run();
            boolean resume = claimed(cmd, d);
            Out r = cli(concat(cmdJob(cmd), resume ? new String[] {"--resume", "--out", d.toString()} : new String[] {"--out", d.toString()}));
            if (r.rc != 0) problem = (resume ? "--resume" : "restart") + " on a larger disk: exit " + r.rc + ": " + firstLines(r.err);
            if (problem == null) problem = sameAsReference(cmd, d);
            if (problem == null) {
                Map<String, String> now = shards(d);
                for (Map.Entry<String, String> e : published.entrySet())
                    if (!e.getValue().equals(now.get(e.getKey()))) { problem = e.getKey() + " published before the disk filled was changed or lost"; break; }
            }
        }
        return problem;
    }

    private String[] cmdJob(String cmd) {
        return cmd.equals("train") ? trainJob : cmd.equals("sample") ? sampleJob : generateJob;
    }

    private void fullDisk() throws Exception {
        String cat = "full disk";
        rep.judged.put(cat, "exit 2, one line saying 'disk full', what was published verifies, --resume on a larger disk gives the uninterrupted result");
        List<String> how = new ArrayList<>();
        String[] cmds = {"train", "sample", "generate"};
        Path probe = work.resolve("tmpfs-probe");
        boolean tmpfs = cfg.tmpfsTrials > 0 && mountTmpfs(probe, 1 << 20);
        if (tmpfs) {
            umount(probe);
            how.add("a real tmpfs mounted per trial with a random size below the run's output (mount as " + (isRoot() ? "root" : "sudo -n") + ")");
            for (int i = 0; i < cfg.tmpfsTrials; i++) {
                String cmd = cmds[i % 3];
                long need = treeBytes(reference.get(cmd));
                long size = Math.max(4096, (long) (need * (0.05 + 0.9 * rng.nextDouble())) / 4096 * 4096);
                Path mnt = fresh("tmpfs-" + cmd);
                if (!mountTmpfs(mnt, size)) { add(cat, "tmpfs mount failed", "could not mount", 0, ""); continue; }
                try {
                    Path d = mnt.resolve("out");
                    Out o = cli(concat(cmdJob(cmd), "--out", d.toString()));
                    String problem;
                    if (o.rc == 0) problem = "(the run fit on " + size + " bytes)";
                    else problem = afterFullDisk(cmd, o, d, () -> {
                        try { remountTmpfs(mnt, 256L << 20); } catch (IOException | InterruptedException e) { throw new IllegalStateException(e); }
                    });
                    add(cat, String.format(Locale.ROOT, "%s on a %d KiB tmpfs (needs %d KiB)", cmd, size >> 10, need >> 10), problem, o.seconds,
                            o.errorLines().isEmpty() ? "" : o.errorLines().get(0).replace(mnt.toString(), "M"));
                } finally {
                    umount(mnt);
                }
            }
        } else {
            how.add("no tmpfs (mount needs root or passwordless sudo, which this machine lacks)");
        }
        how.add("FullDiskFileSystemProvider injection (java.nio default provider replaced in a child JVM, ENOSPC after a random byte budget)");
        for (int i = 0; i < cfg.injectionTrials; i++) {
            String cmd = cmds[(i + 2) % 3];
            long need = treeBytes(reference.get(cmd));
            long budget = (long) (need * (0.05 + 0.9 * rng.nextDouble()));
            Path d = fresh("inject-" + cmd);
            Child ch = new Child(List.of("-Djava.nio.file.spi.DefaultFileSystemProvider=" + FullDiskFileSystemProvider.class.getName(),
                    "-D" + FullDiskFileSystemProvider.ROOT_PROPERTY + "=" + d.toAbsolutePath(), "-D" + FullDiskFileSystemProvider.BUDGET_PROPERTY + "=" + budget),
                    List.of(concat(cmdJob(cmd), "--out", d.toString())), Map.of());
            int rc = ch.waitFor(180);
            long exitNanos = System.nanoTime();
            Out o = ch.result(rc);
            String problem;
            if (rc == 0) problem = "(the run fit in " + budget + " bytes)";
            else problem = afterFullDisk(cmd, o, d, () -> { });
            double latency = ch.firstErrorNanos < 0 ? o.seconds : (exitNanos - ch.firstErrorNanos) * 1e-9;
            if (problem == null && latency > ERROR_SECONDS) problem = String.format(Locale.ROOT, "exited %.2f s after its error line", latency);
            add(cat, String.format(Locale.ROOT, "%s with %d of the %d bytes it writes (injected)", cmd, budget, need), problem, latency,
                    o.errorLines().isEmpty() ? "" : o.errorLines().get(0).replace(d.toString(), "D"));
        }
        rep.fullDiskHow = String.join("; ", how);
    }
}
