package org.mflowhpc.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.io.Manifest;

/**
 * {@link Shutdown}, the one SIGTERM handler: scope callbacks and the sticky flag in-process; in real processes,
 * errors that used to wait 300 s in the hook exit within a second of their error line, and a SIGTERM to generate or
 * sample ends with exit 143 and a summary whose count is exactly what the manifest lists.
 */
class ShutdownTest {
    @TempDir Path tmp;

    @AfterEach void reset() { Shutdown.resetForTests(); }

    @Test void scopesRunTheirCallbackOnceAndTheFlagSticks() {
        AtomicInteger calls = new AtomicInteger();
        assertFalse(Shutdown.requested());
        int open = Shutdown.openScopes();
        try (Shutdown.Scope s = Shutdown.enter("mflow test", "stopping", calls::incrementAndGet)) {
            assertEquals(open + 1, Shutdown.openScopes());
            Shutdown.request("SIGTERM (simulated)");
            Shutdown.request("SIGTERM (simulated)");
            assertTrue(Shutdown.requested());
            assertEquals(1, calls.get(), "the callback runs once");
            try (Shutdown.Scope late = Shutdown.enter("mflow test", "stopping", calls::incrementAndGet)) {
                assertEquals(2, calls.get(), "a scope opened after the request is told at once");
            }
        }
        assertEquals(open, Shutdown.openScopes());
    }

    @Test void errorsExitWithinASecondOfTheirLine() throws Exception {
        List<List<String>> cases = List.of(
                List.of("train", "--lattice", "4x4", "--beta", "1", "--model", "multiscale", "--train-params", "nomatch", "--out", tmp.resolve("a").toString()),
                List.of("train", "--lattice", "8x8", "--beta", "1", "--model", "multiscale", "--batch", "3000000", "--out", tmp.resolve("b").toString()));
        for (List<String> args : cases) {
            FaultHarness.Child c = new FaultHarness.Child(List.of(), args, Map.of());
            int rc = c.waitFor(120);
            long exit = System.nanoTime();
            FaultHarness.Out o = c.result(rc);
            assertNull(FaultHarness.oneLineError(o, "train"), o.err());
            assertTrue(c.firstErrorNanos > 0);
            double latency = (exit - c.firstErrorNanos) * 1e-9;
            assertTrue(latency < 1.0, "exited " + latency + " s after the error line");
        }
    }

    @Test void sigtermPublishesAndReportsExactlyWhatIsPublished() throws Exception {
        Path m = tmp.resolve("m");
        assertEquals(0, FaultHarness.cli("train", "--lattice", "4x4", "--beta", "1", "--model", "multiscale", "--steps", "1", "--batch", "2",
                "--out", m.toString()).rc());
        List<List<String>> jobs = List.of(
                List.of("generate", "--group", "U1", "--lattice", "8x8", "--beta", "1", "--configs", "100000", "--therm", "0", "--shard-size", "64",
                        "--out", tmp.resolve("g").toString()),
                List.of("sample", "--model", m.toString(), "--configs", "1000000", "--mh", "--batch", "32", "--shard-size", "100",
                        "--out", tmp.resolve("s").toString()));
        Pattern count = Pattern.compile("published (\\d+) configurations.*holds (\\d+) of");
        for (List<String> job : jobs) {
            Path out = Path.of(job.get(job.size() - 1));
            FaultHarness.Child c = new FaultHarness.Child(List.of(), job, Map.of());
            long end = System.nanoTime() + 60_000_000_000L;
            while (!Files.exists(out.resolve("shard-00001.h5")) && System.nanoTime() < end) Thread.sleep(20);
            assertTrue(c.p.isAlive(), "still running after two shards");
            c.sigterm();
            long sent = System.nanoTime();
            assertTrue(c.p.waitFor(20, TimeUnit.SECONDS), "stops after SIGTERM");
            double stop = (System.nanoTime() - sent) * 1e-9;
            FaultHarness.Out o = c.result(c.waitFor(5));
            assertEquals(Main.EXIT_INTERRUPTED, o.rc(), o.err());
            assertTrue(stop < 10, "stopped in " + stop + " s");
            assertTrue(o.err().contains("stop requested (SIGTERM)"), job.get(0) + ": [" + o.err() + "] out [" + o.out() + "]");
            Matcher mm = count.matcher(o.err());
            assertTrue(mm.find(), o.err());
            long listed = Manifest.read(out.resolve("manifest.json")).totalConfigs();
            assertEquals(listed, Long.parseLong(mm.group(1)), "reported = published: " + o.err());
            assertEquals(listed, Long.parseLong(mm.group(2)));
            assertEquals(0, FaultHarness.cli("verify", out.toString()).rc());
        }
    }
}
