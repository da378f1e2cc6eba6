package org.mflowhpc.backend;

import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;

/**
 * The one compute seam. Ops are named after physics, act on whole batches of configurations held in
 * backend-resident {@link Buffer}s, and are implemented by {@code backend.cpu.CpuBackend} (the readable float64
 * reference and a production path) and by accelerator backends. Inside a training step or a sampling batch only
 * scalars (loss, ESS, norms) come back to the host; {@link #download} is the only way to look at a buffer. Every
 * op is checked against the CPU backend by the shared contract tests on fresh random inputs.
 *
 * <p>Physics conventions (docs/conventions.md): P_mn(x) = U_m(x) U_n(x+m) U_m(x+n)^dag U_n(x)^dag; plaquette
 * observable (1/N) Re tr P; Wilson action S = -(beta/N) sum_x sum_{m<n} Re tr P_mn(x); staple sum A_m(x) such that
 * the part of S depending on U_m(x) is -(beta/N) Re tr(U_m(x) A_m(x)). Plane index p enumerates pairs (m<n) in
 * the order (0,1),(0,2),...,(0,d-1),(1,2),... . Gauge transformation U_m(x) -> Omega(x) U_m(x) Omega(x+m)^dag.
 *
 * <p>Buffer layouts (b = configuration, x = site, V = volume, d = dimensions, dof = 1 (U(1) angle) or 18 (SU(3))):
 * <ul>
 *   <li>gauge field: [((b*d + mu)*V + x)*dof + k] (see {@link GaugeField})
 *   <li>plaquette field: out[(b*planes + p)*V + x]
 *   <li>staples: out[(b*V + x)*sdof + k], sdof = 2 for U(1) (complex re, im), 18 for SU(3) (general 3x3 matrix)
 *   <li>force: gauge-field layout; U(1) dS/dtheta; SU(3) the anti-Hermitian traceless F = (beta/2N) TA(U A) so
 *       that dp_a/dt = -F_a with P = p_a t_a
 *   <li>link gradients ("Euclidean"): gauge-field layout, the derivative of a scalar L with respect to the stored
 *       doubles (U(1): dL/dtheta; SU(3): dL/dRe U_ij, dL/dIm U_ij, i.e. dL = Re tr(G^dag dU)). Only the projection
 *       on tangent directions (dU = i X U, X Hermitian traceless) is meaningful for SU(3)
 *   <li>per-site feature/activation fields (networks): x[(b*C + c)*V + x]
 *   <li>active-link lists: element e = b*M + j for configuration b and the j-th site of a mask's site list (M
 *       sites); per-element link data w[e*dof + k]; raw flow parameters raw[rOff + b*rB + k*M + j] (parameter k)
 * </ul>
 *
 * <p>Costs are stated per op in flops (real floating-point operations, an FMA counts 2) and bytes moved to or from
 * memory, per configuration unless said otherwise; accelerators report against them.
 */
public interface Backend extends AutoCloseable {
    String name();

    /** Number of worker threads the backend uses (1 for accelerators' host side). */
    int threads();

    // ------------------------------------------------------------------ memory

    /** A zero-filled buffer of n doubles. */
    Buffer alloc(int n);

    /**
     * Opens a region whose temporaries the backend may recycle: every buffer this thread allocates until the returned
     * scope closes is released by {@link Scope#close()} (its memory goes back to the backend's pool; an op given a
     * released buffer throws IllegalStateException). Scopes nest; closing one releases only its own buffers. Callers
     * wrap one training step or one sampling batch and keep nothing allocated inside beyond it (outputs are allocated
     * before the scope). Backends whose allocation is cheap (the CPU reference: garbage-collected arrays) return
     * {@link Scope#NONE}. Host: avoids faulting in and zeroing fresh pages for every temporary; an accelerator:
     * avoids a device allocation per op.
     */
    default Scope scope() { return Scope.NONE; }

    /** A region of recyclable temporaries, see {@link Backend#scope()}. */
    interface Scope extends AutoCloseable {
        Scope NONE = () -> { };
        @Override void close();
    }

