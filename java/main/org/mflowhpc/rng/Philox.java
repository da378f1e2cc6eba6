package org.mflowhpc.rng;

/**
 * Philox-4x32-10 counter-based generator (Salmon, Moraes, Dror, Shaw, SC'11; Random123).
 *
 * <p>Contract: {@code block(ctr[4], key[2])} is a pure function: 128-bit counter and 64-bit key in, four
 * 32-bit words out, 10 rounds with multipliers M0 = 0xD2511F53, M1 = 0xCD9E8D57 and Weyl key increments
 * W0 = 0x9E3779B9, W1 = 0xBB67AE85. The same function is implemented in kernels/ so CPU and GPU runs draw
 * identical numbers. Known-answer vectors from Random123's kat_vectors are in PhiloxTest.
 *
 * <p>Cost: 10 rounds x (2 32x32->64 multiplies + 4 xor + 2 key adds) per 128 random bits.
 */
public final class Philox {
    public static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    public static final int W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    private Philox() {}

    /** Computes Philox-4x32-10 of (c0..c3) under key (k0, k1); writes 4 words to out[off..off+3]. */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out, int off) {
        for (int r = 0; r < 10; r++) {
            if (r > 0) { k0 += W0; k1 += W1; }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
        }
        out[off] = c0; out[off + 1] = c1; out[off + 2] = c2; out[off + 3] = c3;
    }

    /** Uniform double in the open interval (0, 1) from two 32-bit words (53 random bits, never 0 or 1). */
    public static double toOpenUnit(int hi, int lo) {
        long m = ((hi & 0xFFFFFFFFL) << 21) ^ ((lo & 0xFFFFFFFFL) >>> 11); // 53 bits
        return (m + 0.5) * 0x1.0p-53;
    }
}
