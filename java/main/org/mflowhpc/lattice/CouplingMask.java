package org.mflowhpc.lattice;

/**
 * Stripe masks of a gauge-equivariant coupling layer, in any dimension (Kanwar et al. arXiv:2003.06413 in 2D; the
 * same construction slice by slice in d = 3, 4).
 *
 * <p>A layer updates the mu-links U_mu(x) on the slice x_nu = offset (mod 4), nu != mu: the ACTIVE links. Each is
 * moved through its plaquette in the (mu, nu) plane, W = U_mu(x) Γ(x)^dag with the single staple
 * Γ(x) = U_nu(x) U_mu(x+nu) U_nu(x+mu)^dag, which contains no active link (U_mu(x+nu) lies on the slice
 * offset + 1). A plaquette is FROZEN when it contains no active link: the conditioner sees only frozen plaquettes,
 * so its output is unchanged by the layer and the Jacobian is block-diagonal with one block per active link.
 * Plaquettes containing an active link other than the W's are PASSIVE: they change as a consequence and are never
 * read. Requires L_nu divisible by 4 (the stripes of period 4 must tile the periodic direction).
 *
 * <p>Period 2 (explicit constructor argument, for lattices with L_nu = 2 mod 4 such as the 2^d coarse level of a
 * multiscale flow): active links on x_nu = offset (mod 2). Γ still contains no active link (U_mu(x+nu) lies on the
 * other parity), but every (mu, nu) plaquette now contains an active link, so only the planes other than (mu, nu)
 * feed the conditioner (in 2D none: the layer is then a learned, feature-independent spectral map per stripe).
 *
 * <p>Slice masks ({@link #forSlice}, the multiscale level layers in d >= 3 with {@code level_masks=slice}): the same
 * stripes restricted to the odd slice x_s = 1 (mod 2) of a doubling in direction s, with mu, nu != s. The active links
 * are then exactly new links of that doubling (U_mu on the odd s-slice, period-2 stripes in nu), and Γ is their
 * plaquette in the (mu, nu) plane of the slice, whose four links are all new: the in-slice plaquettes that the doubling
 * flow, which sees only the two (s, mu) staples of a new link, cannot correlate. Γ still contains no active link
 * (U_mu(x+nu) lies on the other stripe), so the layer is a coupling layer like any other. Period 2 only.
 *
 * <p>Per layer: {@link #activeSites()} (sorted sites x of the active links, V/4 of them) and {@link #frozen()}
 * (planes*V flags, index p*V + y, 1 when plaquette P_p(y) is frozen).
 */
public final class CouplingMask {
    public final Lattice lattice;
    public final int mu, nu, offset, period;
    /** The doubling direction s whose odd slice holds every active link, or -1 (no restriction). */
    public final int slice;
    private final int[] active, frozen;

    public CouplingMask(Lattice lat, int mu, int nu, int offset) { this(lat, mu, nu, offset, 4); }

    public CouplingMask(Lattice lat, int mu, int nu, int offset, int period) { this(lat, mu, nu, offset, period, -1); }

