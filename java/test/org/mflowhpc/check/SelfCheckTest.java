package org.mflowhpc.check;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.backend.host.HostBackend;
import org.mflowhpc.testutil.Backends;
import org.mflowhpc.testutil.Fields;

/**
 * The jar's selfcheck ({@link SelfCheck}, {@link Timings}) run against the host backend (the CPU backend where this
 * build has no host library), so that the check the GPU node runs cannot rot: every check passes on fresh inputs,
 * every op of the {@link Backend} interface has a check, a check fails on a one-ulp, a NaN or a missing element, and
 * every timing row runs.
 */
class SelfCheckTest {
    static final long SEED = Fields.freshSeed();

    static Backend backend() {
        if (Backends.hostExpected() || HostBackend.available()) return new HostBackend(2);
        return new CpuBackend(2);
    }

    @Test void everyCheckPassesAndEverySeamOpIsChecked() {
        try (Backend be = backend()) {
            SelfCheck sc = new SelfCheck(be, SEED, (java.io.PrintWriter) null, null);
            List<SelfCheck.Line> lines = sc.run();
            StringBuilder bad = new StringBuilder();
            for (SelfCheck.Line l : lines) if (!l.pass()) bad.append(l.format()).append('\n');
            assertEquals(0, sc.failures(), "seed=" + SEED + " backend " + be.name() + ":\n" + bad);
            assertTrue(lines.size() > 200, "checks: " + lines.size());
            Set<String> missing = new TreeSet<>();
            for (Method m : Backend.class.getMethods()) {
                if (Modifier.isStatic(m.getModifiers())) continue;
                String n = m.getName();
                if (Set.of("name", "threads", "close", "sync", "index").contains(n)) continue; // exercised by every check
                String key = n.equals("upload") || n.equals("download") ? "upload/download" : n.equals("alloc") ? "alloc is zero"
                        : n.equals("scope") ? "scope recycles zeroed" : n;
                if (lines.stream().noneMatch(l -> l.op().startsWith(key))) missing.add(n);
            }
            assertTrue(missing.isEmpty(), "seam ops without a selfcheck: " + missing);
        }
    }

    @Test void onlyRestrictsTheChecks() {
        try (Backend be = backend()) {
            List<SelfCheck.Line> lines = new SelfCheck(be, SEED, (java.io.PrintWriter) null, "^staples.*SU3 4x4x2x4").run();
            assertEquals(4, lines.size(), lines.toString());
            assertTrue(lines.stream().allMatch(l -> l.pass() && l.op().startsWith("staples")));
        }
    }

    @Test void comparisonsFailOnAnUlpANanOrAnUnwrittenElement() {
        try (CpuBackend be = new CpuBackend(1)) {
            SelfCheck sc = new SelfCheck(be, 1, (java.io.PrintWriter) null, null);
            double[] r = {1.0, -2.5, 0.0};
            sc.compare("same", "", r, r.clone(), SelfCheck.Tol.EXACT);
            sc.compare("ulp", "", r, new double[] {Math.nextUp(1.0), -2.5, 0.0}, SelfCheck.Tol.EXACT);
            sc.compare("ulp within round", "", r, new double[] {Math.nextUp(1.0), -2.5, 0.0}, SelfCheck.Tol.ROUND);
            sc.compare("signed zero", "", r, new double[] {1.0, -2.5, -0.0}, SelfCheck.Tol.EXACT);
            sc.compare("nan", "", r, new double[] {1.0, Double.NaN, 0.0}, SelfCheck.Tol.CHAIN);
            sc.compare("unwritten (poison left)", "", new double[] {1, 2}, new double[] {1, Double.NaN}, SelfCheck.Tol.CHAIN);
            sc.compare("nan meets nan", "", new double[] {Double.NaN}, new double[] {Double.NaN}, SelfCheck.Tol.EXACT);
            sc.compare("inf sign", "", new double[] {Double.POSITIVE_INFINITY}, new double[] {Double.NEGATIVE_INFINITY}, SelfCheck.Tol.CHAIN);
            sc.compare("beyond chain", "", r, new double[] {1.0 + 1e-9, -2.5, 0.0}, SelfCheck.Tol.CHAIN);
            sc.compare("length", "", r, new double[2], SelfCheck.Tol.CHAIN);
            boolean[] expect = {true, false, true, false, false, false, true, false, false, false};
            List<SelfCheck.Line> l = sc.lines();
            for (int i = 0; i < expect.length; i++) assertEquals(expect[i], l.get(i).pass(), l.get(i).format());
            assertTrue(l.get(1).format().startsWith("FAIL") && l.get(1).format().contains("first bad element 0"), l.get(1).format());
        }
    }

    @Test void everyTimingRowRuns() {
        try (Backend be = backend()) {
            List<Timings.Row> rows = new Timings(be, Timings.Size.TINY, Set.of("copies", "kernels", "models"), null).run();
            Set<String> sections = new TreeSet<>();
            for (Timings.Row r : rows) {
                assertFalse(r.name().contains("aborted"), r.markdown());
                assertTrue(r.seconds() > 0 && Double.isFinite(r.seconds()), r.markdown());
                sections.add(r.section());
            }
            assertEquals(Set.of("copies", "kernels", "models"), sections);
            assertTrue(rows.size() > 40, "rows: " + rows.size());
            assertTrue(rows.stream().anyMatch(r -> r.name().startsWith("tutorial haar") && r.rate().endsWith("configs/s")));
        }
    }

    @Test void gpuSizedModelsRunAloneForTheCpuFigure() {
        try (Backend be = backend()) {
            List<Timings.Row> rows = new Timings(be, Timings.Size.TINY, Set.of("large-models"), null).run();
            assertEquals(4, rows.size(), rows.toString());
            for (Timings.Row r : rows) assertTrue(r.seconds() > 0 && !r.name().contains("aborted"), r.markdown());
            assertTrue(rows.stream().anyMatch(r -> r.theory().startsWith("U1 64x64") && r.name().endsWith("training step")));
            assertTrue(rows.stream().anyMatch(r -> r.theory().startsWith("SU3 8x8x8x8") && r.rate().endsWith("configs/s")));
        }
    }

    @Test void tolerancesAreNamedAndOrdered() {
        double prev = -1;
        for (SelfCheck.Tol t : EnumSet.allOf(SelfCheck.Tol.class)) {
            assertTrue(t.value > prev);
            prev = t.value;
            assertFalse(t.label().isBlank());
        }
    }
}
