package org.mflowhpc.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.backend.host.HostBackend;

/** {@code mflow selfcheck}: runs on host (or cpu), writes its report once, refuses bad options in one line. */
class SelfCheckCliTest {
    @TempDir Path tmp;

    static String backend() { return HostBackend.available() ? "host" : "cpu"; }

    @Test void selfcheckPassesAndWritesAReport() throws Exception {
        Path rep = tmp.resolve("sub/check.md");
        CliTest.Out o = CliTest.run("selfcheck", "--backend", backend(), "--only", "^(plaquettes|conv|sum) ", "--timings", "--size", "tiny",
                "--sections", "copies", "--report", rep.toString());
        assertEquals(0, o.rc(), o.out() + o.err());
        assertTrue(o.out().contains("selfcheck: backend " + backend()) && o.out().matches("(?s).*selfcheck: \\d+ checks, 0 failed.*"), o.out());
        String md = Files.readString(rep);
        assertTrue(md.startsWith("# mflow selfcheck: backend " + backend()) && md.contains("PASS  plaquettes") && md.contains("| upload (host to device)"), md);
        CliTest.Out again = CliTest.run("selfcheck", "--backend", backend(), "--only", "^sum ", "--report", rep.toString());
        assertEquals(2, again.rc());
        assertEquals(1, again.err().strip().lines().count(), again.err());
        assertTrue(again.err().contains("exists"), again.err());
    }

    @Test void badOptionsGiveOneLine() {
        String[][] cases = {{"selfcheck", "--size", "huge"}, {"selfcheck", "--sections", "disks", "--timings"}, {"selfcheck", "--only", "(("},
                {"selfcheck", "--no-contract"}, {"selfcheck", "--backend", "tpu"}};
        for (String[] c : cases) {
            CliTest.Out o = CliTest.run(c);
            assertEquals(2, o.rc(), String.join(" ", c) + " " + o.err());
            assertEquals(1, o.err().strip().lines().count(), o.err());
            assertTrue(o.err().startsWith("mflow selfcheck: error: "), o.err());
        }
    }
}
