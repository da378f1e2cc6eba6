package org.mflowhpc.io;

import static org.junit.jupiter.api.Assertions.*;
import static org.mflowhpc.io.IoFixtures.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.lattice.GaugeField;

/**
 * The shard attribute content_sha256 ({@link ContentHash}): written with every shard, recomputed by an independent
 * reader (h5py, Debian's /usr/bin/python3, from the definition in docs/hdf5-schema.md) to the same value, and it
 * exposes what the per-configuration checksums cannot see: a changed attribute or extra dataset of a shard without
 * its manifest. Shards written before the attribute existed still read (the verifier notes it).
 */
class ContentHashTest {
    @TempDir Path dir;

    /** The Python reference of docs/hdf5-schema.md, verbatim (a function content_sha256(path)). */
    static final String PY_FUNCTION = String.join("\n",
            "import sys, hashlib, h5py, numpy as np",
            "def content_sha256(path):",
            "    h = hashlib.sha256()",
            "    with h5py.File(path, 'r') as f:",
            "        for k in sorted(f.keys()):",
            "            if k == 'configs': continue",
            "            a = f[k][...]",
            "            dt = {'f8': 'float64', 'i8': 'int64', 'i4': 'int32'}[a.dtype.str[1:]]",
            "            h.update(f'{k}\\n{dt}\\n{a.size}\\n'.encode()); h.update(a.astype(a.dtype.newbyteorder('<')).tobytes())",
            "        for k in sorted(f.attrs.keys()):",
            "            if k == 'content_sha256' or k.startswith('_'): continue",
            "            v = f.attrs[k]",
            "            if isinstance(v, bytes): t, b = 'string', v",
            "            elif isinstance(v, str): t, b = 'string', v.encode()",
            "            elif isinstance(v, np.ndarray): t, b = 'int[]', v.astype('<i8').tobytes()",
            "            elif isinstance(v, (float, np.floating)): t, b = 'float64', np.float64(v).astype('<f8').tobytes()",
            "            else: t, b = 'int64', np.int64(v).astype('<i8').tobytes()",
            "            h.update(f'{k}\\n{t}\\n{len(b)}\\n'.encode()); h.update(b)",
            "    return h.hexdigest()", "");

    static final String PY = PY_FUNCTION + String.join("\n",
            "for p in sys.argv[1:]:",
            "    with h5py.File(p, 'r') as f: stored = f.attrs['content_sha256']",
            "    stored = stored.decode() if isinstance(stored, bytes) else str(stored)",
            "    print(p, content_sha256(p), stored)");

    private Path write(String name, Map<String, double[]> ex, Map<String, int[]> exi) throws Exception {
        GaugeField f = randomU1(L2, 3, 5);
        EnsembleMeta m = meta(f, 2.0, "flow-mh").withExtra("model_kind", "multiscale").withExtra("proposal_batch", 7L).withExtra("eps", 0.25);
        Path d = dir.resolve(name);
        ShardEntry e = ShardWriter.write(d, 0, m, f, action(f, 2.0), plaquette(f), ex, exi, 10);
        return d.resolve(e.file());
    }

    @Test void h5pyRecomputesTheSameHash() throws Exception {
        requireTool("h5py (Debian python3-h5py)", PYTHON, "-c", "import h5py, numpy");
        Path a = write("a", Map.of("log_w", new double[] {-0.5, Double.NEGATIVE_INFINITY, 3}, "log_q", new double[] {1, 2, 3}),
                Map.of("accepted", new int[] {1, 0, 1}));
        Path b = write("b", null, null);
        List<String> cmd = new ArrayList<>(List.of(PYTHON, "-c", PY, a.toString(), b.toString()));
        String out = run(cmd);
        for (String line : out.strip().split("\n")) {
            String[] p = line.trim().split(" ");
            assertEquals(3, p.length, out);
            assertEquals(p[2], p[1], "h5py's content hash equals the stored one: " + line);
        }
        assertEquals(2, out.strip().split("\n").length, out);
    }

    @Test void aChangedAttributeOrExtraDatasetIsCaught() throws Exception {
        ShardWriter.Plan p = ShardWriter.plan(0, meta(randomU1(L2, 3, 5), 2.0, "flow-mh").withExtra("model_kind", "multiscale"),
                randomU1(L2, 3, 5), action(randomU1(L2, 3, 5), 2.0), plaquette(randomU1(L2, 3, 5)),
                Map.of("log_w", new double[] {1, 2, 3}), null, 0);
        assertNotNull(p.attributes.get(HdfSchema.A_CONTENT_SHA256));
        // what a bit flip or an edit would do, written with the original (now wrong) hash
        for (int k = 0; k < 3; k++) {
            ShardWriter.Plan q = ShardWriter.plan(0, meta(randomU1(L2, 3, 5), 2.0, "flow-mh").withExtra("model_kind", "multiscale"),
                    randomU1(L2, 3, 5), action(randomU1(L2, 3, 5), 2.0), plaquette(randomU1(L2, 3, 5)),
                    Map.of("log_w", new double[] {1, 2, 3}), null, 0);
            if (k == 0) q.attributes.put(HdfSchema.A_SEED, 99L);
            if (k == 1) q.attributes.put("model_kind", "haar");
            if (k == 2) ((double[]) q.datasets.get("log_w"))[1] = 2.5;
            Path f = dir.resolve("edit" + k + ".h5");
            Files.createFile(f);
            ShardWriter.writePlan(f, q);
            EnsembleFormatException e = assertThrows(EnsembleFormatException.class, () -> ShardReader.read(f));
            assertTrue(e.getMessage().contains("content_sha256 mismatch"), e.getMessage());
            Verifier.Report r = Verifier.verify(BE, f);
            assertFalse(r.ok());
            assertTrue(r.faults().stream().anyMatch(x -> x.contains("content_sha256 mismatch")), r.faults().toString());
        }
    }

    @Test void shardsWithoutTheAttributeStillReadWithANote() throws Exception {
        GaugeField f = randomU1(L2, 3, 5);
        ShardWriter.Plan p = ShardWriter.plan(0, meta(f, 2.0, "hmc"), f, action(f, 2.0), plaquette(f), null, null, 0);
        p.attributes.remove(HdfSchema.A_CONTENT_SHA256);
        Path old = dir.resolve("old.h5");
        Files.createFile(old);
        ShardWriter.writePlan(old, p);
        assertEquals(3, ShardReader.read(old).n());
        Verifier.Report r = Verifier.verify(BE, old);
        assertTrue(r.ok(), r.faults().toString());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("no content_sha256")), r.notes().toString());
    }
}
