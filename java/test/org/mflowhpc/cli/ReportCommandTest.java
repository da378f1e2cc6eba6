package org.mflowhpc.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.mflowhpc.cli.CliTest.run;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.group.Group;
import org.mflowhpc.io.Ensemble;
import org.mflowhpc.io.EnsembleMeta;
import org.mflowhpc.io.EnsembleWriter;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.report.ImageChecks;

/**
 * `mflow report` end to end on small inputs (seconds): a heatbath ensemble and the output of a `mflow run` job (a
 * training run and the MH chain sampled from it) and a reweighted flow ensemble. The numbers in the report's JSON
 * equal `measure --json` on the same inputs (bit for bit: the same code); the plotted plaquette history is the
 * stored plaquette dataset; every PNG (and every image embedded in the HTML, byte-identical to its file) is
 * legible: its size, not blank, the series drawn. Bad input (neither ensemble nor training run, a corrupt shard,
 * an empty ensemble, a corrupt checkpoint, an existing report): one line, exit 2, nothing written, fast.
 */
class ReportCommandTest {
    @TempDir Path tmp;
    static final ObjectMapper JSON = new ObjectMapper();
    static final String[] MEASURE_TOP = {"configurations", "acceptance", "acceptance_error", "ess", "ess_error", "log_z", "log_z_error",
            "var_log_w", "log_z_exact", "kl_exact"};
    static final String[] MEASURE_OBS = {"value", "error", "tau_int", "tau_int_error", "exact"};

    static JsonNode section(JsonNode report, String path) {
        for (JsonNode s : report.get("sections")) if (path.equals(s.path("path").asText())) return s;
        throw new AssertionError("no section for " + path + " in the report");
    }

    /** Every number `measure --json` prints for the ensemble is in the report's section, equal bit for bit. */
    static void assertMatchesMeasure(Path ens, JsonNode sec, String... extra) throws Exception {
        List<String> a = new ArrayList<>(List.of("measure", "--json"));
        a.addAll(List.of(extra));
        a.add(ens.toString());
        CliTest.Out m = run(a.toArray(new String[0]));
        assertEquals(0, m.rc(), m.err());
        JsonNode mj = JSON.readTree(m.out());
        int compared = 0;
        for (String k : MEASURE_TOP) {
            if (!mj.has(k)) { assertFalse(sec.has(k), k + " in the report but not in measure"); continue; }
            assertTrue(sec.has(k), "report lacks " + k);
            assertEquals(mj.get(k).asDouble(), sec.get(k).asDouble(), 0.0, k);
            compared++;
        }
        assertEquals(mj.get("algorithm").asText(), sec.get("algorithm").asText());
        com.fasterxml.jackson.databind.node.ObjectNode em = sec.get("ensemble").deepCopy();
        em.remove("model_kind");
        assertEquals(mj.get("ensemble"), em);
        Iterator<String> names = mj.get("observables").fieldNames();
        while (names.hasNext()) {
            String o = names.next();
            JsonNode mo = mj.get("observables").get(o), ro = sec.get("observables").get(o);
            assertNotNull(ro, "report lacks observable " + o);
            for (String k : MEASURE_OBS) {
                if (!mo.has(k)) { assertFalse(ro.has(k), o + "." + k); continue; }
                assertEquals(mo.get(k).asDouble(), ro.get(k).asDouble(), 0.0, o + "." + k);
                compared++;
            }
        }
        assertTrue(compared >= 20, "compared " + compared + " numbers");
    }

