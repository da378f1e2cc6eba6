package org.mflowhpc.backend;

import org.mflowhpc.lattice.GaugeField;

/**
 * The one compute seam. Ops are named after physics, act on whole batches of configurations, and are implemented
 * by {@link org.mflowhpc.backend.cpu.CpuBackend} (the readable float64 reference and a production path) and by
 * accelerator backends. Every op is checked against the CPU backend by the shared contract tests.
 *
 * <p>Conventions (docs/conventions.md): P_mn(x) = U_m(x) U_n(x+m) U_m(x+n)^dag U_n(x)^dag; plaquette observable
 * (1/N) Re tr P; Wilson action S = -(beta/N) sum_x sum_{m<n} Re tr P_mn(x); staple sum A_m(x) such that the part of
 * S depending on U_m(x) is -(beta/N) Re tr(U_m(x) A_m(x)). Plane index p enumerates pairs (m<n) in the order
 * (0,1),(0,2),...,(0,d-1),(1,2),... . Gauge transformation U_m(x) -> Omega(x) U_m(x) Omega(x+m)^dag.
 *
 * <p>Buffer layouts (b = configuration, x = site, V = volume, d = dimensions):
 * <ul>
 *   <li>plaquette field: out[(b*planes + p)*V + x]
 *   <li>staples: out[(b*V + x)*sdof + k], sdof = 2 for U(1) (complex re, im), 18 for SU(3) (general 3x3 matrix)
 *   <li>force: same layout as the gauge field for U(1) (dS/dtheta); for SU(3) 18 doubles per link, the
 *       anti-Hermitian traceless matrix F = (beta/2N) TA(U A) so that dp_a/dt = -F_a with P = p_a t_a
 *   <li>gauge transformation omega: [(b*V + x)*dof + k], dof as for links
 * </ul>
 */
public interface Backend extends AutoCloseable {
    String name();

    /** Number of worker threads the backend uses (1 for accelerators' host side). */
    int threads();

    void plaquettes(GaugeField u, double[] out);

    /** U(1) only: plaquette angles arg P_mn(x) in (-pi, pi], same layout as {@link #plaquettes}. */
    void u1PlaquetteAngles(GaugeField u, double[] out);

    /** Wilson action per configuration, out[b]. */
    void action(GaugeField u, double beta, double[] out);

    /** Mean plaquette (1/N) Re tr P per configuration, out[b]. */
    void meanPlaquette(GaugeField u, double[] out);

    /** Staple sums A_mu(x) for all sites, every configuration in the batch. */
    void staples(GaugeField u, int mu, double[] out);

    /** HMC force for every link (see layout above). */
    void force(GaugeField u, double beta, double[] out);

    /** Applies U_m(x) -> Omega(x) U_m(x) Omega(x+m)^dag in place. */
    void gaugeTransform(GaugeField u, double[] omega);

    /**
     * One heatbath sweep of every link of every configuration, in place. Links are visited by checkerboard: for
     * mu = 0..d-1 and parity 0 (even x), 1 (odd x), all mu-links of that parity are updated together (their staples
     * contain no such link). Each link draws from its own stream {@code RngStream(seed, Domain.HEATBATH, sweep,
     * (b*d + mu)*V + x)}, so the result depends only on (u, beta, seed, sweep), never on the thread count or
     * device. U(1): von Mises heatbath of theta + arg A. SU(3): Cabibbo–Marinari over the subgroups (0,1), (1,2),
     * (0,2) with the Kennedy–Pendleton / Creutz SU(2) heatbath, reunitarised after each link.
     */
    void heatbath(GaugeField u, double beta, long seed, long sweep);

    /**
     * One overrelaxation sweep (microcanonical: S is unchanged up to rounding), same checkerboard order as
     * {@link #heatbath}. U(1): theta -> -theta - 2 arg A. SU(3): reflection U -> (s^dag)^2 U in each SU(2) subgroup,
     * s the normalised SU(2) projection of the block of U A. Deterministic: the CPU implementation draws no random
     * numbers; (seed, sweep) name the stream {@code RngStream(seed, Domain.OVERRELAX, sweep, link)} for
     * implementations that randomise.
     */
    void overrelax(GaugeField u, double beta, long seed, long sweep);

    /**
     * Row-major dense GEMM: C[m x n] = alpha * op(A) op(B) + beta * C, op(A) = A or A^T (A stored m x k, or k x m
     * when transposed), leading dimensions in elements. 2mnk flops.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, double[] a, int aOff, int lda,
              double[] b, int bOff, int ldb, double beta, double[] c, int cOff, int ldc);

    @Override default void close() {}
}
