package org.mflowhpc.lattice;

/**
 * The chain of periodic lattices a multiscale flow builds, from a coarse lattice (down to 1^d) up to a target
 * lattice, by doubling layers that each double one extent (docs/physics.md §3).
 *
 * <p>Contract.
 * <ul>
 *   <li>Levels k = 0 .. {@link #layers()}: level 0 is the coarse lattice, level {@code layers()} the target. Layer k
 *       maps level k to level k+1 by doubling direction {@link #direction(int) direction(k)}.
 *   <li>Validation: every target extent must be 2^j times the coarse extent (j >= 0), else
 *       IllegalArgumentException, e.g. "lattice 12x16 cannot be built by doubling from 1x1: extent 12 is not a
 *       power of two".
 *   <li>Order of the doublings: read from fine to coarse, each step halves the direction with the largest
 *       remaining factor (target/current; ties go to the highest direction). Built coarse to fine this alternates
 *       directions 0, 1, ..., d-1, 0, 1, ... and skips directions that are done, e.g. 8x16 from 1x1:
 *       1x1 -> 2x1 -> 2x2 -> 4x2 -> 4x4 -> 8x4 -> 8x8 -> 8x16.
 *   <li>Site order at every level (extents may be 1 here, unlike {@link Lattice}): lexicographic, direction 0
 *       fastest, {@code site = x0 + L0*(x1 + L1*(...))}; neighbours periodic (with extent 1, x + mu = x).
 *   <li>Doubling layer k in direction m: coarse site x' maps to the fine "even" site x = (2 x'_m, x'_perp)
 *       ({@link #evenSite}) and to the new site y = x + m-hat ({@link #newSite}). Every fine site is exactly one of
 *       these, so the two tables together enumerate the fine lattice.
 * </ul>
 * Pure geometry: no links, no group. General d.
 */
public final class Coarsening {
    private final int d;
    private final int[][] ext;
    private final int[] dir;
    private final int[] vol;
    private final int[][][] up, dn;
    private final int[][] even, fresh;

    private Coarsening(int[] target, int[] coarse) {
        d = target.length;
        int[] cur = target.clone();
        int[] rem = new int[d];
        int total = 0;
        for (int mu = 0; mu < d; mu++) {
            rem[mu] = Integer.numberOfTrailingZeros(target[mu] / coarse[mu]);
            total += rem[mu];
        }
        ext = new int[total + 1][];
        dir = new int[total];
        ext[total] = cur.clone();
        for (int k = total - 1; k >= 0; k--) {
            int best = -1;
            for (int mu = 0; mu < d; mu++) if (rem[mu] > 0 && (best < 0 || rem[mu] >= rem[best])) best = mu;
            dir[k] = best;
            rem[best]--;
            cur[best] /= 2;
            ext[k] = cur.clone();
        }
        vol = new int[total + 1];
        up = new int[total + 1][][];
        dn = new int[total + 1][][];
        for (int k = 0; k <= total; k++) {
            long v = 1;
            for (int l : ext[k]) v *= l;
            vol[k] = (int) v;
            up[k] = new int[d][vol[k]];
            dn[k] = new int[d][vol[k]];
            int[] x = new int[d];
            for (int s = 0; s < vol[k]; s++) {
                coords(ext[k], s, x);
                for (int mu = 0; mu < d; mu++) {
                    int keep = x[mu];
                    x[mu] = (keep + 1) % ext[k][mu];
                    up[k][mu][s] = site(ext[k], x);
                    x[mu] = (keep - 1 + ext[k][mu]) % ext[k][mu];
                    dn[k][mu][s] = site(ext[k], x);
                    x[mu] = keep;
                }
            }
        }
        even = new int[total][];
        fresh = new int[total][];
        for (int k = 0; k < total; k++) {
            int m = dir[k];
            even[k] = new int[vol[k]];
            fresh[k] = new int[vol[k]];
            int[] x = new int[d];
            for (int s = 0; s < vol[k]; s++) {
                coords(ext[k], s, x);
                x[m] *= 2;
                even[k][s] = site(ext[k + 1], x);
                fresh[k][s] = up[k + 1][m][even[k][s]];
            }
        }
    }

    /** Chain from the coarse extents {@code coarse} (each >= 1) to {@code target}; validates as described above. */
    public static Coarsening of(int[] target, int[] coarse) {
        if (target.length != coarse.length)
            throw new IllegalArgumentException("coarse lattice " + spec(coarse) + " and target lattice " + spec(target)
                    + " have different dimensions");
        if (target.length < 1) throw new IllegalArgumentException("lattice must have at least one dimension");
        long v = 1;
        for (int mu = 0; mu < target.length; mu++) {
            int l = target[mu], c = coarse[mu];
            String head = "lattice " + spec(target) + " cannot be built by doubling from " + spec(coarse) + ": ";
            if (c < 1) throw new IllegalArgumentException(head + "coarse extent " + c + " must be >= 1");
            if (l < 1) throw new IllegalArgumentException(head + "extent " + l + " must be >= 1");
            boolean ok = l % c == 0 && Integer.bitCount(l / c) == 1;
            if (!ok) {
                if (c == 1) throw new IllegalArgumentException(head + "extent " + l + " is not a power of two");
                throw new IllegalArgumentException(head + "extent " + l + " in direction " + mu
                        + " is not a power of two times the coarse extent " + c);
            }
            v *= l;
        }
        if (v > (1 << 28)) throw new IllegalArgumentException("lattice volume " + v + " is too large (max 2^28 sites)");
        return new Coarsening(target, coarse);
    }

    /** Chain from 1^d to the given lattice. */
    public static Coarsening fromUnit(Lattice target) {
        int[] c = new int[target.d];
        java.util.Arrays.fill(c, 1);
        return of(target.extents(), c);
    }

    public int dims() { return d; }
    /** Number of doubling layers (= number of levels - 1). */
    public int layers() { return dir.length; }
    public int[] extents(int level) { return ext[level].clone(); }
    public int extent(int level, int mu) { return ext[level][mu]; }
    public int volume(int level) { return vol[level]; }
    /** Direction doubled by layer k (level k -> k+1). */
    public int direction(int layer) { return dir[layer]; }
    public int up(int level, int mu, int site) { return up[level][mu][site]; }
    public int dn(int level, int mu, int site) { return dn[level][mu][site]; }
    /** Fine site x = (2x'_m, x'_perp) at level layer+1 of coarse site x' at level layer. */
    public int evenSite(int layer, int coarseSite) { return even[layer][coarseSite]; }
    /** New fine site y = x + m-hat at level layer+1 of coarse site x' at level layer. */
    public int newSite(int layer, int coarseSite) { return fresh[layer][coarseSite]; }
    public String spec(int level) { return spec(ext[level]); }

    public static String spec(int[] e) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < e.length; i++) { if (i > 0) b.append('x'); b.append(e[i]); }
        return b.toString();
    }

    /** Lexicographic site index (direction 0 fastest) of coordinates x on extents e. */
    public static int site(int[] e, int[] x) {
        int s = 0;
        for (int mu = e.length - 1; mu >= 0; mu--) s = s * e[mu] + x[mu];
        return s;
    }

    public static void coords(int[] e, int site, int[] x) {
        for (int mu = 0; mu < e.length; mu++) { x[mu] = site % e[mu]; site /= e[mu]; }
    }
}
