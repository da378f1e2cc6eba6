package org.mflowhpc.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.mflowhpc.cli.CliTest.run;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.io.Ensemble;
import org.mflowhpc.io.Shard;

/**
 * mflow export --format ildg, checked by an independent reader written for this test only
 * (java/test/org/mflowhpc/io/ildg_read.py: LIME records, ILDG XML, SciDAC checksum via zlib, SU(3) check and the
 * plaquette with numpy, links compared with the HDF5 shard through h5py): every exported file reads back with the
 * shard's links bit for bit (64-bit) or float32-rounded (32-bit) and the same plaquette. U(1), d != 4, a non-empty
 * --out and unknown formats are refused with one line.
 */
class ExportCliTest {
    @TempDir Path tmp;
    static final String PYTHON = "/usr/bin/python3";
    static final Path READER = Path.of("java/test/org/mflowhpc/io/ildg_read.py");

    private static void requirePython() throws Exception {
        String why = null;
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import h5py, numpy").redirectErrorStream(true).start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) why = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (java.io.IOException e) {
            why = e.getMessage();
        }
        if (why == null) return;
        String msg = "Debian's python3-h5py is required for the independent ILDG reader (" + why + "): apt-get install python3-h5py";
        if (System.getenv("CI") != null) fail(msg);
        Assumptions.assumeTrue(false, msg);
    }

    private static String python(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(PYTHON, READER.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test void ildgFilesReadBackWithTheSameLinksAndPlaquette() throws Exception {
        requirePython();
        Path ens = tmp.resolve("su3");
        CliTest.Out g = run("generate", "--group", "SU3", "--lattice", "4x4x2x6", "--beta", "5.7", "--configs", "3", "--therm", "3",
                "--shard-size", "2", "--seed", "4", "--out", ens.toString());
        assertEquals(0, g.rc(), g.err());
        Ensemble e = Ensemble.open(ens);
        for (int precision : new int[] {64, 32}) {
            Path out = tmp.resolve("ildg" + precision);
            CliTest.Out x = run("export", "--format", "ildg", "--precision", Integer.toString(precision), "--lfn-prefix", "lfn://test/su3",
                    ens.toString(), "--out", out.toString());
            assertEquals(0, x.rc(), x.err());
            JsonNode idx = new ObjectMapper().readTree(out.resolve("export.json").toFile());
            assertEquals(3, idx.get("n_files").asInt());
            int pos = 0;
            for (int i = 0; i < e.shards().size(); i++) {
                Shard s = e.readShard(i);
                for (int b = 0; b < s.n(); b++, pos++) {
                    String name = String.format("config-%06d.lime", pos);
                    String r = python(out.resolve(name).toString(), s.file().toString(), Integer.toString(b), "lfn://test/su3/" + name);
                    assertTrue(r.startsWith("ILDG-OK "), r);
                    double plaq = Double.parseDouble(r.split(" ")[1]); // hex float from the reader
                    assertEquals(s.plaquette()[b], plaq, precision == 64 ? 1e-12 : 1e-6, name);
                    assertEquals(s.plaquette()[b], idx.get("files").get(pos).get("plaquette").asDouble(), 1e-13);
                }
            }
        }
    }

    @Test void whatIldgCannotHoldIsRefused() throws Exception {
        Path u1 = tmp.resolve("u1"), su3_2d = tmp.resolve("su3-2d");
        assertEquals(0, run(CliTest.gen(u1)).rc());
        assertEquals(0, run("generate", "--group", "SU3", "--lattice", "4x4", "--beta", "2", "--configs", "2", "--therm", "1",
                "--out", su3_2d.toString()).rc());
        CliTest.Out a = run("export", "--format", "ildg", u1.toString(), "--out", tmp.resolve("x1").toString());
        assertEquals(2, a.rc());
        assertTrue(a.err().startsWith("mflow export: error: ILDG stores SU(3) gauge fields") && a.err().contains("no U(1)"), a.err());
        CliTest.Out b = run("export", su3_2d.toString(), "--out", tmp.resolve("x2").toString());
        assertEquals(2, b.rc());
        assertTrue(b.err().contains("four-dimensional") && b.err().contains("2D"), b.err());
        assertFalse(Files.exists(tmp.resolve("x1")) || Files.exists(tmp.resolve("x2")), "nothing written on refusal");
        CliTest.Out c = run("export", "--format", "nersc", u1.toString(), "--out", tmp.resolve("x3").toString());
        assertEquals(2, c.rc());
        assertTrue(c.err().contains("unknown --format 'nersc'"), c.err());
        Path busy = Files.createDirectories(tmp.resolve("busy"));
        Files.writeString(busy.resolve("keep.txt"), "mine");
        Path su3 = tmp.resolve("su3");
        assertEquals(0, run("generate", "--group", "SU3", "--lattice", "2x2x2x2", "--beta", "5", "--configs", "1", "--therm", "1",
                "--out", su3.toString()).rc());
        CliTest.Out d = run("export", su3.toString(), "--out", busy.toString());
        assertEquals(2, d.rc());
        assertTrue(d.err().contains("is not empty"), d.err());
        assertEquals("mine", Files.readString(busy.resolve("keep.txt")));
        CliTest.Out p = run("export", su3.toString(), "--precision", "16", "--out", tmp.resolve("x4").toString());
        assertEquals(2, p.rc());
        for (CliTest.Out o : List.of(a, b, c, d, p)) assertEquals(1, o.err().strip().lines().count(), o.err());
    }
}
