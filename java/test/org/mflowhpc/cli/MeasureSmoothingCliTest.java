/*
 * Contract under test: `mflow measure` smoothed observables (gradient flow / stout; Q_clover, chi_t_clover, E_clover,
 * E_plaq, t2E_*; docs/physics.md §7): present with value, error and tau_int in 4D by default (SU(3) and U(1)), the
 * "smoothing" JSON object with the prescription and units, t2E = t^2 E, stout without t2E, 2D output unchanged unless
 * --flow-time is given, --smoothing none, run-card keys, the text table's smoothing line, and bad smoothing options as
 * one-line errors with exit status 2.
 */
package org.mflowhpc.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeasureSmoothingCliTest {
    @TempDir static Path tmp;
    static Path su3, u1, u12d;

    static final List<String> FLOW_KEYS = List.of("Q_clover", "chi_t_clover", "Q_imp", "chi_t_imp", "E_clover", "E_plaq", "t2E_clover", "t2E_plaq");

    @BeforeAll static void ensembles() {
        su3 = tmp.resolve("su3");
        u1 = tmp.resolve("u1");
        u12d = tmp.resolve("u12d");
        assertEquals(0, CliTest.run("generate", "--group", "SU3", "--lattice", "4x4x4x4", "--beta", "6.0", "--configs", "4", "--therm", "3",
                "--seed", "2", "--out", su3.toString()).rc());
        assertEquals(0, CliTest.run("generate", "--group", "U1", "--lattice", "4x4x4x4", "--beta", "1.0", "--configs", "4", "--therm", "3",
                "--seed", "3", "--out", u1.toString()).rc());
        assertEquals(0, CliTest.run("generate", "--group", "U1", "--lattice", "8x8", "--beta", "2.0", "--configs", "10", "--therm", "3",
                "--seed", "4", "--out", u12d.toString()).rc());
    }

    static JsonNode json(String... args) throws Exception {
        CliTest.Out o = CliTest.run(args);
        assertEquals(0, o.rc(), o.err());
        return new ObjectMapper().readTree(o.out());
    }

    @Test void flowObservablesIn4D() throws Exception {
        JsonNode j = json("measure", "--json", "--flow-time", "0.2", "--flow-step", "0.05", su3.toString());
        JsonNode obs = j.get("observables");
        for (String k : List.of("plaquette", "W(1x1)", "W(1x2)", "W(2x2)", "|polyakov|")) assertTrue(obs.has(k), k);
        for (String k : FLOW_KEYS) {
            assertTrue(obs.has(k), k);
            for (String f : List.of("value", "error", "tau_int", "tau_int_error")) assertTrue(Double.isFinite(obs.get(k).get(f).asDouble()), k + "." + f);
        }
        assertEquals(0.04 * obs.get("E_plaq").get("value").asDouble(), obs.get("t2E_plaq").get("value").asDouble(), 1e-14);
        assertTrue(obs.get("E_plaq").get("value").asDouble() > 0);
        JsonNode s = j.get("smoothing");
        assertEquals("gradient_flow", s.get("method").asText());
        assertEquals(0.2, s.get("flow_time").asDouble());
        assertEquals(0.05, s.get("flow_step").asDouble(), 1e-15);
        assertEquals(4, s.get("steps").asInt());
        assertTrue(s.get("units").asText().contains("a^2") && s.has("q_convention") && s.has("e_convention"));
        assertEquals(4, j.get("configurations").asInt());
    }

    @Test void defaultsIn4DAndU1() throws Exception {
        JsonNode j = json("measure", "--json", u1.toString());
        for (String k : FLOW_KEYS) assertTrue(j.get("observables").has(k), k);
        assertEquals(1.0, j.get("smoothing").get("flow_time").asDouble());
        assertEquals(50, j.get("smoothing").get("steps").asInt());
        // t = 1: t2E = E
        assertEquals(j.get("observables").get("E_clover").get("value").asDouble(), j.get("observables").get("t2E_clover").get("value").asDouble(), 1e-15);
    }

    @Test void stoutAndNone() throws Exception {
        JsonNode j = json("measure", "--json", "--smoothing", "stout", "--stout-rho", "0.1", "--stout-steps", "3", su3.toString());
        JsonNode obs = j.get("observables");
        for (String k : List.of("Q_clover", "chi_t_clover", "Q_imp", "chi_t_imp", "E_clover", "E_plaq")) assertTrue(obs.has(k), k);
        assertFalse(obs.has("t2E_clover"));
        assertEquals("stout", j.get("smoothing").get("method").asText());
        assertEquals(0.3, j.get("smoothing").get("nominal_flow_time").asDouble(), 1e-15);
        JsonNode n = json("measure", "--json", "--smoothing", "none", su3.toString());
        assertFalse(n.has("smoothing"));
        for (String k : FLOW_KEYS) assertFalse(n.get("observables").has(k), k);
    }

    @Test void twoDimensionsUnchangedUnlessAsked() throws Exception {
        JsonNode j = json("measure", "--json", u12d.toString());
        assertFalse(j.has("smoothing"));
        assertTrue(j.get("observables").has("Q") && j.get("observables").has("chi_t"));
        for (String k : FLOW_KEYS) assertFalse(j.get("observables").has(k), k);
        JsonNode f = json("measure", "--json", "--flow-time", "0.5", u12d.toString());
        assertTrue(f.get("observables").has("E_clover") && f.get("observables").has("t2E_plaq"));
        assertFalse(f.get("observables").has("Q_clover") || f.get("observables").has("Q_imp"), "the clover charge is a 4D observable");
        assertFalse(f.get("smoothing").has("q_convention"));
        assertTrue(f.get("observables").has("Q"), "the 2D geometric charge stays");
    }

    @Test void runCardAndTable() throws Exception {
        Path card = tmp.resolve("m.toml");
        Files.writeString(card, "[measure]\nflow-time = 0.1\nflow-step = 0.05\n");
        JsonNode j = json("measure", "--card", card.toString(), "--json", su3.toString());
        assertEquals(2, j.get("smoothing").get("steps").asInt());
        CliTest.Out t = CliTest.run("measure", "--flow-time", "0.1", "--flow-step", "0.05", su3.toString());
        assertEquals(0, t.rc(), t.err());
        assertTrue(t.out().contains("smoothing: Wilson gradient flow to t/a^2 = 0.1 in 2 RK3 steps") && t.out().contains("Q_clover"), t.out());
        CliTest.Out h = CliTest.run("measure", "--help");
        assertTrue(h.out().contains("--flow-time") && h.out().contains("--stout-rho") && h.out().contains("lattice units"), h.out());
    }

    @Test void badSmoothingOptions() {
        String[][] cases = {
            {"--flow-step", "-1"}, {"--flow-step", "0.5"}, {"--flow-step", "0"}, {"--flow-time", "-1"}, {"--flow-time", "NaN"},
            {"--flow-time", "abc"}, {"--smoothing", "ape"}, {"--smoothing", "stout", "--stout-rho", "0.3"},
            {"--smoothing", "stout", "--stout-steps", "-1"}, {"--flow-time", "1e9", "--flow-step", "0.01"}, {"--skip", "100"},
        };
        for (String[] c : cases) {
            String[] args = new String[c.length + 2];
            args[0] = "measure";
            System.arraycopy(c, 0, args, 1, c.length);
            args[args.length - 1] = su3.toString();
            long t0 = System.nanoTime();
            CliTest.Out o = CliTest.run(args);
            String tag = String.join(" ", c);
            assertEquals(2, o.rc(), tag + " -> " + o.err());
            assertEquals(1, o.err().strip().lines().count(), tag + ": " + o.err());
            assertTrue(o.err().contains("error"), o.err());
            assertTrue(System.nanoTime() - t0 < 3_000_000_000L, tag + " took too long");
        }
    }

    @Test void seriesFile() throws Exception {
        Path f = tmp.resolve("series.tsv");
        CliTest.Out o = CliTest.run("measure", "--flow-time", "0.1", "--flow-step", "0.05", "--skip", "1", "--series", f.toString(), su3.toString());
        assertEquals(0, o.rc(), o.err());
        List<String> lines = Files.readAllLines(f);
        assertTrue(lines.get(0).startsWith("# mflow measure series: SU3 4x4x4x4 beta=6.0") && lines.get(1).contains("gradient_flow"), lines.get(0));
        String[] head = lines.get(2).split("\t");
        assertEquals("config", head[0]);
        assertTrue(List.of(head).containsAll(List.of("plaquette", "Q_clover", "Q_imp", "t2E_plaq")), lines.get(2));
        assertEquals(3 + 3, lines.size(), "3 configurations after --skip 1");
        assertEquals("1", lines.get(3).split("\t")[0]);
        assertEquals(head.length, lines.get(5).split("\t").length);
        byte[] before = Files.readAllBytes(f);
        CliTest.Out again = CliTest.run("measure", "--series", f.toString(), su3.toString());
        assertEquals(2, again.rc());
        assertEquals(1, again.err().strip().lines().count(), again.err());
        assertArrayEquals(before, Files.readAllBytes(f));
        assertEquals(2, CliTest.run("measure", "--series", tmp.resolve("nodir/x.tsv").toString(), su3.toString()).rc());
    }
}
