package org.mflowhpc.bench;

import java.util.Map;

/**
 * The performance model: floating-point operations and bytes of memory traffic per unit of work (SU(3) product,
 * link, site, array element) for every benchmark in this package. It is the single source of the numbers that the
 * benchmark javadocs quote and that {@link Report} turns into GFLOP/s, GB/s, arithmetic intensity and roofline
 * bounds.
 *
 * <p>Counting rules.
 * <ul>
 *   <li>Flops: real additions, subtractions, multiplications, divisions and square roots each count 1 (an FMA counts
 *       2); only the arithmetic the algorithm needs (e.g. the multiply by 1.0 in {@code SU3.addScaled(s, 1.0, ...)}
 *       is not counted). Transcendentals (log, cos, sin) and the integer Philox rounds of the random-number generator
 *       are not counted as flops; the heatbath counts list how many there are.
 *   <li>Bytes: a link is 18 doubles = 144 B. Writes count their bytes once; write-allocate (the read-for-ownership
 *       of a written cache line, which makes a store cost twice the traffic without non-temporal stores) is NOT
 *       counted, consistently with the STREAM triad convention (24 B per element) used for the bandwidth ceiling.
 *   <li>"Compulsory" (minimum) traffic: every datum one Backend call touches moves between memory and the core
 *       exactly once in that call, as if the caches were perfect. "Naive": every operand is read from memory at every
 *       use (no cache reuse at all). The true traffic lies between the two.
 * </ul>
 */
public final class Costs {
    private Costs() {}

    /** Bytes of one SU(3) link (18 float64). */
    public static final int LINK_BYTES = 144;
    /** Real flops of one 3x3 complex matrix product: 27 complex multiply-adds = 27 x 6 + 18 x 2 = 198. */
    public static final int SU3_MUL_FLOPS = 198;

    /** SU(3) product C = A B: two links read, one written. */
    public static final int SU3_MUL_BYTES = 3 * LINK_BYTES;

    /**
     * Staple sum of one link in 4D: 2(d-1) = 6 staples x (2 products + 18 adds into the sum) = 6 x 414 = 2484.
     */
    public static final int STAPLE_FLOPS = 6 * (2 * SU3_MUL_FLOPS + 18);
    /**
     * Compulsory bytes per staple-sum output (one call, one direction): the staples of direction mu read links of
     * all 4 directions, so the whole field (4 links per site) is read once and one 18-double output is written:
     * 4 x 144 + 144 = 720 B. (A fused kernel producing all 4 directions in one pass would need 288 B per output.)
     */
    public static final int STAPLE_BYTES_MIN = 4 * LINK_BYTES + LINK_BYTES;
    /** Naive bytes per staple-sum output: 6 staples x 3 links read + the output written: 18 x 144 + 144 = 2736 B. */
    public static final int STAPLE_BYTES_NAIVE = 18 * LINK_BYTES + LINK_BYTES;

    /**
     * Mean plaquette per site in 4D, as CpuBackend computes it: 6 planes x (2 full products = 396, Re tr(AB) of the
     * product with the daggered fourth link = 36, the division by 3 = 1) + 6 adds of the final mean = 2604. (The
     * nominal "3 products + trace" count, 6 x 630 = 3780, would apply if the third product were formed.)
     */
    public static final int PLAQ_FLOPS = 6 * (2 * SU3_MUL_FLOPS + 36 + 1) + 6;
    /**
     * Compulsory bytes per site: the 4 links of the site read once (576 B), the 6-double plaquette field written by
     * {@code plaquettes} (48 B) and read back by the mean (48 B) = 672 B.
     */
    public static final int PLAQ_BYTES_MIN = 4 * LINK_BYTES + 6 * 8 + 6 * 8;
    /** Naive bytes per site: 6 planes x 4 links read (3456 B) + the plaquette field written and read (96 B). */
    public static final int PLAQ_BYTES_NAIVE = 6 * 4 * LINK_BYTES + 2 * 6 * 8;

