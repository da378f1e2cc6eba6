package org.mflowhpc.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.mflowhpc.cli.CliTest.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.io.Ensemble;
import org.mflowhpc.io.Shard;

/**
 * train / sample / measure through the CLI: the exact-conditional model gives ESS = 1 and acceptance 1 end to end;
 * a learned model's MH chain resumes bit-identically; impossible lattices, mismatched and corrupt checkpoints are
 * refused with one line and nothing is overwritten.
 */
class FlowCliTest {
    @TempDir Path tmp;

    @Test void exactModelThroughTheCliHasUnitEssAndAcceptance() throws Exception {
        Path m = tmp.resolve("exact"), e = tmp.resolve("ens");
        CliTest.Out t = run("train", "--lattice", "8x8", "--beta", "2.0", "--model", "exact", "--out", m.toString());
        assertEquals(0, t.rc(), t.err());
        CliTest.Out s = run("sample", "--model", m.toString(), "--configs", "300", "--mh", "--seed", "3", "--out", e.toString());
        assertEquals(0, s.rc(), s.err());
        assertEquals(0, run("verify", e.toString()).rc());
        JsonNode j = new ObjectMapper().readTree(run("measure", "--json", e.toString()).out());
        assertEquals(1.0, j.get("acceptance").asDouble(), 1e-12);
        assertEquals(1.0, j.get("ess").asDouble(), 1e-9);
        assertEquals(52.735587, j.get("log_z").asDouble(), 1e-5);
        assertEquals(0.0, j.get("kl_exact").asDouble(), 1e-6);
        // log w = log Z on every configuration: <log w> is log Z with a vanishing error (KL = log Z - <log w>)
        assertEquals(52.735587, j.get("mean_log_w").asDouble(), 1e-5);
        assertEquals(0.0, j.get("mean_log_w_error").asDouble(), 1e-6);
        JsonNode p = j.get("observables").get("plaquette");
        assertTrue(Math.abs(p.get("value").asDouble() - 0.69777466) < 5 * p.get("error").asDouble(), p.toString());
    }

    @Test void exactSu3ModelThroughTheCliHasUnitEssAndAcceptance() throws Exception {
        Path m = tmp.resolve("exact3"), e = tmp.resolve("ens3");
        CliTest.Out t = run("train", "--group", "SU3", "--lattice", "4x4", "--beta", "2.0", "--model", "exact", "--out", m.toString());
        assertEquals(0, t.rc(), t.err());
        CliTest.Out s = run("sample", "--model", m.toString(), "--configs", "200", "--mh", "--seed", "3", "--out", e.toString());
        assertEquals(0, s.rc(), s.err());
        JsonNode j = new ObjectMapper().readTree(run("measure", "--json", e.toString()).out());
        assertEquals(1.0, j.get("acceptance").asDouble(), 1e-12);
        assertEquals(1.0, j.get("ess").asDouble(), 1e-9);
        assertEquals(0.0, j.get("kl_exact").asDouble(), 1e-8);
        assertEquals(16 * 0.1230638999, j.get("log_z").asDouble(), 1e-7); // V log z0 (exact-2d table; torus part < 1e-13)
        JsonNode p = j.get("observables").get("plaquette");
        assertTrue(Math.abs(p.get("value").asDouble() - 0.12862779) < 5 * p.get("error").asDouble(), p.toString());
    }

    @Test void mhChainResumesExactlyWhereItStopped() throws Exception {
        Path m = tmp.resolve("model");
        assertEquals(0, run("train", "--lattice", "4x4", "--beta", "1.0", "--model", "multiscale", "--steps", "5", "--batch", "8",
                "--out", m.toString()).rc());
        String[] base = {"sample", "--model", m.toString(), "--mh", "--seed", "9", "--batch", "7", "--shard-size", "6"};
        Path full = tmp.resolve("full"), part = tmp.resolve("part");
        assertEquals(0, run(concat(base, "--configs", "40", "--out", full.toString())).rc());
        assertEquals(0, run(concat(base, "--configs", "18", "--out", part.toString())).rc());
        CliTest.Out again = run(concat(base, "--configs", "40", "--out", part.toString()));
        assertEquals(2, again.rc(), "without --resume an existing sampler run is refused");
        assertEquals(0, run(concat(base, "--configs", "40", "--resume", "--out", part.toString())).rc());
        assertArrayEquals(Ensemble.open(full).readAllConfigData(), Ensemble.open(part).readAllConfigData());
        assertArrayEquals(column(full, "accepted"), column(part, "accepted"));
        CliTest.Out other = run("sample", "--model", m.toString(), "--mh", "--seed", "10", "--batch", "7", "--configs", "50",
                "--resume", "--out", part.toString());
        assertEquals(2, other.rc());
        assertTrue(other.err().contains("seed"), other.err());
    }

    private static int[] column(Path dir, String name) throws Exception {
        Ensemble e = Ensemble.open(dir);
        int[] out = new int[0];
        for (int i = 0; i < e.shards().size(); i++) {
            Shard s = e.readShard(i);
            int[] a = s.extraInt().get(name);
            int o = out.length;
            out = Arrays.copyOf(out, o + a.length);
            System.arraycopy(a, 0, out, o, a.length);
        }
        return out;
    }

