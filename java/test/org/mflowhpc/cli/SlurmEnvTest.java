package org.mflowhpc.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SlurmEnv}: the one reader of the SLURM environment parses task id, count, job ids and restart count
 * strictly; malformed values ("abc", negative, overflowing, outside MIN/MAX) are one-line {@link UserError}s naming
 * the variable; a real {@code sample} process with SLURM_ARRAY_TASK_ID=abc or -3 exits 2 with that one line.
 */
class SlurmEnvTest {
    @TempDir Path tmp;

    @Test void validValuesAreParsed() {
        SlurmEnv e = SlurmEnv.of(Map.of("SLURM_JOB_ID", "1234", "SLURM_ARRAY_JOB_ID", "1200", "SLURM_ARRAY_TASK_ID", " 3 ",
                "SLURM_ARRAY_TASK_COUNT", "8", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "7", "SLURM_RESTART_COUNT", "2", "PATH", "/bin"));
        assertTrue(e.underSlurm());
        assertTrue(e.isArrayTask());
        assertEquals(1234, e.jobId().getAsLong());
        assertEquals(1200, e.arrayJobId().getAsLong());
        assertEquals(3, e.taskId());
        assertEquals(8, e.taskCount().getAsInt());
        assertEquals(2, e.restartCount());
        assertSame(e, e.validate());
        assertEquals("job 1234 (array 1200, task 3 of 8), restart 2", e.describe());

        SlurmEnv none = SlurmEnv.of(Map.of("HOME", "/root"));
        assertFalse(none.underSlurm());
        assertEquals(0, none.taskId(), "outside an array the task is 0");
        assertTrue(none.jobId().isEmpty());
        assertEquals(0, none.restartCount());
        assertEquals("not under SLURM", none.describe());
    }

    @Test void malformedValuesAreOneLineErrors() {
        String[][] bad = {
            {"SLURM_ARRAY_TASK_ID", "abc"}, {"SLURM_ARRAY_TASK_ID", "-3"}, {"SLURM_ARRAY_TASK_ID", "1.5"}, {"SLURM_ARRAY_TASK_ID", "3a"},
            {"SLURM_ARRAY_TASK_ID", "99999999999"}, {"SLURM_ARRAY_TASK_ID", "+4"}, {"SLURM_JOB_ID", "x12"}, {"SLURM_ARRAY_TASK_COUNT", "0"},
            {"SLURM_RESTART_COUNT", "-1"}, {"SLURM_ARRAY_JOB_ID", "12345678901234567890123"},
        };
        for (String[] b : bad) {
            UserError e = assertThrows(UserError.class, () -> SlurmEnv.of(Map.of(b[0], b[1])).validate(), b[0] + "=" + b[1]);
            assertTrue(e.getMessage().startsWith(b[0] + "='"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
        UserError out = assertThrows(UserError.class,
                () -> SlurmEnv.of(Map.of("SLURM_ARRAY_TASK_ID", "9", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "7")).taskId());
        assertTrue(out.getMessage().contains("outside the array's range [0, 7]"), out.getMessage());
        // commands that do not use the task id are not stopped by it: only the accessor that needs it throws
        assertTrue(SlurmEnv.of(Map.of("SLURM_ARRAY_TASK_ID", "abc", "SLURM_JOB_ID", "5")).underSlurm());
    }

    @Test void aSampleProcessRefusesAMalformedTaskId() throws Exception {
        Path m = tmp.resolve("m");
        assertEquals(0, FaultHarness.cli("train", "--lattice", "4x4", "--beta", "1", "--model", "multiscale", "--steps", "1", "--batch", "2",
                "--out", m.toString()).rc());
        for (String id : List.of("abc", "-3")) {
            Path out = tmp.resolve("s" + id);
            FaultHarness.Child c = new FaultHarness.Child(List.of(), List.of("sample", "--model", m.toString(), "--configs", "2", "--out", out.toString()),
                    Map.of("SLURM_ARRAY_TASK_ID", id));
            FaultHarness.Out o = c.result(c.waitFor(60));
            assertNull(FaultHarness.oneLineError(o, "sample"), o.err());
            assertTrue(o.errorLines().get(0).contains("SLURM_ARRAY_TASK_ID='" + id + "'"), o.err());
            assertFalse(out.toFile().exists(), "nothing written");
        }
    }
}
