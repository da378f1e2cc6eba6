package org.mflowhpc.sample;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.lattice.GaugeField;

/**
 * Heatbath + overrelaxation Markov chain for the Wilson action S = -(beta/N) sum Re tr P (docs/conventions.md), for
 * thermalisation and as the reference ensemble generator. Works for every group and dimension the backend does.
 *
 * <p>One {@link #sweep} = one {@link Backend#heatbath} sweep followed by {@code orSweeps} {@link Backend#overrelax}
 * sweeps, applied to every configuration of the batch (each configuration is an independent chain with its own
 * random streams). Random numbers: heatbath sweep number n uses step {@code n} in domain HEATBATH; overrelaxation
 * sweep k (0-based) after it uses step {@code n * orSweeps + k} in domain OVERRELAX. So the chain is a pure function
 * of (initial field, beta, seed, sweep counter): bit-reproducible, thread-count independent, and resumable by
 * restoring the field and {@link #setSweepCount}.
 *
 * <p>Not thread-safe; one instance per chain batch.
 */
public final class Heatbath {
    private final Backend backend;
    private final double beta;
    private final long seed;
    private final int orSweeps;
    private long sweeps;

    /**
     * @param backend  compute backend
     * @param beta     Wilson coupling
     * @param seed     64-bit seed of the random streams
     * @param orSweeps overrelaxation sweeps after each heatbath sweep (>= 0; 3-5 is typical for SU(3), 1-2 for U(1))
     */
    public Heatbath(Backend backend, double beta, long seed, int orSweeps) {
        if (orSweeps < 0) throw new IllegalArgumentException("orSweeps must be >= 0, got " + orSweeps);
        if (!(beta >= 0) || Double.isInfinite(beta)) throw new IllegalArgumentException("beta must be finite and >= 0, got " + beta);
        this.backend = backend;
        this.beta = beta;
        this.seed = seed;
        this.orSweeps = orSweeps;
    }

    /** One heatbath sweep plus {@code orSweeps} overrelaxation sweeps, in place; advances the sweep counter. */
    public void sweep(GaugeField u) {
        backend.heatbath(u, beta, seed, sweeps);
        for (int k = 0; k < orSweeps; k++) backend.overrelax(u, beta, seed, sweeps * orSweeps + k);
        sweeps++;
    }

    /** n calls of {@link #sweep}. */
    public void sweeps(GaugeField u, int n) {
        for (int i = 0; i < n; i++) sweep(u);
    }

    /** Number of (heatbath + OR) sweeps done so far; the step index of the next heatbath sweep. */
    public long sweepCount() { return sweeps; }

    /** Sets the sweep counter (resume from a checkpoint: the next sweep uses this step index). */
    public void setSweepCount(long n) {
        if (n < 0) throw new IllegalArgumentException("sweep count must be >= 0, got " + n);
        sweeps = n;
    }

    public double beta() { return beta; }
    public long seed() { return seed; }
    public int orSweeps() { return orSweeps; }
}
