/*
 * Contract: Wilson gradient flow (Luescher, JHEP 08 (2010) 071, arXiv:1006.4518) and stout smoothing (Morningstar &
 * Peardon, PRD 69 (2004) 054501) of a batch of gauge configurations, in place, composed only of Backend seam ops
 * (force, scale, axpy, updateLinks, reunitarize): no op of its own, so every backend runs it. docs/physics.md §7.
 *
 * Flow equation, flow time t in lattice units (t/a^2):  dV_mu(x)/dt = -F_mu(x)[V] V_mu(x),  V(0) = U, with
 * F = Backend.force at the flow coupling beta_f (flowBeta): SU(3) beta_f = 2N = 6, F = TA(V A) (A the staple sum,
 * TA the traceless anti-Hermitian part), i.e. Z = -g0^2 dS_W = -F, Luescher's normalisation (g0^2 S_W is the Wilson
 * action at beta = 6); U(1) beta_f = 1, F = dS_1/dtheta with S_1 = -sum cos theta_P, so that in the continuum both
 * flows are the heat equation d_t B_mu = D_nu G_{nu mu} with smoothing radius sqrt(8t) (the U(1) flow of an Abelian
 * field equals the SU(3) flow of its embedding diag(e^{i theta}, e^{-i theta}, 1)).
 *
 * Integrator (Luescher's 3rd-order Runge-Kutta for Lie groups, low-storage form), with Z_i = -eps F(W_i):
 *   W_1 = exp(Z_0/4) W_0,  W_2 = exp(8/9 Z_1 - 17/36 Z_0) W_1,  W_3 = exp(3/4 Z_2 - 8/9 Z_1 + 17/36 Z_0) W_2,
 * V(t+eps) = W_3, global error O(eps^3). Storage: two gauge-field-sized buffers (force and accumulator). Cost per step:
 * 3 force evaluations (SU(3): 3 d (2(d-1) 414 + 216) flops per site, ~81K in 4D) plus 3 updateLinks (~3400 flops per
 * link each); SU(3) links are re-projected onto the group (reunitarize) after each step to stop rounding drift.
 * flow(u, t, eps) takes n = ceil(t/eps - 1e-9) equal steps of t/n (so t is reached exactly, the step used <= eps).
 *
 * Stout smoothing, isotropic rho: U' = exp(rho TA(Omega)) U, Omega = C U^dag, C = rho sum_{nu != mu} (staples), which
 * with this code's staple sum A (S contains -(beta/N) Re tr(U A), so C = rho A^dag) is U' = exp(-rho F) U: one Euler
 * step of the flow with eps = rho (n stout steps ~ flow time n rho at O(rho)). U(1): theta' = theta - rho dS_1/dtheta.
 *
 * Every step is gauge covariant (F transforms like the link's algebra element), so flowing a gauge transform equals
 * gauge transforming the flowed field to rounding. Configurations of a batch flow independently: results per
 * configuration do not depend on the batch they are flowed in, nor on the thread count.
 */
package org.mflowhpc.observable;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;

/** Gradient flow and stout smoothing through the backend seam. Not thread-safe (reuses two buffers per shape). */
public final class WilsonFlow {
    private final Backend backend;
    private Buffer force, acc;

    public WilsonFlow(Backend backend) {
        if (backend == null) throw new IllegalArgumentException("backend is null");
        this.backend = backend;
    }

    /** Coupling at which Backend.force is the flow's F: 6 (= 2N) for SU(3), 1 for U(1) (see the class contract). */
    public static double flowBeta(Group g) {
        return g == Group.U1 ? 1.0 : 2.0 * g.n;
    }

    /** Largest RK3 step that is linearly stable in d dimensions: 2.5 / (4d) (RK3 is stable for eps lambda <= 2.51, lambda <= 4d the largest eigenvalue of the lattice Laplacian). */
    public static double maxStableFlowStep(int d) { return 2.5 / (4.0 * d); }

    /** Largest stable stout rho (Euler: rho lambda <= 2): 1 / (2d). */
    public static double maxStableStoutRho(int d) { return 1.0 / (2.0 * d); }

    /** Number of RK3 steps flow(u, t, eps) takes. */
    public static int steps(double t, double eps) {
        check(t, eps);
        if (t == 0) return 0;
        double n = Math.ceil(t / eps - 1e-9);
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("flow time " + t + " / step " + eps + " is too many steps");
        return (int) n;
    }

    private static void check(double t, double eps) {
        if (!(t >= 0) || Double.isInfinite(t)) throw new IllegalArgumentException("flow time must be finite and >= 0, got " + t);
        if (!(eps > 0) || Double.isInfinite(eps)) throw new IllegalArgumentException("flow step must be finite and > 0, got " + eps);
    }

    private void ensure(GaugeField u) {
        int n = u.size();
        if (force == null || force.length() != n) { force = backend.alloc(n); acc = backend.alloc(n); }
    }

    /** One Runge-Kutta step of flow time eps, in place. */
    public void rk3Step(GaugeField u, double eps) {
        if (u.backend() != backend) throw new IllegalArgumentException("gauge field lives on another backend");
        check(0, eps);
        ensure(u);
        double bf = flowBeta(u.group);
        int n = u.size();
        backend.force(u, bf, acc);                 // acc = F0
        backend.updateLinks(u, acc, -eps / 4);     // W1 = exp(-eps/4 F0) W0
        backend.force(u, bf, force);               // F1
        backend.scale(acc, 0, n, -17.0 / 36.0);
        backend.axpy(n, 8.0 / 9.0, force, 0, acc, 0); // acc = 8/9 F1 - 17/36 F0
        backend.updateLinks(u, acc, -eps);         // W2
        backend.force(u, bf, force);               // F2
        backend.scale(acc, 0, n, -1.0);
        backend.axpy(n, 3.0 / 4.0, force, 0, acc, 0); // acc = 3/4 F2 - 8/9 F1 + 17/36 F0
        backend.updateLinks(u, acc, -eps);         // W3
        if (u.group != Group.U1) backend.reunitarize(u);
    }

    /** Flows u in place to flow time t (t/a^2) with steps of at most eps (see the class contract); returns the steps taken. */
    public int flow(GaugeField u, double t, double eps) {
        int n = steps(t, eps);
        for (int i = 0; i < n; i++) rk3Step(u, t / n);
        return n;
    }

    /** One explicit Euler step of flow time eps: V <- exp(-eps F) V (= one stout step with rho = eps). */
    public void eulerStep(GaugeField u, double eps) {
        if (u.backend() != backend) throw new IllegalArgumentException("gauge field lives on another backend");
        check(0, eps);
        ensure(u);
        backend.force(u, flowBeta(u.group), force);
        backend.updateLinks(u, force, -eps);
        if (u.group != Group.U1) backend.reunitarize(u);
    }

    /** {@code steps} isotropic stout smoothing steps with parameter rho, in place. */
    public void stout(GaugeField u, double rho, int steps) {
        if (steps < 0) throw new IllegalArgumentException("stout steps must be >= 0, got " + steps);
        if (!(rho > 0) || Double.isInfinite(rho)) throw new IllegalArgumentException("stout rho must be finite and > 0, got " + rho);
        for (int i = 0; i < steps; i++) eulerStep(u, rho);
    }
}
