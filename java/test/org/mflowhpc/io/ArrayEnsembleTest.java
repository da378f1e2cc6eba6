package org.mflowhpc.io;

import static org.junit.jupiter.api.Assertions.*;
import static org.mflowhpc.io.IoFixtures.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.lattice.GaugeField;

/**
 * Array ensembles (task-NNNNN directories joined by index.json): the index is built from what is on disk and read
 * back identically; Ensemble.open yields the tasks' configurations in task order; and every way the union could
 * silently be wrong is refused by merge, by every open and by verify: a missing, unlisted, unexpected, running,
 * renamed/swapped or resumed-after-merge task, a tampered index, configurations duplicated across tasks.
 */
class ArrayEnsembleTest {
    @TempDir Path tmp;

    /** Task {@code task} of an array: n random U(1) configurations in shards of {@code perShard}. */
    static GaugeField writeTask(Path ens, int task, int n, int perShard, long dataSeed) throws IOException {
        GaugeField f = randomU1(L2, n, dataSeed);
        EnsembleMeta m = EnsembleMeta.of(f.group, f.lattice, 2.0, "flow-reweight", 11).withExtra("model_kind", "haar")
                .withExtra(ArrayEnsemble.TASK_EXTRA, (long) task);
        try (EnsembleWriter w = EnsembleWriter.create(ens.resolve(ArrayEnsemble.taskDirName(task)), m, perShard)) {
            w.append(f, null, null);
        }
        return f;
    }

    private Path fourTasks(List<double[]> data) throws IOException {
        Path ens = tmp.resolve("ens");
        for (int t = 0; t < 4; t++) data.add(writeTask(ens, t, 3 + t, 2, 100 + t).toHost());
        return ens;
    }

    private static ArrayEnsemble.Index merge(Path ens, String tasks) throws IOException {
        SortedSet<Integer> exp = tasks == null ? null : ArrayEnsemble.parseTasks(tasks);
        ArrayEnsemble.Index idx = ArrayEnsemble.build(ens, exp, null);
        idx.write(ens);
        return idx;
    }

    @Test void indexRoundTripsAndTheEnsembleIsTheTasksInOrder() throws Exception {
        List<double[]> data = new ArrayList<>();
        Path ens = fourTasks(data);
        ArrayEnsemble.Index idx = merge(ens, "0-3");
        assertEquals(3 + 4 + 5 + 6, idx.totalConfigs());
        assertEquals(List.of(0L, 3L, 7L, 12L), idx.tasks().stream().map(ArrayEnsemble.Task::firstConfigIndex).toList());
        assertEquals(idx, ArrayEnsemble.Index.read(ens.resolve(ArrayEnsemble.INDEX)));
        byte[] first = Files.readAllBytes(ens.resolve(ArrayEnsemble.INDEX));
        merge(ens, null); // same tasks found on disk: byte-identical index (no timestamps)
        assertArrayEquals(first, Files.readAllBytes(ens.resolve(ArrayEnsemble.INDEX)));
        assertFalse(idx.meta().extra().containsKey(ArrayEnsemble.TASK_EXTRA));

        Ensemble e = Ensemble.open(ens);
        assertEquals(18, e.size());
        int len = 0;
        for (double[] d : data) len += d.length;
        double[] expect = new double[len];
        int o = 0;
        for (double[] d : data) { System.arraycopy(d, 0, expect, o, d.length); o += d.length; }
        assertArrayEquals(expect, e.readAllConfigData());
        Verifier.Report r = Verifier.verify(BE, ens);
        assertTrue(r.ok(), r.faults().toString());
        assertEquals(18, r.configsChecked());
    }

    @Test void mergeRefusesMissingUnexpectedAndGappedTasks() throws Exception {
        Path ens = tmp.resolve("ens");
        for (int t : new int[] {0, 1, 3}) writeTask(ens, t, 2, 2, t);
        EnsembleFormatException a = assertThrows(EnsembleFormatException.class, () -> merge(ens, "0-3"));
        assertOneLine(a.getMessage(), ens.resolve("task-00002"), "is missing", "0-3");
        EnsembleFormatException b = assertThrows(EnsembleFormatException.class, () -> merge(ens, null));
        assertOneLine(b.getMessage(), ens.resolve("task-00002"), "is missing", "0-1,3");
        EnsembleFormatException c = assertThrows(EnsembleFormatException.class, () -> merge(ens, "0-1"));
        assertOneLine(c.getMessage(), ens.resolve("task-00003"), "not among the expected tasks 0-1");
        assertFalse(Files.exists(ens.resolve(ArrayEnsemble.INDEX)), "nothing written on refusal");
        assertEquals(6, merge(ens, "0,1,3").totalConfigs()); // an explicit non-contiguous set is fine
    }