    /** PNGs named in the JSON exist, decode, are legible; the HTML embeds exactly these bytes; returns the figure ids. */
    static List<String> assertFiguresLegible(Path html, JsonNode report) throws Exception {
        String page = Files.readString(html);
        Matcher mm = Pattern.compile("<figure id=\"([a-z0-9-]+)\">\\n<img [^>]*src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(page);
        java.util.Map<String, byte[]> embedded = new java.util.HashMap<>();
        while (mm.find()) embedded.put(mm.group(1), Base64.getDecoder().decode(mm.group(2)));
        List<String> ids = new ArrayList<>();
        for (JsonNode s : report.get("sections"))
            for (JsonNode f : s.get("figures")) {
                String id = f.get("id").asText();
                ids.add(id);
                Path png = html.resolveSibling(f.get("png").asText());
                assertTrue(Files.isRegularFile(png), png.toString());
                byte[] bytes = Files.readAllBytes(png);
                assertArrayEquals(bytes, embedded.get(id), "embedded image of " + id);
                BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
                ImageChecks.assertLegible(img, 900, 500, id);
                int series = ImageChecks.pixelsNear(img, new java.awt.Color(31, 119, 180), 50);
                assertTrue(series > 150, id + ": only " + series + " pixels of the first series' colour");
                assertFalse(f.get("caption").asText().isBlank(), id);
                for (JsonNode p : f.get("panels")) assertFalse(p.get("x_label").asText().isBlank() || p.get("y_label").asText().isBlank(), id);
            }
        assertEquals(ids.size(), embedded.size(), "one embedded image per figure");
        return ids;
    }

    @Test void heatbathEnsembleReportMatchesMeasureAndIsLegible() throws Exception {
        Path hb = tmp.resolve("hb");
        assertEquals(0, run("generate", "--group", "U1", "--lattice", "4x4", "--beta", "2.0", "--algorithm", "heatbath", "--configs", "120",
                "--therm", "10", "--seed", "5", "--out", hb.toString()).rc());
        Path su3 = tmp.resolve("su3");
        assertEquals(0, run("generate", "--group", "SU3", "--lattice", "4x4", "--beta", "3.0", "--algorithm", "heatbath", "--configs", "40",
                "--therm", "5", "--seed", "5", "--out", su3.toString()).rc());
        Path html = tmp.resolve("out/report.html");
        CliTest.Out r = run("report", hb.toString(), su3.toString(), "--skip", "3", "--out", html.toString());
        assertEquals(0, r.rc(), r.err());
        JsonNode rep = JSON.readTree(tmp.resolve("out/report.json").toFile());
        assertMatchesMeasure(hb, section(rep, hb.toString()), "--skip", "3");
        assertMatchesMeasure(su3, section(rep, su3.toString()), "--skip", "3");
        List<String> ids = assertFiguresLegible(html, rep);
        for (String id : List.of("e1-history-plaquette", "e1-history-q", "e1-history-polyakov", "e1-acf-plaquette", "e1-acf-q", "e1-acf-chi-t",
                "e1-acf-polyakov", "e2-history-plaquette", "e2-acf-polyakov"))
            assertTrue(ids.contains(id), id + " in " + ids);
        assertFalse(ids.contains("e2-history-q"), "no charge for 2D SU(3)");
        assertFalse(ids.stream().anyMatch(i -> i.startsWith("c")), "different theories are not compared");

        // the numbers behind the plaquette history are the stored plaquettes; the running mean ends at the estimate
        JsonNode hist = null;
        for (JsonNode f : section(rep, hb.toString()).get("figures")) if (f.get("id").asText().equals("e1-history-plaquette")) hist = f;
        JsonNode ser = hist.get("panels").get(0).get("series");
        double[] stored = Ensemble.open(hb).readColumn("plaquette");
        assertEquals(117, ser.get(0).get("y").size());
        for (int i = 0; i < 117; i++) {
            assertEquals(stored[i + 3], ser.get(0).get("y").get(i).asDouble(), 1e-14);
            assertEquals(i + 3, ser.get(0).get("x").get(i).asDouble());
        }
        double est = section(rep, hb.toString()).get("observables").get("plaquette").get("value").asDouble();
        assertEquals(est, ser.get(1).get("y").get(116).asDouble(), 1e-12);
        // the autocorrelation figure starts at rho(0) = 1 and marks the window measure reports
        JsonNode acf = null;
        for (JsonNode f : section(rep, hb.toString()).get("figures")) if (f.get("id").asText().equals("e1-acf-plaquette")) acf = f;
        assertEquals(1.0, acf.get("panels").get(0).get("series").get(0).get("y").get(0).asDouble(), 1e-15);
        int w = section(rep, hb.toString()).get("observables").get("plaquette").get("window").asInt();
        assertEquals(w, acf.get("panels").get(0).get("markers").get(1).get("value").asInt());
        JsonNode tauCurve = acf.get("panels").get(1).get("series").get(0).get("y");
        assertEquals(section(rep, hb.toString()).get("observables").get("plaquette").get("tau_int").asDouble(), tauCurve.get(w).asDouble(), 1e-12,
                "tau_int(W') at the window is measure's tau_int");

        // --text: a summary on stdout, nothing written without --out
        List<Path> before = listing(tmp);
        boolean existed = Files.exists(Path.of("report.html"));
        CliTest.Out t = run("report", hb.toString(), "--text");
        assertEquals(0, t.rc(), t.err());
        assertTrue(t.out().contains("plaquette") && t.out().contains("\u03c4_int"), t.out());
        assertEquals(before, listing(tmp));
        assertEquals(existed, Files.exists(Path.of("report.html")), "no default report.html with --text");
    }

    @Test void mainJobOutputAndFlowEnsembles() throws Exception {
        Path card = tmp.resolve("job.toml");
        Files.writeString(card, "[train]\ngroup = \"U1\"\nlattice = \"4x4\"\nbeta = 1.0\nmodel = \"multiscale\"\nsteps = 20\nbatch = 16\n"
                + "seed = 3\ncheckpoint_every = 10\nlog_every = 5\n[sample]\nconfigs = 400\nmh = true\nseed = 7\n[measure]\n");
        Path d = tmp.resolve("D");
        CliTest.Out job = run("run", card.toString(), "--out", d.toString());
        assertEquals(0, job.rc(), job.err());
        Path rw = tmp.resolve("rw");
        assertEquals(0, run("sample", "--model", d.resolve("model").toString(), "--configs", "300", "--seed", "2", "--out", rw.toString()).rc());
        Path html = d.resolve("report.html");
        CliTest.Out r = run("report", d.toString(), rw.toString(), "--fresh", "256", "--out", html.toString());
        assertEquals(0, r.rc(), r.err());
        JsonNode rep = JSON.readTree(d.resolve("report.json").toFile());
        assertEquals(4, rep.get("sections").size(), "training run, MH chain, reweighted ensemble, their comparison");
        JsonNode mh = section(rep, d.resolve("ensemble").toString()), rws = section(rep, rw.toString());
        assertEquals("flow-mh", mh.get("sampler").asText());
        assertEquals("flow-reweight", rws.get("sampler").asText());
        assertMatchesMeasure(d.resolve("ensemble"), mh);
        assertMatchesMeasure(rw, rws);

        JsonNode tr = section(rep, d.resolve("model").toString());
        assertEquals("training", tr.get("kind").asText());
        assertEquals(20, tr.get("metrics_lines").asInt());
        assertTrue(tr.get("levels_recorded_in_metrics").asBoolean());
        JsonNode fr = tr.get("fresh");
        assertEquals(256, fr.get("samples").asInt());
        double ess = fr.get("ess").asDouble();
        assertTrue(ess > 0 && ess <= 1, "fresh ESS " + ess);
        // chain rule: the KL by doubling layer sums to the fresh samples' KL
        double sum = 0;
        for (JsonNode k : fr.get("levels").get("kl")) sum += k.asDouble();
        assertEquals(fr.get("kl_exact").asDouble(), sum, 1e-8);
        assertEquals(5, fr.get("levels").get("kl").size(), "4x4: the 1x1 prior and four doublings");
        // KL(step) = loss + log Z in the loss figure
        JsonNode loss = null;
        for (JsonNode f : tr.get("figures")) if (f.get("id").asText().equals("t1-loss")) loss = f;
        double lz = tr.get("log_z_exact").asDouble();
        assertEquals(tr.get("metrics").get("loss").get(7).asDouble() + lz, loss.get("panels").get(1).get("series").get(0).get("y").get(7).asDouble(), 1e-12);

        List<String> ids = assertFiguresLegible(html, rep);
        for (String id : List.of("t1-loss", "t1-ess", "t1-levels", "t1-levels-final", "t1-logw-histogram", "t1-ess-vs-n", "t1-top-k",
                "e1-logw-histogram", "e1-ess-vs-n", "e1-top-k", "e1-acceptance", "e1-history-q", "e2-logw-histogram", "c1-q-side-by-side"))
            assertTrue(ids.contains(id), id + " in " + ids);
        assertFalse(ids.contains("e2-acceptance"), "no acceptance for a reweighted ensemble");
        // an existing report is refused and left as it was, unless --force
        byte[] page = Files.readAllBytes(html);
        CliTest.Out again = run("report", d.toString(), "--fresh", "0", "--out", html.toString());
        assertEquals(2, again.rc());
        assertEquals(1, again.err().strip().lines().count(), again.err());
        assertArrayEquals(page, Files.readAllBytes(html));
        assertEquals(0, run("report", d.resolve("model").toString(), "--fresh", "0", "--out", html.toString(), "--force").rc());
        assertEquals(1, JSON.readTree(d.resolve("report.json").toFile()).get("sections").size());
        try (Stream<Path> s = Files.list(d.resolve("report-png"))) {
            assertEquals(List.of("t1-ess.png", "t1-levels.png", "t1-loss.png"), s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "--force replaces the old figures");
        }
    }

    /** The README's main job with the embedded default card and a heatbath ensemble of the same theory (minutes). */
    @org.junit.jupiter.api.Tag("slow")
    @Test void readmeMainJobAndHeatbath() throws Exception {
        Path d = tmp.resolve("D"), hb = tmp.resolve("hb");
        assertEquals(0, run("run", "--out", d.toString()).rc());
        assertEquals(0, run("generate", "--group", "U1", "--lattice", "8x8", "--beta", "2.0", "--algorithm", "heatbath", "--configs", "2000",
                "--seed", "1", "--out", hb.toString()).rc());
        Path html = tmp.resolve("report.html");
        CliTest.Out r = run("report", d.toString(), hb.toString(), "--out", html.toString());
        assertEquals(0, r.rc(), r.err());
        JsonNode rep = JSON.readTree(tmp.resolve("report.json").toFile());
        assertMatchesMeasure(d.resolve("ensemble"), section(rep, d.resolve("ensemble").toString()));
        assertMatchesMeasure(hb, section(rep, hb.toString()));
        List<String> ids = assertFiguresLegible(html, rep);
        assertTrue(ids.size() >= 25, ids.toString());
        JsonNode fr = section(rep, d.resolve("model").toString()).get("fresh");
        assertTrue(fr.get("ess").asDouble() > 0.8, "the default job's model: ESS " + fr.get("ess"));
    }

    @Test void badInputIsOneLineExit2AndNothingIsWritten() throws Exception {
        Path hb = tmp.resolve("hb");
        assertEquals(0, run("generate", "--group", "U1", "--lattice", "4x4", "--beta", "1.0", "--configs", "20", "--therm", "2", "--out", hb.toString()).rc());
        Path out = tmp.resolve("never/report.html");

        Path neither = tmp.resolve("neither");
        Files.createDirectories(neither.resolve("sub"));
        Files.writeString(neither.resolve("notes.txt"), "not an ensemble");
        Path corrupt = tmp.resolve("corrupt");
        Files.createDirectories(corrupt);
        for (String f : List.of("manifest.json", "shard-00000.h5")) Files.copy(hb.resolve(f), corrupt.resolve(f));
        byte[] sh = Files.readAllBytes(corrupt.resolve("shard-00000.h5"));
        sh[sh.length - 2000] ^= 0x5A;
        Files.write(corrupt.resolve("shard-00000.h5"), sh);
        Path truncated = tmp.resolve("truncated");
        Files.createDirectories(truncated);
        Files.copy(hb.resolve("manifest.json"), truncated.resolve("manifest.json"));
        byte[] whole = Files.readAllBytes(hb.resolve("shard-00000.h5"));
        Files.write(truncated.resolve("shard-00000.h5"), java.util.Arrays.copyOf(whole, whole.length / 2));
        Path empty = tmp.resolve("empty");
        EnsembleWriter.create(empty, EnsembleMeta.of(Group.U1, new Lattice(4, 4), 1.0, "heatbath", 1), 10).close();
        Path badRun = tmp.resolve("badrun");
        Files.createDirectories(badRun);
        Files.write(badRun.resolve("checkpoint.bin"), new byte[] {'M', 'F', 'L', 'O', 'W', 'C', 'K', '1', 0, 0});
        Path garbage = tmp.resolve("garbage");
        Files.createDirectories(garbage);
        Files.writeString(garbage.resolve("metrics.jsonl"), "not json\n{\"no_step\":1}\n");

        Object[][] cases = {{neither, "neither an ensemble"}, {tmp.resolve("missing"), "does not exist"}, {corrupt, "shard-00000.h5"}, {truncated, "shard-00000.h5"},
                {empty, "empty"}, {badRun, "checkpoint.bin"}, {garbage, "metrics.jsonl"}, {hb.resolve("manifest.json"), "not an ensemble shard"}};
        for (Object[] c : cases) {
            List<Path> before = listing(tmp);
            long t0 = System.nanoTime();
            CliTest.Out o = run("report", hb.toString(), c[0].toString(), "--out", out.toString());
            double ms = (System.nanoTime() - t0) * 1e-6;
            assertEquals(2, o.rc(), c[0] + ": " + o.err());
            assertEquals(1, o.err().strip().lines().count(), o.err());
            assertTrue(o.err().startsWith("mflow report: error: "), o.err());
            assertTrue(o.err().contains((String) c[1]), c[1] + " in: " + o.err());
            assertFalse(o.err().contains("Exception") || o.err().contains("\tat "), o.err());
            assertEquals(before, listing(tmp), "nothing written, inputs untouched: " + c[0]);
            assertTrue(ms < 5000, c[0] + " took " + ms + " ms");
            System.out.printf("bad input %s: %.0f ms: %s", c[0].toString().substring(tmp.toString().length()), ms, o.err());
        }
        // the corrupt shard is left exactly as it was
        assertArrayEquals(sh, Files.readAllBytes(corrupt.resolve("shard-00000.h5")));
        // bad options: one line, exit 2
        for (String[] a : new String[][] {{"--skip", "20"}, {"--skip", "-1"}, {"--loops", "2y2"}, {"--s-tau", "0"}, {"--out", tmp.resolve("r.txt").toString()}}) {
            List<String> args = new ArrayList<>(List.of("report", hb.toString()));
            args.addAll(List.of(a));
            if (!a[0].equals("--out")) args.addAll(List.of("--out", out.toString()));
            List<Path> before = listing(tmp);
            CliTest.Out o = run(args.toArray(new String[0]));
            assertEquals(2, o.rc(), String.join(" ", a) + ": " + o.err());
            assertEquals(1, o.err().strip().lines().count(), o.err());
            assertEquals(before, listing(tmp));
        }
    }

    /** Every path under dir with its size and modification time (detects any write). */
    static List<Path> listing(Path dir) throws Exception {
        List<Path> l = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted().toList())
                l.add(Path.of(p + "#" + (Files.isRegularFile(p) ? Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis() : "dir")));
        }
        return l;
    }
}
