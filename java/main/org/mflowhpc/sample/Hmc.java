package org.mflowhpc.sample;

import java.util.function.IntConsumer;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.group.U1;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.rng.RngStream;

/**
 * Hybrid Monte Carlo for the Wilson action, any group and dimension, every configuration of the batch an
 * independent chain with its own Metropolis decision.
 *
 * <p>Hamiltonian H = K + S. Momenta live in the gauge-field layout ({@code p.length == u.data.length}):
 * U(1) one real p per link, K = sum p^2/2, update theta <- wrap(theta + c p); SU(3) an anti-Hermitian traceless
 * matrix P = p_a t_a per link (18 doubles), K = sum -tr(P^2) = sum p_a^2/2, update U <- exp(c P) U
 * ({@link SU3#exp}). Momentum update P <- P - c F with F the backend {@link Backend#force} (U(1) dS/dtheta,
 * SU(3) (beta/2N) TA(U A)).
 *
 * <p>Integrators over trajectory length tau with n steps, eps = tau/n, both symmetric and reversible:
 * LEAPFROG (P eps/2, then n x [U eps, P eps], the last P step eps/2; n+1 force evaluations) and OMELYAN 2MN
 * (P lambda eps, then n x [U eps/2, P (1-2 lambda) eps, U eps/2, P 2 lambda eps], the last P step lambda eps;
 * lambda = 0.1931833275; 2n+1 force evaluations, energy error typically ~10x smaller at equal eps).
 *
 * <p>Random numbers: momenta of trajectory t from {@code RngStream(seed, HMC_MOMENTA, t, l)} with the global link
 * index l = (b*d + mu)*V + x (U(1): one gaussian; SU(3): {@link SU3#gaussianAlgebra}); the accept uniform of
 * configuration b from {@code RngStream(seed, HMC_ACCEPT, t, b)}. Accept if u < exp(-dH) (NaN dH is rejected);
 * a rejected configuration is restored bit-exactly; SU(3) links are reunitarised after every trajectory. So a
 * trajectory is a pure function of (field, beta, seed, tau, n, integrator, trajectory counter): reproducible,
 * thread-count independent, resumable via {@link #setTrajectoryCount}.
 *
 * <p>Cost per step: one force (SU(3): d x staples + d V x 216 flops per configuration) and one link update
 * (SU(3): exp by Taylor, ~16 x 198 flops per link, + 198 for the product). Not thread-safe.
 */
public final class Hmc {
    /** Molecular-dynamics integrator. */
    public enum Integrator { LEAPFROG, OMELYAN }

    /** Omelyan–Mryglod–Folk 2MN parameter minimising the energy-error norm. */
    public static final double OMELYAN_LAMBDA = 0.1931833275037836;

    private final Backend backend;
    private final double beta, tau;
    private final long seed;
    private final int steps;
    private final Integrator integrator;

    private long trajectories;
    private double[] lastDeltaH = new double[0];
    private boolean[] lastAccepted = new boolean[0];
    private long proposed, accepted;
    private double[] force;

    public Hmc(Backend backend, double beta, long seed, double tau, int steps) {
        this(backend, beta, seed, tau, steps, Integrator.LEAPFROG);
    }

    public Hmc(Backend backend, double beta, long seed, double tau, int steps, Integrator integrator) {
        if (!(tau > 0) || Double.isInfinite(tau)) throw new IllegalArgumentException("trajectory length tau must be finite and > 0, got " + tau);
        if (steps < 1) throw new IllegalArgumentException("number of MD steps must be >= 1, got " + steps);
        if (!(beta >= 0) || Double.isInfinite(beta)) throw new IllegalArgumentException("beta must be finite and >= 0, got " + beta);
        this.backend = backend;
        this.beta = beta;
        this.seed = seed;
        this.tau = tau;
        this.steps = steps;
        this.integrator = integrator;
    }

    // ------------------------------------------------------------------ the Markov step

