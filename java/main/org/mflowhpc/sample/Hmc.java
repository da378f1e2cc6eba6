package org.mflowhpc.sample;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.group.U1;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.rng.RngStream;

/**
 * Hybrid Monte Carlo for the Wilson action, any group and dimension, every configuration of the batch an
 * independent chain with its own Metropolis decision.
 *
 * <p>Hamiltonian H = K + S. Momenta are backend {@link Buffer}s in the gauge-field layout ({@code p.length() == u.size()}):
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
    private Buffer force;
    private GaugeField saved;

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
        Buffer p = drawMomenta(u, t);
        double[] k0 = kinetic(u, p), s0 = action(u);
        GaugeField saved = savedCopy(u);
        integrate(u, p);
        double[] k1 = kinetic(u, p), s1 = action(u);

        double[] dH = new double[nb];
        boolean[] acc = new boolean[nb];
        boolean anyAccepted = false;
        for (int b = 0; b < nb; b++) {
            dH[b] = (k1[b] - k0[b]) + (s1[b] - s0[b]);
            double r = new RngStream(seed, RngStream.Domain.HMC_ACCEPT, t, b).uniform();
            acc[b] = dH[b] <= 0 || r < Math.exp(-dH[b]); // false for NaN
            if (acc[b]) { accepted++; anyAccepted = true; }
            proposed++;
        }
        // accepted SU(3) configurations are reunitarised; rejected ones are then restored bit-exactly
        if (anyAccepted && u.group == Group.SU3) backend.reunitarize(u);
        for (int b = 0; b < nb; b++) if (!acc[b]) u.copyConfig(b, saved, b);
        lastDeltaH = dH;
        lastAccepted = acc;
        trajectories++;
    }

    /** n trajectories. */
    public void trajectories(GaugeField u, int n) {
        for (int i = 0; i < n; i++) trajectory(u);
    }

    /** A copy of u in a field kept between trajectories (reallocated when the shape or backend changes). */
    private GaugeField savedCopy(GaugeField u) {
        if (saved == null || saved.backend() != u.backend() || saved.group != u.group || !saved.lattice.equals(u.lattice)
                || saved.batch != u.batch) saved = new GaugeField(u.backend(), u.group, u.lattice, u.batch);
        saved.copyFrom(u);
        return saved;
    }

    // ------------------------------------------------------------------ molecular dynamics, exposed for tests

    /**
     * Fresh momenta for trajectory index t (see class comment for the streams), in the gauge-field layout, in a new
     * buffer on the backend.
     */
    public Buffer drawMomenta(GaugeField u, long t) {
        Buffer p = backend.alloc(u.size());
        backend.drawMomenta(u.group, u.lattice, u.batch, RngStream.Domain.HMC_MOMENTA, seed, t, p);
        return p;
    }

    /** Kinetic energy per configuration: sum p^2/2 (U(1)), sum -tr(P^2) (SU(3)). Fixed summation order. */
    public double[] kinetic(GaugeField u, Buffer p) {
        checkMomenta(u, p);
        Buffer k = backend.alloc(u.batch);
        backend.kineticEnergy(u.group, u.lattice, u.batch, p, k, 0);
        return backend.download(k);
    }

    /** Wilson action per configuration. */
    private double[] action(GaugeField u) {
        Buffer s = backend.alloc(u.batch);
        backend.action(u, beta, s, 0);
        return backend.download(s);
    }

    /** H = K + S per configuration. */
    public double[] hamiltonian(GaugeField u, Buffer p) {
        double[] h = kinetic(u, p), s = action(u);
        for (int b = 0; b < u.batch; b++) h[b] += s[b];
        return h;
    }

    /** Molecular-dynamics evolution of (u, p) over time tau with the configured integrator, in place. */
    public void integrate(GaugeField u, Buffer p) {
        checkMomenta(u, p);
        double eps = tau / steps;
        if (integrator == Integrator.LEAPFROG) {
            updateMomenta(u, p, 0.5 * eps);
            for (int s = 0; s < steps; s++) {
                backend.updateLinks(u, p, eps);
                updateMomenta(u, p, s == steps - 1 ? 0.5 * eps : eps);
            }
        } else {
            double lam = OMELYAN_LAMBDA;
            updateMomenta(u, p, lam * eps);
            for (int s = 0; s < steps; s++) {
                backend.updateLinks(u, p, 0.5 * eps);
                updateMomenta(u, p, (1 - 2 * lam) * eps);
                backend.updateLinks(u, p, 0.5 * eps);
                updateMomenta(u, p, (s == steps - 1 ? 1 : 2) * lam * eps);
            }
        }
    }

    private static void checkMomenta(GaugeField u, Buffer p) {
        if (p.length() != u.size()) throw new IllegalArgumentException("momenta have " + p.length() + " doubles, field " + u.size());
    }

    /** p <- -p (time reversal), on the momenta's backend. */
    public static void flipMomenta(Buffer p) {
        p.owner().scale(p, 0, p.length(), -1.0);
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
        Buffer p0 = drawMomenta(u, t), p = backend.alloc(p0.length());
        backend.copy(p0, 0, p, 0, p0.length());
        double[] h0 = hamiltonian(w, p);
        integrate(w, p);
        flipMomenta(p);
        integrate(w, p);
        flipMomenta(p);
        double[] h1 = hamiltonian(w, p);
        double[] wh = w.toHost(), uh = u.toHost(), ph = backend.download(p), p0h = backend.download(p0);
        double dl = 0, dp = 0, de = 0;
        for (int i = 0; i < ph.length; i++) {
            double x = wh[i] - uh[i];
            if (u.group == Group.U1) x = U1.wrap(x);
            dl = Math.max(dl, Math.abs(x));
            dp = Math.max(dp, Math.abs(ph[i] - p0h[i]));
        }
        for (int b = 0; b < u.batch; b++) de = Math.max(de, Math.abs(h1[b] - h0[b]));
        return new Reversibility(dl, dp, de);
    }

    /** p <- p - c F with F the backend force. */
    private void updateMomenta(GaugeField u, Buffer p, double c) {
        if (force == null || force.length() != p.length() || force.owner() != backend) force = backend.alloc(p.length());
        backend.force(u, beta, force);
        backend.axpy(p.length(), -c, force, 0, p, 0);
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
