package org.mflowhpc.backend.cpu;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.testutil.Fields;

/**
 * The blocked SoA staple kernel is bit-identical (raw long bits, so also signed zeros and NaN payloads) to the
 * per-site reference {@link LinkUpdates#stapleSU3}: on fresh Haar-random SU(3) fields (seed printed in every
 * message), d = 2, 3, 4, volumes that are and are not multiples of the block size, every mu, batch 2, for several
 * block sizes and ways of splitting the site range, and through {@link CpuBackend#staples} with 1 and 2 threads.
 * Also on degenerate fields (unit links, links with exact and signed zeros), where many sums cancel exactly.
 */
class StapleSoATest {
    static final long SEED = Fields.freshSeed();
    /** Backend the test fields live on (the kernels read their links directly). */
    static final CpuBackend BE = new CpuBackend(1);

    /**
     * 4x6 (V = 24), 8x8 (64), 6x4x4 (96), 4^4 (256), 2x4x6x4 (192), 6x4x4x2 (192); extent 2 in every direction and
     * mixed (2x6, 6x2, 2x4x2, 4x2x2x4, 2^4, where up and down neighbours coincide; V >= 12 so that the split-range
     * cuts stay in range), and 8^4 (4096: many full blocks, wraps inside and at block edges).
     */
    static final Lattice[] LATS = {new Lattice(4, 6), new Lattice(8, 8), new Lattice(6, 4, 4), new Lattice(4, 4, 4, 4),
            new Lattice(2, 4, 6, 4), new Lattice(6, 4, 4, 2), new Lattice(2, 6), new Lattice(6, 2), new Lattice(2, 4, 2),
            new Lattice(4, 2, 2, 4), new Lattice(2, 2, 2, 2), new Lattice(8, 8, 8, 8)};

    private static String ctx(Lattice lat, int mu, String what) {
        return "seed=" + SEED + " lattice=" + lat + " mu=" + mu + " " + what;
    }

    /** Per-site reference for every (b, x): the path CpuBackend.staples used before the SoA kernel. */
    static double[] reference(GaugeField u, int mu) {
        int V = u.lattice.volume;
        double[] ref = new double[18 * u.batch * V], t1 = new double[18], t2 = new double[18];
        for (int i = 0; i < u.batch * V; i++) LinkUpdates.stapleSU3(u, i / V, mu, i % V, ref, 18 * i, t1, t2);
        return ref;
    }

    static void assertBitsEqual(double[] expected, double[] actual, String msg) {
        assertEquals(expected.length, actual.length, msg);
        for (int i = 0; i < expected.length; i++)
            if (Double.doubleToRawLongBits(expected[i]) != Double.doubleToRawLongBits(actual[i]))
                fail(msg + ": element " + i + " (site " + i / 18 + ", component " + i % 18 + ") expected " + expected[i]
                        + " but was " + actual[i]);
    }

    /** The kernel over [0, n) cut at the given interior points, each piece with its own scratch of {@code block}. */
    static double[] kernel(GaugeField u, int mu, int block, int... cuts) {
        int n = u.batch * u.lattice.volume;
        double[] out = new double[18 * n];
        int lo = 0;
        for (int k = 0; k <= cuts.length; k++) {
            int hi = k < cuts.length ? cuts[k] : n;
            StapleSoA.staples(u, mu, lo, hi, out, new StapleSoA.Scratch(block));
            lo = hi;
        }
        return out;
    }

    @Test void bitIdenticalToPerSiteReference() {
        for (Lattice lat : LATS) {
            GaugeField u = Fields.haar(BE, Group.SU3, lat, 2, SEED + lat.volume);
            int n = 2 * lat.volume;
            for (int mu = 0; mu < lat.d; mu++) {
                double[] ref = reference(u, mu);
                for (int block : new int[] {1, 7, 64, StapleSoA.BLOCK, 1000})
                    assertBitsEqual(ref, kernel(u, mu, block), ctx(lat, mu, "block=" + block));
                // ranges that start mid-configuration and straddle the configuration boundary
                assertBitsEqual(ref, kernel(u, mu, 16, 5, lat.volume - 3, lat.volume + 11), ctx(lat, mu, "split ranges"));
                assertBitsEqual(ref, kernel(u, mu, StapleSoA.BLOCK, n / 3, 2 * n / 3), ctx(lat, mu, "thirds"));
            }
        }
    }

