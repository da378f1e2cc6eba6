package org.mflowhpc.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.io.Ensemble;

import picocli.CommandLine;

/**
 * End-to-end CLI behaviour: help/version/info, generate -> verify -> measure, run cards, bad input (one-line
 * error, exit 2, nothing lost), reproducibility (same seed, any thread count: bit-identical configurations).
 */
class CliTest {
    @TempDir Path tmp;

    record Out(int rc, String out, String err) {}

    /** Runs the CLI in-process; stdout and stderr (picocli's writers and System.err) are captured. */
    static Out run(String... args) {
        StringWriter o = new StringWriter();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        PrintStream oldErr = System.err;
        System.setErr(new PrintStream(e, true));
        try {
            CommandLine cl = Main.commandLine();
            cl.setOut(new PrintWriter(o, true));
            String[] a;
            try {
                a = Main.expandCards(cl, args);
            } catch (UserError ue) {
                return new Out(2, "", "mflow: error: " + ue.getMessage());
            }
            int rc = cl.execute(a);
            return new Out(rc, o.toString(), e.toString());
        } finally {
            System.setErr(oldErr);
        }
    }

    static String[] gen(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("generate", "--group", "U1", "--lattice", "8x8", "--beta", "2.0",
                "--configs", "20", "--therm", "5", "--seed", "7", "--out", out.toString()));
        a.addAll(Arrays.asList(more));
        return a.toArray(new String[0]);
    }

    @Test void helpVersionAndInfoWork() {
        Out h = run("--help");
        assertEquals(0, h.rc);
        assertTrue(h.out.contains("generate") && h.out.contains("measure") && h.out.contains("verify"));
        for (String sub : List.of("info", "run", "generate", "measure", "verify")) {
            Out s = run(sub, "--help");
            assertEquals(0, s.rc, sub);
            assertTrue(s.out.contains("Usage: mflow " + sub), sub);
        }
        Out v = run("--version");
        assertEquals(0, v.rc);
        assertTrue(v.out.startsWith("mflow-hpc "));
        Out i = run("info");
        assertEquals(0, i.rc);
        assertTrue(i.out.contains("cuda gpu") && i.out.contains("cpu backend"), i.out);
    }

    @Test void generateVerifyMeasureRoundTrip() throws Exception {
        Path d = tmp.resolve("ens");
        Out g = run(gen(d, "--every", "2"));
        assertEquals(0, g.rc, g.err);
        assertEquals(20, Ensemble.open(d).size());
        Out v = run("verify", d.toString());
        assertEquals(0, v.rc, v.err + v.out);
        Out m = run("measure", "--json", d.toString());
        assertEquals(0, m.rc, m.err);
        JsonNode j = new ObjectMapper().readTree(m.out);
        assertEquals(20, j.get("configurations").asInt());
        JsonNode p = j.get("observables").get("plaquette");
        assertTrue(p.get("error").asDouble() > 0);
        assertEquals(0.69777466, p.get("exact").asDouble(), 1e-7);
        assertTrue(j.get("observables").has("chi_t"));
        Out t = run("measure", d.toString());
        assertEquals(0, t.rc);
        assertTrue(t.out.contains("plaquette") && t.out.contains("tau_int"), t.out);
    }

    @Test void sameSeedGivesBitIdenticalEnsemblesWhateverTheThreadCount() throws Exception {
        for (String alg : List.of("heatbath", "hmc")) {
            Path a = tmp.resolve(alg + "1"), b = tmp.resolve(alg + "2");
            assertEquals(0, run(gen(a, "--algorithm", alg, "--threads", "1")).rc);
            assertEquals(0, run(gen(b, "--algorithm", alg, "--threads", "2")).rc);
            assertArrayEquals(Ensemble.open(a).readAllConfigData(), Ensemble.open(b).readAllConfigData(), alg);
        }
        Path s3a = tmp.resolve("su3a"), s3b = tmp.resolve("su3b");
        String[] su3 = {"generate", "--group", "SU3", "--lattice", "4x4x2x2", "--beta", "5.5", "--configs", "3", "--therm", "1", "--seed", "3"};
        assertEquals(0, run(concat(su3, "--threads", "1", "--out", s3a.toString())).rc);
        assertEquals(0, run(concat(su3, "--threads", "2", "--out", s3b.toString())).rc);
        assertArrayEquals(Ensemble.open(s3a).readAllConfigData(), Ensemble.open(s3b).readAllConfigData());
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Arrays.stream(a), Arrays.stream(b)).toArray(String[]::new);
    }

    @Test void badOptionsGiveOneLineErrorsAndExitTwo() {
        Path d = tmp.resolve("bad");
        String[][] cases = {
            {"generate", "--group", "U1", "--lattice", "16x15", "--beta", "2", "--configs", "5", "--out", d.toString()},
            {"generate", "--group", "U1", "--lattice", "16xab", "--beta", "2", "--configs", "5", "--out", d.toString()},
            {"generate", "--group", "U1", "--lattice", "16", "--beta", "2", "--configs", "5", "--out", d.toString()},
            {"generate", "--group", "SU2", "--lattice", "4x4", "--beta", "2", "--configs", "5", "--out", d.toString()},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "2", "--configs", "-5", "--out", d.toString()},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "2", "--configs", "5", "--every", "0", "--out", d.toString()},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "2", "--configs", "5", "--algorithm", "metropolis", "--out", d.toString()},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "abc", "--configs", "5", "--out", d.toString()},
            {"generate", "--group", "U1", "--lattice", "4x4", "--beta", "2", "--configs", "5", "--backend",
                    org.mflowhpc.backend.cuda.CudaProbe.probe().found() ? "tpu" : "cuda", "--out", d.toString()},
            {"generate", "--lattice", "4x4", "--beta", "2", "--configs", "5", "--out", d.toString()},
            {"measure", tmp.resolve("missing").toString()},
        };
        for (String[] c : cases) {
            Out o = run(c);
            assertEquals(2, o.rc, String.join(" ", c) + " -> " + o.err);
            String err = o.err.strip();
            assertFalse(err.isEmpty(), String.join(" ", c) + " out=" + o.out);
            assertEquals(1, err.lines().count(), "one line expected: " + err);
            assertTrue(err.contains("error"), err);
        }
        assertFalse(Files.exists(d.resolve("manifest.json")));
    }

    @Test void existingOutputIsNeverOverwritten() throws Exception {
        Path d = tmp.resolve("ens");
        assertEquals(0, run(gen(d)).rc);
        byte[] before = Files.readAllBytes(d.resolve("shard-00000.h5"));
        byte[] manifest = Files.readAllBytes(d.resolve("manifest.json"));
        Out o = run(gen(d, "--seed", "8"));
        assertEquals(2, o.rc, o.err);
        assertEquals(1, o.err.strip().lines().count(), o.err);
        assertArrayEquals(before, Files.readAllBytes(d.resolve("shard-00000.h5")));
        assertArrayEquals(manifest, Files.readAllBytes(d.resolve("manifest.json")));
    }

    @Test void truncatedOrTamperedShardsAreReportedAndLeftAlone() throws Exception {
        Path d = tmp.resolve("ens");
        assertEquals(0, run(gen(d)).rc);
        Path shard = d.resolve("shard-00000.h5");
        byte[] orig = Files.readAllBytes(shard);

        Path trunc = tmp.resolve("trunc.h5");
        Files.write(trunc, Arrays.copyOf(orig, orig.length / 2));
        byte[] truncBytes = Files.readAllBytes(trunc);
        for (String cmd : List.of("measure", "verify")) {
            Out o = run(cmd, trunc.toString());
            assertNotEquals(0, o.rc, cmd);
            assertTrue(o.err.contains("trunc.h5"), o.err);
        }
        assertArrayEquals(truncBytes, Files.readAllBytes(trunc));

        // flip a byte inside the configs payload: checksum fault
        byte[] t = orig.clone();
        t[t.length - 3000] ^= 0x5A;
        Path bad = tmp.resolve("tampered.h5");
        Files.write(bad, t);
        Out v = run("verify", bad.toString());
        assertEquals(1, v.rc, v.out + v.err);
        Out m = run("measure", bad.toString());
        assertEquals(2, m.rc, m.err);
        assertEquals(1, m.err.strip().lines().count(), m.err);
        assertArrayEquals(t, Files.readAllBytes(bad));
    }

    @Test void runCardsWorkAndRejectUnknownKeys() throws Exception {
        Path card = tmp.resolve("gen.toml");
        Files.writeString(card, "[generate]\ngroup = \"U1\"\nlattice = \"4x4\"\nbeta = 1.0\nconfigs = 4\ntherm = 2\nseed = 11\n");
        Path d = tmp.resolve("c");
        Out o = run("generate", "--card", card.toString(), "--configs", "6", "--out", d.toString());
        assertEquals(0, o.rc, o.err);
        assertEquals(6, Ensemble.open(d).size(), "explicit option overrides the card");

        Files.writeString(card, "[generate]\ngroup = \"U1\"\nlatice = \"4x4\"\n");
        Out bad = run("generate", "--card", card.toString(), "--out", tmp.resolve("c2").toString());
        assertEquals(2, bad.rc);
        assertTrue(bad.err.contains("unknown key 'latice'"), bad.err);

        Files.writeString(card, "[generate\ngroup = ");
        Out broken = run("generate", "--card", card.toString());
        assertEquals(2, broken.rc);
        assertTrue(broken.err.contains("not valid TOML"), broken.err);
    }

    @Test void runCommandRunsACardEndToEnd() throws Exception {
        Path card = tmp.resolve("run.toml");
        Files.writeString(card, "[generate]\ngroup = \"U1\"\nlattice = \"8x8\"\nbeta = 1.0\nconfigs = 30\ntherm = 5\nseed = 5\n[measure]\nloops = [\"1x1\"]\n");
        Path out = tmp.resolve("runout");
        Out o = run("run", card.toString(), "--out", out.toString());
        assertEquals(0, o.rc, o.err);
        assertTrue(o.out.contains("plaquette"), o.out);
        assertTrue(Files.exists(out.resolve("ensemble/manifest.json")));
        Out again = run("run", card.toString(), "--out", out.toString());
        assertEquals(2, again.rc);
        Path card2 = tmp.resolve("run2.toml");
        Files.writeString(card2, "[generate]\ngroup = \"U1\"\nlattice = \"4x4\"\nbeta = 1.0\nconfigs = 4\ntherm = 2\nseed = 5\nbackend = \"cpu\"\n[measure]\nloops = [\"1x1\"]\n");
        Out ob = run("run", card2.toString(), "--out", tmp.resolve("runout2").toString(), "--backend", "auto", "--threads", "1");
        assertEquals(0, ob.rc, ob.err);
        assertTrue(ob.err.contains("mflow generate") && ob.err.contains("--backend=auto --threads=1") && !ob.err.contains("--backend=cpu"), ob.err);
        Out shown = run("run", "--show-card");
        assertEquals(0, shown.rc);
        assertTrue(shown.out.contains("[generate]") || shown.out.contains("[train]"), shown.out);
    }
}