    /**
     * Cabibbo–Marinari heatbath arithmetic per SU(2) subgroup, counted from LinkUpdates.heatbathSU3: quaternion
     * projection of the block 16 (8 + norm 7 + sqrt), normalisation 4 divisions, alpha 3, the accepted
     * Kennedy–Pendleton try ~10, the point on the 3-sphere ~11, r = x s^dag 28, two 2-row rotations (of U and of
     * W = U A) 2 x 84 = 168: 240. Plus per subgroup (not counted as flops): 2 log, 2 cos, 1 sin and 6 uniforms
     * (3 Philox-4x32-10 blocks), more when a KP try is rejected.
     */
    public static final int CM_HEATBATH_SUBGROUP_FLOPS = 16 + 4 + 3 + 10 + 11 + 28 + 168;
    /** Overrelaxation per subgroup: projection 16 + 4 divisions + (s^dag)^2 28 + two rotations 168 = 216. */
    public static final int CM_OVERRELAX_SUBGROUP_FLOPS = 16 + 4 + 28 + 168;
    /** SU3.reunitarize: two row norms 2 x 19, the projection of row 1 on row 0 48, the conjugate cross product 42. */
    public static final int REUNITARIZE_FLOPS = 2 * 19 + 48 + 42;
    /** Heatbath of one 4D link: staple 2484 + W = U A 198 + 3 subgroups x 240 + reunitarise 128 = 3530. */
    public static final int HEATBATH_FLOPS = STAPLE_FLOPS + SU3_MUL_FLOPS + 3 * CM_HEATBATH_SUBGROUP_FLOPS + REUNITARIZE_FLOPS;
    /** Overrelaxation of one 4D link: 2484 + 198 + 3 x 216 + 128 = 3458. */
    public static final int OVERRELAX_FLOPS = STAPLE_FLOPS + SU3_MUL_FLOPS + 3 * CM_OVERRELAX_SUBGROUP_FLOPS + REUNITARIZE_FLOPS;
    /**
     * Compulsory bytes per link for one sweep: with perfect caches the field is read once and written once per sweep
     * (288 B). Streaming each of the 8 checkerboard passes (mu, parity) from memory would instead read 4.5 V links
     * and write V/2 per pass, 1296 B per link and sweep.
     */
    public static final int SWEEP_BYTES_MIN = 2 * LINK_BYTES;
    /** Naive bytes per link update: 18 staple links read + the link read and written = 2880 B. */
    public static final int SWEEP_BYTES_NAIVE = 18 * LINK_BYTES + 2 * LINK_BYTES;

    /** Overrelaxation sweeps per sampler sweep in {@link HeatbathBench#samplerHbOr}. */
    public static final int SAMPLER_OR_SWEEPS = 4;

    /** STREAM triad a[i] = b[i] + s c[i]: 2 flops and 24 B (two 8-B reads, one 8-B write) per element. */
    public static final int TRIAD_FLOPS = 2, TRIAD_BYTES = 24;

    /** What a benchmark is for in the report. */
    public enum Role { KERNEL, BANDWIDTH, PEAK_SCALAR, PEAK_VECTOR }

    /**
     * Work done by one JMH operation (per JMH thread): {@code units} units of {@code unit}, each costing
     * {@code flops} flops, {@code bytesMin} compulsory and {@code bytesNaive} naive bytes.
     */
    public record Work(String kernel, Role role, String unit, double units, double flops, double bytesMin,
                       double bytesNaive) {
        public double flopsPerOp() { return units * flops; }
        public double bytesMinPerOp() { return units * bytesMin; }
        public double bytesNaivePerOp() { return units * bytesNaive; }
        public double aiMin() { return bytesMin > 0 ? flops / bytesMin : Double.POSITIVE_INFINITY; }
        public double aiNaive() { return bytesNaive > 0 ? flops / bytesNaive : Double.POSITIVE_INFINITY; }
    }

    private static double volume(Map<String, String> params) {
        double l = Integer.parseInt(params.get("L"));
        return l * l * l * l;
    }

