package org.mflowhpc.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.mflowhpc.cli.FaultHarness.cli;
import static org.mflowhpc.cli.FaultHarness.oneLineError;

import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.flow.HaarFlowModel;
import org.mflowhpc.group.Group;
import org.mflowhpc.io.DirectoryLock;
import org.mflowhpc.io.Ensemble;
import org.mflowhpc.io.IoErrors;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.LrSchedule;
import org.mflowhpc.testutil.FullDiskFileSystemProvider;
import org.mflowhpc.train.Trainer;

/**
 * One test per hole of issue 9 ("Holes found, each to close"), so that each stays closed: --out checks and I/O
 * messages, model options of the wrong type, sample --resume with fewer configurations, the MH chain after a
 * SIGKILL, generate --resume, verify and measure on damaged or foreign shards and manifests, the train lock, run
 * cards, measure on tiny lattices, byte-comparable checkpoints and metrics, and a full disk. (Errors that hung in the
 * shutdown hook, SIGTERM counts and SLURM task ids: {@link ShutdownTest}, {@link SlurmEnvTest}; all of it at random:
 * {@link FaultInjectionTest}.)
 */
class HardeningTest {
    @TempDir Path tmp;

    private static String[] gen(Path out, String... more) {
        String[] a = {"generate", "--group", "U1", "--lattice", "8x8", "--beta", "1.0", "--configs", "12", "--therm", "3", "--shard-size", "4",
                "--seed", "7", "--out", out.toString()};
        return FaultHarness.concat(a, more);
    }

    private Path model() {
        Path m = tmp.resolve("model");
        if (!Files.exists(m.resolve("checkpoint.bin")))
            assertEquals(0, cli("train", "--lattice", "4x4", "--beta", "1", "--model", "multiscale", "--steps", "2", "--batch", "4", "--out", m.toString()).rc());
        return m;
    }

    @Test void outMustBeAWritableDirectoryBelowTheRoot() throws Exception {
        Path file = tmp.resolve("f");
        Files.writeString(file, "x");
        String[][] cases = {{"", "empty string"}, {"/", "file-system root"}, {file.toString(), "not a directory"},
                {file + "/sub", "is not a directory"}};
        for (String[] c : cases) {
            for (String cmd : List.of("generate", "train", "sample")) {
                String[] args = cmd.equals("generate") ? gen(Path.of("x")) : cmd.equals("train")
                        ? new String[] {"train", "--lattice", "4x4", "--beta", "1", "--out", "x"}
                        : new String[] {"sample", "--model", model().toString(), "--configs", "2", "--out", "x"};
                args[args.length - 1] = c[0];
                FaultHarness.Out o = cli(args);
                assertNull(oneLineError(o, cmd), cmd + " --out '" + c[0] + "': " + o.err());
                assertTrue(o.errorLines().get(0).contains(c[1]), o.err());
            }
        }
        assertFalse(Files.exists(Path.of("/manifest.json")) && Files.exists(Path.of("/shard-00000.h5")), "nothing written into /");
    }

    @Test void ioErrorsNameThePathAndTheReason() {
        assertEquals("/x/y: permission denied", IoErrors.describe(new AccessDeniedException("/x/y")));
        assertEquals("/x/y: no such file or directory", IoErrors.describe(new NoSuchFileException("/x/y")));
        String full = IoErrors.describe(IoErrors.at(Path.of("/d/shard-00001.h5"), new java.io.IOException("No space left on device")));
        assertTrue(full.startsWith("/d/shard-00001.h5: disk full (no space left on device)"), full);
        assertTrue(IoErrors.describe(new java.io.IOException("wrapped", new java.io.IOException("Disk quota exceeded"))).contains("disk quota exceeded"));
    }