    @Test void badFlowInputsAreRefusedAndNothingIsOverwritten() throws Exception {
        CliTest.Out o = run("train", "--lattice", "12x16", "--beta", "1", "--model", "multiscale", "--out", tmp.resolve("x").toString());
        assertEquals(2, o.rc());
        assertEquals(1, o.err().strip().lines().count(), o.err());
        assertTrue(o.err().contains("12"), o.err());
        CliTest.Out su3 = run("train", "--group", "SU3", "--lattice", "4x4", "--beta", "8", "--model", "exact", "--out", tmp.resolve("y").toString());
        assertEquals(2, su3.rc(), su3.err());
        assertTrue(su3.err().contains("rejection draws"), su3.err());
        assertFalse(java.nio.file.Files.exists(tmp.resolve("y").resolve("checkpoint.bin")));
        CliTest.Out halve = run("train", "--group", "SU3", "--lattice", "4x4x4x12", "--beta", "1", "--model", "multiscale", "--out", tmp.resolve("h").toString());
        assertEquals(2, halve.rc(), halve.err());
        assertTrue(halve.err().contains("cannot be built by doubling"), halve.err());
        assertFalse(java.nio.file.Files.exists(tmp.resolve("h").resolve("checkpoint.bin")));
        CliTest.Out bad = run("train", "--lattice", "8x8", "--beta", "1", "--model", "nonsense", "--out", tmp.resolve("z").toString());
        assertEquals(2, bad.rc());

        Path m = tmp.resolve("m");
        assertEquals(0, run("train", "--lattice", "4x4", "--beta", "1.0", "--model", "multiscale", "--steps", "3", "--batch", "4",
                "--out", m.toString()).rc());
        Path ck = m.resolve("checkpoint.bin");
        byte[] orig = Files.readAllBytes(ck);
        // a second training into the same directory, and a resume as another model / theory: refused, checkpoint intact
        assertEquals(2, run("train", "--lattice", "4x4", "--beta", "1.0", "--model", "multiscale", "--steps", "3", "--out", m.toString()).rc());
        CliTest.Out other = run("train", "--lattice", "4x4", "--beta", "1.0", "--model", "haar", "--steps", "6", "--resume", "--out", m.toString());
        assertEquals(2, other.rc(), other.err());
        assertTrue(other.err().contains("checkpoint"), other.err());
        CliTest.Out theory = run("train", "--lattice", "4x4", "--beta", "2.0", "--model", "multiscale", "--steps", "6", "--resume", "--out", m.toString());
        assertEquals(2, theory.rc(), theory.err());
        assertArrayEquals(orig, Files.readAllBytes(ck));
        // an SU(3) model given a U(1) checkpoint of the same family: one line naming the group, checkpoint intact
        Path h = tmp.resolve("h");
        assertEquals(0, run("train", "--lattice", "4x4", "--beta", "1.0", "--model", "haar", "--model-option", "layers=2",
                "--steps", "2", "--batch", "4", "--out", h.toString()).rc());
        byte[] hk = Files.readAllBytes(h.resolve("checkpoint.bin"));
        CliTest.Out grp = run("train", "--group", "SU3", "--lattice", "4x4", "--beta", "1.0", "--model", "haar", "--model-option", "layers=2",
                "--steps", "4", "--resume", "--out", h.toString());
        assertEquals(2, grp.rc(), grp.err());
        assertEquals(1, grp.err().strip().lines().count(), grp.err());
        assertTrue(grp.err().contains("group"), grp.err());
        assertArrayEquals(hk, Files.readAllBytes(h.resolve("checkpoint.bin")));
        // a 4D model on a lattice its masks cannot tile, and an option of the wrong type: one line each
        CliTest.Out tile = run("train", "--group", "SU3", "--lattice", "4x6x4x4", "--beta", "1", "--model", "haar", "--out", tmp.resolve("t").toString());
        assertEquals(2, tile.rc(), tile.err());
        assertTrue(tile.err().contains("divisible by 4"), tile.err());
        CliTest.Out typ = run("train", "--lattice", "8x8", "--beta", "1", "--model", "haar", "--model-option", "hidden=abc", "--out", tmp.resolve("u").toString());
        assertEquals(2, typ.rc(), typ.err());
        assertEquals(1, typ.err().strip().lines().count(), typ.err());
        assertTrue(typ.err().contains("hidden"), typ.err());

        // a corrupt checkpoint given to sample: one line, exit 2, no output written
        byte[] t = orig.clone();
        t[t.length / 2] ^= 0x20;
        Path badCk = tmp.resolve("bad.bin");
        Files.write(badCk, t);
        Path out = tmp.resolve("never");
        CliTest.Out c = run("sample", "--model", badCk.toString(), "--configs", "4", "--out", out.toString());
        assertEquals(2, c.rc());
        assertEquals(1, c.err().strip().lines().count(), c.err());
        assertFalse(Files.exists(out));
        Path trunc = tmp.resolve("trunc.bin");
        Files.write(trunc, Arrays.copyOf(orig, orig.length - 10));
        assertEquals(2, run("sample", "--model", trunc.toString(), "--configs", "4", "--out", out.toString()).rc());
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
