package org.mflowhpc.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.flow.HaarFlowModel;
import org.mflowhpc.group.Group;
import org.mflowhpc.io.Checkpoint;
import org.mflowhpc.io.CheckpointException;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.LrSchedule;
import org.mflowhpc.nn.Params;
import org.mflowhpc.observable.stats.Ess;
import org.mflowhpc.observable.stats.LogSumExp;

/**
 * Trainer: bit-identical resume (after a requested stop, after a crash between checkpoints, after a real SIGTERM
 * of a child JVM), checkpoint validation (wrong model, truncated file, flipped byte), non-finite handling,
 * metrics and plot output.
 */
class TrainerTest {
    static final CpuBackend BE = new CpuBackend(2);
    static final Lattice LAT = new Lattice(8, 8);

    static HaarFlowModel small(int layers) {
        return new HaarFlowModel(BE, Group.U1, LAT, Map.of("layers", layers, "flow", "ncp3", "hidden", List.of(4), "init_seed", 5L));
    }

    static Trainer.Options opts(Path dir, long steps) {
        Trainer.Options o = new Trainer.Options();
        o.runDir = dir; o.steps = steps; o.batch = 8; o.seed = 17; o.checkpointEvery = 4;
        o.schedule = LrSchedule.cosine(5e-3, steps, 1e-4); o.clipNorm = 5.0; o.weightDecay = 1e-4;
        o.log = null; o.plot = false;
        return o;
    }

    @Test void resumeAfterStopOrCrashIsBitIdentical(@TempDir Path tmp) throws Exception {
        HaarFlowModel ref = small(4);
        Trainer.Options oa = opts(tmp.resolve("a"), 12);
        oa.plot = true;
        Trainer a = new Trainer(ref, BE, 1.0, oa);
        Trainer.Result ra = a.run();
        assertEquals(Trainer.Status.COMPLETED, ra.status);
        assertTrue(Files.size(a.plotPath()) > 1000, "training.png written");
        List<String> ma = Files.readAllLines(a.metricsPath());
        assertEquals(12, ma.size());

        // (1) requested stop (what the SIGTERM hook does) after step 6, then resume
        HaarFlowModel m1 = small(4);
        Trainer b = new Trainer(m1, BE, 1.0, opts(tmp.resolve("b"), 12));
        b.setStepHook(() -> { if (b.step() == 6) b.requestStop(); });
        Trainer.Result rb = b.run();
        assertEquals(Trainer.Status.INTERRUPTED, rb.status);
        assertEquals(6, Checkpoint.read(b.checkpointPath()).step);
        HaarFlowModel m2 = small(4);
        Trainer b2 = new Trainer(m2, BE, 1.0, opts(tmp.resolve("b"), 12));
        b2.resume(b.checkpointPath());
        assertEquals(6, b2.step());
        assertEquals(Trainer.Status.COMPLETED, b2.run().status);
        assertArrayEquals(ref.params().valuesToHost(), m2.params().valuesToHost(), "params after resume");
        assertArrayEquals(a.adam().mToHost(), b2.adam().mToHost());
        assertArrayEquals(a.adam().vToHost(), b2.adam().vToHost());
        assertEquals(losses(ma), losses(Files.readAllLines(b2.metricsPath())));

        // (2) crash after step 6 with the last checkpoint at step 4: metrics lines 4, 5 are dropped and redone
        HaarFlowModel m3 = small(4);
        Trainer c = new Trainer(m3, BE, 1.0, opts(tmp.resolve("c"), 12));
        c.setStepHook(() -> { if (c.step() == 6) throw new IllegalStateException("simulated kill -9"); });
        assertThrows(IllegalStateException.class, c::run);
        assertEquals(6, Files.readAllLines(c.metricsPath()).size());
        HaarFlowModel m4 = small(4);
        Trainer c2 = new Trainer(m4, BE, 1.0, opts(tmp.resolve("c"), 12));
        c2.resume(c.checkpointPath());
        assertEquals(4, c2.step());
        c2.run();
        assertArrayEquals(ref.params().valuesToHost(), m4.params().valuesToHost(), "params after crash + resume");
        assertEquals(losses(ma), losses(Files.readAllLines(c2.metricsPath())));
    }

