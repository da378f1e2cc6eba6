package org.mflowhpc.backend.cpu;

import java.util.Arrays;

import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;

/**
 * Blocked structure-of-arrays (SoA) SU(3) staple sum: the kernel behind {@link CpuBackend#staples} for SU(3).
 *
 * <p><b>Contract.</b> For every flat site index i = b V + x in [lo, hi) (configuration b, site x) it writes
 * <pre>
 *   A_mu(x) = sum_{nu != mu} [ U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag + (U_mu(x-nu) U_nu(x+mu-nu))^dag U_nu(x-nu) ]
 * </pre>
 * to out[18 i .. 18 i + 17], for d = 2, 3, 4, any (even) extents and any batch. Links are read from the AoS field
 * layout {@code data[((b d + mu) V + site) 18 + k]} ({@link GaugeField}: 3x3 complex, row-major, re/im interleaved,
 * as in {@link SU3}); neighbours come from the lattice's up/dn tables. The result is <b>bit-identical</b> to
 * {@link LinkUpdates#stapleSU3} at every site (which stays the readable per-link reference, used by the heatbath):
 * every output element is produced by the same floating-point operations in the same order as {@link SU3#mulDag},
 * {@link SU3#mul} and {@link SU3#dagMul} (including their sums starting from +0.0, k ascending) and
 * {@link SU3#addScaled} with scale 1.0 (an exact multiplication, so a plain add onto a sum that starts at +0.0, nu
 * ascending, up staple before down). Java forbids reassociation and FMA contraction, and SIMD lanes round like scalar
 * code, so vectorised loops keep the bits; results therefore depend neither on the block size nor on how [lo, hi) is
 * split between threads.
 *
 * <p><b>Blocking.</b> [lo, hi) is cut into blocks of at most {@link Scratch#block} (default {@link #BLOCK} = 128)
 * consecutive sites of one configuration. Per block and per nu != mu: gather the two links of the first product from
 * AoS into SoA scratch (one double[] per real component, 18 per matrix, indexed by the site within the block), form the
 * product over the block, gather the third link, form the second product, add it into the SoA accumulator; after
 * the last nu, scatter the accumulator to {@code out} in the AoS layout. The scratch (4 matrices x 18 x block doubles
 * + two int[block] of site indices, 72 KiB at block 128, L2-resident) is allocated once per
 * thread and reused ({@link #threadScratch}), never per site or per call.
 *
 * <p><b>Cost</b> per site and direction (the counting of benchmarks/java/org/mflowhpc/bench/Costs.java: a 3x3 product
 * 198 flops; the +0.0 starts of the sums and the exact scaling by 1.0 are not counted): 2(d-1) staples x (2 x 198 +
 * 18) = 2(d-1) x 414 flops, 2484 in 4D. Bytes: compulsory (each datum once per call) d x 144 read + 144 written = 720 B
 * in 4D (3.45 flop/B); naive (every operand from memory at every use) 6(d-1) x 144 + 144 = 2736 B in 4D. Not counted
 * by either model: the SoA gathers write and re-read each link once more (3 x 144 B per staple) in L1/L2 scratch.
 *
 * <p><b>Why SoA.</b> In the AoS layout a 3x3 product is 27 complex multiply-adds that mix the re/im lanes and read
 * with strides 2 and 6, which C2's superword pass cannot vectorise, so the per-site reference runs on scalar units
 * (about 40% of the scalar-FMA ceiling, 10% of the vector peak). In SoA the same arithmetic for one output component
 * is an elementwise expression over the block, {@code c[s] = c[s] + (x[s] y[s] +- ...)}, with loop-invariant arrays,
 * unit stride, no branches and no calls, which C2 compiles to packed SIMD loads, multiplies, adds and stores (lanes =
 * consecutive sites). Two limits shape the code: (1) C2 (JDK 17) only unrolls, and so only vectorises, a loop whose
 * body is under LoopUnrollLimit (60 ideal nodes); a loop computing a whole output element (12 loads) or row stays
 * scalar (measured: no faster than the AoS code; with -XX:LoopUnrollLimit=600 it would vectorise, but a library
 * cannot rely on a JVM flag), so each loop computes one complex k term of one output element (4-6 loads, 2 stores),
 * storing the partial sum, which is exact; such a product takes ~11 ns per site (~18 GFLOP/s, load/store-bound) on
 * the 2-core Zen 4 development machine, against ~30 ns in AoS; (2) the gathers and the scatter are transpositions
 * (18 scalar loads and stores per link, ~6-8 ns) that stay scalar, and per staple they cost about as much as the
 * two SIMD products.
 */