    /**
     * The work model of a benchmark, by its JMH name ("org.mflowhpc.bench.StapleBench.oneDirection") and parameters;
     * throws IllegalArgumentException for a benchmark this class does not know.
     */
    public static Work of(String benchmark, Map<String, String> params) {
        String cls = benchmark.substring(0, benchmark.lastIndexOf('.'));
        String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
        cls = cls.substring(cls.lastIndexOf('.') + 1);
        // RooflineBench has a single-thread ("...1") and an all-threads ("...All") method per kind: same work per op.
        if (cls.equals("RooflineBench")) method = method.replaceAll("(1|All)$", "");
        switch (cls + "." + method) {
            case "Su3MulBench.mul":
                return new Work("SU(3) multiply C[i] = A[i] B[i]", Role.KERNEL, "product",
                        Integer.parseInt(params.get("n")), SU3_MUL_FLOPS, SU3_MUL_BYTES, SU3_MUL_BYTES);
            case "StapleBench.oneDirection":
                return new Work("Staple sum, one direction (Backend.staples, mu = 0)", Role.KERNEL, "link",
                        volume(params), STAPLE_FLOPS, STAPLE_BYTES_MIN, STAPLE_BYTES_NAIVE);
            case "StapleVariantBench.oneDirectionHoisted":
                return new Work("Staple sum, one direction, scratch hoisted per chunk (what-if, not CpuBackend)", Role.KERNEL,
                        "link", volume(params), STAPLE_FLOPS, STAPLE_BYTES_MIN, STAPLE_BYTES_NAIVE);
            case "StapleVariantBench.oneDirectionPerSite":
                return new Work("Staple sum, one direction, per-site AoS path (CpuBackend before the SoA kernel)", Role.KERNEL,
                        "link", volume(params), STAPLE_FLOPS, STAPLE_BYTES_MIN, STAPLE_BYTES_NAIVE);
            case "StapleBench.allDirections":
                return new Work("Staple sum, all 4 directions (4 x Backend.staples)", Role.KERNEL, "link",
                        4 * volume(params), STAPLE_FLOPS, STAPLE_BYTES_MIN, STAPLE_BYTES_NAIVE);
            case "PlaquetteBench.meanPlaquette":
                return new Work("Mean plaquette (Backend.meanPlaquette)", Role.KERNEL, "site",
                        volume(params), PLAQ_FLOPS, PLAQ_BYTES_MIN, PLAQ_BYTES_NAIVE);
            case "HeatbathBench.backendHeatbath":
                return new Work("Heatbath sweep (Backend.heatbath)", Role.KERNEL, "link",
                        4 * volume(params), HEATBATH_FLOPS, SWEEP_BYTES_MIN, SWEEP_BYTES_NAIVE);
            case "HeatbathBench.samplerHbOr":
                return new Work("Heatbath sampler sweep (sample.Heatbath: 1 HB + " + SAMPLER_OR_SWEEPS + " OR)",
                        Role.KERNEL, "link", 4 * volume(params),
                        HEATBATH_FLOPS + SAMPLER_OR_SWEEPS * OVERRELAX_FLOPS,
                        (1 + SAMPLER_OR_SWEEPS) * SWEEP_BYTES_MIN, (1 + SAMPLER_OR_SWEEPS) * SWEEP_BYTES_NAIVE);
            case "RooflineBench.triad":
                return new Work("STREAM triad a[i] = b[i] + s c[i]", Role.BANDWIDTH, "element",
                        RooflineBench.TRIAD_N, TRIAD_FLOPS, TRIAD_BYTES, TRIAD_BYTES);
            case "RooflineBench.fmaScalar":
                return new Work("Peak FMA, scalar register chains", Role.PEAK_SCALAR, "fma",
                        (double) RooflineBench.SCALAR_CHAINS * RooflineBench.SCALAR_ITER, 2, 0, 0);
            case "RooflineBench.fmaVector":
                return new Work("Peak FMA, auto-vectorised array chains", Role.PEAK_VECTOR, "fma",
                        (double) RooflineBench.VEC_LEN * RooflineBench.VEC_DEPTH * RooflineBench.VEC_REPS, 2, 0, 0);
            default:
                throw new IllegalArgumentException("no cost model for benchmark " + benchmark);
        }
    }
}