    @Test void modelOptionsOfTheWrongTypeAreOneLine() {
        for (String model : List.of("haar", "multiscale", "multiscale+flow"))
            for (String opt : List.of("hidden=abc", "layers=abc", "hidden=1.5")) {
                FaultHarness.Out o = cli("train", "--lattice", "8x8", "--beta", "1", "--model", model, "--model-option", opt, "--out", tmp.resolve("u").toString());
                if (o.rc() == 0) continue; // an option a model does not use is ignored by it (layers for multiscale)
                assertNull(oneLineError(o, "train"), model + " " + opt + ": " + o.err());
                assertFalse(o.err().contains("ClassCastException"), o.err());
            }
    }

    @Test void sampleResumeWithFewerConfigurationsIsRefusedAndEqualIsANoOp() throws Exception {
        Path s = tmp.resolve("s");
        String[] base = {"sample", "--model", model().toString(), "--mh", "--seed", "4", "--shard-size", "5", "--out", s.toString()};
        assertEquals(0, cli(FaultHarness.concat(base, "--configs", "10")).rc());
        FaultHarness.Out below = cli(FaultHarness.concat(base, "--configs", "4", "--resume"));
        assertNull(oneLineError(below, "sample"), below.err());
        assertTrue(below.errorLines().get(0).contains("already holds 10 configurations"), below.err());
        FaultHarness.Out same = cli(FaultHarness.concat(base, "--configs", "10", "--resume"));
        assertEquals(0, same.rc(), same.err());
        assertTrue(same.err().contains("nothing to do") && !same.err().matches("(?s).*\\s-\\d.*"), same.err());
        assertFalse(same.err().contains("NaN"), same.err());
    }

    @Test void aSigkilledMhChainContinuesBitIdentically() throws Exception {
        Path full = tmp.resolve("full"), part = tmp.resolve("part");
        String[] job = {"sample", "--model", model().toString(), "--mh", "--seed", "9", "--batch", "16", "--shard-size", "40", "--configs", "4000"};
        assertEquals(0, cli(FaultHarness.concat(job, "--out", full.toString())).rc());
        FaultHarness.Child c = new FaultHarness.Child(List.of(), List.of(FaultHarness.concat(job, "--out", part.toString())), Map.of());
        long end = System.nanoTime() + 60_000_000_000L;
        while (!Files.exists(part.resolve("shard-00001.h5")) && System.nanoTime() < end && c.p.isAlive()) Thread.sleep(5);
        c.sigkill(); // SIGKILL: no hook runs
        c.p.waitFor(30, TimeUnit.SECONDS);
        assertTrue(Files.exists(part.resolve("sampler-state.json")), "the sampler state exists from the start");
        FaultHarness.Out r = cli(FaultHarness.concat(job, "--resume", "--out", part.toString()));
        assertEquals(0, r.rc(), r.err());
        assertEquals(FaultHarness.content(full), FaultHarness.content(part));
    }

    @Test void generateResumeContinuesTheChainBitIdentically() throws Exception {
        String[][] algs = {{"U1", "8x8", "heatbath"}, {"U1", "8x8", "hmc"}, {"SU3", "4x4x2x2", "heatbath"}};
        for (String[] a : algs) {
            Path full = tmp.resolve("full-" + a[2] + a[0]), part = tmp.resolve("part-" + a[2] + a[0]);
            String[] base = {"generate", "--group", a[0], "--lattice", a[1], "--beta", a[0].equals("U1") ? "1.0" : "5.5", "--algorithm", a[2],
                    "--therm", "3", "--every", "2", "--shard-size", "3", "--seed", "5"};
            assertEquals(0, cli(FaultHarness.concat(base, "--configs", "10", "--out", full.toString())).rc());
            assertEquals(0, cli(FaultHarness.concat(base, "--configs", "4", "--out", part.toString())).rc());
            FaultHarness.Out r = cli(FaultHarness.concat(base, "--configs", "10", "--resume", "--out", part.toString()));
            assertEquals(0, r.rc(), r.err());
            assertEquals(FaultHarness.content(full), FaultHarness.content(part), String.join(" ", a));
            assertEquals(0, cli("verify", part.toString()).rc());
        }
        FaultHarness.Out other = cli(gen(tmp.resolve("part-heatbathU1"), "--seed", "6", "--resume", "--configs", "20"));
        assertNull(oneLineError(other, "generate"), other.err());
        FaultHarness.Out none = cli(gen(tmp.resolve("nothing-here"), "--resume"));
        assertNull(oneLineError(none, "generate"), none.err());
    }