    /**
     * One HMC trajectory with a Metropolis decision per configuration, in place; advances the trajectory counter.
     * Afterwards {@link #lastDeltaH()} and {@link #lastAccepted()} describe it.
     */
    public void trajectory(GaugeField u) {
        long t = trajectories;
        int nb = u.batch;
        double[] p = drawMomenta(u, t);
        double[] k0 = kinetic(u, p), s0 = new double[nb];
        backend.action(u, beta, s0);
        double[] saved = u.data.clone();
        integrate(u, p);
        double[] k1 = kinetic(u, p), s1 = new double[nb];
        backend.action(u, beta, s1);

        double[] dH = new double[nb];
        boolean[] acc = new boolean[nb];
        int n = u.configSize();
        for (int b = 0; b < nb; b++) {
            dH[b] = (k1[b] - k0[b]) + (s1[b] - s0[b]);
            double r = new RngStream(seed, RngStream.Domain.HMC_ACCEPT, t, b).uniform();
            acc[b] = dH[b] <= 0 || r < Math.exp(-dH[b]); // false for NaN
            if (!acc[b]) System.arraycopy(saved, b * n, u.data, b * n, n);
            else {
                accepted++;
                if (u.group == Group.SU3) {
                    int o0 = b * n;
                    forEach(n / 18, l -> SU3.reunitarize(u.data, o0 + 18 * l));
                }
            }
            proposed++;
        }
        lastDeltaH = dH;
        lastAccepted = acc;
        trajectories++;
    }

    /** n trajectories. */
    public void trajectories(GaugeField u, int n) {
        for (int i = 0; i < n; i++) trajectory(u);
    }

    // ------------------------------------------------------------------ molecular dynamics, exposed for tests

    /** Fresh momenta for trajectory index t (see class comment for the streams), in the gauge-field layout. */
    public double[] drawMomenta(GaugeField u, long t) {
        double[] p = new double[u.data.length];
        int links = u.data.length / u.group.dof;
        if (u.group == Group.U1) {
            forEach(links, l -> p[l] = new RngStream(seed, RngStream.Domain.HMC_MOMENTA, t, l).gaussian());
        } else {
            forEach(links, l -> SU3.gaussianAlgebra(new RngStream(seed, RngStream.Domain.HMC_MOMENTA, t, l), p, 18 * l));
        }
        return p;
    }

    /** Kinetic energy per configuration: sum p^2/2 (U(1)), sum -tr(P^2) (SU(3)). Fixed summation order. */
    public double[] kinetic(GaugeField u, double[] p) {
        double[] k = new double[u.batch];
        int n = u.configSize();
        for (int b = 0; b < u.batch; b++) {
            double s = 0;
            if (u.group == Group.U1) for (int i = b * n, e = i + n; i < e; i++) s += 0.5 * p[i] * p[i];
            else for (int o = b * n, e = o + n; o < e; o += 18) s += SU3.kinetic(p, o);
            k[b] = s;
        }
        return k;
    }

    /** H = K + S per configuration. */
    public double[] hamiltonian(GaugeField u, double[] p) {
        double[] h = kinetic(u, p), s = new double[u.batch];
        backend.action(u, beta, s);
        for (int b = 0; b < u.batch; b++) h[b] += s[b];
        return h;
    }

    /** Molecular-dynamics evolution of (u, p) over time tau with the configured integrator, in place. */
    public void integrate(GaugeField u, double[] p) {
        if (p.length != u.data.length) throw new IllegalArgumentException("momenta have " + p.length + " doubles, field " + u.data.length);
        double eps = tau / steps;
        if (integrator == Integrator.LEAPFROG) {
            updateMomenta(u, p, 0.5 * eps);
            for (int s = 0; s < steps; s++) {
                updateLinks(u, p, eps);
                updateMomenta(u, p, s == steps - 1 ? 0.5 * eps : eps);
            }
        } else {
            double lam = OMELYAN_LAMBDA;
            updateMomenta(u, p, lam * eps);
            for (int s = 0; s < steps; s++) {
                updateLinks(u, p, 0.5 * eps);
                updateMomenta(u, p, (1 - 2 * lam) * eps);
                updateLinks(u, p, 0.5 * eps);
                updateMomenta(u, p, (s == steps - 1 ? 1 : 2) * lam * eps);
            }
        }
    }

    /** p <- -p (time reversal). */
    public static void flipMomenta(double[] p) {
        for (int i = 0; i < p.length; i++) p[i] = -p[i];
    }