    public CouplingMask(Lattice lat, int mu, int nu, int offset, int period, int slice) {
        int d = lat.d;
        if (slice != -1 && (slice < 0 || slice >= d || slice == mu || slice == nu || period != 2 || lat.extent(slice) % 2 != 0))
            throw new IllegalArgumentException("slice mask needs a slice direction other than mu=" + mu + ", nu=" + nu + " with an even extent and period 2, got slice=" + slice + ", period " + period + " on " + lat.spec());
        if (period != 2 && period != 4) throw new IllegalArgumentException("mask period must be 2 or 4, got " + period);
        if (mu < 0 || mu >= d || nu < 0 || nu >= d || mu == nu)
            throw new IllegalArgumentException("coupling mask needs two different directions in 0.." + (d - 1) + ", got mu=" + mu + " nu=" + nu);
        if (offset < 0 || offset >= period) throw new IllegalArgumentException("mask offset must be in 0.." + (period - 1) + ", got " + offset);
        if (lat.extent(nu) % period != 0)
            throw new IllegalArgumentException("coupling-layer masks need extent L" + nu + " divisible by " + period + " (stripes of period " + period + "), lattice is " + lat.spec());
        this.lattice = lat; this.mu = mu; this.nu = nu; this.offset = offset; this.period = period; this.slice = slice;
        int V = lat.volume;
        int[] x = new int[d];
        int n = 0;
        int[] tmp = new int[V];
        for (int s = 0; s < V; s++) { lat.coords(s, x); if (isActive(x)) tmp[n++] = s; }
        active = java.util.Arrays.copyOf(tmp, n);
        int np = lat.planes();
        frozen = new int[np * V];
        int p = 0;
        for (int m = 0; m < d; m++)
            for (int q = m + 1; q < d; q++, p++)
                for (int s = 0; s < V; s++)
                    frozen[p * V + s] = containsActive(m, q, s) ? 0 : 1;
    }

    /** The mask of layer i in the standard schedule: mu = i mod d, offset = (i / d) mod 4, nu the
     *  ((i / 4d) mod (d-1))-th direction other than mu (in 2D: nu = 1 - mu, offset = (i/2) mod 4, as in the tutorial). */
    public static CouplingMask forLayer(Lattice lat, int i) { return forLayer(lat, i, 4); }

    /** The same schedule with stripes of the given period (2 or 4); offset = (i / d) mod period. */
    public static CouplingMask forLayer(Lattice lat, int i, int period) {
        int d = lat.d, mu = i % d, k = i / d, offset = k % period, j = (k / 4) % (d - 1);
        int nu = j < mu ? j : j + 1;
        return new CouplingMask(lat, mu, nu, offset, period);
    }

    /**
     * Layer i of the slice schedule on the fine lattice of a doubling in direction s (d >= 3), with o the d-1
     * directions other than s in increasing order: m = i mod (d-1), mu = o[m], offset = (i / (d-1)) mod 2,
     * nu = o[(m + 1 + r) mod (d-1)], r = (i / (2(d-1))) mod (d-2). So every 2(d-1) layers move every new link once
     * (the partner is fixed within them), and the partners cycle: in 4D the first six already use all three in-slice
     * planes as frames (mu, nu) = (o0, o1), (o1, o2), (o2, o0), the next six the other orientation.
     */
    public static CouplingMask forSlice(Lattice lat, int s, int i) {
        int d = lat.d;
        if (d < 3) throw new IllegalArgumentException("slice masks need d >= 3 (in 2D a slice has no plaquette), lattice is " + lat.spec());
        int[] o = new int[d - 1];
        for (int m = 0, n = 0; m < d; m++) if (m != s) o[n++] = m;
        int m = i % (d - 1), offset = (i / (d - 1)) % 2, r = (i / (2 * (d - 1))) % (d - 2);
        return new CouplingMask(lat, o[m], o[(m + 1 + r) % (d - 1)], offset, 2, s);
    }

    private boolean isActive(int[] x) {
        return Math.floorMod(x[nu] - offset, period) == 0 && (slice < 0 || x[slice] % 2 == 1);
    }

    /** True when link (dir, site) is active. */
    public boolean isActiveLink(int dir, int site) {
        return dir == mu && isActive(lattice.coords(site));
    }

    /** True when plaquette P_mn(y) (m < n) contains an active link. */
    public boolean containsActive(int m, int n, int y) {
        return isActiveLink(m, y) || isActiveLink(n, lattice.up(m, y)) || isActiveLink(m, lattice.up(n, y)) || isActiveLink(n, y);
    }

    public int[] activeSites() { return active.clone(); }
    public int[] frozen() { return frozen.clone(); }
    public int activeCount() { return active.length; }
}
