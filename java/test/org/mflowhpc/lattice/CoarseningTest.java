package org.mflowhpc.lattice;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Multiscale lattice chain: order of doublings, validation messages, coarse -> fine site maps (2D and 4D). */
class CoarseningTest {

    @Test void chainFor8x16AlternatesAndSkips() {
        Coarsening c = Coarsening.fromUnit(new Lattice(8, 16));
        assertEquals(7, c.layers());
        String[] specs = {"1x1", "2x1", "2x2", "4x2", "4x4", "8x4", "8x8", "8x16"};
        for (int k = 0; k <= 7; k++) assertEquals(specs[k], c.spec(k));
        int[] dirs = {0, 1, 0, 1, 0, 1, 1};
        for (int k = 0; k < 7; k++) assertEquals(dirs[k], c.direction(k));
        assertEquals(128, c.volume(7));
    }

    @Test void clearErrorsForImpossibleLattices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Coarsening.fromUnit(new Lattice(12, 16)));
        assertEquals("lattice 12x16 cannot be built by doubling from 1x1: extent 12 is not a power of two", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Coarsening.of(new int[] {16, 24}, new int[] {2, 2}));
        assertTrue(e.getMessage().contains("extent 24 in direction 1 is not a power of two times the coarse extent 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Coarsening.of(new int[] {16, 16}, new int[] {2}));
        assertTrue(e.getMessage().contains("different dimensions"), e.getMessage());
    }

    @Test void evenAndNewSitesTileTheFineLatticeIn2DAnd4D() {
        for (int[][] tc : new int[][][] {{{8, 16}, {1, 1}}, {{4, 4, 8, 2}, {1, 1, 1, 1}}, {{12, 6}, {3, 3}}}) {
            Coarsening c = Coarsening.of(tc[0], tc[1]);
            assertArrayEquals(tc[1], c.extents(0));
            assertArrayEquals(tc[0], c.extents(c.layers()));
            int d = c.dims();
            for (int k = 0; k < c.layers(); k++) {
                int m = c.direction(k);
                int[] ec = c.extents(k), ef = c.extents(k + 1);
                for (int mu = 0; mu < d; mu++) assertEquals(mu == m ? 2 * ec[mu] : ec[mu], ef[mu]);
                boolean[] hit = new boolean[c.volume(k + 1)];
                int[] xc = new int[d], xf = new int[d];
                for (int s = 0; s < c.volume(k); s++) {
                    Coarsening.coords(ec, s, xc);
                    int x = c.evenSite(k, s), y = c.newSite(k, s);
                    Coarsening.coords(ef, x, xf);
                    for (int mu = 0; mu < d; mu++) assertEquals(mu == m ? 2 * xc[mu] : xc[mu], xf[mu]);
                    assertEquals(c.up(k + 1, m, x), y);
                    assertEquals(x, c.dn(k + 1, m, y));
                    assertFalse(hit[x]);
                    assertFalse(hit[y]);
                    hit[x] = hit[y] = true;
                }
                for (boolean h : hit) assertTrue(h);
            }
        }
    }
}