    /** A new buffer holding a copy of {@code host}. */
    default Buffer upload(double[] host) {
        Buffer b = alloc(host.length);
        upload(host, 0, b, 0, host.length);
        return b;
    }

    /** dst[dOff, dOff+n) = src[sOff, sOff+n). 8n bytes across the bus (none on the CPU). */
    void upload(double[] src, int sOff, Buffer dst, int dOff, int n);

    /** Synchronises, then dst[dOff, dOff+n) = src[sOff, sOff+n). */
    void download(Buffer src, int sOff, double[] dst, int dOff, int n);

    /** A host copy of the whole buffer (synchronises). */
    default double[] download(Buffer src) {
        double[] h = new double[src.length()];
        download(src, 0, h, 0, h.length);
        return h;
    }

    /** Device-side copy dst[dOff..] = src[sOff..], n doubles; 16n bytes. */
    void copy(Buffer src, int sOff, Buffer dst, int dOff, int n);

    /** b[off, off+n) = v; 8n bytes. */
    void fill(Buffer b, int off, int n, double v);

    /** An immutable int table on the backend (masks, site lists). */
    Index index(int[] host);

    /** Waits until all submitted work is done (no-op on the CPU, whose ops are synchronous). */
    void sync();

    // ------------------------------------------------------------------ gauge observables and action

    /**
     * (1/N) Re tr P_mn(x) for every plane and site. Per plaquette: U(1) 4 adds + a cos, 32 B read; SU(3) 630 flops,
     * 4 links (576 B) read; 8 B written.
     */
    void plaquettes(GaugeField u, Buffer out);

    /** U(1) only: plaquette angles arg P_mn(x) in (-pi, pi], same layout as {@link #plaquettes}. */
    void plaquetteAngles(GaugeField u, Buffer out);

    /** Wilson action per configuration, out[outOff + b]. Cost of {@link #plaquettes} plus a reduction. */
    void action(GaugeField u, double beta, Buffer out, int outOff);

    /** Mean plaquette (1/N) Re tr P per configuration, out[outOff + b]. */
    void meanPlaquette(GaugeField u, Buffer out, int outOff);

    /** Staple sums A_mu(x) for all sites, every configuration. SU(3): 2(d-1) x 414 flops, 6(d-1) links read, per site. */
    void staples(GaugeField u, int mu, Buffer out);

    /** HMC force for every link (layout above): d staple sums + 216 flops per SU(3) link. */
    void force(GaugeField u, double beta, Buffer out);

    /**
     * Euclidean gradient of the Wilson action with respect to the stored link doubles (layout above), written
     * (overwrite) into g: U(1) dS/dtheta = beta Im(e^{i theta} A); SU(3) G = -(beta/N) A^dag, since
     * S = -(beta/N) Re tr(U A) + (terms without U). The reparameterisation gradient of the reverse-KL loss.
     * Cost: d staple sums per configuration.
     */
    void actionGradient(GaugeField u, double beta, Buffer g);

    // ------------------------------------------------------------------ gauge transformations, priors

    /** Applies U_m(x) -> Omega(x) U_m(x) Omega(x+m)^dag in place; omega[(b*V + x)*dof + k]. SU(3): 2d x 198 flops per site. */
    void gaugeTransform(GaugeField u, Buffer omega);

    /**
     * Haar-random links: link (b, mu, x) is the (mu+1)-th draw (U(1) angle(); SU(3) SU3.haar) of
     * RngStream(seed, domain, step, b*V + x). A pure function of (seed, domain, step), independent of the device.
     */
    void haarLinks(GaugeField u, int domain, long seed, long step);

    /**
     * Haar-random gauge transformation at every site: Omega(x) from RngStream(seed, domain, step, b*V + x) (first
     * draw), then {@link #gaugeTransform}. Randomises the gauge of a batch (tests; gauge-covariant samplers).
     */
    void randomGauge(GaugeField u, int domain, long seed, long step);

    // ------------------------------------------------------------------ Markov-chain updates

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
     * s the normalised SU(2) projection of the block of U A. Deterministic.
     */
    void overrelax(GaugeField u, double beta, long seed, long sweep);

