package org.mflowhpc.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault-injection harness at full size ({@link FaultHarness.Config#full}: 200 shard flips, 100 checkpoint flips,
 * six SIGTERM and six SIGKILL trials per command, tmpfs and injected full disks), tagged slow (about 5 minutes on two
 * cores). Writes the table to the file named by -Dmflow.faults.out (default target/faults-full.md); the committed
 * benchmarks/results/2026-12-01-faults.md was made with
 * {@code mvn -o test -Pslow -Dtest=FaultInjectionSlowTest -Dmflow.faults.out=benchmarks/results/2026-12-01-faults.md}.
 */
@Tag("slow")
class FaultInjectionSlowTest {
    static final String COMMAND = "mvn -o test -Pslow -Dtest=FaultInjectionSlowTest -Dmflow.faults.out=benchmarks/results/2026-12-01-faults.md";

    @Test void everyFaultIsCaughtAtFullSize(@TempDir Path tmp) throws Exception {
        FaultHarness.Report r = new FaultHarness(tmp, FaultHarness.Config.full()).run();
        Path out = Path.of(System.getProperty("mflow.faults.out", "target/faults-full.md"));
        if (out.getParent() != null) Files.createDirectories(out.getParent());
        Files.writeString(out, r.markdown(COMMAND, "full (FaultHarness.Config.full(), seed 20261201)"));
        assertTrue(r.missed().isEmpty(), r.missed().size() + " missed:\n"
                + r.missed().stream().map(t -> t.category() + ": " + t.name() + ": " + t.detail()).collect(Collectors.joining("\n")));
    }
}
