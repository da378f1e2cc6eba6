package org.mflowhpc.lattice;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * Slice masks (the multiscale level layers with level_masks=slice): 2(d-1) layers of the slice schedule move every
 * new link of a doubling (direction != s on the odd s-slice) exactly once and nothing else; each active link's
 * staple contains no active link and lies in the slice; the frozen flags are the plaquettes without an active link.
 */
class CouplingMaskTest {

    @Test
    void sliceScheduleMovesEveryNewLinkOnceThroughAnInSlicePlaquette() {
        for (Lattice lat : new Lattice[] {new Lattice(4, 2, 4), new Lattice(4, 4, 4, 2), new Lattice(2, 2, 2, 4)}) {
            for (int s = 0; s < lat.d; s++) {
                int[][] moved = new int[lat.d][lat.volume];
                java.util.Set<String> planes = new java.util.HashSet<>();
                for (int i = 0; i < 2 * (lat.d - 1); i++) {
                    CouplingMask m = CouplingMask.forSlice(lat, s, i);
                    planes.add(Math.min(m.mu, m.nu) + "" + Math.max(m.mu, m.nu));
                    assertEquals(s, m.slice);
                    assertNotEquals(s, m.mu);
                    assertNotEquals(s, m.nu);
                    assertEquals(lat.volume / 4, m.activeCount(), "V/4 active links");
                    for (int x : m.activeSites()) {
                        moved[m.mu][x]++;
                        // the staple U_nu(x) U_mu(x+nu) U_nu(x+mu)^dag: no active link, all on the slice
                        assertFalse(m.isActiveLink(m.mu, lat.up(m.nu, x)));
                        assertEquals(1, lat.coords(lat.up(m.nu, x))[s] % 2);
                        assertEquals(1, lat.coords(lat.up(m.mu, x))[s] % 2);
                    }
                    int[] frozen = m.frozen();
                    int p = 0;
                    for (int a = 0; a < lat.d; a++)
                        for (int b = a + 1; b < lat.d; b++, p++)
                            for (int y = 0; y < lat.volume; y++)
                                assertEquals(m.containsActive(a, b, y) ? 0 : 1, frozen[p * lat.volume + y]);
                }
                // every in-slice plane serves as a frame: (d-1)(d-2)/2 of them
                assertEquals((lat.d - 1) * (lat.d - 2) / 2, planes.size(), "in-slice planes used as frames");
                for (int mu = 0; mu < lat.d; mu++)
                    for (int x = 0; x < lat.volume; x++) {
                        boolean isNew = mu != s && lat.coords(x)[s] % 2 == 1;
                        assertEquals(isNew ? 1 : 0, moved[mu][x], "link " + mu + " at " + x + " (slice " + s + ") on " + lat.spec());
                    }
            }
        }
    }

    @Test
    void sliceMasksRefuseTwoDimensionsOddExtentsAndSliceInThePlane() {
        assertThrows(IllegalArgumentException.class, () -> CouplingMask.forSlice(new Lattice(4, 4), 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new CouplingMask(new Lattice(4, 4, 4), 0, 1, 0, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> new CouplingMask(new Lattice(4, 4, 4), 0, 1, 0, 4, 2));
    }
}