    static List<Double> losses(List<String> lines) {
        List<Double> l = new ArrayList<>();
        for (String s : lines) l.add(Double.parseDouble(s.replaceAll(".*\"loss\":([^,]*),.*", "$1")));
        return l;
    }

    @Test void checkpointValidationGivesOneLineErrors(@TempDir Path tmp) throws Exception {
        HaarFlowModel m = small(2);
        Trainer t = new Trainer(m, BE, 1.0, opts(tmp, 2));
        t.run();
        Path ck = t.checkpointPath();
        Checkpoint good = Checkpoint.read(ck);
        assertArrayEquals(m.params().valuesToHost(), good.array("params"));
        Trainer.validateCheckpoint(good, m, 1.0);

        List<CheckpointException> errs = new ArrayList<>();
        errs.add(assertThrows(CheckpointException.class, () -> new Trainer(small(3), BE, 1.0, opts(tmp, 4)).resume(ck)));
        errs.add(assertThrows(CheckpointException.class, () -> new Trainer(small(2), BE, 2.0, opts(tmp, 4)).resume(ck)));
        HaarFlowModel other = new HaarFlowModel(BE, Group.U1, new Lattice(8, 12), Map.of("layers", 2, "flow", "ncp3", "hidden", List.of(4), "init_seed", 5L));
        errs.add(assertThrows(CheckpointException.class, () -> Trainer.validateCheckpoint(good, other, 1.0)));
        HaarFlowModel spline = new HaarFlowModel(BE, Group.U1, LAT, Map.of("layers", 2, "flow", "rqs3", "hidden", List.of(4), "init_seed", 5L));
        errs.add(assertThrows(CheckpointException.class, () -> Trainer.validateCheckpoint(good, spline, 1.0)));

        byte[] bytes = Files.readAllBytes(ck);
        Path trunc = tmp.resolve("trunc.bin");
        Files.write(trunc, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        errs.add(assertThrows(CheckpointException.class, () -> Checkpoint.read(trunc)));
        for (int pos : new int[] {3, 20, bytes.length / 2, bytes.length - 1}) {
            byte[] f = bytes.clone();
            f[pos] ^= 0x10;
            Path flip = tmp.resolve("flip" + pos + ".bin");
            Files.write(flip, f);
            errs.add(assertThrows(CheckpointException.class, () -> Checkpoint.read(flip)));
        }
        errs.add(assertThrows(CheckpointException.class, () -> Checkpoint.read(tmp.resolve("missing.bin"))));
        for (CheckpointException e : errs) {
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
            assertTrue(e.getMessage().length() < 400, e.getMessage());
        }
        assertTrue(errs.get(1).getMessage().contains("beta"), errs.get(1).getMessage());
        assertTrue(errs.get(2).getMessage().contains("lattice"), errs.get(2).getMessage());
        assertTrue(errs.get(4).getMessage().contains("corrupted or truncated"), errs.get(4).getMessage());
    }

    /** Delegating model that poisons log q with NaN at chosen steps. */
    static final class Poisoned implements FlowModel {
        final FlowModel m; final Set<Long> bad; final boolean always;
        Poisoned(FlowModel m, Set<Long> bad, boolean always) { this.m = m; this.bad = bad; this.always = always; }
        public Group group() { return m.group(); }
        public Lattice lattice() { return m.lattice(); }
        public Params params() { return m.params(); }
        public String kind() { return m.kind(); }
        public Map<String, Object> config() { return m.config(); }
        public void sample(long seed, long step, GaugeField out, Buffer logQ) { m.sample(seed, step, out, logQ); }
        public void logDensity(GaugeField u, Buffer logQ) { m.logDensity(u, logQ); }
        public Object sampleForTraining(long seed, long step, GaugeField out, Buffer logQ) {
            Object t = m.sampleForTraining(seed, step, out, logQ);
            if (always || bad.contains(step)) logQ.owner().fill(logQ, 0, 1, Double.NaN);
            return t;
        }
        public void backward(Object tape, GaugeField out, Buffer gLinks, Buffer gLogQ) { m.backward(tape, out, gLinks, gLogQ); }
    }

    @Test void nonFiniteStepsAreSkippedAndTooManyStopTheRun(@TempDir Path tmp) throws Exception {
        Trainer t = new Trainer(new Poisoned(small(2), Set.of(2L, 3L), false), BE, 1.0, opts(tmp.resolve("a"), 8));
        Trainer.Result r = t.run();
        assertEquals(Trainer.Status.COMPLETED, r.status);
        assertEquals(2, r.skipped);
        assertEquals(0.25, t.lrFactor());
        assertEquals(6, t.adam().t());
        assertTrue(Files.readAllLines(t.metricsPath()).get(2).contains("\"skipped\":true"));

        HaarFlowModel base = small(2);
        double[] init = base.params().valuesToHost();
        Trainer.Options o = opts(tmp.resolve("b"), 100);
        o.maxConsecutiveBad = 3;
        Trainer d = new Trainer(new Poisoned(base, Set.of(), true), BE, 1.0, o);
        Trainer.Result rd = d.run();
        assertEquals(Trainer.Status.DIVERGED, rd.status);
        assertEquals(4, rd.step);
        assertTrue(rd.message.contains("consecutive"), rd.message);
        Checkpoint ck = Checkpoint.read(d.checkpointPath());
        assertArrayEquals(init, ck.array("params"));
        for (double v : ck.array("adam_v")) assertTrue(Double.isFinite(v));
    }

    @Test void essMatchesDirectFormula() {
        double[] lw = {-1.0, 0.3, 2.0, -0.5};
        double s1 = 0, s2 = 0;
        for (double x : lw) { s1 += Math.exp(x); s2 += Math.exp(2 * x); }
        assertEquals(s1 * s1 / (4 * s2), Ess.essFraction(lw), 1e-14);
        double[] big = {1000, 1000.5, 999};
        assertEquals(Ess.essFraction(new double[] {0, 0.5, -1}), Ess.essFraction(big), 1e-14);
        // the training loop's form from two backend log-sum-exps agrees
        assertEquals(s1 * s1 / (4 * s2), Ess.fromLogSums(LogSumExp.lse(lw), LogSumExp.lse(lw, 2.0), 4), 1e-14);
        // a diverged step's batch: NaN for the metrics line, not an exception
        assertTrue(Double.isNaN(Ess.fromLogSums(Double.NaN, 0, 2)));
        assertTrue(Double.isNaN(Ess.fromLogSums(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, 2)));
        assertTrue(Double.isNaN(Ess.fromLogSums(Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, 2)));
    }

    /** A real SIGTERM to a child JVM: it finishes its step, checkpoints, exits; resuming matches an uninterrupted run. */
    @Test void sigtermCheckpointsAndResumeIsBitIdentical(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "org.mflowhpc.train.TrainerSigtermMain", dir.toString(), "100000");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        long stoppedAfter = -1;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("STEP ") && Long.parseLong(line.substring(5)) >= 3) { p.toHandle().destroy(); break; } // SIGTERM (keeps our end of the pipe open)
            }
            StringBuilder rest = new StringBuilder();
            while ((line = r.readLine()) != null) rest.append(line).append('\n');
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child exits after SIGTERM");
            assertEquals(143, p.exitValue(), "child exit status after SIGTERM (128 + 15); output: " + rest);
            assertFalse(rest.toString().contains("RESULT COMPLETED"), rest.toString());
        }
        Checkpoint ck = Checkpoint.read(dir.resolve("checkpoint.bin"));
        stoppedAfter = ck.step;
        assertTrue(stoppedAfter >= 3 && stoppedAfter < 100000, "checkpoint at step " + stoppedAfter);
        long total = stoppedAfter + 3;
        HaarFlowModel resumed = TrainerSigtermMain.model(BE);
        Trainer t = new Trainer(resumed, BE, 1.0, TrainerSigtermMain.options(dir, total));
        t.resume(dir.resolve("checkpoint.bin"));
        t.run();
        HaarFlowModel ref = TrainerSigtermMain.model(BE);
        Trainer u = new Trainer(ref, BE, 1.0, TrainerSigtermMain.options(tmp.resolve("ref"), total));
        u.run();
        assertArrayEquals(ref.params().valuesToHost(), resumed.params().valuesToHost());
    }
}