    /**
     * HMC momenta in the gauge-field layout: U(1) one gaussian per link; SU(3) an algebra matrix P = p_a t_a with
     * gaussian p_a (SU3.gaussianAlgebra), from RngStream(seed, domain, step, (b*d + mu)*V + x).
     */
    void drawMomenta(Group g, Lattice lat, int batch, int domain, long seed, long step, Buffer p);

    /** Kinetic energy per configuration, out[outOff + b] (U(1) sum p^2/2; SU(3) sum -tr P^2). */
    void kineticEnergy(Group g, Lattice lat, int batch, Buffer p, Buffer out, int outOff);

    /** Link update of the integrator, in place: U(1) theta <- wrap(theta + c p); SU(3) U <- exp(c P) U (~3400 flops). */
    void updateLinks(GaugeField u, Buffer p, double c);

    /** SU(3): re-projects every link onto SU(3) (Gram–Schmidt); U(1): wraps angles to (-pi, pi]. */
    void reunitarize(GaugeField u);

    // ------------------------------------------------------------------ coupling layers: loops, gather, scatter

    /**
     * Gauge-invariant features of frozen loops, for the conditioner networks: for plane p and site x with
     * frozen[p*V + x] != 0, channels 2p and 2p+1 are (1/N) Re tr P_p(x) and (1/N) Im tr P_p(x) (U(1): cos, sin of
     * the plaquette angle); 0 where not frozen. out[(b*2*planes + c)*V + x] (overwrite). Cost as {@link #plaquettes}.
     */
    void loopFeatures(GaugeField u, Index frozen, Buffer out);

    /**
     * Backward of {@link #loopFeatures}: ADDS the Euclidean link gradient of sum_c gFeat*feat into gLinks. Per frozen
     * SU(3) plaquette 6 products + 4 scaled adds (~1400 flops), reads 4 links and 16 B of feature gradients,
     * read-modify-writes 4 link gradients (1152 B); U(1) ~10 flops + sincos, 64 B.
     */
    void loopFeaturesBackward(GaugeField u, Index frozen, Buffer gFeat, Buffer gLinks);

    /**
     * For each active link U_mu(x), x = sites[j], with the single frozen staple
     * Γ(x) = U_nu(x) U_mu(x+nu) U_nu(x+mu)^dag (so U Γ^dag = P_{mu nu}(x), the plaquette; mu, nu a plane of the mask):
     * w[e*dof..] = W = U Γ^dag, e = b*M + j. U(1): the angle theta_mu(x) - theta_Γ (not wrapped), 3 adds, 32 B read,
     * 8 B written. SU(3): 3 products, 594 flops; reads 4 links (576 B), writes 144 B. A negative partner nu = ~n
     * (-1 - n, n a direction other than mu) takes the staple on the -n side, Γ_b = U_n(x-n)^dag U_mu(x-n) U_n(x-n+mu)
     * (Re tr U Γ_b^dag = Re tr P_{mu n}(x-n)), here and in the three ops below, at the same cost.
     */
    void gatherActive(GaugeField u, int mu, int nu, Index sites, Buffer w);

    /**
     * Inverse of the gather for new values W': U_mu(x) = W' Γ(x) in place (Γ is frozen: unchanged). U(1) wrapped.
     * Same cost as {@link #gatherActive} (SU(3) 594 flops, 576 B read, 144 B written per active link).
     */
    void scatterActive(GaugeField u, int mu, int nu, Index sites, Buffer wNew);

    /**
     * Backward of U_mu(x) = W' Γ at the active links, for the field u after the scatter: gW'[e] = dL/dW' from
     * gLinks at the active link (U(1): equal; SU(3): G Γ^dag), the active-link entries of gLinks are zeroed, and the
     * staple part dL/dΓ = W'^dag G is ADDED to the three links of Γ. SU(3): 9 products (~1800 flops), reads 5
     * matrices, read-modify-writes 4 link gradients (~1300 B) per active link.
     */
    void scatterActiveBackward(GaugeField u, int mu, int nu, Index sites, Buffer wNew, Buffer gLinks, Buffer gW);

