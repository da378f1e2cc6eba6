package org.mflowhpc.io;

import static org.junit.jupiter.api.Assertions.*;
import static org.mflowhpc.io.IoFixtures.*;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.lattice.GaugeField;

/**
 * EnsembleWriter streams configurations into shards of K and keeps manifest.json consistent with the files after
 * every shard; CREATE refuses directories holding another ensemble (leaving them untouched); RESUME continues the
 * numbering, adopts shards published after the last manifest update, removes temporary leftovers and refuses a
 * different ensemble; Ensemble.open reads it all back bit-exact, with or without the manifest.
 */
class EnsembleWriterTest {
    @TempDir Path root;

    private static GaugeField slice(GaugeField f, int from, int n) {
        return GaugeField.fromHost(BE, f.group, f.lattice, n, Arrays.copyOfRange(f.toHost(), from * f.configSize(), (from + n) * f.configSize()));
    }

    private static double[] range(int from, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = -0.25 * (from + i);
        return x;
    }

    private static int[] ints(int from, int n) {
        int[] x = new int[n];
        for (int i = 0; i < n; i++) x[i] = (from + i) % 2;
        return x;
    }

    /** Appends configurations [from, from+n) of all with extras log_w and accepted. */
    private static void append(EnsembleWriter w, GaugeField all, int from, int n) throws IOException {
        w.append(slice(all, from, n), null, null, Map.of("log_w", range(from, n)), Map.of("accepted", ints(from, n)));
    }

    @Test void streamsShardsAndKeepsTheManifestConsistent() throws Exception {
        Path dir = root.resolve("run");
        GaugeField all = randomSU3(L4, 10, 21);
        EnsembleMeta m = meta(all, 5.5, "flow-mh").withExtra("model_id", "ms-su3-a");
        try (EnsembleWriter w = EnsembleWriter.create(dir, m, 4)) {
            assertTrue(Files.exists(dir.resolve("manifest.json")), "the directory is claimed at once");
            append(w, all, 0, 3);
            assertEquals(0, w.manifest().shards().size());
            assertEquals(3, w.pending());
            append(w, all, 3, 5); // crosses one shard boundary
            assertEquals(2, w.manifest().shards().size());
            assertEquals(0, w.pending());
            assertEquals(Manifest.read(dir.resolve("manifest.json")), w.manifest(), "manifest on disk after each shard");
            append(w, all, 8, 2);
            assertEquals(10, w.nextConfigIndex());
        }
        Manifest mf = Manifest.read(dir.resolve("manifest.json"));
        assertEquals(m, mf.meta());
        assertEquals(List.of(4, 4, 2), mf.shards().stream().map(ShardEntry::nConfigs).toList());
        assertEquals(List.of(0L, 4L, 8L), mf.shards().stream().map(ShardEntry::firstConfigIndex).toList());
        assertEquals(10, mf.totalConfigs());
        for (ShardEntry e : mf.shards()) {
            Path p = dir.resolve(e.file());
            assertEquals(HdfSchema.shardName(e.shardIndex()), e.file());
            assertEquals(Files.size(p), e.bytes());
            assertEquals(HdfSchema.sha256Hex(p), e.sha256());
        }
        JsonNode json = new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
        assertEquals("mflow-hpc-ensemble", json.get("format").asText());
        assertEquals(1, json.get("format_version").asInt());
        assertEquals(10, json.get("n_configs").asLong());
        assertEquals("SU3", json.at("/meta/group").asText());
        assertEquals(5.5, json.at("/meta/beta").asDouble());
        assertEquals("[4,4,2,4]", json.at("/meta/lattice").toString());
        assertEquals("ms-su3-a", json.at("/meta/extra/model_id").asText());
        assertEquals("shard-00002.h5", json.at("/shards/2/file").asText());
        assertEquals(8, json.at("/shards/2/first_config_index").asLong());

        Ensemble ens = Ensemble.open(dir);
        assertEquals(10, ens.size());
        assertEquals(m, ens.meta());
        assertArrayEquals(ShardRoundTripTest.bits(all.toHost()), ShardRoundTripTest.bits(ens.readAllConfigs(BE).toHost()));
        assertArrayEquals(range(0, 10), ens.readColumn("log_w"));
        assertArrayEquals(action(all, 5.5), ens.readColumn("action"));
        assertArrayEquals(plaquette(all), ens.readColumn("plaquette"));
        assertArrayEquals(ints(8, 2), ens.readShard(2).extraInt().get("accepted"));
        assertTrue(Verifier.verify(BE, dir).ok(), () -> Verifier.verify(BE, dir).faults().toString());
    }