    @Test void verifyCatchesAFlipInAnExtraDatasetOfAShardWithoutItsManifest() throws Exception {
        Path s = tmp.resolve("s");
        assertEquals(0, cli("sample", "--model", model().toString(), "--configs", "6", "--mh", "--out", s.toString()).rc());
        Path shard = s.resolve("shard-00000.h5");
        Map<String, long[]> regions = FaultHarness.datasetRegions(shard);
        for (String ds : List.of("log_w", "log_q", "accepted", "topological_charge", "proposal_log_w", "plaquette")) {
            byte[] b = Files.readAllBytes(shard);
            b[(int) regions.get(ds)[0] + 3] ^= 0x10;
            Path alone = tmp.resolve("alone-" + ds + ".h5");
            Files.write(alone, b);
            FaultHarness.Out v = cli("verify", alone.toString());
            assertEquals(1, v.rc(), ds + ": " + v.out() + v.err());
        }
    }

    @Test void verifyAndMeasureRefuseTamperedManifestsAndForeignShards() throws Exception {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        assertEquals(0, cli(gen(a)).rc());
        assertEquals(0, cli(gen(b, "--seed", "8")).rc());
        // trailing garbage
        Path t = copy(a, "trailing");
        Files.writeString(t.resolve("manifest.json"), Files.readString(t.resolve("manifest.json")) + "}{garbage");
        refused(t, "manifest.json");
        // a shard of the seed-8 run, with the manifest updated to its hash and size: only the metadata can tell
        Path sw = copy(a, "swapped");
        Files.copy(b.resolve("shard-00001.h5"), sw.resolve("shard-00001.h5"), StandardCopyOption.REPLACE_EXISTING);
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(sw.resolve("manifest.json").toFile());
        ((ObjectNode) root.get("shards").get(1)).put("sha256", FaultHarness.sha(sw.resolve("shard-00001.h5")))
                .put("bytes", Files.size(sw.resolve("shard-00001.h5")));
        Files.writeString(sw.resolve("manifest.json"), root.toPrettyString());
        String err = refused(sw, "seed");
        assertTrue(err.contains("shard-00001.h5"), err);
        // missing manifest, dropped shard, unlisted shard, shards exchanged
        Path nm = copy(a, "nomanifest");
        Files.delete(nm.resolve("manifest.json"));
        assertTrue(refused(nm, "no manifest.json").contains("nomanifest"));
        Path dropped = copy(a, "dropped");
        ObjectNode r2 = (ObjectNode) new ObjectMapper().readTree(dropped.resolve("manifest.json").toFile());
        ((ArrayNode) r2.get("shards")).remove(1);
        r2.put("n_configs", 8);
        Files.writeString(dropped.resolve("manifest.json"), r2.toPrettyString());
        Files.delete(dropped.resolve("shard-00001.h5"));
        refused(dropped, "config_index");
        Path unlisted = copy(a, "unlisted");
        Files.copy(b.resolve("shard-00002.h5"), unlisted.resolve("shard-00003.h5"));
        refused(unlisted, "not listed");
        Path ex = copy(a, "exchanged");
        Files.move(ex.resolve("shard-00000.h5"), ex.resolve("x"));
        Files.move(ex.resolve("shard-00001.h5"), ex.resolve("shard-00000.h5"));
        Files.move(ex.resolve("x"), ex.resolve("shard-00001.h5"));
        refused(ex, "shard-0000");
        // what measure reads is intact: it measures; a shard file given on its own is measured with a note
        assertEquals(0, cli("measure", a.toString()).rc());
        FaultHarness.Out alone = cli("measure", a.resolve("shard-00000.h5").toString());
        assertEquals(0, alone.rc(), alone.err());
        assertTrue(alone.err().contains("note:") && alone.err().contains("completeness"), alone.err());
    }

