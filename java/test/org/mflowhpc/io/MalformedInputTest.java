package org.mflowhpc.io;

import static org.junit.jupiter.api.Assertions.*;
import static org.mflowhpc.io.IoFixtures.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;

/**
 * Every malformed input (not HDF5, empty, truncated, tampered configuration bytes, missing or wrong attributes,
 * missing datasets, wrong shapes and dtypes, NaN, non-consecutive config_index, shards of different theories mixed)
 * gives an EnsembleFormatException whose message is one line naming the file and the problem, and the input file
 * is byte-for-byte unchanged afterwards.
 */
class MalformedInputTest {
    @TempDir Path dir;
    GaugeField f;
    EnsembleMeta m;
    Path good;

    @BeforeEach void writeGoodShard() throws Exception {
        f = randomU1(L2, 3, 77);
        m = meta(f, 2.0, "hmc");
        Path gd = dir.resolve("good");
        good = gd.resolve(writeShard(gd, 0, m, f, 0).file());
        assertDoesNotThrow(() -> ShardReader.read(good));
    }

    /**
     * A shard written from a modified plan (bypassing the writer's own validation), with a content hash that matches
     * the modification (as a buggy writer would compute it), so that the specific check under test is reached.
     */
    private Path variant(String name, Consumer<ShardWriter.Plan> mod) throws Exception {
        ShardWriter.Plan p = ShardWriter.plan(0, m, f, action(f, 2.0), plaquette(f), null, null, 0);
        mod.accept(p);
        try {
            p.rehash();
        } catch (IllegalArgumentException e) {
            p.attributes.remove(HdfSchema.A_CONTENT_SHA256); // a dataset of a type the schema does not allow
        }
        Path file = dir.resolve(name + ".h5");
        Files.createFile(file);
        ShardWriter.writePlan(file, p);
        return file;
    }

    /** Reading (read, readHeader where structural, Ensemble.open, Verifier) fails with one line; file unchanged. */
    private void assertRejected(Path file, boolean structural, String... fragments) throws Exception {
        byte[] before = bytes(file);
        EnsembleFormatException e = assertThrows(EnsembleFormatException.class, () -> ShardReader.read(file));
        assertOneLine(e.getMessage(), file, fragments);
        assertEquals(file, e.file());
        if (structural) {
            EnsembleFormatException h = assertThrows(EnsembleFormatException.class, () -> ShardReader.readHeader(file));
            assertOneLine(h.getMessage(), file, fragments);
            EnsembleFormatException o = assertThrows(EnsembleFormatException.class, () -> Ensemble.open(file));
            assertOneLine(o.getMessage(), file, fragments);
        }
        Verifier.Report r = Verifier.verify(BE, file);
        assertFalse(r.ok(), "verifier must report a fault for " + file);
        for (String fault : r.faults()) assertOneLine(fault, file);
        assertArrayEquals(before, bytes(file), "inputs must never be modified");
    }

    @Test void notHdf5() throws Exception {
        Path p = dir.resolve("notes.h5");
        Files.writeString(p, "this is a text file, not HDF5\n".repeat(100));
        assertRejected(p, true, "not an HDF5 file");
        Path empty = dir.resolve("empty.h5");
        Files.createFile(empty);
        assertRejected(empty, true, "not an HDF5 file");
    }

    @Test void truncatedShards() throws Exception {
        byte[] all = bytes(good);
        for (int keep : new int[] {all.length / 2, all.length - 1, 40, 2000}) {
            Path p = dir.resolve("truncated-" + keep + ".h5");
            Files.write(p, Arrays.copyOf(all, keep));
            assertRejected(p, true, "truncated");
        }
    }

