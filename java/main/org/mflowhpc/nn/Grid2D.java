package org.mflowhpc.nn;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Periodic neighbour tables for k x k stencils on an L0 x L1 torus (site = x0 + L0*x1, direction 0 fastest).
 *
 * <p>{@code shifts(l0, l1, k)[t][s]} is the site at (x0 + a0 - r, x1 + a1 - r) mod (L0, L1) for stencil tap
 * t = a1*k + a0 (a0, a1 in [0, k), r = (k-1)/2), i.e. tap index runs over direction 0 fastest like sites do.
 * Tables are cached (immutable once built) and shared across threads.
 */
public final class Grid2D {
    private Grid2D() {}

    private static final ConcurrentHashMap<Long, int[][]> CACHE = new ConcurrentHashMap<>();

    public static int[][] shifts(int l0, int l1, int k) {
        if (l0 < 1 || l1 < 1) throw new IllegalArgumentException("bad 2D grid " + l0 + "x" + l1);
        if (k < 1 || (k & 1) == 0) throw new IllegalArgumentException("kernel size must be odd and >= 1, got " + k);
        long key = ((long) l0 << 40) | ((long) l1 << 16) | k;
        return CACHE.computeIfAbsent(key, kk -> build(l0, l1, k));
    }

    private static int[][] build(int l0, int l1, int k) {
        int r = (k - 1) / 2, V = l0 * l1;
        int[][] t = new int[k * k][V];
        for (int a1 = 0; a1 < k; a1++)
            for (int a0 = 0; a0 < k; a0++) {
                int[] row = t[a1 * k + a0];
                for (int x1 = 0; x1 < l1; x1++)
                    for (int x0 = 0; x0 < l0; x0++) {
                        int y0 = Math.floorMod(x0 + a0 - r, l0), y1 = Math.floorMod(x1 + a1 - r, l1);
                        row[x0 + l0 * x1] = y0 + l0 * y1;
                    }
            }
        return t;
    }
}