    @Test void backendStaplesBitIdenticalForOneAndTwoThreads() {
        try (CpuBackend one = new CpuBackend(1); CpuBackend two = new CpuBackend(2)) {
            for (Lattice lat : LATS) {
                double[] h = Fields.haarHost(Group.SU3, lat, 2, SEED + 7 * lat.volume);
                GaugeField u = GaugeField.fromHost(one, Group.SU3, lat, 2, h), u2 = GaugeField.fromHost(two, Group.SU3, lat, 2, h);
                for (int mu = 0; mu < lat.d; mu++) {
                    double[] ref = reference(u, mu);
                    Buffer a = one.alloc(ref.length), b = two.alloc(ref.length);
                    one.staples(u, mu, a);
                    two.staples(u2, mu, b);
                    assertBitsEqual(ref, one.download(a), ctx(lat, mu, "CpuBackend(1)"));
                    assertBitsEqual(ref, two.download(b), ctx(lat, mu, "CpuBackend(2)"));
                }
            }
        }
    }

    /** Unit links and links with exact zeros, -0.0 and -1 entries: many products and sums are exact zeros. */
    @Test void bitIdenticalOnDegenerateFields() {
        for (Lattice lat : new Lattice[] {new Lattice(4, 6), new Lattice(2, 4, 6, 4)}) {
            GaugeField cold = GaugeField.identity(BE, Group.SU3, lat, 2);
            double[] f = Fields.haarHost(Group.SU3, lat, 2, SEED + 99);
            for (int l = 0; l < f.length / 18; l++) {
                int o = 18 * l;
                switch (l % 4) {
                    case 0: for (int k = 0; k < 18; k++) f[o + k] = k % 8 == 0 ? -1.0 : -0.0; break; // -1 with -0.0 elsewhere
                    case 1: for (int k = 0; k < 18; k += 3) f[o + k] = 0.0; break;                   // exact zeros
                    case 2: for (int k = 1; k < 18; k += 2) f[o + k] = -0.0; break;                  // real matrix, -0.0 im
                    default: break;                                                                   // Haar
                }
            }
            GaugeField mixed = GaugeField.fromHost(BE, Group.SU3, lat, 2, f);
            for (GaugeField u : new GaugeField[] {cold, mixed})
                for (int mu = 0; mu < lat.d; mu++) {
                    String what = u == cold ? "unit links" : "degenerate links";
                    double[] ref = reference(u, mu);
                    assertBitsEqual(ref, kernel(u, mu, 5), ctx(lat, mu, what + " block=5"));
                    assertBitsEqual(ref, kernel(u, mu, StapleSoA.BLOCK), ctx(lat, mu, what));
                }
        }
    }

    /** One scratch reused across lattices, batches and directions (as the per-thread scratch is). */
    @Test void reusedScratchAcrossShapes() {
        StapleSoA.Scratch sc = new StapleSoA.Scratch(StapleSoA.BLOCK);
        for (int batch : new int[] {2, 1})
            for (Lattice lat : new Lattice[] {new Lattice(2, 4, 6, 4), new Lattice(4, 6), new Lattice(6, 4, 4)}) {
                GaugeField u = Fields.haar(BE, Group.SU3, lat, batch, SEED + 13 * lat.volume + batch);
                int n = batch * lat.volume;
                for (int mu = 0; mu < lat.d; mu++) {
                    double[] out = new double[18 * n];
                    StapleSoA.staples(u, mu, 0, n, out, sc);
                    assertBitsEqual(reference(u, mu), out, ctx(lat, mu, "reused scratch batch=" + batch));
                }
            }
    }

    @Test void rejectsEmptyBlock() {
        assertThrows(IllegalArgumentException.class, () -> new StapleSoA.Scratch(0));
    }
}
