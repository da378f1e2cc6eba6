package org.mflowhpc.io;

import static org.junit.jupiter.api.Assertions.*;
import static org.mflowhpc.io.IoFixtures.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;

/**
 * Verifier: a good ensemble passes (and says what it checked); each kind of fault is found and reported as one line
 * naming the file: non-unitary SU(3) links, U(1) angles out of range, stored plaquette/action that disagree with
 * the configurations, shard SHA-256 against the manifest, shards missing from or unlisted in the manifest; many
 * faults of one kind are listed a few times and then counted.
 */
class VerifierTest {
    @TempDir Path root;

    @Test void goodEnsemblePasses() throws Exception {
        Path dir = root.resolve("good");
        GaugeField all = randomSU3(L4, 3, 12);
        try (EnsembleWriter w = EnsembleWriter.create(dir, meta(all, 6.0, "heatbath"), 2)) { w.append(all, null, null); }
        Verifier.Report r = Verifier.verify(BE, dir);
        assertTrue(r.ok(), r.faults().toString());
        assertEquals(2, r.shardsChecked());
        assertEquals(3, r.configsChecked());
        assertEquals("verified 2 shard(s), 3 configuration(s): OK", r.summary());
        assertTrue(Verifier.verify(BE, dir.resolve("shard-00001.h5")).ok());
    }

    @Test void nonUnitaryLinkIsAFault() throws Exception {
        GaugeField f = randomSU3(L4, 2, 3);
        int o = f.offset(1, 2, 37);
        double[] h = f.toHost();
        for (int k = 0; k < 18; k++) h[o + k] *= 1.0 + 1e-7;
        f.setFromHost(h);
        assertTrue(SU3.unitarityDeviation(f.toHost(), o) > 1e-10);
        Path file = root.resolve(writeShard(root, 0, meta(f, 6.0, "hmc"), f, 0).file()); // plaquette stored from these links
        Verifier.Report r = Verifier.verify(BE, file);
        assertEquals(1, r.faults().size(), r.faults().toString());
        assertOneLine(r.faults().get(0), file, "not SU(3)", "configuration 1 (config_index 1)", "max unitarity deviation");
    }

    @Test void u1AngleOutOfRangeIsAFault() throws Exception {
        GaugeField f = randomU1(L2, 2, 3);
        ShardWriter.Plan p = ShardWriter.plan(0, meta(f, 1.0, "hmc"), f, action(f, 1.0), plaquette(f), null, null, 0);
        double[] bh = f.toHost();
        bh[f.offset(0, 1, 3)] = 4.0; // the writer refuses this; build the file by hand
        GaugeField bad = GaugeField.fromHost(BE, f.group, f.lattice, f.batch, bh);
        ((double[][][][]) p.datasets.get(HdfSchema.DS_CONFIGS))[0][1][3][0] = 4.0;
        p.datasets.put(HdfSchema.DS_CHECKSUM, HdfSchema.configChecksums(bad.toHost(), 2, bad.configSize()));
        p.datasets.put(HdfSchema.DS_ACTION, action(bad, 1.0));
        p.datasets.put(HdfSchema.DS_PLAQUETTE, plaquette(bad));
        p.rehash();
        Path file = root.resolve("wide.h5");
        Files.createFile(file);
        ShardWriter.writePlan(file, p);
        assertDoesNotThrow(() -> ShardReader.read(file), "structurally valid");
        Verifier.Report r = Verifier.verify(BE, file);
        assertEquals(1, r.faults().size(), r.faults().toString());
        assertOneLine(r.faults().get(0), file, "U(1) angle outside [-pi, pi]", "configuration 0", "angle 4.0");
    }

    @Test void storedPlaquetteAndActionMustMatchTheConfigurations() throws Exception {
        GaugeField f = randomU1(L2, 8, 4);
        double[] p = plaquette(f), a = action(f, 3.0);
        for (int i = 0; i < 8; i++) p[i] += 1e-6; // e.g. a code that normalises differently
        a[2] *= 2;
        Path file = root.resolve(ShardWriter.write(root, 0, meta(f, 3.0, "hmc"), f, a, p, null, null, 0).file());
        List<String> faults = Verifier.verify(BE, file).faults();
        assertEquals(Verifier.LISTED_PER_KIND + 2, faults.size(), faults.toString());
        for (String x : faults) assertOneLine(x, file);
        assertEquals(Verifier.LISTED_PER_KIND, faults.stream().filter(x -> x.contains("stored plaquette disagrees with the configuration: configuration")).count());
        assertTrue(faults.contains(file + ": stored plaquette disagrees with the configuration: 3 more configuration(s)"), faults.toString());
        assertTrue(faults.stream().anyMatch(x -> x.contains("stored action disagrees") && x.contains("configuration 2 (config_index 2)")), faults.toString());
    }

    @Test void directoryFaultsAgainstTheManifest() throws Exception {
        Path dir = root.resolve("ens");
        GaugeField all = randomU1(L2, 6, 9);
        try (EnsembleWriter w = EnsembleWriter.create(dir, meta(all, 2.0, "hmc"), 2)) { w.append(all, null, null); }
        assertTrue(Verifier.verify(BE, dir).ok());
        Path mf = dir.resolve("manifest.json");
        Manifest m = Manifest.read(mf);
        ShardEntry e1 = m.shards().get(1);
        String json = Files.readString(mf);

        Files.writeString(mf, json.replace(e1.sha256(), "0".repeat(64)));
        List<String> faults = Verifier.verify(BE, dir).faults();
        assertEquals(1, faults.size(), faults.toString());
        assertOneLine(faults.get(0), dir.resolve("shard-00001.h5"), "SHA-256 " + e1.sha256() + " differs from manifest.json");
        Files.writeString(mf, json);

        Path s2 = dir.resolve("shard-00002.h5");
        Path aside = root.resolve("aside.h5");
        Files.move(s2, aside);
        faults = Verifier.verify(BE, dir).faults();
        assertEquals(1, faults.size(), faults.toString());
        assertOneLine(faults.get(0), s2, "listed in manifest.json but missing");
        Files.move(aside, dir.resolve("shard-00003.h5"));
        faults = Verifier.verify(BE, dir).faults();
        assertEquals(3, faults.size(), faults.toString());
        assertTrue(faults.stream().anyMatch(x -> x.startsWith(dir.resolve("shard-00003.h5") + ": not listed in manifest.json")), faults.toString());
        assertTrue(faults.stream().anyMatch(x -> x.contains("file name says shard 3 but attribute shard_index is 2")), faults.toString());
    }
}