    /** Result of {@link #reversibilityCheck}: max over links of |U_back - U_0| (element-wise, U(1) angles wrapped),
     *  max |p_back - p_0|, and max over configurations of |H_back - H_0|. */
    public record Reversibility(double maxLinkDeviation, double maxMomentumDeviation, double maxEnergyDeviation) {}

    /**
     * Integrates a copy of u with the momenta of trajectory t forwards over tau, flips the momenta, integrates
     * again and flips back; reports the deviation from the start. u is not modified, counters are untouched.
     */
    public Reversibility reversibilityCheck(GaugeField u, long t) {
        GaugeField w = u.copy();
        double[] p0 = drawMomenta(u, t), p = p0.clone();
        double[] h0 = hamiltonian(w, p);
        integrate(w, p);
        flipMomenta(p);
        integrate(w, p);
        flipMomenta(p);
        double[] h1 = hamiltonian(w, p);
        double dl = 0, dp = 0, de = 0;
        for (int i = 0; i < p.length; i++) {
            double x = w.data[i] - u.data[i];
            if (u.group == Group.U1) x = U1.wrap(x);
            dl = Math.max(dl, Math.abs(x));
            dp = Math.max(dp, Math.abs(p[i] - p0[i]));
        }
        for (int b = 0; b < u.batch; b++) de = Math.max(de, Math.abs(h1[b] - h0[b]));
        return new Reversibility(dl, dp, de);
    }

    private void updateMomenta(GaugeField u, double[] p, double c) {
        if (force == null || force.length != p.length) force = new double[p.length];
        backend.force(u, beta, force);
        double[] f = force;
        int links = p.length / u.group.dof, dof = u.group.dof;
        forEach(links, l -> { for (int i = l * dof, e = i + dof; i < e; i++) p[i] -= c * f[i]; });
    }

    private void updateLinks(GaugeField u, double[] p, double c) {
        double[] f = u.data;
        int links = f.length / u.group.dof;
        if (u.group == Group.U1) {
            forEach(links, l -> f[l] = U1.wrap(f[l] + c * p[l]));
        } else {
            forEach(links, l -> {
                double[] x = new double[18], e = new double[18], t = new double[18];
                int o = 18 * l;
                for (int i = 0; i < 18; i++) x[i] = c * p[o + i];
                SU3.exp(x, 0, e, 0);
                SU3.mul(e, 0, f, o, t, 0);
                System.arraycopy(t, 0, f, o, 18);
            });
        }
    }

    /** Element-wise loops: on the CPU backend's pool when there is one (each index written by one task only). */
    private void forEach(int n, IntConsumer body) {
        if (backend instanceof CpuBackend) ((CpuBackend) backend).parallelFor(n, body);
        else for (int i = 0; i < n; i++) body.accept(i);
    }

    // ------------------------------------------------------------------ state and statistics

    /** dH = H_end - H_start of the last trajectory, per configuration (a copy). */
    public double[] lastDeltaH() { return lastDeltaH.clone(); }

    /** Metropolis decisions of the last trajectory, per configuration (a copy). */
    public boolean[] lastAccepted() { return lastAccepted.clone(); }

    /** Fraction of configurations accepted in the last trajectory (NaN before the first). */
    public double lastAcceptanceRate() {
        if (lastAccepted.length == 0) return Double.NaN;
        int a = 0;
        for (boolean x : lastAccepted) if (x) a++;
        return (double) a / lastAccepted.length;
    }

    /** Accepted / proposed over all trajectories and configurations since construction or {@link #resetStatistics}. */
    public double acceptanceRate() { return proposed == 0 ? Double.NaN : (double) accepted / proposed; }

    public long proposedCount() { return proposed; }
    public long acceptedCount() { return accepted; }
    public void resetStatistics() { proposed = 0; accepted = 0; }

    /** Number of trajectories done; the RNG step index of the next trajectory. */
    public long trajectoryCount() { return trajectories; }

    /** Sets the trajectory counter (resume from a checkpoint). */
    public void setTrajectoryCount(long n) {
        if (n < 0) throw new IllegalArgumentException("trajectory count must be >= 0, got " + n);
        trajectories = n;
    }

    public double beta() { return beta; }
    public long seed() { return seed; }
    public double tau() { return tau; }
    public int steps() { return steps; }
    public double stepSize() { return tau / steps; }
    public Integrator integrator() { return integrator; }
}