    private Path copy(Path from, String name) throws Exception {
        Path to = tmp.resolve(name);
        FaultHarness.copyDir(from, to);
        return to;
    }

    /** verify exits 1 and measure 2 with one line containing {@code fragment}; returns that line. */
    private static String refused(Path dir, String fragment) {
        FaultHarness.Out v = cli("verify", dir.toString());
        assertEquals(1, v.rc(), dir + ": " + v.out() + v.err());
        FaultHarness.Out m = cli("measure", dir.toString());
        assertNull(oneLineError(m, "measure"), dir + ": " + m.err());
        assertTrue(m.errorLines().get(0).contains(fragment), m.errorLines().get(0));
        return m.errorLines().get(0);
    }

    @Test void aSecondTrainRunInTheSameDirectoryIsRefused() throws Exception {
        Path d = tmp.resolve("t");
        try (DirectoryLock held = DirectoryLock.acquire(d, TrainCommand.LOCK, "train run")) {
            FaultHarness.Out o = cli("train", "--lattice", "4x4", "--beta", "1", "--model", "multiscale", "--steps", "2", "--batch", "2", "--out", d.toString());
            assertNull(oneLineError(o, "train"), o.err());
            assertTrue(o.errorLines().get(0).contains("another train run is active"), o.err());
            assertFalse(Files.exists(d.resolve("metrics.jsonl")) || Files.exists(d.resolve("checkpoint.bin")), "nothing written");
        }
        assertEquals(0, cli("train", "--lattice", "4x4", "--beta", "1", "--model", "multiscale", "--steps", "2", "--batch", "2", "--out", d.toString()).rc(),
                "the lock is released with its holder");
    }

    @Test void runCardsSayWhatIsWrongAndMeanWhatTheySay() throws Exception {
        Path card = tmp.resolve("c.toml");
        Files.writeString(card, "");
        assertTrue(cli("generate", "--card", card.toString(), "--out", tmp.resolve("x").toString()).err().contains("is empty"));
        assertTrue(cli("run", card.toString(), "--out", tmp.resolve("x").toString()).err().contains("is empty"));
        Files.writeString(card, "[generate]\ngroup = \"U1\"\nlattice = [4, 4]\nbeta = 1.0\nconfigs = 3\ntherm = 1\n");
        Path out = tmp.resolve("lat");
        assertEquals(0, cli("generate", "--card", card.toString(), "--out", out.toString()).rc());
        assertEquals(new Lattice(4, 4), Ensemble.open(out).meta().lattice(), "lattice = [4, 4] is 4x4");
        Files.writeString(card, "[generate]\ngroup = \"U1\"\n[generate.more]\nx = 1\n");
        assertTrue(cli("generate", "--card", card.toString(), "--out", tmp.resolve("x").toString()).err().contains("nested table 'more'"));
        Files.writeString(card, "[generate]\ngroup = \"U1\"\nlattice = \"4x4\"\nbeta = 1.0\nconfigs = 2\nout = \"elsewhere\"\n");
        FaultHarness.Out o = cli("run", card.toString(), "--out", tmp.resolve("r").toString());
        assertNull(oneLineError(o, "run"), o.err());
        assertTrue(o.err().contains("key 'out' in [generate]"), o.err());
        Files.writeString(card, "[generate]\ngroup = \"U1\"\nbeta = = 2\n");
        assertTrue(cli("generate", "--card", card.toString()).err().contains("line 3"), "syntax errors give their line");
        for (String sub : List.of("generate", "train", "sample", "measure", "verify", "info", "bench", "run"))
            assertTrue(cli(sub, "--help").out().contains("--card"), sub + " --help lists --card");
    }

