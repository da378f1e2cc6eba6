package org.mflowhpc.io;

import static org.junit.jupiter.api.Assertions.*;
import static org.mflowhpc.io.IoFixtures.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.lattice.GaugeField;

/**
 * Shards are readable without mflow-hpc: h5py (Debian's /usr/bin/python3) sees the documented shapes, dtypes,
 * attributes and exact values, and recomputes every per-configuration checksum from the documented definition;
 * h5dump -H parses the file. Missing tools fail the test when CI is set and skip it otherwise.
 */
class ExternalToolsTest {
    @TempDir Path dir;

    private static final String H5PY_CHECK = String.join("\n",
            "import sys, hashlib, json",
            "import numpy as np, h5py",
            "path, group, lat, n = sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3].split('x')], int(sys.argv[4])",
            "s = lambda x: x.decode() if isinstance(x, bytes) else str(x)",
            "with h5py.File(path, 'r') as f:",
            "    a = f.attrs",
            "    dof = 1 if group == 'U1' else 18",
            "    c = f['configs']",
            "    assert c.shape == (n, len(lat), int(np.prod(lat)), dof), c.shape",
            "    assert c.dtype == np.dtype('<f8'), c.dtype",
            "    for k in ('action', 'plaquette'):",
            "        assert f[k].shape == (n,) and f[k].dtype == np.dtype('<f8'), (k, f[k].shape, f[k].dtype)",
            "    for k in ('config_index', 'checksum'):",
            "        assert f[k].shape == (n,) and f[k].dtype == np.dtype('<i8'), (k, f[k].shape, f[k].dtype)",
            "    assert s(a['format']) == 'mflow-hpc-ensemble-shard' and int(a['format_version']) == 1",
            "    assert s(a['group']) == group and [int(x) for x in a['lattice']] == lat, (a['group'], a['lattice'])",
            "    assert int(a['n_configs']) == n and s(a['action_kind']) == 'wilson'",
            "    for k in ('plaquette_convention', 'action_convention', 'site_order', 'link_layout', 'checksum_convention', 'algorithm', 'mflow_version'):",
            "        assert len(s(a[k])) > 0, k",
            "    assert 'direction 0 fastest' in s(a['site_order'])",
            "    for i in range(n):",
            "        h = hashlib.sha256(np.ascontiguousarray(c[i], dtype='<f8').tobytes()).digest()[:8]",
            "        assert int.from_bytes(h, 'big', signed=True) == int(f['checksum'][i]), i",
            "    for chk in sys.argv[5:]:",
            "        where, val = chk.split('=')",
            "        name, _, idx = where.partition(':')",
            "        if name.startswith('@'):",
            "            got = a[name[1:]]",
            "        else:",
            "            got = f[name][tuple(int(x) for x in idx.split(','))]",
            "        if isinstance(got, (bytes, str)):",
            "            assert s(got) == val, (where, got, val)",
            "        elif val.startswith('int:'):",
            "            assert int(got) == int(val[4:]), (where, got, val)",
            "        else:",
            "            assert float(got) == float.fromhex(val), (where, float(got).hex(), val)",
            "print('H5PY-OK', n)");

    private static void h5pyCheck(Path file, String group, String lat, int n, List<String> checks) throws Exception {
        requireTool("h5py (Debian python3-h5py)", PYTHON, "-c", "import h5py, numpy");
        List<String> cmd = new ArrayList<>(List.of(PYTHON, "-c", H5PY_CHECK, file.toString(), group, lat, Integer.toString(n)));
        cmd.addAll(checks);
        String out = run(cmd);
        assertTrue(out.contains("H5PY-OK " + n), out);
    }

    @Test void h5pyReadsU1ShardWithExactValues() throws Exception {
        GaugeField f = randomU1(L2, 4, 3);
        EnsembleMeta m = meta(f, 2.0, "flow-reweight").withExtra("model_id", "u1-ms-17").withExtra("sweeps", 5);
        double[] a = action(f, 2.0), p = plaquette(f);
        double[] logw = {-0.5, 1.25, -3.0, 0.0};
        ShardEntry e = ShardWriter.write(dir, 0, m, f, a, p, Map.of("log_w", logw), Map.of("accepted", new int[] {1, 0, 0, 1}), 100);
        List<String> checks = new ArrayList<>();
        int V = L2.volume;
        for (int[] idx : new int[][] {{0, 0, 0}, {3, 1, V - 1}, {2, 0, 17}, {1, 1, 5}})
            checks.add("configs:" + idx[0] + "," + idx[1] + "," + idx[2] + ",0=" + Double.toHexString(f.toHost()[f.offset(idx[0], idx[1], idx[2])]));
        checks.add("action:2=" + Double.toHexString(a[2]));
        checks.add("plaquette:3=" + Double.toHexString(p[3]));
        checks.add("log_w:1=" + Double.toHexString(1.25));
        checks.add("accepted:3=int:1");
        checks.add("config_index:3=int:103");
        checks.add("@beta=" + Double.toHexString(2.0));
        checks.add("@seed=int:" + m.seed());
        checks.add("@model_id=u1-ms-17");
        checks.add("@sweeps=int:5");
        checks.add("@algorithm=flow-reweight");
        h5pyCheck(dir.resolve(e.file()), "U1", "8x6", 4, checks);
    }