    /**
     * Backward of W = U Γ^dag for the field u before the scatter (active links restored from wOld:
     * U = W Γ): ADDS dL/dU = gW Γ to the active links and dL/dΓ = gW^dag U (U(1): -gW) to the three links of Γ.
     * SU(3): 10 products (~2000 flops), ~1450 B per active link.
     */
    void gatherActiveBackward(GaugeField u, int mu, int nu, Index sites, Buffer wOld, Buffer gW, Buffer gLinks);

    // ------------------------------------------------------------------ multiscale doubling (split / merge)

    /**
     * Doubling split in direction mu (multiscale flows, docs/physics.md "Doubling in any d"): coarse field C on Lc,
     * a field R on Lc (Haar-random in a model), fine field U on Lf = Lc with extent mu doubled (overwritten).
     * even[x'] = fine site (2 x'_mu, x'_perp), fresh[x'] = even[x'] + mu-hat, for every coarse site x':
     * <pre>
     *   U_nu(even) = C_nu(x') (nu != mu),  U_mu(even) = C_mu(x') R_mu(x')^dag,  U_mu(fresh) = R_mu(x'),  U_nu(fresh) = R_nu(x')
     * </pre>
     * so U_mu(even) U_mu(fresh) = C_mu(x'). For fixed R this is a right translation, so (C, R) -> U is a bijection
     * that preserves Haar measure (unit Jacobian). SU(3): 1 product (108 flops) and 2d link copies per coarse site,
     * reads 2d x 144 B, writes 2d x 144 B; U(1): 1 subtraction, 16d B read and written.
     */
    void doublingSplit(GaugeField coarse, GaugeField r, int mu, Index even, Index fresh, GaugeField fine);

    /**
     * Inverse of {@link #doublingSplit} for the coarse part: C_nu(x') = U_nu(even) (nu != mu),
     * C_mu(x') = U_mu(even) U_mu(fresh) (U(1): sum wrapped to (-pi, pi]). Coarse overwritten. SU(3): 108 flops,
     * reads (d+1) x 144 B, writes d x 144 B per coarse site.
     */
    void doublingMerge(GaugeField fine, int mu, Index even, Index fresh, GaugeField coarse);

    /**
     * Backward of {@link #doublingSplit} with respect to C (R fixed): ADDS gC_nu(x') += gU_nu(even) (nu != mu) and
     * gC_mu(x') += gU_mu(even) R_mu(x') (U(1): gU_mu(even)) into gCoarse (coarse layout), from gFine (fine layout,
     * Euclidean gradients dL = Re tr(G^dag dU)). SU(3): 108 + 18 d flops, ~3d x 144 B per coarse site.
     */
    void doublingSplitBackward(GaugeField r, int mu, Index even, Index fresh, Buffer gFine, Buffer gCoarse);

    /**
     * {@link #gatherActive} with the MIDPOINT loop instead of the single staple: for the active link U_mu(x) with
     * partner nu, the two staples of the (mu, nu) plane, Γ_f = U_nu(x) U_mu(x+nu) U_nu(x+mu)^dag and
     * Γ_b = U_nu(x-nu)^dag U_mu(x-nu) U_nu(x-nu+mu) (Re tr P_{mu nu}(x) + Re tr P_{mu nu}(x-nu) = Re tr U(Γ_f^dag + Γ_b^dag)),
     * give Γ = Γ_f sqrt(Γ_f^dag Γ_b) (eigenphases lifted to the Weyl cell and halved; U(1): θ_Γf + wrap(θ_Γb - θ_Γf)/2),
     * the point halfway between them, and W = U Γ^dag. Every link of both staples must be frozen (the multiscale doubling
     * mask). Gauge covariant like U. SU(3): 6 products + a 3x3 eigen-decomposition (~4000 flops); reads 7 links (1 KB),
     * writes 144 B per active link.
     */
    void gatherMidpoint(GaugeField u, int mu, int nu, Index sites, Buffer w);

    /** Inverse of {@link #gatherMidpoint}: U_mu(x) = W' Γ in place. Same cost. */
    void scatterMidpoint(GaugeField u, int mu, int nu, Index sites, Buffer wNew);