    @Test void createRefusesAnotherRunsDirectoryAndLeavesItUntouched() throws Exception {
        Path dir = root.resolve("taken");
        GaugeField all = randomU1(L2, 3, 1);
        EnsembleMeta m = meta(all, 1.0, "hmc");
        try (EnsembleWriter w = EnsembleWriter.create(dir, m, 2)) { append(w, all, 0, 3); }
        byte[] manifest = bytes(dir.resolve("manifest.json")), shard = bytes(dir.resolve("shard-00000.h5"));
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, () -> EnsembleWriter.create(dir, m, 2));
        assertTrue(e.getMessage().contains("already contains an ensemble") && e.getMessage().contains("resume"), e.getMessage());
        assertArrayEquals(manifest, bytes(dir.resolve("manifest.json")));
        assertArrayEquals(shard, bytes(dir.resolve("shard-00000.h5")));

        Path onlyShards = root.resolve("only-shards"); // no manifest, still another run's data
        writeShard(onlyShards, 0, m, all, 0);
        assertThrows(FileAlreadyExistsException.class, () -> EnsembleWriter.create(onlyShards, m, 2));
        Path onlyTemp = root.resolve("only-temp");
        Files.createDirectories(onlyTemp);
        Files.writeString(onlyTemp.resolve(".shard-00000.h5.tmp"), "x");
        assertThrows(FileAlreadyExistsException.class, () -> EnsembleWriter.create(onlyTemp, m, 2));
        assertEquals("x", Files.readString(onlyTemp.resolve(".shard-00000.h5.tmp")));