    @Test void h5pyReadsSu3ShardWithExactValues() throws Exception {
        GaugeField f = randomSU3(L4, 2, 9);
        EnsembleMeta m = meta(f, 6.0, "heatbath");
        ShardEntry e = writeShard(dir, 7, m, f, 0);
        List<String> checks = new ArrayList<>();
        int V = L4.volume;
        for (int[] idx : new int[][] {{0, 0, 0, 0}, {1, 3, V - 1, 17}, {1, 2, 33, 9}, {0, 1, 100, 4}})
            checks.add("configs:" + idx[0] + "," + idx[1] + "," + idx[2] + "," + idx[3] + "="
                    + Double.toHexString(f.toHost()[f.offset(idx[0], idx[1], idx[2]) + idx[3]]));
        checks.add("@shard_index=int:7");
        checks.add("@beta=" + Double.toHexString(6.0));
        h5pyCheck(dir.resolve(e.file()), "SU3", "4x4x2x4", 2, checks);
    }

    @Test void foreignAndEditedHdf5Files() throws Exception {
        requireTool("h5py (Debian python3-h5py)", PYTHON, "-c", "import h5py, numpy");
        Path foreign = dir.resolve("foreign.h5");
        run(List.of(PYTHON, "-c", "import h5py, numpy as np, sys\nwith h5py.File(sys.argv[1], 'w', userblock_size=512) as f: f['x'] = np.arange(4.)",
                foreign.toString()));
        EnsembleFormatException e = assertThrows(EnsembleFormatException.class, () -> ShardReader.read(foreign));
        assertOneLine(e.getMessage(), foreign, "missing attribute 'format'");

        Path ens = dir.resolve("ens");
        GaugeField f = randomU1(L2, 2, 6);
        try (EnsembleWriter w = EnsembleWriter.create(ens, meta(f, 1.0, "hmc"), 2)) { w.append(f, null, null); }
        Path shard = ens.resolve("shard-00000.h5");
        run(List.of(PYTHON, "-c", "import h5py, sys\nwith h5py.File(sys.argv[1], 'a') as f: f.attrs['note'] = 'edited by hand'", shard.toString()));
        // the edit is seen by the shard's own content hash, even without the manifest
        EnsembleFormatException edited = assertThrows(EnsembleFormatException.class, () -> ShardReader.read(shard));
        assertOneLine(edited.getMessage(), shard, "content_sha256 mismatch");
        // an editor that follows docs/hdf5-schema.md recomputes content_sha256: then it is a valid shard with one more
        // extra attribute (and the directory's manifest still tells that the file changed)
        run(List.of(PYTHON, "-c", ContentHashTest.PY_FUNCTION + "h = content_sha256(sys.argv[1])\n"
                + "with h5py.File(sys.argv[1], 'a') as f: f.attrs['content_sha256'] = np.bytes_(h)", shard.toString()));
        Shard s = ShardReader.read(shard);
        assertEquals("edited by hand", s.meta().extra().get("note"));
        assertArrayEquals(f.toHost(), s.configs(BE).toHost());
        Verifier.Report r = Verifier.verify(BE, ens);
        assertEquals(2, r.faults().size(), r.faults().toString()); // the file changed, and its metadata is not the run's
        assertOneLine(r.faults().get(0), shard, "size", "differs from manifest.json");
        assertOneLine(r.faults().get(1), shard, "extra attribute note", "in manifest.json");
    }

    @Test void missingToolFailsUnderCiAndSkipsOtherwise() {
        String[] probe = {"/nonexistent/mflow-tool", "--version"};
        org.opentest4j.AssertionFailedError e = assertThrows(org.opentest4j.AssertionFailedError.class, () -> requireTool(true, "the tool", probe));
        assertTrue(e.getMessage().contains("the tool is required") && e.getMessage().contains("apt-get install hdf5-tools python3-h5py"), e.getMessage());
        assertThrows(org.opentest4j.TestAbortedException.class, () -> requireTool(false, "the tool", probe));
        assertThrows(org.opentest4j.TestAbortedException.class, () -> requireTool(false, "h5py", PYTHON, "-c", "import no_such_module_xyz"));
    }

    @Test void h5dumpParsesTheHeader() throws Exception {
        requireTool("h5dump (Debian hdf5-tools)", "h5dump", "--version");
        GaugeField f = randomSU3(L4, 2, 4);
        ShardEntry e = ShardWriter.write(dir, 0, meta(f, 6.0, "hmc"), f, action(f, 6.0), plaquette(f), Map.of("topological_charge", new double[] {0.1, -0.9}), null, 0);
        String out = run(List.of("h5dump", "-H", dir.resolve(e.file()).toString()));
        assertTrue(out.contains("DATASET \"configs\""), out);
        assertTrue(out.contains("( 2, 4, 128, 18 )"), out);
        assertTrue(out.contains("H5T_IEEE_F64LE"), out);
        assertTrue(out.contains("H5T_STD_I64LE"), out);
        assertTrue(out.contains("DATASET \"topological_charge\""), out);
        for (String a : List.of("plaquette_convention", "action_convention", "site_order", "link_layout", "checksum_convention", "lattice", "beta"))
            assertTrue(out.contains("ATTRIBUTE \"" + a + "\""), a + " missing in\n" + out);
        String attrs = run(List.of("h5dump", "-a", "/group", dir.resolve(e.file()).toString()));
        assertTrue(attrs.contains("\"SU3\""), attrs);
    }
}
