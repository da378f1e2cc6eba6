package org.mflowhpc.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault-injection harness ({@link FaultHarness}) at the size of the default suite: every category of issue 9
 * (bad options, run cards, errors as a real process, truncated and byte-flipped shards with at least 30 flips,
 * manifest tampering, swapped shards, corrupt checkpoints, SIGTERM and SIGKILL at random times in train, sample and
 * generate, concurrent writers, full disk), a fixed seed, one to two minutes on two shared cores. Nothing may be missed; the
 * table goes to target/faults-quick.md. The larger run is {@link FaultInjectionSlowTest}.
 */
class FaultInjectionTest {
    @Test void everyFaultIsCaughtAndNothingWrittenIsLost(@TempDir Path tmp) throws Exception {
        FaultHarness.Config cfg = FaultHarness.Config.quick();
        String only = System.getProperty("mflow.faults.only", ""); // e.g. -Dmflow.faults.only=concurrent,fullDisk (debugging)
        if (!only.isBlank()) cfg.only = java.util.Set.of(only.split(","));
        FaultHarness.Report r = new FaultHarness(tmp, cfg).run();
        String md = r.markdown("mvn test -Dtest=FaultInjectionTest", "quick (default suite)");
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "faults-quick.md"), md);
        if (only.isBlank()) {
            assertTrue(r.trials.size() >= 150, "trials: " + r.trials.size());
            assertTrue(r.count("byte-flipped shards", t -> true) >= 30);
        }
        assertTrue(r.missed().isEmpty(), r.missed().size() + " missed:\n"
                + r.missed().stream().map(t -> t.category() + ": " + t.name() + ": " + t.detail()).collect(Collectors.joining("\n")));
    }
}
