package org.mflowhpc.rng;

/**
 * A stream of random numbers addressed by (seed, domain, step, site): the Philox counter is
 * (c0 = block index within the stream, c1 = site, c2 = step, c3 = domain) and the key is the 64-bit seed.
 * Any (seed, domain, step, site) tuple names an independent stream, so results do not depend on the order in
 * which sites are visited or on the number of threads, and SLURM array tasks get disjoint streams by seeding
 * with {@link #taskSeed(long, int)}.
 *
 * <p>Domains used in the project are listed in {@link Domain}. Not thread-safe: one instance per worker.
 */
public final class RngStream {
    private final int k0, k1, c1, c2, c3;
    private int block;
    private final int[] buf = new int[4];
    private int pos = 4;
    private double spareGauss;
    private boolean hasSpare;

    public RngStream(long seed, int domain, long step, long site) {
        this.k0 = (int) seed;
        this.k1 = (int) (seed >>> 32);
        this.c1 = (int) site;
        this.c2 = (int) step;
        this.c3 = domain ^ (int) (step >>> 32) * 0x10001 ^ (int) (site >>> 32) * 0x1000193;
    }

    /** Re-addresses this stream without allocating (hot loops reuse one instance per worker). */
    public static RngStream of(long seed, int domain, long step, long site) {
        return new RngStream(seed, domain, step, site);
    }

    /** Seed for SLURM array task {@code task}: Philox of (task, 0, 0, 0x7A5C) under the user seed. */
    public static long taskSeed(long seed, int task) {
        int[] o = new int[4];
        Philox.block(task, 0, 0, 0x7A5C, (int) seed, (int) (seed >>> 32), o, 0);
        return ((long) o[0] << 32) | (o[1] & 0xFFFFFFFFL);
    }

    public int nextInt() {
        if (pos == 4) {
            Philox.block(block++, c1, c2, c3, k0, k1, buf, 0);
            pos = 0;
        }
        return buf[pos++];
    }

    /** Uniform in (0, 1), never exactly 0 or 1. */
    public double uniform() {
        int hi = nextInt();
        int lo = nextInt();
        return Philox.toOpenUnit(hi, lo);
    }

    /** Standard normal by Box-Muller (pairs cached). */
    public double gaussian() {
        if (hasSpare) { hasSpare = false; return spareGauss; }
        double u1 = uniform(), u2 = uniform();
        double r = Math.sqrt(-2.0 * Math.log(u1));
        double a = 2.0 * Math.PI * u2;
        spareGauss = r * Math.sin(a);
        hasSpare = true;
        return r * Math.cos(a);
    }

    /** Uniform angle in (-pi, pi). */
    public double angle() { return Math.PI * (2.0 * uniform() - 1.0); }

    /** Random-number domains: one per purpose, so streams for different purposes never coincide. */
    public static final class Domain {
        private Domain() {}
        public static final int INIT = 1, HEATBATH = 2, OVERRELAX = 3, HMC_MOMENTA = 4, HMC_ACCEPT = 5,
                GAUGE = 6, NN_INIT = 7, FLOW_PRIOR = 8, FLOW_GAUGE = 9, MH_ACCEPT = 10, BOOTSTRAP = 11,
                TEST = 99;
        /** Multiscale doubling layer k draws from domain FLOW_LEVEL + k (32..63 reserved for the levels). */
        public static final int FLOW_LEVEL = 32;
    }
}
