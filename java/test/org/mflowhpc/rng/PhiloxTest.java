package org.mflowhpc.rng;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Known-answer vectors of Philox-4x32-10 from Random123 (kat_vectors), plus stream properties. */
class PhiloxTest {
    private static int[] run(int c0, int c1, int c2, int c3, int k0, int k1) {
        int[] o = new int[4];
        Philox.block(c0, c1, c2, c3, k0, k1, o, 0);
        return o;
    }

    @Test void knownAnswerZero() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, run(0, 0, 0, 0, 0, 0));
    }

    @Test void knownAnswerOnes() {
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                run(-1, -1, -1, -1, -1, -1));
    }

    @Test void knownAnswerPi() {
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                run(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
    }

    @Test void uniformMomentsAndRange() {
        RngStream r = new RngStream(12345L, RngStream.Domain.TEST, 7, 3);
        int n = 200_000;
        double s = 0, s2 = 0;
        for (int i = 0; i < n; i++) {
            double u = r.uniform();
            assertTrue(u > 0 && u < 1);
            s += u; s2 += u * u;
        }
        double mean = s / n, var = s2 / n - mean * mean;
        assertEquals(0.5, mean, 5 * Math.sqrt(1.0 / 12 / n));
        assertEquals(1.0 / 12, var, 0.002);
    }

    @Test void gaussianMoments() {
        RngStream r = new RngStream(99L, RngStream.Domain.TEST, 0, 0);
        int n = 200_000;
        double s = 0, s2 = 0, s4 = 0;
        for (int i = 0; i < n; i++) { double g = r.gaussian(); s += g; s2 += g * g; s4 += g * g * g * g; }
        assertEquals(0, s / n, 5 / Math.sqrt(n));
        assertEquals(1, s2 / n, 5 * Math.sqrt(2.0 / n));
        assertEquals(3, s4 / n, 5 * Math.sqrt(96.0 / n));
    }

    @Test void streamsAreAddressedNotSequential() {
        RngStream a = new RngStream(5, 2, 10, 17), b = new RngStream(5, 2, 10, 17), c = new RngStream(5, 2, 10, 18);
        for (int i = 0; i < 10; i++) { int x = a.nextInt(); assertEquals(x, b.nextInt()); }
        assertNotEquals(new RngStream(5, 2, 10, 17).nextInt(), c.nextInt());
        assertNotEquals(RngStream.taskSeed(5, 0), RngStream.taskSeed(5, 1));
    }
}