    @Test void measureWorksOnTinyLatticesAndSaysWhenThereIsNoError() throws Exception {
        Path d = tmp.resolve("tiny");
        assertEquals(0, cli("generate", "--group", "U1", "--lattice", "2x2", "--beta", "1", "--configs", "6", "--therm", "2", "--out", d.toString()).rc());
        FaultHarness.Out m = cli("measure", "--json", d.toString());
        assertEquals(0, m.rc(), m.err());
        JsonNode j = new ObjectMapper().readTree(m.out());
        assertTrue(j.get("observables").has("W(1x1)") && !j.get("observables").has("W(2x2)"), m.out());
        assertNull(oneLineError(cli("measure", "--loops", "2x2", d.toString()), "measure"));
        FaultHarness.Out one = cli("measure", "--json", "--skip", "5", d.toString());
        assertEquals(0, one.rc(), one.err());
        assertTrue(one.err().contains("warning: only 1 configuration"), one.err());
        assertTrue(new ObjectMapper().readTree(one.out()).get("observables").get("plaquette").get("error").isNull(), one.out());
    }

    @Test void aResumedTrainingIsByteIdenticalToAnUninterruptedOne() throws Exception {
        try (CpuBackend be = new CpuBackend(2)) {
            Path a = tmp.resolve("a"), b = tmp.resolve("b");
            Trainer ta = new Trainer(haar(be), be, 1.0, opts(a));
            ta.run();
            Trainer tb = new Trainer(haar(be), be, 1.0, opts(b));
            tb.setStepHook(() -> { if (tb.step() == 7) tb.requestStop(); });
            assertEquals(Trainer.Status.INTERRUPTED, tb.run().status);
            Trainer tc = new Trainer(haar(be), be, 1.0, opts(b));
            tc.resume(tb.checkpointPath());
            tc.run();
            assertEquals(-1, Files.mismatch(ta.checkpointPath(), tc.checkpointPath()), "cmp checkpoint.bin");
            assertEquals(-1, Files.mismatch(ta.metricsPath(), tc.metricsPath()), "cmp metrics.jsonl");
            assertFalse(Files.readString(ta.metricsPath()).contains("wall_s"), "no wall clock in metrics.jsonl");
            List<String> timing = Files.readAllLines(tc.timingPath());
            assertEquals(12, timing.size());
            assertTrue(timing.get(11).contains("\"wall_s\""), timing.get(11));
        }
    }

    private static HaarFlowModel haar(CpuBackend be) {
        return new HaarFlowModel(be, Group.U1, new Lattice(4, 4), Map.of("layers", 2, "flow", "ncp2", "hidden", List.of(3), "init_seed", 9L));
    }

    private static Trainer.Options opts(Path dir) {
        Trainer.Options o = new Trainer.Options();
        o.runDir = dir; o.steps = 12; o.batch = 4; o.seed = 3; o.checkpointEvery = 5;
        o.schedule = LrSchedule.constant(1e-3); o.log = null; o.plot = false;
        return o;
    }

    @Test void aFullDiskSaysSoKeepsWhatWasPublishedAndResumes() throws Exception {
        Path full = tmp.resolve("full"), d = tmp.resolve("d");
        String[] job = gen(full, "--configs", "40", "--shard-size", "5");
        assertEquals(0, cli(job).rc());
        long need = Files.size(full.resolve("shard-00000.h5")) * 8;
        FaultHarness.Child c = new FaultHarness.Child(List.of("-Djava.nio.file.spi.DefaultFileSystemProvider=" + FullDiskFileSystemProvider.class.getName(),
                "-D" + FullDiskFileSystemProvider.ROOT_PROPERTY + "=" + d.toAbsolutePath(), "-D" + FullDiskFileSystemProvider.BUDGET_PROPERTY + "=" + need / 2),
                Arrays.asList(gen(d, "--configs", "40", "--shard-size", "5")), Map.of());
        FaultHarness.Out o = c.result(c.waitFor(120));
        assertNull(oneLineError(o, "generate"), o.err());
        assertTrue(o.errorLines().get(0).contains("disk full"), o.err());
        assertEquals(0, cli("verify", d.toString()).rc(), "what was published is intact and listed");
        assertEquals(0, cli(gen(d, "--configs", "40", "--shard-size", "5", "--resume")).rc());
        assertEquals(FaultHarness.content(full), FaultHarness.content(d));
    }
}
