package org.mflowhpc.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.rng.RngStream;

/**
 * Shared fixtures of the io tests: random (never trivial) U(1) and SU(3) batches from keyed Philox streams, their
 * action and plaquette from the CPU backend, file byte snapshots, one-line message checks, and the external-tool
 * gate (h5py, h5dump): missing tools fail the test when the environment variable CI is set, skip it otherwise.
 */
final class IoFixtures {
    private IoFixtures() {}

    static final Lattice L2 = new Lattice(8, 6);
    static final Lattice L4 = new Lattice(4, 4, 2, 4);
    /** The backend the fixtures' fields live on (single-threaded CPU: no pool to close). */
    static final Backend BE = new CpuBackend(1);

    static GaugeField randomU1(Lattice lat, int n, long seed) {
        double[] h = new double[GaugeField.checkedSize(Group.U1, lat, n)];
        int cs = h.length / n;
        for (int b = 0; b < n; b++) {
            RngStream r = new RngStream(seed, RngStream.Domain.TEST, b, 0);
            for (int i = 0; i < cs; i++) h[b * cs + i] = r.angle();
        }
        return GaugeField.fromHost(BE, Group.U1, lat, n, h);
    }

    static GaugeField randomSU3(Lattice lat, int n, long seed) {
        double[] h = new double[GaugeField.checkedSize(Group.SU3, lat, n)];
        int cs = h.length / n;
        for (int b = 0; b < n; b++) {
            RngStream r = new RngStream(seed, RngStream.Domain.TEST, b, 1);
            for (int o = b * cs; o < (b + 1) * cs; o += 18) SU3.haar(r, h, o);
        }
        return GaugeField.fromHost(BE, Group.SU3, lat, n, h);
    }

    static double[] action(GaugeField f, double beta) {
        Buffer a = f.backend().alloc(f.batch);
        f.backend().action(f, beta, a, 0);
        return f.backend().download(a);
    }

    static double[] plaquette(GaugeField f) {
        Buffer p = f.backend().alloc(f.batch);
        f.backend().meanPlaquette(f, p, 0);
        return f.backend().download(p);
    }

    static EnsembleMeta meta(GaugeField f, double beta, String algorithm) {
        return EnsembleMeta.of(f.group, f.lattice, beta, algorithm, 20240611L);
    }

    /** Writes shard {@code index} of f with computed action/plaquette and no extras. */
    static ShardEntry writeShard(Path dir, int index, EnsembleMeta m, GaugeField f, long first) throws IOException {
        return ShardWriter.write(dir, index, m, f, action(f, m.beta()), plaquette(f), null, null, first);
    }

    static byte[] bytes(Path p) throws IOException { return Files.readAllBytes(p); }

    /** Asserts a one-line message that names the file and contains every fragment. */
    static void assertOneLine(String msg, Path file, String... fragments) {
        assertFalse(msg.contains("\n") || msg.contains("\r"), "message must be one line: " + msg);
        assertTrue(msg.contains(file.toString()), "message must name " + file + ": " + msg);
        for (String s : fragments) assertTrue(msg.contains(s), "message must mention '" + s + "': " + msg);
    }

    static final String PYTHON = "/usr/bin/python3";

    /** Fails (CI set) or skips (otherwise) unless the probe command succeeds. */
    static void requireTool(String what, String... probe) {
        requireTool(System.getenv("CI") != null, what, probe);
    }

    static void requireTool(boolean ci, String what, String... probe) {
        String reason = null;
        try {
            Process p = new ProcessBuilder(probe).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) { p.destroyForcibly(); reason = "timed out"; }
            else if (p.exitValue() != 0) reason = "exit " + p.exitValue() + ": " + out.strip();
        } catch (IOException e) {
            reason = e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reason = "interrupted";
        }
        if (reason == null) return;
        String msg = what + " is required for this test but unavailable (" + reason + "); install it with: apt-get install hdf5-tools python3-h5py";
        if (ci) fail(msg);
        Assumptions.assumeTrue(false, msg);
    }

    /** Runs a command, returns stdout+stderr; asserts exit 0. */
    static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) { p.destroyForcibly(); fail("timed out: " + cmd); }
        assertEquals(0, p.exitValue(), () -> "command failed: " + cmd + "\n" + out);
        return out;
    }
}