    @Test void tamperedConfigurationByteIsACheckSumFault() throws Exception {
        byte[] all = bytes(good);
        int k = f.configSize() + 17; // an element of configuration 1
        byte[] pattern = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(f.toHost()[k]).array();
        int at = indexOf(all, pattern);
        assertTrue(at > 0, "configuration bytes must be stored contiguously, little-endian");
        all[at] ^= 0x01; // lowest mantissa bit: still a valid angle, a different configuration
        Path p = dir.resolve("tampered.h5");
        Files.write(p, all);
        assertRejected(p, false, "checksum mismatch in configuration 1", "config_index 1");
        assertDoesNotThrow(() -> ShardReader.readHeader(p), "the structure is intact");
        Verifier.Report r = Verifier.verify(BE, p);
        assertEquals(1, r.faults().size(), r.faults().toString());
        assertOneLine(r.faults().get(0), p, "checksum mismatch", "configuration 1");
    }

    @Test void missingAttributesAndDatasets() throws Exception {
        assertRejected(variant("no-site-order", p -> p.attributes.remove(HdfSchema.A_SITE_ORDER)), true, "missing attribute 'site_order'");
        assertRejected(variant("no-beta", p -> p.attributes.remove(HdfSchema.A_BETA)), true, "missing attribute 'beta'");
        assertRejected(variant("no-format", p -> p.attributes.remove(HdfSchema.A_FORMAT)), true, "missing attribute 'format'");
        assertRejected(variant("no-plaquette", p -> p.datasets.remove(HdfSchema.DS_PLAQUETTE)), true, "missing dataset 'plaquette'");
        assertRejected(variant("no-checksum", p -> p.datasets.remove(HdfSchema.DS_CHECKSUM)), true, "missing dataset 'checksum'");
        assertRejected(variant("no-configs", p -> p.datasets.remove(HdfSchema.DS_CONFIGS)), true, "missing dataset 'configs'");
    }

    @Test void wrongAttributes() throws Exception {
        assertRejected(variant("milc-plaquette", p -> p.attributes.put(HdfSchema.A_PLAQUETTE_CONVENTION, "Re tr P summed")),
                true, "attribute 'plaquette_convention' is 'Re tr P summed'");
        assertRejected(variant("su2", p -> p.attributes.put(HdfSchema.A_GROUP, "SU2")), true, "attribute 'group'", "SU2");
        assertRejected(variant("beta-string", p -> p.attributes.put(HdfSchema.A_BETA, "2.0")), true, "attribute 'beta' must be a scalar float");
        assertRejected(variant("future", p -> p.attributes.put(HdfSchema.A_FORMAT_VERSION, 2L)), true, "format_version 2 is not supported");
        assertRejected(variant("odd-lattice", p -> p.attributes.put(HdfSchema.A_LATTICE, new int[] {7, 6})), true, "attribute 'lattice'", "even");
        assertRejected(variant("lattice-4d", p -> p.attributes.put(HdfSchema.A_LATTICE, new int[] {8, 6, 2, 2})), true,
                "dataset 'configs' has shape [3, 2, 48, 1], expected [3, 4, 192, 1]");
        assertRejected(variant("n-wrong", p -> p.attributes.put(HdfSchema.A_N_CONFIGS, 4L)), true, "has shape [3, 2, 48, 1], expected [4, 2, 48, 1]");
        assertRejected(variant("action-kind", p -> p.attributes.put(HdfSchema.A_ACTION_KIND, "iwasaki")), true, "invalid metadata", "action_kind");
        assertRejected(variant("seed-float", p -> p.attributes.put(HdfSchema.A_SEED, 1.5)), true, "attribute 'seed' must be a scalar integer");
    }

    @Test void transposedLatticeIsCaughtByTheVerifierPhysicsCheck() throws Exception {
        // 6x8 instead of 8x6: same dataset shape and checksums, so only recomputing the plaquette can tell
        Path p = variant("transposed", pl -> pl.attributes.put(HdfSchema.A_LATTICE, new int[] {6, 8}));
        byte[] before = bytes(p);
        assertEquals(new Lattice(6, 8), ShardReader.read(p).meta().lattice());
        Verifier.Report r = Verifier.verify(BE, p);
        assertFalse(r.ok());
        assertTrue(r.faults().stream().anyMatch(x -> x.contains("stored plaquette disagrees")), r.faults().toString());
        for (String x : r.faults()) assertOneLine(x, p);
        assertArrayEquals(before, bytes(p));
    }

