package org.mflowhpc.backend.cpu;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.sample.SamplerFixtures;

/**
 * Backend heatbath / overrelax sweeps: bit-identical for 1, 2 and 3 threads; reproducible from (seed, sweep) and
 * sensitive to both; every link moves; SU(3) links stay unitary; an overrelaxation sweep keeps the action.
 */
class CheckerboardSweepTest {
    private static final Lattice[] LATS = {new Lattice(8, 8), new Lattice(4, 6, 4), new Lattice(4, 4, 4, 4)};

    /** Two sweeps of a copy of the host configuration {@code start} on a fresh CpuBackend(threads); host result. */
    private static double[] run(int threads, Group g, Lattice lat, double[] start, double beta, long seed, long sweep, boolean or) {
        try (CpuBackend be = new CpuBackend(threads)) {
            GaugeField u = GaugeField.fromHost(be, g, lat, 2, start);
            for (int k = 0; k < 2; k++) {
                be.heatbath(u, beta, seed, sweep + k);
                if (or) be.overrelax(u, beta, seed, sweep + k);
            }
            return u.toHost();
        }
    }

    private static double[] action(CpuBackend be, GaugeField u, double beta) {
        Buffer s = be.alloc(u.batch);
        be.action(u, beta, s, 0);
        return be.download(s);
    }

    @Test void bitIdenticalForAnyThreadCount() {
        for (Group g : Group.values())
            for (Lattice lat : LATS) {
                double[] start = SamplerFixtures.hotHost(g, lat, 2, 11);
                double[] a = run(1, g, lat, start, 2.5, 42, 7, true);
                assertArrayEquals(a, run(2, g, lat, start, 2.5, 42, 7, true), g + " " + lat);
                assertArrayEquals(a, run(3, g, lat, start, 2.5, 42, 7, true), g + " " + lat);
            }
    }

    @Test void reproducibleAndKeyedBySeedAndSweep() {
        for (Group g : Group.values()) {
            Lattice lat = LATS[0];
            double[] start = SamplerFixtures.hotHost(g, lat, 2, 12);
            double[] a = run(2, g, lat, start, 1.5, 5, 0, false);
            assertArrayEquals(a, run(2, g, lat, start, 1.5, 5, 0, false));
            double[] otherSeed = run(2, g, lat, start, 1.5, 6, 0, false), otherSweep = run(2, g, lat, start, 1.5, 5, 1, false);
            int links = a.length / g.dof, moved = 0, diffSeed = 0, diffSweep = 0;
            for (int l = 0; l < links; l++) {
                int o = l * g.dof;
                if (a[o] != start[o]) moved++;
                if (a[o] != otherSeed[o]) diffSeed++;
                if (a[o] != otherSweep[o]) diffSweep++;
            }
            assertEquals(links, moved, "every link must be updated");
            assertEquals(links, diffSeed);
            assertEquals(links, diffSweep);
            if (g == Group.SU3)
                for (int o = 0; o < a.length; o += 18) assertTrue(SU3.unitarityDeviation(a, o) < 1e-14);
            else for (double th : a) assertTrue(th > -Math.PI && th <= Math.PI);
        }
    }

    @Test void overrelaxationSweepPreservesAction() {
        try (CpuBackend be = new CpuBackend(2)) {
            for (Group g : Group.values())
                for (Lattice lat : LATS) {
                    double beta = g == Group.U1 ? 2.0 : 5.7;
                    GaugeField u = SamplerFixtures.hot(be, g, lat, 2, 13);
                    for (int k = 0; k < 5; k++) be.heatbath(u, beta, 3, k);
                    double[] s0 = action(be, u, beta);
                    double[] before = u.toHost();
                    for (int k = 0; k < 3; k++) be.overrelax(u, beta, 3, k);
                    double[] s1 = action(be, u, beta);
                    double[] uh = u.toHost();
                    double moved = 0;
                    for (int i = 0; i < uh.length; i++) moved = Math.max(moved, Math.abs(uh[i] - before[i]));
                    assertTrue(moved > 0.1, "overrelaxation must move links");
                    for (int b = 0; b < 2; b++)
                        assertEquals(s0[b], s1[b], 1e-10, g + " " + lat + " |S| = " + Math.abs(s0[b]));
                    if (g == Group.SU3)
                        for (int o = 0; o < uh.length; o += 18) assertTrue(SU3.unitarityDeviation(uh, o) < 1e-14);
                }
        }
    }
}