public final class StapleSoA {
    private StapleSoA() {}

    /**
     * Default number of sites per block: the SoA scratch is then 4 x 18 x 128 x 8 B = 72 KiB (L2-resident). 64 was
     * slower (shorter SIMD loops); 256 was no faster with a reused scratch and, allocated once per chunk, doubles the
     * fresh memory a call touches, which costs page faults while the heap is still untouched (short runs).
     */
    public static final int BLOCK = 128;

    /**
     * One {@link #BLOCK}-site scratch per thread, reused across calls: fresh scratch per call costs first-touch page
     * faults in short runs (measured: 8^4 staples ~30% slower). Safe because a chunk runs to completion on one thread
     * and makes no nested parallel calls.
     */
    private static final ThreadLocal<Scratch> THREAD_SCRATCH = ThreadLocal.withInitial(() -> new Scratch(BLOCK));

    /** This thread's reusable scratch (block {@link #BLOCK}). */
    public static Scratch threadScratch() { return THREAD_SCRATCH.get(); }

    /** Per-worker scratch: SoA matrices a, b (gathered links), t (first product), acc (staple sum) and site indices. */
    public static final class Scratch {
        final int block;
        final double[][] a, b, t, acc;
        final int[] site, siteDn;

        /** Scratch for blocks of at most {@code block} sites (block >= 1). */
        public Scratch(int block) {
            if (block < 1) throw new IllegalArgumentException("block must be >= 1, got " + block);
            this.block = block;
            a = new double[18][block];
            b = new double[18][block];
            t = new double[18][block];
            acc = new double[18][block];
            site = new int[block];
            siteDn = new int[block];
        }
    }

    /**
     * SU(3) staple sums of direction mu for the flat site indices i = b V + x in [lo, hi), written to
     * out[18 i .. 18 i + 17]; sc is this thread's scratch. See the class comment for the contract.
     */
    public static void staples(GaugeField u, int mu, int lo, int hi, double[] out, Scratch sc) {
        final Lattice lat = u.lattice;
        final int V = lat.volume, d = lat.d;
        final double[] f = CpuBackend.data(u);
        final int[] site = sc.site, siteDn = sc.siteDn;
        for (int i0 = lo; i0 < hi; ) {
            final int b = i0 / V, x0 = i0 % V;
            final int n = Math.min(sc.block, Math.min(hi - i0, V - x0));
            for (int k = 0; k < 18; k++) Arrays.fill(sc.acc[k], 0, n, 0.0);
            final int baseMu = u.offset(b, mu, 0);
            for (int nu = 0; nu < d; nu++) {
                if (nu == mu) continue;
                final int baseNu = u.offset(b, nu, 0);
                // up: U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag
                for (int s = 0; s < n; s++) site[s] = lat.up(mu, x0 + s);
                gather(n, f, baseNu, site, sc.a);
                for (int s = 0; s < n; s++) site[s] = lat.up(nu, x0 + s);
                gather(n, f, baseMu, site, sc.b);
                mulDag(n, sc.a, sc.b, sc.t);
                for (int s = 0; s < n; s++) site[s] = x0 + s;
                gather(n, f, baseNu, site, sc.a);
                mulDag(n, sc.t, sc.a, sc.b);
                add(n, sc.b, sc.acc);
                // down: (U_mu(x-nu) U_nu(x+mu-nu))^dag U_nu(x-nu)
                for (int s = 0; s < n; s++) siteDn[s] = lat.dn(nu, x0 + s);
                gather(n, f, baseMu, siteDn, sc.a);
                for (int s = 0; s < n; s++) site[s] = lat.dn(nu, lat.up(mu, x0 + s));
                gather(n, f, baseNu, site, sc.b);
                mul(n, sc.a, sc.b, sc.t);
                gather(n, f, baseNu, siteDn, sc.a);
                dagMul(n, sc.t, sc.a, sc.b);
                add(n, sc.b, sc.acc);
            }
            scatter(n, sc.acc, out, 18 * i0);
            i0 += n;
        }
    }

