package org.mflowhpc.io;

import static org.junit.jupiter.api.Assertions.*;
import static org.mflowhpc.io.IoFixtures.*;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;

/**
 * Shard write/read round trips: 2D U(1) and 4D SU(3) random configurations come back bit-exact with every
 * per-configuration array, extra and attribute; the temporary file is gone; an existing shard is never overwritten
 * (its bytes stay identical); size helpers are consistent; invalid input is rejected before anything is written.
 */
class ShardRoundTripTest {
    @TempDir Path dir;

    @Test void u1TwoDimensionalRoundTripIsBitExact() throws Exception {
        GaugeField f = randomU1(L2, 5, 11);
        EnsembleMeta m = meta(f, 2.25, "flow-mh").withExtra("sweeps_between_configs", 10).withExtra("model_id", "ms-u1-8x6-v3")
                .withExtra("target_acceptance", 0.35);
        double[] logq = {-1.5, -2.5, 3.25, -0.125, 7.0};
        double[] logw = {0.5, Double.NEGATIVE_INFINITY, 1e-300, -4.0, 2.0};
        int[] acc = {1, 0, 1, 1, 0};
        double[] a = action(f, m.beta()), p = plaquette(f);
        ShardEntry e = ShardWriter.write(dir, 3, m, f, a, p, Map.of("log_q", logq, "log_w", logw), Map.of("accepted", acc), 42);

        assertEquals("shard-00003.h5", e.file());
        assertEquals(3, e.shardIndex());
        assertEquals(5, e.nConfigs());
        assertEquals(42, e.firstConfigIndex());
        Path file = dir.resolve(e.file());
        assertEquals(Files.size(file), e.bytes());
        assertEquals(HdfSchema.sha256Hex(file), e.sha256());
        assertFalse(Files.exists(dir.resolve(".shard-00003.h5.tmp")), "temporary file must be gone");

        Shard s = ShardReader.read(file);
        assertEquals(m, s.meta());
        assertEquals(Group.U1, s.configs(BE).group);
        assertEquals(L2, s.configs(BE).lattice);
        assertArrayEquals(bits(f.toHost()), bits(s.configs(BE).toHost()));
        assertArrayEquals(bits(f.toHost()), bits(s.configData()));
        assertArrayEquals(bits(a), bits(s.action()));
        assertArrayEquals(bits(p), bits(s.plaquette()));
        assertArrayEquals(new long[] {42, 43, 44, 45, 46}, s.configIndex());
        assertArrayEquals(HdfSchema.configChecksums(f.toHost(), 5, f.configSize()), s.checksum());
        assertEquals(Map.of("log_q", 0, "log_w", 0).keySet(), s.extra().keySet());
        assertArrayEquals(bits(logq), bits(s.extra().get("log_q")));
        assertArrayEquals(bits(logw), bits(s.extra().get("log_w")));
        assertArrayEquals(acc, s.extraInt().get("accepted"));
        assertEquals(10L, s.meta().extra().get("sweeps_between_configs"));
        assertEquals("ms-u1-8x6-v3", s.meta().extra().get("model_id"));
        assertEquals(0.35, s.meta().extra().get("target_acceptance"));

        ShardHeader h = ShardReader.readHeader(file);
        assertEquals(s.header(), h);
        assertEquals(java.util.List.of("log_q", "log_w"), h.extraDatasets());
        assertEquals(java.util.List.of("accepted"), h.extraIntDatasets());
    }

    @Test void su3FourDimensionalRoundTripIsBitExact() throws Exception {
        GaugeField f = randomSU3(L4, 3, 5);
        EnsembleMeta m = meta(f, 5.7, "hmc").withExtra("thermalisation_sweeps", 200L);
        ShardEntry e = writeShard(dir, 0, m, f, 0);
        Shard s = ShardReader.read(dir.resolve(e.file()));
        assertEquals(m, s.meta());
        assertArrayEquals(bits(f.toHost()), bits(s.configs(BE).toHost()));
        assertArrayEquals(bits(action(f, 5.7)), bits(s.action()));
        assertArrayEquals(bits(plaquette(f)), bits(s.plaquette()));
        assertEquals(3, s.n());
        assertTrue(s.extra().isEmpty() && s.extraInt().isEmpty());
    }

    @Test void existingShardIsNeverOverwritten() throws Exception {
        GaugeField f = randomU1(L2, 2, 1);
        EnsembleMeta m = meta(f, 1.0, "heatbath");
        ShardEntry e = writeShard(dir, 0, m, f, 0);
        Path file = dir.resolve(e.file());
        byte[] before = bytes(file);
        GaugeField g = randomU1(L2, 2, 2);
        FileAlreadyExistsException ex = assertThrows(FileAlreadyExistsException.class, () -> writeShard(dir, 0, m, g, 2));
        assertTrue(ex.getMessage().contains("shard-00000.h5") && ex.getMessage().contains("refusing to overwrite"), ex.getMessage());
        assertArrayEquals(before, bytes(file));
        assertFalse(Files.exists(dir.resolve(".shard-00000.h5.tmp")));
    }

