package org.mflowhpc.lattice;

import java.util.Arrays;

/**
 * Periodic hypercubic lattice of extents L[0..d-1], d in {2, 3, 4}, every extent even and >= 2.
 *
 * <p>Site order (used everywhere: Java, kernels, HDF5 attribute {@code site_order}): lexicographic with direction 0
 * running fastest, {@code site = x0 + L0*(x1 + L1*(x2 + L2*x3))}. Parity of a site is {@code (x0+...+x_{d-1}) mod 2}.
 * Neighbour tables {@code up[mu][site]} = x + mu-hat, {@code dn[mu][site]} = x - mu-hat are precomputed.
 */
public final class Lattice {
    public final int d;
    private final int[] L;
    public final int volume;
    private final int[][] up, dn;
    private final byte[] parity;

    public Lattice(int... extents) { this(false, extents); }

    /**
     * An intermediate lattice of a multiscale chain: extents even or 1 (a direction of extent 1 is its own
     * neighbour, x + mu-hat = x). Only the flow's geometry runs on it (splits, gathers, plaquettes, features,
     * convolutions); samplers, whose checkerboards need even extents, never do. With at least one even extent
     * half the sites are even; 1^d has its one site even.
     */
    public static Lattice coarse(int... extents) { return new Lattice(true, extents); }

    private Lattice(boolean allowUnit, int... extents) {
        if (extents.length < 2 || extents.length > 4)
            throw new IllegalArgumentException("lattice must have 2, 3 or 4 dimensions, got " + extents.length);
        long v = 1;
        for (int i = 0; i < extents.length; i++) {
            int l = extents[i];
            if (!(allowUnit && l == 1) && (l < 2 || (l & 1) != 0))
                throw new IllegalArgumentException("lattice extent L" + i + " = " + l + " must be even and >= 2");
            v *= l;
        }
        if (v > (1 << 28)) throw new IllegalArgumentException("lattice volume " + v + " is too large (max 2^28 sites)");
        this.d = extents.length;
        this.L = extents.clone();
        this.volume = (int) v;
        up = new int[d][volume];
        dn = new int[d][volume];
        parity = new byte[volume];
        int[] x = new int[d];
        for (int s = 0; s < volume; s++) {
            coords(s, x);
            int p = 0;
            for (int mu = 0; mu < d; mu++) {
                p += x[mu];
                int keep = x[mu];
                x[mu] = (keep + 1) % L[mu];
                up[mu][s] = site(x);
                x[mu] = (keep - 1 + L[mu]) % L[mu];
                dn[mu][s] = site(x);
                x[mu] = keep;
            }
            parity[s] = (byte) (p & 1);
        }
    }

    /**
     * Parses "16x16", "8x8x8x16" (x or X or comma separated). Throws IllegalArgumentException with a one-line
     * message naming the problem.
     */
    public static Lattice parse(String spec) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("empty lattice specification");
        String[] parts = spec.trim().split("[xX,]");
        int[] ext = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ext[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad lattice '" + spec + "': '" + parts[i] + "' is not an integer extent (expected e.g. 16x16 or 8x8x8x8)");
            }
        }
        try {
            return new Lattice(ext);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad lattice '" + spec + "': " + e.getMessage());
        }
    }

    public int extent(int mu) { return L[mu]; }
    public int[] extents() { return L.clone(); }
    public int up(int mu, int site) { return up[mu][site]; }
    public int dn(int mu, int site) { return dn[mu][site]; }
    public int parity(int site) { return parity[site]; }
    /** Number of plaquette orientations m < n: d(d-1)/2. */
    public int planes() { return d * (d - 1) / 2; }

    public int site(int[] x) {
        int s = 0;
        for (int mu = d - 1; mu >= 0; mu--) s = s * L[mu] + x[mu];
        return s;
    }

    public void coords(int site, int[] x) {
        for (int mu = 0; mu < d; mu++) { x[mu] = site % L[mu]; site /= L[mu]; }
    }

    public int[] coords(int site) { int[] x = new int[d]; coords(site, x); return x; }

    /** "16x16" style string. */
    public String spec() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < d; i++) { if (i > 0) b.append('x'); b.append(L[i]); }
        return b.toString();
    }

    @Override public boolean equals(Object o) { return o instanceof Lattice && Arrays.equals(L, ((Lattice) o).L); }
    @Override public int hashCode() { return Arrays.hashCode(L); }
    @Override public String toString() { return spec(); }
}
