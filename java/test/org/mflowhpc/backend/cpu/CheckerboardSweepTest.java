package org.mflowhpc.backend.cpu;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
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

    private static GaugeField run(int threads, GaugeField start, double beta, long seed, long sweep, boolean or) {
        GaugeField u = start.copy();
        try (CpuBackend be = new CpuBackend(threads)) {
            for (int k = 0; k < 2; k++) {
                be.heatbath(u, beta, seed, sweep + k);
                if (or) be.overrelax(u, beta, seed, sweep + k);
            }
        }
        return u;
    }

    @Test void bitIdenticalForAnyThreadCount() {
        for (Group g : Group.values())
            for (Lattice lat : LATS) {
                GaugeField start = SamplerFixtures.hot(g, lat, 2, 11);
                GaugeField a = run(1, start, 2.5, 42, 7, true);
                assertArrayEquals(a.data, run(2, start, 2.5, 42, 7, true).data, g + " " + lat);
                assertArrayEquals(a.data, run(3, start, 2.5, 42, 7, true).data, g + " " + lat);
            }
    }

    @Test void reproducibleAndKeyedBySeedAndSweep() {
        for (Group g : Group.values()) {
            GaugeField start = SamplerFixtures.hot(g, LATS[0], 2, 12);
            GaugeField a = run(2, start, 1.5, 5, 0, false);
            assertArrayEquals(a.data, run(2, start, 1.5, 5, 0, false).data);
            GaugeField otherSeed = run(2, start, 1.5, 6, 0, false), otherSweep = run(2, start, 1.5, 5, 1, false);
            int links = a.data.length / g.dof, moved = 0, diffSeed = 0, diffSweep = 0;
            for (int l = 0; l < links; l++) {
                int o = l * g.dof;
                if (a.data[o] != start.data[o]) moved++;
                if (a.data[o] != otherSeed.data[o]) diffSeed++;
                if (a.data[o] != otherSweep.data[o]) diffSweep++;
            }
            assertEquals(links, moved, "every link must be updated");
            assertEquals(links, diffSeed);
            assertEquals(links, diffSweep);
            if (g == Group.SU3)
                for (int o = 0; o < a.data.length; o += 18) assertTrue(SU3.unitarityDeviation(a.data, o) < 1e-14);
            else for (double th : a.data) assertTrue(th > -Math.PI && th <= Math.PI);
        }
    }

    @Test void overrelaxationSweepPreservesAction() {
        try (CpuBackend be = new CpuBackend(2)) {
            for (Group g : Group.values())
                for (Lattice lat : LATS) {
                    double beta = g == Group.U1 ? 2.0 : 5.7;
                    GaugeField u = SamplerFixtures.hot(g, lat, 2, 13);
                    for (int k = 0; k < 5; k++) be.heatbath(u, beta, 3, k);
                    double[] s0 = new double[2], s1 = new double[2];
                    be.action(u, beta, s0);
                    GaugeField before = u.copy();
                    for (int k = 0; k < 3; k++) be.overrelax(u, beta, 3, k);
                    be.action(u, beta, s1);
                    double moved = 0;
                    for (int i = 0; i < u.data.length; i++) moved = Math.max(moved, Math.abs(u.data[i] - before.data[i]));
                    assertTrue(moved > 0.1, "overrelaxation must move links");
                    for (int b = 0; b < 2; b++)
                        assertEquals(s0[b], s1[b], 1e-10, g + " " + lat + " |S| = " + Math.abs(s0[b]));
                    if (g == Group.SU3)
                        for (int o = 0; o < u.data.length; o += 18) assertTrue(SU3.unitarityDeviation(u.data, o) < 1e-14);
                }
        }
    }
}