    /** {@link #scatterActiveBackward} for the midpoint Γ: the staple part reaches the six links of Γ_f and Γ_b through the
     *  square root's backward (Daleckii-Krein). SU(3) ~9000 flops, ~2.5 KB per active link. */
    void scatterMidpointBackward(GaugeField u, int mu, int nu, Index sites, Buffer wNew, Buffer gLinks, Buffer gW);

    /** {@link #gatherActiveBackward} for the midpoint Γ. Same cost as {@link #scatterMidpointBackward}. */
    void gatherMidpointBackward(GaugeField u, int mu, int nu, Index sites, Buffer wOld, Buffer gW, Buffer gLinks);

    /**
     * Analytic U(1) base of a multiscale doubling flow (math/CircleBase; logistic or wrapped-Cauchy maps), for the
     * n = nb*M elements e = b*M + j: c = feat[fOff + b*fB + j] (cos of the coarse plaquette angle phi),
     * kappa = 2 betaA sqrt((1 + c)/2) = 2 betaA |cos(phi/2)|, s = s0(kappa) + raw[rOff + b*rB + j],
     * y[e] = B_s(x[e]) (on lifts), logJ[e] = log B_s'(x[e]) (overwrite). betaA = 0: the flat base s0 = const.
     * ~40 flops + 5 transcendentals per element; reads 24 B, writes 16 B.
     */
    void u1BaseForward(boolean logistic, double betaA, int n, int m, Buffer x, Buffer feat, int fOff, int fB,
                       Buffer raw, int rOff, int rB, Buffer y, Buffer logJ);

    /** x[e] = B_s^{-1}(y[e]); logJ[e] = log B_s' at x[e] (so the inverse's log-Jacobian is -logJ). Same cost. */
    void u1BaseInverse(boolean logistic, double betaA, int n, int m, Buffer y, Buffer feat, int fOff, int fB,
                       Buffer raw, int rOff, int rB, Buffer x, Buffer logJ);

    /**
     * Backward of {@link #u1BaseForward} at the forward points x: gX[e] = gY B' + gLogJ d(log B')/dx (overwrite);
     * with g_s = gY dB/ds + gLogJ d(log B')/ds, ADDS g_s to gRaw[rOff + b*rB + j] and g_s ds0/dkappa dkappa/dc to
     * gFeat[fOff + b*fB + j]. ~60 flops + 5 transcendentals, 40 B read, 24 B written per element.
     */
    void u1BaseBackward(boolean logistic, double betaA, int n, int m, Buffer x, Buffer feat, int fOff, int fB,
                        Buffer raw, int rOff, int rB, Buffer gY, Buffer gLogJ, Buffer gX, Buffer gFeat, Buffer gRaw);

    // ------------------------------------------------------------------ link flows on batches of elements

    /**
     * W' = g(W) for n elements (layout above; dof of the flow's group), raw parameters of element e = b*M + j at
     * raw[rOff + b*rB + k*M + j]; logJ[e] = log J_g(W) (Haar density ratio; overwrite). Cost per element: NCP
     * ~25K flops + K (exp, atan2); RQS O(K); spectral ~3000 + 100K flops (eigen-decomposition, 2 interval mixtures,
     * rebuild). Bytes per element: reads dof*8 + 8P (P parameters), writes dof*8 + 8.
     */
    void linkFlowForward(LinkFlow f, int n, int m, Buffer w, Buffer raw, int rOff, int rB, Buffer wOut, Buffer logJ);

    /** W = g^{-1}(W'); logJ[e] = log J_g at the preimage (so the inverse's log-Jacobian is -logJ[e]). */
    void linkFlowInverse(LinkFlow f, int n, int m, Buffer wPrime, Buffer raw, int rOff, int rB, Buffer wOut, Buffer logJ);

    /**
     * Backward at the forward points W: given gOut = dL/dW' and gLogJ[e] = dL/dlogJ[e], writes gW = dL/dW
     * (overwrite; tangent-exact for SU(3)) and ADDS dL/draw into gRaw (same layout as raw). About twice the forward
     * flops (spectral ~4500 + 200K); reads 2 dof*8 + 8P + 8, writes dof*8 and read-modify-writes 8P bytes.
     */
    void linkFlowBackward(LinkFlow f, int n, int m, Buffer w, Buffer raw, int rOff, int rB, Buffer gOut,
                          Buffer gLogJ, Buffer gW, Buffer gRaw);

