package org.mflowhpc.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.mflowhpc.cli.CliTest.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sample --array / merge through the CLI: tasks run separately (here: a child JVM per interrupted task, with
 * SLURM_ARRAY_TASK_ID and a real SIGTERM, resumed with --resume) give exactly the files of the same tasks run one
 * after another in one process (--tasks), so the merged indexes are byte-identical; measure gives the same
 * numbers; incomplete tasks are not merged; the option errors are one line and exit 2.
 */
class ArrayCliTest {
    @TempDir static Path shared;
    static Path model;

    @BeforeAll static void trainModel() {
        model = shared.resolve("model");
        CliTest.Out t = run("train", "--lattice", "4x4", "--beta", "1.5", "--model", "haar", "--steps", "3", "--batch", "8",
                "--seed", "5", "--out", model.toString());
        assertEquals(0, t.rc(), t.err());
    }

    private static String[] sample(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("sample", "--model", model.toString(), "--mh", "--seed", "3", "--batch", "8",
                "--shard-size", "6", "--configs", "150", "--array", "--out", out.toString()));
        a.addAll(Arrays.asList(more));
        return a.toArray(new String[0]);
    }

    /** Relative path -> bytes of every file below dir, except the writer locks. */
    private static TreeSet<String> files(Path dir) throws IOException {
        TreeSet<String> s = new TreeSet<>();
        try (Stream<Path> w = Files.walk(dir)) {
            w.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals(".writer.lock"))
                    .forEach(p -> s.add(dir.relativize(p).toString()));
        }
        return s;
    }

    /** Starts task {@code task} in a child JVM (SLURM_ARRAY_TASK_ID set) and sends SIGTERM once a shard exists. */
    private static void interruptedChild(Path out, int task, String onSigterm) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), "org.mflowhpc.cli.Main"));
        cmd.addAll(Arrays.asList(sample(out, "--resume", "--on-sigterm", onSigterm, "--threads", "1")));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("SLURM_ARRAY_TASK_ID", Integer.toString(task));
        pb.environment().put("SLURM_JOB_ID", "4242");
        Path log = out.resolveSibling("child-" + task + ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        Path first = out.resolve(String.format("task-%05d", task)).resolve("shard-00001.h5");
        long t0 = System.nanoTime();
        while (!Files.exists(first) && p.isAlive() && System.nanoTime() - t0 < 60_000_000_000L) Thread.sleep(20);
        assertTrue(p.isAlive(), "child still sampling when the signal is sent: " + Files.readString(log));
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String text = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(143, p.exitValue(), text);
        assertTrue(text.contains("stopped (SIGTERM); published"), text);
    }

    @Test void separatelyRunAndInterruptedTasksEqualOneProcessByteForByte() throws Exception {
        Path ref = shared.resolve("ref"), ens = shared.resolve("ens");
        CliTest.Out r = run(sample(ref, "--tasks", "0-3"));
        assertEquals(0, r.rc(), r.err());

        // tasks 0 and 3 in separate runs; tasks 1 (finish) and 2 (drop) interrupted by SIGTERM in a child JVM
        assertEquals(0, run(sample(ens, "--tasks", "0", "--resume")).rc());
        interruptedChild(ens, 1, "finish");
        interruptedChild(ens, 2, "drop");
        CliTest.Out early = run("merge", ens.toString(), "--tasks", "0-3");
        assertEquals(2, early.rc());
        assertTrue(early.err().contains("task-00001") || early.err().contains("task-00003"), early.err());
        assertFalse(Files.exists(ens.resolve("index.json")));
        assertEquals(0, run(sample(ens, "--tasks", "3")).rc());
        CliTest.Out inc = run("merge", ens.toString(), "--tasks", "0-3");
        assertEquals(2, inc.rc());
        assertTrue(inc.err().contains("task-00001") && inc.err().contains("incomplete") && inc.err().contains("--resume"), inc.err());
        assertEquals(0, run(sample(ens, "--tasks", "0-3", "--resume")).rc()); // continues 1 and 2; 0 and 3 are complete

        assertEquals(0, run("merge", ref.toString()).rc());
        CliTest.Out m = run("merge", ens.toString(), "--tasks", "0-3");
        assertEquals(0, m.rc(), m.err());
        assertTrue(m.out().contains("600 configurations"), m.out());
        assertEquals(files(ref), files(ens));
        for (String f : files(ref))
            assertArrayEquals(Files.readAllBytes(ref.resolve(f)), Files.readAllBytes(ens.resolve(f)), f + " differs");

        assertEquals(0, run("verify", ens.toString()).rc());
        CliTest.Out a = run("measure", "--json", ens.toString()), b = run("measure", "--json", ref.toString());
        assertEquals(0, a.rc(), a.err());
        assertEquals(b.out(), a.out());
        assertTrue(a.out().contains("\"configurations\" : 600"), a.out());
    }

    @Test void arrayOptionErrorsAreOneLine(@TempDir Path tmp) throws Exception {
        Path ens = tmp.resolve("ens");
        if (System.getenv("SLURM_ARRAY_TASK_ID") == null) {
            CliTest.Out noTask = run(sample(ens));
            assertEquals(2, noTask.rc());
            assertTrue(noTask.err().contains("--array needs SLURM_ARRAY_TASK_ID"), noTask.err());
        }
        CliTest.Out noArray = run("sample", "--model", model.toString(), "--configs", "4", "--tasks", "0-1", "--out", ens.toString());
        assertEquals(2, noArray.rc());
        assertTrue(noArray.err().contains("--tasks needs --array"), noArray.err());
        CliTest.Out badList = run(sample(ens, "--tasks", "3-1"));
        assertEquals(2, badList.rc());
        assertTrue(badList.err().contains("bad task list"), badList.err());
        CliTest.Out badTerm = run(sample(ens, "--tasks", "0", "--on-sigterm", "later"));
        assertEquals(2, badTerm.rc());
        assertTrue(badTerm.err().contains("--on-sigterm must be flush, finish or drop"), badTerm.err());

        assertEquals(0, run("sample", "--model", model.toString(), "--configs", "12", "--batch", "8", "--array", "--tasks", "0-1",
                "--out", ens.toString()).rc());
        CliTest.Out plain = run("sample", "--model", model.toString(), "--configs", "4", "--out", ens.toString());
        assertEquals(2, plain.rc());
        assertTrue(plain.err().contains("is an array ensemble") && plain.err().contains("--array"), plain.err());
        CliTest.Out again = run("sample", "--model", model.toString(), "--configs", "12", "--batch", "8", "--array", "--tasks", "1",
                "--out", ens.toString());
        assertEquals(2, again.rc(), "an existing task without --resume is refused");
        CliTest.Out unmerged = run("measure", ens.toString());
        assertEquals(2, unmerged.rc());
        assertTrue(unmerged.err().contains("mflow merge"), unmerged.err());
        CliTest.Out gen = run(CliTest.gen(ens));
        assertEquals(2, gen.rc());
        assertTrue(gen.err().contains("array ensemble"), gen.err());
        CliTest.Out missing = run("merge", ens.toString(), "--tasks", "0-2");
        assertEquals(2, missing.rc());
        assertTrue(missing.err().contains("task-00002") && missing.err().contains("is missing"), missing.err());
        CliTest.Out ok = run("merge", ens.toString());
        assertEquals(0, ok.rc(), ok.err());
        assertEquals(0, run("measure", ens.toString()).rc());
        CliTest.Out noDir = run("merge", tmp.resolve("nope").toString());
        assertEquals(2, noDir.rc());
        assertTrue(noDir.err().startsWith("mflow merge: error: ") && noDir.err().strip().lines().count() == 1, noDir.err());
    }
}