    @Test void leftoverTemporaryFileBlocksTheWriterWithoutBeingTouched() throws Exception {
        GaugeField f = randomU1(L2, 2, 1);
        Path tmp = dir.resolve(".shard-00004.h5.tmp");
        Files.writeString(tmp, "someone else's half-written shard");
        FileAlreadyExistsException ex = assertThrows(FileAlreadyExistsException.class, () -> writeShard(dir, 4, meta(f, 1.0, "hmc"), f, 0));
        assertTrue(ex.getMessage().contains("temporary shard file exists"), ex.getMessage());
        assertEquals("someone else's half-written shard", Files.readString(tmp));
        assertFalse(Files.exists(dir.resolve("shard-00004.h5")));
    }

    @Test void invalidInputIsRejectedBeforeWriting() {
        GaugeField f = randomU1(L2, 3, 1);
        EnsembleMeta m = meta(f, 1.0, "hmc");
        double[] a = action(f, 1.0), p = plaquette(f);
        assertThrows(IllegalArgumentException.class, () -> ShardWriter.write(dir, 0, m, f, new double[2], p, null, null, 0));
        assertThrows(IllegalArgumentException.class, () -> ShardWriter.write(dir, 0, m, f, a, p, Map.of("log_w", new double[2]), null, 0));
        assertThrows(IllegalArgumentException.class, () -> ShardWriter.write(dir, 0, m, f, a, p, Map.of("configs", new double[3]), null, 0));
        assertThrows(IllegalArgumentException.class, () -> ShardWriter.write(dir, 0, m, f, a, p, Map.of("log_w", new double[] {0, Double.NaN, 0}), null, 0));
        assertThrows(IllegalArgumentException.class, () -> ShardWriter.write(dir, 0, m, f, a, p, Map.of("x", new double[3]), Map.of("x", new int[3]), 0));
        assertThrows(IllegalArgumentException.class, () -> ShardWriter.write(dir, 0, meta(randomSU3(L4, 1, 1), 1.0, "hmc"), f, a, p, null, null, 0));
        double[] bh = f.toHost();
        bh[7] = Double.NaN;
        GaugeField bad = GaugeField.fromHost(BE, f.group, f.lattice, f.batch, bh);
        assertThrows(IllegalArgumentException.class, () -> ShardWriter.write(dir, 0, m, bad, a, p, null, null, 0));
        double[] wh = f.toHost();
        wh[4] = 3.2;
        GaugeField wide = GaugeField.fromHost(BE, f.group, f.lattice, f.batch, wh);
        assertThrows(IllegalArgumentException.class, () -> ShardWriter.write(dir, 0, m, wide, a, p, null, null, 0));
        assertThrows(IllegalArgumentException.class, () -> m.withExtra("beta", 3.0));
        assertThrows(IllegalArgumentException.class, () -> m.withExtra("bad key", 3.0));
        assertThrows(IllegalArgumentException.class, () -> m.withExtra("x", Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new EnsembleMeta(Group.U1, L2, 1.0, "iwasaki", "hmc", 1, "0.1.0", null));
        assertThrows(IllegalArgumentException.class, () -> new EnsembleMeta(Group.U1, L2, 1.0, "wilson", "HMC!", 1, "0.1.0", null));
        try (var s = Files.list(dir)) { assertEquals(0, s.count(), "nothing may be written for invalid input"); } catch (java.io.IOException e) { fail(e); }
    }

    @Test void sizeHelpersKeepShardsBelowTwoGiB() {
        Lattice big = new Lattice(16, 16, 16, 32);
        int max = ShardWriter.maxConfigsPerShard(Group.SU3, big);
        assertTrue(max >= 1);
        assertTrue(ShardWriter.estimatedShardBytes(Group.SU3, big, max, 16, 16) <= ShardWriter.MAX_SHARD_BYTES);
        assertTrue(ShardWriter.estimatedShardBytes(Group.SU3, big, max + 1, 16, 16) > ShardWriter.MAX_SHARD_BYTES);
        assertEquals(8L * 4 * 16 * 16 * 16 * 32 * 18 + 32, ShardWriter.bytesPerConfig(Group.SU3, big, 0, 0));
        assertTrue(ShardWriter.maxConfigsPerShard(Group.U1, new Lattice(64, 64)) > 30000);
        assertEquals(0, ShardWriter.maxConfigsPerShard(Group.SU3, new Lattice(64, 64, 64, 64)));
        GaugeField f = randomU1(L2, 1, 1);
        assertTrue(ShardWriter.estimatedShardBytes(Group.U1, L2, 1, 0, 0) > 0);
        assertDoesNotThrow(() -> writeShard(dir, 0, meta(f, 1, "hmc"), f, 0));
    }

    @Test void checksumMatchesTheDocumentedDefinition() throws Exception {
        double[] x = {1.0, -2.5, Math.PI};
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (double v : x) bb.putDouble(v);
        byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(bb.array());
        long expect = 0;
        for (int i = 0; i < 8; i++) expect = (expect << 8) | (d[i] & 0xff);
        assertEquals(expect, HdfSchema.configChecksum(x, 0, 3));
        double[] big = new double[10000]; // crosses the internal 4096-double block
        for (int i = 0; i < big.length; i++) big[i] = Math.sin(i);
        java.nio.ByteBuffer b2 = java.nio.ByteBuffer.allocate(80000).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (double v : big) b2.putDouble(v);
        byte[] d2 = java.security.MessageDigest.getInstance("SHA-256").digest(b2.array());
        assertEquals(java.nio.ByteBuffer.wrap(d2).getLong(), HdfSchema.configChecksum(big, 0, big.length));
    }

    static long[] bits(double[] x) {
        return Arrays.stream(x).mapToLong(Double::doubleToRawLongBits).toArray();
    }
}