    @Test void renamedOrSwappedTaskDirectoriesAreCaught() throws Exception {
        List<double[]> data = new ArrayList<>();
        Path ens = fourTasks(data);
        merge(ens, "0-3");
        Path t1 = ens.resolve("task-00001"), t2 = ens.resolve("task-00002"), x = ens.resolve("x");
        Files.move(t1, x);
        Files.move(t2, t1);
        Files.move(x, t2);
        EnsembleFormatException open = assertThrows(EnsembleFormatException.class, () -> Ensemble.open(ens));
        assertTrue(open.getMessage().contains("task-00001"), open.getMessage());
        Verifier.Report r = Verifier.verify(BE, ens);
        assertFalse(r.ok());
        assertTrue(r.faults().stream().anyMatch(f -> f.contains("slurm_task = 2") && f.contains("task-00001")), r.faults().toString());
        EnsembleFormatException m = assertThrows(EnsembleFormatException.class, () -> merge(ens, "0-3"));
        assertOneLine(m.getMessage(), t1.resolve("manifest.json"), "records slurm_task = 2", "renamed, swapped or copied");
    }

    @Test void aTaskChangedOrAddedAfterTheMergeMakesTheIndexStale() throws Exception {
        List<double[]> data = new ArrayList<>();
        Path ens = fourTasks(data);
        merge(ens, "0-3");
        // task 1 resumed after the merge: one more shard
        Path td = ens.resolve("task-00001");
        EnsembleMeta m = Manifest.read(td.resolve("manifest.json")).meta();
        try (EnsembleWriter w = EnsembleWriter.open(td, m, 2, EnsembleWriter.Mode.RESUME)) { w.append(randomU1(L2, 2, 77), null, null); }
        EnsembleFormatException e = assertThrows(EnsembleFormatException.class, () -> Ensemble.open(ens));
        assertOneLine(e.getMessage(), td.resolve("manifest.json"), "changed since index.json was written", "rerun 'mflow merge'");
        assertTrue(Verifier.verify(BE, ens).faults().stream().anyMatch(f -> f.contains("changed since index.json")));
        merge(ens, "0-3");
        assertEquals(20, Ensemble.open(ens).size());
        // a task directory that appears after the merge
        writeTask(ens, 4, 2, 2, 44);
        EnsembleFormatException u = assertThrows(EnsembleFormatException.class, () -> Ensemble.open(ens));
        assertOneLine(u.getMessage(), ens.resolve("task-00004"), "is not listed in", "out of date");
        assertTrue(Verifier.verify(BE, ens).faults().stream().anyMatch(f -> f.contains("task-00004") && f.contains("not listed")));
        // a listed task that disappears
        merge(ens, "0-4");
        Files.move(ens.resolve("task-00004"), tmp.resolve("gone"));
        assertThrows(EnsembleFormatException.class, () -> Ensemble.open(ens));
        assertFalse(Verifier.verify(BE, ens).ok());
    }

    @Test void unmergedArraysAndTamperedIndexesAreRefused() throws Exception {
        List<double[]> data = new ArrayList<>();
        Path ens = fourTasks(data);
        EnsembleFormatException e = assertThrows(EnsembleFormatException.class, () -> Ensemble.open(ens));
        assertOneLine(e.getMessage(), ens, "no index.json", "mflow merge");
        Verifier.Report r = Verifier.verify(BE, ens);
        assertTrue(r.faults().stream().anyMatch(f -> f.contains("index.json") && f.contains("missing")), r.faults().toString());
        assertEquals(18, r.configsChecked(), "the task directories are still verified");

        merge(ens, "0-3");
        Path ip = ens.resolve(ArrayEnsemble.INDEX);
        String good = Files.readString(ip);
        for (String bad : new String[] {good + "{}", good.replace("\"n_configs\" : 18", "\"n_configs\" : 17"),
                good.replace("\"first_config_index\" : 3,", "\"first_config_index\" : 4,"), good.replace("task-00002", "task-00009"),
                good.substring(0, good.length() / 2), good.replace("mflow-hpc-ensemble-index", "mflow-hpc-ensemble")}) {
            Files.writeString(ip, bad);
            EnsembleFormatException t = assertThrows(EnsembleFormatException.class, () -> Ensemble.open(ens), bad);
            assertOneLine(t.getMessage(), ip);
            assertFalse(Verifier.verify(BE, ens).ok());
        }
        Files.writeString(ip, good);
        assertTrue(Verifier.verify(BE, ens).ok());
    }