    @Test void wrongShapesAndTypes() throws Exception {
        assertRejected(variant("short-action", p -> p.datasets.put(HdfSchema.DS_ACTION, new double[2])), true,
                "dataset 'action' has shape [2], expected [3]");
        assertRejected(variant("int32-index", p -> p.datasets.put(HdfSchema.DS_CONFIG_INDEX, new int[] {0, 1, 2})), true,
                "dataset 'config_index' has dtype int32, expected int64");
        assertRejected(variant("2d-plaquette", p -> p.datasets.put(HdfSchema.DS_PLAQUETTE, new double[3][1])), true,
                "dataset 'plaquette' has shape [3, 1], expected [3]");
        assertRejected(variant("extra-long", p -> p.datasets.put("log_w", new long[3])), true,
                "extra dataset 'log_w' has dtype int64, expected float64 or int32");
        assertRejected(variant("extra-short", p -> p.datasets.put("log_w", new double[5])), true,
                "dataset 'log_w' has shape [5], expected [3]");
        assertRejected(variant("su3-data", p -> p.datasets.put(HdfSchema.DS_CONFIGS, new double[3][2][48][18])), true,
                "dataset 'configs' has shape [3, 2, 48, 18], expected [3, 2, 48, 1]");
    }

    @Test void nanAndIndexFaults() throws Exception {
        assertRejected(variant("nan-config", p -> ((double[][][][]) p.datasets.get(HdfSchema.DS_CONFIGS))[2][1][5][0] = Double.NaN), false,
                "configuration 2 (config_index 2) contains NaN");
        assertRejected(variant("nan-action", p -> ((double[]) p.datasets.get(HdfSchema.DS_ACTION))[1] = Double.NaN), false, "action[1] is NaN");
        assertRejected(variant("nan-extra", p -> p.datasets.put("log_q", new double[] {0, 0, Double.NaN})), false, "log_q[2] is NaN");
        assertRejected(variant("index-gap", p -> p.datasets.put(HdfSchema.DS_CONFIG_INDEX, new long[] {0, 1, 5})), false,
                "config_index[2] = 5, expected first_config_index + 2 = 2");
    }

    @Test void shardsOfDifferentTheoriesCannotBeMixed() throws Exception {
        Path other = dir.resolve("o");
        GaugeField g = randomU1(new Lattice(8, 8), 2, 1);
        Path lat = other.resolve(writeShard(other, 1, meta(g, 2.0, "hmc"), g, 3).file());
        EnsembleFormatException e = assertThrows(EnsembleFormatException.class, () -> Ensemble.open(good, lat));
        assertOneLine(e.getMessage(), lat, "lattice 8x8 differs from 8x6", good.toString());
        Path beta = dir.resolve("b");
        Path bshard = beta.resolve(writeShard(beta, 0, meta(f, 2.5, "hmc"), f, 3).file());
        e = assertThrows(EnsembleFormatException.class, () -> Ensemble.open(good, bshard));
        assertOneLine(e.getMessage(), bshard, "beta 2.5 differs from 2.0");
        Path su3 = dir.resolve("s");
        GaugeField s = randomSU3(L4, 1, 2);
        Path sshard = su3.resolve(writeShard(su3, 0, meta(s, 2.0, "hmc"), s, 0).file());
        e = assertThrows(EnsembleFormatException.class, () -> Ensemble.open(good.getParent(), sshard));
        assertOneLine(e.getMessage(), sshard, "group SU3 differs from U1");
        Verifier.Report r = Verifier.verify(BE, good, bshard);
        assertEquals(1, r.faults().size(), r.faults().toString());
        assertOneLine(r.faults().get(0), bshard, "beta 2.5 differs from 2.0");
        e = assertThrows(EnsembleFormatException.class, () -> Ensemble.open(good, good));
        assertOneLine(e.getMessage(), good, "given more than once");
        e = assertThrows(EnsembleFormatException.class, () -> Ensemble.open(dir.resolve("nowhere")));
        assertOneLine(e.getMessage(), dir.resolve("nowhere"), "does not exist");
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