    /** g[k][s] = f[base + 18 site[s] + k] for s < n, k < 18 (AoS -> SoA transposition of n links). */
    static void gather(int n, double[] f, int base, int[] site, double[][] g) {
        final double[] g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4], g5 = g[5], g6 = g[6], g7 = g[7],
                g8 = g[8], g9 = g[9], g10 = g[10], g11 = g[11], g12 = g[12], g13 = g[13], g14 = g[14], g15 = g[15],
                g16 = g[16], g17 = g[17];
        for (int s = 0; s < n; s++) {
            final int o = base + 18 * site[s];
            g0[s] = f[o]; g1[s] = f[o + 1]; g2[s] = f[o + 2]; g3[s] = f[o + 3]; g4[s] = f[o + 4]; g5[s] = f[o + 5];
            g6[s] = f[o + 6]; g7[s] = f[o + 7]; g8[s] = f[o + 8]; g9[s] = f[o + 9]; g10[s] = f[o + 10];
            g11[s] = f[o + 11]; g12[s] = f[o + 12]; g13[s] = f[o + 13]; g14[s] = f[o + 14]; g15[s] = f[o + 15];
            g16[s] = f[o + 16]; g17[s] = f[o + 17];
        }
    }

    /** out[oo + 18 s + k] = g[k][s] for s < n, k < 18 (SoA -> AoS). */
    static void scatter(int n, double[][] g, double[] out, int oo) {
        final double[] g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4], g5 = g[5], g6 = g[6], g7 = g[7],
                g8 = g[8], g9 = g[9], g10 = g[10], g11 = g[11], g12 = g[12], g13 = g[13], g14 = g[14], g15 = g[15],
                g16 = g[16], g17 = g[17];
        for (int s = 0; s < n; s++) {
            final int o = oo + 18 * s;
            out[o] = g0[s]; out[o + 1] = g1[s]; out[o + 2] = g2[s]; out[o + 3] = g3[s]; out[o + 4] = g4[s];
            out[o + 5] = g5[s]; out[o + 6] = g6[s]; out[o + 7] = g7[s]; out[o + 8] = g8[s]; out[o + 9] = g9[s];
            out[o + 10] = g10[s]; out[o + 11] = g11[s]; out[o + 12] = g12[s]; out[o + 13] = g13[s];
            out[o + 14] = g14[s]; out[o + 15] = g15[s]; out[o + 16] = g16[s]; out[o + 17] = g17[s];
        }
    }

    // ------------------------------------------------------------------ elementwise SU(3) products over a block
    //
    // Operands are SoA matrices m[k][s]: k = 2 (3 row + col) (+1 for the imaginary part) as in SU3, s < n the site
    // within the block. Output element (i, j) of a product is sum_k x_k y_k, summed in k order from +0.0 exactly as
    // the k-loop of the SU3 method: re = 0.0; re += term_0; re += term_1; re += term_2 (likewise im). Each k term is
    // one loop over s ("first" for k = 0, "next" for k = 1, 2) that reads x, y (re, im) and writes the partial sum
    // (re, im); storing a double partial sum and reloading it is exact, so the bits are those of the SU3 method.
    // Why so many small loops: C2 (JDK 17) only unrolls, and hence only superword-vectorises, loops whose body
    // is under LoopUnrollLimit (60 ideal nodes); a loop body computing a whole output element (12 loads) or row is
    // over that limit and runs scalar. One complex term (at most 6 loads, 2 stores) is under it.

    /** c = a b^dag ({@link SU3#mulDag}): x = A[i][k], y = conj(B[j][k]). */
    static void mulDag(int n, double[][] a, double[][] b, double[][] c) {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                final double[] cr = c[6 * i + 2 * j], ci = c[6 * i + 2 * j + 1];
                mulDagFirst(n, a[6 * i], a[6 * i + 1], b[6 * j], b[6 * j + 1], cr, ci);
                mulDagNext(n, a[6 * i + 2], a[6 * i + 3], b[6 * j + 2], b[6 * j + 3], cr, ci);
                mulDagNext(n, a[6 * i + 4], a[6 * i + 5], b[6 * j + 4], b[6 * j + 5], cr, ci);
            }
    }

    /** c = a b ({@link SU3#mul}): x = A[i][k], y = B[k][j]. */
    static void mul(int n, double[][] a, double[][] b, double[][] c) {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                final double[] cr = c[6 * i + 2 * j], ci = c[6 * i + 2 * j + 1];
                mulFirst(n, a[6 * i], a[6 * i + 1], b[2 * j], b[2 * j + 1], cr, ci);
                mulNext(n, a[6 * i + 2], a[6 * i + 3], b[6 + 2 * j], b[6 + 2 * j + 1], cr, ci);
                mulNext(n, a[6 * i + 4], a[6 * i + 5], b[12 + 2 * j], b[12 + 2 * j + 1], cr, ci);
            }
    }

    /** c = a^dag b ({@link SU3#dagMul}): x = conj(A[k][i]), y = B[k][j]. */
    static void dagMul(int n, double[][] a, double[][] b, double[][] c) {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                final double[] cr = c[6 * i + 2 * j], ci = c[6 * i + 2 * j + 1];
                dagMulFirst(n, a[2 * i], a[2 * i + 1], b[2 * j], b[2 * j + 1], cr, ci);
                dagMulNext(n, a[6 + 2 * i], a[6 + 2 * i + 1], b[6 + 2 * j], b[6 + 2 * j + 1], cr, ci);
                dagMulNext(n, a[12 + 2 * i], a[12 + 2 * i + 1], b[12 + 2 * j], b[12 + 2 * j + 1], cr, ci);
            }
    }

    /** acc += t ({@link SU3#addScaled} with scale 1.0, whose multiplication is exact). */
    static void add(int n, double[][] t, double[][] acc) {
        for (int k = 0; k < 18; k += 2) addPair(n, t[k], t[k + 1], acc[k], acc[k + 1]);
    }

    static void mulDagFirst(int n, double[] xr, double[] xi, double[] yr, double[] yi, double[] cr, double[] ci) {
        for (int s = 0; s < n; s++) {
            final double ar = xr[s], ai = xi[s], br = yr[s], bi = yi[s];
            cr[s] = 0.0 + (ar * br + ai * bi);
            ci[s] = 0.0 + (ai * br - ar * bi);
        }
    }

    static void mulDagNext(int n, double[] xr, double[] xi, double[] yr, double[] yi, double[] cr, double[] ci) {
        for (int s = 0; s < n; s++) {
            final double ar = xr[s], ai = xi[s], br = yr[s], bi = yi[s];
            cr[s] = cr[s] + (ar * br + ai * bi);
            ci[s] = ci[s] + (ai * br - ar * bi);
        }
    }

    static void mulFirst(int n, double[] xr, double[] xi, double[] yr, double[] yi, double[] cr, double[] ci) {
        for (int s = 0; s < n; s++) {
            final double ar = xr[s], ai = xi[s], br = yr[s], bi = yi[s];
            cr[s] = 0.0 + (ar * br - ai * bi);
            ci[s] = 0.0 + (ar * bi + ai * br);
        }
    }

    static void mulNext(int n, double[] xr, double[] xi, double[] yr, double[] yi, double[] cr, double[] ci) {
        for (int s = 0; s < n; s++) {
            final double ar = xr[s], ai = xi[s], br = yr[s], bi = yi[s];
            cr[s] = cr[s] + (ar * br - ai * bi);
            ci[s] = ci[s] + (ar * bi + ai * br);
        }
    }

    static void dagMulFirst(int n, double[] xr, double[] xi, double[] yr, double[] yi, double[] cr, double[] ci) {
        for (int s = 0; s < n; s++) {
            final double ar = xr[s], ai = xi[s], br = yr[s], bi = yi[s];
            cr[s] = 0.0 + (ar * br + ai * bi);
            ci[s] = 0.0 + (ar * bi - ai * br);
        }
    }

    static void dagMulNext(int n, double[] xr, double[] xi, double[] yr, double[] yi, double[] cr, double[] ci) {
        for (int s = 0; s < n; s++) {
            final double ar = xr[s], ai = xi[s], br = yr[s], bi = yi[s];
            cr[s] = cr[s] + (ar * br + ai * bi);
            ci[s] = ci[s] + (ar * bi - ai * br);
        }
    }

    static void addPair(int n, double[] tr, double[] ti, double[] ar, double[] ai) {
        for (int s = 0; s < n; s++) {
            ar[s] = ar[s] + tr[s];
            ai[s] = ai[s] + ti[s];
        }
    }
}