        Path unrelated = root.resolve("with-logs"); // unrelated files are fine
        Files.createDirectories(unrelated);
        Files.writeString(unrelated.resolve("slurm-123.out"), "log");
        assertDoesNotThrow(() -> EnsembleWriter.create(unrelated, m, 2).close());
        assertThrows(IllegalArgumentException.class, () -> EnsembleWriter.create(root.resolve("k0"), m, 0));
    }

    @Test void resumeContinuesNumbering() throws Exception {
        Path dir = root.resolve("resumable");
        GaugeField all = randomU1(L2, 11, 8);
        EnsembleMeta m = meta(all, 2.0, "flow-mh");
        try (EnsembleWriter w = EnsembleWriter.open(dir, m, 4, EnsembleWriter.Mode.RESUME)) { // empty: fresh start
            assertEquals(0, w.nextConfigIndex());
            append(w, all, 0, 6);
        }
        try (EnsembleWriter w = EnsembleWriter.open(dir, m.withMflowVersion("0.2.0"), 4, EnsembleWriter.Mode.RESUME)) {
            assertEquals(6, w.nextConfigIndex());
            assertTrue(w.recoveryNotes().stream().anyMatch(n -> n.contains("resuming after shard-00001.h5 at config_index 6")), w.recoveryNotes().toString());
            append(w, all, 6, 5);
        }
        Manifest mf = Manifest.read(dir.resolve("manifest.json"));
        assertEquals(List.of(0L, 4L, 6L, 10L), mf.shards().stream().map(ShardEntry::firstConfigIndex).toList());
        assertEquals(List.of(0, 1, 2, 3), mf.shards().stream().map(ShardEntry::shardIndex).toList());
        assertEquals("0.2.0", ShardReader.readHeader(dir.resolve("shard-00003.h5")).meta().mflowVersion());
        Ensemble ens = Ensemble.open(dir);
        assertArrayEquals(ShardRoundTripTest.bits(all.toHost()), ShardRoundTripTest.bits(ens.readAllConfigs(BE).toHost()));
        assertArrayEquals(range(0, 11), ens.readColumn("log_w"));
        assertTrue(Verifier.verify(BE, dir).ok(), () -> Verifier.verify(BE, dir).faults().toString());

        IOException e = assertThrows(IOException.class, () -> EnsembleWriter.open(dir, meta(all, 2.5, "flow-mh"), 4, EnsembleWriter.Mode.RESUME));
        assertTrue(e.getMessage().contains("cannot resume") && e.getMessage().contains("beta 2.5 differs from 2.0"), e.getMessage());
        e = assertThrows(IOException.class, () -> EnsembleWriter.open(dir, EnsembleMeta.of(all.group, all.lattice, 2.0, "flow-mh", 99), 4, EnsembleWriter.Mode.RESUME));
        assertTrue(e.getMessage().contains("seed 99"), e.getMessage());
        try (EnsembleWriter w = EnsembleWriter.open(dir, m, 4, EnsembleWriter.Mode.RESUME)) {
            assertThrows(IllegalArgumentException.class, () -> w.append(slice(all, 0, 1), null, null)); // extras must match the ensemble's
        }
    }

    @Test void resumeAdoptsShardsPublishedAfterTheLastManifestAndDropsTemporaries() throws Exception {
        Path dir = root.resolve("crashed");
        GaugeField all = randomU1(L2, 7, 5);
        EnsembleMeta m = meta(all, 1.5, "flow-mh");
        Path saved = root.resolve("manifest-after-first-shard.json");
        try (EnsembleWriter w = EnsembleWriter.create(dir, m, 2)) {
            append(w, all, 0, 2);
            Files.copy(dir.resolve("manifest.json"), saved);
            append(w, all, 2, 2);
        }
        // crash between publishing shard 1 and rewriting the manifest, while shard 2 was being written
        Files.copy(saved, dir.resolve("manifest.json"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve(".shard-00002.h5.tmp"), "partial");
        assertFalse(Verifier.verify(BE, dir).ok(), "an unlisted shard is a fault until it is adopted");
        try (EnsembleWriter w = EnsembleWriter.open(dir, m, 2, EnsembleWriter.Mode.RESUME)) {
            assertEquals(4, w.nextConfigIndex());
            String notes = w.recoveryNotes().toString();
            assertTrue(notes.contains("adopted shard-00001.h5") && notes.contains("deleted leftover temporary file .shard-00002.h5.tmp"), notes);
            assertEquals(2, Manifest.read(dir.resolve("manifest.json")).shards().size(), "adoption is written to the manifest at once");
            append(w, all, 4, 3);
        }
        assertFalse(Files.exists(dir.resolve(".shard-00002.h5.tmp")));
        Ensemble ens = Ensemble.open(dir);
        assertEquals(7, ens.size());
        assertArrayEquals(ShardRoundTripTest.bits(all.toHost()), ShardRoundTripTest.bits(ens.readAllConfigs(BE).toHost()));
        assertTrue(Verifier.verify(BE, dir).ok(), () -> Verifier.verify(BE, dir).faults().toString());
    }

    @Test void aSecondWriterOnTheSameDirectoryIsRefused() throws Exception {
        Path dir = root.resolve("locked");
        GaugeField all = randomU1(L2, 4, 2);
        EnsembleMeta m = meta(all, 1.0, "flow-mh");
        try (EnsembleWriter w = EnsembleWriter.open(dir, m, 2, EnsembleWriter.Mode.RESUME)) {
            append(w, all, 0, 2);
            IOException e = assertThrows(IOException.class, () -> EnsembleWriter.open(dir, m, 2, EnsembleWriter.Mode.RESUME));
            assertTrue(e.getMessage().contains("another ensemble writer is active"), e.getMessage());
            append(w, all, 2, 2); // the first writer is unaffected
        }
        try (EnsembleWriter w = EnsembleWriter.open(dir, m, 2, EnsembleWriter.Mode.RESUME)) { // released on close
            assertEquals(4, w.nextConfigIndex());
        }
        assertTrue(Verifier.verify(BE, dir).ok(), () -> Verifier.verify(BE, dir).faults().toString());
        assertEquals(4, Ensemble.open(dir).size());
    }

    @Test void flushDiscardAndFallbackWithoutManifest() throws Exception {
        Path dir = root.resolve("flush");
        GaugeField all = randomU1(L2, 5, 3);
        EnsembleMeta m = meta(all, 1.0, "heatbath");
        try (EnsembleWriter w = EnsembleWriter.create(dir, m, 4)) {
            w.append(slice(all, 0, 2), action(slice(all, 0, 2), 1.0), plaquette(slice(all, 0, 2)));
            w.flush(); // e.g. on SIGTERM: a short shard
            assertEquals(1, w.manifest().shards().size());
            assertEquals(2, w.manifest().shards().get(0).nConfigs());
            w.append(slice(all, 2, 3), null, null);
            w.discardPending();
            assertEquals(0, w.pending());
            assertEquals(2, w.nextConfigIndex());
        }
        assertEquals(1, Manifest.read(dir.resolve("manifest.json")).shards().size());
        Files.delete(dir.resolve("manifest.json"));
        Ensemble ens = Ensemble.open(dir); // falls back to shard-*.h5
        assertEquals(2, ens.size());
        assertArrayEquals(Arrays.copyOf(all.toHost(), 2 * all.configSize()), ens.readAllConfigData());
        Verifier.Report r = Verifier.verify(BE, dir);
        assertEquals(1, r.faults().size(), r.faults().toString());
        assertOneLine(r.faults().get(0), dir.resolve("manifest.json"), "missing");
    }

    @Test void brokenManifestsAreOneLineErrors() throws Exception {
        Path dir = root.resolve("manifests");
        GaugeField all = randomU1(L2, 2, 3);
        try (EnsembleWriter w = EnsembleWriter.create(dir, meta(all, 1.0, "hmc"), 1)) { append(w, all, 0, 2); }
        Path mf = dir.resolve("manifest.json");
        String good = Files.readString(mf);
        for (String[] c : new String[][] {
                {"{ not json", "not valid JSON"},
                {good.replace("\"sha256\" : \"", "\"sha256\" : \"zz"), "sha256 must be 64 lowercase hex digits"},
                {good.replace("\"first_config_index\" : 1", "\"first_config_index\" : 5"), "starts at config_index 5, expected 1"},
                {good.replace("\"group\" : \"U1\"", "\"group\" : \"SU2\""), "unknown gauge group"},
                {good.replace("\"format_version\" : 1", "\"format_version\" : 7"), "format_version 7"}}) {
            assertNotEquals(good, c[0]);
            Files.writeString(mf, c[0]);
            EnsembleFormatException e = assertThrows(EnsembleFormatException.class, () -> Ensemble.open(dir));
            assertOneLine(e.getMessage(), mf, c[1]);
            assertEquals(c[0], Files.readString(mf), "inputs are never modified");
        }
        Files.writeString(mf, good.replace("\"file\" : \"shard-00001.h5\"", "\"file\" : \"shard-00009.h5\""));
        EnsembleFormatException e = assertThrows(EnsembleFormatException.class, () -> Ensemble.open(dir));
        assertOneLine(e.getMessage(), dir.resolve("shard-00009.h5"), "listed in manifest.json but missing");
    }
}