    // ------------------------------------------------------------------ networks

    /**
     * Periodic d-dimensional convolution (cross-correlation) with odd kernel k in every direction and bias, on
     * batches of fields on a periodic grid of the given extents (any d >= 1, extents >= 1; layout [b][c][x], sites
     * lexicographic with direction 0 fastest): y[b][o][s_j] = bias[o] + sum_{c,t} W[o][c][t]
     * x[b][c][s_j + shift_t], taps t over the k^d stencil (direction 0 fastest, offsets -r..r, r = (k-1)/2).
     * Output only at the sites listed in {@code outSites} (M of them, y laid out [b][o][j]); null: all sites.
     * Weights at wts[wOff..]: [cout][cin][k^d]; bias at wts[bOff..]: [cout]. 2 cout cin k^d flops per output site;
     * bytes: the input field (8 cin V per configuration, each value read k^d times through the stencil) and 8 cout
     * per output site written.
     */
    void conv(int[] extents, int nb, int cin, int cout, int k, Buffer x, Buffer wts, int wOff, int bOff, Index outSites, Buffer y);

    /**
     * Backward of {@link #conv}: dx (overwrite; skipped when null) = W^T dy scattered over the stencil;
     * ADDS dW and dbias into grads at wOff, bOff. Twice the forward flops.
     */
    void convBackward(int[] extents, int nb, int cin, int cout, int k, Buffer x, Buffer wts, int wOff, Index outSites,
                      Buffer dy, Buffer dx, Buffer grads, int gwOff, int gbOff);

    /** Activation kinds of {@link #activation}. */
    enum Act { TANH, LEAKY_RELU, SILU, GELU }

    /**
     * y = act(x) elementwise on n values (LEAKY_RELU slope 0.01; GELU in the tanh approximation), 10-30 flops per
     * element, 16 B moved. y may equal x only when no backward pass is needed.
     */
    void activation(Act a, int n, Buffer x, Buffer y);

    /** dx = dy * act'(x) elementwise (x the forward input); 10-30 flops and 24 B per element. */
    void activationBackward(Act a, int n, Buffer x, Buffer dy, Buffer dx);

    // ------------------------------------------------------------------ optimiser and reductions

    /**
     * One Adam(W) step on n parameters (Kingma & Ba, bias-corrected; decoupled weight decay wd):
     * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr ((m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps) + wd p).
     * ~15 flops and one sqrt per parameter; reads 4, writes 3 arrays.
     */
    void adamStep(int n, Buffer p, Buffer g, Buffer m, Buffer v, double lr, double b1, double b2, double eps, double wd, long t);

    /** x[off, off+n) *= s; n flops, 16n bytes. */
    void scale(Buffer x, int off, int n, double s);

    /** sum of x[off, off+n), in a fixed order (deterministic for any thread count); n flops, 8n bytes. */
    double sum(Buffer x, int off, int n);

    /** sum of squares of x[off, off+n), fixed order; 2n flops, 8n bytes. */
    double sumSquares(Buffer x, int off, int n);

    /**
     * out[b] (+)= sum_j x[b*m + j] for b < nb: per-configuration sums of per-element values (log J of a layer);
     * accumulate adds into out, else overwrites.
     */
    void sumRows(int nb, int m, Buffer x, Buffer out, boolean accumulate);

    /** out[b*m + j] = x[b] for b < nb, j < m (a per-configuration value for each of its elements). */
    void broadcastRows(int nb, int m, Buffer x, Buffer out);

    /** y[yOff + i] += a x[xOff + i] for i < n; 2n flops, 24n bytes. */
    void axpy(int n, double a, Buffer x, int xOff, Buffer y, int yOff);

    /** log sum_i exp(x[off + i]) for i < n, max-shifted, fixed order; n exp + 2n flops, 16n bytes (two passes). */
    double logSumExp(Buffer x, int off, int n);

    /** Maximum of |x[off + i]| over i < n (NaN if any element is NaN). */
    double maxAbs(Buffer x, int off, int n);

    @Override default void close() {}
}