    @Test void configurationsRepeatedAcrossTasksAreFaults() throws Exception {
        Path ens = tmp.resolve("ens");
        writeTask(ens, 0, 3, 2, 5);
        writeTask(ens, 1, 3, 2, 5); // the same stream as task 0: a task run twice under two numbers
        merge(ens, "0-1");
        Verifier.Report r = Verifier.verify(BE, ens);
        assertTrue(r.faults().stream().anyMatch(f -> f.contains("3 configuration(s) duplicate") && f.contains("task-00000")), r.faults().toString());
    }

    @Test void runningTasksAndPlainEnsemblesAreNotMerged() throws Exception {
        Path ens = tmp.resolve("ens");
        writeTask(ens, 0, 2, 2, 1);
        GaugeField f = randomU1(L2, 2, 2);
        EnsembleMeta m = EnsembleMeta.of(f.group, f.lattice, 2.0, "flow-reweight", 11).withExtra("model_kind", "haar")
                .withExtra(ArrayEnsemble.TASK_EXTRA, 1L);
        try (EnsembleWriter w = EnsembleWriter.create(ens.resolve("task-00001"), m, 2)) {
            w.append(f, null, null);
            EnsembleFormatException e = assertThrows(EnsembleFormatException.class, () -> merge(ens, null));
            assertOneLine(e.getMessage(), ens.resolve("task-00001"), "still being written");
        }
        assertEquals(4, merge(ens, null).totalConfigs());

        Path plain = tmp.resolve("plain");
        try (EnsembleWriter w = EnsembleWriter.create(plain, meta(f, 2.0, "hmc"), 2)) { w.append(f, null, null); }
        EnsembleFormatException p = assertThrows(EnsembleFormatException.class, () -> merge(plain, null));
        assertOneLine(p.getMessage(), plain, "plain ensemble directory");
        // and no plain ensemble can be started inside an array directory
        IOException c = assertThrows(IOException.class, () -> EnsembleWriter.create(ens, meta(f, 2.0, "hmc"), 2));
        assertTrue(c.getMessage().contains("array ensemble"), c.getMessage());
        assertFalse(Files.exists(ens.resolve("manifest.json")));
    }

    @Test void tasksWithDifferentMetadataAreNotMerged() throws Exception {
        Path ens = tmp.resolve("ens");
        writeTask(ens, 0, 2, 2, 1);
        GaugeField f = randomU1(L2, 2, 2);
        EnsembleMeta other = EnsembleMeta.of(f.group, f.lattice, 2.0, "flow-reweight", 12).withExtra("model_kind", "haar")
                .withExtra(ArrayEnsemble.TASK_EXTRA, 1L);
        try (EnsembleWriter w = EnsembleWriter.create(ens.resolve("task-00001"), other, 2)) { w.append(f, null, null); }
        EnsembleFormatException e = assertThrows(EnsembleFormatException.class, () -> merge(ens, null));
        assertOneLine(e.getMessage(), ens.resolve("task-00001").resolve("manifest.json"), "seed 12 differs from 11");
    }

    @Test void taskListsParseAndFormat() {
        assertEquals(List.of(0, 1, 2, 3, 8, 10, 11), List.copyOf(ArrayEnsemble.parseTasks("0-3, 8,10-11")));
        assertEquals("0-3,8,10-11", ArrayEnsemble.formatTasks(ArrayEnsemble.parseTasks("10-11,0-3,8,2")));
        assertEquals("5", ArrayEnsemble.formatTasks(List.of(5)));
        for (String bad : new String[] {"", "a", "3-1", "-2", "1-", "0-3%2", "1,,2", "0-99999999"})
            assertThrows(IllegalArgumentException.class, () -> ArrayEnsemble.parseTasks(bad), bad);
        assertEquals("task-00042", ArrayEnsemble.taskDirName(42));
        assertEquals(42, ArrayEnsemble.parseTaskDir("task-00042"));
        assertEquals(-1, ArrayEnsemble.parseTaskDir("task-42"));
        assertEquals(-1, ArrayEnsemble.parseTaskDir("task-0004x"));
    }

    @Test void copiedTaskDirectoryIsCaughtByItsRecordedTask() throws Exception {
        Path ens = tmp.resolve("ens");
        writeTask(ens, 0, 2, 2, 1);
        writeTask(ens, 1, 2, 2, 2);
        Path src = ens.resolve("task-00001"), dst = Files.createDirectories(ens.resolve("task-00002"));
        try (var ds = Files.list(src)) {
            for (Path p : ds.toList()) Files.copy(p, dst.resolve(p.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
        }
        EnsembleFormatException e = assertThrows(EnsembleFormatException.class, () -> merge(ens, null));
        assertOneLine(e.getMessage(), dst.resolve("manifest.json"), "slurm_task = 1");
    }
}
